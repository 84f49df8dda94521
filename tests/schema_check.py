#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validate a JSON document against the subset of JSON Schema that
reports/schema/report-v1.json uses (type, const, enum, pattern, minimum,
maximum, required, properties, additionalProperties, items), with the
standard library only.  Usage: schema_check.py SCHEMA DOC [DOC...]"""
import json, re, sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}

def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])

def check(s, v, path, errs):
    if len(errs) > 50:
        return
    t = s.get("type")
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        if not any(is_type(v, x) for x in ts):
            errs.append("%s: %r is not of type %s" % (path, v if not isinstance(v, (dict, list)) else type(v).__name__, t))
            return
    if "const" in s and v != s["const"]:
        errs.append("%s: %r != %r" % (path, v, s["const"]))
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r not in %r" % (path, v, s["enum"]))
    if isinstance(v, str) and "pattern" in s and not re.search(s["pattern"], v):
        errs.append("%s: %r does not match %s" % (path, v, s["pattern"]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            errs.append("%s: %r < %r" % (path, v, s["minimum"]))
        if "maximum" in s and v > s["maximum"]:
            errs.append("%s: %r > %r" % (path, v, s["maximum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: missing %s" % (path, k))
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                check(props[k], x, path + "." + k, errs)
            elif isinstance(s.get("additionalProperties"), dict):
                check(s["additionalProperties"], x, path + "." + k, errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            check(s["items"], x, "%s[%d]" % (path, i), errs)

def main():
    schema = json.load(open(sys.argv[1]))
    bad = 0
    for f in sys.argv[2:]:
        errs = []
        check(schema, json.load(open(f)), "$", errs)
        for e in errs:
            print("%s: %s" % (f, e))
        bad += bool(errs)
    sys.exit(1 if bad else 0)

main()
