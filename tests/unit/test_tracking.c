/* SPDX-License-Identifier: MIT */
/* test_tracking.c - the message tracking log reader: both recipient
 * layouts, fields, event texts, bids, line ends, damage. */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/xalloc.h"

static struct imcq_report rep;

static struct imcq_entry
mk(const char *member, const char *base, enum imcq_place pl, const void *p,
   size_t n)
{
	struct imcq_entry e = unit_entry(member, base, pl, p, n);

	e.input = 1;
	return e;
}

static int
run(const void *p, size_t n)
{
	struct imcq_entry e = mk("Exchsrvr/Tracking.log/19990101.log", "19990101.log",
				 IMCQ_PL_TRACKING, p, n);

	unit_fresh(&rep);
	return unit_read(&imcq_format_tracking, &rep, &e);
}

static int
bid_of(const char *base, enum imcq_place pl, const void *p, size_t n)
{
	struct imcq_entry e = mk(base, base, pl, p, n);

	return imcq_format_tracking.bid(&e);
}

/* One-line layout: the recipients follow field 13 on the record line
 * (the Q153188 1003 sample, with a second recipient). */
static const char ONELINE[] =
	"# Message Tracking Log File\n"
	"c=US;a= ;p=MICROSOFT;l=TAMRAJ2-960701173047Z-2\t1003\t1996.7.1 17:32:18\t"
	"/o=MICROSOFT/ou=TAMRAJ/cn=Configuration/cn=Connections/cn=Internet Mail Connector (TAMRAJ2)\t"
	"alpine.microsoft.com\t"
	"<c=US%a=_%p=MICROSOFT%l=TAMRAJ2-960701173047Z-2@tamraj.microsoft.com>[PBZ70AAB]\t"
	"/o=MICROSOFT/ou=TAMRAJ/cn=RECIPIENTS/cn=TAMRAJ1\t0\t2907\t0\t1\t\t2\t"
	"IMCEAEX-_O=MICROSOFT_OU=ALPINE_cn=RECIPIENTS_cn=ALPINE1@alpine.microsoft.com\t"
	"user2@alpine.microsoft.com\n"
	"<3SW32JRP@ims.example.com>\t1010\t1999.12.31 23:59:9\t\tmail.example.org\t"
	"<3SW32JRP@ims.example.com>[3SW32JRP]\t/o=ORG/ou=SITE/cn=Recipients/cn=bob\t-1\t100\t0\t1\t\t1\t"
	"carol@example.org\n";

TEST(test_oneline)
{
	const struct imcq_event *ev;
	const char *l2 = strstr(ONELINE, "c=US;a=");
	const char *l3 = strstr(ONELINE, "<3SW32JRP@ims");

	ASSERT_EQ_INT(run(ONELINE, strlen(ONELINE)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nevents, 2);
	if (rep.nevents != 2)
		return;
	ev = &rep.events[0];
	ASSERT_EQ_STR(ev->source, "tracking");
	ASSERT_EQ_INT(ev->line, 2);
	ASSERT_EQ_INT(ev->offset, (uint64_t)(l2 - ONELINE));
	ASSERT_EQ_INT(ev->input, 1);
	ASSERT_EQ_STR(ev->member, "Exchsrvr/Tracking.log/19990101.log");
	ASSERT_EQ_STR(ev->msg_id, "c=US;a= ;p=MICROSOFT;l=TAMRAJ2-960701173047Z-2");
	ASSERT_EQ_INT(ev->event_no, 1003);
	ASSERT_EQ_STR(ev->time_raw, "1996.7.1 17:32:18");
	ASSERT_EQ_INT(ev->time, unit_time(1996, 7, 1, 17, 32, 18));
	ASSERT_EQ_STR(ev->gateway, "/o=MICROSOFT/ou=TAMRAJ/cn=Configuration/cn=Connections/cn=Internet Mail Connector (TAMRAJ2)");
	ASSERT_EQ_STR(ev->partner, "alpine.microsoft.com");
	ASSERT_EQ_STR(ev->remote_id, "<c=US%a=_%p=MICROSOFT%l=TAMRAJ2-960701173047Z-2@tamraj.microsoft.com>[PBZ70AAB]");
	ASSERT_EQ_STR(ev->spool_id, "PBZ70AAB");
	ASSERT_EQ_STR(ev->originator, "/o=MICROSOFT/ou=TAMRAJ/cn=RECIPIENTS/cn=TAMRAJ1");
	ASSERT_EQ_INT(ev->priority, 0);
	ASSERT_EQ_INT(ev->length, 2907);
	ASSERT_EQ_INT(ev->rcpts.n, 2);
	if (ev->rcpts.n == 2) {
		ASSERT_EQ_STR(ev->rcpts.v[0], "IMCEAEX-_O=MICROSOFT_OU=ALPINE_cn=RECIPIENTS_cn=ALPINE1@alpine.microsoft.com");
		ASSERT_EQ_STR(ev->rcpts.v[1], "user2@alpine.microsoft.com");
	}
	ASSERT_EQ_STR(ev->text, "1003 gateway transfer out");
	ASSERT_EQ_INT(ev->local_time, 0);

	ev = &rep.events[1];
	ASSERT_EQ_INT(ev->line, 3);
	ASSERT_EQ_INT(ev->offset, (uint64_t)(l3 - ONELINE));
	ASSERT_EQ_INT(ev->event_no, 1010);
	ASSERT_EQ_STR(ev->text, "1010 SMTP queued outbound");
	ASSERT_EQ_INT(ev->time, unit_time(1999, 12, 31, 23, 59, 9));
	ASSERT_EQ_STR(ev->gateway, NULL);	/* blank field */
	ASSERT_EQ_STR(ev->partner, "mail.example.org");
	ASSERT_EQ_STR(ev->spool_id, "3SW32JRP");
	ASSERT_EQ_INT(ev->priority, -1);
	ASSERT_EQ_INT(ev->length, 100);
	ASSERT_EQ_INT(ev->rcpts.n, 1);

	/* the comment line is skipped with a note */
	ASSERT_EQ_INT(rep.nanoms, 1);
	ASSERT(unit_anomaly(&rep, "tracking-header") != NULL);
	if (unit_anomaly(&rep, "tracking-header")) {
		ASSERT_EQ_INT(unit_anomaly(&rep, "tracking-header")->offset, 0);
		ASSERT_EQ_INT(unit_anomaly(&rep, "tracking-header")->sev, IMCQ_SEV_INFO);
	}
}

/* Multi-line layout: field 13 ends the record line, recipients follow one
 * per line; a report carries statuses; date and time in two fields. */
static const char MULTI[] =
	"<a@b>\t1011\t1999.1.1 0:05:00\tIMS\tmx.x.com\t<a@b>[ABCD1234]\t/o=O/cn=a\t1\t10\t0\t1\t\t2\n"
	"alice@x.com\n"
	"\tbob@x.com\n"
	"<r@x>\t1017\t2000.2.29\t12:00:00\tIMS\tx.com\t\tpostmaster\t0\t50\t0\t1\tRPT-ID\t2\n"
	"alice@x.com\t0\n"
	"bob@x.com\t1\n"
	"<q@x>\t4\t2001.3.4 5:06:07\t\t\t\t/o=O/cn=q\t0\t1\t0\t1\t\t3\n"
	"one@x.com\n";

TEST(test_multiline)
{
	const struct imcq_event *ev;

	ASSERT_EQ_INT(run(MULTI, strlen(MULTI)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nevents, 3);
	if (rep.nevents != 3)
		return;
	ev = &rep.events[0];
	ASSERT_EQ_INT(ev->line, 1);
	ASSERT_EQ_INT(ev->offset, 0);
	ASSERT_EQ_INT(ev->time, unit_time(1999, 1, 1, 0, 5, 0));
	ASSERT_EQ_INT(ev->priority, 1);
	ASSERT_EQ_STR(ev->spool_id, "ABCD1234");
	ASSERT_EQ_INT(ev->rcpts.n, 2);
	if (ev->rcpts.n == 2) {
		ASSERT_EQ_STR(ev->rcpts.v[0], "alice@x.com");
		ASSERT_EQ_STR(ev->rcpts.v[1], "bob@x.com");
	}
	ASSERT_EQ_STR(ev->text, "1011 SMTP transferred outbound");

	ev = &rep.events[1];
	ASSERT_EQ_INT(ev->line, 4);
	ASSERT_EQ_INT(ev->offset, (uint64_t)(strstr(MULTI, "<r@x>") - MULTI));
	ASSERT_EQ_STR(ev->time_raw, "2000.2.29 12:00:00");
	ASSERT_EQ_INT(ev->time, unit_time(2000, 2, 29, 12, 0, 0));
	ASSERT_EQ_STR(ev->gateway, "IMS");
	ASSERT_EQ_STR(ev->partner, "x.com");
	ASSERT_EQ_STR(ev->remote_id, NULL);
	ASSERT_EQ_STR(ev->originator, "postmaster");
	ASSERT_EQ_INT(ev->length, 50);
	ASSERT_EQ_INT(ev->rcpts.n, 2);
	ASSERT_EQ_STR(ev->text, "1017 SMTP report generated; subject/report id RPT-ID; "
		      "report status: 1 delivered, 1 not delivered");

	/* declares 3 recipients, lists 1 */
	ev = &rep.events[2];
	ASSERT_EQ_STR(ev->text, "4 message submission");
	ASSERT_EQ_INT(ev->rcpts.n, 1);
	ASSERT(unit_anomaly(&rep, "rcpt-count-mismatch") != NULL);
	if (unit_anomaly(&rep, "rcpt-count-mismatch"))
		ASSERT_EQ_INT(unit_anomaly(&rep, "rcpt-count-mismatch")->offset, ev->offset);
	ASSERT_EQ_INT(rep.nanoms, 1);
}

TEST(test_line_ends)
{
	static const char crlf[] =
		"<a@b>\t1012\t1998.6.30 1:02:03\tIMS\thost\t<a@b>[ZZZZ0001]\tx\t0\t5\t0\t1\t\t1\r\n"
		"r@x\r\n"
		"<c@d>\t1013\t1998.6.30 1:02:04\tIMS\tstore\t\tx\t0\t5\t0\t1\t\t1\tr@x\r\n";
	static const char cr[] =
		"<a@b>\t1012\t1998.6.30 1:02:03\tIMS\thost\t<a@b>[ZZZZ0001]\tx\t0\t5\t0\t1\t\t1\r"
		"r@x\r"
		"<c@d>\t1013\t1998.6.30 1:02:04\tIMS\tstore\t\tx\t0\t5\t0\t1\t\t1\tr@x\r";

	run(crlf, strlen(crlf));
	ASSERT_EQ_INT(rep.nevents, 2);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nevents == 2) {
		ASSERT_EQ_INT(rep.events[0].rcpts.n, 1);
		ASSERT_EQ_STR(rep.events[0].rcpts.v[0], "r@x");
		ASSERT_EQ_INT(rep.events[1].line, 3);
		ASSERT_EQ_INT(rep.events[1].offset, (uint64_t)(strstr(crlf, "<c@d>") - crlf));
		ASSERT_EQ_STR(rep.events[1].text, "1013 SMTP transferred inbound (to the store)");
	}
	run(cr, strlen(cr));
	ASSERT_EQ_INT(rep.nevents, 2);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nevents == 2) {
		ASSERT_EQ_INT(rep.events[0].rcpts.n, 1);
		ASSERT_EQ_INT(rep.events[1].offset, (uint64_t)(strstr(cr, "<c@d>") - cr));
		ASSERT_EQ_STR(rep.events[1].rcpts.v[0], "r@x");
	}
}

TEST(test_damage)
{
	static const char d[] =
		"<a@b>\t1014\t1999.2.30 1:00:00\tIMS\th\t\tx\tHIGH\t5\t0\t1\t\t1\tr@x\n"
		"<c@d>\t9999\t1999.3.1 1:00:00\tIMS";

	ASSERT_EQ_INT(run(d, strlen(d)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nevents, 2);
	if (rep.nevents != 2)
		return;
	ASSERT_EQ_INT(rep.events[0].time, IMCQ_NOTIME);
	ASSERT_EQ_STR(rep.events[0].time_raw, "1999.2.30 1:00:00");
	ASSERT_EQ_STR(rep.events[0].text, "1014 SMTP message rerouted");
	ASSERT(unit_anomaly(&rep, "bad-time") != NULL);
	ASSERT(unit_anomaly(&rep, "bad-field") != NULL);
	ASSERT_EQ_STR(rep.events[1].text, "9999 unknown event");
	ASSERT_EQ_INT(rep.events[1].time, unit_time(1999, 3, 1, 1, 0, 0));
	ASSERT(unit_anomaly(&rep, "truncated-record") != NULL);
	ASSERT(unit_anomaly(&rep, "no-final-newline") != NULL);
	if (unit_anomaly(&rep, "truncated-record"))
		ASSERT_EQ_INT(unit_anomaly(&rep, "truncated-record")->offset,
			      (uint64_t)(strstr(d, "<c@d>") - d));
}

TEST(test_huge_line)
{
	size_t big = (size_t)1 << 20, i;
	static const char rec[] =
		"<a@b>\t1010\t1999.1.1 1:1:1\tIMS\th\t\tx\t0\t5\t0\t1\t\t1\tr@x\n";
	char *d = xmalloc(strlen(rec) + big + 1);

	memcpy(d, rec, strlen(rec));
	for (i = 0; i < big; i++)
		d[strlen(rec) + i] = (i % 40 == 39) ? '\t' : 'r';
	d[strlen(rec) + big] = '\n';
	run(d, strlen(rec) + big + 1);
	ASSERT(unit_anomaly(&rep, "line-too-long") != NULL);
	if (unit_anomaly(&rep, "line-too-long"))
		ASSERT_EQ_INT(unit_anomaly(&rep, "line-too-long")->offset, strlen(rec));
	ASSERT_EQ_INT(rep.nevents, 1);
	/* 64 KiB kept: 1638 whole 39-byte names and a cut one */
	if (rep.nevents == 1)
		ASSERT_EQ_INT(rep.events[0].rcpts.n, 1 + (rep.lim.line_bytes + 39) / 40);
	free(d);
}

TEST(test_rcpt_cap)
{
	static const char d[] =
		"<a@b>\t1010\t1999.1.1 1:1:1\tIMS\th\t\tx\t0\t5\t0\t1\t\t4\tr1\tr2\tr3\tr4\n";

	report_release(&rep);
	report_init(&rep);
	{
		struct imcq_entry e = mk("t/19990101.log", "19990101.log",
					 IMCQ_PL_TRACKING, d, strlen(d));
		struct imcq_sink s = { .rep = &rep, .lim = &rep.lim };

		rep.lim.rcpts = 2;
		ASSERT_EQ_INT(imcq_format_tracking.read(&e, &s), IMCQ_OK);
	}
	ASSERT_EQ_INT(rep.nevents, 1);
	if (rep.nevents == 1)
		ASSERT_EQ_INT(rep.events[0].rcpts.n, 2);
	ASSERT(unit_anomaly(&rep, "rcpt-limit") != NULL);
	ASSERT(unit_anomaly(&rep, "rcpt-count-mismatch") == NULL);
}

TEST(test_binary_garbage)
{
	size_t n = 65536, i;
	unsigned char *g = xmalloc(n);
	uint32_t x = 7;
	int rc;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		g[i] = (unsigned char)(x >> 16);
	}
	ASSERT_EQ_INT(bid_of("3SW32JRP", IMCQ_PL_OUT, g, n), 0);
	ASSERT(bid_of("19990101.log", IMCQ_PL_TRACKING, g, n) <= 16);
	rc = run(g, n);
	ASSERT(rc == IMCQ_OK || rc == IMCQ_SKIP);
	ASSERT(unit_anomaly(&rep, "binary-data") != NULL);
	ASSERT(unit_anomaly(&rep, "no-records") != NULL);
	ASSERT_EQ_INT(rep.nevents, 0);
	free(g);
}

TEST(test_bid)
{
	ASSERT_EQ_INT(bid_of("19990101.log", IMCQ_PL_TRACKING, MULTI, strlen(MULTI)), 40);
	ASSERT_EQ_INT(bid_of("19990101.LOG", IMCQ_PL_UNKNOWN, MULTI, strlen(MULTI)), 32);
	ASSERT_EQ_INT(bid_of("copy.txt", IMCQ_PL_UNKNOWN, MULTI, strlen(MULTI)), 24);
	ASSERT_EQ_INT(bid_of("copy.txt", IMCQ_PL_UNKNOWN, ONELINE, strlen(ONELINE)), 16);
	ASSERT_EQ_INT(bid_of("19990101.log", IMCQ_PL_TRACKING, "", 0), 16);
	ASSERT_EQ_INT(bid_of("1999010.log", IMCQ_PL_TRACKING, "", 0), 0);
	ASSERT_EQ_INT(bid_of("L0000000.LOG", IMCQ_PL_LOG, "4/5/99 10:22:41 AM : EHLO x\n", 28), 0);
	ASSERT_EQ_STR(imcq_format_tracking.name, "tracking-log");
	report_release(&rep);
	report_init(&rep);
}

TEST_MAIN(test_oneline, test_multiline, test_line_ends, test_damage,
	  test_huge_line, test_rcpt_cap, test_binary_garbage, test_bid)
