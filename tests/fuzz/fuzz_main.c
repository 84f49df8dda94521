/* SPDX-License-Identifier: MIT */
/*
 * fuzz_main.c - a plain main() for builds without libFuzzer (cJSON's
 * fuzz_main.c, PCRE2's STANDALONE): runs every file named on the command
 * line, and every file under every directory named (recursively, in byte
 * order of names, dot files skipped), through LLVMFuzzerTestOneInput.
 * Arguments starting with '-' (libFuzzer flags) are ignored; a path that
 * does not exist is noted and skipped (an empty regressions folder is not
 * in git).  Each input is copied into a buffer of exactly its size so that
 * AddressSanitizer sees an overread.  A crash is the failure; otherwise
 * exit 0, or 1 when nothing at all could be run or read.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	unsigned long runs;
	unsigned long errors;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_file(const char *path, struct tally *t)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		fprintf(stderr, "fuzz replay: cannot open %s: %s\n", path, strerror(errno));
		t->errors++;
		return;
	}
	for (;;) {
		size_t r;

		if (n == cap) {
			unsigned char *q;

			cap = cap ? cap * 2 : 65536;
			q = realloc(p, cap);
			if (q == NULL) {
				fprintf(stderr, "fuzz replay: out of memory on %s\n", path);
				free(p);
				fclose(f);
				t->errors++;
				return;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "fuzz replay: cannot read %s\n", path);
		t->errors++;
	} else {
		/* exactly n bytes, so that a read past the end is caught */
		unsigned char *exact = malloc(n ? n : 1);

		if (exact == NULL) {
			t->errors++;
		} else {
			if (n)
				memcpy(exact, p, n);
			(void)LLVMFuzzerTestOneInput(exact, n);
			free(exact);
			t->runs++;
		}
	}
	free(p);
	fclose(f);
}

static void
run_path(const char *path, struct tally *t, unsigned depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz replay: %s: %s (skipped)\n", path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path, t);
		return;
	}
	if (depth > 32 || (d = opendir(path)) == NULL) {
		t->errors++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **q;

			cap = cap ? cap * 2 : 64;
			q = realloc(names, cap * sizeof(*names));
			if (q == NULL)
				break;
			names = q;
		}
		names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (names[n] == NULL)
			break;
		sprintf(names[n], "%s/%s", path, de->d_name);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		run_path(names[i], t, depth + 1);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	struct tally t = { 0, 0 };
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		run_path(argv[i], &t, 0);
	}
	printf("fuzz replay: %lu inputs run, %lu unreadable\n", t.runs, t.errors);
	return t.errors > 0 || (t.runs == 0 && argc > 1) ? 1 : 0;
}
