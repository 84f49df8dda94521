#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The allocator changes no byte.  The imcq program is linked with mimalloc
# (CMake IMCQ_MALLOC=auto, analyzer/CMakeLists.txt) except in sanitizer,
# fuzzing and valgrind builds, which keep the C library's malloc; so the
# suite, run under ASan, would otherwise never run the program users get.
# This test builds the other variant (a RelWithDebInfo imcq with mimalloc
# when $IMCQ has the system allocator, and the reverse), checks that
# mimalloc really serves the process (--version, and mimalloc's own
# statistics at exit), and compares both programs' stdout, stderr, exit
# code and every file of -o / recover --out on the Q268494 samples, a
# generated backup of 3,000 messages and the hostile tree of lib.sh.
# Built under $IMCQ_BUILD/t0230-other so that later runs rebuild only what
# changed.  Skipped (77) when libmimalloc-dev is not installed.
. "$(dirname "$0")/lib.sh"
need python3
need cmake

mine=$("$IMCQ" --version | sed -n 's/^allocator: //p')
case $mine in
mimalloc*) other=system ;;
system*) other=mimalloc ;;
*) fail "imcq --version names no allocator: '$mine'"; finish ;;
esac
have_mimalloc() {
	local f
	for f in /usr/lib/*/libmimalloc.so /usr/lib/libmimalloc.so /usr/local/lib/libmimalloc.so; do
		[ -e "$f" ] && return 0
	done
	return 1
}
if [ "$other" = mimalloc ] && ! have_mimalloc; then
	echo "skip: libmimalloc-dev not installed"; exit 77
fi
dir=${IMCQ_BUILD:-$TMP}/t0230-other
echo "note: $IMCQ uses $mine; building one with the $other allocator in $dir"
cmake -S "$IMCQ_SRC" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
	-DIMCQ_FUZZ=OFF -DIMCQ_MALLOC="$other" > "$TMP/cmake.log" 2>&1 &&
cmake --build "$dir" -j2 --target imcq > "$TMP/build.log" 2>&1 || {
	fail "cannot build an imcq with the $other allocator"
	tail -20 "$TMP/cmake.log" "$TMP/build.log" >&2
	finish
}
OTHER=$dir/analyzer/imcq
if [ "$other" = mimalloc ]; then MI=$OTHER; else MI=$IMCQ; fi

# mimalloc is linked ahead of libc and serves every allocation
"$MI" --version | grep -q '^allocator: mimalloc [0-9]' && ok "--version names mimalloc" ||
	fail "--version of the mimalloc build: $("$MI" --version | tr '\n' ' ')"
S=$IMCQ_SRC/samples/q268494
MIMALLOC_SHOW_STATS=1 "$MI" analyze -q "$S/serverA-imcdata.zip" >/dev/null 2>"$TMP/stats" || true
if grep -q 'heap stats' "$TMP/stats" && grep -q 'committed' "$TMP/stats"; then
	ok "mimalloc serves the process (its statistics at exit)"
else
	fail "MIMALLOC_SHOW_STATS=1 printed no statistics: mimalloc is linked but not the allocator"
fi

# same NAME CMD...: both programs, same stdout, stderr and exit code
same() {
	local name=$1; shift
	"$IMCQ" "$@" >"$TMP/a.out" 2>"$TMP/a.err"; local ra=$?
	"$OTHER" "$@" >"$TMP/b.out" 2>"$TMP/b.err"; local rb=$?
	if [ "$ra" != "$rb" ]; then fail "$name: exit $ra ($mine), $rb ($other)"; return; fi
	if ! cmp -s "$TMP/a.out" "$TMP/b.out"; then
		fail "$name: stdout differs"; diff "$TMP/a.out" "$TMP/b.out" | head -5 >&2; return
	fi
	if ! cmp -s "$TMP/a.err" "$TMP/b.err"; then
		fail "$name: stderr differs"; diff "$TMP/a.err" "$TMP/b.err" | head -5 >&2; return
	fi
	[ -s "$TMP/a.out" ] || [ -s "$TMP/a.err" ] || { fail "$name: no output at all"; return; }
	ok "$name: same bytes, exit $ra"
}
# same_dir NAME OPT CMD...: CMD writes into the folder after OPT
same_dir() {
	local name=$1 opt=$2; shift 2
	rm -rf "$TMP/da" "$TMP/db"
	"$IMCQ" "$@" "$opt" "$TMP/da" >/dev/null 2>&1; local ra=$?
	"$OTHER" "$@" "$opt" "$TMP/db" >/dev/null 2>&1; local rb=$?
	if [ "$ra" != "$rb" ]; then fail "$name: exit $ra ($mine), $rb ($other)"; return; fi
	[ -n "$(ls "$TMP/da" 2>/dev/null)" ] || { fail "$name: nothing written"; return; }
	if ! diff -r "$TMP/da" "$TMP/db" >/dev/null; then
		fail "$name: files differ"; diff -r "$TMP/da" "$TMP/db" | head -5 >&2; return
	fi
	ok "$name: same $(ls "$TMP/da" | wc -l) files, exit $ra"
}

AB="$S/serverA-imcdata.zip $S/serverB-imcdata.zip"
# shellcheck disable=SC2086
{
same "samples: summary" analyze $AB
same "samples: --json" analyze -q --json $AB
same_dir "samples: -o" -o analyze -q $AB
same "samples: list" list $AB
same "samples: timeline" timeline $AB
same_dir "samples: recover --to eml" --out recover -q --to eml $AB
}

python3 "$IMCQ_SRC/bench/make-large.py" 3000 "$TMP/big.zip" > /dev/null ||
	{ fail "cannot generate 3,000 messages"; finish; }
same "3,000 messages: --json" analyze -q --json "$TMP/big.zip"
same_dir "3,000 messages: -o" -o analyze -q "$TMP/big.zip"

make_tree "$TMP/tree"
same "lib.sh tree: --json" analyze -q --json "$TMP/tree"
finish
