/* SPDX-License-Identifier: MIT */
/*
 * render.c - test helper: write report.html for a report.json with
 * reports/html.c, so the page can be tested on hand-made and generated
 * documents (tests/browser/run.sh builds it against the build tree).
 *   render IN.json OUT.html
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "reports/html.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *q;

			cap = cap ? cap * 2 : 1 << 20;
			q = realloc(p, cap);
			if (q == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	cJSON *doc;
	FILE *out;
	char *text;
	size_t len;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: render IN.json OUT.html\n");
		return 2;
	}
	text = slurp(argv[1], &len);
	if (text == NULL) {
		perror(argv[1]);
		return 3;
	}
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (doc == NULL) {
		fprintf(stderr, "render: %s: not JSON\n", argv[1]);
		return 3;
	}
	out = fopen(argv[2], "wb");
	if (out == NULL) {
		perror(argv[2]);
		cJSON_Delete(doc);
		return 3;
	}
	rc = report_html_write(out, doc);
	if (fclose(out) != 0)
		rc = -1;
	cJSON_Delete(doc);
	return rc == 0 ? 0 : 3;
}
