/* SPDX-License-Identifier: MIT */
/*
 * spill.c - records written once to an unlinked temporary file (spill.h).
 *
 * The store is the file's bytes [0, flen) followed by the bytes in memory
 * [flen, flen + mlen), kept in chunks of SPILL_CHUNK.  spill_put appends to
 * the chunks and, once they hold SPILL_CHUNK or more and the file works,
 * writes them all at flen and frees them.  Bytes below flen never change,
 * so a reader that sees flen under the lock may pread them without it.
 */
#define _GNU_SOURCE	/* O_TMPFILE */
#include "analyzer/core/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core/xalloc.h"
#include "analyzer/core/xthread.h"

#define SPILL_CHUNK ((size_t)1 << 20)

struct imcq_spill {
	pthread_mutex_t mu;
	int fd;
	bool file_ok;		/* writes still go to the file */
	bool fail_next;		/* tests: the next write fails */
	uint64_t flen;		/* bytes in the file */
	uint64_t mlen;		/* bytes in the chunks, after flen */
	char **chunk;
	size_t nchunk, chunkcap;
};

static int
open_tmp(const char *dir)
{
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* EOPNOTSUPP, EISDIR, EINVAL: no O_TMPFILE there; fall back */
	if (errno == ENOENT || errno == EACCES || errno == EROFS || errno == ENOTDIR)
		return -1;
#endif
	path = xasprintf("%s/imcq-spill-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0 && unlink(path) != 0) {
		int e = errno;

		close(fd);
		fd = -1;
		errno = e;
	}
	free(path);
	return fd;
}

struct imcq_spill *
spill_open(const char *dir, struct imcq_err *err)
{
	struct imcq_spill *s;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open_tmp(dir);
	if (fd < 0) {
		imcq_err_set(err, IMCQ_SKIP, "cannot create a temporary file in %s: %s",
			     dir, strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		BUG("pthread_mutex_init");
	s->fd = fd;
	s->file_ok = true;
	return s;
}

/* Write every chunk at flen (lock held).  On failure the chunks stay. */
static void
flush(struct imcq_spill *s)
{
	uint64_t done = 0;
	size_t k;

	for (k = 0; k < s->nchunk && done < s->mlen; k++) {
		size_t n = s->mlen - done < SPILL_CHUNK ? (size_t)(s->mlen - done) : SPILL_CHUNK;
		size_t w = 0;

		while (w < n) {
			ssize_t r;

			if (s->fail_next) {
				errno = ENOSPC;
				r = -1;
			} else {
				r = pwrite(s->fd, s->chunk[k] + w, n - w,
					   (off_t)(s->flen + done + w));
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* what was written of this flush stays
				 * unused in the file; the chunks still hold
				 * every byte */
				imcq_warn("warning: cannot write the temporary file (%s); "
					  "keeping message details in memory from here",
					  r < 0 ? strerror(errno) : "no progress");
				s->file_ok = false;
				return;
			}
			w += (size_t)r;
		}
		done += n;
	}
	for (k = 0; k < s->nchunk; k++)
		free(s->chunk[k]);
	s->nchunk = 0;
	s->flen += s->mlen;
	s->mlen = 0;
}

uint64_t
spill_put(struct imcq_spill *s, const void *p, size_t n)
{
	const char *src = p;
	uint64_t off;

	xmutex_lock(&s->mu);
	off = s->flen + s->mlen;
	while (n > 0) {
		size_t at = (size_t)(s->mlen % SPILL_CHUNK);
		size_t take;

		if (at == 0 && s->mlen / SPILL_CHUNK == s->nchunk) {
			VEC_PUSH(s->chunk, s->nchunk, s->chunkcap,
				 (char *)xmalloc(SPILL_CHUNK));
		}
		take = SPILL_CHUNK - at < n ? SPILL_CHUNK - at : n;
		memcpy(s->chunk[s->mlen / SPILL_CHUNK] + at, src, take);
		s->mlen += take;
		src += take;
		n -= take;
	}
	if (s->file_ok && s->mlen >= SPILL_CHUNK)
		flush(s);
	xmutex_unlock(&s->mu);
	return off;
}

static void
read_file(struct imcq_spill *s, uint64_t off, char *dst, size_t n)
{
	while (n > 0) {
		ssize_t r = pread(s->fd, dst, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			imcq_die("cannot read back the temporary file: %s",
				 r < 0 ? strerror(errno) : "short read");
		dst += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
}

void
spill_get(struct imcq_spill *s, uint64_t off, void *dst, size_t n)
{
	char *d = dst;

	xmutex_lock(&s->mu);
	if (off + n > s->flen + s->mlen)
		BUG("spill_get past the end");
	if (off + n <= s->flen) {
		/* immutable once written: read without the lock */
		xmutex_unlock(&s->mu);
		read_file(s, off, d, n);
		return;
	}
	if (off < s->flen) {
		size_t head = (size_t)(s->flen - off);

		read_file(s, off, d, head);
		d += head;
		n -= head;
		off = s->flen;
	}
	off -= s->flen;
	while (n > 0) {
		size_t at = (size_t)(off % SPILL_CHUNK);
		size_t take = SPILL_CHUNK - at < n ? SPILL_CHUNK - at : n;

		memcpy(d, s->chunk[off / SPILL_CHUNK] + at, take);
		d += take;
		off += take;
		n -= take;
	}
	xmutex_unlock(&s->mu);
}

uint64_t
spill_size(struct imcq_spill *s)
{
	uint64_t n;

	xmutex_lock(&s->mu);
	n = s->flen + s->mlen;
	xmutex_unlock(&s->mu);
	return n;
}

uint64_t
spill_in_memory(struct imcq_spill *s)
{
	uint64_t n;

	xmutex_lock(&s->mu);
	n = s->mlen;
	xmutex_unlock(&s->mu);
	return n;
}

void
spill_test_fail_writes(struct imcq_spill *s)
{
	xmutex_lock(&s->mu);
	s->fail_next = true;
	xmutex_unlock(&s->mu);
}

void
spill_close(struct imcq_spill *s)
{
	size_t k;

	if (s == NULL)
		return;
	for (k = 0; k < s->nchunk; k++)
		free(s->chunk[k]);
	free(s->chunk);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
