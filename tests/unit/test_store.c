/* SPDX-License-Identifier: MIT */
/* test_store.c - the mapped store (analyzer/core/store.h) and the messages
 * and events moved into it (model.h message_store, report_store_event):
 * every block reads back as put, aligned, across the file's 64 MiB steps;
 * store_alloc's room is zeroed and fillable;
 * store_holds knows its own blocks; a sealed store takes no more; a
 * capped store fills and says so, and IMCQ_STORE=off gives none; the
 * trimming thread gives the mapping's pages back while the bytes stay;
 * a stored message and event read exactly as before and free cleanly. */
#include "tests/unit/test.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/core/model.h"
#include "analyzer/core/store.h"
#include "analyzer/core/xalloc.h"

static struct imcq_store *
open_with(const char *env)
{
	struct imcq_err e = { 0 };
	struct imcq_store *s;

	if (env)
		setenv("IMCQ_STORE", env, 1);
	else
		unsetenv("IMCQ_STORE");
	s = store_open(NULL, &e);
	unsetenv("IMCQ_STORE");
	return s;
}

TEST(test_put_read)
{
	struct imcq_store *s = open_with(NULL);
	unsigned char *big, *p[5];
	size_t bign = ((size_t)64 << 20) + 12345;	/* over one step of the file */
	char heap[4] = "abc";

	ASSERT(s != NULL);
	if (s == NULL)
		return;
	p[0] = store_put(s, "hello", 6);
	p[1] = store_put(s, "x", 1);
	big = xmalloc(bign);
	for (size_t i = 0; i < bign; i++)
		big[i] = (unsigned char)(i * 7 + 3);
	p[2] = store_put(s, big, bign);
	p[3] = store_put(s, "after", 6);
	ASSERT(p[0] && p[1] && p[2] && p[3]);
	for (int k = 0; k < 4; k++)
		ASSERT(((uintptr_t)p[k] & 7) == 0);
	ASSERT_EQ_STR((char *)p[0], "hello");
	ASSERT(p[1][0] == 'x');
	ASSERT(memcmp(p[2], big, bign) == 0);
	ASSERT_EQ_STR((char *)p[3], "after");
	ASSERT(store_holds(s, p[2] + bign - 1));
	ASSERT(store_holds(s, p[0]));
	ASSERT(!store_holds(s, heap));
	ASSERT(!store_holds(NULL, p[0]));
	ASSERT(store_size(s) >= bign + 13);
	/* room to fill: zeroed, aligned, in the store */
	{
		unsigned char *a = store_alloc(s, 100);

		ASSERT(a != NULL && ((uintptr_t)a & 7) == 0 && store_holds(s, a + 99));
		for (int k = 0; a != NULL && k < 100; k++)
			ASSERT(a[k] == 0);
		if (a != NULL)
			memcpy(a, "filled", 7);
		ASSERT(a == NULL || strcmp((char *)a, "filled") == 0);
	}
	/* before the seal the caller may write into its block */
	p[0][0] = 'j';
	ASSERT_EQ_STR((char *)p[0], "jello");
	store_seal(s);
	p[4] = store_put(s, "late", 5);
	ASSERT(p[4] == NULL);
	ASSERT_EQ_STR((char *)p[3], "after");	/* still readable */
	ASSERT(memcmp(p[2], big, bign) == 0);
	free(big);
	store_close(s);
}

TEST(test_cap_and_off)
{
	struct imcq_store *s = open_with("max:100");
	char blk[60];

	memset(blk, 'q', sizeof(blk));
	ASSERT(s != NULL);
	if (s != NULL) {
		ASSERT(store_put(s, blk, 60) != NULL);
		ASSERT(store_put(s, blk, 60) == NULL);	/* 64 + 60 > 100 */
		ASSERT(store_put(s, blk, 8) == NULL);	/* full: no more, even small */
		store_close(s);
	}
	ASSERT(open_with("off") == NULL);
}

/* resident kB of the process's file mappings (/proc/self/status) */
static long
rss_file_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "RssFile:", 8) == 0)
			kb = strtol(line + 8, NULL, 10);
	fclose(f);
	return kb;
}

TEST(test_trimmed)
{
	struct imcq_store *s = open_with(NULL);
	size_t n = (size_t)48 << 20;
	unsigned char *blk = xcalloc(1, n), *p;
	long before, after = -1;
	volatile unsigned sum = 0;

	ASSERT(s != NULL);
	if (s == NULL || rss_file_kb() < 0) {
		free(blk);
		store_close(s);
		return;
	}
	memset(blk, 5, n);
	before = rss_file_kb();	/* the file mappings' pages without the store's */
	p = store_put(s, blk, n);
	free(blk);
	ASSERT(p != NULL);
	store_seal(s);
	/* read every page, then wait (up to 5 s) for the thread to give the
	 * mapping's pages back: the process keeps < 16 MiB of the 48 */
	for (int round = 0; round < 50; round++) {
		struct timespec ts = { 0, 100 * 1000000L };

		if (round == 0)
			for (size_t i = 0; p && i < n; i += 4096)
				sum += p[i];
		nanosleep(&ts, NULL);
		after = rss_file_kb();
		if (after < before + 16 * 1024)
			break;
	}
	ASSERT(after >= 0 && after < before + 16 * 1024);
	ASSERT(p && p[n - 1] == 5 && p[n / 2] == 5);	/* the bytes stay */
	(void)sum;
	store_close(s);
}

TEST(test_message_and_event)
{
	struct imcq_report r;
	struct imcq_message *m = message_new();
	struct imcq_source src = { .input = 0, .member = "Imcdata/Out/ABCDEFGH.TMP", .mtime = 0 };
	struct imcq_hop h = { 0 };
	struct imcq_event *e;

	report_init(&r);
	r.store = open_with(NULL);
	ASSERT(r.store != NULL);
	m->spool_id = xstrdup("ABCDEFGH");
	m->format = xstrdup("spool");
	m->im->env.mail_from = xstrdup("alice@example.net");
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.org"));
	strv_push(&m->im->env.rcpt_to, xstrdup("carol@example.org"));
	message_add_rcpt(m, "bob@example.org");
	m->im->hdr.message_id = xstrdup("<m1@example.net>");
	m->im->hdr.subject = xstrdup("quarterly figures");
	h.from = xstrdup("mail.example.net");
	h.by = xstrdup("EXB2");
	h.id = xstrdup("ABCDEFGH");
	h.date = 1;
	VEC_PUSH(m->im->hdr.received, m->im->hdr.nreceived, m->im->hdr.reccap, h);
	message_add_source(m, &src);
	report_add_message(&r, m);
	ASSERT(m->pack_stored);
	ASSERT(store_holds(r.store, m->pack));
	ASSERT(store_holds(r.store, m->sources));
	ASSERT(store_holds(r.store, m->im->env.rcpt_to.v));
	ASSERT(store_holds(r.store, m->im->hdr.received));
	ASSERT(!store_holds(r.store, m->spool_id));	/* the hot one stays */
	ASSERT_EQ_STR(m->spool_id, "ABCDEFGH");
	ASSERT_EQ_STR(m->format, "spool");
	ASSERT_EQ_STR(m->im->env.mail_from, "alice@example.net");
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, 2);
	ASSERT_EQ_STR(m->im->env.rcpt_to.v[1], "carol@example.org");
	ASSERT(store_holds(r.store, m->im->env.rcpt_to.v[1]));
	ASSERT_EQ_STR(m->rcpts[0].address, "bob@example.org");
	ASSERT(store_holds(r.store, m->rcpts[0].address));
	ASSERT_EQ_STR(m->im->hdr.message_id, "<m1@example.net>");
	ASSERT_EQ_STR(m->im->hdr.subject, "quarterly figures");
	ASSERT_EQ_INT(m->im->hdr.nreceived, 1);
	ASSERT_EQ_STR(m->im->hdr.received[0].by, "EXB2");
	ASSERT_EQ_STR(m->im->hdr.received[0].from, "mail.example.net");
	ASSERT_EQ_INT(m->nsources, 1);
	ASSERT_EQ_STR(m->sources[0].member, "Imcdata/Out/ABCDEFGH.TMP");

	e = report_add_event(&r);
	e->member = xstrdup("Exchsrvr/Imcdata/Log/20261126.log");
	e->msg_id = xstrdup("<m1@example.net>");
	e->spool_id = xstrdup("ABCDEFGH");
	e->text = xstrdup("1010 SMTP queued outbound");
	event_add_rcpt(e, xstrdup("bob@example.org"));
	event_add_rcpt(e, xstrdup("dave@example.org"));
	event_pack(e);
	report_store_event(&r, e);
	ASSERT(store_holds(r.store, e->rcpts.v));
	ASSERT(store_holds(r.store, e->msg_id));
	ASSERT_EQ_STR(e->msg_id, "<m1@example.net>");
	ASSERT_EQ_STR(e->spool_id, "ABCDEFGH");
	ASSERT_EQ_STR(e->member, "Exchsrvr/Imcdata/Log/20261126.log");
	ASSERT_EQ_STR(e->text, "1010 SMTP queued outbound");
	ASSERT_EQ_INT(e->rcpts.n, 2);
	ASSERT_EQ_STR(e->rcpts.v[0], "bob@example.org");
	ASSERT_EQ_STR(e->rcpts.v[1], "dave@example.org");
	store_seal(r.store);
	/* a message added after the seal stays in the heap */
	m = message_new();
	m->spool_id = xstrdup("LATE0001");
	report_add_message(&r, m);
	ASSERT(!m->pack_stored);
	ASSERT_EQ_STR(m->spool_id, "LATE0001");
	report_release(&r);	/* frees the heap parts, closes the store last */
}

TEST_MAIN(test_put_read, test_cap_and_off, test_trimmed, test_message_and_event)
