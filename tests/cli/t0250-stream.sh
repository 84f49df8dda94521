#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The text logs (tracking, protocol log, Route.txt) are read as a stream:
# ingest hands their members to the reader in chunks, whatever their size
# (formats/format.h open/feed/close).  Everything must be as when they
# are read whole (IMCQ_STREAM=whole, the way before), whatever the cuts
# (IMCQ_STREAM_CHUNK=N: chunks of at most N bytes), with one thread and
# two: stdout, stderr and exit code of analyze --json.  On the samples,
# and on crafted logs with CR, LF, CRLF and mixed line ends, a last line
# without its end, an over-long line, binary lines, in a folder, a zip, a
# zip in a zip and a tar.gz; then damage and the budgets while a log
# streams (a gzip cut in the middle of a log, --max-total, --max-ratio,
# --max-anomalies, a suspicious path, --max-lines).  A log over
# --max-entry is read (a whole read refuses it).
. "$(dirname "$0")/lib.sh"
need python3

# same NAME ARGS...: `analyze ARGS` read whole with one thread, against
# streamed with one and two threads, in chunks of 1, 7 and 4096 bytes
same() {
	local name=$1; shift
	IMCQ_STREAM=whole "$IMCQ" analyze "$@" --threads 1 >"$TMP/w.out" 2>"$TMP/w.err"
	local rw=$? v
	for v in "1" "2" "1 1" "2 7" "1 4096" "2 1"; do
		local th=${v% *} ch=
		[ "$v" != "$th" ] && ch=${v#* }
		IMCQ_STREAM_CHUNK=$ch "$IMCQ" analyze "$@" --threads "$th" >"$TMP/s.out" 2>"$TMP/s.err"
		local rs=$?
		if [ "$rs" != "$rw" ]; then
			fail "$name: exit $rw read whole, $rs streamed (threads $th, chunk ${ch:-any})"; return 1
		fi
		if ! cmp -s "$TMP/w.out" "$TMP/s.out" || ! cmp -s "$TMP/w.err" "$TMP/s.err"; then
			fail "$name: output differs streamed (threads $th, chunk ${ch:-any})"
			diff "$TMP/w.out" "$TMP/s.out" | head -10 >&2
			diff "$TMP/w.err" "$TMP/s.err" | head -5 >&2
			return 1
		fi
	done
	ok "$name: the same bytes streamed as read whole (exit $rw)"
	SAME_RC=$rw
	return 0
}

# jq-like: python3 expression on the report in $TMP/s.out (d)
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP/s.out"; }

S=$IMCQ_SRC/samples/q268494
A=$S/serverA-imcdata.zip
B=$S/serverB-imcdata.zip
same "samples A" -q --json "$A"
same "samples A B" -q --json --log-tz +02:00 "$A" "$B"
same "samples, summary" -q --now 2026-11-21T00:00:00Z "$B" "$A"

make_tree "$TMP/tree"
python3 - "$TMP" <<'PY' || fail "building the inputs"
import gzip, io, os, sys, tarfile, zipfile
tmp = sys.argv[1]
tree = os.path.join(tmp, "tree")
trk = os.path.join(tree, "EXCHSRVR/TRACKING.LOG")
log = os.path.join(tree, "EXCHSRVR/IMCDATA/LOG")
os.makedirs(trk)
os.makedirs(log)
ends = [b"\n", b"\r\n", b"\r"]
def record(i, end):
    sid = b"Q%07d" % (i % 3000)
    return (b"<%s@ims.example.com>\t%d\t2026.11.26 %d:%02d:%d\t\tmx.example.org\t"
            b"<m%d@example.net>[%s]\t/o=ORG/ou=SITE/cn=Recipients/cn=alice\t0\t%d\t0\t1\t\t2\t"
            b"bob@example.com\tcarol@example.org%s"
            % (sid, 1010 + i % 3, i % 24, i % 60, i % 60, i, sid, 1000 + i, end))
lines = [b"# Message Tracking Log File\r\n"]
for i in range(6000):
    lines.append(record(i, ends[i % 3] if i % 100 else ends[(i // 100) % 3]))
    if i == 1000:
        lines.append(b"x" * 70000 + b"\t1010\t2026.11.26 1:2:3\r\n")   # over 64 KiB
    if i == 2000:
        lines.append(b"\x00\x01binary\x02 line\xff\n")
    if i == 3000:
        lines.append(b"\r\n\n\r\r")
text = b"".join(lines) + record(6000, b"")   # no final line end
open(os.path.join(trk, "20261126.log"), "wb").write(text)
# a small log too: it fits in the first chunk
open(os.path.join(trk, "20261127.log"), "wb").write(b"".join(lines[:20]))
pl = []
for s in range(400):
    end = ends[s % 3]
    t = b"11/26/26 %d:%02d:%02d AM : " % (s % 12 + 1, s % 60, s % 60)
    pl += [t + b"A connection to 10.0.%d.%d was established." % (s // 256, s % 256) + end,
           t + b"IO: |220 mx.example.org ready" + end,
           t + b"220 mx.example.org ready" + end,
           t + b"EHLO ims.example.net" + end,
           t + b"MAIL FROM:<alice@example.net>" + end,
           t + b"RCPT TO:<bob%d@example.org>" % s + end,
           t + (b"IO: |250 OK" if s % 5 else b"IO: |451 try later") + end,
           t + b"DATA" + end,
           b"continuation line without a stamp" + end]
open(os.path.join(log, "L0000001.LOG"), "wb").write(b"".join(pl)[:-1])
open(os.path.join(log, "ROUTE.TXT"), "wb").write(
    b"SMTP,*@example.org;,1,Internet Mail Service (B),\r\nSMTP:*@example.com cost 5\r")
def zipdir(root, path, prefix=""):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for dp, dn, fn in sorted(os.walk(root)):
            dn.sort()
            for n in sorted(fn):
                p = os.path.join(dp, n)
                zi = zipfile.ZipInfo(prefix + os.path.relpath(p, root), (2026, 11, 26, 12, 0, 0))
                z.writestr(zi, open(p, "rb").read(), zipfile.ZIP_DEFLATED)
zipdir(tree, os.path.join(tmp, "tree.zip"))
with zipfile.ZipFile(os.path.join(tmp, "nested.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr(zipfile.ZipInfo("inner/tree.zip", (2026, 11, 26, 12, 0, 0)),
               open(os.path.join(tmp, "tree.zip"), "rb").read())
def tgz(path, members):
    with tarfile.open(path, "w:gz") as t:
        for name, data in members:
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 1795000000
            t.addfile(ti, io.BytesIO(data))
tgz(os.path.join(tmp, "tree.tar.gz"),
    [("EXCHSRVR/TRACKING.LOG/20261126.log", text),
     ("EXCHSRVR/IMCDATA/LOG/L0000001.LOG", b"".join(pl))])
# damaged: the gzip cut in the middle of the log, and with a suspicious name
data = open(os.path.join(tmp, "tree.tar.gz"), "rb").read()
open(os.path.join(tmp, "cut.tar.gz"), "wb").write(data[: len(data) // 3])
tgz(os.path.join(tmp, "sus.tar.gz"), [("../EXCHSRVR/TRACKING.LOG/20261126.log", text)])
data = open(os.path.join(tmp, "sus.tar.gz"), "rb").read()
open(os.path.join(tmp, "sus-cut.tar.gz"), "wb").write(data[: len(data) // 2])
# a bomb: 20 MiB of one repeated record (past the 16 MiB floor of --max-ratio)
tgz(os.path.join(tmp, "bomb.tar.gz"),
    [("EXCHSRVR/TRACKING.LOG/20261128.log", record(7, b"\r\n") * (20 * 1024 * 1024 // len(record(7, b"\r\n"))))])
PY
T=$TMP/tree
same "folder" -q --json "$T"
same "folder, warnings on stderr" --json "$T"
same "zip" -q --json "$TMP/tree.zip"
same "zip in a zip" -q --json "$TMP/nested.zip"
same "tar.gz" -q --json "$TMP/tree.tar.gz"
same "a single file" -q --json "$T/EXCHSRVR/TRACKING.LOG/20261126.log"
same "--max-lines" -q --json --max-lines 1500 "$TMP/tree.zip"
same "--max-rcpts" -q --json --max-rcpts 1 "$TMP/tree.zip"
same "cut short" --json "$TMP/cut.tar.gz"
[ "$SAME_RC" = 1 ] && ok "cut short: exit 1" || fail "cut short: exit $SAME_RC"
grep -q member-damaged "$TMP/s.out" && ok "cut short: member-damaged" || fail "cut short: no member-damaged"
same "cut short, few anomalies kept" --json --max-anomalies 3 "$TMP/cut.tar.gz"
same "cut short, one anomaly kept" --json --max-anomalies 1 "$TMP/cut.tar.gz"
same "suspicious name, cut short" --json "$TMP/sus-cut.tar.gz"
same "--max-total, in an archive" --json --max-total 300k "$TMP/tree.tar.gz"
same "--max-total, in a zip" --json --max-total 300k "$TMP/tree.zip"
same "--max-total, in a folder" --json --max-total 300k "$T"
same "--max-total, a folder's log fits" --json --max-total 2M "$T"
same "--max-ratio" --json --max-ratio 10 "$TMP/bomb.tar.gz"
grep -q decompression-bomb "$TMP/s.out" && ok "--max-ratio: a bomb" || fail "--max-ratio: no bomb"
same "--format tracking-log" -q --json --format tracking-log "$TMP/tree.zip"

# Over --max-entry: read as a stream; read whole, refused.
"$IMCQ" analyze -q --json --max-entry 4k "$TMP/tree.zip" >"$TMP/s.out" 2>/dev/null
big='[i for i in d["inventory"] if i["member"].endswith("20261126.log")][0]'
if [ "$(q "$big[\"kind\"], $big[\"parsed\"]")" = "tracking-log True" ] &&
   [ "$(q 'sum(1 for a in d["anomalies"] if a["code"] == "member-too-large")')" = 0 ] &&
   [ "$(q "$big[\"size\"]")" = "$(wc -c < "$T/EXCHSRVR/TRACKING.LOG/20261126.log")" ]; then
	ok "a log over --max-entry is read (its size and hash listed)"
else
	fail "a log over --max-entry: $(q "$big")"
fi
"$IMCQ" analyze -q --json "$TMP/tree.zip" >"$TMP/w.out" 2>/dev/null
python3 - "$TMP/w.out" "$TMP/s.out" <<'PY' && ok "...with the same events and sessions" || fail "events differ with --max-entry 4k"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda d: (d["inventory"], d["logs"], d["summary"]["by_state"])
sys.exit(0 if key(a) == key(b) else 1)
PY
IMCQ_STREAM=whole "$IMCQ" analyze -q --json --max-entry 4k "$TMP/tree.zip" >"$TMP/s.out" 2>/dev/null
[ "$(q "$big[\"kind\"]")" = "too-large" ] && ok "IMCQ_STREAM=whole: refused, as before" ||
	fail "IMCQ_STREAM=whole: $(q "$big")"

# The whole test suite's logs stream: the same bytes as read whole.
finish
