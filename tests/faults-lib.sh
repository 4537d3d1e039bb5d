# faults-lib.sh - shared by tests/test-faults-exim.sh and
# tests/test-faults-dovecot.sh (sourced after tests/exim-lib.sh or
# tests/dovecot-harness.sh, which set $S and $DB): turning disk faults on
# and off under the ledger, seeding a ledger with known records, and the
# checks every fault must pass.
#
#   fl_init                  the shim copied into $S, control file paths
#   fl_fault_on ERRNO OPS    faultshim.so fails OPS on *.tdb with ERRNO
#   fl_fault_off             and passes them again
#   fl_dsn ID RCPT           an RFC 3464 report about RCPT in $S/msg/ID.eml
#   fl_seed NAME N           record N hard bounces with the CLI; remembered
#   fl_seeds_kept WHAT       every seeded address still suppressed
#   fl_cli_reports WHAT CMD  CMD fails (non-zero), and says so in one line
#                            naming the ledger
#   fl_db_check WHAT         "rebound db check" clean (exit 0)
#   fl_state ADDRESS [FIELD] its state (and FIELD) in the ledger, a burst's
#                            suspension named "suppressed"
#   fl_damage ADDRESS        512 bytes of garbage over ADDRESS's record

fl_rb=${abs_top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}/cli/rebound
fl_shim_built=${abs_top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/.libs/faultshim.so
FL_SEEDS=

fl_require() {
	[ -f "$fl_shim_built" ] || { echo "SKIP: $fl_shim_built not built"; exit 77; }
	[ -x "$fl_rb" ] || { echo "SKIP: $fl_rb not built"; exit 77; }
	command -v tdbtool >/dev/null 2>&1 ||
		{ echo "SKIP: tdbtool is not installed (tdb-tools)"; exit 77; }
	command -v setpriv >/dev/null 2>&1 ||
		{ echo "SKIP: setpriv is not installed"; exit 77; }
	# A sanitizer build cannot be preloaded into other programs' runs.
	if LD_PRELOAD=$fl_shim_built "$fl_rb" --help 2>&1 | grep -q 'runtime does not come first'; then
		echo "SKIP: sanitizer build (the shim cannot be preloaded)"; exit 77
	fi
	return 0
}

fl_init() {
	mkdir -p "$S/msg"
	chmod 755 "$S/msg"
	cp "$fl_shim_built" "$S/faultshim.so"
	chmod 644 "$S/faultshim.so"
	FL_SHIM=$S/faultshim.so
	FL_CTL=$S/fault.ctl
	: > "$FL_CTL.hits"
	chmod 666 "$FL_CTL.hits"
}

fl_fault_on() {
	printf '%s .tdb %s\n' "$1" "$2" > "$FL_CTL.new"
	chmod 644 "$FL_CTL.new"
	mv "$FL_CTL.new" "$FL_CTL"
}

fl_fault_off() {
	rm -f "$FL_CTL"
}

# fl_hits: how many calls the shim has failed so far.
fl_hits() {
	wc -l < "$FL_CTL.hits"
}

fl_dsn() {
	local out=$S/msg/$1.eml
	cat > "$out" <<EOF
X-Test-Id: $1
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: news@rebound.test
Subject: Delivery Status Notification (Failure)
Message-ID: <$1.$$@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b-$1"

--b-$1
Content-Type: text/plain

Delivery to $2 failed.

--b-$1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; $2
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b-$1
Content-Type: text/rfc822-headers

From: News <news@rebound.test>
To: $2
Subject: a letter
Message-ID: <sent.$1@rebound.test>

--b-$1--
EOF
	chmod 644 "$out"
	echo "$out"
}

fl_plain() {
	local out=$S/msg/$1.eml
	printf 'X-Test-Id: %s\nFrom: <alice@example.com>\nTo: <bob@rebound.test>\nSubject: test %s\nMessage-ID: <%s.%s@example.com>\n\nHello.\n' \
		"$1" "$1" "$1" "$$" > "$out"
	chmod 644 "$out"
	echo "$out"
}

# fl_seed NAME N: N bounces recorded before the fault (as root, like an
# administrator's "rebound record").
fl_seed() {
	local i f
	FL_SEEDS=
	for i in $(seq 1 "$2"); do
		f=$(fl_dsn "seed-$1-$i" "seed$i-$1@example.net")
		"$fl_rb" --db "$DB" record "$f" >/dev/null 2>&1 ||
			fail "$1: seeding record $i failed"
		FL_SEEDS="$FL_SEEDS seed$i-$1@example.net"
	done
}

# fl_state ADDRESS [FIELD]: the state of ADDRESS (then FIELD's value).
# Every test address is at example.net and gets the same "user unknown":
# past suspect_burst_count of them within minutes, the burst suspends
# them instead of suppressing (doc/design.md §6 row 14).  For these tests
# both mean the hard bounce was recorded, so a burst's suspension reads
# "suppressed" here.
fl_state() {
	"$fl_rb" --db "$DB" show --json "$1" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
st = d["state"]
if st == "suspended" and d.get("suspect_why") == "domain-burst":
    st = "suppressed"
print(st, *(d[f] for f in sys.argv[1:]))' ${2:+"$2"} 2>/dev/null
}

fl_seeds_kept() {
	local a st lost=0
	for a in $FL_SEEDS; do
		st=$(fl_state "$a")
		[ "$st" = suppressed ] || { lost=$((lost + 1)); echo "  $a: '$st'"; }
	done
	if [ $lost = 0 ]; then
		ok "$1: the $(echo $FL_SEEDS | wc -w) records made before the fault are all there"
	else
		fail "$1: $lost records made before the fault are lost"
	fi
}

# fl_cli_reports WHAT CMD...: CMD must exit non-zero and print exactly one
# line on stderr that names the ledger file.
fl_cli_reports() {
	local what=$1 rc lines
	shift
	"$@" > "$S/cli.out" 2> "$S/cli.err"
	rc=$?
	lines=$(grep -c . "$S/cli.err")
	if [ $rc -ne 0 ] && [ "$lines" = 1 ] && grep -qF "$DB" "$S/cli.err"; then
		ok "$what: CLI exit $rc: $(cat "$S/cli.err")"
	else
		fail "$what: CLI exit $rc, $lines line(s) on stderr, expected non-zero and one line naming $DB"
		head -n 5 "$S/cli.err"
	fi
}

# fl_damage ADDRESS: garbage over the record of ADDRESS in $DB (its
# header, key and value), as a bad sector or a stray write leaves it.
fl_damage() {
	python3 - "$DB" "$1" <<'EOF'
import sys
path, needle = sys.argv[1], sys.argv[2].encode()
with open(path, "r+b") as f:
    data = f.read()
    at = data.find(b"r:" + needle)
    if at < 0:
        sys.exit("no record to damage")
    f.seek(max(at - 64, 0))
    f.write(bytes((i * 37 + 11) & 0xff for i in range(512)))
EOF
}

fl_db_check() {
	local out
	if out=$("$fl_rb" --db "$DB" db check 2>&1); then
		ok "$1: db check: $out"
	else
		fail "$1: db check: $out"
	fi
}

# fl_spool_replayed NAME ADDRESS...: the bounces spooled while the ledger
# was locked are in the ledger, each counted once, after the lock is gone
# and the next bounce's writer has replayed the spool (nothing is left
# for `rebound db replay`).
fl_spool_replayed() {
	local name=$1 a js bad=0 left
	shift
	left=$(find "$DB.spool" -name '*.rbq' 2>/dev/null | wc -l)
	[ "$left" = 0 ] && ok "$name: the next writer replayed the spool" ||
		fail "$name: $left notices still wait in the spool"
	"$fl_rb" --db "$DB" db replay --json > "$S/replay.$name" 2>&1 ||
		fail "$name: db replay: $(cat "$S/replay.$name")"
	for a in "$@"; do
		js=$(fl_state "$a" hard_count)
		[ "$js" = "suppressed 1" ] || { bad=$((bad + 1)); echo "  $a: '$js'"; }
	done
	if [ $bad = 0 ]; then
		ok "$name: the $# bounces that waited are recorded, each once"
	else
		fail "$name: $bad of the $# bounces that waited are not recorded once"
	fi
}
