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
 * while it reads them.  A thread looks every STORE_TRIM_MS and drops the
 * mapping's pages from the process when the process maps more than
 * STORE_BUDGET of files (MADV_DONTNEED: the bytes stay in the file), so
 * the resident set holds about that much of the store, not the store.  A block is never moved and never freed before
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

/* The trimming thread drops the mapping's pages when the process maps more
 * than this much of files beyond what it mapped when its first store
 * opened (the program's own text, the libraries): every trim costs the
 * readers a fault a page again, so it trims when there is something to
 * gain.  The stores' share of the resident set stays near this (plus what
 * the readers map between two looks, STORE_TRIM_MS apart).  16 MiB: at a
 * million messages 32 left the peak at 221-267 MiB against the 256 of
 * issue #9; the trims' cost is small since the event joins read through
 * the files (joins.c event_peek). */
#define STORE_BUDGET	((uint64_t)16 << 20)
/* ... and, after store_set_rss_floor(N), only when the whole resident set
 * passes N bytes as well (0, the default: the budget alone).  pipeline_run
 * sets STORE_RSS_FLOOR for ingest, and report_add_message takes it back
 * to 0 once the records pass the heap's share (rec_heap_max): a run whose
 * records stay in the heap (100,000 messages: 52 MB of store beside ~105
 * MiB of heap) is then never trimmed, and its passes fault each page once
 * rather than again after every trim (round 18: 0.3 s of system time and
 * 22,000 faults at 100k); a bigger run keeps to the budget as before (a
 * floor for the whole run took --json at 1M from 179 to 226 MiB). */
/* Under the floor (the resident set at the last look) store_read,
 * store_read_some and store_read_str also copy from the mapping instead
 * of calling pread: no look trims there, so the pages they map stay for
 * the next read. */
#define STORE_RSS_FLOOR	((uint64_t)160 << 20)
void store_set_rss_floor(uint64_t bytes);

/* Pacing, for the analysis (pipeline_run turns it on after ingest and off
 * when the analysis is done): a timer on the monotonic clock looks every
 * STORE_PACE_US, in a signal handler of whichever thread runs, and drops
 * the stores' pages when the process maps more than the budget.  The
 * trimming threads look every STORE_TRIM_MS, but two busy analysis
 * threads can leave them no core, and a pass that reads a field of every
 * record maps the whole record store in a few milliseconds (the kernel
 * maps 16 pages a fault).  A timer on the process's CPU time fired only
 * at the kernel's tick (4 ms at HZ=250), and the readers then mapped up
 * to 100 MiB between two looks at a million messages; the monotonic
 * clock's timer is a high-resolution one (76 MiB at 2 ms, 52 at 1 ms).
 * A look costs about 10 us (1% of a core at 1 ms); how many trims there
 * are depends on the budget, not on how often one looks.
 * The handler (signal STORE_PACE_SIG, SA_RESTART) makes only
 * async-signal-safe calls: a look that finds the budget kept costs an
 * open, a read and a close.  Nothing when no store is open or the timer
 * cannot be had. */
void store_pace(bool on);
/* For a pass that reads the stores at random -- a million missing records'
 * events, one fault a record, each fault mapping 16 pages: two threads map
 * tens of MiB between two of the pacing's looks -- call once an item:
 * every STORE_POLL_N calls on a thread, and at most once a STORE_POLL_US
 * in the process, it looks as the pacing does (the budget kept: an open,
 * a read and a close).  Nothing when no store is open. */
#define STORE_POLL_N	32
#define STORE_POLL_US	100
void store_poll(void);
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
/* Copy n bytes at `at` (in the store) to dst, or from src to `at`, through
 * the file (pread, pwrite), not the mapping: no page of the store becomes
 * resident, so a pass that reads or writes blocks out of the store's order
 * (report_gather) costs no fault a block and nothing for the trimmer.
 * What the mapping shows is the same bytes (the page cache's); the writes
 * go in pieces of 64 KiB, so that the page cache keeps small folios and a
 * fault maps no more than its fault-around.  False on
 * an I/O error; the range must lie in the store (BUG otherwise), and
 * store_write needs a store not sealed. */
bool store_read(const struct imcq_store *s, const void *at, void *dst, size_t n);
/* n bytes at `at` into dst: through s's file (store_read) when s holds
 * them, else copied in place (s may be NULL).  False on an I/O error. */
bool store_copy_out(const struct imcq_store *s, const void *at, void *dst, size_t n);
/* The NUL-terminated string at `at` into dst (cap bytes), through the
 * file as store_read: for a pass that reads strings at random.  False
 * when at is not in the store (s may be NULL), the string does not fit
 * or the read fails: read it in place then. */
bool store_read_str(const struct imcq_store *s, const char *at, char *dst, size_t cap);
/* Up to cap bytes from `at` to the end of what the store holds, into dst
 * through the file; how many (0: at not in the store, s NULL or a read
 * error). */
size_t store_read_some(const struct imcq_store *s, const void *at, void *dst, size_t cap);
bool store_write(struct imcq_store *s, void *at, const void *src, size_t n);
/* The blocks from the store's start up to end are no longer used: their
 * whole pages are given back (the file's blocks freed) and made
 * inaccessible, so that a pointer left to one faults instead of reading
 * zeros.  The store's next blocks are unaffected. */
void store_drop(struct imcq_store *s, const void *end);
/* Whether p points into the store (s may be NULL). */
bool store_holds(const struct imcq_store *s, const void *p);
/* No more puts; the blocks become read-only. */
void store_seal(struct imcq_store *s);
/* From now on the pages stay mapped once read (no trimming, read-around
 * again).  pipeline_run calls it on the main store when the analysis is
 * done and the messages' blocks are still there, in ingest's order (no
 * record went to the record store, so report_gather moved nothing: a
 * run below IMCQ_RECORDS_HEAP, ~180,000 messages): the report writers
 * read them in spool-id order, and trimming behind a reader that jumps
 * about costs a fault a page (issue #9: at 100k, --json took 2.5 faults
 * a message more and 1 s more of system time) and bounds little.  Not
 * for analyze's terminal summary (imcq_opts.summary_only), which reads a
 * few fields of each message, nor once the blocks were gathered: the
 * writers then read them in the order they lie, trimmed behind them. */
void store_keep(struct imcq_store *s);
/* The largest store pipeline_run keeps mapped so (store_size): a run of
 * 100,000 messages puts 52 MB in the main store; a Queue.dat and tracking
 * log of a million ids with one spool file, 156 MB of events' strings
 * that the writers then read in order, trimmed behind them. */
#define STORE_KEEP_MAX	((uint64_t)96 << 20)
/* How store_say names the store ("imcq-store LABEL: ..."; label static;
 * unlabelled: "imcq-store: ..."): a run has several (model.h). */
void store_label(struct imcq_store *s, const char *label);
/* Bytes put so far. */
uint64_t store_size(const struct imcq_store *s);
/* How many reads copied from the mapping (under the floor: above)
 * rather than through the file. */
uint64_t store_reads_in_place(const struct imcq_store *s);
/* IMCQ_STORE=verbose: say on stderr, once, how much the store took
 * (store_close does, or report_dispose when the report is not freed). */
void store_say(struct imcq_store *s);
/* Stop the trimming thread, unmap, close (the unlinked file goes). */
void store_close(struct imcq_store *s);

#endif
