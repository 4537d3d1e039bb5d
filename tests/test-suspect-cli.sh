#!/bin/sh
# test-suspect-cli.sh - suspect recipients and blocking domains through
# the rebound command (issue 18; doc/design.md §6 row 14): a burst of the
# same "user unknown" at one domain suspends instead of suppressing and
# marks the domain; `list --suspect`, `domains` and `show` say why; a
# delivered report clears both marks; a plain user unknown elsewhere is
# suppressed.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

t0=2026-03-01T10:00:00Z
t1=2026-03-01T10:10:00Z

# six people at corp.example "unknown" within a minute, the same reply
for i in 1 2 3 4 5 6; do
	dsn "person$i@corp.example" failed 5.1.1 \
		"550 5.1.1 <person$i@corp.example>: Recipient address rejected: User unknown" \
		"burst$i" > "$T/b$i.eml"
	rb 2026-03-01T10:0$i:00Z record -q "$T/b$i.eml" >/dev/null ||
		fail "record burst $i exited $?"
done
dsn gone@plain.example failed 5.1.1 "550 5.1.1 user unknown" plain1 > "$T/plain.eml"
rb $t0 record -q "$T/plain.eml" >/dev/null || fail "record plain exited $?"

for i in 1 2 3 4 5 6; do
	expect "person$i state" "$(field person$i@corp.example state $t1)" suspended
	expect "person$i suspect_why" \
		"$(field person$i@corp.example suspect_why $t1)" domain-burst
done
expect "plain user unknown" "$(field gone@plain.example state $t1)" suppressed
expect "plain suspect" "$(field gone@plain.example suspect $t1)" false

# --- list --suspect: only the six, with why ---
rb $t1 list --suspect > "$T/list" || fail "list --suspect exited $?"
expect "list --suspect rows" "$(grep -c '@corp.example' "$T/list")" 6
grep -q "gone@plain.example" "$T/list" && fail "list --suspect shows a plain hard bounce"
grep -q "person1@corp.example.*suspended\*.*domain-burst" "$T/list" ||
	fail "list --suspect: no why: $(cat "$T/list")"
expect "list --suspect --json rows" \
	"$(rb $t1 list --suspect --json | grep -c '"suspect_why":"domain-burst"')" 6

# --- show: why, and the domain's mark ---
rb $t1 show person3@corp.example > "$T/show" || fail "show exited $?"
grep -q "^state: *suspended (suspect: domain-burst)" "$T/show" ||
	fail "show: no why: $(cat "$T/show")"
grep -q "^domain: *corp.example blocks the sender" "$T/show" ||
	fail "show: no domain mark: $(cat "$T/show")"

# --- domains: the marked one first, with its window and reply ---
rb $t1 domains > "$T/domains" || fail "domains exited $?"
sed -n 2p "$T/domains" | grep -q "^corp.example  *6  *6  *6  *6  *0  *blocking" ||
	fail "domains: corp.example not first and blocking: $(cat "$T/domains")"
grep -q "reply: 550 5.1.1 <person.@corp.example>: Recipient address rejected: User unknown" \
	"$T/domains" || fail "domains: no reply: $(cat "$T/domains")"
grep -q "^plain.example  *1  *1  *0  *0  *1  *-" "$T/domains" ||
	fail "domains: plain.example: $(cat "$T/domains")"
rb $t1 domains --suspect --json > "$T/domains.json" || fail "domains --json exited $?"
python3 - "$T/domains.json" <<'PY' || fail "domains --suspect --json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["domain"] for r in rows] == ["corp.example"], rows
r = rows[0]
assert (r["recipients"], r["hard"], r["suspect"], r["suppressed"]) == (6, 6, 6, 0), r
assert r["blocking"] is True and r["blocks"] == 1, r
w = r["window"]
assert w["start"] == "2026-03-01T10:01:00Z" and w["last"] == "2026-03-01T10:06:00Z", w
assert w["recipients"] == 6 and "User unknown" in w["reply"], w
assert w["cleared"] is None, w
PY

# --- a delivered report for one clears its mark and the domain's ---
dsn person2@corp.example delivered 2.0.0 "250 2.0.0 OK" deliv1 > "$T/delivered.eml"
rb $t1 record -q "$T/delivered.eml" >/dev/null || fail "record delivered exited $?"
expect "person2 after a delivery" "$(field person2@corp.example state $t1)" active
expect "person2 suspect after a delivery" "$(field person2@corp.example suspect $t1)" false
expect "person3 stays suspended" "$(field person3@corp.example state $t1)" suspended
rb $t1 domains --json | python3 -c '
import json, sys
r = [json.loads(l) for l in sys.stdin if "corp.example" in l][0]
assert r["blocking"] is False, r
assert r["window"]["cleared_by"] == "person2@corp.example", r
' || fail "domains: the mark is not cleared"
rb $t1 show person3@corp.example | grep -q "^domain:" &&
	fail "show: the cleared mark is still shown"

# --- db check counts the domain records ---
rb $t1 db check | grep -q "2 domains" || fail "db check: $(rb $t1 db check)"

[ $failures -eq 0 ] || exit 1
echo "PASS: suspect recipients and blocking domains"
