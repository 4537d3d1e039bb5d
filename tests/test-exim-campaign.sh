#!/bin/bash
# test-exim-campaign.sh - campaign brakes in a real Exim with rebound.so
# as local_scan (tests/exim-lib.sh has the setup).  The policy comes from
# acl_m_rebound_* variables: campaign header X-Mailing-ID, at least 4
# sends, at most 20 % bounces.
#
#  - 4 messages of campaign "spring" are accepted (and counted);
#  - 2 hard bounces for "spring" come back: 2/4 is over 20 %, so the
#    campaign is paused, and its next message gets 451 with the reason;
#  - another campaign and mail without the header still go through;
#  - with campaign_pause_hours = 0 a campaign over the limit is cancelled
#    at once: its next message gets 550.

. "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/exim-lib.sh"
exim_require
exim_setup
RB_CAMPAIGN_HEADER=X-Mailing-ID
RB_DATA_ACL='  warn    set acl_m_rebound_campaign_header = X-Mailing-ID
          set acl_m_rebound_campaign_min_sends = 4
          set acl_m_rebound_campaign_max_rate = 0.2'
exim_start

# send_campaign ID CAMPAIGN: one message of CAMPAIGN to ID@rebound.test.
send_campaign() {
	local f
	f=$(make_plain "$1" news@rebound.test "$1@rebound.test" "X-Mailing-ID: $2")
	send news@rebound.test "$1@rebound.test" "$f"
}

for i in 1 2 3 4; do
	reply=$(send_campaign "spring$i" spring) || fail "campaign message $i refused: $reply"
done
ok "4 messages of campaign spring accepted"

for i in 1 2; do
	f=$(make_dsn "spring-bounce$i" "spring$i@example.net" 5.1.1 550 "user unknown" spring)
	send '<>' news@rebound.test "$f" >/dev/null || fail "bounce $i for spring not accepted"
done
wait_delivered spring-bounce2 1 || fail "bounces for spring not delivered"
expect_ledger spring1@example.net last_campaign spring

reply=$(send_campaign spring5 spring)
if printf '%s\n' "$reply" | grep -q '451 campaign spring is paused until .*bounce rate over the limit'; then
	ok "paused campaign: 451 ($reply)"
else
	fail "paused campaign: expected 451, got '$reply'"
fi
[ "$(delivered spring5)" = 0 ] || fail "the refused campaign message was delivered"
grep -q 'rebound: campaign=spring paused until' "$MAINLOG" || fail "no 'campaign=spring paused' log line"

reply=$(send_campaign summer1 summer) || fail "another campaign was refused: $reply"
f=$(make_plain nocampaign news@rebound.test someone@rebound.test)
send news@rebound.test someone@rebound.test "$f" >/dev/null || fail "mail without a campaign header refused"
wait_delivered summer1 1 && wait_delivered nocampaign 1 || fail "summer1 or nocampaign not delivered"
ok "other mail unaffected by the paused campaign"

# --- cancelled ----------------------------------------------------------------------

exim_stop
RB_DATA_ACL="$RB_DATA_ACL
          set acl_m_rebound_campaign_pause_hours = 0"
exim_start
for i in 1 2 3 4; do
	send_campaign "autumn$i" autumn >/dev/null || fail "autumn message $i refused"
done
f=$(make_dsn autumn-bounce1 autumn1@example.net 5.1.1 550 "user unknown" autumn)
send '<>' news@rebound.test "$f" >/dev/null || fail "bounce for autumn not accepted"
reply=$(send_campaign autumn5 autumn)
if printf '%s\n' "$reply" | grep -q '550 campaign autumn is cancelled'; then
	ok "cancelled campaign: 550 ($reply)"
else
	fail "cancelled campaign: expected 550, got '$reply'"
fi

exim_finish campaign
