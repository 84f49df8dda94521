/* SPDX-License-Identifier: MIT */
/*
 * routing_engine.c - address-space matching and connector selection
 * (Q229961, Q152471, Q262952, Q193322).  See routing_engine.h for what is
 * documented and what is inferred.
 */
#include "analyzer/routing_engine.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/dec.h"
#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"

#define RULE_CAP	4096	/* bytes of one rule text */
#define TIES_NAMED	3	/* tied connectors named in a rule */
#define MAX_CANDIDATES	4096	/* matching entries considered (a GWART has a few hundred) */

/* The Q193322 steps an offline tool cannot evaluate, said once per rule. */
#define OFFLINE_NOTE	"Q193322 steps 2-5 (retry count, activity schedule, " \
			"attempts, open retry) not observable offline"

/* buf_detach re-initialises the buffer: release that too. */
static char *
take(struct buf *b)
{
	char *p = buf_detach(b, NULL);

	buf_release(b);
	return p;
}

static char
lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool
rt_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	while (*a && lc(*a) == lc(*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

static bool
prefix_ci(const char *s, size_t n, const char *p, size_t pn)
{
	size_t i;

	if (pn > n)
		return false;
	for (i = 0; i < pn; i++)
		if (lc(s[i]) != lc(p[i]))
			return false;
	return true;
}

static bool
contains_ci(const char *s, const char *needle)
{
	size_t n, k;

	if (s == NULL)
		return false;
	n = strlen(s);
	k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (prefix_ci(s + i, n - i, needle, k))
			return true;
	return false;
}

const char *
rt_match_name(enum rt_match k)
{
	switch (k) {
	case RT_EXACT: return "exact";
	case RT_WILDCARD: return "wildcard";
	case RT_PARTIAL: return "partial";
	case RT_BLANK: return "blank";
	case RT_NONE: break;
	}
	return "none";
}

/*
 * Case-insensitive match of pattern p[0..pn) ('*' = any run, possibly
 * empty) against the whole of s[0..sn).  The classic greedy algorithm with
 * one backtrack point: O(pn * sn) at worst, no recursion.
 */
static bool
glob_ci(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && lc(p[pi]) == lc(s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Partial string match for SMTP (inferred reading of Q229961, see the
 * header): same local part, space domain = trailing labels of the
 * address's domain. */
static bool
partial_smtp(const char *sp, size_t sn, const char *a, size_t an)
{
	const char *sat = memchr(sp, '@', sn);
	const char *aat = memchr(a, '@', an);
	size_t sl, al, sd, ad;

	if (sat == NULL || aat == NULL)
		return false;
	sl = (size_t)(sat - sp);
	al = (size_t)(aat - a);
	if (sl == 0 || sl != al || !prefix_ci(a, al, sp, sl))
		return false;
	sd = sn - sl - 1;
	ad = an - al - 1;
	if (sd == 0 || sd >= ad)
		return false;	/* equal domains would have been exact */
	if (a[an - sd - 1] != '.')
		return false;
	return prefix_ci(a + an - sd, sd, sat + 1, sd);
}

/* Partial match for other address types: a prefix ending at a separator. */
static bool
partial_other(const char *sp, size_t sn, const char *a, size_t an)
{
	if (sn == 0 || sn >= an || !prefix_ci(a, an, sp, sn))
		return false;
	if (sp[sn - 1] == ';' || sp[sn - 1] == '/')
		return true;
	return a[sn] == ';' || a[sn] == '/';
}

/* The value of an address space as matched: "SMTP:value" written with
 * its type keeps the value; surrounding blanks go. */
static void
space_value(const char *space_type, const char *space, const char **spp, size_t *snp)
{
	const char *sp = space;
	size_t tn = strlen(space_type), sn = strlen(sp);

	if (sn > tn && prefix_ci(sp, sn, space_type, tn) && sp[tn] == ':') {
		sp += tn + 1;
		sn -= tn + 1;
	}
	while (sn > 0 && (*sp == ' ' || *sp == '\t'))
		sp++, sn--;
	while (sn > 0 && (sp[sn - 1] == ' ' || sp[sn - 1] == '\t'))
		sn--;
	*spp = sp;
	*snp = sn;
}

bool
rt_space_match(const char *space_type, const char *space,
	       const char *addr_type, const char *addr,
	       struct rt_match_info *mi)
{
	size_t sn, an, i, lit;
	const char *sp;

	mi->kind = RT_NONE;
	mi->literal = 0;
	if (space_type == NULL || space == NULL || addr_type == NULL || addr == NULL)
		return false;
	if (!rt_streq(space_type, addr_type))
		return false;
	space_value(space_type, space, &sp, &sn);
	an = strlen(addr);
	if (sn == 0) {
		mi->kind = RT_BLANK;
		return true;
	}
	for (i = 0, lit = 0; i < sn; i++)
		if (sp[i] != '*')
			lit++;
	if (lit < sn) {
		if (!glob_ci(sp, sn, addr, an))
			return false;
		mi->kind = RT_WILDCARD;
		mi->literal = lit;
		return true;
	}
	if (sn == an && prefix_ci(addr, an, sp, sn)) {
		mi->kind = RT_EXACT;
		mi->literal = sn;
		return true;
	}
	if (rt_streq(addr_type, "SMTP") ? partial_smtp(sp, sn, addr, an)
					: partial_other(sp, sn, addr, an)) {
		mi->kind = RT_PARTIAL;
		mi->literal = sn;
		return true;
	}
	return false;
}

char *
rt_server_of_connector(const char *connector)
{
	const char *open, *close;

	if (connector == NULL)
		return NULL;
	close = strrchr(connector, ')');
	open = strrchr(connector, '(');
	if (open == NULL || close == NULL || close < open || close - open < 2)
		return NULL;
	for (const char *p = close + 1; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != ',')
			return NULL;
	return xstrndup(open + 1, (size_t)(close - open - 1));
}

bool
rt_is_ims_entry(const struct imcq_route_entry *e)
{
	return contains_ci(e->connector, "Internet Mail");
}

/* ---- selection --------------------------------------------------------- */

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

struct cand {
	const struct imcq_route_entry *e;
	struct rt_match_info mi;
	bool local;
	size_t idx;
};

/* Cost for comparison: unknown after every known cost. */
static long
cost_key(const struct imcq_route_entry *e)
{
	return e->cost >= 0 ? e->cost : 1000000L;
}

/* Compare on the observable steps only; 0 when equal on all of them. */
static int
cmp_steps(const struct cand *a, const struct cand *b)
{
	if (a->mi.kind != b->mi.kind)
		return a->mi.kind > b->mi.kind ? -1 : 1;
	if ((a->mi.kind == RT_WILDCARD || a->mi.kind == RT_PARTIAL) &&
	    a->mi.literal != b->mi.literal)
		return a->mi.literal > b->mi.literal ? -1 : 1;
	if (cost_key(a->e) != cost_key(b->e))
		return cost_key(a->e) < cost_key(b->e) ? -1 : 1;
	if (a->local != b->local)
		return a->local ? -1 : 1;
	return 0;
}

static int
cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c = cmp_steps(a, b);

	if (c)
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static bool
same_connector(const struct imcq_route_entry *a, const struct imcq_route_entry *b)
{
	if (a->connector == NULL || b->connector == NULL)
		return a == b;
	return rt_streq(a->connector, b->connector);
}

/*
 * A rule text is built per recipient, so its common pieces are appended
 * without printf.  buf_append takes a piece whole or not at all (at the
 * cap), so several appends give the bytes of one buf_appendf only when
 * all of them fit: when up to max more bytes may not fit, the caller
 * falls back to buf_appendf.
 */
static bool
room_for(const struct buf *b, size_t max)
{
	return b->len <= b->cap && max <= b->cap - b->len;
}

/* "%zu" */
static void
put_zu(struct buf *b, size_t v)
{
	char num[24];

	buf_appends(b, fmt_u64(num, v));
}

static void
put_space(struct buf *b, const struct cand *c)
{
	const char *sp = c->e->space ? c->e->space : "";
	size_t n = strlen(sp);

	switch (c->mi.kind) {
	case RT_EXACT:
		buf_appendf(b, "exact match '%s'", sp);
		break;
	case RT_WILDCARD:
		if (!room_for(b, n + 64)) {
			buf_appendf(b, "wildcard '%s' (%zu literal character%s)", sp,
				    c->mi.literal, c->mi.literal == 1 ? "" : "s");
			break;
		}
		buf_appends(b, "wildcard '");
		buf_append(b, sp, n);
		buf_appends(b, "' (");
		put_zu(b, c->mi.literal);
		buf_appends(b, c->mi.literal == 1 ? " literal character)" :
			    " literal characters)");
		break;
	case RT_PARTIAL:
		buf_appendf(b, "partial match '%s' (%zu literal characters; "
			    "partial-match reading inferred from Q229961)", sp,
			    c->mi.literal);
		break;
	case RT_BLANK:
		buf_appends(b, "blank address space ';' (type only)");
		break;
	case RT_NONE:
		break;
	}
}

static void
put_cost(struct buf *b, const struct imcq_route_entry *e)
{
	if (e->cost >= 0 && room_for(b, 32)) {
		buf_appends(b, "cost ");
		put_zu(b, (size_t)e->cost);
	} else if (e->cost >= 0)
		buf_appendf(b, "cost %d", e->cost);
	else
		buf_appends(b, "cost unknown");
}

/* Why a beat b (they differ on some observable step). */
static void
put_why(struct buf *b, const struct cand *a, const struct cand *o)
{
	if (a->mi.kind != o->mi.kind) {
		if (a->mi.kind == RT_WILDCARD && o->mi.kind == RT_BLANK)
			buf_appends(b, "a wildcard beats a blank address space "
				    "regardless of cost, Q152471");
		else
			buf_appendf(b, "%s match ranks before %s match, Q229961",
				    rt_match_name(a->mi.kind), rt_match_name(o->mi.kind));
	} else if ((a->mi.kind == RT_WILDCARD || a->mi.kind == RT_PARTIAL) &&
		   a->mi.literal != o->mi.literal) {
		buf_appendf(b, "more literal characters, %zu over %zu, Q229961",
			    a->mi.literal, o->mi.literal);
	} else if (cost_key(a->e) != cost_key(o->e)) {
		if (o->e->cost < 0)
			buf_appends(b, "known cost over unknown cost");
		else
			buf_appendf(b, "lower cost, %d over %d, Q193322 step 6",
				    a->e->cost, o->e->cost);
	} else {
		buf_appends(b, "local connector over remote, Q193322 step 7");
	}
}

/*
 * The entries among e[sel[0]], e[sel[1]], ... (ascending indices, a
 * superset of the entries that match addr), or among all of e[] when sel
 * is NULL, that match addr, in table order (at most MAX_CANDIDATES);
 * *ntyped counts the entries of addr_type when sel is NULL.
 */
static size_t
collect_hits(const struct imcq_route_entry *const *e, size_t n,
	     const size_t *sel, size_t nsel, const char *addr_type, const char *addr,
	     struct rt_hit **out, size_t *ntyped)
{
	struct rt_hit *v = NULL;
	size_t nv = 0, cap = 0, i, t;

	*ntyped = 0;
	for (t = 0; t < (sel ? nsel : n); t++) {
		struct rt_hit k;

		i = sel ? sel[t] : t;
		if (e[i] == NULL)
			continue;
		if (sel == NULL && rt_streq(e[i]->type, addr_type))
			(*ntyped)++;
		if (!rt_space_match(e[i]->type, e[i]->space, addr_type, addr, &k.mi))
			continue;
		if (nv >= MAX_CANDIDATES)
			break;
		k.idx = i;
		VEC_PUSH(v, nv, cap, k);
	}
	*out = v;
	return nv;
}

/* The choice among the entries h[0..nh) of e[] that match addr (in table
 * order); ntyped: the entries of addr_type in the whole of e[]. */
static bool
choose(const struct imcq_route_entry *const *e, const struct rt_hit *h, size_t nh,
       size_t ntyped, const char *addr_type, const char *addr,
       const char *local_server, struct rt_choice *c)
{
	struct cand *v = NULL;
	size_t nv = nh, i, ntied = 0;
	const struct cand *tied[TIES_NAMED];
	const struct cand *beaten = NULL;
	struct buf b;

	memset(c, 0, sizeof(*c));
	buf_init(&b, RULE_CAP);
	c->nmatching = nv;
	if (nv > 0) {
		v = xcalloc(nv, sizeof(*v));
		for (i = 0; i < nv; i++) {
			const struct imcq_route_entry *x = e[h[i].idx];

			v[i] = (struct cand){ .e = x, .mi = h[i].mi, .idx = h[i].idx };
			v[i].local = local_server && x->server && rt_streq(x->server, local_server);
		}
	}
	if (nv == 0) {
		const char *a = addr ? addr : "", *ty = addr_type ? addr_type : "";
		size_t na = strlen(a), nt = strlen(ty);

		/* rt_nomatch_names_whole: the test for the appends, at b's start */
		if (room_for(&b, na + nt + 192)) {
			buf_appends(&b, "no address space matches '");
			c->addr_at = b.len;
			buf_append(&b, a, na);
			buf_appends(&b, "': ");
			put_zu(&b, ntyped);
			buf_appends(&b, " ");
			buf_append(&b, ty, nt);
			buf_appends(&b, ntyped == 1 ? " address space" : " address spaces");
			buf_appends(&b, " in the table, none exact, wildcard, partial or "
				    "blank for the whole address (Q229961)");
		} else {
			buf_appendf(&b, "no address space matches '%s': %zu %s address "
				    "space%s in the table, none exact, wildcard, partial or "
				    "blank for the whole address (Q229961)",
				    a, ntyped, ty, ntyped == 1 ? "" : "s");
		}
		c->rule = take(&b);
		return false;
	}
	xqsort(v, nv, sizeof(*v), cmp_cand);
	c->best = v[0].e;
	c->mi = v[0].mi;
	for (i = 1; i < nv; i++) {
		bool seen = false;

		if (same_connector(v[i].e, v[0].e))
			continue;
		if (cmp_steps(&v[0], &v[i]) != 0) {
			beaten = &v[i];
			break;
		}
		for (size_t k = 1; k < i; k++)
			if (same_connector(v[k].e, v[i].e))
				seen = true;
		if (!seen) {
			if (ntied < TIES_NAMED)
				tied[ntied] = &v[i];
			ntied++;
		}
	}
	c->ntied = ntied;
	if (beaten) {
		c->beaten = beaten->e;
		c->beaten_mi = beaten->mi;
	}

	put_space(&b, &v[0]);
	buf_appends(&b, ", ");
	put_cost(&b, v[0].e);
	if (v[0].e->scope)
		buf_appendf(&b, ", scope %s", v[0].e->scope);
	if (beaten) {
		buf_appends(&b, ", over ");
		put_space(&b, beaten);
		buf_appendf(&b, " of %s (", beaten->e->connector ?
			    beaten->e->connector : "an unnamed connector");
		put_why(&b, &v[0], beaten);
		buf_appendf(&b, ")");
	} else if (ntied == 0) {
		if (nv == 1)
			buf_appends(&b, ", the only matching address space");
		else
			buf_appendf(&b, ", best of %zu matching address spaces, "
				    "all on this connector", nv);
	}
	if (v[0].e->cost == 100)
		buf_appends(&b, "; cost 100 means used only when every other "
			    "route fails (Q262952)");
	if (ntied) {
		buf_appendf(&b, "; tied on every observable step with %zu other "
			    "connector%s (", ntied, ntied == 1 ? "" : "s");
		for (i = 0; i < ntied && i < TIES_NAMED; i++)
			buf_appendf(&b, "%s%s", i ? ", " : "",
				    tied[i]->e->connector ? tied[i]->e->connector : "unnamed");
		if (ntied > TIES_NAMED)
			buf_appendf(&b, ", and %zu more", ntied - TIES_NAMED);
		buf_appends(&b, "): the MTA chooses among them by Q193322 steps "
			    "2-5; the first in the table is shown");
	}
	buf_appends(&b, "; " OFFLINE_NOTE);
	c->rule = take(&b);
	free(v);
	return true;
}

bool
rt_select(const struct imcq_route_entry *const *e, size_t n,
	  const char *addr_type, const char *addr,
	  const char *local_server, struct rt_choice *c)
{
	struct rt_hit *h;
	size_t ntyped, nh = collect_hits(e, n, NULL, 0, addr_type, addr, &h, &ntyped);
	bool ok = choose(e, h, nh, ntyped, addr_type, addr, local_server, c);

	free(h);
	return ok;
}

/* ---- index ---------------------------------------------------------------
 *
 * For SMTP, every address space that can match an address requires a
 * suffix of it: a blank space the empty suffix; a wildcard the literal
 * text after its last '*' (glob_ci matches the whole address); an exact
 * or partial match the text after the space's first '@' (partial_smtp:
 * the space's domain ends the address), or the whole space when it has no
 * '@' (exact only).  The index maps those suffixes, by a hash of their
 * lower-case text, to entries; a lookup hashes every suffix of the address
 * once (from its end) and runs rt_space_match only on the entries found.
 */

#define HASH_MUL	0x100000001b3ULL	/* FNV-1a prime */

struct ikey {
	uint64_t h;		/* hash of the lower-case suffix */
	size_t len;
	const char *text;	/* the suffix as written in the space */
	size_t idx;		/* entry */
};

struct rt_index {
	const struct imcq_route_entry *const *e;
	size_t n;
	char *addr_type;
	bool indexed;		/* addr_type is SMTP */
	size_t ntyped;
	struct ikey *k;
	size_t nk;
	/* the key lengths present: bit len of short_len (len < 256), or
	 * long_len; a suffix of another length is not looked up */
	uint64_t short_len[4];
	bool long_len;
};

static uint64_t
suffix_hash(const char *s, size_t n)
{
	uint64_t h = 0;

	while (n > 0)
		h = h * HASH_MUL + (unsigned char)lc(s[--n]) + 1;
	return h;
}

static int
cmp_ikey(const void *a, const void *b)
{
	const struct ikey *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

struct rt_index *
rt_index_new(const struct imcq_route_entry *const *e, size_t n, const char *addr_type)
{
	struct rt_index *x = xcalloc(1, sizeof(*x));
	size_t i, cap = 0;

	x->e = e;
	x->n = n;
	x->addr_type = addr_type ? xstrdup(addr_type) : NULL;
	x->indexed = rt_streq(addr_type, "SMTP");
	for (i = 0; i < n; i++) {
		const char *sp, *key, *star, *at;
		size_t sn;
		struct ikey k;

		if (e[i] == NULL || !rt_streq(e[i]->type, addr_type))
			continue;
		x->ntyped++;
		if (!x->indexed || e[i]->space == NULL)
			continue;	/* never matches */
		space_value(e[i]->type, e[i]->space, &sp, &sn);
		star = NULL;
		for (const char *p = sp; p < sp + sn; p++)
			if (*p == '*')
				star = p;
		at = memchr(sp, '@', sn);
		if (sn == 0)
			key = sp + sn;
		else if (star != NULL)
			key = star + 1;
		else if (at != NULL)
			key = at + 1;
		else
			key = sp;
		k.len = (size_t)(sp + sn - key);
		k.text = key;
		k.h = suffix_hash(key, k.len);
		k.idx = i;
		VEC_PUSH(x->k, x->nk, cap, k);
		if (k.len < 256)
			x->short_len[k.len / 64] |= (uint64_t)1 << (k.len % 64);
		else
			x->long_len = true;
	}
	xqsort(x->k, x->nk, sizeof(*x->k), cmp_ikey);
	return x;
}

size_t
rt_hits_indexed(const struct rt_index *x, const char *addr, struct rt_hit **hits)
{
	size_t *sel = NULL, nsel = 0, cap = 0, an, p, nh, ntyped;
	uint64_t h = 0;

	if (!x->indexed || addr == NULL)
		return collect_hits(x->e, x->n, NULL, 0, x->addr_type, addr, hits, &ntyped);
	an = strlen(addr);
	/* every suffix addr[p..an), the empty one first */
	for (p = an + 1; p-- > 0;) {
		size_t lo = 0, hi = x->nk, len = an - p;

		if (p < an)
			h = h * HASH_MUL + (unsigned char)lc(addr[p]) + 1;
		if (len < 256 ? !(x->short_len[len / 64] >> (len % 64) & 1) : !x->long_len)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct ikey *k = &x->k[mid];

			if (k->h < h || (k->h == h && k->len < len))
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < x->nk && x->k[lo].h == h && x->k[lo].len == len; lo++)
			if (prefix_ci(addr + p, len, x->k[lo].text, len))
				VEC_PUSH(sel, nsel, cap, x->k[lo].idx);
	}
	xqsort(sel, nsel, sizeof(*sel), cmp_size);
	/* a non-NULL selection even when empty: nothing matches */
	nh = collect_hits(x->e, x->n, sel ? sel : &cap, nsel, x->addr_type, addr, hits, &ntyped);
	free(sel);
	return nh;
}

bool
rt_choose_indexed(const struct rt_index *x, const struct rt_hit *hits, size_t n,
		  const char *addr, const char *local_server, struct rt_choice *c)
{
	return choose(x->e, hits, n, x->ntyped, x->addr_type, addr, local_server, c);
}

bool
rt_nomatch_names_whole(const struct rt_index *x, size_t addr_len)
{
	size_t nt = x->addr_type ? strlen(x->addr_type) : 0;

	/* choose()'s test for the appends of the rule, at its start */
	return addr_len <= RULE_CAP && nt <= RULE_CAP && addr_len + nt + 192 <= RULE_CAP;
}

bool
rt_select_indexed(const struct rt_index *x, const char *addr,
		  const char *local_server, struct rt_choice *c)
{
	struct rt_hit *h;
	size_t n = rt_hits_indexed(x, addr, &h);
	bool ok = rt_choose_indexed(x, h, n, addr, local_server, c);

	free(h);
	return ok;
}

void
rt_index_free(struct rt_index *x)
{
	if (x == NULL)
		return;
	free(x->addr_type);
	free(x->k);
	free(x);
}

void
rt_choice_release(struct rt_choice *c)
{
	free(c->rule);
	memset(c, 0, sizeof(*c));
}
