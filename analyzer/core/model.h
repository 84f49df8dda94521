/* SPDX-License-Identifier: MIT */
/*
 * model.h - the format-neutral data model of one imcq run.
 *
 * A run reads one or more INPUTs (each one snapshot) into a struct
 * imcq_report: inputs, the inventory of every member, messages, Queue.dat
 * carvings, routing tables, log events and sessions, configuration values,
 * findings and anomalies.  Readers in formats/ append to it; the analyzer
 * derives states, routes and findings; reports/ print it.
 *
 * Ownership: the report owns everything reachable from it.  Strings are
 * heap copies (char *, NUL-terminated, possibly not valid UTF-8: reports
 * sanitise at the boundary).  NULL means "not known".  Times are seconds
 * since the Unix epoch, UTC; IMCQ_NOTIME means "not known".
 * Provenance: every fact carries (input, member, offset[, line]).
 * Offsets are bytes from the start of the member; lines count from 1.
 */
#ifndef IMCQ_MODEL_H
#define IMCQ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/err.h"
#include "analyzer/core/limits.h"

#define IMCQ_NOTIME INT64_MIN
#define IMCQ_NOOFF UINT64_MAX

enum imcq_sev { IMCQ_SEV_INFO = 0, IMCQ_SEV_WARNING, IMCQ_SEV_ERROR };

enum imcq_queue {
	IMCQ_Q_OUT = 0, IMCQ_Q_IN, IMCQ_Q_OUT_ARCHIVE, IMCQ_Q_IN_ARCHIVE,
	IMCQ_Q_PICKUP, IMCQ_Q_PICKUP_ARCHIVE, IMCQ_Q_WORK, IMCQ_Q_OTHER,
	IMCQ_Q_COUNT
};

enum imcq_state {
	IMCQ_ST_UNSET = 0,
	IMCQ_ST_AWAITING_DELIVERY, IMCQ_ST_AWAITING_CONVERSION, IMCQ_ST_EXPIRED,
	IMCQ_ST_DELIVERED, IMCQ_ST_MISSING, IMCQ_ST_ARCHIVED, IMCQ_ST_PICKUP,
	IMCQ_ST_DAMAGED,
	IMCQ_ST_COUNT
};

/* Where a member sits in the Exchsrvr layout (classified from its path,
 * case-insensitively, whatever the prefix). */
enum imcq_place {
	IMCQ_PL_UNKNOWN = 0,
	IMCQ_PL_OUT, IMCQ_PL_IN, IMCQ_PL_OUT_ARCHIVE, IMCQ_PL_IN_ARCHIVE,
	IMCQ_PL_PICKUP, IMCQ_PL_PICKUP_ARCHIVE, IMCQ_PL_WORK, IMCQ_PL_BACKUP,
	IMCQ_PL_TURFDIR, IMCQ_PL_LOG, IMCQ_PL_QUEUE_DAT, IMCQ_PL_IMCDATA_OTHER,
	IMCQ_PL_MTADATA, IMCQ_PL_TRACKING, IMCQ_PL_COUNT
};

const char *imcq_queue_name(enum imcq_queue q);
const char *imcq_state_name(enum imcq_state s);
const char *imcq_place_name(enum imcq_place p);	/* "Imcdata/Out", ... */
const char *imcq_sev_name(enum imcq_sev s);
/* Parse a state or queue name (for --where); -1 when unknown. */
int imcq_state_parse(const char *s);
int imcq_queue_parse(const char *s);
enum imcq_queue imcq_queue_of_place(enum imcq_place p);

/* A growable list of strings. */
struct imcq_strv {
	char **v;
	size_t n, cap;
};
void strv_push(struct imcq_strv *sv, char *owned);
void strv_release(struct imcq_strv *sv);

struct imcq_spill;

/*
 * Spilled texts (issue #9).  A text that is unique to one message and
 * that only the reports print -- a message's state_reason, its findings'
 * messages and the evidence excerpts they own -- goes to the run's spill
 * once no analysis step reads it any more (text_spill, finding_spill), and
 * its field then holds a tag instead of a pointer: bit 0 set, the length
 * in bits 1-16, the spill offset above.  Only heap strings (even pointers)
 * are tagged; a finding's message and excerpts also carry IMCQ_F_SPILLED /
 * IMCQ_EV_SPILLED, since a shared excerpt may be an odd pointer into the
 * report's pool.  A tagged field must not be dereferenced: read it with
 * text_get (state_reason), finding_message or evidence_excerpt and the
 * report's spill (any thread); release frees only what is not spilled.
 * Without a spill (NULL: IMCQ_SPILL=memory or off, unit tests) nothing is
 * tagged and the readers return the pointer itself.  Report-wide findings
 * are not spilled.
 */
struct imcq_tbuf {
	char *p;		/* heap, when a text does not fit small */
	size_t cap;
	char small[320];
};
#define IMCQ_TBUF_INIT { NULL, 0, { 0 } }
static inline bool
text_spilled(const char *t)
{
	return ((uintptr_t)t & 1u) != 0;
}
/* Spill owned (freed) and return its tag; owned itself when s is NULL,
 * owned is NULL or empty, too long for a tag, or already spilled. Any
 * thread (spill_put needs no lock). */
char *text_spill(struct imcq_spill *s, char *owned);
/* The text t (NUL-terminated): t itself, or read back into b. */
const char *text_get(struct imcq_spill *s, const char *t, struct imcq_tbuf *b);
/* Whether t holds exactly x (reads t back only when the lengths match). */
bool text_eq(struct imcq_spill *s, const char *t, const char *x);
void text_free(char *t);
void tbuf_release(struct imcq_tbuf *b);

/* Bits of imcq_evidence.shared: the strings the item does not own.  A
 * shared string is a literal, in the report's pool, or owned by the report
 * (a log event's or table's member) or by the message whose findings hold
 * the item, and outlives the item; evlist_release leaves it. */
enum { IMCQ_EV_SH_MEMBER = 1, IMCQ_EV_SH_EXCERPT = 2,
       IMCQ_EV_SPILLED = 4 /* excerpt is a spilled text's tag (text_spill) */ };

/* One place in the evidence. */
struct imcq_evidence {
	int input;		/* index into report inputs; -1 none */
	unsigned char shared;	/* IMCQ_EV_SH_* */
	char *member;		/* member path within the input */
	uint64_t offset;	/* IMCQ_NOOFF when not known */
	uint64_t line;		/* 0 when not a text line */
	char *excerpt;		/* short text, may be NULL; a tag when IMCQ_EV_SPILLED */
};

struct imcq_evlist {
	struct imcq_evidence *v;
	size_t n, cap;
};
/* Add an item with copies of member and excerpt (at most 400 bytes). */
void evlist_add(struct imcq_evlist *l, int input, const char *member,
		uint64_t offset, uint64_t line, const char *excerpt);
/* Add an item that shares member (see IMCQ_EV_SH_*: it must outlive the
 * list) and takes excerpt (heap or NULL; cut to 400 bytes as evlist_add
 * would). */
void evlist_add_ref(struct imcq_evlist *l, int input, const char *member,
		    uint64_t offset, uint64_t line, char *excerpt);
/* Add an item that shares both member and excerpt (excerpt at most 400
 * bytes, else it is copied and cut). */
void evlist_add_refs(struct imcq_evlist *l, int input, const char *member,
		     uint64_t offset, uint64_t line, const char *excerpt);
/* Add an item that shares e's member and excerpt (spilled or not): e
 * belongs to an earlier finding of the same message. */
void evlist_share(struct imcq_evlist *l, const struct imcq_evidence *e);
/* The item's excerpt, read back into b when spilled (finding_spill). */
const char *evidence_excerpt(struct imcq_spill *s, const struct imcq_evidence *e,
			     struct imcq_tbuf *b);
void evlist_release(struct imcq_evlist *l);
/* Trim the list's vector to its length. */
void evlist_trim(struct imcq_evlist *l);

/* Bits of imcq_finding.shared: the fields the finding does not own
 * (literals or strings that outlive the report's findings, such as the
 * report's pool); findlist_release leaves them. */
enum { IMCQ_F_SH_CODE = 1, IMCQ_F_SH_REFERENCE = 2, IMCQ_F_SH_ACTION = 4,
       IMCQ_F_SH_BASIS = 8,
       IMCQ_F_SPILLED = 16 /* message is a spilled text's tag (text_spill) */ };

struct imcq_finding {
	char *code;		/* STALE_ROUTING, NO_ROUTE, ... (PRODUCT.md) */
	enum imcq_sev sev;
	unsigned char shared;	/* IMCQ_F_SH_* */
	char *message;		/* plain words; a tag when IMCQ_F_SPILLED */
	char *reference;	/* "Q268494" or NULL */
	char *action;		/* what to do next (fix, imcq command) */
	char *basis;		/* "documented" | "inferred" | "heuristic" */
	char **spool_ids;	/* messages concerned (report-wide findings) */
	size_t nspool_ids;
	struct imcq_evlist ev;
};

struct imcq_findlist {
	struct imcq_finding *v;
	uint32_t n, cap;
};
/* Add a finding; returns it so the caller can attach evidence. */
struct imcq_finding *findlist_add(struct imcq_findlist *l, const char *code,
				  enum imcq_sev sev, const char *reference,
				  const char *fmt, ...) IMCQ_PRINTF(5, 6);
/*
 * Add a finding whose code, reference, basis and action (each may be NULL
 * but the code) are shared, not copied: string literals or strings that
 * outlive the list (the report's pool).  It takes message (heap).
 */
struct imcq_finding *findlist_add_shared(struct imcq_findlist *l, const char *code,
					 enum imcq_sev sev, const char *reference,
					 const char *basis, const char *action,
					 char *message);
void finding_add_spool(struct imcq_finding *f, const char *spool_id);
/* Spill f's message and the excerpts its evidence owns (text_spill),
 * once nothing in the analysis reads them any more (see text_spill). */
void finding_spill(struct imcq_spill *s, struct imcq_finding *f);
/* f's message, read back into b when spilled. */
const char *finding_message(struct imcq_spill *s, const struct imcq_finding *f,
			    struct imcq_tbuf *b);
void findlist_release(struct imcq_findlist *l);

struct imcq_anomaly {
	char *code;		/* short kebab-case code: truncated-envelope, ... */
	enum imcq_sev sev;
	int input;
	char *member;
	uint64_t offset;
	char *message;
};

/* Where a message's bytes came from: the whole member (its first byte
 * used is always 0).  40 bytes, no padding: what the inventory row of the
 * member also holds is not repeated.  Until message_bind_source ties it to
 * that row (the pipeline does, on the calling thread, before the message
 * enters the report), member is the message's own copy and inv is
 * IMCQ_SRC_NOINV; once bound, member is the row's string (shared: it lives
 * as long as the report's inventory, and the message does not free it)
 * and the digest is read from the row (source_sha256_hex). */
#define IMCQ_SRC_NOINV UINT32_MAX
struct imcq_source {
	const char *member;
	uint64_t size;		/* member size */
	int64_t mtime;
	uint64_t body_offset;	/* offset of the RFC 822 part in the member */
	int input;
	uint32_t inv;		/* index of the member's row in rep->inv, or IMCQ_SRC_NOINV */
};

/* Bytes of an envelope the reader could not interpret, kept for study. */
struct imcq_env_gap {
	uint64_t offset;	/* within the member */
	uint64_t length;
	char *hex;		/* first bytes, hex, capped */
};

enum imcq_env_source { IMCQ_ENV_NONE = 0, IMCQ_ENV_SPOOL, IMCQ_ENV_XHEADERS, IMCQ_ENV_RFC822 };
const char *imcq_env_source_name(enum imcq_env_source s);

/* The envelope's fields the analysis reads; the rest is in struct
 * imcq_cold (helo, client_host, encoding, gaps, extra). */
struct imcq_envelope {
	char *mail_from;		/* without <>; "" for the null sender */
	struct imcq_strv rcpt_to;	/* without <> */
	char *mts_id;
	uint64_t offset;		/* ImCr (spool) or first X- line */
	uint64_t length;		/* through the end of EwLs */
	uint32_t rcpt_dropped;		/* beyond the --max-rcpts cap (saturates) */
	uint8_t source;			/* enum imcq_env_source */
	uint8_t confidence;		/* 0..100 */
};

/* One Received line.  raw and date_raw are what only the reports and
 * evidence excerpts print: once the message is chilled they are NULL in
 * it and read back through message_thaw. */
/* Count one more recipient beyond the --max-rcpts cap (saturating). */
static inline void
envelope_drop_rcpt(struct imcq_envelope *env)
{
	if (env->rcpt_dropped < UINT32_MAX)
		env->rcpt_dropped++;
}

struct imcq_hop {
	char *from, *by, *with, *id, *for_addr;
	char *date_raw;
	int64_t date;
	char *raw;
};

struct imcq_header_field {
	char *name;
	char *value;	/* decoded, UTF-8 */
};

/* The header fields the analysis reads; the rest is in struct imcq_cold
 * (date_raw, from, sender, reply_to, content_type, to, cc, bcc, x_priority,
 * importance, priority, all). */
struct imcq_headers {
	char *message_id;
	int64_t date;
	char *subject;		/* decoded UTF-8 */
	char *subject_raw;	/* raw bytes when decoding guessed or failed */
	struct imcq_hop *received;
	uint32_t nreceived, reccap;
	uint32_t nall;		/* header fields in cold.all (kept when chilled) */
};

struct imcq_mime_part {
	char *path;		/* "1", "1.2", ... */
	char *content_type;
	char *filename;
	char *charset;
	char *encoding;
	uint64_t size;		/* encoded bytes of the part's content */
	unsigned depth;
};

/*
 * A message's cold fields: what no analysis stage reads and only the
 * reports print.  The last member of struct imcq_message: message_chill
 * (core/chill.c) encodes them into one block, and shortens the message's
 * allocation to end before them, so a chilled message has no cold member
 * at all -- read them only through message_thaw.
 */
struct imcq_cold {
	/* envelope */
	char *helo;
	char *client_host;
	char *encoding;			/* what the reader recognised */
	struct imcq_env_gap *gaps;
	size_t ngaps, gapcap;
	struct imcq_strv extra;		/* guessed fields, "name=value" */
	/* headers */
	char *date_raw;
	char *from, *sender, *reply_to;
	struct imcq_strv to, cc, bcc;
	char *content_type;
	/* X-Priority, Importance, Priority as written; the analysis reads the
	 * priority they state through message_header_priority */
	char *x_priority, *importance, *priority;
	struct imcq_header_field *all;	/* every field, in order, capped (hdr.nall) */
	size_t allcap;
	/* MIME */
	struct imcq_mime_part *parts;
	size_t nparts, partcap;
};

struct imcq_route {
	bool known;
	bool pooled;		/* strings (and evidence strings) in the report's pool */
	/* Where the recipient's address goes in rule, or 0 when it names
	 * none: "no address space matches '<address>': ..." is one route for
	 * every address of a domain (issue #9: a route an address cost ~500
	 * bytes at the million).  Read the text through route_rule. */
	uint16_t addr_at;
	char *connector;
	char *server;
	char *address_space;
	int cost;		/* -1 unknown */
	char *rule;		/* which rule decided: exact, wildcard, ... */
	char *host;		/* IMS layer: smart host / per-domain host / dns */
	char *ims_rule;
	struct imcq_evlist ev;
};

struct imcq_rcpt {
	char *address;
	char *domain;		/* lower case */
	const char *status;	/* pending | delivered | failed | unknown (static) */
	/* The routing decision, shared by every recipient with the same one
	 * (report_intern_route); NULL until routed: read it with rcpt_route. */
	const struct imcq_route *route;
	struct imcq_evlist ev;
	bool in_headers;	/* appears in To/Cc */
};

/* The rule of route rt for a recipient with this address (NULL as ""):
 * rt->rule itself, or a copy with the address in place that *tmp holds
 * (free it; NULL when none was made). */
const char *route_rule(const struct imcq_route *rt, const char *address, char **tmp);

/* A recipient's route; a recipient not routed has the empty one (not
 * known, cost -1, no rule, no evidence). */
extern const struct imcq_route imcq_route_none;
static inline const struct imcq_route *
rcpt_route(const struct imcq_rcpt *r)
{
	return r->route != NULL ? r->route : &imcq_route_none;
}

/* Fields are ordered so that the part before c, all a chilled message
 * keeps, has no padding and fits mimalloc's 256-byte size class. */
/* What a message's readers set that the analysis reads and never changes
 * (issue #9): one allocation beside the record, moved into the report's
 * store with the strings it points to (message_store), so that it leaves
 * the resident set while the record, which the stages write, stays.
 * 152 bytes. */
struct imcq_msgim {
	struct imcq_envelope env;
	struct imcq_headers hdr;
	unsigned char body_sha256[32];	/* of the RFC 822 part, raw */
};

/* Codes of frozen findings a message keeps in its record (see
 * message_findings_freeze); a message with more findings keeps them live. */
#define IMCQ_FZ_CODES 7

struct imcq_message {
	char *spool_id;
	char *format;		/* reader: spool, pickup, rfc822 */
	char *state_reason;	/* may be spilled (text_spill) */
	uint64_t size;		/* bytes of the RFC 822 part */
	struct imcq_source *sources;
	uint32_t nsources, srccap;
	/* the envelope, header facts and body digest: what the readers set
	 * and no stage changes once the message is in the report (its own
	 * allocation, which message_store moves into the store) */
	struct imcq_msgim *im;
	const char *line_ends;	/* "crlf" | "lf" | "cr" | "mixed" | "none" (static) */
	struct imcq_rcpt *rcpts;
	uint32_t nrcpts, rcptcap;
	struct imcq_findlist findings;
	unsigned *seen_in;
	uint32_t nseen, seencap;
	int64_t queue_time;
	const char *queue_time_source;	/* static string */
	int64_t expires;
	char *damage;		/* why, when damaged */
	char *ims_id;		/* id from the IMS Received line */
	/* Joins (analyzer/joins.c): indices into rep->events and
	 * rep->sessions that concern this message. */
	size_t *ev_idx;
	uint32_t nev_idx, ev_idxcap;
	size_t *sess_idx;
	uint32_t nsess_idx, sess_idxcap;
	/* message_pack: the strings the readers set, in one block (NULL until
	 * packed); message_free frees a string only when it lies outside. */
	char *pack;
	/* message_chill (core/chill.c): the cold fields -- what only the
	 * reports print -- encoded, coldlen bytes in memory (cold) or, when
	 * spilled, in the report's spill at cold_off; read them through
	 * message_thaw. */
	union {
		unsigned char *cold;
		uint64_t cold_off;
	};
	enum imcq_queue queue : 8;
	enum imcq_place place : 8;
	enum imcq_state state : 8;
	uint8_t nfz;		/* findings frozen (message_findings_freeze) */
	int snapshot;		/* snapshot of its first source */
	uint32_t coldlen;
	uint32_t packlen;	/* bytes of pack */
	uint32_t blklen;	/* bytes of the stored block (pack_stored; message_store) */
	uint32_t fzlen;		/* bytes of the newest frozen block */
	uint16_t mime_depth;	/* deepest MIME part (saturates) */
	int8_t priority;	/* 0 normal, 1 urgent, -1 non-urgent (states.c) */
	int8_t hdr_priority;	/* what the cold headers state, set when chilled */
	bool final_newline : 1;
	bool damaged : 1;
	bool chilled : 1;
	bool spilled : 1;
	bool has_body_sha256 : 1;
	bool fz_mem : 1;	/* the frozen blocks are in memory, not spilled */
	bool qd_named : 1;	/* a missing record that a Queue.dat names (states.c) */
	bool pack_stored : 1;	/* pack, sources, env.rcpt_to and hdr.received lie in the
				 * report's store (message_store; message_free leaves them) */
	bool rec_stored : 1;	/* the record itself and its recipients lie in the
				 * report's record store (report_gather) */
	uint8_t fzcodes[IMCQ_FZ_CODES];	/* the frozen findings' codes (finding_code_id) */
	/* the newest frozen block: in memory, or in the report's spill */
	union {
		unsigned char *fzblk;
		uint64_t fzoff;
	};
	struct imcq_cold c;	/* last: not allocated once chilled */
};

/* One member seen in an input.  A million members make a million rows:
 * the fields are ordered for no padding (80 bytes), and the digest is kept
 * raw (inv_sha256_hex prints it). */
struct imcq_inv {
	char *member;		/* as stored (nested: outer!/inner) */
	const char *kind;	/* reader name, "archive", "directory", "unknown", "too-large" (static) */
	char *ambiguous;	/* other readers that bid the same, or NULL */
	uint64_t size;
	int64_t mtime;
	int input;
	int16_t bid;		/* the winning reader's bid (readers bid 0..100) */
	uint8_t place;		/* enum imcq_place */
	bool parsed : 1;
	bool has_sha256 : 1;	/* sha256_raw is set (not for links, directories, ...) */
	unsigned char sha256_raw[32];	/* of the whole member */
};
/* Set v's digest from 64 hex digits (sha256_final's). */
void inv_set_sha256(struct imcq_inv *v, const char *hex);
/* v's digest as 64 lower-case hex digits and a NUL; "" when it has none. */
void inv_sha256_hex(const struct imcq_inv *v, char out[65]);

struct imcq_input {
	char *path;
	const char *kind;	/* directory | archive | file */
	uint64_t size;
	char sha256[65];	/* of the file; for a directory: of its sorted manifest */
	int snapshot;
	int64_t mtime;
};

/* Queue.dat carving: how a value or a reference was found. */
enum imcq_qenc { IMCQ_QENC_ASCII, IMCQ_QENC_UTF16LE };
enum imcq_qkind {
	IMCQ_QK_ADDRESS, IMCQ_QK_HOST, IMCQ_QK_FILETIME, IMCQ_QK_TIME_T,
	IMCQ_QK_QUEUE_NAME,
};

/* Spool ids shorter than this live in the reference itself (IMS ids have
 * eight characters); longer ones in the file's long-id block. */
#define IMCQ_QREF_ID_INLINE 11

/*
 * One reference carved from a Queue.dat: 40 bytes.  Its nearest time,
 * address and host are values of the same file's carved strings, named by
 * index + 1 (0: none); read every field through the qref_* functions.
 */
struct imcq_qref {
	uint64_t offset;
	int32_t record;		/* candidate record index or -1 */
	uint32_t count;		/* occurrences of this id+encoding (>= 1) */
	uint32_t time_at;	/* nearest plausible time in the record, if any */
	uint32_t address_at;	/* nearest address in the record, if any */
	uint32_t host_at;
	uint8_t enc;		/* enum imcq_qenc */
	/* the spool id, NUL-terminated; or, for a long one, "" then '\1'
	 * then its offset in q->longids (a uint64_t, unaligned) */
	char id[IMCQ_QREF_ID_INLINE];
};

/* One carved value: 16 bytes.  Text kinds (address, host, queue-name) hold
 * the report's pooled copy; time kinds the time, printed in ISO form.  Read
 * through the qcarved_* functions. */
struct imcq_carved {
	uint64_t at;		/* offset << 3 | enum imcq_qkind */
	union {
		const char *value;	/* text kinds */
		int64_t time;		/* time kinds */
	} u;
};

struct imcq_queue_file {
	int input;
	char *member;
	char sha256[65];
	uint64_t size;
	int64_t mtime;
	int snapshot;
	struct imcq_qref *refs;
	size_t nrefs, refcap;
	struct imcq_carved *strings;
	size_t nstrings, strcap;
	char *longids;			/* spool ids too long to be inline */
	size_t nlongids, longidcap;
	/* Structure the carver could prove, with how sure it is. */
	uint32_t page_size;		/* 0 unknown */
	uint32_t record_stride;		/* 0 unknown */
	unsigned structure_confidence;	/* 0..100 */
	char *structure;		/* plain words */
	bool corrupt;
	char *corrupt_reason;
};

/* One routing-table line: GWART, Route.txt, IMCCOPY routes, registry. */
struct imcq_route_entry {
	int input;
	char *member;
	uint64_t line;
	uint64_t offset;
	const char *table;	/* gwart0 | gwart1 | route.txt | route.old | imccopy-routes | imccopy-domain */
	char *type;		/* SMTP, X400, MS, EX ... */
	char *space;		/* address space value ("*", "*@example.com", "") */
	int cost;		/* -1 unknown */
	char *connector;
	char *server;
	char *scope;		/* organization | site | location | NULL */
	char *host;		/* per-domain forward host/IP (IMS layer) */
	char *raw;
};

struct imcq_table_file {
	int input;
	char *member;
	const char *table;
	const char *style;	/* flat | tree | text | ini */
	int64_t mtime;
	int64_t newest_time;	/* newest time written inside, if any */
	int snapshot;
	char sha256[65];
	size_t nlines;
};

/* An event's recipients: an exact array (no spare capacity). */
struct imcq_evrcpts {
	char **v;
	size_t n;
};

/*
 * An event from a log: tracking or SMTP protocol log.  144 bytes (the
 * fields ordered for no padding; the small ones share a word).  A
 * reader builds it with its own strings (heap, or the report's pool's:
 * the `pooled` bits) and then calls event_pack, which moves the own ones
 * and the recipients into one allocation: rcpts.v is then its start and
 * IMCQ_EVT_PACKED is set.  The strings of an event are read-only once
 * it is packed.
 */
struct imcq_event {
	int input;
	int snapshot;
	int priority;
	signed int event_no : 24;	/* tracking event number (0..999999), else -1 */
	unsigned int pooled : 7;	/* IMCQ_EVT_POOL_*, IMCQ_EVT_PACKED */
	/* Times are server local wall-clock time, not UTC (protocol logs);
	 * the analyzer shifts them by --log-tz. */
	bool local_time : 1;
	char *member;
	uint64_t line;
	uint64_t offset;
	const char *source;	/* tracking | protocol-log | event-log */
	int64_t time;		/* UTC (protocol log: local time shifted by --log-tz) */
	char *time_raw;
	char *msg_id;		/* tracking field 1: Message-ID or MTS-ID */
	char *gateway;
	char *partner;
	char *remote_id;
	char *spool_id;		/* from "[XXXXXXXX]" in the remote id */
	char *originator;
	uint64_t length;
	struct imcq_evrcpts rcpts;
	char *text;		/* one-line description */
};
/* Bits of imcq_event.pooled (and imcq_session.pooled): the strings that
 * are the report's pool's (shared by the events of one log, never freed
 * on their own); the others are the event's own.  IMCQ_EVT_PACKED: the
 * event's own strings and its recipients are one block (event_pack). */
enum { IMCQ_EVT_POOL_MEMBER = 1, IMCQ_EVT_POOL_GATEWAY = 2, IMCQ_EVT_POOL_PARTNER = 4,
       IMCQ_EVT_POOL_TEXT = 8, IMCQ_EVT_POOL_TIME_RAW = 16, IMCQ_EVT_POOL_ORIGINATOR = 32,
       IMCQ_EVT_PACKED = 64,
       IMCQ_SES_POOL_MEMBER = 1, IMCQ_SES_POOL_REMOTE = 2, IMCQ_SES_POOL_HELO = 4,
       IMCQ_SES_POOL_MAIL_FROM = 8, IMCQ_SES_POOL_DOMAIN = 16 };

/* Append an own recipient to an event not yet packed (the array grows by
 * one: for tests and a few recipients; readers collect in a strv). */
void event_add_rcpt(struct imcq_event *e, char *owned);
/*
 * Move the event's own strings (those without a `pooled` bit) and its
 * recipients (the array and every string, all own) into one allocation,
 * and set IMCQ_EVT_PACKED.  A string equal to, or a tail of, another
 * shares its bytes.  No-op if packed already or if there is nothing to
 * pack.  Only the calling thread, before any analysis reads the event.
 */
void event_pack(struct imcq_event *e);
/* Move a packed event's block into the report's store (core/store.h) and
 * point at it there; nothing when the report has none, the event is not
 * packed or the store is full.  The log readers call it after event_pack. */
struct imcq_report;
void report_store_event(struct imcq_report *r, struct imcq_event *e);
/* Free the event's own strings (packed or not), not the slot. */
void event_release(struct imcq_event *e);
/* r->events[i] for a pass that reads the events at random (by a message's
 * ev_idx): a shallow copy in *buf read through the file of the store that
 * holds the array (store_copy_out; see qref_peek), else the event in
 * place.  Its strings are the event's (read in place).  Keep the address
 * &r->events[i], not the result, past the next call. */
const struct imcq_event *report_event_peek(const struct imcq_report *r, size_t i,
					   struct imcq_event *buf);
/* The same, and the event's own strings and recipients too (its packed
 * block, event_pack), read through the main store's file into buf's room
 * when the block lies there: the first IMCQ_EVREAD_ROOM bytes of it; a
 * string past them is read in place, and so is the member path, which
 * evidence items share (evlist_add_ref).  Always a copy (buf->e). */
#define IMCQ_EVREAD_ROOM 1024
struct imcq_evread {
	struct imcq_event e;
	_Alignas(max_align_t) char room[IMCQ_EVREAD_ROOM];
};
const struct imcq_event *report_event_read(const struct imcq_report *r, size_t i,
					   struct imcq_evread *buf);

/* One SMTP protocol-log session (one L*.LOG connection). */
struct imcq_session {
	int input;
	char *member;
	uint64_t line_first, line_last;
	int64_t start, end;	/* UTC, shifted by --log-tz */
	char *remote;		/* IP or host of "connection to X established" */
	const char *direction;	/* outbound | inbound | unknown */
	char *helo;
	char *mail_from;
	struct imcq_strv rcpts;
	struct imcq_strv replies;	/* server replies "250 ..." in order */
	int last_code;
	char *subject;		/* from a "Rescheduling" line */
	char *domain;		/* from "No routing hosts ... for <domain>" */
	const char *outcome;	/* delivered | deferred | rejected | dns-failure | connect-failed | incomplete */
	char *outcome_line;
	int snapshot;
	/* Times are server local wall-clock time, not UTC; the analyzer
	 * shifts them by --log-tz. */
	bool local_time;
	unsigned char pooled;	/* IMCQ_SES_POOL_* */
};

/* One configuration value: registry exports, IMCCOPY INI. */
struct imcq_config {
	int input;
	char *member;
	uint64_t line;
	char *key;		/* registry key or INI section */
	char *name;
	char *value;		/* text form: dword as decimal, sz as is */
	const char *type;	/* sz | dword | binary | multi_sz | expand_sz | ini */
	int snapshot;
};

struct imcq_snapshot {
	int index;
	int *inputs;
	size_t ninputs;
	char *server;
	int64_t newest_time;
};

/* The incident in plain words (composed by the analyzer from findings). */
struct imcq_incident {
	char *headline;
	struct imcq_strv lines;		/* what, since when, why */
	char *cause;			/* finding code of the main cause */
	int64_t since;			/* oldest stuck message */
	struct imcq_strv kb;		/* KB references */
	struct imcq_strv commands;	/* recovery commands */
};

/* Interned strings: one copy of each distinct string, freed with the
 * report (routing decisions repeat per recipient of a domain). */
struct imcq_strpool {
	char **slot;		/* open addressing, NULL = empty */
	size_t nslot, n;
	char *chunk;		/* current arena chunk */
	size_t chunk_left;
	char **chunks;
	size_t nchunks, chunkcap;
};
/* The pool's copy of s (NULL for NULL). */
const char *strpool_intern(struct imcq_strpool *p, const char *s);
void strpool_release(struct imcq_strpool *p);
/* Move a finished route's strings and its evidence strings into the pool
 * (they become shared and read-only; route_release leaves them). */
void route_pool(struct imcq_strpool *p, struct imcq_route *r);

struct imcq_report;

/* Routes (struct imcq_route) are shared: recipients routed alike point to
 * one copy (a hundred thousand recipients of a few hundred domains make a
 * few hundred routes).  The rule of an address no address space matches
 * names the address: it leaves a place for it (addr_at), so that route too
 * is one a domain, except for an address too long for the rule to hold
 * whole, which has a route of its own. */
struct imcq_routeset {
	struct imcq_route **slot;	/* open addressing, NULL = empty */
	uint64_t *hash;			/* of each slot's route (route_hash) */
	size_t nslot, n;
};
/*
 * Return the report's copy of a route equal to fresh, field by field: an
 * earlier one (fresh is then freed), or fresh itself, its strings now
 * pooled (route_pool) and the report's.  fresh must come from
 * route_new.  Calling thread only (the pool and the set change).
 */
const struct imcq_route *report_intern_route(struct imcq_report *r, struct imcq_route *fresh);
struct imcq_route *route_new(void);
/* Free a route that was not interned (its strings, evidence and itself). */
void route_free(struct imcq_route *rt);

struct imcq_spill;

struct imcq_report {
	struct imcq_limits lim;
	struct imcq_strpool pool;
	struct imcq_routeset routeset;
	/* chill: report_add_message chills every message (message_chill);
	 * spill: where the blocks go (core/spill.h), NULL: they stay in
	 * memory, encoded.  The spill is closed by report_release. */
	bool chill;
	struct imcq_spill *spill;
	/* store (core/store.h): where report_add_message moves a message's
	 * strings (its pack), read in place; NULL: they stay in the heap.
	 * Sealed at the end of ingest, closed by report_release after the
	 * messages. */
	struct imcq_store *store;
	/* rstore: where report_gather moves the records and their recipients
	 * once ingest is done, in spool-id order, written in place by the
	 * analysis (never sealed); NULL: they stay in the heap.  A message
	 * added after ingest (states.c's missing records), when store is
	 * sealed, puts its block (message_store) here too.  Closed by
	 * report_release after the messages. */
	struct imcq_store *rstore;
	/* rec_heap: bytes of chilled records and their recipients kept in
	 * the heap so far; once it reaches rec_heap_max, report_add_message
	 * moves each further one into rstore (0: from the first), and, while
	 * ingest_over is not set, the ones kept so far too (records_to_store;
	 * rec_heap is then what the store could not take).  A run whose records fit in the
	 * heap pays nothing for the store (no gather, no faults);
	 * pipeline_run sets the maximum (64 MiB, IMCQ_RECORDS_HEAP=N). */
	uint64_t rec_heap, rec_heap_max;
	bool rec_heap_full;	/* rec_heap reached rec_heap_max */
	/* ingest_over: pipeline_run is past ingest; the analysis may hold
	 * records' addresses, so report_add_message moves no earlier record */
	bool ingest_over;
	/* gathered: report_gather copied the records and blocks into rstore
	 * in spool-id order (else the blocks lie in store, in ingest's) */
	bool gathered;
	/* drop_details (imcq_opts.lean): chilling drops the cold
	 * fields instead of encoding them, freezing keeps the findings'
	 * codes and drops the rest; message_thaw and message_findings_get
	 * are then a bug (BUG()), and the analysis does not call them
	 * (report_keeps_details). */
	bool drop_details;
	/* no_hashes (imcq_opts.lean too): ingest hashes no member and no
	 * input (the run prints no digest; the messages' bodies are
	 * hashed all the same: the cross-checks compare them).  Their
	 * digests stay empty: inventory rows without has_sha256, entries
	 * with sha256 NULL, inputs with sha256 "". */
	bool no_hashes;
	struct imcq_incident incident;
	int64_t reference_time;
	const char *reference_source;	/* "--now" | evidence description (static) */
	/* --where of `analyze`: the expression (the option's string, not
	 * owned) and how many messages the analysis had before it selected
	 * (cmd_analyze.c apply_where); NULL when every message is reported */
	const char *where_expr;
	size_t where_of;

	struct imcq_input *inputs;
	size_t ninputs, inputcap;
	struct imcq_inv *inv;
	size_t ninv, invcap;
	/* inv_stored: inv lies in istore, where the array moved once it
	 * passed rec_heap_max / 4 bytes (a million rows are 80 MiB) and
	 * grows in place (report_add_inv); the members of the rows added
	 * from then on lie in mstore.  The rows stay writable. */
	bool inv_stored;
	struct imcq_store *istore;	/* the rows' own (pipeline_run opens it with rstore) */
	struct imcq_store *mstore;	/* the members' (a message's sources point there too) */
	struct imcq_message **msgs;	/* pointers: sorting moves pointers only */
	size_t nmsgs, msgcap;
	/* report_order_mem: rep->msgs's indices in the order of the records'
	 * addresses (nmord == nmsgs when set); read through report_mi */
	uint32_t *mord;
	size_t nmord;
	struct imcq_queue_file *qfiles;
	size_t nqfiles, qfcap;
	struct imcq_table_file *tables;
	size_t ntables, tablecap;
	struct imcq_route_entry *routes;
	size_t nroutes, routecap;
	struct imcq_event *events;
	size_t nevents, eventcap;
	/* events_stored: events lies in a store -- estore, where the array
	 * moved once it passed rec_heap_max / 4 bytes and grows in place
	 * (report_add_event), or rstore, where report_gather copied it (no
	 * more adds then) */
	bool events_stored;
	struct imcq_store *estore;	/* the events' own (pipeline_run opens it with rstore) */
	struct imcq_session *sessions;
	size_t nsessions, sesscap;
	struct imcq_config *config;
	size_t nconfig, configcap;
	struct imcq_snapshot *snaps;
	size_t nsnaps, snapcap;
	struct imcq_findlist findings;
	struct imcq_anomaly *anoms;
	size_t nanoms, anomcap;
	uint64_t anoms_dropped;
	unsigned unreadable;	/* members or inputs that could not be read (exit 1) */
	struct imcq_strv changes_appeared, changes_disappeared, changes_persisted;
};

void report_init(struct imcq_report *r);
void report_release(struct imcq_report *r);

/*
 * Memory order (issue #9, round 11).  rep->msgs is in spool-id order, the
 * order of every report; the records lie in memory in the order ingest
 * read them (the archive's), so a pass over rep->msgs in index order
 * jumps across memory and waits for it at every message (at 1M messages,
 * half of the analysis).  report_order_mem sets rep->mord to the indices
 * of rep->msgs sorted by the records' addresses; call it after any change
 * to rep->msgs.  A pass that reads and writes only its own message (and
 * slots indexed by the message's index) visits k = 0 .. nmsgs - 1 as
 * report_mi(rep, k): the same results in any order, the memory in order.
 * Any permutation is correct, so a stale order costs only time; with
 * another count (or none) report_mi is the identity.
 */
void report_order_mem(struct imcq_report *r);
/* The indices of v[0 .. n-1] sorted by the addresses they hold (a new
 * array), or NULL for fewer than two or more than UINT32_MAX. */
uint32_t *mem_order(void *const *v, size_t n);
/* The k-th index of order ord (mem_order's), or k when there is none. */
static inline size_t
ord_at(const uint32_t *ord, size_t k)
{
	return ord != NULL ? ord[k] : k;
}
static inline size_t
report_mi(const struct imcq_report *r, size_t k)
{
	return ord_at(r->nmord == r->nmsgs ? r->mord : NULL, k);
}
/*
 * The end of a command's report, just before the program exits: freeing a
 * million-message model one allocation at a time costs seconds and gives
 * nothing back that exit would not (git's UNLEAK).  Hands the report to a
 * static holder, so it stays reachable (no leak for LeakSanitizer or
 * valgrind); sanitizer builds, and IMCQ_FREE_AT_EXIT=1, release it for
 * real, so leak checks still see every allocation freed.
 */
void report_dispose(struct imcq_report *r);

/*
 * After ingest, when the report's large arrays (inventory, log events and
 * sessions, routing entries and tables, config, Queue.dat references) stop
 * growing: cut each to its length, so the doubling's spare slots are not
 * held through the analysis.  A later push grows it again as before.
 */
void report_trim(struct imcq_report *r);

void anomaly_add(struct imcq_report *r, const char *code, enum imcq_sev sev,
		 int input, const char *member, uint64_t offset,
		 const char *fmt, ...) IMCQ_PRINTF(7, 8);

struct imcq_message *message_new(void);
void message_free(struct imcq_message *m);
/* The report takes ownership, chills the message when r->chill (it may
 * then move: do not use m afterwards, use r->msgs[r->nmsgs - 1]) and packs
 * it (message_pack). */
void report_add_message(struct imcq_report *r, struct imcq_message *m);
/*
 * Move the strings the readers set (all but a recipient's status and the
 * state reason, which the analyzer replaces) into one block, and trim every
 * vector to its length: a million messages otherwise pay malloc's overhead
 * on ~100 small strings each.  Packed strings are read-only: free or
 * replace them only through message_free.  Idempotent.
 */
void message_pack(struct imcq_message *m);
/*
 * Cold fields (struct imcq_cold, core/chill.c): message_chill encodes them
 * into one block (or, when drop, encodes nothing: the run will not print
 * them), frees them and returns the message moved into an allocation that
 * ends before m->c (m itself is freed; call it before message_pack, before
 * the message is stored anywhere).
 * report_add_message chills every message when rep->chill is set (dropping
 * when rep->drop_details) and moves the block to rep->spill when there is
 * one.  message_thaw gives a message to print: m itself when it is not
 * chilled, else a full-size copy in t with the cold fields read back (any
 * thread; the copy shares m's other fields, read-only);
 * message_thawed_release frees what the copy added.
 */
struct imcq_message *message_chill(struct imcq_message *m, bool drop);
struct imcq_store;
/* Move m's packed strings, and the arrays no stage changes once m is in
 * the report (envelope recipients, Received hops, sources), into st
 * (core/store.h) as one block and point at them there (pack_stored);
 * the spool id, which almost every pass reads, gets a heap copy.  Nothing
 * when m has no pack or st is full.  report_add_message does it when the
 * report has a store; from then on those arrays do not grow. */
void message_store(struct imcq_store *st, struct imcq_message *m);
/* When report_add_message moved records into r->rstore (rec_heap_max
 * reached), copy every chilled record, its recipients (which no stage adds
 * to after ingest) and its stored block (message_store's) into the record
 * store again, in rep->msgs's order -- spool-id order, after pipeline_run's
 * sort -- so that a pass over rep->msgs reads the store in order; point
 * rep->msgs at them (rec_stored), free the heap copies, drop the records'
 * old places (store_drop), then report_order_mem.  Nothing when no record
 * went to the store, or when it cannot take the copies (they stay where
 * they are).  Nothing may hold a record's or a recipient's address
 * across it. */
void report_gather(struct imcq_report *r);
/* Whether the run keeps the messages' details: their cold fields
 * (message_thaw) and their findings' texts (message_findings_get). */
bool report_keeps_details(const struct imcq_report *r);
/* Free the cold fields of an unchilled message (message_chill's work once
 * they are encoded). */
void message_drop_cold(struct imcq_message *m);
/* Free the vectors of c (not their strings) and zero it: message_drop_cold
 * and message_thawed_release (whose strings are in the block). */
void cold_free_vectors(struct imcq_cold *c);
struct imcq_thawed {
	struct imcq_message m;
	struct imcq_msgim im;	/* m's own copy (its hops differ) */
	unsigned char *buf;	/* the block read back from the spill */
	struct imcq_hop *hops;	/* m's Received hops with their raw texts */
	bool used;
};
const struct imcq_message *message_thaw(const struct imcq_report *r,
					const struct imcq_message *m,
					struct imcq_thawed *t);
void message_thawed_release(struct imcq_thawed *t);
/*
 * Frozen findings (issue #9).  A message's findings are kept for the
 * reports once the analysis has added them; message_findings_freeze
 * encodes the live ones (m->findings) into a block, in the report's spill
 * when there is one, else in memory, chained to the block frozen before,
 * and frees them: only their codes stay in the record (m->fzcodes).  A
 * later step may add live findings again and freeze them in turn.  Only
 * messages whose codes are all known (finding_code_id) and number at most
 * IMCQ_FZ_CODES in all are frozen; the others keep their findings live.
 * Any thread, one message at a time (spill_put needs no lock).
 *
 * Read a message's findings through message_nfindings and
 * message_finding_code (the codes, in order: frozen first, then live), or
 * message_findings_get (the whole findings, a copy the caller releases
 * with findlist_release; read their texts with finding_message and
 * evidence_excerpt as for any finding).
 */
void message_findings_freeze(const struct imcq_report *r, struct imcq_message *m);
/*
 * The same, but a lean run keeps the block as well: for a step that
 * freezes findings before the analysis has read them all (states.c
 * make_missing: a million missing records' findings would otherwise stay
 * live through the joins).  Until a lean run's report_freeze_findings,
 * message_findings_get reads them; after it, only their codes.
 */
void message_findings_freeze_early(const struct imcq_report *r, struct imcq_message *m);
/* Whether one of m's frozen findings has this code (finding_code_id's
 * index; -1: none has). */
bool message_has_frozen(const struct imcq_message *m, int code_id);
/* Freeze the findings of every message (par_for; after the analysis). */
void report_freeze_findings(struct imcq_report *r);
size_t message_nfindings(const struct imcq_message *m);
const char *message_finding_code(const struct imcq_message *m, size_t i);
void message_findings_get(const struct imcq_report *r, const struct imcq_message *m,
			  struct imcq_findlist *out);
/* Free the frozen blocks a message holds in memory (message_free). */
void message_findings_drop(struct imcq_message *m);
/* The index of a finding code (PRODUCT.md) in the table, or -1; and the
 * code of an index. */
int finding_code_id(const char *code);
const char *finding_code_name(unsigned id);
/* The priority the headers state (Priority, then Importance, then
 * X-Priority: 1 urgent, -1 non-urgent, 0 normal, 2 none): read from the
 * cold headers, or, once chilled, what message_chill saved of them. */
int message_header_priority(const struct imcq_message *m);
/* The body's SHA-256 as 64 hex digits and a NUL; "" when it has none. */
void message_body_sha256_hex(const struct imcq_message *m, char out[65]);
/* Add a copy of src, unbound (src->inv is ignored): the member string is
 * copied, the digest is not kept. */
void message_add_source(struct imcq_message *m, const struct imcq_source *src);
/* Bind m's unbound sources to inventory row inv of r (the member the
 * reader read them from): each drops its copy of the member for the row's
 * string.  Only on the calling thread, once the row is in r. */
void message_bind_source(const struct imcq_report *r, struct imcq_message *m, size_t inv);
/* The SHA-256 of s's whole member, 64 lower-case hex digits, from its
 * inventory row in r (the message's report); "" for an unbound source.
 * The row is read through the inventory's store when it lies there
 * (store_copy_out): the report writers visit the messages in spool-id
 * order, the rows lie in the members' order (issue #9). */
void source_sha256_hex(const struct imcq_report *r, const struct imcq_source *s,
		       char out[65]);
/* s's member: a copy in buf (cap bytes) read through the members' store
 * when it lies there and fits, else s->member itself (NULL: none); for
 * the report writers, as source_sha256_hex. */
const char *source_member(const struct imcq_report *r, const struct imcq_source *s,
			  char *buf, size_t cap);
void message_add_rcpt(struct imcq_message *m, const char *address);
void message_add_gap(struct imcq_message *m, uint64_t off, const unsigned char *p, size_t n);
void headers_add_hop(struct imcq_headers *h, struct imcq_hop *hop);
void message_add_part(struct imcq_message *m, struct imcq_mime_part *p);
void message_seen_in(struct imcq_message *m, unsigned snap);
/* Mark m damaged (state damaged) for the reason why, copied; a reason set
 * before is replaced.  The readers' one way to say a member is not a
 * readable message, so that it still is one record. */
void message_damage(struct imcq_message *m, const char *why);

struct imcq_queue_file *report_add_qfile(struct imcq_report *r);
/* Append a copy of inventory row v (the report takes v->member and
 * v->ambiguous); the row's place, valid until the next add.  Past
 * rec_heap_max / 4 bytes the rows go to r->istore and their members to
 * r->mstore (calling thread, at ingest). */
struct imcq_inv *report_add_inv(struct imcq_report *r, const struct imcq_inv *v);
/* A new reference to spool_id at offset, its other fields zero (no time,
 * address or host); valid until the next qfile_add_ref. */
struct imcq_qref *qfile_add_ref(struct imcq_queue_file *q, const char *spool_id,
				uint64_t offset);
/* Add a carved text value (the report's pool keeps it: calling thread
 * only) or a carved time; return its index + 1 (for a qref's *_at). */
uint32_t qfile_add_text(struct imcq_report *r, struct imcq_queue_file *q,
			enum imcq_qkind kind, uint64_t offset, const char *value);
uint32_t qfile_add_time(struct imcq_queue_file *q, enum imcq_qkind kind,
			uint64_t offset, int64_t t);
/* The file is carved: give back the vectors' spare room. */
void qfile_done(struct imcq_queue_file *q);
/* qfile_done, and past rec_heap_max / 4 bytes (a million references and
 * their times are 54 MiB) the references and the carved values move to
 * r->store, read in place: nothing may be added to q after this
 * (calling thread, at ingest; report_trim calls it for every file). */
void report_store_qfile(struct imcq_report *r, struct imcq_queue_file *q);
const char *qref_spool_id(const struct imcq_queue_file *q, const struct imcq_qref *r);
const char *qref_encoding(const struct imcq_qref *r);	/* "ascii" | "utf16le" */
int64_t qref_time(const struct imcq_queue_file *q, const struct imcq_qref *r);
/* The offset of that time (IMCQ_NOOFF when none). */
uint64_t qref_time_offset(const struct imcq_queue_file *q, const struct imcq_qref *r);
const char *qref_address(const struct imcq_queue_file *q, const struct imcq_qref *r);
const char *qref_host(const struct imcq_queue_file *q, const struct imcq_qref *r);
/*
 * A Queue.dat's reference read at random (states.c's missing records, in
 * spool-id order): q->refs[j] and the carved values it names, through the
 * store's file when they lie there (store_copy_out: a fault in the
 * mapping maps 16 pages, and a million of them kept the kernel busier
 * than the analysis), else in place.  *buf holds the copy; qref_spool_id
 * and qref_encoding read it as the original.
 */
struct imcq_qpeek {
	struct imcq_qref r;
	int64_t time;		/* qref_time */
	const char *address;	/* qref_address */
};
void qref_peek(const struct imcq_report *rep, const struct imcq_queue_file *q, size_t j,
	       struct imcq_qpeek *buf);
uint64_t qcarved_offset(const struct imcq_carved *c);
/* "address" | "host" | "filetime" | "time_t" | "queue-name" */
const char *qcarved_kind(const struct imcq_carved *c);
bool qcarved_is_time(const struct imcq_carved *c);
/* The time of a time kind; IMCQ_NOTIME for a text kind. */
int64_t qcarved_time(const struct imcq_carved *c);
/* The value as printed: the text, or the time in ISO form (in buf). */
const char *qcarved_value(const struct imcq_carved *c, char buf[32]);
struct imcq_route_entry *report_add_route(struct imcq_report *r);
struct imcq_table_file *report_add_table(struct imcq_report *r);
struct imcq_event *report_add_event(struct imcq_report *r);
struct imcq_session *report_add_session(struct imcq_report *r);
struct imcq_config *report_add_config(struct imcq_report *r);

/* Lower-case domain part of an address ("" when none); caller frees. */
char *imcq_addr_domain(const char *addr);
/* Is s a plausible IMS spool id: 8 characters [0-9A-Za-z]? */
bool imcq_is_spool_id(const char *s, size_t n);

#endif
