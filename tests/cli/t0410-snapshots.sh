#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Snapshots: two backups of the same server compare (appeared, disappeared,
# persisted), and the two servers of the Q268494 sample together give a
# cross-server DUPLICATE_RISK and no "persisted" list.
. "$(dirname "$0")/lib.sh"
need python3

S="$IMCQ_SRC/samples/q268494"
[ -f "$S/facts.json" ] || { echo "skip: sample not generated"; exit 77; }

# A later backup of server B, one day on: three Out files gone (their
# archive copies stay), one new Out file, README.TXT rewritten.
python3 - "$S/serverB-imcdata.zip" "$TMP/later.zip" "$S/facts.json" "$TMP/expect.json" <<'EOF' || exit 1
import json, struct, sys, zipfile

src, dst, factsf, expf = sys.argv[1:5]
F = json.load(open(factsf))["servers"]["EXB2"]
DAY = 86400
removed = sorted(F["awaiting_delivery"])[:3]
template = sorted(F["awaiting_delivery"])[3]
new_id = "NEW0TEST"
assert new_id not in F["spool_ids"]["out"]


def later(zi, extra_days=1, utc=None):
    """A copy of zi one day later: DOS local time and the 0x5455 UTC mtime."""
    n = zipfile.ZipInfo(zi.filename)
    for a in ("compress_type", "create_system", "create_version", "extract_version",
              "flag_bits", "external_attr", "internal_attr", "comment"):
        setattr(n, a, getattr(zi, a))
    y, mo, d, h, mi, s = zi.date_time
    import datetime
    dt = datetime.datetime(y, mo, d, h, mi, s) + datetime.timedelta(days=extra_days)
    n.date_time = dt.timetuple()[:6]
    ex, out = zi.extra, b""
    while len(ex) >= 4:
        hid, size = struct.unpack("<HH", ex[:4])
        body = ex[4:4 + size]
        if hid == 0x5455 and len(body) >= 5:
            t = struct.unpack("<I", body[1:5])[0] + extra_days * DAY
            body = body[:1] + struct.pack("<I", t) + body[5:]
        out += struct.pack("<HH", hid, len(body)) + body
        ex = ex[4 + size:]
    n.extra = out
    return n


zin = zipfile.ZipFile(src)
zout = zipfile.ZipFile(dst, "w")
out_prefix = "EXCHSRVR\\IMCDATA\\OUT\\"
tmpl_data = tmpl_info = None
for zi in zin.infolist():
    data = zin.read(zi)
    base = zi.filename[len(out_prefix):] if zi.filename.startswith(out_prefix) else None
    if base in removed:
        continue
    if base == template:
        tmpl_data, tmpl_info = data, zi
    if zi.filename == "README.TXT":
        zout.writestr(later(zi), data)
        continue
    zout.writestr(zi, data)
# the new file: the template with its spool id and Message-ID changed
data = tmpl_data.replace(template.encode(), new_id.encode())
mid = F["messages"][template]["headers"]["message_id"] or ""
if "Z-" in mid:
    seq = mid.split("Z-")[1].split("@")[0]
    new_seq = str((int(seq) + 1) % 10 ** len(seq)).zfill(len(seq))
    data = data.replace(("Z-" + seq).encode(), ("Z-" + new_seq).encode())
ni = later(tmpl_info)
ni.filename = out_prefix + new_id
zout.writestr(ni, data)
zout.close()

live = set(F["spool_ids"]["out"]) | set(F["spool_ids"]["pickup"])
json.dump({"appeared": [new_id], "disappeared": removed,
           "persisted": sorted(live - set(removed))}, open(expf, "w"))
EOF

# the later backup first: the order comes from the times, not the arguments
if expect_rc 0 "$IMCQ" analyze --json "$TMP/later.zip" "$S/serverB-imcdata.zip"; then
	cp "$TMP/.out" "$TMP/two.json"
	ok "analyze two snapshots of B"
else
	fail "analyze two snapshots of B"
fi
if expect_rc 0 "$IMCQ" analyze --json "$S/serverB-imcdata.zip" "$S/serverA-imcdata.zip"; then
	cp "$TMP/.out" "$TMP/ab.json"
	ok "analyze A and B"
else
	fail "analyze A and B"
fi

python3 - "$TMP/two.json" "$TMP/expect.json" "$TMP/ab.json" "$S/facts.json" <<'EOF' || FAILS=$((FAILS + 1))
import json, sys

two = json.load(open(sys.argv[1]))
exp = json.load(open(sys.argv[2]))
ab = json.load(open(sys.argv[3]))
facts = json.load(open(sys.argv[4]))["servers"]
bad = 0


def check(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + what, file=sys.stdout if cond else sys.stderr)
    bad += 0 if cond else 1


snaps = two["snapshots"]
check(len(snaps) == 2 and all(s["server"] == "EXB2" for s in snaps), "two snapshots of EXB2")
check(snaps[0]["newest_time"] > snaps[1]["newest_time"], "input 0 is the later snapshot")
ch = two["changes"]
for k in ("appeared", "disappeared", "persisted"):
    check(sorted(ch[k]) == sorted(exp[k]), "%s exact (%d)" % (k, len(exp[k])))
# a message in both backups is seen in both, and is not a duplicate of itself
pers = exp["persisted"][0]
ms = [m for m in two["messages"] if m["spool_id"] == pers and m["queue"] == "out"]
check(len(ms) == 2 and all(m["seen_in"] == [0, 1] for m in ms), "%s seen_in [0, 1]" % pers)
check(all("across" not in f["message"] and "another server" not in f["message"]
          for m in ms for f in m["findings"] if f["code"] == "DUPLICATE_RISK"),
      "no cross-server duplicate between two backups of one server")

# A and B: different servers
check([s["server"] for s in ab["snapshots"]] == ["EXB2", "EXA1"], "servers EXB2 and EXA1")
check(ab["changes"] == {"appeared": [], "disappeared": [], "persisted": []},
      "no changes between different servers")
for d in facts["EXB2"]["duplicates"]:
    for other in d["also_at"]:
        sid, oid = d["spool_id"], other["spool_id"]
        m = [m for m in ab["messages"] if m["spool_id"] == sid and m["queue"] == "out"]
        f = [f for x in m for f in x["findings"] if f["code"] == "DUPLICATE_RISK" and oid in f["message"]]
        check(len(f) == 1 and f[0]["severity"] == "warning" and "another server" in f[0]["message"],
              "B %s: DUPLICATE_RISK names A's %s" % (sid, oid))
        o = [x for x in ab["messages"] if x["spool_id"] == oid]
        check(o and any(f["code"] == "DUPLICATE_RISK" for f in o[0]["findings"]) and
              o[0]["seen_in"] == [0, 1], "A %s: DUPLICATE_RISK, seen in both" % oid)
sys.exit(1 if bad else 0)
EOF

# The reference time: the newest time that another corroborates.  A
# member stamped years later is set aside with a time-outlier anomaly; two
# outliers that agree with each other are taken; a lone time is taken.
make_tree "$TMP/out1"
touch -d '2031-01-01 00:00:00 UTC' "$TMP/out1/EXCHSRVR/IMCDATA/PICKUP/note.eml"
"$IMCQ" analyze -q --json "$TMP/out1" > "$TMP/out1.json"
python3 - "$TMP/out1.json" 2026-11-26T12:00:00Z 1 <<'PY' && ok "one member stamped in 2031: set aside, anomaly" || fail "time outlier"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["reference_time"] == sys.argv[2], d["reference_time"]
hits = [a for a in d["anomalies"] if a["code"] == "time-outlier"]
assert len(hits) == int(sys.argv[3]), d["anomalies"]
assert "2031-01-01T00:00:00Z" in hits[0]["message"] and hits[0]["member"].endswith("note.eml"), hits
PY
touch -d '2031-01-01 00:00:30 UTC' "$TMP/out1/EXCHSRVR/IMCDATA/IN/WXJXSG2D"
"$IMCQ" analyze -q --json "$TMP/out1" > "$TMP/out2.json"
python3 - "$TMP/out2.json" <<'PY' && ok "two members stamped in 2031 corroborate each other: taken" || fail "two outliers"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["reference_time"] == "2031-01-01T00:00:30Z", d["reference_time"]
assert not [a for a in d["anomalies"] if a["code"] == "time-outlier"], d["anomalies"]
PY

finish
