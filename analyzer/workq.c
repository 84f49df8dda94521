/* SPDX-License-Identifier: MIT */
/*
 * workq.c - bounded SPSC queue (see workq.h).
 *
 * A ring of max_items slots under one mutex, two condition variables.  To
 * keep the two threads from waking each other for every item, each side
 * wakes the other only when that one waits and there is a batch for it:
 * the consumer is woken when WAKE_BATCH items (or half the byte bound)
 * are queued, or when the producer is about to wait or closes the queue;
 * the producer is woken when the queue has drained to half of both bounds.
 */
#include "analyzer/workq.h"

#include <pthread.h>
#include <stdlib.h>

#include "analyzer/core/err.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/core/xthread.h"

#define WAKE_BATCH 32

struct slot {
	void *item;
	size_t bytes;
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct slot *ring;
	size_t max_items, max_bytes;
	size_t head;		/* next slot to pop */
	size_t n;		/* items queued */
	size_t bytes;		/* their weight */
	size_t wake_batch;
	bool closed;
	bool consumer_waiting;
	bool producer_waiting;
	struct workq_stats st;
};

struct workq *
workq_new(size_t max_items, size_t max_bytes)
{
	struct workq *q = xcalloc(1, sizeof(*q));

	if (max_items == 0 || max_bytes == 0)
		BUG("workq_new: zero bound");
	q->ring = xcalloc(max_items, sizeof(*q->ring));
	q->max_items = max_items;
	q->max_bytes = max_bytes;
	q->wake_batch = max_items < WAKE_BATCH ? max_items : WAKE_BATCH;
	if (pthread_mutex_init(&q->mu, NULL) != 0 ||
	    pthread_cond_init(&q->not_empty, NULL) != 0 ||
	    pthread_cond_init(&q->not_full, NULL) != 0)
		imcq_die("cannot initialise a thread queue");
	return q;
}

/* Would an item of this weight fit now? */
static bool
fits(const struct workq *q, size_t bytes)
{
	if (q->n >= q->max_items)
		return false;
	return q->n == 0 || bytes <= q->max_bytes - (q->bytes < q->max_bytes ? q->bytes : q->max_bytes);
}

void
workq_push(struct workq *q, void *item, size_t bytes)
{
	xmutex_lock(&q->mu);
	if (q->closed)
		BUG("workq_push after workq_close");
	if (!fits(q, bytes)) {
		q->st.producer_waits++;
		do {
			/* the consumer may be waiting for a batch that will
			 * not come while we wait: wake it first */
			if (q->consumer_waiting)
				pthread_cond_signal(&q->not_empty);
			q->producer_waiting = true;
			pthread_cond_wait(&q->not_full, &q->mu);
			q->producer_waiting = false;
		} while (!fits(q, bytes));
	}
	q->ring[(q->head + q->n) % q->max_items] = (struct slot){ item, bytes };
	q->n++;
	q->bytes += bytes;
	q->st.pushed++;
	if (q->n > q->st.peak_items)
		q->st.peak_items = q->n;
	if (q->bytes > q->st.peak_bytes)
		q->st.peak_bytes = q->bytes;
	if (q->consumer_waiting &&
	    (q->n >= q->wake_batch || q->bytes >= q->max_bytes / 2 || !fits(q, 0)))
		pthread_cond_signal(&q->not_empty);
	xmutex_unlock(&q->mu);
}

void
workq_close(struct workq *q)
{
	xmutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_signal(&q->not_empty);
	xmutex_unlock(&q->mu);
}

void *
workq_pop(struct workq *q, size_t *bytes)
{
	struct slot s;

	xmutex_lock(&q->mu);
	if (q->n == 0 && !q->closed) {
		q->st.consumer_waits++;
		do {
			q->consumer_waiting = true;
			pthread_cond_wait(&q->not_empty, &q->mu);
			q->consumer_waiting = false;
		} while (q->n == 0 && !q->closed);
	}
	if (q->n == 0) {
		xmutex_unlock(&q->mu);
		if (bytes)
			*bytes = 0;
		return NULL;
	}
	s = q->ring[q->head];
	q->head = (q->head + 1) % q->max_items;
	q->n--;
	q->bytes -= s.bytes;
	if (q->producer_waiting &&
	    (q->n == 0 || (q->n <= q->max_items / 2 && q->bytes <= q->max_bytes / 2)))
		pthread_cond_signal(&q->not_full);
	xmutex_unlock(&q->mu);
	if (bytes)
		*bytes = s.bytes;
	return s.item;
}

size_t
workq_backlog(struct workq *q)
{
	size_t n;

	xmutex_lock(&q->mu);
	n = q->n;
	xmutex_unlock(&q->mu);
	return n;
}

void
workq_stats(struct workq *q, struct workq_stats *st)
{
	xmutex_lock(&q->mu);
	*st = q->st;
	xmutex_unlock(&q->mu);
}

void
workq_free(struct workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->ring);
	free(q);
}
