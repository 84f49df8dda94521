/* SPDX-License-Identifier: MIT */
#include "analyzer/core/keysort.h"

#include <string.h>

#include "analyzer/core/xalloc.h"

struct keyed {
	uint64_t key;
	void *p;
	int (*cmp)(const void *, const void *);
};

/* The comparator rides in each element: xqsort may sort half of the
 * array on another thread (par.h), so it cannot be kept aside. */
static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->cmp(&x->p, &y->p);
}

void
xqsort_keyed(void **v, size_t n, uint64_t (*key)(const void *elem),
	     int (*cmp)(const void *, const void *))
{
	struct keyed *k;
	size_t i, p;

	if (v == NULL || n < 2)
		return;
	if (n < 64) {		/* few: the keys would not pay for themselves */
		xqsort(v, n, sizeof(*v), cmp);
		return;
	}
	k = xmalloc(n * sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].key = key(v[i]);
		k[i].p = v[i];
		k[i].cmp = cmp;
	}
	/* in order already but for a short tail (issue #9: analyze_states
	 * sorts the messages again once the missing records were added at
	 * the end): the tail sorted alone and merged, the prefix's element
	 * first on a tie -- the order of a stable sort of the whole, which
	 * xqsort's (glibc's merge sort) is */
	for (p = 1; p < n && cmp_keyed(&k[p - 1], &k[p]) <= 0; p++)
		;
	if (p == n) {
		free(k);
		return;
	}
	if (n - p <= n / 8) {
		struct keyed *t = xmalloc(n * sizeof(*t));
		size_t a = 0, b = p, o = 0;

		xqsort(k + p, n - p, sizeof(*k), cmp_keyed);
		while (a < p && b < n)
			t[o++] = cmp_keyed(&k[a], &k[b]) <= 0 ? k[a++] : k[b++];
		while (a < p)
			t[o++] = k[a++];
		while (b < n)
			t[o++] = k[b++];
		free(k);
		k = t;
	} else {
		xqsort(k, n, sizeof(*k), cmp_keyed);
	}
	for (i = 0; i < n; i++)
		v[i] = k[i].p;
	free(k);
}

static uint64_t
key_str(const void *s)
{
	return str_key8(s);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
xqsort_strs(char **v, size_t n)
{
	xqsort_keyed((void **)v, n, key_str, cmp_strp);
}
