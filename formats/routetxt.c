/* SPDX-License-Identifier: MIT */
/*
 * routetxt.c - Exchsrvr\Imcdata\Log\Route.txt and Route.old, the Internet
 * Mail Service's own text view of the routes it is responsible for.
 *
 * What is documented (Q153655 section 1.9.6, Q156063 section 3.2.5): every
 * RouteCalculationInterval minutes (default 15; 0 = only at start-up) the
 * IMS compares the routing table's Last-Modified time with the time stamp
 * of Route.txt; when the table is newer it copies Route.txt to Route.old
 * and writes a new Route.txt.  The file is a text view of the connected-
 * site routes; the IMS does not route from it.
 *
 * What is NOT documented: the layout of the file.  So this reader keeps
 * every non-empty text line as one route entry (raw = the line, with its
 * line number and byte offset) and only opportunistically fills type,
 * space, cost and connector (all guessed, NEEDSWORK: confirm on samples):
 *   - a GWART flat line "SMTP,*@x.com;,1,Internet Mail Service (B),"
 *     (Q149121 layout; cost = first all-digit field after the space);
 *   - a leading "TYPE:space" or "TYPE=space" token, TYPE being a known
 *     Exchange address type (SMTP, X400, EX, MS, CCMAIL, NOTES, ...), as
 *     in "SMTP:*@x.com" or "SMTP=*" (Q229961, Q243274 spell them so);
 *   - a line saying "address space <TYPE:space> ... cost <N>".
 * Any date/time inside (M/D/YY h:mm:ss AM, YYYY-MM-DD HH:MM:SS, or
 * "Mon Nov 23 14:00:00 2026") is read as written, with no time zone, and
 * the newest becomes the table's newest_time; with the file's mtime it
 * tells when this IMS last saw a routing change (DOMAIN.md 5.4).
 * Lines holding control bytes are not kept as routes; an anomaly counts
 * them.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "formats/textline.h"

/* ---- Route.txt lines -------------------------------------------------------- */

/* Exchange address types (Q149121: EX, DDA types such as MS and SMTP, X400;
 * the rest are the connectors' proxy types). */
static bool
known_type(struct span t)
{
	static const char *const types[] = {
		"SMTP", "X400", "EX", "MS", "MSA", "CCMAIL", "NOTES", "FAX",
		"MSFAX", "PROFS", "SNADS", "GWISE", "GROUPWISE", "MHS", "X500",
		"MSMAIL",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (span_ieq(t, types[i]))
			return true;
	return false;
}

/* "TYPE:space" / "TYPE=space" at the start of s, the space ending at white
 * space or a comma. */
static bool
type_token(struct span s, struct span *type, struct span *space)
{
	size_t i, j;

	for (i = 0; i < s.len && i <= TL_MAX_TYPE && (tl_is_alpha(s.ptr[i]) || tl_is_digit(s.ptr[i])); i++)
		;
	if (i == 0 || i >= s.len || (s.ptr[i] != ':' && s.ptr[i] != '='))
		return false;
	*type = tl_sub(s, 0, i);
	if (!known_type(*type))
		return false;
	for (j = i + 1; j < s.len && s.ptr[j] != ' ' && s.ptr[j] != '\t' &&
	     s.ptr[j] != ','; j++)
		;
	*space = tl_sub(s, i + 1, j);
	if (space->len && space->ptr[space->len - 1] == ';')
		space->len--;
	return true;
}

/* Case-insensitive search for a word; SIZE_MAX when absent. */
static size_t
find_word(struct span s, const char *w)
{
	size_t n = strlen(w), i;

	for (i = 0; i + n <= s.len; i++) {
		if (i > 0 && tl_is_alpha(s.ptr[i - 1]))
			continue;
		if (span_istarts(tl_sub(s, i, s.len), w) &&
		    (i + n == s.len || !tl_is_alpha(s.ptr[i + n])))
			return i;
	}
	return SIZE_MAX;
}

/* "cost N" / "cost: N" / "cost=N" anywhere in the line. */
static bool
cost_word(struct span s, int *cost)
{
	size_t i = find_word(s, "cost");
	uint64_t v;
	size_t j;

	if (i == SIZE_MAX)
		return false;
	i += 4;
	while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' ||
			     s.ptr[i] == ':' || s.ptr[i] == '='))
		i++;
	for (j = i; j < s.len && tl_is_digit(s.ptr[j]); j++)
		;
	if (j == i || !span_u64(tl_sub(s, i, j), TL_MAX_COST, &v))
		return false;
	*cost = (int)v;
	return true;
}

static void
fill_from_line(struct imcq_route_entry *r, struct span t)
{
	struct tl_flat f;
	struct span type, space;
	size_t i;

	if (tl_parse_flat(t, &f)) {
		r->type = span_dup(f.type);
		r->space = span_dup(f.space);
		r->cost = f.cost;
		if (f.nconn) {
			r->connector = span_dup(f.conn[0]);
			r->server = tl_connector_server(f.conn[0]);
		}
		if (f.scope)
			r->scope = xstrdup(f.scope);
		return;
	}
	if (type_token(t, &type, &space)) {
		r->type = span_dup(type);
		r->space = span_dup(space);
		(void)cost_word(t, &r->cost);
		return;
	}
	if ((i = find_word(t, "address space")) != SIZE_MAX) {
		struct span rest;
		size_t j;

		i += strlen("address space");
		while (i < t.len && (t.ptr[i] == ' ' || t.ptr[i] == '\t' ||
				     t.ptr[i] == ':' || t.ptr[i] == '='))
			i++;
		rest = tl_sub(t, i, t.len);
		/* the value runs to the word "cost" (X.400 spaces hold blanks:
		 * "c=US;a= ;p=ORG"), else to the first blank */
		if ((j = find_word(rest, "cost")) == SIZE_MAX)
			for (j = 0; j < rest.len && rest.ptr[j] != ' ' &&
			     rest.ptr[j] != '\t'; j++)
				;
		rest = span_trim(tl_sub(rest, 0, j));
		while (rest.len && (rest.ptr[rest.len - 1] == ',' ||
				    rest.ptr[rest.len - 1] == ';' ||
				    rest.ptr[rest.len - 1] == ' '))
			rest.len--;
		if (type_token(rest, &type, &space)) {
			r->type = span_dup(type);
			r->space = span_dup(space);
		} else if (rest.len) {
			r->space = span_dup(rest);
		}
		(void)cost_word(t, &r->cost);
	}
}

static const char *
table_of(const char *base)
{
	if (base && imcq_strcasecmp(base, "route.old") == 0)
		return "route.old";
	return "route.txt";
}

/* Read as a stream (format.h): each line is kept whole, as a route. */
struct stream {
	struct tl_lines L;	/* first: tl_feed (textline.h) */
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const char *table;
	int64_t newest;
	size_t kept;
};

static void
one_line(void *user, struct span line, uint64_t no, uint64_t off, bool last)
{
	struct stream *st = user;
	struct span t = span_trim(line);
	struct imcq_route_entry *r;
	int64_t tm;

	(void)last;
	if (t.len == 0 || !tl_printable(t))
		return;
	if ((tm = tl_newest_in_line(t)) != IMCQ_NOTIME && tm > st->newest)
		st->newest = tm;
	r = report_add_route(st->rep);
	r->input = st->e->input;
	r->member = xstrdup(st->e->member);
	r->line = no;
	r->offset = off;
	r->table = st->table;
	r->raw = span_dup(t);
	fill_from_line(r, t);
	st->kept++;
}

static void *
open_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct stream *st = xcalloc(1, sizeof(*st));

	st->e = e;
	st->rep = s->rep;
	st->table = table_of(e->base);
	st->newest = IMCQ_NOTIME;
	tl_lines_init(&st->L, e, s->rep, s->lim ? s->lim : &s->rep->lim,
		      "not kept as text, the file is binary or damaged", one_line, st);
	return st;
}

/* The table record takes the entry's SHA-256, which is whole by now. */
static int
close_entry(void *p)
{
	struct stream *st = p;
	int rc = IMCQ_OK;

	tl_lines_end(&st->L);
	tl_lines_finish(&st->L);
	(void)tl_add_table(&st->L, st->table, "text", st->newest);
	if (st->kept == 0 && st->L.nbinary)
		rc = IMCQ_SKIP;
	free(st);
	return rc;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	return imcq_read_whole(&imcq_format_routetxt, e, s);
}

/* The layout is not documented, so only the name is evidence. */
static int
bid(const struct imcq_entry *e)
{
	if (e->base && (imcq_strcasecmp(e->base, "route.txt") == 0 ||
			imcq_strcasecmp(e->base, "route.old") == 0))
		return 24;
	return 0;
}

const struct imcq_format imcq_format_routetxt = {
	.name = "route-txt",
	.summary = "Imcdata\\Log Route.txt / Route.old, the IMS's text view of its routes",
	.bid = bid,
	.read = read_entry,
	.open = open_entry,
	.feed = tl_feed,
	.close = close_entry,
};
