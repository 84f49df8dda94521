/* SPDX-License-Identifier: MIT */
#include "reports/timeline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/runsort.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "reports/json.h"

/*
 * An entry, as the sorter holds it: this header, then four strings, each
 * with its NUL: the source, the spool id, the description and the member
 * ("" for a spool id or member the entry has not, with the bit in has).
 */
enum { TLR_SPOOL = 1, TLR_MEMBER = 2 };

struct tl_rec {
	int64_t time;
	uint64_t line, offset, size;
	int32_t input;
	uint8_t local;		/* a protocol log's server local time */
	uint8_t has;		/* TLR_* */
	uint16_t pad;
	uint32_t lsource, lspool, lwhat, lmember;	/* without their NULs */
};

/* An entry's fields, read from the record. */
struct tl_view {
	const struct tl_rec *h;
	const char *source, *spool_id, *what, *member;	/* NULL: none */
};

static void
view(const void *rec, struct tl_view *v)
{
	const struct tl_rec *h = rec;
	const char *p = (const char *)(h + 1);

	v->h = h;
	v->source = p;
	p += h->lsource + 1;
	v->spool_id = h->has & TLR_SPOOL ? p : NULL;
	p += h->lspool + 1;
	v->what = p;
	p += h->lwhat + 1;
	v->member = h->has & TLR_MEMBER ? p : NULL;
}

/* The order: time, then source, input, member, line, offset and the
 * description (a member the entry has not sorts as ""); the sorter keeps
 * the entries that tie in the order they were found. */
static int
cmp_rec(const void *a, size_t an, const void *b, size_t bn)
{
	const struct tl_rec *x = a, *y = b;
	const char *px = (const char *)(x + 1), *py = (const char *)(y + 1);
	int c;

	(void)an;
	(void)bn;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((c = strcmp(px, py)))
		return c;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	px += x->lsource + 1 + x->lspool + 1;	/* the descriptions */
	py += y->lsource + 1 + y->lspool + 1;
	if ((c = strcmp(px + x->lwhat + 1, py + y->lwhat + 1)))	/* members */
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return strcmp(px, py);
}

/* An entry being built: its fields, the description formatted into a
 * buffer kept from one entry to the next. */
struct tl_add {
	struct runsort *rs;
	char *buf;		/* the record */
	size_t cap;
};

static void
room(struct tl_add *ta, size_t need)
{
	if (need > ta->cap) {
		while (ta->cap < need)
			ta->cap = ta->cap ? ta->cap * 2 : 1024;
		ta->buf = xrealloc(ta->buf, ta->cap);
	}
}

/* Add the entry; what is a printf format.  Nothing for a time not known. */
static void IMCQ_PRINTF(11, 12)
add(struct tl_add *ta, int64_t t, bool local, const char *source, const char *spool_id,
    int input, const char *member, uint64_t line, uint64_t offset, uint64_t size,
    const char *fmt, ...)
{
	struct tl_rec h = { .time = t, .line = line, .offset = offset, .size = size,
			    .input = input, .local = local };
	size_t at, ls = strlen(source), lp, lm;
	va_list ap;
	int n;

	if (t == IMCQ_NOTIME)
		return;
	h.has = (uint8_t)((spool_id ? TLR_SPOOL : 0) | (member ? TLR_MEMBER : 0));
	lp = spool_id ? strlen(spool_id) : 0;
	lm = member ? strlen(member) : 0;
	at = sizeof(h) + ls + 1 + lp + 1;
	room(ta, at + 256);
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(ta->buf + at, ta->cap - at, fmt, ap);
		va_end(ap);
		if (n < 0)
			n = 0, ta->buf[at] = '\0';
		if ((size_t)n < ta->cap - at)
			break;
		room(ta, at + (size_t)n + 1);
	}
	room(ta, at + (size_t)n + 1 + lm + 1);
	h.lsource = (uint32_t)ls;
	h.lspool = (uint32_t)lp;
	h.lwhat = (uint32_t)n;
	h.lmember = (uint32_t)lm;
	memcpy(ta->buf, &h, sizeof(h));
	memcpy(ta->buf + sizeof(h), source, ls + 1);
	memcpy(ta->buf + sizeof(h) + ls + 1, spool_id ? spool_id : "", lp + 1);
	memcpy(ta->buf + at + n + 1, member ? member : "", lm + 1);
	runsort_add(ta->rs, ta->buf, at + (size_t)n + 1 + lm + 1);
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

/* A message's entries: its members' times, its Date: header, its
 * Received hops (each names the first member). */
static void
add_message(struct tl_add *ta, const struct imcq_report *rep, const struct imcq_message *m)
{
	const struct imcq_source *s0 = m->nsources ? &m->sources[0] : NULL;
	char mb[512];
	const char *m0 = s0 ? source_member(rep, s0, mb, sizeof(mb)) : NULL;
	size_t j;

	for (j = 0; j < m->nsources; j++) {
		const struct imcq_source *s = &m->sources[j];
		char b[512];

		add(ta, s->mtime, false, "file-mtime", m->spool_id, s->input,
		    j == 0 ? m0 : source_member(rep, s, b, sizeof(b)), 0, 0, s->size,
		    "%s file last written (%s, %s)", m->format ? m->format : "message",
		    imcq_queue_name(m->queue), imcq_state_name(m->state));
	}
	add(ta, m->im->hdr.date, false, "header-date", m->spool_id, s0 ? s0->input : -1, m0,
	    0, s0 ? s0->body_offset : 0, m->size,
	    "Date: header of %s, Subject: %.120s", m->spool_id ? m->spool_id : "?",
	    m->im->hdr.subject ? m->im->hdr.subject : "");
	for (j = 0; j < m->im->hdr.nreceived; j++) {
		const struct imcq_hop *h = &m->im->hdr.received[j];

		add(ta, h->date, false, "received", m->spool_id, s0 ? s0->input : -1, m0,
		    0, 0, 0, "Received by %.100s from %.100s id %.40s", h->by ? h->by : "?",
		    h->from ? h->from : "?", h->id ? h->id : "-");
	}
}

void
timeline_build(struct timeline *tl, const struct imcq_report *rep,
	       bool (*sel)(void *user, const struct imcq_message *m), void *user)
{
	struct selset ss = { 0 };
	struct tl_add ta = { runsort_new(cmp_rec, 0), NULL, 0 };
	size_t i, j;

	tl->rs = ta.rs;
	for (i = 0; i < rep->nmsgs; i++) {
		const struct imcq_message *m = rep->msgs[i];

		if (sel && !sel(user, m))
			continue;
		if (sel && m->spool_id)
			VEC_PUSH(ss.v, ss.n, ss.cap, m->spool_id);
		add_message(&ta, rep, m);
	}
	xqsort(ss.v, ss.n, sizeof(*ss.v), cmp_cstr);
	for (i = 0; i < rep->nevents; i++) {
		const struct imcq_event *e = &rep->events[i];

		if (sel && !spool_selected(&ss, e->spool_id))
			continue;
		add(&ta, e->time, e->local_time, e->source ? e->source : "log", e->spool_id,
		    e->input, e->member, e->line, e->offset, e->length, "%s%s%s%s",
		    e->text ? e->text : "event", e->msg_id ? " " : "", e->msg_id ? e->msg_id : "",
		    e->local_time ? " [server local time, offset unknown: use --log-tz]" : "");
	}
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		for (j = 0; j < q->nrefs; j++) {
			const struct imcq_qref *r = &q->refs[j];
			const char *id = qref_spool_id(q, r);

			if (sel && !spool_selected(&ss, id))
				continue;
			add(&ta, qref_time(q, r), false, "queue-dat", id, q->input, q->member,
			    0, qref_time_offset(q, r), 0,
			    "Queue.dat record time near reference to %s", id);
		}
		if (!sel)
			add(&ta, q->mtime, false, "file-mtime", NULL, q->input, q->member,
			    0, 0, q->size, "Queue.dat last written");
	}
	if (!sel) {
		for (i = 0; i < rep->ntables; i++) {
			const struct imcq_table_file *t = &rep->tables[i];

			add(&ta, t->mtime, false, "file-mtime", NULL, t->input, t->member, 0, 0, 0,
			    "routing table %s last written", t->table ? t->table : "?");
			add(&ta, t->newest_time, false, "routing-table", NULL, t->input, t->member,
			    0, 0, 0, "newest time written inside %s", t->table ? t->table : "?");
		}
		for (i = 0; i < rep->ninv; i++) {
			const struct imcq_inv *v = &rep->inv[i];

			if (strcmp(v->kind, "spool") == 0 || strcmp(v->kind, "pickup") == 0 ||
			    strcmp(v->kind, "rfc822") == 0 || strcmp(v->kind, "queue-dat") == 0 ||
			    strcmp(v->kind, "gwart") == 0 || strcmp(v->kind, "route-txt") == 0 ||
			    strcmp(v->kind, "imccopy") == 0)
				continue;	/* listed above with more context */
			add(&ta, v->mtime, false, "file-mtime", NULL, v->input, v->member, 0, 0,
			    v->size, "%s last written (%s)", v->kind, imcq_place_name(v->place));
		}
	}
	free(ss.v);
	free(ta.buf);
}

void
timeline_release(struct timeline *tl)
{
	runsort_free(tl->rs);
	tl->rs = NULL;
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

/* The entry's time in ISO 8601: UTC with its Z, or, for a local time,
 * without a zone designator (ISO 8601's local time), as report.json
 * writes it. */
static void
tl_iso(const struct tl_view *v, char iso[32])
{
	imcq_iso(v->h->time, iso);
	if (v->h->local && iso[0] != '\0' && iso[strlen(iso) - 1] == 'Z')
		iso[strlen(iso) - 1] = '\0';
}

int
timeline_write(FILE *f, struct timeline *tl, const struct imcq_report *rep,
	       const char *format)
{
	const void *rec;
	size_t n;
	char iso[32];
	struct tl_view v;
	bool jsonl = strcmp(format, "jsonl") == 0, body = strcmp(format, "bodyfile") == 0;

	if (!jsonl && !body)
		fputs("time,source,spool_id,description,input,member,line,offset\n", f);
	while (runsort_next(tl->rs, &rec, &n)) {
		view(rec, &v);
		if (jsonl) {
			cJSON *o = cJSON_CreateObject();

			if (o == NULL)
				imcq_die("out of memory (JSON)");
			tl_iso(&v, iso);
			json_add_str(o, "time", iso);
			if (v.h->local) {	/* only then: the other entries are UTC */
				cJSON *t = cJSON_CreateTrue();

				if (t == NULL)
					imcq_die("out of memory (JSON)");
				cJSON_AddItemToObject(o, "local_time", t);
			}
			json_add_str(o, "source", v.source);
			json_add_str(o, "spool_id", v.spool_id);
			json_add_str(o, "description", v.what);
			json_add_str(o, "input", in_path(rep, v.h->input));
			json_add_str(o, "member", v.member);
			cJSON_AddNumberToObject(o, "line", (double)v.h->line);
			cJSON_AddNumberToObject(o, "offset", (double)v.h->offset);
			json_fprint(f, o, 0);
			cJSON_Delete(o);
		} else if (body) {
			/* TSK 3.x: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime */
			fputs("0|", f);
			body_field(f, v.source);
			fputs(": ", f);
			body_field(f, v.what);
			if (v.member) {
				fputs(" [", f);
				body_field(f, v.member);
				if (v.h->line)
					fprintf(f, ":%llu", (unsigned long long)v.h->line);
				fputs("]", f);
			}
			fprintf(f, "|0|r/rrw-r--r--|0|0|%llu|0|%lld|0|0\n",
				(unsigned long long)v.h->size, (long long)v.h->time);
		} else {
			tl_iso(&v, iso);
			fputs(iso, f);
			fputc(',', f);
			csv_field(f, v.source);
			fputc(',', f);
			csv_field(f, v.spool_id);
			fputc(',', f);
			csv_field(f, v.what);
			fputc(',', f);
			csv_field(f, in_path(rep, v.h->input));
			fputc(',', f);
			csv_field(f, v.member);
			fprintf(f, ",%llu,%llu\n", (unsigned long long)v.h->line,
				(unsigned long long)v.h->offset);
		}
	}
	return ferror(f) ? -1 : 0;
}
