/* SPDX-License-Identifier: MIT */
/* test_protolog.c - the IMS SMTP protocol log reader: both documented
 * variants, sessions and outcomes, time stamps, bids, line ends, damage. */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/xalloc.h"

static struct imcq_report rep;

static struct imcq_entry
mk(const char *member, const char *base, enum imcq_place pl, const void *p,
   size_t n)
{
	struct imcq_entry e = unit_entry(member, base, pl, p, n);

	e.snapshot = 3;
	return e;
}

static int
run(const void *p, size_t n)
{
	struct imcq_entry e = mk("Exchsrvr/Imcdata/Log/L0000000.LOG", "L0000000.LOG",
				 IMCQ_PL_LOG, p, n);

	unit_fresh(&rep);
	return unit_read(&imcq_format_protolog, &rep, &e);
}

static int
bid_of(const char *base, enum imcq_place pl, const void *p, size_t n)
{
	struct imcq_entry e = mk(base, base, pl, p, n);

	return imcq_format_protolog.bid(&e);
}

/* Q228725, one line per entry as the IMS writes it, CRLF, plus the end of
 * a multi-line EHLO reply on a line of its own. */
static const char Q228725[] =
	"4/5/99 10:22:41 AM : A connection to 10.1.1.1 was established.\r\n"
	"4/5/99 10:22:41 AM : IO: |220 r40.domain.com InterLock SMTP Gateway 3.0 ready\r\n"
	"4/5/99 10:22:41 AM : EHLO xxmims2.srv.dom.com\r\n"
	"4/5/99 10:22:41 AM : IO: |250-Hello xxmims2.srv.dom.com, pleased to meet you\r\n"
	"250 HELP\r\n"
	"4/5/99 10:22:41 AM : MAIL FROM:bob@dom.com\r\n"
	"4/5/99 10:22:42 AM : IO: |250 bob@dom.com... Sender ok\r\n"
	"4/5/99 10:22:42 AM : RCPT TO:sam@tool.com\r\n"
	"4/5/99 10:22:42 AM : IO: |250 sam@tool.com... Recipient ok\r\n"
	"4/5/99 10:22:42 AM : DATA\r\n"
	"4/5/99 10:22:43 AM : IO: |354 Enter mail, end with \".\" on a line by itself\r\n"
	"4/5/99 10:22:43 AM : 354 Enter mail, end with \".\" on a line by itself\r\n"
	"4/5/99 10:22:44 AM : 499 No routing hosts are reachable for tool.com. "
	"Message subject: \"\"Case 27375\"\". Rescheduling delivery for later.\r\n";

TEST(test_timestamped)
{
	const struct imcq_session *s;
	const struct imcq_event *ev;

	ASSERT_EQ_INT(run(Q228725, strlen(Q228725)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nsessions, 1);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nsessions != 1)
		return;
	s = &rep.sessions[0];
	ASSERT_EQ_STR(s->member, "Exchsrvr/Imcdata/Log/L0000000.LOG");
	ASSERT_EQ_INT(s->snapshot, 3);
	ASSERT_EQ_STR(s->direction, "outbound");
	ASSERT_EQ_STR(s->remote, "10.1.1.1");
	ASSERT_EQ_STR(s->helo, "xxmims2.srv.dom.com");
	ASSERT_EQ_STR(s->mail_from, "bob@dom.com");
	ASSERT_EQ_INT(s->rcpts.n, 1);
	if (s->rcpts.n == 1)
		ASSERT_EQ_STR(s->rcpts.v[0], "sam@tool.com");
	/* the unprefixed echo of "IO: |354" is not a second reply */
	ASSERT_EQ_INT(s->replies.n, 7);
	if (s->replies.n == 7) {
		ASSERT_EQ_STR(s->replies.v[0], "220 r40.domain.com InterLock SMTP Gateway 3.0 ready");
		ASSERT_EQ_STR(s->replies.v[2], "250 HELP");
		ASSERT_EQ_STR(s->replies.v[5], "354 Enter mail, end with \".\" on a line by itself");
	}
	ASSERT_EQ_INT(s->last_code, 499);
	ASSERT_EQ_STR(s->outcome, "dns-failure");
	ASSERT_EQ_STR(s->domain, "tool.com");
	ASSERT_EQ_STR(s->subject, "Case 27375");
	ASSERT(s->outcome_line && strstr(s->outcome_line, "499 No routing hosts") != NULL);
	ASSERT_EQ_INT(s->line_first, 1);
	ASSERT_EQ_INT(s->line_last, 13);
	ASSERT_EQ_INT(s->start, unit_time(1999, 4, 5, 10, 22, 41));
	ASSERT_EQ_INT(s->end, unit_time(1999, 4, 5, 10, 22, 44));
	ASSERT_EQ_INT(s->local_time, 1);

	/* the connection and the 499 line */
	ASSERT_EQ_INT(rep.nevents, 2);
	if (rep.nevents != 2)
		return;
	ev = &rep.events[0];
	ASSERT_EQ_STR(ev->source, "protocol-log");
	ASSERT_EQ_INT(ev->line, 1);
	ASSERT_EQ_INT(ev->offset, 0);
	ASSERT_EQ_STR(ev->text, "A connection to 10.1.1.1 was established.");
	ASSERT_EQ_STR(ev->partner, "10.1.1.1");
	ASSERT_EQ_STR(ev->time_raw, "4/5/99 10:22:41 AM");
	ASSERT_EQ_INT(ev->time, unit_time(1999, 4, 5, 10, 22, 41));
	ASSERT_EQ_INT(ev->event_no, -1);
	ASSERT_EQ_INT(ev->local_time, 1);
	ev = &rep.events[1];
	ASSERT_EQ_INT(ev->line, 13);
	ASSERT_EQ_INT(ev->offset, unit_off_of(Q228725, "4/5/99 10:22:44"));
	ASSERT(ev->text && strncmp(ev->text, "499 No routing hosts are reachable for tool.com.", 48) == 0);
	ASSERT_EQ_STR(ev->originator, "bob@dom.com");
	ASSERT_EQ_INT(ev->rcpts.n, 1);
}

/* Q245787: ">>>" / "<<<" prefixes, no time stamps, blank lines. */
static const char Q245787[] =
	"\n"
	"A connection to 10.1.1.25 was established.\n"
	"\n"
	"<<< IO: |220 firewall.expedia.com Generic SMTP handler\n"
	"<<< 220 firewall.expedia.com Generic SMTP handler\n"
	">>> EHLO ExchangeSending.microsoft.com\n"
	"<<< IO: |500 Command unrecognized\n"
	"<<< 500 Command unrecognized\n"
	">>> HELO ExchangeSending.microsoft.com\n"
	"<<< IO: |250 firewall.expedia.com talking to mailhost.expedia.com ([157.5.1.4])\n"
	"<<< 250 firewall.expedia.com talking to mailhost.expedia.com ([157.5.1.4])\n"
	">>> MAIL FROM: <bob@microsoft.com>\n"
	"<<< IO: |250 <bob@microsoft.com>: Sender Ok\n"
	"<<< 250 <bob@microsoft.com>: Sender Ok\n"
	">>> RCPT TO:<vincent@expedia.com>\n"
	"<<< IO: |550 Domain invalid\n"
	"<<< 550 Domain invalid\n"
	">>> QUIT\n"
	"<<< IO: |221 firewall.microsoft.com closing connection. Goodbye!\n";

TEST(test_arrows)
{
	const struct imcq_session *s;

	ASSERT_EQ_INT(run(Q245787, strlen(Q245787)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nsessions, 1);
	if (rep.nsessions != 1)
		return;
	s = &rep.sessions[0];
	ASSERT_EQ_STR(s->direction, "outbound");
	ASSERT_EQ_STR(s->remote, "10.1.1.25");
	ASSERT_EQ_STR(s->helo, "ExchangeSending.microsoft.com");
	ASSERT_EQ_STR(s->mail_from, "bob@microsoft.com");
	ASSERT_EQ_INT(s->rcpts.n, 1);
	if (s->rcpts.n == 1)
		ASSERT_EQ_STR(s->rcpts.v[0], "vincent@expedia.com");
	ASSERT_EQ_INT(s->replies.n, 6);
	ASSERT_EQ_INT(s->last_code, 221);
	ASSERT_EQ_STR(s->outcome, "rejected");
	ASSERT_EQ_STR(s->outcome_line, "<<< IO: |550 Domain invalid");
	ASSERT_EQ_INT(s->line_first, 2);
	ASSERT_EQ_INT(s->line_last, 19);
	ASSERT_EQ_INT(s->start, IMCQ_NOTIME);
	ASSERT_EQ_INT(s->end, IMCQ_NOTIME);
	/* connection, 500 to EHLO, 550 to RCPT */
	ASSERT_EQ_INT(rep.nevents, 3);
	if (rep.nevents == 3) {
		ASSERT_EQ_STR(rep.events[1].text,
			      "500 Command unrecognized (reply to EHLO ExchangeSending.microsoft.com)");
		ASSERT_EQ_STR(rep.events[2].text,
			      "550 Domain invalid (reply to RCPT TO:<vincent@expedia.com>)");
		ASSERT_EQ_INT(rep.events[2].line, 16);
		ASSERT_EQ_INT(rep.events[2].offset, unit_off_of(Q245787, "<<< IO: |550"));
		ASSERT_EQ_INT(rep.events[2].rcpts.n, 1);
		ASSERT_EQ_INT(rep.events[2].time, IMCQ_NOTIME);
		ASSERT_EQ_STR(rep.events[2].time_raw, NULL);
	}
	ASSERT_EQ_INT(rep.nanoms, 0);
}

/* Several sessions in one file, each outcome, AM/PM and year edges. */
static const char MULTI[] =
	"1/1/99 12:30:00 PM : A connection to 1.2.3.4 was established.\n"
	"1/1/99 12:30:00 PM : IO: |220 mx ready\n"
	"1/1/99 12:30:01 PM : HELO ims.example.com\n"
	"1/1/99 12:30:01 PM : IO: |250 hi\n"
	"1/1/99 12:30:01 PM : MAIL FROM:<a@example.com>\n"
	"1/1/99 12:30:01 PM : IO: |250 ok\n"
	"1/1/99 12:30:01 PM : RCPT TO:<c@d.org>\n"
	"1/1/99 12:30:01 PM : IO: |250 ok\n"
	"1/1/99 12:30:01 PM : RCPT TO:<e@d.org>\n"
	"1/1/99 12:30:01 PM : IO: |250 ok\n"
	"1/1/99 12:30:02 PM : DATA\n"
	"1/1/99 12:30:02 PM : IO: |354 go\n"
	"1/1/99 12:30:03 PM : IO: |250 Message accepted\n"
	"1/1/99 12:30:03 PM : QUIT\n"
	"1/1/99 12:30:03 PM : IO: |221 bye\n"
	"12/31/69 11:59:59 PM : A connection to 9.9.9.9 was established.\n"
	"1/1/70 12:00:00 AM : A connection was accepted from [5.6.7.8].\n"
	"1/1/70 12:00:00 AM : 220 ims.example.com ESMTP\n"
	"1/1/70 12:00:01 AM : IO: |HELO client.example.net\n"
	"1/1/70 12:00:01 AM : 250 OK\n"
	"1/1/70 12:00:01 AM : IO: |MAIL FROM:<x@y.net>\n"
	"1/1/70 12:00:01 AM : 250 OK\n"
	"1/1/70 12:00:01 AM : IO: |RCPT TO:<u@example.com>\n"
	"1/1/70 12:00:01 AM : 250 OK\n"
	"1/1/70 12:00:01 AM : IO: |DATA\n"
	"1/1/70 12:00:01 AM : 354 send\n"
	"1/1/70 12:00:02 AM : IO: |Subject: RCPT TO:<not@a.rcpt>\n"
	"1/1/70 12:00:02 AM : IO: |550 not a reply, message text\n"
	"1/1/70 12:00:02 AM : IO: |.\n"
	"1/1/70 12:00:02 AM : 250 queued\n"
	"1/2/1999 23:10:00 : A connection to mx.example.org was established.\n"	/* 24-hour */
	"1/2/1999 23:10:01 : IO: |421 try later\n"
	"1/3/99 1:00:00 AM : A connection to 7.7.7.7 could not be established.\n"
	"1/3/99 1:00:01 AM : Unable to resolve host name mx.nowhere.example\n"
	"1/4/99 2:00:00 PM : Rescheduling delivery for later. Message subject: \"\"hello\"\".\n";

TEST(test_sessions)
{
	const struct imcq_session *s;

	ASSERT_EQ_INT(run(MULTI, strlen(MULTI)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nsessions, 5);
	if (rep.nsessions != 5)
		return;

	s = &rep.sessions[0];
	ASSERT_EQ_STR(s->outcome, "delivered");
	ASSERT_EQ_STR(s->outcome_line, "1/1/99 12:30:03 PM : IO: |250 Message accepted");
	ASSERT_EQ_INT(s->rcpts.n, 2);
	ASSERT_EQ_STR(s->mail_from, "a@example.com");
	ASSERT_EQ_INT(s->last_code, 221);
	ASSERT_EQ_INT(s->start, unit_time(1999, 1, 1, 12, 30, 0));	/* 12:30 PM */
	ASSERT_EQ_INT(s->end, unit_time(1999, 1, 1, 12, 30, 3));
	ASSERT_EQ_INT(s->line_first, 1);
	ASSERT_EQ_INT(s->line_last, 15);

	/* nothing after the connection: connect-failed (Q190026) */
	s = &rep.sessions[1];
	ASSERT_EQ_STR(s->remote, "9.9.9.9");
	ASSERT_EQ_STR(s->outcome, "connect-failed");
	ASSERT_EQ_INT(s->start, unit_time(2069, 12, 31, 23, 59, 59));	/* 69 -> 2069 */
	ASSERT_EQ_INT(s->line_first, 16);
	ASSERT_EQ_INT(s->line_last, 16);

	s = &rep.sessions[2];
	ASSERT_EQ_STR(s->direction, "inbound");
	ASSERT_EQ_STR(s->remote, "5.6.7.8");
	ASSERT_EQ_INT(s->start, unit_time(1970, 1, 1, 0, 0, 0));	/* 12 AM, 70 -> 1970 */
	ASSERT_EQ_STR(s->helo, "client.example.net");
	ASSERT_EQ_STR(s->mail_from, "x@y.net");
	ASSERT_EQ_INT(s->rcpts.n, 1);	/* message text is not a command */
	ASSERT_EQ_STR(s->outcome, "delivered");
	ASSERT_EQ_INT(s->last_code, 250);

	s = &rep.sessions[3];
	ASSERT_EQ_STR(s->remote, "mx.example.org");
	ASSERT_EQ_INT(s->start, unit_time(1999, 1, 2, 23, 10, 0));
	ASSERT_EQ_STR(s->outcome, "deferred");
	ASSERT_EQ_INT(s->last_code, 421);

	/* a failed attempt, a DNS failure, then a Rescheduling line */
	s = &rep.sessions[4];
	ASSERT_EQ_STR(s->remote, "7.7.7.7");
	ASSERT_EQ_INT(s->line_last, 35);
	ASSERT_EQ_STR(s->outcome, "deferred");
	ASSERT_EQ_STR(s->subject, "hello");
	ASSERT_EQ_INT(s->end, unit_time(1999, 1, 4, 14, 0, 0));

	/* events: 5 connections, 421, DNS, Rescheduling; no 550 from the
	 * message text */
	ASSERT_EQ_INT(rep.nevents, 8);
	if (rep.nevents == 8) {
		ASSERT_EQ_STR(rep.events[6].text, "Unable to resolve host name mx.nowhere.example");
		ASSERT_EQ_INT(rep.events[6].line, 34);
		ASSERT_EQ_INT(rep.events[6].offset, unit_off_of(MULTI, "1/3/99 1:00:01 AM"));
	}
	ASSERT_EQ_INT(rep.nanoms, 0);
}

TEST(test_ampm_edges)
{
	static const char d[] =
		"6/15/99 12:00:00 AM : A connection to a was established.\n"
		"6/15/99 12:59:59 AM : x\n"
		"6/15/99 1:00:00 AM : x\n"
		"6/15/99 11:59:59 AM : x\n"
		"6/15/99 12:00:00 PM : x\n"
		"6/15/99 12:59:59 PM : x\n"
		"6/15/99 1:00:00 PM : x\n"
		"6/15/99 11:59:59 PM : x\n"
		"6/15/2000 11:59:59 pm : x\n"
		"2/29/00 1:02 PM : x\n"
		"13/12/99 1:00:00 PM : x\n";
	static const int64_t h[] = { 0, 59 * 60 + 59, 3600, 11 * 3600 + 3599, 12 * 3600,
				     12 * 3600 + 3599, 13 * 3600, 23 * 3600 + 3599 };
	int64_t base = unit_time(1999, 6, 15, 0, 0, 0);
	int64_t want[11];
	size_t i;

	for (i = 0; i < 8; i++)
		want[i] = base + h[i];
	want[8] = unit_time(2000, 6, 15, 23, 59, 59);
	want[9] = unit_time(2000, 2, 29, 13, 2, 0);
	want[10] = unit_time(1999, 12, 13, 13, 0, 0);	/* D/M guessed */

	run(d, strlen(d));
	ASSERT_EQ_INT(rep.nevents, 1);
	ASSERT_EQ_INT(rep.nsessions, 1);
	for (i = 0; i < 11; i++) {
		const char *line = d;
		size_t k;
		struct imcq_report one;
		struct imcq_entry e;
		struct imcq_sink s = { .rep = &one, .lim = NULL };
		const char *nl;

		for (k = 0; k < i; k++)
			line = strchr(line, '\n') + 1;
		nl = strchr(line, '\n');
		report_init(&one);
		s.lim = &one.lim;
		e = mk("L1.LOG", "L1.LOG", IMCQ_PL_LOG, line, (size_t)(nl - line + 1));
		imcq_format_protolog.read(&e, &s);
		ASSERT_EQ_INT(one.nsessions, 1);
		if (one.nsessions == 1)
			ASSERT_EQ_INT(one.sessions[0].start, want[i]);
		report_release(&one);
	}
	ASSERT_EQ_INT(rep.sessions[0].start, want[0]);
	ASSERT_EQ_INT(rep.sessions[0].end, want[10]);
	ASSERT_EQ_INT(rep.sessions[0].line_last, 11);
	ASSERT(unit_anomaly(&rep, "date-order-guessed") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "date-order-guessed")->offset, unit_off_of(d, "13/12/99"));
	{
		static const char bad[] = "2/30/99 1:00:00 AM : A connection to q was established.\n"
					  "2/28/99 13:00:00 PM : x\n";

		run(bad, strlen(bad));
		ASSERT_EQ_INT(rep.nsessions, 1);
		ASSERT_EQ_INT(rep.sessions[0].start, IMCQ_NOTIME);
		ASSERT(unit_anomaly(&rep, "bad-timestamp") != NULL);
		ASSERT_EQ_INT(unit_anomaly(&rep, "bad-timestamp")->offset, 0);
		ASSERT_EQ_INT(rep.events[0].time, IMCQ_NOTIME);
		ASSERT_EQ_STR(rep.events[0].time_raw, "2/30/99 1:00:00 AM");
	}
}

TEST(test_cr_only_and_truncated)
{
	static const char cr[] =
		"4/5/99 10:22:41 AM : A connection to 10.1.1.1 was established.\r"
		"4/5/99 10:22:41 AM : IO: |220 ready\r"
		"4/5/99 10:22:41 AM : HELO me\r"
		"4/5/99 10:22:42 AM : IO: |250 hi\r"
		"4/5/99 10:22:42 AM : MAIL FROM:<a@b>\r"
		"4/5/99 10:22:42 AM : IO: |452 too many";

	ASSERT_EQ_INT(run(cr, strlen(cr) - 12), IMCQ_OK);	/* "452 too many" cut */
	ASSERT_EQ_INT(rep.nsessions, 1);
	if (rep.nsessions != 1)
		return;
	ASSERT_EQ_STR(rep.sessions[0].outcome, "incomplete");
	ASSERT_EQ_STR(rep.sessions[0].outcome_line, "4/5/99 10:22:42 AM : IO: |");
	ASSERT_EQ_INT(rep.sessions[0].line_last, 6);
	ASSERT(unit_anomaly(&rep, "no-final-newline") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "no-final-newline")->offset, unit_off_of(cr, "4/5/99 10:22:42 AM : IO: |452"));

	run(cr, strlen(cr));
	ASSERT_EQ_STR(rep.sessions[0].outcome, "deferred");
	ASSERT_EQ_INT(rep.sessions[0].last_code, 452);
	ASSERT_EQ_INT(rep.sessions[0].line_last, 6);
	ASSERT_EQ_INT(rep.nevents, 2);
	if (rep.nevents == 2) {
		ASSERT_EQ_INT(rep.events[1].offset, unit_off_of(cr, "4/5/99 10:22:42 AM : IO: |452"));
		ASSERT_EQ_STR(rep.events[1].text, "452 too many (reply to MAIL FROM:<a@b>)");
	}
}

TEST(test_huge_line)
{
	size_t big = (size_t)1 << 20;
	static const char head[] = "4/5/99 10:22:41 AM : A connection to 1.1.1.1 was established.\n"
				   "4/5/99 10:22:41 AM : IO: |220 ";
	static const char tail[] = "\n4/5/99 10:22:42 AM : IO: |554 no\n";
	size_t n = strlen(head) + big + strlen(tail);
	char *d = xmalloc(n);

	memcpy(d, head, strlen(head));
	memset(d + strlen(head), 'z', big);
	memcpy(d + strlen(head) + big, tail, strlen(tail));
	run(d, n);
	ASSERT(unit_anomaly(&rep, "line-too-long") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "line-too-long")->offset, strchr(head, '\n') - head + 1);
	ASSERT_EQ_INT(rep.nsessions, 1);
	if (rep.nsessions == 1) {
		ASSERT_EQ_STR(rep.sessions[0].outcome, "rejected");
		ASSERT_EQ_INT(rep.sessions[0].line_last, 3);
		ASSERT_EQ_INT(rep.sessions[0].replies.n, 2);
		if (rep.sessions[0].replies.n == 2)
			ASSERT(strlen(rep.sessions[0].replies.v[0]) < rep.lim.line_bytes);
	}
	ASSERT_EQ_INT(rep.nevents, 2);
	if (rep.nevents == 2)
		ASSERT_EQ_INT(rep.events[1].offset, strlen(head) + big + 1);
	free(d);
}

TEST(test_binary_garbage)
{
	size_t n = 65536, i;
	unsigned char *g = xmalloc(n);
	uint32_t x = 3;
	int rc;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		g[i] = (unsigned char)(x >> 16);
	}
	ASSERT_EQ_INT(bid_of("3SW32JRP", IMCQ_PL_OUT, g, n), 0);
	ASSERT(bid_of("L0000000.LOG", IMCQ_PL_LOG, g, n) <= 16);
	rc = run(g, n);
	ASSERT(rc == IMCQ_OK || rc == IMCQ_SKIP);
	ASSERT(unit_anomaly(&rep, "binary-data") != NULL);
	ASSERT_EQ_INT(rep.nsessions, 0);
	free(g);
}

TEST(test_bid)
{
	ASSERT_EQ_INT(bid_of("L0000000.LOG", IMCQ_PL_LOG, Q228725, strlen(Q228725)), 40);
	ASSERT_EQ_INT(bid_of("l0000012.log", IMCQ_PL_UNKNOWN, Q228725, strlen(Q228725)), 32);
	ASSERT_EQ_INT(bid_of("copy.txt", IMCQ_PL_UNKNOWN, Q228725, strlen(Q228725)), 24);
	ASSERT_EQ_INT(bid_of("copy.txt", IMCQ_PL_UNKNOWN, Q245787, strlen(Q245787)), 24);
	ASSERT_EQ_INT(bid_of("copy.txt", IMCQ_PL_UNKNOWN, Q228725, 65), 8);
	ASSERT_EQ_INT(bid_of("L0000000.LOG", IMCQ_PL_LOG, "", 0), 16);
	ASSERT_EQ_INT(bid_of("Route.txt", IMCQ_PL_LOG, "", 0), 0);
	ASSERT_EQ_INT(bid_of("LOGFILE.TXT", IMCQ_PL_LOG, "", 0), 0);
	ASSERT_EQ_INT(bid_of("19990101.log", IMCQ_PL_TRACKING,
			     "<a@b>\t1010\t1999.1.1 1:1:1\tIMS\th\t\tx\t0\t5\t0\t1\t\t1\tr@x\n", 48), 0);
	ASSERT_EQ_STR(imcq_format_protolog.name, "protocol-log");
	report_release(&rep);
	report_init(&rep);
}

TEST_MAIN(test_timestamped, test_arrows, test_sessions, test_ampm_edges,
	  test_cr_only_and_truncated, test_huge_line, test_binary_garbage, test_bid)
