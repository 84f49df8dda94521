/* SPDX-License-Identifier: MIT */
/* NEEDSWORK: placeholder until the Recovery issue lands. */
#include <stdio.h>
#include "analyzer/cli.h"
int
cmd_reinject(struct cli *c)
{
	(void)c;
	fputs("imcq: reinject is not implemented yet\n", stderr);
	return EXIT_FATAL;
}
