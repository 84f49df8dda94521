#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A message whose header block is plain (no Content-Type naming
# "multipart" or "message", no lone CR, nothing cut) is one leaf part:
# GMime reads its header block alone, and the part's content is the rest
# of the input (analyzer/mime.c head_only(), issue #9).  IMCQ_MIME_HEAD=off
# parses the whole input as before; both must give the same bytes (every
# output, one thread and two), on edge cases of where a header block and a
# body end, on the samples, on generated queues and on the real-mail
# corpus.  IMCQ_MIME_HEAD=verbose counts the blocks read alone, so that
# the comparison is known to cover them.
. "$(dirname "$0")/lib.sh"
need python3

S="$IMCQ_SRC/samples/q268494"
mkdir -p "$TMP/edge"
python3 - "$TMP/edge" <<'PY'
import os, sys
d = sys.argv[1]
H = "From: a@example.net\r\nTo: b@example.com\r\nSubject: %s\r\nMessage-ID: <%s@example.net>\r\n"
# name: (header block with its blank line, content, read alone); the part's
# size is the content's length
cases = {
    "lf": (b"From: a@example.net\nTo: b@example.com\nSubject: lf\n\n", b"line one\nline two\n", True),
    "crlf-nofinal": ((H % ("nofinal", "n1")).encode() + b"\r\n", b"body without a final newline", True),
    "empty-body": ((H % ("empty", "e1")).encode() + b"\r\n", b"", True),
    "blank-body": ((H % ("blank", "b1")).encode() + b"\r\n", b"\r\n\r\n", True),
    "mbox-from": (b"From a@example.net Thu Nov 26 10:00:00 2026\n" + (H % ("mbox", "m1")).encode() + b"\r\n",
                  b"From the body\r\n>From quoted\r\n", True),
    "boundaryish": ((H % ("dashes", "d1")).encode() + b"Content-Type: text/plain\r\n\r\n",
                    b"--b\r\n--b--\r\n--\r\n", True),
    "base64": ((H % ("b64", "b64")).encode()
               + b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
               + b"Content-Transfer-Encoding: base64\r\n\r\n", b"QUJDREVGR0hJSktMTU5PUA==\r\n" * 300, True),
    "longline": ((H % ("long", "l1")).encode() + b"\r\n", b"x" * 9000 + b"\r\n" + b"y" * 4095 + b"\n", True),
    "nul": ((H % ("nul", "z1")).encode() + b"\r\n", b"before\x00after\r\n", True),
    "folded": (b"Subject: a folded\r\n subject\r\nTo: b@example.com\r\n\r\n", b"x\r\n", True),
    # not plain: parsed whole, as before
    "multipart": ((H % ("mp", "mp1")).encode()
                  + b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
                  b"pre\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b--\r\nepilogue\r\n", False),
    "message-name": ((H % ("msgname", "mn1")).encode()
                     + b"Content-Type: text/plain; name=\"message.txt\"\r\n\r\n", b"x\r\n", False),
    "lone-cr": ((H % ("lonecr", "lc1")).encode() + b"\r\n", b"a\rb\r\n", False),
    "no-blank-line": ((H % ("noblank", "nb1")).encode(), b"", False),
}
os.makedirs(d + "/Exchsrvr/Imcdata/Pickup", exist_ok=True)
want = []
for name, (head, content, plain) in cases.items():
    open(d + "/Exchsrvr/Imcdata/Pickup/" + name + ".eml", "wb").write(head + content)
    if plain:
        want.append("%s %d" % (name, len(content)))
open(d + "/../edge.want", "w").write("\n".join(sorted(want)) + "\n")
PY
nplain=$(grep -c . "$TMP/edge.want")

# the content sizes of the parts read alone are the bytes after the blank line
IMCQ_MIME_HEAD=verbose "$IMCQ" analyze -q --json "$TMP/edge" >"$TMP/edge.json" 2>"$TMP/edge.err"
python3 - "$TMP/edge.json" "$TMP/edge.want" <<'PY' && ok "edge cases: the content sizes of parts read alone" || fail "edge-case sizes"
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(l.split() for l in open(sys.argv[2]) if l.strip())
got = {}
for m in d["messages"]:
    name = m["sources"][0]["member"].rsplit("/", 1)[-1][:-4]
    if name in want:
        assert m["mime"] and len(m["mime"]) == 1, (name, m["mime"])
        got[name] = str(m["mime"][0]["size"])
assert got == want, (got, want)
PY
grep -q "IMCQ_MIME_HEAD: $nplain header blocks parsed alone" "$TMP/edge.err" &&
	ok "edge cases: $nplain header blocks read alone, the others whole" ||
	fail "IMCQ_MIME_HEAD=verbose: $(cat "$TMP/edge.err") (want $nplain)"

# same NAME CMD...: stdout, stderr, exit code and -o's files (@OUT@), with
# the header block read alone and with the whole input parsed
same() {
	local name=$1; shift
	local m
	for m in on off; do
		rm -rf "$TMP/o-$m"
		if [ $m = off ]; then
			IMCQ_MIME_HEAD=off "$IMCQ" "${@//@OUT@/$TMP/o-$m}"
		else
			IMCQ_MIME_HEAD=verbose "$IMCQ" "${@//@OUT@/$TMP/o-$m}"
		fi >"$TMP/r-$m.out" 2>"$TMP/r-$m.err"
		echo $? >>"$TMP/r-$m.out"
		sed -i "s#$TMP/o-$m#OUT#g" "$TMP/r-$m.out" "$TMP/r-$m.err"
	done
	n=$(sed -n 's/^imcq: IMCQ_MIME_HEAD: \([0-9]*\) header blocks parsed alone$/\1/p' "$TMP/r-on.err")
	grep -v "IMCQ_MIME_HEAD" "$TMP/r-on.err" >"$TMP/r-on.e"
	if ! cmp -s "$TMP/r-on.out" "$TMP/r-off.out" || ! cmp -s "$TMP/r-on.e" "$TMP/r-off.err"; then
		fail "$name: output differs"; diff "$TMP/r-off.out" "$TMP/r-on.out" | head -5 >&2
	elif [ -d "$TMP/o-off" ] && ! diff -r "$TMP/o-off" "$TMP/o-on" >/dev/null; then
		fail "$name: output folder differs"; diff -r -q "$TMP/o-off" "$TMP/o-on" | head -5 >&2
	elif [ "${n:-0}" -lt 1 ]; then
		fail "$name: no header block was read alone"
	else
		ok "$name: the same bytes ($n header blocks read alone)"
	fi
}

python3 "$IMCQ_SRC/bench/make-large.py" 1500 "$TMP/mix.zip" --avg-kb 12 --received 2 >/dev/null ||
	fail "make-large.py failed"
for th in 1 2; do
	same "edge cases --json, --threads $th" analyze -q --threads $th --json "$TMP/edge"
	same "generated -o, --threads $th" analyze -q --threads $th -o @OUT@ "$TMP/mix.zip"
done
same "samples -o" analyze -q -o @OUT@ "$S/serverA-imcdata.zip" "$S/serverB-imcdata.zip"
same "edge cases: show" show -q --json "$TMP/edge" longline.eml
same "edge cases: recover eml" recover -q --to eml --out @OUT@ "$TMP/edge"
if [ -n "${IMCQ_CORPUS:-}" ] && [ -d "$IMCQ_CORPUS" ]; then
	same "real-mail corpus --json" analyze -q --json "$IMCQ_CORPUS"
fi
finish
