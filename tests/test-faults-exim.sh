#!/bin/bash
# test-faults-exim.sh - the ledger fails the way a disk can, under a real
# Exim with rebound.so (tests/exim-lib.sh), and the mail still goes
# through.  For each fault: a ledger with records made before it, then
# DSNs and ordinary mail through SMTP; every message is accepted and
# delivered (count in = count out), Exim's log says why a bounce was not
# recorded, the rebound command fails with one line naming the file, and
# once the fault is gone the records made before it are all there and
# "rebound db check" is clean (for the damaged file: on the backup).
#
#  enospc-tmpfs  the ledger on a small tmpfs that is full
#  enospc        writes, growth and syncs fail with ENOSPC (faultshim)
#  eio           the same with EIO
#  nolock        fcntl record locks fail (ENOLCK: a broken lock manager)
#  eacces        the file's owner and mode changed under the daemon
#  locked        another process holds a transaction past the budget
#  lockall       another process holds tdb_lockall (every read and write)
#                past the budget: a DSN, an RCPT-time lookup each return
#                within budget + 3 s, the DSN spooled, then recorded once
#  killed        a writer SIGKILLed inside its transaction while the
#                bounces wait for its lock
#  damaged       4 KiB in the middle of the file overwritten
. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
. "$rb_top/tests/faults-lib.sh"
fl_require
exim_setup
fl_init
FULL=$S/full
fl_cleanup() {
	mountpoint -q "$FULL" 2>/dev/null && umount "$FULL"
	exim_cleanup
}
trap fl_cleanup EXIT

# The time budget is the lock wait of local_scan and the dlfuncs.
RB_DATA_ACL='  warn    set acl_m_rebound_time_budget_ms = 1000'

# start NAME DB: Exim on ledger DB, the shim preloaded, a fresh mainlog.
start() {
	exim_stop
	[ -f "$MAINLOG" ] && mv "$MAINLOG" "$MAINLOG.$1"
	DB=$2
	export LD_PRELOAD=$FL_SHIM REBOUND_FAULTSHIM=$FL_CTL
	exim_start
	unset LD_PRELOAD REBOUND_FAULTSHIM
}

# new_ledger NAME DIR [CONFIG]: a ledger made as the administrator would
# (with CONFIG: that rebound.conf), seeded.
new_ledger() {
	local db=$2/$1.tdb
	DB=$db
	"$rb_cli" ${3:+--config "$3"} --db "$db" db create >/dev/null ||
		fail "$1: db create"
	chgrp Debian-exim "$db"
	fl_seed "$1" 3
	start "$1" "$db"
}

# The senders (not "wait" alone: Exim is a child of this shell too).
PIDS=
wait_sends() {
	local p
	for p in $PIDS; do wait "$p"; done
	PIDS=
}

# batch NAME: 3 DSNs and 2 ordinary messages, sent one after another
# (BG=1: all at once in the background, waited for by the caller).
batch() {
	local name=$1 i f
	SENT=0
	: > "$S/accepted.$name"
	for i in 1 2 3; do
		f=$(fl_dsn "$name-dsn$i" "dsn$i-$name@example.net")
		SENT=$((SENT + 1))
		( send '<>' news@rebound.test "$f" >/dev/null && echo >> "$S/accepted.$name" ) &
		PIDS="$PIDS $!"
		[ "${BG:-0}" = 1 ] || wait_sends
	done
	for i in 1 2; do
		f=$(fl_plain "$name-plain$i")
		SENT=$((SENT + 1))
		( send alice@example.com bob@rebound.test "$f" >/dev/null && echo >> "$S/accepted.$name" ) &
		PIDS="$PIDS $!"
		[ "${BG:-0}" = 1 ] || wait_sends
	done
}

count_out() {
	[ -f "$MBOX" ] || { echo 0; return; }
	grep -Ec "^X-Test-Id: $1-(dsn|plain)[0-9]\$" "$MBOX"
}

# delivered_all NAME: count in = count out, nothing crashed or timed out.
delivered_all() {
	local name=$1 acc out
	wait_sends
	acc=$(wc -l < "$S/accepted.$name")
	wait_for 30 out_at_least "$name" "$SENT"
	out=$(count_out "$name")
	if [ "$acc" = "$SENT" ] && [ "$out" = "$SENT" ]; then
		ok "$name: $SENT sent, $acc accepted, $out delivered"
	else
		fail "$name: $SENT sent, $acc accepted, $out delivered"
		show_logs
	fi
	if grep -Eq 'local_scan\(\) function (crashed|timed out)|Temporary local problem|temporarily rejected' "$MAINLOG"; then
		fail "$name: Exim reports a local_scan failure"
		grep -E 'local_scan\(\) function|Temporary local problem|temporarily rejected' "$MAINLOG" | head -n 3
	fi
}

# logged NAME: Exim's log says, for the bounces, why they were not
# recorded (or that they were spooled for later).
logged() {
	local n
	n=$(grep -Ec "rebound: bounce (not recorded|spooled) \(.*$DB" "$MAINLOG")
	if [ "$n" -ge 1 ]; then
		ok "$1: $n x logged: $(grep -Eo "rebound: bounce (not recorded|spooled).*" "$MAINLOG" | head -n 1 | cut -c1-150)"
	else
		fail "$1: no 'bounce not recorded' line naming $DB in the mainlog"
		grep 'rebound:' "$MAINLOG" | head -n 3
	fi
}

# recorded_after NAME: with the fault gone, a new bounce is recorded.
recorded_after() {
	local f
	f=$(fl_dsn "$1-after" "after-$1@example.net")
	send '<>' news@rebound.test "$f" >/dev/null || fail "$1: DSN after the fault refused"
	wait_delivered "$1-after" 1 || fail "$1: DSN after the fault not delivered"
	[ "$(fl_state "after-$1@example.net")" = suppressed ] &&
		ok "$1: the DSN after the fault is recorded" ||
		fail "$1: the DSN after the fault: state '$(fl_state "after-$1@example.net")'"
}

# shim_fault NAME ERRNO OPS: the whole check for one injected fault.
shim_fault() {
	local name=$1 h0
	new_ledger "$name" "$S/tdb"
	h0=$(fl_hits)
	fl_fault_on "$2" "$3"
	batch "$name"
	delivered_all "$name"
	logged "$name"
	fl_cli_reports "$name" env LD_PRELOAD="$FL_SHIM" REBOUND_FAULTSHIM="$FL_CTL" \
		"$rb_cli" --db "$DB" record "$(fl_dsn "$name-cli" "cli-$name@example.net")"
	fl_fault_off
	[ "$(fl_hits)" -gt "$h0" ] || fail "$name: the shim failed no call"
	fl_seeds_kept "$name"
	fl_db_check "$name"
	recorded_after "$name"
}

# --- enospc-tmpfs -----------------------------------------------------------
mkdir -p "$FULL"
if mount -t tmpfs -o size=2m,mode=2770 tmpfs "$FULL" 2>/dev/null; then
	chgrp Debian-exim "$FULL"
	# A small hash table (the default's 4 MB would not fit), so that
	# the file itself has little room to fill.
	printf 'db_hash_size = 32749\n' >"$S/small-hash.conf"
	new_ledger enospc-tmpfs "$FULL" "$S/small-hash.conf"
	# What space is left in the file system, a filler takes; then the
	# ledger fills the room it has in its file, until the CLI says no.
	dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
	i=0
	while [ $i -lt 400 ]; do
		i=$((i + 1))
		"$rb_cli" --db "$DB" record "$(fl_dsn "fill-$i" "fill$i@example.net")" \
			>/dev/null 2>"$S/fill.err" || break
	done
	if [ $i -lt 400 ] && [ "$(grep -c . "$S/fill.err")" = 1 ] && grep -qF "$DB" "$S/fill.err"; then
		ok "enospc-tmpfs: after $((i - 1)) records the CLI says: $(cat "$S/fill.err")"
	else
		fail "enospc-tmpfs: CLI after $i records: $(head -n 3 "$S/fill.err")"
	fi
	batch enospc-tmpfs
	delivered_all enospc-tmpfs
	logged enospc-tmpfs
	rm -f "$FULL/filler"
	fl_seeds_kept enospc-tmpfs
	fl_db_check enospc-tmpfs
	exim_stop
	umount "$FULL"
else
	echo "note: enospc-tmpfs not run (cannot mount a tmpfs here)"
fi

# --- injected by the shim -----------------------------------------------------
shim_fault enospc ENOSPC fallocate,pwrite,write,ftruncate,fsync,fdatasync
shim_fault eio EIO fallocate,pwrite,write,ftruncate,fsync,fdatasync
shim_fault nolock ENOLCK fcntl

# --- eacces --------------------------------------------------------------------------
new_ledger eacces "$S/tdb"
chown root:root "$DB"
chmod 600 "$DB"
batch eacces
delivered_all eacces
logged eacces
fl_cli_reports eacces setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$rb_cli" --db "$DB" db check
chown root:Debian-exim "$DB"
chmod 660 "$DB"
fl_seeds_kept eacces
fl_db_check eacces
recorded_after eacces

# --- locked --------------------------------------------------------------------------
new_ledger locked "$S/tdb"
rb_tdbtool_hold never-committed
t0=$(date +%s%N)
batch locked
delivered_all locked
t1=$(date +%s%N)
logged locked
grep -q "locked by another process" "$MAINLOG" || fail "locked: the log does not say 'locked'"
n=$(grep -c "rebound: bounce spooled (.*locked by another process.*spooled as" "$MAINLOG")
[ "$n" = 3 ] && ok "locked: the 3 bounces were spooled" ||
	fail "locked: $n of the 3 bounces logged as spooled"
echo "note: the locked batch took $(( (t1 - t0) / 1000000 )) ms"
# The rebound command waits for the lock (no budget of its own).
if timeout 3 "$rb_cli" --db "$DB" record "$(fl_dsn locked-cli cli-locked@example.net)" >/dev/null 2>&1; then
	fail "locked: the CLI recorded while another process held the transaction"
else
	ok "locked: the CLI waits for the lock (stopped by timeout 3)"
fi
rb_tdbtool_end commit
fl_seeds_kept locked
fl_db_check locked
recorded_after locked
fl_spool_replayed locked dsn1-locked@example.net dsn2-locked@example.net \
	dsn3-locked@example.net

# --- lockall ----------------------------------------------------------------------
# tests/hold-lock holds tdb_lockall, which every read and every write of
# the file waits for; local_scan and the RCPT-time dlfunc must not.
new_ledger lockall "$S/tdb"
rb_hold_lock lockall || fail "lockall: hold-lock did not lock"
f=$(fl_dsn lockall-dsn1 dsn1-lockall@example.net)
t0=$(date +%s%N)
send '<>' news@rebound.test "$f" >/dev/null || fail "lockall: the DSN was refused"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -lt 4000 ] && ok "lockall: the DSN was accepted in $ms ms (budget 1000)" ||
	fail "lockall: the DSN took $ms ms (budget 1000 + 3000)"
f=$(fl_plain lockall-rcpt)
t0=$(date +%s%N)
send alice@example.com someone@acl.test "$f" >/dev/null
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -lt 4000 ] && ok "lockall: the RCPT-time lookup answered in $ms ms" ||
	fail "lockall: the RCPT-time lookup took $ms ms (budget 1000 + 3000)"
grep -q "rebound_suppressed .*locked by another process" "$MAINLOG" ||
	fail "lockall: the lookup does not log 'locked'"
grep -q "rebound: bounce spooled (.*locked by another process.*spooled as" "$MAINLOG" &&
	ok "lockall: the DSN was spooled" || fail "lockall: the DSN was not logged as spooled"
rb_release_lock
fl_seeds_kept lockall
recorded_after lockall
fl_spool_replayed lockall dsn1-lockall@example.net

# --- killed -----------------------------------------------------------------------------
new_ledger killed "$S/tdb"
rb_tdbtool_hold never-committed
BG=1 batch killed
sleep 0.3
rb_tdbtool_end kill
delivered_all killed
n=0
for i in 1 2 3; do
	[ "$(fl_state "dsn$i-killed@example.net")" = suppressed ] && n=$((n + 1))
done
nr=$(grep -c "rebound: bounce not recorded" "$MAINLOG")
if [ $((n + nr)) = 3 ]; then
	ok "killed: of 3 bounces, $n recorded after the writer died, $nr logged as not recorded"
else
	fail "killed: $n of 3 bounces recorded and $nr logged"
fi
if tdbtool "$DB" keys 2>/dev/null | grep -q never-committed; then
	fail "killed: the killed writer's uncommitted key is in the file"
else
	ok "killed: the killed writer's transaction left nothing"
fi
fl_seeds_kept killed
fl_db_check killed

# --- damaged -------------------------------------------------------------------------
new_ledger damaged "$S/tdb"
"$rb_cli" --db "$DB" db backup "$S/damaged.backup" >/dev/null || fail "damaged: backup"
fl_damage seed2-damaged@example.net
batch damaged
delivered_all damaged
# db check reports the damage (exit 1) instead of failing on it
"$rb_cli" --db "$DB" db check > "$S/check.damaged" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "PROBLEMS" "$S/check.damaged" &&
	ok "damaged: db check exit 1: $(head -n 2 "$S/check.damaged" | tr '\n' ' ')" ||
	fail "damaged: db check exit $rc: $(head -n 3 "$S/check.damaged")"
exim_stop
cp "$S/damaged.backup" "$DB"
fl_seeds_kept damaged-restored
fl_db_check damaged-restored

exit $rb_failed
