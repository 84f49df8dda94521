#!/bin/bash
# SPDX-License-Identifier: MIT
#
# t0300-corpus: every file of the real-mail corpus ($IMCQ_CORPUS, 831 files
# from sisimai/set-of-emails: LF, CRLF and CR-only messages and broken
# pieces) goes through `imcq analyze --json`, and
#   1. every member is in the inventory;
#   2. every *.eml file yields exactly one message record, or an anomaly
#      naming it (never a silent drop);
#   3. Subject, Message-ID, the From addr-spec and the To addr-specs of each
#      record equal what Python's email package (policy=email.policy.default)
#      reads from the same bytes.
# When the CLI cannot produce a report, the same checks run on the JSON
# lines that tests/unit/test_mime.c writes when IMCQ_MIME_DUMP is set (it
# walks the corpus through the readers and mime_fill itself).
#
# Comparison rules (the only exclusions; none is by file name):
#   R1 undecodable charset: the Subject is not compared when Python's
#      result holds U+FFFD or lone surrogates (raw 8-bit bytes that are not
#      UTF-8: both sides can only guess the charset), or still holds an
#      encoded word "=?...?=" it could not decode (e.g. a multibyte
#      character split across two encoded words, which RFC 2047 forbids).
#   R2 Python writes the empty address (the null sender "<>") as "<>";
#      imcq writes "" for From and leaves empty addresses out of To.
#   R3 NUL characters are dropped before comparing: imcq strings are C
#      strings.
#   R4 Subjects are compared with white-space runs collapsed and the ends
#      trimmed (folding white space).
#   R5 Message-IDs are compared without the surrounding "<>".
set -u

corpus=${IMCQ_CORPUS:-}
if [ -z "$corpus" ] || [ ! -d "$corpus" ]; then
	echo "t0300: corpus not found (IMCQ_CORPUS=$corpus): skipped"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "t0300: python3 not found: skipped"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mode=
if [ -n "${IMCQ:-}" ] && [ -x "$IMCQ" ]; then
	"$IMCQ" analyze --json "$corpus" >"$tmp/report.json" 2>"$tmp/stderr"
	rc=$?
	if { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } &&
	   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d.get("messages"), list) else 1)' \
		"$tmp/report.json" 2>/dev/null; then
		mode=cli
	else
		echo "t0300: '$IMCQ analyze --json' gave no report (exit $rc):"
		head -5 "$tmp/stderr"
	fi
fi
if [ -z "$mode" ]; then
	unit=${IMCQ_BUILD:-}/tests/test_mime
	if [ ! -x "$unit" ]; then
		echo "t0300: FAIL: neither the CLI nor $unit is usable"
		exit 1
	fi
	if ! IMCQ_MIME_DUMP="$tmp/dump.jsonl" "$unit" >"$tmp/unit.out" 2>&1; then
		echo "t0300: FAIL: test_mime failed:"
		tail -20 "$tmp/unit.out"
		exit 1
	fi
	mode=unit
fi
echo "t0300: reading records from the $mode"

python3 - "$mode" "$corpus" "$tmp" <<'PY'
import email
import email.policy
import json
import os
import re
import sys

mode, corpus, tmp = sys.argv[1:4]

# --- the records, whichever way they were produced ---------------------
recs = {}          # member -> list of records
anom = set()       # members named by an anomaly
inventory = None
if mode == "cli":
    with open(os.path.join(tmp, "report.json"), encoding="utf-8") as f:
        d = json.load(f)
    for m in d["messages"]:
        src = m.get("sources") or [{}]
        h = m.get("headers") or {}
        recs.setdefault(src[0].get("member"), []).append({
            "subject": h.get("subject"),
            "message_id": h.get("message_id"),
            "from": h.get("from"),
            "to": h.get("to") or [],
        })
    for a in d.get("anomalies", []):
        if a.get("member"):
            anom.add(a["member"])
    inventory = {i["member"] for i in d.get("inventory", [])}
else:
    with open(os.path.join(tmp, "dump.jsonl"), encoding="utf-8", errors="replace") as f:
        for line in f:
            r = json.loads(line)
            recs.setdefault(r["member"], []).append(r)

# --- the corpus ---------------------------------------------------------
files = []
for root, dirs, names in os.walk(corpus):
    dirs.sort()
    for n in sorted(names):
        p = os.path.join(root, n)
        files.append((os.path.relpath(p, corpus).replace(os.sep, "/"), p))

problems = []
if inventory is not None:
    for rel, _ in files:
        if rel not in inventory:
            problems.append((rel, "inventory", "listed", "missing"))


def norm_ws(s):
    return re.sub(r"\s+", " ", s).strip() if s is not None else None


def nul(s):
    return s.replace("\x00", "") if isinstance(s, str) else s


def empty_addr(a):
    return "" if a == "<>" else a


def addr_specs(header):
    out = []
    for a in header.addresses:
        out.append(empty_addr(nul(a.addr_spec)))
    return out


compared = {"subject": 0, "message_id": 0, "from": 0, "to": 0}
skipped_subjects = 0
messages = 0
for rel, path in files:
    if not rel.endswith(".eml"):
        continue        # LICENSE, PROVENANCE.md: documentation, not mail
    got = recs.get(rel, [])
    if len(got) != 1:
        if not got and rel in anom:
            continue
        problems.append((rel, "records", "1", str(len(got))))
        continue
    messages += 1
    r = got[0]
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    # Subject (R1, R3, R4)
    want = msg["subject"]
    if want is None:
        if r["subject"] is not None:
            problems.append((rel, "subject", None, r["subject"]))
    else:
        want = nul(str(want))
        if (re.search("[\ufffd\udc80-\udcff]", want) or
                re.search(r"=\?[^?\s]+\?[bBqQ]\?", want)):
            skipped_subjects += 1
        else:
            compared["subject"] += 1
            if norm_ws(want) != norm_ws(r["subject"]):
                problems.append((rel, "subject", want, r["subject"]))

    # Message-ID (R5)
    want = msg["message-id"]
    if want is not None:
        want = nul(str(want)).strip()
        if want.startswith("<") and want.endswith(">"):
            want = want[1:-1]
    compared["message_id"] += 1
    if want != r["message_id"]:
        problems.append((rel, "message_id", want, r["message_id"]))

    # From: the first addr-spec (R2)
    want = None
    if msg["from"] is not None:
        specs = addr_specs(msg["from"])
        want = specs[0] if specs else None
    compared["from"] += 1
    if want != r["from"]:
        problems.append((rel, "from", want, r["from"]))

    # To: every addr-spec of every To field, in order (R2)
    want = []
    for h in msg.get_all("to") or []:
        want += [a for a in addr_specs(h) if a != ""]
    compared["to"] += 1
    if want != list(r["to"]):
        problems.append((rel, "to", want, r["to"]))

print("t0300: %d files, %d message records checked, subjects compared %d "
      "(skipped by R1: %d), message-ids %d, from %d, to %d" %
      (len(files), messages, compared["subject"], skipped_subjects,
       compared["message_id"], compared["from"], compared["to"]))
for p in problems[:60]:
    print("t0300: MISMATCH %s %s: python %r, imcq %r" % p)
if problems:
    print("t0300: FAIL: %d problems" % len(problems))
    sys.exit(1)
if messages < 800:
    print("t0300: FAIL: only %d message records" % messages)
    sys.exit(1)
print("t0300: ok")
PY
