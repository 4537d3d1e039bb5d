/* check_textbounce.c - the text-notice reader's tables: every line of
 * tests/fixtures/rules/original-markers.tsv starts (or does not start) the
 * returned copy as it says, the copy's addresses are not recipients, and
 * every table entry is covered by a line. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "rules_fixture.h"
#include "classify/textbounce.h"

/* A notice for bob@example.org, then `copy` (the start of a copy naming
 * carol@example.net and dave@example.net). */
static const char intro[] =
	"Your message could not be delivered to one or more recipients.\n"
	"\n"
	"<bob@example.org>: 550 5.1.1 user unknown\n"
	"\n";

static void check_copy_starts(rebound_arena *arena, const char *copy,
			      const char *what, unsigned lineno)
{
	char text[1024];
	int n = snprintf(text, sizeof text, "%s%s"
			 "Cc: carol@example.net, dave@example.net\n\nHello\n",
			 intro, copy);
	ck_assert(n > 0 && (size_t)n < sizeof text);
	rebound_text_scan ts;
	ck_assert_int_eq(rebound_textbounce_scan(arena, text, (size_t)n, NULL,
						 0, &ts), 0);
	ck_assert_msg(ts.original_at == sizeof(intro) - 1,
		      "line %u (%s): copy found at %zu, want %zu", lineno, what,
		      ts.original_at, sizeof(intro) - 1);
	ck_assert_msg(ts.nrcpt == 1 &&
		      strcmp(ts.rcpt[0].address, "bob@example.org") == 0,
		      "line %u (%s): %zu recipients", lineno, what, ts.nrcpt);
}

START_TEST(markers_and_headers)
{
	tsv_file t;
	tsv_load(&t, "original-markers.tsv");
	rebound_arena *arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
	size_t nmark, nhead;
	rebound_textbounce_marker_text(0, &nmark);
	rebound_textbounce_copy_header_name(0, &nhead);
	bool *mark_hit = calloc(nmark, sizeof(bool));
	bool *head_hit = calloc(nhead, sizeof(bool));
	size_t nrh;
	rebound_textbounce_copy_recipient_header_name(0, &nrh);
	bool *rcpt_hit = calloc(nrh, sizeof(bool));
	ck_assert(mark_hit != NULL && head_hit != NULL && rcpt_hit != NULL);

	for (size_t i = 0; i < t.n; i++) {
		const tsv_line *l = &t.lines[i];
		ck_assert_msg(l->nfield == 2, "%s:%u: want 2 fields", t.path,
			      l->lineno);
		const char *kind = l->field[0], *line = l->field[1];
		size_t len = strlen(line);
		long m = rebound_textbounce_marker(line, len);
		bool h = rebound_textbounce_copy_header(line, len) >= 0;
		if (strcmp(kind, "marker") == 0) {
			ck_assert_msg(m >= 0, "%s:%u: not a marker", t.path,
				      l->lineno);
			mark_hit[m] = true;
			char copy[512];
			snprintf(copy, sizeof copy, "%s\n", line);
			check_copy_starts(arena, copy, "marker", l->lineno);
		} else if (strcmp(kind, "header") == 0) {
			ck_assert_msg(h && m < 0, "%s:%u: not a header line",
				      t.path, l->lineno);
			long k = rebound_textbounce_copy_header(line, len);
			head_hit[k] = true;
			/* three header lines after a blank line: a copy */
			char copy[1024];
			snprintf(copy, sizeof copy, "%s\n%s\n%s\n", line, line,
				 line);
			check_copy_starts(arena, copy, "header", l->lineno);
		} else if (strcmp(kind, "rcpt") == 0) {
			/* a recipient line of an inline copy: its address
			   is read, its header name covered */
			long k = rebound_textbounce_copy_recipient_header(line, len);
			ck_assert_msg(k >= 0, "%s:%u: not a recipient line",
				      t.path, l->lineno);
			rcpt_hit[k] = true;
			char copy[512];
			int cl = snprintf(copy, sizeof copy,
					  "----- Original message -----\n"
					  "Subject: x\n%s\n\nbody\n", line);
			const char *v[4];
			bool cc;
			size_t nv = rebound_textbounce_copy_recipients(
				arena, copy, (size_t)cl, 0, v, 4, &cc);
			ck_assert_msg(nv == 1 && strstr(line, v[0]) != NULL,
				      "%s:%u: %zu addresses read", t.path,
				      l->lineno, nv);
		} else {
			ck_assert_msg(strcmp(kind, "not") == 0,
				      "%s:%u: unknown kind %s", t.path,
				      l->lineno, kind);
			ck_assert_msg(m < 0 && !h, "%s:%u: taken for a copy",
				      t.path, l->lineno);
		}
	}
	/* Every marker read far enough to see a summary word after it
	   ("<marker> (informationen)": a summary, not the copy). */
	for (size_t k = 0; k < nmark; k++) {
		size_t dummy;
		char line[256];
		snprintf(line, sizeof line, "-- %s (informationen) --",
			 rebound_textbounce_marker_text(k, &dummy));
		ck_assert_msg(rebound_textbounce_marker(line, strlen(line)) < 0,
			      "\"%s\" taken for a copy", line);
	}
	unsigned missing = 0;
	for (size_t k = 0; k < nmark; k++)
		if (!mark_hit[k]) {
			size_t dummy;
			fprintf(stderr, "marker \"%s\" has no line\n",
				rebound_textbounce_marker_text(k, &dummy));
			missing++;
		}
	for (size_t k = 0; k < nhead; k++)
		if (!head_hit[k]) {
			size_t dummy;
			fprintf(stderr, "header \"%s\" has no line\n",
				rebound_textbounce_copy_header_name(k, &dummy));
			missing++;
		}
	for (size_t k = 0; k < nrh; k++)
		if (!rcpt_hit[k]) {
			size_t dummy;
			fprintf(stderr, "recipient header \"%s\" has no line\n",
				rebound_textbounce_copy_recipient_header_name(k, &dummy));
			missing++;
		}
	ck_assert_msg(missing == 0, "%u table entries without a line",
		      missing);
	free(rcpt_hit);
	free(mark_hit);
	free(head_hit);
	rebound_arena_free(arena);
	tsv_free(&t);
}
END_TEST

/* Postfix wraps a long line after "(expanded from": the alias on the
 * folded line is how the recipient was reached, not a second recipient,
 * and the error after it is the recipient's. */
START_TEST(folded_alias_is_not_a_recipient)
{
	static const char text[] =
		"This is the mail system at host mx.example.com.\n"
		"\n"
		"<carol.jones@mx.example.org> (expanded from\n"
		"    <carol@example.org>): temporary failure. Command output:\n"
		"    Quota exceeded\n"
		"\n"
		"<dave@example.net>: host mx.example.net[192.0.2.8] said:\n"
		"    550 5.1.1 <dave@example.net>: Recipient address\n"
		"    rejected: User unknown (in reply to RCPT TO command)\n";
	rebound_arena *arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
	rebound_text_scan ts;
	ck_assert_int_eq(rebound_textbounce_scan(arena, text, sizeof text - 1,
						 NULL, 0, &ts), 0);
	ck_assert_uint_eq(ts.nrcpt, 2);
	ck_assert_str_eq(ts.rcpt[0].address, "carol.jones@mx.example.org");
	ck_assert_ptr_nonnull(strstr(ts.rcpt[0].block, "Quota exceeded"));
	ck_assert_str_eq(ts.rcpt[1].address, "dave@example.net");
	/* Only words that END the line before count: a sender named
	   earlier on it leaves the folded address a recipient. */
	static const char named_before[] =
		"Mail of sender e@example.com failed for:\n"
		"    <frank@example.org>: 550 5.1.1 user unknown\n";
	ck_assert_int_eq(rebound_textbounce_scan(arena, named_before,
						 sizeof named_before - 1,
						 NULL, 0, &ts), 0);
	ck_assert_uint_eq(ts.nrcpt, 1);
	ck_assert_str_eq(ts.rcpt[0].address, "frank@example.org");
	rebound_arena_free(arena);
}
END_TEST

static Suite *textbounce_suite(void)
{
	Suite *s = suite_create("textbounce");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, markers_and_headers);
	tcase_add_test(tc, folded_alias_is_not_a_recipient);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(textbounce_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
