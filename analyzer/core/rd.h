/* SPDX-License-Identifier: MIT */
/*
 * rd.h - bounded read cursor over a byte span, and span helpers.
 *
 * Every rd_* call checks the bytes remaining before touching memory.  On a
 * short read it sets the sticky flag `bad`, returns 0 and leaves the cursor
 * where it was, so a record can be decoded in straight-line code and
 * checked once (STYLE.md 5.9).  Integers are assembled from bytes through
 * unsigned temporaries; nothing is cast to a struct.  rd_off() gives the
 * absolute offset of the cursor for provenance.  Spans borrow the bytes
 * they point at: they live as long as the entry they came from.
 */
#ifndef IMCQ_RD_H
#define IMCQ_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span {
	const unsigned char *ptr;
	size_t len;
};

struct rd {
	const unsigned char *p;
	size_t left;
	size_t base;	/* absolute offset of the span's first byte */
	size_t start_left;
	bool bad;
};

void rd_init(struct rd *r, const void *p, size_t n, size_t base_off);
static inline size_t rd_off(const struct rd *r) { return r->base + (r->start_left - r->left); }
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16le(struct rd *r);
uint32_t rd_u32le(struct rd *r);
uint64_t rd_u64le(struct rd *r);
uint16_t rd_u16be(struct rd *r);
uint32_t rd_u32be(struct rd *r);
/* Take n bytes as a span; on a short read *out is empty. */
bool rd_bytes(struct rd *r, size_t n, struct span *out);
bool rd_skip(struct rd *r, size_t n);
/* Postfix-style base-128 little-endian length: at most maxbytes bytes and a
 * value of at most maxval. */
bool rd_varint7(struct rd *r, unsigned maxbytes, uint64_t maxval, uint64_t *out);

/* Little-endian decoders on raw pointers the caller has bounds-checked. */
static inline uint16_t le16(const unsigned char *p) { return (uint16_t)((unsigned)p[0] | ((unsigned)p[1] << 8)); }
static inline uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32); }

/* Find needle in hay (memmem without the GNU extension). */
const unsigned char *span_find(const unsigned char *hay, size_t hlen, const void *needle, size_t nlen);
/* Case-insensitive ASCII comparisons. */
bool span_ieq(struct span s, const char *lit);
bool span_istarts(struct span s, const char *lit);
int imcq_strcasecmp(const char *a, const char *b);
int imcq_strncasecmp(const char *a, const char *b, size_t n);
/* Trim ASCII space, tab, CR and LF from both ends. */
struct span span_trim(struct span s);
/*
 * Next physical line of s starting at *pos: accepts LF, CRLF and lone CR
 * endings.  The line excludes its terminator.  Returns false at the end.
 * *pos is advanced past the terminator.
 */
bool span_next_line(struct span s, size_t *pos, struct span *line);
/* Parse an unsigned decimal from the whole span, at most max; false on an
 * empty span, a stray character or overflow. */
bool span_u64(struct span s, uint64_t max, uint64_t *out);
/* Copy a span to a fresh NUL-terminated string; NULs become '?'. */
char *span_dup(struct span s);

#endif
