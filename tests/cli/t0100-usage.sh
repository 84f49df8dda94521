#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Usage, help, version and exit codes.
. "$(dirname "$0")/lib.sh"

expect_rc 0 "$IMCQ" --help && grep -q "imcq analyze" "$TMP/.out" && [ ! -s "$TMP/.err" ] && ok "--help" || fail "--help"
expect_rc 0 "$IMCQ" --version && grep -Eq '^imcq [0-9]+\.[0-9]+' "$TMP/.out" && ok "--version" || fail "--version"
for c in analyze list show recover reinject timeline where limits formats; do
	expect_rc 0 "$IMCQ" help $c && [ -s "$TMP/.out" ] && ok "help $c" || fail "help $c"
done
expect_rc 0 "$IMCQ" analyze --help && grep -q -- "--where" "$TMP/.out" && ok "analyze --help" || fail "analyze --help"
expect_rc 2 "$IMCQ" && ok "no command: 2" || fail "no command"
expect_rc 2 "$IMCQ" frobnicate && grep -q "unknown command" "$TMP/.err" && ok "unknown command: 2" || fail "unknown command"
expect_rc 2 "$IMCQ" analyze --bogus x && grep -q "unknown option '--bogus'" "$TMP/.err" && ok "unknown option: 2" || fail "unknown option"
expect_rc 2 "$IMCQ" analyze && grep -q "no INPUT" "$TMP/.err" && ok "no input: 2" || fail "no input"
expect_rc 2 "$IMCQ" list --now yesterday x && ok "bad --now: 2" || fail "bad --now"
expect_rc 2 "$IMCQ" list --timeout-normal 4x x && ok "bad duration: 2" || fail "bad duration"
expect_rc 2 "$IMCQ" list --to eml x && grep -q "does not apply" "$TMP/.err" && ok "option of another command: 2" || fail "option of another command"
expect_rc 2 "$IMCQ" list --where 'state = ' x && grep -q "column" "$TMP/.err" && ok "bad --where names the column" || fail "bad --where"
expect_rc 3 "$IMCQ" analyze "$TMP/does-not-exist" && grep -q "cannot read" "$TMP/.err" && ok "missing input: 3" || fail "missing input"
make_tree "$TMP/tree"
expect_rc 0 "$IMCQ" analyze -q "$TMP/tree" && ok "analyze tree: 0" || fail "analyze tree"
expect_rc 1 "$IMCQ" analyze -q "$TMP/tree" "$TMP/does-not-exist" && ok "one unreadable input of two: 1" || fail "partial"
# A stream is refused, not read half: a pipe (it was hashed, then found
# empty by the archive reader: 0 members, exit 0), a FIFO with no writer
# (opening it would hang), a device.  A redirected file is a file.
( cd "$TMP/tree" && zip -qr "$TMP/tree.zip" . ) 2>/dev/null || python3 -c '
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[2], "w")
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        p = os.path.join(d, f); z.write(p, os.path.relpath(p, sys.argv[1]))' "$TMP/tree" "$TMP/tree.zip"
cat "$TMP/tree.zip" | "$IMCQ" analyze /dev/stdin >"$TMP/.out" 2>"$TMP/.err"; rc=$?
[ "$rc" = 3 ] && grep -q "is a pipe, not a file or a folder" "$TMP/.err" && ok "a pipe as INPUT: refused, 3" ||
	fail "a pipe as INPUT: exit $rc, $(head -2 "$TMP/.err" | tr '\n' ' ')"
mkfifo "$TMP/fifo"
expect_rc 3 timeout 60 "$IMCQ" analyze "$TMP/fifo" && grep -q "is a pipe" "$TMP/.err" && ok "a FIFO with no writer: refused at once, 3" || fail "FIFO"
expect_rc 1 "$IMCQ" analyze -q --json "$TMP/tree" /dev/null && grep -q '"input-unreadable"' "$TMP/.out" && ok "a device beside a folder: an anomaly, 1" || fail "device"
expect_rc 0 "$IMCQ" analyze -q --json /dev/stdin < "$TMP/tree.zip" && grep -q '"spool_id":[[:space:]]*"3SW32JRP"' "$TMP/.out" && ok "a file redirected to /dev/stdin is read" || fail "redirected file"
if [ -w /dev/full ]; then
	"$IMCQ" list -q "$TMP/tree" > /dev/full 2>"$TMP/.err"; rc=$?
	[ "$rc" = 3 ] && grep -q "cannot write" "$TMP/.err" && ok "write error detected: 3" || fail "write to /dev/full gave $rc"
fi
mkdir -p "$TMP/outdir" && touch "$TMP/outdir/keep"
expect_rc 3 "$IMCQ" analyze -q -o "$TMP/outdir" "$TMP/tree" && grep -q "not empty" "$TMP/.err" && ok "non-empty -o refused" || fail "non-empty -o"
expect_rc 0 "$IMCQ" analyze -q -o "$TMP/outdir" --force "$TMP/tree" && [ -s "$TMP/outdir/report.json" ] && ok "--force" || fail "--force"
expect_rc 0 "$IMCQ" analyze -q -o "$TMP/new" "$TMP/tree" && ls "$TMP/new" | sort | tr '\n' ' ' | grep -q "manifest.json messages.jsonl report.html report.json timeline.csv" && ok "-o writes the report set" || fail "-o set"
ls "$TMP" | grep -q imcq-tmp && fail "temporary folder left behind" || ok "no temporary folder left"
python3 - "$TMP/new" <<'PY' && ok "manifest hashes match" || fail "manifest hashes"
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
names = {o["name"] for o in m["outputs"]}
assert names == {"report.json", "report.html", "messages.jsonl", "timeline.csv"}, names
for o in m["outputs"]:
    b = open(os.path.join(d, o["name"]), "rb").read()
    assert hashlib.sha256(b).hexdigest() == o["sha256"] and len(b) == o["size"], o
assert m["inputs"][0]["sha256"]
PY
finish
