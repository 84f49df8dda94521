/* SPDX-License-Identifier: MIT */
#include "reports/json.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/dec.h"
#include "analyzer/core/err.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "reports/summary.h"

static cJSON *
must(cJSON *j)
{
	if (j == NULL)
		imcq_die("out of memory (JSON)");
	return j;
}

static size_t
utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;
		if (c == 0xed && p[1] > 0x9f)
			return 0;	/* surrogates */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

/* Is s valid UTF-8 already (the common case: no copy needed)? */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	for (;;) {
		while (*p != '\0' && *p < 0x80)
			p++;
		if (*p == '\0')
			return true;
		if ((k = utf8_seq(p)) == 0)
			return false;
		p += k;
	}
}

char *
json_utf8_clean(const char *s, int *changed)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1);
	size_t o = 0, i = 0;

	*changed = 0;
	while (i < n) {
		size_t k = utf8_seq(p + i);	/* reads stop at the NUL */

		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			*changed = 1;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return out;
}

static char *
b64(const char *s)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc((n + 2) / 3 * 4 + 1);

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = t[p[i] >> 2];
		out[o++] = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = t[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = t[p[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = t[p[i] >> 2];
		if (i + 1 < n) {
			out[o++] = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = t[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = t[(p[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static cJSON *
jstr(const char *s)
{
	int changed;
	char *c;
	cJSON *j;

	if (s == NULL)
		return must(cJSON_CreateNull());
	if (utf8_valid(s))
		return must(cJSON_CreateString(s));
	c = json_utf8_clean(s, &changed);
	j = must(cJSON_CreateString(c));
	free(c);
	return j;
}

void
json_add_str(cJSON *obj, const char *key, const char *s)
{
	int changed = 0;
	char *c;

	if (s == NULL) {
		cJSON_AddItemToObject(obj, key, must(cJSON_CreateNull()));
		return;
	}
	if (utf8_valid(s)) {
		cJSON_AddItemToObject(obj, key, must(cJSON_CreateString(s)));
		return;
	}
	c = json_utf8_clean(s, &changed);
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateString(c)));
	free(c);
	if (changed) {
		char *k = xasprintf("%s_raw", key);
		char *r = b64(s);

		cJSON_AddItemToObject(obj, k, must(cJSON_CreateString(r)));
		free(k);
		free(r);
	}
}

void
json_add_time(cJSON *obj, const char *key, int64_t t)
{
	char iso[32];

	if (t == IMCQ_NOTIME) {
		cJSON_AddItemToObject(obj, key, must(cJSON_CreateNull()));
		return;
	}
	imcq_iso(t, iso);
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateString(iso)));
}

/* A server-local wall-clock time of unknown offset (IMS protocol logs
 * without --log-tz): ISO 8601 without a zone designator, which is what
 * ISO 8601 means by local time. */
static void
add_local_time(cJSON *obj, const char *key, int64_t t)
{
	char iso[32];

	if (t == IMCQ_NOTIME) {
		cJSON_AddItemToObject(obj, key, must(cJSON_CreateNull()));
		return;
	}
	imcq_iso(t, iso);
	iso[strlen(iso) - 1] = '\0';	/* drop the Z */
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateString(iso)));
}

static void
add_num(cJSON *obj, const char *key, double v)
{
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateNumber(v)));
}

static void
add_u64(cJSON *obj, const char *key, uint64_t v)
{
	if (v == IMCQ_NOOFF) {
		cJSON_AddItemToObject(obj, key, must(cJSON_CreateNull()));
		return;
	}
	if (v > ((uint64_t)1 << 53))
		v = (uint64_t)1 << 53;	/* never reached by real members */
	add_num(obj, key, (double)v);
}

static void
add_bool(cJSON *obj, const char *key, bool v)
{
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateBool(v)));
}

/* key_raw's element for s (add_strv): the base64 of its bytes when it is
 * not valid UTF-8, else null. */
static cJSON *
raw_item(const char *s)
{
	cJSON *j;
	char *r;

	if (s == NULL || utf8_valid(s))
		return must(cJSON_CreateNull());
	r = b64(s);
	j = must(cJSON_CreateString(r));
	free(r);
	return j;
}

/* Whether add_strv adds key_raw. */
static bool
strv_needs_raw(char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && !utf8_valid(v[i]))
			return true;
	return false;
}

/*
 * The array sv as key, each string as jstr makes it; when any string was
 * not valid UTF-8, key_raw beside it: an array as long, with the base64 of
 * each such string's bytes and null for the others (the output policy of
 * reports/README.md).
 */
static void
add_strv(cJSON *obj, const char *key, char *const *v, size_t n)
{
	cJSON *a = must(cJSON_CreateArray()), *raw;
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, jstr(v[i]));
	cJSON_AddItemToObject(obj, key, a);
	if (!strv_needs_raw(v, n))
		return;
	raw = must(cJSON_CreateArray());
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(raw, raw_item(v[i]));
	{
		char *k = xasprintf("%s_raw", key);

		cJSON_AddItemToObject(obj, k, raw);
		free(k);
	}
}

/* The shell's lazy arrays (below, "Lazy arrays"). */
enum lazy_kind {
	LZ_DECISIONS, LZ_EVENTS, LZ_SESSIONS, LZ_INVENTORY, LZ_QREFS, LZ_QCARVED,
	LZ_STRV, LZ_STRV_RAW	/* add_strv's key and key_raw, of v[0..aux) */
};

struct lazy {
	const cJSON *arr;
	enum lazy_kind kind;
	size_t aux;		/* queue file index; strings in v */
	const struct imcq_report *rep;
	char *const *v;		/* LZ_STRV, LZ_STRV_RAW */
};

static struct lazy *lazies;
static size_t nlazies, lazycap;

/* An empty array registered as the lazy array of v[0..n) (k: LZ_STRV or
 * LZ_STRV_RAW). */
static cJSON *
lazy_strv(enum lazy_kind k, char *const *v, size_t n)
{
	struct lazy l = { must(cJSON_CreateArray()), k, n, NULL, v };

	VEC_PUSH(lazies, nlazies, lazycap, l);
	return (cJSON *)l.arr;
}

/* add_strv, in a shell (lazy): key and key_raw registered empty, their
 * elements built when the writer reaches them (the changes between
 * snapshots list up to every message). */
static void
add_strv_lazy(cJSON *obj, const char *key, char *const *v, size_t n, bool lazy)
{
	char *k;

	if (!lazy) {
		add_strv(obj, key, v, n);
		return;
	}
	cJSON_AddItemToObject(obj, key, lazy_strv(LZ_STRV, v, n));
	if (!strv_needs_raw(v, n))
		return;
	k = xasprintf("%s_raw", key);
	cJSON_AddItemToObject(obj, k, lazy_strv(LZ_STRV_RAW, v, n));
	free(k);
}

static const char *
input_path(const struct imcq_report *rep, int input)
{
	return input >= 0 && (size_t)input < rep->ninputs ? rep->inputs[input].path : NULL;
}

static cJSON *
evidence_json(const struct imcq_report *rep, const struct imcq_evlist *l)
{
	cJSON *a = must(cJSON_CreateArray());
	size_t i;
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;

	for (i = 0; i < l->n; i++) {
		const struct imcq_evidence *e = &l->v[i];
		cJSON *o = must(cJSON_CreateObject());

		json_add_str(o, "input", input_path(rep, e->input));
		json_add_str(o, "member", e->member);
		add_u64(o, "offset", e->offset);
		if (e->line)
			add_u64(o, "line", e->line);
		else
			cJSON_AddItemToObject(o, "line", must(cJSON_CreateNull()));
		/* a finding's excerpt may be spilled (model.h) */
		json_add_str(o, "excerpt", evidence_excerpt(rep->spill, e, &tb));
		cJSON_AddItemToArray(a, o);
	}
	tbuf_release(&tb);
	return a;
}

/* A list of findings; lazy (a shell's): their spool_ids are lazy arrays. */
static cJSON *
findings_json(const struct imcq_report *rep, const struct imcq_findlist *l, bool lazy)
{
	cJSON *a = must(cJSON_CreateArray());
	size_t i, j;
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;

	for (i = 0; i < l->n; i++) {
		const struct imcq_finding *f = &l->v[i];
		cJSON *o = must(cJSON_CreateObject());

		json_add_str(o, "code", f->code);
		json_add_str(o, "severity", imcq_sev_name(f->sev));
		/* may be spilled (model.h) */
		json_add_str(o, "message", finding_message(rep->spill, f, &tb));
		json_add_str(o, "reference", f->reference);
		json_add_str(o, "action", f->action);
		json_add_str(o, "basis", f->basis);
		/* a report-wide finding concerns up to every message:
		 * its ids as cJSON items took 82 MiB at a million */
		if (f->nspool_ids && lazy) {
			cJSON_AddItemToObject(o, "spool_ids",
					      lazy_strv(LZ_STRV, f->spool_ids, f->nspool_ids));
		} else if (f->nspool_ids) {
			cJSON *ids = must(cJSON_CreateArray());

			for (j = 0; j < f->nspool_ids; j++)
				cJSON_AddItemToArray(ids, jstr(f->spool_ids[j]));
			cJSON_AddItemToObject(o, "spool_ids", ids);
		}
		cJSON_AddItemToObject(o, "evidence", evidence_json(rep, &f->ev));
		cJSON_AddItemToArray(a, o);
	}
	tbuf_release(&tb);
	return a;
}

/* The route of the recipient with this address (route_rule). */
static cJSON *
route_json(const struct imcq_report *rep, const struct imcq_route *r, const char *address)
{
	cJSON *o = must(cJSON_CreateObject());
	char *tmp;

	add_bool(o, "known", r->known);
	json_add_str(o, "connector", r->connector);
	json_add_str(o, "server", r->server);
	json_add_str(o, "address_space", r->address_space);
	if (r->cost >= 0)
		add_num(o, "cost", r->cost);
	else
		cJSON_AddItemToObject(o, "cost", must(cJSON_CreateNull()));
	json_add_str(o, "rule", route_rule(r, address, &tmp));
	free(tmp);
	json_add_str(o, "host", r->host);
	json_add_str(o, "ims_rule", r->ims_rule);
	cJSON_AddItemToObject(o, "evidence", evidence_json(rep, &r->ev));
	return o;
}

static cJSON *message_json(const struct imcq_report *rep, const struct imcq_message *m);

/* A chilled message's cold fields are read back for the print (model.h). */
cJSON *
json_message(const struct imcq_report *rep, const struct imcq_message *m)
{
	struct imcq_thawed t;
	cJSON *o = message_json(rep, message_thaw(rep, m, &t));

	message_thawed_release(&t);
	return o;
}

static cJSON *
message_json(const struct imcq_report *rep, const struct imcq_message *m)
{
	cJSON *o = must(cJSON_CreateObject());
	cJSON *a, *env, *h;
	size_t i;
	char hx[65];
	struct imcq_findlist fl;

	json_add_str(o, "spool_id", m->spool_id);
	json_add_str(o, "format", m->format);
	json_add_str(o, "queue", imcq_queue_name(m->queue));
	json_add_str(o, "place", imcq_place_name(m->place));
	json_add_str(o, "state", imcq_state_name(m->state));
	{
		struct imcq_tbuf tb = IMCQ_TBUF_INIT;	/* may be spilled (model.h) */

		json_add_str(o, "state_reason", text_get(rep->spill, m->state_reason, &tb));
		tbuf_release(&tb);
	}
	add_u64(o, "size", m->size);
	json_add_time(o, "queue_time", m->queue_time);
	json_add_str(o, "queue_time_source", m->queue_time_source);
	if (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME)
		add_num(o, "age_seconds", (double)(rep->reference_time - m->queue_time));
	else
		cJSON_AddItemToObject(o, "age_seconds", must(cJSON_CreateNull()));
	json_add_time(o, "expires", m->expires);
	add_num(o, "priority", m->priority);
	if (m->damaged)
		json_add_str(o, "damage", m->damage);

	a = must(cJSON_CreateArray());
	for (i = 0; i < m->nsources; i++) {
		const struct imcq_source *s = &m->sources[i];
		cJSON *so = must(cJSON_CreateObject());
		char sha[65], member[512];

		/* through the files: the rows and members lie in their
		 * own order, not the messages' (model.h) */
		source_sha256_hex(rep, s, sha);
		json_add_str(so, "input", input_path(rep, s->input));
		json_add_str(so, "member", source_member(rep, s, member, sizeof(member)));
		add_u64(so, "offset", 0);	/* the whole member */
		add_u64(so, "size", s->size);
		json_add_str(so, "sha256", sha);
		json_add_time(so, "mtime", s->mtime);
		add_u64(so, "body_offset", s->body_offset);
		cJSON_AddItemToArray(a, so);
	}
	cJSON_AddItemToObject(o, "sources", a);

	env = must(cJSON_CreateObject());
	json_add_str(env, "mail_from", m->im->env.mail_from);
	add_strv(env, "rcpt_to", m->im->env.rcpt_to.v, m->im->env.rcpt_to.n);
	if (m->im->env.rcpt_dropped)
		add_u64(env, "rcpt_dropped", m->im->env.rcpt_dropped);
	json_add_str(env, "helo", m->c.helo);
	json_add_str(env, "client_host", m->c.client_host);
	json_add_str(env, "mts_id", m->im->env.mts_id);
	json_add_str(env, "source", imcq_env_source_name(m->im->env.source));
	add_u64(env, "offset", m->im->env.offset);
	add_u64(env, "length", m->im->env.length);
	json_add_str(env, "encoding", m->c.encoding);
	add_num(env, "confidence", m->im->env.confidence);
	a = must(cJSON_CreateArray());
	for (i = 0; i < m->c.ngaps; i++) {
		cJSON *g = must(cJSON_CreateObject());

		add_u64(g, "offset", m->c.gaps[i].offset);
		add_u64(g, "length", m->c.gaps[i].length);
		json_add_str(g, "hex", m->c.gaps[i].hex);
		cJSON_AddItemToArray(a, g);
	}
	cJSON_AddItemToObject(env, "uninterpreted", a);
	add_strv(env, "guessed", m->c.extra.v, m->c.extra.n);
	cJSON_AddItemToObject(o, "envelope", env);

	h = must(cJSON_CreateObject());
	json_add_str(h, "message_id", m->im->hdr.message_id);
	json_add_time(h, "date", m->im->hdr.date);
	json_add_str(h, "date_raw", m->c.date_raw);
	json_add_str(h, "from", m->c.from);
	json_add_str(h, "sender", m->c.sender);
	json_add_str(h, "reply_to", m->c.reply_to);
	add_strv(h, "to", m->c.to.v, m->c.to.n);
	add_strv(h, "cc", m->c.cc.v, m->c.cc.n);
	add_strv(h, "bcc", m->c.bcc.v, m->c.bcc.n);
	json_add_str(h, "subject", m->im->hdr.subject);
	if (m->im->hdr.subject_raw) {
		char *r = b64(m->im->hdr.subject_raw);

		if (!cJSON_GetObjectItemCaseSensitive(h, "subject_raw"))
			cJSON_AddItemToObject(h, "subject_raw", must(cJSON_CreateString(r)));
		free(r);
	}
	json_add_str(h, "x_priority", m->c.x_priority);
	json_add_str(h, "importance", m->c.importance);
	json_add_str(h, "content_type", m->c.content_type);
	a = must(cJSON_CreateArray());
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		const struct imcq_hop *hp = &m->im->hdr.received[i];
		cJSON *ho = must(cJSON_CreateObject());

		json_add_str(ho, "from", hp->from);
		json_add_str(ho, "by", hp->by);
		json_add_str(ho, "with", hp->with);
		json_add_str(ho, "id", hp->id);
		json_add_str(ho, "for", hp->for_addr);
		json_add_time(ho, "date", hp->date);
		json_add_str(ho, "date_raw", hp->date_raw);
		cJSON_AddItemToArray(a, ho);
	}
	cJSON_AddItemToObject(h, "received", a);
	add_u64(h, "count", m->im->hdr.nall);
	cJSON_AddItemToObject(o, "headers", h);
	json_add_str(o, "ims_id", m->ims_id);

	a = must(cJSON_CreateArray());
	for (i = 0; i < m->c.nparts; i++) {
		const struct imcq_mime_part *p = &m->c.parts[i];
		cJSON *po = must(cJSON_CreateObject());

		json_add_str(po, "path", p->path);
		json_add_str(po, "content_type", p->content_type);
		json_add_str(po, "filename", p->filename);
		json_add_str(po, "charset", p->charset);
		json_add_str(po, "encoding", p->encoding);
		add_u64(po, "size", p->size);
		add_num(po, "depth", p->depth);
		cJSON_AddItemToArray(a, po);
	}
	cJSON_AddItemToObject(o, "mime", a);
	json_add_str(o, "line_ends", m->line_ends);
	add_bool(o, "final_newline", m->final_newline);
	message_body_sha256_hex(m, hx);
	json_add_str(o, "body_sha256", hx[0] ? hx : NULL);

	a = must(cJSON_CreateArray());
	for (i = 0; i < m->nrcpts; i++) {
		const struct imcq_rcpt *r = &m->rcpts[i];
		cJSON *ro = must(cJSON_CreateObject());

		json_add_str(ro, "address", r->address);
		json_add_str(ro, "domain", r->domain);
		json_add_str(ro, "status", r->status);
		add_bool(ro, "in_headers", r->in_headers);
		cJSON_AddItemToObject(ro, "route", route_json(rep, rcpt_route(r), r->address));
		cJSON_AddItemToObject(ro, "evidence", evidence_json(rep, &r->ev));
		cJSON_AddItemToArray(a, ro);
	}
	cJSON_AddItemToObject(o, "recipients", a);
	message_findings_get(rep, m, &fl);
	cJSON_AddItemToObject(o, "findings", findings_json(rep, &fl, false));
	findlist_release(&fl);
	a = must(cJSON_CreateArray());
	for (i = 0; i < m->nseen; i++)
		cJSON_AddItemToArray(a, must(cJSON_CreateNumber(m->seen_in[i])));
	cJSON_AddItemToObject(o, "seen_in", a);
	return o;
}

cJSON *
json_event(const struct imcq_report *rep, const struct imcq_event *e)
{
	cJSON *o = must(cJSON_CreateObject());

	json_add_str(o, "source", e->source);
	if (e->local_time) {
		add_local_time(o, "time", e->time);
		add_bool(o, "local_time", true);
	} else {
		json_add_time(o, "time", e->time);
	}
	json_add_str(o, "time_raw", e->time_raw);
	if (e->event_no >= 0)
		add_num(o, "event", e->event_no);
	else
		cJSON_AddItemToObject(o, "event", must(cJSON_CreateNull()));
	json_add_str(o, "text", e->text);
	json_add_str(o, "msg_id", e->msg_id);
	json_add_str(o, "spool_id", e->spool_id);
	json_add_str(o, "gateway", e->gateway);
	json_add_str(o, "partner", e->partner);
	json_add_str(o, "remote_id", e->remote_id);
	json_add_str(o, "originator", e->originator);
	add_strv(o, "recipients", e->rcpts.v, e->rcpts.n);
	json_add_str(o, "input", input_path(rep, e->input));
	json_add_str(o, "member", e->member);
	add_u64(o, "line", e->line);
	add_u64(o, "offset", e->offset);
	add_num(o, "snapshot", e->snapshot);
	return o;
}

static cJSON *
summary_json(const struct imcq_report *rep)
{
	struct summary s;
	cJSON *o = must(cJSON_CreateObject());
	cJSON *bs, *a, *q;
	size_t i, j;

	summary_build(&s, rep);
	add_u64(o, "messages", s.messages);
	bs = must(cJSON_CreateObject());
	for (i = 1; i < IMCQ_ST_COUNT; i++)
		add_u64(bs, imcq_state_name((enum imcq_state)i), s.by_state[i]);
	cJSON_AddItemToObject(o, "by_state", bs);
	bs = must(cJSON_CreateObject());
	for (i = 0; i < IMCQ_Q_COUNT; i++)
		add_u64(bs, imcq_queue_name((enum imcq_queue)i), s.by_queue[i]);
	cJSON_AddItemToObject(o, "by_queue", bs);
	a = must(cJSON_CreateArray());
	for (i = 0; i < s.ndomains; i++) {
		cJSON *d = must(cJSON_CreateObject());

		json_add_str(d, "domain", s.domains[i].domain);
		add_u64(d, "messages", s.domains[i].messages);
		add_u64(d, "recipients", s.domains[i].recipients);
		cJSON_AddItemToArray(a, d);
	}
	cJSON_AddItemToObject(o, "by_domain", a);
	bs = must(cJSON_CreateObject());
	for (i = 0; i < s.ncodes; i++)
		add_u64(bs, s.codes[i].code, s.codes[i].count);
	cJSON_AddItemToObject(o, "findings", bs);
	a = must(cJSON_CreateArray());
	for (i = 0; i < SUMMARY_BUCKETS; i++) {
		cJSON *b = must(cJSON_CreateObject());

		json_add_str(b, "label", summary_bucket_label(i));
		add_u64(b, "min_seconds", i ? (uint64_t)summary_bucket_minutes(i - 1) * 60 : 0);
		if (summary_bucket_minutes(i))
			add_u64(b, "max_seconds", (uint64_t)summary_bucket_minutes(i) * 60);
		else
			cJSON_AddItemToObject(b, "max_seconds", must(cJSON_CreateNull()));
		add_u64(b, "messages", s.totals[i]);
		cJSON_AddItemToArray(a, b);
	}
	cJSON_AddItemToObject(o, "age_buckets", a);
	q = must(cJSON_CreateObject());
	a = must(cJSON_CreateArray());
	for (i = 0; i < SUMMARY_BUCKETS; i++)
		cJSON_AddItemToArray(a, jstr(summary_bucket_label(i)));
	cJSON_AddItemToObject(q, "buckets", a);
	a = must(cJSON_CreateArray());
	{
		cJSON *row = must(cJSON_CreateObject());
		cJSON *c = must(cJSON_CreateArray());

		json_add_str(row, "domain", "TOTAL");
		add_u64(row, "total", s.queued);
		for (j = 0; j < SUMMARY_BUCKETS; j++)
			cJSON_AddItemToArray(c, must(cJSON_CreateNumber((double)s.totals[j])));
		cJSON_AddItemToObject(row, "counts", c);
		cJSON_AddItemToArray(a, row);
	}
	for (i = 0; i < s.ndomains; i++) {
		cJSON *row = must(cJSON_CreateObject());
		cJSON *c = must(cJSON_CreateArray());

		json_add_str(row, "domain", s.domains[i].domain);
		add_u64(row, "total", s.domains[i].messages);
		for (j = 0; j < SUMMARY_BUCKETS; j++)
			cJSON_AddItemToArray(c, must(cJSON_CreateNumber((double)s.domains[i].buckets[j])));
		cJSON_AddItemToObject(row, "counts", c);
		cJSON_AddItemToArray(a, row);
	}
	cJSON_AddItemToObject(q, "rows", a);
	cJSON_AddItemToObject(o, "qshape", q);
	add_u64(o, "anomalies", rep->nanoms + rep->anoms_dropped);
	add_u64(o, "anomalies_dropped", rep->anoms_dropped);
	add_u64(o, "unreadable", rep->unreadable);
	summary_release(&s);
	return o;
}

/*
 * Lazy arrays.  The shell (json_report_shell) does not hold the arrays that
 * grow with the evidence (inventory rows, routing decisions, log events and
 * sessions, Queue.dat references and carved strings, the report-wide
 * findings' spool ids, the changes between snapshots): each is an empty
 * array registered here, and json_write builds its elements one at a time
 * when it reaches it, prints and frees them.  json_report materialises the
 * same elements with the same builders, so both give the same bytes.  The
 * registry belongs to the newest shell: json_shell_delete clears it.
 */

static void
lazy_clear(void)
{
	free(lazies);
	lazies = NULL;
	nlazies = lazycap = 0;
}

static const struct lazy *
lazy_find(const cJSON *arr)
{
	size_t i;

	if (arr == NULL || arr->child != NULL)
		return NULL;
	for (i = 0; i < nlazies; i++)
		if (lazies[i].arr == arr)
			return &lazies[i];
	return NULL;
}

static cJSON *
decision_item(const struct imcq_report *rep, const struct imcq_message *m,
	      const struct imcq_rcpt *r)
{
	cJSON *d = route_json(rep, rcpt_route(r), r->address);

	cJSON_AddItemToObject(d, "spool_id", jstr(m->spool_id));
	cJSON_AddItemToObject(d, "recipient", jstr(r->address));
	cJSON_AddItemToObject(d, "snapshot", must(cJSON_CreateNumber(m->snapshot)));
	return d;
}

static cJSON *
session_item(const struct imcq_report *rep, const struct imcq_session *s)
{
	cJSON *so = must(cJSON_CreateObject());

	json_add_str(so, "input", input_path(rep, s->input));
	json_add_str(so, "member", s->member);
	add_u64(so, "line_first", s->line_first);
	add_u64(so, "line_last", s->line_last);
	if (s->local_time) {
		add_local_time(so, "start", s->start);
		add_local_time(so, "end", s->end);
		add_bool(so, "local_time", true);
	} else {
		json_add_time(so, "start", s->start);
		json_add_time(so, "end", s->end);
	}
	json_add_str(so, "remote", s->remote);
	json_add_str(so, "direction", s->direction);
	json_add_str(so, "helo", s->helo);
	json_add_str(so, "mail_from", s->mail_from);
	add_strv(so, "rcpt_to", s->rcpts.v, s->rcpts.n);
	add_strv(so, "replies", s->replies.v, s->replies.n);
	add_num(so, "last_code", s->last_code);
	json_add_str(so, "subject", s->subject);
	json_add_str(so, "domain", s->domain);
	json_add_str(so, "outcome", s->outcome);
	json_add_str(so, "outcome_line", s->outcome_line);
	add_num(so, "snapshot", s->snapshot);
	return so;
}

static cJSON *
inv_item(const struct imcq_report *rep, const struct imcq_inv *v)
{
	cJSON *o = must(cJSON_CreateObject());
	char sha[65];

	inv_sha256_hex(v, sha);
	json_add_str(o, "input", input_path(rep, v->input));
	json_add_str(o, "member", v->member);
	add_u64(o, "size", v->size);
	json_add_str(o, "sha256", sha[0] ? sha : NULL);
	json_add_time(o, "mtime", v->mtime);
	json_add_str(o, "kind", v->kind);
	json_add_str(o, "place", imcq_place_name(v->place));
	add_bool(o, "parsed", v->parsed);
	if (v->ambiguous)
		json_add_str(o, "ambiguous", v->ambiguous);
	return o;
}

static cJSON *
qref_item(const struct imcq_queue_file *q, const struct imcq_qref *r)
{
	cJSON *ro = must(cJSON_CreateObject());
	int64_t t = qref_time(q, r);

	json_add_str(ro, "spool_id", qref_spool_id(q, r));
	add_u64(ro, "offset", r->offset);
	json_add_str(ro, "encoding", qref_encoding(r));
	add_num(ro, "count", r->count);
	json_add_time(ro, "time", t);
	if (t != IMCQ_NOTIME)
		add_u64(ro, "time_offset", qref_time_offset(q, r));
	json_add_str(ro, "address", qref_address(q, r));
	json_add_str(ro, "host", qref_host(q, r));
	add_num(ro, "record", r->record);
	return ro;
}

static cJSON *
qcarved_item(const struct imcq_carved *c)
{
	cJSON *co = must(cJSON_CreateObject());
	int64_t t = qcarved_time(c);
	char buf[32];

	json_add_str(co, "kind", qcarved_kind(c));
	json_add_str(co, "value", qcarved_value(c, buf));
	add_u64(co, "offset", qcarved_offset(c));
	if (t != IMCQ_NOTIME && t != 0)
		json_add_time(co, "time", t);
	return co;
}

/* Hand each element, in order, to emit (which owns it); stop when emit
 * returns false.  Returns the number of elements handed over. */
typedef bool (*lazy_emit)(void *ctx, cJSON *item);

static size_t
lazy_run(const struct imcq_report *rep, enum lazy_kind k, size_t aux,
	 char *const *v, lazy_emit emit, void *ctx)
{
	size_t i, j, n = 0;

#define EMIT(x) do { n++; if (!emit(ctx, (x))) return n; } while (0)
	switch (k) {
	case LZ_DECISIONS:
		for (i = 0; i < rep->nmsgs; i++) {
			const struct imcq_message *m = rep->msgs[i];

			if (!summary_counts_queued(m))
				continue;
			for (j = 0; j < m->nrcpts; j++)
				EMIT(decision_item(rep, m, &m->rcpts[j]));
		}
		break;
	case LZ_EVENTS:
		for (i = 0; i < rep->nevents; i++)
			EMIT(json_event(rep, &rep->events[i]));
		break;
	case LZ_SESSIONS:
		for (i = 0; i < rep->nsessions; i++)
			EMIT(session_item(rep, &rep->sessions[i]));
		break;
	case LZ_INVENTORY:
		for (i = 0; i < rep->ninv; i++)
			EMIT(inv_item(rep, &rep->inv[i]));
		break;
	case LZ_QREFS:
		for (i = 0; i < rep->qfiles[aux].nrefs; i++)
			EMIT(qref_item(&rep->qfiles[aux], &rep->qfiles[aux].refs[i]));
		break;
	case LZ_QCARVED:
		for (i = 0; i < rep->qfiles[aux].nstrings; i++)
			EMIT(qcarved_item(&rep->qfiles[aux].strings[i]));
		break;
	case LZ_STRV:
		for (i = 0; i < aux; i++)
			EMIT(jstr(v[i]));
		break;
	case LZ_STRV_RAW:
		for (i = 0; i < aux; i++)
			EMIT(raw_item(v[i]));
		break;
	}
#undef EMIT
	return n;
}

static bool
emit_append(void *ctx, cJSON *item)
{
	cJSON_AddItemToArray(ctx, item);
	return true;
}

/* An array of kind k: registered empty (shell) or filled (whole report). */
static cJSON *
lazy_array(const struct imcq_report *rep, enum lazy_kind k, size_t aux, bool lazy)
{
	cJSON *a = must(cJSON_CreateArray());
	struct lazy l = { a, k, aux, rep, NULL };

	if (lazy)
		VEC_PUSH(lazies, nlazies, lazycap, l);
	else
		lazy_run(rep, k, aux, NULL, emit_append, a);
	return a;
}

size_t
json_lazy_count(const cJSON *arr)
{
	const struct lazy *l = lazy_find(arr);
	size_t i, n = 0;
	const struct imcq_report *rep;

	if (l == NULL)
		return (size_t)cJSON_GetArraySize(arr);
	rep = l->rep;
	switch (l->kind) {
	case LZ_DECISIONS:
		for (i = 0; i < rep->nmsgs; i++)
			if (summary_counts_queued(rep->msgs[i]))
				n += rep->msgs[i]->nrcpts;
		return n;
	case LZ_EVENTS:
		return rep->nevents;
	case LZ_SESSIONS:
		return rep->nsessions;
	case LZ_INVENTORY:
		return rep->ninv;
	case LZ_QREFS:
		return rep->qfiles[l->aux].nrefs;
	case LZ_QCARVED:
		return rep->qfiles[l->aux].nstrings;
	case LZ_STRV:
	case LZ_STRV_RAW:
		return l->aux;
	}
	return 0;
}

struct head_ctx {
	cJSON *a;
	size_t left;
};

static bool
emit_head(void *ctx, cJSON *item)
{
	struct head_ctx *h = ctx;

	cJSON_AddItemToArray(h->a, item);
	return --h->left > 0;
}

cJSON *
json_lazy_head(const cJSON *arr, size_t max)
{
	const struct lazy *l = lazy_find(arr);
	struct head_ctx h = { must(cJSON_CreateArray()), max };
	const cJSON *c;

	if (max == 0)
		return h.a;
	if (l != NULL) {
		lazy_run(l->rep, l->kind, l->aux, l->v, emit_head, &h);
		return h.a;
	}
	for (c = arr ? arr->child : NULL; c != NULL && h.left > 0; c = c->next, h.left--)
		cJSON_AddItemToArray(h.a, must(cJSON_Duplicate(c, 1)));
	return h.a;
}

size_t
json_lazy_each(const cJSON *arr, bool (*fn)(void *ctx, cJSON *item), void *ctx)
{
	const struct lazy *l = lazy_find(arr);

	return l != NULL ? lazy_run(l->rep, l->kind, l->aux, l->v, fn, ctx) : 0;
}

struct json_lazy_index {
	const struct lazy *l;
	size_t n;
	size_t *before;		/* decisions: how many precede message i */
};

struct json_lazy_index *
json_lazy_index(const cJSON *arr)
{
	const struct lazy *l = lazy_find(arr);
	struct json_lazy_index *ix;
	const struct imcq_report *rep;
	size_t i, n = 0;

	if (l == NULL)
		return NULL;
	ix = xcalloc(1, sizeof(*ix));
	ix->l = l;
	ix->n = json_lazy_count(arr);
	if (l->kind == LZ_DECISIONS) {
		rep = l->rep;
		ix->before = xmalloc((rep->nmsgs + 1) * sizeof(*ix->before));
		for (i = 0; i < rep->nmsgs; i++) {
			ix->before[i] = n;
			if (summary_counts_queued(rep->msgs[i]))
				n += rep->msgs[i]->nrcpts;
		}
		ix->before[i] = n;
	}
	return ix;
}

size_t
json_lazy_index_count(const struct json_lazy_index *ix)
{
	return ix->n;
}

cJSON *
json_lazy_at(const struct json_lazy_index *ix, size_t k)
{
	const struct lazy *l = ix->l;
	const struct imcq_report *rep = l->rep;
	size_t lo, hi;

	if (k >= ix->n)
		BUG("json_lazy_at: past the end");
	switch (l->kind) {
	case LZ_DECISIONS:
		/* the last message with before[i] <= k (it has k's recipient) */
		lo = 0;
		hi = rep->nmsgs;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (ix->before[mid] <= k)
				lo = mid;
			else
				hi = mid;
		}
		return decision_item(rep, rep->msgs[lo],
				     &rep->msgs[lo]->rcpts[k - ix->before[lo]]);
	case LZ_EVENTS:
		return json_event(rep, &rep->events[k]);
	case LZ_SESSIONS:
		return session_item(rep, &rep->sessions[k]);
	case LZ_INVENTORY:
		return inv_item(rep, &rep->inv[k]);
	case LZ_QREFS:
		return qref_item(&rep->qfiles[l->aux], &rep->qfiles[l->aux].refs[k]);
	case LZ_QCARVED:
		return qcarved_item(&rep->qfiles[l->aux].strings[k]);
	case LZ_STRV:
		return jstr(l->v[k]);
	case LZ_STRV_RAW:
		return raw_item(l->v[k]);
	}
	return NULL;
}

void
json_lazy_index_free(struct json_lazy_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->before);
	free(ix);
}

void
json_shell_delete(cJSON *doc)
{
	lazy_clear();
	cJSON_Delete(doc);
}


static cJSON *
routing_json(const struct imcq_report *rep, bool lazy)
{
	cJSON *o = must(cJSON_CreateObject());
	cJSON *a = must(cJSON_CreateArray());
	size_t i, j;

	for (i = 0; i < rep->ntables; i++) {
		const struct imcq_table_file *t = &rep->tables[i];
		cJSON *to = must(cJSON_CreateObject());
		cJSON *ea = must(cJSON_CreateArray());

		json_add_str(to, "table", t->table);
		json_add_str(to, "style", t->style);
		json_add_str(to, "input", input_path(rep, t->input));
		json_add_str(to, "member", t->member);
		add_num(to, "snapshot", t->snapshot);
		json_add_time(to, "mtime", t->mtime);
		json_add_time(to, "newest_time", t->newest_time);
		json_add_str(to, "sha256", t->sha256[0] ? t->sha256 : NULL);
		add_u64(to, "lines", t->nlines);
		for (j = 0; j < rep->nroutes; j++) {
			const struct imcq_route_entry *e = &rep->routes[j];
			cJSON *eo;

			if (e->input != t->input || e->member == NULL || t->member == NULL ||
			    strcmp(e->member, t->member) != 0)
				continue;
			eo = must(cJSON_CreateObject());
			json_add_str(eo, "type", e->type);
			json_add_str(eo, "address_space", e->space);
			if (e->cost >= 0)
				add_num(eo, "cost", e->cost);
			else
				cJSON_AddItemToObject(eo, "cost", must(cJSON_CreateNull()));
			json_add_str(eo, "connector", e->connector);
			json_add_str(eo, "server", e->server);
			json_add_str(eo, "scope", e->scope);
			json_add_str(eo, "host", e->host);
			add_u64(eo, "line", e->line);
			add_u64(eo, "offset", e->offset);
			json_add_str(eo, "raw", e->raw);
			cJSON_AddItemToArray(ea, eo);
		}
		cJSON_AddItemToObject(to, "entries", ea);
		cJSON_AddItemToArray(a, to);
	}
	cJSON_AddItemToObject(o, "tables", a);
	a = lazy_array(rep, LZ_DECISIONS, 0, lazy);
	cJSON_AddItemToObject(o, "decisions", a);
	return o;
}

static cJSON *
incident_json(const struct imcq_report *rep)
{
	const struct imcq_incident *in = &rep->incident;
	cJSON *o;

	if (in->headline == NULL)
		return must(cJSON_CreateNull());
	o = must(cJSON_CreateObject());
	json_add_str(o, "headline", in->headline);
	add_strv(o, "summary_lines", in->lines.v, in->lines.n);
	json_add_str(o, "cause", in->cause);
	json_add_time(o, "since", in->since);
	add_strv(o, "kb", in->kb.v, in->kb.n);
	add_strv(o, "recover_commands", in->commands.v, in->commands.n);
	return o;
}

cJSON *
json_message_brief(const struct imcq_report *rep, const struct imcq_message *m)
{
	cJSON *o = must(cJSON_CreateObject());

	json_add_str(o, "state", imcq_state_name(m->state));
	json_add_time(o, "queue_time", m->queue_time);
	if (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME)
		add_num(o, "age_seconds", (double)(rep->reference_time - m->queue_time));
	else
		cJSON_AddItemToObject(o, "age_seconds", must(cJSON_CreateNull()));
	return o;
}

static cJSON *report_build(const struct imcq_report *rep, const char *version,
			   const cJSON **hole);

cJSON *
json_report(const struct imcq_report *rep, const char *version)
{
	return report_build(rep, version, NULL);
}

cJSON *
json_report_shell(const struct imcq_report *rep, const char *version,
		  const cJSON **hole)
{
	return report_build(rep, version, hole);
}

static cJSON *
report_build(const struct imcq_report *rep, const char *version,
	     const cJSON **hole)
{
	cJSON *doc = must(cJSON_CreateObject());
	cJSON *o, *a;
	size_t i, j;
	bool lazy = hole != NULL;

	if (lazy)
		lazy_clear();
	json_add_str(doc, "schema", IMCQ_SCHEMA);
	o = must(cJSON_CreateObject());
	json_add_str(o, "name", "imcq");
	json_add_str(o, "version", version);
	cJSON_AddItemToObject(doc, "tool", o);
	json_add_time(doc, "reference_time", rep->reference_time);
	json_add_str(doc, "reference_source", rep->reference_source);
	if (rep->where_expr != NULL) {	/* messages holds a --where selection */
		o = must(cJSON_CreateObject());
		json_add_str(o, "where", rep->where_expr);
		add_u64(o, "selected", rep->nmsgs);
		add_u64(o, "of", rep->where_of);
		cJSON_AddItemToObject(doc, "selection", o);
	}

	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->ninputs; i++) {
		const struct imcq_input *in = &rep->inputs[i];

		o = must(cJSON_CreateObject());
		json_add_str(o, "path", in->path);
		json_add_str(o, "kind", in->kind);
		add_u64(o, "size", in->size);
		json_add_str(o, "sha256", in->sha256[0] ? in->sha256 : NULL);
		add_num(o, "snapshot", in->snapshot);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "inputs", a);

	cJSON_AddItemToObject(doc, "summary", summary_json(rep));
	cJSON_AddItemToObject(doc, "incident", incident_json(rep));
	cJSON_AddItemToObject(doc, "findings", findings_json(rep, &rep->findings, lazy));

	a = must(cJSON_CreateArray());
	if (hole != NULL)
		*hole = a;
	else
		for (i = 0; i < rep->nmsgs; i++)
			cJSON_AddItemToArray(a, json_message(rep, rep->msgs[i]));
	cJSON_AddItemToObject(doc, "messages", a);

	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->nqfiles; i++) {
		const struct imcq_queue_file *q = &rep->qfiles[i];

		o = must(cJSON_CreateObject());
		json_add_str(o, "input", input_path(rep, q->input));
		json_add_str(o, "member", q->member);
		json_add_str(o, "sha256", q->sha256);
		add_u64(o, "size", q->size);
		json_add_time(o, "mtime", q->mtime);
		add_num(o, "snapshot", q->snapshot);
		add_num(o, "page_size", q->page_size);
		add_num(o, "record_stride", q->record_stride);
		add_num(o, "structure_confidence", q->structure_confidence);
		json_add_str(o, "structure", q->structure);
		add_bool(o, "corrupt", q->corrupt);
		json_add_str(o, "corrupt_reason", q->corrupt_reason);
		cJSON_AddItemToObject(o, "references", lazy_array(rep, LZ_QREFS, i, lazy));
		cJSON_AddItemToObject(o, "carved", lazy_array(rep, LZ_QCARVED, i, lazy));
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "queue_files", a);
	cJSON_AddItemToObject(doc, "routing", routing_json(rep, lazy));

	o = must(cJSON_CreateObject());
	cJSON_AddItemToObject(o, "events", lazy_array(rep, LZ_EVENTS, 0, lazy));
	a = lazy_array(rep, LZ_SESSIONS, 0, lazy);
	cJSON_AddItemToObject(o, "sessions", a);
	cJSON_AddItemToObject(doc, "logs", o);

	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->nconfig; i++) {
		const struct imcq_config *c = &rep->config[i];

		o = must(cJSON_CreateObject());
		json_add_str(o, "input", input_path(rep, c->input));
		json_add_str(o, "member", c->member);
		add_u64(o, "line", c->line);
		json_add_str(o, "key", c->key);
		json_add_str(o, "name", c->name);
		json_add_str(o, "value", c->value);
		json_add_str(o, "type", c->type);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "config", a);

	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->nsnaps; i++) {
		const struct imcq_snapshot *s = &rep->snaps[i];
		cJSON *ia = must(cJSON_CreateArray());

		o = must(cJSON_CreateObject());
		add_num(o, "index", s->index);
		for (j = 0; j < s->ninputs; j++)
			cJSON_AddItemToArray(ia, jstr(input_path(rep, s->inputs[j])));
		cJSON_AddItemToObject(o, "inputs", ia);
		json_add_str(o, "server", s->server);
		json_add_time(o, "newest_time", s->newest_time);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "snapshots", a);
	o = must(cJSON_CreateObject());
	add_strv_lazy(o, "appeared", rep->changes_appeared.v, rep->changes_appeared.n, lazy);
	add_strv_lazy(o, "disappeared", rep->changes_disappeared.v, rep->changes_disappeared.n, lazy);
	add_strv_lazy(o, "persisted", rep->changes_persisted.v, rep->changes_persisted.n, lazy);
	cJSON_AddItemToObject(doc, "changes", o);

	a = lazy_array(rep, LZ_INVENTORY, 0, lazy);
	cJSON_AddItemToObject(doc, "inventory", a);

	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->nanoms; i++) {
		const struct imcq_anomaly *an = &rep->anoms[i];

		o = must(cJSON_CreateObject());
		json_add_str(o, "code", an->code);
		json_add_str(o, "severity", imcq_sev_name(an->sev));
		json_add_str(o, "input", input_path(rep, an->input));
		json_add_str(o, "member", an->member);
		add_u64(o, "offset", an->offset);
		json_add_str(o, "message", an->message);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "anomalies", a);
	return doc;
}

/*
 * The printer: the bytes of cJSON_Print (pretty) and cJSON_PrintUnformatted
 * (cJSON 1.7), written to f as they are produced instead of into one
 * buffer the size of the document.  depth is cJSON's: 0 for a document,
 * the tabs before a member of an object printed at depth d are d + 1.
 */
#define JW_BUF 65536

struct jw {
	FILE *f;		/* or NULL: into buf (json_render) */
	int pretty;
	bool lazy;		/* look up the shell's lazy arrays */
	const cJSON *hole;
	json_hole_cb cb;
	json_lazy_cb lcb;	/* prints a lazy array's elements, or NULL */
	void *user;
	char *buf;		/* JW_BUF bytes (f), or mem->p */
	size_t n;		/* bytes in buf, not yet written to f */
	size_t cap;		/* of buf */
};

/* To a file: write what buf holds.  To memory: make room for need more
 * bytes. */
static void
jw_flush(struct jw *w, size_t need)
{
	size_t cap;

	if (w->f != NULL) {
		if (w->n > 0)
			fwrite(w->buf, 1, w->n, w->f);
		w->n = 0;
		return;
	}
	for (cap = w->cap ? w->cap : 4096; cap - w->n < need; cap *= 2)
		;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

static void
jw_put(struct jw *w, const void *p, size_t n)
{
	if (w->cap - w->n < n) {
		jw_flush(w, n);
		if (n > w->cap - w->n) {	/* a file's: larger than buf */
			fwrite(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->n, p, n);
	w->n += n;
}

static void
jw_c(struct jw *w, char c)
{
	if (w->n == w->cap)
		jw_flush(w, 1);
	w->buf[w->n++] = c;
}

static void
jw_s(struct jw *w, const char *s)
{
	jw_put(w, s, strlen(s));
}

static void
jw_tabs(struct jw *w, size_t n)
{
	static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

	while (n > 0) {
		size_t k = n < sizeof(tabs) - 1 ? n : sizeof(tabs) - 1;

		jw_put(w, tabs, k);
		n -= k;
	}
}

/* bytes a JSON string escapes: controls, '"' and '\\' (NUL ends it) */
static const unsigned char jw_esc[256] = {
	[0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1,
	[8] = 1, [9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
	[16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,
	[24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1,
	['"'] = 1, ['\\'] = 1,
};

static void
jw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *run = p;
	char u[8];

	jw_c(w, '"');
	for (; *p != '\0'; p++) {
		if (!jw_esc[*p])
			continue;
		if (p > run)
			jw_put(w, run, (size_t)(p - run));
		run = p + 1;
		jw_c(w, '\\');
		switch (*p) {
		case '"': jw_c(w, '"'); break;
		case '\\': jw_c(w, '\\'); break;
		case '\b': jw_c(w, 'b'); break;
		case '\f': jw_c(w, 'f'); break;
		case '\n': jw_c(w, 'n'); break;
		case '\r': jw_c(w, 'r'); break;
		case '\t': jw_c(w, 't'); break;
		default:
			snprintf(u, sizeof(u), "u%04x", (unsigned)*p);
			jw_s(w, u);
		}
	}
	if (p > run)
		jw_put(w, run, (size_t)(p - run));
	jw_c(w, '"');
}

static void
jw_number(struct jw *w, const cJSON *item)
{
	double d = item->valuedouble, test = 0.0;
	char b[32];

	if (isnan(d) || isinf(d)) {
		jw_s(w, "null");
	} else if (d == (double)item->valueint) {
		/* "%d" */
		const char *q = fmt_i64(b, item->valueint);

		jw_s(w, q);
	} else {
		/* cJSON: 15 digits unless they do not read back (compare_double) */
		snprintf(b, sizeof(b), "%1.15g", d);
		if (sscanf(b, "%lg", &test) != 1 ||
		    !(fabs(test - d) <= (fabs(test) > fabs(d) ? fabs(test) : fabs(d)) * DBL_EPSILON))
			snprintf(b, sizeof(b), "%1.17g", d);
		jw_s(w, b);
	}
}

static void jw_value(struct jw *w, const cJSON *item, size_t depth);

/* A lazy array's elements, printed as they are built. */
struct jw_lazy {
	struct jw *w;
	size_t depth;
	bool first;
};

static bool
emit_write(void *ctx, cJSON *item)
{
	struct jw_lazy *z = ctx;

	if (!z->first)
		jw_s(z->w, z->w->pretty ? ", " : ",");
	z->first = false;
	jw_value(z->w, item, z->depth);
	cJSON_Delete(item);
	return true;
}

static void
jw_value(struct jw *w, const cJSON *item, size_t depth)
{
	const cJSON *c;
	const struct lazy *l;

	if (item == NULL) {
		jw_s(w, "null");
		return;
	}
	switch (item->type & 0xff) {
	case cJSON_NULL:
		jw_s(w, "null");
		break;
	case cJSON_False:
		jw_s(w, "false");
		break;
	case cJSON_True:
		jw_s(w, "true");
		break;
	case cJSON_Number:
		jw_number(w, item);
		break;
	case cJSON_Raw:
		if (item->valuestring != NULL)
			jw_s(w, item->valuestring);
		break;
	case cJSON_String:
		jw_string(w, item->valuestring);
		break;
	case cJSON_Array:
		jw_c(w, '[');
		if (item == w->hole && w->cb != NULL) {
			jw_flush(w, 0);
			w->cb(w->user, w->f, depth + 1);
		} else if (w->lazy && (l = lazy_find(item)) != NULL) {
			struct jw_lazy z = { w, depth + 1, true };

			if (w->lcb != NULL) {
				jw_flush(w, 0);
				w->lcb(w->user, w->f, item, depth + 1);
			} else {
				lazy_run(l->rep, l->kind, l->aux, l->v, emit_write, &z);
			}
		}
		for (c = item->child; c != NULL; c = c->next) {
			jw_value(w, c, depth + 1);
			if (c->next != NULL)
				jw_s(w, w->pretty ? ", " : ",");
		}
		jw_c(w, ']');
		break;
	case cJSON_Object:
		jw_c(w, '{');
		if (w->pretty)
			jw_c(w, '\n');
		for (c = item->child; c != NULL; c = c->next) {
			if (w->pretty)
				jw_tabs(w, depth + 1);
			jw_string(w, c->string);
			jw_s(w, w->pretty ? ":\t" : ":");
			jw_value(w, c, depth + 1);
			if (c->next != NULL)
				jw_c(w, ',');
			if (w->pretty)
				jw_c(w, '\n');
		}
		if (w->pretty)
			jw_tabs(w, depth);
		jw_c(w, '}');
		break;
	default:
		break;	/* cJSON prints nothing it does not know */
	}
}

int
json_write(FILE *f, const cJSON *v, int pretty, size_t depth,
	   const cJSON *hole, json_hole_cb cb, void *user)
{
	return json_write_lazy(f, v, pretty, depth, hole, cb, NULL, user);
}

int
json_write_lazy(FILE *f, const cJSON *v, int pretty, size_t depth,
		const cJSON *hole, json_hole_cb cb, json_lazy_cb lcb, void *user)
{
	struct jw w = {
		.f = f, .pretty = pretty, .lazy = true, .hole = hole, .cb = cb,
		.lcb = lcb, .user = user, .buf = xmalloc(JW_BUF), .cap = JW_BUF,
	};

	jw_value(&w, v, depth);
	jw_flush(&w, 0);
	free(w.buf);
	return ferror(f) ? -1 : 0;
}

void
json_render(struct json_buf *b, const cJSON *v, int pretty, size_t depth)
{
	struct jw w = {
		.pretty = pretty, .buf = b->p, .n = b->len, .cap = b->cap,
	};

	jw_value(&w, v, depth);
	b->p = w.buf;
	b->len = w.n;
	b->cap = w.cap;
}

int
json_fprint(FILE *f, const cJSON *doc, int pretty)
{
	json_write(f, doc, pretty, 0, NULL, NULL, NULL);
	putc('\n', f);
	return ferror(f) ? -1 : 0;
}

cJSON *
json_manifest(const struct imcq_report *rep, const char *version,
	      const struct json_outfile *files, size_t nfiles)
{
	cJSON *doc = must(cJSON_CreateObject());
	cJSON *a, *o;
	size_t i;

	json_add_str(doc, "schema", "imcq.manifest/1");
	o = must(cJSON_CreateObject());
	json_add_str(o, "name", "imcq");
	json_add_str(o, "version", version);
	cJSON_AddItemToObject(doc, "tool", o);
	json_add_time(doc, "reference_time", rep->reference_time);
	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->ninputs; i++) {
		o = must(cJSON_CreateObject());
		json_add_str(o, "path", rep->inputs[i].path);
		json_add_str(o, "kind", rep->inputs[i].kind);
		add_u64(o, "size", rep->inputs[i].size);
		json_add_str(o, "sha256", rep->inputs[i].sha256[0] ? rep->inputs[i].sha256 : NULL);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "inputs", a);
	a = must(cJSON_CreateArray());
	for (i = 0; i < nfiles; i++) {
		o = must(cJSON_CreateObject());
		json_add_str(o, "name", files[i].name);
		add_u64(o, "size", files[i].size);
		json_add_str(o, "sha256", files[i].sha256);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "outputs", a);
	return doc;
}
