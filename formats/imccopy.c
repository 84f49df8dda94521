/* SPDX-License-Identifier: MIT */
/*
 * imccopy.c - reader for the INI text that IMCCOPY writes with
 * `imccopy -save routes FILE` and `imccopy -save domain FILE` (Exchange
 * 5.0/5.5 Server CD, Support\Utils).
 *
 * What is documented:
 *   -save routes (Q182522): the IMS per-domain delivery routes, i.e. the
 *   "E-Mail Domain" button of the Connections tab ("forward all messages
 *   for this domain to host"):
 *       [Routes]
 *       DeliveryRouting=+
 *       +DOMAIN.COM;xxx.xxx.xxx.xxx;0
 *       DefaultRouting=
 *   A key whose value is "+" is followed by one "+item" line per entry.
 *   The route item is DOMAIN;HOST-OR-IP;N - the meaning of the third field
 *   is not documented and is kept in the raw line only.  A malformed route
 *   stops the IMS from starting (event 4056, Q182522).
 *
 *   -save domain (Q262126): the per-domain message-format table:
 *       [Header]
 *       Version=1
 *       [Domain]
 *       DomainInformation=+
 *       +Default,ISO-8859-1,ISO-8859-1,800,76,0,0,0
 *   Item fields: domain, MIME charset, non-MIME charset, formatting bits
 *   (decimal; the bit table is in Q262126), word-wrap column, send rich
 *   text (0 user, 1 always, 2 never), unused, message size limit (0 none).
 *
 * What this reader makes of it: every key=value line is a struct
 * imcq_config (key = the section, type "ini"); every route item is a
 * struct imcq_route_entry of table "imccopy-routes" (type SMTP, space =
 * the domain, host = the second field, raw = the trimmed line, with its
 * line and the offset of its '+'); every domain item is a config with key
 * "Domain", name = the domain and value = the other fields as written (no
 * route: it says how mail is formatted, not where it goes).  One struct
 * imcq_table_file per kind of list seen.  Items of any other list key are
 * configs named after that key.
 *
 * Tolerance: leading blanks (the KB prints the file indented), CRLF/LF/CR,
 * comments ';'.  Damage is an anomaly with the byte offset: a line over
 * the line-length limit (64 KiB), a section without ']', a route or domain
 * item with too few fields or a non-numeric number, an item outside a
 * list, a line that is none of these.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"

#define IC_MAX_ANOMS	200
#define IC_DOMAIN_FIELDS 8
#define IC_ROUTE_FIELDS	3

struct ic {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	char *section;		/* current section, or NULL */
	char *list_key;		/* key whose value was "+", or NULL */
	bool saw_routes, saw_domain;
	size_t nlines;
	unsigned nanoms;
	unsigned long long suppressed;
	uint64_t first_suppressed;
};

static void
ic_anom(struct ic *x, const char *code, enum imcq_sev sev, uint64_t off,
	const char *fmt, ...) IMCQ_PRINTF(5, 6);

static void
ic_anom(struct ic *x, const char *code, enum imcq_sev sev, uint64_t off,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (x->nanoms >= IC_MAX_ANOMS) {
		if (x->suppressed++ == 0)
			x->first_suppressed = off;
		return;
	}
	x->nanoms++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	anomaly_add(x->rep, code, sev, x->e->input, x->e->member, off, "%s", msg);
}

static void
add_config(struct ic *x, uint64_t line, const char *key, struct span name,
	   struct span value)
{
	struct imcq_config *c = report_add_config(x->rep);

	c->input = x->e->input;
	c->member = xstrdup(x->e->member ? x->e->member : "");
	c->line = line;
	c->key = key ? xstrdup(key) : NULL;
	c->name = span_dup(name);
	c->value = span_dup(value);
	c->type = "ini";
	c->snapshot = x->e->snapshot;
}

/* Split s at sep into at most max fields (the last takes the rest). */
static size_t
split(struct span s, char sep, struct span *f, size_t max)
{
	size_t n = 0, i = 0, start = 0;

	for (i = 0; i <= s.len && n < max; i++) {
		if (i == s.len || (s.ptr[i] == sep && n + 1 < max)) {
			f[n].ptr = s.ptr + start;
			f[n].len = i - start;
			f[n] = span_trim(f[n]);
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* +DOMAIN;HOST;N */
static void
route_item(struct ic *x, struct span raw, struct span item, uint64_t off,
	   uint64_t line)
{
	struct span f[IC_ROUTE_FIELDS + 1];
	size_t n = split(item, ';', f, IC_ROUTE_FIELDS + 1);
	struct imcq_route_entry *r;

	if (n == 0 || f[0].len == 0) {
		ic_anom(x, "imccopy-bad-route", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": route item without a domain", line);
		return;
	}
	if (n < IC_ROUTE_FIELDS)
		ic_anom(x, "imccopy-truncated-line", IMCQ_SEV_WARNING, off + raw.len,
			"line %" PRIu64 ": route item has %zu of %d fields "
			"(DOMAIN;HOST;N)", line, n, IC_ROUTE_FIELDS);
	else if (n > IC_ROUTE_FIELDS)
		ic_anom(x, "imccopy-bad-route", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": route item has more than %d fields",
			line, IC_ROUTE_FIELDS);
	if (n >= 2 && f[1].len == 0)
		ic_anom(x, "imccopy-bad-route", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": route item without a host", line);
	r = report_add_route(x->rep);
	r->input = x->e->input;
	r->member = xstrdup(x->e->member ? x->e->member : "");
	r->line = line;
	r->offset = off;
	r->table = "imccopy-routes";
	r->type = xstrdup("SMTP");
	r->space = span_dup(f[0]);
	r->host = n >= 2 && f[1].len ? span_dup(f[1]) : NULL;
	r->raw = span_dup(raw);
}

/* +domain,mime cs,non-mime cs,format bits,wrap col,rich text,0,size */
static void
domain_item(struct ic *x, struct span raw, struct span item, uint64_t off,
	    uint64_t line)
{
	static const char *const what[IC_DOMAIN_FIELDS] = {
		"domain", "MIME character set", "non-MIME character set",
		"formatting bits", "word-wrap column", "send rich text",
		"unused field", "message size limit",
	};
	struct span f[IC_DOMAIN_FIELDS + 1];
	size_t n = split(item, ',', f, IC_DOMAIN_FIELDS + 1);
	const unsigned char *comma = memchr(item.ptr, ',', item.len);
	struct span name = f[0], rest = { item.ptr + item.len, 0 };
	size_t k;

	if (n == 0 || f[0].len == 0) {
		ic_anom(x, "imccopy-bad-domain", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": domain item without a domain", line);
		return;
	}
	if (n < IC_DOMAIN_FIELDS)
		ic_anom(x, "imccopy-truncated-line", IMCQ_SEV_WARNING, off + raw.len,
			"line %" PRIu64 ": domain item has %zu of %d fields", line,
			n, IC_DOMAIN_FIELDS);
	else if (n > IC_DOMAIN_FIELDS)
		ic_anom(x, "imccopy-bad-domain", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": domain item has more than %d fields",
			line, IC_DOMAIN_FIELDS);
	for (k = 3; k < n && k < IC_DOMAIN_FIELDS; k++) {
		uint64_t v = 0;

		if (!span_u64(f[k], UINT64_MAX, &v))
			ic_anom(x, "imccopy-bad-domain", IMCQ_SEV_WARNING,
				off + (uint64_t)(f[k].ptr - raw.ptr),
				"line %" PRIu64 ": %s of \"%.*s\" is not a number",
				line, what[k], (int)(name.len > 100 ? 100 : name.len),
				(const char *)name.ptr);
		else if (k == 5 && v > 2)
			ic_anom(x, "imccopy-bad-domain", IMCQ_SEV_WARNING,
				off + (uint64_t)(f[k].ptr - raw.ptr),
				"line %" PRIu64 ": send-rich-text value is not 0, 1 or 2",
				line);
	}
	if (comma) {
		rest.ptr = comma + 1;
		rest.len = item.len - (size_t)(comma + 1 - item.ptr);
		rest = span_trim(rest);
	}
	add_config(x, line, "Domain", name, rest);
}

static void
list_item(struct ic *x, struct span raw, uint64_t off, uint64_t line)
{
	struct span item = { raw.ptr + 1, raw.len - 1 };

	item = span_trim(item);
	if (x->list_key == NULL)
		ic_anom(x, "imccopy-orphan-item", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": '+' item outside a list (no \"key=+\" "
			"before it)", line);
	if (x->section && imcq_strcasecmp(x->section, "Routes") == 0) {
		route_item(x, raw, item, off, line);
	} else if (x->section && imcq_strcasecmp(x->section, "Domain") == 0) {
		domain_item(x, raw, item, off, line);
	} else {
		const char *k = x->list_key ? x->list_key : "";
		struct span nm = { (const unsigned char *)k, strlen(k) };

		add_config(x, line, x->section, nm, item);
	}
}

static void
section_line(struct ic *x, struct span tl, uint64_t off, uint64_t line)
{
	struct span name = { tl.ptr + 1, tl.len - 1 };

	if (name.len && name.ptr[name.len - 1] == ']')
		name.len--;
	else
		ic_anom(x, "imccopy-truncated-line", IMCQ_SEV_WARNING, off + tl.len,
			"line %" PRIu64 ": section has no closing ']'", line);
	name = span_trim(name);
	free(x->section);
	x->section = span_dup(name);
	FREE_AND_NULL(x->list_key);
	if (span_ieq(name, "Routes"))
		x->saw_routes = true;
	else if (span_ieq(name, "Domain"))
		x->saw_domain = true;
}

static void
keyvalue_line(struct ic *x, struct span tl, const unsigned char *eq,
	      uint64_t off, uint64_t line)
{
	struct span name = { tl.ptr, (size_t)(eq - tl.ptr) };
	struct span value = { eq + 1, tl.len - (size_t)(eq + 1 - tl.ptr) };

	name = span_trim(name);
	value = span_trim(value);
	FREE_AND_NULL(x->list_key);
	if (name.len == 0) {
		ic_anom(x, "imccopy-garbage", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": '=' without a key name", line);
		return;
	}
	if (x->section == NULL)
		ic_anom(x, "imccopy-key-outside-section", IMCQ_SEV_WARNING, off,
			"line %" PRIu64 ": key before any [section]", line);
	add_config(x, line, x->section, name, value);
	if (value.len == 1 && value.ptr[0] == '+')
		x->list_key = span_dup(name);
}

static void
add_table(struct ic *x, const char *table)
{
	struct imcq_table_file *t = report_add_table(x->rep);

	t->input = x->e->input;
	t->member = xstrdup(x->e->member ? x->e->member : "");
	t->table = table;
	t->style = "ini";
	t->mtime = x->e->mtime;
	t->snapshot = x->e->snapshot;
	if (x->e->sha256)
		snprintf(t->sha256, sizeof(t->sha256), "%.64s", x->e->sha256);
	t->nlines = x->nlines;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct ic x;
	struct span t = { e->data, e->data ? e->len : 0 }, l;
	size_t pos = 0, lstart;
	uint64_t line = 0;

	memset(&x, 0, sizeof(x));
	x.e = e;
	x.rep = s->rep;
	x.lim = s->lim ? s->lim : &s->rep->lim;
	if (e->len < e->size)
		anomaly_add(x.rep, "entry-truncated", IMCQ_SEV_WARNING, e->input,
			    e->member, e->len, "only the first %zu of %" PRIu64
			    " bytes were read (--max-entry)", e->len, e->size);
	while (lstart = pos, span_next_line(t, &pos, &l)) {
		struct span tl;
		uint64_t off;
		const unsigned char *eq;

		if (++line > x.lim->lines) {
			ic_anom(&x, "line-limit", IMCQ_SEV_WARNING, lstart,
				"line limit of %u reached (--max-lines); the rest is not read",
				x.lim->lines);
			x.rep->unreadable++;	/* a cap reached: exit 1 */
			break;
		}
		x.nlines++;
		if (l.len > x.lim->line_bytes) {
			ic_anom(&x, "line-too-long", IMCQ_SEV_WARNING, lstart,
				"line %" PRIu64 " is %zu bytes, over the %zu-byte "
				"limit; skipped", line, l.len, x.lim->line_bytes);
			continue;
		}
		tl = span_trim(l);
		off = lstart + (uint64_t)(tl.ptr - l.ptr);
		if (tl.len == 0 || tl.ptr[0] == ';')
			continue;
		if (tl.ptr[0] == '[') {
			section_line(&x, tl, off, line);
		} else if (tl.ptr[0] == '+') {
			list_item(&x, tl, off, line);
		} else if ((eq = memchr(tl.ptr, '=', tl.len)) != NULL) {
			keyvalue_line(&x, tl, eq, off, line);
		} else {
			ic_anom(&x, "imccopy-garbage", IMCQ_SEV_WARNING, off,
				"line %" PRIu64 " is not a section, a key=value or "
				"a '+' item", line);
		}
	}
	if (x.saw_routes)
		add_table(&x, "imccopy-routes");
	if (x.saw_domain)
		add_table(&x, "imccopy-domain");
	if (!x.saw_routes && !x.saw_domain)
		ic_anom(&x, "imccopy-no-table", IMCQ_SEV_WARNING, 0,
			"no [Routes] or [Domain] section");
	if (x.suppressed)
		anomaly_add(x.rep, "anomalies-suppressed", IMCQ_SEV_WARNING, e->input,
			    e->member, x.first_suppressed, "%llu more anomalies in "
			    "this file were not listed", x.suppressed);
	free(x.section);
	free(x.list_key);
	return IMCQ_OK;
}

/* Text (no NUL in the bid window) with a [Routes] or [Domain] section line
 * and a DeliveryRouting= or DomainInformation= key line. */
static int
bid(const struct imcq_entry *e)
{
	size_t n = e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES;
	struct span t = { e->data, n }, l;
	size_t pos = 0;
	bool sect = false, key = false;

	if (e->data == NULL || n == 0 || memchr(e->data, 0, n))
		return 0;
	while (span_next_line(t, &pos, &l)) {
		struct span tl = span_trim(l);

		if (span_ieq(tl, "[Routes]") || span_ieq(tl, "[Domain]"))
			sect = true;
		else if (span_istarts(tl, "DeliveryRouting") ||
			 span_istarts(tl, "DomainInformation")) {
			struct span rest = { tl.ptr + 15, tl.len - 15 };

			if (span_istarts(tl, "DomainInformation")) {
				rest.ptr = tl.ptr + 17;
				rest.len = tl.len - 17;
			}
			rest = span_trim(rest);
			if (rest.len && rest.ptr[0] == '=')
				key = true;
		}
		if (sect && key)
			return 40;
	}
	return 0;
}

const struct imcq_format imcq_format_imccopy = {
	.name = "imccopy",
	.summary = "IMCCOPY -save routes|domain INI: per-domain delivery routes "
		   "and message-format table",
	.bid = bid,
	.read = read_entry,
};
