/* SPDX-License-Identifier: MIT */
/*
 * buf.h - growable, capped, binary-safe byte buffer (curl dynbuf, git strbuf).
 *
 * Invariants: data is never NULL after buf_init; data[len] == '\0' always
 * (embedded NULs allowed); len <= cap.  An append that would pass cap
 * appends nothing, sets b->over and returns IMCQ_WARN: the caller records a
 * "limit reached" anomaly.  Pointers into data are invalid after the next
 * append (the storage may move).  Fields are read-only outside buf.c.
 */
#ifndef IMCQ_BUF_H
#define IMCQ_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/core/err.h"

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;	/* hard maximum of len */
	bool over;	/* an append was refused */
};

void buf_init(struct buf *b, size_t cap);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
/* Make room for n bytes (at most cap) in one allocation: a member whose
 * size is known is read without the copies of doubling, which for a
 * large member briefly hold its bytes twice. */
void buf_reserve(struct buf *b, size_t n);
int buf_appends(struct buf *b, const char *s);
int buf_appendc(struct buf *b, char c);
int buf_appendf(struct buf *b, const char *fmt, ...) IMCQ_PRINTF(2, 3);
/* Take data as b's storage (b released or never initialised): len bytes
 * and a NUL after them, from malloc(); len <= cap. */
void buf_adopt(struct buf *b, char *data, size_t len, size_t cap);
/* Hand the storage to the caller (free() it); b is re-initialised empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif
