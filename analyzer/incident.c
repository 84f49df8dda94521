/* SPDX-License-Identifier: MIT */
/*
 * incident.c - rep->incident: what happened, in plain words for someone
 * who has never seen an Exchange server, composed from the findings of
 * diagnose.c (and counting the other stages' findings).
 *
 * The main cause is the first diagnosis present in the order of enum
 * diag_code (STALE_ROUTING first: it explains the others), in the snapshot
 * that has it with the most stuck messages.  The headline names the server,
 * how many messages, since when and why; the lines say what is stuck,
 * since when, why, what it means, what else was found, what to do and how
 * to recover the mail; kb lists the KB articles behind them; commands are
 * the imcq command lines that recover the mail, with the real input names.
 */
#include "analyzer/diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/strset.h"
#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

#define LINE_CAP	(64 * 1024)
#define DOMAINS_NAMED	5

/* buf_detach re-initialises the buffer: release that too. */
static char *
take(struct buf *b)
{
	char *p = buf_detach(b, NULL);

	buf_release(b);
	return p;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void
server_of(const struct rctx *c, const struct rsnap *s, char *out, size_t n)
{
	const char *p = NULL;

	if (s->server) {
		snprintf(out, n, "server %s", s->server);
		return;
	}
	if (s->input >= 0 && (size_t)s->input < c->rep->ninputs)
		p = c->rep->inputs[s->input].path;
	snprintf(out, n, "the server in %s", p ? p : "the evidence");
}

static void
kb_add(struct imcq_strv *kb, const char *ref)
{
	size_t i;

	if (ref == NULL || *ref == '\0')
		return;
	for (i = 0; i < kb->n; i++)
		if (strcmp(kb->v[i], ref) == 0)
			return;
	strv_push(kb, xstrdup(ref));
}

static bool
is_diag_code(const char *code)
{
	for (int d = 0; d < DC_COUNT; d++)
		if (code && strcmp(code, diag_code_name((enum diag_code)d)) == 0)
			return true;
	return false;
}

struct count {
	char *name;
	size_t n;
};

static void
count_add(struct count **v, size_t *n, size_t *cap, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0) {
			(*v)[i].n++;
			return;
		}
	{
		struct count k = { xstrdup(name), 1 };

		VEC_PUSH(*v, *n, *cap, k);
	}
}

static int
cmp_count_name(const void *a, const void *b)
{
	return strcmp(((const struct count *)a)->name, ((const struct count *)b)->name);
}

static int
cmp_count_n(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
counts_release(struct count *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* "Other findings: DUPLICATE_RISK (33 messages), CORRUPT_QUEUE_DAT" over
 * the findings other stages wrote: per code, the messages that carry it,
 * else the spool ids its report-wide findings list; or NULL. */
static char *
other_findings(const struct imcq_report *rep)
{
	struct count *v = NULL, *ids = NULL;
	size_t n = 0, cap = 0, nids = 0, idcap = 0, i, j, k;
	struct buf b;

	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order: sorted below */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];

		for (j = 0; j < message_nfindings(m); j++) {
			const char *code = message_finding_code(m, j);
			bool dup = false;

			if (code == NULL || is_diag_code(code))
				continue;
			for (k = 0; k < j && !dup; k++)
				dup = message_finding_code(m, k) &&
				      strcmp(message_finding_code(m, k), code) == 0;
			if (!dup)
				count_add(&v, &n, &cap, code);
		}
	}
	for (i = 0; i < rep->findings.n; i++) {
		const struct imcq_finding *f = &rep->findings.v[i];
		bool have = false;

		if (f->code == NULL || is_diag_code(f->code))
			continue;
		for (k = 0; k < n && !have; k++)
			have = strcmp(v[k].name, f->code) == 0;
		if (have)
			continue;
		count_add(&ids, &nids, &idcap, f->code);
		for (k = 0; k < nids; k++)
			if (strcmp(ids[k].name, f->code) == 0)
				ids[k].n += f->nspool_ids - 1;
	}
	if (n + nids == 0)
		return NULL;
	if (n > 1)
		xqsort(v, n, sizeof(*v), cmp_count_name);
	if (nids > 1)
		xqsort(ids, nids, sizeof(*ids), cmp_count_name);
	buf_init(&b, LINE_CAP);
	buf_appends(&b, "Other findings (see the findings list): ");
	for (i = 0; i < n; i++)
		buf_appendf(&b, "%s%s (%zu message%s)", i ? ", " : "", v[i].name, v[i].n,
			    plural(v[i].n));
	for (i = 0; i < nids; i++)
		if (ids[i].n > 0)
			buf_appendf(&b, "%s%s (%zu spool id%s)", i + n ? ", " : "",
				    ids[i].name, ids[i].n, plural(ids[i].n));
		else
			buf_appendf(&b, "%s%s", i + n ? ", " : "", ids[i].name);
	buf_appends(&b, ".");
	counts_release(v, n);
	counts_release(ids, nids);
	return take(&b);
}

static char *
what_line(const struct rsnap *s, const char *who)
{
	struct count *v = NULL;
	struct strset t = { NULL, 0, 0, false };
	size_t n = 0, cap = 0, i, j, nr = 0;
	struct buf b;

	/* every (message, domain) once, counted per distinct domain in a
	 * hash table (issue #9, round 12: sorting a pointer a message and
	 * domain took 0.8 s and ~70 MiB at a million messages, the
	 * analysis's peak) */
	for (i = 0; i < s->nstuck; i++) {	/* in memory order: sorted below */
		const struct imcq_message *m = s->stuck[stuck_at(s, i)];

		nr += m->nrcpts;
		for (j = 0; j < m->nrcpts; j++) {
			const char *d = m->rcpts[j].domain && *m->rcpts[j].domain ?
					m->rcpts[j].domain : "(no domain)";
			bool seen = false;

			for (size_t k = 0; k < j && !seen; k++)
				seen = m->rcpts[k].domain && strcmp(m->rcpts[k].domain, d) == 0;
			if (!seen)
				strset_get(&t, d, true)->n++;
		}
	}
	for (i = 0; i < t.nslot; i++)
		if (t.t[i].d != NULL) {
			struct count k = { xstrdup(t.t[i].d), t.t[i].n };

			VEC_PUSH(v, n, cap, k);
		}
	free(t.t);
	if (n > 1)
		xqsort(v, n, sizeof(*v), cmp_count_n);
	buf_init(&b, LINE_CAP);
	buf_appendf(&b, "What is stuck: %zu outgoing message%s in Imcdata\\Out on %s, "
		    "waiting for delivery to %zu recipient%s in %zu domain%s", s->nstuck,
		    plural(s->nstuck), who, nr, plural(nr), n, plural(n));
	for (i = 0; i < n && i < DOMAINS_NAMED; i++)
		buf_appendf(&b, "%s%s (%zu message%s)", i ? ", " : ": ", v[i].name, v[i].n,
			    plural(v[i].n));
	if (n > DOMAINS_NAMED)
		buf_appendf(&b, " and %zu more", n - DOMAINS_NAMED);
	buf_appends(&b, ".");
	counts_release(v, n);
	return take(&b);
}

static char *
since_line(const struct rctx *c, const struct rsnap *s)
{
	char t[40], age[32], ref[40];
	int64_t now = rctx_now(c, s);
	struct buf b;

	diag_fmt_time(s->oldest_stuck, t);
	diag_fmt_time(now, ref);
	buf_init(&b, LINE_CAP);
	if (s->oldest_stuck != IMCQ_NOTIME && now != IMCQ_NOTIME) {
		imcq_fmt_age(now - s->oldest_stuck, age, sizeof(age));
		buf_appendf(&b, "Since when: the oldest was queued at %s, %s before the "
			    "snapshot (%s)", t, age, ref);
	} else {
		buf_appendf(&b, "Since when: the oldest was queued at %s", t);
	}
	if (s->nexpired)
		buf_appendf(&b, "; %zu %s past the message time-out (%lld hours for "
			    "normal priority, Q184051) and no non-delivery report was "
			    "found for %s", s->nexpired, s->nexpired == 1 ? "is" : "are",
			    (long long)(c->o->timeout_normal / 3600),
			    s->nexpired == 1 ? "it" : "them");
	buf_appends(&b, ".");
	return take(&b);
}

static void
headline(const struct rctx *c, const struct rsnap *s, enum diag_code d,
	 struct imcq_incident *in)
{
	const struct imcq_finding *f = &c->rep->findings.v[s->fidx[d]];
	char who[512], t[40];
	size_t n = s->nstuck;

	server_of(c, s, who, sizeof(who));
	diag_fmt_time(s->oldest_stuck, t);
	switch (d) {
	case DC_STALE:
		in->headline = xasprintf("%zu outbound message%s %s been stuck on %s since "
					 "%s because its Internet Mail Service is still "
					 "using an old routing table", n, plural(n),
					 n == 1 ? "has" : "have", who, t);
		break;
	case DC_INONLY:
		in->headline = xasprintf("%zu outbound message%s %s been stuck on %s since "
					 "%s because its Internet Mail Service is set to "
					 "receive only, yet the routing table still sends "
					 "it outgoing mail", n, plural(n),
					 n == 1 ? "has" : "have", who, t);
		break;
	case DC_SMARTHOST:
		in->headline = xasprintf("Outgoing mail on %s is not getting through: the "
					 "smart host it forwards all mail to is failing "
					 "(%zu message%s waiting, the oldest since %s)",
					 who, n, plural(n), t);
		break;
	case DC_DNS:
		in->headline = xasprintf("Outgoing mail from %s is held up by DNS "
					 "failures: %zu message%s %s affected (%zu "
					 "waiting in all, the oldest since %s)", who,
					 f->nspool_ids, plural(f->nspool_ids),
					 f->nspool_ids == 1 ? "is" : "are", n, t);
		break;
	case DC_NOROUTE:
		in->headline = xasprintf("%zu message%s queued on %s %s recipients that no "
					 "connector in the routing table covers, so they "
					 "cannot be delivered", f->nspool_ids,
					 plural(f->nspool_ids), who,
					 f->nspool_ids == 1 ? "has" : "have");
		break;
	case DC_REJECT:
		in->headline = xasprintf("Remote mail servers permanently refused "
					 "recipients of %zu message%s queued on %s",
					 f->nspool_ids, plural(f->nspool_ids), who);
		break;
	case DC_NOATTEMPT:
		in->headline = xasprintf("%zu outbound message%s %s been waiting on %s "
					 "since %s with no delivery attempt in the logs",
					 f->nspool_ids, plural(f->nspool_ids),
					 f->nspool_ids == 1 ? "has" : "have", who, t);
		break;
	case DC_ABSENT:
	case DC_COUNT:
		break;
	}
}

/* The main cause of a snapshot, or DC_COUNT. */
static enum diag_code
main_cause(const struct rsnap *s)
{
	for (int d = 0; d < DC_ABSENT; d++)
		if (s->fidx[d] >= 0)
			return (enum diag_code)d;
	return DC_COUNT;
}

static void
incident_reset(struct imcq_incident *in)
{
	free(in->headline);
	strv_release(&in->lines);
	free(in->cause);
	strv_release(&in->kb);
	strv_release(&in->commands);
	memset(in, 0, sizeof(*in));
	in->since = IMCQ_NOTIME;
}

/* One line about another snapshot. */
static char *
other_snapshot_line(const struct rctx *c, const struct rsnap *s)
{
	char who[512], t[40];
	enum diag_code d = main_cause(s);

	server_of(c, s, who, sizeof(who));
	diag_fmt_time(s->oldest_stuck, t);
	if (d != DC_COUNT)
		return xasprintf("Also on %s: %zu message%s stuck since %s; %s (%s).",
				 who, s->nstuck, plural(s->nstuck), t,
				 s->why[d] ? s->why[d] : "see the findings", diag_code_name(d));
	if (s->nstuck)
		return xasprintf("On %s: %zu outbound message%s waiting in Imcdata\\Out, "
				 "the oldest since %s; no routing or delivery problem "
				 "was found for %s.", who, s->nstuck, plural(s->nstuck), t,
				 s->nstuck == 1 ? "it" : "them");
	return xasprintf("On %s: nothing is waiting in Imcdata\\Out.", who);
}

static void
nothing_wrong(struct rctx *c, struct imcq_incident *in)
{
	struct buf b;
	size_t k, nsrv = 0, nstuck = 0;
	const struct rsnap *oldest = NULL;
	char *other;

	buf_init(&b, LINE_CAP);
	for (k = 0; k < c->ns; k++) {
		const struct rsnap *s = &c->s[k];
		char who[512];

		if (!s->used)
			continue;
		server_of(c, s, who, sizeof(who));
		buf_appendf(&b, "%s%s", nsrv ? ", " : "", who);
		nsrv++;
		nstuck += s->nstuck;
		if (s->nstuck && s->oldest_stuck != IMCQ_NOTIME &&
		    (oldest == NULL || s->oldest_stuck < oldest->oldest_stuck))
			oldest = s;
	}
	{
		char *who = take(&b);
		int64_t now = oldest ? rctx_now(c, oldest) : IMCQ_NOTIME;
		bool recent = oldest == NULL || (now != IMCQ_NOTIME &&
						 now - oldest->oldest_stuck <= c->o->first_retry);

		if (nstuck == 0)
			in->headline = xasprintf("Nothing is stuck on %s: no outgoing "
						 "message is waiting in Imcdata\\Out and no "
						 "routing or delivery problem was found",
						 nsrv ? who : "the evidence");
		else if (recent)
			in->headline = xasprintf("Nothing is stuck on %s: the %zu outgoing "
						 "message%s in Imcdata\\Out %s recent and no "
						 "routing or delivery problem was found",
						 nsrv ? who : "the evidence", nstuck,
						 plural(nstuck), nstuck == 1 ? "is" : "are");
		else
			in->headline = xasprintf("No routing or delivery problem was found "
						 "on %s, but %zu outgoing message%s %s waiting "
						 "in Imcdata\\Out, the oldest for longer than the "
						 "first retry interval", nsrv ? who : "the evidence",
						 nstuck, plural(nstuck), nstuck == 1 ? "is" : "are");
		free(who);
	}
	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];

		if (!s->used)
			continue;
		if (s->nstuck) {
			char t[40], age[32];
			int64_t now = rctx_now(c, s), a;
			char who[512];

			server_of(c, s, who, sizeof(who));
			diag_fmt_time(s->oldest_stuck, t);
			a = now != IMCQ_NOTIME && s->oldest_stuck != IMCQ_NOTIME ?
			    now - s->oldest_stuck : 0;
			imcq_fmt_age(a, age, sizeof(age));
			strv_push(&in->lines, xasprintf("On %s: %zu outgoing message%s "
							"waiting, the oldest since %s (%s "
							"before the snapshot)%s.", who,
							s->nstuck, plural(s->nstuck), t, age,
							a > c->o->first_retry ?
							"; the evidence does not show why "
							"it has not left" : ", within the "
							"first retry interval (Q146669)"));
		}
		if (s->fidx[DC_ABSENT] >= 0)
			strv_push(&in->lines, xstrdup(c->rep->findings.v[s->fidx[DC_ABSENT]].message));
	}
	if ((other = other_findings(c->rep)) != NULL)
		strv_push(&in->lines, other);
	if (oldest)
		in->since = oldest->oldest_stuck;
}

void
incident_compose(struct rctx *c)
{
	struct imcq_incident *in = &c->rep->incident;
	struct rsnap *main = NULL;
	enum diag_code mc = DC_COUNT;
	const struct imcq_finding *f;
	char who[512], *x;
	size_t k;
	int d;

	incident_reset(in);
	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];
		enum diag_code d0;

		if (!s->used)
			continue;
		d0 = main_cause(s);
		if (d0 == DC_COUNT)
			continue;
		if (main == NULL || d0 < mc || (d0 == mc && s->nstuck > main->nstuck)) {
			main = s;
			mc = d0;
		}
	}
	if (main == NULL) {
		nothing_wrong(c, in);
		return;
	}
	f = &c->rep->findings.v[main->fidx[mc]];
	server_of(c, main, who, sizeof(who));
	headline(c, main, mc, in);
	in->cause = xstrdup(diag_code_name(mc));
	in->since = main->oldest_stuck;
	if (main->nstuck) {
		strv_push(&in->lines, what_line(main, main->server ? main->server : who));
		strv_push(&in->lines, since_line(c, main));
	}
	if (main->why[mc])
		strv_push(&in->lines, xasprintf("Why: %s.", main->why[mc]));
	if (main->means[mc])
		strv_push(&in->lines, xasprintf("What it means: %s.", main->means[mc]));
	for (d = 0; d < DC_ABSENT; d++)
		if (d != (int)mc && main->fidx[d] >= 0 && main->why[d])
			strv_push(&in->lines, xasprintf("Also: %s (%s).", main->why[d],
							diag_code_name((enum diag_code)d)));
	if (f->action)
		strv_push(&in->lines, xasprintf("What to do: %s", f->action));

	/* KB articles: the main finding's, the background, then the others' */
	kb_add(&in->kb, f->reference);
	if (mc == DC_STALE) {
		static const char *const bg[] = {
			"Q153655", "Q145976", "Q176518", "Q195905", "Q180730", "Q271545",
		};

		for (size_t i = 0; i < sizeof(bg) / sizeof(bg[0]); i++)
			kb_add(&in->kb, bg[i]);
	}
	for (d = 0; d < DC_COUNT; d++)
		if (main->fidx[d] >= 0)
			kb_add(&in->kb, c->rep->findings.v[main->fidx[d]].reference);

	/* recovery commands: the main snapshot first */
	if (main->nstuck) {
		x = diag_recover_cmd(c, main);
		if (f->action == NULL || strstr(f->action, x) == NULL)
			strv_push(&in->lines, xasprintf("Recover the queued mail: %s, then "
							"copy the files to Imcdata\\Pickup "
							"of a working IMS (after the fix).", x));
		strv_push(&in->commands, x);
	}
	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];

		if (!s->used || s == main)
			continue;
		strv_push(&in->lines, other_snapshot_line(c, s));
		if (main_cause(s) != DC_COUNT && s->nstuck)
			strv_push(&in->commands, diag_recover_cmd(c, s));
		for (d = 0; d < DC_COUNT; d++)
			if (s->fidx[d] >= 0)
				kb_add(&in->kb, c->rep->findings.v[s->fidx[d]].reference);
	}
	if ((x = other_findings(c->rep)) != NULL)
		strv_push(&in->lines, x);
}
