/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "analyzer/core/err.h"
#include "analyzer/core/xalloc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
imcq_err_set(struct imcq_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
imcq_die(const char *fmt, ...)
{
	va_list ap;

	fputs("imcq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

void
imcq_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "imcq: BUG at %s:%d: %s\n", file, line, msg);
	abort();
}

void
imcq_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("imcq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		imcq_die("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		imcq_die("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		imcq_die("out of memory (%zu bytes)", n);
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n))
		imcq_die("out of memory (size overflow)");
	return xrealloc(p, n);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p, small[256];

	/* one formatting pass for the usual short string, two for a long one */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		imcq_die("bad format");
	p = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
		return p;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
xstrcat3(const char *a, const char *b, const char *c)
{
	size_t na = a ? strlen(a) : 0, nb = b ? strlen(b) : 0, nc = c ? strlen(c) : 0;
	char *k = xmalloc(na + nb + nc + 1);

	if (na)
		memcpy(k, a, na);
	if (nb)
		memcpy(k + na, b, nb);
	if (nc)
		memcpy(k + na + nb, c, nc);
	k[na + nb + nc] = '\0';
	return k;
}

char *
xstrcat(const char *s, ...)
{
	va_list ap;
	const char *p;
	size_t len[32], n = 0, i, k;
	char *out, *w;

	/* the lengths of the first pieces are kept for the copy */
	va_start(ap, s);
	for (p = s, i = 0; p != NULL; p = va_arg(ap, const char *), i++) {
		k = strlen(p);
		if (i < sizeof(len) / sizeof(len[0]))
			len[i] = k;
		n += k;
	}
	va_end(ap);
	out = w = xmalloc(n + 1);
	va_start(ap, s);
	for (p = s, i = 0; p != NULL; p = va_arg(ap, const char *), i++) {
		k = i < sizeof(len) / sizeof(len[0]) ? len[i] : strlen(p);
		memcpy(w, p, k);
		w += k;
	}
	va_end(ap);
	*w = '\0';
	return out;
}

/* The capacity of a vector of cap elements that must hold need: from
 * the exact need, then doubling (most vectors of a message hold one or
 * two elements, a source, a recipient, and a million messages pay for
 * every spare slot). */
static size_t
grown_cap(size_t cap, size_t need)
{
	size_t nc = cap ? cap : need;

	while (nc < need) {
		if (__builtin_mul_overflow(nc, (size_t)2, &nc))
			imcq_die("out of memory (array too large)");
	}
	return nc;
}

void
xgrow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t nc;

	if (need <= *cap)
		return;
	nc = grown_cap(*cap, need);
	*p = xreallocarray(*p, nc, sz);
	*cap = nc;
}

/* ---- big arrays (xalloc.h) ---- */

static size_t
page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), r;

	if (__builtin_add_overflow(n, pg - 1, &r))
		imcq_die("out of memory (array too large)");
	return r / pg * pg;
}

static bool
is_big(size_t cap, size_t sz)
{
	return sz > 0 && cap >= (BIG_MIN + sz - 1) / sz;
}

/* A block of cap elements of size sz (cap * sz checked by the caller)
 * that holds the first n elements of old (of kind oldcap). */
static void *
big_move(void *old, size_t oldcap, size_t n, size_t cap, size_t sz)
{
	void *q;

	if (!is_big(cap, sz)) {
		q = xmalloc(cap * sz);
		if (n > 0)
			memcpy(q, old, n * sz);
		xfree_big(old, oldcap, sz);
		return q;
	}
	if (is_big(oldcap, sz)) {
		q = mremap(old, page_round(oldcap * sz), page_round(cap * sz), MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			imcq_die("out of memory (mremap of %zu bytes)", cap * sz);
		return q;
	}
	q = mmap(NULL, page_round(cap * sz), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		imcq_die("out of memory (mmap of %zu bytes)", cap * sz);
#ifdef MADV_HUGEPAGE
	/* 8 MiB and more, filled from the start: on 2 MiB pages where the
	 * system allows them, a fault maps 512 pages (round 19: a fault is
	 * dear on a paravirtualised host); at most one such page a block
	 * stays partly unused (mremap keeps the advice) */
	(void)madvise(q, page_round(cap * sz), MADV_HUGEPAGE);
#endif
	if (n > 0)
		memcpy(q, old, n * sz);
	free(old);
	return q;
}

void
xgrow_big(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t nc, bytes;

	if (need <= *cap)
		return;
	nc = grown_cap(*cap, need);
	if (__builtin_mul_overflow(nc, sz, &bytes))
		imcq_die("out of memory (array too large)");
	if (!is_big(nc, sz)) {
		*p = xreallocarray(*p, nc, sz);
	} else {
		/* the elements below need are the caller's to fill: the old
		 * ones (*cap of them at most) move */
		*p = big_move(*p, *cap, *cap, nc, sz);
	}
	*cap = nc;
}

void
xtrim_big(void **p, size_t *cap, size_t n, size_t sz)
{
	if (*cap <= n)
		return;
	if (n == 0) {
		xfree_big(*p, *cap, sz);
		*p = NULL;
		*cap = 0;
		return;
	}
	*p = big_move(*p, *cap, n, n, sz);
	*cap = n;
}

static void (*give_back_fn)(bool now);

void
xgive_back_hook(void (*fn)(bool now))
{
	give_back_fn = fn;
}

void
xgive_back(bool now)
{
	if (give_back_fn != NULL)
		give_back_fn(now);
}

static void (*big_run_fn)(void);

void
xbig_run_hook(void (*fn)(void))
{
	big_run_fn = fn;
}

void
xbig_run(void)
{
	if (big_run_fn != NULL)
		big_run_fn();
}

void
xfree_big(void *p, size_t cap, size_t sz)
{
	if (p == NULL)
		return;
	if (is_big(cap, sz))
		munmap(p, page_round(cap * sz));
	else
		free(p);
}

void
xgrow32(void **p, uint32_t *cap, size_t need, size_t sz)
{
	size_t c = *cap;

	if (need > UINT32_MAX)
		imcq_die("out of memory (array too large)");
	xgrow(p, &c, need, sz);
	/* doubling may pass 2^32 - 1: the extra slots go unused */
	*cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}
