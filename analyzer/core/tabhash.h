/* SPDX-License-Identifier: MIT */
/*
 * tabhash.h - the one hash of imcq's in-memory hash tables (not a digest:
 * core/hash.h has SHA-256).  Only where a key sits in a table depends on
 * it, never what a lookup finds, so no output depends on its values.
 * Issue #9: eight bytes a step (the FNV-1a each table had took one).
 */
#ifndef IMCQ_TABHASH_H
#define IMCQ_TABHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TAB_HASH_SEED 1469598103934665603ull
#define TAB_HASH_MUL 0x9e3779b97f4a7c15ull

/* h, continued over p[0..n). */
static inline uint64_t
tab_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * TAB_HASH_MUL;
		h ^= h >> 29;
	}
	w = (uint64_t)n << 56;
	if (n > 0) {
		uint64_t t = 0;

		memcpy(&t, s, n);
		w ^= t;
	}
	h = (h ^ w) * TAB_HASH_MUL;
	return h ^ (h >> 32);
}

/* The hash of the string s. */
static inline uint64_t
tab_hash_str(const char *s)
{
	return tab_hash(TAB_HASH_SEED, s, strlen(s));
}

/* The hash of s with ASCII letters folded to lower case, for tables that
 * compare with imcq_strcasecmp (a byte a step: such keys are short). */
static inline uint64_t
tab_hash_ci(const char *s)
{
	uint64_t h = TAB_HASH_SEED;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * TAB_HASH_MUL;
	}
	return h ^ (h >> 32);
}

#endif
