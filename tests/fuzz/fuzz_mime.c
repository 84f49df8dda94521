/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mime.c - mime_fill() on raw message bytes (analyzer/mime.c: GMime
 * behind our own caps), then the message as JSON.
 *
 * The message starts as a reader leaves it: no envelope (as the rfc822
 * reader) when the input is even-sized, an X-header envelope with a sender
 * and one recipient (as the pickup reader) when it is odd-sized, so that
 * both ways of completing the envelope are reached.
 *
 * The same input is filled twice, with a plain header block read by GMime
 * alone (mime.c head_only()) and with the whole input parsed: the two
 * reports must be the same JSON, byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"
#include "analyzer/mime.h"
#include "tests/fuzz/fuzz.h"

/* The report of one mime_fill() of data, as JSON text (freed by the
 * caller). */
static char *
fill_json(const uint8_t *data, size_t size)
{
	struct imcq_report rep;
	struct imcq_message *m;
	struct imcq_source src;
	struct span body = { data, size };
	char member[] = "Exchsrvr/Imcdata/Out/3SW32JRP";
	char *text;

	report_init(&rep);
	fuzz_limits(&rep.lim);
	m = message_new();
	m->spool_id = xstrdup("3SW32JRP");
	m->format = xstrdup("rfc822");
	m->queue = IMCQ_Q_OUT;
	m->place = IMCQ_PL_OUT;
	memset(&src, 0, sizeof(src));
	src.member = member;
	src.size = size;
	src.mtime = FUZZ_NOW - 3600;
	message_add_source(m, &src);
	if (size & 1) {
		m->im->env.source = IMCQ_ENV_XHEADERS;
		m->im->env.mail_from = xstrdup("sender@example.net");
		strv_push(&m->im->env.rcpt_to, xstrdup("rcpt@example.com"));
	} else {
		m->im->env.source = IMCQ_ENV_RFC822;
	}
	mime_fill(m, body, 0, &rep, &rep.lim);
	report_add_message(&rep, m);
	fuzz_check_json(&rep);
	text = fuzz_json_text(&rep);
	report_release(&rep);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *head, *whole;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	mime_set_head_only(true);
	head = fill_json(data, size);
	mime_set_head_only(false);
	whole = fill_json(data, size);
	mime_set_head_only(true);
	if (strcmp(head, whole) != 0)
		fuzz_fail("a header block read alone gives another report than the whole input");
	free(head);
	free(whole);
	return 0;
}
