#!/bin/sh
# SPDX-License-Identifier: MIT
# t0600-html.sh - report.html on hostile evidence: every string escaped,
# the data block cannot close its script, the CSP hashes match the inline
# script and style, the data block is report.json, two runs are identical.
if [ -z "${IMCQ:-}" ] || [ ! -x "$IMCQ" ]; then
	echo "skip: imcq is not built"
	exit 77
fi
. "$(dirname "$0")/lib.sh"
need node
check="$IMCQ_SRC/tests/browser/check-html.js"

# Spool files whose names, addresses and subjects attack the page.
# spool FILE ID FROM TO SUBJECT (printf escapes allowed in SUBJECT)
spool() {
	{
		printf '\367ImCr\001\000\000\000EXCHB\000host.example\000<%s>\000c=US;a= ;p=Org;l=EXCHB-0001\000X\0009B\000<%s>\000EwLs' "$3" "$4"
		printf 'Received: from EXCHB by exchb.example with SMTP (Microsoft Exchange Internet Mail Service Version 5.0.1460.8) id %s; Mon, 5 Mar 2001 10:00:00 +0000\r\n' "$2"
		printf 'From: %s\r\nTo: %s\r\nSubject: ' "$3" "$4"
		printf "$5"
		printf '\r\nMessage-ID: <%s@x>\r\nDate: Mon, 5 Mar 2001 10:00:00 +0000\r\n\r\nbody\r\n' "$2"
	} >"$1"
}
dir="$TMP/tree/a</script><script>alert(5)</script>/Exchsrvr/IMCDATA/OUT"
mkdir -p "$dir" || { fail "cannot make the hostile tree"; finish; }
spool "$dir/3SW32JRP" 3SW32JRP 'a@example.com' 'b@example.net' '<script>alert(1)</script>'
spool "$dir/HBWK2Q2P" HBWK2Q2P 'x"><img src=x onerror=alert(1)>@evil.example' 'v@example.org' '"><img src=x onerror=alert(1)>'
spool "$dir/WXJXSG2D" WXJXSG2D 'x@example.com' '</script><script>alert(2)</script>@example.com' \
	'</script><script>alert(3)</script> \342\200\250 sep \342\200\251 bad \377\376 utf8'
spool "$dir/\"><img src=x onerror=alert(4)>" ZZZZZZZZ 'x@example.com' 'y@example.com' "it's <b>bold</b> & \"quoted\""
spool "$dir/$(printf 'BAD\377\376NM')" BADNAME1 'x@example.com' 'y@example.com' 'latin1 \351t\351 <!-- \033[31m'
find "$TMP/tree" -exec touch -h -d '2001-03-05 10:00:00 UTC' {} +

run() {
	"$IMCQ" analyze -q -o "$1" "$TMP/tree" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	if [ "$rc" -gt 1 ]; then
		fail "imcq analyze exited $rc"
		sed 's/^/  stderr: /' "$TMP/.err" | head -20 >&2
		finish
	fi
}
run "$TMP/out1"
run "$TMP/out2"
html="$TMP/out1/report.html"
[ -s "$html" ] || { fail "no report.html"; finish; }
ok "report.html written"

if cmp -s "$html" "$TMP/out2/report.html"; then
	ok "two runs give identical report.html"
else
	fail "two runs give different report.html"
fi

if node "$check" "$html" --json "$TMP/out1/report.json" \
	--expect '<script>alert(1)</script>' \
	--expect '"><img src=x onerror=alert(1)>' \
	--expect "it's <b>bold</b> & \"quoted\"" >"$TMP/.check" 2>&1; then
	ok "static checks of report.html"
else
	fail "static checks of report.html"
fi
sed 's/^/  /' "$TMP/.check"

# Nothing of the data is markup: no tag of the page carries a hostile name.
if grep -a -q '<img\|<b>bold\|<script>alert' "$html"; then
	fail "unescaped hostile text in report.html"
else
	ok "no unescaped hostile text"
fi
finish
