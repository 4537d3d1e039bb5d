#!/bin/sh
# run-corpus-gate.sh - score "rebound classify --json" on the shared
# development corpus and hold it to the floors in tests/corpus-floors.txt.
#
# Run by "make corpus-gate".  The corpus is ../shared/corpus beside the
# source tree, or $REBOUND_CORPUS; the scorer is ../eval/score.py beside
# the corpus (or $REBOUND_SCORER).  Without a corpus the gate is skipped
# (exit 0).  Exit 1 when a metric is below its floor or scoring fails.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
corpus=${REBOUND_CORPUS:-$top_srcdir/../shared/corpus}

if [ ! -f "$corpus/dev.txt" ]; then
	echo "corpus gate: skipped (no ../shared/corpus)"
	exit 0
fi

abs() { (cd "$1" && pwd); }
corpus=$(abs "$corpus") || exit 1
scorer=${REBOUND_SCORER:-$corpus/../eval/score.py}
floors=$(abs "$top_srcdir/tests")/corpus-floors.txt
rebound=$(abs "$top_builddir/cli")/rebound
python=${PYTHON3:-python3}
[ -n "$python" ] || python=python3

for f in "$scorer" "$floors" "$rebound"; do
	[ -f "$f" ] || { echo "corpus gate: $f not found"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rebound-gate.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s.%N)
# File ids are relative to the corpus.  classify names the files it could
# not read and goes on, so a non-zero exit is reported but still scored.
( cd "$corpus" && "$rebound" classify --json $(grep -v '^#' dev.txt) ) \
	> "$tmp/pred.jsonl" 2> "$tmp/classify.err"
rc=$?
end=$(date +%s.%N)
if [ $rc -ne 0 ]; then
	echo "corpus gate: rebound classify exited $rc; first messages:"
	head -n 5 "$tmp/classify.err" | sed 's/^/  /'
fi

if ! ( cd "$corpus" && "$python" "$scorer" --pred "$tmp/pred.jsonl" \
		--files dev.txt ) > "$tmp/score.out" 2>&1; then
	cat "$tmp/score.out"
	echo "corpus gate: FAILED (score.py failed)"
	exit 1
fi
score=$(grep '^SCORE ' "$tmp/score.out" | tail -n 1)
if [ -z "$score" ]; then
	cat "$tmp/score.out"
	echo "corpus gate: FAILED (no SCORE line)"
	exit 1
fi

echo "$score"
awk -v s="$start" -v e="$end" \
	'BEGIN { printf "corpus gate: classify took %.2f s\n", e - s }'

# Compare every floor with the SCORE line; list all that fail.
awk -v score="$score" '
BEGIN {
	n = split(score, kv, " ")
	for (i = 2; i <= n; i++) {
		eq = index(kv[i], "=")
		if (eq > 0)
			val[substr(kv[i], 1, eq - 1)] = substr(kv[i], eq + 1)
	}
	bad = 0
	checked = 0
}
{ sub(/#.*/, "") }
NF == 0 { next }
{
	if (NF == 2) { m = $1; op = ">="; lim = $2 }
	else if (NF == 3 && ($2 == ">=" || $2 == "<=")) { m = $1; op = $2; lim = $3 }
	else { printf "corpus gate: %s:%d: cannot parse \"%s\"\n", FILENAME, FNR, $0; bad++; next }
	checked++
	if (!(m in val)) { printf "  %s: not in the SCORE line\n", m; bad++; next }
	v = val[m]
	if (v == "n/a") {
		if (op == ">=") v = 0
		else { printf "  %s = n/a, floor %s %s\n", m, op, lim; bad++; next }
	}
	if ((op == ">=" && v + 0 < lim + 0) || (op == "<=" && v + 0 > lim + 0)) {
		printf "  %s = %s, floor %s %s\n", m, val[m], op, lim
		bad++
	}
}
END {
	if (bad) { printf "corpus gate: FAILED (%d problem(s) in %d checks)\n", bad, checked; exit 1 }
	printf "corpus gate: passed (%d checks)\n", checked
}' "$floors"
