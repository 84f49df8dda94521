/* SPDX-License-Identifier: MIT */
/* cmd_show.c - `imcq show INPUT... ID`: everything about one message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/cli.h"
#include "analyzer/core/path.h"
#include "analyzer/where.h"
#include "reports/json.h"
#include "reports/text.h"

int
cmd_show(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where;
	const char *id;
	size_t i, found = 0;
	cJSON *all = NULL;	/* --json: the matches, printed as one document */
	int rc;

	if (c->nargs < 2)
		return cli_usage_error(c, "show needs at least one INPUT and a message ID");
	id = c->args[c->nargs - 1];
	c->nargs--;
	rc = cli_analyze(c, &rep, &where);
	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	for (i = 0; i < rep.nmsgs; i++) {
		struct imcq_message *m = rep.msgs[i];
		bool hit = m->spool_id && strcmp(m->spool_id, id) == 0;

		if (!hit && m->nsources && m->sources[0].member) {
			char *n = path_normalize(m->sources[0].member, NULL);

			hit = strcmp(n, id) == 0 || strcmp(path_base(n), id) == 0;
			free(n);
		}
		if (!hit || !cli_selected(&rep, where, m))
			continue;
		found++;
		if (c->json) {
			if (all == NULL)
				all = cJSON_CreateArray();
			if (all == NULL)
				imcq_die("out of memory");
			cJSON_AddItemToArray(all, json_message(&rep, m));
		} else {
			if (found > 1)
				fputs("\n", stdout);
			text_show(stdout, &rep, m);
		}
	}
	/* one document: the message, or an array of them when the ID names
	 * several records (an Out file and its Archive copy, or one per
	 * snapshot) */
	if (all != NULL) {
		cJSON *doc = all;

		if (found == 1)
			doc = cJSON_DetachItemFromArray(all, 0);
		json_fprint(stdout, doc, 1);
		if (doc != all)
			cJSON_Delete(doc);
		cJSON_Delete(all);
	}
	if (found == 0) {
		fprintf(stderr, "imcq: no message '%s' in the input%s\n", id,
			c->o.where ? " (or not selected by --where)" : "");
		rc = EXIT_PARTIAL;
	} else {
		rc = cli_exit_code(&rep);
	}
	where_free(where);
	report_dispose(&rep);
	return rc;
}
