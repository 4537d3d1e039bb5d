#!/bin/sh
# valgrind-cli.sh - the rebound command under valgrind memcheck over every
# message the project wrote (tests/fixtures, samples): classify as a
# table, as JSON and explained, whole folders, one message on stdin;
# recorded into a fresh ledger (twice), shown, checked, unbounced,
# listed, counted, exported and checked whole; and
# VERP return paths signed and verified.
# Any memory error, and any leak of any kind (definite, indirect,
# possible, even still reachable at exit), fails the test.
#
# Skips without valgrind, and in sanitizer builds (the two cannot share a
# process).  VALGRIND may name the program.

top_srcdir=${abs_top_srcdir:-${top_srcdir:-.}}
top_builddir=${abs_top_builddir:-${top_builddir:-.}}
rebound=$top_builddir/cli/rebound
valgrind=${VALGRIND:-valgrind}
supp=$top_srcdir/tests/valgrind.supp

command -v "$valgrind" >/dev/null 2>&1 ||
	{ echo "SKIP: valgrind not found"; exit 77; }
[ -x "$rebound" ] || { echo "FAIL: $rebound not built"; exit 1; }
if nm "$rebound" 2>/dev/null | grep -q '__asan_init'; then
	echo "SKIP: rebound is built with AddressSanitizer"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

files=$(ls "$top_srcdir"/tests/fixtures/*/*.eml "$top_srcdir"/samples/*.eml)
nfiles=$(printf '%s\n' "$files" | wc -l)
fail=0
runs=0

# vg NAME ARGS...: one run of the command under memcheck; output to
# $tmp/NAME.out, valgrind's report to $tmp/NAME.vg.
vg() {
	name=$1
	shift
	runs=$((runs + 1))
	"$valgrind" --quiet --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=all --errors-for-leak-kinds=all \
		--track-origins=yes --suppressions="$supp" \
		--log-file="$tmp/$name.vg" \
		"$rebound" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	# 99 is valgrind's; the command itself exits 0, or 1 when an input
	# could not be read (none here).
	if [ $rc -eq 99 ] || [ -s "$tmp/$name.vg" ]; then
		echo "FAIL: $name: valgrind found errors or leaks:"
		cat "$tmp/$name.vg"
		fail=1
	elif [ $rc -ne 0 ]; then
		echo "FAIL: $name: rebound exited $rc"
		cat "$tmp/$name.err"
		fail=1
	elif [ ! -s "$tmp/$name.out" ]; then
		echo "FAIL: $name: no output"
		fail=1
	fi
}

# shellcheck disable=SC2086
vg table classify $files
# shellcheck disable=SC2086
vg json classify --json --campaign-header X-Mailing $files
# shellcheck disable=SC2086
vg explain explain $files
vg folders classify --json "$top_srcdir/tests/fixtures/classify" \
	"$top_srcdir/tests/fixtures/mime" "$top_srcdir/samples"
# The ledger commands: record every message twice (the second time all
# are duplicates), then read and change one recipient.
db=$tmp/ledger.tdb
# shellcheck disable=SC2086
vg record --db "$db" --now 2026-03-01T12:00:00Z record --json $files
# shellcheck disable=SC2086
vg record-again --db "$db" --now 2026-03-01T12:05:00Z record --quiet $files
vg show --db "$db" show --json alice.smith@example.net
vg show-text --db "$db" show alice.smith@example.net
runs=$((runs + 1))
"$valgrind" --quiet --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=all --errors-for-leak-kinds=all \
	--suppressions="$supp" --log-file="$tmp/check.vg" \
	"$rebound" --db "$db" check alice.smith@example.net >/dev/null 2>&1
if [ $? -eq 99 ] || [ -s "$tmp/check.vg" ]; then
	echo "FAIL: check: valgrind found errors or leaks:"
	cat "$tmp/check.vg"
	fail=1
fi
vg unbounce --db "$db" unbounce alice.smith@example.net
vg list --db "$db" list --json
vg stats --db "$db" stats --by domain
vg export --db "$db" export --format csv
vg db-check --db "$db" db check

# Signed VERP return paths.
printf 'a secret for the valgrind run of rebound\n' >"$tmp/verp.key"
chmod 600 "$tmp/verp.key"
vg verp-sign verp sign --secret-file "$tmp/verp.key" bounces@sender.example \
	alice@example.org Bob@Example.NET
# shellcheck disable=SC2046
vg verp-verify verp verify --secret-file "$tmp/verp.key" \
	$(cat "$tmp/verp-sign.out")

runs=$((runs + 1))
"$valgrind" --quiet --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=all --errors-for-leak-kinds=all \
	--suppressions="$supp" --log-file="$tmp/stdin.vg" "$rebound" classify - \
	<"$top_srcdir/samples/multi-recipient.eml" >"$tmp/stdin.out" 2>&1
if [ $? -ne 0 ] || [ -s "$tmp/stdin.vg" ]; then
	echo "FAIL: stdin: valgrind found errors or leaks:"
	cat "$tmp/stdin.vg" "$tmp/stdin.out"
	fail=1
fi

# Every message must have been classified: one JSON line at least each.
lines=$(wc -l <"$tmp/json.out")
if [ "$lines" -lt "$nfiles" ]; then
	echo "FAIL: $lines JSON lines for $nfiles messages"
	fail=1
fi

[ $fail -eq 0 ] && echo "PASS: $runs runs over $nfiles messages, no memory error, no leak"
exit $fail
