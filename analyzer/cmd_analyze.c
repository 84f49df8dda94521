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

/*
 * The messages are streamed: the report document is built without them
 * (json_report_shell), and each message's tree is built once, written to
 * report.json, to report.html's data block and to messages.jsonl, and
 * freed.  The bytes are those of printing the whole document.
 */
static cJSON *
msg_full(void *user, size_t i)
{
	const struct imcq_report *rep = user;

	return json_message(rep, rep->msgs[i]);
}

static cJSON *
msg_brief(void *user, size_t i)
{
	const struct imcq_report *rep = user;

	return json_message_brief(rep, rep->msgs[i]);
}

struct stream_out {
	const struct imcq_report *rep;
	struct html_stream *html;	/* or NULL */
	FILE *jsonl;			/* or NULL */
};

static void
stream_messages(void *user, FILE *f, size_t depth)
{
	struct stream_out *so = user;
	size_t i;

	for (i = 0; i < so->rep->nmsgs; i++) {
		cJSON *m = json_message(so->rep, so->rep->msgs[i]);

		if (i > 0)
			fputs(", ", f);
		json_write(f, m, 1, depth, NULL, NULL, NULL);
		if (so->html != NULL)
			report_html_message(so->html, m);
		if (so->jsonl != NULL)
			json_fprint(so->jsonl, m, 0);
		cJSON_Delete(m);
	}
}

/* report.json (pretty, with its newline) of the shell, messages streamed. */
static int
print_report(FILE *f, struct stream_out *so, const cJSON *doc, const cJSON *hole)
{
	json_write(f, doc, 1, 0, hole, stream_messages, so);
	putc('\n', f);
	return ferror(f) ? -1 : 0;
}

static int
write_set(struct cli *c, struct imcq_report *rep, const cJSON *doc,
	  const cJSON *hole)
{
	struct outdir od;
	struct imcq_err err = { 0 };
	struct json_outfile files[8];
	size_t nfiles = 0;
	FILE *f, *fh, *fl;
	struct timeline tl;
	cJSON *man;
	struct html_msgs ms = { rep->nmsgs, msg_full, msg_brief, rep, hole };
	struct stream_out so = { .rep = rep };

	if (outdir_open(&od, c->out_dir, c->force, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		return EXIT_FATAL;
	}
	if ((f = outdir_create(&od, "report.json", &err)) == NULL)
		goto fail;
	if ((fh = outdir_create(&od, "report.html", &err)) == NULL) {
		fclose(f);
		goto fail;
	}
	if ((fl = outdir_create(&od, "messages.jsonl", &err)) == NULL) {
		fclose(f);
		fclose(fh);
		goto fail;
	}
	so.html = report_html_begin(fh, doc, &ms);
	so.jsonl = fl;
	print_report(f, &so, doc, hole);
	report_html_end(so.html);
	if (finish_file(&od, f, "report.json", files, &nfiles)) {
		fclose(fh);
		fclose(fl);
		goto failw;
	}
	if (finish_file(&od, fh, "report.html", files, &nfiles)) {
		fclose(fl);
		goto failw;
	}
	if (finish_file(&od, fl, "messages.jsonl", files, &nfiles))
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
	const cJSON *hole = NULL;
	struct stream_out so = { .rep = &rep };

	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	apply_where(&rep, where);
	if (c->out_dir || c->json)
		doc = json_report_shell(&rep, imcq_version(), &hole);
	if (c->out_dir) {
		rc = write_set(c, &rep, doc, hole);
		if (rc == EXIT_OK && c->json)
			print_report(stdout, &so, doc, hole);
	} else if (c->json) {
		print_report(stdout, &so, doc, hole);
	} else {
		text_summary(stdout, &rep);
	}
	if (rc == EXIT_OK)
		rc = cli_exit_code(&rep);
	json_shell_delete(doc);
	where_free(where);
	report_dispose(&rep);
	return rc;
}
