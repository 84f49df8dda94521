/* SPDX-License-Identifier: MIT */
/* test_store.c - the mapped store (analyzer/core/store.h) and the messages
 * and events moved into it (model.h message_store, report_store_event):
 * every block reads back as put, aligned, across the file's 64 MiB steps;
 * store_alloc's room is zeroed and fillable;
 * store_holds knows its own blocks; a sealed store takes no more; a
 * capped store fills and says so, and IMCQ_STORE=off gives none; the
 * trimming thread gives the mapping's pages back while the bytes stay;
 * a stored message and event read exactly as before and free cleanly;
 * store_read and store_write move bytes through the file that the
 * mapping then shows; report_gather moves records, recipients and blocks
 * into the record store in rep->msgs's order, every field and string
 * reading as before and writable, and with a full store leaves them all
 * in the heap; the log events go along, readable and writable; the
 * events' array moves to a store of its own past rec_heap_max / 4 and grows
 * there in place, and back to the heap when that store fills. */
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
	/* a string through the file: whole, too long for the buffer, not
	 * in the store */
	{
		char sb[8];

		ASSERT(store_read_str(s, (char *)p[3], sb, sizeof(sb)));
		ASSERT_EQ_STR(sb, "after");
		ASSERT(store_read_str(s, (char *)p[0] + 2, sb, sizeof(sb)));
		ASSERT_EQ_STR(sb, "llo");
		ASSERT(!store_read_str(s, (char *)p[2], sb, sizeof(sb)));	/* no NUL in 8 */
		ASSERT(!store_read_str(s, heap, sb, sizeof(sb)));
		ASSERT(!store_read_str(NULL, (char *)p[3], sb, sizeof(sb)));
		/* up to cap bytes, fewer at the store's end, none outside */
		ASSERT(store_read_some(s, p[0], sb, 4) == 4 && memcmp(sb, "hell", 4) == 0);
		ASSERT(store_read_some(s, p[3], sb, sizeof(sb)) == 6);
		ASSERT_EQ_STR(sb, "after");
		ASSERT(store_read_some(s, heap, sb, sizeof(sb)) == 0);
		ASSERT(store_read_some(NULL, p[0], sb, sizeof(sb)) == 0);
		/* bytes through the file when the store holds them, else in place */
		memset(sb, 0, sizeof(sb));
		ASSERT(store_copy_out(s, p[0], sb, 6));
		ASSERT_EQ_STR(sb, "hello");
		ASSERT(store_copy_out(s, heap, sb, 4));
		ASSERT_EQ_STR(sb, "abc");
		ASSERT(store_copy_out(NULL, "xyz", sb, 4));
		ASSERT_EQ_STR(sb, "xyz");
	}
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
	/* through the file, not the mapping: the mapping shows the bytes */
	{
		unsigned char *a = store_alloc(s, 5000), back[5000], src[5000];

		ASSERT(a != NULL);
		for (int k = 0; k < 5000; k++)
			src[k] = (unsigned char)(k * 13 + 1);
		ASSERT(a != NULL && store_write(s, a + 100, src, 4900));
		ASSERT(a != NULL && memcmp(a + 100, src, 4900) == 0 && a[99] == 0);
		ASSERT(a != NULL && store_read(s, a + 100, back, 4900));
		ASSERT(memcmp(back, src, 4900) == 0);
		ASSERT(store_read(s, p[2] + 1000, back, 100));
		ASSERT(memcmp(back, big + 1000, 100) == 0);
		ASSERT(store_write(s, a, src, 0) && store_read(s, a, back, 0));
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
	size_t n = (size_t)(3 * STORE_BUDGET);
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
	/* below the resident-set floor nothing is trimmed (a run whose
	 * records stay in the heap: store_set_rss_floor) */
	store_set_rss_floor((uint64_t)1 << 40);
	for (size_t i = 0; p && i < n; i += 4096)
		sum += p[i];
	{
		struct timespec ts = { 0, 400 * 1000000L };

		nanosleep(&ts, NULL);
	}
	ASSERT(rss_file_kb() >= before + (long)(n >> 10) * 3 / 4);
	store_set_rss_floor(0);	/* the default: trim on the budget alone */
	/* read every page, then wait (up to 5 s) for the thread to give the
	 * mapping's pages back: the process keeps at most the budget of the
	 * three budgets' worth (what it read after the last trim), and a
	 * little slack for its own pages */
	const long keep_kb = (long)(STORE_BUDGET >> 10) + 4 * 1024;
	for (int round = 0; round < 50; round++) {
		struct timespec ts = { 0, 100 * 1000000L };

		if (round == 0)
			for (size_t i = 0; p && i < n; i += 4096)
				sum += p[i];
		nanosleep(&ts, NULL);
		after = rss_file_kb();
		if (after < before + keep_kb)
			break;
	}
	ASSERT(after >= 0 && after < before + keep_kb);
	ASSERT(p && p[n - 1] == 5 && p[n / 2] == 5);	/* the bytes stay */
	(void)sum;
	store_close(s);
}

/* Below the resident-set floor, once a look has read the resident set,
 * store_read and store_read_some copy from the mapping instead of
 * calling pread (round 19): the same bytes either way; never below what
 * store_drop gave back (its pages are inaccessible: the file's hole reads
 * as zeros); and with no floor, through the file as before. */
TEST(test_read_in_place)
{
	struct imcq_store *s = open_with(NULL);
	unsigned char src[4 * 4096], back[200], *p;
	uint64_t was;

	ASSERT(s != NULL);
	if (s == NULL)
		return;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 13 + 1);
	p = store_put(s, src, sizeof(src));
	ASSERT(p != NULL);
	if (p == NULL) {
		store_close(s);
		return;
	}
	store_set_rss_floor(0);
	was = store_reads_in_place(s);
	ASSERT(store_read(s, p + 100, back, 200) && memcmp(back, src + 100, 200) == 0);
	ASSERT(store_reads_in_place(s) == was);		/* no floor: the file */
	store_set_rss_floor((uint64_t)1 << 40);
	/* a look (store_poll: one every STORE_POLL_N calls, at most one a
	 * STORE_POLL_US) reads the resident set */
	for (int i = 0; i < 200 * STORE_POLL_N; i++) {
		store_poll();
		if (i % STORE_POLL_N == 0) {
			struct timespec ts = { 0, 2 * STORE_POLL_US * 1000L };

			nanosleep(&ts, NULL);
		}
	}
	ASSERT(store_read(s, p + 5000, back, 200) && memcmp(back, src + 5000, 200) == 0);
	ASSERT(store_reads_in_place(s) == was + 1);
	ASSERT(store_read_some(s, p + sizeof(src) - 50, back, sizeof(back)) == 50);
	ASSERT(memcmp(back, src + sizeof(src) - 50, 50) == 0);
	ASSERT(store_reads_in_place(s) == was + 2);
	{
		char sb[8];
		char *str = store_put(s, "in place", 9);

		/* a string: its bytes alone; one too long for the buffer */
		ASSERT(str != NULL && store_read_str(s, str + 3, sb, sizeof(sb)));
		ASSERT_EQ_STR(sb, "place");
		ASSERT(store_reads_in_place(s) == was + 3);
		ASSERT(!store_read_str(s, str, sb, sizeof(sb)));
		was++;
	}
	/* the first two pages given back: read through the file (zeros),
	 * the rest still in place */
	store_drop(s, p + 2 * 4096 + 10);
	memset(back, 0xEE, sizeof(back));
	ASSERT(store_read(s, p + 4096 + 8, back, 100));
	for (size_t i = 0; i < 100; i++)
		ASSERT(back[i] == 0);
	ASSERT(store_reads_in_place(s) == was + 2);
	ASSERT(store_read(s, p + 3 * 4096, back, 100) && memcmp(back, src + 3 * 4096, 100) == 0);
	ASSERT(store_reads_in_place(s) == was + 3);
	store_set_rss_floor(0);	/* the default */
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

/* message i of test_gather: i recipients mod 4, i hops mod 3 */
static struct imcq_message *
gather_msg(int i)
{
	struct imcq_message *m = message_new();
	struct imcq_source src = { .input = 0, .member = "Imcdata/Out/shared-member", .mtime = i };
	char b[64];

	snprintf(b, sizeof(b), "S%07d", 1000 - i);	/* added in reverse order */
	m->spool_id = xstrdup(b);
	m->format = xstrdup("spool");
	snprintf(b, sizeof(b), "sender%d@example.net", i);
	m->im->env.mail_from = xstrdup(b);
	snprintf(b, sizeof(b), "subject %d", i);
	m->im->hdr.subject = xstrdup(b);
	for (int k = 0; k < i % 4; k++) {
		snprintf(b, sizeof(b), "r%d.%d@d%d.example.org", i, k, k);
		strv_push(&m->im->env.rcpt_to, xstrdup(b));
		message_add_rcpt(m, b);
	}
	for (int k = 0; k < i % 3; k++) {
		struct imcq_hop h = { 0 };

		snprintf(b, sizeof(b), "hop%d.%d", i, k);
		h.from = xstrdup(b);
		h.by = xstrdup("EXB2");
		h.date = i * 10 + k;
		VEC_PUSH(m->im->hdr.received, m->im->hdr.nreceived, m->im->hdr.reccap, h);
	}
	message_add_source(m, &src);
	m->size = (uint64_t)i * 100;
	return m;
}

static int
cmp_spool(const void *a, const void *b)
{
	return strcmp((*(struct imcq_message *const *)a)->spool_id,
		      (*(struct imcq_message *const *)b)->spool_id);
}

/* every field and string of message i (gather_msg) as made */
static void
gather_check(const struct imcq_message *m, int i)
{
	char b[64];

	snprintf(b, sizeof(b), "S%07d", 1000 - i);
	ASSERT_EQ_STR(m->spool_id, b);
	ASSERT_EQ_STR(m->format, "spool");
	snprintf(b, sizeof(b), "sender%d@example.net", i);
	ASSERT_EQ_STR(m->im->env.mail_from, b);
	snprintf(b, sizeof(b), "subject %d", i);
	ASSERT_EQ_STR(m->im->hdr.subject, b);
	ASSERT_EQ_INT(m->nrcpts, i % 4);
	ASSERT_EQ_INT(m->im->env.rcpt_to.n, i % 4);
	for (int k = 0; k < i % 4 && k < (int)m->nrcpts; k++) {
		snprintf(b, sizeof(b), "r%d.%d@d%d.example.org", i, k, k);
		ASSERT_EQ_STR(m->rcpts[k].address, b);
		ASSERT_EQ_STR(m->im->env.rcpt_to.v[k], b);
		snprintf(b, sizeof(b), "d%d.example.org", k);
		ASSERT_EQ_STR(m->rcpts[k].domain, b);
	}
	ASSERT_EQ_INT(m->im->hdr.nreceived, i % 3);
	for (int k = 0; k < i % 3 && k < (int)m->im->hdr.nreceived; k++) {
		snprintf(b, sizeof(b), "hop%d.%d", i, k);
		ASSERT_EQ_STR(m->im->hdr.received[k].from, b);
		ASSERT_EQ_STR(m->im->hdr.received[k].by, "EXB2");
		ASSERT(m->im->hdr.received[k].date == i * 10 + k);
	}
	ASSERT_EQ_INT(m->nsources, 1);
	ASSERT_EQ_STR(m->sources[0].member, "Imcdata/Out/shared-member");
	ASSERT(m->sources[0].mtime == i);
	ASSERT(m->size == (uint64_t)i * 100);
}

/* n messages, the records into a record store as they are added
 * (at_ingest, as pipeline_run has it) or left in the heap; then sorted by
 * spool id and gathered, the record store opened with IMCQ_STORE=env */
static void
gather_fill(struct imcq_report *r, int n, const char *env, bool at_ingest)
{
	report_init(r);
	r->store = open_with(NULL);
	r->chill = true;
	ASSERT(r->store != NULL);
	if (at_ingest) {
		bool after = env != NULL && strncmp(env, "after:", 6) == 0;
		bool heap = after || (env != NULL && strncmp(env, "heap:", 5) == 0);

		r->rstore = open_with(heap ? NULL : env);
		ASSERT(r->rstore != NULL);
		if (heap)
			r->rec_heap_max = strtoull(strchr(env, ':') + 1, NULL, 10);
		r->ingest_over = after;	/* records the analysis adds */
	}
	for (int i = 0; i < 5; i++) {
		struct imcq_event *e = report_add_event(r);
		char b[40];

		snprintf(b, sizeof(b), "<m%d@example.net>", i);
		e->msg_id = xstrdup(b);
		e->event_no = 1000 + i;
		e->time = i;
		event_add_rcpt(e, xstrdup("bob@example.org"));
		event_pack(e);
		report_store_event(r, e);
	}
	for (int i = 0; i < n; i++) {
		report_add_message(r, gather_msg(i));
		if (env == NULL) {
			ASSERT(r->msgs[i]->rec_stored == at_ingest);
			ASSERT(!at_ingest || store_holds(r->rstore, r->msgs[i]));
		}
	}
	if (env != NULL && strncmp(env, "after:", 6) == 0) {
		ASSERT(!r->msgs[0]->rec_stored);	/* the first in the heap */
		ASSERT(r->msgs[n - 1]->rec_stored);	/* the last in the store */
		/* the store is sealed after ingest: their blocks went to the
		 * record store, all of them */
		for (int i = 0; i < n; i++)
			ASSERT(r->msgs[i]->pack_stored && store_holds(r->rstore, r->msgs[i]->pack));
	}
	if (env != NULL && strncmp(env, "heap:", 5) == 0) {
		/* at ingest the first ones followed once the share was used */
		ASSERT(r->rec_heap == 0 && r->rec_heap_full);
		for (int i = 0; i < n; i++)
			ASSERT(r->msgs[i]->rec_stored && store_holds(r->rstore, r->msgs[i]));
	}
	store_seal(r->store);
	qsort(r->msgs, r->nmsgs, sizeof(*r->msgs), cmp_spool);
	report_order_mem(r);
	report_gather(r);
}

TEST(test_gather)
{
	struct imcq_report r;
	const int n = 60;

	/* no record store while they were added: nothing moves */
	gather_fill(&r, n, NULL, false);
	ASSERT(!r.events_stored && !store_holds(r.rstore, r.events));
	for (size_t k = 0; k < r.nmsgs; k++) {
		ASSERT(!r.msgs[k]->rec_stored);
		gather_check(r.msgs[k], n - 1 - (int)k);
	}
	report_release(&r);
	/* all in the store; or the first ones in the heap (rec_heap_max), and
	 * moved there once it is used at ingest; or after ingest left in the
	 * heap, the rest in the store; and all of them gathered */
	for (int heap_first = 0; heap_first < 3; heap_first++) {
	gather_fill(&r, n, heap_first == 1 ? "heap:3000" : heap_first == 2 ? "after:3000" : NULL,
		    true);
	ASSERT(r.rstore != NULL);
	for (size_t k = 0; k < r.nmsgs; k++) {
		struct imcq_message *m = r.msgs[k];
		int i = n - 1 - (int)k;	/* spool-id order is the reverse */

		ASSERT(m->rec_stored && m->pack_stored);
		ASSERT(store_holds(r.rstore, m));
		ASSERT(store_holds(r.rstore, m->pack) && store_holds(r.rstore, m->im));
		ASSERT(store_holds(r.rstore, m->sources));
		ASSERT(m->nrcpts == 0 || store_holds(r.rstore, m->rcpts));
		ASSERT(m->nrcpts == 0 || store_holds(r.rstore, m->rcpts[0].address));
		ASSERT(m->im->hdr.nreceived == 0 || store_holds(r.rstore, m->im->hdr.received));
		ASSERT(m->im->hdr.nreceived == 0 ||
		       store_holds(r.rstore, m->im->hdr.received[0].from));
		ASSERT(!store_holds(r.rstore, m->spool_id));	/* the heap copy */
		ASSERT(k == 0 || (uintptr_t)r.msgs[k - 1] < (uintptr_t)m);	/* in order */
		ASSERT_EQ_INT(report_mi(&r, k), k);
		gather_check(m, i);
		/* the analysis writes records and recipients in place */
		m->state = IMCQ_ST_EXPIRED;
		m->queue_time = i;
		if (m->nrcpts > 0)
			m->rcpts[0].status = "delivered";
	}
	/* the events went along, in their order, readable and writable */
	ASSERT(r.events_stored && store_holds(r.rstore, r.events));
	ASSERT_EQ_INT(r.nevents, 5);
	for (size_t i = 0; i < r.nevents; i++) {
		char b[40];

		snprintf(b, sizeof(b), "<m%zu@example.net>", i);
		ASSERT_EQ_STR(r.events[i].msg_id, b);
		ASSERT(r.events[i].event_no == 1000 + (int)i && r.events[i].time == (int64_t)i);
		ASSERT_EQ_STR(r.events[i].rcpts.v[0], "bob@example.org");
		r.events[i].time += 100;
	}
	ASSERT(r.events[4].time == 104);
	for (size_t k = 0; k < r.nmsgs; k++) {
		const struct imcq_message *m = r.msgs[k];

		ASSERT(m->state == IMCQ_ST_EXPIRED && m->queue_time == n - 1 - (int)k);
		ASSERT(m->nrcpts == 0 || strcmp(m->rcpts[0].status, "delivered") == 0);
	}
	report_release(&r);
	}

	/* one that fills while ingest adds them: the first records there,
	 * the rest in the heap, and no room to gather: all stay, readable */
	gather_fill(&r, n, "max:3000", true);
	{
		size_t there = 0;

		for (size_t k = 0; k < r.nmsgs; k++) {
			const struct imcq_message *m = r.msgs[k];

			there += m->rec_stored;
			ASSERT(m->rec_stored == store_holds(r.rstore, m));
			gather_check(m, n - 1 - (int)k);
		}
		ASSERT(there > 0 && there < r.nmsgs);
	}
	report_release(&r);
}

/* the log events' array: in the heap up to rec_heap_max bytes, then in
 * the events' store, where it grows in place; a store that fills sends it
 * back to the heap; every event reads as made */
TEST(test_events_store)
{
	for (int capped = 0; capped < 2; capped++) {
		struct imcq_report r;
		const size_t n = 10;

		report_init(&r);
		r.store = open_with(NULL);
		r.estore = open_with(capped ? "max:1000" : NULL);
		r.rec_heap_max = 4 * 3 * sizeof(struct imcq_event);
		ASSERT(r.store != NULL && r.estore != NULL);
		for (size_t i = 0; i < n; i++) {
			struct imcq_event *e = report_add_event(&r);
			char b[40];

			ASSERT(e == &r.events[i] && e->event_no == -1);
			snprintf(b, sizeof(b), "<e%zu@example.net>", i);
			e->msg_id = xstrdup(b);
			e->event_no = (int)i;
			e->line = i * 7;
			event_pack(e);
			report_store_event(&r, e);
			/* the fourth event moves the array to the store */
			ASSERT(i < 3 ? !r.events_stored : (capped && i >= 6) || r.events_stored);
			ASSERT(!r.events_stored || store_holds(r.estore, r.events + i));
		}
		ASSERT(r.events_stored == !capped);
		for (size_t i = 0; i < n; i++) {
			char b[40];
			struct imcq_event eb;
			struct imcq_evread rb;
			const struct imcq_event *p, *d;

			snprintf(b, sizeof(b), "<e%zu@example.net>", i);
			ASSERT_EQ_STR(r.events[i].msg_id, b);
			ASSERT(r.events[i].event_no == (int)i && r.events[i].line == i * 7);
			/* read at random: a copy through the file when stored,
			 * with the strings in the copy's room */
			p = report_event_peek(&r, i, &eb);
			ASSERT(p == (r.events_stored ? &eb : &r.events[i]));
			ASSERT(p->event_no == (int)i && p->line == i * 7);
			ASSERT(p->msg_id == r.events[i].msg_id);
			d = report_event_read(&r, i, &rb);
			ASSERT(d == &rb.e && d->event_no == (int)i);
			ASSERT_EQ_STR(d->msg_id, b);
			ASSERT(store_holds(r.store, r.events[i].msg_id) ==
			       (d->msg_id >= rb.room && d->msg_id < rb.room + sizeof(rb.room)));
		}
		report_trim(&r);
		ASSERT_EQ_STR(r.events[n - 1].msg_id, "<e9@example.net>");
		report_release(&r);
	}
}

/* The inventory's rows move to their store past rec_heap_max / 4 bytes
 * and grow there; the members of the rows added from then on go to the
 * members' store (the earlier ones stay: sources point at them); a capped
 * store sends the rows back to the heap. */
TEST(test_inv_store)
{
	for (int capped = 0; capped < 2; capped++) {
		struct imcq_report r;
		const size_t n = 12;

		report_init(&r);
		r.mstore = open_with(NULL);
		r.istore = open_with(capped ? "max:600" : NULL);
		r.rec_heap_max = 4 * 3 * sizeof(struct imcq_inv);
		ASSERT(r.mstore != NULL && r.istore != NULL);
		for (size_t i = 0; i < n; i++) {
			struct imcq_inv v, *to;
			char b[40];

			memset(&v, 0, sizeof(v));
			snprintf(b, sizeof(b), "Imcdata/Out/M%07zu", i);
			v.member = xstrdup(b);
			v.input = (int)(i % 2);
			v.size = i * 100;
			to = report_add_inv(&r, &v);
			ASSERT(to == &r.inv[i] && r.ninv == i + 1);
			to->parsed = true;	/* the rows stay writable */
			/* the fourth row moves the array to the store */
			ASSERT(i < 3 ? !r.inv_stored : (capped && i >= 7) || r.inv_stored);
			ASSERT(!r.inv_stored || store_holds(r.istore, r.inv + i));
			ASSERT(!store_holds(r.mstore, r.inv[0].member));	/* it stays */
		}
		ASSERT(r.inv_stored == !capped);
		for (size_t i = 0; i < n; i++) {
			char b[40];

			snprintf(b, sizeof(b), "Imcdata/Out/M%07zu", i);
			ASSERT_EQ_STR(r.inv[i].member, b);
			ASSERT(r.inv[i].size == i * 100 && r.inv[i].parsed);
			ASSERT(r.inv[i].input == (int)(i % 2));
			ASSERT(store_holds(r.mstore, r.inv[i].member) == (i >= 3 && i < (capped ? 7u : n)));
		}
		report_trim(&r);
		ASSERT_EQ_STR(r.inv[n - 1].member, "Imcdata/Out/M0000011");
		report_release(&r);
	}
}

/* report_event_read: an event's packed block read through the main
 * store's file into the copy's room -- the recipients' pointers and the
 * strings within IMCQ_EVREAD_ROOM bytes rebased there, the rest read in
 * place, the member path (which evidence shares) never rebased. */
TEST(test_event_read_room)
{
	struct imcq_report r;
	const size_t nr[2] = { 3, 200 };	/* 200 pointers pass the room */

	report_init(&r);
	r.store = open_with(NULL);
	ASSERT(r.store != NULL);
	for (size_t k = 0; k < 2; k++) {
		struct imcq_event *e = report_add_event(&r);
		char b[64];

		e->member = xstrdup("Exchsrvr/Imcdata/Log/Ev.log");	/* own: packed too */
		e->msg_id = xstrdup("<read@example.net>");
		e->remote_id = xstrdup("remote [ABCD1234]");
		e->event_no = 1010;
		for (size_t i = 0; i < nr[k]; i++) {
			snprintf(b, sizeof(b), "rcpt%03zu@example.org", i);
			event_add_rcpt(e, xstrdup(b));
		}
		event_pack(e);
		report_store_event(&r, e);
		ASSERT(store_holds(r.store, e->rcpts.v) && store_holds(r.store, e->msg_id));
	}
	for (size_t k = 0; k < 2; k++) {
		const struct imcq_event *o = &r.events[k];
		struct imcq_evread rb;
		const struct imcq_event *d = report_event_read(&r, k, &rb);
		bool fits = nr[k] * sizeof(char *) <= sizeof(rb.room);
		char b[64];

		ASSERT(d == &rb.e && d->event_no == 1010 && d->rcpts.n == nr[k]);
		ASSERT(d->member == o->member);
		ASSERT_EQ_STR(d->msg_id, "<read@example.net>");
		ASSERT_EQ_STR(d->remote_id, "remote [ABCD1234]");
		ASSERT((d->rcpts.v == (char **)(void *)rb.room) == fits);
		ASSERT(fits == (d->msg_id != o->msg_id));
		for (size_t i = 0; i < nr[k]; i++) {
			snprintf(b, sizeof(b), "rcpt%03zu@example.org", i);
			ASSERT_EQ_STR(d->rcpts.v[i], b);
		}
	}
	report_release(&r);
}

/* A carved Queue.dat's references and values move to the store past
 * rec_heap_max / 4 bytes, and read the same; below it they stay. */
TEST(test_qfile_store)
{
	for (int big = 0; big < 2; big++) {
		struct imcq_report r;
		struct imcq_queue_file *q;
		const size_t n = 50;

		report_init(&r);
		r.store = open_with(NULL);
		ASSERT(r.store != NULL);
		r.rec_heap_max = big ? 4 * 1000 : (uint64_t)1 << 30;
		q = report_add_qfile(&r);
		for (size_t i = 0; i < n; i++) {
			char id[16];
			struct imcq_qref *ref;

			snprintf(id, sizeof(id), i == 7 ? "LONGID%07zu" : "ID%06zu", i);
			ref = qfile_add_ref(q, id, i * 64);
			ref->count = 1;
			ref->time_at = qfile_add_time(q, IMCQ_QK_FILETIME, i * 64 + 16,
						      1000000000 + (int64_t)i);
			ref->address_at = qfile_add_text(&r, q, IMCQ_QK_ADDRESS, i * 64 + 32,
							 "a@example.com");
		}
		report_store_qfile(&r, q);
		ASSERT(store_holds(r.store, q->refs) == big);
		ASSERT(store_holds(r.store, q->strings) == big);
		for (size_t i = 0; i < n; i++) {
			char id[16];

			snprintf(id, sizeof(id), i == 7 ? "LONGID%07zu" : "ID%06zu", i);
			ASSERT_EQ_STR(qref_spool_id(q, &q->refs[i]), id);
			ASSERT(q->refs[i].offset == i * 64);
			ASSERT(qref_time(q, &q->refs[i]) == 1000000000 + (int64_t)i);
			ASSERT_EQ_STR(qref_address(q, &q->refs[i]), "a@example.com");
			/* read at random through the store's file: the same */
			{
				struct imcq_qpeek qp;

				qref_peek(&r, q, i, &qp);
				ASSERT(qp.r.offset == i * 64 && qp.r.count == 1);
				ASSERT_EQ_STR(qref_spool_id(q, &qp.r), id);
				ASSERT(qp.time == 1000000000 + (int64_t)i);
				ASSERT_EQ_STR(qp.address, "a@example.com");
			}
		}
		report_trim(&r);	/* leaves the stored arrays */
		ASSERT(q->nrefs == n && qref_time(q, &q->refs[n - 1]) == 1000000049);
		report_release(&r);
	}
}

TEST_MAIN(test_put_read, test_cap_and_off, test_trimmed, test_read_in_place, test_message_and_event, test_gather,
	  test_events_store, test_event_read_room, test_inv_store, test_qfile_store)
