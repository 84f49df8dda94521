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

/* One entry: its time, what it is and the object it comes from; every
 * other field (source, spool id, input, member, line, offset, size, the
 * description) is read from that object when the entry is sorted or
 * written, so a million messages' entries take 24 bytes each. */
enum tl_kind {
	TL_MSG_FILE, TL_MSG_DATE, TL_MSG_HOP, TL_EVENT, TL_QREF, TL_QFILE,
	TL_TABLE_MTIME, TL_TABLE_NEWEST, TL_INV
};

struct tl_entry {
	int64_t time;
	const void *obj;	/* the message, event, queue file, table or row */
	uint32_t aux;		/* source, Received hop or Queue.dat reference index */
	uint8_t kind;		/* enum tl_kind */
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
