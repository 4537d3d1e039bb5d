#!/bin/sh
# test-cli-db-create.sh - `rebound db create`, what administrators run at
# install time: a missing ledger is created with mode 0660 and the group of
# a setgid directory; an existing file is never written to; a second run
# on a valid ledger exits 0.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

t0=2026-03-01T10:00:00Z

# --- a new ledger: mode 0660 whatever the umask, and valid ---
(umask 077; "$rebound" --db "$DB" db create > "$T/out" 2>&1)
expect "db create of a missing ledger exits" $? 0
expect "mode of a created ledger" "$(stat -c %a "$DB" 2>/dev/null)" 660
rb $t0 db check >/dev/null || fail "db check of a created ledger"
expect "recipients in a created ledger" "$(rb $t0 list --json | wc -l)" 0

# --- again, with history in it: exit 0, the file not touched ---
dsn gone@example.org failed 5.1.1 "550 5.1.1 user unknown" c1 > "$T/c1.eml"
rb $t0 record -q "$T/c1.eml" >/dev/null || fail "record into a created ledger"
cp "$DB" "$T/before"
rb $t0 db create > "$T/out" 2>&1
expect "db create of an existing ledger exits" $? 0
cmp -s "$DB" "$T/before" || fail "db create changed an existing ledger"
expect "state kept" "$(field gone@example.org state $t0)" suppressed

# --- files that are not ledgers: exit 2, untouched ---
printf 'precious\n' > "$T/foreign"
"$rebound" --db "$T/foreign" db create > "$T/err" 2>&1
expect "db create over a foreign file exits" $? 2
expect "foreign file untouched" "$(cat "$T/foreign")" precious
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "foreign file: not one line: $(cat "$T/err")"
: > "$T/empty"
"$rebound" --db "$T/empty" db create >/dev/null 2>&1
expect "db create over an empty file exits" $? 2
expect "empty file left empty" "$(stat -c %s "$T/empty")" 0
"$rebound" --db "$T" db create >/dev/null 2>&1
expect "db create on a directory exits" $? 2
"$rebound" --db "$T/nodir/ledger.tdb" db create >/dev/null 2>&1
expect "db create in a missing directory exits" $? 2
[ -e "$T/nodir" ] && fail "db create made the missing directory"
if command -v tdbtool >/dev/null 2>&1; then
	printf 'create %s\nquit\n' "$T/other.tdb" | tdbtool >/dev/null 2>&1
	if [ -s "$T/other.tdb" ]; then
		cp "$T/other.tdb" "$T/other.before"
		"$rebound" --db "$T/other.tdb" db create >/dev/null 2>&1
		expect "db create on a tdb that is not a ledger exits" $? 2
		cmp -s "$T/other.tdb" "$T/other.before" ||
			fail "db create changed another tdb file"
	fi
fi

# --- a setgid directory gives the ledger its group ---
# A group other than our primary one: any group as root, else one of ours.
grp=
if [ "$(id -u)" -eq 0 ]; then
	grp=$(getent group mail daemon | head -n 1 | cut -d: -f1)
else
	for gid in $(id -G); do
		[ "$gid" != "$(id -g)" ] && { grp=$(getent group "$gid" | cut -d: -f1); break; }
	done
fi
if [ -n "$grp" ]; then
	mkdir "$T/shared"
	chgrp "$grp" "$T/shared" && chmod 2770 "$T/shared" ||
		fail "cannot prepare a setgid directory"
	(umask 022; "$rebound" --db "$T/shared/rebound.tdb" db create >/dev/null) ||
		fail "db create in a setgid directory exited $?"
	expect "group of a ledger in a setgid directory" \
		"$(stat -c %G "$T/shared/rebound.tdb")" "$grp"
	expect "mode in a setgid directory" \
		"$(stat -c %a "$T/shared/rebound.tdb")" 660
else
	echo "note: no second group available; setgid directory not tested"
fi

"$rebound" db --help | grep -q "rebound db create" || fail "db --help lacks create"

[ $failures -eq 0 ] || exit 1
echo "PASS: rebound db create"
