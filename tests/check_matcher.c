/* check_matcher.c - unit tests for common/matcher.c (Aho-Corasick). */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "matcher.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static rebound_matcher *build(const char *const *phrases, size_t n,
			      size_t max_gap)
{
	rebound_matcher *m = rebound_matcher_build(phrases, n, max_gap);
	ck_assert_ptr_nonnull(m);
	return m;
}

static long first(const rebound_matcher *m, const char *text)
{
	return rebound_matcher_first(m, text, strlen(text));
}

/* Collects every id rebound_matcher_each reports. */
typedef struct ids {
	size_t v[64];
	size_t n;
	size_t stop_after;	/* 0: never stop */
} ids;

static bool collect(size_t id, void *ctx)
{
	ids *c = ctx;
	if (c->n < N(c->v))
		c->v[c->n++] = id;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* --- rebound_matcher_first ------------------------------------------------ */

START_TEST(first_lowest_id_wins)
{
	static const char *const a[] = { "user unknown", "unknown" };
	static const char *const b[] = { "unknown", "user unknown" };
	/* The lower id wins even when it ends later in the text. */
	static const char *const c[] = { "mailbox full", "user unknown" };
	rebound_matcher *m;

	m = build(a, N(a), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	ck_assert_int_eq(first(m, "550 unknown"), 1);
	ck_assert_int_eq(first(m, "550 rejected"), -1);
	rebound_matcher_free(m);

	m = build(b, N(b), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	rebound_matcher_free(m);

	m = build(c, N(c), 0);
	ck_assert_int_eq(first(m, "user unknown, and then mailbox full"), 0);
	ck_assert_int_eq(first(m, "user unknown only"), 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(first_overlapping_phrases)
{
	static const char *const p[] = { "the user", "user unknown",
					  "unknown here", "nowhere" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	/* All three overlap in the text; every one is found. */
	rebound_matcher_each(m, "the user unknown here", 21, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 2);
	ck_assert_int_eq(first(m, "xx user unknown here"), 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(failure_links)
{
	/* The textbook example: "ushers" holds "she", "he" and "hers", and
	 * "his" only shares a prefix. */
	static const char *const p[] = { "he", "she", "his", "hers" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	rebound_matcher_each(m, "ushers", 6, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 3);
	ck_assert_int_eq(first(m, "ushers"), 0);
	/* After a failed branch the scan goes on from the failure link:
	 * "hie" holds no phrase, "hhers" holds "he" and "hers". */
	ck_assert_int_eq(first(m, "hie"), -1);
	got.n = 0;
	rebound_matcher_each(m, "hhers", 5, collect, &got);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 3);
	/* "shis": "his" after a failed "sh" branch. */
	got.n = 0;
	rebound_matcher_each(m, "shis", 4, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 2);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(shared_suffixes)
{
	/* Phrases that end the same way: each is reported on its own. */
	static const char *const p[] = { "mailbox full", "box full", "full",
					 "is full" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	rebound_matcher_each(m, "552 mailbox full", 16, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 2);
	ck_assert_int_eq(first(m, "the inbox full"), 1);
	ck_assert_int_eq(first(m, "the inbox is full"), 2);
	ck_assert_int_eq(first(m, "the folder is full"), 2);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(each_stops_early)
{
	static const char *const p[] = { "a", "b", "c" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0, .stop_after = 1 };

	rebound_matcher_each(m, "c b a", 5, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 0);	/* id order, not text order */
	rebound_matcher_free(m);
}
END_TEST

START_TEST(case_folding_ascii_only)
{
	static const char *const p[] = { "User Unknown", "\xc3\xa4nderung",
					 "\xe4" };
	rebound_matcher *m = build(p, N(p), 0);

	/* Phrases and texts are both folded. */
	ck_assert_int_eq(first(m, "550 USER UNKNOWN"), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	ck_assert_int_eq(first(m, "550 uSeR uNkNoWn"), 0);
	/* U+00C4 (C3 84) is not folded to U+00E4 (C3 A4). */
	ck_assert_int_eq(first(m, "\xc3\x84nderung"), -1);
	ck_assert_int_eq(first(m, "x \xc3\xa4nderung"), 1);
	/* Latin-1 bytes: 0xC4 is not 0xE4. */
	ck_assert_int_eq(first(m, "\xc4"), -1);
	ck_assert_int_eq(first(m, "\xe4"), 2);
	/* Only letters fold: '[' is not '{', '@' is not '`'. */
	rebound_matcher_free(m);

	static const char *const q[] = { "a[b", "@" };
	m = build(q, N(q), 0);
	ck_assert_int_eq(first(m, "A{B"), -1);
	ck_assert_int_eq(first(m, "A[B"), 0);
	ck_assert_int_eq(first(m, "`"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(utf8_phrases)
{
	/* "does not exist", "address unknown", "capacity" */
	static const char *const p[] = {
		"\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
		"\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e",
		"\xe5\xae\xb9\xe9\x87\x8f",
	};
	rebound_matcher *m = build(p, N(p), 0);

	/* "The address (x@example.jp) does not exist." */
	ck_assert_int_eq(first(m, "\xe3\x82\xa2\xe3\x83\x89\xe3\x83\xac\xe3\x82\xb9"
			      " (x@example.jp) \xe3\x81\xaf"
			      "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"
			      "\xe3\x80\x82"), 0);
	ck_assert_int_eq(first(m, "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e"
			      " user@example.jp"), 1);
	/* "capacity exceeded" */
	ck_assert_int_eq(first(m, "\xe5\xae\xb9\xe9\x87\x8f\xe8\xb6\x85\xe9\x81\x8e"), 2);
	/* A prefix of a character is not the character: only the first two
	 * bytes of U+5BB9 followed by another character. */
	ck_assert_int_eq(first(m, "\xe5\xae\xe9\x87\x8f"), -1);
	/* "existence" alone is not "does not exist". */
	ck_assert_int_eq(first(m, "\xe5\xad\x98\xe5\x9c\xa8"), -1);
	rebound_matcher_free(m);
}
END_TEST

/* --- gaps --------------------------------------------------------------- */

START_TEST(gap_order)
{
	static const char *const p[] = { "a*b" };
	rebound_matcher *m = build(p, N(p), 10);

	ck_assert_int_eq(first(m, "a x b"), 0);
	ck_assert_int_eq(first(m, "ab"), 0);
	ck_assert_int_eq(first(m, "b x a"), -1);
	ck_assert_int_eq(first(m, "a"), -1);
	ck_assert_int_eq(first(m, "b"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_halves_do_not_overlap)
{
	/* The second half starts at or after the end of the first. */
	static const char *const p[] = { "ab*bc" };
	rebound_matcher *m = build(p, N(p), 10);

	ck_assert_int_eq(first(m, "abc"), -1);
	ck_assert_int_eq(first(m, "abbc"), 0);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_max)
{
	static const char *const p[] = { "delivery failed * attempts" };
	rebound_matcher *m = build(p, N(p), 5);

	/* The halves keep their spaces ("delivery failed ", " attempts"):
	 * the gap is the text between them. */
	ck_assert_int_eq(first(m, "delivery failed after 9 attempts"), -1);
	ck_assert_int_eq(first(m, "delivery failed 12345 attempts"), 0);
	ck_assert_int_eq(first(m, "delivery failed 123456 attempts"), -1);
	rebound_matcher_free(m);

	static const char *const q[] = { "a*b" };
	m = build(q, N(q), 0);
	ck_assert_int_eq(first(m, "ab"), 0);
	ck_assert_int_eq(first(m, "a b"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_with_plain_phrases)
{
	static const char *const p[] = { "relaying to * denied", "denied" };
	rebound_matcher *m = build(p, N(p), 40);
	ids got = { .n = 0 };

	ck_assert_int_eq(first(m, "550 relaying to <x@example.org> denied"), 0);
	ck_assert_int_eq(first(m, "550 denied, relaying to nobody"), 1);
	rebound_matcher_each(m, "relaying to <x@example.org> denied", 34,
			     collect, &got);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(two_gaps_rejected)
{
	static const char *const bad[] = { "ok", "a*b*c" };
	static const char *const good[] = { "ok", "a*c" };
	rebound_matcher *m;

	ck_assert_ptr_null(rebound_matcher_build(bad, N(bad), 10));
	m = rebound_matcher_build(good, N(good), 10);
	ck_assert_ptr_nonnull(m);
	rebound_matcher_free(m);
}
END_TEST

/* --- texts ---------------------------------------------------------------- */

START_TEST(empty_text)
{
	static const char *const p[] = { "x", "a*b" };
	rebound_matcher *m = build(p, N(p), 10);
	ids got = { .n = 0 };

	ck_assert_int_eq(rebound_matcher_first(m, "", 0), -1);
	/* Length 0 of a non-empty buffer: nothing is read. */
	ck_assert_int_eq(rebound_matcher_first(m, "x", 0), -1);
	rebound_matcher_each(m, "", 0, collect, &got);
	ck_assert_uint_eq(got.n, 0);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(text_with_nul_bytes)
{
	static const char *const p[] = { "unknown", "user unknown" };
	static const char text[] = { 'u', 's', 'e', 'r', '\0', 'u', 'n', 'k',
				     'n', 'o', 'w', 'n' };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	/* The scan is length-counted: a NUL does not end the text, and it
	 * is not a space. */
	rebound_matcher_each(m, text, sizeof text, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 0);
	/* The phrase lies past the length. */
	ck_assert_int_eq(rebound_matcher_first(m, text, 11), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(large_text)
{
	static const char *const p[] = { "mailbox full", "user unknown",
					 "quota*exceeded", "he", "she",
					 "hers" };
	const size_t len = 1024 * 1024;
	char *text = malloc(len);
	rebound_matcher *m = build(p, N(p), 50);

	ck_assert_ptr_nonnull(text);
	/* Near misses everywhere ("mailbox ful", "user unknow", "quota"),
	 * the real phrase only at the very end. */
	static const char chunk[] = "mailbox ful user unknow quota xx ";
	size_t cl = sizeof chunk - 1, o = 0;
	while (o + cl <= len) {
		memcpy(text + o, chunk, cl);
		o += cl;
	}
	memset(text + o, '.', len - o);
	ck_assert_int_eq(rebound_matcher_first(m, text, len), -1);
	memcpy(text + len - 12, "user unknown", 12);
	ck_assert_int_eq(rebound_matcher_first(m, text, len), 1);
	free(text);
	rebound_matcher_free(m);
}
END_TEST

/* --- rebound_matcher_normalise ------------------------------------------ */

/* More states than the 16-bit table holds: the matcher walks its edges
 * instead, with the same answers. */
START_TEST(many_states_without_table)
{
	enum { N = 1400, L = 60 };
	char **ph = malloc(N * sizeof(*ph));
	ck_assert_ptr_nonnull(ph);
	unsigned x = 12345;
	for (int i = 0; i < N; i++) {
		ph[i] = malloc(L + 1);
		ck_assert_ptr_nonnull(ph[i]);
		for (int j = 0; j < L; j++) {
			x = x * 1103515245u + 12345u;
			ph[i][j] = (char)('a' + (x >> 16) % 26);
		}
		ph[i][L] = '\0';
	}
	rebound_matcher *m = rebound_matcher_build((const char *const *)ph,
						   N, 0);
	ck_assert_ptr_nonnull(m);
	char text[3 * L + 8];
	snprintf(text, sizeof text, "xx %s yy", ph[777]);
	for (size_t i = 3; i < 3 + L; i += 2)	/* case folding still works */
		text[i] = (char)(text[i] - 'a' + 'A');
	ck_assert_int_eq(rebound_matcher_first(m, text, strlen(text)), 777);
	text[10] = '#';
	ck_assert_int_eq(rebound_matcher_first(m, text, strlen(text)), -1);
	rebound_matcher_free(m);
	for (int i = 0; i < N; i++)
		free(ph[i]);
	free(ph);
}
END_TEST

START_TEST(normalise_folds_space_and_case)
{
	rebound_arena *arena = rebound_arena_new(0);
	size_t n = 99;
	char *s;

	ck_assert_ptr_nonnull(arena);
	static const char folded[] = " \t550 5.1.1\r\n\tUser\r\n"
				     "   UNKNOWN\t\t \r\n";
	s = rebound_matcher_normalise(arena, folded, sizeof folded - 1, &n);
	ck_assert_str_eq(s, "550 5.1.1 user unknown");
	ck_assert_uint_eq(n, 22);

	/* Only white space, and nothing at all. */
	s = rebound_matcher_normalise(arena, " \r\n\t ", 5, &n);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);
	s = rebound_matcher_normalise(arena, "", 0, &n);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);

	/* out_len may be NULL; Latin-1 and Cyrillic capitals fold like
	   ASCII ones ("Ä" to "ä", "П" to "п", "Я" to "я"), the sign "×"
	   and other scripts stay, and so does a lead byte cut off at the
	   end. */
	s = rebound_matcher_normalise(arena, "Postfach \xc3\x84NDERUNG", 18, NULL);
	ck_assert_str_eq(s, "postfach \xc3\xa4nderung");
	s = rebound_matcher_normalise(arena, "\xd0\x9f\xd0\xaf 2\xc3\x97" "3 \xe3\x82\xa8\xc3",
				      14, NULL);
	ck_assert_str_eq(s, "\xd0\xbf\xd1\x8f 2\xc3\x97" "3 \xe3\x82\xa8\xc3");

	/* The copy is length-counted and NUL-terminated; NUL in the text
	 * separates words like white space. */
	s = rebound_matcher_normalise(arena, "USER\0UNKNOWN!!", 12, &n);
	ck_assert_str_eq(s, "user unknown");
	ck_assert_uint_eq(n, 12);
	rebound_arena_free(arena);
}
END_TEST

START_TEST(normalise_then_match)
{
	/* A phrase written with single spaces matches text folded over
	 * several lines once the text is normalised. */
	static const char *const p[] = { "mailbox is full" };
	static const char raw[] = "552 5.2.2 The recipient's\r\n  MAILBOX\tIS\r\n FULL";
	rebound_arena *arena = rebound_arena_new(0);
	rebound_matcher *m = build(p, N(p), 0);
	size_t n;
	char *s;

	ck_assert_int_eq(rebound_matcher_first(m, raw, sizeof raw - 1), -1);
	s = rebound_matcher_normalise(arena, raw, sizeof raw - 1, &n);
	ck_assert_int_eq(rebound_matcher_first(m, s, n), 0);
	rebound_matcher_free(m);
	rebound_arena_free(arena);
}
END_TEST

/* The lowest id wins even after many other distinct phrases were seen
 * (more than a fixed table of hits would hold). */
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

/* A close pair of halves matches even when another second half comes
 * far later, or another first half far earlier. */
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

static Suite *matcher_suite(void)
{
	Suite *s = suite_create("matcher");
	TCase *tc;

	tc = tcase_create("phrases");
	tcase_add_test(tc, first_lowest_id_wins);
	tcase_add_test(tc, first_overlapping_phrases);
	tcase_add_test(tc, failure_links);
	tcase_add_test(tc, shared_suffixes);
	tcase_add_test(tc, matcher_lowest_id_after_many_hits);
	tcase_add_test(tc, each_stops_early);
	tcase_add_test(tc, case_folding_ascii_only);
	tcase_add_test(tc, utf8_phrases);
	tcase_add_test(tc, many_states_without_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_add_test(tc, gap_order);
	tcase_add_test(tc, gap_halves_do_not_overlap);
	tcase_add_test(tc, gap_max);
	tcase_add_test(tc, gap_with_plain_phrases);
	tcase_add_test(tc, two_gaps_rejected);
	tcase_add_test(tc, matcher_gap_with_repeated_halves);
	suite_add_tcase(s, tc);

	tc = tcase_create("texts");
	tcase_add_test(tc, empty_text);
	tcase_add_test(tc, text_with_nul_bytes);
	tcase_add_test(tc, large_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalise");
	tcase_add_test(tc, normalise_folds_space_and_case);
	tcase_add_test(tc, normalise_then_match);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(matcher_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
