/* SPDX-License-Identifier: MIT */
/* test_routing.c - the address-space matcher and connector selection
 * (Q229961, Q152471, Q262952, Q193322), and analyze_routing's diagnoses on
 * hand-built reports: each one present, and each one absent. */
#include "test.h"

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/pipeline.h"
#include "analyzer/routing_engine.h"

/* ---- matcher ------------------------------------------------------------ */

static enum rt_match
kind(const char *type, const char *space, const char *addr)
{
	struct rt_match_info mi;

	rt_space_match(type, space, "SMTP", addr, &mi);
	return mi.kind;
}

TEST(test_match_kinds)
{
	struct rt_match_info mi;

	/* Q229961's four examples */
	ASSERT_EQ_INT(kind("SMTP", "userz@microsoft.com", "userz@microsoft.com"), RT_EXACT);
	ASSERT_EQ_INT(kind("SMTP", "*@microsoft.com", "userz@microsoft.com"), RT_WILDCARD);
	ASSERT_EQ_INT(kind("SMTP", "userz@com", "userz@microsoft.com"), RT_PARTIAL);
	ASSERT_EQ_INT(kind("SMTP", "", "userz@microsoft.com"), RT_BLANK);
	ASSERT_EQ_INT(kind("SMTP", " ", "userz@microsoft.com"), RT_BLANK);
	/* literal characters of a wildcard */
	ASSERT(rt_space_match("SMTP", "*@example.com", "SMTP", "bob@example.com", &mi));
	ASSERT_EQ_INT(mi.literal, 12);
	ASSERT(rt_space_match("SMTP", "*", "SMTP", "bob@example.com", &mi));
	ASSERT_EQ_INT(mi.kind, RT_WILDCARD);
	ASSERT_EQ_INT(mi.literal, 0);
	/* case does not matter; the type may be repeated in the value */
	ASSERT_EQ_INT(kind("smtp", "*@EXAMPLE.com", "Bob@example.COM"), RT_WILDCARD);
	ASSERT_EQ_INT(kind("SMTP", "SMTP:*@example.com", "bob@example.com"), RT_WILDCARD);
	/* wildcards anywhere, over the whole address */
	ASSERT_EQ_INT(kind("SMTP", "*@*.example.com", "a@mx.example.com"), RT_WILDCARD);
	ASSERT_EQ_INT(kind("SMTP", "*@*.example.com", "a@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", "*@example.com", "a@example.com.evil.test"), RT_NONE);
	/* another type never matches */
	ASSERT_EQ_INT(kind("X400", "*", "bob@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind(NULL, "*", "bob@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", NULL, "bob@example.com"), RT_NONE);
}

TEST(test_match_whole_address)
{
	/* Q229961: the local part is not stripped */
	ASSERT_EQ_INT(kind("SMTP", "example.com", "user@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", "@example.com", "user@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", "*@example.com", "user@example.com"), RT_WILDCARD);
	/* partial: same local part, whole trailing labels only */
	ASSERT_EQ_INT(kind("SMTP", "user@com", "user@example.com"), RT_PARTIAL);
	ASSERT_EQ_INT(kind("SMTP", "user@ample.com", "user@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", "other@com", "user@example.com"), RT_NONE);
	ASSERT_EQ_INT(kind("SMTP", "user", "user@example.com"), RT_NONE);
}

TEST(test_match_x400_partial)
{
	struct rt_match_info mi;

	ASSERT(rt_space_match("X400", "c=US;a= ;p=CONTOSO", "X400",
			      "c=US;a= ;p=CONTOSO;o=BRANCH;s=Smith", &mi));
	ASSERT_EQ_INT(mi.kind, RT_PARTIAL);
	ASSERT(!rt_space_match("X400", "c=US;a= ;p=CONT", "X400",
			       "c=US;a= ;p=CONTOSO;o=BRANCH", &mi));
}

/* ---- selection ---------------------------------------------------------- */

static struct imcq_route_entry ents[8];
static const struct imcq_route_entry *eptr[8];

static void
ent(size_t i, const char *type, const char *space, int cost, const char *connector)
{
	struct imcq_route_entry *e = &ents[i];

	memset(e, 0, sizeof(*e));
	e->type = (char *)type;
	e->space = (char *)space;
	e->cost = cost;
	e->connector = (char *)connector;
	e->server = rt_server_of_connector(connector);
	e->table = "gwart0";
	e->line = i + 1;
	eptr[i] = e;
}

static void
ents_free(size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].server);
}

#define IMC_A "Internet Mail Connector (EXA1)"
#define IMC_B "Internet Mail Connector (EXB2)"
#define IMC_C "Internet Mail Service (EXC3)"

TEST(test_select_exact_over_wildcard)
{
	struct rt_choice c;

	ent(0, "SMTP", "*", 1, IMC_A);
	ent(1, "SMTP", "bob@example.com", 50, IMC_B);
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[1]);
	ASSERT_EQ_INT(c.mi.kind, RT_EXACT);
	ASSERT(strstr(c.rule, "exact match") != NULL);
	ASSERT(strstr(c.rule, "Q193322 steps 2-5") != NULL);
	rt_choice_release(&c);
	ents_free(2);
}

TEST(test_select_more_literals)
{
	struct rt_choice c;

	ent(0, "SMTP", "*", 1, IMC_B);
	ent(1, "SMTP", "*@example.com", 5, IMC_A);
	ent(2, "SMTP", "*.com", 1, IMC_C);
	ASSERT(rt_select(eptr, 3, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[1]);
	ASSERT_EQ_INT(c.mi.literal, 12);
	ASSERT(strstr(c.rule, "wildcard '*@example.com' (12 literal characters)") != NULL);
	ASSERT(strstr(c.rule, "more literal characters") != NULL);
	ASSERT(c.beaten == &ents[2]);
	rt_choice_release(&c);
	ents_free(3);
}

TEST(test_select_star_beats_blank)
{
	struct rt_choice c;

	/* Q152471: SMTP:* over SMTP: even at the highest cost */
	ent(0, "SMTP", "", 1, IMC_A);
	ent(1, "SMTP", "*", 100, IMC_B);
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[1]);
	ASSERT(strstr(c.rule, "Q152471") != NULL);
	ASSERT(strstr(c.rule, "Q262952") != NULL);	/* cost 100 */
	rt_choice_release(&c);
	/* blank alone still routes */
	ASSERT(rt_select(eptr, 1, "SMTP", "bob@example.com", NULL, &c));
	ASSERT_EQ_INT(c.mi.kind, RT_BLANK);
	rt_choice_release(&c);
	ents_free(2);
}

TEST(test_select_cost_and_ties)
{
	struct rt_choice c;

	ent(0, "SMTP", "*", 2, IMC_A);
	ent(1, "SMTP", "*", 1, IMC_B);
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[1]);
	ASSERT(strstr(c.rule, "lower cost, 1 over 2") != NULL);
	rt_choice_release(&c);
	/* equal cost: a tie, the first in the table is shown */
	ents[0].cost = 1;
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[0]);
	ASSERT_EQ_INT(c.ntied, 1);
	ASSERT(strstr(c.rule, "tied") != NULL);
	rt_choice_release(&c);
	/* equal cost, one of them local (Q193322 step 7) */
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", "EXB2", &c));
	ASSERT(c.best == &ents[1]);
	ASSERT_EQ_INT(c.ntied, 0);
	ASSERT(strstr(c.rule, "local connector over remote") != NULL);
	rt_choice_release(&c);
	/* an unknown cost sorts after a known one */
	ents[0].cost = -1;
	ents[1].cost = 90;
	ASSERT(rt_select(eptr, 2, "SMTP", "bob@example.com", NULL, &c));
	ASSERT(c.best == &ents[1]);
	rt_choice_release(&c);
	ents_free(2);
}

TEST(test_select_no_match)
{
	struct rt_choice c;

	ent(0, "SMTP", "*@example.com", 1, IMC_A);
	ent(1, "SMTP", "example.org", 1, IMC_B);
	ent(2, "X400", "*", 1, "Site Connector (BRANCH)");
	ASSERT(!rt_select(eptr, 3, "SMTP", "bob@example.org", NULL, &c));
	ASSERT(c.best == NULL);
	ASSERT(strstr(c.rule, "no address space matches 'bob@example.org'") != NULL);
	ASSERT(strstr(c.rule, "2 SMTP address spaces") != NULL);
	rt_choice_release(&c);
	ents_free(3);
}

/* The index must choose exactly what the linear selection chooses: random
 * tables (fixed seed) of wildcard, exact, partial and blank spaces, costs
 * and connectors, against random addresses. */
TEST(test_select_indexed_same)
{
	static const char *const spaces[] = {
		"*", "", "*@example.com", "*@*.example.com", "bob@example.com",
		"example.com", "@example.com", "*@sub.example.com", "b*@example.com",
		"*@example.net", "bob@sub.example.com", "*bob@example.org", "*.com",
	};
	static const char *const addrs[] = {
		"bob@example.com", "alice@example.com", "bob@sub.example.com",
		"x@deep.sub.example.com", "bob@example.net", "carol@example.org",
		"bob@example.org", "nobody@unroutable.test", "bob@EXAMPLE.COM",
		"b@example.com",
	};
	static const char *const conns[] = { IMC_A, IMC_B, IMC_C };
	unsigned seed = 4711;
	int round, k;

	for (round = 0; round < 300; round++) {
		size_t n = 1 + (size_t)(round % 8);
		struct rt_index *x;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			ent(i, (seed >> 20) % 9 ? "SMTP" : "X400",
			    spaces[(seed >> 8) % (sizeof(spaces) / sizeof(spaces[0]))],
			    1 + (int)((seed >> 4) % 3) * 49, conns[(seed >> 16) % 3]);
		}
		x = rt_index_new(eptr, n, "SMTP");
		for (k = 0; k < (int)(sizeof(addrs) / sizeof(addrs[0])); k++) {
			struct rt_choice a, b;
			bool ra = rt_select(eptr, n, "SMTP", addrs[k], "EXB2", &a);
			bool rb = rt_select_indexed(x, addrs[k], "EXB2", &b);

			ASSERT_EQ_INT(ra, rb);
			ASSERT(a.best == b.best);
			ASSERT_EQ_INT(a.nmatching, b.nmatching);
			ASSERT_EQ_INT(a.ntied, b.ntied);
			ASSERT_EQ_STR(a.rule, b.rule);
			rt_choice_release(&a);
			rt_choice_release(&b);
		}
		rt_index_free(x);
		ents_free(n);
	}
}

TEST(test_server_of_connector)
{
	char *s = rt_server_of_connector("Internet Mail Connector (EXA1)");

	ASSERT_EQ_STR(s, "EXA1");
	free(s);
	s = rt_server_of_connector("Internet Mail Service (B2) ,");
	ASSERT_EQ_STR(s, "B2");
	free(s);
	ASSERT(rt_server_of_connector("Site Connector") == NULL);
	ASSERT(rt_server_of_connector(NULL) == NULL);
}

/* ---- analyze_routing on hand-built reports ------------------------------ */

static int64_t T_GW1, T_RT, T_GW0, T_REF;
static struct imcq_report rep;
static struct imcq_opts opts;
static int64_t g_now = IMCQ_NOTIME;	/* --now for the next build */

enum {
	F_ROUTE_NEW = 1u << 0,	/* Route.txt newer than GWART0 */
	F_NO_GW = 1u << 1,	/* no GWART at all */
	F_GW1_ONLY = 1u << 2,	/* only GWART1 */
	F_STAR0 = 1u << 3,	/* GWART0 also has SMTP:* (no NO_ROUTE) */
	F_NO_LOGS = 1u << 4,	/* no tracking and no sessions */
	F_RECENT = 1u << 5,	/* the messages were queued just now */
	F_DELIVERED = 1u << 6,	/* a 1011 for message 1 */
	F_DNS = 1u << 7,	/* a 499 session for message 1 */
	F_SMART = 1u << 8,	/* smart host configured; failing session to it */
	F_REJECT = 1u << 9,	/* 550 to RCPT TO for message 1 */
	F_EHLO500 = 1u << 10,	/* 500 to EHLO only */
	F_INONLY = 1u << 11,	/* transfer mode Inbound Only, GWART0 *-> EXB2 */
	F_BOTH = 1u << 12,	/* transfer mode Inbound and Outbound */
	F_IMCCOPY = 1u << 13,	/* per-domain route for example.com */
	F_AFTER = 1u << 14,	/* messages queued after the change only */
	F_SITEDOM = 1u << 15,	/* SiteDomain = contoso.test, a local rcpt */
	F_SMART_OK = 1u << 16,	/* smart host configured, no failure */
	F_OLD_ONLY = 1u << 17,	/* Route.old but no Route.txt */
	F_NOMATCH3 = 1u << 18,	/* two more unroutable recipients, one 5000 bytes long */
};

static void
inv(const char *member, int64_t mtime)
{
	struct imcq_inv v = { .input = 0, .member = xstrdup(member), .mtime = mtime,
			      .kind = "unknown" };

	VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
}

static void
table(const char *name, const char *member, int64_t mtime)
{
	struct imcq_table_file *t = report_add_table(&rep);

	t->input = 0;
	t->member = xstrdup(member);
	t->table = name;
	t->style = "flat";
	t->mtime = mtime;
	t->snapshot = 0;
	inv(member, mtime);
}

static void
route(const char *table, const char *member, const char *type, const char *space,
      int cost, const char *connector, const char *host)
{
	struct imcq_route_entry *e = report_add_route(&rep);

	e->input = 0;
	e->member = xstrdup(member);
	e->table = table;
	e->line = rep.nroutes;
	e->offset = 10 * rep.nroutes;
	e->type = type ? xstrdup(type) : NULL;
	e->space = space ? xstrdup(space) : NULL;
	e->cost = cost;
	e->connector = connector ? xstrdup(connector) : NULL;
	e->server = rt_server_of_connector(connector);
	e->host = host ? xstrdup(host) : NULL;
	e->raw = xasprintf("%s,%s;,%d,%s,", type ? type : "", space ? space : "", cost,
			   connector ? connector : "");
}

static void
config(const char *member, const char *name, const char *value)
{
	struct imcq_config *c = report_add_config(&rep);

	c->input = 0;
	c->member = xstrdup(member);
	c->line = rep.nconfig;
	c->key = xstrdup("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters");
	c->name = xstrdup(name);
	c->value = xstrdup(value);
	c->type = "sz";
	c->snapshot = 0;
}

static struct imcq_message *
message(const char *id, const char *rcpt, int64_t qt)
{
	struct imcq_message *m = message_new();
	char *member = xasprintf("Exchsrvr/Imcdata/Out/%s", id);
	struct imcq_source src = { .input = 0, .member = member, .mtime = qt };

	m->spool_id = xstrdup(id);
	m->format = xstrdup("spool");
	m->queue = IMCQ_Q_OUT;
	m->place = IMCQ_PL_OUT;
	m->state = IMCQ_ST_AWAITING_DELIVERY;
	m->queue_time = qt;
	m->snapshot = 0;
	m->im->env.mail_from = xstrdup("alice@contoso.test");
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Contoso;l=EXB2-261125130214Z-1");
	strv_push(&m->im->env.rcpt_to, xstrdup(rcpt));
	message_add_rcpt(m, rcpt);
	m->im->hdr.subject = xasprintf("subject of %s", id);
	message_add_source(m, &src);
	inv(member, qt);
	free(member);
	report_add_message(&rep, m);
	return m;
}

static void
event(int no, const char *spool, const char *rcpt, int64_t t)
{
	struct imcq_event *e = report_add_event(&rep);

	e->input = 0;
	e->member = xstrdup("Exchsrvr/Tracking.log/20261125.log");
	e->line = rep.nevents;
	e->offset = 100 * rep.nevents;
	e->source = "tracking";
	e->time = t;
	e->event_no = no;
	e->spool_id = xstrdup(spool);
	e->gateway = xstrdup("/o=Contoso/ou=HQ/cn=Configuration/cn=Connections/cn="
			     "Internet Mail Connector (EXB2)");
	event_add_rcpt(e, xstrdup(rcpt));
	e->text = xasprintf("%d tracking", no);
	e->snapshot = 0;
}

/* One protocol-log session for bob@example.com with one reply line. */
static void
session(const char *member, const char *remote, const char *outcome, const char *reply,
	int64_t start, bool with_rcpt)
{
	struct imcq_session *s = report_add_session(&rep);
	struct imcq_event *e;

	s->input = 0;
	s->member = xstrdup(member);
	s->line_first = 1;
	s->line_last = 5;
	s->start = s->end = start;
	s->remote = xstrdup(remote);
	s->direction = "outbound";
	s->mail_from = xstrdup("alice@contoso.test");
	if (with_rcpt)
		strv_push(&s->rcpts, xstrdup("bob@example.com"));
	s->outcome = outcome;
	s->outcome_line = xstrdup(reply);
	s->snapshot = 0;
	s->local_time = false;
	inv(member, start + 10);
	e = report_add_event(&rep);
	e->input = 0;
	e->member = xstrdup(member);
	e->line = 1;
	e->source = "protocol-log";
	e->time = start;
	e->time_raw = xstrdup("11/25/26 1:00:00 PM");
	e->text = xasprintf("A connection to %s was established.", remote);
	e->snapshot = 0;
	e = report_add_event(&rep);
	e->input = 0;
	e->member = xstrdup(member);
	e->line = 4;
	e->offset = 200;
	e->source = "protocol-log";
	e->time = start + 5;
	e->text = xstrdup(reply);
	if (with_rcpt)
		event_add_rcpt(e, xstrdup("bob@example.com"));
	e->snapshot = 0;
}

static void
build(unsigned fl)
{
	int64_t qt;
	struct imcq_input in = { .path = xstrdup("backups/serverB.zip"), .kind = "archive",
				 .snapshot = 0, .mtime = IMCQ_NOTIME };

	report_release(&rep);
	report_init(&rep);
	opts_default(&opts);
	opts.now = g_now;
	imcq_mktime(2026, 11, 24, 16, 33, 40, &T_GW1);
	imcq_mktime(2026, 11, 24, 16, 47, 58, &T_RT);
	imcq_mktime(2026, 11, 26, 14, 5, 12, &T_GW0);
	imcq_mktime(2026, 11, 27, 15, 0, 0, &T_REF);
	VEC_PUSH(rep.inputs, rep.ninputs, rep.inputcap, in);
	rep.reference_time = T_REF;
	inv("README.TXT", T_REF);
	if (!(fl & (F_NO_GW | F_GW1_ONLY))) {
		table("gwart0", "Exchsrvr/Mtadata/GWART0.MTA", T_GW0);
		route("gwart0", "Exchsrvr/Mtadata/GWART0.MTA", "SMTP", "*@example.com", 1,
		      IMC_A, NULL);
		if (fl & (F_STAR0 | F_INONLY))
			route("gwart0", "Exchsrvr/Mtadata/GWART0.MTA", "SMTP", "*", 1,
			      IMC_B, NULL);
	}
	if (!(fl & F_NO_GW)) {
		table("gwart1", "Exchsrvr/Mtadata/GWART1.MTA", T_GW1);
		route("gwart1", "Exchsrvr/Mtadata/GWART1.MTA", "SMTP", "*", 1, IMC_B, NULL);
		route("gwart1", "Exchsrvr/Mtadata/GWART1.MTA", "SMTP", "*", 2, IMC_A, NULL);
	}
	table(fl & F_OLD_ONLY ? "route.old" : "route.txt", "Exchsrvr/Imcdata/Log/Route.txt",
	      fl & F_ROUTE_NEW ? T_GW0 + 600 : T_RT);
	route(fl & F_OLD_ONLY ? "route.old" : "route.txt", "Exchsrvr/Imcdata/Log/Route.txt",
	      NULL, NULL, -1, NULL, NULL);
	free(rep.routes[rep.nroutes - 1].raw);
	rep.routes[rep.nroutes - 1].raw = xstrdup("  SMTP     1  *");
	config("Imcsvc.reg", "RouteCalculationInterval", "15");
	if (fl & F_INONLY)
		config("Imcsvc.reg", "TransferMode", "Inbound Only");
	if (fl & F_BOTH)
		config("Imcsvc.reg", "TransferMode", "Inbound and Outbound");
	if (fl & (F_SMART | F_SMART_OK))
		config("Imcsvc.reg", "SmartHost", "10.0.0.5");
	if (fl & F_SITEDOM)
		config("Imcsvc.reg", "SiteDomain", "contoso.test");
	if (fl & F_IMCCOPY) {
		table("imccopy-routes", "routes.ini", T_RT);
		route("imccopy-routes", "routes.ini", NULL, "EXAMPLE.COM", -1, NULL, "192.0.2.5");
	}
	qt = fl & F_RECENT ? T_REF - 120 : fl & F_AFTER ? T_GW0 + 3600 : T_GW0 - 86400;
	message("AAAAAAA1", "bob@example.com", qt);
	message("AAAAAAA2", "x@unroutable.test", qt + 60);
	if (fl & F_SITEDOM)
		message("AAAAAAA3", "carol@contoso.test", qt + 120);
	if (fl & F_NOMATCH3) {
		char *lng = xcalloc(5001, 1);

		memset(lng, 'l', 4982);
		memcpy(lng + 4982, "@unroutable.test", 17);
		message_add_rcpt(message("AAAAAAA4", "y@unroutable.test", qt + 180), lng);
		free(lng);
	}
	if (!(fl & F_NO_LOGS)) {
		event(1010, "AAAAAAA1", "bob@example.com", qt);
		event(1010, "AAAAAAA2", "x@unroutable.test", qt + 60);
		if (fl & F_DELIVERED)
			event(1011, "AAAAAAA1", "bob@example.com", qt + 30);
	}
	if (fl & F_DNS)
		session("Exchsrvr/Imcdata/Log/L0000001.LOG", "198.51.100.10", "dns-failure",
			"499 No routing hosts are reachable for example.com. Message "
			"subject: \"\"x\"\". Rescheduling delivery for later.", qt + 300, true);
	if (fl & F_SMART)
		session("Exchsrvr/Imcdata/Log/L0000002.LOG", "10.0.0.5", "connect-failed",
			"Connection to 10.0.0.5 failed", qt + 300, true);
	if (fl & F_REJECT)
		session("Exchsrvr/Imcdata/Log/L0000003.LOG", "198.51.100.10", "rejected",
			"550 5.1.1 <bob@example.com>... User unknown (reply to RCPT "
			"TO:<bob@example.com>)", qt + 300, true);
	if (fl & F_EHLO500)
		session("Exchsrvr/Imcdata/Log/L0000004.LOG", "198.51.100.10", "delivered",
			"500 Command unrecognized (reply to EHLO exb2.contoso.test)",
			qt + 300, true);
	analyze_routing(&rep, &opts);
}

static const struct imcq_finding *
rfind(const char *code)
{
	for (size_t i = 0; i < rep.findings.n; i++)
		if (strcmp(rep.findings.v[i].code, code) == 0)
			return &rep.findings.v[i];
	return NULL;
}

static const struct imcq_finding *
mfind(size_t mi, const char *code)
{
	const struct imcq_message *m = rep.msgs[mi];

	for (size_t i = 0; i < m->findings.n; i++)
		if (strcmp(m->findings.v[i].code, code) == 0)
			return &m->findings.v[i];
	return NULL;
}

static bool
has_ev(const struct imcq_finding *f, const char *member_end, const char *excerpt_part)
{
	for (size_t i = 0; f && i < f->ev.n; i++) {
		const struct imcq_evidence *e = &f->ev.v[i];
		size_t n = e->member ? strlen(e->member) : 0, k = strlen(member_end);

		if (n >= k && strcmp(e->member + n - k, member_end) == 0 &&
		    (excerpt_part == NULL || (e->excerpt && strstr(e->excerpt, excerpt_part))))
			return true;
	}
	return false;
}

static bool
has_id(const struct imcq_finding *f, const char *id)
{
	for (size_t i = 0; f && i < f->nspool_ids; i++)
		if (strcmp(f->spool_ids[i], id) == 0)
			return true;
	return false;
}

TEST(test_engine_routes)
{
	const struct imcq_rcpt *r;

	build(F_STAR0);
	r = &rep.msgs[0]->rcpts[0];
	ASSERT(rcpt_route(r)->known);
	ASSERT_EQ_STR(rcpt_route(r)->connector, IMC_A);
	ASSERT_EQ_STR(rcpt_route(r)->server, "EXA1");
	ASSERT_EQ_STR(rcpt_route(r)->address_space, "*@example.com");
	ASSERT_EQ_INT(rcpt_route(r)->cost, 1);
	ASSERT(strstr(rcpt_route(r)->rule, "12 literal characters") != NULL);
	ASSERT_EQ_STR(rcpt_route(r)->host, "DNS (MX, then A)");
	ASSERT(strstr(rcpt_route(r)->ims_rule, "Q146556") != NULL);
	ASSERT(rcpt_route(r)->ev.n >= 1);
	ASSERT_EQ_INT(rcpt_route(r)->ev.v[0].line, 1);
	ASSERT(strstr(rcpt_route(r)->ev.v[0].excerpt, "*@example.com") != NULL);
	/* the SMTP:* of EXB2 takes the rest: no NO_ROUTE */
	r = &rep.msgs[1]->rcpts[0];
	ASSERT(rcpt_route(r)->known);
	ASSERT_EQ_STR(rcpt_route(r)->server, "EXB2");
	ASSERT(rfind("NO_ROUTE") == NULL);
	ASSERT(mfind(1, "NO_ROUTE") == NULL);
}

TEST(test_engine_no_route)
{
	const struct imcq_finding *f;
	const struct imcq_rcpt *r;

	build(0);
	r = &rep.msgs[1]->rcpts[0];
	ASSERT(!rcpt_route(r)->known);
	ASSERT(strstr(rcpt_route(r)->rule, "no address space matches") != NULL);
	f = rfind("NO_ROUTE");
	ASSERT(f != NULL);
	ASSERT(has_id(f, "AAAAAAA2"));
	ASSERT(!has_id(f, "AAAAAAA1"));
	ASSERT(f && strstr(f->message, "x@unroutable.test") != NULL);
	ASSERT(f && strstr(f->message, "GWART0.MTA") != NULL);
	ASSERT(has_ev(f, "GWART0.MTA", "2026-11-26T14:05:12Z"));
	ASSERT_EQ_STR(f ? f->reference : NULL, "Q229961");
	ASSERT_EQ_STR(f ? f->basis : NULL, "documented");
	ASSERT(mfind(1, "NO_ROUTE") != NULL);
	ASSERT(mfind(0, "NO_ROUTE") == NULL);
}

/* One route for the unroutable addresses of a domain, its rule naming
 * each recipient's own address (route_rule); an address the rule cannot
 * hold whole keeps a route of its own, as built. */
TEST(test_engine_no_route_shared)
{
	const struct imcq_rcpt *x, *y, *l;
	const char *want = "': 1 SMTP address space in the table, none exact, wildcard, "
			   "partial or blank for the whole address (Q229961)";
	struct rt_choice ch;
	char *tmp, *exp;

	build(F_NOMATCH3);
	x = &rep.msgs[1]->rcpts[0];
	y = &rep.msgs[2]->rcpts[0];
	l = &rep.msgs[2]->rcpts[1];
	ASSERT_EQ_STR(y->address, "y@unroutable.test");
	ASSERT(strlen(l->address) == 4998);
	ASSERT(rcpt_route(x) == rcpt_route(y));
	ASSERT(rcpt_route(x)->addr_at > 0);
	exp = xasprintf("no address space matches 'x@unroutable.test%s", want);
	ASSERT_EQ_STR(route_rule(rcpt_route(x), x->address, &tmp), exp);
	free(tmp);
	free(exp);
	exp = xasprintf("no address space matches 'y@unroutable.test%s", want);
	ASSERT_EQ_STR(route_rule(rcpt_route(y), y->address, &tmp), exp);
	free(tmp);
	free(exp);
	ASSERT(!rcpt_route(l)->known);
	ASSERT(rcpt_route(l) != rcpt_route(x));
	ASSERT_EQ_INT(rcpt_route(l)->addr_at, 0);
	/* the long one: the rule the engine builds for it, as it is */
	{
		const struct imcq_route_entry *e[1] = { &rep.routes[0] };

		rt_select(e, 1, "SMTP", l->address, NULL, &ch);
	}
	ASSERT_EQ_STR(route_rule(rcpt_route(l), l->address, &tmp), ch.rule);
	ASSERT(tmp == NULL);
	rt_choice_release(&ch);
}

TEST(test_engine_no_table)
{
	const struct imcq_rcpt *r;

	build(F_NO_GW);
	r = &rep.msgs[0]->rcpts[0];
	ASSERT(!rcpt_route(r)->known);
	ASSERT(strstr(rcpt_route(r)->rule, "no routing table") != NULL);
	ASSERT(rfind("NO_ROUTE") == NULL);	/* never a guess */
	ASSERT(rfind("STALE_ROUTING") == NULL);
	build(F_GW1_ONLY);
	r = &rep.msgs[0]->rcpts[0];
	ASSERT(rcpt_route(r)->known);
	ASSERT_EQ_STR(rcpt_route(r)->server, "EXB2");
	ASSERT(strstr(rcpt_route(r)->rule, "GWART1.MTA") != NULL);
}

TEST(test_engine_ims_layer)
{
	const struct imcq_rcpt *r;

	build(F_IMCCOPY | F_STAR0);
	r = &rep.msgs[0]->rcpts[0];
	ASSERT_EQ_STR(rcpt_route(r)->host, "192.0.2.5");
	ASSERT(strstr(rcpt_route(r)->ims_rule, "per-domain") != NULL);
	r = &rep.msgs[1]->rcpts[0];
	ASSERT_EQ_STR(rcpt_route(r)->host, "DNS (MX, then A)");
	build(F_SMART_OK | F_STAR0);
	r = &rep.msgs[0]->rcpts[0];
	ASSERT_EQ_STR(rcpt_route(r)->host, "10.0.0.5");
	ASSERT(strstr(rcpt_route(r)->ims_rule, "smart host") != NULL);
	ASSERT(rfind("SMART_HOST_FAILURE") == NULL);
	build(F_SITEDOM | F_STAR0);
	r = &rep.msgs[2]->rcpts[0];
	ASSERT(rcpt_route(r)->known);
	ASSERT(strstr(rcpt_route(r)->rule, "local recipient") != NULL);
}

TEST(test_engine_stale)
{
	const struct imcq_finding *f;
	const struct imcq_incident *in = &rep.incident;

	build(0);
	f = rfind("STALE_ROUTING");
	ASSERT(f != NULL);
	if (f == NULL)
		return;
	ASSERT_EQ_STR(f->reference, "Q268494");
	ASSERT(has_ev(f, "GWART0.MTA", "2026-11-26T14:05:12Z"));
	ASSERT(has_ev(f, "Route.txt", "2026-11-24T16:47:58Z"));
	ASSERT(has_ev(f, "GWART1.MTA", "2026-11-24T16:33:40Z"));
	ASSERT(has_ev(f, "Imcsvc.reg", "RouteCalculationInterval = 15"));
	ASSERT(has_id(f, "AAAAAAA1") && has_id(f, "AAAAAAA2"));
	ASSERT(strstr(f->message, "every 15 minutes") != NULL);
	ASSERT(strstr(f->message, "1010") != NULL);		/* 1010 without 1011 */
	ASSERT(strstr(f->message, "from Internet Mail Connector (EXB2) to "
		      "Internet Mail Connector (EXA1)") != NULL);
	ASSERT(strstr(f->message, "Route.txt still lists") != NULL);
	ASSERT(strstr(f->message, "transfer mode") != NULL);	/* absent, said so */
	ASSERT(f->action && strstr(f->action, "Recalculate Routing") != NULL);
	ASSERT(f->action && strstr(f->action, "imcq recover --to pickup") != NULL);
	ASSERT(f->action && strstr(f->action, "backups/serverB.zip") != NULL);
	ASSERT(mfind(0, "STALE_ROUTING") != NULL);
	/* the incident */
	ASSERT_EQ_STR(in->cause, "STALE_ROUTING");
	ASSERT(in->headline && strstr(in->headline, "server EXB2") != NULL);
	ASSERT(in->headline && strstr(in->headline, "old routing table") != NULL);
	ASSERT(in->headline && strstr(in->headline, "2 outbound messages") != NULL);
	ASSERT_EQ_INT(in->since, T_GW0 - 86400);
	ASSERT(in->kb.n >= 2);
	ASSERT_EQ_STR(in->kb.n ? in->kb.v[0] : NULL, "Q268494");
	ASSERT_EQ_INT(in->commands.n, 1);
	ASSERT(in->commands.n && strstr(in->commands.v[0], "imcq recover --to pickup "
					"--out recovered-EXB2 --where 'state = "
					"awaiting-delivery or state = expired' "
					"backups/serverB.zip") != NULL);
}

TEST(test_engine_stale_absent)
{
	build(F_ROUTE_NEW);		/* the IMS saw the change */
	ASSERT(rfind("STALE_ROUTING") == NULL);
	ASSERT(mfind(0, "STALE_ROUTING") == NULL);
	build(F_AFTER);			/* nothing queued across the change */
	ASSERT(rfind("STALE_ROUTING") == NULL);
	build(F_OLD_ONLY);		/* Route.old alone proves nothing */
	ASSERT(rfind("STALE_ROUTING") == NULL);
	/* within one RouteCalculationInterval of the change */
	imcq_mktime(2026, 11, 26, 14, 10, 0, &g_now);
	build(0);
	g_now = IMCQ_NOTIME;
	ASSERT(rfind("STALE_ROUTING") == NULL);
	/* ... and well after it */
	imcq_mktime(2026, 11, 26, 14, 30, 0, &g_now);
	build(0);
	g_now = IMCQ_NOTIME;
	ASSERT(rfind("STALE_ROUTING") != NULL);
}

TEST(test_engine_no_attempt)
{
	const struct imcq_finding *f;

	build(F_STAR0);
	f = rfind("NO_DELIVERY_ATTEMPT");
	ASSERT(f != NULL);
	ASSERT(has_id(f, "AAAAAAA1"));
	ASSERT(mfind(0, "NO_DELIVERY_ATTEMPT") != NULL);
	ASSERT(rfind("DELIVERY_EVIDENCE_ABSENT") == NULL);
	/* a 1011 for it: an attempt */
	build(F_STAR0 | F_DELIVERED);
	ASSERT(mfind(0, "NO_DELIVERY_ATTEMPT") == NULL);
	ASSERT(mfind(1, "NO_DELIVERY_ATTEMPT") != NULL);
	/* younger than the first retry interval */
	build(F_STAR0 | F_RECENT);
	ASSERT(rfind("NO_DELIVERY_ATTEMPT") == NULL);
	ASSERT(rep.incident.headline && strstr(rep.incident.headline, "Nothing is stuck") != NULL);
	ASSERT(rep.incident.cause == NULL);
	/* no logs: say so instead of concluding */
	build(F_STAR0 | F_NO_LOGS);
	ASSERT(rfind("NO_DELIVERY_ATTEMPT") == NULL);
	f = rfind("DELIVERY_EVIDENCE_ABSENT");
	ASSERT(f != NULL);
	ASSERT(f && f->sev == IMCQ_SEV_INFO);
}

TEST(test_engine_dns)
{
	const struct imcq_finding *f;

	build(F_STAR0 | F_DNS | F_ROUTE_NEW);
	f = rfind("DNS_FAILURE");
	ASSERT(f != NULL);
	ASSERT(has_id(f, "AAAAAAA1"));
	ASSERT(has_ev(f, "L0000001.LOG", "499 No routing hosts"));
	ASSERT_EQ_STR(f ? f->reference : NULL, "Q228725");
	f = mfind(0, "DNS_FAILURE");
	ASSERT(f != NULL);
	ASSERT(f && f->ev.n && f->ev.v[0].line == 4 && f->ev.v[0].offset == 200);
	ASSERT(mfind(0, "NO_DELIVERY_ATTEMPT") == NULL);	/* it was attempted */
	ASSERT_EQ_STR(rep.incident.cause, "DNS_FAILURE");
	/* a delivered session is no DNS failure */
	build(F_STAR0 | F_EHLO500);
	ASSERT(rfind("DNS_FAILURE") == NULL);
}

TEST(test_engine_smart_host)
{
	const struct imcq_finding *f;

	build(F_STAR0 | F_SMART | F_ROUTE_NEW);
	f = rfind("SMART_HOST_FAILURE");
	ASSERT(f != NULL);
	ASSERT(f && strstr(f->message, "10.0.0.5") != NULL);
	ASSERT(has_ev(f, "Imcsvc.reg", "SmartHost = 10.0.0.5"));
	ASSERT(mfind(0, "SMART_HOST_FAILURE") != NULL);
	ASSERT(rfind("DNS_FAILURE") == NULL);
	ASSERT_EQ_STR(rep.incident.cause, "SMART_HOST_FAILURE");
	/* the same failing session without a smart host: not a smart-host failure */
	build(F_STAR0 | F_DNS);
	ASSERT(rfind("SMART_HOST_FAILURE") == NULL);
}

TEST(test_engine_reject)
{
	const struct imcq_finding *f;
	const struct imcq_rcpt *r;

	build(F_STAR0 | F_REJECT);
	f = rfind("REMOTE_REJECT");
	ASSERT(f != NULL);
	ASSERT(has_id(f, "AAAAAAA1"));
	r = &rep.msgs[0]->rcpts[0];
	ASSERT_EQ_STR(r->status, "failed");
	ASSERT(r->ev.n == 1 && strstr(r->ev.v[0].excerpt, "550 5.1.1") != NULL);
	ASSERT(mfind(0, "REMOTE_REJECT") != NULL);
	ASSERT_EQ_STR(rep.msgs[1]->rcpts[0].status, "pending");
	/* a 500 to EHLO is no rejection (the IMS falls back to HELO) */
	build(F_STAR0 | F_EHLO500);
	ASSERT(rfind("REMOTE_REJECT") == NULL);
	ASSERT_EQ_STR(rep.msgs[0]->rcpts[0].status, "pending");
}

TEST(test_engine_inbound_only)
{
	const struct imcq_finding *f;

	build(F_INONLY | F_ROUTE_NEW);
	f = rfind("INBOUND_ONLY_ROUTED");
	ASSERT(f != NULL);
	ASSERT(has_ev(f, "Imcsvc.reg", "TransferMode = Inbound Only"));
	ASSERT(has_ev(f, "GWART0.MTA", "SMTP,*;,1," IMC_B));
	ASSERT_EQ_STR(f ? f->reference : NULL, "Q238719");
	ASSERT_EQ_STR(rep.incident.cause, "INBOUND_ONLY_ROUTED");
	build(F_BOTH | F_STAR0 | F_ROUTE_NEW);
	ASSERT(rfind("INBOUND_ONLY_ROUTED") == NULL);
}

static void
cleanup(void)
{
	report_release(&rep);
}

/* Recipients routed alike share one route (report_intern_route): equal
 * routes, built apart, become one copy; a route that differs in any field
 * or evidence item stays apart; the duplicates are freed (LeakSanitizer). */
static struct imcq_route *
fresh_route(const char *rule, const char *excerpt)
{
	struct imcq_route *rt = route_new();

	rt->known = true;
	rt->connector = xstrdup(IMC_A);
	rt->server = xstrdup("EXA1");
	rt->address_space = xstrdup("*@example.com");
	rt->cost = 1;
	rt->rule = xstrdup(rule);
	rt->host = xstrdup("DNS (MX, then A)");
	evlist_add(&rt->ev, 0, "Exchsrvr/Mtadata/GWART0.MTA", 10, 2, excerpt);
	return rt;
}

TEST(test_routes_interned)
{
	struct imcq_report r;
	const struct imcq_route *a, *b, *c, *d;

	report_init(&r);
	a = report_intern_route(&r, fresh_route("wildcard", "SMTP,*@example.com;,1"));
	b = report_intern_route(&r, fresh_route("wildcard", "SMTP,*@example.com;,1"));
	c = report_intern_route(&r, fresh_route("exact", "SMTP,*@example.com;,1"));
	d = report_intern_route(&r, fresh_route("wildcard", "SMTP,*@example.org;,1"));
	ASSERT(a == b);
	ASSERT(a != c && a != d && c != d);
	ASSERT_EQ_INT(r.routeset.n, 3);
	ASSERT(a->pooled);
	ASSERT_EQ_STR(a->rule, "wildcard");
	ASSERT_EQ_STR(d->ev.v[0].excerpt, "SMTP,*@example.org;,1");
	/* an unrouted recipient reads the empty route */
	ASSERT(!imcq_route_none.known && imcq_route_none.cost == -1 &&
	       imcq_route_none.rule == NULL && imcq_route_none.ev.n == 0);
	report_release(&r);
}

TEST_MAIN(test_match_kinds, test_match_whole_address, test_match_x400_partial,
	  test_select_exact_over_wildcard, test_select_more_literals,
	  test_select_star_beats_blank, test_select_cost_and_ties, test_select_no_match,
	  test_select_indexed_same, test_server_of_connector, test_engine_routes, test_engine_no_route,
	  test_engine_no_table, test_engine_no_route_shared, test_engine_ims_layer, test_engine_stale,
	  test_engine_stale_absent, test_engine_no_attempt, test_engine_dns,
	  test_engine_smart_host, test_engine_reject, test_engine_inbound_only,
	  test_routes_interned, cleanup)
