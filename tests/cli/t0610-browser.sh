#!/bin/sh
# SPDX-License-Identifier: MIT
# t0610-browser.sh - report.html in headless Chromium (tests/browser/run.sh):
# no console error, no dialog, no request; paging, sorting, filtering and
# the detail view; a 100,000-message report.  Skips (77) only when Chromium
# cannot be installed.
here=$(cd "$(dirname "$0")" && pwd)
IMCQ_SRC=${IMCQ_SRC:-$(cd "$here/../.." && pwd)}
export IMCQ_SRC
exec sh "$IMCQ_SRC/tests/browser/run.sh"
