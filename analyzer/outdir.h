/* SPDX-License-Identifier: MIT */
/*
 * outdir.h - writing a set of output files safely.
 *
 * The set is written into a fresh sibling folder "<DIR>.imcq-tmp-<pid>"
 * with files created O_EXCL, then moved into place: a new DIR by one
 * rename(2) of the whole folder, an existing empty DIR (or, with force, a
 * non-empty one) file by file.  A crash leaves either no report or a
 * complete one, never a half report that looks complete.  Output paths
 * are built only from fixed names: nothing from the evidence becomes a
 * path component.
 */
#ifndef IMCQ_OUTDIR_H
#define IMCQ_OUTDIR_H
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include "analyzer/core/err.h"

struct outdir {
	char *final;
	char *tmp;
	bool existed;
	bool force;
	char **names;
	size_t n, cap;
};

int outdir_open(struct outdir *od, const char *path, bool force, struct imcq_err *err);
/* The same for a command without --force (recover): a non-empty folder is
 * refused without suggesting it. */
int outdir_open_new(struct outdir *od, const char *path, struct imcq_err *err);
/* Create file `name` (a plain name, no '/') in the set. */
FILE *outdir_create(struct outdir *od, const char *name, struct imcq_err *err);
/* Path of a file of the set while it is being written. */
char *outdir_tmp_path(const struct outdir *od, const char *name);
int outdir_commit(struct outdir *od, struct imcq_err *err);
void outdir_abort(struct outdir *od);
/* Is path a missing or empty directory?  (false for a file) */
bool dir_is_empty_or_missing(const char *path, bool *exists);
/* SHA-256 and size of a file. */
int file_sha256(const char *path, char out[65], uint64_t *size);
#endif
