/* SPDX-License-Identifier: MIT */
/* test_spill.c - the spill store (analyzer/core/spill.h) and chilled
 * messages (model.h message_chill/message_thaw): every record reads back
 * as written, across chunk boundaries, from the file and from memory, from
 * another thread while records are appended, while two threads put and
 * read each other's records at once, and after a write fails as a full
 * disk would (also in the middle of two threads' puts: one warning); no
 * two records overlap; the file has no name; a chilled message prints exactly
 * as the same message unchilled, with its cold fields in memory or in the
 * spill; frozen findings (message_findings_freeze) read back as they were,
 * in order, across several blocks, in memory or in the spill. */
#include "tests/unit/test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyzer/core/spill.h"
#include "analyzer/core/xalloc.h"
#include "reports/json.h"

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct rec {
	uint64_t off;
	size_t len;
	unsigned seed;
};

/* record bytes are a function of (seed, index): checkable without a copy */
static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 9));
}

static bool
check(struct imcq_spill *s, const struct rec *r)
{
	unsigned char *got = xmalloc(r->len), *want = xmalloc(r->len);
	bool ok;

	spill_get(s, r->off, got, r->len);
	fill(want, r->len, r->seed);
	ok = memcmp(got, want, r->len) == 0;
	free(got);
	free(want);
	return ok;
}

static size_t
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Every record lies inside the store and no two overlap (offsets come in
 * no particular order: each thread fills its own extent of bytes). */
static bool
disjoint(struct imcq_spill *s, const struct rec *r, size_t n)
{
	struct rec *v = xmalloc(n * sizeof(*v));
	size_t i;
	bool ok = true;

	memcpy(v, r, n * sizeof(*v));
	qsort(v, n, sizeof(*v), rec_cmp);
	for (i = 0; i < n; i++) {
		if (v[i].off + v[i].len > spill_size(s))
			ok = false;
		if (i > 0 && v[i - 1].off + v[i - 1].len > v[i].off)
			ok = false;
	}
	free(v);
	return ok;
}

static struct rec *
put_many(struct imcq_spill *s, size_t n, uint64_t *seed, uint64_t *total)
{
	struct rec *r = xcalloc(n, sizeof(*r));
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char *p;
		uint64_t x = rnd(seed);

		/* mostly small, some larger than a chunk (1 MiB) */
		r[i].len = (x % 16) == 0 ? (size_t)(x >> 8) % (3u << 20) + 1 : (size_t)(x >> 8) % 700 + 1;
		r[i].seed = (unsigned)i;
		p = xmalloc(r[i].len);
		fill(p, r[i].len, r[i].seed);
		r[i].off = spill_put(s, p, r[i].len);
		*total += r[i].len;
		free(p);
	}
	ASSERT(disjoint(s, r, n));
	ASSERT(spill_size(s) >= *total);
	return r;
}

TEST(test_file_roundtrip)
{
	char dir[] = "/tmp/imcq-test-spill-XXXXXX";
	struct imcq_err err = { 0 };
	struct imcq_spill *s;
	uint64_t seed = 88172645463325252ull, total = 0;
	struct rec *r;
	size_t i, bad = 0;

	ASSERT(mkdtemp(dir) != NULL);
	s = spill_open(dir, &err);
	ASSERT(s != NULL);
	if (s == NULL)
		return;
	/* unlinked from the start: nothing to find, nothing left behind */
	ASSERT_EQ_INT(dir_entries(dir), 0);
	r = put_many(s, 600, &seed, &total);
	/* holes (the ends of extents given back) are few */
	ASSERT(spill_size(s) < total + total / 8);
	/* the rest went to the file: in memory, the chunk being filled and
	 * the one holding this thread's extent */
	ASSERT(spill_in_memory(s) < ((uint64_t)2 << 20));
	for (i = 0; i < 600; i++)
		bad += !check(s, &r[i]);
	ASSERT_EQ_INT(bad, 0);
	ASSERT_EQ_INT(dir_entries(dir), 0);
	spill_close(s);
	free(r);
	ASSERT_EQ_INT(rmdir(dir), 0);
}

TEST(test_open_fails)
{
	struct imcq_err err = { 0 };
	struct imcq_spill *s = spill_open("/nonexistent/imcq-spill-dir", &err);

	ASSERT(s == NULL);
	ASSERT(strstr(err.msg, "/nonexistent/imcq-spill-dir") != NULL);
}

/* After a write fails (a full disk), every record, before and after,
 * still reads back, and the rest is kept in memory. */
TEST(test_write_failure)
{
	struct imcq_err err = { 0 };
	struct imcq_spill *s = spill_open(NULL, &err);
	uint64_t seed = 1234567, total = 0;
	struct rec *a, *b;
	size_t i, bad = 0;

	ASSERT(s != NULL);
	if (s == NULL)
		return;
	a = put_many(s, 300, &seed, &total);
	spill_test_fail_writes(s);
	b = put_many(s, 300, &seed, &total);
	ASSERT(spill_in_memory(s) > ((uint64_t)1 << 20));
	for (i = 0; i < 300; i++) {
		bad += !check(s, &a[i]);
		bad += !check(s, &b[i]);
	}
	ASSERT_EQ_INT(bad, 0);
	spill_close(s);
	free(a);
	free(b);
}

struct reader {
	struct imcq_spill *s;
	struct rec *r;
	volatile size_t *ready;	/* records 0..*ready-1 are written */
	size_t n;
	size_t bad, reads;
};

static void *
read_main(void *p)
{
	struct reader *rd = p;
	uint64_t seed = 42;

	while (rd->reads < 20000) {
		size_t have = __atomic_load_n(rd->ready, __ATOMIC_ACQUIRE);

		if (have > 0) {
			rd->bad += !check(rd->s, &rd->r[rnd(&seed) % have]);
			rd->reads++;
		}
		if (have == rd->n && rd->reads >= 2000)
			break;
	}
	return NULL;
}

/* Reads from another thread while records are appended and flushed. */
TEST(test_concurrent_reads)
{
	struct imcq_err err = { 0 };
	struct imcq_spill *s = spill_open(NULL, &err);
	uint64_t seed = 99, total = 0;
	size_t i, n = 3000;
	volatile size_t ready = 0;
	struct rec *r = xcalloc(n, sizeof(*r));
	struct reader rd = { s, r, &ready, n, 0, 0 };
	pthread_t th;

	ASSERT(s != NULL);
	if (s == NULL) {
		free(r);
		return;
	}
	ASSERT_EQ_INT(pthread_create(&th, NULL, read_main, &rd), 0);
	for (i = 0; i < n; i++) {
		unsigned char *p;
		uint64_t x = rnd(&seed);

		r[i].len = (size_t)(x % 5000) + 1;
		r[i].seed = (unsigned)i;
		p = xmalloc(r[i].len);
		fill(p, r[i].len, r[i].seed);
		r[i].off = spill_put(s, p, r[i].len);
		total += r[i].len;
		free(p);
		__atomic_store_n(&ready, i + 1, __ATOMIC_RELEASE);
	}
	pthread_join(th, NULL);
	ASSERT_EQ_INT(rd.bad, 0);
	ASSERT(rd.reads > 0);
	ASSERT(spill_size(s) >= total);
	ASSERT(disjoint(s, r, n));
	spill_close(s);
	free(r);
}

/* Two threads put at once (small and large records, so extents and reserved
 * records mix) and each reads back, as it goes, records the other has
 * put; after putter 0 has put fail_at records, the file fails. */
struct putter {
	struct imcq_spill *s;
	struct rec *r;
	size_t n, fail_at;
	atomic_size_t ready;	/* records 0..ready-1 are put */
	struct putter *other;
	unsigned base;		/* seeds of this putter's records */
	size_t bad, reads;
};

static void *
put_main(void *p)
{
	struct putter *pt = p;
	uint64_t seed = 7 + pt->base;
	size_t i;

	for (i = 0; i < pt->n; i++) {
		unsigned char *b;
		uint64_t x = rnd(&seed);
		size_t have;

		/* mostly small, some past SPILL_SMALL, a few past a chunk */
		pt->r[i].len = (x % 64) == 0 ? (size_t)(x >> 8) % (3u << 20) + 1 :
			       (x % 8) == 0 ? (size_t)(x >> 8) % 20000 + 1 :
			       (size_t)(x >> 8) % 600 + 1;
		pt->r[i].seed = pt->base + (unsigned)i;
		b = xmalloc(pt->r[i].len);
		fill(b, pt->r[i].len, pt->r[i].seed);
		pt->r[i].off = spill_put(pt->s, b, pt->r[i].len);
		free(b);
		atomic_store_explicit(&pt->ready, i + 1, memory_order_release);
		if (i + 1 == pt->fail_at)
			spill_test_fail_writes(pt->s);
		have = atomic_load_explicit(&pt->other->ready, memory_order_acquire);
		if (have > 0) {
			pt->bad += !check(pt->s, &pt->other->r[rnd(&seed) % have]);
			pt->reads++;
		}
	}
	return NULL;
}

/* Count "cannot write" lines in what fd 2 got while fn ran. */
static size_t
warnings_while(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/imcq-test-spill-err-XXXXXX";
	int fd = mkstemp(path), saved;
	char buf[4096];
	size_t n = 0, k = 0;
	FILE *f;

	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	while (f != NULL && fgets(buf, sizeof(buf), f) != NULL) {
		n++;
		k += strstr(buf, "cannot write the temporary file") != NULL;
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
	return k == n ? k : (size_t)-1;	/* nothing else printed */
}

static void
run_putters(void *arg)
{
	struct putter *pt = arg;
	pthread_t th[2];
	int t;

	for (t = 0; t < 2; t++)
		ASSERT_EQ_INT(pthread_create(&th[t], NULL, put_main, &pt[t]), 0);
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
}

static void
concurrent_puts(size_t fail_at)
{
	struct imcq_err err = { 0 };
	struct imcq_spill *s = spill_open(NULL, &err);
	struct putter pt[2];
	size_t n = 2000, t, i, bad = 0;
	uint64_t total = 0;

	ASSERT(s != NULL);
	if (s == NULL)
		return;
	for (t = 0; t < 2; t++) {
		pt[t] = (struct putter){ .s = s, .n = n, .other = &pt[1 - t],
					 .base = (unsigned)(t * 1000000u),
					 .fail_at = t == 0 ? fail_at : 0 };
		pt[t].r = xcalloc(n, sizeof(*pt[t].r));
		atomic_init(&pt[t].ready, 0);
	}
	ASSERT_EQ_INT(warnings_while(run_putters, pt), fail_at != 0);
	for (t = 0; t < 2; t++) {
		ASSERT_EQ_INT(pt[t].bad, 0);
		ASSERT(pt[t].reads > 0);
		for (i = 0; i < n; i++) {
			bad += !check(s, &pt[t].r[i]);
			total += pt[t].r[i].len;
		}
	}
	ASSERT_EQ_INT(bad, 0);
	ASSERT(spill_size(s) >= total);
	if (fail_at != 0)	/* all after the failure stayed in memory */
		ASSERT(spill_in_memory(s) > total / 4);
	else
		ASSERT(spill_in_memory(s) < total / 4);
	/* the two threads' records, together, do not overlap */
	pt[0].r = xrealloc(pt[0].r, 2 * n * sizeof(*pt[0].r));
	memcpy(pt[0].r + n, pt[1].r, n * sizeof(*pt[1].r));
	ASSERT(disjoint(s, pt[0].r, 2 * n));
	spill_close(s);
	free(pt[0].r);
	free(pt[1].r);
}

TEST(test_concurrent_puts)
{
	concurrent_puts(0);
}

/* The file fails while both threads put: one warning, nothing lost. */
TEST(test_concurrent_write_failure)
{
	concurrent_puts(700);
}

/* A message with every cold field set, and a twin. */
static struct imcq_message *
full_message(void)
{
	struct imcq_message *m = message_new();
	struct imcq_mime_part p = { 0 };
	struct imcq_header_field hf;

	m->spool_id = xstrdup("3SW32JRP");
	m->format = xstrdup("spool");
	m->im->env.mail_from = xstrdup("alice@example.com");
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.com"));
	strv_push(&m->im->env.rcpt_to, xstrdup("carol@example.org"));
	message_add_rcpt(m, "bob@example.com");
	m->c.helo = xstrdup("mail.example.com");
	m->c.client_host = NULL;	/* NULL and "" must stay apart */
	m->c.encoding = xstrdup("");
	message_add_gap(m, 5, (const unsigned char *)"\x01\x00\xff", 3);
	message_add_gap(m, 900, (const unsigned char *)"\x02", 1);
	strv_push(&m->c.extra, xstrdup("year=1999"));
	m->c.date_raw = xstrdup("Fri, 20 Nov 2026 10:22:44 +0000");
	m->c.from = xstrdup("Alice \xff <alice@example.com>");	/* not UTF-8 */
	m->c.reply_to = xstrdup("r@example.com");
	m->c.content_type = xstrdup("multipart/mixed");
	m->c.x_priority = xstrdup("5 (Lowest)");
	m->c.importance = xstrdup("High");	/* Importance wins over X-Priority */
	strv_push(&m->c.to, xstrdup("bob@example.com"));
	strv_push(&m->c.cc, xstrdup("dave@example.net"));
	strv_push(&m->c.bcc, xstrdup("eve@example.net"));
	hf.name = xstrdup("Subject");
	hf.value = xstrdup("hello");
	VEC_PUSH(m->c.all, m->im->hdr.nall, m->c.allcap, hf);
	hf.name = xstrdup("X-Empty");
	hf.value = NULL;
	VEC_PUSH(m->c.all, m->im->hdr.nall, m->c.allcap, hf);
	m->im->hdr.subject = xstrdup("hello");
	p.path = xstrdup("1");
	p.content_type = xstrdup("text/plain");
	p.charset = xstrdup("us-ascii");
	p.size = 1234567890123ull;
	p.depth = 2;
	message_add_part(m, &p);
	p.path = xstrdup("2");
	p.content_type = xstrdup("application/pdf");
	p.filename = xstrdup("r\xc3\xa9port.pdf");
	p.charset = NULL;
	p.encoding = xstrdup("base64");
	p.size = 0;
	p.depth = 1;
	message_add_part(m, &p);
	return m;
}

static char *
printed(const struct imcq_report *r, const struct imcq_message *m)
{
	cJSON *j = json_message(r, m);
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

/* A report that keeps messages as they are, and one that chills them,
 * into the spill or in memory. */
static void
open_pair(struct imcq_report *plain, struct imcq_report *cold, bool with_spill)
{
	struct imcq_err err = { 0 };

	report_init(plain);
	report_init(cold);
	cold->chill = true;
	if (with_spill) {
		cold->spill = spill_open(NULL, &err);
		ASSERT(cold->spill != NULL);
	}
}

static void
chill_case(bool with_spill)
{
	struct imcq_report plain, cold;
	struct imcq_message *a, *b;
	struct imcq_thawed t;
	const struct imcq_message *x;
	char *sa, *sb;
	int k;

	open_pair(&plain, &cold, with_spill);
	report_add_message(&plain, full_message());
	/* a few others first, so the block is not at offset 0 */
	for (k = 0; k < 3; k++)
		report_add_message(&cold, full_message());
	report_add_message(&cold, full_message());
	a = plain.msgs[0];
	b = cold.msgs[3];
	ASSERT(!a->chilled);
	ASSERT(b->chilled);
	/* b ends before b->c: a chilled message keeps 256 bytes, not ~700
	 * (its envelope and header facts are b->im, beside it) */
	ASSERT(offsetof(struct imcq_message, c) <= 256);
	/* the priority the headers state survives their leaving memory */
	ASSERT_EQ_INT(message_header_priority(a), 1);
	ASSERT_EQ_INT(message_header_priority(b), 1);
	ASSERT_EQ_INT(b->im->hdr.nall, 2);			/* the count stays */
	ASSERT_EQ_STR(b->im->hdr.subject, "hello");		/* a hot field */
	ASSERT(b->spilled == with_spill);
	ASSERT(with_spill || b->cold != NULL);
	sa = printed(&plain, a);
	sb = printed(&cold, b);
	ASSERT_EQ_STR(sa, sb);
	x = message_thaw(&cold, b, &t);
	ASSERT(x != b);
	ASSERT_EQ_STR(x->c.all[1].name, "X-Empty");
	ASSERT(x->c.all[1].value == NULL);
	ASSERT(x->c.client_host == NULL);
	ASSERT_EQ_STR(x->c.encoding, "");
	ASSERT_EQ_INT(x->c.parts[0].size, 1234567890123ull);
	ASSERT_EQ_STR(x->c.x_priority, "5 (Lowest)");
	ASSERT_EQ_STR(x->c.importance, "High");
	ASSERT(x->c.priority == NULL);
	message_thawed_release(&t);
	/* an unchilled message thaws to itself */
	ASSERT(message_thaw(&plain, a, &t) == a);
	message_thawed_release(&t);
	cJSON_free(sa);
	cJSON_free(sb);
	report_release(&plain);
	report_release(&cold);
}

TEST(test_chill_in_memory)
{
	chill_case(false);
}

TEST(test_chill_spilled)
{
	chill_case(true);
}

/* One message's findings of the kinds the analysis makes: literal and own
 * strings, a spilled text, shared evidence, report-wide spool ids. */
static void
add_findings(struct imcq_report *r, struct imcq_message *m, int round)
{
	struct imcq_finding *f;

	f = findlist_add_shared(&m->findings, round ? "NO_DELIVERY_ATTEMPT" : "NO_ROUTE",
				IMCQ_SEV_WARNING, "Q146669", "inferred", NULL,
				xasprintf("round %d: no attempt", round));
	evlist_add(&f->ev, 0, "Imcdata/Out/AAAA0001", IMCQ_NOOFF, 0, "queued message");
	evlist_add(&f->ev, -1, NULL, 17, 3, NULL);
	finding_spill(r->spill, f);
	f = findlist_add(&m->findings, "DUPLICATE_RISK", IMCQ_SEV_ERROR, NULL, "copy %d", round);
	f->basis = xstrdup("heuristic");
	f->action = xstrdup("recover one copy");
	finding_add_spool(f, "AAAA0001");
	finding_add_spool(f, "BBBB0002");
	evlist_share(&f->ev, &m->findings.v[m->findings.n - 2].ev.v[0]);
}

static void
freeze_case(bool with_spill)
{
	struct imcq_report plain, cold;
	struct imcq_message *a, *b;
	struct imcq_findlist fl;
	char *sa, *sb;
	int round;

	open_pair(&plain, &cold, with_spill);
	report_add_message(&plain, full_message());
	report_add_message(&cold, full_message());
	a = plain.msgs[0];
	b = cold.msgs[0];
	/* three rounds of two findings: frozen after each, in three blocks;
	 * a report that does not chill keeps them live */
	for (round = 0; round < 3; round++) {
		add_findings(&plain, a, round);
		add_findings(&cold, b, round);
		message_findings_freeze(&plain, a);
		message_findings_freeze(&cold, b);
		ASSERT_EQ_INT(b->findings.n, 0);
		ASSERT_EQ_INT(b->nfz, 2 * (round + 1));
	}
	ASSERT_EQ_INT(a->nfz, 0);
	ASSERT_EQ_INT(a->findings.n, 6);
	ASSERT(b->fz_mem == !with_spill);
	/* the seventh is frozen; the eighth would pass IMCQ_FZ_CODES: live */
	findlist_add_shared(&a->findings, "EXPIRED", IMCQ_SEV_ERROR, NULL, NULL, NULL, xstrdup("7"));
	findlist_add_shared(&b->findings, "EXPIRED", IMCQ_SEV_ERROR, NULL, NULL, NULL, xstrdup("7"));
	message_findings_freeze(&cold, b);
	ASSERT_EQ_INT(b->nfz, 7);
	findlist_add_shared(&a->findings, "OVERSIZED", IMCQ_SEV_INFO, NULL, NULL, NULL, xstrdup("8"));
	findlist_add_shared(&b->findings, "OVERSIZED", IMCQ_SEV_INFO, NULL, NULL, NULL, xstrdup("8"));
	message_findings_freeze(&cold, b);
	ASSERT_EQ_INT(b->nfz, 7);
	ASSERT_EQ_INT(b->findings.n, 1);
	/* codes in order, frozen then live */
	ASSERT_EQ_INT(message_nfindings(b), 8);
	ASSERT_EQ_STR(message_finding_code(b, 0), "NO_ROUTE");
	ASSERT_EQ_STR(message_finding_code(b, 1), "DUPLICATE_RISK");
	ASSERT_EQ_STR(message_finding_code(b, 2), "NO_DELIVERY_ATTEMPT");
	ASSERT_EQ_STR(message_finding_code(b, 6), "EXPIRED");
	ASSERT_EQ_STR(message_finding_code(b, 7), "OVERSIZED");
	/* the whole findings read back as they were */
	message_findings_get(&cold, b, &fl);
	ASSERT_EQ_INT(fl.n, 8);
	ASSERT_EQ_STR(fl.v[1].action, "recover one copy");
	ASSERT_EQ_STR(fl.v[1].basis, "heuristic");
	ASSERT_EQ_INT(fl.v[1].nspool_ids, 2);
	ASSERT_EQ_STR(fl.v[1].spool_ids[1], "BBBB0002");
	ASSERT_EQ_INT(fl.v[0].ev.v[1].input, -1);
	ASSERT_EQ_INT(fl.v[0].ev.v[1].offset, 17);
	ASSERT_EQ_INT(fl.v[0].ev.v[1].line, 3);
	ASSERT(fl.v[0].ev.v[1].member == NULL);
	ASSERT_EQ_INT(fl.v[0].ev.v[0].offset, IMCQ_NOOFF);
	ASSERT_EQ_INT(fl.v[4].sev, IMCQ_SEV_WARNING);
	findlist_release(&fl);
	/* and print as the live ones do */
	sa = printed(&plain, a);
	sb = printed(&cold, b);
	ASSERT_EQ_STR(sa, sb);
	cJSON_free(sa);
	cJSON_free(sb);
	/* an unknown code is never frozen */
	findlist_release(&b->findings);
	findlist_add(&b->findings, "NOT_A_CODE", IMCQ_SEV_INFO, NULL, "x");
	message_findings_drop(b);
	message_findings_freeze(&cold, b);
	ASSERT_EQ_INT(b->nfz, 0);
	ASSERT_EQ_INT(b->findings.n, 1);
	ASSERT_EQ_INT(finding_code_id("NOT_A_CODE"), -1);
	ASSERT_EQ_STR(finding_code_name((unsigned)finding_code_id("CORRUPT_QUEUE_DAT")),
		      "CORRUPT_QUEUE_DAT");
	report_release(&plain);
	report_release(&cold);	/* frees the blocks in memory (ASan: no leak) */
}

TEST(test_freeze_in_memory)
{
	freeze_case(false);
}

TEST(test_freeze_spilled)
{
	freeze_case(true);
}

/* A lean run (drop_details) keeps no block when it freezes; an early
 * freeze (message_findings_freeze_early: states.c's missing records,
 * frozen before summarise reads them) keeps one all the same, which
 * message_findings_get reads; the lean freeze after it adds codes alone. */
static void
early_case(bool with_spill)
{
	struct imcq_report plain, cold;
	struct imcq_message *b;
	struct imcq_findlist fl;

	open_pair(&plain, &cold, with_spill);
	cold.drop_details = true;
	report_add_message(&cold, full_message());
	b = cold.msgs[0];
	add_findings(&cold, b, 0);
	message_findings_freeze_early(&cold, b);
	ASSERT_EQ_INT(b->findings.n, 0);
	ASSERT_EQ_INT(b->nfz, 2);
	ASSERT(b->fzlen > 0 && b->fz_mem == !with_spill);
	ASSERT(message_has_frozen(b, finding_code_id("NO_ROUTE")));
	ASSERT(message_has_frozen(b, finding_code_id("DUPLICATE_RISK")));
	ASSERT(!message_has_frozen(b, finding_code_id("EXPIRED")));
	ASSERT(!message_has_frozen(b, finding_code_id("NOT_A_CODE")));
	message_findings_get(&cold, b, &fl);
	ASSERT_EQ_INT(fl.n, 2);
	ASSERT_EQ_STR(fl.v[0].code, "NO_ROUTE");
	ASSERT_EQ_STR(fl.v[0].reference, "Q146669");
	ASSERT_EQ_STR(fl.v[0].basis, "inferred");
	ASSERT_EQ_INT(fl.v[0].sev, IMCQ_SEV_WARNING);
	ASSERT_EQ_INT(fl.v[0].ev.n, 2);
	ASSERT_EQ_STR(fl.v[1].action, "recover one copy");
	ASSERT_EQ_STR(fl.v[1].spool_ids[1], "BBBB0002");
	findlist_release(&fl);
	/* the plain freeze of the lean run keeps codes only */
	findlist_add_shared(&b->findings, "EXPIRED", IMCQ_SEV_ERROR, NULL, NULL, NULL,
			    xstrdup("late"));
	message_findings_freeze(&cold, b);
	ASSERT_EQ_INT(b->nfz, 3);
	ASSERT_EQ_INT(b->findings.n, 0);
	ASSERT_EQ_STR(message_finding_code(b, 2), "EXPIRED");
	ASSERT(message_has_frozen(b, finding_code_id("EXPIRED")));
	report_release(&plain);
	report_release(&cold);	/* the early block too (ASan: no leak) */
}

TEST(test_freeze_early_in_memory)
{
	early_case(false);
}

TEST(test_freeze_early_spilled)
{
	early_case(true);
}

TEST_MAIN(test_file_roundtrip, test_open_fails, test_write_failure,
	  test_concurrent_reads, test_concurrent_puts, test_concurrent_write_failure,
	  test_chill_in_memory, test_chill_spilled,
	  test_freeze_in_memory, test_freeze_spilled,
	  test_freeze_early_in_memory, test_freeze_early_spilled)
