#!/bin/sh
# test-ledger-crash.sh - `rebound record` killed with SIGKILL at many
# moments (creating the ledger, inside transactions and commits) while
# importing an mbox, over several rounds on a new ledger each: after
# every kill `rebound db check` must pass, and tdbtool's check too unless
# db check names the only difference (space a killed commit grew and left
# unused, which tdb's check fails on; see common/admin/ledger-scan.h), which
# `rebound db repack` then gives back.  Importing the whole mbox
# afterwards must count every notice once.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

N=150
bounces_mbox $N 'crash$i@example.org' 'c$i' > "$T/bounces.mbox"

have_tdbtool=no
command -v tdbtool >/dev/null 2>&1 && have_tdbtool=yes
now=2026-05-01T00:00:00Z
kills=0
unused=0
for round in 1 2 3; do
	rm -f "$DB"
	for delay in 0.01 0.02 0.03 0.05 0.08 0.12 0.2 0.3; do
		"$rebound" --db "$DB" --now $now record -q "$T/bounces.mbox" \
			>/dev/null 2>&1 &
		pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		kills=$((kills + 1))
		[ -e "$DB" ] || continue
		at="round $round, kill at ${delay}s"
		rb $now db check --json > "$T/check" 2>&1 ||
			fail "db check after $at: $(cat "$T/check")"
		[ $have_tdbtool = yes ] || continue
		tdbtool "$DB" check > "$T/tdbtool" 2>&1
		grep -q "integrity is OK" "$T/tdbtool" && continue
		if grep -q '"unused_space":true' "$T/check"; then
			unused=$((unused + 1))
		else
			fail "tdbtool check after $at, and db check did not say why: $(cat "$T/tdbtool" "$T/check")"
		fi
	done
	if [ $have_tdbtool = yes ] && [ -e "$DB" ]; then
		rb $now db repack >/dev/null || fail "db repack, round $round"
		tdbtool "$DB" check 2>&1 | grep -q "integrity is OK" ||
			fail "tdbtool check after db repack, round $round"
	fi
done
echo "$kills kills; tdb's own check failed on unused space $unused times"

rb $now record -q "$T/bounces.mbox" >/dev/null || fail "the full import exited $?"
rb $now list --json > "$T/list.json"
python3 - "$T/list.json" $N <<'PY' || fail "after the crashes: not every notice once"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
assert len(rows) == n, len(rows)
# 150 user unknowns at one domain at one time are a burst (doc/design.md
# §6 row 14): suspended as suspect, not suppressed; each counted once.
assert all(r["hard_count"] == 1 and r["state"] == "suspended" and
           r["suspect_why"] == "domain-burst" for r in rows)
PY
rb $now db check >/dev/null || fail "final db check"

[ $failures -eq 0 ] || exit 1
echo "PASS: ledger crash"
