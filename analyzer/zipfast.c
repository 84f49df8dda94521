/* SPDX-License-Identifier: MIT */
/*
 * zipfast.c - small zip members inflated with libdeflate beside
 * libarchive's walk (zipfast.h; issue #9).
 *
 * The layout read here is PKWARE's APPNOTE.TXT: the end-of-central-
 * directory record (and its zip64 locator and record), the central
 * directory's file headers, the local file headers.  Every field is
 * bounds-checked against the file; any record that does not parse, or
 * does not agree with libarchive's entry, ends the fast path for its
 * member (or, when the cursor can no longer be trusted to stand on the
 * member libarchive reads, for the rest of the archive).
 */
#define _GNU_SOURCE
#include "analyzer/zipfast.h"
#include "analyzer/core/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/core/err.h"
#include "analyzer/core/xalloc.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_Z64_LOC 0x07064b50u
#define SIG_Z64_EOCD 0x06064b50u

#define EOCD_LEN 22
#define CENTRAL_LEN 46
#define LOCAL_LEN 30
/* a central record is at most 46 + 3 * 65535 bytes */
#define WINDOW ((size_t)256 << 10)

struct zipfast {
	int fd;
	uint64_t file_size;
	uint64_t pos, end;		/* the cursor in the central directory */
	uint64_t start;			/* the directory's first record */
	uint64_t endsig;		/* the end record that follows it */
	bool lost;			/* out of step: no fast path any more */
	uint64_t last_local;		/* the previous record's local header */
	bool have_last;
	unsigned char *win;		/* the index bytes [wpos, wpos + wlen) */
	uint64_t wpos;
	size_t wlen;
	/* the current record's name (a pointer into win until the next step) */
	const unsigned char *name;
	size_t nlen;
	unsigned char *cbuf;		/* a member's local header and data */
	size_t ccap;
	struct libdeflate_decompressor *dec;
	uint64_t nstep, nread;		/* IMCQ_ZIPFAST=verbose reports them */
	uint64_t nwalk;			/* members the walk by the index gave */
	bool walked, doubted;
	/* the walk: the member's local header and, when zipfast_read may
	 * inflate it, its data, read by zipfast_next into cbuf */
	bool pre;
	uint64_t pre_local;
	const unsigned char *pre_at;	/* its local header: in cbuf or ra */
	size_t pre_data;
	/* the walk's read-ahead: the file's bytes [rapos, rapos + ralen) */
	unsigned char *ra;
	uint64_t rapos;
	size_t ralen;
	uint64_t nra;			/* its reads (IMCQ_ZIPFAST=verbose) */
	char *ename;			/* the entry's name (zipfast_entry) */
	size_t enamecap;
};

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* libarchive's seekable reader looks for the end record in the last 16 KiB
 * only (archive_read_format_zip_seekable_bid). */
#define LA_TAIL ((size_t)16 << 10)

/*
 * Find the directory [*cd, *cd + *cdlen) exactly where libarchive's
 * seekable reader reads it, or give up.  libarchive takes the last end
 * record signature in the last 16 KiB (at 1 .. tail - 22, whatever its
 * comment length says), and the zip64 record when a locator stands just
 * before it and passes its checks; when neither passes them it reads the
 * archive with its streaming reader, which walks the local headers and
 * never the index, so the index cannot be followed in step.  Without zip64
 * it reads the directory at the end record minus its size and moves every
 * local offset by the difference to the offset the record gives (a stub
 * before the archive): followed here only when there is no difference.
 */
static bool
find_directory(int fd, uint64_t size, uint64_t *cd, uint64_t *cdlen, uint64_t *endsig)
{
	size_t tail = size < LA_TAIL ? (size_t)size : LA_TAIL;
	unsigned char *t, *e = NULL;
	uint64_t eocd, off, len;
	uint32_t coff, clen;
	bool ok = false, classic;
	size_t i;

	if (tail < EOCD_LEN + 1)
		return false;
	t = xmalloc(tail);
	if (!pread_full(fd, t, tail, size - tail))
		goto out;
	for (i = tail - EOCD_LEN; i > 0; i--) {
		if (le32(t + i) == SIG_EOCD) {
			e = t + i;
			break;
		}
	}
	if (e == NULL)
		goto out;
	eocd = size - tail + (uint64_t)(e - t);
	coff = le32(e + 16);
	clen = le32(e + 12);
	/* libarchive's read_eocd (its sum is 32-bit) */
	classic = le16(e + 4) == 0 && le16(e + 6) == 0 && le16(e + 10) == le16(e + 8) &&
		  (uint64_t)(uint32_t)(coff + clen) <= eocd;
	if (e - t >= 20 && le32(e - 20) == SIG_Z64_LOC) {
		/* zip64: used by libarchive when its checks pass, and then
		 * whatever the end record says */
		unsigned char z[56];
		uint64_t zoff = le64(e - 20 + 8);

		if (le32(e - 20 + 4) != 0 || le32(e - 20 + 16) != 1 ||
		    zoff > size || size - zoff < sizeof(z) ||
		    !pread_full(fd, z, sizeof(z), zoff) ||
		    le64(z + 4) > 16384 - 12 || le64(z + 4) + 12 < 56 ||
		    le64(z + 4) + 12 > size - zoff ||
		    le32(z + 16) != 0 || le32(z + 20) != 0 || le64(z + 24) != le64(z + 32))
			goto out;	/* libarchive's own choice is not sure: alone */
		/* and ours: the record itself, before the locator */
		if (le32(z) != SIG_Z64_EOCD || zoff > eocd - 20 || eocd - 20 - zoff < sizeof(z))
			goto out;
		len = le64(z + 40);
		off = le64(z + 48);
		/* libarchive 3.6's read_zip64_eocd then sets the directory's
		 * offset, and its "adjusted" offset, to the zip64 record's:
		 * what the classic record said (read_eocd ran first) is
		 * overwritten, and no stub correction applies */
		eocd = zoff;
	} else {
		if (!classic)
			goto out;
		off = coff;
		len = clen;
		if (off + len != eocd)
			goto out;	/* libarchive reads it elsewhere */
	}
	if (off > eocd || len > eocd - off)
		goto out;
	*cd = off;
	*cdlen = len;
	*endsig = eocd;
	ok = true;
out:
	free(t);
	return ok;
}

struct zipfast *
zipfast_open(const char *path, uint64_t file_size)
{
	struct zipfast *z;
	uint64_t cd, cdlen, endsig;
	const char *v = getenv("IMCQ_ZIPFAST");
	int fd;

	if (v != NULL && strcmp(v, "off") == 0)
		return NULL;
	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (!find_directory(fd, file_size, &cd, &cdlen, &endsig)) {
		close(fd);
		return NULL;
	}
	z = xcalloc(1, sizeof(*z));
	z->fd = fd;
	z->file_size = file_size;
	z->pos = cd;
	z->start = cd;
	z->end = cd + cdlen;
	z->endsig = endsig;
	z->win = xmalloc(WINDOW);
	z->wpos = cd;
	z->dec = libdeflate_alloc_decompressor();
	if (z->dec == NULL)
		imcq_die("out of memory (libdeflate)");
	return z;
}

/* Make [z->pos, z->pos + n) readable in the window; false past the index
 * or on a read error. */
static bool
window(struct zipfast *z, size_t n)
{
	size_t want;

	if (n > WINDOW || n > z->end - z->pos)
		return false;
	if (z->pos >= z->wpos && z->pos + n <= z->wpos + z->wlen)
		return true;
	want = z->end - z->pos < WINDOW ? (size_t)(z->end - z->pos) : WINDOW;
	if (!pread_full(z->fd, z->win, want, z->pos))
		return false;
	z->wpos = z->pos;
	z->wlen = want;
	return true;
}

/* Whether libarchive's name is the index's: the same bytes, a backslash
 * of the index read as '/'.  *unsure when either has a byte that a
 * character-set conversion may have changed. */
static bool
same_name(const unsigned char *a, size_t alen, const char *lib, bool *unsure)
{
	size_t i, llen = strlen(lib);

	*unsure = false;
	for (i = 0; i < alen; i++)
		if (a[i] >= 0x80)
			*unsure = true;
	for (i = 0; i < llen; i++)
		if ((unsigned char)lib[i] >= 0x80)
			*unsure = true;
	if (*unsure)
		return false;
	if (alen != llen)
		return false;
	for (i = 0; i < alen; i++)
		if (a[i] != (unsigned char)lib[i] && !(a[i] == '\\' && lib[i] == '/'))
			return false;
	return true;
}

/* A record of the index: its fixed fields, its name (in the window, until
 * the cursor moves on) and the lengths of what follows the name. */
struct rec {
	uint16_t flags, method, nlen, xlen, clen;
	uint8_t system;
	uint32_t attr;
	uint32_t crc;
	uint64_t csize, size, local;
	const unsigned char *name;
};

/* The record at the cursor, which moves past it; false when there is
 * none (no signature, or past the index). */
static bool
record_read(struct zipfast *z, struct rec *r)
{
	const unsigned char *p;

	if (!window(z, CENTRAL_LEN) || le32(z->win + (z->pos - z->wpos)) != SIG_CENTRAL)
		return false;
	p = z->win + (z->pos - z->wpos);
	r->nlen = le16(p + 28);
	r->xlen = le16(p + 30);
	r->clen = le16(p + 32);
	if (!window(z, (size_t)CENTRAL_LEN + r->nlen + r->xlen + r->clen))
		return false;
	p = z->win + (z->pos - z->wpos);
	r->system = p[5];
	r->flags = le16(p + 8);
	r->method = le16(p + 10);
	r->crc = le32(p + 16);
	r->csize = le32(p + 20);
	r->size = le32(p + 24);
	r->attr = le32(p + 38);
	r->local = le32(p + 42);
	r->name = p + CENTRAL_LEN;
	z->pos += (uint64_t)CENTRAL_LEN + r->nlen + r->xlen + r->clen;
	return true;
}

/* A zip64 extra block [d, de): the sizes and the offset, in this order,
 * for the fields that hold the mark.  As libarchive's process_extra: a
 * field is taken while it still holds the mark, so the first such block
 * gives it, never a later one.  False when the block is too short. */
static bool
zip64_fields(const unsigned char *d, const unsigned char *de, uint64_t *size, uint64_t *csize,
	     uint64_t *local)
{
	uint64_t *f[3] = { size, csize, local };
	int i;

	for (i = 0; i < 3; i++) {
		if (*f[i] != 0xffffffffu)
			continue;
		if (de - d < 8)
			return false;
		*f[i] = le64(d);
		d += 8;
	}
	return true;
}

void
zipfast_step(struct zipfast *z, const char *name, int64_t size, struct zipfast_member *m)
{
	const unsigned char *x, *xend;
	struct rec r;
	bool unsure;

	memset(m, 0, sizeof(*m));
	if (z == NULL || z->lost)
		return;
	z->nstep++;
	if (!record_read(z, &r))
		goto lost;
	m->method = r.method;
	m->crc = r.crc;
	m->csize = r.csize;
	m->size = r.size;
	m->local = r.local;
	/* zip64 sizes and offset, in this order, for the fields that say so
	 * (any other block, or a cut one, passed over) */
	for (x = r.name + r.nlen, xend = x + r.xlen; xend - x >= 4;) {
		uint16_t id = le16(x), dlen = le16(x + 2);
		const unsigned char *d = x + 4, *de;

		if (dlen > xend - d)
			break;
		de = d + dlen;
		if (id == 0x0001 && !zip64_fields(d, de, &m->size, &m->csize, &m->local))
			goto lost;
		x = de;
	}
	/* libarchive reads the members in the order of their local headers;
	 * an index in another order cannot be followed in step */
	if (z->have_last && m->local <= z->last_local)
		goto lost;
	z->last_local = m->local;
	z->have_last = true;
	if (name == NULL)
		return;
	if (!same_name(r.name, r.nlen, name, &unsure)) {
		if (!unsure)
			goto lost;
		return;		/* a converted name: leave it to libarchive */
	}
	z->name = r.name;
	z->nlen = r.nlen;
	m->usable = (r.flags & 1) == 0 && (m->method == 0 || m->method == 8) &&
		    size >= 0 && (uint64_t)size == m->size && m->size <= ZIPFAST_MAX &&
		    m->csize <= ZIPFAST_MAX + ((uint64_t)1 << 20) &&
		    (m->method != 0 || m->csize == m->size) &&
		    m->local < z->file_size;
	return;
lost:
	memset(m, 0, sizeof(*m));
	z->lost = true;
}

/* The walk reads the members in the index's order, which is nearly
 * always the order they lie in: the local headers and data of the members
 * that follow come in reads of RA_LEN, one for ~170 members of 6 KiB
 * (issue #9: a read a member was 100,000 system calls at 100k, dear on a
 * paravirtualised host).  A member out of that order, or bigger than
 * RA_BIG, is read alone, as before. */
#define RA_LEN ((size_t)1 << 20)
#define RA_BIG ((uint64_t)256 << 10)

/* Room for n bytes in z->cbuf (its old bytes are not kept). */
static void
cbuf_room(struct zipfast *z, uint64_t n)
{
	if (n <= z->ccap)
		return;
	free(z->cbuf);
	z->ccap = (size_t)n;
	z->cbuf = xmalloc(z->ccap);
}

/* The file's bytes [off, off + n) for the walk: in the read-ahead when it
 * holds them or they follow on from it, else read into cbuf; NULL on a
 * read error. */
static const unsigned char *
walk_bytes(struct zipfast *z, uint64_t off, uint64_t n)
{
	uint64_t len;

	if (z->ra != NULL && off >= z->rapos && off - z->rapos <= z->ralen &&
	    n <= z->ralen - (off - z->rapos))
		return z->ra + (off - z->rapos);
	if (n <= RA_BIG && off <= z->file_size &&
	    (z->ra == NULL || (off >= z->rapos && off - z->rapos <= z->ralen + RA_BIG))) {
		if (z->ra == NULL)
			z->ra = xmalloc(RA_LEN);
		len = z->file_size - off < RA_LEN ? z->file_size - off : RA_LEN;
		z->ralen = 0;
		if (len < n || !pread_full(z->fd, z->ra, (size_t)len, off))
			return NULL;
		z->rapos = off;
		z->ralen = (size_t)len;
		z->nra++;
		return z->ra;
	}
	cbuf_room(z, n);
	return pread_full(z->fd, z->cbuf, (size_t)n, off) ? z->cbuf : NULL;
}

unsigned char *
zipfast_read(struct zipfast *z, const struct zipfast_member *m)
{
	const unsigned char *src;
	uint64_t want, data;
	uint16_t nlen, xlen;
	unsigned char *out;
	size_t got_in = 0, got_out = 0;
	enum libdeflate_result rc;

	if (z == NULL || !m->usable)
		return NULL;
	if (z->pre && z->pre_local == m->local) {
		/* the walk read and checked the local header, and the data */
		src = z->pre_at + z->pre_data;
		z->pre = false;
		goto inflate;
	}
	if (z->lost)
		return NULL;
	/* the local header, its name, and (usually) the data in one read:
	 * 64 bytes allowed for the header's extra field, read again if more */
	want = (uint64_t)LOCAL_LEN + z->nlen + 64 + m->csize;
	if (m->local > z->file_size)
		return NULL;
	if (want > z->file_size - m->local)
		want = z->file_size - m->local;
	if (want < LOCAL_LEN + z->nlen)
		return NULL;
	cbuf_room(z, want);
	if (!pread_full(z->fd, z->cbuf, (size_t)want, m->local))
		return NULL;
	if (le32(z->cbuf) != SIG_LOCAL || (le16(z->cbuf + 6) & 1) != 0 ||
	    le16(z->cbuf + 8) != m->method)
		return NULL;
	if ((le16(z->cbuf + 6) & 8) == 0) {
		/* no data descriptor: the local header's CRC and sizes must
		 * be the index's (or the zip64 mark), or libarchive would
		 * warn about this member */
		uint32_t lc = le32(z->cbuf + 18), lu = le32(z->cbuf + 22);

		if (le32(z->cbuf + 14) != m->crc ||
		    (lc != 0xffffffffu && lc != m->csize) ||
		    (lu != 0xffffffffu && lu != m->size))
			return NULL;
	}
	nlen = le16(z->cbuf + 26);
	xlen = le16(z->cbuf + 28);
	if (nlen != z->nlen || memcmp(z->cbuf + LOCAL_LEN, z->name, nlen) != 0)
		return NULL;
	data = (uint64_t)LOCAL_LEN + nlen + xlen;
	if (data + m->csize > z->file_size - m->local)
		return NULL;
	if (data + m->csize > want) {
		/* a long extra field: read the data alone */
		cbuf_room(z, m->csize);
		if (!pread_full(z->fd, z->cbuf, (size_t)m->csize, m->local + data))
			return NULL;
		data = 0;
	}
	src = z->cbuf + data;
inflate:
	out = xmalloc((size_t)m->size + 1);
	if (m->method == 0) {
		memcpy(out, src, (size_t)m->size);
	} else {
		rc = libdeflate_deflate_decompress_ex(z->dec, src, (size_t)m->csize,
						      out, (size_t)m->size, &got_in, &got_out);
		if (rc != LIBDEFLATE_SUCCESS || got_in != m->csize || got_out != m->size) {
			free(out);
			return NULL;
		}
	}
	if (libdeflate_crc32(0, out, (size_t)m->size) != m->crc) {
		free(out);
		return NULL;
	}
	out[m->size] = '\0';
	z->nread++;
	return out;
}

void
zipfast_close(struct zipfast *z)
{
	const char *v = getenv("IMCQ_ZIPFAST");

	if (z == NULL)
		return;
	if (v != NULL && strcmp(v, "verbose") == 0) {
		if (z->walked)
			fprintf(stderr, "imcq-zipfast: %llu members walked by the index%s\n",
				(unsigned long long)z->nwalk,
				z->doubted ? "; libarchive read on from a local header that disagreed" : "");
		if (z->walked)
			fprintf(stderr, "imcq-zipfast: %llu reads of up to %zu KiB ahead of the walk\n",
				(unsigned long long)z->nra, RA_LEN >> 10);
		fprintf(stderr, "imcq-zipfast: %llu of %llu members inflated here%s\n",
			(unsigned long long)z->nread, (unsigned long long)(z->nstep + z->nwalk),
			z->lost && !z->walked ? "; the index fell out of step" : "");
	}
	if (z->dec)
		libdeflate_free_decompressor(z->dec);
	free(z->cbuf);
	free(z->ra);
	free(z->win);
	free(z->ename);
	close(z->fd);
	free(z);
}

/* ---- the walk by the index (zipfast.h) ---- */

bool
zipfast_walk_allowed(void)
{
	const char *v = getenv("IMCQ_ZIPFAST");

	return v == NULL || strcmp(v, "step") != 0;
}

void
zipfast_doubt(struct zipfast *z)
{
	z->lost = true;
	z->doubted = true;
	if (z->nwalk > 0)
		z->nwalk--;
}

int
zipfast_fd(const struct zipfast *z)
{
	return z->fd;
}

uint64_t
zipfast_size(const struct zipfast *z)
{
	return z->file_size;
}

/*
 * An extra field [x, x + len) as libarchive 3.6's process_extra reads it:
 * false where libarchive fails on it, or where a block would change what
 * the walk gives (a name: 0x7075; a mode: 0x6c78; encryption: 0x0017,
 * 0x9901).  r: a record's field, whose zip64 block gives the sizes and
 * offset; NULL: a local header's, where a zip64 block is refused and the
 * time blocks (UT 0x5455, UX 0x5855) set *mtime, the last one winning.
 * Every other block (uid and gid, NTFS times, ...) libarchive passes over,
 * and so does the walk.
 */
static bool
extra_walk(const unsigned char *x, size_t len, struct rec *r, int64_t *mtime)
{
	size_t off = 0, i;

	if (len > 0 && len < 4) {
		for (i = 0; i < len; i++)
			if (x[i] != 0)
				return false;	/* "Too-small extra data" */
		return true;
	}
	while (len >= 4 && off <= len - 4) {
		uint16_t id = le16(x + off), ds = le16(x + off + 2);
		const unsigned char *d = x + off + 4;

		off += 4;
		if (ds > len - off)
			return false;		/* "Extra data overflow" */
		switch (id) {
		case 0x0001:
			if (r == NULL || !zip64_fields(d, d + ds, &r->size, &r->csize, &r->local) ||
			    r->size > INT64_MAX || r->csize > INT64_MAX || r->local > INT64_MAX)
				return false;
			break;
		case 0x0017:
		case 0x6c78:
		case 0x7075:
		case 0x9901:
			return false;
		case 0x5455:
			if (ds == 0)
				return false;	/* "Incomplete extended time field" */
			if (mtime != NULL && (d[0] & 1) && ds >= 5)
				*mtime = (int64_t)le32(d + 1);
			break;
		case 0x5855:
			if (mtime != NULL && ds >= 8)
				*mtime = (int64_t)le32(d + 4);
			break;
		default:
			break;
		}
		off += ds;
	}
	return true;
}

/* The record at the cursor (record_read) with its extra field read as
 * libarchive reads it (extra_walk): false when either fails. */
static bool
record_at(struct zipfast *z, struct rec *r)
{
	return record_read(z, r) && extra_walk(r->name + r->nlen, r->xlen, r, NULL);
}

/* Whether libarchive's seekable reader gives the record's entry as the
 * walk gives it (see zipfast_next for the local header's part). */
static bool
record_plain(const struct rec *r)
{
	unsigned mode = 0;
	bool dir_attr, dir_name;
	uint16_t i;

	if ((r->flags & (0x0001 | 0x0008 | 0x0040 | 0x2000)) != 0)
		return false;	/* encrypted, a data descriptor */
	if (r->method != 0 && r->method != 8)
		return false;
	if (r->nlen == 0 || r->name[r->nlen - 1] == '\\')
		return false;
	for (i = 0; i < r->nlen; i++)
		if (r->name[i] == 0 || r->name[i] >= 0x80)
			return false;	/* converted, or cut, by libarchive */
	/* the type libarchive takes from the record (slurp_central_directory):
	 * a file or a folder only, and a folder's name ends in '/' (else
	 * libarchive adds one) */
	if (r->system == 3)
		mode = r->attr >> 16;
	else if (r->system == 0)
		mode = (r->attr & 0x10) ? S_IFDIR : S_IFREG;
	if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != S_IFREG && (mode & S_IFMT) != S_IFDIR)
		return false;
	dir_attr = (mode & S_IFMT) == S_IFDIR;
	dir_name = r->name[r->nlen - 1] == '/';
	if (dir_attr && !dir_name)
		return false;
	return r->csize < 0xffffffffu && r->size < 0xffffffffu;
}

bool
zipfast_walkable(struct zipfast *z)
{
	struct rec r;
	uint64_t last = 0;
	bool have = false, ok = true;

	if (z == NULL || z->lost || !zipfast_walk_allowed())
		return false;
	/* libarchive's directory ends at the first end record after it */
	if (z->end != z->endsig || z->start == z->end)
		return false;
	z->pos = z->start;
	while (z->pos < z->end) {
		if (!record_at(z, &r) || !record_plain(&r) || r.local >= z->start ||
		    (have && r.local <= last)) {
			ok = false;
			break;
		}
		last = r.local;
		have = true;
	}
	z->pos = z->start;
	z->have_last = false;
	return ok;
}

bool
zipfast_first_is(struct zipfast *z, const char *name)
{
	struct rec r;
	bool unsure, same;

	z->pos = z->start;
	same = record_at(z, &r) && same_name(r.name, r.nlen, name, &unsure);
	z->pos = z->start;
	return same;
}

/* libarchive's zip_time(): a DOS date and time, local time, by mktime(). */
static int64_t
dos_time(const unsigned char *p)
{
	unsigned t = le16(p), d = le16(p + 2);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)((d >> 9) & 0x7f) + 80;
	tm.tm_mon = (int)((d >> 5) & 0x0f) - 1;
	tm.tm_mday = (int)(d & 0x1f);
	tm.tm_hour = (int)((t >> 11) & 0x1f);
	tm.tm_min = (int)((t >> 5) & 0x3f);
	tm.tm_sec = (int)((t << 1) & 0x3e);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

enum zipfast_next
zipfast_next(struct zipfast *z, struct zipfast_entry *e, struct zipfast_member *m)
{
	struct rec r;
	const unsigned char *l;
	uint64_t want, need, left;
	uint16_t lx;
	bool small;
	size_t i;

	memset(e, 0, sizeof(*e));
	memset(m, 0, sizeof(*m));
	z->pre = false;
	z->walked = true;
	if (z->lost)
		return ZIPFAST_DOUBT;
	if (z->pos >= z->end)
		return ZIPFAST_END;
	if (!record_at(z, &r) || !record_plain(&r))
		goto doubt;	/* zipfast_walkable said otherwise: cannot be */
	/* the local header, its name, its extra field (64 bytes allowed for
	 * it, read again if more) and, for a member zipfast_read may
	 * inflate, its data: one read */
	small = r.size <= ZIPFAST_MAX && r.csize <= ZIPFAST_MAX + ((uint64_t)1 << 20);
	if (r.local >= z->file_size)
		goto doubt;
	left = z->file_size - r.local;
	want = (uint64_t)LOCAL_LEN + r.nlen + 64 + (small ? r.csize : 0);
	if (want > left)
		want = left;
	if (want < (uint64_t)LOCAL_LEN + r.nlen)
		goto doubt;
	l = walk_bytes(z, r.local, want);
	if (l == NULL)
		goto doubt;
	/* libarchive reads the entry from the local header
	 * (zip_read_local_file_header): it must say what the record says,
	 * or libarchive would warn or read other fields */
	if (le32(l) != SIG_LOCAL || le16(l + 6) != r.flags || le16(l + 8) != r.method ||
	    le32(l + 14) != r.crc || le32(l + 18) != r.csize || le32(l + 22) != r.size ||
	    le16(l + 26) != r.nlen || memcmp(l + LOCAL_LEN, r.name, r.nlen) != 0)
		goto doubt;
	lx = le16(l + 28);
	if ((uint64_t)LOCAL_LEN + r.nlen + lx > left)
		goto doubt;
	need = (uint64_t)LOCAL_LEN + r.nlen + lx + (small ? r.csize : 0);
	if (need > left)
		small = false;	/* cut short: libarchive reads it, and says so */
	else if (need > want) {
		l = walk_bytes(z, r.local, need);
		if (l == NULL)
			goto doubt;
	}
	/* the time: the DOS time, then the extra field's (libarchive's
	 * order) */
	e->mtime = dos_time(l + 10);
	if (!extra_walk(l + LOCAL_LEN + r.nlen, lx, NULL, &e->mtime))
		goto doubt;
	if (z->enamecap < (size_t)r.nlen + 1) {
		free(z->ename);
		z->enamecap = (size_t)r.nlen + 1;
		z->ename = xmalloc(z->enamecap);
	}
	memcpy(z->ename, r.name, r.nlen);
	z->ename[r.nlen] = '\0';
	/* "Windows archivers sometimes use backslash": libarchive turns
	 * every '\' into '/' when the local header's system is MS-DOS and
	 * the name has no '/' */
	if (l[5] == 0 && memchr(z->ename, '/', r.nlen) == NULL)
		for (i = 0; i < r.nlen; i++)
			if (z->ename[i] == '\\')
				z->ename[i] = '/';
	e->name = z->ename;
	e->size = r.size;
	e->dir = z->ename[r.nlen - 1] == '/';
	m->size = r.size;
	m->csize = r.csize;
	m->local = r.local;
	m->crc = r.crc;
	m->method = r.method;
	m->usable = !e->dir && small && (r.method != 0 || r.csize == r.size);
	if (m->usable) {
		z->pre = true;
		z->pre_local = r.local;
		z->pre_at = l;
		z->pre_data = (size_t)LOCAL_LEN + r.nlen + lx;
		z->name = (const unsigned char *)z->ename;
		z->nlen = r.nlen;
	}
	z->nwalk++;
	return ZIPFAST_ENTRY;
doubt:
	z->lost = true;
	z->doubted = true;
	return ZIPFAST_DOUBT;
}
