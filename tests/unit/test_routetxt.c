/* SPDX-License-Identifier: MIT */
/* test_routetxt.c - the Route.txt / Route.old reader: every line kept,
 * opportunistic fields, dates inside, bids, line ends, damage. */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/xalloc.h"

static const char SHA[] =
	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static struct imcq_report rep;

static struct imcq_entry
mk(const char *base, const void *p, size_t n)
{
	struct imcq_entry e = unit_entry(base, base, IMCQ_PL_LOG, p, n);

	e.input = 2;
	e.snapshot = 1;
	e.mtime = 915148800;
	e.sha256 = SHA;
	return e;
}

static int
run(const char *base, const void *p, size_t n)
{
	struct imcq_entry e = mk(base, p, n);

	unit_fresh(&rep);
	return unit_read(&imcq_format_routetxt, &rep, &e);
}

static const char ROUTES[] =
	"Internet Mail Service routes\n"
	"SMTP:*@x.com cost 1\n"
	"\n"
	"  SMTP,*@y.com;,2,Internet Mail Service (B),\n"
	"Connected site SITEB address space SMTP=*@z.com, cost: 3\n"
	"address space c=US;a= ;p=ORG; cost=4\n"
	"Generated 1/2/03 12:15:00 AM\n"
	"NOTE: this is not a type\n";

TEST(test_clean)
{
	const struct imcq_route_entry *r;
	int64_t t;

	ASSERT_EQ_INT(run("Route.txt", ROUTES, strlen(ROUTES)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nroutes, 7);	/* the empty line is not an entry */
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nroutes != 7)
		return;
	r = &rep.routes[0];
	ASSERT_EQ_STR(r->table, "route.txt");
	ASSERT_EQ_STR(r->raw, "Internet Mail Service routes");
	ASSERT_EQ_STR(r->type, NULL);
	ASSERT_EQ_STR(r->space, NULL);
	ASSERT_EQ_INT(r->cost, -1);
	ASSERT_EQ_INT(r->line, 1);
	ASSERT_EQ_INT(r->offset, 0);
	ASSERT_EQ_INT(r->input, 2);

	r = &rep.routes[1];
	ASSERT_EQ_STR(r->type, "SMTP");
	ASSERT_EQ_STR(r->space, "*@x.com");
	ASSERT_EQ_INT(r->cost, 1);
	ASSERT_EQ_INT(r->line, 2);
	ASSERT_EQ_INT(r->offset, 29);

	r = &rep.routes[2];
	ASSERT_EQ_STR(r->type, "SMTP");
	ASSERT_EQ_STR(r->space, "*@y.com");
	ASSERT_EQ_INT(r->cost, 2);
	ASSERT_EQ_STR(r->connector, "Internet Mail Service (B)");
	ASSERT_EQ_STR(r->server, "B");
	ASSERT_EQ_STR(r->raw, "SMTP,*@y.com;,2,Internet Mail Service (B),");
	ASSERT_EQ_INT(r->line, 4);
	ASSERT_EQ_INT(r->offset, (uint64_t)(strstr(ROUTES, "  SMTP,*@y") - ROUTES));

	r = &rep.routes[3];
	ASSERT_EQ_STR(r->type, "SMTP");
	ASSERT_EQ_STR(r->space, "*@z.com");
	ASSERT_EQ_INT(r->cost, 3);
	ASSERT_EQ_INT(r->line, 5);

	r = &rep.routes[4];
	ASSERT_EQ_STR(r->type, NULL);
	ASSERT_EQ_STR(r->space, "c=US;a= ;p=ORG");	/* runs to "cost" */
	ASSERT_EQ_INT(r->cost, 4);

	ASSERT_EQ_STR(rep.routes[6].type, NULL);	/* NOTE is no address type */
	ASSERT_EQ_STR(rep.routes[6].raw, "NOTE: this is not a type");

	ASSERT_EQ_INT(rep.ntables, 1);
	ASSERT_EQ_STR(rep.tables[0].table, "route.txt");
	ASSERT_EQ_STR(rep.tables[0].style, "text");
	ASSERT_EQ_INT(rep.tables[0].nlines, 8);
	ASSERT_EQ_INT(rep.tables[0].mtime, 915148800);
	ASSERT_EQ_INT(rep.tables[0].snapshot, 1);
	ASSERT_EQ_STR(rep.tables[0].sha256, SHA);
	/* 12:15 AM is 00:15; 03 is 2003 */
	ASSERT(imcq_mktime(2003, 1, 2, 0, 15, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);
}

TEST(test_dates)
{
	static const char d[] =
		"written 12/31/69 12:00:00 PM\n"	/* 2069-12-31 12:00 */
		"old 1/1/70 11:59 PM\n"		/* 1970 */
		"iso 2026-11-23 14:00:00\n"
		"ctime Mon Nov 23 14:00:01 2026\n"
		"bad 2/30/99 1:00:00 AM and 13/45/99 99:00:00\n";
	static const char e1[] = "a 1/1/70 11:59 PM\n";
	static const char e2[] = "Mon Nov 23 14:00:01 2026\n";
	int64_t t;

	run("ROUTE.OLD", d, strlen(d));
	ASSERT(imcq_mktime(2069, 12, 31, 12, 0, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);
	ASSERT_EQ_STR(rep.tables[0].table, "route.old");
	ASSERT_EQ_STR(rep.routes[0].table, "route.old");

	run("route.old", e1, strlen(e1));
	ASSERT(imcq_mktime(1970, 1, 1, 23, 59, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);

	run("route.old", e2, strlen(e2));
	ASSERT(imcq_mktime(2026, 11, 23, 14, 0, 1, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);

	run("route.old", strstr(d, "bad"), strlen(strstr(d, "bad")));
	ASSERT_EQ_INT(rep.tables[0].newest_time, IMCQ_NOTIME);
	ASSERT_EQ_INT(rep.nroutes, 1);
}

TEST(test_line_ends)
{
	static const char crlf[] = "SMTP:*@x.com cost 1\r\nSMTP:*@y.com cost 2\r\n";
	static const char cr[] = "SMTP:*@x.com cost 1\rSMTP:*@y.com cost 2\r";

	run("Route.txt", crlf, strlen(crlf));
	ASSERT_EQ_INT(rep.nroutes, 2);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nroutes == 2) {
		ASSERT_EQ_INT(rep.routes[1].offset, 21);
		ASSERT_EQ_INT(rep.routes[1].line, 2);
		ASSERT_EQ_STR(rep.routes[1].space, "*@y.com");
		ASSERT_EQ_INT(rep.routes[1].cost, 2);
	}
	run("Route.txt", cr, strlen(cr));
	ASSERT_EQ_INT(rep.nroutes, 2);
	if (rep.nroutes == 2) {
		ASSERT_EQ_INT(rep.routes[1].offset, 20);
		ASSERT_EQ_STR(rep.routes[1].raw, "SMTP:*@y.com cost 2");
	}
}

TEST(test_truncated_last_line)
{
	static const char d[] = "SMTP:*@x.com cost 1\nSMTP:*@y.c";

	ASSERT_EQ_INT(run("Route.txt", d, strlen(d)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nroutes, 2);
	if (rep.nroutes == 2)
		ASSERT_EQ_STR(rep.routes[1].space, "*@y.c");
	ASSERT(unit_anomaly(&rep, "no-final-newline") != NULL);
	if (unit_anomaly(&rep, "no-final-newline"))
		ASSERT_EQ_INT(unit_anomaly(&rep, "no-final-newline")->offset, 20);
}

TEST(test_huge_line)
{
	size_t big = ((size_t)1 << 20) + 7;
	const char *tail = "\r\nSMTP:*@x.com cost 9\r\n";
	char *d = xmalloc(big + strlen(tail));

	memset(d, 'x', big);
	memcpy(d + big, tail, strlen(tail));
	run("Route.txt", d, big + strlen(tail));
	ASSERT(unit_anomaly(&rep, "line-too-long") != NULL);
	ASSERT_EQ_INT(rep.nroutes, 2);
	if (rep.nroutes == 2) {
		ASSERT_EQ_INT(strlen(rep.routes[0].raw), rep.lim.line_bytes);
		ASSERT_EQ_INT(rep.routes[1].offset, big + 2);
		ASSERT_EQ_INT(rep.routes[1].line, 2);
		ASSERT_EQ_INT(rep.routes[1].cost, 9);
	}
	free(d);
}

TEST(test_binary_garbage)
{
	size_t n = 65536, i;
	unsigned char *g = xmalloc(n);
	uint32_t x = 99;
	struct imcq_entry e;
	int rc;

	for (i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		g[i] = (unsigned char)(x >> 24);
	}
	e = mk("3SW32JRP", g, n);
	ASSERT_EQ_INT(imcq_format_routetxt.bid(&e), 0);
	rc = run("Route.txt", g, n);
	ASSERT(rc == IMCQ_OK || rc == IMCQ_SKIP);
	ASSERT(unit_anomaly(&rep, "binary-data") != NULL);
	ASSERT_EQ_INT(rep.ntables, 1);
	for (i = 0; i < rep.nroutes; i++) {
		const char *p;

		for (p = rep.routes[i].raw; *p; p++)
			ASSERT((unsigned char)*p >= 0x20 || *p == '\t');
	}
	free(g);
}

TEST(test_bid)
{
	struct imcq_entry e;

	e = mk("Route.txt", "", 0);
	ASSERT_EQ_INT(imcq_format_routetxt.bid(&e), 24);
	e = mk("ROUTE.OLD", "x", 1);
	ASSERT_EQ_INT(imcq_format_routetxt.bid(&e), 24);
	e = mk("route.dat", ROUTES, strlen(ROUTES));
	ASSERT_EQ_INT(imcq_format_routetxt.bid(&e), 0);
	e = mk("GWART0.MTA", ROUTES, strlen(ROUTES));
	ASSERT_EQ_INT(imcq_format_routetxt.bid(&e), 0);
	ASSERT_EQ_STR(imcq_format_routetxt.name, "route-txt");
	report_release(&rep);
	report_init(&rep);
}

TEST_MAIN(test_clean, test_dates, test_line_ends, test_truncated_last_line,
	  test_huge_line, test_binary_garbage, test_bid)
