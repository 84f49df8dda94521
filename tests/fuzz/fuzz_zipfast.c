/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zipfast.c - zipfast (analyzer/zipfast.c) against libarchive, on
 * the same bytes.  The input is written to an unlinked temporary file and
 * walked as ingest walks a zip INPUT: libarchive's reader gives the
 * entries, zipfast follows the archive's index beside it.  Whenever
 * zipfast inflates a member, libarchive must read exactly the same bytes
 * for it, without an error or a warning: the fast path may decline any
 * member, but never give other bytes than libarchive would.  Seeds: the
 * samples' zips (seeds.cmake).
 *
 * One difference is known and allowed (analyzer/README.md): libdeflate
 * decodes a few DEFLATE codes that RFC 1951 reserves and zlib rejects
 * (length codes 286-287, distance codes 30-31, more codes than the format
 * has); a member whose stream uses them and whose CRC-32 matches
 * libdeflate's reading is read by zipfast where libarchive (zlib) says it
 * is damaged.  The harness then checks that zlib itself rejects the
 * stream; any other difference is a failure.
 *
 * Then the walk by the index (round 12): when zipfast_walkable says the
 * index is plain and libarchive's first entry (read as ingest reads an
 * INPUT, every format and filter on) is the index's first record, every
 * entry zipfast_next gives must be libarchive's next one -- read without a
 * warning, with the same name, time, size and type -- up to the member
 * where the walk has a doubt, and the walk may end only where libarchive's
 * does.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "analyzer/zipfast.h"
#include "tests/fuzz/fuzz.h"

/* Whether zlib rejects m's deflate stream, as it lies in the input. */
static int
zlib_rejects(const uint8_t *data, size_t size, const struct zipfast_member *m)
{
	unsigned char out[65536];
	z_stream s;
	uint64_t off;
	int rc;

	if (m->method != 8 || m->local > size || size - m->local < 30)
		return 0;
	off = m->local + 30 + (uint64_t)(data[m->local + 26] | data[m->local + 27] << 8) +
	      (uint64_t)(data[m->local + 28] | data[m->local + 29] << 8);
	if (off > size || m->csize > size - off)
		return 0;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -15) != Z_OK)
		fuzz_fail("inflateInit2");
	s.next_in = (unsigned char *)(data + off);
	s.avail_in = (uInt)m->csize;
	do {
		s.next_out = out;
		s.avail_out = sizeof(out);
		rc = inflate(&s, Z_NO_FLUSH);
	} while (rc == Z_OK);
	inflateEnd(&s);
	return rc == Z_DATA_ERROR;
}

/* libarchive's bytes of the current member, up to cap + 1 of them;
 * *clean false when it reported an error or a warning. */
static unsigned char *
libarchive_bytes(struct archive *a, size_t cap, size_t *len, int *clean)
{
	unsigned char *b = malloc(cap + 1);
	char chunk[65536];

	if (b == NULL)
		fuzz_fail("out of memory");
	*len = 0;
	*clean = 1;
	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));

		if (n == 0)
			break;
		if (n < 0) {
			*clean = 0;
			if (n == ARCHIVE_WARN)
				continue;
			break;
		}
		if ((size_t)n > cap + 1 - *len) {
			*clean = 0;	/* more than the index said */
			break;
		}
		memcpy(b + *len, chunk, (size_t)n);
		*len += (size_t)n;
	}
	return b;
}

/* The walk by the index against libarchive's seekable reader. */
static void
check_walk(const uint8_t *data, size_t size, const char *path)
{
	struct zipfast *z = zipfast_open(path, size);
	struct archive *a;
	struct archive_entry *ent;
	unsigned guard = 0;
	int r;

	if (!zipfast_walkable(z)) {
		zipfast_close(z);
		return;
	}
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK ||
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_ZIP ||
	    archive_filter_count(a) != 1 || archive_entry_pathname(ent) == NULL ||
	    !zipfast_first_is(z, archive_entry_pathname(ent)))
		goto out;
	r = ARCHIVE_OK;
	for (;;) {
		struct zipfast_entry e;
		struct zipfast_member m;
		enum zipfast_next rc = zipfast_next(z, &e, &m);
		unsigned char *fast, *slow;
		size_t len;
		int clean;

		if (rc == ZIPFAST_DOUBT)
			break;
		if (rc == ZIPFAST_END) {
			if (archive_read_next_header(a, &ent) != ARCHIVE_EOF)
				fuzz_fail("the walk by the index ended before libarchive's");
			break;
		}
		if (guard > 4096)
			break;
		if (guard++ > 0)
			r = archive_read_next_header(a, &ent);
		if (r != ARCHIVE_OK)
			fuzz_fail("the walk gave an entry libarchive does not give cleanly");
		if (archive_entry_pathname(ent) == NULL || strcmp(archive_entry_pathname(ent), e.name) != 0)
			fuzz_fail("the walk gave another name than libarchive");
		if (!archive_entry_mtime_is_set(ent) || (int64_t)archive_entry_mtime(ent) != e.mtime)
			fuzz_fail("the walk gave another time than libarchive");
		if (archive_entry_filetype(ent) != (e.dir ? AE_IFDIR : AE_IFREG) ||
		    archive_entry_hardlink(ent) != NULL || archive_entry_is_encrypted(ent))
			fuzz_fail("the walk gave another type than libarchive");
		if (!e.dir && (!archive_entry_size_is_set(ent) ||
			       (uint64_t)archive_entry_size(ent) != e.size))
			fuzz_fail("the walk gave another size than libarchive");
		if (!m.usable || (fast = zipfast_read(z, &m)) == NULL)
			continue;
		slow = libarchive_bytes(a, (size_t)m.size, &len, &clean);
		if ((!clean || len != m.size || memcmp(fast, slow, len) != 0) &&
		    !zlib_rejects(data, size, &m))
			fuzz_fail("the walk inflated other bytes than libarchive reads");
		free(slow);
		free(fast);
	}
out:
	archive_read_free(a);
	zipfast_close(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct archive *a;
	struct archive_entry *ent;
	struct zipfast *z;
	FILE *f;
	unsigned guard = 0;
	int fd;

	if (size > FUZZ_MAX_ARCHIVE)
		return 0;
	snprintf(path, sizeof(path), "/tmp/imcq-fuzz-zipfast-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		fuzz_fail("mkstemp");
	unlink(path);
	f = fdopen(fd, "w+b");
	if (f == NULL || fwrite(data, 1, size, f) != size || fflush(f) != 0)
		fuzz_fail("cannot write the temporary file");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	z = zipfast_open(path, size);
	a = archive_read_new();
	/* both of libarchive's zip readers, as ingest has them: the streaming
	 * one reads a zip whose end record the seekable one refuses */
	archive_read_support_format_zip(a);
	if (z != NULL && archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK) {
		int r;

		while ((r = archive_read_next_header(a, &ent)) >= ARCHIVE_WARN && ++guard < 4096) {
			struct zipfast_member m;
			unsigned char *fast = NULL, *slow;
			size_t len;
			int clean;

			zipfast_step(z, archive_entry_pathname(ent),
				     archive_entry_size_is_set(ent) ? (int64_t)archive_entry_size(ent) : -1,
				     &m);
			/* as ingest does: regular files only (it refuses
			 * folders, links and special files before any data) */
			if (m.usable && r == ARCHIVE_OK && archive_entry_hardlink(ent) == NULL &&
			    (archive_entry_filetype(ent) == AE_IFREG || archive_entry_filetype(ent) == 0) &&
			    !archive_entry_is_encrypted(ent))
				fast = zipfast_read(z, &m);
			if (fast == NULL)
				continue;	/* libarchive skips the data itself */
			slow = libarchive_bytes(a, (size_t)m.size, &len, &clean);
			if ((!clean || len != m.size || memcmp(fast, slow, len) != 0) &&
			    !zlib_rejects(data, size, &m))
				fuzz_fail("zipfast inflated other bytes than libarchive reads");
			if (fast[m.size] != '\0')
				fuzz_fail("zipfast's buffer is not NUL-terminated");
			free(slow);
			free(fast);
		}
	}
	archive_read_free(a);
	zipfast_close(z);
	check_walk(data, size, path);
	fclose(f);
	return 0;
}
