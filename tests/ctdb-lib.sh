# ctdb-lib.sh - three CTDB daemons on 127.0.0.1-3 for the fleet tests
# (sourced).  Each node gets its own directory under $CTDB_TOP, run in
# CTDB's test mode as doc/platform.md (CTDB) describes: ctdbd reads no
# /etc/ctdb then, and its socket is $CTDB_TOP/nodeN/run/ctdbd.socket.

CTDBD=${CTDBD:-/usr/sbin/ctdbd}

ctdb_node_dir() { echo "$CTDB_TOP/node$1"; }

# ctdb_rebound_confs DIR CLUSTER_DB: DIR/node1.conf to node3.conf, each
# node's rebound.conf: its own ledger DIR/ledgerN.tdb, the fleet's CTDB
# database CLUSTER_DB, its name mxN and its ctdbd's socket.
ctdb_rebound_confs() {
	local n
	for n in 1 2 3; do
		cat >"$1/node$n.conf" <<EOF
db_path = $1/ledger$n.tdb
cluster_db = $2
cluster_node = mx$n
cluster_socket = $(ctdb_node_dir "$n")/run/ctdbd.socket
EOF
	done
}

# Write node N's directory (nodes file, empty event scripts, databases).
ctdb_node_setup() {
	local n=$1 b
	b=$(ctdb_node_dir "$n")
	mkdir -p "$b/events/legacy" "$b/db/volatile" "$b/db/persistent" \
		"$b/db/state" "$b/run"
	printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$b/nodes"
	: >"$b/public_addresses"
	cat >"$b/ctdb.conf" <<CONF
[logging]
	location = file:$b/log.ctdb
	log level = NOTICE
[cluster]
	node address = 127.0.0.$n
[database]
	volatile database directory = $b/db/volatile
	persistent database directory = $b/db/persistent
	state database directory = $b/db/state
[failover]
	disabled = true
[legacy]
	realtime scheduling = false
CONF
}

# In test mode ctdbd exits ("stdin closed, exiting") when its standard
# input is a pipe whose writer goes away, as a test runner's or CI's can
# be: it gets a FIFO opened read-write, which never ends.  ctdbd puts
# itself in the background and stays in our process group (--foreground
# keeps it there, as without timeout); the start is bounded all the same.
ctdb_node_start() {
	local b
	b=$(ctdb_node_dir "$1")
	[ -p "$b/stdin" ] || mkfifo "$b/stdin" || return 1
	CTDB_TEST_MODE=yes CTDB_BASE="$b" timeout --foreground -k 5 30 \
		"$CTDBD" <>"$b/stdin" >>"$b/stdout" 2>&1
}

# The ctdb tool against node N, at most CTDB_LIMIT seconds (default 30:
# a write waits about 28 s for a hung node's keepalives).
ctdb_at() {
	local n=$1
	shift
	CTDB_SOCKET="$(ctdb_node_dir "$n")/run/ctdbd.socket" \
		timeout --foreground -k 5 "${CTDB_LIMIT:-30}" ctdb "$@"
}

ctdb_node_pid() { cat "$(ctdb_node_dir "$1")/run/ctdbd.pid" 2>/dev/null; }

# Wait until node N (default: every node it sees) says OK; at most $2 s.
ctdb_wait_ok() {
	local n=$1 limit=${2:-60} i=0
	while [ $i -lt $((limit * 4)) ]; do
		if CTDB_LIMIT=10 ctdb_at "$n" nodestatus all >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# Kill node N as a crash would (SIGKILL), and wait until its event
# daemon has noticed and gone (about 2 s): a restart before that fails
# ("Failed to initialize event daemon").
ctdb_node_kill() {
	local pid i=0
	pid=$(ctdb_node_pid "$1")
	[ -n "$pid" ] || return 1
	kill -9 "$pid"
	while pgrep -f "ctdb-eventd -P $pid " >/dev/null 2>&1 &&
		[ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

# 0 when all three say OK; 2 when another fleet holds one of the
# addresses (it came up between the caller's check and our start: ctdbd
# says so in its log within milliseconds); 1 otherwise.
ctdb_start_all() {
	for n in 1 2 3; do
		ctdb_node_setup "$n"
		ctdb_node_start "$n" || return 1
	done
	sleep 1
	for n in 1 2 3; do
		grep -q "Address already in use" \
			"$(ctdb_node_dir "$n")/log.ctdb" 2>/dev/null || continue
		echo "127.0.0.$n:4379 is taken (another fleet's ctdbd?)"
		return 2
	done
	for n in 1 2 3; do
		ctdb_wait_ok "$n" 120 && continue
		# say why (the log), for the test's output
		echo "node $n not OK after 120 s; its log ends:"
		tail -n 15 "$(ctdb_node_dir "$n")/log.ctdb"
		return 1
	done
}

# Stop every node: ctdb shutdown (bounded), then SIGKILL for a node
# still there after 5 s.  Only the daemons this $CTDB_TOP started.
ctdb_stop_all() {
	local n p i pids=
	for n in 1 2 3; do
		p=$(ctdb_node_pid "$n")
		[ -n "$p" ] && pids="$pids $p"
	done
	for n in 1 2 3; do
		CTDB_LIMIT=5 ctdb_at "$n" shutdown >/dev/null 2>&1
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	return 0
}
