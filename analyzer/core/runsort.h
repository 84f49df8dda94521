/* SPDX-License-Identifier: MIT */
/*
 * runsort.h - an external merge sort of variable-length records (issue #9:
 * the timeline of a million messages is 3.6 million entries, 640 MB
 * rendered; sorting them in memory took 140 MiB of entries and read the
 * report's stores at random).
 *
 * The caller adds records in any order; they gather in a buffer of about
 * `mem` bytes, and each time it fills it is sorted and written, as a run,
 * to an unlinked temporary file (spill_tmpfile: $TMPDIR, else /tmp, mode
 * 0600).  runsort_next then hands the records back in order, merging the
 * runs (one read buffer each) with the records still in memory.  A run
 * that fits in the buffer never touches a file.
 *
 * The order is cmp's, and stable: records that compare equal come back
 * in the order they were added (qsort's order in glibc, a merge sort), so
 * that moving a sort out of memory does not change a byte of output.
 *
 * When no temporary file can be had, or a write to it fails (a full
 * disk), the buffer just grows: nothing is lost, the order is the same,
 * only the memory bound goes.  A read error of the sorter's own file
 * stops the program (imcq_die, exit 3), as the spill's does.
 *
 * IMCQ_SORT_MEM=N (bytes, at least 4096) sets every sorter's buffer, for
 * tests that make small runs; IMCQ_SORT_MEM=verbose says on stderr at
 * runsort_free how many records and runs a sorter had.  One thread.
 */
#ifndef IMCQ_RUNSORT_H
#define IMCQ_RUNSORT_H

#include <stdbool.h>
#include <stddef.h>

/* The buffer, unless IMCQ_SORT_MEM says otherwise: 32 MiB. */
#define RUNSORT_MEM	((size_t)32 << 20)

struct runsort;

/* Compare two records (a: an bytes, b: bn bytes), as strcmp does.  The
 * records are 8-byte aligned. */
typedef int (*runsort_cmp)(const void *a, size_t an, const void *b, size_t bn);

/* A sorter by cmp with a buffer of mem bytes (0: RUNSORT_MEM). */
struct runsort *runsort_new(runsort_cmp cmp, size_t mem);
/* Add a copy of n bytes (n < 4 GiB) at rec.  Not after runsort_next. */
void runsort_add(struct runsort *s, const void *rec, size_t n);
/* The records added so far. */
size_t runsort_count(const struct runsort *s);
/* The next record in order, in *rec (valid until the next call) and *n;
 * false after the last. */
bool runsort_next(struct runsort *s, const void **rec, size_t *n);
/* How many runs went to the file (0: the records stayed in memory). */
size_t runsort_runs(const struct runsort *s);
void runsort_free(struct runsort *s);

#endif
