#!/bin/bash
# test-debian-install.sh - doc/guide.md section 2, done: the path from the
# packages to the first recorded bounce in both servers and a refused
# suppressed recipient, on this machine's real Exim and Dovecot packages
# with Debian's defaults (monolithic Exim configuration, Dovecot with mbox
# and the system users), each step checked against what the guide says
# it prints.  Everything lives in a temporary directory: rebound installed
# with "make install DESTDIR=...", pristine copies of Debian's Exim and
# Dovecot configuration (tests/debian-lib.sh) with the guide's drop-ins,
# a private Exim daemon and a private Dovecot on their own ports and
# sockets.  The guide's system names get temporary stand-ins, removed
# at the end: the group rebound (Debian-exim joins it) and the mail user
# sales (a system user: Debian's userdb is passwd).
# Skipped (77) unless root with exim4, dovecot, swaks and the built
# modules.

set -u
top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$top}
. "$top/tests/debian-lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root"
for c in exim4 update-exim4.conf dovecot doveconf swaks runuser useradd \
	 userdel groupadd groupdel usermod dpkg-query; do
	command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done
[ -n "${REBOUND_EXIM_MODULE:-}" ] && [ -f "$REBOUND_EXIM_MODULE" ] ||
	skip "the Exim module is not built"
[ -n "${REBOUND_DOVECOT_PLUGIN:-}" ] && [ -f "$REBOUND_DOVECOT_PLUGIN" ] ||
	skip "the Dovecot plugin is not built"

failed=0
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok: $*"; }

T=$(mktemp -d /tmp/rebound-debian.XXXXXX) || exit 1
chmod 755 "$T"
G=rbgrp$$
U=rbsales$$
exim_pid= dc_pid=
cleanup() {
	[ -n "$exim_pid" ] && kill "$exim_pid" 2>/dev/null
	[ -n "$dc_pid" ] && kill "$dc_pid" 2>/dev/null
	[ -n "$dc_pid" ] && wait "$dc_pid" 2>/dev/null
	id "$U" >/dev/null 2>&1 && userdel -r "$U" >/dev/null 2>&1
	getent group "$G" >/dev/null && groupdel "$G"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# expect NAME WANT OUTPUT: OUTPUT contains the line the guide shows.
expect() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then
		ok "$1: $(printf '%s\n' "$3" | grep -E -- "$2" | head -n 1)"
	else
		fail "$1: expected /$2/, got:"
		printf '%s\n' "$3" | tail -n 8
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- 1. install --------------------------------------------------------------
R=$T/root
make -C "$build" install DESTDIR="$R" >"$T/install.log" 2>&1 ||
	{ tail -n 20 "$T/install.log"; fail "make install DESTDIR failed"; exit 1; }
RB=$(find "$R" -path '*/bin/rebound' -type f | head -n 1)
SO=$(find "$R" -name rebound.so | head -n 1)
PLUGIN=$(find "$R" -name lib90_rebound_plugin.so | head -n 1)
EX=$(find "$R" -type d -path '*/doc/rebound/examples' | head -n 1)
for v in RB SO PLUGIN EX; do
	[ -n "${!v}" ] || { fail "make install put no $v under $R"; exit 1; }
done
ok "installed under $R"
expect "exim4 -bV" 'Expand_dlfunc' "$(exim4 -bV 2>&1)"

# --- 2. the ledger ----------------------------------------------------------
groupadd --system "$G" || { fail "groupadd"; exit 1; }
usermod -aG "$G" Debian-exim
LIB=$T/lib
install -d -o root -g "$G" -m 2770 "$LIB"
DB=$LIB/rebound.tdb
expect "db create as Debian-exim" "^$DB: created \\(mode 0660, group $G\\)$" \
	"$(runuser -u Debian-exim -- "$RB" --db "$DB" db create 2>&1)"
expect "the ledger's owner" "^-rw-rw---- 1 Debian-exim $G " "$(ls -l "$DB")"

# --- 3. Exim: Debian's monolithic configuration with the guide's macros -----
E=$T/exim
deb_pristine_exim "$E" || skip "no pristine Exim configuration"
deb_update_conf "$E" false ''
mkdir -p "$T/spool" "$T/log"
chown Debian-exim:Debian-exim "$T/spool" "$T/log"
localize() {
	sed -e "s|/usr/lib/exim4/local_scan/rebound.so|$SO|g" \
		-e "s|/var/lib/rebound/rebound.tdb|$DB|g" \
		-e "s|/etc/exim4/rebound-|$E/rebound-|" "$1"
}
for f in rebound-data.acl rebound-notsmtp.acl rebound-rcpt.acl; do
	localize "$EX/exim/$f" > "$E/$f"
done
# The guide's sed, then the private spool and log; on top of the template,
# which is what update-exim4.conf does with /etc/exim4/exim4.conf.localmacros
# (it reads DIR/exim4.conf.localmacros only when that one exists).
{
	printf 'SPOOLDIR = %s\nlog_file_path = %s/%%slog\n' "$T/spool" "$T/log"
	sed 's/^#MAIN_ACL_CHECK_RCPT/MAIN_ACL_CHECK_RCPT/' "$EX/exim/conf.d/main/000_localmacros" |
		localize /dev/stdin
	cat "$E/exim4.conf.template"
} > "$E/t" && mv "$E/t" "$E/exim4.conf.template"
chmod -R a+rX "$E"
update-exim4.conf -d "$E" -o "$E/out.conf" || fail "update-exim4.conf"
out=$(exim4 -C "$E/out.conf" -bP local_scan_path acl_smtp_rcpt 2>&1)
expect "exim4 -bP" "^local_scan_path = $SO$" "$out"
expect "exim4 -bP" "^acl_smtp_rcpt = $E/rebound-rcpt.acl$" "$out"
PORT=$(free_port)
exim4 -C "$E/out.conf" -bdf -odq -oX "$PORT" & exim_pid=$!
for _ in $(seq 100); do
	(echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done

# --- 4. Dovecot: Debian's configuration with the guide's drop-in ------------
DC=$T/dovecot
deb_pristine_dovecot "$DC" || skip "no pristine Dovecot configuration"
sed -e "s|/var/lib/rebound/rebound.tdb|$DB|" \
	-e "s|^mail_access_groups = rebound|mail_access_groups = $G|" \
	"$EX/dovecot/conf.d/90-rebound.conf" > "$DC/conf.d/90-rebound.conf"
mkdir -p "$T/plugins" "$T/dc"
cp "$PLUGIN" "$T/plugins/"
ln -s /usr/lib/dovecot/modules/lib15_notify_plugin.so "$T/plugins/"
# The private instance: its own directories, no network listener, no TLS.
cat > "$DC/local.conf" <<EOC
base_dir = $T/dc/run
state_dir = $T/dc/lib
instance_name = rebound-install-$$
log_path = $T/dc/dovecot.log
protocols = lmtp
ssl = no
mail_plugin_dir = $T/plugins
EOC
# The guide's step for Debian's passwd userdb: LMTP looks users up by the
# local part ("sales", not "sales@localhost").
cat >> "$DC/local.conf" <<'EOC'
protocol lmtp {
  auth_username_format = %Ln
}
EOC
# Debian's 10-ssl.conf names the certificate that dovecot-core's
# postinst makes; the private instance has TLS off and needs none.
sed -i -e 's/^ssl_cert = </#&/' -e 's/^ssl_key = </#&/' "$DC/conf.d/10-ssl.conf"
chmod -R a+rX "$DC" "$T/plugins"
if out=$(doveconf -c "$DC/dovecot.conf" -n 2>&1); then
	expect "doveconf warnings" '^0$' "$(printf '%s\n' "$out" | grep -c Warning)"
else
	fail "doveconf: $out"
fi
useradd -m -d "$T/home-$U" -s /usr/sbin/nologin "$U" || fail "useradd"
dovecot -F -c "$DC/dovecot.conf" & dc_pid=$!
for _ in $(seq 100); do
	[ -S "$T/dc/run/lmtp" ] && [ -S "$T/dc/run/auth-userdb" ] && break
	sleep 0.1
done

# --- 5. the first bounce in Exim ----------------------------------------------
out=$(timeout 60 swaks --server 127.0.0.1 --port "$PORT" --from '<>' \
	--to postmaster@localhost --data "@$top/samples/postfix-user-unknown.eml" 2>&1)
expect "swaks to Exim" '^<- +250 OK id=' "$out"
for _ in $(seq 50); do
	grep -q 'rebound: bounce' "$T/log/mainlog" 2>/dev/null && break
	sleep 0.1
done
# Spooled for its batch (batch_ms, a second by default); step 7's RCPT
# check, more than a second later, records it before it looks.
expect "Exim's mainlog" 'rebound: bounce recipient=alice.smith@example.net action=failed reason=userunknown status=5.1.1 hard=yes state=queued' \
	"$(cat "$T/log/mainlog" 2>&1)"

# --- 6. the first bounce in Dovecot -----------------------------------------
out=$(timeout 60 swaks --socket "$T/dc/run/lmtp" --protocol LMTP --from '<>' \
	--to "$U+Bounces@localhost" --data "@$top/samples/gateway-notice.eml" 2>&1)
expect "swaks to Dovecot's LMTP" '^<- +250 .*Saved' "$out"
# Recorded in its batch (batch_ms, a second by default) by the plugin's
# timeout in the LMTP process, with no further mail.
for _ in $(seq 50); do
	out=$("$RB" --db "$DB" show grace@example.net 2>&1) && break
	sleep 0.1
done
expect "rebound show" '^state: +suspended \(suspect: gateway:email security service\) until ' "$out"
[ -f "$T/home-$U/mail/Bounces" ] && ok "the notice is in ~/mail/Bounces (mbox)" ||
	fail "no ~/mail/Bounces"

# --- 7. a suppressed recipient refused ----------------------------------------
out=$(printf 'EHLO client.example\r\nMAIL FROM:<news@localhost>\r\nRCPT TO:<alice.smith@example.net>\r\nQUIT\r\n' |
	timeout 30 exim4 -C "$E/out.conf" -bh 192.0.2.10 -oMaa plain_server -oMai alice 2>&1)
expect "exim4 -bh, authenticated" '^550 alice.smith@example.net: suppressed after earlier bounces' "$out"

if [ $failed != 0 ]; then
	echo "--- Exim mainlog"; tail -n 20 "$T/log/mainlog" 2>/dev/null
	echo "--- Exim paniclog"; tail -n 5 "$T/log/paniclog" 2>/dev/null
	echo "--- Dovecot log"; tail -n 20 "$T/dc/dovecot.log" 2>/dev/null
fi
[ $failed = 0 ] && echo "PASS: the guide's path, from install to a refused suppressed recipient"
exit $failed
