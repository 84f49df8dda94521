/* SPDX-License-Identifier: MIT */
#include "analyzer/core/model.h"
#include "analyzer/core/hex.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/store.h"
#include "analyzer/core/tabhash.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const queue_names[IMCQ_Q_COUNT] = {
	"out", "in", "out-archive", "in-archive", "pickup", "pickup-archive",
	"work", "other",
};

static const char *const state_names[IMCQ_ST_COUNT] = {
	"unset", "awaiting-delivery", "awaiting-conversion", "expired",
	"delivered", "missing", "archived", "pickup", "damaged",
};

static const char *const place_names[IMCQ_PL_COUNT] = {
	"unknown", "Imcdata/Out", "Imcdata/In", "Imcdata/Out/Archive",
	"Imcdata/In/Archive", "Imcdata/Pickup", "Imcdata/Pickup/Archive",
	"Imcdata/Work", "Imcdata/Backup", "Imcdata/Turfdir", "Imcdata/Log",
	"Imcdata/Queue.dat", "Imcdata", "Mtadata", "Tracking.log",
};

const char *
imcq_queue_name(enum imcq_queue q)
{
	return (unsigned)q < IMCQ_Q_COUNT ? queue_names[q] : "other";
}

const char *
imcq_state_name(enum imcq_state s)
{
	return (unsigned)s < IMCQ_ST_COUNT ? state_names[s] : "unset";
}

const char *
imcq_place_name(enum imcq_place p)
{
	return (unsigned)p < IMCQ_PL_COUNT ? place_names[p] : "unknown";
}

const char *
imcq_sev_name(enum imcq_sev s)
{
	switch (s) {
	case IMCQ_SEV_INFO: return "info";
	case IMCQ_SEV_WARNING: return "warning";
	case IMCQ_SEV_ERROR: return "error";
	}
	return "info";
}

const char *
imcq_env_source_name(enum imcq_env_source s)
{
	switch (s) {
	case IMCQ_ENV_SPOOL: return "spool-header";
	case IMCQ_ENV_XHEADERS: return "x-headers";
	case IMCQ_ENV_RFC822: return "rfc822-headers";
	case IMCQ_ENV_NONE: break;
	}
	return "none";
}

int
imcq_state_parse(const char *s)
{
	int i;

	for (i = 1; i < IMCQ_ST_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

int
imcq_queue_parse(const char *s)
{
	int i;

	for (i = 0; i < IMCQ_Q_COUNT; i++)
		if (strcmp(s, queue_names[i]) == 0)
			return i;
	return -1;
}

enum imcq_queue
imcq_queue_of_place(enum imcq_place p)
{
	switch (p) {
	case IMCQ_PL_OUT: return IMCQ_Q_OUT;
	case IMCQ_PL_IN: return IMCQ_Q_IN;
	case IMCQ_PL_OUT_ARCHIVE: return IMCQ_Q_OUT_ARCHIVE;
	case IMCQ_PL_IN_ARCHIVE: return IMCQ_Q_IN_ARCHIVE;
	case IMCQ_PL_PICKUP: return IMCQ_Q_PICKUP;
	case IMCQ_PL_PICKUP_ARCHIVE: return IMCQ_Q_PICKUP_ARCHIVE;
	case IMCQ_PL_WORK: return IMCQ_Q_WORK;
	default: return IMCQ_Q_OTHER;
	}
}

void
strv_push(struct imcq_strv *sv, char *owned)
{
	VEC_PUSH(sv->v, sv->n, sv->cap, owned);
}

void
strv_release(struct imcq_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* ---- spilled texts (model.h) ---- */

#define TEXT_LEN_BITS	16
#define TEXT_LEN_MAX	((1u << TEXT_LEN_BITS) - 1)
#define TEXT_OFF_SHIFT	(1 + TEXT_LEN_BITS)

static size_t
text_tag_len(const char *t)
{
	return (size_t)(((uintptr_t)t >> 1) & TEXT_LEN_MAX);
}

static uint64_t
text_tag_off(const char *t)
{
	return (uint64_t)((uintptr_t)t >> TEXT_OFF_SHIFT);
}

char *
text_spill(struct imcq_spill *s, char *owned)
{
	size_t n;
	uint64_t off;

	if (s == NULL || owned == NULL || text_spilled(owned) || sizeof(uintptr_t) < 8)
		return owned;
	n = strlen(owned);
	if (n == 0 || n > TEXT_LEN_MAX)
		return owned;
	off = spill_put(s, owned, n);
	if (off >> (64 - TEXT_OFF_SHIFT) != 0)
		return owned;	/* beyond 128 TiB: keep it (the record is only lost room) */
	free(owned);
	return (char *)(((uintptr_t)off << TEXT_OFF_SHIFT) | ((uintptr_t)n << 1) | 1u);
}

const char *
text_get(struct imcq_spill *s, const char *t, struct imcq_tbuf *b)
{
	size_t n;
	char *dst;

	if (!text_spilled(t))
		return t;
	if (s == NULL)
		BUG("text_get: a spilled text without the spill");
	n = text_tag_len(t);
	if (n < sizeof(b->small)) {
		dst = b->small;
	} else {
		if (b->cap < n + 1) {
			free(b->p);
			b->p = xmalloc(n + 1);
			b->cap = n + 1;
		}
		dst = b->p;
	}
	spill_get(s, text_tag_off(t), dst, n);
	dst[n] = '\0';
	return dst;
}

bool
text_eq(struct imcq_spill *s, const char *t, const char *x)
{
	struct imcq_tbuf b = IMCQ_TBUF_INIT;
	bool eq;

	if (t == NULL || x == NULL)
		return t == x;
	if (!text_spilled(t))
		return strcmp(t, x) == 0;
	if (strlen(x) != text_tag_len(t))
		return false;
	eq = strcmp(text_get(s, t, &b), x) == 0;
	tbuf_release(&b);
	return eq;
}

void
text_free(char *t)
{
	if (!text_spilled(t))
		free(t);
}

void
tbuf_release(struct imcq_tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

#define EXCERPT_MAX 400

void
evlist_add(struct imcq_evlist *l, int input, const char *member,
	   uint64_t offset, uint64_t line, const char *excerpt)
{
	struct imcq_evidence e = {
		.input = input,
		.member = member ? xstrdup(member) : NULL,
		.offset = offset,
		.line = line,
		.excerpt = excerpt ? xstrndup(excerpt, strnlen(excerpt, EXCERPT_MAX)) : NULL,
	};

	VEC_PUSH(l->v, l->n, l->cap, e);
}

void
evlist_add_ref(struct imcq_evlist *l, int input, const char *member,
	       uint64_t offset, uint64_t line, char *excerpt)
{
	struct imcq_evidence e = {
		.input = input,
		.shared = IMCQ_EV_SH_MEMBER,
		.member = (char *)member,
		.offset = offset,
		.line = line,
		.excerpt = excerpt,
	};

	if (excerpt != NULL && strnlen(excerpt, EXCERPT_MAX + 1) > EXCERPT_MAX) {
		excerpt[EXCERPT_MAX] = '\0';	/* as evlist_add's copy */
		e.excerpt = xrealloc(excerpt, EXCERPT_MAX + 1);
	}
	VEC_PUSH(l->v, l->n, l->cap, e);
}

void
evlist_add_refs(struct imcq_evlist *l, int input, const char *member,
		uint64_t offset, uint64_t line, const char *excerpt)
{
	if (excerpt != NULL && strnlen(excerpt, EXCERPT_MAX + 1) > EXCERPT_MAX) {
		evlist_add_ref(l, input, member, offset, line,
			       xstrndup(excerpt, EXCERPT_MAX));
		return;
	}
	evlist_add_ref(l, input, member, offset, line, NULL);
	l->v[l->n - 1].excerpt = (char *)excerpt;
	if (excerpt != NULL)
		l->v[l->n - 1].shared |= IMCQ_EV_SH_EXCERPT;
}

void
evlist_release(struct imcq_evlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!(l->v[i].shared & IMCQ_EV_SH_MEMBER))
			free(l->v[i].member);
		if (!(l->v[i].shared & (IMCQ_EV_SH_EXCERPT | IMCQ_EV_SPILLED)))
			free(l->v[i].excerpt);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
evlist_trim(struct imcq_evlist *l)
{
	if (l->cap > l->n) {
		if (l->n == 0) {
			free(l->v);
			l->v = NULL;
		} else {
			l->v = xreallocarray(l->v, l->n, sizeof(*l->v));
		}
		l->cap = l->n;
	}
}

/* msg's text into a heap string of its exact length */
static char *vformat(const char *fmt, va_list ap) IMCQ_PRINTF(1, 0);

static char *
vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char small[512], *s;

	/* one formatting pass for the usual text, two for a long one */
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0)
		n = 0, small[0] = '\0';
	s = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof(small))
		memcpy(s, small, (size_t)n + 1);
	else
		vsnprintf(s, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return s;
}

struct imcq_finding *
findlist_add(struct imcq_findlist *l, const char *code, enum imcq_sev sev,
	     const char *reference, const char *fmt, ...)
{
	struct imcq_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.code = xstrdup(code);
	f.sev = sev;
	f.reference = reference ? xstrdup(reference) : NULL;
	va_start(ap, fmt);
	f.message = vformat(fmt, ap);
	va_end(ap);
	VEC_PUSH(l->v, l->n, l->cap, f);
	return &l->v[l->n - 1];
}

struct imcq_finding *
findlist_add_shared(struct imcq_findlist *l, const char *code, enum imcq_sev sev,
		    const char *reference, const char *basis, const char *action,
		    char *message)
{
	struct imcq_finding f;

	memset(&f, 0, sizeof(f));
	f.code = (char *)code;
	f.sev = sev;
	f.reference = (char *)reference;
	f.basis = (char *)basis;
	f.action = (char *)action;
	f.shared = IMCQ_F_SH_CODE | IMCQ_F_SH_REFERENCE | IMCQ_F_SH_ACTION | IMCQ_F_SH_BASIS;
	f.message = message;
	VEC_PUSH(l->v, l->n, l->cap, f);
	return &l->v[l->n - 1];
}

void
finding_add_spool(struct imcq_finding *f, const char *spool_id)
{
	size_t cap = f->nspool_ids;

	/* capacity == count: grow by one each time; lists are short */
	xgrow((void **)&f->spool_ids, &cap, f->nspool_ids + 1, sizeof(char *));
	f->spool_ids[f->nspool_ids++] = xstrdup(spool_id);
}

void
finding_spill(struct imcq_spill *s, struct imcq_finding *f)
{
	size_t i;

	if (s == NULL)
		return;
	if (!(f->shared & IMCQ_F_SPILLED)) {
		f->message = text_spill(s, f->message);
		if (text_spilled(f->message))
			f->shared |= IMCQ_F_SPILLED;
	}
	for (i = 0; i < f->ev.n; i++) {
		struct imcq_evidence *e = &f->ev.v[i];

		if (e->shared & (IMCQ_EV_SH_EXCERPT | IMCQ_EV_SPILLED))
			continue;
		e->excerpt = text_spill(s, e->excerpt);
		if (text_spilled(e->excerpt))
			e->shared |= IMCQ_EV_SPILLED;
	}
}

const char *
finding_message(struct imcq_spill *s, const struct imcq_finding *f, struct imcq_tbuf *b)
{
	return f->shared & IMCQ_F_SPILLED ? text_get(s, f->message, b) : f->message;
}

const char *
evidence_excerpt(struct imcq_spill *s, const struct imcq_evidence *e, struct imcq_tbuf *b)
{
	return e->shared & IMCQ_EV_SPILLED ? text_get(s, e->excerpt, b) : e->excerpt;
}

void
evlist_share(struct imcq_evlist *l, const struct imcq_evidence *e)
{
	evlist_add_ref(l, e->input, e->member, e->offset, e->line, NULL);
	l->v[l->n - 1].excerpt = e->excerpt;
	l->v[l->n - 1].shared = (unsigned char)(e->shared | IMCQ_EV_SH_MEMBER |
						(e->excerpt ? IMCQ_EV_SH_EXCERPT : 0));
}

void
findlist_release(struct imcq_findlist *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		struct imcq_finding *f = &l->v[i];

		if (!(f->shared & IMCQ_F_SH_CODE))
			free(f->code);
		if (!(f->shared & IMCQ_F_SPILLED))
			free(f->message);
		if (!(f->shared & IMCQ_F_SH_REFERENCE))
			free(f->reference);
		if (!(f->shared & IMCQ_F_SH_ACTION))
			free(f->action);
		if (!(f->shared & IMCQ_F_SH_BASIS))
			free(f->basis);
		for (j = 0; j < f->nspool_ids; j++)
			free(f->spool_ids[j]);
		free(f->spool_ids);
		evlist_release(&f->ev);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
report_init(struct imcq_report *r)
{
	memset(r, 0, sizeof(*r));
	imcq_limits_default(&r->lim);
	r->reference_time = IMCQ_NOTIME;
	r->incident.since = IMCQ_NOTIME;
}

void
imcq_limits_default(struct imcq_limits *l)
{
	l->entry_bytes = IMCQ_DEF_ENTRY_BYTES;
	l->total_bytes = IMCQ_DEF_TOTAL_BYTES;
	l->ratio = IMCQ_DEF_RATIO;
	l->depth = IMCQ_DEF_DEPTH;
	l->members = IMCQ_DEF_MEMBERS;
	l->envelope_bytes = IMCQ_DEF_ENVELOPE_BYTES;
	l->rcpts = IMCQ_DEF_RCPTS;
	l->header_bytes = IMCQ_DEF_HEADER_BYTES;
	l->header_block = IMCQ_DEF_HEADER_BLOCK;
	l->mime_depth = IMCQ_DEF_MIME_DEPTH;
	l->mime_parts = IMCQ_DEF_MIME_PARTS;
	l->hops = IMCQ_DEF_HOPS;
	l->lines = IMCQ_DEF_LINES;
	l->line_bytes = IMCQ_DEF_LINE_BYTES;
	l->qrefs = IMCQ_DEF_QREFS;
	l->header_fields = IMCQ_DEF_HEADER_FIELDS;
	l->re_match = IMCQ_DEF_RE_MATCH;
	l->re_depth = IMCQ_DEF_RE_DEPTH;
	l->anomalies = IMCQ_DEF_ANOMALIES;
}

void
anomaly_add(struct imcq_report *r, const char *code, enum imcq_sev sev,
	    int input, const char *member, uint64_t offset, const char *fmt, ...)
{
	struct imcq_anomaly a;
	va_list ap;
	char msg[1024];

	if (r->nanoms >= r->lim.anomalies) {
		r->anoms_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a.code = xstrdup(code);
	a.sev = sev;
	a.input = input;
	a.member = member ? xstrdup(member) : NULL;
	a.offset = offset;
	a.message = xstrdup(msg);
	VEC_PUSH(r->anoms, r->nanoms, r->anomcap, a);
}

struct imcq_message *
message_new(void)
{
	struct imcq_message *m = xcalloc(1, sizeof(*m));

	m->im = xcalloc(1, sizeof(*m->im));
	m->im->hdr.date = IMCQ_NOTIME;
	m->queue_time = IMCQ_NOTIME;
	m->expires = IMCQ_NOTIME;
	m->line_ends = "none";
	m->im->env.offset = IMCQ_NOOFF;
	m->snapshot = 0;
	m->hdr_priority = 2;
	return m;
}

/* 1 urgent, -1 non-urgent, 0 normal, 2 not stated. */
static int
parse_priority(const char *v, bool xprio)
{
	char w[32];
	size_t i = 0;

	if (v == NULL)
		return 2;
	while (*v == ' ' || *v == '\t')
		v++;
	if (xprio && *v >= '1' && *v <= '5')
		return *v <= '2' ? 1 : *v >= '4' ? -1 : 0;
	while (v[i] && i < sizeof(w) - 1 && v[i] != ' ' && v[i] != '(' && v[i] != ';') {
		w[i] = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] + 32) : v[i];
		i++;
	}
	w[i] = '\0';
	if (strcmp(w, "urgent") == 0 || strcmp(w, "high") == 0 || strcmp(w, "highest") == 0)
		return 1;
	if (strcmp(w, "non-urgent") == 0 || strcmp(w, "low") == 0 ||
	    strcmp(w, "lowest") == 0)
		return -1;
	if (strcmp(w, "normal") == 0)
		return 0;
	return 2;
}

int
message_header_priority(const struct imcq_message *m)
{
	int p;

	if (m->chilled)
		return m->hdr_priority;
	p = parse_priority(m->c.priority, false);
	if (p == 2)
		p = parse_priority(m->c.importance, false);
	if (p == 2)
		p = parse_priority(m->c.x_priority, true);
	return p;
}

void
message_body_sha256_hex(const struct imcq_message *m, char out[65])
{
	if (!m->has_body_sha256) {
		out[0] = '\0';
		return;
	}
	hex_encode(m->im->body_sha256, sizeof(m->im->body_sha256), out);
}

/* realloc a vector down to its length */
#define TRIM(arr, n, cap) do { \
	if ((cap) > (n)) { \
		if ((n) == 0) { free(arr); (arr) = NULL; } \
		else (arr) = xreallocarray((arr), (n), sizeof(*(arr))); \
		(cap) = (n); \
	} } while (0)

/* ---- string pool ---- */

#define POOL_CHUNK 65536

static uint64_t
pool_hash(const char *s, size_t n)
{
	return tab_hash(TAB_HASH_SEED, s, n);
}

static char *
pool_store(struct imcq_strpool *p, const char *s, size_t n)
{
	char *d;

	if (n > POOL_CHUNK / 4) {	/* big: its own allocation */
		d = xmalloc(n);
		VEC_PUSH(p->chunks, p->nchunks, p->chunkcap, d);
	} else {
		if (p->chunk_left < n) {
			p->chunk = xmalloc(POOL_CHUNK);
			p->chunk_left = POOL_CHUNK;
			VEC_PUSH(p->chunks, p->nchunks, p->chunkcap, p->chunk);
		}
		d = p->chunk;
		p->chunk += n;
		p->chunk_left -= n;
	}
	memcpy(d, s, n);
	return d;
}

const char *
strpool_intern(struct imcq_strpool *p, const char *s)
{
	size_t i, mask, n;

	if (s == NULL)
		return NULL;
	if (p->n * 2 >= p->nslot) {	/* grow to keep the load under 1/2 */
		size_t ns = p->nslot ? p->nslot * 2 : 1024, k;
		char **nv = xcalloc(ns, sizeof(*nv));

		for (k = 0; k < p->nslot; k++) {
			const char *o = p->slot[k];

			if (o == NULL)
				continue;
			for (i = pool_hash(o, strlen(o)) & (ns - 1); nv[i] != NULL; i = (i + 1) & (ns - 1))
				;
			nv[i] = p->slot[k];
		}
		free(p->slot);
		p->slot = nv;
		p->nslot = ns;
	}
	mask = p->nslot - 1;
	n = strlen(s);
	for (i = pool_hash(s, n) & mask; p->slot[i] != NULL; i = (i + 1) & mask)
		if (p->slot[i][0] == s[0] && strcmp(p->slot[i], s) == 0)
			return p->slot[i];
	p->slot[i] = pool_store(p, s, n + 1);
	p->n++;
	return p->slot[i];
}

void
strpool_release(struct imcq_strpool *p)
{
	size_t i;

	for (i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

static void
pool_swap(struct imcq_strpool *p, char **slot)
{
	char *old = *slot;

	if (old == NULL)
		return;
	*slot = (char *)strpool_intern(p, old);
	free(old);
}

void
route_pool(struct imcq_strpool *p, struct imcq_route *r)
{
	size_t i;

	if (r->pooled)
		return;
	pool_swap(p, &r->connector);
	pool_swap(p, &r->server);
	pool_swap(p, &r->address_space);
	pool_swap(p, &r->rule);
	pool_swap(p, &r->host);
	pool_swap(p, &r->ims_rule);
	for (i = 0; i < r->ev.n; i++) {	/* shared strings outlive the route: kept */
		if (!(r->ev.v[i].shared & IMCQ_EV_SH_MEMBER))
			pool_swap(p, &r->ev.v[i].member);
		if (!(r->ev.v[i].shared & IMCQ_EV_SH_EXCERPT))
			pool_swap(p, &r->ev.v[i].excerpt);
	}
	TRIM(r->ev.v, r->ev.n, r->ev.cap);
	r->pooled = true;
}

const struct imcq_route imcq_route_none = { .cost = -1 };

static void
route_release(struct imcq_route *r)
{
	if (r->pooled) {	/* the strings belong to the report's pool */
		free(r->ev.v);
		memset(r, 0, sizeof(*r));
		r->cost = -1;
		return;
	}
	free(r->connector);
	free(r->server);
	free(r->address_space);
	free(r->rule);
	free(r->host);
	free(r->ims_rule);
	evlist_release(&r->ev);
}

const char *
route_rule(const struct imcq_route *rt, const char *address, char **tmp)
{
	size_t at = rt->addr_at;

	*tmp = NULL;
	if (at == 0 || rt->rule == NULL)
		return rt->rule;
	*tmp = xasprintf("%.*s%s%s", (int)at, rt->rule, address ? address : "", rt->rule + at);
	return *tmp;
}

struct imcq_route *
route_new(void)
{
	struct imcq_route *rt = xcalloc(1, sizeof(*rt));

	rt->cost = -1;
	return rt;
}

void
route_free(struct imcq_route *rt)
{
	if (rt == NULL)
		return;
	route_release(rt);
	free(rt);
}

/*
 * Routes are compared by the texts of their strings (and the addresses of
 * the evidence strings they share, IMCQ_EV_SH_*), so that a fresh route is
 * looked up before its strings are pooled.  issue #9: the pooling of every
 * recipient's route cost ~4,000 instructions, for a few hundred distinct
 * routes; now only a route not seen before is pooled.
 */
static uint64_t
str_hash(uint64_t h, const char *s)
{
	if (s == NULL)
		return (h ^ 0x5bd1e995u) * TAB_HASH_MUL;
	return tab_hash(h, s, strlen(s));
}

static uint64_t
route_hash(const struct imcq_route *r)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	MIX(r->known);
	MIX(r->addr_at);
	MIX((uint32_t)r->cost);
	MIX(r->ev.n);
	h = str_hash(h, r->connector);
	h = str_hash(h, r->server);
	h = str_hash(h, r->address_space);
	h = str_hash(h, r->rule);
	h = str_hash(h, r->host);
	h = str_hash(h, r->ims_rule);
	for (i = 0; i < r->ev.n; i++) {
		const struct imcq_evidence *e = &r->ev.v[i];

		MIX((uint32_t)e->input);
		MIX(e->shared);
		MIX(e->offset);
		MIX(e->line);
		if (e->shared & IMCQ_EV_SH_MEMBER)
			MIX((uintptr_t)e->member);
		else
			h = str_hash(h, e->member);
		if (e->shared & IMCQ_EV_SH_EXCERPT)
			MIX((uintptr_t)e->excerpt);
		else
			h = str_hash(h, e->excerpt);
	}
#undef MIX
	return h ^ (h >> 29);
}

static bool
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
route_same(const struct imcq_route *a, const struct imcq_route *b)
{
	size_t i;

	if (a->known != b->known || a->addr_at != b->addr_at || a->cost != b->cost ||
	    a->ev.n != b->ev.n ||
	    !str_same(a->rule, b->rule) || !str_same(a->ims_rule, b->ims_rule) ||
	    !str_same(a->connector, b->connector) || !str_same(a->server, b->server) ||
	    !str_same(a->address_space, b->address_space) || !str_same(a->host, b->host))
		return false;
	for (i = 0; i < a->ev.n; i++) {
		const struct imcq_evidence *x = &a->ev.v[i], *y = &b->ev.v[i];

		if (x->input != y->input || x->shared != y->shared || x->offset != y->offset ||
		    x->line != y->line)
			return false;
		if ((x->shared & IMCQ_EV_SH_MEMBER) ? x->member != y->member
						    : !str_same(x->member, y->member))
			return false;
		if ((x->shared & IMCQ_EV_SH_EXCERPT) ? x->excerpt != y->excerpt
						     : !str_same(x->excerpt, y->excerpt))
			return false;
	}
	return true;
}

static void
routeset_put(struct imcq_routeset *rs, struct imcq_route *rt, uint64_t h)
{
	size_t k = (size_t)h & (rs->nslot - 1);

	while (rs->slot[k] != NULL)
		k = (k + 1) & (rs->nslot - 1);
	rs->slot[k] = rt;
	rs->hash[k] = h;
	rs->n++;
}

const struct imcq_route *
report_intern_route(struct imcq_report *r, struct imcq_route *fresh)
{
	struct imcq_routeset *rs = &r->routeset;
	uint64_t h;
	size_t k;

	h = route_hash(fresh);
	if (rs->nslot > 0) {
		for (k = (size_t)h & (rs->nslot - 1); rs->slot[k] != NULL;
		     k = (k + 1) & (rs->nslot - 1)) {
			if (rs->hash[k] == h && route_same(rs->slot[k], fresh)) {
				route_free(fresh);
				return rs->slot[k];
			}
		}
	}
	if ((rs->n + 1) * 2 > rs->nslot) {	/* grow: load at most 1/2 */
		struct imcq_routeset old = *rs;

		rs->nslot = old.nslot ? old.nslot * 2 : 256;
		rs->slot = xcalloc(rs->nslot, sizeof(*rs->slot));
		rs->hash = xcalloc(rs->nslot, sizeof(*rs->hash));
		rs->n = 0;
		for (k = 0; k < old.nslot; k++)
			if (old.slot[k] != NULL)
				routeset_put(rs, old.slot[k], old.hash[k]);
		free(old.slot);
		free(old.hash);
	}
	route_pool(&r->pool, fresh);	/* a new route: its strings join the pool */
	routeset_put(rs, fresh, h);
	return fresh;
}

static void
routeset_release(struct imcq_routeset *rs)
{
	size_t k;

	for (k = 0; k < rs->nslot; k++)
		route_free(rs->slot[k]);
	free(rs->slot);
	free(rs->hash);
	memset(rs, 0, sizeof(*rs));
}

/* Every string slot of the cold fields (nall: how many of all are set). */
static void
visit_cold_strings(struct imcq_cold *c, size_t nall, void (*fn)(void *ctx, char **slot),
		   void *ctx)
{
	size_t i, j;
	struct imcq_strv *svs[] = { &c->extra, &c->to, &c->cc, &c->bcc };
	char **one[] = { &c->helo, &c->client_host, &c->encoding, &c->date_raw,
			 &c->from, &c->sender, &c->reply_to, &c->content_type,
			 &c->x_priority, &c->importance, &c->priority };

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		fn(ctx, one[i]);
	for (i = 0; i < sizeof(svs) / sizeof(svs[0]); i++)
		for (j = 0; j < svs[i]->n; j++)
			fn(ctx, &svs[i]->v[j]);
	for (i = 0; i < c->ngaps; i++)
		fn(ctx, &c->gaps[i].hex);
	for (i = 0; c->all != NULL && i < nall; i++) {
		fn(ctx, &c->all[i].name);
		fn(ctx, &c->all[i].value);
	}
	for (i = 0; i < c->nparts; i++) {
		fn(ctx, &c->parts[i].path);
		fn(ctx, &c->parts[i].content_type);
		fn(ctx, &c->parts[i].filename);
		fn(ctx, &c->parts[i].charset);
		fn(ctx, &c->parts[i].encoding);
	}
}

/* Call fn on every string slot of a message except the state reason, the
 * recipients' status (which the analyzer replaces) and the sources'
 * members (message_bind_source replaces an unbound copy): the strings
 * message_pack moves into its block and message_free frees.  A chilled
 * message has no cold fields (m->c is not even allocated). */
static void
visit_strings(struct imcq_message *m, void (*fn)(void *ctx, char **slot), void *ctx)
{
	size_t i, j;
	struct imcq_strv *svs[] = { &m->im->env.rcpt_to };
	char **one[] = { &m->spool_id, &m->format, &m->im->env.mail_from,
			 &m->im->env.mts_id, &m->im->hdr.message_id, &m->im->hdr.subject,
			 &m->im->hdr.subject_raw, &m->damage, &m->ims_id };

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		fn(ctx, one[i]);
	for (i = 0; i < sizeof(svs) / sizeof(svs[0]); i++)
		for (j = 0; j < svs[i]->n; j++)
			fn(ctx, &svs[i]->v[j]);
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		struct imcq_hop *h = &m->im->hdr.received[i];

		fn(ctx, &h->from);
		fn(ctx, &h->by);
		fn(ctx, &h->with);
		fn(ctx, &h->id);
		fn(ctx, &h->for_addr);
		fn(ctx, &h->date_raw);
		fn(ctx, &h->raw);
	}
	for (i = 0; i < m->nrcpts; i++) {
		fn(ctx, &m->rcpts[i].address);
		fn(ctx, &m->rcpts[i].domain);
	}
	if (!m->chilled)
		visit_cold_strings(&m->c, m->im->hdr.nall, fn, ctx);
}

/*
 * Lay out n strings (src[i], len[i] bytes each) in one new block after
 * head bytes: a string equal to or ending a longer one takes that one's
 * bytes (with more than share_max strings, none does: the search is
 * quadratic).  dst[i] is where string i lies in the block, *size the
 * block's bytes.  Returns the block, or NULL (nothing allocated) when it
 * would pass max_total bytes.
 * Frees nothing; message_pack and event_pack hand the block its strings.
 */
#define PACK_SMALL 64	/* strings pack_block and message_pack lay out on the stack */

static char *
pack_block(char *const *src, const size_t *len, size_t n, size_t head, size_t share_max,
	   size_t max_total, char **dst, size_t *size)
{
	/* issue #9: a message's ~15 strings need no allocation here, and a
	 * string is compared only with the owners that end in its last byte
	 * (bucket lists in the order of ord: the first that matches is the
	 * one a scan of ord would find) */
	size_t small[4 * PACK_SMALL], bhead[256], btail[256];
	uint64_t bset[4] = { 0 };
	size_t *heap = n > PACK_SMALL ? xmalloc(4 * n * sizeof(*heap)) : NULL;
	size_t *owner = heap ? heap : small;	/* the string whose bytes it takes */
	size_t *at = owner + n;			/* an owner's offset */
	size_t *ord = at + n;			/* longest first, stable */
	size_t *next = ord + n;			/* the next owner in its bucket */
	size_t i, k, o, total = head;
	bool share = n <= share_max;
	char *block = NULL;

	for (i = 0; i < n; i++) {
		for (k = i; share && k > 0 && len[ord[k - 1]] < len[i]; k--)
			ord[k] = ord[k - 1];
		ord[k] = i;
	}
	for (k = 0; k < n; k++) {
		unsigned char c = len[ord[k]] ? (unsigned char)src[ord[k]][len[ord[k]] - 1] : 0;

		i = ord[k];
		owner[i] = i;
		if (share && k > 0 && len[i] == 0) {
			owner[i] = ord[0];	/* its NUL ends the longest string */
		} else if (share && len[i] > 0 && (bset[c >> 6] >> (c & 63) & 1)) {
			for (o = bhead[c]; o != SIZE_MAX; o = next[o])
				if (memcmp(src[o] + len[o] - len[i], src[i], len[i] + 1) == 0) {
					owner[i] = o;
					break;
				}
		}
		if (owner[i] != i)
			continue;
		at[i] = total;
		total += len[i] + 1;
		if (share && len[i] > 0) {
			next[i] = SIZE_MAX;
			if (bset[c >> 6] >> (c & 63) & 1)
				next[btail[c]] = i;
			else
				bhead[c] = i;
			btail[c] = i;
			bset[c >> 6] |= (uint64_t)1 << (c & 63);
		}
	}
	*size = total;
	if (total <= max_total) {
		block = xmalloc(total ? total : 1);
		for (i = 0; i < n; i++) {
			o = owner[i];
			dst[i] = block + at[o] + (len[o] - len[i]);
			if (o == i)
				memcpy(dst[i], src[i], len[i] + 1);
		}
	}
	free(heap);
	return block;
}

/* message_pack's slots: every string slot of the message, in visit
 * order, with its length. */
struct packer {
	char ***slot;
	size_t *len;
	size_t n, cap;
	/* the first PACK_SMALL slots (no allocation for most messages) */
	char **slot0[PACK_SMALL];
	size_t len0[PACK_SMALL];
};

static void
pack_collect(void *ctx, char **slot)
{
	struct packer *pk = ctx;

	if (*slot == NULL)
		return;
	if (pk->n == pk->cap) {
		bool inl = pk->slot == pk->slot0;

		pk->cap *= 2;
		pk->slot = xreallocarray(inl ? NULL : pk->slot, pk->cap, sizeof(*pk->slot));
		pk->len = xreallocarray(inl ? NULL : pk->len, pk->cap, sizeof(*pk->len));
		if (inl) {
			memcpy(pk->slot, pk->slot0, sizeof(pk->slot0));
			memcpy(pk->len, pk->len0, sizeof(pk->len0));
		}
	}
	pk->slot[pk->n] = slot;
	pk->len[pk->n] = strlen(*slot);
	pk->n++;
}

/* Messages with more string slots than this are packed without sharing
 * (the search is quadratic; a message has ~15). */
#define PACK_SHARE_MAX 256

void
message_pack(struct imcq_message *m)
{
	struct packer pk;
	char *small[2 * PACK_SMALL], **src, **dst;
	size_t i, total;

	if (m->pack != NULL)
		return;
	TRIM(m->sources, m->nsources, m->srccap);
	TRIM(m->rcpts, m->nrcpts, m->rcptcap);
	TRIM(m->im->env.rcpt_to.v, m->im->env.rcpt_to.n, m->im->env.rcpt_to.cap);
	TRIM(m->im->hdr.received, m->im->hdr.nreceived, m->im->hdr.reccap);
	TRIM(m->seen_in, m->nseen, m->seencap);
	if (!m->chilled) {
		TRIM(m->c.parts, m->c.nparts, m->c.partcap);
		TRIM(m->c.gaps, m->c.ngaps, m->c.gapcap);
		TRIM(m->c.extra.v, m->c.extra.n, m->c.extra.cap);
		TRIM(m->c.to.v, m->c.to.n, m->c.to.cap);
		TRIM(m->c.cc.v, m->c.cc.n, m->c.cc.cap);
		TRIM(m->c.bcc.v, m->c.bcc.n, m->c.bcc.cap);
		TRIM(m->c.all, m->im->hdr.nall, m->c.allcap);
	}
	pk.slot = pk.slot0;
	pk.len = pk.len0;
	pk.n = 0;
	pk.cap = PACK_SMALL;
	visit_strings(m, pack_collect, &pk);
	if (pk.n == 0)
		return;
	/* A string equal to, or a tail of, another shares its bytes: a
	 * recipient's address is an envelope recipient, its domain that
	 * address's tail.  Packed strings are read-only, so sharing is safe. */
	src = pk.n > PACK_SMALL ? xmalloc(2 * pk.n * sizeof(*src)) : small;
	dst = src + pk.n;
	for (i = 0; i < pk.n; i++)
		src[i] = *pk.slot[i];
	/* more than 4 GiB cannot be, given the caps: then leave it unpacked */
	m->pack = pack_block(src, pk.len, pk.n, 0, PACK_SHARE_MAX, UINT32_MAX, dst, &total);
	if (m->pack != NULL) {
		for (i = 0; i < pk.n; i++) {
			free(src[i]);
			*pk.slot[i] = dst[i];
		}
		m->packlen = (uint32_t)total;
	}
	if (src != small)
		free(src);
	if (pk.slot != pk.slot0) {
		free(pk.slot);
		free(pk.len);
	}
}

/* free s unless it lies in the message's packed block */
static void
mfree(const struct imcq_message *m, char *s)
{
	if (s == NULL || (m->pack != NULL && s >= m->pack && s < m->pack + m->packlen))
		return;
	free(s);
}

static void
free_unpacked(void *ctx, char **slot)
{
	mfree(ctx, *slot);
}

void
cold_free_vectors(struct imcq_cold *c)
{
	free(c->gaps);
	free(c->extra.v);
	free(c->to.v);
	free(c->cc.v);
	free(c->bcc.v);
	free(c->all);
	free(c->parts);
	memset(c, 0, sizeof(*c));
}

void
message_drop_cold(struct imcq_message *m)
{
	if (m->chilled)
		return;
	visit_cold_strings(&m->c, m->im->hdr.nall, free_unpacked, m);
	cold_free_vectors(&m->c);
}

void
message_free(struct imcq_message *m)
{
	size_t i;

	if (m == NULL)
		return;
	visit_strings(m, free_unpacked, m);
	text_free(m->state_reason);
	for (i = 0; i < m->nsources; i++)
		if (m->sources[i].inv == IMCQ_SRC_NOINV)	/* its own copy */
			free((char *)m->sources[i].member);
	if (!m->pack_stored) {	/* else these are in the store too */
		free(m->sources);
		free(m->im->env.rcpt_to.v);
		free(m->im->hdr.received);
		free(m->im);
	}
	if (!m->chilled)
		cold_free_vectors(&m->c);
	for (i = 0; i < m->nrcpts; i++) {
		const struct imcq_route *rt = m->rcpts[i].route;

		if (rt != NULL && !rt->pooled)	/* built, not yet interned */
			route_free((struct imcq_route *)rt);
		evlist_release(&m->rcpts[i].ev);
	}
	if (!m->rec_stored)
		free(m->rcpts);
	findlist_release(&m->findings);
	message_findings_drop(m);
	free(m->seen_in);
	free(m->ev_idx);
	free(m->sess_idx);
	if (!m->pack_stored)
		free(m->pack);
	if (!m->spilled)
		free(m->cold);
	if (!m->rec_stored)
		free(m);
}

/* visit_strings: a slot into the old pack points into the new one */
struct repack {
	const char *from;
	size_t len;
	char *to;
};

static void
repoint(void *ctx, char **slot)
{
	const struct repack *rp = ctx;

	if (*slot != NULL && *slot >= rp->from && *slot < rp->from + rp->len)
		*slot = rp->to + (*slot - rp->from);
}

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * One block in the store: the pack, then the arrays that no stage changes
 * once the message is in the report (the envelope's recipients, the
 * Received hops, the sources), each exact (cap = n), then m->im, which
 * points to them.  The block is put whole or not at all, so pack_stored
 * says where all of them are.
 */
struct blk_layout {
	size_t o_rt, o_rec, o_src, o_im, total;
};

/* m's block's layout, with im the block's imcq_msgim (m->im, or a copy) */
static void
blk_layout(const struct imcq_message *m, const struct imcq_msgim *im, struct blk_layout *l)
{
	l->o_rt = align8(m->packlen);
	l->o_rec = l->o_rt + im->env.rcpt_to.n * sizeof(char *);
	l->o_src = align8(l->o_rec + im->hdr.nreceived * sizeof(struct imcq_hop));
	l->o_im = align8(l->o_src + m->nsources * sizeof(struct imcq_source));
	l->total = l->o_im + sizeof(struct imcq_msgim);
}

/* Point im's arrays and m's sources at their places in a block laid out
 * as l that starts at base (NULL when empty). */
static void
blk_point(struct imcq_message *m, struct imcq_msgim *im, unsigned char *base,
	  const struct blk_layout *l)
{
	im->env.rcpt_to.v = im->env.rcpt_to.n > 0 ? (char **)(void *)(base + l->o_rt) : NULL;
	im->hdr.received = im->hdr.nreceived > 0 ?
			   (struct imcq_hop *)(void *)(base + l->o_rec) : NULL;
	m->sources = m->nsources > 0 ? (struct imcq_source *)(void *)(base + l->o_src) : NULL;
}

/* A record and its recipients as one block: the record up to c, then the
 * recipients (record_store, report_gather, rec_heap). */
static size_t
record_bytes(const struct imcq_message *m)
{
	return align8(offsetof(struct imcq_message, c)) +
	       align8((size_t)m->nrcpts * sizeof(struct imcq_rcpt));
}

void
message_store(struct imcq_store *st, struct imcq_message *m)
{
	struct imcq_msgim *im = m->im;
	size_t nrt = im->env.rcpt_to.n, nrec = im->hdr.nreceived, nsrc = m->nsources;
	struct blk_layout l;
	struct repack rp = { m->pack, m->packlen, NULL };
	unsigned char *to;

	blk_layout(m, m->im, &l);
	if (m->pack == NULL || m->pack_stored || m->packlen == 0 || l.total > UINT32_MAX)
		return;
	to = store_alloc(st, l.total);
	if (to == NULL)
		return;		/* the store is full: the heap keeps it */
	memcpy(to, m->pack, m->packlen);
	rp.to = (char *)to;
	/* the slots (in the heap arrays too) point into the stored pack;
	 * then the arrays, so pointed, and im, pointing to their stored
	 * copies, are copied over their places in the block (the store is
	 * writable until sealed) */
	visit_strings(m, repoint, &rp);
	if (nrt > 0)
		memcpy(to + l.o_rt, im->env.rcpt_to.v, nrt * sizeof(char *));
	if (nrec > 0)
		memcpy(to + l.o_rec, im->hdr.received, nrec * sizeof(struct imcq_hop));
	if (nsrc > 0)
		memcpy(to + l.o_src, m->sources, nsrc * sizeof(struct imcq_source));
	free(im->env.rcpt_to.v);
	free(im->hdr.received);
	free(m->sources);
	blk_point(m, im, to, &l);
	im->env.rcpt_to.cap = nrt;
	im->hdr.reccap = (uint32_t)nrec;
	m->srccap = (uint32_t)nsrc;
	memcpy(to + l.o_im, im, sizeof(*im));
	m->im = (struct imcq_msgim *)(void *)(to + l.o_im);
	free(im);
	free(m->pack);
	m->pack = rp.to;
	m->pack_stored = true;
	m->blklen = (uint32_t)l.total;
	/* the spool id, which almost every pass reads, stays in the heap
	 * (message_free frees it: it lies outside the pack) */
	if (m->spool_id != NULL)
		m->spool_id = xstrdup(m->spool_id);
}

/*
 * report_gather's writes: bytes staged in memory, written through the
 * store's file (store_write) in 1 MiB runs, so that neither the blocks it
 * reads out of the store's order nor the ones it writes map a page.
 * at: the store address of buf[0].
 */
struct gstage {
	struct imcq_store *st;
	unsigned char *at;
	unsigned char *buf;
	size_t n, cap;
};

#define GSTAGE_RUN ((size_t)1 << 20)

static void
gstage_flush(struct gstage *g)
{
	if (g->n > 0 && !store_write(g->st, g->at, g->buf, g->n))
		imcq_die("cannot write the record store: %s", strerror(errno));
	g->at += g->n;
	g->n = 0;
}

/* Room for n bytes: *where gets their store address; valid until the
 * next call. */
static unsigned char *
gstage_room(struct gstage *g, size_t n, unsigned char **where)
{
	unsigned char *p;

	if (g->n + n > g->cap)
		gstage_flush(g);
	if (n > g->cap) {
		free(g->buf);
		g->cap = n;
		g->buf = xmalloc(g->cap);
	}
	p = g->buf + g->n;
	*where = g->at + g->n;
	g->n += n;
	return p;
}

/* The log events (144 bytes each; their strings are in r->store already)
 * into the record store too, as one array in their order, through the
 * file; the heap array goes.  They stay when the store cannot take them. */
static void
gather_events(struct imcq_report *r)
{
	size_t n = r->nevents * sizeof(*r->events);
	unsigned char *to;

	if (r->nevents == 0 || r->events_stored)
		return;
	to = store_alloc(r->rstore, n);
	if (to == NULL)
		return;
	if (!store_write(r->rstore, to, r->events, n))
		imcq_die("cannot write the record store: %s", strerror(errno));
	xfree_big(r->events, r->eventcap, sizeof(*r->events));
	r->events = (struct imcq_event *)(void *)to;
	r->eventcap = r->nevents;
	r->events_stored = true;
}

/* n bytes of a record at `at`, which lies in the record store (read
 * through its file) or in the heap, into dst */
static void
gather_read(const struct imcq_report *r, const void *at, void *dst, size_t n)
{
	if (!store_copy_out(r->rstore, at, dst, n))
		imcq_die("cannot read the record store: %s", strerror(errno));
}

static void
give_back_task(void *now)
{
	xgive_back(now != NULL);
}

/* A chilled record and its recipients, moved into st (the records'
 * store, written in place) as one block; m itself when st is full. */
static struct imcq_message *
record_store(struct imcq_store *st, struct imcq_message *m)
{
	const size_t rb = align8(offsetof(struct imcq_message, c));
	size_t rcb = (size_t)m->nrcpts * sizeof(struct imcq_rcpt);
	unsigned char *to = store_alloc(st, record_bytes(m));
	struct imcq_message *n;

	if (to == NULL)
		return m;	/* the heap keeps it */
	memcpy(to, m, offsetof(struct imcq_message, c));
	n = (struct imcq_message *)(void *)to;
	n->rcpts = rcb > 0 ? memcpy(to + rb, m->rcpts, rcb) : NULL;
	n->rcptcap = n->nrcpts;
	n->rec_stored = true;
	free(m->rcpts);
	free(m);
	return n;
}

void
report_gather(struct imcq_report *r)
{
	const size_t rb = align8(offsetof(struct imcq_message, c));
	size_t k, nrec = 0, nblk = 0;
	struct gstage rg = { 0 }, bg = { 0 };
	unsigned char *was_end;

	if (r->store == NULL || r->rstore == NULL || store_size(r->rstore) == 0 || r->nmsgs == 0)
		return;		/* the records are in the heap: nothing to gain */
	/* sizes, visiting the records in memory order (the store's) */
	for (k = 0; k < r->nmsgs; k++) {
		const struct imcq_message *m = r->msgs[report_mi(r, k)];

		if (!m->chilled)
			continue;	/* full size: the heap keeps it */
		nrec += record_bytes(m);
		if (m->pack_stored)
			nblk += m->blklen;	/* not blk_layout: m->im is in the store */
	}
	if (nrec == 0)
		return;
	/* what the records took in ingest's order, all of it before what the
	 * copies take now */
	was_end = (unsigned char *)store_alloc(r->rstore, 1);
	/* the records first, all together (every pass reads them), then the
	 * blocks (fewer passes read them), each in rep->msgs's order; all or
	 * nothing, so that a pass reads one order */
	rg.at = was_end != NULL ? store_alloc(r->rstore, nrec) : NULL;
	bg.at = nblk > 0 && rg.at != NULL ? store_alloc(r->rstore, nblk) : NULL;
	if (rg.at == NULL || (nblk > 0 && bg.at == NULL))
		return;		/* the store is full: they stay where they are */
	/* the heap copies freed below go back to the system as they go */
	par_two(give_back_task, r, give_back_task, r);
	rg.st = bg.st = r->rstore;
	rg.cap = bg.cap = GSTAGE_RUN;
	rg.buf = xmalloc(rg.cap);
	bg.buf = xmalloc(bg.cap);
	for (k = 0; k < r->nmsgs; k++) {
		struct imcq_message *m = r->msgs[k], *v;
		struct imcq_message hold;	/* only the part before c is read */
		const struct imcq_message *h = &hold;
		const size_t hn = offsetof(struct imcq_message, c);
		unsigned char *final, *p;
		size_t rcb;

		/* a record in the store is read through its file: in
		 * spool-id order its pages would be read at random (and
		 * where it lies is told by its address, not by reading it) */
		gather_read(r, m, &hold, hn);
		if (!h->chilled)
			continue;
		rcb = (size_t)h->nrcpts * sizeof(struct imcq_rcpt);
		/* v: the record as staged, its arrays pointing at their
		 * staged copies while visit_strings walks them */
		p = gstage_room(&rg, record_bytes(h), &final);
		memcpy(p, &hold, hn);
		v = (struct imcq_message *)(void *)p;
		if (rcb > 0) {
			gather_read(r, h->rcpts, p + rb, rcb);
			v->rcpts = (struct imcq_rcpt *)(void *)(p + rb);
		}
		v->rcptcap = v->nrcpts;
		v->rec_stored = true;
		if (h->pack_stored) {
			struct blk_layout l;
			struct repack rp;
			unsigned char *bfinal, *b;
			struct imcq_msgim *im;

			/* read through the file: m->im, in the store's order,
			 * is not read through the mapping (a message added
			 * after ingest has its block in the record store) */
			b = gstage_room(&bg, h->blklen, &bfinal);
			if (!store_read(store_holds(r->rstore, h->pack) ? r->rstore : r->store,
					h->pack, b, h->blklen))
				imcq_die("cannot read the store: %s", strerror(errno));
			im = (struct imcq_msgim *)(void *)(b + h->blklen - sizeof(*im));
			blk_layout(h, im, &l);
			blk_point(v, im, b, &l);
			v->im = im;
			/* every string slot that points into the old block (the
			 * record's, the arrays', the recipients') points into
			 * the new one */
			rp.from = h->pack;
			rp.len = l.total;
			rp.to = (char *)bfinal;
			visit_strings(v, repoint, &rp);
			blk_point(v, im, bfinal, &l);
			v->im = (struct imcq_msgim *)(void *)(bfinal + l.o_im);
			v->pack = (char *)bfinal;
		}
		if (v->rcpts != NULL)
			v->rcpts = (struct imcq_rcpt *)(void *)(final + rb);
		if (!store_holds(r->rstore, m)) {	/* a heap copy */
			free(h->rcpts);
			free(m);
		}
		r->msgs[k] = (struct imcq_message *)(void *)final;
	}
	gstage_flush(&rg);
	gstage_flush(&bg);
	free(rg.buf);
	free(bg.buf);
	/* the records' places of ingest are empty now: their pages go (and
	 * a pointer left to one would fault, not read a stale record) */
	store_drop(r->rstore, was_end);
	r->gathered = true;
	gather_events(r);
	report_order_mem(r);
	/* and back to the usual (collecting on the worker too, which may own
	 * some of their pages: an allocator hands a thread's that ended to
	 * another) */
	par_two(give_back_task, NULL, give_back_task, NULL);
}

/* The heap's records (report_add_message kept the first rec_heap_max
 * bytes of them there) into the record store at once, when the run turns
 * out to need it: a run of a million messages does not hold those bytes
 * to the end of ingest (issue #9).  Only at ingest, when nothing but
 * r->msgs holds their addresses. */
static void
records_to_store(struct imcq_report *r)
{
	size_t i;

	xgive_back(true);
	r->rec_heap = 0;
	for (i = 0; i < r->nmsgs; i++) {
		struct imcq_message *m = r->msgs[i];

		if (!m->chilled || m->rec_stored)
			continue;
		r->msgs[i] = m = record_store(r->rstore, m);
		if (!m->rec_stored)
			r->rec_heap += record_bytes(m);	/* the store is full */
	}
	xgive_back(false);
}

void
report_add_message(struct imcq_report *r, struct imcq_message *m)
{
	bool move = false;

	if (r->chill)
		m = message_chill(m, r->drop_details);
	message_pack(m);
	if (r->spill != NULL && m->chilled && !m->spilled && m->cold != NULL) {
		uint64_t off = spill_put(r->spill, m->cold, m->coldlen);

		free(m->cold);
		m->cold_off = off;
		m->spilled = true;
	}
	/* the store is sealed after ingest: a message the analysis makes
	 * (states.c's missing records: a million from a Queue.dat and a
	 * tracking log with no spool file) puts its block in the record
	 * store, which stays writable */
	if (r->store != NULL)
		message_store(r->ingest_over && r->rstore != NULL ? r->rstore : r->store, m);
	if (r->rstore != NULL && m->chilled && !m->rec_stored) {
		if (r->rec_heap_full) {
			m = record_store(r->rstore, m);
		} else {
			r->rec_heap += record_bytes(m);
			/* the heap's share is used up: this one and the
			 * earlier ones go too, at ingest */
			r->rec_heap_full = move = r->rec_heap >= r->rec_heap_max;
			if (move) {	/* a big run: the stores keep to their
					 * budget, the allocator to its memory */
				store_set_rss_floor(0);
				xbig_run();
			}
		}
	}
	VEC_PUSH(r->msgs, r->nmsgs, r->msgcap, m);
	if (move && !r->ingest_over)
		records_to_store(r);
}

void
message_add_source(struct imcq_message *m, const struct imcq_source *src)
{
	struct imcq_source s = *src;

	s.member = src->member ? xstrdup(src->member) : NULL;
	s.inv = IMCQ_SRC_NOINV;
	VEC_PUSH(m->sources, m->nsources, m->srccap, s);
}

void
message_bind_source(const struct imcq_report *r, struct imcq_message *m, size_t inv)
{
	size_t i;

	if (inv >= r->ninv || inv >= IMCQ_SRC_NOINV)
		BUG("message_bind_source: no such inventory row");
	for (i = 0; i < m->nsources; i++) {
		struct imcq_source *s = &m->sources[i];

		if (s->inv != IMCQ_SRC_NOINV)
			continue;
		if (s->member == NULL || r->inv[inv].member == NULL ||
		    strcmp(s->member, r->inv[inv].member) != 0 || s->input != r->inv[inv].input)
			BUG("message_bind_source: the source is not that inventory row");
		free((char *)s->member);
		s->member = r->inv[inv].member;
		s->inv = (uint32_t)inv;
	}
}

void
source_sha256_hex(const struct imcq_report *r, const struct imcq_source *s, char out[65])
{
	struct imcq_inv row;

	if (s->inv == IMCQ_SRC_NOINV || s->inv >= r->ninv) {
		out[0] = '\0';
		return;
	}
	/* through the inventory's store's file when it holds the row */
	if (store_copy_out(r->istore, &r->inv[s->inv], &row, sizeof(row)))
		inv_sha256_hex(&row, out);
	else
		inv_sha256_hex(&r->inv[s->inv], out);	/* a read error: in place */
}

const char *
source_member(const struct imcq_report *r, const struct imcq_source *s,
	      char *buf, size_t cap)
{
	if (s->member != NULL && store_read_str(r->mstore, s->member, buf, cap))
		return buf;
	return s->member;
}

void
message_add_rcpt(struct imcq_message *m, const char *address)
{
	struct imcq_rcpt r;

	memset(&r, 0, sizeof(r));
	r.address = xstrdup(address);
	r.domain = imcq_addr_domain(address);
	r.status = "pending";
	r.route = NULL;
	VEC_PUSH(m->rcpts, m->nrcpts, m->rcptcap, r);
}

void
message_damage(struct imcq_message *m, const char *why)
{
	m->damaged = true;
	free(m->damage);
	m->damage = xstrdup(why);
	m->state = IMCQ_ST_DAMAGED;
}

void
message_add_gap(struct imcq_message *m, uint64_t off, const unsigned char *p, size_t n)
{
	struct imcq_env_gap g;
	size_t k = n > 64 ? 64 : n;

	g.offset = off;
	g.length = n;
	g.hex = xmalloc(k * 2 + 1);
	hex_encode(p, k, g.hex);
	VEC_PUSH(m->c.gaps, m->c.ngaps, m->c.gapcap, g);
}

void
headers_add_hop(struct imcq_headers *h, struct imcq_hop *hop)
{
	VEC_PUSH(h->received, h->nreceived, h->reccap, *hop);
}

void
message_add_part(struct imcq_message *m, struct imcq_mime_part *p)
{
	VEC_PUSH(m->c.parts, m->c.nparts, m->c.partcap, *p);
}

void
message_seen_in(struct imcq_message *m, unsigned snap)
{
	size_t i;

	for (i = 0; i < m->nseen; i++)
		if (m->seen_in[i] == snap)
			return;
	VEC_PUSH(m->seen_in, m->nseen, m->seencap, snap);
	/* keep sorted: insertion of one element */
	for (i = m->nseen - 1; i > 0 && m->seen_in[i - 1] > m->seen_in[i]; i--) {
		unsigned t = m->seen_in[i];

		m->seen_in[i] = m->seen_in[i - 1];
		m->seen_in[i - 1] = t;
	}
}

_Static_assert(sizeof(void *) != 8 || sizeof(struct imcq_inv) == 80,
	       "an inventory row is 80 bytes on LP64 (one per member)");

/* 16 + a lower-case hex digit's value, else 0 (any other byte, upper
 * case too): inv_sha256_hex must give back the same bytes.  Issue #9: a
 * table (the branches of hex_value() were ~870 instructions a digest,
 * one digest a member on the applying thread). */
static const unsigned char lower_hex[256] = {
	['0'] = 16, ['1'] = 17, ['2'] = 18, ['3'] = 19, ['4'] = 20,
	['5'] = 21, ['6'] = 22, ['7'] = 23, ['8'] = 24, ['9'] = 25,
	['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
};

void
inv_set_sha256(struct imcq_inv *v, const char *hex)
{
	const unsigned char *h = (const unsigned char *)hex;
	size_t i;

	for (i = 0; i < 32; i++) {
		unsigned hi = lower_hex[h[2 * i]], lo;

		if (hi == 0 || (lo = lower_hex[h[2 * i + 1]]) == 0)
			BUG("inv_set_sha256: not 64 hex digits");
		v->sha256_raw[i] = (unsigned char)((hi & 15) << 4 | (lo & 15));
	}
	if (hex[64] != '\0')
		BUG("inv_set_sha256: not 64 hex digits");
	v->has_sha256 = true;
}

void
inv_sha256_hex(const struct imcq_inv *v, char out[65])
{
	if (!v->has_sha256) {
		out[0] = '\0';
		return;
	}
	hex_encode(v->sha256_raw, sizeof(v->sha256_raw), out);
}

#define ADD_ZEROED_BY(grow, arr, n, cap) \
	do { \
		grow((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr))); \
		memset(&(arr)[(n)], 0, sizeof(*(arr))); \
		(n)++; \
	} while (0)
#define ADD_ZEROED(arr, n, cap) ADD_ZEROED_BY(xgrow, arr, n, cap)
/* The same for a big array (xalloc.h). */
#define ADD_ZEROED_BIG(arr, n, cap) ADD_ZEROED_BY(xgrow_big, arr, n, cap)

struct imcq_queue_file *
report_add_qfile(struct imcq_report *r)
{
	ADD_ZEROED(r->qfiles, r->nqfiles, r->qfcap);
	r->qfiles[r->nqfiles - 1].mtime = IMCQ_NOTIME;
	return &r->qfiles[r->nqfiles - 1];
}

struct imcq_qref *
qfile_add_ref(struct imcq_queue_file *q, const char *spool_id, uint64_t offset)
{
	struct imcq_qref *r;
	size_t n = strlen(spool_id);

	ADD_ZEROED_BIG(q->refs, q->nrefs, q->refcap);
	r = &q->refs[q->nrefs - 1];
	r->offset = offset;
	if (n < sizeof(r->id)) {
		memcpy(r->id, spool_id, n + 1);
	} else {	/* "" '\1' offset: see struct imcq_qref */
		uint64_t at = q->nlongids;

		xgrow((void **)&q->longids, &q->longidcap, q->nlongids + n + 1, 1);
		memcpy(q->longids + q->nlongids, spool_id, n + 1);
		q->nlongids += n + 1;
		r->id[1] = 1;
		memcpy(r->id + 2, &at, sizeof(at));
	}
	return r;
}

static uint32_t
qfile_add_carved(struct imcq_queue_file *q, const struct imcq_carved *c,
		 uint64_t offset)
{
	if (q->nstrings >= UINT32_MAX)
		BUG("too many carved values");
	if (c->at >> 3 != offset)
		BUG("carved offset beyond 2^61");
	VEC_PUSH(q->strings, q->nstrings, q->strcap, *c);
	return (uint32_t)q->nstrings;
}

uint32_t
qfile_add_text(struct imcq_report *r, struct imcq_queue_file *q,
	       enum imcq_qkind kind, uint64_t offset, const char *value)
{
	struct imcq_carved c;

	memset(&c, 0, sizeof(c));
	c.at = offset << 3 | (uint64_t)kind;
	c.u.value = strpool_intern(&r->pool, value);
	return qfile_add_carved(q, &c, offset);
}

uint32_t
qfile_add_time(struct imcq_queue_file *q, enum imcq_qkind kind, uint64_t offset,
	       int64_t t)
{
	struct imcq_carved c;

	memset(&c, 0, sizeof(c));
	c.at = offset << 3 | (uint64_t)kind;
	c.u.time = t;
	return qfile_add_carved(q, &c, offset);
}

const char *
qref_spool_id(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	uint64_t at;

	if (r->id[0] != '\0' || r->id[1] != 1)
		return r->id;
	memcpy(&at, r->id + 2, sizeof(at));
	return q->longids + at;
}

const char *
qref_encoding(const struct imcq_qref *r)
{
	return r->enc == IMCQ_QENC_UTF16LE ? "utf16le" : "ascii";
}

int64_t
qref_time(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	return r->time_at ? q->strings[r->time_at - 1].u.time : IMCQ_NOTIME;
}

uint64_t
qref_time_offset(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	return r->time_at ? qcarved_offset(&q->strings[r->time_at - 1]) : IMCQ_NOOFF;
}

const char *
qref_address(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	return r->address_at ? q->strings[r->address_at - 1].u.value : NULL;
}

const char *
qref_host(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	return r->host_at ? q->strings[r->host_at - 1].u.value : NULL;
}

/* q->strings[at - 1] into *c (at > 0) */
static void
qcarved_peek(const struct imcq_report *rep, const struct imcq_queue_file *q, uint32_t at,
	     struct imcq_carved *c)
{
	if (!store_copy_out(rep->store, &q->strings[at - 1], c, sizeof(*c)))
		*c = q->strings[at - 1];
}

void
qref_peek(const struct imcq_report *rep, const struct imcq_queue_file *q, size_t j,
	  struct imcq_qpeek *buf)
{
	struct imcq_carved c;

	if (!store_copy_out(rep->store, &q->refs[j], &buf->r, sizeof(buf->r)))
		buf->r = q->refs[j];
	buf->time = IMCQ_NOTIME;
	buf->address = NULL;
	if (buf->r.time_at) {
		qcarved_peek(rep, q, buf->r.time_at, &c);
		buf->time = c.u.time;
	}
	if (buf->r.address_at) {
		qcarved_peek(rep, q, buf->r.address_at, &c);
		buf->address = c.u.value;
	}
}

uint64_t
qcarved_offset(const struct imcq_carved *c)
{
	return c->at >> 3;
}

static unsigned
qcarved_k(const struct imcq_carved *c)
{
	return (unsigned)(c->at & 7);
}

const char *
qcarved_kind(const struct imcq_carved *c)
{
	static const char *const name[] = {
		[IMCQ_QK_ADDRESS] = "address", [IMCQ_QK_HOST] = "host",
		[IMCQ_QK_FILETIME] = "filetime", [IMCQ_QK_TIME_T] = "time_t",
		[IMCQ_QK_QUEUE_NAME] = "queue-name",
	};

	if (qcarved_k(c) >= sizeof(name) / sizeof(name[0]))
		BUG("carved kind");
	return name[qcarved_k(c)];
}

bool
qcarved_is_time(const struct imcq_carved *c)
{
	return qcarved_k(c) == IMCQ_QK_FILETIME || qcarved_k(c) == IMCQ_QK_TIME_T;
}

int64_t
qcarved_time(const struct imcq_carved *c)
{
	return qcarved_is_time(c) ? c->u.time : IMCQ_NOTIME;
}

const char *
qcarved_value(const struct imcq_carved *c, char buf[32])
{
	if (!qcarved_is_time(c))
		return c->u.value;
	imcq_iso(c->u.time, buf);
	return buf;
}

struct imcq_route_entry *
report_add_route(struct imcq_report *r)
{
	ADD_ZEROED(r->routes, r->nroutes, r->routecap);
	r->routes[r->nroutes - 1].cost = -1;
	return &r->routes[r->nroutes - 1];
}

struct imcq_table_file *
report_add_table(struct imcq_report *r)
{
	ADD_ZEROED(r->tables, r->ntables, r->tablecap);
	r->tables[r->ntables - 1].mtime = IMCQ_NOTIME;
	r->tables[r->ntables - 1].newest_time = IMCQ_NOTIME;
	return &r->tables[r->ntables - 1];
}

/*
 * Push a zeroed element onto an array of elem-byte elements that moves
 * into a store of its own once it passes max bytes (*stored is then set)
 * and grows there in place: the store holds nothing else, so each
 * store_alloc of one element lands right after the last.  A full store
 * sends the array back to the heap.  The old heap array is freed at the
 * move.  st NULL: the heap only.  `what` names the store in errors.
 */
static void *
stored_push(struct imcq_store *st, void **arr, size_t *n, size_t *cap, size_t elem,
	    bool *stored, uint64_t max, const char *what)
{
	char *a;

	if (st != NULL && !*stored && (uint64_t)(*n + 1) * elem > max) {
		size_t len = *n * elem;
		void *to = store_alloc(st, len > 0 ? len : elem);

		if (to != NULL) {
			if (len > 0 && !store_write(st, to, *arr, len))
				imcq_die("cannot write the %s' store: %s", what, strerror(errno));
			xfree_big(*arr, *cap, elem);
			*arr = to;
			*cap = len > 0 ? *n : 1;
			*stored = true;
		}
	}
	if (*stored) {
		char *e;

		a = *arr;
		e = *n < *cap ? a + *n * elem : store_alloc(st, elem);

		if (e != NULL && e != a + *n * elem)
			BUG("an array's store holds something else");
		if (e != NULL) {
			memset(e, 0, elem);
			if (++*n > *cap)
				*cap = *n;
			return e;
		}
		/* the store is full: back to the heap */
		{
			void *h = NULL;
			size_t hcap = 0;

			xgrow_big(&h, &hcap, *n + 1, elem);
			if (*n > 0 && !store_read(st, *arr, h, *n * elem))
				imcq_die("cannot read the %s' store: %s", what, strerror(errno));
			*arr = h;
			*cap = hcap;
			*stored = false;
		}
	}
	xgrow_big(arr, cap, *n + 1, elem);
	a = *arr;
	memset(a + *n * elem, 0, elem);
	return a + (*n)++ * elem;
}

struct imcq_event *
report_add_event(struct imcq_report *r)
{
	struct imcq_event *e;

	if (r->events_stored && !store_holds(r->estore, r->events) && r->nevents > 0)
		BUG("report_add_event after report_gather moved the events");
	/* past a quarter of rec_heap_max the array moves to the events'
	 * store (100,000 messages make ~80,000 events, 11 MiB: they stay) */
	e = stored_push(r->estore, (void **)&r->events, &r->nevents, &r->eventcap,
			sizeof(*r->events), &r->events_stored, r->rec_heap_max / 4, "events");
	e->time = IMCQ_NOTIME;
	e->event_no = -1;
	return e;
}

/* s's copy in the store (freeing s), or s when the store cannot take it. */
static char *
store_str(struct imcq_store *st, char *s)
{
	char *to;

	if (st == NULL || s == NULL || store_holds(st, s))
		return s;
	to = store_put(st, s, strlen(s) + 1);
	if (to == NULL)
		return s;
	free(s);
	return to;
}

struct imcq_inv *
report_add_inv(struct imcq_report *r, const struct imcq_inv *v)
{
	struct imcq_inv *to;

	/* past a quarter of rec_heap_max the rows move to the inventory's
	 * store (a million rows are 80 MiB); the members of the rows added
	 * from then on go to a store of their own (read in the rows' order,
	 * not among the messages' strings).  The members already there stay
	 * where they are: a message's sources point at them
	 * (message_bind_source). */
	to = stored_push(r->istore, (void **)&r->inv, &r->ninv, &r->invcap, sizeof(*r->inv),
			 &r->inv_stored, r->rec_heap_max / 4, "inventory");
	*to = *v;
	if (r->inv_stored)
		to->member = store_str(r->mstore, to->member);
	return to;
}

/* ---- events (model.h) ---- */

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct imcq_event) == 144, "struct imcq_event grew");
#endif

void
event_add_rcpt(struct imcq_event *e, char *owned)
{
	e->rcpts.v = xreallocarray(e->rcpts.v, e->rcpts.n + 1, sizeof(char *));
	e->rcpts.v[e->rcpts.n++] = owned;
}

/* The string slots of an event that event_pack moves (own ones only)
 * and event_release frees: *nslot of them in slot[], at most EV_SLOTS. */
enum { EV_SLOTS = 9 };

static size_t
event_own_slots(struct imcq_event *e, char **slot[EV_SLOTS])
{
	size_t n = 0;
	unsigned p = e->pooled;

#define OWN(f, bit) do { if (e->f != NULL && !(p & (bit))) slot[n++] = &e->f; } while (0)
	OWN(member, IMCQ_EVT_POOL_MEMBER);
	OWN(time_raw, IMCQ_EVT_POOL_TIME_RAW);
	OWN(msg_id, 0);
	OWN(gateway, IMCQ_EVT_POOL_GATEWAY);
	OWN(partner, IMCQ_EVT_POOL_PARTNER);
	OWN(remote_id, 0);
	OWN(spool_id, 0);
	OWN(originator, IMCQ_EVT_POOL_ORIGINATOR);
	OWN(text, IMCQ_EVT_POOL_TEXT);
#undef OWN
	return n;
}

/* Events with more recipients than this are packed without sharing (the
 * search is quadratic). */
#define EV_SHARE_MAX 64

void
event_pack(struct imcq_event *e)
{
	char **one[EV_SLOTS];
	size_t none, nr = e->rcpts.n, n, i, total, *len;
	char **src, **dst, *block, **rv;

	if (e->pooled & IMCQ_EVT_PACKED)
		return;
	none = event_own_slots(e, one);
	n = none + nr;
	if (n == 0) {	/* nothing own: an empty array */
		free(e->rcpts.v);
		e->rcpts.v = NULL;
		return;
	}
	src = xmalloc(n * sizeof(*src));
	len = xmalloc(n * sizeof(*len));
	dst = xmalloc(n * sizeof(*dst));
	for (i = 0; i < nr; i++)
		src[i] = e->rcpts.v[i];
	for (i = 0; i < none; i++)
		src[nr + i] = *one[i];
	for (i = 0; i < n; i++)
		len[i] = strlen(src[i]);
	/* the recipients' pointers first, then the strings */
	block = pack_block(src, len, n, nr * sizeof(char *), EV_SHARE_MAX, SIZE_MAX, dst,
			   &total);
	rv = (char **)(void *)block;
	for (i = 0; i < n; i++) {
		if (i < nr)
			rv[i] = dst[i];
		else
			*one[i - nr] = dst[i];
		free(src[i]);
	}
	free(e->rcpts.v);
	e->rcpts.v = rv;
	e->pooled |= IMCQ_EVT_PACKED;
	free(src);
	free(len);
	free(dst);
}

const struct imcq_event *
report_event_peek(const struct imcq_report *r, size_t i, struct imcq_event *buf)
{
	const struct imcq_event *src = &r->events[i];

	if (!r->events_stored)
		return src;
	/* in the record store once gathered, else in the events' */
	if (!store_copy_out(store_holds(r->rstore, src) ? r->rstore : r->estore, src, buf,
			    sizeof(*buf)))
		return src;
	return buf;
}

/* p, or its copy in room when p lies in the n bytes read from base and
 * its string ends there */
static char *
rebase(char *p, const char *base, size_t n, char *room)
{
	uintptr_t at = (uintptr_t)p, b = (uintptr_t)base;
	size_t off;

	if (p == NULL || at < b || at - b >= n)
		return p;
	off = (size_t)(at - b);
	return memchr(room + off, '\0', n - off) != NULL ? room + off : p;
}

const struct imcq_event *
report_event_read(const struct imcq_report *r, size_t i, struct imcq_evread *buf)
{
	const struct imcq_event *src = report_event_peek(r, i, &buf->e);
	char **slot[EV_SLOTS];
	const char *base;
	size_t n, k, ns;

	if (src != &buf->e)
		buf->e = *src;
	base = (const char *)buf->e.rcpts.v;
	if (!(buf->e.pooled & IMCQ_EVT_PACKED) || base == NULL || !store_holds(r->store, base))
		return &buf->e;
	n = store_read_some(r->store, base, buf->room, sizeof(buf->room));
	if (n == 0)
		return &buf->e;
	/* the block: the recipients' pointers, then the strings (event_pack) */
	if (buf->e.rcpts.n <= n / sizeof(char *)) {
		char **rv = (char **)(void *)buf->room;

		for (k = 0; k < buf->e.rcpts.n; k++)
			rv[k] = rebase(rv[k], base, n, buf->room);
		buf->e.rcpts.v = rv;
	}
	ns = event_own_slots(&buf->e, slot);
	for (k = 0; k < ns; k++)
		if (slot[k] != &buf->e.member)	/* evidence items share it */
			*slot[k] = rebase(*slot[k], base, n, buf->room);
	return &buf->e;
}

void
report_store_event(struct imcq_report *r, struct imcq_event *e)
{
	char **one[EV_SLOTS];
	char *old = (char *)e->rcpts.v, *to;
	size_t none, i, len, end;

	if (r->store == NULL || !(e->pooled & IMCQ_EVT_PACKED) || old == NULL)
		return;
	/* the block: the recipients' pointers, then the strings they and
	 * the own slots point to (event_pack) */
	none = event_own_slots(e, one);
	len = e->rcpts.n * sizeof(char *);
	for (i = 0; i < e->rcpts.n; i++)
		if ((end = (size_t)(e->rcpts.v[i] - old) + strlen(e->rcpts.v[i]) + 1) > len)
			len = end;
	for (i = 0; i < none; i++)
		if ((end = (size_t)(*one[i] - old) + strlen(*one[i]) + 1) > len)
			len = end;
	to = store_put(r->store, old, len);
	if (to == NULL)
		return;		/* the store is full: the heap keeps it */
	/* the stored copy's own pointers (the store is writable until sealed) */
	e->rcpts.v = (char **)(void *)to;
	for (i = 0; i < e->rcpts.n; i++)
		e->rcpts.v[i] = to + (e->rcpts.v[i] - old);
	for (i = 0; i < none; i++)
		*one[i] = to + (*one[i] - old);
	free(old);
}

void
event_release(struct imcq_event *e)
{
	char **one[EV_SLOTS];
	size_t n, i;

	if (e->pooled & IMCQ_EVT_PACKED) {
		free(e->rcpts.v);	/* the block */
	} else {
		n = event_own_slots(e, one);
		for (i = 0; i < n; i++)
			free(*one[i]);
		for (i = 0; i < e->rcpts.n; i++)
			free(e->rcpts.v[i]);
		free(e->rcpts.v);
	}
	e->rcpts.v = NULL;
	e->rcpts.n = 0;
}

struct imcq_session *
report_add_session(struct imcq_report *r)
{
	ADD_ZEROED(r->sessions, r->nsessions, r->sesscap);
	r->sessions[r->nsessions - 1].start = IMCQ_NOTIME;
	r->sessions[r->nsessions - 1].end = IMCQ_NOTIME;
	return &r->sessions[r->nsessions - 1];
}

struct imcq_config *
report_add_config(struct imcq_report *r)
{
	ADD_ZEROED(r->config, r->nconfig, r->configcap);
	return &r->config[r->nconfig - 1];
}

/* Cut *p (cap elements of sz bytes) to its n elements.  A fresh block and
 * a copy, not realloc: an allocator may keep a block that shrinks by less
 * than half (mimalloc does), and the spare slots would stay. */
static void
trim_array(void **p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (*cap <= n)
		return;
	if (n == 0) {
		FREE_AND_NULL(*p);
		*cap = 0;
		return;
	}
	q = xmalloc(n * sz);	/* n < cap: no overflow */
	memcpy(q, *p, n * sz);
	free(*p);
	*p = q;
	*cap = n;
}

#define TRIM_ARRAY(arr, n, cap) trim_array((void **)&(arr), &(cap), (n), sizeof(*(arr)))

void
qfile_done(struct imcq_queue_file *q)
{
	xtrim_big((void **)&q->refs, &q->refcap, q->nrefs, sizeof(*q->refs));
	TRIM_ARRAY(q->strings, q->nstrings, q->strcap);
	TRIM_ARRAY(q->longids, q->nlongids, q->longidcap);
}

void
report_store_qfile(struct imcq_report *r, struct imcq_queue_file *q)
{
	size_t rb = q->nrefs * sizeof(*q->refs), sb = q->nstrings * sizeof(*q->strings);
	void *to;

	qfile_done(q);
	if (r->store == NULL || rb + sb <= r->rec_heap_max / 4)
		return;
	/* refcap == nrefs, strcap == nstrings: qfile_done leaves them */
	if (rb > 0 && !store_holds(r->store, q->refs) &&
	    (to = store_put(r->store, q->refs, rb)) != NULL) {
		xfree_big(q->refs, q->refcap, sizeof(*q->refs));
		q->refs = to;
	}
	if (sb > 0 && !store_holds(r->store, q->strings) &&
	    (to = store_put(r->store, q->strings, sb)) != NULL) {
		free(q->strings);
		q->strings = to;
	}
}

void
report_trim(struct imcq_report *r)
{
	size_t i;

	if (!r->inv_stored)
		xtrim_big((void **)&r->inv, &r->invcap, r->ninv, sizeof(*r->inv));
	if (!r->events_stored)
		xtrim_big((void **)&r->events, &r->eventcap, r->nevents, sizeof(*r->events));
	TRIM_ARRAY(r->sessions, r->nsessions, r->sesscap);
	TRIM_ARRAY(r->routes, r->nroutes, r->routecap);
	TRIM_ARRAY(r->tables, r->ntables, r->tablecap);
	TRIM_ARRAY(r->config, r->nconfig, r->configcap);
	TRIM_ARRAY(r->qfiles, r->nqfiles, r->qfcap);
	for (i = 0; i < r->nqfiles; i++)
		report_store_qfile(r, &r->qfiles[i]);
}

static int
cmp_msg_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return (x > y) - (x < y);
}

/* a record's address and its index in r->msgs (report_order_mem) */
struct addr_ix {
	uintptr_t addr;
	uint32_t ix;
};

static int
cmp_addr_ix(const void *a, const void *b)
{
	uintptr_t x = ((const struct addr_ix *)a)->addr, y = ((const struct addr_ix *)b)->addr;

	return (x > y) - (x < y);
}

uint32_t *
mem_order(void *const *v, size_t n)
{
	struct addr_ix *t;
	uint32_t *ord;
	size_t i;

	if (n < 2 || n > UINT32_MAX)
		return NULL;
	t = xmalloc(n * sizeof(*t));
	for (i = 0; i < n; i++) {
		t[i].addr = (uintptr_t)v[i];
		t[i].ix = (uint32_t)i;
	}
	xqsort(t, n, sizeof(*t), cmp_addr_ix);
	ord = xmalloc(n * sizeof(*ord));
	for (i = 0; i < n; i++)
		ord[i] = t[i].ix;
	free(t);
	return ord;
}

void
report_order_mem(struct imcq_report *r)
{
	free(r->mord);
	r->mord = mem_order((void *const *)r->msgs, r->nmsgs);
	r->nmord = r->mord ? r->nmsgs : 0;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IMCQ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define IMCQ_SANITIZED 1
#endif
#endif

void
report_dispose(struct imcq_report *r)
{
	static struct imcq_report kept;
	const char *e = getenv("IMCQ_FREE_AT_EXIT");

#ifdef IMCQ_SANITIZED
	e = "1";
#endif
	if ((e != NULL && strcmp(e, "1") == 0) || kept.msgs != NULL || kept.inv != NULL) {
		report_release(r);
		return;
	}
	store_say(r->store);
	store_say(r->rstore);
	store_say(r->estore);
	store_say(r->istore);
	store_say(r->mstore);
	kept = *r;
	memset(r, 0, sizeof(*r));
}

void
report_release(struct imcq_report *r)
{
	size_t i;

	for (i = 0; i < r->ninputs; i++)
		free(r->inputs[i].path);
	free(r->inputs);
	for (i = 0; i < r->ninv; i++) {
		if (!store_holds(r->mstore, r->inv[i].member))
			free(r->inv[i].member);
		free(r->inv[i].ambiguous);
	}
	if (!r->inv_stored)	/* else the inventory's store has the array */
		xfree_big(r->inv, r->invcap, sizeof(*r->inv));
	/* in allocation order (about address order), not spool-id order:
	 * malloc then merges neighbouring free chunks as it goes and touches
	 * memory sequentially (bench/HISTORY.md, round 2) */
	xqsort(r->msgs, r->nmsgs, sizeof(*r->msgs), cmp_msg_addr);
	for (i = 0; i < r->nmsgs; i++)
		message_free(r->msgs[i]);
	free(r->msgs);
	free(r->mord);
	spill_close(r->spill);
	r->spill = NULL;
	routeset_release(&r->routeset);	/* before the pool: the routes' strings */
	strpool_release(&r->pool);
	for (i = 0; i < r->nqfiles; i++) {
		struct imcq_queue_file *q = &r->qfiles[i];

		free(q->member);
		/* their strings: pooled or inline */
		if (!store_holds(r->store, q->refs))
			xfree_big(q->refs, q->refcap, sizeof(*q->refs));
		if (!store_holds(r->store, q->strings))
			free(q->strings);
		free(q->longids);
		free(q->structure);
		free(q->corrupt_reason);
	}
	free(r->qfiles);
	for (i = 0; i < r->ntables; i++)
		free(r->tables[i].member);
	free(r->tables);
	for (i = 0; i < r->nroutes; i++) {
		struct imcq_route_entry *e = &r->routes[i];

		free(e->member);
		free(e->type);
		free(e->space);
		free(e->connector);
		free(e->server);
		free(e->scope);
		free(e->host);
		free(e->raw);
	}
	free(r->routes);
	for (i = 0; i < r->nevents; i++)
		if (!store_holds(r->store, r->events[i].rcpts.v))	/* its block is there */
			event_release(&r->events[i]);
	if (!r->events_stored)	/* else the record store has the array */
		xfree_big(r->events, r->eventcap, sizeof(*r->events));
	for (i = 0; i < r->nsessions; i++) {
		struct imcq_session *s = &r->sessions[i];

		if (!(s->pooled & IMCQ_SES_POOL_MEMBER))
			free(s->member);
		if (!(s->pooled & IMCQ_SES_POOL_REMOTE))
			free(s->remote);
		if (!(s->pooled & IMCQ_SES_POOL_HELO))
			free(s->helo);
		if (!(s->pooled & IMCQ_SES_POOL_MAIL_FROM))
			free(s->mail_from);
		strv_release(&s->rcpts);
		strv_release(&s->replies);
		free(s->subject);
		if (!(s->pooled & IMCQ_SES_POOL_DOMAIN))
			free(s->domain);
		free(s->outcome_line);
	}
	free(r->sessions);
	for (i = 0; i < r->nconfig; i++) {
		free(r->config[i].member);
		free(r->config[i].key);
		free(r->config[i].name);
		free(r->config[i].value);
	}
	free(r->config);
	for (i = 0; i < r->nsnaps; i++) {
		free(r->snaps[i].inputs);
		free(r->snaps[i].server);
	}
	free(r->snaps);
	findlist_release(&r->findings);
	for (i = 0; i < r->nanoms; i++) {
		free(r->anoms[i].code);
		free(r->anoms[i].member);
		free(r->anoms[i].message);
	}
	free(r->anoms);
	strv_release(&r->changes_appeared);
	strv_release(&r->changes_disappeared);
	strv_release(&r->changes_persisted);
	free(r->incident.headline);
	strv_release(&r->incident.lines);
	free(r->incident.cause);
	strv_release(&r->incident.kb);
	strv_release(&r->incident.commands);
	store_close(r->rstore);	/* the records, their recipients and the events were there */
	store_close(r->estore);
	store_close(r->istore);
	store_close(r->mstore);	/* the messages' sources pointed at its members */
	store_close(r->store);	/* last: the messages' and events' strings were there */
	memset(r, 0, sizeof(*r));
}

char *
imcq_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *d;
	size_t i, n;

	if (at == NULL)
		return xstrdup("");
	d = xstrdup(at + 1);
	n = strlen(d);
	while (n && (d[n - 1] == '>' || d[n - 1] == ' ' || d[n - 1] == '.'))
		d[--n] = '\0';
	for (i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	return d;
}

bool
imcq_is_spool_id(const char *s, size_t n)
{
	size_t i;

	if (n != 8)
		return false;
	for (i = 0; i < 8; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}
