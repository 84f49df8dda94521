/* SPDX-License-Identifier: MIT */
/*
 * ingest.h - turn an INPUT (directory, file, or archive of any kind
 * libarchive reads, nested) into a stream of members.
 *
 * Evidence rules: files are opened O_RDONLY and never written; archives are
 * read in memory through libarchive's data calls and never extracted;
 * symbolic links are not followed.  Each member is hashed (SHA-256) while it
 * is read; a member larger than lim->entry_bytes is hashed and listed but
 * handed to the callback without data (e->data == NULL).  Archives inside
 * archives are opened from memory up to lim->depth.  Every refusal (a bomb,
 * an encrypted member, a link, a path with "..") is an anomaly; the run goes
 * on.  Members of a directory are visited in byte order of their names, so
 * output does not depend on readdir order.
 *
 * Threads: with threads >= 2, a directory or archive INPUT is walked
 * (read, decompressed, nested archives opened, members hashed) by a
 * producer thread, while the calling thread runs the callback, adds the
 * inventory rows and anomalies and calls the progress tick, in the order
 * a single-threaded walk does them; the producer never touches the report.
 * The callback and the progress tick always run in the calling thread, so
 * they need no locks; only the optional prepare step (ingest_visit) runs
 * on the producer.  At most 1024 events (two or three per member) or
 * 64 MiB of member data wait between the two (a bigger member passes
 * alone).  Every output is the same with 1 or 2 threads.
 */
#ifndef IMCQ_INGEST_H
#define IMCQ_INGEST_H

#include "analyzer/core/model.h"
#include "formats/format.h"

/* Called once per regular member, data capped; the entry and its bytes are
 * valid only during the call.  The inventory row for the member is
 * rep->inv[inv_index]; the callback fills kind/bid/parsed. */
typedef void (*ingest_cb)(void *user, const struct imcq_entry *e, size_t inv_index);

/* What ingest_input does with each member. */
struct ingest_visit {
	/* Optional.  Work on the member alone (detection, and reading it
	 * into a private report), run on the thread that reads the member --
	 * the producer thread with two threads -- just before it is handed
	 * over: it must not touch the report or any other shared state.  Its
	 * result goes to entry().  spare: the calling thread has a backlog
	 * (half the queue or more), so this thread has time for more work;
	 * always false with one thread. */
	void *(*prepare)(void *user, const struct imcq_entry *e, bool spare);
	/* Once per regular member, on the calling thread, in member order:
	 * as ingest_cb, plus prepare's result (NULL without prepare), which
	 * entry owns. */
	void (*entry)(void *user, const struct imcq_entry *e, size_t inv_index, void *prep);
	/* Optional.  Progress after each member, on the calling thread:
	 * bytes decompressed from the INPUT so far, members seen. */
	void (*tick)(void *user, uint64_t bytes, uint64_t members);
	void *user;
};

/*
 * Add rep->inputs[] for path and walk it, with 1 or 2 threads (see
 * above; a single-file INPUT is always read in the calling thread).
 * Returns IMCQ_OK, IMCQ_SKIP when the input could not be read at all (err
 * says why; an anomaly is recorded too), or IMCQ_FATAL.
 */
int ingest_input(struct imcq_report *rep, const char *path, int snapshot,
		 const struct ingest_visit *v, unsigned threads, struct imcq_err *err);

/*
 * Walk an INPUT that is already in memory: p[0..n) named name (an archive
 * by its magic, else a single file), as ingest_input() does for a path,
 * snapshot 0, no progress.  For tests and fuzzing.  p must stay valid
 * during the call.  Always one thread.  IMCQ_OK, or IMCQ_SKIP when an
 * archive cannot be opened at all (an anomaly says why).
 */
int ingest_memory(struct imcq_report *rep, const char *name, const unsigned char *p,
		  size_t n, ingest_cb cb, void *user);

/* Does this look like an archive or compressed file libarchive reads? */
bool ingest_is_archive(const unsigned char *p, size_t n);

#endif
