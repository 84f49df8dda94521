#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh - install what is missing (Debian bookworm, as root), build, and
# optionally run every test.
#
#   ./setup.sh           build dependencies + a release build in build/
#   ./setup.sh --test    also the test tools (archivers, Chromium, Postfix,
#                        clang), an ASan+UBSan build in build-asan/, and the
#                        whole suite (ctest, fuzzers for a short bounded time)
set -euo pipefail
cd "$(dirname "$0")"

mode=build
case "${1:-}" in
  --test) mode=test ;;
  "") ;;
  *) echo "usage: ./setup.sh [--test]" >&2; exit 2 ;;
esac

build_pkgs="build-essential cmake pkg-config zlib1g-dev libarchive-dev libpcre2-dev libcjson-dev libgmime-3.0-dev libcurl4-openssl-dev libssl-dev libdeflate-dev libmimalloc-dev"
test_pkgs="python3 p7zip-full gcab libarchive-tools zip unzip xz-utils zstd clang libclang-rt-14-dev valgrind chromium postfix"

missing=""
want="$build_pkgs"
[ "$mode" = test ] && want="$want $test_pkgs"
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js: any installation will do (this image's comes from outside Debian
# and conflicts with Debian's npm package); install Debian's only if none.
if [ "$mode" = test ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
  missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
  echo "setup: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  if echo "$missing" | grep -qw postfix; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string imcq-test.invalid" | debconf-set-selections
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$mode" = build ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)"
  exit 0
fi

# Every test, under AddressSanitizer and UndefinedBehaviorSanitizer.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Asan -DIMCQ_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
ctest --test-dir build-asan --output-on-failure -j2 --timeout 1200

# The libFuzzer harnesses (tests/fuzz), each for a short bounded time
# (IMCQ_FUZZ_SECONDS per target, 20 by default; 14 targets).  A crash, leak
# or hang fails the script; its input is left in build-fuzz/fuzz-work/artifacts/.
if command -v clang >/dev/null; then
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DIMCQ_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target fuzz_all
  bash tests/fuzz/run-fuzzers.sh build-fuzz "${IMCQ_FUZZ_SECONDS:-20}"
else
  echo "setup: clang not installed: the fuzzers were not run" >&2
fi
