#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - browser tests of report.html (tests/browser/report.test.js).
#
# Installs what is missing (Debian's chromium, playwright-core from the
# npm registry as pinned in package-lock.json), builds the render helper
# (render.c) against the static libraries of the build tree, and runs the
# Node test.  Exit 77 (skip) only when Chromium cannot be installed.
#
#   IMCQ_BUILD=build-dir [IMCQ=build-dir/analyzer/imcq] tests/browser/run.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${IMCQ_SRC:-$(cd "$here/../.." && pwd)}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

if [ -z "${IMCQ_BUILD:-}" ] && [ -n "${IMCQ:-}" ]; then
	IMCQ_BUILD=$(cd "$(dirname "$IMCQ")/.." && pwd)
fi
if [ -z "${IMCQ_BUILD:-}" ]; then
	echo "run.sh: set IMCQ_BUILD to the CMake build directory" >&2
	exit 2
fi

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

if [ ! -x "$CHROMIUM" ]; then
	echo "# installing chromium" >&2
	{ as_root apt-get install -y chromium || { as_root apt-get update &&
		as_root apt-get install -y chromium; }; } >&2 || true
	if [ ! -x "$CHROMIUM" ]; then
		echo "run.sh: chromium cannot be installed: skipped"
		exit 77
	fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "# installing nodejs and npm" >&2
	{ as_root apt-get install -y nodejs npm || { as_root apt-get update &&
		as_root apt-get install -y nodejs npm; }; } >&2
fi

cd "$here"
if [ ! -f node_modules/playwright-core/package.json ]; then
	npm ci --no-audit --no-fund >&2 || npm install --no-audit --no-fund >&2
fi

# The render helper: report.html from a report.json, through reports/html.c,
# built with the compiler and sanitizers of the build tree.
cache="$IMCQ_BUILD/CMakeCache.txt"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$cache" 2>/dev/null)
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache" 2>/dev/null)
san=
[ "$btype" = Asan ] && san="-fsanitize=address,undefined"
render="$IMCQ_BUILD/tests/browser-render"
mkdir -p "$IMCQ_BUILD/tests"
${cc:-${CC:-cc}} -std=c17 -g -Wall -Wextra $san -D_POSIX_C_SOURCE=200809L -I"$src" \
	-o "$render" "$here/render.c" \
	"$IMCQ_BUILD/reports/libimcq_reports.a" "$IMCQ_BUILD/analyzer/libimcq_core.a" \
	$(pkg-config --libs libcjson libcrypto)
IMCQ_RENDER=$render
export IMCQ_RENDER

if [ -z "${IMCQ:-}" ] && [ -x "$IMCQ_BUILD/analyzer/imcq" ]; then
	IMCQ=$IMCQ_BUILD/analyzer/imcq
fi
export IMCQ

exec node "$here/report.test.js"
