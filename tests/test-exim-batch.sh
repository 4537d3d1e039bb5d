#!/bin/bash
# test-exim-batch.sh - batches of notices (rebound.conf batch_ms) in a
# real Exim (tests/exim-lib.sh has the setup; batch_ms 2000 here).  What
# must hold:
#   (a) a DSN: local_scan writes it to the spool (synced) and Exim
#       accepts it; right after, the spool holds it, the log says
#       state=queued and the ledger does not know the address yet; once
#       the batch is due, the next RCPT check (rebound_suppressed, the
#       first lookup of its process) records it first and refuses the
#       address, and `rebound show` shows it suppressed; the log then
#       says so for the recipient ("batch: ... state=suppressed");
#   (c) 30 DSNs and one of them again, in one SMTP connection: recorded
#       in few transactions (the "batch recorded" log lines), each
#       counted once;
#   (d) the ledger locked by another process: DSNs are still accepted at
#       once, the due batch's replay fails in one log line, nothing is
#       lost: once the lock is gone the next RCPT check records them.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
rb_need_built "$rb_hold"
BATCH_MS=2000
RB_BATCH_MS=$BATCH_MS
exim_setup
# The ledger made at installation (with none, local_scan records the
# first notice at once: it creates the file).
rb_make_ledger "$rb_fixtures/ordinary.eml"
chown Debian-exim:Debian-exim "$DB"
exim_start

# rcpt_check ADDRESS: the reply to RCPT TO:<ADDRESS> in a new connection
# (a new Exim process, whose first lookup this is).
rcpt_check() {
	printf 'EHLO client.example\r\nMAIL FROM:<sender@rebound.test>\r\nRCPT TO:<%s>\r\nQUIT\r\n' "$1" |
		timeout 30 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
for line in sys.stdin.buffer.read().split(b"\r\n")[:-1]:
    s.sendall(line + b"\r\n")
    while True:
        r = f.readline().decode()
        if r[3:4] != "-":
            break
    if line.startswith(b"RCPT"):
        print(r.strip())
' "$P1"
}

# --- (a) one DSN, recorded when its batch is due ----------------------------
f=$(make_dsn lone dead@acl.test 5.1.1 550 "<dead@acl.test>: user unknown")
send '<>' news@rebound.test "$f" >/dev/null || fail "(a) DSN not accepted: $LAST_SWAKS"
t0=$(date +%s%3N)
n=$(spooled)
if [ "$n" = 1 ] && not_recorded dead@acl.test; then
	ok "(a) right after acceptance: in the spool, not yet in the ledger"
else
	fail "(a) right after acceptance: $n in the spool, ledger: $(show dead@acl.test)"
fi
grep -q 'rebound: bounce recipient=dead@acl.test .*state=queued' "$MAINLOG" &&
	ok "(a) the log says state=queued" || fail "(a) no state=queued line"
wait_delivered lone 1 || fail "(a) the DSN was not delivered"
grep -q '^X-Rebound-Recipient: dead@acl.test;.*state=queued' "$MBOX" ||
	fail "(a) no X-Rebound-Recipient header with state=queued"
# Before the batch is due the lookup sees nothing yet; after, it records
# the batch first.
sleep $(python3 -c "print(max(0, ($t0 + $BATCH_MS + 300 - $(date +%s%3N)) / 1000))")
r=$(rcpt_check dead@acl.test)
case $r in
550*suppressed*) ok "(a) RCPT check after batch_ms: $r" ;;
*) fail "(a) RCPT check after batch_ms: '$r', expected 550 suppressed" ;;
esac
[ "$(ledger dead@acl.test state)" = suppressed ] &&
	ok "(a) rebound show: suppressed" || fail "(a) rebound show: $(show dead@acl.test)"
[ "$(spooled)" = 0 ] || fail "(a) $(spooled) notices still in the spool"
grep -q 'rebound: batch recorded: 1 notice (0 seen before) in 1 transaction' "$MAINLOG" ||
	fail "(a) no 'batch recorded' line"
# What became of the queued recipient, once recorded: its own line, with
# the state the ledger gave it and the notice's Message-ID.
grep -q 'rebound: batch: bounce recipient=dead@acl.test action=failed .*state=suppressed campaign=.* notice=<lone' "$MAINLOG" &&
	ok "(a) the batch's log line: dead@acl.test state=suppressed" ||
	fail "(a) no 'batch: ... recipient=dead@acl.test ... state=suppressed' line: $(grep 'rebound: batch:' "$MAINLOG" | head -3)"

# --- (c) many DSNs in one connection, few transactions, each once --------------
for i in $(seq 1 30); do
	make_dsn "many$i" "many$i@remote.test" 5.1.1 550 "<many$i@remote.test>: user unknown" >/dev/null
done
before=$(grep -c 'rebound: batch recorded' "$MAINLOG")
python3 - "$P1" "$S/msg" <<'PYEOF' || fail "(c) SMTP client failed"
import smtplib, sys
port, d = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example")
# many7 twice: the same notice (its Message-ID) a second time
for i in list(range(1, 31)) + [7]:
    s.sendmail("", ["news@rebound.test"], open("%s/many%d.eml" % (d, i), "rb").read())
s.quit()
PYEOF
sleep $((BATCH_MS / 1000 + 1))
rcpt_check someone@acl.test >/dev/null	# the lookup that records a due batch
all_once() {
	for i in $(seq 1 30); do
		[ "$(ledger "many$i@remote.test" hard_count)" = 1 ] || return 1
	done
}
if wait_for 10 all_once; then
	ok "(c) 30 DSNs (one of them twice) in the ledger, each hard_count 1"
else
	fail "(c) not every DSN counted once"
fi
rb_expect_batches "(c)" "$MAINLOG" "$before" 31 1 3
# One line per recorded recipient, with its state (suppressed, or
# suspended as a suspect once so many of one domain came at once); the
# notice sent twice is told as seen before the second time.
lines=$(grep -c 'rebound: batch: bounce recipient=many[0-9]*@remote.test .*state=\(suppressed\|suspended suspect=yes why="domain-burst"\) ' "$MAINLOG")
dups=$(grep 'rebound: batch: bounce recipient=many7@remote.test ' "$MAINLOG" | grep -c 'duplicate=yes')
if [ "$lines" = 31 ] && [ "$dups" = 1 ]; then
	ok "(c) 31 'batch:' lines, many7's second one duplicate=yes"
else
	fail "(c) 'batch:' lines: $lines (expected 31), many7 duplicate=yes: $dups (expected 1)"
fi

# --- (d) the ledger locked ------------------------------------------------------
rb_hold_lock transaction || fail "(d) hold-lock did not lock"
for who in locked1 locked2; do
	f=$(make_dsn "$who" "$who@acl.test" 5.1.1 550 "<$who@acl.test>: user unknown")
	s0=$(date +%s%3N)
	send '<>' news@rebound.test "$f" >/dev/null || fail "(d) DSN for $who not accepted"
	took=$(( $(date +%s%3N) - s0 ))
	[ "$took" -lt 1500 ] || fail "(d) accepting the DSN for $who took $took ms"
	# the second finds the first due and cannot record it: one line
	[ $who = locked1 ] && sleep $((BATCH_MS / 1000 + 1))
done
n=$(spooled)
if [ "$n" = 2 ] && grep -q 'rebound: batch not recorded now (.*locked by another process.*); its notices wait in the spool' "$MAINLOG"; then
	ok "(d) locked: both DSNs accepted, both wait in the spool, one log line"
else
	fail "(d) locked: $n in the spool; $(grep 'rebound: batch' "$MAINLOG" | tail -n 2)"
fi
rb_release_lock
r=$(rcpt_check locked2@acl.test)
case $r in
550*suppressed*) ok "(d) lock gone: the next RCPT check records them: $r" ;;
*) fail "(d) lock gone: RCPT check '$r', expected 550 suppressed" ;;
esac
[ "$(ledger locked1@acl.test hard_count)" = 1 ] && [ "$(spooled)" = 0 ] &&
	ok "(d) nothing lost" || fail "(d) locked1: $(show locked1@acl.test); $(spooled) in the spool"

# Under -C, "exim user lost privilege" is expected in the panic log.
if [ -f "$S/exim/log/paniclog" ] &&
   grep -v 'lost privilege for using -C option' "$S/exim/log/paniclog" | grep -q .; then
	fail "unexpected lines in exim's panic log"
fi
exim_finish batches
