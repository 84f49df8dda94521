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
	for (i = 0; i < n; i++) {
		const struct imcq_format *f = imcq_format_at(i);

		bids[i] = f->bid ? f->bid(e) : 0;
		if (bids[i] > best_bid) {
			best_bid = bids[i];
			best = f;
		}
	}
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
