/* SPDX-License-Identifier: MIT */
/* dec.h - integers written in decimal without printf: into the end of a
 * 24-byte buffer, returning where the digits start. */
#ifndef IMCQ_DEC_H
#define IMCQ_DEC_H

#include <stdint.h>

static inline const char *
fmt_u64(char out[24], uint64_t u)
{
	char *p = out + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return p;
}

static inline const char *
fmt_i64(char out[24], int64_t v)
{
	char *p = (char *)fmt_u64(out, v < 0 ? 0u - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	return p;
}

#endif
