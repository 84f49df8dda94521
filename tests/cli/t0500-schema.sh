#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# report.json follows reports/schema/report-v1.json; identical inputs give
# byte-identical report sets; every string is valid UTF-8.
. "$(dirname "$0")/lib.sh"
need python3
make_tree "$TMP/tree"
# a message whose subject and sender are not UTF-8
printf '\367ImCr\000<z@example.net>\000<y@example.com>\000EwLsFrom: z@example.net\r\nTo: y@example.com\r\nSubject: caf\351 \377\376 bad\r\n\r\nx\r\n' > "$TMP/tree/EXCHSRVR/IMCDATA/OUT/BADUTF88"
# a pickup file with an envelope recipient that is not UTF-8
mkdir -p "$TMP/tree/EXCHSRVR/IMCDATA/PICKUP"
printf 'x-sender: <z@example.net>\r\nx-receiver: <y@example.com>\r\nx-receiver: <b\377d@example.com>\r\nFrom: z@example.net\r\nTo: y@example.com\r\nSubject: t\r\n\r\nx\r\n' > "$TMP/tree/EXCHSRVR/IMCDATA/PICKUP/BADRCPT.EML"
inputs="$TMP/tree"
for z in "$IMCQ_SRC"/samples/q268494/*.zip; do [ -f "$z" ] && inputs="$inputs $z"; done
schema="$IMCQ_SRC/reports/schema/report-v1.json"
for i in $inputs; do
	"$IMCQ" analyze -q --json "$i" > "$TMP/r.json"
	python3 "$IMCQ_SRC/tests/schema_check.py" "$schema" "$TMP/r.json" && ok "schema: $(basename "$i")" || fail "schema: $i"
done
"$IMCQ" analyze -q --json $inputs > "$TMP/all.json"
python3 "$IMCQ_SRC/tests/schema_check.py" "$schema" "$TMP/all.json" && ok "schema: all inputs together" || fail "schema: all"
# the checker itself rejects a broken document
python3 - "$TMP/all.json" "$TMP/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["messages"][0]["state"] = "lost-in-space"; del d["inventory"]
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$IMCQ_SRC/tests/schema_check.py" "$schema" "$TMP/broken.json" >/dev/null && fail "schema checker accepted a broken document" || ok "schema checker rejects a broken document"
# valid UTF-8 everywhere, raw bytes kept
python3 - "$TMP/all.json" <<'PY' && ok "strings are UTF-8, raw kept" || fail "UTF-8"
import json, sys, base64
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")                      # strict
assert b"\\ud8" not in raw.lower() and b"\\udc" not in raw.lower()
d = json.loads(raw)
m = [m for m in d["messages"] if m["spool_id"] == "BADUTF88"][0]
assert base64.b64decode(m["headers"]["subject_raw"]) == b"caf\xe9 \xff\xfe bad", m["headers"]
# in an array: KEY_raw as long as KEY, the bad string's bytes, null for the others
p = [m for m in d["messages"] if m["spool_id"] == "BADRCPT.EML"][0]
env = p["envelope"]
assert env["rcpt_to"] == ["y@example.com", "b\ufffdd@example.com"], env
assert [base64.b64decode(r) if r else None for r in env["rcpt_to_raw"]] == [None, b"b\xffd@example.com"], env
assert "to_raw" not in p["headers"] and "rcpt_to_raw" not in m["envelope"], (p["headers"], m["envelope"])
PY
# a --where selection says so, and validates
"$IMCQ" analyze -q --json --where 'state = awaiting-delivery' $inputs > "$TMP/sel.json"
python3 "$IMCQ_SRC/tests/schema_check.py" "$schema" "$TMP/sel.json" && ok "schema: a --where selection" || fail "schema: --where"
python3 - "$TMP/sel.json" "$TMP/all.json" <<'PY' && ok "--where: the report names its selection" || fail "--where selection"
import json, sys
sel = json.load(open(sys.argv[1])); full = json.load(open(sys.argv[2]))
s = sel["selection"]
assert s["where"] == "state = awaiting-delivery" and s["of"] == len(full["messages"]), s
assert s["selected"] == len(sel["messages"]) > 0 and all(m["state"] == "awaiting-delivery" for m in sel["messages"])
assert "selection" not in full
PY
"$IMCQ" analyze -q --where 'state = awaiting-delivery' $inputs | grep -q -- "--where selected" && ok "--where: the summary says so" || fail "--where: summary"
# show --json prints one document: the object, or an array when the ID names
# several records (serverB holds 2VCODRLG in Out and in Out\Archive)
B="$IMCQ_SRC/samples/q268494/serverB-imcdata.zip"
if [ -f "$B" ]; then
	"$IMCQ" show -q --json "$B" 2VCODRLG > "$TMP/show2.json"
	"$IMCQ" show -q --json "$B" 07SYXHKM > "$TMP/show1.json"
	python3 - "$TMP/show2.json" "$TMP/show1.json" <<'PY' && ok "show --json: one document" || fail "show --json"
import json, sys
two = json.load(open(sys.argv[1]))      # strict: one document
one = json.load(open(sys.argv[2]))
assert isinstance(two, list) and [m["spool_id"] for m in two] == ["2VCODRLG"] * 2, two
assert sorted(m["queue"] for m in two) == ["out", "out-archive"], [m["queue"] for m in two]
assert isinstance(one, dict) and one["spool_id"] == "07SYXHKM"
PY
fi
# determinism: two runs, same bytes
"$IMCQ" analyze -q -o "$TMP/run1" $inputs && "$IMCQ" analyze -q -o "$TMP/run2" $inputs || fail "analyze -o"
for f in report.json report.html messages.jsonl timeline.csv manifest.json; do
	cmp -s "$TMP/run1/$f" "$TMP/run2/$f" && ok "$f identical across runs" || fail "$f differs between runs"
done
for fmt in csv jsonl bodyfile; do
	"$IMCQ" timeline -q --format $fmt $inputs > "$TMP/t1.$fmt"; "$IMCQ" timeline -q --format $fmt $inputs > "$TMP/t2.$fmt"
	cmp -s "$TMP/t1.$fmt" "$TMP/t2.$fmt" && [ -s "$TMP/t1.$fmt" ] && ok "timeline $fmt deterministic" || fail "timeline $fmt"
done
python3 - "$TMP/t1.bodyfile" "$TMP/t1.jsonl" <<'PY' && ok "timeline formats well formed" || fail "timeline formats"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
prev = None
for l in lines:
    f = l.split("|")
    assert len(f) == 11, l
    int(f[6]); int(f[8])
rows = [json.loads(l) for l in open(sys.argv[2])]
times = [r["time"][:19] for r in rows]
assert times == sorted(times) and times
# UTC with its Z, but a protocol-log time without --log-tz: local, no Z
for r in rows:
    assert r["time"].endswith("Z") != bool(r.get("local_time")), r
assert any(r.get("local_time") for r in rows) and all(r["source"] == "protocol-log" for r in rows if r.get("local_time"))
PY
finish
