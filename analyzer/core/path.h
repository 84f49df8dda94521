/* SPDX-License-Identifier: MIT */
/*
 * path.h - member names and their place in the Exchsrvr layout.
 *
 * Backups name members with `\` or `/`, in any letter case, under any
 * prefix ("D:\backup\EXCHSRVR\IMCDATA\OUT\3SW32JRP", "ServerB/imcdata/out/x").
 * path_normalize() turns `\` into `/`, drops a drive letter, "./" and
 * empty components, and refuses ".." (returns false: the caller records a
 * path-traversal anomaly and uses the sanitised form).  path_place()
 * classifies the normalised name case-insensitively by its last
 * Imcdata / Mtadata / Tracking.log component.
 */
#ifndef IMCQ_PATH_H
#define IMCQ_PATH_H
#include <stdbool.h>
#include "analyzer/core/model.h"
/* Normalised copy of name in a fresh string; *suspicious set when the name
 * had "..", an absolute root or a drive letter. */
char *path_normalize(const char *name, bool *suspicious);
/* Place in the layout of a normalised path. */
enum imcq_place path_place(const char *norm);
/* Pointer to the last component of a normalised path. */
const char *path_base(const char *norm);
#endif
