#!/bin/bash
# test-exim-dlfunc.sh - the ${dlfunc} entry points of rebound.so in a
# real Exim (tests/exim-lib.sh has the setup):
#
#  - hard DSNs for dead@acl.test and dead@remote.test go through
#    local_scan, so the ledger holds them as suppressed;
#  - RCPT ACL (rebound_suppressed): dead@acl.test gets 550, a good
#    address in the same transaction 250;
#  - router (rebound_suppressed, :fail:): dead@remote.test is failed by
#    the "suppressed" router, ok@remote.test is sent;
#  - exim -be: yes / no, and "no" without creating a missing ledger;
#  - event_action (rebound_event): a 550 at RCPT (msg:fail:delivery), a
#    452 (msg:rcpt:host:defer) are recorded, the next message to the 550
#    address stops at the router, and a delivery (msg:delivery) clears
#    a soft count.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
exim_setup
exim_start

# --- make two addresses suppressed through local_scan ------------------------

for who in acl remote; do
	f=$(make_dsn "dead-$who" "dead@$who.test" 5.1.1 550 "<dead@$who.test>: user unknown")
	send '<>' news@rebound.test "$f" >/dev/null || fail "DSN for dead@$who.test not accepted"
done
wait_delivered dead-acl 1 && wait_delivered dead-remote 1 || fail "DSNs not delivered"
grep -q 'rebound: bounce recipient=dead@acl.test .*state=suppressed' "$MAINLOG" ||
	fail "dead@acl.test not recorded as suppressed"

# --- RCPT ACL ---------------------------------------------------------------------

out=$(timeout 60 swaks --server "127.0.0.1:$P1" --from sender@rebound.test \
	--to dead@acl.test,alive@acl.test --data "@$(make_plain acl sender@rebound.test alive@acl.test)" 2>&1)
if printf '%s\n' "$out" | grep -q '^<\*\* *550 suppressed recipient'; then
	ok "RCPT ACL: dead@acl.test refused with 550"
else
	fail "RCPT ACL: dead@acl.test not refused"; printf '%s\n' "$out" | tail -n 20
fi
printf '%s\n' "$out" | grep -q '^<- *250 .*OK id=' || fail "RCPT ACL: the message to alive@acl.test was not accepted"
wait_delivered acl 1 || fail "message to alive@acl.test not delivered"
headers_of acl | grep -q '^Envelope-to: alive@acl.test$' || fail "the ACL message did not go to alive@acl.test only"

# --- router -----------------------------------------------------------------------

f=$(make_plain routed sender@rebound.test dead@remote.test)
send sender@rebound.test dead@remote.test,ok@remote.test "$f" >/dev/null ||
	fail "message to dead@ and ok@remote.test not accepted: $LAST_SWAKS"
if wait_for 20 grep -q '\*\* dead@remote.test R=suppressed: suppressed by rebound' "$MAINLOG"; then
	ok "router: dead@remote.test failed by the suppressed router"
else
	fail "router: dead@remote.test was not failed by the suppressed router"
fi
wait_for 20 grep -q '=> ok@remote.test R=outgoing T=remote_smtp' "$MAINLOG" ||
	fail "router: ok@remote.test was not sent"

# --- exim -be ----------------------------------------------------------------------

be() { timeout 30 exim4 -C "$S/exim.conf" -be "$1" 2>/dev/null; }
r=$(be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{dead@acl.test}{$DB}}")
[ "$r" = yes ] && ok "-be: dead@acl.test -> yes" || fail "-be: dead@acl.test gave '$r', expected yes"
r=$(be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{Dead@ACL.test}{$DB}}")
[ "$r" = yes ] && ok "-be: Dead@ACL.test -> yes" || fail "-be: Dead@ACL.test gave '$r', expected yes"
r=$(be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{alive@acl.test}{$DB}}")
[ "$r" = no ] && ok "-be: alive@acl.test -> no" || fail "-be: alive@acl.test gave '$r', expected no"
r=$(be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{dead@acl.test}{$S/tdb/missing.tdb}}")
[ "$r" = no ] && ok "-be: missing ledger -> no" || fail "-be: missing ledger gave '$r', expected no"
[ -e "$S/tdb/missing.tdb" ] && fail "rebound_suppressed created a missing ledger"
r=$(be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{}}")
[ "$r" = no ] || fail "-be: empty address gave '$r', expected no"
r=$(be "\${dlfunc{$S/rebound.so}{rebound_event}{msg:delivery}}")
[ "$r" = "" ] || fail "-be: rebound_event with too few arguments gave '$r', expected ''"

# --- events ---------------------------------------------------------------------

f=$(make_plain events sender@rebound.test unknown1@remote.test)
send sender@rebound.test unknown1@remote.test,full1@remote.test,fine1@remote.test "$f" >/dev/null ||
	fail "message for the event test not accepted: $LAST_SWAKS"
wait_for 20 grep -q 'rebound: event msg:fail:delivery recipient=unknown1@remote.test ' "$MAINLOG" ||
	fail "no event line for unknown1@remote.test (msg:fail:delivery)"
grep -q 'rebound: event msg:fail:delivery recipient=unknown1@remote.test .*reason=userunknown status=5.1.1 reply=550 hard=yes' "$MAINLOG" ||
	{ fail "event for unknown1@remote.test not classified as a hard userunknown"; grep 'rebound: event' "$MAINLOG"; }
wait_for 20 grep -q 'rebound: event msg:rcpt:host:defer recipient=full1@remote.test .*reason=mailboxfull status=4.2.2 reply=452 hard=no' "$MAINLOG" ||
	{ fail "no msg:rcpt:host:defer event line for full1@remote.test"; grep 'rebound: event' "$MAINLOG"; }
wait_for 20 grep -q '=> fine1@remote.test R=outgoing' "$MAINLOG" || fail "fine1@remote.test not delivered"
grep 'rebound: event' "$MAINLOG" | grep -q 'fine1@remote.test' &&
	fail "a delivery was logged as a rejection event"
# Recorded: the next message to unknown1 stops at the router.
f=$(make_plain events2 sender@rebound.test unknown1@remote.test)
send sender@rebound.test unknown1@remote.test "$f" >/dev/null || fail "second message to unknown1 not accepted"
if wait_for 20 grep -q '\*\* unknown1@remote.test R=suppressed' "$MAINLOG"; then
	ok "the recorded 550 makes the router fail the next message"
else
	fail "the next message to unknown1@remote.test was not failed by the router"
fi

expect_ledger unknown1@remote.test state suppressed
expect_ledger unknown1@remote.test last_source event
expect_ledger unknown1@remote.test last_reply 550
expect_ledger unknown1@remote.test last_sender_domain rebound.test
expect_ledger full1@remote.test delayed_count 1
expect_ledger full1@remote.test last_reason mailboxfull
expect_ledger full1@remote.test last_status 4.2.2

# A delivery (msg:delivery) clears a soft count: again@ gets a soft bounce
# through a DSN, then a message is delivered to it.
f=$(make_dsn soft-first again@remote.test 5.2.2 552 "<again@remote.test>: mailbox full")
send '<>' news@rebound.test "$f" >/dev/null || fail "soft DSN for again@remote.test not accepted"
wait_delivered soft-first 1 || fail "soft DSN for again@remote.test not delivered"
expect_ledger again@remote.test consecutive_soft 1
f=$(make_plain delivered sender@rebound.test again@remote.test)
send sender@rebound.test again@remote.test "$f" >/dev/null || fail "message to again@remote.test not accepted"
wait_for 20 ledger_is again@remote.test delivered_count 1 ||
	fail "the delivery to again@remote.test was not recorded"
expect_ledger again@remote.test delivered_count 1
expect_ledger again@remote.test consecutive_soft 0

grep -q 'rebound:.*not recorded\|rebound:.*answering no' "$MAINLOG" &&
	{ fail "rebound reported errors"; grep 'rebound:' "$MAINLOG"; }

# rebound_preload in smtp_accept_max_per_host (doc/exim.md, "What a
# bounce costs"): the daemon expands it before each fork, so it holds
# rebound.so itself; the limit it gives back is obeyed as a number, and
# local_scan in the reception process still records.
exim_stop
RB_MAIN='smtp_accept_max_per_host = ${dlfunc{REBOUND_SO}{rebound_preload}{0}}'
exim_start
f=$(make_dsn preload gone-preload@remote.test 5.1.1 550 "<gone-preload@remote.test>: no such user")
send '<>' news@rebound.test "$f" >/dev/null || fail "DSN with rebound_preload not accepted"
wait_delivered preload 1 || fail "DSN with rebound_preload not delivered"
expect_ledger gone-preload@remote.test state suppressed
grep -q "$S/rebound.so" "/proc/$exim_pid/maps" ||
	fail "the daemon did not load rebound.so through rebound_preload"
[ -s "$S/exim/log/paniclog" ] && grep -q smtp_accept_max_per_host "$S/exim/log/paniclog" &&
	fail "smtp_accept_max_per_host with rebound_preload: $(grep smtp_accept_max_per_host "$S/exim/log/paniclog" | head -1)"

exim_finish dlfunc
