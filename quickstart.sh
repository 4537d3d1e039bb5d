#!/bin/bash
# quickstart.sh - see rebound work in a real Exim and a real Dovecot, from
# a built tree, in under a minute, leaving nothing behind.  Run as root:
#
#   ./autogen.sh && ./configure && make -j2 && sudo ./quickstart.sh
#
# It starts a throwaway Exim (rebound.so as local_scan, bounces kept in an
# mbox) and a throwaway Dovecot (the plugin watching the mailbox Bounces)
# on free loopback ports with their state in temporary directories under
# /tmp, creates one ledger that both write (rebound db create), sends the
# samples: every DSN in samples/ through Exim with swaks, the security
# gateway's out-of-band notice into Bounces over LMTP.  Then it prints
# "rebound stats" and "rebound list" for that ledger, stops both servers
# and removes the directories (also on failure or Ctrl-C).
#
# The servers come from tests/exim-lib.sh and tests/dovecot-harness.sh,
# the set-ups the integration tests use.  Exit status: 0 done, 77 a
# prerequisite is missing (the message says which), 1 failure.
# REBOUND_KEEP_TMP=1 keeps the directories for a look.

set -u

qs_top=$(cd "$(dirname "$0")" && pwd)
# A VPATH build: abs_top_builddir names the build tree (make check sets it).
: "${abs_top_srcdir:=$qs_top}" "${abs_top_builddir:=$qs_top}"
export abs_top_srcdir abs_top_builddir
: "${REBOUND_EXIM_MODULE:=$abs_top_builddir/exim/.libs/rebound.so}"
: "${REBOUND_DOVECOT_PLUGIN:=$abs_top_builddir/dovecot/.libs/lib90_rebound_plugin.so}"
export REBOUND_EXIM_MODULE REBOUND_DOVECOT_PLUGIN

started=$(date +%s)
rb=$abs_top_builddir/cli/rebound
[ -x "$rb" ] || { echo "quickstart: $rb is not built; run ./configure && make first" >&2; exit 77; }

. "$abs_top_srcdir/tests/exim-lib.sh"
. "$abs_top_srcdir/tests/dovecot-harness.sh"

exim_require
dh_require

# Both servers write one ledger.  The Dovecot state dir holds it: the
# directory of group Debian-exim (setgid, 2770), and Dovecot's mail user
# gets that group through mail_access_groups, the "simpler set-up" of
# doc/dovecot.md.
DS=
# gone PATTERN: wait (up to 5 s) until no process has PATTERN in its
# command line.
gone() {
	local n=50
	while pgrep -f "$1" >/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
}
qs_cleanup() {
	local exim_conf=${S:+$S/exim.conf}
	dh_stop
	exim_cleanup
	# Dovecot's log process and Exim's delivery processes end a moment
	# after their master; nothing is left running when this returns.
	gone "dovecot-rebound-test-$$/"
	[ -n "$exim_conf" ] && gone "$exim_conf"
	if [ -n "$DS" ]; then
		if [ "${REBOUND_KEEP_TMP:-0}" = 1 ]; then
			echo "state kept in $DS"
		else
			rm -rf "$DS"
		fi
	fi
}
trap qs_cleanup EXIT
trap 'exit 1' INT TERM HUP

dh_setup
DS=$S
chgrp Debian-exim "$DS/tdb" && chmod 2770 "$DS/tdb" || exit 1
printf 'mail_access_groups = Debian-exim\n' >> "$DS/dovecot.conf"
dh_start || exit 1
RB_DB=$DB
"$rb" --db "$RB_DB" db create || exit 1

exim_setup
trap qs_cleanup EXIT
exim_start
echo "quickstart: Exim on 127.0.0.1:$P1 (state $S),"
echo "quickstart: Dovecot LMTP on 127.0.0.1:$LMTP_PORT (state $DS),"
echo "quickstart: ledger $RB_DB"

# The DSNs: with a null sender to the return path, as a remote server
# sends them.  The rest (no delivery-status part) goes to Bounces.
dsns=() notices=()
for f in "$abs_top_srcdir"/samples/*.eml; do
	if grep -qi '^Content-Type: multipart/report' "$f"; then
		dsns+=("$f")
	else
		notices+=("$f")
	fi
done

for f in "${dsns[@]}"; do
	id=$(basename "$f" .eml)
	m=$(msg_with_id "$id" "$f")
	if reply=$(send '<>' newsletter@rebound.test "$m"); then
		echo "quickstart: Exim took samples/$id.eml: $reply"
	else
		echo "quickstart: Exim refused samples/$id.eml: $reply"
		show_logs
		exit 1
	fi
done
for f in "${dsns[@]}"; do
	id=$(basename "$f" .eml)
	wait_delivered "$id" 1 || { echo "quickstart: samples/$id.eml not delivered"; show_logs; exit 1; }
done

for f in "${notices[@]}"; do
	if dh_lmtp "testuser+Bounces@sales.example" "$f"; then
		echo "quickstart: Dovecot stored samples/$(basename "$f") in Bounces (LMTP)"
	else
		echo "quickstart: LMTP delivery of $f failed"
		cat "$S/swaks.out"
		exit 1
	fi
done

echo
echo "rebound lines in Exim's main log:"
grep 'rebound: ' "$MAINLOG" | sed 's/^[^ ]* [^ ]* [^ ]* /  /'
# The plugin logs only problems (and more with mail_debug = yes).
if grep -q 'rebound: ' "$DS/dovecot/log/dovecot.log" 2>/dev/null; then
	echo "rebound lines in Dovecot's log:"
	grep 'rebound: ' "$DS/dovecot/log/dovecot.log" | sed 's/^/  /'
fi
echo
echo "\$ rebound --db $RB_DB stats"
"$rb" --db "$RB_DB" stats || exit 1
echo
echo "\$ rebound --db $RB_DB list"
"$rb" --db "$RB_DB" list || exit 1
echo
echo "quickstart: done in $(( $(date +%s) - started )) s; stopping the servers and removing $S and $DS"
exit 0
