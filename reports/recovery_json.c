/* SPDX-License-Identifier: MIT */
/* recovery_json.c - manifest.json of `imcq recover` (see recovery_json.h). */
#include "reports/recovery_json.h"

#include <stdlib.h>

#include "analyzer/core/err.h"

static cJSON *
must(cJSON *j)
{
	if (j == NULL)
		imcq_die("out of memory (JSON)");
	return j;
}

static void
add_u64(cJSON *o, const char *key, uint64_t v)
{
	if (v > ((uint64_t)1 << 53))
		v = (uint64_t)1 << 53;	/* never reached by real files */
	cJSON_AddItemToObject(o, key, must(cJSON_CreateNumber((double)v)));
}

static const char *
input_path(const struct imcq_report *rep, int input)
{
	return input >= 0 && (size_t)input < rep->ninputs ? rep->inputs[input].path : NULL;
}

static cJSON *
source(const struct imcq_report *rep, const struct recovery_src *s, bool full)
{
	cJSON *o;

	if (s->input < 0 && s->member == NULL)
		return must(cJSON_CreateNull());
	o = must(cJSON_CreateObject());
	cJSON_AddItemToObject(o, "input", must(cJSON_CreateNumber(s->input)));
	json_add_str(o, "path", input_path(rep, s->input));
	json_add_str(o, "member", s->member);
	if (full) {
		add_u64(o, "size", s->size);
		json_add_str(o, "sha256", s->sha256);
	}
	return o;
}

static cJSON *
item(const struct imcq_report *rep, const struct recovery_item *it)
{
	cJSON *o = must(cJSON_CreateObject());
	cJSON *a;
	size_t i;

	json_add_str(o, "spool_id", it->spool_id);
	json_add_str(o, "state", it->state);
	json_add_str(o, "reader", it->reader);
	cJSON_AddItemToObject(o, "source", source(rep, &it->src, true));
	if (it->nsame > 0) {
		a = must(cJSON_CreateArray());
		for (i = 0; i < it->nsame; i++)
			cJSON_AddItemToArray(a, source(rep, &it->same[i], false));
		cJSON_AddItemToObject(o, "identical_sources", a);
	}
	if (it->status == RECOVERY_WRITTEN) {
		json_add_str(o, "output", it->output);
		json_add_str(o, "output_sha256", it->output_sha256);
		add_u64(o, "output_size", it->output_size);
		if (it->mbox_offset != IMCQ_NOOFF)
			add_u64(o, "mbox_offset", it->mbox_offset);
	} else {
		json_add_str(o, "reason", it->reason);
	}
	json_add_str(o, "sender", it->sender);
	a = must(cJSON_CreateArray());
	for (i = 0; i < it->nincluded; i++) {
		int changed;
		char *c = json_utf8_clean(it->included[i], &changed);

		cJSON_AddItemToArray(a, must(cJSON_CreateString(c)));
		free(c);
	}
	cJSON_AddItemToObject(o, "recipients_included", a);
	a = must(cJSON_CreateArray());
	for (i = 0; i < it->nleft; i++) {
		cJSON *l = must(cJSON_CreateObject());

		json_add_str(l, "address", it->left[i].address);
		json_add_str(l, "reason", it->left[i].reason);
		cJSON_AddItemToArray(a, l);
	}
	cJSON_AddItemToObject(o, "recipients_left_out", a);
	if (it->nnotes > 0) {
		a = must(cJSON_CreateArray());
		for (i = 0; i < it->nnotes; i++) {
			int changed;
			char *c = json_utf8_clean(it->notes[i], &changed);

			cJSON_AddItemToArray(a, must(cJSON_CreateString(c)));
			free(c);
		}
		cJSON_AddItemToObject(o, "notes", a);
	}
	return o;
}

cJSON *
recovery_manifest(const struct imcq_report *rep, const char *version,
		  const char *form, bool include_delivered, const char *where,
		  const struct recovery_item *items, size_t nitems,
		  const struct json_outfile *files, size_t nfiles)
{
	cJSON *doc = must(cJSON_CreateObject());
	cJSON *o, *a, *lists[3];
	static const char *const list_names[3] = { "outputs", "skipped", "failed" };
	size_t count[3] = { 0, 0, 0 };
	uint64_t inc = 0, left = 0;
	size_t i;

	json_add_str(doc, "schema", "imcq.recover/1");
	o = must(cJSON_CreateObject());
	json_add_str(o, "name", "imcq");
	json_add_str(o, "version", version);
	cJSON_AddItemToObject(doc, "tool", o);
	json_add_str(doc, "form", form);
	cJSON_AddItemToObject(doc, "include_delivered", must(cJSON_CreateBool(include_delivered)));
	json_add_str(doc, "where", where);
	a = must(cJSON_CreateArray());
	for (i = 0; i < rep->ninputs; i++) {
		o = must(cJSON_CreateObject());
		cJSON_AddItemToObject(o, "index", must(cJSON_CreateNumber((double)i)));
		json_add_str(o, "path", rep->inputs[i].path);
		json_add_str(o, "kind", rep->inputs[i].kind);
		add_u64(o, "size", rep->inputs[i].size);
		json_add_str(o, "sha256", rep->inputs[i].sha256[0] ? rep->inputs[i].sha256 : NULL);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "inputs", a);
	for (i = 0; i < 3; i++)
		lists[i] = must(cJSON_CreateArray());
	for (i = 0; i < nitems; i++) {
		const struct recovery_item *it = &items[i];

		cJSON_AddItemToArray(lists[it->status], item(rep, it));
		count[it->status]++;
		if (it->status == RECOVERY_WRITTEN) {
			inc += it->nincluded;
			left += it->nleft;
		}
	}
	for (i = 0; i < 3; i++)
		cJSON_AddItemToObject(doc, list_names[i], lists[i]);
	a = must(cJSON_CreateArray());
	for (i = 0; i < nfiles; i++) {
		o = must(cJSON_CreateObject());
		json_add_str(o, "name", files[i].name);
		add_u64(o, "size", files[i].size);
		json_add_str(o, "sha256", files[i].sha256);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(doc, "files", a);
	o = must(cJSON_CreateObject());
	add_u64(o, "written", count[RECOVERY_WRITTEN]);
	add_u64(o, "skipped", count[RECOVERY_SKIPPED]);
	add_u64(o, "failed", count[RECOVERY_FAILED]);
	add_u64(o, "recipients_included", inc);
	add_u64(o, "recipients_left_out", left);
	cJSON_AddItemToObject(doc, "summary", o);
	return doc;
}
