#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a large synthetic IMS backup for benchmarks (the tests use it
only for a few thousand messages: t0220-threads, t0230-allocator).

  python3 bench/make-large.py N OUT.zip [--avg-kb K] [--received R]

N spool files in Exchsrvr\\Imcdata\\Out (80%), Out\\Archive (15%) and In
(5%), sizes drawn from a fixed-seed log-normal distribution around
--avg-kb (default 6 KiB; a few large attachments), plus GWART0/1.MTA,
Route.txt, a Queue.dat carved-format file and a tracking log with a 1010
line per Out message.  Deterministic for a given N and seed.

--received R gives every message R Received lines (default 0, the archive
every round of BENCHMARKS.md measured): first the IMS's own "by EXB2 with
Internet Mail Service ... id <SPOOLID>" line, as real Out messages carry,
then R-1 upstream hops."""
import argparse, base64, math, random, struct, zipfile

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--avg-kb", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=4711)
    ap.add_argument("--received", type=int, default=0)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    domains = ["example.com", "example.net", "example.org"] + ["d%03d.test" % i for i in range(200)]
    words = ("invoice order status meeting report quarterly update shipment delivery account "
             "payment reminder schedule project review contract offer request").split()
    mu = math.log(a.avg_kb * 1024) - 0.5
    ids = set()
    tracking = []
    qdat = bytearray(b"QDAT")
    date_t = (2026, 11, 20, 0, 0, 0)
    with zipfile.ZipFile(a.out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for i in range(a.n):
            while True:
                sid = "".join(rnd.choice(alnum) for _ in range(8))
                if sid not in ids and any(c.isdigit() for c in sid) and any(c.isalpha() for c in sid):
                    ids.add(sid)
                    break
            r = rnd.random()
            folder = "OUT" if r < 0.80 else ("OUT\\ARCHIVE" if r < 0.95 else "IN")
            nr = 1 + int(rnd.expovariate(0.8))
            rcpts = ["u%d@%s" % (rnd.randrange(1000), rnd.choice(domains)) for _ in range(nr)]
            sender = "user%d@contoso.example.com" % rnd.randrange(5000)
            size = int(min(rnd.lognormvariate(mu, 1.0), 20 * 1024 * 1024))
            subj = " ".join(rnd.choice(words) for _ in range(rnd.randrange(3, 9)))
            rec = ""
            if a.received > 0:     # the newest first: the IMS's own line
                rec += ("Received: by EXB2.contoso.example.com with Internet Mail Service "
                        "(5.5.2653.19)\r\n\tid <%s>; Fri, 20 Nov 2026 10:%02d:%02d +0000\r\n"
                        % (sid, i % 60, i % 59))
            for k in range(1, a.received):
                rec += ("Received: from relay%d.contoso.example.com ([10.%d.%d.%d]) by "
                        "hub%d.contoso.example.com with ESMTP id %08X for <%s>; "
                        "Fri, 20 Nov 2026 10:%02d:%02d +0000\r\n"
                        % (k, k, i % 250, (i // 250) % 250, k, rnd.getrandbits(32), rcpts[0],
                           i % 60, i % 59))
            hdr = rec + ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s.%d@contoso.example.com>\r\n"
                   "Date: Fri, 20 Nov 2026 10:%02d:%02d +0000\r\nMIME-Version: 1.0\r\n"
                   % (sender, ", ".join(rcpts[:3]), subj, sid, i, i % 60, i % 59))
            if size > 16384:
                body = ("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                        "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
                        "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n")
                raw = rnd.randbytes(size * 3 // 4)
                b64 = base64.encodebytes(raw).decode().replace("\n", "\r\n")
                body += b64 + "--b--\r\n"
            else:
                line = " ".join(rnd.choice(words) for _ in range(12)) + "\r\n"
                body = "Content-Type: text/plain\r\n\r\n" + line * max(1, size // len(line))
            env = b"\xf7ImCr\x01\x00\x00\x00"
            for s in ["mail.contoso.example.com", "client.contoso.example.com", "<%s>" % sender,
                      "c=US;a= ;p=Contoso;l=EXB2-261120100000Z-%d" % i] + ["<%s>" % x for x in rcpts]:
                env += struct.pack("<H", len(s)) + s.encode()
            data = env + b"EwLs" + (hdr + body).encode()
            zi = zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\%s\\%s" % (folder, sid), date_t)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
            if folder == "OUT":
                qdat += sid.encode() + b"\0" * 8 + struct.pack("<Q", 134084000000000000 + i)
                tracking.append("<%s.%d@contoso.example.com>\t1010\t2026.11.20 10:%d:%d\tIMS\t%s\t<%s.%d@contoso.example.com>[%s]\t%s\t0\t%d\t0\t1\t\t%d\t%s\t"
                                % (sid, i, i % 60, i % 59, rcpts[0].split("@")[1], sid, i, sid, sender, len(data), nr, "\t".join(rcpts)))
        z.writestr(zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\QUEUE.DAT", date_t), bytes(qdat))
        z.writestr(zipfile.ZipInfo("EXCHSRVR\\TRACKING.LOG\\20261120.log", date_t), "\r\n".join(tracking) + "\r\n")
        gw = "".join("SMTP,*@%s;,1,Internet Mail Connector (EXA1),\r\n" % d for d in domains[:150])
        z.writestr(zipfile.ZipInfo("EXCHSRVR\\MTADATA\\GWART0.MTA", (2026, 11, 21, 0, 0, 0)), gw)
        z.writestr(zipfile.ZipInfo("EXCHSRVR\\MTADATA\\GWART1.MTA", date_t), gw.replace("EXA1", "EXB2"))
        z.writestr(zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\LOG\\ROUTE.TXT", (2026, 11, 19, 0, 0, 0)), "Routes\r\nSMTP:*\r\n")

main()
