/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ingest.c - the whole pipeline on an in-memory input: ingest_memory()
 * (libarchive from memory, nested archives, every guard), detection and
 * every reader, the text logs streamed in chunks as the pipeline streams
 * them (cut further by the input's last byte), the analysis stages, and
 * the JSON report, which must parse again.  Seeds are whole archives (the
 * samples' zips, small tars).
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
	size_t cut;		/* streamed chunks cut to this (from the input) */
};

/* The reader of a member, chosen on its first bytes (pipeline's on_head). */
struct det {
	const struct imcq_format *f;
	int bid;
	char *amb;
	void *state;
};

static void *
on_head(void *user, const struct imcq_entry *e, bool *stream)
{
	struct det *d = calloc(1, sizeof(*d));

	(void)user;
	if (d == NULL)
		fuzz_fail("out of memory");
	d->f = detect_entry(e, &d->bid, &d->amb);
	*stream = d->f != NULL && d->f->open != NULL;
	return d;
}

static void
det_free(void *user, void *prep)
{
	struct det *d = prep;

	(void)user;
	if (d) {
		free(d->amb);
		free(d);
	}
}

/* What the pipeline's on_entry does: the inventory row's kind and bid. */
static void
chosen(struct ctx *c, const struct imcq_entry *e, size_t inv_index, struct det *d)
{
	c->rep->inv[inv_index].kind = d->f->name;
	c->rep->inv[inv_index].bid = d->bid;
	if (d->amb) {
		anomaly_add(c->rep, "ambiguous-format", IMCQ_SEV_INFO, e->input, e->member, 0,
			    "readers %s and %s bid the same (%d)", d->f->name, d->amb, d->bid);
		c->rep->inv[inv_index].ambiguous = d->amb;
		d->amb = NULL;
	}
}

static void
on_entry(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct ctx *c = user;
	struct det *d = prep;

	if (e->data == NULL || d == NULL) {
		det_free(NULL, d);
		return;
	}
	if (d->f == NULL) {
		c->rep->inv[inv_index].kind = "unknown";
		det_free(NULL, d);
		return;
	}
	chosen(c, e, inv_index, d);
	if (d->f->read(e, &c->sink) == IMCQ_OK)
		c->rep->inv[inv_index].parsed = true;
	det_free(NULL, d);
}

/* A member streamed to its reader (a text log), in chunks cut further. */
static void
on_begin(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct ctx *c = user;
	struct det *d = prep;

	chosen(c, e, inv_index, d);
	d->state = d->f->open(e, &c->sink);
}

static void
on_chunk(void *user, void *prep, const unsigned char *p, size_t n)
{
	struct ctx *c = user;
	struct det *d = prep;

	while (n > 0) {
		size_t k = n < c->cut ? n : c->cut;

		d->f->feed(d->state, p, k);
		p += k;
		n -= k;
	}
}

static void
on_end(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct ctx *c = user;
	struct det *d = prep;

	(void)e;
	if (d->f->close(d->state) == IMCQ_OK)
		c->rep->inv[inv_index].parsed = true;
	det_free(NULL, d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imcq_report rep;
	struct imcq_opts o;
	struct ctx c;
	struct ingest_visit v = {
		.head = on_head, .entry = on_entry, .begin = on_begin, .chunk = on_chunk,
		.end = on_end, .drop = det_free, .user = &c,
	};

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
	/* the last byte: how finely the logs are cut (an archive's first
	 * bytes are its magic) */
	c.cut = size ? (size_t)data[size - 1] * 64 + 1 : 1;
	(void)ingest_memory_visit(&rep, "fuzz-input", data, size, &v);
	analyze_states(&rep, &o);
	analyze_routing(&rep, &o);
	fuzz_check_json(&rep);
	report_release(&rep);
	return 0;
}
