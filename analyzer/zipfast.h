/* SPDX-License-Identifier: MIT */
/*
 * zipfast.h - a zip INPUT's small deflated members inflated with
 * libdeflate beside libarchive's reader (issue #9).  The one module that
 * uses libdeflate.
 *
 * libarchive stays the reader of every archive: it walks the members, and
 * its entries give every name, time, type and anomaly.  For a zip file
 * (never a nested one), imcq also follows the archive's own index, the
 * central directory, one record a member in step with libarchive, and
 * when a member is plainly readable -- stored or deflated, not encrypted,
 * its name the same in the index, in libarchive's entry and in its local
 * header, no larger than ZIPFAST_MAX -- inflates it in one call with
 * libdeflate (about twice as fast as zlib's inflate, which libarchive
 * uses, on spool-file-sized members) and checks its CRC-32.  Anything
 * else, and any doubt at all (a size, a CRC or a stream that does not
 * agree, the index out of step), leaves the member to libarchive, which
 * then reads and reports it exactly as before: the bytes of every output
 * are the same either way, but for streams made to use DEFLATE codes that
 * zlib rejects and libdeflate decodes (analyzer/README.md).  The archive is opened read-only again and
 * read with pread(); at most one member's compressed bytes and one
 * cursor window of the index are held.
 */
#ifndef IMCQ_ZIPFAST_H
#define IMCQ_ZIPFAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Members larger than this (inflated) stay with libarchive, which streams
 * them: the fast path holds a member whole. */
#define ZIPFAST_MAX ((uint64_t)8 << 20)

struct zipfast;

/* The member the index's cursor stands on, once zipfast_step matched it. */
struct zipfast_member {
	uint64_t size;		/* inflated size, as the index gives it */
	uint64_t csize;		/* compressed size */
	uint64_t local;		/* offset of the local header */
	uint32_t crc;
	uint16_t method;	/* 0 stored, 8 deflated */
	bool usable;		/* the fast path may read it */
};

/* Follow the zip file at path (file_size bytes): NULL when it is not a zip
 * whose index imcq can follow, or when IMCQ_ZIPFAST=off (the fast path is
 * then simply not taken). */
struct zipfast *zipfast_open(const char *path, uint64_t file_size);
/* libarchive's next entry (name as libarchive gives it, size or -1):
 * advance the cursor one record and say whether the member can be read
 * here (m->usable).  Once a record does not match its entry, the cursor
 * is dropped for the rest of the archive. */
void zipfast_step(struct zipfast *z, const char *name, int64_t size,
		  struct zipfast_member *m);
/* Inflate m into a new buffer of m->size + 1 bytes (NUL-terminated;
 * free() it); NULL when anything does not agree (the caller leaves the
 * member to libarchive). */
unsigned char *zipfast_read(struct zipfast *z, const struct zipfast_member *m);
void zipfast_close(struct zipfast *z);

#endif
