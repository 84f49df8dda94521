#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden JSON for crafted spool/pickup files (tests/golden/golden.py).
. "$(dirname "$0")/lib.sh"
need python3
python3 "$IMCQ_SRC/tests/golden/golden.py"
