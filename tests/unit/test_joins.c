/* SPDX-License-Identifier: MIT */
/* test_joins.c - protocol-log sessions joined to messages
 * (analyzer/joins.c joins_link_sessions) over the join limit: the messages
 * are visited in memory order (issue #9: the store's order), and the
 * "join-limit" anomalies still come in message order, each message's
 * sessions before its events, whatever the memory order. */
#include "tests/unit/test.h"

#include "analyzer/core/model.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/joins.h"
#include "analyzer/pipeline.h"

#define NSESS (JOINS_MAX_PER_MSG + 1)

static struct imcq_message *
msg(struct imcq_report *r, const char *id, const char *from)
{
	struct imcq_message *m = message_new();

	m->spool_id = xstrdup(id);
	m->queue = IMCQ_Q_OUT;
	m->snapshot = 0;
	m->im->env.mail_from = xstrdup(from);
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.org"));
	report_add_message(r, m);
	return m;
}

TEST(test_limits_in_message_order)
{
	struct imcq_report r;
	struct imcq_opts o;
	size_t i;

	report_init(&r);
	opts_default(&o);
	/* added C, B, A; the memory order visits them C, A, B: neither the
	 * message order nor the order they were added */
	msg(&r, "CCCCCCC3", "alice@example.net");
	msg(&r, "BBBBBBB2", "nobody@example.net");
	msg(&r, "AAAAAAA1", "alice@example.net");
	{
		struct imcq_message *t = r.msgs[0];

		r.msgs[0] = r.msgs[2];
		r.msgs[2] = t;	/* A, B, C: message order */
	}
	r.mord = xmalloc(3 * sizeof(*r.mord));
	r.mord[0] = 2;
	r.mord[1] = 0;
	r.mord[2] = 1;
	r.nmord = 3;
	/* NSESS sessions of alice to bob, each with two protocol-log lines */
	for (i = 0; i < NSESS; i++) {
		struct imcq_session *s = report_add_session(&r);
		struct imcq_event *e;

		s->input = 0;
		s->member = xstrdup("Imcdata/Log/L0000001.LOG");
		s->line_first = 2 * i + 1;
		s->line_last = 2 * i + 2;
		s->mail_from = xstrdup("alice@example.net");
		strv_push(&s->rcpts, xstrdup("bob@example.org"));
		for (int k = 0; k < 2; k++) {
			e = report_add_event(&r);
			e->input = 0;
			e->member = xstrdup("Imcdata/Log/L0000001.LOG");
			e->line = 2 * i + 1 + (uint64_t)k;
			e->source = "protocol-log";
			e->event_no = -1;
			e->time = IMCQ_NOTIME;
		}
	}
	joins_link_sessions(&r, &o);
	ASSERT_EQ_INT(r.msgs[0]->nsess_idx, JOINS_MAX_PER_MSG);
	ASSERT_EQ_INT(r.msgs[1]->nsess_idx, 0);
	ASSERT_EQ_INT(r.msgs[2]->nsess_idx, JOINS_MAX_PER_MSG);
	ASSERT_EQ_INT(r.msgs[0]->nev_idx, JOINS_MAX_PER_MSG);
	ASSERT_EQ_INT(r.nanoms, 4);
	if (r.nanoms == 4) {
		char want[4][128];

		snprintf(want[0], sizeof(want[0]), "AAAAAAA1: %d protocol-log sessions match "
			 "this message; the first %d are kept", NSESS, JOINS_MAX_PER_MSG);
		snprintf(want[1], sizeof(want[1]), "AAAAAAA1: %d log events concern this "
			 "message; the first %d are kept", 2 * JOINS_MAX_PER_MSG, JOINS_MAX_PER_MSG);
		snprintf(want[2], sizeof(want[2]), "CCCCCCC3: %d protocol-log sessions match "
			 "this message; the first %d are kept", NSESS, JOINS_MAX_PER_MSG);
		snprintf(want[3], sizeof(want[3]), "CCCCCCC3: %d log events concern this "
			 "message; the first %d are kept", 2 * JOINS_MAX_PER_MSG, JOINS_MAX_PER_MSG);
		for (i = 0; i < 4; i++) {
			ASSERT_EQ_STR(r.anoms[i].code, "join-limit");
			ASSERT_EQ_STR(r.anoms[i].message, want[i]);
		}
	}
	report_release(&r);
}

TEST_MAIN(test_limits_in_message_order)
