/* SPDX-License-Identifier: MIT */
/*
 * json.h - the report as JSON ("imcq.report/1", reports/schema/).
 *
 * The only module that builds cJSON trees from the model.  Output policy
 * (STYLE.md 5.10): every string is valid UTF-8 — bytes that are not are
 * replaced by U+FFFD and the original kept beside it as KEY_raw (base64);
 * times are ISO 8601 UTC strings (null when unknown); offsets and sizes are
 * integers below 2^53; keys come in a fixed order and arrays in the
 * model's sorted order, so identical inputs give identical bytes.
 */
#ifndef IMCQ_JSON_H
#define IMCQ_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "analyzer/core/model.h"

#define IMCQ_SCHEMA "imcq.report/1"

/*
 * Threads: the builders (json_message, json_message_brief, json_event,
 * json_lazy_at) and the printers (json_render; json_write into a FILE
 * only one thread writes) only read the report and the lazy-array
 * registry, so several threads may call them at once while nobody changes
 * the report or builds or deletes a shell (json_report_shell,
 * json_shell_delete, the only writers of the registry).
 */

cJSON *json_report(const struct imcq_report *rep, const char *version);
cJSON *json_message(const struct imcq_report *rep, const struct imcq_message *m);
cJSON *json_event(const struct imcq_report *rep, const struct imcq_event *e);
/* Add s (sanitised) under key, plus key_raw when s was not UTF-8. */
void json_add_str(cJSON *obj, const char *key, const char *s);
void json_add_time(cJSON *obj, const char *key, int64_t t);
/* One output file of a run, for manifests. */
struct json_outfile {
	const char *name;
	char sha256[65];
	uint64_t size;
};
/* manifest.json: SHA-256 and size of every input and of every file written. */
cJSON *json_manifest(const struct imcq_report *rep, const char *version,
		     const struct json_outfile *files, size_t nfiles);
/* Print doc (pretty when pretty) followed by a newline; 0 or -1. */
int json_fprint(FILE *f, const cJSON *doc, int pretty);
/*
 * Streaming.  json_report_shell builds the report without its messages:
 * *hole is the empty "messages" array, where they belong.  json_write
 * prints v as cJSON_Print (pretty) or cJSON_PrintUnformatted would, at
 * nesting depth (0 for a whole document), with no newline after it; when
 * it reaches the array hole it calls cb(user, f, depth) right after the
 * '[', and cb prints the elements at that depth, separated by ", " (pretty)
 * or ",".  Same bytes as printing the whole tree, without holding it.
 */
typedef void (*json_hole_cb)(void *user, FILE *f, size_t depth);
cJSON *json_report_shell(const struct imcq_report *rep, const char *version,
			 const cJSON **hole);
int json_write(FILE *f, const cJSON *v, int pretty, size_t depth,
	       const cJSON *hole, json_hole_cb cb, void *user);
/*
 * The same bytes as json_write(f, v, pretty, depth, NULL, NULL, NULL),
 * appended to b (grown as needed; not NUL-terminated; free b->p).  For
 * trees that hold none of the shell's lazy arrays (a message's, from
 * json_message): the registry is not read, so any thread may render its
 * own tree while another writes the shell.
 */
struct json_buf {
	char *p;
	size_t len, cap;
};
void json_render(struct json_buf *b, const cJSON *v, int pretty, size_t depth);
/*
 * The shell's other large arrays (inventory, routing.decisions, logs.events,
 * logs.sessions, each queue file's references and carved strings) are
 * lazy: empty in the tree, their elements built one at a time by
 * json_write.  Readers of the shell use json_lazy_count (elements the
 * array prints) and json_lazy_head (a new array of the first max elements,
 * the caller deletes it); both work on ordinary arrays too.  Delete a
 * shell with json_shell_delete (it forgets the lazy arrays); only the
 * newest shell is lazy.
 */
size_t json_lazy_count(const cJSON *arr);
cJSON *json_lazy_head(const cJSON *arr, size_t max);
/* For printers of the shell: when arr is lazy, hand each element in order
 * to fn (which owns and frees it) until fn returns false; returns the
 * number handed over (0 for an ordinary array). */
size_t json_lazy_each(const cJSON *arr, bool (*fn)(void *ctx, cJSON *item), void *ctx);
void json_shell_delete(cJSON *doc);
/*
 * Random access to a lazy array's elements, for printers that build them
 * on several threads: json_lazy_index(arr) (NULL when arr is not lazy)
 * holds what finding element k takes (for the routing decisions, a count
 * per message); json_lazy_at builds element k (< json_lazy_index_count),
 * the same tree as the k-th json_lazy_each hands over.  json_lazy_at only
 * reads the report, the registry and the index: any thread may call it
 * while no thread builds or deletes a shell.
 */
struct json_lazy_index;
struct json_lazy_index *json_lazy_index(const cJSON *arr);
size_t json_lazy_index_count(const struct json_lazy_index *ix);
cJSON *json_lazy_at(const struct json_lazy_index *ix, size_t k);
void json_lazy_index_free(struct json_lazy_index *ix);
/*
 * json_write, with lcb called for every lazy array instead of printing
 * its elements: right after its '[', lcb(user, f, arr, depth) prints them
 * at depth, separated by ", " (pretty) or ",", as cb does at the hole.
 */
typedef void (*json_lazy_cb)(void *user, FILE *f, const cJSON *arr, size_t depth);
int json_write_lazy(FILE *f, const cJSON *v, int pretty, size_t depth,
		    const cJSON *hole, json_hole_cb cb, json_lazy_cb lcb, void *user);
/* The members of json_message's object that report.html's page summary
 * reads (state, queue_time, age_seconds): a small tree for a first pass. */
cJSON *json_message_brief(const struct imcq_report *rep, const struct imcq_message *m);
/* Replace invalid UTF-8 by U+FFFD; returns a fresh string, sets *changed. */
char *json_utf8_clean(const char *s, int *changed);

#endif
