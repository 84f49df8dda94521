#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The analysis does not depend on where the records lie in memory (issue
# #9, round 11).  The passes that read and write only their own message
# walk the messages in memory order (analyzer/core/model.h,
# report_order_mem), and the records lie in memory in the order ingest
# read them, i.e. the archive's.  So: the same members zipped in spool-id
# order, in reverse order and shuffled must give the same analysis --
# every message, finding, summary, incident and routing fact, the terminal
# summary, list and timeline -- with one thread and two, and with every
# split forced (IMCQ_PAR_SPLIT=always).  Only what is listed in the
# archive's order by design (the inventory, anomalies, the routing tables,
# the input's size and digest) may differ.  A pass that began to depend on memory order
# would change an output here.
. "$(dirname "$0")/lib.sh"
need python3

# a queue with duplicates, missing files, unrouted domains, stale routing
# and a tracking log: bench/make-large.py's, small
python3 "$IMCQ_SRC/bench/make-large.py" 1500 "$TMP/fwd.zip" >/dev/null ||
	{ fail "make-large.py"; finish; }

# reorder SRC DST MODE: the same members (names, times, bytes) in another order
reorder() {
	python3 - "$1" "$2" "$3" <<'EOF'
import random, sys, zipfile
src, dst, mode = sys.argv[1:]
z = zipfile.ZipFile(src)
infos = z.infolist()
key = lambda i: i.filename.rsplit("\\", 1)[-1]
if mode == "sorted":
    infos = sorted(infos, key=key)
elif mode == "reverse":
    infos = sorted(infos, key=key, reverse=True)
else:
    random.Random(11).shuffle(infos)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as o:
    for i in infos:
        o.writestr(i, z.read(i))	# read before writestr moves i's offset
EOF
}
# each in a folder of its own under one name: the reports name the input
for m in sorted reverse shuffled; do
	mkdir "$TMP/$m"
	reorder "$TMP/fwd.zip" "$TMP/$m/q.zip" "$m" || fail "reorder $m"
done

# the JSON report without what is in the archive's order by design
strip() {
	python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("inputs", "inventory", "anomalies"):
    r.pop(k, None)
r.get("routing", {}).pop("tables", None)
json.dump(r, sys.stdout, sort_keys=True, indent=1)
EOF
}

run_all() {	# TAG THREADS ENV: every output of $TMP/TAG/q.zip
	local t=$1 th=$2 e=$3
	(
	cd "$TMP/$t" || exit 1
	env "$e" "$IMCQ" analyze --threads "$th" --json q.zip > "$TMP/$t.json" 2>/dev/null
	env "$e" "$IMCQ" analyze --threads "$th" -q q.zip > "$TMP/$t.sum" 2>/dev/null
	env "$e" "$IMCQ" list --threads "$th" q.zip > "$TMP/$t.list" 2>/dev/null
	env "$e" "$IMCQ" timeline --threads "$th" q.zip > "$TMP/$t.tl" 2>/dev/null
	)
	strip "$TMP/$t.json" > "$TMP/$t.sj" || fail "$t: JSON unreadable"
}

n=0
for e in "IMCQ_NONE=" "IMCQ_PAR_SPLIT=always"; do
	for th in 1 2; do
		for m in sorted reverse shuffled; do
			run_all "$m" "$th" "$e"
			n=$((n + 1))
		done
		for m in reverse shuffled; do
			for x in sj sum list tl; do
				if ! cmp -s "$TMP/sorted.$x" "$TMP/$m.$x"; then
					fail "$e --threads $th, $m archive: .$x differs from the sorted archive's"
					diff "$TMP/sorted.$x" "$TMP/$m.$x" | head -8 >&2
				fi
			done
		done
	done
done
# the check has teeth: the archives differ where they should
cmp -s "$TMP/sorted/q.zip" "$TMP/reverse/q.zip" && fail "the archives are the same bytes"
grep -q '"spool_id"' "$TMP/sorted.sj" || fail "no messages in the report"
grep -q 'NO_ROUTE' "$TMP/sorted.sj" || fail "no NO_ROUTE finding: the routing passes did not run"
grep -q 'DUPLICATE_RISK\|NO_DELIVERY_ATTEMPT' "$TMP/sorted.sj" || fail "no cross-message finding"
ok "$n runs: the same analysis whatever the members' order in the archive (and in memory)"
finish
