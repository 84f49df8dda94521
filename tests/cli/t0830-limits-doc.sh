#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every limit in one place: analyzer/core/limits.h (defaults, and the
# option each comment names), README.md's "Limits" table, `imcq help
# limits`, the limit options listed by `imcq help analyze` and the man page
# must agree on option names and default values, and the program must
# accept every option.
. "$(dirname "$0")/lib.sh"
need python3
"$IMCQ" help limits > "$TMP/help-limits" || fail "imcq help limits"
"$IMCQ" help analyze > "$TMP/help-analyze" || fail "imcq help analyze"
python3 - "$IMCQ_SRC" "$TMP/help-limits" "$TMP/help-analyze" > "$TMP/options" <<'PY' || fail "limits documentation disagrees (see above)"
import re, sys
src, help_limits, help_analyze = sys.argv[1:4]
errors = []

def size(text):
    """'64M', '5,000,000', '256k', '1000' -> int (1024-based units)."""
    t = text.strip().strip('`').replace(',', '')
    m = re.fullmatch(r'(\d+)\s*([kKMGT]?)(?:i?B)?', t)
    if not m:
        raise ValueError(text)
    return int(m.group(1)) << {'': 0, 'k': 10, 'K': 10, 'M': 20, 'G': 30, 'T': 40}[m.group(2)]

def c_value(expr):
    e = re.sub(r'\((?:uint64_t|size_t|unsigned|uint32_t)\)', '', expr)
    e = re.sub(r'\b(\d+)[uUlL]+\b', r'\1', e)
    if not re.fullmatch(r'[\d\s()<+*]+', e):
        raise ValueError(expr)
    return eval(e)

# limits.h: comment blocks, then the defines they describe.  Options in
# parentheses in a block pair, in order, with the block's IMCQ_DEF_ defines.
h = open(src + '/analyzer/core/limits.h').read()
defines = {m.group(1): c_value(m.group(2))
           for m in re.finditer(r"^#define[ \t]+(IMCQ_\w+)[ \t]+([^\n/]+)", h, re.M)}
header_opts = {}
for m in re.finditer(r'/\*((?:(?!\*/).)*)\*/\s*((?:#define[^\n]*\n\s*)+)', h, re.S):
    comment, block = m.group(1), m.group(2)
    opts = []
    for par in re.findall(r'\(([^()]*)\)', comment):
        opts += re.findall(r'--[a-z][a-z-]*', par)
    names = [n for n in re.findall(r'#define\s+(IMCQ_DEF_\w+)', block)]
    for o, n in zip(opts, names):
        header_opts[o] = (n, defines[n])
if not header_opts:
    errors.append('limits.h: no "(--option)" found in the comments')

# README.md: the table under "## Limits".
readme = open(src + '/README.md').read()
sec = readme.split('\n## Limits', 1)
readme_opts = {}
if len(sec) < 2:
    errors.append('README.md has no "## Limits" section')
else:
    body = sec[1].split('\n## ', 1)[0]
    for row in re.finditer(r'^\|\s*`(--[a-z-]+)`\s*\|\s*([^|]+?)\s*\|', body, re.M):
        try:
            readme_opts[row.group(1)] = size(row.group(2))
        except ValueError:
            errors.append('README.md: cannot read the default %r of %s' % (row.group(2), row.group(1)))
    floor = re.search(r'after (\d+) MiB', body)
    if not floor or int(floor.group(1)) << 20 != defines.get('IMCQ_RATIO_FLOOR'):
        errors.append('README.md: the ratio check threshold ("after N MiB") differs from IMCQ_RATIO_FLOOR')

# imcq help limits: "  --opt ARG   DEFAULT  words".
help_opts = {}
text = open(help_limits).read()
for row in re.finditer(r'^\s+(--[a-z-]+)\s+\S+\s+(\S+)', text, re.M):
    try:
        help_opts[row.group(1)] = size(row.group(2))
    except ValueError:
        errors.append('imcq help limits: cannot read the default %r of %s' % (row.group(2), row.group(1)))
floor = re.search(r'after (\d+) MiB', text)
if not floor or int(floor.group(1)) << 20 != defines.get('IMCQ_RATIO_FLOOR'):
    errors.append('imcq help limits: the ratio check threshold ("after N MiB") differs from IMCQ_RATIO_FLOOR')

# imcq help analyze: the "Limits (see ...)" paragraph lists the names.
ana = open(help_analyze).read()
lim = ana.split('Limits (see', 1)
analyze_names = set(re.findall(r'--[a-z][a-z-]*', lim[1])) if len(lim) > 1 else set()

# The man page names them too (roff escapes "\-").
man = open(src + '/analyzer/imcq.1').read().replace('\\-', '-')
man_lim = man.split('Limits (defaults in', 1)
man_names = set()
if len(man_lim) > 1:
    man_names = set(re.findall(r'--[a-z][a-z-]*', man_lim[1].split('\n.S', 1)[0]))

want = set(header_opts)
for what, got in (('README.md Limits table', set(readme_opts)),
                  ('imcq help limits', set(help_opts)),
                  ('imcq help analyze', analyze_names),
                  ('imcq.1', man_names)):
    if got != want:
        errors.append('%s: options %s missing, %s not in limits.h' % (
            what, sorted(want - got) or '{}', sorted(got - want) or '{}'))
for o, (name, v) in sorted(header_opts.items()):
    for what, table in (('README.md', readme_opts), ('imcq help limits', help_opts)):
        if o in table and table[o] != v:
            errors.append('%s: %s default %d, but limits.h %s = %d' % (what, o, table[o], name, v))
for e in errors:
    print('limits: ' + e, file=sys.stderr)
for o in sorted(header_opts):
    print(o)
sys.exit(1 if errors else 0)
PY
n=$(wc -l < "$TMP/options")
[ "$n" -ge 10 ] || fail "only $n limit options found in limits.h"
# every option is accepted by the program (an empty folder: exit 0)
mkdir -p "$TMP/empty"
while read -r opt; do
	"$IMCQ" analyze -q --json "$opt" 12345678 "$TMP/empty" > /dev/null 2> "$TMP/err"
	rc=$?
	[ "$rc" = 0 ] || fail "imcq analyze $opt 12345678: exit $rc: $(head -1 "$TMP/err")"
done < "$TMP/options"
[ "$FAILS" = 0 ] && ok "$n limits agree across limits.h, README.md, help and imcq.1"
finish
