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

be() { timeout 30 exim4 -C "$S/exim.conf" -be "$1" 2>/dev/null; }
r=$(be "\${dlfunc{$S/rebound.so}{rebound_return_path}{news@rebound.test}{x@example.org}}")
[ "$r" = news@rebound.test ] && ok "-be: without a secret the return path stays" ||
	fail "-be: without a secret gave '$r'"
r=$(be "<\${dlfunc{$S/rebound.so}{rebound_return_path}{}{x@example.org}}>")
[ "$r" = "<>" ] || fail "-be: an empty return path gave '$r'"

[ $rb_failed = 0 ] || show_logs
[ $rb_failed = 0 ] && echo "PASS: exim verp"
exit $rb_failed
