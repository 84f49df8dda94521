/* SPDX-License-Identifier: MIT */
/* journal.c - the reinject journal (see journal.h for the format). */
#include "analyzer/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/hex.h"
#include "analyzer/core/xalloc.h"

#define JOURNAL_HEADER \
	"# imcq reinject journal, format 1: one record per line, appended and synced\n" \
	"# sending KEY RCPT at=TIME ~CRC | result KEY RCPT CODE at=TIME TEXT ~CRC |\n" \
	"# uncertain KEY RCPT at=TIME TEXT ~CRC; KEY = spool id/SHA-256 of the member\n"

uint32_t
journal_crc32(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= s[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void
enc_token(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";

	if (*s == '\0') {
		(void)buf_appends(b, "%");	/* the empty token */
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '%' || c == '~') {
			(void)buf_appendc(b, '%');
			(void)buf_appendc(b, hx[c >> 4]);
			(void)buf_appendc(b, hx[c & 15]);
		} else {
			(void)buf_appendc(b, (char)c);
		}
	}
}

/* Decode a token; NULL when malformed. */
static char *
dec_token(const char *s, size_t n)
{
	char *out, *o;
	size_t i;

	if (n == 1 && s[0] == '%')
		return xstrdup("");
	out = o = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int a, b;

			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			a = hex_value(s[i + 1]);
			b = hex_value(s[i + 2]);
			if (a < 0 || b < 0 || (a == 0 && b == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(a * 16 + b);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* The index key of a pair: both parts encoded, so neither holds a space. */
static char *
pair_key(const char *key, const char *rcpt)
{
	struct buf b;
	char *r;

	buf_init(&b, (size_t)1 << 20);
	enc_token(&b, key);
	(void)buf_appendc(&b, ' ');
	enc_token(&b, rcpt);
	r = buf_detach(&b, NULL);
	buf_release(&b);
	return r;
}

static struct journal_pair *
pair_for(struct journal *j, const char *key, const char *rcpt)
{
	char *k = pair_key(key, rcpt);
	size_t idx;
	struct journal_pair np;

	if (recover_map_get(&j->index, k, &idx)) {
		free(k);
		return &j->pairs[idx];
	}
	memset(&np, 0, sizeof(np));
	VEC_PUSH(j->pairs, j->npairs, j->paircap, np);
	recover_map_put(&j->index, k, j->npairs - 1);
	free(k);
	return &j->pairs[j->npairs - 1];
}

enum rec_kind { R_SENDING, R_RESULT, R_UNCERTAIN };

/* Apply one record to the in-memory state. */
static void
apply(struct journal *j, enum rec_kind kind, const char *key, const char *rcpt,
      int code, const char *text, uint64_t line)
{
	struct journal_pair *p = pair_for(j, key, rcpt);

	if (p->st == JS_ACCEPTED)
		return;		/* accepted is final */
	free(p->text);
	p->text = text ? xstrdup(text) : NULL;
	p->line = line;
	switch (kind) {
	case R_SENDING:
		p->st = JS_UNCERTAIN;
		p->code = 0;
		break;
	case R_UNCERTAIN:
		p->st = JS_UNCERTAIN;
		p->code = 0;
		break;
	case R_RESULT:
	default:
		p->code = code;
		p->st = code >= 200 && code <= 299 ? JS_ACCEPTED : JS_REFUSED;
		break;
	}
}

static void
damaged(struct journal *j, uint64_t lineno)
{
	if (j->damaged < JOURNAL_MAX_DAMAGED)
		j->damaged_line[j->damaged] = lineno;
	j->damaged++;
}

/* Next space-separated token of [*p, end). */
static bool
token(const char **p, const char *end, const char **t, size_t *n)
{
	const char *s = *p;

	if (s >= end || *s == ' ')
		return false;
	*t = s;
	while (s < end && *s != ' ')
		s++;
	*n = (size_t)(s - *t);
	if (s < end)
		s++;	/* one separating space */
	*p = s;
	return true;
}

bool
journal_feed_line(struct journal *j, const char *line, size_t len, uint64_t lineno)
{
	const char *end, *p, *t;
	size_t n, i;
	uint32_t want = 0;
	enum rec_kind kind;
	char *key = NULL, *rcpt = NULL, *text = NULL;
	int code = 0;

	if (len == 0 || line[0] == '#')
		return true;
	/* " ~XXXXXXXX" at the end */
	if (len < 11 || line[len - 10] != ' ' || line[len - 9] != '~')
		goto bad;
	for (i = len - 8; i < len; i++) {
		int v = hex_value(line[i]);

		if (v < 0)
			goto bad;
		want = want * 16 + (uint32_t)v;
	}
	end = line + len - 10;
	if (journal_crc32(line, (size_t)(end - line)) != want)
		goto bad;
	p = line;
	if (!token(&p, end, &t, &n))
		goto bad;
	if (n == 7 && memcmp(t, "sending", 7) == 0)
		kind = R_SENDING;
	else if (n == 6 && memcmp(t, "result", 6) == 0)
		kind = R_RESULT;
	else if (n == 9 && memcmp(t, "uncertain", 9) == 0)
		kind = R_UNCERTAIN;
	else
		goto bad;
	if (!token(&p, end, &t, &n) || (key = dec_token(t, n)) == NULL)
		goto bad;
	if (!token(&p, end, &t, &n) || (rcpt = dec_token(t, n)) == NULL)
		goto bad;
	if (kind == R_RESULT) {
		if (!token(&p, end, &t, &n) || n != 3)
			goto bad;
		for (i = 0; i < 3; i++) {
			if (t[i] < '0' || t[i] > '9')
				goto bad;
			code = code * 10 + (t[i] - '0');
		}
	}
	if (!token(&p, end, &t, &n) || n < 3 || memcmp(t, "at=", 3) != 0)
		goto bad;
	if (kind != R_SENDING)
		text = xstrndup(p, (size_t)(end - p));
	else if (p != end)
		goto bad;
	apply(j, kind, key, rcpt, code, text, lineno);
	free(key);
	free(rcpt);
	free(text);
	return true;
bad:
	free(key);
	free(rcpt);
	free(text);
	damaged(j, lineno);
	return false;
}

static int
read_all(int fd, struct buf *b, struct imcq_err *err, const char *path)
{
	char chunk[1 << 16];
	ssize_t r;

	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return imcq_err_set(err, IMCQ_FATAL, "cannot read the journal '%s': %s",
					    path, strerror(errno));
		}
		if (buf_append(b, chunk, (size_t)r) != IMCQ_OK)
			return imcq_err_set(err, IMCQ_FATAL, "the journal '%s' is too large", path);
	}
	return IMCQ_OK;
}

int
journal_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
append_raw(struct journal *j, const char *p, size_t n, struct imcq_err *err)
{
	if (j->fd < 0)
		return IMCQ_OK;		/* read-only (--dry-run) */
	if (journal_write_all(j->fd, p, n) != 0 || fsync(j->fd) != 0)
		return imcq_err_set(err, IMCQ_FATAL, "cannot write the journal '%s': %s",
				    j->path, strerror(errno));
	return IMCQ_OK;
}

/* fsync the folder holding path, so a new journal's name is durable. */
static void
sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
		    slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	int fd = open(dir, O_RDONLY);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
journal_open(struct journal *j, const char *path, bool write, struct imcq_err *err)
{
	struct buf b;
	int fd;
	bool created = false;
	size_t s, i;
	uint64_t lineno = 0;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->path = xstrdup(path);
	if (write) {
		fd = open(path, O_RDWR | O_APPEND);
		if (fd < 0 && errno == ENOENT) {
			fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);
			created = fd >= 0;
		}
	} else {
		fd = open(path, O_RDONLY);
		if (fd < 0 && errno == ENOENT)
			return IMCQ_OK;
	}
	if (fd < 0)
		return imcq_err_set(err, IMCQ_FATAL, "cannot open the journal '%s': %s", path,
				    strerror(errno));
	if (write) {
		struct flock fl;

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) != 0) {
			close(fd);
			return imcq_err_set(err, IMCQ_FATAL,
					    "the journal '%s' is in use by another imcq reinject (%s)",
					    path, strerror(errno));
		}
	}
	buf_init(&b, (size_t)1 << 31);
	if (read_all(fd, &b, err, path) != IMCQ_OK) {
		buf_release(&b);
		close(fd);
		return IMCQ_FATAL;
	}
	for (s = 0, i = 0; i < b.len; i++)
		if (b.data[i] == '\n') {
			journal_feed_line(j, b.data + s, i - s, ++lineno);
			s = i + 1;
		}
	if (s < b.len) {
		/* a last line without its newline: torn by a crash */
		damaged(j, ++lineno);
	}
	j->lines = lineno;
	if (write) {
		j->fd = fd;
		if (s < b.len && append_raw(j, "\n", 1, err) != IMCQ_OK) {
			buf_release(&b);
			return IMCQ_FATAL;
		}
		if (created) {
			if (append_raw(j, JOURNAL_HEADER, strlen(JOURNAL_HEADER), err) != IMCQ_OK) {
				buf_release(&b);
				return IMCQ_FATAL;
			}
			sync_parent(path);
		}
	} else {
		close(fd);
	}
	buf_release(&b);
	return IMCQ_OK;
}

const struct journal_pair *
journal_get(const struct journal *j, const char *key, const char *rcpt)
{
	static const struct journal_pair none = { JS_NONE, 0, NULL, 0 };
	char *k = pair_key(key, rcpt);
	size_t idx;
	bool hit = recover_map_get(&j->index, k, &idx);

	free(k);
	return hit ? &j->pairs[idx] : &none;
}

static void
now_iso(char out[32])
{
	imcq_iso((int64_t)time(NULL), out);
}

static void
clean_text(struct buf *b, const char *text)
{
	size_t n = 0;

	for (; text && *text && n < JOURNAL_TEXT_MAX; text++, n++) {
		unsigned char c = (unsigned char)*text;

		(void)buf_appendc(b, c < ' ' || c == 0x7f ? ' ' : (char)c);
	}
}

static int
emit(struct journal *j, enum rec_kind kind, const char *key, const char *rcpt, int code,
     const char *text, struct imcq_err *err)
{
	static const char *const names[] = { "sending", "result", "uncertain" };
	struct buf b;
	char when[32];
	char *clean = NULL;
	int rc;

	buf_init(&b, (size_t)1 << 20);
	now_iso(when);
	(void)buf_appends(&b, names[kind]);
	(void)buf_appendc(&b, ' ');
	enc_token(&b, key);
	(void)buf_appendc(&b, ' ');
	enc_token(&b, rcpt);
	if (kind == R_RESULT)
		(void)buf_appendf(&b, " %03d", code < 0 || code > 999 ? 0 : code);
	(void)buf_appendf(&b, " at=%s", when);
	if (kind != R_SENDING) {
		size_t at = b.len + 1;

		(void)buf_appendc(&b, ' ');
		clean_text(&b, text);
		clean = xstrdup(b.data + at);
	}
	(void)buf_appendf(&b, " ~%08lx\n", (unsigned long)journal_crc32(b.data, b.len));
	rc = append_raw(j, b.data, b.len, err);
	if (rc == IMCQ_OK)
		apply(j, kind, key, rcpt, code, clean, ++j->lines);
	free(clean);
	buf_release(&b);
	return rc;
}

int
journal_sending(struct journal *j, const char *key, const char *rcpt, struct imcq_err *err)
{
	return emit(j, R_SENDING, key, rcpt, 0, NULL, err);
}

int
journal_result(struct journal *j, const char *key, const char *rcpt, int code,
	       const char *text, struct imcq_err *err)
{
	return emit(j, R_RESULT, key, rcpt, code, text ? text : "", err);
}

int
journal_uncertain(struct journal *j, const char *key, const char *rcpt,
		  const char *text, struct imcq_err *err)
{
	return emit(j, R_UNCERTAIN, key, rcpt, 0, text ? text : "", err);
}

int
journal_comment(struct journal *j, const char *text, struct imcq_err *err)
{
	struct buf b;
	int rc;

	buf_init(&b, (size_t)1 << 20);
	(void)buf_appends(&b, "# ");
	clean_text(&b, text);
	(void)buf_appendc(&b, '\n');
	rc = append_raw(j, b.data, b.len, err);
	if (rc == IMCQ_OK)
		j->lines++;
	buf_release(&b);
	return rc;
}

void
journal_close(struct journal *j)
{
	size_t i;

	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->npairs; i++)
		free(j->pairs[i].text);
	free(j->pairs);
	recover_map_release(&j->index);
	free(j->path);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}
