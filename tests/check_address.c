/* check_address.c - unit tests for common/mail/address.c. */
#include "rebound-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/arena.h"

static rebound_arena *arena;

static void setup(void)
{
	arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
}

static void teardown(void)
{
	rebound_arena_free(arena);
	arena = NULL;
}

/* The address found in s, or NULL. */
static const char *find(const char *s)
{
	return rebound_address_find(arena, s, strlen(s), NULL, NULL);
}

/* --- rebound_address_find ------------------------------------------------- */

START_TEST(find_dsn_value)
{
	const char *s = "rfc822; a@b.example";
	size_t at = 99, span = 99;
	const char *a = rebound_address_find(arena, s, strlen(s), &at, &span);

	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "a@b.example");
	ck_assert_uint_eq(at, 8);
	ck_assert_uint_eq(span, 11);
}
END_TEST

START_TEST(find_angle_brackets)
{
	const char *s = "<a@b.example>";
	size_t at, span;
	const char *a = rebound_address_find(arena, s, strlen(s), &at, &span);

	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "a@b.example");
	ck_assert_uint_eq(at, 1);
	ck_assert_uint_eq(span, 11);
	/* NULL position pointers are allowed. */
	ck_assert_str_eq(find(s), "a@b.example");
}
END_TEST

START_TEST(find_display_name)
{
	/* The domain is lower-cased, the local part kept as written. */
	ck_assert_str_eq(find("\"Name\" <A@B.EXAMPLE>"), "A@b.example");
	ck_assert_str_eq(find("\"Bob Example\" <Bob.Smith@Mail.Example.ORG>"),
			 "Bob.Smith@mail.example.org");
}
END_TEST

START_TEST(find_shapes)
{
	/* Sentence punctuation is not part of the address. */
	ck_assert_str_eq(find("Mail to carol@example.net."), "carol@example.net");
	ck_assert_str_eq(find("carol@example.net: mailbox full"),
			 "carol@example.net");
	ck_assert_str_eq(find("'dave@example.com'"), "dave@example.com");
	ck_assert_str_eq(find("(erin@example.org)"), "erin@example.org");
	ck_assert_str_eq(find("mailto:frank@example.com"), "frank@example.com");
	ck_assert_str_eq(find("To: grace+tag@example.com, heidi@example.com"),
			 "grace+tag@example.com");
	/* An address literal. */
	ck_assert_str_eq(find("<ivan@[192.0.2.7]>"), "ivan@[192.0.2.7]");
}
END_TEST

START_TEST(find_cjk_punctuation)
{
	/* Chinese and Japanese notices label a field with a fullwidth
	   colon and close a sentence with an ideographic full stop: neither
	   is part of the address, nor is the label before it. */
	ck_assert_str_eq(find("收件人：chen.jing@example.com.cn"),
			 "chen.jing@example.com.cn");
	ck_assert_str_eq(find("宛先：taro@example.jp。"), "taro@example.jp");
	ck_assert_str_eq(find("地址 li@example.cn（用户不存在）"),
			 "li@example.cn");
	ck_assert_str_eq(find("【ming@example.cn】"), "ming@example.cn");
	ck_assert_str_eq(find("＜hana@example.jp＞、"), "hana@example.jp");
	ck_assert_str_eq(find("收件人\xe3\x80\x80wei@example.cn"), "wei@example.cn");
	/* A UTF-8 local part of letters stays whole (RFC 6531). */
	ck_assert_str_eq(find("用户@example.cn"), "用户@example.cn");
	ck_assert_str_eq(find("jürgen@beispiel.example"),
			 "jürgen@beispiel.example");
}
END_TEST

START_TEST(find_mailto_position)
{
	const char *s = "see mailto:frank@example.com now";
	size_t at, span;
	const char *a = rebound_address_find(arena, s, strlen(s), &at, &span);

	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "frank@example.com");
	ck_assert_uint_eq(at, 11);
	ck_assert_uint_eq(span, 17);
	ck_assert_int_eq(memcmp(s + at, a, span), 0);
}
END_TEST

START_TEST(find_nothing)
{
	ck_assert_ptr_null(find(""));
	ck_assert_ptr_null(find("no address here"));
	ck_assert_ptr_null(find("@"));
	ck_assert_ptr_null(find(" @ "));
	ck_assert_ptr_null(find("user@"));
	ck_assert_ptr_null(find("@example.com"));
	/* A domain needs a dot (or a literal). */
	ck_assert_ptr_null(find("root@localhost"));
	ck_assert_ptr_null(find("a@.example"));
	ck_assert_ptr_null(find("a@b..example"));
}
END_TEST

START_TEST(find_skips_bad_then_finds_good)
{
	ck_assert_str_eq(find("@ and user@ then judy@example.org"),
			 "judy@example.org");
}
END_TEST

START_TEST(find_respects_length)
{
	const char *s = "kim@example.org";

	/* Cut before the dot: the domain has none. */
	ck_assert_ptr_null(rebound_address_find(arena, s, 11, NULL, NULL));
	/* Cut inside the TLD: still a plausible address. */
	ck_assert_str_eq(rebound_address_find(arena, s, 14, NULL, NULL),
			 "kim@example.or");
}
END_TEST

START_TEST(find_local_part_limit)
{
	/* 64 octets of local part are the RFC 5321 maximum. */
	char s[200];
	memset(s, 'x', 64);
	strcpy(s + 64, "@example.com");
	const char *a = find(s);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, s);
}
END_TEST

/* --- rebound_address_valid ------------------------------------------------ */

START_TEST(valid)
{
	char s[400];

	ck_assert(rebound_address_valid("a@b.example"));
	ck_assert(rebound_address_valid("first.last+tag@sub.example.co.uk"));
	ck_assert(rebound_address_valid("a@[192.0.2.1]"));
	ck_assert(!rebound_address_valid(""));
	ck_assert(!rebound_address_valid("a"));
	ck_assert(!rebound_address_valid("@b.example"));
	ck_assert(!rebound_address_valid("a@"));
	ck_assert(!rebound_address_valid("a@b"));
	ck_assert(!rebound_address_valid("a b@c.example"));
	ck_assert(!rebound_address_valid("a@b c.example"));
	ck_assert(!rebound_address_valid("a@b.example."));
	ck_assert(!rebound_address_valid("a@.b.example"));

	memset(s, 'x', 64);
	strcpy(s + 64, "@example.com");
	ck_assert(rebound_address_valid(s));
	memset(s, 'x', 65);
	strcpy(s + 65, "@example.com");
	ck_assert(!rebound_address_valid(s));
	/* Longer than 254 octets in all. */
	memset(s, 'x', 10);
	s[10] = '@';
	for (size_t i = 11; i < 11 + 250; i += 10)
		memcpy(s + i, "abcdefghi.", 10);
	strcpy(s + 261, "com");
	ck_assert(!rebound_address_valid(s));
}
END_TEST

/* --- comparisons and roles ------------------------------------------------ */

START_TEST(same)
{
	ck_assert(rebound_address_same("alice@example.com", "alice@example.com"));
	ck_assert(rebound_address_same("Alice@Example.COM", "alice@example.com"));
	ck_assert(!rebound_address_same("alice@example.com", "alice@example.net"));
	ck_assert(!rebound_address_same("alice@example.com", "alic@example.com"));
	ck_assert(!rebound_address_same(NULL, "alice@example.com"));
	ck_assert(!rebound_address_same("alice@example.com", NULL));
}
END_TEST

START_TEST(domain)
{
	ck_assert_str_eq(rebound_address_domain("a@b.example"), "b.example");
	ck_assert_str_eq(rebound_address_domain("no-at-sign"), "");
}
END_TEST

START_TEST(is_system)
{
	ck_assert(rebound_address_is_system("MAILER-DAEMON@mx.example.net"));
	ck_assert(rebound_address_is_system("mailer-daemon@example.net"));
	ck_assert(rebound_address_is_system("postmaster@example.org"));
	ck_assert(rebound_address_is_system("Postmaster@example.org"));
	ck_assert(rebound_address_is_system("MAILER-DAEMON"));
	ck_assert(!rebound_address_is_system("alice@example.com"));
	ck_assert(!rebound_address_is_system("postmaster2@example.org"));
	ck_assert(!rebound_address_is_system("my-postmaster@example.org"));
	ck_assert(!rebound_address_is_system("mailer-daemon-fan@example.org"));
}
END_TEST

/* A local part of 100 octets is longer than RFC 5321 allows (64): no
 * address, and not its last 64 octets either. */
START_TEST(address_long_local_part)
{
	char s[200];

	memset(s, 'x', 100);
	strcpy(s + 100, "@example.com");
	const char *a = rebound_address_find(arena, s, strlen(s), NULL, NULL);
	if (a != NULL)
		ck_abort_msg("found \"%s\" (%zu octets) in a 100-octet local part",
			     a, strlen(a));
}
END_TEST

static Suite *address_suite(void)
{
	Suite *s = suite_create("address");
	TCase *tc;

	tc = tcase_create("find");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, find_dsn_value);
	tcase_add_test(tc, find_angle_brackets);
	tcase_add_test(tc, find_display_name);
	tcase_add_test(tc, find_shapes);
	tcase_add_test(tc, find_cjk_punctuation);
	tcase_add_test(tc, find_mailto_position);
	tcase_add_test(tc, find_nothing);
	tcase_add_test(tc, find_skips_bad_then_finds_good);
	tcase_add_test(tc, find_respects_length);
	tcase_add_test(tc, find_local_part_limit);
	tcase_add_test(tc, address_long_local_part);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, valid);
	tcase_add_test(tc, same);
	tcase_add_test(tc, domain);
	tcase_add_test(tc, is_system);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(address_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
