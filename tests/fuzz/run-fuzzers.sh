#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-fuzzers.sh - run every libFuzzer target of a build for a bounded time.
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR was configured with -DIMCQ_FUZZ=ON (clang) and built with
# `--target fuzz_all`.  Each target starts from a fresh working corpus in
# BUILD_DIR/fuzz-work/<target>, the committed seeds (corpus/<target>), the
# seeds cut from samples/ (seeds.cmake) and regressions/<target>, with
# dict/<target>.dict.  A crash, leak, timeout or out-of-memory leaves its
# input in BUILD_DIR/fuzz-work/artifacts/<target>/ and fails the run (exit
# 1) after all targets ran; minimise it with `fuzz_<target> -minimize_crash=1
# -runs=10000 FILE` and add it to regressions/<target>/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
# absolute, since seeds.cmake works from another folder
build=$(cd "$build" && pwd) || { echo "run-fuzzers: no build folder" >&2; exit 1; }
bin=$build/tests/fuzz
work=$build/fuzz-work
targets="$*"
[ -n "$targets" ] || targets="spool pickup rfc822 queuedat gwart routetxt tracking protolog regexport imccopy mime where ingest zipfast"

# seeds: cut once per build (into a temporary folder, then renamed, so that
# two runs side by side do not trip over each other)
if [ ! -d "$work/seeds" ]; then
	mkdir -p "$work"
	cmake -DSRC="$src" -DOUT="$work/seeds.$$" -DREAL_MAIL="$src/../shared/corpus/real-mail" \
		-P "$here/seeds.cmake" >/dev/null || { echo "run-fuzzers: cannot cut seeds" >&2; exit 1; }
	mv "$work/seeds.$$" "$work/seeds" 2>/dev/null || rm -rf "$work/seeds.$$"
fi
failed=""
for t in $targets; do
	f=$bin/fuzz_$t
	if [ ! -x "$f" ]; then
		echo "run-fuzzers: $f missing (build with --target fuzz_all)" >&2
		failed="$failed $t"
		continue
	fi
	mkdir -p "$work/$t" "$work/artifacts/$t"
	dirs="$work/$t $here/corpus/$t $work/seeds/$t"
	[ -d "$here/regressions/$t" ] && dirs="$dirs $here/regressions/$t"
	echo "run-fuzzers: fuzz_$t for ${secs}s"
	# GLib's one-time type registrations are reachable, not leaks; the
	# suppressions cover what GLib caches behind our back.
	if ! LSAN_OPTIONS="suppressions=$src/tests/supp/lsan.supp:print_suppressions=0" \
		UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
		"$f" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
		-max_len=$([ "$t" = ingest ] && echo 262144 || echo 65536) \
		-print_final_stats=1 -dict="$here/dict/$t.dict" \
		-artifact_prefix="$work/artifacts/$t/" $dirs \
		> "$work/$t.log" 2>&1; then
		echo "run-fuzzers: fuzz_$t FAILED (log: $work/$t.log)" >&2
		grep -E "^==[0-9]+==ERROR|SUMMARY|fuzz invariant|runtime error|Test unit written" "$work/$t.log" | head -8 >&2
		failed="$failed $t"
	else
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t.log" | tr '\n' ' '
		echo
	fi
done
if [ -n "$failed" ]; then
	echo "run-fuzzers: failures in:$failed (inputs in $work/artifacts/)" >&2
	exit 1
fi
echo "run-fuzzers: all targets ran ${secs}s without a failure"
