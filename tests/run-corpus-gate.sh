#!/bin/sh
# run-corpus-gate.sh - score "rebound classify --json" on the shared
# development corpus and hold it to the floors in tests/corpus-floors.txt.
#
# Run by "make corpus-gate".  The corpus is ../shared/corpus beside the
# source tree, or $REBOUND_CORPUS; the scorer is ../eval/score.py beside
# the corpus (or $REBOUND_SCORER).  Three measures, one set of floors:
#   - the main set (dev.txt): its SCORE line's metrics, by their names;
#   - the second source (extra.txt, extra/truth.tsv): the same metrics
#     named extra.METRIC (skipped, with its floors, when it is absent);
#   - the robustness probes listed and reencoded (tests/corpus-probes.py)
#     on both sets: the results that moved, probe_NAME_differ (NAME:
#     listed, reencoded_qp, reencoded_base64, reencoded_crlf,
#     reencoded_fold76, reencoded for their sum), extra.probe_NAME_differ.
# Without a corpus the gate is skipped (exit 0).  Exit 1 when a metric is
# beyond its floor or a measure fails.

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
	> "$tmp/pred-dev.txt.jsonl" 2> "$tmp/classify.err"
rc=$?
end=$(date +%s.%N)
if [ $rc -ne 0 ]; then
	echo "corpus gate: rebound classify exited $rc; first messages:"
	head -n 5 "$tmp/classify.err" | sed 's/^/  /'
fi

# score SET LIST TRUTH: the SCORE line of one set, its keys prefixed
# with SET (empty for the main set).
score() {
	( cd "$corpus" && "$python" "$scorer" --pred "$tmp/pred-$2.jsonl" \
		--files "$2" ${3:+--truth "$3"} ) > "$tmp/score.out" 2>&1 || {
		cat "$tmp/score.out"
		echo "corpus gate: FAILED (score.py failed on $2)"
		return 1
	}
	line=$(grep '^SCORE ' "$tmp/score.out" | tail -n 1)
	if [ -z "$line" ]; then
		cat "$tmp/score.out"
		echo "corpus gate: FAILED (no SCORE line for $2)"
		return 1
	fi
	echo "$line" | sed "s/ \([^ =]*=\)/ $1\1/g"
}

score=$(score "" dev.txt "") || { echo "$score"; exit 1; }
echo "$score"
awk -v s="$start" -v e="$end" \
	'BEGIN { printf "corpus gate: classify took %.2f s\n", e - s }'

skip=
if [ -f "$corpus/extra.txt" ]; then
	( cd "$corpus" && "$rebound" classify --json $(grep -v '^#' extra.txt) ) \
		> "$tmp/pred-extra.txt.jsonl" 2> "$tmp/classify.err"
	extra=$(score extra. extra.txt extra/truth.tsv) || { echo "$extra"; exit 1; }
	echo "$extra"
	score="$score ${extra#SCORE }"
else
	echo "corpus gate: extra set skipped (no extra.txt); its floors too"
	skip=extra.
fi

# The probes' PROBE lines become probe_NAME_differ (extra.probe_... for
# the extra set).
if ! "$python" "$top_srcdir/tests/corpus-probes.py" --probe listed,reencoded \
		--rebound "$rebound" --corpus "$corpus" > "$tmp/probes.out" 2>&1; then
	cat "$tmp/probes.out"
	echo "corpus gate: FAILED (corpus-probes.py failed)"
	exit 1
fi
grep '^PROBE ' "$tmp/probes.out"
probes=$(awk '/^PROBE / {
	for (i = 2; i <= NF; i++) {
		eq = index($i, "="); kv[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	name = kv["name"]; gsub("/", "_", name)
	printf " %sprobe_%s_differ=%s", (kv["set"] == "dev" ? "" : kv["set"] "."), name, kv["differ"]
}' "$tmp/probes.out")
score="$score$probes"

# Compare every floor with what was measured; list all that fail.
awk -v score="$score" -v skip="$skip" '
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
skip != "" && index($1, skip) == 1 { next }
{
	if (NF == 2) { m = $1; op = ">="; lim = $2 }
	else if (NF == 3 && ($2 == ">=" || $2 == "<=")) { m = $1; op = $2; lim = $3 }
	else { printf "corpus gate: %s:%d: cannot parse \"%s\"\n", FILENAME, FNR, $0; bad++; next }
	checked++
	if (!(m in val)) { printf "  %s: not measured\n", m; bad++; next }
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
