/* SPDX-License-Identifier: MIT */
/*
 * ingest.c - directories, files and archives into members (see ingest.h).
 *
 * The only module that includes <archive.h>.  Archives are recognised by
 * their magic (content wins over the file name), opened with every format
 * and filter libarchive has, and read entry by entry with
 * archive_read_data() into a capped buffer; nothing is ever extracted.
 *
 * Two stages.  The walk (directory listing, file reads, libarchive's
 * decompression, nested archives, SHA-256 of every member, the budgets)
 * never touches the report: everything it would do to it (an inventory
 * row, an anomaly, an unreadable count, a member for the callback, a
 * progress tick) is an event, applied by apply() in the order the walk
 * made them.  With one thread the walk applies each event at once, in the
 * calling thread; with two, the walk runs in a producer thread and its
 * events go through a bounded queue (workq.h) to the calling thread,
 * which applies them and runs the callback.  The report then has a single
 * mutator, and every output (inventory, anomalies, messages, hashes,
 * progress lines, exit codes) is the same byte for byte either way.
 */
#include "analyzer/ingest.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/path.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/workq.h"
#include "analyzer/zipfast.h"

#define CHUNK ((size_t)256 << 10)
#define DIR_DEPTH_MAX 256

/* The first bytes of a member, read before its reader is chosen: more
 * than IMCQ_BID_BYTES (a bid sees whether the member ends within them)
 * and than the deepest archive magic (ISO 9660's, at 32769). */
#define HEAD_BYTES ((size_t)64 << 10)

/* The producer runs ahead of the consumer by at most this much. */
#define QUEUE_ITEMS 1024
#define QUEUE_BYTES ((size_t)64 << 20)
/* ...and by at most this much of a streamed member's chunks, which weigh
 * QUEUE_BYTES / STREAM_BYTES times their length in the queue. */
#define STREAM_BYTES ((size_t)8 << 20)

/* What the walk does to the report, as data. */
enum ev_kind {
	EV_ANOMALY,	/* anomaly_add(code, sev, input, member, off, msg) */
	EV_UNREADABLE,	/* rep->unreadable++ */
	EV_INV,		/* push an inventory row (its index is idx) */
	EV_INV_SET,	/* rep->inv[idx]: kind (if not NULL), parsed (if set) */
	EV_ENTRY,	/* the callback on a member, inventory row idx */
	EV_TICK,	/* progress: total bytes, members */
	/* a member streamed to its reader (ingest_visit.begin/chunk/end) */
	EV_MARK,	/* it starts: where its walk anomalies will go */
	EV_SBEGIN,	/* begin, inventory row idx; what head returned */
	EV_CHUNK,	/* chunk: data, len */
	EV_SEND,	/* end: its size and SHA-256 */
};

struct ev {
	enum ev_kind kind;
	const char *code;	/* EV_ANOMALY (static) */
	enum imcq_sev sev;
	char *member;		/* EV_ANOMALY (or NULL), EV_INV, EV_ENTRY: owned */
	uint64_t off;
	char *msg;		/* EV_ANOMALY: owned */
	size_t idx;		/* EV_INV, EV_INV_SET, EV_ENTRY */
	const char *ikind;	/* EV_INV, EV_INV_SET: static */
	bool parsed;		/* EV_INV_SET */
	uint64_t size;		/* EV_INV, EV_ENTRY; EV_TICK: total bytes */
	uint64_t members;	/* EV_TICK */
	uint64_t pos, psize;	/* EV_TICK: struct ingest_progress */
	int64_t mtime;
	bool have_sha;
	char sha[65];
	enum imcq_place place;
	char *norm;		/* EV_ENTRY: normalised name (owned; base points in) */
	unsigned char *data;	/* EV_ENTRY, EV_CHUNK: owned, or NULL (too large) */
	size_t len;
	void *prep;		/* EV_ENTRY: what v->prepare returned (the entry callback's); EV_SBEGIN: v->head's */
};

/* The side that owns the report: applies events, runs the callback. */
struct apply_ctx {
	struct imcq_report *rep;
	int input;
	int snapshot;
	const struct ingest_visit *v;
	size_t feed_chunk;	/* IMCQ_STREAM_CHUNK: chunks cut to this (0: as read) */
	/* the member being streamed (between EV_SBEGIN and EV_SEND) */
	bool streaming;
	struct imcq_entry se;	/* the readers keep its address */
	char *s_member, *s_norm;
	char s_sha[65];
	void *s_prep;
	size_t mark;		/* rep->nanoms at its EV_MARK */
	size_t late;		/* walk anomalies put there since */
};

struct walk {
	struct apply_ctx *direct;	/* one thread: apply events at once */
	struct workq *q;		/* two threads: queue them (direct NULL) */
	struct imcq_limits lim;		/* a copy: the walk never reads the report */
	const struct ingest_visit *v;	/* for v->prepare (and v->user) only */
	int input;
	int snapshot;
	size_t inv_next;		/* index the next inventory row will get */
	uint64_t total;		/* bytes decompressed from this input */
	uint64_t members;
	uint64_t in_pos, in_size;	/* progress: struct ingest_progress pos, size */
	bool stop;		/* a run-wide cap was reached for this input */
	bool ticks;		/* progress wanted: an EV_TICK after each member */
	int spare_mode;		/* IMCQ_INGEST_SPARE: 1 always, -1 never, 0 by backlog */
	bool whole;		/* IMCQ_STREAM=whole: no member is streamed */
	/* The run prints no digest (imcq_report.no_hashes): neither the
	 * members nor the input are hashed, their digests are "" */
	bool nohash;
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

/* ---- the consumer side: events into the report ---- */

/* IMCQ_STREAM=whole: every member is read whole, as before readers
 * streamed (tests compare the two). */
static bool
whole_env(void)
{
	const char *v = getenv("IMCQ_STREAM");

	return v != NULL && strcmp(v, "whole") == 0;
}

/* IMCQ_STREAM_CHUNK=N: a streamed member reaches its reader in chunks of
 * at most N bytes (tests: no reader's result may depend on the cuts). */
static size_t
feed_chunk_env(void)
{
	const char *v = getenv("IMCQ_STREAM_CHUNK");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoull(v, &end, 10);
	return *end == '\0' && n > 0 && n <= CHUNK ? (size_t)n : 0;
}

static void
ev_free(struct ev *ev)
{
	free(ev->member);
	free(ev->msg);
	free(ev->norm);
	free(ev->data);
	free(ev);
}

/* The entry an EV_ENTRY stands for (pointing into ev). */
static struct imcq_entry
entry_of(const struct ev *ev, int input, int snapshot)
{
	struct imcq_entry e = {
		.input = input,
		.snapshot = snapshot,
		.member = ev->member,
		.base = path_base(ev->norm),
		.place = ev->place,
		.data = ev->data,
		.len = ev->data ? ev->len : 0,
		.size = ev->size,
		.mtime = ev->mtime,
		.sha256 = ev->have_sha ? ev->sha : NULL,
	};

	return e;
}

/*
 * An anomaly of the walk (a member cut short, --max-total, a bomb) while
 * its member streams: a whole read would have made it before the member's
 * reader ran, so it goes where the member began (after the walk's earlier
 * ones), and if the list is full it pushes the last one out, as coming
 * first it would have (--max-anomalies: the same ones kept, the same
 * count dropped).
 */
static void
anomaly_late(struct apply_ctx *c, const struct ev *ev)
{
	struct imcq_report *rep = c->rep;
	size_t at = c->mark + c->late++;
	struct imcq_anomaly a;

	if (at >= rep->nanoms && rep->nanoms >= rep->lim.anomalies) {
		rep->anoms_dropped++;
		return;
	}
	if (rep->nanoms >= rep->lim.anomalies) {
		struct imcq_anomaly *last = &rep->anoms[--rep->nanoms];

		free(last->code);
		free(last->member);
		free(last->message);
		rep->anoms_dropped++;
	}
	anomaly_add(rep, ev->code, ev->sev, c->input, ev->member, ev->off, "%s", ev->msg);
	if (at >= rep->nanoms - 1)
		return;
	a = rep->anoms[rep->nanoms - 1];
	memmove(&rep->anoms[at + 1], &rep->anoms[at],
		(rep->nanoms - 1 - at) * sizeof(*rep->anoms));
	rep->anoms[at] = a;
}

/* A streamed member's chunk to the reader, cut to c->feed_chunk. */
static void
apply_chunk(struct apply_ctx *c, const unsigned char *p, size_t n)
{
	size_t k = c->feed_chunk ? c->feed_chunk : n;

	while (n > 0) {
		if (k > n)
			k = n;
		c->v->chunk(c->v->user, c->s_prep, p, k);
		p += k;
		n -= k;
	}
}

/* Apply ev to the report.  Owned strings move into the report (and are
 * set to NULL in ev) where the report keeps them. */
static void
apply(struct apply_ctx *c, struct ev *ev)
{
	struct imcq_report *rep = c->rep;

	switch (ev->kind) {
	case EV_ANOMALY:
		if (c->streaming)
			anomaly_late(c, ev);
		else
			anomaly_add(rep, ev->code, ev->sev, c->input, ev->member, ev->off,
				    "%s", ev->msg);
		break;
	case EV_UNREADABLE:
		rep->unreadable++;
		break;
	case EV_INV: {
		struct imcq_inv v;

		if (ev->idx != rep->ninv)
			BUG("ingest: inventory row out of step");
		memset(&v, 0, sizeof(v));
		v.input = c->input;
		v.member = ev->member;
		ev->member = NULL;
		v.size = ev->size;
		if (ev->have_sha)
			inv_set_sha256(&v, ev->sha);
		v.mtime = ev->mtime;
		v.kind = ev->ikind;
		v.place = (uint8_t)ev->place;
		report_add_inv(rep, &v);
		break;
	}
	case EV_INV_SET:
		if (ev->ikind)
			rep->inv[ev->idx].kind = ev->ikind;
		if (ev->parsed)
			rep->inv[ev->idx].parsed = true;
		break;
	case EV_ENTRY: {
		struct imcq_entry e = entry_of(ev, c->input, c->snapshot);

		c->v->entry(c->v->user, &e, ev->idx, ev->prep);
		ev->prep = NULL;
		break;
	}
	case EV_TICK:
		if (c->v->tick) {
			struct ingest_progress pr = { c->input, ev->size, ev->members,
						      ev->pos, ev->psize };

			c->v->tick(c->v->user, &pr);
		}
		break;
	case EV_MARK:
		c->mark = rep->nanoms;
		break;
	case EV_SBEGIN:
		c->s_member = ev->member;
		c->s_norm = ev->norm;
		ev->member = ev->norm = NULL;
		memset(&c->se, 0, sizeof(c->se));
		c->se.input = c->input;
		c->se.snapshot = c->snapshot;
		c->se.member = c->s_member;
		c->se.base = path_base(c->s_norm);
		c->se.place = ev->place;
		c->se.mtime = ev->mtime;
		c->s_prep = ev->prep;
		ev->prep = NULL;
		c->streaming = true;
		c->late = 0;
		c->v->begin(c->v->user, &c->se, ev->idx, c->s_prep);
		break;
	case EV_CHUNK:
		apply_chunk(c, ev->data, ev->len);
		break;
	case EV_SEND:
		rep->inv[ev->idx].size = ev->size;
		if (ev->have_sha)
			inv_set_sha256(&rep->inv[ev->idx], ev->sha);
		memcpy(c->s_sha, ev->sha, 65);
		c->se.size = ev->size;
		c->se.sha256 = ev->have_sha ? c->s_sha : NULL;
		c->streaming = false;
		c->v->end(c->v->user, &c->se, ev->idx, c->s_prep);
		c->s_prep = NULL;
		free(c->s_member);
		free(c->s_norm);
		c->s_member = c->s_norm = NULL;
		break;
	}
}

/* ---- the walk side: events out ---- */

/* Hand ev over: applied now (one thread; ownership stays with the caller
 * of emit for EV_ENTRY's borrowed data) or queued (ownership moves). */
static void
emit(struct walk *w, struct ev *ev)
{
	if (w->q) {
		size_t weight = ev->data ? ev->len : 0;

		if (ev->kind == EV_CHUNK)
			weight *= QUEUE_BYTES / STREAM_BYTES;
		workq_push(w->q, ev, weight);
		return;
	}
	apply(w->direct, ev);
	if (ev->kind == EV_ENTRY || ev->kind == EV_CHUNK)
		ev->data = NULL;	/* borrowed from the walk's buffer */
	ev_free(ev);
}

static struct ev *
ev_new(enum ev_kind kind)
{
	struct ev *ev = xcalloc(1, sizeof(*ev));

	ev->kind = kind;
	return ev;
}

/* A member's digest into ev: sha, or none when sha is NULL or "" (a run
 * that hashes no member: walk.nohash). */
static void
ev_set_sha(struct ev *ev, const char *sha)
{
	if (sha != NULL && sha[0] != '\0') {
		memcpy(ev->sha, sha, 65);
		ev->have_sha = true;
	}
}

static void w_anomaly(struct walk *w, const char *code, enum imcq_sev sev,
		      const char *member, uint64_t off, const char *fmt, ...)
	IMCQ_PRINTF(6, 7);

static void
w_anomaly(struct walk *w, const char *code, enum imcq_sev sev,
	  const char *member, uint64_t off, const char *fmt, ...)
{
	struct ev *ev = ev_new(EV_ANOMALY);
	char msg[1024];		/* anomaly_add's own bound */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev->code = code;
	ev->sev = sev;
	ev->member = member ? xstrdup(member) : NULL;
	ev->off = off;
	ev->msg = xstrdup(msg);
	emit(w, ev);
}

static void
w_unreadable(struct walk *w)
{
	emit(w, ev_new(EV_UNREADABLE));
}

static size_t
w_inv_add(struct walk *w, const char *member, uint64_t size, const char *sha,
	  int64_t mtime, const char *kind, enum imcq_place place)
{
	struct ev *ev = ev_new(EV_INV);
	size_t idx = w->inv_next++;

	ev->idx = idx;
	ev->member = xstrdup(member);
	ev->size = size;
	ev_set_sha(ev, sha);
	ev->mtime = mtime;
	ev->ikind = kind;
	ev->place = place;
	emit(w, ev);
	return idx;
}

static void
w_inv_set(struct walk *w, size_t idx, const char *kind, bool parsed)
{
	struct ev *ev = ev_new(EV_INV_SET);

	ev->idx = idx;
	ev->ikind = kind;
	ev->parsed = parsed;
	emit(w, ev);
}

/* Has the calling thread a backlog, so that the producer may do more of
 * the work (ingest_visit.prepare)?  IMCQ_INGEST_SPARE=always or never
 * decides instead, for tests: the output must not depend on it. */
static bool
spare(struct walk *w)
{
	if (w->q == NULL)
		return false;
	if (w->spare_mode != 0)
		return w->spare_mode > 0;
	return workq_backlog(w->q) >= QUEUE_ITEMS / 2;
}

/* The callback on a member; takes norm and head (what v->head returned);
 * data is b's (b may be NULL). */
static void
w_entry(struct walk *w, size_t idx, const char *stored, char *norm,
	enum imcq_place place, struct buf *b, uint64_t size, int64_t mtime,
	const char *sha, void *head)
{
	struct ev *ev = ev_new(EV_ENTRY);

	ev->idx = idx;
	ev->member = xstrdup(stored);
	ev->norm = norm;
	ev->place = place;
	if (b) {
		if (w->q) {
			ev->data = (unsigned char *)buf_detach(b, &ev->len);
		} else {
			ev->data = (unsigned char *)b->data;
			ev->len = b->len;
		}
	}
	ev->size = size;
	ev->mtime = mtime;
	ev_set_sha(ev, sha);
	if (w->v->prepare) {
		/* the entry the callback will see, on the walk's thread */
		struct imcq_entry e = entry_of(ev, w->input, w->snapshot);

		ev->prep = w->v->prepare(w->v->user, &e, spare(w), head);
	} else {
		ev->prep = head;
	}
	emit(w, ev);
}

static void
w_mark(struct walk *w)
{
	emit(w, ev_new(EV_MARK));
}

/* A streamed member begins; takes norm and head. */
static void
w_sbegin(struct walk *w, size_t idx, const char *stored, char *norm,
	 enum imcq_place place, int64_t mtime, void *head)
{
	struct ev *ev = ev_new(EV_SBEGIN);

	ev->idx = idx;
	ev->member = xstrdup(stored);
	ev->norm = norm;
	ev->place = place;
	ev->mtime = mtime;
	ev->prep = head;
	emit(w, ev);
}

/* A chunk of it (p is borrowed: copied when it is queued). */
static void
w_chunk(struct walk *w, const unsigned char *p, size_t n)
{
	struct ev *ev;

	if (n == 0)
		return;
	ev = ev_new(EV_CHUNK);
	if (w->q) {
		ev->data = xmalloc(n);
		memcpy(ev->data, p, n);
	} else {
		ev->data = (unsigned char *)p;
	}
	ev->len = n;
	emit(w, ev);
}

/* Its end: its size and SHA-256, for its inventory row and reader. */
static void
w_send(struct walk *w, size_t idx, uint64_t size, const char *sha)
{
	struct ev *ev = ev_new(EV_SEND);

	ev->idx = idx;
	ev->size = size;
	ev_set_sha(ev, sha);
	emit(w, ev);
}

static void
w_tick(struct walk *w)
{
	struct ev *ev = ev_new(EV_TICK);

	ev->size = w->total;
	ev->members = w->members;
	ev->pos = w->in_pos < w->in_size ? w->in_pos : w->in_size;
	ev->psize = w->in_size;
	emit(w, ev);
}

/* ---- the walk ---- */

static int read_archive(struct walk *w, struct archive *a, struct zipfast *zf, uint64_t produced,
			uint64_t skip,
			const char *prefix, unsigned depth, uint64_t packed_size,
			const char *label);

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

/* A member read whole, with its bytes in b (b NULL: too large to parse,
 * or the bytes are borrowed through data/len for ingest_memory); takes
 * norm and head (what v->head returned, or NULL). */
static void
member(struct walk *w, const char *stored, char *norm, bool susp, struct buf *b,
       const unsigned char *data, size_t len, uint64_t size, int64_t mtime,
       const char *sha, unsigned depth, void *head)
{
	enum imcq_place place = path_place(norm);
	size_t idx;

	if (b) {
		data = (const unsigned char *)b->data;
		len = b->len;
	}
	w->members++;
	if (susp)
		w_anomaly(w, "suspicious-path", IMCQ_SEV_WARNING, stored, IMCQ_NOOFF,
			  "member name is absolute or contains '..' (read in memory only; nothing is written)");
	if (data != NULL && ingest_is_archive(data, len)) {
		idx = w_inv_add(w, stored, size, sha, mtime, "archive", place);
		if (head && w->v->drop)
			w->v->drop(w->v->user, head);	/* not asked for archives */
		if (depth + 1 > w->lim.depth) {
			w_anomaly(w, "nesting-too-deep", IMCQ_SEV_WARNING, stored, 0,
				  "an archive at level %u (an INPUT archive is level 1) was not "
				  "opened: --max-depth is %u", depth + 1, w->lim.depth);
			w_unreadable(w);	/* a cap reached: exit 1 */
		} else {
			struct archive *a = archive_new_reader();
			char *prefix = xasprintf("%s!/", stored);

			if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
				w_anomaly(w, "archive-unreadable", IMCQ_SEV_WARNING, stored, 0,
					  "looks like an archive but cannot be opened: %s",
					  archive_error_string(a) ? archive_error_string(a) : "unknown error");
				w_inv_set(w, idx, "unknown", false);
				w_unreadable(w);
			} else {
				read_archive(w, a, NULL, 0, 0, prefix, depth + 1, len, stored);
				w_inv_set(w, idx, NULL, true);
			}
			archive_read_free(a);
			free(prefix);
		}
		free(norm);
	} else {
		idx = w_inv_add(w, stored, size, sha, mtime,
				data ? "unknown" : "too-large", place);
		if (data == NULL) {
			w_anomaly(w, "member-too-large", IMCQ_SEV_WARNING, stored, IMCQ_NOOFF,
				  "%llu bytes exceeds the parse limit of %llu bytes (--max-entry); hashed and listed, not parsed",
				  (unsigned long long)size,
				  (unsigned long long)w->lim.entry_bytes);
			w_unreadable(w);	/* a cap reached: exit 1 */
		}
		if (b || data == NULL) {
			w_entry(w, idx, stored, norm, place, b, size, mtime, sha, head);
		} else {
			/* borrowed bytes (ingest_memory: one thread only) */
			struct buf view = { .data = (char *)data, .len = len };

			w_entry(w, idx, stored, norm, place, &view, size, mtime, sha, head);
		}
	}
	if (w->ticks)
		w_tick(w);
}

static bool
budget(struct walk *w, uint64_t n, const char *where)
{
	if (n > w->lim.total_bytes - (w->total < w->lim.total_bytes ? w->total : w->lim.total_bytes)) {
		if (!w->stop)
			w_anomaly(w, "decompression-limit", IMCQ_SEV_ERROR, where, IMCQ_NOOFF,
				  "more than %llu bytes decompressed from this input (--max-total); the rest of the input was not read",
				  (unsigned long long)w->lim.total_bytes);
		w->stop = true;
		w_unreadable(w);
		return false;
	}
	w->total += n;
	return true;
}

/* What --max-total still allows from this input. */
static uint64_t
budget_left(const struct walk *w)
{
	return w->lim.total_bytes - (w->total < w->lim.total_bytes ? w->total : w->lim.total_bytes);
}

/* Where a member's bytes come from: an archive's current entry, a file,
 * or memory.  The reads hash them; an archive's also count against
 * --max-total and --max-ratio. */
struct mread {
	struct archive *a;
	unsigned char *ibuf;		/* the member inflated already (zipfast) */
	size_t ilen, ipos;
	int fd;				/* -1 when not a file */
	const unsigned char *mem;
	size_t memlen, mempos;
	const char *stored;		/* the member, for anomalies */
	const char *label;		/* the archive, for anomalies */
	uint64_t packed_size;
	uint64_t *produced;		/* bytes out of this archive so far */
	bool budgeted;			/* each piece counts against --max-total */
	struct imcq_sha256 h;
	uint64_t size;			/* bytes read */
	bool done;
	unsigned warnings;		/* libarchive's, for this member */
	int err;			/* a file's read() failed: errno */
	char sha[65];			/* after mread_end */
};

/* A member's bytes into its digest; its digest, or "" when the run
 * hashes no member (walk.nohash). */
static void
mread_hash(const struct walk *w, struct mread *r, const void *p, size_t n)
{
	if (!w->nohash)
		sha256_update(&r->h, p, n);
}

static void
mread_final(const struct walk *w, struct mread *r)
{
	if (w->nohash)
		r->sha[0] = '\0';
	else
		sha256_final(&r->h, r->sha);
}

/* How member_from counts a member against --max-total. */
enum budget_mode {
	BUDGET_PIECES,	/* piece by piece (archives: as they decompress) */
	BUDGET_AFTER,	/* once read, and only then listed (folders) */
	BUDGET_NONE,	/* never (a single file, memory): only counted */
};

/* Whether produced bytes out of an archive of packed_size bytes pass
 * --max-ratio. */
static bool
over_ratio(const struct walk *w, uint64_t produced, uint64_t packed_size)
{
	return produced > IMCQ_RATIO_FLOOR && packed_size > 0 &&
	       produced / packed_size > w->lim.ratio;
}

/* n bytes more out of an archive: counted against --max-total and
 * --max-ratio; false when either stops the reading (an anomaly says so). */
static bool
archive_piece(struct walk *w, struct mread *r, size_t n)
{
	if (r->budgeted && !budget(w, (uint64_t)n, r->stored))
		return false;
	*r->produced += (uint64_t)n;
	if (over_ratio(w, *r->produced, r->packed_size)) {
		w_anomaly(w, "decompression-bomb", IMCQ_SEV_ERROR, r->label, IMCQ_NOOFF,
			  "archive expands more than %u times its size (--max-ratio); reading stopped",
			  w->lim.ratio);
		w_unreadable(w);
		w->stop = true;
		return false;
	}
	return true;
}

/* The next piece of the member (*p, its length), hashed; 0 at its end or
 * when reading stopped (damage, --max-total, a bomb: an anomaly says so;
 * a file's read error: r->err). */
static size_t
mread_next(struct walk *w, struct mread *r, const unsigned char **p)
{
	if (r->done)
		return 0;
	if (r->ibuf) {
		/* inflated by zipfast, which the caller let read it only if
		 * neither --max-total nor --max-ratio stops within it */
		size_t n = r->ilen - r->ipos < CHUNK ? r->ilen - r->ipos : CHUNK;

		if (n > 0 && archive_piece(w, r, n)) {
			*p = r->ibuf + r->ipos;
			r->ipos += n;
			mread_hash(w, r, *p, n);
			r->size += n;
			return n;
		}
	} else if (r->a) {
		for (;;) {
			la_ssize_t n = archive_read_data(r->a, w->chunk, CHUNK);

			if (n == 0)
				break;
			if (n == ARCHIVE_WARN && ++r->warnings <= 4) {
				/* the data read, with a warning: a zip member's
				 * CRC-32 that does not match its bytes, above all */
				w_anomaly(w, "archive-warning", IMCQ_SEV_WARNING, r->stored, IMCQ_NOOFF,
					  "%s", archive_error_string(r->a) ?
					  archive_error_string(r->a) : "warning");
				continue;
			}
			if (n < 0) {
				w_anomaly(w, "member-damaged", IMCQ_SEV_ERROR, r->stored, r->size,
					  "member data unreadable after %llu bytes: %s",
					  (unsigned long long)r->size,
					  archive_error_string(r->a) ? archive_error_string(r->a) : "error");
				w_unreadable(w);
				break;
			}
			if (!archive_piece(w, r, (size_t)n))
				break;
			mread_hash(w, r, w->chunk, (size_t)n);
			r->size += (uint64_t)n;
			*p = w->chunk;
			return (size_t)n;
		}
	} else if (r->fd >= 0) {
		for (;;) {
			ssize_t n = read(r->fd, w->chunk, CHUNK);

			if (n == 0)
				break;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				r->err = errno;
				break;
			}
			if (r->budgeted && !budget(w, (uint64_t)n, r->stored))
				break;
			mread_hash(w, r, w->chunk, (size_t)n);
			r->size += (uint64_t)n;
			*p = w->chunk;
			return (size_t)n;
		}
	} else if (r->mempos < r->memlen) {
		size_t n = r->memlen - r->mempos < CHUNK ? r->memlen - r->mempos : CHUNK;

		*p = r->mem + r->mempos;
		r->mempos += n;
		mread_hash(w, r, *p, n);
		r->size += n;
		return n;
	}
	r->done = true;
	return 0;
}

/* The rest of a member to the reader that streams it, chunk by chunk
 * (the walk keeps none of it): first head (the bytes already read). */
static void
member_stream(struct walk *w, struct mread *r, const char *stored, char *norm,
	      bool susp, const struct buf *head, int64_t mtime, enum budget_mode mode,
	      void *prep)
{
	enum imcq_place place = path_place(norm);
	const unsigned char *p;
	size_t idx, n;

	w->members++;
	w_mark(w);
	if (susp)
		w_anomaly(w, "suspicious-path", IMCQ_SEV_WARNING, stored, IMCQ_NOOFF,
			  "member name is absolute or contains '..' (read in memory only; nothing is written)");
	idx = w_inv_add(w, stored, 0, NULL, mtime, "unknown", place);
	w_sbegin(w, idx, stored, norm, place, mtime, prep);
	w_chunk(w, (const unsigned char *)head->data, head->len);
	while ((n = mread_next(w, r, &p)) > 0)
		w_chunk(w, p, n);
	if (r->err) {
		/* a file that fails half-way: the reader has read what came
		 * before, as from an archive member cut short */
		w_anomaly(w, "member-damaged", IMCQ_SEV_ERROR, stored, r->size,
			  "member data unreadable after %llu bytes: %s",
			  (unsigned long long)r->size, strerror(r->err));
		w_unreadable(w);
	}
	mread_final(w, r);
	if (mode == BUDGET_NONE)
		w->total += r->size;
	w_send(w, idx, r->size, r->sha);
	if (w->ticks)
		w_tick(w);
}

/*
 * A member read from r (stored: its name as stored; declared: the size
 * its archive gives, or -1).  Its first HEAD_BYTES are read, and v->head
 * chooses its reader from them.  A reader that streams gets the member in
 * chunks, whatever its size (member_stream); any other member is read
 * whole into one buffer capped by --max-entry (member).  Returns 0, or -1
 * when a file's read() failed before anything was said of the member
 * (r->err: the caller reports it).
 */
static int
member_from(struct walk *w, struct mread *r, const char *stored, int64_t mtime,
	    int64_t declared, enum budget_mode mode, uint64_t file_size, unsigned depth)
{
	bool susp = false;
	char *norm = path_normalize(stored, &susp);
	uint64_t cap = w->lim.entry_bytes;
	const unsigned char *p;
	struct buf b;
	size_t n;
	bool toolarge;
	void *head = NULL;
	bool stream = false;

	if (!w->nohash)		/* mread_final() ends it */
		sha256_init(&r->h);
	r->budgeted = mode == BUDGET_PIECES;
	buf_init(&b, cap > HEAD_BYTES + CHUNK ? (size_t)cap : HEAD_BYTES + CHUNK);
	while (b.len < HEAD_BYTES && (n = mread_next(w, r, &p)) > 0)
		(void)buf_append(&b, p, n);
	if (r->err)
		goto fail;
	/* a folder's file streams only if --max-total allows all of it, so
	 * that it is listed exactly when a whole read would list it */
	if (w->v->head && !ingest_is_archive((const unsigned char *)b.data, b.len) &&
	    (mode != BUDGET_AFTER || (file_size <= budget_left(w) && b.len <= budget_left(w)))) {
		struct imcq_entry e = {
			.input = w->input,
			.snapshot = w->snapshot,
			.member = stored,
			.base = path_base(norm),
			.place = path_place(norm),
			.data = (const unsigned char *)b.data,
			.len = b.len,
			.size = r->size,	/* so far */
			.mtime = mtime,
			.sha256 = NULL,
		};

		head = w->v->head(w->v->user, &e, &stream);
		if (w->whole)
			stream = false;
	}
	if (stream) {
		if (mode == BUDGET_AFTER) {
			(void)budget(w, b.len, stored);		/* fits: checked above */
			r->budgeted = true;
		}
		member_stream(w, r, stored, norm, susp, &b, mtime, mode, head);
		buf_release(&b);
		return 0;
	}
	if (r->mem) {
		/* whole, in memory already: hash the rest, lend the bytes */
		while (mread_next(w, r, &p) > 0)
			;
		mread_final(w, r);
		w->total += r->size;
		buf_release(&b);
		member(w, stored, norm, susp, NULL, r->size <= cap ? r->mem : NULL,
		       r->memlen, r->size, mtime, r->sha, depth, head);
		return 0;
	}
	toolarge = b.len > cap;
	if (r->ibuf != NULL && !toolarge && r->ilen <= cap) {
		/* issue #9: inflated whole already (zipfast): the rest is
		 * hashed and counted at once, and the buffer is taken as it
		 * is instead of copied piece by piece */
		size_t rest = r->ilen - r->ipos;

		if (rest == 0 || archive_piece(w, r, rest)) {
			mread_hash(w, r, r->ibuf + r->ipos, rest);
			r->size += rest;
			buf_release(&b);
			buf_adopt(&b, (char *)r->ibuf, r->ilen, cap);
			r->ibuf = NULL;
			r->done = true;
		}
	}
	/* the size the archive declares, when it is one (capped; a false one
	 * only moves when the buffer grows) */
	if (!toolarge && declared > (int64_t)CHUNK)
		buf_reserve(&b, (uint64_t)declared < cap ? (size_t)declared : (size_t)cap);
	while ((n = mread_next(w, r, &p)) > 0) {
		if (toolarge)
			continue;
		if (n > cap - b.len)
			toolarge = true;
		else
			(void)buf_append(&b, p, n);
	}
	if (r->err)
		goto fail;
	mread_final(w, r);
	if (mode == BUDGET_NONE)
		w->total += r->size;
	if (mode == BUDGET_AFTER && !budget(w, r->size, stored)) {
		/* not listed, as before streaming */
		if (head && w->v->drop)
			w->v->drop(w->v->user, head);
		free(norm);
	} else {
		member(w, stored, norm, susp, toolarge ? NULL : &b, NULL, 0, r->size, mtime,
		       r->sha, depth, head);
	}
	buf_release(&b);
	return 0;
fail:
	mread_final(w, r);	/* the digest of a member cut short: dropped */
	if (head && w->v->drop)
		w->v->drop(w->v->user, head);
	free(norm);
	buf_release(&b);
	return -1;
}

/* Whether s is plain ASCII (and so its own UTF-8). */
static bool
ascii_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/*
 * Member names.  libarchive converts a name to the current locale's
 * character set as it reads the header; in imcq's "C" locale a zip name
 * flagged UTF-8 ("é") cannot be converted, and libarchive then keeps no
 * form of it at all (the member was listed "(unnamed)").  So the headers
 * are read under a UTF-8 LC_CTYPE, for this thread only (uselocale):
 * flagged names arrive as UTF-8, and a name stored in a legacy code page
 * (a zip without the flag, usually CP437) arrives as its own bytes, which
 * the reports print with KEY_raw -- imcq does not guess the code page.
 */
static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static locale_t names_locale;

static void
names_locale_init(void)
{
	names_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The next header of a, and its name as stored (NULL when it has none);
 * the name lives until the next call. */
static int
next_header(struct archive *a, struct archive_entry **ent, const char **name)
{
	locale_t prev = (locale_t)0;
	int r;

	pthread_once(&names_once, names_locale_init);
	if (names_locale != (locale_t)0)
		prev = uselocale(names_locale);
	r = archive_read_next_header(a, ent);
	*name = NULL;
	if (r >= ARCHIVE_WARN) {
		/* An ASCII name is its own UTF-8: asking libarchive for the
		 * UTF-8 form would open an iconv converter for every member
		 * (libarchive 3.6 does not keep it), ~2 % of the reading
		 * thread (issue #9). */
		*name = archive_entry_pathname(*ent);
		if (*name == NULL || !ascii_only(*name)) {
			const char *u = archive_entry_pathname_utf8(*ent);

			if (u != NULL)
				*name = u;
		}
	}
	if (prev != (locale_t)0)
		uselocale(prev);
	return r;
}

/* Whether a member of size more bytes out of this archive would pass
 * --max-total or --max-ratio (the fast path leaves such a member to the
 * piece-by-piece read, which stops where the limit is reached). */
static bool
limits_allow(const struct walk *w, uint64_t produced, uint64_t packed_size, uint64_t size)
{
	return size <= budget_left(w) && !over_ratio(w, produced + size, packed_size);
}

/* A reader of archive member stored (label: its archive, of packed_size
 * bytes; produced: the bytes out of it so far) whose bytes are inflated
 * at once by zf when zm allows it and neither --max-entry, --max-total
 * nor --max-ratio stops within it (mr->ibuf; else NULL, and the caller
 * sets mr->a). */
static void
mread_zip(struct walk *w, struct mread *mr, const char *stored, const char *label,
	  uint64_t packed_size, uint64_t *produced, struct zipfast *zf,
	  const struct zipfast_member *zm)
{
	memset(mr, 0, sizeof(*mr));
	mr->fd = -1;
	mr->stored = stored;
	mr->label = label;
	mr->packed_size = packed_size;
	mr->produced = produced;
	if (zf != NULL && zm->usable && zm->size <= w->lim.entry_bytes &&
	    limits_allow(w, *produced, packed_size, zm->size)) {
		mr->ibuf = zipfast_read(zf, zm);
		mr->ilen = (size_t)zm->size;
	}
}

/* Whether an archive's next member would pass --max-members: then an
 * anomaly says so, and the walk stops. */
static bool
member_limit_hit(struct walk *w, const char *label)
{
	if (w->members < w->lim.members)
		return false;
	w_anomaly(w, "member-limit", IMCQ_SEV_ERROR, label, IMCQ_NOOFF,
		  "more than %u members (--max-members); the rest was not read", w->lim.members);
	w_unreadable(w);
	w->stop = true;
	return true;
}

/* zf: the zip file's own index followed beside libarchive (zipfast.h), or
 * NULL.  produced, skip: the walk by the index gave the first skip
 * members, produced bytes out of this archive; a reads on after them. */
static int
read_archive(struct walk *w, struct archive *a, struct zipfast *zf, uint64_t produced,
	     uint64_t skip, const char *prefix, unsigned depth, uint64_t packed_size,
	     const char *label)
{
	struct archive_entry *ent;
	struct zipfast_member zm = { 0 };
	unsigned retries = 0;

	while (!w->stop) {
		const char *name;
		int r = next_header(a, &ent, &name);
		char *stored;
		int64_t mtime;
		mode_t type;

		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY && ++retries < 16)
			continue;
		if (r < ARCHIVE_WARN) {
			w_anomaly(w, "archive-damaged", IMCQ_SEV_ERROR, label, IMCQ_NOOFF,
				  "cannot read further in the archive: %s",
				  archive_error_string(a) ? archive_error_string(a) : "unknown error");
			w_unreadable(w);
			return IMCQ_WARN;
		}
		if (zf != NULL) {
			if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
				zipfast_step(zf, name, archive_entry_size_is_set(ent) ?
					     (int64_t)archive_entry_size(ent) : -1, &zm);
			else
				zf = NULL;	/* not a zip after all: libarchive alone */
		}
		if (skip > 0) {
			skip--;
			continue;
		}
		if (depth == 1 && w->ticks)	/* the INPUT's bytes read so far */
			w->in_pos = (uint64_t)archive_filter_bytes(a, -1);
		if (name == NULL || *name == '\0')
			name = "(unnamed)";
		if (r == ARCHIVE_WARN)
			w_anomaly(w, "archive-warning", IMCQ_SEV_INFO, label, IMCQ_NOOFF,
				  "%s: %s", name,
				  archive_error_string(a) ? archive_error_string(a) : "warning");
		stored = xasprintf("%s%s", prefix, name);
		mtime = archive_entry_mtime_is_set(ent) ? (int64_t)archive_entry_mtime(ent) : IMCQ_NOTIME;
		type = archive_entry_filetype(ent);
		if (member_limit_hit(w, label)) {
			free(stored);
			break;
		}
		if (type == AE_IFDIR) {
			/* a member too: its name and time are evidence (a folder
			 * of a copied Imcdata, created when the backup was made) */
			w_inv_add(w, stored, 0, NULL, mtime, "directory", path_place(stored));
			w->members++;
			free(stored);
			continue;
		}
		if (archive_entry_hardlink(ent) != NULL || type == AE_IFLNK ||
		    (type != AE_IFREG && type != 0)) {
			const char *what = archive_entry_hardlink(ent) ? "hard link" :
					   type == AE_IFLNK ? "symbolic link" : "special file";

			w_inv_add(w, stored, 0, NULL, mtime, "link", path_place(stored));
			w_anomaly(w, "link-refused", IMCQ_SEV_WARNING, stored, IMCQ_NOOFF,
				  "%s member not followed (target '%s')",
				  what, archive_entry_hardlink(ent) ? archive_entry_hardlink(ent) :
				  archive_entry_symlink(ent) ? archive_entry_symlink(ent) : "");
			w->members++;
			free(stored);
			continue;
		}
		if (archive_entry_is_encrypted(ent)) {
			w_inv_add(w, stored, (uint64_t)archive_entry_size(ent), NULL, mtime,
				  "encrypted", path_place(stored));
			w_anomaly(w, "member-encrypted", IMCQ_SEV_ERROR, stored, IMCQ_NOOFF,
				  "encrypted member cannot be read");
			w_unreadable(w);
			w->members++;
			free(stored);
			continue;
		}
		{
			struct mread mr;

			mread_zip(w, &mr, stored, label, packed_size, &produced,
				  r == ARCHIVE_OK ? zf : NULL, &zm);
			mr.a = a;
			(void)member_from(w, &mr, stored, mtime,
					  archive_entry_size_is_set(ent) ? (int64_t)archive_entry_size(ent) : -1,
					  BUDGET_PIECES, 0, depth);
			free(mr.ibuf);
		}
		free(stored);
	}
	return IMCQ_OK;
}

/*
 * The walk by the index (zipfast.h; issue #9, round 12).  A member that
 * zipfast does not inflate (over ZIPFAST_MAX, over a limit, or whose
 * bytes libdeflate does not read to the record's size and CRC-32) is read
 * by libarchive's streaming zip reader from its local header on: the same
 * functions of libarchive read the same bytes as its seekable reader
 * would (the local header has the record's fields: zipfast_next checked
 * them), with the same errors and warnings, and without the seekable
 * reader's record of every member.
 */
struct zwindow {
	int fd;
	uint64_t pos, end;
	unsigned char buf[1 << 16];
};

static la_ssize_t
zwindow_read(struct archive *a, void *user, const void **out)
{
	struct zwindow *z = user;
	size_t n = z->end - z->pos < sizeof(z->buf) ? (size_t)(z->end - z->pos) : sizeof(z->buf);
	ssize_t r;

	if (n == 0)
		return 0;
	do
		r = pread(z->fd, z->buf, n, (off_t)z->pos);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "read error: %s", strerror(errno));
		return -1;
	}
	z->pos += (uint64_t)r;
	*out = z->buf;
	return r;
}

static int
zwindow_close(struct archive *a, void *user)
{
	(void)a;
	free(user);
	return ARCHIVE_OK;
}

/* libarchive on the member e whose local header is at local, positioned
 * at its data; NULL when its entry is not e as the walk gave it. */
static struct archive *
zwindow_open(struct zipfast *zf, uint64_t local, const struct zipfast_entry *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct zwindow *z;
	const char *name;

	if (a == NULL)
		imcq_die("out of memory (libarchive)");
	archive_read_support_format_zip_streamable(a);
	z = xcalloc(1, sizeof(*z));
	z->fd = zipfast_fd(zf);
	z->pos = local;
	z->end = zipfast_size(zf);
	if (archive_read_open(a, z, NULL, zwindow_read, zwindow_close) != ARCHIVE_OK ||
	    next_header(a, &ent, &name) != ARCHIVE_OK || name == NULL ||
	    strcmp(name, e->name) != 0 || !archive_entry_size_is_set(ent) ||
	    (uint64_t)archive_entry_size(ent) != e->size ||
	    archive_entry_filetype(ent) != AE_IFREG || archive_entry_is_encrypted(ent)) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* One member the walk by the index gave; false when its bytes need
 * libarchive's own reader (nothing was said of the member yet). */
static bool
index_entry(struct walk *w, struct zipfast *zf, const struct zipfast_entry *e,
	    const struct zipfast_member *zm, const char *label, uint64_t packed_size,
	    uint64_t *produced)
{
	struct archive *wa = NULL;
	struct mread mr;
	char *stored;

	if (member_limit_hit(w, label))
		return true;
	stored = xstrdup(e->name);
	w->in_pos = zm->local + zm->csize;	/* progress: past this member */
	if (e->dir) {
		w_inv_add(w, stored, 0, NULL, e->mtime, "directory", path_place(stored));
		w->members++;
		free(stored);
		return true;
	}
	mread_zip(w, &mr, stored, label, packed_size, produced, zf, zm);
	if (mr.ibuf == NULL) {
		wa = zwindow_open(zf, zm->local, e);
		if (wa == NULL) {
			zipfast_doubt(zf);
			free(stored);
			return false;
		}
		mr.a = wa;
	}
	(void)member_from(w, &mr, stored, e->mtime, (int64_t)e->size, BUDGET_PIECES, 0, 1);
	free(mr.ibuf);
	if (wa != NULL)
		archive_read_free(wa);
	free(stored);
	return true;
}

/* libarchive's reader on the archive INPUT at path, or NULL after an
 * anomaly: the input was read (hashed, listed) and its content is
 * damaged, so the run exits 1 with its report, not 3. */
static struct archive *
open_input_archive(struct walk *w, const char *path)
{
	struct archive *a = archive_new_reader();

	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK)
		return a;
	w_anomaly(w, "archive-unreadable", IMCQ_SEV_ERROR, NULL, 0, "cannot open archive: %s",
		  archive_error_string(a) ? archive_error_string(a) : "unknown error");
	w_unreadable(w);
	archive_read_free(a);
	return NULL;
}

/*
 * Walk the zip INPUT at path by its index (zf: zipfast_walkable), then,
 * if a member's local header disagrees with its record, read on from
 * that member with libarchive's reader as job_walk would have from the
 * start (the members before it were given exactly as it gives them).
 */
static void
read_zip_index(struct walk *w, struct zipfast *zf, const char *path, uint64_t packed_size,
	       const char *label)
{
	struct zipfast_entry e;
	struct zipfast_member zm;
	uint64_t produced = 0, k = 0;
	struct archive *a;
	struct zipfast *zs;

	while (!w->stop) {
		enum zipfast_next rc = zipfast_next(zf, &e, &zm);

		if (rc == ZIPFAST_END)
			return;
		if (rc == ZIPFAST_DOUBT || !index_entry(w, zf, &e, &zm, label, packed_size, &produced))
			break;
		k++;
	}
	if (w->stop || (a = open_input_archive(w, path)) == NULL)
		return;
	/* past the members the walk gave, with zipfast's cursor beside */
	zs = zipfast_open(path, packed_size);
	read_archive(w, a, zs, produced, k, "", 1, packed_size, label);
	zipfast_close(zs);
	archive_read_free(a);
}

/* Whether libarchive, on the archive INPUT a just opened, reads it as the
 * zip whose index zf walks: its first entry, read without a warning, is
 * the index's first record (this reads libarchive's whole index, which
 * the caller then frees). */
static bool
zip_first_agrees(struct archive *a, struct zipfast *zf)
{
	struct archive_entry *ent;
	const char *name;

	return next_header(a, &ent, &name) == ARCHIVE_OK &&
	       (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP &&
	       archive_filter_count(a) == 1 && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE &&
	       name != NULL && zipfast_first_is(zf, name);
}

/* Hash the whole file open at fd (path names it in errors), then close
 * fd: an archive INPUT's digest. */
static int
hash_fd(int fd, const char *path, char sha[65], struct imcq_err *err)
{
	struct imcq_sha256 h;
	unsigned char *chunk;

	chunk = xmalloc(CHUNK);
	sha256_init(&h);
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
	}
	sha256_final(&h, sha);
	free(chunk);
	close(fd);
	return IMCQ_OK;
}

/* A file to read as a member: its reader, or -1 (errno) when it cannot
 * be opened. */
static int
open_member(const char *path, struct mread *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_NOCTTY);
	return r->fd;
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
		w_anomaly(w, "unreadable", IMCQ_SEV_ERROR, rel[0] ? rel : ".",
			  IMCQ_NOOFF, "cannot open directory: %s", strerror(errno));
		w_unreadable(w);
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
			w_anomaly(w, "unreadable", IMCQ_SEV_ERROR, r,
				  IMCQ_NOOFF, "cannot stat: %s", strerror(errno));
			w_unreadable(w);
		} else if (S_ISDIR(st.st_mode)) {
			if (level + 1 >= DIR_DEPTH_MAX)
				w_anomaly(w, "nesting-too-deep", IMCQ_SEV_WARNING, r, IMCQ_NOOFF,
					  "directory deeper than %d levels not read", DIR_DEPTH_MAX);
			else
				walk_dir(w, root, r, level + 1);
		} else if (S_ISREG(st.st_mode)) {
			struct mread mr;
			struct imcq_err e = { 0 };

			if (w->members >= w->lim.members) {
				w_anomaly(w, "member-limit", IMCQ_SEV_ERROR, r, IMCQ_NOOFF,
					  "more than %u members (--max-members)", w->lim.members);
				w_unreadable(w);
				w->stop = true;
			} else {
				if (open_member(full, &mr) < 0) {
					imcq_err_set(&e, IMCQ_SKIP, "cannot open '%s': %s", full,
						     strerror(errno));
				} else {
					mr.stored = r;
					if (member_from(w, &mr, r, (int64_t)st.st_mtime, -1,
							BUDGET_AFTER, (uint64_t)st.st_size, 0) != 0)
						imcq_err_set(&e, IMCQ_SKIP, "cannot read '%s': %s", full,
							     strerror(mr.err));
					close(mr.fd);
				}
				if (e.msg[0]) {
					w_inv_add(w, r, (uint64_t)st.st_size, NULL, (int64_t)st.st_mtime,
						  "unreadable", path_place(r));
					w_anomaly(w, "unreadable", IMCQ_SEV_ERROR, r, IMCQ_NOOFF,
						  "%s", e.msg);
					w_unreadable(w);
				}
			}
		} else {
			w_inv_add(w, r, 0, NULL, (int64_t)st.st_mtime,
				  S_ISLNK(st.st_mode) ? "link" : "special", path_place(r));
			w_anomaly(w, "link-refused", IMCQ_SEV_INFO, r, IMCQ_NOOFF, "%s not followed",
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
		char hex[65];

		if (rep->inv[i].input != input)
			continue;
		inv_sha256_hex(&rep->inv[i], hex);
		sha256_update(&h, rep->inv[i].member, strlen(rep->inv[i].member));
		sha256_update(&h, "\t", 1);
		sha256_update(&h, hex, strlen(hex));
		sha256_update(&h, "\n", 1);
	}
	sha256_final(&h, out);
}

/* ---- one INPUT: the part that may run in the producer thread ---- */

struct job {
	struct walk w;
	const char *path;
	bool is_dir;
	uint64_t st_size;
	/* results, read by the calling thread after the walk */
	int rc;
	bool have_sha;
	char sha[65];
	struct imcq_err err;
};

/* The digest of an archive input, taken beside its walk. */
struct input_hash {
	const char *path;
	int fd;
	int rc;
	char sha[65];
	struct imcq_err err;
};

static void *
input_hash_main(void *arg)
{
	struct input_hash *h = arg;

	h->rc = hash_fd(h->fd, h->path, h->sha, &h->err);
	return NULL;
}

/* j's input could not be read: err says why (ingest_input returns it). */
static void
job_skip(struct job *j, const struct imcq_err *err)
{
	j->err = *err;
	w_unreadable(&j->w);
	j->rc = IMCQ_SKIP;
}

static void
job_walk(struct job *j)
{
	struct walk *w = &j->w;
	struct archive *a;
	struct input_hash h = { .path = j->path, .rc = IMCQ_OK };
	pthread_t htid;
	bool beside = false;

	if (j->is_dir) {
		walk_dir(w, j->path, "", 0);
		return;
	}
	h.fd = open(j->path, O_RDONLY | O_NOCTTY);
	if (h.fd < 0) {
		imcq_err_set(&h.err, IMCQ_SKIP, "cannot open '%s': %s", j->path, strerror(errno));
		job_skip(j, &h.err);
		return;
	}
	/* Issue #9: the whole archive is hashed (its provenance) while its
	 * members are read, in a thread of its own when the walk has one
	 * (the thread that applies the walk's events waits for the first
	 * message meanwhile): ~0.2 s a 200 MB archive, once before any
	 * member.  A read error of the hash (the file could be opened) is
	 * reported after the walk: the members read stay listed. */
	if (w->nohash)
		close(h.fd);	/* opened all the same: the same refusals */
	else if (w->q != NULL && pthread_create(&htid, NULL, input_hash_main, &h) == 0)
		beside = true;
	else
		input_hash_main(&h);
	if (!beside && h.rc != IMCQ_OK) {
		job_skip(j, &h.err);
		return;
	}
	{
		const char *b = strrchr(j->path, '/');
		const char *label = b ? b + 1 : j->path;
		struct zipfast *zf = zipfast_open(j->path, j->st_size);

		w->in_size = j->st_size;	/* progress: a share of the archive */
		a = open_input_archive(w, j->path);
		if (a != NULL && zipfast_walkable(zf)) {
			/* issue #9: libarchive's record of every member is
			 * freed once it agrees on the first (~150 MiB at a
			 * million members), and given back to the system at
			 * once: else the process holds those pages until
			 * the heap next gives back (the records of the first
			 * 180,000 messages took them over at 1M) */
			bool agrees;

			xgive_back(true);
			agrees = zip_first_agrees(a, zf);
			archive_read_free(a);
			xgive_back(false);
			if (agrees) {
				read_zip_index(w, zf, j->path, j->st_size, label);
				a = NULL;
			} else {
				a = open_input_archive(w, j->path);
			}
		}
		if (a != NULL) {
			read_archive(w, a, zf, 0, 0, "", 1, j->st_size, label);
			archive_read_free(a);
		}
		zipfast_close(zf);
	}
	if (beside && pthread_join(htid, NULL) != 0)
		BUG("pthread_join");
	if (h.rc != IMCQ_OK) {
		job_skip(j, &h.err);
	} else if (!w->nohash) {
		memcpy(j->sha, h.sha, sizeof(j->sha));
		j->have_sha = true;
	}
}

static void *
producer_main(void *arg)
{
	struct job *j = arg;

	job_walk(j);
	workq_close(j->w.q);
	return NULL;
}

/* Run the walk of j: in this thread (threads <= 1), or in a producer
 * thread while this one applies its events. */
static void
job_run(struct job *j, struct apply_ctx *c, unsigned threads)
{
	pthread_t tid;
	struct ev *ev;

	j->w.inv_next = c->rep->ninv;
	if (threads >= 2) {
		j->w.q = workq_new(QUEUE_ITEMS, QUEUE_BYTES);
		if (pthread_create(&tid, NULL, producer_main, j) == 0) {
			while ((ev = workq_pop(j->w.q, NULL)) != NULL) {
				apply(c, ev);
				ev_free(ev);
			}
			if (pthread_join(tid, NULL) != 0)
				BUG("pthread_join");
			workq_free(j->w.q);
			j->w.q = NULL;
			return;
		}
		/* no thread to be had: walk here */
		workq_free(j->w.q);
		j->w.q = NULL;
	}
	j->w.direct = c;
	job_walk(j);
}

int
ingest_input(struct imcq_report *rep, const char *path, int snapshot,
	     const struct ingest_visit *v, unsigned threads, struct imcq_err *err)
{
	struct apply_ctx c = { .rep = rep, .snapshot = snapshot, .v = v,
			       .feed_chunk = feed_chunk_env() };
	struct job j;
	struct imcq_input in;
	struct stat st;
	size_t first = rep->ninv;
	int rc = IMCQ_OK;

	memset(&j, 0, sizeof(j));
	j.w.lim = rep->lim;
	j.w.v = v;
	j.w.snapshot = snapshot;
	j.w.ticks = v->tick != NULL;
	j.w.whole = whole_env();
	j.w.nohash = rep->no_hashes;
	{
		const char *sm = getenv("IMCQ_INGEST_SPARE");

		if (sm && strcmp(sm, "always") == 0)
			j.w.spare_mode = 1;
		else if (sm && strcmp(sm, "never") == 0)
			j.w.spare_mode = -1;
	}
	j.path = path;
	memset(&in, 0, sizeof(in));
	in.path = xstrdup(path);
	in.snapshot = snapshot;
	in.mtime = IMCQ_NOTIME;
	VEC_PUSH(rep->inputs, rep->ninputs, rep->inputcap, in);
	c.input = j.w.input = (int)(rep->ninputs - 1);

	if (stat(path, &st) != 0) {
		rep->inputs[c.input].kind = "file";
		anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, c.input, NULL,
			    IMCQ_NOOFF, "cannot read '%s': %s", path, strerror(errno));
		rep->unreadable++;
		return imcq_err_set(err, IMCQ_SKIP, "cannot read '%s': %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		/* a pipe, a socket or a device: an input is hashed and then
		 * read again (its readers, libarchive's seekable zip), which a
		 * stream cannot give, and opening a FIFO with no writer would
		 * hang.  Refused before it is opened, never read half. */
		const char *what = S_ISFIFO(st.st_mode) ? "a pipe" :
				   S_ISSOCK(st.st_mode) ? "a socket" :
				   S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" :
				   "not a regular file";

		rep->inputs[c.input].kind = "file";
		anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, c.input, NULL, IMCQ_NOOFF,
			    "'%s' is %s, not a file or a folder: save the stream to a file "
			    "first (imcq hashes an input and reads it twice)", path, what);
		rep->unreadable++;
		return imcq_err_set(err, IMCQ_SKIP, "'%s' is %s, not a file or a folder: save "
				    "the stream to a file first (imcq hashes an input and reads it "
				    "twice)", path, what);
	}
	rep->inputs[c.input].mtime = (int64_t)st.st_mtime;
	j.w.chunk = xmalloc(CHUNK);
	if (S_ISDIR(st.st_mode)) {
		rep->inputs[c.input].kind = "directory";
		j.is_dir = true;
		job_run(&j, &c, threads);
		if (!rep->no_hashes)
			dir_digest(rep, c.input, first, rep->inputs[c.input].sha256);
		rep->inputs[c.input].size = j.w.total;
	} else {
		unsigned char head[40 * 1024];
		ssize_t hn;
		int fd = open(path, O_RDONLY | O_NOCTTY);

		if (fd < 0) {
			rep->inputs[c.input].kind = "file";
			anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, c.input, NULL,
				    IMCQ_NOOFF, "cannot open '%s': %s", path, strerror(errno));
			rep->unreadable++;
			free(j.w.chunk);
			return imcq_err_set(err, IMCQ_SKIP, "cannot open '%s': %s", path, strerror(errno));
		}
		hn = read(fd, head, sizeof(head));
		close(fd);
		rep->inputs[c.input].size = (uint64_t)st.st_size;
		if (hn > 0 && ingest_is_archive(head, (size_t)hn)) {
			rep->inputs[c.input].kind = "archive";
			j.st_size = (uint64_t)st.st_size;
			job_run(&j, &c, threads);
			if (j.have_sha)
				memcpy(rep->inputs[c.input].sha256, j.sha, 65);
			if (j.rc != IMCQ_OK) {
				if (err)
					*err = j.err;
				rc = j.rc;
			}
		} else {
			/* one member: nothing to overlap, walk it here */
			const char *base = strrchr(path, '/');
			struct mread mr;
			struct imcq_err e = { 0 };

			rep->inputs[c.input].kind = "file";
			j.w.direct = &c;
			j.w.inv_next = rep->ninv;
			if (open_member(path, &mr) < 0) {
				imcq_err_set(&e, IMCQ_SKIP, "cannot open '%s': %s", path, strerror(errno));
			} else {
				mr.stored = base ? base + 1 : path;
				if (member_from(&j.w, &mr, mr.stored, (int64_t)st.st_mtime, -1,
						BUDGET_NONE, (uint64_t)st.st_size, 0) != 0)
					imcq_err_set(&e, IMCQ_SKIP, "cannot read '%s': %s", path,
						     strerror(mr.err));
				else if (mr.err == 0)	/* not read to its end: no digest */
					memcpy(rep->inputs[c.input].sha256, mr.sha, 65);
				close(mr.fd);
			}
			if (e.msg[0]) {
				if (err)
					*err = e;
				anomaly_add(rep, "input-unreadable", IMCQ_SEV_ERROR, c.input, NULL,
					    IMCQ_NOOFF, "%s", e.msg);
				rep->unreadable++;
				rc = IMCQ_SKIP;
			}
		}
	}
	free(j.w.chunk);
	return rc;
}

/* ingest_memory's callback, through the visit interface. */
struct plain_cb {
	ingest_cb cb;
	void *user;
};

static void
plain_entry(void *user, const struct imcq_entry *e, size_t inv_index, void *prep)
{
	const struct plain_cb *p = user;

	(void)prep;
	p->cb(p->user, e, inv_index);
}

int
ingest_memory(struct imcq_report *rep, const char *name, const unsigned char *p,
	      size_t n, ingest_cb cb, void *user)
{
	struct plain_cb pc = { cb, user };
	struct ingest_visit v = { .entry = plain_entry, .user = &pc };

	return ingest_memory_visit(rep, name, p, n, &v);
}

int
ingest_memory_visit(struct imcq_report *rep, const char *name, const unsigned char *p,
		    size_t n, const struct ingest_visit *v)
{
	struct apply_ctx c = { .rep = rep, .v = v, .feed_chunk = feed_chunk_env() };
	struct walk w = { .direct = &c, .lim = rep->lim, .v = v, .whole = whole_env() };
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
	c.input = w.input = (int)(rep->ninputs - 1);
	w.inv_next = rep->ninv;
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
			read_archive(&w, a, NULL, 0, 0, "", 1, (uint64_t)n, name);
		}
		archive_read_free(a);
	} else {
		struct mread mr;

		rep->inputs[w.input].kind = "file";
		memset(&mr, 0, sizeof(mr));
		mr.fd = -1;
		mr.mem = p;
		mr.memlen = n;
		mr.stored = name;
		(void)member_from(&w, &mr, name, IMCQ_NOTIME, -1, BUDGET_NONE, n, 0);
	}
	free(w.chunk);
	return rc;
}
