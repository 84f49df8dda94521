#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""zip-reorder.py SRC DST: the same zip with its members in spool-id order.

For the benchmark of memory order (bench/HISTORY.md, round 11): the records
lie in memory in the order imcq reads the members, and the reports are in
spool-id order, so an archive listing its spool files in spool-id order is
the analysis's best case.  Each member's local header fields, name and
compressed bytes are copied as they are (no recompression: a million
members take about a minute); members are ordered by their last path
component (the spool id).  Data descriptors are dropped (their values go
into the local header).  The result is a zip64 archive.  Not a test.
"""
import struct
import sys
import zipfile


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: zip-reorder.py SRC DST")
    src, dst = sys.argv[1], sys.argv[2]
    z = zipfile.ZipFile(src)
    infos = sorted(z.infolist(), key=lambda i: i.filename.replace("/", "\\").rsplit("\\", 1)[-1])
    cd = []
    with open(src, "rb") as f, open(dst, "wb") as o:
        for i in infos:
            f.seek(i.header_offset)
            h = bytearray(f.read(30))
            if h[:4] != b"PK\x03\x04":
                sys.exit("%s: no local header at %d" % (i.filename, i.header_offset))
            n, e = struct.unpack("<HH", h[26:30])
            name = f.read(n)
            f.read(e)
            data = f.read(i.compress_size)
            if i.compress_size >= 0xFFFFFFFF or i.file_size >= 0xFFFFFFFF:
                sys.exit("%s: members over 4 GiB are not handled" % i.filename)
            off = o.tell()
            flags = i.flag_bits & ~0x8
            h[6:8] = struct.pack("<H", flags)
            h[14:26] = struct.pack("<III", i.CRC, i.compress_size, i.file_size)
            h[26:30] = struct.pack("<HH", len(name), 0)
            o.write(h)
            o.write(name)
            o.write(data)
            cd.append((i, name, off, bytes(h[10:14]), flags))
        cdoff = o.tell()
        for i, name, off, dostime, flags in cd:
            zoff = b""
            loff = off
            if off >= 0xFFFFFFFF:
                zoff = struct.pack("<HHQ", 1, 8, off)
                loff = 0xFFFFFFFF
            o.write(struct.pack("<IHHHH", 0x02014B50, 45, 20, flags, i.compress_type) + dostime +
                    struct.pack("<IIIHHHHHII", i.CRC, i.compress_size, i.file_size, len(name),
                                len(zoff), 0, 0, 0, i.external_attr, loff) + name + zoff)
        cdend = o.tell()
        n = len(cd)
        o.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cdend - cdoff, cdoff))
        o.write(struct.pack("<IIQI", 0x07064B50, 0, cdend, 1))
        o.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                            min(cdend - cdoff, 0xFFFFFFFF), min(cdoff, 0xFFFFFFFF), 0))


if __name__ == "__main__":
    main()
