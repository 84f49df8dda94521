/* SPDX-License-Identifier: MIT */
#include "analyzer/core/fdio.h"

#include <errno.h>
#include <unistd.h>

static bool
full(int fd, bool write, unsigned char *buf, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k = write ? pwrite(fd, buf, n, (off_t)off) : pread(fd, buf, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			errno = 0;
		if (k <= 0)
			return false;
		buf += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return true;
}

bool
pread_full(int fd, void *dst, size_t n, uint64_t off)
{
	return full(fd, false, dst, n, off);
}

bool
pwrite_full(int fd, const void *src, size_t n, uint64_t off)
{
	return full(fd, true, (unsigned char *)(uintptr_t)src, n, off);
}
