/* SPDX-License-Identifier: MIT */
/*
 * test_mime.c - analyzer/mime.c: header decoding, line ends, Received
 * hops, the MIME summary, caps, envelope derivation; then a walk of the
 * real-mail corpus ($IMCQ_CORPUS) through the message readers.  With
 * IMCQ_MIME_DUMP=FILE set, the walk writes one JSON line per corpus file
 * (tests/cli/t0300-corpus.sh compares them with Python's email package
 * when the CLI cannot be used).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/mime.h"
#include "formats/format.h"
#include "tests/unit/test.h"
#include "tests/unit/unit_util.h"

static const char zeros[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Fill a fresh message from text (n bytes) with the default limits or
 * lim; the caller frees m and releases rep. */
static struct imcq_message *
fill_lim(const char *text, size_t n, struct imcq_report *rep, const struct imcq_limits *lim)
{
	struct imcq_message *m = message_new();
	struct imcq_source src;
	struct span s = { (const unsigned char *)text, n };

	memset(&src, 0, sizeof(src));
	src.input = 0;
	src.member = (char *)"test/member";
	message_add_source(m, &src);
	m->spool_id = xstrdup("3SW32JRP");
	mime_fill(m, s, 0, rep, lim ? lim : &rep->lim);
	return m;
}

static struct imcq_message *
fill(const char *text, struct imcq_report *rep)
{
	report_init(rep);
	return fill_lim(text, strlen(text), rep, NULL);
}

static const char *
field(const struct imcq_message *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->im->hdr.nall; i++)
		if (imcq_strcasecmp(m->c.all[i].name, name) == 0)
			return m->c.all[i].value;
	return NULL;
}

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	int64_t t = 0;

	(void)imcq_mktime(y, mo, d, h, mi, s, &t);
	return t;
}

/* --- subjects ------------------------------------------------------------ */

TEST(test_rfc2047_q)
{
	struct imcq_report rep;
	struct imcq_message *m = fill("Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\n\nb\n", &rep);

	ASSERT_EQ_STR(m->im->hdr.subject, "Caf\xc3\xa9 cr\xc3\xa8me");
	ASSERT_EQ_STR(m->im->hdr.subject_raw, NULL);
	message_free(m);
	report_release(&rep);
}

TEST(test_rfc2047_b)
{
	struct imcq_report rep;
	struct imcq_message *m =
		fill("Subject: =?UTF-8?B?w6lsw6h2ZQ==?= =?utf-8?q?_et_ma=C3=AEtre?=\r\n\r\nb\r\n", &rep);

	ASSERT_EQ_STR(m->im->hdr.subject, "\xc3\xa9l\xc3\xa8ve et ma\xc3\xaetre");
	ASSERT_EQ_STR(m->im->hdr.subject_raw, NULL);
	message_free(m);
	report_release(&rep);
}

TEST(test_latin1_8bit)
{
	struct imcq_report rep;
	struct imcq_message *m = fill("Subject: Caf\xe9 na\xefve\n\nb\n", &rep);

	ASSERT_EQ_STR(m->im->hdr.subject, "Caf\xc3\xa9 na\xc3\xafve");
	ASSERT_EQ_STR(m->im->hdr.subject_raw, "Caf\xe9 na\xefve");
	message_free(m);
	report_release(&rep);

	/* an encoded word in a charset nobody knows: raw kept too */
	m = fill("Subject: =?x-no-such-charset?Q?abc?=\n\nb\n", &rep);
	ASSERT(m->im->hdr.subject != NULL);
	ASSERT_EQ_STR(m->im->hdr.subject_raw, "=?x-no-such-charset?Q?abc?=");
	message_free(m);
	report_release(&rep);
}

TEST(test_folded_subject)
{
	struct imcq_report rep;
	struct imcq_message *m =
		fill("Subject: part one of a long subject that the IMS folded at\r\n"
		     " character 65 (Q275504)\r\nTo: a@example.com\r\n\r\nb\r\n", &rep);

	ASSERT_EQ_STR(m->im->hdr.subject,
		      "part one of a long subject that the IMS folded at character 65 (Q275504)");
	ASSERT_EQ_INT(m->c.to.n, 1);
	message_free(m);
	report_release(&rep);
}

/* --- line ends ------------------------------------------------------------ */

TEST(test_cr_only)
{
	static const char text[] =
		"Return-Path: <a@example.org>\r"
		"From: A <a@example.org>\r"
		"To: b@example.com,\r"
		"  c@example.com\r"
		"Subject: cr\r"
		"  only\r"
		"MIME-Version: 1.0\r"
		"Content-Type: multipart/mixed; boundary=\"XX\"\r"
		"\r"
		"--XX\r"
		"Content-Type: text/plain\r"
		"\r"
		"hello\r"
		"--XX--\r";
	struct imcq_report rep;
	struct imcq_message *m = fill(text, &rep);

	ASSERT_EQ_STR(m->line_ends, "cr");
	ASSERT(m->final_newline);
	ASSERT_EQ_STR(m->im->hdr.subject, "cr  only");
	ASSERT_EQ_STR(m->c.from, "a@example.org");
	ASSERT_EQ_INT(m->c.to.n, 2);
	ASSERT_EQ_INT(m->c.nparts, 2);
	ASSERT(m->c.nparts == 2 && strcmp(m->c.parts[1].content_type, "text/plain") == 0);
	ASSERT_EQ_INT(m->size, sizeof(text) - 1);
	message_free(m);
	report_release(&rep);
}

TEST(test_final_newline_and_hash)
{
	static const char text[] = "Subject: x\n\nno newline at the end";
	struct imcq_report rep;
	struct imcq_message *m = fill(text, &rep);
	char want[65], got[65];

	sha256_hex(text, sizeof(text) - 1, want);
	ASSERT(!m->final_newline);
	ASSERT_EQ_STR(m->line_ends, "lf");
	message_body_sha256_hex(m, got);
	ASSERT_EQ_STR(got, want);
	ASSERT_EQ_STR(m->im->hdr.subject, "x");
	message_free(m);
	report_release(&rep);

	m = fill("Subject: x\r\n\nmixed\r\n", &rep);
	ASSERT_EQ_STR(m->line_ends, "mixed");
	message_free(m);
	report_release(&rep);
	m = fill("Subject: x\r\n\r\ncrlf\r\n", &rep);
	ASSERT_EQ_STR(m->line_ends, "crlf");
	message_free(m);
	report_release(&rep);

	/* an empty RFC 822 part: facts, no parse */
	report_init(&rep);
	m = fill_lim("", 0, &rep, NULL);
	ASSERT_EQ_STR(m->line_ends, "none");
	ASSERT_EQ_INT(m->size, 0);
	sha256_hex("", 0, want);
	message_body_sha256_hex(m, got);
	ASSERT_EQ_STR(got, want);
	message_free(m);
	report_release(&rep);
}

/* --- Received, Date, ids ---------------------------------------------------- */

TEST(test_received_ims)
{
	static const char text[] =
		"Received: from mail.example.org by EXCH1.example.com with SMTP\r\n"
		" (Microsoft Exchange Internet Mail Service Version 5.5.2653.13)\r\n"
		"\tid 3SW32JRP; Tue, 24 Nov 2026 10:15:00 -0500\r\n"
		"Received: from relay.example.org (relay [192.0.2.1]) by mail.example.org\r\n"
		"  (8.9.3/8.9.3; comment; with a semicolon) with ESMTP id KAA01234\r\n"
		"  for <bob@example.com>; Tue, 24 Nov 2026 15:14:00 +0000 (GMT)\r\n"
		"Received: by exch2.example.net with Internet Mail Service (5.5.2653.19)\r\n"
		"\tid <K2ZC1TZV>; Mon, 23 Nov 2026 12:00:00 +0100\r\n"
		"Date: Tue, 24 Nov 2026 10:14:00 -0500\r\n"
		"Message-ID: <abc.123@example.org>\r\n"
		"X-Priority: 1 (Highest)\r\n"
		"Importance: high\r\n"
		"\r\n"
		"b\r\n";
	struct imcq_report rep;
	struct imcq_message *m = fill(text, &rep);
	const struct imcq_hop *h;

	ASSERT_EQ_INT(m->im->hdr.nreceived, 3);
	if (m->im->hdr.nreceived != 3) {
		message_free(m);
		report_release(&rep);
		return;
	}
	h = &m->im->hdr.received[0];
	ASSERT_EQ_STR(h->from, "mail.example.org");
	ASSERT_EQ_STR(h->by, "EXCH1.example.com");
	ASSERT_EQ_STR(h->with, "SMTP");
	ASSERT_EQ_STR(h->id, "3SW32JRP");
	ASSERT_EQ_STR(h->date_raw, "Tue, 24 Nov 2026 10:15:00 -0500");
	ASSERT_EQ_INT(h->date, utc(2026, 11, 24, 15, 15, 0));
	h = &m->im->hdr.received[1];
	ASSERT_EQ_STR(h->from, "relay.example.org");
	ASSERT_EQ_STR(h->by, "mail.example.org");
	ASSERT_EQ_STR(h->with, "ESMTP");
	ASSERT_EQ_STR(h->id, "KAA01234");
	ASSERT_EQ_STR(h->for_addr, "bob@example.com");
	ASSERT_EQ_INT(h->date, utc(2026, 11, 24, 15, 14, 0));
	h = &m->im->hdr.received[2];
	ASSERT_EQ_STR(h->from, NULL);
	ASSERT_EQ_STR(h->by, "exch2.example.net");
	ASSERT_EQ_STR(h->with, "Internet Mail Service");
	ASSERT_EQ_STR(h->id, "K2ZC1TZV");
	ASSERT_EQ_INT(h->date, utc(2026, 11, 23, 11, 0, 0));
	/* the topmost IMS hop gives the id, equal to the file name */
	ASSERT_EQ_STR(m->ims_id, "3SW32JRP");
	ASSERT(unit_anomaly(&rep, "ims-id-mismatch") == NULL);
	ASSERT_EQ_INT(m->im->hdr.date, utc(2026, 11, 24, 15, 14, 0));
	ASSERT_EQ_STR(m->c.date_raw, "Tue, 24 Nov 2026 10:14:00 -0500");
	ASSERT_EQ_STR(m->im->hdr.message_id, "abc.123@example.org");
	ASSERT_EQ_STR(m->c.x_priority, "1 (Highest)");
	ASSERT_EQ_STR(m->c.importance, "high");
	ASSERT_EQ_INT(m->im->hdr.nall, 7);
	ASSERT_EQ_STR(field(m, "importance"), "high");
	message_free(m);
	report_release(&rep);

	/* under another name: the mismatch is reported */
	report_init(&rep);
	m = message_new();
	m->spool_id = xstrdup("ZZZZZZZZ");
	mime_fill(m, (struct span){ (const unsigned char *)text, sizeof(text) - 1 }, 100,
		  &rep, &rep.lim);
	ASSERT(unit_anomaly(&rep, "ims-id-mismatch") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "ims-id-mismatch")->offset, 100);
	message_free(m);
	report_release(&rep);

	/* a Date nobody can read */
	m = fill("Date: the day after tomorrow\nSubject: d\n\nb\n", &rep);
	ASSERT_EQ_INT(m->im->hdr.date, IMCQ_NOTIME);
	ASSERT(unit_anomaly(&rep, "bad-date") != NULL);
	message_free(m);
	report_release(&rep);
}

/* --- MIME ------------------------------------------------------------------ */

TEST(test_multipart_summary)
{
	static const char text[] =
		"From: a@example.org\n"
		"To: b@example.com\n"
		"Subject: parts\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"outer\"\n"
		"\n"
		"preamble\n"
		"--outer\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"caf=E9\n"
		"--outer\n"
		"Content-Type: application/octet-stream; name=\"a.bin\"\n"
		"Content-Transfer-Encoding: base64\n"
		"Content-Disposition: attachment; filename=\"a.bin\"\n"
		"\n"
		"AAECAwQFBgcICQ==\n"
		"--outer\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"Subject: inner\n"
		"Content-Type: text/html; charset=utf-8\n"
		"\n"
		"<p>x</p>\n"
		"--outer--\n";
	struct imcq_report rep;
	struct imcq_message *m = fill(text, &rep);

	ASSERT_EQ_INT(m->c.nparts, 5);
	if (m->c.nparts == 5) {
		ASSERT_EQ_STR(m->c.parts[0].path, "1");
		ASSERT_EQ_STR(m->c.parts[0].content_type, "multipart/mixed");
		ASSERT_EQ_STR(m->c.parts[1].path, "1.1");
		ASSERT_EQ_STR(m->c.parts[1].charset, "iso-8859-1");
		ASSERT_EQ_STR(m->c.parts[1].encoding, "quoted-printable");
		ASSERT_EQ_STR(m->c.parts[2].path, "1.2");
		ASSERT_EQ_STR(m->c.parts[2].filename, "a.bin");
		ASSERT_EQ_STR(m->c.parts[2].encoding, "base64");
		ASSERT_EQ_INT(m->c.parts[2].size, 16);	/* the last line break belongs to the boundary */
		ASSERT_EQ_STR(m->c.parts[3].content_type, "message/rfc822");
		ASSERT_EQ_STR(m->c.parts[4].path, "1.3.1");
		ASSERT_EQ_STR(m->c.parts[4].content_type, "text/html");
		ASSERT_EQ_INT(m->c.parts[4].depth, 3);
		ASSERT(m->c.parts[0].size >= m->c.parts[2].size + m->c.parts[4].size);
	}
	ASSERT_EQ_INT(m->mime_depth, 3);
	ASSERT_EQ_STR(m->c.content_type, "multipart/mixed");
	message_free(m);
	report_release(&rep);
}

TEST(test_nesting_bomb)
{
	struct buf b;
	struct imcq_report rep;
	struct imcq_message *m;
	int i;

	buf_init(&b, 1 << 20);
	(void)buf_appends(&b, "Subject: bomb\nMIME-Version: 1.0\n");
	for (i = 0; i < 100; i++)
		(void)buf_appendf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	(void)buf_appends(&b, "Content-Type: text/plain\n\ncore\n");
	for (i = 99; i >= 0; i--)
		(void)buf_appendf(&b, "--b%d--\n", i);
	report_init(&rep);
	m = fill_lim(b.data, b.len, &rep, NULL);
	ASSERT_EQ_INT(m->mime_depth, rep.lim.mime_depth);
	ASSERT(m->c.nparts <= rep.lim.mime_depth);
	ASSERT(unit_anomaly(&rep, "mime-depth-limit") != NULL);
	ASSERT_EQ_STR(m->im->hdr.subject, "bomb");
	message_free(m);
	report_release(&rep);

	/* and the parts cap */
	buf_reset(&b);
	(void)buf_appends(&b, "Content-Type: multipart/mixed; boundary=\"z\"\n\n");
	for (i = 0; i < 50; i++)
		(void)buf_appends(&b, "--z\nContent-Type: text/plain\n\nx\n");
	(void)buf_appends(&b, "--z--\n");
	report_init(&rep);
	rep.lim.mime_parts = 10;
	m = fill_lim(b.data, b.len, &rep, NULL);
	ASSERT_EQ_INT(m->c.nparts, 10);
	ASSERT(unit_anomaly(&rep, "mime-parts-limit") != NULL);
	message_free(m);
	report_release(&rep);
	buf_release(&b);
}

TEST(test_huge_header_line)
{
	struct buf b;
	struct imcq_report rep;
	struct imcq_message *m;
	const char *v;
	size_t i;

	buf_init(&b, 4 << 20);
	(void)buf_appends(&b, "From: a@example.org\r\nX-Long: ");
	for (i = 0; i < (1u << 20); i++)
		(void)buf_appendc(&b, (char)('a' + i % 26));
	(void)buf_appends(&b, "\r\nSubject: after\r\n\r\nbody\r\n");
	report_init(&rep);
	m = fill_lim(b.data, b.len, &rep, NULL);
	ASSERT(unit_anomaly(&rep, "header-too-long") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "header-too-long")->offset, 21);
	v = field(m, "X-Long");
	ASSERT(v != NULL && strlen(v) < rep.lim.header_bytes);
	ASSERT(v != NULL && strlen(v) > rep.lim.header_bytes - 100);
	ASSERT_EQ_STR(m->im->hdr.subject, "after");
	ASSERT_EQ_INT(m->size, b.len);
	message_free(m);
	report_release(&rep);

	/* the header block cap */
	buf_reset(&b);
	for (i = 0; i < 100; i++)
		(void)buf_appendf(&b, "X-Field-%03zu: 0123456789\n", i);
	(void)buf_appends(&b, "\nbody\n");
	report_init(&rep);
	rep.lim.header_block = 1000;
	m = fill_lim(b.data, b.len, &rep, NULL);
	ASSERT(unit_anomaly(&rep, "header-block-too-large") != NULL);
	ASSERT(m->im->hdr.nall > 30 && m->im->hdr.nall < 45);
	ASSERT(m->c.nparts == 1 && m->c.parts[0].size == 5);
	message_free(m);
	report_release(&rep);
	buf_release(&b);
}

/* A Received clause of 100,000 atoms: bounded work, bounded fields. */
TEST(test_received_many_atoms)
{
	struct buf b;
	struct imcq_report rep;
	struct imcq_message *m;
	size_t i;

	buf_init(&b, 4 << 20);
	(void)buf_appends(&b, "Received: from a.example by b.example with");
	for (i = 0; i < 100000; i++)
		(void)buf_appends(&b, " x");
	(void)buf_appends(&b, " id ABCDEFGH; Tue, 24 Nov 2026 10:15:00 -0500\nSubject: r\n\nb\n");
	report_init(&rep);
	m = fill_lim(b.data, b.len, &rep, NULL);
	ASSERT_EQ_INT(m->im->hdr.nreceived, 1);
	if (m->im->hdr.nreceived == 1) {
		ASSERT(strlen(m->im->hdr.received[0].with) < 600);
		ASSERT_EQ_STR(m->im->hdr.received[0].id, "ABCDEFGH");
		ASSERT_EQ_INT(m->im->hdr.received[0].date, utc(2026, 11, 24, 15, 15, 0));
		ASSERT(strlen(m->im->hdr.received[0].raw) <= 2048);
	}
	/* an upper-case 8-character id, although no hop names the IMS */
	ASSERT_EQ_STR(m->ims_id, "ABCDEFGH");
	ASSERT_EQ_STR(m->im->hdr.subject, "r");
	message_free(m);
	report_release(&rep);
	buf_release(&b);
}

/* --- envelope from headers (Q201314) ---------------------------------------- */

TEST(test_envelope_derivation)
{
	static const char text[] =
		"From: Author <author@example.org>\n"
		"Sender: Secretary <secretary@example.org>\n"
		"To: One <one@example.com>, team: two@example.com, Three@Example.com;\n"
		"Cc: three@example.com, four@example.net\n"
		"Bcc: hidden@example.net\n"
		"Subject: env\n\nb\n";
	struct imcq_report rep;
	struct imcq_message *m = fill(text, &rep);
	const struct imcq_finding *f;

	ASSERT_EQ_INT(m->im->env.source, IMCQ_ENV_RFC822);
	ASSERT_EQ_STR(m->im->env.mail_from, "secretary@example.org");	/* Sender over From */
	ASSERT_EQ_STR(m->c.from, "author@example.org");
	ASSERT_EQ_INT(m->c.to.n, 3);
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 5);			/* Three@ once */
	if (m->im->env.rcpt_to.n == 5) {
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[0], "one@example.com");
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[2], "Three@Example.com");
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[3], "four@example.net");
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[4], "hidden@example.net");
	}
	ASSERT_EQ_INT(m->nrcpts, 5);
	ASSERT(m->nrcpts == 5 && m->rcpts[2].in_headers && !m->rcpts[4].in_headers);
	f = NULL;
	if (m->findings.n == 1)
		f = &m->findings.v[0];
	ASSERT(f != NULL && strcmp(f->code, "BCC_IN_ENVELOPE") == 0 &&
	       strstr(f->message, "hidden@example.net") != NULL &&
	       strstr(f->message, "four") == NULL);
	message_free(m);
	report_release(&rep);
}

/* --- the real-mail corpus ------------------------------------------------------ */

struct walk {
	struct imcq_report rep;
	FILE *dump;
	size_t files, messages, unread;
	const char *root;
};

static void
on_message(struct imcq_sink *s, const struct imcq_entry *e, struct imcq_message *m,
	   struct span body, uint64_t off)
{
	(void)e;
	mime_fill(m, body, off, s->rep, s->lim);
	report_add_message(s->rep, m);
}

static void
jstr(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
jlist(FILE *f, const struct imcq_strv *sv)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < sv->n; i++) {
		if (i)
			fputc(',', f);
		jstr(f, sv->v[i]);
	}
	fputc(']', f);
}

static void
dump_message(FILE *f, const char *member, const struct imcq_message *m)
{
	fputs("{\"member\":", f);
	jstr(f, member);
	fputs(",\"format\":", f);
	jstr(f, m->format);
	fputs(",\"damaged\":", f);
	fputs(m->damaged ? "true" : "false", f);
	fputs(",\"message_id\":", f);
	jstr(f, m->im->hdr.message_id);
	fputs(",\"subject\":", f);
	jstr(f, m->im->hdr.subject);
	fputs(",\"subject_raw\":", f);
	fputs(m->im->hdr.subject_raw ? "true" : "false", f);
	fputs(",\"from\":", f);
	jstr(f, m->c.from);
	fputs(",\"to\":", f);
	jlist(f, &m->c.to);
	fputs(",\"cc\":", f);
	jlist(f, &m->c.cc);
	fputs(",\"mail_from\":", f);
	jstr(f, m->im->env.mail_from);
	fputs(",\"rcpt_to\":", f);
	jlist(f, &m->im->env.rcpt_to);
	fprintf(f, ",\"line_ends\":\"%s\",\"nparts\":%zu,\"size\":%llu}\n", m->line_ends,
		m->c.nparts, (unsigned long long)m->size);
}

static bool
has_anomaly_for(const struct imcq_report *r, const char *member)
{
	size_t i;

	for (i = 0; i < r->nanoms; i++)
		if (r->anoms[i].member != NULL && strcmp(r->anoms[i].member, member) == 0)
			return true;
	return false;
}

static void
walk_file(struct walk *w, const char *path, const char *member, const char *base)
{
	static const struct imcq_format *const readers[] = {
		&imcq_format_spool, &imcq_format_pickup, &imcq_format_rfc822,
	};
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, i, before;
	const struct imcq_format *best = NULL;
	int best_bid = 0;
	struct imcq_entry e;
	struct imcq_sink s;

	w->files++;
	if (f == NULL) {
		w->unread++;
		return;
	}
	for (;;) {
		size_t got;

		if (n == cap)
			data = xrealloc(data, cap = cap ? cap * 2 : 65536);
		got = fread(data + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	memset(&e, 0, sizeof(e));
	e.member = member;
	e.base = base;
	e.place = IMCQ_PL_UNKNOWN;
	e.data = (const unsigned char *)data;
	e.len = n;
	e.size = n;
	e.mtime = IMCQ_NOTIME;
	e.sha256 = zeros;
	for (i = 0; i < 3; i++) {
		int b = readers[i]->bid(&e);

		if (b > best_bid) {
			best_bid = b;
			best = readers[i];
		}
	}
	before = w->rep.nmsgs;
	if (best == NULL) {
		fprintf(stderr, "corpus: no message reader bids on %s\n", member);
		if (!has_anomaly_for(&w->rep, member))
			test_failures++;
		free(data);
		return;
	}
	s.rep = &w->rep;
	s.lim = &w->rep.lim;
	s.message = on_message;
	s.user = NULL;
	(void)best->read(&e, &s);
	if (w->rep.nmsgs != before + 1) {
		fprintf(stderr, "corpus: %s read by %s gave %zu records\n", member, best->name,
			w->rep.nmsgs - before);
		test_failures++;
	} else {
		const struct imcq_message *m = w->rep.msgs[before];

		w->messages++;
		if (m->damaged && !has_anomaly_for(&w->rep, member)) {
			fprintf(stderr, "corpus: %s damaged without an anomaly\n", member);
			test_failures++;
		}
		if (!m->has_body_sha256) {
			fprintf(stderr, "corpus: %s without a body hash\n", member);
			test_failures++;
		}
		if (w->dump != NULL)
			dump_message(w->dump, member, m);
	}
	free(data);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
walk_dir(struct walk *w, const char *dir, const char *rel, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (depth > 8 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		VEC_PUSH(names, n, cap, xstrdup(de->d_name));
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_name);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *member = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			walk_dir(w, path, member, depth + 1);
		else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			 strstr(names[i], ".eml") != NULL)
			walk_file(w, path, member, names[i]);
		free(path);
		free(member);
		free(names[i]);
	}
	free(names);
}

TEST(test_corpus)
{
	const char *root = getenv("IMCQ_CORPUS");
	const char *dump = getenv("IMCQ_MIME_DUMP");
	struct walk w;
	struct stat st;

	if (root == NULL || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("(corpus not found: IMCQ_CORPUS unset or missing; skipped)\n");
		return;
	}
	memset(&w, 0, sizeof(w));
	report_init(&w.rep);
	w.root = root;
	w.dump = dump ? fopen(dump, "w") : NULL;
	walk_dir(&w, root, "", 0);
	if (w.dump != NULL)
		fclose(w.dump);
	printf("(corpus: %zu files, %zu message records, %zu anomalies)\n", w.files,
	       w.messages, w.rep.nanoms);
	ASSERT(w.files >= 800);
	ASSERT_EQ_INT(w.unread, 0);
	ASSERT_EQ_INT(w.messages, w.files);
	report_release(&w.rep);
}

TEST_MAIN(test_rfc2047_q, test_rfc2047_b, test_latin1_8bit, test_folded_subject,
	  test_cr_only, test_final_newline_and_hash, test_received_ims,
	  test_multipart_summary, test_nesting_bomb, test_huge_header_line,
	  test_received_many_atoms,
	  test_envelope_derivation, test_corpus)
