/* check_providers.c - the reasons on servers the development corpus does
 * not contain: every reply in tests/fixtures/rules/providers.tsv (what mail
 * providers, gateways and MTAs document that they answer, and what they say
 * it means) goes through the classifier's path for one remote reply,
 * rebound_classify_reply(), and must come out with the reason the provider's
 * documentation gives.  A 4xx reply is classified as a deferral (DELAYED),
 * anything else as a failure (FAILED), as Exim's delivery events do. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "classify/result.h"
#include "rules_fixture.h"

/* The action an MTA reports for a reply: its first digit says whether the
 * failure is temporary. */
static rebound_action action_of(const char *reply)
{
	return reply[0] == '4' ? REBOUND_ACTION_DELAYED : REBOUND_ACTION_FAILED;
}

START_TEST(provider_replies)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t bad = 0, nknown = 0;

	ck_assert_ptr_nonnull(arena);
	tsv_load(&f, "providers.tsv");
	/* A fixture that shrank to nothing would pass vacuously. */
	ck_assert_uint_ge(f.n, 200);
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 3,
			      "%s:%u: want REASON<TAB>PROVIDER<TAB>reply",
			      f.path, l->lineno);
		/* "!reason": a known difference (see providers.tsv). */
		bool known = l->field[0][0] == '!';
		const char *name = l->field[0] + (known ? 1 : 0);
		int want = rebound_reason_from_name(name);
		ck_assert_msg(want > REBOUND_REASON_UNDEFINED,
			      "%s:%u: unknown reason \"%s\"", f.path, l->lineno,
			      name);
		const char *reply = l->field[2];
		rebound_recipient r;
		int rc = rebound_classify_reply(arena, "bob@example.com", reply,
						strlen(reply), action_of(reply),
						&r);
		ck_assert_int_eq(rc, 0);
		if (known) {
			nknown++;
			if ((int)r.reason == want) {
				fprintf(stderr, "%s:%u: %s: \"%s\" is now %s: "
					"drop the '!'\n", f.path, l->lineno,
					l->field[1], reply, name);
				bad++;
			}
		} else if ((int)r.reason != want) {
			fprintf(stderr, "%s:%u: %s: \"%s\" is %s (rule %s), "
				"want %s\n", f.path, l->lineno, l->field[1],
				reply, rebound_reason_name(r.reason),
				r.rule != NULL ? r.rule : "none", name);
			bad++;
		}
		rebound_arena_reset(arena);
	}
	fprintf(stderr, "providers.tsv: %zu of %zu replies with a wrong "
		"reason, %zu known differences\n", bad, f.n, nknown);
	tsv_free(&f);
	rebound_arena_free(arena);
	ck_assert_msg(bad == 0, "%zu provider reply(ies) with a wrong reason "
		      "(see above)", bad);
}
END_TEST

static Suite *providers_suite(void)
{
	Suite *s = suite_create("providers");
	TCase *tc = tcase_create("replies");

	tcase_add_test(tc, provider_replies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(providers_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_classify_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
