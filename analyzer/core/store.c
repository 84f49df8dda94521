/* SPDX-License-Identifier: MIT */
/*
 * store.c - blocks in a mapped temporary file (store.h).
 *
 * One address range is reserved at open (PROT_NONE, no memory behind it)
 * and the file is mapped into it, MAP_FIXED, a step at a time as it grows:
 * a block's address never changes.  Each step of the file is allocated
 * (fallocate) before it is mapped, so no page of the mapping lies beyond
 * what the file system has granted.
 */
#define _GNU_SOURCE	/* fallocate, MADV_DONTNEED */
#include "analyzer/core/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/core/fdio.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/core/xthread.h"

#define STORE_RESERVE	((uint64_t)64 << 30)	/* address range: 64 GiB */
#define STORE_RESERVE_MIN ((uint64_t)1 << 30)	/* tried when 64 GiB is refused */
#define STORE_STEP	((uint64_t)64 << 20)	/* the file grows and is mapped 64 MiB at a time */
#define STORE_TRIM_MS	5	/* how often the trimmer looks */
#define STORE_ALIGN	8	/* a block starts at a multiple of this: it may hold pointers */

struct imcq_store {
	int fd;
	unsigned char *base;	/* the reserved range */
	uint64_t reserve;	/* its bytes */
	uint64_t cap;		/* bytes the puts may take (IMCQ_STORE=max:N) */
	bool verbose;		/* IMCQ_STORE=verbose: say at close what it held */
	const char *label;	/* store_label: how store_say names it (static), or NULL */
	uint64_t used;		/* bytes put */
	_Atomic uint64_t mapped;	/* bytes of the file mapped (a multiple of STORE_STEP) */
	bool full;		/* the file could not grow: no more puts */
	_Atomic uint64_t dropped;	/* store_drop gave back the bytes below this */
	_Atomic uint64_t in_place;	/* reads read_in_place let copy from the mapping */
	bool sealed;
	pthread_t trimmer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;		/* under mu */
	_Atomic bool keep;	/* store_keep: the thread trims no more */
};

static long page_size = 4096;	/* set by the first store_open */

/* /proc/self/statm, opened by the first store_open and kept: a look reads
 * it again from its start (the kernel writes it afresh for a read at 0),
 * one system call where opening it each time took three (round 19: a
 * look every 100 us of a busy pass; dear on a paravirtualised host);
 * -1: open it each time */
static _Atomic int statm_fd = -1;

/* Bytes of files the process maps now (/proc/self/statm's third field:
 * file and shared memory pages resident) and, in *all, its whole resident
 * set (the second), or 0 when it cannot be read.  Async-signal-safe
 * (open, pread, read, close, no stdio). */
static uint64_t
file_resident(uint64_t *all)
{
	char buf[128];
	ssize_t n;
	int fd = atomic_load_explicit(&statm_fd, memory_order_relaxed), field = 0;
	uint64_t v = 0, res = 0;

	*all = 0;
	if (fd >= 0) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	} else {
		fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == ' ') {
			if (++field == 2)
				res = v;
			if (field == 3)
				break;
			v = 0;
		} else if (buf[i] >= '0' && buf[i] <= '9') {
			v = v * 10 + (uint64_t)(buf[i] - '0');
		} else {
			break;
		}
	}
	if (field < 2)
		return 0;
	*all = res * (uint64_t)page_size;
	return v * (uint64_t)page_size;
}

/* store_set_rss_floor's (0: trim on the budget alone) */
static _Atomic uint64_t rss_floor;

void
store_set_rss_floor(uint64_t bytes)
{
	atomic_store(&rss_floor, bytes);
}

/* the whole resident set at the last look (0: no look yet) */
static _Atomic uint64_t last_all;

/* What a read of the store's bytes at q may copy from the mapping rather
 * than through the file: while the resident set, at the last look, is at
 * most the floor, no look trims (look_now's own test), so a page a read
 * maps stays mapped for the next read, and a read in place costs a copy
 * where pread costs a system call (issue #9: 260,000 of them at 100k,
 * each dear on a paravirtualised host; with 16 MiB of margin under the
 * floor the event joins, at 144-150 MiB, still made 160,000 of them).
 * With no floor (a run whose records left the heap) or above it, the
 * reads map nothing, as before; nor below what store_drop gave back. */
static bool
read_in_place(const struct imcq_store *s, const unsigned char *q)
{
	uint64_t fl = atomic_load_explicit(&rss_floor, memory_order_relaxed);
	uint64_t all = atomic_load_explicit(&last_all, memory_order_relaxed);

	return fl != 0 && all != 0 && all <= fl &&
	       (uint64_t)(q - s->base) >= atomic_load_explicit(&s->dropped, memory_order_relaxed);
}

/* one more read read_in_place let copy (store_reads_in_place) */
static void
count_in_place(const struct imcq_store *s)
{
	atomic_fetch_add_explicit(&((struct imcq_store *)s)->in_place, 1, memory_order_relaxed);
}

/* what the process mapped of files when the first store opened */
static _Atomic uint64_t file_base;

/* The open stores, which a look trims.  A store leaves before its range is
 * unmapped (under reg_mu, which the trimming threads' looks take too), so
 * that no look drops the pages of a range whose addresses went to another
 * mapping; the pacing handler cannot take a lock, so store_close stops the
 * pacing first. */
#define STORE_OPEN_MAX 8
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct imcq_store *_Atomic reg[STORE_OPEN_MAX];
static _Atomic unsigned reg_open;	/* stores in reg */

/* Drop the stores' pages when the process maps more than the budget
 * (async-signal-safe: the pacing handler calls it). */
static void
look_now(void)
{
	uint64_t all, fr = file_resident(&all);

	atomic_store_explicit(&last_all, all, memory_order_relaxed);
	/* statm unreadable (0): trim every time */
	if (fr != 0 && (fr <= atomic_load(&file_base) + STORE_BUDGET ||
			all <= atomic_load(&rss_floor)))
		return;
	for (size_t i = 0; i < STORE_OPEN_MAX; i++) {
		struct imcq_store *s = atomic_load(&reg[i]);
		uint64_t n = s != NULL ? atomic_load(&s->mapped) : 0;

		if (n > 0 && !atomic_load(&s->keep))
			(void)madvise(s->base, (size_t)n, MADV_DONTNEED);
	}
}

/* the trimming threads' look: each open store has a thread and a look
 * covers every store, so one look a STORE_TRIM_MS for the process */
static void
look_locked(void)
{
	static uint64_t last;	/* ms, under reg_mu */
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	xmutex_lock(&reg_mu);
	if (now - last >= STORE_TRIM_MS) {
		last = now;
		look_now();
	}
	xmutex_unlock(&reg_mu);
}

void
store_poll(void)
{
	static _Thread_local unsigned n;
	static _Atomic uint64_t last;	/* us of the monotonic clock */
	struct timespec ts;
	uint64_t now, was;

	if (++n % STORE_POLL_N != 0 || atomic_load(&reg_open) == 0)
		return;
	/* a look (statm) costs a few us: at most one a STORE_POLL_US */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	was = atomic_load(&last);
	if (now - was < STORE_POLL_US || !atomic_compare_exchange_strong(&last, &was, now))
		return;
	look_now();
}

/* ---- pacing (store_pace) ---- */

#define STORE_PACE_SIG	(SIGRTMIN + 1)
#define STORE_PACE_US	1000	/* of the monotonic clock (store.h) */

static timer_t pace_timer;
static bool pacing;

static void
pace_handler(int sig)
{
	int e = errno;

	(void)sig;
	look_now();
	errno = e;
}

void
store_pace(bool on)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its;

	if (on == pacing || (on && atomic_load(&reg_open) == 0))
		return;
	if (!on) {
		(void)timer_delete(pace_timer);
		pacing = false;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pace_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = STORE_PACE_SIG;
	if (sigaction(STORE_PACE_SIG, &sa, NULL) != 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &pace_timer) != 0)
		return;		/* the trimming threads alone */
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = STORE_PACE_US * 1000L;
	its.it_interval = its.it_value;
	if (timer_settime(pace_timer, 0, &its, NULL) != 0) {
		(void)timer_delete(pace_timer);
		return;
	}
	pacing = true;
}

static void *
trim_loop(void *user)
{
	struct imcq_store *s = user;
	struct timespec until;

	xmutex_lock(&s->mu);
	while (!s->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += STORE_TRIM_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
			;
		if (s->stop)
			break;
		xmutex_unlock(&s->mu);
		/* the bytes stay in the file (a shared mapping): the pages
		 * come back, from the page cache, when they are read again */
		look_locked();
		xmutex_lock(&s->mu);
	}
	xmutex_unlock(&s->mu);
	return NULL;
}

struct imcq_store *
store_open(const char *dir, struct imcq_err *err)
{
	const char *how = getenv("IMCQ_STORE");
	struct imcq_store *s;
	pthread_condattr_t ca;
	void *base;
	uint64_t reserve = STORE_RESERVE;
	uint64_t cap = UINT64_MAX;
	struct rlimit rl;
	int fd;

	if (how != NULL && strcmp(how, "off") == 0) {
		imcq_err_set(err, IMCQ_SKIP, "IMCQ_STORE=off");
		return NULL;
	}
	if (how != NULL && strncmp(how, "max:", 4) == 0) {
		char *end;

		errno = 0;
		cap = strtoull(how + 4, &end, 10);
		if (errno != 0 || end == how + 4 || (*end != '\0' && *end != ','))
			cap = UINT64_MAX;
	}
	/* under a limit on the address space (ulimit -v), a quarter of it
	 * at most: the heap needs the rest */
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t q = (uint64_t)rl.rlim_cur / 4;

		if (q < STORE_STEP) {
			imcq_err_set(err, IMCQ_SKIP, "the address space limit leaves no room for the store");
			return NULL;
		}
		while (reserve > q)
			reserve /= 2;
		reserve -= reserve % STORE_STEP;
	}
	for (;;) {
		base = mmap(NULL, (size_t)reserve, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (base != MAP_FAILED)
			break;
		if (reserve <= STORE_RESERVE_MIN || reserve / 4 < STORE_STEP) {
			imcq_err_set(err, IMCQ_SKIP, "cannot reserve addresses for the store: %s",
				     strerror(errno));
			return NULL;
		}
		reserve /= 4;
		reserve -= reserve % STORE_STEP;
	}
	fd = spill_tmpfile(dir);
	if (fd < 0) {
		imcq_err_set(err, IMCQ_SKIP, "cannot create a temporary file for the store: %s",
			     strerror(errno));
		munmap(base, (size_t)reserve);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->base = base;
	s->reserve = reserve;
	s->cap = cap < reserve ? cap : reserve;
	s->verbose = how != NULL && (strcmp(how, "verbose") == 0 ||
				     (strstr(how, ",verbose") != NULL && strncmp(how, "max:", 4) == 0));
	atomic_init(&s->mapped, 0);
	atomic_init(&s->keep, false);
	{
		uint64_t none = 0, all;
		long pg = sysconf(_SC_PAGESIZE);
		int sfd, no = -1;

		if (pg > 0)
			page_size = pg;
		if (atomic_load(&statm_fd) < 0) {
			sfd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
			if (sfd >= 0 && !atomic_compare_exchange_strong(&statm_fd, &no, sfd))
				close(sfd);	/* another store_open's won */
		}
		(void)atomic_compare_exchange_strong(&file_base, &none, file_resident(&all));
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->cv, &ca) != 0)
		BUG("store: mutex or condition");
	pthread_condattr_destroy(&ca);
	xmutex_lock(&reg_mu);
	for (size_t i = 0; i < STORE_OPEN_MAX; i++)
		if (atomic_load(&reg[i]) == NULL) {
			atomic_store(&reg[i], s);
			atomic_fetch_add(&reg_open, 1);
			break;
		}
	xmutex_unlock(&reg_mu);
	if (pthread_create(&s->trimmer, NULL, trim_loop, s) != 0)
		BUG("store: cannot start the trimming thread");
	return s;
}

/* The largest piece store_write gives pwrite: the kernel's fault-around
 * (16 pages) maps as much anyway. */
#define STORE_WRITE_MAX	((size_t)64 << 10)

/* Grow the file and its mapping to hold at least need bytes. */
static bool
grow(struct imcq_store *s, uint64_t need)
{
	uint64_t at = atomic_load(&s->mapped);

	while (at < need) {
		uint64_t step = STORE_STEP;

		if (at + step > s->reserve)
			return false;
		if (fallocate(s->fd, 0, (off_t)at, (off_t)step) != 0)
			return false;	/* full disk, or no fallocate there */
		if (mmap(s->base + at, (size_t)step, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, s->fd, (off_t)at) == MAP_FAILED)
			return false;
		/* small folios, no read-around: a fault maps one page, not
		 * a large folio's worth that the trimmer must catch up with */
		(void)madvise(s->base + at, (size_t)step, MADV_RANDOM);
		at += step;
		atomic_store(&s->mapped, at);
	}
	return true;
}

void *
store_alloc(struct imcq_store *s, size_t n)
{
	uint64_t off;

	if (s == NULL || s->full || s->sealed || n == 0)
		return NULL;
	off = (s->used + STORE_ALIGN - 1) & ~(uint64_t)(STORE_ALIGN - 1);
	if (n > s->cap || off > s->cap - n ||
	    (off + n > atomic_load(&s->mapped) && !grow(s, off + n))) {
		s->full = true;
		return NULL;
	}
	s->used = off + n;
	return s->base + off;
}

void *
store_put(struct imcq_store *s, const void *p, size_t n)
{
	void *at = store_alloc(s, n);

	if (at != NULL)
		memcpy(at, p, n);
	return at;
}

bool
store_read(const struct imcq_store *s, const void *at, void *dst, size_t n)
{
	const unsigned char *q = at;

	if (n == 0)
		return true;
	if (!store_holds(s, q) || n > (size_t)(s->base + s->used - q))
		BUG("store_read: not in the store");
	if (read_in_place(s, q)) {
		memcpy(dst, q, n);
		count_in_place(s);
		return true;
	}
	return pread_full(s->fd, dst, n, (uint64_t)(q - s->base));
}

bool
store_copy_out(const struct imcq_store *s, const void *at, void *dst, size_t n)
{
	if (store_holds(s, at))
		return store_read(s, at, dst, n);
	if (n > 0)
		memcpy(dst, at, n);
	return true;
}

size_t
store_read_some(const struct imcq_store *s, const void *at, void *dst, size_t cap)
{
	const unsigned char *q = at;
	size_t n;

	if (s == NULL || cap == 0 || !store_holds(s, q))
		return 0;
	n = (size_t)(s->base + s->used - q);
	if (n > cap)
		n = cap;
	if (n > 0 && read_in_place(s, q)) {
		memcpy(dst, q, n);
		count_in_place(s);
		return n;
	}
	return n > 0 && pread_full(s->fd, dst, n, (uint64_t)(q - s->base)) ? n : 0;
}

bool
store_read_str(const struct imcq_store *s, const char *at, char *dst, size_t cap)
{
	const unsigned char *q = (const unsigned char *)at, *z;
	size_t n;

	/* in place: the string's bytes alone, not cap of them */
	if (s != NULL && cap > 0 && store_holds(s, q) && read_in_place(s, q)) {
		n = (size_t)(s->base + s->used - q);
		z = memchr(q, '\0', n < cap ? n : cap);
		if (z == NULL)
			return false;
		memcpy(dst, q, (size_t)(z - q) + 1);
		count_in_place(s);
		return true;
	}
	n = store_read_some(s, at, dst, cap);

	return n > 0 && memchr(dst, '\0', n) != NULL;
}

bool
store_write(struct imcq_store *s, void *at, const void *src, size_t n)
{
	unsigned char *q = at;

	if (n == 0)
		return true;
	if (!store_holds(s, q) || n > (size_t)(s->base + s->used - q))
		BUG("store_write: not in the store");
	if (s->sealed)
		BUG("store_write: the store is sealed");
	/* in pieces of at most STORE_WRITE_MAX, cut at multiples of it: the
	 * page cache makes a folio as large as a write (ext4, XFS), and a
	 * fault in the mapping maps the whole folio -- 1 MiB writes made a
	 * read of one 144-byte event map a megabyte (issue #9) */
	while (n > 0) {
		uint64_t off = (uint64_t)(q - s->base);
		size_t k = STORE_WRITE_MAX - (size_t)(off % STORE_WRITE_MAX);

		if (k > n)
			k = n;
		if (!pwrite_full(s->fd, src, k, off))
			return false;
		q += k;
		src = (const unsigned char *)src + k;
		n -= k;
	}
	return true;
}

void
store_drop(struct imcq_store *s, const void *end)
{
	const unsigned char *q = end;
	uint64_t n;

	if (s == NULL || q == NULL || q <= s->base)
		return;
	n = (uint64_t)(q - s->base);
	if (n > s->used)
		BUG("store_drop: past the store");
	n -= n % (uint64_t)page_size;
	if (n == 0)
		return;
	if (n > atomic_load(&s->dropped))
		atomic_store(&s->dropped, n);
	(void)mprotect(s->base, (size_t)n, PROT_NONE);
	(void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)n);
}

bool
store_holds(const struct imcq_store *s, const void *p)
{
	const unsigned char *q = p;

	return s != NULL && q >= s->base && q < s->base + s->used;
}

void
store_seal(struct imcq_store *s)
{
	uint64_t n;

	if (s == NULL || s->sealed)
		return;
	s->sealed = true;
	n = atomic_load(&s->mapped);
	if (n > 0 && mprotect(s->base, (size_t)n, PROT_READ) != 0)
		BUG("store: mprotect");
}

void
store_keep(struct imcq_store *s)
{
	uint64_t n;

	if (s == NULL || atomic_exchange(&s->keep, true))
		return;
	n = atomic_load(&s->mapped);
	if (n > 0)
		(void)madvise(s->base, (size_t)n, MADV_NORMAL);	/* read-around again */
}

void
store_label(struct imcq_store *s, const char *label)
{
	if (s != NULL)
		s->label = label;
}

uint64_t
store_size(const struct imcq_store *s)
{
	return s ? s->used : 0;
}

uint64_t
store_reads_in_place(const struct imcq_store *s)
{
	return s ? atomic_load(&s->in_place) : 0;
}

void
store_say(struct imcq_store *s)
{
	if (s == NULL || !s->verbose)
		return;
	fprintf(stderr, "imcq-store%s%s: %llu bytes put%s\n", s->label ? " " : "",
		s->label ? s->label : "", (unsigned long long)s->used, s->full ? ", then full" : "");
	s->verbose = false;	/* once */
}

void
store_close(struct imcq_store *s)
{
	if (s == NULL)
		return;
	store_say(s);
	xmutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	xmutex_unlock(&s->mu);
	pthread_join(s->trimmer, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	store_pace(false);	/* the handler takes no lock */
	xmutex_lock(&reg_mu);
	for (size_t i = 0; i < STORE_OPEN_MAX; i++)
		if (atomic_load(&reg[i]) == s) {
			atomic_store(&reg[i], NULL);
			atomic_fetch_sub(&reg_open, 1);
		}
	xmutex_unlock(&reg_mu);
	munmap(s->base, (size_t)s->reserve);
	close(s->fd);
	free(s);
}
