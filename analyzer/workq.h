/* SPDX-License-Identifier: MIT */
/*
 * workq.h - a bounded single-producer, single-consumer queue of pointers
 * between two POSIX threads (ingest's producer and its consumer).
 *
 * The queue is bounded both in items and in bytes (a weight the producer
 * gives each item, e.g. the length of a member's data): workq_push blocks
 * while either bound would be passed.  An item heavier than the byte bound
 * alone still passes when the queue is empty, so nothing can wedge.  Items
 * come out in the order they went in.  The queue never looks inside the
 * items and never frees them.
 */
#ifndef IMCQ_WORKQ_H
#define IMCQ_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

struct workq;

/* max_items >= 1; max_bytes >= 1.  Ends the program when out of memory. */
struct workq *workq_new(size_t max_items, size_t max_bytes);

/* Producer: append item (not NULL) weighing bytes; blocks while full. */
void workq_push(struct workq *q, void *item, size_t bytes);

/* Producer: nothing more will be pushed (wakes a waiting consumer). */
void workq_close(struct workq *q);

/* Consumer: the oldest item (its weight in *bytes if bytes is not NULL);
 * blocks while the queue is empty and open; NULL once it is closed and
 * empty. */
void *workq_pop(struct workq *q, size_t *bytes);

/* Items queued now (either side may ask; the answer may be stale at once). */
size_t workq_backlog(struct workq *q);

/* Statistics since workq_new: how often each side had to wait. */
struct workq_stats {
	unsigned long long pushed;
	unsigned long long producer_waits;	/* pushes that found the queue full */
	unsigned long long consumer_waits;	/* pops that found it empty */
	size_t peak_items;
	size_t peak_bytes;
};
void workq_stats(struct workq *q, struct workq_stats *st);

/* Free the queue (both threads done with it; items left are not freed). */
void workq_free(struct workq *q);

#endif
