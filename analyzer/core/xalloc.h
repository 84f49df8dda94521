/* SPDX-License-Identifier: MIT */
/* xalloc.h - allocation wrappers that succeed or end the program with exit
 * 3 ("out of memory"), so callers never check for NULL (Postfix mymalloc).
 * Counts and sizes are multiplied with overflow checks. */
#ifndef IMCQ_XALLOC_H
#define IMCQ_XALLOC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "analyzer/core/par.h"
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The strings up to a NULL, in one new string (issue #9: the texts made
 * per message -- state reasons, evidence, join keys -- are copied pieces,
 * one malloc each, not printf formatting); and a, b and c (NULL as "")
 * the same way. */
char *xstrcat(const char *s, ...) __attribute__((sentinel));
char *xstrcat3(const char *a, const char *b, const char *c);
/* Grow *p (an array of *cap elements of size sz) to hold at least need. */
void xgrow(void **p, size_t *cap, size_t need, size_t sz);
/* The same for a vector with 32-bit counts (the message record's: a
 * million records pay for every byte); more than 2^32 - 1 elements end
 * the program as out of memory. */
void xgrow32(void **p, uint32_t *cap, size_t need, size_t sz);
/*
 * Arrays of the report that may reach tens of MiB (log events, the
 * inventory, Queue.dat references; issue #9, round 12).  From BIG_MIN
 * bytes of capacity such an array is a mapping of its own, grown and
 * shrunk with mremap: the kernel moves its pages, so it is never copied,
 * and no second copy is resident while it grows or is trimmed (a
 * realloc or a trim of a 150 MB array made the peak of a million-
 * message run).  Below BIG_MIN it is a malloc block as any other.  Grow
 * with xgrow_big, trim to n with xtrim_big, free with xfree_big: the
 * capacity says which kind a block is, so those three only.
 */
#define BIG_MIN ((size_t)8 << 20)
void xgrow_big(void **p, size_t *cap, size_t need, size_t sz);
void xtrim_big(void **p, size_t *cap, size_t n, size_t sz);
void xfree_big(void *p, size_t cap, size_t sz);
/* Give freed memory back to the system at once (now: from this call on,
 * as pages empty, not when the allocator next gets round to it) or as
 * usual again (!now); each call also collects what other threads freed.
 * For a pass that frees a large part of the heap (report_gather): true
 * before, false after.  The program's allocator sets how
 * (xgive_back_hook, main.c: mimalloc); without a hook, nothing. */
void xgive_back(bool now);
void xgive_back_hook(void (*fn)(bool now));
/* The run is a big one (its records leave the heap: model.c): from now
 * on the allocator keeps to what bounds memory rather than time (main.c:
 * mimalloc gives freed pages back sooner); the hook as above. */
void xbig_run(void);
void xbig_run_hook(void (*fn)(void));
/* qsort that accepts an empty or NULL array (qsort(NULL, 0, ...) is
 * undefined behaviour, and vectors start out NULL).  A large array is
 * sorted on two threads inside par.h's window (par_qsort: the same order
 * as qsort's), so comparators must be pure functions of their two
 * elements: no state of their own, nothing changed. */
static inline void
xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (base != NULL && (n >= PAR_SORT_MIN || (par_force && n > 1)))
		par_qsort(base, n, size, cmp);
	else if (n > 1 && base != NULL)
		qsort(base, n, size, cmp);
}
#define FREE_AND_NULL(p) do { free(p); (p) = NULL; } while (0)
/* Append v to a vector {T *v; size_t n, cap;} or {T *v; uint32_t n, cap;}. */
#define VEC_PUSH(arr, n, cap, val) do { \
	_Generic(&(cap), uint32_t *: xgrow32, default: xgrow)( \
		(void **)&(arr), &(cap), (size_t)(n) + 1, sizeof(*(arr))); \
	(arr)[(n)++] = (val); } while (0)
/* The same for a big array (xgrow_big). */
#define VEC_PUSH_BIG(arr, n, cap, val) do { \
	xgrow_big((void **)&(arr), &(cap), (size_t)(n) + 1, sizeof(*(arr))); \
	(arr)[(n)++] = (val); } while (0)
#endif
