#!/bin/bash
# bench-dovecot.sh - LMTP delivery rate into a monitored mailbox, with and
# without the plugin (not part of "make check").
#
# usage: tests/bench-dovecot.sh [MESSAGES] [CONNECTIONS] [ROUNDS]
#   (as root, from the build tree after "make"; defaults 400, 1, 4)
#
# A private Dovecot (tests/dovecot-harness.sh) per run; a python3 LMTP
# client sends MESSAGES messages to testuser+Bounces@rebound.test over
# CONNECTIONS parallel connections and times them, after 20 untimed
# messages (process start-up).  Runs:
#   none      mail_plugins without rebound (notify only), ordinary mail
#   ordinary  notify rebound, ordinary mail (classified, nothing recorded)
#   bare      mail_plugins without rebound, the notices below: what the
#             same mail costs Dovecot alone (the A of notices' B/A)
#   notices   notify rebound, a distinct out-of-band notice per message
#             (classified and recorded in the ledger)
# The four alternate for ROUNDS rounds (the machine's load drifts); one
# line per run, then the median rate of each, and the median of the
# rounds' B/A ratios (notices/bare, ordinary/none: within a round the
# load is most alike).  BENCH_BATCH_MS: batch_ms
# in rebound.conf (unset: the default, batches; 0: each notice its own
# transaction, as before batches).  REBOUND_TEST_DIR: where the state
# directories go (default /tmp).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${abs_top_builddir:-$PWD}
: "${REBOUND_DOVECOT_PLUGIN:=$build/dovecot/.libs/lib90_rebound_plugin.so}"
export REBOUND_DOVECOT_PLUGIN
cli=$build/cli/rebound
count=${1:-400}
conns=${2:-1}
rounds=${3:-4}
fx=$top/tests/fixtures/dovecot

. "$top/tests/dovecot-harness.sh"
RB_BATCH_MS=${BENCH_BATCH_MS-}
dh_require
[ -f "$REBOUND_DOVECOT_PLUGIN" ] || { echo "build the plugin first"; exit 1; }
results=$(mktemp /tmp/rebound-bench.XXXXXX)
# Every run's directory stays until the end: deleting one run's mail
# just before the next run made that run pay for it on ext4 (its inode
# allocator steps over every inode deleted in the last minute), a bias
# against whichever ran next.
kept=()
trap 'rm -rf "${kept[@]}" "$results"' EXIT

run() {
	local name=$1 plugins=$2 kind=$3
	dh_setup "$plugins"
	kept+=("$S")
	trap 'dh_stop; rm -rf "${kept[@]}" "$results"' EXIT
	if ! "$cli" --db "$DB" record --quiet "$fx/ordinary.eml" >/dev/null 2>&1; then
		echo "$name: rebound --db $DB record (to create the ledger) failed"
		return 1
	fi
	dh_start || return 1
	python3 - "$LMTP_PORT" "$count" "$conns" "$kind" "$fx" "$name" \
		"$results" <<'EOF'
import smtplib, sys, threading, time
port, count, conns, kind, fx, name, results = sys.argv[1:]
count, conns, port = int(count), int(conns), int(port)
src = open(fx + ('/mimecast-notice.eml' if kind == 'notices'
                 else '/ordinary.eml'), 'rb').read()
rcpt = ['testuser+Bounces@rebound.test']
def message(i):
    m = src.replace(b'carol.ng@', b'carol.%d@' % i)
    m = m.replace(b'<gwn-20240611091238-4411@', b'<gwn-bench-%d@' % i)
    return m.replace(b'<reply-88213@', b'<reply-bench-%d@' % i)
def worker(k, errors):
    c = smtplib.LMTP('127.0.0.1', port)
    for i in range(k, count, conns):
        try:
            c.sendmail('', rcpt, message(i))
        except smtplib.SMTPException as e:
            errors.append(str(e))
    c.quit()
w = smtplib.LMTP('127.0.0.1', port)
for i in range(20):
    w.sendmail('', rcpt, message(count + i))
w.quit()
errors = []
t0 = time.monotonic()
ts = [threading.Thread(target=worker, args=(k, errors)) for k in range(conns)]
for t in ts:
    t.start()
for t in ts:
    t.join()
dt = time.monotonic() - t0
print('%-9s %5d messages %2d conn  %6.2f s  %7.1f msg/s%s' % (
    name, count, conns, dt, count / dt,
    '  (%d errors)' % len(errors) if errors else ''))
with open(results, 'a') as f:
    f.write('%s %.1f\n' % (name, count / dt))
EOF
	if [ "$kind" = notices ] && [ "$name" = notices ]; then
		# The last batch: recorded by the plugin's timeout.
		for _ in $(seq 50); do
			ls "$DB.spool" 2>/dev/null | grep -q '\.rbq$' || break
			sleep 0.1
		done
		n=$("$cli" --db "$DB" list --json 2>/dev/null | grep -c 'carol\.')
		echo "          ledger: $n of $((count + 20)) notice recipients"
	fi
	grep 'Error:\|Fatal:\|Panic:' "$D/log/dovecot.log" | head -3
	dh_stop
	trap 'rm -rf "${kept[@]}" "$results"' EXIT
}

echo "dovecot $(dovecot --version), $(nproc) cpu(s), load $(cut -d ' ' -f 1-3 /proc/loadavg)"
# Odd rounds in one order, even rounds in the other: what runs later
# in a round meets what the earlier runs left (dirty pages, freed
# inodes), so no case always comes last.
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		run none "notify" ordinary
		run ordinary "notify rebound" ordinary
		run bare "notify" notices
		run notices "notify rebound" notices
	else
		run notices "notify rebound" notices
		run bare "notify" notices
		run ordinary "notify rebound" ordinary
		run none "notify" ordinary
	fi
done
python3 - "$results" <<'EOF'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    name, rate = line.split()
    rates.setdefault(name, []).append(float(rate))
for name in ('none', 'ordinary', 'bare', 'notices'):
    if name in rates:
        print('median %-9s %7.1f msg/s  (%s)' % (
            name, statistics.median(rates[name]),
            ' '.join('%.1f' % r for r in rates[name])))
for b, a in (('ordinary', 'none'), ('notices', 'bare')):
    if a in rates and b in rates:
        r = [y / x for x, y in zip(rates[a], rates[b])]
        print('%s/%s msgs/s within each round: median %.3f (%s)' % (
            b, a, statistics.median(r), ' '.join('%.3f' % v for v in r)))
EOF
