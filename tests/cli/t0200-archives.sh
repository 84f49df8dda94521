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
finish
