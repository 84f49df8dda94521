/* SPDX-License-Identifier: MIT */
/* test_json.c - the JSON output policy: UTF-8 sanitising with _raw,
 * times, nulls, determinism of a whole report. */
#include "tests/unit/test.h"

#include "analyzer/core/xalloc.h"
#include "reports/json.h"

TEST(test_utf8_clean)
{
	int changed;
	char *c;

	c = json_utf8_clean("plain ascii", &changed);
	ASSERT_EQ_STR(c, "plain ascii");
	ASSERT_EQ_INT(changed, 0);
	free(c);
	c = json_utf8_clean("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", &changed);
	ASSERT_EQ_INT(changed, 0);
	free(c);
	c = json_utf8_clean("a\xff" "b\xc3", &changed);
	ASSERT_EQ_STR(c, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	ASSERT_EQ_INT(changed, 1);
	free(c);
	/* overlong, surrogate, above U+10FFFF */
	c = json_utf8_clean("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", &changed);
	ASSERT_EQ_INT(changed, 1);
	ASSERT(strstr(c, "\xed\xa0") == NULL);
	free(c);
}

TEST(test_add_str_raw)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	json_add_str(o, "subject", "x\xff");
	json_add_str(o, "none", NULL);
	json_add_time(o, "t", 0);
	json_add_time(o, "u", IMCQ_NOTIME);
	s = cJSON_PrintUnformatted(o);
	ASSERT_EQ_STR(s, "{\"subject\":\"x\xef\xbf\xbd\",\"subject_raw\":\"eP8=\",\"none\":null,"
		      "\"t\":\"1970-01-01T00:00:00Z\",\"u\":null}");
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Strings in arrays keep their bytes too: KEY_raw, as long as KEY, with
 * null for the strings that were valid (reports/README.md). */
TEST(test_strv_raw)
{
	struct imcq_report r;
	struct imcq_message *m;
	cJSON *j;
	char *s;

	report_init(&r);
	r.chill = false;
	m = message_new();
	m->spool_id = xstrdup("3SW32JRP");
	strv_push(&m->im->env.rcpt_to, xstrdup("ok@x"));
	strv_push(&m->im->env.rcpt_to, xstrdup("b\xff" "d@x"));
	strv_push(&m->c.to, xstrdup("valid@x"));
	report_add_message(&r, m);
	j = json_message(&r, r.msgs[0]);
	s = cJSON_PrintUnformatted(j);
	ASSERT(strstr(s, "\"rcpt_to\":[\"ok@x\",\"b\xef\xbf\xbd" "d@x\"],"
		      "\"rcpt_to_raw\":[null,\"Yv9kQHg=\"]") != NULL);
	ASSERT(strstr(s, "\"to\":[\"valid@x\"]") != NULL);
	ASSERT(strstr(s, "to_raw\":[null") != NULL);	/* rcpt_to_raw only */
	ASSERT(strstr(s, "\"to_raw\"") == NULL);
	cJSON_free(s);
	cJSON_Delete(j);
	report_release(&r);
}

TEST(test_report_deterministic)
{
	struct imcq_report r;
	struct imcq_message *m;
	cJSON *a, *b;
	char *sa, *sb;

	report_init(&r);
	m = message_new();
	m->spool_id = xstrdup("3SW32JRP");
	m->im->env.mail_from = xstrdup("");
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.com"));
	message_add_rcpt(m, "bob@example.com");
	m->state = IMCQ_ST_AWAITING_DELIVERY;
	report_add_message(&r, m);
	anomaly_add(&r, "x", IMCQ_SEV_INFO, -1, NULL, IMCQ_NOOFF, "a <script> in \x01 text");
	a = json_report(&r, "t");
	b = json_report(&r, "t");
	sa = cJSON_Print(a);
	sb = cJSON_Print(b);
	ASSERT_EQ_STR(sa, sb);
	ASSERT(strstr(sa, "\"schema\":\t\"imcq.report/1\"") != NULL);
	ASSERT(strstr(sa, "\"mail_from\":\t\"\"") != NULL);
	ASSERT(strstr(sa, "\\u0001") != NULL);
	cJSON_free(sa);
	cJSON_free(sb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	report_release(&r);
}

TEST_MAIN(test_utf8_clean, test_add_str_raw, test_strv_raw, test_report_deterministic)
