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

#define MAX_FIELDS	64	/* comma fields looked at in one flat line */
#define MAX_TYPE	16	/* bytes of an address type word */
#define MAX_COST	99999u

/*
 * NEEDSWORK: the text helpers, the date scanner and the flat-line parser
 * below are the same as in gwart.c; move them to one shared formats/
 * module once the tree has a place for reader helpers.
 */

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
			    ": not kept as text, the file is binary or damaged",
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

	for (i = 0; i < s.len && i <= MAX_TYPE && (is_alpha(s.ptr[i]) || is_digit(s.ptr[i])); i++)
		;
	if (i == 0 || i >= s.len || (s.ptr[i] != ':' && s.ptr[i] != '='))
		return false;
	*type = sub(s, 0, i);
	if (!known_type(*type))
		return false;
	for (j = i + 1; j < s.len && s.ptr[j] != ' ' && s.ptr[j] != '\t' &&
	     s.ptr[j] != ','; j++)
		;
	*space = sub(s, i + 1, j);
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
		if (i > 0 && is_alpha(s.ptr[i - 1]))
			continue;
		if (span_istarts(sub(s, i, s.len), w) &&
		    (i + n == s.len || !is_alpha(s.ptr[i + n])))
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
	for (j = i; j < s.len && is_digit(s.ptr[j]); j++)
		;
	if (j == i || !span_u64(sub(s, i, j), MAX_COST, &v))
		return false;
	*cost = (int)v;
	return true;
}

static void
fill_from_line(struct imcq_route_entry *r, struct span t)
{
	struct flat f;
	struct span type, space;
	size_t i;

	if (parse_flat(t, &f)) {
		r->type = span_dup(f.type);
		r->space = span_dup(f.space);
		r->cost = f.cost;
		if (f.nconn) {
			r->connector = span_dup(f.conn[0]);
			r->server = connector_server(f.conn[0]);
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
		rest = sub(t, i, t.len);
		/* the value runs to the word "cost" (X.400 spaces hold blanks:
		 * "c=US;a= ;p=ORG"), else to the first blank */
		if ((j = find_word(rest, "cost")) == SIZE_MAX)
			for (j = 0; j < rest.len && rest.ptr[j] != ' ' &&
			     rest.ptr[j] != '\t'; j++)
				;
		rest = span_trim(sub(rest, 0, j));
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

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	const struct imcq_limits *lim = s->lim ? s->lim : &s->rep->lim;
	const char *table = table_of(e->base);
	struct lines L;
	struct span line;
	uint64_t off;
	int64_t newest = IMCQ_NOTIME;
	size_t kept = 0;
	struct imcq_table_file *tf;

	memset(&L, 0, sizeof(L));
	L.all.ptr = e->data;
	L.all.len = e->len;
	L.e = e;
	L.rep = s->rep;
	L.lim = lim;
	while (next_line(&L, &line, &off)) {
		struct span t = span_trim(line);
		struct imcq_route_entry *r;
		int64_t tm;

		if (t.len == 0 || !printable_line(t))
			continue;
		if ((tm = newest_in_line(t)) != IMCQ_NOTIME && tm > newest)
			newest = tm;
		r = report_add_route(s->rep);
		r->input = e->input;
		r->member = xstrdup(e->member);
		r->line = L.no;
		r->offset = off;
		r->table = table;
		r->raw = span_dup(t);
		fill_from_line(r, t);
		kept++;
	}
	lines_finish(&L);

	tf = report_add_table(s->rep);
	tf->input = e->input;
	tf->member = xstrdup(e->member);
	tf->table = table;
	tf->style = "text";
	tf->mtime = e->mtime;
	tf->newest_time = newest;
	tf->snapshot = e->snapshot;
	if (e->sha256) {
		memcpy(tf->sha256, e->sha256, 64);
		tf->sha256[64] = '\0';
	}
	tf->nlines = (size_t)L.no;
	if (kept == 0 && L.nbinary)
		return IMCQ_SKIP;
	return IMCQ_OK;
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
};
