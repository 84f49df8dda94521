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
 * scripting off and prints; the whole document follows as a JSON data
 * block (<script type="application/json" id="imcq-data">) that the inline
 * script reads.
 *
 * Security: every string of the document is treated as hostile.  Text is
 * HTML-escaped (& < > " '), invalid UTF-8 and control characters are
 * replaced by U+FFFD; the data block escapes < > & U+2028 U+2029 as
 * \uXXXX; the script only ever uses textContent.  A Content-Security-Policy
 * meta tag admits exactly the inline style and script, by SHA-256, and no
 * network access at all.
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
 * "messages" is the empty array ms->hole (json_report_shell).  The page
 * summary reads ms->brief(user, i) for every message (state, queue_time,
 * age_seconds), the first table page ms->get(user, i); both return a new
 * tree that the page deletes.  report_html_begin writes the page up to the
 * messages of the data block; the caller then hands every message, in
 * order, to report_html_message (borrowed), and report_html_end writes the
 * rest and returns 0 or -1 as report_html_write.  Same bytes as
 * report_html_write on the whole document.
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

#endif
