/* SPDX-License-Identifier: MIT */
/*
 * joins.h - which tracking events and protocol-log sessions concern which
 * message.
 *
 * The keys (DOMAIN.md 1.3, 6.3):
 *   spool id     the file name in Imcdata\Out or \In (m->spool_id), the id
 *                of the IMS Received line (m->ims_id), and the bracketed
 *                token of a tracking Remote-ID "<msgid>[SPOOLID]"
 *                (event spool_id) (Q153188, Q190709);
 *   Message-ID   tracking field 1 is "Message ID or MTS-ID" (Q173280); it is
 *                compared with the Message-ID header, with and without <>,
 *                with the envelope MTS-ID, and with the Message-ID inside
 *                the Remote-ID.  The Message-ID Exchange gives its own mail
 *                is the MTS-ID with ';' -> '%', ' ' -> '_' plus
 *                "@<site domain>" (Q153188), so both forms reduce to one
 *                key;
 *   addresses    a protocol-log session matches a message on MAIL FROM plus
 *                at least one RCPT TO of the envelope (or, when the log
 *                kept no MAIL FROM or no RCPT TO, on the subject quoted by
 *                a "Rescheduling delivery for later" line, and the sender
 *                when one was logged).  With --log-tz the
 *                session must also lie in a time window around the queue
 *                time; without it the time-zone question is open: the
 *                addresses count, and only a session that no zone (UTC-12
 *                to UTC+14) could put after the queuing is ruled out.
 * Joins are made only between evidence of the same server (snapshots of
 * servers told apart by name never join; see snapshots.h).
 *
 * Results: m->ev_idx and m->sess_idx, sorted and without duplicates.
 */
#ifndef IMCQ_JOINS_H
#define IMCQ_JOINS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/core/model.h"
#include "analyzer/pipeline.h"

/* At most this many events or sessions are joined to one message (a
 * message retried for days collects many sessions; the cap is reported as
 * an anomaly). */
#define JOINS_MAX_PER_MSG	4096

/* Time windows for sessions when --log-tz is known (seconds). */
#define JOINS_OUT_SLACK		(15 * 60)	/* outbound: start >= queue time - slack */
#define JOINS_IN_BEFORE		(2 * 3600)	/* inbound: start in [qt - before, qt + slack] */
#define JOINS_TZ_MAX		(14 * 3600)	/* no zone is further from UTC (UTC+14) */

/*
 * Shift protocol-log times (sessions, and events whose source is
 * "protocol-log") from server local time to UTC by --log-tz and clear
 * their local_time flag.  Without --log-tz they stay as they are.
 */
void joins_shift_local_times(struct imcq_report *rep, const struct imcq_opts *o);

/* Comparable key of a Message-ID or an MTS-ID: no <>, an X.400 MTS-ID
 * ("c=..;a=..;p=..;l=..") and its Message-ID form ("c=..%a=..%l=..@dom")
 * give the same key, lower case.  NULL when there is nothing to compare.
 * Caller frees. */
char *joins_msgid_key(const char *id);

/* The Message-ID inside a tracking Remote-ID "<msgid>[SPOOLID]" (with its
 * <>), or NULL.  Caller frees. */
char *joins_remote_msgid(const char *remote_id);

/* Comparable form of an address: no <> or spaces, lower case, and an
 * IMCEASMTP- encapsulation decoded ("IMCEASMTP-bob+40example+2Ecom@x" ->
 * "bob@example.com").  Never NULL.  Caller frees. */
char *joins_addr_key(const char *addr);

/* Upper-case copy of a spool id, or NULL when s is not one. */
char *joins_spool_key(const char *s);
/* The same key packed in 64 bits, its eight characters in order (packed
 * keys are equal, and order, as the key strings do); false when s is not
 * a spool id. */
bool joins_spool_code(const char *s, uint64_t *out);

/*
 * The GMT time an MTS-ID encodes: the Exchange form "l=SERVER-YYMMDDhhmmssZ-n"
 * (Q153188), or the inbound form "l=<SERVER><YYMMDDhhmm><SPOOLID>" (Q190709),
 * the latter only when its trailing spool id equals spool_id (case
 * ignored).  *form says which ("exchange" | "inbound").  False when none.
 */
bool joins_mts_time(const char *mts_id, const char *spool_id, int64_t *out,
		    const char **form);

/* Are snapshots a and b evidence of the same server?  False only when both
 * name a server and the names differ (rep->snaps must be built). */
bool joins_same_server(const struct imcq_report *rep, int a, int b);

/* Does tracking event e concern message m (spool id, Message-ID, MTS-ID)? */
bool joins_event_concerns(const struct imcq_message *m, const struct imcq_event *e);

/* Keys that make messages "the same" (states.c duplicate groups,
 * snapshots.c seen_in): */
enum joins_key {
	JK_MSGID,	/* joins_msgid_key of the Message-ID header */
	JK_BODY,	/* the body's SHA-256, for a read, undamaged, non-empty message */
	JK_SPOOL_BODY,	/* spool id and body SHA-256, for a read message */
};
/*
 * For each message i, the smallest index j of a message whose key of kind
 * k equals its own (j <= i; j == i when no earlier one does), or UINT32_MAX
 * when message i has no such key.  No key string is kept: the class heads
 * are in a hash table by a 64-bit hash of their key, and only messages
 * whose hashes meet are compared in full, so memory is 21 to 29 bytes a
 * message, not a copy of every key.  Reads the messages only (any
 * thread).  Caller frees.
 */
uint32_t *joins_key_classes(const struct imcq_report *rep, enum joins_key k);

/* Fill m->ev_idx of every message from the tracking events (spool id and
 * Message-ID / MTS-ID keys, same server). */
void joins_link_events(struct imcq_report *rep, const struct imcq_opts *o);

/* Fill m->sess_idx of every message from the protocol-log sessions, and
 * add the protocol-log events of each joined session to m->ev_idx.  Uses
 * m->queue_time for the --log-tz windows, so call it once queue times are
 * known. */
void joins_link_sessions(struct imcq_report *rep, const struct imcq_opts *o);

/* Does session s name address addr among its recipients? */
bool joins_session_has_rcpt(const struct imcq_session *s, const char *addr);

/* Does tracking event e name address addr among its recipients?  (An event
 * that names no recipient at all names none.) */
bool joins_event_has_rcpt(const struct imcq_event *e, const char *addr);

#endif
