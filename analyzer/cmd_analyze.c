/* SPDX-License-Identifier: MIT */
/* cmd_analyze.c - `imcq analyze`: the full report, as a terminal summary,
 * a JSON document on stdout, or the report set in a folder (-o). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/cli.h"
#include "analyzer/outdir.h"
#include "analyzer/where.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/text.h"
#include "reports/timeline.h"

const char *imcq_version(void);

/* Drop the messages --where does not select (the analysis saw them all). */
static void
apply_where(struct imcq_report *rep, struct imcq_where *where)
{
	size_t i, k = 0;

	if (where == NULL)
		return;
	for (i = 0; i < rep->nmsgs; i++) {
		if (cli_selected(rep, where, rep->msgs[i]))
			rep->msgs[k++] = rep->msgs[i];
		else
			message_free(rep->msgs[i]);
	}
	rep->nmsgs = k;
}

static int
finish_file(struct outdir *od, FILE *f, const char *name, struct json_outfile *out,
	    size_t *nout)
{
	char *p;

	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	p = outdir_tmp_path(od, name);
	out[*nout].name = name;
	if (file_sha256(p, out[*nout].sha256, &out[*nout].size) != 0) {
		free(p);
		return -1;
	}
	free(p);
	(*nout)++;
	return 0;
}

static int
write_set(struct cli *c, struct imcq_report *rep, cJSON *doc)
{
	struct outdir od;
	struct imcq_err err = { 0 };
	struct json_outfile files[8];
	size_t nfiles = 0, i;
	FILE *f;
	struct timeline tl;
	cJSON *man;

	if (outdir_open(&od, c->out_dir, c->force, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		return EXIT_FATAL;
	}
	if ((f = outdir_create(&od, "report.json", &err)) == NULL)
		goto fail;
	json_fprint(f, doc, 1);
	if (finish_file(&od, f, "report.json", files, &nfiles))
		goto failw;
	if ((f = outdir_create(&od, "report.html", &err)) == NULL)
		goto fail;
	report_html_write(f, doc);
	if (finish_file(&od, f, "report.html", files, &nfiles))
		goto failw;
	if ((f = outdir_create(&od, "messages.jsonl", &err)) == NULL)
		goto fail;
	for (i = 0; i < rep->nmsgs; i++) {
		cJSON *m = json_message(rep, rep->msgs[i]);

		json_fprint(f, m, 0);
		cJSON_Delete(m);
	}
	if (finish_file(&od, f, "messages.jsonl", files, &nfiles))
		goto failw;
	if ((f = outdir_create(&od, "timeline.csv", &err)) == NULL)
		goto fail;
	timeline_build(&tl, rep, NULL, NULL);
	timeline_write(f, &tl, rep, "csv");
	timeline_release(&tl);
	if (finish_file(&od, f, "timeline.csv", files, &nfiles))
		goto failw;
	if ((f = outdir_create(&od, "manifest.json", &err)) == NULL)
		goto fail;
	man = json_manifest(rep, imcq_version(), files, nfiles);
	json_fprint(f, man, 1);
	cJSON_Delete(man);
	if (fclose(f) != 0)
		goto failw;
	if (outdir_commit(&od, &err) != IMCQ_OK)
		goto fail;
	if (!c->o.quiet)
		fprintf(stderr, "imcq: wrote report.json, report.html, messages.jsonl, timeline.csv and manifest.json to %s\n",
			c->out_dir);
	return EXIT_OK;
failw:
	imcq_err_set(&err, IMCQ_FATAL, "cannot write the report set (disk full?)");
fail:
	fprintf(stderr, "imcq: %s\n", err.msg);
	outdir_abort(&od);
	return EXIT_FATAL;
}

int
cmd_analyze(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where;
	int rc = cli_analyze(c, &rep, &where);
	cJSON *doc = NULL;

	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	apply_where(&rep, where);
	if (c->out_dir || c->json)
		doc = json_report(&rep, imcq_version());
	if (c->out_dir) {
		rc = write_set(c, &rep, doc);
		if (rc == EXIT_OK && c->json)
			json_fprint(stdout, doc, 1);
	} else if (c->json) {
		json_fprint(stdout, doc, 1);
	} else {
		text_summary(stdout, &rep);
	}
	if (rc == EXIT_OK)
		rc = cli_exit_code(&rep);
	cJSON_Delete(doc);
	where_free(where);
	report_release(&rep);
	return rc;
}
