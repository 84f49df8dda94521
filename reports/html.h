/* SPDX-License-Identifier: MIT */
/*
 * html.h - report.html: the report document as one self-contained page.
 *
 * The page shows, in order: the incident in plain words (doc.incident, or
 * composed from the findings), counts by state, a qshape-style table
 * (destination domain x age), the findings with their evidence, a message
 * table that sorts, filters and pages (only the visible page is rendered),
 * the detail of one message, the changes between snapshots, the inventory
 * with hashes, and the anomalies.  The narrative parts and the first page
 * of each large table are written as static HTML, so the page reads with
 * scripting off and prints.  The data the inline script reads follows:
 * the report-wide members it uses as a JSON data block (<script
 * type="application/json" id="imcq-data">), then packed blocks (<script
 * type="application/octet-stream" id="imcq-KN">: base64 of raw DEFLATE of
 * JSON or text, html_deflate.h) with, per block of messages, the message
 * table's columns (r) and search text (x), and their recipients' domains
 * when the page computes the queue shape (q); after the script, the
 * inventory (i) and each message's detail (d: envelope, key headers,
 * recipients and routes, findings and evidence, state, sources), which
 * the page inflates a block at a time when a message is opened.  The
 * rest of each message (MIME parts, raw bytes, the envelope's layout) and
 * the routing decisions, log events and Queue.dat references are in
 * report.json only.  A 100,000-message report is ~50 MB and opens in
 * Chromium in ~1-2 s (bench/BENCHMARKS.md).
 *
 * Security: every string of the document is treated as hostile.  Text is
 * HTML-escaped (& < > " '), invalid UTF-8 and control characters are
 * replaced by U+FFFD; the data block escapes < > & U+2028 U+2029 as
 * \uXXXX; packed blocks are base64; the script only ever uses
 * textContent.  A Content-Security-Policy meta tag admits exactly the
 * inline style and script, by SHA-256, and no network access at all.
 *
 * Ownership: doc is borrowed and not modified.
 * Diagnostics: a write error on out returns -1 (the caller reports it);
 * nothing in doc can make this fail.
 */
#ifndef IMCQ_REPORTS_HTML_H
#define IMCQ_REPORTS_HTML_H

#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * Write report.html for the report document doc (the tree report.json is
 * printed from, schema "imcq.report/1"; every member optional).  Returns
 * 0, or -1 on a write error (ferror(out)).  Deterministic: same doc, same
 * bytes.
 */
int report_html_write(FILE *out, const cJSON *doc);

/*
 * The same page with the messages streamed, not held in doc: doc's member
 * "messages" is the empty array ms->hole (json_report_shell; the page does
 * not read it).  The page summary reads ms->brief(user, i) for every
 * message (state, queue_time, age_seconds), the first table page
 * ms->get(user, i); both return a new tree that the page deletes.
 * report_html_begin writes the page up to the messages' data; the caller
 * then hands every message, in order, to report_html_message (borrowed:
 * it is written into the blocks being filled, a block of messages at a
 * time), and report_html_end writes the rest and returns 0 or -1 as
 * report_html_write.  Same bytes as report_html_write on the whole
 * document.  Memory: one block of messages (256 details, 4096 rows);
 * what follows the script waits in a temporary file (tmpfile(); without
 * one it is written before the script).
 */
struct html_msgs {
	size_t n;
	cJSON *(*get)(void *user, size_t i);
	cJSON *(*brief)(void *user, size_t i);
	void *user;
	const cJSON *hole;
};
struct html_stream;
struct html_stream *report_html_begin(FILE *out, const cJSON *doc,
				      const struct html_msgs *ms);
void report_html_message(struct html_stream *hs, const cJSON *m);
int report_html_end(struct html_stream *hs);
/*
 * report_html_message in two steps, for a writer that renders messages on
 * another thread: report_html_prepare reads m and only what
 * report_html_begin fixed of hs, so any thread may call it (several at
 * once) while the page is being written; the piece is m's share of the
 * page, m may be deleted at once.  report_html_add writes the pieces into
 * the page, in the messages' order, on the thread that writes the page;
 * report_html_piece_free frees a piece (any thread).  Same bytes as
 * report_html_message.
 */
struct html_piece;
struct html_piece *report_html_prepare(const struct html_stream *hs, const cJSON *m);
void report_html_add(struct html_stream *hs, const struct html_piece *p);
void report_html_piece_free(struct html_piece *p);
/* Its size in memory (about), for bounding queues of pieces. */
size_t report_html_piece_size(const struct html_piece *p);

#endif
