/* SPDX-License-Identifier: MIT */
/*
 * snapshots.c - snapshots, servers, reference time, seen_in and changes
 * (see snapshots.h for the rules).
 */
#include "analyzer/snapshots.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/keysort.h"
#include "analyzer/core/par.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/joins.h"

/* ---- small helpers ------------------------------------------------------- */

/* The spool id part of a Received line's id: *id moved past leading
 * spaces and '<', the length without trailing ' ', '>' and ';'. */
static size_t
hop_id_span(const char **id)
{
	size_t n;

	while (**id == ' ' || **id == '<')
		(*id)++;
	n = strlen(*id);
	while (n > 0 && ((*id)[n - 1] == ' ' || (*id)[n - 1] == '>' || (*id)[n - 1] == ';'))
		n--;
	return n;
}

char *
snapshots_hop_spool_key(const char *id)
{
	char *t, *k;
	size_t n;

	if (id == NULL)
		return NULL;
	n = hop_id_span(&id);
	t = xstrndup(id, n);
	k = joins_spool_key(t);
	free(t);
	return k;
}

/* snapshots_hop_spool_key of id packed as joins_spool_code does; false
 * when there is none.  Issue #9: snapshots_own_hop compares codes, with
 * no string made per message and per hop (equal codes, equal keys). */
static bool
hop_spool_code(const char *id, uint64_t *out)
{
	char t[9];

	if (id == NULL || hop_id_span(&id) != 8)
		return false;
	memcpy(t, id, 8);
	t[8] = '\0';
	return joins_spool_code(t, out);
}

const struct imcq_hop *
snapshots_own_hop(const struct imcq_message *m)
{
	uint64_t sk, hk;
	size_t i;

	/* no hop: nothing to compare (issue #9: the spool code was 40 % of
	 * server_from_received's pass over every message without one) */
	if (m->im->hdr.nreceived == 0 || !joins_spool_code(m->spool_id, &sk))
		return NULL;
	for (i = 0; i < m->im->hdr.nreceived; i++)
		if (hop_spool_code(m->im->hdr.received[i].id, &hk) && hk == sk)
			return &m->im->hdr.received[i];
	return NULL;
}

bool
snapshots_live(const struct imcq_message *m)
{
	if (m->nsources == 0)
		return false;
	switch (m->queue) {
	case IMCQ_Q_OUT:
	case IMCQ_Q_IN:
	case IMCQ_Q_WORK:
	case IMCQ_Q_PICKUP:
		return true;
	default:
		return false;
	}
}

static int
snap_of_input(const struct imcq_report *rep, int input)
{
	if (input < 0 || (size_t)input >= rep->ninputs)
		return -1;
	return rep->inputs[input].snapshot;
}

/* Upper-case first DNS label of name, or NULL when it is not a plausible
 * host name (1..63 characters of [A-Za-z0-9_-]). */
static char *
short_name(const char *name, size_t n)
{
	char *s;
	size_t i, k;

	while (n > 0 && (*name == ' ' || *name == '<' || *name == '['))
		name++, n--;
	for (k = 0; k < n && name[k] != '.' && name[k] != ' ' && name[k] != '>' &&
	     name[k] != ']' && name[k] != '/' && name[k] != ';'; k++)
		;
	if (k == 0 || k > 63)
		return NULL;
	s = xstrndup(name, k);
	for (i = 0; i < k; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			free(s);
			return NULL;
		}
		if (c >= 'a' && c <= 'z')
			s[i] = (char)(c - 32);
	}
	/* a dotted-quad's first label is all digits: not a name */
	for (i = 0; i < k && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == k) {
		free(s);
		return NULL;
	}
	return s;
}

/* "/o=ORG/ou=SITE/cn=Configuration/cn=Servers/cn=EXB2/cn=Microsoft MTA" */
static char *
dn_server(const char *dn)
{
	const char *p = dn;

	while ((p = strchr(p, '=')) != NULL) {
		if (p - dn >= 2 && imcq_strncasecmp(p - 2, "cn", 2) == 0 &&
		    imcq_strncasecmp(p + 1, "Servers", 7) == 0 &&
		    (p[8] == '/' || p[8] == ',' || p[8] == '\0')) {
			const char *q = strchr(p + 8, '=');

			if (q == NULL)
				return NULL;
			q++;
			return short_name(q, strcspn(q, "/,"));
		}
		p++;
	}
	return NULL;
}

/* ---- server names ---------------------------------------------------------- */

static char *
server_from_config(const struct imcq_report *rep, int snap)
{
	static const char *const names[] = { "ComputerName", "ActiveComputerName",
					     "Hostname", "NV Hostname", "X500DN" };
	size_t n, i;

	for (n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (i = 0; i < rep->nconfig; i++) {
			const struct imcq_config *c = &rep->config[i];
			char *s;

			if (c->snapshot != snap || c->name == NULL || c->value == NULL ||
			    imcq_strcasecmp(c->name, names[n]) != 0)
				continue;
			if (strcmp(names[n], "X500DN") == 0)
				s = dn_server(c->value);
			else
				s = short_name(c->value, strlen(c->value));
			if (s != NULL)
				return s;
		}
	return NULL;
}

struct tally_ent {
	char *name;
	size_t count;
};

struct tally {
	struct tally_ent *v;
	size_t n, cap;
};

/* owned seen count times more (taken: freed when t has its name) */
static void
tally_add_n(struct tally *t, char *owned, size_t count)
{
	struct tally_ent e = { owned, count };
	size_t i;

	if (owned == NULL)
		return;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, owned) == 0) {
			t->v[i].count += count;
			free(owned);
			return;
		}
	VEC_PUSH(t->v, t->n, t->cap, e);
}

static void
tally_add(struct tally *t, char *owned)
{
	tally_add_n(t, owned, 1);
}

/* The most frequent name (ties: the smallest), detached, or NULL; with
 * only_one, NULL unless exactly one name was seen.  Releases t. */
static char *
tally_best(struct tally *t, bool only_one)
{
	char *best = NULL;
	size_t i, bi = 0;

	if (!only_one || t->n == 1)
		for (i = 0; i < t->n; i++)
			if (best == NULL || t->v[i].count > t->v[bi].count ||
			    (t->v[i].count == t->v[bi].count && strcmp(t->v[i].name, best) < 0)) {
				best = t->v[i].name;
				bi = i;
			}
	for (i = 0; i < t->n; i++)
		if (t->v[i].name != best)
			free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
	return best;
}

/* The own hops' servers of messages [lo, hi) (in memory order: a tally's
 * result has no order) of snapshot snap, in the first tally for the
 * range from 0, else the second (par_for's halves). */
struct recv_scan {
	const struct imcq_report *rep;
	int snap;
	struct tally t[2];
};

static void
recv_range(void *user, size_t lo, size_t hi)
{
	struct recv_scan *x = user;
	struct tally *t = &x->t[lo == 0 ? 0 : 1];
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct imcq_message *m = x->rep->msgs[report_mi(x->rep, i)];
		const struct imcq_hop *h;

		if (m->snapshot != x->snap || m->nsources == 0)
			continue;
		h = snapshots_own_hop(m);
		if (h != NULL && h->by != NULL)
			tally_add(t, short_name(h->by, strlen(h->by)));
	}
}

/* messages: fewer are tallied in one thread */
#define RECV_PAR_MIN	4096

static char *
server_from_received(const struct imcq_report *rep, int snap)
{
	struct recv_scan x = { rep, snap, { { 0 }, { 0 } } };
	size_t j;

	par_for(rep->nmsgs, RECV_PAR_MIN, recv_range, &x);
	/* the second half's counts join the first's */
	for (j = 0; j < x.t[1].n; j++)
		tally_add_n(&x.t[0], x.t[1].v[j].name, x.t[1].v[j].count);
	free(x.t[1].v);
	return tally_best(&x.t[0], false);
}

static bool
is_ims_connector(const char *c)
{
	size_t i;

	if (c == NULL)
		return false;
	for (i = 0; c[i]; i++)
		if (imcq_strncasecmp(c + i, "Internet Mail", 13) == 0)
			return true;
	return false;
}

static char *
server_from_routes(const struct imcq_report *rep, int snap, bool gwart)
{
	struct tally t = { 0 };
	size_t i;

	for (i = 0; i < rep->nroutes; i++) {
		const struct imcq_route_entry *r = &rep->routes[i];
		bool is_gwart = r->table && strncmp(r->table, "gwart", 5) == 0;
		bool is_route = r->table && strcmp(r->table, "route.txt") == 0;

		if (snap_of_input(rep, r->input) != snap || r->server == NULL)
			continue;
		if (gwart ? !(is_gwart && is_ims_connector(r->connector)) : !is_route)
			continue;
		tally_add(&t, short_name(r->server, strlen(r->server)));
	}
	return tally_best(&t, true);
}

static bool
generic_word(const char *s)
{
	static const char *const words[] = {
		"BACKUP", "BACKUPS", "BAK", "EXCHSRVR", "EXCHANGE", "IMCDATA", "DATA",
		"COPY", "OLD", "NEW", "ROOT", "TMP", "TEMP", "SERVER", "SRV",
		"IMAGE", "EVIDENCE", "CASE", "EXPORT", "MTADATA", "SAMPLE", "SAMPLES",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

/* The folder above Exchsrvr (or above Imcdata when there is none). */
static char *
server_from_path(const struct imcq_report *rep, int snap)
{
	struct tally t = { 0 };
	size_t i;

	for (i = 0; i < rep->ninv; i++) {
		const struct imcq_inv *v = &rep->inv[i];
		const char *comp[64];
		size_t len[64], nc = 0, k;
		const char *p;

		if (snap_of_input(rep, v->input) != snap || v->member == NULL)
			continue;
		p = v->member;
		while (*p && nc < 64) {
			size_t n = strcspn(p, "/\\!");

			if (n > 0) {
				comp[nc] = p;
				len[nc++] = n;
			}
			p += n;
			if (*p)
				p++;
		}
		for (k = 1; k < nc; k++) {
			bool ex = len[k] == 8 && imcq_strncasecmp(comp[k], "exchsrvr", 8) == 0;
			bool im = len[k] == 7 && imcq_strncasecmp(comp[k], "imcdata", 7) == 0;
			size_t at;
			char *s;

			if (!ex && !im)
				continue;
			at = k - 1;
			if (im && at > 0 && len[at] == 8 &&
			    imcq_strncasecmp(comp[at], "exchsrvr", 8) == 0)
				at--;
			if (len[at] == 8 && imcq_strncasecmp(comp[at], "exchsrvr", 8) == 0)
				break;
			if (len[at] > 15 || memchr(comp[at], ':', len[at]) != NULL)
				break;
			s = short_name(comp[at], len[at]);
			if (s != NULL && (generic_word(s) || strlen(s) != len[at])) {
				free(s);
				s = NULL;
			}
			tally_add(&t, s);
			break;
		}
	}
	return tally_best(&t, true);
}

/* ---- times ------------------------------------------------------------------ */

struct tcand {
	int64_t t;
	int input;
	const char *member;
	const char *what;
};

struct tcands {
	struct tcand *v;
	size_t n, cap;
};

static void
tc_add(struct tcands *c, int64_t t, int input, const char *member, const char *what)
{
	struct tcand x = { t, input, member, what };

	if (t == IMCQ_NOTIME || t < SNAP_DOS_EPOCH)
		return;
	VEC_PUSH(c->v, c->n, c->cap, x);
}

/* The two newest candidate times and their count, without a list (issue
 * #9, round 12: the list of every member's, event's and session's time
 * was ~64 MiB at a million messages, for the usual case where the two
 * newest corroborate each other). */
struct tnewest {
	int64_t t1, t2;
	size_t n;
};

/* tc_add's rule, counted into the two newest times */
static void
tn_add(struct tnewest *w, int64_t t)
{
	if (t == IMCQ_NOTIME || t < SNAP_DOS_EPOCH)
		return;
	w->n++;
	if (t > w->t1) {
		w->t2 = w->t1;
		w->t1 = t;
	} else if (t > w->t2) {
		w->t2 = t;
	}
}

static int
cmp_tcand_desc(const void *a, const void *b)
{
	const struct tcand *x = a, *y = b;
	int c;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	c = strcmp(x->member ? x->member : "", y->member ? y->member : "");
	return c ? c : strcmp(x->what, y->what);
}

/* The newest corroborated time; outliers above it become anomalies. */
static int64_t
newest_corroborated(struct imcq_report *rep, struct tcands *c)
{
	size_t i;

	if (c->n == 0)
		return IMCQ_NOTIME;
	if (c->n == 1)
		return c->v[0].t;
	/* issue #9: the two newest times decide the usual case (they
	 * corroborate each other: the newest is the answer, no anomaly)
	 * without sorting every candidate */
	{
		int64_t t1 = INT64_MIN, t2 = INT64_MIN;

		for (i = 0; i < c->n; i++)
			if (c->v[i].t > t1) {
				t2 = t1;
				t1 = c->v[i].t;
			} else if (c->v[i].t > t2) {
				t2 = c->v[i].t;
			}
		if (t1 - t2 <= SNAP_CORROBORATE)
			return t1;
	}
	xqsort(c->v, c->n, sizeof(*c->v), cmp_tcand_desc);
	for (i = 0; i + 1 < c->n; i++)
		if (c->v[i].t - c->v[i + 1].t <= SNAP_CORROBORATE)
			break;
	if (i + 1 == c->n)
		i = 0;	/* nothing corroborates anything: take the newest */
	if (i > 0) {
		char iso[32];

		imcq_iso(c->v[0].t, iso);
		anomaly_add(rep, "time-outlier", IMCQ_SEV_INFO, c->v[0].input,
			    c->v[0].member, IMCQ_NOOFF,
			    "%zu time%s newer than the rest of the snapshot (newest: %s, %s) "
			    "not used for the reference time", i, i == 1 ? "" : "s", iso,
			    c->v[0].what);
	}
	return c->v[i].t;
}

/* Every candidate time of snapshot snap to c (collect) or to w (the two
 * newest), in one order. */
static void
times_scan(const struct imcq_report *rep, int snap, struct tcands *c, struct tnewest *w)
{
	size_t i;

#define TC(t, in, mem, what) \
	do { \
		if (c != NULL) \
			tc_add(c, (t), (in), (mem), (what)); \
		else \
			tn_add(w, (t)); \
	} while (0)
	for (i = 0; i < rep->ninv; i++) {
		const struct imcq_inv *v = &rep->inv[i];

		/* an archive's mtime is when it was packed, not evidence */
		if (snap_of_input(rep, v->input) != snap ||
		    (v->kind && strcmp(v->kind, "archive") == 0))
			continue;
		TC(v->mtime, v->input, v->member, "member mtime");
	}
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (e->snapshot == snap && !e->local_time)
			TC(e->time, e->input, e->member, "log time");
	}
	for (i = 0; i < rep->nsessions; i++) {
		const struct imcq_session *s = &rep->sessions[i];

		if (s->snapshot == snap && !s->local_time)
			TC(s->end, s->input, s->member, "protocol-log time");
	}
	for (i = 0; i < rep->ntables; i++) {
		const struct imcq_table_file *t = &rep->tables[i];

		if (t->snapshot == snap)
			TC(t->newest_time, t->input, t->member, "routing-table time");
	}
#undef TC
}

static void
snapshot_times(struct imcq_report *rep, int snap, struct imcq_snapshot *sn)
{
	struct tnewest w = { INT64_MIN, INT64_MIN, 0 };
	size_t i;

	times_scan(rep, snap, NULL, &w);
	if (w.n == 0) {
		sn->newest_time = IMCQ_NOTIME;
	} else if (w.n == 1 || w.t1 - w.t2 <= SNAP_CORROBORATE) {
		sn->newest_time = w.t1;	/* newest_corroborated's usual case */
	} else {
		struct tcands c = { 0 };

		times_scan(rep, snap, &c, NULL);
		sn->newest_time = newest_corroborated(rep, &c);
		free(c.v);
	}
	if (sn->newest_time != IMCQ_NOTIME)
		return;
	/* last resort: dates the IMS stamped on its own files */
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h) */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];
		const struct imcq_hop *h;

		if (m->snapshot != snap || m->nsources == 0)
			continue;
		h = snapshots_own_hop(m);
		if (h != NULL && h->date != IMCQ_NOTIME &&
		    (sn->newest_time == IMCQ_NOTIME || h->date > sn->newest_time))
			sn->newest_time = h->date;
	}
}

void
snapshots_build(struct imcq_report *rep)
{
	size_t i, n = rep->ninputs;

	for (i = 0; i < rep->nsnaps; i++) {
		free(rep->snaps[i].inputs);
		free(rep->snaps[i].server);
	}
	rep->nsnaps = 0;
	for (i = 0; i < rep->ninputs; i++)
		if (rep->inputs[i].snapshot >= 0 && (size_t)rep->inputs[i].snapshot + 1 > n)
			n = (size_t)rep->inputs[i].snapshot + 1;
	if (n == 0)
		n = 1;	/* a report built by hand: one snapshot */
	xgrow((void **)&rep->snaps, &rep->snapcap, n, sizeof(*rep->snaps));
	for (i = 0; i < n; i++) {
		struct imcq_snapshot *sn = &rep->snaps[i];
		size_t j, cap = 0;

		memset(sn, 0, sizeof(*sn));
		sn->index = (int)i;
		sn->newest_time = IMCQ_NOTIME;
		for (j = 0; j < rep->ninputs; j++)
			if (rep->inputs[j].snapshot == (int)i) {
				int in = (int)j;

				VEC_PUSH(sn->inputs, sn->ninputs, cap, in);
			}
	}
	rep->nsnaps = n;
	for (i = 0; i < n; i++) {
		struct imcq_snapshot *sn = &rep->snaps[i];
		int s = (int)i;

		sn->server = server_from_config(rep, s);
		if (sn->server == NULL)
			sn->server = server_from_received(rep, s);
		if (sn->server == NULL)
			sn->server = server_from_routes(rep, s, false);
		if (sn->server == NULL)
			sn->server = server_from_routes(rep, s, true);
		if (sn->server == NULL)
			sn->server = server_from_path(rep, s);
		snapshot_times(rep, s, sn);
	}
}

void
snapshots_reference(struct imcq_report *rep, const struct imcq_opts *o)
{
	size_t i;

	if (o->now != IMCQ_NOTIME) {
		rep->reference_time = o->now;
		rep->reference_source = "--now";
		return;
	}
	rep->reference_time = IMCQ_NOTIME;
	for (i = 0; i < rep->nsnaps; i++)
		if (rep->snaps[i].newest_time != IMCQ_NOTIME &&
		    (rep->reference_time == IMCQ_NOTIME ||
		     rep->snaps[i].newest_time > rep->reference_time))
			rep->reference_time = rep->snaps[i].newest_time;
	rep->reference_source = rep->reference_time == IMCQ_NOTIME ?
		"none: no time found in the evidence (give --now)" :
		"newest time in the evidence: member mtimes, tracking and protocol-log "
		"times (protocol logs only with --log-tz), routing-table times, a lone "
		"outlier set aside; else the newest IMS Received date; never the clock";
}

/* ---- seen_in ------------------------------------------------------------------ */

/* The messages of one key class (cls, from joins_key_classes) were seen
 * in each other's snapshots. */
static void
seen_in_classes(struct imcq_report *rep, const uint32_t *cls)
{
	uint32_t *cnt = xcalloc(rep->nmsgs + 1, sizeof(*cnt));
	uint32_t *order = xmalloc((rep->nmsgs ? rep->nmsgs : 1) * sizeof(*order));
	size_t i, c;
	uint32_t at = 0;

	/* each class's members in message order (a counting sort by class;
	 * message indices are 32-bit: joins_key_classes) */
	for (i = 0; i < rep->nmsgs; i++)
		if (cls[i] != UINT32_MAX)
			cnt[cls[i]]++;
	for (c = 0; c < rep->nmsgs; c++) {
		uint32_t n = cnt[c];

		cnt[c] = at;
		at += n;
	}
	for (i = 0; i < rep->nmsgs; i++)
		if (cls[i] != UINT32_MAX)
			order[cnt[cls[i]]++] = (uint32_t)i;
	/* cnt[c] is now the end of class c; a class starts where the one
	 * before it in order ends */
	for (i = 0; i < at;) {
		size_t end = cnt[cls[order[i]]], a, b;
		unsigned snaps[64];
		size_t ns = 0;

		if (end - i >= 2) {
			/* the snapshots of the class once, then each member */
			for (a = i; a < end; a++) {
				int sn = rep->msgs[order[a]]->snapshot;

				if (sn < 0)
					continue;
				for (b = 0; b < ns && snaps[b] != (unsigned)sn; b++)
					;
				if (b == ns && ns < sizeof(snaps) / sizeof(snaps[0]))
					snaps[ns++] = (unsigned)sn;
			}
			for (a = i; a < end; a++)
				for (b = 0; b < ns; b++)
					message_seen_in(rep->msgs[order[a]], snaps[b]);
		}
		i = end;
	}
	free(order);
	free(cnt);
}

void
snapshots_seen_in(struct imcq_report *rep, const uint32_t *msgid_cls)
{
	uint32_t *cls = joins_key_classes(rep, JK_SPOOL_BODY);

	seen_in_classes(rep, cls);
	free(cls);
	seen_in_classes(rep, msgid_cls);
}

/* ---- changes ------------------------------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted unique live spool ids of a snapshot (borrowed strings). */
static void
live_ids(const struct imcq_report *rep, int snap, const char ***out, size_t *n)
{
	const char **v = NULL;
	size_t cap = 0, i, k = 0;

	*n = 0;
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h): sorted below */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];

		if (m->snapshot == snap && m->spool_id != NULL && snapshots_live(m))
			VEC_PUSH(v, *n, cap, m->spool_id);
	}
	if (*n > 1)
		xqsort_strs((char **)v, *n);
	for (i = 0; i < *n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*n = k;
	*out = v;
}

static bool
has_id(const char **v, size_t n, const char *id)
{
	return n > 0 && bsearch(&id, v, n, sizeof(*v), cmp_str) != NULL;
}

static void
strv_sort_unique(struct imcq_strv *sv)
{
	size_t i, k = 0;

	if (sv->n > 1)
		xqsort_strs(sv->v, sv->n);
	for (i = 0; i < sv->n; i++) {
		if (k > 0 && strcmp(sv->v[k - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[k++] = sv->v[i];
	}
	sv->n = k;
}

struct sorder {
	int64_t t;
	int idx;
};

static int
cmp_sorder(const void *a, const void *b)
{
	const struct sorder *x = a, *y = b;

	if (x->t != y->t) {
		if (x->t == IMCQ_NOTIME)
			return -1;
		if (y->t == IMCQ_NOTIME)
			return 1;
		return x->t < y->t ? -1 : 1;
	}
	return (x->idx > y->idx) - (x->idx < y->idx);
}

void
snapshots_compare(struct imcq_report *rep)
{
	struct sorder *ord;
	bool *done;
	size_t i, j, n = rep->nsnaps;

	if (n < 2)
		return;
	ord = xcalloc(n, sizeof(*ord));
	done = xcalloc(n, sizeof(*done));
	for (i = 0; i < n; i++) {
		ord[i].t = rep->snaps[i].newest_time;
		ord[i].idx = rep->snaps[i].index;
	}
	xqsort(ord, n, sizeof(*ord), cmp_sorder);
	for (i = 0; i < n; i++) {
		int prev = -1;

		if (done[i])
			continue;
		/* one server: walk the time order, pairing consecutive members */
		for (j = i; j < n; j++) {
			const char **a, **b;
			size_t na, nb, k;
			int cur = ord[j].idx;

			if (done[j] || !joins_same_server(rep, ord[i].idx, cur))
				continue;
			done[j] = true;
			if (prev < 0) {
				prev = cur;
				continue;
			}
			live_ids(rep, prev, &a, &na);
			live_ids(rep, cur, &b, &nb);
			for (k = 0; k < na; k++)
				strv_push(has_id(b, nb, a[k]) ? &rep->changes_persisted :
					  &rep->changes_disappeared, xstrdup(a[k]));
			for (k = 0; k < nb; k++)
				if (!has_id(a, na, b[k]))
					strv_push(&rep->changes_appeared, xstrdup(b[k]));
			free(a);
			free(b);
			prev = cur;
		}
	}
	strv_sort_unique(&rep->changes_appeared);
	strv_sort_unique(&rep->changes_disappeared);
	strv_sort_unique(&rep->changes_persisted);
	free(ord);
	free(done);
}
