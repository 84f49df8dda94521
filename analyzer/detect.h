/* SPDX-License-Identifier: MIT */
/*
 * detect.h - choose the reader for a member.
 *
 * Every reader in the registry bids on the member (formats/format.h).
 * The highest bid wins; a tie at the top is not silently broken: the
 * registry order decides (earlier wins, the same way every time) and the
 * other contenders are returned in *ambiguous so the caller can record an
 * ambiguous-format anomaly (The Sleuth Kit refuses ambiguity; we report
 * it).  No bid above zero: NULL, the member is "unknown".
 */
#ifndef IMCQ_DETECT_H
#define IMCQ_DETECT_H
#include "formats/format.h"
/* *ambiguous is a fresh "a,b" list or NULL; *bid the winning bid. */
const struct imcq_format *detect_entry(const struct imcq_entry *e, int *bid,
				       char **ambiguous);
#endif
