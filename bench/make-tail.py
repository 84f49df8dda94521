#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Make the "missing records" archive of BENCHMARKS.md (rounds 17-19) from
an archive of make-large.py: its Queue.dat, tracking log and routing
tables, and of its spool files only the first -- a Queue.dat and a
tracking log of a million ids with (nearly) no spool file, whose records
imcq makes after ingest (MISSING_SPOOL_FILE).

  python3 bench/make-tail.py /tmp/large1m.zip /tmp/tail-only.zip [--keep K]

--keep K keeps the first K spool files (default 1)."""
import argparse, zipfile

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--keep", type=int, default=1)
    a = ap.parse_args()
    kept = 0
    with zipfile.ZipFile(a.src) as src, zipfile.ZipFile(a.out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for info in src.infolist():
            up = info.filename.upper().replace("/", "\\")
            spool = "\\IMCDATA\\OUT\\" in up or "\\IMCDATA\\IN\\" in up
            if spool:
                if kept >= a.keep:
                    continue
                kept += 1
            out.writestr(info, src.read(info), compress_type=info.compress_type)

if __name__ == "__main__":
    main()
