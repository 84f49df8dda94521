/* SPDX-License-Identifier: MIT */
/* NEEDSWORK: placeholder until the imccopy reader lands; bids on nothing. */
#include "formats/format.h"

static int
bid(const struct imcq_entry *e)
{
	(void)e;
	return 0;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	(void)e;
	(void)s;
	return IMCQ_SKIP;
}

const struct imcq_format imcq_format_imccopy = {
	.name = "imccopy",
	.summary = "(not yet implemented)",
	.bid = bid,
	.read = read_entry,
};
