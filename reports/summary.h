/* SPDX-License-Identifier: MIT */
/*
 * summary.h - counts derived from a report, shared by the JSON, HTML and
 * terminal writers: messages by state, by destination domain, findings by
 * code, and a qshape-style table (Postfix qshape: destination domain x age,
 * buckets from 5 minutes doubling).  Only queued copies count in the
 * domain and age tables (not Archive copies, not missing or damaged ones).
 */
#ifndef IMCQ_SUMMARY_H
#define IMCQ_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/model.h"

#define SUMMARY_BUCKETS 12	/* 5,10,...,5120 minutes, and older */

struct summary_domain {
	char *domain;
	size_t messages;
	size_t recipients;
	size_t buckets[SUMMARY_BUCKETS];
};

struct summary_code {
	char *code;
	size_t count;
};

struct summary {
	size_t messages;
	size_t by_state[IMCQ_ST_COUNT];
	size_t by_queue[IMCQ_Q_COUNT];
	struct summary_domain *domains;	/* sorted: messages desc, then name */
	size_t ndomains, domcap;
	size_t totals[SUMMARY_BUCKETS];
	size_t queued;			/* messages counted in the tables */
	struct summary_code *codes;	/* findings by code, sorted by code */
	size_t ncodes, codecap;
};

/* Upper bound in minutes of bucket i (0 for the last, open bucket). */
unsigned summary_bucket_minutes(size_t i);
/* Label of bucket i: "5m", ..., "5120m+". */
const char *summary_bucket_label(size_t i);
/* Is m a queued copy counted in the domain and age tables? */
int summary_counts_queued(const struct imcq_message *m);
void summary_build(struct summary *s, const struct imcq_report *rep);
void summary_release(struct summary *s);

#endif
