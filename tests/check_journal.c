/* check_journal.c - a ledger in a fleet without the transport
 * (ledger/journal.h): nothing is journalled until the ledger joins; a
 * recorded bounce and an unbounce are journalled with their origin; the
 * fold makes another ledger refuse the address, counts the same event
 * once, and ends in the same state whatever order the events come in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger/config.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "ledger/ledger-record.h"
#include "admin/ledger-admin.h"

static const int64_t T0 = INT64_C(1767225600);	/* 2026-01-01 */
static char tmpdir[256];
static char err[400];
static rebound_policy policy;

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_journal.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	rebound_policy_preset(&policy, "default");
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static rebound_ledger *open_ledger(const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s.tdb", tmpdir, name);
	rebound_ledger *l =
		rebound_ledger_open(path, REBOUND_LEDGER_CREATE, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	return l;
}

static void record_hard(rebound_ledger *l, const char *address, int64_t now)
{
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = address;
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	rebound_record_context ctx = { .now = now, .source = "test" };
	rebound_outcome o;
	ck_assert_msg(rebound_ledger_record_recipient(l, &policy, &r, &ctx, &o,
						      err, sizeof(err)) == 0,
		      "%s", err);
}

/* The journal's events, copied out. */
typedef struct collected {
	rebound_event evs[16];
	uint64_t seqs[16];
	bool refold[16];
	size_t n;
} collected;

static int collect(const rebound_journal_item *it, void *p)
{
	collected *c = p;
	ck_assert_uint_lt(c->n, 16);
	c->evs[c->n] = it->ev;
	c->refold[c->n] = it->refold;
	c->seqs[c->n++] = it->seq;
	return 0;
}

static void journal_of(rebound_ledger *l, collected *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_ge(rebound_journal_each(l, collect, c, err, sizeof(err)),
			 0);
}

static void fold(rebound_ledger *l, rebound_event *evs, size_t n,
		 rebound_fold_stats *st)
{
	ck_assert_msg(rebound_journal_fold(l, &policy, evs, n, NULL, 0, st,
					   err, sizeof(err)) == 0,
		      "%s", err);
}

static int may_send(rebound_ledger *l, const char *address)
{
	return rebound_ledger_may_send(l, address, T0 + 100, err, sizeof(err));
}

START_TEST(nothing_without_a_fleet)
{
	rebound_ledger *l = open_ledger("alone");
	record_hard(l, "x@example.org", T0);
	rebound_cluster_state st;
	ck_assert_int_eq(rebound_journal_state(l, &st, err, sizeof(err)), 0);
	collected c;
	journal_of(l, &c);
	ck_assert_uint_eq(c.n, 0);
	rebound_ledger_close(l);
}
END_TEST

START_TEST(bounce_reaches_another_node_once)
{
	rebound_ledger *a = open_ledger("a"), *b = open_ledger("b");
	ck_assert_int_eq(rebound_journal_join(a, "mx1", T0, err, sizeof(err)),
			 0);
	ck_assert_int_eq(rebound_journal_join(b, "mx2", T0, err, sizeof(err)),
			 0);
	/* a ledger is one node: another name is refused */
	ck_assert_int_eq(rebound_journal_join(a, "mx9", 0, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "mx1"));
	record_hard(a, "X@example.org", T0);
	collected c;
	journal_of(a, &c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.evs[0].origin, "mx1:000000000001");
	ck_assert_int_eq(may_send(b, "x@example.org"), 1);
	rebound_fold_stats st = { 0 };
	fold(b, c.evs, c.n, &st);
	ck_assert_uint_eq(st.folded, 1);
	ck_assert_int_eq(may_send(b, "x@example.org"), 0);
	/* the same event again: counted once */
	journal_of(a, &c);
	fold(b, c.evs, c.n, &st);
	ck_assert_uint_eq(st.duplicates, 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(b, "x@example.org", T0 + 100, &e,
					    err, sizeof(err)), 1);
	ck_assert_uint_eq(e.hard_count, 1);
	/* a node skips its own events */
	memset(&st, 0, sizeof(st));
	fold(a, c.evs, c.n, &st);
	ck_assert_uint_eq(st.own, 1);
	/* unbounce on b travels back to a */
	ck_assert_int_eq(rebound_ledger_unbounce(b, "x@example.org", T0 + 50,
						 err, sizeof(err)), 1);
	journal_of(b, &c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.evs[0].edit, REBOUND_EDIT_UNBOUNCE);
	fold(a, c.evs, c.n, NULL);
	ck_assert_int_eq(may_send(a, "x@example.org"), 1);
	/* confirmed events leave the journal */
	ck_assert_int_eq(rebound_journal_confirm(b, c.seqs, c.n, err,
						 sizeof(err)), 0);
	journal_of(b, &c);
	ck_assert_uint_eq(c.n, 0);
	rebound_ledger_close(a);
	rebound_ledger_close(b);
}
END_TEST

static rebound_event remote_event(const char *origin, int64_t t,
				  rebound_edit edit)
{
	rebound_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.time = t;
	ev.edit = edit;
	snprintf(ev.origin, sizeof(ev.origin), "%s", origin);
	snprintf(ev.address, sizeof(ev.address), "y@example.org");
	if (edit == REBOUND_EDIT_NONE) {
		ev.cls = REBOUND_CLASS_BOUNCE;
		ev.action = REBOUND_ACTION_FAILED;
		ev.reason = REBOUND_REASON_USERUNKNOWN;
		ev.hard = true;
	}
	return ev;
}

/* A suspect bounce folds into another node as suspect, with why. */
START_TEST(suspect_why_travels)
{
	rebound_ledger *a = open_ledger("sa"), *b = open_ledger("sb");
	ck_assert_int_eq(rebound_journal_join(a, "mx1", T0, err, sizeof(err)),
			 0);
	ck_assert_int_eq(rebound_journal_join(b, "mx2", T0, err, sizeof(err)),
			 0);
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = "s@example.org";
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	r.suspect = true;
	r.suspect_why = "gateway:cisco remote-mta mx1.example.iphmx.com";
	rebound_record_context ctx = { .now = T0, .source = "test" };
	rebound_outcome o;
	ck_assert_msg(rebound_ledger_record_recipient(a, &policy, &r, &ctx, &o,
						      err, sizeof(err)) == 0,
		      "%s", err);
	collected c;
	journal_of(a, &c);
	ck_assert_uint_eq(c.n, 1);
	fold(b, c.evs, c.n, NULL);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(b, "s@example.org", T0 + 10, &e,
					    err, sizeof(err)), 1);
	ck_assert(e.suspect);
	ck_assert_str_eq(e.suspect_why, "gateway:cisco");
	rebound_ledger_close(a);
	rebound_ledger_close(b);
}
END_TEST

START_TEST(order_does_not_matter)
{
	/* A bounce at T0+10 (node p) and an unbounce at T0+20 (node q): in
	   time order the address ends active, whichever arrives first. */
	rebound_ledger *b = open_ledger("b"), *c = open_ledger("c");
	ck_assert_int_eq(rebound_journal_join(b, "mx2", 0, err, sizeof(err)),
			 0);
	ck_assert_int_eq(rebound_journal_join(c, "mx3", 0, err, sizeof(err)),
			 0);
	rebound_event bounce = remote_event("p:000000000001", T0 + 10,
					    REBOUND_EDIT_NONE);
	rebound_event unb = remote_event("q:000000000001", T0 + 20,
					 REBOUND_EDIT_UNBOUNCE);
	rebound_event one[1];
	one[0] = bounce;
	fold(b, one, 1, NULL);
	one[0] = unb;
	fold(b, one, 1, NULL);
	one[0] = unb;
	fold(c, one, 1, NULL);
	rebound_fold_stats st = { 0 };
	one[0] = bounce;
	fold(c, one, 1, &st);
	ck_assert_uint_eq(st.refolded, 1);	/* the late, older event */
	rebound_entry eb, ec;
	ck_assert_int_eq(rebound_ledger_get(b, "y@example.org", T0 + 30, &eb,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(rebound_ledger_get(c, "y@example.org", T0 + 30, &ec,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(eb.state, REBOUND_STATE_ACTIVE);
	ck_assert_int_eq(ec.state, eb.state);
	ck_assert_uint_eq(ec.hard_count, eb.hard_count);
	ck_assert_int_eq(ec.last_seen, eb.last_seen);
	/* a local bounce recorded before a newer folded event is marked for
	   a re-fold by the sync */
	rebound_event later = remote_event("p:000000000002", T0 + 500,
					   REBOUND_EDIT_NONE);
	one[0] = later;
	fold(c, one, 1, NULL);
	record_hard(c, "y@example.org", T0 + 400);
	collected col;
	memset(&col, 0, sizeof(col));
	ck_assert_int_ge(rebound_journal_each(c, collect, &col, err,
					      sizeof(err)), 1);
	ck_assert_uint_eq(col.n, 1);
	ck_assert(col.refold[0]);
	const char *again[] = { "y@example.org" };
	ck_assert_int_eq(rebound_journal_fold(c, &policy, NULL, 0, again, 1,
					      &st, err, sizeof(err)), 0);
	ck_assert_int_eq(rebound_ledger_get(c, "y@example.org", T0 + 600, &ec,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(ec.last_seen, T0 + 500);
	rebound_ledger_close(b);
	rebound_ledger_close(c);
}
END_TEST

static int count_ev(const rebound_event *ev, void *ctx)
{
	(void)ev;
	(*(long *)ctx)++;
	return 0;
}

/* A bounce recorded before the ledger joined is kept in its recipient's
 * record (record format 2): a re-fold of that address applies it with
 * the folded ones, and keeps it. */
START_TEST(kept_events_refold)
{
	rebound_ledger *d = open_ledger("kept");
	record_hard(d, "y@example.org", T0 + 10);
	ck_assert_int_eq(rebound_journal_join(d, "mx4", 0, err, sizeof(err)),
			 0);
	rebound_event one[1];
	one[0] = remote_event("p:000000000001", T0 + 20, REBOUND_EDIT_NONE);
	fold(d, one, 1, NULL);
	rebound_fold_stats st = { 0 };
	one[0] = remote_event("p:000000000002", T0 + 5, REBOUND_EDIT_NONE);
	fold(d, one, 1, &st);
	ck_assert_uint_eq(st.refolded, 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(d, "y@example.org", T0 + 30, &e,
					    err, sizeof(err)), 1);
	ck_assert_uint_eq(e.hard_count, 3);
	ck_assert_int_eq(e.first_seen, T0 + 5);
	ck_assert_int_eq(e.last_seen, T0 + 20);
	long n = 0;
	ck_assert_int_ge(rebound_ledger_each_event(d, count_ev, &n, err,
						   sizeof(err)), 0);
	ck_assert_int_eq(n, 3);
	rebound_ledger_close(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_without_a_fleet);
	tcase_add_test(tc, bounce_reaches_another_node_once);
	tcase_add_test(tc, order_does_not_matter);
	tcase_add_test(tc, suspect_why_travels);
	tcase_add_test(tc, kept_events_refold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
