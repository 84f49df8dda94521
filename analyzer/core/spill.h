/* SPDX-License-Identifier: MIT */
/*
 * spill.h - records written once to an unlinked temporary file and read
 * back by offset (the out-of-core half of the memory design, issue #9).
 *
 * A run keeps in memory what its analysis reads and writes the rest of
 * each message (what only the reports print) here, once, as it arrives;
 * the reports read it back when they print that message.  The file is
 * created in $TMPDIR (else /tmp) with mode 0600 and unlinked at once
 * (O_TMPFILE where the file system has it), so it never has a name that
 * outlives the process, even after a crash; it holds parsed facts about
 * the evidence, never input bytes, and the inputs are not touched.
 *
 * spill_put and spill_get may be called from any thread at once, with no
 * lock (issue #9: the analysis puts from two threads).  Each thread fills
 * its own extent of bytes in a 1 MiB chunk, and a chunk goes to the file when
 * every extent in it is complete; a record reads back from any thread as soon
 * as its put has returned.  Offsets are not in put order (threads
 * interleave) and the ends of extents are unused: no output may depend on
 * them.  A chunk holding the extent of a thread that puts nothing more
 * (or puts into another store) stays in memory until spill_close.
 *
 * When the file cannot be created, spill_open returns NULL and the caller
 * keeps its records in memory; when a write fails later (a full disk),
 * the store keeps the rest in memory, warns once on stderr, and every
 * record stays readable: a spill never loses a record and never changes
 * an output byte.
 */
#ifndef IMCQ_SPILL_H
#define IMCQ_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/err.h"

struct imcq_spill;

/* Open a store in dir (NULL: $TMPDIR, else /tmp).  NULL, with err set,
 * when no temporary file can be created there. */
struct imcq_spill *spill_open(const char *dir, struct imcq_err *err);
/* Store n bytes (n > 0); returns the record's offset.  Any thread. */
uint64_t spill_put(struct imcq_spill *s, const void *p, size_t n);
/* Copy the n bytes at off (from an earlier spill_put) into dst.  Any
 * thread.  A read error of the store's own file stops the program
 * (imcq_die, exit 3): the record cannot be had any other way. */
void spill_get(struct imcq_spill *s, uint64_t off, void *dst, size_t n);
/* Bytes taken so far (records and the unused ends of extents); bytes of them
 * held in memory (chunks not yet complete and, after a write error,
 * everything since). */
uint64_t spill_size(struct imcq_spill *s);
uint64_t spill_in_memory(struct imcq_spill *s);
/* Close and free (the unlinked file goes with its descriptor). */
void spill_close(struct imcq_spill *s);

/* A new temporary file in dir (NULL or "": $TMPDIR, else /tmp), mode
 * 0600, already unlinked, opened read-write; -1 with errno set. */
int spill_tmpfile(const char *dir);

/* Tests: make the next file write fail as a full disk would. */
void spill_test_fail_writes(struct imcq_spill *s);

#endif
