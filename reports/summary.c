/* SPDX-License-Identifier: MIT */
#include "reports/summary.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"
#include "analyzer/core/tabhash.h"

static const unsigned bucket_min[SUMMARY_BUCKETS] = {
	5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 0,
};
static const char *const bucket_label[SUMMARY_BUCKETS] = {
	"5m", "10m", "20m", "40m", "80m", "160m", "320m", "640m", "1280m",
	"2560m", "5120m", "5120m+",
};

unsigned
summary_bucket_minutes(size_t i)
{
	return i < SUMMARY_BUCKETS ? bucket_min[i] : 0;
}

const char *
summary_bucket_label(size_t i)
{
	return i < SUMMARY_BUCKETS ? bucket_label[i] : "";
}

int
summary_counts_queued(const struct imcq_message *m)
{
	switch (m->state) {
	case IMCQ_ST_AWAITING_DELIVERY:
	case IMCQ_ST_AWAITING_CONVERSION:
	case IMCQ_ST_EXPIRED:
	case IMCQ_ST_DELIVERED:
	case IMCQ_ST_PICKUP:
		return 1;
	default:
		return 0;
	}
}

static size_t
bucket_of(int64_t age)
{
	size_t i;

	if (age < 0)
		age = 0;
	for (i = 0; i + 1 < SUMMARY_BUCKETS; i++)
		if (age < (int64_t)bucket_min[i] * 60)
			return i;
	return SUMMARY_BUCKETS - 1;
}

/* Domains and codes by name (issue #9: a hash of the names, not a strcmp
 * with every name seen so far, per recipient and per finding).  The slots
 * point at the names the summary owns. */
struct sslot {
	const char *key;	/* NULL: empty */
	uint64_t h;
	size_t idx;
};

struct smap {
	struct sslot *v;
	size_t nslot, n;
};

/* The slot of key k (hash h): its own, or the empty one it would take. */
static struct sslot *
smap_slot(const struct smap *m, const char *k, uint64_t h)
{
	size_t i = (size_t)h & (m->nslot - 1);

	while (m->v[i].key != NULL && (m->v[i].h != h || strcmp(m->v[i].key, k) != 0))
		i = (i + 1) & (m->nslot - 1);
	return &m->v[i];
}

/* The index of name k, or SIZE_MAX; *slot is where a new one goes. */
static size_t
smap_find(struct smap *m, const char *k, uint64_t h, struct sslot **slot)
{
	if (m->n * 2 >= m->nslot) {
		struct smap g = { xcalloc(m->nslot ? m->nslot * 2 : 64, sizeof(*g.v)),
				  m->nslot ? m->nslot * 2 : 64, m->n };
		size_t i;

		for (i = 0; i < m->nslot; i++)
			if (m->v[i].key != NULL)
				*smap_slot(&g, m->v[i].key, m->v[i].h) = m->v[i];
		free(m->v);
		*m = g;
	}
	*slot = smap_slot(m, k, h);
	return (*slot)->key != NULL ? (*slot)->idx : SIZE_MAX;
}

static void
smap_put(struct smap *m, struct sslot *slot, const char *owned_key, uint64_t h, size_t idx)
{
	slot->key = owned_key;
	slot->h = h;
	slot->idx = idx;
	m->n++;
}

/* A name's pointer and its index (struct sbuild's memos). */
#define SUMMARY_PMEMO	64
struct pmemo {
	const char *p;	/* NULL: empty */
	size_t idx;
};

/* The summary under construction: the name maps, and per domain the last
 * message counted (1-based; 0: none yet). */
struct sbuild {
	struct smap dom, code;
	size_t *last;
	size_t lastcap;
	struct pmemo dmemo[SUMMARY_PMEMO], cmemo[SUMMARY_PMEMO];
};

/* Issue #9: a name at a pointer looked up before (the finding codes' names
 * are one table, recipients' domains often one string) is found by the
 * pointer alone, without hashing the name; pointer-keyed, so the memo
 * only ever repeats an answer the maps gave for the same bytes. */
static struct pmemo *
pmemo_at(struct pmemo *v, const char *p)
{
	return &v[((uintptr_t)p >> 3) % SUMMARY_PMEMO];
}

static size_t
domain_get(struct summary *s, struct sbuild *sb, const char *d)
{
	struct pmemo *pm = pmemo_at(sb->dmemo, d);
	uint64_t h;
	struct sslot *slot;
	size_t i;
	struct summary_domain nd;

	if (pm->p == d)
		return pm->idx;
	h = tab_hash_str(d);
	i = smap_find(&sb->dom, d, h, &slot);
	if (i != SIZE_MAX) {
		*pm = (struct pmemo){ d, i };
		return i;
	}
	memset(&nd, 0, sizeof(nd));
	nd.domain = xstrdup(d);
	VEC_PUSH(s->domains, s->ndomains, s->domcap, nd);
	xgrow((void **)&sb->last, &sb->lastcap, s->ndomains, sizeof(*sb->last));
	sb->last[s->ndomains - 1] = 0;
	smap_put(&sb->dom, slot, nd.domain, h, s->ndomains - 1);
	*pm = (struct pmemo){ d, s->ndomains - 1 };
	return s->ndomains - 1;
}

static void
code_add(struct summary *s, struct sbuild *sb, const char *code)
{
	struct pmemo *pm = pmemo_at(sb->cmemo, code);
	uint64_t h;
	struct sslot *slot;
	size_t i;
	struct summary_code c;

	if (pm->p == code) {
		s->codes[pm->idx].count++;
		return;
	}
	h = tab_hash_str(code);
	i = smap_find(&sb->code, code, h, &slot);
	if (i != SIZE_MAX) {
		*pm = (struct pmemo){ code, i };
		s->codes[i].count++;
		return;
	}
	c.code = xstrdup(code);
	c.count = 1;
	VEC_PUSH(s->codes, s->ncodes, s->codecap, c);
	smap_put(&sb->code, slot, c.code, h, s->ncodes - 1);
	*pm = (struct pmemo){ code, s->ncodes - 1 };
}

static int
cmp_domain(const void *a, const void *b)
{
	const struct summary_domain *x = a, *y = b;

	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(((const struct summary_code *)a)->code,
		      ((const struct summary_code *)b)->code);
}

void
summary_build(struct summary *s, const struct imcq_report *rep)
{
	struct sbuild sb;
	size_t i, j, k;

	memset(&sb, 0, sizeof(sb));
	memset(s, 0, sizeof(*s));
	s->messages = rep->nmsgs;
	/* in memory order (model.h): counts, and lists sorted below */
	for (k = 0; k < rep->nmsgs; k++) {
		const struct imcq_message *m = rep->msgs[i = report_mi(rep, k)];
		int64_t age = (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME) ?
			      rep->reference_time - m->queue_time : 0;
		size_t b = bucket_of(age);

		if ((unsigned)m->state < IMCQ_ST_COUNT)
			s->by_state[m->state]++;
		if ((unsigned)m->queue < IMCQ_Q_COUNT)
			s->by_queue[m->queue]++;
		for (j = 0; j < message_nfindings(m); j++)
			code_add(s, &sb, message_finding_code(m, j));
		if (!summary_counts_queued(m))
			continue;
		s->queued++;
		s->totals[b]++;
		for (j = 0; j < m->nrcpts; j++) {
			const char *d = m->rcpts[j].domain && *m->rcpts[j].domain ?
					m->rcpts[j].domain : "(no domain)";
			size_t di = domain_get(s, &sb, d);
			struct summary_domain *sd = &s->domains[di];

			sd->recipients++;
			/* count the message once per domain */
			if (sb.last[di] != i + 1) {
				sb.last[di] = i + 1;
				sd->messages++;
				sd->buckets[b]++;
			}
		}
	}
	for (i = 0; i < rep->findings.n; i++)
		code_add(s, &sb, rep->findings.v[i].code);
	free(sb.dom.v);
	free(sb.code.v);
	free(sb.last);
	if (s->ndomains > 1)
		xqsort(s->domains, s->ndomains, sizeof(*s->domains), cmp_domain);
	if (s->ncodes > 1)
		xqsort(s->codes, s->ncodes, sizeof(*s->codes), cmp_code);
}

void
summary_release(struct summary *s)
{
	size_t i;

	for (i = 0; i < s->ndomains; i++)
		free(s->domains[i].domain);
	free(s->domains);
	for (i = 0; i < s->ncodes; i++)
		free(s->codes[i].code);
	free(s->codes);
	memset(s, 0, sizeof(*s));
}
