/* SPDX-License-Identifier: MIT */
/*
 * journal.h - the reinject journal: an append-only text file that makes
 * `imcq reinject` safe to interrupt and to run again.
 *
 * Records, one per line, each written with a single write(2) and followed
 * by fsync(2) before the program goes on:
 *
 *	sending KEY RCPT at=TIME ~CRC             before the SMTP transaction
 *	result KEY RCPT CODE at=TIME TEXT ~CRC    after the server's answer
 *	uncertain KEY RCPT at=TIME TEXT ~CRC      the data went out, no answer came
 *
 * KEY is the message key (recover_key(): spool id "/" SHA-256 of the
 * source member, so a different message with the same spool id is a
 * different key); RCPT the envelope recipient; both percent-encoded
 * (bytes outside '!'..'~', '%' and '~' as %XX) so that they are single
 * tokens.  CODE is the SMTP reply code for this recipient (three digits;
 * 000 when no reply came at all).  TEXT is the reply text, control bytes
 * replaced by spaces.  CRC is the CRC-32 (IEEE) of the line up to the
 * " ~", as 8 hex digits: a line torn by a crash, or damaged, fails it.
 * Lines starting with '#' are comments.
 *
 * State of a (KEY, RCPT) pair after reading the journal:
 *   accepted   some result with a 2xx code (never sent again);
 *   uncertain  otherwise, when the last record is `sending` or
 *              `uncertain`: the server may have the message;
 *   refused    otherwise, when the last record is a result (4xx, 5xx or
 *              000): safe to try again;
 *   none       no record.
 *
 * Ownership: struct journal owns everything it holds; journal_close()
 * releases it.  A writer holds an fcntl write lock on the file, so two
 * runs cannot share a journal.  Diagnostics: opening, locking or writing
 * failures are IMCQ_FATAL with err set (the caller must stop sending: a
 * record it cannot write is a duplicate it cannot prevent); damaged lines
 * are counted and their line numbers kept (the first JOURNAL_MAX_DAMAGED),
 * never fatal.
 */
#ifndef IMCQ_JOURNAL_H
#define IMCQ_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/err.h"
#include "analyzer/recover.h"

#define JOURNAL_MAX_DAMAGED 100
#define JOURNAL_TEXT_MAX 400

enum journal_state { JS_NONE = 0, JS_ACCEPTED, JS_UNCERTAIN, JS_REFUSED };

struct journal_pair {
	enum journal_state st;
	int code;		/* of the deciding result; 0 none */
	char *text;		/* its text, or NULL */
	uint64_t line;		/* line of the deciding record */
};

struct journal {
	char *path;
	int fd;			/* -1 when opened read-only or missing */
	uint64_t lines;		/* lines read */
	uint64_t damaged;	/* lines that failed to parse or check */
	uint64_t damaged_line[JOURNAL_MAX_DAMAGED];
	struct recover_map index;	/* "KEY RCPT" -> pairs[] */
	struct journal_pair *pairs;
	size_t npairs, paircap;
};

/*
 * Read path into j.  With write, create the file when missing (mode
 * 0600, a comment header), lock it and keep it open for appending;
 * without, a missing file is an empty journal.  IMCQ_OK or IMCQ_FATAL.
 */
int journal_open(struct journal *j, const char *path, bool write, struct imcq_err *err);
/* The state of a pair (JS_NONE with code 0 when unknown). */
const struct journal_pair *journal_get(const struct journal *j, const char *key, const char *rcpt);
/* Append a record (and update the in-memory state).  IMCQ_OK or IMCQ_FATAL. */
int journal_sending(struct journal *j, const char *key, const char *rcpt, struct imcq_err *err);
int journal_result(struct journal *j, const char *key, const char *rcpt, int code,
		   const char *text, struct imcq_err *err);
int journal_uncertain(struct journal *j, const char *key, const char *rcpt,
		      const char *text, struct imcq_err *err);
/* Add a '#' comment line (run start, URL): IMCQ_OK or IMCQ_FATAL. */
int journal_comment(struct journal *j, const char *text, struct imcq_err *err);
void journal_close(struct journal *j);

/* CRC-32 (IEEE 802.3, as zlib) of p[0..n). */
uint32_t journal_crc32(const void *p, size_t n);
/* Parse one line (without its '\n') into the journal's state, as
 * journal_open does; false when it is damaged.  For tests. */
bool journal_feed_line(struct journal *j, const char *line, size_t len, uint64_t lineno);

/* write(2) all of p[0..n), going on after EINTR; 0, or -1 with errno set.
 * The journal's own writer, also used by `imcq recover` for its files. */
int journal_write_all(int fd, const void *p, size_t n);

#endif
