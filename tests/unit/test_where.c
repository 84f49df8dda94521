/* SPDX-License-Identifier: MIT */
/* test_where.c - the --where language: fields, operators, precedence,
 * quoting, syntax errors with their columns, regex budgets. */
#include "analyzer/where.h"
#include "analyzer/core/xalloc.h"
#include "tests/unit/test.h"

#include <time.h>

#define NOW ((int64_t)1000000000)
#define DAY ((int64_t)86400)

static void
add_header(struct imcq_message *m, const char *name, const char *value)
{
	struct imcq_header_field f;

	f.name = xstrdup(name);
	f.value = xstrdup(value);
	VEC_PUSH(m->c.all, m->im->hdr.nall, m->c.allcap, f);
}

static void
add_rcpt(struct imcq_message *m, const char *addr)
{
	strv_push(&m->im->env.rcpt_to, xstrdup(addr));
	message_add_rcpt(m, addr);
}

/* A queued message with every field the language reads. */
static struct imcq_message *
mk(void)
{
	struct imcq_message *m = message_new();

	m->spool_id = xstrdup("3SW32JRP");
	m->state = IMCQ_ST_AWAITING_DELIVERY;
	m->queue = IMCQ_Q_OUT;
	m->im->env.mail_from = xstrdup("alice@corp.example");
	add_rcpt(m, "bob@example.com");
	add_rcpt(m, "Carol@Example.NET");
	m->im->hdr.subject = xstrdup("Quarterly report (final)");
	m->im->hdr.message_id = xstrdup("<abc.123@corp.example>");
	m->size = 6 * 1024 * 1024;
	m->queue_time = NOW - 3 * DAY;
	findlist_add(&m->findings, "BCC_IN_ENVELOPE", IMCQ_SEV_INFO, NULL,
		     "bcc");
	findlist_add(&m->findings, "NO_ROUTE", IMCQ_SEV_WARNING, NULL,
		     "no route");
	add_header(m, "Subject", "Quarterly report (final)");
	add_header(m, "X-Priority", " 1 ");
	add_header(m, "Received", "from a by b");
	add_header(m, "received", "from c by d");
	return m;
}

/* Compile (must succeed), match against m at NOW, free. */
static int
sel_at(const char *expr, const struct imcq_message *m, int64_t now)
{
	struct imcq_err err = { 0, "" };
	struct imcq_where *w = where_compile(expr, NULL, &err);
	int r;

	if (w == NULL) {
		fprintf(stderr, "unexpected error for [%s]: %s\n", expr,
			err.msg);
		return -2;
	}
	r = where_match(w, m, now, &err);
	where_free(w);
	return r;
}

static int
sel(const char *expr, const struct imcq_message *m)
{
	return sel_at(expr, m, NOW);
}

/* Compile must fail with exactly msg. */
static void
check_syntax(const char *expr, const char *msg, int line)
{
	struct imcq_err err = { 0, "" };
	struct imcq_where *w = where_compile(expr, NULL, &err);

	if (w != NULL) {
		test_failures++;
		fprintf(stderr, "%s:%d: [%s] compiled, expected: %s\n",
			__FILE__, line, expr, msg);
		where_free(w);
		return;
	}
	if (err.code != IMCQ_SKIP || strcmp(err.msg, msg) != 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: [%s]\n  got      %d \"%s\"\n"
			"  expected %d \"%s\"\n", __FILE__, line, expr,
			err.code, err.msg, IMCQ_SKIP, msg);
	}
}
#define SYNTAX(e, m) check_syntax((e), (m), __LINE__)

TEST(test_examples)
{
	struct imcq_message *m = mk();
	struct imcq_message *ndr = mk();

	free(ndr->im->env.mail_from);
	ndr->im->env.mail_from = xstrdup("");
	free(ndr->im->hdr.subject);
	ndr->im->hdr.subject = xstrdup("Delivery notification");

	ASSERT_EQ_INT(sel("state = awaiting-delivery and rcpt ~ "
			  "/@example\\.com$/i", m), 1);
	ASSERT_EQ_INT(sel("age > 2d or size >= 5M", m), 1);
	ASSERT_EQ_INT(sel("from = \"\" and not subject ~ /^undeliverable/i",
			  m), 0);
	ASSERT_EQ_INT(sel("from = \"\" and not subject ~ /^undeliverable/i",
			  ndr), 1);
	free(ndr->im->hdr.subject);
	ndr->im->hdr.subject = xstrdup("UNDELIVERABLE: hello");
	ASSERT_EQ_INT(sel("from = \"\" and not subject ~ /^undeliverable/i",
			  ndr), 0);
	ASSERT_EQ_INT(sel("finding = BCC_IN_ENVELOPE", m), 1);
	ASSERT_EQ_INT(sel("header.X-Priority = 1", m), 1);
	ASSERT_EQ_INT(sel("domain = EXAMPLE.NET", m), 1);
	ASSERT_EQ_INT(sel("(queue = out or queue = out-archive) and rcpts > 3",
			  m), 0);
	ASSERT_EQ_INT(sel("(queue = out or queue = out-archive) and rcpts > 1",
			  m), 1);
	message_free(m);
	message_free(ndr);
}

TEST(test_string_fields)
{
	struct imcq_message *m = mk();

	ASSERT_EQ_INT(sel("id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("id = 3sw32jrp", m), 0);	/* exact */
	ASSERT_EQ_INT(sel("id != 3SW32JRP", m), 0);
	ASSERT_EQ_INT(sel("id != XXXXXXXX", m), 1);
	ASSERT_EQ_INT(sel("id ~ /^3SW/", m), 1);
	ASSERT_EQ_INT(sel("id !~ /^3SW/", m), 0);

	ASSERT_EQ_INT(sel("from = alice@corp.example", m), 1);
	ASSERT_EQ_INT(sel("from = ALICE@corp.example", m), 0);
	ASSERT_EQ_INT(sel("from != \"\"", m), 1);
	ASSERT_EQ_INT(sel("from ~ /@corp\\./", m), 1);
	ASSERT_EQ_INT(sel("from !~ /@corp\\./", m), 0);

	ASSERT_EQ_INT(sel("subject = \"Quarterly report (final)\"", m), 1);
	ASSERT_EQ_INT(sel("subject = Quarterly", m), 0);
	ASSERT_EQ_INT(sel("subject != \"Quarterly report (final)\"", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /report/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /REPORT/", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /REPORT/i", m), 1);
	ASSERT_EQ_INT(sel("subject !~ /REPORT/i", m), 0);

	ASSERT_EQ_INT(sel("message_id = \"<abc.123@corp.example>\"", m), 1);
	ASSERT_EQ_INT(sel("message_id ~ /^<abc\\.123@/", m), 1);
	ASSERT_EQ_INT(sel("message_id != \"<x@y>\"", m), 1);
	ASSERT_EQ_INT(sel("message_id !~ /corp/", m), 0);
	message_free(m);
}

TEST(test_unknown_values)
{
	struct imcq_message *m = message_new();

	/* A message that knows nothing: no comparison holds, not even
	 * != or !~; `not` selects it. */
	ASSERT_EQ_INT(sel("id = x", m), 0);
	ASSERT_EQ_INT(sel("id != x", m), 0);
	ASSERT_EQ_INT(sel("from = \"\"", m), 0);
	ASSERT_EQ_INT(sel("from != \"\"", m), 0);
	ASSERT_EQ_INT(sel("subject !~ /x/", m), 0);
	ASSERT_EQ_INT(sel("not subject ~ /x/", m), 1);
	ASSERT_EQ_INT(sel("message_id != x", m), 0);
	ASSERT_EQ_INT(sel("age > 0", m), 0);
	ASSERT_EQ_INT(sel("age < 100d", m), 0);
	ASSERT_EQ_INT(sel("age = 0", m), 0);
	ASSERT_EQ_INT(sel("age != 0", m), 0);
	ASSERT_EQ_INT(sel("not age > 1d", m), 1);
	/* Multi-valued fields with no values: none matches. */
	ASSERT_EQ_INT(sel("rcpt = x", m), 0);
	ASSERT_EQ_INT(sel("rcpt != x", m), 1);
	ASSERT_EQ_INT(sel("rcpt !~ //", m), 1);
	ASSERT_EQ_INT(sel("domain != x", m), 1);
	ASSERT_EQ_INT(sel("finding != X", m), 1);
	ASSERT_EQ_INT(sel("header.X-Priority != 1", m), 1);
	ASSERT_EQ_INT(sel("rcpts = 0", m), 1);
	ASSERT_EQ_INT(sel("size = 0", m), 1);
	/* The reference time itself unknown. */
	message_free(m);
	m = mk();
	ASSERT_EQ_INT(sel_at("age >= 0", m, IMCQ_NOTIME), 0);
	message_free(m);
}

TEST(test_state_queue)
{
	struct imcq_message *m = mk();

	ASSERT_EQ_INT(sel("state = awaiting-delivery", m), 1);
	ASSERT_EQ_INT(sel("state = AWAITING-Delivery", m), 1);
	ASSERT_EQ_INT(sel("state = \"awaiting-delivery\"", m), 1);
	ASSERT_EQ_INT(sel("state = expired", m), 0);
	ASSERT_EQ_INT(sel("state != expired", m), 1);
	ASSERT_EQ_INT(sel("state != awaiting-delivery", m), 0);
	ASSERT_EQ_INT(sel("state ~ /^awaiting-/", m), 1);
	ASSERT_EQ_INT(sel("state ~ /conversion/", m), 0);
	ASSERT_EQ_INT(sel("state !~ /conversion/", m), 1);
	ASSERT_EQ_INT(sel("queue = out", m), 1);
	ASSERT_EQ_INT(sel("queue = OUT", m), 1);
	ASSERT_EQ_INT(sel("queue = out-archive", m), 0);
	ASSERT_EQ_INT(sel("queue != in", m), 1);
	ASSERT_EQ_INT(sel("queue ~ /^out$/", m), 1);
	ASSERT_EQ_INT(sel("queue !~ /archive/", m), 1);
	m->queue = IMCQ_Q_PICKUP_ARCHIVE;
	m->state = IMCQ_ST_ARCHIVED;
	ASSERT_EQ_INT(sel("queue = pickup-archive and state = archived", m),
		      1);
	message_free(m);
}

TEST(test_multi_valued)
{
	struct imcq_message *m = mk();

	ASSERT_EQ_INT(sel("rcpt = bob@example.com", m), 1);
	ASSERT_EQ_INT(sel("rcpt = BOB@example.com", m), 0);	/* exact */
	ASSERT_EQ_INT(sel("rcpt = Carol@Example.NET", m), 1);
	ASSERT_EQ_INT(sel("rcpt != bob@example.com", m), 0);	/* none */
	ASSERT_EQ_INT(sel("rcpt != dave@example.com", m), 1);
	ASSERT_EQ_INT(sel("rcpt ~ /^carol@/i", m), 1);
	ASSERT_EQ_INT(sel("rcpt !~ /^carol@/i", m), 0);
	ASSERT_EQ_INT(sel("rcpt !~ /^dave@/", m), 1);

	ASSERT_EQ_INT(sel("domain = example.com", m), 1);
	ASSERT_EQ_INT(sel("domain = Example.Com", m), 1);
	ASSERT_EQ_INT(sel("domain = example.net", m), 1);
	ASSERT_EQ_INT(sel("domain != example.org", m), 1);
	ASSERT_EQ_INT(sel("domain != EXAMPLE.com", m), 0);
	ASSERT_EQ_INT(sel("domain ~ /\\.net$/", m), 1);
	ASSERT_EQ_INT(sel("domain !~ /\\.org$/", m), 1);

	ASSERT_EQ_INT(sel("finding = NO_ROUTE", m), 1);
	ASSERT_EQ_INT(sel("finding = no_route", m), 0);
	ASSERT_EQ_INT(sel("finding = EXPIRED", m), 0);
	ASSERT_EQ_INT(sel("finding != EXPIRED", m), 1);
	ASSERT_EQ_INT(sel("finding != NO_ROUTE", m), 0);
	ASSERT_EQ_INT(sel("finding ~ /^NO_/", m), 1);
	ASSERT_EQ_INT(sel("finding !~ /^DNS_/", m), 1);

	ASSERT_EQ_INT(sel("header.x-priority = 1", m), 1);	/* trimmed */
	ASSERT_EQ_INT(sel("HEADER.X-PRIORITY = \" 1 \"", m), 0);
	ASSERT_EQ_INT(sel("header.X-Priority ~ /^1$/", m), 1);
	ASSERT_EQ_INT(sel("header.X-Priority != 3", m), 1);
	ASSERT_EQ_INT(sel("header.Received = \"from c by d\"", m), 1);
	ASSERT_EQ_INT(sel("header.received ~ /from a/", m), 1);
	ASSERT_EQ_INT(sel("header.Received !~ /from c/", m), 0);
	ASSERT_EQ_INT(sel("header.X-Missing ~ //", m), 0);
	ASSERT_EQ_INT(sel("header.X-Missing !~ //", m), 1);
	message_free(m);
}

TEST(test_numbers)
{
	struct imcq_message *m = mk();

	ASSERT_EQ_INT(sel("size = 6M", m), 1);
	ASSERT_EQ_INT(sel("size = 6291456", m), 1);
	ASSERT_EQ_INT(sel("size = 6144k", m), 1);
	ASSERT_EQ_INT(sel("size != 6M", m), 0);
	ASSERT_EQ_INT(sel("size < 6M", m), 0);
	ASSERT_EQ_INT(sel("size <= 6M", m), 1);
	ASSERT_EQ_INT(sel("size > 6M", m), 0);
	ASSERT_EQ_INT(sel("size >= 6M", m), 1);
	ASSERT_EQ_INT(sel("size < 1G", m), 1);
	ASSERT_EQ_INT(sel("size > \"5M\"", m), 1);

	ASSERT_EQ_INT(sel("age = 3d", m), 1);
	ASSERT_EQ_INT(sel("age = 72h", m), 1);
	ASSERT_EQ_INT(sel("age = 259200", m), 1);
	ASSERT_EQ_INT(sel("age = 259200s", m), 1);
	ASSERT_EQ_INT(sel("age != 3d", m), 0);
	ASSERT_EQ_INT(sel("age > 2d", m), 1);
	ASSERT_EQ_INT(sel("age >= 4320m", m), 1);
	ASSERT_EQ_INT(sel("age < 3d", m), 0);
	ASSERT_EQ_INT(sel("age <= 3d", m), 1);
	ASSERT_EQ_INT(sel_at("age > 2d", m, NOW - DAY - 1), 0);

	ASSERT_EQ_INT(sel("rcpts = 2", m), 1);
	ASSERT_EQ_INT(sel("rcpts != 2", m), 0);
	ASSERT_EQ_INT(sel("rcpts < 3", m), 1);
	ASSERT_EQ_INT(sel("rcpts <= 1", m), 0);
	ASSERT_EQ_INT(sel("rcpts > 1", m), 1);
	ASSERT_EQ_INT(sel("rcpts >= 3", m), 0);
	m->im->env.rcpt_dropped = 5;	/* beyond --max-rcpts: still counted */
	ASSERT_EQ_INT(sel("rcpts = 7", m), 1);
	message_free(m);
}

TEST(test_precedence)
{
	struct imcq_message *m = mk();

	/* T = id = 3SW32JRP, F = id = nope */
	ASSERT_EQ_INT(sel("id = 3SW32JRP or id = a and id = b", m), 1);
	ASSERT_EQ_INT(sel("(id = 3SW32JRP or id = a) and id = b", m), 0);
	ASSERT_EQ_INT(sel("id = a and id = b or id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("id = a and (id = b or id = 3SW32JRP)", m), 0);
	ASSERT_EQ_INT(sel("not id = a and id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("not id = 3SW32JRP and id = a", m), 0);
	ASSERT_EQ_INT(sel("not (id = 3SW32JRP and id = a)", m), 1);
	ASSERT_EQ_INT(sel("not id = 3SW32JRP or id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("not not id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("not not not id = 3SW32JRP", m), 0);
	ASSERT_EQ_INT(sel("id = a or id = b or id = c or id = 3SW32JRP", m),
		      1);
	ASSERT_EQ_INT(sel("id = 3SW32JRP and size > 1 and age > 1 and "
			  "rcpts > 1 and id = x", m), 0);
	ASSERT_EQ_INT(sel("((((id = 3SW32JRP))))", m), 1);
	ASSERT_EQ_INT(sel("(id=a)or(id=3SW32JRP)", m), 1);
	/* keywords and field names are case-insensitive */
	ASSERT_EQ_INT(sel("ID = a OR Id = 3SW32JRP", m), 1);
	ASSERT_EQ_INT(sel("NOT id = a AnD SIZE > 1", m), 1);
	/* compact forms */
	ASSERT_EQ_INT(sel("size>=5M and age>2d", m), 1);
	ASSERT_EQ_INT(sel("rcpt~/example/", m), 1);
	ASSERT_EQ_INT(sel("\tid\n=\r3SW32JRP ", m), 1);
	message_free(m);
}

TEST(test_quoting)
{
	struct imcq_message *m = mk();

	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup("say \"hi\" \\ and/or (x) = <y>");
	ASSERT_EQ_INT(sel("subject = \"say \\\"hi\\\" \\\\ and/or (x) = <y>\"",
			  m), 1);
	ASSERT_EQ_INT(sel("subject ~ /and\\/or/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /\\\\ and/", m), 1);	/* \\ then ' and' */
	ASSERT_EQ_INT(sel("subject ~ /\\(x\\) = <y>$/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /\"hi\"/", m), 1);
	ASSERT_EQ_INT(sel("subject = \"and\"", m), 0);
	ASSERT_EQ_INT(sel("subject != \"and\"", m), 1);
	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup("");
	ASSERT_EQ_INT(sel("subject = \"\"", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /^$/", m), 1);
	/* a slash inside a bare word is part of it */
	free(m->spool_id);
	m->spool_id = xstrdup("a/b");
	ASSERT_EQ_INT(sel("id = a/b", m), 1);
	message_free(m);
}

TEST(test_regex_flags)
{
	struct imcq_message *m = mk();

	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup("first line\nSecond line");
	ASSERT_EQ_INT(sel("subject ~ /^second/", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /^second/i", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /^second/im", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /^second/mi", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /line.Second/", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /line.Second/s", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /f i r s t/", m), 0);
	ASSERT_EQ_INT(sel("subject ~ /f i r s t/x", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /F I R S T . L/xi", m), 1);
	/* UTF mode: . is one character */
	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup("caf\xc3\xa9!");
	ASSERT_EQ_INT(sel("subject ~ /^caf.!$/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /^caf\xc3\xa9/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /^CAF\xc3\x89/i", m), 1);
	message_free(m);
}

TEST(test_invalid_utf8)
{
	struct imcq_message *m = mk();
	struct imcq_err err = { 0, "" };
	struct imcq_where *w;

	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup("caf\xe9 \xff\xfe report \xc3");
	ASSERT_EQ_INT(sel("subject ~ /report/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /^caf/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /caf. /", m), 0);	/* invalid byte */
	ASSERT_EQ_INT(sel("subject !~ /xyz/", m), 1);
	ASSERT_EQ_INT(sel("subject ~ /report $/", m), 0);
	ASSERT_EQ_INT(sel("subject = \"caf\xe9 \xff\xfe report \xc3\"", m),
		      1);
	ASSERT_EQ_INT(sel("header.X-Priority ~ /1/", m), 1);
	/* a bare word may hold non-ASCII bytes */
	free(m->spool_id);
	m->spool_id = xstrdup("\xe9t\xe9");
	ASSERT_EQ_INT(sel("id = \xe9t\xe9", m), 1);
	/* a pattern that is not UTF-8 is a compile error */
	w = where_compile("subject ~ /caf\xe9/", NULL, &err);
	ASSERT(w == NULL);
	ASSERT_EQ_INT(err.code, IMCQ_SKIP);
	ASSERT(strncmp(err.msg, "column 11: bad regex: ", 22) == 0);
	message_free(m);
}

TEST(test_backtracking)
{
	struct imcq_message *m = mk();
	struct imcq_limits lim;
	struct imcq_err err = { 0, "" };
	struct imcq_where *w;
	char subj[4096];

	memset(subj, 'a', sizeof(subj) - 2);
	subj[sizeof(subj) - 2] = 'b';
	subj[sizeof(subj) - 1] = '\0';
	free(m->im->hdr.subject);
	m->im->hdr.subject = xstrdup(subj);
	imcq_limits_default(&lim);

	w = where_compile("subject ~ /(a+)+$/", &lim, &err);
	ASSERT(w != NULL);
	ASSERT_EQ_INT(where_match(w, m, NOW, &err), -1);
	ASSERT_EQ_INT(err.code, IMCQ_WARN);
	ASSERT_EQ_STR(err.msg, "regex /(a+)+$/ on field subject exceeded "
		      "its match limit (1000000 steps)");
	/* the error goes through not, and, or */
	err.code = 0;
	where_free(w);
	w = where_compile("id = 3SW32JRP and not (id = x or subject ~ "
			  "/(a+)+$/)", &lim, &err);
	ASSERT(w != NULL);
	ASSERT_EQ_INT(where_match(w, m, NOW, &err), -1);
	ASSERT_EQ_INT(err.code, IMCQ_WARN);
	where_free(w);
	/* short-circuit: the regex is never run */
	ASSERT_EQ_INT(sel("id = 3SW32JRP or subject ~ /(a+)+$/", m), 1);
	ASSERT_EQ_INT(sel("id = x and subject ~ /(a+)+$/", m), 0);

	/* a header value, with the depth budget */
	add_header(m, "X-Long", subj);
	lim.re_match = 100000000;
	lim.re_depth = 50;
	err.code = 0;
	w = where_compile("header.x-long ~ /(a+)+$/", &lim, &err);
	ASSERT(w != NULL);
	ASSERT_EQ_INT(where_match(w, m, NOW, &err), -1);
	ASSERT_EQ_INT(err.code, IMCQ_WARN);
	ASSERT_EQ_STR(err.msg, "regex /(a+)+$/ on field header.x-long "
		      "exceeded its depth limit (50)");
	where_free(w);

	/* a harmless pattern on the same subject is fine */
	ASSERT_EQ_INT(sel("subject ~ /a+b$/", m), 1);
	message_free(m);
}

TEST(test_syntax_errors)
{
	SYNTAX("", "column 1: empty expression");
	SYNTAX("   ", "column 4: empty expression");
	SYNTAX("foo = 1", "column 1: unknown field 'foo' (fields: id, state, "
	       "queue, from, rcpt, domain, subject, message_id, size, age, "
	       "rcpts, finding, header.NAME)");
	SYNTAX("id = a and subjct = b", "column 12: unknown field 'subjct' "
	       "(fields: id, state, queue, from, rcpt, domain, subject, "
	       "message_id, size, age, rcpts, finding, header.NAME)");
	SYNTAX("subject < x", "column 9: '<' does not apply to subject, "
	       "which is not a number (use = != ~ !~)");
	SYNTAX("rcpt >= x", "column 6: '>=' does not apply to rcpt, which is "
	       "not a number (use = != ~ !~)");
	SYNTAX("header.X-Priority > 1", "column 19: '>' does not apply to "
	       "header.X-Priority, which is not a number (use = != ~ !~)");
	SYNTAX("state <= expired", "column 7: '<=' does not apply to state, "
	       "which is not a number (use = != ~ !~)");
	SYNTAX("size ~ /x/", "column 6: '~' does not apply to size, a number "
	       "(use = != < <= > >=)");
	SYNTAX("age !~ /x/", "column 5: '!~' does not apply to age, a number "
	       "(use = != < <= > >=)");
	SYNTAX("state = bogus", "column 9: unknown state 'bogus' (states: "
	       "awaiting-delivery, awaiting-conversion, expired, delivered, "
	       "missing, archived, pickup, damaged)");
	SYNTAX("state = unset", "column 9: unknown state 'unset' (states: "
	       "awaiting-delivery, awaiting-conversion, expired, delivered, "
	       "missing, archived, pickup, damaged)");
	SYNTAX("queue != Nowhere", "column 10: unknown queue 'Nowhere' "
	       "(queues: out, in, out-archive, in-archive, pickup, "
	       "pickup-archive, work, other)");
	SYNTAX("size > 5X", "column 8: bad size '5X' (bytes, with an "
	       "optional k, M or G)");
	SYNTAX("size > \"\"", "column 8: bad size '' (bytes, with an "
	       "optional k, M or G)");
	SYNTAX("age > 3y", "column 7: bad age '3y' (seconds, with an "
	       "optional s, m, h or d)");
	SYNTAX("age > -1d", "column 7: bad age '-1d' (seconds, with an "
	       "optional s, m, h or d)");
	SYNTAX("rcpts > many", "column 9: bad count 'many' for rcpts (a whole "
	       "number)");
	SYNTAX("rcpts > 99999999999999999999", "column 9: bad count "
	       "'99999999999999999999' for rcpts (a whole number)");
	SYNTAX("subject = \"abc", "column 11: unterminated string (no "
	       "closing '\"')");
	SYNTAX("subject = \"abc\\", "column 11: unterminated string (no "
	       "closing '\"')");
	SYNTAX("subject = \"a\\nb\"", "column 13: unknown escape '\\n' in a "
	       "string (only \\\" and \\\\)");
	SYNTAX("subject ~ /abc", "column 11: unterminated regex (no closing "
	       "'/')");
	SYNTAX("subject ~ /abc\\/", "column 11: unterminated regex (no "
	       "closing '/')");
	SYNTAX("subject ~ /abc/iq", "column 17: unknown regex flag 'q' "
	       "(flags: i, m, s, x)");
	SYNTAX("subject ~ /abc/I", "column 16: unknown regex flag 'I' "
	       "(flags: i, m, s, x)");
	SYNTAX("subject ~ /a(b/", "column 11: bad regex: missing closing "
	       "parenthesis (at offset 3 of the pattern)");
	SYNTAX("subject ~ /\\C/", "column 11: bad regex: using \\C is "
	       "disabled by the application (at offset 2 of the pattern)");
	SYNTAX("subject ~ abc", "column 11: '~' needs a regex /.../ after "
	       "it, found 'abc'");
	SYNTAX("subject !~ \"abc\"", "column 12: '!~' needs a regex /.../ "
	       "after it, found '\"abc\"'");
	SYNTAX("subject = /abc/", "column 11: a regex needs '~' or '!~', "
	       "not '='");
	SYNTAX("size > /1/", "column 8: a regex needs '~' or '!~', not '>'");
	SYNTAX("subject = and", "column 11: 'and' is a keyword: quote it "
	       "(\"and\") to compare with it");
	SYNTAX("subject = NOT", "column 11: 'NOT' is a keyword: quote it "
	       "(\"NOT\") to compare with it");
	SYNTAX("subject =", "column 10: expected a value after '=', found "
	       "end of expression");
	SYNTAX("subject = (x)", "column 11: expected a value after '=', "
	       "found '('");
	SYNTAX("subject = = x", "column 11: expected a value after '=', "
	       "found '='");
	SYNTAX("message_id = <a@b>", "column 14: expected a value after "
	       "'=', found '<'");
	SYNTAX("subject", "column 8: expected an operator (= != < <= > >= ~ "
	       "!~) after 'subject', found end of expression");
	SYNTAX("subject x", "column 9: expected an operator (= != < <= > >= "
	       "~ !~) after 'subject', found 'x'");
	SYNTAX("subject =~ /x/", "column 10: expected a value after '=', "
	       "found '~'");
	SYNTAX("subject ! x", "column 9: '!' must be followed by '=' or '~' "
	       "(use not to negate)");
	SYNTAX("(subject = a", "column 1: '(' is never closed");
	SYNTAX("id = a and ((subject = a) or id = b",
	       "column 12: '(' is never closed");
	SYNTAX("(subject = a x", "column 14: expected 'and', 'or' or ')', "
	       "found 'x'");
	SYNTAX("subject = a)", "column 12: unmatched ')'");
	SYNTAX("subject = a b = c", "column 13: expected 'and', 'or' or end "
	       "of expression, found 'b'");
	SYNTAX("subject = a and", "column 16: expected a field name, found "
	       "end of expression");
	SYNTAX("subject = a or", "column 15: expected a field name, found "
	       "end of expression");
	SYNTAX("and subject = a", "column 1: expected a field name, found "
	       "'and'");
	SYNTAX("not", "column 4: expected a field name, found end of "
	       "expression");
	SYNTAX("()", "column 2: expected a field name, found ')'");
	SYNTAX(")", "column 1: expected a field name, found ')'");
	SYNTAX("= 1", "column 1: expected a field name, found '='");
	SYNTAX("\"id\" = 1", "column 1: expected a field name, found "
	       "'\"id\"'");
	SYNTAX("/x/ = 1", "column 1: expected a field name, found '/x/'");
	SYNTAX("header. = x", "column 1: 'header.' needs a header field name "
	       "(header.NAME)");
	SYNTAX("header.X:Y = 1", "column 9: byte 0x3a (':') cannot be part "
	       "of a header field name");
	SYNTAX("subject = a\x01", "column 12: unexpected control character "
	       "0x01");
	/* the first error from the left wins */
	SYNTAX("foo = 1 and subject = \"abc", "column 1: unknown field 'foo' "
	       "(fields: id, state, queue, from, rcpt, domain, subject, "
	       "message_id, size, age, rcpts, finding, header.NAME)");
	/* long tokens are cut in messages */
	SYNTAX("subject x123456789012345678901234567890123456789012345",
	       "column 9: expected an operator (= != < <= > >= ~ !~) after "
	       "'subject', found 'x123456789012345678901234567890123456789...'");
}

TEST(test_limits)
{
	struct imcq_message *m = mk();
	size_t n = WHERE_MAX_DEPTH, i, k;
	char *e = xmalloc(WHERE_MAX_LEN + 16);
	struct imcq_err err = { 0, "" };
	struct imcq_where *w;

	/* 100 levels of parentheses: fine */
	k = 0;
	for (i = 0; i < n; i++)
		e[k++] = '(';
	memcpy(e + k, "id=3SW32JRP", 11);
	k += 11;
	for (i = 0; i < n; i++)
		e[k++] = ')';
	e[k] = '\0';
	ASSERT_EQ_INT(sel(e, m), 1);
	/* 101: refused at the 101st '(' */
	k = 0;
	for (i = 0; i < n + 1; i++)
		e[k++] = '(';
	memcpy(e + k, "id=3SW32JRP", 11);
	k += 11;
	for (i = 0; i < n + 1; i++)
		e[k++] = ')';
	e[k] = '\0';
	SYNTAX(e, "column 101: nested deeper than 100 levels (parentheses "
	       "and not)");
	/* not counts too: 100 nots (even: true), then 101 */
	k = 0;
	for (i = 0; i < n; i++) {
		memcpy(e + k, "not ", 4);
		k += 4;
	}
	memcpy(e + k, "id=3SW32JRP", 12);
	ASSERT_EQ_INT(sel(e, m), 1);
	memmove(e + 4, e, strlen(e) + 1);
	memcpy(e, "not ", 4);
	SYNTAX(e, "column 401: nested deeper than 100 levels (parentheses "
	       "and not)");
	/* mixed: 50 nots inside 51 parens */
	k = 0;
	for (i = 0; i < 51; i++)
		e[k++] = '(';
	for (i = 0; i < 50; i++) {
		memcpy(e + k, "not ", 4);
		k += 4;
	}
	memcpy(e + k, "id=x", 4);
	k += 4;
	for (i = 0; i < 51; i++)
		e[k++] = ')';
	e[k] = '\0';
	SYNTAX(e, "column 248: nested deeper than 100 levels (parentheses "
	       "and not)");
	/* a very long flat chain is not nesting */
	k = 0;
	for (i = 0; i < 5000; i++) {
		memcpy(e + k, "id=x or ", 8);
		k += 8;
	}
	memcpy(e + k, "id=3SW32JRP", 12);
	ASSERT_EQ_INT(sel(e, m), 1);

	/* length: exactly WHERE_MAX_LEN is accepted, one more refused */
	memset(e, ' ', WHERE_MAX_LEN);
	memcpy(e + WHERE_MAX_LEN - 11, "id=3SW32JRP", 11);
	e[WHERE_MAX_LEN] = '\0';
	ASSERT_EQ_INT(sel(e, m), 1);
	memset(e, ' ', WHERE_MAX_LEN + 1);
	memcpy(e + WHERE_MAX_LEN + 1 - 11, "id=3SW32JRP", 11);
	e[WHERE_MAX_LEN + 1] = '\0';
	SYNTAX(e, "column 65537: expression longer than 65536 bytes");
	/* a long value is fine */
	memcpy(e, "subject = \"", 11);
	memset(e + 11, 'q', 60000);
	memcpy(e + 60011, "\"", 2);
	ASSERT_EQ_INT(sel(e, m), 0);

	/* NULL where selects all; NULL expression is empty */
	ASSERT_EQ_INT(where_match(NULL, m, NOW, &err), 1);
	w = where_compile(NULL, NULL, &err);
	ASSERT(w == NULL);
	ASSERT_EQ_STR(err.msg, "column 1: empty expression");
	where_free(NULL);
	free(e);
	message_free(m);
}

TEST(test_reuse)
{
	struct imcq_message *a = mk(), *b = mk();
	struct imcq_err err = { 0, "" };
	struct imcq_where *w;

	b->state = IMCQ_ST_EXPIRED;
	free(b->im->env.rcpt_to.v[0]);
	b->im->env.rcpt_to.v[0] = xstrdup("zed@other.example");
	w = where_compile("state = expired or rcpt ~ /^bob@/", NULL, &err);
	ASSERT(w != NULL);
	ASSERT_EQ_INT(where_match(w, a, NOW, &err), 1);
	ASSERT_EQ_INT(where_match(w, b, NOW, &err), 1);
	b->state = IMCQ_ST_DELIVERED;
	ASSERT_EQ_INT(where_match(w, b, NOW, &err), 0);
	ASSERT_EQ_INT(err.code, 0);
	where_free(w);
	message_free(a);
	message_free(b);
}

TEST(test_help)
{
	const char *h = where_help();

	ASSERT(h != NULL);
	ASSERT(strstr(h, "header.NAME") != NULL);
	ASSERT(strstr(h, "message_id") != NULL);
	ASSERT(strstr(h, "rcpts") != NULL);
	ASSERT(strstr(h, "finding") != NULL);
}

TEST_MAIN(test_examples, test_string_fields, test_unknown_values,
	  test_state_queue, test_multi_valued, test_numbers, test_precedence,
	  test_quoting, test_regex_flags, test_invalid_utf8, test_backtracking,
	  test_syntax_errors, test_limits, test_reuse, test_help)
