/* SPDX-License-Identifier: MIT */
/*
 * snapshots.h - one snapshot per INPUT: its server, its newest time, the
 * reference time of the run, which snapshots hold each message, and what
 * changed between consecutive snapshots of the same server.
 *
 * Server name, first found wins (DOMAIN.md 1.1, 1.3, 5.7):
 *   1. registry values ComputerName, Hostname, X500DN (the cn after
 *      cn=Servers);
 *   2. the `by` host of the IMS Received lines whose id is the file's
 *      spool id (the IMS stamps its own host name; the most frequent one);
 *   3. the one server named by Route.txt entries, or by the Internet Mail
 *      connectors of the GWART when only one is listed ("Internet Mail
 *      Connector (EXB2)");
 *   4. the folder above Exchsrvr or Imcdata in member paths
 *      ("EXB2/Exchsrvr/Imcdata/Out/..."), unless it is a drive or a
 *      generic word.
 * The short name (first DNS label) is reported in upper case; nothing is
 * said when none is found.  Two snapshots are of different servers only
 * when both name one and the names differ.
 *
 * Newest time of a snapshot: the newest member mtime, tracking-log time,
 * protocol-log time (only once shifted by --log-tz) or time written inside
 * a routing table that another such time corroborates (one within
 * SNAP_CORROBORATE before it); a lone newer time is an outlier, reported
 * as an anomaly.  With none of these, the newest IMS Received date of the
 * snapshot's own spool files (hop id = spool id).  Never the wall clock.
 * The run's reference time is --now, else the newest snapshot time.
 *
 * Consecutive snapshots: those of one server ordered by newest time (then
 * by index); appeared / disappeared / persisted compare the spool ids of
 * the files in Out, In, Work and Pickup.
 */
#ifndef IMCQ_SNAPSHOTS_H
#define IMCQ_SNAPSHOTS_H

#include "analyzer/core/model.h"
#include "analyzer/pipeline.h"

#define SNAP_CORROBORATE	(7 * 86400)
#define SNAP_DOS_EPOCH		((int64_t)315619200)	/* 1980-01-02: zip "no date" */

/* Fill rep->snaps (one per input), their servers and newest times. */
void snapshots_build(struct imcq_report *rep);

/* Set rep->reference_time and rep->reference_source (after build). */
void snapshots_reference(struct imcq_report *rep, const struct imcq_opts *o);

/* Add to each message's seen_in every snapshot holding the same spool id
 * with the same content hash, or the same Message-ID; msgid_cls is
 * joins_key_classes(rep, JK_MSGID), which states.c's duplicate groups
 * read too. */
void snapshots_seen_in(struct imcq_report *rep, const uint32_t *msgid_cls);

/* Fill rep->changes_* between consecutive snapshots of the same server. */
void snapshots_compare(struct imcq_report *rep);

/* Spool-id key of a Received id ("<ABCD1234>" or "ABCD1234"), upper case,
 * or NULL.  Caller frees. */
char *snapshots_hop_spool_key(const char *id);

/* The IMS Received hop whose id is the message's spool id, or NULL. */
const struct imcq_hop *snapshots_own_hop(const struct imcq_message *m);

/* Is the message a file in a live queue (Out, In, Work, Pickup)? */
bool snapshots_live(const struct imcq_message *m);

#endif
