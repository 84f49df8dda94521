/* SPDX-License-Identifier: MIT */
/* test_shared.c - shared strings in the model (analyzer/core/model.h):
 * evidence items that share their member path or excerpt, findings that
 * share their code, reference, basis and action, log events and sessions
 * whose strings sit in the report's pool.  The release functions free
 * exactly the strings each owns (ASan/LSan builds check once, no leak). */
#include "tests/unit/test.h"

#include "analyzer/core/model.h"
#include "analyzer/core/xalloc.h"

TEST(test_evidence_shared_member)
{
	struct imcq_evlist l = { 0 };
	char *member = xstrdup("EXCHSRVR/IMCDATA/OUT/01CMSB2A");
	char *long_x = xmalloc(1001);

	memset(long_x, 'x', 1000);
	long_x[1000] = '\0';
	evlist_add(&l, 0, member, 7, 0, "copied");
	evlist_add_ref(&l, 0, member, 8, 3, xstrdup("taken"));
	evlist_add_ref(&l, 1, member, IMCQ_NOOFF, 0, NULL);
	evlist_add_ref(&l, 1, member, 9, 0, long_x);	/* cut to 400 */
	evlist_add_refs(&l, 2, member, 10, 0, "a literal");
	evlist_add_refs(&l, 2, NULL, 11, 0, NULL);
	ASSERT_EQ_INT(l.n, 6);
	ASSERT(l.v[0].member != member && l.v[0].shared == 0);
	ASSERT_EQ_STR(l.v[0].member, member);
	ASSERT(l.v[1].member == member && l.v[1].shared == IMCQ_EV_SH_MEMBER);
	ASSERT_EQ_STR(l.v[1].excerpt, "taken");
	ASSERT_EQ_INT(l.v[1].line, 3);
	ASSERT(l.v[2].excerpt == NULL && l.v[2].offset == IMCQ_NOOFF);
	ASSERT_EQ_INT(strlen(l.v[3].excerpt), 400);
	ASSERT(l.v[4].shared == (IMCQ_EV_SH_MEMBER | IMCQ_EV_SH_EXCERPT));
	ASSERT_EQ_STR(l.v[4].excerpt, "a literal");
	ASSERT(l.v[5].member == NULL && l.v[5].excerpt == NULL);
	evlist_trim(&l);
	ASSERT_EQ_INT(l.cap, l.n);
	evlist_release(&l);
	ASSERT(l.v == NULL && l.n == 0);
	/* the member is still the caller's */
	ASSERT_EQ_STR(member, "EXCHSRVR/IMCDATA/OUT/01CMSB2A");
	free(member);
}

TEST(test_evidence_refs_long_excerpt)
{
	struct imcq_evlist l = { 0 };
	char *x = xmalloc(501);

	memset(x, 'y', 500);
	x[500] = '\0';
	evlist_add_refs(&l, 0, "m", 0, 0, x);	/* too long: a cut copy */
	ASSERT(l.v[0].excerpt != x);
	ASSERT_EQ_INT(strlen(l.v[0].excerpt), 400);
	ASSERT(l.v[0].shared == IMCQ_EV_SH_MEMBER);
	x[400] = '\0';
	evlist_add_refs(&l, 0, "m", 0, 0, x);	/* 400: shared */
	ASSERT(l.v[1].excerpt == x);
	evlist_release(&l);
	free(x);
}

TEST(test_findings_shared)
{
	struct imcq_findlist l = { 0 };
	static const char action[] = "Check the address with the sender.";
	struct imcq_finding *f;

	f = findlist_add_shared(&l, "NO_ROUTE", IMCQ_SEV_ERROR, "Q229961", "documented",
				action, xstrdup("no address space matches"));
	ASSERT(f->action == action);
	ASSERT_EQ_STR(f->code, "NO_ROUTE");
	evlist_add_ref(&f->ev, 0, "GWART0.MTA", IMCQ_NOOFF, 0, xstrdup("mtime"));
	f = findlist_add_shared(&l, "NO_DELIVERY_ATTEMPT", IMCQ_SEV_WARNING, "Q146669",
				"inferred", NULL, xstrdup("queued"));
	ASSERT(f->action == NULL);
	/* a caller may still give a finding its own copy of a field */
	f->action = xstrdup("owned");
	f->shared &= (unsigned char)~IMCQ_F_SH_ACTION;
	f = findlist_add(&l, "BCC_IN_ENVELOPE", IMCQ_SEV_INFO, "Q249273", "%d %s", 2, "are");
	f->basis = xstrdup("documented");
	ASSERT_EQ_STR(f->message, "2 are");
	ASSERT_EQ_INT(f->shared, 0);
	finding_add_spool(f, "01CMSB2A");
	ASSERT_EQ_INT(l.n, 3);
	findlist_release(&l);
	ASSERT(l.v == NULL);
}

TEST(test_route_pool_keeps_shared)
{
	struct imcq_strpool p = { 0 };
	struct imcq_route r = { 0 };
	const char *member = "EXCHSRVR/MTADATA/GWART0.MTA";

	r.connector = xstrdup("IMS");
	evlist_add(&r.ev, 0, member, 1, 2, "owned excerpt");
	evlist_add_refs(&r.ev, 0, member, 3, 4, "shared excerpt");
	route_pool(&p, &r);
	ASSERT(r.pooled);
	ASSERT(r.ev.v[1].member == member);
	ASSERT(r.ev.v[0].member == strpool_intern(&p, member));
	ASSERT_EQ_STR(r.ev.v[0].excerpt, "owned excerpt");
	free(r.ev.v);	/* as route_release does for a pooled route */
	strpool_release(&p);
}

TEST(test_report_pooled_events)
{
	struct imcq_report rep;
	struct imcq_event *e;
	struct imcq_session *s;
	struct imcq_message *m;
	const char *log;

	report_init(&rep);
	log = strpool_intern(&rep.pool, "EXCHSRVR/TRACKING.LOG/20261120.log");
	/* a reader's event: the repeating strings in the pool */
	e = report_add_event(&rep);
	e->member = (char *)log;
	e->gateway = (char *)strpool_intern(&rep.pool, "IMS");
	e->text = (char *)strpool_intern(&rep.pool, "1010 SMTP queued outbound");
	e->time_raw = xstrdup("2026.11.20 10:0:0");
	e->msg_id = xstrdup("<a@b>");
	e->pooled = IMCQ_EVT_POOL_MEMBER | IMCQ_EVT_POOL_GATEWAY | IMCQ_EVT_POOL_TEXT;
	event_add_rcpt(e, xstrdup("u@d.test"));
	/* an event built by hand: every string its own */
	e = report_add_event(&rep);
	e->member = xstrdup("x.log");
	e->gateway = xstrdup("IMS");
	e->partner = xstrdup("d.test");
	e->text = xstrdup("text");
	e->originator = xstrdup("o@c.test");
	/* a session with pooled strings and one of its own */
	s = report_add_session(&rep);
	s->member = (char *)strpool_intern(&rep.pool, "L1.LOG");
	s->remote = (char *)strpool_intern(&rep.pool, "10.0.0.1");
	s->mail_from = (char *)strpool_intern(&rep.pool, "a@c.test");
	s->pooled = IMCQ_SES_POOL_MEMBER | IMCQ_SES_POOL_REMOTE | IMCQ_SES_POOL_MAIL_FROM |
		    IMCQ_SES_POOL_HELO | IMCQ_SES_POOL_DOMAIN;
	s->outcome_line = xstrdup("250 OK");
	s = report_add_session(&rep);
	s->member = xstrdup("L2.LOG");
	s->helo = xstrdup("mx");
	/* a message whose finding shares the message's member and the log's */
	m = message_new();
	{
		struct imcq_source src = { 0 };
		struct imcq_finding *f;

		src.member = (char *)"EXCHSRVR/IMCDATA/OUT/01CMSB2A";
		message_add_source(m, &src);
		m->spool_id = xstrdup("01CMSB2A");
		report_add_message(&rep, m);
		f = findlist_add_shared(&m->findings, "NO_DELIVERY_ATTEMPT", IMCQ_SEV_WARNING,
					"Q146669", "inferred", NULL, xstrdup("queued"));
		evlist_add_ref(&f->ev, 0, m->sources[0].member, IMCQ_NOOFF, 0,
			       xstrdup("mtime"));
		evlist_add_ref(&f->ev, 0, rep.events[0].member, 0, 1,
			       xstrdup("2026.11.20 10:0:0 : 1010 SMTP queued outbound"));
		ASSERT(f->ev.v[1].member == log);
	}
	report_release(&rep);
	ASSERT(rep.nevents == 0 && rep.events == NULL);
}

/* block (an event's packed block, n bytes) holds p */
static bool
in_block(const void *block, size_t n, const char *p)
{
	return p >= (const char *)block && p < (const char *)block + n;
}

TEST(test_event_pack)
{
	struct imcq_report rep;
	struct imcq_event *e, *e2, *e3;
	const char *pooled_text;
	char *block;

	report_init(&rep);
	/* a tracking event: own strings, pooled ones, recipients */
	e = report_add_event(&rep);
	ASSERT_EQ_INT(e->event_no, -1);
	e->event_no = 999999;
	e->priority = -1;
	e->local_time = true;
	e->member = (char *)strpool_intern(&rep.pool, "EXCHSRVR/TRACKING.LOG/20261120.log");
	pooled_text = strpool_intern(&rep.pool, "1010 SMTP queued outbound");
	e->text = (char *)pooled_text;
	e->pooled = IMCQ_EVT_POOL_MEMBER | IMCQ_EVT_POOL_TEXT;
	e->time_raw = xstrdup("2026.11.20 10:0:0");
	e->msg_id = xstrdup("<8VZ1ML3J.0@contoso.example.com>");
	e->remote_id = xstrdup("<8VZ1ML3J.0@contoso.example.com>[8VZ1ML3J]");
	e->spool_id = xstrdup("8VZ1ML3J");
	e->originator = xstrdup("user4412@contoso.example.com");
	event_add_rcpt(e, xstrdup("u909@d082.test"));
	event_add_rcpt(e, xstrdup("u909@d082.test"));	/* equal: shares */
	event_add_rcpt(e, xstrdup("d082.test"));	/* a tail: shares */
	event_add_rcpt(e, xstrdup("u1@d083.test"));
	event_pack(e);
	ASSERT(e->pooled & IMCQ_EVT_PACKED);
	ASSERT(e->pooled & IMCQ_EVT_POOL_TEXT);
	ASSERT_EQ_INT(e->event_no, 999999);
	ASSERT_EQ_INT(e->priority, -1);
	ASSERT(e->local_time);
	block = (char *)e->rcpts.v;
	ASSERT_EQ_INT(e->rcpts.n, 4);
	ASSERT(e->text == pooled_text);
	ASSERT_EQ_STR(e->time_raw, "2026.11.20 10:0:0");
	ASSERT_EQ_STR(e->msg_id, "<8VZ1ML3J.0@contoso.example.com>");
	ASSERT_EQ_STR(e->remote_id, "<8VZ1ML3J.0@contoso.example.com>[8VZ1ML3J]");
	ASSERT_EQ_STR(e->spool_id, "8VZ1ML3J");
	ASSERT_EQ_STR(e->originator, "user4412@contoso.example.com");
	ASSERT_EQ_STR(e->rcpts.v[0], "u909@d082.test");
	ASSERT_EQ_STR(e->rcpts.v[1], "u909@d082.test");
	ASSERT_EQ_STR(e->rcpts.v[2], "d082.test");
	ASSERT_EQ_STR(e->rcpts.v[3], "u1@d083.test");
	ASSERT(e->rcpts.v[1] == e->rcpts.v[0]);
	ASSERT(e->rcpts.v[2] == e->rcpts.v[0] + 5);
	/* every own string lies in the block, after the recipient array */
	{
		const char *own[] = { e->time_raw, e->msg_id, e->remote_id, e->spool_id,
				      e->originator, e->rcpts.v[0], e->rcpts.v[3] };
		size_t i, total = 4 * sizeof(char *) + 18 + 33 + 43 + 9 + 29 + 15 + 13;

		for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
			ASSERT(in_block(block, total, own[i]));
			ASSERT(own[i] >= block + 4 * sizeof(char *));
		}
		ASSERT(!in_block(block, total, e->member));
	}
	event_pack(e);	/* packed already: no-op */
	ASSERT((char *)e->rcpts.v == block);

	/* nothing own, no recipients: nothing to pack */
	e2 = report_add_event(&rep);
	e2->member = (char *)strpool_intern(&rep.pool, "L1.LOG");
	e2->pooled = IMCQ_EVT_POOL_MEMBER;
	event_pack(e2);
	ASSERT(!(e2->pooled & IMCQ_EVT_PACKED));
	ASSERT(e2->rcpts.v == NULL && e2->rcpts.n == 0);

	/* own strings without recipients: the block starts with the first */
	e3 = report_add_event(&rep);
	e3->text = xstrdup("220 mx ESMTP (reply to the greeting)");
	e3->msg_id = xstrdup("ESMTP (reply to the greeting)");	/* a tail of text */
	event_pack(e3);
	ASSERT(e3->pooled & IMCQ_EVT_PACKED);
	ASSERT_EQ_INT(e3->rcpts.n, 0);
	ASSERT_EQ_STR(e3->text, "220 mx ESMTP (reply to the greeting)");
	ASSERT_EQ_STR(e3->msg_id, "ESMTP (reply to the greeting)");
	ASSERT(e3->msg_id == e3->text + 7);
	ASSERT((char *)e3->rcpts.v == e3->text);

	/* many recipients (beyond the sharing search): each its own copy */
	e3 = report_add_event(&rep);
	{
		size_t i;

		for (i = 0; i < 100; i++)
			event_add_rcpt(e3, xasprintf("u%zu@d.test", i % 10));
		e3->spool_id = xstrdup("01CMSB2A");
		event_pack(e3);
		ASSERT(e3->pooled & IMCQ_EVT_PACKED);
		ASSERT_EQ_INT(e3->rcpts.n, 100);
		for (i = 0; i < 100; i++) {
			char want[32];

			snprintf(want, sizeof(want), "u%zu@d.test", i % 10);
			ASSERT_EQ_STR(e3->rcpts.v[i], want);
		}
		ASSERT(e3->rcpts.v[10] != e3->rcpts.v[0]);
		ASSERT_EQ_STR(e3->spool_id, "01CMSB2A");
	}

	/* the slot: 144 bytes on LP64 (model.c asserts it too) */
	if (sizeof(void *) == 8)
		ASSERT_EQ_INT(sizeof(struct imcq_event), 144);
	report_release(&rep);	/* frees each block once (ASan/LSan) */
}

TEST_MAIN(test_evidence_shared_member, test_evidence_refs_long_excerpt, test_findings_shared,
	  test_route_pool_keeps_shared, test_report_pooled_events,
	  test_event_pack)
