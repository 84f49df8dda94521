/* SPDX-License-Identifier: MIT */
/*
 * format.h - the reader interface.  One formats/<name>.c per artifact, each
 * exporting exactly one `const struct imcq_format imcq_format_<name>`;
 * formats/registry.c is the only list of them (cheap bidders first).
 *
 * Input: a whole member as an immutable byte span (struct imcq_entry),
 * capped by --max-entry.  Readers never open files, never call libarchive,
 * never include GMime or cJSON: they know byte layouts only.
 *
 * Bid contract (libarchive's, STYLE.md 5.4): look at no more than
 * IMCQ_BID_BYTES of data plus the member name and place; never allocate,
 * never fail; return 0 for "not mine", otherwise a confidence roughly equal
 * to the bits of evidence checked (a 4-byte magic = 32, a file name = 8).
 *
 * read(): parse the entry into the report through the sink.  Damage is an
 * anomaly (anomaly_add with the offset) and the reader carries on where it
 * can.  Return IMCQ_OK, or IMCQ_SKIP when the entry was hopeless (it then
 * still appears in the inventory, and message-bearing readers must still
 * have emitted a damaged message record for it).
 */
#ifndef IMCQ_FORMAT_H
#define IMCQ_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/model.h"
#include "analyzer/core/rd.h"

struct imcq_entry {
	int input;			/* index of the INPUT */
	int snapshot;
	const char *member;		/* path as stored, nested as "a.zip!/b/c" */
	const char *base;		/* last path component */
	enum imcq_place place;
	const unsigned char *data;	/* whole member, capped */
	size_t len;
	uint64_t size;			/* real size of the member */
	int64_t mtime;			/* IMCQ_NOTIME when not known */
	const char *sha256;		/* hex of the whole member */
};

struct imcq_sink;

/*
 * Called by message-bearing readers (spool, pickup, rfc822) once per
 * member: m has its envelope (and damage) filled and one source; body is
 * the RFC 822 part (may be empty), body_off its offset in the member.  The
 * sink takes ownership of m.
 */
typedef void (*imcq_message_cb)(struct imcq_sink *s, const struct imcq_entry *e,
				struct imcq_message *m, struct span body,
				uint64_t body_off);

struct imcq_sink {
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	imcq_message_cb message;
	void *user;
};

struct imcq_format {
	const char *name;	/* stable id: inventory "kind", --format */
	const char *summary;	/* one line for `imcq help formats` */
	int (*bid)(const struct imcq_entry *e);
	int (*read)(const struct imcq_entry *e, struct imcq_sink *s);
	/* Optional, for a bid that reads much of the data: a cheap upper
	 * bound of bid(e).  detect_entry() skips bid(e) when the bound is
	 * below a bid already made (it can then neither win nor tie). */
	int (*max_bid)(const struct imcq_entry *e);
};

/* The registry (formats/registry.c). */
size_t imcq_format_count(void);
const struct imcq_format *imcq_format_at(size_t i);
const struct imcq_format *imcq_format_find(const char *name);

/* Helper for message readers: a new message with one source from e. */
struct imcq_message *imcq_entry_message(const struct imcq_entry *e, const char *format);

extern const struct imcq_format imcq_format_spool;
extern const struct imcq_format imcq_format_pickup;
extern const struct imcq_format imcq_format_rfc822;
extern const struct imcq_format imcq_format_queuedat;
extern const struct imcq_format imcq_format_gwart;
extern const struct imcq_format imcq_format_routetxt;
extern const struct imcq_format imcq_format_tracking;
extern const struct imcq_format imcq_format_protolog;
extern const struct imcq_format imcq_format_regexport;
extern const struct imcq_format imcq_format_imccopy;

#endif
