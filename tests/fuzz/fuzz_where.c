/* SPDX-License-Identifier: MIT */
/*
 * fuzz_where.c - the --where language: compile the input as an
 * expression and match it against two messages.
 *
 * Input: EXPR [NUL TEXT].  EXPR (up to the first NUL) is compiled with
 * where_compile() under small regex budgets; when it compiles it is
 * matched against a fixed, realistic message (built through mime_fill())
 * and against a second message whose subject, sender, recipient and an
 * X- header are TEXT (up to the next NUL) and whose other fields are
 * unknown, so that patterns meet hostile subjects and NULL fields.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"
#include "analyzer/mime.h"
#include "analyzer/where.h"
#include "tests/fuzz/fuzz.h"

static const char fixed_text[] =
	"Received: from mail.example.org by EXCH1 with SMTP (Microsoft Exchange "
	"Internet Mail Service Version 5.5.2653.13)\r\n\tid 3SW32JRP; Tue, 24 Nov 2026 10:15:00 -0500\r\n"
	"From: Alice <alice@example.org>\r\n"
	"To: Bob <bob@example.com>, carol@Example.NET\r\n"
	"Subject: =?iso-8859-1?q?Quartalsbericht_f=FCr_Q3?=\r\n"
	"Message-ID: <m1@example.org>\r\n"
	"X-Priority: 1\r\n"
	"Date: Tue, 24 Nov 2026 10:14:00 -0500\r\n"
	"\r\n"
	"body\r\n";

static struct imcq_message *
fixed_message(struct imcq_report *rep)
{
	struct imcq_message *m = message_new();
	struct span body = { (const unsigned char *)fixed_text, sizeof(fixed_text) - 1 };

	m->spool_id = xstrdup("3SW32JRP");
	m->format = xstrdup("spool");
	m->queue = IMCQ_Q_OUT;
	m->place = IMCQ_PL_OUT;
	m->state = IMCQ_ST_AWAITING_DELIVERY;
	m->queue_time = FUZZ_NOW - 3 * 86400;
	m->im->env.source = IMCQ_ENV_SPOOL;
	m->im->env.mail_from = xstrdup("alice@example.org");
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.com"));
	strv_push(&m->im->env.rcpt_to, xstrdup("dave@example.net"));
	m->im->env.rcpt_dropped = 3;
	mime_fill(m, body, 128, rep, &rep->lim);
	findlist_add(&m->findings, "NO_ROUTE", IMCQ_SEV_ERROR, "Q268494", "no route");
	return m;
}

static struct imcq_message *
text_message(const char *text)
{
	struct imcq_message *m = message_new();
	struct imcq_header_field hf;

	m->queue = IMCQ_Q_OTHER;
	m->state = IMCQ_ST_DAMAGED;
	m->queue_time = IMCQ_NOTIME;
	m->size = strlen(text);
	m->im->hdr.subject = xstrdup(text);
	m->im->env.mail_from = xstrdup(text);
	strv_push(&m->im->env.rcpt_to, xstrdup(text));
	message_add_rcpt(m, text);
	hf.name = xstrdup("X-Fuzz");
	hf.value = xstrdup(text);
	VEC_PUSH(m->c.all, m->im->hdr.nall, m->c.allcap, hf);
	findlist_add(&m->findings, text, IMCQ_SEV_INFO, NULL, "%s", "fuzz");
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imcq_report rep;
	struct imcq_where *w;
	struct imcq_err err = { 0 };
	char *expr, *text;
	size_t elen;

	if (size > WHERE_MAX_LEN + 4096)
		return -1;
	expr = xmalloc(size + 1);
	memcpy(expr, data, size);
	expr[size] = '\0';
	elen = strlen(expr);
	text = elen < size ? expr + elen + 1 : expr + size;

	report_init(&rep);
	fuzz_limits(&rep.lim);
	w = where_compile(expr, &rep.lim, &err);
	if (w == NULL) {
		if (err.code != IMCQ_SKIP)
			fuzz_fail("where_compile failed without IMCQ_SKIP");
	} else {
		struct imcq_message *a = fixed_message(&rep);
		struct imcq_message *b = text_message(text);
		struct imcq_err e1 = { 0 }, e2 = { 0 };
		int r1 = where_match(w, a, FUZZ_NOW, &e1);
		int r2 = where_match(w, b, FUZZ_NOW, &e2);

		if (r1 < -1 || r1 > 1 || r2 < -1 || r2 > 1)
			fuzz_fail("where_match returned something else than -1, 0 or 1");
		/* deterministic: a second match gives the same answer */
		if (where_match(w, a, FUZZ_NOW, &e1) != r1)
			fuzz_fail("where_match is not deterministic");
		message_free(a);
		message_free(b);
		where_free(w);
	}
	report_release(&rep);
	free(expr);
	return 0;
}
