/* SPDX-License-Identifier: MIT */
/* test_gwart.c - the GWART0.MTA / GWART1.MTA reader: both styles, bids,
 * line ends, damage. */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/xalloc.h"

static const char SHA[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static struct imcq_report rep;

static struct imcq_entry
mk(const char *member, const char *base, enum imcq_place pl, const void *p,
   size_t n)
{
	struct imcq_entry e = unit_entry(member, base, pl, p, n);

	e.mtime = 1000;
	e.sha256 = SHA;
	return e;
}

static int
run(const char *member, const char *base, const void *p, size_t n)
{
	struct imcq_entry e = mk(member, base, IMCQ_PL_MTADATA, p, n);

	unit_fresh(&rep);
	return unit_read(&imcq_format_gwart, &rep, &e);
}

static int
bid_of(const char *base, const void *p, size_t n)
{
	struct imcq_entry e = mk(base, base, IMCQ_PL_MTADATA, p, n);

	return imcq_format_gwart.bid(&e);
}

/* Q149121's sample plus a blank space, two connectors with a scope, and
 * DN connectors. */
static const char FLAT[] =
	"  EX,/O=WYNNWARE/OU=FRISCO;,1, Connection to Frisco\n"
	"  EX,/O=MICROSOFT/OU=BSD;,1,Site Connector (BSD),\n"
	"  MS,MSNET/PO1;,1,MS Mail Connector (PLUTO),\n"
	"  SMTP,*;,1,Internet Mail Connector (SATURN),\n"
	"  X400,c=GB;a=TMAILUK;p=*,1,Connection to Frisco,\n"
	"  X400,c=US;a= ;p=MICROSOFT;o=BSD;,1,Site Connector (BSD),\n"
	"SMTP,;,1,Internet Mail Service (VENUS),\n"
	"SMTP,*@example.com;,2,Internet Mail Service (A),Internet Mail Service (B),This site,\n"
	"SMTP,*@x.org;,5,/o=ORG/ou=SITE/cn=Configuration/cn=Servers/cn=VENUS/cn=IMS,\n"
	"SMTP,*@y.org;,7,/o=O/ou=S/cn=Configuration/cn=Connections/cn=Internet Mail Connector (TAMRAJ2),\n";

TEST(test_flat_clean)
{
	const struct imcq_route_entry *r;
	const char *l4 = strstr(FLAT, "  SMTP,*;");
	int rc = run("Exchsrvr/Mtadata/GWART0.MTA", "GWART0.MTA", FLAT, strlen(FLAT));

	ASSERT_EQ_INT(rc, IMCQ_OK);
	ASSERT_EQ_INT(rep.nroutes, 11);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nroutes != 11)
		return;
	r = &rep.routes[0];
	ASSERT_EQ_STR(r->table, "gwart0");
	ASSERT_EQ_STR(r->type, "EX");
	ASSERT_EQ_STR(r->space, "/O=WYNNWARE/OU=FRISCO");
	ASSERT_EQ_INT(r->cost, 1);
	ASSERT_EQ_STR(r->connector, "Connection to Frisco");
	ASSERT_EQ_STR(r->server, NULL);
	ASSERT_EQ_INT(r->line, 1);
	ASSERT_EQ_INT(r->offset, 0);
	ASSERT_EQ_STR(r->member, "Exchsrvr/Mtadata/GWART0.MTA");

	r = &rep.routes[2];
	ASSERT_EQ_STR(r->type, "MS");
	ASSERT_EQ_STR(r->space, "MSNET/PO1");
	ASSERT_EQ_STR(r->server, NULL);	/* only IMS names give a server */

	r = &rep.routes[3];
	ASSERT_EQ_STR(r->type, "SMTP");
	ASSERT_EQ_STR(r->space, "*");
	ASSERT_EQ_INT(r->cost, 1);
	ASSERT_EQ_STR(r->connector, "Internet Mail Connector (SATURN)");
	ASSERT_EQ_STR(r->server, "SATURN");
	ASSERT_EQ_STR(r->scope, NULL);
	ASSERT_EQ_STR(r->raw, "SMTP,*;,1,Internet Mail Connector (SATURN),");
	ASSERT_EQ_INT(r->line, 4);
	ASSERT_EQ_INT(r->offset, (uint64_t)(l4 - FLAT));

	ASSERT_EQ_STR(rep.routes[4].space, "c=GB;a=TMAILUK;p=*");
	ASSERT_EQ_STR(rep.routes[4].type, "X400");
	ASSERT_EQ_STR(rep.routes[5].space, "c=US;a= ;p=MICROSOFT;o=BSD");

	r = &rep.routes[6];
	ASSERT_EQ_STR(r->space, "");	/* a blank space shows as ";" */
	ASSERT_EQ_STR(r->server, "VENUS");
	ASSERT_EQ_INT(r->line, 7);

	/* two connectors: two entries from one line, with the scope */
	ASSERT_EQ_STR(rep.routes[7].connector, "Internet Mail Service (A)");
	ASSERT_EQ_STR(rep.routes[7].server, "A");
	ASSERT_EQ_STR(rep.routes[8].connector, "Internet Mail Service (B)");
	ASSERT_EQ_STR(rep.routes[8].server, "B");
	ASSERT_EQ_INT(rep.routes[7].line, 8);
	ASSERT_EQ_INT(rep.routes[8].line, 8);
	ASSERT_EQ_INT(rep.routes[8].cost, 2);
	ASSERT_EQ_STR(rep.routes[7].scope, "site");
	ASSERT_EQ_STR(rep.routes[8].scope, "site");
	ASSERT_EQ_STR(rep.routes[8].space, "*@example.com");

	ASSERT_EQ_STR(rep.routes[9].server, "VENUS");	/* cn after cn=Servers */
	ASSERT_EQ_INT(rep.routes[9].cost, 5);
	ASSERT_EQ_STR(rep.routes[10].server, "TAMRAJ2");	/* last cn, IMS name */

	ASSERT_EQ_INT(rep.ntables, 1);
	ASSERT_EQ_STR(rep.tables[0].table, "gwart0");
	ASSERT_EQ_STR(rep.tables[0].style, "flat");
	ASSERT_EQ_INT(rep.tables[0].nlines, 10);
	ASSERT_EQ_INT(rep.tables[0].mtime, 1000);
	ASSERT_EQ_INT(rep.tables[0].newest_time, IMCQ_NOTIME);
	ASSERT_EQ_STR(rep.tables[0].sha256, SHA);
	ASSERT_EQ_STR(rep.tables[0].member, "Exchsrvr/Mtadata/GWART0.MTA");
}

/* Q159186's tree, an else doorway (Q221699) and a typed branch. */
static const char TREE[] =
	"Routing table 11/23/98 2:05:00 PM\n"
	"c=<US>\n"
	" a=<SOME-NAME>\n"
	"  p=<COMPANY>\n"
	"        ROUTE1, 0001\n"
	"        /O=SOME-NAME/OU=NEW-YORK/../CN=ROUTE1\n"
	"\n"
	"        SITE CONNECTOR (UNITED KINGDOM), 0002\n"
	"        /O=SOME-NAME/OU=NEW-YORK/../CN=SITE CONNECTOR (UNITED KINGDOM)\n"
	"        /O=SOME-NAME/OU=UNITED KINGDOM/../CN=SITE CONNECTOR (NEW-YORK)\n"
	"  else\n"
	"        FALLBACK, 0003\n"
	" a=<OTHER>\n"
	"        X400 CONNECTOR, 0010\n"
	"SMTP\n"
	"dom=<example.com>\n"
	"        Internet Mail Service (VENUS), 0001\n"
	"        /o=ORG/ou=SITE/cn=Configuration/cn=Servers/cn=VENUS/cn=Internet Mail Service\n";

TEST(test_tree_clean)
{
	const struct imcq_route_entry *r;
	int64_t t;
	int rc = run("x/MTADATA/gwart1.mta", "gwart1.mta", TREE, strlen(TREE));

	ASSERT_EQ_INT(rc, IMCQ_OK);
	ASSERT_EQ_INT(rep.nroutes, 5);
	if (rep.nroutes != 5)
		return;
	r = &rep.routes[0];
	ASSERT_EQ_STR(r->table, "gwart1");
	ASSERT_EQ_STR(r->type, "X400");
	ASSERT_EQ_STR(r->space, "c=US;a=SOME-NAME;p=COMPANY");
	ASSERT_EQ_STR(r->connector, "ROUTE1");
	ASSERT_EQ_INT(r->cost, 1);
	ASSERT_EQ_STR(r->server, "ROUTE1");
	ASSERT_EQ_INT(r->line, 5);
	ASSERT_EQ_INT(r->offset, (uint64_t)(strstr(TREE, "        ROUTE1") - TREE));
	ASSERT_EQ_STR(r->raw, "ROUTE1, 0001 | /O=SOME-NAME/OU=NEW-YORK/../CN=ROUTE1");

	r = &rep.routes[1];
	ASSERT_EQ_STR(r->connector, "SITE CONNECTOR (UNITED KINGDOM)");
	ASSERT_EQ_INT(r->cost, 2);
	ASSERT_EQ_STR(r->space, "c=US;a=SOME-NAME;p=COMPANY");
	ASSERT_EQ_STR(r->server, "SITE CONNECTOR (UNITED KINGDOM)");
	ASSERT(r->raw && strstr(r->raw, "CN=SITE CONNECTOR (NEW-YORK)") != NULL);
	ASSERT_EQ_INT(r->line, 8);

	r = &rep.routes[2];
	ASSERT_EQ_STR(r->space, "c=US;a=SOME-NAME;*");
	ASSERT_EQ_STR(r->connector, "FALLBACK");
	ASSERT_EQ_INT(r->cost, 3);
	ASSERT_EQ_STR(r->server, NULL);

	ASSERT_EQ_STR(rep.routes[3].space, "c=US;a=OTHER");
	ASSERT_EQ_INT(rep.routes[3].cost, 10);

	r = &rep.routes[4];
	ASSERT_EQ_STR(r->type, "SMTP");
	ASSERT_EQ_STR(r->space, "dom=example.com");
	ASSERT_EQ_STR(r->server, "VENUS");

	ASSERT_EQ_STR(rep.tables[0].style, "tree");
	ASSERT_EQ_INT(rep.tables[0].nlines, 18);
	ASSERT(imcq_mktime(1998, 11, 23, 14, 5, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);
	/* the title line is neither style */
	ASSERT(unit_anomaly(&rep, "unrecognized-line") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "unrecognized-line")->offset, 0);
}

TEST(test_dates_inside)
{
	static const char d[] =
		"Generated 1/2/03 12:15:00 AM\n"
		"Previous 2026-11-23 14:00:00\n"
		"Older Mon Nov 23 13:00:00 2026\n"
		"SMTP,*;,1,Internet Mail Service (B),\n";
	int64_t t;

	run("GWART0.MTA", "GWART0.MTA", d, strlen(d));
	ASSERT(imcq_mktime(2026, 11, 23, 14, 0, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);

	run("GWART0.MTA", "GWART0.MTA", d, strlen("Generated 1/2/03 12:15:00 AM\n"));
	ASSERT(imcq_mktime(2003, 1, 2, 0, 15, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);
	ASSERT_EQ_STR(rep.tables[0].style, "text");
	ASSERT(unit_anomaly(&rep, "no-routes") != NULL);

	run("GWART0.MTA", "GWART0.MTA", strstr(d, "Older"),
	    strlen("Older Mon Nov 23 13:00:00 2026\n"));
	ASSERT(imcq_mktime(2026, 11, 23, 13, 0, 0, &t));
	ASSERT_EQ_INT(rep.tables[0].newest_time, t);
}

TEST(test_line_ends)
{
	static const char crlf[] =
		"SMTP,*;,1,Internet Mail Connector (SATURN),\r\n"
		"MS,MSNET/PO1;,1,MS Mail Connector (PLUTO),\r\n";
	static const char cr[] =
		"SMTP,*;,1,Internet Mail Connector (SATURN),\r"
		"MS,MSNET/PO1;,1,MS Mail Connector (PLUTO),\r";

	run("GWART0.MTA", "GWART0.MTA", crlf, strlen(crlf));
	ASSERT_EQ_INT(rep.nroutes, 2);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nroutes == 2) {
		ASSERT_EQ_STR(rep.routes[0].connector, "Internet Mail Connector (SATURN)");
		ASSERT_EQ_INT(rep.routes[1].offset, 45);
		ASSERT_EQ_INT(rep.routes[1].line, 2);
		ASSERT_EQ_STR(rep.routes[1].raw, "MS,MSNET/PO1;,1,MS Mail Connector (PLUTO),");
	}
	run("GWART0.MTA", "GWART0.MTA", cr, strlen(cr));
	ASSERT_EQ_INT(rep.nroutes, 2);
	ASSERT_EQ_INT(rep.nanoms, 0);
	if (rep.nroutes == 2) {
		ASSERT_EQ_INT(rep.routes[1].offset, 44);
		ASSERT_EQ_INT(rep.routes[1].line, 2);
		ASSERT_EQ_STR(rep.routes[1].space, "MSNET/PO1");
	}
	ASSERT_EQ_INT(rep.tables[0].nlines, 2);
}

TEST(test_truncated_last_line)
{
	static const char d[] =
		"SMTP,*;,1,Internet Mail Connector (SATURN),\n"
		"SMTP,*@b.com;,3,Internet Mail Connector (SAT";

	ASSERT_EQ_INT(run("GWART0.MTA", "GWART0.MTA", d, strlen(d)), IMCQ_OK);
	ASSERT_EQ_INT(rep.nroutes, 2);
	if (rep.nroutes == 2) {
		ASSERT_EQ_STR(rep.routes[1].connector, "Internet Mail Connector (SAT");
		ASSERT_EQ_STR(rep.routes[1].server, NULL);
		ASSERT_EQ_INT(rep.routes[1].cost, 3);
	}
	ASSERT(unit_anomaly(&rep, "no-final-newline") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "no-final-newline")->offset, 44);
}

TEST(test_huge_line)
{
	size_t big = (size_t)1 << 20;
	const char *tail = "\nSMTP,*;,1,Internet Mail Service (X),\n";
	char *d = xmalloc(big + strlen(tail));

	memset(d, 'A', big);
	memcpy(d + big, tail, strlen(tail));
	ASSERT_EQ_INT(run("GWART0.MTA", "GWART0.MTA", d, big + strlen(tail)), IMCQ_OK);
	ASSERT(unit_anomaly(&rep, "line-too-long") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "line-too-long")->offset, 0);
	ASSERT_EQ_INT(rep.nroutes, 1);
	if (rep.nroutes == 1) {
		ASSERT_EQ_INT(rep.routes[0].line, 2);
		ASSERT_EQ_INT(rep.routes[0].offset, big + 1);
		ASSERT_EQ_STR(rep.routes[0].server, "X");
	}
	free(d);
}

static unsigned char *
garbage(size_t n)
{
	unsigned char *p = xmalloc(n);
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	return p;
}

TEST(test_binary_garbage)
{
	size_t n = 65536;
	unsigned char *g = garbage(n);

	ASSERT_EQ_INT(bid_of("3SW32JRP", g, n), 0);
	ASSERT(bid_of("GWART0.MTA", g, n) <= 16);
	run("GWART0.MTA", "GWART0.MTA", g, n);
	ASSERT(unit_anomaly(&rep, "binary-data") != NULL);
	ASSERT(unit_anomaly(&rep, "no-routes") != NULL);
	ASSERT_EQ_INT(rep.nroutes, 0);
	ASSERT_EQ_INT(rep.ntables, 1);
	free(g);
}

TEST(test_bid)
{
	static const char tree_only[] = "c=<US>\n a=<X>\n        ROUTE1, 0001\n";

	ASSERT_EQ_INT(bid_of("GWART0.MTA", FLAT, strlen(FLAT)), 40);
	ASSERT_EQ_INT(bid_of("gwart1.mta", FLAT, strlen(FLAT)), 40);
	ASSERT_EQ_INT(bid_of("saved.txt", FLAT, strlen(FLAT)), 24);
	ASSERT_EQ_INT(bid_of("GWART0.MTA", "", 0), 16);
	ASSERT_EQ_INT(bid_of("GWART0.MTA", tree_only, strlen(tree_only)), 28);
	ASSERT_EQ_INT(bid_of("notes.txt", tree_only, strlen(tree_only)), 0);
	ASSERT_EQ_INT(bid_of("notes.txt", "Hello, world, 1, 2\n", 19), 0);
	ASSERT_EQ_INT(bid_of("ROUTE.TXT", "", 0), 0);
	ASSERT_EQ_STR(imcq_format_gwart.name, "gwart");
}

TEST(test_other_name_table)
{
	run("saved.txt", "saved.txt", FLAT, strlen(FLAT));
	ASSERT_EQ_STR(rep.tables[0].table, "gwart");
	ASSERT_EQ_STR(rep.routes[0].table, "gwart");
	report_release(&rep);
	report_init(&rep);
}

TEST_MAIN(test_flat_clean, test_tree_clean, test_dates_inside, test_line_ends,
	  test_truncated_last_line, test_huge_line, test_binary_garbage, test_bid,
	  test_other_name_table)
