/* SPDX-License-Identifier: MIT */
/*
 * states.c - the state of every message, its queue time and expiry, and
 * the queue cross-checks (PRODUCT.md "States" and the finding codes
 * NOT_IN_QUEUE_DAT, MISSING_SPOOL_FILE, CORRUPT_QUEUE_DAT, DUPLICATE_RISK,
 * EXPIRED, OVERSIZED, LOOP_SUSPECTED).
 *
 * Order of work (analyze_states):
 *   1. protocol-log times to UTC (--log-tz), snapshots, servers, the
 *      reference time (snapshots.c);
 *   2. "missing" records for spool ids that Queue.dat, or a tracking 1010
 *      (SMTP queued outbound) with no later 1011/1016/1017/50, names while
 *      no file with that id is in the snapshot;
 *   3. joins of tracking events (joins.c), priority, queue time (the IMS
 *      Received line whose id is the spool id; an inbound MTS-ID ending in
 *      the spool id; tracking 1010, or 1012 for In; an Exchange MTS-ID,
 *      which is the submission time on the originating server and so a
 *      little earlier than the queuing; the file mtime), expiry,
 *      then joins of protocol-log sessions (their time window needs the
 *      queue time);
 *   4. recipients delivered: tracking 1011 (1013 for In) naming them, or
 *      a protocol-log session that ended with a 2xx after DATA and matches
 *      this message only - unless the server's tracking log records
 *      transfers (1011) and has none for this message;
 *   5. states with their reasons in plain words, findings per message,
 *      report-wide findings listing the spool ids, seen_in and changes.
 *
 * Documented basis (DOMAIN.md): time-out normal 48 h (Q184051, Q166587);
 * urgent and non-urgent defaults are recollections ([R], DOMAIN.md 4.1);
 * 1010/1011/1013/1016/1017 meanings (Q173364); Queue.dat rebuilt from In
 * and Out (Q148727), rebuild duplicates (Q312443), phantom entries
 * (Q193862), size limits in bytes, 0 = none (Q231303), loops (Q190021,
 * Q260247).  What Queue.dat references is carved, not parsed (its layout
 * is undocumented), so the Queue.dat cross-checks are inferred.
 */
#include "analyzer/pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/dec.h"
#include "analyzer/core/keysort.h"
#include "analyzer/core/par.h"
#include "analyzer/core/stage.h"
#include "analyzer/core/store.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/joins.h"
#include "analyzer/snapshots.h"

#define MAX_EV_PER_FINDING	8	/* evidence items listed per finding */
#define CORRUPT_MIN_FILES	10	/* files a Queue.dat with no reference leaves out */
#define LOOP_SAME_BY		3	/* the same `by` host this often: a loop */
#define SUMMARY_EV		20	/* evidence items of a report-wide finding */
#define STATES_PAR_MIN		2048	/* messages: fewer stay in one thread */
/* No input path in the text: the same evidence gives the same report
 * wherever it was copied to. */
#define EXPIRED_ACTION	"recover and re-inject: imcq recover --to pickup --out DIR " \
			"--where 'state = expired' INPUT..."

/* ---- small helpers ------------------------------------------------------- */

static void
set_str(char **dst, char *owned)
{
	text_free(*dst);	/* a missing record's reason is spilled at once */
	*dst = owned;
}

static void
iso(int64_t t, char out[32])
{
	if (t == IMCQ_NOTIME)
		memcpy(out, "unknown", 8);
	else
		imcq_iso(t, out);
}

static void
age(int64_t secs, char out[32])
{
	imcq_fmt_age(secs < 0 ? 0 : secs, out, 32);
}

/* A time-out in words: "48 h", else "1d02h". */
static void
span_words(int64_t secs, char out[32])
{
	if (secs > 0 && secs % 3600 == 0)
		snprintf(out, 32, "%lld h", (long long)(secs / 3600));
	else
		age(secs, out);
}

static const char *
sid(const struct imcq_message *m)
{
	return m->spool_id ? m->spool_id : "(no id)";
}

static bool
is_queue_dat(const struct imcq_queue_file *q)
{
	const char *b;

	if (q->member == NULL)
		return false;
	b = q->member + strlen(q->member);
	while (b > q->member && b[-1] != '/' && b[-1] != '\\' && b[-1] != '!')
		b--;
	return imcq_strcasecmp(b, "queue.dat") == 0;
}

/* A finding that takes msg as it is (see diagnose.c, add_f) and shares its
 * code, reference, basis and action: string literals. */
static struct imcq_finding *
finding(struct imcq_findlist *l, const char *code, enum imcq_sev sev,
	const char *ref, const char *basis, const char *action, char *msg)
{
	return findlist_add_shared(l, code, sev, ref, basis, action, msg);
}

/* m's first source, in one of m's own findings: the item shares the
 * member path with the message (freed together) */
static void
ev_source(struct imcq_finding *f, const struct imcq_message *m, const char *excerpt)
{
	if (m->nsources > 0)
		evlist_add_ref(&f->ev, m->sources[0].input, m->sources[0].member, 0, 0,
			       excerpt ? xstrdup(excerpt) : NULL);
}

/* The items below share the member paths of the report's events, sessions,
 * configuration values and Queue.dat files, which outlive every finding. */
static void
ev_event(struct imcq_evlist *l, const struct imcq_event *e, const char *prefix)
{
	char *x = xstrcat(prefix ? prefix : "", e->text ? e->text : "log event",
			    e->time_raw ? " at " : "", e->time_raw ? e->time_raw : "",
			    e->remote_id ? ", remote id " : "", e->remote_id ? e->remote_id : "",
			    NULL);

	evlist_add_ref(l, e->input, e->member, e->offset, e->line, x);
}

/* ---- the run's context ---------------------------------------------------- */

struct ctx {
	struct imcq_report *rep;
	const struct imcq_opts *o;
	/* message indices are 32-bit (joins_key_classes, rep->mord) */
	uint32_t *grp;		/* duplicate group (union-find root) per message */
	const uint32_t *msgid_cls;	/* joins_key_classes(JK_MSGID), shared with seen_in */
	size_t *sess_groups;	/* distinct groups joined to each session */
	bool *qd_usable;	/* per snapshot: a sound Queue.dat exists */
	bool *has_queue_dirs;	/* per snapshot: In/Out (or their archives) were captured */
	struct sset *qd_keys;	/* (snapshot, spool id) referenced by a usable Queue.dat */
	bool *has_1011;		/* per snapshot: tracking records outbound transfers */
	uint32_t *gorder;	/* message indices ordered by group */
	uint32_t *gbeg, *gend;	/* per group root: its range in gorder */
	struct deliv *dv;	/* per message: its deliveries (state to findings) */
	char ref_iso[32];	/* the reference time, as state_one prints it */
	char tmo_words[3][32];	/* the time-outs in words: non-urgent, normal, urgent */
};

/* A set of (snapshot, spool id).  Issue #9: the spool keys packed in 64
 * bits (joins_spool_code) in a hash table -- no key strings, no sort. */
struct sset_ent {
	uint64_t id;
	int snap;
	bool used;
};

struct sset {
	struct sset_ent *v;
	size_t mask, n;		/* slots - 1 (0: none yet), entries */
};

/* The slot of (snap, id): its own, or the empty one it would take. */
static size_t
sset_at(const struct sset *s, int snap, uint64_t id)
{
	uint64_t h = (id + (uint64_t)(unsigned)snap) * 0x9E3779B97F4A7C15ull;
	size_t at = (size_t)(h ^ (h >> 32)) & s->mask;

	while (s->v[at].used && (s->v[at].id != id || s->v[at].snap != snap))
		at = (at + 1) & s->mask;
	return at;
}

static void
sset_add(struct sset *s, int snap, uint64_t id)
{
	size_t at;

	if (2 * (s->n + 1) > s->mask + 1) {
		struct sset g = { NULL, s->mask ? 2 * s->mask + 1 : 15, 0 };
		size_t i;

		g.v = xcalloc(g.mask + 1, sizeof(*g.v));
		for (i = 0; s->v != NULL && i <= s->mask; i++)
			if (s->v[i].used)
				g.v[sset_at(&g, s->v[i].snap, s->v[i].id)] = s->v[i];
		g.n = s->n;
		free(s->v);
		*s = g;
	}
	at = sset_at(s, snap, id);
	if (!s->v[at].used) {
		s->v[at] = (struct sset_ent){ id, snap, true };
		s->n++;
	}
}

/* Room for n entries before the first growth: one table made once, not
 * rehashed at every doubling (issue #9: file_keys' 100,000 keys at 100k
 * grew it 13 times).  For an empty set. */
static void
sset_reserve(struct sset *s, size_t n)
{
	size_t slots = 16;

	if (s->v != NULL)
		return;
	while (slots < 2 * (n + 1))
		slots *= 2;
	s->v = xcalloc(slots, sizeof(*s->v));
	s->mask = slots - 1;
}

static bool
sset_has(const struct sset *s, int snap, uint64_t id)
{
	return s->v != NULL && s->v[sset_at(s, snap, id)].used;
}

static int64_t
snap_newest(const struct imcq_report *rep, int snap)
{
	if (snap < 0 || (size_t)snap >= rep->nsnaps)
		return IMCQ_NOTIME;
	return rep->snaps[snap].newest_time;
}

/* ---- missing records ------------------------------------------------------ */

/* A candidate: its spool id as joins_spool_code packs it (eight
 * characters, upper case, big-endian: the codes sort as the ids do), not a
 * string of its own (a Queue.dat and tracking log of a million ids make
 * 1.6 million candidates: 64 MiB less, and as many allocations). */
struct mcand {
	int snap;
	int kind;		/* 0 Queue.dat reference, 1 tracking 1010 */
	uint64_t code;
	size_t a, b;		/* qfile + ref, or event */
};

static int
cmp_mcand(const void *x, const void *y)
{
	const struct mcand *a = x, *b = y;

	if (a->snap != b->snap)
		return a->snap < b->snap ? -1 : 1;
	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* (snapshot, key) of every spool file (spool id and IMS id). */
static void
file_keys(const struct imcq_report *rep, struct sset *out)
{
	size_t i;
	uint64_t k;

	/* a key a message: the IMS id is nearly always the spool id */
	sset_reserve(out, rep->nmsgs);
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h): a set */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];

		if (m->nsources == 0)
			continue;
		if (joins_spool_code(m->spool_id, &k))
			sset_add(out, m->snapshot, k);
		if (joins_spool_code(m->ims_id, &k))
			sset_add(out, m->snapshot, k);
	}
}

static bool
x400(const char *s)
{
	return s != NULL && (s[0] == 'c' || s[0] == 'C') && s[1] == '=';
}

static struct imcq_message *
missing_new(int snap, const char *key)
{
	struct imcq_message *m = message_new();

	m->spool_id = xstrdup(key);
	m->queue = IMCQ_Q_OUT;
	m->place = IMCQ_PL_OUT;
	m->state = IMCQ_ST_MISSING;
	m->snapshot = snap;
	if (snap >= 0)
		message_seen_in(m, (unsigned)snap);
	return m;
}

static void
missing_from_event(struct imcq_message *m, const struct imcq_event *e)
{
	size_t i;

	if (m->im->hdr.message_id == NULL) {
		char *r = joins_remote_msgid(e->remote_id);

		if (r != NULL)
			m->im->hdr.message_id = r;
		else if (e->msg_id != NULL && !x400(e->msg_id))
			m->im->hdr.message_id = xstrdup(e->msg_id);
	}
	if (m->im->env.mts_id == NULL && x400(e->msg_id))
		m->im->env.mts_id = xstrdup(e->msg_id);
	if (m->nrcpts == 0)
		for (i = 0; i < e->rcpts.n; i++)
			if (strchr(e->rcpts.v[i], '@') != NULL) {
				char *a = joins_addr_key(e->rcpts.v[i]);

				strv_push(&m->im->env.rcpt_to, xstrdup(a));
				message_add_rcpt(m, a);
				free(a);
			}
	if (m->queue_time == IMCQ_NOTIME && e->time != IMCQ_NOTIME) {
		m->queue_time = e->time;
		m->queue_time_source = "tracking 1010 (SMTP queued outbound)";
	}
}

/* The evidence item of a Queue.dat reference (qref_peek's copy). */
static void
ev_qref(struct imcq_evlist *l, const struct imcq_queue_file *q, const struct imcq_qpeek *qp)
{
	char t[32];
	char *x;

	iso(qp->time, t);
	x = xasprintf("%s reference to %s (%s)%s%s%s%s", q->corrupt ?
		      "corrupt Queue.dat:" : "Queue.dat:", qref_spool_id(q, &qp->r),
		      qref_encoding(&qp->r),
		      qp->time != IMCQ_NOTIME ? ", nearest time " : "",
		      qp->time != IMCQ_NOTIME ? t : "",
		      qp->address ? ", nearest address " : "",
		      qp->address ? qp->address : "");
	evlist_add_ref(l, q->input, q->member, qp->r.offset, 0, x);
}

/* One missing record per (snapshot, spool id) in cand[i..j). */
static struct imcq_message *
missing_make(struct ctx *c, struct mcand *cand, size_t i, size_t j)
{
	struct imcq_report *rep = c->rep;
	char key[9];
	struct imcq_message *m;
	struct imcq_finding *f;
	char *where;
	size_t k, nq = 0, nt = 0;
	bool dirs = cand[i].snap >= 0 && (size_t)cand[i].snap < rep->nsnaps &&
		    c->has_queue_dirs[cand[i].snap];
	int64_t qtime = IMCQ_NOTIME;
	const char *basis = "inferred";
	struct imcq_evlist ev = { NULL, 0, 0 };

	for (k = 0; k < 8; k++)	/* the key: the spool id in upper case */
		key[k] = (char)(cand[i].code >> (56 - 8 * k));
	key[8] = '\0';
	m = missing_new(cand[i].snap, key);
	/* each candidate read once (in spool-id order: anywhere in the
	 * store, read through its file), its evidence item made then */
	for (k = i; k < j; k++) {
		bool item = ev.n < MAX_EV_PER_FINDING;

		if (cand[k].kind == 0) {
			const struct imcq_queue_file *q = &rep->qfiles[cand[k].a];
			struct imcq_qpeek qp;

			nq++;
			if (q->corrupt)
				basis = "heuristic";
			if (qtime != IMCQ_NOTIME && !item)
				continue;
			qref_peek(rep, q, cand[k].b, &qp);
			if (qtime == IMCQ_NOTIME)
				qtime = qp.time;
			if (item)
				ev_qref(&ev, q, &qp);
		} else {
			struct imcq_evread eb;
			const struct imcq_event *e = report_event_read(rep, cand[k].a, &eb);

			nt++;
			missing_from_event(m, e);
			if (item)
				ev_event(&ev, e, "tracking: ");
		}
	}
	if (m->queue_time == IMCQ_NOTIME && qtime != IMCQ_NOTIME) {
		m->queue_time = qtime;
		m->queue_time_source = "Queue.dat (time carved near the reference)";
	}
	/* a tracking-only record survives only without a later 1011, 1016,
	 * 1017 or 50 (prune_missing); with Queue.dat it stays regardless */
	where = xasprintf("%s%s%s", nq ? "Queue.dat" : "",
			    nq && nt ? " and a tracking 1010 (SMTP queued outbound)" : "",
			    nq ? "" : "a tracking 1010 (SMTP queued outbound) with no later "
			    "transfer (1011), report (1016/1017) or deletion (50)");
	m->state_reason = text_spill(rep->spill, xasprintf(
		"referenced by %s, but no spool file %s is anywhere in snapshot %d%s",
		where, m->spool_id, m->snapshot,
		dirs ? ": possibly lost" :
		"; the snapshot holds no Imcdata\\Out or \\In folder, so the file may "
		"simply not have been copied"));
	f = finding(&m->findings, "MISSING_SPOOL_FILE", IMCQ_SEV_WARNING, "Q193862", basis,
		    "look for the file in Out\\Archive, older backups or the other "
			    "server's snapshot (imcq analyze BACKUP...); if tracking shows it "
			    "transferred, the Queue.dat entry is a phantom and goes away when "
			    "Queue.dat is rebuilt (Q193862, Q148727)",
		    xasprintf("spool id %s is referenced by %s but no file with this id "
			      "exists in snapshot %d", m->spool_id, where, m->snapshot));
	f->ev = ev;
	free(where);
	/* kept by prune_missing whatever tracking says */
	m->qd_named = nq > 0;
	/* final: its texts go to the spill now, not after the states (a
	 * tracking log without its spool files makes one record an entry) */
	finding_spill(rep->spill, f);
	/* and the finding itself, to the spill's block: a million of them
	 * (130 MiB) would wait through the joins for summarise alone */
	message_findings_freeze_early(rep, m);
	return m;
}

/* Candidates for missing records, from Queue.dat references (refs) or
 * tracking 1010 events (!refs) whose spool id no file has: the two scans
 * run at once (par_two), each into its own vector. */
struct mscan {
	const struct imcq_report *rep;
	const struct sset *keys;
	struct mcand *cand;
	size_t n, cap;
};

static void
scan_refs(void *user)
{
	struct mscan *x = user;
	const struct imcq_report *rep = x->rep;
	size_t i, j;

	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		if (!is_queue_dat(q))
			continue;
		for (j = 0; j < q->nrefs; j++) {
			const char *id = qref_spool_id(q, &q->refs[j]);
			uint64_t k;

			if (joins_spool_code(id, &k) && !sset_has(x->keys, q->snapshot, k)) {
				struct mcand mc = { q->snapshot, 0, k, i, j };

				VEC_PUSH(x->cand, x->n, x->cap, mc);
			}
		}
	}
}

static void
scan_events(void *user)
{
	struct mscan *x = user;
	const struct imcq_report *rep = x->rep;
	size_t i;

	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];
		uint64_t k;

		if (e->event_no != 1010 || e->source == NULL || strcmp(e->source, "tracking") != 0)
			continue;
		if (joins_spool_code(e->spool_id, &k) && !sset_has(x->keys, e->snapshot, k)) {
			struct mcand mc = { e->snapshot, 1, k, i, 0 };

			VEC_PUSH(x->cand, x->n, x->cap, mc);
		}
	}
}

static void
make_missing(struct ctx *c)
{
	struct imcq_report *rep = c->rep;
	struct mcand *cand = NULL;
	size_t ncand = 0, i, j;
	struct sset keys = { NULL, 0, 0 };
	struct mscan qs = { rep, &keys, NULL, 0, 0 }, es = qs;

	file_keys(rep, &keys);

	par_two(scan_refs, &qs, scan_events, &es);
	/* Queue.dat's candidates, then the events', as one scan made them */
	cand = qs.cand;
	ncand = qs.n;
	if (es.n > 0) {
		cand = xreallocarray(cand, ncand + es.n, sizeof(*cand));
		memcpy(cand + ncand, es.cand, es.n * sizeof(*cand));
		ncand += es.n;
	}
	free(es.cand);
	if (ncand > 1)
		xqsort(cand, ncand, sizeof(*cand), cmp_mcand);
	for (i = 0; i < ncand; i = j) {
		for (j = i + 1; j < ncand && cand[j].snap == cand[i].snap &&
		     cand[j].code == cand[i].code; j++)
			;
		report_add_message(rep, missing_make(c, cand, i, j));
		store_poll();	/* its Queue.dat references and events: anywhere */
	}
	free(cand);
	free(keys.v);
}

/* A closing event: transferred, report, or deleted by the administrator. */
static bool
closes(const struct imcq_event *e)
{
	return e->source && strcmp(e->source, "tracking") == 0 &&
	       (e->event_no == 1011 || e->event_no == 1016 || e->event_no == 1017 ||
		e->event_no == 50);
}

/* Drop tracking-only missing records whose joined events close them:
 * each decided in memory order (model.h), then rep->msgs compacted in
 * order from the decisions alone. */
static bool
missing_closed(const struct imcq_report *rep, const struct imcq_message *m)
{
	bool closed = false;
	int64_t t1010 = IMCQ_NOTIME;
	struct imcq_event eb;
	size_t j;

	if (m->nsources > 0 || m->state != IMCQ_ST_MISSING || m->qd_named)
		return false;
	for (j = 0; j < m->nev_idx; j++) {
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[j], &eb);

		if (e->event_no == 1010 && e->time != IMCQ_NOTIME &&
		    (t1010 == IMCQ_NOTIME || e->time < t1010))
			t1010 = e->time;
	}
	for (j = 0; j < m->nev_idx && !closed; j++) {
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[j], &eb);

		closed = closes(e) && (t1010 == IMCQ_NOTIME || e->time == IMCQ_NOTIME ||
				       e->time >= t1010);
	}
	return closed;
}

static void
prune_missing(struct ctx *c)
{
	struct imcq_report *rep = c->rep;
	unsigned char *drop = xcalloc(rep->nmsgs ? rep->nmsgs : 1, 1);
	size_t i, k = 0;

	for (i = 0; i < rep->nmsgs; i++) {
		size_t at = report_mi(rep, i);

		drop[at] = missing_closed(rep, rep->msgs[at]);
		store_poll();
	}
	for (i = 0; i < rep->nmsgs; i++) {
		if (drop[i])
			message_free(rep->msgs[i]);
		else
			rep->msgs[k++] = rep->msgs[i];
	}
	free(drop);
	rep->nmsgs = k;
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
	/* records without a file (missing) after the files of the same id */
	if ((x->nsources == 0) != (y->nsources == 0))
		return x->nsources == 0 ? 1 : -1;
	if (x->nsources != y->nsources)
		return x->nsources < y->nsources ? -1 : 1;
	return (x->snapshot > y->snapshot) - (x->snapshot < y->snapshot);
}

/* ---- priority, queue time, expiry ------------------------------------------ */

static void
set_priority(const struct imcq_report *rep, struct imcq_message *m)
{
	int p = message_header_priority(m);
	struct imcq_event eb;
	size_t i;

	for (i = 0; p == 2 && i < m->nev_idx; i++) {
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[i], &eb);

		if (e->source && strcmp(e->source, "tracking") == 0 && e->event_no >= 1010 &&
		    e->event_no <= 1014 && e->priority >= -1 && e->priority <= 1 &&
		    e->priority != 0)
			p = e->priority;
	}
	m->priority = (int8_t)(p == 2 ? 0 : p);
}

static int64_t
timeout_of(const struct imcq_opts *o, int priority)
{
	return priority > 0 ? o->timeout_urgent : priority < 0 ? o->timeout_nonurgent :
	       o->timeout_normal;
}

static const char *
priority_name(int p)
{
	return p > 0 ? "urgent" : p < 0 ? "non-urgent" : "normal";
}

static bool
is_inbound(const struct imcq_message *m)
{
	return m->queue == IMCQ_Q_IN || m->queue == IMCQ_Q_IN_ARCHIVE || m->queue == IMCQ_Q_WORK;
}

static void
set_queue_time(const struct imcq_report *rep, struct imcq_message *m)
{
	const struct imcq_hop *h;
	const char *form = NULL;
	int64_t t = IMCQ_NOTIME;
	size_t i;
	int want = is_inbound(m) ? 1012 : 1010;

	if (m->nsources == 0)
		return;		/* missing: set when made */
	m->queue_time = IMCQ_NOTIME;
	m->queue_time_source = NULL;
	h = snapshots_own_hop(m);
	if (h != NULL && h->date != IMCQ_NOTIME) {
		m->queue_time = h->date;
		m->queue_time_source = "IMS Received line (id = spool id)";
		return;
	}
	/* an inbound MTS-ID names this spool id and the receipt minute */
	if (joins_mts_time(m->im->env.mts_id, m->spool_id, &t, &form) &&
	    strcmp(form, "inbound") == 0) {
		m->queue_time = t;
		m->queue_time_source = "inbound MTS-ID l=<SERVER><YYMMDDhhmm><SPOOLID> (GMT)";
		return;
	}
	for (i = 0; i < m->nev_idx; i++) {
		struct imcq_event eb;
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[i], &eb);

		if (e->event_no == want && e->source && strcmp(e->source, "tracking") == 0 &&
		    e->time != IMCQ_NOTIME && (m->queue_time == IMCQ_NOTIME || e->time < m->queue_time))
			m->queue_time = e->time;
	}
	if (m->queue_time != IMCQ_NOTIME) {
		m->queue_time_source = want == 1010 ? "tracking 1010 (SMTP queued outbound)" :
			"tracking 1012 (SMTP received inbound)";
		return;
	}
	/* an Exchange MTS-ID is the submission time: a little before queuing */
	if (form != NULL && strcmp(form, "exchange") == 0) {
		m->queue_time = t;
		m->queue_time_source = "Exchange MTS-ID l=SERVER-YYMMDDhhmmssZ-n (GMT, submission)";
		return;
	}
	if (m->sources[0].mtime != IMCQ_NOTIME) {
		m->queue_time = m->sources[0].mtime;
		m->queue_time_source = "file mtime";
	}
}

/* ---- duplicate groups -------------------------------------------------------- */

static uint32_t
uf_find(uint32_t *p, uint32_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

static void
uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
	a = uf_find(p, a);
	b = uf_find(p, b);
	if (a != b) {
		if (a < b)
			p[b] = a;
		else
			p[a] = b;
	}
}

/* Join each of the n messages to its key class (joins_key_classes). */
static void
uf_union_classes(uint32_t *p, const uint32_t *cls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cls[i] != UINT32_MAX && cls[i] != i)
			uf_union(p, (uint32_t)i, cls[i]);
}

static void
build_groups(struct ctx *c)
{
	struct imcq_report *rep = c->rep;
	uint32_t *body;
	size_t i;
	uint32_t n;

	c->grp = xcalloc(rep->nmsgs ? rep->nmsgs : 1, sizeof(*c->grp));
	for (i = 0; i < rep->nmsgs; i++)
		c->grp[i] = (uint32_t)i;
	/* one group: the same Message-ID, or the same body, transitively */
	uf_union_classes(c->grp, c->msgid_cls, rep->nmsgs);
	body = joins_key_classes(rep, JK_BODY);
	uf_union_classes(c->grp, body, rep->nmsgs);
	free(body);
	for (i = 0; i < rep->nmsgs; i++)
		c->grp[i] = uf_find(c->grp, (uint32_t)i);
	/* members of each group, in message order (a counting sort) */
	c->gorder = xcalloc(rep->nmsgs ? rep->nmsgs : 1, sizeof(*c->gorder));
	c->gbeg = xcalloc(rep->nmsgs + 1, sizeof(*c->gbeg));
	c->gend = xcalloc(rep->nmsgs + 1, sizeof(*c->gend));
	for (i = 0; i < rep->nmsgs; i++)
		c->gend[c->grp[i]]++;
	for (i = 0, n = 0; i < rep->nmsgs; i++) {
		uint32_t cnt = c->gend[i];

		c->gbeg[i] = n;
		c->gend[i] = n;
		n += cnt;
	}
	for (i = 0; i < rep->nmsgs; i++)
		c->gorder[c->gend[c->grp[i]]++] = (uint32_t)i;
}

struct pair {
	size_t s;
	uint32_t g;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return (x->g > y->g) - (x->g < y->g);
}

/* How many distinct messages (groups) each session was joined to. */
static void
count_session_groups(struct ctx *c)
{
	struct imcq_report *rep = c->rep;
	struct pair *v = NULL;
	size_t n = 0, cap = 0, i, j, k;

	c->sess_groups = xcalloc(rep->nsessions ? rep->nsessions : 1, sizeof(*c->sess_groups));
	for (k = 0; k < rep->nmsgs; k++) {	/* in memory order (model.h): sorted below */
		const struct imcq_message *m = rep->msgs[i = report_mi(rep, k)];

		for (j = 0; j < m->nsess_idx; j++) {
			struct pair p = { m->sess_idx[j], c->grp[i] };

			VEC_PUSH(v, n, cap, p);
		}
	}
	if (n > 1)
		xqsort(v, n, sizeof(*v), cmp_pair);
	for (i = 0; i < n; i++)
		if (i == 0 || v[i].s != v[i - 1].s || v[i].g != v[i - 1].g)
			c->sess_groups[v[i].s]++;
	free(v);
}

/* ---- deliveries ------------------------------------------------------------ */

/* May event e speak for message m's snapshot (not from its future)? */
static bool
event_in_time(const struct imcq_report *rep, const struct imcq_message *m, int esnap,
	      int64_t t)
{
	int64_t newest = snap_newest(rep, m->snapshot);

	return esnap == m->snapshot || t == IMCQ_NOTIME || newest == IMCQ_NOTIME ||
	       t <= newest;
}

static void
rcpt_delivered(struct imcq_rcpt *r, int input, const char *member, uint64_t off,
	       uint64_t line, const char *excerpt)
{
	r->status = "delivered";
	if (r->ev.n < MAX_EV_PER_FINDING)	/* an event's or session's member */
		evlist_add_ref(&r->ev, input, member, off, line, xstrdup(excerpt));
}

struct deliv {
	uint32_t ndel;		/* recipients delivered (m->nrcpts is 32-bit) */
	bool any;		/* some delivery evidence, even with no recipient */
	bool from_log;		/* some of it from the protocol log (inferred) */
	const struct imcq_event *first_ev;
	const struct imcq_session *first_sess;
};

static void
deliveries(struct ctx *c, struct imcq_message *m, struct deliv *d)
{
	struct imcq_report *rep = c->rep;
	int want = is_inbound(m) ? 1013 : 1011;
	size_t i, k;
	bool tracked = false;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < m->nev_idx; i++) {
		struct imcq_event eb;
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[i], &eb);
		char *x;

		if (e->event_no != want || e->source == NULL || strcmp(e->source, "tracking") != 0 ||
		    !event_in_time(rep, m, e->snapshot, e->time))
			continue;
		d->any = true;
		if (d->first_ev == NULL)
			d->first_ev = &rep->events[m->ev_idx[i]];
		x = xasprintf("tracking %d %s at %s GMT%s%s%s%s", e->event_no,
			      want == 1011 ? "SMTP transferred outbound" :
			      "SMTP transferred inbound (to the store)",
			      e->time_raw ? e->time_raw : "?",
			      e->partner ? ", partner " : "", e->partner ? e->partner : "",
			      e->remote_id ? ", remote id " : "", e->remote_id ? e->remote_id : "");
		for (k = 0; k < m->nrcpts; k++)
			if (e->rcpts.n == 0 || joins_event_has_rcpt(e, m->rcpts[k].address))
				rcpt_delivered(&m->rcpts[k], e->input, e->member, e->offset,
					       e->line, x);
		free(x);
	}
	/* where tracking records every transfer (1011, Q173364), a session
	 * without a 1011 for this message is some other message's */
	for (i = 0; i < rep->nsnaps && d->first_ev == NULL && !tracked; i++)
		tracked = c->has_1011[i] && joins_same_server(rep, (int)i, m->snapshot);
	for (i = 0; i < m->nsess_idx && !is_inbound(m) && !tracked; i++) {
		const struct imcq_session *s = &rep->sessions[m->sess_idx[i]];
		char *x;

		if (s->outcome == NULL || strcmp(s->outcome, "delivered") != 0 ||
		    c->sess_groups[m->sess_idx[i]] != 1 ||
		    !event_in_time(rep, m, s->snapshot, s->local_time ? IMCQ_NOTIME : s->end))
			continue;
		d->any = true;
		d->from_log = true;
		if (d->first_sess == NULL)
			d->first_sess = s;
		x = xasprintf("protocol log, lines %" PRIu64 "-%" PRIu64 ": MAIL FROM:<%s>, "
			      "2xx after DATA (%s)%s", s->line_first, s->line_last,
			      s->mail_from ? s->mail_from : "", s->outcome_line ? s->outcome_line : "",
			      s->local_time ? "; log times are server local time and --log-tz "
			      "was not given, so the session was matched on MAIL FROM and RCPT TO "
			      "only (time zone open)" : "");
		for (k = 0; k < m->nrcpts; k++)
			if (joins_session_has_rcpt(s, m->rcpts[k].address))
				rcpt_delivered(&m->rcpts[k], s->input, s->member, IMCQ_NOOFF,
					       s->line_first, x);
		free(x);
	}
	for (k = 0; k < m->nrcpts; k++)
		if (m->rcpts[k].status && strcmp(m->rcpts[k].status, "delivered") == 0)
			d->ndel++;
}

/* An NDR for this message: tracking 1016 or 1017 after its queue time. */
static const struct imcq_event *
ndr_event(const struct imcq_report *rep, const struct imcq_message *m)
{
	size_t i;

	for (i = 0; i < m->nev_idx; i++) {
		struct imcq_event eb;
		const struct imcq_event *e = report_event_peek(rep, m->ev_idx[i], &eb);

		if ((e->event_no == 1016 || e->event_no == 1017) && e->source &&
		    strcmp(e->source, "tracking") == 0 &&
		    (e->time == IMCQ_NOTIME || m->queue_time == IMCQ_NOTIME ||
		     e->time >= m->queue_time))
			return &rep->events[m->ev_idx[i]];
	}
	return NULL;
}

/* ---- states ---------------------------------------------------------------- */

/* The records with message i's spool id: adjacent, messages being sorted
 * by spool id. */
static void
spool_range(const struct imcq_report *rep, size_t i, size_t *lo, size_t *hi)
{
	const char *id = rep->msgs[i]->spool_id ? rep->msgs[i]->spool_id : "";

	*lo = i;
	*hi = i + 1;
	while (*lo > 0 && strcmp(rep->msgs[*lo - 1]->spool_id ? rep->msgs[*lo - 1]->spool_id : "",
				 id) == 0)
		(*lo)--;
	while (*hi < rep->nmsgs &&
	       strcmp(rep->msgs[*hi]->spool_id ? rep->msgs[*hi]->spool_id : "", id) == 0)
		(*hi)++;
}

/* Copies of message i in the same snapshot and a live queue (for archives). */
static const struct imcq_message *
live_copy(const struct ctx *c, size_t i)
{
	const struct imcq_report *rep = c->rep;
	const struct imcq_message *m = rep->msgs[i];
	size_t j, p, lo, hi;

	spool_range(rep, i, &lo, &hi);
	for (j = lo; j < hi; j++)
		if (j != i && rep->msgs[j]->snapshot == m->snapshot && snapshots_live(rep->msgs[j]))
			return rep->msgs[j];
	for (p = c->gbeg[c->grp[i]]; p < c->gend[c->grp[i]]; p++) {
		const struct imcq_message *o = rep->msgs[c->gorder[p]];

		if (c->gorder[p] != i && o->snapshot == m->snapshot && snapshots_live(o))
			return o;
	}
	return NULL;
}

/* A readable record with the same spool id in the same snapshot. */
static const struct imcq_message *
readable_copy(const struct ctx *c, size_t i)
{
	const struct imcq_report *rep = c->rep;
	const struct imcq_message *m = rep->msgs[i];
	size_t j, lo, hi;

	(void)c;
	spool_range(rep, i, &lo, &hi);
	for (j = lo; j < hi; j++) {
		const struct imcq_message *o = rep->msgs[j];

		if (j != i && o->nsources > 0 && !o->damaged && o->snapshot == m->snapshot)
			return o;
	}
	return NULL;
}

static void
queue_evidence(struct imcq_finding *f, const struct imcq_report *rep,
	       const struct imcq_message *m)
{
	const struct imcq_hop *h = snapshots_own_hop(m);
	size_t i;

	if (m->queue_time_source == NULL || m->nsources == 0)
		return;
	if (h != NULL && strncmp(m->queue_time_source, "IMS Received", 12) == 0) {
		/* the hop's text is a cold field (model.h struct imcq_hop); a
		 * lean run has not kept it, and prints no evidence */
		struct imcq_thawed t;
		const struct imcq_message *w = report_keeps_details(rep) ?
					       message_thaw(rep, m, &t) : m;
		const struct imcq_hop *wh = &w->im->hdr.received[h - m->im->hdr.received];
		char *x = xasprintf("Received: %s", wh->raw ? wh->raw : "");

		if (w != m)
			message_thawed_release(&t);
		evlist_add(&f->ev, m->sources[0].input, m->sources[0].member,
			   m->sources[0].body_offset, 0, x);
		free(x);
	} else if (strstr(m->queue_time_source, "MTS-ID") != NULL && m->im->env.mts_id) {
		char *x = xasprintf("envelope MTS-ID %s", m->im->env.mts_id);

		evlist_add(&f->ev, m->sources[0].input, m->sources[0].member,
			   m->im->env.offset == IMCQ_NOOFF ? 0 : m->im->env.offset, 0, x);
		free(x);
	} else if (strncmp(m->queue_time_source, "tracking", 8) == 0) {
		for (i = 0; i < m->nev_idx; i++) {
			struct imcq_event eb;
			const struct imcq_event *e = report_event_peek(rep, m->ev_idx[i], &eb);

			if (e->time == m->queue_time && (e->event_no == 1010 || e->event_no == 1012)) {
				ev_event(&f->ev, e, "tracking: ");
				break;
			}
		}
	}
}

/* What printf prints for a NULL string (the reasons were printf'd). */
static const char *
or_null(const char *s)
{
	return s ? s : "(null)";
}

/* Issue #9: a reason per message is one xstrcat of its pieces (no printf
 * formatting); the reference time and the time-outs in words are the same
 * for every message and made once (ctx.ref_iso, ctx.tmo_words). */
static void
state_one(struct ctx *c, size_t i, struct deliv *dp)
{
	struct imcq_report *rep = c->rep;
	const struct imcq_opts *o = c->o;
	struct imcq_message *m = rep->msgs[i];
	struct deliv d;
	char qt[32], ex[32], ag[32], n1[24], n2[24];
	const char *ref = c->ref_iso;
	const char *place = imcq_place_name(m->place);
	int64_t tmo = timeout_of(o, m->priority);
	const char *to = c->tmo_words[m->priority > 0 ? 2 : m->priority < 0 ? 0 : 1];
	bool all;

	iso(m->queue_time, qt);
	if (m->queue_time != IMCQ_NOTIME && (m->queue == IMCQ_Q_OUT || m->nsources == 0))
		m->expires = m->queue_time + tmo;
	iso(m->expires, ex);
	if (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME)
		age(rep->reference_time - m->queue_time, ag);
	else
		memcpy(ag, "unknown", 8);

	deliveries(c, m, &d);
	*dp = d;
	all = d.any && (m->nrcpts == 0 || d.ndel == m->nrcpts);

	if (m->nsources == 0) {
		if (d.ndel > 0 || (all && d.first_ev)) {
			struct imcq_tbuf tb = IMCQ_TBUF_INIT;
			char *r = xstrcat(m->state_reason ?
					    text_get(c->rep->spill, m->state_reason, &tb) :
					    "missing", "; tracking shows it transferred (",
					    fmt_i64(n1, (int64_t)d.ndel), " of ",
					    fmt_i64(n2, (int64_t)m->nrcpts), " recipients), so the "
					    "reference is a phantom entry", NULL);

			tbuf_release(&tb);
			set_str(&m->state_reason, r);
		}
		return;
	}
	if (m->damaged) {
		const struct imcq_message *ok = readable_copy(c, i);

		m->state = IMCQ_ST_DAMAGED;
		set_str(&m->state_reason, xstrcat("unreadable: ",
						    m->damage ? m->damage :
						    "the reader could not interpret the file",
						    ok ? "; a readable copy is in " : "",
						    ok ? imcq_place_name(ok->place) : "",
						    ok ? " (recover that one)" : "", NULL));
		return;
	}
	switch (m->queue) {
	case IMCQ_Q_PICKUP:
		m->state = IMCQ_ST_PICKUP;
		set_str(&m->state_reason, xstrcat("waiting in ", place, " for the IMS to "
						    "pick it up (Q201314)", NULL));
		return;
	case IMCQ_Q_PICKUP_ARCHIVE:
		m->state = IMCQ_ST_PICKUP;
		set_str(&m->state_reason, xstrcat(
				"rejected to ", place, ": the IMS could not read its "
				"originator or recipients (event 4164, Q250441)", NULL));
		return;
	case IMCQ_Q_OUT_ARCHIVE:
	case IMCQ_Q_IN_ARCHIVE:
	case IMCQ_Q_OTHER: {
		const struct imcq_message *lc = live_copy(c, i);

		m->state = IMCQ_ST_ARCHIVED;
		if (m->queue == IMCQ_Q_OTHER)
			set_str(&m->state_reason, xstrcat(
					"in ", place, ", outside the folders the IMS works "
					"from: a parked copy, not queued", NULL));
		else if (lc != NULL)
			set_str(&m->state_reason, xstrcat(
					"archive copy in ", place, " (Message Archival, "
					"Q300931); the same message is also queued as ",
					sid(lc), " in ", imcq_place_name(lc->place), NULL));
		else
			set_str(&m->state_reason, xstrcat(
					"present only as an archive copy in ", place,
					" (Message Archival, Q300931)",
					d.any ? "; the logs show it was delivered" : "", NULL));
		return;
	}
	case IMCQ_Q_IN:
	case IMCQ_Q_WORK:
		if (all) {
			m->state = IMCQ_ST_DELIVERED;
			set_str(&m->state_reason, xstrcat(
					"tracking shows it transferred to the store (1013) for "
					"every recipient, yet the file is still in ", place,
					": a restart would submit it again (Q239420)", NULL));
			return;
		}
		m->state = IMCQ_ST_AWAITING_CONVERSION;
		set_str(&m->state_reason, xstrcat(
				"in ", place, " since ", qt, " (",
				m->queue_time_source ? m->queue_time_source : "no time known",
				"), ", ag, " before the reference time, not yet converted "
				"and handed to the store",
				m->queue == IMCQ_Q_WORK ? "; Work is the receiving stage, a file "
				"left there is usually an interrupted receipt (Q146791)" : "",
				NULL));
		return;
	case IMCQ_Q_OUT:
	default:
		break;
	}
	/* Out */
	if (all) {
		char *how;

		if (d.first_ev != NULL)
			how = xstrcat("tracking 1011 (SMTP transferred outbound)",
					d.from_log ? " and the protocol log show" : " shows",
					" at ", d.first_ev->time_raw ? d.first_ev->time_raw : "?",
					" GMT", NULL);
		else
			how = xasprintf("the protocol log shows a 2xx reply after DATA "
					"(lines %" PRIu64 "-%" PRIu64 " of %s)",
					d.first_sess->line_first, d.first_sess->line_last,
					d.first_sess->member ? d.first_sess->member : "?");
		m->state = IMCQ_ST_DELIVERED;
		set_str(&m->state_reason, xstrcat(
				how, " delivery to ",
				m->nrcpts ? (m->nrcpts == 1 ? "its recipient" : "every recipient") :
				"the message", ", yet the file is still in ", place,
				": a replay or a Queue.dat rebuild would send it again (Q312443)",
				NULL));
		free(how);
		return;
	}
	if (m->expires != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME &&
	    rep->reference_time > m->expires) {
		const struct imcq_event *ndr = ndr_event(rep, m);

		if (ndr == NULL) {
			m->state = IMCQ_ST_EXPIRED;
			set_str(&m->state_reason, xstrcat(
					"queued in ", place, " since ", qt, " (",
					or_null(m->queue_time_source), "), ", ag,
					" before the reference time ", ref, ": past the ", to,
					" time-out for ", priority_name(m->priority),
					" priority (expired ", ex, "), and no NDR (tracking "
					"1016/1017) was found",
					d.ndel ? "; some recipients were delivered" : "", NULL));
			return;
		}
		m->state = IMCQ_ST_AWAITING_DELIVERY;
		set_str(&m->state_reason, xstrcat(
				"queued in ", place, " since ", qt, " (",
				or_null(m->queue_time_source), "): past the ", to,
				" time-out for ", priority_name(m->priority), " priority (",
				ex, "), and tracking ", fmt_i64(n1, ndr->event_no), " at ",
				ndr->time_raw ? ndr->time_raw : "?", " GMT reports an NDR, yet "
				"the file is still queued", NULL));
		return;
	}
	m->state = IMCQ_ST_AWAITING_DELIVERY;
	if (d.ndel > 0)
		set_str(&m->state_reason, xstrcat(
				"queued in ", place, " since ", qt, " (",
				m->queue_time_source ? m->queue_time_source : "no time known",
				"), ", ag, " before the reference time; ",
				fmt_i64(n1, (int64_t)d.ndel), " of ",
				fmt_i64(n2, (int64_t)m->nrcpts), " recipients delivered, the "
				"others waiting; the ", to, " ", priority_name(m->priority),
				" time-out ends ", ex, NULL));
	else
		set_str(&m->state_reason, xstrcat(
				"queued in ", place, " since ", qt, " (",
				m->queue_time_source ? m->queue_time_source : "no time known",
				"), ", ag, " before the reference time; no delivery in the "
				"logs; the ", to, " ", priority_name(m->priority),
				" time-out ends ", ex, NULL));
}

/* ---- findings per message ------------------------------------------------------ */

static void
find_expired(struct ctx *c, struct imcq_message *m)
{
	struct imcq_finding *f;
	char qt[32], ex[32], to[32];
	char *x;
	bool documented = m->priority == 0 && c->o->timeout_normal == 48 * 3600;

	if (m->state != IMCQ_ST_EXPIRED)
		return;
	iso(m->queue_time, qt);
	iso(m->expires, ex);
	span_words(timeout_of(c->o, m->priority), to);
	f = finding(&m->findings, "EXPIRED", IMCQ_SEV_WARNING, "Q184051",
		    documented ? "documented" : "inferred", EXPIRED_ACTION,
		    xasprintf("%s has been queued since %s, past the %s time-out for %s "
			      "priority (expired %s), and no NDR was found: its sender was "
			      "not told", sid(m), qt, to, priority_name(m->priority), ex));
	x = xasprintf("queued %s (%s); %s priority; time-out %s; expired %s",
		      qt, m->queue_time_source ? m->queue_time_source : "?",
		      priority_name(m->priority), to, ex);
	ev_source(f, m, x);
	free(x);
	queue_evidence(f, c->rep, m);
}

/* Where a copy is, in words. */
static char *
copy_where(const struct imcq_report *rep, const struct imcq_message *o)
{
	const char *srv = o->snapshot >= 0 && (size_t)o->snapshot < rep->nsnaps ?
		rep->snaps[o->snapshot].server : NULL;

	return xasprintf("%s in %s (snapshot %d%s%s)", sid(o), imcq_place_name(o->place),
			 o->snapshot, srv ? ", server " : "", srv ? srv : "");
}

static void
find_duplicates(struct ctx *c, size_t i, const struct deliv *d)
{
	struct imcq_report *rep = c->rep;
	struct imcq_message *m = rep->msgs[i];
	struct imcq_finding *f;
	size_t j, p, ncopies = 0, nlive = 0;
	bool cross = false, two_live = false, same_id_only = true;
	char hx[65];
	char *list;

	if (m->nsources == 0)
		return;
	list = xstrdup("");
	for (p = c->gbeg[c->grp[i]]; p < c->gend[c->grp[i]]; p++) {
		const struct imcq_message *o = rep->msgs[c->gorder[p]];
		bool same_snap, same_server;
		char *w, *nl;

		j = c->gorder[p];
		if (j == i || o->nsources == 0)
			continue;
		same_snap = o->snapshot == m->snapshot;
		same_server = joins_same_server(rep, o->snapshot, m->snapshot);
		/* the same queue entry seen again in another backup of the
		 * same server is "persisted", not a duplicate */
		if (!same_snap && same_server)
			continue;
		if (!same_server)
			cross = true;
		if (snapshots_live(o))
			nlive++;
		if (snapshots_live(o) && snapshots_live(m))
			two_live = true;
		if (!(o->spool_id && m->spool_id && imcq_strcasecmp(o->spool_id, m->spool_id) == 0))
			same_id_only = false;
		if (ncopies < MAX_EV_PER_FINDING) {
			w = copy_where(rep, o);
			nl = xasprintf("%s%s%s", list, *list ? "; " : "", w);
			free(w);
			free(list);
			list = nl;
		}
		ncopies++;
	}
	if (ncopies > 0) {
		enum imcq_sev sev = cross || two_live ? IMCQ_SEV_WARNING : IMCQ_SEV_INFO;
		const char *why = cross ?
			"the same message is also held by another server; replaying both "
			"servers' queues would deliver it twice" :
			two_live ? "the same message is queued more than once; each copy "
			"would be sent" :
			same_id_only ? "an archive copy of a queued message (Message Archival); "
			"recovering both would deliver it twice" :
			"the same message is also kept elsewhere; recovering both would "
			"deliver it twice";

		f = finding(&m->findings, "DUPLICATE_RISK", sev, "Q312443",
			    cross || !same_id_only ? "inferred" : "documented",
			    "recover one copy only (select with --where 'id = ...'); "
				    "imcq recover leaves recipients already delivered out by "
				    "default",
			    xasprintf("%s (same Message-ID or content): %s (%zu other "
				      "cop%s: %s)", sid(m), why, ncopies,
				      ncopies == 1 ? "y" : "ies", list));
		ev_source(f, m, m->im->hdr.message_id ? m->im->hdr.message_id :
			  (message_body_sha256_hex(m, hx), hx));
		for (p = c->gbeg[c->grp[i]]; p < c->gend[c->grp[i]] &&
		     f->ev.n < MAX_EV_PER_FINDING; p++) {
			const struct imcq_message *o = rep->msgs[c->gorder[p]];

			j = c->gorder[p];
			if (j != i && o->nsources > 0 &&
			    (o->snapshot == m->snapshot ||
			     !joins_same_server(rep, o->snapshot, m->snapshot)))
				evlist_add(&f->ev, o->sources[0].input, o->sources[0].member, 0, 0,
					   o->im->hdr.message_id ? o->im->hdr.message_id :
					   (message_body_sha256_hex(o, hx), hx));
		}
	}
	free(list);
	(void)nlive;
	/* delivered, yet still queued */
	if (d->ndel > 0 && snapshots_live(m)) {
		bool whole = m->state == IMCQ_ST_DELIVERED;
		size_t k;

		f = finding(&m->findings, "DUPLICATE_RISK", IMCQ_SEV_WARNING, "Q312443",
			    d->first_ev ? "documented" : "inferred",
			    whole ? "do not re-inject this file: select the rest with "
				    "--where 'state != delivered'; if it must be recovered, imcq "
				    "recover leaves the delivered recipients out" :
				    "recover without --include-delivered so that the delivered "
				    "recipients are left out",
			    xasprintf("%s: %s delivered according to the logs, yet the file is "
				      "still queued; a replay or a Queue.dat rebuild would send "
				      "it again to %s", sid(m),
				      whole ? "the message was" : "some recipients were",
				      whole ? "every recipient" : "them"));
		for (k = 0; k < m->nrcpts && f->ev.n < MAX_EV_PER_FINDING; k++)
			if (m->rcpts[k].status && strcmp(m->rcpts[k].status, "delivered") == 0 &&
			    m->rcpts[k].ev.n > 0) {
				const struct imcq_evidence *e = &m->rcpts[k].ev.v[0];
				char *x = xasprintf("%s: %s", m->rcpts[k].address,
						    e->excerpt ? e->excerpt : "");

				evlist_add(&f->ev, e->input, e->member, e->offset, e->line, x);
				free(x);
			}
	}
}

/* The size limit that applies, with where it came from; 0 = none. */
static uint64_t
size_limit(const struct ctx *c, const struct imcq_message *m,
	   const struct imcq_config **from)
{
	const struct imcq_report *rep = c->rep;
	const char *name = is_inbound(m) ? "InboundSizeLimit" : "OutboundSizeLimit";
	size_t i;

	*from = NULL;
	if (c->o->max_message_size > 0)
		return c->o->max_message_size;
	for (i = 0; i < rep->nconfig; i++) {
		const struct imcq_config *cf = &rep->config[i];
		uint64_t v;
		char *end;

		if (cf->name == NULL || cf->value == NULL ||
		    imcq_strcasecmp(cf->name, name) != 0 ||
		    !joins_same_server(rep, cf->snapshot, m->snapshot))
			continue;
		if (*cf->value == '\0' || *cf->value == '-')
			continue;
		v = strtoull(cf->value, &end, 0);
		if (*end != '\0')
			continue;
		*from = cf;
		return v;	/* 0 = no limit (Q231303) */
	}
	return 0;
}

static void
find_oversized(struct ctx *c, struct imcq_message *m)
{
	const struct imcq_config *cf;
	uint64_t lim;
	struct imcq_finding *f;
	char *x;

	if (m->nsources == 0 || m->queue == IMCQ_Q_OUT_ARCHIVE || m->queue == IMCQ_Q_IN_ARCHIVE)
		return;
	lim = size_limit(c, m, &cf);
	if (lim == 0 || m->size <= lim)
		return;
	f = finding(&m->findings, "OVERSIZED", IMCQ_SEV_WARNING, cf ? "Q231303" : NULL,
		    cf ? "documented" : "inferred",
		    "the IMS refuses it with an NDR (3903, Q257264) or never picks "
			    "it up (Q201314): raise the limit or ask the sender to split it; "
			    "review with --where 'finding = OVERSIZED'",
		    xasprintf("%s is %" PRIu64 " bytes, over the %s limit of %" PRIu64
			      " bytes (%s)", sid(m), m->size, is_inbound(m) ? "inbound" :
			      "outbound", lim, cf ? cf->name : "--max-message-size"));
	x = xasprintf("RFC 822 part of %" PRIu64 " bytes", m->size);
	ev_source(f, m, x);
	free(x);
	if (cf != NULL) {
		x = xasprintf("%s\\%s = %s", cf->key ? cf->key : "", cf->name, cf->value);
		evlist_add_ref(&f->ev, cf->input, cf->member, IMCQ_NOOFF, cf->line, x);
	}
}

static void
find_loop(struct ctx *c, struct imcq_message *m)
{
	size_t i, j, best = 0, bi = 0;
	struct imcq_finding *f;
	struct imcq_thawed t;
	const struct imcq_message *w;
	char *x;

	if (m->nsources == 0 || m->im->hdr.nreceived == 0)
		return;
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		size_t n = 0;

		if (m->im->hdr.received[i].by == NULL)
			continue;
		for (j = 0; j < m->im->hdr.nreceived; j++)
			if (m->im->hdr.received[j].by &&
			    imcq_strcasecmp(m->im->hdr.received[i].by, m->im->hdr.received[j].by) == 0)
				n++;
		if (n > best) {
			best = n;
			bi = i;
		}
	}
	if (m->im->hdr.nreceived <= c->o->max_hops && best < LOOP_SAME_BY)
		return;
	if (m->im->hdr.nreceived > c->o->max_hops)
		x = xasprintf("%s has %zu Received lines, over the limit of %u%s%s%s", sid(m),
			      (size_t)m->im->hdr.nreceived, c->o->max_hops,
			      best >= LOOP_SAME_BY ? "; host " : "",
			      best >= LOOP_SAME_BY ? m->im->hdr.received[bi].by : "",
			      best >= LOOP_SAME_BY ? " repeats" : "");
	else
		x = xasprintf("%s passed host %s %zu times (Received lines)", sid(m),
			      m->im->hdr.received[bi].by, best);
	f = finding(&m->findings, "LOOP_SUSPECTED", IMCQ_SEV_WARNING, "Q190021", "heuristic",
		    "check the smart host, the Routing tab and MX records for a "
			    "route back to this server (Q190021, Q260247); do not re-inject "
			    "until the loop is fixed", x);
	/* the hops' texts are cold fields (model.h struct imcq_hop); a lean
	 * run has not kept them, and prints no evidence */
	if (!report_keeps_details(c->rep))
		return;
	w = message_thaw(c->rep, m, &t);
	for (i = 0; i < w->im->hdr.nreceived && f->ev.n < MAX_EV_PER_FINDING; i++)
		if (w->im->hdr.received[i].by && w->im->hdr.received[bi].by &&
		    imcq_strcasecmp(w->im->hdr.received[i].by, w->im->hdr.received[bi].by) == 0) {
			char *e = xasprintf("Received: %s", w->im->hdr.received[i].raw ?
					    w->im->hdr.received[i].raw : w->im->hdr.received[i].by);

			evlist_add_ref(&f->ev, m->sources[0].input, m->sources[0].member,
				       m->sources[0].body_offset, 0, e);
		}
	message_thawed_release(&t);
}

static void
find_not_in_qd(struct ctx *c, struct imcq_message *m)
{
	struct imcq_report *rep = c->rep;
	struct imcq_finding *f;
	uint64_t k;
	size_t i;

	if (m->nsources == 0 || m->damaged || (m->queue != IMCQ_Q_OUT && m->queue != IMCQ_Q_IN) ||
	    m->snapshot < 0 || (size_t)m->snapshot >= rep->nsnaps || !c->qd_usable[m->snapshot])
		return;
	if ((joins_spool_code(m->spool_id, &k) && sset_has(c->qd_keys, m->snapshot, k)) ||
	    (joins_spool_code(m->ims_id, &k) && sset_has(c->qd_keys, m->snapshot, k)))
		return;
	f = finding(&m->findings, "NOT_IN_QUEUE_DAT", IMCQ_SEV_WARNING, "Q148727", "inferred",
		    "the IMS does not know this file until Queue.dat is rebuilt: "
			    "stop the IMS, rename Queue.dat, restart (Q148727); check "
			    "DUPLICATE_RISK first (Q312443)",
		    xasprintf("%s is in %s but the Queue.dat of snapshot %d does not "
			      "reference it (references carved from Queue.dat; its layout is "
			      "undocumented)", sid(m), imcq_place_name(m->place), m->snapshot));
	ev_source(f, m, "spool file");
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];
		char *x;

		if (q->snapshot != m->snapshot || !is_queue_dat(q))
			continue;
		x = xasprintf("Queue.dat, %" PRIu64 " bytes, %zu spool-id references carved, "
			      "none to %s", q->size, q->nrefs, sid(m));
		evlist_add_ref(&f->ev, q->input, q->member, IMCQ_NOOFF, 0, x);
	}
}

/* ---- Queue.dat health --------------------------------------------------------------- */

static void
queue_dat_checks(struct ctx *c)
{
	struct imcq_report *rep = c->rep;
	size_t n = rep->nsnaps ? rep->nsnaps : 1, i, j;
	size_t *files = xcalloc(n, sizeof(*files));

	c->qd_keys = xcalloc(1, sizeof(*c->qd_keys));
	c->qd_usable = xcalloc(n, sizeof(*c->qd_usable));
	c->has_queue_dirs = xcalloc(n, sizeof(*c->has_queue_dirs));
	for (i = 0; i < rep->ninv; i++) {
		const struct imcq_inv *v = &rep->inv[i];
		int s = v->input >= 0 && (size_t)v->input < rep->ninputs ?
			rep->inputs[v->input].snapshot : -1;

		if (s >= 0 && (size_t)s < n &&
		    (v->place == IMCQ_PL_OUT || v->place == IMCQ_PL_IN ||
		     v->place == IMCQ_PL_OUT_ARCHIVE || v->place == IMCQ_PL_IN_ARCHIVE))
			c->has_queue_dirs[s] = true;
	}
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h): counts */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];

		if (m->nsources > 0 && (m->queue == IMCQ_Q_OUT || m->queue == IMCQ_Q_IN) &&
		    m->snapshot >= 0 && (size_t)m->snapshot < n) {
			files[m->snapshot]++;
			c->has_queue_dirs[m->snapshot] = true;
		}
	}
	/* usable: a Queue.dat named so, not corrupt, consistent */
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		if (is_queue_dat(q) && !q->corrupt && q->snapshot >= 0 && (size_t)q->snapshot < n &&
		    !(q->nrefs == 0 && files[q->snapshot] >= CORRUPT_MIN_FILES))
			c->qd_usable[q->snapshot] = true;
	}
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];
		struct imcq_finding *f = NULL;
		size_t nf = q->snapshot >= 0 && (size_t)q->snapshot < n ? files[q->snapshot] : 0;
		bool dirs = q->snapshot >= 0 && (size_t)q->snapshot < n &&
			    c->has_queue_dirs[q->snapshot];

		if (q->corrupt) {
			f = finding(&rep->findings, "CORRUPT_QUEUE_DAT", IMCQ_SEV_ERROR, "Q312443",
				    "inferred",
				    "stop the IMS, rename Queue.dat to Queue.old and "
					    "restart: the IMS rebuilds it from In and Out "
					    "(Q312443, Q148727); check DUPLICATE_RISK first",
				    xasprintf("%s is unreadable or inconsistent: %s", q->member,
					      q->corrupt_reason ? q->corrupt_reason : "see anomalies"));
			evlist_add(&f->ev, q->input, q->member, IMCQ_NOOFF, 0,
				   q->corrupt_reason ? q->corrupt_reason : "corrupt");
		} else if (is_queue_dat(q) && q->nrefs > 0 && nf == 0 && dirs) {
			f = finding(&rep->findings, "CORRUPT_QUEUE_DAT", IMCQ_SEV_WARNING, "Q193862",
				    "heuristic",
				    "the entries point at files that are gone (phantom "
					    "entries, Q193862): stop the IMS, rename Queue.dat and "
					    "restart (Q312443)",
				    xasprintf("%s references %zu spool id%s while Imcdata\\In and "
					      "\\Out hold no spool file", q->member, q->nrefs,
					      q->nrefs == 1 ? "" : "s"));
			for (j = 0; j < q->nrefs && f->ev.n < MAX_EV_PER_FINDING; j++)
				evlist_add(&f->ev, q->input, q->member, q->refs[j].offset, 0,
					   qref_spool_id(q, &q->refs[j]));
		} else if (is_queue_dat(q) && q->nrefs == 0 && nf >= CORRUPT_MIN_FILES) {
			f = finding(&rep->findings, "CORRUPT_QUEUE_DAT", IMCQ_SEV_WARNING, "Q312443",
				    "heuristic",
				    "the IMS may not know the queued files: stop the IMS, "
					    "rename Queue.dat and restart so it is rebuilt from In "
					    "and Out (Q148727, Q312443)",
				    xasprintf("%s references none of the %zu spool files in "
					      "Imcdata\\In and \\Out", q->member, nf));
			evlist_add(&f->ev, q->input, q->member, IMCQ_NOOFF, 0,
				   "no spool-id reference could be carved");
		}
		if (f != NULL)
			for (j = 0; j < q->nrefs && j < 64; j++)
				finding_add_spool(&rep->findings.v[rep->findings.n - 1],
						  qref_spool_id(q, &q->refs[j]));
	}
	/* the keys a usable Queue.dat references */
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		if (!is_queue_dat(q) || q->snapshot < 0 || (size_t)q->snapshot >= n ||
		    !c->qd_usable[q->snapshot])
			continue;
		for (j = 0; j < q->nrefs; j++) {
			uint64_t k;

			if (joins_spool_code(qref_spool_id(q, &q->refs[j]), &k))
				sset_add(c->qd_keys, q->snapshot, k);
		}
	}
	free(files);
}

/* ---- report-wide summaries ---------------------------------------------------------- */

/* m's spool id into f's ids unless it is the last one added (the
 * messages come sorted by spool id) */
static void
add_distinct_id(struct imcq_finding *f, const struct imcq_message *m, const char **last)
{
	if (m->spool_id && (*last == NULL || strcmp(*last, m->spool_id) != 0)) {
		f->spool_ids[f->nspool_ids++] = xstrdup(m->spool_id);
		*last = m->spool_id;
	}
}

static void
summarise(struct imcq_report *rep, const char *code, const char *what,
	  char *action)
{
	struct imcq_finding *f;
	enum imcq_sev sev = IMCQ_SEV_INFO;
	const char *ref = NULL, *basis = NULL, *last = NULL;
	size_t i, j, nid = 0, nsev[3] = { 0, 0, 0 };
	char *msg;
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;
	/* ref and basis when they come from a frozen finding's copy */
	char *ref_own = NULL, *basis_own = NULL;
	int cid = finding_code_id(code);

	/* messages are sorted by spool id: count the distinct ones */
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];
		struct imcq_findlist fz = { NULL, 0, 0 };
		const struct imcq_findlist *l = &m->findings;

		if (message_has_frozen(m, cid)) {
			message_findings_get(rep, m, &fz);
			l = &fz;
		}
		for (j = 0; j < l->n; j++) {
			const struct imcq_finding *mf = &l->v[j];

			if (strcmp(mf->code, code) != 0)
				continue;
			if ((unsigned)mf->sev < 3)
				nsev[mf->sev]++;
			if (mf->sev > sev)
				sev = mf->sev;
			if (ref == NULL && mf->reference)
				ref = l == &fz ? (ref_own = xstrdup(mf->reference)) : mf->reference;
			if (basis == NULL) {
				if (mf->basis)
					basis = l == &fz ? (basis_own = xstrdup(mf->basis))
							 : mf->basis;
			} else if (mf->basis && strcmp(basis, mf->basis) != 0)
				basis = "inferred";
			if (m->spool_id && (last == NULL || strcmp(last, m->spool_id) != 0)) {
				nid++;
				last = m->spool_id;
			}
		}
		findlist_release(&fz);
	}
	if (nid == 0) {
		free(action);
		free(ref_own);
		free(basis_own);
		return;
	}
	if ((nsev[0] != 0) + (nsev[1] != 0) + (nsev[2] != 0) > 1) {
		char parts[3][40];
		int k, np = 0;
		static const char *const names[3] = { "info", "warning", "error" };

		for (k = 2; k >= 0; k--)
			if (nsev[k] > 0)
				snprintf(parts[np++], sizeof(parts[0]), "%zu %s", nsev[k], names[k]);
		msg = xasprintf("%zu spool id%s %s (%s%s%s%s%s findings)", nid,
				nid == 1 ? "" : "s", what, parts[0], np > 1 ? ", " : "",
				np > 1 ? parts[1] : "", np > 2 ? ", " : "", np > 2 ? parts[2] : "");
	} else
		msg = xasprintf("%zu spool id%s %s", nid, nid == 1 ? "" : "s", what);
	f = findlist_add(&rep->findings, code, sev, ref, "%s", "");
	free(f->message);
	f->message = msg;
	f->action = action;
	f->basis = xstrdup(basis ? basis : "inferred");
	free(ref_own);
	free(basis_own);
	/* the ids are counted: one allocation (finding_add_spool grows by
	 * one, which is quadratic over a whole queue) */
	f->spool_ids = xcalloc(nid, sizeof(*f->spool_ids));
	f->nspool_ids = 0;
	last = NULL;
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];
		struct imcq_findlist fz = { NULL, 0, 0 };
		const struct imcq_findlist *l = &m->findings;
		bool frozen = message_has_frozen(m, cid);

		/* a frozen one is read back only for its evidence */
		if (frozen && f->ev.n < SUMMARY_EV) {
			message_findings_get(rep, m, &fz);
			l = &fz;
		} else if (frozen) {
			add_distinct_id(f, m, &last);
		}
		for (j = 0; j < l->n; j++) {
			const struct imcq_finding *mf = &l->v[j];

			if (strcmp(mf->code, code) != 0)
				continue;
			add_distinct_id(f, m, &last);
			if (f->ev.n < SUMMARY_EV && mf->ev.n > 0)
				evlist_add(&f->ev, mf->ev.v[0].input, mf->ev.v[0].member,
					   mf->ev.v[0].offset, mf->ev.v[0].line,
					   evidence_excerpt(rep->spill, &mf->ev.v[0], &tb));
		}
		findlist_release(&fz);
	}
	tbuf_release(&tb);
}

/* ---- the stage ------------------------------------------------------------------------ */

/* The per-message steps below read the shared context and the other
 * messages' fields that no step changes (spool id, snapshot, queue,
 * place, sources, headers), and write only their own message: par_for
 * runs them as two halves at once (par.h) with the same result. */
static void
groups_task(void *user)
{
	build_groups(user);
	count_session_groups(user);
}

static void
seen_in_task(void *user)
{
	struct ctx *c = user;

	snapshots_seen_in(c->rep, c->msgid_cls);
}

static void
times_range(void *user, size_t lo, size_t hi)
{
	struct ctx *c = user;
	size_t k;

	for (k = lo; k < hi; k++) {	/* in memory order (model.h) */
		struct imcq_message *m = c->rep->msgs[report_mi(c->rep, k)];

		set_priority(c->rep, m);
		set_queue_time(c->rep, m);
		store_poll();	/* m's events lie anywhere in their store */
	}
}

static void
states_range(void *user, size_t lo, size_t hi)
{
	struct ctx *c = user;
	size_t k, i;

	for (k = lo; k < hi; k++) {	/* in memory order (model.h) */
		struct imcq_message *m = c->rep->msgs[i = report_mi(c->rep, k)];

		state_one(c, i, &c->dv[i]);
		store_poll();
		/* final: only the reports read it now (model.h, text_spill) */
		m->state_reason = text_spill(c->rep->spill, m->state_reason);
	}
}

static void
findings_range(void *user, size_t lo, size_t hi)
{
	struct ctx *c = user;
	size_t k, i;

	for (k = lo; k < hi; k++) {	/* in memory order (model.h) */
		struct imcq_message *m = c->rep->msgs[i = report_mi(c->rep, k)];

		find_not_in_qd(c, m);
		find_expired(c, m);
		find_duplicates(c, i, &c->dv[i]);
		find_oversized(c, m);
		find_loop(c, m);
		store_poll();
		/* m's findings are complete: their texts go to the spill
		 * (summarise and diagnose.c's ev_own read excerpts back) */
		for (size_t j = 0; j < m->findings.n; j++)
			finding_spill(c->rep->spill, &m->findings.v[j]);
	}
}

void
analyze_states(struct imcq_report *rep, const struct imcq_opts *o)
{
	struct ctx c;
	struct deliv *dv;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.o = o;

	joins_shift_local_times(rep, o);
	snapshots_build(rep);
	snapshots_reference(rep, o);
	queue_dat_checks(&c);

	stage_mark("states.snapshots");
	make_missing(&c);
	report_order_mem(rep);
	joins_link_events(rep, o);
	prune_missing(&c);
	stage_mark("states.link-events");
	xqsort_keyed((void **)rep->msgs, rep->nmsgs, msg_key, cmp_msg);
	report_order_mem(rep);
	par_for(rep->nmsgs, STATES_PAR_MIN, times_range, &c);
	stage_mark("states.times");
	joins_link_sessions(rep, o);
	stage_mark("states.link-sessions");
	c.has_1011 = xcalloc(rep->nsnaps ? rep->nsnaps : 1, sizeof(*c.has_1011));
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (e->event_no == 1011 && e->source && strcmp(e->source, "tracking") == 0 &&
		    e->snapshot >= 0 && (size_t)e->snapshot < rep->nsnaps)
			c.has_1011[e->snapshot] = true;
	}
	/* the duplicate groups and each message's seen_in (snapshots.c) at
	 * once: the first writes the context, the second m->seen_in, which
	 * nothing in this stage reads; both read the messages' keys only */
	c.msgid_cls = joins_key_classes(rep, JK_MSGID);
	par_two(groups_task, &c, seen_in_task, &c);
	free((void *)c.msgid_cls);
	c.msgid_cls = NULL;
	stage_mark("states.groups");

	/* per message: its state, then its findings (two halves at once) */
	dv = xcalloc(rep->nmsgs ? rep->nmsgs : 1, sizeof(*dv));
	c.dv = dv;
	iso(rep->reference_time, c.ref_iso);
	for (i = 0; i < 3; i++)
		span_words(timeout_of(o, (int)i - 1), c.tmo_words[i]);
	par_for(rep->nmsgs, STATES_PAR_MIN, states_range, &c);
	stage_mark("states.states");
	par_for(rep->nmsgs, STATES_PAR_MIN, findings_range, &c);
	stage_mark("states.findings");
	c.dv = NULL;
	free(dv);

	summarise(rep, "MISSING_SPOOL_FILE",
		  "referenced by Queue.dat or the tracking log have no spool file in "
		  "their snapshot",
		  xstrdup("look for the files in Out\\Archive, older backups or the other "
			  "server's snapshot"));
	summarise(rep, "NOT_IN_QUEUE_DAT",
		  "queued in In or Out are not referenced by Queue.dat",
		  xstrdup("rebuild Queue.dat: stop the IMS, rename Queue.dat, restart "
			  "(Q148727); check DUPLICATE_RISK first"));
	summarise(rep, "EXPIRED", "are past their IMS time-out without an NDR",
		  xstrdup(EXPIRED_ACTION));
	summarise(rep, "DUPLICATE_RISK",
		  "could be delivered twice (copies elsewhere, or delivered yet still queued)",
		  xstrdup("recover one copy only; leave delivered recipients out (the default)"));
	summarise(rep, "OVERSIZED", "are over the message size limit",
		  xstrdup("raise the limit or split the messages; review with --where "
			  "'finding = OVERSIZED'"));
	summarise(rep, "LOOP_SUSPECTED", "show a mail loop in their Received lines",
		  xstrdup("fix the route back to this server before re-injecting (Q190021)"));

	/* the findings so far are final: only their codes stay (model.h) */
	report_freeze_findings(rep);
	stage_mark("states.summarise");
	snapshots_compare(rep);

	free(c.qd_keys->v);
	free(c.qd_keys);
	free(c.qd_usable);
	free(c.has_queue_dirs);
	free(c.grp);
	free(c.sess_groups);
	free(c.has_1011);
	free(c.gorder);
	free(c.gbeg);
	free(c.gend);
}
