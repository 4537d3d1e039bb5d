/* check_known_bugs.c - behaviour the headers promise that the code does
 * not (yet) deliver.  Listed in XFAIL_TESTS: "make check" expects this
 * program to fail while any of these bugs is open, and reports XPASS (a
 * failure) once all are fixed -- then move the tests into the program of
 * their module and drop the XFAIL_TESTS line.  Each test names its input.
 */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "arena.h"
#include "dsn.h"
#include "matcher.h"
#include "textscan.h"

/* textscan.h: "Is s (NUL-terminated, trimmed) an enhanced status code?"
 * The empty string is not. */
START_TEST(status_valid_empty)
{
	ck_assert(!rebound_status_valid(""));
}
END_TEST

/* address.h: "a plausible address (... sane length)".  A local part of
 * 100 octets is longer than RFC 5321 allows (64); the finder must not hand
 * back its last 64 octets as if they were an address. */
START_TEST(address_long_local_part)
{
	rebound_arena *arena = rebound_arena_new(0);
	char s[200];

	memset(s, 'x', 100);
	strcpy(s + 100, "@example.com");
	const char *a = rebound_address_find(arena, s, strlen(s), NULL, NULL);
	if (a != NULL)
		ck_abort_msg("found \"%s\" (%zu octets) in a 100-octet local part",
			     a, strlen(a));
	rebound_arena_free(arena);
}
END_TEST

/* matcher.h: "return the lowest id among the phrases found".  With more
 * than 128 distinct phrases in the text before it, phrase 0 is lost. */
START_TEST(matcher_lowest_id_after_many_hits)
{
	enum { NP = 200 };
	static char names[NP][8];
	const char *phrases[NP];
	char text[NP * 6 + 1];
	size_t o = 0;

	for (int i = 0; i < NP; i++) {
		snprintf(names[i], sizeof names[i], "w%03d", i);
		phrases[i] = names[i];
	}
	/* w199 w198 ... w001 w000 */
	for (int i = NP - 1; i >= 0; i--)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s ", names[i]);
	rebound_matcher *m = rebound_matcher_build(phrases, NP, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(rebound_matcher_first(m, text, o), 0);
	rebound_matcher_free(m);
}
END_TEST

/* matcher.h: a gap phrase "matches when `second` starts at or after the
 * end of `first`, at most `max_gap` bytes later".  "a x b" is such a
 * pair; another "b" far later (or another "a" far earlier) must not hide
 * it. */
START_TEST(matcher_gap_with_repeated_halves)
{
	static const char *const p[] = { "delivery failed * attempts" };
	rebound_matcher *m = rebound_matcher_build(p, 1, 20);
	const char *t1 = "delivery failed after 5 attempts; we counted the "
			 "attempts of the last three days and stopped";
	const char *t2 = "delivery failed yesterday, and today the "
			 "delivery failed after 5 attempts";

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(rebound_matcher_first(m, t1, strlen(t1)), 0);
	ck_assert_int_eq(rebound_matcher_first(m, t2, strlen(t2)), 0);
	rebound_matcher_free(m);
}
END_TEST

/* dsn.h: "A new recipient starts at a blank line".  A block of
 * per-recipient fields that names no recipient (a stray Action/Status
 * before the first recipient) is reused by the next block: judy gets its
 * 5.0.0 and her own "Status: 5.1.1" goes to an entry that is dropped. */
START_TEST(dsn_block_without_recipient)
{
	rebound_arena *arena = rebound_arena_new(0);
	const char *text = "Action: failed\n"
			   "Status: 5.0.0\n"
			   "\n"
			   "Final-Recipient: rfc822; judy@example.com\n"
			   "Action: failed\n"
			   "Status: 5.1.1\n";
	rebound_dsn d;

	ck_assert_int_eq(rebound_dsn_parse(arena, text, strlen(text), &d), 0);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "judy@example.com");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
	rebound_arena_free(arena);
}
END_TEST

static Suite *bugs_suite(void)
{
	Suite *s = suite_create("known_bugs");
	TCase *tc = tcase_create("open");

	tcase_add_test(tc, status_valid_empty);
	tcase_add_test(tc, address_long_local_part);
	tcase_add_test(tc, matcher_lowest_id_after_many_hits);
	tcase_add_test(tc, matcher_gap_with_repeated_halves);
	tcase_add_test(tc, dsn_block_without_recipient);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bugs_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
