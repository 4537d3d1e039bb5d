/* check_strutil.c - unit tests for common/mail/strutil.c (ASCII helpers). */
#include "rebound-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/strutil.h"

/* Offset of a match in hay, or -1 for NULL. */
static long find(const char *hay, size_t hlen, const char *needle)
{
	const char *p = rebound_memcasemem(hay, hlen, needle, strlen(needle));
	return p == NULL ? -1 : (long)(p - hay);
}

/* --- rebound_memcasemem --------------------------------------------------- */

START_TEST(memcasemem_empty_needle)
{
	const char *hay = "abc";

	/* An empty needle matches at the start, even of an empty hay. */
	ck_assert_ptr_eq(rebound_memcasemem(hay, 3, "", 0), hay);
	ck_assert_ptr_eq(rebound_memcasemem(hay, 0, "", 0), hay);
}
END_TEST

START_TEST(memcasemem_needle_longer_than_hay)
{
	ck_assert_int_eq(find("abc", 3, "abcd"), -1);
	ck_assert_int_eq(find("", 0, "a"), -1);
	/* The bytes are there, but beyond hlen. */
	ck_assert_int_eq(find("abcd", 3, "abcd"), -1);
}
END_TEST

START_TEST(memcasemem_positions)
{
	ck_assert_int_eq(find("user unknown", 12, "user"), 0);
	ck_assert_int_eq(find("550 user unknown", 16, "unknown"), 9);
	/* Match that ends exactly at the end of the hay. */
	ck_assert_int_eq(find("mailbox full", 12, "full"), 8);
	ck_assert_int_eq(find("x", 1, "x"), 0);
	ck_assert_int_eq(find("abc", 3, "abc"), 0);
	/* The first of several matches. */
	ck_assert_int_eq(find("ab ab ab", 8, "ab"), 0);
}
END_TEST

START_TEST(memcasemem_case)
{
	ck_assert_int_eq(find("550 User Unknown", 16, "user unknown"), 4);
	ck_assert_int_eq(find("mailbox FULL", 12, "Full"), 8);
	/* Upper-case first letter earlier than a lower-case one. */
	ck_assert_int_eq(find("Quota quota", 11, "QUOTA"), 0);
	ck_assert_int_eq(find("xQuota quota", 12, "quota"), 1);
	/* Lower-case first letter earlier than an upper-case one. */
	ck_assert_int_eq(find("xquota QUOTA", 12, "Quota"), 1);
	/* Only ASCII letters fold: '[' (0x5B) is not '{' (0x7B). */
	ck_assert_int_eq(find("a{b", 3, "a[b"), -1);
	ck_assert_int_eq(find("@", 1, "`"), -1);
	/* Non-ASCII bytes are compared as they are. */
	ck_assert_int_eq(find("gr\xc3\x96\xc3\x9f" "e", 7, "\xc3\xb6"), -1);
	ck_assert_int_eq(find("gr\xc3\x96\xc3\x9f" "e", 7, "\xc3\x96"), 2);
}
END_TEST

START_TEST(memcasemem_partial_and_overlap)
{
	/* A failed partial match must not skip a real one. */
	ck_assert_int_eq(find("aaab", 4, "aab"), 1);
	ck_assert_int_eq(find("ababac", 6, "abac"), 2);
	ck_assert_int_eq(find("5.1.5.1.1", 9, "5.1.1"), 4);
	/* First byte matches often, the rest never. */
	ck_assert_int_eq(find("aaaaaaaa", 8, "ab"), -1);
	ck_assert_int_eq(find("non-letter 5.1.1", 16, "5.1.1"), 11);
}
END_TEST

START_TEST(memcasemem_respects_length)
{
	/* hay[0..5) is "xxxxA": the "B" that would complete "ab" lies past
	 * the length and must not be read as part of a match. */
	ck_assert_int_eq(find("xxxxAB", 5, "ab"), -1);
	ck_assert_int_eq(find("xxxxAB", 6, "ab"), 4);
	/* Same with the needle's first byte only just inside. */
	ck_assert_int_eq(find("spam", 3, "spam"), -1);
	ck_assert_int_eq(find("spam", 3, "am"), -1);
	ck_assert_int_eq(find("spam", 3, "pa"), 1);
}
END_TEST

/* The plain definition, to compare the fast search with. */
static long naive_find(const char *hay, size_t hlen, const char *needle,
		       size_t nlen)
{
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t k = 0;
		while (k < nlen && rebound_ascii_tolower(hay[i + k]) ==
					   rebound_ascii_tolower(needle[k]))
			k++;
		if (k == nlen)
			return (long)i;
	}
	return -1;
}

START_TEST(memcasemem_long_hays)
{
	/* Hays longer than a 16-byte block, each in a buffer of exactly its
	 * size (so that a read past the end shows under the sanitizers), the
	 * needle at every position, with look-alikes before it: the other
	 * case, bytes that differ only in bit 0x20 ('@' and '`', '[' and
	 * '{'), first and last byte right with the middle wrong. */
	static const char *const needles[] = {
		"user unknown", "Ab", "x", "@[", "5.1.1", "q`{q",
		"a-very-long-needle-that-spans-more-than-one-block",
	};
	for (size_t ni = 0; ni < sizeof(needles) / sizeof(*needles); ni++) {
		const char *nd = needles[ni];
		size_t nlen = strlen(nd);
		for (size_t hlen = nlen; hlen < nlen + 70; hlen++) {
			char *hay = malloc(hlen);
			ck_assert_ptr_nonnull(hay);
			for (size_t at = 0; at + nlen <= hlen + 1; at++) {
				for (size_t i = 0; i < hlen; i++)
					hay[i] = "`{@[zZ.-"[(i * 7 + ni) % 8];
				/* A near miss two bytes earlier. */
				if (at >= 2 && at - 2 + nlen <= hlen && nlen > 2) {
					memcpy(hay + at - 2, nd, nlen);
					hay[at - 2 + nlen / 2] ^= 0x01;
				}
				if (at + nlen <= hlen)
					for (size_t k = 0; k < nlen; k++)
						hay[at + k] = (char)(
							(k % 2) ? nd[k] :
							(nd[k] >= 'a' && nd[k] <= 'z') ?
							nd[k] - 32 : nd[k]);
				const char *p = rebound_memcasemem(hay, hlen, nd,
								   nlen);
				long got = p == NULL ? -1 : (long)(p - hay);
				ck_assert_int_eq(got,
						 naive_find(hay, hlen, nd, nlen));
			}
			free(hay);
		}
	}
}
END_TEST

START_TEST(memcasemem_binary_hay)
{
	/* Length-counted: NUL bytes in the hay are ordinary bytes. */
	static const char hay[] = { 'a', '\0', 'B', 'c', '\0', 'x' };

	ck_assert_int_eq(find(hay, sizeof hay, "bc"), 2);
	ck_assert_int_eq(find(hay, sizeof hay, "x"), 5);
	ck_assert_ptr_eq(rebound_memcasemem(hay, sizeof hay, "c\0x", 3), hay + 3);
	ck_assert_ptr_null(rebound_memcasemem(hay, sizeof hay, "c\0y", 3));
}
END_TEST

/* --- comparisons ------------------------------------------------------------ */

START_TEST(ascii_ieq)
{
	ck_assert(rebound_ascii_ieq("Content-Type", "content-type"));
	ck_assert(rebound_ascii_ieq("", ""));
	ck_assert(!rebound_ascii_ieq("Content-Type", "Content-Typ"));
	ck_assert(!rebound_ascii_ieq("a", "ab"));
	ck_assert(!rebound_ascii_ieq("[", "{"));
	/* No locale folding: A-umlaut in Latin-1 is not a-umlaut. */
	ck_assert(!rebound_ascii_ieq("\xc4", "\xe4"));
}
END_TEST

START_TEST(ascii_nieq)
{
	ck_assert(rebound_ascii_nieq("STATUS: 5.1.1", "status: 4.4.1", 8));
	ck_assert(!rebound_ascii_nieq("STATUS: 5.1.1", "status: 4.4.1", 9));
	ck_assert(rebound_ascii_nieq("abc", "xyz", 0));
}
END_TEST

START_TEST(ascii_nieq_as_defined)
{
	/* Pairs of every length up to 40, equal or differing at one place
	 * (in the other case: still equal for a letter; in bit 0x20 of a
	 * byte that is no letter, or in another bit: not equal), so that
	 * the difference falls at every place of the 8-byte words the
	 * compare takes; each string in a buffer of exactly its size. */
	static const char alpha[] = "aZq@`[{09-\xc4\xe4";
	unsigned x = 7;
	size_t equal = 0, differ = 0;
	for (size_t n = 0; n <= 40; n++)
		for (size_t at = 0; at <= n; at++)
			for (int how = 0; how < 4; how++) {
				char *a = malloc(n > 0 ? n : 1);
				char *b = malloc(n > 0 ? n : 1);
				ck_assert_ptr_nonnull(a);
				ck_assert_ptr_nonnull(b);
				for (size_t i = 0; i < n; i++) {
					x = x * 1103515245u + 12345u;
					a[i] = alpha[(x >> 16) % (sizeof(alpha) - 1)];
				}
				memcpy(b, a, n);
				if (at < n && how == 1)
					b[at] = (char)(b[at] ^ 0x20);
				if (at < n && how == 2)
					b[at] = (char)(b[at] ^ 0x01);
				if (at < n && how == 3)
					b[at] = rebound_ascii_tolower(b[at]) == b[at] ?
						(char)(b[at] >= 'a' && b[at] <= 'z' ?
						       b[at] - 32 : b[at]) :
						rebound_ascii_tolower(b[at]);
				bool want = true;
				for (size_t i = 0; i < n; i++)
					if (rebound_ascii_tolower(a[i]) !=
					    rebound_ascii_tolower(b[i]))
						want = false;
				ck_assert_int_eq(rebound_ascii_nieq(a, b, n), want);
				ck_assert_int_eq(rebound_ascii_nieq(b, a, n), want);
				equal += want;
				differ += !want;
				free(a);
				free(b);
			}
	ck_assert_uint_gt(equal, 1000);
	ck_assert_uint_gt(differ, 1000);
}
END_TEST

START_TEST(ascii_istarts)
{
	ck_assert(rebound_ascii_istarts("Final-Recipient: rfc822; a@b", 28,
					"final-recipient:"));
	ck_assert(rebound_ascii_istarts("abc", 3, ""));
	ck_assert(rebound_ascii_istarts("abc", 3, "ABC"));
	/* The prefix is longer than the counted part of s. */
	ck_assert(!rebound_ascii_istarts("abcdef", 3, "abcd"));
	ck_assert(!rebound_ascii_istarts("", 0, "a"));
	ck_assert(!rebound_ascii_istarts("Action: failed", 14, "action;"));
}
END_TEST

/* The definition: prefix no longer than s[0..len) and equal to its start
 * when both are lower-cased. */
static bool naive_istarts(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (pl > len)
		return false;
	for (size_t i = 0; i < pl; i++)
		if (rebound_ascii_tolower(s[i]) != rebound_ascii_tolower(prefix[i]))
			return false;
	return true;
}

START_TEST(ascii_istarts_all_short)
{
	/* Every s of up to 4 bytes and prefix of up to 3 over an alphabet
	 * with both cases, a byte one bit away from a letter ('@' vs '`')
	 * and a NUL inside s; s in a buffer of exactly len bytes (a read past
	 * it shows under the sanitizers).  The first byte is tested inline,
	 * the rest out of line: both halves have to be right. */
	static const char alpha[] = { 'a', 'A', 'b', '`', '@', '\0' };
	const size_t na = sizeof(alpha), np = 5;	/* no NUL in prefixes */
	size_t checked = 0, matched = 0;
	for (size_t sl = 0; sl <= 4; sl++) {
		size_t scount = 1;
		for (size_t k = 0; k < sl; k++)
			scount *= na;
		for (size_t si = 0; si < scount; si++) {
			char *str = malloc(sl > 0 ? sl : 1);
			ck_assert_ptr_nonnull(str);
			for (size_t k = 0, x = si; k < sl; k++, x /= na)
				str[k] = alpha[x % na];
			for (size_t pl = 0; pl <= 3; pl++) {
				size_t pcount = 1;
				for (size_t k = 0; k < pl; k++)
					pcount *= np;
				for (size_t pi = 0; pi < pcount; pi++) {
					char prefix[5];
					for (size_t k = 0, x = pi; k < pl; k++, x /= np)
						prefix[k] = alpha[x % np];
					prefix[pl] = '\0';
					bool want = naive_istarts(str, sl, prefix);
					ck_assert_int_eq(rebound_ascii_istarts(str, sl, prefix),
							 want);
					/* Again with the prefix's bytes just past
					   len: they must not be looked at. */
					char tempt[9];
					memcpy(tempt, str, sl);
					memcpy(tempt + sl, prefix, pl);
					ck_assert_int_eq(rebound_ascii_istarts(tempt, sl, prefix),
							 want);
					checked++;
					matched += want;
				}
			}
			free(str);
		}
	}
	/* Both answers were given many times. */
	ck_assert_uint_gt(matched, 1000);
	ck_assert_uint_gt(checked - matched, 1000);
}
END_TEST

/* --- in-place helpers --------------------------------------------------- */

START_TEST(ascii_lower)
{
	char s[] = "Mailbox FULL [5.2.2] \xc4Z";
	char empty[] = "";

	ck_assert_ptr_eq(rebound_ascii_lower(s), s);
	ck_assert_str_eq(s, "mailbox full [5.2.2] \xc4z");
	ck_assert_str_eq(rebound_ascii_lower(empty), "");
}
END_TEST

START_TEST(trim)
{
	const char *text = " \t\r\n 5.1.1 unknown \r\n";
	const char *s = text;
	size_t len = strlen(text);

	rebound_trim(&s, &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_int_eq(memcmp(s, "5.1.1 unknown", len), 0);
	ck_assert_ptr_eq(s, text + 5);

	/* Only white space: empty. */
	s = " \t\v\f\r\n";
	len = strlen(s);
	rebound_trim(&s, &len);
	ck_assert_uint_eq(len, 0);

	/* Nothing to trim; an empty string stays empty. */
	s = "x";
	len = 1;
	rebound_trim(&s, &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(*s, 'x');
	s = "";
	len = 0;
	rebound_trim(&s, &len);
	ck_assert_uint_eq(len, 0);

	/* Trailing white space past len is not looked at. */
	s = "ab  ";
	len = 2;
	rebound_trim(&s, &len);
	ck_assert_uint_eq(len, 2);
}
END_TEST

START_TEST(char_classes)
{
	ck_assert_int_eq(rebound_ascii_tolower('A'), 'a');
	ck_assert_int_eq(rebound_ascii_tolower('Z'), 'z');
	ck_assert_int_eq(rebound_ascii_tolower('@'), '@');
	ck_assert_int_eq(rebound_ascii_tolower('['), '[');
	ck_assert_int_eq(rebound_ascii_tolower('\xc4'), '\xc4');
	ck_assert(rebound_is_wsp(' ') && rebound_is_wsp('\t'));
	ck_assert(!rebound_is_wsp('\n') && !rebound_is_wsp('\r'));
	ck_assert(rebound_is_space('\n') && rebound_is_space('\v'));
	ck_assert(!rebound_is_space('\0') && !rebound_is_space('x'));
	ck_assert(rebound_is_digit('0') && rebound_is_digit('9'));
	ck_assert(!rebound_is_digit('/') && !rebound_is_digit(':'));
}
END_TEST

static Suite *strutil_suite(void)
{
	Suite *s = suite_create("strutil");
	TCase *tc;

	tc = tcase_create("memcasemem");
	tcase_add_test(tc, memcasemem_empty_needle);
	tcase_add_test(tc, memcasemem_needle_longer_than_hay);
	tcase_add_test(tc, memcasemem_positions);
	tcase_add_test(tc, memcasemem_case);
	tcase_add_test(tc, memcasemem_partial_and_overlap);
	tcase_add_test(tc, memcasemem_respects_length);
	tcase_add_test(tc, memcasemem_binary_hay);
	tcase_add_test(tc, memcasemem_long_hays);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_add_test(tc, ascii_ieq);
	tcase_add_test(tc, ascii_nieq);
	tcase_add_test(tc, ascii_nieq_as_defined);
	tcase_add_test(tc, ascii_istarts);
	tcase_add_test(tc, ascii_istarts_all_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("inplace");
	tcase_add_test(tc, ascii_lower);
	tcase_add_test(tc, trim);
	tcase_add_test(tc, char_classes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strutil_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
