#!/bin/bash
# test-exim-verp.sh - signed VERP return paths in a real Exim
# (doc/verp.md; tests/exim-lib.sh has the setup).  The configuration file
# (acl_m_rebound_config) names a secret and requires signed return paths.
#
#  - the remote_smtp transport signs its return path with the
#    rebound_return_path dlfunc: the remote side sees rb=...=news+reader=
#    remote.test@rebound.test;
#  - a DSN sent back to that return path verifies: the recipient is
#    suppressed;
#  - a forged DSN to an unsigned return path is recorded as unverified:
#    it changes nothing, and the mainlog says why;
#  - a signature vouches only for the recipient it names: a DSN sent back
#    to one subscriber's signed return path that also names another
#    address suppresses the subscriber only, the other is recorded as
#    unverified (mainlog and X-Rebound-Recipient say so); likewise a DSN
#    sent to a signed and an unsigned return path at once;
#  - without a secret the dlfunc answers the return path unchanged, and
#    an empty return path (a bounce) stays empty.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
exim_setup

head -c 32 /dev/urandom | base64 > "$S/verp.key"
chown root:Debian-exim "$S/verp.key"
chmod 640 "$S/verp.key"
cat > "$S/rebound.conf" <<CONF
verp_secret_file = $S/verp.key
require_signed_verp = yes
CONF
chmod 644 "$S/rebound.conf"
RB_DATA_ACL="  warn    set acl_m_rebound_config = $S/rebound.conf"
RB_SMTP_EXTRA='  return_path = ${dlfunc{REBOUND_SO}{rebound_return_path}{$return_path}{$local_part@$domain}}'
exim_start

f=$(make_plain signed news@rebound.test reader@remote.test)
send news@rebound.test reader@remote.test "$f" >/dev/null || fail "message to reader@remote.test not accepted"
wait_delivered signed 1 || fail "message to reader@remote.test not delivered"
# The remote side's Received: header names the envelope sender it got.
rp=$(headers_of signed | sed -n 's/^.*(envelope-from <\(rb=[^>]*\)>)$/\1/p' | head -n 1)
if printf '%s\n' "$rp" | grep -Eq '^rb=[0-9a-f]{8}[a-z2-7]{16}=news\+reader=remote\.test@rebound\.test$'; then
	ok "signed return path: $rp"
else
	fail "return path '$rp' is not signed as expected"
	headers_of signed
fi

# The remote side bounces it back to the signed return path.
f=$(make_dsn signed-bounce reader@remote.test 5.1.1 550 "<reader@remote.test>: user unknown")
send '<>' "$rp" "$f" >/dev/null || fail "DSN to the signed return path not accepted"
wait_delivered signed-bounce 1 || fail "DSN to the signed return path not delivered"
expect_ledger reader@remote.test state suppressed

# A forger does not know the secret.
f=$(make_dsn forged victim@remote.test 5.1.1 550 "<victim@remote.test>: user unknown")
send '<>' 'news+victim=remote.test@rebound.test' "$f" >/dev/null || fail "forged DSN not accepted"
wait_delivered forged 1 || fail "forged DSN not delivered"
not_in_ledger victim@remote.test
grep -q 'rebound: return path news+victim=remote.test@rebound.test not verified (unsigned)' "$MAINLOG" &&
	ok "forged DSN logged as not verified" || fail "no 'not verified' line for the forged DSN"

# A signature vouches only for the recipient it names (issue 16).
# add_final_recipient FILE ADDRESS: a second failed recipient in the DSN.
add_final_recipient() {
	awk -v r="$2" '{ print }
		/^Reporting-MTA: / { getline; print; print "Final-Recipient: rfc822; " r
			print "Action: failed"; print "Status: 5.1.1"; print "" }' \
		"$1" > "$1.new" && mv "$1.new" "$1" && chmod 644 "$1"
}
f=$(make_plain signed-sub news@rebound.test sub@remote.test)
send news@rebound.test sub@remote.test "$f" >/dev/null || fail "message to sub@remote.test not accepted"
wait_delivered signed-sub 1 || fail "message to sub@remote.test not delivered"
rp2=$(headers_of signed-sub | sed -n 's/^.*(envelope-from <\(rb=[^>]*\)>)$/\1/p' | head -n 1)
f=$(make_dsn names-two sub@remote.test 5.1.1 550 "<sub@remote.test>: user unknown")
add_final_recipient "$f" other@remote.test
send '<>' "$rp2" "$f" >/dev/null || fail "DSN naming two recipients not accepted"
wait_delivered names-two 1 || fail "DSN naming two recipients not delivered"
expect_ledger sub@remote.test state suppressed
not_in_ledger other@remote.test
headers_of names-two | grep -q '^X-Rebound-Recipient: other@remote.test; .*; state=active unverified=yes$' &&
	ok "X-Rebound-Recipient: other@remote.test unverified" ||
	{ fail "no unverified X-Rebound-Recipient for other@remote.test"; headers_of names-two; }
grep -q 'rebound: bounce recipient=other@remote.test .* state=active unverified=yes ' "$MAINLOG" &&
	ok "mainlog: other@remote.test unverified" || fail "no unverified mainlog line for other@remote.test"
# A second RCPT with a valid signature vouches for its own recipient only.
f=$(make_dsn two-rcpts victim2@remote.test 5.1.1 550 "<victim2@remote.test>: user unknown")
send '<>' "$rp,news+victim2=remote.test@rebound.test" "$f" >/dev/null ||
	fail "DSN to two return paths not accepted"
wait_delivered two-rcpts 1 || fail "DSN to two return paths not delivered"
not_in_ledger victim2@remote.test

be() { timeout 30 exim4 -C "$S/exim.conf" -be "$1" 2>/dev/null; }
r=$(be "\${dlfunc{$S/rebound.so}{rebound_return_path}{news@rebound.test}{x@example.org}}")
[ "$r" = news@rebound.test ] && ok "-be: without a secret the return path stays" ||
	fail "-be: without a secret gave '$r'"
r=$(be "<\${dlfunc{$S/rebound.so}{rebound_return_path}{}{x@example.org}}>")
[ "$r" = "<>" ] || fail "-be: an empty return path gave '$r'"

exim_finish verp
