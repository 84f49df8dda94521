#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Invariants over generated trees of random shape (PRODUCT.md "Nothing
# lost"): a fixed-seed generator writes folders nested at random, the
# Exchsrvr layout in random letter case, spool files (some damaged: cut in
# the envelope, no EwLs, zero bytes, garbage), pickup files and junk, and
# packs parts of the tree into zip (with '\' or '/' separators), tar,
# tar.gz and archives nested in archives.  For every tree:
#   - every message-bearing file written yields exactly one message record
#     whose source is that file (damaged or not), and nothing else does;
#   - every member written appears in the inventory (names compared after
#     turning '\' into '/'), archives included, and nothing more;
#   - the report parses, and a second run gives the same bytes.
. "$(dirname "$0")/lib.sh"
need python3

for seed in 1 2 3 4 5 6 7 8 9 10; do
	root=$TMP/tree$seed
	python3 - "$root" "$seed" > "$TMP/expect$seed.json" <<'PY' || { fail "generator, seed $seed"; continue; }
import io, json, os, random, sys, tarfile, zipfile
root, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
T = (2026, 11, 26, 12, 0, 0)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
used = set()

def spool_id():
    while True:
        s = "".join(rnd.choice(ALNUM) for _ in range(8))
        if s not in used:
            used.add(s)
            return s

def casing(w):
    return rnd.choice([w, w.upper(), w.lower(), w.capitalize(),
                       "".join(c.upper() if rnd.random() < .5 else c.lower() for c in w)])

def addr():
    return "%s@%s.example" % ("".join(rnd.choice("abcdefgh") for _ in range(5)), rnd.choice(["com", "net", "org"]))

def rfc822(sid):
    return ("From: %s\r\nTo: %s\r\nSubject: test %s\r\nMessage-ID: <%s@gen>\r\n"
            "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody %s\r\n" % (addr(), addr(), sid, sid, sid)).encode()

def good_spool(sid):
    env = b"\xf7ImCr\x01\x00\x00\x00mail.example.net\x00client.example.net\x00<" + addr().encode() + b">\x00"
    env += b"c=US;a= ;p=Gen;l=GEN-261126100000Z-1\x00"
    env += b"".join(b"<" + addr().encode() + b">\x00" for _ in range(rnd.randint(1, 4)))
    return env + b"EwLs" + rfc822(sid)

def damaged_spool(sid):
    g = good_spool(sid)
    kind = rnd.choice(["cut-envelope", "no-ewls", "zero", "garbage", "cut-body"])
    if kind == "cut-envelope":
        return g[:rnd.randint(6, g.index(b"EwLs"))]
    if kind == "no-ewls":
        return g.replace(b"EwLs", b"EwXs")
    if kind == "zero":
        return b""
    if kind == "garbage":
        return bytes(rnd.randint(1, 31) for _ in range(rnd.randint(1, 300)))
    return g[:g.index(b"EwLs") + 4 + rnd.randint(0, 20)]

def pickup():
    return ("X-Sender: %s\r\nX-Receiver: %s\r\n" % (addr(), addr())).encode() + rfc822("pickup")

# A tree is a list of (path components, bytes, is_message); places are
# chosen so that a damaged spool file is still named and placed as one
# (damaged spool files are recognised by name and folder only).
QUEUES = [["Out"], ["In"], ["Out", "Archive"], ["In", "Archive"], ["Work"]]

def server_files():
    files = []
    prefix = [casing(rnd.choice(["backup", "Server%d" % rnd.randint(1, 9), "D", "img"]))
              for _ in range(rnd.randint(0, 3))]
    ex = [casing("Exchsrvr"), casing("Imcdata")]
    for _ in range(rnd.randint(3, 12)):
        q = [casing(c) for c in rnd.choice(QUEUES)]
        sid = spool_id()
        if rnd.random() < .3:
            files.append((prefix + ex + q + [sid], damaged_spool(sid), True))
        else:
            files.append((prefix + ex + q + [sid], good_spool(sid), True))
    for _ in range(rnd.randint(0, 3)):
        q = [casing("Pickup")] + ([casing("Archive")] if rnd.random() < .3 else [])
        files.append((prefix + ex + q + ["p%d.eml" % rnd.randint(0, 10**6)], pickup(), True))
    # a good spool file in the wrong place is still a message (content wins)
    if rnd.random() < .5:
        sid = spool_id()
        files.append((prefix + [casing("stray"), sid], good_spool(sid), True))
    for _ in range(rnd.randint(1, 5)):
        where = prefix + ex + rnd.choice([[], [casing("Log")], [casing("Out")], [casing("misc")]])
        name = rnd.choice(["README.TXT", "notes.txt", "desktop.ini", "x.bin", "Thumbs.db"])
        data = rnd.choice([b"hello\r\n", bytes(rnd.randint(0, 255) for _ in range(64)), b"",
                           b"just some words, no header\n"])
        files.append((where + ["%d-%s" % (rnd.randint(0, 10**6), name)], data, False))
    return files

members = []	# inventory member names (separator '/')
messages = []	# member names of message-bearing files

def pack(files, kind, depth=0):
    """Pack files into an archive; returns (bytes, member names inside, message members inside)."""
    sep = rnd.choice(["/", "\\"]) if kind == "zip" else "/"
    inv, msgs = [], []
    b = io.BytesIO()
    if kind == "zip":
        z = zipfile.ZipFile(b, "w", rnd.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    else:
        z = tarfile.open(fileobj=b, mode="w:gz" if kind == "tar.gz" else "w", format=tarfile.GNU_FORMAT)
    entries = [(sep.join(p), d, m) for p, d, m in files]
    if depth < 2 and len(files) > 3 and rnd.random() < .4:
        # move some of the files into an archive inside this one
        k = rnd.randint(1, len(entries) - 1)
        inner_kind = rnd.choice(["zip", "tar", "tar.gz"])
        inner_files = files[:k]
        data, i_inv, i_msgs = pack(inner_files, inner_kind, depth + 1)
        name = "inner%d.%s" % (rnd.randint(0, 999), inner_kind)
        entries = entries[k:] + [(name, data, False)]
        inv += [name] + [name + "!/" + n for n in i_inv]
        msgs += [name + "!/" + n for n in i_msgs]
    for name, data, m in entries:
        if kind == "zip":
            zi = zipfile.ZipInfo(name, T)
            zi.create_system = 0
            z.writestr(zi, data)
        else:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1795694400
            z.addfile(ti, io.BytesIO(data))
        if not name.startswith("inner"):
            inv.append(name)
            if m:
                msgs.append(name)
    z.close()
    return b.getvalue(), inv, msgs

for s in range(rnd.randint(1, 4)):
    files = server_files()
    how = rnd.choice(["dir", "dir", "zip", "tar", "tar.gz"])
    if how == "dir":
        for p, d, m in files:
            path = os.path.join(root, "s%d" % s, *p)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(d)
            rel = "/".join(["s%d" % s] + p)
            members.append(rel)
            if m:
                messages.append(rel)
    else:
        data, inv, msgs = pack(files, how)
        name = "s%d/backup%d.%s" % (s, s, how)
        os.makedirs(os.path.join(root, "s%d" % s), exist_ok=True)
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        members.append(name)
        members += [name + "!/" + n for n in inv]
        messages += [name + "!/" + n for n in msgs]
json.dump({"members": sorted(members), "messages": sorted(messages)}, sys.stdout)
PY
	"$IMCQ" analyze -q --json --progress never "$root" > "$TMP/got$seed.json"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { fail "seed $seed: exit $rc"; continue; }
	"$IMCQ" analyze -q --json --progress never "$root" > "$TMP/again$seed.json"
	cmp -s "$TMP/got$seed.json" "$TMP/again$seed.json" || fail "seed $seed: two runs differ"
	if python3 - "$TMP/expect$seed.json" "$TMP/got$seed.json" "$seed" <<'PY'
import collections, json, sys
want = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2], encoding="utf-8"))
seed = sys.argv[3]
norm = lambda s: s.replace("\\", "/")
want = {k: sorted(norm(m) for m in v) for k, v in want.items()}
errs = []
inv = sorted(norm(v["member"]) for v in d["inventory"])
if inv != want["members"]:
    a, b = set(want["members"]), set(inv)
    errs.append("inventory: %d members, %d written; missing %s; extra %s" % (
        len(inv), len(want["members"]), sorted(a - b)[:5], sorted(b - a)[:5]))
got = collections.Counter(norm(m["sources"][0]["member"]) for m in d["messages"])
exp = collections.Counter(want["messages"])
if got != exp:
    errs.append("messages: %d records for %d message files; missing %s; extra or repeated %s" % (
        sum(got.values()), sum(exp.values()), sorted((exp - got).elements())[:5],
        sorted((got - exp).elements())[:5]))
for e in errs:
    print("seed %s: %s" % (seed, e))
if not errs:
    print("ok: seed %s: %d members, %d message records (%d damaged)" % (
        seed, len(inv), len(d["messages"]), sum(m["state"] == "damaged" for m in d["messages"])))
sys.exit(1 if errs else 0)
PY
	then :; else fail "seed $seed: invariants"; fi
done
finish
