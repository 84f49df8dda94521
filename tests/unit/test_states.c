/* SPDX-License-Identifier: MIT */
/* test_states.c - states, queue times, time-outs, joins, cross-check
 * findings and snapshots, on reports built by hand. */
#include "analyzer/joins.h"
#include "analyzer/pipeline.h"
#include "analyzer/snapshots.h"
#include "analyzer/core/spill.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "tests/unit/test.h"

#define H	((int64_t)3600)
#define NOW	((int64_t)1795000000)	/* 2026-11-18T... */

static struct imcq_report rep;
static struct imcq_opts opt;

static void
reset(void)
{
	report_release(&rep);
	report_init(&rep);
	opts_default(&opt);
	opt.now = NOW;
}

static void
add_input(const char *path)
{
	struct imcq_input in;

	memset(&in, 0, sizeof(in));
	in.path = xstrdup(path);
	in.kind = "archive";
	in.snapshot = (int)rep.ninputs;
	in.mtime = IMCQ_NOTIME;
	VEC_PUSH(rep.inputs, rep.ninputs, rep.inputcap, in);
}

static const char *
place_dir(enum imcq_queue q)
{
	switch (q) {
	case IMCQ_Q_OUT: return "Imcdata/Out/";
	case IMCQ_Q_IN: return "Imcdata/In/";
	case IMCQ_Q_OUT_ARCHIVE: return "Imcdata/Out/Archive/";
	case IMCQ_Q_IN_ARCHIVE: return "Imcdata/In/Archive/";
	case IMCQ_Q_PICKUP: return "Imcdata/Pickup/";
	default: return "Imcdata/Other/";
	}
}

static enum imcq_place
place_of(enum imcq_queue q)
{
	switch (q) {
	case IMCQ_Q_OUT: return IMCQ_PL_OUT;
	case IMCQ_Q_IN: return IMCQ_PL_IN;
	case IMCQ_Q_OUT_ARCHIVE: return IMCQ_PL_OUT_ARCHIVE;
	case IMCQ_Q_IN_ARCHIVE: return IMCQ_PL_IN_ARCHIVE;
	case IMCQ_Q_PICKUP: return IMCQ_PL_PICKUP;
	default: return IMCQ_PL_UNKNOWN;
	}
}

/* A spool file in queue q of snapshot snap, written at mtime. */
static struct imcq_message *
msg(const char *id, enum imcq_queue q, int snap, int64_t mtime)
{
	struct imcq_message *m = message_new();
	struct imcq_source src;
	struct imcq_inv v;
	char *member = xasprintf("%s%s", place_dir(q), id);

	memset(&src, 0, sizeof(src));
	src.input = snap;
	src.member = member;
	src.mtime = mtime;
	src.size = 100;
	message_add_source(m, &src);
	memset(&v, 0, sizeof(v));
	v.input = snap;
	v.member = member;
	v.mtime = mtime;
	v.place = place_of(q);
	v.kind = "spool";
	{
		char sha[65];

		memset(sha, 'a', 64);
		sha[64] = '\0';
		inv_set_sha256(&v, sha);
	}
	VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
	message_bind_source(&rep, m, rep.ninv - 1);	/* as the pipeline does */
	m->spool_id = xstrdup(id);
	m->format = xstrdup("spool");
	m->queue = q;
	m->place = place_of(q);
	m->snapshot = snap;
	m->size = 1000;
	memset(m->im->body_sha256, 0, sizeof(m->im->body_sha256));
	memcpy(m->im->body_sha256, id, strlen(id) < 32 ? strlen(id) : 32);
	m->has_body_sha256 = true;
	message_seen_in(m, (unsigned)snap);
	report_add_message(&rep, m);
	return m;
}

static void
rcpt(struct imcq_message *m, const char *a)
{
	strv_push(&m->im->env.rcpt_to, xstrdup(a));
	message_add_rcpt(m, a);
}

static void
hop(struct imcq_message *m, const char *by, const char *id, int64_t date)
{
	struct imcq_hop h;

	memset(&h, 0, sizeof(h));
	h.by = by ? xstrdup(by) : NULL;
	h.id = id ? xstrdup(id) : NULL;
	h.date = date;
	h.raw = xasprintf("by %s with Internet Mail Service (5.5.2653.13) id <%s>",
			  by ? by : "?", id ? id : "?");
	headers_add_hop(&m->im->hdr, &h);
}

static struct imcq_event *
tev(int snap, int no, int64_t t, const char *msgid, const char *spool)
{
	struct imcq_event *e = report_add_event(&rep);

	e->input = snap;
	e->snapshot = snap;
	e->member = xstrdup("Tracking.log/20261125.log");
	e->line = rep.nevents;
	e->offset = 100 * rep.nevents;
	e->source = "tracking";
	e->event_no = no;
	e->time = t;
	e->time_raw = xstrdup("2026.11.25 16:02:46");
	e->msg_id = msgid ? xstrdup(msgid) : NULL;
	if (spool) {
		e->spool_id = xstrdup(spool);
		e->remote_id = xasprintf("%s%s%s[%s]", msgid && *msgid == '<' ? "" : "<",
					 msgid ? msgid : "x@y",
					 msgid && *msgid == '<' ? "" : ">", spool);
	}
	e->text = xasprintf("%d tracking event", no);
	return e;
}

static struct imcq_session *
sess(int snap, const char *from, const char *to, const char *outcome, int64_t start)
{
	struct imcq_session *s = report_add_session(&rep);

	s->input = snap;
	s->snapshot = snap;
	s->member = xstrdup("Imcdata/Log/L0000003.LOG");
	s->line_first = 1;
	s->line_last = 9;
	s->start = start;
	s->end = start == IMCQ_NOTIME ? IMCQ_NOTIME : start + 10;
	s->direction = "outbound";
	s->mail_from = xstrdup(from);
	strv_push(&s->rcpts, xstrdup(to));
	s->outcome = outcome;
	s->outcome_line = xstrdup("250 OK");
	s->local_time = true;
	return s;
}

static struct imcq_queue_file *
qdat(int snap, const char *const *ids, size_t n)
{
	struct imcq_queue_file *q = report_add_qfile(&rep);
	size_t i;

	q->input = snap;
	q->snapshot = snap;
	q->member = xstrdup("Imcdata/Queue.dat");
	q->size = 8192;
	for (i = 0; i < n; i++) {
		struct imcq_qref *r = qfile_add_ref(q, ids[i], 4096 + 256 * i);

		r->enc = IMCQ_QENC_ASCII;
		r->record = (int)i;
		r->count = 1;
	}
	return q;
}

static void
config(int snap, const char *name, const char *value)
{
	struct imcq_config *c = report_add_config(&rep);

	c->input = snap;
	c->snapshot = snap;
	c->member = xstrdup("Imcsvc.reg");
	c->line = 7;
	c->key = xstrdup("HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters");
	c->name = xstrdup(name);
	c->value = xstrdup(value);
	c->type = "dword";
}

static struct imcq_message *
find(const char *id, enum imcq_queue q, int snap)
{
	size_t i;

	for (i = 0; i < rep.nmsgs; i++)
		if (rep.msgs[i]->spool_id && strcmp(rep.msgs[i]->spool_id, id) == 0 &&
		    (rep.msgs[i]->queue == q || rep.msgs[i]->state == IMCQ_ST_MISSING) &&
		    rep.msgs[i]->snapshot == snap)
			return rep.msgs[i];
	return NULL;
}

static const struct imcq_finding *
has(const struct imcq_message *m, const char *code)
{
	size_t i;

	for (i = 0; m && i < m->findings.n; i++)
		if (strcmp(m->findings.v[i].code, code) == 0)
			return &m->findings.v[i];
	return NULL;
}

static const struct imcq_finding *
rep_has(const char *code)
{
	size_t i;

	for (i = 0; i < rep.findings.n; i++)
		if (strcmp(rep.findings.v[i].code, code) == 0)
			return &rep.findings.v[i];
	return NULL;
}

static bool
strv_has(const struct imcq_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static void
run(void)
{
	if (rep.ninputs == 0)
		add_input("b.zip");
	analyze_states(&rep, &opt);
}

/* ---- states ---------------------------------------------------------------- */

TEST(test_awaiting_and_expired)
{
	struct imcq_message *a, *b;

	reset();
	a = msg("AAAA1111", IMCQ_Q_OUT, 0, NOW - 10 * H);
	rcpt(a, "bob@example.com");
	b = msg("BBBB2222", IMCQ_Q_OUT, 0, NOW - 50 * H);
	rcpt(b, "bob@example.com");
	run();
	a = find("AAAA1111", IMCQ_Q_OUT, 0);
	b = find("BBBB2222", IMCQ_Q_OUT, 0);
	ASSERT_EQ_STR(imcq_state_name(a->state), "awaiting-delivery");
	ASSERT_EQ_STR(a->queue_time_source, "file mtime");
	ASSERT_EQ_INT(a->expires, NOW - 10 * H + 48 * H);
	ASSERT(a->state_reason != NULL && strstr(a->state_reason, "48 h") != NULL);
	ASSERT(has(a, "EXPIRED") == NULL);
	ASSERT_EQ_STR(imcq_state_name(b->state), "expired");
	ASSERT(has(b, "EXPIRED") != NULL);
	ASSERT_EQ_STR(has(b, "EXPIRED")->basis, "documented");
	ASSERT(strstr(has(b, "EXPIRED")->action, "--where 'state = expired' INPUT") != NULL);
	ASSERT(rep_has("EXPIRED") != NULL && rep_has("EXPIRED")->nspool_ids == 1);
	ASSERT_EQ_STR(rep.reference_source, "--now");
}

TEST(test_priority_timeouts)
{
	struct imcq_message *u, *n, *l, *p;

	reset();
	u = msg("URGENT01", IMCQ_Q_OUT, 0, NOW - 30 * H);
	u->c.x_priority = xstrdup("1 (Highest)");
	n = msg("NORMAL01", IMCQ_Q_OUT, 0, NOW - 30 * H);
	l = msg("LOWPRI01", IMCQ_Q_OUT, 0, NOW - 60 * H);
	l->c.importance = xstrdup("Low");
	p = msg("NONURG01", IMCQ_Q_OUT, 0, NOW - 80 * H);
	p->c.priority = xstrdup("non-urgent");
	run();
	u = find("URGENT01", IMCQ_Q_OUT, 0);
	n = find("NORMAL01", IMCQ_Q_OUT, 0);
	l = find("LOWPRI01", IMCQ_Q_OUT, 0);
	p = find("NONURG01", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(u->priority, 1);
	ASSERT_EQ_STR(imcq_state_name(u->state), "expired");	/* 24 h */
	ASSERT_EQ_STR(has(u, "EXPIRED")->basis, "inferred");
	ASSERT_EQ_STR(imcq_state_name(n->state), "awaiting-delivery");
	ASSERT_EQ_INT(l->priority, -1);
	ASSERT_EQ_STR(imcq_state_name(l->state), "awaiting-delivery");	/* 72 h */
	ASSERT_EQ_INT(l->expires, NOW - 60 * H + 72 * H);
	ASSERT_EQ_INT(p->priority, -1);
	ASSERT_EQ_STR(imcq_state_name(p->state), "expired");
}

TEST(test_ndr_suppresses_expired)
{
	struct imcq_message *m;

	reset();
	m = msg("NDRNDR01", IMCQ_Q_OUT, 0, NOW - 60 * H);
	rcpt(m, "bob@example.com");
	tev(0, 1017, NOW - 5 * H, "<x1@corp>", "NDRNDR01");
	run();
	m = find("NDRNDR01", IMCQ_Q_OUT, 0);
	ASSERT_EQ_STR(imcq_state_name(m->state), "awaiting-delivery");
	ASSERT(has(m, "EXPIRED") == NULL);
	ASSERT(strstr(m->state_reason, "NDR") != NULL);
}

TEST(test_delivered_by_tracking)
{
	struct imcq_message *m, *p;
	struct imcq_event *e;

	reset();
	m = msg("DELIV001", IMCQ_Q_OUT, 0, NOW - 10 * H);
	rcpt(m, "tom@example.org");
	rcpt(m, "ev@example.org");
	m->im->hdr.message_id = xstrdup("<c=US%a=_%p=Contoso%l=EXB2-261125154659Z-1327@exb2.example>");
	/* joined by the MTS-ID form of tracking field 1 */
	e = tev(0, 1011, NOW - 9 * H, "c=US;a= ;p=Contoso;l=EXB2-261125154659Z-1327", NULL);
	event_add_rcpt(e, xstrdup("tom@example.org"));
	event_add_rcpt(e, xstrdup("EV@example.org"));
	p = msg("PARTIAL1", IMCQ_Q_OUT, 0, NOW - 10 * H);
	rcpt(p, "a@example.org");
	rcpt(p, "b@example.net");
	e = tev(0, 1011, NOW - 9 * H, "<p1@corp>", "PARTIAL1");
	event_add_rcpt(e, xstrdup("a@example.org"));
	run();
	m = find("DELIV001", IMCQ_Q_OUT, 0);
	p = find("PARTIAL1", IMCQ_Q_OUT, 0);
	ASSERT_EQ_STR(imcq_state_name(m->state), "delivered");
	ASSERT_EQ_STR(m->rcpts[0].status, "delivered");
	ASSERT_EQ_STR(m->rcpts[1].status, "delivered");
	ASSERT(m->rcpts[0].ev.n == 1 && m->rcpts[0].ev.v[0].line > 0);
	ASSERT(has(m, "DUPLICATE_RISK") != NULL);
	ASSERT_EQ_INT(has(m, "DUPLICATE_RISK")->sev, IMCQ_SEV_WARNING);
	ASSERT_EQ_STR(imcq_state_name(p->state), "awaiting-delivery");
	ASSERT_EQ_STR(p->rcpts[0].status, "delivered");
	ASSERT_EQ_STR(p->rcpts[1].status, "pending");
	ASSERT(strstr(p->state_reason, "1 of 2") != NULL);
	ASSERT(has(p, "DUPLICATE_RISK") != NULL);
}

TEST(test_delivered_by_protocol_log)
{
	struct imcq_message *m;

	reset();
	m = msg("PLOG0001", IMCQ_Q_OUT, 0, NOW - 10 * H);
	m->im->env.mail_from = xstrdup("eruiz@corp.example");
	rcpt(m, "tom@example.org");
	sess(0, "<ERuiz@corp.example>", "<tom@example.org>", "delivered", NOW - 14 * H);
	run();
	m = find("PLOG0001", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->nsess_idx, 1);
	ASSERT_EQ_STR(imcq_state_name(m->state), "delivered");
	ASSERT(m->rcpts[0].ev.n == 1 &&
	       strstr(m->rcpts[0].ev.v[0].excerpt, "time zone open") != NULL);
	ASSERT_EQ_STR(has(m, "DUPLICATE_RISK")->basis, "inferred");
}

TEST(test_protocol_log_contradicted)
{
	struct imcq_message *m;

	reset();
	m = msg("PLOG0003", IMCQ_Q_OUT, 0, NOW - 10 * H);
	m->im->env.mail_from = xstrdup("eruiz@corp.example");
	rcpt(m, "tom@example.org");
	sess(0, "eruiz@corp.example", "tom@example.org", "delivered", NOW - 8 * H);
	/* tracking records transfers, none for this message */
	tev(0, 1011, NOW - 8 * H, "<other@corp>", "OTHER001");
	/* a session no time zone can put after the queuing */
	sess(0, "eruiz@corp.example", "tom@example.org", "delivered", NOW - 40 * H);
	run();
	m = find("PLOG0003", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->nsess_idx, 1);
	ASSERT_EQ_STR(imcq_state_name(m->state), "awaiting-delivery");
	ASSERT_EQ_STR(m->rcpts[0].status, "pending");
}

TEST(test_session_time_window)
{
	struct imcq_message *m;

	reset();
	opt.have_log_tz = true;
	opt.log_tz_minutes = -300;	/* UTC-05:00 */
	m = msg("PLOG0002", IMCQ_Q_OUT, 0, NOW - 10 * H);
	m->im->env.mail_from = xstrdup("eruiz@corp.example");
	rcpt(m, "tom@example.org");
	/* local NOW-14h = UTC NOW-9h: after the queue time, joins */
	sess(0, "eruiz@corp.example", "tom@example.org", "deferred", NOW - 14 * H);
	/* local NOW-20h = UTC NOW-15h: before the queue time, does not */
	sess(0, "eruiz@corp.example", "tom@example.org", "delivered", NOW - 20 * H);
	run();
	m = find("PLOG0002", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->nsess_idx, 1);
	ASSERT_EQ_INT(m->sess_idx[0], 0);
	ASSERT_EQ_INT(rep.sessions[0].start, NOW - 9 * H);
	ASSERT(!rep.sessions[0].local_time);
	ASSERT_EQ_STR(imcq_state_name(m->state), "awaiting-delivery");
}

TEST(test_other_states)
{
	struct imcq_message *m;

	reset();
	m = msg("DAMAGED1", IMCQ_Q_OUT, 0, NOW - H);
	m->damaged = true;
	m->damage = xstrdup("truncated: no EwLs");
	msg("DAMAGED1", IMCQ_Q_OUT_ARCHIVE, 0, NOW - H);
	msg("INBOUND1", IMCQ_Q_IN, 0, NOW - H);
	msg("testmsg.eml", IMCQ_Q_PICKUP, 0, NOW - H);
	msg("ARCONLY1", IMCQ_Q_OUT_ARCHIVE, 0, NOW - H);
	run();
	m = find("DAMAGED1", IMCQ_Q_OUT, 0);
	ASSERT_EQ_STR(imcq_state_name(m->state), "damaged");
	ASSERT(strstr(m->state_reason, "readable copy is in Imcdata/Out/Archive") != NULL);
	m = find("DAMAGED1", IMCQ_Q_OUT_ARCHIVE, 0);
	ASSERT_EQ_STR(imcq_state_name(m->state), "archived");
	ASSERT(strstr(m->state_reason, "also queued as DAMAGED1") != NULL);
	ASSERT_EQ_STR(imcq_state_name(find("INBOUND1", IMCQ_Q_IN, 0)->state),
		      "awaiting-conversion");
	ASSERT_EQ_STR(imcq_state_name(find("testmsg.eml", IMCQ_Q_PICKUP, 0)->state), "pickup");
	m = find("ARCONLY1", IMCQ_Q_OUT_ARCHIVE, 0);
	ASSERT_EQ_STR(imcq_state_name(m->state), "archived");
	ASSERT(strstr(m->state_reason, "only as an archive copy") != NULL);
}

/* ---- queue time ------------------------------------------------------------- */

TEST(test_queue_time_precedence)
{
	struct imcq_message *m;
	int64_t t0 = NOW - 20 * H;

	reset();
	/* 1: the IMS Received line whose id is the spool id */
	m = msg("QTHOP001", IMCQ_Q_OUT, 0, NOW - H);
	hop(m, "relay.example", "ZZZZ9999", t0 - H);
	hop(m, "exb2.corp.example", "<QTHOP001>", t0);
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Corp;l=EXB2-261125154659Z-1");
	tev(0, 1010, t0 + 60, NULL, "QTHOP001");
	/* 2: an inbound MTS-ID ending in the spool id */
	m = msg("WKA6D6YM", IMCQ_Q_IN, 0, NOW - H);
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Corp;l=RAYDEN9711051951WKA6D6YM");
	/* 3: tracking 1010 beats the Exchange MTS-ID (submission time) */
	m = msg("QT1010AA", IMCQ_Q_OUT, 0, NOW - H);
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Corp;l=EXB2-261125154659Z-1");
	tev(0, 1010, t0 + 120, NULL, "QT1010AA");
	/* 4: the Exchange MTS-ID */
	m = msg("QTMTSID1", IMCQ_Q_OUT, 0, NOW - H);
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Corp;l=EXB2-261125154659Z-1");
	/* 5: the file mtime */
	msg("QTMTIME1", IMCQ_Q_OUT, 0, NOW - 2 * H);
	run();
	m = find("QTHOP001", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->queue_time, t0);
	ASSERT_EQ_STR(m->queue_time_source, "IMS Received line (id = spool id)");
	m = find("WKA6D6YM", IMCQ_Q_IN, 0);
	{
		int64_t want;

		ASSERT(imcq_mktime(1997, 11, 5, 19, 51, 0, &want));
		ASSERT_EQ_INT(m->queue_time, want);
	}
	ASSERT(strstr(m->queue_time_source, "inbound MTS-ID") != NULL);
	m = find("QT1010AA", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->queue_time, t0 + 120);
	ASSERT_EQ_STR(m->queue_time_source, "tracking 1010 (SMTP queued outbound)");
	m = find("QTMTSID1", IMCQ_Q_OUT, 0);
	{
		int64_t want;

		ASSERT(imcq_mktime(2026, 11, 25, 15, 46, 59, &want));
		ASSERT_EQ_INT(m->queue_time, want);
	}
	ASSERT(strstr(m->queue_time_source, "Exchange MTS-ID") != NULL);
	m = find("QTMTIME1", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->queue_time, NOW - 2 * H);
	ASSERT_EQ_STR(m->queue_time_source, "file mtime");
}

/* ---- joins ---------------------------------------------------------------------- */

TEST(test_join_keys)
{
	char *a, *b;
	int64_t t;
	const char *form;

	a = joins_msgid_key("c=US;a= ;p=MICROSOFT;l=TAMRAJ2-960701173047Z-2");
	b = joins_msgid_key("<c=US%a=_%p=MICROSOFT%l=TAMRAJ2-960701173047Z-2@tamraj.microsoft.com>");
	ASSERT_EQ_STR(a, b);
	free(a);
	free(b);
	a = joins_msgid_key("<Abc.123@Corp.Example>");
	b = joins_msgid_key("abc.123@corp.example");
	ASSERT_EQ_STR(a, b);
	free(a);
	free(b);
	ASSERT(joins_msgid_key("<>") == NULL);
	a = joins_remote_msgid("<x.1@corp>[PBZ70AAB]");
	ASSERT_EQ_STR(a, "<x.1@corp>");
	free(a);
	a = joins_addr_key("IMCEASMTP-bob+40example+2Ecom@corp.example");
	ASSERT_EQ_STR(a, "bob@example.com");
	free(a);
	a = joins_addr_key(" <Bob@Example.COM> ");
	ASSERT_EQ_STR(a, "bob@example.com");
	free(a);
	a = joins_spool_key("pbz70aab");
	ASSERT_EQ_STR(a, "PBZ70AAB");
	free(a);
	ASSERT(joins_spool_key("testmsg.eml") == NULL);
	ASSERT(joins_mts_time("c=US;a= ;p=MICROSOFT;l=TAMRAJ2-960701173047Z-2", NULL, &t, &form));
	ASSERT_EQ_STR(form, "exchange");
	ASSERT(joins_mts_time("c=US;a= ;p=Org;l=RAYDEN9711051951WKA6D6YM", "wka6d6ym", &t, &form));
	ASSERT_EQ_STR(form, "inbound");
	ASSERT(!joins_mts_time("c=US;a= ;p=Org;l=RAYDEN9711051951WKA6D6YM", "OTHER123", &t, &form));
}

/* joins_key_classes: messages with equal keys share the smallest index of
 * their class; a message without the key has none; the body keys skip
 * what they must (damaged, empty) */
TEST(test_key_classes)
{
	struct imcq_message *m[7];
	uint32_t *c;

	reset();
	m[0] = msg("SAMEID01", IMCQ_Q_OUT, 0, NOW - H);
	m[0]->im->hdr.message_id = xstrdup("<X.1@Corp.Example>");
	m[1] = msg("OTHER001", IMCQ_Q_OUT, 0, NOW - H);
	m[1]->im->hdr.message_id = xstrdup("x.1@corp.example");	/* the same key */
	m[2] = msg("OTHER002", IMCQ_Q_OUT, 0, NOW - H);		/* no Message-ID */
	m[3] = msg("OTHER003", IMCQ_Q_OUT, 0, NOW - H);
	m[3]->im->hdr.message_id = xstrdup("<y@corp.example>");
	m[4] = msg("SAMEID01", IMCQ_Q_OUT, 1, NOW - H);		/* same spool id and body */
	m[4]->im->hdr.message_id = xstrdup("<X.1@corp.example>");
	m[5] = msg("SAMEID01", IMCQ_Q_OUT, 1, NOW - H);		/* ... but damaged */
	m[5]->damaged = true;
	m[6] = msg("OTHER003", IMCQ_Q_OUT, 1, NOW - H);
	m[6]->size = 0;						/* empty */

	c = joins_key_classes(&rep, JK_MSGID);
	ASSERT_EQ_INT(c[0], 0);
	ASSERT_EQ_INT(c[1], 0);
	ASSERT(c[2] == UINT32_MAX);
	ASSERT_EQ_INT(c[3], 3);
	ASSERT_EQ_INT(c[4], 0);
	ASSERT(c[5] == UINT32_MAX && c[6] == UINT32_MAX);
	free(c);
	c = joins_key_classes(&rep, JK_BODY);
	ASSERT_EQ_INT(c[0], 0);
	ASSERT_EQ_INT(c[1], 1);
	ASSERT_EQ_INT(c[4], 0);
	ASSERT(c[5] == UINT32_MAX);	/* damaged */
	ASSERT(c[6] == UINT32_MAX);	/* empty */
	ASSERT_EQ_INT(c[3], 3);
	free(c);
	c = joins_key_classes(&rep, JK_SPOOL_BODY);
	ASSERT_EQ_INT(c[4], 0);
	ASSERT_EQ_INT(c[5], 0);		/* damaged still names the file */
	ASSERT_EQ_INT(c[6], 3);		/* empty too */
	ASSERT_EQ_INT(c[1], 1);
	free(c);
}

TEST(test_joins_by_each_key)
{
	struct imcq_message *m;

	reset();
	m = msg("JOINSP01", IMCQ_Q_OUT, 0, NOW - H);
	m->ims_id = xstrdup("JOINIM01");
	m->im->hdr.message_id = xstrdup("<join.1@corp.example>");
	m->im->env.mts_id = xstrdup("c=US;a= ;p=Corp;l=EXB2-261125154659Z-77");
	tev(0, 1010, NOW - H, NULL, "joinsp01");				/* 0: spool id */
	tev(0, 1010, NOW - H, NULL, "JOINIM01");				/* 1: IMS id */
	tev(0, 4, NOW - H, "join.1@corp.example", NULL);			/* 2: Message-ID */
	tev(0, 7, NOW - H, "C=US;A= ;P=CORP;L=EXB2-261125154659Z-77", NULL);	/* 3: MTS-ID */
	tev(0, 1011, NOW - H, "<other@x>", "OTHER001");				/* 4: no */
	tev(0, 1011, NOW - H, "zzz", NULL)->remote_id = xstrdup("<join.1@corp.example>[ZZZZ0000]");
	run();
	m = find("JOINSP01", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->nev_idx, 5);
	ASSERT_EQ_INT(m->ev_idx[0], 0);
	ASSERT_EQ_INT(m->ev_idx[3], 3);
	ASSERT_EQ_INT(m->ev_idx[4], 5);
	ASSERT(joins_event_concerns(m, &rep.events[2]));
	ASSERT(!joins_event_concerns(m, &rep.events[4]));
}

/* ---- cross-checks ------------------------------------------------------------------- */

TEST(test_missing_and_not_in_queue_dat)
{
	static const char *const ids[] = { "INQUEUE1", "MISSQD01" };
	struct imcq_message *m;
	struct imcq_event *e;

	reset();
	msg("INQUEUE1", IMCQ_Q_OUT, 0, NOW - H);
	msg("NOTINQD1", IMCQ_Q_OUT, 0, NOW - H);
	qdat(0, ids, 2);
	e = tev(0, 1010, NOW - 3 * H, "<miss.2@corp>", "MISSTR01");	/* no 1011: missing */
	event_add_rcpt(e, xstrdup("rsingh@example.com"));
	tev(0, 1010, NOW - 3 * H, "<gone.3@corp>", "GONE0001");		/* transferred */
	tev(0, 1011, NOW - 2 * H, "<gone.3@corp>", "GONE0001");
	run();
	m = find("MISSQD01", IMCQ_Q_OUT, 0);
	ASSERT(m != NULL && m->state == IMCQ_ST_MISSING && m->nsources == 0);
	ASSERT(has(m, "MISSING_SPOOL_FILE") != NULL);
	ASSERT_EQ_INT(has(m, "MISSING_SPOOL_FILE")->ev.v[0].offset, 4096 + 256);
	ASSERT(strstr(m->state_reason, "Queue.dat") != NULL);
	m = find("MISSTR01", IMCQ_Q_OUT, 0);
	ASSERT(m != NULL && m->state == IMCQ_ST_MISSING);
	ASSERT_EQ_INT(m->queue_time, NOW - 3 * H);
	ASSERT_EQ_INT(m->nrcpts, 1);
	ASSERT_EQ_STR(m->im->hdr.message_id, "<miss.2@corp>");
	ASSERT(find("GONE0001", IMCQ_Q_OUT, 0) == NULL);
	ASSERT(has(find("NOTINQD1", IMCQ_Q_OUT, 0), "NOT_IN_QUEUE_DAT") != NULL);
	ASSERT(has(find("INQUEUE1", IMCQ_Q_OUT, 0), "NOT_IN_QUEUE_DAT") == NULL);
	ASSERT(rep_has("MISSING_SPOOL_FILE")->nspool_ids == 2);
	ASSERT(rep_has("CORRUPT_QUEUE_DAT") == NULL);
	/* sorted by spool id again */
	ASSERT(strcmp(rep.msgs[0]->spool_id, rep.msgs[1]->spool_id) <= 0);
}

/* The same with the run's spill, as imcq runs: a missing record's reason
 * and finding leave memory as soon as they are made, and the reason grows
 * when tracking shows the file transferred (a phantom Queue.dat entry). */
TEST(test_missing_spilled_phantom)
{
	static const char *const ids[] = { "PHANT001", "MISSQD02" };
	struct imcq_err err = { 0 };
	struct imcq_message *m;
	struct imcq_event *e;
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;
	struct imcq_findlist fl;
	const char *r;

	reset();
	rep.chill = true;
	rep.spill = spill_open(NULL, &err);
	ASSERT(rep.spill != NULL);
	msg("INQUEUE2", IMCQ_Q_OUT, 0, NOW - H);
	qdat(0, ids, 2);
	e = tev(0, 1010, NOW - 3 * H, "<phantom.1@corp>", "PHANT001");
	event_add_rcpt(e, xstrdup("ann@example.com"));
	e = tev(0, 1011, NOW - 2 * H, "<phantom.1@corp>", "PHANT001");
	event_add_rcpt(e, xstrdup("ann@example.com"));
	run();
	m = find("PHANT001", IMCQ_Q_OUT, 0);
	ASSERT(m != NULL && m->state == IMCQ_ST_MISSING && m->nsources == 0);
	ASSERT(text_spilled(m->state_reason));
	r = text_get(rep.spill, m->state_reason, &tb);
	ASSERT(strstr(r, "referenced by Queue.dat") == r);
	ASSERT(strstr(r, "; tracking shows it transferred (1 of 1 recipients), so the "
		      "reference is a phantom entry") != NULL);
	/* its findings are frozen: the codes stay, the rest reads back */
	ASSERT_EQ_INT(m->findings.n, 0);
	ASSERT_EQ_INT(message_nfindings(m), 1);
	ASSERT_EQ_STR(message_finding_code(m, 0), "MISSING_SPOOL_FILE");
	message_findings_get(&rep, m, &fl);
	ASSERT_EQ_INT(fl.n, 1);
	ASSERT_EQ_STR(fl.v[0].reference, "Q193862");
	ASSERT(strstr(finding_message(rep.spill, &fl.v[0], &tb), "PHANT001") != NULL);
	ASSERT_EQ_INT(fl.v[0].ev.v[0].offset, 4096);
	ASSERT(strstr(evidence_excerpt(rep.spill, &fl.v[0].ev.v[0], &tb), "PHANT001") != NULL);
	findlist_release(&fl);
	/* a reference tracking does not explain keeps its first reason */
	m = find("MISSQD02", IMCQ_Q_OUT, 0);
	ASSERT(m != NULL && m->state == IMCQ_ST_MISSING);
	r = text_get(rep.spill, m->state_reason, &tb);
	ASSERT(strstr(r, "phantom") == NULL && strstr(r, "MISSQD02") != NULL);
	tbuf_release(&tb);
	reset();
}

TEST(test_corrupt_queue_dat)
{
	static const char *const ids[] = { "PHANTOM1" };
	struct imcq_queue_file *q;

	reset();
	msg("FILE0001", IMCQ_Q_OUT, 0, NOW - H);
	q = qdat(0, NULL, 0);
	q->corrupt = true;
	q->corrupt_reason = xstrdup("size is not a whole number of pages");
	run();
	ASSERT(rep_has("CORRUPT_QUEUE_DAT") != NULL);
	ASSERT_EQ_INT(rep_has("CORRUPT_QUEUE_DAT")->sev, IMCQ_SEV_ERROR);
	/* a corrupt Queue.dat says nothing about what it does not reference */
	ASSERT(has(find("FILE0001", IMCQ_Q_OUT, 0), "NOT_IN_QUEUE_DAT") == NULL);

	reset();
	msg("ARCH0001", IMCQ_Q_OUT_ARCHIVE, 0, NOW - H);	/* Out captured, empty */
	qdat(0, ids, 1);
	run();
	ASSERT(rep_has("CORRUPT_QUEUE_DAT") != NULL);
	ASSERT_EQ_STR(rep_has("CORRUPT_QUEUE_DAT")->basis, "heuristic");
	ASSERT(find("PHANTOM1", IMCQ_Q_OUT, 0) != NULL);
}

TEST(test_duplicates)
{
	struct imcq_message *a, *b, *c, *d;

	reset();
	add_input("b.zip");
	add_input("a.zip");
	config(0, "ComputerName", "EXB2");
	config(1, "ComputerName", "EXA1");
	a = msg("DUPOUT01", IMCQ_Q_OUT, 0, NOW - H);
	a->im->hdr.message_id = xstrdup("<dup.1@corp>");
	b = msg("DUPOUT01", IMCQ_Q_OUT_ARCHIVE, 0, NOW - H);
	b->im->hdr.message_id = xstrdup("<dup.1@corp>");
	c = msg("XSERVER1", IMCQ_Q_OUT, 0, NOW - H);
	c->im->hdr.message_id = xstrdup("<cross.1@corp>");
	d = msg("FSLYYI4U", IMCQ_Q_OUT_ARCHIVE, 1, NOW - H);
	d->im->hdr.message_id = xstrdup("<cross.1@corp>");
	a = msg("INTWICE1", IMCQ_Q_IN, 0, NOW - H);
	memcpy(a->im->body_sha256, "samebody", 8);
	b = msg("INTWICE2", IMCQ_Q_IN, 0, NOW - H);
	memcpy(b->im->body_sha256, "samebody", 8);
	run();
	a = find("DUPOUT01", IMCQ_Q_OUT, 0);
	ASSERT(has(a, "DUPLICATE_RISK") != NULL);
	ASSERT_EQ_INT(has(a, "DUPLICATE_RISK")->sev, IMCQ_SEV_INFO);
	ASSERT(strstr(find("DUPOUT01", IMCQ_Q_OUT_ARCHIVE, 0)->state_reason,
		      "also queued as DUPOUT01") != NULL);
	c = find("XSERVER1", IMCQ_Q_OUT, 0);
	ASSERT(has(c, "DUPLICATE_RISK") != NULL);
	ASSERT_EQ_INT(has(c, "DUPLICATE_RISK")->sev, IMCQ_SEV_WARNING);
	ASSERT(strstr(has(c, "DUPLICATE_RISK")->message, "FSLYYI4U") != NULL);
	ASSERT(strstr(has(c, "DUPLICATE_RISK")->message, "EXA1") != NULL);
	ASSERT_EQ_INT(c->nseen, 2);
	ASSERT(has(find("FSLYYI4U", IMCQ_Q_OUT_ARCHIVE, 1), "DUPLICATE_RISK") != NULL);
	ASSERT_EQ_INT(has(find("INTWICE1", IMCQ_Q_IN, 0), "DUPLICATE_RISK")->sev, IMCQ_SEV_WARNING);
	ASSERT(rep.changes_persisted.n == 0 && rep.changes_appeared.n == 0);
}

TEST(test_oversized_and_loop)
{
	struct imcq_message *m;
	int i;

	reset();
	config(0, "OutboundSizeLimit", "5000");
	config(0, "InboundSizeLimit", "0");
	m = msg("BIGOUT01", IMCQ_Q_OUT, 0, NOW - H);
	m->size = 6000;
	m = msg("BIGIN001", IMCQ_Q_IN, 0, NOW - H);
	m->size = 600000;
	m = msg("LOOP0001", IMCQ_Q_IN, 0, NOW - H);
	for (i = 0; i < 3; i++)
		hop(m, "Mail.Corp.Example", "X", NOW - H);
	m = msg("LOOP0002", IMCQ_Q_IN, 0, NOW - H);
	for (i = 0; i < 31; i++) {
		char by[32];

		snprintf(by, sizeof(by), "h%d.example", i);
		hop(m, by, "X", NOW - H);
	}
	run();
	m = find("BIGOUT01", IMCQ_Q_OUT, 0);
	ASSERT(has(m, "OVERSIZED") != NULL);
	ASSERT_EQ_STR(has(m, "OVERSIZED")->reference, "Q231303");
	ASSERT_EQ_INT(has(m, "OVERSIZED")->ev.v[1].line, 7);
	ASSERT(has(find("BIGIN001", IMCQ_Q_IN, 0), "OVERSIZED") == NULL);	/* 0 = none */
	ASSERT(has(find("LOOP0001", IMCQ_Q_IN, 0), "LOOP_SUSPECTED") != NULL);
	ASSERT(has(find("LOOP0002", IMCQ_Q_IN, 0), "LOOP_SUSPECTED") != NULL);

	reset();
	opt.max_message_size = 500;
	config(0, "OutboundSizeLimit", "5000");
	m = msg("BIGOUT02", IMCQ_Q_OUT, 0, NOW - H);
	m->size = 600;
	run();
	ASSERT(strstr(has(find("BIGOUT02", IMCQ_Q_OUT, 0), "OVERSIZED")->message,
		      "--max-message-size") != NULL);
}

/* ---- snapshots ------------------------------------------------------------------------- */

TEST(test_reference_time)
{
	struct imcq_message *m;
	struct imcq_event *e;

	reset();
	opt.now = IMCQ_NOTIME;
	msg("REF00001", IMCQ_Q_OUT, 0, NOW - 5 * H);
	msg("REF00002", IMCQ_Q_OUT, 0, NOW - 4 * H);
	e = tev(0, 1010, NOW - 3 * H, NULL, "REF00001");
	(void)e;
	/* a lone member dated years later is an outlier */
	m = msg("REF00003", IMCQ_Q_OUT, 0, NOW + 3000 * 86400LL);
	(void)m;
	run();
	ASSERT_EQ_INT(rep.reference_time, NOW - 3 * H);
	ASSERT_EQ_INT(rep.snaps[0].newest_time, NOW - 3 * H);
	ASSERT(strstr(rep.reference_source, "never the clock") != NULL);
}

TEST(test_snapshot_changes)
{
	struct imcq_message *m;

	reset();
	add_input("b-monday.zip");
	add_input("b-tuesday.zip");
	/* input 1 is the older backup: the order comes from the times */
	m = msg("STAY0001", IMCQ_Q_OUT, 1, NOW - 30 * H);
	hop(m, "exb2.corp.example", "STAY0001", NOW - 30 * H);
	msg("GONE0001", IMCQ_Q_OUT, 1, NOW - 29 * H);
	msg("STAY0001", IMCQ_Q_OUT, 0, NOW - 30 * H);
	m = msg("NEW00001", IMCQ_Q_OUT, 0, NOW - 2 * H);
	hop(m, "EXB2.corp.example", "<NEW00001>", NOW - 2 * H);
	msg("ARCHONLY", IMCQ_Q_OUT_ARCHIVE, 0, NOW - 2 * H);
	run();
	ASSERT_EQ_INT(rep.nsnaps, 2);
	ASSERT_EQ_STR(rep.snaps[0].server, "EXB2");
	ASSERT_EQ_STR(rep.snaps[1].server, "EXB2");
	ASSERT_EQ_INT(rep.changes_appeared.n, 1);
	ASSERT(strv_has(&rep.changes_appeared, "NEW00001"));
	ASSERT_EQ_INT(rep.changes_disappeared.n, 1);
	ASSERT(strv_has(&rep.changes_disappeared, "GONE0001"));
	ASSERT_EQ_INT(rep.changes_persisted.n, 1);
	ASSERT(strv_has(&rep.changes_persisted, "STAY0001"));
	m = find("STAY0001", IMCQ_Q_OUT, 0);
	ASSERT_EQ_INT(m->nseen, 2);
	ASSERT(has(m, "DUPLICATE_RISK") == NULL);	/* the same entry twice, not a copy */
}

TEST(test_server_from_path_and_received)
{
	struct imcq_inv v;

	reset();
	memset(&v, 0, sizeof(v));
	v.input = 0;
	v.member = xstrdup("D:\\backup\\EXB2\\Exchsrvr\\Imcdata\\Queue.dat");
	v.kind = "queuedat";
	v.place = IMCQ_PL_QUEUE_DAT;
	v.mtime = NOW;
	VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
	run();
	ASSERT_EQ_STR(rep.snaps[0].server, "EXB2");

	reset();
	memset(&v, 0, sizeof(v));
	v.input = 0;
	v.member = xstrdup("backup/Exchsrvr/Imcdata/Queue.dat");
	v.kind = "queuedat";
	v.mtime = NOW;
	VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
	run();
	ASSERT(rep.snaps[0].server == NULL);	/* a generic word says nothing */
}

static void
cleanup(void)
{
	report_release(&rep);
}

static void
test_cleanup(void)
{
	cleanup();
}

TEST_MAIN(test_awaiting_and_expired, test_priority_timeouts, test_ndr_suppresses_expired,
	  test_delivered_by_tracking, test_delivered_by_protocol_log, test_protocol_log_contradicted,
	  test_session_time_window,
	  test_other_states, test_queue_time_precedence, test_join_keys, test_key_classes, test_joins_by_each_key,
	  test_missing_and_not_in_queue_dat, test_missing_spilled_phantom, test_corrupt_queue_dat, test_duplicates,
	  test_oversized_and_loop, test_reference_time, test_snapshot_changes,
	  test_server_from_path_and_received, test_cleanup)
