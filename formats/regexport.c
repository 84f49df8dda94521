/* SPDX-License-Identifier: MIT */
/*
 * regexport.c - reader for registry exports (.reg files): REGEDIT4 and
 * "Windows Registry Editor Version 5.00".
 *
 * Why: the IMS keeps its settings under
 * HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeIMC\Parameters (RootDir,
 * TurfDir, RouteCalculationInterval, size limits, DisableResolverSearchList
 * ...; DOMAIN.md 1.1, Appendix A) and IMCSAVE writes Imcsvc.reg and
 * Imcpro.reg into Imcdata\Backup (Q195804, DOMAIN.md 5.7).  Every value
 * becomes one struct imcq_config (key, name, value as text, type, line).
 *
 * The format (documented by Microsoft for regedit, and stable since NT 4):
 *   REGEDIT4                              header, ANSI text (code page of the
 *                                         exporting machine: bytes kept as is)
 *   Windows Registry Editor Version 5.00  header, UTF-16LE with a BOM (a
 *                                         UTF-8 or ANSI copy is also read)
 *   [HKEY_LOCAL_MACHINE\Key\Sub]          a key; [-HKEY_...] deletes one
 *   "Name"="text"                         REG_SZ; \\ and \" are the escapes
 *   @="text"                              the key's default value (name "@")
 *   "Name"=dword:0000000f                 REG_DWORD, 8 hex digits -> "15"
 *   "Name"=hex:01,02,ff                   REG_BINARY -> "01,02,ff"
 *   "Name"=hex(2):25,00,...               REG_EXPAND_SZ: UTF-16LE in version
 *                                         5 exports, ANSI in REGEDIT4
 *   "Name"=hex(7):...                     REG_MULTI_SZ; the strings are
 *                                         joined with '\n' in the value
 *   "Name"=hex(N):...                     other types: hex(0) none, hex(1)
 *                                         sz, hex(4) dword LE, hex(5) dword
 *                                         BE, hex(b) qword (kept as binary)
 *   "Name"=-                              deletes a value
 *   ; comment                             ignored
 *   A hex value is wrapped over lines ending in '\'; the next line's leading
 *   blanks are not part of it.
 *
 * A UTF-16 file is converted to UTF-8 here (an unpaired surrogate becomes
 * U+FFFD and an anomaly); offsets in anomalies are offsets in the original
 * bytes, lines count from 1.  Damage (a line over the 64 KiB line limit,
 * an unclosed quote, a bad dword or hex byte, a line that is none of the
 * above) is an anomaly with its offset, and parsing continues with the
 * next line.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/hex.h"
#include "analyzer/core/xalloc.h"

#define RX_V4_MAGIC	"REGEDIT4"
#define RX_V5_MAGIC	"Windows Registry Editor Version "
/* Anomalies reported per file; more are counted in one closing anomaly. */
#define RX_MAX_ANOMS	200

struct ckpt {
	size_t out;	/* offset in the converted text */
	size_t in;	/* offset in the original bytes */
};

struct rx {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	struct span text;	/* the file as (converted) text */
	bool utf16;		/* the file was UTF-16LE: offsets need mapping */
	bool v5;		/* version 5 header: hex(2)/hex(7) are UTF-16LE */
	struct ckpt *cps;	/* one per line start of a UTF-16 file */
	size_t ncps, cpcap;
	char *key;		/* current key, or NULL */
	unsigned nanoms;
	unsigned long long suppressed;
	uint64_t first_suppressed;
};

static uint64_t
orig_off(const struct rx *x, size_t pos)
{
	size_t lo = 0, hi = x->ncps, k;
	uint64_t in;

	if (!x->utf16)
		return pos;
	if (x->ncps == 0)
		return IMCQ_NOOFF;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->cps[mid].out <= pos)
			lo = mid;
		else
			hi = mid;
	}
	in = x->cps[lo].in;
	/* count UTF-16 units of the UTF-8 we wrote ourselves */
	for (k = x->cps[lo].out; k < pos && k < x->text.len;) {
		unsigned char c = x->text.ptr[k];

		if (c < 0x80) {
			k += 1;
			in += 2;
		} else if (c >= 0xf0) {
			k += 4;
			in += 4;
		} else {
			k += c >= 0xe0 ? 3 : 2;
			in += 2;
		}
	}
	return in;
}

static void
rx_anom(struct rx *x, const char *code, enum imcq_sev sev, size_t pos,
	const char *fmt, ...) IMCQ_PRINTF(5, 6);

static void
rx_anom(struct rx *x, const char *code, enum imcq_sev sev, size_t pos,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (x->nanoms >= RX_MAX_ANOMS) {
		if (x->suppressed++ == 0)
			x->first_suppressed = orig_off(x, pos);
		return;
	}
	x->nanoms++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	anomaly_add(x->rep, code, sev, x->e->input, x->e->member,
		    orig_off(x, pos), "%s", msg);
}

static size_t
put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * UTF-16LE to UTF-8 in a fresh NUL-terminated buffer of at most 3 bytes per
 * unit (a surrogate pair, two units, gives 4).  Unpaired surrogates and an
 * odd last byte become U+FFFD; *nbad counts them and *first_bad is the byte
 * offset (relative to p) of the first.  When x is given, a checkpoint is
 * recorded after every CR and LF (base: offset of p in the file).
 */
static char *
utf16_decode(const unsigned char *p, size_t n, size_t *outlen, size_t *nbad,
	     size_t *first_bad, struct rx *x, size_t base)
{
	size_t units = n / 2, i, o = 0;
	unsigned char *out = xmalloc(units * 3 + 3 + 1);

	*nbad = 0;
	*first_bad = 0;
	for (i = 0; i < units; i++) {
		uint32_t u = le16(p + 2 * i);

		if (u >= 0xd800 && u <= 0xdbff && i + 1 < units &&
		    le16(p + 2 * i + 2) >= 0xdc00 && le16(p + 2 * i + 2) <= 0xdfff) {
			uint32_t lo = le16(p + 2 * i + 2);

			o += put_utf8(out + o, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
			i++;
		} else if (u >= 0xd800 && u <= 0xdfff) {
			if ((*nbad)++ == 0)
				*first_bad = 2 * i;
			o += put_utf8(out + o, 0xfffd);
		} else {
			o += put_utf8(out + o, u);
		}
		if (x && (u == '\n' || u == '\r')) {
			struct ckpt cp = { .out = o, .in = base + 2 * i + 2 };

			VEC_PUSH(x->cps, x->ncps, x->cpcap, cp);
		}
	}
	if (n % 2) {
		if ((*nbad)++ == 0)
			*first_bad = n - 1;
		o += put_utf8(out + o, 0xfffd);
	}
	out[o] = '\0';
	*outlen = o;
	return (char *)out;
}

static void
add_config(struct rx *x, uint64_t line, const char *name, char *value,
	   const char *type)
{
	struct imcq_config *c = report_add_config(x->rep);

	c->input = x->e->input;
	c->member = xstrdup(x->e->member ? x->e->member : "");
	c->line = line;
	c->key = x->key ? xstrdup(x->key) : NULL;
	c->name = xstrdup(name);
	c->value = value;
	c->type = type;
	c->snapshot = x->e->snapshot;
}

/*
 * Parse a quoted string starting at s.ptr[*i] == '"', unescaping \\ and \"
 * (any other backslash is kept).  On success *i is past the closing quote.
 */
static bool
quoted(struct span s, size_t *i, struct buf *out)
{
	size_t k = *i + 1;

	while (k < s.len) {
		unsigned char c = s.ptr[k];

		if (c == '\\' && k + 1 < s.len && (s.ptr[k + 1] == '\\' || s.ptr[k + 1] == '"')) {
			buf_appendc(out, (char)s.ptr[k + 1]);
			k += 2;
			continue;
		}
		if (c == '"') {
			*i = k + 1;
			return true;
		}
		buf_appendc(out, c ? (char)c : '?');
		k++;
	}
	*i = k;
	return false;
}

static bool
blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Comma-separated hex bytes; false (and *bad = index in s) on anything
 * else.  Blanks around bytes are allowed; a trailing comma is tolerated. */
static bool
hex_bytes(struct span s, unsigned char **out, size_t *n, size_t *bad)
{
	unsigned char *b = xmalloc(s.len / 2 + 1);
	size_t i = 0, k = 0;

	for (;;) {
		int h, l;

		while (i < s.len && blank(s.ptr[i]))
			i++;
		if (i >= s.len)
			break;
		if (i + 1 >= s.len || (h = hex_value(s.ptr[i])) < 0 ||
		    (l = hex_value(s.ptr[i + 1])) < 0) {
			*bad = i;
			free(b);
			return false;
		}
		b[k++] = (unsigned char)(h << 4 | l);
		i += 2;
		while (i < s.len && blank(s.ptr[i]))
			i++;
		if (i >= s.len)
			break;
		if (s.ptr[i] != ',') {
			*bad = i;
			free(b);
			return false;
		}
		i++;
	}
	*out = b;
	*n = k;
	return true;
}

static char *
hex_text(const unsigned char *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *t = xmalloc(n * 3 + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (i)
			t[o++] = ',';
		t[o++] = hx[b[i] >> 4];
		t[o++] = hx[b[i] & 15];
	}
	t[o] = '\0';
	return t;
}

/* The string(s) of a REG_SZ / REG_EXPAND_SZ / REG_MULTI_SZ payload as UTF-8
 * (version 5) or as the stored bytes (REGEDIT4); NULs separate strings,
 * which are joined with '\n'; trailing terminators are dropped. */
static char *
sz_text(struct rx *x, const unsigned char *b, size_t n, bool multi,
	size_t pos)
{
	char *s;
	size_t len, i, nbad = 0, fbad = 0;

	if (x->v5) {
		s = utf16_decode(b, n, &len, &nbad, &fbad, NULL, 0);
		if (nbad)
			rx_anom(x, "registry-bad-utf16", IMCQ_SEV_WARNING, pos,
				"%zu invalid UTF-16 code unit(s) in a string value "
				"(first at payload byte %zu), replaced by U+FFFD",
				nbad, fbad);
	} else {
		s = xmalloc(n + 1);
		memcpy(s, b, n);
		s[n] = '\0';
		len = n;
	}
	while (len && s[len - 1] == '\0')
		len--;
	s[len] = '\0';
	for (i = 0; i < len; i++)
		if (s[i] == '\0')
			s[i] = multi ? '\n' : '?';
	return s;
}

static uint64_t
le_uint(const unsigned char *b, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

/* "hex[(t)]:bytes": decode by type and record; pos is the data's position. */
static void
value_hex(struct rx *x, uint64_t line, const char *name, struct span d,
	  size_t pos)
{
	unsigned type = 3;	/* REG_BINARY */
	size_t i = 3, bad = 0, n = 0;
	unsigned char *b = NULL;
	struct span bytes;
	char *v;

	if (i < d.len && d.ptr[i] == '(') {
		int h;
		unsigned t = 0, nd = 0;

		for (i++; i < d.len && (h = hex_value(d.ptr[i])) >= 0 && nd < 8; i++, nd++)
			t = t << 4 | (unsigned)h;
		if (nd == 0 || i >= d.len || d.ptr[i] != ')') {
			rx_anom(x, "registry-bad-hex", IMCQ_SEV_WARNING, pos + i,
				"line %" PRIu64 ": bad hex(type) in value \"%s\"",
				line, name);
			return;
		}
		type = t;
		i++;
	}
	if (i >= d.len || d.ptr[i] != ':') {
		rx_anom(x, "registry-bad-value", IMCQ_SEV_WARNING, pos + i,
			"line %" PRIu64 ": value \"%s\" is neither a string, "
			"dword nor hex", line, name);
		return;
	}
	bytes.ptr = d.ptr + i + 1;
	bytes.len = d.len - i - 1;
	if (!hex_bytes(bytes, &b, &n, &bad)) {
		rx_anom(x, "registry-bad-hex", IMCQ_SEV_WARNING, pos + i + 1 + bad,
			"line %" PRIu64 ": bad hex byte in value \"%s\"", line, name);
		return;
	}
	switch (type) {
	case 1:
		add_config(x, line, name, sz_text(x, b, n, false, pos), "sz");
		break;
	case 2:
		add_config(x, line, name, sz_text(x, b, n, false, pos), "expand_sz");
		break;
	case 7:
		add_config(x, line, name, sz_text(x, b, n, true, pos), "multi_sz");
		break;
	case 4:
	case 5:
		if (n == 4) {
			uint64_t u = type == 4 ? le_uint(b, 4) :
				((uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
				 (uint64_t)b[2] << 8 | b[3]);

			add_config(x, line, name, xasprintf("%" PRIu64, u), "dword");
			break;
		}
		rx_anom(x, "registry-bad-dword", IMCQ_SEV_WARNING, pos,
			"line %" PRIu64 ": hex(%x) value \"%s\" has %zu bytes, not 4",
			line, type, name, n);
		v = hex_text(b, n);
		add_config(x, line, name, v, "binary");
		break;
	default:
		add_config(x, line, name, hex_text(b, n), "binary");
		break;
	}
	free(b);
}

static void
value_dword(struct rx *x, uint64_t line, const char *name, struct span d,
	    size_t pos)
{
	struct span h = { d.ptr + 6, d.len - 6 };
	uint32_t v = 0;
	size_t i;

	h = span_trim(h);
	if (h.len == 0 || h.len > 8) {
		rx_anom(x, "registry-bad-dword", IMCQ_SEV_WARNING, pos,
			"line %" PRIu64 ": dword value \"%s\" has %zu hex digits",
			line, name, h.len);
		return;
	}
	for (i = 0; i < h.len; i++) {
		int k = hex_value(h.ptr[i]);

		if (k < 0) {
			rx_anom(x, "registry-bad-dword", IMCQ_SEV_WARNING,
				pos + (size_t)(h.ptr - d.ptr) + i,
				"line %" PRIu64 ": bad hex digit in dword value \"%s\"",
				line, name);
			return;
		}
		v = v << 4 | (uint32_t)k;
	}
	add_config(x, line, name, xasprintf("%" PRIu32, v), "dword");
}

/* One logical value line L (continuations joined); pos: its position in
 * the text, line: its first physical line. */
static void
value_line(struct rx *x, struct span l, size_t pos, uint64_t line)
{
	struct buf name, val;
	size_t i = 0;
	struct span d;

	buf_init(&name, x->lim->line_bytes);
	buf_init(&val, x->lim->line_bytes);
	if (l.ptr[0] == '@') {
		buf_appends(&name, "@");
		i = 1;
	} else if (!quoted(l, &i, &name)) {
		rx_anom(x, "registry-truncated-line", IMCQ_SEV_WARNING, pos + i,
			"line %" PRIu64 ": value name has no closing quote", line);
		goto out;
	}
	while (i < l.len && blank(l.ptr[i]))
		i++;
	if (i >= l.len || l.ptr[i] != '=') {
		rx_anom(x, "registry-garbage", IMCQ_SEV_WARNING, pos + i,
			"line %" PRIu64 ": no '=' after value name \"%s\"", line,
			name.data);
		goto out;
	}
	i++;
	while (i < l.len && blank(l.ptr[i]))
		i++;
	d.ptr = l.ptr + i;
	d.len = l.len - i;
	d = span_trim(d);
	if (x->key == NULL)
		rx_anom(x, "registry-value-outside-key", IMCQ_SEV_WARNING, pos,
			"line %" PRIu64 ": value \"%s\" before any [key]", line,
			name.data);
	if (d.len && d.ptr[0] == '"') {
		size_t k = 0;

		if (!quoted(d, &k, &val))
			rx_anom(x, "registry-truncated-line", IMCQ_SEV_WARNING,
				pos + i + k, "line %" PRIu64 ": string value \"%s\" "
				"has no closing quote (kept as far as it goes)",
				line, name.data);
		else if (k < d.len)
			rx_anom(x, "registry-garbage", IMCQ_SEV_WARNING, pos + i + k,
				"line %" PRIu64 ": text after the string value \"%s\"",
				line, name.data);
		add_config(x, line, name.data, buf_detach(&val, NULL), "sz");
	} else if (span_istarts(d, "dword:")) {
		value_dword(x, line, name.data, d, pos + i);
	} else if (span_istarts(d, "hex")) {
		value_hex(x, line, name.data, d, pos + i);
	} else if (d.len == 1 && d.ptr[0] == '-') {
		rx_anom(x, "registry-value-deletion", IMCQ_SEV_INFO, pos,
			"line %" PRIu64 ": value \"%s\" is deleted by this file",
			line, name.data);
	} else {
		rx_anom(x, "registry-bad-value", IMCQ_SEV_WARNING, pos + i,
			"line %" PRIu64 ": value \"%s\" is neither a string, dword "
			"nor hex", line, name.data);
	}
out:
	buf_release(&name);
	buf_release(&val);
}

static void
key_line(struct rx *x, struct span l, size_t pos, uint64_t line)
{
	struct span k = { l.ptr + 1, l.len - 1 };
	bool del = false;

	if (k.len && k.ptr[0] == '-') {
		del = true;
		k.ptr++;
		k.len--;
	}
	if (k.len && k.ptr[k.len - 1] == ']') {
		k.len--;
	} else {
		rx_anom(x, "registry-truncated-line", IMCQ_SEV_WARNING, pos + l.len,
			"line %" PRIu64 ": key has no closing ']'", line);
	}
	free(x->key);
	x->key = NULL;
	if (del) {
		rx_anom(x, "registry-key-deletion", IMCQ_SEV_INFO, pos,
			"line %" PRIu64 ": key is deleted by this file", line);
		return;
	}
	x->key = span_dup(k);
}

static bool
ends_in_backslash(struct span s)
{
	s = span_trim(s);
	return s.len && s.ptr[s.len - 1] == '\\';
}

static void
parse(struct rx *x)
{
	struct span t = x->text;
	size_t pos = 0, lstart;
	uint64_t line = 0;
	bool header = false;
	struct span l;

	while (lstart = pos, span_next_line(t, &pos, &l)) {
		struct span tl;

		if (++line > x->lim->lines) {
			rx_anom(x, "line-limit", IMCQ_SEV_WARNING, lstart,
				"line limit of %u reached (--max-lines); the rest is not read",
				x->lim->lines);
			x->rep->unreadable++;	/* a cap reached: exit 1 */
			return;
		}
		if (l.len > x->lim->line_bytes) {
			rx_anom(x, "line-too-long", IMCQ_SEV_WARNING, lstart,
				"line %" PRIu64 " is %zu bytes, over the %zu-byte "
				"limit; skipped", line, l.len, x->lim->line_bytes);
			continue;
		}
		tl = span_trim(l);
		if (line == 1 && tl.len >= 3 && memcmp(tl.ptr, "\xef\xbb\xbf", 3) == 0) {
			tl.ptr += 3;
			tl.len -= 3;
		}
		if (tl.len == 0 || tl.ptr[0] == ';')
			continue;
		if (!header) {
			header = true;
			if (span_ieq(tl, RX_V4_MAGIC)) {
				x->v5 = false;
				continue;
			}
			if (span_istarts(tl, RX_V5_MAGIC)) {
				x->v5 = true;
				continue;
			}
			rx_anom(x, "registry-no-header", IMCQ_SEV_WARNING, lstart,
				"no REGEDIT4 or \"Windows Registry Editor\" header");
			x->v5 = x->utf16;
		}
		if (tl.ptr[0] == '[') {
			key_line(x, tl, lstart + (size_t)(tl.ptr - l.ptr), line);
			continue;
		}
		if (tl.ptr[0] != '"' && tl.ptr[0] != '@') {
			rx_anom(x, "registry-garbage", IMCQ_SEV_WARNING,
				lstart + (size_t)(tl.ptr - l.ptr),
				"line %" PRIu64 " is not a key, a value or a comment", line);
			continue;
		}
		if (!ends_in_backslash(tl)) {
			value_line(x, tl, lstart + (size_t)(tl.ptr - l.ptr), line);
			continue;
		}
		/* A wrapped hex value: join the continuation lines. */
		{
			struct buf lg;
			uint64_t first = line;
			size_t vpos = lstart + (size_t)(tl.ptr - l.ptr);
			bool over = false, closed = false;
			struct span cur = tl;

			buf_init(&lg, x->lim->line_bytes);
			for (;;) {
				struct span c = span_trim(cur);

				if (ends_in_backslash(c)) {
					c.len--;
					if (buf_append(&lg, c.ptr, c.len) != IMCQ_OK)
						over = true;
				} else {
					if (buf_append(&lg, c.ptr, c.len) != IMCQ_OK)
						over = true;
					closed = true;
					break;
				}
				lstart = pos;
				if (!span_next_line(t, &pos, &cur))
					break;
				if (++line > x->lim->lines)
					break;
				if (cur.len > x->lim->line_bytes) {
					over = true;
					cur.len = 0;	/* still ends the value */
				}
			}
			if (line > x->lim->lines) {
				rx_anom(x, "line-limit", IMCQ_SEV_WARNING, lstart,
					"line limit of %u reached inside the value of "
					"line %" PRIu64 "; the rest is not read",
					x->lim->lines, first);
				x->rep->unreadable++;	/* a cap reached: exit 1 */
				buf_release(&lg);
				return;
			}
			if (over)
				rx_anom(x, "line-too-long", IMCQ_SEV_WARNING, vpos,
					"line %" PRIu64 ": value continued over more than "
					"%zu bytes; skipped", first, x->lim->line_bytes);
			else {
				if (!closed)
					rx_anom(x, "registry-truncated-value",
						IMCQ_SEV_WARNING, t.len,
						"line %" PRIu64 ": the file ends inside "
						"a continued value", first);
				value_line(x, (struct span){ (const unsigned char *)lg.data,
							     lg.len }, vpos, first);
			}
			buf_release(&lg);
		}
	}
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct rx x;
	char *conv = NULL;

	memset(&x, 0, sizeof(x));
	x.e = e;
	x.rep = s->rep;
	x.lim = s->lim ? s->lim : &s->rep->lim;
	if (e->len < e->size)
		anomaly_add(x.rep, "entry-truncated", IMCQ_SEV_WARNING, e->input,
			    e->member, e->len, "only the first %zu of %" PRIu64
			    " bytes were read (--max-entry)", e->len, e->size);
	if (e->len >= 2 && e->data[0] == 0xff && e->data[1] == 0xfe) {
		size_t olen, nbad, fbad;
		struct ckpt cp0 = { .out = 0, .in = 2 };

		x.utf16 = true;
		VEC_PUSH(x.cps, x.ncps, x.cpcap, cp0);
		conv = utf16_decode(e->data + 2, e->len - 2, &olen, &nbad, &fbad,
				    &x, 2);
		x.text.ptr = (const unsigned char *)conv;
		x.text.len = olen;
		if (nbad)
			anomaly_add(x.rep, "registry-bad-utf16", IMCQ_SEV_WARNING,
				    e->input, e->member, 2 + fbad,
				    "%zu invalid UTF-16 code unit(s) or an odd last "
				    "byte, replaced by U+FFFD", nbad);
	} else {
		x.text.ptr = e->data;
		x.text.len = e->data ? e->len : 0;
	}
	parse(&x);
	if (x.suppressed)
		anomaly_add(x.rep, "anomalies-suppressed", IMCQ_SEV_WARNING, e->input,
			    e->member, x.first_suppressed, "%llu more anomalies in "
			    "this file were not listed", x.suppressed);
	free(x.key);
	free(x.cps);
	free(conv);
	return IMCQ_OK;
}

static bool
starts_utf16(const unsigned char *p, size_t n, const char *lit)
{
	size_t k, m = strlen(lit);

	if (n < 2 * m)
		return false;
	for (k = 0; k < m; k++)
		if (p[2 * k] != (unsigned char)lit[k] || p[2 * k + 1] != 0)
			return false;
	return true;
}

/* "REGEDIT4" or "Windows Registry Editor", as UTF-16LE after a BOM or as
 * 8-bit text (optionally after a UTF-8 BOM), at the very start. */
static int
bid(const struct imcq_entry *e)
{
	const unsigned char *p = e->data;
	size_t n = e->len;

	if (p == NULL)
		return 0;
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return starts_utf16(p + 2, n - 2, "Windows Registry Editor") ||
		       starts_utf16(p + 2, n - 2, RX_V4_MAGIC) ? 48 : 0;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (n >= 8 && memcmp(p, RX_V4_MAGIC, 8) == 0)
		return 48;
	if (n >= 23 && memcmp(p, "Windows Registry Editor", 23) == 0)
		return 48;
	return 0;
}

const struct imcq_format imcq_format_regexport = {
	.name = "registry-export",
	.summary = "registry exports (REGEDIT4, version 5.00 UTF-16): "
		   "MSExchangeIMC parameters and other values",
	.bid = bid,
	.read = read_entry,
};
