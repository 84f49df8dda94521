/* SPDX-License-Identifier: MIT */
/*
 * textline.h - helpers shared by the text readers (gwart.c, routetxt.c,
 * tracking.c, protolog.c): bounded line iteration, span helpers, the date
 * and time scanners, and the GWART flat-line parser with its connector /
 * server-name extraction.
 *
 * Ownership: spans borrow the bytes they were cut from (a line lives
 * during its callback, see tl_lines_whole); the char * results (tl_excerpt, tl_*_server) are fresh strings
 * the caller frees; tl_add_table's record belongs to the report.  tl_parse_flat and the date scanners never allocate,
 * so a bid may use them.
 *
 * Diagnostics: only the line iterator reports, through anomaly_add on the
 * report it was given: "line-limit" (stops after lim->lines lines),
 * "line-too-long" (line cut at lim->line_bytes), "no-final-newline", and
 * from tl_lines_finish one "binary-data" for all lines holding control
 * bytes, its message ending in the caller's own words.
 */
#ifndef IMCQ_TEXTLINE_H
#define IMCQ_TEXTLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/format.h"

#define TL_FLAT_FIELDS	64	/* comma fields looked at in one flat line */
#define TL_MAX_TYPE	16	/* bytes of an address type word */
#define TL_MAX_COST	99999u	/* documented range is 1..100 (Q262952) */

/* ---- span helpers ------------------------------------------------------- */

static inline bool
tl_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
tl_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Bytes from..to of s (the caller keeps from <= to <= s.len). */
static inline struct span
tl_sub(struct span s, size_t from, size_t to)
{
	struct span r = { s.ptr + from, to - from };

	return r;
}

/* No control byte other than tab. */
bool tl_printable(struct span l);
/* A short, single-line excerpt of t for an anomaly message (caller frees). */
char *tl_excerpt(struct span t);
/* Read 1..maxd digits at *i into *out; false when none or too many. */
bool tl_digits(struct span s, size_t *i, size_t maxd, int *out);

/* ---- lines with limits -------------------------------------------------- */

/*
 * Lines are pushed: the reader feeds its bytes, whole or in chunks of any
 * size, and the iterator calls fn once per physical line, in order.  The
 * lines, their numbers and offsets, last and every anomaly are the same
 * however the bytes are cut.  line is capped at lim->line_bytes and valid
 * only during the call; last: no byte follows the line's end (a record
 * that ends the file may be truncated).  Fed in chunks, the iterator keeps
 * at most one line (lim->line_bytes) between two feeds.
 */
typedef void (*tl_line_fn)(void *user, struct span line, uint64_t no,
			   uint64_t off, bool last);

struct tl_lines {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	const char *binary_what;	/* end of the binary-data message */
	tl_line_fn fn;
	void *user;
	uint64_t no;		/* number of the last line delivered */
	uint64_t pos;		/* bytes fed so far */
	uint64_t nbinary;
	uint64_t first_binary_off, first_binary_line;
	/* the line not delivered yet: its first lim->line_bytes bytes */
	unsigned char *part;
	size_t part_len, part_alloc;
	uint64_t part_full;	/* its whole length so far */
	uint64_t part_off;
	bool in_part;		/* begun, its end not seen yet */
	bool held;		/* ended, waiting for a byte after it or the end */
	bool held_cr;		/* ...and it ended with CR: an LF next belongs to it */
	bool stopped;		/* the line limit was reached */
	uint64_t stop_off;
};

/* Lines of e's bytes, to fn(user, ...); binary_what ends the
 * "binary-data" message ("skipped, binary or damaged"). */
void tl_lines_init(struct tl_lines *L, const struct imcq_entry *e,
		   struct imcq_report *rep, const struct imcq_limits *lim,
		   const char *binary_what, tl_line_fn fn, void *user);
/* The next n bytes (valid only during the call). */
void tl_lines_feed(struct tl_lines *L, const unsigned char *p, size_t n);
/* A reader's feed() (format.h) when its state begins with its tl_lines:
 * tl_lines_feed on it. */
void tl_feed(void *state, const unsigned char *p, size_t n);
/* The end of the bytes: the last line, then "line-limit" if it was reached. */
void tl_lines_end(struct tl_lines *L);
/* All the bytes at once (feed and end): every line points into p, so a
 * reader may keep spans of earlier lines while p lives. */
void tl_lines_whole(struct tl_lines *L, const unsigned char *p, size_t n);
/* After the end: the binary-data anomaly, if any line held control bytes. */
void tl_lines_finish(struct tl_lines *L);
/* A log reader's last anomalies, after tl_lines_finish: skip_code (info)
 * for the nskipped lines before the first item past the `reported` ones
 * reported one by one, and none_code (warning) when nfound is 0 ("no WHAT
 * in N line(s)").  IMCQ_SKIP when nothing was found and lines were
 * binary, else IMCQ_OK. */
int tl_log_close(const struct tl_lines *L, size_t nskipped, size_t reported,
		 const char *skip_code, const char *item, size_t nfound,
		 const char *none_code, const char *what);
/* The table-file record of a routing table read through L (input, member,
 * mtime, snapshot and SHA-256 from the entry, line count from L). */
struct imcq_table_file *tl_add_table(const struct tl_lines *L, const char *table,
				     const char *style, int64_t newest);

/* ---- dates and times (read as written, no time zone) --------------------- */

/* Range-checked imcq_mktime. */
bool tl_make_time(int y, int mo, int d, int h, int mi, int s, int64_t *t);
/* M/D/YY[YY] h:mm[:ss] [AM|PM] at i. */
bool tl_date_us(struct span s, size_t i, int64_t *t);
/* YYYY-MM-DD[ T]HH:MM:SS at i. */
bool tl_date_iso(struct span s, size_t i, int64_t *t);
/* "Www Mmm D HH:MM:SS YYYY" (ctime) at i. */
bool tl_date_ctime(struct span s, size_t i, int64_t *t);
/* Newest of the above written anywhere in l (IMCQ_NOTIME when none). */
int64_t tl_newest_in_line(struct span l);
/* Tracking log "yyyy.m.d" at *i (no zero padding required). */
bool tl_date_dotted(struct span s, size_t *i, int *y, int *mo, int *d);
/* "h:mm:ss" at *i (no zero padding required). */
bool tl_clock(struct span s, size_t *i, int *h, int *mi, int *sec);

/* ---- connectors and the GWART flat line ----------------------------------- */

/* "Internet Mail Connector (X)" / "Internet Mail Service (X)" -> X. */
char *tl_ims_server(struct span name);
/* The server named by a DN: the cn after cn=Servers, else the last cn=. */
char *tl_dn_server(struct span dn);
/* Server of a connector name or DN; NULL when it names none. */
char *tl_connector_server(struct span name);

/* A cost: 1..5 digits, at most TL_MAX_COST, blanks around allowed. */
bool tl_all_digits(struct span s, uint64_t *v);

struct tl_flat {
	struct span type;
	struct span space;	/* without its final ';' */
	int cost;
	struct span conn[TL_FLAT_FIELDS];
	size_t nconn;
	const char *scope;	/* "organization", "site", "location" or NULL */
};

/* One flat GWART line "TYPE,space;,cost,connector[,connector...]"
 * (Q149121); never allocates. */
bool tl_parse_flat(struct span line, struct tl_flat *f);

#endif
