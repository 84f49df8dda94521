/* SPDX-License-Identifier: MIT */
#include "analyzer/detect.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"

const struct imcq_format *
detect_entry(const struct imcq_entry *e, int *bid, char **ambiguous)
{
	const struct imcq_format *best = NULL;
	int best_bid = 0;
	int bids[64];
	size_t i, n = imcq_format_count();

	*ambiguous = NULL;
	*bid = 0;
	if (n > 64)
		n = 64;
	/* The bids without an upper bound first, then each bounded one only
	 * if its bound reaches the highest bid so far: one that is skipped
	 * (bid 0 here) is below the final best, so neither wins nor ties. */
	for (i = 0; i < n; i++) {
		const struct imcq_format *f = imcq_format_at(i);

		bids[i] = f->bid && !f->max_bid ? f->bid(e) : 0;
		if (bids[i] > best_bid)
			best_bid = bids[i];
	}
	for (i = 0; i < n; i++) {
		const struct imcq_format *f = imcq_format_at(i);

		if (f->bid && f->max_bid && f->max_bid(e) >= best_bid) {
			bids[i] = f->bid(e);
			if (bids[i] > best_bid)
				best_bid = bids[i];
		}
	}
	/* the first format (registry order) with the highest bid wins */
	for (i = 0; i < n && best == NULL; i++)
		if (best_bid > 0 && bids[i] == best_bid)
			best = imcq_format_at(i);
	if (best == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct imcq_format *f = imcq_format_at(i);

		if (f != best && bids[i] == best_bid) {
			struct buf b;

			buf_init(&b, 4096);
			if (*ambiguous) {
				buf_appends(&b, *ambiguous);
				buf_appendc(&b, ',');
				free(*ambiguous);
			}
			buf_appends(&b, f->name);
			*ambiguous = buf_detach(&b, NULL);
			buf_release(&b);
		}
	}
	*bid = best_bid;
	return best;
}
