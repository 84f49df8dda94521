/* SPDX-License-Identifier: MIT */
#include "reports/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "reports/json.h"

/* -o and `imcq timeline` hold an entry for every dated item (~2.5 a
 * message): keep them small (timeline.h) */
_Static_assert(sizeof(struct tl_entry) <= 24, "struct tl_entry outgrew 24 bytes");

static void
add(struct timeline *tl, int64_t t, enum tl_kind kind, const void *obj, size_t aux)
{
	struct tl_entry e = { .time = t, .obj = obj, .aux = (uint32_t)aux, .kind = (uint8_t)kind };

	if (t == IMCQ_NOTIME)
		return;
	VEC_PUSH(tl->v, tl->n, tl->cap, e);
}

/* ---- an entry's fields, read from its object ---- */

static const char *
tl_source(const struct tl_entry *e)
{
	const struct imcq_event *ev = e->obj;

	switch ((enum tl_kind)e->kind) {
	case TL_MSG_DATE:
		return "header-date";
	case TL_MSG_HOP:
		return "received";
	case TL_EVENT:
		return ev->source ? ev->source : "log";
	case TL_QREF:
		return "queue-dat";
	case TL_TABLE_NEWEST:
		return "routing-table";
	case TL_MSG_FILE: case TL_QFILE: case TL_TABLE_MTIME: case TL_INV:
		break;
	}
	return "file-mtime";
}

static const char *
tl_spool_id(const struct tl_entry *e)
{
	const struct imcq_queue_file *q = e->obj;

	switch ((enum tl_kind)e->kind) {
	case TL_MSG_FILE: case TL_MSG_DATE: case TL_MSG_HOP:
		return ((const struct imcq_message *)e->obj)->spool_id;
	case TL_EVENT:
		return ((const struct imcq_event *)e->obj)->spool_id;
	case TL_QREF:
		return qref_spool_id(q, &q->refs[e->aux]);
	case TL_QFILE: case TL_TABLE_MTIME: case TL_TABLE_NEWEST: case TL_INV:
		break;
	}
	return NULL;
}

/* the source a message's entry names: its own for a file time, else the
 * first (NULL: none) */
static const struct imcq_source *
tl_msg_source(const struct tl_entry *e)
{
	const struct imcq_message *m = e->obj;

	if (e->kind == TL_MSG_FILE)
		return &m->sources[e->aux];
	return m->nsources ? &m->sources[0] : NULL;
}

static int
tl_input(const struct tl_entry *e)
{
	const struct imcq_source *s;

	switch ((enum tl_kind)e->kind) {
	case TL_MSG_FILE: case TL_MSG_DATE: case TL_MSG_HOP:
		s = tl_msg_source(e);
		return s ? s->input : -1;
	case TL_EVENT:
		return ((const struct imcq_event *)e->obj)->input;
	case TL_QREF: case TL_QFILE:
		return ((const struct imcq_queue_file *)e->obj)->input;
	case TL_TABLE_MTIME: case TL_TABLE_NEWEST:
		return ((const struct imcq_table_file *)e->obj)->input;
	case TL_INV:
		return ((const struct imcq_inv *)e->obj)->input;
	}
	return -1;
}

static const char *
tl_member(const struct tl_entry *e)
{
	const struct imcq_source *s;

	switch ((enum tl_kind)e->kind) {
	case TL_MSG_FILE: case TL_MSG_DATE: case TL_MSG_HOP:
		s = tl_msg_source(e);
		return s ? s->member : NULL;
	case TL_EVENT:
		return ((const struct imcq_event *)e->obj)->member;
	case TL_QREF: case TL_QFILE:
		return ((const struct imcq_queue_file *)e->obj)->member;
	case TL_TABLE_MTIME: case TL_TABLE_NEWEST:
		return ((const struct imcq_table_file *)e->obj)->member;
	case TL_INV:
		return ((const struct imcq_inv *)e->obj)->member;
	}
	return NULL;
}

static uint64_t
tl_line(const struct tl_entry *e)
{
	return e->kind == TL_EVENT ? ((const struct imcq_event *)e->obj)->line : 0;
}

static uint64_t
tl_offset(const struct tl_entry *e)
{
	const struct imcq_queue_file *q = e->obj;
	const struct imcq_source *s;

	switch ((enum tl_kind)e->kind) {
	case TL_MSG_DATE:
		s = tl_msg_source(e);
		return s ? s->body_offset : 0;
	case TL_EVENT:
		return ((const struct imcq_event *)e->obj)->offset;
	case TL_QREF:
		return qref_time_offset(q, &q->refs[e->aux]);
	case TL_MSG_FILE: case TL_MSG_HOP: case TL_QFILE: case TL_TABLE_MTIME:
	case TL_TABLE_NEWEST: case TL_INV:
		break;
	}
	return 0;
}

static uint64_t
tl_size(const struct tl_entry *e)
{
	switch ((enum tl_kind)e->kind) {
	case TL_MSG_FILE:
		return tl_msg_source(e)->size;
	case TL_MSG_DATE:
		return ((const struct imcq_message *)e->obj)->size;
	case TL_EVENT:
		return ((const struct imcq_event *)e->obj)->length;
	case TL_QFILE:
		return ((const struct imcq_queue_file *)e->obj)->size;
	case TL_INV:
		return ((const struct imcq_inv *)e->obj)->size;
	case TL_MSG_HOP: case TL_QREF: case TL_TABLE_MTIME: case TL_TABLE_NEWEST:
		break;
	}
	return 0;
}

/* The description of e, in buf when it fits, else in *heap (freed by the
 * caller). */
static const char *
tl_what(const struct tl_entry *e, char *buf, size_t cap, char **heap)
{
	const struct imcq_message *m = e->obj;
	const struct imcq_event *ev = e->obj;
	const struct imcq_queue_file *q = e->obj;
	const struct imcq_table_file *t = e->obj;
	const struct imcq_inv *v = e->obj;
	const struct imcq_hop *h;
	int n = 0;

	*heap = NULL;
#define FMT(...) do { \
	n = snprintf(buf, cap, __VA_ARGS__); \
	if (n >= 0 && (size_t)n >= cap) \
		return *heap = xasprintf(__VA_ARGS__); \
	} while (0)
	switch ((enum tl_kind)e->kind) {
	case TL_MSG_FILE:
		FMT("%s file last written (%s, %s)", m->format ? m->format : "message",
		    imcq_queue_name(m->queue), imcq_state_name(m->state));
		break;
	case TL_MSG_DATE:
		FMT("Date: header of %s, Subject: %.120s", m->spool_id ? m->spool_id : "?",
		    m->im->hdr.subject ? m->im->hdr.subject : "");
		break;
	case TL_MSG_HOP:
		h = &m->im->hdr.received[e->aux];
		FMT("Received by %.100s from %.100s id %.40s", h->by ? h->by : "?",
		    h->from ? h->from : "?", h->id ? h->id : "-");
		break;
	case TL_EVENT:
		FMT("%s%s%s%s", ev->text ? ev->text : "event",
		    ev->msg_id ? " " : "", ev->msg_id ? ev->msg_id : "",
		    ev->local_time ? " [server local time, offset unknown: use --log-tz]" : "");
		break;
	case TL_QREF:
		FMT("Queue.dat record time near reference to %s",
		    qref_spool_id(q, &q->refs[e->aux]));
		break;
	case TL_QFILE:
		FMT("Queue.dat last written");
		break;
	case TL_TABLE_MTIME:
		FMT("routing table %s last written", t->table ? t->table : "?");
		break;
	case TL_TABLE_NEWEST:
		FMT("newest time written inside %s", t->table ? t->table : "?");
		break;
	case TL_INV:
		FMT("%s last written (%s)", v->kind, imcq_place_name(v->place));
		break;
	}
#undef FMT
	(void)n;
	return buf;
}

static int
nstrcmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
cmp_tl(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;
	char bx[256], by[256];
	char *hx, *hy;
	int c;

	int ix, iy;
	uint64_t ux, uy;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((c = strcmp(tl_source(x), tl_source(y))))
		return c;
	ix = tl_input(x);
	iy = tl_input(y);
	if (ix != iy)
		return ix < iy ? -1 : 1;
	if ((c = nstrcmp(tl_member(x), tl_member(y))))
		return c;
	ux = tl_line(x);
	uy = tl_line(y);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	ux = tl_offset(x);
	uy = tl_offset(y);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	c = strcmp(tl_what(x, bx, sizeof(bx), &hx), tl_what(y, by, sizeof(by), &hy));
	free(hx);
	free(hy);
	return c;
}

/* The spool ids of the selected messages, sorted, for the log and
 * Queue.dat entries that name one. */
struct selset {
	const char **v;
	size_t n, cap;
};

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
spool_selected(const struct selset *s, const char *id)
{
	return id != NULL && s->n > 0 &&
	       bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_cstr) != NULL;
}

void
timeline_build(struct timeline *tl, const struct imcq_report *rep,
	       bool (*sel)(void *user, const struct imcq_message *m), void *user)
{
	struct selset ss = { 0 };
	size_t i, j;

	memset(tl, 0, sizeof(*tl));
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];

		if (sel && !sel(user, m))
			continue;
		if (sel && m->spool_id)
			VEC_PUSH(ss.v, ss.n, ss.cap, m->spool_id);
		for (j = 0; j < m->nsources; j++)
			add(tl, m->sources[j].mtime, TL_MSG_FILE, m, j);
		add(tl, m->im->hdr.date, TL_MSG_DATE, m, 0);
		for (j = 0; j < m->im->hdr.nreceived; j++)
			add(tl, m->im->hdr.received[j].date, TL_MSG_HOP, m, j);
	}
	xqsort(ss.v, ss.n, sizeof(*ss.v), cmp_cstr);
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (sel && !spool_selected(&ss, e->spool_id))
			continue;
		add(tl, e->time, TL_EVENT, e, 0);
	}
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		for (j = 0; j < q->nrefs; j++) {
			const struct imcq_qref *r = &q->refs[j];

			if (sel && !spool_selected(&ss, qref_spool_id(q, r)))
				continue;
			add(tl, qref_time(q, r), TL_QREF, q, j);
		}
		if (!sel)
			add(tl, q->mtime, TL_QFILE, q, 0);
	}
	if (!sel) {
		for (i = 0; i < rep->ntables; i++) {
			const struct imcq_table_file *t = &rep->tables[i];

			add(tl, t->mtime, TL_TABLE_MTIME, t, 0);
			add(tl, t->newest_time, TL_TABLE_NEWEST, t, 0);
		}
		for (i = 0; i < rep->ninv; i++) {
			const struct imcq_inv *v = &rep->inv[i];

			if (strcmp(v->kind, "spool") == 0 || strcmp(v->kind, "pickup") == 0 ||
			    strcmp(v->kind, "rfc822") == 0 || strcmp(v->kind, "queue-dat") == 0 ||
			    strcmp(v->kind, "gwart") == 0 || strcmp(v->kind, "route-txt") == 0 ||
			    strcmp(v->kind, "imccopy") == 0)
				continue;	/* listed above with more context */
			add(tl, v->mtime, TL_INV, v, 0);
		}
	}
	free(ss.v);
	if (tl->n > 1)
		xqsort(tl->v, tl->n, sizeof(*tl->v), cmp_tl);
}

void
timeline_release(struct timeline *tl)
{
	free(tl->v);
	memset(tl, 0, sizeof(*tl));
}

static void
csv_field(FILE *f, const char *s)
{
	int changed;
	char *c;
	const char *p;
	bool quote;

	if (s == NULL)
		return;
	c = json_utf8_clean(s, &changed);
	quote = strpbrk(c, ",\"\r\n") != NULL || c[0] == '=' || c[0] == '+' ||
		c[0] == '-' || c[0] == '@' || c[0] == '\t';
	if (quote)
		fputc('"', f);
	if (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t')
		fputc('\'', f);	/* keep spreadsheets from evaluating it */
	for (p = c; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		if (*p == '\r' || *p == '\n')
			fputc(' ', f);
		else
			fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
	free(c);
}

static const char *
in_path(const struct imcq_report *rep, int input)
{
	return input >= 0 && (size_t)input < rep->ninputs ? rep->inputs[input].path : "";
}

/* bodyfile names may not hold '|' or newlines */
static void
body_field(FILE *f, const char *s)
{
	int changed;
	char *c;
	char *p;

	if (s == NULL)
		return;
	c = json_utf8_clean(s, &changed);
	for (p = c; *p; p++)
		fputc(*p == '|' ? '/' : (*p == '\n' || *p == '\r') ? ' ' : *p, f);
	free(c);
}

/* An IMS protocol-log time read without --log-tz: server local wall-clock
 * time of unknown offset, not UTC. */
static bool
tl_local(const struct tl_entry *e)
{
	return e->kind == TL_EVENT && ((const struct imcq_event *)e->obj)->local_time;
}

/* The entry's time in ISO 8601: UTC with its Z, or, for a local time,
 * without a zone designator (ISO 8601's local time), as report.json
 * writes it. */
static void
tl_iso(const struct tl_entry *e, char iso[32])
{
	imcq_iso(e->time, iso);
	if (tl_local(e) && iso[0] != '\0' && iso[strlen(iso) - 1] == 'Z')
		iso[strlen(iso) - 1] = '\0';
}

int
timeline_write(FILE *f, const struct timeline *tl, const struct imcq_report *rep,
	       const char *format)
{
	size_t i;
	char iso[32];

	if (strcmp(format, "csv") == 0)
		fputs("time,source,spool_id,description,input,member,line,offset\n", f);
	for (i = 0; i < tl->n; i++) {
		const struct tl_entry *e = &tl->v[i];
		char wbuf[256], *wheap;
		const char *what = tl_what(e, wbuf, sizeof(wbuf), &wheap);

		if (strcmp(format, "jsonl") == 0) {
			cJSON *o = cJSON_CreateObject();

			if (o == NULL)
				imcq_die("out of memory (JSON)");
			tl_iso(e, iso);
			json_add_str(o, "time", iso);
			if (tl_local(e)) {	/* only then: the other entries are UTC */
				cJSON *t = cJSON_CreateTrue();

				if (t == NULL)
					imcq_die("out of memory (JSON)");
				cJSON_AddItemToObject(o, "local_time", t);
			}
			json_add_str(o, "source", tl_source(e));
			json_add_str(o, "spool_id", tl_spool_id(e));
			json_add_str(o, "description", what);
			json_add_str(o, "input", in_path(rep, tl_input(e)));
			json_add_str(o, "member", tl_member(e));
			cJSON_AddNumberToObject(o, "line", (double)tl_line(e));
			cJSON_AddNumberToObject(o, "offset", (double)tl_offset(e));
			json_fprint(f, o, 0);
			cJSON_Delete(o);
		} else if (strcmp(format, "bodyfile") == 0) {
			/* TSK 3.x: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
			fputs("0|", f);
			body_field(f, tl_source(e));
			fputs(": ", f);
			body_field(f, what);
			if (tl_member(e)) {
				fputs(" [", f);
				body_field(f, tl_member(e));
				if (tl_line(e))
					fprintf(f, ":%llu", (unsigned long long)tl_line(e));
				fputs("]", f);
			}
			fprintf(f, "|0|r/rrw-r--r--|0|0|%llu|0|%lld|0|0\n",
				(unsigned long long)tl_size(e), (long long)e->time);
		} else {
			tl_iso(e, iso);
			fputs(iso, f);
			fputc(',', f);
			csv_field(f, tl_source(e));
			fputc(',', f);
			csv_field(f, tl_spool_id(e));
			fputc(',', f);
			csv_field(f, what);
			fputc(',', f);
			csv_field(f, in_path(rep, tl_input(e)));
			fputc(',', f);
			csv_field(f, tl_member(e));
			fprintf(f, ",%llu,%llu\n", (unsigned long long)tl_line(e),
				(unsigned long long)tl_offset(e));
		}
		free(wheap);
	}
	return ferror(f) ? -1 : 0;
}
