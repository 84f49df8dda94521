/* SPDX-License-Identifier: MIT */
/*
 * routing.c - reconstruct the routing decision for every recipient, then
 * draw the diagnoses and the incident (diagnose.c, incident.c).
 *
 * Two layers (DOMAIN.md 0.6, 5, 9.5):
 *   MTA layer   which connector the site's routing table (GWART) gives the
 *               recipient: routing_engine.c on the snapshot's GWART0.MTA
 *               (the current table; GWART1.MTA, the previous one, only when
 *               GWART0 is absent, and the rule says so) (Q149121, Q229961,
 *               Q152471, Q193322).
 *   IMS layer   which host the Internet Mail Service holding the message
 *               sends it to: the per-domain route of IMCCOPY -save routes
 *               (Q182522, Q190710), else the "forward all messages to
 *               host" smart host from the settings, else DNS, MX records
 *               first, then A (Q146556).
 * A message uses the tables of its own snapshot.  Inbound messages (In,
 * In\Archive) are handed to the Information Store and are not routed by
 * the GWART; recipients in the site's own SMTP domain (SiteDomain) are
 * local.
 */
#include "analyzer/pipeline.h"

#include <sched.h>
#include <time.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/rd.h"
#include "analyzer/core/buf.h"
#include "analyzer/core/par.h"
#include "analyzer/core/stage.h"
#include "analyzer/core/tabhash.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/diagnose.h"
#include "analyzer/joins.h"
#include "analyzer/routing_engine.h"

#define SNAP_MAX	65536	/* snapshot indices beyond this are ignored */
#define ROUTE_PAR_MIN	2048	/* messages: fewer are routed in one thread */
#define ROUTE_CHUNK	256	/* messages routed and pooled as one piece */

static bool
is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool
same_member(int ia, const char *ma, int ib, const char *mb)
{
	return ia == ib && ma != NULL && mb != NULL && strcmp(ma, mb) == 0;
}

/* Lower-case letters and digits of s only ("Transfer Mode" -> "transfermode"). */
static void
norm_name(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; s && *s && k + 1 < n; s++) {
		char ch = *s;

		if (ch >= 'A' && ch <= 'Z')
			out[k++] = (char)(ch - 'A' + 'a');
		else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[k++] = ch;
	}
	out[k] = '\0';
}

static bool
parse_long(const char *s, long *out)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000L)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

static bool
has_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; s && *s; s++) {
		size_t i;

		for (i = 0; i < n && s[i]; i++) {
			char a = s[i], b = needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* Transfer mode from a setting's text (Connections tab, DOMAIN.md 4.4).
 * A number is not interpreted: its encoding is not documented. */
static enum diag_mode
parse_mode(const char *v)
{
	bool in = has_ci(v, "inbound"), out = has_ci(v, "outbound");

	if (in && out)
		return DIAG_MODE_BOTH;
	if (in)
		return DIAG_MODE_IN;
	if (out)
		return DIAG_MODE_OUT;
	if (has_ci(v, "none") || has_ci(v, "flush"))
		return DIAG_MODE_NONE;
	return DIAG_MODE_UNKNOWN;
}

/* ---- shared context helpers (declared in diagnose.h) -------------------- */

struct rsnap *
rctx_snap(const struct rctx *c, int snap)
{
	if (snap < 0 || (size_t)snap >= c->ns || !c->s[snap].used)
		return NULL;
	return &c->s[snap];
}

static int
cmp_rinv(const void *a, const void *b)
{
	const struct rinv *x = a, *y = b;

	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

static uint64_t
member_hash(const char *member)
{
	const char *m = member ? member : "";

	return tab_hash(TAB_HASH_SEED, m, strlen(m));
}

/* The mtime of the inventory's row for (input, member); the first such
 * row when a member appears twice in one input. */
int64_t
rctx_member_mtime(const struct rctx *c, int input, const char *member)
{
	struct rinv k = { 0, input, 0 };
	size_t lo = 0, hi = c->ninv;

	if (member == NULL)
		return IMCQ_NOTIME;
	k.h = member_hash(member);
	while (lo < hi) {	/* the first entry not below (input, h) */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_rinv(&c->inv[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ninv && c->inv[lo].input == input && c->inv[lo].h == k.h; lo++) {
		const struct imcq_inv *v = &c->rep->inv[c->inv[lo].row];

		if (strcmp(v->member ? v->member : "", member) == 0)
			return v->mtime;
	}
	return IMCQ_NOTIME;
}

int64_t
rctx_now(const struct rctx *c, const struct rsnap *s)
{
	if (c->o->now != IMCQ_NOTIME)
		return c->o->now;
	if (s && s->time != IMCQ_NOTIME)
		return s->time;
	return c->rep->reference_time;
}

/* ---- building the context ---------------------------------------------- */

static void
list_push(struct rt_list *l, const struct imcq_route_entry *e)
{
	VEC_PUSH(l->v, l->n, l->cap, e);
}

/* Prefer the newer file, then the smaller member name: deterministic. */
static const struct imcq_table_file *
pick(const struct imcq_table_file *have, const struct imcq_table_file *t)
{
	if (have == NULL)
		return t;
	if (t->mtime != have->mtime)
		return t->mtime > have->mtime ? t : have;
	if (t->input != have->input)
		return t->input < have->input ? t : have;
	return strcmp(t->member ? t->member : "", have->member ? have->member : "") < 0 ? t : have;
}

static char
lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

struct seqname {
	const char *name;
	size_t seq;
};

/* The most frequent name of names (equal ignoring case; each counted
 * under its first spelling; ties: the alphabetically first), or NULL.
 * issue #9: counted in a hash table; sorting the names (one per outbound
 * message) cost ~1,000 instructions a name. */
static char *
winner(const struct imcq_strv *names)
{
	struct wslot {
		const char *name;	/* first spelling; NULL: empty slot */
		uint64_t h;
		size_t count;
	} *t;
	size_t ns = 16, i, k, bestn = 0;
	const char *best = NULL;

	if (names->n == 0)
		return NULL;
	while (ns < names->n * 2)
		ns *= 2;
	t = xcalloc(ns, sizeof(*t));
	for (i = 0; i < names->n; i++) {
		const char *nm = names->v[i];
		uint64_t h = tab_hash_ci(nm);

		for (k = h & (ns - 1); t[k].name != NULL; k = (k + 1) & (ns - 1))
			if (t[k].h == h && imcq_strcasecmp(t[k].name, nm) == 0)
				break;
		if (t[k].name == NULL) {
			t[k].name = nm;
			t[k].h = h;
		}
		t[k].count++;
	}
	for (k = 0; k < ns; k++)
		if (t[k].name != NULL && (best == NULL || t[k].count > bestn ||
					  (t[k].count == bestn && strcmp(t[k].name, best) < 0))) {
			best = t[k].name;
			bestn = t[k].count;
		}
	free(t);
	return xstrdup(best);
}

/* The server of an Exchange MTS-ID "...;l=SERVER-YYMMDDhhmmssZ-n"
 * (Q153188), or NULL. */
static char *
mts_server(const char *mts)
{
	const char *l = NULL, *p, *dash;
	size_t i;

	for (p = mts; p && *p; p++)
		if ((p == mts || p[-1] == ';') && (p[0] == 'l' || p[0] == 'L') && p[1] == '=')
			l = p + 2;
	if (l == NULL || (dash = strchr(l, '-')) == NULL || dash == l || dash - l > 64)
		return NULL;
	for (i = 1; i <= 12; i++)
		if (dash[i] < '0' || dash[i] > '9')
			return NULL;
	if (dash[13] != 'Z' && dash[13] != 'z')
		return NULL;
	return xstrndup(l, (size_t)(dash - l));
}

/* The servers the MTS-IDs of messages [lo, hi) (in memory order) of
 * snapshot snap's outbound queues name, each in its message's slot. */
struct mts_scan {
	const struct imcq_report *rep;
	int snap;
	char **at;
};

static void
mts_range(void *user, size_t lo, size_t hi)
{
	struct mts_scan *x = user;
	size_t j, i;

	for (j = lo; j < hi; j++) {
		const struct imcq_message *m = x->rep->msgs[i = report_mi(x->rep, j)];

		if (m->snapshot != x->snap || (m->queue != IMCQ_Q_OUT &&
					       m->queue != IMCQ_Q_OUT_ARCHIVE))
			continue;
		x->at[i] = mts_server(m->im->env.mts_id);
	}
}

static void
find_servers(struct rctx *c)
{
	struct imcq_report *rep = c->rep;
	size_t i, k;
	char **at;

	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];
		struct imcq_strv names = { 0 };

		if (!s->used)
			continue;
		for (i = 0; i < rep->nsnaps; i++)
			if (rep->snaps[i].index == s->snap && rep->snaps[i].server) {
				s->server = xstrdup(rep->snaps[i].server);
				s->server_basis = "the snapshot's server name";
				break;
			}
		if (s->server)
			continue;
		/* the MTS-IDs of outbound mail name the server (Q153188):
		 * read in memory order (model.h), listed in message order
		 * (winner keeps the first spelling) */
		at = xcalloc(rep->nmsgs ? rep->nmsgs : 1, sizeof(*at));
		{
			struct mts_scan x = { rep, s->snap, at };

			par_for(rep->nmsgs, ROUTE_PAR_MIN, mts_range, &x);
		}
		for (i = 0; i < rep->nmsgs; i++)
			if (at[i] != NULL)
				strv_push(&names, at[i]);
		free(at);
		if ((s->server = winner(&names)) != NULL) {
			s->server_basis = "the MTS-IDs of its outbound messages (Q153188)";
		} else {
			/* tracking 1010/1011 name the IMS as gateway (Q153188) */
			for (i = 0; i < rep->nevents; i++) {
				const struct imcq_event *e = &rep->events[i];
				char *n;

				if (e->snapshot != s->snap || (e->event_no != 1010 && e->event_no != 1011))
					continue;
				if ((n = rt_server_of_connector(e->gateway)) != NULL)
					strv_push(&names, n);
			}
			if ((s->server = winner(&names)) != NULL)
				s->server_basis = "the IMS named in its tracking records (Q153188)";
		}
		strv_release(&names);
	}
}

static void
find_config(struct rctx *c)
{
	struct imcq_report *rep = c->rep;
	size_t i;

	for (i = 0; i < rep->nconfig; i++) {
		const struct imcq_config *cf = &rep->config[i];
		struct rsnap *s = rctx_snap(c, cf->snapshot);
		char n[64];
		long v;

		if (s == NULL || cf->name == NULL)
			continue;
		norm_name(cf->name, n, sizeof(n));
		if (strcmp(n, "routecalculationinterval") == 0) {
			if (s->interval_cfg == NULL && parse_long(cf->value, &v)) {
				s->interval_cfg = cf;
				s->interval = v;
			}
		} else if (strstr(n, "transfermode") != NULL) {
			if (s->mode_cfg == NULL) {
				s->mode_cfg = cf;
				s->mode = parse_mode(cf->value);
			}
		} else if (strcmp(n, "smarthost") == 0 || strcmp(n, "forwardhost") == 0 ||
			   strcmp(n, "forwardallmessagestohost") == 0 ||
			   strcmp(n, "relayhost") == 0 ||
			   (strcmp(n, "defaultrouting") == 0 && cf->value && *cf->value)) {
			if (s->smarthost_cfg == NULL && cf->value && *cf->value)
				s->smarthost_cfg = cf;
		} else if (strcmp(n, "sitedomain") == 0) {
			if (s->sitedomain_cfg == NULL && cf->value && *cf->value)
				s->sitedomain_cfg = cf;
		}
	}
}

static int
cmp_pl(const void *a, const void *b)
{
	const struct diag_plref *x = a, *y = b;
	int d;

	if (x->e->input != y->e->input)
		return x->e->input < y->e->input ? -1 : 1;
	d = strcmp(x->e->member ? x->e->member : "", y->e->member ? y->e->member : "");
	if (d)
		return d;
	if (x->e->line != y->e->line)
		return x->e->line < y->e->line ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static void
rctx_build(struct rctx *c, struct imcq_report *rep, const struct imcq_opts *o)
{
	size_t i, k, cap;
	int maxs = -1;

	memset(c, 0, sizeof(*c));
	c->rep = rep;
	c->o = o;
	c->now = o->now != IMCQ_NOTIME ? o->now : rep->reference_time;
	for (i = 0; i < rep->ninputs; i++)
		if (rep->inputs[i].snapshot > maxs && rep->inputs[i].snapshot < SNAP_MAX)
			maxs = rep->inputs[i].snapshot;
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h) */
		int sn = rep->msgs[report_mi(rep, i)]->snapshot;

		if (sn > maxs && sn < SNAP_MAX)
			maxs = sn;
	}
	for (i = 0; i < rep->ntables; i++)
		if (rep->tables[i].snapshot > maxs && rep->tables[i].snapshot < SNAP_MAX)
			maxs = rep->tables[i].snapshot;
	c->ns = (size_t)(maxs + 1);
	c->s = c->ns ? xcalloc(c->ns, sizeof(*c->s)) : NULL;
	for (k = 0; k < c->ns; k++) {
		c->s[k].snap = (int)k;
		c->s[k].input = -1;
		c->s[k].time = IMCQ_NOTIME;
		c->s[k].oldest_stuck = IMCQ_NOTIME;
		c->s[k].interval = DIAG_ROUTE_INTERVAL_DEFAULT;
		for (i = 0; i < DC_COUNT; i++)
			c->s[k].fidx[i] = -1;
	}
	for (i = 0; i < rep->ninputs; i++) {
		int sn = rep->inputs[i].snapshot;

		if (sn < 0 || (size_t)sn >= c->ns)
			continue;
		c->s[sn].used = true;
		if (c->s[sn].input < 0)
			c->s[sn].input = (int)i;
	}
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h) */
		int sn = rep->msgs[report_mi(rep, i)]->snapshot;

		if (sn >= 0 && (size_t)sn < c->ns)
			c->s[sn].used = true;
	}
	for (i = 0; i < rep->ntables; i++)
		if (rep->tables[i].snapshot >= 0 && (size_t)rep->tables[i].snapshot < c->ns)
			c->s[rep->tables[i].snapshot].used = true;

	/* inventory index and snapshot times */
	if (rep->ninv > UINT32_MAX)
		BUG("more than 2^32 inventory rows");
	c->inv = rep->ninv ? xcalloc(rep->ninv, sizeof(*c->inv)) : NULL;
	for (i = 0; i < rep->ninv; i++) {
		const struct imcq_inv *v = &rep->inv[i];
		struct rsnap *s;

		c->inv[c->ninv].h = member_hash(v->member);
		c->inv[c->ninv].input = v->input;
		c->inv[c->ninv++].row = (uint32_t)i;
		if (v->input < 0 || (size_t)v->input >= rep->ninputs)
			continue;
		s = rctx_snap(c, rep->inputs[v->input].snapshot);
		if (s && v->mtime != IMCQ_NOTIME && (s->time == IMCQ_NOTIME || v->mtime > s->time))
			s->time = v->mtime;
	}
	if (c->ninv > 1)
		xqsort(c->inv, c->ninv, sizeof(*c->inv), cmp_rinv);

	/* tables */
	for (i = 0; i < rep->ntables; i++) {
		const struct imcq_table_file *t = &rep->tables[i];
		struct rsnap *s = rctx_snap(c, t->snapshot);

		if (s == NULL)
			continue;
		if (is(t->table, "gwart0"))
			s->gw0 = pick(s->gw0, t);
		else if (is(t->table, "gwart1"))
			s->gw1 = pick(s->gw1, t);
		else if (is(t->table, "route.txt"))
			s->rtxt = pick(s->rtxt, t);
		else if (is(t->table, "route.old"))
			s->rold = pick(s->rold, t);
		else if (is(t->table, "imccopy-routes"))
			s->imccopy = pick(s->imccopy, t);
	}
	for (k = 0; k < c->ns; k++) {
		struct rsnap *s = &c->s[k];

		s->cur = s->gw0 ? s->gw0 : s->gw1;
	}
	for (i = 0; i < rep->nroutes; i++) {
		const struct imcq_route_entry *e = &rep->routes[i];

		for (k = 0; k < c->ns; k++) {
			struct rsnap *s = &c->s[k];

			if (!s->used)
				continue;
			if (s->cur && same_member(e->input, e->member, s->cur->input, s->cur->member))
				list_push(&s->cur_e, e);
			else if (s->gw0 && s->gw1 &&
				 same_member(e->input, e->member, s->gw1->input, s->gw1->member))
				list_push(&s->prev_e, e);
			else if (s->rtxt && same_member(e->input, e->member, s->rtxt->input, s->rtxt->member))
				list_push(&s->rtxt_e, e);
			else if (s->imccopy && same_member(e->input, e->member,
							   s->imccopy->input, s->imccopy->member))
				list_push(&s->imccopy_e, e);
		}
	}

	/* log evidence per snapshot */
	for (i = 0; i < rep->nsessions; i++) {
		struct rsnap *s = rctx_snap(c, rep->sessions[i].snapshot);

		if (s)
			s->nsessions++;
	}
	cap = 0;
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];
		struct rsnap *s = rctx_snap(c, e->snapshot);

		if (s && is(e->source, "tracking"))
			s->ntracking++;
		else if (s && is(e->source, "event-log"))
			s->neventlog++;
		if (is(e->source, "protocol-log")) {
			struct diag_plref r = { e, i };

			VEC_PUSH(c->pl, c->npl, cap, r);
		}
	}
	if (c->npl > 1)
		xqsort(c->pl, c->npl, sizeof(*c->pl), cmp_pl);

	find_config(c);
	find_servers(c);
}

static void
rctx_release(struct rctx *c)
{
	size_t k, i;

	for (k = 0; k < c->ns; k++) {
		free(c->s[k].server);
		free(c->s[k].cur_e.v);
		free(c->s[k].prev_e.v);
		free(c->s[k].rtxt_e.v);
		free(c->s[k].imccopy_e.v);
		free(c->s[k].stuck);
		free(c->s[k].stuck_mo);
		free(c->s[k].subj);
		for (i = 0; i < DC_COUNT; i++) {
			free(c->s[k].why[i]);
			free(c->s[k].means[i]);
		}
	}
	free(c->s);
	free(c->inv);
	free(c->pl);
	memset(c, 0, sizeof(*c));
}

/* ---- routing each recipient -------------------------------------------- */

/* The text of the evidence that names the table searched: its mtime. */
static char *
table_time(const struct imcq_table_file *t, const char *what)
{
	char iso[32];

	if (t->mtime != IMCQ_NOTIME)
		imcq_iso(t->mtime, iso);
	return xasprintf("mtime %s (%s)", t->mtime != IMCQ_NOTIME ? iso : "unknown", what);
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

/* A snapshot's routing tables, indexed once for all its recipients. */
struct snapidx {
	bool built;
	struct rt_index *rt;		/* the current table */
	char *searched;			/* table_time of the current table, or NULL */
	struct seqname *dom;		/* IMCCOPY routes by domain (lower case) */
	size_t ndom;
};

static int
cmp_seqname_exact(const void *a, const void *b)
{
	const struct seqname *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The domain of a per-domain route as domain_eq compares it, lower case. */
static char *
route_domain_key(const char *space)
{
	size_t n;
	char *k;

	while (*space == '+' || *space == ' ')
		space++;
	n = strlen(space);
	while (n > 0 && (space[n - 1] == '.' || space[n - 1] == ' ' || space[n - 1] == ';'))
		n--;
	k = xstrndup(space, n);
	for (char *p = k; *p; p++)
		*p = lc(*p);
	return k;
}

static void
snapidx_build(struct snapidx *x, const struct rsnap *s)
{
	size_t i, cap = 0;

	x->built = true;
	x->rt = rt_index_new(s->cur_e.v, s->cur_e.n, "SMTP");
	if (s->cur != NULL)
		x->searched = table_time(s->cur, s->cur == s->gw0 ? "the routing table searched"
					 : "the previous routing table searched");
	for (i = 0; i < s->imccopy_e.n; i++) {
		const struct imcq_route_entry *e = s->imccopy_e.v[i];

		if (e->space == NULL)
			continue;
		VEC_PUSH(x->dom, x->ndom, cap,
			 ((struct seqname){ route_domain_key(e->space), i }));
	}
	xqsort(x->dom, x->ndom, sizeof(*x->dom), cmp_seqname_exact);
}

static void
snapidx_release(struct snapidx *x)
{
	rt_index_free(x->rt);
	free(x->searched);
	for (size_t i = 0; i < x->ndom; i++)
		free((char *)x->dom[i].name);
	free(x->dom);
	memset(x, 0, sizeof(*x));
}

/* The first IMCCOPY route (in table order) whose domain is domain's. */
static const struct imcq_route_entry *
imccopy_route(const struct rsnap *s, const struct snapidx *x, const char *domain)
{
	size_t lo = 0, hi = x->ndom;

	if (domain == NULL)
		return NULL;
	/* the names are lower case, so comparing case-insensitively orders
	 * as strcmp did when sorting them: no lower-case copy per lookup */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (imcq_strcasecmp(x->dom[mid].name, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->ndom && imcq_strcasecmp(x->dom[lo].name, domain) == 0)
		return s->imccopy_e.v[x->dom[lo].seq];
	return NULL;
}

/* IMS layer: the host this server's IMS would send the recipient to. */
static void
ims_layer(struct rsnap *s, const struct snapidx *ix, const char *domain,
	  struct imcq_route *rt)
{
	const char *who = s->server ? s->server : "this server";
	const struct imcq_route_entry *e = imccopy_route(s, ix, domain);

	if (e != NULL) {
		rt->host = xstrdup(e->host ? e->host : "");
		rt->ims_rule = xasprintf("per-domain route of the IMS on %s for %s "
					 "(E-Mail Domain, IMCCOPY routes): forward to %s "
					 "(Q182522, Q190710)", who, e->space,
					 e->host ? e->host : "an unnamed host");
		evlist_add(&rt->ev, e->input, e->member, e->offset, e->line, e->raw);
		return;
	}
	if (s->smarthost_cfg) {
		const struct imcq_config *cf = s->smarthost_cfg;

		rt->host = xstrdup(cf->value);
		char n[32];

		norm_name(cf->name, n, sizeof(n));
		rt->ims_rule = xasprintf("smart host: the IMS on %s forwards all messages "
					 "to host %s (%s = %s in %s%s); the name is resolved "
					 "once at start-up (Q285023, Q156063)", who, cf->value,
					 cf->name, cf->value, base_name(cf->member),
					 strcmp(n, "defaultrouting") == 0 ? "; reading the "
					 "IMCCOPY DefaultRouting as the smart host is inferred" : "");
		evlist_add(&rt->ev, cf->input, cf->member, IMCQ_NOOFF, cf->line, cf->name);
		return;
	}
	rt->host = xstrdup("DNS (MX, then A)");
	if (s->imccopy)
		rt->ims_rule = xasprintf("no per-domain route for %s (%s) and no smart "
					 "host in the evidence: the IMS on %s looks the domain "
					 "up in DNS, MX records first, then A (Q146556)",
					 domain ? domain : "the domain",
					 base_name(s->imccopy->member), who);
	else
		rt->ims_rule = xasprintf("no smart host in the evidence and no IMCCOPY "
					 "routes export (per-domain routes unknown): the IMS on "
					 "%s looks %s up in DNS, MX records first, then A (Q146556)",
					 who, domain ? domain : "the domain");
	if (s->imccopy) {
		char *x = xasprintf("no DeliveryRouting entry for %s",
				    domain ? domain : "the domain");

		evlist_add(&rt->ev, s->imccopy->input, s->imccopy->member, IMCQ_NOOFF, 0, x);
		free(x);
	}
}

/*
 * What a recipient's route is made of: recipients with equal inputs get
 * equal routes.  issue #9: each thread builds the route once per distinct
 * input (struct rmemo) and its recipients share it until pool_range
 * interns it; building and interning a route per recipient cost ~9,000
 * instructions, for a few hundred distinct routes.
 */
enum rkind {
	RK_NOSNAP,	/* no snapshot context */
	RK_INBOUND,	/* inbound message: not routed here */
	RK_LOCAL,	/* the site's own SMTP domain */
	RK_NOTABLE,	/* no routing table in the snapshot */
	RK_MATCH,	/* address spaces match */
	RK_NOMATCH,	/* none does */
};

struct rinput {
	struct rsnap *s;
	enum rkind kind;
	const char *domain;		/* LOCAL, NOTABLE, MATCH, NOMATCH */
	/* NOMATCH: the address the rule names, or NULL when the rule leaves
	 * a place for it (imcq_route.addr_at: one route for a domain) */
	const char *addr;
	const struct rt_hit *hits;	/* MATCH: the entries that match */
	size_t nhits;
};

/* The route for one input, built once; recipients point to rt (the
 * first member) until pool_range replaces it with the report's copy. */
struct rtmpl {
	struct imcq_route rt;
	const struct imcq_route *interned;	/* set by pool_range's thread */
};

/* One thread's routes by input (open addressing, t == NULL: empty). */
struct rmemo_ent {
	uint64_t h;
	struct rinput in;		/* domain, addr and hits are copies */
	struct rtmpl *t;
};

struct rmemo {
	struct rmemo_ent *slot;
	size_t nslot, n;
};

static uint64_t
rin_hash(const struct rinput *in)
{
	uint64_t h = 1469598103934665603ull;
	const char *strs[2] = { in->domain, in->addr };

#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	MIX((uintptr_t)in->s);
	MIX(in->kind);
	for (size_t k = 0; k < 2; k++) {
		MIX(strs[k] != NULL);
		for (const char *p = strs[k]; p && *p; p++)
			MIX((unsigned char)*p);
	}
	for (size_t i = 0; i < in->nhits; i++) {
		MIX(in->hits[i].idx);
		MIX(in->hits[i].mi.kind);
		MIX(in->hits[i].mi.literal);
	}
#undef MIX
	return h ^ (h >> 29);
}

static bool
rin_same(const struct rinput *a, const struct rinput *b)
{
	if (a->s != b->s || a->kind != b->kind || a->nhits != b->nhits ||
	    (a->domain ? !is(a->domain, b->domain) : b->domain != NULL) ||
	    (a->addr ? !is(a->addr, b->addr) : b->addr != NULL))
		return false;
	for (size_t i = 0; i < a->nhits; i++)
		if (a->hits[i].idx != b->hits[i].idx || a->hits[i].mi.kind != b->hits[i].mi.kind ||
		    a->hits[i].mi.literal != b->hits[i].mi.literal)
			return false;
	return true;
}

/* The route for input in (a pure function of it and the snapshot's
 * read-only context). */
static void
route_build(const struct rinput *in, const struct snapidx *ix, struct imcq_route *rt)
{
	struct rsnap *s = in->s;
	struct rt_choice ch;

	rt->cost = -1;
	switch (in->kind) {
	case RK_NOSNAP:
		rt->rule = xstrdup("no snapshot context: routing not reconstructed");
		return;
	case RK_INBOUND:
		rt->rule = xstrdup("inbound message: the IMS hands it to the Information "
				   "Store; the GWART does not route it here");
		return;
	case RK_LOCAL:
		rt->known = true;
		rt->server = s->server ? xstrdup(s->server) : NULL;
		rt->rule = xasprintf("local recipient: %s is the site's own SMTP domain "
				     "(SiteDomain in %s); delivered to the Information "
				     "Store, not through a connector (inferred)", in->domain,
				     base_name(s->sitedomain_cfg->member));
		evlist_add(&rt->ev, s->sitedomain_cfg->input, s->sitedomain_cfg->member,
			   IMCQ_NOOFF, s->sitedomain_cfg->line, "SiteDomain");
		return;
	case RK_NOTABLE:
		rt->rule = xstrdup("no routing table (GWART0.MTA or GWART1.MTA) in this "
				   "snapshot: the MTA's choice cannot be reconstructed");
		break;
	case RK_MATCH: {
		const struct imcq_route_entry *e;

		rt_choose_indexed(ix->rt, in->hits, in->nhits, in->addr, s->server, &ch);
		e = ch.best;
		rt->known = true;
		rt->connector = e->connector ? xstrdup(e->connector) : NULL;
		rt->server = e->server ? xstrdup(e->server) : rt_server_of_connector(e->connector);
		rt->address_space = xstrdup(e->space ? e->space : "");
		rt->cost = e->cost;
		if (s->cur == s->gw0)
			rt->rule = xstrdup(ch.rule);
		else
			rt->rule = xasprintf("%s; routed on GWART1.MTA (the previous table): "
					     "GWART0.MTA is not in this snapshot", ch.rule);
		evlist_add(&rt->ev, e->input, e->member, e->offset, e->line, e->raw);
		rt_choice_release(&ch);
		break;
	}
	case RK_NOMATCH:
		rt_choose_indexed(ix->rt, NULL, 0, in->addr, s->server, &ch);
		rt->rule = s->cur == s->gw0 ? xstrdup(ch.rule)
			   : xasprintf("%s; in GWART1.MTA (the previous table): "
				       "GWART0.MTA is not in this snapshot", ch.rule);
		if (in->addr == NULL) {	/* the address's place in the rule */
			if (ch.addr_at == 0 || ch.addr_at >= UINT16_MAX)
				BUG("routing: a shared no-match rule without its address's place");
			rt->addr_at = (uint16_t)ch.addr_at;
		}
		evlist_add(&rt->ev, s->cur->input, s->cur->member, IMCQ_NOOFF, 0, ix->searched);
		rt_choice_release(&ch);
		break;
	}
	ims_layer(s, ix, in->domain, rt);
}

static void
rmemo_put(struct rmemo *mo, const struct rmemo_ent *ent)
{
	size_t k = (size_t)ent->h & (mo->nslot - 1);

	while (mo->slot[k].t != NULL)
		k = (k + 1) & (mo->nslot - 1);
	mo->slot[k] = *ent;
	mo->n++;
}

/* The route for input in: one built earlier by this thread, or a new one. */
static struct rtmpl *
rmemo_get(struct rmemo *mo, const struct rinput *in, const struct snapidx *ix)
{
	struct rmemo_ent ent = { rin_hash(in), *in, NULL };
	struct rt_hit *hits = NULL;
	size_t k;

	if (mo->nslot > 0)
		for (k = (size_t)ent.h & (mo->nslot - 1); mo->slot[k].t != NULL;
		     k = (k + 1) & (mo->nslot - 1))
			if (mo->slot[k].h == ent.h && rin_same(&mo->slot[k].in, in))
				return mo->slot[k].t;
	if ((mo->n + 1) * 2 > mo->nslot) {	/* grow: load at most 1/2 */
		struct rmemo old = *mo;

		mo->nslot = old.nslot ? old.nslot * 2 : 64;
		mo->slot = xcalloc(mo->nslot, sizeof(*mo->slot));
		mo->n = 0;
		for (k = 0; k < old.nslot; k++)
			if (old.slot[k].t != NULL)
				rmemo_put(mo, &old.slot[k]);
		free(old.slot);
	}
	ent.in.domain = in->domain ? xstrdup(in->domain) : NULL;
	ent.in.addr = in->addr ? xstrdup(in->addr) : NULL;
	if (in->nhits > 0) {
		hits = xcalloc(in->nhits, sizeof(*hits));
		memcpy(hits, in->hits, in->nhits * sizeof(*hits));
	}
	ent.in.hits = hits;
	ent.t = xcalloc(1, sizeof(*ent.t));
	route_build(&ent.in, ix, &ent.t->rt);
	rmemo_put(mo, &ent);
	return ent.t;
}

static void
rmemo_release(struct rmemo *mo)
{
	for (size_t k = 0; k < mo->nslot; k++) {
		struct rmemo_ent *e = &mo->slot[k];

		if (e->t == NULL)
			continue;
		if (e->t->interned == NULL) {	/* never pooled: its strings go */
			struct imcq_route *rt = route_new();

			*rt = e->t->rt;
			route_free(rt);
		}
		free(e->t);
		free((char *)e->in.domain);
		free((char *)e->in.addr);
		free((struct rt_hit *)e->in.hits);
	}
	free(mo->slot);
	memset(mo, 0, sizeof(*mo));
}

static void
route_rcpt_build(struct rsnap *s, const struct snapidx *ix, struct imcq_message *m,
		 struct imcq_rcpt *r, struct rmemo *mo)
{
	struct rinput in = { s, RK_NOSNAP, NULL, NULL, NULL, 0 };
	struct rt_hit *hits = NULL;

	/* a route of an earlier run stays with the report that interned it */
	if (r->route != NULL && !r->route->pooled)
		route_free((struct imcq_route *)r->route);
	if (s == NULL) {
		in.kind = RK_NOSNAP;
	} else if (m->queue == IMCQ_Q_IN || m->queue == IMCQ_Q_IN_ARCHIVE) {
		in.kind = RK_INBOUND;
	} else if (s->sitedomain_cfg && r->domain && rt_streq(r->domain, s->sitedomain_cfg->value)) {
		in.kind = RK_LOCAL;
		in.domain = r->domain;
	} else if (s->cur == NULL) {
		in.kind = RK_NOTABLE;
		in.domain = r->domain;
	} else {
		in.domain = r->domain;
		in.nhits = rt_hits_indexed(ix->rt, r->address, &hits);
		in.hits = hits;
		in.kind = in.nhits > 0 ? RK_MATCH : RK_NOMATCH;
		/* the rule names the address: one the rule holds whole gets
		 * its place in the domain's route (route_rule puts it there:
		 * the same bytes as the rule built with it); one cut at the
		 * rule's cap its own route */
		if (in.nhits == 0 && r->address != NULL &&
		    !rt_nomatch_names_whole(ix->rt, strlen(r->address)))
			in.addr = r->address;
	}
	r->route = &rmemo_get(mo, &in, ix)->rt;	/* interned by pool_range */
	free(hits);
}

/* Joins fallback: when no stage has linked events and sessions to the
 * messages yet, do it here (joins_link_* replace what they fill, so this
 * is harmless if they run again).  NEEDSWORK: drop once the pipeline runs
 * the joins before this stage. */
static void
ensure_joins(struct imcq_report *rep, const struct imcq_opts *o)
{
	size_t i;

	if (rep->nevents == 0 && rep->nsessions == 0)
		return;
	for (i = 0; i < rep->nmsgs; i++)
		if (rep->msgs[i]->nev_idx || rep->msgs[i]->nsess_idx)
			return;
	joins_link_events(rep, o);
	joins_link_sessions(rep, o);
}

/* Route the recipients of the messages at positions [lo, hi) of memory
 * order (model.h; routes built, not pooled), with the calling thread's
 * routes mo. */
static void
route_range(struct rctx *c, struct snapidx *ix, size_t lo, size_t hi, struct rmemo *mo)
{
	size_t k, j;

	for (k = lo; k < hi; k++) {
		struct imcq_message *m = c->rep->msgs[report_mi(c->rep, k)];
		struct rsnap *s = rctx_snap(c, m->snapshot);

		if (m->damaged)
			continue;
		for (j = 0; j < m->nrcpts; j++)
			route_rcpt_build(s, s ? &ix[s->snap] : NULL, m, &m->rcpts[j], mo);
	}
}

/* Intern the routes of the messages at positions [lo, hi) of memory
 * order, in that order (the report's pool and route set are changed by
 * one thread at a time).  The order does not show: the pool and the
 * route set are sets, and route_same compares every field. */
static void
pool_range(struct rctx *c, size_t lo, size_t hi)
{
	size_t k, j;

	for (k = lo; k < hi; k++) {
		struct imcq_message *m = c->rep->msgs[report_mi(c->rep, k)];

		if (m->damaged)
			continue;
		for (j = 0; j < m->nrcpts; j++) {
			struct imcq_rcpt *r = &m->rcpts[j];

			struct rtmpl *t;

			if (r->route == NULL || r->route->pooled)
				continue;
			t = (struct rtmpl *)r->route;	/* route_rcpt_build's */
			if (t->interned == NULL) {
				/* the first recipient of this route: its
				 * strings move to the copy the report interns */
				struct imcq_route *fresh = route_new();

				*fresh = t->rt;
				memset(&t->rt, 0, sizeof(t->rt));
				t->interned = report_intern_route(c->rep, fresh);
			}
			r->route = t->interned;
		}
	}
}

/* Recipients routed in chunks of messages (in memory order), pooled in
 * that order.
 * Both threads take the next chunk nobody has taken (next) and build it;
 * the calling thread also pools the chunks in order as they are built,
 * building one itself while the next to pool is not ready.  It waits only
 * for a chunk the worker has taken, i.e. is building; when the worker
 * never runs (one thread), the calling thread takes every chunk. */
struct route_pipe {
	struct rctx *c;
	struct snapidx *ix;
	size_t n, chunk, nchunks;
	atomic_size_t next;		/* the next chunk to take */
	atomic_size_t pooled;		/* chunks pooled so far */
	atomic_bool *built;		/* per chunk: its routes are built */
	struct rmemo memo[2];		/* the routes each thread built: calling, worker */
};

/* How far the worker may build ahead of the pooling, in chunks: routes
 * built and not yet pooled hold their own strings until interned. */
#define PIPE_AHEAD 32

/* The end of chunk k (its first message is k * chunk). */
static size_t
chunk_end(const struct route_pipe *p, size_t k)
{
	size_t lo = k * p->chunk;

	return lo + p->chunk < p->n ? lo + p->chunk : p->n;
}

static bool
pipe_build_one(struct route_pipe *p, struct rmemo *mo)
{
	size_t k = atomic_fetch_add(&p->next, 1);

	if (k >= p->nchunks)
		return false;
	route_range(p->c, p->ix, k * p->chunk, chunk_end(p, k), mo);
	atomic_store_explicit(&p->built[k], true, memory_order_release);
	return true;
}

static void
pipe_worker(void *user)
{
	struct route_pipe *p = user;

	for (;;) {
		size_t k = atomic_load_explicit(&p->next, memory_order_relaxed);

		if (k >= p->nchunks)
			return;
		if (k >= atomic_load_explicit(&p->pooled, memory_order_relaxed) + PIPE_AHEAD) {
			struct timespec ts = { 0, 20000 };	/* the pooling is behind */

			nanosleep(&ts, NULL);
			continue;
		}
		if (!pipe_build_one(p, &p->memo[1]))
			return;
	}
}

static void
pipe_main(void *user)
{
	struct route_pipe *p = user;
	size_t k = 0;

	while (k < p->nchunks) {
		if (atomic_load_explicit(&p->built[k], memory_order_acquire)) {
			pool_range(p->c, k * p->chunk, chunk_end(p, k));
			k++;
			atomic_store_explicit(&p->pooled, k, memory_order_relaxed);
		} else if (!pipe_build_one(p, &p->memo[0])) {
			sched_yield();	/* chunk k is being built by the worker */
		}
	}
}

void
analyze_routing(struct imcq_report *rep, const struct imcq_opts *o)
{
	struct rctx c;
	struct snapidx *ix;
	struct route_pipe pipe;
	size_t i;

	ensure_joins(rep, o);
	rctx_build(&c, rep, o);
	/* each snapshot's tables indexed once, before the recipients, which
	 * then only read them */
	ix = xcalloc(c.ns ? c.ns : 1, sizeof(*ix));
	for (i = 0; i < rep->nmsgs; i++) {	/* in memory order (model.h) */
		const struct imcq_message *m = rep->msgs[report_mi(rep, i)];
		struct rsnap *s = rctx_snap(&c, m->snapshot);

		if (!m->damaged && s != NULL && !ix[s->snap].built)
			snapidx_build(&ix[s->snap], s);
	}
	/* Each recipient's route is built from the shared read-only context
	 * and written to the recipient only: the worker (par.h) builds chunks
	 * while this thread builds and pools; the pool (the report's, changed
	 * by this thread only) takes the routes in the order they were
	 * built, at most PIPE_AHEAD chunks behind. */
	pipe.c = &c;
	pipe.ix = ix;
	pipe.n = rep->nmsgs;
	pipe.chunk = par_force ? 1 : ROUTE_CHUNK;	/* tests: the finest pieces */
	pipe.nchunks = (rep->nmsgs + pipe.chunk - 1) / pipe.chunk;
	atomic_init(&pipe.next, 0);
	atomic_init(&pipe.pooled, 0);
	pipe.built = xcalloc(pipe.nchunks ? pipe.nchunks : 1, sizeof(*pipe.built));
	for (i = 0; i < pipe.nchunks; i++)
		atomic_init(&pipe.built[i], false);
	memset(pipe.memo, 0, sizeof(pipe.memo));
	if (par_split(rep->nmsgs, ROUTE_PAR_MIN))
		par_two(pipe_main, &pipe, pipe_worker, &pipe);
	else
		pipe_main(&pipe);
	free(pipe.built);
	rmemo_release(&pipe.memo[0]);
	rmemo_release(&pipe.memo[1]);
	for (i = 0; i < c.ns; i++)
		snapidx_release(&ix[i]);
	free(ix);
	stage_mark("routing");
	diagnose_run(&c);
	incident_compose(&c);
	rctx_release(&c);
}
