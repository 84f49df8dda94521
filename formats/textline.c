/* SPDX-License-Identifier: MIT */
/*
 * textline.c - text-reader helpers shared by gwart.c, routetxt.c,
 * tracking.c and protolog.c; see textline.h for ownership and the
 * anomalies the line iterator reports.
 */
#include "formats/textline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

/* ---- span helpers ------------------------------------------------------- */

bool
tl_printable(struct span l)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0, j;

	/* eight bytes at a time: (w - 0x20..) & ~w & 0x80.. is nonzero
	 * exactly when some byte of w is below 0x20; only such words (tabs
	 * included) are looked at byte by byte */
	for (; l.len - i >= 8; i += 8) {
		uint64_t w;

		memcpy(&w, l.ptr + i, 8);
		if (((w - ones * 0x20) & ~w & highs) == 0)
			continue;
		for (j = i; j < i + 8; j++)
			if (l.ptr[j] < 0x20 && l.ptr[j] != '\t')
				return false;
	}
	for (; i < l.len; i++)
		if (l.ptr[i] < 0x20 && l.ptr[i] != '\t')
			return false;
	return true;
}

/* A short, single-line excerpt of t for an anomaly message. */
char *
tl_excerpt(struct span t)
{
	char *v = span_dup(tl_sub(t, 0, t.len > 60 ? 60 : t.len));
	size_t i;

	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			v[i] = '?';
	return v;
}

/* Read 1..maxd digits at *i; false when none or too many. */
/* ---- dates and times ------------------------------------------------------ */

bool
tl_digits(struct span s, size_t *i, size_t maxd, int *out)
{
	size_t k = *i;
	int v = 0;

	while (k < s.len && k - *i < maxd && tl_is_digit(s.ptr[k]))
		v = v * 10 + (s.ptr[k++] - '0');
	if (k == *i || (k < s.len && tl_is_digit(s.ptr[k])))
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

bool
tl_make_time(int y, int mo, int d, int h, int mi, int s, int64_t *t)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    s > 59)
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
	    (k + 2 == s.len || !tl_is_alpha(s.ptr[k + 2]))) {
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
bool
tl_date_us(struct span s, size_t i, int64_t *t)
{
	int mo, d, y, h, mi, sec = 0;
	size_t k = i, y0;

	if (!tl_digits(s, &k, 2, &mo) || k >= s.len || s.ptr[k++] != '/' ||
	    !tl_digits(s, &k, 2, &d) || k >= s.len || s.ptr[k++] != '/')
		return false;
	y0 = k;
	if (!tl_digits(s, &k, 4, &y) || (k - y0 != 2 && k - y0 != 4))
		return false;
	if (k - y0 == 2)
		y += y < 70 ? 2000 : 1900;
	if (k >= s.len || s.ptr[k] != ' ')
		return false;
	while (k < s.len && s.ptr[k] == ' ')
		k++;
	if (!tl_digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, &mi))
		return false;
	if (k < s.len && s.ptr[k] == ':') {
		k++;
		if (!tl_digits(s, &k, 2, &sec))
			return false;
	}
	if (!ampm(s, &k, &h))
		return false;
	return tl_make_time(y, mo, d, h, mi, sec, t);
}

/* YYYY-MM-DD[ T]HH:MM:SS at i. */
bool
tl_date_iso(struct span s, size_t i, int64_t *t)
{
	int y, mo, d, h, mi, sec;
	size_t k = i;

	if (i + 19 > s.len || !tl_digits(s, &k, 4, &y) || k - i != 4 ||
	    s.ptr[k++] != '-' || !tl_digits(s, &k, 2, &mo) || s.ptr[k++] != '-' ||
	    !tl_digits(s, &k, 2, &d) || (s.ptr[k] != ' ' && s.ptr[k] != 'T'))
		return false;
	k++;
	if (!tl_digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, &mi) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, &sec) || h > 23)
		return false;
	return tl_make_time(y, mo, d, h, mi, sec, t);
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
bool
tl_date_ctime(struct span s, size_t i, int64_t *t)
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
	if (!tl_digits(s, &k, 2, &d) || k >= s.len || s.ptr[k++] != ' ' ||
	    !tl_digits(s, &k, 2, &h) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, &mi) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, &sec) || k >= s.len || s.ptr[k++] != ' ' ||
	    !tl_digits(s, &k, 4, &y) || h > 23)
		return false;
	return tl_make_time(y, mo, d, h, mi, sec, t);
}

/* Newest date/time written anywhere in the line (IMCQ_NOTIME when none). */
int64_t
tl_newest_in_line(struct span l)
{
	int64_t best = IMCQ_NOTIME, t;
	size_t i;

	for (i = 0; i < l.len; i++) {
		if (i > 0 && (tl_is_digit(l.ptr[i - 1]) || tl_is_alpha(l.ptr[i - 1])))
			continue;
		if (tl_is_digit(l.ptr[i])) {
			if ((tl_date_us(l, i, &t) || tl_date_iso(l, i, &t)) && t > best)
				best = t;
		} else if (tl_is_alpha(l.ptr[i])) {
			if (tl_date_ctime(l, i, &t) && t > best)
				best = t;
		}
	}
	return best;
}

/* "yyyy.m.d" at *i. */
bool
tl_date_dotted(struct span s, size_t *i, int *y, int *mo, int *d)
{
	size_t k = *i;

	if (!tl_digits(s, &k, 4, y) || k - *i != 4 || k >= s.len || s.ptr[k++] != '.' ||
	    !tl_digits(s, &k, 2, mo) || k >= s.len || s.ptr[k++] != '.' ||
	    !tl_digits(s, &k, 2, d))
		return false;
	*i = k;
	return true;
}

/* "h:mm:ss" at *i (no zero padding required). */
bool
tl_clock(struct span s, size_t *i, int *h, int *mi, int *sec)
{
	size_t k = *i;

	if (!tl_digits(s, &k, 2, h) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, mi) || k >= s.len || s.ptr[k++] != ':' ||
	    !tl_digits(s, &k, 2, sec))
		return false;
	*i = k;
	return true;
}

/* ---- lines with limits --------------------------------------------------- */

void
tl_lines_init(struct tl_lines *L, const struct imcq_entry *e,
	      struct imcq_report *rep, const struct imcq_limits *lim,
	      const char *binary_what, tl_line_fn fn, void *user)
{
	memset(L, 0, sizeof(*L));
	L->e = e;
	L->rep = rep;
	L->lim = lim;
	L->binary_what = binary_what;
	L->fn = fn;
	L->user = user;
}

/* First CR or LF in p[i..n), or n (eight bytes at a time while none of
 * them is one, as span_next_line). */
static size_t
find_eol(const unsigned char *p, size_t i, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	while (n - i >= 8) {
		uint64_t w, x, y;

		memcpy(&w, p + i, 8);
		x = w ^ (ones * '\n');
		y = w ^ (ones * '\r');
		if ((((x - ones) & ~x) | ((y - ones) & ~y)) & highs)
			break;
		i += 8;
	}
	while (i < n && p[i] != '\n' && p[i] != '\r')
		i++;
	return i;
}

/* Keep p[0..n) at the end of the pending line (its first line_bytes). */
static void
part_add(struct tl_lines *L, const unsigned char *p, size_t n)
{
	size_t room = L->lim->line_bytes > L->part_len ? L->lim->line_bytes - L->part_len : 0;
	size_t k = n < room ? n : room;

	L->part_full += n;
	if (k == 0)
		return;
	if (L->part_len + k > L->part_alloc) {
		size_t na = L->part_alloc ? L->part_alloc : 256;

		while (na < L->part_len + k)
			na *= 2;
		if (na > L->lim->line_bytes)
			na = L->lim->line_bytes;
		L->part = xrealloc(L->part, na);
		L->part_alloc = na;
	}
	memcpy(L->part + L->part_len, p, k);
	L->part_len += k;
}

static void
part_reset(struct tl_lines *L)
{
	L->part_len = 0;
	L->part_full = 0;
	L->in_part = false;
	L->held = false;
	L->held_cr = false;
}

/* Line number L->no + 1, full bytes long (line holds its first bytes),
 * to the reader, after the anomalies it raises. */
static void
deliver(struct tl_lines *L, struct span line, uint64_t full, uint64_t off,
	bool last, bool unterminated)
{
	L->no++;
	if (full > L->lim->line_bytes) {
		anomaly_add(L->rep, "line-too-long", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, off,
			    "line %" PRIu64 " is %zu bytes; only the first %zu were read",
			    L->no, (size_t)full, L->lim->line_bytes);
		if (line.len > L->lim->line_bytes)
			line.len = L->lim->line_bytes;
	}
	if (!tl_printable(line)) {
		if (L->nbinary++ == 0) {
			L->first_binary_off = off;
			L->first_binary_line = L->no;
		}
	}
	if (unterminated)
		anomaly_add(L->rep, "no-final-newline", IMCQ_SEV_INFO, L->e->input,
			    L->e->member, off,
			    "last line %" PRIu64 " has no line end: the file may be truncated",
			    L->no);
	L->fn(L->user, line, L->no, off, last);
}

static void
deliver_part(struct tl_lines *L, bool last, bool unterminated)
{
	struct span line = { L->part, L->part_len };

	if (line.ptr == NULL)
		line.ptr = (const unsigned char *)"";
	deliver(L, line, L->part_full, L->part_off, last, unterminated);
	part_reset(L);
}

/* final: p ends the bytes, so a line at its end is the last one and is
 * delivered in place. */
static void
feed(struct tl_lines *L, const unsigned char *p, size_t n, bool final)
{
	uint64_t base = L->pos;
	size_t i = 0;

	L->pos += n;
	if (L->stopped || n == 0)
		return;
	if (L->held) {
		/* a byte after the held line: it was not the last */
		if (L->held_cr) {
			L->held_cr = false;
			if (p[0] == '\n')
				i = 1;
		}
		if (i == n)
			return;
		deliver_part(L, false, false);
	}
	while (i < n) {
		size_t j, t;
		bool cr_open = false;

		if (!L->in_part) {
			/* a line begins at base + i */
			if (L->no >= L->lim->lines) {
				L->stopped = true;
				L->stop_off = base + i;
				return;
			}
			L->part_off = base + i;
		}
		j = find_eol(p, i, n);
		if (j == n) {
			if (final && !L->in_part) {
				struct span line = { p + i, n - i };

				deliver(L, line, n - i, base + i, true, true);
				return;
			}
			part_add(L, p + i, n - i);
			L->in_part = true;
			if (final)
				deliver_part(L, true, true);
			return;
		}
		t = j + 1;
		if (p[j] == '\r') {
			if (j + 1 < n) {
				if (p[j + 1] == '\n')
					t = j + 2;
			} else if (!final) {
				cr_open = true;
			}
		}
		if (t < n || final) {
			if (L->in_part) {
				part_add(L, p + i, j - i);
				deliver_part(L, t == n, false);
			} else {
				struct span line = { p + i, j - i };

				deliver(L, line, j - i, base + i, t == n, false);
			}
			i = t;
			continue;
		}
		/* the line ends the chunk: whether it is the last one is
		 * known at the next byte */
		part_add(L, p + i, j - i);
		L->in_part = false;
		L->held = true;
		L->held_cr = cr_open;
		return;
	}
}

void
tl_lines_feed(struct tl_lines *L, const unsigned char *p, size_t n)
{
	feed(L, p, n, false);
}

void
tl_lines_end(struct tl_lines *L)
{
	if (L->held)
		deliver_part(L, true, false);
	else if (L->in_part)
		deliver_part(L, true, true);
	if (L->stopped) {
		anomaly_add(L->rep, "line-limit", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, L->stop_off,
			    "stopped after %" PRIu64 " lines (--max-lines); %zu bytes not read",
			    L->no, (size_t)(L->pos - L->stop_off));
		L->rep->unreadable++;	/* a cap reached: exit 1 */
	}
	free(L->part);
	L->part = NULL;
	L->part_alloc = 0;
}

void
tl_lines_whole(struct tl_lines *L, const unsigned char *p, size_t n)
{
	feed(L, p, n, true);
	tl_lines_end(L);
}

void
tl_lines_finish(struct tl_lines *L)
{
	if (L->nbinary)
		anomaly_add(L->rep, "binary-data", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, L->first_binary_off,
			    "%" PRIu64 " line(s) hold control bytes, the first at line %" PRIu64
			    ": %s",
			    L->nbinary, L->first_binary_line, L->binary_what);
}

int
tl_log_close(const struct tl_lines *L, size_t nskipped, size_t reported,
	     const char *skip_code, const char *item, size_t nfound,
	     const char *none_code, const char *what)
{
	const struct imcq_entry *e = L->e;

	if (nskipped > reported)
		anomaly_add(L->rep, skip_code, IMCQ_SEV_INFO, e->input, e->member, IMCQ_NOOFF,
			    "%zu more lines before the first %s skipped", nskipped - reported,
			    item);
	if (nfound > 0)
		return IMCQ_OK;
	anomaly_add(L->rep, none_code, IMCQ_SEV_WARNING, e->input, e->member, 0,
		    "no %s in %" PRIu64 " line(s)", what, L->no);
	return L->nbinary ? IMCQ_SKIP : IMCQ_OK;
}

struct imcq_table_file *
tl_add_table(const struct tl_lines *L, const char *table, const char *style,
	     int64_t newest)
{
	const struct imcq_entry *e = L->e;
	struct imcq_table_file *tf = report_add_table(L->rep);

	tf->input = e->input;
	tf->member = xstrdup(e->member);
	tf->table = table;
	tf->style = style;
	tf->mtime = e->mtime;
	tf->newest_time = newest;
	tf->snapshot = e->snapshot;
	if (e->sha256) {
		memcpy(tf->sha256, e->sha256, 64);
		tf->sha256[64] = '\0';
	}
	tf->nlines = (size_t)L->no;
	return tf;
}

/* ---- connectors and the flat line ---------------------------------------- */

/* "Internet Mail Connector (X)" / "Internet Mail Service (X)" -> X. */
char *
tl_ims_server(struct span name)
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
	return span_dup(span_trim(tl_sub(name, open + 1, close)));
}

/* The server named by a DN: the cn after cn=Servers, else the last cn=
 * (an IMS connector name is reduced to its server). */
char *
tl_dn_server(struct span dn)
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
		comp = tl_sub(dn, i, j);
		i = j;
		if (comp.len > 3 && span_istarts(comp, "cn=")) {
			struct span v = tl_sub(comp, 3, comp.len);

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
		char *s = tl_ims_server(last);

		return s ? s : span_dup(span_trim(last));
	}
	return NULL;
}

char *
tl_connector_server(struct span name)
{
	name = span_trim(name);
	if (name.len && name.ptr[0] == '/')
		return tl_dn_server(name);
	return tl_ims_server(name);
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

bool
tl_all_digits(struct span s, uint64_t *v)
{
	s = span_trim(s);
	return s.len > 0 && s.len <= 5 && span_u64(s, TL_MAX_COST, v);
}

/* Parse one flat GWART line; never allocates (the bid uses it too). */
bool
tl_parse_flat(struct span line, struct tl_flat *f)
{
	struct span fld[TL_FLAT_FIELDS];
	size_t nf = 0, i, start, cost_at = 0;
	uint64_t cost = 0;
	struct span l = span_trim(line);

	memset(f, 0, sizeof(*f));
	/* address types are written in capitals: EX, MS, SMTP, X400 */
	if (l.len < 4 || !(l.ptr[0] >= 'A' && l.ptr[0] <= 'Z'))
		return false;
	for (i = 0; i < l.len && i <= TL_MAX_TYPE; i++) {
		unsigned char c = l.ptr[i];

		if (!((c >= 'A' && c <= 'Z') || tl_is_digit(c) || c == '-' || c == '_'))
			break;
	}
	if (i == 0 || i > TL_MAX_TYPE || i >= l.len || l.ptr[i] != ',')
		return false;
	f->type = tl_sub(l, 0, i);
	start = i + 1;
	/* split the rest on commas; the last field takes what is left */
	for (i = start; nf < TL_FLAT_FIELDS; i++) {
		if (i == l.len || l.ptr[i] == ',' || nf == TL_FLAT_FIELDS - 1) {
			if (nf == TL_FLAT_FIELDS - 1)
				i = l.len;
			fld[nf++] = tl_sub(l, start, i);
			start = i + 1;
			if (i >= l.len)
				break;
		}
	}
	for (i = 1; i < nf; i++)
		if (tl_all_digits(fld[i], &cost)) {
			cost_at = i;
			break;
		}
	if (cost_at == 0)
		return false;
	f->cost = (int)cost;
	f->space = span_trim(tl_sub(l, (size_t)(fld[0].ptr - l.ptr),
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

void
tl_feed(void *state, const unsigned char *p, size_t n)
{
	tl_lines_feed(state, p, n);
}
