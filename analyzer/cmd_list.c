/* SPDX-License-Identifier: MIT */
/* cmd_list.c - `imcq list`: one line per message (mailq / postqueue -p). */
#include <stdio.h>
#include <string.h>

#include "analyzer/cli.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/where.h"
#include "reports/json.h"
#include "reports/text.h"

int
cmd_list(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where;
	size_t i, shown = 0;
	int rc;

	cli_lean(c, !c->json);	/* a line a message prints no detail, no digest */
	rc = cli_analyze(c, &rep, &where);
	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		return rc;
	}
	if (!c->json)
		text_list_header(stdout);
	for (i = 0; i < rep.nmsgs; i++) {
		struct imcq_message *m = rep.msgs[i];

		if (!cli_selected(&rep, where, m))
			continue;
		shown++;
		if (c->json) {
			cJSON *j = json_message(&rep, m);

			json_fprint(stdout, j, 0);
			cJSON_Delete(j);
		} else {
			text_list_line(stdout, &rep, m);
		}
	}
	if (!c->json)
		printf("-- %zu message%s of %zu\n", shown, shown == 1 ? "" : "s", rep.nmsgs);
	rc = cli_exit_code(&rep);
	where_free(where);
	report_dispose(&rep);
	return rc;
}
