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
 */
#ifndef IMCQ_INGEST_H
#define IMCQ_INGEST_H

#include "analyzer/core/model.h"
#include "formats/format.h"

/* Called once per regular member, data capped; the entry and its bytes are
 * valid only during the call.  The inventory row for the member is
 * rep->inv[inv_index]; the callback fills kind/bid/parsed. */
typedef void (*ingest_cb)(void *user, const struct imcq_entry *e, size_t inv_index);

struct ingest_progress {
	void (*tick)(void *user, uint64_t bytes, uint64_t members);
	void *user;
};

/*
 * Add rep->inputs[] for path and walk it.  Returns IMCQ_OK, IMCQ_SKIP when
 * the input could not be read at all (err says why; an anomaly is recorded
 * too), or IMCQ_FATAL.
 */
int ingest_input(struct imcq_report *rep, const char *path, int snapshot,
		 ingest_cb cb, void *user, const struct ingest_progress *prog,
		 struct imcq_err *err);

/*
 * Walk an INPUT that is already in memory: p[0..n) named name (an archive
 * by its magic, else a single file), as ingest_input() does for a path,
 * snapshot 0, no progress.  For tests and fuzzing.  p must stay valid
 * during the call.  IMCQ_OK, or IMCQ_SKIP when an archive cannot be opened
 * at all (an anomaly says why).
 */
int ingest_memory(struct imcq_report *rep, const char *name, const unsigned char *p,
		  size_t n, ingest_cb cb, void *user);

/* Does this look like an archive or compressed file libarchive reads? */
bool ingest_is_archive(const unsigned char *p, size_t n);

#endif
