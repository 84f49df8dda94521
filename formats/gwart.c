/* SPDX-License-Identifier: MIT */
/*
 * gwart.c - Exchsrvr\Mtadata\GWART0.MTA and GWART1.MTA, the text copies of
 * the site's Gateway Address Routing Table.
 *
 * What is documented:
 *   - GWART0.MTA is the table in use, GWART1.MTA the one before the last
 *     recalculation; both are text, "do not edit, editing does not affect
 *     routing" (Q149121, Q159186).
 *   - The flat style (Q149121), one route per line:
 *         TYPE,address-space;,cost,connector[,connector...],
 *     e.g. "SMTP,*;,1,Internet Mail Connector (SATURN),",
 *          "X400,c=GB;a=TMAILUK;p=*,1,Connection to Frisco,",
 *          "EX,/O=WYNNWARE/OU=FRISCO;,1, Connection to Frisco".
 *     The address space ends with ";" in most samples, not all; a blank
 *     address space shows as ";" (Q146299).  Types are EX, the DDA types
 *     (MS, SMTP, ...) and X400 (Q149121).
 *   - The indented tree style (Q159186):
 *         c=<US>
 *          a=<SOME-NAME>
 *           p=<COMPANY>
 *                 ROUTE1, 0001
 *                 /O=SOME-NAME/OU=NEW-YORK/../CN=ROUTE1
 *     i.e. X.400 attribute levels by indentation, then route lines
 *     "connector, cost" each followed by its DN hop list.
 *   - "Else" doorways exist in the tree (Q221699); their layout is not
 *     shown anywhere.
 *   - One entry per unique (connector, address space, restriction); site-
 *     restricted spaces are separate entries (Q243274).
 *
 * What is guessed (NEEDSWORK: confirm on real files):
 *   - Flat: the cost is the first all-digit comma field after the address
 *     space, so a space may itself contain commas.  Several connectors
 *     after the cost give one route entry each.  A connector field that is
 *     a scope word (Organization, Site, This site, Location, Restricted,
 *     ...) is taken as the entry's scope, not as a connector.
 *   - Tree: the address space is the levels joined with ";" ("c=US;a=X"),
 *     typed X400 unless a bare upper-case type word (SMTP, EX, ...) at
 *     column 0 names another type.  An "else" line opens a level whose
 *     value is "*" (any other value at that depth).  The server of a tree
 *     route is taken from its first hop DN.
 *   - Server of a route: the name in parentheses of "Internet Mail
 *     Connector (X)" / "Internet Mail Service (X)", or for a DN the cn
 *     after cn=Servers, else the last cn= (again stripped of an IMS name).
 *   - Any date found in the file (M/D/YY h:mm:ss AM, YYYY-MM-DD HH:MM:SS,
 *     "Mon Nov 23 14:00:00 2026") is read as written, with no time zone,
 *     into the table's newest_time.
 *
 * Lines that fit neither style are anomalies (the first few one by one,
 * then a count), never dropped in silence.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

#define MAX_FIELDS	64	/* comma fields looked at in one flat line */
#define MAX_LEVELS	16	/* tree depth kept */
#define MAX_TYPE	16	/* bytes of an address type word */
#define MAX_COST	99999u	/* documented range is 1..100 (Q262952) */
#define UNKNOWN_REPORTED 20	/* unrecognised lines reported one by one */

/* ---- small text helpers ------------------------------------------------ */

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static struct span
sub(struct span s, size_t from, size_t to)
{
	struct span r = { s.ptr + from, to - from };

	return r;
}

static bool
printable_line(struct span l)
{
	size_t i;

	for (i = 0; i < l.len; i++)
		if (l.ptr[i] < 0x20 && l.ptr[i] != '\t')
			return false;
	return true;
}

/* A short, single-line excerpt of t for an anomaly message. */
static char *
excerpt(struct span t)
{
	char *v = span_dup(sub(t, 0, t.len > 60 ? 60 : t.len));
	size_t i;

	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			v[i] = '?';
	return v;
}

static size_t
indent_of(struct span l)
{
	size_t i, col = 0;

	for (i = 0; i < l.len && (l.ptr[i] == ' ' || l.ptr[i] == '\t'); i++)
		col = l.ptr[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* Read 1..maxd digits at *i; false when none. */
static bool
digits(struct span s, size_t *i, size_t maxd, int *out)
{
	size_t k = *i;
	int v = 0;

	while (k < s.len && k - *i < maxd && is_digit(s.ptr[k]))
		v = v * 10 + (s.ptr[k++] - '0');
	if (k == *i || (k < s.len && is_digit(s.ptr[k])))
		return false;
	*out = v;
	*i = k;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static bool
make_time(int y, int mo, int d, int h, int mi, int s, int64_t *t)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || s > 59)
		return false;
	return imcq_mktime(y, mo, d, h, mi, s, t);
}

/* " AM" / " PM" after a time: adjusts *h; false when h is out of range. */
static bool
ampm(struct span s, size_t *i, int *h)
{
	size_t k = *i;

	while (k < s.len && s.ptr[k] == ' ')
		k++;
	if (k + 1 < s.len && (s.ptr[k + 1] == 'M' || s.ptr[k + 1] == 'm') &&
	    (k + 2 == s.len || !is_alpha(s.ptr[k + 2]))) {
		unsigned char c = s.ptr[k];

		if (c == 'A' || c == 'a' || c == 'P' || c == 'p') {
			if (*h < 1 || *h > 12)
				return false;
			if (*h == 12)
				*h = 0;
			if (c == 'P' || c == 'p')
				*h += 12;
			*i = k + 2;
			return true;
		}
	}
	return *h <= 23;
}

/* M/D/YY[YY] h:mm[:ss] [AM|PM] at i. */
static bool
date_us(struct span s, size_t i, int64_t *t)
{
	int mo, d, y, h, mi, sec = 0;
	size_t k = i, y0;

	if (!digits(s, &k, 2, &mo) || k >= s.len || s.ptr[k++] != '/' ||
	    !digits(s, &k, 2, &d) || k >= s.len || s.ptr[k++] != '/')
		return false;
	y0 = k;
	if (!digits(s, &k, 4, &y) || (k - y0 != 2 && k - y0 != 4))
		return false;
	if (k - y0 == 2)
		y += y < 70 ? 2000 : 1900;
	if (k >= s.len || s.ptr[k] != ' ')
		return false;
	while (k < s.len && s.ptr[k] == ' ')
		k++;
	if (!digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !digits(s, &k, 2, &mi))
		return false;
	if (k < s.len && s.ptr[k] == ':') {
		k++;
		if (!digits(s, &k, 2, &sec))
			return false;
	}
	if (!ampm(s, &k, &h))
		return false;
	return make_time(y, mo, d, h, mi, sec, t);
}

/* YYYY-MM-DD[ T]HH:MM:SS at i. */
static bool
date_iso(struct span s, size_t i, int64_t *t)
{
	int y, mo, d, h, mi, sec;
	size_t k = i;

	if (i + 19 > s.len || !digits(s, &k, 4, &y) || k - i != 4 ||
	    s.ptr[k++] != '-' || !digits(s, &k, 2, &mo) || s.ptr[k++] != '-' ||
	    !digits(s, &k, 2, &d) || (s.ptr[k] != ' ' && s.ptr[k] != 'T'))
		return false;
	k++;
	if (!digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !digits(s, &k, 2, &mi) || k >= s.len || s.ptr[k++] != ':' ||
	    !digits(s, &k, 2, &sec) || h > 23)
		return false;
	return make_time(y, mo, d, h, mi, sec, t);
}

static int
month_of(struct span s, size_t i)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int m;

	if (i + 3 > s.len)
		return 0;
	for (m = 0; m < 12; m++)
		if (imcq_strncasecmp((const char *)s.ptr + i, names + 3 * m, 3) == 0)
			return m + 1;
	return 0;
}

/* "Www Mmm D HH:MM:SS YYYY" (ctime) at i. */
static bool
date_ctime(struct span s, size_t i, int64_t *t)
{
	static const char days[] = "sunmontuewedthufrisat";
	int mo, d, h, mi, sec, y, w;
	size_t k = i;

	if (i + 20 > s.len)
		return false;
	for (w = 0; w < 7; w++)
		if (imcq_strncasecmp((const char *)s.ptr + i, days + 3 * w, 3) == 0)
			break;
	if (w == 7 || s.ptr[i + 3] != ' ')
		return false;
	k = i + 4;
	if ((mo = month_of(s, k)) == 0)
		return false;
	k += 3;
	while (k < s.len && s.ptr[k] == ' ')
		k++;
	if (!digits(s, &k, 2, &d) || k >= s.len || s.ptr[k++] != ' ' ||
	    !digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !digits(s, &k, 2, &mi) || k >= s.len || s.ptr[k++] != ':' ||
	    !digits(s, &k, 2, &sec) || k >= s.len || s.ptr[k++] != ' ' ||
	    !digits(s, &k, 4, &y) || h > 23)
		return false;
	return make_time(y, mo, d, h, mi, sec, t);
}

/* Newest date/time written anywhere in the line (IMCQ_NOTIME when none). */
static int64_t
newest_in_line(struct span l)
{
	int64_t best = IMCQ_NOTIME, t;
	size_t i;

	for (i = 0; i < l.len; i++) {
		if (i > 0 && (is_digit(l.ptr[i - 1]) || is_alpha(l.ptr[i - 1])))
			continue;
		if (is_digit(l.ptr[i])) {
			if ((date_us(l, i, &t) || date_iso(l, i, &t)) && t > best)
				best = t;
		} else if (is_alpha(l.ptr[i])) {
			if (date_ctime(l, i, &t) && t > best)
				best = t;
		}
	}
	return best;
}

/* ---- lines with limits --------------------------------------------------- */

struct lines {
	struct span all;
	size_t pos;
	uint64_t no;
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	uint64_t nbinary;
	uint64_t first_binary_off, first_binary_line;
};

/* Next physical line, capped at lim->line_bytes; false at the end or at
 * the line limit (an anomaly says so). */
static bool
next_line(struct lines *L, struct span *line, uint64_t *off)
{
	size_t start = L->pos;
	bool unterminated;

	if (L->pos >= L->all.len)
		return false;
	if (L->no >= L->lim->lines) {
		anomaly_add(L->rep, "line-limit", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, start,
			    "stopped after %" PRIu64 " lines (--max-lines); %zu bytes not read",
			    L->no, L->all.len - start);
		L->pos = L->all.len;
		return false;
	}
	if (!span_next_line(L->all, &L->pos, line))
		return false;
	L->no++;
	*off = start;
	unterminated = L->pos == start + line->len;
	if (line->len > L->lim->line_bytes) {
		anomaly_add(L->rep, "line-too-long", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, start,
			    "line %" PRIu64 " is %zu bytes; only the first %zu were read",
			    L->no, line->len, L->lim->line_bytes);
		line->len = L->lim->line_bytes;
	}
	if (!printable_line(*line)) {
		if (L->nbinary++ == 0) {
			L->first_binary_off = start;
			L->first_binary_line = L->no;
		}
	}
	if (unterminated)
		anomaly_add(L->rep, "no-final-newline", IMCQ_SEV_INFO, L->e->input,
			    L->e->member, start,
			    "last line %" PRIu64 " has no line end: the file may be truncated",
			    L->no);
	return true;
}

static void
lines_finish(struct lines *L)
{
	if (L->nbinary)
		anomaly_add(L->rep, "binary-data", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, L->first_binary_off,
			    "%" PRIu64 " line(s) hold control bytes, the first at line %" PRIu64
			    ": not a text routing table, or damaged",
			    L->nbinary, L->first_binary_line);
}

/* ---- server and scope ----------------------------------------------------- */

/* "Internet Mail Connector (X)" / "Internet Mail Service (X)" -> X. */
static char *
ims_server(struct span name)
{
	size_t open, close;

	name = span_trim(name);
	if (!span_istarts(name, "Internet Mail Connector") &&
	    !span_istarts(name, "Internet Mail Service"))
		return NULL;
	if (name.len == 0 || name.ptr[name.len - 1] != ')')
		return NULL;
	close = name.len - 1;
	for (open = close; open > 0 && name.ptr[open] != '('; open--)
		;
	if (name.ptr[open] != '(' || close - open < 2)
		return NULL;
	return span_dup(span_trim(sub(name, open + 1, close)));
}

/* The server named by a DN: the cn after cn=Servers, else the last cn=
 * (an IMS connector name is reduced to its server). */
static char *
dn_server(struct span dn)
{
	struct span last = { NULL, 0 }, prev = { NULL, 0 };
	struct span after_servers = { NULL, 0 };
	size_t i = 0;

	while (i < dn.len) {
		size_t j;
		struct span comp;

		while (i < dn.len && dn.ptr[i] == '/')
			i++;
		for (j = i; j < dn.len && dn.ptr[j] != '/'; j++)
			;
		comp = sub(dn, i, j);
		i = j;
		if (comp.len > 3 && span_istarts(comp, "cn=")) {
			struct span v = sub(comp, 3, comp.len);

			if (prev.ptr != NULL && span_ieq(prev, "servers") &&
			    after_servers.ptr == NULL)
				after_servers = v;
			prev = v;
			last = v;
		} else if (comp.len) {
			prev.ptr = NULL;
		}
	}
	if (after_servers.ptr != NULL)
		return span_dup(span_trim(after_servers));
	if (last.ptr != NULL) {
		char *s = ims_server(last);

		return s ? s : span_dup(span_trim(last));
	}
	return NULL;
}

static char *
connector_server(struct span name)
{
	name = span_trim(name);
	if (name.len && name.ptr[0] == '/')
		return dn_server(name);
	return ims_server(name);
}

/* A flat-line field that restricts the entry rather than naming a
 * connector (Q234639, Q243274); NULL when it is not one. */
static const char *
scope_word(struct span f)
{
	static const struct {
		const char *word, *scope;
	} words[] = {
		{ "organization", "organization" }, { "organisation", "organization" },
		{ "org", "organization" }, { "this organization", "organization" },
		{ "site", "site" }, { "this site", "site" },
		{ "site restricted", "site" }, { "restricted", "site" },
		{ "location", "location" }, { "this location", "location" },
		{ "location restricted", "location" },
	};
	size_t i;

	f = span_trim(f);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (span_ieq(f, words[i].word))
			return words[i].scope;
	return NULL;
}

/* ---- flat style ------------------------------------------------------------ */

struct flat {
	struct span type;
	struct span space;
	int cost;
	struct span conn[MAX_FIELDS];
	size_t nconn;
	const char *scope;
};

static bool
all_digits(struct span s, uint64_t *v)
{
	s = span_trim(s);
	return s.len > 0 && s.len <= 5 && span_u64(s, MAX_COST, v);
}

/* Parse one flat GWART line; never allocates (the bid uses it too). */
static bool
parse_flat(struct span line, struct flat *f)
{
	struct span fld[MAX_FIELDS];
	size_t nf = 0, i, start, cost_at = 0;
	uint64_t cost = 0;
	struct span l = span_trim(line);

	memset(f, 0, sizeof(*f));
	/* address types are written in capitals: EX, MS, SMTP, X400 */
	if (l.len < 4 || !(l.ptr[0] >= 'A' && l.ptr[0] <= 'Z'))
		return false;
	for (i = 0; i < l.len && i <= MAX_TYPE; i++) {
		unsigned char c = l.ptr[i];

		if (!((c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_'))
			break;
	}
	if (i == 0 || i > MAX_TYPE || i >= l.len || l.ptr[i] != ',')
		return false;
	f->type = sub(l, 0, i);
	start = i + 1;
	/* split the rest on commas; the last field takes what is left */
	for (i = start; nf < MAX_FIELDS; i++) {
		if (i == l.len || l.ptr[i] == ',' || nf == MAX_FIELDS - 1) {
			if (nf == MAX_FIELDS - 1)
				i = l.len;
			fld[nf++] = sub(l, start, i);
			start = i + 1;
			if (i >= l.len)
				break;
		}
	}
	for (i = 1; i < nf; i++)
		if (all_digits(fld[i], &cost)) {
			cost_at = i;
			break;
		}
	if (cost_at == 0)
		return false;
	f->cost = (int)cost;
	f->space = span_trim(sub(l, (size_t)(fld[0].ptr - l.ptr),
				 (size_t)(fld[cost_at - 1].ptr + fld[cost_at - 1].len - l.ptr)));
	for (i = cost_at + 1; i < nf; i++) {
		struct span c = span_trim(fld[i]);
		const char *sc;

		if (c.len == 0)
			continue;
		if ((sc = scope_word(c)) != NULL)
			f->scope = sc;
		else
			f->conn[f->nconn++] = c;
	}
	/* Without a connector, insist on the ";" that ends documented spaces,
	 * so that any "word,x,1" text is not taken for a route. */
	if (f->nconn == 0 &&
	    (f->space.len == 0 || f->space.ptr[f->space.len - 1] != ';'))
		return false;
	if (f->space.len && f->space.ptr[f->space.len - 1] == ';')
		f->space.len--;
	return true;
}

/* ---- tree style ------------------------------------------------------------- */

struct level {
	size_t indent;
	struct span key;	/* "c"; empty for an else doorway */
	struct span val;	/* "US"; "*" for an else doorway */
};

/* "key=<value>" -> key, value. */
static bool
parse_level(struct span l, struct span *key, struct span *val)
{
	size_t i;

	l = span_trim(l);
	for (i = 0; i < l.len && i < 12 && (is_alpha(l.ptr[i]) || is_digit(l.ptr[i]) ||
					    l.ptr[i] == '-'); i++)
		;
	if (i == 0 || i + 3 > l.len || l.ptr[i] != '=' || l.ptr[i + 1] != '<' ||
	    l.ptr[l.len - 1] != '>')
		return false;
	*key = sub(l, 0, i);
	*val = sub(l, i + 2, l.len - 1);
	return true;
}

static bool
is_else(struct span l)
{
	l = span_trim(l);
	if (l.len && l.ptr[l.len - 1] == ':')
		l.len--;
	return span_ieq(l, "else");
}

/* "CONNECTOR NAME, 0001" -> name, cost. */
static bool
parse_tree_route(struct span l, struct span *name, int *cost)
{
	size_t i;
	uint64_t v;

	l = span_trim(l);
	if (l.len < 3 || l.ptr[0] == '/')
		return false;
	for (i = l.len; i > 0 && l.ptr[i - 1] != ','; i--)
		;
	if (i < 2)
		return false;
	if (!all_digits(sub(l, i, l.len), &v))
		return false;
	*name = span_trim(sub(l, 0, i - 1));
	if (name->len == 0)
		return false;
	*cost = (int)v;
	return true;
}

/* A bare type word at column 0 ("SMTP", "X400", "EX"). */
static bool
is_type_header(struct span l)
{
	size_t i;

	if (l.len == 0 || l.len > MAX_TYPE || !(l.ptr[0] >= 'A' && l.ptr[0] <= 'Z'))
		return false;
	for (i = 0; i < l.len; i++)
		if (!((l.ptr[i] >= 'A' && l.ptr[i] <= 'Z') || is_digit(l.ptr[i])))
			return false;
	return !span_ieq(l, "ELSE");
}

/* ---- reader ------------------------------------------------------------------- */

struct pending {
	bool on;
	size_t route;		/* index into rep->routes */
	unsigned hops;
	bool capped;
	struct buf raw;
};

struct ctx {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	const char *table;
	struct level lv[MAX_LEVELS];
	size_t nlv;
	struct span type;	/* tree: explicit type header, or empty */
	struct pending pend;
	size_t nflat, ntree, nunknown;
};

static const char *
table_of(const char *base)
{
	if (base && imcq_strcasecmp(base, "gwart0.mta") == 0)
		return "gwart0";
	if (base && imcq_strcasecmp(base, "gwart1.mta") == 0)
		return "gwart1";
	return "gwart";
}

static struct imcq_route_entry *
new_route(struct ctx *c, uint64_t line, uint64_t off)
{
	struct imcq_route_entry *r = report_add_route(c->rep);

	r->input = c->e->input;
	r->member = xstrdup(c->e->member);
	r->line = line;
	r->offset = off;
	r->table = c->table;
	return r;
}

static void
flush_pending(struct ctx *c)
{
	if (!c->pend.on)
		return;
	c->rep->routes[c->pend.route].raw = buf_detach(&c->pend.raw, NULL);
	buf_release(&c->pend.raw);
	c->pend.on = false;
}

static void
add_flat(struct ctx *c, const struct flat *f, struct span line, uint64_t no,
	 uint64_t off)
{
	size_t i, n = f->nconn ? f->nconn : 1;

	for (i = 0; i < n; i++) {
		struct imcq_route_entry *r = new_route(c, no, off);

		r->type = span_dup(f->type);
		r->space = span_dup(f->space);
		r->cost = f->cost;
		if (f->nconn) {
			r->connector = span_dup(f->conn[i]);
			r->server = connector_server(f->conn[i]);
		}
		r->scope = f->scope ? xstrdup(f->scope) : NULL;
		r->raw = span_dup(span_trim(line));
	}
	c->nflat++;
}

static char *
tree_space(const struct ctx *c)
{
	struct buf b;
	size_t i;
	char *sp;

	buf_init(&b, c->lim->line_bytes);
	for (i = 0; i < c->nlv; i++) {
		if (i)
			(void)buf_appendc(&b, ';');
		if (c->lv[i].key.len) {
			(void)buf_append(&b, c->lv[i].key.ptr, c->lv[i].key.len);
			(void)buf_appendc(&b, '=');
		}
		(void)buf_append(&b, c->lv[i].val.ptr, c->lv[i].val.len);
	}
	sp = buf_detach(&b, NULL);
	buf_release(&b);
	return sp;
}

static void
push_level(struct ctx *c, size_t indent, struct span key, struct span val,
	   uint64_t off)
{
	while (c->nlv > 0 && c->lv[c->nlv - 1].indent >= indent)
		c->nlv--;
	if (c->nlv == MAX_LEVELS) {
		anomaly_add(c->rep, "gwart-too-deep", IMCQ_SEV_WARNING, c->e->input,
			    c->e->member, off,
			    "routing tree deeper than %d levels; level ignored", MAX_LEVELS);
		return;
	}
	c->lv[c->nlv].indent = indent;
	c->lv[c->nlv].key = key;
	c->lv[c->nlv].val = val;
	c->nlv++;
}

static void
add_tree_route(struct ctx *c, struct span name, int cost, struct span line,
	       uint64_t no, uint64_t off)
{
	struct imcq_route_entry *r = new_route(c, no, off);

	if (c->type.len)
		r->type = span_dup(c->type);
	else if (c->nlv > 0)
		r->type = xstrdup("X400");
	r->space = tree_space(c);
	r->cost = cost;
	r->connector = span_dup(name);
	r->server = connector_server(name);
	c->pend.on = true;
	c->pend.route = c->rep->nroutes - 1;
	c->pend.hops = 0;
	c->pend.capped = false;
	buf_init(&c->pend.raw, c->lim->line_bytes);
	line = span_trim(line);
	(void)buf_append(&c->pend.raw, line.ptr, line.len);
	c->ntree++;
}

static void
add_hop(struct ctx *c, struct span line)
{
	struct imcq_route_entry *r = &c->rep->routes[c->pend.route];

	line = span_trim(line);
	if (c->pend.hops++ == 0 && r->server == NULL)
		r->server = dn_server(line);
	if (buf_appends(&c->pend.raw, " | ") != IMCQ_OK ||
	    buf_append(&c->pend.raw, line.ptr, line.len) != IMCQ_OK) {
		if (!c->pend.capped)
			anomaly_add(c->rep, "line-too-long", IMCQ_SEV_INFO, c->e->input,
				    c->e->member, r->offset,
				    "hop list of the route at line %" PRIu64
				    " passes %zu bytes; the rest is not kept in its raw text",
				    r->line, c->lim->line_bytes);
		c->pend.capped = true;
	}
}

static void
unknown_line(struct ctx *c, struct span line, uint64_t no, uint64_t off)
{
	char *t;

	if (++c->nunknown > UNKNOWN_REPORTED)
		return;
	t = excerpt(line);
	anomaly_add(c->rep, "unrecognized-line", IMCQ_SEV_INFO, c->e->input,
		    c->e->member, off, "line %" PRIu64 " is not a GWART route: \"%s\"",
		    no, t);
	free(t);
}

static void
one_line(struct ctx *c, struct span line, uint64_t no, uint64_t off)
{
	struct flat f;
	struct span t = span_trim(line), key, val, name;
	size_t ind = indent_of(line);
	int cost;

	if (t.len == 0) {
		flush_pending(c);
		return;
	}
	if (!printable_line(t)) {
		flush_pending(c);	/* counted by the binary-data anomaly */
		return;
	}
	if (c->pend.on && t.ptr[0] == '/') {
		add_hop(c, t);
		return;
	}
	flush_pending(c);
	if (parse_flat(t, &f)) {
		add_flat(c, &f, line, no, off);
	} else if (parse_level(t, &key, &val)) {
		push_level(c, ind, key, val, off);
	} else if (is_else(t)) {
		static const unsigned char star[] = "*";
		struct span none = { star, 0 }, any = { star, 1 };

		push_level(c, ind, none, any, off);
	} else if (parse_tree_route(t, &name, &cost)) {
		add_tree_route(c, name, cost, line, no, off);
	} else if (ind == 0 && is_type_header(t)) {
		c->type = t;
		c->nlv = 0;
	} else {
		unknown_line(c, t, no, off);
	}
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct ctx c;
	struct lines L;
	struct span line;
	uint64_t off;
	int64_t newest = IMCQ_NOTIME;
	struct imcq_table_file *tf;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.rep = s->rep;
	c.lim = s->lim ? s->lim : &s->rep->lim;
	c.table = table_of(e->base);
	memset(&L, 0, sizeof(L));
	L.all.ptr = e->data;
	L.all.len = e->len;
	L.e = e;
	L.rep = s->rep;
	L.lim = c.lim;

	while (next_line(&L, &line, &off)) {
		int64_t t;

		one_line(&c, line, L.no, off);
		if (printable_line(line) && (t = newest_in_line(line)) != IMCQ_NOTIME &&
		    t > newest)
			newest = t;
	}
	flush_pending(&c);
	lines_finish(&L);
	if (c.nunknown > UNKNOWN_REPORTED)
		anomaly_add(s->rep, "unrecognized-line", IMCQ_SEV_INFO, e->input,
			    e->member, IMCQ_NOOFF,
			    "%zu more lines are not GWART routes (only the first %d are listed)",
			    c.nunknown - UNKNOWN_REPORTED, UNKNOWN_REPORTED);
	if (c.nflat && c.ntree)
		anomaly_add(s->rep, "mixed-gwart-styles", IMCQ_SEV_INFO, e->input,
			    e->member, 0,
			    "both flat (%zu) and tree (%zu) route lines in one GWART file",
			    c.nflat, c.ntree);
	if (c.nflat == 0 && c.ntree == 0)
		anomaly_add(s->rep, "no-routes", IMCQ_SEV_WARNING, e->input,
			    e->member, 0, "no GWART route line found in %" PRIu64 " line(s)",
			    L.no);

	tf = report_add_table(s->rep);
	tf->input = e->input;
	tf->member = xstrdup(e->member);
	tf->table = c.table;
	tf->style = c.nflat == 0 && c.ntree == 0 ? "text" :
		    c.nflat >= c.ntree ? "flat" : "tree";
	tf->mtime = e->mtime;
	tf->newest_time = newest;
	tf->snapshot = e->snapshot;
	if (e->sha256) {
		memcpy(tf->sha256, e->sha256, 64);
		tf->sha256[64] = '\0';
	}
	tf->nlines = (size_t)L.no;
	if (c.nflat == 0 && c.ntree == 0 && L.nbinary)
		return IMCQ_SKIP;
	return IMCQ_OK;
}

/* ---- bid --------------------------------------------------------------------- */

static int
bid(const struct imcq_entry *e)
{
	struct span all = { e->data, e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES };
	struct span line, key, val, name;
	struct flat f;
	size_t pos = 0;
	int score = 0, content = 0, cost;
	bool named = e->base && (imcq_strcasecmp(e->base, "gwart0.mta") == 0 ||
				 imcq_strcasecmp(e->base, "gwart1.mta") == 0);

	if (named)
		score = 16;
	while (content < 24 && span_next_line(all, &pos, &line)) {
		if (!printable_line(line)) {
			if (!named)
				return 0;
			continue;
		}
		if (parse_flat(line, &f))
			content += 8;
		else if (named && (parse_level(line, &key, &val) ||
				   parse_tree_route(line, &name, &cost)))
			content += 4;
	}
	score += content > 24 ? 24 : content;
	return score;
}

const struct imcq_format imcq_format_gwart = {
	.name = "gwart",
	.summary = "Mtadata GWART0.MTA / GWART1.MTA routing table (flat and tree text)",
	.bid = bid,
	.read = read_entry,
};
