#!/bin/sh
# test-ledger-repack.sh - db repack copies the records while writers go
# on (issue 16): its copy is paused (tests/repack-pause.la) and, during
# the pause, `rebound record` adds a recipient and `unbounce` changes one;
# both finish while the repack still copies, and both changes are in the
# repacked ledger (the hash chains they changed are copied again under
# the lock), with every record that was there before.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

shim=$top_builddir/tests/.libs/repack-pause.so
[ -f "$shim" ] || { echo "SKIP: $shim not built"; exit 77; }
# A sanitizer build cannot have a library preloaded before its runtime
# (as tests/faults-lib.sh finds for the fault shim).
if LD_PRELOAD=$shim "$rebound" --help 2>&1 |
	grep -q 'runtime does not come first'; then
	echo "SKIP: sanitizer build (the pause shim cannot be preloaded)"
	exit 77
fi

N=300
now=2026-05-01T00:00:00Z
bounces_mbox $N 'rp$i@d$i.example.org' 'r$i' > "$T/bounces.mbox"
rb $now record -q "$T/bounces.mbox" >/dev/null || fail "record exited $?"
expect "state of rp7 before" "$(field rp7@d7.example.org state $now)" suppressed
{
	echo "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
	dsn "late@late.example.org" failed 5.1.1 "550 5.1.1 user unknown" late
} > "$T/late.mbox"

LD_PRELOAD=$shim REBOUND_REPACK_PAUSE=$T/paused REBOUND_REPACK_PAUSE_MS=3000 \
	"$rebound" --db "$DB" --now $now db repack > "$T/repack.out" 2>&1 &
pid=$!
n=0
while [ $n -lt 100 ] && [ ! -e "$T/paused" ]; do
	sleep 0.1
	n=$((n + 1))
done
if [ ! -e "$T/paused" ]; then
	fail "db repack made no copy while writers could go on"
else
	t0=$(date +%s%N)
	rb $now record -q "$T/late.mbox" > /dev/null || fail "record during the repack exited $?"
	rb $now unbounce rp7@d7.example.org > /dev/null || fail "unbounce during the repack exited $?"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill -0 $pid 2>/dev/null ||
		fail "the writes during the copy waited for the repack to end ($ms ms)"
	[ $ms -lt 2000 ] || fail "the writes during the copy took $ms ms"
fi
wait $pid
expect "db repack exits" $? 0
grep -q 'hash chains that' "$T/repack.out" || fail "repack: $(cat "$T/repack.out")"
grep -Eq 'the [1-9][0-9]* hash chains that' "$T/repack.out" ||
	fail "repack copied no changed hash chain again: $(cat "$T/repack.out")"

expect "recipients after" "$(rb $now list | grep -c 'example.org')" $((N + 1))
expect "the recipient recorded during the copy" "$(field late@late.example.org state $now)" suppressed
expect "the recipient unbounced during the copy" "$(field rp7@d7.example.org state $now)" active
expect "another recipient" "$(field rp8@d8.example.org state $now)" suppressed
rb $now db check > "$T/check" || fail "db check after: $(cat "$T/check")"
cat "$T/repack.out"
ls "$T" | grep -q "ledger.tdb.repack" && fail "left over: $(ls "$T")"

[ $failures -eq 0 ] || exit 1
echo "PASS: repack while writers go on"
