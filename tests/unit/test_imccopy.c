/* SPDX-License-Identifier: MIT */
/*
 * test_imccopy.c - IMCCOPY -save routes / -save domain INI files (the
 * samples of Q182522 and Q262126 and damaged variants), with lines and
 * offsets.
 */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"

static const char sha[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void
read_ini(struct imcq_report *rep, const char *text, size_t len)
{
	struct imcq_entry e = unit_entry("Imcdata/save.txt", "save.txt",
					 IMCQ_PL_IMCDATA_OTHER, text, len);

	e.input = 1;
	e.snapshot = 3;
	e.mtime = 915148800;
	e.sha256 = sha;
	ASSERT_EQ_INT(unit_read(&imcq_format_imccopy, rep, &e), IMCQ_OK);
}

static const struct imcq_config *
cfg(const struct imcq_report *rep, const char *key, const char *name)
{
	size_t i;

	for (i = 0; i < rep->nconfig; i++)
		if ((key == NULL ? rep->config[i].key == NULL :
		     rep->config[i].key && strcmp(rep->config[i].key, key) == 0) &&
		    strcmp(rep->config[i].name, name) == 0)
			return &rep->config[i];
	return NULL;
}

static const struct imcq_route_entry *
route(const struct imcq_report *rep, const char *space)
{
	size_t i;

	for (i = 0; i < rep->nroutes; i++)
		if (strcmp(rep->routes[i].space, space) == 0)
			return &rep->routes[i];
	return NULL;
}

TEST(test_routes)
{
	static const char text[] =
		"[Routes]\r\n"						/* 1 */
		"DeliveryRouting=+\r\n"					/* 2 */
		"+DOMAIN.COM;10.1.2.3;0\r\n"				/* 3 */
		"+partner.example.org;mail.partner.example.org;0\r\n"	/* 4 */
		"DefaultRouting=\r\n";					/* 5 */
	struct imcq_report rep;
	const struct imcq_route_entry *r;
	const struct imcq_config *c;
	const struct imcq_table_file *t;

	report_init(&rep);
	read_ini(&rep, text, sizeof(text) - 1);
	ASSERT_EQ_INT(rep.nanoms, 0);
	ASSERT_EQ_INT(rep.nroutes, 2);
	r = route(&rep, "DOMAIN.COM");
	ASSERT(r != NULL);
	if (r) {
		ASSERT_EQ_STR(r->table, "imccopy-routes");
		ASSERT_EQ_STR(r->type, "SMTP");
		ASSERT_EQ_STR(r->host, "10.1.2.3");
		ASSERT_EQ_STR(r->raw, "+DOMAIN.COM;10.1.2.3;0");
		ASSERT_EQ_INT(r->line, 3);
		ASSERT_EQ_INT(r->offset, unit_off_of(text, "+DOMAIN"));
		ASSERT_EQ_INT(r->cost, -1);
		ASSERT_EQ_INT(r->input, 1);
		ASSERT_EQ_STR(r->member, "Imcdata/save.txt");
		ASSERT(r->connector == NULL && r->server == NULL);
	}
	r = route(&rep, "partner.example.org");
	ASSERT(r && strcmp(r->host, "mail.partner.example.org") == 0 && r->line == 4);
	ASSERT_EQ_INT(rep.nconfig, 2);
	c = cfg(&rep, "Routes", "DeliveryRouting");
	ASSERT(c && strcmp(c->value, "+") == 0 && c->line == 2 &&
	       strcmp(c->type, "ini") == 0 && c->snapshot == 3);
	c = cfg(&rep, "Routes", "DefaultRouting");
	ASSERT(c && strcmp(c->value, "") == 0 && c->line == 5);
	ASSERT_EQ_INT(rep.ntables, 1);
	t = &rep.tables[0];
	ASSERT_EQ_STR(t->table, "imccopy-routes");
	ASSERT_EQ_STR(t->style, "ini");
	ASSERT_EQ_INT(t->mtime, 915148800);
	ASSERT_EQ_STR(t->sha256, sha);
	ASSERT_EQ_INT(t->nlines, 5);
	ASSERT_EQ_INT(t->snapshot, 3);
	ASSERT_EQ_STR(t->member, "Imcdata/save.txt");
	report_release(&rep);
}

TEST(test_domain)
{
	/* as printed in Q262126, indented, LF line ends */
	static const char text[] =
		"  [Header]\n"						/* 1 */
		"  Version=1\n"						/* 2 */
		"\n"							/* 3 */
		"  [Domain]\n"						/* 4 */
		"  DomainInformation=+\n"				/* 5 */
		"  +Default,ISO-8859-1,ISO-8859-1,800,76,0,0,0\n"	/* 6 */
		"  +microsoft.com,ISO-8859-1,ISO-8859-1,800,76,0,0,5000\n"; /* 7 */
	struct imcq_report rep;
	const struct imcq_config *c;

	report_init(&rep);
	read_ini(&rep, text, sizeof(text) - 1);
	ASSERT_EQ_INT(rep.nanoms, 0);
	ASSERT_EQ_INT(rep.nroutes, 0);
	ASSERT_EQ_INT(rep.nconfig, 4);
	c = cfg(&rep, "Header", "Version");
	ASSERT(c && strcmp(c->value, "1") == 0 && c->line == 2);
	c = cfg(&rep, "Domain", "DomainInformation");
	ASSERT(c && strcmp(c->value, "+") == 0 && c->line == 5);
	c = cfg(&rep, "Domain", "Default");
	ASSERT(c && strcmp(c->value, "ISO-8859-1,ISO-8859-1,800,76,0,0,0") == 0 &&
	       c->line == 6 && strcmp(c->type, "ini") == 0);
	c = cfg(&rep, "Domain", "microsoft.com");
	ASSERT(c && strcmp(c->value, "ISO-8859-1,ISO-8859-1,800,76,0,0,5000") == 0 &&
	       c->line == 7);
	ASSERT_EQ_INT(rep.ntables, 1);
	ASSERT_EQ_STR(rep.tables[0].table, "imccopy-domain");
	ASSERT_EQ_INT(rep.tables[0].nlines, 7);
	report_release(&rep);
}

TEST(test_damaged_routes)
{
	static const char text[] =
		"Stray=1\r\n"				/* 1: before any section */
		"[Routes\r\n"				/* 2: no ']' */
		"DeliveryRouting=+\r"			/* 3: CR only */
		"+BROKEN.COM\r\n"			/* 4: 1 of 3 fields */
		"+;1.2.3.4;0\r\n"			/* 5: no domain */
		"+nohost.com;;0\r\n"			/* 6: empty host */
		"+four.com;1.1.1.1;0;extra\r\n"		/* 7: 4 fields */
		"junk line\r\n"				/* 8 */
		"=value\r\n"				/* 9 */
		"DefaultRouting=\r\n"			/* 10 */
		"+orphan.com;2.2.2.2;0\r\n";		/* 11: no list open */
	struct imcq_report rep;
	const struct imcq_route_entry *r;
	const struct imcq_config *c;

	report_init(&rep);
	read_ini(&rep, text, sizeof(text) - 1);
	c = cfg(&rep, NULL, "Stray");
	ASSERT(c && c->line == 1);
	ASSERT(unit_anomaly_at(&rep, "imccopy-key-outside-section", 0) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-truncated-line",
		       unit_off_of(text, "[Routes") + 7) != NULL);
	c = cfg(&rep, "Routes", "DeliveryRouting");
	ASSERT(c && c->line == 3);

	r = route(&rep, "BROKEN.COM");
	ASSERT(r && r->host == NULL && r->line == 4);
	ASSERT(unit_anomaly_at(&rep, "imccopy-truncated-line",
		       unit_off_of(text, "+BROKEN") + 11) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-route", unit_off_of(text, "+;1.2")) != NULL);
	r = route(&rep, "nohost.com");
	ASSERT(r && r->host == NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-route", unit_off_of(text, "+nohost")) != NULL);
	r = route(&rep, "four.com");
	ASSERT(r && strcmp(r->host, "1.1.1.1") == 0);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-route", unit_off_of(text, "+four")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-garbage", unit_off_of(text, "junk")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-garbage", unit_off_of(text, "=value")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-orphan-item", unit_off_of(text, "+orphan")) != NULL);
	r = route(&rep, "orphan.com");
	ASSERT(r && r->line == 11);
	ASSERT_EQ_INT(rep.nroutes, 4);
	ASSERT_EQ_INT(rep.ntables, 1);
	ASSERT_EQ_INT(rep.tables[0].nlines, 11);
	report_release(&rep);
}

TEST(test_damaged_domain)
{
	static const char text[] =
		"[Domain]\n"
		"DomainInformation=+\n"
		"+short.com,ISO-8859-1\n"
		"+bad.com,a,b,80x,76,3,0,0\n"
		"+,x,y,1,2,0,0,0\n"
		"+many.com,a,b,1,2,0,0,0,9\n";
	struct imcq_report rep;
	const struct imcq_config *c;

	report_init(&rep);
	read_ini(&rep, text, sizeof(text) - 1);
	c = cfg(&rep, "Domain", "short.com");
	ASSERT(c && strcmp(c->value, "ISO-8859-1") == 0 && c->line == 3);
	ASSERT(unit_anomaly_at(&rep, "imccopy-truncated-line",
		       unit_off_of(text, "+short") + strlen("+short.com,ISO-8859-1")) != NULL);
	c = cfg(&rep, "Domain", "bad.com");
	ASSERT(c && c->line == 4);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-domain", unit_off_of(text, "80x")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-domain", unit_off_of(text, "3,0,0\n")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-domain", unit_off_of(text, "+,x")) != NULL);
	ASSERT(unit_anomaly_at(&rep, "imccopy-bad-domain", unit_off_of(text, "+many")) != NULL);
	ASSERT_EQ_INT(unit_count_anomalies(&rep, "imccopy-bad-domain"), 4);
	ASSERT_EQ_INT(rep.nconfig, 4);	/* DomainInformation, short, bad, many */
	report_release(&rep);
}

TEST(test_caps_and_garbage)
{
	struct imcq_report rep;
	struct buf b;
	size_t k, off_long;

	buf_init(&b, 1 << 20);
	buf_appends(&b, "[Routes]\nDeliveryRouting=+\n");
	off_long = b.len;
	buf_appends(&b, "+");
	for (k = 0; k < 60; k++)
		buf_appendc(&b, 'a');
	buf_appends(&b, ".com;1.2.3.4;0\n+ok.com;5.6.7.8;0\nDefaultRouting=\n");
	report_init(&rep);
	rep.lim.line_bytes = 40;
	read_ini(&rep, b.data, b.len);
	ASSERT(unit_anomaly_at(&rep, "line-too-long", off_long) != NULL);
	ASSERT_EQ_INT(rep.nroutes, 1);
	ASSERT(route(&rep, "ok.com") != NULL);
	report_release(&rep);

	report_init(&rep);
	rep.lim.lines = 3;
	read_ini(&rep, b.data, b.len);
	ASSERT(unit_count_anomalies(&rep, "line-limit") == 1);
	ASSERT_EQ_INT(rep.nroutes, 1);	/* the long one, line 3 */
	ASSERT_EQ_INT(rep.tables[0].nlines, 3);
	report_release(&rep);
	buf_release(&b);

	/* no section at all, and a flood of junk */
	buf_init(&b, 1 << 20);
	for (k = 0; k < 300; k++)
		buf_appends(&b, "\x01 junk \xff\n");
	report_init(&rep);
	read_ini(&rep, b.data, b.len);
	ASSERT_EQ_INT(rep.ntables, 0);
	ASSERT_EQ_INT(rep.nconfig, 0);
	ASSERT(unit_count_anomalies(&rep, "imccopy-garbage") == 200);
	ASSERT(unit_count_anomalies(&rep, "anomalies-suppressed") == 1);
	report_release(&rep);
	buf_release(&b);

	report_init(&rep);
	read_ini(&rep, "", 0);
	ASSERT(unit_count_anomalies(&rep, "imccopy-no-table") == 1);
	report_release(&rep);
}

TEST(test_bid)
{
	struct imcq_entry e;
	static const char *const yes[] = {
		"[Routes]\r\nDeliveryRouting=+\r\n+A.COM;1.2.3.4;0\r\nDefaultRouting=\r\n",
		"  [Header]\n  Version=1\n\n  [Domain]\n  DomainInformation=+\n",
		"[routes]\ndeliveryrouting = \n",
	};
	static const char *const no[] = {
		"[Routes]\r\nSomething=1\r\n",
		"DeliveryRouting=+\r\n+A.COM;1.2.3.4;0\r\n",
		"[Routes]\r\nDeliveryRoutingX=+\r\n",
		"REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\X]\r\n",
		"",
	};
	static const char bin[] = "[Routes]\nDeliveryRouting=+\n\0\0";
	size_t k;

	memset(&e, 0, sizeof(e));
	e.base = "save.txt";
	for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++) {
		e.data = (const unsigned char *)yes[k];
		e.len = e.size = strlen(yes[k]);
		ASSERT_EQ_INT(imcq_format_imccopy.bid(&e), 40);
	}
	for (k = 0; k < sizeof(no) / sizeof(no[0]); k++) {
		e.data = (const unsigned char *)no[k];
		e.len = e.size = strlen(no[k]);
		ASSERT_EQ_INT(imcq_format_imccopy.bid(&e), 0);
	}
	e.data = (const unsigned char *)bin;
	e.len = e.size = sizeof(bin);
	ASSERT_EQ_INT(imcq_format_imccopy.bid(&e), 0);
	ASSERT_EQ_STR(imcq_format_imccopy.name, "imccopy");
}

TEST_MAIN(test_routes, test_domain, test_damaged_routes, test_damaged_domain,
	  test_caps_and_garbage, test_bid)
