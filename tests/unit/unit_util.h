/* SPDX-License-Identifier: MIT */
/*
 * unit_util.h - scaffolding shared by the reader unit tests (header-only):
 * build an entry, run a reader on it into a report, and look up anomalies.
 *
 * Ownership: an entry borrows its member, base and data; the report is the
 * caller's (unit_fresh releases and re-initialises it).  Nothing here
 * prints except through the ASSERT of test.h.
 */
#ifndef IMCQ_UNIT_UTIL_H
#define IMCQ_UNIT_UTIL_H

#include "test.h"

#include "analyzer/core/timeutil.h"
#include "formats/format.h"

/* An entry over p..p+n; input, snapshot, mtime and sha256 are the
 * caller's to set (0, 0, IMCQ_NOTIME, NULL here). */
static inline struct imcq_entry
unit_entry(const char *member, const char *base, enum imcq_place pl,
	   const void *p, size_t n)
{
	struct imcq_entry e = {
		.input = 0, .snapshot = 0, .member = member, .base = base,
		.place = pl, .data = p, .len = n, .size = n,
		.mtime = IMCQ_NOTIME, .sha256 = NULL,
	};

	return e;
}

/* Empty rep for the next run. */
static inline void
unit_fresh(struct imcq_report *rep)
{
	report_release(rep);
	report_init(rep);
}

/* Run fmt's reader on e into rep, with rep's own limits. */
static inline int
unit_read(const struct imcq_format *fmt, struct imcq_report *rep,
	  const struct imcq_entry *e)
{
	struct imcq_sink s = { .rep = rep, .lim = &rep->lim };

	return fmt->read(e, &s);
}

/* The first anomaly with this code; NULL when there is none. */
static inline const struct imcq_anomaly *
unit_anomaly(const struct imcq_report *rep, const char *code)
{
	size_t i;

	for (i = 0; i < rep->nanoms; i++)
		if (strcmp(rep->anoms[i].code, code) == 0)
			return &rep->anoms[i];
	return NULL;
}

/* The first anomaly with this code at this offset; NULL when none. */
static inline const struct imcq_anomaly *
unit_anomaly_at(const struct imcq_report *rep, const char *code, uint64_t off)
{
	size_t i;

	for (i = 0; i < rep->nanoms; i++)
		if (strcmp(rep->anoms[i].code, code) == 0 &&
		    rep->anoms[i].offset == off)
			return &rep->anoms[i];
	return NULL;
}

static inline size_t
unit_count_anomalies(const struct imcq_report *rep, const char *code)
{
	size_t i, n = 0;

	for (i = 0; i < rep->nanoms; i++)
		n += strcmp(rep->anoms[i].code, code) == 0;
	return n;
}

/* Seconds for a UTC (or wall-clock) date; asserts that it is valid. */
static inline int64_t
unit_time(int y, int mo, int d, int h, int mi, int s)
{
	int64_t t = IMCQ_NOTIME;

	ASSERT(imcq_mktime(y, mo, d, h, mi, s, &t));
	return t;
}

/* Offset of needle in text, UINT64_MAX when absent. */
static inline uint64_t
unit_off_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	return p ? (uint64_t)(p - text) : UINT64_MAX;
}

#endif
