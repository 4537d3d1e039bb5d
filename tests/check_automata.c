/* check_automata.c - the compiled-in automata (matcher-builtin.c and the
 * generated automata.c): every built-in phrase list is served by its
 * compiled-in automaton, that automaton is the very one
 * rebound_matcher_build makes of the list today, and a list that differs
 * from the one an automaton was made of is built instead. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/matcher-tables.h"

static rebound_phrase_list lists[REBOUND_CLASSIFY_NLISTS];

static void setup(void)
{
	rebound_classify_phrase_lists(lists);
}

START_TEST(every_list_compiled_in)
{
	ck_assert_uint_eq(rebound_compiled_matcher_count,
			  REBOUND_CLASSIFY_NLISTS);
	for (size_t i = 0; i < REBOUND_CLASSIFY_NLISTS; i++) {
		const rebound_matcher *m = rebound_matcher_builtin(&lists[i]);
		ck_assert_msg(rebound_matcher_compiled_in(m),
			      "%s: no compiled-in automaton (automata.c stale?)",
			      lists[i].name);
		rebound_matcher_release(m);
	}
}
END_TEST

#define SAME(field) \
	ck_assert_msg(a->field == b->field, "%s: " #field " differs at %zu", \
		      name, i)

/* Field by field: a compiled-in automaton against a built one. */
static void assert_same(const char *name, const rebound_matcher *a,
			const rebound_matcher *b)
{
	size_t i = 0;
	SAME(nstates);
	SAME(nedges);
	SAME(nkeys);
	SAME(nphrases);
	SAME(max_gap);
	SAME(ndense);
	SAME(first_out);
	SAME(shift);
	ck_assert_msg((a->dense == NULL) == (b->dense == NULL),
		      "%s: one has rows, the other not", name);
	for (i = 0; i < 256; i++) {
		SAME(root_next[i]);
		SAME(byte_class[i]);
	}
	matcher_sizes na = rebound_matcher_sizes(a);
	matcher_sizes nb = rebound_matcher_sizes(b);
	ck_assert_msg(memcmp(&na, &nb, sizeof(na)) == 0, "%s: sizes", name);
	for (i = 0; i < na.st; i++) {
		SAME(st[i].edges);
		SAME(st[i].nedges);
		SAME(st[i].fail);
		SAME(st[i].out_link);
		SAME(st[i].key);
	}
	for (i = 0; i < na.edge; i++) {
		SAME(edge[i].byte);
		SAME(edge[i].target);
	}
	for (i = 0; i < na.keys; i++) {
		SAME(keys[i].phrase);
		SAME(keys[i].part);
		SAME(keys[i].gapped);
		SAME(keys[i].len);
		SAME(keys[i].next_same);
	}
	for (i = 0; i < na.dense; i++)
		SAME(dense[i]);
	for (i = 0; i < na.sparse; i++) {
		SAME(sparse[i].fail);
		SAME(sparse[i].first);
		SAME(sparse[i].first_class);
		SAME(sparse[i].nmore);
		SAME(sparse[i].more);
	}
	for (i = 0; i < na.sparse_edge; i++) {
		SAME(sparse_edge[i].next);
		SAME(sparse_edge[i].cls);
	}
	for (i = 0; i < na.row_state; i++)
		SAME(row_state[i]);
}

START_TEST(compiled_in_is_what_build_makes)
{
	for (size_t l = 0; l < REBOUND_CLASSIFY_NLISTS; l++) {
		const rebound_matcher *c = rebound_matcher_builtin(&lists[l]);
		rebound_matcher *b = rebound_matcher_build(
			lists[l].phrases, lists[l].count, lists[l].max_gap);
		ck_assert_ptr_nonnull(b);
		ck_assert(!rebound_matcher_compiled_in(b));
		assert_same(lists[l].name, c, b);
		rebound_matcher_free(b);
		rebound_matcher_release(c);
	}
}
END_TEST

/* A copy of the rule list's array of phrases. */
static const char **copy_of_rules(void)
{
	const char **copy = malloc(lists[0].count * sizeof(*copy));
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, lists[0].phrases, lists[0].count * sizeof(*copy));
	return copy;
}

typedef struct wanted {
	size_t id;
	bool seen;
} wanted;

static bool note(size_t id, void *ctx)
{
	wanted *w = ctx;
	w->seen |= id == w->id;
	return true;
}

/* Whether m finds phrase id in text. */
static bool finds(const rebound_matcher *m, const char *text, size_t id)
{
	wanted w = { id, false };
	rebound_matcher_each(m, text, strlen(text), note, &w);
	return w.seen;
}

START_TEST(changed_list_is_built)
{
	/* The same phrases from another array: still the compiled-in one. */
	const char **copy = copy_of_rules();
	rebound_phrase_list same = lists[0];
	same.phrases = copy;
	const rebound_matcher *m = rebound_matcher_builtin(&same);
	ck_assert(rebound_matcher_compiled_in(m));
	rebound_matcher_release(m);

	/* The last phrase changed, one dropped, the gap changed: each under
	   the rule list's name, none compiled in. */
	size_t last = lists[0].count - 1;
	const char *edited = "qzx no such rule qzx";
	copy[last] = edited;
	rebound_phrase_list variants[3] = { same, lists[0], lists[0] };
	variants[1].count--;
	variants[2].max_gap++;
	for (size_t v = 0; v < 3; v++) {
		m = rebound_matcher_builtin(&variants[v]);
		ck_assert_ptr_nonnull(m);
		ck_assert_msg(!rebound_matcher_compiled_in(m), "variant %zu", v);
		ck_assert_uint_eq(rebound_matcher_fingerprint(&variants[v]) ==
					  rebound_matcher_fingerprint(&lists[0]),
				  0);
		rebound_matcher_release(m);	/* freed: no leak */
	}
	/* The edited phrase is found by the built matcher, not the old. */
	m = rebound_matcher_builtin(&variants[0]);
	ck_assert(finds(m, edited, last));
	rebound_matcher_release(m);
	m = rebound_matcher_builtin(&lists[0]);
	ck_assert(!finds(m, edited, last));
	rebound_matcher_release(m);
	free(copy);

	/* A list of the tests' own is built as before. */
	const char *own[] = { "user unknown" };
	rebound_phrase_list mine = { "tests.own", own, 1, 0 };
	m = rebound_matcher_builtin(&mine);
	ck_assert(!rebound_matcher_compiled_in(m));
	ck_assert_int_eq(rebound_matcher_first(m, "a user unknown here", 19), 0);
	rebound_matcher_release(m);
}
END_TEST

START_TEST(release_leaves_compiled_in)
{
	const rebound_matcher *m = rebound_matcher_builtin(&lists[0]);
	rebound_matcher_release(m);
	rebound_matcher_release(m);
	rebound_matcher_free((rebound_matcher *)m);
	/* Still there, and still finds its first phrase. */
	const char *p = lists[0].phrases[0];
	char text[256];
	snprintf(text, sizeof(text), "%s", p);
	char *star = strchr(text, '*');
	if (star != NULL)
		*star = ' ';	/* "a*b": "a b" is within any gap */
	ck_assert_int_eq(rebound_matcher_first(m, text, strlen(text)), 0);
}
END_TEST

static Suite *automata_suite(void)
{
	Suite *s = suite_create("automata");
	TCase *tc = tcase_create("compiled in");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, every_list_compiled_in);
	tcase_add_test(tc, compiled_in_is_what_build_makes);
	tcase_add_test(tc, changed_list_is_built);
	tcase_add_test(tc, release_leaves_compiled_in);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(automata_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_classify_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
