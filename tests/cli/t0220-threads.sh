#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingest with one thread and with two (--threads 1 / --threads 2: the
# producer thread reads, decompresses, hashes and detects, and reads
# message members itself when the calling thread has a backlog; the
# calling thread parses) gives the same bytes: stdout, stderr (warnings,
# progress lines), exit code, every file of -o and of recover --out.  Two
# threads run twice: as they come, and with IMCQ_INGEST_SPARE=always (the
# producer reads every message member it can).  On the samples, a folder,
# a zip of more members than the queue holds, archives nested two deep, a
# damaged archive, and every ingest limit.  The report writing after
# ingest too (analyze -o and --json: the second thread renders messages
# and the report's large arrays while the calling thread writes them, and
# writes timeline.csv): more messages than its queue holds, a selection,
# an empty one, -o with --json, and write errors.
. "$(dirname "$0")/lib.sh"
need python3

# same NAME CMD...: run CMD with --threads 1, 2, and 2 reading early;
# compare everything
same() {
	local name=$1; shift
	"$IMCQ" "$@" --threads 1 >"$TMP/t1.out" 2>"$TMP/t1.err"; local r1=$?
	"$IMCQ" "$@" --threads 2 >"$TMP/t2.out" 2>"$TMP/t2.err"; local r2=$?
	IMCQ_INGEST_SPARE=always "$IMCQ" "$@" --threads 2 >"$TMP/t3.out" 2>"$TMP/t3.err"; local r3=$?
	if [ "$r1" != "$r2" ] || [ "$r1" != "$r3" ]; then
		fail "$name: exit $r1 with one thread, $r2 and $r3 with two"; return 1
	fi
	local t
	for t in t2 t3; do
		if ! cmp -s "$TMP/t1.out" "$TMP/$t.out"; then
			fail "$name: stdout differs ($t)"; diff "$TMP/t1.out" "$TMP/$t.out" | head -10 >&2; return 1
		fi
		if ! cmp -s "$TMP/t1.err" "$TMP/$t.err"; then
			fail "$name: stderr differs ($t)"; diff "$TMP/t1.err" "$TMP/$t.err" | head -10 >&2; return 1
		fi
	done
	ok "$name: same bytes and exit $r1 with one and two threads"
	SAME_RC=$r1
	return 0
}

# same_dir NAME OPTION CMD...: CMD writes into the folder after OPTION
# (one thread, then two reading early)
same_dir() {
	local name=$1 opt=$2; shift 2
	rm -rf "$TMP/d1" "$TMP/d2"
	"$IMCQ" "$@" "$opt" "$TMP/d1" --threads 1 >"$TMP/t1.out" 2>"$TMP/t1.err"; local r1=$?
	IMCQ_INGEST_SPARE=always "$IMCQ" "$@" "$opt" "$TMP/d2" --threads 2 >"$TMP/t2.out" 2>"$TMP/t2.err"; local r2=$?
	if [ "$r1" != "$r2" ]; then fail "$name: exit $r1 with one thread, $r2 with two"; return 1; fi
	# the folder names differ; everything else may not
	sed "s#$TMP/d1#DIR#g" "$TMP/t1.out" > "$TMP/t1.o"; sed "s#$TMP/d2#DIR#g" "$TMP/t2.out" > "$TMP/t2.o"
	sed "s#$TMP/d1#DIR#g" "$TMP/t1.err" > "$TMP/t1.e"; sed "s#$TMP/d2#DIR#g" "$TMP/t2.err" > "$TMP/t2.e"
	if ! cmp -s "$TMP/t1.o" "$TMP/t2.o" || ! cmp -s "$TMP/t1.e" "$TMP/t2.e"; then
		fail "$name: terminal output differs"; return 1
	fi
	if ! diff -r "$TMP/d1" "$TMP/d2" >/dev/null; then
		fail "$name: output folders differ"; diff -r "$TMP/d1" "$TMP/d2" | head -10 >&2; return 1
	fi
	[ -n "$(ls "$TMP/d1")" ] || { fail "$name: nothing written"; return 1; }
	ok "$name: same files ($(ls "$TMP/d1" | wc -l)) and exit $r1 with one and two threads"
	return 0
}

S=$IMCQ_SRC/samples/q268494
A=$S/serverA-imcdata.zip
B=$S/serverB-imcdata.zip

# The samples, every command that walks the inputs.
same "analyze --json A B" analyze -q --json "$A" "$B"
same "analyze B A (terminal)" analyze -q "$B" "$A"
same "list --json" list -q --json "$A" "$B"
same "timeline" timeline -q "$A" "$B"
same "show" show -q --json "$B" 07SYXHKM
same_dir "analyze -o" -o analyze -q "$A" "$B"
same_dir "recover --to eml (the replay walk)" --out recover -q --to eml "$A" "$B"
same_dir "recover --to pickup" --out recover -q --to pickup "$B"

# A folder with a link, a fifo and an archive in it; many members; nested
# and damaged archives.
make_tree "$TMP/tree"
ln -s /etc/passwd "$TMP/tree/EXCHSRVR/IMCDATA/link"
mkfifo "$TMP/tree/EXCHSRVR/IMCDATA/fifo" 2>/dev/null || true
python3 - "$TMP" <<'PY' || fail "building the inputs"
import io, os, sys, tarfile, zipfile
tmp = sys.argv[1]
tree = os.path.join(tmp, "tree")
out = os.path.join(tree, "EXCHSRVR/IMCDATA/OUT")
tmpl = open(os.path.join(out, "3SW32JRP"), "rb").read()
# 1500 spool files (more members than the queue holds: 1024)
many = os.path.join(tmp, "many")
os.makedirs(os.path.join(many, "EXCHSRVR/IMCDATA/OUT"))
for i in range(1500):
    sid = "Q%07d" % i
    body = tmpl.replace(b"quarterly figures", b"figures %d" % i).replace(b"<m1@", b"<m1.%d@" % i)
    body += b"x" * (i * 37 % 9000) + b"\r\n"
    with open(os.path.join(many, "EXCHSRVR/IMCDATA/OUT", sid), "wb") as f:
        f.write(body)
def zipdir(root, path, prefix=""):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for dp, dn, fn in sorted(os.walk(root)):
            dn.sort()
            for n in sorted(fn):
                p = os.path.join(dp, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                zi = zipfile.ZipInfo(prefix + os.path.relpath(p, root), (2026, 11, 26, 12, 0, 0))
                z.writestr(zi, open(p, "rb").read(), zipfile.ZIP_DEFLATED)
zipdir(many, os.path.join(tmp, "many.zip"))
zipdir(tree, os.path.join(tmp, "tree.zip"))
# nested two deep: outer.tar.gz holds mid.zip which holds tree.zip
with zipfile.ZipFile(os.path.join(tmp, "mid.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("inner/tree.zip", (2026, 11, 26, 12, 0, 0)),
               open(os.path.join(tmp, "tree.zip"), "rb").read())
    z.writestr(zipfile.ZipInfo("../escape.eml", (2026, 11, 26, 12, 0, 0)),
               b"From: a@example.com\r\nSubject: escape\r\n\r\nx\r\n")
with tarfile.open(os.path.join(tmp, "outer.tar.gz"), "w:gz") as t:
    for name in ("mid.zip", "many.zip"):
        data = open(os.path.join(tmp, name), "rb").read()
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 1795000000
        t.addfile(ti, io.BytesIO(data))
# damaged: the many-member zip cut in the middle of its data
data = open(os.path.join(tmp, "many.zip"), "rb").read()
open(os.path.join(tmp, "cut.zip"), "wb").write(data[: len(data) // 2])
# the cut zip inside a good tar (damage one level down)
with tarfile.open(os.path.join(tmp, "cut-inside.tar"), "w") as t:
    d = open(os.path.join(tmp, "cut.zip"), "rb").read()
    ti = tarfile.TarInfo("cut.zip"); ti.size = len(d); ti.mtime = 1795000000
    t.addfile(ti, io.BytesIO(d))
PY
cp "$TMP/tree.zip" "$TMP/tree/EXCHSRVR/IMCDATA/IN/nested.zip"

same "folder" analyze -q --json "$TMP/tree"
same "folder, with warnings" analyze --json "$TMP/tree"
same "many.zip (1500 members)" analyze -q --json "$TMP/many.zip"
same "many/ (1500 files)" analyze -q --json "$TMP/many"
same "progress lines" analyze --progress always "$TMP/many.zip"
grep -q "members," "$TMP/t1.err" && ok "progress lines were written" || fail "no progress lines"
# what the lines say: the share of the archive walked, the analysis, and
# (with a report) the messages written; each line is cleared at its end
tr '\r' '\n' < "$TMP/t1.err" > "$TMP/lines"
grep -q "^imcq: 1280 members, [0-9]* MiB read, 1280 messages; [0-9]* % of the archive" "$TMP/lines" &&
	ok "progress: members, messages and the share of the archive" || fail "progress: no share of the archive"
grep -q "^imcq: analysing 1500 messages" "$TMP/lines" && ok "progress: the analysis" || fail "progress: no analysis line"
same "progress lines, --json" analyze --progress always --json "$TMP/many.zip"
tr '\r' '\n' < "$TMP/t1.err" > "$TMP/lines"
grep -q "^imcq: writing the report: 1024 of 1500 messages" "$TMP/lines" &&
	grep -q "^imcq: writing the report: 1500 messages; finishing" "$TMP/lines" &&
	ok "progress: the report's messages" || fail "progress: no report lines"
tail -c 4 "$TMP/t1.err" | od -An -c | grep -q '\\r 033   \[   K' &&
	ok "progress: the last line is cleared" || fail "progress: the last line is left"
same "progress lines, a folder and two inputs" analyze --progress always "$TMP/many" "$TMP/many.zip"
tr '\r' '\n' < "$TMP/t1.err" > "$TMP/lines"
grep -q "^imcq: input 1 of 2: 1280 members, [0-9]* MiB read, [0-9]* messages..K$" "$TMP/lines" &&
	! grep -q "^imcq: input 1 of 2: .*% of the archive" "$TMP/lines" &&
	grep -q "^imcq: input 2 of 2: 1280 members, .*% of the archive" "$TMP/lines" &&
	ok "progress: each input named, a share for the archive only" || fail "progress: inputs"
"$IMCQ" analyze -q --progress always --json "$TMP/many.zip" > /dev/null 2> "$TMP/q.err"
"$IMCQ" analyze --progress never --json "$TMP/many.zip" > /dev/null 2> "$TMP/n.err"
! grep -q "members,\|analysing\|writing the report" "$TMP/q.err" "$TMP/n.err" &&
	ok "progress: none with -q or --progress never" || fail "progress lines with -q or never"
same "nested two deep" analyze -q --json "$TMP/outer.tar.gz"
same "damaged zip" analyze --json "$TMP/cut.zip"
[ "$SAME_RC" = 1 ] && ok "damaged zip: exit 1" || fail "damaged zip: exit $SAME_RC"
same "damaged zip inside a tar" analyze --json "$TMP/cut-inside.tar"
same "missing input beside good ones" analyze --json "$TMP/does-not-exist" "$TMP/tree" "$A"
[ "$SAME_RC" = 1 ] && ok "missing input: exit 1" || fail "missing input: exit $SAME_RC"
same "only missing inputs" analyze --json "$TMP/does-not-exist"
same "--max-total" analyze --json --max-total 200k "$TMP/many.zip"
same "--max-total, folder" analyze --json --max-total 200k "$TMP/many"
same "--max-depth 1" analyze --json --max-depth 1 "$TMP/outer.tar.gz"
same "--max-depth 2" analyze --json --max-depth 2 "$TMP/outer.tar.gz"
same "--max-members" analyze --json --max-members 700 "$TMP/outer.tar.gz"
same "--max-members, folder" analyze --json --max-members 700 "$TMP/many"
same "--max-entry" analyze --json --max-entry 4k "$TMP/many.zip"
same "--max-anomalies" analyze --json --max-anomalies 3 --max-entry 4k "$TMP/many.zip"
same "--format" analyze -q --json --format spool "$TMP/outer.tar.gz"
same_dir "recover, nested" --out recover -q --to mbox "$TMP/outer.tar.gz" "$TMP/tree"

# The report writing: 1500 messages and inventory rows (more than the
# queue of rendered messages holds: 256), selections, -o with --json.
same_dir "-o, many.zip" -o analyze -q "$TMP/many.zip"
same_dir "-o, nested, with warnings" -o analyze "$TMP/outer.tar.gz"
same "--json --where" analyze -q --json --where 'size > 5k' "$TMP/many.zip"
same_dir "-o --where" -o analyze -q --where 'size > 5k or id = "Q0000007"' "$TMP/many.zip"
same "--json, empty selection" analyze -q --json --where 'id = "none"' "$TMP/many.zip"
same_dir "-o, empty selection" -o analyze -q --where 'id = "none"' "$TMP/many.zip"
same_dir "-o with --json" -o analyze -q --json "$TMP/many.zip"
[ -s "$TMP/t1.out" ] && cmp -s "$TMP/t1.out" "$TMP/d1/report.json" &&
	ok "-o with --json: stdout is report.json" || fail "-o with --json: stdout is not report.json"

# Write errors while the report is written (a file size limit for -o,
# a full device for --json): the same message and exit code, no folder.
for t in 1 2; do
	rm -rf "$TMP/full$t"
	( ulimit -f 200; trap '' XFSZ; exec "$IMCQ" analyze -q -o "$TMP/full$t" --threads $t "$TMP/many.zip" ) \
		>"$TMP/w$t.out" 2>"$TMP/w$t.err"
	echo $? >"$TMP/w$t.rc"
	"$IMCQ" analyze -q --json --threads $t "$TMP/many.zip" >/dev/full 2>"$TMP/j$t.err"
	echo $? >"$TMP/j$t.rc"
done
if [ "$(cat "$TMP/w1.rc")" = 3 ] && cmp -s "$TMP/w1.rc" "$TMP/w2.rc" &&
   cmp -s "$TMP/w1.err" "$TMP/w2.err" && grep -q "cannot write" "$TMP/w1.err" &&
   [ ! -e "$TMP/full1" ] && [ ! -e "$TMP/full2" ] && [ -z "$(ls -d "$TMP"/full*.imcq-tmp-* 2>/dev/null)" ]; then
	ok "-o, write error: exit 3, same message, nothing left with one and two threads"
else
	fail "-o, write error: exit $(cat "$TMP/w1.rc") / $(cat "$TMP/w2.rc")"; cat "$TMP/w1.err" "$TMP/w2.err" >&2
fi
if [ "$(cat "$TMP/j1.rc")" = 3 ] && cmp -s "$TMP/j1.rc" "$TMP/j2.rc" && cmp -s "$TMP/j1.err" "$TMP/j2.err"; then
	ok "--json to a full device: exit 3 and the same message with one and two threads"
else
	fail "--json to a full device: exit $(cat "$TMP/j1.rc") / $(cat "$TMP/j2.rc")"; cat "$TMP/j1.err" "$TMP/j2.err" >&2
fi
if [ "$(id -u)" != 0 ]; then
	cp -r "$TMP/tree" "$TMP/locked" && chmod 000 "$TMP/locked/EXCHSRVR/IMCDATA/OUT/HBWK2Q2P"
	same "unreadable member" analyze --json "$TMP/locked"
	chmod 644 "$TMP/locked/EXCHSRVR/IMCDATA/OUT/HBWK2Q2P"
fi

# The analysis after ingest on two threads (analyzer/core/par.h).
# With two threads the analysis splits its per-message loops, its large
# sorts and some independent steps between the calling thread and a
# worker.  IMCQ_PAR_SPLIT=always splits every loop and sort of two items
# or more, so that the small samples take every split path; the generated
# queues (bench/make-large.py: Queue.dat, tracking log, routing tables)
# take them at their natural sizes, with several snapshots.
same_split() {
	local name=$1; shift
	"$IMCQ" "$@" --threads 1 >"$TMP/s1.out" 2>"$TMP/s1.err"; local r1=$?
	IMCQ_PAR_SPLIT=always "$IMCQ" "$@" --threads 2 >"$TMP/s2.out" 2>"$TMP/s2.err"; local r2=$?
	if [ "$r1" != "$r2" ] || ! cmp -s "$TMP/s1.out" "$TMP/s2.out" || ! cmp -s "$TMP/s1.err" "$TMP/s2.err"; then
		fail "$name: output differs with every analysis loop split (exit $r1 / $r2)"
		diff "$TMP/s1.out" "$TMP/s2.out" | head -10 >&2
		return 1
	fi
	ok "$name: same bytes with every analysis loop split"
}
same_split "split: analyze --json A B" analyze -q --json "$A" "$B"
same_split "split: analyze --json B A" analyze -q --json "$B" "$A"
same_split "split: terminal A" analyze "$A"
same_split "split: list B" list -q --json "$B"
same_split "split: timeline A B" timeline -q "$A" "$B"
same_split "split: folder and nested" analyze -q --json "$TMP/tree" "$TMP/outer.tar.gz"
same_split "split: many.zip" analyze -q --json "$TMP/many.zip"
if [ -f "$IMCQ_SRC/bench/make-large.py" ]; then
	python3 "$IMCQ_SRC/bench/make-large.py" 3000 "$TMP/q3000.zip" --avg-kb 1 >/dev/null &&
	python3 "$IMCQ_SRC/bench/make-large.py" 2600 "$TMP/q2600.zip" --avg-kb 1 --seed 5 >/dev/null ||
		fail "building the generated queues"
	same "3000 messages" analyze -q --json "$TMP/q3000.zip"
	same "3000 and 2600 messages, two snapshots" analyze -q --json "$TMP/q3000.zip" "$TMP/q2600.zip"
	same "one queue twice and the samples, four snapshots" analyze -q --json \
		"$TMP/q2600.zip" "$TMP/q3000.zip" "$TMP/q2600.zip" "$A"
	same "3000 and 2600 messages, terminal" analyze "$TMP/q3000.zip" "$TMP/q2600.zip"
	same "list, two snapshots" list -q --json "$TMP/q2600.zip" "$TMP/q3000.zip"
	same_dir "-o, two snapshots" -o analyze -q "$TMP/q3000.zip" "$TMP/q2600.zip"
	same_split "split: 3000 and 2600 messages" analyze -q --json "$TMP/q3000.zip" "$TMP/q2600.zip" "$B"
fi
finish
