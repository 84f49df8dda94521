/* SPDX-License-Identifier: MIT */
/*
 * test_textline.c - the text readers' line iterator (formats/textline.c):
 * bytes fed in chunks of every size, and cut at every place, give the
 * lines, numbers, offsets, "last" flags and anomalies of the whole-buffer
 * iterator it replaced (kept below as the reference); line ends CR, LF,
 * CRLF and mixed, a CR|LF pair split by a cut, no final line end, lines
 * over the line limit, binary lines, --max-lines.  Then the readers that
 * stream (tracking, protocol log, Route.txt) give the same report fed in
 * tiny chunks as read whole.
 */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"
#include "formats/textline.h"

/* ---- the reference: tl_next_line as it was, over the whole buffer ------ */

struct ref {
	struct span all;
	size_t pos;
	uint64_t no;
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	uint64_t nbinary, first_binary_off, first_binary_line;
};

static bool
ref_next(struct ref *L, struct span *line, uint64_t *off)
{
	size_t start = L->pos;
	bool unterminated;

	if (L->pos >= L->all.len)
		return false;
	if (L->no >= L->lim->lines) {
		anomaly_add(L->rep, "line-limit", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, start,
			    "stopped after %" PRIu64 " lines (--max-lines); %zu bytes not read",
			    L->no, L->all.len - start);
		L->pos = L->all.len;
		return false;
	}
	if (!span_next_line(L->all, &L->pos, line))
		return false;
	L->no++;
	*off = start;
	unterminated = L->pos == start + line->len;
	if (line->len > L->lim->line_bytes) {
		anomaly_add(L->rep, "line-too-long", IMCQ_SEV_WARNING, L->e->input,
			    L->e->member, start,
			    "line %" PRIu64 " is %zu bytes; only the first %zu were read",
			    L->no, line->len, L->lim->line_bytes);
		line->len = L->lim->line_bytes;
	}
	if (!tl_printable(*line)) {
		if (L->nbinary++ == 0) {
			L->first_binary_off = start;
			L->first_binary_line = L->no;
		}
	}
	if (unterminated)
		anomaly_add(L->rep, "no-final-newline", IMCQ_SEV_INFO, L->e->input,
			    L->e->member, start,
			    "last line %" PRIu64 " has no line end: the file may be truncated",
			    L->no);
	return true;
}

/* ---- a transcript: what the reader saw, and the anomalies, in order ---- */

static void
note(struct buf *t, struct span line, uint64_t no, uint64_t off, bool last)
{
	size_t i;

	(void)buf_appendf(t, "L%" PRIu64 "@%" PRIu64 "%s[", no, off, last ? "$" : "");
	for (i = 0; i < line.len; i++)
		(void)buf_appendf(t, line.ptr[i] < 0x20 || line.ptr[i] >= 0x7f ? "\\%02x" : "%c",
				  line.ptr[i]);
	(void)buf_appends(t, "]\n");
}

/* The anomalies added since the last call, into t. */
static void
note_anomalies(struct buf *t, struct imcq_report *rep, size_t *seen)
{
	for (; *seen < rep->nanoms; (*seen)++) {
		const struct imcq_anomaly *a = &rep->anoms[*seen];

		(void)buf_appendf(t, "A %s@%" PRIu64 " %s\n", a->code, a->offset, a->message);
	}
}

struct seen {
	struct buf *t;
	struct imcq_report *rep;
	size_t nanoms;
};

static void
on_line(void *user, struct span line, uint64_t no, uint64_t off, bool last)
{
	struct seen *s = user;

	note_anomalies(s->t, s->rep, &s->nanoms);
	note(s->t, line, no, off, last);
}

static char *
ref_transcript(const unsigned char *p, size_t n, const struct imcq_limits *lim)
{
	struct imcq_report rep;
	struct imcq_entry e = unit_entry("m", "m", IMCQ_PL_UNKNOWN, p, n);
	struct ref L;
	struct buf t;
	struct span line;
	uint64_t off;
	size_t seen = 0;
	char *r;

	report_init(&rep);
	buf_init(&t, 1 << 24);
	memset(&L, 0, sizeof(L));
	L.all.ptr = p;
	L.all.len = n;
	L.e = &e;
	L.rep = &rep;
	L.lim = lim;
	while (ref_next(&L, &line, &off)) {
		note_anomalies(&t, &rep, &seen);
		note(&t, line, L.no, off, L.pos >= L.all.len);
	}
	note_anomalies(&t, &rep, &seen);
	(void)buf_appendf(&t, "B %" PRIu64 " %" PRIu64 " %" PRIu64 " n=%" PRIu64 "\n",
			  L.nbinary, L.first_binary_off, L.first_binary_line, L.no);
	r = buf_detach(&t, NULL);
	buf_release(&t);
	report_release(&rep);
	return r;
}

/* cuts: the chunk ends (ascending, < n); ncuts 0 with whole: tl_lines_whole */
static char *
new_transcript(const unsigned char *p, size_t n, const struct imcq_limits *lim,
	       const size_t *cuts, size_t ncuts, bool whole)
{
	struct imcq_report rep;
	struct imcq_entry e = unit_entry("m", "m", IMCQ_PL_UNKNOWN, NULL, 0);
	struct tl_lines L;
	struct buf t;
	struct seen s;
	size_t i, from = 0;
	char *r;

	report_init(&rep);
	buf_init(&t, 1 << 24);
	s.t = &t;
	s.rep = &rep;
	s.nanoms = 0;
	tl_lines_init(&L, &e, &rep, lim, "x", on_line, &s);
	if (whole) {
		tl_lines_whole(&L, p, n);
	} else {
		for (i = 0; i <= ncuts; i++) {
			size_t to = i < ncuts ? cuts[i] : n;
			/* a copy, freed at once: the iterator keeps no pointer */
			unsigned char *c = xmalloc(to - from + 1);

			memcpy(c, p + from, to - from);
			tl_lines_feed(&L, c, to - from);
			free(c);
			from = to;
		}
		tl_lines_end(&L);
	}
	note_anomalies(&t, &rep, &s.nanoms);
	(void)buf_appendf(&t, "B %" PRIu64 " %" PRIu64 " %" PRIu64 " n=%" PRIu64 "\n",
			  L.nbinary, L.first_binary_off, L.first_binary_line, L.no);
	r = buf_detach(&t, NULL);
	buf_release(&t);
	report_release(&rep);
	return r;
}

/* Every chunk size, every single cut and every pair of cuts (short
 * inputs), against the reference. */
static void
check_all_cuts(const char *name, const void *data, size_t n, const struct imcq_limits *lim)
{
	const unsigned char *p = data;
	char *want = ref_transcript(p, n, lim);
	char *got;
	size_t k, i, j, cuts[4096];
	int bad = 0;

	got = new_transcript(p, n, lim, NULL, 0, true);
	if (strcmp(got, want) != 0 && bad++ == 0)
		fprintf(stderr, "%s: whole:\n--- want\n%s--- got\n%s", name, want, got);
	free(got);
	for (k = 1; k <= n + 1 && k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		size_t nc = 0;

		for (i = k; i < n && nc < sizeof(cuts) / sizeof(cuts[0]); i += k)
			cuts[nc++] = i;
		got = new_transcript(p, n, lim, cuts, nc, false);
		if (strcmp(got, want) != 0 && bad++ == 0)
			fprintf(stderr, "%s: chunks of %zu:\n--- want\n%s--- got\n%s", name, k,
				want, got);
		free(got);
	}
	for (i = 0; i <= n && n <= 200; i++)
		for (j = i; j <= n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			/* empty chunks too (i == j, i == 0, j == n) */
			got = new_transcript(p, n, lim, cuts, 2, false);
			if (strcmp(got, want) != 0 && bad++ == 0)
				fprintf(stderr, "%s: cuts %zu %zu:\n--- want\n%s--- got\n%s", name,
					i, j, want, got);
			free(got);
		}
	ASSERT_EQ_INT(bad, 0);
	free(want);
}

static struct imcq_limits
limits(size_t line_bytes, uint64_t lines)
{
	struct imcq_limits lim;

	imcq_limits_default(&lim);
	lim.line_bytes = line_bytes;
	lim.lines = lines;
	return lim;
}

#define CHECK(s, lim) check_all_cuts(#s, s, sizeof(s) - 1, lim)

TEST(test_line_ends)
{
	struct imcq_limits lim = limits(64 << 10, 1000000);

	CHECK("", &lim);
	CHECK("\n", &lim);
	CHECK("\r", &lim);
	CHECK("\r\n", &lim);
	CHECK("\n\r", &lim);
	CHECK("\r\r\n\n", &lim);
	CHECK("a", &lim);
	CHECK("ab\ncd\n", &lim);
	CHECK("ab\r\ncd\r\n", &lim);
	CHECK("ab\rcd\r", &lim);
	CHECK("ab\rcd\r\nef\ngh", &lim);
	CHECK("one\r\ntwo\rthree\nfour\r\n\r\nsix", &lim);
	CHECK("\n\n\nx\r\r\r", &lim);
	CHECK("last line without end\r\nx", &lim);
	CHECK("tab\tseparated\tfields\r\n\tleading\n", &lim);
}

TEST(test_long_and_binary)
{
	struct imcq_limits lim = limits(8, 1000000);

	CHECK("12345678\n123456789\n1234567890123\r\nshort\n", &lim);
	CHECK("123456789abcdefghij", &lim);
	CHECK("0123456789\r", &lim);
	CHECK("bin\001ary\nok\n\000\000\n", &lim);
	CHECK("\001\002\003\004\005\006\007\010\011\012", &lim);
	CHECK("long\001long\001long\nx\033y\r\n", &lim);
	lim = limits(0, 1000000);
	CHECK("a\nbb\n\n", &lim);
}

TEST(test_line_limit)
{
	struct imcq_limits lim = limits(64 << 10, 2);

	CHECK("a\nb\nc\nd\n", &lim);
	CHECK("a\nb\n", &lim);
	CHECK("a\nb\r", &lim);
	CHECK("a\r\nb\r\nc", &lim);
	CHECK("a\nb\r\n\r\n", &lim);
	lim = limits(64 << 10, 0);
	CHECK("a\nb\n", &lim);
	CHECK("", &lim);
	lim = limits(4, 3);
	CHECK("abcdefgh\r\nijklmnop\rq\r\nrest of the file\n", &lim);
}

/* A longer text of random lines and line ends, cut at random. */
TEST(test_random)
{
	static const char alphabet[] = "ab\t \r\n\r\n\001xyz";
	unsigned long long seed = 12345;
	struct imcq_limits lim = limits(24, 1000000);
	unsigned char text[3000];
	size_t round, i;
	int bad = 0;

	for (round = 0; round < 60; round++) {
		size_t n = 200 + round * 40;
		char *want, *got;
		size_t cuts[64], nc = 0;

		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			text[i] = (unsigned char)alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		lim.lines = round % 3 == 0 ? 40 : 1000000;
		want = ref_transcript(text, n, &lim);
		for (i = 0; i < 64; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if ((seed >> 40) % 4 == 0) {
				size_t at = (size_t)((seed >> 20) % n);

				if (nc == 0 || at > cuts[nc - 1])
					cuts[nc++] = at;
			}
		}
		got = new_transcript(text, n, &lim, cuts, nc, false);
		if (strcmp(got, want) != 0 && bad++ == 0)
			fprintf(stderr, "round %zu:\n--- want\n%s--- got\n%s", round, want, got);
		free(want);
		free(got);
	}
	ASSERT_EQ_INT(bad, 0);
}

/* ---- readers that stream: chunked as whole ------------------------------- */

#define S(x) ((x) ? (x) : "-")

static void
dump_strv(struct buf *t, char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)buf_appendf(t, " <%s>", v[i]);
}

/* Everything a text reader writes into the report, as text. */
static char *
report_text(const struct imcq_report *rep)
{
	struct buf t;
	size_t i;
	char *r;

	buf_init(&t, 1 << 24);
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		(void)buf_appendf(&t, "E %d %d %d %d %d %s %" PRIu64 " %" PRIu64
				  " %s %" PRId64 " %s %s %s %s %s %s %s %" PRIu64 " %s:",
				  e->input, e->snapshot, e->priority, (int)e->event_no,
				  (int)e->local_time, S(e->member), e->line, e->offset,
				  S(e->source), e->time, S(e->time_raw), S(e->msg_id),
				  S(e->gateway), S(e->partner), S(e->remote_id),
				  S(e->spool_id), S(e->originator), e->length, S(e->text));
		dump_strv(&t, e->rcpts.v, e->rcpts.n);
		(void)buf_appends(&t, "\n");
	}
	for (i = 0; i < rep->nsessions; i++) {
		const struct imcq_session *x = &rep->sessions[i];

		(void)buf_appendf(&t, "S %d %s %" PRIu64 "-%" PRIu64 " %" PRId64 "-%" PRId64
				  " %s %s %s %s %d %s %s %s [%s] %d %d:",
				  x->input, S(x->member), x->line_first, x->line_last, x->start,
				  x->end, S(x->remote), S(x->direction), S(x->helo),
				  S(x->mail_from), x->last_code, S(x->subject), S(x->domain),
				  S(x->outcome), S(x->outcome_line), x->snapshot,
				  (int)x->local_time);
		dump_strv(&t, x->rcpts.v, x->rcpts.n);
		(void)buf_appends(&t, " |");
		dump_strv(&t, x->replies.v, x->replies.n);
		(void)buf_appends(&t, "\n");
	}
	for (i = 0; i < rep->nroutes; i++) {
		const struct imcq_route_entry *x = &rep->routes[i];

		(void)buf_appendf(&t, "R %d %s %" PRIu64 " %" PRIu64 " %s %s %s %d %s %s %s %s [%s]\n",
				  x->input, S(x->member), x->line, x->offset, S(x->table),
				  S(x->type), S(x->space), x->cost, S(x->connector),
				  S(x->server), S(x->scope), S(x->host), S(x->raw));
	}
	for (i = 0; i < rep->ntables; i++) {
		const struct imcq_table_file *x = &rep->tables[i];

		(void)buf_appendf(&t, "T %d %s %s %s %" PRId64 " %" PRId64 " %d %s %zu\n",
				  x->input, S(x->member), S(x->table), S(x->style), x->mtime,
				  x->newest_time, x->snapshot, x->sha256, x->nlines);
	}
	for (i = 0; i < rep->nanoms; i++) {
		const struct imcq_anomaly *a = &rep->anoms[i];

		(void)buf_appendf(&t, "A %s %d %d %s %" PRIu64 " %s\n", a->code, (int)a->sev,
				  a->input, S(a->member), a->offset, a->message);
	}
	(void)buf_appendf(&t, "dropped %" PRIu64 "\n", rep->anoms_dropped);
	r = buf_detach(&t, NULL);
	buf_release(&t);
	return r;
}

static char *
read_chunked(const struct imcq_format *f, const char *member, const char *base,
	     enum imcq_place pl, const void *data, size_t n, size_t chunk,
	     const struct imcq_limits *lim)
{
	static const char sha[] = "0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef";
	struct imcq_report rep;
	struct imcq_entry e = unit_entry(member, base, pl, data, n);
	struct imcq_sink s;
	char *t;
	int rc;

	report_init(&rep);
	rep.lim = *lim;
	s.rep = &rep;
	s.lim = &rep.lim;
	s.message = NULL;
	s.user = NULL;
	e.sha256 = sha;
	if (chunk == 0) {
		rc = f->read(&e, &s);
	} else {
		struct imcq_entry se = e;
		void *st;
		size_t i;

		/* as ingest streams: no data, no size or digest until close */
		se.data = NULL;
		se.len = 0;
		se.size = 0;
		se.sha256 = NULL;
		st = f->open(&se, &s);
		for (i = 0; i < n; i += chunk) {
			size_t k = n - i < chunk ? n - i : chunk;
			unsigned char *c = xmalloc(k);

			memcpy(c, (const unsigned char *)data + i, k);
			f->feed(st, c, k);
			free(c);
		}
		se.size = n;
		se.sha256 = sha;
		rc = f->close(st);
	}
	t = report_text(&rep);
	{
		char *u = xasprintf("rc=%d %s", rc, t);

		free(t);
		t = u;
	}
	report_release(&rep);
	return t;
}

static void
check_reader(const struct imcq_format *f, const char *member, const char *base,
	     enum imcq_place pl, const char *data, const struct imcq_limits *lim)
{
	size_t n = strlen(data);
	char *want = read_chunked(f, member, base, pl, data, n, 0, lim);
	static const size_t sizes[] = { 1, 2, 3, 5, 7, 13, 64, 100, 4096 };
	size_t i;

	ASSERT(f->open && f->feed && f->close);
	if (getenv("TEST_TEXTLINE_SHOW"))
		fprintf(stderr, "%s\n", want);
	ASSERT(strstr(want, "\nA ") != NULL || strncmp(want, "rc=0 A ", 7) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *got = read_chunked(f, member, base, pl, data, n, sizes[i], lim);

		if (strcmp(got, want) != 0) {
			test_failures++;
			fprintf(stderr, "%s: %s in chunks of %zu differs:\n%s\n%s\n", f->name,
				base, sizes[i], want, got);
		}
		free(got);
	}
	free(want);
}

static const char TRACKING[] =
	"# Message Tracking Log File\r\n"
	"c=US;a= ;p=MICROSOFT;l=TAMRAJ2-960701173047Z-2\t1003\t1996.7.1 17:32:18\t"
	"/o=MICROSOFT/ou=TAMRAJ/cn=Configuration/cn=Connections/cn=Internet Mail Connector (TAMRAJ2)\t"
	"alpine.microsoft.com\t"
	"<c=US%a=_%p=MICROSOFT%l=TAMRAJ2-960701173047Z-2@tamraj.microsoft.com>[PBZ70AAB]\t"
	"/o=MICROSOFT/ou=TAMRAJ/cn=RECIPIENTS/cn=TAMRAJ1\t0\t2907\t0\t1\tSUBJ-1\t3\t"
	"a@alpine.microsoft.com\n"
	"b@alpine.microsoft.com\t0\r"
	"c@alpine.microsoft.com\t1\n"
	"stray \001 binary line\n"
	"<3SW32JRP@ims.example.com>\t1010\t1999.12.31\t23:59:9\t\tmail.example.org\t"
	"<3SW32JRP@ims.example.com>[3SW32JRP]\t/o=ORG/ou=SITE/cn=Recipients/cn=bob\tx\t100\t0\t1\t\t1\t"
	"carol@example.org\r\n"
	"<4AB@ims>\t1011\t1999.13.1 1:2:3\tgw\tpartner\t<4AB@ims>[4ABCDEFG]\t/o=ORG/cn=bob\t0\t"
	"1\t0\t1\t\t1\td@example.org\t\n"
	"<5AB@ims>\t9\t1999.1.1 1:2:3\tgw";

static const char PROTOLOG[] =
	"stray text before any session\n"
	"4/5/99 10:22:41 AM : A connection to 10.1.1.1 was established.\r\n"
	"4/5/99 10:22:41 AM : IO: |220 r40.domain.com ... ready\r\n"
	"4/5/99 10:22:41 AM : 220 r40.domain.com ... ready\r\n"
	"4/5/99 10:22:41 AM : EHLO xxmims2.srv.dom.com\r"
	"4/5/99 10:22:42 AM : MAIL FROM:<bob@dom.com>\n"
	"4/5/99 10:22:42 AM : RCPT TO:<carol@tool.com>\n"
	"4/5/99 10:22:42 AM : IO: |250-first\n"
	"250 second line of a reply\n"
	"4/5/99 10:22:43 AM : DATA\n"
	"4/5/99 10:22:43 AM : IO: |354 Enter mail, end with \".\"\n"
	"4/5/99 10:22:44 AM : 499 No routing hosts are reachable for tool.com. "
	"Message subject: \"\"Case 27375\"\". Rescheduling delivery for later.\n"
	"13/5/99 25:00:00 : bad \002 time\n"
	"14/5/99 10:00:00 : Connection from 10.2.2.2 accepted\n"
	"14/5/99 10:00:01 : IO: |HELO there\n"
	"14/5/99 10:00:02 : 550 no thanks";

static const char ROUTETXT[] =
	"SMTP,*@x.com;,1,Internet Mail Service (B),\r\n"
	"SMTP:*@y.com cost 5 11/23/26 2:00:00 PM\r"
	"\001\002 binary\n"
	"address space SMTP:*@z.com cost 3\n"
	"Mon Nov 23 14:00:00 2026";

TEST(test_readers_chunked)
{
	struct imcq_limits lim;

	imcq_limits_default(&lim);
	check_reader(&imcq_format_tracking, "Exchsrvr/Tracking.log/19990101.log",
		     "19990101.log", IMCQ_PL_TRACKING, TRACKING, &lim);
	check_reader(&imcq_format_protolog, "Exchsrvr/Imcdata/Log/L0000001.LOG",
		     "L0000001.LOG", IMCQ_PL_LOG, PROTOLOG, &lim);
	check_reader(&imcq_format_routetxt, "Exchsrvr/Imcdata/Log/Route.txt",
		     "Route.txt", IMCQ_PL_LOG, ROUTETXT, &lim);
	/* the caps: short lines, few recipients and anomalies; few lines */
	lim.line_bytes = 40;
	lim.rcpts = 1;
	lim.anomalies = 4;
	check_reader(&imcq_format_tracking, "Exchsrvr/Tracking.log/19990101.log",
		     "19990101.log", IMCQ_PL_TRACKING, TRACKING, &lim);
	check_reader(&imcq_format_protolog, "Exchsrvr/Imcdata/Log/L0000001.LOG",
		     "L0000001.LOG", IMCQ_PL_LOG, PROTOLOG, &lim);
	check_reader(&imcq_format_routetxt, "Exchsrvr/Imcdata/Log/Route.txt",
		     "Route.txt", IMCQ_PL_LOG, ROUTETXT, &lim);
	imcq_limits_default(&lim);
	lim.lines = 6;
	check_reader(&imcq_format_tracking, "Exchsrvr/Tracking.log/19990101.log",
		     "19990101.log", IMCQ_PL_TRACKING, TRACKING, &lim);
	check_reader(&imcq_format_protolog, "Exchsrvr/Imcdata/Log/L0000001.LOG",
		     "L0000001.LOG", IMCQ_PL_LOG, PROTOLOG, &lim);
	check_reader(&imcq_format_routetxt, "Exchsrvr/Imcdata/Log/Route.txt",
		     "Route.txt", IMCQ_PL_LOG, ROUTETXT, &lim);
}

TEST_MAIN(test_line_ends, test_long_and_binary, test_line_limit, test_random,
	  test_readers_chunked)
