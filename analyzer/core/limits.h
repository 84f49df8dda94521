/* SPDX-License-Identifier: MIT */
/*
 * limits.h - every resource limit imcq applies to input, in one place.
 *
 * Each limit has a default here, a documented rationale, and (where a user
 * may need more) a command-line option that raises it; struct imcq_limits
 * carries the values in force for a run.  Exceeding a limit is never a
 * crash: the reader records an anomaly naming the limit and moves on.
 * README.md ("Limits") and `imcq help limits` list the same table; keep
 * them in step with this file.
 */
#ifndef IMCQ_LIMITS_H
#define IMCQ_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Largest member read into memory and parsed (--max-entry).  A member above
 * it is hashed while streaming and listed in the inventory, not parsed; when
 * its first 64 KiB are a message (spool, pickup, RFC 822 file), it is also a
 * damaged record (pipeline.c, too_large_message), and the exit code is 1.
 * 64 MiB covers any real IMS spool file (the IMS itself refuses far less). */
#define IMCQ_DEF_ENTRY_BYTES     ((uint64_t)64 << 20)
/* Total bytes decompressed from one INPUT, nested archives included
 * (--max-total).  The zip-bomb guard. */
#define IMCQ_DEF_TOTAL_BYTES     ((uint64_t)64 << 30)
/* Largest ratio of decompressed bytes to compressed bytes for one archive
 * once it has produced more than IMCQ_RATIO_FLOOR bytes (--max-ratio). */
#define IMCQ_DEF_RATIO           1000u
#define IMCQ_RATIO_FLOOR         ((uint64_t)16 << 20)
/* Nested archive depth (--max-depth).  An archive inside an archive inside
 * a folder is depth 2. */
#define IMCQ_DEF_DEPTH           8u
/* Members per INPUT (--max-members). */
#define IMCQ_DEF_MEMBERS         5000000u
/* Bytes of the envelope between ImCr and EwLs (--max-envelope). */
#define IMCQ_DEF_ENVELOPE_BYTES  ((uint64_t)4 << 20)
/* Envelope recipients kept per message (--max-rcpts).  The IMS limit is
 * 32,766 (Q272672); more are counted, not kept. */
#define IMCQ_DEF_RCPTS           40000u
/* Bytes of one header field, unfolded (--max-header). */
#define IMCQ_DEF_HEADER_BYTES    ((size_t)256 << 10)
/* Bytes of the whole header block (--max-header-block). */
#define IMCQ_DEF_HEADER_BLOCK    ((size_t)4 << 20)
/* MIME nesting depth and parts summarised per message (--max-mime-depth,
 * --max-mime-parts). */
#define IMCQ_DEF_MIME_DEPTH      32u
#define IMCQ_DEF_MIME_PARTS      1000u
/* Received hops parsed per message (--max-received). */
#define IMCQ_DEF_HOPS            200u
/* Lines read from one log or table file (--max-lines). */
#define IMCQ_DEF_LINES           20000000u
/* Bytes of one log line kept (--max-line). */
#define IMCQ_DEF_LINE_BYTES      ((size_t)64 << 10)
/* References carved from one Queue.dat (--max-qd-refs). */
#define IMCQ_DEF_QREFS           4000000u
/* Header fields listed per message, in order (--max-header-fields); the
 * analysis reads its own fields whatever their number. */
#define IMCQ_DEF_HEADER_FIELDS   4096u
/* PCRE2 limits for --where (--regex-match-limit / --regex-depth-limit). */
#define IMCQ_DEF_RE_MATCH        1000000u
#define IMCQ_DEF_RE_DEPTH        10000u
/* Bytes a reader bid may look at. */
#define IMCQ_BID_BYTES           ((size_t)8192)
/* Anomalies kept per run; more are counted in summary (--max-anomalies). */
#define IMCQ_DEF_ANOMALIES       100000u

struct imcq_limits {
	uint64_t entry_bytes;
	uint64_t total_bytes;
	unsigned ratio;
	unsigned depth;
	unsigned members;
	uint64_t envelope_bytes;
	unsigned rcpts;
	size_t header_bytes;
	size_t header_block;
	unsigned mime_depth;
	unsigned mime_parts;
	unsigned hops;
	unsigned lines;
	size_t line_bytes;
	unsigned qrefs;
	unsigned header_fields;
	unsigned re_match;
	unsigned re_depth;
	unsigned anomalies;
};

/* Fill *l with the defaults above. */
void imcq_limits_default(struct imcq_limits *l);

#endif
