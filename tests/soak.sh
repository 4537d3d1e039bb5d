#!/bin/bash
# soak.sh - rebound under load in the real servers, for minutes (issue 7).
# Not part of "make check": "make soak" runs it (as root).
#
# A private Exim with rebound.so (tests/exim-lib.sh) and a private Dovecot
# with the plugin (tests/dovecot-harness.sh) share one ledger, as
# doc/dovecot.md sets it up (group Debian-exim, directory 2770).
# tests/soak-client.py runs SOAK_CLIENTS (16) clients for SOAK_SECONDS
# (300), each with a kept-open SMTP connection to Exim and LMTP connection
# to Dovecot, sending distinct DSNs, duplicates of them, out-of-band
# notices into the monitored mailbox and ordinary mail.  The memory (RSS)
# of every Exim and Dovecot process is sampled every SOAK_SAMPLE (5) s.
#
# At the end, the checks (exit 1 when one fails):
#  - every accepted message was delivered: Exim's mbox and the Bounces
#    Maildir hold exactly what the clients were told was taken;
#  - every bounce recipient is in the ledger, counted exactly once
#    (duplicates and the same report seen by both servers included), and
#    nothing else is;
#  - "rebound db check" is clean (after "rebound db replay" has recorded
#    what the modules spooled and not replayed themselves);
#  - no process grew: the daemons, and every reception and lmtp process
#    alive over at least 60 s, grew by less than SOAK_GROWTH_KB (2048) of
#    anonymous memory (RSS also counts the ledger's mapped file pages)
#    between its first sample after the warm-up (a fifth of the run) and
#    its last.
# It prints message counts, throughput and peak memory.
. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
. "$rb_top/tests/dovecot-harness.sh"
dh_require

SECONDS_RUN=${SOAK_SECONDS:-300}
CLIENTS=${SOAK_CLIENTS:-16}
SAMPLE=${SOAK_SAMPLE:-5}
GROWTH_KB=${SOAK_GROWTH_KB:-2048}

# SOAK_CONTROL=1: the control run for the memory figures, without
# rebound (no local_scan in Exim, no plugin in Dovecot; the RCPT ACL's
# dlfunc stays); nothing is recorded, so the ledger is not judged.
CONTROL=${SOAK_CONTROL:-0}
[ "$CONTROL" = 1 ] && export RB_LOCAL_SCAN=no
# Dovecot first: its state directory holds the shared ledger.
if [ "$CONTROL" = 1 ]; then dh_setup notify; else dh_setup; fi
DS=$S
DDIR=$D
chgrp Debian-exim "$DS/tdb"
chmod 2770 "$DS/tdb"
SHARED_DB=$DS/tdb/rebound.tdb
cat >> "$DS/dovecot.conf" <<EOF
mail_access_groups = Debian-exim
EOF
RB_DB=$SHARED_DB
exim_setup
SE=$S
sampler_pid=
soak_cleanup() {
	[ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
	exim_stop
	dh_stop
	if [ "${REBOUND_KEEP_TMP:-0}" = 1 ]; then
		echo "state kept in $SE and $DS"
	else
		rm -rf "$SE" "$DS"
	fi
}
trap soak_cleanup EXIT
trap 'exit 1' INT TERM HUP

"$rb_cli" --db "$SHARED_DB" db create >/dev/null || { echo "FAIL: db create"; exit 1; }
S=$DS dh_start || exit 1
S=$SE
exim_start
echo "soak: $CLIENTS clients for $SECONDS_RUN s; exim on $P1, lmtp on $LMTP_PORT; ledger $SHARED_DB"

# sample: one line per Exim and Dovecot process: time, anonymous memory
# (heap and private maps, from smaps_rollup), pid ppid etimes rss args.
# RSS also counts the pages of the ledger that tdb maps into every
# process (file pages, shared, as large as the ledger at most): a process
# that reads more of a growing ledger grows in RSS without allocating.
sample() {
	local t pid rest anon
	while :; do
		t=$(date +%s)
		ps -eo pid=,ppid=,etimes=,rss=,comm=,args= | awk \
			-v e="$SE/exim.conf" -v d="$dh_pid" '
			($5 == "exim4" && index($0, e)) || $1 == d || $2 == d' |
		while read -r pid rest; do
			anon=$(awk '/^Anonymous:/ { print $2 }' \
				"/proc/$pid/smaps_rollup" 2>/dev/null)
			echo "$t ${anon:-0} $pid $rest"
		done >> "$SE/rss.log"
		sleep "$SAMPLE"
	done
}
sample &
sampler_pid=$!

t0=$(date +%s)
python3 "$rb_top/tests/soak-client.py" "$P1" "$LMTP_PORT" "$SECONDS_RUN" \
	"$CLIENTS" "$rb_top/tests/fixtures/dovecot/mimecast-notice.eml" \
	"$SE/summary.json" || fail "the clients failed"
t1=$(date +%s)
# Deliveries finish after the last message is taken.
# The test's one mbox is a bottleneck: under load some deliveries time
# out on its lock and are deferred, and the daemon has no queue runner,
# so queue runs deliver them.
queued() { find "$SE/exim/spool/input" -name '*-H' 2>/dev/null | wc -l; }
deferred=$(grep -c ' == ' "$MAINLOG")
n=0
while [ "$(queued)" != 0 ] && [ $n -lt 60 ]; do
	exim4 -C "$SE/exim.conf" -qff >/dev/null 2>&1
	sleep 2
	n=$((n + 1))
done
[ "$(queued)" = 0 ] || fail "Exim's queue did not empty: $(queued) left"
echo "soak: $deferred deliveries deferred on the test mbox's lock, delivered by queue runs"
sleep "$SAMPLE"
kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=

# Bounces the modules spooled while the ledger was locked: the modules
# replay them as they go; what is left, the command replays now.
spooled=$(grep -c 'spooled' "$MAINLOG" "$DDIR/log/dovecot.log" | awk -F: '{ s += $2 } END { print s + 0 }')
waiting=$(find "$SHARED_DB.spool" -name '*.rbq' 2>/dev/null | wc -l)
"$rb_cli" --db "$SHARED_DB" db replay > "$SE/replay.out" 2>&1 ||
	fail "db replay: $(cat "$SE/replay.out")"
echo "soak: $spooled bounces spooled (ledger locked past the budget); $waiting still waited at the end: $(cat "$SE/replay.out")"

exim_count=$(grep -c '^X-Soak-Id: ' "$MBOX" 2>/dev/null)
# (find, not a glob: a long run stores more files than fit on one
# command line)
dovecot_count=$(find "$DDIR"/home/testuser/Maildir/.Bounces/new \
	"$DDIR"/home/testuser/Maildir/.Bounces/cur -type f -exec cat {} + 2>/dev/null |
	grep -c '^X-Soak-Id: ')
"$rb_cli" --db "$SHARED_DB" list --json > "$SE/list.json" 2>"$SE/list.err" ||
	fail "rebound list: $(cat "$SE/list.err")"
"$rb_cli" --db "$SHARED_DB" db check > "$SE/check.out" 2>&1 ||
	fail "db check: $(cat "$SE/check.out")"
echo "soak: db check: $(cat "$SE/check.out")"
grep -q 'Fatal:\|Panic:' "$DDIR/log/dovecot.log" && fail "Fatal or Panic in Dovecot's log"
grep -Eq 'local_scan\(\) function (crashed|timed out)|Temporary local problem' "$MAINLOG" &&
	fail "local_scan crashed or timed out"
notrec=$(grep -c 'not recorded' "$MAINLOG" "$DDIR/log/dovecot.log" | awk -F: '{ s += $2 } END { print s + 0 }')
# Why bounces were not recorded (fail-open: the mail went through).
grep -ho 'not recorded.*' "$MAINLOG" "$DDIR/log/dovecot.log" |
	sed -e 's|/[^ :]*||g' -e 's/[0-9][0-9]* ms/N ms/' | sort | uniq -c |
	sed 's/^/soak: not recorded: /'


python3 - "$SE/summary.json" "$SE/list.json" "$SE/rss.log" "$exim_count" \
	"$dovecot_count" "$exim_pid" "$dh_pid" "$GROWTH_KB" "$SECONDS_RUN" "$notrec" \
	"$CONTROL" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
ledger = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if line:
        r = json.loads(line)
        ledger[r["address"]] = r
exim_count, dovecot_count = int(sys.argv[4]), int(sys.argv[5])
exim_pid, dh_pid = sys.argv[6], sys.argv[7]
growth_kb, run = int(sys.argv[8]), int(sys.argv[9])
notrec = int(sys.argv[10])
control = sys.argv[11] == "1"
failed = False

def fail(msg):
    global failed
    failed = True
    print("FAIL:", msg)

acc = summary["accepted"]
total = sum(acc.values())
print(f"soak: sent {sum(summary['sent'].values())}, accepted {total} "
      f"in {summary['seconds']} s = {total / summary['seconds']:.1f} msg/s "
      f"({summary['reconnects']} reconnects, errors {summary['errors']})")
print("soak: accepted per kind:", json.dumps(acc, sort_keys=True))
if summary["errors"]:
    fail(f"messages not accepted: {summary['errors']}")
print(f"soak: exim: {summary['to_exim']} accepted, {exim_count} delivered; "
      f"dovecot: {summary['to_dovecot']} accepted, {dovecot_count} stored")
if exim_count != summary["to_exim"]:
    fail("count in != count out at Exim")
if dovecot_count != summary["to_dovecot"]:
    fail("count in != count out at Dovecot")

expected = set(summary["expected"])
missing = [a for a in expected if a not in ledger]
def counted(r):
    return sum(r.get(k, 0) for k in ("hard_count", "soft_count", "delayed_count", "block_count"))
twice = [a for a in expected if a in ledger and counted(ledger[a]) != 1]
extra = [a for a in ledger if a not in expected]
print(f"soak: ledger: {len(expected)} bounce recipients expected, "
      f"{len(ledger)} in the ledger, {len(missing)} missing, "
      f"{len(twice)} not counted exactly once, {len(extra)} unexpected; "
      f"{notrec} 'not recorded' log lines")
if control:
    print("soak: control run without rebound: the ledger is not judged")
    missing = twice = extra = []
if missing:
    fail(f"missing from the ledger: {missing[:5]}")
if twice:
    fail(f"not counted once: {[(a, counted(ledger[a])) for a in twice[:5]]}")
if extra:
    fail(f"unexpected addresses: {extra[:5]}")

# Memory: per process, first sample after the warm-up and the last.
procs = {}
for line in open(sys.argv[3]):
    f = line.split(None, 7)
    if len(f) < 8:
        continue
    t, anon = int(f[0]), int(f[1])
    f = f[1:]
    pid, ppid, etimes, rss, args = f[1], f[2], int(f[3]), int(f[4]), f[6].strip()
    if anon == 0 or rss == 0:
        continue        # caught exiting: its memory is already gone
    # A pid is used again by later processes: one entry per process.
    started = t - etimes
    key = pid
    old = procs.get(pid)
    if old is not None and abs(old["started"] - started) > 3:
        n = 1
        while (pid, n) in procs and abs(procs[(pid, n)]["started"] - started) > 3:
            n += 1
        key = (pid, n)
    if pid == exim_pid:
        kind = "exim daemon"
    elif "exim4" in args:
        kind = "exim reception" if ppid == exim_pid else "exim delivery"
    elif pid == dh_pid:
        kind = "dovecot master"
    elif "lmtp" in args:
        kind = "dovecot lmtp"
    else:
        kind = "dovecot " + f[5].split("/")[-1]
    procs.setdefault(key, {"kind": kind, "started": started,
                           "samples": []})["samples"].append((t, rss, anon))
t_start = min(s[0] for p in procs.values() for s in p["samples"])
warm = t_start + run // 5
# Growth is judged on anonymous memory (what a process allocates); the
# RSS growth, which adds the ledger's pages a process has read, is shown.
peak, grew, grew_rss = {}, {}, {}
for pid, p in procs.items():
    k = p["kind"]
    peak[k] = max(peak.get(k, 0), max(r for _, r, _ in p["samples"]))
    late = [s for s in p["samples"] if s[0] >= warm]
    if len(late) < 2 or late[-1][0] - late[0][0] < 60:
        continue
    span = late[-1][0] - late[0][0]
    g = late[-1][2] - late[0][2]
    if k not in grew or g > grew[k][0]:
        grew[k] = (g, pid, late[0][2], late[-1][2], span)
    g = late[-1][1] - late[0][1]
    if k not in grew_rss or g > grew_rss[k][0]:
        grew_rss[k] = (g, pid, late[0][1], late[-1][1], span)
for k in sorted(peak):
    line = f"soak: memory: {k}: peak RSS {peak[k]} kB"
    if k in grew:
        g, pid, a, b, span = grew[k]
        line += (f"; largest growth of anonymous memory {g:+d} kB (pid {pid}: "
                 f"{a} -> {b} kB over {span} s)")
        gr, pidr, ar, br, spanr = grew_rss[k]
        line += f", of RSS {gr:+d} kB (pid {pidr}: {ar} -> {br} kB)"
        if g >= growth_kb and not k.startswith("exim delivery"):
            fail(f"{k} pid {pid} grew by {g} kB")
    print(line)
sys.exit(1 if failed else 0)
EOF
[ $? = 0 ] || rb_failed=1
echo "soak: wall time $((t1 - t0)) s of load"
[ $rb_failed = 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $rb_failed
