# ledger-lib.sh - shared by the ledger shell tests: the rebound binary, a
# temporary directory removed on exit, and a generator of RFC 3464 reports
# (written for these tests) so that each test states its own history.

top_srcdir=${abs_top_srcdir:-${top_srcdir:-.}}
top_builddir=${abs_top_builddir:-${top_builddir:-.}}
rebound=$top_builddir/cli/rebound
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }

T=$(mktemp -d /tmp/rebound-ledger-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
DB=$T/ledger.tdb
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# rb TIME ARGS...: rebound on the test ledger at a given time.
rb() {
	now=$1
	shift
	"$rebound" --db "$DB" --now "$now" "$@"
}

# field ADDRESS NAME TIME: one field of `show --json` (Python repr).
field() {
	rb "$3" show --json "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
# bounces_mbox N ADDRESS MSGID: an mbox of N hard bounces ("550 5.1.1
# user unknown") on stdout; ADDRESS and MSGID are written in single
# quotes with $i in them (expanded for each i from 0 to N-1), so that
# each bounce is about its own recipient: 'rp$i@example.org' 'r$i'.
bounces_mbox() {
	i=0
	while [ $i -lt "$1" ]; do
		echo "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
		eval "dsn \"$2\" failed 5.1.1 \"550 5.1.1 user unknown\" \"$3\""
		echo
		i=$((i + 1))
	done
}

# dsn ADDRESS ACTION STATUS "DIAGNOSTIC" MSGID [SENDER_DOMAIN] [CAMPAIGN]
# prints one delivery status notification about ADDRESS.
dsn() {
	camp=
	[ -n "${7:-}" ] && camp="X-Campaign-ID: $7"
	cat <<EOM
From: Mail Delivery System <MAILER-DAEMON@mx.test.example>
To: news@${6:-sender.example}
Subject: Delivery Status Notification
Message-ID: <$5@mx.test.example>
Date: Thu, 01 Jan 2026 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"

--BND
Content-Type: text/plain

Delivery to $1 did not succeed.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.test.example

Final-Recipient: rfc822; $1
Action: $2
Status: $3
Diagnostic-Code: smtp; $4

--BND
Content-Type: text/rfc822-headers

From: news@${6:-sender.example}
To: $1
Subject: hello
Message-ID: <orig-$5@${6:-sender.example}>
$camp

--BND--
EOM
}
