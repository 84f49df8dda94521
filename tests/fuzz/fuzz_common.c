/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.c - helpers shared by the harnesses (see fuzz.h).
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "analyzer/mime.h"
#include "reports/json.h"

void
fuzz_limits(struct imcq_limits *l)
{
	imcq_limits_default(l);
	l->entry_bytes = (uint64_t)2 << 20;
	l->total_bytes = (uint64_t)64 << 20;
	l->members = 20000;
	l->envelope_bytes = (uint64_t)256 << 10;
	l->rcpts = 2000;
	l->header_bytes = (size_t)64 << 10;
	l->header_block = (size_t)512 << 10;
	l->mime_parts = 200;
	l->hops = 50;
	l->lines = 200000;
	l->qrefs = 100000;
	l->re_match = 100000;
	l->re_depth = 2000;
	l->anomalies = 2000;
}

_Noreturn void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz invariant failed: %s\n", what);
	abort();
}

static void
on_message(struct imcq_sink *s, const struct imcq_entry *e,
	   struct imcq_message *m, struct span body, uint64_t body_off)
{
	(void)e;
	if (m->nsources > 0)
		m->sources[0].body_offset = body_off;
	if (!m->damaged || body.len > 0)
		mime_fill(m, body, body_off, s->rep, s->lim);
	message_seen_in(m, (unsigned)m->snapshot);
	report_add_message(s->rep, m);
}

void
fuzz_sink(struct imcq_sink *s, struct imcq_report *rep)
{
	memset(s, 0, sizeof(*s));
	s->rep = rep;
	s->lim = &rep->lim;
	s->message = on_message;
}

/* Is p[0..n) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t k, j;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += k + 1;
	}
	return 1;
}

void
fuzz_check_json(const struct imcq_report *rep)
{
	char *text = fuzz_json_text(rep);
	cJSON *again;

	if (!utf8_valid((const unsigned char *)text, strlen(text)))
		fuzz_fail("report JSON is not valid UTF-8");
	again = cJSON_Parse(text);
	if (again == NULL)
		fuzz_fail("report JSON does not parse");
	cJSON_Delete(again);
	free(text);
}

char *
fuzz_json_text(const struct imcq_report *rep)
{
	cJSON *doc = json_report(rep, "fuzz");
	char *text;

	if (doc == NULL)
		fuzz_fail("json_report returned NULL");
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		fuzz_fail("cJSON_PrintUnformatted returned NULL");
	return text;
}
