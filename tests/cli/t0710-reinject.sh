#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# imcq reinject against a real SMTP server: a private Postfix instance on
# 127.0.0.1 (tests/smtp/start-postfix.sh), installed from Debian when
# missing.  Checks: every message arrives once per recipient with the
# right envelope (Return-Path, X-Original-To, Delivered-To) and an
# identical body; a refused recipient is reported, exit 1, the others
# delivered; a rerun sends nothing; --dry-run sends nothing and writes no
# journal; a torn journal line is reported and tolerated; an uncertain
# pair is reported and re-sent only with --resend-uncertain; runs killed
# at random points and resumed lose no recipient and double at most the
# message in flight.  Every step is bounded by timeout; the server is
# stopped on exit.
. "$(dirname "$0")/lib.sh"
need python3
SMTP=$IMCQ_SRC/tests/smtp
PATH=$PATH:/usr/sbin:/sbin

if ! command -v postfix >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing postfix (Debian package) for the SMTP tests"
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null
		echo "postfix postfix/mailname string localhost" | debconf-set-selections 2>/dev/null
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q postfix >"$TMP/apt.log" 2>&1 ||
			{ timeout 600 apt-get update -q >>"$TMP/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q postfix >>"$TMP/apt.log" 2>&1; } ||
			tail -5 "$TMP/apt.log"
	fi
	command -v postfix >/dev/null 2>&1 || { echo "skip: postfix cannot be installed"; exit 77; }
fi
[ "$(id -u)" = 0 ] || { echo "skip: a private Postfix instance needs root"; exit 77; }

PF=$TMP/postfix
trap 'bash "$SMTP/stop-postfix.sh" "$PF"; chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
PORT=$(timeout 120 bash "$SMTP/start-postfix.sh" "$PF") || { echo "FAIL: cannot start Postfix" >&2; exit 1; }
URL=smtp://127.0.0.1:$PORT
INBOX=$PF/mail/inbox
echo "Postfix on $URL"

run() { timeout 120 "$IMCQ" reinject --smtp "$URL" "$@"; }

# Wait until Postfix's queue is empty (everything delivered or bounced).
settle() {
	local i
	for i in $(seq 1 300); do
		if [ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" -type f 2>/dev/null | head -1)" ]; then
			sleep 0.3
			[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" -type f 2>/dev/null | head -1)" ] && return 0
		fi
		sleep 0.1
	done
	fail "Postfix queue did not drain"
}

# "message-id recipient" per delivered copy, sorted
deliveries() {
	python3 - "$INBOX" <<'PY'
import os, sys
d = sys.argv[1]
rows = []
for sub in ("new", "cur"):
    p = os.path.join(d, sub)
    if not os.path.isdir(p):
        continue
    for f in os.listdir(p):
        mid = rcpt = "?"
        for line in open(os.path.join(p, f), "rb").read().split(b"\n\n", 1)[0].split(b"\n"):
            l = line.decode("latin-1")
            if l.lower().startswith("delivered-to:"): rcpt = l.split(":", 1)[1].strip()
            if l.lower().startswith("message-id:") and mid == "?": mid = l.split(":", 1)[1].strip()
        rows.append("%s %s" % (mid, rcpt))
print("\n".join(sorted(rows)))
PY
}

# The input: spool files as the IMS writes them, and a pickup file.
T=$TMP/tree
OUT=$T/Exchsrvr/Imcdata/Out
mkdir -p "$OUT" "$T/Exchsrvr/Imcdata/Pickup"
spool() {	# spool ID SENDER BODY RCPT...
	local id=$1 from=$2 body=$3 r
	shift 3
	{
		printf '\367ImCr\001\000\000\000mail.example.net\000client.example.net\000<%s>\000c=US;a= ;p=T;l=X-%s\000' "$from" "$id"
		for r in "$@"; do printf '<%s>\000' "$r"; done
		printf 'EwLs'
		printf '%b' "$body"
	} > "$OUT/$id"
}
spool AAAA0001 alice@example.net 'From: Alice <alice@example.net>\nTo: bob@example.com, refuse@example.com\nSubject: dots and LF\nMessage-ID: <m1@example.net>\n\nfirst\n.\n.leading\n..two\nFrom here\nno final newline' \
	bob@example.com refuse@example.com carol@example.org
spool AAAA0002 "" 'From: postmaster@example.com\r\nTo: dave@example.com\r\nSubject: Undeliverable\r\nMessage-ID: <m2@example.com>\r\n\r\nbounce\r\n' dave@example.com
spool AAAA0003 erin@example.org 'From: erin@example.org\r\nTo: frank@example.net\r\nSubject: eight bit\r\nMessage-ID: <m3@example.org>\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nd\351j\340 vu\r\n' frank@example.net
printf 'X-Sender: grace@example.net\r\nX-Receiver: heidi@example.com\r\nFrom: grace@example.net\r\nTo: heidi@example.com\r\nSubject: pickup\r\nMessage-ID: <m4@example.net>\r\n\r\npicked\r\n' > "$T/Exchsrvr/Imcdata/Pickup/note.eml"
cp "$OUT/AAAA0002" "$TMP/AAAA0002.copy"
mkdir -p "$OUT/Archive" && cp "$OUT/AAAA0002" "$OUT/Archive/AAAA0002"	# identical copy: sent once

# 1. --dry-run: nothing sent, no journal
J=$TMP/journal
expect_rc 0 run --dry-run --journal "$J" "$T" && ok "dry run: exit 0"
grep -q "would send bob@example.com" "$TMP/.out" && ok "dry run: shows what would be sent" || fail "dry run output: $(head -5 "$TMP/.out")"
[ ! -e "$J" ] && ok "dry run: no journal written" || fail "dry run wrote a journal"
expect_rc 0 run --dry-run --where 'id = AAAA0002' --journal "$J" "$T"
[ "$(grep -c "would send" "$TMP/.out")" = 1 ] && grep -q "would send dave@example.com" "$TMP/.out" && ok "--where selects" || fail "--where: $(cat "$TMP/.out")"
settle
[ -z "$(deliveries)" ] && ok "dry run: nothing delivered" || fail "dry run delivered: $(deliveries)"

# 2. the real run: one refused recipient, exit 1, the others delivered once
expect_rc 1 run --journal "$J" "$T" && ok "refused recipient: exit 1"
cp "$TMP/.out" "$TMP/run1.out"
grep -qE "refused +refuse@example.com: 550 " "$TMP/run1.out" && ok "refused recipient reported with its 550" || fail "no 550 line: $(cat "$TMP/run1.out")"
grep -A20 "^not accepted" "$TMP/run1.out" | grep -q "AAAA0001 refuse@example.com" && ok "refused recipient listed" || fail "not listed"
settle
cat > "$TMP/want.deliv" <<'EOF'
<m1@example.net> bob@example.com
<m1@example.net> carol@example.org
<m2@example.com> dave@example.com
<m3@example.org> frank@example.net
<m4@example.net> heidi@example.com
EOF
deliveries > "$TMP/got.deliv"
cmp -s "$TMP/want.deliv" "$TMP/got.deliv" && ok "each message once per recipient" || { fail "deliveries:"; diff "$TMP/want.deliv" "$TMP/got.deliv" >&2; }

# envelope and body: strip what Postfix prepends, compare with the stored RFC 822 part
python3 - "$INBOX" "$T" <<'PY' && ok "envelope (Return-Path, X-Original-To, Delivered-To) and bodies identical" || fail "envelope or body differs"
import os, re, sys
inbox, tree = sys.argv[1], sys.argv[2]
def norm(b):
    b = b.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return b if b.endswith(b"\n") else b + b"\n"
src = {}
out = os.path.join(tree, "Exchsrvr/Imcdata/Out")
for f in os.listdir(out):
    p = os.path.join(out, f)
    if os.path.isfile(p):
        d = open(p, "rb").read()
        src[f] = (re.search(rb"<([^>]*)>", d[:d.index(b"EwLs")]).group(1), norm(d.split(b"EwLs", 1)[1]))
pk = open(os.path.join(tree, "Exchsrvr/Imcdata/Pickup/note.eml"), "rb").read()
src["note"] = (b"grace@example.net", norm(pk.split(b"\r\n", 2)[2]))
bymid = {}
for k, (s, body) in src.items():
    m = re.search(rb"Message-ID: (<[^>]*>)", body)
    bymid[m.group(1)] = (s, body)
bad = 0
for f in os.listdir(os.path.join(inbox, "new")):
    d = open(os.path.join(inbox, "new", f), "rb").read()
    lines = d.split(b"\n")
    hdr = {}
    i = 0
    for name in (b"Return-Path", b"X-Original-To", b"Delivered-To"):
        assert lines[i].startswith(name + b": "), (f, lines[i])
        hdr[name] = lines[i].split(b": ", 1)[1]
        i += 1
    assert lines[i].startswith(b"Received: "), lines[i]
    i += 1
    while lines[i].startswith((b"\t", b" ")):
        i += 1
    rest = b"\n".join(lines[i:])
    mid = re.search(rb"Message-ID: (<[^>]*>)", rest).group(1)
    sender, body = bymid[mid]
    if hdr[b"Return-Path"] != b"<" + sender + b">":
        print("Return-Path", f, hdr[b"Return-Path"], sender); bad += 1
    if hdr[b"X-Original-To"] != hdr[b"Delivered-To"]:
        print("X-Original-To", f); bad += 1
    if rest != body:
        print("body differs", mid, repr(rest[:200]), repr(body[:200])); bad += 1
sys.exit(1 if bad else 0)
PY

# 3. a rerun: only the refused recipient is tried again; nothing else sent
q1=$(grep -c "cleanup.*message-id=" "$PF/maillog")
expect_rc 1 run --journal "$J" "$T"
grep -cE "^  done " "$TMP/.out" | grep -qx 5 && ok "rerun: 5 recipients accepted earlier" || fail "rerun: $(cat "$TMP/.out")"
grep -qE "refused +refuse@example.com" "$TMP/.out" && ok "rerun: the refused recipient is retried" || fail "rerun did not retry the refused recipient"
settle
q2=$(grep -c "cleanup.*message-id=" "$PF/maillog")
[ "$q1" = "$q2" ] && deliveries | cmp -s - "$TMP/want.deliv" && ok "rerun: no message sent again" || fail "rerun sent mail ($q1 -> $q2)"

# 4. the policy lets the recipient in: it is delivered, then a rerun sends nothing at all
printf '/^nobody-refused@example\\.com$/ 550 5.7.1 refused\n' > "$PF/conf/rcpt_access"
timeout 60 postfix -c "$PF/conf" reload >/dev/null 2>&1
sleep 1
expect_rc 0 run --journal "$J" "$T" && ok "after the policy change: exit 0"
grep -qE "accepted +refuse@example.com: 250" "$TMP/.out" || fail "refuse@example.com not accepted: $(cat "$TMP/.out")"
settle
c1=$(grep -c "connect from" "$PF/maillog")
expect_rc 0 run --journal "$J" "$T" && ok "a further run: exit 0"
grep -q "accepted now" "$TMP/.out" && grep -q "0 accepted now, 6 accepted earlier" "$TMP/.out" && ok "a further run: all accepted earlier" || fail "further run: $(tail -3 "$TMP/.out")"
settle
c2=$(grep -c "connect from" "$PF/maillog")
[ "$c1" = "$c2" ] && ok "a further run does not even connect" || fail "a further run connected ($c1 -> $c2)"
[ "$(deliveries | grep -c .)" = 6 ] || fail "deliveries: $(deliveries)"

# 5. a torn journal line is reported and tolerated; an uncertain pair (a
#    `sending` record with no result, as a crash mid-transaction leaves) is
#    reported, not sent, then sent once with --resend-uncertain
spool AAAA0005 ivan@example.net 'From: ivan@example.net\r\nTo: judy@example.com\r\nSubject: in flight\r\nMessage-ID: <m5@example.net>\r\n\r\nflight\r\n' judy@example.com
printf 'result AAAA0002/abc dave@example.com 25' >> "$J"
key=AAAA0005/$(sha256sum "$OUT/AAAA0005" | cut -d' ' -f1)
python3 - "$J" "$key" <<'PY'
import sys, zlib
j, key = sys.argv[1], sys.argv[2]
line = "sending %s judy@example.com at=2026-01-01T00:00:00Z" % key
with open(j, "a") as f:
    f.write("\n%s ~%08x\n" % (line, zlib.crc32(line.encode()) & 0xffffffff))
PY
expect_rc 1 run --journal "$J" "$T" && ok "uncertain pair: exit 1"
grep -q "damaged line" "$TMP/.err" && ok "torn journal line reported" || fail "torn line not reported: $(cat "$TMP/.err")"
grep -qE "UNCERTAIN +judy@example.com" "$TMP/.out" && ok "uncertain pair reported" || fail "uncertain not reported: $(cat "$TMP/.out")"
grep -A5 "^not accepted" "$TMP/.out" | grep -q "AAAA0005 judy@example.com: uncertain" && ok "uncertain pair listed as not accepted" || fail "uncertain pair not listed"
settle
[ "$(deliveries | grep -c "judy@example.com")" = 0 ] && ok "uncertain pair not sent without --resend-uncertain" || fail "uncertain pair was sent"
expect_rc 0 run --journal "$J" --resend-uncertain "$T" && ok "--resend-uncertain: exit 0"
settle
[ "$(deliveries | grep -c "judy@example.com")" = 1 ] && ok "--resend-uncertain sent it once" || fail "--resend-uncertain: $(deliveries | grep judy)"
expect_rc 0 run --journal "$J" --resend-uncertain "$T"
grep -q "0 accepted now, 7 accepted earlier" "$TMP/.out" && ok "then nothing more to send" || fail "after resend: $(tail -3 "$TMP/.out")"

# 6. usage errors
expect_rc 2 "$IMCQ" reinject --smtp http://127.0.0.1:1 "$T" && ok "http:// refused (exit 2)"
expect_rc 2 "$IMCQ" reinject "$T" && ok "--smtp required (exit 2)"
expect_rc 2 "$IMCQ" reinject --smtp "$URL" --user u "$T" && ok "--user without --password-file (exit 2)"

# 7. --rate: 4 messages at 4 per second take at least 0.75 s
R=$TMP/rtree/Exchsrvr/Imcdata/Out
mkdir -p "$R"
for i in 1 2 3 4; do
	printf '\367ImCr\001\000\000\000mail.example.net\000client.example.net\000<rita@example.net>\000<r@example.com>\000EwLsFrom: rita@example.net\r\nSubject: rate %s\r\nMessage-ID: <r%s@example.net>\r\n\r\nr\r\n' $i $i > "$R/RATE000$i"
done
t0=$(date +%s%N)
expect_rc 0 run --rate 4 --journal "$TMP/rjournal" "$TMP/rtree"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -ge 750 ] && ok "--rate 4: $(( (t1 - t0) / 1000000 )) ms for 4 messages" || fail "--rate not applied: $(( (t1 - t0) / 1000000 )) ms"

# 8. killed at random points and resumed: nothing lost, at most the
#    message in flight doubled (and only when re-sent on purpose)
K=$TMP/ktree/Exchsrvr/Imcdata/Out
mkdir -p "$K"
for i in $(seq -w 1 30); do
	printf '\367ImCr\001\000\000\000mail.example.net\000client.example.net\000<kim@example.net>\000<k1@example.com>\000<k2@example.net>\000EwLsFrom: kim@example.net\r\nTo: k1@example.com\r\nSubject: kill test %s\r\nMessage-ID: <k%s@example.net>\r\n\r\nbody %s\r\n' "$i" "$i" "$i" > "$K/KILL00$i"
done
KJ=$TMP/kjournal
kills=0
for delay in 0.15 0.35 0.6 0.9 0.$((RANDOM % 9 + 1)); do
	timeout --foreground -s KILL "$delay" "$IMCQ" reinject --smtp "$URL" --rate 10 --journal "$KJ" "$TMP/ktree" >"$TMP/k.out" 2>&1
	[ $? = 137 ] && kills=$((kills + 1))
done
ok "$kills runs killed"
run --journal "$KJ" "$TMP/ktree" > "$TMP/k.resume" 2>&1
rc=$?
unc=$(grep -cE "^  UNCERTAIN " "$TMP/k.resume")
[ "$unc" -le $((2 * kills)) ] && ok "resumed: $unc uncertain pairs (at most the message in flight per kill)" || fail "too many uncertain pairs: $unc"
{ [ "$unc" = 0 ] && [ "$rc" = 0 ]; } || { [ "$unc" -gt 0 ] && [ "$rc" = 1 ]; } || fail "resume exit $rc with $unc uncertain pairs"
if [ "$unc" -gt 0 ]; then
	expect_rc 0 run --journal "$KJ" --resend-uncertain "$TMP/ktree" && ok "uncertain pairs re-sent on request"
fi
expect_rc 0 run --journal "$KJ" "$TMP/ktree" && grep -q "0 accepted now, 60 accepted earlier" "$TMP/.out" && ok "finally: all 60 pairs accepted, nothing sent" || fail "final run: $(tail -3 "$TMP/.out")"
settle
python3 - "$INBOX" "$kills" <<'PY' && ok "no recipient lost, duplicates only for messages in flight" || fail "kill/resume deliveries wrong"
import collections, os, sys
inbox, kills = sys.argv[1], int(sys.argv[2])
c = collections.Counter()
for f in os.listdir(os.path.join(inbox, "new")):
    h = open(os.path.join(inbox, "new", f), "rb").read().split(b"\n\n", 1)[0].decode("latin-1")
    mid = rcpt = None
    for l in h.split("\n"):
        if l.startswith("Delivered-To:"): rcpt = l.split(":", 1)[1].strip()
        if l.startswith("Message-ID:"): mid = l.split(":", 1)[1].strip()
    if mid and mid.startswith("<k"):
        c[(mid, rcpt)] += 1
want = {("<k%02d@example.net>" % i, r) for i in range(1, 31) for r in ("k1@example.com", "k2@example.net")}
missing = want - set(c)
doubled = {m for (m, r), n in c.items() if n > 1}
print("pairs %d, missing %d, messages doubled %d, kills %d" % (len(c), len(missing), len(doubled), kills))
sys.exit(1 if missing or len(doubled) > kills or max(c.values()) > 2 else 0)
PY
finish
