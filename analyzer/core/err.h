/* SPDX-License-Identifier: MIT */
/*
 * err.h - status codes and the error out-parameter.
 *
 * Four classes of failure (STYLE.md 5.6): a bug aborts (BUG); the
 * environment failing (no memory, cannot write) is IMCQ_FATAL and the CLI
 * dies with exit 3; an input that cannot be used is IMCQ_SKIP with a
 * message in struct imcq_err; damaged input is an anomaly in the report and
 * never a process error.  struct imcq_err is untouched on success and set
 * once, at the failure point; filling it never allocates.
 */
#ifndef IMCQ_ERR_H
#define IMCQ_ERR_H

#include <stdarg.h>

enum imcq_status {
	IMCQ_OK = 0,
	IMCQ_EOF = 1,
	IMCQ_WARN = -1,
	IMCQ_SKIP = -2,
	IMCQ_FATAL = -3,
};

#define IMCQ_WUR __attribute__((warn_unused_result))
#define IMCQ_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct imcq_err {
	int code;		/* enum imcq_status, or 0 */
	char msg[512];
};

/* Set err (if not NULL) and return code, for `return imcq_err_set(...)`. */
int imcq_err_set(struct imcq_err *err, int code, const char *fmt, ...)
	IMCQ_PRINTF(3, 4);

_Noreturn void imcq_die(const char *fmt, ...) IMCQ_PRINTF(1, 2);
_Noreturn void imcq_bug(const char *file, int line, const char *msg);
#define BUG(msg) imcq_bug(__FILE__, __LINE__, (msg))

/* Diagnostics to stderr, prefixed "imcq: ". */
void imcq_warn(const char *fmt, ...) IMCQ_PRINTF(1, 2);

#endif
