#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Golden tests: crafted spool, pickup and plain files in several envelope
encodings, each run through `imcq show --json` with a pinned --now; the
output (with the temporary input path removed) must equal
tests/golden/<case>.json byte for byte.  IMCQ_UPDATE_GOLDEN=1 rewrites the
expected files; review the diff like code.

The encodings here are deliberately NOT the sample generator's: strings
NUL-terminated with binary fields between them, u8-length-prefixed strings
with a count, u32le-length-prefixed strings, and a layout modelled on the
bytes Q190709 describes (0xF7 'ImCr', binary, HELO, host, <from>, MTS-ID,
short binary fields, <rcpt>, a stray fragment, 'EwLs')."""
import json, os, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IMCQ = os.environ["IMCQ"]
NOW = "2026-11-27T15:00:00Z"

BODY = (b"From: Alice Example <alice@example.net>\r\n"
        b"To: bob@example.com\r\n"
        b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= from the golden test\r\n"
        b"Message-ID: <golden-1@example.net>\r\n"
        b"Date: Wed, 25 Nov 2026 09:30:00 -0500\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream; name=\"q.xls\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b1--\r\n")

def nul(*s):
    return b"".join(x + b"\0" for x in s)

def u8(s):
    return bytes([len(s)]) + s

def u32(s):
    return struct.pack("<I", len(s)) + s

FT = struct.pack("<Q", 134085546000000000)  # 2025-11-25 (a FILETIME)

CASES = {
    # NUL-terminated strings, a flags word and a FILETIME between them, Bcc
    "nul-terminated": ("Exchsrvr/Imcdata/Out/3SW32JRP",
        b"\xf7ImCr" + b"\x01\x00\x00\x00" + nul(b"mail.example.net", b"client.example.net",
        b"<alice@example.net>", b"c=US;a= ;p=Contoso;l=EXB2-261125143000Z-17") + FT +
        nul(b"<bob@example.com>", b"<hidden@example.org>") + b"EwLs" + BODY),
    # u8-length-prefixed strings with a recipient count byte
    "u8-length-prefixed": ("Exchsrvr/Imcdata/Out/HBWK2Q2P",
        b"\xf7ImCr\x02" + u8(b"mx1.example.net") + u8(b"mx1.example.net") + u8(b"<alice@example.net>") +
        u8(b"c=US;a= ;p=Contoso;l=EXB2-261125150000Z-18") + b"\x02" + u8(b"<bob@example.com>") +
        u8(b"<carol@example.com>") + b"EwLs" + BODY),
    # u32le-length-prefixed strings, little-endian count, no HELO
    "u32-length-prefixed": ("Exchsrvr/Imcdata/Out/Archive/WXJXSG2D",
        b"ImCr" + struct.pack("<HH", 3, 0) + u32(b"<alice@example.net>") + struct.pack("<I", 1) +
        u32(b"<bob@example.com>") + b"EwLs" + BODY),
    # the layout Q190709 describes for a stranded inbound file, including
    # the unexplained fragment and the IMS Received line right after EwLs
    "q190709-like": ("Exchsrvr/Imcdata/In/WKA6D6YM",
        b"\xf7ImCr\x00\x00\x00\x09" + nul(b"rayden.example.com", b"rayden.example.com") +
        nul(b"<sender@example.com>") + nul(b"c=US;a= ;p=Contoso;l=RAYDEN9711051951WKA6D6YM") +
        b"\x00X\x009B\x00" + nul(b"<recipient@example.net>") + b"DEN> ro" + b"EwLs" +
        b"Received: from rayden.example.com by exb2.example.net with SMTP (Microsoft Exchange "
        b"Internet Mail Service Version 5.0.1458.49)\r\n\tid WKA6D6YM; Wed, 5 Nov 1997 14:51:00 -0500\r\n" + BODY),
    # null sender (an NDR), CR-only line ends, no final newline
    "null-sender-cr-only": ("Exchsrvr/Imcdata/Out/PBF3S5YB",
        b"\xf7ImCr" + nul(b"<>", b"<postmaster-target@example.com>") + b"EwLs" +
        b"From: postmaster@example.net\rTo: postmaster-target@example.com\rSubject: Undeliverable: x\r\rbody"),
    # truncated: ImCr but no EwLs
    "truncated": ("Exchsrvr/Imcdata/Out/TG45CLP6",
        b"\xf7ImCr\x01\x00\x00\x00" + nul(b"mail.example.net", b"<alice@example.net>", b"<bob@exa")),
    # a pickup file with X-Sender/X-Receiver (Q201314)
    "pickup": ("Exchsrvr/Imcdata/Pickup/note1.eml",
        b"x-sender: alice@example.net\r\nx-receiver: bob@example.com\r\nX-Receiver: dave@example.org\r\n" + BODY),
}

def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k != "input"}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o

def main():
    update = os.environ.get("IMCQ_UPDATE_GOLDEN") == "1"
    fails = 0
    for name, (member, data) in sorted(CASES.items()):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, member)
            os.makedirs(os.path.dirname(p))
            with open(p, "wb") as f:
                f.write(data)
            os.utime(p, (1795600800, 1795600800))  # 2026-11-25T10:00:00Z
            r = subprocess.run([IMCQ, "show", "--json", "-q", "--now", NOW, d, os.path.basename(member)],
                               capture_output=True, timeout=60)
            if r.returncode != 0:
                print("FAIL %s: exit %d %s" % (name, r.returncode, r.stderr.decode(errors="replace")))
                fails += 1
                continue
            got = json.dumps(strip(json.loads(r.stdout)), indent=1, sort_keys=False, ensure_ascii=False) + "\n"
        exp_path = os.path.join(HERE, name + ".json")
        if update:
            with open(exp_path, "w", encoding="utf-8") as f:
                f.write(got)
            print("updated", name)
            continue
        want = open(exp_path, encoding="utf-8").read() if os.path.exists(exp_path) else ""
        if got != want:
            import difflib
            print("FAIL %s:" % name)
            sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected", "got"))
            fails += 1
        else:
            print("ok", name)
    print("%d passed, %d failed" % (len(CASES) - fails, fails))
    sys.exit(1 if fails else 0)

main()
