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

/*
 * The walk by the index (issue #9, round 12).  libarchive's seekable zip
 * reader keeps a record of ~150 bytes for every member from its first
 * header to its end (~150 MiB at a million members).  When every record
 * of the index is one whose entry imcq can give exactly as that reader
 * gives it -- an ASCII name, stored or deflated, no encryption, no data
 * descriptor, extra fields libarchive reads without a change to the
 * entry but its time, a file or a folder, the local headers in the
 * index's order -- ingest walks the index with
 * zipfast_next instead, and libarchive reads only the members zipfast
 * does not inflate (a streaming reader on that member's bytes alone).
 * The first local header that does not agree with its record ends the
 * walk: libarchive's own reader then takes over from that member
 * (analyzer/README.md).
 */
struct zipfast_entry {
	const char *name;	/* as libarchive gives it; until the next call */
	int64_t mtime;		/* the local header's DOS time, by mktime() */
	uint64_t size;
	bool dir;
};

enum zipfast_next { ZIPFAST_ENTRY, ZIPFAST_END, ZIPFAST_DOUBT };

/* Read the whole index once: whether every record is one the walk gives
 * exactly as libarchive would.  The cursor is back at the first record
 * either way (zipfast_step may still follow libarchive). */
bool zipfast_walkable(struct zipfast *z);
/* Whether name (libarchive's first entry) is the index's first record. */
bool zipfast_first_is(struct zipfast *z, const char *name);
/* The next member, its local header read and checked against its record;
 * m says whether zipfast_read may inflate it.  ZIPFAST_DOUBT: the local
 * header says something else (libarchive would warn, or read other
 * fields): the walk must end here and libarchive read on from this
 * member, which it gives as the index's next. */
enum zipfast_next zipfast_next(struct zipfast *z, struct zipfast_entry *e,
			       struct zipfast_member *m);
/* The walk ends before the member zipfast_next gave last (libarchive's
 * streaming reader did not give it as the walk did): for
 * IMCQ_ZIPFAST=verbose. */
void zipfast_doubt(struct zipfast *z);
/* The archive's read-only descriptor and size (a streaming read of one
 * member's bytes from m->local). */
int zipfast_fd(const struct zipfast *z);
uint64_t zipfast_size(const struct zipfast *z);
/* IMCQ_ZIPFAST=step: never walk by the index (tests compare). */
bool zipfast_walk_allowed(void);

#endif
