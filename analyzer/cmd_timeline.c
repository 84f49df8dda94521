/* SPDX-License-Identifier: MIT */
/* cmd_timeline.c - `imcq timeline`: every dated event, in order. */
#include <stdio.h>

#include "analyzer/cli.h"
#include "analyzer/where.h"
#include "reports/timeline.h"

struct selctx {
	struct imcq_report *rep;
	struct imcq_where *where;
};

static bool
sel(void *user, const struct imcq_message *m)
{
	struct selctx *s = user;

	return cli_selected(s->rep, s->where, (struct imcq_message *)m);
}

int
cmd_timeline(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where;
	struct timeline tl;
	struct selctx s;
	int rc = cli_analyze(c, &rep, &where);

	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	if (c->json)
		c->timeline_format = "jsonl";
	s.rep = &rep;
	s.where = where;
	timeline_build(&tl, &rep, where ? sel : NULL, &s);
	timeline_write(stdout, &tl, &rep, c->timeline_format);
	timeline_release(&tl);
	rc = cli_exit_code(&rep);
	where_free(where);
	report_dispose(&rep);
	return rc;
}
