/* SPDX-License-Identifier: MIT */
/* xthread.h - mutex calls that succeed or stop the program with BUG (a
 * default mutex fails only on misuse: a bug, not a condition to handle).
 * Used by ingest's queue (workq.c), the report writers' ahead.c and the
 * analysis's worker (par.c). */
#ifndef IMCQ_XTHREAD_H
#define IMCQ_XTHREAD_H

#include <pthread.h>

#include "analyzer/core/err.h"

static inline void
xmutex_lock(pthread_mutex_t *mu)
{
	if (pthread_mutex_lock(mu) != 0)
		BUG("pthread_mutex_lock");
}

static inline void
xmutex_unlock(pthread_mutex_t *mu)
{
	if (pthread_mutex_unlock(mu) != 0)
		BUG("pthread_mutex_unlock");
}

#endif
