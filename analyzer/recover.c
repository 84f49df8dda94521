/* SPDX-License-Identifier: MIT */
/*
 * recover.c - the re-injection forms of a message, recipient choice and
 * safe output names (see recover.h for the rules and their sources).
 */
#include "analyzer/recover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

static const char *const form_names[RF_COUNT] = {
	"pickup", "replay", "eml", "mbox", "maildir", "smtp",
};

int
recover_form_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < RF_SMTP; i++)
		if (strcmp(s, form_names[i]) == 0)
			return i;
	return -1;
}

const char *
recover_form_name(enum recover_form f)
{
	return (unsigned)f < RF_COUNT ? form_names[f] : "?";
}

bool
recover_form_has_envelope(enum recover_form f)
{
	return f == RF_PICKUP || f == RF_REPLAY;
}

size_t
recover_cap(size_t len, size_t env_bytes)
{
	/* worst case: every byte a CR-only line end (CR -> CRLF) or every
	 * line a lone '.' (".\n" -> "..\r\n"): twice the input, plus the
	 * envelope lines, plus a final line end */
	if (len > (SIZE_MAX - env_bytes - 64) / 2)
		return SIZE_MAX;
	return 2 * len + env_bytes + 64;
}

/* Line-end and quoting rules of one form. */
struct shape {
	const char *eol;	/* "\r\n" or "\n" */
	bool dot_stuff;		/* double a leading '.' */
	bool from_quote;	/* mboxrd: ^>*From  gets one more '>' */
};

static bool
mboxrd_from_line(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	return n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/*
 * Copy p[0..n) line by line, each line end (CRLF, LF, or a CR not
 * followed by LF) replaced by sh->eol, and a final line end added when
 * the text does not end with one.  Empty text stays empty.
 */
static int
reshape(struct buf *out, const struct shape *sh, const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t eol_len = strlen(sh->eol);
	int rc = IMCQ_OK;

	while (i < n && rc == IMCQ_OK) {
		size_t s = i, e;

		while (i < n && p[i] != '\r' && p[i] != '\n')
			i++;
		e = i;
		if (i < n) {
			if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
				i += 2;
			else
				i++;
		}
		if (sh->dot_stuff && e > s && p[s] == '.')
			rc = buf_appendc(out, '.');
		if (rc == IMCQ_OK && sh->from_quote && mboxrd_from_line(p + s, e - s))
			rc = buf_appendc(out, '>');
		if (rc == IMCQ_OK)
			rc = buf_append(out, p + s, e - s);
		if (rc == IMCQ_OK)
			rc = buf_append(out, sh->eol, eol_len);
	}
	return rc;
}

static int
envelope_lines(struct buf *out, enum recover_form f, const char *sender,
	       const char *const *rcpts, size_t nrcpts)
{
	bool br = f == RF_REPLAY;
	size_t i;
	int rc = IMCQ_OK;

	if (sender != NULL) {
		if (*sender == '\0' || br)
			rc = buf_appendf(out, "X-Sender: <%s>\r\n", sender);
		else
			rc = buf_appendf(out, "X-Sender: %s\r\n", sender);
	}
	for (i = 0; i < nrcpts && rc == IMCQ_OK; i++)
		rc = buf_appendf(out, br ? "X-Receiver: <%s>\r\n" : "X-Receiver: %s\r\n", rcpts[i]);
	return rc;
}

int
recover_render(struct buf *out, enum recover_form f, const char *sender,
	       const char *const *rcpts, size_t nrcpts,
	       const unsigned char *p, size_t n)
{
	static const struct shape crlf_stuffed = { "\r\n", true, false };
	static const struct shape crlf_plain = { "\r\n", false, false };
	static const struct shape lf_mboxrd = { "\n", false, true };
	static const struct shape lf_plain = { "\n", false, false };
	int rc = IMCQ_OK;

	switch (f) {
	case RF_PICKUP:
	case RF_REPLAY:
		rc = envelope_lines(out, f, sender, rcpts, nrcpts);
		if (rc == IMCQ_OK)
			rc = reshape(out, f == RF_PICKUP ? &crlf_stuffed : &crlf_plain, p, n);
		break;
	case RF_EML:
		rc = buf_append(out, p, n);
		break;
	case RF_MBOX:
		rc = reshape(out, &lf_mboxrd, p, n);
		if (rc == IMCQ_OK)
			rc = buf_appendc(out, '\n');
		break;
	case RF_MAILDIR:
		rc = reshape(out, &lf_plain, p, n);
		break;
	case RF_SMTP:
		rc = reshape(out, &crlf_plain, p, n);
		break;
	case RF_COUNT:
	default:
		BUG("recover_render: bad form");
	}
	return rc == IMCQ_OK ? IMCQ_OK : IMCQ_WARN;
}

void
recover_asctime(int64_t t, char out[32])
{
	static const char *const wd[7] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mn[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, mo, d, h, mi, s;
	int64_t days;
	int w;

	if (t == IMCQ_NOTIME)
		t = 0;
	imcq_gmtime(t, &y, &mo, &d, &h, &mi, &s);
	days = t / 86400 - (t % 86400 < 0 ? 1 : 0);
	w = (int)(days % 7);
	if (w < 0)
		w += 7;
	snprintf(out, 32, "%s %s %2d %02d:%02d:%02d %d", wd[w], mn[(mo - 1) % 12], d, h, mi, s, y);
}

void
recover_mbox_from(struct buf *out, const char *sender, int64_t t)
{
	char when[32];
	size_t i;

	recover_asctime(t, when);
	(void)buf_appends(out, "From ");
	if (sender == NULL || *sender == '\0') {
		(void)buf_appends(out, "MAILER-DAEMON");
	} else {
		for (i = 0; sender[i] != '\0'; i++) {
			unsigned char c = (unsigned char)sender[i];

			(void)buf_appendc(out, c <= ' ' || c == 0x7f ? '_' : (char)c);
		}
	}
	(void)buf_appendf(out, " %s\n", when);
}

bool
recover_addr_ok(const char *a, bool allow_empty)
{
	const unsigned char *p = (const unsigned char *)a;

	if (a == NULL)
		return false;
	if (*p == '\0')
		return allow_empty;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static bool
ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return *a == *b;
}

static uint64_t
fold_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

/* A tiny case-folding string set (open addressing), for recipients and
 * names: both can number tens of thousands. */
struct fset {
	const char **slot;
	size_t cap, n;
};

static bool
fset_has(const struct fset *s, const char *k)
{
	size_t i;

	if (s->cap == 0)
		return false;
	for (i = (size_t)fold_hash(k) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (ascii_ieq(s->slot[i], k))
			return true;
	return false;
}

static void
fset_add(struct fset *s, const char *k)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct fset g = { 0 };
		size_t j;

		g.cap = s->cap ? s->cap * 2 : 64;
		g.slot = xcalloc(g.cap, sizeof(*g.slot));
		for (j = 0; j < s->cap; j++)
			if (s->slot[j])
				fset_add(&g, s->slot[j]);
		free(s->slot);
		*s = g;
	}
	for (i = (size_t)fold_hash(k) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (ascii_ieq(s->slot[i], k))
			return;
	s->slot[i] = k;
	s->n++;
}

const char *
recover_envelope_note(const struct imcq_message *m)
{
	if (m->im->env.source == IMCQ_ENV_SPOOL || m->im->env.source == IMCQ_ENV_XHEADERS)
		return NULL;
	return "no spool envelope or X-Sender/X-Receiver lines: the envelope was taken from "
	       "the headers (Bcc recipients unknown)";
}

const char *
recover_archive_note(const struct imcq_message *m)
{
	if (m->queue == IMCQ_Q_OUT_ARCHIVE)
		return "outbound Archive copy: the IMS archives outbound mail before sending it, "
		       "so it may have been delivered: check the logs";
	if (m->queue == IMCQ_Q_IN_ARCHIVE)
		return "inbound Archive copy: the IMS archives inbound mail after handing it to "
		       "the store, so it was probably delivered";
	return NULL;
}

struct recover_pick *
recover_pick_rcpts(const struct imcq_message *m, bool include_delivered,
		   size_t *n, size_t *included)
{
	bool from_records = m->nrcpts > 0;
	size_t total = from_records ? m->nrcpts : m->im->env.rcpt_to.n;
	struct recover_pick *v = xcalloc(total ? total : 1, sizeof(*v));
	struct fset seen = { 0 };
	size_t i;

	*included = 0;
	for (i = 0; i < total; i++) {
		const char *a = from_records ? m->rcpts[i].address : m->im->env.rcpt_to.v[i];
		const char *st = from_records ? m->rcpts[i].status : NULL;
		bool delivered = (st != NULL && strcmp(st, "delivered") == 0) ||
				 m->state == IMCQ_ST_DELIVERED;

		v[i].address = a ? a : "";
		if (!recover_addr_ok(a, false))
			v[i].reason = RECOVER_WHY_BADADDR;
		else if (fset_has(&seen, a))
			v[i].reason = RECOVER_WHY_DUPLICATE;
		else if (delivered && !include_delivered)
			v[i].reason = RECOVER_WHY_DELIVERED;
		if (recover_addr_ok(a, false))
			fset_add(&seen, a);
		if (v[i].reason == NULL)
			(*included)++;
	}
	free(seen.slot);
	*n = total;
	return v;
}

void
recover_picks_free(struct recover_pick *p)
{
	free(p);
}

static bool
device_name(const char *s, size_t n)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL" };
	char u[5];
	size_t i;

	if (n != 3 && n != 4)
		return false;
	for (i = 0; i < n; i++)
		u[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	u[n] = '\0';
	if (n == 3) {
		for (i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
			if (strcmp(u, dev[i]) == 0)
				return true;
		return false;
	}
	return (memcmp(u, "COM", 3) == 0 || memcmp(u, "LPT", 3) == 0) &&
	       u[3] >= '1' && u[3] <= '9';
}

char *
recover_safe_base(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	size_t i, k = 0, stem;
	char *s;

	if (n >= 4 && ascii_ieq(id + n - 4, ".eml"))
		n -= 4;
	if (n > RECOVER_NAME_MAX)
		n = RECOVER_NAME_MAX;
	s = xmalloc(n + 2);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		s[k++] = ok ? (char)c : '_';
	}
	s[k] = '\0';
	if (k > 0 && (s[0] == '.' || s[0] == '-'))
		s[0] = '_';
	if (k == 0) {
		free(s);
		return xstrdup("message");
	}
	stem = strcspn(s, ".");
	if (device_name(s, stem)) {
		char *t = xasprintf("_%s", s);

		free(s);
		if (strlen(t) > RECOVER_NAME_MAX)
			t[RECOVER_NAME_MAX] = '\0';
		return t;
	}
	return s;
}

static struct fset *
names_set(struct recover_names *ns)
{
	if (ns->index == NULL)
		ns->index = xcalloc(1, sizeof(struct fset));
	return ns->index;
}

void
recover_names_add(struct recover_names *ns, const char *name)
{
	struct fset *set = names_set(ns);
	char *copy;

	if (fset_has(set, name))
		return;
	copy = xstrdup(name);
	VEC_PUSH(ns->v, ns->n, ns->cap, copy);
	fset_add(set, copy);
}

char *
recover_names_take(struct recover_names *ns, const char *prefix, const char *suffix)
{
	char *name = xasprintf("%s%s", prefix, suffix);
	unsigned long k;

	for (k = 2; fset_has(names_set(ns), name); k++) {
		free(name);
		name = xasprintf("%s-%lu%s", prefix, k, suffix);
	}
	recover_names_add(ns, name);
	return name;
}

void
recover_names_release(struct recover_names *ns)
{
	struct fset *set = ns->index;
	size_t i;

	if (set) {
		free(set->slot);
		free(set);
	}
	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

bool
recover_map_get(const struct recover_map *m, const char *key, size_t *val)
{
	size_t i;

	if (m->cap == 0)
		return false;
	for (i = (size_t)str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			if (val)
				*val = m->vals[i];
			return true;
		}
	return false;
}

static void
map_insert(struct recover_map *m, char *key, size_t val)
{
	size_t i;

	for (i = (size_t)str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			free(key);
			return;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

void
recover_map_put(struct recover_map *m, const char *key, size_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		struct recover_map g = { 0 };
		size_t j;

		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		for (j = 0; j < m->cap; j++)
			if (m->keys[j])
				map_insert(&g, m->keys[j], m->vals[j]);
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	map_insert(m, xstrdup(key), val);
}

void
recover_map_release(struct recover_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

char *
recover_key(const char *spool_id, const char *sha256)
{
	return xasprintf("%s/%s", spool_id ? spool_id : "", sha256 ? sha256 : "");
}

bool
recover_body(const char *reader, const struct imcq_source *src,
	     const unsigned char *data, size_t len,
	     const unsigned char **body, size_t *blen)
{
	uint64_t off = src->body_offset;

	if (off == 0 && reader != NULL && strcmp(reader, "spool") == 0) {
		size_t i;

		off = UINT64_MAX;
		for (i = 0; i + 4 <= len; i++)
			if (memcmp(data + i, "EwLs", 4) == 0) {
				off = i + 4;
				break;
			}
	}
	if (off > len)
		return false;
	*body = data + off;
	*blen = len - (size_t)off;
	return true;
}

/* ---- message index ------------------------------------------------------ */

static int
cmp_mref(const void *a, const void *b)
{
	const struct recover_mref *x = a, *y = b;

	if (x->m == y->m)
		return 0;
	return (uintptr_t)x->m < (uintptr_t)y->m ? -1 : 1;
}

void
recover_msgidx_build(struct recover_msgidx *x, const struct imcq_report *rep)
{
	size_t i;

	x->n = rep->nmsgs;
	x->v = xcalloc(rep->nmsgs + 1, sizeof(*x->v));
	for (i = 0; i < rep->nmsgs; i++) {
		x->v[i].m = rep->msgs[i];
		x->v[i].idx = i;
	}
	xqsort(x->v, x->n, sizeof(*x->v), cmp_mref);
}

size_t
recover_msgidx_find(const struct recover_msgidx *x, const struct imcq_message *m)
{
	struct recover_mref k = { m, 0 };
	const struct recover_mref *hit;

	if (x->v == NULL)
		return SIZE_MAX;
	hit = bsearch(&k, x->v, x->n, sizeof(*x->v), cmp_mref);
	return hit ? hit->idx : SIZE_MAX;
}

void
recover_msgidx_release(struct recover_msgidx *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}
