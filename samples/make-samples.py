#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the synthetic KB Q268494 incident sample for imcq.

Writes, relative to this script's directory:
  q268494/serverA-imcdata.zip   Server A (EXA1), IMS inbound+outbound, healthy
  q268494/serverB-imcdata.zip   Server B (EXB2), IMS outbound only, mail stuck
  q268494/facts.json            ground truth the tests assert against

Everything is derived from fixed constants and SHA-256 of fixed labels:
no wall clock, no random module, no environment. Running it twice gives
byte-identical files. Python 3.11 standard library only.

SYNTHETIC DATA. Domains are RFC 2606 reserved names (example.com/.net/.org,
*.test), IP addresses come from the RFC 5737 documentation ranges, people and
organisations are fictitious. The spool-file envelope layout, the Queue.dat
layout and the Route.txt layout are INVENTED by this generator (the real
ones are undocumented); see samples/README.md.

Usage: python3 samples/make-samples.py [--check]
  (no option) build everything twice in memory, check the two builds are
              identical, and write the three files.
  --check     write nothing; exit 1 if the files on disk differ from a fresh
              build (zips compared member by member: name, order, content,
              times, attributes, extra fields, so that a different zlib
              version producing other deflate bytes does not count).
"""

import base64
import datetime as dt
import hashlib
import io
import json
import os
import re
import struct
import sys
import zipfile
import email.utils
from email import policy
from email.parser import BytesParser

SEED = "imcq/samples/q268494/v1"
UTC = dt.timezone.utc
LOCAL = dt.timezone(dt.timedelta(hours=-5))   # both servers: UTC-05:00 (EST, no DST in late Nov)
LOCAL_ZONE = "-0500"
IMS_VERSION = "5.5.2653.13"
ORG = "Contoso"
SITE = "HQ"
SITE_DOMAIN = "contoso.example.com"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CRLF = "\r\n"

# --------------------------------------------------------------------------
# deterministic helpers
# --------------------------------------------------------------------------


def hbytes(label, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{SEED}|{label}|{i}".encode()).digest()
        i += 1
    return out[:n]


def hint(label, lo, hi):
    return lo + int.from_bytes(hbytes(label, 8), "big") % (hi - lo + 1)


ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_used_ids = set()


def spool_id(label):
    k = 0
    while True:
        raw = hbytes(f"spool:{label}:{k}", 8)
        sid = "".join(ALNUM[b % 36] for b in raw)
        if sid not in _used_ids and not sid.isdigit() and not sid.isalpha():
            _used_ids.add(sid)
            return sid
        k += 1


def U(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc2822(t, zone=LOCAL, zname=LOCAL_ZONE):
    lt = t.astimezone(zone)
    return "%s, %d %s %04d %02d:%02d:%02d %s" % (
        DAYS[lt.weekday()], lt.day, MONTHS[lt.month - 1], lt.year,
        lt.hour, lt.minute, lt.second, zname)


def plog_ts(t):
    """IMS protocol log stamp, server local time, US locale: M/D/YY h:mm:ss AM."""
    lt = t.astimezone(LOCAL)
    h = lt.hour % 12 or 12
    return "%d/%d/%02d %d:%02d:%02d %s" % (lt.month, lt.day, lt.year % 100, h,
                                          lt.minute, lt.second,
                                          "AM" if lt.hour < 12 else "PM")


def filetime(t):
    return (int(t.timestamp()) + 11644473600) * 10_000_000


def sec(t, s):
    return t + dt.timedelta(seconds=s)


def even(t):
    return t - dt.timedelta(seconds=t.second % 2)


def trk_time(t, padded):
    u = t.astimezone(UTC)
    if padded:
        return "%04d.%02d.%02d %02d:%02d:%02d" % (u.year, u.month, u.day, u.hour, u.minute, u.second)
    # Q153188 sample style: 1996.7.1 18:32:9
    return "%d.%d.%d %d:%d:%d" % (u.year, u.month, u.day, u.hour, u.minute, u.second)


def sha256(b):
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------
# people, hosts, routing
# --------------------------------------------------------------------------

INTERNAL = {  # alias: (display name, home server)
    "atanaka": ("Aiko Tanaka", "EXB2"), "bcarter": ("Ben Carter", "EXB2"),
    "cdubois": ("Chloe Dubois", "EXB2"), "dvolkov": ("Dmitri Volkov", "EXB2"),
    "eruiz": ("Elena Ruiz", "EXB2"), "fhaddad": ("Farid Haddad", "EXB2"),
    "gliu": ("Grace Liu", "EXB2"), "hmendes": ("Hugo Mendes", "EXB2"),
    "iolsen": ("Ingrid Olsen", "EXB2"), "jwright": ("Jamal Wright", "EXB2"),
    "kmorris": ("Kevin Morris", "EXA1"), "lnguyen": ("Linh Nguyen", "EXA1"),
    "mokafor": ("Mary Okafor", "EXA1"), "administrator": ("Administrator", "EXA1"),
}

EXTERNAL_NAMES = {
    "rsingh@example.com": "Raj Singh", "p.moreau@example.com": "Pierre Moreau",
    "mkowalski@example.net": "Marta Kowalski", "l.ferraz@example.net": "Luis Ferraz",
    "k.olsen@example.net": "Kari Olsen", "tom.baker@example.org": "Tom Baker",
    "a.novak@example.org": "Ana Novak", "akim@northwindtraders.test": "Alex Kim",
    "dlopez@tailspintoys.test": "Diego Lopez", "sara.cole@wingtiptoys.test": "Sara Cole",
    "n.patel@lucernepublishing.test": "Nina Patel", "v.ivanova@unroutable.test": "Vera Ivanova",
}

# destination MX as the IMS would reach it (RFC 5737 addresses)
MX = {
    "example.com": ("mx1.example.com", "198.51.100.10", "sendmail"),
    "example.net": ("mail.example.net", "198.51.100.20", "postfix"),
    "example.org": ("mx.example.org", "198.51.100.30", "sendmail"),
    "northwindtraders.test": ("smtp.northwindtraders.test", "203.0.113.25", "exchange"),
    "tailspintoys.test": ("mx.tailspintoys.test", "203.0.113.35", "firewall"),
    "wingtiptoys.test": ("mx.wingtiptoys.test", "198.51.100.25", "sendmail"),
    "lucernepublishing.test": ("mail.lucernepublishing.test", "203.0.113.40", "sendmail"),
}

ROUTED_DOMAINS = ["example.com", "example.net", "example.org", "lucernepublishing.test",
                  "northwindtraders.test", "tailspintoys.test", "wingtiptoys.test"]
NO_ROUTE_DOMAIN = "unroutable.test"

SERVERS = {
    "EXA1": {"fqdn": "exa1.contoso.example.com", "ip": "192.0.2.11"},
    "EXB2": {"fqdn": "exb2.contoso.example.com", "ip": "192.0.2.12"},
}


def ims_dn(server, upper=False):
    s = f"/o={ORG}/ou={SITE}/cn=Configuration/cn=Connections/cn=Internet Mail Connector ({server})"
    return s.upper() if upper else s


def mdb_dn(server, upper=False):
    s = f"/o={ORG}/ou={SITE}/cn=Configuration/cn=Servers/cn={server}/cn=Microsoft Private MDB"
    return s.upper() if upper else s


def user_dn(alias, upper=False):
    s = f"/o={ORG}/ou={SITE}/cn=Recipients/cn={alias}"
    return s.upper() if upper else s


def addr(alias):
    return f"{alias}@{SITE_DOMAIN}"


def dom(a):
    return a.rsplit("@", 1)[1].lower()


def is_internal(a):
    return dom(a) == SITE_DOMAIN


def disp(a, quoted_oneoff=False):
    """Render an address for a To/Cc/From header as Exchange 5.5 would."""
    if is_internal(a):
        return f"{INTERNAL[a.split('@')[0]][0]} <{a}>"
    name = EXTERNAL_NAMES.get(a)
    if name is None:
        return a
    if quoted_oneoff:
        return f"\"'{name}'\" <{a}>"
    return f"\"{name}\" <{a}>"


# --------------------------------------------------------------------------
# RFC 822 construction
# --------------------------------------------------------------------------


def fold_q275504(name, value):
    """Fold a header as the IMS does for long subjects (Q275504): the first
    physical line at most 65 characters, each continuation at most 73; we
    only break before an existing space, so unfolding restores the value."""
    out = []
    cur = f"{name}: "
    limit = 65
    words = value.split(" ")
    first = True
    for w in words:
        piece = w if first else " " + w
        if len(cur) + len(piece) > limit and cur.strip() and not cur.endswith(": "):
            out.append(cur)
            cur = piece  # continuation line starts with the space
            limit = 73
        else:
            cur += piece
        first = False
    out.append(cur)
    return CRLF.join(out)


def fold_addresses(name, items):
    line = f"{name}: "
    lines = []
    for i, it in enumerate(items):
        piece = it + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) > 76 and line.strip() and not line.endswith(": "):
            lines.append(line.rstrip())
            line = "\t" + piece + " "
        else:
            line += piece + " "
    lines.append(line.rstrip())
    return CRLF.join(lines)


class Msg:
    """One message as the scenario knows it."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def body_text(label, kind, sender_alias):
    name = INTERNAL.get(sender_alias, (sender_alias,))[0]
    first = name.split()[0]
    pool = [
        "Please find the details below and let me know if anything is missing.",
        "As discussed on the phone, I am sending this in writing as well.",
        "Could you confirm by the end of the week? Thank you in advance.",
        "The figures are the same as in the last version, except for the freight costs.",
        "We would appreciate a short reply so that we can plan accordingly.",
        "I have copied the colleagues who need to be involved.",
        "Nothing has changed on our side since the last meeting.",
        "If you prefer, we can also go through this in a short call.",
    ]
    a = pool[hint(label + ":b1", 0, len(pool) - 1)]
    b = pool[(hint(label + ":b1", 0, len(pool) - 1) + hint(label + ":b2", 1, len(pool) - 1)) % len(pool)]
    lines = ["Hello,", "", a, b, ""]
    if kind == "lone-dot":
        lines += ["Agenda:", "1. Welcome", "2. Budget", ".", "3. Any other business", ""]
    if kind == "from-line":
        lines += ["From the desk of the sales director: the new price list", "applies from 1 January.", ""]
    lines += ["Best regards,", first, "", f"{name}", f"{ORG} Ltd. (fictitious)"]
    return lines


def build_rfc822(m):
    """Return the RFC 822 bytes of an Exchange-originated outbound message."""
    h = []
    if m.received:
        h.append(f"Received: by {m.server_fqdn} with Internet Mail Service ({IMS_VERSION})"
                 f"{CRLF}\tid <{m.sid}>; {rfc2822(m.t_out)}")
    h.append(f"Message-ID: {m.message_id}")
    h.append(f"From: {m.from_hdr}")
    h.append(fold_addresses("To", m.to_hdr))
    if m.cc_hdr:
        h.append(fold_addresses("Cc", m.cc_hdr))
    if m.subject_raw is not None:
        raw = m.subject_raw
    else:
        raw = m.subject
    if len("Subject: " + raw) > 65 and "=?" not in raw:
        h.append(fold_q275504("Subject", raw))
    else:
        h.append(f"Subject: {raw}")
    h.append(f"Date: {rfc2822(m.t_submit)}")
    h.append("MIME-Version: 1.0")
    h.append(f"X-Mailer: Internet Mail Service ({IMS_VERSION})")
    body = m.body_lines
    if m.kind == "multipart":
        boundary = "----_=_NextPart_000_01C2DA7F.3B9E5C40"
        h.append(f'Content-Type: multipart/mixed;{CRLF}\tboundary="{boundary}"')
        csv = ("Region,Q4 units,Q4 revenue\r\nNorth,1200,48000\r\nSouth,950,38000\r\n"
               "East,1430,57200\r\nWest,610,24400\r\n").encode()
        b64 = base64.encodebytes(csv).decode().replace("\n", CRLF).rstrip(CRLF)
        body = ["This message is in MIME format. Since your mail reader does not understand",
                "this format, some or all of this message may not be legible.", "",
                "--" + boundary, 'Content-Type: text/plain;', '\tcharset="iso-8859-1"', ""] + \
            m.body_lines + ["", "--" + boundary,
                            'Content-Type: application/octet-stream;', '\tname="Q4-forecast.csv"',
                            "Content-Transfer-Encoding: base64",
                            'Content-Disposition: attachment;', '\tfilename="Q4-forecast.csv"', ""] + \
            b64.split(CRLF) + ["", "--" + boundary + "--", ""]
        m.attachment = {"filename": "Q4-forecast.csv", "size": len(csv), "sha256": sha256(csv),
                        "content_type": "application/octet-stream"}
    elif m.kind == "ndr":
        boundary = "----_=_NextPart_000_01C2DA3C.8E41A2F0"
        h.append(f'Content-Type: multipart/mixed;{CRLF}\tboundary="{boundary}"')
        body = ["This message is in MIME format. Since your mail reader does not understand",
                "this format, some or all of this message may not be legible.", "",
                "--" + boundary, 'Content-Type: text/plain;', '\tcharset="iso-8859-1"', "",
                "Your message", "",
                f"  To:      {m.ndr_orig_rcpt}",
                f"  Subject: {m.ndr_orig_subject}",
                f"  Sent:    {rfc2822(m.ndr_orig_sent, UTC, '+0000')}", "",
                "did not reach the following recipient(s):", "",
                f"{m.ndr_orig_rcpt} on {rfc2822(m.t_submit)}",
                "    The recipient name is not recognized",
                f"\tThe MTS-ID of the original message is: {m.ndr_orig_mtsid}",
                f"    MSEXCH:IMS:{ORG}:{SITE}:EXA1 0 (000C05A6) Unknown Recipient", "",
                "--" + boundary, "Content-Type: message/rfc822", ""] + \
            m.ndr_orig_headers + ["", "(original message body not included)", "",
                                  "--" + boundary + "--", ""]
    elif m.kind == "qp-latin1":
        h.append(f'Content-Type: text/plain;{CRLF}\tcharset="iso-8859-1"')
        h.append("Content-Transfer-Encoding: quoted-printable")
        body = ["Bonjour Luis,", "",
                "La r=E9union du comit=E9 aura lieu =E0 Qu=E9bec le 3 d=E9cembre.",
                "Merci de confirmer votre pr=E9sence.", "", "Cordialement,", "Chlo=E9", ""]
    else:
        h.append(f'Content-Type: text/plain;{CRLF}\tcharset="iso-8859-1"')
    text = CRLF.join(h) + CRLF + CRLF + CRLF.join(body)
    if m.final_newline:
        text += CRLF
    return text.encode("latin-1")


# --------------------------------------------------------------------------
# invented spool envelope (NOT Exchange's real layout; see README.md)
# --------------------------------------------------------------------------

ENV_VERSION = 0x0201
ENV_INBOUND = 0x00010000


def lp(s):
    b = s.encode("latin-1")
    return struct.pack("<H", len(b)) + b


def envelope(inbound, helo, client, sender, mtsid, t, rcpts):
    b = b"\xf7ImCr" + struct.pack("<I", ENV_VERSION | (ENV_INBOUND if inbound else 0))
    b += lp(helo) + lp(client) + lp(f"<{sender}>") + lp(mtsid)
    b += struct.pack("<Q", filetime(t))
    b += struct.pack("<H", len(rcpts))
    for r in rcpts:
        b += lp(f"<{r}>")
    b += b"EwLs"
    assert b.count(b"ImCr") == 1 and b.count(b"EwLs") == 1
    return b


def parse_envelope(data):
    """Reader for the invented layout, used only for self-checks."""
    assert data[0] == 0xF7 and data[1:5] == b"ImCr"
    (flags,) = struct.unpack_from("<I", data, 5)
    p = 9
    out = []
    for _ in range(4):
        (n,) = struct.unpack_from("<H", data, p)
        out.append(data[p + 2:p + 2 + n].decode("latin-1"))
        p += 2 + n
    (ft,) = struct.unpack_from("<Q", data, p)
    p += 8
    (cnt,) = struct.unpack_from("<H", data, p)
    p += 2
    rc = []
    for _ in range(cnt):
        (n,) = struct.unpack_from("<H", data, p)
        rc.append(data[p + 2:p + 2 + n].decode("latin-1"))
        p += 2 + n
    assert data[p:p + 4] == b"EwLs", "EwLs expected"
    return {"flags": flags, "helo": out[0], "client": out[1], "from": out[2], "mtsid": out[3],
            "filetime": ft, "rcpts": rc, "body_offset": p + 4}


# --------------------------------------------------------------------------
# invented Queue.dat (NOT Exchange's real layout; see README.md)
# --------------------------------------------------------------------------

QD_MAGIC = b"QHEAP\x1a\x01\x00"
QD_PAGE = 4096
QD_REC = 256
QD_END = 0xFFFFFFFF
Q_INBOUND, Q_OUTBOUND = 1, 2


def queue_dat(label, flushed, entries, n_free):
    """entries: list of dict(queue, sid, utf16, queued, next_retry, expiry,
    retries, status, last_reply, domain, rcpts). Returns (bytes, refs)."""
    nslots = len(entries) + n_free
    nslots = (nslots + 15) // 16 * 16
    # deterministic heap placement: shuffle slot numbers by hash order
    order = sorted(range(nslots), key=lambda k: hbytes(f"{label}:slot:{k}", 8))
    slot_of = {}
    for i, _ in enumerate(entries):
        slot_of[i] = order[i]
    used = set(slot_of.values())
    free_slots = sorted(s for s in range(nslots) if s not in used)
    recs = {}
    refs = []
    heads = {}
    for q in (Q_INBOUND, Q_OUTBOUND):
        idx = [i for i, e in enumerate(entries) if e["queue"] == q]
        heads[q] = (slot_of[idx[0]] if idx else QD_END, slot_of[idx[-1]] if idx else QD_END, len(idx))
        for j, i in enumerate(idx):
            e = entries[i]
            nxt = slot_of[idx[j + 1]] if j + 1 < len(idx) else QD_END
            r = bytearray(QD_REC)
            flags = (1 if e["utf16"] else 0) | (2 if q == Q_INBOUND else 0)
            struct.pack_into("<HHI", r, 0, 1, flags, nxt)
            sidb = e["sid"].encode("utf-16-le") if e["utf16"] else e["sid"].encode("ascii")
            r[8:8 + len(sidb)] = sidb
            struct.pack_into("<QQQHHI", r, 0x18, filetime(e["queued"]), filetime(e["next_retry"]),
                             filetime(e["expiry"]), e["retries"], e["status"], e["last_reply"])
            d = e["domain"].encode("ascii")
            assert len(d) <= 63
            r[0x38] = len(d)
            r[0x39:0x39 + len(d)] = d
            p = 0x78
            r[p] = len(e["rcpts"])
            p += 1
            for a in e["rcpts"]:
                ab = a.encode("ascii")
                assert p + 1 + len(ab) <= QD_REC, "recipients overflow a record"
                r[p] = len(ab)
                r[p + 1:p + 1 + len(ab)] = ab
                p += 1 + len(ab)
            recs[slot_of[i]] = bytes(r)
            refs.append({"spool_id": e["sid"], "queue": "INBOUND" if q == Q_INBOUND else "OUTBOUND",
                         "encoding": "utf-16le" if e["utf16"] else "ascii",
                         "offset": QD_PAGE + slot_of[i] * QD_REC + 8,
                         "record_offset": QD_PAGE + slot_of[i] * QD_REC,
                         "domain": e["domain"], "recipients": list(e["rcpts"]),
                         "retries": e["retries"], "last_reply": e["last_reply"],
                         "status": ["pending", "retrying", "delivered-not-removed"][e["status"]]})
    for j, s in enumerate(free_slots):
        r = bytearray(QD_REC)
        nxt = free_slots[j + 1] if j + 1 < len(free_slots) else QD_END
        struct.pack_into("<HHI", r, 0, 0, 0, nxt)
        recs[s] = bytes(r)
    npages = 1 + nslots // 16
    hdr = bytearray(QD_PAGE)
    hdr[0:8] = QD_MAGIC
    struct.pack_into("<IIIIQII", hdr, 8, QD_PAGE, npages, QD_REC, nslots, filetime(flushed),
                     free_slots[0] if free_slots else QD_END, len(free_slots))
    p = 0x30
    for q in (Q_INBOUND, Q_OUTBOUND):
        struct.pack_into("<IIII", hdr, p, q, *heads[q])
        p += 16
    body = b"".join(recs[s] for s in range(nslots))
    refs.sort(key=lambda r: r["record_offset"])
    return bytes(hdr) + body, refs


def scan_ids(data, pattern=rb"(?<![0-9A-Za-z])[0-9A-Z]{8}(?![0-9A-Za-z])"):
    found = set(m.group().decode() for m in re.finditer(pattern, data))
    # UTF-16LE: take every other byte at both alignments
    for start in (0, 1):
        nar = data[start::2]
        odd = data[start + 1::2]
        for m in re.finditer(pattern, nar):
            if all(b == 0 for b in odd[m.start():m.end()]):
                found.add(m.group().decode())
    return found


# --------------------------------------------------------------------------
# protocol logs
# --------------------------------------------------------------------------


class PLog:
    def __init__(self, start, arrows=False):
        self.t = start
        self.lines = []
        self.arrows = arrows

    def tick(self, s=0):
        self.t = sec(self.t, s)

    def _l(self, text):
        self.lines.append(f"{plog_ts(self.t)} : {text}")

    def note(self, text, s=0):
        self.tick(s)
        self._l(text)

    def send(self, text, s=0):
        self.tick(s)
        self._l((">>> " if self.arrows else "") + text)

    def recv(self, text, s=0, echo=False):
        self.tick(s)
        self._l(("<<< " if self.arrows else "") + "IO: |" + text)
        if echo or self.arrows:
            self._l(("<<< " if self.arrows else "") + text)

    def data(self):
        return (CRLF.join(self.lines) + CRLF).encode("ascii")


def banner(domain, t):
    host, _ip, kind = MX[domain]
    if kind == "sendmail":
        return f"220 {host} ESMTP Sendmail 8.12.11/8.12.11; {rfc2822(t, UTC, '+0000')}"
    if kind == "postfix":
        return f"220 {host} ESMTP Postfix"
    if kind == "firewall":
        return f"220 {host} Generic SMTP handler"
    return f"220 {host} Microsoft ESMTP MAIL Service, Version: 5.0.2195.6713 ready at  {rfc2822(t, UTC, '+0000')}"


def smtp_session(server, domain, start, msgs, arrows=False, helo_fallback=False):
    """A successful delivery session of msgs (list of Msg) to domain."""
    host, ip, kind = MX[domain]
    fq = SERVERS[server]["fqdn"]
    L = PLog(start, arrows)
    L.note(f"A connection to {ip} was established.")
    L.recv(banner(domain, start))
    if helo_fallback:
        L.send(f"EHLO {fq}")
        L.recv("500 Command unrecognized", 1)
        L.send(f"HELO {fq}")
        L.recv(f"250 {host} Hello {fq} [{SERVERS[server]['ip']}], pleased to meet you")
    else:
        L.send(f"EHLO {fq}")
        L.recv(f"250-{host} Hello {fq} [{SERVERS[server]['ip']}], pleased to meet you")
        L.recv("250-8BITMIME")
        L.recv("250 SIZE 10485760")
    qn = 0
    for i, m in enumerate(msgs):
        if i:
            L.send("RSET", 1)
            L.recv("250 2.0.0 Reset state")
        L.send(f"MAIL FROM:<{m.mail_from}>", 1)
        L.recv(f"250 2.1.0 <{m.mail_from}>... Sender ok")
        for r in m.rcpts:
            if dom(r) != domain:
                continue
            L.send(f"RCPT TO:<{r}>")
            L.recv(f"250 2.1.5 <{r}>... Recipient ok", 1)
        L.send("DATA")
        L.recv('354 Enter mail, end with "." on a line by itself')
        qn += 1
        L.recv(f"250 2.0.0 qA{hint(m.sid + 'q', 1000000, 9999999)}{qn} Message accepted for delivery", 2)
    L.send("QUIT")
    L.recv(f"221 2.0.0 {host} closing connection")
    return L


# --------------------------------------------------------------------------
# tracking log
# --------------------------------------------------------------------------


class Tracking:
    def __init__(self):
        self.events = []   # (time, seq, fields13, rcpts, meta)

    def add(self, t, mid, ev, gateway, partner, remote, originator, length, rcpts,
            subject_id="", meta=None):
        f = [mid, str(ev), None, gateway, partner, remote, originator, "0", str(length),
             "0", "1", subject_id, str(len(rcpts))]
        self.events.append((t, len(self.events), f, list(rcpts), meta or {}))

    def files(self, prefix, layouts, padded):
        """layouts: {YYYYMMDD: 'tab'|'continuation'}; returns {member: (bytes, mtime, info)}"""
        byday = {}
        for e in sorted(self.events, key=lambda e: (e[0], e[1])):
            day = e[0].astimezone(UTC).strftime("%Y%m%d")
            byday.setdefault(day, []).append(e)
        out = {}
        for day, evs in sorted(byday.items()):
            layout = layouts[day]
            lines = []
            for t, _s, f, rc, _m in evs:
                f = list(f)
                f[2] = trk_time(t, padded)
                if layout == "tab":
                    lines.append("\t".join(f + rc) + CRLF)
                else:
                    lines.append("\t".join(f) + CRLF + "".join(r + CRLF for r in rc))
            out[f"{prefix}{day}.log"] = ("".join(lines).encode("latin-1"), even(evs[-1][0]),
                                         {"layout": layout,
                                          "date_style": "zero-padded" if padded else "unpadded (Q153188 style)",
                                          "records": len(evs)})
        return out

    def summary(self):
        """per spool id: list of {event, time, recipients}"""
        res = {}
        for t, _s, f, rc, meta in sorted(self.events, key=lambda e: (e[0], e[1])):
            sid = meta.get("sid")
            if sid:
                res.setdefault(sid, []).append({"event": int(f[1]), "time": iso(t), "recipients": rc})
        return res


# --------------------------------------------------------------------------
# scenario: server B (EXB2)
# --------------------------------------------------------------------------

T_BACKUP_B = U("2026-11-27 15:00:00")
T_BACKUP_A = U("2026-11-27 15:06:00")
T_IMS_STOP_B = U("2026-11-27 14:40:10")
T_IMS_STOP_A = U("2026-11-27 15:04:20")
T_GWART1_A = U("2026-11-24 16:33:12")
T_GWART1_B = U("2026-11-24 16:33:40")
T_ROUTE_TXT_B = U("2026-11-24 16:47:58")
T_ROUTE_OLD_B = U("2026-11-10 09:15:22")
T_GWART0_A = U("2026-11-26 14:04:40")
T_GWART0_B = U("2026-11-26 14:05:12")
T_ROUTE_TXT_A = U("2026-11-26 14:17:40")
T_ROUTE_OLD_A = U("2026-11-24 16:48:20")
T_ARCHIVAL_ON_B = U("2026-11-25 14:30:00")
TIMEOUT = dt.timedelta(hours=48)

def assign_mts(msgs, server, seq):
    """Exchange-originated MTS-IDs: server-YYMMDDhhmmssZ-seq (Q153188), the
    sequence growing with submission time; Message-ID derived from it."""
    for m in sorted(msgs, key=lambda m: (m.t_submit, m.label)):
        seq += hint(f"seq:{server}:{m.label}", 1, 37)
        u = m.t_submit.astimezone(UTC)
        m.mts_id = f"c=US;a= ;p={ORG};l={server}-{u:%y%m%d%H%M%S}Z-{seq}"
        m.message_id = msgid_of(m.mts_id, server)


def mts_in(server, t, sid):
    u = t.astimezone(UTC)
    return f"c=US;a= ;p={ORG};l={server}{u:%y%m%d%H%M}{sid}"


def msgid_of(mtsid, server):
    return "<" + mtsid.replace(";", "%").replace(" ", "_") + "@" + SERVERS[server]["fqdn"] + ">"


def outbound(label, when, sender, to, cc=(), bcc=(), subject="", kind="plain",
             received=True, final_newline=True, subject_raw=None, server="EXB2",
             quoted=False, submit_lag=None):
    t_out = U(when)
    lag = submit_lag if submit_lag is not None else hint(label + ":lag", 12, 95)
    t_submit = sec(t_out, -lag)
    mtsid = None   # assigned by assign_mts() once all messages exist
    m = Msg(label=label, sid=spool_id(label), server=server, server_fqdn=SERVERS[server]["fqdn"],
            t_out=t_out, t_submit=t_submit, sender_alias=sender, mail_from=addr(sender),
            from_hdr=disp(addr(sender)), to=list(to), cc=list(cc), bcc=list(bcc),
            to_hdr=[disp(a, quoted) for a in to], cc_hdr=[disp(a, quoted) for a in cc],
            subject=subject, subject_raw=subject_raw, kind=kind, received=received,
            final_newline=final_newline, mts_id=mtsid, message_id=None,
            features=[], attachment=None)
    ext = [a for a in list(to) + list(cc) if not is_internal(a)]
    m.rcpts = ext + [a for a in bcc if a not in ext]
    m.body_lines = body_text(label, kind, sender)
    return m


def build_b():
    M = {}

    def add(m, *features):
        m.features += list(features)
        M[m.label] = m
        return m

    # delivered on 11-25 before trouble; gone from Out, no archive (archival off)
    add(outbound("E1", "2026-11-25 03:09:20", "fhaddad", ["orders@example.com"],
                 subject="Order 88190"), "delivered-and-gone")
    add(outbound("E2", "2026-11-25 08:39:36", "atanaka", ["purchasing@northwindtraders.test"],
                 subject="Purchase order 4466"), "delivered-and-gone")
    add(outbound("E3", "2026-11-25 12:03:54", "hmendes", ["ops@wingtiptoys.test"],
                 subject="Maintenance contract renewal"), "delivered-and-gone")
    add(outbound("E4", "2026-11-25 12:04:40", "hmendes", ["sara.cole@wingtiptoys.test"],
                 cc=["ops@wingtiptoys.test"], subject="Re: Spare parts"), "delivered-and-gone")

    specs = [
        # label, time (Out mtime, UTC), sender, to, cc, bcc, subject, extra
        ("S01", "2026-11-25 13:02:14", "iolsen", ["info@unroutable.test"], [], [],
         "Request for catalogue and price list", {}),
        ("S02", "2026-11-25 13:41:36", "dvolkov", ["editor@lucernepublishing.test"], [], [],
         "Manuscript review schedule", {}),
        ("S03", "2026-11-25 14:05:08", "atanaka", ["purchasing@northwindtraders.test"],
         [addr("gliu")], [], "Purchase order 4471 confirmation", {}),
        ("S04", "2026-11-25 14:27:52", "eruiz", ["dlopez@tailspintoys.test"], [],
         ["billing@tailspintoys.test"], "Invoice 2026-1187 payment status", {}),
        ("D1", "2026-11-25 15:48:20", "eruiz", ["tom.baker@example.org"],
         ["events@example.org"], [], "Conference booth reservation", {}),
        ("E5", "2026-11-25 15:55:02", "eruiz", ["a.novak@example.org"], [], [],
         "Re: Speaker list", {}),
        ("S05", "2026-11-25 16:35:44", "bcarter", ["rsingh@example.com"], [addr("jwright")], [],
         "Re: FW: Updated proposal for the joint marketing campaign with Tailspin Toys for the "
         "first quarter, including revised budget figures, timeline and the list of deliverables "
         "we discussed on Monday", {"quoted": True}),
        ("S06", "2026-11-25 17:58:10", "atanaka", ["akim@northwindtraders.test"], [], [],
         "Shipping dates for December", {}),
        ("S07", "2026-11-25 19:12:30", "bcarter", ["mkowalski@example.net"], [], [],
         "Contract draft v3", {"received": False}),
        ("S08", "2026-11-25 20:47:02", "hmendes", ["ops@wingtiptoys.test"],
         ["orders@example.com"], [], "Replacement parts order", {}),
        ("S09", "2026-11-25 22:15:40", "eruiz", ["events@example.org"], [], [],
         "Agenda for Thursday", {"kind": "lone-dot"}),
        ("S10", "2026-11-25 23:40:18", "fhaddad", ["p.moreau@example.com", "v.ivanova@unroutable.test"],
         [], [], "Partnership introduction", {"quoted": True}),
        ("S12", "2026-11-26 02:26:48", "bcarter", ["rsingh@example.com"], [], ["mkowalski@example.net"],
         "Q4 pricing update", {}),
        ("S13", "2026-11-26 03:14:06", "eruiz", ["dlopez@tailspintoys.test"], [], [],
         "Warehouse inventory count", {}),
        ("S14", "2026-11-26 04:52:22", "dvolkov", ["n.patel@lucernepublishing.test"], [], [],
         "Cover artwork approval", {}),
        ("S15", "2026-11-26 06:30:00", "cdubois", ["l.ferraz@example.net"], [], [],
         "R\u00e9union \u00e0 Qu\u00e9bec / \u6771\u4eac\u30aa\u30d5\u30a3\u30b9",
         {"kind": "qp-latin1",
          "subject_raw": "=?ISO-8859-1?Q?R=E9union_=E0_Qu=E9bec?= / =?UTF-8?B?"
          + base64.b64encode("\u6771\u4eac\u30aa\u30d5\u30a3\u30b9".encode()).decode() + "?="}),
        ("TR", "2026-11-26 07:44:56", "fhaddad", ["orders@example.com"], [], [],
         "Order 88213 amendment", {}),
        ("S16", "2026-11-26 08:19:34", "gliu", ["a.novak@example.org"], [], [],
         "Q4 forecast (attached)", {"kind": "multipart"}),
        ("S17", "2026-11-26 09:58:40", "atanaka", ["purchasing@northwindtraders.test"], [], [],
         "Credit note request", {}),
        ("S18", "2026-11-26 10:12:16", "jwright", ["support@example.net"], [], [],
         "Login problems on the partner portal", {}),
        ("S19", "2026-11-26 11:37:02", "hmendes", ["sara.cole@wingtiptoys.test"], [],
         ["ops@wingtiptoys.test"], "Site visit next week", {}),
        ("Z0", "2026-11-26 12:49:28", "bcarter", ["mkowalski@example.net"], [], [],
         "Signed contract", {}),
        ("S20", "2026-11-26 13:21:10", "eruiz", ["billing@tailspintoys.test"], [], [],
         "Remittance advice", {}),
        ("S21", "2026-11-26 14:48:54", "cdubois", ["p.moreau@example.com"], [], [],
         "Pr\u00fcfung der Rechnung Nr. 4711",
         {"subject_raw": "=?utf-8?q?Pr=C3=BCfung_der_Rechnung_Nr=2E_4711?="}),
        ("S22", "2026-11-26 16:03:32", "bcarter", ["mkowalski@example.net"], [], [],
         "Re: Contract draft v3", {"received": False}),
        ("JK", "2026-11-26 17:26:16", "eruiz", ["tom.baker@example.org"], [], [],
         "Booth power supply", {}),
        ("S23", "2026-11-26 18:40:44", "eruiz", ["tom.baker@example.org"], [], [],
         "Booth layout", {"final_newline": False}),
        ("S24", "2026-11-26 20:05:20", "atanaka", ["akim@northwindtraders.test"], [], [],
         "Updated delivery address", {}),
        ("S25", "2026-11-26 21:33:58", "fhaddad", ["orders@example.com"], [], [],
         "Order 88240", {}),
        ("S26", "2026-11-26 23:02:06", "hmendes", ["ops@wingtiptoys.test"], [], [],
         "Maintenance window confirmation", {}),
        ("S27", "2026-11-27 00:27:40", "dvolkov", ["editor@lucernepublishing.test"], [], [],
         "Chapter 7 corrections", {}),
        ("S28", "2026-11-27 01:55:12", "bcarter", ["rsingh@example.com"], [addr("iolsen")],
         ["l.ferraz@example.net", "a.novak@example.org"], "Board meeting minutes", {}),
        ("S29", "2026-11-27 03:20:36", "eruiz", ["dlopez@tailspintoys.test"], [], [],
         "Holiday schedule", {"received": False}),
        ("S30", "2026-11-27 04:46:02", "eruiz", ["events@example.org"], [], [],
         "Registration list", {}),
        ("S31", "2026-11-27 06:10:48", "jwright", ["support@example.net"], [], [],
         "Ticket 5532 follow-up", {}),
        ("S32", "2026-11-27 07:38:24", "atanaka", ["purchasing@northwindtraders.test"], [], [],
         "Purchase order 4502", {}),
        ("S33", "2026-11-27 09:04:10", "bcarter", ["rsingh@example.com"], [], [],
         "New price list", {"kind": "from-line"}),
        ("S34", "2026-11-27 10:31:52", "hmendes", ["sara.cole@wingtiptoys.test"], [], [],
         "Travel arrangements", {}),
        ("S35", "2026-11-27 11:46:30", "iolsen", ["info@unroutable.test"], [], [],
         "Second request: catalogue and price list", {}),
        ("S36", "2026-11-27 12:58:06", "gliu", ["a.novak@example.org"], [], [],
         "Slides for Monday", {}),
        # missing: referenced by Queue.dat, no file anywhere
        ("MISS1", "2026-11-26 05:40:12", "bcarter", ["rsingh@example.com"], [], [],
         "Draft agreement", {}),
        ("MISS2", "2026-11-27 02:40:44", "hmendes", ["ops@wingtiptoys.test"], [], [],
         "Urgent: pump replacement", {}),
    ]
    for label, when, snd, to, cc, bcc, subj, ex in specs:
        m = outbound(label, when, snd, to, cc=cc, bcc=bcc, subject=subj,
                     kind=ex.get("kind", "plain"), received=ex.get("received", True),
                     final_newline=ex.get("final_newline", True),
                     subject_raw=ex.get("subject_raw"), quoted=ex.get("quoted", False))
        add(m)

    # the NDR (null sender) for an inbound message A received for an unknown user
    ndr_in_t = U("2026-11-26 01:10:02")
    ndr_in_sid = spool_id("A-NDR-ORIG")
    ndr_orig_mtsid = mts_in("EXA1", ndr_in_t, ndr_in_sid)
    t_out = U("2026-11-26 01:11:30")
    t_sub = sec(t_out, -49)
    ndr = Msg(label="S11", sid=spool_id("S11"), server="EXB2", server_fqdn=SERVERS["EXB2"]["fqdn"],
              t_out=t_out, t_submit=t_sub, sender_alias=None, mail_from="",
              from_hdr=f"System Administrator <postmaster@{SITE_DOMAIN}>",
              to=["k.olsen@example.net"], cc=[], bcc=[], to_hdr=["k.olsen@example.net"], cc_hdr=[],
              subject="Undeliverable: Quote request for 400 units", subject_raw=None, kind="ndr",
              received=True, final_newline=True, mts_id=None, message_id=None,
              features=[], attachment=None, rcpts=["k.olsen@example.net"], body_lines=[],
              ndr_orig_rcpt=f"mwhite@{SITE_DOMAIN}", ndr_orig_subject="Quote request for 400 units",
              ndr_orig_sent=sec(ndr_in_t, -31), ndr_orig_mtsid=ndr_orig_mtsid,
              ndr_orig_in_sid=ndr_in_sid, ndr_orig_in_t=ndr_in_t,
              ndr_orig_headers=[
                  f"Received: from smtp.example.net ([198.51.100.77]) by exa1.{SITE_DOMAIN} with SMTP "
                  f"(Microsoft Exchange Internet Mail Service Version {IMS_VERSION})",
                  f"\tid {ndr_in_sid}; {rfc2822(ndr_in_t)}",
                  "Message-ID: <5F3A.0091.20261126010931@example.net>",
                  "From: \"Kari Olsen\" <k.olsen@example.net>",
                  f"To: mwhite@{SITE_DOMAIN}",
                  "Subject: Quote request for 400 units",
                  f"Date: {rfc2822(sec(ndr_in_t, -31), UTC, '+0000')}"])
    add(ndr, "null-sender", "ndr")

    feat = {
        "S01": ["expired", "no-route"], "S02": ["expired", "attempt-451"],
        "S03": ["expired", "attempt-499"], "S04": ["expired", "bcc"],
        "D1": ["delivered-still-queued"], "E5": ["archived-only"],
        "S05": ["folded-subject-q275504"], "S07": ["no-received-line"],
        "S08": ["multi-domain"], "S09": ["lone-dot-line"],
        "S10": ["multi-domain", "no-route"], "S12": ["bcc", "multi-domain"],
        "S13": ["not-in-queue-dat"], "S15": ["rfc2047-iso-8859-1-q", "rfc2047-utf-8-b", "quoted-printable-body"],
        "TR": ["damaged-truncated", "archive-copy-intact"], "S16": ["multipart-attachment"],
        "S18": ["duplicate-across-servers"], "S19": ["bcc"], "Z0": ["damaged-zero-length"],
        "S21": ["rfc2047-utf-8-q"], "S22": ["no-received-line"], "JK": ["damaged-junk"],
        "S23": ["no-final-newline"], "S28": ["bcc", "multi-domain", "internal-cc-not-in-envelope"],
        "S29": ["no-received-line"], "S33": ["from-line-in-body"], "S35": ["no-route"],
        "S36": ["not-in-queue-dat"], "MISS1": ["missing"], "MISS2": ["missing"],
    }
    for k, v in feat.items():
        M[k].features += v
    for k in ("S03", "S05"):
        M[k].features.append("internal-cc-not-in-envelope")
    assign_mts(list(M.values()), "EXB2", 1200)
    return M


# --------------------------------------------------------------------------
# scenario: server A (EXA1)
# --------------------------------------------------------------------------


def ws_ip(sender, label):
    net = "198.51.100" if dom(sender).startswith("example.") else "203.0.113"
    return f"{net}.{hint(label + ':wsip', 130, 199)}"


def inbound(label, when, sender, rcpt, subject, helo, client_ip, date_zone=("+0000", UTC)):
    t_in = U(when)
    sid = spool_id(label)
    mtsid = mts_in("EXA1", t_in, sid)
    sent = sec(t_in, -hint(label + ":lag", 5, 40))
    mid = "<%s.%d@%s>" % (sent.strftime("%Y%m%d%H%M%S"), hint(label + ":mid", 1000, 99999), helo)
    name = EXTERNAL_NAMES.get(sender)
    frm = f'"{name}" <{sender}>' if name else sender
    rname = INTERNAL[rcpt.split("@")[0]][0]
    h = [f"Received: from {helo} ([{client_ip}]) by exa1.{SITE_DOMAIN} with SMTP "
         f"(Microsoft Exchange Internet Mail Service Version {IMS_VERSION})",
         f"\tid {sid}; {rfc2822(t_in)}",
         f"Received: from ws{hint(label + ':ws', 10, 99)}.{dom(sender)} ([{ws_ip(sender, label)}])",
         f"\tby {helo} with ESMTP id {hint(label + ':qid', 100000, 999999)}",
         f"\tfor <{rcpt}>; {rfc2822(sent, date_zone[1], date_zone[0])}",
         f"Message-ID: {mid}",
         f"Date: {rfc2822(sent, date_zone[1], date_zone[0])}",
         f"From: {frm}",
         f"To: {rname} <{rcpt}>",
         f"Subject: {subject}",
         "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=us-ascii",
         "Content-Transfer-Encoding: 7bit"]
    body = ["Hi " + rname.split()[0] + ",", "",
            "Just checking in on this - we have not heard back yet.",
            "Could you have a look today?", "", "Thanks,", (name or sender).split()[0]]
    rfc = (CRLF.join(h) + CRLF + CRLF + CRLF.join(body) + CRLF).encode("latin-1")
    m = Msg(label=label, sid=sid, server="EXA1", t_in=t_in, t_out=t_in, mail_from=sender,
            rcpts=[rcpt], to=[rcpt], cc=[], bcc=[], helo=helo, client=client_ip, mts_id=mtsid,
            message_id=mid, subject=subject, rfc822=rfc, features=["inbound"], sent=sent)
    return m


def build_a(B):
    M = {}
    for label, when, snd, to, subj, extra in [
        ("A1", "2026-11-26 15:12:40", "kmorris", ["akim@northwindtraders.test"], "Quarterly review slides", {}),
        ("A2", "2026-11-26 18:30:10", "lnguyen", ["rsingh@example.com"], "Re: Q4 pricing update", {}),
        ("A3", "2026-11-26 22:05:06", "mokafor", ["dlopez@tailspintoys.test"], "Inventory reconciliation", {}),
        ("A4", "2026-11-27 06:44:20", "kmorris", ["mkowalski@example.net"], "NDA countersigned", {}),
        ("A5", "2026-11-27 11:15:32", "lnguyen", ["ops@wingtiptoys.test"], "Service ticket 771", {}),
        ("A6", "2026-11-27 13:40:00", "mokafor", ["events@example.org"], "Catering order", {}),
        ("AO1", "2026-11-27 15:02:30", "kmorris", ["orders@example.com"], "Order 88301", {}),
        ("AO2", "2026-11-27 15:03:50", "lnguyen", ["billing@tailspintoys.test"], "Remittance advice (resent)", {}),
    ]:
        m = outbound(label, when, snd, to, subject=subj, server="EXA1")
        m.features.append("pending" if label.startswith("AO") else "delivered-and-gone")
        M[label] = m
    assign_mts(list(M.values()), "EXA1", 4100)

    # the administrator's replay of B's S18 through A's Pickup (duplicate across servers)
    s18 = B["S18"]
    t_pick = U("2026-11-27 09:20:44")
    sid = spool_id("DUPA")
    mtsid = mts_in("EXA1", t_pick, sid)
    orig = s18.rfc822
    rfc = (f"Received: by exa1.{SITE_DOMAIN} with Internet Mail Service ({IMS_VERSION}){CRLF}"
           f"\tid <{sid}>; {rfc2822(t_pick)}{CRLF}").encode("latin-1") + orig
    M["DUPA"] = Msg(label="DUPA", sid=sid, server="EXA1", t_out=t_pick, t_submit=t_pick,
                    mail_from=s18.mail_from, rcpts=list(s18.rcpts), to=list(s18.to), cc=[], bcc=[],
                    mts_id=mtsid, message_id=s18.message_id, subject=s18.subject, rfc822=rfc,
                    features=["duplicate-across-servers", "replayed-via-pickup", "delivered-and-gone"],
                    helo=f"exa1.{SITE_DOMAIN}", client=f"exa1.{SITE_DOMAIN}", attachment=None,
                    final_newline=True, received=True)

    for label, when, snd, rcpt, subj, helo, ip in [
        ("AIA1", "2026-11-26 01:10:02", "k.olsen@example.net", None, "Quote request for 400 units",
         "smtp.example.net", "198.51.100.77"),
        ("AIA2", "2026-11-26 16:20:30", "tom.baker@example.org", addr("eruiz"), "Booth confirmation?",
         "mx.example.org", "198.51.100.30"),
        ("AIA3", "2026-11-27 08:05:14", "mkowalski@example.net", addr("bcarter"), "Contract draft v3?",
         "smtp.example.net", "198.51.100.77"),
        ("AIA4", "2026-11-27 12:31:50", "sara.cole@wingtiptoys.test", addr("jwright"), "Site visit",
         "mx.wingtiptoys.test", "198.51.100.25"),
        ("AI1", "2026-11-27 14:58:12", "rsingh@example.com", addr("bcarter"), "Re: Q4 pricing update",
         "mx1.example.com", "198.51.100.10"),
        ("AI2", "2026-11-27 15:01:40", "akim@northwindtraders.test", addr("atanaka"), "Where is PO 4471?",
         "smtp.northwindtraders.test", "203.0.113.25"),
        ("AI3", "2026-11-27 15:03:58", "dlopez@tailspintoys.test", addr("eruiz"),
         "Invoice 2026-1187 still unpaid?", "mx.tailspintoys.test", "203.0.113.35"),
    ]:
        if label == "AIA1":
            # the inbound message to an unknown user that produced B's NDR S11
            n = B["S11"]
            t_in = n.ndr_orig_in_t
            sid = n.ndr_orig_in_sid
            _used_ids.add(sid)
            sent = n.ndr_orig_sent
            h = n.ndr_orig_headers[:2] + [
                "Received: from ws21.example.net ([198.51.100.141])",
                f"\tby smtp.example.net with ESMTP id 553201",
                f"\tfor <mwhite@{SITE_DOMAIN}>; {rfc2822(sent, UTC, '+0000')}"] + n.ndr_orig_headers[2:] + [
                "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
                "Content-Transfer-Encoding: 7bit"]
            body = ["Hello,", "", "Please send us a quote for 400 units of item 7731.", "",
                    "Kind regards,", "Kari Olsen"]
            rfc = (CRLF.join(h) + CRLF + CRLF + CRLF.join(body) + CRLF).encode("latin-1")
            m = Msg(label=label, sid=sid, server="EXA1", t_in=t_in, t_out=t_in, mail_from=snd,
                    rcpts=[f"mwhite@{SITE_DOMAIN}"], to=[f"mwhite@{SITE_DOMAIN}"], cc=[], bcc=[],
                    helo=helo, client=ip, mts_id=n.ndr_orig_mtsid,
                    message_id="<5F3A.0091.20261126010931@example.net>", subject=subj, rfc822=rfc,
                    features=["inbound", "unknown-recipient", "caused-ndr-S11"], sent=sent)
        else:
            m = inbound(label, when, snd, rcpt, subj, helo, ip)
        M[label] = m
    return M


# --------------------------------------------------------------------------
# text artifacts
# --------------------------------------------------------------------------

GW_COMMON_HEAD = [
    "EX,/O=CONTOSO/OU=BRANCH;,1,Site Connector (BRANCH),",
    "MS,CONTOSO/PO1;,1,MS Mail Connector (EXA1),",
]
GW_COMMON_TAIL = ["X400,c=US;a= ;p=CONTOSO;o=BRANCH;,1,Site Connector (BRANCH),"]


def gwart1():
    return GW_COMMON_HEAD + [
        "SMTP,*;,1,Internet Mail Connector (EXB2),",
        "SMTP,*;,2,Internet Mail Connector (EXA1),",
    ] + GW_COMMON_TAIL


def gwart0():
    return GW_COMMON_HEAD + [f"SMTP,*@{d};,1,Internet Mail Connector (EXA1)," for d in ROUTED_DOMAINS] \
        + GW_COMMON_TAIL


def text(lines):
    return (CRLF.join(lines) + CRLF).encode("latin-1")


def route_txt(server, written, table_modified, routes):
    lines = ["Internet Mail Service routing information",
             f"Server: {server}",
             f"Written: {plog_ts(written)}",
             f"Routing table last modified: {plog_ts(table_modified)}",
             "",
             "Connected sites:",
             "  (none)",
             "",
             "Address spaces:",
             "  Type  Cost  Address space"]
    for typ, cost, space in routes:
        lines.append(f"  {typ:<4}  {cost:>4}  {space}")
    return text(lines)


def regedit4_b():
    return text([
        "REGEDIT4",
        "",
        r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\MSExchangeIMC\Parameters]",
        r'"RootDir"="C:\\exchsrvr\\imcdata"',
        '"RouteCalculationInterval"=dword:0000000f',
        '"OutboundSizeLimit"=dword:00a00000',
        '"InboundSizeLimit"=dword:00000000',
        f'"SiteDomain"="{SITE_DOMAIN}"',
        '"DiskSpaceLowWaterMark"=dword:00a00000',
        '"DisableResolverSearchList"=dword:00000001',
        '"DisableReverseResolve"=dword:00000000',
        '"SMTPWorkerThreads"=dword:00000004',
        '"ResolverThreads"=dword:00000002',
        '"DestinationDomainThreshold"=dword:00000064',
        '"EnableTTL"=dword:00000001',
        r'"TurfDir"="C:\\Turfdir"',
        "",
    ])


def regedit5_a():
    s = CRLF.join([
        "Windows Registry Editor Version 5.00",
        "",
        r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\MSExchangeIMC\Parameters]",
        r'"RootDir"="D:\\exchsrvr\\imcdata"',
        '"RouteCalculationInterval"=dword:0000000f',
        '"OutboundSizeLimit"=dword:00a00000',
        '"InboundSizeLimit"=dword:00a00000',
        f'"SiteDomain"="{SITE_DOMAIN}"',
        '"DiskSpaceLowWaterMark"=dword:00a00000',
        '"DisableResolverSearchList"=dword:00000001',
        '"SMTPWorkerThreads"=dword:00000008',
        '"ResolverThreads"=dword:00000004',
        r'"TurfDir"="D:\\exchsrvr\\imcdata\\Turfdir"',
        "",
        "",
    ])
    return b"\xff\xfe" + s.encode("utf-16-le")


def routes_ini_b():
    return text(["[Routes]", "DeliveryRouting=+", "+WINGTIPTOYS.TEST;198.51.100.25;0", "DefaultRouting="])


def domain_ini_b():
    return text(["[Header]", "Version=1", "", "[Domain]", "DomainInformation=+",
                 "+Default,ISO-8859-1,ISO-8859-1,800,76,0,0,0",
                 "+tailspintoys.test,ISO-8859-1,ISO-8859-1,802,76,2,0,0"])


def readme_txt(server, role, backup, extra):
    return text([
        "SYNTHETIC SAMPLE - NOT REAL DATA",
        "=================================",
        "",
        f"Backup of {server} ({role}), Exchange Server 5.5 Internet Mail Service,",
        f"taken {plog_ts(backup)} server local time (UTC-05:00) = {iso(backup)}.",
        "",
        "This archive was produced by samples/make-samples.py in the imcq source tree",
        "to reproduce the Microsoft KB Q268494 incident (mail stuck in the Internet",
        "Mail Service 'outbound messages awaiting delivery' queue after a stale",
        "routing table). Every name, address and message in it is invented:",
        "domains are reserved example/test domains (RFC 2606), IP addresses are",
        "RFC 5737 documentation addresses, and 'Contoso' is a fictitious company.",
        "",
        "The binary layouts of the spool-file envelope (ImCr ... EwLs) and of",
        "Queue.dat in this archive are the generator's own invention; the real",
        "Exchange layouts are undocumented. Do not use this sample to learn them.",
        "",
    ] + extra)


# --------------------------------------------------------------------------
# zip writer
# --------------------------------------------------------------------------


def ut_extra(t):
    return struct.pack("<HHBI", 0x5455, 5, 1, int(t.timestamp()))


def dos_tuple(t):
    lt = t.astimezone(LOCAL)
    assert lt.second % 2 == 0, f"odd second for DOS time: {t}"
    return (lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second)


def make_zip(members):
    """members: list of (name, data|None for directory, mtime). Order is kept."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, t in members:
            t = even(t)
            zi = zipfile.ZipInfo(name, date_time=dos_tuple(t))
            zi.create_system = 0          # MS-DOS / Windows
            zi.create_version = 20
            zi.extract_version = 20
            zi.extra = ut_extra(t)
            if data is None:
                zi.external_attr = 0x10   # FILE_ATTRIBUTE_DIRECTORY
                zi.compress_type = zipfile.ZIP_STORED
                zf.writestr(zi, b"")
            else:
                zi.external_attr = 0x20   # FILE_ATTRIBUTE_ARCHIVE
                zi.compress_type = zipfile.ZIP_DEFLATED if data else zipfile.ZIP_STORED
                zf.writestr(zi, data, compresslevel=9)
    return buf.getvalue()


def member_sort_key(item):
    name = item[0]
    if name.upper() == "README.TXT":
        return (0, "")
    if "\\" not in name:
        return (1, name.upper())
    return (2, name.upper())


# --------------------------------------------------------------------------
# build everything
# --------------------------------------------------------------------------


def generate():
    _used_ids.clear()
    B = build_b()

    # ---------------- server B files
    for m in B.values():
        m.rfc822 = build_rfc822(m)
        m.env = envelope(False, m.server_fqdn, m.server, m.mail_from, m.mts_id, m.t_out, m.rcpts)
        m.spool = m.env + m.rfc822
    A = build_a(B)
    for m in A.values():
        if getattr(m, "rfc822", None) is None:
            m.rfc822 = build_rfc822(m)
        inbound_ = "inbound" in m.features
        helo = getattr(m, "helo", SERVERS["EXA1"]["fqdn"]) if (inbound_ or m.label == "DUPA") else SERVERS["EXA1"]["fqdn"]
        client = getattr(m, "client", "EXA1") if (inbound_ or m.label == "DUPA") else "EXA1"
        m.env = envelope(inbound_, helo, client, m.mail_from, m.mts_id, m.t_out, m.rcpts)
        m.spool = m.env + m.rfc822

    pre = "EXCHSRVR\\IMCDATA\\"
    bm = []   # (name, data, mtime, kind)

    out_ids, arch_ids = [], []
    b_out_labels = [k for k in B if k not in ("E1", "E2", "E3", "E4", "E5", "MISS1", "MISS2")]
    damaged = {}
    for k in b_out_labels:
        m = B[k]
        data = m.spool
        if k == "TR":
            cut = m.env.index(b"<orders@")
            data = m.env[:cut + 9]           # ends inside the only recipient string
            damaged[m.sid] = {"reason": "truncated",
                              "detail": f"{len(data)} bytes: ImCr envelope cut inside the recipient list; "
                                        "no EwLs marker, no RFC 822 text; the Out\\Archive copy is complete"}
        elif k == "Z0":
            data = b""
            damaged[m.sid] = {"reason": "zero-length", "detail": "0 bytes; no archive copy"}
        elif k == "JK":
            junk = bytearray(hbytes("junk", 1536))
            for i in range(0, len(junk), 97):
                junk[i:i + 7] = b"\x00" * 7
            data = bytes(junk)
            assert b"ImCr" not in data and b"EwLs" not in data
            damaged[m.sid] = {"reason": "not-a-message",
                              "detail": "1536 bytes of binary data, no ImCr/EwLs, no RFC 822 text; "
                                        "no archive copy"}
        m.out_data = data
        bm.append((pre + "OUT\\" + m.sid, data, m.t_out, "spool-out"))
        out_ids.append(m.sid)
        if m.t_out >= T_ARCHIVAL_ON_B and k not in ("Z0", "JK"):
            bm.append((pre + "OUT\\ARCHIVE\\" + m.sid, m.spool, m.t_out, "spool-out-archive"))
            arch_ids.append(m.sid)
    e5 = B["E5"]
    bm.append((pre + "OUT\\ARCHIVE\\" + e5.sid, e5.spool, e5.t_out, "spool-out-archive"))
    arch_ids.append(e5.sid)

    # pickup file dropped by the administrator after stopping the IMS
    t_pick = U("2026-11-27 14:52:30")
    pk_mid = f"<kbtest.{t_pick:%Y%m%d%H%M%S}@exb2.{SITE_DOMAIN}>"
    pk_subject = "Test after routing recalculation (Q268494 step 6)"
    pk_rcpts = ["postmaster@example.com", "rsingh@example.com"]
    pickup = text([
        f"X-Sender: administrator@{SITE_DOMAIN}",
        "X-Receiver: postmaster@example.com",
        "X-Receiver: rsingh@example.com",
        f"From: Administrator <administrator@{SITE_DOMAIN}>",
        "To: postmaster@example.com, \"Raj Singh\" <rsingh@example.com>",
        f"Subject: {pk_subject}",
        f"Date: {rfc2822(t_pick)}",
        f"Message-ID: {pk_mid}",
        "",
        "Test message. Please reply if you receive it.",
        "",
        "Administrator",
    ])
    bm.append((pre + "PICKUP\\testmsg.eml", pickup, t_pick, "pickup"))

    # Queue.dat (B): OUTBOUND only; most Out files, 2 missing, 2 omitted
    omitted = {B["S13"].sid, B["S36"].sid}
    q_entries = []
    queue_labels = [k for k in b_out_labels if B[k].sid not in omitted] + ["MISS1", "MISS2"]
    queue_labels.sort(key=lambda k: (B[k].t_out, k))
    for k in queue_labels:
        m = B[k]
        doms = []
        for r in m.rcpts:
            if dom(r) not in doms:
                doms.append(dom(r))
        for d in doms:
            retries, status, reply, nxt = 0, 0, 0, sec(m.t_out, 15 * 60)
            if k == "S03":
                retries, status, reply, nxt = 1, 1, 499, U("2026-11-25 17:50:14")
            if k == "S02":
                retries, status, reply, nxt = 1, 1, 451, U("2026-11-26 10:15:02")
            if k == "D1":
                status = 2
            q_entries.append({"queue": Q_OUTBOUND, "sid": m.sid,
                              "utf16": hint("u16:" + m.sid, 0, 2) == 0,
                              "queued": m.t_out, "next_retry": nxt, "expiry": m.t_out + TIMEOUT,
                              "retries": retries, "status": status, "last_reply": reply,
                              "domain": d, "rcpts": [r for r in m.rcpts if dom(r) == d]})
    qdat_b, qrefs_b = queue_dat("B", T_IMS_STOP_B, q_entries, 9)
    bm.append((pre + "QUEUE.DAT", qdat_b, T_IMS_STOP_B, "queue-dat"))
    expect = set(e["sid"] for e in q_entries)
    assert scan_ids(qdat_b) == expect, (scan_ids(qdat_b) ^ expect)
    assert scan_ids(qdat_b, rb"(?<![0-9A-Za-z])[0-9A-Za-z]{8}(?![0-9A-Za-z])") == expect

    # routing text
    bm.append(("EXCHSRVR\\MTADATA\\GWART0.MTA", text(gwart0()), T_GWART0_B, "gwart"))
    bm.append(("EXCHSRVR\\MTADATA\\GWART1.MTA", text(gwart1()), T_GWART1_B, "gwart"))
    bm.append((pre + "LOG\\ROUTE.TXT",
               route_txt("EXB2", T_ROUTE_TXT_B, T_GWART1_B, [("SMTP", 1, "*")]),
               T_ROUTE_TXT_B, "route-txt"))
    bm.append((pre + "LOG\\ROUTE.OLD",
               route_txt("EXB2", T_ROUTE_OLD_B, U("2026-11-10 09:02:06"),
                         [("SMTP", 1, "*"), ("SMTP", 1, "*@adatum.test")]),
               T_ROUTE_OLD_B, "route-txt"))

    # protocol logs (B)
    plogs_b = []

    def plog(name, L, info):
        bm.append((pre + "LOG\\" + name, L.data(), even(L.t), "protocol-log"))
        info.update({"member": pre + "LOG\\" + name, "first_line_local": L.lines[0].split(" : ")[0],
                     "arrows": L.arrows})
        plogs_b.append(info)

    t = U("2026-11-25 03:10:04")
    plog("L0000000.LOG", smtp_session("EXB2", "example.com", t, [B["E1"]]),
         {"start_utc": iso(t), "domain": "example.com", "result": "delivered", "spool_ids": [B["E1"].sid]})
    t = U("2026-11-25 08:40:10")
    plog("L0000001.LOG", smtp_session("EXB2", "northwindtraders.test", t, [B["E2"]], arrows=True),
         {"start_utc": iso(t), "domain": "northwindtraders.test", "result": "delivered",
          "spool_ids": [B["E2"].sid]})
    t = U("2026-11-25 12:05:20")
    plog("L0000002.LOG", smtp_session("EXB2", "wingtiptoys.test", t, [B["E3"], B["E4"]]),
         {"start_utc": iso(t), "domain": "wingtiptoys.test", "result": "delivered",
          "spool_ids": [B["E3"].sid, B["E4"].sid]})
    t = U("2026-11-25 16:02:36")
    plog("L0000003.LOG", smtp_session("EXB2", "example.org", t, [B["D1"], B["E5"]]),
         {"start_utc": iso(t), "domain": "example.org", "result": "delivered",
          "spool_ids": [B["D1"].sid, B["E5"].sid]})
    # 499: connection dropped during DATA (Q228725)
    t = U("2026-11-25 17:20:14")
    m = B["S03"]
    host, ip, _k = MX["northwindtraders.test"]
    L = PLog(t)
    L.note(f"A connection to {ip} was established.")
    L.recv(banner("northwindtraders.test", t))
    L.send(f"EHLO {SERVERS['EXB2']['fqdn']}")
    L.recv(f"250-{host} Hello [{SERVERS['EXB2']['ip']}]")
    L.recv("250 SIZE 10485760")
    L.send(f"MAIL FROM:<{m.mail_from}>", 1)
    L.recv("250 2.1.0 Sender OK")
    L.send("RCPT TO:<purchasing@northwindtraders.test>")
    L.recv("250 2.1.5 Recipient OK")
    L.send("DATA")
    L.recv('354 Start mail input; end with <CRLF>.<CRLF>', 1, echo=True)
    L.note(f'499 No routing hosts are reachable for northwindtraders.test. Message subject: ""{m.subject}"". '
           "Rescheduling delivery for later.", 21)
    plog("L0000004.LOG", L, {"start_utc": iso(t), "domain": "northwindtraders.test",
                             "result": "499-rescheduled", "spool_ids": [m.sid]})
    # 451: remote cannot resolve the sender's domain (DNS)
    t = U("2026-11-26 09:45:02")
    m = B["S02"]
    host, ip, _k = MX["lucernepublishing.test"]
    L = PLog(t)
    L.note(f"A connection to {ip} was established.")
    L.recv(banner("lucernepublishing.test", t))
    L.send(f"EHLO {SERVERS['EXB2']['fqdn']}")
    L.recv(f"250-{host} Hello {SERVERS['EXB2']['fqdn']} [{SERVERS['EXB2']['ip']}], pleased to meet you")
    L.recv("250 SIZE 10485760")
    L.send(f"MAIL FROM:<{m.mail_from}>", 1)
    L.recv(f"451 4.1.8 Domain of sender address {m.mail_from} does not resolve", 3)
    L.send("QUIT")
    L.recv(f"221 2.0.0 {host} closing connection")
    L.note(f"451 4.1.8 Domain of sender address {m.mail_from} does not resolve. "
           f'Message subject: ""{m.subject}"". Rescheduling delivery for later.')
    plog("L0000005.LOG", L, {"start_utc": iso(t), "domain": "lucernepublishing.test",
                             "result": "451-rescheduled", "spool_ids": [m.sid]})

    # tracking (B)
    trk = Tracking()
    for k, m in B.items():
        if k in ("MISS2", "S11"):
            continue
        length = len(m.rfc822)
        trk.add(m.t_submit, m.mts_id.upper(), 4, "", mdb_dn("EXB2", True), "",
                user_dn(m.sender_alias, True), length, m.to + m.cc + m.bcc, meta={"sid": m.sid})
        trk.add(sec(m.t_submit, 3), m.mts_id.upper(), 7, "", ims_dn("EXB2", True), "",
                user_dn(m.sender_alias, True), length, m.rcpts, meta={"sid": m.sid})
    for k, m in B.items():
        if k == "MISS2":
            continue
        doms = []
        for r in m.rcpts:
            if dom(r) not in doms:
                doms.append(dom(r))
        orig = user_dn(m.sender_alias) if m.sender_alias else f"/o={ORG}/ou={SITE}/cn=Configuration/cn=Servers/cn=EXB2/cn=Microsoft MTA"
        subj_id = m.ndr_orig_mtsid if k == "S11" else ""
        for d in doms:
            rc = [r for r in m.rcpts if dom(r) == d]
            trk.add(m.t_out, m.mts_id, 1010, ims_dn("EXB2"), d, f"{m.message_id}[{m.sid}]", orig,
                    len(m.rfc822), rc, subject_id=subj_id, meta={"sid": m.sid})
    delivered_at = {"E1": U("2026-11-25 03:10:12"), "E2": U("2026-11-25 08:40:20"),
                    "E3": U("2026-11-25 12:05:30"), "E4": U("2026-11-25 12:05:34"),
                    "D1": U("2026-11-25 16:02:46"), "E5": U("2026-11-25 16:02:50")}
    for k, t in delivered_at.items():
        m = B[k]
        d = dom(m.rcpts[0])
        trk.add(t, m.mts_id, 1011, ims_dn("EXB2"), MX[d][0], f"{m.message_id}[{m.sid}]",
                user_dn(m.sender_alias), len(m.rfc822), m.rcpts, meta={"sid": m.sid})
    trk_b = trk.files("EXCHSRVR\\TRACKING.LOG\\",
                      {"20261125": "tab", "20261126": "continuation", "20261127": "tab"}, padded=True)
    for name, (data, mt, _info) in trk_b.items():
        bm.append((name, data, mt, "tracking-log"))

    # configuration
    bm.append(("Imcsvc.reg", regedit4_b(), U("2026-11-27 14:59:40"), "registry-export"))
    bm.append(("routes.ini", routes_ini_b(), U("2026-11-27 14:58:10"), "imccopy-routes"))
    bm.append(("domain.ini", domain_ini_b(), U("2026-11-27 14:58:12"), "imccopy-domain"))
    bm.append(("README.TXT", readme_txt("EXB2", "IMS outbound only", T_BACKUP_B, [
        "Contents: EXCHSRVR\\IMCDATA (In, Out, Out\\Archive, Pickup, Work, Log,",
        "Queue.dat), EXCHSRVR\\MTADATA\\GWART*.MTA, EXCHSRVR\\TRACKING.LOG,",
        "Imcsvc.reg (REGEDIT4 export of MSExchangeIMC\\Parameters), and the",
        "IMCCOPY -save routes / -save domain outputs routes.ini and domain.ini.",
        "The IMS was stopped at " + iso(T_IMS_STOP_B) + " before the copy (KB Q268494 step 1).",
        "",
    ]), T_BACKUP_B, "readme"))
    for d, t in [("IN\\", U("2026-11-18 10:12:44")), ("IN\\ARCHIVE\\", U("2026-11-18 10:12:44")),
                 ("WORK\\", U("2026-11-18 10:12:44")), ("PICKUP\\ARCHIVE\\", U("2026-11-18 10:12:46"))]:
        bm.append((pre + d, None, t, "directory"))

    # ---------------- server A files
    preA = "Exchsrvr\\Imcdata\\"
    am = []
    a_out = ["AO1", "AO2"]
    a_out_arch = ["A1", "A2", "A3", "A4", "DUPA", "A5", "A6", "AO1", "AO2"]
    a_in = ["AI1", "AI2", "AI3"]
    # the In\Archive copy is made after submission to the store (DOMAIN.md 2.2),
    # so the three messages still awaiting conversion have none yet
    a_in_arch = ["AIA1", "AIA2", "AIA3", "AIA4"]
    for k in a_out:
        am.append((preA + "Out\\" + A[k].sid, A[k].spool, A[k].t_out, "spool-out"))
    for k in a_out_arch:
        am.append((preA + "Out\\Archive\\" + A[k].sid, A[k].spool, A[k].t_out, "spool-out-archive"))
    for k in a_in:
        am.append((preA + "In\\" + A[k].sid, A[k].spool, A[k].t_in, "spool-in"))
    for k in a_in_arch:
        am.append((preA + "In\\Archive\\" + A[k].sid, A[k].spool, A[k].t_in, "spool-in-archive"))

    qa = []
    for k in a_in:
        m = A[k]
        qa.append({"queue": Q_INBOUND, "sid": m.sid, "utf16": k == "AI2", "queued": m.t_in,
                   "next_retry": m.t_in, "expiry": m.t_in + TIMEOUT, "retries": 0, "status": 0,
                   "last_reply": 0, "domain": SITE_DOMAIN, "rcpts": m.rcpts})
    for k in a_out:
        m = A[k]
        qa.append({"queue": Q_OUTBOUND, "sid": m.sid, "utf16": k == "AO2", "queued": m.t_out,
                   "next_retry": m.t_out, "expiry": m.t_out + TIMEOUT, "retries": 0, "status": 0,
                   "last_reply": 0, "domain": dom(m.rcpts[0]), "rcpts": m.rcpts})
    qdat_a, qrefs_a = queue_dat("A", T_IMS_STOP_A, qa, 3)
    assert scan_ids(qdat_a) == set(e["sid"] for e in qa)
    assert scan_ids(qdat_a, rb"(?<![0-9A-Za-z])[0-9A-Za-z]{8}(?![0-9A-Za-z])") == set(e["sid"] for e in qa)
    am.append((preA + "Queue.dat", qdat_a, T_IMS_STOP_A, "queue-dat"))
    am.append(("Exchsrvr\\Mtadata\\GWART0.MTA", text(gwart0()), T_GWART0_A, "gwart"))
    am.append(("Exchsrvr\\Mtadata\\GWART1.MTA", text(gwart1()), T_GWART1_A, "gwart"))
    am.append((preA + "Log\\Route.txt",
               route_txt("EXA1", T_ROUTE_TXT_A, T_GWART0_A, [("SMTP", 1, f"*@{d}") for d in ROUTED_DOMAINS]),
               T_ROUTE_TXT_A, "route-txt"))
    am.append((preA + "Log\\Route.old",
               route_txt("EXA1", T_ROUTE_OLD_A, T_GWART1_A, [("SMTP", 2, "*")]),
               T_ROUTE_OLD_A, "route-txt"))

    plogs_a = []
    a_sessions = [("A1", "northwindtraders.test", "2026-11-26 15:13:02", {}),
                  ("A2", "example.com", "2026-11-26 18:30:30", {}),
                  ("A3", "tailspintoys.test", "2026-11-26 22:05:24", {"helo_fallback": True}),
                  ("A4", "example.net", "2026-11-27 06:44:40", {}),
                  ("DUPA", "example.net", "2026-11-27 09:21:00", {}),
                  ("A5", "wingtiptoys.test", "2026-11-27 11:15:50", {}),
                  ("A6", "example.org", "2026-11-27 13:40:18", {})]
    a_delivered = {}
    for i, (k, d, ts, kw) in enumerate(a_sessions):
        t = U(ts)
        L = smtp_session("EXA1", d, t, [A[k]], **kw)
        name = preA + "Log\\L%07d.LOG" % i
        am.append((name, L.data(), even(L.t), "protocol-log"))
        a_delivered[k] = sec(L.t, -1)
        plogs_a.append({"member": name, "start_utc": iso(t), "domain": d, "result": "delivered",
                        "spool_ids": [A[k].sid], "arrows": False,
                        "first_line_local": L.lines[0].split(" : ")[0]})

    trka = Tracking()
    for k in ["A1", "A2", "A3", "A4", "A5", "A6", "AO1", "AO2"]:
        m = A[k]
        trka.add(m.t_submit, m.mts_id.upper(), 4, "", mdb_dn("EXA1", True), "",
                 user_dn(m.sender_alias, True), len(m.rfc822), m.to, meta={"sid": m.sid})
        trka.add(sec(m.t_submit, 2), m.mts_id.upper(), 7, "", ims_dn("EXA1", True), "",
                 user_dn(m.sender_alias, True), len(m.rfc822), m.rcpts, meta={"sid": m.sid})
    for k in ["A1", "A2", "A3", "A4", "DUPA", "A5", "A6", "AO1", "AO2"]:
        m = A[k]
        orig = user_dn(m.sender_alias) if k != "DUPA" else m.mail_from
        trka.add(m.t_out, m.mts_id, 1010, ims_dn("EXA1"), dom(m.rcpts[0]), f"{m.message_id}[{m.sid}]",
                 orig, len(m.rfc822), m.rcpts, meta={"sid": m.sid})
        if k in a_delivered:
            trka.add(a_delivered[k], m.mts_id, 1011, ims_dn("EXA1"), MX[dom(m.rcpts[0])][0],
                     f"{m.message_id}[{m.sid}]", orig, len(m.rfc822), m.rcpts, meta={"sid": m.sid})
    for k in ["AIA1", "AIA2", "AIA3", "AIA4", "AI1", "AI2", "AI3"]:
        m = A[k]
        trka.add(m.t_in, m.mts_id, 1012, ims_dn("EXA1"), m.helo, f"{m.message_id}[{m.sid}]",
                 m.mail_from, len(m.rfc822), m.rcpts, meta={"sid": m.sid})
        if k.startswith("AIA"):
            trka.add(sec(m.t_in, 6), m.mts_id, 1013, ims_dn("EXA1"), mdb_dn("EXA1"),
                     f"{m.message_id}[{m.sid}]", m.mail_from, len(m.rfc822), m.rcpts, meta={"sid": m.sid})
    trk_a = trka.files("Exchsrvr\\Tracking.log\\", {"20261126": "continuation", "20261127": "tab"},
                       padded=False)
    for name, (data, mt, _info) in trk_a.items():
        am.append((name, data, mt, "tracking-log"))
    am.append(("MSExchangeIMC.reg", regedit5_a(), U("2026-11-27 15:05:10"), "registry-export"))
    am.append(("README.TXT", readme_txt("EXA1", "IMS inbound and outbound", T_BACKUP_A, [
        "Contents: Exchsrvr\\Imcdata (In, In\\Archive, Out, Out\\Archive, Pickup, Work,",
        "Log, Queue.dat), Exchsrvr\\Mtadata\\GWART*.MTA, Exchsrvr\\Tracking.log, and",
        "MSExchangeIMC.reg (UTF-16LE Windows Registry Editor 5.00 export).",
        "The IMS was stopped at " + iso(T_IMS_STOP_A) + " before the copy.",
        "",
    ]), T_BACKUP_A, "readme"))
    for d, t in [("Pickup\\", U("2026-11-27 09:20:46")), ("Pickup\\Archive\\", U("2026-11-17 08:01:12")),
                 ("Work\\", U("2026-11-27 15:03:58"))]:
        am.append((preA + d, None, t, "directory"))

    bm.sort(key=member_sort_key)
    am.sort(key=member_sort_key)
    zip_b = make_zip([(n, d, t) for n, d, t, _k in bm])
    zip_a = make_zip([(n, d, t) for n, d, t, _k in am])

    facts = build_facts(A, B, bm, am, damaged, qrefs_a, qrefs_b, plogs_a, plogs_b, trk, trka,
                        trk_b, trk_a, omitted, pickup, pk_mid, pk_subject, pk_rcpts, t_pick,
                        out_ids, arch_ids, a_delivered)
    self_check(A, B, facts)
    fj = (json.dumps(facts, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
    return zip_a, zip_b, fj


# --------------------------------------------------------------------------
# facts
# --------------------------------------------------------------------------


def decoded_subject(rfc):
    msg = BytesParser(policy=policy.default).parsebytes(rfc, headersonly=True)
    s = msg["Subject"]
    return str(s) if s is not None else None


def msg_facts(m, ref_time, locations, tracking_summary, extra=None):
    inbound_ = "inbound" in m.features
    f = {
        "label": m.label,
        "spool_id": m.sid,
        "locations": locations,
        "envelope": {
            "mail_from": m.mail_from,
            "rcpt_to": list(m.rcpts),
            "helo": None, "client_host": None,
            "mts_id": m.mts_id,
            "time": iso(m.t_out),
        },
        "bcc": [r for r in m.rcpts if r not in m.to and r not in m.cc],
        "headers": {
            "message_id": m.message_id,
            "subject": m.subject,
            "to": list(m.to),
            "cc": list(m.cc),
        },
        "features": sorted(set(m.features)),
        "tracking": tracking_summary.get(m.sid, []),
    }
    if hasattr(m, "env"):
        pe = parse_envelope(m.env)
        f["envelope"]["helo"] = pe["helo"]
        f["envelope"]["client_host"] = pe["client"]
        f["envelope"]["direction"] = "inbound" if inbound_ else "outbound"
    if getattr(m, "rfc822", None) is not None:
        f["rfc822_size"] = len(m.rfc822)
        f["rfc822_sha256"] = sha256(m.rfc822)
        f["final_newline"] = m.rfc822.endswith(b"\r\n")
        f["line_endings"] = "CRLF"
        hdrs = BytesParser(policy=policy.compat32).parsebytes(m.rfc822, headersonly=True)
        f["headers"]["date_utc"] = iso(email.utils.parsedate_to_datetime(hdrs["Date"]))
        f["received_id"] = None
        mm = re.search(rb"^Received: (?:by|from) [^\r\n]*(?:\r\n\t[^\r\n]*)*?\bid <?([0-9A-Z]{8})>?;",
                       m.rfc822, re.M)
        if mm:
            f["received_id"] = mm.group(1).decode()
    if getattr(m, "attachment", None):
        f["attachment"] = m.attachment
    age = ref_time - m.t_out
    f["age_seconds"] = int(age.total_seconds())
    f["older_than_48h"] = age > TIMEOUT
    if extra:
        f.update(extra)
    return f


def build_facts(A, B, bm, am, damaged, qrefs_a, qrefs_b, plogs_a, plogs_b, trk, trka, trk_b, trk_a,
                omitted, pickup, pk_mid, pk_subject, pk_rcpts, t_pick, out_ids, arch_ids, a_delivered):
    ref_b, ref_a = T_BACKUP_B, T_BACKUP_A
    tb = trk.summary()
    ta = trka.summary()
    sid = {k: m.sid for k, m in B.items()}
    sida = {k: m.sid for k, m in A.items()}
    qb_ids = sorted(set(r["spool_id"] for r in qrefs_b))
    missing = sorted([sid["MISS1"], sid["MISS2"]])
    dmg_ids = set(damaged)
    readable_out = [s for s in out_ids if s not in dmg_ids]
    delivered_still = [sid["D1"]]
    stuck = sorted(s for s in readable_out if s not in delivered_still)
    by_sid = {m.sid: m for m in B.values()}
    expired = sorted(s for s in stuck if ref_b - by_sid[s].t_out > TIMEOUT)
    awaiting = sorted(s for s in stuck if s not in expired)
    older_than_change = sorted(s for s in out_ids if by_sid[s].t_out < T_GWART0_B)

    def state_b(k):
        m = B[k]
        if k in ("MISS1", "MISS2"):
            return "missing"
        if m.sid in dmg_ids:
            return "damaged"
        if k == "D1":
            return "delivered"
        if k == "E5":
            return "archived"
        if k in ("E1", "E2", "E3", "E4"):
            return "delivered-and-gone"
        return "expired" if ref_b - m.t_out > TIMEOUT else "awaiting-delivery"

    msgs_b = {}
    log_only_b = {}
    for k, m in sorted(B.items(), key=lambda kv: kv[1].sid):
        loc = []
        if m.sid in out_ids:
            loc.append("out")
        if m.sid in arch_ids:
            loc.append("out-archive")
        extra = {"state": state_b(k)}
        if m.sid in dmg_ids:
            extra["damaged"] = damaged[m.sid]
        if m.sid in qb_ids:
            extra["queue_dat_domains"] = sorted(set(r["domain"] for r in qrefs_b if r["spool_id"] == m.sid))
        extra["in_queue_dat"] = m.sid in qb_ids
        extra["recipient_domains"] = sorted(set(dom(r) for r in m.rcpts))
        extra["no_route_recipients"] = [r for r in m.rcpts if dom(r) == NO_ROUTE_DOMAIN]
        extra["delivery_attempts"] = [
            {"member": p["member"], "start_utc": p["start_utc"], "result": p["result"]}
            for p in plogs_b if m.sid in p["spool_ids"]]
        f = msg_facts(m, ref_b, loc, tb, extra)
        if k in EVIDENCE_LIMITED:
            # no readable copy of this message exists on EXB2: report only what
            # the other evidence (Queue.dat, tracking, protocol logs) holds
            known = EVIDENCE_LIMITED[k]
            f["known_from"] = known
            f["scenario_truth"] = {"mail_from": m.mail_from, "to": m.to, "cc": m.cc, "bcc": m.bcc,
                                   "subject": m.subject,
                                   "note": "generator truth, not recoverable from the evidence"}
            f["envelope"] = {"mail_from": m.mail_from if "protocol-log" in known else None,
                             "rcpt_to": list(m.rcpts), "helo": None, "client_host": None,
                             "mts_id": m.mts_id if "tracking-log" in known else None,
                             "time": iso(m.t_out)}
            f["headers"] = {"message_id": m.message_id if "tracking-log" in known else None,
                            "subject": None, "to": [], "cc": []}
            f["bcc"] = []
            for key in ("rfc822_size", "rfc822_sha256", "final_newline", "line_endings",
                        "received_id", "attachment"):
                f.pop(key, None)
        if k == "TR":
            f["note"] = ("the Out file is truncated; envelope, headers and subject are those of "
                         "the intact Out\\Archive copy")
        if k == "S18":
            f["duplicates"] = [{"server": "EXA1", "queue": "out-archive", "spool_id": sida["DUPA"],
                                "member": "Exchsrvr\\Imcdata\\Out\\Archive\\" + sida["DUPA"],
                                "message_id": m.message_id, "delivered_by_exa1": iso(a_delivered["DUPA"])}]
        if k in ("E1", "E2", "E3", "E4"):
            f.pop("state")
            log_only_b[m.sid] = f
        else:
            msgs_b[m.sid] = f

    members_b = [{"name": n, "kind": kd, "size": (len(d) if d is not None else 0),
                  "sha256": (sha256(d) if d is not None else None),
                  "mtime_utc": iso(even(t)), "zip_dos_time_local": "%04d-%02d-%02d %02d:%02d:%02d" % dos_tuple(even(t))}
                 for n, d, t, kd in bm]
    members_a = [{"name": n, "kind": kd, "size": (len(d) if d is not None else 0),
                  "sha256": (sha256(d) if d is not None else None),
                  "mtime_utc": iso(even(t)), "zip_dos_time_local": "%04d-%02d-%02d %02d:%02d:%02d" % dos_tuple(even(t))}
                 for n, d, t, kd in am]

    def route_for(d, table):
        if table == 0:
            return "Internet Mail Connector (EXA1)" if d in ROUTED_DOMAINS else None
        return "Internet Mail Connector (EXB2)"

    b_domains = sorted(set(dom(r) for m in B.values() for r in m.rcpts))
    facts_b = {
        "server": "EXB2",
        "role": "IMS outbound only (transfer mode Outbound Only); the broken server",
        "zip": "samples/q268494/serverB-imcdata.zip",
        "fqdn": SERVERS["EXB2"]["fqdn"],
        "ip": SERVERS["EXB2"]["ip"],
        "backup_time": iso(T_BACKUP_B),
        "reference_time": iso(ref_b),
        "ims_stopped": iso(T_IMS_STOP_B),
        "message_archival_on_since": iso(T_ARCHIVAL_ON_B),
        "root_dir_registry": "C:\\exchsrvr\\imcdata",
        "registry_export": {"member": "Imcsvc.reg", "format": "REGEDIT4 (ANSI, CRLF)",
                            "key": "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters",
                            "values": {"RootDir": "C:\\exchsrvr\\imcdata", "RouteCalculationInterval": 15,
                                       "OutboundSizeLimit": 0xA00000, "InboundSizeLimit": 0,
                                       "SiteDomain": SITE_DOMAIN, "DiskSpaceLowWaterMark": 0xA00000,
                                       "DisableResolverSearchList": 1, "DisableReverseResolve": 0,
                                       "SMTPWorkerThreads": 4, "ResolverThreads": 2,
                                       "DestinationDomainThreshold": 100, "EnableTTL": 1,
                                       "TurfDir": "C:\\Turfdir"}},
        "imccopy": {"routes.ini": {"delivery_routing": [{"domain": "WINGTIPTOYS.TEST", "host": "198.51.100.25",
                                                         "flag": 0}], "default_routing": ""},
                    "domain.ini": [
                        {"domain": "Default", "mime_charset": "ISO-8859-1", "non_mime_charset": "ISO-8859-1",
                         "format": 800, "wrap": 76, "rich_text": 0, "unused": 0, "size_limit": 0},
                        {"domain": "tailspintoys.test", "mime_charset": "ISO-8859-1",
                         "non_mime_charset": "ISO-8859-1", "format": 802, "wrap": 76, "rich_text": 2,
                         "unused": 0, "size_limit": 0}]},
        "spool_ids": {
            "out": sorted(out_ids),
            "in": [],
            "out_archive": sorted(arch_ids),
            "in_archive": [],
            "pickup": ["testmsg.eml"],
            "pickup_archive": [],
            "work": [],
        },
        "stuck": stuck,
        "awaiting_delivery": awaiting,
        "expired": expired,
        "missing": missing,
        "not_in_queue_dat": sorted(omitted),
        "damaged": damaged,
        "delivered_still_queued": delivered_still,
        "delivered_and_gone": sorted(sid[k] for k in ("E1", "E2", "E3", "E4", "E5")),
        "archived_only": [sid["E5"]],
        "duplicates": [{"spool_id": sid["S18"], "message_id": B["S18"].message_id,
                        "reason": "same Message-ID on EXA1 (Out\\Archive), delivered there",
                        "also_at": [{"server": "EXA1", "spool_id": sida["DUPA"],
                                     "member": "Exchsrvr\\Imcdata\\Out\\Archive\\" + sida["DUPA"]}]},
                       {"spool_id": sid["D1"], "message_id": B["D1"].message_id,
                        "reason": "delivered per tracking 1011 and protocol log, still in Out",
                        "also_at": []}],
        "bcc_messages": sorted(m.sid for m in B.values()
                               if [r for r in m.rcpts if r not in m.to and r not in m.cc]
                               and m.label not in ("MISS1", "MISS2", "Z0", "JK")),
        "older_than_routing_change": older_than_change,
        "routing": {
            "no_route_domain": NO_ROUTE_DOMAIN,
            "no_route_spool_ids": sorted(m.sid for k, m in B.items()
                                         if any(dom(r) == NO_ROUTE_DOMAIN for r in m.rcpts)
                                         and k in b_out_keys(B)),
            "routing_change_time": iso(T_GWART0_B),
            "gwart0_mtime": iso(T_GWART0_B),
            "gwart1_mtime": iso(T_GWART1_B),
            "route_txt_mtime": iso(T_ROUTE_TXT_B),
            "route_old_mtime": iso(T_ROUTE_OLD_B),
            "stale": True,
            "why_stale": "Route.txt (" + iso(T_ROUTE_TXT_B) + ") is older than GWART0.MTA (" +
                         iso(T_GWART0_B) + "): the IMS never re-read the recalculated table; "
                         "GWART0 routes the stuck domains through EXA1, GWART1 through EXB2",
            "gwart0_lines": gwart0(),
            "gwart1_lines": gwart1(),
            "current_route_by_domain": {d: route_for(d, 0) for d in b_domains},
            "previous_route_by_domain": {d: route_for(d, 1) for d in b_domains},
            "route_txt_address_spaces": ["SMTP:*"],
        },
        "queue_dat": {
            "member": "EXCHSRVR\\IMCDATA\\QUEUE.DAT",
            "mtime_utc": iso(T_IMS_STOP_B),
            "layout": "invented by the generator (see samples/README.md); real layout undocumented",
            "spool_ids": qb_ids,
            "ascii": sorted(set(r["spool_id"] for r in qrefs_b if r["encoding"] == "ascii")),
            "utf16le": sorted(set(r["spool_id"] for r in qrefs_b if r["encoding"] == "utf-16le")),
            "records": qrefs_b,
            "inbound_records": 0,
        },
        "protocol_logs": plogs_b,
        "last_smtp_session_utc": max(p["start_utc"] for p in plogs_b),
        "smtp_sessions_after_routing_change": sum(1 for p in plogs_b if p["start_utc"] > iso(T_GWART0_B)),
        "tracking_logs": [{"member": n, **info} for n, (_d, _t, info) in trk_b.items()],
        "tracking_notes": "events 4 and 7 carry the MTS-ID and originator DN in upper case, as in the "
                          "Q153188 sample; 1010/1011 in mixed case. Remote-ID = <Message-ID>[SPOOLID].",
        "pickup": [{"name": "testmsg.eml", "member": "EXCHSRVR\\IMCDATA\\PICKUP\\testmsg.eml",
                    "x_sender": f"administrator@{SITE_DOMAIN}", "x_receivers": pk_rcpts,
                    "subject": pk_subject, "message_id": pk_mid, "mtime_utc": iso(t_pick),
                    "size": len(pickup), "sha256": sha256(pickup)}],
        "messages": msgs_b,
        "log_only_messages": log_only_b,
        "members": members_b,
    }

    def state_a(k):
        if k in ("AO1", "AO2"):
            return "awaiting-delivery"
        if k in ("AI1", "AI2", "AI3"):
            return "awaiting-conversion"
        return "archived"

    msgs_a = {}
    for k, m in sorted(A.items(), key=lambda kv: kv[1].sid):
        loc = []
        if k in ("AO1", "AO2"):
            loc.append("out")
        if k in ("A1", "A2", "A3", "A4", "DUPA", "A5", "A6", "AO1", "AO2"):
            loc.append("out-archive")
        if k in ("AI1", "AI2", "AI3"):
            loc.append("in")
        if k.startswith("AIA"):
            loc.append("in-archive")
        extra = {"state": state_a(k)}
        extra["in_queue_dat"] = k in ("AO1", "AO2", "AI1", "AI2", "AI3")
        if k in a_delivered:
            extra["delivered_utc"] = iso(a_delivered[k])
        if k == "DUPA":
            extra["duplicate_of"] = {"server": "EXB2", "spool_id": sid["S18"],
                                     "member": "EXCHSRVR\\IMCDATA\\OUT\\" + sid["S18"]}
        msgs_a[m.sid] = msg_facts(m, ref_a, loc, ta, extra)
    facts_a = {
        "server": "EXA1",
        "role": "IMS inbound and outbound; healthy",
        "zip": "samples/q268494/serverA-imcdata.zip",
        "fqdn": SERVERS["EXA1"]["fqdn"],
        "ip": SERVERS["EXA1"]["ip"],
        "backup_time": iso(T_BACKUP_A),
        "reference_time": iso(ref_a),
        "ims_stopped": iso(T_IMS_STOP_A),
        "root_dir_registry": "D:\\exchsrvr\\imcdata",
        "registry_export": {"member": "MSExchangeIMC.reg",
                            "format": "Windows Registry Editor Version 5.00 (UTF-16LE with BOM, CRLF)",
                            "key": "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters",
                            "values": {"RootDir": "D:\\exchsrvr\\imcdata", "RouteCalculationInterval": 15,
                                       "OutboundSizeLimit": 0xA00000, "InboundSizeLimit": 0xA00000,
                                       "SiteDomain": SITE_DOMAIN, "DiskSpaceLowWaterMark": 0xA00000,
                                       "DisableResolverSearchList": 1, "SMTPWorkerThreads": 8,
                                       "ResolverThreads": 4, "TurfDir": "D:\\exchsrvr\\imcdata\\Turfdir"}},
        "spool_ids": {
            "out": sorted(sida[k] for k in ("AO1", "AO2")),
            "in": sorted(sida[k] for k in ("AI1", "AI2", "AI3")),
            "out_archive": sorted(sida[k] for k in ("A1", "A2", "A3", "A4", "DUPA", "A5", "A6", "AO1", "AO2")),
            "in_archive": sorted(sida[k] for k in ("AIA1", "AIA2", "AIA3", "AIA4")),
            "pickup": [],
            "pickup_archive": [],
            "work": [],
        },
        "stuck": [],
        "awaiting_delivery": sorted(sida[k] for k in ("AO1", "AO2")),
        "awaiting_conversion": sorted(sida[k] for k in ("AI1", "AI2", "AI3")),
        "expired": [],
        "missing": [],
        "not_in_queue_dat": [],
        "damaged": {},
        "delivered_still_queued": [],
        "delivered_and_gone": sorted(sida[k] for k in ("A1", "A2", "A3", "A4", "DUPA", "A5", "A6")),
        "duplicates": [{"spool_id": sida["DUPA"], "message_id": A["DUPA"].message_id,
                        "reason": "administrator replayed EXB2's queued message through EXA1's Pickup",
                        "also_at": [{"server": "EXB2", "spool_id": sid["S18"],
                                     "member": "EXCHSRVR\\IMCDATA\\OUT\\" + sid["S18"]},
                                    {"server": "EXB2", "spool_id": sid["S18"],
                                     "member": "EXCHSRVR\\IMCDATA\\OUT\\ARCHIVE\\" + sid["S18"]}]}],
        "routing": {
            "no_route_domain": None,
            "routing_change_time": iso(T_GWART0_A),
            "gwart0_mtime": iso(T_GWART0_A),
            "gwart1_mtime": iso(T_GWART1_A),
            "route_txt_mtime": iso(T_ROUTE_TXT_A),
            "route_old_mtime": iso(T_ROUTE_OLD_A),
            "stale": False,
            "route_txt_address_spaces": [f"SMTP:*@{d}" for d in ROUTED_DOMAINS],
        },
        "queue_dat": {
            "member": "Exchsrvr\\Imcdata\\Queue.dat",
            "mtime_utc": iso(T_IMS_STOP_A),
            "layout": "invented by the generator (see samples/README.md)",
            "spool_ids": sorted(set(r["spool_id"] for r in qrefs_a)),
            "ascii": sorted(set(r["spool_id"] for r in qrefs_a if r["encoding"] == "ascii")),
            "utf16le": sorted(set(r["spool_id"] for r in qrefs_a if r["encoding"] == "utf-16le")),
            "records": qrefs_a,
        },
        "protocol_logs": plogs_a,
        "tracking_logs": [{"member": n, **info} for n, (_d, _t, info) in trk_a.items()],
        "messages": msgs_a,
        "members": members_a,
    }
    return {
        "schema": "imcq.samples.facts/1",
        "synthetic": True,
        "generator": "samples/make-samples.py",
        "incident": "Microsoft KB Q268494: mail stuck in the IMS 'outbound messages awaiting delivery' "
                    "queue of an outbound-only second IMS after a stale routing table",
        "conventions": {
            "times": "ISO 8601 UTC",
            "server_local_time": "UTC-05:00 on both servers (protocol logs, Date headers, zip DOS times)",
            "zip_times": "DOS date/time fields hold server local time (2-second resolution); each member "
                         "also carries an Info-ZIP extended-timestamp extra field (0x5455) with the UTC mtime",
            "addresses": "without angle brackets; the null reverse path is the empty string",
            "timeout": "48 h (IMS default for normal priority); expired = Out file older than 48 h at reference_time",
            "reference_time": "the newest member mtime of the server's zip (its README.TXT, written at backup time)",
            "stuck": "Out files holding a readable message that is not known to be delivered "
                     "(awaiting_delivery + expired)",
            "missing": "spool ids referenced by Queue.dat with no file in any folder of that server "
                       "(one of them also has a tracking 1010 without 1011); spool ids that only the "
                       "logs mention and that have a 1011 for every recipient are delivered_and_gone "
                       "(log_only_messages), not missing",
            "no_route": "evaluated for outbound envelope recipients against the current GWART0.MTA; "
                        "inbound recipients (contoso.example.com) are local and are not routed by the GWART",
            "state_precedence": "damaged > delivered > expired > awaiting-delivery",
        },
        "organisation": {"org": ORG, "site": SITE, "smtp_domain": SITE_DOMAIN,
                         "connectors": {"EXA1": "Internet Mail Connector (EXA1)",
                                        "EXB2": "Internet Mail Connector (EXB2)"}},
        "servers": {"EXA1": facts_a, "EXB2": facts_b},
    }


EVIDENCE_LIMITED = {
    "E1": ["tracking-log", "protocol-log"], "E2": ["tracking-log", "protocol-log"],
    "E3": ["tracking-log", "protocol-log"], "E4": ["tracking-log", "protocol-log"],
    "MISS1": ["queue-dat", "tracking-log"], "MISS2": ["queue-dat"],
    "Z0": ["queue-dat", "tracking-log"], "JK": ["queue-dat", "tracking-log"],
}


def b_out_keys(B):
    return [k for k in B if k not in ("E1", "E2", "E3", "E4", "E5", "MISS1", "MISS2")]


# --------------------------------------------------------------------------
# self checks
# --------------------------------------------------------------------------


def self_check(A, B, facts):
    for m in list(B.values()) + list(A.values()):
        pe = parse_envelope(m.spool)
        assert pe["rcpts"] == [f"<{r}>" for r in m.rcpts]
        assert pe["from"] == f"<{m.mail_from}>"
        assert pe["mtsid"] == m.mts_id
        assert pe["filetime"] == filetime(m.t_out)
        rfc = m.spool[pe["body_offset"]:]
        assert rfc == m.rfc822
        msg = BytesParser(policy=policy.default).parsebytes(rfc)
        assert msg["Message-ID"].strip() == m.message_id, (m.label, msg["Message-ID"])
        assert decoded_subject(rfc) == m.subject, (m.label, decoded_subject(rfc), m.subject)
        assert b"\n" not in rfc.replace(b"\r\n", b""), m.label
    assert B["S23"].rfc822[-2:] != b"\r\n"
    lines = B["S05"].rfc822.split(b"\r\n")
    i = next(n for n, l in enumerate(lines) if l.startswith(b"Subject: "))
    assert len(lines[i]) <= 65 and lines[i + 1].startswith(b" ")
    j = i + 1
    while lines[j].startswith(b" "):
        assert len(lines[j]) <= 73
        j += 1
    assert j - i >= 3, "S05 subject must fold over several lines"
    fb = facts["servers"]["EXB2"]
    assert len(fb["spool_ids"]["out"]) == 40, len(fb["spool_ids"]["out"])
    assert len(fb["not_in_queue_dat"]) == 2 and len(fb["missing"]) == 2
    # exactly one unroutable recipient domain among outbound envelopes
    doms = set()
    for srv in facts["servers"].values():
        for m in srv["messages"].values():
            if m["envelope"].get("direction") == "inbound":
                continue
            doms |= set(dom(r) for r in m["envelope"]["rcpt_to"])
    doms.add("example.com")  # pickup recipients
    assert doms - set(ROUTED_DOMAINS) == {NO_ROUTE_DOMAIN}, doms
    for srv in facts["servers"].values():
        newest = max(mem["mtime_utc"] for mem in srv["members"])
        assert newest == srv["reference_time"], (srv["server"], newest)
    return True


def plog_lines_ok(data):
    plog_re = re.compile(r"^\d{1,2}/\d{1,2}/\d\d \d{1,2}:\d\d:\d\d [AP]M : ")
    return all(plog_re.match(l) for l in data.decode().split("\r\n") if l)


# --------------------------------------------------------------------------


def zip_signature(z):
    with zipfile.ZipFile(io.BytesIO(z)) as zf:
        return [(zi.filename, zi.date_time, zi.external_attr, zi.create_system, zi.create_version,
                 zi.extract_version, zi.extra, zi.compress_type, zi.CRC, zi.file_size,
                 sha256(zf.read(zi))) for zi in zf.infolist()]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.join(here, "q268494")
    r1 = generate()
    r2 = generate()
    assert r1 == r2, "generator is not deterministic"
    zip_a, zip_b, fj = r1
    for z in (zip_a, zip_b):
        with zipfile.ZipFile(io.BytesIO(z)) as zf:
            assert zf.testzip() is None
            for zi in zf.infolist():
                if zi.filename.upper().endswith(".LOG") and "\\LOG\\" in zi.filename.upper():
                    assert plog_lines_ok(zf.read(zi)), zi.filename
    total = len(zip_a) + len(zip_b)
    assert total < 1_000_000, total
    outputs = (("serverA-imcdata.zip", zip_a), ("serverB-imcdata.zip", zip_b), ("facts.json", fj))
    if "--check" in argv:
        bad = []
        for name, data in outputs:
            p = os.path.join(outdir, name)
            try:
                with open(p, "rb") as f:
                    disk = f.read()
            except OSError as e:
                bad.append(f"{name}: {e.strerror}")
                continue
            same = disk == data if not name.endswith(".zip") else \
                zip_signature(disk) == zip_signature(data)
            if not same:
                bad.append(f"{name}: differs from a fresh build")
        if bad:
            for b in bad:
                print(f"make-samples: {b}", file=sys.stderr)
            print("make-samples: run python3 samples/make-samples.py and commit the result",
                  file=sys.stderr)
            return 1
        print(f"ok: deterministic and up to date (serverA {len(zip_a)} bytes, serverB {len(zip_b)} bytes)")
        return 0
    os.makedirs(outdir, exist_ok=True)
    for name, data in outputs:
        p = os.path.join(outdir, name)
        with open(p, "wb") as f:
            f.write(data)
        print(f"wrote {os.path.relpath(p, os.path.dirname(here))} ({len(data)} bytes, "
              f"sha256 {sha256(data)[:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
