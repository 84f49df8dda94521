/* SPDX-License-Identifier: MIT */
/*
 * recover.h - turning a recovered message into bytes for re-injection:
 * the writers behind `imcq recover --to pickup|replay|eml|mbox|maildir`
 * and the body `imcq reinject` sends, the choice of recipients, and the
 * safe naming of output files.  No I/O happens here: every writer appends
 * to a struct buf (analyzer/core/buf.h), so the same code serves files,
 * SMTP and the unit tests.
 *
 * Forms (DOMAIN.md §7, PRODUCT.md "Recovery"):
 *   pickup   X-Sender / X-Receiver lines first (Q201314), then the RFC 822
 *            part with CRLF line ends (LF-only and CR-only ends normalised),
 *            every line that starts with '.' dot-stuffed (a lone "." line
 *            truncates the message in the IMS and IIS Pickup, Q221384), and
 *            a final CRLF added when missing (Q146993).  Addresses are
 *            written bare ("x-sender: user@host", the KB's form), the null
 *            sender as "<>".
 *   replay   the same envelope lines with angle brackets (the Exchange
 *            2007+ Replay form), CRLF, NO dot-stuffing (Replay reads the
 *            file, not an SMTP stream; [U] whether it un-stuffs).
 *   eml      the RFC 822 part byte for byte as stored.
 *   mbox     mboxrd: "From <sender or MAILER-DAEMON> <asctime, UTC>", the
 *            message with LF line ends, every line matching ^>*From  given
 *            one more '>', a final LF and one empty line after it.
 *   maildir  the message with LF line ends and a final LF (the Maildir
 *            convention), one file per message in new/.
 *   smtp     CRLF line ends and a final CRLF, no dot-stuffing: libcurl
 *            stuffs the DATA stream itself.
 *
 * Recipients: recover_pick_rcpts() decides per envelope recipient whether
 * it is included, and if not why: "delivered per the evidence" (status
 * "delivered", or the whole message in state delivered) unless
 * include_delivered; "duplicate recipient" (the same address, ignoring
 * case, earlier in the list); "address not usable" (empty, or holding
 * control bytes, white space or angle brackets: such a value would inject
 * lines into a pickup file or commands into SMTP).
 *
 * Ownership: every function that returns a pointer returns a fresh heap
 * object the caller frees (recover_picks_free for the pick list).  Out of
 * memory ends the program (xalloc).  Nothing here fails otherwise: the
 * buffers are created with a cap the callers size from the input.
 */
#ifndef IMCQ_RECOVER_H
#define IMCQ_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/model.h"

enum recover_form {
	RF_PICKUP = 0, RF_REPLAY, RF_EML, RF_MBOX, RF_MAILDIR, RF_SMTP, RF_COUNT
};

/* "pickup", "replay", "eml", "mbox", "maildir" -> form; -1 otherwise
 * (RF_SMTP is internal and has no name). */
int recover_form_parse(const char *s);
const char *recover_form_name(enum recover_form f);
/* Does the form carry the envelope (X-Sender / X-Receiver)? */
bool recover_form_has_envelope(enum recover_form f);

/* Largest output recover_render() can make from len input bytes and an
 * envelope of env_bytes: the cap to give its buffer. */
size_t recover_cap(size_t len, size_t env_bytes);

/*
 * Append the form f of the RFC 822 part p[0..n) to out.  For pickup and
 * replay the envelope lines come first: sender (NULL: no X-Sender line;
 * "" the null sender) and the included recipients.  For mbox the caller
 * writes the From line first (recover_mbox_from).  Returns IMCQ_OK, or
 * IMCQ_WARN when out's cap was reached (nothing usable was written).
 */
int recover_render(struct buf *out, enum recover_form f, const char *sender,
		   const char *const *rcpts, size_t nrcpts,
		   const unsigned char *p, size_t n);

/* The mboxrd separator line, "From SENDER Www Mmm dd hh:mm:ss yyyy\n":
 * SENDER is the envelope sender with white space and control bytes
 * replaced by '_', or MAILER-DAEMON for the null or unknown sender; the
 * time is t in UTC (the epoch when t is IMCQ_NOTIME). */
void recover_mbox_from(struct buf *out, const char *sender, int64_t t);

/* asctime() layout of t in UTC without the newline, into out[25]. */
void recover_asctime(int64_t t, char out[32]);

/* Is a usable as an envelope address (see above)?  The null sender ""
 * is usable as a sender only: allow_empty. */
bool recover_addr_ok(const char *a, bool allow_empty);

/* Warnings to attach to a recovered message, or NULL: its envelope was
 * derived from the headers (no spool envelope, no X- lines); it is an
 * Archive copy (outbound: archived before sending; inbound: archived after
 * the hand-off to the store, DOMAIN.md §2.2), so possibly delivered. */
const char *recover_envelope_note(const struct imcq_message *m);
const char *recover_archive_note(const struct imcq_message *m);

/* One recipient decision. */
struct recover_pick {
	const char *address;	/* points into the message */
	const char *reason;	/* NULL: included; else why it was left out (static) */
};

#define RECOVER_WHY_DELIVERED "delivered per the evidence"
#define RECOVER_WHY_DUPLICATE "duplicate recipient"
#define RECOVER_WHY_BADADDR "address not usable (empty, control bytes, white space or angle brackets)"

/* Decide for each envelope recipient of m (m->rcpts, or env.rcpt_to when
 * the message has no recipient records); *n gets the count; returns the
 * array (free with recover_picks_free) and *included the number kept. */
struct recover_pick *recover_pick_rcpts(const struct imcq_message *m, bool include_delivered,
					size_t *n, size_t *included);
void recover_picks_free(struct recover_pick *p);

/*
 * Output names.  recover_safe_base() maps an id from the evidence (a spool
 * id, or a pickup file name that may hold anything) to at most
 * RECOVER_NAME_MAX bytes of [A-Za-z0-9._-]: other bytes become '_', a
 * leading '.' or '-' becomes '_', a trailing ".eml" is dropped, Windows
 * device names (CON, NUL, COM1...) get a '_' prefix, and an empty result
 * becomes "message".  The result never contains '/', never is "." or "..",
 * never starts with '.'.
 */
#define RECOVER_NAME_MAX 100
char *recover_safe_base(const char *id);

/* A set of names already used in one folder, compared ignoring ASCII
 * case (the output may land on a case-insensitive file system). */
struct recover_names {
	char **v;		/* the names, in the order taken */
	size_t n, cap;
	void *index;		/* private: a hash set over v */
};
/* Reserve and return (fresh) prefix+suffix, or prefix-2+suffix,
 * prefix-3+suffix... whichever is free first; deterministic for a
 * deterministic call order. */
char *recover_names_take(struct recover_names *ns, const char *prefix, const char *suffix);
/* Mark name as used. */
void recover_names_add(struct recover_names *ns, const char *name);
void recover_names_release(struct recover_names *ns);

/* A map from strings (compared exactly) to indices, for message keys and
 * journal pairs.  Keys are copied. */
struct recover_map {
	char **keys;
	size_t *vals;
	size_t cap, n;
};
bool recover_map_get(const struct recover_map *m, const char *key, size_t *val);
void recover_map_put(struct recover_map *m, const char *key, size_t val);
void recover_map_release(struct recover_map *m);

/* The message key of reinject and recover: the spool id and the SHA-256
 * of the source member, "ID/SHA256"; fresh string. */
char *recover_key(const char *spool_id, const char *sha256);

/*
 * The RFC 822 part of a member: data + src->body_offset, checked against
 * len.  A spool-format member whose body offset is 0 (a source added
 * without one) is searched for its EwLs marker.  Returns false when the
 * offset is not usable.
 */
bool recover_body(const char *reader, const struct imcq_source *src,
		  const unsigned char *data, size_t len,
		  const unsigned char **body, size_t *blen);

/*
 * The index of a message of a report from its address (the plan arrays of
 * recover and reinject run parallel to rep->msgs).  Built once the report
 * is complete; recover_msgidx_find gives SIZE_MAX for a message not in it.
 */
struct recover_mref {
	const struct imcq_message *m;
	size_t idx;
};
struct recover_msgidx {
	struct recover_mref *v;
	size_t n;
};
void recover_msgidx_build(struct recover_msgidx *x, const struct imcq_report *rep);
size_t recover_msgidx_find(const struct recover_msgidx *x, const struct imcq_message *m);
void recover_msgidx_release(struct recover_msgidx *x);

#endif
