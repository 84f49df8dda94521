/* SPDX-License-Identifier: MIT */
/*
 * fdio.h - whole positioned reads and writes: pread and pwrite until n
 * bytes moved, EINTR retried (the zip reader, the spill and the stores).
 */
#ifndef IMCQ_FDIO_H
#define IMCQ_FDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read exactly n bytes at off into dst; false on an error or a short
 * read (errno set on an error, 0 at the end of the file). */
bool pread_full(int fd, void *dst, size_t n, uint64_t off);
/* Write exactly n bytes from src at off; false on an error. */
bool pwrite_full(int fd, const void *src, size_t n, uint64_t off);

#endif
