#!/bin/bash
# test-dovecot-batch.sh - batches of notices (rebound.conf batch_ms) in a
# real Dovecot: the plugin spools a notice and LMTP answers; the batch is
# recorded in one transaction when it is due.  What must hold:
#   (b) one notice over LMTP, no further mail: in the spool right after
#       the delivery, not yet in the ledger; in the ledger within about
#       batch_ms (the plugin's timeout in the LMTP process), the spool
#       empty again;
#   a ledger the user cannot reach: the notice is stored and one line
#       says it is not recorded, as without batches;
#   (c) 30 notices and one of them again over one LMTP connection: few
#       transactions (the plugin's "batch recorded" lines), every notice
#       counted once; a suspect line ("batch: ADDR recorded as
#       suspect=yes (WHY)") once for each suspended recipient;
#   (d) the ledger locked by another process when the batch is due: the
#       mail is stored, the notice waits in the spool, and is recorded
#       once the lock is gone, with no further mail.
#
# Needs root, Dovecot, swaks, python3; skips (77) without.
# REBOUND_KEEP_TMP=1 keeps the state directory.

set -u

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/dovecot-harness.sh"
dh_require
rb_need_built "$rb_cli" "$rb_hold"
fx=$rb_top/tests/fixtures/dovecot

BATCH_MS=2000
RB_BATCH_MS=$BATCH_MS
dh_test_setup
rb_make_ledger "$fx/ordinary.eml"
grep -q "^batch_ms = $BATCH_MS\$" "$S/rebound.conf" ||
	{ echo "FAIL: the harness did not set batch_ms"; exit 1; }
dh_start || exit 1

now_ms() { date +%s%3N; }
# wait_ms MS COMMAND...: poll every 0.1 s until COMMAND succeeds or MS pass.
wait_ms() {
	local until=$(( $(now_ms) + $1 ))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -lt "$until" ] || return 1
		sleep 0.1
	done
}
is_recorded() { [ "$(ledger "$1" hard_count)" = 1 ]; }
spool_empty() { [ "$(spooled)" = 0 ]; }

# --- (b) one notice, nothing after it --------------------------------------
f=$(notice lone)
t0=$(now_ms)
dh_lmtp testuser+Bounces@rebound.test "$f"
if grep -q '<-  *250 .*Saved' "$S/swaks.out"; then
	ok "LMTP: the notice is stored"
else
	cat "$S/swaks.out"
	fail "LMTP: the notice was not accepted"
fi
if [ "$(spooled)" = 1 ] && not_recorded carol.lone@partner.example; then
	ok "right after the delivery: in the spool, not yet in the ledger"
else
	fail "right after the delivery: $(spooled) in the spool, ledger: $(ledger carol.lone@partner.example hard_count)"
fi
if wait_ms $((BATCH_MS + 5000)) is_recorded carol.lone@partner.example; then
	took=$(( $(now_ms) - t0 ))
	ok "in the ledger ${took} ms after the delivery, no further mail (batch_ms $BATCH_MS)"
	[ "$took" -le $((BATCH_MS + 3000)) ] ||
		fail "recorded only after $took ms (batch_ms $BATCH_MS)"
	spool_empty && ok "the spool is empty again" ||
		fail "$(spooled) notices still in the spool"
else
	fail "carol.lone@partner.example not in the ledger $((BATCH_MS + 5000)) ms after the delivery"
	tail -n 20 "$D/log/dovecot.log"
fi

# A ledger the user cannot reach (brokenuser's rebound_db): stored, and
# one line as without batches, no spool made beside it.
f=$(notice broken)
dh_lmtp brokenuser+Bounces@rebound.test "$f"
grep -q '<-  *250 .*Saved' "$S/swaks.out" ||
	fail "unreachable ledger: the notice was not accepted"
if grep -q 'rebound: .*not recorded: .*locked/rebound.tdb' "$D/log/dovecot.log" &&
   ! grep -q 'not queued for its batch' "$D/log/dovecot.log" &&
   [ ! -e "$S/locked/rebound.tdb.spool" ]; then
	ok "unreachable ledger: stored, one 'not recorded' line, no spool"
else
	fail "unreachable ledger: $(grep 'rebound:' "$D/log/dovecot.log" | tail -n 3)"
fi

# --- (c) many notices, few transactions, each counted once ---------------
for i in $(seq 1 30); do notice "many$i" > /dev/null; done
python3 - "$LMTP_PORT" "$S" <<'PYEOF' || fail "LMTP client failed"
import smtplib, sys
port, d = int(sys.argv[1]), sys.argv[2]
c = smtplib.LMTP('127.0.0.1', port)
# notice 7 twice: the second copy is the same notice (its Message-ID)
for i in list(range(1, 31)) + [7]:
    c.sendmail('', ['testuser+Bounces@rebound.test'],
               open('%s/notice-many%d.eml' % (d, i), 'rb').read())
c.quit()
PYEOF
all_many() {
	for i in $(seq 1 30); do is_recorded "carol.many$i@partner.example" || return 1; done
}
if wait_ms $((BATCH_MS + 8000)) all_many; then
	ok "30 notices (one of them twice) in the ledger, each hard_count 1"
	wait_ms 3000 spool_empty || fail "$(spooled) notices still in the spool"
else
	fail "not all 30 notices recorded once"
fi
# The plugin's lines for these batches (after the one of (b)): 31
# notices in all, 1 seen before, in at most 3 transactions.
rb_expect_batches batches "$D/log/dovecot.log" 1 31 1 3
# These notices (a security gateway's, from a Mimecast address) are
# suspects: suspended, not suppressed; the batch says so for each
# recipient once (not again for the notice seen before), as a notice
# recorded at once would.
suspended=0
for i in $(seq 1 30); do
	[ "$(ledger "carol.many$i@partner.example" state)" = suspended ] &&
		suspended=$((suspended + 1))
done
said=$(grep -c 'rebound: batch: carol\.many[0-9]*@partner\.example recorded as suspect=yes ([^)]*): suspended, not suppressed' "$D/log/dovecot.log")
if [ "$suspended" -gt 0 ] && [ "$said" = "$suspended" ]; then
	ok "the batch's suspect lines: $said, one for each suspended recipient"
else
	fail "suspended in the ledger: $suspended, 'batch: ... recorded as suspect=yes' lines: $said"
fi

# --- (d) the ledger locked when the batch is due --------------------------
rb_hold_lock transaction || fail "hold-lock did not lock"
f=$(notice locked)
dh_lmtp testuser+Bounces@rebound.test "$f"
grep -q '<-  *250 .*Saved' "$S/swaks.out" &&
	ok "ledger locked: the notice is stored" ||
	fail "ledger locked: the notice was not accepted"
sleep $((BATCH_MS / 1000 + 2))
if [ "$(spooled)" = 1 ] && grep -q 'not recorded now.*wait in the spool' "$D/log/dovecot.log"; then
	ok "ledger locked past batch_ms: the notice waits in the spool, one log line"
else
	fail "ledger locked: $(spooled) in the spool; log: $(grep 'rebound:' "$D/log/dovecot.log" | tail -n 3)"
fi
rb_release_lock
if wait_ms 6000 is_recorded carol.locked@partner.example; then
	ok "lock gone: the notice is recorded, no further mail"
else
	fail "carol.locked@partner.example not recorded after the lock was gone"
fi

if grep -q 'Fatal:\|Panic:' "$D/log/dovecot.log"; then
	grep 'Fatal:\|Panic:' "$D/log/dovecot.log"
	fail "Fatal or Panic in dovecot's log"
fi
[ $rb_failed = 0 ] && echo "PASS: Dovecot batches"
exit $rb_failed
