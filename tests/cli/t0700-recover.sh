#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# imcq recover: every form byte for byte (X-Sender/X-Receiver first, CRLF,
# dot-stuffing for pickup only, the final CRLF, mboxrd quoting, eml equal
# to the stored RFC 822 part, Maildir names), manifest hashes, identical
# copies written once, damaged and unselected messages skipped with a
# reason, --where, hostile member names kept inside DIR, refusal of a
# non-empty DIR and of a DIR inside an input, read-only inputs untouched,
# and the same bytes on a second run.
. "$(dirname "$0")/lib.sh"
need python3

T=$TMP/tree
make_tree "$T"
OUT=$T/EXCHSRVR/IMCDATA/OUT
# LF-only line ends, a lone ".", a leading ".", mbox "From " lines, no final newline
printf '\367ImCr\001\000\000\000mail.example.net\000client.example.net\000<alice@example.net>\000c=US;a= ;p=Test;l=EXB2-1\000<bob@example.com>\000<carol@example.org>\000EwLs' > "$OUT/DOTS0001"
printf 'From: alice@example.net\nTo: bob@example.com\nSubject: dots\nMessage-ID: <dots@example.net>\n\nFirst\n.\n.leading dot\nFrom the start\n>From quoted\rlast line without newline' >> "$OUT/DOTS0001"
# damaged: no EwLs marker
printf '\367ImCr\001\000\000\000mail.example.net\000<alice@example.net>\000<bob@example.com>\000trunc' > "$OUT/DAMAGED1"
touch -d '2026-11-26 12:00:00 UTC' "$OUT/DOTS0001" "$OUT/DAMAGED1"
PICK=$T/EXCHSRVR/IMCDATA/PICKUP
printf 'X-Sender: ivan@example.net\r\nX-Receiver: judy@example.com\r\nSubject: spaces\r\n\r\nspaced\r\n' > "$PICK/my note with spaces.eml"
touch -d '2026-11-26 12:00:00 UTC' "$PICK/my note with spaces.eml"

tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . | sort) | sha256sum; }
before=$(tree_sum "$T")
chmod -R a-w "$T"

# body of a spool member: the bytes after the first EwLs
body_of() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.split(b"EwLs",1)[1])' "$1"; }

# manifest checks: every output's hash, the source hash, the file list
check_manifest() {
	python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
d, root = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "manifest.json")))
bad = []
def sha(p): return hashlib.sha256(open(p, "rb").read()).hexdigest()
assert m["schema"] == "imcq.recover/1", m["schema"]
listed = set()
for f in m["files"]:
    p = os.path.join(d, f["name"])
    listed.add(f["name"])
    if sha(p) != f["sha256"] or os.path.getsize(p) != f["size"]:
        bad.append("file hash/size " + f["name"])
for o in m["outputs"]:
    src = o["source"]
    if sha(os.path.join(root, src["member"])) != src["sha256"]:
        bad.append("source hash " + o["spool_id"])
    p = os.path.join(d, o["output"])
    data = open(p, "rb").read()
    if "mbox_offset" in o:
        data = data[o["mbox_offset"]:o["mbox_offset"] + o["output_size"]]
    if hashlib.sha256(data).hexdigest() != o["output_sha256"] or len(data) != o["output_size"]:
        bad.append("output hash " + o["output"])
    if not o["recipients_included"]:
        bad.append("no recipient " + o["spool_id"])
on_disk = set()
for dp, dn, fn in os.walk(d):
    for f in fn:
        rel = os.path.relpath(os.path.join(dp, f), d)
        if rel != "manifest.json":
            on_disk.add(rel)
if on_disk != listed:
    bad.append("files on disk %s != listed %s" % (sorted(on_disk), sorted(listed)))
s = m["summary"]
if s["written"] != len(m["outputs"]) or s["skipped"] != len(m["skipped"]) or s["failed"] != len(m["failed"]):
    bad.append("summary counts")
if bad:
    print("\n".join(bad)); sys.exit(1)
PY
}

# skipped reason of ID in a manifest
reason_of() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json"))
for s in m["skipped"]+m["failed"]:
    if s["spool_id"]==sys.argv[2]: print(s["reason"])' "$1" "$2"
}

for form in pickup replay eml mbox maildir; do
	D=$TMP/out-$form
	if expect_rc 0 "$IMCQ" recover -q --to "$form" --out "$D" "$T"; then
		ok "$form: exit 0"
	else
		continue
	fi
	if out=$(check_manifest "$D" "$T"); then ok "$form: manifest hashes"; else fail "$form: manifest: $out"; fi
	[ -z "$(ls -A "$D" | grep -E '^\.|imcq-tmp')" ] || fail "$form: stray files in DIR"
	ls -d "$TMP"/*imcq-tmp* >/dev/null 2>&1 && fail "$form: temporary folder left"
	case "$(reason_of "$D" DAMAGED1)" in damaged*) ok "$form: damaged message skipped" ;;
		*) fail "$form: DAMAGED1 reason '$(reason_of "$D" DAMAGED1)'" ;; esac
	# the Out file and its Archive copy are one output
	n=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(sum(1 for o in m["outputs"] if o["spool_id"]=="3SW32JRP"), sum(len(o.get("identical_sources",[])) for o in m["outputs"] if o["spool_id"]=="3SW32JRP"))' "$D")
	[ "$n" = "1 1" ] && ok "$form: identical copies written once" || fail "$form: 3SW32JRP outputs/identical: $n"
done

# pickup: envelope first, CRLF, dot-stuffed, final CRLF
printf 'X-Sender: alice@example.net\r\nX-Receiver: bob@example.com\r\nX-Receiver: carol@example.org\r\nFrom: alice@example.net\r\nTo: bob@example.com\r\nSubject: dots\r\nMessage-ID: <dots@example.net>\r\n\r\nFirst\r\n..\r\n..leading dot\r\nFrom the start\r\n>From quoted\r\nlast line without newline\r\n' > "$TMP/want.pickup"
cmp -s "$TMP/want.pickup" "$TMP/out-pickup/DOTS0001.eml" && ok "pickup: bytes" || { fail "pickup bytes"; od -c "$TMP/out-pickup/DOTS0001.eml" | head -20 >&2; }
printf 'X-Sender: <>\r\nX-Receiver: dave@example.com\r\n' > "$TMP/want.null"
head -c "$(wc -c < "$TMP/want.null")" "$TMP/out-pickup/HBWK2Q2P.eml" | cmp -s - "$TMP/want.null" && ok "pickup: null sender as <>" || fail "pickup: null sender"
# replay: brackets, CRLF, no dot-stuffing
printf 'X-Sender: <alice@example.net>\r\nX-Receiver: <bob@example.com>\r\nX-Receiver: <carol@example.org>\r\nFrom: alice@example.net\r\nTo: bob@example.com\r\nSubject: dots\r\nMessage-ID: <dots@example.net>\r\n\r\nFirst\r\n.\r\n.leading dot\r\nFrom the start\r\n>From quoted\r\nlast line without newline\r\n' > "$TMP/want.replay"
cmp -s "$TMP/want.replay" "$TMP/out-replay/DOTS0001.eml" && ok "replay: bytes" || fail "replay bytes"
# eml: the stored RFC 822 part, byte for byte
for id in DOTS0001 3SW32JRP HBWK2Q2P; do
	body_of "$OUT/$id" | cmp -s - "$TMP/out-eml/$id.eml" && ok "eml: $id identical" || fail "eml: $id differs"
done
cmp -s "$PICK/note.eml" "$TMP/out-eml/note.eml" && fail "eml of a pickup file kept its X- lines" || true
tail -c +$(( $(head -2 "$PICK/note.eml" | wc -c) + 1 )) "$PICK/note.eml" | cmp -s - "$TMP/out-eml/note.eml" && ok "eml: pickup file's RFC 822 part" || fail "eml: pickup file's part"
# mbox: mboxrd quoting and From lines
python3 - "$TMP/out-mbox" <<'PY' && ok "mbox: mboxrd" || fail "mbox: mboxrd"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
data = open(d + "/messages.mbox", "rb").read()
o = [o for o in m["outputs"] if o["spool_id"] == "DOTS0001"][0]
part = data[o["mbox_offset"]:o["mbox_offset"] + o["output_size"]]
want = (b"From alice@example.net Thu Nov 26 12:00:00 2026\nFrom: alice@example.net\nTo: bob@example.com\n"
        b"Subject: dots\nMessage-ID: <dots@example.net>\n\nFirst\n.\n.leading dot\n>From the start\n"
        b">>From quoted\nlast line without newline\n\n")
assert part == want, part
n = [o for o in m["outputs"] if o["spool_id"] == "HBWK2Q2P"][0]
assert data[n["mbox_offset"]:].startswith(b"From MAILER-DAEMON "), "null sender"
assert data.count(b"\nFrom ") + data.startswith(b"From ") == len(m["outputs"]), "separators"
assert b"\r" not in data
PY
# maildir: new/ cur/ tmp/, LF, deterministic names
M=$TMP/out-maildir
[ -d "$M/new" ] && [ -d "$M/cur" ] && [ -d "$M/tmp" ] && ok "maildir: new cur tmp" || fail "maildir folders"
f=$(ls "$M/new" | grep DOTS0001)
[ "$f" = "1795694400.DOTS0001.imcq" ] && ok "maildir: name $f" || fail "maildir: name '$f'"
tr -d '\r' < "$TMP/want.replay" | tail -n +4 | cmp -s - "$M/new/$f" && ok "maildir: LF bytes" || fail "maildir: bytes"
expect_rc 0 "$IMCQ" recover -q --to maildir --out "$TMP/out-maildir2" "$T"
(cd "$M" && find . -type f | sort | xargs sha256sum) > "$TMP/md1"
(cd "$TMP/out-maildir2" && find . -type f | sort | xargs sha256sum) > "$TMP/md2"
cmp -s "$TMP/md1" "$TMP/md2" && ok "maildir: same names and bytes on a second run" || fail "maildir not deterministic"

# file names from the evidence stay safe and inside DIR
[ -f "$TMP/out-pickup/my_note_with_spaces.eml" ] && ok "pickup: spaces sanitised" || fail "no my_note_with_spaces.eml: $(ls "$TMP/out-pickup")"
python3 - "$TMP/hostile.zip" <<'PY'
import sys, zipfile
body = b"X-Sender: mallory@example.net\r\nX-Receiver: bob@example.com\r\nSubject: hostile\r\n\r\nx\r\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n in ["Exchsrvr/Imcdata/Pickup/../../evil", "Exchsrvr/Imcdata/Pickup/.hidden",
              "Exchsrvr/Imcdata/Pickup/-rf", "Exchsrvr/Imcdata/Pickup/con",
              "Exchsrvr/Imcdata/Pickup/a\\..\\..\\b", "Exchsrvr/Imcdata/Pickup/x.eml",
              "Exchsrvr/Imcdata/Pickup/X.EML", "/abs/Exchsrvr/Imcdata/Pickup/x.eml"]:
        z.writestr(n, body + n.encode())
PY
mkdir -p "$TMP/h"
h_before=$(cd "$TMP" && find . -path ./h -prune -o -print | sort)
expect_rc 0 "$IMCQ" recover -q --to pickup --out "$TMP/h/out" "$TMP/hostile.zip" && ok "hostile names: exit 0"
h_after=$(cd "$TMP" && find . -path ./h -prune -o -print | sort)
[ "$h_before" = "$h_after" ] && [ "$(ls -A "$TMP/h")" = out ] && ok "hostile names: nothing written outside DIR" || fail "files appeared outside DIR"
bad=$(cd "$TMP/h/out" && find . -mindepth 1 | grep -vE '^\./[A-Za-z0-9_][A-Za-z0-9._-]*$')
[ -z "$bad" ] && ok "hostile names: safe names only" || fail "unsafe names: $bad"
n=$(ls "$TMP/h/out" | grep -c '\.eml$')
w=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["outputs"]))' "$TMP/h/out/manifest.json")
[ "$n" = "$w" ] && [ "$n" -ge 7 ] && ok "hostile names: $n distinct outputs" || fail "hostile: $n files, $w outputs"

# --where selects; the others are listed as not selected
expect_rc 0 "$IMCQ" recover -q --to eml --where 'id = 3SW32JRP' --out "$TMP/w" "$T"
ls "$TMP/w" | grep -v manifest.json > "$TMP/w.list"
[ "$(cat "$TMP/w.list")" = "3SW32JRP.eml" ] && ok "--where: one output" || fail "--where wrote: $(cat "$TMP/w.list")"
[ "$(reason_of "$TMP/w" HBWK2Q2P)" = "not selected by --where" ] && ok "--where: reason" || fail "--where reason: $(reason_of "$TMP/w" HBWK2Q2P)"

# refusals
mkdir -p "$TMP/full" && echo x > "$TMP/full/keep"
expect_rc 3 "$IMCQ" recover --to pickup --out "$TMP/full" "$T" && grep -q "not empty" "$TMP/.err" && ok "non-empty DIR refused (exit 3)" || fail "non-empty DIR: $(cat "$TMP/.err")"
grep -q -- "--force" "$TMP/.err" && fail "recover suggests --force, which it refuses: $(cat "$TMP/.err")"
expect_rc 2 "$IMCQ" recover --json --to eml --out "$TMP/x0" "$T" && grep -q "does not apply" "$TMP/.err" && ok "--json refused by recover (exit 2)" || fail "recover --json: $(cat "$TMP/.err")"
expect_rc 2 "$IMCQ" reinject --json --dry-run --smtp smtp://127.0.0.1:1 "$T" && grep -q "does not apply" "$TMP/.err" && ok "--json refused by reinject (exit 2)" || fail "reinject --json: $(cat "$TMP/.err")"
[ "$(ls "$TMP/full")" = keep ] || fail "non-empty DIR was written into"
expect_rc 2 "$IMCQ" recover --to pickup --force --out "$TMP/full" "$T" && ok "--force refused (exit 2)"
expect_rc 2 "$IMCQ" recover --to mh --out "$TMP/x1" "$T" && ok "bad --to (exit 2)"
expect_rc 2 "$IMCQ" recover --out "$TMP/x2" "$T" && ok "no --to (exit 2)"
expect_rc 2 "$IMCQ" recover --to eml "$T" && ok "no --out (exit 2)"
chmod -R u+w "$T"
cp -a "$T" "$TMP/tree2"
before2=$(tree_sum "$TMP/tree2")
expect_rc 3 "$IMCQ" recover --to eml --out "$TMP/tree2/EXCHSRVR/recovered" "$TMP/tree2" && grep -q "inside the input" "$TMP/.err" && ok "DIR inside an input refused (exit 3)" || fail "inside input: $(cat "$TMP/.err")"
expect_rc 3 "$IMCQ" recover --to eml --out "$TMP/tree2/EXCHSRVR/../x" "$TMP/tree2" || fail "inside input via .."
ln -s "$TMP/tree2/EXCHSRVR" "$TMP/link"
expect_rc 3 "$IMCQ" recover --to eml --out "$TMP/link/y" "$TMP/tree2" || fail "inside input via a symlink"
[ "$(tree_sum "$TMP/tree2")" = "$before2" ] && ok "input untouched after refusals" || fail "input changed"
chmod -R a-w "$T"

# determinism: the same manifest and bytes twice
expect_rc 0 "$IMCQ" recover -q --to pickup --out "$TMP/again" "$T"
cmp -s "$TMP/again/manifest.json" "$TMP/out-pickup/manifest.json" && ok "manifest identical on a second run" || fail "manifest differs between runs"
# a zip input gives the same outputs as the folder
(cd "$T" && python3 -c '
import os, zipfile, sys
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for dp, dn, fn in sorted(os.walk(".")):
        for f in sorted(fn):
            p = os.path.join(dp, f)
            z.write(p, os.path.relpath(p, "."))' "$TMP/tree.zip")
expect_rc 0 "$IMCQ" recover -q --to eml --out "$TMP/z" "$TMP/tree.zip"
unzip -p "$TMP/tree.zip" EXCHSRVR/IMCDATA/OUT/DOTS0001 | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().split(b"EwLs",1)[1])' | cmp -s - "$TMP/z/DOTS0001.eml" && ok "zip: eml equals the member's RFC 822 part" || fail "zip eml"
for f in $(cd "$TMP/out-eml" && ls | grep -v manifest); do cmp -s "$TMP/out-eml/$f" "$TMP/z/$f" || fail "zip vs folder: $f"; done

[ "$(tree_sum "$T")" = "$before" ] && ok "inputs byte-identical" || fail "an input changed"
finish
