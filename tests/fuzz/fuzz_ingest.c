/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ingest.c - the whole pipeline on an in-memory input: ingest_memory()
 * (libarchive from memory, nested archives, every guard), detection and
 * every reader, the analysis stages, and the JSON report, which must parse
 * again.  Seeds are whole archives (the samples' zips, small tars).
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect.h"
#include "analyzer/ingest.h"
#include "analyzer/pipeline.h"
#include "tests/fuzz/fuzz.h"

struct ctx {
	struct imcq_report *rep;
	struct imcq_sink sink;
};

/* What the pipeline's on_entry does. */
static void
on_entry(void *user, const struct imcq_entry *e, size_t inv_index)
{
	struct ctx *c = user;
	const struct imcq_format *f;
	char *amb = NULL;
	int bid = 0;

	if (e->data == NULL)
		return;
	f = detect_entry(e, &bid, &amb);
	if (f == NULL) {
		c->rep->inv[inv_index].kind = "unknown";
		free(amb);
		return;
	}
	c->rep->inv[inv_index].kind = f->name;
	c->rep->inv[inv_index].bid = bid;
	if (amb) {
		anomaly_add(c->rep, "ambiguous-format", IMCQ_SEV_INFO, e->input, e->member, 0,
			    "readers %s and %s bid the same (%d)", f->name, amb, bid);
		c->rep->inv[inv_index].ambiguous = amb;
	}
	if (f->read(e, &c->sink) == IMCQ_OK)
		c->rep->inv[inv_index].parsed = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imcq_report rep;
	struct imcq_opts o;
	struct ctx c;

	if (size > FUZZ_MAX_ARCHIVE)
		return -1;
	opts_default(&o);
	fuzz_limits(&o.lim);
	o.now = FUZZ_NOW;
	o.quiet = true;
	o.progress = 0;
	report_init(&rep);
	rep.lim = o.lim;
	c.rep = &rep;
	fuzz_sink(&c.sink, &rep);
	c.sink.user = &c;
	(void)ingest_memory(&rep, "fuzz-input", data, size, on_entry, &c);
	analyze_states(&rep, &o);
	analyze_routing(&rep, &o);
	fuzz_check_json(&rep);
	report_release(&rep);
	return 0;
}
