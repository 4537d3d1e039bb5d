#!/bin/sh
# test-verp-cli.sh - "rebound verp sign|verify": a signed return path
# verifies (exit 0) for its recipient until it expires; a changed one, one
# signed with another secret, or an old one does not (exit 1); a secret
# file others can read is refused (exit 2).

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

[ $fail -eq 0 ] && echo "PASS"
exit $fail
