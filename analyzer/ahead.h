/* SPDX-License-Identifier: MIT */
/*
 * ahead.h - items 0..n-1 made on a second thread, taken in order.
 *
 * The report writers (cmd_analyze.c) print every message of a report in
 * order; rendering a message (its tree, its text) does not depend on the
 * others.  ahead_start runs make(user, i) for i = 0..n-1 on a thread of
 * its own, ahead of the caller, which takes the items in order with
 * ahead_next and hands each back with ahead_release when done with it:
 * the calling thread writes while the other renders, and frees what it
 * rendered.  The items wait in a bounded queue (workq.h: max_items, and
 * max_bytes of the weight make gives each), so memory stays bounded
 * however large n is.
 *
 * help: while the calling thread would wait for the next item (the thread
 * has not finished it), it makes items nobody has begun itself (up to 16
 * ahead) and keeps them until their turn: with a caller that has less to
 * do than the thread, both render.  Without help the thread makes every
 * item.  Memory: the queue's bounds, as many released items waiting for
 * the thread to free them, and the caller's 16.
 *
 * With threads < 2 (or when no thread can be had, or n == 0) the calling
 * thread makes and releases every item itself: same items, same order.
 *
 * make and release run on either thread, make twice at once with help
 * (for different i): they may read what both share but not change it.
 * make returns a new item (never NULL) and its weight in *bytes.
 * ahead_finish releases what was made and not taken (a caller that
 * stopped early: the thread stops making more as soon as it sees it),
 * waits for the thread and frees the rest.
 */
#ifndef IMCQ_AHEAD_H
#define IMCQ_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

typedef void *(*ahead_make_fn)(void *user, size_t i, size_t *bytes);
typedef void (*ahead_release_fn)(void *user, void *item);

struct ahead;

struct ahead *ahead_start(size_t n, ahead_make_fn make, ahead_release_fn release,
			  void *user, unsigned threads, bool help,
			  size_t max_items, size_t max_bytes);
/* Item 0, then 1, ...; NULL after the last. */
void *ahead_next(struct ahead *a);
/* Done with an item of ahead_next: released on the thread (or here). */
void ahead_release(struct ahead *a, void *item);
/* Does a second thread make items?  (false with one thread) */
bool ahead_threaded(const struct ahead *a);
void ahead_finish(struct ahead *a);

#endif
