# test-lib.sh - what the tests of the Exim module and of the Dovecot
# plugin have in common: the check lines, the waits, the state directory,
# the ledger read back with the rebound command, and another process
# holding the ledger's lock.  Sourced, not run, by tests/exim-lib.sh and
# tests/dovecot-harness.sh (so by every test and benchmark that uses
# either) and by tests/test-modules-load.sh.  The tests set $S (their
# state directory) and $DB (the ledger) before they use what needs them.

rb_top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
rb_build=${abs_top_builddir:-$rb_top}
rb_cli=$rb_build/cli/rebound
rb_hold=$rb_build/tests/hold-lock
rb_failed=0
rb_hold_pid=
rb_tdbtool_pid=

# skip WHY: the test cannot run here (exit 77: make check counts a skip).
skip() { echo "SKIP: $*"; exit 77; }

# fail WHAT / ok WHAT: one checked line; a failure makes the exit status 1.
fail() { echo "FAIL: $*"; rb_failed=1; }
ok() { echo "ok: $*"; }

# rb_need_built FILE...: a test's own helpers must be built (FAIL, not skip).
rb_need_built() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
	done
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local n=$(( $1 * 10 ))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# rb_end PID: stop a process the test started and reap it (quietly).
rb_end() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# rb_remove_state DIR: the state directory removed at the end, or kept
# (and named) with REBOUND_KEEP_TMP=1.
rb_remove_state() {
	[ -n "${1:-}" ] || return 0
	if [ "${REBOUND_KEEP_TMP:-0}" = 1 ]; then
		echo "state kept in $1"
	else
		rm -rf "$1"
	fi
}

# rb_make_ledger FILE: the ledger $DB made as an installation makes it,
# by "rebound record" of FILE (ordinary mail: nothing recorded); a test
# that cannot make it fails at once.
rb_make_ledger() {
	"$rb_cli" --db "$DB" record --quiet "$1" > "$S/init.out" 2>&1 && return 0
	cat "$S/init.out"
	echo "FAIL: rebound record (to create the ledger $DB)"
	exit 1
}

# ledger ADDRESS FIELD: one field of "rebound show --json ADDRESS"
# (true/false in lower case, null as "null"); empty when the address is
# not in the ledger.
ledger() {
	"$rb_cli" --db "$DB" show --json "$1" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
v = d.get(sys.argv[1])
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}

# not_recorded ADDRESS: the ledger does not know ADDRESS ("rebound show"
# exits 1 for an address not in the ledger, 2 for an error).
not_recorded() {
	"$rb_cli" --db "$DB" show "$1" >/dev/null 2>&1
	[ $? = 1 ]
}

# spooled: how many notices wait in the spool beside $DB.
spooled() { ls "$DB.spool" 2>/dev/null | grep -c '\.rbq$'; }

# rb_expect_batches WHAT LOG SKIP NOTICES SEEN MOST: the "batch recorded"
# lines of LOG after its first SKIP say NOTICES notices in all, SEEN of
# them seen before, in at most MOST transactions.
rb_expect_batches() {
	local what=$1 log=$2 skip=$3 notices=$4 seen=$5 most=$6 sums
	sums=$(grep -o 'rebound: batch recorded: [0-9]* notices\? ([0-9]* seen before) in [0-9]* transaction' "$log" |
		tail -n +$((skip + 1)) |
		awk '{ n += $4; s += substr($6, 2); t += $(NF - 1) } END { print n + 0, s + 0, t + 0 }')
	set -- $sums
	if [ "$1" = "$notices" ] && [ "$2" = "$seen" ] && [ "$3" -le "$most" ]; then
		ok "$what: $notices notices recorded in $3 transaction(s), $seen seen before"
	else
		fail "$what: notices, seen before, transactions = $sums"
		grep 'batch recorded' "$log"
	fi
}

# rb_hold_lock KIND [SECONDS]: tests/hold-lock holds KIND (transaction,
# lockall) of $DB's locks for SECONDS (60) in the background, as another
# writer or "rebound db check" would; false unless it has the lock
# within 10 s.  rb_release_lock ends it.
rb_hold_lock() {
	"$rb_hold" "$DB" "${2:-60}" "$1" > "$S/hold.out" 2>&1 &
	rb_hold_pid=$!
	wait_for 10 grep -q locked "$S/hold.out"
}

# rb_release_lock: the process of rb_hold_lock ends, and its lock with it.
rb_release_lock() {
	rb_end "$rb_hold_pid"
	rb_hold_pid=
}

# rb_tdbtool_hold [KEY]: tdbtool opens $DB and starts a transaction (and
# stores KEY in it), kept open through file descriptor 7 until
# rb_tdbtool_end.
rb_tdbtool_hold() {
	rm -f "$S/tdbtool.in"
	mkfifo "$S/tdbtool.in"
	tdbtool < "$S/tdbtool.in" > "$S/tdbtool.out" 2>&1 &
	rb_tdbtool_pid=$!
	exec 7> "$S/tdbtool.in"
	printf 'open %s\ntransaction_start\n' "$DB" >&7
	[ -z "${1:-}" ] || printf 'store %s x\n' "$1" >&7
	sleep 0.5
}

# rb_tdbtool_end [commit|kill]: that transaction committed, or its writer
# killed (SIGKILL) inside it; with neither, tdbtool reads the end of its
# input and leaves.
rb_tdbtool_end() {
	case ${1:-} in
	commit) printf 'transaction_commit\nquit\n' >&7 ;;
	kill) kill -9 "$rb_tdbtool_pid" ;;
	esac
	exec 7>&-
	wait "$rb_tdbtool_pid" 2>/dev/null
	rb_tdbtool_pid=
}

# rb_stop_holders: at exit, no lock holder outlives the test.
rb_stop_holders() {
	[ -n "$rb_tdbtool_pid" ] && kill -9 "$rb_tdbtool_pid" 2>/dev/null
	[ -n "$rb_hold_pid" ] && kill -9 "$rb_hold_pid" 2>/dev/null
	return 0
}
