#!/bin/sh
# bench-ledger.sh - the ledger's figures: records committed per second with
# 1, 4 and 16 concurrent writers (on BENCH_DIR, default /tmp: a real disk,
# fsync included), then a size ladder (BENCH_LADDER, default "1000 100000";
# add 1000000 for the million, about 1 GB and half an hour on this 2-core
# machine) on BENCH_SIZE_DIR (default /dev/shm: the size does not depend on
# the disk, and tmpfs makes it quick).  At each size: the bytes per
# recipient, the CPU time of one lookup and of one more record, and for
# `rebound stats`, `list --json` and `export` over it the wall time, the
# CPU time and the largest resident memory (/usr/bin/time, when there),
# once with the walk in blocks (walk=blocks, what the command does) and
# once one hash chain at a time (walk=chains, REBOUND_WALK=chains: how it
# was before).  BENCH_KEEP=1 keeps each ledger of the ladder as
# BENCH_SIZE_DIR/bench-ledger-N.tdb and uses it again next time (without
# the record and lookup figures, which come from building it).
# BENCH_WRITERS=no skips the writers.  Usage: make bench-ledger, or
#   tests/bench-ledger.sh [path/to/bench_ledger [path/to/rebound]]
bench=${1:-${top_builddir:-.}/tests/bench_ledger}
rebound=${2:-${top_builddir:-.}/cli/rebound}
dir=${BENCH_DIR:-/tmp}
size_dir=${BENCH_SIZE_DIR:-/dev/shm}
[ -d "$size_dir" ] || size_dir=$dir
per=${BENCH_NOTICES:-800}	# notices in all, split among the writers

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
	if [ -x /usr/bin/time ]; then
		for cmd in "stats" "list --json" "export --format csv"; do
			for walk in blocks chains; do
				# shellcheck disable=SC2086
				REBOUND_WALK=$walk /usr/bin/time -f "recipients=$n rebound $cmd: walk=$walk wall=%e s cpu=%U+%S s max-rss=%M KB" \
					"$rebound" --db "$db" $cmd >/dev/null 2>"$db.time"
				tail -n 1 "$db.time"
			done
		done
	fi
	rm -f "$db.time"
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$db"
done
