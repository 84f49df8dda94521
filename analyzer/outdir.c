/* SPDX-License-Identifier: MIT */
#include "analyzer/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core/hash.h"
#include "analyzer/core/xalloc.h"

bool
dir_is_empty_or_missing(const char *path, bool *exists)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool empty = true;

	*exists = false;
	if (stat(path, &st) != 0)
		return errno == ENOENT;
	*exists = true;
	if (!S_ISDIR(st.st_mode))
		return false;
	d = opendir(path);
	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

static int open_dir(struct outdir *od, const char *path, bool force, bool offer_force,
		    struct imcq_err *err);

int
outdir_open(struct outdir *od, const char *path, bool force, struct imcq_err *err)
{
	return open_dir(od, path, force, true, err);
}

int
outdir_open_new(struct outdir *od, const char *path, struct imcq_err *err)
{
	return open_dir(od, path, false, false, err);
}

static int
open_dir(struct outdir *od, const char *path, bool force, bool offer_force,
	 struct imcq_err *err)
{
	bool exists;
	struct stat st;
	size_t n = strlen(path);

	memset(od, 0, sizeof(*od));
	while (n > 1 && path[n - 1] == '/')
		n--;
	od->final = xstrndup(path, n);
	od->force = force;
	if (!dir_is_empty_or_missing(od->final, &exists)) {
		if (exists && stat(od->final, &st) == 0 && !S_ISDIR(st.st_mode)) {
			imcq_err_set(err, IMCQ_FATAL, "'%s' exists and is not a directory", od->final);
			free(od->final);
			return IMCQ_FATAL;
		}
		if (!force) {
			imcq_err_set(err, IMCQ_FATAL, "output directory '%s' is not empty%s",
				     od->final, offer_force ?
				     " (use --force to write into it anyway)" :
				     ": choose a new or empty one");
			free(od->final);
			return IMCQ_FATAL;
		}
	}
	od->existed = exists;
	od->tmp = xasprintf("%s.imcq-tmp-%ld", od->final, (long)getpid());
	if (mkdir(od->tmp, 0755) != 0) {
		imcq_err_set(err, IMCQ_FATAL, "cannot create '%s': %s", od->tmp, strerror(errno));
		free(od->final);
		free(od->tmp);
		return IMCQ_FATAL;
	}
	return IMCQ_OK;
}

char *
outdir_tmp_path(const struct outdir *od, const char *name)
{
	return xasprintf("%s/%s", od->tmp, name);
}

FILE *
outdir_create(struct outdir *od, const char *name, struct imcq_err *err)
{
	char *p;
	int fd;
	FILE *f;

	if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
		imcq_err_set(err, IMCQ_FATAL, "bad output name '%s'", name);
		return NULL;
	}
	p = outdir_tmp_path(od, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0) {
		imcq_err_set(err, IMCQ_FATAL, "cannot create '%s': %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		imcq_err_set(err, IMCQ_FATAL, "cannot open '%s': %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	free(p);
	VEC_PUSH(od->names, od->n, od->cap, xstrdup(name));
	return f;
}

static void
free_names(struct outdir *od)
{
	size_t i;

	for (i = 0; i < od->n; i++)
		free(od->names[i]);
	free(od->names);
	free(od->final);
	free(od->tmp);
	memset(od, 0, sizeof(*od));
}

int
outdir_commit(struct outdir *od, struct imcq_err *err)
{
	size_t i;
	bool exists;

	if (!od->existed || dir_is_empty_or_missing(od->final, &exists)) {
		if (!od->existed || rmdir(od->final) == 0) {
			if (rename(od->tmp, od->final) == 0) {
				free_names(od);
				return IMCQ_OK;
			}
		}
	}
	for (i = 0; i < od->n; i++) {
		char *from = xasprintf("%s/%s", od->tmp, od->names[i]);
		char *to = xasprintf("%s/%s", od->final, od->names[i]);

		if (rename(from, to) != 0) {
			imcq_err_set(err, IMCQ_FATAL, "cannot move '%s' to '%s': %s", from, to,
				     strerror(errno));
			free(from);
			free(to);
			return IMCQ_FATAL;
		}
		free(from);
		free(to);
	}
	rmdir(od->tmp);
	free_names(od);
	return IMCQ_OK;
}

void
outdir_abort(struct outdir *od)
{
	size_t i;

	for (i = 0; i < od->n; i++) {
		char *p = xasprintf("%s/%s", od->tmp, od->names[i]);

		unlink(p);
		free(p);
	}
	if (od->tmp)
		rmdir(od->tmp);
	free_names(od);
}

int
file_sha256(const char *path, char out[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY);
	unsigned char buf[1 << 16];
	struct imcq_sha256 h;
	ssize_t n;

	*size = 0;
	if (fd < 0)
		return -1;
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(&h, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	sha256_final(&h, out);
	close(fd);
	return n < 0 ? -1 : 0;
}
