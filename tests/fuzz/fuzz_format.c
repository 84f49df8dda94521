/* SPDX-License-Identifier: MIT */
/*
 * fuzz_format.c - one reader on arbitrary bytes.  Built once per reader
 * (The Sleuth Kit's -DFSTYPE trick):
 *
 *	-DFUZZ_FORMAT=imcq_format_spool -DFUZZ_MEMBER='"Exchsrvr/Imcdata/Out/3SW32JRP"'
 *	[-DFUZZ_ONE_MESSAGE]
 *
 * The input is one member named FUZZ_MEMBER (so that name- and place-based
 * bids see what they expect).  Every reader of the registry bids on it
 * (bids must never fail); FUZZ_FORMAT reads it when it bid, as the
 * pipeline does, through a sink that runs mime_fill() on each message, so
 * the RFC 822 / MIME side is fuzzed through the message readers too.  The
 * report is then turned into JSON and must parse again.
 *
 * A reader that streams (format.h open/feed/close: the text logs) also
 * reads the input as ingest streams it, in chunks of 1 to 256 bytes (the
 * first byte says how many), into a second report: its JSON must be the
 * whole read's, byte for byte.
 *
 * FUZZ_ONE_MESSAGE (message-bearing readers): a member the reader accepted
 * yields exactly one message record, damaged or not (PRODUCT.md, "Nothing
 * lost").
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/hash.h"
#include "analyzer/core/path.h"
#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=imcq_format_<name>"
#endif
#ifndef FUZZ_MEMBER
#define FUZZ_MEMBER "fuzz-input"
#endif

/* Read e again in chunks, as ingest streams it, and compare. */
static void
check_chunked(const struct imcq_format *f, const struct imcq_entry *e,
	      const uint8_t *data, size_t size, const struct imcq_report *whole, int rc)
{
	struct imcq_report rep;
	struct imcq_sink sink;
	struct imcq_entry se = *e;
	size_t k = size ? (size_t)data[0] + 1 : 1, i;
	char *a, *b;
	void *st;

	report_init(&rep);
	fuzz_limits(&rep.lim);
	fuzz_sink(&sink, &rep);
	se.data = NULL;
	se.len = 0;
	se.size = 0;
	se.sha256 = NULL;
	st = f->open(&se, &sink);
	for (i = 0; i < size; i += k) {
		size_t n = size - i < k ? size - i : k;
		/* a copy that dies after the call, as ingest's chunks do */
		uint8_t *c = malloc(n);

		if (c == NULL)
			fuzz_fail("out of memory");
		memcpy(c, data + i, n);
		f->feed(st, c, n);
		free(c);
	}
	se.size = e->size;
	se.sha256 = e->sha256;
	if (f->close(st) != rc)
		fuzz_fail("a chunked read returned another status");
	a = fuzz_json_text(whole);
	b = fuzz_json_text(&rep);
	if (strcmp(a, b) != 0)
		fuzz_fail("a chunked read differs from the whole read");
	free(a);
	free(b);
	report_release(&rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct imcq_format *f = &FUZZ_FORMAT;
	struct imcq_report rep;
	struct imcq_sink sink;
	struct imcq_entry e;
	bool susp = false;
	char *norm;
	char sha[65];
	size_t i;
	int bid;

	if (size > FUZZ_MAX_INPUT)
		return -1;	/* not added to the corpus */
	report_init(&rep);
	fuzz_limits(&rep.lim);
	fuzz_sink(&sink, &rep);
	norm = path_normalize(FUZZ_MEMBER, &susp);
	sha256_hex(data, size, sha);
	memset(&e, 0, sizeof(e));
	e.member = FUZZ_MEMBER;
	e.base = path_base(norm);
	e.place = path_place(norm);
	e.data = data;
	e.len = size;
	e.size = size;
	e.mtime = FUZZ_NOW - 3600;
	e.sha256 = sha;

	for (i = 0; i < imcq_format_count(); i++)
		(void)imcq_format_at(i)->bid(&e);
	bid = f->bid(&e);
	if (bid < 0)
		fuzz_fail("negative bid");
	if (bid > 0) {
		int rc = f->read(&e, &sink);

#ifdef FUZZ_ONE_MESSAGE
		if (rep.nmsgs != 1)
			fuzz_fail("a message reader did not yield exactly one message record");
#endif
		fuzz_check_json(&rep);
		if (f->open)
			check_chunked(f, &e, data, size, &rep, rc);
	}
	report_release(&rep);
	free(norm);
	return 0;
}
