/* SPDX-License-Identifier: MIT */
/*
 * store.h - blocks written once to an unlinked temporary file and read in
 * place through a mapping of it (issue #9: the out-of-core half of the
 * memory design for what the analysis reads, where spill.h holds what only
 * the reports read).
 *
 * store_put copies a block into the file, through a shared mapping of it,
 * and returns the block's address in that mapping: the caller points at it
 * instead of its heap copy (a message's strings, model.h message_store).
 * The bytes live in the file's pages in the page cache, which the kernel
 * writes back and reclaims like any file's; the process maps them only
 * while it reads them.  A thread drops the mapping's pages from the
 * process every STORE_TRIM_MS (MADV_DONTNEED: the bytes stay in the file),
 * so the resident set holds what was read in the last few milliseconds,
 * not the store.  A block is never moved and never freed before
 * store_close.
 *
 * The file is created like the spill's (spill_tmpfile: $TMPDIR, else /tmp,
 * mode 0600, unlinked at once) and grown by fallocate before it is mapped,
 * so a full disk makes store_put return NULL (the caller keeps its heap
 * copy), never a SIGBUS.  store_seal makes the mapping read-only: the
 * blocks are immutable, and a write into one is a crash, not a silent
 * change of the evidence's facts.
 *
 * store_put and store_seal: one thread (the calling thread, at ingest);
 * reading blocks: any thread.  IMCQ_STORE=off turns the store off
 * (store_open returns NULL, everything stays in the heap), IMCQ_STORE=max:N
 * lets it take N bytes (the rest stays in the heap), IMCQ_STORE=verbose
 * (or max:N,verbose) says on stderr at close how much it took: tests
 * compare them.
 */
#ifndef IMCQ_STORE_H
#define IMCQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/err.h"

struct imcq_store;

/* Open a store in dir (NULL: $TMPDIR, else /tmp).  NULL, with err set,
 * when IMCQ_STORE=off or no temporary file or address range can be had. */
struct imcq_store *store_open(const char *dir, struct imcq_err *err);
/* Room for n bytes (n > 0) in the store, zero-filled (fallocated file
 * space) and aligned for any pointer, for the caller to fill before
 * store_seal; NULL when the store is full, sealed or its file cannot
 * grow. */
void *store_alloc(struct imcq_store *s, size_t n);
/* Copy n bytes (n > 0) into the store (store_alloc, then the copy); their address there (aligned for
 * any pointer), or NULL when the store is full, sealed or its file cannot
 * grow (keep p).  Until store_seal the caller may write into the copy. */
void *store_put(struct imcq_store *s, const void *p, size_t n);
/* Whether p points into the store (s may be NULL). */
bool store_holds(const struct imcq_store *s, const void *p);
/* No more puts; the blocks become read-only. */
void store_seal(struct imcq_store *s);
/* From now on the pages stay mapped once read (no trimming, read-around
 * again): for the report writers, which visit the messages in spool-id
 * order, not the store's -- trimming behind a reader that jumps about
 * costs a fault a page and bounds nothing (issue #9: --json at 1M took
 * 3x as long, list 1.25x).  pipeline_run calls it when the analysis is
 * done, unless the output is analyze's terminal summary
 * (imcq_opts.summary_only), which reads a few fields of each message:
 * without trimming they would map the whole store. */
void store_keep(struct imcq_store *s);
/* Bytes put so far. */
uint64_t store_size(const struct imcq_store *s);
/* IMCQ_STORE=verbose: say on stderr, once, how much the store took
 * (store_close does, or report_dispose when the report is not freed). */
void store_say(struct imcq_store *s);
/* Stop the trimming thread, unmap, close (the unlinked file goes). */
void store_close(struct imcq_store *s);

#endif
