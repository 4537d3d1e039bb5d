/* check_dsn.c - unit tests for common/classify/dsn.c (RFC 3464 fields). */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/dsn.h"
#include "classify/result.h"

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

static rebound_dsn parse(const char *text)
{
	rebound_dsn d;
	ck_assert_int_eq(rebound_dsn_parse(arena, text, strlen(text), &d), 0);
	return d;
}

START_TEST(one_recipient)
{
	rebound_dsn d = parse(
		"Reporting-MTA: dns; mx1.example.org\n"
		"X-Postfix-Queue-ID: 3F2A81C04D\n"
		"Arrival-Date: Tue,  4 Mar 2025 10:12:01 +0100 (CET)\n"
		"\n"
		"Final-Recipient: rfc822; bob@example.net\n"
		"Original-Recipient: rfc822;Bob@example.net\n"
		"Action: Failed\n"
		"Status: 5.1.1\n"
		"Remote-MTA: dns; mx.example.net\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient\n"
		"    address rejected: User unknown in virtual mailbox table\n"
		"Last-Attempt-Date: Tue,  4 Mar 2025 10:12:03 +0100 (CET)\n");

	ck_assert_str_eq(d.reporting_mta, "mx1.example.org");
	ck_assert_str_eq(d.arrival_date, "Tue,  4 Mar 2025 10:12:01 +0100 (CET)");
	ck_assert_ptr_null(d.envelope_id);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "bob@example.net");
	ck_assert_str_eq(d.rcpt[0].original_rcpt, "Bob@example.net");
	/* The action is lower-cased, the status kept. */
	ck_assert_str_eq(d.rcpt[0].action, "failed");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
	ck_assert_str_eq(d.rcpt[0].remote_mta, "mx.example.net");
	/* Unfolded with one space, type stripped and kept. */
	ck_assert_str_eq(d.rcpt[0].diagnostic,
			 "550 5.1.1 <bob@example.net>: Recipient address "
			 "rejected: User unknown in virtual mailbox table");
	ck_assert_str_eq(d.rcpt[0].diagnostic_type, "smtp");
	ck_assert_str_eq(d.rcpt[0].last_attempt,
			 "Tue,  4 Mar 2025 10:12:03 +0100 (CET)");
}
END_TEST

START_TEST(three_recipients_blank_lines)
{
	rebound_dsn d = parse(
		"Reporting-MTA: dns; relay.example.com\n"
		"\n"
		"Final-Recipient: rfc822; one@example.net\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n"
		"Final-Recipient: rfc822; two@example.net\n"
		"Action: delayed\n"
		"Status: 4.4.7\n"
		"\n"
		"Final-Recipient: rfc822; three@example.org\n"
		"Action: failed\n"
		"Status: 5.2.2\n");

	ck_assert_uint_eq(d.nrcpt, 3);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "one@example.net");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
	ck_assert_str_eq(d.rcpt[1].final_rcpt, "two@example.net");
	ck_assert_str_eq(d.rcpt[1].action, "delayed");
	ck_assert_str_eq(d.rcpt[1].status, "4.4.7");
	ck_assert_str_eq(d.rcpt[2].final_rcpt, "three@example.org");
	ck_assert_str_eq(d.rcpt[2].status, "5.2.2");
	ck_assert_ptr_null(d.rcpt[2].diagnostic);
}
END_TEST

START_TEST(two_recipients_no_blank_line)
{
	rebound_dsn d = parse(
		"Reporting-MTA: dns; relay.example.com\n"
		"\n"
		"Final-Recipient: rfc822; one@example.net\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 no such user\n"
		"Final-Recipient: rfc822; two@example.net\n"
		"Action: failed\n"
		"Status: 5.2.2\n"
		"Diagnostic-Code: smtp; 552 mailbox full\n");

	ck_assert_uint_eq(d.nrcpt, 2);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "one@example.net");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
	ck_assert_str_eq(d.rcpt[0].diagnostic, "550 no such user");
	ck_assert_str_eq(d.rcpt[1].final_rcpt, "two@example.net");
	ck_assert_str_eq(d.rcpt[1].status, "5.2.2");
	ck_assert_str_eq(d.rcpt[1].diagnostic, "552 mailbox full");
}
END_TEST

START_TEST(rfc_order_no_blank_line)
{
	/* RFC 3464 puts Original-Recipient first: a repeated one starts the
	 * next recipient, and the Final-Recipient after it belongs there. */
	rebound_dsn d = parse(
		"Original-Recipient: rfc822; one@example.net\n"
		"Final-Recipient: rfc822; one@example.net\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Original-Recipient: rfc822; two@example.net\n"
		"Final-Recipient: rfc822; two@mail.example.net\n"
		"Action: failed\n"
		"Status: 5.2.1\n");

	ck_assert_uint_eq(d.nrcpt, 2);
	ck_assert_str_eq(d.rcpt[0].original_rcpt, "one@example.net");
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "one@example.net");
	ck_assert_str_eq(d.rcpt[1].original_rcpt, "two@example.net");
	ck_assert_str_eq(d.rcpt[1].final_rcpt, "two@mail.example.net");
	ck_assert_str_eq(d.rcpt[1].status, "5.2.1");
}
END_TEST

START_TEST(original_after_final)
{
	rebound_dsn d = parse(
		"Final-Recipient: rfc822; carol@mail.example.org\n"
		"Original-Recipient: rfc822; carol@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n");

	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "carol@mail.example.org");
	ck_assert_str_eq(d.rcpt[0].original_rcpt, "carol@example.org");
	ck_assert_str_eq(d.rcpt[0].action, "failed");
}
END_TEST

START_TEST(folded_diagnostic)
{
	rebound_dsn d = parse(
		"Final-Recipient: rfc822; dave@example.com\n"
		"Action: failed\n"
		"Status: 5.7.26\n"
		"Diagnostic-Code: smtp;\n"
		"  550-5.7.26 Unauthenticated email from example.org is not\n"
		"\taccepted due to domain's\n"
		"  550 5.7.26 DMARC policy.\n"
		"Status-Extra: ignored\n");

	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].diagnostic_type, "smtp");
	ck_assert_str_eq(d.rcpt[0].diagnostic,
			 "550-5.7.26 Unauthenticated email from example.org is "
			 "not accepted due to domain's 550 5.7.26 DMARC policy.");
}
END_TEST

START_TEST(type_prefixes)
{
	rebound_dsn d = parse(
		"Reporting-MTA: DNS; mx2.example.org\n"
		"Received-From-MTA: dns; client.example.com\n"
		"\n"
		"Final-Recipient: RFC822;erin@example.com\n"
		"X-Actual-Recipient: rfc822; erin.x@example.com\n"
		"Action: failed\n"
		"Status: 5.0.0\n"
		"Remote-MTA: DNS; mx.example.com\n"
		"Diagnostic-Code: X-Unix; delivery to /var/mail/erin failed\n"
		"\n"
		"Final-Recipient: frank@example.com\n"
		"Action: failed\n"
		"Status: 5.0.0\n"
		"Diagnostic-Code: no type here\n");

	ck_assert_str_eq(d.reporting_mta, "mx2.example.org");
	ck_assert_str_eq(d.received_from_mta, "client.example.com");
	ck_assert_uint_eq(d.nrcpt, 2);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "erin@example.com");
	ck_assert_str_eq(d.rcpt[0].actual_rcpt, "erin.x@example.com");
	ck_assert_str_eq(d.rcpt[0].remote_mta, "mx.example.com");
	ck_assert_str_eq(d.rcpt[0].diagnostic, "delivery to /var/mail/erin failed");
	ck_assert_str_eq(d.rcpt[0].diagnostic_type, "x-unix");
	/* A missing type leaves the value alone. */
	ck_assert_str_eq(d.rcpt[1].final_rcpt, "frank@example.com");
	ck_assert_str_eq(d.rcpt[1].diagnostic, "no type here");
	ck_assert_ptr_null(d.rcpt[1].diagnostic_type);
}
END_TEST

START_TEST(per_message_fields)
{
	rebound_dsn d = parse(
		"Original-Envelope-Id: 0A1B2C3D.campaign-77@example.com\n"
		"Reporting-MTA: dns; out.example.com\n"
		"Received-From-MTA: dns; [192.0.2.10]\n"
		"Arrival-Date: Wed, 5 Mar 2025 08:00:00 +0000\n"
		"\n"
		"Final-Recipient: rfc822; grace@example.net\n"
		"Action: failed\n"
		"Status: 5.1.2\n");

	ck_assert_str_eq(d.envelope_id, "0A1B2C3D.campaign-77@example.com");
	ck_assert_str_eq(d.reporting_mta, "out.example.com");
	ck_assert_str_eq(d.received_from_mta, "[192.0.2.10]");
	ck_assert_str_eq(d.arrival_date, "Wed, 5 Mar 2025 08:00:00 +0000");
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].status, "5.1.2");
}
END_TEST

START_TEST(field_names_any_case)
{
	rebound_dsn d = parse(
		"REPORTING-MTA: dns; a.example.org\n"
		"\n"
		"final-recipient: rfc822; heidi@example.org\n"
		"ACTION: DELAYED\n"
		"status: 4.4.1\n");

	ck_assert_str_eq(d.reporting_mta, "a.example.org");
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "heidi@example.org");
	ck_assert_str_eq(d.rcpt[0].action, "delayed");
	ck_assert_str_eq(d.rcpt[0].status, "4.4.1");
}
END_TEST

START_TEST(junk_lines)
{
	rebound_dsn d = parse(
		"This line has no colon at all\n"
		"Reporting-MTA: dns; mx.example.org\n"
		"=====\n"
		"\n"
		"Final-Recipient: rfc822; ivan@example.com\n"
		"some junk without a field name\n"
		"Bad Name: a field name with a space\n"
		"X-Vendor-Thing: 12345\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n"
		"\n"
		"-- trailing junk\n");

	ck_assert_str_eq(d.reporting_mta, "mx.example.org");
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "ivan@example.com");
	ck_assert_str_eq(d.rcpt[0].action, "failed");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
}
END_TEST

START_TEST(truncated)
{
	const char *full =
		"Reporting-MTA: dns; mx.example.org\n"
		"\n"
		"Final-Recipient: rfc822; kim@example.com\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n";
	const char *cut = strstr(full, "Status: 5.1") + strlen("Status: 5.1");
	rebound_dsn d;

	/* Cut in the middle of a value: what was read is kept. */
	ck_assert_int_eq(rebound_dsn_parse(arena, full, (size_t)(cut - full), &d), 0);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "kim@example.com");
	ck_assert_str_eq(d.rcpt[0].action, "failed");
	ck_assert_str_eq(d.rcpt[0].status, "5.1");
	ck_assert_ptr_null(d.rcpt[0].diagnostic);

	/* Cut in the middle of a field name. */
	cut = strstr(full, "Action") + 3;
	ck_assert_int_eq(rebound_dsn_parse(arena, full, (size_t)(cut - full), &d), 0);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_ptr_null(d.rcpt[0].action);

	/* Every prefix parses. */
	for (size_t n = 0; n <= strlen(full); n++)
		ck_assert_int_eq(rebound_dsn_parse(arena, full, n, &d), 0);
}
END_TEST

START_TEST(empty)
{
	rebound_dsn d;

	ck_assert_int_eq(rebound_dsn_parse(arena, "", 0, &d), 0);
	ck_assert_uint_eq(d.nrcpt, 0);
	ck_assert_ptr_null(d.reporting_mta);
	ck_assert_ptr_null(d.envelope_id);
	d = parse("\n\n\n");
	ck_assert_uint_eq(d.nrcpt, 0);
}
END_TEST

START_TEST(many_recipients_capped)
{
	/* Past the limit the rest is counted, not kept; a block that names
	   nobody is not counted. */
	enum { N = REBOUND_MAX_RCPT + 7 };
	size_t cap = (size_t)N * 80 + 200, o = 0;
	char *text = malloc(cap);
	rebound_dsn d;

	ck_assert_ptr_nonnull(text);
	o += (size_t)snprintf(text, cap, "Reporting-MTA: dns; mx.example.org\n\n");
	for (int i = 0; i < N; i++)
		o += (size_t)snprintf(text + o, cap - o,
				      "Final-Recipient: rfc822; u%d@example.com\n"
				      "Action: failed\nStatus: 5.1.1\n\n", i);
	o += (size_t)snprintf(text + o, cap - o, "Action: failed\n\n");
	ck_assert_int_eq(rebound_dsn_parse(arena, text, o, &d), 0);
	ck_assert_uint_eq(d.nrcpt, REBOUND_MAX_RCPT);
	ck_assert_uint_eq(d.ndropped, 7);
	/* The first ones are kept, in order. */
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "u0@example.com");
	ck_assert_str_eq(d.rcpt[1500].final_rcpt, "u1500@example.com");
	ck_assert_str_eq(d.rcpt[REBOUND_MAX_RCPT - 1].final_rcpt,
			 "u99999@example.com");
	ck_assert_str_eq(d.rcpt[REBOUND_MAX_RCPT - 1].status, "5.1.1");
	/* Under the limit nothing is dropped. */
	o = 0;
	for (int i = 0; i < 1500; i++)
		o += (size_t)snprintf(text + o, cap - o,
				      "Final-Recipient: rfc822; u%d@example.com\n"
				      "Action: failed\n\n", i);
	ck_assert_int_eq(rebound_dsn_parse(arena, text, o, &d), 0);
	ck_assert_uint_eq(d.nrcpt, 1500);
	ck_assert_uint_eq(d.ndropped, 0);
	free(text);
}
END_TEST

START_TEST(arena_spent)
{
	/* A tiny budget: never a crash; a recipient the arena cannot keep
	   is counted (or the parse fails with -1). */
	rebound_arena *small = rebound_arena_new(64);
	rebound_dsn d;
	const char *text = "Final-Recipient: rfc822; a-rather-long-local-part@example.com\n"
			   "Action: failed\nStatus: 5.1.1\n"
			   "Diagnostic-Code: smtp; 550 5.1.1 a long diagnostic "
			   "text that does not fit in sixty-four bytes\n";

	ck_assert_ptr_nonnull(small);
	int rc = rebound_dsn_parse(small, text, strlen(text), &d);
	ck_assert(rc == -1 || (d.nrcpt == 0 && d.ndropped == 1));
	rebound_arena_free(small);
}
END_TEST

/* A new recipient starts at a blank line: a block of fields that names
 * no recipient is dropped and lends nothing to the next one. */
START_TEST(dsn_block_without_recipient)
{
	const char *text = "Action: failed\n"
			   "Status: 5.0.0\n"
			   "\n"
			   "Final-Recipient: rfc822; judy@example.com\n"
			   "Action: failed\n"
			   "Status: 5.1.1\n";
	rebound_dsn d;

	ck_assert_int_eq(rebound_dsn_parse(arena, text, strlen(text), &d), 0);
	ck_assert_uint_eq(d.nrcpt, 1);
	ck_assert_str_eq(d.rcpt[0].final_rcpt, "judy@example.com");
	ck_assert_str_eq(d.rcpt[0].status, "5.1.1");
}
END_TEST

static Suite *dsn_suite(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_recipient);
	tcase_add_test(tc, three_recipients_blank_lines);
	tcase_add_test(tc, two_recipients_no_blank_line);
	tcase_add_test(tc, rfc_order_no_blank_line);
	tcase_add_test(tc, original_after_final);
	tcase_add_test(tc, folded_diagnostic);
	tcase_add_test(tc, type_prefixes);
	tcase_add_test(tc, per_message_fields);
	tcase_add_test(tc, field_names_any_case);
	tcase_add_test(tc, junk_lines);
	tcase_add_test(tc, dsn_block_without_recipient);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, empty);
	tcase_add_test(tc, many_recipients_capped);
	tcase_add_test(tc, arena_spent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dsn_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
