/* SPDX-License-Identifier: MIT */
/*
 * smtp.h - one SMTP client for `imcq reinject`, over libcurl.  smtp.c is
 * the only file that includes <curl/curl.h>.
 *
 * One smtp_send() is one SMTP transaction: MAIL FROM with the envelope
 * sender ("" is the null sender, sent as MAIL FROM:<>), one RCPT TO per
 * recipient, DATA with the message.  libcurl keeps the connection open
 * between transactions, does the dot-stuffing of the DATA stream and adds
 * the final "." line; the caller hands over the message with CRLF line
 * ends (recover_render(RF_SMTP)) and 8-bit bytes as they are.
 *
 * Per-recipient replies: CURLOPT_MAIL_RCPT_ALLLOWFAILS lets the
 * transaction go on when some recipients are refused, and the replies are
 * read from libcurl's protocol trace (CURLOPT_DEBUGFUNCTION, CURLINFO_
 * HEADER_OUT / HEADER_IN): each command libcurl sends is matched with the
 * final line of the reply that follows it (libcurl does not pipeline SMTP
 * commands).  So one transaction per message, with one reply per
 * recipient, rather than one transaction per recipient.
 *
 * Verdict per recipient (smtp_verdict):
 *   accepted   its RCPT got 2xx and the end of data got 2xx;
 *   refused    its RCPT, MAIL FROM, DATA or the end of data got a 4xx/5xx,
 *              or the transaction broke before the message data went out
 *              (code 0: could not connect, TLS failure...): not delivered;
 *   uncertain  the server answered DATA with 354 and the message went out,
 *              but no reply to the end of data came (connection lost,
 *              timeout): the server may or may not have taken it.
 *
 * Options: smtp:// and smtps:// only (other schemes are refused before
 * anything is sent); starttls requires STARTTLS (CURLUSESSL_ALL);
 * insecure skips certificate checks; user + password enable AUTH.
 * Bounded: connect time-out, server response time-out and a low-speed
 * limit, so nothing hangs.
 *
 * Ownership: smtp_new() returns a client the caller frees with
 * smtp_free(); a struct smtp_result is filled by smtp_send() and released
 * with smtp_result_release().  Diagnostics: smtp_new() fails (NULL, err
 * set) when libcurl cannot be initialised or rejects an option; a failed
 * transaction is not an error of smtp_send(): it is in the result.
 */
#ifndef IMCQ_SMTP_H
#define IMCQ_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/core/err.h"

struct smtp_opts {
	const char *url;		/* smtp://host:port[/helo-name] or smtps:// */
	const char *user;		/* NULL: no AUTH */
	const char *password;
	bool starttls;
	bool insecure;
	long connect_timeout;		/* seconds */
	long response_timeout;		/* seconds per reply */
};

struct smtp_reply {
	int code;			/* 0: no reply */
	char *text;			/* the reply lines after the code, joined */
};

struct smtp_result {
	struct smtp_reply mail;
	struct smtp_reply *rcpt;	/* one per recipient given */
	size_t nrcpt;
	struct smtp_reply data;		/* the reply to DATA (354) */
	struct smtp_reply final;	/* the reply to the end of data */
	bool data_went;			/* 354 received: the message was sent */
	int curl_code;			/* CURLcode of the transfer */
	char *error;			/* libcurl's error text, or NULL */
};

enum smtp_verdict { SMTP_ACCEPTED = 0, SMTP_REFUSED, SMTP_UNCERTAIN };

/* Is url an smtp:// or smtps:// URL (scheme case-insensitive)? */
bool smtp_url_ok(const char *url);
/* url without any user:password@ part, for messages (fresh string). */
char *smtp_url_display(const char *url);

struct smtp_client;
struct smtp_client *smtp_new(const struct smtp_opts *o, struct imcq_err *err);
/*
 * One transaction.  from: "" for the null sender.  rcpts: n addresses
 * without angle brackets.  msg: the message, CRLF line ends.  Fills *res
 * (always; release it).  Returns IMCQ_OK when the transaction completed
 * (whatever the replies), IMCQ_WARN when it broke off (res says how far
 * it went).
 */
int smtp_send(struct smtp_client *c, const char *from, const char *const *rcpts, size_t n,
	      const char *msg, size_t len, struct smtp_result *res);
/* The verdict for recipient i, with the code and text to record (text
 * points into res or is static). */
enum smtp_verdict smtp_verdict(const struct smtp_result *res, size_t i, int *code,
			       const char **text);
void smtp_result_release(struct smtp_result *res);
void smtp_free(struct smtp_client *c);
/* libcurl's version string, for the journal. */
const char *smtp_backend(void);

#endif
