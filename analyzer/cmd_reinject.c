/* SPDX-License-Identifier: MIT */
/*
 * cmd_reinject.c - `imcq reinject --smtp URL [options] INPUT...`: send
 * each selected message, with the envelope of its spool header (or its
 * X-Sender / X-Receiver lines), to a live SMTP server, journaled so that
 * a crash or a rerun neither loses nor silently duplicates a recipient.
 *
 * Units: a message key is the spool id plus the SHA-256 of the source
 * member (recover_key), so identical copies (an Out file and its Archive
 * copy, the same file in two snapshots) are one message, sent once, and
 * a different message that reuses a spool id is another.  Different
 * versions of one spool id are each sent, with a warning.
 *
 * For each key and each included recipient (recover_pick_rcpts: not
 * delivered per the evidence unless --include-delivered, not a duplicate,
 * a usable address), the journal (journal.h) decides:
 *   accepted earlier   skipped;
 *   uncertain          reported, sent again only with --resend-uncertain;
 *   refused or new     sent.
 * One SMTP transaction per message with all its recipients to send
 * (smtp.h); before it a `sending` record per recipient, after it a
 * `result` (or `uncertain`) record per recipient, each synced to disk.  A
 * crash between the two leaves `sending` without a result: at most the
 * message in flight is delivered twice, and only if the operator asks.
 * --rate N spaces transactions at least 1/N s apart; --dry-run reads the
 * journal but writes nothing and sends nothing.
 *
 * Output (stdout): one block per message, one line per recipient with
 * what happened, then a summary and the list of recipients not accepted.
 * Exit: 0 all accepted (now or earlier); 1 some recipient not accepted
 * (refused, uncertain, or its message could not be sent) or an input was
 * unreadable; 2 usage; 3 the journal cannot be opened or written (sending
 * stops at once), the SMTP client cannot start, or no input was readable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/cli.h"
#include "analyzer/core/buf.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/journal.h"
#include "analyzer/recover.h"
#include "analyzer/smtp.h"
#include "analyzer/where.h"

#define REINJECT_DEFAULT_JOURNAL "imcq-reinject.journal"
#define REINJECT_PASSWORD_MAX 4096

struct plan {
	bool send;		/* selected and sendable */
	const char *skip;	/* else why not (static or in why) */
	char *why;
	bool failure;		/* a skip that leaves recipients not accepted */
	struct recover_pick *picks;
	size_t npicks, ninc;
	bool handled;
};

/* One recipient not accepted, for the final list. */
struct miss {
	char *id;
	char *rcpt;
	char *what;
};

struct run {
	struct cli *c;
	struct imcq_report *rep;
	struct plan *plans;
	struct recover_msgidx byptr;	/* message -> index in rep->msgs */
	struct journal j;
	struct smtp_client *smtp;
	const char *sender_override;
	struct recover_map keys;	/* message keys handled this run */
	struct recover_map versions;	/* spool ids sent this run */
	struct timespec last;
	bool have_last;
	bool fatal;
	struct imcq_err err;
	/* counts */
	size_t messages, sent_now, accepted_now, accepted_before, refused, uncertain,
	       left_out, skipped_msgs;
	struct miss *miss;
	size_t nmiss, misscap;
};

static void
add_miss(struct run *r, const char *id, const char *rcpt, const char *fmt, ...) IMCQ_PRINTF(4, 5);

static void
add_miss(struct run *r, const char *id, const char *rcpt, const char *fmt, ...)
{
	struct miss m;
	va_list ap;
	char tmp[1024];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	m.id = xstrdup(id ? id : "?");
	m.rcpt = xstrdup(rcpt ? rcpt : "-");
	m.what = xstrdup(tmp);
	VEC_PUSH(r->miss, r->nmiss, r->misscap, m);
}

/* Printable form of evidence text: control bytes as '?'. */
static void
put_safe(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc(c < ' ' || c == 0x7f ? '?' : (int)c, f);
	}
}

static void
wait_rate(struct run *r)
{
	struct timespec now, due;
	double gap;

	if (r->c->rate <= 0)
		return;
	gap = 1.0 / r->c->rate;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->have_last) {
		double since = (double)(now.tv_sec - r->last.tv_sec) +
			       (double)(now.tv_nsec - r->last.tv_nsec) / 1e9;

		if (since < gap) {
			double left = gap - since;

			due.tv_sec = (time_t)left;
			due.tv_nsec = (long)((left - (double)due.tv_sec) * 1e9);
			while (nanosleep(&due, &due) != 0 && errno == EINTR)
				;
			clock_gettime(CLOCK_MONOTONIC, &now);
		}
	}
	r->last = now;
	r->have_last = true;
}

static const char *
verdict_word(enum smtp_verdict v)
{
	return v == SMTP_ACCEPTED ? "accepted" : v == SMTP_UNCERTAIN ? "UNCERTAIN" : "refused";
}

/* Send one message key to the recipients that need it. */
static void
send_key(struct run *r, struct imcq_message *m, const struct imcq_source *src,
	 const char *src_hex, struct plan *p, const char *key, const unsigned char *data,
	 size_t len)
{
	const char *from = r->sender_override ? r->sender_override : m->im->env.mail_from;
	const char **to = xcalloc(p->ninc + 1, sizeof(*to));
	size_t nto = 0, i;
	const unsigned char *body;
	size_t blen;
	char sha[65];
	FILE *o = stdout;

	put_safe(o, m->spool_id ? m->spool_id : "?");
	fputs(" (", o);
	put_safe(o, src->member ? src->member : "-");
	fprintf(o, ", sha256 %.12s): MAIL FROM:<", src_hex);
	put_safe(o, from);
	fputs(">\n", o);
	if (recover_envelope_note(m))
		fprintf(o, "  note       %s\n", recover_envelope_note(m));
	if (recover_archive_note(m))
		fprintf(o, "  note       %s\n", recover_archive_note(m));
	r->messages++;
	for (i = 0; i < p->npicks; i++) {
		const struct recover_pick *pk = &p->picks[i];
		const struct journal_pair *jp;

		if (pk->reason != NULL) {
			fputs("  left out   ", o);
			put_safe(o, pk->address);
			fprintf(o, ": %s\n", pk->reason);
			r->left_out++;
			continue;
		}
		jp = journal_get(&r->j, key, pk->address);
		if (jp->st == JS_ACCEPTED) {
			fputs("  done       ", o);
			put_safe(o, pk->address);
			fprintf(o, ": accepted in an earlier run (%03d, journal line %llu)\n",
				jp->code, (unsigned long long)jp->line);
			r->accepted_before++;
		} else if (jp->st == JS_UNCERTAIN && !r->c->resend_uncertain) {
			fputs("  UNCERTAIN  ", o);
			put_safe(o, pk->address);
			fprintf(o, ": sent in an earlier run without an answer (journal line %llu); "
				"not sent again (--resend-uncertain sends it)\n",
				(unsigned long long)jp->line);
			r->uncertain++;
			add_miss(r, m->spool_id, pk->address,
				 "uncertain: sent without an answer (journal line %llu)",
				 (unsigned long long)jp->line);
		} else {
			to[nto++] = pk->address;
		}
	}
	if (nto == 0) {
		free(to);
		return;
	}
	sha256_hex(data, len, sha);
	if (strcmp(sha, src_hex) != 0 ||
	    !recover_body(m->format, src, data, len, &body, &blen)) {
		for (i = 0; i < nto; i++) {
			fputs("  not sent   ", o);
			put_safe(o, to[i]);
			fputs(": the member changed since it was analysed, or its RFC 822 part "
			      "could not be located\n", o);
			add_miss(r, m->spool_id, to[i], "not sent: the member could not be used");
		}
		free(to);
		return;
	}
	if (r->c->dry_run) {
		for (i = 0; i < nto; i++) {
			fputs("  would send ", o);
			put_safe(o, to[i]);
			fprintf(o, " (%zu bytes)\n", blen);
		}
		r->sent_now += nto;
		free(to);
		return;
	}
	{
		struct buf msg;
		struct smtp_result res;

		buf_init(&msg, recover_cap(blen, 0));
		if (recover_render(&msg, RF_SMTP, NULL, NULL, 0, body, blen) != IMCQ_OK) {
			buf_release(&msg);
			for (i = 0; i < nto; i++)
				add_miss(r, m->spool_id, to[i], "not sent: message too large");
			free(to);
			return;
		}
		/* wait first: the window between `sending` and `result` is
		 * kept as short as the transaction itself */
		wait_rate(r);
		for (i = 0; i < nto; i++)
			if (journal_sending(&r->j, key, to[i], &r->err) != IMCQ_OK) {
				r->fatal = true;
				buf_release(&msg);
				free(to);
				return;
			}
		(void)smtp_send(r->smtp, from, to, nto, msg.data, msg.len, &res);
		buf_release(&msg);
		for (i = 0; i < nto && !r->fatal; i++) {
			int code;
			const char *text;
			enum smtp_verdict v = smtp_verdict(&res, i, &code, &text);
			int jr;

			if (v == SMTP_UNCERTAIN)
				jr = journal_uncertain(&r->j, key, to[i], text, &r->err);
			else
				jr = journal_result(&r->j, key, to[i], code, text, &r->err);
			if (jr != IMCQ_OK)
				r->fatal = true;
			fprintf(o, "  %-10s ", verdict_word(v));
			put_safe(o, to[i]);
			fprintf(o, ": %03d ", code);
			put_safe(o, text);
			fputc('\n', o);
			r->sent_now++;
			if (v == SMTP_ACCEPTED) {
				r->accepted_now++;
			} else if (v == SMTP_UNCERTAIN) {
				r->uncertain++;
				add_miss(r, m->spool_id, to[i], "uncertain: %s", text);
			} else {
				r->refused++;
				add_miss(r, m->spool_id, to[i], "refused: %03d %s", code, text);
			}
		}
		smtp_result_release(&res);
	}
	fflush(o);
	free(to);
}

static void
on_member(void *user, struct imcq_message *m, const struct imcq_source *src,
	  const unsigned char *data, size_t len)
{
	struct run *r = user;
	size_t idx = recover_msgidx_find(&r->byptr, m);
	struct plan *p;
	char *key, src_hex[65];

	if (r->fatal || idx == SIZE_MAX || !r->plans[idx].send)
		return;
	p = &r->plans[idx];
	p->handled = true;
	source_sha256_hex(r->rep, src, src_hex);
	key = recover_key(m->spool_id, src_hex);
	if (recover_map_get(&r->keys, key, NULL)) {
		free(key);	/* an identical copy: already handled */
		return;
	}
	recover_map_put(&r->keys, key, 0);
	if (recover_map_get(&r->versions, m->spool_id ? m->spool_id : "", NULL)) {
		fputs("warning: spool id ", stdout);
		put_safe(stdout, m->spool_id);
		fputs(" has several different versions in the evidence; this one (", stdout);
		put_safe(stdout, src->member);
		fputs(") is sent as a message of its own: DUPLICATE RISK (use --where to choose)\n",
		      stdout);
	} else {
		recover_map_put(&r->versions, m->spool_id ? m->spool_id : "", 0);
	}
	send_key(r, m, src, src_hex, p, key, data, len);
	free(key);
}

static void
plan_message(struct run *r, struct imcq_where *where, size_t i)
{
	struct imcq_message *m = r->rep->msgs[i];
	struct plan *p = &r->plans[i];
	const char *from = r->sender_override ? r->sender_override : m->im->env.mail_from;

	p->picks = recover_pick_rcpts(m, r->c->include_delivered, &p->npicks, &p->ninc);
	if (!cli_selected(r->rep, where, m)) {
		p->skip = NULL;		/* silently: not selected */
		return;
	}
	if (m->damaged) {
		p->why = xasprintf("damaged: %s", m->damage ? m->damage : "unreadable");
	} else if (m->nsources == 0) {
		p->skip = "no source member in the evidence";
	} else if (m->im->env.rcpt_dropped > 0) {
		p->why = xasprintf("%llu envelope recipients beyond the --max-rcpts cap were not "
				   "kept: rerun with a higher --max-rcpts",
				   (unsigned long long)m->im->env.rcpt_dropped);
		p->failure = true;
	} else if (from == NULL) {
		p->skip = "envelope sender not known (give one with --mail-from)";
		p->failure = p->ninc > 0;
	} else if (!recover_addr_ok(from, true)) {
		p->skip = "envelope sender not usable (control bytes, white space or angle brackets; "
			  "give one with --mail-from)";
		p->failure = p->ninc > 0;
	} else if (p->ninc == 0) {
		p->skip = p->npicks == 0 ? "no envelope recipient" : "no recipient left";
	} else {
		p->send = true;
		return;
	}
	if (p->why == NULL)
		p->why = xstrdup(p->skip);
}

static int
read_password(const char *path, char **out, struct imcq_err *err)
{
	FILE *f = fopen(path, "r");
	char buf[REINJECT_PASSWORD_MAX + 2];
	size_t n;

	if (f == NULL)
		return imcq_err_set(err, IMCQ_FATAL, "cannot read --password-file '%s': %s", path,
				    strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n > REINJECT_PASSWORD_MAX)
		return imcq_err_set(err, IMCQ_FATAL, "--password-file '%s' is too long", path);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");	/* the first line */
	buf[n] = '\0';
	*out = xstrdup(buf);
	memset(buf, 0, sizeof(buf));
	return IMCQ_OK;
}

static void
release(struct run *r)
{
	size_t i;

	if (r->plans)
		for (i = 0; i < r->rep->nmsgs; i++) {
			recover_picks_free(r->plans[i].picks);
			free(r->plans[i].why);
		}
	free(r->plans);
	recover_msgidx_release(&r->byptr);
	recover_map_release(&r->keys);
	recover_map_release(&r->versions);
	for (i = 0; i < r->nmiss; i++) {
		free(r->miss[i].id);
		free(r->miss[i].rcpt);
		free(r->miss[i].what);
	}
	free(r->miss);
	journal_close(&r->j);
	smtp_free(r->smtp);
}

static int
check_options(struct cli *c)
{
	if (c->smtp_url == NULL)
		return cli_usage_error(c, "--smtp URL is required (smtp://HOST:PORT or smtps://HOST:PORT)");
	if (!smtp_url_ok(c->smtp_url))
		return cli_usage_error(c, "--smtp takes an smtp:// or smtps:// URL, not '%s'",
				       c->smtp_url);
	if (c->json)
		return cli_usage_error(c, "--json does not apply to reinject: the journal is its "
				       "machine-readable account");
	if (c->rate != c->rate || c->rate < 0 || c->rate > 1e6)
		return cli_usage_error(c, "--rate takes a number of messages per second");
	if (c->password_file != NULL && c->user == NULL)
		return cli_usage_error(c, "--password-file needs --user");
	if (c->user != NULL && c->password_file == NULL)
		return cli_usage_error(c, "--user needs --password-file (passwords are never taken "
				       "on the command line)");
	if (c->mail_from_override != NULL && !recover_addr_ok(c->mail_from_override, true))
		return cli_usage_error(c, "--mail-from: not a usable address: '%s'",
				       c->mail_from_override);
	return EXIT_OK;
}

static void
report_journal(const struct run *r)
{
	uint64_t i, n = r->j.damaged < JOURNAL_MAX_DAMAGED ? r->j.damaged : JOURNAL_MAX_DAMAGED;

	if (r->j.damaged == 0)
		return;
	fprintf(stderr, "imcq: journal %s: %llu damaged line%s ignored (a write torn by a crash?): "
		"line", r->j.path, (unsigned long long)r->j.damaged, r->j.damaged == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s %llu", i ? "," : "", (unsigned long long)r->j.damaged_line[i]);
	fprintf(stderr, "%s\n", r->j.damaged > n ? ", ..." : "");
}

static void
summary(struct run *r)
{
	size_t i;
	FILE *o = stdout;

	fprintf(o, "\nreinject%s: %zu message%s; recipients: %zu %s now, %zu accepted earlier, "
		"%zu refused, %zu uncertain, %zu left out\n",
		r->c->dry_run ? " (dry run, nothing sent)" : "", r->messages,
		r->messages == 1 ? "" : "s",
		r->c->dry_run ? r->sent_now : r->accepted_now,
		r->c->dry_run ? "to send" : "accepted",
		r->accepted_before, r->refused, r->uncertain, r->left_out);
	if (r->skipped_msgs)
		fprintf(o, "%zu selected message%s not sent (see 'skip' lines)\n", r->skipped_msgs,
			r->skipped_msgs == 1 ? "" : "s");
	if (r->nmiss == 0)
		return;
	fprintf(o, "not accepted (%zu):\n", r->nmiss);
	for (i = 0; i < r->nmiss; i++) {
		fputs("  ", o);
		put_safe(o, r->miss[i].id);
		fputc(' ', o);
		put_safe(o, r->miss[i].rcpt);
		fputs(": ", o);
		put_safe(o, r->miss[i].what);
		fputc('\n', o);
	}
}

int
cmd_reinject(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where = NULL;
	struct run r;
	struct imcq_err err = { 0 };
	struct smtp_opts so;
	char *password = NULL;
	const char *jpath = c->journal ? c->journal : REINJECT_DEFAULT_JOURNAL;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.j.fd = -1;
	rc = check_options(c);
	if (rc != EXIT_OK)
		return rc;
	rc = cli_analyze(c, &rep, &where);
	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		where_free(where);
		return rc;
	}
	r.c = c;
	r.rep = &rep;
	r.sender_override = c->mail_from_override;
	if (journal_open(&r.j, jpath, !c->dry_run, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		goto fatal;
	}
	report_journal(&r);
	if (!c->dry_run) {
		char *shown = smtp_url_display(c->smtp_url);
		char *note;

		if (c->password_file && read_password(c->password_file, &password, &err) != IMCQ_OK) {
			free(shown);
			fprintf(stderr, "imcq: %s\n", err.msg);
			goto fatal;
		}
		memset(&so, 0, sizeof(so));
		so.url = c->smtp_url;
		so.user = c->user;
		so.password = password;
		so.starttls = c->starttls;
		so.insecure = c->insecure;
		so.connect_timeout = 30;
		so.response_timeout = 300;
		r.smtp = smtp_new(&so, &err);
		if (password) {
			memset(password, 0, strlen(password));
			free(password);
		}
		if (r.smtp == NULL) {
			free(shown);
			fprintf(stderr, "imcq: %s\n", err.msg);
			goto fatal;
		}
		{
			char when[32];

			imcq_iso((int64_t)time(NULL), when);
			note = xasprintf("run %s to %s%s", when, shown,
					 c->resend_uncertain ? " --resend-uncertain" : "");
		}
		free(shown);
		if (journal_comment(&r.j, note, &err) != IMCQ_OK) {
			free(note);
			fprintf(stderr, "imcq: %s\n", err.msg);
			goto fatal;
		}
		free(note);
	}
	r.plans = xcalloc(rep.nmsgs + 1, sizeof(*r.plans));
	recover_msgidx_build(&r.byptr, &rep);
	for (i = 0; i < rep.nmsgs; i++) {
		struct plan *p = &r.plans[i];
		struct imcq_message *m = rep.msgs[i];

		plan_message(&r, where, i);
		if (p->why == NULL)
			continue;
		r.skipped_msgs++;
		fputs("skip ", stdout);
		put_safe(stdout, m->spool_id);
		fputs(": ", stdout);
		put_safe(stdout, p->why);
		fputc('\n', stdout);
		if (p->failure) {
			size_t k;

			for (k = 0; k < p->npicks; k++)
				if (p->picks[k].reason == NULL)
					add_miss(&r, m->spool_id, p->picks[k].address, "not sent: %s",
						 p->why);
		}
	}
	if (pipeline_replay(&rep, &c->o, on_member, &r, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		goto fatal;
	}
	if (r.fatal) {
		fprintf(stderr, "imcq: %s\nimcq: stopped: nothing more is sent without a journal\n",
			r.err.msg);
		summary(&r);
		goto fatal;
	}
	for (i = 0; i < rep.nmsgs; i++) {
		struct plan *p = &r.plans[i];
		size_t k;

		if (!p->send || p->handled)
			continue;
		for (k = 0; k < p->npicks; k++)
			if (p->picks[k].reason == NULL)
				add_miss(&r, rep.msgs[i]->spool_id, p->picks[k].address,
					 "not sent: the member could not be read again");
	}
	summary(&r);
	rc = cli_exit_code(&rep);
	if (r.nmiss > 0) {
		rc = EXIT_PARTIAL;
		fprintf(stderr, "imcq: %zu recipient%s not accepted (listed above)\n", r.nmiss,
			r.nmiss == 1 ? "" : "s");
	}
	release(&r);
	where_free(where);
	report_release(&rep);
	return rc;
fatal:
	release(&r);
	where_free(where);
	report_release(&rep);
	return EXIT_FATAL;
}
