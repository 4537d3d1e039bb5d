#!/bin/sh
# test-many-recipients.sh - a delivery report that names more recipients
# than a result keeps (REBOUND_MAX_RCPT, 100,000, or fewer when the
# message's arena holds fewer: about 93,000 here) is cut, and says so:
# the parser flag and the line in `explain`, "recipients_cut" and
# "recipients_total" in the JSON, a line from `record`.  One with 1,500
# (more than the old limit of 1,000) keeps them all and says nothing.
# The reports are generated here, not kept as fixtures.
. "${abs_top_srcdir:-${top_srcdir:-.}}/tests/ledger-lib.sh"

# report N FILE: a DSN naming u0@example.com ... u(N-1)@example.com.
report() {
	{
		cat <<EOM
From: Mail Delivery System <MAILER-DAEMON@mx.test.example>
To: news@sender.example
Subject: Delivery Status Notification
Message-ID: <many$1@mx.test.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"

--BND
Content-Type: text/plain

Delivery failed.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.test.example

EOM
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
			printf "Final-Recipient: rfc822; u%d@example.com\nAction: failed\nStatus: 5.1.1\n\n", i }'
		echo "--BND--"
	} > "$2"
}

over=100007
report $over "$T/over.eml"
report 1500 "$T/under.eml"

# --- over the limit: cut, and said ---
"$rebound" explain "$T/over.eml" > "$T/explain" || fail "explain exited $?"
grep -q "parser flags:   many-recipients" "$T/explain" ||
	fail "explain: no many-recipients flag"
kept=$(sed -n "s/^  recipients:     cut at \([0-9]*\) of $over named (the rest not kept)\$/\1/p" "$T/explain")
[ -n "$kept" ] || fail "explain: no 'cut at' line: $(grep recipients: "$T/explain")"
[ "${kept:-0}" -ge 50000 ] && [ "${kept:-0}" -le 100000 ] ||
	fail "explain: kept $kept"
expect "recipients explain lists" "$(grep -c '^  recipient ' "$T/explain")" "$kept"

"$rebound" classify --json "$T/over.eml" > "$T/over.json" ||
	fail "classify --json exited $?"
python3 - "$T/over.json" "$over" "$kept" <<'PY' || fail "classify --json of the cut report"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
kept = int(sys.argv[3])
assert len(lines) == kept, len(lines)
for o in (lines[0], lines[-1]):
    assert o["recipients_cut"] is True, o
    assert o["recipients_total"] == int(sys.argv[2]), o
assert lines[-1]["recipient"] == "u%d@example.com" % (kept - 1), lines[-1]
PY

rb 2026-03-01T10:00:00Z record -q "$T/over.eml" > "$T/rec.out" 2> "$T/rec.err" ||
	fail "record exited $?"
grep -q "recipients cut at $kept of $over named in the notice; the rest not recorded" \
	"$T/rec.err" || fail "record: no cut line: $(cat "$T/rec.err")"

# --- over the old limit of 1,000, under the new one: all kept, no flag ---
"$rebound" explain "$T/under.eml" > "$T/explain" || fail "explain exited $?"
grep -q "parser flags:   none" "$T/explain" || fail "under: flags not none"
grep -q "recipients:     cut" "$T/explain" && fail "under: a 'cut at' line"
expect "recipients of 1,500" "$(grep -c '^  recipient ' "$T/explain")" 1500
"$rebound" classify --json "$T/under.eml" > "$T/under.json"
expect "JSON lines of 1,500" "$(wc -l < "$T/under.json" | tr -d ' ')" 1500
grep -q recipients_cut "$T/under.json" && fail "under: recipients_cut in the JSON"
rm -f "$DB"
rb 2026-03-01T10:00:00Z record -q "$T/under.eml" > "$T/rec.out" 2> "$T/rec.err" ||
	fail "record exited $?"
[ -s "$T/rec.err" ] && fail "under: record said: $(cat "$T/rec.err")"
expect "recipients in the ledger" "$(rb 2026-03-01T10:00:00Z list | tail -1)" \
	"1500 recipients (* suspect)"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: many recipients"
