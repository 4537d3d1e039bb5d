#!/bin/bash
# test-config-examples.sh - the drop-in examples under doc/examples/ are
# valid where rebound-mta(7) and doc/install.md say to put them.  Every
# half works on pristine copies of Debian's files in a temporary directory
# (tests/debian-lib.sh), never on the live /etc/exim4 or /etc/dovecot:
#  - Exim, Debian's split configuration: exim4-config's own files with
#    conf.d/main/000_localmacros, conf.d/router/140_rebound_suppressed, the
#    ACL files (MAIN_ACL_CHECK_RCPT switched on too) and
#    "event_action = REBOUND_EVENT" in the smtp transports, put together
#    by update-exim4.conf and checked by "exim4 -C ... -bV"; with the
#    built module, "exim4 -bh" refuses a suppressed recipient (550) to an
#    authenticated client and to a relay_from_hosts one, the very clients
#    Debian's acl_check_rcpt accepts first;
#  - Exim, the monolithic template: exim4.conf.localmacros and the pieces
#    of exim4.conf.template.rebound pasted where the file says, the same;
#  - Dovecot: dovecot-core's files with conf.d/90-rebound.conf, read by
#    "doveconf -c ... -n", which must show no warning, the plugin in each
#    protocol that saves mail, Bounces created on demand and the plugin's
#    settings, also with Sieve switched on in Debian's 20-lmtp.conf and
#    20-imap.conf ("mail_plugins = $mail_plugins sieve");
#  - every rebound_* setting of the Dovecot example is documented in
#    doc/dovecot.md and rebound-mta(7).
# Each half is skipped without its server's packages; 77 when both are.

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
ex=$top/doc/examples
. "$top/tests/debian-lib.sh"
T=$(mktemp -d /tmp/rebound-examples.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
# exim4 -C reads the files as Debian-exim.
chmod 755 "$T"
failed=0 ran=0
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok: $*"; }

# exim_check NAME CONFDIR: update-exim4.conf and exim4 -bV on it.
exim_check() {
	local name=$1 dir=$2 out
	if ! out=$(update-exim4.conf -d "$dir" -o "$dir/out.conf" 2>&1); then
		fail "$name: update-exim4.conf failed: $out"
		return
	fi
	if ! out=$(timeout 30 exim4 -C "$dir/out.conf" -bV 2>&1); then
		fail "$name: exim4 -bV rejects the configuration:"
		printf '%s\n' "$out" | tail -n 5
		return
	fi
	ok "$name: exim4 -bV accepts it"
	# The pieces are in the generated file, in force.
	out=$(exim4 -C "$dir/out.conf" -bP local_scan_path 2>&1)
	case $out in
	*"$T/rebound.so"*) ok "$name: local_scan_path = the module" ;;
	*) fail "$name: local_scan_path is '$out'" ;;
	esac
	out=$(exim4 -C "$dir/out.conf" -bP acl_smtp_rcpt 2>&1)
	case $out in
	*"$T/rebound-rcpt.acl"*) ok "$name: acl_smtp_rcpt = rebound-rcpt.acl" ;;
	*) fail "$name: acl_smtp_rcpt is '$out'" ;;
	esac
	out=$(exim4 -C "$dir/out.conf" -bP router rebound_suppressed 2>&1)
	printf '%s\n' "$out" | grep -q 'driver = redirect' &&
		ok "$name: router rebound_suppressed defined" ||
		fail "$name: no router rebound_suppressed: $out"
	out=$(exim4 -C "$dir/out.conf" -bP transport remote_smtp 2>&1)
	printf '%s\n' "$out" | grep -q 'event_action = .*rebound_event' &&
		ok "$name: remote_smtp has the event_action" ||
		fail "$name: remote_smtp has no rebound event_action"
	grep -q 'acl_m_rebound_db' "$dir/out.conf" "$T"/rebound-data.acl ||
		fail "$name: acl_m_rebound_db is set nowhere"
	rcpt_check "$name" "$dir/out.conf"
}

# rcpt_check NAME CONF: with the real module and a ledger in which
# alice.smith@example.net is suppressed, exim4 -bh: the clients Debian's
# acl_check_rcpt accepts before anything else (an authenticated one, a
# relay_from_hosts one) get 550 for her and 250 for another address; a
# stranger still gets Debian's "relay not permitted".
rcpt_check() {
	local name=$1 conf=$2 out who
	[ -n "$have_module" ] || return 0
	for who in "authenticated:192.0.2.10 -oMaa plain_server -oMai alice" \
		   "relay_from_hosts:192.0.2.20"; do
		# shellcheck disable=SC2086
		out=$(printf 'EHLO client.example\r\nMAIL FROM:<news@rebound.test>\r\nRCPT TO:<alice.smith@example.net>\r\nRCPT TO:<ok@example.org>\r\nQUIT\r\n' |
			timeout 30 exim4 -C "$conf" -bh ${who#*:} 2>&1)
		if printf '%s\n' "$out" | grep -q '^550 alice.smith@example.net: suppressed after earlier bounces' &&
		   printf '%s\n' "$out" | grep -q '^250 Accepted'; then
			ok "$name: ${who%%:*} client: suppressed recipient refused (550), other accepted"
		else
			fail "$name: ${who%%:*} client: no 550 for the suppressed recipient:"
			printf '%s\n' "$out" | grep -E '^[0-9]{3} |^LOG' | tail -n 6
		fi
	done
	out=$(printf 'EHLO client.example\r\nMAIL FROM:<news@rebound.test>\r\nRCPT TO:<alice.smith@example.net>\r\nQUIT\r\n' |
		timeout 30 exim4 -C "$conf" -bh 192.0.2.99 2>&1)
	printf '%s\n' "$out" | grep -q '^550 relay not permitted' &&
		ok "$name: a stranger still gets Debian's relay not permitted" ||
		fail "$name: a stranger's RCPT: $(printf '%s\n' "$out" | grep -E '^5[0-9]{2} ' | head -n 1)"
}

# exim_base DIR SPLIT: a pristine copy of Debian's Exim configuration
# (never the live /etc/exim4, which an administrator may have changed),
# relaying for 192.0.2.20.
exim_base() {
	deb_pristine_exim "$1" || return 1
	deb_update_conf "$1" "$2" 192.0.2.20
}

# Our files with their paths turned into the temporary ones, the optional
# RCPT ACL switched on.
localize() {
	sed -e "s|/usr/lib/exim4/local_scan/rebound.so|$T/rebound.so|g" \
		-e "s|/var/lib/rebound/rebound.tdb|$T/tdb/rebound.tdb|g" \
		-e "s|/etc/exim4/rebound-|$T/rebound-|" \
		-e "s|^#MAIN_ACL_CHECK_RCPT|MAIN_ACL_CHECK_RCPT|" "$1"
}

# add_event FILE: "event_action = REBOUND_EVENT" after "driver = smtp" in
# the smtp transports remote_smtp and remote_smtp_smarthost.
add_event() {
	local line
	line=$(grep '^ *event_action = REBOUND_EVENT$' "$ex/exim/exim4.conf.template.rebound")
	[ -n "$line" ] || { fail "no event_action line in exim4.conf.template.rebound"; return; }
	awk -v add="$line" '
		/^remote_smtp(_smarthost)?:/ { t = 1 }
		{ print }
		t && /^ *driver = smtp/ { print add; t = 0 }' "$1" > "$1.new" &&
		mv "$1.new" "$1"
}

if command -v exim4 >/dev/null && command -v update-exim4.conf >/dev/null &&
	command -v dpkg-query >/dev/null && exim_base "$T/split" true; then
	ran=1
	have_module=
	if [ -n "${REBOUND_EXIM_MODULE:-}" ] && [ -f "$REBOUND_EXIM_MODULE" ] &&
	   [ "$(id -u)" = 0 ] && [ -x "${abs_top_builddir:-$top}/cli/rebound" ]; then
		have_module=yes
		cp "$REBOUND_EXIM_MODULE" "$T/rebound.so"
		# The ledger: alice.smith@example.net suppressed.
		mkdir "$T/tdb"
		"${abs_top_builddir:-$top}/cli/rebound" --db "$T/tdb/rebound.tdb" \
			record "$top/samples/postfix-user-unknown.eml" > /dev/null ||
			fail "rebound record could not make the test ledger"
		chown -R root:Debian-exim "$T/tdb"
		chmod 2770 "$T/tdb"
		chmod 660 "$T/tdb/rebound.tdb"
	else
		echo "note: no built module or not root: the RCPT checks with exim4 -bh are skipped"
		# Not loaded by -bV; any file will do.
		: > "$T/rebound.so"
	fi
	localize "$ex/exim/rebound-data.acl" > "$T/rebound-data.acl"
	localize "$ex/exim/rebound-rcpt.acl" > "$T/rebound-rcpt.acl"
	localize "$ex/exim/rebound-notsmtp.acl" > "$T/rebound-notsmtp.acl"
	chmod 644 "$T"/rebound-*.acl "$T/rebound.so"

	# Split: the drop-ins as they are.
	localize "$ex/exim/conf.d/main/000_localmacros" > "$T/split/conf.d/main/000_localmacros"
	cp "$ex/exim/conf.d/router/140_rebound_suppressed" "$T/split/conf.d/router/"
	for f in "$T"/split/conf.d/transport/30_exim4-config_remote_smtp*; do
		add_event "$f"
	done
	chmod -R a+rX "$T/split"
	exim_check "split configuration" "$T/split"

	# Monolithic: localmacros + the router after "begin routers".
	exim_base "$T/mono" false
	# update-exim4.conf reads DIR/exim4.conf.localmacros only when
	# /etc/exim4/exim4.conf.localmacros exists; put it on top of the
	# template instead, which is what it would do.
	localize "$ex/exim/conf.d/main/000_localmacros" > "$T/router"
	cat "$T/router" "$T/mono/exim4.conf.template" > "$T/mono/t" &&
		mv "$T/mono/t" "$T/mono/exim4.conf.template"
	sed -n '/^rebound_suppressed:/,/^  allow_fail/p' \
		"$ex/exim/exim4.conf.template.rebound" > "$T/router"
	sed -i "/^begin routers/r $T/router" "$T/mono/exim4.conf.template"
	add_event "$T/mono/exim4.conf.template"
	chmod -R a+rX "$T/mono"
	exim_check "monolithic template" "$T/mono"
else
	echo "Exim half skipped: exim4, update-exim4.conf or a pristine copy of Debian's configuration missing"
fi

# dovecot_check NAME WANT: doveconf -n on $T/dovecot: no warning, the
# plugin list WANT in the lmtp, lda, imap and doveadm blocks, Bounces
# created on demand, the plugin settings there.
dovecot_check() {
	local name=$1 want=$2 out p
	if ! out=$(doveconf -c "$T/dovecot/dovecot.conf" -n 2>&1); then
		fail "$name: doveconf rejects 90-rebound.conf: $out"
		return
	fi
	ok "$name: doveconf -n accepts dovecot.conf with 90-rebound.conf"
	printf '%s\n' "$out" | grep -q 'Warning' &&
		fail "$name: doveconf warns: $(printf '%s\n' "$out" | grep Warning)"
	for p in lmtp lda imap doveadm; do
		printf '%s\n' "$out" | sed -n "/^protocol $p {/,/^}/p" |
			grep -q "^  mail_plugins = \"$want\"" &&
			ok "$name: protocol $p loads '$want'" ||
			fail "$name: protocol $p does not load '$want'"
	done
	printf '%s\n' "$out" | sed -n '/^namespace inbox {/,/^}/p' |
		grep -A1 '^  mailbox Bounces {' | grep -q 'auto = create' ||
		fail "$name: Bounces is not created on demand"
	for k in rebound_mailboxes rebound_db; do
		printf '%s\n' "$out" | grep -q "^  $k = " ||
			fail "$name: plugin setting $k missing"
	done
}

if command -v doveconf >/dev/null && deb_pristine_dovecot "$T/dovecot"; then
	ran=1
	cp "$ex/dovecot/conf.d/90-rebound.conf" "$T/dovecot/conf.d/"
	dovecot_check "Dovecot, Debian's defaults" " notify rebound"
	# Sieve switched on the Debian way, in the protocol blocks of
	# 20-lmtp.conf and 20-imap.conf: rebound still loads there.
	sed -i 's/^  #mail_plugins = \$mail_plugins$/  mail_plugins = $mail_plugins sieve/' \
		"$T/dovecot/conf.d/20-lmtp.conf" "$T/dovecot/conf.d/20-imap.conf"
	out=$(doveconf -c "$T/dovecot/dovecot.conf" -n 2>&1 |
		sed -n '/^protocol lmtp {/,/^}/p')
	case $out in
	*'mail_plugins = " sieve notify rebound"'*)
		ok "Dovecot with sieve in 20-lmtp.conf: lmtp loads sieve notify rebound" ;;
	*) fail "Dovecot with sieve in 20-lmtp.conf: protocol lmtp is: $out" ;;
	esac
	doveconf -c "$T/dovecot/dovecot.conf" -n 2>&1 | grep -q Warning &&
		fail "Dovecot with sieve in 20-*.conf: doveconf warns"
else
	echo "Dovecot half skipped: doveconf or a pristine copy of Debian's configuration missing"
fi

# The Exim examples say what doc/exim.md says: each of their
# configuration lines is a line of it.
for f in $(cd "$ex/exim" && find . -type f | sort); do
	while IFS= read -r line; do
		case $line in ''|'#'*|.if*|.endif) continue ;; esac
		grep -qF -- "${line#"${line%%[! ]*}"}" "$top/doc/exim.md" ||
			fail "exim/${f#./}: line not in doc/exim.md: $line"
	done < "$ex/exim/$f"
done

# The settings the Dovecot example names are documented.
for k in $(grep -o 'rebound_[a-z_]*' "$ex/dovecot/conf.d/90-rebound.conf" | sort -u); do
	grep -q "$k" "$top/doc/dovecot.md" || fail "$k is not in doc/dovecot.md"
	grep -q "$k" "$top/doc/rebound-mta.7" || fail "$k is not in rebound-mta(7)"
done

[ $ran = 1 ] || { echo "SKIP: neither Exim nor Dovecot is installed"; exit 77; }
exit $failed
