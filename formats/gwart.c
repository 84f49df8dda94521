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
#include "formats/textline.h"

#define MAX_LEVELS	16	/* tree depth kept */
#define UNKNOWN_REPORTED 20	/* unrecognised lines reported one by one */

/* ---- small text helpers ------------------------------------------------ */

static size_t
indent_of(struct span l)
{
	size_t i, col = 0;

	for (i = 0; i < l.len && (l.ptr[i] == ' ' || l.ptr[i] == '\t'); i++)
		col = l.ptr[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
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
	for (i = 0; i < l.len && i < 12 && (tl_is_alpha(l.ptr[i]) || tl_is_digit(l.ptr[i]) ||
					    l.ptr[i] == '-'); i++)
		;
	if (i == 0 || i + 3 > l.len || l.ptr[i] != '=' || l.ptr[i + 1] != '<' ||
	    l.ptr[l.len - 1] != '>')
		return false;
	*key = tl_sub(l, 0, i);
	*val = tl_sub(l, i + 2, l.len - 1);
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
	if (!tl_all_digits(tl_sub(l, i, l.len), &v))
		return false;
	*name = span_trim(tl_sub(l, 0, i - 1));
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

	if (l.len == 0 || l.len > TL_MAX_TYPE || !(l.ptr[0] >= 'A' && l.ptr[0] <= 'Z'))
		return false;
	for (i = 0; i < l.len; i++)
		if (!((l.ptr[i] >= 'A' && l.ptr[i] <= 'Z') || tl_is_digit(l.ptr[i])))
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
add_flat(struct ctx *c, const struct tl_flat *f, struct span line, uint64_t no,
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
			r->server = tl_connector_server(f->conn[i]);
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
	r->server = tl_connector_server(name);
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
		r->server = tl_dn_server(line);
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
	t = tl_excerpt(line);
	anomaly_add(c->rep, "unrecognized-line", IMCQ_SEV_INFO, c->e->input,
		    c->e->member, off, "line %" PRIu64 " is not a GWART route: \"%s\"",
		    no, t);
	free(t);
}

static void
one_line(struct ctx *c, struct span line, uint64_t no, uint64_t off)
{
	struct tl_flat f;
	struct span t = span_trim(line), key, val, name;
	size_t ind = indent_of(line);
	int cost;

	if (t.len == 0) {
		flush_pending(c);
		return;
	}
	if (!tl_printable(t)) {
		flush_pending(c);	/* counted by the binary-data anomaly */
		return;
	}
	if (c->pend.on && t.ptr[0] == '/') {
		add_hop(c, t);
		return;
	}
	flush_pending(c);
	if (tl_parse_flat(t, &f)) {
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

/* A GWART file is small and read whole: the type and level lines its
 * routes refer to are spans of earlier lines (tl_lines_whole). */
struct whole {
	struct ctx *c;
	int64_t newest;
};

static void
whole_line(void *user, struct span line, uint64_t no, uint64_t off, bool last)
{
	struct whole *w = user;
	int64_t t;

	(void)last;
	one_line(w->c, line, no, off);
	if (tl_printable(line) && (t = tl_newest_in_line(line)) != IMCQ_NOTIME &&
	    t > w->newest)
		w->newest = t;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct ctx c;
	struct tl_lines L;
	struct whole w = { &c, IMCQ_NOTIME };
	int64_t newest;
	const char *style;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.rep = s->rep;
	c.lim = s->lim ? s->lim : &s->rep->lim;
	c.table = table_of(e->base);
	tl_lines_init(&L, e, s->rep, c.lim,
		      "not a text routing table, or damaged", whole_line, &w);
	tl_lines_whole(&L, e->data, e->data ? e->len : 0);
	newest = w.newest;
	flush_pending(&c);
	tl_lines_finish(&L);
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

	style = c.nflat == 0 && c.ntree == 0 ? "text" :
		c.nflat >= c.ntree ? "flat" : "tree";
	(void)tl_add_table(&L, c.table, style, newest);
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
	struct tl_flat f;
	size_t pos = 0;
	int score = 0, content = 0, cost;
	bool named = e->base && (imcq_strcasecmp(e->base, "gwart0.mta") == 0 ||
				 imcq_strcasecmp(e->base, "gwart1.mta") == 0);

	if (named)
		score = 16;
	while (content < 24 && span_next_line(all, &pos, &line)) {
		if (!tl_printable(line)) {
			if (!named)
				return 0;
			continue;
		}
		if (tl_parse_flat(line, &f))
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
