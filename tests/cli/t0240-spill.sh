#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The messages' cold fields (envelope helo, client host, encoding, gaps and
# guesses; Date, From, Sender, Reply-To, Content-Type, X-Priority,
# Importance, Priority, To/Cc/Bcc and every header field; the Received
# lines' texts; MIME parts) leave memory as each message arrives, and its
# texts (state reason, findings' messages and excerpts) once final: into an
# unlinked temporary file in $TMPDIR (the default), into encoded blocks in
# memory (IMCQ_SPILL=memory, or when no temporary file can be made), or
# not at all (IMCQ_SPILL=off); a run that prints only the terminal
# summary drops them instead, and hashes no member (IMCQ_KEEP=all keeps
# both).  All give the same bytes: stdout,
# exit code, every file of -o, show, list and timeline, --where on header
# fields; with one thread and two.  When $TMPDIR cannot take a file, one
# warning says so and the outputs stay the same.  No file is left behind
# in $TMPDIR.  The strings and the records go to stores of their own
# (core/store.h; IMCQ_STORE, IMCQ_RECORDS_HEAP): the same bytes again; so
# does a timeline sorted out of memory (core/runsort.h; IMCQ_SORT_MEM).
. "$(dirname "$0")/lib.sh"
need python3

S="$IMCQ_SRC/samples/q268494"
make_tree "$TMP/tree"
inputs=("$S/serverA-imcdata.zip" "$S/serverB-imcdata.zip")
# more cold data than one 1 MiB chunk of the spill: part read back from
# the file, part from memory
python3 "$IMCQ_SRC/bench/make-large.py" 3000 "$TMP/q3000.zip" --avg-kb 1 >/dev/null ||
	fail "make-large.py failed"
# Received lines: their raw texts and dates are cold too; with --max-hops 2
# every message is LOOP_SUSPECTED and, by --now, EXPIRED: the excerpts of
# both quote them
python3 "$IMCQ_SRC/bench/make-large.py" 300 "$TMP/rec300.zip" --avg-kb 1 --received 3 \
	>/dev/null || fail "make-large.py --received failed"
mkdir -p "$TMP/spilldir" "$TMP/ro"
chmod 0555 "$TMP/ro"

# run MODE OUT CMD...: MODE is file (TMPDIR=$TMP/spilldir), memory, off,
# or nodir (TMPDIR that cannot take a file); stdout, stderr, exit into OUT.*
run() {
	local mode=$1 out=$2; shift 2
	case $mode in
	file) TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	memory) IMCQ_SPILL=memory TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	off) IMCQ_SPILL=off TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	keep) IMCQ_KEEP=all TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	nostore) IMCQ_STORE=off TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	storecap) IMCQ_STORE=max:20000 TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	records) IMCQ_RECORDS_HEAP=0 TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	recheap) IMCQ_RECORDS_HEAP=20000 TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	sortmem) IMCQ_SORT_MEM=4096 TMPDIR="$TMP/spilldir" "$IMCQ" "$@" ;;
	nodir) TMPDIR="$TMP/ro/none" "$IMCQ" "$@" ;;
	esac >"$out.out" 2>"$out.err"
	echo $? >"$out.rc"
	if [ -n "$(ls -A "$TMP/spilldir")" ]; then
		fail "$mode: files left in TMPDIR: $(ls -A "$TMP/spilldir")"
		rm -rf "${TMP:?}/spilldir/"*
	fi
}

# same NAME CMD...: off is the reference; file and memory must match it
# byte for byte, stderr included; nodir too, but for its one warning; and
# keep (IMCQ_KEEP=all: a summary run keeps every detail and digest)
same() {
	local name=$1; shift
	local m bad=0
	for m in off file memory nodir keep nostore storecap records recheap sortmem; do
		rm -rf "$TMP/o-$m"
		run "$m" "$TMP/r-$m" "${@//@OUT@/$TMP/o-$m}"
	done
	for m in file memory nodir keep nostore storecap records recheap sortmem; do
		cmp -s "$TMP/r-off.rc" "$TMP/r-$m.rc" || { fail "$name: exit code differs ($m)"; bad=1; }
		sed "s#$TMP/o-$m#OUT#g" "$TMP/r-$m.out" >"$TMP/r-$m.o"
		sed "s#$TMP/o-off#OUT#g" "$TMP/r-off.out" >"$TMP/r-off.o"
		cmp -s "$TMP/r-off.o" "$TMP/r-$m.o" || {
			fail "$name: stdout differs ($m)"; diff "$TMP/r-off.o" "$TMP/r-$m.o" | head -5 >&2; bad=1; }
		if [ "$m" = nodir ]; then
			# one warning, unless -q
			case " $* " in
			*" -q "*) [ -s "$TMP/r-nodir.err" ] && ! cmp -s "$TMP/r-off.err" "$TMP/r-nodir.err" &&
					{ fail "$name: -q but a warning"; bad=1; } ;;
			*) [ "$(grep -c "cannot create a temporary file in $TMP/ro/none.*keeping message details in memory" \
				"$TMP/r-nodir.err")" = 1 ] || { fail "$name: not one warning without a temporary file"; bad=1; } ;;
			esac
			grep -v "cannot create a temporary file" "$TMP/r-nodir.err" >"$TMP/r-nodir.e"
		else
			cp "$TMP/r-$m.err" "$TMP/r-$m.e"
		fi
		cmp -s "$TMP/r-off.err" "$TMP/r-$m.e" || {
			fail "$name: stderr differs ($m)"; diff "$TMP/r-off.err" "$TMP/r-$m.e" | head -5 >&2; bad=1; }
		if [ -d "$TMP/o-off" ]; then
			diff -r "$TMP/o-off" "$TMP/o-$m" >/dev/null || {
				fail "$name: output folder differs ($m)"; diff -r -q "$TMP/o-off" "$TMP/o-$m" | head -5 >&2; bad=1; }
		fi
	done
	[ -s "$TMP/r-off.out" ] || [ -d "$TMP/o-off" ] || { fail "$name: no output at all"; bad=1; }
	[ $bad = 0 ] && ok "$name: same bytes spilled, in memory, not chilled, without a temporary file, all kept, strings stored, not stored, partly stored, records stored and gathered, partly, the timeline sorted in runs of 4 KiB"
}

for th in 1 2; do
	same "analyze -o, samples, --threads $th" analyze -q --threads $th -o @OUT@ "${inputs[@]}"
	same "analyze --json, tree, --threads $th" analyze -q --threads $th --json "$TMP/tree"
	same "analyze -o, 3000 generated, --threads $th" analyze -q --threads $th -o @OUT@ "$TMP/q3000.zip"
done
same "analyze summary" analyze "${inputs[@]}"
now=--now=2026-11-25T00:00:00Z
# The terminal summary alone: the messages' details are dropped, not
# spilled, and no member or input is hashed (pipeline.h imcq_opts.lean);
# the summary is the same as with every detail kept (off) and every digest
# made (keep); --where keeps them (it may read headers).
for th in 1 2; do
	same "analyze summary, 3000 generated, --threads $th" analyze --threads $th "$TMP/q3000.zip"
done
same "analyze summary, Received lines, --max-hops 2" analyze $now --max-hops 2 "$TMP/rec300.zip"
same "analyze summary --where header" analyze --where 'header.Subject ~ /quarterly/' "$TMP/tree"
same "analyze summary --where state or finding" analyze \
	--where 'state = awaiting-delivery or finding = DUPLICATE_RISK' "$TMP/tree" "${inputs[@]}"
same "list --where state, 3000 generated" list -q --where 'state = awaiting-delivery' "$TMP/q3000.zip"
same "analyze summary, a folder and two archives" analyze "$TMP/tree" "${inputs[@]}"
same "analyze -o, Received lines, --max-hops 2" analyze -q $now --max-hops 2 -o @OUT@ "$TMP/rec300.zip"
same "show --json, Received lines" show -q --json $now --max-hops 2 "$TMP/rec300.zip" 8VZ1ML3J
same "list" list -q "${inputs[@]}" "$TMP/tree"
same "timeline" timeline -q "${inputs[@]}"
same "timeline --format jsonl, 3000 generated" timeline -q --format jsonl "$TMP/q3000.zip" "${inputs[@]}"
same "timeline --format bodyfile --where" timeline -q --format bodyfile \
	--where 'state = awaiting-delivery' "$TMP/q3000.zip" "${inputs[@]}"
same "show" show -q "$TMP/tree" 3SW32JRP
same "show --json" show -q --json "$TMP/tree" 3SW32JRP
same "list --where header" list -q --where 'header.Subject ~ /quarterly/' "$TMP/tree"
same "analyze --json --where header or state" analyze -q --json \
	--where 'header.X-Mailer ~ /./ or header.Message-ID ~ /m2@/ or state = archived' "$TMP/tree" "${inputs[@]}"
if [ -n "${IMCQ_CORPUS:-}" ] && [ -d "$IMCQ_CORPUS" ]; then
	same "analyze --json, real-mail corpus" analyze -q --json "$IMCQ_CORPUS"
	same "analyze summary, real-mail corpus" analyze "$IMCQ_CORPUS"
fi

# the store (core/store.h) really holds the strings (the messages' and
# the tracking log's), and when capped it fills and the heap keeps the rest
IMCQ_STORE=verbose TMPDIR="$TMP/spilldir" "$IMCQ" analyze -q "$TMP/q3000.zip" "${inputs[@]}" \
	>/dev/null 2>"$TMP/st.err"
n=$(sed -n 's/^imcq-store: \([0-9]*\) bytes put$/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -gt 300000 ] || fail "the store held ${n:-nothing} bytes: $(cat "$TMP/st.err")"
IMCQ_STORE=max:20000,verbose TMPDIR="$TMP/spilldir" "$IMCQ" analyze -q "$TMP/q3000.zip" \
	>/dev/null 2>"$TMP/st.err"
n=$(sed -n 's/^imcq-store: \([0-9]*\) bytes put, then full$/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -gt 10000 ] && [ "$n" -le 20000 ] ||
	fail "capped at 20000, the store held ${n:-?}: $(cat "$TMP/st.err")"
# the records go to their own store once the heap holds IMCQ_RECORDS_HEAP
# bytes of them (0: from the first), and are gathered there after ingest;
# the log events' array to a third past as many bytes;
# by default (64 MiB) a run this small keeps them in the heap
IMCQ_RECORDS_HEAP=0 IMCQ_STORE=verbose TMPDIR="$TMP/spilldir" "$IMCQ" analyze -q "$TMP/q3000.zip" \
	>/dev/null 2>"$TMP/st.err"
n=$(sed -n 's/^imcq-store records: \([0-9]*\) bytes put$/\1/p' "$TMP/st.err")
# 3000 records of ~250 bytes, twice (at ingest, then gathered), and their blocks
[ -n "$n" ] && [ "$n" -gt 1500000 ] || fail "the record store held ${n:-nothing} bytes: $(cat "$TMP/st.err")"
# and the tracking log's events (144 bytes each) their own
n=$(sed -n 's/^imcq-store events: \([0-9]*\) bytes put$/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -gt 100000 ] || fail "the events' store held ${n:-nothing} bytes: $(cat "$TMP/st.err")"
# the inventory's rows (80 bytes each, past a quarter of it) theirs, and
# their member names the members' store
n=$(sed -n 's/^imcq-store inventory: \([0-9]*\) bytes put$/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -ge 240000 ] || fail "the inventory's store held ${n:-nothing} bytes: $(cat "$TMP/st.err")"
n=$(sed -n 's/^imcq-store members: \([0-9]*\) bytes put$/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -ge 30000 ] || fail "the members' store held ${n:-nothing} bytes: $(cat "$TMP/st.err")"
# the timeline's entries are sorted in runs in a temporary file once they
# pass IMCQ_SORT_MEM bytes (32 MiB: 3000 messages stay in memory)
IMCQ_SORT_MEM=4096,verbose TMPDIR="$TMP/spilldir" "$IMCQ" timeline -q "$TMP/q3000.zip" \
	>/dev/null 2>"$TMP/st.err"
n=$(sed -n 's/^imcq-sort: [0-9]* records, \([0-9]*\) runs, .*/\1/p' "$TMP/st.err")
[ -n "$n" ] && [ "$n" -gt 10 ] || fail "in 4 KiB the timeline made ${n:-no} runs: $(cat "$TMP/st.err")"
IMCQ_SORT_MEM=verbose TMPDIR="$TMP/spilldir" "$IMCQ" timeline -q "$TMP/q3000.zip" \
	>/dev/null 2>"$TMP/st.err"
grep -Eq '^imcq-sort: [1-9][0-9]* records, 0 runs, 0 bytes in the file$' "$TMP/st.err" ||
	fail "by default 3000 messages' timeline left memory: $(cat "$TMP/st.err")"
[ -z "$(ls -A "$TMP/spilldir")" ] || fail "the sort left files in TMPDIR"
IMCQ_STORE=verbose TMPDIR="$TMP/spilldir" "$IMCQ" analyze -q "$TMP/q3000.zip" >/dev/null 2>"$TMP/st.err"
for s in records events inventory members; do
	grep -q "^imcq-store $s: 0 bytes put\$" "$TMP/st.err" ||
		fail "by default 3000 messages put something in the $s store: $(cat "$TMP/st.err")"
done
# under a limit on the address space (ulimit -v; not under ASan, which
# reserves terabytes) the store takes a quarter of it and still holds the
# strings: the same summary
if ! grep -qa __asan_init "$IMCQ"; then
	( ulimit -v $((1536 * 1024)); IMCQ_STORE=verbose TMPDIR="$TMP/spilldir" \
		"$IMCQ" analyze "$TMP/q3000.zip" >"$TMP/lim.out" 2>"$TMP/lim.err" )
	TMPDIR="$TMP/spilldir" "$IMCQ" analyze "$TMP/q3000.zip" >"$TMP/nolim.out" 2>/dev/null
	cmp -s "$TMP/lim.out" "$TMP/nolim.out" || fail "ulimit -v: the summary differs"
	grep -Eq '^imcq-store: [1-9][0-9]* bytes put$' "$TMP/lim.err" ||
		fail "ulimit -v: no store: $(cat "$TMP/lim.err")"
fi

# --where on a header field really sees the chilled headers
run file "$TMP/w" list -q --where 'header.Subject ~ /quarterly/' "$TMP/tree"
grep -q 3SW32JRP "$TMP/w.out" && [ "$(grep -c . "$TMP/w.out")" -ge 2 ] ||
	fail "--where header.Subject did not select 3SW32JRP"
run file "$TMP/w" list -q --where 'header.Subject ~ /no such subject/' "$TMP/tree"
grep -q 3SW32JRP "$TMP/w.out" && fail "--where header.Subject selected a message it does not match"

# the cold fields are really in the output (not empty on both sides)
run file "$TMP/j" show -q --json "$TMP/tree" 3SW32JRP
python3 - "$TMP/j.out" <<'PY' || fail "show --json lost cold fields"
import json, sys
d = json.load(open(sys.argv[1]))	# one document: an object, or an array of them
m = d[0] if isinstance(d, list) else d
assert m["envelope"]["helo"] == "mail.example.net", m["envelope"]
assert m["envelope"]["client_host"] == "client.example.net"
assert m["headers"]["from"] == "alice@example.net", m["headers"]
assert m["headers"]["to"] and m["headers"]["date_raw"].startswith("Thu, 26 Nov 2026")
assert m["headers"]["count"] == 5
assert m["envelope"]["encoding"] and m["envelope"]["uninterpreted"][1]["hex"] == "01000000"
assert m["mime"][0]["content_type"] == "text/plain" and m["mime"][0]["size"] == 12
PY
# the hops' texts are really there, in the message and in the excerpts
run file "$TMP/h" show -q --json $now --max-hops 2 "$TMP/rec300.zip" 8VZ1ML3J
python3 - "$TMP/h.out" <<'PY' || fail "show --json lost the Received texts"
import json, sys
d = json.load(open(sys.argv[1]))	# one document: an object, or an array of them
m = d[0] if isinstance(d, list) else d
hops = m["headers"]["received"]
assert len(hops) == 3 and hops[0]["id"] == "8VZ1ML3J", hops
assert all(h["date_raw"] == "Fri, 20 Nov 2026 10:00:00 +0000" for h in hops), hops
for code in ("EXPIRED", "LOOP_SUSPECTED"):
    ex = [e.get("excerpt") or "" for f in m["findings"] if f["code"] == code
          for e in f["evidence"]]
    assert any(x.startswith("Received: by EXB2.contoso.example.com with Internet Mail "
                            "Service (5.5.2653.19)\tid <8VZ1ML3J>; Fri, 20 Nov") for x in ex), (code, ex)
PY
# --- h3: spilled texts (state_reason, findings' messages and excerpts) ---
same "analyze --where finding, 3000 generated, --threads 2" analyze -q --threads 2 \
	--where 'finding = NO_ROUTE or finding = BCC_IN_ENVELOPE' "$TMP/q3000.zip"
run file "$TMP/t" analyze -q --json "$TMP/q3000.zip"
python3 - "$TMP/t.out" <<'PY' || fail "spilled texts missing from --json"
import json, sys
d = json.load(open(sys.argv[1]))
ms = d["messages"]
assert all(m["state_reason"] for m in ms), "a state_reason is empty"
fs = [f for m in ms for f in m["findings"]]
assert fs and all(f["message"] for f in fs), "a finding message is empty"
assert any((e["excerpt"] or "").startswith("mtime ") for f in fs for e in f["evidence"])
PY
# --- end h3 ---
finish
