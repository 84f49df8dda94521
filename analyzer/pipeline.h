/* SPDX-License-Identifier: MIT */
/*
 * pipeline.h - one run: ingest -> detect -> read -> analyse.
 *
 * struct imcq_opts carries everything the command line sets.  pipeline_run
 * fills a struct imcq_report; the commands print it.  pipeline_replay
 * walks the inputs again and hands each message-bearing member's bytes to
 * a callback (recover and reinject use it: bytes are never kept in memory
 * for the whole run).
 *
 * Both walk the inputs with ingest_threads(o) threads (ingest.h): member
 * reading, decompression, hashing and detection in a producer thread,
 * the report, the readers, mime_fill and the replay callback in the
 * calling thread -- except that pipeline_run's producer also reads
 * message members (into a private report, added in order by the calling
 * thread) while the calling thread has a backlog.  See pipeline.c.
 */
#ifndef IMCQ_PIPELINE_H
#define IMCQ_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/core/model.h"
#include "formats/format.h"

struct imcq_opts {
	struct imcq_limits lim;
	int64_t now;			/* --now, or IMCQ_NOTIME */
	int64_t timeout_normal;		/* --timeout-normal (48h, Q184051) */
	int64_t timeout_urgent;		/* --timeout-urgent */
	int64_t timeout_nonurgent;	/* --timeout-nonurgent */
	int64_t first_retry;		/* --first-retry (15m, Q146669) */
	uint64_t max_message_size;	/* --max-message-size; 0 = from config or none */
	unsigned max_hops;		/* --max-hops for LOOP_SUSPECTED */
	int log_tz_minutes;		/* --log-tz: protocol-log local time offset from UTC */
	bool have_log_tz;
	const char *format;		/* --format NAME forces a reader */
	int progress;			/* 0 never, 1 auto, 2 always */
	bool quiet;
	unsigned threads;		/* --threads: 1 one thread, 2 overlap ingest; 0 auto */
	const char *where;		/* --where EXPR */
	/* A lean run prints no message detail and no digest (`analyze`
	 * without --json or -o: the terminal summary; `list` without
	 * --json), and its --where, if any, reads no header field: the
	 * messages' details -- their cold fields and the texts and evidence
	 * of their findings, which only the reports print -- are dropped as
	 * soon as they are made, neither encoded nor spilled, and no member
	 * or input is hashed (issue #9; model.h imcq_report.drop_details,
	 * no_hashes).  cli_lean() sets it. */
	bool lean;
	/* The outputs are `analyze`'s terminal summary: a few fields of
	 * each message, so the store goes on trimming after the analysis
	 * whatever the run's size (core/store.h store_keep). */
	bool summary_only;
	const char *const *inputs;
	size_t ninputs;
};

void opts_default(struct imcq_opts *o);

/* Threads ingest uses for o: o->threads, or when 0, 2 if more than one
 * CPU is online, else 1.  Never more than 2 (there are two stages). */
unsigned ingest_threads(const struct imcq_opts *o);

/* Run the whole analysis.  IMCQ_OK; IMCQ_SKIP when no input could be read
 * (err says why); anomalies and rep->unreadable say what else failed. */
int pipeline_run(struct imcq_report *rep, const struct imcq_opts *o, struct imcq_err *err);
/* Whether progress lines go to stderr (--progress, a terminal, -q). */
bool pipeline_progress(const struct imcq_opts *o);

/* Called for each member that yielded a message: m is the message (owned
 * by rep), data the member bytes (valid during the call only). */
typedef void (*replay_cb)(void *user, struct imcq_message *m,
			  const struct imcq_source *src,
			  const unsigned char *data, size_t len);
int pipeline_replay(struct imcq_report *rep, const struct imcq_opts *o,
		    replay_cb cb, void *user, struct imcq_err *err);

/* Find a message by spool id (first match in sort order), or NULL. */
struct imcq_message *report_find_message(const struct imcq_report *rep, const char *id);

/* Analysis stages (analyzer/states.c, analyzer/routing.c). */
void analyze_states(struct imcq_report *rep, const struct imcq_opts *o);
void analyze_routing(struct imcq_report *rep, const struct imcq_opts *o);

#endif
