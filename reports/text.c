/* SPDX-License-Identifier: MIT */
#include "reports/text.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/core/timeutil.h"
#include "reports/summary.h"

void
text_put(FILE *f, const char *s, size_t max)
{
	size_t i;

	if (s == NULL) {
		fputs("-", f);
		return;
	}
	for (i = 0; s[i] && (max == 0 || i < max); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	if (max && s[i])
		fputs("...", f);
}

static void
put_time(FILE *f, int64_t t)
{
	char iso[32];

	if (t == IMCQ_NOTIME) {
		fputs("-", f);
		return;
	}
	imcq_iso(t, iso);
	fputs(iso, f);
}

void
text_list_header(FILE *f)
{
	fprintf(f, "%-12s %-14s %-19s %8s %9s  %-30s %-34s %s\n", "SPOOL-ID",
		"QUEUE", "STATE", "AGE", "SIZE", "SENDER", "RECIPIENT", "SUBJECT");
}

/* One list line is built in memory and written with one fwrite: stdio
 * takes its lock per call once the process has a second thread. */
struct line {
	char b[1024];
	size_t n;
};

static void
ln_add(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - l->n)
		n = sizeof(l->b) - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

/* put_col() into l */
static void
ln_col(struct line *l, const char *s, int width)
{
	size_t n = 0, i;
	char buf[256];

	if (s == NULL)
		s = "-";
	for (i = 0; s[i] && n + 4 < sizeof(buf) && (int)n < width; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i] && width > 3 && (int)n >= width) {
		n = (size_t)width - 3;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	ln_add(l, buf, n);
	for (; (int)n < width; n++)
		ln_add(l, " ", 1);
}

/* text_put() into l */
static void
ln_text(struct line *l, const char *s, size_t max)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	if (s == NULL) {
		ln_add(l, "-", 1);
		return;
	}
	for (i = 0; s[i] && (max == 0 || i < max); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			char e[4] = { '\\', 'x', hx[c >> 4], hx[c & 15] };

			ln_add(l, e, 4);
		} else {
			ln_add(l, (const char *)&c, 1);
		}
	}
	if (max && s[i])
		ln_add(l, "...", 3);
}

void
text_list_line(FILE *f, const struct imcq_report *rep, const struct imcq_message *m)
{
	char age[32] = "-";
	char rc[300], num[96];
	struct line l;
	int k;

	l.n = 0;
	if (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME)
		imcq_fmt_age(rep->reference_time - m->queue_time, age, sizeof(age));
	ln_col(&l, m->spool_id, 12);
	ln_add(&l, " ", 1);
	ln_col(&l, imcq_queue_name(m->queue), 14);
	ln_add(&l, " ", 1);
	ln_col(&l, imcq_state_name(m->state), 19);
	k = snprintf(num, sizeof(num), " %8s %9llu  ", age, (unsigned long long)m->size);
	if (k > 0)
		ln_add(&l, num, (size_t)k < sizeof(num) ? (size_t)k : sizeof(num) - 1);
	if (m->im->env.mail_from && m->im->env.mail_from[0] == '\0')
		ln_col(&l, "<>", 30);
	else
		ln_col(&l, m->im->env.mail_from, 30);
	ln_add(&l, " ", 1);
	if (m->im->env.rcpt_to.n > 1)
		snprintf(rc, sizeof(rc), "%.200s (+%zu)", m->im->env.rcpt_to.v[0],
			 m->im->env.rcpt_to.n - 1 + (size_t)m->im->env.rcpt_dropped);
	else
		snprintf(rc, sizeof(rc), "%.200s", m->im->env.rcpt_to.n ? m->im->env.rcpt_to.v[0] : "-");
	ln_col(&l, rc, 34);
	ln_add(&l, " ", 1);
	ln_text(&l, m->im->hdr.subject, 60);
	ln_add(&l, "\n", 1);
	fwrite(l.b, 1, l.n, f);
}

static void
kv(FILE *f, const char *k, const char *v)
{
	fprintf(f, "  %-16s ", k);
	text_put(f, v, 0);
	fputc('\n', f);
}

static void show(FILE *f, const struct imcq_report *rep, const struct imcq_message *m);

/* A chilled message's cold fields are read back for the print (model.h). */
void
text_show(FILE *f, const struct imcq_report *rep, const struct imcq_message *m)
{
	struct imcq_thawed t;

	show(f, rep, message_thaw(rep, m, &t));
	message_thawed_release(&t);
}

static void
show(FILE *f, const struct imcq_report *rep, const struct imcq_message *m)
{
	size_t i, j;
	char buf[64];
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;	/* spilled texts (model.h) */
	struct imcq_findlist fl;

	fprintf(f, "Message ");
	text_put(f, m->spool_id, 0);
	fprintf(f, "  (%s, %s)\n", imcq_queue_name(m->queue), imcq_state_name(m->state));
	kv(f, "state reason", text_get(rep->spill, m->state_reason, &tb));
	fputs("  queue time       ", f);
	put_time(f, m->queue_time);
	fprintf(f, " (%s)\n", m->queue_time_source ? m->queue_time_source : "unknown");
	if (m->queue_time != IMCQ_NOTIME && rep->reference_time != IMCQ_NOTIME) {
		imcq_fmt_age(rep->reference_time - m->queue_time, buf, sizeof(buf));
		kv(f, "age", buf);
	}
	fputs("  expires          ", f);
	put_time(f, m->expires);
	fputc('\n', f);
	fprintf(f, "  size             %llu bytes (RFC 822 part), line ends %s%s\n",
		(unsigned long long)m->size, m->line_ends,
		m->final_newline ? "" : ", no final newline");
	if (m->damaged)
		kv(f, "DAMAGED", m->damage);
	fputs("Sources:\n", f);
	for (i = 0; i < m->nsources; i++) {
		const struct imcq_source *s = &m->sources[i];
		char sha[65];

		source_sha256_hex(rep, s, sha);
		fputs("  ", f);
		text_put(f, s->input >= 0 && (size_t)s->input < rep->ninputs ? rep->inputs[s->input].path : "?", 0);
		fputs(" : ", f);
		text_put(f, s->member, 0);
		fprintf(f, "\n    size %llu, mtime ", (unsigned long long)s->size);
		put_time(f, s->mtime);
		fprintf(f, ", RFC 822 part at offset %llu\n    sha256 %s\n",
			(unsigned long long)s->body_offset, sha);
	}
	fprintf(f, "Envelope (%s", imcq_env_source_name(m->im->env.source));
	if (m->c.encoding)
		fprintf(f, ", %s", m->c.encoding);
	if (m->im->env.offset != IMCQ_NOOFF)
		fprintf(f, ", bytes %llu..%llu", (unsigned long long)m->im->env.offset,
			(unsigned long long)(m->im->env.offset + m->im->env.length));
	fprintf(f, ", confidence %u%%):\n", m->im->env.confidence);
	kv(f, "MAIL FROM", m->im->env.mail_from && !m->im->env.mail_from[0] ? "<> (null sender)" : m->im->env.mail_from);
	for (i = 0; i < m->im->env.rcpt_to.n; i++)
		kv(f, "RCPT TO", m->im->env.rcpt_to.v[i]);
	if (m->im->env.rcpt_dropped)
		fprintf(f, "  (%llu more recipients not kept: --max-rcpts)\n",
			(unsigned long long)m->im->env.rcpt_dropped);
	kv(f, "HELO", m->c.helo);
	kv(f, "client host", m->c.client_host);
	kv(f, "MTS-ID", m->im->env.mts_id);
	for (i = 0; i < m->c.extra.n; i++)
		kv(f, "guessed", m->c.extra.v[i]);
	for (i = 0; i < m->c.ngaps && i < 16; i++)
		fprintf(f, "  not understood    %llu bytes at %llu: %s\n",
			(unsigned long long)m->c.gaps[i].length,
			(unsigned long long)m->c.gaps[i].offset, m->c.gaps[i].hex);
	fputs("Headers:\n", f);
	kv(f, "Message-ID", m->im->hdr.message_id);
	kv(f, "Date", m->c.date_raw);
	kv(f, "From", m->c.from);
	kv(f, "Sender", m->c.sender);
	for (i = 0; i < m->c.to.n; i++)
		kv(f, "To", m->c.to.v[i]);
	for (i = 0; i < m->c.cc.n; i++)
		kv(f, "Cc", m->c.cc.v[i]);
	kv(f, "Subject", m->im->hdr.subject);
	if (m->c.x_priority)
		kv(f, "X-Priority", m->c.x_priority);
	for (i = 0; i < m->im->hdr.nreceived; i++) {
		const struct imcq_hop *h = &m->im->hdr.received[i];

		fprintf(f, "  Received[%zu]      from ", i);
		text_put(f, h->from, 80);
		fputs(" by ", f);
		text_put(f, h->by, 80);
		fputs(" with ", f);
		text_put(f, h->with, 40);
		fputs(" id ", f);
		text_put(f, h->id, 40);
		fputs(" at ", f);
		put_time(f, h->date);
		fputc('\n', f);
	}
	if (m->c.nparts) {
		fputs("MIME:\n", f);
		for (i = 0; i < m->c.nparts; i++) {
			const struct imcq_mime_part *p = &m->c.parts[i];

			fprintf(f, "  %-8s ", p->path ? p->path : "?");
			text_put(f, p->content_type, 60);
			if (p->filename) {
				fputs(" name=", f);
				text_put(f, p->filename, 80);
			}
			fprintf(f, " %llu bytes\n", (unsigned long long)p->size);
		}
	}
	fputs("Recipients:\n", f);
	for (i = 0; i < m->nrcpts; i++) {
		const struct imcq_rcpt *r = &m->rcpts[i];
		char *tmp;

		fputs("  ", f);
		text_put(f, r->address, 0);
		fprintf(f, "  [%s%s]\n", r->status ? r->status : "?",
			r->in_headers ? "" : ", not in To/Cc (Bcc)");
		if (rcpt_route(r)->known || rcpt_route(r)->rule) {
			fputs("    route: ", f);
			text_put(f, rcpt_route(r)->connector, 0);
			fputs(" via address space ", f);
			text_put(f, rcpt_route(r)->address_space, 0);
			if (rcpt_route(r)->cost >= 0)
				fprintf(f, " cost %d", rcpt_route(r)->cost);
			fputs(" (", f);
			text_put(f, route_rule(rcpt_route(r), r->address, &tmp), 0);
			free(tmp);
			fputs(")\n", f);
		}
		for (j = 0; j < r->ev.n && j < 8; j++) {
			fputs("    evidence: ", f);
			text_put(f, r->ev.v[j].member, 0);
			if (r->ev.v[j].line)
				fprintf(f, ":%llu", (unsigned long long)r->ev.v[j].line);
			fputs(" ", f);
			text_put(f, evidence_excerpt(rep->spill, &r->ev.v[j], &tb), 120);
			fputc('\n', f);
		}
	}
	message_findings_get(rep, m, &fl);
	if (fl.n) {
		fputs("Findings:\n", f);
		for (i = 0; i < fl.n; i++) {
			const struct imcq_finding *fd = &fl.v[i];

			fprintf(f, "  %-7s %s ", imcq_sev_name(fd->sev), fd->code);
			text_put(f, finding_message(rep->spill, fd, &tb), 0);
			if (fd->reference)
				fprintf(f, " [%s]", fd->reference);
			fputc('\n', f);
			if (fd->action) {
				fputs("          do: ", f);
				text_put(f, fd->action, 0);
				fputc('\n', f);
			}
		}
	}
	findlist_release(&fl);
	tbuf_release(&tb);
}

void
text_summary(FILE *f, const struct imcq_report *rep)
{
	struct summary s;
	size_t i, j, shown;
	struct imcq_tbuf tb = IMCQ_TBUF_INIT;	/* spilled texts (model.h) */

	summary_build(&s, rep);
	fprintf(f, "imcq: %zu input%s, %zu members, %zu messages; reference time ",
		rep->ninputs, rep->ninputs == 1 ? "" : "s", rep->ninv, rep->nmsgs);
	put_time(f, rep->reference_time);
	fprintf(f, " (%s)\n", rep->reference_source ? rep->reference_source : "unknown");
	if (rep->where_expr != NULL) {
		fprintf(f, "imcq: --where selected %zu of %zu messages: ", rep->nmsgs,
			rep->where_of);
		text_put(f, rep->where_expr, 0);
		fputc('\n', f);
	}
	if (rep->incident.headline) {
		fputs("\nWhat happened:\n  ", f);
		text_put(f, rep->incident.headline, 0);
		fputc('\n', f);
		for (i = 0; i < rep->incident.lines.n; i++) {
			fputs("  ", f);
			text_put(f, rep->incident.lines.v[i], 0);
			fputc('\n', f);
		}
	}
	fputs("\nMessages by state:\n", f);
	for (i = 1; i < IMCQ_ST_COUNT; i++)
		if (s.by_state[i])
			fprintf(f, "  %-20s %zu\n", imcq_state_name((enum imcq_state)i), s.by_state[i]);
	fputs("\nQueued messages by destination domain and age (minutes, qshape):\n", f);
	fprintf(f, "  %-28s %6s", "", "T");
	for (j = 0; j < SUMMARY_BUCKETS; j++)
		fprintf(f, " %5s", j + 1 < SUMMARY_BUCKETS ?
			summary_bucket_label(j) : "more");
	fputc('\n', f);
	fprintf(f, "  %-28s %6zu", "TOTAL", s.queued);
	for (j = 0; j < SUMMARY_BUCKETS; j++)
		fprintf(f, " %5zu", s.totals[j]);
	fputc('\n', f);
	for (i = 0; i < s.ndomains && i < 20; i++) {
		fputs("  ", f);
		fprintf(f, "%-28.28s", s.domains[i].domain);
		fprintf(f, " %6zu", s.domains[i].messages);
		for (j = 0; j < SUMMARY_BUCKETS; j++)
			fprintf(f, " %5zu", s.domains[i].buckets[j]);
		fputc('\n', f);
	}
	if (s.ndomains > 20)
		fprintf(f, "  (%zu more domains)\n", s.ndomains - 20);
	fputs("\nFindings:\n", f);
	shown = 0;
	for (i = 0; i < rep->findings.n && shown < 10; i++, shown++) {
		const struct imcq_finding *fd = &rep->findings.v[i];

		fprintf(f, "  %-7s %-20s ", imcq_sev_name(fd->sev), fd->code);
		text_put(f, finding_message(rep->spill, fd, &tb), 300);
		if (fd->reference)
			fprintf(f, " [%s]", fd->reference);
		fputc('\n', f);
		if (fd->action) {
			fputs("          do: ", f);
			text_put(f, fd->action, 300);
			fputc('\n', f);
		}
	}
	if (s.ncodes)
		fputs("\nFindings by code (on messages, and report-wide):\n", f);
	for (i = 0; i < s.ncodes; i++)
		fprintf(f, "  %-28s %zu\n", s.codes[i].code, s.codes[i].count);
	fputs("\nMore: imcq list (one line per message), imcq show INPUT... ID,\n"
	      "imcq analyze -o DIR (report.html, report.json, timeline.csv).\n", f);
	if (rep->nanoms)
		fprintf(f, "\n%zu anomalies (damaged or refused input); see report.json\n", rep->nanoms);
	if (rep->unreadable)
		fprintf(f, "%u members or inputs could not be read (exit code 1)\n", rep->unreadable);
	summary_release(&s);
	tbuf_release(&tb);
}
