/* SPDX-License-Identifier: MIT */
/* test_workq.c - the bounded queue between ingest's two threads: order,
 * the item and byte bounds, a heavy item passing alone, closing. */
#include "tests/unit/test.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "analyzer/workq.h"

struct feed {
	struct workq *q;
	size_t n;
	const size_t *weights;	/* n weights, or NULL: weight i % 7 */
	unsigned slow_every;	/* sleep 1 ms every this many items (0: never) */
};

static void
nap(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static void *
producer(void *arg)
{
	struct feed *f = arg;
	size_t i;

	for (i = 0; i < f->n; i++) {
		size_t w = f->weights ? f->weights[i] : i % 7;

		if (f->slow_every && i % f->slow_every == 0)
			nap();
		/* items are 1..n, never NULL */
		workq_push(f->q, (void *)(uintptr_t)(i + 1), w);
	}
	workq_close(f->q);
	return NULL;
}

/* Pop everything; check order and weights; return how many came. */
static size_t
drain(struct feed *f, unsigned slow_every)
{
	size_t got = 0;
	void *it;
	size_t w;

	while ((it = workq_pop(f->q, &w)) != NULL) {
		size_t want_w = f->weights ? f->weights[got] : got % 7;

		ASSERT_EQ_INT((uintptr_t)it, got + 1);
		ASSERT_EQ_INT(w, want_w);
		got++;
		if (slow_every && got % slow_every == 0)
			nap();
	}
	return got;
}

static void
run(struct feed *f, unsigned consumer_slow, struct workq_stats *st)
{
	pthread_t t;

	ASSERT_EQ_INT(pthread_create(&t, NULL, producer, f), 0);
	ASSERT_EQ_INT(drain(f, consumer_slow), f->n);
	ASSERT_EQ_INT(pthread_join(t, NULL), 0);
	workq_stats(f->q, st);
	ASSERT_EQ_INT(st->pushed, f->n);
}

TEST(test_order_and_item_bound)
{
	struct feed f = { .q = workq_new(4, 1000), .n = 20000 };
	struct workq_stats st;

	run(&f, 0, &st);
	ASSERT(st.peak_items <= 4);
	ASSERT(st.peak_bytes <= 1000);
	/* the pop after the end keeps saying NULL */
	ASSERT(workq_pop(f.q, NULL) == NULL);
	workq_free(f.q);
}

TEST(test_full_queue_blocks_producer)
{
	struct feed f = { .q = workq_new(8, 1 << 20), .n = 200 };
	struct workq_stats st;
	pthread_t t;
	int i;

	ASSERT_EQ_INT(pthread_create(&t, NULL, producer, &f), 0);
	/* do not pop until the producer has found the queue full (up to
	 * 30 s on a busy machine) */
	for (i = 0; i < 30000; i++) {
		workq_stats(f.q, &st);
		if (st.producer_waits > 0)
			break;
		nap();
	}
	ASSERT(st.producer_waits > 0);
	ASSERT_EQ_INT(st.pushed, 8);
	ASSERT_EQ_INT(drain(&f, 10), f.n);
	ASSERT_EQ_INT(pthread_join(t, NULL), 0);
	workq_stats(f.q, &st);
	ASSERT(st.peak_items <= 8);
	ASSERT_EQ_INT(st.pushed, 200);
	workq_free(f.q);
}

TEST(test_slow_producer)
{
	struct feed f = { .q = workq_new(64, 1 << 20), .n = 100, .slow_every = 10 };
	struct workq_stats st;

	run(&f, 0, &st);
	workq_free(f.q);
}

TEST(test_byte_bound)
{
	static size_t w[300];
	struct feed f = { .q = workq_new(1000, 100), .n = 300, .weights = w };
	struct workq_stats st;
	size_t i;

	for (i = 0; i < 300; i++)
		w[i] = 10 + i % 21;	/* 10..30: never more than 100 queued */
	run(&f, 7, &st);
	ASSERT(st.peak_bytes <= 100);
	ASSERT(st.peak_items <= 10);
	workq_free(f.q);
}

TEST(test_heavy_item_passes_alone)
{
	/* 500 > the byte bound of 100: it waits for an empty queue, and
	 * nothing joins it until it is taken */
	static const size_t w[] = { 60, 500, 60, 30, 500, 500, 1, 99 };
	struct feed f = { .q = workq_new(16, 100), .n = sizeof(w) / sizeof(w[0]), .weights = w };
	struct workq_stats st;

	run(&f, 1, &st);
	ASSERT_EQ_INT(st.peak_bytes, 500);
	workq_free(f.q);
}

TEST(test_empty_close)
{
	struct feed f = { .q = workq_new(1, 1), .n = 0 };
	struct workq_stats st;

	run(&f, 0, &st);
	ASSERT_EQ_INT(st.pushed, 0);
	workq_free(f.q);
}

TEST_MAIN(test_order_and_item_bound, test_full_queue_blocks_producer,
	  test_slow_producer, test_byte_bound, test_heavy_item_passes_alone,
	  test_empty_close)
