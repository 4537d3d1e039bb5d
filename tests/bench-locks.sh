#!/bin/bash
# bench-locks.sh - the figures of issue 16 item 3 (not a test; `make
# bench-locks`, root, a private Exim from tests/exim-lib.sh):
#
#  1. another process holds tdb_lockall for LOCK_SECONDS (36): one DSN
#     and one RCPT-time lookup (rebound_suppressed) after another through
#     Exim meanwhile; the longest any took, how many DSNs were spooled,
#     and, once the lock is gone and one more DSN arrived, how many of
#     them are in the ledger (each once).
#  2. `rebound db check` on a ledger of RECORDS (100000) recipients,
#     with DSNs going through meanwhile: how long the check ran and the
#     longest any DSN took.
#  3. `rebound db repack` of that ledger while DSNs go through Exim and
#     a loop of `rebound record` writes other bounces: how long the
#     repack held the lock (its own figures), the longest DSN and the
#     longest `rebound record` meanwhile, how many were spooled, and
#     whether every bounce written meanwhile is in the repacked ledger.
# The time budget is 2000 ms (the default).
. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
. "$rb_top/tests/faults-lib.sh"
fl_require
LOCK_SECONDS=${LOCK_SECONDS:-36}
RECORDS=${RECORDS:-100000}
exim_setup
fl_init
trap 'exim_cleanup' EXIT
mkdir -p "$S/tdb"
chgrp Debian-exim "$S/tdb"
chmod 2770 "$S/tdb"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- 1: tdb_lockall held -------------------------------------------------------
DB=$S/tdb/lockall.tdb
"$rb_cli" --db "$DB" db create >/dev/null
chgrp Debian-exim "$DB"
exim_start
rb_hold_lock lockall "$LOCK_SECONDS" || { echo "hold-lock did not lock"; exit 1; }
t_hold=$(date +%s%N)
max_dsn=0 max_rcpt=0 n=0
while [ "$(ms_since "$t_hold")" -lt $(( LOCK_SECONDS * 1000 - 3000 )) ]; do
	n=$((n + 1))
	f=$(fl_dsn "lock-dsn$n" "lock$n@example.net")
	t0=$(date +%s%N)
	send '<>' news@rebound.test "$f" >/dev/null || echo "DSN $n refused"
	ms=$(ms_since "$t0"); [ $ms -gt $max_dsn ] && max_dsn=$ms
	f=$(fl_plain "lock-rcpt$n")
	t0=$(date +%s%N)
	send alice@example.com "someone$n@acl.test" "$f" >/dev/null
	ms=$(ms_since "$t0"); [ $ms -gt $max_rcpt ] && max_rcpt=$ms
done
wait "$rb_hold_pid"
rb_hold_pid=
spooled=$(grep -c "rebound: bounce spooled (.*locked by another process" "$MAINLOG")
f=$(fl_dsn lock-after after@example.net)
send '<>' news@rebound.test "$f" >/dev/null
wait_delivered lock-after 1
left=$(find "$DB.spool" -name '*.rbq' 2>/dev/null | wc -l)
once=0
for i in $(seq 1 $n); do
	c=$("$rb_cli" --db "$DB" show --json "lock$i@example.net" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["hard_count"])' 2>/dev/null)
	[ "$c" = 1 ] && once=$((once + 1))
done
echo "lockall ${LOCK_SECONDS}s: $n DSNs and $n RCPT lookups through Exim while held"
echo "  longest DSN (SMTP transaction, swaks included): $max_dsn ms"
echo "  longest RCPT-time lookup transaction: $max_rcpt ms"
echo "  DSNs spooled: $spooled; recorded once each afterwards: $once of $n; left in the spool: $left"

# --- 2: db check on a large ledger -----------------------------------------------
DB2=$S/tdb/large.tdb
echo "building a ledger of $RECORDS recipients (rebound record, one transaction each) ..."
python3 - "$S/large.mbox" "$RECORDS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
                "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"
                "To: news@rebound.test\nSubject: Undelivered Mail Returned to Sender\n"
                f"Message-ID: <big{i}@mx.example>\n"
                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
                "--b\nContent-Type: text/plain\n\nfailed\n\n"
                "--b\nContent-Type: message/delivery-status\n\n"
                "Reporting-MTA: dns; mx.example\n\n"
                f"Final-Recipient: rfc822; big{i}@example.org\n"
                "Action: failed\nStatus: 5.1.1\n"
                "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--b--\n\n")
PY
# built on a tmpfs when there is one (no fsync cost), then copied
shm=$(mktemp -d /dev/shm/rebound-bench.XXXXXX 2>/dev/null || mktemp -d)
"$rb_cli" --db "$shm/large.tdb" record -q "$S/large.mbox" >/dev/null || echo "record exited $?"
cp "$shm/large.tdb" "$DB2"
rm -rf "$shm"
chgrp Debian-exim "$DB2"; chmod 660 "$DB2"
DB=$DB2
exim_stop
exim_start
# dsns_while PID NAME: DSNs through Exim, one after another, while PID
# runs (to NAME1@example.net, NAME2@...); $sent of them, the longest
# $longest ms.
dsns_while() {
	local f t0 ms
	sent=0 longest=0
	while kill -0 "$1" 2>/dev/null; do
		sent=$((sent + 1))
		f=$(fl_dsn "$2-dsn$sent" "$2$sent@example.net")
		t0=$(date +%s%N)
		send '<>' news@rebound.test "$f" >/dev/null
		ms=$(ms_since "$t0"); [ $ms -gt $longest ] && longest=$ms
	done
}
# dsns_beside NAME ARGS...: "rebound --db $DB2 ARGS" in the background
# (its output in $S/NAME.out), dsns_while it runs; it took $took ms.
dsns_beside() {
	local name=$1 pid t
	shift
	"$rb_cli" --db "$DB2" "$@" > "$S/$name.out" 2>&1 &
	pid=$!
	t=$(date +%s%N)
	dsns_while "$pid" "$name"
	wait "$pid"
	took=$(ms_since "$t")
}
# the same DSN path without the check, for comparison
base=0
for i in 1 2 3; do
	f=$(fl_dsn "base-dsn$i" "base$i@example.net")
	t0=$(date +%s%N)
	send '<>' news@rebound.test "$f" >/dev/null
	ms=$(ms_since "$t0"); [ $ms -gt $base ] && base=$ms
done
spooled0=$(grep -c "rebound: bounce spooled" "$MAINLOG")
dsns_beside check db check
m=$sent max2=$longest
echo "db check on $RECORDS recipients: $took ms ($(head -n 1 "$S/check.out" | cut -c1-100))"
echo "  $m DSNs meanwhile, longest: $max2 ms (without the check: $base ms);" \
	"spooled: $(( $(grep -c "rebound: bounce spooled" "$MAINLOG") - spooled0 ))"

# --- 3: db repack while writers go on --------------------------------------------
mkdir -p "$S/loop"
for i in $(seq 1 400); do
	cp "$(fl_dsn "loop$i" "loop$i@example.net")" "$S/loop/$i.eml"
done
# the loop: `rebound record` of one DSN after another until told to stop
( maxr=0 r=0
  for i in $(seq 1 400); do
	[ -e "$S/loop.stop" ] && break
	t0=$(date +%s%N)
	"$rb_cli" --db "$DB2" record -q "$S/loop/$i.eml" >/dev/null
	ms=$(ms_since "$t0"); [ $ms -gt $maxr ] && maxr=$ms
	r=$((r + 1))
  done
  echo "$r $maxr" > "$S/loop.out" ) &
loop=$!
sleep 1
spooled0=$(grep -c "rebound: bounce spooled" "$MAINLOG")
dsns_beside repack db repack
k=$sent max3=$longest ms_repack=$took
sleep 1
touch "$S/loop.stop"
wait "$loop"
read -r loops maxr < "$S/loop.out"
f=$(fl_dsn repack-after repack-after@example.net)
send '<>' news@rebound.test "$f" >/dev/null
wait_delivered repack-after 1
missing=0
for i in $(seq 1 "$loops"); do
	"$rb_cli" --db "$DB2" show "loop$i@example.net" >/dev/null 2>&1 ||
		missing=$((missing + 1))
done
for i in $(seq 1 "$k"); do
	"$rb_cli" --db "$DB2" show "repack$i@example.net" >/dev/null 2>&1 ||
		missing=$((missing + 1))
done
echo "db repack of $RECORDS recipients: $ms_repack ms"
sed 's/^/  /' "$S/repack.out"
echo "  $k DSNs through Exim meanwhile, longest: $max3 ms; spooled:" \
	"$(( $(grep -c "rebound: bounce spooled" "$MAINLOG") - spooled0 ))"
echo "  $loops rebound record meanwhile (before, during and after), longest: $maxr ms"
echo "  written meanwhile and missing from the repacked ledger: $missing"
"$rb_cli" --db "$DB2" db check | head -n 1 | sed 's/^/  /'
