/* SPDX-License-Identifier: MIT */
#include "reports/summary.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"

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

static struct summary_domain *
domain_get(struct summary *s, const char *d)
{
	size_t i;
	struct summary_domain nd;

	for (i = 0; i < s->ndomains; i++)
		if (strcmp(s->domains[i].domain, d) == 0)
			return &s->domains[i];
	memset(&nd, 0, sizeof(nd));
	nd.domain = xstrdup(d);
	VEC_PUSH(s->domains, s->ndomains, s->domcap, nd);
	return &s->domains[s->ndomains - 1];
}

static void
code_add(struct summary *s, const char *code)
{
	size_t i;
	struct summary_code c;

	for (i = 0; i < s->ncodes; i++)
		if (strcmp(s->codes[i].code, code) == 0) {
			s->codes[i].count++;
			return;
		}
	c.code = xstrdup(code);
	c.count = 1;
	VEC_PUSH(s->codes, s->ncodes, s->codecap, c);
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
	size_t i, j, k;

	memset(s, 0, sizeof(*s));
	s->messages = rep->nmsgs;
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];
		int64_t age = (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME) ?
			      rep->reference_time - m->queue_time : 0;
		size_t b = bucket_of(age);

		if ((unsigned)m->state < IMCQ_ST_COUNT)
			s->by_state[m->state]++;
		if ((unsigned)m->queue < IMCQ_Q_COUNT)
			s->by_queue[m->queue]++;
		for (j = 0; j < message_nfindings(m); j++)
			code_add(s, message_finding_code(m, j));
		if (!summary_counts_queued(m))
			continue;
		s->queued++;
		s->totals[b]++;
		for (j = 0; j < m->nrcpts; j++) {
			const char *d = m->rcpts[j].domain && *m->rcpts[j].domain ?
					m->rcpts[j].domain : "(no domain)";
			struct summary_domain *sd = domain_get(s, d);
			bool first = true;

			/* count the message once per domain */
			for (k = 0; k < j; k++) {
				const char *d2 = m->rcpts[k].domain && *m->rcpts[k].domain ?
						 m->rcpts[k].domain : "(no domain)";

				if (strcmp(d, d2) == 0) {
					first = false;
					break;
				}
			}
			sd->recipients++;
			if (first) {
				sd->messages++;
				sd->buckets[b]++;
			}
		}
	}
	for (i = 0; i < rep->findings.n; i++)
		code_add(s, rep->findings.v[i].code);
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
