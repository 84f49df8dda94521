/* SPDX-License-Identifier: MIT */
#include "reports/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "reports/json.h"

static void
add(struct timeline *tl, int64_t t, const char *source, enum tl_kind kind,
    const void *obj, size_t aux, const char *spool, int input, const char *member,
    uint64_t line, uint64_t offset, uint64_t size)
{
	struct tl_entry e = {
		.time = t, .source = source, .obj = obj, .aux = aux, .kind = kind,
		.spool_id = spool, .input = input, .member = member, .line = line,
		.offset = offset, .size = size,
	};

	if (t == IMCQ_NOTIME)
		return;
	VEC_PUSH(tl->v, tl->n, tl->cap, e);
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
	switch (e->kind) {
	case TL_MSG_FILE:
		FMT("%s file last written (%s, %s)", m->format ? m->format : "message",
		    imcq_queue_name(m->queue), imcq_state_name(m->state));
		break;
	case TL_MSG_DATE:
		FMT("Date: header of %s, Subject: %.120s", m->spool_id ? m->spool_id : "?",
		    m->hdr.subject ? m->hdr.subject : "");
		break;
	case TL_MSG_HOP:
		h = &m->hdr.received[e->aux];
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

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((c = strcmp(x->source, y->source)))
		return c;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if ((c = nstrcmp(x->member, y->member)))
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
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
		int in0 = m->nsources ? m->sources[0].input : -1;
		const char *mem0 = m->nsources ? m->sources[0].member : NULL;

		if (sel && !sel(user, m))
			continue;
		if (sel && m->spool_id)
			VEC_PUSH(ss.v, ss.n, ss.cap, m->spool_id);
		for (j = 0; j < m->nsources; j++)
			add(tl, m->sources[j].mtime, "file-mtime", TL_MSG_FILE, m, 0,
			    m->spool_id, m->sources[j].input, m->sources[j].member, 0, 0,
			    m->sources[j].size);
		add(tl, m->hdr.date, "header-date", TL_MSG_DATE, m, 0, m->spool_id, in0, mem0, 0,
		    m->nsources ? m->sources[0].body_offset : 0, m->size);
		for (j = 0; j < m->hdr.nreceived; j++)
			add(tl, m->hdr.received[j].date, "received", TL_MSG_HOP, m, j,
			    m->spool_id, in0, mem0, 0, 0, 0);
	}
	xqsort(ss.v, ss.n, sizeof(*ss.v), cmp_cstr);
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (sel && !spool_selected(&ss, e->spool_id))
			continue;
		add(tl, e->time, e->source ? e->source : "log", TL_EVENT, e, 0,
		    e->spool_id, e->input, e->member, e->line, e->offset, e->length);
	}
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		for (j = 0; j < q->nrefs; j++) {
			const struct imcq_qref *r = &q->refs[j];
			const char *id = qref_spool_id(q, r);

			if (sel && !spool_selected(&ss, id))
				continue;
			add(tl, qref_time(q, r), "queue-dat", TL_QREF, q, j, id, q->input,
			    q->member, 0, qref_time_offset(q, r), 0);
		}
		if (!sel)
			add(tl, q->mtime, "file-mtime", TL_QFILE, q, 0,
			    NULL, q->input, q->member, 0, 0, q->size);
	}
	if (!sel) {
		for (i = 0; i < rep->ntables; i++) {
			const struct imcq_table_file *t = &rep->tables[i];

			add(tl, t->mtime, "file-mtime", TL_TABLE_MTIME, t, 0,
			    NULL, t->input, t->member, 0, 0, 0);
			add(tl, t->newest_time, "routing-table", TL_TABLE_NEWEST, t, 0,
			    NULL, t->input, t->member, 0, 0, 0);
		}
		for (i = 0; i < rep->ninv; i++) {
			const struct imcq_inv *v = &rep->inv[i];

			if (strcmp(v->kind, "spool") == 0 || strcmp(v->kind, "pickup") == 0 ||
			    strcmp(v->kind, "rfc822") == 0 || strcmp(v->kind, "queue-dat") == 0 ||
			    strcmp(v->kind, "gwart") == 0 || strcmp(v->kind, "route-txt") == 0 ||
			    strcmp(v->kind, "imccopy") == 0)
				continue;	/* listed above with more context */
			add(tl, v->mtime, "file-mtime", TL_INV, v, 0,
			    NULL, v->input, v->member, 0, 0, v->size);
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
			json_add_time(o, "time", e->time);
			json_add_str(o, "source", e->source);
			json_add_str(o, "spool_id", e->spool_id);
			json_add_str(o, "description", what);
			json_add_str(o, "input", in_path(rep, e->input));
			json_add_str(o, "member", e->member);
			cJSON_AddNumberToObject(o, "line", (double)e->line);
			cJSON_AddNumberToObject(o, "offset", (double)e->offset);
			json_fprint(f, o, 0);
			cJSON_Delete(o);
		} else if (strcmp(format, "bodyfile") == 0) {
			/* TSK 3.x: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
			fputs("0|", f);
			body_field(f, e->source);
			fputs(": ", f);
			body_field(f, what);
			if (e->member) {
				fputs(" [", f);
				body_field(f, e->member);
				if (e->line)
					fprintf(f, ":%llu", (unsigned long long)e->line);
				fputs("]", f);
			}
			fprintf(f, "|0|r/rrw-r--r--|0|0|%llu|0|%lld|0|0\n",
				(unsigned long long)e->size, (long long)e->time);
		} else {
			imcq_iso(e->time, iso);
			fputs(iso, f);
			fputc(',', f);
			csv_field(f, e->source);
			fputc(',', f);
			csv_field(f, e->spool_id);
			fputc(',', f);
			csv_field(f, what);
			fputc(',', f);
			csv_field(f, in_path(rep, e->input));
			fputc(',', f);
			csv_field(f, e->member);
			fprintf(f, ",%llu,%llu\n", (unsigned long long)e->line,
				(unsigned long long)e->offset);
		}
		free(wheap);
	}
	return ferror(f) ? -1 : 0;
}
