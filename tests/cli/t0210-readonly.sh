#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Evidence is never modified: a write-protected copy is analysed (every
# command that reads) and every byte and time stays the same.
. "$(dirname "$0")/lib.sh"
make_tree "$TMP/ev"
(cd "$TMP/ev" && tar -czf "$TMP/ev.tar.gz" EXCHSRVR)
mv "$TMP/ev.tar.gz" "$TMP/ev/"
snap() { (cd "$TMP/ev" && find . -print0 | sort -z | xargs -0 stat -c '%n %s %Y %a' && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
snap > "$TMP/before"
chmod -R a-w "$TMP/ev"
cd "$TMP"
for cmd in "analyze" "analyze --json" "list" "timeline" "show"; do
	if [ "$cmd" = show ]; then args="$TMP/ev 3SW32JRP"; else args="$TMP/ev"; fi
	"$IMCQ" $cmd -q $args > /dev/null 2>&1; rc=$?
	[ "$rc" = 0 ] || fail "$cmd on read-only evidence exited $rc"
	"$IMCQ" $cmd -q "$TMP/ev/ev.tar.gz" $( [ "$cmd" = show ] && echo 3SW32JRP ) > /dev/null 2>&1 || fail "$cmd on read-only archive"
done
"$IMCQ" analyze -q -o "$TMP/out" "$TMP/ev" || fail "analyze -o next to read-only evidence"
chmod -R u+w "$TMP/ev"
snap > "$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then ok "evidence unchanged"; else fail "evidence changed"; diff "$TMP/before" "$TMP/after" >&2; fi
finish
