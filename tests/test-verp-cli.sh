#!/bin/sh
# test-verp-cli.sh - "rebound verp sign|verify": a signed return path
# verifies (exit 0) for its recipient until it expires; a changed one, one
# signed with another secret, or an old one does not (exit 1); a secret
# file others can read is refused (exit 2).
# "rebound record" with require_signed_verp: a notice to one subscriber's
# signed return path (its Delivered-To, or --to) that also names someone
# else changes the subscriber's state only; the other is recorded as
# unverified; an unsigned notice changes nothing; without a usable secret
# nothing is recorded (exit 2).

top_builddir=${abs_top_builddir:-${top_builddir:-.}}
rebound=$top_builddir/cli/rebound
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect WANT_STATUS DESCRIPTION COMMAND...
expect() {
	want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, want $want"
		cat "$tmp/out" "$tmp/err"
		fail=1
	fi
}

umask 077
printf 'a shared secret of the sending and receiving side\n' >"$tmp/key"
printf 'another secret, the one a forger might guess\n' >"$tmp/other"

signed=$("$rebound" --now 2026-03-01T12:00:00Z verp sign --secret-file "$tmp/key" \
	bounces@sender.example alice@example.org) ||
	{ echo "FAIL: sign exited $?"; exit 1; }
case $signed in
rb=*=bounces+alice=example.org@sender.example) ;;
*) echo "FAIL: signed return path '$signed'"; fail=1 ;;
esac

expect 0 "fresh signature" "$rebound" --now 2026-03-03 verp verify \
	--secret-file "$tmp/key" "$signed"
if ! grep -q "	valid	alice@example.org	2026-03-01T12:00:00Z$" "$tmp/out"; then
	echo "FAIL: verify output: $(cat "$tmp/out")"
	fail=1
fi
expect 1 "after 30 days" "$rebound" --now 2026-04-01 verp verify \
	--secret-file "$tmp/key" "$signed"
grep -q "	expired	" "$tmp/out" || { echo "FAIL: not expired: $(cat "$tmp/out")"; fail=1; }
expect 0 "with --max-age 60" "$rebound" --now 2026-04-01 verp verify \
	--max-age 60 --secret-file "$tmp/key" "$signed"
expect 1 "another secret" "$rebound" --now 2026-03-03 verp verify \
	--secret-file "$tmp/other" "$signed"
grep -q "	bad-signature	" "$tmp/out" || { echo "FAIL: $(cat "$tmp/out")"; fail=1; }
forged=$(printf '%s' "$signed" | sed 's/alice=/mallory=/')
expect 1 "another recipient" "$rebound" --now 2026-03-03 verp verify \
	--secret-file "$tmp/key" "$forged"
expect 1 "unsigned" "$rebound" --now 2026-03-03 verp verify \
	--secret-file "$tmp/key" bounces+alice=example.org@sender.example
grep -q "	unsigned	alice@example.org	-$" "$tmp/out" || { echo "FAIL: $(cat "$tmp/out")"; fail=1; }
expect 1 "one bad among good" "$rebound" --now 2026-03-03 verp verify \
	--secret-file "$tmp/key" "$signed" "$forged"
# The secret and the layout from the configuration file.
printf 'verp_secret_file = %s\nverp_format = LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN\n' \
	"$tmp/key" >"$tmp/rebound.conf"
expect 0 "sign from the configuration" "$rebound" --config "$tmp/rebound.conf" \
	--now 2026-03-01T12:00:00Z verp sign bounces@sender.example bob@example.net
conf_signed=$(cat "$tmp/out")
case $conf_signed in
rb=*=bounces-bob#example.net@sender.example) ;;
*) echo "FAIL: signed with verp_format: '$conf_signed'"; fail=1 ;;
esac
expect 0 "verify from the configuration" "$rebound" --config "$tmp/rebound.conf" \
	--now 2026-03-02 verp verify "$conf_signed"

chmod 0644 "$tmp/key"
expect 2 "secret readable by others" "$rebound" verp verify \
	--secret-file "$tmp/key" "$signed"
grep -q "$tmp/key" "$tmp/err" || { echo "FAIL: error does not name the file"; fail=1; }
expect 2 "no secret" "$rebound" verp sign bounces@s.example a@example.org
expect 2 "bad --now" "$rebound" --now yesterday verp verify \
	--secret-file "$tmp/other" "$signed"

# --- rebound record with require_signed_verp (issue 16) --------------------
top_srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
chmod 0600 "$tmp/key"
printf 'verp_secret_file = %s\nrequire_signed_verp = yes\n' "$tmp/key" \
	>"$tmp/signed.conf"
# dsn TAG [DELIVERED-TO]: a DSN for sub.TAG@remote.example that also names
# other.TAG@remote.example.
dsn() {
	{
		[ -n "${2:-}" ] && printf 'Delivered-To: %s\n' "$2"
		sed -e "s/dave\.oduya@/sub.$1@/g" \
		    -e "s/<dsn-20240611100204-9921@/<dsn-$1@/" \
		    -e "s/^Reporting-MTA: .*/&\\
\\
Final-Recipient: rfc822; other.$1@remote.example\\
Action: failed\\
Status: 5.1.1/" "$top_srcdir/tests/fixtures/dovecot/dsn.eml"
	} >"$tmp/dsn-$1.eml"
}
rec() { "$rebound" --config "$tmp/signed.conf" --db "$tmp/ledger.tdb" "$@"; }
# state ADDRESS: its state in the ledger, "none" when it is not there.
state() {
	rec show --json "$1" 2>/dev/null |
		sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' | head -n 1 |
		grep . || echo none
}
for how in header option; do
	rp=$("$rebound" verp sign --secret-file "$tmp/key" bounces@sender.example \
		"sub.$how@remote.example")
	if [ $how = header ]; then
		dsn $how "$rp"
		expect 0 "record ($how)" rec record --json "$tmp/dsn-$how.eml"
	else
		dsn $how
		expect 0 "record ($how)" rec record --json --to "$rp" \
			"$tmp/dsn-$how.eml"
	fi
	[ "$(state sub.$how@remote.example)" = suppressed ] ||
		{ echo "FAIL: $how: sub.$how@remote.example is $(state sub.$how@remote.example)"; fail=1; }
	[ "$(state other.$how@remote.example)" = none ] ||
		{ echo "FAIL: $how: other.$how@remote.example is $(state other.$how@remote.example)"; fail=1; }
	grep -q "\"address\":\"other.$how@remote.example\".*\"unverified\":true" "$tmp/out" ||
		{ echo "FAIL: $how: other not reported unverified: $(cat "$tmp/out")"; fail=1; }
	grep -q "\"address\":\"sub.$how@remote.example\".*\"unverified\":false" "$tmp/out" ||
		{ echo "FAIL: $how: sub reported unverified: $(cat "$tmp/out")"; fail=1; }
done
dsn unsigned bounces+sub.unsigned=remote.example@sender.example
expect 0 "record (unsigned)" rec record "$tmp/dsn-unsigned.eml"
[ "$(state sub.unsigned@remote.example)" = none ] ||
	{ echo "FAIL: an unsigned DSN changed sub.unsigned@remote.example"; fail=1; }
[ "$(grep -c ' active  *unverified$' "$tmp/out")" = 2 ] ||
	{ echo "FAIL: unsigned: not two 'unverified' lines: $(cat "$tmp/out")"; fail=1; }
# --to names the return path: a signed Delivered-To does not count then.
dsn toother "$("$rebound" verp sign --secret-file "$tmp/key" \
	bounces@sender.example sub.toother@remote.example)"
expect 0 "record (--to unsigned)" rec record --to bounces@sender.example \
	"$tmp/dsn-toother.eml"
[ "$(state sub.toother@remote.example)" = none ] ||
	{ echo "FAIL: --to: the Delivered-To header counted"; fail=1; }
# No usable secret: nothing recorded.
dsn nokey
printf 'verp_secret_file = %s/missing.key\nrequire_signed_verp = yes\n' "$tmp" \
	>"$tmp/signed.conf"
expect 2 "record without the secret" rec record "$tmp/dsn-nokey.eml"
grep -q "secret is not usable" "$tmp/err" ||
	{ echo "FAIL: no secret: $(cat "$tmp/err")"; fail=1; }

[ $fail -eq 0 ] && echo "PASS"
exit $fail
