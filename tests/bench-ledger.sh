#!/bin/sh
# bench-ledger.sh - the ledger's figures: records committed per second with
# 1, 4 and 16 concurrent writers (on BENCH_DIR, default /tmp: a real disk,
# fsync included), then a size ladder (BENCH_LADDER, default "1000 100000";
# add 1000000 for the million, about 1 GB and half an hour on this 2-core
# machine) on BENCH_SIZE_DIR (default /dev/shm: the size does not depend on
# the disk, and tmpfs makes it quick).  At each size: the bytes per
# recipient, the CPU time of one lookup and of one more record and where
# tdb spends it (bench_ledger -m on a copy, again after db repack), and for
# `rebound stats`, `list` (the table, sorted), `list --json` and `export`
# over it the wall time, the CPU time and the largest resident memory
# (/usr/bin/time, when there),
# once with the walk in blocks (walk=blocks, what the command does) and
# once one hash chain at a time (walk=chains, REBOUND_WALK=chains: how it
# was before).  Then the wall time of `rebound record` (one new notice, a
# process each, 30 of them) alone, and while `stats` runs over and over
# with either walk: how long a report holds writers up.  BENCH_KEEP=1
# keeps each ledger of the ladder as
# BENCH_SIZE_DIR/bench-ledger-N.tdb and uses it again next time (its
# record and lookup figures then come from the copy alone).
# BENCH_WRITERS=no skips the writers.  Usage: make bench-ledger, or
#   tests/bench-ledger.sh [path/to/bench_ledger [path/to/rebound]]
bench=${1:-${top_builddir:-.}/tests/bench_ledger}
rebound=${2:-${top_builddir:-.}/cli/rebound}
dir=${BENCH_DIR:-/tmp}
size_dir=${BENCH_SIZE_DIR:-/dev/shm}
[ -d "$size_dir" ] || size_dir=$dir
per=${BENCH_NOTICES:-800}	# notices in all, split among the writers

# notice ADDRESS: a bounce notice about it (a message id of its own)
notice() {
	cat <<EOM
From: Mail Delivery System <MAILER-DAEMON@mx.bench.example>
To: news@sender.example
Subject: Delivery Status Notification
Message-ID: <$1.notice@mx.bench.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Delivery to $1 failed.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.bench.example

Final-Recipient: rfc822; $1
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B--
EOM
}

if [ "${BENCH_WRITERS:-yes}" != no ]; then
	for w in 1 4 16; do
		"$bench" -d "$dir" -w $w -n $((per / w)) || exit 1
	done
fi
for n in ${BENCH_LADDER:-1000 100000}; do
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		db=$size_dir/bench-ledger-$n.tdb
	else
		db=$size_dir/bench-ledger-ladder.$$.tdb
	fi
	if [ -s "$db" ]; then
		echo "recipients=$n ledger $db used again"
	else
		"$bench" -d "$size_dir" -w 1 -n "$n" -k "$db" || exit 1
	fi
	size=$(wc -c < "$db")
	echo "recipients=$n bytes=$size bytes-per-recipient=$((size / n))"
	# The lookup and record CPU and where tdb spends it (bench_ledger -m),
	# on a copy (a kept ledger is measured as well as a new one), then on
	# the same copy after db repack (free list and hash chains rewritten).
	cp "$db" "$db.cost" || exit 1
	"$bench" -n "$n" -m "$db.cost" || exit 1
	"$rebound" --db "$db.cost" db repack >/dev/null || exit 1
	"$bench" -n "$n" -m "$db.cost" | sed "s/^recipients=$n /recipients=$n after-repack /"
	rm -f "$db.cost"
	if [ -x /usr/bin/time ]; then
		for cmd in "stats" "list" "list --json" "export --format csv"; do
			for walk in blocks chains; do
				# shellcheck disable=SC2086
				# A command that fails has no figure (its time
				# would look like a fast run).
				if REBOUND_WALK=$walk /usr/bin/time -f "recipients=$n rebound $cmd: walk=$walk wall=%e s cpu=%U+%S s max-rss=%M KB" \
					"$rebound" --db "$db" $cmd >/dev/null 2>"$db.time"; then
					tail -n 1 "$db.time"
				else
					echo "recipients=$n rebound $cmd: walk=$walk FAILED: $(head -n 1 "$db.time")"
				fi
			done
		done
	fi
	for walk in none blocks chains; do
		rm -f "$db.stop"
		if [ $walk != none ]; then
			(while [ ! -e "$db.stop" ]; do
				REBOUND_WALK=$walk "$rebound" --db "$db" stats >/dev/null
			done) &
			reader=$!
			sleep 0.5
		fi
		i=0 sum=0 max=0
		while [ $i -lt 30 ]; do
			notice "lat$i.$walk.$$@example.org" > "$db.eml"
			t0=$(date +%s%N)
			"$rebound" --db "$db" record -q "$db.eml" >/dev/null ||
				echo "recipients=$n rebound record: FAILED"
			t1=$(date +%s%N)
			ms=$(( (t1 - t0) / 1000000 ))
			sum=$((sum + ms))
			[ $ms -gt $max ] && max=$ms
			i=$((i + 1))
		done
		touch "$db.stop"
		[ $walk = none ] || wait $reader
		echo "recipients=$n rebound record while stats loops: walk=$walk mean=$((sum / 30)) ms max=$max ms"
	done
	rm -f "$db.time" "$db.stop" "$db.eml"
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$db"
done
