/* SPDX-License-Identifier: MIT */
/*
 * pickup.c - Exchange 5.5 IMS Pickup file (Imcdata\Pickup, Pickup\Archive),
 * and the same form written for IIS / Exchange 2000-2007 Pickup or Replay.
 *
 * Documented (DOMAIN.md §7.1): the IMS takes the envelope from
 * "X-Sender:" and "X-Receiver:" lines placed before the RFC 822 header
 * block, and otherwise from the To/From/Sender fields, Sender winning over
 * From (Q201314).  The KB example writes them in lower case
 * ("x-sender: Sender", "x-receiver: user1@...") (Q221384).  Files are read
 * with SMTP end-of-data semantics: a lone "." line ends the message there
 * (Q221384), which this reader reports.
 *
 * Guessed: one address per X-Receiver line (the 5.5 KB shows only one; the
 * Exchange 2000+ convention is one per line).  Parameters after the
 * address (Exchange 2007 Replay: NOTIFY=, ORCPT=, RET=, ENVID=) and the
 * X-CreatedBy / X-EndOfInjectedXHeaders lines ([R] in DOMAIN.md §7.2) are
 * kept in env.extra rather than interpreted.  The lines are matched
 * case-insensitively with any line end (LF, CRLF, CR).  The RFC 822 part
 * starts after the last of these lines; what the X- lines do not give is
 * completed from the headers by analyzer/mime.c.
 */
#include "formats/format.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/xalloc.h"

enum xline { X_NONE, X_SENDER, X_RECEIVER, X_OTHER };

static size_t
skip_bom(const unsigned char *p, size_t n)
{
	return n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
}

/* Which envelope line is this; *vstart is the offset of its value. */
static enum xline
xline_of(struct span line, size_t *vstart)
{
	static const struct { const char *name; enum xline k; } names[] = {
		{ "x-sender:", X_SENDER }, { "x-receiver:", X_RECEIVER },
		{ "x-createdby:", X_OTHER }, { "x-endofinjectedxheaders:", X_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (span_istarts(line, names[i].name)) {
			*vstart = strlen(names[i].name);
			return names[i].k;
		}
	return X_NONE;
}

static int
bid(const struct imcq_entry *e)
{
	size_t n = e->len < IMCQ_BID_BYTES ? e->len : IMCQ_BID_BYTES;
	size_t b = skip_bom(e->data, n);
	struct span s = { e->data + b, n - b };
	struct span line;
	size_t pos = 0, v;
	enum xline k;

	if (!span_next_line(s, &pos, &line))
		return 0;
	k = xline_of(line, &v);
	return k == X_SENDER || k == X_RECEIVER ? 48 : 0;
}

/* The address of an X- value: the first token, without <>; the rest (the
 * parameters) in *rest. */
static char *
xaddr(struct span v, struct span *rest)
{
	size_t i = 0;

	v = span_trim(v);
	if (v.len > 0 && v.ptr[0] == '<') {
		while (i < v.len && v.ptr[i] != '>')
			i++;
		rest->ptr = v.ptr + (i < v.len ? i + 1 : i);
		rest->len = v.len - (size_t)(rest->ptr - v.ptr);
		*rest = span_trim(*rest);
		return span_dup((struct span){ v.ptr + 1, i > 0 ? i - 1 : 0 });
	}
	while (i < v.len && v.ptr[i] != ' ' && v.ptr[i] != '\t')
		i++;
	rest->ptr = v.ptr + i;
	rest->len = v.len - i;
	*rest = span_trim(*rest);
	return span_dup((struct span){ v.ptr, i });
}

/* Report the first lone "." line of the RFC 822 part: the IMS would end
 * the message there (Q221384). */
static void
check_lone_dot(const struct imcq_entry *e, struct imcq_report *rep, size_t from)
{
	struct span s = { e->data, e->len };
	struct span line;
	size_t pos = from;

	for (;;) {
		size_t at = pos;

		if (!span_next_line(s, &pos, &line))
			return;
		if (line.len == 1 && line.ptr[0] == '.') {
			anomaly_add(rep, "pickup-lone-dot", IMCQ_SEV_WARNING, e->input, e->member, at,
				    "a line holding a lone \".\": the IMS Pickup ends the message "
				    "there (Q221384); dot-stuff before re-injection");
			return;
		}
	}
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct imcq_message *m = imcq_entry_message(e, "pickup");
	struct imcq_envelope *env = &m->im->env;
	struct imcq_report *rep = s->rep;
	size_t b = skip_bom(e->data, e->len);
	struct span all = { e->data, e->len };
	struct span line, body;
	size_t pos = b, end = b;
	unsigned nlines = 0;

	env->source = IMCQ_ENV_XHEADERS;
	env->offset = b;
	for (;;) {
		size_t at = pos, vs;
		enum xline k;
		struct span val, rest;
		char *a;

		if (!span_next_line(all, &pos, &line))
			break;
		k = xline_of(line, &vs);
		if (k == X_NONE)
			break;
		end = pos;
		nlines++;
		val.ptr = line.ptr + vs;
		val.len = line.len - vs;
		if (k == X_OTHER) {
			char *v = span_dup(span_trim(val));

			strv_push(&m->c.extra, xasprintf("%.*s@%zu=%.200s", (int)(vs - 1),
							 (const char *)line.ptr, at, v));
			free(v);
			continue;
		}
		a = xaddr(val, &rest);
		if (rest.len > 0) {
			char *r = span_dup(rest);

			strv_push(&m->c.extra, xasprintf("%s-params@%zu=%.200s",
							 k == X_SENDER ? "x-sender" : "x-receiver",
							 at, r));
			free(r);
		}
		if (k == X_SENDER) {
			if (env->mail_from == NULL) {
				env->mail_from = a;
			} else {
				anomaly_add(rep, "pickup-second-sender", IMCQ_SEV_WARNING, e->input,
					    e->member, at, "a second X-Sender line: the first one is used");
				free(a);
			}
		} else if (*a == '\0') {
			anomaly_add(rep, "pickup-empty-receiver", IMCQ_SEV_WARNING, e->input,
				    e->member, at, "an X-Receiver line without an address");
			free(a);
		} else if (env->rcpt_to.n >= s->lim->rcpts) {
			envelope_drop_rcpt(env);
			free(a);
		} else {
			strv_push(&env->rcpt_to, a);
		}
	}
	env->length = end - b;
	m->c.encoding = xstrdup("x-headers");
	env->confidence = env->mail_from != NULL && env->rcpt_to.n > 0 ? 90 : 70;
	if (nlines == 0) {
		/* forced with --format: nothing of ours here */
		anomaly_add(rep, "pickup-no-xheaders", IMCQ_SEV_INFO, e->input, e->member, b,
			    "no X-Sender/X-Receiver lines: envelope taken from the headers");
		env->source = IMCQ_ENV_NONE;
		env->offset = IMCQ_NOOFF;
	}
	if (env->rcpt_dropped > 0)
		anomaly_add(rep, "rcpts-limit", IMCQ_SEV_WARNING, e->input, e->member, b,
			    "%llu X-Receiver recipients beyond the --max-rcpts cap of %u were "
			    "counted, not kept", (unsigned long long)env->rcpt_dropped, s->lim->rcpts);
	if (e->len == 0)
		message_damage(m, "zero-length file");
	check_lone_dot(e, rep, end);
	body.ptr = e->data + end;
	body.len = e->len - end;
	if (m->nsources > 0)
		m->sources[0].body_offset = end;
	s->message(s, e, m, body, end);
	return IMCQ_OK;
}

const struct imcq_format imcq_format_pickup = {
	.name = "pickup",
	.summary = "Pickup file: X-Sender:/X-Receiver: lines, then RFC 822 (Imcdata\\Pickup)",
	.bid = bid,
	.read = read_entry,
};
