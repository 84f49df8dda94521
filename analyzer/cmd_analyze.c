/* SPDX-License-Identifier: MIT */
/* cmd_analyze.c - `imcq analyze`: the full report, as a terminal summary,
 * a JSON document on stdout, or the report set in a folder (-o). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/ahead.h"
#include "analyzer/cli.h"
#include "analyzer/core/err.h"
#include "analyzer/core/stage.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/outdir.h"
#include "analyzer/where.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/text.h"
#include "reports/timeline.h"

const char *imcq_version(void);

/* Drop the messages --where does not select (the analysis saw them all),
 * and say so in the report (its "selection"). */
static void
apply_where(struct imcq_report *rep, struct imcq_where *where, const char *expr)
{
	size_t i, k = 0;

	if (where == NULL)
		return;
	rep->where_expr = expr;
	rep->where_of = rep->nmsgs;
	for (i = 0; i < rep->nmsgs; i++) {
		if (cli_selected(rep, where, rep->msgs[i]))
			rep->msgs[k++] = rep->msgs[i];
		else
			message_free(rep->msgs[i]);
	}
	rep->nmsgs = k;
}

/* Close f (file name of the set) and put its name, SHA-256 and size in
 * *out; 0 or -1 (a write error). */
static int
finish_file(const struct outdir *od, FILE *f, const char *name,
	    struct json_outfile *out)
{
	char *p;
	int rc;

	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	p = outdir_tmp_path(od, name);
	out->name = name;
	rc = file_sha256(p, out->sha256, &out->size);
	free(p);
	return rc != 0 ? -1 : 0;
}

/*
 * What -o writes after the messages besides report.json and report.html:
 * the end of messages.jsonl (closed and hashed) and timeline.csv (built
 * from the report, written, hashed).  With two threads it runs on a
 * thread of its own once report.json is written, while the calling thread
 * finishes report.html and hashes both; it only reads the report (and
 * od, which nobody changes meanwhile).
 */
struct side {
	const struct imcq_report *rep;
	const struct outdir *od;
	FILE *jsonl, *timeline;
	struct json_outfile out[2];	/* messages.jsonl, timeline.csv */
	int rc;
	pthread_t tid;
	bool started, done;
};

static void *
side_main(void *arg)
{
	struct side *sd = arg;
	struct timeline tl;

	sd->rc = finish_file(sd->od, sd->jsonl, "messages.jsonl", &sd->out[0]);
	timeline_build(&tl, sd->rep, NULL, NULL);
	timeline_write(sd->timeline, &tl, sd->rep, "csv");
	timeline_release(&tl);
	if (finish_file(sd->od, sd->timeline, "timeline.csv", &sd->out[1]) != 0)
		sd->rc = -1;
	return NULL;
}

/* Start it (two threads), or leave it for side_end. */
static void
side_start(struct side *sd, unsigned threads)
{
	if (sd->started || sd->done)
		return;
	sd->started = threads >= 2 && pthread_create(&sd->tid, NULL, side_main, sd) == 0;
}

/* Wait for it, or run it here; its result. */
static int
side_end(struct side *sd)
{
	if (sd->started) {
		if (pthread_join(sd->tid, NULL) != 0)
			BUG("pthread_join");
		sd->started = false;
	} else if (!sd->done) {
		side_main(sd);
	}
	sd->done = true;
	return sd->rc;
}

/*
 * The messages are streamed: the report document is built without them
 * (json_report_shell), and each message's tree is built once, written to
 * report.json, to report.html's data block and to messages.jsonl, and
 * freed.  The bytes are those of printing the whole document.
 *
 * With two threads (--threads, ingest_threads) the messages are rendered
 * ahead (ahead.h): the second thread builds a message's tree, prints its
 * report.json text and its messages.jsonl line into memory, makes its
 * share of report.html (report_html_prepare) and frees the tree; the
 * calling thread, which owns the files and the page, writes them in
 * order (report_html_add packs and compresses the page's blocks), and
 * renders messages itself whenever it would otherwise wait.  The model,
 * the shell and the lazy-array registry are only read meanwhile; the
 * queue holds at most AHEAD_ITEMS rendered messages and about AHEAD_BYTES
 * (a block of report.html's details is 256 messages: the thread goes on
 * while the calling thread compresses one).
 */
#define AHEAD_ITEMS 256
#define AHEAD_BYTES ((size_t)8 << 20)

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
	unsigned threads;
	size_t depth;			/* of the messages in report.json */
	bool progress;			/* a progress line on stderr (pipeline_progress) */
};

/* One message, rendered: report.json's element (text[0..pretty)), then
 * messages.jsonl's line with its newline; its share of report.html. */
struct rendered {
	struct json_buf text;
	size_t pretty;
	struct html_piece *html;
};

static void *
render(void *user, size_t i, size_t *bytes)
{
	const struct stream_out *so = user;
	struct rendered *r = xcalloc(1, sizeof(*r));
	cJSON *m = json_message(so->rep, so->rep->msgs[i]);

	json_render(&r->text, m, 1, so->depth);
	r->pretty = r->text.len;
	if (so->jsonl != NULL) {
		json_render(&r->text, m, 0, 0);
		if (r->text.len == r->text.cap)
			r->text.p = xrealloc(r->text.p, ++r->text.cap);
		r->text.p[r->text.len++] = '\n';
	}
	if (so->html != NULL)
		r->html = report_html_prepare(so->html, m);
	cJSON_Delete(m);
	*bytes = r->text.len + report_html_piece_size(r->html);
	return r;
}

static void
rendered_free(void *user, void *item)
{
	struct rendered *r = item;

	(void)user;
	report_html_piece_free(r->html);
	free(r->text.p);
	free(r);
}

static void
stream_messages(void *user, FILE *f, size_t depth)
{
	struct stream_out *so = user;
	struct ahead *a;
	struct rendered *r;
	size_t i;

	so->depth = depth;
	a = ahead_start(so->rep->nmsgs, render, rendered_free, so, so->threads,
			true, AHEAD_ITEMS, AHEAD_BYTES);
	for (i = 0; (r = ahead_next(a)) != NULL; i++) {
		if (i > 0)
			fputs(", ", f);
		fwrite(r->text.p, 1, r->pretty, f);
		if (so->html != NULL)
			report_html_add(so->html, r->html);
		if (so->jsonl != NULL)
			fwrite(r->text.p + r->pretty, 1, r->text.len - r->pretty, so->jsonl);
		ahead_release(a, r);
		if (so->progress && (i + 1) % 1024 == 0)
			fprintf(stderr, "\rimcq: writing the report: %zu of %zu messages\033[K",
				i + 1, so->rep->nmsgs);
	}
	ahead_finish(a);
	if (so->progress)	/* the shell's arrays, report.html, the side files */
		fprintf(stderr, "\rimcq: writing the report: %zu messages; finishing\033[K",
			so->rep->nmsgs);
}

/*
 * The shell's lazy arrays (routing decisions, log events and sessions,
 * inventory, Queue.dat references): their elements are rendered ahead the
 * same way, each built from the report by its index (json_lazy_at).
 */
#define LAZY_THREADED 256	/* fewer elements: one thread */

struct lazy_out {
	struct json_lazy_index *ix;
	size_t depth;
};

static void *
render_lazy(void *user, size_t i, size_t *bytes)
{
	const struct lazy_out *lo = user;
	struct json_buf *b = xcalloc(1, sizeof(*b));
	cJSON *e = json_lazy_at(lo->ix, i);

	json_render(b, e, 1, lo->depth);
	cJSON_Delete(e);
	*bytes = b->len;
	return b;
}

static void
lazy_free(void *user, void *item)
{
	struct json_buf *b = item;

	(void)user;
	free(b->p);
	free(b);
}

static void
stream_lazy(void *user, FILE *f, const cJSON *arr, size_t depth)
{
	struct stream_out *so = user;
	struct lazy_out lo = { json_lazy_index(arr), depth };
	struct ahead *a;
	struct json_buf *b;
	size_t n, i;

	if (lo.ix == NULL)
		BUG("stream_lazy: not a lazy array");
	n = json_lazy_index_count(lo.ix);
	a = ahead_start(n, render_lazy, lazy_free, &lo,
			n >= LAZY_THREADED ? so->threads : 1, true,
			AHEAD_ITEMS * 4, AHEAD_BYTES);
	for (i = 0; (b = ahead_next(a)) != NULL; i++) {
		if (i > 0)
			fputs(", ", f);
		fwrite(b->p, 1, b->len, f);
		ahead_release(a, b);
	}
	ahead_finish(a);
	json_lazy_index_free(lo.ix);
}

/* report.json (pretty, with its newline) of the shell, messages streamed. */
static int
print_report(FILE *f, struct stream_out *so, const cJSON *doc, const cJSON *hole)
{
	json_write_lazy(f, doc, 1, 0, hole, stream_messages,
			so->threads >= 2 ? stream_lazy : NULL, so);
	putc('\n', f);
	return ferror(f) ? -1 : 0;
}

static int
write_set(struct cli *c, struct imcq_report *rep, const cJSON *doc,
	  const cJSON *hole)
{
	struct outdir od;
	struct imcq_err err = { 0 };
	struct json_outfile files[4];
	FILE *f, *fh;
	cJSON *man;
	struct html_msgs ms = { rep->nmsgs, msg_full, msg_brief, rep, hole };
	struct side sd = { .rep = rep, .od = &od };
	struct stream_out so = { .rep = rep, .threads = ingest_threads(&c->o),
				 .progress = pipeline_progress(&c->o) };
	int bad;

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
	if ((sd.jsonl = outdir_create(&od, "messages.jsonl", &err)) == NULL) {
		fclose(f);
		fclose(fh);
		goto fail;
	}
	if ((sd.timeline = outdir_create(&od, "timeline.csv", &err)) == NULL) {
		fclose(f);
		fclose(fh);
		fclose(sd.jsonl);
		goto fail;
	}
	so.html = report_html_begin(fh, doc, &ms);
	so.jsonl = sd.jsonl;
	print_report(f, &so, doc, hole);
	side_start(&sd, so.threads);
	report_html_end(so.html);
	bad = finish_file(&od, f, "report.json", &files[0]);
	if (finish_file(&od, fh, "report.html", &files[1]) != 0)
		bad = -1;
	if (side_end(&sd) != 0 || bad != 0)
		goto failw;
	files[2] = sd.out[0];
	files[3] = sd.out[1];
	if ((f = outdir_create(&od, "manifest.json", &err)) == NULL)
		goto fail;
	man = json_manifest(rep, imcq_version(), files, 4);
	json_fprint(f, man, 1);
	cJSON_Delete(man);
	if (fclose(f) != 0)
		goto failw;
	if (outdir_commit(&od, &err) != IMCQ_OK)
		goto fail;
	if (so.progress)
		fprintf(stderr, "\r\033[K");
	if (!c->o.quiet)
		fprintf(stderr, "imcq: wrote report.json, report.html, messages.jsonl, timeline.csv and manifest.json to %s\n",
			c->out_dir);
	return EXIT_OK;
failw:
	imcq_err_set(&err, IMCQ_FATAL, "cannot write the report set (disk full?)");
fail:
	if (so.progress)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "imcq: %s\n", err.msg);
	outdir_abort(&od);
	return EXIT_FATAL;
}

int
cmd_analyze(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where;
	int rc;
	cJSON *doc = NULL;
	const cJSON *hole = NULL;
	struct stream_out so = { .rep = &rep, .threads = ingest_threads(&c->o),
				 .progress = pipeline_progress(&c->o) };

	/* The terminal summary prints counts and the report's own findings:
	 * the messages' details and the members' digests need not be kept */
	cli_lean(c, !c->out_dir && !c->json);
	c->o.summary_only = !c->out_dir && !c->json;
	rc = cli_analyze(c, &rep, &where);
	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	apply_where(&rep, where, c->o.where);
	if (c->out_dir || c->json) {
		doc = json_report_shell(&rep, imcq_version(), &hole);
		stage_mark("report.shell");
	}
	if (c->out_dir) {
		rc = write_set(c, &rep, doc, hole);
		if (rc == EXIT_OK && c->json)
			print_report(stdout, &so, doc, hole);
	} else if (c->json) {
		print_report(stdout, &so, doc, hole);
	} else {
		text_summary(stdout, &rep);
	}
	if (so.progress && c->json)	/* write_set clears its own lines */
		fprintf(stderr, "\r\033[K");
	stage_mark("report");
	if (rc == EXIT_OK)
		rc = cli_exit_code(&rep);
	json_shell_delete(doc);
	where_free(where);
	report_dispose(&rep);
	return rc;
}
