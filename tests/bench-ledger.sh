#!/bin/sh
# bench-ledger.sh - the ledger's figures: records committed per second with
# 1, 4 and 16 concurrent writers (on BENCH_DIR, default /tmp: a real disk,
# fsync included) and the ledger's size per 100,000 recipients (100,000
# notices on BENCH_SIZE_DIR, default /dev/shm: the size does not depend on
# the disk, and tmpfs makes it quick).  Usage: make bench-ledger, or
#   tests/bench-ledger.sh [path/to/bench_ledger]
bench=${1:-${top_builddir:-.}/tests/bench_ledger}
dir=${BENCH_DIR:-/tmp}
size_dir=${BENCH_SIZE_DIR:-/dev/shm}
[ -d "$size_dir" ] || size_dir=$dir
per=${BENCH_NOTICES:-800}	# notices in all, split among the writers

for w in 1 4 16; do
	"$bench" -d "$dir" -w $w -n $((per / w)) || exit 1
done
"$bench" -d "$size_dir" -w 1 -n 100000 || exit 1
