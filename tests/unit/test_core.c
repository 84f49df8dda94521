/* SPDX-License-Identifier: MIT */
/* test_core.c - the core vocabulary: buffer, cursor, spans, paths, layout,
 * times. */
#include "tests/unit/test.h"

#include "analyzer/core/model.h"

#include "analyzer/core/buf.h"
#include "analyzer/core/keysort.h"
#include "analyzer/core/path.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/ingest.h"

TEST(test_buf_cap)
{
	struct buf b;

	buf_init(&b, 8);
	ASSERT_EQ_INT(buf_appends(&b, "abcd"), IMCQ_OK);
	ASSERT_EQ_INT(buf_append(&b, "\0x", 2), IMCQ_OK);
	ASSERT_EQ_INT(b.len, 6);
	ASSERT_EQ_INT(b.data[6], '\0');
	ASSERT_EQ_INT(buf_appends(&b, "xyz"), IMCQ_WARN);	/* 9 > cap */
	ASSERT(b.over);
	ASSERT_EQ_INT(b.len, 6);
	ASSERT_EQ_INT(buf_appendf(&b, "%d", 42), IMCQ_OK);
	ASSERT_EQ_STR(b.data + 6, "42");
	buf_release(&b);
}

/* buf_reserve: one allocation for a known size, never past the cap, and
 * the buffer works as before */
TEST(test_buf_reserve)
{
	struct buf b;
	char *before;
	int i;

	buf_init(&b, 1000);
	buf_reserve(&b, 600);
	ASSERT_EQ_INT(b.alloc, 601);
	before = b.data;
	for (i = 0; i < 60; i++)
		ASSERT_EQ_INT(buf_appends(&b, "0123456789"), IMCQ_OK);
	ASSERT(b.data == before);	/* no move while it fits */
	ASSERT_EQ_INT(b.len, 600);
	ASSERT_EQ_INT(b.data[600], '\0');
	ASSERT_EQ_INT(buf_appends(&b, "x"), IMCQ_OK);	/* past the reserve: grows */
	ASSERT_EQ_INT(b.len, 601);
	buf_reserve(&b, 10);		/* smaller than what it has: nothing */
	ASSERT_EQ_INT(b.len, 601);
	ASSERT_EQ_INT(buf_append(&b, "0123456789", 10), IMCQ_OK);
	ASSERT_EQ_STR(b.data + 601, "0123456789");
	buf_release(&b);
	buf_init(&b, 1000);
	buf_reserve(&b, (size_t)-1);	/* a false size: the cap, no more */
	ASSERT_EQ_INT(b.alloc, 1001);
	ASSERT_EQ_INT(buf_appends(&b, "ok"), IMCQ_OK);
	ASSERT_EQ_STR(b.data, "ok");
	buf_release(&b);
}

TEST(test_rd_bounds)
{
	static const unsigned char d[] = { 1, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xff };
	struct rd r;
	struct span s;

	rd_init(&r, d, sizeof(d), 100);
	ASSERT_EQ_INT(rd_u8(&r), 1);
	ASSERT_EQ_INT(rd_u16le(&r), 0x1234);
	ASSERT_EQ_INT(rd_u32le(&r), 0x12345678);
	ASSERT_EQ_INT(rd_off(&r), 107);
	ASSERT(!r.bad);
	ASSERT_EQ_INT(rd_u32le(&r), 0);	/* only one byte left */
	ASSERT(r.bad);
	ASSERT_EQ_INT(rd_off(&r), 107);	/* cursor did not move */
	ASSERT(!rd_bytes(&r, 1, &s));	/* sticky */
	ASSERT_EQ_INT(s.len, 0);
}

TEST(test_rd_varint)
{
	static const unsigned char ok[] = { 0x96, 0x01 };
	static const unsigned char endless[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	struct rd r;
	uint64_t v = 0;

	rd_init(&r, ok, sizeof(ok), 0);
	ASSERT(rd_varint7(&r, 4, 1000, &v));
	ASSERT_EQ_INT(v, 150);
	rd_init(&r, ok, sizeof(ok), 0);
	ASSERT(!rd_varint7(&r, 4, 100, &v));	/* over the value cap */
	rd_init(&r, endless, sizeof(endless), 0);
	ASSERT(!rd_varint7(&r, 4, UINT64_MAX, &v));
	ASSERT(r.bad);
}

TEST(test_span_lines)
{
	static const char t[] = "a\r\nbb\rccc\nd";
	struct span s = { (const unsigned char *)t, sizeof(t) - 1 };
	struct span l;
	size_t pos = 0;
	int n = 0;
	const char *want[] = { "a", "bb", "ccc", "d" };

	while (span_next_line(s, &pos, &l)) {
		char *c = span_dup(l);

		ASSERT(n < 4);
		if (n < 4)
			ASSERT_EQ_STR(c, want[n]);
		free(c);
		n++;
	}
	ASSERT_EQ_INT(n, 4);
}

TEST(test_span_num)
{
	uint64_t v;
	struct span s = { (const unsigned char *)"18446744073709551616", 20 };

	ASSERT(!span_u64(s, UINT64_MAX, &v));	/* overflow */
	s.len = 19;
	ASSERT(span_u64(s, UINT64_MAX, &v));
	s.ptr = (const unsigned char *)"12x";
	s.len = 3;
	ASSERT(!span_u64(s, UINT64_MAX, &v));
	s.len = 0;
	ASSERT(!span_u64(s, UINT64_MAX, &v));
	s.ptr = (const unsigned char *)"3";
	s.len = 1;
	ASSERT(!span_u64(s, 2, &v));	/* one digit above a small max */
	ASSERT(span_u64(s, 3, &v));
	ASSERT(span_find((const unsigned char *)"xxEwLsyy", 8, "EwLs", 4) != NULL);
	ASSERT(span_find((const unsigned char *)"xxEwL", 5, "EwLs", 4) == NULL);
}

static void
norm_is(const char *in, const char *want, bool want_susp)
{
	bool susp;
	char *n = path_normalize(in, &susp);

	ASSERT_EQ_STR(n, want);
	ASSERT_EQ_INT(susp, want_susp);
	free(n);
}

TEST(test_path_normalize)
{
	norm_is("D:\\backup\\EXCHSRVR\\IMCDATA\\OUT\\3SW32JRP",
		"backup/EXCHSRVR/IMCDATA/OUT/3SW32JRP", true);
	norm_is("ServerB/imcdata/out/./X", "ServerB/imcdata/out/X", false);
	norm_is("../../etc/passwd", "etc/passwd", true);
	norm_is("a\\..\\..\\b", "a/b", true);
	norm_is("/abs//path", "abs/path", true);
	norm_is("", "", false);
}

TEST(test_path_place)
{
	ASSERT_EQ_INT(path_place("backup/EXCHSRVR/IMCDATA/OUT/3SW32JRP"), IMCQ_PL_OUT);
	ASSERT_EQ_INT(path_place("x/Imcdata/Out/Archive/3SW32JRP"), IMCQ_PL_OUT_ARCHIVE);
	ASSERT_EQ_INT(path_place("imcdata/in/A1B2C3D4"), IMCQ_PL_IN);
	ASSERT_EQ_INT(path_place("imcdata/IN/ARCHIVE/A1B2C3D4"), IMCQ_PL_IN_ARCHIVE);
	ASSERT_EQ_INT(path_place("imcdata/pickup/x.eml"), IMCQ_PL_PICKUP);
	ASSERT_EQ_INT(path_place("imcdata/Pickup/Archive/x.eml"), IMCQ_PL_PICKUP_ARCHIVE);
	ASSERT_EQ_INT(path_place("Exchsrvr/IMCDATA/WORK/f"), IMCQ_PL_WORK);
	ASSERT_EQ_INT(path_place("Exchsrvr/IMCDATA/Log/L0000000.LOG"), IMCQ_PL_LOG);
	ASSERT_EQ_INT(path_place("Exchsrvr/IMCDATA/Queue.dat"), IMCQ_PL_QUEUE_DAT);
	ASSERT_EQ_INT(path_place("snapshots/queue.DAT"), IMCQ_PL_QUEUE_DAT);
	ASSERT_EQ_INT(path_place("Exchsrvr/MTADATA/GWART0.MTA"), IMCQ_PL_MTADATA);
	ASSERT_EQ_INT(path_place("Exchsrvr/Tracking.log/20261126.log"), IMCQ_PL_TRACKING);
	ASSERT_EQ_INT(path_place("outer.zip!/IMCDATA/OUT/AAAA1111"), IMCQ_PL_OUT);
	ASSERT_EQ_INT(path_place("Exchsrvr/imcdata/backup/imcsvc.reg"), IMCQ_PL_BACKUP);
	ASSERT_EQ_INT(path_place("random/file.txt"), IMCQ_PL_UNKNOWN);
	ASSERT_EQ_INT(path_place("imcdata/Turfdir/X"), IMCQ_PL_TURFDIR);
	ASSERT_EQ_STR(path_base("a/b/c"), "c");
	ASSERT_EQ_STR(path_base("c"), "c");
}

TEST(test_time)
{
	int64_t t;
	char iso[32];

	ASSERT(imcq_mktime(1970, 1, 1, 0, 0, 0, &t));
	ASSERT_EQ_INT(t, 0);
	ASSERT(imcq_mktime(2026, 11, 27, 15, 0, 0, &t));
	imcq_iso(t, iso);
	ASSERT_EQ_STR(iso, "2026-11-27T15:00:00Z");
	ASSERT(imcq_parse_iso("2026-11-27T15:00:00Z", &t));
	imcq_iso(t, iso);
	ASSERT_EQ_STR(iso, "2026-11-27T15:00:00Z");
	ASSERT(!imcq_parse_iso("2026-13-01", &t));
	ASSERT(!imcq_parse_iso("yesterday", &t));
	imcq_iso(imcq_filetime_to_unix(116444736000000000ULL), iso);
	ASSERT_EQ_STR(iso, "1970-01-01T00:00:00Z");
	ASSERT(imcq_parse_duration("48h", &t));
	ASSERT_EQ_INT(t, 172800);
	ASSERT(!imcq_parse_duration("4x", &t));
	{
		uint64_t u;

		ASSERT(imcq_parse_size("5M", &u));
		ASSERT_EQ_INT(u, 5 * 1024 * 1024);
		ASSERT(!imcq_parse_size("99999999999999999999G", &u));
	}
}

TEST(test_archive_magic)
{
	ASSERT(ingest_is_archive((const unsigned char *)"PK\003\004xx", 6));
	ASSERT(ingest_is_archive((const unsigned char *)"MSCF\0\0\0\0", 8));
	ASSERT(!ingest_is_archive((const unsigned char *)"\xf7ImCr", 5));
	ASSERT(!ingest_is_archive((const unsigned char *)"PK", 2));
}

TEST(test_spool_id)
{
	ASSERT(imcq_is_spool_id("3SW32JRP", 8));
	ASSERT(!imcq_is_spool_id("3SW32JR", 7));
	ASSERT(!imcq_is_spool_id("3SW32J-P", 8));
}

/* message_pack: one block; a string equal to or a tail of an earlier one
 * shares its bytes (a recipient's address with the envelope's, its domain
 * with the address), and everything reads as before. */
TEST(test_message_pack_shares)
{
	struct imcq_message *m = message_new();
	size_t used;

	m->spool_id = xstrdup("3SW32JRP");
	m->im->env.mail_from = xstrdup("alice@example.com");
	strv_push(&m->im->env.rcpt_to, xstrdup("bob@example.com"));
	strv_push(&m->im->env.rcpt_to, xstrdup("Carol@Example.ORG"));
	message_add_rcpt(m, "bob@example.com");
	message_add_rcpt(m, "Carol@Example.ORG");
	m->im->hdr.subject = xstrdup("example.com");	/* a tail of mail_from */
	message_pack(m);
	ASSERT(m->pack != NULL);
	ASSERT_EQ_STR(m->rcpts[0].address, "bob@example.com");
	ASSERT_EQ_STR(m->rcpts[0].domain, "example.com");
	ASSERT_EQ_STR(m->rcpts[1].domain, "example.org");	/* lower case: its own */
	ASSERT(m->rcpts[0].address == m->im->env.rcpt_to.v[0]);
	ASSERT(m->rcpts[1].address == m->im->env.rcpt_to.v[1]);
	ASSERT(m->rcpts[0].domain == m->im->env.mail_from + 6);
	ASSERT(m->im->hdr.subject == m->im->env.mail_from + 6);
	ASSERT(m->rcpts[0].domain >= m->pack && m->rcpts[0].domain < m->pack + m->packlen);
	used = strlen("3SW32JRP") + 1 + strlen("alice@example.com") + 1 +
	       strlen("bob@example.com") + 1 + strlen("Carol@Example.ORG") + 1 +
	       strlen("example.org") + 1;
	ASSERT_EQ_INT(m->packlen, used);
	message_free(m);	/* LeakSanitizer: every string freed once */
}

/* Big arrays (xalloc.h): grown across BIG_MIN into a mapping of their
 * own, trimmed within it and back below it, freed; the elements keep
 * their values through every move. */
TEST(test_big_array)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0, i, big = 2 * BIG_MIN / sizeof(*v) + 3;
	int bad = 0;

	for (i = 0; i < big; i++)
		VEC_PUSH_BIG(v, n, cap, (uint64_t)i * 2654435761u);
	ASSERT_EQ_INT(n, big);
	ASSERT(cap * sizeof(*v) >= BIG_MIN);
	for (i = 0; i < n; i++)
		bad += v[i] != (uint64_t)i * 2654435761u;
	ASSERT_EQ_INT(bad, 0);
	n = BIG_MIN / sizeof(*v) + 1;		/* trimmed, still big */
	xtrim_big((void **)&v, &cap, n, sizeof(*v));
	ASSERT_EQ_INT(cap, n);
	for (i = 0; i < n; i++)
		bad += v[i] != (uint64_t)i * 2654435761u;
	ASSERT_EQ_INT(bad, 0);
	VEC_PUSH_BIG(v, n, cap, 7);		/* and grown again */
	ASSERT_EQ_INT(v[n - 1], 7);
	ASSERT_EQ_INT(v[n - 2], (uint64_t)(n - 2) * 2654435761u);
	n = 1000;				/* below BIG_MIN: a malloc block */
	xtrim_big((void **)&v, &cap, n, sizeof(*v));
	ASSERT_EQ_INT(cap, 1000);
	for (i = 0; i < n; i++)
		bad += v[i] != (uint64_t)i * 2654435761u;
	ASSERT_EQ_INT(bad, 0);
	xfree_big(v, cap, sizeof(*v));		/* LeakSanitizer: freed */
	v = NULL;
	n = cap = 0;
	VEC_PUSH_BIG(v, n, cap, 1);
	xtrim_big((void **)&v, &cap, 0, sizeof(*v));
	ASSERT(v == NULL);
	ASSERT_EQ_INT(cap, 0);
}

/* xqsort_keyed sorts as a stable sort of the whole: names with ties (the
 * comparator sees the name only) keep their first order; a sorted array
 * stays, one with a short unsorted tail (sorted alone and merged) and a
 * shuffled one come out the same as a stable insertion sort's. */
struct kname {
	char name[12];
	int first;
};

static uint64_t
kname_key(const void *p)
{
	return str_key8(((const struct kname *)p)->name);
}

static int
kname_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct kname *const *)a)->name, (*(const struct kname *const *)b)->name);
}

static void
stable_ref(void **v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && kname_cmp(&v[j - 1], &v[j]) > 0; j--) {
			void *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

TEST(test_keysort_stable)
{
	enum { N = 3000 };
	static struct kname e[N];
	static void *v[N], *want[N];
	unsigned r = 12345;

	for (size_t i = 0; i < N; i++) {
		r = r * 1103515245u + 12345u;
		snprintf(e[i].name, sizeof(e[i].name), "ID%07u", (r >> 8) % 500);	/* ties */
		e[i].first = (int)i;
	}
	for (int shape = 0; shape < 3; shape++) {
		size_t pre = shape == 0 ? 0 : shape == 1 ? N - N / 20 : N;

		for (size_t i = 0; i < N; i++)
			v[i] = &e[i];
		stable_ref(v, pre);	/* a sorted prefix, then the rest as made */
		memcpy(want, v, sizeof(v));
		stable_ref(want, N);
		xqsort_keyed(v, N, kname_key, kname_cmp);
		ASSERT(memcmp(v, want, sizeof(v)) == 0);
		for (size_t i = 1; i < N; i++) {
			const struct kname *x = v[i - 1], *y = v[i];

			ASSERT(strcmp(x->name, y->name) < 0 ||
			       (strcmp(x->name, y->name) == 0 && x->first < y->first));
		}
	}
}

TEST_MAIN(test_keysort_stable, test_buf_cap, test_buf_reserve, test_rd_bounds, test_rd_varint, test_span_lines,
	  test_span_num, test_path_normalize, test_path_place, test_time,
	  test_archive_magic, test_spool_id, test_message_pack_shares, test_big_array)
