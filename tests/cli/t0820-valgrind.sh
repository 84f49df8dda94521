#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valgrind memcheck on a subset: `analyze` on the Q268494 samples and on a
# small hostile tree, `list --where` with a regex and `show`, under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# with tests/supp/valgrind.supp (GLib/GMime one-time allocations).
# valgrind cannot run a sanitizer-instrumented program: when $IMCQ is one
# (the Asan build of ./setup.sh --test), a plain RelWithDebInfo imcq is
# built first (with the C library's malloc, which valgrind replaces: not
# mimalloc), under $IMCQ_BUILD/t0820-plain so that later runs rebuild
# only what changed.  Skipped (77) when valgrind is not installed.
. "$(dirname "$0")/lib.sh"
need valgrind
need python3

bin=$IMCQ
if grep -qa -e __asan_init -e __ubsan_handle -e __msan_init -e __tsan_init "$IMCQ"; then
	plain=${IMCQ_BUILD:-$TMP}/t0820-plain
	echo "note: $IMCQ is instrumented; building a plain imcq in $plain"
	cmake -S "$IMCQ_SRC" -B "$plain" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DBUILD_TESTING=OFF -DIMCQ_FUZZ=OFF -DIMCQ_MALLOC=system > "$TMP/cmake.log" 2>&1 &&
	cmake --build "$plain" -j2 --target imcq > "$TMP/build.log" 2>&1 || {
		fail "cannot build a plain imcq for valgrind"
		tail -20 "$TMP/cmake.log" "$TMP/build.log" >&2
		finish
	}
	bin=$plain/analyzer/imcq
fi
[ -x "$bin" ] || { fail "no imcq at $bin"; finish; }

SUPP=$IMCQ_SRC/tests/supp/valgrind.supp
[ -r "$SUPP" ] || { fail "no suppression file $SUPP"; finish; }
n=0
vg() {
	local name=$1 want=$2
	shift 2
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --track-origins=yes --num-callers=30 \
		--suppressions="$SUPP" --log-file="$TMP/vg.$n.log" \
		"$bin" "$@" > "$TMP/vg.$n.out" 2> "$TMP/vg.$n.err"
	local rc=$?
	if [ "$rc" = 99 ] || grep -qE "definitely lost|Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Jump to the invalid" "$TMP/vg.$n.log"; then
		fail "$name: valgrind reports errors (exit $rc):"
		head -60 "$TMP/vg.$n.log" >&2
	elif [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, expected $want"
		head -5 "$TMP/vg.$n.err" >&2
	else
		ok "$name: clean under valgrind"
	fi
}

S=$IMCQ_SRC/samples/q268494
vg "analyze serverB sample" 0 analyze -q --progress never -o "$TMP/o1" "$S/serverB-imcdata.zip"
vg "analyze both samples" 0 analyze -q --progress never -o "$TMP/o2" "$S/serverA-imcdata.zip" "$S/serverB-imcdata.zip"
# the terminal summary: details dropped, no member hashed (its own paths)
vg "analyze summary, both samples" 0 analyze -q --progress never "$S/serverA-imcdata.zip" "$S/serverB-imcdata.zip"
# a file that opens but cannot be read (/proc/self/mem: EIO at offset 0):
# exit 3, no input read, the member's digest dropped
[ -r /proc/self/mem ] && vg "analyze an input that fails to read" 3 analyze -q --json /proc/self/mem
vg "list --where" 0 list -q --where 'rcpt ~ /@example\.(com|net)$/i and not subject ~ /^undeliverable/i' "$S/serverB-imcdata.zip"
id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["messages"][0]["spool_id"])' "$TMP/o1/report.json" 2>/dev/null)
[ -n "$id" ] && vg "show $id" 0 show -q "$S/serverB-imcdata.zip" "$id"

# a small hostile tree: markup, invalid UTF-8 and NULs, a MIME nesting bomb,
# 12 nested zips, zip-slip names, links, a damaged spool file
python3 - "$TMP/hostile" <<'PY'
import io, os, sys, tarfile, zipfile
root = sys.argv[1]
T = (2026, 11, 26, 12, 0, 0)
def spool(sender, rcpts, body):
    env = b"\xf7ImCr\x01\x00\x00\x00mail.example.net\x00client\x00<" + sender + b">\x00c=US;a= ;p=T;l=X-1\x00"
    return env + b"".join(b"<" + r + b">\x00" for r in rcpts) + b"EwLs" + body
def put(rel, data):
    p = os.path.join(os.fsencode(root), rel if isinstance(rel, bytes) else rel.encode())
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data)
x = b"<script>alert(1)</script>\"><img src=x onerror=alert(1)>"
bad = b"\xff\xfe\xc3\x28\x00nul"
m = b"From: " + x + b" <a@example.net>\r\nTo: " + bad + b" <b@example.com>\r\nSubject: " + x + bad + b"\r\nMessage-ID: <" + x + b">\r\n\r\nbody\r\n"
put("Exchsrvr/Imcdata/Out/HOSTILE1", spool(x + b"@example.net", [bad + b"@example.com"], m))
put("Exchsrvr/Imcdata/Out/DAMAGED1", b"\xf7ImCr\x01\x00\x00\x00mail.example.net\x00<a@exa")
put(b"Exchsrvr/Imcdata/Out/\xff\xfeBAD", spool(b"a@example.net", [b"b@example.com"], m))
mb = [b"From: a@example.net", b"Content-Type: multipart/mixed; boundary=\"b0\"", b""]
for i in range(1, 200):
    mb += [b"--b%d" % (i - 1), b"Content-Type: multipart/mixed; boundary=\"b%d\"" % i, b""]
put("Exchsrvr/Imcdata/Out/MIMEBOMB", spool(b"a@example.net", [b"b@example.com"], b"\r\n".join(mb)))
put("Exchsrvr/Imcdata/Pickup/x.eml", b"X-Sender: " + x + b"\r\nX-Receiver: " + bad + b"\r\n" + m)
data, name = spool(b"a@example.net", [b"b@example.com"], m), "Exchsrvr/Imcdata/Out/NESTED01"
for i in range(12):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, T), data)
    data, name = b.getvalue(), "n%02d.zip" % i
put("nested.zip", data)
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w:gz") as t:
    for n in ["../x", "/abs", "C:\\x", "Exchsrvr/Imcdata/Out/SLIPSLIP"]:
        ti = tarfile.TarInfo(n); ti.size = len(m); t.addfile(ti, io.BytesIO(m))
    ti = tarfile.TarInfo("Exchsrvr/Imcdata/Out/LINKLINK"); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc/passwd"
    t.addfile(ti)
put("slip.tar.gz", b.getvalue())
PY
# exit 1: its 12 nested zips pass --max-depth, a cap reached
vg "analyze hostile tree" 1 analyze -q --progress never -o "$TMP/o3" "$TMP/hostile"
vg "analyze summary, hostile tree" 1 analyze -q --progress never "$TMP/hostile"
vg "timeline hostile tree" 1 timeline -q --format jsonl "$TMP/hostile"
finish
