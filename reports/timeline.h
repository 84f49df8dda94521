/* SPDX-License-Identifier: MIT */
/*
 * timeline.h - every dated event of a run, in time order: member times,
 * header and Received dates, tracking and protocol-log events, Queue.dat
 * times, routing-table times.  Written as CSV (spreadsheet-safe: cells
 * that would start a formula are prefixed with '), JSON Lines, or The
 * Sleuth Kit's bodyfile for mactime.  Ties are broken by source, input,
 * member, line and offset, so the order is stable.
 */
#ifndef IMCQ_TIMELINE_H
#define IMCQ_TIMELINE_H
#include <stdbool.h>
#include <stdio.h>
#include "analyzer/core/model.h"

struct tl_entry {
	int64_t time;
	const char *source;	/* static */
	char *what;
	const char *spool_id;	/* borrowed from the report */
	int input;
	const char *member;	/* borrowed */
	uint64_t line;
	uint64_t offset;
	uint64_t size;
};

struct timeline {
	struct tl_entry *v;
	size_t n, cap;
};

/* sel(user, m) says whether a message's entries are kept; NULL keeps all
 * (and then entries not tied to a message are kept too). */
void timeline_build(struct timeline *tl, const struct imcq_report *rep,
		    bool (*sel)(void *user, const struct imcq_message *m), void *user);
void timeline_release(struct timeline *tl);
int timeline_write(FILE *f, const struct timeline *tl, const struct imcq_report *rep,
		   const char *format);
#endif
