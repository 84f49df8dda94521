/* SPDX-License-Identifier: MIT */
/*
 * mime.h - the RFC 822 / MIME side of a message record.
 *
 * mime.c is the only file that includes <gmime/gmime.h>; no GObject
 * reference leaves it.  Readers in formats/ hand the RFC 822 part of a
 * member as a span (after the spool envelope, after Pickup X- lines, after
 * an mbox "From " line); mime_fill() then fills, from those bytes alone:
 *
 *   m->size, m->im->body_sha256 (raw), m->line_ends, m->final_newline;
 *   m->im->hdr: Message-ID (without <>), Date (raw and UTC epoch), From,
 *     Sender, Reply-To (addr-spec), To/Cc/Bcc (addr-spec lists), Subject
 *     decoded to UTF-8 (subject_raw keeps the raw bytes when they were
 *     8-bit or used a charset that had to be guessed), X-Priority,
 *     Importance, Priority, Content-Type, every field in order (capped),
 *     and the Received chain parsed into hops;
 *   m->ims_id: the id of the IMS's own Received line;
 *   m->c.parts / m->mime_depth: a summary of the MIME tree (capped);
 *   the envelope, when the reader had none (env.source NONE or RFC822):
 *     derived as the IMS Pickup does (Q201314): Sender over From, and the
 *     To, Cc and Bcc addresses; for X-header files, a missing sender or
 *     recipient list is completed the same way;
 *   m->rcpts from the envelope, each marked in_headers when it appears in
 *     To/Cc, and a BCC_IN_ENVELOPE finding (Q249273) for those that do not.
 *
 * Damage (over-long header, header block over the cap, MIME nesting or
 * part count over the cap, unparseable input) becomes an anomaly on rep
 * with the offset in the member (body_off + offset in the span).
 */
#ifndef IMCQ_MIME_H
#define IMCQ_MIME_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/core/limits.h"
#include "analyzer/core/model.h"
#include "analyzer/core/rd.h"

/* Initialise GMime once per process (thread-safe, idempotent).  mime_fill()
 * calls it itself; main() may call it early. */
void mime_global_init(void);

void mime_fill(struct imcq_message *m, struct span body, uint64_t body_off,
	       struct imcq_report *rep, const struct imcq_limits *lim);

/* Whether a plain header block is read by GMime alone (mime.c
 * head_only(); the default, IMCQ_MIME_HEAD); for the fuzz harness, which
 * compares both ways.  Not while another thread runs mime_fill(). */
void mime_set_head_only(bool on);

#endif
