/* check_jsonread.c - the bounded JSON reader: values, escapes, limits and
 * broken input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "classify/jsonread.h"

static rebound_arena *arena;

static void setup(void)
{
	arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
}

static void teardown(void)
{
	rebound_arena_free(arena);
}

static rebound_jvalue *rd(const char *s)
{
	return rebound_json_read(arena, s, strlen(s));
}

START_TEST(values)
{
	const rebound_jvalue *v = rd(" {\"a\": [1, -2.5e3, true, null], "
				     "\"b\": {\"c\": \"d\"}, \"e\": {} } trailing");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, REBOUND_J_OBJECT);
	const rebound_jvalue *a = rebound_json_get(v, "a");
	ck_assert_int_eq(a->type, REBOUND_J_ARRAY);
	ck_assert_int_eq(a->child->type, REBOUND_J_NUMBER);
	ck_assert_int_eq(a->child->next->type, REBOUND_J_NUMBER);
	ck_assert_uint_eq(a->child->next->len, 6);
	ck_assert_int_eq(a->child->next->next->type, REBOUND_J_BOOL);
	ck_assert_int_eq(a->child->next->next->next->type, REBOUND_J_NULL);
	ck_assert_ptr_null(a->child->next->next->next->next);
	ck_assert_str_eq(rebound_json_get_str(rebound_json_get(v, "b"), "c"), "d");
	ck_assert_ptr_null(rebound_json_get(v, "e")->child);
	ck_assert_ptr_null(rebound_json_get(v, "zz"));
	ck_assert_ptr_null(rebound_json_get_str(v, "a"));
}
END_TEST

START_TEST(escapes)
{
	const rebound_jvalue *v = rd("[\"q\\\"b\\\\s\\/n\\n\", \"\\u00e9\\u20ac\","
				     " \"\\ud83d\\ude00\", \"\\ud800x\", \"\\uZZZZ\"]");
	ck_assert_ptr_nonnull(v);
	const rebound_jvalue *e = v->child;
	ck_assert_str_eq(e->str, "q\"b\\s/n\n");
	e = e->next;
	ck_assert_str_eq(e->str, "\xc3\xa9\xe2\x82\xac");
	e = e->next;
	ck_assert_str_eq(e->str, "\xf0\x9f\x98\x80");
	e = e->next;	/* a lone high surrogate */
	ck_assert_str_eq(e->str, "\xef\xbf\xbdx");
	e = e->next;	/* not hex */
	ck_assert(strncmp(e->str, "\xef\xbf\xbd", 3) == 0);
}
END_TEST

START_TEST(broken)
{
	static const char *const bad[] = {
		"", "   ", "{", "[1,", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
		"[1 2]", "\"open", "{\"k\":\"v\",}x", "nul", "{1:2}", "]",
		"[\"a\\", "{\"a\":[}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(rd(bad[i]) == NULL, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(limits)
{
	/* 32 levels are read, 33 are not. */
	char s[200];
	memset(s, '[', 32);
	memset(s + 32, ']', 32);
	s[64] = '\0';
	ck_assert_ptr_nonnull(rd(s));
	memset(s, '[', 33);
	memset(s + 33, ']', 33);
	s[66] = '\0';
	ck_assert_ptr_null(rd(s));

	/* More than 20000 values are refused. */
	size_t n = 30000;
	char *big = malloc(n * 2 + 3);
	ck_assert_ptr_nonnull(big);
	size_t o = 0;
	big[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		big[o++] = '0';
		big[o++] = i + 1 < n ? ',' : ']';
	}
	big[o] = '\0';
	ck_assert_ptr_null(rebound_json_read(arena, big, o));
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonread");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, values);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, broken);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
