#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh - measure imcq on one archive against its floors (not a test).
#
#   bench/run.sh [-n RUNS] ARCHIVE [IMCQ]
#   bench/run.sh -p PAIRS ARCHIVE [IMCQ]
#
# IMCQ defaults to build/analyzer/imcq (a Release build: cmake -S . -B build
# -DCMAKE_BUILD_TYPE=Release).  Measures, in the same run and on the same
# archive, each RUNS times (default 1), with /usr/bin/time -v:
#   floor     bsdtar -xOf ARCHIVE > /dev/null         (decompression only)
#   work      bench/floor.c, built here with cc          (the work-floor: the
#             mandated libraries only -- a plain zip read as imcq reads it
#             since round 12, by its own index (--walk), else libarchive's
#             seekable reader with members inflated by libdeflate where
#             imcq does it (--zipfast, round 10); SHA-256 of every member
#             and message, GMime -- and 64-byte rows, on two threads; see
#             its top)
#   baseline  python3 bench/baseline.py ARCHIVE        (zipfile + email)
#   summary   imcq analyze -q ARCHIVE > /dev/null         (the terminal summary)
#   json      imcq analyze -q --json ARCHIVE > /dev/null
#   set       imcq analyze -q -o TMPDIR ARCHIVE        (the five files)
# and prints a Markdown table: wall and CPU (user+sys) seconds, peak RSS,
# and each wall and CPU time as a ratio to the floor's.  Keep the machine
# otherwise idle: the wall clock counts whatever else runs.  The best
# (lowest wall) of the RUNS runs of each command is reported.
#
# -p PAIRS: the speed target's own measure, for a machine that others
# share.  Runs `bsdtar -xOf` and `imcq analyze -q` one right after the
# other, PAIRS times, and prints each pair's wall times and ratio, then
# the median, lowest and highest ratio and imcq's median peak RSS.  A
# ratio within one pair compares the two programs in the same minute;
# the median of the pairs is what BENCHMARKS.md reports against the
# 1.5x target.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs=1
pairs=0
if [ "${1:-}" = "-n" ]; then runs="$2"; shift 2; fi
if [ "${1:-}" = "-p" ]; then pairs="$2"; shift 2; fi
case "$runs$pairs" in *[!0-9]*) echo "run.sh: -n and -p take a number" >&2; exit 2 ;; esac
[ $# -ge 1 ] || { sed -n '3,31p' "$0" >&2; exit 2; }
archive="$1"
imcq="${2:-$here/../build/analyzer/imcq}"
[ -f "$archive" ] || { echo "run.sh: no archive $archive" >&2; exit 2; }
[ -x "$imcq" ] || { echo "run.sh: no imcq at $imcq (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time (GNU time) is needed" >&2; exit 2; }
command -v bsdtar >/dev/null || { echo "run.sh: bsdtar (libarchive-tools) is needed" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# timed CMD... : run once; print "wall cpu rss_kib"
timed() {
	/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
		echo "run.sh: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
	awk -F': ' '
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Elapsed/ { n = split($2, p, ":"); w = 0; for (k = 1; k <= n; k++) w = w * 60 + p[k] }
		/Maximum resident/ { r = $2 }
		END { printf "%.2f %.2f %d\n", w, u + s, r }' "$work/time"
}

if [ "$pairs" -gt 0 ]; then
	sh -c 'cat "$1" > /dev/null' _ "$archive"	# warm the page cache
	echo "archive: $archive ($(stat -c %s "$archive") bytes); imcq: $imcq; pairs: $pairs"
	echo "machine: $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| pair | bsdtar wall s | imcq wall s | imcq CPU s | imcq peak MiB | ratio |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for i in $(seq "$pairs"); do
		f="$(timed sh -c 'bsdtar -xOf "$1" > /dev/null' _ "$archive")"
		m="$(timed sh -c '"$1" analyze -q "$2" > /dev/null; [ $? -le 1 ]' _ "$imcq" "$archive")"
		echo "$i $f $m" | awk '{ printf "| %d | %.2f | %.2f | %.2f | %.0f | %.2f |\n", $1, $2, $5, $6, $7 / 1024, $5 / $2 }'
		echo "$f $m" >> "$work/pairs"
	done
	echo
	awk '{ r[NR] = $4 / $1; p[NR] = $6 }
	     function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	     END { n = NR; lo = hi = r[1]; for (i = 2; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
		   printf "ratio imcq / bsdtar: median %.2f, lowest %.2f, highest %.2f (%d pairs); imcq peak: median %.0f MiB\n",
			  med(r, n), lo, hi, n, med(p, n) / 1024 }' "$work/pairs"
	exit 0
fi

# the work-floor program, with mimalloc where imcq has it (the same allocator)
mi=""
for d in /usr/lib/*-linux-gnu /usr/lib /usr/local/lib; do
	[ -e "$d/libmimalloc.so" ] && { mi="-lmimalloc"; break; }
done
# shellcheck disable=SC2046
cc -O2 -pthread -I"$here/.." "$here/floor.c" "$here/../analyzer/zipfast.c" \
	"$here/../analyzer/core/err.c" "$here/../analyzer/core/fdio.c" -o "$work/floor" \
	$(pkg-config --cflags --libs libarchive gmime-3.0 libcrypto libdeflate) $mi ||
	{ echo "run.sh: cannot build bench/floor.c (cc, pkg-config, the -dev packages imcq builds with)" >&2; exit 2; }

# measure NAME CMD... : best of $runs; appends "name wall cpu rss_kib" to $work/results
measure() {
	local name="$1" i best="" line
	shift
	for i in $(seq "$runs"); do
		rm -rf "$work/out"
		line="$name $(timed "$@")"
		if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[2] < y[2]) }'; then
			best="$line"
		fi
	done
	echo "$best" >> "$work/results"
}

sh -c 'cat "$1" > /dev/null' _ "$archive"	# warm the page cache
measure floor sh -c 'bsdtar -xOf "$1" > /dev/null' _ "$archive"
if "$work/floor" --walk "$archive" > /dev/null 2>&1; then
	measure work "$work/floor" --walk "$archive"
else
	measure work "$work/floor" --zipfast "$archive"
fi
measure baseline python3 "$here/baseline.py" "$archive"
measure summary sh -c '"$1" analyze -q "$2" > /dev/null; [ $? -le 1 ]' _ "$imcq" "$archive"
measure json sh -c '"$1" analyze -q --json "$2" > /dev/null; [ $? -le 1 ]' _ "$imcq" "$archive"
measure set sh -c '"$1" analyze -q -o "$2/out" "$3"; [ $? -le 1 ]' _ "$imcq" "$work" "$archive"

size=$(stat -c %s "$archive")
echo "archive: $archive ($size bytes); imcq: $imcq ($("$imcq" --version | tr '\n' ' ' | sed 's/ $//')); runs: $runs"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall s | CPU s | peak RSS MiB | wall / floor | CPU / floor |"
echo "|---|---:|---:|---:|---:|---:|"
awk 'NR == 1 { fw = $2; fc = $3 }
     { printf "| %s | %.2f | %.2f | %.0f | %.2f | %.2f |\n", $1, $2, $3, $4 / 1024, $2 / fw, $3 / (fc > 0 ? fc : 1) }' "$work/results"
