#!/bin/sh
# test-cluster.sh - a fleet of three hosts sharing events through CTDB
# (issue 20): three ctdbd on 127.0.0.1-3 in CTDB's test mode
# (tests/ctdb-lib.sh), each host with its own ledger and rebound.conf.
# A bounce on node 1 is refused on node 3 after one sync; an unbounce on
# node 3 reaches node 1; a node killed and restarted catches up; a node
# cut off ends in the state of the others (its older events arrive late
# and re-fold); the same event delivered twice counts once; a backlog
# shipped in several ptrans batches arrives whole; a sync whose ctdbd
# hangs gives up after REBOUND_CTDB_TIMEOUT seconds.
# Skipped (77) without ctdbd or as a user who cannot run it.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"
. "$top_srcdir/tests/ctdb-lib.sh"

[ -x "$CTDBD" ] && command -v ctdb >/dev/null 2>&1 ||
	{ echo "SKIP: ctdb not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: ctdbd needs root"; exit 77; }
# One fleet at a time on 127.0.0.1-3:4379.
for n in 1 2 3; do
	if (exec 3<>/dev/tcp/127.0.0.$n/4379) 2>/dev/null; then
		echo "SKIP: something listens on 127.0.0.$n:4379"
		exit 77
	fi
done

CTDB_TOP=$T/ctdb
# The daemons go on INT and TERM too (sh runs no EXIT trap on a signal).
trap 'ctdb_stop_all; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ctdb_rebound_confs "$T" rebound_test.tdb

# on N TIME ARGS...: rebound on node N.
on() {
	n=$1
	now=$2
	shift 2
	"$rebound" --config "$T/node$n.conf" --now "$now" "$@"
}
sync_node() { on "$1" "$2" cluster sync --quiet || fail "sync on node $1 exited $?"; }
sync_all() { for n in 1 2 3; do sync_node $n "$1"; done; }
may_send() { on "$1" "$2" check --quiet "$3"; echo $?; }
# state N ADDRESS TIME: state, hard count and last seen on node N.
state() {
	on "$1" "$3" show --json "$2" 2>/dev/null | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(o["state"], o["hard_count"], o["last_seen"])'
}
bounce() {	# bounce NODE ADDRESS TIME ID
	dsn "$2" failed 5.1.1 "550 5.1.1 user unknown" "$4" >"$T/$4.eml"
	on "$1" "$3" record -q "$T/$4.eml" >/dev/null ||
		fail "record on node $1 exited $?"
}

t0=2026-03-01T10:00:00Z
t1=2026-03-01T10:01:00Z
t2=2026-03-01T10:02:00Z
t3=2026-03-01T10:03:00Z
t4=2026-03-01T10:04:00Z
t5=2026-03-01T10:05:00Z
t6=2026-03-01T10:06:00Z
t7=2026-03-01T10:07:00Z

# Ledgers exist before the fleet; the first sync makes each a node.
for n in 1 2 3; do on $n $t0 db create >/dev/null || fail "db create $n"; done
ctdb_start_all
case $? in
0) ;;
2) echo "SKIP: another fleet took 127.0.0.1-3:4379 meanwhile"; exit 77 ;;
*) fail "three ctdbd did not come up"; exit 1 ;;
esac
sync_all $t0

# --- a bounce on node 1 is refused on node 3 after one sync ---
bounce 1 a@example.org $t1 a1
expect "node 3 before the sync" "$(may_send 3 $t1 a@example.org)" 0
sync_node 1 $t1
sync_node 3 $t1
expect "node 3 after one sync" "$(may_send 3 $t1 a@example.org)" 1

# --- an unbounce on node 3 reaches node 1 ---
on 3 $t2 unbounce a@example.org >/dev/null || fail "unbounce on node 3"
sync_node 3 $t2
sync_node 1 $t2
expect "node 1 after node 3's unbounce" "$(may_send 1 $t2 a@example.org)" 0

# --- the same event delivered twice counts once ---
val=$(ctdb_at 1 pfetch rebound_test.tdb mx1:000000000001)
[ -n "$val" ] || fail "node 1's first event is not in the database"
printf '"mx1:000000000001" "%s"\n' "$val" | ctdb_at 2 ptrans rebound_test.tdb
sync_all $t2
sync_all $t2
expect "hard count on node 2 after a second delivery" \
	"$(state 2 a@example.org $t2)" "active 1 2026-03-01T10:02:00Z"
# confirmed events leave the journal
on 1 $t2 cluster status >"$T/status1" || fail "status on node 1"
grep -q "waiting to be confirmed: 0" "$T/status1" ||
	fail "node 1's journal not emptied: $(cat "$T/status1")"
grep -q "^host mx3: 1 events, 0 behind" "$T/status1" ||
	fail "status: $(cat "$T/status1")"

# --- a node killed and restarted catches up ---
ctdb_node_kill 2
bounce 1 b@example.org $t3 b1
sync_node 1 $t3
on 2 $t3 cluster sync --quiet 2>"$T/err2" && fail "sync on a dead node succeeded"
[ -s "$T/err2" ] || fail "sync on a dead node said nothing"
ctdb_node_start 2 || fail "node 2 did not restart"
ctdb_wait_ok 2 60 || fail "node 2 not OK again"
sync_node 2 $t3
expect "node 2 after its restart" "$(may_send 2 $t3 b@example.org)" 1

# --- a node cut off: its older event arrives late, all end the same ---
ctdb_node_kill 3
bounce 3 d@example.org $t4 d3		# node 3, cut off, at t4
bounce 1 d@example.org $t6 d1		# node 1 at t6
sync_node 1 $t6
sync_node 2 $t6
on 2 $t7 unbounce d@example.org >/dev/null || fail "unbounce d on node 2"
sync_node 2 $t7
sync_node 1 $t7
on 3 $t7 cluster sync --quiet 2>/dev/null && fail "sync while cut off succeeded"
ctdb_node_start 3 || fail "node 3 did not restart"
ctdb_wait_ok 3 60 || fail "node 3 not OK again"
for i in 1 2; do sync_all $t7; done
want="active 2 2026-03-01T10:07:00Z"	# the unbounce, last
for n in 1 2 3; do
	expect "d on node $n" "$(state $n d@example.org $t7)" "$want"
	for a in a b; do
		expect "$a on node $n" "$(state $n $a@example.org $t7)" \
			"$(state 1 $a@example.org $t7)"
	done
done

# --- a backlog larger than one ptrans batch (1,000 keys) arrives whole ---
python3 - >"$T/big.eml" <<'PY'
print("From: MAILER-DAEMON@mx.example\nTo: news@sender.example\n"
      "Subject: failure\nMessage-ID: <big@mx.example>\nMIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; "
      "boundary=B\n\n--B\nContent-Type: text/plain\n\nfailed.\n\n--B\n"
      "Content-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; mx.example\n")
for i in range(2500):
    print(f"Final-Recipient: rfc822; big{i}@example.org\nAction: failed\n"
          "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n")
print("--B--")
PY
on 1 $t7 record -q "$T/big.eml" >/dev/null || fail "record of 2,500 on node 1"
sync_node 1 $t7
sync_node 3 $t7
for a in big0 big999 big1000 big2499; do
	expect "$a on node 3 after the backlog" "$(may_send 3 $t7 $a@example.org)" 1
done
on 1 $t7 cluster status >"$T/big1" || fail "status on node 1"
on 3 $t7 cluster status >"$T/big3" || fail "status on node 3"
head1=$(sed -n 's/^host mx1 (this host): \([0-9]*\) events.*/\1/p' "$T/big1")
[ "${head1:-0}" -ge 2500 ] || fail "node 1's head after the backlog: '$head1'"
grep -q "^host mx1: $head1 events, 0 behind here" "$T/big3" ||
	fail "node 3 after the backlog: $(cat "$T/big3")"

# --- a hung ctdbd: the sync gives up with a message, not waits for ever ---
p=$(ctdb_node_pid 2)
kill -STOP "$p"
started=$(date +%s)
REBOUND_CTDB_TIMEOUT=2 timeout 30 "$rebound" --config "$T/node2.conf" \
	--now $t7 cluster sync --quiet 2>"$T/errhung"
rc=$?
took=$(($(date +%s) - started))
kill -CONT "$p"
expect "sync with its ctdbd hung (exit)" "$rc" 2
grep -q "no answer in 2 s" "$T/errhung" ||
	fail "sync with its ctdbd hung said: $(cat "$T/errhung")"
[ "$took" -le 10 ] || fail "sync with its ctdbd hung took $took s"

[ "$failures" -eq 0 ] || exit 1
echo "cluster: ok"
