/* SPDX-License-Identifier: MIT */
/*
 * keysort.h - sorting arrays of pointers by what they point to, with a
 * 64-bit key beside each pointer (issue #9).
 *
 * Sorting 100,000 message pointers by spool id with strcmp reads two
 * records and two strings per comparison, at random places in memory:
 * ~1.7 million comparisons, most of them cache misses.  A key taken once
 * per element (the string's first eight bytes, big-endian) settles almost
 * every comparison from the array itself; the element's own comparator
 * settles the rest.  The order is exactly xqsort's with that comparator,
 * as long as the key never contradicts it: key(a) < key(b) must imply
 * cmp(&a, &b) < 0.
 */
#ifndef IMCQ_KEYSORT_H
#define IMCQ_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

/* The first eight bytes of s, big-endian, NUL-padded ("" for NULL): the
 * same order as strcmp wherever two keys differ. */
static inline uint64_t
str_key8(const char *s)
{
	uint64_t k = 0;
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 8 && s[i] != '\0'; i++)
		k |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return k;
}

/* xqsort(v, n, sizeof(*v), cmp), with key(v[i]) computed once for each
 * element and compared first. */
void xqsort_keyed(void **v, size_t n, uint64_t (*key)(const void *elem),
		  int (*cmp)(const void *, const void *));
/* xqsort of n strings by strcmp. */
void xqsort_strs(char **v, size_t n);

#endif
