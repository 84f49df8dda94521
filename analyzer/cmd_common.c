/* SPDX-License-Identifier: MIT */
/* cmd_common.c - helpers shared by the cmd_*.c files (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/cli.h"
#include "analyzer/where.h"

void
cli_lean(struct cli *c, bool lean)
{
	const char *keep = getenv("IMCQ_KEEP");

	c->o.lean = lean && !(keep != NULL && strcmp(keep, "all") == 0);
}

int
cli_analyze(struct cli *c, struct imcq_report *rep, struct imcq_where **where)
{
	struct imcq_err err = { 0 };

	*where = NULL;
	if (c->o.where) {
		*where = where_compile(c->o.where, &c->o.lim, &err);
		if (*where == NULL)
			return cli_usage_error(c, "bad --where expression: %s", err.msg);
		if (where_uses_headers(*where))
			c->o.lean = false;	/* cli_selected thaws the headers */
	}
	c->o.inputs = c->args;
	c->o.ninputs = c->nargs;
	if (c->nargs == 0)
		return cli_usage_error(c, "no INPUT given");
	report_init(rep);
	if (pipeline_run(rep, &c->o, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		return EXIT_FATAL;
	}
	return EXIT_OK;
}

bool
cli_selected(struct imcq_report *rep, struct imcq_where *where, struct imcq_message *m)
{
	struct imcq_err err = { 0 };
	int r;

	if (where == NULL)
		return true;
	if (m->chilled && where_uses_headers(where)) {
		struct imcq_thawed t;

		r = where_match(where, message_thaw(rep, m, &t), rep->reference_time, &err);
		message_thawed_release(&t);
	} else {
		r = where_match(where, m, rep->reference_time, &err);
	}
	if (r < 0) {
		anomaly_add(rep, "where-budget", IMCQ_SEV_WARNING,
			    m->nsources ? m->sources[0].input : -1,
			    m->nsources ? m->sources[0].member : NULL, IMCQ_NOOFF,
			    "--where: %s (message %s not selected)", err.msg,
			    m->spool_id ? m->spool_id : "?");
		return false;
	}
	return r == 1;
}

int
cli_exit_code(const struct imcq_report *rep)
{
	return rep->unreadable ? EXIT_PARTIAL : EXIT_OK;
}

int
cli_finish_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "imcq: cannot write to standard output: %s\n", strerror(errno));
		return EXIT_FATAL;
	}
	if (fclose(stdout) != 0) {
		fprintf(stderr, "imcq: cannot write to standard output: %s\n", strerror(errno));
		return EXIT_FATAL;
	}
	return rc;
}
