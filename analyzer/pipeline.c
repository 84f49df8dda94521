/* SPDX-License-Identifier: MIT */
#include "analyzer/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core/xalloc.h"
#include "analyzer/detect.h"
#include "analyzer/ingest.h"
#include "analyzer/mime.h"

void
opts_default(struct imcq_opts *o)
{
	memset(o, 0, sizeof(*o));
	imcq_limits_default(&o->lim);
	o->now = IMCQ_NOTIME;
	o->timeout_normal = 48 * 3600;		/* Q184051, Q166587 */
	o->timeout_urgent = 24 * 3600;		/* [R] recollection, DOMAIN.md 4.1 */
	o->timeout_nonurgent = 72 * 3600;	/* [R] recollection, DOMAIN.md 4.1 */
	o->first_retry = 15 * 60;		/* Q146669: .25 h */
	o->max_hops = 30;
	o->progress = 1;
}

struct run {
	struct imcq_report *rep;
	const struct imcq_opts *o;
	struct imcq_sink sink;
	bool show_progress;
	/* replay */
	replay_cb rcb;
	void *ruser;
};

static void
on_message(struct imcq_sink *s, const struct imcq_entry *e,
	   struct imcq_message *m, struct span body, uint64_t body_off)
{
	struct run *run = s->user;

	(void)e;
	if (m->nsources > 0)
		m->sources[0].body_offset = body_off;
	/* also for damaged records: the envelope's recipients still become
	 * recipient rows, and an empty body is handled */
	mime_fill(m, body, body_off, run->rep, &run->rep->lim);
	message_seen_in(m, (unsigned)m->snapshot);
	report_add_message(run->rep, m);
}

static void
on_entry(void *user, const struct imcq_entry *e, size_t inv_index)
{
	struct run *run = user;
	struct imcq_report *rep = run->rep;
	const struct imcq_format *f = NULL;
	char *amb = NULL;
	int bid = 0;

	if (e->data == NULL) {
		/* too large to parse: a spool-file-sized hole in the evidence,
		 * still listed in the inventory by ingest */
		return;
	}
	if (run->o->format) {
		f = imcq_format_find(run->o->format);
		bid = f ? f->bid(e) : 0;
		if (f && bid == 0)
			f = NULL;
	} else {
		f = detect_entry(e, &bid, &amb);
	}
	if (f == NULL) {
		rep->inv[inv_index].kind = "unknown";
		return;
	}
	rep->inv[inv_index].kind = f->name;
	rep->inv[inv_index].bid = bid;
	if (amb) {
		anomaly_add(rep, "ambiguous-format", IMCQ_SEV_INFO, e->input, e->member, 0,
			    "readers %s and %s bid the same (%d); %s was used (registry order)",
			    f->name, amb, bid, f->name);
		rep->inv[inv_index].ambiguous = amb;
	}
	if (f->read(e, &run->sink) == IMCQ_OK)
		rep->inv[inv_index].parsed = true;
}

static void
progress_tick(void *user, uint64_t bytes, uint64_t members)
{
	struct run *run = user;

	if (!run->show_progress || (members % 256) != 0)
		return;
	fprintf(stderr, "\rimcq: %llu members, %llu MiB read, %zu messages",
		(unsigned long long)members, (unsigned long long)(bytes >> 20),
		run->rep->nmsgs);
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct imcq_message *x = *(struct imcq_message *const *)a;
	const struct imcq_message *y = *(struct imcq_message *const *)b;
	int c = strcmp(x->spool_id ? x->spool_id : "", y->spool_id ? y->spool_id : "");

	if (c)
		return c;
	if (x->nsources && y->nsources) {
		if (x->sources[0].input != y->sources[0].input)
			return x->sources[0].input < y->sources[0].input ? -1 : 1;
		c = strcmp(x->sources[0].member ? x->sources[0].member : "",
			   y->sources[0].member ? y->sources[0].member : "");
		if (c)
			return c;
	}
	return (x->nsources > y->nsources) - (x->nsources < y->nsources);
}

static int
ingest_all(struct run *run, struct imcq_err *err)
{
	struct ingest_progress prog = { .tick = progress_tick, .user = run };
	size_t i;
	size_t ok = 0;

	for (i = 0; i < run->o->ninputs; i++) {
		struct imcq_err e = { 0 };

		if (ingest_input(run->rep, run->o->inputs[i], (int)i, on_entry, run,
				 &prog, &e) == IMCQ_OK)
			ok++;
		else if (!run->o->quiet)
			imcq_warn("%s", e.msg);
	}
	if (run->show_progress)
		fprintf(stderr, "\r\033[K");
	if (ok == 0 && run->o->ninputs > 0)
		return imcq_err_set(err, IMCQ_SKIP, "no input could be read");
	return IMCQ_OK;
}

int
pipeline_run(struct imcq_report *rep, const struct imcq_opts *o, struct imcq_err *err)
{
	struct run run = { .rep = rep, .o = o };
	int rc;

	rep->lim = o->lim;
	run.sink.rep = rep;
	run.sink.lim = &rep->lim;
	run.sink.message = on_message;
	run.sink.user = &run;
	run.show_progress = !o->quiet && (o->progress == 2 ||
					  (o->progress == 1 && isatty(2)));
	rc = ingest_all(&run, err);
	if (rep->nmsgs > 1)
		xqsort(rep->msgs, rep->nmsgs, sizeof(*rep->msgs), cmp_msg);
	analyze_states(rep, o);
	analyze_routing(rep, o);
	return rc;
}

struct imcq_message *
report_find_message(const struct imcq_report *rep, const char *id)
{
	size_t i;

	for (i = 0; i < rep->nmsgs; i++)
		if (rep->msgs[i]->spool_id && strcmp(rep->msgs[i]->spool_id, id) == 0)
			return rep->msgs[i];
	return NULL;
}

/* Replay: a second walk that matches members to messages by (input,
 * member) and hands over the bytes. */
struct src_ref {
	struct imcq_message *m;
	const struct imcq_source *s;
};

static int
cmp_src(const void *a, const void *b)
{
	const struct src_ref *x = a, *y = b;

	if (x->s->input != y->s->input)
		return x->s->input < y->s->input ? -1 : 1;
	return strcmp(x->s->member, y->s->member);
}

struct replay_run {
	struct src_ref *refs;
	size_t n;
	replay_cb cb;
	void *user;
};

static void
on_replay_entry(void *user, const struct imcq_entry *e, size_t inv_index)
{
	struct replay_run *rr = user;
	struct imcq_source key = { .input = e->input, .member = (char *)e->member };
	struct src_ref k = { .s = &key };
	struct src_ref *hit;

	(void)inv_index;
	if (e->data == NULL)
		return;
	hit = bsearch(&k, rr->refs, rr->n, sizeof(*rr->refs), cmp_src);
	if (hit == NULL)
		return;
	/* several messages cannot share one member; bsearch finds the one */
	rr->cb(rr->user, hit->m, hit->s, e->data, e->len);
}

int
pipeline_replay(struct imcq_report *rep, const struct imcq_opts *o,
		replay_cb cb, void *user, struct imcq_err *err)
{
	struct replay_run rr = { .cb = cb, .user = user };
	struct imcq_report scratch;
	size_t i, j, cap = 0;

	for (i = 0; i < rep->nmsgs; i++)
		for (j = 0; j < rep->msgs[i]->nsources; j++) {
			struct src_ref r = { rep->msgs[i], &rep->msgs[i]->sources[j] };

			if (r.s->member == NULL)
				continue;
			VEC_PUSH(rr.refs, rr.n, cap, r);
		}
	xqsort(rr.refs, rr.n, sizeof(*rr.refs), cmp_src);
	report_init(&scratch);
	scratch.lim = o->lim;
	for (i = 0; i < o->ninputs; i++) {
		struct imcq_err e = { 0 };

		if (ingest_input(&scratch, o->inputs[i], (int)i, on_replay_entry, &rr,
				 NULL, &e) != IMCQ_OK && !o->quiet)
			imcq_warn("%s", e.msg);
	}
	report_release(&scratch);
	free(rr.refs);
	(void)err;
	return IMCQ_OK;
}
