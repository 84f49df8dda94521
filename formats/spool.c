/* SPDX-License-Identifier: MIT */
/*
 * spool.c - IMS spool file: one message in Imcdata\Out, In, the Archive
 * folders, Work (and admin copies such as Out\Temp).
 *
 * Documented (DOMAIN.md §0 item 2, §2.1):
 *   - the file name is the 8-character spool id, no extension (Q192583,
 *     Q232279 and others);
 *   - the file starts with a binary envelope: a non-printable byte (shown
 *     as ASCII 247, 0xF7) then the magic "ImCr", binary bytes, the HELO
 *     name, the client host name, "<sender>" (MAIL FROM), an MTS-ID, more
 *     binary bytes (a short field shown as "X" and "9B"), "<recipient>"
 *     (RCPT TO), an unexplained fragment, then the marker "EwLs" and
 *     immediately the RFC 822 text (Q190709);
 *   - outbound archive copies carry the same envelope, and Bcc recipients
 *     appear between ImCr and EwLs (Q249273);
 *   - the stored RFC 822 text may lack a final CRLF (Q146993).
 *
 * Not documented, hence guessed and read tolerantly: how the envelope
 * fields are framed (length prefixes or NUL terminators), their widths
 * and byte order, and what the numeric fields mean.  The reader therefore
 * finds "ImCr" within the first IMCQ_BID_BYTES (normally at 0 or 1) and
 * the FIRST "EwLs" after it (at most lim->envelope_bytes on), and between
 * them extracts printable strings framed in any of these ways, trying
 * the strong framings first at each position:
 *   u32le / u16le / u8 length prefix (the length may count a final NUL;
 *   the string must end exactly where the printable run ends);
 *   NUL-terminated, or merely separated by non-printable bytes (runs of at
 *   least 3 printable bytes, or "<>");
 *   UTF-16LE runs of at least 3 characters.
 * Strings are classified in order: host-like tokens before the sender are
 * the HELO name then the client host; the first "<...>" (or "<>", the
 * null sender) is MAIL FROM; a string with "c=" and ";p=" / "l=" is the
 * MTS-ID; every further "<addr>" (or bare addr@domain) is a recipient.
 * Everything else is kept: bytes between strings as envelope gaps (hex,
 * with member offsets), unclassified strings and plausible FILETIME
 * values (1996..2040) in env.extra, the framings seen in env.encoding and
 * a confidence in env.confidence.
 */
#include "formats/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

/* ImCr further in than this is unusual and reported. */
#define SPOOL_MAGIC_NEAR 512u
/* Longest length-prefixed string believed. */
#define SPOOL_STR_MAX 4096u
/* Gaps, unclassified strings and FILETIMEs listed per envelope. */
#define SPOOL_MAX_GAPS 1024u
#define SPOOL_MAX_EXTRA 256u
/* Plausible FILETIME window, Unix seconds: 1996-01-01 .. 2040-01-01. */
#define SPOOL_FT_FIRST 820454400LL
#define SPOOL_FT_LAST 2208988800LL

enum kind {
	K_U32, K_U16, K_U8, K_NUL, K_SEP, K_UTF16, K_COUNT
};

static const char *const kind_names[K_COUNT] = {
	"u32le-length-prefixed", "u16le-length-prefixed", "u8-length-prefixed",
	"nul-terminated", "binary-separated", "utf16le",
};

struct scan {
	const struct imcq_entry *e;
	struct imcq_sink *s;
	struct imcq_message *m;
	unsigned counts[K_COUNT];
	bool have_sender;
	size_t ngaps_dropped;
	size_t nextra;
	size_t nextra_dropped;
};

static bool
printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool
spool_place(enum imcq_place p)
{
	switch (p) {
	case IMCQ_PL_OUT: case IMCQ_PL_IN: case IMCQ_PL_OUT_ARCHIVE:
	case IMCQ_PL_IN_ARCHIVE: case IMCQ_PL_WORK: case IMCQ_PL_BACKUP:
	case IMCQ_PL_TURFDIR:
		return true;
	default:
		return false;
	}
}

/* Only printable ASCII, 8-bit text and white space in p[0..n)? */
static bool
all_text(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static int
bid(const struct imcq_entry *e)
{
	size_t n = e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES;
	bool named = e->base != NULL && imcq_is_spool_id(e->base, strlen(e->base));
	const unsigned char *im = span_find(e->data, n, "ImCr", 4);

	const unsigned char *ew = span_find(e->data, n, "EwLs", 4);
	bool where = named && spool_place(e->place);

	if (im != NULL && (size_t)(im - e->data) < SPOOL_MAGIC_NEAR)
		return 40 + (named ? 4 : 0);
	/* Further in, the markers may just be quoted in a text file (a README
	 * about spool files): take them only after binary bytes or where a
	 * spool file belongs. */
	if (im != NULL && (where || !all_text(e->data, (size_t)(im - e->data))))
		return 20 + (named ? 4 : 0);
	if (ew != NULL && (where || !all_text(e->data, (size_t)(ew - e->data))))
		return 16 + (named ? 4 : 0);
	/* a damaged or foreign file where a spool file should be: take it
	 * at a low bid so that it is reported, not silently dropped */
	if (named && spool_place(e->place))
		return 4;
	return 0;
}

/* --- extraction ---------------------------------------------------------- */

/* Length of the printable run at p (at most max). */
static size_t
run_len(const unsigned char *p, size_t max)
{
	size_t i = 0;

	while (i < max && printable(p[i]))
		i++;
	return i;
}

/*
 * A length-prefixed string at p: width-byte little-endian length L, then L
 * bytes that are printable (the last may be a NUL), ending exactly where
 * the printable run ends.  A printable byte right after the string is
 * accepted when it starts the next string of the same framing (the low
 * byte of a length of 32..126 is itself printable) or, for the strong
 * u16/u32 framings (zero high bytes), when fewer than 3 printable bytes
 * follow (a numeric field whose low byte happens to be printable).
 */
static bool
prefix_at(const unsigned char *p, size_t left, unsigned width, size_t *body, size_t *tl)
{
	uint64_t L;
	size_t n;

	if (left < width + 2)
		return false;
	L = width == 4 ? le32(p) : width == 2 ? le16(p) : p[0];
	if (L < 2 || L > SPOOL_STR_MAX || L > left - width)
		return false;
	n = run_len(p + width, (size_t)L);
	if (n == L) {
		/* all printable */
	} else if (n == L - 1 && p[width + n] == 0) {
		/* the length counts a final NUL */
	} else {
		return false;
	}
	if (n < 2)
		return false;
	*body = (size_t)L;
	*tl = n;
	return true;
}

static bool
try_prefixed(const unsigned char *p, size_t left, unsigned width,
	     size_t *text_off, size_t *text_len, size_t *consumed)
{
	size_t body, tl, after, b2, t2;

	if (!prefix_at(p, left, width, &body, &tl))
		return false;
	after = width + body;
	if (after < left && printable(p[after]) && tl == body &&
	    !prefix_at(p + after, left - after, width, &b2, &t2) &&
	    (width == 1 || run_len(p + after, left - after < 3 ? left - after : 3) >= 3))
		return false;
	*text_off = width;
	*text_len = tl;
	*consumed = after;
	return true;
}

static bool
is_filetime(const unsigned char *p, size_t left, int64_t *t)
{
	uint64_t v;
	int64_t u;

	if (left < 8)
		return false;
	v = le64(p);
	if (v < (uint64_t)(SPOOL_FT_FIRST + 11644473600LL) * 10000000u ||
	    v > (uint64_t)(SPOOL_FT_LAST + 11644473600LL) * 10000000u)
		return false;
	u = imcq_filetime_to_unix(v);
	*t = u;
	return true;
}

static void
add_extra(struct scan *sc, char *owned)
{
	if (sc->nextra >= SPOOL_MAX_EXTRA) {
		sc->nextra_dropped++;
		free(owned);
		return;
	}
	sc->nextra++;
	strv_push(&sc->m->c.extra, owned);
}

static void
add_gap(struct scan *sc, size_t from, size_t to)
{
	if (to <= from)
		return;
	if (sc->m->c.ngaps >= SPOOL_MAX_GAPS) {
		sc->ngaps_dropped++;
		return;
	}
	message_add_gap(sc->m, from, sc->e->data + from, to - from);
}

static void
add_rcpt(struct scan *sc, const char *a, size_t n)
{
	struct imcq_envelope *env = &sc->m->im->env;

	if (n == 0)
		return;
	if (env->rcpt_to.n >= sc->s->lim->rcpts) {
		envelope_drop_rcpt(env);
		return;
	}
	strv_push(&env->rcpt_to, xstrndup(a, n));
}

static bool
host_like(const char *t)
{
	bool alnum = false;
	size_t n = 0;

	for (; *t; t++, n++) {
		unsigned char c = (unsigned char)*t;

		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			alnum = true;
		else if (!strchr(".-_[]:() ", c))
			return false;
	}
	return alnum && n <= 255;
}

static bool
is_mts_id(const char *t)
{
	return strstr(t, "c=") != NULL &&
	       (strstr(t, ";p=") != NULL || strstr(t, "l=") != NULL);
}

/* A bare addr-spec: no blanks, one '@' with text on both sides. */
static bool
bare_addr(const char *t)
{
	const char *at = strchr(t, '@');

	if (at == NULL || at == t || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (; *t; t++)
		if (*t == ' ' || *t == '<' || *t == '>' || *t == ';' || *t == '=')
			return false;
	return true;
}

static void
classify(struct scan *sc, const char *t, size_t off)
{
	struct imcq_envelope *env = &sc->m->im->env;
	const char *lt = strchr(t, '<');

	if (lt != NULL && strchr(lt, '>') != NULL) {
		/* one or more <address> fields */
		while (lt != NULL) {
			const char *gt = strchr(lt, '>');

			if (gt == NULL)
				break;
			if (!sc->have_sender) {
				env->mail_from = xstrndup(lt + 1, (size_t)(gt - lt - 1));
				sc->have_sender = true;
			} else {
				add_rcpt(sc, lt + 1, (size_t)(gt - lt - 1));
			}
			lt = strchr(gt + 1, '<');
		}
		return;
	}
	if (env->mts_id == NULL && is_mts_id(t)) {
		env->mts_id = xstrdup(t);
		return;
	}
	if (!sc->have_sender && host_like(t)) {
		if (sc->m->c.helo == NULL) {
			sc->m->c.helo = xstrdup(t);
			return;
		}
		if (sc->m->c.client_host == NULL) {
			sc->m->c.client_host = xstrdup(t);
			return;
		}
	}
	if (sc->have_sender && bare_addr(t)) {
		add_rcpt(sc, t, strlen(t));
		return;
	}
	add_extra(sc, xasprintf("string@%zu=%.200s", off, t));
}

/* Take one string found at [toff, toff+tlen) (UTF-16 when wide). */
static void
take_string(struct scan *sc, enum kind k, size_t toff, size_t tlen, bool wide)
{
	const unsigned char *d = sc->e->data;
	char *t;
	size_t i;

	if (wide) {
		t = xmalloc(tlen + 1);
		for (i = 0; i < tlen; i++)
			t[i] = (char)d[toff + 2 * i];
		t[tlen] = '\0';
	} else {
		t = xstrndup((const char *)d + toff, tlen);
	}
	sc->counts[k]++;
	classify(sc, t, toff);
	free(t);
}

/*
 * Walk [from, to) of the member and take every string; bytes between
 * strings become gaps.
 */
static void
extract(struct scan *sc, size_t from, size_t to)
{
	const unsigned char *d = sc->e->data;
	size_t p = from, gap = from;
	static const unsigned widths[3] = { 4, 2, 1 };
	static const enum kind wkinds[3] = { K_U32, K_U16, K_U8 };

	while (p < to) {
		size_t left = to - p, toff, tlen, used, n, w;
		int64_t ft;
		bool found = false;

		for (w = 0; w < 3 && !found; w++) {
			if (try_prefixed(d + p, left, widths[w], &toff, &tlen, &used)) {
				add_gap(sc, gap, p);
				take_string(sc, wkinds[w], p + toff, tlen, false);
				p += used;
				gap = p;
				found = true;
			}
		}
		if (found)
			continue;
		if (!printable(d[p]) && is_filetime(d + p, left, &ft)) {
			char iso[32];

			imcq_iso(ft, iso);
			add_extra(sc, xasprintf("filetime@%zu=%s", p, iso));
			p += 8;		/* stays part of the gap */
			continue;
		}
		n = run_len(d + p, left);
		if (n >= 3 || (n == 2 && d[p] == '<' && d[p + 1] == '>')) {
			bool nul = p + n < to && d[p + n] == 0;

			add_gap(sc, gap, p);
			take_string(sc, nul ? K_NUL : K_SEP, p, n, false);
			p += n + (nul ? 1 : 0);
			gap = p;
			continue;
		}
		if (n == 1) {
			/* UTF-16LE: printable, 0, printable, 0, ... */
			size_t c = 0;

			while (p + 2 * c + 1 < to && printable(d[p + 2 * c]) && d[p + 2 * c + 1] == 0)
				c++;
			if (c >= 3) {
				size_t end = p + 2 * c;

				add_gap(sc, gap, p);
				take_string(sc, K_UTF16, p, c, true);
				if (end + 1 < to && d[end] == 0 && d[end + 1] == 0)
					end += 2;
				p = end;
				gap = p;
				continue;
			}
		}
		p++;
	}
	add_gap(sc, gap, to);
}

static void
summarise(struct scan *sc, bool truncated)
{
	struct imcq_envelope *env = &sc->m->im->env;
	unsigned kinds = 0, conf = 30;
	int k, only = -1;

	for (k = 0; k < K_COUNT; k++)
		if (sc->counts[k] > 0) {
			kinds++;
			only = k;
		}
	if (kinds == 0) {
		sc->m->c.encoding = xstrdup("none");
	} else if (kinds == 1) {
		sc->m->c.encoding = xstrdup(kind_names[only]);
	} else {
		struct buf b;

		buf_init(&b, 512);
		(void)buf_appends(&b, "mixed/scan (");
		for (k = 0; k < K_COUNT; k++)
			if (sc->counts[k] > 0)
				(void)buf_appendf(&b, "%s%s:%u", b.data[b.len - 1] == '(' ? "" : ", ",
						  kind_names[k], sc->counts[k]);
		(void)buf_appendc(&b, ')');
		sc->m->c.encoding = buf_detach(&b, NULL);
		buf_release(&b);	/* detach re-initialised it */
	}
	if (sc->have_sender)
		conf += 20;
	if (env->rcpt_to.n > 0 || env->rcpt_dropped > 0)
		conf += 20;
	if (env->mts_id != NULL)
		conf += 10;
	if (sc->m->c.helo != NULL)
		conf += 10;
	if (kinds == 1)
		conf += 10;
	if (truncated && conf > 30)
		conf = 30;
	env->confidence = conf > 100 ? 100 : conf;
	if (sc->ngaps_dropped > 0)
		strv_push(&sc->m->c.extra, xasprintf("gaps_not_listed=%zu", sc->ngaps_dropped));
	if (sc->nextra_dropped > 0)
		strv_push(&sc->m->c.extra, xasprintf("extra_not_listed=%zu", sc->nextra_dropped));
}

/* --- read ------------------------------------------------------------------ */

/* Envelope anomalies that do not stop the reading. */
static void
check_envelope(const struct imcq_entry *e, struct imcq_sink *s, const struct scan *sc)
{
	const struct imcq_envelope *env = &sc->m->im->env;
	uint64_t at = env->offset == IMCQ_NOOFF ? 0 : env->offset;

	if (!sc->have_sender)
		anomaly_add(s->rep, "envelope-no-sender", IMCQ_SEV_INFO, e->input, e->member, at,
			    "no <sender> found in the spool envelope");
	if (env->rcpt_to.n == 0 && env->rcpt_dropped == 0)
		anomaly_add(s->rep, "envelope-no-rcpt", IMCQ_SEV_WARNING, e->input, e->member, at,
			    "no <recipient> found in the spool envelope");
	if (env->rcpt_dropped > 0)
		anomaly_add(s->rep, "rcpts-limit", IMCQ_SEV_WARNING, e->input, e->member, at,
			    "%llu envelope recipients beyond the --max-rcpts cap of %u were "
			    "counted, not kept", (unsigned long long)env->rcpt_dropped,
			    s->lim->rcpts);
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct imcq_message *m = imcq_entry_message(e, "spool");
	const struct imcq_limits *lim = s->lim;
	struct imcq_report *rep = s->rep;
	struct scan sc;
	size_t window = e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES;
	size_t imoff, start, limit, ewoff, body_at = e->len;
	const unsigned char *im, *ew;
	struct span body;
	bool sure = true;	/* both markers where expected */

	memset(&sc, 0, sizeof(sc));
	sc.e = e;
	sc.s = s;
	sc.m = m;
	m->im->env.source = IMCQ_ENV_SPOOL;
	im = span_find(e->data, window, "ImCr", 4);
	if (im == NULL) {
		size_t lw = e->len < lim->envelope_bytes ? e->len : (size_t)lim->envelope_bytes;

		ew = e->len > 0 ? span_find(e->data, lw, "EwLs", 4) : NULL;
		if (ew == NULL) {
			/* zero-length, or not a spool file at all: still one
			 * (damaged) record, so that nothing is dropped */
			message_damage(m, e->len == 0 ? "zero-length file" : "not a spool file: no ImCr magic");
			anomaly_add(rep, e->len == 0 ? "zero-length" : "not-spool", IMCQ_SEV_ERROR,
				    e->input, e->member, 0, "%s%s", m->damage,
				    e->len == 0 ? "" : " and no EwLs marker");
			m->im->env.source = IMCQ_ENV_NONE;
			body.ptr = e->data;
			body.len = 0;
			s->message(s, e, m, body, 0);
			return IMCQ_OK;
		}
		/* the start of the envelope is damaged but its end is there */
		ewoff = (size_t)(ew - e->data);
		message_damage(m, "no ImCr magic: envelope start damaged");
		anomaly_add(rep, "no-imcr", IMCQ_SEV_WARNING, e->input, e->member, 0,
			    "no ImCr magic, but an EwLs marker at offset %zu: envelope read from 0",
			    ewoff);
		m->im->env.offset = 0;
		m->im->env.length = ewoff + 4;
		extract(&sc, 0, ewoff);
		body_at = ewoff + 4;
		sure = false;
	} else {
		imoff = (size_t)(im - e->data);
		if (imoff >= SPOOL_MAGIC_NEAR)
			anomaly_add(rep, "imcr-late", IMCQ_SEV_INFO, e->input, e->member, imoff,
				    "ImCr magic at offset %zu, further in than usual", imoff);
		m->im->env.offset = imoff;
		add_gap(&sc, 0, imoff);		/* e.g. the 0xF7 byte of Q190709 */
		start = imoff + 4;
		limit = e->len - start < lim->envelope_bytes ? e->len :
			start + (size_t)lim->envelope_bytes;
		ew = span_find(e->data + start, limit - start, "EwLs", 4);
		if (ew == NULL && limit < e->len) {
			/* from 3 bytes before the cap: the marker may straddle it */
			size_t from = limit - start > 3 ? limit - 3 : start;

			ew = span_find(e->data + from, e->len - from, "EwLs", 4);
			if (ew != NULL)
				anomaly_add(rep, "envelope-too-large", IMCQ_SEV_WARNING, e->input,
					    e->member, limit, "EwLs marker at offset %zu, beyond the "
					    "--max-envelope cap of %llu bytes: envelope read up to "
					    "the cap", (size_t)(ew - e->data),
					    (unsigned long long)lim->envelope_bytes);
		}
		if (ew != NULL) {
			ewoff = (size_t)(ew - e->data);
			m->im->env.length = ewoff + 4 - imoff;
			extract(&sc, start, ewoff < limit ? ewoff : limit);
			body_at = ewoff + 4;
		} else {
			m->im->env.length = limit - imoff;
			extract(&sc, start, limit);
			message_damage(m, "no EwLs marker: truncated envelope");
			anomaly_add(rep, "truncated-envelope", IMCQ_SEV_ERROR, e->input, e->member,
				    limit, "no EwLs marker after ImCr at offset %zu: envelope "
				    "truncated, no RFC 822 part", imoff);
			sure = false;
		}
	}
	summarise(&sc, !sure);
	check_envelope(e, s, &sc);
	body.ptr = e->data + body_at;
	body.len = e->len - body_at;
	if (m->nsources > 0)
		m->sources[0].body_offset = body_at;
	s->message(s, e, m, body, body_at);
	return IMCQ_OK;
}

const struct imcq_format imcq_format_spool = {
	.name = "spool",
	.summary = "IMS spool file: ImCr..EwLs binary envelope, then RFC 822 (Imcdata\\Out, In, archives)",
	.bid = bid,
	.read = read_entry,
};
