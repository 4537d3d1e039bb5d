#!/bin/sh
# compare-ledger-output.sh - record the same fixture mails with two
# rebound binaries (e.g. main's and this tree's) into two ledgers and
# compare what the reports say about them: record (again: every notice a
# duplicate), list, export, stats by every key, show of every address,
# explain of the mails, prune.  Prints "same" or the difference for
# each, and the two files' sizes.  Not a test (it needs the other
# binary):
#   tests/compare-ledger-output.sh OLD/cli/rebound cli/rebound OUTDIR
set -u
old=$1 new=$2 out=$3
rm -rf "$out"; mkdir -p "$out"
top=$(dirname "$0")/..
files=$(ls "$top"/tests/fixtures/classify/*.eml "$top"/tests/fixtures/classify/formats/*.eml "$top"/tests/fixtures/exim/*.eml 2>/dev/null)
export TZ=UTC
for who in old new; do
	eval bin=\$$who
	db=$out/$who.tdb
	i=0
	for f in $files; do
		i=$((i + 1))
		"$bin" --db "$db" --now "2026-03-01T10:$(printf %02d $((i % 60))):00Z" record -q "$f" >/dev/null 2>&1
	done
	# again: every notice is a duplicate now
	for f in $files; do "$bin" --db "$db" --now 2026-03-02T10:00:00Z record "$f" 2>&1; done > "$out/$who.again"
	t=2026-03-03T10:00:00Z
	"$bin" --db "$db" --now $t list --json | sort > "$out/$who.list"
	"$bin" --db "$db" --now $t list | sort > "$out/$who.listtext"
	"$bin" --db "$db" --now $t export --format csv | sort > "$out/$who.export"
	for by in reason domain day campaign category; do "$bin" --db "$db" --now $t stats --by $by --json; done > "$out/$who.stats"
	"$bin" --db "$db" --now $t list --json | python3 -c '
import json,sys
for l in sys.stdin: print(json.loads(l)["address"])' | sort > "$out/$who.addrs"
	while IFS= read -r a; do "$bin" --db "$db" --now $t show "$a"; "$bin" --db "$db" --now $t show --json "$a"; done < "$out/$who.addrs" > "$out/$who.show"
	"$bin" --db "$db" --now $t explain $files > "$out/$who.explain" 2>&1
	"$bin" --db "$db" --now $t prune --older-than 0 --json > "$out/$who.prune"
	"$bin" --db "$db" --now $t stats --json >> "$out/$who.prune"
	ls -l "$db" | awk '{print $5}' > "$out/$who.size"
done
for k in again list listtext export stats show explain prune; do
	if cmp -s "$out/old.$k" "$out/new.$k"; then echo "same $k ($(wc -l < "$out/old.$k") lines)"; else echo "DIFFERENT $k"; diff "$out/old.$k" "$out/new.$k" | head -10; fi
done
echo "sizes: old $(cat "$out/old.size") new $(cat "$out/new.size")"
