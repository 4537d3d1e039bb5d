/* check_policy.c - every row of the policy table (doc/design.md §6, §7),
 * through the ledger API on a real tdb file, with injected time. */
#include <sys/types.h>
#include <sys/stat.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/config.h"
#include "ledger/ledger.h"
#include "ledger/ledger-admin.h"

#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
/* 2026-01-01T00:00:00Z */
static const int64_t T0 = INT64_C(1767225600);

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
	unlink(path);
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
	rebound_record_context ctx = { .now = T0, .source = "test",
				       .unverified = true };
	rebound_outcome out;
	ck_assert_int_eq(rebound_ledger_record(L, &P, &res, &ctx, &out, 1, err,
					       sizeof(err)), 1);
	ck_assert_int_eq(out.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(may("f@example.org", T0), 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(L, "f@example.org", T0, &e, err,
					    sizeof(err)), 0);
	rebound_check_report cr;
	ck_assert_int_eq(rebound_ledger_check(L, &cr, err, sizeof(err)), 0);
	ck_assert_int_eq(cr.events, 1);
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

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("rows");
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
	tcase_add_test(tc, other_reports_never_suppress);
	tcase_add_test(tc, autoreply_without_recipient_is_an_event);
	tcase_add_test(tc, unverified_changes_nothing);
	tcase_add_test(tc, duplicate_counts_once);
	tcase_add_test(tc, address_case);
	tcase_add_test(tc, campaign_pause_then_cancel);
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
