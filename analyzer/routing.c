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
cmp_inv(const void *a, const void *b)
{
	const struct imcq_inv *x = *(const struct imcq_inv *const *)a;
	const struct imcq_inv *y = *(const struct imcq_inv *const *)b;

	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	return strcmp(x->member ? x->member : "", y->member ? y->member : "");
}

int64_t
rctx_member_mtime(const struct rctx *c, int input, const char *member)
{
	size_t lo = 0, hi = c->ninv;

	if (member == NULL)
		return IMCQ_NOTIME;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct imcq_inv *v = c->inv[mid];
		int d = v->input != input ? (v->input < input ? -1 : 1)
					  : strcmp(v->member ? v->member : "", member);

		if (d == 0)
			return v->mtime;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
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

static int
cmp_seqname(const void *a, const void *b)
{
	const struct seqname *x = a, *y = b;
	int c = imcq_strcasecmp(x->name, y->name);

	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The most frequent name of names (equal ignoring case; each counted
 * under its first spelling; ties: the alphabetically first), or NULL. */
static char *
winner(const struct imcq_strv *names)
{
	struct seqname *v;
	size_t i, j, bestn = 0;
	const char *best = NULL;

	if (names->n == 0)
		return NULL;
	v = xcalloc(names->n, sizeof(*v));
	for (i = 0; i < names->n; i++)
		v[i] = (struct seqname){ names->v[i], i };
	xqsort(v, names->n, sizeof(*v), cmp_seqname);
	for (i = 0; i < names->n; i = j) {
		for (j = i + 1; j < names->n && imcq_strcasecmp(v[j].name, v[i].name) == 0; j++)
			;
		if (best == NULL || j - i > bestn ||
		    (j - i == bestn && strcmp(v[i].name, best) < 0)) {
			best = v[i].name;
			bestn = j - i;
		}
	}
	free(v);
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

static void
find_servers(struct rctx *c)
{
	struct imcq_report *rep = c->rep;
	size_t i, k;

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
		/* the MTS-IDs of outbound mail name the server (Q153188) */
		for (i = 0; i < rep->nmsgs; i++) {
			const struct imcq_message *m = rep->msgs[i];
			char *n;

			if (m->snapshot != s->snap || (m->queue != IMCQ_Q_OUT &&
						       m->queue != IMCQ_Q_OUT_ARCHIVE))
				continue;
			if ((n = mts_server(m->env.mts_id)) != NULL)
				strv_push(&names, n);
		}
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
	for (i = 0; i < rep->nmsgs; i++)
		if (rep->msgs[i]->snapshot > maxs && rep->msgs[i]->snapshot < SNAP_MAX)
			maxs = rep->msgs[i]->snapshot;
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
	for (i = 0; i < rep->nmsgs; i++)
		if (rep->msgs[i]->snapshot >= 0 && (size_t)rep->msgs[i]->snapshot < c->ns)
			c->s[rep->msgs[i]->snapshot].used = true;
	for (i = 0; i < rep->ntables; i++)
		if (rep->tables[i].snapshot >= 0 && (size_t)rep->tables[i].snapshot < c->ns)
			c->s[rep->tables[i].snapshot].used = true;

	/* inventory index and snapshot times */
	c->inv = rep->ninv ? xcalloc(rep->ninv, sizeof(*c->inv)) : NULL;
	for (i = 0; i < rep->ninv; i++) {
		const struct imcq_inv *v = &rep->inv[i];
		struct rsnap *s;

		c->inv[c->ninv++] = v;
		if (v->input < 0 || (size_t)v->input >= rep->ninputs)
			continue;
		s = rctx_snap(c, rep->inputs[v->input].snapshot);
		if (s && v->mtime != IMCQ_NOTIME && (s->time == IMCQ_NOTIME || v->mtime > s->time))
			s->time = v->mtime;
	}
	if (c->ninv > 1)
		xqsort(c->inv, c->ninv, sizeof(*c->inv), cmp_inv);

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

static void
ev_table_time(struct imcq_evlist *ev, const struct imcq_table_file *t, const char *what)
{
	char iso[32], *x;

	if (t->mtime != IMCQ_NOTIME)
		imcq_iso(t->mtime, iso);
	x = xasprintf("mtime %s (%s)", t->mtime != IMCQ_NOTIME ? iso : "unknown", what);
	evlist_add(ev, t->input, t->member, IMCQ_NOOFF, 0, x);
	free(x);
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
ims_layer(struct rsnap *s, const struct snapidx *ix, const struct imcq_rcpt *r,
	  struct imcq_route *rt)
{
	const char *who = s->server ? s->server : "this server";
	const struct imcq_route_entry *e = imccopy_route(s, ix, r->domain);

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
					 r->domain ? r->domain : "the domain",
					 base_name(s->imccopy->member), who);
	else
		rt->ims_rule = xasprintf("no smart host in the evidence and no IMCCOPY "
					 "routes export (per-domain routes unknown): the IMS on "
					 "%s looks %s up in DNS, MX records first, then A (Q146556)",
					 who, r->domain ? r->domain : "the domain");
	if (s->imccopy) {
		char *x = xasprintf("no DeliveryRouting entry for %s",
				    r->domain ? r->domain : "the domain");

		evlist_add(&rt->ev, s->imccopy->input, s->imccopy->member, IMCQ_NOOFF, 0, x);
		free(x);
	}
}

static void
route_rcpt_build(struct rctx *c, struct rsnap *s, const struct snapidx *ix,
		 struct imcq_message *m, struct imcq_rcpt *r)
{
	struct imcq_route *rt;
	struct rt_choice ch;

	/* a route of an earlier run stays with the report that interned it */
	if (r->route != NULL && !r->route->pooled)
		route_free((struct imcq_route *)r->route);
	rt = route_new();
	r->route = rt;	/* interned by pool_range */
	if (s == NULL) {
		rt->rule = xstrdup("no snapshot context: routing not reconstructed");
		return;
	}
	if (m->queue == IMCQ_Q_IN || m->queue == IMCQ_Q_IN_ARCHIVE) {
		rt->rule = xstrdup("inbound message: the IMS hands it to the Information "
				   "Store; the GWART does not route it here");
		return;
	}
	if (s->sitedomain_cfg && r->domain && rt_streq(r->domain, s->sitedomain_cfg->value)) {
		rt->known = true;
		rt->server = s->server ? xstrdup(s->server) : NULL;
		rt->rule = xasprintf("local recipient: %s is the site's own SMTP domain "
				     "(SiteDomain in %s); delivered to the Information "
				     "Store, not through a connector (inferred)", r->domain,
				     base_name(s->sitedomain_cfg->member));
		evlist_add(&rt->ev, s->sitedomain_cfg->input, s->sitedomain_cfg->member,
			   IMCQ_NOOFF, s->sitedomain_cfg->line, "SiteDomain");
		return;
	}
	if (s->cur == NULL) {
		rt->rule = xstrdup("no routing table (GWART0.MTA or GWART1.MTA) in this "
				   "snapshot: the MTA's choice cannot be reconstructed");
	} else if (rt_select_indexed(ix->rt, r->address, s->server, &ch)) {
		const struct imcq_route_entry *e = ch.best;

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
	} else {
		rt->rule = s->cur == s->gw0 ? xstrdup(ch.rule)
			   : xasprintf("%s; in GWART1.MTA (the previous table): "
				       "GWART0.MTA is not in this snapshot", ch.rule);
		ev_table_time(&rt->ev, s->cur, s->cur == s->gw0 ? "the routing table searched"
				: "the previous routing table searched");
		rt_choice_release(&ch);
	}
	(void)c;
	ims_layer(s, ix, r, rt);
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

/* Route the recipients of messages [lo, hi) (routes built, not pooled). */
static void
route_range(struct rctx *c, struct snapidx *ix, size_t lo, size_t hi)
{
	size_t i, j;

	for (i = lo; i < hi; i++) {
		struct imcq_message *m = c->rep->msgs[i];
		struct rsnap *s = rctx_snap(c, m->snapshot);

		if (m->damaged)
			continue;
		for (j = 0; j < m->nrcpts; j++)
			route_rcpt_build(c, s, s ? &ix[s->snap] : NULL, m, &m->rcpts[j]);
	}
}

/* Intern the routes of messages [lo, hi), in order (the report's pool and
 * route set are changed by one thread at a time). */
static void
pool_range(struct rctx *c, size_t lo, size_t hi)
{
	size_t i, j;

	for (i = lo; i < hi; i++) {
		struct imcq_message *m = c->rep->msgs[i];

		if (m->damaged)
			continue;
		for (j = 0; j < m->nrcpts; j++) {
			struct imcq_rcpt *r = &m->rcpts[j];

			if (r->route != NULL && !r->route->pooled)
				r->route = report_intern_route(c->rep, (struct imcq_route *)r->route);
		}
	}
}

/* Recipients routed in chunks of messages, pooled in message order.
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
};

/* How far the worker may build ahead of the pooling, in chunks: routes
 * built and not yet pooled are fresh copies, ~180 bytes a recipient, so
 * a worker that ran to the end would hold one for every recipient. */
#define PIPE_AHEAD 32

/* The end of chunk k (its first message is k * chunk). */
static size_t
chunk_end(const struct route_pipe *p, size_t k)
{
	size_t lo = k * p->chunk;

	return lo + p->chunk < p->n ? lo + p->chunk : p->n;
}

static bool
pipe_build_one(struct route_pipe *p)
{
	size_t k = atomic_fetch_add(&p->next, 1);

	if (k >= p->nchunks)
		return false;
	route_range(p->c, p->ix, k * p->chunk, chunk_end(p, k));
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
		if (!pipe_build_one(p))
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
		} else if (!pipe_build_one(p)) {
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
	for (i = 0; i < rep->nmsgs; i++) {
		struct rsnap *s = rctx_snap(&c, rep->msgs[i]->snapshot);

		if (!rep->msgs[i]->damaged && s != NULL && !ix[s->snap].built)
			snapidx_build(&ix[s->snap], s);
	}
	/* Each recipient's route is built from the shared read-only context
	 * and written to the recipient only: the worker (par.h) builds chunks
	 * while this thread builds and pools; the pool (the report's, changed
	 * by this thread only) sees the routes in message order, as when each
	 * was pooled as soon as built. */
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
	if (par_split(rep->nmsgs, ROUTE_PAR_MIN))
		par_two(pipe_main, &pipe, pipe_worker, &pipe);
	else
		pipe_main(&pipe);
	free(pipe.built);
	for (i = 0; i < c.ns; i++)
		snapidx_release(&ix[i]);
	free(ix);
	stage_mark("routing");
	diagnose_run(&c);
	incident_compose(&c);
	rctx_release(&c);
}
