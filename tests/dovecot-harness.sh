# dovecot-harness.sh - start a private Dovecot for the plugin's tests and
# benchmark (sourced by tests/test-dovecot-*.sh, tests/test-faults-dovecot.sh,
# tests/bench-dovecot.sh, tests/soak.sh).  It sources tests/test-lib.sh
# (fail, ok, wait_for, ledger, the lock holders: what the Exim tests share).
#
#   dh_require                 skip (exit 77) unless root, Dovecot, swaks,
#                              python3 and the built plugin are there
#   dh_setup [PLUGINS]         state dir $S (under REBOUND_TEST_DIR, else
#                              /tmp), config $S/dovecot.conf with
#                              mail_plugins = PLUGINS (default
#                              "notify rebound"), IMAP and LMTP on free
#                              loopback ports $IMAP_PORT, $LMTP_PORT
#   dh_test_setup [PLUGINS]    dh_setup, and dh_cleanup on exit: Dovecot
#                              and any lock holder stopped, $S removed
#                              (kept with REBOUND_KEEP_TMP=1)
#   dh_start / dh_stop         the master in the foreground, stopped on exit
#   dh_base_conf               the first lines of a rebound.conf: batch_ms
#                              = RB_BATCH_MS (unset: 0, each notice its own
#                              transaction; empty: the default batches)
#   dh_lda USER MAILBOX FILE   deliver with dovecot-lda
#   dh_lmtp RCPT FILE          deliver with swaks over LMTP
#   dh_stored USER MAILBOX MESSAGE-ID   is the message in the Maildir?
#   notice TAG                 a copy of the Mimecast-style notice about
#                              carol.TAG@partner.example; prints its path
#
# Users (passwd-file userdb, password "secret", all uid/gid 5000):
#   testuser    plugin settings from plugin {}
#   brokenuser  rebound_db from userdb: a path it may not open
#   quietuser   rebound_mailboxes empty from userdb: plugin idle
#   dboxuser    sdbox instead of Maildir (keywords, see doc/dovecot.md)
#   noboxuser   monitors the mailbox Missing, which does not exist
# Every directory on the way must be reachable by uid 5000
# (doc/platform.md §2.4); the state lives under /tmp.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/test-lib.sh"

DH_LDA=/usr/lib/dovecot/dovecot-lda
DH_NOTIFY=/usr/lib/dovecot/modules/lib15_notify_plugin.so
dh_pid=

dh_require() {
	[ -n "${REBOUND_DOVECOT_PLUGIN:-}" ] ||
		{ echo "SKIP: the Dovecot plugin is not built"; exit 77; }
	[ "$(id -u)" = 0 ] ||
		{ echo "SKIP: must run as root (Dovecot switches users)"; exit 77; }
	command -v dovecot >/dev/null 2>&1 && [ -x "$DH_LDA" ] ||
		{ echo "SKIP: dovecot or dovecot-lda not installed"; exit 77; }
	[ -f "$DH_NOTIFY" ] ||
		{ echo "SKIP: $DH_NOTIFY missing"; exit 77; }
	command -v swaks >/dev/null 2>&1 ||
		{ echo "SKIP: swaks not installed"; exit 77; }
	command -v python3 >/dev/null 2>&1 ||
		{ echo "SKIP: python3 not installed"; exit 77; }
	return 0
}

# Two free loopback ports, chosen by the kernel.
dh_free_ports() {
	python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

dh_setup() {
	local plugins=${1:-notify rebound}

	S=$(mktemp -d "${REBOUND_TEST_DIR:-/tmp}/rebound-dovecot.XXXXXX") || exit 1
	chmod 755 "$S"
	D=$S/dovecot
	mkdir -p "$D/home" "$D/log" "$D/lib" "$S/plugins" "$S/tdb" "$S/locked"
	chown 5000:5000 "$D/home"
	# The ledger's directory as doc/dovecot.md sets it up: group of the
	# mail user, setgid.  "locked" is what uid 5000 cannot enter.
	chown root:5000 "$S/tdb"
	chmod 2770 "$S/tdb"
	chmod 700 "$S/locked"
	DB=$S/tdb/rebound.tdb
	# Copies: the build tree need not be readable by uid 5000.
	cp "$REBOUND_DOVECOT_PLUGIN" "$S/plugins/lib90_rebound_plugin.so"
	chmod 644 "$S/plugins/lib90_rebound_plugin.so"
	ln -s "$DH_NOTIFY" "$S/plugins/"
	set -- $(dh_free_ports)
	IMAP_PORT=$1
	LMTP_PORT=$2

	cat > "$S/users" <<EOF
testuser::5000:5000::$D/home/testuser::
brokenuser::5000:5000::$D/home/brokenuser::userdb_rebound_db=$S/locked/rebound.tdb
quietuser::5000:5000::$D/home/quietuser::userdb_rebound_mailboxes=
dboxuser::5000:5000::$D/home/dboxuser::userdb_mail=sdbox:~/sdbox
noboxuser::5000:5000::$D/home/noboxuser::userdb_rebound_mailboxes=Missing
EOF
	chmod 644 "$S/users"
	cat > "$S/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/lib
instance_name = rebound-test-$$
log_path = $D/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = passwd-file
  args = username_format=%n $S/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Bounces {
    auto = create
  }
  mailbox Archive {
    auto = create
  }
}
lda_mailbox_autocreate = yes
lmtp_save_to_detail_mailbox = yes
recipient_delimiter = +
mail_plugin_dir = $S/plugins
mail_plugins = \$mail_plugins $plugins
plugin {
  rebound_mailboxes = Bounces
  rebound_db = $DB
  rebound_config = $S/rebound.conf
  rebound_keyword = ReboundBounce
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
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
	# The compiled-in defaults, but each notice recorded before the
	# delivery ends, so that a test reads the ledger at once
	# (RB_BATCH_MS: a number; empty: the default batches).
	dh_base_conf > "$S/rebound.conf"
	chmod 644 "$S/rebound.conf"
}

# dh_test_setup [PLUGINS]: dh_setup for a test, which leaves nothing
# behind (dh_cleanup on exit, exit 1 on a signal).
dh_test_setup() {
	dh_setup "$@"
	trap dh_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# dh_cleanup: Dovecot and any lock holder stopped, $S removed.
dh_cleanup() {
	rb_stop_holders
	dh_stop
	rb_remove_state "$S"
}

# dh_base_conf: the lines every test configuration starts with.
dh_base_conf() {
	printf '# rebound test configuration: defaults\n'
	[ -z "${RB_BATCH_MS-0}" ] || printf 'batch_ms = %s\n' "${RB_BATCH_MS-0}"
}

dh_start() {
	local n=100
	dovecot -F -c "$S/dovecot.conf" &
	dh_pid=$!
	# Probe the socket files, not the ports (doc/platform.md §2.4).
	while [ $n -gt 0 ]; do
		[ -S "$D/run/lmtp" ] && [ -S "$D/run/auth-userdb" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "dovecot did not start"
	tail -n 20 "$D/log/dovecot.log" 2>/dev/null
	return 1
}

dh_stop() {
	rb_end "$dh_pid"
	dh_pid=
}

dh_lda() {
	timeout 60 "$DH_LDA" -c "$S/dovecot.conf" -d "$1" -m "$2" -f '' < "$3"
}

dh_lmtp() {
	timeout 60 swaks --server 127.0.0.1 --port "$LMTP_PORT" --protocol LMTP \
		--from '<>' --to "$1" --data "@$2" >"$S/swaks.out" 2>&1
}

# notice TAG: a copy of the Mimecast-style notice for recipient
# carol.TAG@partner.example with Message-ID <gwn-TAG@...>; prints the path.
notice() {
	sed -e "s/carol\.ng@partner\.example/carol.$1@partner.example/g" \
	    -e "s/<gwn-20240611091238-4411@/<gwn-$1@/" \
	    "$rb_top/tests/fixtures/dovecot/mimecast-notice.eml" > "$S/notice-$1.eml"
	chmod 644 "$S/notice-$1.eml"
	echo "$S/notice-$1.eml"
}

dh_stored() {
	local found
	found=$(timeout 60 doveadm -c "$S/dovecot.conf" search -u "$1" \
		mailbox "$2" header Message-ID "<$3>" 2>/dev/null)
	[ -n "$found" ]
}
