/* SPDX-License-Identifier: MIT */
/* test_par.c - the analysis' second thread (analyzer/core/par.h): a sort
 * on two threads gives qsort's order, ties and all, for small and large
 * elements and even for a comparator that is no consistent order; loops
 * split in two cover every index once; calls nest; outside the window
 * and with one thread everything runs in the caller. */
#include "tests/unit/test.h"

#include <pthread.h>
#include <stdint.h>

#include "analyzer/core/par.h"
#include "analyzer/core/xalloc.h"

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct rec {
	uint32_t key;		/* few distinct values: many ties */
	uint32_t seq;		/* the original position */
};

static int
cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* no consistent order: the answer depends on the pair in a way no
 * ordering explains; only the same comparisons on the same elements give
 * the same result */
static int
cmp_chaos(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	uint64_t h = (uint64_t)x->seq * 0x9E3779B97F4A7C15u ^ (uint64_t)y->seq * 0xC2B2AE3D27D4EB4Fu;

	return (int)(h >> 62) - 1;
}

struct big {
	uint32_t key;
	uint32_t seq;
	char pad[40];		/* over 32 bytes: glibc sorts pointers then moves */
};

static int
cmp_big(const void *a, const void *b)
{
	const struct big *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void
check_sort(size_t n, size_t mod, int (*cmp)(const void *, const void *))
{
	struct rec *a = xcalloc(n, sizeof(*a)), *b = xcalloc(n, sizeof(*b));
	uint64_t s = 88172645463325252u + n;
	size_t i;

	for (i = 0; i < n; i++) {
		a[i].key = (uint32_t)(rnd(&s) % mod);
		a[i].seq = (uint32_t)i;
	}
	memcpy(b, a, n * sizeof(*a));
	qsort(a, n, sizeof(*a), cmp);
	xqsort(b, n, sizeof(*b), cmp);
	ASSERT(memcmp(a, b, n * sizeof(*a)) == 0);
	free(a);
	free(b);
}

TEST(test_sort_same_as_qsort)
{
	static const size_t sizes[] = { 0, 1, 2, 3, PAR_SORT_MIN - 1, PAR_SORT_MIN,
					PAR_SORT_MIN + 1, 50001, 100000 };
	size_t i;

	par_begin(2);
	ASSERT(par_active());
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_sort(sizes[i], 7, cmp_rec);
		check_sort(sizes[i], 1000000, cmp_rec);
		check_sort(sizes[i], 1, cmp_rec);
		check_sort(sizes[i], 2, cmp_chaos);
	}
	par_end();
	ASSERT(!par_active());
	check_sort(50001, 7, cmp_rec);	/* outside the window: plain qsort */
}

TEST(test_sort_big_elements)
{
	size_t n = 40000, i;
	struct big *a = xcalloc(n, sizeof(*a)), *b = xcalloc(n, sizeof(*b));
	uint64_t s = 12345;

	for (i = 0; i < n; i++) {
		a[i].key = (uint32_t)(rnd(&s) % 100);
		a[i].seq = (uint32_t)i;
		memset(a[i].pad, (int)(i & 0x7f), sizeof(a[i].pad));
	}
	memcpy(b, a, n * sizeof(*a));
	par_begin(2);
	qsort(a, n, sizeof(*a), cmp_big);
	xqsort(b, n, sizeof(*b), cmp_big);
	par_end();
	ASSERT(memcmp(a, b, n * sizeof(*a)) == 0);
	free(a);
	free(b);
}

struct marks {
	unsigned char *hit;
	pthread_t *who;
};

static void
mark(void *user, size_t lo, size_t hi)
{
	struct marks *m = user;
	size_t i;

	for (i = lo; i < hi; i++) {
		m->hit[i]++;
		m->who[i] = pthread_self();
	}
}

TEST(test_for_covers_once)
{
	size_t n = 10001, i, other = 0;
	struct marks m = { xcalloc(n, 1), xcalloc(n, sizeof(pthread_t)) };

	par_begin(2);
	par_for(n, 100, mark, &m);
	par_end();
	for (i = 0; i < n; i++) {
		ASSERT_EQ_INT(m.hit[i], 1);
		if (!pthread_equal(m.who[i], pthread_self()))
			other++;
	}
	/* the second half ran on the worker */
	ASSERT_EQ_INT(other, n - n / 2);
	/* one thread: all here */
	memset(m.hit, 0, n);
	par_begin(1);
	ASSERT(!par_active());
	par_for(n, 100, mark, &m);
	par_end();
	for (i = 0; i < n; i++) {
		ASSERT_EQ_INT(m.hit[i], 1);
		ASSERT(pthread_equal(m.who[i], pthread_self()));
	}
	free(m.hit);
	free(m.who);
}

struct nest {
	struct rec *v;
	size_t n;
	int done;
};

static void
nested_sort(void *p)
{
	struct nest *x = p;

	/* the worker is busy (this is one of two tasks): the sort runs here */
	xqsort(x->v, x->n, sizeof(*x->v), cmp_rec);
	x->done = 1;
}

TEST(test_nested_calls)
{
	size_t n = 30000, i;
	struct nest a = { xcalloc(n, sizeof(struct rec)), n, 0 };
	struct nest b = { xcalloc(n, sizeof(struct rec)), n, 0 };
	struct rec *want = xcalloc(n, sizeof(*want));
	uint64_t s = 99;

	for (i = 0; i < n; i++) {
		a.v[i].key = b.v[i].key = want[i].key = (uint32_t)(rnd(&s) % 50);
		a.v[i].seq = b.v[i].seq = want[i].seq = (uint32_t)i;
	}
	qsort(want, n, sizeof(*want), cmp_rec);
	par_begin(2);
	par_two(nested_sort, &a, nested_sort, &b);
	/* the worker is reusable after a job */
	par_two(nested_sort, &a, nested_sort, &b);
	par_end();
	ASSERT(a.done && b.done);
	ASSERT(memcmp(a.v, want, n * sizeof(*want)) == 0);
	ASSERT(memcmp(b.v, want, n * sizeof(*want)) == 0);
	free(a.v);
	free(b.v);
	free(want);
}

TEST_MAIN(test_sort_same_as_qsort, test_sort_big_elements, test_for_covers_once,
	  test_nested_calls)
