#!/bin/sh
# test-ledger-damaged.sh - one damaged record must not block recovery:
# with 512 bytes of garbage in the middle of a ledger, list, stats, export
# and db check go through every record they can read, say how many they
# skipped and exit 1; db check --json still prints JSON; db backup saves
# every readable record (also those behind the damage, through
# tdb_rescue) into a ledger that checks clean; db repack does the same in
# place, counts and names what it left out and exits 1.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

N=300
now=2026-05-01T00:00:00Z
bounces_mbox $N 'dmg$i@example.org' 'd$i' > "$T/bounces.mbox"
rb $now record -q "$T/bounces.mbox" >/dev/null || fail "record exited $?"
expect "recipients before the damage" "$(rb $now list | grep -c '@example.org')" $N

# Garbage over the middle record (its header, key and value).
python3 - "$DB" "dmg$((N / 2))@example.org" <<'PY' || fail "no record to damage"
import sys
path, needle = sys.argv[1], sys.argv[2].encode()
with open(path, "r+b") as f:
    data = f.read()
    at = data.find(b"r:" + needle)
    if at < 0:
        sys.exit(1)
    f.seek(max(at - 64, 0))
    f.write(bytes((i * 37 + 11) & 0xff for i in range(512)))
PY

# listed ROWS: at least most, and not all (one is surely gone).
most=$((N - 20))
rb $now list > "$T/list" 2> "$T/list.err"
expect "list on a damaged ledger exits" $? 1
rows=$(grep -c '@example.org' "$T/list")
[ "$rows" -ge $most ] && [ "$rows" -lt $N ] ||
	fail "list: $rows rows of $N"
grep -q 'damaged records skipped' "$T/list.err" ||
	fail "list does not warn: $(cat "$T/list.err")"

rb $now stats > "$T/stats" 2> "$T/stats.err"
expect "stats on a damaged ledger exits" $? 1
grep -q 'damaged records skipped' "$T/stats.err" ||
	fail "stats does not warn: $(cat "$T/stats.err")"

rb $now export --format csv > "$T/export.csv" 2> "$T/export.err"
expect "export on a damaged ledger exits" $? 1
rows=$(grep -c '@example.org' "$T/export.csv")
[ "$rows" -ge $most ] || fail "export: $rows rows of $N"
grep -q 'damaged records skipped' "$T/export.err" ||
	fail "export does not warn: $(cat "$T/export.err")"

rb $now db check > "$T/check" 2>&1
expect "db check on a damaged ledger exits" $? 1
grep -q PROBLEMS "$T/check" || fail "db check: $(cat "$T/check")"
rb $now db check --json > "$T/check.json" 2> "$T/check.err"
expect "db check --json on a damaged ledger exits" $? 1
python3 - "$T/check.json" <<'PY' || fail "db check --json: $(cat "$T/check.json" "$T/check.err")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] is False and o["bad"] >= 1 and o["problem"], o
PY

rb $now db backup "$T/backup.tdb" > "$T/backup.out" 2> "$T/backup.err"
expect "db backup of a damaged ledger exits" $? 1
grep -q 'damaged hash chain' "$T/backup.err" ||
	fail "db backup does not warn: $(cat "$T/backup.err")"
"$rebound" --db "$T/backup.tdb" db check > "$T/bcheck" ||
	fail "the backup does not check clean: $(cat "$T/bcheck")"
"$rebound" --db "$T/backup.tdb" --now $now list > "$T/blist" ||
	fail "the backup does not list"
# every recipient the damaged ledger still lists is in the backup
for a in $(awk '{print $1}' "$T/list" | grep '@example.org'); do
	grep -q "^$a " "$T/blist" || fail "$a is not in the backup"
done
[ "$(grep -c '@example.org' "$T/blist")" -ge "$(grep -c '@example.org' "$T/list")" ] ||
	fail "the backup holds fewer recipients than the damaged ledger lists"

# db repack: the damaged ledger is rewritten with every record that can
# be read (also those behind the damage); the damaged ones are counted
# and named, exit 1, and the result checks clean.
cp "$DB" "$T/damaged.tdb"
rb $now db repack > "$T/repack.out" 2> "$T/repack.err"
expect "db repack of a damaged ledger exits" $? 1
grep -q 'repacked' "$T/repack.out" || fail "db repack: $(cat "$T/repack.out" "$T/repack.err")"
grep -Eq '[1-9][0-9]* damaged records skipped \(.*hash chain' "$T/repack.err" ||
	fail "db repack does not count and name what it skipped: $(cat "$T/repack.err")"
rb $now db check > "$T/rcheck" || fail "the repacked ledger does not check clean: $(cat "$T/rcheck")"
rb $now list > "$T/rlist" || fail "the repacked ledger does not list"
for a in $(awk '{print $1}' "$T/list" | grep '@example.org'); do
	grep -q "^$a " "$T/rlist" || fail "$a is not in the repacked ledger"
done
[ "$(grep -c '@example.org' "$T/rlist")" -ge "$(grep -c '@example.org' "$T/blist")" ] ||
	fail "the repacked ledger holds fewer recipients than the backup"
rb $now record -q "$T/bounces.mbox" > /dev/null || fail "record into the repacked ledger"
cat "$T/repack.out" "$T/repack.err"

[ $failures -eq 0 ] || exit 1
echo "PASS: damaged ledger"
