/* SPDX-License-Identifier: MIT */
/*
 * pipeline.c - one run (see pipeline.h).
 *
 * Threads (ingest.h): with two, ingest's producer thread reads, hashes and
 * calls on_head and on_prepare for each member; the calling thread calls
 * on_entry (or on_begin, on_chunk, on_end), in member order, and is the
 * only one to change the report.  on_head detects the reader from the
 * member's first bytes; a reader that streams (the text logs) then gets
 * the member chunk by chunk on the calling thread, whatever its size.
 * For any other, when the calling thread has a backlog on_prepare also reads
 * the member itself if the reader is one of the message readers (spool,
 * pickup, rfc822: they and mime_fill touch the report only through
 * anomaly_add and the sink's message callback), into a private report
 * whose anomalies and messages on_entry then adds in the order they came,
 * exactly as a read in the calling thread would have.  Both cores stay
 * busy; the bytes of every output are the same with one or two threads.
 */
#include "analyzer/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core/keysort.h"
#include "analyzer/core/par.h"
#include "analyzer/core/stage.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/store.h"
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
	o->threads = 0;
}

unsigned
ingest_threads(const struct imcq_opts *o)
{
	long ncpu;

	if (o->threads == 1)
		return 1;
	if (o->threads >= 2)
		return 2;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu > 1 ? 2 : 1;
}

struct run {
	struct imcq_report *rep;
	const struct imcq_opts *o;
	struct imcq_sink sink;
	bool show_progress;
	size_t inv_index;	/* the member on_entry reads: its inventory row */
	/* replay */
	replay_cb rcb;
	void *ruser;
};

/* What every message record gets after its reader, on either thread:
 * anomalies go to rep (the run's, or read_early's private one). */
static void
message_finish(struct imcq_message *m, struct span body, uint64_t body_off,
	       struct imcq_report *rep, const struct imcq_limits *lim)
{
	if (m->nsources > 0)
		m->sources[0].body_offset = body_off;
	/* also for damaged records: the envelope's recipients still become
	 * recipient rows, and an empty body is handled */
	mime_fill(m, body, body_off, rep, lim);
	message_seen_in(m, (unsigned)m->snapshot);
}

static void
on_message(struct imcq_sink *s, const struct imcq_entry *e,
	   struct imcq_message *m, struct span body, uint64_t body_off)
{
	struct run *run = s->user;

	(void)e;
	message_finish(m, body, body_off, run->rep, &run->rep->lim);
	message_bind_source(run->rep, m, run->inv_index);
	report_add_message(run->rep, m);
}

/* Which reader takes a member (the bids depend on the entry alone), and
 * possibly the member already read. */
struct detected {
	const struct imcq_format *f;	/* NULL: no reader */
	int bid;
	char *amb;			/* readers with the same bid, or NULL */
	void *state;			/* a streaming reader's, from open to close */
	/* read by on_prepare (read_early): what f->read did */
	bool read;
	int rc;
	struct imcq_anomaly *anoms;	/* in order, not capped */
	size_t nanoms;
	uint64_t dropped;		/* beyond --max-anomalies in this read alone */
	struct imcq_message **msgs;	/* in order */
	size_t nmsgs, msgcap;
	bool chill;			/* the run chills: do it here */
	bool drop;			/* dropping the cold fields (drop_details) */
};

/* The message readers: read() touches the report only through
 * anomaly_add and s->message, and on_message's work (mime_fill) only
 * through anomaly_add, so their members can be read anywhere. */
static bool
reads_anywhere(const struct imcq_format *f)
{
	return f == &imcq_format_spool || f == &imcq_format_pickup ||
	       f == &imcq_format_rfc822;
}

/* on_message for a member read early: the same, into d. */
static void
on_message_early(struct imcq_sink *s, const struct imcq_entry *e,
		 struct imcq_message *m, struct span body, uint64_t body_off)
{
	struct detected *d = s->user;

	(void)e;
	message_finish(m, body, body_off, s->rep, s->lim);
	/* report_add_message's work, done here (it then spills the block) */
	if (d->chill)
		m = message_chill(m, d->drop);
	message_pack(m);
	VEC_PUSH(d->msgs, d->nmsgs, d->msgcap, m);
}

/* Read e with d->f into a private report: its anomalies (with the run's
 * limits, so the same ones and the same texts) and messages go into d. */
static void
read_early(const struct run *run, const struct imcq_entry *e, struct detected *d)
{
	struct imcq_report scratch;
	struct imcq_sink sink;

	report_init(&scratch);
	scratch.lim = run->o->lim;
	sink.rep = &scratch;
	sink.lim = &scratch.lim;
	sink.message = on_message_early;
	sink.user = d;
	d->chill = run->rep->chill;	/* set before ingest began */
	d->drop = run->rep->drop_details;
	d->rc = d->f->read(e, &sink);
	d->read = true;
	d->anoms = scratch.anoms;
	d->nanoms = scratch.nanoms;
	d->dropped = scratch.anoms_dropped;
	scratch.anoms = NULL;
	scratch.nanoms = scratch.anomcap = 0;
	report_release(&scratch);
}

/* The reader of e (the bids look at its first IMCQ_BID_BYTES, its name
 * and its place only, so its head is enough). */
static struct detected *
detect(const struct run *run, const struct imcq_entry *e)
{
	struct detected *d = xcalloc(1, sizeof(*d));

	if (run->o->format) {
		d->f = imcq_format_find(run->o->format);
		d->bid = d->f ? d->f->bid(e) : 0;
		if (d->f && d->bid == 0)
			d->f = NULL;
	} else {
		d->f = detect_entry(e, &d->bid, &d->amb);
	}
	return d;
}

static void
detected_free(struct detected *d)
{
	if (d) {
		free(d->amb);
		free(d);
	}
}

/* ingest's head step: on the producer thread with two threads, so it
 * reads nothing shared but the options (run->o, constant).  A reader
 * that streams gets the member in chunks. */
static void *
on_head(void *user, const struct imcq_entry *e, bool *stream)
{
	struct detected *d = detect(user, e);

	*stream = d->f != NULL && d->f->open != NULL;
	return d;
}

static void
on_drop(void *user, void *prep)
{
	(void)user;
	detected_free(prep);
}

/* ingest's prepare step, on the same thread: a member read whole. */
static void *
on_prepare(void *user, const struct imcq_entry *e, bool spare, void *head)
{
	const struct run *run = user;
	struct detected *d = head;

	if (e->data == NULL)	/* too large: head's choice is all there is */
		return d;
	if (d == NULL)
		d = detect(run, e);
	if (spare && d->f != NULL && reads_anywhere(d->f))
		read_early(run, e, d);
	return d;
}

/* Add what read_early got, as the read would have (the messages' sources
 * bound to inventory row inv_index). */
static int
add_early(struct imcq_report *rep, struct detected *d, size_t inv_index)
{
	size_t i;

	for (i = 0; i < d->nanoms; i++) {
		struct imcq_anomaly *a = &d->anoms[i];

		anomaly_add(rep, a->code, a->sev, a->input, a->member, a->offset,
			    "%s", a->message);
		free(a->code);
		free(a->member);
		free(a->message);
	}
	free(d->anoms);
	rep->anoms_dropped += d->dropped;
	for (i = 0; i < d->nmsgs; i++) {
		message_bind_source(rep, d->msgs[i], inv_index);
		report_add_message(rep, d->msgs[i]);
	}
	free(d->msgs);
	return d->rc;
}

/* The inventory row says which reader reads the member (the report
 * takes d->amb). */
static void
chosen(struct run *run, const struct imcq_entry *e, size_t inv_index, struct detected *d)
{
	struct imcq_report *rep = run->rep;
	const struct imcq_format *f = d->f;

	rep->inv[inv_index].kind = f->name;
	rep->inv[inv_index].bid = d->bid;
	if (d->amb) {
		anomaly_add(rep, "ambiguous-format", IMCQ_SEV_INFO, e->input, e->member, 0,
			    "readers %s and %s bid the same (%d); %s was used (registry order)",
			    f->name, d->amb, d->bid, f->name);
		rep->inv[inv_index].ambiguous = d->amb;
		d->amb = NULL;
	}
	run->inv_index = inv_index;
}

/*
 * A member over --max-entry whose first 64 KiB a message reader (spool,
 * pickup, rfc822) recognised: not read, but one damaged record for it, so
 * that every spool file still yields a record (PRODUCT.md, "Nothing lost")
 * and is not taken for a lost one.  Its spool id is the file name, as the
 * readers take it; the inventory row stays "too-large".
 */
static void
too_large_message(struct run *run, const struct imcq_entry *e, size_t inv_index,
		  const struct imcq_format *f)
{
	static const unsigned char none[1];
	struct imcq_message *m = imcq_entry_message(e, f->name);
	struct span body = { none, 0 };
	char *why = xasprintf("not read: %llu bytes, over the parse limit of %llu bytes "
			      "(--max-entry)", (unsigned long long)e->size,
			      (unsigned long long)run->o->lim.entry_bytes);

	message_damage(m, why);
	free(why);
	m->im->env.source = IMCQ_ENV_NONE;
	run->inv_index = inv_index;
	run->sink.message(&run->sink, e, m, body, 0);
}

static void
on_entry(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct run *run = user;
	struct imcq_report *rep = run->rep;
	struct detected *d = prep;
	const struct imcq_format *f;
	int rc;

	if (e->data == NULL) {
		/* too large to parse: listed in the inventory (and an anomaly)
		 * by ingest; a message besides, when its first bytes are one */
		if (d != NULL && d->f != NULL && reads_anywhere(d->f))
			too_large_message(run, e, inv_index, d->f);
		detected_free(d);
		return;
	}
	if (d == NULL)
		return;
	f = d->f;
	if (f == NULL) {
		detected_free(d);
		rep->inv[inv_index].kind = "unknown";
		return;
	}
	chosen(run, e, inv_index, d);
	rc = d->read ? add_early(rep, d, inv_index) : f->read(e, &run->sink);
	free(d);
	if (rc == IMCQ_OK)
		rep->inv[inv_index].parsed = true;
}

/* A member streamed to its reader (on_head chose one that streams). */
static void
on_begin(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct run *run = user;
	struct detected *d = prep;

	chosen(run, e, inv_index, d);
	d->state = d->f->open(e, &run->sink);
}

static void
on_chunk(void *user, void *prep, const unsigned char *p, size_t n)
{
	struct detected *d = prep;

	(void)user;
	d->f->feed(d->state, p, n);
}

static void
on_end(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct run *run = user;
	struct detected *d = prep;
	int rc = d->f->close(d->state);

	(void)e;
	detected_free(d);
	if (rc == IMCQ_OK)
		run->rep->inv[inv_index].parsed = true;
}

/*
 * The progress line, rewritten in place on stderr after every 256
 * members: what the walk of the INPUT has seen, and for an archive how
 * far into it the walk has read.  Only counts of the walk, never the
 * clock: the same lines with one thread or two.
 */
static void
progress_tick(void *user, const struct ingest_progress *p)
{
	struct run *run = user;
	char in[48] = "", share[32] = "";

	if (!run->show_progress || (p->members % 256) != 0)
		return;
	if (run->o->ninputs > 1)
		snprintf(in, sizeof(in), "input %d of %zu: ", p->input + 1, run->o->ninputs);
	if (p->size > 0)
		snprintf(share, sizeof(share), "; %u %% of the archive",
			 (unsigned)(p->pos >= p->size ? 100 : p->pos * 100 / p->size));
	fprintf(stderr, "\rimcq: %s%llu members, %llu MiB read, %zu messages%s\033[K", in,
		(unsigned long long)p->members, (unsigned long long)(p->bytes >> 20),
		run->rep->nmsgs, share);
}

bool
pipeline_progress(const struct imcq_opts *o)
{
	return !o->quiet && (o->progress == 2 || (o->progress == 1 && isatty(2)));
}

/* cmp_msg's first key: the spool id's first eight bytes (keysort.h) */
static uint64_t
msg_key(const void *p)
{
	return str_key8(((const struct imcq_message *)p)->spool_id);
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
	struct ingest_visit v = {
		.head = on_head,
		.prepare = on_prepare,
		.entry = on_entry,
		.begin = on_begin,
		.chunk = on_chunk,
		.end = on_end,
		.drop = on_drop,
		.tick = run->show_progress ? progress_tick : NULL,
		.user = run,
	};
	unsigned threads = ingest_threads(run->o);
	size_t i;
	size_t ok = 0;

	for (i = 0; i < run->o->ninputs; i++) {
		struct imcq_err e = { 0 };

		if (ingest_input(run->rep, run->o->inputs[i], (int)i, &v, threads, &e) == IMCQ_OK)
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

/* Where the messages' cold fields go (model.h message_chill): a temporary
 * file (core/spill.h); IMCQ_SPILL=memory keeps the encoded blocks in
 * memory, IMCQ_SPILL=off does not chill at all (tests compare the three:
 * the same bytes out).  When no temporary file can be made, memory. */
static void
open_spill(struct imcq_report *rep, const struct imcq_opts *o)
{
	const char *how = getenv("IMCQ_SPILL");
	struct imcq_err e = { 0 };

	if (how != NULL && strcmp(how, "off") == 0)
		return;
	rep->chill = true;
	rep->drop_details = o->lean;
	if (rep->spill != NULL || (how != NULL && strcmp(how, "memory") == 0))
		return;
	rep->spill = spill_open(NULL, &e);
	if (rep->spill == NULL && !o->quiet)
		imcq_warn("warning: %s; keeping message details in memory", e.msg);
	/* the messages' strings: read in place from a file (core/store.h);
	 * without one they stay in memory, the same bytes out */
	if (rep->spill != NULL && rep->store == NULL) {
		struct imcq_err se = { 0 };

		rep->store = store_open(NULL, &se);
		/* and the records, written in place by the analysis (a
		 * store of their own, never sealed; report_gather) */
		if (rep->store != NULL) {
			const char *rh = getenv("IMCQ_RECORDS_HEAP");
			char *end = NULL;
			unsigned long long v = rh != NULL ? strtoull(rh, &end, 10) : 0;

			rep->rstore = store_open(NULL, &se);
			store_label(rep->rstore, "records");
			rep->estore = store_open(NULL, &se);
			store_label(rep->estore, "events");
			rep->istore = store_open(NULL, &se);
			store_label(rep->istore, "inventory");
			rep->mstore = store_open(NULL, &se);
			store_label(rep->mstore, "members");
			/* up to 64 MiB of records stay in the heap (a run of
			 * 100,000 messages takes ~36 MiB), and a quarter of
			 * that of log events (~116,000), inventory rows
			 * (~210,000) and Queue.dat references */
			rep->rec_heap_max = rh != NULL && end != rh && *end == '\0' ?
					    (uint64_t)v : (uint64_t)64 << 20;
			/* no trim below STORE_RSS_FLOOR while the records
			 * stay in the heap (report_add_message takes it back) */
			store_set_rss_floor(rep->rstore != NULL && rep->rec_heap_max > 0 ?
					    STORE_RSS_FLOOR : 0);
		}
	}
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
	run.show_progress = pipeline_progress(o);
	stage_mark("start");
	rep->no_hashes = o->lean;
	open_spill(rep, o);
	rc = ingest_all(&run, err);
	rep->ingest_over = true;
	report_trim(rep);
	store_seal(rep->store);	/* the stored strings are read-only now */
	store_seal(rep->mstore);
	stage_mark("ingest");
	if (run.show_progress)
		fprintf(stderr, "\rimcq: analysing %zu messages\033[K", rep->nmsgs);
	/* the analysis: the calling thread, and with two threads a worker
	 * for the sorts and loops that split (par.h; same bytes) */
	par_begin(ingest_threads(o));
	/* the passes read the records in the store faster than the trimming
	 * threads can follow: a timer paces them (core/store.h) */
	store_pace(true);
	xqsort_keyed((void **)rep->msgs, rep->nmsgs, msg_key, cmp_msg);
	/* the records and their recipients into a store of their own, in
	 * spool-id order (with no store, report_order_mem alone) */
	report_order_mem(rep);
	report_gather(rep);
	stage_mark("gather");
	analyze_states(rep, o);
	analyze_routing(rep, o);
	/* what the analysis left live goes to the spill (model.h) */
	report_freeze_findings(rep);
	store_pace(false);
	par_end();
	/* the writers read the messages in spool-id order: from the record
	 * store in the order they lie when the gather moved them, else at
	 * random in the main store, which then stays mapped (store_keep) --
	 * unless it is too big to keep: the strings of a million log events
	 * with few spool files (the missing records' run) took the peak of
	 * --json from 191 to 271 MiB, mapped in the writers' last seconds */
	if (!o->summary_only && !rep->gathered && store_size(rep->store) <= STORE_KEEP_MAX)
		store_keep(rep->store);
	stage_mark("analysis");
	if (run.show_progress)
		fprintf(stderr, "\r\033[K");
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
on_replay_entry(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	struct replay_run *rr = user;
	struct imcq_source key = { .input = e->input, .member = e->member };
	struct src_ref k = { .s = &key };
	struct src_ref *hit;

	(void)inv_index;
	(void)prep;
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
	struct ingest_visit v = { .entry = on_replay_entry, .user = &rr };
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

		/* the callback (writing recovered files, SMTP) runs in this
		 * thread, in member order, as with one thread */
		if (ingest_input(&scratch, o->inputs[i], (int)i, &v, ingest_threads(o),
				 &e) != IMCQ_OK && !o->quiet)
			imcq_warn("%s", e.msg);
	}
	report_release(&scratch);
	free(rr.refs);
	(void)err;
	return IMCQ_OK;
}
