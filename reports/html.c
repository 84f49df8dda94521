/* SPDX-License-Identifier: MIT */
/*
 * html.c - report.html: the report document as one self-contained page.
 *
 * Layout (html.h): static HTML for the narrative sections and the first
 * page of each large table; a JSON data block with the report-wide part
 * of the document that the script uses; packed blocks with the inventory,
 * the message table's rows and each message's detail; then one inline
 * script (html_assets/report.js) that makes the tables sortable,
 * filterable and paged and opens the detail.  The stylesheet and the
 * script are the exact bytes of html_assets/report.css and report.js,
 * embedded at build time; the Content-Security-Policy carries their
 * SHA-256.
 *
 * Packed blocks (<script type="application/octet-stream" id="imcq-KN">,
 * kind K, number N) hold JSON (or text), compressed with raw DEFLATE
 * (html_deflate.c) and written in base64.  Per block of messages: r, the
 * message table's columns; x, their search text; q, their domains (only
 * when the page computes the queue shape).  After the script: i, the
 * inventory; d, the details.  The page inflates r when it opens (~40
 * bytes per message on the page), x at the first text filter, i when the
 * inventory comes into view, and a d block when one of its messages is
 * opened; the browser's parser reaches i and d after the table works.
 *
 * Every string read from the document is hostile.  It leaves this file
 * only through put_text() (HTML) or json_str() (data).  No style
 * attribute and no event-handler attribute is ever written (the CSP would
 * refuse them anyway); class names are taken from fixed tables, never from
 * the data.
 *
 * Determinism: no clock, no locale (numbers are formatted here), document
 * order everywhere; the only sorting is a stable one by severity.
 */
#include "reports/html.h"
#include "reports/json.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/hash.h"
#include "reports/html_assets/assets.h"
#include "reports/html_deflate.h"

#define PAGE_ROWS	100	/* rows of a paged table written statically */
#define MAX_EVIDENCE	50	/* evidence rows per finding, static */
#define MAX_IDS		60	/* spool ids listed per finding or change */
#define MAX_WHY		6	/* findings summarised in the incident */
#define MAX_QSHAPE	200	/* qshape rows, static */
#define MAX_GENERIC	200	/* rows of an auto-column table */
#define MAX_GENCOLS	10	/* columns of an auto-column table */
#define MAX_DEPTH	200	/* nesting of the data block */
#define ROW_CHUNK	4096	/* messages per packed block of table rows */
#define DETAIL_CHUNK	256	/* messages per packed block of details */
#define INV_CHUNK	4096	/* inventory members per packed block */
#define DICT_MAX	64	/* distinct queue, state and code strings per block */

static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */

/* The states of PRODUCT.md, in the order the report lists them. */
static const struct {
	const char *name;
	const char *words;
} states[] = {
	{ "awaiting-delivery", "Outgoing, waiting in Imcdata\\Out to be sent; "
	  "not expired, no sign of delivery." },
	{ "awaiting-conversion", "Incoming, waiting in Imcdata\\In to be "
	  "handed to the mailboxes." },
	{ "expired", "Older than the delivery time-out (48 hours by default) "
	  "and still queued: nobody was told it failed." },
	{ "delivered", "The logs show it reached every recipient, yet the file "
	  "is still queued: sending it again would make duplicates." },
	{ "missing", "Named by Queue.dat or a log, but no file exists "
	  "anywhere: possibly lost." },
	{ "archived", "Only an Archive copy exists (a copy kept for the "
	  "record, not a queued message)." },
	{ "pickup", "Waiting in, or rejected to, the Pickup folder." },
	{ "damaged", "Unreadable: truncated, empty, or not a message." },
};
#define NSTATES (sizeof(states) / sizeof(states[0]))

/* Finding codes of PRODUCT.md in plain words, for readers new to Exchange. */
static const struct {
	const char *code;
	const char *words;
} codes[] = {
	{ "STALE_ROUTING", "The mail server is working from an out-of-date "
	  "copy of its routing table, so mail queued under the old routes "
	  "can never leave until the queue is rebuilt." },
	{ "NO_ROUTE", "No route covers some recipients: the routing table "
	  "has no entry for their domain." },
	{ "NO_DELIVERY_ATTEMPT", "The server never even tried to deliver "
	  "these messages: the logs show no attempt since they were queued." },
	{ "NOT_IN_QUEUE_DAT", "Message files are on disk but the queue index "
	  "(Queue.dat) does not list them, so the service ignores them." },
	{ "MISSING_SPOOL_FILE", "The queue index or a log names messages whose "
	  "files are gone: they may be lost." },
	{ "DUPLICATE_RISK", "The same message is in several places, or was "
	  "already delivered: re-sending blindly would deliver it twice." },
	{ "EXPIRED", "Messages passed the delivery time-out without a "
	  "non-delivery report: their senders do not know they failed." },
	{ "BCC_IN_ENVELOPE", "Some recipients are only in the envelope (blind "
	  "copies). This is normal and listed for completeness." },
	{ "LOOP_SUSPECTED", "Messages went through too many servers, which "
	  "suggests a mail loop." },
	{ "OVERSIZED", "Messages are larger than the configured size limit." },
	{ "DNS_FAILURE", "The server could not look up the destination "
	  "in DNS." },
	{ "SMART_HOST_FAILURE", "The relay server (smart host) that this "
	  "server forwards mail to failed or refused the mail." },
	{ "REMOTE_REJECT", "The receiving servers refused the mail." },
	{ "CORRUPT_QUEUE_DAT", "The queue index Queue.dat is damaged or "
	  "inconsistent." },
};

static const char *const severities[] = { "error", "warning", "info" };

/* ---- document access: every member optional, every type checked ---- */

static const cJSON *
get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *
get_str(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *
get_arr(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return cJSON_IsArray(v) ? v : NULL;
}

static const cJSON *
get_obj(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return cJSON_IsObject(v) ? v : NULL;
}

/* Is member k there with something to show (not null, not "", not [])? */
static bool
present(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	if (v == NULL || cJSON_IsNull(v))
		return false;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	if (cJSON_IsArray(v))
		return v->child != NULL;
	return true;
}

/* Is v a whole number that a double holds exactly?  Rejects NaN. */
static bool
num_int(double v, long long *out)
{
	long long i;

	if (!(v >= -9007199254740992.0 && v <= 9007199254740992.0))
		return false;
	i = (long long)v;
	if ((double)i != v)
		return false;
	*out = i;
	return true;
}

static bool
get_int(const cJSON *o, const char *k, long long *out)
{
	const cJSON *v = get(o, k);

	return cJSON_IsNumber(v) && num_int(v->valuedouble, out);
}

static long long
arr_len(const cJSON *a)
{
	return a != NULL ? cJSON_GetArraySize(a) : 0;
}

static int
sev_rank(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, severities[i]) == 0)
			return (int)i;
	return 3;
}

static const char *
code_words(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i].code) == 0)
			return codes[i].words;
	return NULL;
}

static int
state_index(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < NSTATES; i++)
		if (strcmp(s, states[i].name) == 0)
			return (int)i;
	return -1;
}

/* ---- number formatting (by hand: no locale, same as report.js) ---- */

/* "100,000" */
static void
fmt_count(char out[32], long long n)
{
	char tmp[32];
	int len, i, j = 0;
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n
				   : (unsigned long long)n;

	len = snprintf(tmp, sizeof(tmp), "%llu", u);
	if (n < 0)
		out[j++] = '-';
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = tmp[i];
	}
	out[j] = '\0';
}

/* "812 B", "1.2 KB", ... (1024-based, tenths rounded half up) */
static void
fmt_size(char out[32], long long n)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB" };
	unsigned long long d = 1024, t;
	int k = 0;

	if (n < 1024) {
		snprintf(out, 32, "%lld B", n);
		return;
	}
	while (k < 3 && (unsigned long long)n >= d * 1024) {
		d *= 1024;
		k++;
	}
	t = ((unsigned long long)n * 10 + d / 2) / d;
	snprintf(out, 32, "%llu.%llu %s", t / 10, t % 10, unit[k]);
}

/* "42s", "17m", "5h 03m", "3d 07h" */
static void
fmt_age(char out[32], long long s)
{
	const char *sign = "";

	if (s < 0) {
		sign = "-";
		s = s == LLONG_MIN ? LLONG_MAX : -s;
	}
	if (s < 60)
		snprintf(out, 32, "%s%llds", sign, s);
	else if (s < 3600)
		snprintf(out, 32, "%s%lldm", sign, s / 60);
	else if (s < 86400)
		snprintf(out, 32, "%s%lldh %02lldm", sign, s / 3600,
			 s % 3600 / 60);
	else
		snprintf(out, 32, "%s%lldd %02lldh", sign, s / 86400,
			 s % 86400 / 3600);
}

/* ---- escaping ---- */

/*
 * Length of the valid UTF-8 sequence at p (1 to 4), its code point in
 * *cp; 0 if the bytes are not valid UTF-8 (overlong, surrogate, too big,
 * truncated).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t v;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/*
 * HTML text and attribute values: & < > " ' become entities; invalid
 * UTF-8 and control characters (C0 but tab and line ends, DEL, C1) become
 * U+FFFD.  The only way data reaches the markup.
 */
static void
put_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	uint32_t cp;

	while (i < n) {
		/* runs of bytes that need no escape are copied in one write */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '&' && p[i] != '<' &&
		    p[i] != '>' && p[i] != '"' && p[i] != '\'') {
			i++;
			continue;
		}
		len = utf8_seq(p + i, n - i, &cp);
		if (p[i] >= 0x80 && len != 0 && cp > 0x9f) {
			i += len;
			continue;
		}
		fwrite(p + run, 1, i - run, f);
		if (len == 0) {		/* invalid UTF-8 */
			fputs(repl, f);
			len = 1;
		} else if (cp == '\t' || cp == '\n' || cp == '\r')
			putc((int)cp, f);
		else if (cp == '&')
			fputs("&amp;", f);
		else if (cp == '<')
			fputs("&lt;", f);
		else if (cp == '>')
			fputs("&gt;", f);
		else if (cp == '"')
			fputs("&quot;", f);
		else if (cp == '\'')
			fputs("&#39;", f);
		else	/* C0, DEL, C1 */
			fputs(repl, f);
		i += len;
		run = i;
	}
	fwrite(p + run, 1, i - run, f);
}

static void
put_str(FILE *f, const char *s)
{
	if (s != NULL)
		put_text(f, s, strlen(s));
}

static void
put_ll(FILE *f, long long v)
{
	fprintf(f, "%lld", v);
}

static void
put_count(FILE *f, long long v)
{
	char b[32];

	fmt_count(b, v);
	fputs(b, f);
}

/* Any value as text: arrays joined by ", ", objects as compact JSON. */
static void
put_val(FILE *f, const cJSON *v)
{
	const cJSON *e;
	long long i;
	char *s;
	bool first = true;

	if (v == NULL || cJSON_IsNull(v))
		return;
	if (cJSON_IsString(v)) {
		put_str(f, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		if (num_int(v->valuedouble, &i))
			put_ll(f, i);
		else
			fprintf(f, "%.15g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		fputs(cJSON_IsTrue(v) ? "true" : "false", f);
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			if (!first)
				fputs(", ", f);
			first = false;
			put_val(f, e);
		}
	} else if (cJSON_IsObject(v)) {
		s = cJSON_PrintUnformatted(v);
		put_str(f, s);
		cJSON_free(s);
	}
}

/* POSIX shell word, single-quoted when needed, then HTML-escaped. */
static void
put_shell_word(FILE *f, const char *s)
{
	const char *p;
	bool plain = *s != '\0';

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_./:@%+=,-", *p)))
			plain = false;
	if (plain) {
		put_str(f, s);
		return;
	}
	fputs("&#39;", f);
	for (p = s; *p != '\0'; p++) {
		const char *q = strchr(p, '\'');
		size_t n = q != NULL ? (size_t)(q - p) : strlen(p);

		put_text(f, p, n);
		p += n;
		if (*p == '\0')
			break;
		fputs("&#39;\\&#39;&#39;", f);
	}
	fputs("&#39;", f);
}

/* A link to one message by spool id: "#id=" and the id percent-encoded. */
static void
put_id_link(FILE *f, const char *id)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *p;

	fputs("<a class=\"id\" href=\"#id=", f);
	for (p = (const unsigned char *)id; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			putc(*p, f);
		else
			fprintf(f, "%%%c%c", hx[*p >> 4], hx[*p & 15]);
	}
	fputs("\">", f);
	put_str(f, id);
	fputs("</a>", f);
}

static void
put_state_badge(FILE *f, const char *st)
{
	int i = state_index(st);

	fprintf(f, "<span class=\"st st-%s\">",
		i >= 0 ? states[i].name : "other");
	put_str(f, st);
	fputs("</span>", f);
}

static void
put_sev_badge(FILE *f, const char *sev)
{
	int r = sev_rank(sev);

	fprintf(f, "<span class=\"sev sev-%s\">", r < 3 ? severities[r] : "other");
	put_str(f, sev != NULL ? sev : "?");
	fputs("</span>", f);
}

/* ---- data block ---- */

/*
 * A JSON string of s[0..n).  display: as report.js shows text, control
 * characters (C0 but tab and line ends, DEL, C1) become U+FFFD, so that
 * the page need not replace them itself.
 */
static void
json_strn(FILE *f, const char *s, size_t n, bool display)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	uint32_t cp;

	putc('"', f);
	while (i < n) {
		/* runs of bytes that need no escape are copied in one write */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' &&
		    p[i] != '<' && p[i] != '>' && p[i] != '&') {
			i++;
			continue;
		}
		len = utf8_seq(p + i, n - i, &cp);
		if (p[i] >= 0x80 && len != 0 && cp != 0x2028 && cp != 0x2029 &&
		    (!display || cp > 0x9f)) {
			i += len;
			continue;
		}
		fwrite(p + run, 1, i - run, f);
		if (len == 0 || (display && (cp == 0x7f || (cp >= 0x80 &&
		    cp <= 0x9f) || (cp < 0x20 && cp != '\t' && cp != '\n' &&
		    cp != '\r')))) {
			fputs("\\ufffd", f);
			if (len == 0)
				len = 1;
		} else {
			switch (cp) {
			case '"': fputs("\\\"", f); break;
			case '\\': fputs("\\\\", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			default:	/* < > & U+2028 U+2029, controls */
				fprintf(f, "\\u%04x", (unsigned)cp);
			}
		}
		i += len;
		run = i;
	}
	fwrite(p + run, 1, i - run, f);
	putc('"', f);
}

static void
json_str(FILE *f, const char *s)
{
	json_strn(f, s, strlen(s), false);
}

/* A cJSON_Raw member: < > & and U+2028/9 can only be inside its strings. */
static void
json_raw(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			fputs("\\u003c", f);
		else if (*s == '>')
			fputs("\\u003e", f);
		else if (*s == '&')
			fputs("\\u0026", f);
		else if (s[0] == '\xe2' && s[1] == '\x80' &&
			 (s[2] == '\xa8' || s[2] == '\xa9')) {
			fputs(s[2] == '\xa8' ? "\\u2028" : "\\u2029", f);
			s += 2;
		} else
			putc(*s, f);
	}
}

static void
json_num(FILE *f, double v)
{
	char b[64];
	long long i;

	if (num_int(v, &i)) {
		put_ll(f, i);
		return;
	}
	if (!(v == v) || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		fputs("null", f);
		return;
	}
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	fputs(b, f);
}

static void json_value(FILE *f, const cJSON *v, int depth);

/* The elements of a lazy array of the shell, printed as they are built. */
struct lazy_out {
	FILE *f;
	int depth;
	bool first;
};

static bool
lazy_value(void *ctx, cJSON *item)
{
	struct lazy_out *lo = ctx;

	if (!lo->first)
		putc(',', lo->f);
	lo->first = false;
	json_value(lo->f, item, lo->depth);
	cJSON_Delete(item);
	return true;
}

static void
json_value(FILE *f, const cJSON *v, int depth)
{
	const cJSON *e;
	bool first = true;

	if (v == NULL || depth > MAX_DEPTH) {
		fputs("null", f);
	} else if (cJSON_IsString(v)) {
		json_str(f, v->valuestring != NULL ? v->valuestring : "");
	} else if (cJSON_IsNumber(v)) {
		json_num(f, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		fputs(cJSON_IsTrue(v) ? "true" : "false", f);
	} else if (cJSON_IsRaw(v) && v->valuestring != NULL) {
		json_raw(f, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		putc('[', f);
		if (v->child == NULL) {
			struct lazy_out lo = { f, depth + 1, true };

			json_lazy_each(v, lazy_value, &lo);	/* json.h */
		}
		cJSON_ArrayForEach(e, v) {
			if (!first)
				putc(',', f);
			first = false;
			json_value(f, e, depth + 1);
		}
		putc(']', f);
	} else if (cJSON_IsObject(v)) {
		putc('{', f);
		cJSON_ArrayForEach(e, v) {
			if (!first)
				putc(',', f);
			first = false;
			json_str(f, e->string != NULL ? e->string : "");
			putc(':', f);
			json_value(f, e, depth + 1);
		}
		putc('}', f);
	} else {
		fputs("null", f);
	}
}

/* ---- what the sections share ---- */

/* A packed block being filled: JSON arrays in memory (open_memstream),
 * one per column. */
#define MAX_COLS	11
struct pack {
	FILE *f[MAX_COLS];	/* NULL: no item since the last block */
	char *buf[MAX_COLS];
	size_t len[MAX_COLS];
	const char *const *names;	/* of the columns; NULL: one array */
	int ncols;
	bool text;		/* one column of text: items as written */
	size_t n;		/* items in the block */
	unsigned k;		/* blocks written */
	char kind;		/* id "imcq-" kind k */
};

struct sbuf {
	char *p;
	size_t len, cap;
};

struct page {
	FILE *f;
	const cJSON *doc;
	const cJSON *messages;		/* array or NULL */
	const struct html_msgs *ms;	/* streamed messages, or NULL */
	struct pack rows, hay, domains, details;
	char *dict[DICT_MAX];		/* of the rows' block being filled */
	int ndict;
	bool need_domains;		/* report.js computes the queue shape */
	FILE *after;			/* what follows the script */
	FILE *tmp;			/* holds it meanwhile, or NULL */
	const cJSON *findings;		/* report-wide, array or NULL */
	long long nmsg;
	long long by_state[NSTATES];
	long long other_states;		/* states outside the vocabulary */
	long long stuck;		/* awaiting-*, expired */
	char *oldest;			/* earliest queue_time of a stuck one */
	long long max_age;		/* -1: unknown */
};

static bool
is_stuck(int st)
{
	return st == 0 || st == 1 || st == 2;
}

/* One message's part of the page summary (by == NULL: count its state). */
static void
page_note(struct page *pg, const cJSON *m, const cJSON *by)
{
	const char *qt;
	long long age;
	int st;

	st = state_index(get_str(m, "state"));
	if (by == NULL) {
		if (st >= 0)
			pg->by_state[st]++;
		else
			pg->other_states++;
	}
	if (!is_stuck(st))
		return;
	qt = get_str(m, "queue_time");
	if (qt != NULL && *qt != '\0' &&
	    (pg->oldest == NULL || strcmp(qt, pg->oldest) < 0)) {
		free(pg->oldest);
		pg->oldest = strdup(qt);
		if (pg->oldest == NULL)
			abort();
	}
	if (get_int(m, "age_seconds", &age) && age > pg->max_age)
		pg->max_age = age;
}

static void
page_init(struct page *pg, FILE *f, const cJSON *doc, const struct html_msgs *ms)
{
	const cJSON *m, *by, *e;
	long long n;
	size_t i;
	int st;

	memset(pg, 0, sizeof(*pg));
	pg->f = f;
	pg->doc = doc;
	pg->ms = ms;
	pg->messages = ms ? NULL : get_arr(doc, "messages");
	pg->findings = get_arr(doc, "findings");
	pg->nmsg = ms ? (long long)ms->n : arr_len(pg->messages);
	pg->max_age = -1;
	by = get_obj(get_obj(doc, "summary"), "by_state");
	if (by != NULL) {
		cJSON_ArrayForEach(e, by) {
			if (!cJSON_IsNumber(e) || !num_int(e->valuedouble, &n))
				continue;
			st = state_index(e->string);
			if (st >= 0)
				pg->by_state[st] += n;
			else
				pg->other_states += n;
		}
	}
	cJSON_ArrayForEach(m, pg->messages)
		page_note(pg, m, by);
	for (i = 0; ms != NULL && i < ms->n; i++) {
		cJSON *b = ms->brief(ms->user, i);

		page_note(pg, b, by);
		cJSON_Delete(b);
	}
	pg->stuck = pg->by_state[0] + pg->by_state[1] + pg->by_state[2];
}

static void
section_open(FILE *f, const char *id, const char *title)
{
	fprintf(f, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
}

static void
section_close(FILE *f)
{
	fputs("</section>\n", f);
}

/* "input, member, offset N, line N" of an evidence or anomaly item. */
static void
put_where(FILE *f, const cJSON *ev)
{
	long long n;
	const cJSON *member = get(ev, "member");

	if (member != NULL) {
		fputs("<span class=\"mono\">", f);
		put_val(f, member);
		fputs("</span>", f);
	} else {
		put_val(f, get(ev, "input"));
	}
	if (get_int(ev, "line", &n))
		fprintf(f, ", line %lld", n);
	else if (get_int(ev, "offset", &n))
		fprintf(f, ", offset %lld", n);
}

/* The Copy button sits in front of the block it copies (report.js). */
static void
cmd_block_open(FILE *f)
{
	fputs("<div class=\"cmd\"><button type=\"button\" class=\"copy "
	      "js-only\">Copy</button><pre><code>", f);
}

static void
cmd_block_close(FILE *f)
{
	fputs("</code></pre></div>\n", f);
}

/* ---- 1. the incident ---- */

static void
why_list(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *fi, *ev;
	const char *words, *code;
	int r, shown = 0;

	if (arr_len(pg->findings) == 0)
		return;
	fputs("<ul class=\"why\">\n", f);
	for (r = 0; r <= 3 && shown < MAX_WHY; r++) {
		if (r >= 2 && shown > 0)	/* info only if nothing worse */
			break;
		cJSON_ArrayForEach(fi, pg->findings) {
			if (sev_rank(get_str(fi, "severity")) != r)
				continue;
			if (shown == MAX_WHY)
				break;
			shown++;
			code = get_str(fi, "code");
			words = code_words(code);
			fputs("<li>", f);
			put_sev_badge(f, get_str(fi, "severity"));
			fputs(" <code>", f);
			put_str(f, code);
			fputs("</code> ", f);
			if (words != NULL) {
				fputs("<strong>", f);
				put_str(f, words);
				fputs("</strong> ", f);
			}
			put_str(f, get_str(fi, "message"));
			if (present(fi, "reference")) {
				fputs(" <span class=\"kb\">Microsoft KB ", f);
				put_val(f, get(fi, "reference"));
				fputs("</span>", f);
			}
			ev = cJSON_GetArrayItem(get_arr(fi, "evidence"), 0);
			if (ev != NULL) {
				fputs("<br><span class=\"muted\">Evidence: ", f);
				put_where(f, ev);
				if (get_str(ev, "excerpt") != NULL) {
					fputs(": <q class=\"mono\">", f);
					put_str(f, get_str(ev, "excerpt"));
					fputs("</q>", f);
				}
				fputs("</span>", f);
			}
			fputs("</li>\n", f);
		}
	}
	fputs("</ul>\n<p><a href=\"#findings\">All findings, with every piece "
	      "of evidence</a></p>\n", f);
}

static bool
has_finding(const struct page *pg, const char *code)
{
	const cJSON *fi;
	const char *ref;

	cJSON_ArrayForEach(fi, pg->findings) {
		if (strcmp(code, "STALE_ROUTING") == 0) {
			ref = get_str(fi, "reference");
			if (ref != NULL && strstr(ref, "Q268494") != NULL)
				return true;
		}
		if (get_str(fi, "code") != NULL &&
		    strcmp(get_str(fi, "code"), code) == 0)
			return true;
	}
	return false;
}

static void
put_inputs_words(struct page *pg)
{
	const cJSON *in;
	const char *path;
	bool any = false;

	cJSON_ArrayForEach(in, get_arr(pg->doc, "inputs")) {
		path = get_str(in, "path");
		if (path == NULL)
			continue;
		putc(' ', pg->f);
		put_shell_word(pg->f, path);
		any = true;
	}
	if (!any)
		fputs(" INPUT", pg->f);
}

static void
put_where_stuck(struct page *pg)
{
	FILE *f = pg->f;
	int i, n = 0;

	fputs("--where &#39;", f);
	for (i = 0; i < 3; i++) {
		if (pg->by_state[i] == 0 && pg->stuck != 0)
			continue;
		fprintf(f, "%sstate = %s", n++ ? " or " : "", states[i].name);
	}
	fputs("&#39;", f);
}

/* Recovery composed from the findings, when the document has none. */
static void
recovery_composed(struct page *pg)
{
	FILE *f = pg->f;
	bool stale = has_finding(pg, "STALE_ROUTING");

	if (pg->stuck == 0 && pg->by_state[3] == 0)
		return;
	fputs("<h3>How to recover</h3>\n", f);
	if (stale) {
		fputs("<p>Microsoft's documented fix (KB Q268494), in order:</p>\n"
		      "<ol class=\"steps\">\n"
		      "<li>Stop the Internet Mail Service on the server that "
		      "holds the queue.</li>\n"
		      "<li>In Exchange Administrator, open that server's MTA "
		      "properties and click <em>Recalculate Routing</em> "
		      "(General tab); let the new routing table replicate.</li>\n"
		      "<li>Move every file out of <code>Imcdata\\Out</code> to a "
		      "safe place (keep it: it is the evidence).</li>\n"
		      "<li>Delete <code>Imcdata\\Queue.dat</code>.</li>\n"
		      "<li>Start the Internet Mail Service and send a test "
		      "message.</li>\n"
		      "<li>Send the stuck messages again. Re-inject them "
		      "through the Pickup folder with <code>imcq recover</code> "
		      "rather than copying them back into <code>Out</code>: "
		      "recipients who already got a message are left out, so "
		      "nobody receives it twice.</li>\n</ol>\n", f);
		fputs("<p>On the Exchange server (Windows command prompt; adjust "
		      "<code>C:\\exchsrvr</code> to where Exchange is "
		      "installed):</p>\n", f);
		cmd_block_open(f);
		fputs("net stop MSExchangeIMC\n"
		      "rem Exchange Administrator: server &gt; MTA &gt; "
		      "General &gt; Recalculate Routing\n"
		      "mkdir C:\\imcq-evidence\\out\n"
		      "move C:\\exchsrvr\\imcdata\\out\\* "
		      "C:\\imcq-evidence\\out\\\n"
		      "del C:\\exchsrvr\\imcdata\\queue.dat\n"
		      "net start MSExchangeIMC", f);
		cmd_block_close(f);
	} else {
		fputs("<p>Review the findings below first: they say what "
		      "blocks delivery. Once the cause is fixed, re-send the "
		      "stuck messages through the Pickup folder. Recipients "
		      "that the logs show as delivered are left out, so "
		      "nobody receives a message twice.</p>\n", f);
	}
	fputs("<p>With imcq, on the analysis machine: list the stuck "
	      "messages, write them as Pickup files, then copy those into "
	      "<code>Imcdata\\Pickup</code> on the server:</p>\n", f);
	cmd_block_open(f);
	fputs("imcq list ", f);
	put_where_stuck(pg);
	put_inputs_words(pg);
	fputs("\nimcq recover --to pickup --out recovered ", f);
	put_where_stuck(pg);
	put_inputs_words(pg);
	cmd_block_close(f);
	if (stale) {
		cmd_block_open(f);
		fputs("copy recovered\\*.eml C:\\exchsrvr\\imcdata\\pickup\\", f);
		cmd_block_close(f);
	}
}

/* One line of the incident: "<li><strong>N</strong> words</li>", if N. */
static void
put_n(FILE *f, long long n, const char *one, const char *many)
{
	if (n <= 0)
		return;
	fputs("<li><strong>", f);
	put_count(f, n);
	fputs("</strong> ", f);
	fputs(n == 1 ? one : many, f);
	fputs("</li>\n", f);
}

static void
incident_composed(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *by_dom, *d;
	const char *ref = get_str(pg->doc, "reference_time");
	char age[32];
	long long n, ndom, shown = 0;

	fputs("<p class=\"headline\">", f);
	if (pg->nmsg == 0 && pg->stuck == 0) {
		fputs("No queued message was found in the evidence.", f);
	} else if (pg->stuck > 0) {
		put_count(f, pg->stuck);
		fputs(pg->stuck == 1 ? " e-mail message is stuck in the queues "
		      "of the Internet Mail Service and has not reached its "
		      "recipients." : " e-mail messages are stuck in the queues "
		      "of the Internet Mail Service and have not reached their "
		      "recipients.", f);
	} else {
		fputs("No message is waiting for delivery; ", f);
		put_count(f, pg->nmsg);
		fputs(pg->nmsg == 1 ? " message file was found (see its state "
		      "below)." : " message files were found (see their states "
		      "below).", f);
	}
	fputs("</p>\n<ul class=\"plain\">\n", f);
	fputs("<li>The <strong>Internet Mail Service</strong> (IMS) is the "
	      "part of Microsoft Exchange 4.0, 5.0 and 5.5 that sends mail to "
	      "and receives mail from the Internet. It keeps every message it "
	      "has not yet passed on as a file in <code>Imcdata\\Out</code> "
	      "(outgoing) or <code>Imcdata\\In</code> (incoming), and lists "
	      "them in its index <code>Imcdata\\Queue.dat</code>.</li>\n", f);
	put_n(f, pg->by_state[0], "outgoing message is waiting to be sent.",
	      "outgoing messages are waiting to be sent.");
	put_n(f, pg->by_state[2], "outgoing message waited longer than the "
	      "delivery time-out (48 hours by default) and expired without a "
	      "non-delivery report: its sender was never told.",
	      "outgoing messages waited longer than the delivery time-out (48 "
	      "hours by default) and expired without a non-delivery report: "
	      "their senders were never told.");
	put_n(f, pg->by_state[1], "incoming message is waiting to be handed to "
	      "the mailboxes.", "incoming messages are waiting to be handed to "
	      "the mailboxes.");
	put_n(f, pg->by_state[3], "message was delivered but is still queued: "
	      "sending it again would give its recipients a second copy.",
	      "messages were delivered but are still queued: sending them "
	      "again would give their recipients a second copy.");
	put_n(f, pg->by_state[4], "message is named by the queue index or the "
	      "logs but its file is gone: it may be lost.", "messages are "
	      "named by the queue index or the logs but their files are gone: "
	      "they may be lost.");
	put_n(f, pg->by_state[7], "file is damaged and could not be read as a "
	      "message.", "files are damaged and could not be read as "
	      "messages.");
	if (pg->stuck > 0 && (pg->oldest != NULL || pg->max_age >= 0)) {
		fputs("<li>The oldest stuck message ", f);
		if (pg->oldest != NULL) {
			fputs("was queued on <time>", f);
			put_str(f, pg->oldest);
			fputs("</time>", f);
		}
		if (pg->max_age >= 0) {
			fmt_age(age, pg->max_age);
			fprintf(f, "%shad waited %s", pg->oldest ? " and " : "",
				age);
			if (ref != NULL) {
				fputs(" by <time>", f);
				put_str(f, ref);
				fputs("</time>, the newest time in the evidence", f);
			}
		}
		fputs(".</li>\n", f);
	}
	by_dom = get_arr(get_obj(pg->doc, "summary"), "by_domain");
	ndom = arr_len(by_dom);
	if (ndom > 0) {
		fputs("<li>The queued mail is addressed to ", f);
		cJSON_ArrayForEach(d, by_dom) {
			if (shown == 3)
				break;
			if (shown > 0)
				fputs(shown + 1 == ndom ? " and " : ", ", f);
			fputs("<span class=\"mono\">", f);
			put_str(f, get_str(d, "domain"));
			fputs("</span>", f);
			if (get_int(d, "messages", &n)) {
				fputs(" (", f);
				put_count(f, n);
				fputs(")", f);
			}
			shown++;
		}
		if (ndom > 3) {
			fputs(" and ", f);
			put_count(f, ndom - 3);
			fputs(ndom - 3 == 1 ? " other domain" : " other domains", f);
		}
		fputs(".</li>\n", f);
	}
	fputs("</ul>\n", f);
	if (arr_len(pg->findings) > 0)
		fputs("<h3>Why</h3>\n", f);
	why_list(pg);
	recovery_composed(pg);
}

/* doc.incident: headline, summary_lines[], cause, since, kb[], recover_commands[] */
static void
incident_given(struct page *pg, const cJSON *inc)
{
	FILE *f = pg->f;
	const cJSON *e, *cmds = get_arr(inc, "recover_commands");
	bool open = false, first = true;

	fputs("<p class=\"headline\">", f);
	put_val(f, get(inc, "headline"));
	fputs("</p>\n", f);
	if (arr_len(get_arr(inc, "summary_lines")) > 0) {
		fputs("<ul class=\"plain\">\n", f);
		cJSON_ArrayForEach(e, get_arr(inc, "summary_lines")) {
			fputs("<li>", f);
			put_val(f, e);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	} else if (present(inc, "summary_lines")) {
		fputs("<p>", f);
		put_val(f, get(inc, "summary_lines"));
		fputs("</p>\n", f);
	}
	if (present(inc, "since")) {
		fputs("<p><strong>Since:</strong> <time>", f);
		put_val(f, get(inc, "since"));
		fputs("</time></p>\n", f);
	}
	if (present(inc, "cause") || arr_len(pg->findings) > 0) {
		fputs("<h3>Why</h3>\n", f);
		if (present(inc, "cause")) {
			fputs("<p class=\"cause\">", f);
			put_val(f, get(inc, "cause"));
			fputs("</p>\n", f);
		}
		why_list(pg);
	}
	if (present(inc, "kb")) {
		fputs("<p><strong>Microsoft Knowledge Base:</strong> ", f);
		cJSON_ArrayForEach(e, get_arr(inc, "kb")) {
			if (!first)
				fputs(", ", f);
			first = false;
			if (cJSON_IsObject(e)) {
				put_val(f, get(e, "id"));
				if (present(e, "title")) {
					fputs(" (", f);
					put_val(f, get(e, "title"));
					fputs(")", f);
				}
			} else {
				put_val(f, e);
			}
		}
		if (!cJSON_IsArray(get(inc, "kb")))
			put_val(f, get(inc, "kb"));
		fputs("</p>\n", f);
	}
	if (arr_len(cmds) == 0) {
		recovery_composed(pg);
		return;
	}
	fputs("<h3>How to recover</h3>\n", f);
	/* Strings run together into one block; objects say what they do. */
	cJSON_ArrayForEach(e, cmds) {
		if (cJSON_IsObject(e)) {
			if (open)
				cmd_block_close(f);
			open = false;
			if (present(e, "description")) {
				fputs("<p>", f);
				put_val(f, get(e, "description"));
				fputs("</p>\n", f);
			}
			cmd_block_open(f);
			put_val(f, get(e, "command") != NULL ? get(e, "command")
							     : get(e, "commands"));
			cmd_block_close(f);
			continue;
		}
		if (!open)
			cmd_block_open(f);
		else
			putc('\n', f);
		open = true;
		put_val(f, e);
	}
	if (open)
		cmd_block_close(f);
}

static void
write_glossary(FILE *f)
{
	fputs("<details class=\"glossary\"><summary>Terms used in this "
	      "report</summary>\n<dl>\n"
	      "<dt>Internet Mail Service (IMS)</dt><dd>The part of Microsoft "
	      "Exchange 4.0, 5.0 and 5.5 that exchanges mail with the Internet "
	      "(SMTP). Its working folder is <code>Exchsrvr\\Imcdata</code>.</dd>\n"
	      "<dt>Spool file, spool ID</dt><dd>Each queued message is one "
	      "file, named by an 8-character spool ID such as "
	      "<code>3SW32JRP</code>. The same ID appears in the logs.</dd>\n"
	      "<dt>Out, In</dt><dd>The folders of outgoing messages waiting "
	      "to be sent, and of incoming messages waiting for the "
	      "mailboxes.</dd>\n"
	      "<dt>Queue.dat</dt><dd>The IMS's index of its queues. A file it "
	      "does not list is ignored until the index is rebuilt (by deleting "
	      "it while the service is stopped).</dd>\n"
	      "<dt>Routing table (GWART, Route.txt)</dt><dd>Tells Exchange "
	      "which connector or server carries mail for which addresses. The "
	      "IMS works from its own copy and can fall behind.</dd>\n"
	      "<dt>Pickup folder</dt><dd>A folder (Exchange 5.5) where a "
	      "message file dropped in is sent as if it had arrived by SMTP: "
	      "the safe way to re-send recovered mail.</dd>\n"
	      "<dt>NDR</dt><dd>Non-delivery report: the bounce a sender "
	      "receives when mail cannot be delivered.</dd>\n"
	      "<dt>KB Q268494</dt><dd>An article of the Microsoft Knowledge "
	      "Base; the number identifies it.</dd>\n"
	      "<dt>Offset</dt><dd>Position in bytes inside a file or archive "
	      "member, counted from 0, where a fact was read.</dd>\n"
	      "</dl>\n</details>\n", f);
}

static void
write_incident(struct page *pg)
{
	const cJSON *inc = get_obj(pg->doc, "incident");

	section_open(pg->f, "incident", "1. What happened");
	if (inc != NULL)
		incident_given(pg, inc);
	else
		incident_composed(pg);
	write_glossary(pg->f);
	section_close(pg->f);
}

/* ---- 2. counts by state ---- */

static void
write_states(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *by, *e;
	long long n, total = 0;
	size_t i;

	section_open(f, "states", "2. Messages by state");
	fputs("<table class=\"states\">\n<thead><tr><th>State</th>"
	      "<th class=\"num\">Messages</th><th class=\"barcol\"></th>"
	      "<th>Meaning</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < NSTATES; i++) {
		n = pg->by_state[i];
		total += n;
		fprintf(f, "<tr%s><td>", n == 0 ? " class=\"zero\"" : "");
		put_state_badge(f, states[i].name);
		if (n > 0)
			fprintf(f, " <button type=\"button\" class=\"link "
				"js-only\" data-state=\"%s\">show</button>",
				states[i].name);
		fputs("</td><td class=\"num\">", f);
		put_count(f, n);
		fprintf(f, "</td><td class=\"barcol\"><span class=\"bar\" "
			"data-n=\"%lld\"></span></td><td>", n);
		put_str(f, states[i].words);
		fputs("</td></tr>\n", f);
	}
	by = get_obj(get_obj(pg->doc, "summary"), "by_state");
	if (pg->other_states > 0 && by != NULL) {
		cJSON_ArrayForEach(e, by) {
			if (state_index(e->string) >= 0 || !cJSON_IsNumber(e) ||
			    !num_int(e->valuedouble, &n))
				continue;
			total += n;
			fputs("<tr><td>", f);
			put_state_badge(f, e->string);
			fputs("</td><td class=\"num\">", f);
			put_count(f, n);
			fprintf(f, "</td><td class=\"barcol\"><span class=\"bar\" "
				"data-n=\"%lld\"></span></td><td></td></tr>\n", n);
		}
	} else if (pg->other_states > 0) {
		total += pg->other_states;
		fputs("<tr><td>other</td><td class=\"num\">", f);
		put_count(f, pg->other_states);
		fprintf(f, "</td><td class=\"barcol\"><span class=\"bar\" "
			"data-n=\"%lld\"></span></td><td>States outside the "
			"vocabulary of this report.</td></tr>\n",
			pg->other_states);
	}
	fputs("</tbody>\n<tfoot><tr><th>Total</th><th class=\"num\">", f);
	put_count(f, total);
	fputs("</th><th></th><th></th></tr></tfoot>\n</table>\n", f);
	section_close(f);
}

/* ---- 3. qshape ---- */

static void
put_bucket_label(FILE *f, const cJSON *b)
{
	if (cJSON_IsObject(b))
		put_val(f, get(b, "label"));
	else
		put_val(f, b);
}

static void
qshape_row(FILE *f, bool sum, const cJSON *domain, long long total,
	   const long long *cnt, const cJSON *counts, int nb)
{
	const cJSON *c;
	long long n;
	int i;

	if (sum || (cJSON_IsString(domain) &&
		    strcmp(domain->valuestring, "TOTAL") == 0))
		fputs("<tr class=\"sum\"><th scope=\"row\">TOTAL", f);
	else {
		fputs("<tr><th scope=\"row\" class=\"mono\">", f);
		put_val(f, domain);
	}
	fputs("</th><td class=\"num total\">", f);
	put_count(f, total);
	fputs("</td>", f);
	for (i = 0; i < nb; i++) {
		n = 0;
		if (cnt != NULL) {
			n = cnt[i];
		} else {
			c = cJSON_GetArrayItem(counts, i);
			if (!cJSON_IsNumber(c) || !num_int(c->valuedouble, &n))
				n = 0;
		}
		fprintf(f, "<td class=\"num%s\">", n == 0 ? " zero" : "");
		put_count(f, n);
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

static void
write_qshape(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *qs = get_obj(get_obj(pg->doc, "summary"), "qshape");
	const cJSON *buckets, *rows, *r, *b, *c, *dom;
	long long *tot = NULL, n, total = 0, nrows;
	int nb, i, shown = 0;
	bool has_total = false;

	section_open(f, "qshape", "3. Queue shape: destination domain "
		     "&times; time in queue");
	fputs("<p class=\"note\">In the manner of Postfix&#39;s "
	      "<code>qshape</code>: one row per destination domain, one column "
	      "per age (a column headed <em>40m</em> counts messages queued "
	      "for more than the previous column&#39;s age and at most 40 "
	      "minutes). A message counts once for each domain it is "
	      "addressed to. Archived, missing and damaged copies are left "
	      "out.</p>\n", f);
	buckets = get_arr(qs, "buckets");
	rows = get_arr(qs, "rows");
	if (qs == NULL || buckets == NULL || rows == NULL) {
		pg->need_domains = true;
		fputs("<div id=\"qshape-js\" class=\"scroll\"><p class=\"muted\">"
		      "This table is computed by the page&#39;s script from "
		      "the message list.</p></div>\n", f);
		section_close(f);
		return;
	}
	nb = cJSON_GetArraySize(buckets);
	if (nb > 64)
		nb = 64;
	tot = calloc((size_t)nb + 1, sizeof(*tot));
	cJSON_ArrayForEach(r, rows) {
		const char *d = get_str(r, "domain");

		if (d != NULL && strcmp(d, "TOTAL") == 0)
			has_total = true;
		if (get_int(r, "total", &n))
			total += n;
		for (i = 0; i < nb && tot != NULL; i++) {
			c = cJSON_GetArrayItem(get_arr(r, "counts"), i);
			if (cJSON_IsNumber(c) && num_int(c->valuedouble, &n))
				tot[i] += n;
		}
	}
	fputs("<div class=\"scroll\"><table class=\"qshape\">\n<thead><tr>"
	      "<th>Domain</th><th class=\"num\">Total</th>", f);
	cJSON_ArrayForEach(b, buckets) {
		fputs("<th class=\"num\">", f);
		put_bucket_label(f, b);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	if (!has_total && tot != NULL)
		qshape_row(f, true, NULL, total, tot, NULL, nb);
	nrows = arr_len(rows);
	cJSON_ArrayForEach(r, rows) {
		if (shown++ == MAX_QSHAPE)
			break;
		dom = get(r, "domain");
		if (!get_int(r, "total", &n))
			n = 0;
		qshape_row(f, false, dom, n, NULL,
			   get_arr(r, "counts"), nb);
	}
	fputs("</tbody>\n</table></div>\n", f);
	if (nrows > MAX_QSHAPE) {
		fputs("<p class=\"muted\">", f);
		put_count(f, nrows - MAX_QSHAPE);
		fputs(" more domains are in report.json.</p>\n", f);
	}
	free(tot);
	section_close(f);
}

/* ---- 4. findings ---- */

static void
evidence_table(FILE *f, const cJSON *evs)
{
	const cJSON *ev;
	long long n = arr_len(evs), shown = 0;

	if (n == 0)
		return;
	fputs("<div class=\"scroll\"><table class=\"evidence\">\n<thead><tr>"
	      "<th>Input</th><th>Member</th><th class=\"num\">Offset</th>"
	      "<th class=\"num\">Line</th><th>Excerpt</th></tr></thead>\n"
	      "<tbody>\n", f);
	cJSON_ArrayForEach(ev, evs) {
		if (shown++ == MAX_EVIDENCE)
			break;
		if (!cJSON_IsObject(ev)) {
			fputs("<tr><td colspan=\"5\">", f);
			put_val(f, ev);
			fputs("</td></tr>\n", f);
			continue;
		}
		fputs("<tr><td class=\"mono\">", f);
		put_val(f, get(ev, "input"));
		fputs("</td><td class=\"mono\">", f);
		put_val(f, get(ev, "member"));
		fputs("</td><td class=\"num\">", f);
		put_val(f, get(ev, "offset"));
		fputs("</td><td class=\"num\">", f);
		put_val(f, get(ev, "line"));
		fputs("</td><td><code class=\"excerpt\">", f);
		put_val(f, get(ev, "excerpt"));
		fputs("</code></td></tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
	if (n > MAX_EVIDENCE) {
		fputs("<p class=\"muted\">", f);
		put_count(f, n - MAX_EVIDENCE);
		fputs(" more pieces of evidence are in report.json.</p>\n", f);
	}
}

/* ids: an array of the document, or a lazy one of the shell (json.h) */
static void
id_list(FILE *f, const cJSON *ids, const char *code)
{
	const cJSON *e;
	cJSON *head;
	long long n = (long long)json_lazy_count(ids);

	if (n == 0)
		return;
	fputs("<p class=\"ids\">", f);
	put_count(f, n);
	fputs(n == 1 ? " message: " : " messages: ", f);
	head = json_lazy_head(ids, MAX_IDS);
	cJSON_ArrayForEach(e, head) {
		if (cJSON_IsString(e))
			put_id_link(f, e->valuestring);
		else if (cJSON_IsString(get(e, "spool_id")))
			put_id_link(f, get_str(e, "spool_id"));
		else
			put_val(f, e);
		putc(' ', f);
	}
	cJSON_Delete(head);
	if (n > MAX_IDS) {
		fputs("and ", f);
		put_count(f, n - MAX_IDS);
		fputs(" more", f);
	}
	if (code != NULL) {
		fputs(" <button type=\"button\" class=\"link js-only\" "
		      "data-finding=\"", f);
		put_str(f, code);
		fputs("\">show in the message table</button>", f);
	}
	fputs("</p>\n", f);
}

static void
finding_card(FILE *f, const cJSON *fi)
{
	const char *code = get_str(fi, "code");
	const char *words = code_words(code);
	int r = sev_rank(get_str(fi, "severity"));

	fprintf(f, "<article class=\"finding sev-%s\">\n<h3>",
		r < 3 ? severities[r] : "other");
	put_sev_badge(f, get_str(fi, "severity"));
	fputs(" <code>", f);
	put_val(f, get(fi, "code"));
	fputs("</code>", f);
	if (present(fi, "reference")) {
		fputs(" <span class=\"kb\">Microsoft KB ", f);
		put_val(f, get(fi, "reference"));
		fputs("</span>", f);
	}
	fputs("</h3>\n", f);
	if (words != NULL) {
		fputs("<p class=\"plainwords\">", f);
		put_str(f, words);
		fputs("</p>\n", f);
	}
	if (present(fi, "message")) {
		fputs("<p>", f);
		put_val(f, get(fi, "message"));
		fputs("</p>\n", f);
	}
	if (present(fi, "action")) {
		fputs("<p class=\"action\"><strong>What to do:</strong> ", f);
		put_val(f, get(fi, "action"));
		fputs("</p>\n", f);
	}
	evidence_table(f, get_arr(fi, "evidence"));
	id_list(f, get_arr(fi, "spool_ids"), code);
	fputs("</article>\n", f);
}

static void
write_findings(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *fi, *counts, *e;
	long long n;
	int r;

	section_open(f, "findings", "4. Findings");
	if (arr_len(pg->findings) == 0)
		fputs("<p>No report-wide finding.</p>\n", f);
	for (r = 0; r <= 3; r++)
		cJSON_ArrayForEach(fi, pg->findings)
			if (sev_rank(get_str(fi, "severity")) == r)
				finding_card(f, fi);
	counts = get_obj(get_obj(pg->doc, "summary"), "findings");
	if (counts != NULL && counts->child != NULL) {
		fputs("<h3>Findings by code, over all messages</h3>\n"
		      "<table class=\"codes\">\n<thead><tr><th>Code</th>"
		      "<th class=\"num\">Count</th><th>Meaning</th></tr></thead>\n"
		      "<tbody>\n", f);
		cJSON_ArrayForEach(e, counts) {
			fputs("<tr><td><code>", f);
			put_str(f, e->string);
			fputs("</code> <button type=\"button\" class=\"link "
			      "js-only\" data-finding=\"", f);
			put_str(f, e->string);
			fputs("\">show</button></td><td class=\"num\">", f);
			if (cJSON_IsNumber(e) && num_int(e->valuedouble, &n))
				put_count(f, n);
			else
				put_val(f, e);
			fputs("</td><td>", f);
			put_str(f, code_words(e->string));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	section_close(f);
}

/* ---- 5. messages (first page; report.js pages the rest) ---- */

/* envelope.rcpt_to, else recipients[].address, else headers.to */
static const cJSON *
msg_rcpts(const cJSON *m, bool *objects)
{
	const cJSON *a;

	*objects = false;
	a = get_arr(get_obj(m, "envelope"), "rcpt_to");
	if (arr_len(a) > 0)
		return a;
	a = get_arr(m, "recipients");
	if (arr_len(a) > 0) {
		*objects = true;
		return a;
	}
	return get_arr(get_obj(m, "headers"), "to");
}

static void
put_from(FILE *f, const cJSON *m)
{
	const cJSON *v = get(get_obj(m, "envelope"), "mail_from");

	if (v == NULL || cJSON_IsNull(v))
		v = get(get_obj(m, "headers"), "from");
	if (cJSON_IsString(v) && v->valuestring[0] == '\0')
		fputs("&lt;&gt;", f);
	else
		put_val(f, v);
}

static void
message_row(FILE *f, const cJSON *m)
{
	const cJSON *rc, *first, *fi;
	char b[32];
	long long n;
	bool objs, any = false;

	fputs("<tr><td class=\"mono\">", f);
	put_val(f, get(m, "spool_id"));
	fputs("</td><td>", f);
	put_val(f, get(m, "queue"));
	fputs("</td><td>", f);
	if (get_str(m, "state") != NULL)
		put_state_badge(f, get_str(m, "state"));
	fputs("</td><td class=\"num\">", f);
	if (get_int(m, "age_seconds", &n)) {
		fmt_age(b, n);
		fputs(b, f);
	}
	fputs("</td><td class=\"num\">", f);
	if (get_int(m, "size", &n) && n >= 0) {
		fmt_size(b, n);
		fputs(b, f);
	}
	fputs("</td><td class=\"addr\">", f);
	put_from(f, m);
	fputs("</td><td class=\"addr\">", f);
	rc = msg_rcpts(m, &objs);
	first = cJSON_GetArrayItem(rc, 0);
	put_val(f, objs ? get(first, "address") : first);
	if (arr_len(rc) > 1)
		fprintf(f, " <span class=\"more\">+%d</span>",
			cJSON_GetArraySize(rc) - 1);
	fputs("</td><td class=\"subj\">", f);
	put_val(f, get(get_obj(m, "headers"), "subject"));
	fputs("</td><td>", f);
	cJSON_ArrayForEach(fi, get_arr(m, "findings")) {
		if (any)
			fputs(", ", f);
		any = true;
		put_val(f, cJSON_IsObject(fi) ? get(fi, "code") : fi);
	}
	fputs("</td></tr>\n", f);
}

static void
table_foot(FILE *f, const char *id, int cols, long long shown, long long n,
	   const char *what)
{
	fprintf(f, "<tfoot><tr><td colspan=\"%d\" id=\"%s\" data-count=\"%lld\">",
		cols, id, n);
	if (n == 0) {
		fprintf(f, "No %s.", what);
	} else {
		fputs("Showing 1&ndash;", f);
		put_count(f, shown);
		fputs(" of ", f);
		put_count(f, n);
		fprintf(f, " %s", what);
	}
	fputs("</td></tr></tfoot>\n", f);
}

/* The filter row: report.js fills the selects and shows it. */
static void
controls(FILE *f, const char *p, const char *placeholder, const char *selects)
{
	const char *s, *e;

	fprintf(f, "<div class=\"controls js-only\" id=\"%s-controls\">"
		"<label>Filter <input type=\"search\" id=\"%s-q\" "
		"autocomplete=\"off\" spellcheck=\"false\" placeholder=\"%s\">"
		"</label>", p, p, placeholder);
	for (s = selects; s != NULL && *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		fprintf(f, "<label>%c%.*s <select id=\"%s-%.*s\"><option "
			"value=\"\">all</option></select></label>",
			*s - 'a' + 'A', (int)(e - s - 1), s + 1, p,
			(int)(e - s), s);
	}
	fprintf(f, "<label>Rows <select id=\"%s-size\"><option>50</option>"
		"<option selected>100</option><option>250</option>"
		"<option>1000</option></select></label></div>\n", p);
}

static void
pager(FILE *f, const char *p)
{
	fprintf(f, "<div class=\"pager js-only\" id=\"%s-pager\"></div>\n", p);
}

static void
write_messages(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *m;
	long long shown = 0;

	section_open(f, "messages", "5. Messages");
	fputs("<p class=\"note js-only\">Click a row for everything about one "
	      "message. Click a column heading to sort.</p>\n", f);
	controls(f, "msg", "spool ID, address, subject, Message-ID&hellip;",
		 "state,queue,finding");
	fputs("<div class=\"scroll\"><table class=\"data messages\" "
	      "id=\"msg-table\">\n<thead><tr><th>Spool ID</th><th>Queue</th>"
	      "<th>State</th><th class=\"num\">Age</th><th class=\"num\">Size"
	      "</th><th>From</th><th>To</th><th>Subject</th><th>Findings</th>"
	      "</tr></thead>\n<tbody id=\"msg-body\">\n", f);
	cJSON_ArrayForEach(m, pg->messages) {
		if (shown == PAGE_ROWS)
			break;
		message_row(f, m);
		shown++;
	}
	while (pg->ms != NULL && shown < PAGE_ROWS && (size_t)shown < pg->ms->n) {
		cJSON *sm = pg->ms->get(pg->ms->user, (size_t)shown);

		message_row(f, sm);
		cJSON_Delete(sm);
		shown++;
	}
	fputs("</tbody>\n", f);
	table_foot(f, "msg-foot", 9, shown, pg->nmsg, "messages");
	fputs("</table></div>\n", f);
	pager(f, "msg");
	section_close(f);
	fputs("<section id=\"detail\" class=\"js-only\">\n<h2>6. Message "
	      "detail</h2>\n<div id=\"detail-body\"><p class=\"muted\">Click a "
	      "row of the message table to see its envelope, headers, "
	      "Received hops, recipients and routes, findings and "
	      "sources.</p></div>\n</section>\n", f);
}

/* ---- 7. snapshots and changes ---- */

static void
change_list(FILE *f, const char *title, const cJSON *a)
{
	const cJSON *e, *ids;
	long long n = (long long)json_lazy_count(a);	/* lazy in a shell */

	fprintf(f, "<h3>%s (", title);
	put_count(f, n);
	fputs(")</h3>\n", f);
	if (n == 0) {
		fputs("<p class=\"muted\">None.</p>\n", f);
		return;
	}
	if (a->child == NULL || !cJSON_IsObject(a->child)) {
		id_list(f, a, NULL);
		return;
	}
	/* per pair of snapshots: {from, to, spool_ids[]} */
	cJSON_ArrayForEach(e, a) {
		ids = get_arr(e, "spool_ids");
		if (ids == NULL && get_str(e, "spool_id") != NULL) {
			fputs("<p>", f);
			put_id_link(f, get_str(e, "spool_id"));
			fputs("</p>\n", f);
			continue;
		}
		fputs("<p>Snapshot ", f);
		put_val(f, get(e, "from"));
		fputs(" &rarr; ", f);
		put_val(f, get(e, "to"));
		fputs(":</p>\n", f);
		id_list(f, ids, NULL);
	}
}

static void
write_changes(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *snaps = get_arr(pg->doc, "snapshots");
	const cJSON *ch = get_obj(pg->doc, "changes");
	const cJSON *s;

	section_open(f, "changes", "7. Snapshots and changes");
	if (arr_len(snaps) > 0) {
		fputs("<table class=\"snapshots\">\n<thead><tr><th class=\"num\">"
		      "#</th><th>Server</th><th>Newest time</th><th>Inputs</th>"
		      "</tr></thead>\n<tbody>\n", f);
		cJSON_ArrayForEach(s, snaps) {
			fputs("<tr><td class=\"num\">", f);
			put_val(f, get(s, "index"));
			fputs("</td><td class=\"mono\">", f);
			put_val(f, get(s, "server"));
			fputs("</td><td>", f);
			put_val(f, get(s, "newest_time"));
			fputs("</td><td class=\"mono\">", f);
			put_val(f, get(s, "inputs"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	if (arr_len(snaps) <= 1) {
		fputs("<p>One snapshot was analysed, so there is nothing to "
		      "compare. Give several backups of the same server "
		      "together to see which messages appeared, left or "
		      "stayed between them.</p>\n", f);
	}
	if (ch != NULL) {
		change_list(f, "Appeared", get_arr(ch, "appeared"));
		change_list(f, "Disappeared", get_arr(ch, "disappeared"));
		change_list(f, "Persisted", get_arr(ch, "persisted"));
	}
	section_close(f);
}

/* ---- 8. inputs, queue files, routing, inventory ---- */

/* A table of the members keys[] of each row (at most MAX_GENERIC rows). */
static void
keyed_table(FILE *f, const cJSON *rows, const char *const *keys, int ncol)
{
	const cJSON *r, *v;
	long long shown = 0, n = (long long)json_lazy_count(rows);
	cJSON *head = json_lazy_head(rows, MAX_GENERIC);
	int i;

	fputs("<div class=\"scroll\"><table class=\"generic\">\n<thead><tr>", f);
	for (i = 0; i < ncol; i++) {
		fputs("<th>", f);
		put_str(f, keys[i]);
		fputs("</th>", f);
	}
	if (ncol == 0)
		fputs("<th>Value</th>", f);
	fputs("</tr></thead>\n<tbody>\n", f);
	cJSON_ArrayForEach(r, head) {
		if (shown++ == MAX_GENERIC)
			break;
		fputs("<tr>", f);
		for (i = 0; i < ncol; i++) {
			v = get(r, keys[i]);
			fputs(cJSON_IsNumber(v) ? "<td class=\"num\">" :
			      "<td class=\"mono\">", f);
			if (cJSON_IsArray(v) && ((v->child != NULL &&
			      cJSON_IsObject(v->child)) ||
			     (v->child == NULL && json_lazy_count(v) > 0))) {
				long long k = (long long)json_lazy_count(v);

				put_count(f, k);
				fputs(k == 1 ? " item" : " items", f);
			} else {
				put_val(f, v);
			}
			fputs("</td>", f);
		}
		if (ncol == 0) {
			fputs("<td class=\"mono\">", f);
			put_val(f, r);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
	cJSON_Delete(head);
	if (n > MAX_GENERIC) {
		fputs("<p class=\"muted\">", f);
		put_count(f, n - MAX_GENERIC);
		fputs(" more rows are in report.json.</p>\n", f);
	}
}

/* Columns: the members of the first rows, in first-seen order. */
static void
generic_table(FILE *f, const cJSON *rows)
{
	const char *cols[MAX_GENCOLS];
	const cJSON *r, *v;
	int ncol = 0, i, seen = 0;
	cJSON *head = json_lazy_head(rows, 50);

	cJSON_ArrayForEach(r, head) {
		if (seen++ == 50)
			break;
		cJSON_ArrayForEach(v, r) {
			if (v->string == NULL || ncol == MAX_GENCOLS)
				continue;
			for (i = 0; i < ncol; i++)
				if (strcmp(cols[i], v->string) == 0)
					break;
			if (i == ncol)
				cols[ncol++] = v->string;
		}
	}
	keyed_table(f, rows, cols, ncol);
	cJSON_Delete(head);	/* after: cols point into it */
}

static void
inventory_row(FILE *f, const cJSON *e)
{
	char b[32];
	long long n;

	fputs("<tr><td class=\"mono\">", f);
	put_val(f, get(e, "input"));
	fputs("</td><td class=\"mono\">", f);
	put_val(f, get(e, "member"));
	fputs("</td><td>", f);
	put_val(f, get(e, "kind"));
	fputs("</td><td class=\"num\">", f);
	if (get_int(e, "size", &n)) {
		fmt_count(b, n);
		fputs(b, f);
	} else {
		put_val(f, get(e, "size"));
	}
	fputs("</td><td class=\"time\">", f);
	put_val(f, get(e, "mtime"));
	fputs("</td><td class=\"hash\">", f);
	put_val(f, get(e, "sha256"));
	fputs("</td></tr>\n", f);
}

static void
write_inventory(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *inputs = get_arr(pg->doc, "inputs");
	const cJSON *qf = get_arr(pg->doc, "queue_files");
	const cJSON *routing = get_obj(pg->doc, "routing");
	const cJSON *logs = get_obj(pg->doc, "logs");
	static const char *const decision_keys[] = {
		"spool_id", "recipient", "known", "connector", "server",
		"address_space", "cost", "rule", "host", "ims_rule",
	};
	static const char *const session_keys[] = {
		"start", "end", "remote", "direction", "domain", "mail_from",
		"outcome", "last_code", "member", "line_first",
	};
	const cJSON *inv = get_arr(pg->doc, "inventory");
	cJSON *invhead;
	const cJSON *e;
	long long i = 0, n, shown = 0;

	section_open(f, "inventory", "8. Evidence and inventory");
	if (arr_len(inputs) > 0) {
		fputs("<h3>Inputs</h3>\n<div class=\"scroll\"><table "
		      "class=\"inputs\">\n<thead><tr><th class=\"num\">#</th>"
		      "<th>Path</th><th>Kind</th><th class=\"num\">Size</th>"
		      "<th>SHA-256</th></tr></thead>\n<tbody>\n", f);
		cJSON_ArrayForEach(e, inputs) {
			fprintf(f, "<tr><td class=\"num\">%lld</td><td "
				"class=\"mono\">", i++);
			put_val(f, get(e, "path"));
			fputs("</td><td>", f);
			put_val(f, get(e, "kind"));
			fputs("</td><td class=\"num\">", f);
			if (get_int(e, "size", &n))
				put_count(f, n);
			else
				put_val(f, get(e, "size"));
			fputs("</td><td class=\"hash\">", f);
			put_val(f, get(e, "sha256"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table></div>\n", f);
	}
	if (arr_len(qf) > 0) {
		fputs("<h3>Queue index files (Queue.dat)</h3>\n", f);
		generic_table(f, qf);
	}
	if (arr_len(get_arr(routing, "tables")) > 0) {
		fputs("<h3>Routing tables</h3>\n", f);
		generic_table(f, get_arr(routing, "tables"));
	}
	if (json_lazy_count(get_arr(routing, "decisions")) > 0) {
		fputs("<h3>Routing decisions</h3>\n<p class=\"note\">Which "
		      "connector the routing table gives each recipient of a "
		      "queued message.</p>\n", f);
		keyed_table(f, get_arr(routing, "decisions"), decision_keys,
			    (int)(sizeof(decision_keys) /
				  sizeof(decision_keys[0])));
	}
	if (json_lazy_count(get_arr(logs, "sessions")) > 0) {
		fputs("<h3>SMTP sessions (protocol logs)</h3>\n", f);
		keyed_table(f, get_arr(logs, "sessions"), session_keys,
			    (int)(sizeof(session_keys) /
				  sizeof(session_keys[0])));
	}
	if (json_lazy_count(get_arr(logs, "events")) > 0) {
		fputs("<h3>Log events</h3>\n", f);
		generic_table(f, get_arr(logs, "events"));
	}
	if (arr_len(get_arr(pg->doc, "config")) > 0) {
		fputs("<h3>Settings read</h3>\n", f);
		generic_table(f, get_arr(pg->doc, "config"));
	}
	fputs("<h3>Every member read</h3>\n<p class=\"note\">Every file and "
	      "archive member seen, recognised or not, with its SHA-256.</p>\n",
	      f);
	controls(f, "inv", "member name, kind, hash&hellip;", "kind");
	fputs("<div class=\"scroll\"><table class=\"data inventory\" "
	      "id=\"inv-table\">\n<thead><tr><th>Input</th><th>Member</th>"
	      "<th>Kind</th><th class=\"num\">Size</th><th>Modified</th>"
	      "<th>SHA-256</th></tr></thead>\n<tbody id=\"inv-body\">\n", f);
	invhead = json_lazy_head(inv, PAGE_ROWS);
	cJSON_ArrayForEach(e, invhead) {
		if (shown == PAGE_ROWS)
			break;
		inventory_row(f, e);
		shown++;
	}
	cJSON_Delete(invhead);
	fputs("</tbody>\n", f);
	table_foot(f, "inv-foot", 6, shown, (long long)json_lazy_count(inv), "members");
	fputs("</table></div>\n", f);
	pager(f, "inv");
	section_close(f);
}

/* ---- 9. anomalies ---- */

static void
anomaly_row(FILE *f, const cJSON *a)
{
	fputs("<tr><td>", f);
	put_sev_badge(f, get_str(a, "severity"));
	fputs("</td><td><code>", f);
	put_val(f, get(a, "code"));
	fputs("</code></td><td class=\"mono\">", f);
	put_val(f, get(a, "input"));
	fputs("</td><td class=\"mono\">", f);
	put_val(f, get(a, "member"));
	fputs("</td><td class=\"num\">", f);
	put_val(f, get(a, "offset"));
	fputs("</td><td>", f);
	put_val(f, get(a, "message"));
	fputs("</td></tr>\n", f);
}

static void
write_anomalies(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *an = get_arr(pg->doc, "anomalies");
	const cJSON *a;
	long long shown = 0;

	section_open(f, "anomalies", "9. Anomalies");
	fputs("<p class=\"note\">Damaged or unexpected data met while "
	      "reading the evidence. They are facts about the evidence, not "
	      "failures of the analysis.</p>\n", f);
	controls(f, "an", "code, member, message&hellip;", "severity,code");
	fputs("<div class=\"scroll\"><table class=\"data anomalies\" "
	      "id=\"an-table\">\n<thead><tr><th>Severity</th><th>Code</th>"
	      "<th>Input</th><th>Member</th><th class=\"num\">Offset</th>"
	      "<th>Message</th></tr></thead>\n<tbody id=\"an-body\">\n", f);
	cJSON_ArrayForEach(a, an) {
		if (shown == PAGE_ROWS)
			break;
		anomaly_row(f, a);
		shown++;
	}
	fputs("</tbody>\n", f);
	table_foot(f, "an-foot", 6, shown, arr_len(an), "anomalies");
	fputs("</table></div>\n", f);
	pager(f, "an");
	section_close(f);
}

/* ---- the page ---- */

/* The distinct server names of all snapshots, in snapshot order, escaped,
 * joined by ", "; writes nothing and returns 0 when none is known. */
static int
put_servers(FILE *f, const cJSON *doc, const char *before)
{
	const cJSON *snaps = get_arr(doc, "snapshots");
	int n = cJSON_GetArraySize(snaps);
	int i, j, shown = 0;

	for (i = 0; i < n; i++) {
		const char *sv = get_str(cJSON_GetArrayItem(snaps, i), "server");
		bool dup = false;

		if (sv == NULL || *sv == '\0')
			continue;
		for (j = 0; j < i && !dup; j++) {
			const char *o = get_str(cJSON_GetArrayItem(snaps, j), "server");

			dup = o != NULL && strcmp(o, sv) == 0;
		}
		if (dup)
			continue;
		fputs(shown ? ", " : before, f);
		put_str(f, sv);
		shown++;
	}
	return shown;
}

static void
write_head(struct page *pg)
{
	FILE *f = pg->f;
	char css_h[48], js_h[48];
	const cJSON *tool = get_obj(pg->doc, "tool");

	sha256_b64(html_asset_report_css, html_asset_report_css_len, css_h);
	sha256_b64(html_asset_report_js, html_asset_report_js_len, js_h);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n", f);
	fprintf(f, "<meta http-equiv=\"Content-Security-Policy\" content=\""
		"default-src 'none'; script-src 'sha256-%s'; style-src "
		"'sha256-%s'; img-src data:; base-uri 'none'; form-action "
		"'none'\">\n", js_h, css_h);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n<meta name=\"generator\" content=\"", f);
	put_str(f, get_str(tool, "name") != NULL ? get_str(tool, "name")
						  : "imcq");
	if (get_str(tool, "version") != NULL) {
		putc(' ', f);
		put_str(f, get_str(tool, "version"));
	}
	fputs("\">\n<link rel=\"icon\" href=\"data:,\">\n<title>Mail queue "
	      "report", f);
	put_servers(f, pg->doc, ": ");
	fputs("</title>\n<style>", f);
	fwrite(html_asset_report_css, 1, html_asset_report_css_len, f);
	fputs("</style>\n</head>\n", f);
}

static void
write_masthead(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *tool = get_obj(pg->doc, "tool");
	long long nin = arr_len(get_arr(pg->doc, "inputs"));

	fputs("<body>\n<header class=\"masthead\"><div class=\"wrap\">\n"
	      "<h1>Mail queue report", f);
	if (put_servers(f, pg->doc, ": <span class=\"mono\">"))
		fputs("</span>", f);
	fputs("</h1>\n<p class=\"meta\">Microsoft Exchange Internet Mail "
	      "Service queues &middot; ", f);
	put_count(f, pg->nmsg);
	fputs(pg->nmsg == 1 ? " message" : " messages", f);
	{
		const cJSON *sel = get_obj(pg->doc, "selection");
		long long of;

		if (sel != NULL) {	/* a --where selection, not every message */
			fputs(" (selected by <code>--where ", f);
			put_str(f, get_str(sel, "where"));
			fputs("</code>", f);
			if (get_int(sel, "of", &of)) {
				fputs(" from ", f);
				put_count(f, of);
			}
			fputs(")", f);
		}
	}
	fputs(" &middot; ", f);
	put_count(f, nin);
	fputs(nin == 1 ? " input" : " inputs", f);
	if (get_str(pg->doc, "reference_time") != NULL) {
		fputs(" &middot; reference time <time>", f);
		put_str(f, get_str(pg->doc, "reference_time"));
		fputs("</time>", f);
	}
	fputs(" &middot; ", f);
	put_str(f, get_str(tool, "name") != NULL ? get_str(tool, "name")
						  : "imcq");
	if (get_str(tool, "version") != NULL) {
		putc(' ', f);
		put_str(f, get_str(tool, "version"));
	}
	fputs("</p>\n<nav class=\"toc\"><a href=\"#incident\">What happened</a> "
	      "<a href=\"#states\">States</a> <a href=\"#qshape\">Queue "
	      "shape</a> <a href=\"#findings\">Findings</a> <a "
	      "href=\"#messages\">Messages</a> <a href=\"#changes\">Changes</a> "
	      "<a href=\"#inventory\">Inventory</a> <a href=\"#anomalies\">"
	      "Anomalies</a></nav>\n</div></header>\n"
	      "<noscript><p class=\"noscript wrap\">Scripting is off: the "
	      "tables show their first rows only, and the message detail is "
	      "not available. The complete report is in report.json, written "
	      "with this page.</p>"
	      "</noscript>\n<main class=\"wrap\">\n", f);
}

/* ---- the data: report-wide part, packed blocks ---- */

/* Members of the document the script reads (report.js); the others are
 * in report.json only. */
static const char *const data_keys[] = {
	"schema", "tool", "reference_time", "reference_source", "inputs",
	"summary", "incident", "findings", "snapshots", "changes", "anomalies",
};

/* What the detail of a message shows (report.js renderDetail). */
static const char *const detail_keys[] = {
	"spool_id", "format", "queue", "place", "state", "state_reason",
	"size", "queue_time", "queue_time_source", "age_seconds", "expires",
	"priority", "seen_in", "sources", "envelope", "headers", "recipients",
	"findings",
};
static const char *const source_keys[] = {
	"input", "member", "offset", "size", "sha256", "mtime",
};
static const char *const envelope_keys[] = {
	"mail_from", "rcpt_to", "helo", "client_host", "mts_id", "source",
};
static const char *const header_keys[] = {
	"message_id", "date", "from", "sender", "reply_to", "to", "cc", "bcc",
	"subject", "received",
};
/* An inventory row, in this order. */
static const char *const inventory_keys[] = {
	"input", "member", "kind", "size", "mtime", "sha256",
};
/* The columns of the message table's blocks (imcq-rK). */
static const char *const row_cols[] = {
	"id", "queue", "state", "age", "size", "from", "to", "nrc", "subject",
	"codes", "dict",
};
enum { C_ID, C_QUEUE, C_STATE, C_AGE, C_SIZE, C_FROM, C_TO, C_NRC, C_SUBJECT,
       C_CODES, C_DICT, NROWCOLS };

#define NKEYS(a)	(sizeof(a) / sizeof((a)[0]))

static bool
key_in(const char *k, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; k != NULL && i < n; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* Object o with only the members named in keys, in o's order. */
static void
json_subset(FILE *f, const cJSON *o, const char *const *keys, size_t nkeys,
	    int depth)
{
	const cJSON *e;
	bool first = true;

	if (!cJSON_IsObject(o)) {
		json_value(f, o, depth);
		return;
	}
	putc('{', f);
	cJSON_ArrayForEach(e, o) {
		if (!key_in(e->string, keys, nkeys))
			continue;
		if (!first)
			putc(',', f);
		first = false;
		json_str(f, e->string);
		putc(':', f);
		json_value(f, e, depth + 1);
	}
	putc('}', f);
}

/* A value as the page shows it: strings with control characters replaced
 * (json_strn display), anything else as it is. */
static void
json_disp(FILE *f, const cJSON *v)
{
	if (cJSON_IsString(v) && v->valuestring != NULL)
		json_strn(f, v->valuestring, strlen(v->valuestring), true);
	else
		json_value(f, v, 3);
}

/* The next item of column c of a block being filled. */
static FILE *
pack_col(struct pack *pk, int c)
{
	if (pk->f[c] == NULL) {
		pk->f[c] = open_memstream(&pk->buf[c], &pk->len[c]);
		if (pk->f[c] == NULL)
			abort();
		__fsetlocking(pk->f[c], FSETLOCKING_BYCALLER);	/* the page's */
	} else if (!pk->text) {
		putc(',', pk->f[c]);
	}
	return pk->f[c];
}

/* One more item in a one-column block (an array). */
static FILE *
pack_item(struct pack *pk)
{
	pk->n++;
	return pack_col(pk, 0);
}

/* Close the block's columns, compress them, write the block to out:
 * one column is a JSON array (or text, as written); named columns an
 * object of arrays. */
static void
pack_flush(FILE *out, struct pack *pk)
{
	unsigned char *z;
	char *all;
	size_t zlen, total = 2, at = 0;
	int c;

	if (pk->n == 0)
		return;
	for (c = 0; c < pk->ncols; c++) {
		if (pk->f[c] != NULL && fclose(pk->f[c]) != 0)
			abort();	/* memory streams fail only for memory */
		pk->f[c] = NULL;
		total += pk->len[c] + 8 + (pk->names ? strlen(pk->names[c]) : 0);
	}
	all = malloc(total);
	if (all == NULL)
		abort();
	if (!pk->text)
		all[at++] = pk->names ? '{' : '[';
	for (c = 0; c < pk->ncols; c++) {
		if (pk->names)
			at += (size_t)sprintf(all + at, "%s\"%s\":[", c ? "," : "",
					      pk->names[c]);
		if (pk->len[c] > 0)
			memcpy(all + at, pk->buf[c], pk->len[c]);
		at += pk->len[c];
		if (pk->names)
			all[at++] = ']';
		free(pk->buf[c]);
		pk->buf[c] = NULL;
		pk->len[c] = 0;
	}
	if (!pk->text)
		all[at++] = pk->names ? '}' : ']';
	z = html_deflate((const unsigned char *)all, at, &zlen);
	free(all);
	fprintf(out, "<script type=\"application/octet-stream\" "
		"id=\"imcq-%c%u\">", pk->kind, pk->k);
	html_base64(out, z, zlen);
	fputs("</script>\n", out);
	free(z);
	pk->n = 0;
	pk->k++;
}

static void
pack_init(struct pack *pk, char kind, const char *const *names, int ncols)
{
	memset(pk, 0, sizeof(*pk));
	pk->kind = kind;
	pk->names = names;
	pk->ncols = ncols;
}

/* ---- the search text of a message (what report.js's filter reads) ---- */

static void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->p = realloc(sb->p, sb->cap);
		if (sb->p == NULL)
			abort();
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void
sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* Text from the evidence: invalid UTF-8 and control characters become
 * U+FFFD, tabs and line ends spaces (they separate fields and messages). */
static void
sb_plain(struct sbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, run = 0, len;
	uint32_t cp;

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		len = utf8_seq(p + i, n - i, &cp);
		if (p[i] >= 0x80 && len != 0 && cp > 0x9f) {
			i += len;
			continue;
		}
		sb_add(sb, s + run, i - run);
		if (len != 0 && (cp == '\t' || cp == '\n' || cp == '\r'))
			sb_str(sb, " ");
		else
			sb_str(sb, repl);
		i += len != 0 ? len : 1;
		run = i;
	}
	sb_add(sb, s + run, i - run);
}

/* v as report.js txt() shows it, but lists joined by spaces. */
static void
sb_val(struct sbuf *sb, const cJSON *v, int depth)
{
	const cJSON *e;
	char b[64];
	char *s;
	long long i;

	if (v == NULL || cJSON_IsNull(v) || depth > MAX_DEPTH)
		return;
	if (cJSON_IsString(v)) {
		sb_plain(sb, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		if (num_int(v->valuedouble, &i))
			snprintf(b, sizeof(b), "%lld", i);
		else
			snprintf(b, sizeof(b), "%.17g", v->valuedouble);
		sb_str(sb, b);
	} else if (cJSON_IsBool(v)) {
		sb_str(sb, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			if (e != v->child)
				sb_str(sb, " ");
			sb_val(sb, e, depth + 1);
		}
	} else if (cJSON_IsObject(v)) {
		s = cJSON_PrintUnformatted(v);
		if (s != NULL)
			sb_plain(sb, s);
		cJSON_free(s);
	}
}

/* The search text being built: where each field's text starts, and its
 * length, to leave out repeats. */
struct hay {
	struct sbuf *sb;
	size_t at[24], len[24];
	size_t n, from;
};

static void
hay_begin(struct hay *h)
{
	h->from = h->sb->len;
	if (h->sb->len > 0)
		sb_str(h->sb, "\t");
}

/* Keep the field just written unless it is empty or repeats an earlier
 * one (the search finds it there). */
static void
hay_end(struct hay *h)
{
	struct sbuf *sb = h->sb;
	size_t start = h->from + (h->from > 0), n = sb->len - start, i;

	for (i = 0; i < h->n; i++)
		if (h->len[i] == n && memcmp(sb->p + h->at[i], sb->p + start, n) == 0)
			break;
	if (n == 0 || i < h->n) {
		sb->len = h->from;
		sb->p[sb->len] = '\0';
		return;
	}
	if (h->n < NKEYS(h->at)) {
		h->at[h->n] = start;
		h->len[h->n++] = n;
	}
}

static void
hay_field(struct hay *h, const cJSON *v)
{
	hay_begin(h);
	sb_val(h->sb, v, 0);
	hay_end(h);
}

/*
 * The search text of a message, one line: spool id, queue, state, from
 * (as the table shows it), subject, recipients, headers message_id, from,
 * to, cc, sender, envelope helo, client_host, mts_id, finding codes and
 * source members, separated by tabs, lists joined by spaces.  The page
 * lower-cases it and looks for every word typed in the filter.
 */
static void
hay_text(struct sbuf *sb, const cJSON *m, const cJSON *from)
{
	static const char *const mk[] = { "spool_id", "queue", "state" };
	static const char *const hk[] = {
		"message_id", "from", "to", "cc", "sender",
	};
	static const char *const ek[] = { "helo", "client_host", "mts_id" };
	const cJSON *hd = get_obj(m, "headers"), *env = get_obj(m, "envelope");
	const cJSON *e, *rc, *fi = get_arr(m, "findings");
	const cJSON *so = get_arr(m, "sources");
	struct hay h = { .sb = sb };
	bool objs;
	size_t i;

	sb->len = 0;
	sb_add(sb, "", 0);
	for (i = 0; i < NKEYS(mk); i++)
		hay_field(&h, get(m, mk[i]));
	hay_begin(&h);
	if (cJSON_IsString(from) && from->valuestring[0] == '\0')
		sb_str(sb, "<>");
	else
		sb_val(sb, from, 0);
	hay_end(&h);
	hay_field(&h, get(hd, "subject"));
	rc = msg_rcpts(m, &objs);
	hay_begin(&h);
	cJSON_ArrayForEach(e, rc) {
		if (e != rc->child)
			sb_str(sb, " ");
		sb_val(sb, objs && cJSON_IsObject(e) ? get(e, "address") : e, 1);
	}
	hay_end(&h);
	for (i = 0; i < NKEYS(hk); i++)
		hay_field(&h, get(hd, hk[i]));
	for (i = 0; i < NKEYS(ek); i++)
		hay_field(&h, get(env, ek[i]));
	hay_begin(&h);
	cJSON_ArrayForEach(e, fi) {
		if (e != fi->child)
			sb_str(sb, " ");
		sb_val(sb, cJSON_IsObject(e) ? get(e, "code") : e, 1);
	}
	hay_end(&h);
	hay_begin(&h);
	cJSON_ArrayForEach(e, so) {
		if (e != so->child)
			sb_str(sb, " ");
		sb_val(sb, get(e, "member"), 1);
	}
	hay_end(&h);
	sb_str(sb, "\n");
}

/* ---- one message ---- */

/*
 * A message's part of the page, in two steps: piece_make reads the
 * message's tree and nothing of the page but need_domains (so any thread
 * may make pieces, several at once, while the page is written), and
 * piece_add writes it into the blocks being filled, in order.
 *
 * buf holds every segment the blocks receive, in the order piece_add
 * takes them: the row's columns (row_cols, the codes one segment each),
 * the search text, the recipients' domains when the page wants them, the
 * detail.  A queue, state or finding code also has its string (key, with
 * its NUL) for the block's dictionary; its text is what is written when
 * the dictionary does not hold it.
 */
#define NOKEY ((size_t)-1)

struct seg {
	size_t off, len;
	size_t key;		/* of a dictionary value, or NOKEY */
};

struct html_piece {
	char *buf;
	size_t len;
	struct seg *seg;
	size_t nseg, segcap;
	size_t ncodes;
	bool domains;
};

/* A piece being made: buf grows in a memory stream. */
struct piece_out {
	struct html_piece *p;
	FILE *f;
	size_t start;
};

static size_t
piece_at(struct piece_out *po)
{
	if (fflush(po->f) != 0)
		abort();	/* memory streams fail only for memory */
	return po->p->len;
}

static FILE *
seg_open(struct piece_out *po)
{
	po->start = piece_at(po);
	return po->f;
}

static void
seg_close(struct piece_out *po, size_t key)
{
	struct html_piece *p = po->p;
	size_t end = piece_at(po);
	struct seg sg = { po->start, end - po->start, key };

	if (p->nseg == p->segcap) {
		p->segcap = p->segcap ? p->segcap * 2 : 16;
		p->seg = realloc(p->seg, p->segcap * sizeof(*p->seg));
		if (p->seg == NULL)
			abort();
	}
	p->seg[p->nseg++] = sg;
}

/*
 * A queue, state or finding code in the rows' block: the number of the
 * string in the block's "dict" column, the string itself once that has
 * DICT_MAX strings, and any other value v as [v].
 */
static void
piece_dict(struct piece_out *po, const cJSON *v)
{
	size_t key = NOKEY;
	FILE *f;

	if (cJSON_IsString(v) && v->valuestring != NULL) {
		key = piece_at(po);
		fwrite(v->valuestring, 1, strlen(v->valuestring) + 1, po->f);
	}
	f = seg_open(po);
	if (v == NULL || cJSON_IsNull(v)) {
		fputs("null", f);
	} else if (key == NOKEY) {
		putc('[', f);
		json_value(f, v, 3);
		putc(']', f);
	} else {
		json_disp(f, v);
	}
	seg_close(po, key);
}

static void
piece_free(struct html_piece *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p->seg);
	free(p);
}

static void detail_json(FILE *f, const cJSON *m);

/*
 * Its row, one value per column of row_cols: spool id, queue, state,
 * age_seconds, size, from (envelope.mail_from, or headers.from when that
 * is null; "<>" for the null sender), the first recipient (envelope
 * rcpt_to, else recipients[].address, else headers.to) and how many there
 * are, subject, finding codes.  Strings as the page shows them
 * (json_disp), other values as they are: report.js formats them; queue,
 * state and codes through the block's dictionary (piece_dict).  Then
 * its search text (hay_text), when the page computes the queue shape
 * itself its recipients' domains (recipients[].domain, else what follows
 * the recipients' last '@'), and its detail (detail_json).
 */
static struct html_piece *
piece_make(bool need_domains, const cJSON *m)
{
	struct html_piece *p = calloc(1, sizeof(*p));
	struct piece_out po = { p, NULL, 0 };
	const cJSON *env = get_obj(m, "envelope"), *hd = get_obj(m, "headers");
	const cJSON *from, *e, *rc, *v;
	struct sbuf sb = { 0 };
	FILE *f;
	bool objs, first;

	if (p == NULL || (po.f = open_memstream(&p->buf, &p->len)) == NULL)
		abort();
	__fsetlocking(po.f, FSETLOCKING_BYCALLER);	/* this thread's */
	p->domains = need_domains;
	json_disp(seg_open(&po), get(m, "spool_id"));
	seg_close(&po, NOKEY);
	piece_dict(&po, get(m, "queue"));
	piece_dict(&po, get(m, "state"));
	json_value(seg_open(&po), get(m, "age_seconds"), 3);
	seg_close(&po, NOKEY);
	json_value(seg_open(&po), get(m, "size"), 3);
	seg_close(&po, NOKEY);
	from = get(env, "mail_from");
	if (from == NULL || cJSON_IsNull(from))
		from = get(hd, "from");
	f = seg_open(&po);
	if (cJSON_IsString(from) && from->valuestring[0] == '\0')
		fputs("\"\\u003c\\u003e\"", f);	/* "<>" */
	else
		json_disp(f, from);
	seg_close(&po, NOKEY);
	rc = msg_rcpts(m, &objs);
	e = rc != NULL ? rc->child : NULL;
	json_disp(seg_open(&po), objs && cJSON_IsObject(e) ? get(e, "address") : e);
	seg_close(&po, NOKEY);
	fprintf(seg_open(&po), "%lld", arr_len(rc));
	seg_close(&po, NOKEY);
	json_disp(seg_open(&po), get(hd, "subject"));
	seg_close(&po, NOKEY);
	cJSON_ArrayForEach(e, get_arr(m, "findings")) {
		piece_dict(&po, cJSON_IsObject(e) ? get(e, "code") : e);
		p->ncodes++;
	}

	hay_text(&sb, m, from);
	fwrite(sb.p, 1, sb.len, seg_open(&po));
	seg_close(&po, NOKEY);
	free(sb.p);
	if (need_domains) {
		f = seg_open(&po);
		putc('[', f);
		first = true;
		cJSON_ArrayForEach(e, get_arr(m, "recipients")) {
			if (!cJSON_IsString(get(e, "domain")))
				continue;
			if (!first)
				putc(',', f);
			first = false;
			json_disp(f, get(e, "domain"));
		}
		/* none: what follows the last '@' of each recipient, less a '>' */
		for (e = first && rc != NULL ? rc->child : NULL; e != NULL; e = e->next) {
			const char *at;
			size_t n;

			v = objs && cJSON_IsObject(e) ? get(e, "address") : e;
			if (!cJSON_IsString(v) ||
			    (at = strrchr(v->valuestring, '@')) == NULL)
				continue;
			n = strlen(at + 1);
			if (n > 0 && at[n] == '>')
				n--;
			if (!first)
				putc(',', f);
			first = false;
			json_strn(f, at + 1, n, true);
		}
		putc(']', f);
		seg_close(&po, NOKEY);
	}
	detail_json(seg_open(&po), m);
	seg_close(&po, NOKEY);
	if (fclose(po.f) != 0)
		abort();
	return p;
}

/* Segment k of p into f. */
static void
seg_put(FILE *f, const struct html_piece *p, size_t k)
{
	fwrite(p->buf + p->seg[k].off, 1, p->seg[k].len, f);
}

/* A dictionary value (segment k) into f: its number in the block's
 * dictionary (added when there is room), else its text. */
static void
dict_put(struct page *pg, FILE *f, const struct html_piece *p, size_t k)
{
	const char *key;
	int i;

	if (p->seg[k].key == NOKEY) {
		seg_put(f, p, k);
		return;
	}
	key = p->buf + p->seg[k].key;
	for (i = 0; i < pg->ndict; i++)
		if (strcmp(pg->dict[i], key) == 0)
			break;
	if (i == pg->ndict && i < DICT_MAX) {
		pg->dict[i] = strdup(key);
		if (pg->dict[i] == NULL)
			abort();
		pg->ndict++;
	}
	if (i < pg->ndict)
		fprintf(f, "%d", i);
	else
		seg_put(f, p, k);
}

/* The rows' block, with its dictionary. */
static void
rows_flush(struct page *pg)
{
	int i;

	for (i = 0; pg->rows.n > 0 && i < pg->ndict; i++) {
		const char *s = pg->dict[i];

		json_strn(pack_col(&pg->rows, C_DICT), s, strlen(s), true);
	}
	for (i = 0; i < pg->ndict; i++)
		free(pg->dict[i]);
	pg->ndict = 0;
	pack_flush(pg->f, &pg->rows);
}

/* The piece into the blocks being filled; flush the full ones. */
static void
piece_add(struct page *pg, const struct html_piece *p)
{
	struct pack *pk = &pg->rows;
	size_t k = 0, j;
	FILE *f;

	if (p->domains != pg->need_domains)
		abort();	/* made for another page */
	seg_put(pack_col(pk, C_ID), p, k++);
	dict_put(pg, pack_col(pk, C_QUEUE), p, k++);
	dict_put(pg, pack_col(pk, C_STATE), p, k++);
	seg_put(pack_col(pk, C_AGE), p, k++);
	seg_put(pack_col(pk, C_SIZE), p, k++);
	seg_put(pack_col(pk, C_FROM), p, k++);
	seg_put(pack_col(pk, C_TO), p, k++);
	seg_put(pack_col(pk, C_NRC), p, k++);
	seg_put(pack_col(pk, C_SUBJECT), p, k++);
	f = pack_col(pk, C_CODES);
	putc('[', f);
	for (j = 0; j < p->ncodes; j++) {
		if (j > 0)
			putc(',', f);
		dict_put(pg, f, p, k++);
	}
	putc(']', f);
	pk->n++;
	seg_put(pack_item(&pg->hay), p, k++);
	if (pg->need_domains)
		seg_put(pack_item(&pg->domains), p, k++);
	seg_put(pack_item(&pg->details), p, k++);
	if (pg->details.n == DETAIL_CHUNK)
		pack_flush(pg->after, &pg->details);
	if (pg->rows.n == ROW_CHUNK) {
		rows_flush(pg);
		pack_flush(pg->f, &pg->hay);
		pack_flush(pg->f, &pg->domains);
	}
}

/* Its detail: the members of detail_keys, its sources, envelope and
 * headers cut to what the detail view shows. */
static void
detail_json(FILE *f, const cJSON *m)
{
	const cJSON *e, *s;
	bool first = true, firsts;

	if (!cJSON_IsObject(m)) {
		json_value(f, m, 2);
		return;
	}
	putc('{', f);
	cJSON_ArrayForEach(e, m) {
		if (!key_in(e->string, detail_keys, NKEYS(detail_keys)))
			continue;
		if (!first)
			putc(',', f);
		first = false;
		json_str(f, e->string);
		putc(':', f);
		if (strcmp(e->string, "sources") == 0 && cJSON_IsArray(e)) {
			putc('[', f);
			firsts = true;
			cJSON_ArrayForEach(s, e) {
				if (!firsts)
					putc(',', f);
				firsts = false;
				json_subset(f, s, source_keys, NKEYS(source_keys), 4);
			}
			putc(']', f);
		} else if (strcmp(e->string, "envelope") == 0) {
			json_subset(f, e, envelope_keys, NKEYS(envelope_keys), 3);
		} else if (strcmp(e->string, "headers") == 0) {
			json_subset(f, e, header_keys, NKEYS(header_keys), 3);
		} else {
			json_value(f, e, 3);
		}
	}
	putc('}', f);
}

static void
page_message(struct page *pg, const cJSON *m)
{
	struct html_piece *p = piece_make(pg->need_domains, m);

	piece_add(pg, p);
	piece_free(p);
}

/* ---- the rest of the page ---- */

/* The report-wide data (data_keys) and the page's own facts. */
static void
write_data(struct page *pg)
{
	FILE *f = pg->f;
	const cJSON *e;

	fputs("<script type=\"application/json\" id=\"imcq-data\">{", f);
	cJSON_ArrayForEach(e, pg->doc) {
		if (!key_in(e->string, data_keys, NKEYS(data_keys)))
			continue;
		json_str(f, e->string);
		putc(':', f);
		json_value(f, e, 1);
		putc(',', f);
	}
	fprintf(f, "\"page\":{\"messages\":%lld,\"row_chunk\":%d,"
		"\"detail_chunk\":%d,\"inventory_chunk\":%d}}</script>\n",
		pg->nmsg, ROW_CHUNK, DETAIL_CHUNK, INV_CHUNK);
}

/* The inventory, as rows of inventory_keys (null where absent). */
struct inv_out {
	FILE *out;
	struct pack pk;
};

static void
inventory_item(struct inv_out *io, const cJSON *e)
{
	FILE *f = pack_item(&io->pk);
	size_t i;

	putc('[', f);
	for (i = 0; i < NKEYS(inventory_keys); i++) {
		if (i > 0)
			putc(',', f);
		json_value(f, get(e, inventory_keys[i]), 3);
	}
	putc(']', f);
	if (io->pk.n == INV_CHUNK)
		pack_flush(io->out, &io->pk);
}

static bool
inventory_lazy(void *ctx, cJSON *item)
{
	inventory_item(ctx, item);
	cJSON_Delete(item);
	return true;
}

static void
write_inventory_data(struct page *pg)
{
	struct inv_out io = { .out = pg->after };
	const cJSON *inv = get_arr(pg->doc, "inventory"), *e;

	pack_init(&io.pk, 'i', NULL, 1);
	json_lazy_each(inv, inventory_lazy, &io);	/* the shell's (json.h) */
	cJSON_ArrayForEach(e, inv)
		inventory_item(&io, e);
	pack_flush(io.out, &io.pk);
}

static void
write_tail(struct page *pg)
{
	FILE *f = pg->f;
	const char *schema = get_str(pg->doc, "schema");

	fputs("</main>\n<footer class=\"wrap\"><p>Written by imcq, an offline "
	      "and read-only analyser", f);
	if (schema != NULL) {
		fputs(", from a report document of schema <code>", f);
		put_str(f, schema);
		fputs("</code>", f);
	}
	fputs(". This page is self-contained and makes no network request. "
	      "It embeds what its tables and the message detail show; the "
	      "complete record of every message (MIME parts, raw header "
	      "bytes, the envelope&#39;s layout), the routing decisions, the "
	      "log events and the Queue.dat references are in report.json."
	      "</p></footer>\n", f);
	write_data(pg);
	pack_init(&pg->rows, 'r', row_cols, NROWCOLS);
	pack_init(&pg->hay, 'x', NULL, 1);
	pg->hay.text = true;
	pack_init(&pg->domains, 'q', NULL, 1);
	pack_init(&pg->details, 'd', NULL, 1);
	/* the inventory and the details follow the script: the table works
	 * before the browser has read them (a temporary file holds them
	 * meanwhile; without one they come before the script) */
	pg->tmp = tmpfile();
	if (pg->tmp != NULL)
		__fsetlocking(pg->tmp, FSETLOCKING_BYCALLER);	/* the page's */
	pg->after = pg->tmp != NULL ? pg->tmp : pg->f;
	write_inventory_data(pg);
}

/* The last blocks, the script, what follows it, the end of the page. */
static int
page_end(struct page *pg)
{
	FILE *f = pg->f;
	char buf[65536];
	size_t n;
	int rc = 0;

	rows_flush(pg);
	pack_flush(f, &pg->hay);
	pack_flush(f, &pg->domains);
	pack_flush(pg->after, &pg->details);
	fputs("<script>", f);
	fwrite(html_asset_report_js, 1, html_asset_report_js_len, f);
	fputs("</script>\n", f);
	if (pg->tmp != NULL) {
		if (fflush(pg->tmp) != 0 || fseek(pg->tmp, 0, SEEK_SET) != 0)
			rc = -1;
		while (rc == 0 && (n = fread(buf, 1, sizeof(buf), pg->tmp)) > 0)
			fwrite(buf, 1, n, f);
		if (ferror(pg->tmp))
			rc = -1;
		fclose(pg->tmp);
	}
	fputs("</body>\n</html>\n", f);
	free(pg->oldest);
	return rc != 0 || ferror(f) ? -1 : 0;
}

static void
write_page(struct page *pg)
{
	write_head(pg);
	write_masthead(pg);
	write_incident(pg);
	write_states(pg);
	write_qshape(pg);
	write_findings(pg);
	write_messages(pg);
	write_changes(pg);
	write_inventory(pg);
	write_anomalies(pg);
	write_tail(pg);
}

int
report_html_write(FILE *out, const cJSON *doc)
{
	struct page pg;
	const cJSON *m;

	page_init(&pg, out, doc, NULL);
	write_page(&pg);
	cJSON_ArrayForEach(m, pg.messages)
		page_message(&pg, m);
	return page_end(&pg);
}

struct html_stream {
	struct page pg;
};

struct html_stream *
report_html_begin(FILE *out, const cJSON *doc, const struct html_msgs *ms)
{
	struct html_stream *hs = calloc(1, sizeof(*hs));

	if (hs == NULL)
		abort();
	page_init(&hs->pg, out, doc, ms);
	write_page(&hs->pg);
	return hs;
}

void
report_html_message(struct html_stream *hs, const cJSON *m)
{
	page_message(&hs->pg, m);
}

struct html_piece *
report_html_prepare(const struct html_stream *hs, const cJSON *m)
{
	return piece_make(hs->pg.need_domains, m);
}

void
report_html_add(struct html_stream *hs, const struct html_piece *p)
{
	piece_add(&hs->pg, p);
}

void
report_html_piece_free(struct html_piece *p)
{
	piece_free(p);
}

size_t
report_html_piece_size(const struct html_piece *p)
{
	return p != NULL ? p->len + p->nseg * sizeof(*p->seg) : 0;
}

int
report_html_end(struct html_stream *hs)
{
	int rc = page_end(&hs->pg);

	free(hs);
	return rc;
}
