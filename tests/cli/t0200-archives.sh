#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same Exchsrvr tree as a folder, a zip with backslash names, a 7z, a
# cab, a tar.xz and an archive nested in another must yield the same
# messages and hashes; every member is inventoried.
. "$(dirname "$0")/lib.sh"
need python3
make_tree "$TMP/tree"
"$IMCQ" analyze -q --json "$TMP/tree" > "$TMP/dir.json" || fail "folder"
ids_and_hashes "$TMP/dir.json" > "$TMP/want"
[ "$(wc -l < "$TMP/want")" -ge 5 ] || fail "folder gave too few messages: $(cat "$TMP/want")"

# zip with backslash separators and upper case, as a Windows tool writes them
python3 - "$TMP/tree" "$TMP/backslash.zip" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dp, dn, fn in sorted(os.walk(root)):
        for f in sorted(fn):
            p = os.path.join(dp, f)
            name = "D:\\backup\\" + os.path.relpath(p, root).replace("/", "\\")
            zi = zipfile.ZipInfo(name, (2026, 11, 26, 12, 0, 0))
            zi.create_system = 0
            z.writestr(zi, open(p, "rb").read(), zipfile.ZIP_DEFLATED)
PY
forms="backslash.zip"
if command -v 7z >/dev/null; then (cd "$TMP/tree" && 7z a -bd -bso0 ../tree.7z EXCHSRVR >/dev/null) && forms="$forms tree.7z"; else echo "note: 7z missing"; fi
if command -v gcab >/dev/null; then (cd "$TMP/tree" && gcab -c ../tree.cab $(find EXCHSRVR -type f | sort)) && forms="$forms tree.cab"; else echo "note: gcab missing"; fi
tar -C "$TMP/tree" -cJf "$TMP/tree.tar.xz" EXCHSRVR && forms="$forms tree.tar.xz"
mkdir -p "$TMP/nest" && cp "$TMP/backslash.zip" "$TMP/nest/inner.zip"
if command -v 7z >/dev/null; then (cd "$TMP/nest" && 7z a -bd -bso0 ../nested.7z inner.zip >/dev/null) && forms="$forms nested.7z"
else tar -C "$TMP/nest" -czf "$TMP/nested.tar.gz" inner.zip && forms="$forms nested.tar.gz"; fi

for f in $forms; do
	"$IMCQ" analyze -q --json "$TMP/$f" > "$TMP/$f.json"; rc=$?
	[ "$rc" = 0 ] || fail "$f: exit $rc"
	ids_and_hashes "$TMP/$f.json" > "$TMP/got"
	if cmp -s "$TMP/want" "$TMP/got"; then ok "$f: same messages and hashes as the folder"
	else fail "$f differs:"; diff "$TMP/want" "$TMP/got" >&2; fi
	python3 - "$TMP/$f.json" "$TMP/dir.json" "$f" <<'PY' || fail "$f: inventory/places"
import json, sys
d = json.load(open(sys.argv[1])); ref = json.load(open(sys.argv[2]))
files = [v for v in d["inventory"] if v["kind"] not in ("archive", "directory")]
assert len(files) == len(ref["inventory"]), (len(files), len(ref["inventory"]))
assert all(v["sha256"] for v in d["inventory"] if v["kind"] != "directory"), "member without hash"
assert d["inputs"][0]["kind"] == "archive" and len(d["inputs"][0]["sha256"]) == 64
# a tar stores its folders as members: listed, as kind "directory", with their times
if sys.argv[3].endswith(".tar.xz"):
    dirs = [v for v in d["inventory"] if v["kind"] == "directory"]
    assert dirs and all(v["mtime"] and v["size"] == 0 for v in dirs), dirs
q = sorted((m["spool_id"], m["queue"]) for m in d["messages"])
qr = sorted((m["spool_id"], m["queue"]) for m in ref["messages"])
assert q == qr, (q, qr)
PY
done
# the inventory names the nested member through its container
grep -q '"inner.zip!/D:\\\\backup' "$TMP/nested.7z.json" 2>/dev/null || grep -q 'inner.zip!/' "$TMP"/nested.*.json || fail "nested member names"

# Member names that are not ASCII keep their bytes.  A zip flagged UTF-8,
# a 7z and a cab (UTF-16 names) give the name itself: until round 9 of
# issue #9, libarchive could not convert them to imcq's "C" locale and the
# member was listed "(unnamed)", out of its queue folder.  A zip name in a
# legacy code page (no UTF-8 flag) is kept as its bytes, with member_raw.
mkdir -p "$TMP/names/EXCHSRVR/IMCDATA/OUT"
cp "$TMP/tree/EXCHSRVR/IMCDATA/OUT/3SW32JRP" "$TMP/names/EXCHSRVR/IMCDATA/OUT/ÉTÉ12345"
nforms=""
python3 - "$TMP/names" "$TMP/names.zip" "$TMP/cp437.zip" <<'PY' && nforms="names.zip"
import sys, zipfile
root, out, raw = sys.argv[1:4]
body = open(root + "/EXCHSRVR/IMCDATA/OUT/ÉTÉ12345", "rb").read()
# A fixed time stamp: with writestr's default (now), the DOS time field
# could hold any byte, and the archive would differ from run to run.
when = (1999, 12, 31, 23, 58, 0)
with zipfile.ZipFile(out, "w") as z:   # Python sets the UTF-8 flag itself
    z.writestr(zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\OUT\\ÉTÉ12345", when), body)
with zipfile.ZipFile(raw, "w") as z:
    z.writestr(zipfile.ZipInfo("EXCHSRVR/IMCDATA/OUT/QQQZZ437", when), body)
b = open(raw, "rb").read()
assert b.count(b"QQQZZ437") == 2, b.count(b"QQQZZ437")   # local header and central directory
open(raw, "wb").write(b.replace(b"QQQZZ437", b"QQQ\x82\x81437"))   # CP437 bytes, no flag
PY
if command -v 7z >/dev/null; then (cd "$TMP/names" && 7z a -bd -bso0 ../names.7z EXCHSRVR >/dev/null) && nforms="$nforms names.7z"; fi
if command -v gcab >/dev/null; then (cd "$TMP/names" && gcab -c ../names.cab EXCHSRVR/IMCDATA/OUT/*) && nforms="$nforms names.cab"; fi
[ -n "$nforms" ] || fail "no archive with a non-ASCII name was made"
for f in $nforms cp437.zip; do
	"$IMCQ" analyze -q --json "$TMP/$f" > "$TMP/$f.json"; rc=$?
	[ "$rc" = 0 ] || fail "$f: exit $rc"
	python3 - "$TMP/$f.json" "$f" <<'PY' && ok "$f: the non-ASCII member name is kept" || fail "$f: member name"
import base64, json, sys
d = json.load(open(sys.argv[1])); f = sys.argv[2]
files = [v for v in d["inventory"] if v["kind"] != "directory"]
assert not [v for v in files if v["member"] == "(unnamed)"], files
src = [s for m in d["messages"] for s in m["sources"]]
assert len(d["messages"]) == 1 and d["messages"][0]["queue"] == "out", d["messages"]
if f == "cp437.zip":
    assert base64.b64decode(src[0]["member_raw"]) == b"EXCHSRVR/IMCDATA/OUT/QQQ\x82\x81437", src
    assert base64.b64decode(d["messages"][0]["spool_id_raw"]) == b"QQQ\x82\x81437"
else:
    assert src[0]["member"].endswith("OUT/ÉTÉ12345") and "member_raw" not in src[0], src
    assert d["messages"][0]["spool_id"] == "ÉTÉ12345", d["messages"][0]["spool_id"]
assert not [a for a in d["anomalies"] if a["code"] == "archive-warning"], d["anomalies"]
PY
done
finish
