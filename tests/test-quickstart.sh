#!/bin/bash
# test-quickstart.sh - the README's first command ends in ./quickstart.sh:
# run it as a newcomer would and check that
#  - it succeeds and reports, in "rebound list", every recipient of the
#    samples with the state the policy of rebound.conf(5) gives it;
#  - the gateway notice, which only Dovecot receives, is recorded too;
#  - no Exim or Dovecot process of its own is left, and its temporary
#    directories are gone.
# Skips (77) as quickstart.sh does: not root, no Exim or Dovecot, modules
# not built.

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
out=$(mktemp /tmp/rebound-qs-test.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT

# Its own session, so that whatever it started can be found afterwards.
setsid "$top/quickstart.sh" > "$out" 2>&1 &
qs=$!
wait $qs
rc=$?
cat "$out"
[ $rc = 77 ] && exit 77
failed=0
fail() { echo "FAIL: $*"; failed=1; }
[ $rc = 0 ] || fail "quickstart.sh exited $rc"

# expect ADDRESS STATE...: the line of ADDRESS in the list shows one of
# the STATEs.
expect() {
	local addr=$1 line
	shift
	line=$(sed -n '/^\$ rebound .* list$/,$p' "$out" | grep "^$addr ")
	for st in "$@"; do
		if printf '%s\n' "$line" | grep -Eq "^$addr +$st "; then
			echo "ok: $addr $st"
			return
		fi
	done
	fail "$addr: expected state $*, list says: '$line'"
}
# postfix-user-unknown.eml: 5.1.1, hard; one hard bounce suppresses.
expect alice.smith@example.net suppressed
# delayed-4.4.1.eml: a delay, no final report yet.
expect carol@example.org pending
# multi-recipient.eml: 5.2.2 mailbox full is soft (1 of 7);
# 5.7.1 rejected as spam is a block: suspended for 24 h.
expect dave@example.org soft
expect erin@example.org suspended
# gateway-notice.eml (Dovecot only): a hard 5.1.1 worded as a policy
# block ("access denied by policy") is suspect: suspended, not suppressed.
expect grace@example.net 'suspended\*'
grep -q '^5 recipients' "$out" || fail "the list does not end in '5 recipients'"

# Its state directories, named in its output, and the processes.
dirs=$(grep -o '/tmp/rebound-\(exim\|dovecot\)\.[A-Za-z0-9]*' "$out" | sort -u)
[ -n "$dirs" ] || fail "quickstart.sh named no state directory"
for d in $dirs; do
	[ -e "$d" ] && fail "$d was left behind"
	if pgrep -f "$d" >/dev/null; then
		fail "processes left running for $d:"
		pgrep -af "$d"
	fi
done
# Zombies (state Z) are not running: where PID 1 does not reap, a
# Dovecot child that ended after its master stays one.
left=$(ps -eo sid=,pid=,stat=,comm= |
	awk -v s="$qs" '$1 == s && $3 !~ /^Z/ && $4 ~ /exim|dovecot|anvil|lmtp|auth|config|log|stats/')
if [ -n "$left" ]; then
	fail "processes of the quickstart's session still running:"
	printf '%s\n' "$left"
else
	echo "ok: nothing of the quickstart is running"
fi
exit $failed
