#!/bin/bash
# test-modules-load.sh - load the built modules into the real servers.
#
#  (a) exim4 -be evaluates ${dlfunc} on rebound.so: rebound_suppressed
#      must answer "no";
#  (b) one DSN through "exim4 -bs" (via swaks) with local_scan_path set to
#      rebound.so: accepted (so the .so loaded and passed the ABI check)
#      and delivered to an appendfile mbox;
#  (c) a private Dovecot whose mail_plugin_dir holds the plugin and notify:
#      dovecot-lda stores one message with mail_plugins "notify rebound".
#
# Needs root, Exim (exim4-daemon-heavy: dlfunc) and Dovecot; skips (77)
# otherwise.  No TCP ports: Exim runs without a daemon, Dovecot listens on
# unix sockets only, so parallel runs do not collide.  State lives in a
# temporary directory under /tmp that Debian-exim and uid 5000 can reach
# (doc/platform.md §1.6, §2.4).  REBOUND_KEEP_TMP=1 keeps it.

set -u

# skip, fail, ok, wait_for, rb_end, rb_remove_state
. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/test-lib.sh"

exim_so=${REBOUND_EXIM_MODULE:-}
dovecot_so=${REBOUND_DOVECOT_PLUGIN:-}
sample=$rb_top/samples/postfix-user-unknown.eml

[ -n "$exim_so$dovecot_so" ] || skip "neither the Exim module nor the Dovecot plugin is built"
[ "$(id -u)" = 0 ] || skip "must run as root (Exim and Dovecot switch users)"
[ -f "$sample" ] || { echo "FAIL: $sample missing"; exit 1; }

run_exim=no
if [ -n "$exim_so" ]; then
	if ! command -v exim4 >/dev/null 2>&1; then
		echo "note: exim4 not installed, Exim part skipped"
	elif ! command -v swaks >/dev/null 2>&1; then
		echo "note: swaks not installed, Exim part skipped"
	elif ! getent passwd Debian-exim >/dev/null; then
		echo "note: no Debian-exim user, Exim part skipped"
	else
		run_exim=yes
	fi
fi
run_dovecot=no
lda=/usr/lib/dovecot/dovecot-lda
notify_so=/usr/lib/dovecot/modules/lib15_notify_plugin.so
if [ -n "$dovecot_so" ]; then
	if ! command -v dovecot >/dev/null 2>&1 || [ ! -x "$lda" ]; then
		echo "note: dovecot or dovecot-lda not installed, Dovecot part skipped"
	elif [ ! -f "$notify_so" ]; then
		echo "note: $notify_so missing, Dovecot part skipped"
	else
		run_dovecot=yes
	fi
fi
[ $run_exim = yes ] || [ $run_dovecot = yes ] || skip "Exim and Dovecot are not installed"

S=$(mktemp -d /tmp/rebound-modtest.XXXXXX) || exit 1
chmod 755 "$S"
dovecot_pid=

trap 'rb_end "$dovecot_pid"; rb_remove_state "$S"' EXIT
trap 'exit 1' INT TERM HUP

show_log() {
	[ -s "$1" ] || return 0
	echo "--- $1"
	tail -n 30 "$1"
}

marker="rebound-modtest-$$-$(date +%s)"
{
	printf 'X-Modtest-Marker: %s\n' "$marker"
	cat "$sample"
} > "$S/dsn.eml"
chmod 644 "$S/dsn.eml"

# --- Exim ---------------------------------------------------------------

if [ $run_exim = yes ]; then
	mkdir -p "$S/exim/spool" "$S/exim/log" "$S/exim/mail" "$S/tdb"
	chown -R Debian-exim:Debian-exim "$S/exim"
	chown root:Debian-exim "$S/tdb"
	chmod 2770 "$S/tdb"
	# A copy: the build tree need not be readable by Debian-exim.
	cp "$exim_so" "$S/rebound.so"
	chmod 644 "$S/rebound.so"

	# No trailing comments: Exim would take them as part of the value.
	cat > "$S/exim.conf" <<EOF
REBOUND_DB = $S/tdb/rebound.tdb
REBOUND_SO = $S/rebound.so
primary_hostname = rebound.test
spool_directory = $S/exim/spool
log_file_path = $S/exim/log/%slog
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
local_scan_path = REBOUND_SO
local_scan_timeout = 5s
domainlist local_domains = rebound.test
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
acl_not_smtp  = acl_notsmtp

begin acl

acl_rcpt:
  deny    message = suppressed recipient
          condition = \${dlfunc{REBOUND_SO}{rebound_suppressed}{\$local_part@\$domain}{REBOUND_DB}}
  accept  domains = +local_domains
  deny

acl_data:
  warn    set acl_m_rebound_db = REBOUND_DB
  accept

acl_notsmtp:
  warn    set acl_m_rebound_db = REBOUND_DB
  accept

begin routers

suppressed:
  driver = redirect
  condition = \${if eq{\${dlfunc{REBOUND_SO}{rebound_suppressed}{\$local_part@\$domain}{REBOUND_DB}}}{yes}}
  data = :fail: suppressed
  allow_fail

local_file:
  driver = accept
  transport = to_file

begin transports

to_file:
  driver = appendfile
  file = $S/exim/mail/all.mbox
  user = Debian-exim
EOF
	chmod 644 "$S/exim.conf"

	if ! out=$(timeout 30 exim4 -C "$S/exim.conf" -bV 2>&1); then
		echo "$out"
		fail "exim4 -bV rejects the test configuration"
	fi

	# (a) dlfunc
	out=$(timeout 30 exim4 -C "$S/exim.conf" \
		-be "\${dlfunc{$S/rebound.so}{rebound_suppressed}{a@b}}" 2>&1)
	if [ "$out" = no ]; then
		echo "ok: exim -be dlfunc rebound_suppressed -> no"
	else
		fail "exim -be dlfunc gave '$out', expected 'no'"
	fi

	# (b) local_scan in an SMTP reception, then delivery
	if out=$(timeout 60 swaks --pipe "exim4 -C $S/exim.conf -bs" \
			--from '<>' --to bounces@rebound.test \
			--data "@$S/dsn.eml" 2>&1) &&
	   printf '%s\n' "$out" | grep -q '^<[-~]  *250 OK id='; then
		echo "ok: exim accepted the DSN with local_scan_path = rebound.so"
	else
		printf '%s\n' "$out" | tail -n 15
		fail "exim did not accept the message (swaks)"
	fi
	if wait_for 20 grep -q "^X-Modtest-Marker: $marker" "$S/exim/mail/all.mbox" 2>/dev/null; then
		echo "ok: exim delivered it to the mbox"
	else
		fail "message not delivered to $S/exim/mail/all.mbox"
	fi
	if grep -q 'local_scan' "$S/exim/log/mainlog" "$S/exim/log/paniclog" 2>/dev/null; then
		grep 'local_scan' "$S/exim/log/mainlog" "$S/exim/log/paniclog"
		fail "exim logged a local_scan problem"
	fi
	# Under -C, "exim user lost privilege" is expected in the panic log.
	if [ -f "$S/exim/log/paniclog" ] &&
	   grep -v 'lost privilege for using -C option' "$S/exim/log/paniclog" | grep -q .; then
		fail "unexpected lines in exim's panic log"
	fi
	[ $rb_failed = 0 ] || { show_log "$S/exim/log/mainlog"; show_log "$S/exim/log/paniclog"; }
fi

# --- Dovecot --------------------------------------------------------------

if [ $run_dovecot = yes ]; then
	D=$S/dovecot
	mkdir -p "$D/home" "$D/log" "$D/lib" "$S/plugins"
	chown 5000:5000 "$D/home"
	# Copy the plugin (the build tree need not be readable by uid 5000);
	# a custom mail_plugin_dir must hold notify too.
	cp "$dovecot_so" "$S/plugins/lib90_rebound_plugin.so"
	chmod 644 "$S/plugins/lib90_rebound_plugin.so"
	ln -s "$notify_so" "$S/plugins/"

	cat > "$S/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/lib
instance_name = rebound-modtest-$$
log_path = $D/log/dovecot.log
protocols = lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=5000 gid=5000 home=$D/home/%n
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Bounces {
    auto = create
  }
}
lda_mailbox_autocreate = yes
recipient_delimiter = +
mail_plugin_dir = $S/plugins
mail_plugins = \$mail_plugins notify rebound
plugin {
  rebound_mailboxes = Bounces
  rebound_db = $S/tdb/rebound.tdb
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
EOF
	chmod 644 "$S/dovecot.conf"

	if ! out=$(doveconf -c "$S/dovecot.conf" -n 2>&1 >/dev/null); then
		echo "$out"
		fail "doveconf rejects the test configuration"
	fi
	dovecot -F -c "$S/dovecot.conf" &
	dovecot_pid=$!
	if ! wait_for 20 test -S "$D/run/auth-userdb" -a -S "$D/run/lmtp"; then
		fail "dovecot did not start"
		show_log "$D/log/dovecot.log"
	else
		if timeout 60 "$lda" -c "$S/dovecot.conf" -o mail_debug=yes \
				-d testuser -m Bounces -f '' < "$S/dsn.eml"; then
			echo "ok: dovecot-lda exited 0 with mail_plugins = notify rebound"
		else
			fail "dovecot-lda failed (exit $?)"
		fi
		if grep -q "Module loaded: .*/lib90_rebound_plugin.so" "$D/log/dovecot.log"; then
			echo "ok: dovecot loaded lib90_rebound_plugin.so"
		else
			fail "no 'Module loaded' line for the plugin in the log"
		fi
		stored=$(grep -l "^X-Modtest-Marker: $marker" \
			"$D"/home/testuser/Maildir/.Bounces/new/* \
			"$D"/home/testuser/Maildir/.Bounces/cur/* 2>/dev/null)
		if [ -n "$stored" ]; then
			echo "ok: dovecot stored it in Bounces"
		else
			fail "message not found in $D/home/testuser/Maildir/.Bounces"
		fi
		# The plugin's own "rebound:" line is expected: uid 5000 cannot
		# reach the ledger here (recording: test-dovecot-plugin.sh).
		if grep 'Fatal:\|Panic:\|Error:' "$D/log/dovecot.log" |
		   grep -vq 'Error: rebound: '; then
			fail "errors in dovecot's log"
		fi
		[ $rb_failed = 0 ] || show_log "$D/log/dovecot.log"
	fi
fi

[ $rb_failed = 0 ] && echo "PASS: modules load"
exit $rb_failed
