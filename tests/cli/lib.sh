# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for the CLI tests (git's t/ style).
# Every test: `. "$(dirname "$0")/lib.sh"`, then checks; `fail MSG` ends it.
set -u
: "${IMCQ:?IMCQ must point at the imcq binary}"
: "${IMCQ_SRC:?IMCQ_SRC must point at the source tree}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/imcq-test.XXXXXX")
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# expect_rc WANT CMD... : run CMD, check its exit code
expect_rc() {
	local want=$1; shift
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		fail "'$*' exited $rc, expected $want"; sed 's/^/  stderr: /' "$TMP/.err" | head -20 >&2
		return 1
	fi
	return 0
}
need() { command -v "$1" >/dev/null 2>&1 || { echo "skip: $1 not installed"; exit 77; }; }
finish() {
	if [ "$FAILS" -gt 0 ]; then echo "$FAILS failed"; exit 1; fi
	echo "0 failed"; exit 0
}
# A small Exchsrvr tree used by several tests (two Out files, an archive
# copy, an In file, a pickup file), written into $1.
make_tree() {
	local d=$1
	mkdir -p "$d/EXCHSRVR/IMCDATA/OUT/ARCHIVE" "$d/EXCHSRVR/IMCDATA/IN" "$d/EXCHSRVR/IMCDATA/PICKUP"
	printf '\367ImCr\001\000\000\000mail.example.net\000client.example.net\000<alice@example.net>\000c=US;a= ;p=Test;l=EXB2-261126100000Z-1\000<bob@example.com>\000<carol@example.org>\000EwLsFrom: Alice <alice@example.net>\r\nTo: Bob <bob@example.com>\r\nSubject: quarterly figures\r\nMessage-ID: <m1@example.net>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nHello Bob.\r\n' > "$d/EXCHSRVR/IMCDATA/OUT/3SW32JRP"
	cp "$d/EXCHSRVR/IMCDATA/OUT/3SW32JRP" "$d/EXCHSRVR/IMCDATA/OUT/ARCHIVE/3SW32JRP"
	printf '\367ImCr\002\000\000\000mx.example.com\000relay.example.com\000<>\000c=US;a= ;p=Test;l=EXB2-261126110000Z-2\000<dave@example.com>\000EwLsFrom: postmaster@example.com\r\nTo: dave@example.com\r\nSubject: Undeliverable: hello\r\nMessage-ID: <m2@example.com>\r\n\r\nbounce\r\n' > "$d/EXCHSRVR/IMCDATA/OUT/HBWK2Q2P"
	printf '\367ImCr\003\000\000\000gw.example.org\000gw.example.org\000<erin@example.org>\000<frank@example.net>\000EwLsReceived: from gw.example.org by exb2.example.net with SMTP (Microsoft Exchange Internet Mail Service Version 5.5.2653.13) id WXJXSG2D; Thu, 26 Nov 2026 09:00:00 -0500\r\nFrom: erin@example.org\r\nTo: frank@example.net\r\nSubject: inbound\r\nMessage-ID: <m3@example.org>\r\n\r\nin\r\n' > "$d/EXCHSRVR/IMCDATA/IN/WXJXSG2D"
	printf 'X-Sender: grace@example.net\r\nX-Receiver: heidi@example.com\r\nFrom: grace@example.net\r\nTo: heidi@example.com\r\nSubject: pickup\r\n\r\npicked\r\n' > "$d/EXCHSRVR/IMCDATA/PICKUP/note.eml"
	touch -d '2026-11-26 12:00:00 UTC' "$d"/EXCHSRVR/IMCDATA/*/* "$d"/EXCHSRVR/IMCDATA/OUT/ARCHIVE/* 2>/dev/null
	return 0
}
# ids_and_hashes REPORT.json: "spool_id sha256" lines, sorted
ids_and_hashes() {
	python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
rows=sorted("%s %s"%(m["spool_id"], s["sha256"]) for m in d["messages"] for s in m["sources"])
print("\n".join(rows))' "$1"
}
