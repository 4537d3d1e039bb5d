#!/bin/sh
# bench-ledger.sh - the ledger's figures: records committed per second with
# 1, 4 and 16 concurrent writers (on BENCH_DIR, default /tmp: a real disk,
# fsync included), then a size ladder (BENCH_LADDER, default "1000 100000";
# add 1000000 for the million, about 1 GB and some minutes) on
# BENCH_SIZE_DIR (default /dev/shm: the size does not depend on the disk,
# and tmpfs makes it quick): at each size the bytes per recipient, the CPU
# time of one lookup and of one more record, and the CPU time and largest
# resident memory of `rebound stats`, `list --json` and `export` over it
# (/usr/bin/time, when there).  Usage: make bench-ledger, or
#   tests/bench-ledger.sh [path/to/bench_ledger [path/to/rebound]]
bench=${1:-${top_builddir:-.}/tests/bench_ledger}
rebound=${2:-${top_builddir:-.}/cli/rebound}
dir=${BENCH_DIR:-/tmp}
size_dir=${BENCH_SIZE_DIR:-/dev/shm}
[ -d "$size_dir" ] || size_dir=$dir
per=${BENCH_NOTICES:-800}	# notices in all, split among the writers

for w in 1 4 16; do
	"$bench" -d "$dir" -w $w -n $((per / w)) || exit 1
done
for n in ${BENCH_LADDER:-1000 100000}; do
	db=$size_dir/bench-ledger-ladder.$$.tdb
	"$bench" -d "$size_dir" -w 1 -n "$n" -k "$db" || exit 1
	if [ -x /usr/bin/time ]; then
		for cmd in "stats" "list --json" "export --format csv"; do
			# shellcheck disable=SC2086
			/usr/bin/time -f "recipients=$n rebound $cmd: cpu=%U+%S s max-rss=%M KB" \
				"$rebound" --db "$db" $cmd >/dev/null 2>"$db.time"
			tail -n 1 "$db.time"
		done
	fi
	rm -f "$db" "$db.time"
done
