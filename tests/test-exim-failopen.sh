#!/bin/bash
# test-exim-failopen.sh - a broken ledger or configuration never stops
# mail (tests/exim-lib.sh has the setup).  For each breakage a batch of
# messages goes through a real Exim with rebound.so: three DSNs, ordinary
# mail, a campaign message, mail through the RCPT ACL dlfunc and through
# the router dlfunc and the event dlfunc.  Count in = count out: every
# message is accepted and delivered, and rebound logs why it recorded
# nothing.
#
#  unwritable   the ledger file exists but Debian-exim may not open it
#  nodir        the ledger's directory does not exist
#  corrupt      the ledger file is not a tdb
#  locked       another process holds a transaction open (tdbtool): the
#               time budget (500 ms) ends the wait; the bounce is spooled
#  badsettings  an invalid acl_m_rebound_ setting and a missing
#               configuration file: logged, the rest still works
#  typo         a bad line in the configuration file: skipped and logged
#               once, the lines after it apply

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
command -v tdbtool >/dev/null 2>&1 || skip "tdbtool is not installed (tdb-tools)"
exim_setup

base_acl='  warn    set acl_m_rebound_time_budget_ms = 500'

# batch NAME: send the batch; count what was accepted.
batch() {
	local name=$1 n=0 accepted=0 f id
	for f in dsn-hard dsn-soft dsn-multi; do
		id=$name-$f
		msg_with_id "$id" "$rb_fixtures/$f.eml" >/dev/null
		n=$((n + 1))
		send '<>' news@rebound.test "$S/msg/$id.eml" >/dev/null && accepted=$((accepted + 1))
	done
	id=$name-plain
	msg_with_id "$id" "$rb_fixtures/ordinary.eml" >/dev/null
	n=$((n + 1))
	send alice@example.com bob@rebound.test "$S/msg/$id.eml" >/dev/null && accepted=$((accepted + 1))
	id=$name-campaign
	make_plain "$id" news@rebound.test reader@rebound.test "X-Campaign-ID: c-$name" >/dev/null
	n=$((n + 1))
	send news@rebound.test reader@rebound.test "$S/msg/$id.eml" >/dev/null && accepted=$((accepted + 1))
	id=$name-acl
	make_plain "$id" news@rebound.test reader@acl.test >/dev/null
	n=$((n + 1))
	send news@rebound.test reader@acl.test "$S/msg/$id.eml" >/dev/null && accepted=$((accepted + 1))
	id=$name-remote
	make_plain "$id" news@rebound.test reader@remote.test >/dev/null
	n=$((n + 1))
	send news@rebound.test reader@remote.test "$S/msg/$id.eml" >/dev/null && accepted=$((accepted + 1))
	SENT=$n
	ACCEPTED=$accepted
}

# count_out NAME: messages of the batch in the mbox.
count_out() {
	[ -f "$MBOX" ] || { echo 0; return; }
	grep -c "^X-Test-Id: $1-" "$MBOX"
}

# run_batch NAME LOG-PATTERN: send, then check count in = count out and
# that the mainlog explains.
run_batch() {
	local name=$1 pattern=$2 out
	batch "$name"
	if [ "$ACCEPTED" != "$SENT" ]; then
		fail "$name: $ACCEPTED of $SENT messages accepted"
		printf '%s\n' "$LAST_SWAKS" | tail -n 5
	fi
	wait_for 30 out_at_least "$name" "$SENT"
	out=$(count_out "$name")
	if [ "$out" = "$SENT" ] && [ "$ACCEPTED" = "$SENT" ]; then
		ok "$name: $SENT in, $out out"
	else
		fail "$name: $SENT sent, $ACCEPTED accepted, $out delivered"
	fi
	if grep -q "$pattern" "$MAINLOG"; then
		ok "$name: logged: $(grep -o "rebound: .*" "$MAINLOG" | grep "$pattern" | head -n 1 | cut -c1-160)"
	else
		fail "$name: no mainlog line matching '$pattern'"
	fi
	if grep -q 'local_scan() function\|dlfunc.*failed\|Temporary local problem' "$MAINLOG"; then
		fail "$name: Exim reports a local_scan or dlfunc failure"
		grep 'local_scan() function\|dlfunc.*failed' "$MAINLOG" | head -n 5
	fi
}

# restart_with DB-PATH [EXTRA-ACL-LINES]
restart_with() {
	exim_stop
	# Each batch reads a fresh mainlog (Exim creates it as Debian-exim).
	[ -f "$MAINLOG" ] && mv "$MAINLOG" "$MAINLOG.$(date +%s%N)"
	DB=$1
	RB_DATA_ACL="$base_acl${2:+
$2}"
	exim_start
}

# --- unwritable ---------------------------------------------------------------------
mkdir -p "$S/ro"
chmod 755 "$S/ro"
"$rb_cli" --db "$S/ro/rebound.tdb" record "$rb_fixtures/dsn-hard.eml" >/dev/null ||
	fail "rebound record could not create a ledger"
chown root:root "$S/ro/rebound.tdb"
chmod 600 "$S/ro/rebound.tdb"
restart_with "$S/ro/rebound.tdb"
run_batch unwritable 'rebound: bounce not recorded (.*ro/rebound.tdb: .*Permission denied'

# --- nodir -------------------------------------------------------------------------------
restart_with "$S/no/such/dir/rebound.tdb"
run_batch nodir 'rebound: bounce not recorded (.*no/such/dir/rebound.tdb'

# --- corrupt -----------------------------------------------------------------------------
python3 -c 'import sys; sys.stdout.write("this is not a tdb file\n" * 400)' > "$S/tdb/corrupt.tdb"
chown Debian-exim:Debian-exim "$S/tdb/corrupt.tdb"
chmod 660 "$S/tdb/corrupt.tdb"
cp "$S/tdb/corrupt.tdb" "$S/corrupt.orig"
restart_with "$S/tdb/corrupt.tdb"
run_batch corrupt 'rebound: bounce not recorded (.*corrupt.tdb: '
cmp -s "$S/tdb/corrupt.tdb" "$S/corrupt.orig" && ok "corrupt: the damaged file was left as it was" ||
	fail "corrupt: rebound changed the damaged file"

# --- locked -------------------------------------------------------------------------------
DB=$S/tdb/rebound.tdb
"$rb_cli" --db "$DB" record "$rb_fixtures/dsn-soft.eml" >/dev/null || fail "rebound record could not create the ledger"
chown Debian-exim:Debian-exim "$DB"
chmod 660 "$DB"
restart_with "$DB"
rb_tdbtool_hold
t0=$(date +%s)
run_batch locked 'rebound: bounce spooled (.*locked by another process for more than'
t1=$(date +%s)
rb_tdbtool_end
echo "note: the locked batch took $((t1 - t0)) s"
# Released: the next bounce is recorded again.
f=$(make_dsn after-lock released@example.net 5.1.1 550 "user unknown")
send '<>' news@rebound.test "$f" >/dev/null || fail "DSN after the lock not accepted"
wait_delivered after-lock 1 || fail "DSN after the lock not delivered"
expect_ledger released@example.net state suppressed

# --- badsettings -----------------------------------------------------------------------------
restart_with "$S/tdb/rebound.tdb" '          set acl_m_rebound_soft_limit = lots
          set acl_m_rebound_config = /nonexistent/rebound.conf'
run_batch badsettings 'rebound: configuration /nonexistent/rebound.conf'
grep -q 'rebound: .*soft_limit' "$MAINLOG" || fail "badsettings: the bad soft_limit was not logged"
expect_ledger nobody@example.com state suppressed

# --- typo -------------------------------------------------------------------------------------
# A typo in the settings file skips that line only: the lines after it
# apply (here discard_bounces, which shows in the mainlog).
printf 'soft_limt = 7\npolicy = strict\ndiscard_bounces = yes\n' > "$S/typo.conf"
chmod 644 "$S/typo.conf"
restart_with "$S/tdb/rebound.tdb" "          set acl_m_rebound_config = $S/typo.conf"
f=$(make_dsn typo typo@example.net 5.1.1 550 "user unknown")
send '<>' news@rebound.test "$f" >/dev/null || fail "typo: DSN not accepted"
if wait_for 10 grep -q 'rebound: bounce discarded' "$MAINLOG"; then
	ok "typo: the lines after the bad one apply (discard_bounces)"
else
	fail "typo: discard_bounces after the bad line did not apply"
fi
n=$(grep -c "rebound: configuration $S/typo.conf:1: unknown setting 'soft_limt'; bad lines skipped, the others apply" "$MAINLOG")
[ "$n" = 1 ] && ok "typo: the bad line logged once" ||
	fail "typo: $n log lines for the bad line, expected 1"
expect_ledger typo@example.net state suppressed

exim_finish fail-open
