/* SPDX-License-Identifier: MIT */
/*
 * tracking.c - Exchange 4.0/5.x message tracking logs,
 * Exchsrvr\Tracking.log\YYYYMMDD.log.
 *
 * What is documented:
 *   - One file per day, named by its creation date in GMT; tab-delimited
 *     text; every time in GMT (Q173280, Q153188, Q246136).
 *   - Fields, in order (Q173280): 1 Message ID or MTS-ID, 2 event number,
 *     3 date/time (GMT), 4 gateway name (blank if none), 5 partner name,
 *     6 remote ID (the gateway's message ID), 7 originator DN, 8 priority
 *     (0 normal, 1 high, -1 low), 9 length in bytes, 10 seconds (0 or
 *     blank), 11 cost (always 1), 12 subject-ID or report MTS-ID (blank for
 *     normal messages), 13 number of recipients, 14 recipient name
 *     ("separated from the previous field by a linefeed", repeated per
 *     recipient), 15 recipient report status (0 delivered, 1 not; reports
 *     only, repeated per recipient).
 *   - Date/time as "1996.7.1 17:30:48": yyyy.m.d h:mm:ss without zero
 *     padding, even "18:32:9" (Q153188).
 *   - For an IMS event the remote ID is "<message-id>[SPOOLID]", the
 *     bracketed token being the spool file name (Q153188 sample
 *     "<...@tamraj.microsoft.com>[PBZ70AAB]").
 *   - Event numbers and meanings (Q173364; 4.0 subset Q174078): see the
 *     table below; 1010-1018 are the IMS events new in 5.0.
 *
 * What is guessed (NEEDSWORK: confirm on real logs):
 *   - A record starts with a line whose second tab field is a number and
 *     whose third is a yyyy.m.d date (or that has at least 8 fields).
 *     Any other line after a record continues it: its tab fields are more
 *     recipient names, so both layouts (all recipients on the record line,
 *     or one per following line) read the same.
 *   - Among the recipient fields a lone "0" or "1" is a report status of
 *     the recipient before it; statuses are summarised in the event text.
 *   - A date and a time in two fields ("1996.7.1<TAB>17:30:48") are joined.
 *   - Lines before the first record (a header or comment) are skipped with
 *     an informational anomaly.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "formats/textline.h"

#define HEAD_FIELDS	13	/* fields 1..13 before the recipients */
#define NOTES_REPORTED	5	/* header/orphan lines reported one by one */

/* Event meanings (Q173364, Q174078). */
static const struct {
	int no;
	const char *what;
} events[] = {
	{ 0, "message transfer in" }, { 1, "probe transfer in" },
	{ 2, "report transfer in" }, { 4, "message submission" },
	{ 5, "probe submission" }, { 6, "probe transfer out" },
	{ 7, "message transfer out" }, { 8, "report transfer out" },
	{ 9, "message delivered" }, { 10, "report delivered" },
	{ 26, "distribution list expansion" }, { 28, "message redirected" },
	{ 29, "message rerouted" }, { 31, "downgrading (X.400 1984)" },
	{ 33, "report absorption" }, { 34, "report generation" },
	{ 43, "unroutable report discarded" },
	{ 50, "gateway deleted message (admin)" },
	{ 51, "gateway deleted probe (admin)" },
	{ 52, "gateway deleted report (admin)" },
	{ 1000, "local delivery" }, { 1001, "backbone transfer in" },
	{ 1002, "backbone transfer out" }, { 1003, "gateway transfer out" },
	{ 1004, "gateway transfer in" }, { 1005, "gateway report transfer in" },
	{ 1006, "gateway report transfer out" },
	{ 1007, "gateway report generation" },
	{ 1010, "SMTP queued outbound" }, { 1011, "SMTP transferred outbound" },
	{ 1012, "SMTP received inbound" },
	{ 1013, "SMTP transferred inbound (to the store)" },
	{ 1014, "SMTP message rerouted" },
	{ 1015, "SMTP report transferred in" },
	{ 1016, "SMTP report transferred out" },
	{ 1017, "SMTP report generated" }, { 1018, "SMTP report absorbed" },
};

static const char *
event_meaning(int no)
{
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].no == no)
			return events[i].what;
	return NULL;
}

/* ---- dates and fields ------------------------------------------------- */

enum dt { DT_NONE, DT_BAD, DT_OK };

/* The whole span is "yyyy.m.d h:mm:ss" (a tab may stand for the space):
 * DT_NONE when the shape is wrong, DT_BAD when a value is out of range. */
static enum dt
tr_datetime(struct span s, int64_t *t)
{
	int y, mo, d, h, mi, sec;
	size_t k = 0;

	s = span_trim(s);
	if (!tl_date_dotted(s, &k, &y, &mo, &d) || k >= s.len ||
	    (s.ptr[k] != ' ' && s.ptr[k] != '\t'))
		return DT_NONE;
	while (k < s.len && (s.ptr[k] == ' ' || s.ptr[k] == '\t'))
		k++;
	if (!tl_clock(s, &k, &h, &mi, &sec) || k != s.len)
		return DT_NONE;
	return tl_make_time(y, mo, d, h, mi, sec, t) ? DT_OK : DT_BAD;
}

static bool
is_date_only(struct span s)
{
	int y, mo, d;
	size_t k = 0;

	s = span_trim(s);
	return tl_date_dotted(s, &k, &y, &mo, &d) && k == s.len;
}

static bool
is_clock_only(struct span s)
{
	int h, mi, sec;
	size_t k = 0;

	s = span_trim(s);
	return tl_clock(s, &k, &h, &mi, &sec) && k == s.len;
}

/* Next tab field of l from *pos; false once past the end. */
static bool
next_field(struct span l, size_t *pos, struct span *f)
{
	size_t i = *pos;

	if (i > l.len)
		return false;
	while (i < l.len && l.ptr[i] != '\t')
		i++;
	*f = tl_sub(l, *pos, i);
	*pos = i + 1;
	return true;
}

/* ---- records ---------------------------------------------------------------- */

struct head {
	struct span f[HEAD_FIELDS];
	size_t n;		/* head fields found */
	size_t rest;		/* offset of the first field after them */
};

/* Fields 1..13 of a line; a date and a time in two fields become one. */
static void
split_head(struct span l, struct head *h)
{
	size_t pos = 0;
	struct span f;

	memset(h, 0, sizeof(*h));
	while (h->n < HEAD_FIELDS && next_field(l, &pos, &f)) {
		if (h->n == 3 && is_date_only(h->f[2]) && is_clock_only(f) &&
		    h->f[2].ptr + h->f[2].len + 1 == f.ptr) {
			h->f[2].len = (size_t)(f.ptr + f.len - h->f[2].ptr);
			continue;
		}
		h->f[h->n++] = f;
	}
	h->rest = pos;
}

static bool
event_field(struct span f, uint64_t *no)
{
	f = span_trim(f);
	return f.len > 0 && f.len <= 6 && span_u64(f, 999999, no);
}

/* Does this line start a record?  *dt gets the date/time verdict. */
static bool
is_start(const struct head *h, enum dt *dt)
{
	uint64_t no;
	int64_t t;

	*dt = DT_NONE;
	if (h->n < 3 || span_trim(h->f[0]).len == 0 || !event_field(h->f[1], &no))
		return false;
	*dt = tr_datetime(h->f[2], &t);
	return *dt != DT_NONE || h->n >= 8;
}

struct rec {
	bool open;
	size_t ev;		/* index into rep->events (the array moves) */
	bool declared_ok;
	uint64_t declared, found, dropped, st_ok, st_fail;
	char *subject_id;	/* field 12 (trimmed), or NULL when blank */
	struct imcq_strv rcpts;	/* the event's, until finish_record packs it */
};

struct ctx {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	struct rec rec;
	size_t nrecords, nnotes;
	const char *member;	/* e->member, in the report's pool */
};

static char *
dup_or_null(struct span f)
{
	f = span_trim(f);
	return f.len ? span_dup(f) : NULL;
}

/*
 * The report's pool's copy of the trimmed field (NULL when empty), and
 * bit set in ev->pooled.  For the fields that repeat from record to record
 * (gateway, partner, originator, the event text): the events of a log
 * share one copy.
 * Readers run on the calling thread, which alone changes the pool.
 */
static char *
pooled_or_null(struct ctx *c, struct span f, struct imcq_event *ev, unsigned bit)
{
	char small[128], *d;
	const char *p;

	f = span_trim(f);
	if (f.len == 0)
		return NULL;
	if (f.len < sizeof(small)) {
		memcpy(small, f.ptr, f.len);
		small[f.len] = '\0';
		p = strpool_intern(&c->rep->pool, small);
	} else {
		d = span_dup(f);
		p = strpool_intern(&c->rep->pool, d);
		free(d);
	}
	ev->pooled |= bit;
	return (char *)p;
}

/* "<msgid>[SPOOLID]" -> SPOOLID: the last bracketed 8-character token. */
static char *
spool_of(struct span rid)
{
	size_t i;

	rid = span_trim(rid);
	for (i = rid.len; i >= 10; i--) {
		if (rid.ptr[i - 1] == ']' && rid.ptr[i - 10] == '[' &&
		    imcq_is_spool_id((const char *)rid.ptr + i - 9, 8))
			return span_dup(tl_sub(rid, i - 9, i - 1));
	}
	return NULL;
}

static bool
signed_field(struct span f, int *v)
{
	uint64_t u;
	bool neg = false;

	f = span_trim(f);
	if (f.len == 0) {
		*v = 0;
		return true;
	}
	if (f.ptr[0] == '-') {
		neg = true;
		f = tl_sub(f, 1, f.len);
	}
	if (!span_u64(f, 1000000, &u))
		return false;
	*v = neg ? -(int)u : (int)u;
	return true;
}

static void
add_rcpts(struct ctx *c, struct span l, size_t pos)
{
	struct span f;

	while (next_field(l, &pos, &f)) {
		f = span_trim(f);
		if (f.len == 0)
			continue;
		if (f.len == 1 && (f.ptr[0] == '0' || f.ptr[0] == '1')) {
			if (f.ptr[0] == '0')
				c->rec.st_ok++;
			else
				c->rec.st_fail++;
			continue;
		}
		c->rec.found++;
		if (c->rec.rcpts.n >= c->lim->rcpts) {
			c->rec.dropped++;
			continue;
		}
		strv_push(&c->rec.rcpts, span_dup(f));
	}
}

static void
finish_record(struct ctx *c)
{
	struct imcq_event *ev;
	struct buf b;
	const char *what;

	if (!c->rec.open)
		return;
	c->rec.open = false;
	ev = &c->rep->events[c->rec.ev];
	buf_init(&b, 1024);
	what = event_meaning(ev->event_no);
	(void)buf_appendf(&b, "%d %s", ev->event_no, what ? what : "unknown event");
	if (c->rec.subject_id) {
		(void)buf_appendf(&b, "; subject/report id %s", c->rec.subject_id);
		free(c->rec.subject_id);
		c->rec.subject_id = NULL;
	}
	if (c->rec.st_ok || c->rec.st_fail)
		(void)buf_appendf(&b, "; report status: %" PRIu64 " delivered, %" PRIu64
				  " not delivered", c->rec.st_ok, c->rec.st_fail);
	/* "1010 SMTP queued outbound": the same few texts, shared */
	ev->text = (char *)strpool_intern(&c->rep->pool, b.data);
	ev->pooled |= IMCQ_EVT_POOL_TEXT;
	buf_release(&b);
	/* its own strings and recipients: one block */
	ev->rcpts.v = c->rec.rcpts.v;
	ev->rcpts.n = c->rec.rcpts.n;
	memset(&c->rec.rcpts, 0, sizeof(c->rec.rcpts));
	event_pack(ev);
	report_store_event(c->rep, ev);
	if (c->rec.dropped)
		anomaly_add(c->rep, "rcpt-limit", IMCQ_SEV_WARNING, c->e->input,
			    c->e->member, ev->offset,
			    "record at line %" PRIu64 ": %" PRIu64
			    " recipients beyond --max-rcpts not kept", ev->line,
			    c->rec.dropped);
	if (c->rec.declared_ok && c->rec.declared != c->rec.found)
		anomaly_add(c->rep, "rcpt-count-mismatch", IMCQ_SEV_INFO, c->e->input,
			    c->e->member, ev->offset,
			    "record at line %" PRIu64 " declares %" PRIu64
			    " recipient(s) but lists %" PRIu64, ev->line,
			    c->rec.declared, c->rec.found);
}

static void
bad_field(struct ctx *c, const char *name, struct span f, uint64_t no, uint64_t off)
{
	char *v = tl_excerpt(f);

	anomaly_add(c->rep, "bad-field", IMCQ_SEV_WARNING, c->e->input, c->e->member,
		    off, "record at line %" PRIu64 ": %s \"%s\" is not valid", no,
		    name, v);
	free(v);
}

static void
start_record(struct ctx *c, const struct head *h, enum dt dt, struct span line,
	     uint64_t no, uint64_t off, bool at_end)
{
	struct imcq_event *ev = report_add_event(c->rep);
	uint64_t u;
	size_t i;
	char *tr;

	memset(&c->rec, 0, sizeof(c->rec));
	c->rec.open = true;
	c->rec.ev = c->rep->nevents - 1;
	c->nrecords++;
	ev->input = c->e->input;
	if (c->member == NULL)
		c->member = strpool_intern(&c->rep->pool, c->e->member);
	ev->member = (char *)c->member;
	ev->pooled |= IMCQ_EVT_POOL_MEMBER;
	ev->line = no;
	ev->offset = off;
	ev->source = "tracking";
	ev->snapshot = c->e->snapshot;
	ev->msg_id = dup_or_null(h->f[0]);
	if (event_field(h->f[1], &u))
		ev->event_no = (int)u;
	/* the time stamps of one second repeat from record to record */
	if ((tr = dup_or_null(h->f[2])) != NULL) {
		for (i = 0; tr[i]; i++)
			if (tr[i] == '\t')
				tr[i] = ' ';
		ev->time_raw = (char *)strpool_intern(&c->rep->pool, tr);
		ev->pooled |= IMCQ_EVT_POOL_TIME_RAW;
		free(tr);
	}
	if (tr_datetime(h->f[2], &ev->time) != DT_OK) {
		ev->time = IMCQ_NOTIME;
		anomaly_add(c->rep, dt == DT_BAD ? "bad-time" : "no-time",
			    IMCQ_SEV_WARNING, c->e->input, c->e->member, off,
			    "record at line %" PRIu64 ": date/time \"%s\" is not a valid yyyy.m.d h:mm:ss",
			    no, ev->time_raw ? ev->time_raw : "");
	}
	if (h->n > 3)
		ev->gateway = pooled_or_null(c, h->f[3], ev, IMCQ_EVT_POOL_GATEWAY);
	if (h->n > 4)
		ev->partner = pooled_or_null(c, h->f[4], ev, IMCQ_EVT_POOL_PARTNER);
	if (h->n > 5) {
		ev->remote_id = dup_or_null(h->f[5]);
		ev->spool_id = spool_of(h->f[5]);
	}
	if (h->n > 6)	/* a sender sends many messages */
		ev->originator = pooled_or_null(c, h->f[6], ev, IMCQ_EVT_POOL_ORIGINATOR);
	if (h->n > 7 && !signed_field(h->f[7], &ev->priority))
		bad_field(c, "priority", h->f[7], no, off);
	if (h->n > 8 && span_trim(h->f[8]).len &&
	    !span_u64(span_trim(h->f[8]), UINT64_MAX, &ev->length))
		bad_field(c, "length", h->f[8], no, off);
	if (h->n > 11)
		c->rec.subject_id = dup_or_null(h->f[11]);
	if (h->n > 12 && span_trim(h->f[12]).len) {
		if (span_u64(span_trim(h->f[12]), UINT64_MAX, &c->rec.declared))
			c->rec.declared_ok = true;
		else
			bad_field(c, "recipient count", h->f[12], no, off);
	}
	if (h->n < HEAD_FIELDS)
		anomaly_add(c->rep, at_end ? "truncated-record" : "short-record",
			    IMCQ_SEV_WARNING, c->e->input, c->e->member, off,
			    "record at line %" PRIu64 " has %zu of the %d fields before the recipients%s",
			    no, h->n, HEAD_FIELDS,
			    at_end ? " and ends the file: truncated" : "");
	else
		add_rcpts(c, line, h->rest);
}

static void
note_line(struct ctx *c, struct span t, uint64_t no, uint64_t off)
{
	char *v;

	if (++c->nnotes > NOTES_REPORTED)
		return;
	v = tl_excerpt(t);
	anomaly_add(c->rep, "tracking-header", IMCQ_SEV_INFO, c->e->input,
		    c->e->member, off,
		    "line %" PRIu64 " before the first record skipped: \"%s\"", no, v);
	free(v);
}

/* A log is read as a stream (format.h): the lines of each chunk as they
 * come, nothing kept of a line but what its record needs. */
struct stream {
	struct tl_lines L;	/* first: tl_feed (textline.h) */
	struct ctx c;
};

static void
one_line(void *user, struct span line, uint64_t no, uint64_t off, bool last)
{
	struct ctx *c = user;
	struct head h;
	enum dt dt;
	struct span t = span_trim(line);

	if (t.len == 0 || !tl_printable(line))
		return;
	split_head(line, &h);
	if (is_start(&h, &dt)) {
		finish_record(c);
		start_record(c, &h, dt, line, no, off, last);
	} else if (c->rec.open) {
		add_rcpts(c, line, 0);
	} else {
		note_line(c, t, no, off);
	}
}

static void *
open_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct stream *st = xcalloc(1, sizeof(*st));

	st->c.e = e;
	st->c.rep = s->rep;
	st->c.lim = s->lim ? s->lim : &s->rep->lim;
	tl_lines_init(&st->L, e, s->rep, st->c.lim,
		      "skipped, the file is binary or damaged", one_line, &st->c);
	return st;
}

static int
close_entry(void *p)
{
	struct stream *st = p;
	struct ctx *c = &st->c;
	int rc;

	tl_lines_end(&st->L);
	finish_record(c);
	tl_lines_finish(&st->L);
	rc = tl_log_close(&st->L, c->nnotes, NOTES_REPORTED, "tracking-header", "record",
			  c->nrecords, "no-records", "tracking record");
	free(st);
	return rc;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	return imcq_read_whole(&imcq_format_tracking, e, s);
}

/* ---- bid ---------------------------------------------------------------------- */

/* "YYYYMMDD.log", any case. */
static bool
tracking_name(const char *b)
{
	size_t i;

	if (b == NULL || strlen(b) != 12 || imcq_strcasecmp(b + 8, ".log") != 0)
		return false;
	for (i = 0; i < 8; i++)
		if (!tl_is_digit((unsigned char)b[i]))
			return false;
	return true;
}

static int
bid(const struct imcq_entry *e)
{
	struct span all = { e->data, e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES };
	struct span line;
	size_t pos = 0;
	int score = 0, n = 0;
	bool named = tracking_name(e->base);

	if (named)
		score = e->place == IMCQ_PL_TRACKING ? 16 : 8;
	while (n < 3 && span_next_line(all, &pos, &line)) {
		struct head h;
		enum dt dt;

		if (!tl_printable(line)) {
			if (!named)
				return 0;
			continue;
		}
		split_head(line, &h);
		if (h.n >= 8 && is_start(&h, &dt) && dt != DT_NONE)
			n++;
	}
	if (n >= 2)
		score += n >= 3 ? 24 : 16;
	return score;
}

const struct imcq_format imcq_format_tracking = {
	.name = "tracking-log",
	.summary = "Exchsrvr\\Tracking.log\\YYYYMMDD.log message tracking log (tab-separated, GMT)",
	.bid = bid,
	.read = read_entry,
	.open = open_entry,
	.feed = tl_feed,
	.close = close_entry,
};
