/* SPDX-License-Identifier: MIT */
#include "analyzer/core/rd.h"
#include "analyzer/core/xalloc.h"

#include <string.h>

void
rd_init(struct rd *r, const void *p, size_t n, size_t base_off)
{
	r->p = p;
	r->left = n;
	r->start_left = n;
	r->base = base_off;
	r->bad = false;
}

static bool
need(struct rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return false;
	}
	return true;
}

uint8_t
rd_u8(struct rd *r)
{
	uint8_t v;

	if (!need(r, 1))
		return 0;
	v = r->p[0];
	r->p++;
	r->left--;
	return v;
}

uint16_t
rd_u16le(struct rd *r)
{
	uint16_t v;

	if (!need(r, 2))
		return 0;
	v = le16(r->p);
	r->p += 2;
	r->left -= 2;
	return v;
}

uint32_t
rd_u32le(struct rd *r)
{
	uint32_t v;

	if (!need(r, 4))
		return 0;
	v = le32(r->p);
	r->p += 4;
	r->left -= 4;
	return v;
}

uint64_t
rd_u64le(struct rd *r)
{
	uint64_t v;

	if (!need(r, 8))
		return 0;
	v = le64(r->p);
	r->p += 8;
	r->left -= 8;
	return v;
}

uint16_t
rd_u16be(struct rd *r)
{
	uint16_t v;

	if (!need(r, 2))
		return 0;
	v = (uint16_t)(((unsigned)r->p[0] << 8) | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return v;
}

uint32_t
rd_u32be(struct rd *r)
{
	uint32_t v;

	if (!need(r, 4))
		return 0;
	v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
	    ((uint32_t)r->p[2] << 8) | r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

bool
rd_bytes(struct rd *r, size_t n, struct span *out)
{
	if (!need(r, n)) {
		out->ptr = NULL;
		out->len = 0;
		return false;
	}
	out->ptr = r->p;
	out->len = n;
	r->p += n;
	r->left -= n;
	return true;
}

bool
rd_skip(struct rd *r, size_t n)
{
	if (!need(r, n))
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

bool
rd_varint7(struct rd *r, unsigned maxbytes, uint64_t maxval, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned i;
	size_t save_left = r->left;
	const unsigned char *save_p = r->p;

	for (i = 0; i < maxbytes && shift < 64; i++) {
		uint8_t c = rd_u8(r);

		if (r->bad)
			break;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			if (v > maxval)
				break;
			*out = v;
			return true;
		}
		shift += 7;
	}
	r->p = save_p;
	r->left = save_left;
	r->bad = true;
	return false;
}

const unsigned char *
span_find(const unsigned char *hay, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *n = needle;
	const unsigned char *p = hay;
	size_t left = hlen;

	if (nlen == 0)
		return hay;
	while (left >= nlen) {
		const unsigned char *q = memchr(p, n[0], left - nlen + 1);

		if (q == NULL)
			return NULL;
		if (memcmp(q, n, nlen) == 0)
			return q;
		left -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return NULL;
}

static int
lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int
imcq_strncasecmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int x = lc((unsigned char)a[i]);
		int y = lc((unsigned char)b[i]);

		if (x != y || x == 0)
			return x - y;
	}
	return 0;
}

int
imcq_strcasecmp(const char *a, const char *b)
{
	return imcq_strncasecmp(a, b, (size_t)-1);
}

bool
span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	size_t i;

	if (s.len != n)
		return false;
	for (i = 0; i < n; i++)
		if (lc(s.ptr[i]) != lc((unsigned char)lit[i]))
			return false;
	return true;
}

bool
span_istarts(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	size_t i;

	if (s.len < n)
		return false;
	for (i = 0; i < n; i++)
		if (lc(s.ptr[i]) != lc((unsigned char)lit[i]))
			return false;
	return true;
}

static bool
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct span
span_trim(struct span s)
{
	while (s.len && isws(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && isws(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

bool
span_next_line(struct span s, size_t *pos, struct span *line)
{
	size_t i = *pos;
	size_t start = i;

	if (i >= s.len)
		return false;
	/* eight bytes at a time while none of them is CR or LF (SWAR: a
	 * byte of w ^ pattern is zero exactly where w has that byte) */
	while (s.len - i >= 8) {
		const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
		uint64_t w, x, y;

		memcpy(&w, s.ptr + i, 8);
		x = w ^ (ones * '\n');
		y = w ^ (ones * '\r');
		if ((((x - ones) & ~x) | ((y - ones) & ~y)) & highs)
			break;
		i += 8;
	}
	while (i < s.len && s.ptr[i] != '\n' && s.ptr[i] != '\r')
		i++;
	line->ptr = s.ptr + start;
	line->len = i - start;
	if (i < s.len) {
		if (s.ptr[i] == '\r' && i + 1 < s.len && s.ptr[i + 1] == '\n')
			i += 2;
		else
			i += 1;
	}
	*pos = i;
	return true;
}

bool
span_u64(struct span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		d = (unsigned)(s.ptr[i] - '0');
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

char *
span_dup(struct span s)
{
	char *p = xmalloc(s.len + 1);
	size_t i;

	for (i = 0; i < s.len; i++)
		p[i] = s.ptr[i] ? (char)s.ptr[i] : '?';
	p[s.len] = '\0';
	return p;
}
