/* SPDX-License-Identifier: MIT */
/*
 * mime.c - RFC 822 / MIME facts of a message, through GMime 3.
 *
 * The only file that includes <gmime/gmime.h>.  Every GObject but the
 * thread's parser and its stream (parser_on()) is created and released
 * inside one call of mime_fill(); the model receives plain heap strings.
 *
 * Before GMime sees the bytes they are copied once, and the copy is
 * prepared so that the parser is both correct and bounded:
 *   - an mbox "From " line in front of the headers is left out;
 *   - lone CR line ends (the "mac" files, CR-only) become LF: GMime only
 *     knows LF and CRLF, and a CR-only file would otherwise be one
 *     endless header line;
 *   - a header field longer than lim->header_bytes is cut at the cap, and
 *     fields past lim->header_block bytes of header are left out, each
 *     with an anomaly at the field's offset in the member.
 * Hashes, sizes and line-end facts are taken from the original span.
 *
 * GMime parses the copy as a MIME part, not as a message: the header
 * fields, offsets and MIME tree are the same, without the GMimeMessage
 * that would decode the address, subject and date fields a second time.
 * Where the two parsers can differ GMime warns, and then the copy is
 * parsed again as a message (parse_fast()).
 */
#include "analyzer/mime.h"

#include <gmime/gmime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/xalloc.h"

/* Header fields kept in hdr.all: lim->header_fields (--max-header-fields);
 * more are counted in one anomaly. */
/* Bytes of a Received value kept in hop->raw, and about the most of one
 * clause (from, by, with) built from several atoms. */
#define MIME_HOP_RAW 2048u
#define MIME_HOP_FIELD 256u
/* Largest RFC 822 part handed to GMime (its byte arrays count in guint). */
#define MIME_MAX_PARSE ((size_t)0x7fffffffu)
/* Envelope recipients named in the BCC_IN_ENVELOPE message. */
#define MIME_BCC_LIST 20u

struct fill {
	struct imcq_message *m;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	int input;
	const char *member;
	uint64_t body_off;	/* member offset of the span */
	uint64_t skipped;	/* bytes of an mbox "From " line left out */
	uint32_t warned;	/* GMime warnings already reported (bit per code) */
	GMimeParserOptions *opts;
	bool parts_over, depth_over;
	bool lone_cr;		/* the span holds a CR not followed by LF */
	/* prepare(): GMime's copy is the span itself from the first field on,
	 * and the header block is one GMime reads without a warning mime_fill
	 * reports (see quiet_parse()) */
	bool plain_block;
	bool borrowed;		/* GMime's input array wraps the span: not ours */
	size_t head_len;	/* prepare(): the header block with its blank line */
	/* head_only(): GMime read the header block alone; the top-level
	 * part's content is the rest of the input, leaf_size bytes */
	bool head_only;
	uint64_t leaf_size;
	GByteArray *head;	/* GMime's input then: a prefix of the span */
	/* parse_fast(): GMime warnings are only noted, not reported */
	bool probe, probe_hit;
};

/* raw 8-bit header bytes: UTF-8 if they are, else the Windows code page
 * of the IMS era, else Latin-1 (never fails) */
static const char *fallback_charsets[] = { "UTF-8", "windows-1252", "iso-8859-1", NULL };

static void
set_options(GMimeParserOptions *opts)
{
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(opts, TRUE);
	g_mime_parser_options_set_fallback_charsets(opts, fallback_charsets);
}

/*
 * The process's parser options without a warning callback, read-only once
 * made (so shared by every thread).  Issue #9: with a callback GMime
 * decodes every header value while it parses, and checks each for 8-bit
 * bytes; without one it decodes only the Content-* fields, and
 * fill_headers() decodes only the values that need it.  The decoding
 * calls of fill_headers() take these options too: their warnings are none
 * that on_warning() reports.
 */
static GMimeParserOptions *quiet_opts;

/* head_only() (below): IMCQ_MIME_HEAD */
static int head_mode = -1;	/* 0 off, 1 on, 2 verbose: mime_global_init */
static atomic_ulong head_count;

static void
head_report(void)
{
	fprintf(stderr, "imcq: IMCQ_MIME_HEAD: %lu header blocks parsed alone\n",
		(unsigned long)atomic_load(&head_count));
}

void
mime_global_init(void)
{
	static gsize once = 0;
	const char *v;

	if (g_once_init_enter(&once)) {
		g_mime_init();
		quiet_opts = g_mime_parser_options_new();
		set_options(quiet_opts);
		v = getenv("IMCQ_MIME_HEAD");
		head_mode = v == NULL ? 1 : strcmp(v, "off") == 0 ? 0 :
			    strcmp(v, "verbose") == 0 ? 2 : 1;
		if (head_mode == 2)
			atexit(head_report);
		g_once_init_leave(&once, 1);
	}
}

/* --- small string helpers ------------------------------------------- */

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_lwsp_c(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy of s without CR and LF (unfolding), trimmed of ASCII space and
 * tab; at most cap bytes kept. */
static char *
unfold_trim(const char *s, size_t cap)
{
	size_t n = strlen(s), i, k = 0;
	char *o;

	if (cap == (size_t)-1) {
		/* issue #9: the same bytes, with the ends trimmed first (CR
		 * and LF go anyway), and one copy when no CR or LF is left */
		for (i = 0; i < n && is_lwsp_c(s[i]); i++)
			;
		while (n > i && is_lwsp_c(s[n - 1]))
			n--;
		o = xmalloc(n - i + 1);
		if (memchr(s + i, '\n', n - i) == NULL && memchr(s + i, '\r', n - i) == NULL) {
			memcpy(o, s + i, n - i);
			o[n - i] = '\0';
			return o;
		}
		for (; i < n; i++)
			if (s[i] != '\r' && s[i] != '\n')
				o[k++] = s[i];
		o[k] = '\0';
		return o;
	}
	o = xmalloc(n + 1);

	for (i = 0; i < n && k < cap; i++)
		if (s[i] != '\r' && s[i] != '\n')
			o[k++] = s[i];
	while (k > 0 && is_wsp((unsigned char)o[k - 1]))
		k--;
	o[k] = '\0';
	for (i = 0; i < k && is_wsp((unsigned char)o[i]); i++)
		;
	if (i > 0)
		memmove(o, o + i, k - i + 1);
	return o;
}

static char *
lower_dup(const char *s)
{
	char *d = xstrdup(s);
	size_t i;

	for (i = 0; d[i]; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	return d;
}

/*
 * The lower-case "type/subtype" of ct, as lower_dup() of GMime's
 * g_mime_content_type_get_mime_type() (which fills in "text" and
 * "plain" for none) gives it, without its printf (issue #9).
 */
static char *
mime_type_lower(GMimeContentType *ct)
{
	const char *t = g_mime_content_type_get_media_type(ct);
	const char *st = g_mime_content_type_get_media_subtype(ct);
	size_t nt, ns, i;
	char *d;

	t = t ? t : "text";
	st = st ? st : "plain";
	nt = strlen(t);
	ns = strlen(st);
	d = xmalloc(nt + ns + 2);
	memcpy(d, t, nt);
	d[nt] = '/';
	memcpy(d + nt + 1, st, ns + 1);
	for (i = 0; d[i]; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	return d;
}

static bool
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/*
 * Is s (unfolded and trimmed) its own decoded value: no 8-bit byte and
 * no "=?"?  GMime's header value is then s itself (issue #9): it unfolds
 * the raw value (drops CR and LF, trims space, tab, CR and LF, as
 * unfold_trim() does) and decodes it word by word, and a word that is
 * neither 8-bit nor holds "=?" is copied as it is, as is the space
 * between words.
 */
static bool
plain_text(const char *s)
{
	size_t n = strlen(s), i = 0;
	const char *q, *end = s + n;
	uint64_t hi = 0;

	/* issue #9: eight bytes a step for the 8-bit test, memchr for '=' */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, sizeof(w));
		hi |= w;
	}
	for (; i < n; i++)
		hi |= (unsigned char)s[i];
	if (hi & UINT64_C(0x8080808080808080))
		return false;
	for (q = s; (q = memchr(q, '=', (size_t)(end - q))) != NULL; q++)
		if (q[1] == '?')
			return false;
	return true;
}

static bool
ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (imcq_strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void
fill_anomaly(struct fill *f, const char *code, enum imcq_sev sev,
	     uint64_t span_off, const char *msg)
{
	anomaly_add(f->rep, code, sev, f->input, f->member,
		    f->body_off + span_off, "%s", msg);
}

/* --- line ends ---------------------------------------------------------- */

/*
 * Which line ends b uses: CRLF, bare LF, lone CR (a CR not followed by
 * LF).  Byte j is a bare LF when it is an LF after anything but a CR,
 * and byte j - 1 a lone CR when it is a CR followed by anything but an
 * LF; a CR at the end of b is lone.  Issue #9: bare LFs and lone CRs
 * are looked for thirty-two bytes a step with vector compares (GCC/Clang
 * vector extensions, plain SSE2 on x86-64), where a memchr per line for
 * each of LF and CR cost ~1.2 instructions a byte; a CRLF is then the
 * first CR followed by an LF (memchr, usually the first line's end).
 * Returns whether b holds a lone CR (prepare() must rewrite those).
 */
typedef unsigned char imcq_v16 __attribute__((vector_size(16)));

static bool
v16_any(imcq_v16 v)
{
	uint64_t w[2];

	memcpy(w, &v, sizeof(w));
	return (w[0] | w[1]) != 0;
}

static bool
scan_line_ends(struct imcq_message *m, struct span b)
{
	const unsigned char *p = b.ptr, *end = b.ptr + b.len, *q;
	size_t n = b.len, j = 1;
	bool crlf = false, lf = n > 0 && p[0] == '\n', cr = false;
	int kinds;

	if (n > 32) {
		const imcq_v16 vlf = { '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
				       '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n' };
		const imcq_v16 vcr = vlf + ('\r' - '\n');
		imcq_v16 alf = { 0 }, acr = { 0 };

		/* bytes j..j+31, each with the byte before it */
		for (; j + 32 <= n; j += 32) {
			imcq_v16 cur0, prev0, cur1, prev1, l0, c0, l1, c1;

			memcpy(&cur0, p + j, sizeof(cur0));
			memcpy(&prev0, p + j - 1, sizeof(prev0));
			memcpy(&cur1, p + j + 16, sizeof(cur1));
			memcpy(&prev1, p + j + 15, sizeof(prev1));
			l0 = (imcq_v16)(cur0 == vlf);
			c0 = (imcq_v16)(prev0 == vcr);
			l1 = (imcq_v16)(cur1 == vlf);
			c1 = (imcq_v16)(prev1 == vcr);
			alf |= (l0 & ~c0) | (l1 & ~c1);
			acr |= (c0 & ~l0) | (c1 & ~l1);
		}
		lf = lf || v16_any(alf);
		cr = v16_any(acr);
	}
	for (; j < n; j++) {
		bool l = p[j] == '\n', c = p[j - 1] == '\r';

		lf = lf || (l && !c);
		cr = cr || (c && !l);
	}
	if (n > 0 && p[n - 1] == '\r')
		cr = true;
	for (q = p; q < end && (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 < end && q[1] == '\n') {
			crlf = true;
			break;
		}
	kinds = crlf + lf + cr;
	if (kinds == 0)
		m->line_ends = "none";
	else if (kinds > 1)
		m->line_ends = "mixed";
	else
		m->line_ends = crlf ? "crlf" : lf ? "lf" : "cr";
	m->final_newline = b.len > 0 &&
		(b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r');
	return cr;
}

/* --- preparing GMime's copy ------------------------------------------- */

/* Append p[0..n) turning every CR that is not followed by LF into LF
 * (within p[0..n): a CR at its end counts as lone).  Without a lone CR
 * in the whole span (f->lone_cr false) that is a plain copy. */
static void
append_norm(const struct fill *f, GByteArray *a, const unsigned char *p, size_t n)
{
	static const guint8 lf = '\n';
	const unsigned char *run = p, *end = p + n, *q;

	if (!f->lone_cr) {
		if (n > 0)
			g_byte_array_append(a, p, (guint)n);
		return;
	}
	for (q = p; q < end && (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++) {
		if (q + 1 < end && q[1] == '\n')
			continue;
		if (q > run)
			g_byte_array_append(a, run, (guint)(q - run));
		g_byte_array_append(a, &lf, 1);
		run = q + 1;
	}
	if (end > run)
		g_byte_array_append(a, run, (guint)(end - run));
}

/* Is line a header field's first line: a name of printable characters
 * other than ':' then (optional blanks and) ':'?  Returns the offset of
 * the ':' (0 if not). */
static size_t
header_colon(struct span line)
{
	size_t i = 0;

	while (i < line.len && line.ptr[i] > 32 && line.ptr[i] < 127 && line.ptr[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < line.len && is_wsp(line.ptr[i]))
		i++;
	return i < line.len && line.ptr[i] == ':' ? i : 0;
}

/* Does p[0..n) hold needle (lower case), ignoring ASCII case? */
static bool
ci_memmem(const unsigned char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i, j;

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			unsigned char c = p[i + j];

			if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)needle[j])
				break;
		}
		if (j == k)
			return true;
	}
	return false;
}

/* GMime's copy is built of byte ranges of the span; contiguous ones are
 * gathered and appended at once (a CR at a range's end is lone either
 * way: a CR followed by LF ends no line of span_next_line's).  The copy
 * (*a) is made only once a range does not follow the one before. */
struct pending {
	GByteArray *a;
	size_t from, to;
};

static void
pend_flush(const struct fill *f, struct span b, struct pending *p)
{
	if (p->a == NULL)
		p->a = g_byte_array_sized_new((guint)b.len + 1);	/* b.len < MIME_MAX_PARSE */
	if (p->to > p->from)
		append_norm(f, p->a, b.ptr + p->from, p->to - p->from);
	p->from = p->to;
}

static void
pend_add(const struct fill *f, struct span b, struct pending *p, size_t from, size_t to)
{
	if (p->to != from) {
		pend_flush(f, b, p);
		p->from = from;
	}
	p->to = to;
}

/*
 * Build GMime's input from the span: see the comment at the top.  Returns
 * a GByteArray the caller hands to a GMime stream and frees with
 * release_input().  Issue #9: when nothing is left out or rewritten
 * after an mbox "From " line, the array wraps the span
 * itself rather than a copy.
 *
 * Sets f->plain_block when the header block is one GMime's part parser
 * reads without a warning on_warning() reports (quiet_parse()): each
 * line a field's first line (header_colon(), with a name GMime scans in
 * one buffer) or a continuation of one, ended by an empty line (no
 * "truncated"), no line rewritten (no lone CR, nothing cut), and no
 * Content-Type field naming "multipart" or "message" (the only types
 * GMime parses further parts of, with their own warnings).
 */
static GByteArray *
prepare(struct fill *f, struct span b)
{
	size_t pos = 0, start = 0, total = 0, field = 0;
	bool block_over = false, field_cut = false, have_field = false;
	bool clean = !f->lone_cr, ended = false, in_ctype = false, nested = false;
	struct pending pd = { NULL, 0, 0 };
	struct span line;

	if (b.len >= 5 && memcmp(b.ptr, "From ", 5) == 0) {
		(void)span_next_line(b, &pos, &line);
		f->skipped = pos;
		start = pos;
	}
	pd.from = pd.to = start;
	if (f->lone_cr)
		pend_flush(f, b, &pd);	/* lone CRs are rewritten: a copy */
	for (;;) {
		size_t lstart = pos, termlen, add, colon;

		if (!span_next_line(b, &pos, &line))
			break;
		termlen = pos - lstart - line.len;
		if (line.len == 0) {
			/* the blank line: end of the header block */
			pend_add(f, b, &pd, lstart, pos);
			ended = true;
			f->head_len = pos - start;
			break;
		}
		if (is_wsp(line.ptr[0]) && have_field) {
			field += line.len + termlen;
		} else if ((colon = header_colon(line)) != 0) {
			have_field = true;
			field = line.len + termlen;
			field_cut = false;
			/* GMime scans a field name within its 4 KiB buffer */
			if (colon >= 1024)
				clean = false;
			in_ctype = colon >= 12 && imcq_strncasecmp((const char *)line.ptr, "Content-Type", 12) == 0 &&
				(colon == 12 || is_wsp(line.ptr[12]));
		} else if (lstart == start && is_wsp(line.ptr[0])) {
			/* a continuation line before any field: keep it, GMime
			 * and other readers decide what it means */
			field = line.len + termlen;
			clean = false;
		} else {
			/* not a header line: the header block ends here */
			pos = lstart;
			break;
		}
		if (in_ctype && (ci_memmem(line.ptr, line.len, "multipart") ||
				 ci_memmem(line.ptr, line.len, "message")))
			nested = true;
		total += line.len + termlen;
		if (total > f->lim->header_block) {
			if (!block_over) {
				char msg[160];

				snprintf(msg, sizeof(msg),
					 "header block larger than %zu bytes (--max-header-block): "
					 "the fields from here on are not parsed", f->lim->header_block);
				fill_anomaly(f, "header-block-too-large", IMCQ_SEV_WARNING, lstart, msg);
				block_over = true;
			}
			clean = false;
			continue;
		}
		if (field > f->lim->header_bytes) {
			if (!field_cut) {
				char msg[160];
				size_t before = field - (line.len + termlen);

				snprintf(msg, sizeof(msg),
					 "header field longer than %zu bytes (--max-header): truncated",
					 f->lim->header_bytes);
				fill_anomaly(f, "header-too-long", IMCQ_SEV_WARNING, lstart, msg);
				field_cut = true;
				add = f->lim->header_bytes > before ? f->lim->header_bytes - before : 0;
				if (add > line.len)
					add = line.len;
				pend_flush(f, b, &pd);
				g_byte_array_append(pd.a, line.ptr, (guint)add);
				g_byte_array_append(pd.a, (const guint8 *)"\n", 1);
				pd.from = pd.to = pos;	/* the cut line is not its bytes */
			}
			clean = false;
			continue;
		}
		pend_add(f, b, &pd, lstart, pos);
	}
	if (pos < b.len)
		pend_add(f, b, &pd, pos, b.len);
	f->plain_block = clean && ended && !nested;
	if (pd.a == NULL) {
		/* nothing left out or rewritten: GMime reads the span itself
		 * (it only reads its input) */
		f->borrowed = true;
		return g_byte_array_new_take((guint8 *)(uintptr_t)(b.ptr + pd.from),
					     pd.to - pd.from);
	}
	pend_flush(f, b, &pd);
	return pd.a;
}

/* Free an array that wraps bytes it does not own (not the bytes). */
static void
free_borrowed(GByteArray *a)
{
	(void)g_byte_array_steal(a, NULL);
	g_byte_array_free(a, TRUE);
}

/* Free GMime's input array (not the span it may wrap), and head_only()'s
 * prefix of it. */
static void
release_input(struct fill *f, GByteArray *arr)
{
	if (f->borrowed)
		free_borrowed(arr);
	else
		g_byte_array_free(arr, TRUE);
	if (f->head != NULL) {
		free_borrowed(f->head);
		f->head = NULL;
	}
}

/* --- GMime warnings ------------------------------------------------------ */

static void
on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
	struct fill *f = user;
	const char *acode = NULL, *what = NULL;
	enum imcq_sev sev = IMCQ_SEV_INFO;
	char msg[300];

	switch (code) {
	case GMIME_WARN_TRUNCATED_MESSAGE:
		acode = "mime-truncated"; what = "the message is truncated";
		sev = IMCQ_SEV_WARNING;
		break;
	case GMIME_WARN_MALFORMED_MULTIPART:
		acode = "mime-malformed-multipart"; what = "a multipart has no child parts";
		break;
	case GMIME_WARN_MALFORMED_MESSAGE:
		acode = "mime-malformed"; what = "the message is malformed";
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		acode = "header-invalid-name"; what = "invalid header name";
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		acode = "mime-no-boundary"; what = "a multipart lacks its boundary parameter";
		sev = IMCQ_SEV_WARNING;
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		acode = "mime-nesting-overflow"; what = "GMime's own MIME nesting limit was reached";
		sev = IMCQ_SEV_WARNING;
		break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		acode = "mime-empty-part"; what = "a MIME part has neither headers nor content";
		break;
	default:
		return;
	}
	if (f->probe) {
		f->probe_hit = true;
		return;
	}
	if ((unsigned)code < 32) {
		if (f->warned & (1u << (unsigned)code))
			return;
		f->warned |= 1u << (unsigned)code;
	}
	snprintf(msg, sizeof(msg), "%s%s%.120s", what, item ? ": " : "", item ? item : "");
	fill_anomaly(f, acode, sev, f->skipped + (offset > 0 ? (uint64_t)offset : 0), msg);
}

/* --- addresses ------------------------------------------------------------ */

/* Append the addr-specs of list (groups flattened) to sv, at most cap. */
static void
collect_addrs(InternetAddressList *list, struct imcq_strv *sv, size_t cap, unsigned depth,
	      bool keep_empty)
{
	int i, n;

	if (list == NULL || depth > 4)
		return;
	n = internet_address_list_length(list);
	for (i = 0; i < n && sv->n < cap; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));

			if (a != NULL && (*a != '\0' || keep_empty))
				strv_push(sv, xstrdup(a));
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			collect_addrs(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				      sv, cap, depth + 1, keep_empty);
		}
	}
}

static char *
first_addr(InternetAddressList *list)
{
	struct imcq_strv sv = { 0 };
	char *r = NULL;

	collect_addrs(list, &sv, 1, 0, true);
	if (sv.n > 0) {
		r = sv.v[0];
		sv.v[0] = NULL;
		sv.n = 0;
	}
	strv_release(&sv);
	return r;
}

/* A case-insensitive set of addresses: sorted lower-case copies. */
struct addrset {
	char **v;
	size_t n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
addrset_add(struct addrset *s, size_t *cap, const struct imcq_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		VEC_PUSH(s->v, s->n, *cap, lower_dup(sv->v[i]));
}

static bool
addrset_has(const struct addrset *s, const char *addr)
{
	char *k = lower_dup(addr);
	bool r = s->n > 0 && bsearch(&k, s->v, s->n, sizeof(char *), cmp_str) != NULL;

	free(k);
	return r;
}

static void
addrset_release(struct addrset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

struct keyed {
	char *key;
	size_t idx;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Envelope recipients from To, Cc and Bcc, as the IMS Pickup takes them
 * (Q201314): each address once (case-insensitively), in header order, at
 * most lim->rcpts kept and the rest counted.  O(n log n).
 */
static void
derive_rcpts(struct fill *f)
{
	struct imcq_cold *h = &f->m->c;
	const struct imcq_strv *lists[3] = { &h->to, &h->cc, &h->bcc };
	struct keyed *k;
	bool *dup;
	size_t n = h->to.n + h->cc.n + h->bcc.n, i, j, at = 0;

	if (n == 0)
		return;
	k = xreallocarray(NULL, n, sizeof(*k));
	dup = xcalloc(n, sizeof(*dup));
	for (i = 0; i < 3; i++)
		for (j = 0; j < lists[i]->n; j++) {
			k[at].key = lower_dup(lists[i]->v[j]);
			k[at].idx = at;
			at++;
		}
	xqsort(k, n, sizeof(*k), cmp_keyed);
	for (i = 1; i < n; i++)
		if (strcmp(k[i].key, k[i - 1].key) == 0)
			dup[k[i].idx] = true;
	at = 0;
	for (i = 0; i < 3; i++)
		for (j = 0; j < lists[i]->n; j++, at++) {
			if (dup[at])
				continue;
			if (f->m->im->env.rcpt_to.n >= f->lim->rcpts)
				envelope_drop_rcpt(&f->m->im->env);
			else
				strv_push(&f->m->im->env.rcpt_to, xstrdup(lists[i]->v[j]));
		}
	for (i = 0; i < n; i++)
		free(k[i].key);
	free(k);
	free(dup);
	if (f->m->im->env.rcpt_dropped > 0)
		anomaly_add(f->rep, "rcpts-limit", IMCQ_SEV_WARNING, f->input, f->member,
			    f->body_off, "%llu recipients beyond the --max-rcpts cap of %u were counted, not kept",
			    (unsigned long long)f->m->im->env.rcpt_dropped, f->lim->rcpts);
}

static void
derive_envelope(struct fill *f)
{
	struct imcq_envelope *env = &f->m->im->env;
	struct imcq_cold *c = &f->m->c;
	const char *sender = c->sender ? c->sender : c->from;

	if (env->source == IMCQ_ENV_NONE || env->source == IMCQ_ENV_RFC822) {
		env->source = IMCQ_ENV_RFC822;
		if (c->encoding == NULL)
			c->encoding = xstrdup("rfc822-headers");
		if (env->confidence == 0)
			env->confidence = 50;
		if (env->mail_from == NULL && sender != NULL)
			env->mail_from = xstrdup(sender);
		if (env->rcpt_to.n == 0 && env->rcpt_dropped == 0)
			derive_rcpts(f);
	} else if (env->source == IMCQ_ENV_XHEADERS) {
		/* Q201314: what the X- lines do not give comes from the headers */
		if (env->mail_from == NULL && sender != NULL) {
			env->mail_from = xstrdup(sender);
			strv_push(&c->extra, xstrdup("mail_from_source=rfc822-headers"));
		}
		if (env->rcpt_to.n == 0 && env->rcpt_dropped == 0) {
			derive_rcpts(f);
			if (env->rcpt_to.n > 0)
				strv_push(&c->extra, xstrdup("rcpt_to_source=rfc822-headers"));
		}
	}
}

static void
fill_rcpts(struct fill *f)
{
	struct imcq_message *m = f->m;
	struct addrset hs = { 0 };
	size_t cap = 0, i, missing = 0;
	struct buf list;

	if (m->nrcpts > 0 || m->im->env.rcpt_to.n == 0)
		return;
	addrset_add(&hs, &cap, &m->c.to);
	addrset_add(&hs, &cap, &m->c.cc);
	if (hs.n > 1)
		xqsort(hs.v, hs.n, sizeof(char *), cmp_str);
	buf_init(&list, 4096);
	for (i = 0; i < m->im->env.rcpt_to.n; i++) {
		const char *a = m->im->env.rcpt_to.v[i];

		message_add_rcpt(m, a);
		m->rcpts[m->nrcpts - 1].in_headers = addrset_has(&hs, a);
		if (!m->rcpts[m->nrcpts - 1].in_headers) {
			if (missing < MIME_BCC_LIST)
				(void)buf_appendf(&list, "%s%s", missing ? ", " : "", a);
			missing++;
		}
	}
	if (missing > 0) {
		if (missing > MIME_BCC_LIST)
			(void)buf_appendf(&list, " and %zu more", missing - MIME_BCC_LIST);
		struct imcq_finding *fd;
		char *ex;

		/* code, reference, basis and action are literals, shared by
		 * every such finding (safe on the ingest producer thread) */
		fd = findlist_add_shared(&m->findings, "BCC_IN_ENVELOPE", IMCQ_SEV_INFO,
					 "Q249273", "documented",
					 "nothing to fix: a replay must use the envelope "
					 "recipients (imcq recover and reinject do), not the "
					 "To/Cc headers, or these recipients are lost (KB 306043)",
					 xasprintf("%zu envelope recipient%s not in To or Cc (Bcc "
						   "or list expansion): %s", missing,
						   missing == 1 ? " is" : "s are", list.data));
		ex = xasprintf("envelope (%s) names %zu recipient%s; To/Cc name %zu",
			       imcq_env_source_name(m->im->env.source), m->im->env.rcpt_to.n,
			       m->im->env.rcpt_to.n == 1 ? "" : "s", m->c.to.n + m->c.cc.n);
		evlist_add(&fd->ev, f->input, f->member, m->im->env.offset, 0, ex);
		free(ex);
		/* final: only the reports read its texts (model.h, text_spill;
		 * spill_put needs no lock: any thread) */
		finding_spill(f->rep != NULL ? f->rep->spill : NULL, fd);
	}
	buf_release(&list);
	addrset_release(&hs);
}

/* --- Received ------------------------------------------------------------- */

enum rkw { RK_NONE, RK_FROM, RK_BY, RK_VIA, RK_WITH, RK_ID, RK_FOR, RK_OTHER };

static enum rkw
rkw_of(const char *t, size_t n)
{
	static const struct { const char *w; enum rkw k; } kws[] = {
		{ "from", RK_FROM }, { "by", RK_BY }, { "via", RK_VIA },
		{ "with", RK_WITH }, { "id", RK_ID }, { "for", RK_FOR },
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strlen(kws[i].w) == n && imcq_strncasecmp(t, kws[i].w, n) == 0)
			return kws[i].k;
	return RK_NONE;
}

static void
hop_set(char **slot, const char *t, size_t n, bool append)
{
	if (*slot == NULL) {
		*slot = xstrndup(t, n);
	} else if (append && strlen(*slot) < MIME_HOP_FIELD) {
		/* capped: a hostile clause of many atoms stays linear */
		char *o = xasprintf("%s %.*s", *slot, (int)(n < MIME_HOP_FIELD ? n : MIME_HOP_FIELD), t);

		free(*slot);
		*slot = o;
	}
}

static char *
strip_angle(char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return s;
}

/*
 * One Received value (unfolded) into a hop: the clauses from/by/via/with/
 * id/for before the last ';' outside comments, the date after it.
 * "with" and "from"/"by" may span several atoms ("with Internet Mail
 * Service (5.5.2653.19) id <XXXXXXXX>").
 */
static void
parse_received(const char *v, struct imcq_hop *hop)
{
	size_t n = strlen(v), i, semi = n, clause;
	int depth = 0;
	enum rkw cur = RK_NONE;
	bool took = false;

	memset(hop, 0, sizeof(*hop));
	hop->date = IMCQ_NOTIME;
	hop->raw = xstrndup(v, strnlen(v, MIME_HOP_RAW));
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' && depth > 0 && i + 1 < n)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (v[i] == ';' && depth == 0)
			semi = i;
	}
	clause = semi;
	i = 0;
	while (i < clause) {
		size_t s;

		if (is_wsp((unsigned char)v[i])) {
			i++;
			continue;
		}
		if (v[i] == '(') {
			/* a comment: skip it (bounded by the clause) */
			depth = 0;
			for (; i < clause; i++) {
				if (v[i] == '\\' && i + 1 < clause)
					i++;
				else if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		s = i;
		if (v[i] == '[') {
			while (i < clause && v[i] != ']')
				i++;
			if (i < clause)
				i++;
		} else if (v[i] == '<') {
			while (i < clause && v[i] != '>')
				i++;
			if (i < clause)
				i++;
		} else {
			while (i < clause && !is_wsp((unsigned char)v[i]) && v[i] != '(' &&
			       v[i] != ';')
				i++;
		}
		if (i == s) {
			i++;
			continue;
		}
		{
			enum rkw k = rkw_of(v + s, i - s);

			if (k != RK_NONE && (cur == RK_NONE || took)) {
				cur = k;
				took = false;
				continue;
			}
			switch (cur) {
			case RK_FROM: hop_set(&hop->from, v + s, i - s, true); break;
			case RK_BY: hop_set(&hop->by, v + s, i - s, true); break;
			case RK_WITH: hop_set(&hop->with, v + s, i - s, true); break;
			case RK_ID: hop_set(&hop->id, v + s, i - s, false); break;
			case RK_FOR: hop_set(&hop->for_addr, v + s, i - s, false); break;
			default: break;
			}
			took = true;
		}
	}
	strip_angle(hop->id);
	strip_angle(hop->for_addr);
	if (semi < n) {
		char *d = unfold_trim(v + semi + 1, 256);

		if (*d != '\0') {
			GDateTime *dt = g_mime_utils_header_decode_date(d);

			hop->date_raw = d;
			if (dt != NULL) {
				hop->date = (int64_t)g_date_time_to_unix(dt);
				g_date_time_unref(dt);
			}
		} else {
			free(d);
		}
	}
}

static bool
is_ims_hop(const struct imcq_hop *h)
{
	return h->raw != NULL && (ci_contains(h->raw, "Internet Mail Service") ||
				  ci_contains(h->raw, "Internet Mail Connector"));
}

static bool
upper_spool_id(const char *s)
{
	size_t i;

	if (s == NULL || !imcq_is_spool_id(s, strlen(s)))
		return false;
	for (i = 0; i < 8; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			return false;
	return true;
}

static void
pick_ims_id(struct fill *f)
{
	struct imcq_message *m = f->m;
	const char *id = NULL;
	size_t i;

	for (i = 0; i < m->im->hdr.nreceived && id == NULL; i++)
		if (is_ims_hop(&m->im->hdr.received[i]) && m->im->hdr.received[i].id != NULL &&
		    *m->im->hdr.received[i].id != '\0')
			id = m->im->hdr.received[i].id;
	/* no hop names the IMS: an upper-case 8-character id, as the IMS writes */
	for (i = 0; i < m->im->hdr.nreceived && id == NULL; i++)
		if (upper_spool_id(m->im->hdr.received[i].id))
			id = m->im->hdr.received[i].id;
	if (id == NULL)
		return;
	m->ims_id = xstrdup(id);
	if (m->spool_id != NULL && imcq_is_spool_id(m->spool_id, strlen(m->spool_id)) &&
	    imcq_strcasecmp(m->spool_id, m->ims_id) != 0)
		anomaly_add(f->rep, "ims-id-mismatch", IMCQ_SEV_WARNING, f->input, f->member,
			    f->body_off, "file name %s differs from the id %s in the IMS Received line",
			    m->spool_id, m->ims_id);
}

/* --- MIME tree ------------------------------------------------------------ */

static uint64_t
walk(struct fill *f, GMimeObject *obj, const char *path, unsigned depth)
{
	struct imcq_message *m = f->m;
	struct imcq_mime_part p;
	GMimeContentType *ct;
	size_t idx;
	uint64_t size = 0;

	if (obj == NULL)
		return 0;
	if (depth > f->lim->mime_depth) {
		if (!f->depth_over) {
			char msg[128];

			snprintf(msg, sizeof(msg), "MIME nesting deeper than %u levels "
				 "(--max-mime-depth): deeper parts not summarised", f->lim->mime_depth);
			fill_anomaly(f, "mime-depth-limit", IMCQ_SEV_WARNING, f->skipped, msg);
			f->depth_over = true;
		}
		return 0;
	}
	if (m->c.nparts >= f->lim->mime_parts) {
		if (!f->parts_over) {
			char msg[128];

			snprintf(msg, sizeof(msg), "more than %u MIME parts (--max-mime-parts): "
				 "the rest not summarised", f->lim->mime_parts);
			fill_anomaly(f, "mime-parts-limit", IMCQ_SEV_WARNING, f->skipped, msg);
			f->parts_over = true;
		}
		return 0;
	}
	if (depth > m->mime_depth)
		m->mime_depth = depth > UINT16_MAX ? UINT16_MAX : (uint16_t)depth;
	memset(&p, 0, sizeof(p));
	p.path = xstrdup(path);
	p.depth = depth;
	ct = g_mime_object_get_content_type(obj);
	if (ct != NULL) {
		const char *cs = g_mime_content_type_get_parameter(ct, "charset");

		p.content_type = mime_type_lower(ct);
		if (cs != NULL)
			p.charset = xstrdup(cs);
	}
	if (GMIME_IS_PART(obj)) {
		GMimePart *part = GMIME_PART(obj);
		const char *fn = g_mime_part_get_filename(part);
		GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
		GMimeDataWrapper *dw = g_mime_part_get_content(part);

		if (fn != NULL)
			p.filename = xstrdup(fn);
		if (enc != GMIME_CONTENT_ENCODING_DEFAULT) {
			const char *es = g_mime_content_encoding_to_string(enc);

			if (es != NULL)
				p.encoding = xstrdup(es);
		}
		if (f->head_only && depth == 1) {
			size = f->leaf_size;	/* GMime saw none of it: head_only() */
		} else if (dw != NULL) {
			GMimeStream *st = g_mime_data_wrapper_get_stream(dw);
			gint64 len = st ? g_mime_stream_length(st) : -1;

			if (len > 0)
				size = (uint64_t)len;
		}
	}
	p.size = size;
	message_add_part(m, &p);
	idx = m->c.nparts - 1;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n && !f->parts_over; i++) {
			char *cp = xasprintf("%s.%d", path, i + 1);

			size += walk(f, g_mime_multipart_get_part(mp, i), cp, depth + 1);
			free(cp);
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *em = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (em != NULL) {
			char *cp = xasprintf("%s.1", path);

			size += walk(f, g_mime_message_get_mime_part(em), cp, depth + 1);
			free(cp);
		}
	}
	m->c.parts[idx].size = size;
	return size;
}

/* --- headers -------------------------------------------------------------- */

/* Did decoding the Subject have to guess: raw 8-bit bytes, or an encoded
 * word in a charset iconv does not know? */
static bool
subject_guessed(const char *raw)
{
	const char *p = raw;

	if (has_8bit(raw))
		return true;
	while ((p = strstr(p, "=?")) != NULL) {
		const char *cs = p + 2, *e = cs;
		char name[64];
		size_t n;

		while (*e && *e != '?' && *e != '*' && !is_wsp((unsigned char)*e))
			e++;
		n = (size_t)(e - cs);
		p = e;
		if (*e != '?' && *e != '*')
			continue;
		if (n == 0 || n >= sizeof(name))
			return true;
		memcpy(name, cs, n);
		name[n] = '\0';
		{
			iconv_t cd = g_mime_iconv_open("UTF-8", name);

			if (cd == (iconv_t)-1)
				return true;
			g_mime_iconv_close(cd);
		}
	}
	return false;
}

/* v: a value unfold_trim() gave */
static void
set_once(char **slot, const char *v)
{
	if (*slot == NULL && v != NULL)
		*slot = xstrdup(v);
}

static size_t
count_headers(GMimeObject *o)
{
	GMimeHeaderList *hl = o ? g_mime_object_get_header_list(o) : NULL;
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	return n > 0 ? (size_t)n : 0;
}

/* A header field and its offset in the input. */
struct hfield {
	GMimeHeader *h;
	gint64 off;
};

static size_t
add_headers(GMimeObject *o, struct hfield *v, size_t at)
{
	GMimeHeaderList *hl = o ? g_mime_object_get_header_list(o) : NULL;
	int i, n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (i = 0; i < n; i++) {
		v[at].h = g_mime_header_list_get_header_at(hl, i);
		v[at].off = g_mime_header_get_offset(v[at].h);
		at++;
	}
	return at;
}

/* Input order: by offset (equal offsets do not occur in parsed input;
 * the address keeps the order total). */
static bool
hfield_before(const struct hfield *x, const struct hfield *y)
{
	if (x->off != y->off)
		return x->off < y->off;
	return (uintptr_t)x->h < (uintptr_t)y->h;
}

static int
cmp_hfield(const void *a, const void *b)
{
	const struct hfield *x = a, *y = b;

	return hfield_before(x, y) ? -1 : hfield_before(y, x) ? 1 : 0;
}

static bool
hfields_sorted(const struct hfield *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (!hfield_before(&v[i - 1], &v[i]))
			return false;
	return true;
}

/*
 * v[0..na) and v[na..n) into out, in input order.  Issue #9: GMime lists
 * each object's fields in input order, so a merge suffices (a qsort was
 * ~1 % of the applying thread); either list out of order is sorted as a
 * whole, with the same result.
 */
static void
merge_hfields(struct hfield *v, size_t na, size_t n, struct hfield *out)
{
	size_t i = 0, j = na, k = 0;

	if (!hfields_sorted(v, na) || !hfields_sorted(v + na, n - na)) {
		xqsort(v, n, sizeof(*v), cmp_hfield);
		memcpy(out, v, n * sizeof(*v));
		return;
	}
	while (i < na && j < n)
		out[k++] = hfield_before(&v[j], &v[i]) ? v[j++] : v[i++];
	while (i < na)
		out[k++] = v[i++];
	while (j < n)
		out[k++] = v[j++];
}

/* Single-valued fields: the first occurrence counts (as in Python's
 * email package and most MUAs); repeats are reported. */
enum single { S_SUBJECT, S_DATE, S_MSGID, S_FROM, S_SENDER, S_REPLYTO, S_COUNT };

static const char *const single_names[S_COUNT] = {
	"Subject", "Date", "Message-ID", "From", "Sender", "Reply-To",
};

/* Is the value an empty address "<>" (the null sender of a bounce)? */
static bool
null_addr(const char *u)
{
	const char *lt = strchr(u, '<');

	if (lt == NULL || strchr(u, '@') != NULL)
		return false;
	for (lt++; *lt == ' ' || *lt == '\t'; lt++)
		;
	return *lt == '>';
}

static char *
parse_first_addr(struct fill *f, const char *u)
{
	InternetAddressList *l = internet_address_list_parse(f->opts, u);
	char *a = NULL;

	if (l != NULL) {
		a = first_addr(l);
		g_object_unref(l);
	}
	if (a == NULL && null_addr(u))
		a = xstrdup("");
	return a;
}

static void
parse_addr_list(struct fill *f, const char *u, struct imcq_strv *sv)
{
	InternetAddressList *l = internet_address_list_parse(f->opts, u);

	if (l != NULL) {
		collect_addrs(l, sv, f->lim->rcpts, 0, false);
		g_object_unref(l);
	}
}

static void
take_single(struct fill *f, enum single which, const char *u)
{
	struct imcq_headers *h = &f->m->im->hdr;
	struct imcq_cold *c = &f->m->c;
	char *d;
	GDateTime *dt;

	switch (which) {
	case S_SUBJECT:
		if (plain_text(u)) {
			/* decoded it is itself, and nothing was guessed */
			h->subject = xstrdup(u);
			break;
		}
		d = g_mime_utils_header_decode_text(f->opts, u);
		h->subject = xstrdup(d ? d : u);
		g_free(d);
		if (subject_guessed(u))
			h->subject_raw = xstrdup(u);
		break;
	case S_DATE:
		c->date_raw = xstrdup(u);
		dt = g_mime_utils_header_decode_date(u);
		if (dt != NULL) {
			h->date = (int64_t)g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		} else {
			anomaly_add(f->rep, "bad-date", IMCQ_SEV_INFO, f->input, f->member,
				    f->body_off, "Date field not understood: %.100s", u);
		}
		break;
	case S_MSGID:
		d = g_mime_utils_decode_message_id(u);
		h->message_id = d != NULL && *d != '\0' ? xstrdup(d) : strip_angle(xstrdup(u));
		g_free(d);
		break;
	case S_FROM:
		c->from = parse_first_addr(f, u);
		break;
	case S_SENDER:
		c->sender = parse_first_addr(f, u);
		break;
	case S_REPLYTO:
		c->reply_to = parse_first_addr(f, u);
		break;
	case S_COUNT:
		break;
	}
}

/* The fields fill_headers() reads, beyond the single-valued ones. */
enum hname { H_SINGLE, H_RECEIVED, H_TO, H_CC, H_BCC, H_XPRIORITY, H_IMPORTANCE,
	     H_PRIORITY, H_CTYPE, H_OTHER };

/*
 * Which field name is: issue #9, by length and first letter, then one
 * comparison (the chain of comparisons was ~45 a field).  *single is
 * the enum single of H_SINGLE.
 */
static enum hname
classify(const char *name, enum single *single)
{
	static const struct { const char *n; enum hname h; int s; } names[] = {
		{ "Subject", H_SINGLE, S_SUBJECT }, { "Date", H_SINGLE, S_DATE },
		{ "Message-ID", H_SINGLE, S_MSGID }, { "From", H_SINGLE, S_FROM },
		{ "Sender", H_SINGLE, S_SENDER }, { "Reply-To", H_SINGLE, S_REPLYTO },
		{ "Received", H_RECEIVED, 0 }, { "To", H_TO, 0 }, { "Cc", H_CC, 0 },
		{ "Bcc", H_BCC, 0 }, { "X-Priority", H_XPRIORITY, 0 },
		{ "Importance", H_IMPORTANCE, 0 }, { "Priority", H_PRIORITY, 0 },
		{ "Content-Type", H_CTYPE, 0 },
	};
	size_t len = strlen(name), i;
	int c0 = name[0] >= 'a' && name[0] <= 'z' ? name[0] - 32 : name[0];

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n[0] == c0 && strlen(names[i].n) == len &&
		    imcq_strcasecmp(name, names[i].n) == 0) {
			*single = (enum single)names[i].s;
			return names[i].h;
		}
	return H_OTHER;
}

/*
 * The header fields of the top level: those of msg (NULL when the input
 * was parsed as a MIME part, see parse_fast()) and those of root, its
 * MIME part, merged back into input order.
 */
static void
fill_headers(struct fill *f, GMimeObject *msg, GMimeObject *root)
{
	struct imcq_message *m = f->m;
	struct imcq_headers *h = &m->im->hdr;
	struct imcq_cold *c = &m->c;
	struct hfield *v, *all;
	size_t i, n = 0, na, cnt;
	unsigned hops_over = 0, fields_over = 0, seen[S_COUNT] = { 0 };
	int k;

	/* GMime keeps the Content-* fields of the top level in the root
	 * part's list: merge both lists back into the order of the input */
	cnt = count_headers(msg) + count_headers(root) + 1;
	v = xreallocarray(NULL, 2 * cnt, sizeof(*v));
	all = v + cnt;
	na = add_headers(msg, v, 0);
	n = add_headers(root, v, na);
	merge_hfields(v, na, n, all);
	for (i = 0; i < n; i++) {
		GMimeHeader *hd = all[i].h;
		const char *name = g_mime_header_get_name(hd);
		const char *raw = g_mime_header_get_raw_value(hd);
		char *u, *kept = NULL;
		enum single single = S_COUNT;
		enum hname which;

		if (name == NULL)
			continue;
		/* the raw value unfolded, once for all its uses below */
		u = raw != NULL ? unfold_trim(raw, (size_t)-1) : NULL;
		if (h->nall < f->lim->header_fields) {
			struct imcq_header_field hf;

			hf.name = xstrdup(name);
			if (u != NULL && plain_text(u)) {
				hf.value = kept = u;
			} else {
				const char *val = g_mime_header_get_value(hd);

				hf.value = unfold_trim(val ? val : raw ? raw : "", (size_t)-1);
			}
			VEC_PUSH(c->all, h->nall, c->allcap, hf);
		} else {
			fields_over++;
		}
		if (raw == NULL)
			continue;
		which = classify(name, &single);
		switch (which) {
		case H_SINGLE:
			if (seen[single]++ == 0)
				take_single(f, single, u);
			break;
		case H_RECEIVED:
			if (h->nreceived < f->lim->hops) {
				struct imcq_hop hop;

				parse_received(u, &hop);
				headers_add_hop(h, &hop);
			} else {
				hops_over++;
			}
			break;
		case H_TO:
			parse_addr_list(f, u, &c->to);
			break;
		case H_CC:
			parse_addr_list(f, u, &c->cc);
			break;
		case H_BCC:
			parse_addr_list(f, u, &c->bcc);
			break;
		case H_XPRIORITY:
			set_once(&c->x_priority, u);
			break;
		case H_IMPORTANCE:
			set_once(&c->importance, u);
			break;
		case H_PRIORITY:
			set_once(&c->priority, u);
			break;
		case H_CTYPE:
			if (c->content_type == NULL) {
				GMimeContentType *ct = root ? g_mime_object_get_content_type(root) : NULL;

				c->content_type = ct ? mime_type_lower(ct) : xstrdup(u);
			}
			break;
		case H_OTHER:
			break;
		}
		if (u != kept)
			free(u);
	}
	free(v);
	for (k = 0; k < S_COUNT; k++)
		if (seen[k] > 1)
			anomaly_add(f->rep, "duplicate-header", IMCQ_SEV_INFO, f->input, f->member,
				    f->body_off, "%s appears %u times: the first is used",
				    single_names[k], seen[k]);
	if (fields_over > 0)
		anomaly_add(f->rep, "header-fields-limit", IMCQ_SEV_WARNING, f->input, f->member,
			    f->body_off, "%u header fields beyond %u not listed (--max-header-fields)",
			    fields_over, f->lim->header_fields);
	if (hops_over > 0)
		anomaly_add(f->rep, "received-hops-limit", IMCQ_SEV_WARNING, f->input, f->member,
			    f->body_off, "%u Received fields beyond %u not parsed (--max-received)",
			    hops_over, f->lim->hops);
}

/* --- parsing -------------------------------------------------------------- */

/*
 * Issue #9: one parser and one memory stream per thread, re-pointed at
 * each input, not a new pair of GObjects a message (their creation and
 * finalisation, with GLib's locks on object data, cost more than the
 * parser's own set-up).  g_mime_parser_init_with_stream() closes the
 * parser and sets it up afresh, as a new one would be: only the format
 * (set once here) and defaults never changed survive.  The stream is
 * re-pointed first (position and bounds back to the start, as a new
 * stream's), and as the cache holds its own reference the parser's
 * release of it on re-initialisation does not free it.  The substreams
 * of the parts read arr itself, not the stream.  Freed at thread exit
 * (GPrivate); the main thread's stays reachable to the end.
 */
struct reader {
	GMimeParser *parser;
	GMimeStream *stream;
};

static void
reader_free(gpointer p)
{
	struct reader *r = p;

	g_object_unref(r->parser);
	g_object_unref(r->stream);
	free(r);
}

static GPrivate reader_key = G_PRIVATE_INIT(reader_free);

/* The thread's parser, reading arr, which stays the caller's (it
 * outlives the parser's use of it and every substream GMime takes of
 * it).  The parser is the thread's: not for the caller to release. */
static GMimeParser *
parser_on(GByteArray *arr)
{
	struct reader *r = g_private_get(&reader_key);

	if (r == NULL) {
		r = xmalloc(sizeof(*r));
		r->stream = g_mime_stream_mem_new();
		r->parser = g_mime_parser_new();
		g_mime_parser_set_format(r->parser, GMIME_FORMAT_MESSAGE);
		g_private_set(&reader_key, r);
	}
	g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(r->stream), arr);
	g_mime_parser_init_with_stream(r->parser, r->stream);
	return r->parser;
}

static GMimeMessage *
parse_message(GByteArray *arr, GMimeParserOptions *opts)
{
	return g_mime_parser_construct_message(parser_on(arr), opts);
}

/*
 * The input parsed as a MIME part rather than a message: the same header
 * scan, the same header fields and offsets, the same MIME tree, but no
 * GMimeMessage, which decodes From/To/Cc/Bcc/Sender/Reply-To, Subject,
 * Date and Message-ID once more on every field (fill_headers() decodes
 * them itself, with the first-occurrence rule) and builds six address
 * lists per message: about a quarter of mime_fill's instructions.
 *
 * The two differ only where GMime's message parser reports something:
 * a first line that is not a header field (the message parser skips an
 * mbox "From " line there; the part parser fails), and a header block of
 * an inner part cut by the end of the input (the message parser adds
 * "malformed" to "truncated").  So GMime's warnings are only noted here,
 * and on any warning mime_fill reports, or on failure, the result is
 * dropped (NULL) and the caller parses the input again as a message,
 * exactly as before.
 */
static GMimeObject *
parse_fast(struct fill *f, GMimeParserOptions *opts, GByteArray *arr)
{
	GMimeObject *root;

	f->probe = true;
	f->probe_hit = false;
	root = g_mime_parser_construct_part(parser_on(arr), opts);
	f->probe = false;
	if (root != NULL && f->probe_hit) {
		g_object_unref(root);
		root = NULL;
	}
	return root;
}

/*
 * parse_fast() without a warning callback, for a header block prepare()
 * found plain: GMime's part parser then reports nothing on_warning()
 * would (an invalid field name, a truncated header block, and the
 * warnings of multiparts and message parts: see prepare()), so there is
 * nothing to probe for.  A result that is not a leaf part, or none, is
 * dropped (NULL) and the caller takes the general way.
 */
static GMimeObject *
quiet_parse(GByteArray *arr)
{
	GMimeObject *root = g_mime_parser_construct_part(parser_on(arr), quiet_opts);

	if (root != NULL && !GMIME_IS_PART(root)) {
		g_object_unref(root);
		root = NULL;
	}
	return root;
}

/*
 * quiet_parse() of the header block alone (issue #9).  A plain block
 * (prepare(): no Content-Type naming "multipart" or "message") makes a
 * leaf part, whose content GMime's parser only scans to the end of the
 * input, line by line, to measure it: at the top level there is no
 * boundary to find, and the content ends at the end of the input, its
 * last line end included (GMime 3 trims a line end only before a
 * boundary).  So GMime reads the header block and its blank line, and
 * the content's length is the rest of the input: the same part, the same
 * header fields, the same size (walk()), without the scan, which was
 * about 6 % of ingest's instructions besides hashing.  Only for an
 * input that is the span itself (f->borrowed), so that the header block
 * is a prefix of it; anything but a leaf part is dropped (NULL) as by
 * quiet_parse().  IMCQ_MIME_HEAD=off parses the whole input instead
 * (tests compare the two: the same bytes out); IMCQ_MIME_HEAD=verbose
 * says at exit how many inputs were read this way.
 */
static GMimeObject *
head_only(struct fill *f, GByteArray *arr)
{
	GMimeObject *root;

	if (!f->borrowed || f->head_len == 0 || f->head_len > arr->len || head_mode == 0)
		return NULL;
	/* borrowed like arr; kept until the part is released (its
	 * substreams read it): release_input() */
	f->head = g_byte_array_new_take(arr->data, f->head_len);
	root = quiet_parse(f->head);
	if (root != NULL) {
		f->head_only = true;
		f->leaf_size = arr->len - f->head_len;
		if (head_mode == 2)
			atomic_fetch_add(&head_count, 1);
	}
	return root;
}

void
mime_set_head_only(bool on)
{
	mime_global_init();
	head_mode = on ? (head_mode == 2 ? 2 : 1) : 0;
}

/* --- entry point ---------------------------------------------------------- */

void
mime_fill(struct imcq_message *m, struct span body, uint64_t body_off,
	  struct imcq_report *rep, const struct imcq_limits *lim)
{
	struct fill f;

	memset(&f, 0, sizeof(f));
	f.m = m;
	f.rep = rep;
	f.lim = lim;
	f.input = m->nsources > 0 ? m->sources[0].input : -1;
	f.member = m->nsources > 0 ? m->sources[0].member : NULL;
	f.body_off = body_off;

	m->size = body.len;
	sha256_raw(body.ptr ? (const void *)body.ptr : (const void *)"", body.len, m->im->body_sha256);
	m->has_body_sha256 = true;
	f.lone_cr = scan_line_ends(m, body);

	if (body.len >= MIME_MAX_PARSE) {
		anomaly_add(rep, "mime-too-large", IMCQ_SEV_WARNING, f.input, f.member, body_off,
			    "RFC 822 part of %zu bytes: too large for the MIME parser, "
			    "headers not read", body.len);
	} else if (body.len > 0) {
		GByteArray *arr;
		GMimeParserOptions *opts = NULL;
		GMimeMessage *msg = NULL;
		GMimeObject *root = NULL;

		mime_global_init();
		arr = prepare(&f, body);
		f.opts = quiet_opts;
		if (f.plain_block) {
			root = head_only(&f, arr);
			if (root == NULL)
				root = quiet_parse(arr);
		}
		if (root == NULL) {
			opts = g_mime_parser_options_new();
			set_options(opts);
			g_mime_parser_options_set_warning_callback(opts, on_warning, &f);
			root = parse_fast(&f, opts, arr);
			if (root == NULL)
				msg = parse_message(arr, opts);
		}
		if (msg != NULL || root != NULL) {
			GMimeObject *part = msg ? g_mime_message_get_mime_part(msg) : root;

			fill_headers(&f, msg ? GMIME_OBJECT(msg) : NULL, part);
			(void)walk(&f, part, "1", 1);
		} else {
			anomaly_add(rep, "not-a-message", IMCQ_SEV_WARNING, f.input, f.member,
				    body_off, "no RFC 822 header block could be parsed");
		}
		if (msg != NULL)
			g_object_unref(msg);
		if (root != NULL)
			g_object_unref(root);
		/* the thread's parser and stream still point at arr, but
		 * read it no more: parser_on() re-points them first */
		release_input(&f, arr);
		f.opts = NULL;
		if (opts != NULL)
			g_mime_parser_options_free(opts);
		pick_ims_id(&f);
	}
	derive_envelope(&f);
	fill_rcpts(&f);
}
