#!/bin/sh
# test-cli-printable.sh - addresses with bytes that are not valid UTF-8 or
# with a bidi override have one printable form (mail/printable.h), the
# ledger's key: the address `list --json` prints is found again by
# `show`, `check` and `unbounce`, and no raw control, bidi or invalid byte
# reaches the output of list, show or explain.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

t0=2026-03-01T10:00:00Z
bad=$(printf 'bad\377x@example.org')		# 0xff: never UTF-8
bidi=$(printf 'evil\342\200\256gro@example.org')	# U+202E
dsn "$bad" failed 5.1.1 "550 5.1.1 user unknown" p1 > "$T/bad.eml"
dsn "$bidi" failed 5.1.1 "550 5.1.1 user unknown $(printf '\033[31m')red" \
	p2 > "$T/bidi.eml"
rb $t0 record -q "$T/bad.eml" "$T/bidi.eml" > /dev/null || fail "record exited $?"

# --- the addresses as list --json prints them ---
rb $t0 list --json > "$T/list.json" || fail "list --json exited $?"
python3 - "$T/list.json" > "$T/addrs" <<'PY' || fail "list --json"
import json, sys
addrs = sorted(json.loads(l)["address"] for l in open(sys.argv[1]))
assert addrs == ["bad\\xffx@example.org", "evil\\u202egro@example.org"], addrs
for a in addrs:
    print(a)
PY

# --- given back, each is found ---
while IFS= read -r a; do
	expect "state of $a" "$(field "$a" state $t0)" suppressed
	rb $t0 check "$a" > /dev/null 2>&1
	expect "check $a exits" "$?" 1
	rb $t0 unbounce "$a" > "$T/unb" 2>&1 || fail "unbounce $a: $(cat "$T/unb")"
	expect "state of $a after unbounce" "$(field "$a" state $t0)" active
done < "$T/addrs"
[ "$(wc -l < "$T/addrs")" -eq 2 ] || fail "not two addresses"
# The raw address names the same record.
expect "state by the raw address" "$(field "$bad" state $t0)" active

# --- nothing raw on the terminal ---
rb $t0 list > "$T/list.txt" || fail "list exited $?"
rb $t0 show "$bidi" > "$T/show.txt" || fail "show exited $?"
"$rebound" explain "$T/bad.eml" "$T/bidi.eml" > "$T/explain.txt" ||
	fail "explain exited $?"
"$rebound" classify "$T/bad.eml" "$T/bidi.eml" > "$T/classify.txt" ||
	fail "classify exited $?"
for f in list show explain classify; do
	python3 - "$T/$f.txt" <<'PY' || fail "$f: raw bytes in the output"
import re, sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8")           # invalid UTF-8 raises
bad = re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", t)
assert not bad, bad
PY
done
grep -q 'bad\\xffx@example.org' "$T/list.txt" || fail "list: no escaped address"
grep -q 'evil\\u202egro@example.org' "$T/explain.txt" ||
	fail "explain: no escaped address"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: printable addresses"
