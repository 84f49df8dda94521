/* SPDX-License-Identifier: MIT */
/* NEEDSWORK: first cut; the Queue-state issue replaces this with the full
 * state model, cross-checks and snapshots. */
#include "analyzer/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"

void
analyze_states(struct imcq_report *rep, const struct imcq_opts *o)
{
	size_t i;
	int64_t newest = IMCQ_NOTIME;

	for (i = 0; i < rep->ninv; i++)
		if (rep->inv[i].mtime != IMCQ_NOTIME && rep->inv[i].mtime > newest)
			newest = rep->inv[i].mtime;
	if (o->now != IMCQ_NOTIME) {
		rep->reference_time = o->now;
		rep->reference_source = "--now";
	} else {
		rep->reference_time = newest;
		rep->reference_source = "newest file time in the evidence";
	}
	for (i = 0; i < rep->nmsgs; i++) {
		struct imcq_message *m = rep->msgs[i];

		if (m->nsources)
			m->queue_time = m->sources[0].mtime;
		m->queue_time_source = "file mtime";
		if (m->damaged)
			m->state = IMCQ_ST_DAMAGED;
		else if (m->queue == IMCQ_Q_IN)
			m->state = IMCQ_ST_AWAITING_CONVERSION;
		else if (m->queue == IMCQ_Q_OUT_ARCHIVE || m->queue == IMCQ_Q_IN_ARCHIVE)
			m->state = IMCQ_ST_ARCHIVED;
		else if (m->queue == IMCQ_Q_PICKUP || m->queue == IMCQ_Q_PICKUP_ARCHIVE)
			m->state = IMCQ_ST_PICKUP;
		else
			m->state = IMCQ_ST_AWAITING_DELIVERY;
	}
}
