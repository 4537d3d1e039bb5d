#!/bin/sh
# test-ledger-cli.sh - the ledger commands of the built rebound binary on a
# ledger in a temporary directory, with --now for time: record, show,
# check, unbounce, and the errors for a missing or foreign ledger.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

t0=2026-03-01T10:00:00Z

# --- a read command never creates the ledger ---
out=$("$rebound" --db "$DB" show a@example.org 2>&1)
rc=$?
expect "show on a missing ledger exits" "$rc" 2
[ -e "$DB" ] && fail "show created the ledger"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "missing ledger: not one line: $out"

# --- record creates it (mode 0660 under umask 077) and counts once ---
dsn Hard.User@Example.ORG failed 5.1.1 "550 5.1.1 user unknown" h1 > "$T/hard.eml"
(umask 077; rb $t0 record -q "$T/hard.eml" >/dev/null) || fail "record exited $?"
mode=$(stat -c %a "$DB" 2>/dev/null)
expect "mode of a new ledger" "$mode" 660
rb $t0 record "$T/hard.eml" > "$T/out" || fail "second record exited $?"
grep -q "seen before" "$T/out" || fail "the same notice twice was not seen before"
expect "hard_count after the same notice twice" \
	"$(field hard.user@example.org hard_count $t0)" 1

# --- show --json: the fields the modules' tests rely on ---
rb $t0 show --json HARD.USER@example.org > "$T/show.json" || fail "show --json"
python3 - "$T/show.json" <<'PY' || fail "show --json fields"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
want = {"address": "Hard.User@example.org", "state": "suppressed",
        "until": None, "suspect": False, "hard_count": 1, "soft_count": 0,
        "consecutive_soft": 0, "last_reason": "userunknown",
        "last_status": "5.1.1", "last_seen": "2026-03-01T10:00:00Z"}
for k, v in want.items():
    assert o[k] == v, (k, o[k], v)
PY

# --- check: exit 0 may send, 1 must not ---
rb $t0 check -q hard.user@example.org
expect "check of a suppressed address" $? 1
rb $t0 check -q nobody@example.org
expect "check of an unknown address" $? 0
rb $t0 check -q "not an address" 2>/dev/null
expect "check of a non-address" $? 2

# --- unbounce ---
rb $t0 unbounce hard.user@example.org >/dev/null || fail "unbounce exited $?"
rb $t0 check -q hard.user@example.org
expect "check after unbounce" $? 0
rb $t0 unbounce nobody@example.org 2>/dev/null
expect "unbounce of an unknown address" $? 1

# --- a category-1 block suspends for 24 h, then mail may be tried ---
dsn blocked@example.org failed 5.7.1 "554 5.7.1 message rejected as spam" b1 > "$T/block.eml"
rb $t0 record -q "$T/block.eml" >/dev/null
expect "state after a spam block" "$(field blocked@example.org state $t0)" suspended
expect "until after a spam block" \
	"$(field blocked@example.org until $t0)" 2026-03-02T10:00:00Z
rb 2026-03-02T09:59:59Z check -q blocked@example.org
expect "check one second before the suspension ends" $? 1
rb 2026-03-02T10:00:00Z check -q blocked@example.org
expect "check when the suspension ends" $? 0

# --- a file that is not a ledger: one line, exit 2, left alone ---
printf 'not a tdb file\n' > "$T/foreign"
"$rebound" --db "$T/foreign" record -q "$T/hard.eml" > "$T/err" 2>&1
expect "record into a foreign file exits" $? 2
expect "foreign file untouched" "$(cat "$T/foreign")" "not a tdb file"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "foreign file: not one line: $(cat "$T/err")"

# --- --now must be RFC 3339 ---
rb yesterday show hard.user@example.org 2>/dev/null
expect "bad --now exits" $? 2

# --- every command has --help ---
for c in record show check unbounce; do
	"$rebound" $c --help > "$T/help" 2>&1 || fail "$c --help exited $?"
	grep -q "usage: rebound $c" "$T/help" || fail "$c --help: no usage line"
done

[ $failures -eq 0 ] || exit 1
echo "PASS: ledger CLI"
