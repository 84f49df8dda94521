/* SPDX-License-Identifier: MIT */
/*
 * bench/floor.c - the work-floor of issue #9: the least any tool bound to
 * imcq's contract must do to an archive, and nothing else (not a test;
 * bench/run.sh builds and runs it).
 *
 *   floor [--streaming | --zipfast | --walk] ARCHIVE
 *
 * --streaming reads a zip with libarchive's streaming reader instead (no
 * central directory kept: the local headers alone), for comparison; imcq
 * keeps the seekable one, the archive's own index, for evidence.
 * --zipfast inflates a zip's members as imcq does since round 10: with
 * analyzer/zipfast.c (libdeflate) beside libarchive's walk, where the
 * zip's index and libarchive's entry agree.
 * --walk reads a plain zip as imcq does since round 12 (bench/run.sh uses
 * it): by its index (zipfast_next), libarchive's seekable reader freed
 * after its first header, the members zipfast does not inflate read by
 * libarchive's streaming reader on their own bytes; a zip whose index is
 * not plain is refused (exit 1).
 *
 * imcq must read every member through libarchive (the seekable zip reader,
 * which keeps the central directory), hash every member with SHA-256 (the
 * inventory's provenance), hash every message's RFC 822 part (duplicate
 * detection) and parse it with GMime 3 (the brief forbids a hand-written
 * MIME parser).  This program does exactly that, on two threads as imcq
 * does: the reading thread decompresses and hashes each member and queues
 * its bytes (at most 64 MiB waiting, as in imcq; FLOOR_QUEUE_MIB=N in the
 * environment for N); the parsing thread finds the RFC 822
 * part (the first line that is a common header field, as bench/baseline.py
 * does), hashes it, parses it with GMime as imcq does (a MIME part, not a
 * message), walks the MIME tree and counts the header fields.  It keeps one
 * 64-byte row a member: the least the cross-checks need (an id, the two
 * digests' first bytes, sizes, counts), so its peak memory is what these
 * libraries cost plus those rows.  No envelope decoding, no logs, no
 * analysis, no report: imcq's time and memory above this program's are its
 * own.  Prints one line: members, messages, parts, fields, bytes.
 *
 * Build (bench/run.sh does it):
 *   cc -O2 -pthread -I. bench/floor.c analyzer/zipfast.c analyzer/core/err.c -o floor \
 *      $(pkg-config --cflags --libs libarchive gmime-3.0 libcrypto libdeflate) [-lmimalloc]
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analyzer/zipfast.h"

static size_t queue_max = (size_t)64 << 20;	/* imcq's own bound; FLOOR_QUEUE_MIB */
/* A member larger than this is hashed as it streams and not parsed: no
 * queued message is this large (imcq reads logs as streams too). */
#define WHOLE_MAX ((size_t)32 << 20)

struct item {
	struct item *next;
	size_t len;
	unsigned char *p;
};

struct row {			/* 64 bytes */
	char id[16];
	unsigned char member_sha[16];
	unsigned char body_sha[16];
	uint64_t size;
	uint32_t parts, fields;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, *tail;
	size_t bytes;
	int done;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0 };

/* rows in blocks of ROWS_BLOCK: no doubling's copy at the peak */
#define ROWS_BLOCK 65536
static struct row **blocks;
static size_t nrows, nblocks;
static uint64_t nmsgs, nparts, nfields, nbytes;	/* the parsing thread's */
static uint64_t nstreamed;				/* the reading thread's */

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "floor: out of memory\n");
		exit(3);
	}
	return p;
}

static EVP_MD *md;	/* SHA-256, fetched in main before the threads start */

static void
sha256(const void *p, size_t n, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || EVP_DigestInit_ex(c, md, NULL) != 1 || EVP_DigestUpdate(c, p, n) != 1 ||
	    EVP_DigestFinal_ex(c, out, NULL) != 1) {
		fprintf(stderr, "floor: SHA-256 failed\n");
		exit(3);
	}
	EVP_MD_CTX_free(c);
}

/* The offset of the first line that starts a common header field. */
static size_t
rfc822_start(const unsigned char *p, size_t n)
{
	static const char *const names[] = { "Received:", "Message-ID:", "From:", "To:",
					     "Subject:", "Date:", "MIME-Version:", "Return-Path:" };
	size_t i = 0, k;

	while (i < n) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t l = strlen(names[k]);

			if (n - i >= l && strncasecmp((const char *)p + i, names[k], l) == 0)
				return i;
		}
		while (i < n && p[i] != '\n')
			i++;
		i++;
	}
	return n;
}

/* Hash the current member as it streams (a log: imcq streams it too). */
static void
stream_hash(struct archive *a)
{
	unsigned char b[64 * 1024], d[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	la_ssize_t n;

	if (c == NULL || EVP_DigestInit_ex(c, md, NULL) != 1)
		exit(3);
	while ((n = archive_read_data(a, b, sizeof(b))) > 0) {
		if (EVP_DigestUpdate(c, b, (size_t)n) != 1)
			exit(3);
		nstreamed += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(c, d, NULL) != 1)
		exit(3);
	EVP_MD_CTX_free(c);
}

static void
walk(GMimeObject *o, struct row *r)
{
	r->parts++;
	r->fields += (uint32_t)g_mime_header_list_get_count(g_mime_object_get_header_list(o));
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i), r);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));

		if (m != NULL && m->mime_part != NULL)
			walk(m->mime_part, r);
	}
}

static void
parse(struct item *it)
{
	struct row r;
	unsigned char d[32];
	size_t off = rfc822_start(it->p, it->len);
	GMimeStream *s;
	GMimeParser *ps;
	GMimeObject *o;

	memset(&r, 0, sizeof(r));
	memcpy(d, it->p + it->len, 32);	/* the member's digest, after its bytes */
	memcpy(r.member_sha, d, sizeof(r.member_sha));
	r.size = it->len;
	if (off < it->len) {
		nmsgs++;
		sha256(it->p + off, it->len - off, d);
		memcpy(r.body_sha, d, sizeof(r.body_sha));
		s = g_mime_stream_mem_new_with_buffer((const char *)it->p + off, it->len - off);
		ps = g_mime_parser_new_with_stream(s);
		o = g_mime_parser_construct_part(ps, NULL);
		if (o != NULL) {
			walk(o, &r);
			g_object_unref(o);
		}
		g_object_unref(ps);
		g_object_unref(s);
	}
	nparts += r.parts;
	nfields += r.fields;
	nbytes += it->len;
	if (nrows == nblocks * ROWS_BLOCK) {
		blocks = realloc(blocks, (nblocks + 1) * sizeof(*blocks));
		if (blocks == NULL) {
			fprintf(stderr, "floor: out of memory\n");
			exit(3);
		}
		blocks[nblocks++] = xmalloc(ROWS_BLOCK * sizeof(struct row));
	}
	blocks[nrows / ROWS_BLOCK][nrows % ROWS_BLOCK] = r;
	nrows++;
}

static void *
parser(void *arg)
{
	(void)arg;
	for (;;) {
		struct item *it;

		pthread_mutex_lock(&q.mu);
		while (q.head == NULL && !q.done)
			pthread_cond_wait(&q.cv, &q.mu);
		it = q.head;
		if (it == NULL) {
			pthread_mutex_unlock(&q.mu);
			return NULL;
		}
		q.head = it->next;
		if (q.head == NULL)
			q.tail = NULL;
		q.bytes -= it->len;
		pthread_cond_broadcast(&q.cv);
		pthread_mutex_unlock(&q.mu);
		parse(it);
		free(it->p);
		free(it);
	}
}

static void
push(struct item *it)
{
	pthread_mutex_lock(&q.mu);
	while (q.bytes > 0 && q.bytes + it->len > queue_max)
		pthread_cond_wait(&q.cv, &q.mu);
	it->next = NULL;
	if (q.tail != NULL)
		q.tail->next = it;
	else
		q.head = it;
	q.tail = it;
	q.bytes += it->len;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

/* The current member e of a, read whole (or streamed and hashed when
 * large), its digest after it, queued for the parsing thread. */
static void
read_member(struct archive *a, struct archive_entry *e)
{
	size_t cap = 64 * 1024, len = 0;
	unsigned char *p;
	la_ssize_t n;
	struct item *it;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) > (la_int64_t)WHOLE_MAX) {
		stream_hash(a);
		return;
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		cap = (size_t)archive_entry_size(e) + 32;
	p = xmalloc(cap);
	for (;;) {	/* cap - 32 bytes for the member, 32 for its digest */
		unsigned char more[4096];

		if (cap - len > 32) {
			n = archive_read_data(a, p + len, cap - len - 32);
			if (n <= 0)
				break;
			len += (size_t)n;
			continue;
		}
		/* full: grow only if there is more (the declared size is
		 * usually right, and a copy would cost a member's bytes) */
		n = archive_read_data(a, more, sizeof(more));
		if (n <= 0)
			break;
		cap = cap * 2 + sizeof(more);
		p = realloc(p, cap);
		if (p == NULL)
			exit(3);
		memcpy(p + len, more, (size_t)n);
		len += (size_t)n;
	}
	sha256(p, len, p + len);	/* the member's digest rides after it */
	it = xmalloc(sizeof(*it));
	it->p = p;
	it->len = len;
	push(it);
}

/* A member zipfast inflated (p, len bytes), its digest after it, queued. */
static void
queue_inflated(unsigned char *p, size_t len)
{
	struct item *it;

	p = realloc(p, len + 32);	/* room for the digest */
	if (p == NULL)
		exit(3);
	sha256(p, len, p + len);
	it = xmalloc(sizeof(*it));
	it->p = p;
	it->len = len;
	push(it);
}

/* --walk: libarchive's streaming zip reader on the bytes from one local
 * header on (imcq's zwindow_open, analyzer/ingest.c). */
struct win {
	int fd;
	off_t pos;
	unsigned char b[1 << 16];
};

static la_ssize_t
win_read(struct archive *a, void *user, const void **out)
{
	struct win *w = user;
	ssize_t r = pread(w->fd, w->b, sizeof(w->b), w->pos);

	(void)a;
	if (r < 0)
		return -1;
	w->pos += r;
	*out = w->b;
	return r;
}

static uint64_t
walk_index(struct zipfast *z)
{
	struct zipfast_entry e;
	struct zipfast_member m;
	uint64_t n = 0;
	enum zipfast_next rc;

	while ((rc = zipfast_next(z, &e, &m)) == ZIPFAST_ENTRY) {
		unsigned char *p;

		if (e.dir)
			continue;
		n++;
		if (m.usable && (p = zipfast_read(z, &m)) != NULL) {
			queue_inflated(p, (size_t)m.size);
		} else {
			struct archive *a = archive_read_new();
			struct archive_entry *ent;
			struct win *w = xmalloc(sizeof(*w));

			w->fd = zipfast_fd(z);
			w->pos = (off_t)m.local;
			archive_read_support_format_zip_streamable(a);
			if (archive_read_open(a, w, NULL, win_read, NULL) != ARCHIVE_OK ||
			    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
				fprintf(stderr, "floor: %s: cannot read it\n", e.name);
				exit(1);
			}
			read_member(a, ent);
			archive_read_free(a);
			free(w);
		}
	}
	if (rc == ZIPFAST_DOUBT) {
		fprintf(stderr, "floor: a local header disagrees with the index: not a plain zip\n");
		exit(1);
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct archive *a;
	struct archive_entry *e;
	pthread_t t;
	uint64_t nmembers = 0;
	int rc, streaming = 0, fast = 0, walk = 0;
	const char *path;
	struct zipfast *z = NULL;

	if (argc == 3 && strcmp(argv[1], "--streaming") == 0)
		streaming = 1;
	else if (argc == 3 && strcmp(argv[1], "--zipfast") == 0)
		fast = 1;
	else if (argc == 3 && strcmp(argv[1], "--walk") == 0)
		fast = walk = 1;
	else if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: floor [--streaming | --zipfast | --walk] ARCHIVE\n");
		return 2;
	}
	path = argv[argc - 1];
	if (getenv("FLOOR_QUEUE_MIB") != NULL && atoi(getenv("FLOOR_QUEUE_MIB")) > 0)
		queue_max = (size_t)atoi(getenv("FLOOR_QUEUE_MIB")) << 20;
	g_mime_init();
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL) {
		fprintf(stderr, "floor: no SHA-256 in OpenSSL\n");
		return 3;
	}
	if (pthread_create(&t, NULL, parser, NULL) != 0)
		return 3;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	if (streaming) {
		archive_read_support_format_zip_streamable(a);
		archive_read_support_format_tar(a);
	} else {
		archive_read_support_format_all(a);
	}
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		fprintf(stderr, "floor: %s: %s\n", path, archive_error_string(a));
		return 1;
	}
	if (fast) {
		FILE *f = fopen(path, "rb");

		if (f != NULL && fseeko(f, 0, SEEK_END) == 0)
			z = zipfast_open(path, (uint64_t)ftello(f));
		if (f != NULL)
			fclose(f);
	}
	if (walk) {
		/* as imcq: libarchive's first header, then its reader freed */
		if (!zipfast_walkable(z) || archive_read_next_header(a, &e) != ARCHIVE_OK ||
		    !zipfast_first_is(z, archive_entry_pathname(e))) {
			fprintf(stderr, "floor: %s: not a plain zip (try --zipfast)\n", path);
			return 1;
		}
		archive_read_free(a);
		a = NULL;
		nmembers = walk_index(z);
	}
	while (a != NULL && ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)) {
		unsigned char *p;
		struct zipfast_member m;

		zipfast_step(z, archive_entry_pathname(e), archive_entry_size_is_set(e) ?
			     (int64_t)archive_entry_size(e) : -1, &m);
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		nmembers++;
		if (m.usable && rc == ARCHIVE_OK && (p = zipfast_read(z, &m)) != NULL) {
			queue_inflated(p, (size_t)m.size);
			continue;
		}
		read_member(a, e);
	}
	if (a != NULL)
		archive_read_free(a);
	zipfast_close(z);
	pthread_mutex_lock(&q.mu);
	q.done = 1;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
	pthread_join(t, NULL);
	printf("floor: %llu members, %llu messages, %llu MIME parts, %llu header fields, "
	       "%llu bytes, %zu rows of %zu bytes\n",
	       (unsigned long long)nmembers, (unsigned long long)nmsgs,
	       (unsigned long long)nparts, (unsigned long long)nfields,
	       (unsigned long long)(nbytes + nstreamed), nrows, sizeof(struct row));
	while (nblocks > 0)
		free(blocks[--nblocks]);
	free(blocks);
	return 0;
}
