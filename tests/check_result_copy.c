/* check_result_copy.c - rebound_result_copy() (common/classify/result.c):
 * the copy the Dovecot plugin keeps from the save to the commit must equal
 * the classifier's result and must not depend on the arena it came from. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "classify/result.h"

static char *slurp(const char *rel, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".", rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		ck_abort_msg("cannot open %s", path);
	char *buf = malloc(1024 * 1024);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 1024 * 1024, f);
	fclose(f);
	return buf;
}

static void same_str(const char *what, const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		ck_assert_msg(a == b, "%s: %s vs %s", what, a ? a : "NULL",
			      b ? b : "NULL");
	else
		ck_assert_msg(strcmp(a, b) == 0, "%s: '%s' vs '%s'", what, a, b);
}

/* Classify `rel` twice: a reference result, and one that is copied and
 * whose arena is then freed; the copy must equal the reference. */
static void check_file(const char *rel)
{
	size_t len;
	char *buf = slurp(rel, &len);
	rebound_arena *ref_arena = rebound_arena_new(0);
	rebound_arena *scratch = rebound_arena_new(0);
	rebound_arena *keep = rebound_arena_new(64 * 1024);
	rebound_result *ref, *res, *copy;

	ck_assert_int_eq(rebound_classify(ref_arena, buf, len, NULL, &ref), 0);
	ck_assert_int_eq(rebound_classify(scratch, buf, len, NULL, &res), 0);
	copy = rebound_result_copy(keep, res);
	ck_assert_ptr_nonnull(copy);
	rebound_arena_free(scratch);	/* what the copy must outlive */
	free(buf);

	ck_assert_int_eq(copy->cls, ref->cls);
	ck_assert_uint_eq(copy->msg_flags, ref->msg_flags);
	ck_assert_uint_eq(copy->rcpt_total, ref->rcpt_total);
	same_str("format", copy->format, ref->format);
	same_str("evidence", copy->evidence, ref->evidence);
	same_str("reporting_mta", copy->reporting_mta, ref->reporting_mta);
	same_str("gateway", copy->gateway, ref->gateway);
	same_str("message_id", copy->message_id, ref->message_id);
	same_str("orig_message_id", copy->orig_message_id, ref->orig_message_id);
	same_str("envelope_id", copy->envelope_id, ref->envelope_id);
	same_str("campaign", copy->campaign, ref->campaign);
	same_str("sender_domain", copy->sender_domain, ref->sender_domain);
	same_str("verp_recipient", copy->verp_recipient, ref->verp_recipient);
	ck_assert_uint_eq(copy->nrcpt, ref->nrcpt);
	for (size_t i = 0; i < ref->nrcpt; i++) {
		const rebound_recipient *c = &copy->rcpt[i], *r = &ref->rcpt[i];
		same_str("address", c->address, r->address);
		ck_assert_int_eq(c->action, r->action);
		same_str("status", c->status, r->status);
		same_str("reply_code", c->reply_code, r->reply_code);
		ck_assert_int_eq(c->reason, r->reason);
		ck_assert_int_eq(c->hard, r->hard);
		ck_assert_int_eq(c->suspect, r->suspect);
		ck_assert_int_eq(c->status_derived, r->status_derived);
		same_str("suspect_why", c->suspect_why, r->suspect_why);
		same_str("diagnostic", c->diagnostic, r->diagnostic);
		same_str("remote_mta", c->remote_mta, r->remote_mta);
		same_str("rule", c->rule, r->rule);
	}
	rebound_arena_free(ref_arena);
	rebound_arena_free(keep);
}

START_TEST(copies_equal_the_result)
{
	static const char *const files[] = {
		"tests/fixtures/dovecot/mimecast-notice.eml",
		"tests/fixtures/dovecot/dsn.eml",
		"tests/fixtures/dovecot/ordinary.eml",
		"samples/multi-recipient.eml",
		"samples/delayed-4.4.1.eml",
		"samples/gateway-notice.eml",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		check_file(files[i]);
}
END_TEST

/* The copy is field by field; a field added to result.h must be added
 * there too (or deliberately left out), and to the spool's encoding
 * (common/ledger/ledger-spool.c) when recording reads it.  The sizes are
 * those of LP64. */
START_TEST(result_layout_unchanged)
{
	if (sizeof(void *) != 8)
		return;
	ck_assert_msg(sizeof(rebound_result) == 120 &&
		      sizeof(rebound_recipient) == 72,
		      "result.h changed (%zu, %zu): update rebound_result_copy() "
		      "in common/classify/result.c (and the spool's fields in "
		      "common/ledger/ledger-spool.c if recording reads it) and "
		      "these sizes", sizeof(rebound_result),
		      sizeof(rebound_recipient));
}
END_TEST

START_TEST(spent_arena_gives_null)
{
	size_t len;
	char *buf = slurp("tests/fixtures/dovecot/mimecast-notice.eml", &len);
	rebound_arena *scratch = rebound_arena_new(0);
	rebound_arena *tiny = rebound_arena_new(64);
	rebound_result *res;

	ck_assert_int_eq(rebound_classify(scratch, buf, len, NULL, &res), 0);
	ck_assert_uint_gt(res->nrcpt, 0);
	ck_assert_ptr_null(rebound_result_copy(tiny, res));
	rebound_arena_free(tiny);
	rebound_arena_free(scratch);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("result_copy");
	TCase *tc = tcase_create("copy");
	tcase_add_test(tc, copies_equal_the_result);
	tcase_add_test(tc, result_layout_unchanged);
	tcase_add_test(tc, spent_arena_gives_null);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
