/* SPDX-License-Identifier: MIT */
/* test_textspill.c - spilled texts (model.h text_spill): a message's
 * state_reason, a finding's message and its own evidence excerpts go to the
 * spill and read back as written, from the file and from the buffer; shared
 * excerpts (odd pointers of a pool, another finding's excerpt) stay as they
 * are; without a spill nothing changes; releasing frees only what is owned
 * (the ASan suite checks leaks and double frees). */
#include "tests/unit/test.h"

#include <stdint.h>
#include <stdlib.h>

#include "analyzer/core/model.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/xalloc.h"

/* a finding as diagnose.c makes one: shared literals, its own message,
 * one owned excerpt and one shared (odd) excerpt */
static struct imcq_finding *
make(struct imcq_findlist *l, const char *msg, const char *pool_text)
{
	struct imcq_finding *f = findlist_add_shared(l, "NO_ROUTE", IMCQ_SEV_ERROR,
						     "Q229961", "documented", "act",
						     xstrdup(msg));

	evlist_add_ref(&f->ev, 0, "m/member", IMCQ_NOOFF, 0,
		       xstrdup("mtime 2026-11-20T00:00:00Z (queued message)"));
	evlist_add_refs(&f->ev, 0, "m/member", 5, 3, pool_text);
	return f;
}

static void
roundtrip(struct imcq_spill *s)
{
	/* an odd pointer, as the report's pool hands out */
	static const char pool[] = "xshared excerpt";
	const char *odd = pool + 1;
	struct imcq_findlist l = { 0 };
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;
	struct imcq_finding *f;
	char *reason, *big;
	size_t i;

	ASSERT(((uintptr_t)odd & 1u) != 0 || ((uintptr_t)pool & 1u) != 0);
	f = make(&l, "No address space of GWART0.MTA matches x@y", odd);
	finding_spill(s, f);
	ASSERT_EQ_INT(text_spilled(f->message), s != NULL);
	ASSERT_EQ_INT((f->shared & IMCQ_F_SPILLED) != 0, s != NULL);
	ASSERT_EQ_INT((f->ev.v[0].shared & IMCQ_EV_SPILLED) != 0, s != NULL);
	ASSERT(!(f->ev.v[1].shared & IMCQ_EV_SPILLED));
	ASSERT(f->ev.v[1].excerpt == odd);
	ASSERT_EQ_STR(finding_message(s, f, &tb), "No address space of GWART0.MTA matches x@y");
	ASSERT_EQ_STR(evidence_excerpt(s, &f->ev.v[0], &tb),
		      "mtime 2026-11-20T00:00:00Z (queued message)");
	ASSERT_EQ_STR(evidence_excerpt(s, &f->ev.v[1], &tb), "shared excerpt");
	/* spilling again changes nothing */
	finding_spill(s, f);
	ASSERT_EQ_STR(finding_message(s, f, &tb), "No address space of GWART0.MTA matches x@y");

	/* a later finding shares the first one's excerpt (diagnose.c ev_own) */
	f = findlist_add_shared(&l, "NO_DELIVERY_ATTEMPT", IMCQ_SEV_WARNING, NULL, NULL, NULL,
				xstrdup("Queued at ..."));
	ASSERT(text_eq(s, l.v[0].ev.v[0].excerpt,
		       "mtime 2026-11-20T00:00:00Z (queued message)"));
	ASSERT(!text_eq(s, l.v[0].ev.v[0].excerpt,
			"mtime 2026-11-20T00:00:00Z (queued messagE)"));
	ASSERT(!text_eq(s, l.v[0].ev.v[0].excerpt, "mtime"));
	evlist_share(&f->ev, &l.v[0].ev.v[0]);
	finding_spill(s, f);
	ASSERT(f->ev.v[0].excerpt == l.v[0].ev.v[0].excerpt);
	ASSERT(f->ev.v[0].shared & IMCQ_EV_SH_EXCERPT);
	ASSERT_EQ_STR(evidence_excerpt(s, &f->ev.v[0], &tb),
		      "mtime 2026-11-20T00:00:00Z (queued message)");
	ASSERT_EQ_STR(finding_message(s, f, &tb), "Queued at ...");

	/* state_reason: many, long and short, across the spill's buffer */
	big = xmalloc(5000);
	for (i = 0; i < 4999; i++)
		big[i] = (char)('a' + i % 26);
	big[4999] = '\0';
	for (i = 0; i < 3000; i++) {
		char *t = text_spill(s, i % 7 == 0 ? xstrdup(big) :
				     xasprintf("queued in Imcdata/Out since %zu", i));
		const char *got = text_get(s, t, &tb);

		if (i % 7 == 0)
			ASSERT_EQ_STR(got, big);
		else {
			char want[64];

			snprintf(want, sizeof(want), "queued in Imcdata/Out since %zu", i);
			ASSERT_EQ_STR(got, want);
		}
		text_free(t);
	}
	free(big);
	/* empty and NULL stay as they are */
	reason = text_spill(s, xstrdup(""));
	ASSERT(!text_spilled(reason));
	ASSERT_EQ_STR(text_get(s, reason, &tb), "");
	text_free(reason);
	ASSERT(text_spill(s, NULL) == NULL);
	ASSERT(text_get(s, NULL, &tb) == NULL);

	tbuf_release(&tb);
	findlist_release(&l);
}

TEST(test_textspill_file)
{
	struct imcq_err err = { 0 };
	struct imcq_spill *s = spill_open(NULL, &err);

	ASSERT(s != NULL);
	if (s == NULL)
		return;
	roundtrip(s);
	spill_close(s);
}

TEST(test_textspill_none)
{
	roundtrip(NULL);
}

TEST_MAIN(test_textspill_file, test_textspill_none)
