/* check_regressions.c - bugs found by the unit tests and fixed: each test
 * names its input and the promise (in a header) it once broke, so that it
 * stays kept. */
#include "rebound-config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "ledger/config.h"
#include "classify/jsonread.h"
#include "ledger/ledger-record.h"
#include "ledger/policy.h"
#include "classify/result.h"
#include "classify/rules.h"
#include "rules_fixture.h"

/* rules.h: rebound_rules_match_phrase "sets *strong to the first strong
 * rule that matches and *weak to the first weak one".  The scan stops at
 * the first strong rule, and every weak rule comes after the strong ones
 * in the table, so *weak stays -1 whenever a strong rule matches.  (The
 * classifier only reads *weak when there is no strong rule.) */
START_TEST(rules_weak_beside_strong)
{
	const char *text = "550 5.1.1 recipient address rejected: mailbox full";
	long strong, weak;

	rebound_rules_match_phrase(text, strlen(text), &strong, &weak);
	ck_assert_int_ge(strong, 0);
	ck_assert_int_ge(weak, 0);
	ck_assert_int_eq(rebound_phrase_rules[weak].reason,
			 REBOUND_REASON_USERUNKNOWN);
}
END_TEST

/* rules.c: every phrase rule should be able to decide some text.  An
 * entry whose phrase contains the phrase of an entry that takes
 * precedence never can (exact duplicates, "must issue a starttls" after
 * "starttls", networkerror "connection timed out" after expired). */
START_TEST(rules_no_dead_phrases)
{
	size_t dead = 0;

	for (size_t j = 0; j < rebound_phrase_rule_count; j++) {
		long by = rule_shadowed_by(j);
		if (by < 0)
			continue;
		fprintf(stderr, "entry %zu %s \"%s\" is shadowed by entry %ld %s "
			"\"%s\"\n", j,
			rebound_reason_name(rebound_phrase_rules[j].reason),
			rebound_phrase_rules[j].phrase, by,
			rebound_reason_name(rebound_phrase_rules[by].reason),
			rebound_phrase_rules[by].phrase);
		dead++;
	}
	ck_assert_msg(dead == 0, "%zu phrase rule(s) can never decide", dead);
}
END_TEST

/* tests/fixtures/rules/status-disputed.tsv: status codes whose table
 * reason differs from the RFC's meaning (see the comments there). */
START_TEST(rules_disputed_status_codes)
{
	tsv_file f;
	size_t bad = 0;

	tsv_load(&f, "status-disputed.tsv");
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_uint_eq(l->nfield, 3);
		long id = rebound_rules_match_status(l->field[1]);
		const char *got = id < 0 ? "-" :
			rebound_reason_name(rebound_status_rules[id].reason);
		if (strcmp(got, l->field[2]) != 0) {
			fprintf(stderr, "%s:%u: %s gives %s, RFC meaning %s\n",
				f.path, l->lineno, l->field[1], got, l->field[2]);
			bad++;
		}
	}
	tsv_free(&f);
	ck_assert_msg(bad == 0, "%zu disputed status code(s)", bad);
}
END_TEST

/* doc/design.md §1: precision comes first, since a message wrongly taken
 * for a bounce suppresses a good address.  A newsletter (List-Id, Precedence: list, an ordinary
 * sender) whose subject asks "Delivery failed?" and whose text says
 * "could not be delivered" and names a contact address is taken for a
 * bounce of that contact address (stories@example.org). */
START_TEST(classify_newsletter_with_bounce_subject)
{
	const char *srcdir = getenv("srcdir");
	char path[4096], buf[8192];
	snprintf(path, sizeof path,
		 "%s/tests/fixtures/classify/newsletter-bounce-subject.eml",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		ck_abort_msg("cannot open %s", path);
	size_t len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);

	rebound_arena *arena = rebound_arena_new(0);
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, buf, len, NULL, &res), 0);
	if (res->cls == REBOUND_CLASS_BOUNCE)
		ck_abort_msg("newsletter classified as a bounce of %s (%s)",
			     res->nrcpt > 0 ? res->rcpt[0].address : "-",
			     res->evidence);
	rebound_arena_free(arena);
}
END_TEST

/* sesjson.c, found by fuzz_classify (tests/fixtures/fuzz/fuzz_classify/):
 * an SES bouncedRecipients entry without "emailAddress" is skipped, but
 * its action, status and diagnostic were then written to the entry
 * before it, or, when it came first, before the start of the (not yet
 * allocated) array: a crash.  tests/fixtures/classify/
 * ses-recipient-without-address.eml has one such entry before the one
 * recipient and one after it; that recipient keeps its own fields. */
START_TEST(ses_recipient_without_address)
{
	const char *srcdir = getenv("srcdir");
	char path[4096], buf[8192];
	snprintf(path, sizeof path,
		 "%s/tests/fixtures/classify/ses-recipient-without-address.eml",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		ck_abort_msg("cannot open %s", path);
	size_t len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);

	rebound_arena *arena = rebound_arena_new(0);
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, buf, len, NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	ck_assert_str_eq(res->rcpt[0].address, "una@example.org");
	ck_assert_int_eq(res->rcpt[0].action, REBOUND_ACTION_FAILED);
	ck_assert_str_eq(res->rcpt[0].status, "5.1.1");
	ck_assert_str_eq(res->rcpt[0].reply_code, "550");
	rebound_arena_free(arena);
}
END_TEST

/* policy.c, found by fuzz_record (tests/fixtures/fuzz/fuzz_record/): a
 * damaged recipient record whose last delivery time decodes to INT64_MIN
 * made "now - last_delivered" overflow (undefined), which in practice
 * wrapped to a small number: the hard bounce was taken for one right
 * after a delivery, marked suspect and only suspended.  A delivery that
 * long ago is not recent: the hard bounce suppresses. */
START_TEST(policy_damaged_delivery_time)
{
	const char *srcdir = getenv("srcdir");
	char path[4096], err[256];
	unsigned char buf[512];
	snprintf(path, sizeof path,
		 "%s/tests/fixtures/fuzz/fuzz_record/entry-last-delivered-int64-min",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		ck_abort_msg("cannot open %s", path);
	size_t len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);

	static rebound_entry e;
	ck_assert_int_eq(rebound_entry_decode(&e, buf, len, err, sizeof err), 0);
	ck_assert(e.last_delivered == INT64_MIN);
	rebound_policy p;
	ck_assert_int_eq(rebound_policy_preset(&p, "default"), 0);
	const rebound_observation hard = {
		.cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		.reason = REBOUND_REASON_USERUNKNOWN, .hard = true,
		.status = "5.1.1", .reply = "550",
	};
	rebound_entry_apply(&e, &p, &hard, 1772366400);
	ck_assert(!e.suspect);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
}
END_TEST

/* jsonread.c, found by fuzz_json (tests/fixtures/fuzz/fuzz_json/): a
 * string's copy had room for as many bytes as its escaped form, but an
 * invalid "\u" (2 bytes) becomes U+FFFD (3 bytes), so strings full of
 * them ran past their allocation into the next value's (an overflow
 * inside the arena; the next value's zeroing then cut the string). */
START_TEST(json_invalid_u_escapes)
{
	char json[256], want[256];
	size_t n = 0, w = 0;
	json[n++] = '[';
	json[n++] = '"';
	for (int i = 0; i < 40; i++) {
		json[n++] = '\\';
		json[n++] = 'u';
		memcpy(want + w, "\xef\xbf\xbd", 3);
		w += 3;
	}
	want[w] = '\0';
	memcpy(json + n, "\", \"next\"]", 10);
	n += 10;

	rebound_arena *arena = rebound_arena_new(0);
	const rebound_jvalue *v = rebound_json_read(arena, json, n);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(v->child);
	ck_assert_uint_eq(v->child->len, w);
	ck_assert_str_eq(v->child->str, want);
	ck_assert_ptr_nonnull(v->child->next);
	ck_assert_str_eq(v->child->next->str, "next");
	rebound_arena_free(arena);
}
END_TEST

static Suite *regressions_suite(void)
{
	Suite *s = suite_create("regressions");
	TCase *tc = tcase_create("open");

	tcase_add_test(tc, rules_weak_beside_strong);
	tcase_add_test(tc, rules_no_dead_phrases);
	tcase_add_test(tc, rules_disputed_status_codes);
	tcase_add_test(tc, classify_newsletter_with_bounce_subject);
	tcase_add_test(tc, ses_recipient_without_address);
	tcase_add_test(tc, policy_damaged_delivery_time);
	tcase_add_test(tc, json_invalid_u_escapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(regressions_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_classify_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
