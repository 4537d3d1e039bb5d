#!/bin/sh
# compare-output.sh - does a change leave classification exactly as it was?
#
#   tests/compare-output.sh OLD_REBOUND NEW_REBOUND
#
# Runs both binaries over the same inputs and compares their output byte
# for byte: "classify --json" over both development sets (../shared/corpus
# dev.txt and extra.txt, when present), "explain" over every fixture
# message the project wrote (tests/fixtures, tests/../samples), and the
# robustness variants (tests/corpus-variants.py --verbose, each drop).
# For refactors that must not change behaviour.  Prints one line per
# input set, "same" or "DIFFERS" (with the first lines of the diff), and
# exits 1 when anything differs.  Keeps its files in $TMPDIR.

set -u
# Absolute paths: the corpus runs change directory.
abspath() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
old=$(abspath "$1")
new=$(abspath "$2")
for b in "$old" "$new"; do
	[ -x "$b" ] || { echo "compare-output: $b: not an executable"; exit 2; }
done
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
corpus=${REBOUND_CORPUS:-$top/../shared/corpus}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rebound-compare.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
bad=0

# same NAME: compare $tmp/NAME.old with $tmp/NAME.new.
same() {
	if cmp -s "$tmp/$1.old" "$tmp/$1.new"; then
		echo "$1: same ($(wc -l < "$tmp/$1.old") lines)"
	else
		echo "$1: DIFFERS"
		diff "$tmp/$1.old" "$tmp/$1.new" | head -n 8 | cut -c 1-300
		bad=1
	fi
}

fixtures=$(find "$top/tests/fixtures" "$top/samples" -type f \
	\( -name '*.eml' -o -name '*.msg' -o -name '*.txt' \) | sort)
for v in old new; do
	eval bin=\$$v
	# shellcheck disable=SC2086
	"$bin" explain $fixtures > "$tmp/explain.$v" 2>&1
	if [ -f "$corpus/dev.txt" ]; then
		(cd "$corpus" && "$bin" classify --json $(grep -v '^#' dev.txt)) \
			> "$tmp/dev.$v" 2>&1
		(cd "$corpus" && "$bin" classify --json $(grep -v '^#' extra.txt)) \
			> "$tmp/extra.$v" 2>&1
		for d in status original text; do
			python3 "$here/corpus-variants.py" --drop $d --verbose \
				--rebound "$bin" --corpus "$corpus" \
				> "$tmp/variants-$d.$v" 2>&1
		done
	fi
done
same explain
if [ -f "$corpus/dev.txt" ]; then
	for s in dev extra variants-status variants-original variants-text; do
		same $s
	done
else
	echo "development corpus: skipped (no $corpus)"
fi
exit $bad
