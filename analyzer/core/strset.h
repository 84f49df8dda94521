/* SPDX-License-Identifier: MIT */
/*
 * strset.h - a set of strings (borrowed, not copied) in an open hash
 * table, case ignored or not, each with a value and a count its user
 * keeps (issue #9): diagnose.c's recipient domains with their least
 * address and its unrouted domains, incident.c's domains with the number
 * of stuck messages that name them.  Iterate over t[0 .. nslot) and skip
 * the entries whose d is NULL; free t when done.
 */
#ifndef IMCQ_STRSET_H
#define IMCQ_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spick {
	const char *d, *a;	/* d NULL: empty */
	uint64_t h;
	size_t n;		/* the user's count */
};

struct strset {
	struct spick *t;
	size_t nslot, n;
	bool ci;		/* case ignored (imcq_strcasecmp) */
};

/* The entry of d: its own, else (add true) a new one with a NULL value
 * and a zero count, else NULL. */
struct spick *strset_get(struct strset *ss, const char *d, bool add);

#endif
