/* check_policy.c - the policy tables of doc/design.md (§6 recipients, §7
 * campaigns), twice: once on the pure functions of policy.h, from a table
 * with one row per policy row (given state + what is seen -> expected
 * state), and once through the ledger API on a real tdb file (the
 * integration tests), with injected time. */
#define _GNU_SOURCE		/* RTLD_NEXT, for counting syncs below */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/config.h"
#include "ledger/ledger.h"
#include "admin/ledger-admin.h"
#include "ledger/campaign-counts.h"
#include "ledger/ledger-internal.h"
#include "ledger/policy.h"

#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
/* 2026-01-01T00:00:00Z; a macro, for the static tables below */
#define T0 INT64_C(1767225600)


/* --- the pure policy functions, one table row per policy row ------------ */

/* What is seen in a row. */
typedef enum seen {
	SEEN_HARD,		/* userunknown, hard */
	SEEN_SUSPECT,		/* userunknown, hard, marked suspect */
	SEEN_BLOCK,		/* spamdetected: soft, category 1 */
	SEEN_SOFT,		/* mailboxfull */
	SEEN_DELAYED,		/* Action: delayed */
	SEEN_DELIVERED,		/* a delivered report or a delivery */
	SEEN_AUTOREPLY,
	SEEN_FEEDBACK,
	SEEN_TIME,		/* nothing: only time passes (refresh) */
	SEEN_UNBOUNCE,		/* rebound unbounce */
} seen;

/* The recipient after the row; every field is compared. */
typedef struct expect {
	rebound_state state;
	int64_t until;
	bool suspect;
	uint32_t hard, hard_run, soft, consecutive, block, delayed, delivered;
	uint32_t autoreply, feedback;
	int64_t pending_expires;
	size_t nhard_domains;
	bool may_send;
	const char *why;	/* suspect_why; NULL: "" */
} expect;

typedef struct policy_row {
	const char *row;	/* doc/design.md §6 row, and what it shows */
	const char *preset;	/* NULL: default */
	rebound_entry given;
	seen what;
	const char *sender_domain;
	int64_t at;
	expect want;
} policy_row;

#define HARD_DOMAIN(t, d) { .time = (t), .domain = d }

static const policy_row policy_rows[] = {
	{ "1 hard: suppressed", NULL, { .state = REBOUND_STATE_ACTIVE },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 1, .hard_run = 1,
	    .nhard_domains = 1 } },
	{ "1 hard below hard_limit (mailman, 5): soft", "mailman",
	  { .state = REBOUND_STATE_ACTIVE }, SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SOFT, .hard = 1, .hard_run = 1,
	    .nhard_domains = 1, .may_send = true } },
	{ "1 hard below hard_limit keeps a suspension", "mailman",
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR, .hard = 1,
	    .hard_run = 1, .nhard_domains = 1 } },
	{ "2 third sender domain within 60 days: global", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 2, .hard_run = 2,
	    .nhard_domains = 2,
	    .hard_domains = { HARD_DOMAIN(T0 - 59 * DAY, "one.example"),
			      HARD_DOMAIN(T0 - DAY, "two.example") } },
	  SEEN_HARD, "three.example", T0,
	  { .state = REBOUND_STATE_GLOBAL, .hard = 3, .hard_run = 3,
	    .nhard_domains = 3 } },
	{ "2 the first domain older than 60 days: not global", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 2, .hard_run = 2,
	    .nhard_domains = 2,
	    .hard_domains = { HARD_DOMAIN(T0 - 61 * DAY, "one.example"),
			      HARD_DOMAIN(T0 - DAY, "two.example") } },
	  SEEN_HARD, "three.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 3, .hard_run = 3,
	    .nhard_domains = 3 } },
	{ "2 the same domain again counts once", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 2, .hard_run = 2,
	    .nhard_domains = 2,
	    .hard_domains = { HARD_DOMAIN(T0 - DAY, "one.example"),
			      HARD_DOMAIN(T0 - DAY, "two.example") } },
	  SEEN_HARD, "two.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 3, .hard_run = 3,
	    .nhard_domains = 2 } },
	{ "3 suspect hard bounce: suspended 24 h, suspect, why kept", NULL,
	  { .state = REBOUND_STATE_ACTIVE }, SEEN_SUSPECT, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 24 * HOUR,
	    .suspect = true, .hard = 1, .why = "gateway:cisco" } },
	{ "3 hard bounce within 30 days of a delivery: suspect", NULL,
	  { .state = REBOUND_STATE_ACTIVE, .last_delivered = T0 - 29 * DAY,
	    .delivered_count = 1 },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 24 * HOUR,
	    .suspect = true, .hard = 1, .delivered = 1,
	    .why = "delivered-lately" } },
	{ "3 a plain hard bounce after a suspect one: suppressed, why gone",
	  NULL,
	  { .state = REBOUND_STATE_ACTIVE, .suspect = true, .hard_count = 1,
	    .suspect_why = "stage:data" },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 2, .hard_run = 1,
	    .nhard_domains = 1 } },
	{ "3 a delivery longer ago: not suspect", NULL,
	  { .state = REBOUND_STATE_ACTIVE, .last_delivered = T0 - 31 * DAY,
	    .delivered_count = 1 },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 1, .hard_run = 1,
	    .delivered = 1, .nhard_domains = 1 } },
	{ "3 suspect of a suppressed address: stays suppressed", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 1, .hard_run = 1 },
	  SEEN_SUSPECT, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .suspect = true, .hard = 2,
	    .hard_run = 1, .why = "gateway:cisco" } },
	{ "4 block: suspended 24 h, not a soft bounce", NULL,
	  { .state = REBOUND_STATE_ACTIVE }, SEEN_BLOCK, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 24 * HOUR,
	    .block = 1 } },
	{ "4 block never shortens a suspension", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 48 * HOUR },
	  SEEN_BLOCK, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 48 * HOUR,
	    .block = 1 } },
	{ "4 block of a suppressed address: stays suppressed", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 1, .hard_run = 1 },
	  SEEN_BLOCK, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 1, .hard_run = 1,
	    .block = 1 } },
	{ "5 soft bounce: soft", NULL, { .state = REBOUND_STATE_ACTIVE },
	  SEEN_SOFT, "s.example", T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 1, .consecutive = 1,
	    .may_send = true } },
	{ "5 the 7th soft bounce in a row: suppressed", NULL,
	  { .state = REBOUND_STATE_SOFT, .soft_count = 6,
	    .consecutive_soft = 6 },
	  SEEN_SOFT, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .soft = 7, .consecutive = 7 } },
	{ "5 marketo: soft bounces never suppress", "marketo",
	  { .state = REBOUND_STATE_SOFT, .soft_count = 29,
	    .consecutive_soft = 29 },
	  SEEN_SOFT, "s.example", T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 30, .consecutive = 30,
	    .may_send = true } },
	{ "6 delayed: pending, expires after 72 h", NULL,
	  { .state = REBOUND_STATE_ACTIVE }, SEEN_DELAYED, "s.example", T0,
	  { .state = REBOUND_STATE_PENDING, .delayed = 1,
	    .pending_expires = T0 + 72 * HOUR, .may_send = true } },
	{ "6 a second delay does not restart the clock", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1,
	    .pending_since = T0 - 48 * HOUR, .pending_expires = T0 + 24 * HOUR },
	  SEEN_DELAYED, "s.example", T0,
	  { .state = REBOUND_STATE_PENDING, .delayed = 1 + 1,
	    .pending_expires = T0 + 24 * HOUR, .may_send = true } },
	{ "6 delayed while suspended: stays suspended", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR },
	  SEEN_DELAYED, "s.example", T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR,
	    .delayed = 1 } },
	{ "7 still pending at expiry: one soft bounce", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1, .soft_limit = 7,
	    .pending_since = T0 - 72 * HOUR, .pending_expires = T0 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 1, .consecutive = 1,
	    .delayed = 1, .may_send = true } },
	{ "7 one second before expiry: still pending", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1, .soft_limit = 7,
	    .pending_since = T0 - 72 * HOUR, .pending_expires = T0 + 1 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_PENDING, .delayed = 1,
	    .pending_expires = T0 + 1, .may_send = true } },
	{ "7 the expiry that reaches the stored soft limit suppresses", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1, .soft_limit = 7,
	    .soft_count = 6, .consecutive_soft = 6,
	    .pending_since = T0 - 72 * HOUR, .pending_expires = T0 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .soft = 7, .consecutive = 7,
	    .delayed = 1 } },
	{ "8 a final soft failure while pending counts once", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1,
	    .pending_since = T0 - HOUR, .pending_expires = T0 + 71 * HOUR },
	  SEEN_SOFT, "s.example", T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 1, .consecutive = 1,
	    .delayed = 1, .may_send = true } },
	{ "8 a final hard failure while pending: suppressed, no soft", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1,
	    .pending_since = T0 - HOUR, .pending_expires = T0 + 71 * HOUR },
	  SEEN_HARD, "s.example", T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 1, .hard_run = 1,
	    .delayed = 1, .nhard_domains = 1 } },
	{ "9 delivery clears soft bounces in a row", NULL,
	  { .state = REBOUND_STATE_SOFT, .soft_count = 6,
	    .consecutive_soft = 6 },
	  SEEN_DELIVERED, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .soft = 6, .delivered = 1,
	    .may_send = true } },
	{ "9 delivery closes a delay", NULL,
	  { .state = REBOUND_STATE_PENDING, .delayed_count = 1,
	    .pending_since = T0 - HOUR, .pending_expires = T0 + 71 * HOUR },
	  SEEN_DELIVERED, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .delayed = 1, .delivered = 1,
	    .may_send = true } },
	{ "9 delivery clears a suspect mark and ends its suspension", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR,
	    .suspect = true, .suspect_why = "domain-burst", .hard_count = 1 },
	  SEEN_DELIVERED, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .hard = 1, .delivered = 1,
	    .may_send = true } },
	{ "9 delivery leaves a block's suspension (not suspect)", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR,
	    .block_count = 1 },
	  SEEN_DELIVERED, NULL, T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR, .block = 1,
	    .delivered = 1 } },
	{ "9 delivery leaves a suppression", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 1, .hard_run = 1 },
	  SEEN_DELIVERED, NULL, T0,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard = 1, .hard_run = 1,
	    .delivered = 1 } },
	{ "10 auto-reply: counted, no state", NULL,
	  { .state = REBOUND_STATE_ACTIVE }, SEEN_AUTOREPLY, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .autoreply = 1, .may_send = true } },
	{ "10 feedback report: counted, no state", NULL,
	  { .state = REBOUND_STATE_SOFT, .soft_count = 1,
	    .consecutive_soft = 1 },
	  SEEN_FEEDBACK, NULL, T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 1, .consecutive = 1,
	    .feedback = 1, .may_send = true } },
	{ "11 a suspension ends at its time", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0, .block_count = 1 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .block = 1, .may_send = true } },
	{ "11 one second before: still suspended", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 1,
	    .block_count = 1 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + 1, .block = 1 } },
	{ "11 an ended suspension rests in soft when soft bounces count", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0, .soft_count = 2,
	    .consecutive_soft = 2 },
	  SEEN_TIME, NULL, T0,
	  { .state = REBOUND_STATE_SOFT, .soft = 2, .consecutive = 2,
	    .may_send = true } },
	{ "12 unbounce: active, history kept", NULL,
	  { .state = REBOUND_STATE_GLOBAL, .suspect = true,
	    .suspect_why = "gateway:mimecast", .hard_count = 3,
	    .hard_run = 3, .soft_count = 2, .consecutive_soft = 2,
	    .nhard_domains = 1,
	    .hard_domains = { HARD_DOMAIN(T0 - DAY, "one.example") } },
	  SEEN_UNBOUNCE, NULL, T0,
	  { .state = REBOUND_STATE_ACTIVE, .hard = 3, .soft = 2,
	    .may_send = true } },
	/* Row 13 (unverified notices) is the ledger's, not policy.c's: see
	   unverified_changes_nothing below. */
};

static rebound_observation observation(seen what, const char *sender_domain)
{
	rebound_observation o;
	memset(&o, 0, sizeof(o));
	o.cls = REBOUND_CLASS_BOUNCE;
	o.action = REBOUND_ACTION_FAILED;
	o.sender_domain = sender_domain;
	switch (what) {
	case SEEN_HARD:
	case SEEN_SUSPECT:
		o.reason = REBOUND_REASON_USERUNKNOWN;
		o.hard = true;
		o.suspect = what == SEEN_SUSPECT;
		if (o.suspect)
			o.suspect_why =
				"gateway:cisco remote-mta mx1.example.iphmx.com";
		break;
	case SEEN_BLOCK:
		o.reason = REBOUND_REASON_SPAMDETECTED;
		break;
	case SEEN_SOFT:
		o.reason = REBOUND_REASON_MAILBOXFULL;
		break;
	case SEEN_DELAYED:
		o.action = REBOUND_ACTION_DELAYED;
		o.reason = REBOUND_REASON_EXPIRED;
		break;
	case SEEN_DELIVERED:
		o.cls = REBOUND_CLASS_DELIVERED;
		o.action = REBOUND_ACTION_DELIVERED;
		o.reason = REBOUND_REASON_DELIVERED;
		break;
	case SEEN_AUTOREPLY:
		o.cls = REBOUND_CLASS_AUTOREPLY;
		o.action = REBOUND_ACTION_AUTOREPLY;
		o.reason = REBOUND_REASON_VACATION;
		break;
	case SEEN_FEEDBACK:
		o.cls = REBOUND_CLASS_FEEDBACK;
		o.action = REBOUND_ACTION_FEEDBACK;
		o.reason = REBOUND_REASON_FEEDBACK;
		break;
	case SEEN_TIME:
	case SEEN_UNBOUNCE:
		break;
	}
	return o;
}

START_TEST(policy_row_table)
{
	const policy_row *r = &policy_rows[_i];
	rebound_policy p;
	ck_assert_int_eq(rebound_policy_preset(&p, r->preset != NULL ?
						   r->preset : "default"), 0);
	static rebound_entry e;	/* large: not on the stack */
	e = r->given;
	if (r->what == SEEN_TIME) {
		rebound_entry_refresh(&e, r->at);
	} else if (r->what == SEEN_UNBOUNCE) {
		rebound_entry_unbounce(&e, r->at);
	} else {
		rebound_observation o = observation(r->what, r->sender_domain);
		ck_assert_int_ne(rebound_entry_apply(&e, &p, &o, r->at),
				 REBOUND_OBS_NONE);
	}
	const expect *w = &r->want;
	ck_assert_msg(e.state == w->state, "row %s: state %s, want %s", r->row,
		      rebound_state_name(e.state), rebound_state_name(w->state));
	ck_assert_msg(e.until == w->until, "row %s: until %lld, want %lld",
		      r->row, (long long)e.until, (long long)w->until);
	ck_assert_msg(e.suspect == w->suspect, "row %s: suspect", r->row);
	ck_assert_msg(e.hard_count == w->hard, "row %s: hard_count %u", r->row,
		      e.hard_count);
	ck_assert_msg(e.hard_run == w->hard_run, "row %s: hard_run %u", r->row,
		      e.hard_run);
	ck_assert_msg(e.soft_count == w->soft, "row %s: soft_count %u", r->row,
		      e.soft_count);
	ck_assert_msg(e.consecutive_soft == w->consecutive,
		      "row %s: consecutive_soft %u", r->row, e.consecutive_soft);
	ck_assert_msg(e.block_count == w->block, "row %s: block_count %u",
		      r->row, e.block_count);
	ck_assert_msg(e.delayed_count == w->delayed, "row %s: delayed_count %u",
		      r->row, e.delayed_count);
	ck_assert_msg(e.delivered_count == w->delivered,
		      "row %s: delivered_count %u", r->row, e.delivered_count);
	ck_assert_msg(e.autoreply_count == w->autoreply,
		      "row %s: autoreply_count %u", r->row, e.autoreply_count);
	ck_assert_msg(e.feedback_count == w->feedback,
		      "row %s: feedback_count %u", r->row, e.feedback_count);
	ck_assert_msg(e.pending_expires == w->pending_expires,
		      "row %s: pending_expires %lld", r->row,
		      (long long)e.pending_expires);
	ck_assert_msg((e.pending_since != 0) == (w->pending_expires != 0 ||
						 w->state == REBOUND_STATE_PENDING),
		      "row %s: pending_since %lld", r->row,
		      (long long)e.pending_since);
	ck_assert_msg(e.nhard_domains == w->nhard_domains,
		      "row %s: nhard_domains %zu", r->row, e.nhard_domains);
	ck_assert_msg(rebound_entry_may_send(&e, r->at) == w->may_send,
		      "row %s: may_send", r->row);
	ck_assert_msg(strcmp(e.suspect_why, w->why != NULL ? w->why : "") == 0,
		      "row %s: suspect_why '%s'", r->row, e.suspect_why);
	if (r->what == SEEN_TIME && w->soft > r->given.soft_count)
		ck_assert_str_eq(rebound_reason_name(e.last_reason), "expired");
}
END_TEST

/* The short name the ledger keeps of the classifier's evidence. */
static const struct { const char *why, *want; } short_names[] = {
	{ "gateway:cisco remote-mta mx1.example.iphmx.com", "gateway:cisco" },
	{ "gateway:mimecast notice", "gateway:mimecast" },
	{ "gateway:email security service notice",
	  "gateway:email security service" },
	{ "gateway:proofpoint said mx0a.pphosted.com",
	  "gateway:proofpoint" },
	{ "gateway:cisco from", "gateway:cisco" },
	{ "stage:data", "stage:data" },
	{ "status:5.7.1", "status:5.7.1" },
	{ "status:5.2.1 without RCPT", "status:5.2.1" },
	{ "policy-words:access denied", "policy-words" },
	{ NULL, "" },
};

START_TEST(suspect_short_name_table)
{
	char out[48];
	rebound_suspect_short_name(short_names[_i].why, out, sizeof(out));
	ck_assert_str_eq(out, short_names[_i].want);
}
END_TEST

/* "The same reply": addresses, numbers and ids masked. */
static const struct { const char *a, *b; bool same; } shapes[] = {
	{ "550 5.1.1 <ann@corp.example>: Recipient address rejected: User unknown",
	  "550 5.1.1 <bob@corp.example>: Recipient address rejected: User unknown",
	  true },
	{ "550 5.1.1 ann@corp.example... User unknown (id=4FgH2k3Zz1)",
	  "550  5.1.1  BOB@corp.example... user UNKNOWN (id=9QrT7m1Ab2)", true },
	{ "550 5.1.1 <ann@corp.example>: Recipient address rejected: User unknown",
	  "550 5.1.1 <bob@corp.example>: mailbox unavailable", false },
	{ "host mx1.corp.example[192.0.2.1] said: 550 no such user",
	  "host mx2.corp.example[192.0.2.7] said: 550 no such user", true },
};

START_TEST(reply_shape_table)
{
	char a[160], b[160];
	rebound_reply_shape(shapes[_i].a, a, sizeof(a));
	rebound_reply_shape(shapes[_i].b, b, sizeof(b));
	ck_assert_msg((strcmp(a, b) == 0) == shapes[_i].same, "'%s' vs '%s'",
		      a, b);
}
END_TEST

/* --- a domain that blocks the sender (doc/design.md §6 row 14) ----------- */

#define SHAPE "# # <#>: recipient address rejected: user unknown"
#define OTHER "# # <#>: mailbox unavailable"
#define HIT(t, a, sh) { .time = (t), .address = a, .shape = (sh) }

typedef struct burst_row {
	const char *row;
	unsigned count, minutes;	/* the settings */
	rebound_domain given;		/* hits' shapes: 1 = SHAPE, 2 = OTHER */
	const char *address;
	const char *shape;
	int64_t at;
	rebound_burst want;
	bool blocking;
	size_t nhits;
	uint32_t block_recipients, blocks;
	int64_t block_start;
} burst_row;

static const burst_row burst_rows[] = {
	{ "14 the first user unknown: counted, no burst", 5, 30,
	  { .nhits = 0 }, "a@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, false, 1, 0, 0, 0 },
	{ "14 the fifth recipient within 30 minutes: a burst", 5, 30,
	  { .nhits = 4, .hits = { HIT(T0 - 29 * 60, "a@corp.example", 1),
				  HIT(T0 - 20 * 60, "b@corp.example", 1),
				  HIT(T0 - 10 * 60, "c@corp.example", 1),
				  HIT(T0 - 60, "d@corp.example", 1) } },
	  "e@corp.example", SHAPE, T0,
	  REBOUND_BURST_NEW, true, 5, 5, 1, T0 - 29 * 60 },
	{ "14 the oldest fell out of the window: no burst", 5, 30,
	  { .nhits = 4, .hits = { HIT(T0 - 31 * 60, "a@corp.example", 1),
				  HIT(T0 - 20 * 60, "b@corp.example", 1),
				  HIT(T0 - 10 * 60, "c@corp.example", 1),
				  HIT(T0 - 60, "d@corp.example", 1) } },
	  "e@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, false, 4, 0, 0, 0 },
	{ "14 the same recipient again counts once", 5, 30,
	  { .nhits = 4, .hits = { HIT(T0 - 29 * 60, "a@corp.example", 1),
				  HIT(T0 - 20 * 60, "b@corp.example", 1),
				  HIT(T0 - 10 * 60, "c@corp.example", 1),
				  HIT(T0 - 60, "d@corp.example", 1) } },
	  "B@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, false, 4, 0, 0, 0 },
	{ "14 another reply is no company for the burst", 5, 30,
	  { .nhits = 4, .hits = { HIT(T0 - 29 * 60, "a@corp.example", 1),
				  HIT(T0 - 20 * 60, "b@corp.example", 2),
				  HIT(T0 - 10 * 60, "c@corp.example", 1),
				  HIT(T0 - 60, "d@corp.example", 1) } },
	  "e@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, false, 5, 0, 0, 0 },
	{ "14 later in a marked window: suspect, the window runs on", 5, 30,
	  { .blocking = true, .shape = SHAPE, .block_start = T0 - 40 * 60,
	    .block_last = T0 - 25 * 60, .block_recipients = 5, .blocks = 1 },
	  "f@corp.example", SHAPE, T0,
	  REBOUND_BURST_MARKED, true, 1, 6, 1, T0 - 40 * 60 },
	{ "14 after the marked window: counted again", 5, 30,
	  { .blocking = true, .shape = SHAPE, .block_start = T0 - 90 * 60,
	    .block_last = T0 - 31 * 60, .block_recipients = 5, .blocks = 1 },
	  "f@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, true, 1, 5, 1, T0 - 90 * 60 },
	{ "14 a marked domain, another reply: not suspect", 5, 30,
	  { .blocking = true, .shape = SHAPE, .block_start = T0 - 40 * 60,
	    .block_last = T0 - 5 * 60, .block_recipients = 5, .blocks = 1 },
	  "f@corp.example", OTHER, T0,
	  REBOUND_BURST_NONE, true, 1, 5, 1, T0 - 40 * 60 },
	{ "14 suspect_burst_count 0: off", 0, 30,
	  { .nhits = 4, .hits = { HIT(T0 - 29 * 60, "a@corp.example", 1),
				  HIT(T0 - 20 * 60, "b@corp.example", 1),
				  HIT(T0 - 10 * 60, "c@corp.example", 1),
				  HIT(T0 - 60, "d@corp.example", 1) } },
	  "e@corp.example", SHAPE, T0,
	  REBOUND_BURST_NONE, false, 4, 0, 0, 0 },
	{ "14 a count of 2 within 5 minutes (settings)", 2, 5,
	  { .nhits = 1, .hits = { HIT(T0 - 4 * 60, "a@corp.example", 1) } },
	  "b@corp.example", SHAPE, T0,
	  REBOUND_BURST_NEW, true, 2, 2, 1, T0 - 4 * 60 },
};

START_TEST(burst_row_table)
{
	const burst_row *r = &burst_rows[_i];
	rebound_policy p;
	ck_assert_int_eq(rebound_policy_preset(&p, "default"), 0);
	p.suspect_burst_count = r->count;
	p.suspect_burst_minutes = r->minutes;
	static rebound_domain d;
	d = r->given;
	/* the table names shapes by number: their hashes here */
	for (size_t i = 0; i < d.nhits; i++)
		d.hits[i].shape = rebound_shape_hash(d.hits[i].shape == 1 ?
							     SHAPE : OTHER);
	rebound_burst b = rebound_domain_hard(&d, &p, r->address, r->shape,
					      "550 5.1.1 ...", r->at);
	ck_assert_msg(b == r->want, "row %s: burst %d, want %d", r->row,
		      (int)b, (int)r->want);
	ck_assert_msg(d.blocking == r->blocking, "row %s: blocking", r->row);
	ck_assert_msg(d.nhits == r->nhits, "row %s: nhits %zu", r->row,
		      d.nhits);
	ck_assert_msg(d.block_recipients == r->block_recipients,
		      "row %s: block_recipients %u", r->row,
		      d.block_recipients);
	ck_assert_msg(d.blocks == r->blocks, "row %s: blocks %u", r->row,
		      d.blocks);
	ck_assert_msg(d.block_start == r->block_start,
		      "row %s: block_start %lld", r->row,
		      (long long)d.block_start);
	if (b != REBOUND_BURST_NONE)
		ck_assert_int_eq(d.block_last, r->at);
}
END_TEST

/* The recipients of a burst found later. */
typedef struct burst_entry_row {
	const char *row;
	const char *preset;
	rebound_entry given;
	bool changed;
	rebound_state state;
	int64_t until;
	uint32_t hard_run;
	size_t nhard_domains;
	const char *why;
} burst_entry_row;

#define WINDOW_START (T0 - 10 * 60)
#define LAST_HARD(t) .last_time = (t), .last_hard = true, \
	.last_reason = REBOUND_REASON_USERUNKNOWN, \
	.last_sender_domain = "s.example"

static const burst_entry_row burst_entry_rows[] = {
	{ "14 suppressed by the burst's bounce: suspended, run undone", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 1, .hard_run = 1,
	    LAST_HARD(T0 - 5 * 60), .nhard_domains = 1,
	    .hard_domains = { HARD_DOMAIN(T0 - 5 * 60, "s.example") } },
	  true, REBOUND_STATE_SUSPENDED, T0 + 24 * HOUR, 0, 0,
	  "domain-burst" },
	{ "14 suppressed before the burst: stays suppressed, suspect", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 2, .hard_run = 2,
	    LAST_HARD(T0 - 5 * 60), .nhard_domains = 1,
	    .hard_domains = { HARD_DOMAIN(T0 - 5 * 60, "s.example") } },
	  true, REBOUND_STATE_SUPPRESSED, 0, 1, 0, "domain-burst" },
	{ "14 already suspect: its own why stays", NULL,
	  { .state = REBOUND_STATE_SUSPENDED, .until = T0 + HOUR,
	    .suspect = true, .suspect_why = "gateway:proofpoint",
	    .hard_count = 1, LAST_HARD(T0 - 5 * 60) },
	  false, REBOUND_STATE_SUSPENDED, T0 + HOUR, 0, 0,
	  "gateway:proofpoint" },
	{ "14 a bounce before the window: unchanged", NULL,
	  { .state = REBOUND_STATE_SUPPRESSED, .hard_count = 1, .hard_run = 1,
	    LAST_HARD(WINDOW_START - 1), .nhard_domains = 1,
	    .hard_domains = { HARD_DOMAIN(WINDOW_START - 1, "s.example") } },
	  false, REBOUND_STATE_SUPPRESSED, 0, 1, 1, NULL },
	{ "14 global: unchanged", NULL,
	  { .state = REBOUND_STATE_GLOBAL, .hard_count = 3, .hard_run = 3,
	    LAST_HARD(T0 - 5 * 60) },
	  false, REBOUND_STATE_GLOBAL, 0, 3, 0, NULL },
	{ "14 below hard_limit (mailman): soft becomes suspended", "mailman",
	  { .state = REBOUND_STATE_SOFT, .hard_count = 1, .hard_run = 1,
	    LAST_HARD(T0 - 5 * 60) },
	  true, REBOUND_STATE_SUSPENDED, T0 + 24 * HOUR, 0, 0,
	  "domain-burst" },
};

START_TEST(burst_entry_row_table)
{
	const burst_entry_row *r = &burst_entry_rows[_i];
	rebound_policy p;
	ck_assert_int_eq(rebound_policy_preset(&p, r->preset != NULL ?
						   r->preset : "default"), 0);
	static rebound_entry e;
	e = r->given;
	bool changed = rebound_entry_burst_suspect(&e, &p, WINDOW_START, T0);
	ck_assert_msg(changed == r->changed, "row %s: changed", r->row);
	ck_assert_msg(e.state == r->state, "row %s: state %s", r->row,
		      rebound_state_name(e.state));
	ck_assert_msg(e.until == r->until, "row %s: until %lld", r->row,
		      (long long)e.until);
	ck_assert_msg(e.hard_run == r->hard_run, "row %s: hard_run %u",
		      r->row, e.hard_run);
	ck_assert_msg(e.nhard_domains == r->nhard_domains,
		      "row %s: nhard_domains %zu", r->row, e.nhard_domains);
	ck_assert_msg(strcmp(e.suspect_why, r->why != NULL ? r->why : "") == 0,
		      "row %s: why '%s'", r->row, e.suspect_why);
}
END_TEST

/* A delivery ends a domain's mark. */
START_TEST(burst_delivery_clears_mark)
{
	static rebound_domain d;
	memset(&d, 0, sizeof(d));
	ck_assert(!rebound_domain_delivered(&d, "a@corp.example", T0));
	d.blocking = true;
	d.nhits = 1;
	ck_assert(rebound_domain_delivered(&d, "a@corp.example", T0));
	ck_assert(!d.blocking);
	ck_assert(d.cleared == T0);
	ck_assert_str_eq(d.cleared_by, "a@corp.example");
	ck_assert_uint_eq(d.nhits, 0);
}
END_TEST

/* --- campaigns (doc/design.md §7) ---------------------------------------- */

typedef enum campaign_op {
	OP_BOUNCE_HARD,
	OP_BOUNCE_SOFT,
	OP_TIME,		/* only time passes (refresh) */
	OP_CHECK,		/* the rule on the current counts (at a send) */
	OP_RESUME,
	OP_CANCEL,
} campaign_op;

typedef struct campaign_row {
	const char *row;
	rebound_campaign given;
	campaign_op op;
	int64_t at;
	rebound_campaign_state state;
	int64_t until;
	uint32_t pauses;
	uint64_t sent_base, bounced_base;
} campaign_row;

static const campaign_row campaign_rows[] = {
	{ "C2/C3 above 5 % after 100 sends: paused 24 h",
	  { .sent = 100, .bounced_hard = 5 }, OP_BOUNCE_HARD, T0,
	  REBOUND_CAMPAIGN_PAUSED, T0 + 24 * HOUR, 1, 0, 0 },
	{ "C3 exactly 5 %: running",
	  { .sent = 100, .bounced_soft = 4 }, OP_BOUNCE_SOFT, T0,
	  REBOUND_CAMPAIGN_RUNNING, 0, 0, 0, 0 },
	{ "C3 below 100 sends: running whatever the rate",
	  { .sent = 99, .bounced_hard = 50 }, OP_BOUNCE_HARD, T0,
	  REBOUND_CAMPAIGN_RUNNING, 0, 0, 0, 0 },
	{ "C3 the 100th send crosses the rule",
	  { .sent = 100, .bounced_hard = 21 }, OP_CHECK, T0,
	  REBOUND_CAMPAIGN_PAUSED, T0 + 24 * HOUR, 1, 0, 0 },
	{ "C3 only counts since the last resume",
	  { .sent = 300, .bounced_hard = 39, .sent_base = 200,
	    .bounced_base = 34, .pauses = 1 }, OP_CHECK, T0,
	  REBOUND_CAMPAIGN_RUNNING, 0, 1, 200, 34 },
	{ "C3 crossing again after a pause: cancelled",
	  { .sent = 300, .bounced_hard = 41, .sent_base = 200,
	    .bounced_base = 34, .pauses = 1 }, OP_BOUNCE_HARD, T0,
	  REBOUND_CAMPAIGN_CANCELLED, 0, 1, 200, 34 },
	{ "C4 the pause ends: running, counts from here",
	  { .state = REBOUND_CAMPAIGN_PAUSED, .until = T0, .sent = 100,
	    .bounced_hard = 6, .pauses = 1 }, OP_TIME, T0,
	  REBOUND_CAMPAIGN_RUNNING, 0, 1, 100, 6 },
	{ "C4 one second before: still paused",
	  { .state = REBOUND_CAMPAIGN_PAUSED, .until = T0 + 1, .sent = 100,
	    .bounced_hard = 6, .pauses = 1 }, OP_TIME, T0,
	  REBOUND_CAMPAIGN_PAUSED, T0 + 1, 1, 0, 0 },
	{ "C5 resume by hand: running, counts from here",
	  { .state = REBOUND_CAMPAIGN_CANCELLED, .sent = 300,
	    .bounced_hard = 41, .pauses = 1 }, OP_RESUME, T0,
	  REBOUND_CAMPAIGN_RUNNING, 0, 1, 300, 41 },
	{ "C5 cancel by hand",
	  { .sent = 10 }, OP_CANCEL, T0,
	  REBOUND_CAMPAIGN_CANCELLED, 0, 0, 0, 0 },
};

START_TEST(campaign_row_table)
{
	const campaign_row *r = &campaign_rows[_i];
	rebound_policy p;
	ck_assert_int_eq(rebound_policy_preset(&p, "default"), 0);
	rebound_campaign c = r->given;
	switch (r->op) {
	case OP_BOUNCE_HARD:
	case OP_BOUNCE_SOFT:
		rebound_campaign_bounce(&c, &p, r->op == OP_BOUNCE_HARD, r->at);
		break;
	case OP_TIME:
		rebound_campaign_refresh(&c, r->at);
		break;
	case OP_CHECK:
		rebound_campaign_check(&c, &p, r->at);
		break;
	case OP_RESUME:
		rebound_campaign_resume(&c, r->at);
		break;
	case OP_CANCEL:
		rebound_campaign_cancel(&c, r->at);
		break;
	}
	ck_assert_msg(c.state == r->state, "row %s: state %d, want %d", r->row,
		      (int)c.state, (int)r->state);
	ck_assert_msg(c.until == r->until, "row %s: until %lld", r->row,
		      (long long)c.until);
	ck_assert_msg(c.pauses == r->pauses, "row %s: pauses %u", r->row,
		      c.pauses);
	ck_assert_msg(c.sent_base == r->sent_base && c.bounced_base ==
		      r->bounced_base, "row %s: bases %llu %llu", r->row,
		      (unsigned long long)c.sent_base,
		      (unsigned long long)c.bounced_base);
}
END_TEST

/* --- the same rows through the ledger (integration) ---------------------- */

static char dir[256], path[300];
static rebound_ledger *L;
static rebound_policy P;
static char err[1024];
static unsigned msgno;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_policy.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.tdb", dir);
	L = rebound_ledger_open(path, REBOUND_LEDGER_CREATE, err, sizeof(err));
	ck_assert_msg(L != NULL, "open: %s", err);
	ck_assert_int_eq(rebound_policy_preset(&P, "default"), 0);
	msgno = 0;
}

static void teardown(void)
{
	rebound_ledger_close(L);
	campaign_counts_close();
	unlink(path);
	char counts[sizeof(path) + 16];
	snprintf(counts, sizeof(counts), "%s%s", path, CAMPAIGN_COUNTS_SUFFIX);
	unlink(counts);
	rmdir(dir);
}

static rebound_recipient rcpt(const char *addr, rebound_action act,
			      rebound_reason reason, bool hard)
{
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = addr;
	r.action = act;
	r.reason = reason;
	r.hard = hard;
	snprintf(r.status, sizeof(r.status), "%s",
		 act == REBOUND_ACTION_DELAYED ? "4.4.1" :
		 hard ? "5.1.1" : "4.2.2");
	return r;
}

/* Record one notice (a new Message-ID each time) about r. */
static rebound_outcome notice(int64_t now, rebound_class cls,
			      rebound_recipient r, const char *sender_domain,
			      const char *campaign)
{
	char id[64];
	snprintf(id, sizeof(id), "<n%u@mx.example>", ++msgno);
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = cls;
	res.rcpt = &r;
	res.nrcpt = 1;
	res.message_id = id;
	res.sender_domain = sender_domain;
	res.campaign = campaign;
	rebound_record_context ctx = { .now = now, .source = "test" };
	rebound_outcome out;
	memset(&out, 0, sizeof(out));
	int n = rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
				      sizeof(err));
	ck_assert_msg(n == 1, "record: %d %s", n, err);
	return out;
}

static rebound_outcome hard(int64_t now, const char *addr, const char *sd)
{
	return notice(now, REBOUND_CLASS_BOUNCE,
		      rcpt(addr, REBOUND_ACTION_FAILED,
			   REBOUND_REASON_USERUNKNOWN, true), sd, NULL);
}

static rebound_outcome soft(int64_t now, const char *addr)
{
	return notice(now, REBOUND_CLASS_BOUNCE,
		      rcpt(addr, REBOUND_ACTION_FAILED,
			   REBOUND_REASON_MAILBOXFULL, false), "s.example", NULL);
}

static rebound_outcome delayed(int64_t now, const char *addr)
{
	return notice(now, REBOUND_CLASS_BOUNCE,
		      rcpt(addr, REBOUND_ACTION_DELAYED,
			   REBOUND_REASON_EXPIRED, false), "s.example", NULL);
}

/* A successful delivery seen by Exim (in-band). */
static void delivered(int64_t now, const char *addr)
{
	rebound_recipient r = rcpt(addr, REBOUND_ACTION_DELIVERED,
				   REBOUND_REASON_DELIVERED, false);
	rebound_record_context ctx = { .now = now, .source = "event" };
	ck_assert_msg(rebound_ledger_record_recipient(L, &P, &r, &ctx, NULL,
						      err, sizeof(err)) == 0,
		      "%s", err);
}

static rebound_entry get(const char *addr, int64_t now)
{
	rebound_entry e;
	int rc = rebound_ledger_get(L, addr, now, &e, err, sizeof(err));
	ck_assert_msg(rc == 1, "get %s: %d %s", addr, rc, err);
	return e;
}

static int may(const char *addr, int64_t now)
{
	return rebound_ledger_may_send(L, addr, now, err, sizeof(err));
}

/* hard (invalid address or domain): suppressed until unbounce */
START_TEST(hard_suppresses_until_unbounce)
{
	rebound_outcome o = hard(T0, "gone@example.org", "s.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUPPRESSED);
	ck_assert_int_eq(may("gone@example.org", T0), 0);
	ck_assert_int_eq(may("gone@example.org", T0 + 3650 * DAY), 0);
	ck_assert_int_eq(rebound_ledger_unbounce(L, "gone@example.org",
						 T0 + DAY, err, sizeof(err)), 1);
	ck_assert_int_eq(may("gone@example.org", T0 + DAY), 1);
	rebound_entry e = get("gone@example.org", T0 + DAY);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(e.hard_count, 1);	/* history stays */
}
END_TEST

/* block/spam/policy rejection (category 1): suspended for 24 h */
START_TEST(block_suspends_24h)
{
	rebound_outcome o = notice(T0, REBOUND_CLASS_BOUNCE,
				   rcpt("b@example.org", REBOUND_ACTION_FAILED,
					REBOUND_REASON_SPAMDETECTED, false),
				   "s.example", NULL);
	ck_assert_int_eq(o.state, REBOUND_STATE_SUSPENDED);
	ck_assert(o.until == T0 + 24 * HOUR);
	ck_assert_int_eq(may("b@example.org", T0 + 24 * HOUR - 1), 0);
	ck_assert_int_eq(may("b@example.org", T0 + 24 * HOUR), 1);
	rebound_entry e = get("b@example.org", T0 + 25 * HOUR);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(e.soft_count, 0);	/* a block is not a soft bounce */
}
END_TEST

/* soft bounce: 7 without a delivery in between suppress */
START_TEST(soft_limit_suppresses)
{
	for (int i = 0; i < 6; i++) {
		rebound_outcome o = soft(T0 + i * HOUR, "s@example.org");
		ck_assert_int_eq(o.state, REBOUND_STATE_SOFT);
	}
	ck_assert_int_eq(may("s@example.org", T0 + 6 * HOUR), 1);
	rebound_outcome o = soft(T0 + 7 * HOUR, "s@example.org");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUPPRESSED);
	ck_assert_int_eq(may("s@example.org", T0 + 8 * HOUR), 0);
}
END_TEST

/* successful delivery clears the soft count and the pending state */
START_TEST(delivery_clears_soft_count)
{
	for (int i = 0; i < 6; i++)
		soft(T0 + i * HOUR, "d@example.org");
	delivered(T0 + 7 * HOUR, "d@example.org");
	rebound_entry e = get("d@example.org", T0 + 7 * HOUR);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(e.consecutive_soft, 0);
	ck_assert_int_eq(e.soft_count, 6);
	for (int i = 0; i < 6; i++) {
		rebound_outcome o = soft(T0 + (8 + i) * HOUR, "d@example.org");
		ck_assert_int_eq(o.state, REBOUND_STATE_SOFT);
	}
	delayed(T0 + 20 * HOUR, "d@example.org");
	ck_assert_int_eq(get("d@example.org", T0 + 20 * HOUR).state,
			 REBOUND_STATE_PENDING);
	delivered(T0 + 21 * HOUR, "d@example.org");
	e = get("d@example.org", T0 + 200 * HOUR);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert(e.pending_since == 0);
	ck_assert_int_eq(e.soft_count, 12);	/* the delay never expired */
}
END_TEST

/* a delivery to an address the ledger does not know writes nothing */
START_TEST(delivery_of_unknown_writes_nothing)
{
	delivered(T0, "new@example.org");
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(L, "new@example.org", T0, &e, err,
					    sizeof(err)), 0);
}
END_TEST

/* delayed DSN: pending; after 72 h with no final report, a soft bounce */
START_TEST(delayed_expires_to_soft)
{
	rebound_outcome o = delayed(T0, "p@example.org");
	ck_assert_int_eq(o.state, REBOUND_STATE_PENDING);
	ck_assert_int_eq(may("p@example.org", T0), 1);
	/* a second delay report does not restart the clock */
	delayed(T0 + 48 * HOUR, "p@example.org");
	rebound_entry e = get("p@example.org", T0 + 72 * HOUR - 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_PENDING);
	ck_assert_int_eq(e.soft_count, 0);
	e = get("p@example.org", T0 + 72 * HOUR);
	ck_assert_int_eq(e.state, REBOUND_STATE_SOFT);
	ck_assert_int_eq(e.soft_count, 1);
	ck_assert_int_eq(e.consecutive_soft, 1);
	ck_assert_str_eq(rebound_reason_name(e.last_reason), "expired");
}
END_TEST

/* a final report within the 72 h counts once, not twice */
START_TEST(delayed_then_final_counts_once)
{
	delayed(T0, "q@example.org");
	soft(T0 + 10 * HOUR, "q@example.org");
	rebound_entry e = get("q@example.org", T0 + 100 * HOUR);
	ck_assert_int_eq(e.soft_count, 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SOFT);
	delayed(T0 + 200 * HOUR, "r@example.org");
	hard(T0 + 201 * HOUR, "r@example.org", "s.example");
	e = get("r@example.org", T0 + 400 * HOUR);
	ck_assert_int_eq(e.soft_count, 0);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
}
END_TEST

/* the expiry that reaches the soft limit suppresses, even for a reader
 * without a policy (may_send) */
START_TEST(delayed_expiry_reaches_limit)
{
	for (int i = 0; i < 6; i++)
		soft(T0 + i * HOUR, "x@example.org");
	delayed(T0 + 10 * HOUR, "x@example.org");
	ck_assert_int_eq(may("x@example.org", T0 + 81 * HOUR), 1);
	ck_assert_int_eq(may("x@example.org", T0 + 82 * HOUR), 0);
}
END_TEST

/* hard bounces from 3 distinct sender domains within 60 days: global */
START_TEST(global_after_three_domains)
{
	hard(T0, "g@example.org", "one.example");
	hard(T0 + DAY, "g@example.org", "one.example");
	hard(T0 + 2 * DAY, "g@example.org", "two.example");
	ck_assert_int_eq(get("g@example.org", T0 + 2 * DAY).state,
			 REBOUND_STATE_SUPPRESSED);
	rebound_outcome o = hard(T0 + 59 * DAY, "g@example.org", "three.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_GLOBAL);
	ck_assert_int_eq(may("g@example.org", T0 + 60 * DAY), 0);
	/* spread over more than 60 days: not global */
	hard(T0, "h@example.org", "one.example");
	hard(T0 + 30 * DAY, "h@example.org", "two.example");
	o = hard(T0 + 61 * DAY, "h@example.org", "three.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUPPRESSED);
}
END_TEST

/* suspect hard bounce: suspended, flagged suspect, not suppressed */
START_TEST(suspect_hard_suspends)
{
	rebound_recipient r = rcpt("m@example.org", REBOUND_ACTION_FAILED,
				   REBOUND_REASON_USERUNKNOWN, true);
	r.suspect = true;
	rebound_outcome o = notice(T0, REBOUND_CLASS_BOUNCE, r, "s.example",
				   NULL);
	ck_assert_int_eq(o.state, REBOUND_STATE_SUSPENDED);
	ck_assert(o.suspect);
	ck_assert(o.until == T0 + 24 * HOUR);
	ck_assert_int_eq(may("m@example.org", T0 + 24 * HOUR), 1);
	rebound_entry e = get("m@example.org", T0 + 24 * HOUR);
	ck_assert(e.suspect);
	ck_assert_int_eq(e.nhard_domains, 0);	/* never counts to global */
}
END_TEST

/* an address that accepted mail lately: its hard bounce is suspect */
START_TEST(hard_after_recent_delivery_is_suspect)
{
	soft(T0, "n@example.org");	/* known to the ledger */
	delivered(T0 + DAY, "n@example.org");
	rebound_outcome o = hard(T0 + 2 * DAY, "n@example.org", "s.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUSPENDED);
	ck_assert(o.suspect);
	o = hard(T0 + 40 * DAY, "n@example.org", "s.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUPPRESSED);
	ck_assert(!o.suspect);
}
END_TEST

/* auto-reply, feedback report, delivered DSN: recorded, never suppress */
START_TEST(other_reports_never_suppress)
{
	for (int i = 0; i < 20; i++) {
		notice(T0 + i, REBOUND_CLASS_AUTOREPLY,
		       rcpt("v@example.org", REBOUND_ACTION_AUTOREPLY,
			    REBOUND_REASON_VACATION, false), NULL, NULL);
		notice(T0 + i, REBOUND_CLASS_FEEDBACK,
		       rcpt("v@example.org", REBOUND_ACTION_FEEDBACK,
			    REBOUND_REASON_FEEDBACK, false), NULL, NULL);
		notice(T0 + i, REBOUND_CLASS_DELIVERED,
		       rcpt("v@example.org", REBOUND_ACTION_DELIVERED,
			    REBOUND_REASON_DELIVERED, false), NULL, NULL);
	}
	rebound_entry e = get("v@example.org", T0 + 100);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(e.autoreply_count, 20);
	ck_assert_int_eq(e.feedback_count, 20);
	ck_assert_int_eq(e.delivered_count, 20);
	ck_assert_int_eq(may("v@example.org", T0 + 100), 1);
}
END_TEST

/* an auto-reply that names nobody is still counted as an event */
START_TEST(autoreply_without_recipient_is_an_event)
{
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_AUTOREPLY;
	res.message_id = "<away@example.org>";
	rebound_record_context ctx = { .now = T0, .source = "test" };
	rebound_outcome out;
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 0);
	rebound_check_report r;
	ck_assert_int_eq(rebound_ledger_check(L, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.events, 1);
	ck_assert_int_eq(r.recipients, 0);
}
END_TEST

/* unverified (forged) bounce: an event, no state */
START_TEST(unverified_changes_nothing)
{
	rebound_recipient r = rcpt("f@example.org", REBOUND_ACTION_FAILED,
				   REBOUND_REASON_USERUNKNOWN, true);
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = &r;
	res.nrcpt = 1;
	res.message_id = "<forged@example.org>";
	rebound_verp_vouch nobody;
	rebound_verp_vouch_init(&nobody, true);
	rebound_record_context ctx = { .now = T0, .source = "test",
				       .vouch = &nobody };
	rebound_outcome out;
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert_int_eq(out.state, REBOUND_STATE_ACTIVE);
	ck_assert(out.unverified);
	ck_assert_int_eq(may("f@example.org", T0), 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(L, "f@example.org", T0, &e, err,
					    sizeof(err)), 0);
	rebound_check_report cr;
	ck_assert_int_eq(rebound_ledger_check(L, &cr, err, sizeof(err)), 0);
	ck_assert_int_eq(cr.events, 1);
}
END_TEST

/* A signature vouches only for the recipient it names: a subscriber's
 * signed return path on a notice that also names someone else changes
 * the subscriber's state only (issue 16). */
START_TEST(signature_vouches_for_its_recipient_only)
{
	rebound_recipient r[2] = {
		rcpt("signer@example.org", REBOUND_ACTION_FAILED,
		     REBOUND_REASON_USERUNKNOWN, true),
		rcpt("Victim@Example.org", REBOUND_ACTION_FAILED,
		     REBOUND_REASON_USERUNKNOWN, true),
	};
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = r;
	res.nrcpt = 2;
	res.message_id = "<two@example.org>";
	rebound_verp_vouch v;
	rebound_verp_vouch_init(&v, true);
	v.n = 1;
	snprintf(v.recipient[0], sizeof(v.recipient[0]), "SIGNER@example.org");
	rebound_record_context ctx = { .now = T0, .source = "test",
				       .vouch = &v };
	rebound_outcome out[2];
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, out, 2, err,
					       sizeof(err)), 2);
	ck_assert_int_eq(out[0].state, REBOUND_STATE_SUPPRESSED);
	ck_assert(!out[0].unverified);
	ck_assert_int_eq(out[1].state, REBOUND_STATE_ACTIVE);
	ck_assert(out[1].unverified);
	ck_assert_int_eq(may("signer@example.org", T0), 0);
	ck_assert_int_eq(may("victim@example.org", T0), 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(L, "victim@example.org", T0, &e, err,
					    sizeof(err)), 0);
	rebound_check_report cr;
	ck_assert_int_eq(rebound_ledger_check(L, &cr, err, sizeof(err)), 0);
	ck_assert_int_eq(cr.events, 2);
}
END_TEST

/* the same notice twice counts once; another Message-ID counts again */
START_TEST(duplicate_counts_once)
{
	rebound_recipient r = rcpt("dup@example.org", REBOUND_ACTION_FAILED,
				   REBOUND_REASON_MAILBOXFULL, false);
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = &r;
	res.nrcpt = 1;
	res.message_id = "<same@mx.example>";
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	rebound_outcome out;
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert(!out.duplicate);
	ctx.source = "dovecot";		/* the copy in the mailbox */
	ctx.sender_domain = "other.example";
	ctx.now = T0 + 60;
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert(out.duplicate);
	ck_assert_int_eq(get("dup@example.org", T0 + 60).soft_count, 1);
	/* no Message-ID: the content decides */
	res.message_id = NULL;
	r.diagnostic = "452 mailbox full";
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert(!out.duplicate);
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert(out.duplicate);
	r.diagnostic = "452 mailbox full again";
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert(!out.duplicate);
	ck_assert_int_eq(get("dup@example.org", T0 + 60).soft_count, 3);
}
END_TEST

/* the local part is compared case-insensitively; shown as first given */
START_TEST(address_case)
{
	hard(T0, "Mixed.Case@Example.ORG", "s.example");
	ck_assert_int_eq(may("mixed.case@example.org", T0), 0);
	ck_assert_int_eq(may("MIXED.CASE@EXAMPLE.ORG", T0), 0);
	rebound_entry e = get("mixed.CASE@example.org", T0);
	ck_assert_str_eq(e.address, "Mixed.Case@Example.ORG");
}
END_TEST

/* campaign above 5 % after 100 sends: paused 24 h; again: cancelled */
static rebound_campaign_state send(int64_t now, unsigned n, int64_t *until)
{
	rebound_campaign_state st;
	ck_assert_msg(rebound_ledger_campaign_send(L, &P, "spring", n, now, &st,
						   until, err, sizeof(err)) == 0,
		      "%s", err);
	return st;
}

static void campaign_bounces(int64_t now, int n)
{
	for (int i = 0; i < n; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "c%u@example.org", msgno);
		notice(now, REBOUND_CLASS_BOUNCE,
		       rcpt(addr, REBOUND_ACTION_FAILED,
			    REBOUND_REASON_USERUNKNOWN, true), "s.example",
		       "spring");
	}
}

START_TEST(campaign_pause_then_cancel)
{
	int64_t until = -1;
	/* a high rate before 100 sends changes nothing */
	ck_assert_int_eq(send(T0, 50, &until), REBOUND_CAMPAIGN_RUNNING);
	campaign_bounces(T0 + 1, 20);
	ck_assert_int_eq(send(T0 + 2, 49, &until), REBOUND_CAMPAIGN_RUNNING);
	ck_assert(until == 0);
	/* 99 sent, 20 bounced; the 100th send crosses the rule */
	ck_assert_int_eq(send(T0 + 3, 1, &until), REBOUND_CAMPAIGN_RUNNING);
	campaign_bounces(T0 + 4, 1);
	ck_assert_int_eq(send(T0 + 5, 1, &until), REBOUND_CAMPAIGN_PAUSED);
	ck_assert(until == T0 + 4 + 24 * HOUR);
	rebound_campaign c;
	ck_assert_int_eq(rebound_ledger_campaign_get(L, "spring", T0 + 5, &c,
						     err, sizeof(err)), 1);
	ck_assert(c.sent == 100);	/* the refused message is not counted */
	/* resumes by itself after 24 h, judged afresh */
	ck_assert_int_eq(send(T0 + 4 + 24 * HOUR, 100, &until),
			 REBOUND_CAMPAIGN_RUNNING);
	campaign_bounces(T0 + 25 * HOUR, 5);	/* exactly 5 %: not above */
	ck_assert_int_eq(send(T0 + 26 * HOUR, 1, &until),
			 REBOUND_CAMPAIGN_RUNNING);
	campaign_bounces(T0 + 27 * HOUR, 2);
	ck_assert_int_eq(send(T0 + 28 * HOUR, 1, &until),
			 REBOUND_CAMPAIGN_CANCELLED);
	ck_assert_int_eq(send(T0 + 100 * DAY, 1, &until),
			 REBOUND_CAMPAIGN_CANCELLED);
	/* by hand: resume */
	ck_assert_int_eq(rebound_ledger_campaign_set(L, "spring",
						     REBOUND_CAMPAIGN_OP_RESUME,
						     T0 + 100 * DAY, &c, err,
						     sizeof(err)), 1);
	ck_assert_int_eq(send(T0 + 100 * DAY, 1, &until),
			 REBOUND_CAMPAIGN_RUNNING);
}
END_TEST

/* --- campaign sends off the durable path (issue 21) ----------------------- */

/* Every fsync, fdatasync and msync of this process (tdb's commit makes
 * them; libtdb's calls bind to these, which pass them on). */
static unsigned long syncs;

#define COUNT_SYNC(name, proto, args)                                      \
	__attribute__((visibility("default"))) int name proto;             \
	int name proto                                                      \
	{                                                                   \
		static int(*real) proto;                                    \
		if (real == NULL)                                           \
			real = (int(*) proto)dlsym(RTLD_NEXT, #name);       \
		syncs++;                                                    \
		return real != NULL ? real args : -1;                       \
	}
COUNT_SYNC(fsync, (int fd), (fd))
COUNT_SYNC(fdatasync, (int fd), (fd))
COUNT_SYNC(msync, (void *addr, size_t len, int flags), (addr, len, flags))

static rebound_campaign_state send_to(const char *name, int64_t now,
				      unsigned n)
{
	rebound_campaign_state st;
	int64_t until;
	ck_assert_msg(rebound_ledger_campaign_send(L, &P, name, n, now, &st,
						   &until, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_msg(err[0] == '\0', "send %s: %s", name, err);
	return st;
}

static void bounces_for(const char *name, int64_t now, int n)
{
	for (int i = 0; i < n; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "b%u@example.org", msgno);
		notice(now, REBOUND_CLASS_BOUNCE,
		       rcpt(addr, REBOUND_ACTION_FAILED,
			    REBOUND_REASON_USERUNKNOWN, true), "s.example",
		       name);
	}
}

static rebound_campaign campaign(const char *name, int64_t now)
{
	rebound_campaign c;
	ck_assert_int_eq(rebound_ledger_campaign_get(L, name, now, &c, err,
						     sizeof(err)), 1);
	return c;
}

/* The record as the ledger holds it, without the counts file. */
static rebound_campaign in_ledger(const char *name)
{
	char k[160];
	snprintf(k, sizeof(k), "c:%s", name);
	TDB_DATA key = { (unsigned char *)k, strlen(k) };
	TDB_DATA v = tdb_fetch(L->tdb, key);
	ck_assert_ptr_nonnull(v.dptr);
	rebound_campaign c;
	ck_assert_int_eq(rebound_campaign_decode(&c, v.dptr, v.dsize, NULL, 0),
			 0);
	free(v.dptr);
	return c;
}

static void counts_path(char *out, size_t n)
{
	snprintf(out, n, "%s%s", path, CAMPAIGN_COUNTS_SUFFIX);
}

/* Sent one message at a time, as Exim counts them, the pause comes at
 * the same message as when every send was a transaction: from a send
 * (the check before the 101st sees 100 sent, 20 bounced) and from a
 * bounce (the 6th of 100 sends).  Passes before the counts file too. */
START_TEST(campaign_trigger_points_one_at_a_time)
{
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(send_to("spring", T0, 1),
				 REBOUND_CAMPAIGN_RUNNING);
	bounces_for("spring", T0 + 1, 20);
	ck_assert_int_eq(campaign("spring", T0 + 1).state,
			 REBOUND_CAMPAIGN_RUNNING);	/* fewer than 100 */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(send_to("spring", T0 + 2, 1),
				 REBOUND_CAMPAIGN_RUNNING);
	ck_assert_int_eq(send_to("spring", T0 + 3, 1), REBOUND_CAMPAIGN_PAUSED);
	rebound_campaign c = campaign("spring", T0 + 3);
	ck_assert_uint_eq(c.sent, 100);
	ck_assert_int_eq(c.until, T0 + 3 + 24 * HOUR);
	ck_assert_int_eq(c.last_sent, T0 + 2);

	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(send_to("autumn", T0, 1),
				 REBOUND_CAMPAIGN_RUNNING);
	bounces_for("autumn", T0 + 1, 5);	/* exactly 5 %: not above */
	ck_assert_int_eq(campaign("autumn", T0 + 1).state,
			 REBOUND_CAMPAIGN_RUNNING);
	bounces_for("autumn", T0 + 2, 1);
	c = campaign("autumn", T0 + 2);
	ck_assert_int_eq(c.state, REBOUND_CAMPAIGN_PAUSED);
	ck_assert_int_eq(c.until, T0 + 2 + 24 * HOUR);
	ck_assert_uint_eq(c.sent, 100);
	ck_assert_int_eq(send_to("autumn", T0 + 3, 1), REBOUND_CAMPAIGN_PAUSED);
	/* the pause ends: running, judged on what follows */
	ck_assert_int_eq(send_to("autumn", T0 + 2 + 24 * HOUR, 1),
			 REBOUND_CAMPAIGN_RUNNING);
	c = campaign("autumn", T0 + 2 + 24 * HOUR);
	ck_assert_uint_eq(c.sent, 101);
	ck_assert_uint_eq(c.sent_base, 100);
}
END_TEST

/* A send of a running campaign makes no sync and leaves the record as
 * it was; the counts reach it with the next change (a bounce) or every
 * CAMPAIGN_CHECKPOINT sends, and losing the counts file loses only the
 * sends since. */
START_TEST(campaign_sends_stay_off_the_ledger)
{
	syncs = 0;
	ck_assert_int_eq(send_to("spring", T0, 1), REBOUND_CAMPAIGN_RUNNING);
	ck_assert_msg(syncs > 0, "the first send (a new record) is a commit, "
		      "and these counters see its syncs");
	syncs = 0;
	for (int i = 0; i < 200; i++)
		send_to("spring", T0 + 1, 1);
	ck_assert_uint_eq(syncs, 0);
	ck_assert_uint_eq(in_ledger("spring").sent, 0);
	ck_assert_uint_eq(campaign("spring", T0 + 1).sent, 201);
	/* the list walk counts the same */
	bounces_for("spring", T0 + 2, 1);
	ck_assert_uint_eq(in_ledger("spring").sent, 201);
	for (int i = 0; i < 10; i++)
		send_to("spring", T0 + 3, 1);
	char cp[sizeof(path) + 16];
	counts_path(cp, sizeof(cp));
	ck_assert_int_eq(unlink(cp), 0);
	ck_assert_uint_eq(campaign("spring", T0 + 3).sent, 201);
	/* counted again from the checkpoint, in a new file */
	send_to("spring", T0 + 4, 1);
	ck_assert_uint_eq(campaign("spring", T0 + 4).sent, 202);
	/* every 1000 sends the count goes into the ledger */
	send_to("spring", T0 + 5, CAMPAIGN_CHECKPOINT - 202 - 1);
	ck_assert_uint_eq(in_ledger("spring").sent, 201);
	send_to("spring", T0 + 6, 1);
	ck_assert_uint_eq(in_ledger("spring").sent, CAMPAIGN_CHECKPOINT);
}
END_TEST

/* The whole counts file, read into a new buffer of *size bytes. */
static unsigned char *counts_bytes(size_t *size)
{
	char cp[sizeof(path) + 16];
	counts_path(cp, sizeof(cp));
	int fd = open(cp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	*size = (size_t)st.st_size;
	unsigned char *b = malloc(*size);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(pread(fd, b, *size, 0), (ssize_t)*size);
	close(fd);
	return b;
}

/* What the counts file relies on (doc/platform.md §3.7): after a
 * campaign's first count, tdb 1.4.8 rewrites its fixed-size value in
 * place; no other byte of the file changes (no chain, no free list, no
 * record header), so a crash can tear that value and nothing else. */
START_TEST(campaign_count_rewritten_in_place)
{
	send_to("spring", T0, 1);
	send_to("summer", T0, 1);
	size_t n0, n1;
	unsigned char *a = counts_bytes(&n0);
	for (int i = 0; i < 3; i++)
		send_to("spring", T0 + 1 + i, 7);
	unsigned char *b = counts_bytes(&n1);
	ck_assert_uint_eq(n0, n1);
	size_t changed_from = n0, changed_to = 0;
	for (size_t i = 0; i < n0; i++)
		if (a[i] != b[i]) {
			if (i < changed_from)
				changed_from = i;
			changed_to = i;
		}
	ck_assert(changed_from < n0);
	/* every changed byte within one value (32 bytes from its "rbc1") */
	bool within = false;
	for (const unsigned char *v = b; !within;) {
		v = memmem(v, n1 - (size_t)(v - b), "rbc1", 4);
		if (v == NULL)
			break;
		size_t at = (size_t)(v - b);
		within = changed_from >= at && changed_to < at + 32;
		v++;
	}
	ck_assert_msg(within, "bytes %zu..%zu changed, not one value",
		      changed_from, changed_to);
	free(a);
	free(b);
	ck_assert_uint_eq(campaign("spring", T0 + 3).sent, 22);
	ck_assert_uint_eq(campaign("summer", T0 + 3).sent, 1);
}
END_TEST

static int walk_sent(const rebound_campaign *c, void *p)
{
	if (strcmp(c->name, "spring") == 0)
		*(uint64_t *)p = c->sent;
	return 0;
}

/* A damaged counts file is made anew with one line to log and counting
 * goes on from the ledger's checkpoint; the ledger is not touched.  A
 * torn value counts from the checkpoint too; a file that cannot be made
 * leaves the send uncounted and the campaign running. */
START_TEST(campaign_counts_damaged)
{
	for (int i = 0; i < 10; i++)
		send_to("spring", T0, 1);
	bounces_for("spring", T0 + 1, 1);	/* checkpoint: 10 */
	for (int i = 0; i < 5; i++)
		send_to("spring", T0 + 2, 1);
	uint64_t walked = 0;
	ck_assert_int_ge(rebound_ledger_each_campaign(L, T0 + 2, walk_sent,
						      &walked, err,
						      sizeof(err)), 0);
	ck_assert_uint_eq(walked, 15);

	/* the ledger's bytes, to compare */
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	size_t size = (size_t)st.st_size;
	unsigned char *before = malloc(size), *after = malloc(size);
	ck_assert(before != NULL && after != NULL);
	int fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, before, size, 0), (ssize_t)size);

	/* a new process finds the counts file overwritten */
	campaign_counts_close();
	char cp[sizeof(path) + 16];
	counts_path(cp, sizeof(cp));
	int cfd = open(cp, O_WRONLY);
	ck_assert_int_ge(cfd, 0);
	unsigned char junk[4096];
	memset(junk, 0xaa, sizeof(junk));
	ck_assert_int_eq(write(cfd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(cfd);
	rebound_campaign_state state;
	int64_t until;
	ck_assert_int_eq(rebound_ledger_campaign_send(L, &P, "spring", 1,
						      T0 + 3, &state, &until,
						      err, sizeof(err)), 0);
	ck_assert_int_eq(state, REBOUND_CAMPAIGN_RUNNING);
	ck_assert_msg(strstr(err, "was damaged") != NULL &&
		      strstr(err, "made anew") != NULL, "note: %s", err);
	ck_assert_uint_eq(campaign("spring", T0 + 3).sent, 11);
	send_to("spring", T0 + 3, 1);		/* and no note again */
	ck_assert_uint_eq(campaign("spring", T0 + 3).sent, 12);
	ck_assert_int_eq(pread(fd, after, size, 0), (ssize_t)size);
	ck_assert_int_eq(memcmp(before, after, size), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, size);
	close(fd);
	free(before);
	free(after);
	rebound_check_report r;
	ck_assert_int_eq(rebound_ledger_check(L, &r, err, sizeof(err)), 0);

	/* a torn value: counted again from the checkpoint */
	cfd = open(cp, O_RDWR);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(fstat(cfd, &st), 0);
	unsigned char *m = mmap(NULL, (size_t)st.st_size,
				PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	ck_assert(m != MAP_FAILED);
	unsigned char *v = memmem(m, (size_t)st.st_size, "rbc1", 4);
	ck_assert_ptr_nonnull(v);
	v[12] ^= 0x55;				/* a byte of the count */
	munmap(m, (size_t)st.st_size);
	close(cfd);
	ck_assert_uint_eq(campaign("spring", T0 + 4).sent, 10);
	ck_assert_int_eq(rebound_ledger_campaign_send(L, &P, "spring", 1,
						      T0 + 4, &state, &until,
						      err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "unreadable") != NULL, "note: %s", err);
	ck_assert_uint_eq(campaign("spring", T0 + 4).sent, 11);

	/* no counts file can be made: not counted, still running */
	campaign_counts_close();
	ck_assert_int_eq(unlink(cp), 0);
	ck_assert_int_eq(mkdir(cp, 0700), 0);
	ck_assert_int_eq(rebound_ledger_campaign_send(L, &P, "spring", 1,
						      T0 + 5, &state, &until,
						      err, sizeof(err)), 0);
	ck_assert_int_eq(state, REBOUND_CAMPAIGN_RUNNING);
	ck_assert_msg(strstr(err, "send not counted") != NULL, "note: %s",
		      err);
	ck_assert_uint_eq(campaign("spring", T0 + 5).sent, 10);
	ck_assert_int_eq(rmdir(cp), 0);
}
END_TEST

/* presets differ where the tools differ */
START_TEST(presets)
{
	const char *names[] = { "default", "zoho", "marketo", "hubspot",
				"mailman", "strict" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		rebound_policy p;
		ck_assert_int_eq(rebound_policy_preset(&p, names[i]), 0);
		ck_assert_str_eq(p.preset, names[i]);
	}
	ck_assert_int_eq(rebound_policy_preset(&P, "nonesuch"), -1);
	/* marketo: soft bounces never suppress */
	ck_assert_int_eq(rebound_policy_preset(&P, "marketo"), 0);
	for (int i = 0; i < 30; i++)
		soft(T0 + i * HOUR, "mk@example.org");
	ck_assert_int_eq(may("mk@example.org", T0 + 31 * HOUR), 1);
	/* mailman: five hard bounces before suppression */
	ck_assert_int_eq(rebound_policy_preset(&P, "mailman"), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(hard(T0 + i * DAY, "mm@example.org",
				      "s.example").state, REBOUND_STATE_SOFT);
	ck_assert_int_eq(hard(T0 + 4 * DAY, "mm@example.org", "s.example").state,
			 REBOUND_STATE_SUPPRESSED);
	/* zoho: five soft bounces in a row */
	ck_assert_int_eq(rebound_policy_preset(&P, "zoho"), 0);
	for (int i = 0; i < 4; i++)
		soft(T0 + i * HOUR, "z@example.org");
	ck_assert_int_eq(soft(T0 + 5 * HOUR, "z@example.org").state,
			 REBOUND_STATE_SUPPRESSED);
}
END_TEST

/* read paths never create the file */
START_TEST(read_open_never_creates)
{
	char other[400];
	snprintf(other, sizeof(other), "%s/none.tdb", dir);
	rebound_ledger *l = rebound_ledger_open(other, 0, err, sizeof(err));
	ck_assert_ptr_null(l);
	ck_assert(strstr(err, other) != NULL);
	ck_assert_int_eq(access(other, F_OK), -1);
}
END_TEST

/* one process, one handle: a second open of the same file shares it */
START_TEST(second_open_shares_handle)
{
	rebound_ledger *l2 = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_ptr_eq(l2, L);
	rebound_ledger_close(l2);
	ck_assert_int_eq(may("x@example.org", T0), 1);	/* L still open */
}
END_TEST

/* created 0660 even under umask 077 (Dovecot's) */
START_TEST(created_mode_0660)
{
	char other[400];
	snprintf(other, sizeof(other), "%s/mode.tdb", dir);
	mode_t old = umask(077);
	rebound_ledger *l = rebound_ledger_open(other, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	umask(old);
	ck_assert_msg(l != NULL, "%s", err);
	struct stat st;
	ck_assert_int_eq(stat(other, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	rebound_ledger_close(l);
	unlink(other);
}
END_TEST

/* Row 14 through the ledger: 20 user unknowns at one domain within five
 * minutes, the same reply but for the address.  The first four are
 * suppressed as they come; the fifth makes the burst, which moves them
 * back; the rest are suspect as they come: 20 suspended, none
 * suppressed, the domain marked.  A delivery clears both marks. */
static rebound_outcome user_unknown(int64_t now, const char *addr)
{
	char diag[200];
	snprintf(diag, sizeof(diag), "550 5.1.1 <%s>: Recipient address "
		 "rejected: User unknown in virtual mailbox table", addr);
	rebound_recipient r = rcpt(addr, REBOUND_ACTION_FAILED,
				   REBOUND_REASON_USERUNKNOWN, true);
	r.diagnostic = diag;
	return notice(now, REBOUND_CLASS_BOUNCE, r, "s.example", NULL);
}

START_TEST(burst_of_user_unknowns_suspends)
{
	char addr[64];
	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "u%02d@corp.example", i);
		rebound_outcome o = user_unknown(T0 + i * 15, addr);
		ck_assert_int_eq(o.state, i < 4 ? REBOUND_STATE_SUPPRESSED :
						  REBOUND_STATE_SUSPENDED);
	}
	int64_t now = T0 + 5 * 60;
	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "u%02d@corp.example", i);
		rebound_entry e = get(addr, now);
		ck_assert_msg(e.state == REBOUND_STATE_SUSPENDED, "%s: %s", addr,
			      rebound_state_name(e.state));
		ck_assert(e.suspect);
		ck_assert_str_eq(e.suspect_why, "domain-burst");
		ck_assert_uint_eq(e.hard_run, 0);
		ck_assert_uint_eq(e.nhard_domains, 0);
		ck_assert_int_eq(may(addr, now), 0);
		ck_assert_int_eq(may(addr, now + 24 * HOUR), 1);
	}
	static rebound_domain d;
	ck_assert_int_eq(rebound_ledger_domain_get(L, "Corp.Example", &d, err,
						   sizeof(err)), 1);
	ck_assert(d.blocking);
	ck_assert_uint_eq(d.blocks, 1);
	ck_assert_uint_eq(d.block_recipients, 20);
	ck_assert(d.block_start == T0);
	ck_assert(d.block_last == T0 + 19 * 15);
	ck_assert_ptr_nonnull(strstr(d.block_reply, "User unknown"));
	/* a delivery to one of them clears its mark and the domain's */
	delivered(now, "u07@corp.example");
	rebound_entry e = get("u07@corp.example", now);
	ck_assert_int_eq(e.state, REBOUND_STATE_ACTIVE);
	ck_assert(!e.suspect);
	ck_assert_str_eq(e.suspect_why, "");
	ck_assert_int_eq(rebound_ledger_domain_get(L, "corp.example", &d, err,
						   sizeof(err)), 1);
	ck_assert(!d.blocking);
	ck_assert(d.cleared == now);
	ck_assert_str_eq(d.cleared_by, "u07@corp.example");
	/* the others stay suspended until their time */
	ck_assert_int_eq(get("u08@corp.example", now).state,
			 REBOUND_STATE_SUSPENDED);
	/* a plain user unknown from another domain is suppressed */
	rebound_outcome o = user_unknown(now, "gone@other.example");
	ck_assert_int_eq(o.state, REBOUND_STATE_SUPPRESSED);
	ck_assert(!o.suspect);
}
END_TEST

/* Four do not make a burst; bounces spread over more than the window
 * neither; with suspect_burst_count 0 no domain record is written. */
START_TEST(no_burst_below_count_or_window)
{
	char addr[64];
	for (int i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "f%d@few.example", i);
		ck_assert_int_eq(user_unknown(T0 + i, addr).state,
				 REBOUND_STATE_SUPPRESSED);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(addr, sizeof(addr), "s%d@slow.example", i);
		ck_assert_int_eq(user_unknown(T0 + i * 31 * 60, addr).state,
				 REBOUND_STATE_SUPPRESSED);
	}
	P.suspect_burst_count = 0;
	for (int i = 0; i < 8; i++) {
		snprintf(addr, sizeof(addr), "o%d@off.example", i);
		ck_assert_int_eq(user_unknown(T0 + i, addr).state,
				 REBOUND_STATE_SUPPRESSED);
	}
	static rebound_domain d;
	ck_assert_int_eq(rebound_ledger_domain_get(L, "off.example", &d, err,
						   sizeof(err)), 0);
	ck_assert_int_eq(rebound_ledger_domain_get(L, "few.example", &d, err,
						   sizeof(err)), 1);
	ck_assert(!d.blocking);
}
END_TEST

/* The classifier's evidence is kept by its short name; show and list
 * read it from the record. */
START_TEST(suspect_why_recorded)
{
	rebound_recipient r = rcpt("gw@example.org", REBOUND_ACTION_FAILED,
				   REBOUND_REASON_USERUNKNOWN, true);
	r.suspect = true;
	r.suspect_why = "gateway:cisco remote-mta mx1.example.iphmx.com";
	rebound_outcome o = notice(T0, REBOUND_CLASS_BOUNCE, r, "s.example",
				   NULL);
	ck_assert(o.suspect);
	ck_assert_str_eq(o.suspect_why, "gateway:cisco");
	ck_assert_str_eq(get("gw@example.org", T0).suspect_why, "gateway:cisco");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *pure = tcase_create("table");
	tcase_add_loop_test(pure, policy_row_table, 0,
			    (int)(sizeof(policy_rows) / sizeof(*policy_rows)));
	tcase_add_loop_test(pure, campaign_row_table, 0,
			    (int)(sizeof(campaign_rows) /
				  sizeof(*campaign_rows)));
	tcase_add_loop_test(pure, suspect_short_name_table, 0,
			    (int)(sizeof(short_names) / sizeof(*short_names)));
	tcase_add_loop_test(pure, reply_shape_table, 0,
			    (int)(sizeof(shapes) / sizeof(*shapes)));
	tcase_add_loop_test(pure, burst_row_table, 0,
			    (int)(sizeof(burst_rows) / sizeof(*burst_rows)));
	tcase_add_loop_test(pure, burst_entry_row_table, 0,
			    (int)(sizeof(burst_entry_rows) /
				  sizeof(*burst_entry_rows)));
	tcase_add_test(pure, burst_delivery_clears_mark);
	suite_add_tcase(s, pure);
	TCase *tc = tcase_create("ledger");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hard_suppresses_until_unbounce);
	tcase_add_test(tc, block_suspends_24h);
	tcase_add_test(tc, soft_limit_suppresses);
	tcase_add_test(tc, delivery_clears_soft_count);
	tcase_add_test(tc, delivery_of_unknown_writes_nothing);
	tcase_add_test(tc, delayed_expires_to_soft);
	tcase_add_test(tc, delayed_then_final_counts_once);
	tcase_add_test(tc, delayed_expiry_reaches_limit);
	tcase_add_test(tc, global_after_three_domains);
	tcase_add_test(tc, suspect_hard_suspends);
	tcase_add_test(tc, hard_after_recent_delivery_is_suspect);
	tcase_add_test(tc, burst_of_user_unknowns_suspends);
	tcase_add_test(tc, no_burst_below_count_or_window);
	tcase_add_test(tc, suspect_why_recorded);
	tcase_add_test(tc, other_reports_never_suppress);
	tcase_add_test(tc, autoreply_without_recipient_is_an_event);
	tcase_add_test(tc, unverified_changes_nothing);
	tcase_add_test(tc, signature_vouches_for_its_recipient_only);
	tcase_add_test(tc, duplicate_counts_once);
	tcase_add_test(tc, address_case);
	tcase_add_test(tc, campaign_pause_then_cancel);
	tcase_add_test(tc, campaign_trigger_points_one_at_a_time);
	tcase_add_test(tc, campaign_sends_stay_off_the_ledger);
	tcase_add_test(tc, campaign_counts_damaged);
	tcase_add_test(tc, campaign_count_rewritten_in_place);
	tcase_add_test(tc, presets);
	tcase_add_test(tc, read_open_never_creates);
	tcase_add_test(tc, second_open_shares_handle);
	tcase_add_test(tc, created_mode_0660);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
