#!/bin/sh
# test-ledger-compat.sh - a ledger written by a rebound of record format 1
# (tests/fixtures/ledger/v1.tdb.gz, made by tests/make-ledger-v1.sh with
# that rebound) reads the same with this one: show, list, export and
# stats give what the old one gave; recording into it, prune and db check
# work on the mix of old and new records.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"
fx=$top_srcdir/tests/fixtures/ledger
TZ=UTC
export TZ
t0=2026-03-01T10:00:00Z
gzip -dc "$fx/v1.tdb.gz" > "$DB" || exit 1

same() {	# WHAT FILE: the output in $T/got equals the fixture's
	cmp -s "$T/got" "$fx/$2" || {
		fail "$1 differs from the format-1 rebound's"
		diff "$fx/$2" "$T/got" | head -20
	}
}
{ rb $t0 show hard.user@example.org; rb $t0 show --json hard.user@example.org; } > "$T/got"
same "show" v1.show
rb $t0 list --json | sort > "$T/got"
same "list" v1.list
rb $t0 export --format csv | sort > "$T/got"
same "export" v1.export
rb $t0 stats --json > "$T/got"
same "stats" v1.stats

# The old notice is still seen before (its d: marker).
dsn Hard.User@Example.ORG failed 5.1.1 \
	"550 5.1.1 <Hard.User@Example.ORG>: Recipient address rejected: User unknown" \
	h1 news.example spring > "$T/1.eml"
rb $t0 record "$T/1.eml" > "$T/out" || fail "record of the old notice"
grep -q "seen before" "$T/out" || fail "the old notice was not seen before"

# A new bounce of an old recipient: its record becomes compact, with
# its history.
dsn Hard.User@Example.ORG failed 5.1.1 \
	"550 5.1.1 <Hard.User@Example.ORG>: Recipient address rejected: User unknown" \
	h9 news.example spring > "$T/9.eml"
t1=2026-03-02T10:00:00Z
rb $t1 record -q "$T/9.eml" >/dev/null || fail "record into the old ledger"
rb $t1 record "$T/9.eml" | grep -q "seen before" ||
	fail "the new notice was not seen before"
expect "hard_count after a new bounce" \
	"$(field hard.user@example.org hard_count $t1)" 2
expect "first_seen kept" \
	"$(field hard.user@example.org first_seen $t1)" 2026-03-01T10:00:00Z
expect "the diagnostic" "$(field hard.user@example.org last_diagnostic $t1)" \
	"550 5.1.1 <Hard.User@Example.ORG>: Recipient address rejected: User unknown"
expect "events of old and new records" \
	"$(rb $t1 stats --json | grep -c '"key":"userunknown","failed":3')" 1
rb $t1 db check > "$T/check" || fail "db check: $(cat "$T/check")"
grep -q "4 recipients, 5 events, 5 markers" "$T/check" ||
	fail "db check counts: $(cat "$T/check")"
rb $t1 prune --older-than 0 --json > "$T/prune" || fail "prune"
grep -q '"events":4,"markers":4' "$T/prune" || fail "prune: $(cat "$T/prune")"
expect "the diagnostic after prune" \
	"$(field hard.user@example.org last_diagnostic $t1)" \
	"550 5.1.1 <Hard.User@Example.ORG>: Recipient address rejected: User unknown"
rb $t1 db check > "$T/check" || fail "db check after prune: $(cat "$T/check")"

[ "$failures" -eq 0 ] || exit 1
echo "ok: a format-1 ledger reads the same"
