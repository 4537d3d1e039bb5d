#!/bin/bash
# test-exim-bounces.sh - DSNs and ordinary mail through a real Exim with
# rebound.so as local_scan (tests/exim-lib.sh has the setup).
#
#  - a hard, a soft and a three-recipient DSN with a null sender over SMTP:
#    accepted, delivered with X-Rebound-* headers, one mainlog line per
#    recipient (rebound, recipient, reason, state), recorded in the ledger
#    (rebound show --json); the first one created the ledger, logged once;
#  - ordinary mail and a null-sender message submitted locally (as Exim's
#    own bounces are): delivered untouched, nothing logged or recorded;
#  - forged X-Rebound-* headers do not survive: in a DSN, in ordinary
#    mail, in a null-sender message that is not a bounce, and in a local
#    null-sender message (local_scan removes them from every message);
#  - a DSN under exim -bh (host checking) is not recorded;
#  - discard_bounces (acl_m_rebound_discard_bounces): a recorded bounce
#    is not delivered, ordinary mail still is.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
exim_setup
exim_start

# --- the three DSNs -----------------------------------------------------------

hard=$(msg_with_id hard "$rb_fixtures/dsn-hard.eml")
soft=$(msg_with_id soft "$rb_fixtures/dsn-soft.eml")
multi=$(msg_with_id multi "$rb_fixtures/dsn-multi.eml")
# A forged header of ours must be replaced, not kept next to ours.
sed -i '2i X-Rebound-Class: forged' "$hard"

for id in hard soft multi; do
	if reply=$(send '<>' news@rebound.test "$S/msg/$id.eml"); then
		ok "DSN '$id' accepted ($reply)"
	else
		fail "DSN '$id' not accepted: $reply"
	fi
done
for id in hard soft multi; do
	wait_delivered "$id" 1 || fail "DSN '$id' not delivered"
done

h=$(headers_of hard)
if printf '%s\n' "$h" | grep -q '^X-Rebound-Class: bounce; format=rfc3464$'; then
	ok "hard DSN has X-Rebound-Class: bounce"
else
	fail "hard DSN: no X-Rebound-Class: bounce header"; printf '%s\n' "$h"
fi
if printf '%s\n' "$h" | grep -q 'X-Rebound-Class: forged'; then
	fail "the forged X-Rebound-Class header was delivered"
else
	ok "forged X-Rebound-Class removed"
fi
printf '%s\n' "$h" | grep -q '^X-Rebound-Recipient: gone@example.net; action=failed; reason=userunknown; status=5.1.1; hard=yes; state=' ||
	{ fail "hard DSN: X-Rebound-Recipient missing or wrong"; printf '%s\n' "$h"; }
printf '%s\n' "$h" | grep -q '^X-Rebound-Campaign: september$' ||
	fail "hard DSN: X-Rebound-Campaign: september missing"
printf '%s\n' "$h" | grep -q '^X-Local-Scan-Data: rebound=bounce recipients=1' ||
	fail "hard DSN: \$local_scan_data not set"

h=$(headers_of soft)
printf '%s\n' "$h" | grep -q '^X-Rebound-Recipient: full@example.org; action=failed; reason=mailboxfull; status=5.2.2; hard=no; state=' ||
	{ fail "soft DSN: X-Rebound-Recipient missing or wrong"; printf '%s\n' "$h"; }

h=$(headers_of multi)
n=$(printf '%s\n' "$h" | grep -c '^X-Rebound-Recipient: ')
[ "$n" = 3 ] || { fail "multi DSN: $n X-Rebound-Recipient headers, expected 3"; printf '%s\n' "$h"; }
for want in 'nobody@example.com; action=failed; reason=userunknown; status=5.1.1; hard=yes' \
	    'someone@no-such-domain.example; action=failed; reason=hostunknown; status=5.1.2; hard=yes' \
	    'busy@example.com; action=failed; reason=mailboxfull; status=5.2.2; hard=no'; do
	printf '%s\n' "$h" | grep -qF "X-Rebound-Recipient: $want;" ||
		fail "multi DSN: no header for '$want'"
done

# One mainlog line per recipient, with the word rebound, the recipient,
# the reason and the state.
for want in 'gone@example.net.*reason=userunknown.*state=' \
	    'full@example.org.*reason=mailboxfull.*state=' \
	    'nobody@example.com.*reason=userunknown.*state=' \
	    'someone@no-such-domain.example.*reason=hostunknown.*state=' \
	    'busy@example.com.*reason=mailboxfull.*state='; do
	n=$(grep -c "rebound: bounce recipient=$want" "$MAINLOG")
	[ "$n" = 1 ] || fail "mainlog: $n lines matching '$want', expected 1"
done
n=$(grep -c 'rebound: bounce recipient=' "$MAINLOG")
[ "$n" = 5 ] && ok "5 mainlog lines for 5 bounced recipients" ||
	fail "$n 'rebound: bounce' lines in the mainlog, expected 5"
# Nobody created the ledger beforehand: the first DSN's local_scan did,
# and said so once.
n=$(grep -c "rebound: created the ledger $DB (none was there; owner Debian-exim:" "$MAINLOG")
[ "$n" = 1 ] && ok "local_scan logged that it created the ledger" ||
	{ fail "$n 'created the ledger' lines, expected 1"; grep 'rebound: created' "$MAINLOG"; }

# --- ordinary mail ------------------------------------------------------------

# Each carries forged headers of ours, which no path may deliver.
forge() { sed -i -e '2i X-Rebound-Class: bounce; format=rfc3464' \
	-e '2i x-rebound-recipient: ceo@rebound.test; state=suppressed' "$1"; }
plain=$(msg_with_id plain "$rb_fixtures/ordinary.eml")
forge "$plain"
send alice@example.com bob@rebound.test "$plain" >/dev/null ||
	fail "ordinary mail not accepted: $LAST_SWAKS"
# Ordinary mail with a null sender from a remote host: classified, not a
# bounce, not recorded.
plain_null=$(msg_with_id plain-null "$rb_fixtures/ordinary.eml")
sed -i 's/^Message-ID: <\(.*\)>/Message-ID: <null.\1>/' "$plain_null"
forge "$plain_null"
send '<>' bob@rebound.test "$plain_null" >/dev/null ||
	fail "null-sender ordinary mail not accepted: $LAST_SWAKS"
# A null-sender message that does not come from a remote host is one of
# Exim's own bounces (or a local one): not an incoming DSN.
local_dsn=$(msg_with_id local-dsn "$rb_fixtures/dsn-hard.eml")
sed -i 's/dsn-hard-0001/dsn-local-0005/' "$local_dsn"
forge "$local_dsn"
exim4 -C "$S/exim.conf" -odi -f '<>' news@rebound.test < "$local_dsn" ||
	fail "exim -odi did not take the local null-sender message"
wait_delivered plain 1 || fail "ordinary mail not delivered"
wait_delivered plain-null 1 || fail "null-sender ordinary mail not delivered"
wait_delivered local-dsn 1 || fail "local null-sender message not delivered"
for id in plain plain-null local-dsn; do
	h=$(headers_of $id)
	if printf '%s\n' "$h" | grep -qi '^X-Rebound-'; then
		fail "'$id' got X-Rebound headers"; printf '%s\n' "$h"
	else
		ok "'$id' untouched"
	fi
	printf '%s\n' "$h" | grep -q '^X-Local-Scan-Data: $' ||
		fail "'$id': \$local_scan_data is not empty"
done
n=$(grep 'rebound:' "$MAINLOG" | grep -vc 'rebound: created the ledger')
[ "$n" = 5 ] || { fail "$n rebound lines in the mainlog after ordinary mail, expected 5"; grep 'rebound:' "$MAINLOG"; }

# --- the ledger -----------------------------------------------------------------

expect_ledger gone@example.net state suppressed
expect_ledger gone@example.net hard_count 1
expect_ledger gone@example.net last_reason userunknown
expect_ledger gone@example.net last_status 5.1.1
expect_ledger gone@example.net last_source exim
expect_ledger gone@example.net last_campaign september
expect_ledger full@example.org state soft
expect_ledger full@example.org soft_count 1
expect_ledger full@example.org last_reason mailboxfull
expect_ledger nobody@example.com state suppressed
expect_ledger someone@no-such-domain.example state suppressed
expect_ledger someone@no-such-domain.example last_reason hostunknown
expect_ledger busy@example.com state soft
expect_ledger busy@example.com last_reason mailboxfull
# Ordinary mail records nothing; the local null-sender copy of the hard
# DSN (another Message-ID) was not counted again (hard_count above).
not_in_ledger alice@example.com
not_in_ledger bob@rebound.test

# The same DSN again (a sender's retry after a lost reply): delivered
# again, counted once.
again=$(msg_with_id hard-again "$rb_fixtures/dsn-hard.eml")
send '<>' news@rebound.test "$again" >/dev/null || fail "repeated DSN not accepted"
wait_delivered hard-again 1 || fail "repeated DSN not delivered"
expect_ledger gone@example.net hard_count 1
grep -q 'rebound: bounce recipient=gone@example.net .*duplicate=yes' "$MAINLOG" ||
	fail "the repeated DSN was not logged as a duplicate"

# -bh (host checking) runs local_scan too, then throws the message away:
# it must not reach the ledger.
f=$(make_dsn hostcheck checked@example.net 5.1.1 550 "<checked@example.net>: user unknown")
timeout 60 swaks --pipe "exim4 -C $S/exim.conf -bh 192.0.2.7" --from '<>' \
	--to news@rebound.test --data "@$f" >/dev/null 2>&1
not_in_ledger checked@example.net

# --- discard_bounces ----------------------------------------------------------------

exim_stop
RB_DATA_ACL='  warn    set acl_m_rebound_discard_bounces = yes'
exim_start
f=$(make_dsn discarded gone2@example.net 5.1.1 550 "<gone2@example.net>: no such user")
send '<>' news@rebound.test "$f" >/dev/null || fail "DSN not accepted with discard_bounces"
plain2=$(msg_with_id plain2 "$rb_fixtures/ordinary.eml")
send alice@example.com bob@rebound.test "$plain2" >/dev/null || fail "ordinary mail not accepted with discard_bounces"
wait_delivered plain2 1 || fail "ordinary mail not delivered with discard_bounces"
wait_for 10 grep -q 'rebound: bounce discarded' "$MAINLOG" || fail "no 'bounce discarded' line"
sleep 1
n=$(delivered discarded)
[ "$n" = 0 ] && ok "discard_bounces: the recorded bounce was not delivered" ||
	fail "discard_bounces: the bounce was delivered $n times"
expect_ledger gone2@example.net state suppressed

exim_finish bounces
