/* SPDX-License-Identifier: MIT */
/*
 * diagnose.h - the routing context of one run, the diagnoses drawn from it
 * (findings), and the incident composed from the findings.
 *
 * analyze_routing (routing.c) builds one struct rsnap per snapshot: the
 * routing tables of that snapshot (GWART0/GWART1, Route.txt/Route.old,
 * IMCCOPY routes), the IMS settings found in it, the server's name and how
 * much log evidence it holds.  It routes every recipient (the MTA layer
 * with routing_engine.h, then the IMS layer), then calls diagnose_run and
 * incident_compose.
 *
 * Finding codes written here (PRODUCT.md fixes the first six; the others
 * are new, each explained in its message):
 *   STALE_ROUTING         Q268494: the IMS has not re-read a routing table
 *                         that changed while mail was queued (DOMAIN.md 5.6)
 *   NO_ROUTE              no address space matches a recipient (Q229961)
 *   NO_DELIVERY_ATTEMPT   queued past the first retry interval (Q146669)
 *                         with no session and no tracking 1011
 *   DNS_FAILURE           499 "No routing hosts are reachable", DNS-worded
 *                         421/451 replies, events 2006/3010/3011 (Q228725,
 *                         Q239816, Q146944)
 *   SMART_HOST_FAILURE    failed sessions with the configured "forward all
 *                         messages to host" (Q246580, Q283255, Q285023)
 *   REMOTE_REJECT         5xx to MAIL, RCPT or DATA (Q245787)
 *   INBOUND_ONLY_ROUTED   new: the IMS's transfer mode is Inbound Only or
 *                         None, yet the GWART still gives its connector an
 *                         SMTP address space, so the MTA keeps queuing mail
 *                         to it (DOMAIN.md 8 story 2; Q238719, Q285090)
 *   DELIVERY_EVIDENCE_ABSENT  new, info: mail is queued past the first
 *                         retry interval but the snapshot holds neither
 *                         protocol logs nor tracking logs, so whether
 *                         delivery was attempted cannot be judged
 *
 * Ownership: the context borrows the report (pointers into rep->routes,
 * rep->tables, rep->config stay valid: nothing is added to those arrays
 * while it lives) and owns its arrays and server names (rctx_release).
 */
#ifndef IMCQ_DIAGNOSE_H
#define IMCQ_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/model.h"
#include "analyzer/pipeline.h"

/* Default RouteCalculationInterval, minutes (Q153655 section 1.9.6). */
#define DIAG_ROUTE_INTERVAL_DEFAULT	15
/* Time-zone offsets span UTC-12:00 .. UTC+14:00: bounds for local times. */
#define DIAG_TZ_WEST	(12 * 3600)
#define DIAG_TZ_EAST	(14 * 3600)
/* Messages named one by one in a finding message; the rest are counted. */
#define DIAG_IDS_NAMED	12
/* Evidence entries of one kind attached to one finding. */
#define DIAG_EV_MAX	8

enum diag_mode {
	DIAG_MODE_UNKNOWN = 0,	/* not in the evidence, or not interpretable */
	DIAG_MODE_BOTH,		/* Inbound & Outbound */
	DIAG_MODE_IN,		/* Inbound Only */
	DIAG_MODE_OUT,		/* Outbound Only */
	DIAG_MODE_NONE,		/* None (Flush Queues) */
};

/* Diagnoses, in the incident's order of priority (the first present in a
 * snapshot is its main cause). */
enum diag_code {
	DC_STALE = 0,		/* STALE_ROUTING */
	DC_INONLY,		/* INBOUND_ONLY_ROUTED */
	DC_SMARTHOST,		/* SMART_HOST_FAILURE */
	DC_DNS,			/* DNS_FAILURE */
	DC_NOROUTE,		/* NO_ROUTE */
	DC_REJECT,		/* REMOTE_REJECT */
	DC_NOATTEMPT,		/* NO_DELIVERY_ATTEMPT */
	DC_ABSENT,		/* DELIVERY_EVIDENCE_ABSENT */
	DC_COUNT
};
const char *diag_code_name(enum diag_code d);

struct rt_list {
	const struct imcq_route_entry **v;
	size_t n, cap;
};

/* One snapshot's routing evidence. */
struct rsnap {
	int snap;
	bool used;
	char *server;			/* e.g. "EXB2", or NULL */
	const char *server_basis;	/* how it was found (static text) */
	int input;			/* first input of the snapshot */
	int64_t time;			/* newest file time in the snapshot */
	const struct imcq_table_file *gw0, *gw1, *rtxt, *rold, *imccopy;
	const struct imcq_table_file *cur;	/* routed on: gw0, else gw1 */
	struct rt_list cur_e, prev_e, rtxt_e, imccopy_e;
	const struct imcq_config *interval_cfg, *mode_cfg, *smarthost_cfg,
				 *sitedomain_cfg;
	long interval;			/* RouteCalculationInterval, minutes */
	enum diag_mode mode;
	size_t nsessions, ntracking, neventlog;
	/* filled by diagnose_run */
	struct imcq_message **stuck;	/* stuck messages, by spool id */
	uint32_t *stuck_mo;		/* their indices in memory order (mem_order), or NULL */
	size_t *subj;			/* sessions quoting a subject */
	size_t nsubj;
	size_t nstuck, nexpired;
	int64_t oldest_stuck;
	long fidx[DC_COUNT];		/* report-wide finding index, -1 none */
	char *why[DC_COUNT];		/* one sentence for the incident */
	char *means[DC_COUNT];		/* what it means, for the incident */
};

/* The index in s->stuck of the k-th stuck message in memory order
 * (model.h): for the loops whose result has no order. */
static inline size_t
stuck_at(const struct rsnap *s, size_t k)
{
	return ord_at(s->stuck_mo, k);
}

/* A protocol-log event and its index in rep->events. */
struct diag_plref {
	const struct imcq_event *e;
	size_t idx;
};

/* An inventory row in rctx's index: 16 bytes, read from the index alone
 * until a hash matches (issue #9: the rows may lie in a store, and a sort
 * by member name would read them at random). */
struct rinv {
	uint64_t h;		/* tab_hash of the member ("" for none) */
	int32_t input;
	uint32_t row;		/* index in rep->inv */
};

struct rctx {
	struct imcq_report *rep;
	const struct imcq_opts *o;
	struct rsnap *s;
	size_t ns;
	int64_t now;			/* --now, else the reference time */
	/* the inventory's rows by (input, hash of the member, row), for
	 * member mtimes (routing.c rctx_member_mtime) */
	struct rinv *inv;
	size_t ninv;
	/* protocol-log events sorted by (input, member, line) */
	struct diag_plref *pl;
	size_t npl;
};

/* The snapshot's context, or NULL. */
struct rsnap *rctx_snap(const struct rctx *c, int snap);
/* mtime of a member of an input, or IMCQ_NOTIME. */
int64_t rctx_member_mtime(const struct rctx *c, int input, const char *member);
/* "now" for a snapshot's ages: --now, else the snapshot's newest time. */
int64_t rctx_now(const struct rctx *c, const struct rsnap *s);

/* Is m stuck: a readable Out file awaiting delivery or expired? */
bool diag_is_stuck(const struct imcq_message *m);
/* "2026-11-25 13:02 UTC" (or "an unknown time"). */
void diag_fmt_time(int64_t t, char out[40]);
/* The earliest and latest UTC a session can have started (protocol logs
 * are in local time; without --log-tz the zone is open, and the log file's
 * mtime caps the start). */
void diag_session_bounds(const struct rctx *c, const struct imcq_session *s,
			 int64_t *lo, int64_t *hi);
/* The same for a protocol-log or other event. */
void diag_event_bounds(const struct rctx *c, const struct imcq_event *e,
		       int64_t *lo, int64_t *hi);

/* Draw every finding (rep->findings and message findings). */
void diagnose_run(struct rctx *c);
/* Compose rep->incident from the findings. */
void incident_compose(struct rctx *c);

/* "imcq recover --to pickup --out recovered-SERVER --where '...' INPUT..."
 * for the snapshot's inputs; caller frees. */
char *diag_recover_cmd(const struct rctx *c, const struct rsnap *s);

/* Shell-quote s for a command line (single quotes when needed); caller
 * frees. */
char *diag_shell_quote(const char *s);

#endif
