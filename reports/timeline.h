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

/* One entry; its description is formatted when it is written (and when
 * it breaks a tie in sorting), from the object it describes, so a million
 * entries hold no text. */
enum tl_kind {
	TL_MSG_FILE, TL_MSG_DATE, TL_MSG_HOP, TL_EVENT, TL_QREF, TL_QFILE,
	TL_TABLE_MTIME, TL_TABLE_NEWEST, TL_INV
};

struct tl_entry {
	int64_t time;
	const char *source;	/* static */
	const void *obj;	/* the message, event, queue file, table or row */
	size_t aux;		/* Received hop or Queue.dat reference index */
	enum tl_kind kind;
	int input;
	const char *spool_id;	/* borrowed from the report */
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
