# exim-lib.sh - shared by the tests/test-exim-*.sh integration tests and
# tests/bench-exim.sh: a private Exim daemon on two free loopback ports
# with rebound.so as local_scan, and helpers to send mail and read the
# results.  Sourced, not run; it sources tests/test-lib.sh (fail, ok,
# wait_for, ledger, the lock holders: what the Dovecot tests share).
#
#  port P1  "our" MTA: takes DSNs and ordinary mail for rebound.test and
#           acl.test (RCPT ACL asks rebound_suppressed), relays
#           remote.test through an smtp transport with rebound_event as
#           event_action (and a router that asks rebound_suppressed);
#  port P2  stands in for the remote servers of remote.test: refuses
#           unknown*@ with 550 5.1.1 and full*@ with 452 4.2.2, keeps
#           everything else.
#  Everything is delivered to one mbox, $S/exim/mail/all.mbox, with
#  Envelope-to and X-Local-Scan-Data headers.
#
# State under a mktemp directory in /tmp, or in REBOUND_TEST_DIR (a
# benchmark on another filesystem; Debian-exim must traverse it); the
# daemon is stopped on exit.  REBOUND_KEEP_TMP=1 keeps the directory.
# Tests set these before exim_start (all optional):
#   RB_DATA_ACL    extra lines for the DATA and non-SMTP ACLs
#   RB_MAIN        extra main-section options
#   RB_LOCAL_SCAN  "no": run without local_scan_path (benchmarks)
#   RB_DB          the ledger path put in acl_m_rebound_db (default
#                  $S/tdb/rebound.tdb)
#   RB_SMTP_EXTRA  extra lines for the remote_smtp transport
#   RB_BATCH_MS    batch_ms for local_scan (acl_m_rebound_batch_ms):
#                  unset, 0: each notice its own transaction before
#                  local_scan returns, so that a test reads the ledger
#                  at once; empty: the default (batches); a number

set -u

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/test-lib.sh"
rb_fixtures=$rb_top/tests/fixtures/exim

exim_require() {
	[ -n "${REBOUND_EXIM_MODULE:-}" ] || skip "the Exim module is not built"
	[ -f "$REBOUND_EXIM_MODULE" ] || skip "$REBOUND_EXIM_MODULE missing (not built yet?)"
	command -v exim4 >/dev/null 2>&1 || skip "exim4 is not installed"
	[ "$(id -u)" = 0 ] || skip "must run as root (Exim switches to Debian-exim)"
	getent passwd Debian-exim >/dev/null || skip "no Debian-exim user"
	command -v swaks >/dev/null 2>&1 || skip "swaks is not installed"
	command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
	exim4 -bV 2>/dev/null | grep -q 'Expand_dlfunc' ||
		skip "this exim4 has no \${dlfunc} (install exim4-daemon-heavy)"
}

S=
exim_pid=

# exim_cleanup: the EXIT trap exim_setup sets: the daemon and any lock
# holder stopped, $S removed (kept with REBOUND_KEEP_TMP=1).
exim_cleanup() {
	rb_stop_holders
	exim_stop
	rb_remove_state "$S"
}

# exim_finish NAME: the test's end: the logs when a check failed, PASS
# when none did, and that as the exit status.
exim_finish() {
	[ $rb_failed = 0 ] || show_logs
	[ $rb_failed = 0 ] && echo "PASS: exim $1"
	exit $rb_failed
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

exim_setup() {
	S=$(mktemp -d "${REBOUND_TEST_DIR:-/tmp}/rebound-exim.XXXXXX") || exit 1
	chmod 755 "$S"
	trap exim_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	mkdir -p "$S/exim/spool" "$S/exim/log" "$S/exim/mail" "$S/tdb" "$S/msg"
	chown -R Debian-exim:Debian-exim "$S/exim"
	chown root:Debian-exim "$S/tdb"
	chmod 2770 "$S/tdb"
	# A copy: the build tree need not be readable by Debian-exim.
	cp "$REBOUND_EXIM_MODULE" "$S/rebound.so"
	chmod 644 "$S/rebound.so"
	P1=$(free_port) && P2=$(free_port) || exit 1
	while [ "$P1" = "$P2" ]; do P2=$(free_port) || exit 1; done
	DB=${RB_DB:-$S/tdb/rebound.tdb}
	MBOX=$S/exim/mail/all.mbox
	MAINLOG=$S/exim/log/mainlog
}

# Write $S/exim.conf.  No trailing comments: Exim keeps them as values.
exim_write_config() {
	local ls_line="local_scan_path = REBOUND_SO"
	[ "${RB_LOCAL_SCAN:-yes}" = no ] && ls_line=
	local batch_line=
	[ -n "${RB_BATCH_MS-0}" ] &&
		batch_line="  warn    set acl_m_rebound_batch_ms = ${RB_BATCH_MS-0}"
	cat > "$S/exim.conf" <<EOF
REBOUND_DB = $DB
REBOUND_SO = $S/rebound.so
primary_hostname = rebound.test
qualify_domain = rebound.test
spool_directory = $S/exim/spool
log_file_path = $S/exim/log/%slog
pid_file_path = $S/exim/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $P1 : $P2
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
$ls_line
local_scan_timeout = 30s
domainlist local_domains = rebound.test : acl.test
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
acl_not_smtp  = acl_notsmtp
smtp_accept_max = 100
smtp_accept_queue_per_connection = 0
${RB_MAIN:-}

begin acl

acl_rcpt:
  deny    condition = \${if eq{\$received_port}{$P2}}
          local_parts = ^unknown
          message = 5.1.1 <\$local_part@\$domain>: user unknown
  defer   condition = \${if eq{\$received_port}{$P2}}
          local_parts = ^full
          message = 452 4.2.2 <\$local_part@\$domain>: mailbox full
  accept  condition = \${if eq{\$received_port}{$P2}}
  deny    domains = acl.test
          message = suppressed recipient
          condition = \${dlfunc{REBOUND_SO}{rebound_suppressed}{\$local_part@\$domain}{REBOUND_DB}}
  accept  domains = +local_domains : remote.test
  deny    message = relay not permitted

acl_data:
  warn    set acl_m_rebound_db = REBOUND_DB
$batch_line
${RB_DATA_ACL:-}
  accept

acl_notsmtp:
  warn    set acl_m_rebound_db = REBOUND_DB
$batch_line
${RB_DATA_ACL:-}
  accept

begin routers

remote_side:
  driver = accept
  condition = \${if eq{\$received_port}{$P2}}
  transport = to_file

suppressed:
  driver = redirect
  domains = remote.test
  condition = \${if eq{\${dlfunc{REBOUND_SO}{rebound_suppressed}{\$local_part@\$domain}{REBOUND_DB}}}{yes}}
  data = :fail: suppressed by rebound
  allow_fail

outgoing:
  driver = manualroute
  domains = remote.test
  route_list = * 127.0.0.1
  self = send
  transport = remote_smtp

local:
  driver = accept
  domains = +local_domains
  transport = to_file

begin transports

remote_smtp:
  driver = smtp
  port = $P2
  allow_localhost
  hosts_avoid_tls = *
${RB_SMTP_EXTRA:-}
  event_action = \${if match{\$event_name}{\N^msg:(delivery|fail:delivery|rcpt:host:defer)\$\N}{\${dlfunc{REBOUND_SO}{rebound_event}{\$event_name}{\$local_part@\$domain}{\$event_data}{REBOUND_DB}}}}

to_file:
  driver = appendfile
  file = $MBOX
  envelope_to_add
  headers_add = X-Local-Scan-Data: \$local_scan_data
  user = Debian-exim

begin retry

*  *  F,1h,1m
EOF
	chmod 644 "$S/exim.conf"
}

exim_start() {
	exim_write_config
	local out
	if ! out=$(timeout 30 exim4 -C "$S/exim.conf" -bV 2>&1); then
		echo "$out"
		echo "FAIL: exim4 -bV rejects the test configuration"
		exit 1
	fi
	# Under -C every delivery logs "exim user lost privilege" to stderr.
	exim4 -C "$S/exim.conf" -bdf 2>>"$S/exim/daemon.err" &
	exim_pid=$!
	if ! wait_for 20 port_open "$P1" || ! wait_for 5 port_open "$P2"; then
		echo "FAIL: exim did not start listening"
		show_logs
		exit 1
	fi
}

port_open() {
	(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

exim_stop() {
	rb_end "$exim_pid"
	exim_pid=
}

show_logs() {
	local f
	for f in "$S/exim/log/mainlog" "$S/exim/log/paniclog" "$S/exim/log/rejectlog"; do
		[ -s "$f" ] || continue
		echo "--- $f"
		tail -n 40 "$f"
	done
}

# msg_with_id ID FILE: a copy of FILE with "X-Test-Id: ID" on top, in $S/msg.
msg_with_id() {
	local out=$S/msg/$1.eml
	{ printf 'X-Test-Id: %s\n' "$1"; cat "$2"; } > "$out"
	chmod 644 "$out"
	echo "$out"
}

# send FROM TO FILE [PORT]: one SMTP transaction; prints swaks's last
# server reply; status 0 when the message was accepted (250 after DATA).
send() {
	local from=$1 to=$2 file=$3 port=${4:-$P1} out
	out=$(timeout 60 swaks --server "127.0.0.1:$port" --from "$from" \
		--to "$to" --data "@$file" --helo client.example 2>&1)
	LAST_SWAKS=$out
	printf '%s\n' "$out" | grep -E '^<[-~*]* +[0-9]{3}[ -]' |
		grep -Ev '^<[-~*]* +221 ' | tail -n 1
	printf '%s\n' "$out" | grep -Eq '^<[-~] +250 .*(OK id=|queued)'
}

# delivered ID: how many copies of the message "X-Test-Id: ID" are in the mbox.
delivered() {
	[ -f "$MBOX" ] || { echo 0; return; }
	grep -c "^X-Test-Id: $1\$" "$MBOX"
}

# wait_delivered ID N: until N copies are in the mbox (60 s: a loaded
# machine delivers slowly; the wait ends as soon as they are there).
wait_delivered() {
	wait_for 60 delivered_at_least "$1" "$2"
}

# delivered_at_least ID N: are N copies of ID in the mbox?  (A function,
# so that wait_for counts them again each time: an argument written as
# "$(delivered ID)" would be counted once, before the wait.)
delivered_at_least() {
	[ "$(delivered "$1")" -ge "$2" ]
}

# out_at_least NAME N: are N of batch NAME delivered?  count_out is the
# test's own way of counting a batch.
out_at_least() {
	[ "$(count_out "$1")" -ge "$2" ]
}

# ledger_is ADDRESS FIELD VALUE: does the ledger say so (see ledger())?
ledger_is() {
	[ "$(ledger "$1" "$2")" = "$3" ]
}

# headers_of ID: the header block of the delivered copy of ID.
headers_of() {
	awk -v id="X-Test-Id: $1" '
		/^From / { hdr = ""; inhdr = 1; found = 0; next }
		inhdr && /^$/ { inhdr = 0; if (found) { printf "%s", hdr; exit } ; next }
		inhdr { hdr = hdr $0 "\n"; if ($0 == id) found = 1 }
	' "$MBOX"
}

# show ADDRESS: the ledger's JSON record of ADDRESS ("rebound show --json").
show() {
	"$rb_cli" --db "$DB" show --json "$1" 2>&1
}

# make_dsn ID RECIPIENT STATUS CODE TEXT [CAMPAIGN]: write $S/msg/ID.eml,
# an RFC 3464 report that mail to RECIPIENT failed with STATUS and the
# SMTP reply "CODE STATUS TEXT"; its returned headers name CAMPAIGN
# (in the header $RB_CAMPAIGN_HEADER, default X-Campaign-ID).
make_dsn() {
	local id=$1 rcpt=$2 status=$3 code=$4 text=$5 campaign=${6:-}
	local out=$S/msg/$id.eml
	{
		printf 'X-Test-Id: %s\n' "$id"
		printf 'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n'
		printf 'To: news@rebound.test\n'
		printf 'Subject: Delivery Status Notification (Failure)\n'
		printf 'Message-ID: <%s.%s@mx.example.net>\n' "$id" "$$"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/report; report-type=delivery-status;\n'
		printf '\tboundary="b-%s"\n\n' "$id"
		printf -- '--b-%s\nContent-Type: text/plain\n\n' "$id"
		printf 'Delivery to %s failed.\n\n' "$rcpt"
		printf -- '--b-%s\nContent-Type: message/delivery-status\n\n' "$id"
		printf 'Reporting-MTA: dns; mx.example.net\n\n'
		printf 'Final-Recipient: rfc822; %s\nAction: failed\n' "$rcpt"
		printf 'Status: %s\nDiagnostic-Code: smtp; %s %s %s\n\n' \
			"$status" "$code" "$status" "$text"
		printf -- '--b-%s\nContent-Type: text/rfc822-headers\n\n' "$id"
		printf 'From: News <news@rebound.test>\nTo: %s\n' "$rcpt"
		printf 'Subject: a letter\nMessage-ID: <sent.%s@rebound.test>\n' "$id"
		[ -n "$campaign" ] && printf '%s: %s\n' "${RB_CAMPAIGN_HEADER:-X-Campaign-ID}" "$campaign"
		printf '\n--b-%s--\n' "$id"
	} > "$out"
	chmod 644 "$out"
	echo "$out"
}

# make_plain ID FROM TO [HEADER]: a short ordinary message.
make_plain() {
	local out=$S/msg/$1.eml
	{
		printf 'X-Test-Id: %s\n' "$1"
		printf 'From: <%s>\nTo: <%s>\nSubject: test %s\n' "$2" "$3" "$1"
		printf 'Message-ID: <%s.%s@rebound.test>\n' "$1" "$$"
		[ -n "${4:-}" ] && printf '%s\n' "$4"
		printf '\nHello.\n'
	} > "$out"
	chmod 644 "$out"
	echo "$out"
}

# expect_ledger ADDRESS FIELD VALUE
expect_ledger() {
	local got
	got=$(ledger "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "ledger: $1 $2 = $3"
	else
		fail "ledger: $1 $2 is '$got', expected '$3'"
	fi
}

# not_in_ledger ADDRESS
not_in_ledger() {
	if "$rb_cli" --db "$DB" show --json "$1" >/dev/null 2>&1; then
		fail "ledger: $1 is recorded, expected nothing"
	else
		ok "ledger: nothing about $1"
	fi
}
