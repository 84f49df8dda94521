/* SPDX-License-Identifier: MIT */
/* stage.c - IMCQ_STAGES=1: one line per finished stage (see stage.h). */
#include "analyzer/core/stage.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int stage_on = -1;	/* -1 not read yet */

/* The value of "Key:" in /proc/self/status, in KiB; -1 when unknown. */
static long
status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t k = strlen(key);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, k) == 0 && line[k] == ':') {
			v = strtol(line + k + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static double
seconds(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
stage_mark(const char *name)
{
	static double wall0;
	int on = atomic_load(&stage_on);

	if (on < 0) {
		const char *e = getenv("IMCQ_STAGES");

		on = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
		atomic_store(&stage_on, on);
		wall0 = seconds(CLOCK_MONOTONIC);
	}
	if (!on)
		return;
	fprintf(stderr, "imcq-stage: %-26s %8.2f s  cpu %8.2f s  rss %6ld MiB  peak %6ld MiB\n",
		name, seconds(CLOCK_MONOTONIC) - wall0, seconds(CLOCK_PROCESS_CPUTIME_ID),
		status_kib("VmRSS") / 1024, status_kib("VmHWM") / 1024);
}
