/* SPDX-License-Identifier: MIT */
/* test_ahead.c - items made ahead on a second thread (analyzer/ahead.h):
 * every item comes in order, once, with one thread and two, with and
 * without the caller's help; each is released once; a caller that stops
 * early gets the rest released; the queue's bounds hold. */
#include "tests/unit/test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "analyzer/ahead.h"

struct item {
	size_t i;
	pthread_t maker;
};

struct ctx {
	size_t n;
	atomic_size_t made, released;
	atomic_size_t live, peak;	/* made and not released */
	atomic_size_t by_caller;
	pthread_t caller;
	unsigned slow_every;		/* make sleeps 1 ms every this many items */
	size_t weight;
};

static void
nap(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static void *
make(void *user, size_t i, size_t *bytes)
{
	struct ctx *c = user;
	struct item *it = malloc(sizeof(*it));
	size_t live;

	if (it == NULL)
		abort();
	it->i = i;
	it->maker = pthread_self();
	if (pthread_equal(it->maker, c->caller))
		atomic_fetch_add(&c->by_caller, 1);
	if (c->slow_every && i % c->slow_every == 0)
		nap();
	atomic_fetch_add(&c->made, 1);
	live = atomic_fetch_add(&c->live, 1) + 1;
	for (size_t p = atomic_load(&c->peak); live > p &&
	     !atomic_compare_exchange_weak(&c->peak, &p, live);)
		;
	*bytes = c->weight;
	return it;
}

static void
release(void *user, void *item)
{
	struct ctx *c = user;

	atomic_fetch_add(&c->released, 1);
	atomic_fetch_sub(&c->live, 1);
	free(item);
}

/* Take every item; check the order; return how many came. */
static size_t
take_all(struct ahead *a, struct ctx *c, unsigned slow_every)
{
	struct item *it;
	size_t got = 0;

	while ((it = ahead_next(a)) != NULL) {
		ASSERT_EQ_INT(it->i, got);
		got++;
		if (slow_every && got % slow_every == 0)
			nap();
		ahead_release(a, it);
	}
	ASSERT(ahead_next(a) == NULL);	/* and stays so */
	(void)c;
	return got;
}

static void
run(size_t n, unsigned threads, bool help, unsigned slow_make, unsigned slow_take,
    size_t max_items, size_t *by_caller)
{
	struct ctx c = { .n = n, .caller = pthread_self(), .slow_every = slow_make, .weight = 1 };
	struct ahead *a = ahead_start(n, make, release, &c, threads, help, max_items, 1 << 20);

	ASSERT_EQ_INT(ahead_threaded(a), threads >= 2 && n > 0);
	ASSERT_EQ_INT(take_all(a, &c, slow_take), n);
	ahead_finish(a);
	ASSERT_EQ_INT(atomic_load(&c.made), n);
	ASSERT_EQ_INT(atomic_load(&c.released), n);
	/* the queue, what waits to be released (as many), the item being
	 * made, the one being taken, the caller's early ones (16) */
	ASSERT(atomic_load(&c.peak) <= 2 * max_items + 2 + 16);
	if (threads < 2)
		ASSERT_EQ_INT(atomic_load(&c.by_caller), n);
	if (threads >= 2 && !help)
		ASSERT_EQ_INT(atomic_load(&c.by_caller), 0);
	if (by_caller != NULL)
		*by_caller = atomic_load(&c.by_caller);
}

TEST(test_one_thread)
{
	run(1000, 1, true, 0, 0, 8, NULL);
	run(1000, 1, false, 0, 0, 8, NULL);
}

TEST(test_two_threads)
{
	run(20000, 2, false, 0, 0, 4, NULL);
	run(20000, 2, true, 0, 0, 4, NULL);
	run(20000, 2, true, 0, 0, 256, NULL);
}

TEST(test_slow_caller_never_helps)
{
	size_t by;

	/* the thread stays ahead: the queue is never empty for long */
	run(300, 2, true, 0, 3, 16, &by);
	ASSERT(by < 300);
}

TEST(test_slow_thread_caller_helps)
{
	size_t by;

	/* every item takes ~1 ms to make and nothing to take: the caller
	 * makes some itself */
	run(200, 2, true, 1, 0, 16, &by);
	ASSERT(by > 0);
	ASSERT(by <= 200);
}

TEST(test_empty)
{
	run(0, 2, true, 0, 0, 4, NULL);
	run(0, 1, true, 0, 0, 4, NULL);
	run(1, 2, true, 0, 0, 1, NULL);
	run(1, 2, false, 0, 0, 1, NULL);
}

TEST(test_stop_early)
{
	unsigned threads;

	for (threads = 1; threads <= 2; threads++) {
		struct ctx c = { .n = 100000, .caller = pthread_self(), .weight = 1 };
		struct ahead *a = ahead_start(c.n, make, release, &c, threads, true, 8, 1 << 20);
		struct item *it;
		size_t k;

		for (k = 0; k < 50 && (it = ahead_next(a)) != NULL; k++) {
			ASSERT_EQ_INT(it->i, k);
			ahead_release(a, it);
		}
		ahead_finish(a);
		/* the thread stopped soon after; whatever was made was released */
		ASSERT(atomic_load(&c.made) < c.n);
		ASSERT_EQ_INT(atomic_load(&c.released), atomic_load(&c.made));
	}
}

TEST_MAIN(test_one_thread, test_two_threads, test_slow_caller_never_helps,
	  test_slow_thread_caller_helps, test_empty, test_stop_early)
