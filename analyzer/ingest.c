/* SPDX-License-Identifier: MIT */
/*
 * ingest.c - directories, files and archives into members (see ingest.h).
 *
 * The only module that includes <archive.h>.  Archives are recognised by
 * their magic (content wins over the file name), opened with every format
 * and filter libarchive has, and read entry by entry with
 * archive_read_data() into a capped buffer; nothing is ever extracted.
 */
#include "analyzer/ingest.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/path.h"
#include "analyzer/core/xalloc.h"

#define CHUNK ((size_t)256 << 10)
#define DIR_DEPTH_MAX 256

struct walk {
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	int input;
	int snapshot;
	ingest_cb cb;
	void *user;
	const struct ingest_progress *prog;
	uint64_t total;		/* bytes decompressed from this input */
	uint64_t members;
	bool stop;		/* a run-wide cap was reached for this input */
	unsigned char *chunk;
};

bool
ingest_is_archive(const unsigned char *p, size_t n)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
	} m[] = {
		{ 0, "PK\003\004", 4 }, { 0, "PK\005\006", 4 }, { 0, "PK\007\010", 4 },
		{ 0, "7z\274\257\047\034", 6 }, { 0, "MSCF\0\0\0\0", 8 },
		{ 0, "Rar!\032\007", 6 }, { 0, "\037\213", 2 }, { 0, "\037\235", 2 },
		{ 0, "BZh", 3 }, { 0, "\3757zXZ\0", 6 }, { 0, "\050\265\057\375", 4 },
		{ 0, "LZIP", 4 }, { 0, "xar!", 4 }, { 257, "ustar", 5 },
		{ 0, "070707", 6 }, { 0, "070701", 6 }, { 0, "070702", 6 },
		{ 0, "!<arch>\n", 8 }, { 32769, "CD001", 5 },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].off + m[i].len &&
		    memcmp(p + m[i].off, m[i].magic, m[i].len) == 0)
			return true;
	return false;
}

static size_t
inv_add(struct walk *w, const char *member, uint64_t size, const char *sha,
	int64_t mtime, const char *kind, enum imcq_place place)
{
	struct imcq_inv v;

	memset(&v, 0, sizeof(v));
	v.input = w->input;
	v.member = xstrdup(member);
	v.size = size;
	if (sha)
		memcpy(v.sha256, sha, 65);
	v.mtime = mtime;
	v.kind = kind;
	v.place = place;
	VEC_PUSH(w->rep->inv, w->rep->ninv, w->rep->invcap, v);
	return w->rep->ninv - 1;
}

static int read_archive(struct walk *w, struct archive *a, const char *prefix,
			unsigned depth, uint64_t packed_size, const char *label);

static struct archive *
archive_new_reader(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		imcq_die("out of memory (libarchive)");
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_support_format_raw(a);	/* a lone .gz/.xz/.bz2 member */
	return a;
}

/* A member with its bytes (data may be NULL: too large to parse). */
static void
member(struct walk *w, const char *stored, const unsigned char *data,
       size_t len, uint64_t size, int64_t mtime, const char *sha,
       unsigned depth)
{
	bool susp = false;
	char *norm = path_normalize(stored, &susp);
	enum imcq_place place = path_place(norm);
	size_t idx;

	w->members++;
	if (susp)
		anomaly_add(w->rep, "suspicious-path", IMCQ_SEV_WARNING, w->input,
			    stored, IMCQ_NOOFF,
			    "member name is absolute or contains '..' (read in memory only; nothing is written)");
	if (data != NULL && ingest_is_archive(data, len)) {
		idx = inv_add(w, stored, size, sha, mtime, "archive", place);
		if (depth + 1 > w->lim->depth) {
			anomaly_add(w->rep, "nesting-too-deep", IMCQ_SEV_WARNING,
				    w->input, stored, 0,
				    "archive nested deeper than %u levels was not opened (--max-depth)",
				    w->lim->depth);
		} else {
			struct archive *a = archive_new_reader();
			char *prefix = xasprintf("%s!/", stored);

			if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
				anomaly_add(w->rep, "archive-unreadable", IMCQ_SEV_WARNING,
					    w->input, stored, 0,
					    "looks like an archive but cannot be opened: %s",
					    archive_error_string(a) ? archive_error_string(a) : "unknown error");
				w->rep->inv[idx].kind = "unknown";
				w->rep->unreadable++;
			} else {
				read_archive(w, a, prefix, depth + 1, len, stored);
				w->rep->inv[idx].parsed = true;
			}
			archive_read_free(a);
			free(prefix);
		}
	} else {
		struct imcq_entry e = {
			.input = w->input,
			.snapshot = w->snapshot,
			.member = stored,
			.base = path_base(norm),
			.place = place,
			.data = data,
			.len = data ? len : 0,
			.size = size,
			.mtime = mtime,
			.sha256 = sha,
		};

		idx = inv_add(w, stored, size, sha, mtime,
			      data ? "unknown" : "too-large", place);
		if (data == NULL)
			anomaly_add(w->rep, "member-too-large", IMCQ_SEV_WARNING,
				    w->input, stored, IMCQ_NOOFF,
				    "%llu bytes exceeds the parse limit of %llu bytes (--max-entry); hashed and listed, not parsed",
				    (unsigned long long)size,
				    (unsigned long long)w->lim->entry_bytes);
		w->cb(w->user, &e, idx);
	}
	if (w->prog && w->prog->tick)
		w->prog->tick(w->prog->user, w->total, w->members);
	free(norm);
}

static bool
budget(struct walk *w, uint64_t n, const char *where)
{
	if (n > w->lim->total_bytes - (w->total < w->lim->total_bytes ? w->total : w->lim->total_bytes)) {
		if (!w->stop)
			anomaly_add(w->rep, "decompression-limit", IMCQ_SEV_ERROR,
				    w->input, where, IMCQ_NOOFF,
				    "more than %llu bytes decompressed from this input (--max-total); the rest of the input was not read",
				    (unsigned long long)w->lim->total_bytes);
		w->stop = true;
		w->rep->unreadable++;
		return false;
	}
	w->total += n;
	return true;
}

static int
read_archive(struct walk *w, struct archive *a, const char *prefix,
	     unsigned depth, uint64_t packed_size, const char *label)
{
	struct archive_entry *ent;
	uint64_t produced = 0;
	unsigned retries = 0;

	while (!w->stop) {
		int r = archive_read_next_header(a, &ent);
		const char *name;
		char *stored;
		struct buf b;
		struct imcq_sha256 h;
		char sha[65];
		uint64_t size = 0;
		bool damaged = false;
		bool toolarge = false;
		int64_t mtime;
		mode_t type;

		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY && ++retries < 16)
			continue;
		if (r < ARCHIVE_WARN) {
			anomaly_add(w->rep, "archive-damaged", IMCQ_SEV_ERROR,
				    w->input, label, IMCQ_NOOFF,
				    "cannot read further in the archive: %s",
				    archive_error_string(a) ? archive_error_string(a) : "unknown error");
			w->rep->unreadable++;
			return IMCQ_WARN;
		}
		name = archive_entry_pathname_utf8(ent);
		if (name == NULL)
			name = archive_entry_pathname(ent);
		if (name == NULL || *name == '\0')
			name = "(unnamed)";
		if (r == ARCHIVE_WARN)
			anomaly_add(w->rep, "archive-warning", IMCQ_SEV_INFO, w->input,
				    label, IMCQ_NOOFF, "%s: %s", name,
				    archive_error_string(a) ? archive_error_string(a) : "warning");
		stored = xasprintf("%s%s", prefix, name);
		mtime = archive_entry_mtime_is_set(ent) ? (int64_t)archive_entry_mtime(ent) : IMCQ_NOTIME;
		type = archive_entry_filetype(ent);
		if (type == AE_IFDIR) {
			free(stored);
			continue;
		}
		if (w->members >= w->lim->members) {
			anomaly_add(w->rep, "member-limit", IMCQ_SEV_ERROR, w->input,
				    label, IMCQ_NOOFF,
				    "more than %u members (--max-members); the rest was not read",
				    w->lim->members);
			w->rep->unreadable++;
			w->stop = true;
			free(stored);
			break;
		}
		if (archive_entry_hardlink(ent) != NULL || type == AE_IFLNK ||
		    (type != AE_IFREG && type != 0)) {
			const char *what = archive_entry_hardlink(ent) ? "hard link" :
					   type == AE_IFLNK ? "symbolic link" : "special file";

			inv_add(w, stored, 0, NULL, mtime, "link", path_place(stored));
			anomaly_add(w->rep, "link-refused", IMCQ_SEV_WARNING, w->input,
				    stored, IMCQ_NOOFF, "%s member not followed (target '%s')",
				    what, archive_entry_hardlink(ent) ? archive_entry_hardlink(ent) :
				    archive_entry_symlink(ent) ? archive_entry_symlink(ent) : "");
			w->members++;
			free(stored);
			continue;
		}
		if (archive_entry_is_encrypted(ent)) {
			inv_add(w, stored, (uint64_t)archive_entry_size(ent), NULL, mtime,
				"encrypted", path_place(stored));
			anomaly_add(w->rep, "member-encrypted", IMCQ_SEV_ERROR, w->input,
				    stored, IMCQ_NOOFF, "encrypted member cannot be read");
			w->rep->unreadable++;
			w->members++;
			free(stored);
			continue;
		}
		buf_init(&b, (size_t)w->lim->entry_bytes);
		sha256_init(&h);
		for (;;) {
			la_ssize_t n = archive_read_data(a, w->chunk, CHUNK);

			if (n == 0)
				break;
			if (n < 0) {
				if (n == ARCHIVE_WARN)
					continue;
				anomaly_add(w->rep, "member-damaged", IMCQ_SEV_ERROR,
					    w->input, stored, size,
					    "member data unreadable after %llu bytes: %s",
					    (unsigned long long)size,
					    archive_error_string(a) ? archive_error_string(a) : "error");
				w->rep->unreadable++;
				damaged = true;
				break;
			}
			if (!budget(w, (uint64_t)n, stored))
				break;
			produced += (uint64_t)n;
			if (produced > IMCQ_RATIO_FLOOR && packed_size > 0 &&
			    produced / packed_size > w->lim->ratio) {
				anomaly_add(w->rep, "decompression-bomb", IMCQ_SEV_ERROR,
					    w->input, label, IMCQ_NOOFF,
					    "archive expands more than %u times its size (--max-ratio); reading stopped",
					    w->lim->ratio);
				w->rep->unreadable++;
				w->stop = true;
				damaged = true;
				break;
			}
			sha256_update(&h, w->chunk, (size_t)n);
			size += (uint64_t)n;
			if (!toolarge && buf_append(&b, w->chunk, (size_t)n) != IMCQ_OK)
				toolarge = true;
		}
		sha256_final(&h, sha);
		member(w, stored, toolarge ? NULL : (const unsigned char *)b.data,
		       b.len, size, mtime, sha, depth);
		(void)damaged;
		buf_release(&b);
		free(stored);
	}
	return IMCQ_OK;
}

/* Read a whole regular file (O_RDONLY), capped; hash all of it. */
static int
slurp(const char *path, struct buf *b,
      char sha[65], uint64_t *size, bool *toolarge, struct imcq_err *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY);
	struct imcq_sha256 h;
	unsigned char *chunk;

	if (fd < 0)
		return imcq_err_set(err, IMCQ_SKIP, "cannot open '%s': %s", path, strerror(errno));
	chunk = xmalloc(CHUNK);
	sha256_init(&h);
	*size = 0;
	*toolarge = false;
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			imcq_err_set(err, IMCQ_SKIP, "cannot read '%s': %s", path, strerror(errno));
			sha256_final(&h, sha);
			free(chunk);
			close(fd);
			return IMCQ_SKIP;
		}
		sha256_update(&h, chunk, (size_t)n);
		*size += (uint64_t)n;
		if (!*toolarge && b && buf_append(b, chunk, (size_t)n) != IMCQ_OK)
			*toolarge = true;
	}
	sha256_final(&h, sha);
	free(chunk);
	close(fd);
	return IMCQ_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
walk_dir(struct walk *w, const char *root, const char *rel, unsigned level)
{
	char *dpath = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dpath);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (d == NULL) {
		anomaly_add(w->rep, "unreadable", IMCQ_SEV_ERROR, w->input, rel[0] ? rel : ".",
			    IMCQ_NOOFF, "cannot open directory: %s", strerror(errno));
		w->rep->unreadable++;
		free(dpath);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		VEC_PUSH(names, n, cap, xstrdup(de->d_name));
	}
	closedir(d);
	xqsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !w->stop; i++) {
		char *r = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *full = xasprintf("%s/%s", root, r);
		struct stat st;

		if (lstat(full, &st) != 0) {
			anomaly_add(w->rep, "unreadable", IMCQ_SEV_ERROR, w->input, r,
				    IMCQ_NOOFF, "cannot stat: %s", strerror(errno));
			w->rep->unreadable++;
		} else if (S_ISDIR(st.st_mode)) {
			if (level + 1 >= DIR_DEPTH_MAX)
				anomaly_add(w->rep, "nesting-too-deep", IMCQ_SEV_WARNING,
					    w->input, r, IMCQ_NOOFF,
					    "directory deeper than %d levels not read", DIR_DEPTH_MAX);
			else
				walk_dir(w, root, r, level + 1);
		} else if (S_ISREG(st.st_mode)) {
			struct buf b;
			char sha[65];
			uint64_t size;
			bool toolarge;
			struct imcq_err e = { 0 };

			if (w->members >= w->lim->members) {
				anomaly_add(w->rep, "member-limit", IMCQ_SEV_ERROR, w->input,
					    r, IMCQ_NOOFF, "more than %u members (--max-members)",
					    w->lim->members);
				w->rep->unreadable++;
				w->stop = true;
			} else {
				buf_init(&b, (size_t)w->lim->entry_bytes);
				if (slurp(full, &b, sha, &size, &toolarge, &e) != IMCQ_OK) {
					inv_add(w, r, (uint64_t)st.st_size, NULL, (int64_t)st.st_mtime,
						"unreadable", path_place(r));
					anomaly_add(w->rep, "unreadable", IMCQ_SEV_ERROR, w->input,
						    r, IMCQ_NOOFF, "%s", e.msg);
					w->rep->unreadable++;
				} else if (budget(w, size, r)) {
					member(w, r, toolarge ? NULL : (const unsigned char *)b.data,
					       b.len, size, (int64_t)st.st_mtime, sha, 0);
				}
				buf_release(&b);
			}
		} else {
			inv_add(w, r, 0, NULL, (int64_t)st.st_mtime,
				S_ISLNK(st.st_mode) ? "link" : "special", path_place(r));
			anomaly_add(w->rep, "link-refused", IMCQ_SEV_INFO, w->input, r,
				    IMCQ_NOOFF, "%s not followed",
				    S_ISLNK(st.st_mode) ? "symbolic link" : "special file");
			w->members++;
		}
		free(full);
		free(r);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dpath);
}

/* A directory input's hash: SHA-256 over "member\tsha256\n" lines, in
 * member order, of the members read from it. */
static void
dir_digest(struct imcq_report *rep, int input, size_t first, char out[65])
{
	struct imcq_sha256 h;
	size_t i;

	sha256_init(&h);
	for (i = first; i < rep->ninv; i++) {
		if (rep->inv[i].input != input)
			continue;
		sha256_update(&h, rep->inv[i].member, strlen(rep->inv[i].member));
		sha256_update(&h, "\t", 1);
		sha256_update(&h, rep->inv[i].sha256, strlen(rep->inv[i].sha256));
		sha256_update(&h, "\n", 1);
	}
	sha256_final(&h, out);
}

int
ingest_input(struct imcq_report *rep, const char *path, int snapshot,
	     ingest_cb cb, void *user, const struct ingest_progress *prog,
	     struct imcq_err *err)
{
	struct walk w = {
		.rep = rep, .lim = &rep->lim, .snapshot = snapshot, .cb = cb,
		.user = user, .prog = prog,
	};
	struct imcq_input in;
	struct stat st;
	size_t first = rep->ninv;
	int rc = IMCQ_OK;

	memset(&in, 0, sizeof(in));
	in.path = xstrdup(path);
	in.snapshot = snapshot;
	in.mtime = IMCQ_NOTIME;
	VEC_PUSH(rep->inputs, rep->ninputs, rep->inputcap, in);
	w.input = (int)(rep->ninputs - 1);
	w.chunk = xmalloc(CHUNK);

	if (stat(path, &st) != 0) {
		rep->inputs[w.input].kind = "file";
		anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, w.input, NULL,
			    IMCQ_NOOFF, "cannot read '%s': %s", path, strerror(errno));
		rep->unreadable++;
		free(w.chunk);
		return imcq_err_set(err, IMCQ_SKIP, "cannot read '%s': %s", path, strerror(errno));
	}
	rep->inputs[w.input].mtime = (int64_t)st.st_mtime;
	if (S_ISDIR(st.st_mode)) {
		rep->inputs[w.input].kind = "directory";
		walk_dir(&w, path, "", 0);
		dir_digest(rep, w.input, first, rep->inputs[w.input].sha256);
		rep->inputs[w.input].size = w.total;
	} else {
		unsigned char head[40 * 1024];
		ssize_t hn;
		int fd = open(path, O_RDONLY | O_NOCTTY);
		char sha[65];
		uint64_t size;
		bool toolarge;

		if (fd < 0) {
			rep->inputs[w.input].kind = "file";
			anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, w.input, NULL,
				    IMCQ_NOOFF, "cannot open '%s': %s", path, strerror(errno));
			rep->unreadable++;
			free(w.chunk);
			return imcq_err_set(err, IMCQ_SKIP, "cannot open '%s': %s", path, strerror(errno));
		}
		hn = read(fd, head, sizeof(head));
		close(fd);
		rep->inputs[w.input].size = (uint64_t)st.st_size;
		if (hn > 0 && ingest_is_archive(head, (size_t)hn)) {
			struct archive *a = archive_new_reader();

			rep->inputs[w.input].kind = "archive";
			if (slurp(path, NULL, sha, &size, &toolarge, err) != IMCQ_OK) {
				archive_read_free(a);
				free(w.chunk);
				rep->unreadable++;
				return IMCQ_SKIP;
			}
			memcpy(rep->inputs[w.input].sha256, sha, 65);
			if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
				anomaly_add(rep, "archive-unreadable", IMCQ_SEV_ERROR, w.input,
					    NULL, 0, "cannot open archive: %s",
					    archive_error_string(a) ? archive_error_string(a) : "unknown error");
				/* the input was read (hashed, listed); its content
				 * is damaged: exit 1 with the report, not 3 */
				rep->unreadable++;
			} else {
				const char *b = strrchr(path, '/');

				read_archive(&w, a, "", 1, (uint64_t)st.st_size, b ? b + 1 : path);
			}
			archive_read_free(a);
		} else {
			struct buf b;
			const char *base = strrchr(path, '/');

			rep->inputs[w.input].kind = "file";
			buf_init(&b, (size_t)rep->lim.entry_bytes);
			if (slurp(path, &b, sha, &size, &toolarge, err) != IMCQ_OK) {
				anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, w.input, NULL,
					    IMCQ_NOOFF, "%s", err ? err->msg : "cannot read");
				rep->unreadable++;
				rc = IMCQ_SKIP;
			} else {
				memcpy(rep->inputs[w.input].sha256, sha, 65);
				w.total = size;
				member(&w, base ? base + 1 : path,
				       toolarge ? NULL : (const unsigned char *)b.data, b.len,
				       size, (int64_t)st.st_mtime, sha, 0);
			}
			buf_release(&b);
		}
	}
	free(w.chunk);
	return rc;
}

int
ingest_memory(struct imcq_report *rep, const char *name, const unsigned char *p,
	      size_t n, ingest_cb cb, void *user)
{
	struct walk w = { .rep = rep, .lim = &rep->lim, .cb = cb, .user = user };
	struct imcq_input in;
	char sha[65];
	int rc = IMCQ_OK;

	memset(&in, 0, sizeof(in));
	in.path = xstrdup(name);
	in.mtime = IMCQ_NOTIME;
	in.size = n;
	sha256_hex(p, n, sha);
	memcpy(in.sha256, sha, 65);
	VEC_PUSH(rep->inputs, rep->ninputs, rep->inputcap, in);
	w.input = (int)(rep->ninputs - 1);
	w.chunk = xmalloc(CHUNK);
	if (n > 0 && ingest_is_archive(p, n)) {
		struct archive *a = archive_new_reader();

		rep->inputs[w.input].kind = "archive";
		if (archive_read_open_memory(a, p, n) != ARCHIVE_OK) {
			anomaly_add(rep, "archive-unreadable", IMCQ_SEV_ERROR, w.input,
				    NULL, 0, "cannot open archive: %s",
				    archive_error_string(a) ? archive_error_string(a) : "unknown error");
			rep->unreadable++;
			rc = IMCQ_SKIP;
		} else {
			read_archive(&w, a, "", 1, (uint64_t)n, name);
		}
		archive_read_free(a);
	} else {
		rep->inputs[w.input].kind = "file";
		w.total = n;
		member(&w, name, n <= rep->lim.entry_bytes ? p : NULL, n, n,
		       IMCQ_NOTIME, sha, 0);
	}
	free(w.chunk);
	return rc;
}
