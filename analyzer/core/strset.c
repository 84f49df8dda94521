/* SPDX-License-Identifier: MIT */
/* strset.c - a set of borrowed strings in an open hash table (strset.h). */
#include "analyzer/core/strset.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/rd.h"
#include "analyzer/core/tabhash.h"
#include "analyzer/core/xalloc.h"

struct spick *
strset_get(struct strset *ss, const char *d, bool add)
{
	uint64_t h = ss->ci ? tab_hash_ci(d) : tab_hash_str(d);
	size_t at, k;

	if (add && 2 * (ss->n + 1) > ss->nslot) {
		size_t ns = ss->nslot ? 2 * ss->nslot : 64;
		struct spick *g = xcalloc(ns, sizeof(*g));

		for (at = 0; at < ss->nslot; at++) {
			if (ss->t[at].d == NULL)
				continue;
			for (k = (size_t)ss->t[at].h & (ns - 1); g[k].d != NULL; k = (k + 1) & (ns - 1))
				;
			g[k] = ss->t[at];
		}
		free(ss->t);
		ss->t = g;
		ss->nslot = ns;
	}
	if (ss->nslot == 0)
		return NULL;
	for (at = (size_t)h & (ss->nslot - 1); ss->t[at].d != NULL;
	     at = (at + 1) & (ss->nslot - 1))
		if (ss->t[at].h == h && (ss->ci ? imcq_strcasecmp(ss->t[at].d, d) :
					 strcmp(ss->t[at].d, d)) == 0)
			return &ss->t[at];
	if (!add)
		return NULL;
	ss->t[at] = (struct spick){ d, NULL, h, 0 };
	ss->n++;
	return &ss->t[at];
}

