/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the one table of readers.  Order matters only for ties
 * (the earlier reader wins and the tie is reported as an anomaly) and for
 * cost: cheap magic checks first, text heuristics after them, the generic
 * RFC 822 bid last because almost any text looks a little like mail.
 */
#include "formats/format.h"

#include <string.h>

#include "analyzer/core/xalloc.h"

static const struct imcq_format *const all[] = {
	&imcq_format_spool,	/* 4-byte magic ImCr near the start */
	&imcq_format_regexport,	/* "REGEDIT4" / UTF-16 "Windows Registry Editor" */
	&imcq_format_queuedat,	/* name Queue.dat, binary */
	&imcq_format_gwart,	/* name GWART?.MTA, address-space lines */
	&imcq_format_routetxt,	/* name Route.txt / Route.old */
	&imcq_format_imccopy,	/* INI with [Routes] or [Domain] */
	&imcq_format_tracking,	/* tab-separated, numeric event field */
	&imcq_format_protolog,	/* "M/D/YY h:mm:ss AM : " lines */
	&imcq_format_pickup,	/* X-Sender:/X-Receiver: before headers */
	&imcq_format_rfc822,	/* header block: last resort */
};

size_t
imcq_format_count(void)
{
	return sizeof(all) / sizeof(all[0]);
}

const struct imcq_format *
imcq_format_at(size_t i)
{
	return i < imcq_format_count() ? all[i] : NULL;
}

const struct imcq_format *
imcq_format_find(const char *name)
{
	size_t i;

	for (i = 0; i < imcq_format_count(); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int
imcq_read_whole(const struct imcq_format *f, const struct imcq_entry *e,
		struct imcq_sink *s)
{
	void *st = f->open(e, s);

	if (e->data && e->len)
		f->feed(st, e->data, e->len);
	return f->close(st);
}

struct imcq_message *
imcq_entry_message(const struct imcq_entry *e, const char *format)
{
	struct imcq_message *m = message_new();
	struct imcq_source src = {
		.input = e->input,
		.member = e->member,
		.size = e->size,
		.mtime = e->mtime,
		.body_offset = 0,
	};

	/* copies the member string, until the pipeline binds the source to
	 * the member's inventory row (which also holds e->sha256) */
	message_add_source(m, &src);
	m->format = xstrdup(format);
	m->place = e->place;
	m->queue = imcq_queue_of_place(e->place);
	m->snapshot = e->snapshot;
	{
		const char *b = e->base;
		m->spool_id = xstrdup(b);
	}
	return m;
}
