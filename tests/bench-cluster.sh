#!/bin/bash
# bench-cluster.sh - a fleet's figures (issue 20; not a test): three ctdbd
# on 127.0.0.1-3 (tests/ctdb-lib.sh), one ledger each.  Prints the events
# per second one sync ships (node 1) and folds (nodes 2 and 3), for
# EVENTS events (default 5000) recorded on node 1, and the delay from a
# bounce recorded on node 1 to `rebound check` refusing the address on
# node 3 while every node runs `rebound cluster sync --loop --interval 1`
# (ROUNDS rounds, default 10).  Run as root: make bench-cluster.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
rebound=$top_builddir/cli/rebound
. "$top_srcdir/tests/ctdb-lib.sh"
EVENTS=${EVENTS:-5000}
ROUNDS=${ROUNDS:-10}

T=$(mktemp -d /tmp/rebound-bench-cluster.XXXXXX) || exit 1
CTDB_TOP=$T/ctdb
loops=()
cleanup() {
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done
	ctdb_stop_all
	rm -rf "$T"
}
trap cleanup EXIT

for n in 1 2 3; do
	cat >"$T/node$n.conf" <<EOF
db_path = $T/ledger$n.tdb
cluster_db = rebound_bench.tdb
cluster_node = mx$n
cluster_socket = $CTDB_TOP/node$n/run/ctdbd.socket
EOF
	"$rebound" --config "$T/node$n.conf" db create >/dev/null || exit 1
done
on() { n=$1; shift; "$rebound" --config "$T/node$n.conf" "$@"; }
ms() { date +%s%N | cut -c1-13; }

# One report naming EVENTS recipients: EVENTS events in one record.
python3 - "$EVENTS" >"$T/many.eml" <<'PY'
import sys
n = int(sys.argv[1])
print("From: MAILER-DAEMON@mx.bench.example\nTo: news@sender.example\n"
      "Subject: failure\nMessage-ID: <many@mx.bench.example>\n"
      "MIME-Version: 1.0\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\n"
      "Content-Type: text/plain\n\nfailed.\n\n--B\n"
      "Content-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; mx.bench.example\n")
for i in range(n):
    print(f"Final-Recipient: rfc822; u{i}@bench.example\nAction: failed\n"
          "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n")
print("--B--")
PY

ctdb_start_all || { echo "ctdbd did not come up"; exit 1; }
for n in 1 2 3; do on $n cluster sync --quiet || exit 1; done

on 1 record -q "$T/many.eml" >/dev/null || exit 1
t0=$(ms); on 1 cluster sync --quiet || exit 1; t1=$(ms)
on 2 cluster sync --quiet || exit 1; t2=$(ms)
on 3 cluster sync --quiet || exit 1; t3=$(ms)
on 1 cluster sync --quiet || exit 1; t4=$(ms)	# confirms
ship=$((t1 - t0)); fold2=$((t2 - t1)); fold3=$((t3 - t2))
echo "events: $EVENTS recorded on node 1"
echo "ship (node 1, one sync): $ship ms, $((EVENTS * 1000 / (ship > 0 ? ship : 1))) events/s"
echo "fold (node 2): $fold2 ms, $((EVENTS * 1000 / (fold2 > 0 ? fold2 : 1))) events/s"
echo "fold (node 3): $fold3 ms, $((EVENTS * 1000 / (fold3 > 0 ? fold3 : 1))) events/s"
echo "confirm (node 1, next sync): $((t4 - t3)) ms"
on 3 check --quiet u$((EVENTS - 1))@bench.example && echo "WRONG: node 3 still sends"

for n in 1 2 3; do
	on $n cluster sync --loop --interval 1 --quiet &
	loops+=($!)
done
sleep 2
delays=()
for r in $(seq 1 "$ROUNDS"); do
	a=late$r@bench.example
	sed "s/u0@bench.example/$a/; s/<many@/<late$r@/" "$T/many.eml" |
		python3 -c '
import sys
t = sys.stdin.read()
head, _, rest = t.partition("Reporting-MTA")
blocks = rest.split("\n\n")
print(head + "Reporting-MTA" + blocks[0] + "\n\n" + blocks[1] + "\n\n--B--")' >"$T/one.eml"
	s=$(ms)
	on 1 record -q "$T/one.eml" >/dev/null || exit 1
	while on 3 check --quiet "$a"; do sleep 0.02; done
	e=$(ms)
	delays+=($((e - s)))
	sleep 0.$((RANDOM % 10))
done
printf 'bounce on node 1 to refusal on node 3 (sync every 1 s), ms:'
printf ' %s' "${delays[@]}"
echo
printf '%s\n' "${delays[@]}" | sort -n | awk '{a[NR]=$1} END {
	printf "median %d ms, max %d ms over %d rounds\n", a[int((NR+1)/2)], a[NR], NR }'
