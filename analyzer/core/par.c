/* SPDX-License-Identifier: MIT */
/* par.c - one worker thread for the analysis (see par.h). */
#include "analyzer/core/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/ckd.h"
#include "analyzer/core/xthread.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t go;		/* a job or quit for the worker */
	pthread_cond_t done;		/* the job is done */
	pthread_t th;
	bool running;			/* between par_begin and par_end */
	bool quit;
	bool has_job;
	bool finished;
	void (*fn)(void *);
	void *arg;
	atomic_bool busy;		/* a caller holds the worker */
} P = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.go = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void *
worker(void *unused)
{
	(void)unused;
	xmutex_lock(&P.mu);
	for (;;) {
		while (!P.has_job && !P.quit)
			pthread_cond_wait(&P.go, &P.mu);
		if (P.has_job) {
			void (*fn)(void *) = P.fn;
			void *arg = P.arg;

			P.has_job = false;
			xmutex_unlock(&P.mu);
			fn(arg);
			xmutex_lock(&P.mu);
			P.finished = true;
			pthread_cond_signal(&P.done);
			continue;
		}
		break;		/* quit, nothing pending */
	}
	xmutex_unlock(&P.mu);
	return NULL;
}

bool par_force;

void
par_begin(unsigned threads)
{
	const char *e = getenv("IMCQ_PAR_SPLIT");

	if (threads < 2 || P.running)
		return;
	P.quit = false;
	P.has_job = false;
	P.finished = false;
	atomic_store(&P.busy, false);
	par_force = e != NULL && strcmp(e, "always") == 0;
	/* no thread to be had: everything runs in the caller */
	if (pthread_create(&P.th, NULL, worker, NULL) != 0) {
		par_force = false;
		return;
	}
	P.running = true;
}

void
par_end(void)
{
	if (!P.running)
		return;
	xmutex_lock(&P.mu);
	P.quit = true;
	pthread_cond_signal(&P.go);
	xmutex_unlock(&P.mu);
	pthread_join(P.th, NULL);
	P.running = false;
	par_force = false;
}

bool
par_active(void)
{
	return P.running && !atomic_load(&P.busy);
}

bool
par_split(size_t n, size_t min)
{
	return n >= 2 && (n >= min || par_force) && par_active();
}

void
par_two(void (*a)(void *), void *ua, void (*b)(void *), void *ub)
{
	bool expect = false;

	if (!P.running || !atomic_compare_exchange_strong(&P.busy, &expect, true)) {
		a(ua);
		b(ub);
		return;
	}
	xmutex_lock(&P.mu);
	P.fn = b;
	P.arg = ub;
	P.finished = false;
	P.has_job = true;
	pthread_cond_signal(&P.go);
	xmutex_unlock(&P.mu);
	a(ua);
	xmutex_lock(&P.mu);
	while (!P.finished)
		pthread_cond_wait(&P.done, &P.mu);
	xmutex_unlock(&P.mu);
	atomic_store(&P.busy, false);
}

/* ---- split loops ---------------------------------------------------------- */

struct half {
	void (*fn)(void *, size_t, size_t);
	void *user;
	size_t lo, hi;
};

static void
run_half(void *p)
{
	struct half *h = p;

	h->fn(h->user, h->lo, h->hi);
}

void
par_for(size_t n, size_t min, void (*fn)(void *user, size_t lo, size_t hi), void *user)
{
	struct half a, b;

	if (n == 0)
		return;
	if (!par_split(n, min)) {
		fn(user, 0, n);
		return;
	}
	a = (struct half){ fn, user, 0, n / 2 };
	b = (struct half){ fn, user, n / 2, n };
	par_two(run_half, &a, run_half, &b);
}

/* ---- sorts ------------------------------------------------------------------ */

struct sort_half {
	void *base;
	size_t n, size;
	int (*cmp)(const void *, const void *);
};

static void
sort_half(void *p)
{
	struct sort_half *h = p;

	if (h->n > 1)
		qsort(h->base, h->n, h->size, h->cmp);
}

void
par_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	size_t n1 = n / 2, n2 = n - n1, total;
	struct sort_half a, b;
	char *tmp, *out, *l, *r;

	if (n < 2 || base == NULL)
		return;
	if (!par_split(n, PAR_SORT_MIN) || ckd_mul(&total, n, size)) {
		qsort(base, n, size, cmp);
		return;
	}
	tmp = malloc(total);
	if (tmp == NULL) {
		qsort(base, n, size, cmp);
		return;
	}
	/* glibc's msort_with_tmp: sort b[0, n/2) and b[n/2, n), then merge,
	 * taking the left element while cmp(left, right) <= 0 */
	a = (struct sort_half){ base, n1, size, cmp };
	b = (struct sort_half){ (char *)base + n1 * size, n2, size, cmp };
	par_two(sort_half, &a, sort_half, &b);
	l = base;
	r = (char *)base + n1 * size;
	out = tmp;
	while (n1 > 0 && n2 > 0) {
		if (cmp(l, r) <= 0) {
			memcpy(out, l, size);
			l += size;
			n1--;
		} else {
			memcpy(out, r, size);
			r += size;
			n2--;
		}
		out += size;
	}
	/* what is left of the left half goes before the right half's rest,
	 * which is already in place */
	if (n1 > 0)
		memcpy(out, l, n1 * size);
	memcpy(base, tmp, (size_t)(out - tmp) + n1 * size);
	free(tmp);
}
