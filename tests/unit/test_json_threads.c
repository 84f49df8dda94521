/* SPDX-License-Identifier: MIT */
/* test_json_threads.c - what analyze's report writing uses to render on
 * two threads gives the bytes of the one-thread printer: json_render
 * against json_write, json_lazy_at against the lazy arrays' own order
 * (the routing decisions skip messages that are not queued), and a whole
 * report.json printed from the shell with every element rendered apart
 * against cJSON's print of the whole document; then both threads at
 * once on one report. */
#include "tests/unit/test.h"

#include <pthread.h>

#include "analyzer/core/xalloc.h"
#include "reports/json.h"

#define NMSG 300

static void
build(struct imcq_report *r)
{
	size_t i, j;
	struct imcq_finding *f;

	report_init(r);
	r->reference_time = 1795000000;
	for (i = 0; i < NMSG; i++) {
		struct imcq_message *m = message_new();
		struct imcq_inv v = { 0 };
		struct imcq_event *e;

		m->spool_id = xasprintf("Q%07zu", i);
		m->im->env.mail_from = xstrdup(i % 7 ? "alice@example.net" : "");
		m->im->hdr.subject = xasprintf("figures %zu \t\"quoted\" \x01 caf\xc3\xa9%s",
					   i, i % 11 ? "" : " \xff");
		m->queue_time = 1794990000 + (int64_t)i;
		/* 0..3 recipients; every third message not queued */
		for (j = 0; j < i % 4; j++) {
			char *a = xasprintf("r%zu@d%zu.example.com", j, i % 5);

			strv_push(&m->im->env.rcpt_to, xstrdup(a));
			message_add_rcpt(m, a);
			free(a);
		}
		m->state = i % 3 == 0 ? IMCQ_ST_ARCHIVED : IMCQ_ST_AWAITING_DELIVERY;
		report_add_message(r, m);
		v.input = -1;
		v.member = xasprintf("Exchsrvr/Imcdata/Out/Q%07zu", i);
		v.size = 1000 + i;
		v.mtime = IMCQ_NOTIME;
		v.kind = "spool";
		v.parsed = true;
		VEC_PUSH(r->inv, r->ninv, r->invcap, v);
		e = report_add_event(r);
		e->source = "tracking";
		e->time = 1794990000 + (int64_t)i;
		e->text = xasprintf("event %zu", i);
		e->input = -1;
	}
	/* a report-wide finding on every other message, and changes
	 * between snapshots, one id not valid UTF-8 (appeared_raw) */
	f = findlist_add(&r->findings, "STALE_ROUTING", IMCQ_SEV_WARNING,
			 "Q268494", "%d messages", NMSG / 2);
	for (i = 0; i < NMSG; i += 2)
		finding_add_spool(f, r->msgs[i]->spool_id);
	for (i = 0; i < 5; i++)
		strv_push(&r->changes_appeared, xasprintf("A%zu%s", i, i == 3 ? "\xe9" : ""));
	strv_push(&r->changes_persisted, xstrdup("P0"));
}

/* What json_write prints, as a string. */
static char *
written(const cJSON *v, int pretty, size_t depth)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	json_write(f, v, pretty, depth, NULL, NULL, NULL);
	fclose(f);
	return p;
}

static char *
rendered(const cJSON *v, int pretty, size_t depth)
{
	struct json_buf b = { 0 };

	json_render(&b, v, pretty, depth);
	b.p = xrealloc(b.p, b.len + 1);
	b.p[b.len] = '\0';
	return b.p;
}

TEST(test_render_is_write)
{
	struct imcq_report r;
	size_t i, d;

	build(&r);
	for (i = 0; i < r.nmsgs; i += 7) {
		cJSON *m = json_message(&r, r.msgs[i]);

		for (d = 0; d < 4; d++) {
			char *a = written(m, 1, d), *b = rendered(m, 1, d);

			ASSERT_EQ_STR(b, a);
			free(a);
			free(b);
		}
		{
			char *a = written(m, 0, 0), *b = rendered(m, 0, 0);
			struct json_buf two = { 0 };

			ASSERT_EQ_STR(b, a);
			/* appends */
			json_render(&two, m, 0, 0);
			json_render(&two, m, 0, 0);
			ASSERT_EQ_INT(two.len, 2 * strlen(a));
			ASSERT(memcmp(two.p + strlen(a), a, strlen(a)) == 0);
			free(two.p);
			free(a);
			free(b);
		}
		cJSON_Delete(m);
	}
	report_release(&r);
}

/* json_lazy_each's elements, printed, in order */
struct each {
	char **v;
	size_t n, cap;
};

static bool
collect(void *ctx, cJSON *item)
{
	struct each *e = ctx;

	VEC_PUSH(e->v, e->n, e->cap, written(item, 1, 2));
	cJSON_Delete(item);
	return true;
}

static void
check_lazy(const cJSON *arr, size_t want)
{
	struct json_lazy_index *ix = json_lazy_index(arr);
	struct each e = { 0 };
	size_t k;

	ASSERT(ix != NULL);
	if (ix == NULL)
		return;
	json_lazy_each(arr, collect, &e);
	ASSERT_EQ_INT(e.n, want);
	ASSERT_EQ_INT(json_lazy_index_count(ix), want);
	for (k = 0; k < e.n; k++) {
		cJSON *it = json_lazy_at(ix, k);
		char *s = written(it, 1, 2);

		ASSERT_EQ_STR(s, e.v[k]);
		free(s);
		free(e.v[k]);
		cJSON_Delete(it);
	}
	free(e.v);
	json_lazy_index_free(ix);
}

TEST(test_lazy_at)
{
	struct imcq_report r;
	const cJSON *hole;
	cJSON *shell;
	size_t i, ndec = 0;

	build(&r);
	for (i = 0; i < NMSG; i++)
		if (i % 3 != 0)
			ndec += i % 4;
	shell = json_report_shell(&r, "t", &hole);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "routing"), "decisions"), ndec);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "logs"), "events"), NMSG);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "logs"), "sessions"), 0);
	check_lazy(cJSON_GetObjectItem(shell, "inventory"), NMSG);
	/* the report-wide finding's ids, the changes and their _raw */
	check_lazy(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(shell, "findings"), 0),
				       "spool_ids"), NMSG / 2);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "changes"), "appeared"), 5);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "changes"), "appeared_raw"), 5);
	check_lazy(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "changes"), "persisted"), 1);
	ASSERT(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "changes"), "persisted_raw") == NULL);
	ASSERT(json_lazy_index(cJSON_GetObjectItem(shell, "inputs")) == NULL);
	json_shell_delete(shell);
	report_release(&r);
}

/* The whole document from the shell, every element rendered apart. */
struct doc_out {
	const struct imcq_report *rep;
};

static void
put_messages(void *user, FILE *f, size_t depth)
{
	const struct doc_out *o = user;
	size_t i;

	for (i = 0; i < o->rep->nmsgs; i++) {
		cJSON *m = json_message(o->rep, o->rep->msgs[i]);
		char *s = rendered(m, 1, depth);

		if (i > 0)
			fputs(", ", f);
		fputs(s, f);
		free(s);
		cJSON_Delete(m);
	}
}

static void
put_lazy(void *user, FILE *f, const cJSON *arr, size_t depth)
{
	struct json_lazy_index *ix = json_lazy_index(arr);
	size_t k;

	(void)user;
	for (k = 0; k < json_lazy_index_count(ix); k++) {
		cJSON *e = json_lazy_at(ix, k);
		char *s = rendered(e, 1, depth);

		if (k > 0)
			fputs(", ", f);
		fputs(s, f);
		free(s);
		cJSON_Delete(e);
	}
	json_lazy_index_free(ix);
}

TEST(test_document)
{
	struct imcq_report r;
	struct doc_out o = { &r };
	const cJSON *hole;
	cJSON *whole, *shell;
	char *a, *b = NULL;
	size_t n = 0;
	FILE *f;

	build(&r);
	whole = json_report(&r, "t");
	a = cJSON_Print(whole);
	cJSON_Delete(whole);
	shell = json_report_shell(&r, "t", &hole);
	f = open_memstream(&b, &n);
	json_write_lazy(f, shell, 1, 0, hole, put_messages, put_lazy, &o);
	fclose(f);
	ASSERT_EQ_STR(b, a);
	ASSERT(strstr(b, "\"decisions\":\t[{") != NULL);
	ASSERT(strstr(b, "\"spool_ids\":\t[\"Q0000000\", \"Q0000002\"") != NULL);
	ASSERT(strstr(b, "\"appeared_raw\":\t[null, null, null, \"QTPp\", null]") != NULL);
	json_shell_delete(shell);
	cJSON_free(a);
	free(b);
	report_release(&r);
}

/* Both threads at once (for ThreadSanitizer), while the shell exists. */
struct half {
	const struct imcq_report *rep;
	struct json_lazy_index *ix;
	size_t from;
	unsigned long sum;
};

static void *
half_main(void *arg)
{
	struct half *h = arg;
	size_t i;

	for (i = h->from; i < h->rep->nmsgs; i += 2) {
		cJSON *m = json_message(h->rep, h->rep->msgs[i]);
		struct json_buf b = { 0 };

		json_render(&b, m, 1, 2);
		json_render(&b, m, 0, 0);
		h->sum += b.len;
		free(b.p);
		cJSON_Delete(m);
	}
	for (i = h->from; i < json_lazy_index_count(h->ix); i += 2) {
		cJSON *e = json_lazy_at(h->ix, i);
		struct json_buf b = { 0 };

		json_render(&b, e, 1, 3);
		h->sum += b.len;
		free(b.p);
		cJSON_Delete(e);
	}
	return NULL;
}

TEST(test_two_threads)
{
	struct imcq_report r;
	const cJSON *hole;
	cJSON *shell;
	struct json_lazy_index *ix;
	struct half h0, h1, one;
	pthread_t t;

	build(&r);
	shell = json_report_shell(&r, "t", &hole);
	ix = json_lazy_index(cJSON_GetObjectItem(cJSON_GetObjectItem(shell, "routing"), "decisions"));
	h0 = (struct half){ &r, ix, 0, 0 };
	h1 = (struct half){ &r, ix, 1, 0 };
	ASSERT_EQ_INT(pthread_create(&t, NULL, half_main, &h1), 0);
	half_main(&h0);
	ASSERT_EQ_INT(pthread_join(t, NULL), 0);
	/* the same as one thread doing both halves */
	one = (struct half){ &r, ix, 0, 0 };
	half_main(&one);
	one.from = 1;
	half_main(&one);
	ASSERT_EQ_INT(h0.sum + h1.sum, one.sum);
	json_lazy_index_free(ix);
	json_shell_delete(shell);
	report_release(&r);
}

TEST_MAIN(test_render_is_write, test_lazy_at, test_document, test_two_threads)
