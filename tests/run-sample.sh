#!/bin/sh
# run-sample.sh - the README's demo: "rebound classify" on samples/ must
# find every failed or delayed recipient of the project's sample bounces,
# with the action and status code that the messages state.  (Reasons are
# the classifier's judgement and are tested with its own fixtures.)

top_srcdir=${abs_top_srcdir:-${top_srcdir:-.}}
top_builddir=${abs_top_builddir:-${top_builddir:-.}}
rebound=$top_builddir/cli/rebound
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }

out=$(cd "$top_srcdir" && "$rebound" classify --json samples/*.eml)
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: rebound classify exited $rc"
	exit 1
fi

printf '%s\n' "$out" | python3 -c '
import json, sys
want = {
    ("samples/postfix-user-unknown.eml", "alice.smith@example.net"): ("failed", "5.1.1"),
    ("samples/delayed-4.4.1.eml", "carol@example.org"): ("delayed", "4.4.1"),
    ("samples/multi-recipient.eml", "dave@example.org"): ("failed", "5.2.2"),
    ("samples/multi-recipient.eml", "erin@example.org"): ("failed", "5.7.1"),
    ("samples/gateway-notice.eml", "grace@example.net"): ("failed", "5.1.1"),
}
got = {}
for n, line in enumerate(sys.stdin, 1):
    if not line.strip():
        continue
    try:
        o = json.loads(line)
    except ValueError:
        sys.exit("FAIL: output line %d is not JSON: %s" % (n, line.strip()))
    if o.get("bounce") is True and o.get("recipient"):
        got[(o.get("file"), o["recipient"].lower())] = (o.get("action"), o.get("status"))
bad = 0
for key, exp in sorted(want.items()):
    if got.get(key) != exp:
        print("FAIL: %s %s: expected action/status %s, got %s" % (key + (exp, got.get(key))))
        bad += 1
for key in sorted(set(got) - set(want)):
    print("FAIL: unexpected bounced recipient %s in %s" % (key[1], key[0]))
    bad += 1
if bad:
    sys.exit(1)
print("ok: %d recipients in %d sample files" % (len(want), len({k[0] for k in want})))
'
