/* SPDX-License-Identifier: MIT */
/* runsort.c - an external merge sort of variable-length records (see
 * runsort.h). */
#include "analyzer/core/runsort.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core/err.h"
#include "analyzer/core/fdio.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/xalloc.h"

/*
 * A record, in the buffer and in the file: its length (4 bytes), 4 zero
 * bytes, its bytes, zeros up to a multiple of 8.  The buffer holds the
 * records in the order they came, with an index of their offsets that the
 * sort orders; a run is the records written in that order, back to back.
 */
#define HDR		8
#define PAD8(n)		(((n) + 7) & ~(size_t)7)
#define WRITE_BUF	((size_t)1 << 20)	/* a run goes out in pieces this large */
#define READ_BUF	((size_t)128 << 10)	/* a run's read buffer while merging */
#define MIN_MEM		((size_t)4096)

struct run {
	uint64_t off, end;	/* in the file */
};

/* A run being merged: from the file (through buf) or the buffer's own
 * (mem: the index from mpos). */
struct reader {
	bool mem;
	unsigned char *buf;
	size_t cap, pos, lim;	/* buf's bytes [pos, lim) are the run's next */
	uint64_t foff, fend;	/* what is left of the run in the file */
	size_t mpos;
	const unsigned char *cur;	/* the current record's bytes, or NULL: done */
	size_t ncur;
};

struct runsort {
	runsort_cmp cmp;
	size_t mem;
	unsigned char *buf;
	size_t len, cap;
	size_t *idx;
	size_t nidx, idxcap;
	size_t count;
	int fd;			/* the runs' file, or -1 */
	bool nofile;		/* no file could be had, or a write failed: grow */
	bool verbose;
	uint64_t fend;
	struct run *runs;
	size_t nruns, runcap;
	/* merging */
	bool merging;
	struct reader *rd;
	size_t nrd;
	size_t *heap;		/* readers with a record, the least first */
	size_t nheap;
	bool started;		/* the least reader's record was handed out */
};

/* The sort's comparator: qsort has no context argument (one thread per
 * sorter: runsort.h). */
static _Thread_local const struct runsort *sorting;

static void
parse_env(struct runsort *s)
{
	const char *e = getenv("IMCQ_SORT_MEM");
	unsigned long long v;
	char *end;

	if (e == NULL)
		return;
	s->verbose = strstr(e, "verbose") != NULL;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (end != e && errno == 0 && v >= MIN_MEM && v <= SIZE_MAX / 2)
		s->mem = (size_t)v;
}

struct runsort *
runsort_new(runsort_cmp cmp, size_t mem)
{
	struct runsort *s = xcalloc(1, sizeof(*s));

	s->cmp = cmp;
	s->mem = mem != 0 ? mem : RUNSORT_MEM;
	if (s->mem < MIN_MEM)
		s->mem = MIN_MEM;
	s->fd = -1;
	parse_env(s);
	return s;
}

static uint32_t
rec_len(const unsigned char *p)
{
	uint32_t n;

	memcpy(&n, p, sizeof(n));
	return n;
}

static int
cmp_idx(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const unsigned char *p = sorting->buf + x, *q = sorting->buf + y;
	int c = sorting->cmp(p + HDR, rec_len(p), q + HDR, rec_len(q));

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;	/* stable: the earlier added first */
}

static void
sort_buffer(struct runsort *s)
{
	if (s->nidx < 2)
		return;
	sorting = s;
	qsort(s->idx, s->nidx, sizeof(*s->idx), cmp_idx);
	sorting = NULL;
}

/* Write the buffer's records, sorted, as a run; false (and nothing
 * counted) when the file cannot be had or written. */
static bool
write_run(struct runsort *s)
{
	unsigned char *wb;
	size_t i, wn = 0;
	uint64_t at;

	if (s->nofile)
		return false;
	if (s->fd < 0 && (s->fd = spill_tmpfile(NULL)) < 0) {
		s->nofile = true;
		return false;
	}
	sort_buffer(s);
	wb = xmalloc(WRITE_BUF);
	at = s->fend;
	for (i = 0; i < s->nidx; i++) {
		const unsigned char *p = s->buf + s->idx[i];
		size_t k = HDR + PAD8(rec_len(p));

		if (wn + k > WRITE_BUF && wn > 0) {
			if (!pwrite_full(s->fd, wb, wn, at))
				goto fail;
			at += wn;
			wn = 0;
		}
		if (k > WRITE_BUF) {	/* a record larger than the piece */
			if (!pwrite_full(s->fd, p, k, at))
				goto fail;
			at += k;
			continue;
		}
		memcpy(wb + wn, p, k);
		wn += k;
	}
	if (wn > 0 && !pwrite_full(s->fd, wb, wn, at))
		goto fail;
	at += wn;
	free(wb);
	VEC_PUSH(s->runs, s->nruns, s->runcap, ((struct run){ s->fend, at }));
	s->fend = at;
	s->len = 0;
	s->nidx = 0;
	return true;
fail:
	free(wb);
	s->nofile = true;	/* what is written stays; the rest stays here */
	return false;
}

void
runsort_add(struct runsort *s, const void *rec, size_t n)
{
	size_t k = HDR + PAD8(n);
	uint32_t n32 = (uint32_t)n;

	if (s->merging)
		BUG("runsort_add after runsort_next");
	if (n > UINT32_MAX)
		BUG("runsort_add: a record of 4 GiB");
	if (s->len + k > s->mem && s->nidx > 0)
		write_run(s);
	if (s->len + k > s->cap) {
		size_t want = s->cap ? s->cap : (size_t)64 << 10;

		while (want < s->len + k)
			want *= 2;
		if (want > s->mem && s->len + k <= s->mem)
			want = s->mem;
		s->buf = xrealloc(s->buf, want);
		s->cap = want;
	}
	memcpy(s->buf + s->len, &n32, sizeof(n32));
	memset(s->buf + s->len + sizeof(n32), 0, HDR - sizeof(n32));
	if (n > 0)
		memcpy(s->buf + s->len + HDR, rec, n);
	memset(s->buf + s->len + HDR + n, 0, k - HDR - n);
	VEC_PUSH(s->idx, s->nidx, s->idxcap, s->len);
	s->len += k;
	s->count++;
}

size_t
runsort_count(const struct runsort *s)
{
	return s->count;
}

size_t
runsort_runs(const struct runsort *s)
{
	return s->nruns;
}

/* At least want bytes of the run in r->buf from r->pos (fewer at its
 * end). */
static void
fill(const struct runsort *s, struct reader *r, size_t want)
{
	size_t have = r->lim - r->pos, k;

	if (have >= want || r->foff >= r->fend)
		return;
	if (r->pos > 0) {	/* multiples of 8: the records stay aligned */
		memmove(r->buf, r->buf + r->pos, have);
		r->lim = have;
		r->pos = 0;
	}
	if (want > r->cap) {
		while (r->cap < want)
			r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	k = r->cap - r->lim;
	if (k > r->fend - r->foff)
		k = (size_t)(r->fend - r->foff);
	if (!pread_full(s->fd, r->buf + r->lim, k, r->foff))
		imcq_die("cannot read the sorter's temporary file: %s",
			 errno ? strerror(errno) : "short read");
	r->lim += k;
	r->foff += k;
}

/* Move r to its next record (r->cur NULL at the end). */
static void
advance(const struct runsort *s, struct reader *r)
{
	const unsigned char *p;
	size_t n;

	r->cur = NULL;
	if (r->mem) {
		if (r->mpos >= s->nidx)
			return;
		p = s->buf + s->idx[r->mpos++];
		r->cur = p + HDR;
		r->ncur = rec_len(p);
		return;
	}
	fill(s, r, HDR);
	if (r->lim - r->pos < HDR)
		return;
	n = rec_len(r->buf + r->pos);
	fill(s, r, HDR + PAD8(n));
	if (r->lim - r->pos < HDR + PAD8(n))
		imcq_die("the sorter's temporary file ends inside a record");
	r->cur = r->buf + r->pos + HDR;
	r->ncur = n;
	r->pos += HDR + PAD8(n);
}

/* Whether reader a's record goes before b's (ties: the earlier run). */
static bool
before(const struct runsort *s, size_t a, size_t b)
{
	const struct reader *x = &s->rd[a], *y = &s->rd[b];
	int c = s->cmp(x->cur, x->ncur, y->cur, y->ncur);

	return c != 0 ? c < 0 : a < b;
}

static void
sift_down(struct runsort *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < s->nheap && before(s, s->heap[l], s->heap[m]))
			m = l;
		if (l + 1 < s->nheap && before(s, s->heap[l + 1], s->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

static void
start_merge(struct runsort *s)
{
	size_t i;

	s->merging = true;
	sort_buffer(s);
	/* the file's runs in order, then the buffer's (the newest records) */
	s->nrd = s->nruns + 1;
	s->rd = xcalloc(s->nrd, sizeof(*s->rd));
	s->heap = xmalloc(s->nrd * sizeof(*s->heap));
	for (i = 0; i < s->nrd; i++) {
		struct reader *r = &s->rd[i];

		if (i < s->nruns) {
			r->cap = READ_BUF;
			r->buf = xmalloc(r->cap);
			r->foff = s->runs[i].off;
			r->fend = s->runs[i].end;
		} else {
			r->mem = true;
		}
		advance(s, r);
		if (r->cur != NULL)
			s->heap[s->nheap++] = i;
	}
	for (i = s->nheap / 2; i-- > 0;)
		sift_down(s, i);
}

bool
runsort_next(struct runsort *s, const void **rec, size_t *n)
{
	struct reader *r;

	if (!s->merging)
		start_merge(s);
	else if (s->started && s->nheap > 0) {
		/* the record handed out last is done with: its reader moves on */
		r = &s->rd[s->heap[0]];
		advance(s, r);
		if (r->cur == NULL)
			s->heap[0] = s->heap[--s->nheap];
		if (s->nheap > 0)
			sift_down(s, 0);
	}
	if (s->nheap == 0)
		return false;
	r = &s->rd[s->heap[0]];
	*rec = r->cur;
	*n = r->ncur;
	s->started = true;
	return true;
}

void
runsort_free(struct runsort *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->verbose)
		fprintf(stderr, "imcq-sort: %zu records, %zu runs, %llu bytes in the file\n",
			s->count, s->nruns, (unsigned long long)s->fend);
	for (i = 0; i < s->nrd; i++)
		free(s->rd[i].buf);
	free(s->rd);
	free(s->heap);
	free(s->runs);
	free(s->idx);
	free(s->buf);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
