/* SPDX-License-Identifier: MIT */
/*
 * ingest.h - turn an INPUT (directory, file, or archive of any kind
 * libarchive reads, nested) into a stream of members.
 *
 * Evidence rules: files are opened O_RDONLY and never written; archives are
 * read in memory through libarchive's data calls and never extracted;
 * symbolic links are not followed.  Each member is hashed (SHA-256) while it
 * is read.  Its first 64 KiB are read first, and the visit's head step
 * says from them whether its reader streams: such a member is handed over
 * in chunks (begin, chunk, end), whatever its size, and never held whole.
 * Any other member is read whole; one larger than lim->entry_bytes is
 * hashed and listed but handed to the callback without data (e->data ==
 * NULL).  Archives inside archives are read whole (libarchive opens them
 * from memory; a zip's directory is at its end) up to lim->depth, and
 * their members are read as the outer ones are.  Every refusal (a bomb,
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
 * alone), and at most 8 MiB of a streamed member's chunks.  Every output
 * is the same with 1 or 2 threads.
 */
#ifndef IMCQ_INGEST_H
#define IMCQ_INGEST_H

#include "analyzer/core/model.h"
#include "formats/format.h"

/* Called once per regular member, data capped; the entry and its bytes are
 * valid only during the call.  The inventory row for the member is
 * rep->inv[inv_index]; the callback fills kind/bid/parsed. */
typedef void (*ingest_cb)(void *user, const struct imcq_entry *e, size_t inv_index);

/* Where the walk of one INPUT stands, for a progress line.  Every field
 * is a count the walk makes in member order, the same with one thread or
 * two (tests/cli/t0220-threads.sh compares the lines). */
struct ingest_progress {
	int input;		/* index of the INPUT */
	uint64_t bytes;		/* decompressed from it so far */
	uint64_t members;	/* members seen */
	/* An archive INPUT: its size, and how far into it the walk has
	 * read (the end of the last member read by the index, else the
	 * bytes libarchive read); both 0 for a folder or a single file. */
	uint64_t pos, size;
};

/* What ingest_input does with each member. */
struct ingest_visit {
	/* Optional.  On the thread that reads the member, on its first bytes
	 * (e->data, e->len: 64 KiB or the whole member; e->size: bytes read
	 * so far; no SHA-256), not on an archive: the reader chosen, for
	 * prepare or begin.  *stream = true: the member is streamed (begin,
	 * chunk, end, which are then required), else read whole (prepare
	 * and entry).  Same rules as prepare. */
	void *(*head)(void *user, const struct imcq_entry *e, bool *stream);
	/* Optional.  Work on the member alone (detection, and reading it
	 * into a private report), run on the thread that reads the member --
	 * the producer thread with two threads -- just before it is handed
	 * over: it must not touch the report or any other shared state.  It
	 * takes head's result (or NULL), and its own goes to entry().  spare:
	 * the calling thread has a backlog (half the queue or more), so this
	 * thread has time for more work; always false with one thread. */
	void *(*prepare)(void *user, const struct imcq_entry *e, bool spare, void *head);
	/* Once per regular member read whole, on the calling thread, in
	 * member order: as ingest_cb, plus prepare's result (head's without
	 * prepare; NULL without either), which entry owns. */
	void (*entry)(void *user, const struct imcq_entry *e, size_t inv_index, void *prep);
	/* A streamed member, on the calling thread, in member order (in
	 * place of entry).  begin: e has no data and stays valid, at the same
	 * address, until end; prep is head's result.  chunk: the member's
	 * bytes in order, in pieces of any size (IMCQ_STREAM_CHUNK=N cuts
	 * them to N bytes or fewer, for tests), valid only during the call.
	 * end: e now has the member's real size and SHA-256 (so has its
	 * inventory row); end owns prep.  An anomaly of the walk made while
	 * the member streams (damage, --max-total, --max-ratio) is put in
	 * the report where the member began, as a whole read would have. */
	void (*begin)(void *user, const struct imcq_entry *e, size_t inv_index, void *prep);
	void (*chunk)(void *user, void *prep, const unsigned char *p, size_t n);
	void (*end)(void *user, const struct imcq_entry *e, size_t inv_index, void *prep);
	/* Optional.  Frees head's result when it goes nowhere (a folder's
	 * file past --max-total is not listed), on head's thread. */
	void (*drop)(void *user, void *prep);
	/* Optional.  Progress after each member, on the calling thread
	 * (struct ingest_progress). */
	void (*tick)(void *user, const struct ingest_progress *p);
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
/* The same with a whole visit (streamed members too; no prepare spare,
 * no tick). */
int ingest_memory_visit(struct imcq_report *rep, const char *name, const unsigned char *p,
			size_t n, const struct ingest_visit *v);

/* Does this look like an archive or compressed file libarchive reads? */
bool ingest_is_archive(const unsigned char *p, size_t n);

#endif
