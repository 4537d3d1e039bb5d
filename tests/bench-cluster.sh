#!/bin/bash
# bench-cluster.sh - a fleet's figures (issue 20; not a test): three ctdbd
# on 127.0.0.1-3 (tests/ctdb-lib.sh), one ledger each.  Prints the events
# per second one sync ships (node 1) and folds (nodes 2 and 3), for
# EVENTS events (default 5000) recorded on node 1 in one report, PASSES
# times (default 3; the medians are the figures), and the delay from a
# bounce recorded on node 1 to `rebound check` refusing the address on
# node 3 while every node runs `rebound cluster sync --loop --interval 1`
# (ROUNDS rounds, default 10; a round gives up after ROUND_LIMIT seconds,
# default 20, and says so).  Run as root: make bench-cluster.
#
# Every wait is bounded (each command under timeout(1), STEP_LIMIT
# seconds, default 120), and the ctdbd and the sync loops it started are
# stopped on exit, on INT and on TERM.  Exit 0 when every figure was
# measured, 1 otherwise.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
rebound=$top_builddir/cli/rebound
. "$top_srcdir/tests/ctdb-lib.sh"
EVENTS=${EVENTS:-5000}
ROUNDS=${ROUNDS:-10}
PASSES=${PASSES:-3}
ROUND_LIMIT=${ROUND_LIMIT:-20}
STEP_LIMIT=${STEP_LIMIT:-120}

[ -x "$CTDBD" ] && command -v ctdb >/dev/null 2>&1 ||
	{ echo "bench-cluster: ctdb is not installed"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench-cluster: run as root (ctdbd)"; exit 1; }
for n in 1 2 3; do	# one fleet at a time on 127.0.0.1-3:4379
	if (exec 3<>/dev/tcp/127.0.0.$n/4379) 2>/dev/null; then
		echo "bench-cluster: something listens on 127.0.0.$n:4379" \
			"(make check's test-cluster?); try again later"
		exit 1
	fi
done

T=$(mktemp -d /tmp/rebound-bench-cluster.XXXXXX) || exit 1
CTDB_TOP=$T/ctdb
loops=()
cleaned=
cleanup() {
	[ -n "$cleaned" ] && return
	cleaned=1
	# the loops are rebound itself ($! of a plain command): TERM ends
	# them between two syncs or in one; wait so none outlives us
	local p i alive
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done
	for i in $(seq 1 50); do	# at most 5 s (bash reaps them)
		alive=
		for p in "${loops[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in "${loops[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ctdb_stop_all
	rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "bench-cluster: interrupted"; exit 130' INT
trap 'echo "bench-cluster: terminated"; exit 143' TERM

ctdb_rebound_confs "$T" rebound_bench.tdb
for n in 1 2 3; do
	"$rebound" --config "$T/node$n.conf" db create >/dev/null || exit 1
done
# on N ARGS...: rebound on node N, at most STEP_LIMIT seconds.
on() {
	local n=$1
	shift
	timeout -k 5 "$STEP_LIMIT" "$rebound" --config "$T/node$n.conf" "$@"
}
# A sync that must work: its exit status and complaint otherwise.
sync_at() {
	on "$1" cluster sync --quiet && return 0
	local rc=$?
	[ $rc = 124 ] && echo "sync on node $1 timed out after $STEP_LIMIT s"
	echo "sync on node $1 failed (exit $rc)"
	exit 1
}
ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
per_s() { echo $(($1 * 1000 / ($2 > 0 ? $2 : 1))); }

# One report naming EVENTS recipients (prefix P): EVENTS events in one record.
many_eml() {
	python3 - "$EVENTS" "$1" <<'PY'
import sys
n, p = int(sys.argv[1]), sys.argv[2]
print("From: MAILER-DAEMON@mx.bench.example\nTo: news@sender.example\n"
      f"Subject: failure\nMessage-ID: <many{p}@mx.bench.example>\n"
      "MIME-Version: 1.0\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\n"
      "Content-Type: text/plain\n\nfailed.\n\n--B\n"
      "Content-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; mx.bench.example\n")
for i in range(n):
    print(f"Final-Recipient: rfc822; {p}u{i}@bench.example\nAction: failed\n"
          "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n")
print("--B--")
PY
}
# one_eml ADDRESS ID: a report naming one recipient.
one_eml() {
	printf '%s\n' "From: MAILER-DAEMON@mx.bench.example" \
		"To: news@sender.example" "Subject: failure" \
		"Message-ID: <$2@mx.bench.example>" "MIME-Version: 1.0" \
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B" \
		"" "--B" "Content-Type: text/plain" "" "failed." "" "--B" \
		"Content-Type: message/delivery-status" "" \
		"Reporting-MTA: dns; mx.bench.example" "" \
		"Final-Recipient: rfc822; $1" "Action: failed" "Status: 5.1.1" \
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown" "" "--B--"
}
# median of the arguments
median() {
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END {
		print NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

echo "bench-cluster: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	"starting three ctdbd (about 10 s)"
ctdb_start_all || { echo "ctdbd did not come up; try again later"; exit 1; }
for n in 1 2 3; do sync_at $n; done

# --- shipping and folding: one sync each, PASSES times --------------------
status=0
ships=() folds=() confirms=() idles=()
for pass in $(seq 1 "$PASSES"); do
	many_eml "p$pass" >"$T/many.eml"
	on 1 record -q "$T/many.eml" >/dev/null || { echo "record failed"; exit 1; }
	t0=$(ms); sync_at 1; t1=$(ms)
	sync_at 2; t2=$(ms)
	sync_at 3; t3=$(ms)
	sync_at 1; t4=$(ms)	# sees its events in the database: confirms
	sync_at 2; t5=$(ms)	# nothing to do: the fixed cost
	ship=$((t1 - t0)) fold2=$((t2 - t1)) fold3=$((t3 - t2))
	echo "pass $pass: $EVENTS events recorded on node 1 (one report):" \
		"ship $ship ms ($(per_s "$EVENTS" $ship)/s)," \
		"fold on node 2 $fold2 ms ($(per_s "$EVENTS" $fold2)/s)," \
		"on node 3 $fold3 ms ($(per_s "$EVENTS" $fold3)/s);" \
		"confirm $((t4 - t3)) ms; idle sync $((t5 - t4)) ms"
	ships+=($ship) folds+=($fold2 $fold3) confirms+=($((t4 - t3)))
	idles+=($((t5 - t4)))
	on 3 check --quiet "p${pass}u$((EVENTS - 1))@bench.example"
	rc=$?
	[ $rc = 1 ] || { echo "WRONG: node 3 after the fold: check exited $rc, not 1"; status=1; }
done
ship=$(median "${ships[@]}") fold=$(median "${folds[@]}")
echo "ship (one sync on node 1, median of $PASSES): $ship ms for $EVENTS events," \
	"$(per_s "$EVENTS" "$ship") events/s"
echo "fold (one sync on nodes 2 and 3, median of $((2 * PASSES))): $fold ms," \
	"$(per_s "$EVENTS" "$fold") events/s"
echo "confirm (node 1's next sync): $(median "${confirms[@]}") ms;" \
	"a sync with nothing to do: $(median "${idles[@]}") ms"

# --- delay: a bounce on node 1 to a refusal on node 3 ---------------------
# The loops are rebound itself, not a function's subshell, so cleanup's
# kill reaches them; their output goes to a file (shown on a failure).
for n in 1 2 3; do
	"$rebound" --config "$T/node$n.conf" cluster sync --loop --interval 1 \
		>"$T/loop$n.log" 2>&1 </dev/null &
	loops+=($!)
done
sleep 2
delays=() failed=0
for r in $(seq 1 "$ROUNDS"); do
	a=late$r@bench.example
	one_eml "$a" "late$r" >"$T/one.eml"
	on 1 record -q "$T/one.eml" >/dev/null ||
		{ echo "round $r: record on node 1 failed"; failed=$((failed + 1)); continue; }
	s=$(ms) deadline=$((s + ROUND_LIMIT * 1000)) rc=0
	# check: 0 may send (wait on), 1 refused (done), else an error
	while :; do
		on 3 check --quiet "$a"
		rc=$?
		[ $rc = 0 ] || break
		[ "$(ms)" -lt $deadline ] || { rc=timeout; break; }
		sleep 0.02
	done
	e=$(ms)
	case $rc in
	1) delays+=($((e - s))) ;;
	timeout)
		echo "round $r: node 3 still sends to $a after $ROUND_LIMIT s (timed out)"
		failed=$((failed + 1)) ;;
	*)
		echo "round $r: rebound check on node 3 exited $rc"
		failed=$((failed + 1)) ;;
	esac
	for i in 0 1 2; do
		kill -0 "${loops[$i]}" 2>/dev/null && continue
		echo "round $r: the sync loop of node $((i + 1)) has ended:"
		tail -n 5 "$T/loop$((i + 1)).log"
		exit 1
	done
	sleep 0.$((RANDOM % 10))	# start the next round at another phase
done
if [ $failed -gt 0 ]; then
	status=1
	for n in 1 2 3; do
		echo "node $n's sync loop, last lines:"
		tail -n 5 "$T/loop$n.log"
	done
fi
printf 'bounce recorded on node 1 to refusal on node 3 (sync every 1 s), ms:'
printf ' %s' "${delays[@]}"
echo
if [ ${#delays[@]} -gt 0 ]; then
	printf '%s\n' "${delays[@]}" | sort -n | awk -v f=$failed '
	{ a[NR] = $1 }
	END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	      printf "median %d ms, min %d ms, max %d ms over %d rounds", m, a[1], a[NR], NR
	      if (f) printf " (%d more failed or timed out)", f
	      printf "\n" }'
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
else
	echo "no round measured"
	status=1
fi
exit $status
