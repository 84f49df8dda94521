/* SPDX-License-Identifier: MIT */
/* test_recover.c - the re-injection forms byte for byte, recipient choice,
 * safe names, the reinject journal (records, torn lines, states) and the
 * per-recipient SMTP verdicts. */
#include "analyzer/journal.h"
#include "analyzer/recover.h"
#include "analyzer/smtp.h"
#include "analyzer/core/xalloc.h"
#include "tests/unit/test.h"

#include <stdlib.h>
#include <unistd.h>

/* Render p in form f and compare with want (byte for byte). */
static int
render_is(enum recover_form f, const char *sender, const char *const *r, size_t nr,
	  const char *p, size_t n, const char *want, size_t wn)
{
	struct buf b;
	int ok;

	buf_init(&b, recover_cap(n, 4096));
	ok = recover_render(&b, f, sender, r, nr, (const unsigned char *)p, n) == IMCQ_OK &&
	     b.len == wn && memcmp(b.data, want, wn) == 0;
	if (!ok)
		fprintf(stderr, "  got %zu bytes: [%.*s]\n", b.len, (int)b.len, b.data);
	buf_release(&b);
	return ok;
}

#define RENDER_IS(f, s, r, nr, in, want) \
	ASSERT(render_is((f), (s), (r), (nr), (in), sizeof(in) - 1, (want), sizeof(want) - 1))

TEST(test_recover_pickup)
{
	static const char *const r[] = { "bob@example.com", "carol@example.org" };

	/* LF, CR-only and CRLF ends all become CRLF; dot lines stuffed; final CRLF added */
	RENDER_IS(RF_PICKUP, "alice@example.net", r, 2,
		  "Subject: x\n\nline1\r.\r\n..two\n.",
		  "X-Sender: alice@example.net\r\nX-Receiver: bob@example.com\r\n"
		  "X-Receiver: carol@example.org\r\nSubject: x\r\n\r\nline1\r\n..\r\n...two\r\n..\r\n");
	/* the null sender keeps its brackets; no sender, no X-Sender line */
	RENDER_IS(RF_PICKUP, "", r, 1, "S: y\r\n\r\nb\r\n",
		  "X-Sender: <>\r\nX-Receiver: bob@example.com\r\nS: y\r\n\r\nb\r\n");
	RENDER_IS(RF_PICKUP, NULL, r, 1, "S: y\r\n\r\nb",
		  "X-Receiver: bob@example.com\r\nS: y\r\n\r\nb\r\n");
}

TEST(test_recover_replay)
{
	static const char *const r[] = { "bob@example.com" };

	RENDER_IS(RF_REPLAY, "alice@example.net", r, 1, "S: x\n\n.\nend",
		  "X-Sender: <alice@example.net>\r\nX-Receiver: <bob@example.com>\r\n"
		  "S: x\r\n\r\n.\r\nend\r\n");
}

TEST(test_recover_eml_smtp_maildir)
{
	RENDER_IS(RF_EML, NULL, NULL, 0, "S: x\n\n.\r\nno end", "S: x\n\n.\r\nno end");
	RENDER_IS(RF_SMTP, NULL, NULL, 0, "S: x\n\n.\rno end", "S: x\r\n\r\n.\r\nno end\r\n");
	RENDER_IS(RF_MAILDIR, NULL, NULL, 0, "S: x\r\n\r\nb\rc", "S: x\n\nb\nc\n");
	RENDER_IS(RF_SMTP, NULL, NULL, 0, "", "");
}

TEST(test_recover_mboxrd)
{
	struct buf b;

	RENDER_IS(RF_MBOX, NULL, NULL, 0, "S: x\r\n\r\nFrom me\r\n>From you\r\n>>From x\r\nFromage\r\n From z",
		  "S: x\n\n>From me\n>>From you\n>>>From x\nFromage\n From z\n\n");
	buf_init(&b, 4096);
	recover_mbox_from(&b, "a b@x\ty", 0);
	ASSERT_EQ_STR(b.data, "From a_b@x_y Thu Jan  1 00:00:00 1970\n");
	buf_reset(&b);
	recover_mbox_from(&b, "", 1795694400);	/* 2026-11-26 12:00:00 */
	ASSERT_EQ_STR(b.data, "From MAILER-DAEMON Thu Nov 26 12:00:00 2026\n");
	buf_reset(&b);
	recover_mbox_from(&b, NULL, IMCQ_NOTIME);
	ASSERT_EQ_STR(b.data, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n");
	buf_reset(&b);
	recover_mbox_from(&b, "x@y", -86400);
	ASSERT_EQ_STR(b.data, "From x@y Wed Dec 31 00:00:00 1969\n");
	buf_release(&b);
}

TEST(test_recover_safe_names)
{
	static const struct { const char *in, *out; } t[] = {
		{ "3SW32JRP", "3SW32JRP" },
		{ "../../evil", "_._.._evil" },
		{ "..", "_." },
		{ ".hidden", "_hidden" },
		{ "-rf", "_rf" },
		{ "my note.EML", "my_note" },
		{ "a/b\\c:d", "a_b_c_d" },
		{ "", "message" },
		{ "con", "_con" },
		{ "NUL.txt", "_NUL.txt" },
		{ "com1", "_com1" },
		{ "console", "console" },
		{ "\xc3\xa9t\xc3\xa9", "__t__" },
	};
	struct recover_names ns = { 0 };
	char *s;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = recover_safe_base(t[i].in);
		ASSERT_EQ_STR(s, t[i].out);
		ASSERT(strchr(s, '/') == NULL && s[0] != '.');
		free(s);
	}
	s = xmalloc(300);
	memset(s, 'A', 299);
	s[299] = '\0';
	{
		char *b = recover_safe_base(s);

		ASSERT_EQ_INT(strlen(b), RECOVER_NAME_MAX);
		free(b);
	}
	free(s);
	recover_names_add(&ns, "manifest.json");
	s = recover_names_take(&ns, "manifest", ".json");
	ASSERT_EQ_STR(s, "manifest-2.json");
	free(s);
	s = recover_names_take(&ns, "abc", ".eml");
	ASSERT_EQ_STR(s, "abc.eml");
	free(s);
	s = recover_names_take(&ns, "ABC", ".eml");	/* case-insensitive file systems */
	ASSERT_EQ_STR(s, "ABC-2.eml");
	free(s);
	s = recover_names_take(&ns, "abc", ".eml");
	ASSERT_EQ_STR(s, "abc-3.eml");
	free(s);
	for (i = 0; i < 2000; i++)
		free(recover_names_take(&ns, "many", ".eml"));
	s = recover_names_take(&ns, "many", ".eml");
	ASSERT_EQ_STR(s, "many-2001.eml");
	free(s);
	recover_names_release(&ns);
}

TEST(test_recover_pick)
{
	struct imcq_message *m = message_new();
	struct recover_pick *p;
	size_t n, inc;

	message_add_rcpt(m, "a@x.example");
	message_add_rcpt(m, "b@x.example");
	message_add_rcpt(m, "A@X.example");
	message_add_rcpt(m, "evil@x\r\nDATA");
	message_add_rcpt(m, "");
	m->rcpts[1].status = "delivered";
	p = recover_pick_rcpts(m, false, &n, &inc);
	ASSERT_EQ_INT(n, 5);
	ASSERT_EQ_INT(inc, 1);
	ASSERT(p[0].reason == NULL);
	ASSERT_EQ_STR(p[1].reason, RECOVER_WHY_DELIVERED);
	ASSERT_EQ_STR(p[2].reason, RECOVER_WHY_DUPLICATE);
	ASSERT_EQ_STR(p[3].reason, RECOVER_WHY_BADADDR);
	ASSERT_EQ_STR(p[4].reason, RECOVER_WHY_BADADDR);
	recover_picks_free(p);
	p = recover_pick_rcpts(m, true, &n, &inc);
	ASSERT_EQ_INT(inc, 2);
	ASSERT(p[1].reason == NULL);
	recover_picks_free(p);
	/* the whole message delivered per the evidence */
	m->state = IMCQ_ST_DELIVERED;
	p = recover_pick_rcpts(m, false, &n, &inc);
	ASSERT_EQ_INT(inc, 0);
	ASSERT_EQ_STR(p[0].reason, RECOVER_WHY_DELIVERED);
	recover_picks_free(p);
	message_free(m);
	/* no recipient records: the envelope list is used */
	m = message_new();
	strv_push(&m->im->env.rcpt_to, xstrdup("z@x.example"));
	p = recover_pick_rcpts(m, false, &n, &inc);
	ASSERT_EQ_INT(n, 1);
	ASSERT_EQ_INT(inc, 1);
	recover_picks_free(p);
	message_free(m);
	ASSERT(recover_addr_ok("", true));
	ASSERT(!recover_addr_ok("", false));
	ASSERT(!recover_addr_ok("a b@c", false));
	ASSERT(!recover_addr_ok("<a@b>", false));
	ASSERT(recover_addr_ok("\xc3\xa9@b", false));
}

TEST(test_recover_body)
{
	static const unsigned char spool[] = "\xf7ImCr\0<a@b>\0EwLsS: x\r\n\r\nb\r\n";
	struct imcq_source s = { 0 };
	const unsigned char *b;
	size_t n;

	s.body_offset = 0;
	ASSERT(recover_body("spool", &s, spool, sizeof(spool) - 1, &b, &n));
	ASSERT_EQ_INT(b - spool, 16);
	ASSERT(recover_body("pickup", &s, spool, sizeof(spool) - 1, &b, &n));
	ASSERT_EQ_INT(n, sizeof(spool) - 1);
	s.body_offset = 1000;
	ASSERT(!recover_body("spool", &s, spool, sizeof(spool) - 1, &b, &n));
}

static char *
tmp_journal(void)
{
	char *p = xstrdup("/tmp/imcq-test-journal.XXXXXX");
	int fd = mkstemp(p);

	if (fd >= 0)
		close(fd);
	unlink(p);
	return p;
}

TEST(test_recover_journal)
{
	struct journal j;
	struct imcq_err err = { 0 };
	char *path = tmp_journal();
	const struct journal_pair *jp;
	FILE *f;

	ASSERT_EQ_INT(journal_open(&j, path, true, &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_sending(&j, "ID one/abc", "a@x", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_result(&j, "ID one/abc", "a@x", 250, "2.0.0 ok\r\nqueued", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_sending(&j, "ID one/abc", "b@x", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_result(&j, "ID one/abc", "b@x", 550, "no", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_sending(&j, "ID one/abc", "c~%@x", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_sending(&j, "ID one/def", "d@x", &err), IMCQ_OK);
	ASSERT_EQ_INT(journal_uncertain(&j, "ID one/def", "d@x", "timeout", &err), IMCQ_OK);
	/* accepted is final, even if a later record says otherwise */
	ASSERT_EQ_INT(journal_sending(&j, "ID one/abc", "a@x", &err), IMCQ_OK);
	journal_close(&j);
	/* a torn last line, without its newline */
	f = fopen(path, "a");
	fputs("result ID%20one/abc c~%@x 25", f);
	fclose(f);
	ASSERT_EQ_INT(journal_open(&j, path, true, &err), IMCQ_OK);
	ASSERT_EQ_INT(j.damaged, 1);
	jp = journal_get(&j, "ID one/abc", "a@x");
	ASSERT_EQ_INT(jp->st, JS_ACCEPTED);
	ASSERT_EQ_INT(jp->code, 250);
	jp = journal_get(&j, "ID one/abc", "b@x");
	ASSERT_EQ_INT(jp->st, JS_REFUSED);
	ASSERT_EQ_INT(jp->code, 550);
	jp = journal_get(&j, "ID one/abc", "c~%@x");
	ASSERT_EQ_INT(jp->st, JS_UNCERTAIN);
	jp = journal_get(&j, "ID one/def", "d@x");
	ASSERT_EQ_INT(jp->st, JS_UNCERTAIN);
	jp = journal_get(&j, "ID one/xyz", "d@x");
	ASSERT_EQ_INT(jp->st, JS_NONE);
	/* appending after the torn line starts a fresh line */
	ASSERT_EQ_INT(journal_result(&j, "ID one/abc", "c~%@x", 250, "ok", &err), IMCQ_OK);
	journal_close(&j);
	ASSERT_EQ_INT(journal_open(&j, path, false, &err), IMCQ_OK);
	ASSERT_EQ_INT(j.damaged, 1);
	ASSERT_EQ_INT(journal_get(&j, "ID one/abc", "c~%@x")->st, JS_ACCEPTED);
	/* lines that fail their check */
	ASSERT(!journal_feed_line(&j, "sending a b at=x ~00000000", 26, 99));
	ASSERT(!journal_feed_line(&j, "garbage", 7, 100));
	ASSERT(journal_feed_line(&j, "# comment", 9, 101));
	ASSERT_EQ_INT(j.damaged, 3);
	journal_close(&j);
	unlink(path);
	free(path);
	ASSERT_EQ_INT(journal_crc32("123456789", 9), 0xCBF43926u);
}

TEST(test_recover_smtp_verdict)
{
	struct smtp_result r;
	int code;
	const char *text;

	memset(&r, 0, sizeof(r));
	r.rcpt = xcalloc(3, sizeof(*r.rcpt));
	r.nrcpt = 3;
	r.mail.code = 250;
	r.rcpt[0].code = 250;
	r.rcpt[1].code = 550;
	r.rcpt[1].text = xstrdup("no such user");
	r.rcpt[2].code = 0;	/* never asked: connection lost */
	r.data.code = 354;
	r.data_went = true;
	r.final.code = 250;
	r.final.text = xstrdup("queued");
	ASSERT_EQ_INT(smtp_verdict(&r, 0, &code, &text), SMTP_ACCEPTED);
	ASSERT_EQ_INT(code, 250);
	ASSERT_EQ_INT(smtp_verdict(&r, 1, &code, &text), SMTP_REFUSED);
	ASSERT_EQ_INT(code, 550);
	ASSERT_EQ_STR(text, "no such user");
	ASSERT_EQ_INT(smtp_verdict(&r, 2, &code, &text), SMTP_REFUSED);
	ASSERT_EQ_INT(code, 0);
	/* the data went out, no final reply: uncertain */
	r.final.code = 0;
	ASSERT_EQ_INT(smtp_verdict(&r, 0, &code, &text), SMTP_UNCERTAIN);
	/* DATA refused: not delivered */
	r.data_went = false;
	r.data.code = 554;
	ASSERT_EQ_INT(smtp_verdict(&r, 0, &code, &text), SMTP_REFUSED);
	ASSERT_EQ_INT(code, 554);
	/* MAIL FROM refused: every recipient refused with its code */
	r.mail.code = 553;
	r.rcpt[2].code = 0;
	ASSERT_EQ_INT(smtp_verdict(&r, 2, &code, &text), SMTP_REFUSED);
	ASSERT_EQ_INT(code, 553);
	smtp_result_release(&r);
	ASSERT(smtp_url_ok("smtp://127.0.0.1:2525"));
	ASSERT(smtp_url_ok("SMTPS://mail.example.com"));
	ASSERT(!smtp_url_ok("http://x"));
	ASSERT(!smtp_url_ok("smtp://"));
	ASSERT(!smtp_url_ok("file:///etc/passwd"));
	{
		char *d = smtp_url_display("smtp://user:secret@host:25/helo");

		ASSERT_EQ_STR(d, "smtp://host:25/helo");
		free(d);
	}
}

TEST_MAIN(test_recover_pickup, test_recover_replay, test_recover_eml_smtp_maildir,
	  test_recover_mboxrd, test_recover_safe_names, test_recover_pick, test_recover_body,
	  test_recover_journal, test_recover_smtp_verdict)
