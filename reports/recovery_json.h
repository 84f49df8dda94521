/* SPDX-License-Identifier: MIT */
/*
 * recovery_json.h - DIR/manifest.json of `imcq recover` ("imcq.recover/1").
 *
 * The recover command (analyzer/cmd_recover.c) describes each decision it
 * took as a struct recovery_item and each file it wrote as a struct
 * json_outfile; this module turns them into one cJSON document (cJSON
 * stays inside reports/).  Layout, keys in this order:
 *
 *   schema, tool {name, version}, form, include_delivered, where,
 *   inputs [{index, path, kind, size, sha256}],
 *   outputs [item...]   messages written (one per distinct source)
 *   skipped [item...]   messages deliberately not written, with reason
 *   failed  [item...]   messages that should have been written and were not
 *   files   [{name, size, sha256}]   every file in DIR except manifest.json
 *   summary {written, skipped, failed, recipients_included, recipients_left_out}
 *
 * An item: spool_id, state, reader, source {input, path, member, size,
 * sha256} (null when the message has no source), identical_sources
 * [{input, path, member}] (other members with the same bytes, not written
 * again), output, output_sha256, output_size, mbox_offset (mbox only),
 * sender, recipients_included [...], recipients_left_out [{address,
 * reason}], reason (skipped and failed), notes [...].
 *
 * Strings go through json_add_str (invalid UTF-8 replaced, the raw bytes
 * kept as KEY_raw).  Nothing volatile (no run time): identical inputs and
 * options give identical bytes.  Ownership: the caller owns the items and
 * the returned document (cJSON_Delete).  Out of memory ends the program.
 */
#ifndef IMCQ_RECOVERY_JSON_H
#define IMCQ_RECOVERY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "analyzer/core/model.h"
#include "reports/json.h"

struct recovery_left {
	const char *address;
	const char *reason;
};

struct recovery_src {
	int input;		/* -1: none */
	const char *member;
	const char *sha256;
	uint64_t size;
};

enum recovery_status { RECOVERY_WRITTEN = 0, RECOVERY_SKIPPED, RECOVERY_FAILED };

struct recovery_item {
	enum recovery_status status;
	const char *spool_id;
	const char *state;		/* imcq_state_name() */
	const char *reader;		/* spool | pickup | rfc822 */
	struct recovery_src src;
	struct recovery_src *same;	/* identical copies not written again */
	size_t nsame, samecap;
	const char *output;		/* name relative to DIR, or NULL */
	char output_sha256[65];
	uint64_t output_size;
	uint64_t mbox_offset;		/* IMCQ_NOOFF when not mbox */
	const char *sender;		/* NULL: not known */
	const char **included;
	size_t nincluded;
	struct recovery_left *left;
	size_t nleft;
	const char *reason;		/* skipped / failed */
	char **notes;			/* owned by the caller */
	size_t nnotes;
};

cJSON *recovery_manifest(const struct imcq_report *rep, const char *version,
			 const char *form, bool include_delivered, const char *where,
			 const struct recovery_item *items, size_t nitems,
			 const struct json_outfile *files, size_t nfiles);

#endif
