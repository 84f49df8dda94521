/* SPDX-License-Identifier: MIT */
/*
 * rfc822.c - a plain RFC 822 message file: a folder of .eml files, an
 * Out\Archive copy in "pure SMTP format" (Q300931), a Pickup file without
 * X- lines, a single message with an mbox "From " line in front.
 *
 * Documented: RFC 822 / RFC 5322 syntax (a header block of "Name: value"
 * fields with folded continuation lines, a blank line, the body).  When
 * such a file has no envelope of its own, the IMS Pickup takes the sender
 * from Sender, else From, and the recipients from To/Cc (Q201314); that is
 * what the record's envelope is derived from (env.source = rfc822-headers,
 * filled by analyzer/mime.c once the headers are parsed).
 *
 * Guessed: what "looks like a message".  The bid reads the first
 * IMCQ_BID_BYTES: an optional UTF-8 BOM and mbox "From " line, then
 * header lines with LF, CRLF or CR-only ends; the first line must be a
 * header, and there must be a well-known field name among them or at least
 * three header lines.  The bid stays below every format with a magic or a
 * marker line (at most 30), since almost any text looks a little like
 * mail.  A file read with this reader although it has no header block
 * (forced with --format) is still emitted, as a damaged record.
 */
#include "formats/format.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"

static const char *const known[] = {
	"from", "to", "cc", "bcc", "subject", "date", "message-id", "received",
	"return-path", "sender", "reply-to", "mime-version", "content-type",
	"content-transfer-encoding", "delivered-to", "x-mailer", "in-reply-to",
	"references", "x-priority", "importance", "x-sender", "x-receiver",
	"x-original-to", "x-apparently-to", "x-ms-tnef-correlator", "thread-topic",
	"envelope-to", "newsgroups", "organization", "user-agent", "list-id",
	"dkim-signature", "authentication-results", "x-originating-ip",
	"x-ms-embedded-report", "precedence", "auto-submitted",
};

struct look {
	size_t bom;		/* bytes of a UTF-8 BOM */
	size_t mbox_len;	/* bytes of an mbox "From " line, terminator included */
	unsigned headers;	/* header lines */
	unsigned known;		/* of them, well-known names */
	bool first_is_header;
};

/* Length of the field name when line is a header's first line, else 0. */
static size_t
header_name(struct span line)
{
	size_t i = 0, n;

	while (i < line.len && line.ptr[i] > 32 && line.ptr[i] < 127 && line.ptr[i] != ':')
		i++;
	n = i;
	while (i < line.len && (line.ptr[i] == ' ' || line.ptr[i] == '\t'))
		i++;
	return n > 0 && i < line.len && line.ptr[i] == ':' ? n : 0;
}

static bool
is_known(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == n && imcq_strncasecmp((const char *)p, known[i], n) == 0)
			return true;
	return false;
}

/* Look at the first n bytes (n < len: the last, partial line is left out). */
static void
look_at(const unsigned char *p, size_t n, bool whole, struct look *lk)
{
	struct span s;
	struct span line;
	size_t pos;
	bool first = true;

	memset(lk, 0, sizeof(*lk));
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		lk->bom = 3;
	s.ptr = p;
	s.len = n;
	pos = lk->bom;
	if (n - pos >= 5 && memcmp(p + pos, "From ", 5) == 0) {
		if (!span_next_line(s, &pos, &line))
			return;
		lk->mbox_len = pos - lk->bom;
	}
	for (;;) {
		size_t nl;

		if (!span_next_line(s, &pos, &line))
			break;
		if (!whole && pos >= n)
			break;		/* possibly cut by the window */
		if (line.len == 0)
			break;
		if (line.ptr[0] == ' ' || line.ptr[0] == '\t') {
			if (first)
				break;
			continue;
		}
		nl = header_name(line);
		if (nl == 0)
			break;
		if (first)
			lk->first_is_header = true;
		first = false;
		lk->headers++;
		if (is_known(line.ptr, nl))
			lk->known++;
	}
}

static int
score(const struct look *lk)
{
	int b;

	if (!lk->first_is_header || (lk->known == 0 && lk->headers < 3))
		return 0;
	b = 10 + 2 * (int)(lk->known < 8 ? lk->known : 8) + (lk->mbox_len ? 4 : 0);
	return b > 30 ? 30 : b;
}

static int
bid(const struct imcq_entry *e)
{
	struct look lk;
	size_t n = e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES;

	look_at(e->data, n, n == e->len, &lk);
	return score(&lk);
}

static bool
spool_place(enum imcq_place p)
{
	return p == IMCQ_PL_OUT || p == IMCQ_PL_IN || p == IMCQ_PL_WORK;
}

/* After an mbox "From " line, a further separator (a blank line, then
 * "From ") means several messages in one file: only the first part is
 * one record's headers, and the report should say so. */
static void
check_more_mbox(const struct imcq_entry *e, struct imcq_report *rep, size_t from)
{
	struct span s = { e->data, e->len };
	struct span line;
	size_t pos = from;
	bool blank = false;

	for (;;) {
		size_t at = pos;

		if (!span_next_line(s, &pos, &line))
			return;
		if (blank && line.len >= 5 && memcmp(line.ptr, "From ", 5) == 0) {
			anomaly_add(rep, "mbox-several-messages", IMCQ_SEV_WARNING, e->input,
				    e->member, at, "a further mbox \"From \" separator: this file "
				    "holds more than one message; it is read as one");
			return;
		}
		blank = line.len == 0;
	}
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct imcq_message *m = imcq_entry_message(e, "rfc822");
	struct imcq_report *rep = s->rep;
	struct look lk;
	size_t off;
	struct span body;

	look_at(e->data, e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES,
		e->len <= IMCQ_BID_BYTES, &lk);
	off = lk.bom + lk.mbox_len;
	m->im->env.source = IMCQ_ENV_RFC822;
	if (lk.mbox_len > 0) {
		struct span fl = { e->data + lk.bom, lk.mbox_len };
		char *t = span_dup(span_trim(fl));

		strv_push(&m->c.extra, xasprintf("mbox_from=%.200s", t));
		free(t);
		check_more_mbox(e, rep, off);
	}
	if (score(&lk) == 0) {
		message_damage(m, e->len == 0 ? "zero-length file" :
				  "not a message: no RFC 822 header block at the start");
		anomaly_add(rep, "not-a-message", IMCQ_SEV_WARNING, e->input, e->member, off,
			    "%s", m->damage);
	}
	if (e->base != NULL && imcq_is_spool_id(e->base, strlen(e->base)) &&
	    spool_place(e->place))
		anomaly_add(rep, "no-spool-envelope", IMCQ_SEV_INFO, e->input, e->member, 0,
			    "spool-named file without the ImCr..EwLs envelope: read as a "
			    "plain RFC 822 message, envelope derived from its headers");
	body.ptr = e->data + off;
	body.len = e->len - off;
	if (m->nsources > 0)
		m->sources[0].body_offset = off;
	s->message(s, e, m, body, off);
	return IMCQ_OK;
}

const struct imcq_format imcq_format_rfc822 = {
	.name = "rfc822",
	.summary = "plain RFC 822 message (.eml, archive copy, mbox single message)",
	.bid = bid,
	.read = read_entry,
};
