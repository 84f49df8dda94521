#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The baseline an analyst would otherwise write (bench/run.sh; not a test).

  python3 bench/baseline.py ARCHIVE.zip

Reads every member of the zip in memory with zipfile, and parses every
member that looks like a queued message (spool files: Imcdata Out, In,
Archive; the IMS envelope before the RFC 822 text is skipped as carving
would) with the standard library's email package, collecting what imcq's
message table shows: Message-ID, From, To, Subject, Date, MIME part count
and size.  Prints one summary line.  Standard library only."""
import email
import email.policy
import hashlib
import re
import sys
import zipfile

HDR = re.compile(rb"(?m)^(Received|Message-ID|From|To|Subject|Date|MIME-Version|Return-Path):", re.I)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    n = nmsg = nparts = nbytes = 0
    states = {}
    with zipfile.ZipFile(sys.argv[1]) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            data = z.read(info)
            n += 1
            nbytes += len(data)
            hashlib.sha256(data).hexdigest()
            name = info.filename.replace("\\", "/").lower()
            if "/imcdata/" not in "/" + name or name.endswith((".dat", ".log", ".txt", ".mta")):
                continue
            m = HDR.search(data)
            if m is None:
                continue
            msg = email.message_from_bytes(data[m.start():], policy=email.policy.compat32)
            row = (msg.get("Message-ID"), msg.get("From"), msg.get_all("To"),
                   msg.get("Subject"), msg.get("Date"))
            nparts += sum(1 for _ in msg.walk())
            folder = name.rsplit("/", 1)[0].rsplit("/", 1)[-1]
            states[folder] = states.get(folder, 0) + 1
            nmsg += 1 if row is not None else 0
    print("baseline: %d members, %d bytes, %d messages, %d MIME parts, by folder %s"
          % (n, nbytes, nmsg, nparts, sorted(states.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
