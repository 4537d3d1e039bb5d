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

# --- list, stats, export over a known history ---
DB=$T/reports.tdb
t1=2026-04-01T08:00:00Z
t2=2026-04-02T08:00:00Z
dsn u1@a.example failed 5.1.1 "550 5.1.1 user unknown" r1 s1.example camp-a > "$T/r1.eml"
dsn u2@a.example failed 4.2.2 "452 4.2.2 mailbox full" r2 s1.example camp-a > "$T/r2.eml"
dsn u3@sub.b.example failed 5.7.1 "554 5.7.1 message rejected as spam" r3 s1.example camp-b > "$T/r3.eml"
dsn u4@b.example delayed 4.4.1 "connection timed out" r4 s1.example > "$T/r4.eml"
rb $t1 record -q "$T/r1.eml" "$T/r2.eml" >/dev/null || fail "record r1 r2"
rb $t2 record -q "$T/r3.eml" "$T/r4.eml" >/dev/null || fail "record r3 r4"

rb $t2 list --json > "$T/list.json" || fail "list --json"
python3 - "$T/list.json" <<'PY' || fail "list --json content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
need = ["address", "state", "until", "suspect", "hard_count", "soft_count",
        "consecutive_soft", "last_reason", "last_status", "last_seen"]
for r in rows:
    for k in need:
        assert k in r, (k, r)
got = {r["address"]: r["state"] for r in rows}
assert got == {"u1@a.example": "suppressed", "u2@a.example": "soft",
               "u3@sub.b.example": "suspended", "u4@b.example": "pending"}, got
PY
expect "list --state suppressed" 	"$(rb $t2 list --json --state suppressed | wc -l)" 1
expect "list --domain b.example (with subdomains)" 	"$(rb $t2 list --json --domain b.example | wc -l)" 2
expect "list --since the second day" 	"$(rb $t2 list --json --since 2026-04-02 | wc -l)" 2
# A date starts at local midnight: in Hawaii (UTC-10, a POSIX TZ needs no
# tzdata) 2026-04-02 starts at 10:00Z, after the 08:00Z records.
expect "list --since a local date" \
	"$(TZ=HST10 rb $t2 list --json --since 2026-04-02 | wc -l)" 0
expect "list --since an age (30 h)" "$(rb $t2 list --json --since 30h | wc -l)" 4
expect "list --since an age (12 h)" "$(rb $t2 list --json --since 12h | wc -l)" 2
expect "stats --since an age (23 h)" \
	"$(rb $t2 stats --json --since 23h | python3 -c 'import json,sys; print(sum(r["failed"] + r["delayed"] for r in map(json.loads, sys.stdin)))')" 2
rb $t2 list --since 3fortnights > "$T/err" 2>&1
expect "list with a bad --since exits" $? 2
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "bad --since: not one line: $(cat "$T/err")"
rb $t2 list --state nonsense >/dev/null 2>&1
expect "list with an unknown state exits" $? 2
rb $t2 list > "$T/list.txt" || fail "list"
expect "list table lines" "$(wc -l < "$T/list.txt")" 6
# The table sorted through temporary files (a memory bound of one byte:
# every row a run of its own) is the same table.
REBOUND_SORT_MEMORY=1 rb $t2 list > "$T/list-runs.txt" || fail "list in runs"
cmp -s "$T/list.txt" "$T/list-runs.txt" ||
	fail "list sorted through files differs: $(diff "$T/list.txt" "$T/list-runs.txt")"
awk 'length > 80 { bad = 1 } END { exit bad }' "$T/list.txt" ||
	fail "list table wider than 80 columns"

rb $t2 stats --by reason --json > "$T/stats.json" || fail "stats --json"
python3 - "$T/stats.json" <<'PY' || fail "stats by reason"
import json, sys
rows = {r["key"]: r for r in map(json.loads, open(sys.argv[1]))}
assert rows["userunknown"]["failed"] == 1 and rows["userunknown"]["hard"] == 1, rows
assert rows["mailboxfull"]["soft"] == 1, rows
assert rows["spamdetected"]["failed"] == 1, rows
assert rows["expired"]["delayed"] == 1 and rows["expired"]["failed"] == 0, rows
PY
expect "stats by day" "$(rb $t2 stats --by day --json | wc -l)" 2
expect "stats by campaign camp-a" 	"$(rb $t2 stats --by campaign --json | grep -c '"key":"camp-a","failed":2')" 1
expect "stats by domain a.example" 	"$(rb $t2 stats --by domain --json | grep -c '"key":"a.example","failed":2')" 1
expect "stats by category 1" 	"$(rb $t2 stats --by category --json | grep -c '"key":"1 blocked","failed":1')" 1
expect "stats by state pending" 	"$(rb $t2 stats --by state --json | grep -c '"key":"pending","addresses":1')" 1
for by in reason domain day campaign category state; do
	rb $t2 stats --by $by > "$T/stats.txt" || fail "stats --by $by"
	awk 'length > 80 { bad = 1 } END { exit bad }' "$T/stats.txt" ||
		fail "stats --by $by wider than 80 columns"
done
rb $t2 stats --by colour >/dev/null 2>&1
expect "stats by an unknown key exits" $? 2

rb $t2 export --format csv > "$T/export.csv" || fail "export csv"
python3 - "$T/export.csv" <<'PY' || fail "export csv content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 4, rows
byaddr = {r["address"]: r for r in rows}
assert byaddr["u1@a.example"]["state"] == "suppressed"
assert byaddr["u1@a.example"]["last_reason"] == "userunknown"
assert byaddr["u3@sub.b.example"]["until"] == "2026-04-03T08:00:00Z"
PY
expect "export json lines" "$(rb $t2 export --format json | wc -l)" 4
rb $t2 export --format xml >/dev/null 2>&1
expect "export in an unknown format exits" $? 2

# --- a pending delay with no final report becomes a soft bounce ---
expect "pending 71 h later" "$(field u4@b.example state 2026-04-05T07:00:00Z)" pending
expect "soft 72 h later" "$(field u4@b.example state 2026-04-05T08:00:00Z)" soft
expect "soft count 72 h later" 	"$(field u4@b.example soft_count 2026-04-05T08:00:00Z)" 1

# --- campaigns ---
rb $t2 campaign list > "$T/camp.txt" || fail "campaign list"
grep -q '^camp-a ' "$T/camp.txt" || fail "campaign list lacks camp-a"
rb $t2 campaign show --json camp-a > "$T/camp.json" || fail "campaign show"
python3 - "$T/camp.json" <<'PY' || fail "campaign show --json"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["campaign"] == "camp-a" and c["state"] == "running", c
assert c["bounced_hard"] == 1 and c["bounced_soft"] == 1, c
PY
rb $t2 campaign cancel camp-a >/dev/null || fail "campaign cancel"
expect "campaign after cancel" 	"$(rb $t2 campaign show --json camp-a | grep -c '"state":"cancelled"')" 1
rb $t2 campaign resume camp-a >/dev/null || fail "campaign resume"
expect "campaign after resume" 	"$(rb $t2 campaign show --json camp-a | grep -c '"state":"running"')" 1
rb $t2 campaign show nosuch 2>/dev/null
expect "show of an unknown campaign exits" $? 1

# --- db check, backup, prune ---
rb $t2 db check > "$T/check.txt" || fail "db check: $(cat "$T/check.txt")"
rb $t2 db backup "$T/backup.tdb" >/dev/null || fail "db backup"
"$rebound" --db "$T/backup.tdb" --now $t2 list --json > "$T/list2.json"
cmp -s "$T/list.json" "$T/list2.json" ||
	[ "$(sort "$T/list.json")" = "$(sort "$T/list2.json")" ] ||
	fail "the backup lists differently"
rb $t2 db backup "$T/backup.tdb" >/dev/null 2>&1
expect "backup over an existing file exits" $? 2
if command -v tdbtool >/dev/null 2>&1; then
	tdbtool "$T/backup.tdb" check | grep -q "integrity is OK" ||
		fail "tdbtool check of the backup"
fi
rb 2026-04-02T12:00:00Z prune --older-than 0 --json > "$T/prune.json" ||
	fail "prune"
expect "pruned events" "$(grep -c '"events":4,"markers":4' "$T/prune.json")" 1
expect "states stay after prune" 	"$(field u1@a.example state 2026-04-02T12:00:00Z)" suppressed
expect "no events after prune" 	"$(rb $t2 stats --json | wc -l)" 0

# --- the example configuration is valid with every line switched on ---
sed -n 's/^#\([a-z_]* = \)/\1/p' "$top_srcdir/doc/rebound.conf.example" \
	> "$T/all.conf"
[ "$(wc -l < "$T/all.conf")" -ge 15 ] || fail "too few settings in the example"
"$rebound" --config "$T/all.conf" --db "$DB" list >/dev/null ||
	fail "the example configuration does not load"
printf 'soft_limit = many\n' > "$T/bad.conf"
out=$("$rebound" --config "$T/bad.conf" --db "$DB" list 2>&1)
expect "a bad configuration exits" $? 2
case $out in *bad.conf:1:*) ;; *) fail "bad configuration message: $out" ;; esac

# --- every command has --help ---
for c in record show check unbounce list stats export campaign prune db; do
	"$rebound" $c --help > "$T/help" 2>&1 || fail "$c --help exited $?"
	grep -q "usage: rebound $c" "$T/help" || fail "$c --help: no usage line"
done

[ $failures -eq 0 ] || exit 1
echo "PASS: ledger CLI"
