#!/bin/sh
# tests/bench-startup.sh - what a new process pays before its first bounce
# (issue 21): the wall time of `rebound classify FILE` on one small bounce
# against `cat FILE`, each started many times.  A measurement, not a test;
# "make bench-startup" runs it.
#
# With hyperfine installed it does the runs (mean and spread of each, and
# the ratio); else a shell loop times RUNS starts of each command, in
# ROUNDS alternating rounds, and prints the best round of each (the loop's
# own fork and exec are in both figures, so the difference is what counts).
# Skipped (exit 0) when neither hyperfine nor a clock in nanoseconds
# (GNU date +%N) is there.
#
# Settings: REBOUND (the binary, default $top_builddir/cli/rebound),
# BOUNCE (default tests/fixtures/classify/exim-userunknown.eml, 1.1 KB),
# RUNS (default 500), ROUNDS (default 5), TOOL (hyperfine or loop; by
# default hyperfine when installed), OTHER (a second rebound binary,
# timed beside the first: hyperfine only).
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
rebound=${REBOUND:-$top_builddir/cli/rebound}
bounce=${BOUNCE:-$top_srcdir/tests/fixtures/classify/exim-userunknown.eml}
runs=${RUNS:-500}
rounds=${ROUNDS:-5}

if [ ! -x "$rebound" ] || [ ! -r "$bounce" ]; then
	echo "bench-startup: skipped (no $rebound or no $bounce)"
	exit 0
fi
# The first run must classify, or the figure says nothing.
if ! "$rebound" classify "$bounce" >/dev/null 2>&1; then
	echo "bench-startup: $rebound classify $bounce fails" >&2
	exit 1
fi
size=$(wc -c <"$bounce" | tr -d ' ')
echo "bench-startup: $bounce ($size bytes)"

tool=${TOOL:-}
if [ -z "$tool" ]; then
	tool=loop
	if command -v hyperfine >/dev/null 2>&1; then tool=hyperfine; fi
fi
if [ "$tool" = hyperfine ]; then
	if [ -n "${OTHER:-}" ]; then
		exec hyperfine --shell=none --warmup 20 --runs "$runs" \
			"cat $bounce" "$rebound classify $bounce" \
			"$OTHER classify $bounce"
	fi
	exec hyperfine --shell=none --warmup 20 --runs "$runs" \
		"cat $bounce" "$rebound classify $bounce"
fi

now_ns() { date +%s%N; }
case $(now_ns) in
*N* | "")
	echo "bench-startup: skipped (no hyperfine, no date +%N)"
	exit 0 ;;
esac

# time_runs COMMAND...: nanoseconds for $runs starts of COMMAND.
time_runs() {
	t0=$(now_ns)
	i=0
	while [ "$i" -lt "$runs" ]; do
		"$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	echo $(($(now_ns) - t0))
}

best_cat=
best_rebound=
r=0
while [ "$r" -lt "$rounds" ]; do
	c=$(time_runs cat "$bounce")
	b=$(time_runs "$rebound" classify "$bounce")
	if [ -z "$best_cat" ] || [ "$c" -lt "$best_cat" ]; then best_cat=$c; fi
	if [ -z "$best_rebound" ] || [ "$b" -lt "$best_rebound" ]; then
		best_rebound=$b
	fi
	r=$((r + 1))
done

# Microseconds a run, from nanoseconds for $runs runs.
per_run_us() { echo $(($1 / runs / 1000)); }
cat_us=$(per_run_us "$best_cat")
rebound_us=$(per_run_us "$best_rebound")
echo "$rounds rounds of $runs runs each, best round:"
echo "  cat:              $cat_us us a run"
echo "  rebound classify: $rebound_us us a run"
echo "  difference:       $((rebound_us - cat_us)) us"
