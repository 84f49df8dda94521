#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Message states, queue times and the queue cross-checks on the Q268494
# sample, checked against samples/q268494/facts.json (never hard-coded ids).
. "$(dirname "$0")/lib.sh"
need python3

S="$IMCQ_SRC/samples/q268494"
[ -f "$S/facts.json" ] || { echo "skip: sample not generated"; exit 77; }

for srv in B A; do
	zip="$S/server$srv-imcdata.zip"
	if expect_rc 0 "$IMCQ" analyze --json "$zip"; then
		cp "$TMP/.out" "$TMP/$srv.json"
		ok "analyze server $srv"
	else
		fail "analyze server $srv"
		continue
	fi
	# reproducible: a second run gives the same bytes
	"$IMCQ" analyze --json "$zip" >"$TMP/$srv.2.json" 2>/dev/null
	cmp -s "$TMP/$srv.json" "$TMP/$srv.2.json" && ok "server $srv: deterministic" ||
		fail "server $srv: two runs differ"
done

python3 - "$S/facts.json" "$TMP/B.json" "$TMP/A.json" <<'EOF' || FAILS=$((FAILS + 1))
import json, sys

facts = json.load(open(sys.argv[1]))
bad = 0


def check(cond, what):
    global bad
    if cond:
        print("ok:", what)
    else:
        print("FAIL:", what, file=sys.stderr)
        bad += 1


def codes(m):
    return [f["code"] for f in m["findings"]]


for name, path in (("EXB2", sys.argv[2]), ("EXA1", sys.argv[3])):
    try:
        rep = json.load(open(path))
    except OSError:
        continue
    F = facts["servers"][name]
    by = {}
    for m in rep["messages"]:
        by.setdefault((m["spool_id"], m["queue"]), m)
    out = lambda sid: by.get((sid, "out"))

    check(rep["reference_time"] == F["reference_time"],
          "%s: reference time %s" % (name, rep["reference_time"]))
    check(len(rep["snapshots"]) == 1 and rep["snapshots"][0]["server"] == name,
          "%s: snapshot server %s" % (name, rep["snapshots"][0].get("server")))

    for sid in F["awaiting_delivery"]:
        m = out(sid)
        check(m is not None and m["state"] == "awaiting-delivery",
              "%s %s awaiting-delivery (%s)" % (name, sid, m and m["state"]))
    for sid in F["expired"]:
        m = out(sid)
        check(m is not None and m["state"] == "expired" and "EXPIRED" in codes(m),
              "%s %s expired with EXPIRED" % (name, sid))
    want_exp = set(F["expired"])
    got_exp = {m["spool_id"] for m in rep["messages"] if m["state"] == "expired"}
    check(got_exp == want_exp, "%s: exactly the expired set %s" % (name, sorted(got_exp)))
    for sid in F.get("awaiting_conversion", []):
        m = by.get((sid, "in"))
        check(m is not None and m["state"] == "awaiting-conversion",
              "%s %s awaiting-conversion" % (name, sid))
    for sid in F["missing"]:
        ms = [m for m in rep["messages"] if m["spool_id"] == sid]
        check(len(ms) == 1 and ms[0]["state"] == "missing" and not ms[0]["sources"]
              and "MISSING_SPOOL_FILE" in codes(ms[0]),
              "%s %s missing with MISSING_SPOOL_FILE" % (name, sid))
    qd_offsets = {(r["spool_id"], r["offset"]) for r in F.get("queue_dat", {}).get("records", [])}
    for sid in F["missing"]:
        ms = [m for m in rep["messages"] if m["spool_id"] == sid]
        ev = [e for m in ms for f in m["findings"] if f["code"] == "MISSING_SPOOL_FILE"
              for e in f["evidence"] if e["member"].upper().endswith("QUEUE.DAT")]
        check(ev and all((sid, e["offset"]) in qd_offsets for e in ev),
              "%s %s: MISSING_SPOOL_FILE cites the Queue.dat offsets" % (name, sid))
    got_miss = {m["spool_id"] for m in rep["messages"] if m["state"] == "missing"}
    check(got_miss == set(F["missing"]), "%s: exactly the missing set %s" % (name, sorted(got_miss)))
    for sid in F["delivered_and_gone"]:
        check(all(m["state"] != "missing" for m in rep["messages"] if m["spool_id"] == sid),
              "%s %s (delivered and gone) not missing" % (name, sid))
    flagged = {m["spool_id"] for m in rep["messages"] if "NOT_IN_QUEUE_DAT" in codes(m)}
    check(flagged == set(F["not_in_queue_dat"]),
          "%s: NOT_IN_QUEUE_DAT exactly on %s" % (name, sorted(flagged)))
    for sid, why in F["damaged"].items():
        m = out(sid)
        check(m is not None and m["state"] == "damaged", "%s %s damaged (%s)" % (name, sid, why["reason"]))
    for sid in F["delivered_still_queued"]:
        m = out(sid)
        ok_ = m is not None and m["state"] == "delivered" and "DUPLICATE_RISK" in codes(m)
        ok_ = ok_ and all(r["status"] == "delivered" and r["evidence"] for r in m["recipients"])
        check(ok_, "%s %s delivered, recipients delivered with evidence, DUPLICATE_RISK" % (name, sid))
    for sid in F.get("archived_only", []):
        m = by.get((sid, "out-archive"))
        check(m is not None and m["state"] == "archived", "%s %s archived" % (name, sid))
    for sid in F.get("bcc_messages", []):
        m = out(sid)
        bcc = F["messages"][sid]["bcc"]
        check(m is not None and all(b in m["envelope"]["rcpt_to"] for b in bcc),
              "%s %s Bcc %s in the envelope" % (name, sid, bcc))
    # queue time: the time the file was queued (facts envelope.time)
    for sid in F["stuck"]:
        m = out(sid)
        want = F["messages"][sid]["envelope"].get("time")
        check(m is not None and m["queue_time"] == want,
              "%s %s queue_time %s (%s)" % (name, sid, m and m["queue_time"], m and m["queue_time_source"]))
    # every message has a state and a reason
    check(all(m["state"] != "unset" and m["state_reason"] for m in rep["messages"]),
          "%s: every message has a state and a reason" % name)
    # report-wide findings list the spool ids
    rf = {f["code"]: f for f in rep["findings"]}
    if F["expired"]:
        check("EXPIRED" in rf and set(rf["EXPIRED"]["spool_ids"]) == want_exp,
              "%s: report-wide EXPIRED lists the expired ids" % name)
    if F["missing"]:
        check("MISSING_SPOOL_FILE" in rf and set(rf["MISSING_SPOOL_FILE"]["spool_ids"]) == set(F["missing"]),
              "%s: report-wide MISSING_SPOOL_FILE lists the missing ids" % name)
    # evidence and basis on every finding
    for m in rep["messages"]:
        for f in m["findings"]:
            if f["code"] in ("EXPIRED", "MISSING_SPOOL_FILE", "NOT_IN_QUEUE_DAT", "DUPLICATE_RISK"):
                if not (f["evidence"] and f.get("basis") in ("documented", "inferred", "heuristic") and f.get("action")):
                    check(False, "%s %s %s has evidence, basis and action" % (name, m["spool_id"], f["code"]))
sys.exit(1 if bad else 0)
EOF

finish
