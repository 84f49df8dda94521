/* SPDX-License-Identifier: MIT */
#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t cap)
{
	b->alloc = 64;
	b->data = xmalloc(b->alloc);
	b->data[0] = '\0';
	b->len = 0;
	b->cap = cap;
	b->over = false;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_adopt(struct buf *b, char *data, size_t len, size_t cap)
{
	b->data = data;
	b->len = len;
	b->alloc = len + 1;
	b->cap = cap;
	b->over = false;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->over = false;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t need;

	if (n > b->cap - b->len) {
		b->over = true;
		return IMCQ_WARN;
	}
	need = b->len + n + 1;
	if (need > b->alloc) {
		size_t na = b->alloc;

		while (na < need)
			na = na > ((size_t)-1) / 2 ? need : na * 2;
		b->data = xrealloc(b->data, na);
		b->alloc = na;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return IMCQ_OK;
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t want = n < b->cap ? n : b->cap;

	if (want >= (size_t)-1 - 1 || want + 1 <= b->alloc)
		return;
	b->data = xrealloc(b->data, want + 1);
	b->alloc = want + 1;
}

int
buf_appends(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_appendc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	int rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return IMCQ_WARN;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	{
		char *big = xmalloc((size_t)n + 1);

		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		rc = buf_append(b, big, (size_t)n);
		free(big);
	}
	return rc;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data;
	size_t cap = b->cap;

	if (len)
		*len = b->len;
	buf_init(b, cap);
	return p;
}
