/* SPDX-License-Identifier: MIT */
/*
 * par.h - the second core for the analysis after ingest: two tasks at
 * once, a loop split in two halves, a sort of two halves merged.
 *
 * pipeline_run opens a window with par_begin(threads) once ingest is over
 * and closes it with par_end() when the analysis is done.  Inside it, with
 * threads >= 2, one worker thread (started by par_begin, joined by
 * par_end) runs the second task of par_two; everywhere else, and with
 * threads < 2, par_two runs both tasks in the calling thread, first a
 * then b.  A call made while the worker is busy (from a task, or from
 * another thread) also runs both in the caller, so calls nest and the
 * functions are safe from any thread.
 *
 * The rule for tasks: a and b may read what both share but not change it,
 * and each writes only what is its own (the messages of its half, its
 * own result).  Anything shared (the report's string pool, anomalies,
 * report-wide findings) is changed before or after, in the one-thread
 * order.  Then every result is the same with one or two threads.
 */
#ifndef IMCQ_PAR_H
#define IMCQ_PAR_H

#include <stdbool.h>
#include <stddef.h>

/* Open (threads >= 2: start the worker) and close the window. */
void par_begin(unsigned threads);
void par_end(void);

/* Is a second thread available for par_two now? */
bool par_active(void);

/* Should n items (min or more worth two threads) be split in two now?
 * True when the worker is free and n >= min, or with IMCQ_PAR_SPLIT=always
 * in the environment at par_begin (tests: every split path on small
 * inputs) as soon as n >= 2. */
bool par_split(size_t n, size_t min);
extern bool par_force;		/* IMCQ_PAR_SPLIT=always, inside the window */

/* a(ua) in the calling thread while b(ub) runs on the worker; both done
 * on return. */
void par_two(void (*a)(void *), void *ua, void (*b)(void *), void *ub);

/* fn(user, lo, hi) over [0, n) as two halves [0, n/2) and [n/2, n) (the
 * second on the worker) when par_split(n, min); otherwise one call
 * fn(user, 0, n). */
void par_for(size_t n, size_t min, void (*fn)(void *user, size_t lo, size_t hi),
	     void *user);

/* qsort, with the two halves sorted at once and merged when
 * par_split(n, PAR_SORT_MIN).  glibc's qsort (2.36: a top-down merge sort, halves
 * n/2 and n - n/2, the left element first on ties) makes exactly the same
 * comparisons on the same elements, so the order is the same as qsort's
 * for any comparator that is a pure function of the two elements. */
void par_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Below this many elements xqsort does not try two threads. */
#define PAR_SORT_MIN	16384

#endif
