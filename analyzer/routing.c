/* SPDX-License-Identifier: MIT */
/* NEEDSWORK: first cut; the Routing issue replaces this with the routing
 * engine and the diagnoses. */
#include "analyzer/pipeline.h"

void
analyze_routing(struct imcq_report *rep, const struct imcq_opts *o)
{
	(void)rep;
	(void)o;
}
