/* check_wordlists.c - the classifier's small word lists (wordlists.h)
 * against tests/fixtures/rules/wordlists.tsv: every line gets the answer
 * it says from the question the classifier asks of its list, and every
 * entry of every list has a line whose yes depends on that entry (blot
 * the entry out of the line and the answer becomes no). */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "mail/strutil.h"
#include "classify/classify.h"
#include "classify/wordlists.h"
#include "rules_fixture.h"

#define FIXTURE "wordlists.tsv"
/* Lines of ordinary text that each list must answer no to, at least. */
#define MIN_NEGATIVE 3

/* The list a fixture line names (NULL if none); *negative for "not:". */
static const rebound_wordlist *list_of(const char *name, bool *negative)
{
	*negative = strncmp(name, "not:", 4) == 0;
	if (*negative)
		name += 4;
	size_t n;
	const rebound_wordlist *const *all = rebound_wordlists(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

static size_t list_index(const rebound_wordlist *w)
{
	size_t n;
	const rebound_wordlist *const *all = rebound_wordlists(&n);
	for (size_t i = 0; i < n; i++)
		if (all[i] == w)
			return i;
	return n;
}

/* Where entry (lower case) first stands in line, ignoring the case of
 * ASCII letters; NULL if it does not. */
static char *find_entry(char *line, const char *entry)
{
	size_t el = strlen(entry), ll = strlen(line);
	const char *hit = rebound_memcasemem(line, ll, entry, el);
	return (char *)hit;
}

/* --- the lists themselves ---------------------------------------------------- */

START_TEST(lists_well_formed)
{
	size_t n;
	const rebound_wordlist *const *all = rebound_wordlists(&n);
	ck_assert_uint_ge(n, 10);
	for (size_t i = 0; i < n; i++) {
		const rebound_wordlist *w = all[i];
		ck_assert_ptr_nonnull(w->name);
		ck_assert_ptr_nonnull(w->matches);
		ck_assert_uint_gt(w->n, 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(all[j]->name, w->name);
		for (size_t e = 0; e < w->n; e++) {
			const char *p = rebound_wordlist_entry(w, e);
			ck_assert_msg(p != NULL && *p != '\0',
				      "%s entry %zu: empty", w->name, e);
			/* Compared with lower-cased or normalised text. */
			for (const char *c = p; *c != '\0'; c++)
				ck_assert_msg(!(*c >= 'A' && *c <= 'Z'),
					      "%s entry %zu: upper case in \"%s\"",
					      w->name, e, p);
			for (size_t k = 0; k < e; k++)
				ck_assert_msg(strcmp(rebound_wordlist_entry(w, k),
						     p) != 0,
					      "%s entries %zu and %zu: both \"%s\"",
					      w->name, k, e, p);
		}
		ck_assert_ptr_null(rebound_wordlist_entry(w, w->n));
	}
}
END_TEST

/* --- every line -------------------------------------------------------------- */

START_TEST(fixture_lines)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t nlists;
	rebound_wordlists(&nlists);
	size_t *neg = calloc(nlists, sizeof(*neg));
	size_t bad = 0;

	ck_assert_ptr_nonnull(arena);
	ck_assert_ptr_nonnull(neg);
	tsv_load(&f, FIXTURE);
	ck_assert_uint_gt(f.n, 0);
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 2 && *l->field[1] != '\0',
			      "%s:%u: want LIST<TAB>text", f.path, l->lineno);
		bool negative;
		const rebound_wordlist *w = list_of(l->field[0], &negative);
		ck_assert_msg(w != NULL, "%s:%u: unknown list \"%s\"", f.path,
			      l->lineno, l->field[0]);
		const char *text = l->field[1];
		bool yes = w->matches(arena, text, strlen(text));
		if (negative)
			neg[list_index(w)]++;
		if (yes == negative) {
			fprintf(stderr, "%s:%u: %s answers %s to \"%s\"\n",
				f.path, l->lineno, w->name, yes ? "yes" : "no",
				text);
			bad++;
		}
		rebound_arena_reset(arena);
	}
	const rebound_wordlist *const *all = rebound_wordlists(&nlists);
	for (size_t t = 0; t < nlists; t++)
		if (neg[t] < MIN_NEGATIVE) {
			fprintf(stderr, "%s: %zu not:%s line(s), want %d or "
				"more\n", f.path, neg[t], all[t]->name,
				MIN_NEGATIVE);
			bad++;
		}
	tsv_free(&f);
	free(neg);
	rebound_arena_free(arena);
	ck_assert_msg(bad == 0, "%zu problem(s) in " FIXTURE " (see above)",
		      bad);
}
END_TEST

/* --- every entry -------------------------------------------------------------- */

/* Does a positive line of w hold entry e, and answer no without it? */
static bool entry_does_something(const tsv_file *f, const rebound_wordlist *w,
				 const char *entry, rebound_arena *arena)
{
	for (size_t i = 0; i < f->n; i++) {
		const tsv_line *l = &f->lines[i];
		bool negative;
		if (list_of(l->field[0], &negative) != w || negative)
			continue;
		char *copy = strdup(l->field[1]);
		ck_assert_ptr_nonnull(copy);
		char *at = find_entry(copy, entry);
		bool shown = false;
		if (at != NULL && w->matches(arena, copy, strlen(copy))) {
			memset(at, '#', strlen(entry));
			shown = !w->matches(arena, copy, strlen(copy));
			rebound_arena_reset(arena);
		}
		free(copy);
		if (shown)
			return true;
	}
	return false;
}

START_TEST(entry_coverage)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t nlists, missing = 0;
	const rebound_wordlist *const *all = rebound_wordlists(&nlists);

	ck_assert_ptr_nonnull(arena);
	tsv_load(&f, FIXTURE);
	for (size_t t = 0; t < nlists; t++)
		for (size_t e = 0; e < all[t]->n; e++) {
			const char *entry = rebound_wordlist_entry(all[t], e);
			if (!entry_does_something(&f, all[t], entry, arena)) {
				fprintf(stderr, "%s: no %s line that needs "
					"\"%s\"\n", f.path, all[t]->name, entry);
				missing++;
			}
		}
	tsv_free(&f);
	rebound_arena_free(arena);
	ck_assert_msg(missing == 0, "%zu list entries without a line",
		      missing);
}
END_TEST

static Suite *wordlists_suite(void)
{
	Suite *s = suite_create("wordlists");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, lists_well_formed);
	tcase_add_test(tc, fixture_lines);
	tcase_add_test(tc, entry_coverage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wordlists_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_classify_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
