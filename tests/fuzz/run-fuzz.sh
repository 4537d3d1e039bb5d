#!/bin/sh
# run-fuzz.sh - what "make fuzz" runs: each libFuzzer target for a while,
# seeded from the project's own fixtures, with one line of figures each.
#
#   run-fuzz.sh TARGET...      (names such as fuzz_message)
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_ARGS (more
# libFuzzer options), top_srcdir, top_builddir.  Each target keeps its
# growing corpus in $top_builddir/tests/fuzz/corpus/TARGET and writes what
# crashes to $top_builddir/tests/fuzz/artifacts/.  Before fuzzing, every
# input in tests/fixtures/fuzz/TARGET (past findings) is run once.  Exit
# status: 0 when no target found anything.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
seconds=${FUZZ_SECONDS:-60}
fixtures=$top_srcdir/tests/fixtures
work=$top_builddir/tests/fuzz
status=0
# Undefined behaviour is a finding too (configure also builds with
# -fno-sanitize-recover=undefined); leaks are, at the end of each input.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

# seed_messages DIR: every message the project wrote, one file each.
seed_messages() {
	for f in "$fixtures"/*/*.eml "$fixtures"/*/*/*.eml "$top_srcdir"/samples/*.eml; do
		[ -f "$f" ] && cp "$f" "$1/$(basename "$(dirname "$f")")-$(basename "$f")"
	done
}

# seed_dsn DIR: the delivery-status blocks of those messages (from the
# first per-message or per-recipient field to the next boundary line).
seed_dsn() {
	for f in "$fixtures"/*/*.eml "$fixtures"/*/*/*.eml "$top_srcdir"/samples/*.eml; do
		[ -f "$f" ] || continue
		out="$1/$(basename "$(dirname "$f")")-$(basename "$f" .eml).txt"
		awk 'tolower($0) ~ /^(reporting-mta|final-recipient|original-envelope-id|arrival-date):/ { on = 1 }
		     on && /^--/ { exit }
		     on { print }' "$f" | tr -d '\r' > "$out"
		[ -s "$out" ] || rm -f "$out"
	done
}

# seed_replies DIR: "address LF reply" from the rules fixture's answers.
seed_replies() {
	n=0
	grep -v '^#' "$fixtures/rules/phrases.tsv" | grep -v '^$' |
	cut -f2- | while IFS= read -r line; do
		n=$((n + 1))
		printf 'user%d@example.org\n%s' "$n" "$line" > "$1/phrase-$n.txt"
	done
}

# seed_config DIR: the example configuration, all its (commented-out)
# settings in effect, and each of them alone.
seed_config() {
	ex=$top_srcdir/doc/rebound.conf.example
	[ -f "$ex" ] || return 0
	cp "$ex" "$1/example.conf"
	sed -n 's/^#\([a-z_]* = .*\)/\1/p' "$ex" > "$1/all.conf"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" > "$1/setting-$n.conf"
	done < "$1/all.conf"
}

# seed_records DIR: every value of a ledger that recorded the fixtures
# (rebound record, then tdbdump; needs tdb-tools and python3).
seed_records() {
	command -v tdbdump >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 ||
		{ echo "fuzz_record: no tdbdump or python3, no seeds" >&2; return 0; }
	db=$1/.ledger.tdb
	"$top_builddir/cli/rebound" --db "$db" --now 2026-03-01T12:00:00Z \
		record --quiet --campaign-header X-Campaign-ID \
		"$fixtures"/*/*.eml "$fixtures"/*/*/*.eml "$top_srcdir"/samples/*.eml >/dev/null 2>&1
	"$top_builddir/cli/rebound" --db "$db" --now 2026-03-09T12:00:00Z \
		record --quiet "$top_srcdir"/samples/*.eml >/dev/null 2>&1
	tdbdump "$db" | python3 "$top_srcdir/tests/fuzz/tdbdump-values.py" "$1"
	rm -f "$db"
}

# seed_verp DIR: return paths, signed (by the CLI, with a throw-away
# secret) and not, for the recipients of the samples.
seed_verp() {
	key=$1/.key
	( umask 077 && printf 'a throw-away secret for the fuzz seeds\n' > "$key" )
	n=0
	for r in alice.smith@example.net carol@example.org dave@example.org \
		 'Erin.O+news=x@Example.ORG'; do
		n=$((n + 1))
		"$top_builddir/cli/rebound" --now 2026-02-27T00:00:00Z verp sign \
			--secret-file "$key" bounces@sender.example "$r" \
			> "$1/signed-$n.txt" 2>/dev/null
		"$top_builddir/cli/rebound" --now 2026-02-27T00:00:00Z verp sign \
			--secret-file "$key" --format 'LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN' \
			ret@list.example "$r" > "$1/signed-hash-$n.txt" 2>/dev/null
		printf 'bounces+%s@sender.example' "$(printf '%s' "$r" | tr @ =)" \
			> "$1/unsigned-$n.txt"
	done
	rm -f "$key"
}

# seed_json DIR: the bodies of the messages whose body is JSON (the SES
# notices among the fixtures).
seed_json() {
	for f in "$fixtures"/*/*.eml "$fixtures"/*/*/*.eml "$top_srcdir"/samples/*.eml; do
		[ -f "$f" ] || continue
		out="$1/$(basename "$(dirname "$f")")-$(basename "$f" .eml).json"
		sed '1,/^\r*$/d' "$f" > "$out"
		head -c 1 "$out" | grep -q '{' || rm -f "$out"
	done
}

for t in "$@"; do
	bin=$work/$t
	if [ ! -x "$bin" ]; then
		echo "$t: $bin not built" >&2
		status=1
		continue
	fi
	seeds=$work/run-seeds/$t
	corpus=$work/corpus/$t
	rm -rf "$seeds"
	mkdir -p "$seeds" "$corpus" "$work/artifacts"
	dict=
	case $t in
	fuzz_message|fuzz_classify)
		seed_messages "$seeds"
		dict=$top_srcdir/tests/fuzz/message.dict ;;
	fuzz_dsn)
		seed_dsn "$seeds"
		dict=$top_srcdir/tests/fuzz/dsn.dict ;;
	fuzz_reply)
		seed_replies "$seeds"
		dict=$top_srcdir/tests/fuzz/dsn.dict ;;
	fuzz_config)
		seed_config "$seeds"
		dict=$top_srcdir/tests/fuzz/config.dict ;;
	fuzz_record)
		seed_records "$seeds"
		dict=$top_srcdir/tests/fuzz/record.dict ;;
	fuzz_verp)
		seed_verp "$seeds" ;;
	fuzz_json)
		seed_json "$seeds"
		dict=$top_srcdir/tests/fuzz/json.dict ;;
	*)
		# Targets added later bring their seeds in tests/fuzz/seeds/.
		if [ -d "$top_srcdir/tests/fuzz/seeds/$t" ]; then
			cp "$top_srcdir/tests/fuzz/seeds/$t"/* "$seeds"/
		fi
		[ -f "$top_srcdir/tests/fuzz/$t.dict" ] &&
			dict=$top_srcdir/tests/fuzz/$t.dict ;;
	esac

	# Past findings first: each must run clean.
	found=$top_srcdir/tests/fixtures/fuzz/$t
	if [ -d "$found" ] && [ -n "$(ls "$found")" ]; then
		if ! "$bin" -runs=1 "$found"/* >"$work/$t.replay.log" 2>&1; then
			echo "$t: a past finding fails again, see $work/$t.replay.log"
			status=1
			continue
		fi
	fi

	log=$work/$t.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		${dict:+-dict="$dict"} -artifact_prefix="$work/artifacts/$t-" \
		$FUZZ_ARGS "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	files=$(ls "$corpus" | wc -l)
	printf '%s: %s runs in %s s, %s, corpus %s files, exit %s\n' \
		"$t" "${execs:-?}" "$((end - start))" "${cov:-cov: ?}" \
		"$files" "$rc"
	if [ $rc -ne 0 ]; then
		echo "$t: FOUND something, see $log and $work/artifacts/"
		grep -m1 -A12 'ERROR\|runtime error\|deadly signal' "$log"
		status=1
	fi
done
exit $status
