/* SPDX-License-Identifier: MIT */
/*
 * format.h - the reader interface.  One formats/<name>.c per artifact, each
 * exporting exactly one `const struct imcq_format imcq_format_<name>`;
 * formats/registry.c is the only list of them (cheap bidders first).
 *
 * Input: a whole member as an immutable byte span (struct imcq_entry),
 * capped by --max-entry; or, for a reader that streams (open, feed,
 * close), the member in chunks, whatever its size.  Readers never open
 * files, never call libarchive, never include GMime or cJSON: they know
 * byte layouts only.
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
 *
 * Streaming (optional; the line-based logs): open() on the entry without
 * its data (data NULL, len 0; size 0 and sha256 NULL until close), feed()
 * with each chunk in order (the bytes are valid only during the call),
 * close() for the end and read()'s return value; it frees the state.
 * The entry stays valid, at the same address, from open to close, and
 * has its real size and SHA-256 when close() is called.  The result must
 * not depend on where the chunks are cut.  read() of such a reader is
 * imcq_read_whole(): open, one feed of the whole data, close.
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
	const unsigned char *data;	/* whole member, capped (NULL: streamed) */
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
	/* Optional, all three or none: the reader streams (see above). */
	void *(*open)(const struct imcq_entry *e, struct imcq_sink *s);
	void (*feed)(void *state, const unsigned char *p, size_t n);
	int (*close)(void *state);
};

/* The registry (formats/registry.c). */
size_t imcq_format_count(void);
const struct imcq_format *imcq_format_at(size_t i);
const struct imcq_format *imcq_format_find(const char *name);

/* read() of a reader that streams: e's data in one feed. */
int imcq_read_whole(const struct imcq_format *f, const struct imcq_entry *e,
		    struct imcq_sink *s);

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
