/* SPDX-License-Identifier: MIT */
/*
 * test_spool.c - the message readers: spool (several envelope framings,
 * damage, caps), pickup (X-Sender/X-Receiver) and the rfc822 bid.
 * Fixtures are built here byte by byte, plus the hex files in tests/data/spool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/mime.h"
#include "formats/format.h"
#include "tests/unit/test.h"
#include "tests/unit/unit_util.h"

static const char zeros[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static const char rfc822_text[] =
	"Received: from mail.example.org by EXCH1 with SMTP (Microsoft Exchange "
	"Internet Mail Service Version 5.5.2653.13)\r\n\tid 3SW32JRP; Tue, 24 Nov 2026 10:15:00 -0500\r\n"
	"From: Alice <alice@example.org>\r\n"
	"To: Bob <bob@example.com>\r\n"
	"Subject: hello\r\n"
	"Message-ID: <m1@example.org>\r\n"
	"\r\n"
	"body\r\n";

/* --- harness ------------------------------------------------------------- */

static void
on_message(struct imcq_sink *s, const struct imcq_entry *e, struct imcq_message *m,
	   struct span body, uint64_t off)
{
	(void)e;
	mime_fill(m, body, off, s->rep, s->lim);
	report_add_message(s->rep, m);
}

static struct imcq_entry
mkentry(const char *member, const char *base, enum imcq_place place,
	const void *p, size_t n)
{
	struct imcq_entry e;

	memset(&e, 0, sizeof(e));
	e.input = 0;
	e.member = member;
	e.base = base;
	e.place = place;
	e.data = p;
	e.len = n;
	e.size = n;
	e.mtime = IMCQ_NOTIME;
	e.sha256 = zeros;
	return e;
}

/* Read one entry with fmt into a fresh report (the caller releases it). */
static void
run(const struct imcq_format *fmt, const struct imcq_entry *e, struct imcq_report *rep)
{
	struct imcq_sink s;

	report_init(rep);
	s.rep = rep;
	s.lim = &rep->lim;
	s.message = on_message;
	s.user = NULL;
	ASSERT_EQ_INT(fmt->read(e, &s), IMCQ_OK);
}

static const char *
find_extra(const struct imcq_cold *env, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < env->extra.n; i++)
		if (strncmp(env->extra.v[i], prefix, n) == 0)
			return env->extra.v[i];
	return NULL;
}

static const struct imcq_finding *
find_finding(const struct imcq_message *m, const char *code)
{
	size_t i;

	for (i = 0; i < m->findings.n; i++)
		if (strcmp(m->findings.v[i].code, code) == 0)
			return &m->findings.v[i];
	return NULL;
}

/* --- byte builders ------------------------------------------------------- */

static void
put(struct buf *b, const void *p, size_t n)
{
	(void)buf_append(b, p, n);
}

static void
put_u8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	put(b, &c, 1);
}

static void
put_u16(struct buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	put(b, c, 2);
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	put(b, c, 4);
}

static void
put_ft(struct buf *b, int64_t unix_s)
{
	uint64_t ft = (uint64_t)(unix_s + 11644473600LL) * 10000000u;

	put_u32(b, (uint32_t)ft);
	put_u32(b, (uint32_t)(ft >> 32));
}

static void
put_z(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

static void
put_p16(struct buf *b, const char *s)
{
	put_u16(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

static void
put_p8(struct buf *b, const char *s)
{
	put_u8(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

static void
put_p32z(struct buf *b, const char *s)
{
	put_u32(b, (uint32_t)strlen(s) + 1);
	put_z(b, s);
}

static void
put_w(struct buf *b, const char *s)
{
	for (; *s; s++)
		put_u16(b, (unsigned char)*s);
	put_u16(b, 0);
}

static char *
read_hex(const char *rel, size_t *n)
{
	const char *src = getenv("IMCQ_SRC");
	char *path, *out;
	FILE *f;
	int c, hi = -1;
	size_t k = 0, cap = 4096;

	if (src != NULL)
		path = xasprintf("%s/%s", src, rel);
	else {
		/* __FILE__ is .../tests/unit/test_spool.c */
		const char *t = strstr(__FILE__, "tests/unit/");

		path = xasprintf("%.*s%s", (int)(t ? t - __FILE__ : 0), __FILE__, rel);
	}
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return NULL;
	out = xmalloc(cap);
	while ((c = fgetc(f)) != EOF) {
		int v;

		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (k == cap)
			out = xrealloc(out, cap *= 2);
		out[k++] = (char)(hi << 4 | v);
		hi = -1;
	}
	fclose(f);
	*n = k;
	return out;
}

static size_t
offset_of(const char *hay, size_t n, const char *needle)
{
	const unsigned char *p = span_find((const unsigned char *)hay, n, needle, strlen(needle));

	return p ? (size_t)(p - (const unsigned char *)hay) : (size_t)-1;
}

/* --- spool: framings ------------------------------------------------------ */

TEST(test_q190709_nul_terminated)
{
	size_t n = 0, ew;
	char *d = read_hex("tests/data/spool/q190709-like.hex", &n);
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;

	ASSERT(d != NULL);
	if (d == NULL)
		return;
	e = mkentry("Imcdata/In/WKA6D6YM", "WKA6D6YM", IMCQ_PL_IN, d, n);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 44);
	ASSERT_EQ_INT(imcq_format_rfc822.bid(&e), 0);
	ASSERT_EQ_INT(imcq_format_pickup.bid(&e), 0);
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.nmsgs, 1);
	m = rep.msgs[0];
	ew = offset_of(d, n, "EwLs");
	ASSERT_EQ_STR(m->format, "spool");
	ASSERT_EQ_STR(m->spool_id, "WKA6D6YM");
	ASSERT(!m->damaged);
	ASSERT_EQ_INT(m->im->env.source, IMCQ_ENV_SPOOL);
	ASSERT_EQ_INT(m->im->env.offset, 1);			/* after the 0xF7 byte */
	ASSERT_EQ_INT(m->im->env.length, ew + 4 - 1);
	ASSERT_EQ_INT(m->sources[0].body_offset, ew + 4);
	ASSERT_EQ_STR(m->c.helo, "RAYDEN.example.com");
	ASSERT_EQ_STR(m->c.client_host, "mail.example.org");
	ASSERT_EQ_STR(m->im->env.mail_from, "alice@example.org");
	ASSERT_EQ_STR(m->im->env.mts_id, "c=US;a= ;p=Example;l=RAYDEN9711051951WKA6D6YM");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 2);
	if (m->im->env.rcpt_to.n == 2) {
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[0], "bob@example.com");
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[1], "carol@example.net");
	}
	ASSERT_EQ_STR(m->c.encoding, "nul-terminated");
	ASSERT(m->im->env.confidence >= 90);
	ASSERT_EQ_STR(find_extra(&m->c, "filetime@"), "filetime@11=1997-11-05T19:51:00Z");
	ASSERT(find_extra(&m->c, "string@") != NULL &&
	       strstr(find_extra(&m->c, "string@"), "=DEN> ro") != NULL);
	/* gaps: the 0xF7 prefix, the binary before HELO, the X/9B fields */
	ASSERT_EQ_INT(m->c.ngaps, 3);
	if (m->c.ngaps == 3) {
		ASSERT_EQ_INT(m->c.gaps[0].offset, 0);
		ASSERT_EQ_STR(m->c.gaps[0].hex, "f7");
		ASSERT_EQ_INT(m->c.gaps[1].offset, 5);
		ASSERT_EQ_INT(m->c.gaps[1].length, 14);
		ASSERT_EQ_INT(m->c.gaps[2].offset, offset_of(d, n, "c=US") + 46);
		ASSERT_EQ_STR(m->c.gaps[2].hex, "0200580039420003");
	}
	/* the RFC 822 part */
	ASSERT_EQ_STR(m->im->hdr.subject, "Q190709 layout");
	ASSERT_EQ_STR(m->ims_id, "WKA6D6YM");
	ASSERT(unit_anomaly(&rep, "ims-id-mismatch") == NULL);
	ASSERT_EQ_INT(m->size, n - (ew + 4));
	/* carol is a Bcc: in the envelope, not in To/Cc (Q249273) */
	ASSERT_EQ_INT(m->nrcpts, 2);
	if (m->nrcpts == 2) {
		ASSERT(m->rcpts[0].in_headers);
		ASSERT(!m->rcpts[1].in_headers);
		ASSERT_EQ_STR(m->rcpts[1].domain, "example.net");
	}
	ASSERT(find_finding(m, "BCC_IN_ENVELOPE") != NULL &&
	       strstr(find_finding(m, "BCC_IN_ENVELOPE")->message, "carol@example.net") != NULL);
	report_release(&rep);
	free(d);
}

/* u16le length-prefixed strings, a u32 count before the recipients, a
 * status byte after each. */
static void
build_u16(struct buf *b, unsigned nrcpt, const char *sender)
{
	unsigned i;
	int64_t t = 0;

	(void)imcq_mktime(2026, 11, 24, 15, 15, 0, &t);
	put(b, "ImCr", 4);
	put_u16(b, 5);
	put_u32(b, 0);
	put_ft(b, t);
	put_p16(b, "EXCH1.example.com");
	put_p16(b, "mail.example.org [192.0.2.7]");
	put_p16(b, sender);
	put_p16(b, "c=US;a= ;p=Example;l=EXCH12611241515Z-1");
	put_u32(b, nrcpt);
	for (i = 0; i < nrcpt; i++) {
		char a[64];

		snprintf(a, sizeof(a), "<user%u@example.com>", i);
		put_p16(b, a);
		put_u8(b, 1);
	}
	put(b, "EwLs", 4);
	put(b, rfc822_text, strlen(rfc822_text));
}

TEST(test_u16le_prefixed_null_sender)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;

	buf_init(&b, (size_t)64 << 20);
	build_u16(&b, 3, "<>");
	e = mkentry("Imcdata/Out/3SW32JRP", "3SW32JRP", IMCQ_PL_OUT, b.data, b.len);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 44);
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.nmsgs, 1);
	m = rep.msgs[0];
	ASSERT_EQ_INT(m->im->env.offset, 0);
	ASSERT_EQ_STR(m->c.encoding, "u16le-length-prefixed");
	ASSERT_EQ_STR(m->c.helo, "EXCH1.example.com");
	ASSERT_EQ_STR(m->c.client_host, "mail.example.org [192.0.2.7]");
	ASSERT_EQ_STR(m->im->env.mail_from, "");		/* the null sender */
	ASSERT_EQ_STR(m->im->env.mts_id, "c=US;a= ;p=Example;l=EXCH12611241515Z-1");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 3);
	if (m->im->env.rcpt_to.n == 3)
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[2], "user2@example.com");
	ASSERT_EQ_STR(find_extra(&m->c, "filetime@"), "filetime@10=2026-11-24T15:15:00Z");
	ASSERT(unit_anomaly(&rep, "envelope-no-sender") == NULL);
	ASSERT_EQ_STR(m->ims_id, "3SW32JRP");
	ASSERT_EQ_STR(m->c.from, "alice@example.org");
	report_release(&rep);
	buf_release(&b);
}

TEST(test_u8_prefixed_printable_lengths)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;
	/* 45 characters: its u8 length is a printable byte */
	const char *mts = "c=US;a= ;p=Example;l=RAYDEN9711051951WKA6D6YM";

	buf_init(&b, 1 << 20);
	put_u8(&b, 0xF7);
	put(&b, "ImCr", 4);
	put_u16(&b, 0);
	put_p8(&b, "RAYDEN");
	put_p8(&b, "mail.example.org");
	put_p8(&b, "<alice@example.org>");
	put_p8(&b, mts);
	put_p8(&b, "<bob@example.com>");
	put(&b, "EwLs", 4);
	put(&b, rfc822_text, strlen(rfc822_text));
	ASSERT(strlen(mts) >= 32 && strlen(mts) < 127);
	e = mkentry("x/WKA6D6YM", "WKA6D6YM", IMCQ_PL_UNKNOWN, b.data, b.len);
	run(&imcq_format_spool, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_STR(m->c.encoding, "u8-length-prefixed");
	ASSERT_EQ_STR(m->c.helo, "RAYDEN");
	ASSERT_EQ_STR(m->im->env.mail_from, "alice@example.org");
	ASSERT_EQ_STR(m->im->env.mts_id, mts);
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 1);
	/* file name and IMS Received id differ: reported */
	ASSERT_EQ_STR(m->ims_id, "3SW32JRP");
	ASSERT(unit_anomaly(&rep, "ims-id-mismatch") != NULL);
	report_release(&rep);
	buf_release(&b);
}

TEST(test_u32_and_utf16_mixed)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;

	buf_init(&b, 1 << 20);
	put(&b, "ImCr", 4);
	put_u32(&b, 7);
	put_p32z(&b, "EXCH1");
	put_p32z(&b, "relay.example.org");
	put_w(&b, "<alice@example.org>");
	put_w(&b, "<bob@example.com>");
	put_u32(&b, 0);
	put(&b, "EwLs", 4);
	put(&b, rfc822_text, strlen(rfc822_text));
	e = mkentry("Out/ABCDEFGH", "ABCDEFGH", IMCQ_PL_OUT, b.data, b.len);
	run(&imcq_format_spool, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_STR(m->c.encoding, "mixed/scan (u32le-length-prefixed:2, utf16le:2)");
	ASSERT_EQ_STR(m->c.helo, "EXCH1");
	ASSERT_EQ_STR(m->c.client_host, "relay.example.org");
	ASSERT_EQ_STR(m->im->env.mail_from, "alice@example.org");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 1);
	if (m->im->env.rcpt_to.n == 1)
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[0], "bob@example.com");
	ASSERT(m->im->env.confidence < 100);
	report_release(&rep);
	buf_release(&b);
}

/* --- spool: Bcc, damage, caps -------------------------------------------- */

TEST(test_bcc_only)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;
	const char *text = "From: a@example.org\r\nTo: undisclosed-recipients:;\r\n"
			   "Subject: bcc\r\n\r\nx\r\n";
	const struct imcq_finding *f;

	buf_init(&b, 1 << 20);
	put(&b, "ImCr", 4);
	put_z(&b, "helo.example.org");
	put_z(&b, "<a@example.org>");
	put_z(&b, "<hidden1@example.com>");
	put_z(&b, "<Hidden2@Example.com>");
	put(&b, "EwLs", 4);
	put(&b, text, strlen(text));
	e = mkentry("Out/BCCONLY1", "BCCONLY1", IMCQ_PL_OUT, b.data, b.len);
	run(&imcq_format_spool, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_INT(m->c.to.n, 0);
	ASSERT_EQ_INT(m->nrcpts, 2);
	ASSERT(m->nrcpts == 2 && !m->rcpts[0].in_headers && !m->rcpts[1].in_headers);
	ASSERT(m->nrcpts == 2 && strcmp(m->rcpts[1].domain, "example.com") == 0);
	f = find_finding(m, "BCC_IN_ENVELOPE");
	ASSERT(f != NULL);
	if (f != NULL) {
		ASSERT_EQ_STR(f->reference, "Q249273");
		ASSERT(strstr(f->message, "2 envelope recipients") != NULL);
		ASSERT_EQ_INT(f->sev, IMCQ_SEV_INFO);
	}
	report_release(&rep);
	buf_release(&b);
}

TEST(test_truncated_no_ewls)
{
	size_t n = 0, ew;
	char *d = read_hex("tests/data/spool/q190709-like.hex", &n);
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;
	const struct imcq_anomaly *a;

	ASSERT(d != NULL);
	if (d == NULL)
		return;
	ew = offset_of(d, n, "EwLs");
	e = mkentry("In/WKA6D6YM", "WKA6D6YM", IMCQ_PL_IN, d, ew);	/* cut before EwLs */
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.nmsgs, 1);
	m = rep.msgs[0];
	ASSERT(m->damaged);
	ASSERT_EQ_STR(m->damage, "no EwLs marker: truncated envelope");
	a = unit_anomaly(&rep, "truncated-envelope");
	ASSERT(a != NULL && a->offset == ew && strcmp(a->member, "In/WKA6D6YM") == 0);
	/* what was there is still extracted */
	ASSERT_EQ_STR(m->im->env.mail_from, "alice@example.org");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 2);
	ASSERT(m->im->env.confidence <= 30);
	ASSERT_EQ_INT(m->size, 0);
	ASSERT_EQ_INT(m->nrcpts, 2);
	report_release(&rep);
	free(d);
}

TEST(test_zero_length_and_junk)
{
	static const unsigned char junk[] = { 0x00, 0x13, 0x88, 0xfe, 0x01, 0x02, 0x03, 0x04 };
	struct imcq_entry e;
	struct imcq_report rep;

	e = mkentry("Out/AAAAAAAA", "AAAAAAAA", IMCQ_PL_OUT, "", 0);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 4);
	ASSERT_EQ_INT(imcq_format_rfc822.bid(&e), 0);
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.nmsgs, 1);
	ASSERT(rep.msgs[0]->damaged);
	ASSERT_EQ_STR(rep.msgs[0]->damage, "zero-length file");
	ASSERT(unit_anomaly(&rep, "zero-length") != NULL);
	report_release(&rep);

	e = mkentry("Out/BBBBBBBB", "BBBBBBBB", IMCQ_PL_OUT, junk, sizeof(junk));
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 4);
	ASSERT_EQ_INT(imcq_format_rfc822.bid(&e), 0);
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.nmsgs, 1);
	ASSERT_EQ_STR(rep.msgs[0]->damage, "not a spool file: no ImCr magic");
	ASSERT(unit_anomaly(&rep, "not-spool") != NULL);
	report_release(&rep);

	/* the same junk elsewhere, or under another name: not ours */
	e = mkentry("misc/BBBBBBBB", "BBBBBBBB", IMCQ_PL_UNKNOWN, junk, sizeof(junk));
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 0);
	e = mkentry("Out/readme.txt", "readme.txt", IMCQ_PL_OUT, junk, sizeof(junk));
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 0);
}

TEST(test_imcr_at_1_after_f7)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;

	buf_init(&b, 1 << 20);
	put_u8(&b, 0xF7);
	put(&b, "ImCr", 4);
	put_z(&b, "<x@example.org>");
	put_z(&b, "<y@example.org>");
	put(&b, "EwLs", 4);
	put(&b, "Subject: s\n\nb\n", 14);
	e = mkentry("WORKFILE", "WORKFILE", IMCQ_PL_WORK, b.data, b.len);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 44);
	run(&imcq_format_spool, &e, &rep);
	ASSERT_EQ_INT(rep.msgs[0]->im->env.offset, 1);
	ASSERT_EQ_INT(rep.msgs[0]->im->env.length, 4 + 16 + 16 + 4);
	ASSERT_EQ_INT(rep.msgs[0]->sources[0].body_offset, 1 + 4 + 16 + 16 + 4);
	ASSERT_EQ_STR(rep.msgs[0]->im->hdr.subject, "s");
	ASSERT_EQ_STR(rep.msgs[0]->line_ends, "lf");
	report_release(&rep);
	buf_release(&b);
}

TEST(test_40000_recipients)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_message *m;
	struct imcq_sink s;
	clock_t t0 = clock();

	buf_init(&b, (size_t)64 << 20);
	build_u16(&b, 40000, "<alice@example.org>");
	e = mkentry("Out/BIGLIST1", "BIGLIST1", IMCQ_PL_OUT, b.data, b.len);
	/* default cap (40,000): all kept */
	run(&imcq_format_spool, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 40000);
	ASSERT_EQ_INT(m->im->env.rcpt_dropped, 0);
	ASSERT_EQ_INT(m->nrcpts, 40000);
	ASSERT(find_finding(m, "BCC_IN_ENVELOPE") != NULL);
	ASSERT(strstr(find_finding(m, "BCC_IN_ENVELOPE")->message, "and 39980 more") != NULL);
	report_release(&rep);

	/* the IMS limit (Q272672) as the cap: the rest counted */
	report_init(&rep);
	rep.lim.rcpts = 32766;
	s.rep = &rep;
	s.lim = &rep.lim;
	s.message = on_message;
	s.user = NULL;
	ASSERT_EQ_INT(imcq_format_spool.read(&e, &s), IMCQ_OK);
	m = rep.msgs[0];
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 32766);
	ASSERT_EQ_INT(m->im->env.rcpt_dropped, 40000 - 32766);
	ASSERT(unit_anomaly(&rep, "rcpts-limit") != NULL);
	ASSERT_EQ_STR(m->c.encoding, "u16le-length-prefixed");
	report_release(&rep);
	buf_release(&b);
	/* generous: both reads well under a few seconds even under ASan */
	ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 30.0);
}

TEST(test_envelope_cap)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;
	struct imcq_sink s;
	unsigned i;

	buf_init(&b, 1 << 20);
	put(&b, "ImCr", 4);
	put_z(&b, "<a@example.org>");
	for (i = 0; i < 100; i++)
		put_z(&b, "<b@example.org>");
	put(&b, "EwLs", 4);
	put(&b, "Subject: s\n\nb\n", 14);
	e = mkentry("Out/CAPPED01", "CAPPED01", IMCQ_PL_OUT, b.data, b.len);
	report_init(&rep);
	rep.lim.envelope_bytes = 256;
	s.rep = &rep;
	s.lim = &rep.lim;
	s.message = on_message;
	s.user = NULL;
	ASSERT_EQ_INT(imcq_format_spool.read(&e, &s), IMCQ_OK);
	ASSERT(unit_anomaly(&rep, "envelope-too-large") != NULL);
	ASSERT(!rep.msgs[0]->damaged);
	ASSERT(rep.msgs[0]->im->env.rcpt_to.n < 20);
	ASSERT_EQ_STR(rep.msgs[0]->im->hdr.subject, "s");
	report_release(&rep);
	buf_release(&b);
}

TEST(test_no_imcr_but_ewls)
{
	struct buf b;
	struct imcq_entry e;
	struct imcq_report rep;

	buf_init(&b, 1 << 20);
	put(&b, "\x01\x02XXcr", 6);		/* magic overwritten */
	put_z(&b, "<a@example.org>");
	put_z(&b, "<b@example.org>");
	put(&b, "EwLs", 4);
	put(&b, "Subject: s\n\nb\n", 14);
	e = mkentry("Out/DAMAGED1", "DAMAGED1", IMCQ_PL_OUT, b.data, b.len);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 20);
	run(&imcq_format_spool, &e, &rep);
	ASSERT(rep.msgs[0]->damaged);
	ASSERT(unit_anomaly(&rep, "no-imcr") != NULL);
	ASSERT_EQ_STR(rep.msgs[0]->im->env.mail_from, "a@example.org");
	ASSERT_EQ_STR(rep.msgs[0]->im->hdr.subject, "s");
	report_release(&rep);
	buf_release(&b);
}

/* Random bytes around the markers: never a crash, always one record. */
TEST(test_noise)
{
	unsigned char d[4096];
	uint32_t x = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		struct imcq_entry e;
		struct imcq_report rep;
		size_t i, n = 64 + (size_t)(round * 19) % (sizeof(d) - 64);

		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			d[i] = (unsigned char)(x >> 16);
		}
		memcpy(d + 1, "ImCr", 4);
		if (round % 3)
			memcpy(d + n - 20, "EwLs", 4);
		e = mkentry("Out/NOISE000", "NOISE000", IMCQ_PL_OUT, d, n);
		run(&imcq_format_spool, &e, &rep);
		ASSERT_EQ_INT(rep.nmsgs, 1);
		report_release(&rep);
	}
}

/* --- pickup ----------------------------------------------------------------- */

TEST(test_pickup)
{
	static const char text[] =
		"x-sender: <Sender@example.org>\r\n"
		"X-Receiver: user1@valid.but.unreachable.host\r\n"
		"X-RECEIVER: <user2@example.com> NOTIFY=NEVER\r\n"
		"Subject: Testing.\r\n"
		"To: user1@valid.but.unreachable.host\r\n"
		"\r\n"
		"body\r\n"
		".\r\n"
		"after the dot\r\n";
	struct imcq_entry e = mkentry("Imcdata/Pickup/a.eml", "a.eml", IMCQ_PL_PICKUP,
				      text, sizeof(text) - 1);
	struct imcq_report rep;
	struct imcq_message *m;
	size_t hdr = offset_of(text, sizeof(text) - 1, "Subject:");

	ASSERT_EQ_INT(imcq_format_pickup.bid(&e), 48);
	ASSERT(imcq_format_rfc822.bid(&e) < 48);
	ASSERT(imcq_format_rfc822.bid(&e) > 0);
	ASSERT_EQ_INT(imcq_format_spool.bid(&e), 0);
	run(&imcq_format_pickup, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_STR(m->format, "pickup");
	ASSERT_EQ_INT(m->im->env.source, IMCQ_ENV_XHEADERS);
	ASSERT_EQ_STR(m->im->env.mail_from, "Sender@example.org");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 2);
	if (m->im->env.rcpt_to.n == 2) {
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[0], "user1@valid.but.unreachable.host");
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[1], "user2@example.com");
	}
	ASSERT(find_extra(&m->c, "x-receiver-params@") != NULL);
	ASSERT_EQ_INT(m->im->env.offset, 0);
	ASSERT_EQ_INT(m->im->env.length, hdr);
	ASSERT_EQ_INT(m->sources[0].body_offset, hdr);
	ASSERT_EQ_STR(m->im->hdr.subject, "Testing.");
	ASSERT(unit_anomaly(&rep, "pickup-lone-dot") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "pickup-lone-dot")->offset,
		      offset_of(text, sizeof(text) - 1, "\r\n.\r\n") + 2);
	/* user2 is an envelope-only recipient */
	ASSERT(find_finding(m, "BCC_IN_ENVELOPE") != NULL);
	report_release(&rep);
}

TEST(test_pickup_receiver_only_cr)
{
	/* CR-only line ends; no X-Sender: the sender comes from Sender
	 * over From (Q201314) */
	static const char text[] =
		"X-Receiver: r@example.com\r"
		"From: f@example.org\r"
		"Sender: s@example.org\r"
		"To: r@example.com\r"
		"\r"
		"b\r";
	struct imcq_entry e = mkentry("Pickup/b", "b", IMCQ_PL_PICKUP, text, sizeof(text) - 1);
	struct imcq_report rep;
	struct imcq_message *m;

	ASSERT_EQ_INT(imcq_format_pickup.bid(&e), 48);
	run(&imcq_format_pickup, &e, &rep);
	m = rep.msgs[0];
	ASSERT_EQ_STR(m->im->env.mail_from, "s@example.org");
	ASSERT(find_extra(&m->c, "mail_from_source=rfc822-headers") != NULL);
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 1);
	ASSERT_EQ_STR(m->line_ends, "cr");
	ASSERT(find_finding(m, "BCC_IN_ENVELOPE") == NULL);
	report_release(&rep);
}

/* --- rfc822 ----------------------------------------------------------------- */

TEST(test_rfc822_bids)
{
	static const char mbox[] = "From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n"
				   "Return-Path: <>\nFrom: a@example.org\nTo: b@example.com\n"
				   "Subject: x\n\nbody\n";
	static const char ini[] = "[Routes]\nexample.com=host\n";
	static const char prose[] = "Dear all: this is not mail.\nReally: no.\n";
	static const char three[] = "X-A: 1\nX-B: 2\nX-C: 3\n\nb\n";
	static const char cronly[] = "Return-path: <a@b>\rReceived: x\rSubject: y\r\rb";
	struct imcq_entry e;
	struct imcq_report rep;

	e = mkentry("m.eml", "m.eml", IMCQ_PL_UNKNOWN, mbox, sizeof(mbox) - 1);
	ASSERT(imcq_format_rfc822.bid(&e) > 10 && imcq_format_rfc822.bid(&e) <= 30);
	run(&imcq_format_rfc822, &e, &rep);
	ASSERT_EQ_STR(rep.msgs[0]->im->hdr.subject, "x");
	ASSERT_EQ_INT(rep.msgs[0]->sources[0].body_offset, offset_of(mbox, sizeof(mbox) - 1, "Return-Path"));
	ASSERT(find_extra(&rep.msgs[0]->c, "mbox_from=From MAILER-DAEMON") != NULL);
	ASSERT_EQ_INT(rep.msgs[0]->im->env.source, IMCQ_ENV_RFC822);
	ASSERT_EQ_STR(rep.msgs[0]->im->env.mail_from, "a@example.org");
	ASSERT(!rep.msgs[0]->damaged);
	report_release(&rep);

	e = mkentry("r.ini", "r.ini", IMCQ_PL_UNKNOWN, ini, sizeof(ini) - 1);
	ASSERT_EQ_INT(imcq_format_rfc822.bid(&e), 0);
	e = mkentry("p.txt", "p.txt", IMCQ_PL_UNKNOWN, prose, sizeof(prose) - 1);
	ASSERT_EQ_INT(imcq_format_rfc822.bid(&e), 0);
	run(&imcq_format_rfc822, &e, &rep);	/* forced: a damaged record */
	ASSERT_EQ_INT(rep.nmsgs, 1);
	ASSERT(rep.msgs[0]->damaged);
	ASSERT(unit_anomaly(&rep, "not-a-message") != NULL);
	report_release(&rep);
	e = mkentry("t", "t", IMCQ_PL_UNKNOWN, three, sizeof(three) - 1);
	ASSERT(imcq_format_rfc822.bid(&e) > 0);
	e = mkentry("c", "c", IMCQ_PL_UNKNOWN, cronly, sizeof(cronly) - 1);
	ASSERT(imcq_format_rfc822.bid(&e) > 0);

	/* a header-only file in Out with a spool-id name: read, and noted */
	e = mkentry("Out/PLAIN001", "PLAIN001", IMCQ_PL_OUT, rfc822_text, strlen(rfc822_text));
	ASSERT(imcq_format_rfc822.bid(&e) > imcq_format_spool.bid(&e));
	run(&imcq_format_rfc822, &e, &rep);
	ASSERT(unit_anomaly(&rep, "no-spool-envelope") != NULL);
	ASSERT(unit_anomaly(&rep, "ims-id-mismatch") != NULL);
	ASSERT_EQ_INT(rep.msgs[0]->nrcpts, 1);
	report_release(&rep);
}

TEST_MAIN(test_q190709_nul_terminated, test_u16le_prefixed_null_sender,
	  test_u8_prefixed_printable_lengths, test_u32_and_utf16_mixed, test_bcc_only,
	  test_truncated_no_ewls, test_zero_length_and_junk, test_imcr_at_1_after_f7,
	  test_40000_recipients, test_envelope_cap, test_no_imcr_but_ewls, test_noise,
	  test_pickup, test_pickup_receiver_only_cr, test_rfc822_bids)
