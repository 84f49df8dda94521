/* SPDX-License-Identifier: MIT */
/*
 * diagnose.c - findings drawn from the routing context: STALE_ROUTING,
 * NO_ROUTE, NO_DELIVERY_ATTEMPT, DNS_FAILURE, SMART_HOST_FAILURE,
 * REMOTE_REJECT, INBOUND_ONLY_ROUTED, DELIVERY_EVIDENCE_ABSENT (see
 * diagnose.h for when each is written and its sources).
 *
 * Every finding carries its evidence (file times, log lines with member,
 * line and offset, routing-table lines), its KB reference, its basis
 * ("documented": the KB states the behaviour the finding rests on;
 * "inferred": the conclusion combines documented facts with a reading of
 * the evidence that the KB does not spell out), and an action: the
 * documented fix and the imcq command that recovers the mail.
 *
 * Times.  Tracking logs and file times are UTC.  Protocol logs are in the
 * server's local time: with --log-tz they are exact; without it a session
 * could have started anywhere from 14 hours before to 12 hours after its
 * wall-clock time, and never after its log file was last written
 * (diag_session_bounds).  A conclusion of the form "no attempt since T"
 * counts a session as a possible attempt unless it certainly started
 * before T.
 */
#include "analyzer/diagnose.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/keysort.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/buf.h"
#include "analyzer/core/par.h"
#include "analyzer/core/stage.h"
#include "analyzer/core/strset.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/joins.h"
#include "analyzer/routing_engine.h"

#define TEXT_CAP	(256 * 1024)	/* bytes of one finding message */
#define DIAG_PAR_MIN	2048		/* messages: fewer stay in one thread */
#define GROUPS_NAMED	3		/* route-change groups named in a message */

static const char *const code_names[DC_COUNT] = {
	"STALE_ROUTING", "INBOUND_ONLY_ROUTED", "SMART_HOST_FAILURE",
	"DNS_FAILURE", "NO_ROUTE", "REMOTE_REJECT", "NO_DELIVERY_ATTEMPT",
	"DELIVERY_EVIDENCE_ABSENT",
};

const char *
diag_code_name(enum diag_code d)
{
	return (unsigned)d < DC_COUNT ? code_names[d] : "UNKNOWN";
}

/* ---- small helpers ------------------------------------------------------ */

/* buf_detach re-initialises the buffer: release that too. */
static char *
take(struct buf *b)
{
	char *p = buf_detach(b, NULL);

	buf_release(b);
	return p;
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static char
lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
has_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; s && *s; s++) {
		size_t i;

		for (i = 0; i < n && s[i] && lc(s[i]) == lc(needle[i]); i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static const char *
base_name(const char *member)
{
	const char *b = member ? member : "";
	const char *p;

	for (p = b; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static char *
lower_dup(const char *s)
{
	char *d = xstrdup(s ? s : "");

	for (char *p = d; *p; p++)
		*p = lc(*p);
	return d;
}

/* A string with the index of what it belongs to, for sorted lookups. */
struct skey {
	const char *s;
	size_t i, j;
};

static int
cmp_skey_ci(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int c = imcq_strcasecmp(x->s, y->s);

	if (c)
		return c;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return (x->j > y->j) - (x->j < y->j);
}

static int
cmp_skey(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c)
		return c;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return (x->j > y->j) - (x->j < y->j);
}

/* First entry of v[0..n) (sorted by cmp_skey_ci) whose string equals s,
 * case ignored; n when none. */
static size_t
skey_find(const struct skey *v, size_t n, const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (imcq_strcasecmp(v[mid].s, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && imcq_strcasecmp(v[lo].s, s) == 0 ? lo : n;
}

static bool
skey_eq(const struct skey *v, size_t n, size_t k, const char *s)
{
	return k < n && imcq_strcasecmp(v[k].s, s) == 0;
}

bool
diag_is_stuck(const struct imcq_message *m)
{
	return !m->damaged && m->queue == IMCQ_Q_OUT &&
	       (m->state == IMCQ_ST_AWAITING_DELIVERY || m->state == IMCQ_ST_EXPIRED);
}

void
diag_fmt_time(int64_t t, char out[40])
{
	int y, mo, d, h, mi, s;

	if (t == IMCQ_NOTIME) {
		snprintf(out, 40, "an unknown time");
		return;
	}
	imcq_gmtime(t, &y, &mo, &d, &h, &mi, &s);
	if (y < 0 || y > 9999) {
		snprintf(out, 40, "%04d-%02d-%02d %02d:%02d UTC", y, mo, d, h, mi);
		return;
	}
	/* the same bytes without snprintf (per stuck message) */
	imcq_iso(t, out);	/* YYYY-MM-DDTHH:MM:SSZ */
	out[10] = ' ';
	memcpy(out + 16, " UTC", 5);
}

static void
local_bounds(const struct rctx *c, int64_t t, bool local, int input,
	     const char *member, int64_t *lo, int64_t *hi)
{
	int64_t mt = rctx_member_mtime(c, input, member);

	if (t == IMCQ_NOTIME) {
		*lo = INT64_MIN;
		*hi = mt != IMCQ_NOTIME ? mt : INT64_MAX;
		return;
	}
	if (!local) {
		*lo = *hi = t;
		return;
	}
	if (c->o->have_log_tz) {
		*lo = *hi = t - (int64_t)c->o->log_tz_minutes * 60;
		return;
	}
	*lo = t - DIAG_TZ_EAST;
	*hi = t + DIAG_TZ_WEST;
	if (mt != IMCQ_NOTIME && mt < *hi)
		*hi = mt;
	if (*lo > *hi)
		*lo = *hi;
}

void
diag_session_bounds(const struct rctx *c, const struct imcq_session *s,
		    int64_t *lo, int64_t *hi)
{
	local_bounds(c, s->start, s->local_time, s->input, s->member, lo, hi);
}

void
diag_event_bounds(const struct rctx *c, const struct imcq_event *e,
		  int64_t *lo, int64_t *hi)
{
	local_bounds(c, e->time, e->local_time, e->input, e->member, lo, hi);
}

char *
diag_shell_quote(const char *s)
{
	struct buf b;
	const char *p;
	bool plain = *s != '\0';

	for (p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_./:=@%+,-", *p) != NULL;
	if (plain)
		return xstrdup(s);
	buf_init(&b, TEXT_CAP);
	buf_appendc(&b, '\'');
	for (p = s; *p; p++)
		if (*p == '\'')
			buf_appends(&b, "'\\''");
		else
			buf_appendc(&b, *p);
	buf_appendc(&b, '\'');
	return take(&b);
}

/* A name fit for a directory: letters, digits, '-' and '_'. */
static char *
dir_name(const struct rsnap *s)
{
	char *d = s->server ? xasprintf("recovered-%s", s->server)
			    : xasprintf("recovered-snapshot%d", s->snap);

	for (char *p = d; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	return d;
}

char *
diag_recover_cmd(const struct rctx *c, const struct rsnap *s)
{
	struct buf b;
	char *d = dir_name(s);
	size_t i;

	buf_init(&b, TEXT_CAP);
	buf_appendf(&b, "imcq recover --to pickup --out %s --where "
		    "'state = awaiting-delivery or state = expired'", d);
	free(d);
	for (i = 0; i < c->rep->ninputs; i++)
		if (c->rep->inputs[i].snapshot == s->snap && c->rep->inputs[i].path) {
			char *q = diag_shell_quote(c->rep->inputs[i].path);

			buf_appendf(&b, " %s", q);
			free(q);
		}
	return take(&b);
}

static const char *
server_name(const struct rsnap *s)
{
	return s->server ? s->server : "this server";
}

/* ---- evidence ----------------------------------------------------------- */

/* The evidence items share the member paths (and the excerpts that are
 * strings as they stand) of the report's tables, entries, configuration
 * values, events and sessions, which live as long as the report
 * (IMCQ_EV_SH_*); a message's member only with that message's own
 * findings (cmd_analyze's --where frees the messages it drops). */
static void
ev_time(struct imcq_evlist *ev, int input, const char *member, int64_t t,
	const char *what, bool share)
{
	char iso[32], *x;

	if (t != IMCQ_NOTIME)
		imcq_iso(t, iso);
	x = xasprintf("mtime %s (%s)", t != IMCQ_NOTIME ? iso : "unknown", what);
	if (share) {
		evlist_add_ref(ev, input, member, IMCQ_NOOFF, 0, x);
		return;
	}
	evlist_add(ev, input, member, IMCQ_NOOFF, 0, x);
	free(x);
}

static void
ev_table(struct imcq_evlist *ev, const struct imcq_table_file *t, const char *what)
{
	ev_time(ev, t->input, t->member, t->mtime, what, true);
}

static void
ev_entry(struct imcq_evlist *ev, const struct imcq_route_entry *e)
{
	for (size_t i = 0; i < ev->n; i++)
		if (ev->v[i].input == e->input && ev->v[i].line == e->line &&
		    is(ev->v[i].member, e->member))
			return;
	evlist_add_refs(ev, e->input, e->member, e->offset, e->line, e->raw);
}

static void
ev_event(struct imcq_evlist *ev, const struct imcq_event *e)
{
	if (e->time_raw)
		evlist_add_ref(ev, e->input, e->member, e->offset, e->line,
			       xstrcat(e->time_raw, " : ", e->text ? e->text : "", NULL));
	else
		evlist_add_refs(ev, e->input, e->member, e->offset, e->line,
				e->text ? e->text : "");
}

static void
ev_config(struct imcq_evlist *ev, const struct imcq_config *cf)
{
	evlist_add_ref(ev, cf->input, cf->member, IMCQ_NOOFF, cf->line,
		       xasprintf("%s = %s", cf->name ? cf->name : "?",
				 cf->value ? cf->value : ""));
}

/* m's first source, in a report-wide finding (a copy of its member) */
static void
ev_msg(struct imcq_evlist *ev, const struct imcq_message *m, const char *what)
{
	if (m->nsources == 0)
		return;
	ev_time(ev, m->sources[0].input, m->sources[0].member, m->sources[0].mtime,
		what, false);
}

/* m's first source, in one of m's own findings (its member shared, and
 * its excerpt too when an earlier finding of m has the same item: NO_ROUTE
 * and NO_DELIVERY_ATTEMPT both show "queued message") */
static void
ev_own(struct imcq_evlist *ev, struct imcq_spill *sp, const struct imcq_message *m,
       const char *what)
{
	const struct imcq_source *src = &m->sources[0];
	char iso[32], *x;
	size_t i, j;

	if (m->nsources == 0)
		return;
	if (src->mtime != IMCQ_NOTIME)
		imcq_iso(src->mtime, iso);
	/* per message: pieces, not printf (issue #9) */
	x = xstrcat("mtime ", src->mtime != IMCQ_NOTIME ? iso : "unknown", " (", what, ")",
		      NULL);
	for (i = 0; i < m->findings.n; i++) {
		const struct imcq_evlist *l = &m->findings.v[i].ev;

		for (j = 0; j < l->n; j++) {
			const struct imcq_evidence *e = &l->v[j];

			if (e->member == src->member && e->input == src->input &&
			    e->offset == IMCQ_NOOFF && e->line == 0 && e->excerpt &&
			    (e->shared & IMCQ_EV_SPILLED ? text_eq(sp, e->excerpt, x) :
			     strcmp(e->excerpt, x) == 0)) {
				evlist_share(ev, e);	/* spilled or not */
				free(x);
				return;
			}
		}
	}
	evlist_add_ref(ev, src->input, src->member, IMCQ_NOOFF, 0, x);
}

/* Index in c->pl of the first protocol-log event at or after
 * (input, member, line). */
static size_t
pl_lower(const struct rctx *c, int input, const char *member, uint64_t line)
{
	size_t lo = 0, hi = c->npl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct imcq_event *e = c->pl[mid].e;
		int d = e->input != input ? (e->input < input ? -1 : 1)
					  : strcmp(e->member ? e->member : "", member ? member : "");

		if (d == 0)
			d = (e->line > line) - (e->line < line);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
pl_in_session(const struct rctx *c, size_t k, const struct imcq_session *s)
{
	const struct imcq_event *e;

	if (k >= c->npl)
		return false;
	e = c->pl[k].e;
	return e->input == s->input && is(e->member, s->member) && e->line <= s->line_last;
}

/* The time stamp as written on the session's first line, or NULL. */
static const char *
session_time_raw(const struct rctx *c, const struct imcq_session *s)
{
	size_t k = pl_lower(c, s->input, s->member, s->line_first);

	if (pl_in_session(c, k, s) && c->pl[k].e->line == s->line_first)
		return c->pl[k].e->time_raw;
	return NULL;
}

static void
ev_session(const struct rctx *c, struct imcq_evlist *ev, const struct imcq_session *s)
{
	size_t k = pl_lower(c, s->input, s->member, s->line_first);
	char *x;

	if (pl_in_session(c, k, s) && c->pl[k].e->line == s->line_first) {
		ev_event(ev, c->pl[k].e);
		return;
	}
	x = xasprintf("session with %s (%s)", s->remote ? s->remote : "an unknown host",
		      s->outcome ? s->outcome : "outcome unknown");
	evlist_add_ref(ev, s->input, s->member, IMCQ_NOOFF, s->line_first, x);
}

/* ---- findings ----------------------------------------------------------- */

/*
 * A finding that takes msg (a heap string: formatting it again through
 * "%s" costs two printf passes over a long text, for every stuck message;
 * a text built in a struct buf has spare room, trimmed to its length) and
 * shares its code, reference and basis (literals) and action (a literal
 * or a string of the report's pool, which outlives the findings: the
 * same text for thousands of messages).
 */
static struct imcq_finding *
add_f_shared(struct imcq_findlist *l, enum diag_code code, enum imcq_sev sev,
	     const char *ref, const char *basis, char *msg, const char *action)
{
	return findlist_add_shared(l, diag_code_name(code), sev, ref, basis, action,
				   xrealloc(msg, strlen(msg) + 1));
}

/* The same with a copy of action (a text the caller frees). */
static struct imcq_finding *
add_f(struct imcq_findlist *l, enum diag_code code, enum imcq_sev sev,
      const char *ref, const char *basis, char *msg, const char *action)
{
	struct imcq_finding *f = add_f_shared(l, code, sev, ref, basis, msg, NULL);

	if (action != NULL) {
		f->action = xstrdup(action);
		f->shared &= (unsigned char)~IMCQ_F_SH_ACTION;
	}
	return f;
}

static struct imcq_finding *
add_report_f(struct rctx *c, struct rsnap *s, enum diag_code code, enum imcq_sev sev,
	     const char *ref, const char *basis, char *msg, const char *action)
{
	struct imcq_finding *f = add_f(&c->rep->findings, code, sev, ref, basis, msg, action);

	s->fidx[code] = (long)(c->rep->findings.n - 1);
	return f;
}

/* The unique spool ids of v[] into f, sorted (f has none yet). */
static void
f_add_ids(struct imcq_finding *f, struct imcq_message *const *v, size_t n)
{
	char **ids;
	size_t i, k = 0;

	if (n == 0 || f->nspool_ids != 0)
		return;
	ids = xcalloc(n, sizeof(*ids));
	for (i = 0; i < n; i++)
		if (v[i]->spool_id)
			ids[k++] = v[i]->spool_id;
	/* issue #9: the lists are in message order, i.e. by spool id, almost
	 * always: a sort of 800,000 sorted ids still compared them all */
	for (i = 1; i < k && strcmp(ids[i - 1], ids[i]) <= 0; i++)
		;
	if (i < k)
		xqsort_strs(ids, k);
	n = k;
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || strcmp(ids[k - 1], ids[i]) != 0)
			ids[k++] = ids[i];
	for (i = 0; i < k; i++)
		ids[i] = xstrdup(ids[i]);
	/* the model keeps capacity == count for these lists */
	f->spool_ids = k ? ids : NULL;
	f->nspool_ids = k;
	if (k == 0)
		free(ids);
}

static void
put_ids(struct buf *b, struct imcq_message *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < DIAG_IDS_NAMED; i++)
		buf_appendf(b, "%s%s", i ? ", " : "", v[i]->spool_id ? v[i]->spool_id : "?");
	if (n > DIAG_IDS_NAMED)
		buf_appendf(b, " and %zu more", n - DIAG_IDS_NAMED);
}

static void
put_list(struct buf *b, const struct imcq_strv *l, size_t max)
{
	size_t i;

	for (i = 0; i < l->n && i < max; i++) {
		/* issue #9: no printf; ", " and the item as one append (buf.h) */
		char *item = i ? xstrcat(", ", l->v[i], NULL) : NULL;

		buf_appends(b, item ? item : l->v[i]);
		free(item);
	}
	if (l->n > max)
		buf_appendf(b, " and %zu more", l->n - max);
}

/* Sort and de-duplicate a string list. */
static void
strv_uniq(struct imcq_strv *l)
{
	size_t i, k = 0;

	if (l->n > 1)
		xqsort_strs(l->v, l->n);
	for (i = 0; i < l->n; i++) {
		if (k && strcmp(l->v[k - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* ---- per-snapshot maps: domain -> latest attempt ----------------------- */

struct domlat {
	char *domain;
	int64_t t;	/* latest possible time */
	size_t src;	/* session or event index achieving it */
};

struct dommap {
	struct domlat *v;
	size_t n, cap;
};

static void
dommap_add(struct dommap *m, const char *domain, int64_t t, size_t src)
{
	struct domlat d = { lower_dup(domain), t, src };

	if (domain == NULL || *domain == '\0') {
		free(d.domain);
		return;
	}
	VEC_PUSH(m->v, m->n, m->cap, d);
}

static int
cmp_domlat(const void *a, const void *b)
{
	const struct domlat *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c)
		return c;
	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return (x->src > y->src) - (x->src < y->src);
}

/* Sort; keep one entry per domain, the latest. */
static void
dommap_finish(struct dommap *m)
{
	size_t i, k = 0;

	if (m->n > 1)
		xqsort(m->v, m->n, sizeof(*m->v), cmp_domlat);
	for (i = 0; i < m->n; i++) {
		if (k && strcmp(m->v[k - 1].domain, m->v[i].domain) == 0) {
			free(m->v[i].domain);
			continue;
		}
		m->v[k++] = m->v[i];
	}
	m->n = k;
}

static const struct domlat *
dommap_find(const struct dommap *m, const char *domain)
{
	size_t lo = 0, hi = m->n;

	if (domain == NULL)
		return NULL;
	/* the keys are lower case: comparing case-insensitively is comparing
	 * with the lower-case domain, without a copy */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = imcq_strcasecmp(m->v[mid].domain, domain);

		if (c == 0)
			return &m->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
dommap_release(struct dommap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].domain);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

struct snapmaps {
	struct dommap sess;	/* outbound sessions naming a domain */
	struct dommap trk;	/* tracking 1011 naming a domain */
	int64_t last_any;	/* latest possible start of any outbound session */
	size_t last_any_idx;
};

static bool
outbound_session(const struct imcq_session *s)
{
	return s->direction == NULL || !is(s->direction, "inbound");
}

static void
build_maps(const struct rctx *c, const struct rsnap *s, struct snapmaps *mp)
{
	const struct imcq_report *rep = c->rep;
	size_t i, j;

	memset(mp, 0, sizeof(*mp));
	mp->last_any = INT64_MIN;
	mp->last_any_idx = SIZE_MAX;
	for (i = 0; i < rep->nsessions; i++) {
		const struct imcq_session *ss = &rep->sessions[i];
		int64_t lo, hi;

		if (ss->snapshot != s->snap || !outbound_session(ss))
			continue;
		diag_session_bounds(c, ss, &lo, &hi);
		if (mp->last_any_idx == SIZE_MAX || hi > mp->last_any) {
			mp->last_any = hi;
			mp->last_any_idx = i;
		}
		dommap_add(&mp->sess, ss->domain, hi, i);
		for (j = 0; j < ss->rcpts.n; j++) {
			char *d = imcq_addr_domain(ss->rcpts.v[j]);

			dommap_add(&mp->sess, d, hi, i);
			free(d);
		}
	}
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (e->snapshot != s->snap || e->event_no != 1011 || !is(e->source, "tracking"))
			continue;
		for (j = 0; j < e->rcpts.n; j++) {
			char *d = imcq_addr_domain(e->rcpts.v[j]);

			dommap_add(&mp->trk, d, e->time, i);
			free(d);
		}
	}
	dommap_finish(&mp->sess);
	dommap_finish(&mp->trk);
}

static void
release_maps(struct snapmaps *mp)
{
	dommap_release(&mp->sess);
	dommap_release(&mp->trk);
}

/* domains_of by sorting every "domain\001address" pair: the rule it keeps
 * (a domain holding a \001 splits there), for such domains. */
static void
domains_of_pairs(struct imcq_message *const *v, size_t n, struct imcq_strv *domains,
	   struct imcq_strv *addrs)
{
	struct imcq_strv pairs = { 0 };
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i]->nrcpts; j++) {
			const struct imcq_rcpt *r = &v[i]->rcpts[j];

			if (r->domain && *r->domain && r->address)
				strv_push(&pairs, xstrcat(r->domain, "\001", r->address, NULL));
		}
	if (pairs.n > 1)
		xqsort_strs(pairs.v, pairs.n);
	for (i = 0; i < pairs.n; i++) {
		char *sep = strchr(pairs.v[i], '\001');

		*sep = '\0';
		if (domains->n && strcmp(domains->v[domains->n - 1], pairs.v[i]) == 0)
			continue;
		strv_push(domains, xstrdup(pairs.v[i]));
		if (addrs)
			strv_push(addrs, xstrdup(sep + 1));
	}
	strv_release(&pairs);
}

static int
cmp_spick(const void *a, const void *b)
{
	return strcmp(((const struct spick *)a)->d, ((const struct spick *)b)->d);
}

/* Unique recipient domains of messages v[] (sorted), each with one of its
 * addresses (addrs[i] belongs to domains.v[i]): the least, as the sorted
 * "domain\001address" pairs of domains_of_pairs gave.  Issue #9: each
 * domain once in a hash table, keeping its least address, then only the
 * distinct domains sorted -- not a string made and sorted per recipient.
 * The messages are read in order mo (v's memory order, mem_order; NULL:
 * as they come): the result has no order. */
static void
domains_of(struct imcq_message *const *v, size_t n, const uint32_t *mo,
	   struct imcq_strv *domains, struct imcq_strv *addrs)
{
	struct strset ss = { NULL, 0, 0, false };
	struct spick *u;
	size_t i, j, at;

	for (i = 0; i < n; i++) {
		const struct imcq_message *m = v[ord_at(mo, i)];

		for (j = 0; j < m->nrcpts; j++) {
			const struct imcq_rcpt *r = &m->rcpts[j];
			struct spick *e;

			if (!(r->domain && *r->domain && r->address))
				continue;
			if (strchr(r->domain, '\001') != NULL) {
				free(ss.t);
				domains_of_pairs(v, n, domains, addrs);
				return;
			}
			e = strset_get(&ss, r->domain, true);
			if (e->a == NULL || strcmp(r->address, e->a) < 0)
				e->a = r->address;
		}
	}
	u = xmalloc((ss.n ? ss.n : 1) * sizeof(*u));
	for (at = 0, j = 0; at < ss.nslot; at++)
		if (ss.t[at].d != NULL)
			u[j++] = ss.t[at];
	if (ss.n > 1)
		xqsort(u, ss.n, sizeof(*u), cmp_spick);
	for (i = 0; i < ss.n; i++) {
		if (domains->n && strcmp(domains->v[domains->n - 1], u[i].d) == 0)
			continue;
		strv_push(domains, xstrdup(u[i].d));
		if (addrs)
			strv_push(addrs, xstrdup(u[i].a));
	}
	free(u);
	free(ss.t);
}

/* ---- collecting the stuck messages -------------------------------------- */

static void
collect_stuck(struct rctx *c, struct rsnap *s)
{
	size_t i, k, cap = 0;
	unsigned char *is;

	for (i = 0; i < c->rep->nsessions; i++) {
		const struct imcq_session *ss = &c->rep->sessions[i];

		if (ss->snapshot == s->snap && ss->subject && outbound_session(ss))
			VEC_PUSH(s->subj, s->nsubj, cap, i);
	}
	/* by subject (then session), for msg_sessions' binary search */
	if (s->nsubj > 1) {
		struct skey *v = xcalloc(s->nsubj, sizeof(*v));

		for (i = 0; i < s->nsubj; i++) {
			v[i].s = c->rep->sessions[s->subj[i]].subject;
			v[i].i = s->subj[i];
		}
		xqsort(v, s->nsubj, sizeof(*v), cmp_skey);
		for (i = 0; i < s->nsubj; i++)
			s->subj[i] = v[i].i;
		free(v);
	}
	cap = 0;

	/* the messages read in memory order (model.h), then listed in
	 * message order from the marks alone */
	is = xcalloc(c->rep->nmsgs ? c->rep->nmsgs : 1, 1);
	for (k = 0; k < c->rep->nmsgs; k++) {
		const struct imcq_message *m = c->rep->msgs[i = report_mi(c->rep, k)];

		if (m->snapshot != s->snap || !diag_is_stuck(m))
			continue;
		is[i] = 1;
		if (m->state == IMCQ_ST_EXPIRED)
			s->nexpired++;
		if (m->queue_time != IMCQ_NOTIME &&
		    (s->oldest_stuck == IMCQ_NOTIME || m->queue_time < s->oldest_stuck))
			s->oldest_stuck = m->queue_time;
	}
	for (i = 0; i < c->rep->nmsgs; i++)
		if (is[i])
			VEC_PUSH(s->stuck, s->nstuck, cap, c->rep->msgs[i]);
	free(is);
	s->stuck_mo = mem_order((void *const *)s->stuck, s->nstuck);
}

/* ---- NO_ROUTE ----------------------------------------------------------- */

/* Was this recipient given "no address space matches" by routing.c? */
static bool
rcpt_no_route(const struct rsnap *s, const struct imcq_message *m, const struct imcq_rcpt *r)
{
	if (s->cur == NULL || rcpt_route(r)->known || m->damaged)
		return false;
	return (m->queue == IMCQ_Q_OUT && diag_is_stuck(m)) || m->queue == IMCQ_Q_PICKUP;
}

/* The messages [lo, hi) of diag_no_route: a finding for each one with
 * unrouted recipients (its own list), their number in nbad[]. */
struct noroute {
	const struct rsnap *s;
	const char *tname, *when;
	size_t *nbad;
	const struct imcq_report *rep;
};

static void
no_route_range(void *user, size_t lo, size_t hi)
{
	const struct noroute *x = user;
	const struct rsnap *s = x->s;
	size_t k, i, j;

	for (k = lo; k < hi; k++) {	/* in memory order (model.h) */
		struct imcq_message *m = x->rep->msgs[i = report_mi(x->rep, k)];
		struct imcq_strv bad = { 0 };
		struct imcq_finding *f;
		struct buf mb;
		char *head;

		if (m->snapshot != s->snap)
			continue;
		for (j = 0; j < m->nrcpts; j++)
			if (rcpt_no_route(s, m, &m->rcpts[j]))
				strv_push(&bad, xstrdup(m->rcpts[j].address ? m->rcpts[j].address : ""));
		if (bad.n == 0)
			continue;
		x->nbad[i] = bad.n;
		buf_init(&mb, TEXT_CAP);
		/* per message: pieces, not printf (issue #9); each append as
		 * one, as the cap of the buffer takes it or not (buf.h) */
		head = xstrcat("No address space of ", x->tname, " (the routing table, "
				 "modified ", x->when, ") matches ", NULL);
		buf_appends(&mb, head);
		free(head);
		put_list(&mb, &bad, DIAG_IDS_NAMED);
		buf_appends(&mb, bad.n == 1 ?
			    ": the MTA compares the whole address with each address "
			    "space and finds no connector for it (Q229961), so it "
			    "cannot be delivered, from this server or after a recovery, "
			    "until an address space covers its domain." :
			    ": the MTA compares the whole address with each address "
			    "space and finds no connector for them (Q229961), so they "
			    "cannot be delivered, from this server or after a recovery, "
			    "until an address space covers their domains.");
		f = add_f_shared(&m->findings, DC_NOROUTE, IMCQ_SEV_ERROR, "Q229961",
			  "documented", take(&mb),
			  "Check the address with the sender; if the domain is "
			  "valid, add an SMTP address space that covers it (for "
			  "example SMTP:*@domain, or SMTP:*) to the Internet Mail "
			  "Service that should deliver it, then Recalculate Routing.");
		ev_table(&f->ev, s->cur, "routing table searched");
		ev_own(&f->ev, x->rep->spill, m, "queued message");
		finding_spill(x->rep->spill, f);	/* final (model.h) */
		message_findings_freeze(x->rep, m);
		strv_release(&bad);
	}
}

static void
diag_no_route(struct rctx *c, struct rsnap *s)
{
	struct imcq_report *rep = c->rep;
	struct imcq_message **hit = NULL;
	size_t nhit = 0, cap = 0, nr = 0, named = 0, i, j;
	char when[40];
	const char *tname = base_name(s->cur ? s->cur->member : NULL);
	struct imcq_finding *f;
	struct buf b;
	char *action, *list;
	struct noroute x;

	if (s->cur == NULL)
		return;
	diag_fmt_time(s->cur->mtime, when);
	buf_init(&b, TEXT_CAP);
	/* each message's finding from its own recipients (two halves at
	 * once, par.h), then the report-wide list in message order */
	x = (struct noroute){ s, tname, when, xcalloc(rep->nmsgs ? rep->nmsgs : 1,
							sizeof(*x.nbad)), rep };
	par_for(rep->nmsgs, DIAG_PAR_MIN, no_route_range, &x);
	for (i = 0; i < rep->nmsgs; i++) {
		struct imcq_message *m = rep->msgs[i];

		if (x.nbad[i] == 0)
			continue;
		VEC_PUSH(hit, nhit, cap, m);
		nr += x.nbad[i];
		if (named >= DIAG_IDS_NAMED) {
			named += x.nbad[i];
			continue;
		}
		for (j = 0; j < m->nrcpts; j++) {
			const struct imcq_rcpt *r = &m->rcpts[j];

			if (!rcpt_no_route(s, m, r))
				continue;
			if (named < DIAG_IDS_NAMED)
				buf_appendf(&b, "%s%s in %s", named ? ", " : "",
					    r->address ? r->address : "",
					    m->spool_id ? m->spool_id : "?");
			named++;
		}
	}
	free(x.nbad);
	if (nhit == 0) {
		buf_release(&b);
		return;
	}
	if (named > DIAG_IDS_NAMED)
		buf_appendf(&b, " and %zu more", named - DIAG_IDS_NAMED);
	{
		char *msg;

		list = take(&b);
		msg = xasprintf("%zu recipient%s of %zu queued message%s on %s match "
				      "no address space of %s (modified %s): %s. The "
				      "MTA compares the whole address and finds no "
				      "connector (Q229961); these recipients cannot be "
				      "delivered, by this server or after a recovery, "
				      "until an address space covers them.",
				      nr, plural(nr), nhit, plural(nhit), server_name(s),
				      tname, when, list);

		free(list);
		action = xasprintf("Check these addresses with their senders; for a valid "
				   "domain add an SMTP address space that covers it (for "
				   "example SMTP:*@domain) to the Internet Mail Service that "
				   "should deliver it and Recalculate Routing. When recovering, "
				   "expect these recipients to fail again.");
		f = add_report_f(c, s, DC_NOROUTE, IMCQ_SEV_ERROR, "Q229961", "documented",
				 msg, action);
		free(action);
		ev_table(&f->ev, s->cur, "routing table searched");
		f_add_ids(f, hit, nhit);
	}
	{
		struct imcq_strv doms = { 0 };
		struct buf db;
		/* issue #9: a set (case ignored), not a sort of every one */
		struct strset bad = { NULL, 0, 0, true };
		/* the messages in memory order (model.h), for both sets */
		uint32_t *mo = mem_order((void *const *)hit, nhit);

		domains_of(hit, nhit, mo, &doms, NULL);
		/* the domains of the unrouted recipients (case ignored) */
		for (size_t k = 0; k < nhit; k++) {
			const struct imcq_message *m = hit[ord_at(mo, k)];

			for (size_t r = 0; r < m->nrcpts; r++)
				if (m->rcpts[r].domain && rcpt_no_route(s, m, &m->rcpts[r]))
					strset_get(&bad, m->rcpts[r].domain, true);
		}
		free(mo);
		buf_init(&db, TEXT_CAP);
		for (i = 0, j = 0; i < doms.n; i++)
			if (strset_get(&bad, doms.v[i], false) != NULL)
				buf_appendf(&db, "%s%s", j++ ? ", " : "", doms.v[i]);
		free(bad.t);
		list = take(&db);
		s->why[DC_NOROUTE] = xasprintf("%zu recipient%s (at %s) match no address "
					       "space of the routing table (%s), so no "
					       "connector takes %s and %s cannot be "
					       "delivered until an address space covers %s",
					       nr, plural(nr), list, tname,
					       nr == 1 ? "it" : "them", nr == 1 ? "it" : "they",
					       nr == 1 ? "it" : "them");
		free(list);
		strv_release(&doms);
	}
	s->means[DC_NOROUTE] = xstrdup("these recipients cannot be delivered until "
				       "an address space covers their domains");
	free(hit);
}

/* ---- STALE_ROUTING and INBOUND_ONLY_ROUTED ------------------------------ */

/* The first SMTP address space on this server's IMS, or NULL. */
static const struct imcq_route_entry *
own_smtp(const struct rt_list *l, const char *server)
{
	size_t i;

	if (server == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		const struct imcq_route_entry *e = l->v[i];

		if (rt_streq(e->type, "SMTP") && rt_streq(e->server, server) &&
		    (rt_is_ims_entry(e) || e->connector == NULL))
			return e;
	}
	return NULL;
}

/* An SMTP address space listed on a Route.txt line (the reader's fields,
 * or the raw line read as "SMTP <cost> <space>" / "SMTP:<space>";
 * Route.txt's layout is not documented).  Caller frees. */
static char *
routetxt_smtp_space(const struct imcq_route_entry *e)
{
	const char *p, *q;

	if (e->type && e->space)
		return rt_streq(e->type, "SMTP") ? xstrdup(e->space) : NULL;
	if ((p = e->raw) == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!(lc(p[0]) == 's' && lc(p[1]) == 'm' && lc(p[2]) == 't' && lc(p[3]) == 'p'))
		return NULL;
	p += 4;
	if (*p == ':') {
		p++;
	} else if (*p == ' ' || *p == '\t') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p != ' ' && *p != '\t')
			return NULL;
		while (*p == ' ' || *p == '\t')
			p++;
	} else {
		return NULL;
	}
	q = p + strlen(p);
	while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == ';'))
		q--;
	return xstrndup(p, (size_t)(q - p));
}

struct chg {
	const char *from, *to;		/* connectors (NULL: no route) */
	struct imcq_strv domains;
	const struct imcq_route_entry *efrom, *eto;
};

static char *
route_text(const char *connector)
{
	return xstrdup(connector ? connector : "no address space");
}

static void
put_signal(struct imcq_strv *l, char *owned)
{
	strv_push(l, owned);
}

static char *
join_signals(const struct imcq_strv *l)
{
	struct buf b;

	buf_init(&b, TEXT_CAP);
	for (size_t i = 0; i < l->n; i++)
		buf_appendf(&b, "%s(%zu) %s", i ? "; " : "", i + 1, l->v[i]);
	return take(&b);
}

static char *
stale_action(const struct rctx *c, const struct rsnap *s)
{
	char *cmd = diag_recover_cmd(c, s);
	char *a = xasprintf("Stop the Internet Mail Service on %s; Recalculate Routing "
			    "on its MTA (%s > MTA > General > Recalculate Routing); "
			    "back up and empty Imcdata\\Out; delete Queue.dat; start "
			    "the IMS and send a test message (Q268494). Then recover "
			    "the queued mail: %s and copy the files to Imcdata\\Pickup "
			    "(recipients the logs show as delivered are left out).",
			    server_name(s), server_name(s), cmd);

	free(cmd);
	return a;
}

static int
cmp_skey_len(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;

	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return imcq_strcasecmp(x->s, y->s);
}

/* The (non-empty) strings of l as skeys, i = length, sorted by length and
 * then case-insensitively.  Never NULL. */
static struct skey *
domains_by_length(const struct imcq_strv *l)
{
	struct skey *v = xcalloc(l->n ? l->n : 1, sizeof(*v));

	for (size_t i = 0; i < l->n; i++)
		v[i] = (struct skey){ l->v[i], strlen(l->v[i]), 0 };
	xqsort(v, l->n, sizeof(*v), cmp_skey_len);
	return v;
}

/* Compare the n bytes at t with s (of length n), case ignored. */
static int
ci_ncmp(const char *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc(t[i]) != lc(s[i]))
			return (unsigned char)lc(t[i]) - (unsigned char)lc(s[i]);
	return 0;
}

/* Does text contain any of the n strings of v (domains_by_length), case
 * ignored?  The same answer as has_ci(text, v[k].s) for some k, found by
 * looking up each substring of each length in use instead of scanning the
 * text once per string. */
static bool
names_any(const struct skey *v, size_t n, const char *text)
{
	size_t tn, p, g, h;

	if (text == NULL || n == 0)
		return false;
	tn = strlen(text);
	for (g = 0; g < n; g = h) {
		size_t len = v[g].i;

		for (h = g + 1; h < n && v[h].i == len; h++)
			;
		if (len == 0 && tn > 0)
			return true;	/* as has_ci: "" is in any non-empty text */
		if (len == 0 || len > tn)
			continue;
		for (p = 0; p + len <= tn; p++) {
			size_t lo = g, hi = h;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = ci_ncmp(v[mid].s, text + p, len);

				if (c == 0)
					return true;
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
	}
	return false;
}

static void
diag_stale(struct rctx *c, struct rsnap *s, const struct snapmaps *mp)
{
	/* Route.txt only: the IMS copies Route.txt to Route.old before writing
	 * a new one (Q153655), and a copy keeps the old file time, so
	 * Route.old older than GWART0 says nothing about when the IMS last
	 * read the table; Route.txt missing leaves the question open. */
	const struct imcq_table_file *rt = s->rtxt;
	const struct imcq_table_file *gw = s->gw0;
	const char *rtname;
	int64_t t_gw, t_rt, now = rctx_now(c, s);
	size_t i, j, nbefore = 0, ngroups = 0, nchanged = 0, naway = 0;
	size_t n1010 = 0, nno1011 = 0, nsince = 0;
	struct imcq_strv holds = { 0 }, absent = { 0 }, domains = { 0 }, addrs = { 0 };
	struct imcq_strv rtspaces = { 0 };
	struct chg *groups = NULL;
	size_t gcap = 0;
	const struct imcq_route_entry *own0, *rtline = NULL;
	const struct imcq_event *ev1010[3];
	size_t nev1010 = 0;
	struct skey *gdoms = NULL;
	size_t ngdoms = 0, gdcap = 0;
	char tg[40], tr[40], toldest[40], *interval, *msg, *action, *sig_h, *sig_a;
	const char *paction;
	int64_t oldest_before = IMCQ_NOTIME;
	struct imcq_finding *f;
	struct buf b;

	if (gw == NULL || rt == NULL || s->nstuck == 0)
		return;
	t_gw = gw->mtime != IMCQ_NOTIME ? gw->mtime : gw->newest_time;
	t_rt = rt->mtime != IMCQ_NOTIME ? rt->mtime : rt->newest_time;
	if (t_gw == IMCQ_NOTIME || t_rt == IMCQ_NOTIME || t_rt >= t_gw)
		return;
	/* within one RouteCalculationInterval of the change the IMS may
	 * simply not have looked yet */
	if (s->interval > 0 && now != IMCQ_NOTIME && now < t_gw + s->interval * 60)
		return;
	for (i = 0; i < s->nstuck; i++) {
		const struct imcq_message *m = s->stuck[i];

		if (m->queue_time != IMCQ_NOTIME && m->queue_time < t_gw) {
			nbefore++;
			if (oldest_before == IMCQ_NOTIME || m->queue_time < oldest_before)
				oldest_before = m->queue_time;
		}
	}
	if (nbefore == 0)
		return;

	rtname = "Route.txt";
	diag_fmt_time(t_gw, tg);
	diag_fmt_time(t_rt, tr);
	diag_fmt_time(oldest_before, toldest);
	if (s->interval_cfg && s->interval == 0)
		interval = xasprintf("RouteCalculationInterval = 0 in %s: the IMS reads the "
				     "table only when it starts (Q153655)",
				     base_name(s->interval_cfg->member));
	else if (s->interval_cfg)
		interval = xasprintf("the IMS checks every %ld minute%s "
				     "(RouteCalculationInterval = %ld in %s; Q153655)",
				     s->interval, s->interval == 1 ? "" : "s", s->interval,
				     base_name(s->interval_cfg->member));
	else
		interval = xasprintf("the IMS checks every %d minutes by default "
				     "(RouteCalculationInterval is not in the evidence; "
				     "Q153655)", DIAG_ROUTE_INTERVAL_DEFAULT);

	/* signal: GWART0 vs GWART1 for the stuck domains */
	own0 = own_smtp(&s->cur_e, s->server);
	domains_of(s->stuck, s->nstuck, s->stuck_mo, &domains, &addrs);
	if (s->gw1 == NULL) {
		put_signal(&absent, xstrdup("GWART1.MTA (the previous routing table) is "
					    "not in the evidence, so the route change for the "
					    "stuck domains cannot be shown"));
	} else {
		struct rt_index *xcur = rt_index_new(s->cur_e.v, s->cur_e.n, "SMTP");
		struct rt_index *xprev = rt_index_new(s->prev_e.v, s->prev_e.n, "SMTP");

		for (i = 0; i < domains.n; i++) {
			struct rt_choice now0, was;
			bool k0 = rt_select_indexed(xcur, addrs.v[i], s->server, &now0);
			bool k1 = rt_select_indexed(xprev, addrs.v[i], s->server, &was);
			const char *to = k0 ? now0.best->connector : NULL;
			const char *from = k1 ? was.best->connector : NULL;

			if (!(to == NULL && from == NULL) &&
			    !(to && from && rt_streq(to, from))) {
				struct chg *g = NULL;

				nchanged++;
				if (k1 && rt_streq(was.best->server, s->server) &&
				    !(k0 && rt_streq(now0.best->server, s->server)))
					naway++;
				for (j = 0; j < ngroups && g == NULL; j++)
					if (((groups[j].from == NULL && from == NULL) ||
					     rt_streq(groups[j].from, from)) &&
					    ((groups[j].to == NULL && to == NULL) ||
					     rt_streq(groups[j].to, to)))
						g = &groups[j];
				if (g == NULL) {
					struct chg z = { from, to, { 0 }, k1 ? was.best : NULL,
							 k0 ? now0.best : NULL };

					VEC_PUSH(groups, ngroups, gcap, z);
					g = &groups[ngroups - 1];
				}
				strv_push(&g->domains, xstrdup(domains.v[i]));
			}
			rt_choice_release(&now0);
			rt_choice_release(&was);
		}
		rt_index_free(xcur);
		rt_index_free(xprev);
		if (nchanged) {
			buf_init(&b, TEXT_CAP);
			buf_appendf(&b, "GWART0.MTA routes %zu of the %zu stuck domain%s "
				    "differently from GWART1.MTA (modified ", nchanged,
				    domains.n, plural(domains.n));
			diag_fmt_time(s->gw1->mtime, toldest);
			buf_appendf(&b, "%s): ", toldest);
			for (j = 0; j < ngroups && j < GROUPS_NAMED; j++) {
				char *fr = route_text(groups[j].from), *to = route_text(groups[j].to);

				buf_appends(&b, j ? "; " : "");
				put_list(&b, &groups[j].domains, DIAG_IDS_NAMED);
				buf_appendf(&b, " from %s to %s", fr, to);
				free(fr);
				free(to);
			}
			if (ngroups > GROUPS_NAMED)
				buf_appendf(&b, "; and %zu more changes", ngroups - GROUPS_NAMED);
			if (naway)
				buf_appendf(&b, ". For %zu of them the route moved away from "
					    "this server's IMS, which still holds the mail",
					    naway);
			put_signal(&holds, take(&b));
		} else {
			put_signal(&absent, xstrdup("GWART0.MTA and GWART1.MTA route the "
						    "stuck domains the same way"));
		}
	}
	diag_fmt_time(oldest_before, toldest);

	/* signal: Route.txt content vs GWART0 for this IMS */
	for (i = 0; i < s->rtxt_e.n; i++) {
		char *sp = routetxt_smtp_space(s->rtxt_e.v[i]);

		if (sp == NULL)
			continue;
		if (rtline == NULL)
			rtline = s->rtxt_e.v[i];
		strv_push(&rtspaces, sp);
	}
	if (rtspaces.n && s->server && own0 == NULL) {
		buf_init(&b, TEXT_CAP);
		buf_appendf(&b, "Route.txt still lists the SMTP address space%s ",
			    plural(rtspaces.n));
		for (i = 0; i < rtspaces.n && i < DIAG_IDS_NAMED; i++)
			buf_appendf(&b, "%s'%s'", i ? ", " : "", rtspaces.v[i]);
		buf_appendf(&b, " for this IMS, while GWART0.MTA gives the IMS on %s no "
			    "SMTP address space at all", s->server);
		put_signal(&holds, take(&b));
	}

	/* signal: tracking 1010 without 1011 */
	if (s->ntracking == 0) {
		put_signal(&absent, xstrdup("no message tracking log in the evidence "
					    "(1010 queued / 1011 transferred records)"));
	} else {
		for (i = 0; i < s->nstuck; i++) {
			const struct imcq_message *m = s->stuck[i];
			const struct imcq_event *q = NULL;
			bool t11 = false;

			for (j = 0; j < m->nev_idx; j++) {
				const struct imcq_event *e;

				if (m->ev_idx[j] >= c->rep->nevents)
					continue;
				e = &c->rep->events[m->ev_idx[j]];
				if (e->event_no == 1010 && q == NULL)
					q = e;
				if (e->event_no == 1011 || e->event_no == 1017)
					t11 = true;
			}
			if (q == NULL)
				continue;
			n1010++;
			if (!t11) {
				nno1011++;
				if (nev1010 < 3)
					ev1010[nev1010++] = q;
			}
		}
		if (nno1011)
			put_signal(&holds, xasprintf("the tracking log records %zu of the "
						     "stuck messages as queued outbound (1010) "
						     "and none of those as transferred (1011) "
						     "or reported (1017)", nno1011));
		else if (n1010)
			put_signal(&absent, xasprintf("every stuck message with a 1010 "
						      "record also has a 1011 or 1017"));
		else
			put_signal(&absent, xstrdup("the tracking log has no 1010 record "
						    "for the stuck messages"));
	}

	/* signal: no SMTP session since the change */
	if (s->nsessions == 0) {
		put_signal(&absent, xstrdup("no SMTP protocol log in the evidence"));
	} else {
		for (i = 0; i < domains.n; i++) {
			const struct domlat *d = dommap_find(&mp->sess, domains.v[i]);

			if (d && d->t >= t_gw)
				nsince++;
		}
		if (mp->last_any_idx != SIZE_MAX && mp->last_any < t_gw)
			put_signal(&holds, xasprintf("the SMTP protocol logs show no "
						     "outbound session at all since the "
						     "change: the last one (%s) ended "
						     "before %s",
						     base_name(c->rep->sessions[mp->last_any_idx].member),
						     tg));
		else if (nsince == 0)
			put_signal(&holds, xasprintf("no SMTP protocol-log session names "
						     "any of the %zu stuck domain%s since the "
						     "change", domains.n, plural(domains.n)));
		else
			put_signal(&absent, xasprintf("%zu of the stuck domains may have "
						      "had an SMTP session since the change "
						      "(protocol-log times are server local "
						      "time%s)", nsince,
						      c->o->have_log_tz ? "" : "; --log-tz "
						      "would make them exact"));
	}

	/* signal: transfer mode vs where the GWART points */
	if (s->mode_cfg == NULL) {
		put_signal(&absent, xstrdup("the IMS transfer mode (Connections tab) is "
					    "not in the evidence"));
	} else if (own0 == NULL && s->server) {
		put_signal(&holds, xasprintf("the IMS on %s is set to transfer mode '%s', "
					     "yet GWART0.MTA routes no SMTP mail through "
					     "it: the queued mail is held by a connector "
					     "the routing table no longer uses",
					     s->server, s->mode_cfg->value));
	} else {
		put_signal(&absent, xasprintf("transfer mode '%s' agrees with the "
					      "routing table", s->mode_cfg->value));
	}

	/* events 2006/3010/3011 for those domains */
	{
		size_t nev = 0;
		struct skey *dl = NULL;

		for (i = 0; i < c->rep->nevents; i++) {
			const struct imcq_event *e = &c->rep->events[i];

			if (e->snapshot != s->snap || !is(e->source, "event-log") ||
			    (e->event_no != 2006 && e->event_no != 3010 && e->event_no != 3011))
				continue;
			if (dl == NULL)
				dl = domains_by_length(&domains);
			if (names_any(dl, domains.n, e->text))
				nev++;
		}
		free(dl);
		if (nev)
			put_signal(&holds, xasprintf("%zu event-log record%s 2006/3010/3011 "
						     "name the stuck domains", nev, plural(nev)));
	}

	sig_h = join_signals(&holds);
	sig_a = join_signals(&absent);
	buf_init(&b, TEXT_CAP);
	buf_appendf(&b, "The Internet Mail Service on %s has not picked up the current "
		    "routing table: GWART0.MTA was modified at %s, but %s, which the "
		    "IMS rewrites whenever it reads a newer table, was last written "
		    "at %s, although %s. %zu message%s %s stuck in Imcdata\\Out, %zu "
		    "of them queued before the change (the oldest at %s); the IMS "
		    "keeps them for the route it had, and the MTA cannot move mail "
		    "out of an IMS queue (Q268494, Q271545).",
		    server_name(s), tg, rtname, tr, interval, s->nstuck, plural(s->nstuck),
		    s->nstuck == 1 ? "is" : "are", nbefore, toldest);
	if (holds.n)
		buf_appendf(&b, " Other signals that hold: %s.", sig_h);
	if (absent.n)
		buf_appendf(&b, " Signals not shown by the evidence: %s.", sig_a);
	buf_appends(&b, " Stuck: ");
	put_ids(&b, s->stuck, s->nstuck);
	buf_appends(&b, ".");
	msg = take(&b);
	action = stale_action(c, s);
	f = add_report_f(c, s, DC_STALE, IMCQ_SEV_ERROR, "Q268494", "inferred", msg, action);
	ev_table(&f->ev, gw, "GWART0.MTA, the current routing table");
	ev_table(&f->ev, rt, "Route.txt, the IMS's last view of the routing table");
	if (s->rold)
		ev_table(&f->ev, s->rold, "Route.old, the view before that");
	if (s->gw1)
		ev_table(&f->ev, s->gw1, "GWART1.MTA, the previous routing table");
	if (s->interval_cfg)
		ev_config(&f->ev, s->interval_cfg);
	if (s->mode_cfg)
		ev_config(&f->ev, s->mode_cfg);
	for (j = 0; j < ngroups && j < GROUPS_NAMED; j++) {
		if (groups[j].eto)
			ev_entry(&f->ev, groups[j].eto);
		if (groups[j].efrom)
			ev_entry(&f->ev, groups[j].efrom);
	}
	if (rtline && own0 == NULL)
		ev_entry(&f->ev, rtline);
	for (i = 0; i < nev1010; i++)
		ev_event(&f->ev, ev1010[i]);
	if (mp->last_any_idx != SIZE_MAX)
		ev_session(c, &f->ev, &c->rep->sessions[mp->last_any_idx]);
	for (i = 0, j = 0; i < s->nstuck && j < 3; i++)
		if (s->stuck[i]->queue_time == oldest_before) {
			ev_msg(&f->ev, s->stuck[i], "oldest stuck message");
			j++;
		}
	f_add_ids(f, s->stuck, s->nstuck);

	/* the incident's sentences */
	{
		const struct chg *main = NULL;

		for (j = 0; j < ngroups; j++)
			if (groups[j].to && (main == NULL || groups[j].domains.n > main->domains.n))
				main = &groups[j];
		s->why[DC_STALE] = xasprintf("the site's routing table changed at %s "
					     "(GWART0.MTA)%s%s, but the Internet Mail "
					     "Service on %s last read the table at %s "
					     "(%s) and %s since (KB Q268494)",
					     tg, main ? " and now sends these domains "
					     "through " : "", main ? main->to : "",
					     server_name(s), tr, rtname,
					     s->nsessions && mp->last_any < t_gw ?
					     "has made no delivery attempt" :
					     "has not picked up the change");
	}
	s->means[DC_STALE] = xasprintf("this mail will not leave by itself: the IMS "
				       "keeps it for a route it no longer has, and "
				       "the MTA cannot move mail out of an IMS queue "
				       "(Q271545); the fix is to recalculate routing "
				       "on %s, clear the queue and replay the mail",
				       server_name(s));

	/* every stuck message's finding shares one copy of the action, in
	 * the report's pool (this loop runs on the calling thread) */
	paction = strpool_intern(&c->rep->pool, action);

	/* the changed domains, sorted (case ignored, then group, then
	 * position): the first hit of a lookup is the first in group order */
	for (j = 0; j < ngroups; j++)
		for (size_t d = 0; d < groups[j].domains.n; d++)
			VEC_PUSH(gdoms, ngdoms, gdcap,
				 ((struct skey){ groups[j].domains.v[d], j, d }));
	xqsort(gdoms, ngdoms, sizeof(*gdoms), cmp_skey_ci);

	/* one finding per stuck message */
	for (i = 0; i < s->nstuck; i++) {
		struct imcq_message *m = s->stuck[i];
		char tq[40];
		const struct chg *g = NULL;
		const char *dom = NULL;

		for (j = 0; j < m->nrcpts && g == NULL; j++) {
			size_t k;

			if (m->rcpts[j].domain == NULL)
				continue;
			k = skey_find(gdoms, ngdoms, m->rcpts[j].domain);
			if (k < ngdoms) {
				g = &groups[gdoms[k].i];
				dom = gdoms[k].s;
			}
		}
		diag_fmt_time(m->queue_time, tq);
		buf_init(&b, TEXT_CAP);
		buf_appendf(&b, "Queued at %s, %s the routing change of %s (GWART0.MTA), "
			    "and still in Imcdata\\Out: the IMS on %s still works from "
			    "the routing table it read at %s (%s)",
			    tq, m->queue_time != IMCQ_NOTIME && m->queue_time < t_gw ?
			    "before" : "after", tg, server_name(s), tr, rtname);
		if (g) {
			char *fr = route_text(g->from), *to = route_text(g->to);

			buf_appendf(&b, "; for %s the current table names %s, the "
				    "previous one %s", dom, to, fr);
			free(fr);
			free(to);
		}
		buf_appends(&b, " (Q268494).");
		f = add_f_shared(&m->findings, DC_STALE, IMCQ_SEV_ERROR, "Q268494",
				 "inferred", take(&b), paction);
		ev_own(&f->ev, c->rep->spill, m, "queued message");
		ev_table(&f->ev, gw, "GWART0.MTA, the current routing table");
		ev_table(&f->ev, rt, "the IMS's last view of the routing table");
		if (g && g->eto)
			ev_entry(&f->ev, g->eto);
		if (g && g->efrom)
			ev_entry(&f->ev, g->efrom);
		finding_spill(c->rep->spill, f);	/* final (model.h) */
		message_findings_freeze(c->rep, m);
	}

	free(gdoms);
	free(action);
	free(sig_h);
	free(sig_a);
	free(interval);
	for (j = 0; j < ngroups; j++)
		strv_release(&groups[j].domains);
	free(groups);
	strv_release(&holds);
	strv_release(&absent);
	strv_release(&domains);
	strv_release(&addrs);
	strv_release(&rtspaces);
}

static void
diag_inbound_only(struct rctx *c, struct rsnap *s)
{
	const struct imcq_route_entry *own = own_smtp(&s->cur_e, s->server);
	const char *mode;
	char *msg, *action, *cmd;
	struct imcq_finding *f;

	if (s->mode_cfg == NULL || own == NULL ||
	    (s->mode != DIAG_MODE_IN && s->mode != DIAG_MODE_NONE))
		return;
	mode = s->mode == DIAG_MODE_IN ? "Inbound Only" : "None (Flush Queues)";
	msg = xasprintf("The Internet Mail Service on %s is set to transfer mode %s "
			"('%s' in %s), yet %s still gives its connector %s the SMTP "
			"address space '%s': the MTA keeps queuing outbound mail to "
			"it and the mail is not delivered (the transfer mode does not "
			"stop the MTA; remove the address space, Q238719, Q285090). "
			"%zu message%s %s stuck in its Imcdata\\Out.",
			server_name(s), mode, s->mode_cfg->value,
			base_name(s->mode_cfg->member), base_name(s->cur->member),
			own->connector ? own->connector : "", own->space ? own->space : "",
			s->nstuck, plural(s->nstuck), s->nstuck == 1 ? "is" : "are");
	cmd = diag_recover_cmd(c, s);
	action = xasprintf("Remove the address spaces of the IMS on %s (or set its "
			   "transfer mode to Inbound and Outbound) and Recalculate "
			   "Routing (Q238719); then recover the mail queued to it: %s "
			   "and copy the files to the Pickup folder of an IMS that "
			   "delivers outbound mail.", server_name(s), cmd);
	f = add_report_f(c, s, DC_INONLY, IMCQ_SEV_ERROR, "Q238719", "documented", msg,
			 action);
	ev_config(&f->ev, s->mode_cfg);
	ev_entry(&f->ev, own);
	f_add_ids(f, s->stuck, s->nstuck);
	s->why[DC_INONLY] = xasprintf("its Internet Mail Service is set to transfer mode "
				      "%s, yet the routing table still gives it the SMTP "
				      "address space '%s', so the MTA keeps handing it "
				      "outbound mail (Q238719)", mode,
				      own->space ? own->space : "");
	s->means[DC_INONLY] = xstrdup("mail keeps piling up on this server until its "
				      "address space is removed");
	free(cmd);
	free(action);
}

/* ---- sessions: DNS_FAILURE, SMART_HOST_FAILURE, REMOTE_REJECT ----------- */

static int
reply_code(const char *t)
{
	if (t == NULL || t[0] < '1' || t[0] > '5' || t[1] < '0' || t[1] > '9' ||
	    t[2] < '0' || t[2] > '9' || (t[3] != ' ' && t[3] != '-' && t[3] != '\0'))
		return 0;
	return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

/* A DNS-worded failure (Q228725, Q239816, Q146944). */
static bool
dns_text(const char *t)
{
	int code = reply_code(t);

	if (has_ci(t, "no routing hosts") || code == 499)
		return true;
	if (code != 421 && code != 451)
		return false;
	return has_ci(t, "resolv") || has_ci(t, "dns") || has_ci(t, "lookup") ||
	       has_ci(t, "look up") || has_ci(t, "host unknown") ||
	       has_ci(t, "unknown host") || has_ci(t, "name server") ||
	       has_ci(t, "nameserver");
}

/* A permanent refusal of MAIL, RCPT or DATA (not of EHLO: the IMS falls
 * back to HELO, Q245787). */
static bool
reject_text(const char *t)
{
	int code = reply_code(t);

	return code >= 500 && code <= 599 &&
	       (has_ci(t, "(reply to MAIL FROM") || has_ci(t, "(reply to RCPT TO") ||
		has_ci(t, "(reply to DATA") || has_ci(t, "(reply to .)"));
}

enum skind { SK_NONE = 0, SK_DNS, SK_SMART, SK_REJECT };

struct mvec {
	struct imcq_message **v;
	size_t n, cap;
};

static bool
failed_outcome(const char *o)
{
	return is(o, "dns-failure") || is(o, "connect-failed") || is(o, "deferred") ||
	       is(o, "rejected");
}

static enum skind
classify(const struct rctx *c, const struct rsnap *s, const struct imcq_session *ss)
{
	size_t k;
	bool dns = is(ss->outcome, "dns-failure") || dns_text(ss->outcome_line);
	bool rej = false;

	for (k = pl_lower(c, ss->input, ss->member, ss->line_first);
	     pl_in_session(c, k, ss); k++) {
		dns = dns || dns_text(c->pl[k].e->text);
		rej = rej || reject_text(c->pl[k].e->text);
	}
	if (s->smarthost_cfg && ss->remote && rt_streq(ss->remote, s->smarthost_cfg->value) &&
	    (failed_outcome(ss->outcome) || dns || rej))
		return SK_SMART;
	if (dns)
		return SK_DNS;
	if (rej)
		return SK_REJECT;
	return SK_NONE;
}

/* The domain a session was for: its "for <domain>", a recipient's, or a
 * concerned message's. */
static char *
session_domain(const struct imcq_session *ss, const struct mvec *mv)
{
	if (ss->domain && *ss->domain)
		return lower_dup(ss->domain);
	if (ss->rcpts.n)
		return imcq_addr_domain(ss->rcpts.v[0]);
	if (mv && mv->n && mv->v[0]->nrcpts && mv->v[0]->rcpts[0].domain)
		return lower_dup(mv->v[0]->rcpts[0].domain);
	return NULL;
}

struct ivec {
	size_t *v;
	size_t n, cap;
};

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Could session ss have carried message m: not certainly over before m
 * was queued? */
static bool
session_time_fits(const struct rctx *c, const struct imcq_message *m,
		  const struct imcq_session *ss)
{
	int64_t lo, hi;

	diag_session_bounds(c, ss, &lo, &hi);
	return m->queue_time == IMCQ_NOTIME || hi >= m->queue_time - JOINS_OUT_SLACK;
}

/* A session that quotes the message's subject in its "Rescheduling
 * delivery for later" line (Q146669, DOMAIN.md 6.1) and whose MAIL FROM
 * and domain, when logged, fit the message.  Covers sessions the joins
 * leave out (a MAIL FROM refused before any RCPT TO). */
static bool
subject_fits(const struct imcq_message *m, const struct imcq_session *ss)
{
	size_t j;
	bool dom = ss->domain == NULL;

	if (ss->subject == NULL || *ss->subject == '\0' ||
	    !(is(ss->subject, m->im->hdr.subject) || is(ss->subject, m->im->hdr.subject_raw)))
		return false;
	if (ss->mail_from && m->im->env.mail_from) {
		char *a = joins_addr_key(ss->mail_from), *b = joins_addr_key(m->im->env.mail_from);
		bool eq = strcmp(a, b) == 0;

		free(a);
		free(b);
		if (!eq)
			return false;
	}
	for (j = 0; j < m->nrcpts && !dom; j++)
		dom = rt_streq(m->rcpts[j].domain, ss->domain);
	return dom;
}

/* First index in s->subj (sorted by subject) whose subject is not below
 * want. */
static size_t
subj_lower(const struct rctx *c, const struct rsnap *s, const char *want)
{
	size_t lo = 0, hi = s->nsubj;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->rep->sessions[s->subj[mid]].subject, want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The sessions that concern m: joined (analyzer/joins.c) or quoting its
 * subject, and not certainly over before it was queued.  Sorted. */
static void
msg_sessions(const struct rctx *c, const struct rsnap *s, const struct imcq_message *m,
	     struct ivec *out)
{
	size_t k, w;

	out->n = 0;
	for (k = 0; k < m->nsess_idx; k++) {
		size_t si = m->sess_idx[k];

		if (si < c->rep->nsessions && c->rep->sessions[si].snapshot == s->snap &&
		    session_time_fits(c, m, &c->rep->sessions[si]))
			VEC_PUSH(out->v, out->n, out->cap, si);
	}
	/* s->subj is sorted by subject: only the sessions quoting the
	 * message's subject (decoded or raw) can fit */
	for (int pass = 0; pass < 2; pass++) {
		const char *want = pass == 0 ? m->im->hdr.subject : m->im->hdr.subject_raw;

		if (want == NULL || *want == '\0' ||
		    (pass == 1 && is(want, m->im->hdr.subject)))
			continue;
		for (k = subj_lower(c, s, want); k < s->nsubj &&
		     strcmp(c->rep->sessions[s->subj[k]].subject, want) == 0; k++) {
			const struct imcq_session *ss = &c->rep->sessions[s->subj[k]];

			if (subject_fits(m, ss) && session_time_fits(c, m, ss))
				VEC_PUSH(out->v, out->n, out->cap, s->subj[k]);
		}
	}
	if (out->n > 1)
		xqsort(out->v, out->n, sizeof(*out->v), cmp_size);
	for (k = 0, w = 0; k < out->n; k++)
		if (w == 0 || out->v[w - 1] != out->v[k])
			out->v[w++] = out->v[k];
	out->n = w;
}

/* Add the indicator lines of session ss (those pred accepts) to ev. */
static size_t
ev_session_lines(const struct rctx *c, struct imcq_evlist *ev,
		 const struct imcq_session *ss, bool (*pred)(const char *), size_t max)
{
	size_t k, n = 0;

	for (k = pl_lower(c, ss->input, ss->member, ss->line_first);
	     pl_in_session(c, k, ss) && n < max; k++)
		if (pred(c->pl[k].e->text)) {
			ev_event(ev, c->pl[k].e);
			n++;
		}
	if (n == 0 && ss->outcome_line) {
		evlist_add(ev, ss->input, ss->member, IMCQ_NOOFF, ss->line_last, ss->outcome_line);
		n++;
	}
	return n;
}

static bool
any_failure_text(const char *t)
{
	int code = reply_code(t);

	return dns_text(t) || (code >= 400 && code <= 599);
}

/* The first indicator line of a session, for messages. */
static const char *
first_line(const struct rctx *c, const struct imcq_session *ss, bool (*pred)(const char *))
{
	size_t k;

	for (k = pl_lower(c, ss->input, ss->member, ss->line_first);
	     pl_in_session(c, k, ss); k++)
		if (pred(c->pl[k].e->text))
			return c->pl[k].e->text;
	return ss->outcome_line ? ss->outcome_line : "(no reply line)";
}

static bool
msg_gets_findings(const struct imcq_message *m)
{
	return !m->damaged && (m->queue == IMCQ_Q_OUT || m->queue == IMCQ_Q_PICKUP);
}

static void
mark_rejects(const struct rctx *c, struct imcq_message *m, const struct imcq_session *ss,
	     struct imcq_strv *who)
{
	size_t k, j;

	for (k = pl_lower(c, ss->input, ss->member, ss->line_first);
	     pl_in_session(c, k, ss); k++) {
		const struct imcq_event *e = c->pl[k].e;
		bool rcpt_reply = has_ci(e->text, "(reply to RCPT TO");

		if (!reject_text(e->text))
			continue;
		for (j = 0; j < m->nrcpts; j++) {
			struct imcq_rcpt *r = &m->rcpts[j];
			bool hit;

			if (rcpt_reply)
				hit = joins_event_has_rcpt(e, r->address);
			else
				hit = ss->rcpts.n == 0 || joins_session_has_rcpt(ss, r->address);
			if (!hit)
				continue;
			if (!is(r->status, "failed")) {
				r->status = "failed";
				strv_push(who, xstrdup(r->address ? r->address : ""));
			}
			ev_event(&r->ev, e);
		}
	}
}

/* The spool ids of the messages of snapshot s that get findings, sorted
 * (case ignored, then message order). */
static struct skey *
msg_spool_keys(const struct rctx *c, const struct rsnap *s, size_t *n)
{
	struct skey *v = NULL;
	size_t cap = 0, i;

	*n = 0;
	for (i = 0; i < c->rep->nmsgs; i++) {
		const struct imcq_message *m = c->rep->msgs[i];

		if (m->snapshot == s->snap && msg_gets_findings(m) && m->spool_id)
			VEC_PUSH(v, *n, cap, ((struct skey){ m->spool_id, i, 0 }));
	}
	xqsort(v, *n, sizeof(*v), cmp_skey_ci);
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	return v;
}

static void
diag_sessions(struct rctx *c, struct rsnap *s)
{
	struct imcq_report *rep = c->rep;
	struct mvec *per;
	enum skind *kind;
	struct imcq_message **hit[4] = { NULL, NULL, NULL, NULL };
	size_t nhit[4] = { 0 }, hcap[4] = { 0 }, nsess[4] = { 0 };
	struct imcq_strv doms[4] = { { 0 } };
	size_t i, j, k, nrej_rcpts = 0;
	struct buf lines[4];
	struct imcq_finding *f;
	struct imcq_evlist evs[4] = { { 0 } };
	struct ivec ms = { 0 };
	struct skey *dnsev = NULL, *msgkeys = NULL;
	size_t ndnsev = 0, dnscap = 0, nmsgkeys = 0;

	if (s->nsessions == 0 && s->neventlog == 0)
		return;
	per = rep->nsessions ? xcalloc(rep->nsessions, sizeof(*per)) : NULL;
	kind = rep->nsessions ? xcalloc(rep->nsessions, sizeof(*kind)) : NULL;
	for (i = 0; i < 4; i++)
		buf_init(&lines[i], TEXT_CAP);
	for (i = 0; i < rep->nmsgs; i++) {
		struct imcq_message *m = rep->msgs[i];

		if (m->snapshot != s->snap || !msg_gets_findings(m))
			continue;
		msg_sessions(c, s, m, &ms);
		for (j = 0; j < ms.n; j++)
			VEC_PUSH(per[ms.v[j]].v, per[ms.v[j]].n, per[ms.v[j]].cap, m);
	}
	for (i = 0; i < rep->nsessions; i++) {
		const struct imcq_session *ss = &rep->sessions[i];
		char *dom;
		const char *line;

		if (ss->snapshot != s->snap || !outbound_session(ss))
			continue;
		kind[i] = classify(c, s, ss);
		if (kind[i] == SK_NONE)
			continue;
		dom = session_domain(ss, &per[i]);
		if (dom == NULL && ss->remote)
			dom = xasprintf("host %s", ss->remote);
		line = first_line(c, ss, kind[i] == SK_DNS ? dns_text :
				  kind[i] == SK_REJECT ? reject_text : any_failure_text);
		if (nsess[kind[i]] < DIAG_IDS_NAMED)
			buf_appendf(&lines[kind[i]], "%s%s (%s, %s line %" PRIu64 "): %s",
				    nsess[kind[i]] ? "; " : "", dom ? dom : "an unknown domain",
				    ss->remote ? ss->remote : "unknown host",
				    base_name(ss->member), ss->line_first, line);
		nsess[kind[i]]++;
		if (evs[kind[i]].n < DIAG_EV_MAX)
			ev_session_lines(c, &evs[kind[i]], ss,
					 kind[i] == SK_DNS ? dns_text :
					 kind[i] == SK_REJECT ? reject_text : any_failure_text, 2);
		if (dom)
			strv_push(&doms[kind[i]], dom);
		for (j = 0; j < per[i].n; j++)
			VEC_PUSH(hit[kind[i]], nhit[kind[i]], hcap[kind[i]], per[i].v[j]);
	}
	/* event-log 2006/3010/3011 (DNS, Q146944) */
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (e->snapshot != s->snap || !is(e->source, "event-log") ||
		    (e->event_no != 2006 && e->event_no != 3010 && e->event_no != 3011))
			continue;
		if (nsess[SK_DNS] < DIAG_IDS_NAMED)
			buf_appendf(&lines[SK_DNS], "%sevent %d (%s line %" PRIu64 "): %s",
				    nsess[SK_DNS] ? "; " : "", e->event_no, base_name(e->member),
				    e->line, e->text ? e->text : "");
		nsess[SK_DNS]++;
		if (evs[SK_DNS].n < DIAG_EV_MAX)
			ev_event(&evs[SK_DNS], e);
		if (e->spool_id == NULL)
			continue;
		VEC_PUSH(dnsev, ndnsev, dnscap, ((struct skey){ e->spool_id, i, 0 }));
		if (msgkeys == NULL)
			msgkeys = msg_spool_keys(c, s, &nmsgkeys);
		for (k = skey_find(msgkeys, nmsgkeys, e->spool_id);
		     skey_eq(msgkeys, nmsgkeys, k, e->spool_id); k++)
			VEC_PUSH(hit[SK_DNS], nhit[SK_DNS], hcap[SK_DNS], rep->msgs[msgkeys[k].i]);
	}
	/* the same events by spool id (case ignored), for the messages */
	xqsort(dnsev, ndnsev, sizeof(*dnsev), cmp_skey_ci);

	/* per-message findings */
	for (i = 0; i < rep->nmsgs; i++) {
		struct imcq_message *m = rep->msgs[i];
		struct imcq_strv who = { 0 };

		if (m->snapshot != s->snap || !msg_gets_findings(m))
			continue;
		msg_sessions(c, s, m, &ms);
		for (enum skind sk = SK_DNS; sk <= SK_REJECT; sk++) {
			struct buf b;
			size_t n = 0;
			struct imcq_evlist ev = { 0 };

			buf_init(&b, TEXT_CAP);
			for (j = 0; j < ms.n; j++) {
				size_t si = ms.v[j];
				const struct imcq_session *ss;

				if (kind[si] != sk)
					continue;
				ss = &rep->sessions[si];
				if (sk == SK_REJECT)
					mark_rejects(c, m, ss, &who);
				if (n < DIAG_IDS_NAMED) {
					const char *when = session_time_raw(c, ss);

					buf_appendf(&b, "%s%s (%s line %" PRIu64 "%s%s%s): %s",
						    n ? "; " : "",
						    ss->remote ? ss->remote : "unknown host",
						    base_name(ss->member), ss->line_first,
						    when ? ", started " : "", when ? when : "",
						    when && ss->local_time ? " server local time" : "",
						    first_line(c, ss, sk == SK_DNS ? dns_text :
							       sk == SK_REJECT ? reject_text :
							       any_failure_text));
				}
				n++;
				ev_session_lines(c, &ev, ss, sk == SK_DNS ? dns_text :
						 sk == SK_REJECT ? reject_text : any_failure_text, 3);
			}
			if (sk == SK_DNS && s->neventlog && m->spool_id)
				for (k = skey_find(dnsev, ndnsev, m->spool_id);
				     skey_eq(dnsev, ndnsev, k, m->spool_id); k++) {
					const struct imcq_event *e = &rep->events[dnsev[k].i];

					buf_appendf(&b, "%sevent %d: %s", n ? "; " : "",
						    e->event_no, e->text ? e->text : "");
					ev_event(&ev, e);
					n++;
				}
			if (n == 0) {
				buf_release(&b);
				evlist_release(&ev);
				continue;
			}
			{
				char *body = take(&b), *msg;
				const char *code_ref = sk == SK_DNS ? "Q228725" :
						       sk == SK_SMART ? "Q246580" : "Q245787";
				enum diag_code dc = sk == SK_DNS ? DC_DNS :
						    sk == SK_SMART ? DC_SMARTHOST : DC_REJECT;

				if (sk == SK_DNS)
					msg = xasprintf("%zu delivery attempt%s failed on name "
							"resolution: %s. A 499 \"No routing hosts "
							"are reachable\" means no host for the "
							"domain could be reached (Q228725, "
							"Q239816); a 4xx reply about resolving "
							"means the remote host could not resolve "
							"a name. The IMS retries later.",
							n, plural(n), body);
				else if (sk == SK_SMART)
					msg = xasprintf("%zu delivery attempt%s to the smart host "
							"%s failed: %s (Q246580, Q285023).", n,
							plural(n), s->smarthost_cfg->value, body);
				else
					msg = xasprintf("The remote server refused %s permanently: "
							"%s (Q245787).", who.n ? "recipients" :
							"this message", body);
				free(body);
				f = add_f_shared(&m->findings, dc, sk == SK_REJECT ?
						 IMCQ_SEV_ERROR : IMCQ_SEV_WARNING, code_ref,
						 "documented", msg, sk == SK_REJECT ?
						 "Check the refused addresses with the sender; "
						 "a 5xx reply is final, so re-sending the message "
						 "unchanged fails again." : NULL);
				/* the items move to the finding, as they are */
				f->ev = ev;
				evlist_trim(&f->ev);
				memset(&ev, 0, sizeof(ev));
				finding_spill(c->rep->spill, f);	/* final (model.h) */
				message_findings_freeze(c->rep, m);
			}
			evlist_release(&ev);
		}
		nrej_rcpts += who.n;
		strv_release(&who);
	}

	/* report-wide findings */
	for (enum skind sk = SK_DNS; sk <= SK_REJECT; sk++) {
		char *body, *msg, *action;
		struct imcq_message **v = hit[sk];
		size_t n = nhit[sk];

		if (nsess[sk] == 0) {
			buf_release(&lines[sk]);
			continue;
		}
		if (nsess[sk] > DIAG_IDS_NAMED)
			buf_appendf(&lines[sk], "; and %zu more", nsess[sk] - DIAG_IDS_NAMED);
		body = take(&lines[sk]);
		strv_uniq(&doms[sk]);
		if (sk == SK_DNS) {
			msg = xasprintf("%zu delivery attempt%s from %s failed on name "
					"resolution: %s. \"499 No routing hosts are "
					"reachable\" is logged when no host for the domain "
					"could be reached (Q228725, Q239816); with its DNS "
					"server down the IMS does not fall back to HOSTS and "
					"mail waits in Imcdata\\Out (Q146944). %zu queued "
					"message%s concerned.", nsess[sk], plural(nsess[sk]),
					server_name(s), body, n, n == 1 ? " is" : "s are");
			action = xasprintf("From %s, check the DNS servers the IMS uses and "
					   "look the domains up (nslookup -type=MX <domain>): "
					   "a 451/421 about resolving the sender's domain means "
					   "the remote host cannot resolve your own domain, so "
					   "check its public DNS records. The IMS retries on its "
					   "own once names resolve.", server_name(s));
		} else if (sk == SK_SMART) {
			msg = xasprintf("%zu delivery attempt%s from %s to the smart host %s "
					"(%s in %s) failed: %s. The IMS resolves the smart "
					"host's name only at start-up (Q285023), and events "
					"2003/3010/3011 name the first domain seen since then, "
					"not the failing one (Q246580, Q283255). %zu queued "
					"message%s concerned.", nsess[sk], plural(nsess[sk]),
					server_name(s), s->smarthost_cfg->value,
					s->smarthost_cfg->name, base_name(s->smarthost_cfg->member),
					body, n, n == 1 ? " is" : "s are");
			action = xasprintf("Check that the smart host %s is reachable from %s "
					   "and accepts its mail; after changing its address "
					   "restart the IMS, which resolves the name only at "
					   "start-up (Q285023).", s->smarthost_cfg->value,
					   server_name(s));
		} else {
			msg = xasprintf("%zu session%s from %s got a permanent (5xx) refusal "
					"of MAIL, RCPT or DATA: %s. %zu recipient%s of %zu "
					"queued message%s are marked failed (Q245787).",
					nsess[sk], plural(nsess[sk]), server_name(s), body,
					nrej_rcpts, plural(nrej_rcpts), n, plural(n));
			action = xstrdup("Check the refused addresses with their senders; "
					 "a 5xx reply is final, so re-sending the messages "
					 "unchanged fails again.");
		}
		free(body);
		f = add_report_f(c, s, sk == SK_DNS ? DC_DNS : sk == SK_SMART ? DC_SMARTHOST :
				 DC_REJECT, sk == SK_REJECT ? IMCQ_SEV_ERROR : IMCQ_SEV_WARNING,
				 sk == SK_DNS ? "Q228725" : sk == SK_SMART ? "Q246580" : "Q245787",
				 "documented", msg, action);
		free(action);
		for (k = 0; k < evs[sk].n; k++)
			evlist_add(&f->ev, evs[sk].v[k].input, evs[sk].v[k].member,
				   evs[sk].v[k].offset, evs[sk].v[k].line, evs[sk].v[k].excerpt);
		if (sk == SK_SMART)
			ev_config(&f->ev, s->smarthost_cfg);
		f_add_ids(f, v, n);
		{
			struct buf b;

			buf_init(&b, TEXT_CAP);
			put_list(&b, &doms[sk], 4);
			body = take(&b);
		}
		if (sk == SK_DNS) {
			s->why[DC_DNS] = xasprintf("delivery attempts to %s failed on DNS "
						   "name resolution (KB Q228725)",
						   *body ? body : "some domains");
			s->means[DC_DNS] = xstrdup("the IMS retries on its own once the "
						   "names resolve");
		} else if (sk == SK_SMART) {
			s->why[DC_SMARTHOST] = xasprintf("the smart host %s it forwards all "
							 "mail to is failing (KB Q246580)",
							 s->smarthost_cfg->value);
			s->means[DC_SMARTHOST] = xstrdup("nothing leaves this server until "
							 "the smart host accepts mail again");
		} else {
			s->why[DC_REJECT] = xasprintf("remote servers for %s refused some "
						      "recipients permanently (KB Q245787)",
						      *body ? body : "some domains");
			s->means[DC_REJECT] = xstrdup("those recipients will not get the "
						      "mail by re-sending it unchanged");
		}
		free(body);
	}
	buf_release(&lines[SK_NONE]);
	for (i = 0; i < 4; i++) {
		free(hit[i]);
		strv_release(&doms[i]);
		evlist_release(&evs[i]);
	}
	for (i = 0; i < rep->nsessions; i++)
		free(per[i].v);
	free(per);
	free(kind);
	free(ms.v);
	free(dnsev);
	free(msgkeys);
}

/* ---- NO_DELIVERY_ATTEMPT and DELIVERY_EVIDENCE_ABSENT ------------------- */

static bool
message_attempted(const struct rctx *c, const struct rsnap *s,
		  const struct imcq_message *m, const struct snapmaps *mp, bool *by_domain)
{
	struct ivec ms = { 0 };
	size_t j;

	*by_domain = false;
	msg_sessions(c, s, m, &ms);
	free(ms.v);
	if (ms.n > 0)
		return true;
	for (j = 0; j < m->nev_idx; j++) {
		const struct imcq_event *e;

		if (m->ev_idx[j] >= c->rep->nevents)
			continue;
		e = &c->rep->events[m->ev_idx[j]];
		if (is(e->source, "tracking") && (e->event_no == 1011 || e->event_no == 1017))
			return true;
	}
	for (j = 0; j < m->nrcpts; j++) {
		const struct domlat *d = dommap_find(&mp->sess, m->rcpts[j].domain);
		const struct domlat *t = dommap_find(&mp->trk, m->rcpts[j].domain);

		if ((d && (m->queue_time == IMCQ_NOTIME || d->t >= m->queue_time - JOINS_OUT_SLACK)) ||
		    (t && (m->queue_time == IMCQ_NOTIME || t->t >= m->queue_time))) {
			*by_domain = true;
			return true;
		}
	}
	return false;
}

/* The stuck messages [lo, hi) of diag_no_attempt: each one without an
 * attempt gets its finding (its own list) and a mark in hit[]. */
struct noattempt {
	const struct rctx *c;
	const struct rsnap *s;
	const struct snapmaps *mp;
	int64_t now;
	const char *retry, *what;
	unsigned char *hit;
};

static void
no_attempt_range(void *user, size_t lo, size_t hi)
{
	const struct noattempt *x = user;
	const struct rctx *c = x->c;
	const struct rsnap *s = x->s;
	size_t k, i;

	for (k = lo; k < hi; k++) {	/* in memory order (model.h) */
		struct imcq_message *m = s->stuck[i = stuck_at(s, k)];
		struct imcq_finding *f;
		bool by_domain;
		char tq[40], age[32], *msg;

		if (m->queue_time == IMCQ_NOTIME || x->now - m->queue_time <= c->o->first_retry)
			continue;
		if (message_attempted(c, s, m, x->mp, &by_domain))
			continue;
		x->hit[i] = 1;
		diag_fmt_time(m->queue_time, tq);
		imcq_fmt_age(x->now - m->queue_time, age, sizeof(age));
		/* per stuck message: pieces, not one long printf (issue #9: in
		 * one xstrcat; the text is short, far below TEXT_CAP) */
		msg = xstrcat("Queued at ", tq, " (", age, " before the snapshot), longer "
				"than the first retry interval (", x->retry, ", Q146669), and ",
				x->what, " show no delivery attempt for it or for its domain",
				m->nrcpts == 1 ? "" : "s", " since: ",
				s->nsessions ? "no SMTP session" : "",
				s->nsessions && s->ntracking ? " and " : "",
				s->ntracking ? "no tracking 1011 (transferred outbound) record" : "",
				".",
				s->nsessions && !s->ntracking ?
				" The tracking log is not in the evidence." :
				!s->nsessions && s->ntracking ?
				" The SMTP protocol logs are not in the evidence." : "", NULL);
		f = add_f_shared(&m->findings, DC_NOATTEMPT, IMCQ_SEV_WARNING, "Q146669",
				 "inferred", msg, NULL);
		ev_own(&f->ev, c->rep->spill, m, "queued message");
		for (size_t j = 0; j < m->nev_idx; j++) {
			const struct imcq_event *e;

			if (m->ev_idx[j] >= c->rep->nevents)
				continue;
			e = &c->rep->events[m->ev_idx[j]];
			if (e->event_no == 1010 && is(e->source, "tracking")) {
				ev_event(&f->ev, e);
				break;
			}
		}
		finding_spill(c->rep->spill, f);	/* final (model.h) */
		message_findings_freeze(c->rep, m);
	}
}

static void
diag_no_attempt(struct rctx *c, struct rsnap *s, const struct snapmaps *mp)
{
	int64_t now = rctx_now(c, s);
	struct imcq_message **hit = NULL;
	size_t nhit = 0, cap = 0, i, nold = 0;
	struct imcq_finding *f;
	char retry[32], *what, *msg;
	struct buf b;
	int64_t oldest = IMCQ_NOTIME;
	struct noattempt x;

	if (now == IMCQ_NOTIME)
		return;
	imcq_fmt_age(c->o->first_retry, retry, sizeof(retry));
	for (i = 0; i < s->nstuck; i++) {	/* in memory order (model.h) */
		const struct imcq_message *m = s->stuck[stuck_at(s, i)];

		if (m->queue_time != IMCQ_NOTIME && now - m->queue_time > c->o->first_retry)
			nold++;
	}
	if (nold == 0)
		return;
	if (s->nsessions == 0 && s->ntracking == 0) {
		msg = xasprintf("%zu message%s on %s %s been queued longer than the first "
				"retry interval (%s, Q146669), but this snapshot holds no "
				"SMTP protocol log and no message tracking log, so whether "
				"the IMS tried to deliver %s cannot be judged (enable SMTP "
				"protocol logging, Q154505, or message tracking, Q173364, "
				"to see attempts).", nold, plural(nold), server_name(s),
				nold == 1 ? "has" : "have", retry, nold == 1 ? "it" : "them");
		f = add_report_f(c, s, DC_ABSENT, IMCQ_SEV_INFO, "Q146669", "documented", msg,
				 NULL);
		f_add_ids(f, s->stuck, s->nstuck);
		return;
	}
	what = xasprintf("%s%s%s", s->nsessions ? "the SMTP protocol logs" : "",
			 s->nsessions && s->ntracking ? " and " : "",
			 s->ntracking ? "the message tracking log" : "");
	/* each stuck message reads the shared maps and writes its own
	 * findings: two halves at once (par.h), then the list in order */
	x = (struct noattempt){ c, s, mp, now, retry, what,
				xcalloc(s->nstuck, 1) };
	par_for(s->nstuck, DIAG_PAR_MIN, no_attempt_range, &x);
	for (i = 0; i < s->nstuck; i++) {	/* the list in message order */
		if (x.hit[i])
			VEC_PUSH(hit, nhit, cap, s->stuck[i]);
	}
	for (i = 0; i < s->nstuck; i++) {	/* the oldest in memory order */
		size_t j = stuck_at(s, i);

		if (x.hit[j] && (oldest == IMCQ_NOTIME || s->stuck[j]->queue_time < oldest))
			oldest = s->stuck[j]->queue_time;
	}
	free(x.hit);
	if (nhit) {
		char to[40];

		diag_fmt_time(oldest, to);
		buf_init(&b, TEXT_CAP);
		buf_appendf(&b, "%zu queued message%s on %s %s been waiting longer than "
			    "the first retry interval (%s, Q146669; the oldest since %s) "
			    "with no delivery attempt in %s: no session and no "
			    "transfer for them or their domains since they were queued. "
			    "Messages: ", nhit, plural(nhit), server_name(s),
			    nhit == 1 ? "has" : "have", retry, to, what);
		put_ids(&b, hit, nhit);
		buf_appends(&b, ".");
		f = add_report_f(c, s, DC_NOATTEMPT, IMCQ_SEV_WARNING, "Q146669", "inferred",
				 take(&b), NULL);
		if (mp->last_any_idx != SIZE_MAX)
			ev_session(c, &f->ev, &c->rep->sessions[mp->last_any_idx]);
		for (i = 0; i < nhit && i < 3; i++)
			ev_msg(&f->ev, hit[i], "queued message");
		f_add_ids(f, hit, nhit);
		s->why[DC_NOATTEMPT] = xasprintf("%s show%s no delivery attempt for %zu of "
						 "them", what, s->nsessions && s->ntracking ?
						 "" : "s", nhit);
		s->means[DC_NOATTEMPT] = xstrdup("the Internet Mail Service is not "
						 "trying to deliver them; the evidence "
						 "does not say why");
	}
	free(what);
	free(hit);
}

/* ---- the whole run -------------------------------------------------------- */

void
diagnose_run(struct rctx *c)
{
	size_t k;

	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];
		struct snapmaps mp;

		if (!s->used)
			continue;
		collect_stuck(c, s);
		build_maps(c, s, &mp);
		stage_mark("diagnose.maps");
		diag_no_route(c, s);
		stage_mark("diagnose.no-route");
		diag_stale(c, s, &mp);
		diag_inbound_only(c, s);
		stage_mark("diagnose.stale");
		diag_sessions(c, s);
		stage_mark("diagnose.sessions");
		diag_no_attempt(c, s, &mp);
		release_maps(&mp);
		stage_mark("diagnose.no-attempt");
	}
}
