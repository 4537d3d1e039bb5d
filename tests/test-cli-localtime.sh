#!/bin/sh
# test-cli-localtime.sh - people read times in their own time zone (TZ),
# machines read RFC 3339 UTC: the same ledger read with TZ=UTC and
# TZ=Asia/Tokyo (UTC+9, no summer time) must show the hours 9 apart in
# the human reports and identical JSON and CSV.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

[ -e /usr/share/zoneinfo/Asia/Tokyo ] ||
	{ echo "SKIP: no zoneinfo for Asia/Tokyo (tzdata)"; exit 77; }

t1=2026-03-01T20:05:00Z		# 2026-03-02 05:05 in Tokyo: another day
dsn late@example.org failed 5.7.1 "554 5.7.1 message rejected as spam" \
	z1 s.example camp-z > "$T/z1.eml"
TZ=UTC rb $t1 record -q "$T/z1.eml" >/dev/null || fail "record"

both() {	# both NAME ARGS...: the output in UTC and in Tokyo
	name=$1
	shift
	TZ=UTC rb $t1 "$@" > "$T/$name.utc" 2>&1 || fail "$* (UTC) exited $?"
	TZ=Asia/Tokyo rb $t1 "$@" > "$T/$name.tokyo" 2>&1 ||
		fail "$* (Tokyo) exited $?"
}
has() {		# has FILE TEXT
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(cat "$1")"
}
hasnt() {
	grep -qF -- "$2" "$1" && fail "$(basename "$1") shows '$2': $(cat "$1")"
}

# list: LAST SEEN column
both list list
has "$T/list.utc" "2026-03-01 20:05"
has "$T/list.tokyo" "2026-03-02 05:05"
hasnt "$T/list.tokyo" "20:05"
# show: seen and last bounce lines, and the suspension's end (24 h later)
both show show late@example.org
has "$T/show.utc" "until 2026-03-02 20:05"
has "$T/show.tokyo" "until 2026-03-03 05:05"
has "$T/show.tokyo" "seen:           2026-03-02 05:05 .. 2026-03-02 05:05"
has "$T/show.tokyo" "last bounce:    2026-03-02 05:05"
hasnt "$T/show.tokyo" "T20:05"
# check: the end of the suspension
TZ=Asia/Tokyo rb $t1 check late@example.org > "$T/check.tokyo"
expect "check of a suspended address" $? 1
has "$T/check.tokyo" "suspended until 2026-03-03 05:05"
# stats --by day: the local day
both stats stats --by day
has "$T/stats.utc" "2026-03-01 "
has "$T/stats.tokyo" "2026-03-02 "
hasnt "$T/stats.tokyo" "2026-03-01"
# campaign show: the last bounce
both camp campaign show camp-z
has "$T/camp.utc" "last bounce:   2026-03-01 20:05"
has "$T/camp.tokyo" "last bounce:   2026-03-02 05:05"

# JSON and CSV: RFC 3339 UTC whatever TZ says
both showj show --json late@example.org
both listj list --json
both statsj stats --by day --json
both campj campaign show --json camp-z
both csv export --format csv
for f in showj listj statsj campj csv; do
	cmp -s "$T/$f.utc" "$T/$f.tokyo" ||
		fail "$f differs with TZ: $(diff "$T/$f.utc" "$T/$f.tokyo")"
done
has "$T/showj.tokyo" '"last_seen":"2026-03-01T20:05:00Z"'
has "$T/showj.tokyo" '"until":"2026-03-02T20:05:00Z"'
has "$T/statsj.tokyo" '"key":"2026-03-01"'
has "$T/csv.tokyo" "2026-03-01T20:05:00Z"

[ $failures -eq 0 ] || exit 1
echo "PASS: local times for people, UTC for machines"
