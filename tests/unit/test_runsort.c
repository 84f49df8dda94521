/* SPDX-License-Identifier: MIT */
/* test_runsort.c - the external merge sort (analyzer/core/runsort.h):
 * records come back in the comparator's order and, when equal, in the
 * order they were added, with every byte, whether they stayed in memory,
 * went to the file in many runs (a buffer of 4 KiB), include a record
 * larger than the write and read buffers, or had no file to go to
 * ($TMPDIR that does not exist: the buffer grows); IMCQ_SORT_MEM sets the
 * buffer; an empty sorter gives nothing. */
#include "tests/unit/test.h"

#include <stdint.h>
#include <stdlib.h>

#include "analyzer/core/runsort.h"
#include "analyzer/core/xalloc.h"

/* A record: key (u32), sequence (u32), then len bytes made from seq. */
static int
cmp_key(const void *a, size_t an, const void *b, size_t bn)
{
	uint32_t x, y;

	ASSERT(an >= 8 && bn >= 8);
	ASSERT(((uintptr_t)a & 7) == 0 && ((uintptr_t)b & 7) == 0);
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return x < y ? -1 : x > y;
}

static unsigned char
byte_of(uint32_t seq, size_t i)
{
	return (unsigned char)(seq * 7u + i * 13u);
}

static size_t
len_of(uint32_t seq, uint32_t big)
{
	return seq == big ? (size_t)3 << 20 : seq % 61;
}

static void
add_rec(struct runsort *s, uint32_t key, uint32_t seq, uint32_t big)
{
	size_t n = 8 + len_of(seq, big), i;
	unsigned char *p = xmalloc(n);

	memcpy(p, &key, 4);
	memcpy(p + 4, &seq, 4);
	for (i = 8; i < n; i++)
		p[i] = byte_of(seq, i);
	runsort_add(s, p, n);
	free(p);
}

/* Add n records with keys in [0, nkeys) (record big, if < n, 3 MiB), read
 * them back and check them; the number of runs. */
static size_t
check(size_t mem, uint32_t n, uint32_t nkeys, uint32_t big)
{
	struct runsort *s = runsort_new(cmp_key, mem);
	unsigned char *seen = xcalloc(n, 1);
	uint64_t st = 88172645463325252ull;
	uint32_t i, prev_key = 0, prev_seq = 0, got = 0;
	const void *r;
	size_t rn, runs;

	for (i = 0; i < n; i++) {
		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		add_rec(s, (uint32_t)(st % nkeys), i, big);
	}
	ASSERT_EQ_INT(runsort_count(s), n);
	while (runsort_next(s, &r, &rn)) {
		uint32_t key, seq;
		size_t j, bad = 0;

		memcpy(&key, r, 4);
		memcpy(&seq, (const unsigned char *)r + 4, 4);
		ASSERT(seq < n);
		if (seq >= n)
			break;
		ASSERT(!seen[seq]);
		seen[seq] = 1;
		ASSERT_EQ_INT(rn, 8 + len_of(seq, big));
		for (j = 8; j < rn; j++)
			bad += ((const unsigned char *)r)[j] != byte_of(seq, j);
		ASSERT_EQ_INT(bad, 0);
		if (got > 0) {
			ASSERT(key >= prev_key);
			if (key == prev_key)
				ASSERT(seq > prev_seq);	/* stable */
		}
		prev_key = key;
		prev_seq = seq;
		got++;
	}
	ASSERT_EQ_INT(got, n);
	ASSERT(!runsort_next(s, &r, &rn));	/* and stays done */
	runs = runsort_runs(s);
	runsort_free(s);
	free(seen);
	return runs;
}

TEST(test_in_memory)
{
	ASSERT_EQ_INT(check(0, 20000, 500, UINT32_MAX), 0);
}

TEST(test_many_runs)
{
	ASSERT(check(4096, 20000, 500, UINT32_MAX) > 100);
	/* few keys: long stretches of equal records across runs */
	ASSERT(check(4096, 5000, 3, UINT32_MAX) > 10);
}

TEST(test_big_record)
{
	ASSERT(check(4096, 3000, 50, 1234) > 10);
	ASSERT(check(4096, 3000, 50, 2999) > 10);	/* the last, in memory */
}

TEST(test_no_file)
{
	const char *was = getenv("TMPDIR");
	char *keep = was ? xstrdup(was) : NULL;

	setenv("TMPDIR", "/nonexistent/imcq-test", 1);
	ASSERT_EQ_INT(check(4096, 5000, 100, UINT32_MAX), 0);
	if (keep) {
		setenv("TMPDIR", keep, 1);
		free(keep);
	} else {
		unsetenv("TMPDIR");
	}
}

TEST(test_env_mem)
{
	setenv("IMCQ_SORT_MEM", "4096", 1);
	ASSERT(check(0, 5000, 100, UINT32_MAX) > 10);
	unsetenv("IMCQ_SORT_MEM");
}

TEST(test_empty)
{
	struct runsort *s = runsort_new(cmp_key, 0);
	const void *r;
	size_t n;

	ASSERT(!runsort_next(s, &r, &n));
	ASSERT_EQ_INT(runsort_count(s), 0);
	runsort_free(s);
}

TEST_MAIN(test_in_memory, test_many_runs, test_big_record, test_no_file, test_env_mem,
	  test_empty)
