#!/bin/sh
# test-cli-terminal.sh - the human tables fit 80 columns even with long
# addresses, campaign names and file names; colour and the progress line
# appear only on a terminal (a pseudo-terminal here) without NO_COLOR, and
# never in pipes, files or JSON; `show` cuts an over-long diagnostic at a
# word, marked.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

t0=2026-03-01T10:00:00Z
long=a-very-long-local-part.with.many.dots.and-words@mail.subdomain.of.a-long-example-domain.example
camp=spring-sale-2026-newsletter-for-all-customers-in-europe
mkdir "$T/a-directory-with-a-rather-long-name-for-bounce-messages"
in=$T/a-directory-with-a-rather-long-name-for-bounce-messages
dsn "$long" failed 5.7.1 "554 5.7.1 message rejected as spam" w1 \
	sender.with-a-long-domain-name.example "$camp" > "$in/long-notice-one.eml"
dsn "short@example.org" failed 5.1.1 "550 5.1.1 user unknown" w2 \
	s.example "$camp" > "$in/long-notice-two.eml"
dsn "x@$(printf 'sub%.0s.' 1 2 3 4 5 6 7 8 9 10 11 12)example.org" delayed 4.4.1 \
	"connection timed out" w3 > "$in/long-notice-three.eml"

# fits FILE: every line at most 80 characters (UTF-8 ellipses count one)
fits() {
	python3 - "$1" <<'PY' || fail "$(basename "$1"): wider than 80 columns"
import sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace"), 1):
    line = line.rstrip("\n")
    if len(line) > 80:
        sys.exit("line %d has %d columns: %s" % (n, len(line), line))
PY
}
noesc() {
	if grep -q "$(printf '\033')" "$1"; then
		fail "$(basename "$1"): escape sequences in $2"
	fi
}

for loc in C C.UTF-8; do
	export LC_ALL=$loc
	rb $t0 record "$in" > "$T/record.$loc" 2> "$T/record-err.$loc" ||
		fail "record exited $?"
	rb $t0 classify "$in" > "$T/classify.$loc" || fail "classify exited $?"
	rb $t0 list > "$T/list.$loc" || fail "list"
	for by in reason domain day campaign category state; do
		rb $t0 stats --by $by > "$T/stats-$by.$loc" || fail "stats --by $by"
	done
	rb $t0 campaign list > "$T/campaign.$loc" || fail "campaign list"
	for f in record classify list stats-reason stats-domain stats-day \
		stats-campaign stats-category stats-state campaign; do
		fits "$T/$f.$loc"
		noesc "$T/$f.$loc" "a file"
	done
	noesc "$T/record-err.$loc" "standard error, a file"
done
unset LC_ALL
# cut, not lost: the start of the long address is still there, with a mark
grep -q '^a-very-long-local-part' "$T/list.C" || fail "list: long address not shown: $(cat "$T/list.C")"
grep -q '^a-very-long-local-part[^ ]*~ ' "$T/list.C" ||
	fail "list: no '~' where a long address is cut (C locale)"
grep -q "^a-very-long-local-part[^ ]*$(printf '\342\200\246') " "$T/list.C.UTF-8" ||
	fail "list: no ellipsis where a long address is cut (UTF-8 locale)"

# a diagnostic longer than the ledger keeps (255 bytes) is shown up to
# its last whole word, marked as cut (issue 17: "mx.example.n")
words=$(printf 'word%.0s ' $(seq 1 60))
dsn longdiag@example.org failed 5.1.1 "550 5.1.1 user unknown: $words host mx.example.net end" w9 \
	> "$T/longdiag.eml"
rb $t0 record "$T/longdiag.eml" > /dev/null || fail "record longdiag"
LC_ALL=C.UTF-8 rb $t0 show longdiag@example.org > "$T/show-longdiag"
line=$(grep '^  diagnostic:' "$T/show-longdiag")
case $line in
*" word$(printf '\342\200\246')") ;;
*) fail "show: a long diagnostic not cut at a word with an ellipsis: $line" ;;
esac
LC_ALL=C rb $t0 show longdiag@example.org | grep -q '^  diagnostic: .* word~$' ||
	fail "show: a long diagnostic not marked with '~' (C locale)"

# pipes: the same through a pipe, and JSON
rb $t0 list | cat > "$T/pipe-list"
noesc "$T/pipe-list" "a pipe"
rb $t0 record "$in" 2>&1 | cat > "$T/pipe-record"
noesc "$T/pipe-record" "a pipe"
rb $t0 list --json | cat > "$T/pipe-json"
noesc "$T/pipe-json" "JSON"

# a terminal: colour and progress, unless NO_COLOR; never in JSON
python3 - "$rebound" "$DB" "$in" <<'PY' || fail "on a terminal"
import os, pty, sys, select
rebound, db, indir = sys.argv[1:4]

def run(args, env_extra):
    """Run rebound with stdout and stderr on a pseudo-terminal."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm"
    env.update(env_extra)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(rebound, [rebound, "--db", db, "--now",
                            "2026-03-01T10:00:00Z"] + args, env)
    out = b""
    while True:
        try:
            r, _, _ = select.select([fd], [], [], 20)
            if not r:
                break
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out

bad = []
colour = run(["list"], {})
if b"\x1b[31m" not in colour:
    bad.append("no red for a suppressed address on a terminal: %r" % colour[:300])
if b"\x1b[" in run(["list"], {"NO_COLOR": "1"}):
    bad.append("colour on a terminal with NO_COLOR=1")
if b"\x1b[" in run(["list", "--json"], {}):
    bad.append("escape sequences in JSON on a terminal")
if b"\x1b[" in run(["list"], {"TERM": "dumb"}):
    bad.append("colour with TERM=dumb")
if bad:
    sys.exit("\n".join(bad))
PY

[ $failures -eq 0 ] || exit 1
echo "PASS: tables fit 80 columns; colour only on a terminal"
