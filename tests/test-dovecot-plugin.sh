#!/bin/bash
# test-dovecot-plugin.sh - the Dovecot plugin in a real Dovecot.
#
# A private Dovecot (tests/dovecot-harness.sh) with the plugin monitoring
# the mailbox "Bounces"; mail arrives by dovecot-lda, LMTP (swaks) and
# IMAP APPEND/COPY/MOVE (tests/dovecot-imap.py).  What must hold:
#   - a Mimecast-style notice in Bounces is recorded with its recipient,
#     on every path; over LMTP (user@domain) with the owner's domain as
#     sender domain;
#   - the same notice in an unmonitored mailbox (INBOX, Archive) is not;
#     COPY or MOVE into Bounces then records it;
#   - ordinary mail in Bounces is stored and records nothing;
#   - a DSN recorded before (as Exim would have) is counted once;
#   - a refused MULTIAPPEND records nothing;
#   - processed bounces carry the keyword, ordinary mail does not (sdbox);
#   - with a ledger the user cannot open every message is still stored,
#     and the log says why in one "rebound:" line;
#   - with require_signed_verp, a DSN whose X-Original-To is one
#     subscriber's signed return path and which also names someone else
#     changes the subscriber's state only (LMTP); an unsigned DSN saved
#     into Bounces (LMTP, IMAP APPEND) changes no state.
# The ledger is read back with the rebound CLI.
#
# Needs root, Dovecot (imapd, lmtpd), swaks, python3; skips (77) without.
# REBOUND_KEEP_TMP=1 keeps the state directory.

set -u

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/dovecot-harness.sh"
dh_require
rb_need_built "$rb_cli"
fx=$rb_top/tests/fixtures/dovecot
imap_py=$rb_top/tests/dovecot-imap.py

dh_test_setup
# The ledger exists before any delivery: the plugin never creates it.
rb_make_ledger "$fx/ordinary.eml"

dh_start || exit 1

imap() { timeout 60 python3 "$imap_py" "$IMAP_PORT" "$@"; }

notice_id() { echo "gwn-$1@mail-gw.partner.example"; }

# The ledger's record of ADDRESS as JSON, empty when there is none.
ledger_json() {
	"$rb_cli" --db "$DB" show --json "$1" 2>/dev/null
}
# recorded ADDRESS [FIELD VALUE]...: the ledger knows ADDRESS (and each
# FIELD of its JSON, looked up as a dotted path, has VALUE).
recorded() {
	local addr=$1
	shift
	ledger_json "$addr" | python3 -c '
import json, sys
addr, pairs = sys.argv[1], sys.argv[2:]
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
if get(doc, "address") != addr:
    sys.exit(1)
for k, v in zip(pairs[0::2], pairs[1::2]):
    got = get(doc, k)
    if str(got).lower() != v.lower():
        sys.stderr.write("%s: %s is %r, expected %r\n" % (addr, k, got, v))
        sys.exit(1)
' "$addr" "$@"
}

# --- dovecot-lda ---------------------------------------------------------
f=$(notice lda)
if dh_lda testuser Bounces "$f"; then
	dh_stored testuser Bounces "$(notice_id lda)" && ok "LDA: notice stored" ||
		fail "LDA: notice not stored in Bounces"
	# A bare user name: the returned original's sender domain.
	recorded carol.lda@partner.example hard_count 1 \
		last_sender_domain rebound.test last_source dovecot &&
		ok "LDA: notice recorded with its recipient" ||
		fail "LDA: carol.lda@partner.example not recorded"
else
	fail "dovecot-lda exited $?"
fi

f=$(notice ldainbox)
if dh_lda testuser INBOX "$f"; then
	dh_stored testuser INBOX "$(notice_id ldainbox)" ||
		fail "LDA: notice not stored in INBOX"
	not_recorded carol.ldainbox@partner.example &&
		ok "LDA: notice in INBOX (not monitored) not recorded" ||
		fail "LDA: notice in INBOX recorded"
else
	fail "dovecot-lda (INBOX) exited $?"
fi

# --- LMTP ------------------------------------------------------------------
# user@domain: the owner's domain (sales.example) is the sender domain of
# an out-of-band notice, whatever the returned headers say (rebound.test).
f=$(notice lmtp)
if dh_lmtp testuser+Bounces@sales.example "$f"; then
	dh_stored testuser Bounces "$(notice_id lmtp)" && ok "LMTP: notice stored" ||
		fail "LMTP: notice not stored in Bounces"
	recorded carol.lmtp@partner.example hard_count 1 \
		last_sender_domain sales.example last_source dovecot &&
		ok "LMTP: notice recorded, sender domain = mailbox owner's" ||
		fail "LMTP: carol.lmtp@partner.example not recorded as expected"
else
	cat "$S/swaks.out"
	fail "LMTP delivery failed"
fi

# A DSN that came through Exim first (recorded by "rebound record") and is
# then delivered to the mailbox: counted once.
cp "$fx/dsn.eml" "$S/dsn.eml"
chmod 644 "$S/dsn.eml"
if "$rb_cli" --db "$DB" record "$S/dsn.eml" >"$S/record.out" 2>&1 &&
   recorded dave.oduya@remote.example hard_count 1; then
	if dh_lmtp testuser+Bounces@rebound.test "$S/dsn.eml" &&
	   dh_stored testuser Bounces dsn-20240611100204-9921@mx.remote.example; then
		recorded dave.oduya@remote.example hard_count 1 &&
			ok "LMTP: a DSN recorded before is counted once" ||
			fail "LMTP: the DSN was counted twice"
	else
		fail "LMTP: DSN not delivered"
	fi
else
	cat "$S/record.out"
	fail "rebound record of the DSN failed"
fi

# --- ordinary mail -----------------------------------------------------------
cp "$fx/ordinary.eml" "$S/ordinary.eml"
chmod 644 "$S/ordinary.eml"
if dh_lda testuser Bounces "$S/ordinary.eml" &&
   dh_lmtp testuser+Bounces@rebound.test "$S/ordinary.eml" &&
   dh_stored testuser Bounces reply-88213@partner.example; then
	not_recorded erin.walsh@partner.example &&
	not_recorded frank.ito@partner.example &&
	not_recorded testuser@rebound.test &&
		ok "ordinary mail in Bounces stored, nothing recorded" ||
		fail "ordinary mail left a record"
else
	fail "ordinary mail not delivered"
fi

# --- IMAP ------------------------------------------------------------------
f=$(notice append)
if imap testuser append Bounces "$f"; then
	recorded carol.append@partner.example hard_count 1 &&
		ok "APPEND: notice recorded" ||
		fail "APPEND: carol.append@partner.example not recorded"
else
	fail "IMAP APPEND failed"
fi

# The keyword, where the mail format keeps keywords set while saving
# (sdbox; not Maildir, see doc/dovecot.md).
has_keyword() {
	local flags
	flags=$(imap dboxuser flags "$1" "$2") || return 2
	case " $flags " in
	*" ReboundBounce "*) return 0 ;;
	esac
	return 1
}
f=$(notice kwappend)
imap dboxuser append Bounces "$f" || fail "IMAP APPEND (sdbox) failed"
has_keyword Bounces "$(notice_id kwappend)" && ok "APPEND: keyword set" ||
	fail "APPEND: no keyword ReboundBounce on the notice"
f=$(notice kwlda)
dh_lda dboxuser Bounces "$f" || fail "dovecot-lda (sdbox) failed"
has_keyword Bounces "$(notice_id kwlda)" && ok "LDA: keyword set" ||
	fail "LDA: no keyword ReboundBounce on the notice"
imap dboxuser append Bounces "$S/ordinary.eml" || fail "IMAP APPEND (sdbox) failed"
has_keyword Bounces reply-88213@partner.example
[ $? = 1 ] && ok "ordinary mail has no keyword" ||
	fail "ordinary mail got the keyword (or has no flags)"

for op in copy move; do
	f=$(notice $op)
	if imap testuser append Archive "$f"; then
		not_recorded carol.$op@partner.example &&
			ok "APPEND to Archive (not monitored) not recorded" ||
			fail "APPEND to Archive recorded"
		if imap testuser $op Archive Bounces "$(notice_id $op)"; then
			imap testuser has Bounces "$(notice_id $op)" ||
				fail "$op: message not in Bounces"
			recorded carol.$op@partner.example hard_count 1 &&
				ok "$op into Bounces: recorded" ||
				fail "$op into Bounces: not recorded"
		else
			fail "IMAP $op failed"
		fi
	else
		fail "IMAP APPEND to Archive failed"
	fi
done

f=$(notice multi)
if imap testuser multiappend Bounces "$f"; then
	if imap testuser has Bounces "$(notice_id multi)"; then
		fail "MULTIAPPEND refused, yet the first message is there"
	fi
	not_recorded carol.multi@partner.example &&
		ok "refused MULTIAPPEND: nothing recorded" ||
		fail "refused MULTIAPPEND left a record"
else
	fail "the server accepted a MULTIAPPEND with an invalid flag"
fi

# --- doveadm save ----------------------------------------------------------
f=$(notice doveadm)
if timeout 60 doveadm -c "$S/dovecot.conf" save -u testuser -m Bounces < "$f"; then
	recorded carol.doveadm@partner.example hard_count 1 &&
		ok "doveadm save: recorded" ||
		fail "doveadm save: not recorded"
else
	fail "doveadm save failed"
fi

# --- plugin idle for a user without rebound_mailboxes ------------------------
f=$(notice quiet)
if dh_lda quietuser Bounces "$f" && dh_stored quietuser Bounces "$(notice_id quiet)"; then
	not_recorded carol.quiet@partner.example &&
		ok "empty rebound_mailboxes from userdb: not recorded" ||
		fail "quietuser's notice recorded"
else
	fail "delivery to quietuser failed"
fi

# --- a monitored mailbox that does not exist (issue 17) ------------------------
# Mail meant for it lands in INBOX; the plugin says so, once per process.
grep -q 'monitored mailbox' "$D/log/dovecot.log" &&
	fail "a 'monitored mailbox' line before noboxuser got mail"
f=$(notice nobox)
if dh_lmtp noboxuser@rebound.test "$f" && dh_lmtp noboxuser@rebound.test "$S/ordinary.eml"; then
	n=$(grep -c 'rebound: monitored mailbox Missing does not exist for noboxuser' "$D/log/dovecot.log")
	if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then
		ok "missing monitored mailbox: logged ($n line(s) for 2 deliveries: once per process)"
	else
		fail "missing monitored mailbox: $n log lines, expected 1 or 2"
	fi
else
	fail "delivery to noboxuser failed"
fi
grep -q 'rebound: monitored mailbox Bounces' "$D/log/dovecot.log" &&
	fail "Bounces (auto = create) reported as missing"

# --- a ledger the user cannot open --------------------------------------------
: > "$D/log/dovecot.log.before"
cp "$D/log/dovecot.log" "$D/log/dovecot.log.before"
f=$(notice broken)
all=yes
dh_lda brokenuser Bounces "$f" || all=no
f2=$(notice brokenlmtp)
dh_lmtp brokenuser+Bounces@rebound.test "$f2" || all=no
dh_lmtp brokenuser+Bounces@rebound.test "$S/dsn.eml" || all=no
imap brokenuser append Bounces "$(notice brokenimap)" || all=no
dh_lda brokenuser Bounces "$S/ordinary.eml" || all=no
for id in "$(notice_id broken)" "$(notice_id brokenlmtp)" \
	  "$(notice_id brokenimap)" dsn-20240611100204-9921@mx.remote.example \
	  reply-88213@partner.example; do
	dh_stored brokenuser Bounces "$id" || { all=no; echo "  missing: $id"; }
done
[ $all = yes ] && ok "unwritable ledger: every message delivered and stored" ||
	fail "unwritable ledger: a delivery failed or a message is missing"
if diff "$D/log/dovecot.log.before" "$D/log/dovecot.log" |
   grep -q 'rebound: .*not recorded'; then
	ok "unwritable ledger: logged as a rebound: line"
else
	fail "unwritable ledger: no 'rebound: ... not recorded' line in the log"
fi
[ ! -e "$S/locked/rebound.tdb" ] || fail "the plugin created a ledger"

# --- require_signed_verp (issue 16) -------------------------------------------
# The secret as the mail user (uid 5000) may read it and no one else.
head -c 32 /dev/urandom | base64 > "$S/verp.key"
chown 5000:5000 "$S/verp.key"
chmod 600 "$S/verp.key"
{ dh_base_conf
  printf 'verp_secret_file = %s\nrequire_signed_verp = yes\n' "$S/verp.key"; } \
	> "$S/rebound.conf"
# signed_dsn TAG [RETURN-PATH]: dsn.eml for sub.TAG@remote.example that also
# names other.TAG@remote.example, with X-Original-To: RETURN-PATH (as the
# MTA in front of Dovecot writes it) when given; prints the path.
signed_dsn() {
	local out=$S/signed-$1.eml
	{
		[ -n "${2:-}" ] && printf 'X-Original-To: %s\n' "$2"
		sed -e "s/dave\.oduya@/sub.$1@/g" \
		    -e "s/<dsn-20240611100204-9921@/<dsn-$1@/" \
		    -e "s/^Reporting-MTA: .*/&\\
\\
Final-Recipient: rfc822; other.$1@remote.example\\
Action: failed\\
Status: 5.1.1/" "$fx/dsn.eml"
	} > "$out"
	chmod 644 "$out"
	echo "$out"
}
rp=$("$rb_cli" verp sign --secret-file "$S/verp.key" bounces@rebound.test \
	sub.lmtpsigned@remote.example) || fail "rebound verp sign failed"
f=$(signed_dsn lmtpsigned "$rp")
if dh_lmtp testuser+Bounces@rebound.test "$f" &&
   dh_stored testuser Bounces dsn-lmtpsigned@mx.remote.example; then
	recorded sub.lmtpsigned@remote.example hard_count 1 state suppressed &&
		ok "signed VERP (LMTP): the signed recipient is suppressed" ||
		fail "signed VERP (LMTP): sub.lmtpsigned@remote.example not suppressed"
	not_recorded other.lmtpsigned@remote.example &&
		ok "signed VERP (LMTP): the other recipient changes nothing" ||
		fail "signed VERP (LMTP): other.lmtpsigned@remote.example recorded"
	grep -q 'rebound: Bounces: other.lmtpsigned@remote.example recorded as unverified' \
		"$D/log/dovecot.log" && ok "signed VERP (LMTP): unverified logged" ||
		fail "signed VERP (LMTP): no 'recorded as unverified' line"
else
	cat "$S/swaks.out"
	fail "signed VERP (LMTP): DSN not delivered"
fi
f=$(signed_dsn lmtpunsigned bounces+sub.lmtpunsigned=remote.example@rebound.test)
if dh_lmtp testuser+Bounces@rebound.test "$f" &&
   dh_stored testuser Bounces dsn-lmtpunsigned@mx.remote.example; then
	not_recorded sub.lmtpunsigned@remote.example &&
	not_recorded other.lmtpunsigned@remote.example &&
		ok "unsigned DSN (LMTP) with require_signed_verp: nothing changed" ||
		fail "unsigned DSN (LMTP) with require_signed_verp changed a state"
else
	fail "unsigned DSN (LMTP): not delivered"
fi
f=$(signed_dsn appendunsigned)
if imap testuser append Bounces "$f"; then
	not_recorded sub.appendunsigned@remote.example &&
		ok "unsigned DSN (APPEND) with require_signed_verp: nothing changed" ||
		fail "unsigned DSN (APPEND) with require_signed_verp changed a state"
else
	fail "unsigned DSN: IMAP APPEND failed"
fi
dh_base_conf > "$S/rebound.conf"

# --- the log --------------------------------------------------------------------
if grep -q 'Fatal:\|Panic:' "$D/log/dovecot.log"; then
	grep 'Fatal:\|Panic:' "$D/log/dovecot.log"
	fail "Fatal or Panic in dovecot's log"
fi
errors=$(grep 'Error:' "$D/log/dovecot.log" | grep -v 'rebound: ')
if [ -n "$errors" ]; then
	echo "$errors"
	fail "errors in dovecot's log other than the expected rebound: lines"
fi

if [ $rb_failed != 0 ]; then
	echo "--- $D/log/dovecot.log"
	tail -n 40 "$D/log/dovecot.log"
fi
[ $rb_failed = 0 ] && echo "PASS: dovecot plugin"
exit $rb_failed
