/* SPDX-License-Identifier: MIT */
/*
 * test.h - a tiny unit-test harness (libarchive's test_main idea).
 * A test file defines tests with TEST(name) { ... } and ends with
 * TEST_MAIN(test_a, test_b, ...).  Assertions print both sides with file
 * and line and count failures; the program exits 1 if any failed.
 */
#ifndef IMCQ_TEST_H
#define IMCQ_TEST_H
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static const char *test_current;

#define TEST(name) static void name(void)
#define ASSERT(c) do { if (!(c)) { test_failures++; \
	fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__, __LINE__, test_current, #c); } } while (0)
#define ASSERT_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { test_failures++; \
	fprintf(stderr, "%s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, test_current, #a, _a, #b, _b); } } while (0)
#define ASSERT_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); if (_a == NULL || _b == NULL ? _a != _b : strcmp(_a, _b) != 0) { test_failures++; \
	fprintf(stderr, "%s:%d: %s: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, test_current, #a, _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)

typedef void (*test_fn)(void);
static inline int
test_run(const char *names, test_fn *fns, size_t n)
{
	size_t i;
	const char *p = names;

	for (i = 0; i < n; i++) {
		char nm[128];
		size_t k = 0;
		int before = test_failures;

		while (*p == ' ' || *p == ',')
			p++;
		while (*p && *p != ',' && k < sizeof(nm) - 1)
			nm[k++] = *p++;
		nm[k] = '\0';
		test_current = nm;
		fns[i]();
		printf("%s %s\n", test_failures == before ? "ok  " : "FAIL", nm);
	}
	printf("%d failed\n", test_failures);
	return test_failures ? 1 : 0;
}
#define TEST_MAIN(...) int main(void) { test_fn fns[] = { __VA_ARGS__ }; \
	return test_run(#__VA_ARGS__, fns, sizeof(fns) / sizeof(fns[0])); }
#endif
