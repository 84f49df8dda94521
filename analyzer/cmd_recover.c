/* SPDX-License-Identifier: MIT */
/*
 * cmd_recover.c - `imcq recover --to FORM --out DIR [options] INPUT...`:
 * write each selected message in a re-injection or mailbox form
 * (analyzer/recover.h) into a new or empty folder, with DIR/manifest.json
 * (reports/recovery_json.h) saying what was written, from which member,
 * for whom, and what was left out and why.
 *
 * Units: one output per (spool id, SHA-256 of the source member).  A
 * message with several sources whose bytes differ gives one output per
 * source; identical copies (an Out file and its Archive copy, the same
 * file in two snapshots) give one output, the others listed as
 * identical_sources.  Outputs follow the replay order (input, member),
 * so names and the mbox are the same for the same inputs.
 *
 * Left out: messages --where does not select, damaged ones, ones with no
 * source member (missing), and ones with no recipient left (every one
 * delivered per the evidence, or none usable) are listed under `skipped`.
 * eml, mbox and maildir carry no envelope: a message without any envelope
 * recipient is still written there (with a note), but one whose
 * recipients were all delivered is not, as a re-delivery would duplicate
 * it.  pickup and replay need a recipient (a Pickup file without
 * X-Receiver is delivered to its To/Cc headers, Q201314); replay also
 * needs a known sender.
 *
 * Safety: DIR must be new or empty (outdir.h; --force is refused: recover
 * never overwrites), must not lie inside an INPUT folder, and every name
 * comes from recover_safe_base(), created O_EXCL in outdir's temporary
 * sibling folder, which is renamed into place only when complete.  A
 * member whose bytes no longer match the analysed SHA-256 is not written.
 *
 * Exit: 0; 1 when a selected message could not be written or an input or
 * member was unreadable; 2 usage; 3 nothing written (DIR refused, disk
 * full: the temporary folder is removed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/cli.h"
#include "analyzer/core/hash.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/journal.h"
#include "analyzer/outdir.h"
#include "analyzer/recover.h"
#include "analyzer/where.h"
#include "reports/recovery_json.h"

const char *imcq_version(void);

/* What was decided for one message of the report. */
struct plan {
	bool write;			/* selected and writable */
	struct recover_pick *picks;
	size_t npicks, ninc;
	const char **inc;
	struct recovery_left *left;
	size_t nleft;
	const char *sender;		/* for the envelope: NULL = none */
	char *note;			/* a note for every output of the message */
	bool wrote;			/* an output or a failure was recorded */
};

struct run {
	struct cli *c;
	struct imcq_report *rep;
	enum recover_form form;
	struct outdir od;
	struct plan *plans;
	struct recover_msgidx byptr;	/* message -> index in rep->msgs */
	struct recovery_item *items;
	size_t nitems, itemcap;
	struct recover_map keys;	/* message key -> item */
	struct recover_names names;
	FILE *mbox;
	uint64_t mbox_off;
	char **maildir_files;		/* tmp paths, for cleanup */
	size_t nmd, mdcap;
	struct json_outfile *files;
	size_t nfiles, filecap;
	char **file_names;		/* owned names behind files[] */
	size_t nfn, fncap;
	unsigned failed;
	bool fatal;
	struct imcq_err err;
};

static struct recovery_item *
new_item(struct run *r, const struct imcq_message *m, enum recovery_status st)
{
	struct recovery_item it;

	memset(&it, 0, sizeof(it));
	it.status = st;
	it.spool_id = m->spool_id;
	it.state = imcq_state_name(m->state);
	it.reader = m->format;
	it.src.input = -1;
	it.mbox_offset = IMCQ_NOOFF;
	it.sender = m->im->env.mail_from;
	VEC_PUSH(r->items, r->nitems, r->itemcap, it);
	return &r->items[r->nitems - 1];
}

/* s's digest as hex, a string that lives as long as the report (its
 * pool): the items and their copies in `same` point at it */
static const char *
src_sha(struct run *r, const struct imcq_source *s)
{
	char sha[65];

	source_sha256_hex(r->rep, s, sha);
	return strpool_intern(&r->rep->pool, sha);
}

static void
item_src(struct run *r, struct recovery_item *it, const struct imcq_source *s)
{
	it->src.input = s->input;
	it->src.member = s->member;
	it->src.sha256 = src_sha(r, s);
	it->src.size = s->size;
}

static void
item_note(struct recovery_item *it, const char *note)
{
	it->notes = xreallocarray(it->notes, it->nnotes + 1, sizeof(*it->notes));
	it->notes[it->nnotes++] = xstrdup(note);
}

static void
item_rcpts(struct recovery_item *it, const struct plan *p)
{
	it->included = p->inc;
	it->nincluded = p->ninc;
	it->left = p->left;
	it->nleft = p->nleft;
}

static void
add_file(struct run *r, const char *name, const char sha[65], uint64_t size)
{
	struct json_outfile f;
	char *n = xstrdup(name);

	VEC_PUSH(r->file_names, r->nfn, r->fncap, n);
	memset(&f, 0, sizeof(f));
	f.name = n;
	memcpy(f.sha256, sha, 65);
	f.size = size;
	VEC_PUSH(r->files, r->nfiles, r->filecap, f);
}

/* Remove name from the outdir set after deleting its partial file. */
static void
forget_output(struct run *r, const char *name)
{
	char *p = outdir_tmp_path(&r->od, name);
	size_t i;

	unlink(p);
	free(p);
	for (i = 0; i < r->od.n; i++)
		if (strcmp(r->od.names[i], name) == 0) {
			free(r->od.names[i]);
			memmove(r->od.names + i, r->od.names + i + 1,
				(r->od.n - i - 1) * sizeof(*r->od.names));
			r->od.n--;
			break;
		}
}

/* Write one top-level file of the set (pickup, replay, eml). */
static int
write_top(struct run *r, const char *name, const struct buf *b, struct imcq_err *err)
{
	FILE *f = outdir_create(&r->od, name, err);
	int e = 0;

	if (f == NULL)
		return errno ? errno : EIO;
	if (fwrite(b->data, 1, b->len, f) != b->len || fflush(f) != 0 || ferror(f))
		e = errno ? errno : EIO;
	if (fclose(f) != 0 && e == 0)
		e = errno ? errno : EIO;
	if (e != 0) {
		imcq_err_set(err, IMCQ_FATAL, "cannot write '%s': %s", name, strerror(e));
		forget_output(r, name);
	}
	return e;
}

/* Write new/<name> of the Maildir. */
static int
write_maildir(struct run *r, const char *name, const struct buf *b, struct imcq_err *err)
{
	char *p = xasprintf("%s/new/%s", r->od.tmp, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	int e = 0;

	if (fd < 0) {
		e = errno;
		imcq_err_set(err, IMCQ_FATAL, "cannot create '%s': %s", p, strerror(e));
		free(p);
		return e;
	}
	if (journal_write_all(fd, b->data, b->len) != 0)
		e = errno ? errno : EIO;
	if (close(fd) != 0 && e == 0)
		e = errno ? errno : EIO;
	if (e != 0) {
		imcq_err_set(err, IMCQ_FATAL, "cannot write '%s': %s", p, strerror(e));
		unlink(p);
		free(p);
		return e;
	}
	VEC_PUSH(r->maildir_files, r->nmd, r->mdcap, p);
	return 0;
}

static void
fail_item(struct run *r, struct recovery_item *it, const char *why)
{
	it->status = RECOVERY_FAILED;
	item_note(it, why);
	it->reason = it->notes[it->nnotes - 1];
	r->failed++;
}

/* A write error that will hit every later file too ends the run. */
static bool
fatal_errno(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS;
}

/* After a write that gave errno e (0: success): record the failure on it,
 * and a disk that cannot take more as fatal for the run; true on failure. */
static bool
write_failed(struct run *r, struct recovery_item *it, int e,
	     const struct imcq_err *err)
{
	if (e == 0)
		return false;
	if (fatal_errno(e)) {
		r->fatal = true;
		r->err = *err;
	}
	fail_item(r, it, err->msg);
	return true;
}

static void
on_member(void *user, struct imcq_message *m, const struct imcq_source *src,
	  const unsigned char *data, size_t len)
{
	struct run *r = user;
	size_t idx = recover_msgidx_find(&r->byptr, m), prev;
	struct plan *p;
	struct recovery_item *it;
	char *key, sha[65];
	const char *src_hex;
	const unsigned char *body;
	size_t blen;
	struct buf b;
	struct imcq_err err = { 0 };
	char *name = NULL, *base;
	int rc;

	if (r->fatal || idx == SIZE_MAX || !r->plans[idx].write)
		return;
	p = &r->plans[idx];
	src_hex = src_sha(r, src);
	key = recover_key(m->spool_id, src_hex);
	if (recover_map_get(&r->keys, key, &prev)) {
		struct recovery_src s = { src->input, src->member, src_hex, src->size };

		VEC_PUSH(r->items[prev].same, r->items[prev].nsame, r->items[prev].samecap, s);
		p->wrote = true;	/* its bytes are in that output */
		free(key);
		return;
	}
	p->wrote = true;
	it = new_item(r, m, RECOVERY_WRITTEN);
	recover_map_put(&r->keys, key, r->nitems - 1);
	free(key);
	item_src(r, it, src);
	item_rcpts(it, p);
	if (p->note)
		item_note(it, p->note);
	if (recover_envelope_note(m))
		item_note(it, recover_envelope_note(m));
	if (recover_archive_note(m))
		item_note(it, recover_archive_note(m));
	sha256_hex(data, len, sha);
	if (strcmp(sha, src_hex) != 0) {
		fail_item(r, it, "the member's bytes changed since they were analysed (SHA-256 differs): not written");
		return;
	}
	if (!recover_body(m->format, src, data, len, &body, &blen)) {
		fail_item(r, it, "the RFC 822 part could not be located in the member");
		return;
	}
	buf_init(&b, recover_cap(blen, 64 + 512 * (p->ninc + 1) + (p->sender ? strlen(p->sender) : 0)));
	if (r->form == RF_MBOX)
		recover_mbox_from(&b, m->im->env.mail_from, m->queue_time);
	rc = recover_render(&b, r->form, p->sender, p->inc, p->ninc, body, blen);
	if (rc != IMCQ_OK) {
		buf_release(&b);
		fail_item(r, it, "the output would exceed its size cap");
		return;
	}
	base = recover_safe_base(m->spool_id);
	switch (r->form) {
	case RF_MBOX:
		if (fwrite(b.data, 1, b.len, r->mbox) != b.len) {
			r->fatal = true;
			imcq_err_set(&r->err, IMCQ_FATAL, "cannot write messages.mbox: %s",
				     strerror(errno));
			break;
		}
		it->output = "messages.mbox";
		it->mbox_offset = r->mbox_off;
		it->output_size = b.len;
		sha256_hex(b.data, b.len, it->output_sha256);
		r->mbox_off += b.len;
		break;
	case RF_MAILDIR: {
		char *prefix = xasprintf("%lld.%s", (long long)(m->queue_time == IMCQ_NOTIME ? 0 :
								 m->queue_time), base);
		char *rel;

		name = recover_names_take(&r->names, prefix, ".imcq");
		free(prefix);
		if (write_failed(r, it, write_maildir(r, name, &b, &err), &err))
			break;
		sha256_hex(b.data, b.len, it->output_sha256);
		rel = xasprintf("new/%s", name);
		add_file(r, rel, it->output_sha256, b.len);
		free(rel);
		it->output = r->file_names[r->nfn - 1];
		it->output_size = b.len;
		break;
	}
	case RF_PICKUP:
	case RF_REPLAY:
	case RF_EML:
	case RF_SMTP:
	case RF_COUNT:
	default: {
		name = recover_names_take(&r->names, base, ".eml");
		if (write_failed(r, it, write_top(r, name, &b, &err), &err))
			break;
		sha256_hex(b.data, b.len, it->output_sha256);
		add_file(r, name, it->output_sha256, b.len);
		it->output = r->file_names[r->nfn - 1];
		it->output_size = b.len;
		break;
	}
	}
	free(name);
	free(base);
	buf_release(&b);
}

/* Decide for message i: write it, or skip it with a reason. */
static void
plan_message(struct run *r, struct imcq_where *where, size_t i)
{
	struct imcq_message *m = r->rep->msgs[i];
	struct plan *p = &r->plans[i];
	struct recovery_item *it;
	const char *skip = NULL;
	char *why = NULL;
	size_t k, j = 0;

	p->picks = recover_pick_rcpts(m, r->c->include_delivered, &p->npicks, &p->ninc);
	p->inc = xcalloc(p->ninc + 1, sizeof(*p->inc));
	p->left = xcalloc(p->npicks + 1, sizeof(*p->left));
	for (k = 0; k < p->npicks; k++) {
		if (p->picks[k].reason == NULL) {
			p->inc[j++] = p->picks[k].address;
		} else {
			p->left[p->nleft].address = p->picks[k].address;
			p->left[p->nleft++].reason = p->picks[k].reason;
		}
	}
	p->sender = m->im->env.mail_from;
	if (p->sender != NULL && !recover_addr_ok(p->sender, true)) {
		p->note = xstrdup("envelope sender not usable (control bytes, white space or "
				  "angle brackets): no X-Sender line written");
		p->sender = NULL;
	} else if (p->sender == NULL && r->form == RF_PICKUP) {
		p->note = xstrdup("envelope sender not known: no X-Sender line (the Pickup then "
				  "takes the Sender or From header, Q201314)");
	}
	if (!cli_selected(r->rep, where, m))
		skip = "not selected by --where";
	else if (m->damaged)
		why = xasprintf("damaged: %s", m->damage ? m->damage : "unreadable");
	else if (m->nsources == 0)
		skip = "no source member in the evidence";
	else if (m->im->env.rcpt_dropped > 0)
		why = xasprintf("%llu envelope recipients beyond the --max-rcpts cap were not kept: "
				"rerun with a higher --max-rcpts",
				(unsigned long long)m->im->env.rcpt_dropped);
	else if (p->ninc == 0 && (recover_form_has_envelope(r->form) || p->npicks > 0))
		skip = p->npicks == 0 ? "no recipient: the envelope names none" :
		       "no recipient left (see recipients_left_out)";
	else if (r->form == RF_REPLAY && p->sender == NULL)
		skip = "envelope sender not known or not usable: the Replay directory needs X-Sender";
	if (skip == NULL && why == NULL) {
		p->write = true;
		if (p->npicks == 0 && p->note == NULL)
			p->note = xstrdup("no envelope recipient: written without one");
		return;
	}
	/* too many recipients to recover them all: a failure, not a choice */
	it = new_item(r, m, why != NULL && !m->damaged ? RECOVERY_FAILED : RECOVERY_SKIPPED);
	if (m->nsources)
		item_src(r, it, &m->sources[0]);
	item_rcpts(it, p);
	if (why != NULL) {
		item_note(it, why);
		it->reason = it->notes[0];
		free(why);
	} else {
		it->reason = skip;
	}
	if (it->status == RECOVERY_FAILED) {
		r->failed++;
		p->wrote = true;
	}
}

/*
 * Is the folder DIR would be created in (DIR itself when it exists, else
 * its parent) the folder (dev, ino) or below it?  Walks up with "/.."
 * (POSIX only, no realpath), so symbolic links are followed as the kernel
 * follows them.
 */
static bool
out_within(const char *out, dev_t dev, ino_t ino)
{
	struct stat st, up;
	char *cur;
	int depth;
	bool hit = false;

	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
		cur = xstrdup(out);
	} else {
		const char *slash = strrchr(out, '/');

		cur = slash == NULL ? xstrdup(".") :
		      slash == out ? xstrdup("/") : xstrndup(out, (size_t)(slash - out));
	}
	for (depth = 0; depth < 1024; depth++) {
		char *next;

		if (stat(cur, &st) != 0)
			break;
		if (st.st_dev == dev && st.st_ino == ino) {
			hit = true;
			break;
		}
		next = xasprintf("%s/..", cur);
		free(cur);
		cur = next;
		if (stat(cur, &up) != 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			/* the root: its ".." is itself */
			break;
		}
	}
	free(cur);
	return hit;
}

/* The INPUT folder DIR would be written into, or NULL. */
static const char *
out_inside_input(const struct cli *c)
{
	size_t i;
	size_t n = strlen(c->out_dir);
	char *out = xstrndup(c->out_dir, n);
	const char *hit = NULL;

	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	for (i = 0; i < c->nargs && hit == NULL; i++) {
		struct stat st;

		if (stat(c->args[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    out_within(out, st.st_dev, st.st_ino))
			hit = c->args[i];
	}
	free(out);
	return hit;
}

static void
release(struct run *r)
{
	size_t i, k;

	for (i = 0; i < r->nitems; i++) {
		for (k = 0; k < r->items[i].nnotes; k++)
			free(r->items[i].notes[k]);
		free(r->items[i].notes);
		free(r->items[i].same);
	}
	free(r->items);
	if (r->plans)
		for (i = 0; i < r->rep->nmsgs; i++) {
			recover_picks_free(r->plans[i].picks);
			free(r->plans[i].inc);
			free(r->plans[i].left);
			free(r->plans[i].note);
		}
	free(r->plans);
	recover_msgidx_release(&r->byptr);
	recover_map_release(&r->keys);
	recover_names_release(&r->names);
	for (i = 0; i < r->nmd; i++)
		free(r->maildir_files[i]);
	free(r->maildir_files);
	free(r->files);
	for (i = 0; i < r->nfn; i++)
		free(r->file_names[i]);
	free(r->file_names);
}

/* Remove what was written and the temporary folder. */
static void
abort_all(struct run *r)
{
	size_t i;

	if (r->mbox) {
		fclose(r->mbox);
		r->mbox = NULL;
	}
	for (i = 0; i < r->nmd; i++)
		unlink(r->maildir_files[i]);
	if (r->form == RF_MAILDIR) {
		static const char *const sub[3] = { "new", "cur", "tmp" };

		for (i = 0; i < 3; i++) {
			char *p = xasprintf("%s/%s", r->od.tmp, sub[i]);

			rmdir(p);
			free(p);
		}
	}
	outdir_abort(&r->od);
}

static int
prepare_set(struct run *r)
{
	if (r->form == RF_MBOX) {
		r->mbox = outdir_create(&r->od, "messages.mbox", &r->err);
		if (r->mbox == NULL)
			return -1;
	} else if (r->form == RF_MAILDIR) {
		static const char *const sub[3] = { "cur", "new", "tmp" };
		size_t i;

		for (i = 0; i < 3; i++) {
			char *p = xasprintf("%s/%s", r->od.tmp, sub[i]);

			if (mkdir(p, 0755) != 0) {
				imcq_err_set(&r->err, IMCQ_FATAL, "cannot create '%s': %s", p,
					     strerror(errno));
				free(p);
				return -1;
			}
			free(p);
			/* listed so that a file-by-file commit moves the folder */
			VEC_PUSH(r->od.names, r->od.n, r->od.cap, xstrdup(sub[i]));
		}
	} else {
		recover_names_add(&r->names, "manifest.json");
	}
	return 0;
}

static int
finish_mbox(struct run *r)
{
	char *p;
	char sha[65];
	uint64_t size;
	int bad;

	bad = fflush(r->mbox) != 0 || ferror(r->mbox);
	bad |= fclose(r->mbox) != 0;
	r->mbox = NULL;
	if (bad) {
		imcq_err_set(&r->err, IMCQ_FATAL, "cannot write messages.mbox: %s", strerror(errno));
		return -1;
	}
	p = outdir_tmp_path(&r->od, "messages.mbox");
	if (file_sha256(p, sha, &size) != 0) {
		imcq_err_set(&r->err, IMCQ_FATAL, "cannot read back '%s'", p);
		free(p);
		return -1;
	}
	free(p);
	add_file(r, "messages.mbox", sha, size);
	return 0;
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct json_outfile *)a)->name, ((const struct json_outfile *)b)->name);
}

static int
write_manifest(struct run *r)
{
	cJSON *doc;
	FILE *f;
	int bad;

	if (r->nfiles > 1)
		xqsort(r->files, r->nfiles, sizeof(*r->files), cmp_files);
	doc = recovery_manifest(r->rep, imcq_version(), recover_form_name(r->form),
				r->c->include_delivered, r->c->o.where, r->items, r->nitems,
				r->files, r->nfiles);
	f = outdir_create(&r->od, "manifest.json", &r->err);
	if (f == NULL) {
		cJSON_Delete(doc);
		return -1;
	}
	bad = json_fprint(f, doc, 1) != 0;
	bad |= fflush(f) != 0 || ferror(f);
	bad |= fclose(f) != 0;
	cJSON_Delete(doc);
	if (bad) {
		imcq_err_set(&r->err, IMCQ_FATAL, "cannot write manifest.json: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Order items by spool id (the report's order), then by source. */
static int
cmp_item(const void *a, const void *b)
{
	const struct recovery_item *x = a, *y = b;
	int c;

	c = strcmp(x->spool_id ? x->spool_id : "", y->spool_id ? y->spool_id : "");
	if (c)
		return c;
	if (x->src.input != y->src.input)
		return x->src.input < y->src.input ? -1 : 1;
	return strcmp(x->src.member ? x->src.member : "", y->src.member ? y->src.member : "");
}

int
cmd_recover(struct cli *c)
{
	struct imcq_report rep;
	struct imcq_where *where = NULL;
	struct run r;
	struct imcq_err err = { 0 };
	const char *inside;
	size_t i;
	int rc, form;

	memset(&r, 0, sizeof(r));
	if (c->to == NULL)
		return cli_usage_error(c, "--to FORMAT is required (pickup, replay, eml, mbox or maildir)");
	form = recover_form_parse(c->to);
	if (form < 0)
		return cli_usage_error(c, "--to takes pickup, replay, eml, mbox or maildir, not '%s'", c->to);
	if (c->out_dir == NULL || *c->out_dir == '\0')
		return cli_usage_error(c, "--out DIR is required");
	if (c->force)
		return cli_usage_error(c, "recover never overwrites and never writes into a non-empty "
				       "folder: --force does not apply (choose a new or empty --out DIR)");
	if (c->json)
		return cli_usage_error(c, "--json does not apply to recover: DIR/manifest.json is "
				       "its machine-readable account");
	rc = cli_analyze(c, &rep, &where);
	if (rc != EXIT_OK) {
		if (rc == EXIT_FATAL)
			report_release(&rep);
		where_free(where);
		return rc;
	}
	inside = out_inside_input(c);
	if (inside != NULL) {
		fprintf(stderr, "imcq: refusing to write into '%s': it is inside the input '%s' "
			"(recover never writes into its inputs)\n", c->out_dir, inside);
		where_free(where);
		report_release(&rep);
		return EXIT_FATAL;
	}
	r.c = c;
	r.rep = &rep;
	r.form = (enum recover_form)form;
	if (outdir_open_new(&r.od, c->out_dir, &err) != IMCQ_OK) {
		fprintf(stderr, "imcq: %s\n", err.msg);
		where_free(where);
		report_release(&rep);
		return EXIT_FATAL;
	}
	if (prepare_set(&r) != 0)
		goto fatal;
	r.plans = xcalloc(rep.nmsgs + 1, sizeof(*r.plans));
	recover_msgidx_build(&r.byptr, &rep);
	for (i = 0; i < rep.nmsgs; i++)
		plan_message(&r, where, i);
	if (pipeline_replay(&rep, &c->o, on_member, &r, &err) != IMCQ_OK) {
		imcq_err_set(&r.err, IMCQ_FATAL, "%s", err.msg);
		goto fatal;
	}
	if (r.fatal)
		goto fatal;
	for (i = 0; i < rep.nmsgs; i++) {
		struct recovery_item *it;

		if (!r.plans[i].write || r.plans[i].wrote)
			continue;
		it = new_item(&r, rep.msgs[i], RECOVERY_FAILED);
		item_src(&r, it, &rep.msgs[i]->sources[0]);
		item_rcpts(it, &r.plans[i]);
		item_note(it, "the member could not be read again (input changed or unreadable)");
		it->reason = it->notes[it->nnotes - 1];
		r.failed++;
	}
	if (r.nitems > 1)
		xqsort(r.items, r.nitems, sizeof(*r.items), cmp_item);
	if (r.form == RF_MBOX && finish_mbox(&r) != 0)
		goto fatal;
	if (write_manifest(&r) != 0)
		goto fatal;
	if (outdir_commit(&r.od, &r.err) != IMCQ_OK)
		goto fatal_committed;
	if (!c->o.quiet) {
		size_t w = 0, s = 0;

		for (i = 0; i < r.nitems; i++) {
			w += r.items[i].status == RECOVERY_WRITTEN;
			s += r.items[i].status == RECOVERY_SKIPPED;
		}
		fprintf(stderr, "imcq: recover --to %s: %zu written, %zu skipped, %u failed; "
			"see %s/manifest.json\n", recover_form_name(r.form), w, s, r.failed, c->out_dir);
		for (i = 0; i < r.nitems; i++)
			if (r.items[i].status == RECOVERY_FAILED)
				fprintf(stderr, "imcq: not written: %s (%s): %s\n",
					r.items[i].spool_id ? r.items[i].spool_id : "?",
					r.items[i].src.member ? r.items[i].src.member : "-",
					r.items[i].reason);
	}
	rc = cli_exit_code(&rep);
	if (r.failed > 0)
		rc = EXIT_PARTIAL;
	release(&r);
	where_free(where);
	report_release(&rep);
	return rc;
fatal:
	fprintf(stderr, "imcq: %s\n", r.err.msg[0] ? r.err.msg : "cannot write the output");
	abort_all(&r);
	fprintf(stderr, "imcq: nothing was written to %s\n", c->out_dir);
	release(&r);
	where_free(where);
	report_release(&rep);
	return EXIT_FATAL;
fatal_committed:
	fprintf(stderr, "imcq: %s\n", r.err.msg);
	release(&r);
	where_free(where);
	report_release(&rep);
	return EXIT_FATAL;
}
