/* SPDX-License-Identifier: MIT */
/* smtp.c - SMTP transactions over libcurl (see smtp.h). */
#include "analyzer/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"

/* Longest reply text kept (multi-line replies joined). */
#define SMTP_TEXT_MAX 1000

/* What the last command libcurl sent was, to pin the next reply on it. */
enum cmd { C_OTHER = 0, C_MAIL, C_RCPT, C_DATA, C_END };

struct trace {
	struct smtp_result *res;
	enum cmd cmd;
	size_t rcpt_seen;	/* RCPT commands sent so far */
	size_t cur_rcpt;
	struct buf text;	/* reply lines so far */
};

struct body {
	const char *p;
	size_t len, off;
};

struct smtp_client {
	CURL *curl;
	struct smtp_opts o;
	char errbuf[CURL_ERROR_SIZE];
	struct trace tr;
};

bool
smtp_url_ok(const char *url)
{
	size_t i;
	static const char *const schemes[] = { "smtp://", "smtps://" };

	if (url == NULL)
		return false;
	for (i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]), k;

		if (strlen(url) <= n)
			continue;
		for (k = 0; k < n; k++) {
			char c = url[k];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (c != schemes[i][k])
				break;
		}
		if (k == n)
			return true;
	}
	return false;
}

char *
smtp_url_display(const char *url)
{
	const char *s = strstr(url, "://");
	const char *at, *slash;

	if (s == NULL)
		return xstrdup(url);
	s += 3;
	slash = strchr(s, '/');
	at = strchr(s, '@');
	if (at != NULL && (slash == NULL || at < slash))
		return xasprintf("%.*s%s", (int)(s - url), url, at + 1);
	return xstrdup(url);
}

const char *
smtp_backend(void)
{
	return curl_version();
}

static void
reply_set(struct smtp_reply *r, int code, const char *text)
{
	free(r->text);
	r->code = code;
	r->text = xstrdup(text);
}

/* One reply line from the server: "250-text" (more follow) or "250 text". */
static void
reply_line(struct trace *t, const char *p, size_t n)
{
	struct smtp_result *res = t->res;
	int code;
	bool last;

	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n < 3 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return;
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	last = n == 3 || p[3] != '-';
	if (t->text.len > 0 && t->text.len < SMTP_TEXT_MAX)
		(void)buf_appendc(&t->text, ' ');
	if (n > 4 && t->text.len < SMTP_TEXT_MAX)
		(void)buf_append(&t->text, p + 4, n - 4 < SMTP_TEXT_MAX ? n - 4 : SMTP_TEXT_MAX);
	if (!last)
		return;
	switch (t->cmd) {
	case C_MAIL:
		reply_set(&res->mail, code, t->text.data);
		break;
	case C_RCPT:
		if (t->cur_rcpt < res->nrcpt)
			reply_set(&res->rcpt[t->cur_rcpt], code, t->text.data);
		break;
	case C_DATA:
		reply_set(&res->data, code, t->text.data);
		if (code == 354) {
			res->data_went = true;
			t->cmd = C_END;
			buf_reset(&t->text);
			return;
		}
		break;
	case C_END:
		reply_set(&res->final, code, t->text.data);
		break;
	case C_OTHER:
	default:
		break;
	}
	buf_reset(&t->text);
	t->cmd = C_OTHER;
}

static bool
starts(const char *p, size_t n, const char *word)
{
	size_t k = strlen(word), i;

	if (n < k)
		return false;
	for (i = 0; i < k; i++) {
		char c = p[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != word[i])
			return false;
	}
	return true;
}

static int
on_trace(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
	struct trace *t = user;
	size_t s, i;

	(void)h;
	if (t->res == NULL)
		return 0;
	if (type == CURLINFO_HEADER_OUT) {
		if (t->cmd == C_END && (size == 0 || data[0] == '.' || data[0] == '\r'))
			return 0;	/* the end of data, if libcurl traces it */
		buf_reset(&t->text);
		if (starts(data, size, "MAIL FROM:"))
			t->cmd = C_MAIL;
		else if (starts(data, size, "RCPT TO:")) {
			t->cmd = C_RCPT;
			t->cur_rcpt = t->rcpt_seen++;
		} else if (starts(data, size, "DATA"))
			t->cmd = C_DATA;
		else
			t->cmd = C_OTHER;
	} else if (type == CURLINFO_HEADER_IN) {
		for (s = 0, i = 0; i < size; i++)
			if (data[i] == '\n') {
				reply_line(t, data + s, i + 1 - s);
				s = i + 1;
			}
		if (s < size)
			reply_line(t, data + s, size - s);
	}
	return 0;
}

static size_t
on_read(char *out, size_t size, size_t nmemb, void *user)
{
	struct body *b = user;
	size_t room = size * nmemb;
	size_t n = b->len - b->off;

	if (n > room)
		n = room;
	memcpy(out, b->p + b->off, n);
	b->off += n;
	return n;
}

#define SETOPT(c, opt, val) do { \
	CURLcode rc_ = curl_easy_setopt((c)->curl, (opt), (val)); \
	if (rc_ != CURLE_OK) { \
		imcq_err_set(err, IMCQ_FATAL, "libcurl refused %s: %s", #opt, curl_easy_strerror(rc_)); \
		smtp_free(c); \
		return NULL; \
	} } while (0)

struct smtp_client *
smtp_new(const struct smtp_opts *o, struct imcq_err *err)
{
	struct smtp_client *c;

	if (!smtp_url_ok(o->url)) {
		imcq_err_set(err, IMCQ_FATAL, "not an smtp:// or smtps:// URL: '%s'", o->url);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		imcq_err_set(err, IMCQ_FATAL, "libcurl could not be initialised");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->o = *o;
	buf_init(&c->tr.text, SMTP_TEXT_MAX + 8);
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		imcq_err_set(err, IMCQ_FATAL, "libcurl could not be initialised");
		smtp_free(c);
		return NULL;
	}
	SETOPT(c, CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SETOPT(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SETOPT(c, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c, CURLOPT_ERRORBUFFER, c->errbuf);
	SETOPT(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout > 0 ? o->connect_timeout : 30L);
	SETOPT(c, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	       o->response_timeout > 0 ? o->response_timeout : 300L);
	SETOPT(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(c, CURLOPT_LOW_SPEED_TIME, o->response_timeout > 0 ? o->response_timeout : 300L);
	SETOPT(c, CURLOPT_UPLOAD, 1L);
	SETOPT(c, CURLOPT_READFUNCTION, on_read);
	SETOPT(c, CURLOPT_VERBOSE, 1L);		/* the trace, to on_trace only */
	SETOPT(c, CURLOPT_DEBUGFUNCTION, on_trace);
	SETOPT(c, CURLOPT_DEBUGDATA, &c->tr);
	SETOPT(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	if (o->starttls)
		SETOPT(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (o->insecure) {
		SETOPT(c, CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->user != NULL) {
		SETOPT(c, CURLOPT_USERNAME, o->user);
		SETOPT(c, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
	return c;
}

int
smtp_send(struct smtp_client *c, const char *from, const char *const *rcpts, size_t n,
	  const char *msg, size_t len, struct smtp_result *res)
{
	struct curl_slist *list = NULL;
	struct body b = { msg, len, 0 };
	CURLcode rc;
	size_t i;
	bool ok = true;

	memset(res, 0, sizeof(*res));
	res->rcpt = xcalloc(n ? n : 1, sizeof(*res->rcpt));
	res->nrcpt = n;
	for (i = 0; i < n && ok; i++) {
		struct curl_slist *nl = curl_slist_append(list, rcpts[i]);

		if (nl == NULL)
			ok = false;
		else
			list = nl;
	}
	if (!ok) {
		curl_slist_free_all(list);
		res->curl_code = CURLE_OUT_OF_MEMORY;
		res->error = xstrdup("out of memory building the recipient list");
		return IMCQ_WARN;
	}
	c->errbuf[0] = '\0';
	c->tr.res = res;
	c->tr.cmd = C_OTHER;
	c->tr.rcpt_seen = 0;
	c->tr.cur_rcpt = 0;
	buf_reset(&c->tr.text);
	/* an empty sender is the null reverse-path: libcurl sends MAIL
	 * FROM:<> when the option is unset */
	if (from == NULL || *from == '\0')
		rc = curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, (char *)NULL);
	else
		rc = curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, from);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, list);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_READDATA, &b);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	c->tr.res = NULL;
	res->curl_code = (int)rc;
	if (rc != CURLE_OK)
		res->error = xstrdup(c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	/* do not keep a pointer to the list or the body in the handle */
	(void)curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_READDATA, (void *)NULL);
	curl_slist_free_all(list);
	return rc == CURLE_OK ? IMCQ_OK : IMCQ_WARN;
}

static bool
is2xx(int code)
{
	return code >= 200 && code <= 299;
}

enum smtp_verdict
smtp_verdict(const struct smtp_result *res, size_t i, int *code, const char **text)
{
	const struct smtp_reply *r = i < res->nrcpt ? &res->rcpt[i] : NULL;
	const char *err = res->error ? res->error : "no reply";

	if (r != NULL && is2xx(r->code)) {
		if (is2xx(res->final.code)) {
			*code = res->final.code;
			*text = res->final.text ? res->final.text : "";
			return SMTP_ACCEPTED;
		}
		if (res->final.code != 0) {
			*code = res->final.code;
			*text = res->final.text ? res->final.text : "";
			return SMTP_REFUSED;
		}
		if (res->data_went) {
			*code = 0;
			*text = err;
			return SMTP_UNCERTAIN;
		}
		if (res->data.code != 0) {
			*code = res->data.code;
			*text = res->data.text ? res->data.text : "";
			return SMTP_REFUSED;
		}
		*code = 0;
		*text = err;
		return SMTP_REFUSED;
	}
	if (r != NULL && r->code != 0) {
		*code = r->code;
		*text = r->text ? r->text : "";
		return SMTP_REFUSED;
	}
	if (res->mail.code != 0 && !is2xx(res->mail.code)) {
		*code = res->mail.code;
		*text = res->mail.text ? res->mail.text : "";
		return SMTP_REFUSED;
	}
	*code = 0;
	*text = err;
	return SMTP_REFUSED;
}

void
smtp_result_release(struct smtp_result *res)
{
	size_t i;

	for (i = 0; i < res->nrcpt; i++)
		free(res->rcpt[i].text);
	free(res->rcpt);
	free(res->mail.text);
	free(res->data.text);
	free(res->final.text);
	free(res->error);
	memset(res, 0, sizeof(*res));
}

void
smtp_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	buf_release(&c->tr.text);
	free(c);
	curl_global_cleanup();
}
