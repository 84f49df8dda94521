/* SPDX-License-Identifier: MIT */
/*
 * chill.c - a message's cold fields encoded into one block, and read back
 * (model.h: message_chill, message_thaw).
 *
 * The block is private to one run (it never leaves the process but through
 * the unlinked spill file): unsigned LEB128 numbers and strings, a string
 * being 0 for NULL or its length + 1, its bytes and a NUL, so that a thawed
 * message's strings point into the block itself.  The fields, in order:
 *   envelope: helo, client_host, encoding; ngaps, then offset, length, hex
 *     of each; extra: n, strings
 *   headers: date_raw, from, sender, reply_to, content_type, x_priority,
 *     importance, priority; to, cc, bcc: n, strings; all: n, then name,
 *     value of each
 *   parts: n, then path, content_type, filename, charset, encoding, size,
 *     depth of each
 *   Received hops (the hops themselves stay: the analysis reads their
 *     clauses and dates): n, then raw and date_raw of each
 */
#include "analyzer/core/model.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/par.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/xalloc.h"

/* What a chilled message keeps: one mimalloc size class (model.h).  A
 * field added to struct imcq_message before c costs 64 bytes a message
 * past this line: move it into struct imcq_cold if only reports print it,
 * into struct imcq_msgim if the analysis reads it and never changes it
 * once the message is in the report. */
_Static_assert(offsetof(struct imcq_message, c) <= 256,
	       "the hot part of struct imcq_message outgrew 256 bytes");

/* ---- encoding ---- */

/*
 * Issue #9: the block is measured first, then written into one exact
 * allocation (a growing buffer cost an append call for each number and
 * string, and reallocations).  Each put_* writes at o, or only counts
 * when o is NULL, and returns its length.
 */
static size_t
put_u64(unsigned char *o, uint64_t v)
{
	size_t n = 0;

	do {
		if (o != NULL)
			o[n] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
		n++;
	} while (v);
	return n;
}

static size_t
put_str(unsigned char *o, const char *s)
{
	size_t n, k;

	if (s == NULL)
		return put_u64(o, 0);
	n = strlen(s) + 1;
	k = put_u64(o, (uint64_t)n);
	if (o != NULL)
		memcpy(o + k, s, n);
	return k + n;
}

/* o + at, or NULL when only counting */
#define AT(o, at) ((o) != NULL ? (o) + (at) : NULL)

static size_t
put_strv(unsigned char *o, const struct imcq_strv *sv)
{
	size_t i, at = put_u64(o, sv->n);

	for (i = 0; i < sv->n; i++)
		at += put_str(AT(o, at), sv->v[i]);
	return at;
}

static size_t
put_strs(unsigned char *o, const char *const *v, size_t n)
{
	size_t i, at = 0;

	for (i = 0; i < n; i++)
		at += put_str(AT(o, at), v[i]);
	return at;
}

/* The cold fields of m, in the order of the comment at the top. */
static size_t
encode(const struct imcq_message *m, unsigned char *o)
{
	const struct imcq_cold *c = &m->c;
	size_t i, at = 0;
	const char *const env[] = { c->helo, c->client_host, c->encoding };
	const char *const hdr[] = { c->date_raw, c->from, c->sender, c->reply_to, c->content_type,
				    c->x_priority, c->importance, c->priority };

	at += put_strs(AT(o, at), env, 3);
	at += put_u64(AT(o, at), c->ngaps);
	for (i = 0; i < c->ngaps; i++) {
		at += put_u64(AT(o, at), c->gaps[i].offset);
		at += put_u64(AT(o, at), c->gaps[i].length);
		at += put_str(AT(o, at), c->gaps[i].hex);
	}
	at += put_strv(AT(o, at), &c->extra);
	at += put_strs(AT(o, at), hdr, 8);
	at += put_strv(AT(o, at), &c->to);
	at += put_strv(AT(o, at), &c->cc);
	at += put_strv(AT(o, at), &c->bcc);
	at += put_u64(AT(o, at), c->all ? m->im->hdr.nall : 0);
	for (i = 0; c->all != NULL && i < m->im->hdr.nall; i++) {
		at += put_str(AT(o, at), c->all[i].name);
		at += put_str(AT(o, at), c->all[i].value);
	}
	at += put_u64(AT(o, at), c->nparts);
	for (i = 0; i < c->nparts; i++) {
		const struct imcq_mime_part *p = &c->parts[i];
		const char *const ps[] = { p->path, p->content_type, p->filename, p->charset,
					   p->encoding };

		at += put_strs(AT(o, at), ps, 5);
		at += put_u64(AT(o, at), p->size);
		at += put_u64(AT(o, at), p->depth);
	}
	at += put_u64(AT(o, at), m->im->hdr.nreceived);
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		at += put_str(AT(o, at), m->im->hdr.received[i].raw);
		at += put_str(AT(o, at), m->im->hdr.received[i].date_raw);
	}
	return at;
}

struct imcq_message *
message_chill(struct imcq_message *m, bool drop)
{
	struct imcq_message *hot;
	size_t i, len = 0;
	unsigned char *d = NULL;

	if (m->chilled)
		return m;
	if (!drop) {
		len = encode(m, NULL);
		if (len > (size_t)UINT32_MAX - 1)	/* > 4 GiB of cold fields: cannot be, given the caps */
			return m;
		d = xmalloc(len + 1);
		(void)encode(m, d);
		d[len] = '\0';
	}
	m->hdr_priority = (int8_t)message_header_priority(m);
	message_drop_cold(m);
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		free(m->im->hdr.received[i].raw);
		free(m->im->hdr.received[i].date_raw);
		m->im->hdr.received[i].raw = m->im->hdr.received[i].date_raw = NULL;
	}

	/* the same message without its cold member (struct imcq_cold) */
	hot = xmalloc(offsetof(struct imcq_message, c));
	memcpy(hot, m, offsetof(struct imcq_message, c));
	free(m);
	hot->cold = d;
	hot->coldlen = (uint32_t)len;
	hot->chilled = true;
	hot->spilled = false;
	return hot;
}

/* ---- decoding ---- */

struct cur {
	const unsigned char *p, *end;
};

static uint64_t
get_u64(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		unsigned char x;

		if (c->p >= c->end || shift > 63)
			BUG("chilled block: bad number");
		x = *c->p++;
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return v;
		shift += 7;
	}
}

static char *
get_str(struct cur *c)
{
	uint64_t n = get_u64(c);
	char *s;

	if (n == 0)
		return NULL;
	if (n > (uint64_t)(c->end - c->p) || c->p[n - 1] != '\0')
		BUG("chilled block: bad string");
	s = (char *)c->p;	/* the block is the thawed copy's, for its life */
	c->p += n;
	return s;
}

static size_t
get_count(struct cur *c)
{
	uint64_t n = get_u64(c);

	/* every element takes at least one byte */
	if (n > (uint64_t)(c->end - c->p))
		BUG("chilled block: bad count");
	return (size_t)n;
}

static void
get_strv(struct cur *c, struct imcq_strv *sv)
{
	size_t i, n = get_count(c);

	sv->v = n ? xcalloc(n, sizeof(*sv->v)) : NULL;
	sv->n = sv->cap = n;
	for (i = 0; i < n; i++)
		sv->v[i] = get_str(c);
}

const struct imcq_message *
message_thaw(const struct imcq_report *r, const struct imcq_message *m,
	     struct imcq_thawed *t)
{
	struct imcq_message *x = &t->m;
	struct cur c;
	size_t i, n;

	t->buf = NULL;
	t->hops = NULL;
	t->used = false;
	if (!m->chilled)
		return m;
	if (r->drop_details)
		BUG("message_thaw: this lean run dropped the messages' details");
	/* m ends before m->c */
	memcpy(x, m, offsetof(struct imcq_message, c));
	memset(&x->c, 0, sizeof(x->c));
	t->im = *m->im;		/* the copy's own: its count of fields and hops differ */
	x->im = &t->im;
	if (!m->spilled) {
		c.p = m->cold;
	} else {
		if (r->spill == NULL)
			BUG("spilled message without the report's spill");
		t->buf = xmalloc(m->coldlen ? m->coldlen : 1);
		spill_get(r->spill, m->cold_off, t->buf, m->coldlen);
		c.p = t->buf;
	}
	c.end = c.p + m->coldlen;
	t->used = true;

	x->c.helo = get_str(&c);
	x->c.client_host = get_str(&c);
	x->c.encoding = get_str(&c);
	n = get_count(&c);
	x->c.gaps = n ? xcalloc(n, sizeof(*x->c.gaps)) : NULL;
	x->c.ngaps = x->c.gapcap = n;
	for (i = 0; i < n; i++) {
		x->c.gaps[i].offset = get_u64(&c);
		x->c.gaps[i].length = get_u64(&c);
		x->c.gaps[i].hex = get_str(&c);
	}
	get_strv(&c, &x->c.extra);
	x->c.date_raw = get_str(&c);
	x->c.from = get_str(&c);
	x->c.sender = get_str(&c);
	x->c.reply_to = get_str(&c);
	x->c.content_type = get_str(&c);
	x->c.x_priority = get_str(&c);
	x->c.importance = get_str(&c);
	x->c.priority = get_str(&c);
	get_strv(&c, &x->c.to);
	get_strv(&c, &x->c.cc);
	get_strv(&c, &x->c.bcc);
	n = get_count(&c);
	x->c.all = n ? xcalloc(n, sizeof(*x->c.all)) : NULL;
	x->im->hdr.nall = x->c.allcap = n;
	for (i = 0; i < n; i++) {
		x->c.all[i].name = get_str(&c);
		x->c.all[i].value = get_str(&c);
	}
	n = get_count(&c);
	x->c.parts = n ? xcalloc(n, sizeof(*x->c.parts)) : NULL;
	x->c.nparts = x->c.partcap = n;
	for (i = 0; i < n; i++) {
		struct imcq_mime_part *p = &x->c.parts[i];

		p->path = get_str(&c);
		p->content_type = get_str(&c);
		p->filename = get_str(&c);
		p->charset = get_str(&c);
		p->encoding = get_str(&c);
		p->size = get_u64(&c);
		p->depth = (unsigned)get_u64(&c);
	}
	n = get_count(&c);
	if (n != m->im->hdr.nreceived)
		BUG("chilled block: hops do not match");
	if (n > 0) {
		/* the copy's own hops, with the texts the block holds */
		t->hops = xmalloc(n * sizeof(*t->hops));
		memcpy(t->hops, m->im->hdr.received, n * sizeof(*t->hops));
		x->im->hdr.received = t->hops;
		x->im->hdr.reccap = n;
		for (i = 0; i < n; i++) {
			t->hops[i].raw = get_str(&c);
			t->hops[i].date_raw = get_str(&c);
		}
	}
	if (c.p != c.end)
		BUG("chilled block: trailing bytes");
	return x;
}

void
message_thawed_release(struct imcq_thawed *t)
{
	if (!t->used)
		return;
	cold_free_vectors(&t->m.c);
	free(t->buf);
	free(t->hops);
	t->buf = NULL;
	t->hops = NULL;
	t->used = false;
}

/* ---- frozen findings (model.h: message_findings_freeze) ----
 *
 * A block: the previous block (its length + 1, 0 for none, then its
 * offset in the spill or its address), the number of findings, then each
 * finding: code (finding_code_id), severity, message (1 and a spilled
 * text's tag, or 0 and a string), reference, action, basis, spool ids (n,
 * strings), evidence (n, then input + 1, member, offset, line, excerpt as
 * the message).  Strings as in the blocks above.
 */

/* Every code PRODUCT.md fixes; a finding with another code is not frozen. */
static const char *const finding_codes[] = {
	"STALE_ROUTING", "NO_ROUTE", "NO_DELIVERY_ATTEMPT", "NOT_IN_QUEUE_DAT",
	"MISSING_SPOOL_FILE", "DUPLICATE_RISK", "EXPIRED", "BCC_IN_ENVELOPE",
	"LOOP_SUSPECTED", "OVERSIZED", "CORRUPT_QUEUE_DAT", "DNS_FAILURE",
	"SMART_HOST_FAILURE", "REMOTE_REJECT", "INBOUND_ONLY_ROUTED",
	"DELIVERY_EVIDENCE_ABSENT",
};
#define NCODES (sizeof(finding_codes) / sizeof(finding_codes[0]))
_Static_assert(NCODES <= 255, "finding codes are bytes");

int
finding_code_id(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < NCODES; i++)
		if (code == finding_codes[i] || strcmp(code, finding_codes[i]) == 0)
			return (int)i;
	return -1;
}

const char *
finding_code_name(unsigned id)
{
	if (id >= NCODES)
		BUG("finding_code_name: no such code");
	return finding_codes[id];
}

/* put_u64() and put_str() appended to b (the frozen findings). */
static void
bput_u64(struct buf *b, uint64_t v)
{
	unsigned char t[10];

	(void)buf_append(b, t, put_u64(t, v));
}

static void
bput_str(struct buf *b, const char *s)
{
	bput_u64(b, s != NULL ? (uint64_t)strlen(s) + 1 : 0);
	if (s != NULL)
		(void)buf_append(b, s, strlen(s) + 1);
}

static void
put_text(struct buf *b, const char *t, bool spilled)
{
	bput_u64(b, spilled);
	if (spilled)
		bput_u64(b, (uint64_t)(uintptr_t)t);
	else
		bput_str(b, t);
}

static void
put_findings(struct buf *b, const struct imcq_findlist *l)
{
	size_t i, j;

	bput_u64(b, l->n);
	for (i = 0; i < l->n; i++) {
		const struct imcq_finding *f = &l->v[i];

		bput_u64(b, (uint64_t)finding_code_id(f->code));
		bput_u64(b, (uint64_t)f->sev);
		put_text(b, f->message, (f->shared & IMCQ_F_SPILLED) != 0);
		bput_str(b, f->reference);
		bput_str(b, f->action);
		bput_str(b, f->basis);
		bput_u64(b, f->nspool_ids);
		for (j = 0; j < f->nspool_ids; j++)
			bput_str(b, f->spool_ids[j]);
		bput_u64(b, f->ev.n);
		for (j = 0; j < f->ev.n; j++) {
			const struct imcq_evidence *e = &f->ev.v[j];

			bput_u64(b, (uint64_t)((int64_t)e->input + 1));
			bput_str(b, e->member);
			bput_u64(b, e->offset);
			bput_u64(b, e->line);
			put_text(b, e->excerpt, (e->shared & IMCQ_EV_SPILLED) != 0);
		}
	}
}

/* A copy of a string of the block, or a spilled text's tag (*spilled). */
static char *
get_text(struct cur *c, bool *spilled)
{
	char *s;

	*spilled = get_u64(c) != 0;
	if (*spilled)
		return (char *)(uintptr_t)get_u64(c);
	s = get_str(c);
	return s ? xstrdup(s) : NULL;
}

static char *
get_dup(struct cur *c)
{
	char *s = get_str(c);

	return s ? xstrdup(s) : NULL;
}

/* Append the findings of one encoded list to out, as own copies. */
static void
get_findings(struct cur *c, struct imcq_findlist *out)
{
	size_t i, j, n = get_count(c);

	for (i = 0; i < n; i++) {
		struct imcq_finding f;
		bool sp;
		uint64_t code = get_u64(c);

		memset(&f, 0, sizeof(f));
		f.code = (char *)finding_code_name((unsigned)code);
		f.shared = IMCQ_F_SH_CODE;
		f.sev = (enum imcq_sev)get_u64(c);
		f.message = get_text(c, &sp);
		if (sp)
			f.shared |= IMCQ_F_SPILLED;
		f.reference = get_dup(c);
		f.action = get_dup(c);
		f.basis = get_dup(c);
		f.nspool_ids = get_count(c);
		f.spool_ids = f.nspool_ids ? xcalloc(f.nspool_ids, sizeof(char *)) : NULL;
		for (j = 0; j < f.nspool_ids; j++)
			f.spool_ids[j] = get_dup(c);
		f.ev.n = f.ev.cap = get_count(c);
		f.ev.v = f.ev.n ? xcalloc(f.ev.n, sizeof(*f.ev.v)) : NULL;
		for (j = 0; j < f.ev.n; j++) {
			struct imcq_evidence *e = &f.ev.v[j];

			e->input = (int)((int64_t)get_u64(c) - 1);
			e->member = get_dup(c);
			e->offset = get_u64(c);
			e->line = get_u64(c);
			e->excerpt = get_text(c, &sp);
			if (sp)
				e->shared |= IMCQ_EV_SPILLED;
		}
		VEC_PUSH(out->v, out->n, out->cap, f);
	}
}

/* Freeze m's live findings; with block false (a lean run), keep their
 * codes alone. */
static void
freeze(const struct imcq_report *r, struct imcq_message *m, bool block)
{
	const struct imcq_findlist *l = &m->findings;
	struct buf b;
	size_t i, len;
	char *d;

	if (!r->chill || l->n == 0 || l->n > (size_t)(IMCQ_FZ_CODES - m->nfz))
		return;
	for (i = 0; i < l->n; i++)
		if (finding_code_id(l->v[i].code) < 0)
			return;
	if (block) {
		buf_init(&b, (size_t)UINT32_MAX - 1);
		if (m->nfz == 0) {
			bput_u64(&b, 0);
		} else {
			bput_u64(&b, (uint64_t)m->fzlen + 1);
			bput_u64(&b, m->fz_mem ? (uint64_t)(uintptr_t)m->fzblk : m->fzoff);
		}
		put_findings(&b, l);
		if (b.over) {
			buf_release(&b);
			return;
		}
	}
	for (i = 0; i < l->n; i++)
		m->fzcodes[m->nfz + i] = (uint8_t)finding_code_id(l->v[i].code);
	m->nfz = (uint8_t)(m->nfz + l->n);
	findlist_release(&m->findings);
	if (!block)
		return;
	d = buf_detach(&b, &len);
	buf_release(&b);
	m->fzlen = (uint32_t)len;
	if (r->spill != NULL) {
		m->fzoff = spill_put(r->spill, d, len);
		m->fz_mem = false;
		free(d);
	} else {
		m->fzblk = (unsigned char *)d;
		m->fz_mem = true;
	}
}

void
message_findings_freeze(const struct imcq_report *r, struct imcq_message *m)
{
	/* a lean run keeps the codes alone: no block (report_keeps_details) */
	freeze(r, m, !r->drop_details);
}

void
message_findings_freeze_early(const struct imcq_report *r, struct imcq_message *m)
{
	freeze(r, m, true);
}

bool
message_has_frozen(const struct imcq_message *m, int id)
{
	size_t i;

	for (i = 0; id >= 0 && i < m->nfz; i++)
		if (m->fzcodes[i] == (uint8_t)id)
			return true;
	return false;
}

static void
freeze_range(void *user, size_t lo, size_t hi)
{
	struct imcq_report *r = user;
	size_t k;

	for (k = lo; k < hi; k++)	/* in memory order (model.h) */
		message_findings_freeze(r, r->msgs[report_mi(r, k)]);
}

void
report_freeze_findings(struct imcq_report *r)
{
	if (r->chill)
		par_for(r->nmsgs, 4096, freeze_range, r);
}

bool
report_keeps_details(const struct imcq_report *r)
{
	return !r->drop_details;
}

size_t
message_nfindings(const struct imcq_message *m)
{
	return (size_t)m->nfz + m->findings.n;
}

const char *
message_finding_code(const struct imcq_message *m, size_t i)
{
	if (i < m->nfz)
		return finding_code_name(m->fzcodes[i]);
	return m->findings.v[i - m->nfz].code;
}

/* The block of length len at ref, read into a fresh allocation (or, in
 * memory, the block itself: *own false). */
static unsigned char *
fz_block(const struct imcq_report *r, const struct imcq_message *m, uint64_t ref,
	 size_t len, bool *own)
{
	unsigned char *p;

	if (m->fz_mem) {
		*own = false;
		return (unsigned char *)(uintptr_t)ref;
	}
	if (r == NULL || r->spill == NULL)
		BUG("frozen findings without the report's spill");
	p = xmalloc(len ? len : 1);
	spill_get(r->spill, ref, p, len);
	*own = true;
	return p;
}

void
message_findings_get(const struct imcq_report *r, const struct imcq_message *m,
		     struct imcq_findlist *out)
{
	struct blk { unsigned char *p; size_t len; bool own; } chain[IMCQ_FZ_CODES];
	size_t nb = 0, k, nlive;
	uint64_t ref = m->fz_mem ? (uint64_t)(uintptr_t)m->fzblk : m->fzoff;
	size_t len = m->fzlen;
	struct buf b;

	memset(out, 0, sizeof(*out));
	if (m->nfz > 0 && m->fzlen == 0)
		BUG("message_findings_get: this lean run dropped the findings' texts");
	/* newest first: each block names the one before it */
	while (m->nfz > 0) {
		struct cur c;
		uint64_t prev;

		if (nb == IMCQ_FZ_CODES)
			BUG("frozen findings: too many blocks");
		chain[nb].p = fz_block(r, m, ref, len, &chain[nb].own);
		chain[nb].len = len;
		c.p = chain[nb].p;
		c.end = c.p + len;
		nb++;
		prev = get_u64(&c);
		if (prev == 0)
			break;
		len = (size_t)(prev - 1);
		ref = get_u64(&c);
	}
	for (k = nb; k-- > 0;) {
		struct cur c = { chain[k].p, chain[k].p + chain[k].len };

		if (get_u64(&c) != 0)
			(void)get_u64(&c);
		get_findings(&c, out);
		if (c.p != c.end)
			BUG("frozen findings: trailing bytes");
		if (chain[k].own)
			free(chain[k].p);
	}
	if (out->n != m->nfz)
		BUG("frozen findings: the blocks do not hold the frozen count");
	/* then the live ones, copied the same way */
	nlive = m->findings.n;
	if (nlive > 0) {
		struct cur c;

		buf_init(&b, SIZE_MAX);
		put_findings(&b, &m->findings);
		c.p = (const unsigned char *)b.data;
		c.end = c.p + b.len;
		get_findings(&c, out);
		buf_release(&b);
	}
}

void
message_findings_drop(struct imcq_message *m)
{
	unsigned char *p = m->fzblk;
	size_t len = m->fzlen;

	if (m->nfz > 0 && m->fz_mem) {
		while (p != NULL) {
			struct cur c = { p, p + len };
			uint64_t prev = get_u64(&c);
			unsigned char *next = NULL;

			if (prev != 0) {
				len = (size_t)(prev - 1);
				next = (unsigned char *)(uintptr_t)get_u64(&c);
			}
			free(p);
			p = next;
		}
	}
	m->nfz = 0;
	m->fzlen = 0;
	m->fzoff = 0;
	m->fz_mem = false;
}
