#!/bin/bash
# bench-exim.sh - Exim's acceptance rate over SMTP with and without
# rebound.so as local_scan, for ordinary mail, DSNs and campaign mail (a
# message with the campaign header: counted as a send).  Not part of
# "make check"; run it as root with `make bench-exim`, or from the build
# tree:
#
#   REBOUND_EXIM_MODULE=$PWD/exim/.libs/rebound.so tests/bench-exim.sh
#
# A private Exim (tests/exim-lib.sh) with queue_only, so that only
# reception is measured: SMTP, the ACLs, local_scan, the spool write.
# 8 client processes (python3 smtplib) send BENCH_MSGS messages each,
# BENCH_PER_CONN per connection (each connection is one Exim process,
# which loads rebound.so once).  Every DSN gets its own Message-ID, so
# that each one is a new record in the ledger, not a duplicate.  Besides
# msgs/s it reports the CPU time the reception processes used per
# message, which other load on the machine does not distort.  Each
# case runs BENCH_ROUNDS times, the cases taking turns (the load of a
# shared machine changes); the median rate is reported.
#
# Environment: BENCH_CLIENTS (8), BENCH_MSGS (100), BENCH_PER_CONN (10),
# BENCH_ROUNDS (5), BENCH_KINDS ("ordinary dsn campaign"), BENCH_LEDGER
# (a ledger file to start from, copied: e.g. one of a million recipients
# made by `tests/bench_ledger -n 1000000 -k FILE`; default: a new one),
# BENCH_STRACE=1 (then one more round of each kind with and without
# rebound under `strace -f -c` of the daemon: fsync, fdatasync and msync
# calls per message; the rounds under strace are not timed),
# BENCH_PRELOAD=1 (with rebound, the daemon loads rebound.so through
# rebound_preload in smtp_accept_max_per_host, doc/exim.md),
# BENCH_BATCH_MS (batch_ms for local_scan; unset: the default, batches;
# 0: each notice its own transaction, as before batches),
# REBOUND_TEST_DIR (where the state directory goes, default /tmp: e.g. a
# filesystem with a journal, where this VM's root has none).

abs_top_srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
abs_top_builddir=${abs_top_builddir:-$PWD}
REBOUND_EXIM_MODULE=${REBOUND_EXIM_MODULE:-$abs_top_builddir/exim/.libs/rebound.so}
. "$abs_top_srcdir/tests/exim-lib.sh"
RB_BATCH_MS=${BENCH_BATCH_MS-}
exim_require
exim_setup

clients=${BENCH_CLIENTS:-8}
msgs=${BENCH_MSGS:-100}
per_conn=${BENCH_PER_CONN:-10}
rounds=${BENCH_ROUNDS:-5}
kinds=${BENCH_KINDS:-ordinary dsn campaign}

if [ -n "${BENCH_LEDGER:-}" ]; then
	[ -f "$BENCH_LEDGER" ] || { echo "BENCH_LEDGER=$BENCH_LEDGER: no such file" >&2; exit 1; }
	cp "$BENCH_LEDGER" "$DB" || exit 1
	chown Debian-exim:Debian-exim "$DB"
	chmod 660 "$DB"
	echo "ledger: a copy of $BENCH_LEDGER ($(stat -c %s "$DB") bytes)"
fi
# Campaign mail: ordinary mail with the default campaign header.
{ printf 'X-Campaign-ID: bench-campaign\n'; cat "$rb_fixtures/ordinary.eml"; } > "$S/campaign.eml"
chmod 644 "$S/campaign.eml"

cat > "$S/client.py" <<'PYEOF'
import multiprocessing, smtplib, sys, time

port, sender, rcpt, template = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
clients, msgs, per_conn = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
text = open(template, encoding="utf-8").read()
lines = [l for l in text.split("\n") if not l.lower().startswith("message-id:")]

def message(client, n):
    return ("Message-ID: <bench.%d.%d.%f@client.example>\n" % (client, n, time.time())
            + "\n".join(lines)).replace("\n", "\r\n")

def run(client):
    sent = 0
    while sent < msgs:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example")
        for _ in range(min(per_conn, msgs - sent)):
            s.sendmail(sender, [rcpt], message(client, sent).encode())
            sent += 1
        s.quit()
    return sent

if __name__ == "__main__":
    start = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        total = sum(pool.map(run, range(clients)))
    elapsed = time.monotonic() - start
    print("%d %.3f" % (total, elapsed))
PYEOF

# one_round KIND: prints the rate (messages/s) of one round.
one_round() {
	local sender rcpt template out
	case $1 in
	ordinary) sender=alice@example.com; rcpt=bob@rebound.test
		  template=$rb_fixtures/ordinary.eml ;;
	dsn)      sender=; rcpt=news@rebound.test
		  template=$rb_fixtures/dsn-multi.eml ;;
	campaign) sender=news@rebound.test; rcpt=reader@rebound.test
		  template=$S/campaign.eml ;;
	esac
	out=$(python3 "$S/client.py" "$P1" "$sender" "$rcpt" "$template" \
		"$clients" "$msgs" "$per_conn") || { echo "client failed" >&2; return 1; }
	set -- $out
	[ "$1" = $((clients * msgs)) ] || { echo "only $1 messages sent" >&2; return 1; }
	python3 -c "print('%.1f' % ($1 / $2))"
}

# cpu_ticks: CPU time (user + system, clock ticks) of the daemon's reaped
# children, i.e. of the SMTP reception processes (fields 16 and 17 of
# /proc/PID/stat).  Robust against other load on the machine, unlike
# msgs/s.
cpu_ticks() {
	awk '{ print $16 + $17 }' "/proc/$exim_pid/stat"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# set_mode without|with: the configuration of the next exim_start.
set_mode() {
	RB_MAIN='queue_only = true'
	if [ "$1" = without ]; then RB_LOCAL_SCAN=no; return; fi
	RB_LOCAL_SCAN=yes
	[ "${BENCH_PRELOAD:-0}" = 1 ] &&
		RB_MAIN="$RB_MAIN"$'\n''smtp_accept_max_per_host = ${dlfunc{REBOUND_SO}{rebound_preload}{0}}'
	return 0
}

# The machine's load changes while the benchmark runs, so the cases
# take turns: each round restarts Exim without, then with rebound, and
# the next round the other way round (what runs second would otherwise
# always meet what the first left behind).  The received messages stay
# in the spool until the end: deleting a run's files just before the
# next run made that run pay for them on ext4 (its inode allocator steps
# over every inode deleted in the last minute: `recently_deleted` in
# perf, Exim's own -D and -H files, ~0.4 ms a message on this VM), and
# since "with" always came second the bias was always against rebound.
declare -A rates cpus result cpu_result ratios extra
ticks=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
	order="without with"
	[ $((r % 2)) = 0 ] && order="with without"
	for mode in $order; do
		exim_stop
		set_mode $mode
		exim_start
		for kind in $kinds; do
			c0=$(cpu_ticks)
			rate=$(one_round $kind) || exit 1
			sleep 0.5
			c1=$(cpu_ticks)
			cpu=$(python3 -c "print('%.2f' % (($c1 - $c0) * 1000.0 / $ticks / $((clients * msgs))))")
			rates[$mode-$kind]="${rates[$mode-$kind]:-} $rate"
			cpus[$mode-$kind]="${cpus[$mode-$kind]:-} $cpu"
			echo "round $r, $mode rebound, $kind: $rate msgs/s, $cpu ms CPU per message"
		done
	done
	# Within one round the load is most alike: B/A of this round, and
	# what a kind costs rebound beyond ordinary mail.
	for kind in $kinds; do
		w=${cpus[without-$kind]##* } b=${cpus[with-$kind]##* } o=${cpus[with-ordinary]:-}
		ratios[$kind]="${ratios[$kind]:-} $(python3 -c "print('%.3f' % ($b / $w))")"
		[ -n "$o" ] && extra[$kind]="${extra[$kind]:-} $(python3 -c "print('%.2f' % ($b - ${o##* }))")"
	done
done
for kind in $kinds; do
	for k in without-$kind with-$kind; do
		result[$k]=$(median ${rates[$k]})
		cpu_result[$k]=$(median ${cpus[$k]})
	done
done

# strace_round MODE KIND: one untimed round of KIND with the daemon under
# strace -f -c; prints fsync, fdatasync and msync calls per message.
strace_round() {
	exim_stop
	set_mode "$1"
	exim_start
	strace -f -c -e trace=fsync,fdatasync,msync -o "$S/strace.out" -p "$exim_pid" 2>/dev/null &
	local spid=$!
	sleep 1
	one_round "$2" >/dev/null || { kill "$spid"; return 1; }
	sleep 1
	kill -INT "$spid"
	wait "$spid" 2>/dev/null
	awk -v n=$((clients * msgs)) -v what="$1 rebound, $2" '
		$NF == "fsync" || $NF == "fdatasync" || $NF == "msync" {
			calls[$NF] = $4 }
		END { printf "syncs per message, %s: fsync %.2f fdatasync %.2f msync %.2f\n",
			what, calls["fsync"] / n, calls["fdatasync"] / n, calls["msync"] / n }
	' "$S/strace.out"
	find "$S/exim/spool/input" -type f -delete
}
if [ "${BENCH_STRACE:-0}" = 1 ]; then
	command -v strace >/dev/null 2>&1 || { echo "BENCH_STRACE=1 needs strace" >&2; exit 1; }
	for kind in $kinds; do
		for mode in without with; do
			strace_round $mode "$kind" || exit 1
		done
	done
fi

not_counted=$(grep -c 'rebound: campaign=.*not counted' "$MAINLOG")
echo "campaign messages not counted: $not_counted"
[ -f "$DB" ] &&
	"$rb_cli" --db "$DB" campaign show bench-campaign 2>/dev/null | grep -E '^(sent|state):'
recorded=$(grep -c 'rebound: bounce recipient=' "$MAINLOG")
errors=$(grep -c 'rebound: .*not recorded' "$MAINLOG")
echo "DSN recipients logged by rebound: $recorded, DSNs not recorded: $errors"
# Why, when some were not: the reason without paths and numbers.
grep -o 'rebound: .*not recorded (.*' "$MAINLOG" |
	sed 's|/[^ :]*||g; s/[0-9][0-9]*/N/g' | sort | uniq -c
for kind in $kinds; do
	python3 -c "
w, r = ${result[without-$kind]}, ${result[with-$kind]}
print('%-8s without %7.1f  with %7.1f msgs/s  change %+.1f %%' % ('$kind', w, r, (r - w) / w * 100))"
	python3 -c "
w, r = ${cpu_result[without-$kind]}, ${cpu_result[with-$kind]}
print('%-8s without %7.2f  with %7.2f ms CPU per message (Exim reception)  change %+.1f %%' % ('$kind', w, r, (r - w) / w * 100))"
	echo "$kind: CPU B/A within each round, median $(median ${ratios[$kind]}) (rounds:${ratios[$kind]})"
	[ "$kind" = ordinary ] || [ -z "${extra[$kind]:-}" ] ||
		echo "$kind: with rebound, ms CPU beyond ordinary mail within each round, median $(median ${extra[$kind]}) (rounds:${extra[$kind]})"
done
exit 0
