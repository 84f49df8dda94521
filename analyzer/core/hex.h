/* SPDX-License-Identifier: MIT */
/* hex.h - hexadecimal digits: the value of one, and bytes written as
 * lower-case pairs (how digests, gaps and journal tokens print). */
#ifndef IMCQ_HEX_H
#define IMCQ_HEX_H

#include <stddef.h>

/* The value of hex digit c (either case), or -1 (for any byte). */
static inline int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Write the n bytes at p as 2n lower-case hex digits and a NUL. */
static inline void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif
