/* SPDX-License-Identifier: MIT */
/*
 * joins.c - join keys between messages, tracking events and protocol-log
 * sessions (see joins.h for the keys and their sources).
 *
 * Every join goes through a key index (key string, element index) with a
 * hash table of the keys, so the cost grows with the number of messages,
 * events and session recipients, not with their product, whatever the
 * queue size.
 */
#include "analyzer/joins.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/par.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/store.h"
#include "analyzer/core/tabhash.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/hex.h"
#include "analyzer/core/xalloc.h"

/* ---- keys ---------------------------------------------------------------- */

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Trimmed copy of s[0..n). */
static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Below this many events or messages, the joins run in one thread. */
#define JOINS_PAR_MIN	2048

/* ---- key classes (joins.h joins_key_classes) ---- */

static bool
has_key(const struct imcq_message *m, enum joins_key k)
{
	switch (k) {
	case JK_MSGID:
		return m->im->hdr.message_id != NULL;
	case JK_BODY:
		return m->nsources > 0 && !m->damaged && m->size > 0 && m->has_body_sha256;
	case JK_SPOOL_BODY:
		return m->spool_id != NULL && m->has_body_sha256 && m->nsources > 0;
	}
	return false;
}

/* The key of Message-ID id (joins_msgid_key) written into k, which has
 * room for strlen(id) + 1 bytes; its length, 0 when there is none. */
static size_t
msgid_key_into(const char *id, char *k)
{
	const char *p, *end;
	size_t i, n;

	p = id;
	while (is_space(*p))
		p++;
	end = p + strlen(p);
	if (*p == '<') {
		const char *gt = strchr(p + 1, '>');

		p++;
		if (gt != NULL)
			end = gt;
	}
	n = (size_t)(end - p);
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	for (i = 0; i < n; i++)
		k[i] = lower(p[i]);
	k[n] = '\0';
	/* an X.400 MTS-ID or its Exchange Message-ID form (Q153188) */
	if (n > 2 && k[0] == 'c' && k[1] == '=' && strstr(k, "l=") != NULL) {
		char *at;

		for (i = 0; i < n; i++) {
			if (k[i] == ';')
				k[i] = '%';
			else if (k[i] == ' ')
				k[i] = '_';
		}
		at = strrchr(k, '@');
		if (at != NULL) {
			*at = '\0';
			n = (size_t)(at - k);
		}
	}
	return n < 3 ? 0 : n;
}

/* Issue #9: the key of Message-ID id (joins_msgid_key) in buf (cap
 * bytes) when it fits, else in a new string, so that the hot loops make
 * a key without an allocation; its length in *n (may be NULL).  NULL:
 * none.  Free it when it is not buf. */
static char *
msgid_key_buf(const char *id, char *buf, size_t cap, size_t *n)
{
	size_t need, len;
	char *k;

	if (id == NULL)
		return NULL;
	need = strlen(id) + 1;
	k = need <= cap ? buf : xmalloc(need);
	len = msgid_key_into(id, k);
	if (n != NULL)
		*n = len;
	if (len == 0) {
		if (k != buf)
			free(k);
		return NULL;
	}
	return k;
}

/* The key's text for JK_MSGID (as msgid_key_buf) */
static char *
msgid_text(const struct imcq_message *m, char *buf, size_t cap, size_t *n)
{
	return msgid_key_buf(m->im->hdr.message_id, buf, cap, n);
}

static bool
same_key(const struct imcq_message *a, const struct imcq_message *b, enum joins_key k,
	 const char *atext, size_t alen)
{
	char buf[256], *bt;
	size_t blen;
	bool eq;

	switch (k) {
	case JK_MSGID:
		bt = msgid_text(b, buf, sizeof(buf), &blen);
		eq = atext != NULL && bt != NULL && alen == blen && memcmp(atext, bt, alen) == 0;
		if (bt != buf)
			free(bt);
		return eq;
	case JK_BODY:
		return memcmp(a->im->body_sha256, b->im->body_sha256, sizeof(a->im->body_sha256)) == 0;
	case JK_SPOOL_BODY:
		return strcmp(a->spool_id, b->spool_id) == 0 &&
		       memcmp(a->im->body_sha256, b->im->body_sha256, sizeof(a->im->body_sha256)) == 0;
	}
	return false;
}

/* The slots of an open table of n keys: a power of two, at most half
 * full. */
static size_t
table_slots(size_t n)
{
	size_t nslot = 16;

	while (nslot < 2 * n)
		nslot *= 2;
	return nslot;
}

/* The hash of message m's key k into *h; false when m has none. */
static bool
msg_key_hash(const struct imcq_message *m, enum joins_key k, uint64_t *h)
{
	uint64_t sh;

	if (!has_key(m, k))
		return false;
	if (k == JK_MSGID) {
		char buf[256], *text;
		size_t len = 0;

		text = msgid_text(m, buf, sizeof(buf), &len);
		if (text == NULL)
			return false;
		*h = tab_hash(TAB_HASH_SEED, text, len);
		if (text != buf)
			free(text);
		return true;
	}
	/* issue #9: a SHA-256 is already uniform; its first 8 bytes stand
	 * for it in the hash */
	memcpy(&sh, m->im->body_sha256, sizeof(sh));
	*h = k == JK_SPOOL_BODY ?
		tab_hash(TAB_HASH_SEED, m->spool_id, strlen(m->spool_id)) ^ sh : sh;
	return true;
}

/* Messages a and b (which both have key k, of the same hash): the same key? */
static bool
key_equal(const struct imcq_message *a, const struct imcq_message *b, enum joins_key k)
{
	char buf[256], *text = NULL;
	size_t len = 0;
	bool eq;

	if (k == JK_MSGID)
		text = msgid_text(a, buf, sizeof(buf), &len);
	eq = same_key(a, b, k, text, len);
	if (text != buf)
		free(text);
	return eq;
}

/* Messages [lo, hi) of joins_key_classes in memory order (model.h): each
 * key's hash, or "none". */
struct khashes {
	const struct imcq_report *rep;
	enum joins_key k;
	uint64_t *h;
	unsigned char *has;
};

static void
key_hashes(void *user, size_t lo, size_t hi)
{
	struct khashes *x = user;
	size_t n, i;

	for (n = lo; n < hi; n++) {
		i = report_mi(x->rep, n);
		x->has[i] = msg_key_hash(x->rep->msgs[i], x->k, &x->h[i]);
	}
}

uint32_t *
joins_key_classes(const struct imcq_report *rep, enum joins_key k)
{
	size_t n = rep->nmsgs ? rep->nmsgs : 1;
	uint32_t *cls = xmalloc(n * sizeof(*cls));
	uint32_t *slot;
	size_t nslot = table_slots(rep->nmsgs), mask, i;
	struct khashes x = { rep, k, xmalloc(n * sizeof(uint64_t)), xmalloc(n) };

	/* message indices are 32-bit (rep->mord, report_order_mem) */
	if (rep->nmsgs >= UINT32_MAX)
		imcq_die("too many messages for one report");
	/* issue #9 (round 11): every message's hash first, read in memory
	 * order; then the classes in message order from the hashes alone,
	 * reading two messages only where their hashes meet */
	par_for(rep->nmsgs, JOINS_PAR_MIN, key_hashes, &x);
	mask = nslot - 1;
	/* issue #9 (round 13): a slot is a class head's index alone (4 bytes,
	 * not 16); its hash is read from x.h, so 21 to 29 bytes a message */
	slot = xmalloc(nslot * sizeof(*slot));
	for (i = 0; i < nslot; i++)
		slot[i] = UINT32_MAX;
	/* issue #9: the class heads in a hash table (by the key's hash), not
	 * a sort of every hash: in message order, a message joins the head
	 * whose key truly equals its own (heads of one hash are distinct
	 * keys, so at most one does), else heads a class of its own -- the
	 * smallest index of its key, as joins.h says */
	for (i = 0; i < rep->nmsgs; i++) {
		uint64_t h = x.h[i];
		size_t at;

		cls[i] = UINT32_MAX;
		if (!x.has[i])
			continue;
		for (at = (size_t)h & mask; slot[at] != UINT32_MAX; at = (at + 1) & mask)
			if (x.h[slot[at]] == h &&
			    key_equal(rep->msgs[i], rep->msgs[slot[at]], k)) {
				cls[i] = slot[at];
				break;
			}
		if (cls[i] == UINT32_MAX) {
			cls[i] = (uint32_t)i;
			slot[at] = (uint32_t)i;
		}
	}
	free(slot);
	free(x.h);
	free(x.has);
	return cls;
}

char *
joins_msgid_key(const char *id)
{
	return msgid_key_buf(id, NULL, 0, NULL);
}

char *
joins_remote_msgid(const char *remote_id)
{
	const char *lt, *gt;

	if (remote_id == NULL)
		return NULL;
	gt = strchr(remote_id, '>');
	if (gt == NULL)
		return NULL;
	/* the '<' nearest before the first '>' */
	for (lt = gt; lt > remote_id && *lt != '<'; lt--)
		;
	if (*lt != '<' || gt == lt + 1)
		return NULL;
	return xstrndup(lt, (size_t)(gt - lt) + 1);
}

char *
joins_addr_key(const char *addr)
{
	const char *p, *end;
	char *k, *w;
	size_t i, n;

	if (addr == NULL)
		return xstrdup("");
	p = addr;
	end = p + strlen(p);
	{
		const char *lt = strchr(p, '<');

		if (lt != NULL) {
			const char *gt = strchr(lt + 1, '>');

			p = lt + 1;
			end = gt != NULL ? gt : end;
		}
	}
	k = trim_dup(p, (size_t)(end - p));
	n = strlen(k);
	for (i = 0; i < n; i++)
		k[i] = lower(k[i]);
	/* IMCEASMTP-user+40domain+2ecom@outer (Q153188, Q189492) */
	if (strncmp(k, "imceasmtp-", 10) == 0) {
		char *at = strrchr(k, '@');
		const char *s = k + 10;
		const char *stop = at != NULL ? at : k + n;

		w = xmalloc(n + 1);
		i = 0;
		while (s < stop) {
			if (*s == '+' && stop - s >= 3 && hex_value(s[1]) >= 0 &&
			    hex_value(s[2]) >= 0) {
				w[i++] = lower((char)(hex_value(s[1]) * 16 + hex_value(s[2])));
				s += 3;
			} else {
				w[i++] = *s++;
			}
		}
		w[i] = '\0';
		if (strchr(w, '@') != NULL) {
			free(k);
			return w;
		}
		free(w);
	}
	return k;
}

/* The spool key of s (joins_spool_key) in buf (cap bytes) when it fits,
 * else in a new string; NULL: none.  Free it when it is not buf. */
static char *
spool_key_buf(const char *s, char *buf, size_t cap)
{
	char *k;
	size_t i, n;

	if (s == NULL || !imcq_is_spool_id(s, n = strlen(s)))
		return NULL;
	k = n < cap ? buf : xmalloc(n + 1);
	for (i = 0; i <= n; i++)
		k[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	return k;
}

char *
joins_spool_key(const char *s)
{
	return spool_key_buf(s, NULL, 0);
}

bool
joins_spool_code(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || !imcq_is_spool_id(s, strlen(s)))
		return false;
	for (i = 0; i < 8; i++) {
		char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];

		v = v << 8 | (unsigned char)c;
	}
	*out = v;
	return true;
}

static int
num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static int
yy_year(int yy)
{
	return yy < 70 ? 2000 + yy : 1900 + yy;
}

bool
joins_mts_time(const char *mts_id, const char *spool_id, int64_t *out,
	       const char **form)
{
	const char *v = NULL, *p;
	size_t n, i;

	if (mts_id == NULL)
		return false;
	for (p = mts_id; *p; p++)
		if ((p == mts_id || p[-1] == ';' || p[-1] == '%' || p[-1] == ' ') &&
		    lower(p[0]) == 'l' && p[1] == '=') {
			v = p + 2;
			break;
		}
	if (v == NULL)
		return false;
	for (n = 0; v[n] && v[n] != ';' && v[n] != '%' && v[n] != '@' && v[n] != '>'; n++)
		;
	while (n > 0 && is_space(v[n - 1]))
		n--;
	/* Exchange: SERVER-YYMMDDhhmmssZ-n */
	for (i = 0; i + 14 <= n; i++) {
		size_t k;

		if (v[i] != '-')
			continue;
		for (k = 1; k <= 12 && is_digit(v[i + k]); k++)
			;
		if (k == 13 && i + 13 < n && lower(v[i + 13]) == 'z') {
			const char *d = v + i + 1;

			if (imcq_mktime(yy_year(num2(d)), num2(d + 2), num2(d + 4),
					num2(d + 6), num2(d + 8), num2(d + 10), out)) {
				*form = "exchange";
				return true;
			}
		}
	}
	/* inbound: <SERVER><YYMMDDhhmm><SPOOLID> */
	if (spool_id != NULL && n >= 18 && strlen(spool_id) == 8 &&
	    imcq_strncasecmp(v + n - 8, spool_id, 8) == 0) {
		const char *d = v + n - 18;

		for (i = 0; i < 10; i++)
			if (!is_digit(d[i]))
				return false;
		if (imcq_mktime(yy_year(num2(d)), num2(d + 2), num2(d + 4),
				num2(d + 6), num2(d + 8), 0, out)) {
			*form = "inbound";
			return true;
		}
	}
	return false;
}

bool
joins_same_server(const struct imcq_report *rep, int a, int b)
{
	const char *sa, *sb;

	if (a == b || a < 0 || b < 0 || (size_t)a >= rep->nsnaps ||
	    (size_t)b >= rep->nsnaps)
		return true;
	sa = rep->snaps[a].server;
	sb = rep->snaps[b].server;
	if (sa == NULL || sb == NULL)
		return true;
	return imcq_strcasecmp(sa, sb) == 0;
}

/* ---- shifting local times ------------------------------------------------ */

void
joins_shift_local_times(struct imcq_report *rep, const struct imcq_opts *o)
{
	int64_t d;
	size_t i;

	if (!o->have_log_tz)
		return;
	d = (int64_t)o->log_tz_minutes * 60;
	for (i = 0; i < rep->nsessions; i++) {
		struct imcq_session *s = &rep->sessions[i];

		if (!s->local_time)
			continue;
		if (s->start != IMCQ_NOTIME)
			s->start -= d;
		if (s->end != IMCQ_NOTIME)
			s->end -= d;
		s->local_time = false;
	}
	for (i = 0; i < rep->nevents; i++) {
		struct imcq_event *e = &rep->events[i];

		if (!e->local_time)
			continue;
		if (e->time != IMCQ_NOTIME)
			e->time -= d;
		e->local_time = false;
	}
}

/* ---- key index ----------------------------------------------------------- */

/* Key index: (key, element index) entries, and a hash table of the keys
 * (issue #9: no sort, no strcmp binary search).  Each distinct key's slot
 * holds its first entry; entries of one key are chained in the order they
 * were added (next). */
struct kent {
	char *key;
	size_t idx;
	uint64_t h;
	size_t next;		/* next entry with this key, SIZE_MAX: none */
};

struct kindex {
	struct kent *v;
	size_t n, cap;
	size_t *slot;		/* first entry of a key, SIZE_MAX: empty */
	size_t mask;		/* slots - 1 */
};

static void
kindex_add(struct kindex *x, char *owned, size_t idx)
{
	struct kent e = { owned, idx, 0, SIZE_MAX };

	if (owned == NULL)
		return;
	VEC_PUSH(x->v, x->n, x->cap, e);
}

static uint64_t
key_hash(const char *k)
{
	return tab_hash_str(k);
}

/* The slot of key k (hash h): its own, or the empty one it would take. */
static size_t
kindex_slot(const struct kindex *x, const char *k, uint64_t h)
{
	size_t at;

	for (at = (size_t)h & x->mask; x->slot[at] != SIZE_MAX; at = (at + 1) & x->mask) {
		const struct kent *e = &x->v[x->slot[at]];

		if (e->h == h && strcmp(e->key, k) == 0)
			break;
	}
	return at;
}

/* Once every entry is added: the table (the last entries first, so that
 * each chain runs in the order of adding). */
static void
kindex_build(struct kindex *x)
{
	size_t nslot = table_slots(x->n), i;

	x->mask = nslot - 1;
	x->slot = xmalloc(nslot * sizeof(*x->slot));
	for (i = 0; i < nslot; i++)
		x->slot[i] = SIZE_MAX;
	for (i = x->n; i-- > 0;) {
		size_t at;

		x->v[i].h = key_hash(x->v[i].key);
		at = kindex_slot(x, x->v[i].key, x->v[i].h);
		x->v[i].next = x->slot[at];
		x->slot[at] = i;
	}
}

/* First entry with key k, or SIZE_MAX. */
static size_t
kindex_find(const struct kindex *x, const char *k)
{
	if (x->n == 0)
		return SIZE_MAX;
	return x->slot[kindex_slot(x, k, key_hash(k))];
}

static void
kindex_release(struct kindex *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].key);
	free(x->v);
	free(x->slot);
	memset(x, 0, sizeof(*x));
}

/* A growable list of indices. */
struct ivec {
	size_t *v;
	size_t n, cap;
};

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Sort and drop duplicates. */
static void
ivec_unique(size_t *v, size_t *n)
{
	size_t i, k = 0;

	if (*n > 1)
		xqsort(v, *n, sizeof(*v), cmp_size);
	for (i = 0; i < *n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	*n = k;
}

/* ---- events -------------------------------------------------------------- */

static void
msg_msgid_keys(const struct imcq_message *m, char *k[2])
{
	k[0] = joins_msgid_key(m->im->hdr.message_id);
	k[1] = joins_msgid_key(m->im->env.mts_id);
	if (k[0] && k[1] && strcmp(k[0], k[1]) == 0)
		FREE_AND_NULL(k[1]);
}

static void
event_msgid_keys(const struct imcq_event *e, char *k[2])
{
	char *r = joins_remote_msgid(e->remote_id);

	k[0] = joins_msgid_key(e->msg_id);
	k[1] = joins_msgid_key(r);
	free(r);
	if (k[0] && k[1] && strcmp(k[0], k[1]) == 0)
		FREE_AND_NULL(k[1]);
}

bool
joins_event_concerns(const struct imcq_message *m, const struct imcq_event *e)
{
	char *mk[2], *ek[2];
	bool hit = false;
	int i, j;

	if (e->spool_id != NULL &&
	    ((m->spool_id && imcq_strcasecmp(e->spool_id, m->spool_id) == 0) ||
	     (m->ims_id && imcq_strcasecmp(e->spool_id, m->ims_id) == 0)))
		return true;
	msg_msgid_keys(m, mk);
	event_msgid_keys(e, ek);
	for (i = 0; i < 2 && !hit; i++)
		for (j = 0; j < 2 && !hit; j++)
			hit = mk[i] && ek[j] && strcmp(mk[i], ek[j]) == 0;
	for (i = 0; i < 2; i++) {
		free(mk[i]);
		free(ek[i]);
	}
	return hit;
}

/* Sort and de-duplicate iv into m->ev_idx, at most JOINS_MAX_PER_MSG;
 * the number found before that cut, or 0 when nothing was cut. */
static size_t
set_ev_idx_quiet(struct imcq_message *m, struct ivec *iv)
{
	size_t over = 0;

	ivec_unique(iv->v, &iv->n);
	if (iv->n > JOINS_MAX_PER_MSG) {
		over = iv->n;
		iv->n = JOINS_MAX_PER_MSG;
	}
	free(m->ev_idx);
	m->ev_idx = iv->v;
	m->nev_idx = iv->n;
	m->ev_idxcap = iv->cap;
	memset(iv, 0, sizeof(*iv));
	return over;
}

static void
ev_limit_anomaly(struct imcq_report *rep, const struct imcq_message *m, size_t n)
{
	anomaly_add(rep, "join-limit", IMCQ_SEV_INFO,
		    m->nsources ? m->sources[0].input : -1,
		    m->nsources ? m->sources[0].member : NULL, IMCQ_NOOFF,
		    "%s: %zu log events concern this message; the first %d are kept",
		    m->spool_id ? m->spool_id : "?", n, JOINS_MAX_PER_MSG);
}

/*
 * The tracking events' join keys, by hash (issue #9, round 12).  Each
 * tracking event has up to three keys: its spool id, its Message-ID and
 * the Message-ID of its remote id when that is another.  The index keeps
 * 16 bytes a key -- the key's 64-bit hash, the event and which of its
 * keys, the next entry of that hash -- instead of the key itself (a
 * string a key and 32 bytes an entry: ~170 MiB at a million events,
 * the peak of the analysis).  A lookup makes the key again from the
 * event for every entry of its hash: the hash chooses, the key decides.
 */
enum { EVK_SPOOL, EVK_MSGID, EVK_REMOTE, EVK_N };
#define HX_NONE UINT32_MAX

struct hent {
	uint64_t h;
	uint32_t ev;		/* event index << 2 | key number (EVK_*) */
	uint32_t next;		/* next entry of this hash, HX_NONE: none */
};

struct hindex {
	struct hent *v;
	size_t n;
	uint32_t *slot;		/* first entry of a hash, HX_NONE: empty */
	size_t mask;
};

static uint64_t
hkey(const char *k)
{
	uint64_t h = key_hash(k);

	return h != 0 ? h : 1;	/* 0: no key */
}

static bool
is_tracking(const struct imcq_event *e)
{
	return e->source != NULL && strcmp(e->source, "tracking") == 0;
}

/* Key j (EVK_*) of tracking event e, in buf (cap bytes) when it fits,
 * else a new string; NULL: none (for EVK_REMOTE also when it is the
 * Message-ID's key).  Free it when it is not buf. */
static char *
event_key(const struct imcq_event *e, int j, char *buf, size_t cap)
{
	char b1[256], *k, *k1, *r;

	if (j == EVK_SPOOL)
		return spool_key_buf(e->spool_id, buf, cap);
	if (j == EVK_MSGID)
		return msgid_key_buf(e->msg_id, buf, cap, NULL);
	r = joins_remote_msgid(e->remote_id);
	k = msgid_key_buf(r, buf, cap, NULL);
	free(r);
	if (k == NULL)
		return NULL;
	k1 = msgid_key_buf(e->msg_id, b1, sizeof(b1), NULL);
	if (k1 != NULL && strcmp(k, k1) == 0) {
		if (k != buf)
			free(k);
		k = NULL;
	}
	if (k1 != b1)
		free(k1);
	return k;
}

static bool
event_key_is(const struct imcq_event *e, int j, const char *k)
{
	char buf[256], *ek = event_key(e, j, buf, sizeof(buf));
	bool same = ek != NULL && strcmp(ek, k) == 0;

	if (ek != buf)
		free(ek);
	return same;
}

/* The key hashes of tracking events [lo, hi) (0 where there is none). */
struct evhash {
	const struct imcq_report *rep;
	uint64_t (*h)[EVK_N];
};

static void
event_hashes(void *user, size_t lo, size_t hi)
{
	struct evhash *x = user;
	size_t i;
	int j;

	for (i = lo; i < hi; i++) {
		const struct imcq_event *e = &x->rep->events[i];

		if (!is_tracking(e))
			continue;
		for (j = 0; j < EVK_N; j++) {
			char buf[256], *k = event_key(e, j, buf, sizeof(buf));

			if (k == NULL)
				continue;
			x->h[i][j] = hkey(k);
			if (k != buf)
				free(k);
		}
	}
}

/* The slot of hash h: its own, or the empty one it would take. */
static size_t
hindex_slot(const struct hindex *x, uint64_t h)
{
	size_t at;

	for (at = (size_t)h & x->mask; x->slot[at] != HX_NONE && x->v[x->slot[at]].h != h;
	     at = (at + 1) & x->mask)
		;
	return at;
}

/* Once every entry is in: the table (the last entries first, so that
 * each chain runs in the order of the events). */
static void
hindex_build(void *arg)
{
	struct hindex *x = arg;
	size_t nslot = table_slots(x->n), i;

	x->mask = nslot - 1;
	x->slot = xmalloc(nslot * sizeof(*x->slot));
	for (i = 0; i < nslot; i++)
		x->slot[i] = HX_NONE;
	for (i = x->n; i-- > 0;) {
		size_t at = hindex_slot(x, x->v[i].h);

		x->v[i].next = x->slot[at];
		x->slot[at] = (uint32_t)i;
	}
}

/* Event ev, and the strings key j reads of it, as hlookup reads them:
 * through the files when they lie in the stores (issue #9: the lookups
 * come in the messages' order, at random places of the events, and a
 * fault in a store's mapping maps 16 pages; read with pread they map
 * none), else in place.  *e is a shallow copy whose key strings may
 * point into buf. */
struct evpeek {
	struct imcq_event e;
	char buf[2][512];
};

static const struct imcq_event *
event_peek(const struct imcq_report *rep, size_t ev, int j, struct evpeek *p)
{
	const struct imcq_event *src = report_event_peek(rep, ev, &p->e);

	if (src != &p->e)
		p->e = *src;
	if (j == EVK_SPOOL) {
		if (p->e.spool_id && store_read_str(rep->store, p->e.spool_id, p->buf[0], sizeof(p->buf[0])))
			p->e.spool_id = p->buf[0];
	} else {
		if (p->e.msg_id && store_read_str(rep->store, p->e.msg_id, p->buf[0], sizeof(p->buf[0])))
			p->e.msg_id = p->buf[0];
		if (j == EVK_REMOTE && p->e.remote_id &&
		    store_read_str(rep->store, p->e.remote_id, p->buf[1], sizeof(p->buf[1])))
			p->e.remote_id = p->buf[1];
	}
	return &p->e;
}

/* The events of key k (on message m's server) into out. */
static void
hlookup(const struct imcq_report *rep, const struct hindex *x, const char *k,
	const struct imcq_message *m, struct ivec *out)
{
	uint32_t i;

	if (k == NULL || x->n == 0)
		return;
	for (i = x->slot[hindex_slot(x, hkey(k))]; i != HX_NONE; i = x->v[i].next) {
		size_t ev = x->v[i].ev >> 2;
		int j = (int)(x->v[i].ev & 3);
		struct evpeek p;
		const struct imcq_event *e = event_peek(rep, ev, j, &p);

		if (joins_same_server(rep, e->snapshot, m->snapshot) && event_key_is(e, j, k))
			VEC_PUSH(out->v, out->n, out->cap, ev);
	}
}

/* Messages [lo, hi) looked up in the two indexes: each writes its own
 * ev_idx; the join-limit anomalies are added afterwards, in order. */
struct evlink {
	const struct imcq_report *rep;
	const struct hindex *sp, *id;
	size_t *over;
};

static void
link_messages(void *user, size_t lo, size_t hi)
{
	struct evlink *x = user;
	size_t n, i;
	int j;

	for (n = lo; n < hi; n++) {	/* in memory order (model.h) */
		struct imcq_message *m = x->rep->msgs[i = report_mi(x->rep, n)];
		struct ivec iv = { 0 };
		/* issue #9: the keys in stack buffers (msg_msgid_keys' keys,
		 * without its allocations) */
		char b1[32], b2[32], bk[2][256];
		char *s1 = spool_key_buf(m->spool_id, b1, sizeof(b1));
		char *s2 = spool_key_buf(m->ims_id, b2, sizeof(b2));
		char *k[2];

		hlookup(x->rep, x->sp, s1, m, &iv);
		if (s2 && (s1 == NULL || strcmp(s1, s2) != 0))
			hlookup(x->rep, x->sp, s2, m, &iv);
		k[0] = msgid_key_buf(m->im->hdr.message_id, bk[0], sizeof(bk[0]), NULL);
		k[1] = msgid_key_buf(m->im->env.mts_id, bk[1], sizeof(bk[1]), NULL);
		if (k[0] && k[1] && strcmp(k[0], k[1]) == 0) {
			if (k[1] != bk[1])
				free(k[1]);
			k[1] = NULL;
		}
		for (j = 0; j < 2; j++) {
			hlookup(x->rep, x->id, k[j], m, &iv);
			if (k[j] != bk[j])
				free(k[j]);
		}
		if (s1 != b1)
			free(s1);
		if (s2 != b2)
			free(s2);
		x->over[i] = set_ev_idx_quiet(m, &iv);
	}
}

void
joins_link_events(struct imcq_report *rep, const struct imcq_opts *o)
{
	struct hindex sp = { 0 }, id = { 0 };
	struct evhash eh = { rep, NULL };
	struct evlink el = { rep, &sp, &id, NULL };
	size_t i, nsp = 0, nid = 0;

	(void)o;
	if (rep->nevents >= (size_t)1 << 30)
		imcq_die("more than 2^30 log events: cannot join them to messages");
	/* the key hashes of the events (in two halves with two threads),
	 * then the indexes filled in event order */
	eh.h = xcalloc(rep->nevents ? rep->nevents : 1, sizeof(*eh.h));
	par_for(rep->nevents, JOINS_PAR_MIN, event_hashes, &eh);
	for (i = 0; i < rep->nevents; i++) {
		nsp += eh.h[i][EVK_SPOOL] != 0;
		nid += (eh.h[i][EVK_MSGID] != 0) + (eh.h[i][EVK_REMOTE] != 0);
	}
	sp.v = xmalloc((nsp ? nsp : 1) * sizeof(*sp.v));
	id.v = xmalloc((nid ? nid : 1) * sizeof(*id.v));
	for (i = 0; i < rep->nevents; i++) {
		int j;

		for (j = 0; j < EVK_N; j++) {
			struct hindex *x = j == EVK_SPOOL ? &sp : &id;

			if (eh.h[i][j] == 0)
				continue;
			x->v[x->n].h = eh.h[i][j];
			x->v[x->n].ev = (uint32_t)(i << 2 | (size_t)j);
			x->n++;
		}
	}
	free(eh.h);
	par_two(hindex_build, &sp, hindex_build, &id);
	el.over = xcalloc(rep->nmsgs ? rep->nmsgs : 1, sizeof(*el.over));
	par_for(rep->nmsgs, JOINS_PAR_MIN, link_messages, &el);
	for (i = 0; i < rep->nmsgs; i++)
		if (el.over[i])
			ev_limit_anomaly(rep, rep->msgs[i], el.over[i]);
	free(el.over);
	free(sp.v);
	free(sp.slot);
	free(id.v);
	free(id.slot);
}

/* ---- sessions ------------------------------------------------------------ */

bool
joins_session_has_rcpt(const struct imcq_session *s, const char *addr)
{
	char *a = joins_addr_key(addr);
	bool hit = false;
	size_t i;

	for (i = 0; i < s->rcpts.n && !hit; i++) {
		char *b = joins_addr_key(s->rcpts.v[i]);

		hit = *a && strcmp(a, b) == 0;
		free(b);
	}
	free(a);
	return hit;
}

bool
joins_event_has_rcpt(const struct imcq_event *e, const char *addr)
{
	char *a = joins_addr_key(addr);
	bool hit = false;
	size_t i;

	for (i = 0; i < e->rcpts.n && !hit; i++) {
		char *b = joins_addr_key(e->rcpts.v[i]);

		hit = *a && strcmp(a, b) == 0;
		free(b);
	}
	free(a);
	return hit;
}

static char *
pair_key(const char *from, const char *rcpt)
{
	char *f = joins_addr_key(from);
	char *r = joins_addr_key(rcpt);
	char *k = xstrcat3(f, "\n", r);

	free(f);
	free(r);
	return k;
}

static char *
subject_key(const char *subject)
{
	char *k;
	size_t i;

	if (subject == NULL)
		return NULL;
	k = trim_dup(subject, strlen(subject));
	if (*k == '\0') {
		free(k);
		return NULL;
	}
	for (i = 0; k[i]; i++)
		k[i] = lower(k[i]);
	return k;
}

/* Which session directions fit the message's queue. */
static bool
direction_fits(const struct imcq_message *m, const struct imcq_session *s)
{
	bool out;

	if (s->direction == NULL || strcmp(s->direction, "unknown") == 0)
		return true;
	out = strcmp(s->direction, "outbound") == 0;
	switch (m->queue) {
	case IMCQ_Q_OUT:
	case IMCQ_Q_OUT_ARCHIVE:
	case IMCQ_Q_PICKUP:
	case IMCQ_Q_PICKUP_ARCHIVE:
		return out;
	case IMCQ_Q_IN:
	case IMCQ_Q_IN_ARCHIVE:
	case IMCQ_Q_WORK:
		return !out;
	default:
		return true;
	}
}

/* Without --log-tz the session time is local: only what no time zone can
 * make possible (more than JOINS_TZ_MAX apart) is ruled out. */
static bool
time_fits(const struct imcq_message *m, const struct imcq_session *s, bool outbound)
{
	int64_t tz = s->local_time ? JOINS_TZ_MAX : 0;

	if (m->queue_time == IMCQ_NOTIME || s->start == IMCQ_NOTIME)
		return true;
	if (outbound)
		return s->start + tz >= m->queue_time - JOINS_OUT_SLACK;
	return s->start + tz >= m->queue_time - JOINS_IN_BEFORE &&
	       s->start - tz <= m->queue_time + JOINS_OUT_SLACK;
}

static bool
session_fits(const struct imcq_report *rep, const struct imcq_message *m,
	     const struct imcq_session *s)
{
	bool outbound = s->direction == NULL || strcmp(s->direction, "inbound") != 0;

	return joins_same_server(rep, s->snapshot, m->snapshot) &&
	       direction_fits(m, s) && time_fits(m, s, outbound);
}

static bool
domain_of_message(const struct imcq_message *m, const char *domain)
{
	size_t i;

	if (domain == NULL)
		return true;
	for (i = 0; i < m->im->env.rcpt_to.n; i++) {
		char *d = imcq_addr_domain(m->im->env.rcpt_to.v[i]);
		bool hit = imcq_strcasecmp(d, domain) == 0;

		free(d);
		if (hit)
			return true;
	}
	return false;
}

/* A session that logged a MAIL FROM must name the message's sender. */
static bool
same_sender(const struct imcq_message *m, const struct imcq_session *s)
{
	char *a, *b;
	bool eq;

	if (s->mail_from == NULL)
		return true;
	if (m->im->env.mail_from == NULL)
		return false;
	a = joins_addr_key(m->im->env.mail_from);
	b = joins_addr_key(s->mail_from);
	eq = strcmp(a, b) == 0;
	free(a);
	free(b);
	return eq;
}

/* Protocol-log events ordered by (input, member, line) for range lookups. */
struct plref {
	const struct imcq_event *e;
	size_t idx;
};

struct plidx {
	struct plref *v;
	size_t n, cap;
};

/* Compare event ev with the position (input, member, line). */
static int
plev_pos(const struct imcq_event *ev, int input, const char *member, uint64_t line)
{
	int c;

	if (ev->input != input)
		return ev->input < input ? -1 : 1;
	c = strcmp(ev->member ? ev->member : "", member ? member : "");
	if (c)
		return c;
	return (ev->line > line) - (ev->line < line);
}

static int
cmp_plref(const void *a, const void *b)
{
	const struct plref *x = a, *y = b;
	int c = plev_pos(x->e, y->e->input, y->e->member, y->e->line);

	if (c)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static void
session_events(const struct plidx *pl,
	       const struct imcq_session *s, struct ivec *out)
{
	size_t lo = 0, hi = pl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (plev_pos(pl->v[mid].e, s->input, s->member, s->line_first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < pl->n; lo++) {
		if (plev_pos(pl->v[lo].e, s->input, s->member, s->line_last) > 0)
			break;
		VEC_PUSH(out->v, out->n, out->cap, pl->v[lo].idx);
	}
}

void
joins_link_sessions(struct imcq_report *rep, const struct imcq_opts *o)
{
	struct kindex px = { 0 }, sx = { 0 };
	struct plidx pl = { 0 };
	size_t i, j, n, *over;

	(void)o;
	for (i = 0; i < rep->nsessions; i++) {
		const struct imcq_session *s = &rep->sessions[i];

		if (s->mail_from != NULL)
			for (j = 0; j < s->rcpts.n; j++)
				kindex_add(&px, pair_key(s->mail_from, s->rcpts.v[j]), i);
		/* no MAIL FROM or no RCPT TO logged (refused early): the
		 * subject of a "Rescheduling delivery" line */
		if (s->mail_from == NULL || s->rcpts.n == 0)
			kindex_add(&sx, subject_key(s->subject), i);
	}
	kindex_build(&px);
	kindex_build(&sx);
	for (i = 0; i < rep->nevents; i++)
		if (rep->events[i].source && strcmp(rep->events[i].source, "protocol-log") == 0) {
			struct plref r = { &rep->events[i], i };

			VEC_PUSH(pl.v, pl.n, pl.cap, r);
		}
	if (pl.n > 1)
		xqsort(pl.v, pl.n, sizeof(*pl.v), cmp_plref);

	/* issue #9: in memory order (model.h), which is the store's order
	 * for the envelope read here; the messages over a limit (sessions,
	 * then events) are reported afterwards, in message order */
	over = xcalloc(2 * (rep->nmsgs ? rep->nmsgs : 1), sizeof(*over));
	for (n = 0; n < rep->nmsgs; n++) {
		struct imcq_message *m = rep->msgs[i = report_mi(rep, n)];
		struct ivec sv = { 0 }, ev = { 0 };
		char *sk;
		size_t k;

		/* (no keys to build when no session logged addresses) */
		if (m->im->env.mail_from != NULL && px.n > 0)
			for (j = 0; j < m->im->env.rcpt_to.n; j++) {
				char *key = pair_key(m->im->env.mail_from, m->im->env.rcpt_to.v[j]);

				for (k = kindex_find(&px, key); k != SIZE_MAX; k = px.v[k].next)
					if (session_fits(rep, m, &rep->sessions[px.v[k].idx]))
						VEC_PUSH(sv.v, sv.n, sv.cap, px.v[k].idx);
				free(key);
			}
		sk = sx.n > 0 ? subject_key(m->im->hdr.subject) : NULL;
		if (sk != NULL) {
			for (k = kindex_find(&sx, sk); k != SIZE_MAX; k = sx.v[k].next) {
				const struct imcq_session *s = &rep->sessions[sx.v[k].idx];

				if (domain_of_message(m, s->domain) && same_sender(m, s) &&
				    session_fits(rep, m, s))
					VEC_PUSH(sv.v, sv.n, sv.cap, sx.v[k].idx);
			}
			free(sk);
		}
		ivec_unique(sv.v, &sv.n);
		if (sv.n > JOINS_MAX_PER_MSG) {
			over[2 * i] = sv.n;
			sv.n = JOINS_MAX_PER_MSG;
		}
		free(m->sess_idx);
		m->sess_idx = sv.v;
		m->nsess_idx = sv.n;
		m->sess_idxcap = sv.cap;
		if (sv.n == 0)
			continue;
		/* the protocol-log events of those sessions join too */
		for (k = 0; k < m->nev_idx; k++)
			VEC_PUSH(ev.v, ev.n, ev.cap, m->ev_idx[k]);
		for (k = 0; k < sv.n; k++)
			session_events(&pl, &rep->sessions[sv.v[k]], &ev);
		over[2 * i + 1] = set_ev_idx_quiet(m, &ev);
	}
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];

		if (over[2 * i] != 0)
			anomaly_add(rep, "join-limit", IMCQ_SEV_INFO,
				    m->nsources ? m->sources[0].input : -1,
				    m->nsources ? m->sources[0].member : NULL, IMCQ_NOOFF,
				    "%s: %zu protocol-log sessions match this message; the first "
				    "%d are kept", m->spool_id ? m->spool_id : "?", over[2 * i],
				    JOINS_MAX_PER_MSG);
		if (over[2 * i + 1] != 0)
			ev_limit_anomaly(rep, m, over[2 * i + 1]);
	}
	free(over);
	free(pl.v);
	kindex_release(&px);
	kindex_release(&sx);
}
