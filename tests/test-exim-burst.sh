#!/bin/bash
# test-exim-burst.sh - a burst of "user unknown" from one domain through
# a real Exim with rebound.so as local_scan (tests/exim-lib.sh; issue 18,
# doc/design.md §6 row 14):
#
#  - 20 DSNs, each "550 5.1.1 <personN@corp.example>: Recipient address
#    rejected: User unknown", sent one after the other within a few
#    seconds (well inside 5 minutes): all 20 recipients end suspended as
#    suspect ("domain-burst"), none suppressed, and corp.example is marked
#    as blocking with the window and the reply; Exim's log says
#    suspect=yes why="domain-burst";
#  - a single plain user unknown in Postfix's words from another domain
#    is suppressed.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
exim_setup
exim_start

N=20
start=$(date +%s)
for i in $(seq 1 $N); do
	f=$(make_dsn "burst$i" "person$i@corp.example" 5.1.1 550 \
		"<person$i@corp.example>: Recipient address rejected: User unknown")
	send '<>' news@rebound.test "$f" >/dev/null || fail "burst DSN $i refused"
done
sent=$(( $(date +%s) - start ))
[ $sent -lt 300 ] && ok "$N DSNs sent in ${sent}s" ||
	fail "$N DSNs took ${sent}s, more than the 5 minutes of the test"
for i in $(seq 1 $N); do
	wait_delivered "burst$i" 1 || fail "burst DSN $i not delivered"
done

f=$(make_dsn plain single@plain.example 5.1.1 550 \
	"<single@plain.example>: Recipient address rejected: User unknown in local recipient table")
send '<>' news@rebound.test "$f" >/dev/null || fail "plain DSN refused"
wait_delivered plain 1 || fail "plain DSN not delivered"

suspended=0 suppressed=0 burst=0
for i in $(seq 1 $N); do
	st=$(ledger "person$i@corp.example" state)
	[ "$st" = suspended ] && suspended=$((suspended + 1))
	[ "$st" = suppressed ] && suppressed=$((suppressed + 1))
	[ "$(ledger "person$i@corp.example" suspect_why)" = domain-burst ] &&
		burst=$((burst + 1))
done
echo "burst figures: $N user unknowns at corp.example: $suspended suspended," \
	"$suppressed suppressed, $burst suspect (domain-burst)"
[ $suspended = $N ] && ok "all $N suspended" || fail "$suspended of $N suspended"
[ $suppressed = 0 ] && ok "none suppressed" || fail "$suppressed of $N suppressed"
[ $burst = $N ] && ok "all $N suspect (domain-burst)" ||
	fail "$burst of $N suspect (domain-burst)"

"$rb_cli" --db "$DB" domains --json > "$S/domains.json" 2>&1 ||
	fail "rebound domains: $(cat "$S/domains.json")"
if python3 - "$S/domains.json" "$N" <<'PY'
import json, sys
rows = {r["domain"]: r for r in map(json.loads, open(sys.argv[1]))}
n = int(sys.argv[2])
c = rows["corp.example"]
assert c["blocking"] is True and c["blocks"] == 1, c
assert c["suspect"] == n and c["suppressed"] == 0, c
assert c["window"]["recipients"] == n, c
assert "User unknown" in c["window"]["reply"], c
p = rows["plain.example"]
assert p["blocking"] is False and p["suppressed"] == 1 and p["suspect"] == 0, p
PY
then
	ok "corp.example marked as blocking, plain.example not"
else
	fail "rebound domains: $(cat "$S/domains.json")"
fi

expect_ledger single@plain.example state suppressed
expect_ledger single@plain.example suspect false

n=$(grep -c 'suspect=yes why="domain-burst"' "$MAINLOG")
# the first four were logged suppressed before the fifth made the burst
[ "$n" -ge $((N - 4)) ] && ok "$n mainlog lines say suspect=yes why=\"domain-burst\"" ||
	{ fail "mainlog: $n lines with why=\"domain-burst\""; show_logs; }

exim_finish burst
