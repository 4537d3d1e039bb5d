/* check_rules.c - the reason tables of common/classify/rules.c against fixtures:
 * every phrase rule decides at least one realistic server answer in
 * tests/fixtures/rules/phrases.tsv, with the reason that line expects;
 * every status and reply rule gives the reason the RFCs give
 * (tests/fixtures/rules/status.tsv). */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/matcher.h"
#include "classify/result.h"
#include "classify/rules.h"
#include "rules_fixture.h"

/* The rule that decides normalised text the way the classifier ranks
 * phrases: the first strong rule, else the first weak one; -1 if none. */
static long deciding_rule(rebound_arena *arena, const char *text)
{
	size_t n;
	char *norm = rebound_matcher_normalise(arena, text, strlen(text), &n);
	long strong, weak;

	ck_assert_ptr_nonnull(norm);
	rebound_rules_match_phrase(norm, n, &strong, &weak);
	return strong >= 0 ? strong : weak;
}

static int reason_of(const tsv_file *f, const tsv_line *l, const char *name)
{
	int r = rebound_reason_from_name(name);
	if (r < 0)
		ck_abort_msg("%s:%u: unknown reason \"%s\"", f->path, l->lineno,
			     name);
	return r;
}

/* --- table sanity --------------------------------------------------------- */

START_TEST(phrase_table_well_formed)
{
	rebound_matcher *m;
	const char **list = calloc(rebound_phrase_rule_count, sizeof(*list));

	ck_assert_ptr_nonnull(list);
	ck_assert_uint_gt(rebound_phrase_rule_count, 0);
	for (size_t i = 0; i < rebound_phrase_rule_count; i++) {
		const rebound_phrase_rule *r = &rebound_phrase_rules[i];
		const char *p = r->phrase;
		list[i] = p;
		ck_assert_msg(*p != '\0', "rule %zu: empty phrase", i);
		ck_assert_msg(r->reason > REBOUND_REASON_UNDEFINED &&
			      r->reason < REBOUND_REASON_COUNT,
			      "rule %zu (%s): bad reason", i, p);
		ck_assert_msg(r->lang != NULL && strlen(r->lang) == 2,
			      "rule %zu (%s): bad language", i, p);
		/* Phrases are matched against normalised text: lower-case
		 * ASCII, single spaces, no space at either end. */
		for (const char *c = p; *c != '\0'; c++) {
			ck_assert_msg(!(*c >= 'A' && *c <= 'Z'),
				      "rule %zu: upper case in \"%s\"", i, p);
			ck_assert_msg(*c != '\t' && *c != '\n' && *c != '\r',
				      "rule %zu: control byte in \"%s\"", i, p);
			ck_assert_msg(!(c[0] == ' ' && c[1] == ' '),
				      "rule %zu: double space in \"%s\"", i, p);
		}
		ck_assert_msg(p[0] != ' ' && p[strlen(p) - 1] != ' ',
			      "rule %zu: space at an end of \"%s\"", i, p);
	}
	/* The whole table compiles (no phrase with two gaps). */
	m = rebound_matcher_build(list, rebound_phrase_rule_count, 200);
	ck_assert_ptr_nonnull(m);
	rebound_matcher_free(m);
	free(list);
}
END_TEST

/* --- phrases ------------------------------------------------------------- */

START_TEST(phrase_lines)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t bad = 0;

	ck_assert_ptr_nonnull(arena);
	tsv_load(&f, "phrases.tsv");
	ck_assert_uint_gt(f.n, 0);
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 2, "%s:%u: want REASON<TAB>text",
			      f.path, l->lineno);
		int want = reason_of(&f, l, l->field[0]);
		long id = deciding_rule(arena, l->field[1]);
		if (id < 0) {
			fprintf(stderr, "%s:%u: no rule for \"%s\" (want %s)\n",
				f.path, l->lineno, l->field[1], l->field[0]);
			bad++;
		} else if ((int)rebound_phrase_rules[id].reason != want) {
			fprintf(stderr, "%s:%u: \"%s\" is %s by \"%s\", want %s\n",
				f.path, l->lineno, l->field[1],
				rebound_reason_name(rebound_phrase_rules[id].reason),
				rebound_phrase_rules[id].phrase, l->field[0]);
			bad++;
		}
		rebound_arena_reset(arena);
	}
	tsv_free(&f);
	rebound_arena_free(arena);
	ck_assert_msg(bad == 0, "%zu fixture line(s) decided wrongly (see above)",
		      bad);
}
END_TEST

START_TEST(phrase_coverage)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	bool *covered = calloc(rebound_phrase_rule_count, sizeof(*covered));
	size_t missing = 0;

	ck_assert_ptr_nonnull(arena);
	ck_assert_ptr_nonnull(covered);
	tsv_load(&f, "phrases.tsv");
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		if (l->nfield != 2)
			continue;
		long id = deciding_rule(arena, l->field[1]);
		if (id >= 0 && (int)rebound_phrase_rules[id].reason ==
				       rebound_reason_from_name(l->field[0]))
			covered[id] = true;
		rebound_arena_reset(arena);
	}
	for (size_t j = 0; j < rebound_phrase_rule_count; j++) {
		const rebound_phrase_rule *r = &rebound_phrase_rules[j];
		if (covered[j])
			continue;
		/* Rules that cannot decide any text are reported by
		 * check_regressions; no fixture line could cover them. */
		long by = rule_shadowed_by(j);
		if (by >= 0) {
			fprintf(stderr, "rules.c entry %zu %s/%s \"%s\" can never "
				"decide: entry %ld \"%s\" comes first\n", j,
				rebound_reason_name(r->reason), r->lang, r->phrase,
				by, rebound_phrase_rules[by].phrase);
			continue;
		}
		fprintf(stderr, "phrases.tsv: no line decided by entry %zu %s/%s%s "
			"\"%s\"\n", j, rebound_reason_name(r->reason), r->lang,
			(r->flags & REBOUND_RULE_WEAK) ? "/weak" : "", r->phrase);
		missing++;
	}
	tsv_free(&f);
	free(covered);
	rebound_arena_free(arena);
	ck_assert_msg(missing == 0, "%zu phrase rule(s) without a fixture line "
		      "(see above)", missing);
}
END_TEST

START_TEST(phrase_tiers)
{
	/* A strong phrase outranks a weak one whatever the table order or
	 * the position in the text. */
	rebound_arena *arena = rebound_arena_new(0);
	const char *text = "550 5.1.1 recipient address rejected: mailbox full";
	size_t n;
	char *norm = rebound_matcher_normalise(arena, text, strlen(text), &n);
	long strong, weak;

	rebound_rules_match_phrase(norm, n, &strong, &weak);
	ck_assert_int_ge(strong, 0);
	ck_assert(!(rebound_phrase_rules[strong].flags & REBOUND_RULE_WEAK));
	ck_assert_int_eq(rebound_phrase_rules[strong].reason,
			 REBOUND_REASON_MAILBOXFULL);

	/* Only a weak phrase: no strong one. */
	text = "550 5.1.1 recipient address rejected: access denied";
	norm = rebound_matcher_normalise(arena, text, strlen(text), &n);
	rebound_rules_match_phrase(norm, n, &strong, &weak);
	ck_assert_int_eq(strong, -1);
	ck_assert_int_ge(weak, 0);
	ck_assert(rebound_phrase_rules[weak].flags & REBOUND_RULE_WEAK);
	ck_assert_int_eq(rebound_phrase_rules[weak].reason,
			 REBOUND_REASON_USERUNKNOWN);

	/* Nothing at all. */
	rebound_rules_match_phrase("", 0, &strong, &weak);
	ck_assert_int_eq(strong, -1);
	ck_assert_int_eq(weak, -1);
	rebound_arena_free(arena);
}
END_TEST

/* --- status and reply codes ---------------------------------------------- */

/* Check the lines of one file; mark the entries they reach.  With
 * check_reason false (disputed codes) only the coverage counts. */
static size_t code_lines(const char *name, bool check_reason,
			 bool *status_cov, bool *reply_cov)
{
	tsv_file f;
	size_t bad = 0;

	tsv_load(&f, name);
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 3, "%s:%u: want KIND<TAB>code<TAB>reason",
			      f.path, l->lineno);
		bool status = strcmp(l->field[0], "STATUS") == 0;
		ck_assert_msg(status || strcmp(l->field[0], "REPLY") == 0,
			      "%s:%u: kind is STATUS or REPLY", f.path, l->lineno);
		const char *code = l->field[1];
		long id = status ? rebound_rules_match_status(code) :
				   rebound_rules_match_reply(code);
		int got = id < 0 ? -1 : status ?
			(int)rebound_status_rules[id].reason :
			(int)rebound_reply_rules[id].reason;
		int want = strcmp(l->field[2], "-") == 0 ? -1 :
			reason_of(&f, l, l->field[2]);
		if (id >= 0 && (!check_reason || got == want))
			(status ? status_cov : reply_cov)[id] = true;
		if (check_reason && got != want) {
			fprintf(stderr, "%s:%u: %s %s gives %s (rule %s), want %s\n",
				f.path, l->lineno, l->field[0], code,
				got < 0 ? "-" : rebound_reason_name((rebound_reason)got),
				id < 0 ? "none" : status ?
					rebound_status_rules[id].code :
					rebound_reply_rules[id].code,
				l->field[2]);
			bad++;
		}
	}
	tsv_free(&f);
	return bad;
}

START_TEST(status_and_reply_codes)
{
	bool *scov = calloc(rebound_status_rule_count, sizeof(*scov));
	bool *rcov = calloc(rebound_reply_rule_count, sizeof(*rcov));
	size_t bad, missing = 0;

	ck_assert_ptr_nonnull(scov);
	ck_assert_ptr_nonnull(rcov);
	bad = code_lines("status.tsv", true, scov, rcov);
	code_lines("status-disputed.tsv", false, scov, rcov);
	for (size_t i = 0; i < rebound_status_rule_count; i++)
		if (!scov[i]) {
			fprintf(stderr, "status.tsv: no line for status rule %s (%s)\n",
				rebound_status_rules[i].code,
				rebound_reason_name(rebound_status_rules[i].reason));
			missing++;
		}
	for (size_t i = 0; i < rebound_reply_rule_count; i++)
		if (!rcov[i]) {
			fprintf(stderr, "status.tsv: no line for reply rule %s (%s)\n",
				rebound_reply_rules[i].code,
				rebound_reason_name(rebound_reply_rules[i].reason));
			missing++;
		}
	free(scov);
	free(rcov);
	ck_assert_msg(bad == 0, "%zu code line(s) wrong (see above)", bad);
	ck_assert_msg(missing == 0, "%zu code rule(s) without a line", missing);
}
END_TEST

START_TEST(status_lookup_edges)
{
	ck_assert_int_eq(rebound_rules_match_status(NULL), -1);
	ck_assert_int_eq(rebound_rules_match_status(""), -1);
	ck_assert_int_eq(rebound_rules_match_reply(NULL), -1);
	ck_assert_int_eq(rebound_rules_match_reply(""), -1);
	/* "5.1.10" is not "5.1.1", nor the other way round. */
	long a = rebound_rules_match_status("5.1.1");
	long b = rebound_rules_match_status("5.1.10");
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_str_ne(rebound_status_rules[a].code, rebound_status_rules[b].code);
	ck_assert_int_eq(rebound_rules_match_status("5.1.100"), -1);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, phrase_table_well_formed);
	tcase_add_test(tc, phrase_lines);
	tcase_add_test(tc, phrase_coverage);
	tcase_add_test(tc, phrase_tiers);
	tcase_add_test(tc, status_and_reply_codes);
	tcase_add_test(tc, status_lookup_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_rules_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
