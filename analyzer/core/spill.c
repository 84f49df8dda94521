/* SPDX-License-Identifier: MIT */
/*
 * spill.c - records written once to an unlinked temporary file (spill.h).
 *
 * Issue #9: two analysis threads put at once, and one mutex around every
 * put (with a 1 MiB pwrite under it) made them sleep on each other.  So
 * the store has no lock, and a small put no atomic operation either.
 *
 * The store's bytes are cut in chunks of SPILL_CHUNK: chunk k holds the
 * bytes [k, k + 1) * SPILL_CHUNK, and that is where it goes in the file.
 * Each thread takes an extent of up to SPILL_EXTENT bytes of one chunk for
 * itself (one atomic step on the end of the store) and copies its small
 * records into it with no atomic operation at all.  When the next record
 * does not fit, the thread gives the extent back: it adds the extent's
 * whole length (the unused end is a zeroed hole no offset names) to the
 * chunk's count of filled bytes; a larger record reserves its own bytes
 * and counts them the same way.  The thread whose count fills a chunk
 * writes it to the file, at its own offset, outside any lock: every extent
 * in it has been given back, so no byte of it is still being written, and
 * the other threads go on into later chunks meanwhile.  Then it marks the
 * chunk as on file and frees its memory once no reader is copying from it
 * (the memory is kept for the next chunk).  A chunk holding an extent that
 * a thread has not given back (it put nothing since, or it moved to
 * another store) stays in memory.
 *
 * A reader takes each chunk of a record from the file when it is marked on
 * file, else from memory; bytes on file never change, and a put's bytes
 * are in memory before it returns, so a record is readable from any thread
 * as soon as its put has returned.  When a write fails (a full disk) the
 * chunk stays in memory, as do all later ones (one warning): nothing is
 * lost.  Records of two threads interleave: offsets are not in put order.
 *
 * Chunks are found through 64 buckets of doubling size (bucket b holds
 * 2^b slots), installed once and never moved, so a lookup needs no lock
 * and the store has no size limit.
 */
#define _GNU_SOURCE	/* O_TMPFILE */
#include "analyzer/core/spill.h"
#include "analyzer/core/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core/xalloc.h"

#define SPILL_CHUNK ((size_t)1 << 20)
#define SPILL_EXTENT ((size_t)64 << 10)	/* a thread's own bytes of a chunk */
#define SPILL_SMALL ((size_t)4 << 10)	/* larger puts reserve their bytes */
#define SPILL_NBUCKET 64
#define SPILL_BUCKET0 64	/* chunk k is slot k + 64 - 2^b of bucket b */

/* What puts and readers write (filled, readers) lies 64 bytes away from
 * what every put reads (mem, the buckets): the two threads' puts do not
 * bounce the cache lines they only read. */
#define SPILL_LINE 64

struct slot {
	_Atomic(char *) mem;	/* the chunk's bytes until it is on file */
	atomic_bool on_file;	/* written: read it from the file */
	char pad[SPILL_LINE];
	atomic_size_t filled;	/* bytes copied into mem */
	atomic_uint readers;	/* readers copying from mem */
};

struct imcq_spill {
	uint64_t id;		/* tells this store's extents from others' */
	int fd;
	atomic_bool file_ok;	/* writes still go to the file */
	atomic_bool fail_next;	/* tests: the next write fails */
	_Atomic(struct slot *) bucket[SPILL_NBUCKET];
	_Atomic(char *) spare;	/* a written chunk's memory, for the next */
	char pad[SPILL_LINE];
	atomic_uint_fast64_t end;	/* bytes reserved by extents and puts */
	char pad2[SPILL_LINE];
	atomic_uint_fast64_t on_file;	/* bytes of the chunks on file */
};

/* This thread's extent: the bytes [at, lim) of chunk base / SPILL_CHUNK of
 * the store id, taken from start; the bytes before at hold its records. */
struct extent {
	uint64_t id;
	uint64_t start, at, lim, base;
	struct slot *sl;
	char *mem;
};

static _Thread_local struct extent my_ext;
static atomic_uint_fast64_t spill_ids = 1;

/* dir, else $TMPDIR, else /tmp */
static const char *
tmp_dir(const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		dir = getenv("TMPDIR");
	return dir == NULL || dir[0] == '\0' ? "/tmp" : dir;
}

int
spill_tmpfile(const char *dir)
{
	char *path;
	int fd;

	dir = tmp_dir(dir);
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

	dir = tmp_dir(dir);
	fd = spill_tmpfile(dir);
	if (fd < 0) {
		imcq_err_set(err, IMCQ_SKIP, "cannot create a temporary file in %s: %s",
			     dir, strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->id = atomic_fetch_add(&spill_ids, 1);
	s->fd = fd;
	atomic_init(&s->file_ok, true);
	return s;
}

/* The slot of chunk k, its bucket installed if need be. */
static struct slot *
slot_of(struct imcq_spill *s, uint64_t k)
{
	uint64_t x = k + SPILL_BUCKET0;
	int b = 63 - __builtin_clzll(x);
	struct slot *v = atomic_load_explicit(&s->bucket[b], memory_order_acquire);

	if (v == NULL) {
		struct slot *fresh = xcalloc((size_t)1 << b, sizeof(*fresh));

		if (atomic_compare_exchange_strong_explicit(&s->bucket[b], &v, fresh,
							    memory_order_acq_rel,
							    memory_order_acquire))
			v = fresh;
		else
			free(fresh);	/* another put installed it: v */
	}
	return &v[x - ((uint64_t)1 << b)];
}

/* Write the full chunk k to the file at its offset (no lock: no put
 * touches it any more); then free its memory, once no reader copies from
 * it.  On failure it stays in memory, and so do the chunks after it. */
static void
chunk_full(struct imcq_spill *s, uint64_t k, struct slot *sl)
{
	char *mem = atomic_load_explicit(&sl->mem, memory_order_acquire);
	size_t w = 0;

	if (!atomic_load_explicit(&s->file_ok, memory_order_relaxed))
		return;
	while (w < SPILL_CHUNK) {
		ssize_t r;

		if (atomic_load_explicit(&s->fail_next, memory_order_relaxed)) {
			errno = ENOSPC;
			r = -1;
		} else {
			r = pwrite(s->fd, mem + w, SPILL_CHUNK - w,
				   (off_t)(k * SPILL_CHUNK + w));
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* what was written of this chunk stays unused in
			 * the file; its memory still holds every byte */
			if (atomic_exchange(&s->file_ok, false))
				imcq_warn("warning: cannot write the temporary file (%s); "
					  "keeping message details in memory from here",
					  r < 0 ? strerror(errno) : "no progress");
			return;
		}
		w += (size_t)r;
	}
	/* readers that saw it in memory finish first (spill_get pairs its
	 * count and this flag, both seq_cst, in the opposite order) */
	atomic_store(&sl->on_file, true);
	while (atomic_load(&sl->readers) != 0)
		sched_yield();
	atomic_store_explicit(&sl->mem, NULL, memory_order_relaxed);
	/* kept for the next chunk: no fresh pages to fault in each MiB */
	free(atomic_exchange(&s->spare, mem));
	atomic_fetch_add_explicit(&s->on_file, SPILL_CHUNK, memory_order_relaxed);
}

/* The memory of chunk sl, set up by the first put into it. */
static char *
chunk_mem(struct imcq_spill *s, struct slot *sl)
{
	char *mem = atomic_load_explicit(&sl->mem, memory_order_acquire);

	if (mem == NULL) {
		char *fresh = atomic_exchange(&s->spare, NULL);

		if (fresh == NULL)
			fresh = xmalloc(SPILL_CHUNK);

		if (atomic_compare_exchange_strong_explicit(&sl->mem, &mem, fresh,
							    memory_order_acq_rel,
							    memory_order_acquire))
			mem = fresh;
		else
			free(atomic_exchange(&s->spare, fresh));	/* another put set it up */
	}
	return mem;
}

/* Count n more bytes of chunk k as filled (their copies done); the count
 * that fills it writes it out. */
static void
chunk_filled(struct imcq_spill *s, uint64_t k, struct slot *sl, size_t n)
{
	/* release: the thread that fills the chunk sees every copy */
	if (atomic_fetch_add_explicit(&sl->filled, n, memory_order_acq_rel) + n == SPILL_CHUNK)
		chunk_full(s, k, sl);
}

/* Count the extent r as filled; its unused end, a hole, is zeroed: the file
 * gets no stray bytes of the process's memory. */
static void
extent_give_back(struct imcq_spill *s, struct extent *r)
{
	memset(r->mem + (r->at - r->base), 0, (size_t)(r->lim - r->at));
	chunk_filled(s, r->base / SPILL_CHUNK, r->sl, (size_t)(r->lim - r->start));
	r->start = r->at = r->lim;
}

/* Give back this thread's extent of s (if it has one), and take one that
 * holds at least n bytes. */
static void
extent_next(struct imcq_spill *s, size_t n)
{
	struct extent *r = &my_ext;
	uint64_t e, len;

	if (r->id == s->id)
		extent_give_back(s, r);
	for (;;) {
		e = atomic_load_explicit(&s->end, memory_order_relaxed);
		do {
			len = SPILL_CHUNK - e % SPILL_CHUNK;
			if (len > SPILL_EXTENT)
				len = SPILL_EXTENT;
		} while (!atomic_compare_exchange_weak_explicit(&s->end, &e, e + len,
								memory_order_relaxed,
								memory_order_relaxed));
		r->id = s->id;
		r->base = e - e % SPILL_CHUNK;
		r->start = r->at = e;
		r->lim = e + len;
		r->sl = slot_of(s, e / SPILL_CHUNK);
		r->mem = chunk_mem(s, r->sl);
		if (len >= n)
			return;
		extent_give_back(s, r);	/* the end of a chunk, too short */
	}
}

uint64_t
spill_put(struct imcq_spill *s, const void *p, size_t n)
{
	struct extent *r = &my_ext;
	const char *src = p;
	uint64_t off, at;

	if (r->id == s->id && r->lim - r->at >= n) {
		/* the common case: this thread's own bytes, no atomics */
		off = r->at;
	} else if (n <= SPILL_SMALL) {
		extent_next(s, n);
		off = r->at;
	} else {
		off = UINT64_MAX;
	}
	if (off != UINT64_MAX) {
		memcpy(r->mem + (off - r->base), src, n);
		r->at += n;
		return off;
	}
	/* a large record: its own bytes, counted as filled chunk by chunk */
	off = atomic_fetch_add_explicit(&s->end, n, memory_order_relaxed);
	at = off;
	while (n > 0) {
		uint64_t k = at / SPILL_CHUNK;
		size_t in = (size_t)(at % SPILL_CHUNK);
		size_t take = SPILL_CHUNK - in < n ? SPILL_CHUNK - in : n;
		struct slot *sl = slot_of(s, k);

		memcpy(chunk_mem(s, sl) + in, src, take);
		chunk_filled(s, k, sl, take);
		at += take;
		src += take;
		n -= take;
	}
	return off;
}

static void
read_file(struct imcq_spill *s, uint64_t off, char *dst, size_t n)
{
	if (!pread_full(s->fd, dst, n, off))
		imcq_die("cannot read back the temporary file: %s",
			 errno != 0 ? strerror(errno) : "short read");
}

void
spill_get(struct imcq_spill *s, uint64_t off, void *dst, size_t n)
{
	char *d = dst;

	if (off + n > atomic_load_explicit(&s->end, memory_order_relaxed))
		BUG("spill_get past the end");
	while (n > 0) {
		uint64_t k = off / SPILL_CHUNK;
		size_t in = (size_t)(off % SPILL_CHUNK);
		size_t take = SPILL_CHUNK - in < n ? SPILL_CHUNK - in : n;
		struct slot *sl = slot_of(s, k);

		if (atomic_load_explicit(&sl->on_file, memory_order_acquire)) {
			read_file(s, off, d, take);
		} else {
			/* counted before the flag is read again: chunk_full
			 * cannot free mem under this copy */
			atomic_fetch_add(&sl->readers, 1);
			if (atomic_load(&sl->on_file))
				read_file(s, off, d, take);
			else
				memcpy(d, atomic_load_explicit(&sl->mem, memory_order_acquire) + in,
				       take);
			atomic_fetch_sub_explicit(&sl->readers, 1, memory_order_release);
		}
		d += take;
		off += take;
		n -= take;
	}
}

uint64_t
spill_size(struct imcq_spill *s)
{
	return atomic_load(&s->end);
}

uint64_t
spill_in_memory(struct imcq_spill *s)
{
	return atomic_load(&s->end) - atomic_load(&s->on_file);
}

void
spill_test_fail_writes(struct imcq_spill *s)
{
	atomic_store(&s->fail_next, true);
}

void
spill_close(struct imcq_spill *s)
{
	int b;

	if (s == NULL)
		return;
	for (b = 0; b < SPILL_NBUCKET; b++) {
		struct slot *v = atomic_load(&s->bucket[b]);
		size_t i;

		if (v == NULL)
			continue;
		for (i = 0; i < ((size_t)1 << b); i++)
			free(atomic_load(&v[i].mem));
		free(v);
	}
	free(atomic_load(&s->spare));
	close(s->fd);
	free(s);
}
