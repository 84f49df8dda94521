#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Routing decisions and diagnoses on the KB Q268494 sample, checked against
# samples/q268494/facts.json: server B has STALE_ROUTING with the GWART0.MTA
# and Route.txt times as evidence, every stuck recipient is routed (the
# NO_ROUTE domain excepted), the incident names the server and the stale
# table, and the terminal summary prints the incident and the action.
# Server A is healthy.
. "$(dirname "$0")/lib.sh"
need python3
S="$IMCQ_SRC/samples/q268494"
[ -f "$S/facts.json" ] && [ -f "$S/serverB-imcdata.zip" ] || { echo "skip: no sample"; exit 77; }

expect_rc 0 "$IMCQ" analyze -q --json "$S/serverB-imcdata.zip" && cp "$TMP/.out" "$TMP/b.json" ||
	fail "analyze --json server B"
expect_rc 0 "$IMCQ" analyze -q --json "$S/serverA-imcdata.zip" && cp "$TMP/.out" "$TMP/a.json" ||
	fail "analyze --json server A"

python3 - "$S/facts.json" "$TMP/b.json" "$TMP/a.json" <<'PY' && ok "routing and diagnoses match facts.json" || fail "routing and diagnoses"
import json, sys
facts = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
a = json.load(open(sys.argv[3]))
fb = facts["servers"]["EXB2"]
rt = fb["routing"]
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

def base(member):
    return member.replace("\\", "/").rsplit("/", 1)[-1].upper()

# STALE_ROUTING, report-wide, with the two file times as evidence
stale = [f for f in b["findings"] if f["code"] == "STALE_ROUTING"]
check(len(stale) == 1, "one report-wide STALE_ROUTING on B, got %d" % len(stale))
if stale:
    f = stale[0]
    ev = f["evidence"]
    check(any(base(e["member"]) == "GWART0.MTA" and rt["gwart0_mtime"] in (e["excerpt"] or "")
              for e in ev), "GWART0.MTA mtime %s in the evidence" % rt["gwart0_mtime"])
    check(any(base(e["member"]) == "ROUTE.TXT" and rt["route_txt_mtime"] in (e["excerpt"] or "")
              for e in ev), "Route.txt mtime %s in the evidence" % rt["route_txt_mtime"])
    check(any(base(e["member"]) == "GWART1.MTA" and rt["gwart1_mtime"] in (e["excerpt"] or "")
              for e in ev), "GWART1.MTA mtime in the evidence")
    check(f["reference"] == "Q268494", "reference Q268494")
    check(f["basis"] in ("documented", "inferred"), "basis")
    check("Recalculate Routing" in (f["action"] or "") and "imcq recover" in (f["action"] or ""),
          "action names the fix and the recover command")
    check(set(fb["stuck"]) <= set(f["spool_ids"]), "STALE_ROUTING lists every stuck message")
    check(any(e["line"] and "Internet Mail Connector (EXA1)" in (e["excerpt"] or "")
              and base(e["member"]) == "GWART0.MTA" for e in ev), "a GWART0 line as evidence")

# routes for every recipient of the stuck messages
msgs = {m["spool_id"]: m for m in b["messages"] if m["queue"] == "out"}
noroute_ids = set()
noroute_addrs = set()
for sid in fb["stuck"]:
    m = msgs.get(sid)
    check(m is not None, "stuck message %s in the report" % sid)
    if m is None:
        continue
    for r in m["recipients"]:
        route = r["route"]
        want = rt["current_route_by_domain"].get(r["domain"])
        if r["domain"] == rt["no_route_domain"]:
            check(route["known"] is False, "%s %s: known false" % (sid, r["address"]))
            # each rule names its own recipient (one route a domain, issue #9)
            check(route["rule"].startswith("no address space matches '%s': " % r["address"]),
                  "%s: rule names %s" % (sid, r["address"]))
            noroute_addrs.add(r["address"])
            noroute_ids.add(sid)
            check(any(f["code"] == "NO_ROUTE" for f in m["findings"]), "%s: NO_ROUTE finding" % sid)
        else:
            check(route["known"] is True and route["connector"] == want,
                  "%s %s: routed to %s, got %s" % (sid, r["address"], want, route["connector"]))
            check(route["rule"] and route["address_space"] and route["evidence"],
                  "%s: rule, address space and evidence" % sid)
            check(route["evidence"] and base(route["evidence"][0]["member"]) == "GWART0.MTA"
                  and route["evidence"][0]["line"], "%s: the GWART0 line" % sid)
        check(route["host"], "%s: IMS layer host" % sid)
check(len(noroute_addrs) >= 2, "two unroutable addresses or more: %s" % sorted(noroute_addrs))
check(noroute_ids == set(rt["no_route_spool_ids"]),
      "NO_ROUTE messages %s, want %s" % (sorted(noroute_ids), rt["no_route_spool_ids"]))
nr = [f for f in b["findings"] if f["code"] == "NO_ROUTE"]
check(len(nr) == 1 and set(nr[0]["spool_ids"]) == set(rt["no_route_spool_ids"]),
      "report-wide NO_ROUTE lists exactly the NO_ROUTE messages")
check(nr and rt["no_route_domain"] in nr[0]["message"], "NO_ROUTE names the domain")

# decisions mirror the recipients' routes
dec = b["routing"]["decisions"]
check(any(d["spool_id"] == rt["no_route_spool_ids"][0] and d["known"] is False for d in dec),
      "decisions carry the NO_ROUTE recipient")

# the incident
inc = b["incident"]
check(inc is not None and inc["cause"] == "STALE_ROUTING", "incident cause STALE_ROUTING")
if inc:
    h = inc["headline"]
    check("EXB2" in h and "routing table" in h, "headline names the server and the table: %s" % h)
    check(str(len(fb["stuck"])) in h, "headline counts the stuck messages: %s" % h)
    check(inc["since"] == min(fb["messages"][s]["envelope"]["time"] for s in fb["stuck"]),
          "since = the oldest stuck message (%s)" % inc["since"])
    check("Q268494" in inc["kb"], "kb lists Q268494")
    check(len(inc["recover_commands"]) >= 1 and sys.argv[2] and
          inc["recover_commands"][0].startswith("imcq recover --to pickup")
          and "serverB-imcdata.zip" in inc["recover_commands"][0],
          "recover command with the real input name")

# server A: healthy
check(not any(f["code"] in ("STALE_ROUTING", "NO_ROUTE", "NO_DELIVERY_ATTEMPT", "DNS_FAILURE",
                            "REMOTE_REJECT", "SMART_HOST_FAILURE", "INBOUND_ONLY_ROUTED")
              for f in a["findings"]), "no routing finding on A")
check(a["incident"] and "Nothing is stuck" in a["incident"]["headline"]
      and a["incident"]["cause"] is None, "A: nothing is stuck")
for m in a["messages"]:
    if m["queue"] == "out" and m["state"] == "awaiting-delivery":
        for r in m["recipients"]:
            check(r["route"]["known"] and r["route"]["server"] == "EXA1",
                  "A routes %s through EXA1" % r["address"])

if errors:
    print("\n".join(errors))
    sys.exit(1)
PY

# the terminal summary prints the incident and the action
expect_rc 0 "$IMCQ" analyze "$S/serverB-imcdata.zip" || fail "analyze (terminal)"
grep -q "What happened:" "$TMP/.out" && grep -q "server EXB2" "$TMP/.out" &&
	grep -q "old routing table" "$TMP/.out" && ok "terminal: incident" ||
	fail "terminal: incident not printed"
grep -q "Recalculate Routing" "$TMP/.out" && grep -q "imcq recover --to pickup" "$TMP/.out" &&
	ok "terminal: action and recover command" || fail "terminal: action not printed"
grep -q "STALE_ROUTING" "$TMP/.out" && ok "terminal: STALE_ROUTING listed" ||
	fail "terminal: STALE_ROUTING not listed"

# the incident's recover command runs as printed (imcq -> the binary, DIR -> $TMP)
cmd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incident"]["recover_commands"][0])' "$TMP/b.json")
cmd=${cmd#imcq }
eval "set -- $cmd"
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = "--out" ]; then args+=("--out" "$TMP/recovered"); shift 2; continue; fi
	args+=("$1"); shift
done
"$IMCQ" "${args[@]}" >"$TMP/.rout" 2>&1
n=$(ls "$TMP/recovered" 2>/dev/null | grep -c '\.eml$')
want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["servers"]["EXB2"]["stuck"]))' "$S/facts.json")
[ "$n" = "$want" ] && ok "recover command writes the $want stuck messages" ||
	fail "recover command wrote $n files, want $want ($(head -3 "$TMP/.rout"))"

# both servers together: the incident is B's, and A is mentioned as healthy
expect_rc 0 "$IMCQ" analyze -q --json "$S/serverA-imcdata.zip" "$S/serverB-imcdata.zip" || fail "analyze A+B"
python3 - "$TMP/.out" <<'PY' && ok "A+B: the incident is B's" || fail "A+B incident"
import json, sys
d = json.load(open(sys.argv[1]))
inc = d["incident"]
assert inc["cause"] == "STALE_ROUTING", inc
assert "EXB2" in inc["headline"], inc["headline"]
assert any("EXA1" in l for l in inc["summary_lines"]), inc["summary_lines"]
assert all("serverA" not in c for c in inc["recover_commands"]), inc["recover_commands"]
PY
finish
