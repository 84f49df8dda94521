/* SPDX-License-Identifier: MIT */
/*
 * test_deflate.c - reports/html_deflate.c, the raw DEFLATE encoder of
 * report.html's packed blocks: every output inflates (zlib, raw mode, as
 * the browser's DecompressionStream("deflate-raw") does) to exactly the
 * input, for inputs that exercise literals, the longest matches (258),
 * the farthest distances (32768), incompressible data and sizes around
 * the window; the same input gives the same bytes; base64 matches RFC
 * 4648's vectors.  zlib is a test-only dependency (the product does not
 * link it).
 */
#include <stdint.h>
#include <zlib.h>

#include "test.h"
#include "reports/html_deflate.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Inflate (raw) and compare with the input; returns 1 when equal. */
static int
round_trip(const unsigned char *in, size_t n)
{
	size_t zn = 0, zn2 = 0;
	unsigned char *z = html_deflate(in, n, &zn);
	unsigned char *z2 = html_deflate(in, n, &zn2);
	unsigned char *out = malloc(n + 1);
	z_stream s;
	int ok, rc;

	memset(&s, 0, sizeof(s));
	if (z == NULL || out == NULL || inflateInit2(&s, -15) != Z_OK)
		return 0;
	s.next_in = z;
	s.avail_in = (uInt)zn;
	s.next_out = out;
	s.avail_out = (uInt)(n + 1);
	rc = inflate(&s, Z_FINISH);
	ok = rc == Z_STREAM_END && s.total_out == n && s.avail_in == 0 &&
	     memcmp(out, in, n) == 0;
	/* deterministic */
	ok = ok && zn == zn2 && memcmp(z, z2, zn) == 0;
	if (!ok)
		fprintf(stderr, "round trip of %zu bytes: rc %d, out %lu, left %u\n", n, rc,
			s.total_out, s.avail_in);
	inflateEnd(&s);
	free(z);
	free(z2);
	free(out);
	return ok;
}

TEST(test_small)
{
	const unsigned char *s = (const unsigned char *)"abcabcabcabcabcabc hello hello hello";
	size_t i;

	ASSERT(round_trip((const unsigned char *)"", 0));
	ASSERT(round_trip((const unsigned char *)"a", 1));
	for (i = 0; i <= strlen((const char *)s); i++)
		ASSERT(round_trip(s, i));
}

TEST(test_runs_and_matches)
{
	size_t n = 300000, i;
	unsigned char *b = malloc(n);

	memset(b, 'x', n);			/* one long run: 258-byte matches */
	ASSERT(round_trip(b, n));
	for (i = 0; i < n; i++)			/* a period of 32768: the farthest distance */
		b[i] = (unsigned char)(i % 32768 < 16384 ? rnd() : b[i >= 32768 ? i - 32768 : 0]);
	for (i = 32768; i < n; i++)
		b[i] = b[i - 32768];
	ASSERT(round_trip(b, n));
	for (i = 0; i < n; i++)			/* periods just above the window */
		b[i] = i < 32769 ? (unsigned char)rnd() : b[i - 32769];
	ASSERT(round_trip(b, n));
	free(b);
}

TEST(test_random_shapes)
{
	static const char *const words[] = {
		"{\"spool_id\":", "\"state\":\"awaiting-delivery\"", ",", "\"queue_time\":",
		"\"2026-11-20T10:00:00Z\"", "null", "[", "]", "example.com", "\\u0000",
		"\xef\xbf\xbd", "Subject: invoice", "\r\n",
	};
	int t;

	for (t = 0; t < 200; t++) {
		size_t n = rnd() % (t < 150 ? 5000 : 200000), i = 0;
		unsigned char *b = malloc(n + 1);
		int mode = (int)(rnd() % 3);

		while (i < n) {
			if (mode == 0) {		/* incompressible */
				b[i++] = (unsigned char)rnd();
			} else if (mode == 1) {		/* JSON-like text */
				const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
				size_t k = strlen(w);

				while (*w && i < n)
					b[i++] = (unsigned char)*w++;
				(void)k;
			} else {			/* few symbols, skewed */
				b[i++] = (unsigned char)("aaaaaaabbbc\n"[rnd() % 12]);
			}
		}
		if (!round_trip(b, n)) {
			ASSERT(!"round trip");
			fprintf(stderr, "case %d, mode %d, %zu bytes\n", t, mode, n);
		}
		free(b);
	}
}

TEST(test_base64)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		html_base64(f, (const unsigned char *)in[i], strlen(in[i]));
		fclose(f);
		ASSERT_EQ_STR(buf, out[i]);
		free(buf);
	}
}

TEST_MAIN(test_small, test_runs_and_matches, test_random_shapes, test_base64)
