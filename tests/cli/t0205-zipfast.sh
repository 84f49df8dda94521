#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# zipfast (issue #9): a zip's small members are inflated with libdeflate
# beside libarchive's walk, following the archive's own index; and a zip
# whose index is plain is walked by that index alone (round 12), with
# libarchive reading only the members zipfast does not inflate and, from
# a local header that disagrees with its record, the rest.  Whatever
# the zip -- stored or deflated, zip64, data descriptors, long local extra
# fields, an index out of order, a stub before the archive, a bad CRC, a
# cut stream, a wrong size in the index, an index other than the one
# libarchive reads -- every output must be the same
# bytes as libarchive alone gives (IMCQ_ZIPFAST=off), and the fast path
# must be taken where the zip is plain and left where it is not.
. "$(dirname "$0")/lib.sh"
need python3
make_tree "$TMP/tree"

python3 - "$TMP/tree" "$TMP" <<'PY'
import os, struct, sys, zlib
root, out = sys.argv[1], sys.argv[2]
files = []
for dp, dn, fn in sorted(os.walk(root)):
    for f in sorted(fn):
        p = os.path.join(dp, f)
        files.append((os.path.relpath(p, root).replace("/", "\\"), open(p, "rb").read()))
# a member large enough for several of libarchive's pieces
files.append(("EXCHSRVR\\IMCDATA\\LOG\\notes.txt", b"".join(b"line %d of a long text\r\n" % i for i in range(40000))))

DOS_TIME, DOS_DATE = (12 << 11), ((2026 - 1980) << 9) | (11 << 5) | 26
DATE_T = (2026, 11, 26, 12, 0, 0)

def write(name, method=8, zip64=False, descriptor=False, local_extra=0,
          reverse_index=False, stub=b"", bad_crc=None, cut=None, lie_size=None,
          utf8=None, classic_too=False, local_system=0, local_crc=None,
          lextra=b"", cextra=b""):
    body = bytearray(stub)
    central = []
    for i, (n, data) in enumerate(files):
        nb = n.encode()
        flags = 0
        if utf8 is not None and i == utf8:
            nb = ("EXCHSRVR\\IMCDATA\\OUT\\caf\u00e9-%d.txt" % i).encode()
            flags |= 0x800
        comp = data if method == 0 else zlib.compress(data, 6)[2:-4]
        if cut is not None and i == cut:
            comp = comp[: len(comp) // 2]
        crc = zlib.crc32(data)
        if bad_crc is not None and i == bad_crc:
            crc ^= 0x5A5A
        usize = len(data)
        if lie_size is not None and i == lie_size:
            usize += 7
        if descriptor:
            flags |= 8
        off = len(body) - (0 if stub == b"" else 0)
        lx = b""
        if zip64:
            lx += struct.pack("<HHQQ", 1, 16, usize, len(comp))
        if local_extra:
            lx += struct.pack("<HH", 0xCAFE, local_extra) + b"x" * local_extra
        lx += lextra
        lsz = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else ((0, 0) if descriptor else (len(comp), usize))
        lcrc = 0 if descriptor else crc
        if local_crc is not None and i == local_crc:
            lcrc ^= 1   # the local header disagrees with the index
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, (45 if zip64 else 20) | local_system << 8, flags, method,
                            DOS_TIME, DOS_DATE, lcrc, lsz[0], lsz[1], len(nb), len(lx)) + nb + lx
        body += comp
        if descriptor:
            body += struct.pack("<IIII", 0x08074B50, crc, len(comp), usize) if not zip64 else \
                struct.pack("<IIQQ", 0x08074B50, crc, len(comp), usize)
        cx = (struct.pack("<HHQQQ", 1, 24, usize, len(comp), off) if zip64 else b"") + cextra
        c = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 45 if zip64 else 20, flags, method,
                        DOS_TIME, DOS_DATE, crc,
                        0xFFFFFFFF if zip64 else len(comp), 0xFFFFFFFF if zip64 else usize,
                        len(nb), len(cx), 0, 0, 0, 0, 0xFFFFFFFF if zip64 else off) + nb + cx
        central.append(c)
    if reverse_index:
        central.reverse()
    cd_off = len(body)
    cd = b"".join(central)
    body += cd
    if zip64:
        z64 = len(body)
        body += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                            len(central), len(central), len(cd), cd_off)
        body += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
        if classic_too:
            # as Python's zipfile writes it past 65,535 members: the zip64
            # records, then a classic record with the true size and offset
            body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                                len(cd), cd_off, 0)
        else:
            body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                                0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                            len(cd), cd_off, 0)
    open(os.path.join(out, name), "wb").write(body)

write("plain.zip")
write("stored.zip", method=0)
write("zip64.zip", zip64=True)
write("zip64classic.zip", zip64=True, classic_too=True)
write("descriptor.zip", descriptor=True)
write("longextra.zip", local_extra=300)
write("utf8.zip", utf8=1)
write("reversed.zip", reverse_index=True)
write("stub.zip", stub=b"MZ" + b"\0" * 998)
write("badcrc.zip", bad_crc=1)
write("cut.zip", cut=1)
write("liesize.zip", lie_size=2)
write("unixlocal.zip", local_system=3)   # libarchive keeps the backslashes
write("localcrc.zip", local_crc=2)
write("localcrc0.zip", local_crc=0)    # libarchive warns at its first header
# extra fields: the time blocks set the time (the local header's, the last
# one winning); the record's are read over; a Unicode path, a cut block, a
# too-small field that is not zeros: libarchive reads those members itself
UT = lambda flags, *t: struct.pack("<HHB", 0x5455, 1 + 4 * len(t), flags) + b"".join(struct.pack("<I", x) for x in t)
write("ut.zip", lextra=UT(3, 1700000000, 1600000000) + UT(1, 1750000000), cextra=UT(1, 1111111111))
write("utshort.zip", lextra=struct.pack("<HHB", 0x5455, 3, 1) + b"ab")
write("ux.zip", lextra=struct.pack("<HHII", 0x5855, 8, 1500000000, 1650000000) + struct.pack("<HHHH", 0x7875, 4, 1, 0))
write("ntfs.zip", lextra=struct.pack("<HH", 0x000A, 32) + b"\0" * 32, cextra=struct.pack("<HH", 0x000A, 32) + b"\0" * 32)
write("upath.zip", lextra=struct.pack("<HHB", 0x7075, 5, 1) + b"abcd")
write("zero3.zip", lextra=b"\0\0\0")
write("small3.zip", lextra=b"\0\1\0")
write("overflow.zip", lextra=struct.pack("<HH", 0xCAFE, 40) + b"x" * 10)

# as Python's zipfile writes a zip: folders, names with '\\' and with '/',
# members over zipfast's 8 MiB (read by libarchive alone), an empty one
import zipfile, random
rnd = random.Random(9)
big = bytes(rnd.getrandbits(8) for _ in range(1 << 16)) * 150   # 9.4 MiB
with zipfile.ZipFile(os.path.join(out, "pyzip.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("EXCHSRVR/", DATE_T), b"")
    z.writestr(zipfile.ZipInfo("EXCHSRVR/IMCDATA/", DATE_T), b"")
    for n, data in files:
        z.writestr(zipfile.ZipInfo(n, DATE_T), data)
    z.writestr(zipfile.ZipInfo("EXCHSRVR/IMCDATA/LOG/odd\\name.txt", DATE_T), b"x\r\n")
    z.writestr(zipfile.ZipInfo("EXCHSRVR/IMCDATA/LOG/empty.txt", DATE_T), b"")
    z.writestr(zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\LOG\\big.log", DATE_T), big)
    zi = zipfile.ZipInfo("EXCHSRVR\\IMCDATA\\LOG\\bigstored.log", DATE_T)
    zi.compress_type = zipfile.ZIP_STORED
    z.writestr(zi, big[: 9 << 20])
PY

# zips whose index is not where libarchive reads it, or says two things:
# two members of one name, the one libarchive reads ("B") and one only
# another index names ("A"); the fast path must read B or nothing
python3 - "$TMP" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
DT, DD = (12 << 11), ((2026 - 1980) << 9) | (11 << 5) | 26
A, B = b"AAAA: what only another index names\r\n", b"BBBB: the member libarchive reads..\r\n"
NAME = b"EXCHSRVR/IMCDATA/PICKUP/x.eml"
def local(data, crc=None):
    c = zlib.crc32(data) if crc is None else crc
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, DT, DD, c, len(data), len(data),
                       len(NAME), 0) + NAME + data
def central(data, off, extra=b"", o32=None):
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, DT, DD, zlib.crc32(data),
                       len(data), len(data), len(NAME), len(extra), 0, 0, 0, 0,
                       off if o32 is None else o32) + NAME + extra
def eocd(cdlen, cdoff, comment=b"", ndisk=1):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, ndisk, 1, cdlen, cdoff, len(comment)) + comment
def two(b_crc=None):
    la = local(A); lb = local(B, b_crc)
    return bytearray(la + lb), 0, len(la)
# a directory offset that is not the end record minus its size: libarchive
# reads the directory at the latter, its local offsets moved to match
b, oa, ob = two(); c1 = central(A, oa)
c2 = central(B, ob - len(c1)); at = len(b)
b += c1 + c2 + eocd(len(c2), at)
open(out + "/twodirs.zip", "wb").write(b)
# end records libarchive's seekable reader refuses (entries on this disk
# not the total; beyond its last 16 KiB): it walks the local headers, and
# its first x.eml is A, which the index does not name
b, oa, ob = two(); at = len(b); c = central(B, ob)
open(out + "/ndisk.zip", "wb").write(b + c + eocd(len(c), at, ndisk=2))
open(out + "/longcomment.zip", "wb").write(b + c + eocd(len(c), at, comment=b"c" * 20000))
# two zip64 blocks: libarchive takes the offset from the first (B, whose
# bytes do not match the CRC: a warning); the second names A
b, oa, ob = two(b_crc=zlib.crc32(A)); at = len(b)
c = central(A, 0, extra=struct.pack("<HHQ", 1, 8, ob) + struct.pack("<HHQ", 1, 8, oa), o32=0xFFFFFFFF)
open(out + "/zip64twice.zip", "wb").write(b + c + eocd(len(c), at))
# a second end record in the comment, after its own directory: libarchive
# takes the last signature, whatever the first record's comment length
b, oa, ob = two(); at = len(b); c1 = central(A, oa); c2 = central(B, ob)
at2 = at + len(c1) + 22
open(out + "/commentdir.zip", "wb").write(b + c1 + eocd(len(c1), at, comment=c2 + eocd(len(c2), at2) + b"zz"))
PY

n=$(python3 -c 'import os,sys; print(sum(len(f) for _,_,f in os.walk(sys.argv[1])) + 1)' "$TMP/tree")

# fast NAME WANT [WALK]: the count of members inflated here, "all" or a
# number (checked as a lower and upper bound: "some" = at least one, not
# all); WALK: "walk" (walked by the index to its end), "doubt" (walked,
# then libarchive read on from a local header) or "nowalk" (libarchive
# walked it).  The report must be the same in the three modes: the walk
# by the index (the default), zipfast beside libarchive's walk
# (IMCQ_ZIPFAST=step), libarchive alone (IMCQ_ZIPFAST=off).
fast() {
	local z=$1 want=$2 walk=${3:-} got
	IMCQ_ZIPFAST=verbose "$IMCQ" analyze -q --json "$TMP/$z" > "$TMP/$z.fast.json" 2> "$TMP/$z.err"
	echo $? > "$TMP/$z.fast.rc"
	IMCQ_ZIPFAST=off "$IMCQ" analyze -q --json "$TMP/$z" > "$TMP/$z.off.json" 2> /dev/null
	echo $? > "$TMP/$z.off.rc"
	IMCQ_ZIPFAST=step "$IMCQ" analyze -q --json "$TMP/$z" > "$TMP/$z.step.json" 2> /dev/null
	echo $? > "$TMP/$z.step.rc"
	if cmp -s "$TMP/$z.fast.json" "$TMP/$z.off.json" && cmp -s "$TMP/$z.fast.rc" "$TMP/$z.off.rc" &&
	   cmp -s "$TMP/$z.step.json" "$TMP/$z.off.json" && cmp -s "$TMP/$z.step.rc" "$TMP/$z.off.rc"; then
		ok "$z: the same report with and without the fast path"
	else
		fail "$z: the fast path changed the report"
		diff "$TMP/$z.off.json" "$TMP/$z.fast.json" | head -20 >&2
		diff "$TMP/$z.off.json" "$TMP/$z.step.json" | head -20 >&2
	fi
	case $walk in
	walk) grep -q "members walked by the index$" "$TMP/$z.err" ||
		fail "$z: not walked by its index to the end: $(cat "$TMP/$z.err")" ;;
	doubt) grep -q "members walked by the index; libarchive read on" "$TMP/$z.err" ||
		fail "$z: not walked by its index, then libarchive: $(cat "$TMP/$z.err")" ;;
	nowalk) ! grep -q "walked by the index" "$TMP/$z.err" ||
		fail "$z: walked by its index: $(cat "$TMP/$z.err")" ;;
	esac
	# (the walk and the cursor beside libarchive's walk after it count
	# apart: their sum)
	got=$(sed -n 's/^imcq-zipfast: \([0-9]*\) of \([0-9]*\) members.*/\1/p' "$TMP/$z.err" |
	      awk '{ s += $1; n++ } END { if (n) print s }')
	case $want in
	all) [ "$got" = "$n" ] || fail "$z: $got of $n members inflated by the fast path, want all" ;;
	none) [ -z "$got" ] || [ "$got" = 0 ] || fail "$z: $got members inflated by the fast path, want none" ;;
	some) [ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" -lt "$n" ] ||
		fail "$z: ${got:-no} members inflated by the fast path, want some but not all ($n)" ;;
	*) [ "$got" = "$want" ] || fail "$z: ${got:-no} members inflated by the fast path, want $want" ;;
	esac
}

fast plain.zip all walk
fast stored.zip all walk
fast unixlocal.zip all walk
fast zip64.zip all doubt   # a local zip64 field: libarchive from the first
fast zip64classic.zip all doubt  # the zip64 record wins, as in libarchive
fast descriptor.zip all nowalk
fast longextra.zip all walk   # an extra field libarchive passes over
fast utf8.zip some nowalk   # the non-ASCII name is left to libarchive
fast reversed.zip none nowalk  # libarchive reads by offset: out of step at once
fast stub.zip none nowalk   # offsets shifted: every local header check fails
fast badcrc.zip some walk   # libarchive reads the one member (its warning)
fast cut.zip some walk      # libarchive reads the one member (its error)
fast liesize.zip some walk  # libarchive reads the one member (its warning)
fast localcrc.zip some doubt  # libarchive's header warning: libarchive from it
fast localcrc0.zip some nowalk  # the first entry warns: libarchive's reader again
fast ut.zip all walk
fast utshort.zip all walk
fast ux.zip all walk
fast ntfs.zip all walk
fast upath.zip all doubt
fast zero3.zip all walk
fast small3.zip none nowalk  # libarchive fails on its first header
fast overflow.zip none nowalk
fast twodirs.zip none nowalk  # libarchive reads another directory
fast ndisk.zip none nowalk  # libarchive walks the local headers
fast longcomment.zip none nowalk
fast zip64twice.zip none walk  # the first zip64 block names B, not A
fast commentdir.zip 1 walk  # the directory libarchive reads: B
pyfiles=$(python3 -c 'import zipfile,sys; print(sum(1 for i in zipfile.ZipFile(sys.argv[1]).infolist() if not i.is_dir() and i.file_size <= 8 << 20))' "$TMP/pyzip.zip")
fast pyzip.zip "$pyfiles" walk  # two members over 8 MiB: libarchive's
python3 - "$TMP/pyzip.zip.fast.json" <<'PY' && ok "pyzip.zip: folders, names and sizes as libarchive gives them" || fail "pyzip.zip: inventory"
import json, sys
inv = {r["member"]: r for r in json.load(open(sys.argv[1]))["inventory"]}
assert inv["EXCHSRVR/"]["kind"] == "directory", inv["EXCHSRVR/"]
assert "EXCHSRVR/IMCDATA/LOG/odd\\name.txt" in inv, sorted(inv)
assert inv["EXCHSRVR/IMCDATA/LOG/big.log"]["size"] == 150 << 16
assert inv["EXCHSRVR/IMCDATA/LOG/bigstored.log"]["size"] == 9 << 20
assert inv["EXCHSRVR/IMCDATA/LOG/empty.txt"]["size"] == 0
PY

# a CRC-32 that does not match the member's bytes is reported, on the
# member (libarchive's warning, which imcq used to pass over)
python3 - "$TMP/badcrc.zip.fast.json" <<'PY' && ok "badcrc.zip: the CRC mismatch is an anomaly on its member" || fail "badcrc.zip: no CRC anomaly"
import json, sys
d = json.load(open(sys.argv[1]))
hits = [a for a in d["anomalies"] if a["code"] == "archive-warning" and "CRC" in a["message"]]
assert len(hits) == 1, d["anomalies"]
assert hits[0]["member"] == "EXCHSRVR/IMCDATA/OUT/3SW32JRP", hits[0]
assert hits[0]["severity"] == "warning", hits[0]
PY
# so is a size in the index that the data does not have
python3 - "$TMP/liesize.zip.fast.json" <<'PY' && ok "liesize.zip: the wrong size is an anomaly on its member" || fail "liesize.zip: no size anomaly"
import json, sys
d = json.load(open(sys.argv[1]))
hits = [a for a in d["anomalies"] if a["code"] == "archive-warning" and "size" in a["message"]]
assert len(hits) == 1 and hits[0]["member"] == "EXCHSRVR/IMCDATA/OUT/HBWK2Q2P", d["anomalies"]
PY
# the same messages and hashes as the folder, through the fast path
"$IMCQ" analyze -q --json "$TMP/tree" > "$TMP/dir.json" || fail "folder"
ids_and_hashes "$TMP/dir.json" > "$TMP/want"
ids_and_hashes "$TMP/plain.zip.fast.json" > "$TMP/got"
cmp -s "$TMP/want" "$TMP/got" && ok "plain.zip: the folder's messages and hashes" ||
	fail "plain.zip: messages or hashes differ from the folder's"

# zips as the common tools write them, with a member for each folder and
# their own extra fields: every file is read by the fast path
files=$(find "$TMP/tree" -type f | wc -l)
if command -v zip >/dev/null; then
	(cd "$TMP/tree" && zip -qr "$TMP/infozip.zip" EXCHSRVR) && fast infozip.zip "$files" walk
else echo "note: zip missing"; fi
if command -v 7z >/dev/null; then
	(cd "$TMP/tree" && 7z a -tzip -bso0 "$TMP/7zip.zip" EXCHSRVR >/dev/null) && fast 7zip.zip "$files" walk
else echo "note: 7z missing"; fi

# the walk reads the members that follow in reads of 1 MiB (round 19): a
# zip of several MiB, members of every size around the reads' edges (up to
# 300 KiB, over the 256 KiB that is read alone), the spool files among
# them, must give libarchive's report, from more than one read ahead
python3 - "$TMP/tree" "$TMP/ahead.zip" <<'PY'
import os, random, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
rnd = random.Random(19)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dp, dn, fn in sorted(os.walk(root)):
        for f in sorted(fn):
            p = os.path.join(dp, f)
            z.write(p, os.path.relpath(p, root))
            for k in range(10):
                n = rnd.choice((1, 7, 60, 200, 300)) << 10
                z.writestr(zipfile.ZipInfo("EXCHSRVR/IMCDATA/LOG/pad-%s-%d.txt" % (f, k), (2026, 11, 26, 12, 0, 0)),
                           "".join("%08x" % rnd.getrandbits(32) for _ in range(n // 8)))
PY
pad=$(python3 -c 'import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))' "$TMP/ahead.zip")
fast ahead.zip "$pad" walk
reads=$(sed -n 's/^imcq-zipfast: \([0-9]*\) reads of up to 1024 KiB ahead of the walk$/\1/p' "$TMP/ahead.zip.err")
[ -n "$reads" ] && [ "$reads" -ge 3 ] && [ "$reads" -lt "$pad" ] &&
	ok "ahead.zip: $pad members in $reads reads ahead" ||
	fail "ahead.zip: reads ahead ${reads:-none} for $pad members: $(cat "$TMP/ahead.zip.err")"

# nested zips and archives other than zip never take it
mkdir -p "$TMP/nest" && cp "$TMP/plain.zip" "$TMP/nest/inner.zip"
tar -C "$TMP/nest" -cf "$TMP/nested.tar" inner.zip
fast nested.tar none
finish
