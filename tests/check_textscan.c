/* check_textscan.c - unit tests for common/classify/textscan.c: enhanced status
 * codes and SMTP reply codes in free text. */
#include "rebound-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "classify/textscan.h"

/* The status found in s, or "" when none. */
static const char *status_in(const char *s)
{
	static char out[16];
	if (!rebound_find_status(s, strlen(s), out))
		return "";
	return out;
}

static const char *reply_in(const char *s, bool with_success)
{
	static char out[4];
	if (!rebound_find_reply(s, strlen(s), with_success, out))
		return "";
	return out;
}

/* --- rebound_find_status -------------------------------------------------- */

START_TEST(status_found)
{
	ck_assert_str_eq(status_in("550 5.1.1 <bob@example.com>: User unknown"),
			 "5.1.1");
	ck_assert_str_eq(status_in("5.1.1"), "5.1.1");
	ck_assert_str_eq(status_in("421-4.7.26 This mail has been rate limited"),
			 "4.7.26");
	ck_assert_str_eq(status_in("550 5.1.351 Remote server returned error"),
			 "5.1.351");
	ck_assert_str_eq(status_in("smtp; 250 2.0.0 Ok: queued"), "2.0.0");
	/* In brackets, parentheses, at the end of a sentence. */
	ck_assert_str_eq(status_in("rejected (#5.7.1)"), "5.7.1");
	ck_assert_str_eq(status_in("[4.2.2] quota"), "4.2.2");
	ck_assert_str_eq(status_in("the status was 5.2.2."), "5.2.2");
	/* The first of several. */
	ck_assert_str_eq(status_in("4.4.1 then 5.4.7"), "4.4.1");
}
END_TEST

START_TEST(status_not_numbers)
{
	char out[16] = "unchanged";

	/* Addresses and versions are not status codes. */
	ck_assert_str_eq(status_in("connect to 192.0.2.1: timed out"), "");
	ck_assert_str_eq(status_in("from [198.51.100.23]"), "");
	ck_assert_str_eq(status_in("Postfix 1.2.3.4 here"), "");
	ck_assert_str_eq(status_in("Exim 4.96.1.2"), "");
	ck_assert_str_eq(status_in("version 15.1.1"), "");
	ck_assert_str_eq(status_in("build 5.1.1.4"), "");
	/* Classes other than 2, 4 and 5; incomplete codes. */
	ck_assert_str_eq(status_in("3.1.1 and 6.1.1"), "");
	ck_assert_str_eq(status_in("code 5.1 only"), "");
	ck_assert_str_eq(status_in("5..1"), "");
	ck_assert_str_eq(status_in("5.1."), "");
	/* Parts of more than three digits. */
	ck_assert_str_eq(status_in("5.1234.1"), "");
	ck_assert_str_eq(status_in("5.1.1234"), "");
	ck_assert_str_eq(status_in(""), "");
	/* An IP address first, then a real code. */
	ck_assert_str_eq(status_in("[192.0.2.1] said: 550 5.7.1 denied"), "5.7.1");
	ck_assert(!rebound_find_status("", 0, out));
}
END_TEST

START_TEST(status_respects_length)
{
	char out[16];

	/* s[0..3) is "5.1": the rest lies past the length. */
	ck_assert(!rebound_find_status("5.1.1", 3, out));
	ck_assert(rebound_find_status("5.1.1", 5, out));
	ck_assert_str_eq(out, "5.1.1");
	/* Cutting "5.1.12" after "5.1.1" gives "5.1.1". */
	ck_assert(rebound_find_status("5.1.12", 5, out));
	ck_assert_str_eq(out, "5.1.1");
}
END_TEST

/* --- rebound_status_valid ------------------------------------------------- */

START_TEST(status_valid)
{
	ck_assert(rebound_status_valid("5.1.1"));
	ck_assert(rebound_status_valid("4.7.26"));
	ck_assert(rebound_status_valid("2.0.0"));
	ck_assert(rebound_status_valid("5.123.456"));
	ck_assert(!rebound_status_valid("5.1"));
	ck_assert(!rebound_status_valid("5.1.1 "));
	ck_assert(!rebound_status_valid(" 5.1.1"));
	ck_assert(!rebound_status_valid("5.1.1.1"));
	ck_assert(!rebound_status_valid("3.1.1"));
	ck_assert(!rebound_status_valid("5.1.1234"));
	ck_assert(!rebound_status_valid("550"));
	ck_assert(!rebound_status_valid("5.1.1 user unknown"));
}
END_TEST

/* --- rebound_find_reply --------------------------------------------------- */

START_TEST(reply_found)
{
	ck_assert_str_eq(reply_in("550 5.1.1 <bob@example.com>: User unknown", false),
			 "550");
	ck_assert_str_eq(reply_in("550-5.7.1 [192.0.2.1] blocked", false), "550");
	ck_assert_str_eq(reply_in("host mx.example.net said: 554: denied", false),
			 "554");
	ck_assert_str_eq(reply_in("550:", false), "550");
	ck_assert_str_eq(reply_in("remote said 421", false), "421");
	ck_assert_str_eq(reply_in("452 4.2.2 over quota", false), "452");
	/* Second digit 0-5. */
	ck_assert_str_eq(reply_in("501 syntax", false), "501");
	ck_assert_str_eq(reply_in("554 5.7.1", false), "554");
}
END_TEST

START_TEST(reply_not_found)
{
	/* Part of a longer number. */
	ck_assert_str_eq(reply_in("ticket 3550 opened", false), "");
	ck_assert_str_eq(reply_in("5500 bytes", false), "");
	ck_assert_str_eq(reply_in("550x", false), "");
	/* 3xx is never a failure nor a success of delivery. */
	ck_assert_str_eq(reply_in("354 End data with <CR><LF>.<CR><LF>", false), "");
	ck_assert_str_eq(reply_in("354 End data with <CR><LF>.<CR><LF>", true), "");
	/* Second digit beyond 5. */
	ck_assert_str_eq(reply_in("560 no", false), "");
	ck_assert_str_eq(reply_in("591 no", false), "");
	ck_assert_str_eq(reply_in("470 no", false), "");
	/* Out of range first digits, and no digits at all. */
	ck_assert_str_eq(reply_in("150 opening", false), "");
	ck_assert_str_eq(reply_in("650 nope", false), "");
	ck_assert_str_eq(reply_in("", false), "");
	ck_assert_str_eq(reply_in("55", false), "");
	/* A status code is not a reply code. */
	ck_assert_str_eq(reply_in("5.5.0", false), "");
}
END_TEST

START_TEST(reply_success)
{
	/* 2xx only when asked for ... */
	ck_assert_str_eq(reply_in("250 2.0.0 Ok: queued as 4B7C1", false), "");
	ck_assert_str_eq(reply_in("250 2.0.0 Ok: queued as 4B7C1", true), "250");
	/* ... and skipped, not stopping the scan, otherwise. */
	ck_assert_str_eq(reply_in("220 mx.example.org ESMTP ready; 550 5.1.1 no",
				  false), "550");
	ck_assert_str_eq(reply_in("220 mx.example.org ESMTP ready; 550 5.1.1 no",
				  true), "220");
	/* A failure reply is found with_success too. */
	ck_assert_str_eq(reply_in("550 5.1.1 no", true), "550");
}
END_TEST

START_TEST(reply_respects_length)
{
	char out[4];

	ck_assert(!rebound_find_reply("550", 2, false, out));
	/* "5501" cut after "550": the code ends the text. */
	ck_assert(rebound_find_reply("5501", 3, false, out));
	ck_assert_str_eq(out, "550");
}
END_TEST

/* The empty string is not a status code. */
START_TEST(status_valid_empty)
{
	ck_assert(!rebound_status_valid(""));
}
END_TEST

static Suite *textscan_suite(void)
{
	Suite *s = suite_create("textscan");
	TCase *tc;

	tc = tcase_create("status");
	tcase_add_test(tc, status_found);
	tcase_add_test(tc, status_not_numbers);
	tcase_add_test(tc, status_respects_length);
	tcase_add_test(tc, status_valid);
	tcase_add_test(tc, status_valid_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_test(tc, reply_found);
	tcase_add_test(tc, reply_not_found);
	tcase_add_test(tc, reply_success);
	tcase_add_test(tc, reply_respects_length);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(textscan_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
