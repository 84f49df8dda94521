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

/*
 * The entries are rendered as they are found -- every field an output
 * prints, and the ones the order reads -- and sorted out of memory
 * (core/runsort.h): a million messages make 3.6 million entries, 640 MB
 * rendered, and the timeline holds about 32 MiB of them at a time.  The
 * report is read in its own order (the messages in spool-id order, the
 * events, the inventory), never at random.
 */
struct runsort;

struct timeline {
	struct runsort *rs;
};

/* sel(user, m) says whether a message's entries are kept; NULL keeps all
 * (and then entries not tied to a message are kept too). */
void timeline_build(struct timeline *tl, const struct imcq_report *rep,
		    bool (*sel)(void *user, const struct imcq_message *m), void *user);
void timeline_release(struct timeline *tl);
/* Write the entries in order (once: the sorter hands each out once). */
int timeline_write(FILE *f, struct timeline *tl, const struct imcq_report *rep,
		   const char *format);
#endif
