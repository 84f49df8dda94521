/* SPDX-License-Identifier: MIT */
/* NEEDSWORK: placeholder until the Recovery issue lands. */
#include <stdio.h>
#include "analyzer/cli.h"
int
cmd_recover(struct cli *c)
{
	(void)c;
	fputs("imcq: recover is not implemented yet\n", stderr);
	return EXIT_FATAL;
}
