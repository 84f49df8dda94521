/* SPDX-License-Identifier: MIT */
/*
 * ahead.c - items made ahead on a second thread (see ahead.h).
 *
 * Who makes item i is decided by claiming it: claim is the first item
 * nobody has begun.  The thread claims the next one (fetch-add), makes it
 * and pushes it into a workq, so the queue holds the thread's items in
 * increasing order.  The calling thread takes item i: its own when it
 * claimed it (with help: i itself when nobody had begun it, or, while the
 * queue is empty and it would wait, items further on, up to STASH of
 * them kept in order until their turn); else the queue's head, which is i
 * (every item before i is taken, every item the thread claimed is pushed
 * in order).
 *
 * Released items go back to the thread through a list under a mutex, up
 * to the queue's bound in items (the caller never waits for the thread
 * there: past the bound, when the thread is behind, it releases them
 * itself).  The thread frees them before it makes each item, and after
 * its last one waits for the rest until ahead_finish.
 */
#include "analyzer/ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "analyzer/core/err.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/core/xthread.h"
#include "analyzer/workq.h"

#define STASH 16

struct ahead {
	size_t n;
	ahead_make_fn make;
	ahead_release_fn release;
	void *user;
	bool help;
	size_t next;		/* the caller's next item */
	atomic_size_t claim;	/* the first item nobody has begun */
	/* the caller's items made early, in order: a ring of nstash */
	void *stash[STASH];
	size_t stash_i[STASH];
	size_t stash0, nstash;
	struct workq *q;	/* NULL: no thread */
	pthread_t tid;
	atomic_bool stop;	/* the caller is finishing: make no more */
	/* released items, for the thread (under mu) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void **back;
	size_t nback, backcap, backmax;
	bool waiting;		/* the thread waits on cv */
	bool finishing;		/* no more will come back */
};

/* On the thread: release what came back (waiting for more, until the
 * caller finishes, when wait); the list is swapped with the thread's own
 * (*mine) so that the items are released outside the lock. */
static void
release_back(struct ahead *a, void ***mine, size_t *minecap, bool wait)
{
	for (;;) {
		void **v;
		size_t n, cap, i;
		bool done;

		xmutex_lock(&a->mu);
		while (wait && a->nback == 0 && !a->finishing) {
			a->waiting = true;
			pthread_cond_wait(&a->cv, &a->mu);
			a->waiting = false;
		}
		v = a->back;
		n = a->nback;
		cap = a->backcap;
		a->back = *mine;
		a->backcap = *minecap;
		a->nback = 0;
		done = a->finishing;
		xmutex_unlock(&a->mu);
		*mine = v;
		*minecap = cap;
		for (i = 0; i < n; i++)
			a->release(a->user, v[i]);
		if (!wait || (done && n == 0))
			return;
	}
}

static void *
thread_main(void *arg)
{
	struct ahead *a = arg;
	void **mine = NULL;
	size_t minecap = 0, i, bytes;

	for (;;) {
		void *item;

		if (atomic_load_explicit(&a->stop, memory_order_relaxed))
			break;
		release_back(a, &mine, &minecap, false);
		i = atomic_fetch_add(&a->claim, 1);
		if (i >= a->n)
			break;
		bytes = 0;
		item = a->make(a->user, i, &bytes);
		if (item == NULL)
			BUG("ahead: make returned NULL");
		workq_push(a->q, item, bytes);
	}
	workq_close(a->q);
	release_back(a, &mine, &minecap, true);
	free(mine);
	return NULL;
}

struct ahead *
ahead_start(size_t n, ahead_make_fn make, ahead_release_fn release, void *user,
	    unsigned threads, bool help, size_t max_items, size_t max_bytes)
{
	struct ahead *a = xcalloc(1, sizeof(*a));

	a->n = n;
	a->make = make;
	a->release = release;
	a->user = user;
	a->help = help;
	atomic_init(&a->stop, false);
	atomic_init(&a->claim, 0);
	if (threads < 2 || n == 0)
		return a;
	if (pthread_mutex_init(&a->mu, NULL) != 0 ||
	    pthread_cond_init(&a->cv, NULL) != 0)
		imcq_die("cannot initialise a thread queue");
	a->q = workq_new(max_items, max_bytes);
	a->backmax = max_items;
	if (pthread_create(&a->tid, NULL, thread_main, a) != 0) {
		workq_free(a->q);
		a->q = NULL;	/* no thread to be had: make them here */
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
	}
	return a;
}

static void *
make_here(struct ahead *a, size_t i)
{
	size_t bytes = 0;
	void *item = a->make(a->user, i, &bytes);

	if (item == NULL)
		BUG("ahead: make returned NULL");
	return item;
}

void *
ahead_next(struct ahead *a)
{
	size_t i = a->next, c, k;
	void *item;

	if (i >= a->n)
		return NULL;
	a->next++;
	if (a->q == NULL)
		return make_here(a, i);
	if (a->nstash > 0 && a->stash_i[a->stash0] == i) {
		item = a->stash[a->stash0];
		a->stash0 = (a->stash0 + 1) % STASH;
		a->nstash--;
		return item;
	}
	if (a->help) {
		c = i;
		if (atomic_compare_exchange_strong(&a->claim, &c, i + 1))
			return make_here(a, i);		/* nobody had begun it */
		/* the thread is making i: make further ones meanwhile */
		while (a->nstash < STASH && workq_backlog(a->q) == 0) {
			c = atomic_fetch_add(&a->claim, 1);
			if (c >= a->n)
				break;
			k = (a->stash0 + a->nstash) % STASH;
			a->stash[k] = make_here(a, c);
			a->stash_i[k] = c;
			a->nstash++;
		}
	}
	if ((item = workq_pop(a->q, NULL)) == NULL)
		BUG("ahead: the thread's queue ended early");
	return item;
}

void
ahead_release(struct ahead *a, void *item)
{
	bool here;

	if (a->q == NULL) {
		a->release(a->user, item);
		return;
	}
	xmutex_lock(&a->mu);
	here = a->nback >= a->backmax;
	if (!here)
		VEC_PUSH(a->back, a->nback, a->backcap, item);
	if (a->waiting)
		pthread_cond_signal(&a->cv);
	xmutex_unlock(&a->mu);
	if (here)
		a->release(a->user, item);	/* the thread is behind */
}

bool
ahead_threaded(const struct ahead *a)
{
	return a->q != NULL;
}

void
ahead_finish(struct ahead *a)
{
	void *item;

	if (a == NULL)
		return;
	if (a->q != NULL) {
		atomic_store_explicit(&a->stop, true, memory_order_relaxed);
		/* what the thread made and nobody took (it may be waiting
		 * for room: popping lets it see the stop and close) */
		while ((item = workq_pop(a->q, NULL)) != NULL)
			ahead_release(a, item);
		for (; a->nstash > 0; a->nstash--) {
			ahead_release(a, a->stash[a->stash0]);
			a->stash0 = (a->stash0 + 1) % STASH;
		}
		xmutex_lock(&a->mu);
		a->finishing = true;
		pthread_cond_signal(&a->cv);
		xmutex_unlock(&a->mu);
		if (pthread_join(a->tid, NULL) != 0)
			BUG("pthread_join");
		workq_free(a->q);
		free(a->back);
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
	}
	free(a);
}
