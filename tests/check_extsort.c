/* check_extsort.c - unit tests for cli/extsort.c: items come back all,
 * once each, in order, whether they stayed in memory or went through
 * temporary files; and its errors. */
#include "rebound-config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extsort.h"

/* Keys with mixed case and repeats (i and i + 500 share a key up to case
 * when i is even), payload: the item's number. */
static void make_key(unsigned i, char *key, size_t size)
{
	unsigned k = (i * 7919u) % 500u;
	if (k % 2 == 0 && i >= 500)
		snprintf(key, size, "USER%u@Example.ORG", k);
	else
		snprintf(key, size, "user%u@example.org", k + (i >= 500 ? 1000 : 0));
}

/* Add n items, read them back; checks order and completeness and
 * returns the number of runs. */
static size_t sort_and_check(unsigned n, size_t bound)
{
	char err[256] = "";
	extsort *s = extsort_new(sizeof(uint32_t), bound);
	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < n; i++) {
		char key[64];
		uint32_t v = i;
		make_key(i, key, sizeof(key));
		ck_assert_msg(extsort_add(s, key, &v, err, sizeof(err)) == 0,
			      "add %u: %s", i, err);
	}
	ck_assert_int_eq(extsort_finish(s, err, sizeof(err)), 0);
	unsigned char *seen = calloc(n ? n : 1, 1);
	ck_assert_ptr_nonnull(seen);
	char prev[64] = "";
	unsigned got = 0;
	const char *key;
	const void *payload;
	int rc;
	while ((rc = extsort_next(s, &key, &payload, err, sizeof(err))) > 0) {
		uint32_t v;
		memcpy(&v, payload, sizeof(v));
		ck_assert_uint_lt(v, n);
		ck_assert_msg(!seen[v], "item %u given twice", v);
		seen[v] = 1;
		char want[64];
		make_key(v, want, sizeof(want));
		ck_assert_str_eq(key, want);	/* the payload kept its key */
		if (got > 0) {
			int c = strcasecmp(prev, key);
			ck_assert_msg(c < 0 || (c == 0 && strcmp(prev, key) <= 0),
				      "%s before %s", prev, key);
		}
		snprintf(prev, sizeof(prev), "%s", key);
		got++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(got, n);
	/* At the end it stays at the end. */
	ck_assert_int_eq(extsort_next(s, &key, &payload, err, sizeof(err)), 0);
	size_t runs = extsort_runs(s);
	free(seen);
	extsort_free(s);
	return runs;
}

START_TEST(in_memory)
{
	ck_assert_uint_eq(sort_and_check(1000, 1u << 20), 0);
}
END_TEST

START_TEST(through_files)
{
	/* About 40 bytes an item: a run of ~50 items, ~20 runs. */
	ck_assert_uint_gt(sort_and_check(1000, 2000), 10);
}
END_TEST

START_TEST(one_item_a_run)
{
	ck_assert_uint_eq(sort_and_check(300, 1), 300);
}
END_TEST

START_TEST(nothing)
{
	ck_assert_uint_eq(sort_and_check(0, 1), 0);
}
END_TEST

START_TEST(key_too_long)
{
	char err[256] = "";
	char *key = malloc(EXTSORT_KEY_MAX + 2);
	ck_assert_ptr_nonnull(key);
	memset(key, 'a', EXTSORT_KEY_MAX + 1);
	key[EXTSORT_KEY_MAX + 1] = '\0';
	extsort *s = extsort_new(0, 1u << 20);
	ck_assert_int_eq(extsort_add(s, key, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer"));
	extsort_free(s);
	free(key);
}
END_TEST

START_TEST(no_temporary_directory)
{
	char err[256] = "";
	setenv("TMPDIR", "/nonexistent/rebound-test", 1);
	extsort *s = extsort_new(0, 1);
	ck_assert_int_eq(extsort_add(s, "a@x", NULL, err, sizeof(err)), 0);
	/* The second item sends the first to a file, which fails. */
	ck_assert_int_eq(extsort_add(s, "b@x", NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/rebound-test"));
	extsort_free(s);
	unsetenv("TMPDIR");
}
END_TEST

static Suite *extsort_suite(void)
{
	Suite *s = suite_create("extsort");
	TCase *tc = tcase_create("sort");
	tcase_add_test(tc, in_memory);
	tcase_add_test(tc, through_files);
	tcase_add_test(tc, one_item_a_run);
	tcase_add_test(tc, nothing);
	tcase_add_test(tc, key_too_long);
	tcase_add_test(tc, no_temporary_directory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(extsort_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
