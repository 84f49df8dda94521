/* SPDX-License-Identifier: MIT */
/*
 * protolog.c - Internet Mail Service SMTP protocol logs,
 * Exchsrvr\Imcdata\Log\L*.LOG.
 *
 * What is documented:
 *   - Enabled on the IMS Diagnostics Logging tab, category "SMTP Protocol
 *     Log"; each concurrent connection logs to its own file in
 *     Imcdata\Log, named like L0000000.LOG (Q154505, Q246580, Q146669).
 *   - Headers and bodies of outgoing mail are not logged; the text of
 *     incoming mail is (Q154505).
 *   - Line layout (samples in Q228725, Q239816):
 *         4/5/99 10:22:41 AM : A connection to 10.1.1.1 was established.
 *         4/5/99 10:22:41 AM : IO: |220 r40.domain.com ... ready
 *         4/5/99 10:22:41 AM : EHLO xxmims2.srv.dom.com
 *         4/5/99 10:22:42 AM : MAIL FROM:bob@dom.com
 *         4/5/99 10:22:43 AM : IO: |354 Enter mail, end with "." ...
 *         4/5/99 10:22:43 AM : 354 Enter mail, end with "." ...
 *         4/5/99 10:22:44 AM : 499 No routing hosts are reachable for
 *             tool.com. Message subject: ""Case 27375"". Rescheduling
 *             delivery for later.          (one line in the file)
 *     i.e. "M/D/YY h:mm:ss AM : text" in the server's local time and US
 *     locale; a received line is "IO: |<text>" and is often echoed on the
 *     next line without the prefix.
 *   - Q245787 shows the same conversation with ">>> " (sent) and "<<< "
 *     (received) prefixes and no time stamps.
 *   - "Rescheduling delivery for later" marks a transient failure and
 *     quotes the subject; 499 "No routing hosts are reachable" means the
 *     connection dropped or no host could be reached (Q228725, Q239816).
 *   - A session that ends right after "connection ... established" points
 *     to a rejection by the remote host, e.g. a reverse-DNS check (Q190026).
 *
 * What is guessed (NEEDSWORK: confirm on real logs):
 *   - An entry is a line with a time stamp, a ">>>"/"<<<" prefix or an
 *     "IO:" prefix (or, in a file without time stamps, a connection line);
 *     any other line continues the entry before it (multi-line replies,
 *     message text at level Maximum).
 *   - A line "connection to X" opens an outbound session, "connection
 *     from X" / "accepted ... from X" an inbound one; with "failed",
 *     "refused", "unable", "could not" or "timed out" the attempt failed.
 *   - Other locales: a 24-hour clock without AM/PM is read as is; a date
 *     whose first number is above 12 is read as D/M/YY (with a note).
 *   - Session outcome, the last decisive event winning: "delivered" (2xx
 *     after the end of DATA), "deferred" (4xx, or "Rescheduling delivery
 *     for later"), "dns-failure" (499, "No routing hosts", can't resolve),
 *     "rejected" (5xx to the greeting, MAIL, RCPT, DATA or the end of
 *     data), "connect-failed" (failed/refused, or nothing after the
 *     connection line), else "incomplete".
 *
 * Times: the log is in the server's local time and carries no zone.  They
 * are stored as that wall-clock time read as if UTC, with local_time set on
 * every session and event; the analyzer shifts them by --log-tz.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "formats/textline.h"

#define REPLIES_MAX	256	/* server replies kept per session */
#define CMD_QUOTED	200	/* bytes of the last command a reply event quotes */
#define NOTES_REPORTED	5	/* stray lines reported one by one */

/* ---- small text helpers ------------------------------------------------ */

/* Case-insensitive search; SIZE_MAX when absent. */
static size_t
find_ci(struct span s, const char *lit)
{
	size_t n = strlen(lit), i;

	for (i = 0; i + n <= s.len; i++)
		if (span_istarts(tl_sub(s, i, s.len), lit))
			return i;
	return SIZE_MAX;
}

enum ts { TS_NONE, TS_BAD, TS_OK };

struct stamp {
	enum ts ts;
	int64_t t;
	struct span raw;	/* "4/5/99 10:22:41 AM" */
	size_t after;		/* offset of the text after " : " */
	bool dm_swapped;	/* read as D/M/YY */
};

/*
 * "M/D/YY[YY] h:mm[:ss] [AM|PM] : " at the start of l.  12:xx AM is 00:xx,
 * 12:xx PM is 12:xx; a two-digit year below 70 is 20YY, else 19YY.
 */
static void
parse_stamp(struct span l, struct stamp *st)
{
	int mo, d, y, h, mi, sec = 0;
	size_t k = 0, y0, end;
	bool pm = false, am = false;

	memset(st, 0, sizeof(*st));
	if (!tl_digits(l, &k, 2, &mo) || k >= l.len || l.ptr[k++] != '/' ||
	    !tl_digits(l, &k, 2, &d) || k >= l.len || l.ptr[k++] != '/')
		return;
	y0 = k;
	if (!tl_digits(l, &k, 4, &y) || (k - y0 != 2 && k - y0 != 4) ||
	    k >= l.len || l.ptr[k] != ' ')
		return;
	if (k - y0 == 2)
		y += y < 70 ? 2000 : 1900;
	while (k < l.len && l.ptr[k] == ' ')
		k++;
	if (!tl_digits(l, &k, 2, &h) || k >= l.len || l.ptr[k++] != ':' ||
	    !tl_digits(l, &k, 2, &mi))
		return;
	if (k < l.len && l.ptr[k] == ':') {
		k++;
		if (!tl_digits(l, &k, 2, &sec))
			return;
	}
	end = k;
	while (k < l.len && l.ptr[k] == ' ')
		k++;
	if (k + 1 < l.len && (l.ptr[k + 1] == 'M' || l.ptr[k + 1] == 'm') &&
	    (k + 2 == l.len || !tl_is_alpha(l.ptr[k + 2]))) {
		am = l.ptr[k] == 'A' || l.ptr[k] == 'a';
		pm = l.ptr[k] == 'P' || l.ptr[k] == 'p';
		if (am || pm) {
			k += 2;
			end = k;
		}
	}
	while (k < l.len && l.ptr[k] == ' ')
		k++;
	if (k >= l.len || l.ptr[k] != ':')
		return;
	k++;
	while (k < l.len && l.ptr[k] == ' ')
		k++;
	st->raw = tl_sub(l, 0, end);
	st->after = k;
	st->ts = TS_BAD;
	if (am || pm) {
		if (h < 1 || h > 12)
			return;
		h = h % 12 + (pm ? 12 : 0);
	} else if (h > 23) {
		return;
	}
	if (mo > 12 && d <= 12) {
		int x = mo;

		mo = d;
		d = x;
		st->dm_swapped = true;
	}
	if (tl_make_time(y, mo, d, h, mi, sec, &st->t))
		st->ts = TS_OK;
}

/* ---- one log entry -------------------------------------------------------- */

struct ent {
	uint64_t no, off;
	struct span line;	/* the whole line, trimmed */
	struct stamp st;
	char dir;		/* '>' sent, '<' received, 0 none */
	bool io;		/* "IO: |" */
	struct span text;	/* after the prefixes, trimmed */
};

/* Reply "NNN text" / "NNN-text": code, or 0. */
static int
reply_code(struct span t, bool *final)
{
	if (t.len < 3 || !tl_is_digit(t.ptr[0]) || !tl_is_digit(t.ptr[1]) ||
	    !tl_is_digit(t.ptr[2]) || t.ptr[0] < '2' || t.ptr[0] > '5')
		return 0;
	if (t.len > 3 && t.ptr[3] != ' ' && t.ptr[3] != '-')
		return 0;
	*final = t.len == 3 || t.ptr[3] == ' ';
	return (t.ptr[0] - '0') * 100 + (t.ptr[1] - '0') * 10 + (t.ptr[2] - '0');
}

static void
parse_entry(struct span t, struct ent *en)
{
	struct span r;

	en->line = t;
	parse_stamp(t, &en->st);
	r = en->st.ts != TS_NONE ? tl_sub(t, en->st.after, t.len) : t;
	r = span_trim(r);
	if (r.len >= 3 && (memcmp(r.ptr, ">>>", 3) == 0 || memcmp(r.ptr, "<<<", 3) == 0)) {
		en->dir = (char)r.ptr[0];
		r = span_trim(tl_sub(r, 3, r.len));
	}
	if (span_istarts(r, "IO:")) {
		en->io = true;
		r = span_trim(tl_sub(r, 3, r.len));
		if (r.len && r.ptr[0] == '|')
			r = tl_sub(r, 1, r.len);
		r = span_trim(r);
	}
	en->text = r;
}

/* "connection to X" (outbound, 1) / "connection from X" (inbound, 2). */
static int
connection_line(struct span t, struct span *remote, bool *failed)
{
	static const char *const fails[] = {
		"fail", "refused", "could not", "couldn't", "unable", "timed out",
		"timeout",
	};
	size_t i, j;
	int dir = 0;

	if ((i = find_ci(t, "connection to ")) != SIZE_MAX) {
		i += strlen("connection to ");
		dir = 1;
	} else if ((i = find_ci(t, "connecting to ")) != SIZE_MAX) {
		i += strlen("connecting to ");
		dir = 1;
	} else if ((i = find_ci(t, "connection from ")) != SIZE_MAX) {
		i += strlen("connection from ");
		dir = 2;
	} else if (find_ci(t, "accepted") != SIZE_MAX &&
		   (i = find_ci(t, " from ")) != SIZE_MAX) {
		i += strlen(" from ");
		dir = 2;
	} else {
		return 0;
	}
	while (i < t.len && t.ptr[i] == ' ')
		i++;
	if (i < t.len && (t.ptr[i] == '[' || t.ptr[i] == '<'))
		i++;
	for (j = i; j < t.len && t.ptr[j] != ' ' && t.ptr[j] != '\t'; j++)
		;
	while (j > i && (t.ptr[j - 1] == '.' || t.ptr[j - 1] == ',' ||
			 t.ptr[j - 1] == ']' || t.ptr[j - 1] == '>' ||
			 t.ptr[j - 1] == ':'))
		j--;
	*remote = tl_sub(t, i, j);
	*failed = false;
	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++)
		if (find_ci(t, fails[i]) != SIZE_MAX)
			*failed = true;
	return dir;
}

/* ---- sessions -------------------------------------------------------------- */

enum cmd { C_NONE, C_HELO, C_MAIL, C_RCPT, C_DATA, C_DOT, C_QUIT, C_OTHER };

struct sess {
	bool open;
	size_t idx;		/* into rep->sessions (the array moves) */
	bool from_conn;		/* began with a connection line */
	bool inbound;
	enum cmd last_cmd;
	/* the last command's first CMD_QUOTED bytes (a line lives only
	 * while it is read) */
	unsigned char cmd[CMD_QUOTED];
	size_t cmd_len;
	bool in_data;
	bool decided;
	uint64_t nentries;	/* entries after the connection line */
	/* the entry before, to drop the unprefixed echo of an "IO: |" line */
	bool prev_io, prev_reply;
	int prev_code;
	uint64_t replies_dropped, rcpts_dropped;
};

struct ctx {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	struct sess s;
	struct buf last_line;	/* the session's last line, a copy */
	bool seen_time;
	bool dm_noted;
	size_t nentries, nstray;
	const char *member;	/* e->member, in the report's pool */
};

static struct imcq_session *
cur(struct ctx *c)
{
	return &c->rep->sessions[c->s.idx];
}

/*
 * The report's pool's copy of span t (as span_dup would make it): what repeats from
 * line to line and session to session (the member path, a session's
 * remote host, sender, HELO name and domain, which its events repeat, and
 * the time stamps of one second) is kept once.  Readers run on the calling
 * thread, which alone changes the pool.
 */
static char *
pool_span(struct ctx *c, struct span t)
{
	char small[128], *d;
	const char *p;

	if (t.len < sizeof(small)) {
		memcpy(small, t.ptr, t.len);
		small[t.len] = '\0';
		return (char *)strpool_intern(&c->rep->pool, small);
	}
	d = span_dup(t);
	p = strpool_intern(&c->rep->pool, d);
	free(d);
	return (char *)p;
}

/* s (heap, or NULL) into the pool: the pool's copy */
static char *
pool_take(struct ctx *c, char *s)
{
	const char *p = strpool_intern(&c->rep->pool, s);

	free(s);
	return (char *)p;
}

static const char *
pooled_member(struct ctx *c)
{
	if (c->member == NULL)
		c->member = strpool_intern(&c->rep->pool, c->e->member);
	return c->member;
}

/* The session's last line: kept as a copy, for its outcome_line. */
static void
set_last_line(struct ctx *c, struct span line)
{
	buf_reset(&c->last_line);
	(void)buf_append(&c->last_line, line.ptr, line.len);
}

static void
set_outcome(struct ctx *c, const char *outcome, struct span line)
{
	struct imcq_session *ss = cur(c);

	ss->outcome = outcome;
	free(ss->outcome_line);
	ss->outcome_line = span_dup(line);
	c->s.decided = true;
}

static void
close_session(struct ctx *c)
{
	struct imcq_session *ss;

	if (!c->s.open)
		return;
	ss = cur(c);
	if (!c->s.decided) {
		if (c->s.from_conn && c->s.nentries == 0)
			ss->outcome = "connect-failed";
		else
			ss->outcome = "incomplete";
		ss->outcome_line = xstrdup(c->last_line.data);
	}
	if (c->s.replies_dropped)
		anomaly_add(c->rep, "reply-limit", IMCQ_SEV_INFO, c->e->input,
			    c->e->member, IMCQ_NOOFF,
			    "session at line %" PRIu64 ": %" PRIu64 " replies beyond %d not kept",
			    ss->line_first, c->s.replies_dropped, REPLIES_MAX);
	if (c->s.rcpts_dropped)
		anomaly_add(c->rep, "rcpt-limit", IMCQ_SEV_WARNING, c->e->input,
			    c->e->member, IMCQ_NOOFF,
			    "session at line %" PRIu64 ": %" PRIu64 " recipients beyond --max-rcpts not kept",
			    ss->line_first, c->s.rcpts_dropped);
	c->s.open = false;
}

static void
open_session(struct ctx *c, const struct ent *en, const char *direction,
	     struct span remote, bool from_conn)
{
	struct imcq_session *ss;

	close_session(c);
	ss = report_add_session(c->rep);
	memset(&c->s, 0, sizeof(c->s));
	c->s.open = true;
	c->s.idx = c->rep->nsessions - 1;
	c->s.from_conn = from_conn;
	c->s.inbound = strcmp(direction, "inbound") == 0;
	ss->input = c->e->input;
	ss->member = (char *)pooled_member(c);
	ss->snapshot = c->e->snapshot;
	ss->local_time = true;
	ss->direction = direction;
	ss->remote = remote.len ? pool_span(c, remote) : NULL;
	ss->pooled = IMCQ_SES_POOL_MEMBER | IMCQ_SES_POOL_REMOTE | IMCQ_SES_POOL_HELO |
		     IMCQ_SES_POOL_MAIL_FROM | IMCQ_SES_POOL_DOMAIN;
	ss->line_first = en->no;
	ss->line_last = en->no;
	ss->last_code = 0;
	set_last_line(c, en->line);
}

/* One event of the current session. */
static void
add_event(struct ctx *c, const struct ent *en, const char *text, bool one_rcpt)
{
	struct imcq_event *ev = report_add_event(c->rep);
	struct imcq_session *ss = cur(c);
	size_t i;

	ev->input = c->e->input;
	ev->member = (char *)pooled_member(c);
	ev->line = en->no;
	ev->offset = en->off;
	ev->source = "protocol-log";
	ev->snapshot = c->e->snapshot;
	ev->local_time = true;
	if (en->st.ts == TS_OK)
		ev->time = en->st.t;
	if (en->st.ts != TS_NONE)
		ev->time_raw = pool_span(c, en->st.raw);
	ev->partner = ss->remote;	/* the session's, in the pool */
	ev->originator = ss->mail_from;
	ev->pooled = IMCQ_EVT_POOL_MEMBER | IMCQ_EVT_POOL_TIME_RAW |
		     IMCQ_EVT_POOL_PARTNER | IMCQ_EVT_POOL_ORIGINATOR;
	if (one_rcpt) {
		if (ss->rcpts.n)
			event_add_rcpt(ev, xstrdup(ss->rcpts.v[ss->rcpts.n - 1]));
	} else if (ss->rcpts.n) {
		ev->rcpts.v = xmalloc(ss->rcpts.n * sizeof(char *));
		for (i = 0; i < ss->rcpts.n; i++)
			ev->rcpts.v[i] = xstrdup(ss->rcpts.v[i]);
		ev->rcpts.n = ss->rcpts.n;
	}
	ev->text = xstrdup(text);
	event_pack(ev);		/* its text and recipients: one block */
	report_store_event(c->rep, ev);
}

static char *
clean_addr(struct span a)
{
	size_t j;

	a = span_trim(a);
	if (a.len && a.ptr[0] == '<') {
		for (j = 1; j < a.len && a.ptr[j] != '>'; j++)
			;
		return span_dup(tl_sub(a, 1, j));
	}
	for (j = 0; j < a.len && a.ptr[j] != ' ' && a.ptr[j] != '\t'; j++)
		;
	return span_dup(tl_sub(a, 0, j));
}

/* "... reachable for tool.com. Message subject: ""Case 27375"". Rescheduling ..." */
static void
routing_failure(struct ctx *c, struct span t)
{
	struct imcq_session *ss = cur(c);
	size_t i, j;

	if ((i = find_ci(t, "reachable for ")) != SIZE_MAX && ss->domain == NULL) {
		struct span rest = tl_sub(t, i + strlen("reachable for "), t.len);

		for (j = 0; j < rest.len && rest.ptr[j] != ' '; j++)
			;
		while (j > 0 && (rest.ptr[j - 1] == '.' || rest.ptr[j - 1] == ','))
			j--;
		if (j > 0)
			ss->domain = pool_span(c, tl_sub(rest, 0, j));
	}
	if ((i = find_ci(t, "subject: ")) != SIZE_MAX && ss->subject == NULL) {
		struct span rest = tl_sub(t, i + strlen("subject: "), t.len);
		size_t end = rest.len, k;

		if (span_istarts(rest, "\"\""))
			rest = tl_sub(rest, 2, rest.len);
		else if (span_istarts(rest, "\""))
			rest = tl_sub(rest, 1, rest.len);
		end = rest.len;
		/* the last ". Rescheduling" ends the subject */
		for (k = rest.len; k > 0; k--)
			if (span_istarts(tl_sub(rest, k - 1, rest.len), ". Rescheduling")) {
				end = k - 1;
				break;
			}
		if (k == 0)	/* none: the subject ends the line */
			while (end > 0 && (rest.ptr[end - 1] == '.' ||
					   rest.ptr[end - 1] == ' '))
				end--;
		if (end >= 2 && rest.ptr[end - 1] == '"' && rest.ptr[end - 2] == '"')
			end -= 2;
		else if (end >= 1 && rest.ptr[end - 1] == '"')
			end -= 1;
		ss->subject = span_dup(tl_sub(rest, 0, end));
	}
}

static void
do_reply(struct ctx *c, const struct ent *en, int code, bool final,
	 struct span text, bool *evented)
{
	struct imcq_session *ss = cur(c);
	struct buf b;
	char *tx;

	if (ss->replies.n < REPLIES_MAX)
		strv_push(&ss->replies, span_dup(text));
	else
		c->s.replies_dropped++;
	if (!final)
		return;
	ss->last_code = code;
	if (code == 354) {
		c->s.in_data = true;
		return;
	}
	if (code / 100 == 2) {
		if (c->s.last_cmd == C_DOT || (c->s.in_data && !c->s.inbound))
			set_outcome(c, "delivered", en->line);
		c->s.in_data = false;
		return;
	}
	if (code / 100 == 3)
		return;
	if (code == 499)
		set_outcome(c, "dns-failure", en->line);
	else if (code / 100 == 4)
		set_outcome(c, "deferred", en->line);
	else if (c->s.in_data || c->s.last_cmd == C_NONE || c->s.last_cmd == C_MAIL ||
		 c->s.last_cmd == C_RCPT || c->s.last_cmd == C_DATA ||
		 c->s.last_cmd == C_DOT)
		set_outcome(c, "rejected", en->line);
	c->s.in_data = false;

	buf_init(&b, c->lim->line_bytes + 64);
	(void)buf_append(&b, text.ptr, text.len);
	if (c->s.last_cmd == C_NONE) {
		(void)buf_appends(&b, " (reply to the greeting)");
	} else if (c->s.cmd_len) {
		(void)buf_appends(&b, " (reply to ");
		(void)buf_append(&b, c->s.cmd, c->s.cmd_len);
		(void)buf_appends(&b, ")");
	}
	tx = buf_detach(&b, NULL);
	buf_release(&b);
	add_event(c, en, tx, c->s.last_cmd == C_RCPT);
	free(tx);
	*evented = true;
}

static void
do_command(struct ctx *c, struct span t)
{
	struct imcq_session *ss = cur(c);
	enum cmd k;

	if (span_istarts(t, "EHLO") || span_istarts(t, "HELO")) {
		k = C_HELO;
		if (ss->helo == NULL && t.len > 5)
			ss->helo = pool_take(c, span_dup(span_trim(tl_sub(t, 4, t.len))));
	} else if (span_istarts(t, "MAIL FROM:")) {
		k = C_MAIL;
		if (ss->mail_from == NULL)
			ss->mail_from = pool_take(c, clean_addr(tl_sub(t, 10, t.len)));
	} else if (span_istarts(t, "RCPT TO:")) {
		k = C_RCPT;
		if (ss->rcpts.n < c->lim->rcpts)
			strv_push(&ss->rcpts, clean_addr(tl_sub(t, 8, t.len)));
		else
			c->s.rcpts_dropped++;
	} else if (span_ieq(t, "DATA")) {
		k = C_DATA;
	} else if (span_ieq(t, ".")) {
		k = C_DOT;
	} else if (span_ieq(t, "QUIT")) {
		k = C_QUIT;
	} else if (span_istarts(t, "RSET") || span_istarts(t, "NOOP") ||
		   span_istarts(t, "VRFY") || span_istarts(t, "EXPN") ||
		   span_istarts(t, "ETRN") || span_istarts(t, "TURN") ||
		   span_istarts(t, "AUTH") || span_istarts(t, "HELP") ||
		   span_istarts(t, "STARTTLS") || span_istarts(t, "BDAT")) {
		k = C_OTHER;
	} else {
		return;		/* not a command: informational text */
	}
	c->s.last_cmd = k;
	c->s.cmd_len = t.len < CMD_QUOTED ? t.len : CMD_QUOTED;
	memcpy(c->s.cmd, t.ptr, c->s.cmd_len);
	if (k == C_DOT)
		c->s.in_data = false;
}

static void
do_entry(struct ctx *c, const struct ent *en)
{
	struct imcq_session *ss;
	struct span t = en->text, remote;
	bool failed = false, final = false, evented = false, echo;
	int code = reply_code(t, &final);
	int dir = 0;
	char *tx;

	if (code == 0 && !en->io)
		dir = connection_line(t, &remote, &failed);
	if (dir) {
		open_session(c, en, dir == 1 ? "outbound" : "inbound", remote, true);
		ss = cur(c);
		if (en->st.ts == TS_OK)
			ss->start = ss->end = en->st.t;
		tx = span_dup(t);
		add_event(c, en, tx, false);
		free(tx);
		if (failed)
			set_outcome(c, "connect-failed", en->line);
		c->s.prev_io = false;
		c->s.prev_reply = false;
		return;
	}
	if (!c->s.open) {
		static const unsigned char none[] = "";
		struct span empty = { none, 0 };

		open_session(c, en, "unknown", empty, false);
	}
	ss = cur(c);
	ss->line_last = en->no;
	if (en->st.ts == TS_OK) {
		if (ss->start == IMCQ_NOTIME)
			ss->start = en->st.t;
		ss->end = en->st.t;
	}
	set_last_line(c, en->line);
	c->s.nentries++;

	/* "IO: |354 ..." then "354 ...": the second line is an echo */
	echo = code && !en->io && c->s.prev_io && c->s.prev_reply &&
	       c->s.prev_code == code;
	c->s.prev_io = en->io;
	c->s.prev_reply = code != 0;
	c->s.prev_code = code;
	if (echo)
		return;

	if (c->s.in_data && c->s.inbound) {
		/* message text of an incoming mail, up to the lone "." */
		if (span_ieq(t, "."))
			do_command(c, t);
		return;
	}
	if (code)
		do_reply(c, en, code, final, t, &evented);
	if (find_ci(t, "No routing hosts") != SIZE_MAX) {
		routing_failure(c, t);
		set_outcome(c, "dns-failure", en->line);
	} else if (find_ci(t, "Rescheduling delivery for later") != SIZE_MAX) {
		routing_failure(c, t);
		set_outcome(c, "deferred", en->line);
	} else if (code) {
		return;		/* a reply: do_reply made its event, if any */
	} else if (find_ci(t, "not resolve") != SIZE_MAX ||
		   find_ci(t, "n't resolve") != SIZE_MAX ||
		   find_ci(t, "unable to resolve") != SIZE_MAX ||
		   find_ci(t, "failed to resolve") != SIZE_MAX ||
		   find_ci(t, "host not found") != SIZE_MAX ||
		   find_ci(t, "no such host") != SIZE_MAX) {
		set_outcome(c, "dns-failure", en->line);
	} else if (find_ci(t, "refused") != SIZE_MAX ||
		   find_ci(t, "connection failed") != SIZE_MAX ||
		   find_ci(t, "unable to connect") != SIZE_MAX ||
		   find_ci(t, "could not connect") != SIZE_MAX) {
		set_outcome(c, "connect-failed", en->line);
	} else {
		do_command(c, t);
		return;
	}
	if (!evented) {
		tx = span_dup(t);
		add_event(c, en, tx, false);
		free(tx);
	}
}

/* A line that is not an entry: the rest of a multi-line reply, message
 * text, or (before any session) stray text. */
static void
do_continuation(struct ctx *c, uint64_t no, uint64_t off, struct span t)
{
	bool final = false;
	int code;

	if (!c->s.open) {
		if (++c->nstray <= NOTES_REPORTED) {
			char *v = tl_excerpt(t);

			anomaly_add(c->rep, "stray-line", IMCQ_SEV_INFO, c->e->input,
				    c->e->member, off,
				    "line %" PRIu64 " is not a protocol-log entry: \"%s\"", no, v);
			free(v);
		}
		return;
	}
	cur(c)->line_last = no;
	if (c->s.prev_io && c->s.prev_reply && !(c->s.in_data && c->s.inbound) &&
	    (code = reply_code(t, &final)) != 0) {
		struct ent en;
		bool evented = false;

		memset(&en, 0, sizeof(en));
		en.no = no;
		en.off = off;
		en.line = t;
		en.text = t;
		en.io = true;
		set_last_line(c, t);
		do_reply(c, &en, code, final, t, &evented);
	}
}

/* A log is read as a stream (format.h): the lines of each chunk as they
 * come; a session keeps copies of the little it needs of earlier lines. */
struct stream {
	struct tl_lines L;	/* first: tl_feed (textline.h) */
	struct ctx c;
};

static void
one_line(void *user, struct span line, uint64_t no, uint64_t off, bool last)
{
	struct ctx *c = user;
	struct ent en;
	struct span t = span_trim(line);
	bool entry;

	(void)last;
	if (t.len == 0 || !tl_printable(line))
		return;
	memset(&en, 0, sizeof(en));
	en.no = no;
	en.off = off;
	parse_entry(t, &en);
	if (en.st.ts != TS_NONE)
		c->seen_time = true;
	entry = en.st.ts != TS_NONE || en.dir || en.io;
	if (!entry && !c->seen_time) {
		struct span r;
		bool f;

		entry = connection_line(en.text, &r, &f) != 0 &&
			reply_code(en.text, &f) == 0;
	}
	if (!entry) {
		do_continuation(c, no, off, t);
		return;
	}
	if (en.st.ts == TS_BAD)
		anomaly_add(c->rep, "bad-timestamp", IMCQ_SEV_WARNING, c->e->input,
			    c->e->member, off, "line %" PRIu64 ": time stamp out of range",
			    no);
	if (en.st.dm_swapped && !c->dm_noted) {
		c->dm_noted = true;
		anomaly_add(c->rep, "date-order-guessed", IMCQ_SEV_INFO, c->e->input,
			    c->e->member, off,
			    "line %" PRIu64 ": date read as D/M/YY (first number above 12)",
			    no);
	}
	c->nentries++;
	do_entry(c, &en);
}

static void *
open_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct stream *st = xcalloc(1, sizeof(*st));

	st->c.e = e;
	st->c.rep = s->rep;
	st->c.lim = s->lim ? s->lim : &s->rep->lim;
	buf_init(&st->c.last_line, st->c.lim->line_bytes);
	tl_lines_init(&st->L, e, s->rep, st->c.lim, "skipped, binary or damaged",
		      one_line, &st->c);
	return st;
}

static int
close_entry(void *p)
{
	struct stream *st = p;
	struct ctx *c = &st->c;
	int rc;

	tl_lines_end(&st->L);
	close_session(c);
	tl_lines_finish(&st->L);
	rc = tl_log_close(&st->L, c->nstray, NOTES_REPORTED, "stray-line", "entry",
			  c->nentries, "no-entries", "protocol-log entry");
	buf_release(&c->last_line);
	free(st);
	return rc;
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	return imcq_read_whole(&imcq_format_protolog, e, s);
}

/* ---- bid ------------------------------------------------------------------------ */

/* "L" + 1..7 letters or digits + ".LOG", any case. */
static bool
protolog_name(const char *b)
{
	size_t n, i;

	if (b == NULL || (b[0] != 'L' && b[0] != 'l'))
		return false;
	n = strlen(b);
	if (n < 6 || n > 12 || imcq_strcasecmp(b + n - 4, ".log") != 0)
		return false;
	for (i = 1; i < n - 4; i++)
		if (!tl_is_digit((unsigned char)b[i]) && !tl_is_alpha((unsigned char)b[i]))
			return false;
	return true;
}

static int
bid(const struct imcq_entry *e)
{
	struct span all = { e->data, e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES };
	struct span line;
	size_t pos = 0;
	int score = 0, content = 0;
	bool named = protolog_name(e->base);

	if (named)
		score = e->place == IMCQ_PL_LOG ? 16 : 8;
	while (content < 24 && span_next_line(all, &pos, &line)) {
		struct stamp st;
		struct span t = span_trim(line);

		/* only a line starting with a digit (a time stamp) or with
		 * ">>> " / "<<< " scores: skip the others before the byte
		 * checks (most lines of a file that is not a log) */
		if (t.len == 0 || !(tl_is_digit(t.ptr[0]) || t.ptr[0] == '>' || t.ptr[0] == '<'))
			continue;
		if (!tl_printable(t))
			continue;
		parse_stamp(t, &st);
		if (st.ts != TS_NONE)
			content += 8;
		else if (t.len > 4 && (memcmp(t.ptr, ">>> ", 4) == 0 ||
				       memcmp(t.ptr, "<<< ", 4) == 0))
			content += 4;
	}
	score += content > 24 ? 24 : content;
	return score;
}

/* bid() without reading the lines: the name's part plus the most the
 * content can add (a spool file, bid 40 and more, is not scanned). */
static int
max_bid(const struct imcq_entry *e)
{
	if (!protolog_name(e->base))
		return 24;
	return (e->place == IMCQ_PL_LOG ? 16 : 8) + 24;
}

const struct imcq_format imcq_format_protolog = {
	.name = "protocol-log",
	.summary = "Imcdata\\Log\\L*.LOG IMS SMTP protocol log (sessions, replies, outcomes)",
	.bid = bid,
	.read = read_entry,
	.max_bid = max_bid,
	.open = open_entry,
	.feed = tl_feed,
	.close = close_entry,
};
