/* check_detect.c - the phrase tables of common/classify/detect.c against
 * tests/fixtures/rules/detect.tsv: every entry of every table is matched
 * by at least one realistic line of its table (a subject, a sentence of
 * a notice, a From header, a diagnostic), and the ordinary-mail lines
 * marked "not:" match nothing in theirs.  Lines are normalised the way
 * the classifier normalises what it looks up. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/arena.h"
#include "classify/detect.h"
#include "classify/gateway.h"
#include "classify/matcher.h"
#include "rules_fixture.h"

#define FIXTURE "detect.tsv"
/* Ordinary-mail lines each table needs at least. */
#define MIN_NEGATIVE 3

typedef const char *(*lookup_fn)(const char *norm, size_t len);

static const lookup_fn lookups[REBOUND_DETECT_NTABLES] = {
	[REBOUND_DETECT_BOUNCE_SUBJECT] = rebound_detect_bounce_subject,
	[REBOUND_DETECT_BOUNCE_BODY] = rebound_detect_bounce_body,
	[REBOUND_DETECT_DELAY_BODY] = rebound_detect_delay_body,
	[REBOUND_DETECT_AUTOREPLY_SUBJECT] = rebound_detect_autoreply_subject,
	[REBOUND_DETECT_SYSTEM_SENDER] = rebound_detect_system_sender,
	[REBOUND_DETECT_GATEWAY] = rebound_detect_gateway,
	[REBOUND_DETECT_COMPLAINT_SUBJECT] = rebound_detect_complaint_subject,
	[REBOUND_DETECT_POLICY_WORDS] = rebound_detect_policy_words,
};

/* The table a fixture line names; *negative set for "not:NAME". */
static rebound_detect_table table_of(const tsv_file *f, const tsv_line *l,
				     bool *negative)
{
	const char *name = l->field[0];
	*negative = strncmp(name, "not:", 4) == 0;
	if (*negative)
		name += 4;
	for (int t = 0; t < REBOUND_DETECT_NTABLES; t++) {
		const char *tn;
		rebound_detect_entries((rebound_detect_table)t, NULL, &tn);
		if (strcmp(name, tn) == 0)
			return (rebound_detect_table)t;
	}
	ck_abort_msg("%s:%u: unknown table \"%s\"", f->path, l->lineno,
		     l->field[0]);
	return REBOUND_DETECT_NTABLES;
}

static char *norm_of(rebound_arena *arena, const char *text, size_t *n)
{
	char *norm = rebound_matcher_normalise(arena, text, strlen(text), n);
	ck_assert_ptr_nonnull(norm);
	return norm;
}

/* --- the tables themselves ------------------------------------------------ */

START_TEST(tables_well_formed)
{
	for (int t = 0; t < REBOUND_DETECT_NTABLES; t++) {
		size_t n;
		const char *name;
		const char *const *e =
			rebound_detect_entries((rebound_detect_table)t, &n, &name);
		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_nonnull(name);
		ck_assert_uint_gt(n, 0);
		for (size_t i = 0; i < n; i++) {
			const char *p = e[i];
			ck_assert_msg(*p != '\0', "%s entry %zu: empty", name, i);
			/* Looked up in normalised text: lower-case ASCII,
			   single spaces, none at either end; detect.c builds
			   its matchers without gaps, so no '*' either. */
			for (const char *c = p; *c != '\0'; c++) {
				ck_assert_msg(!(*c >= 'A' && *c <= 'Z'),
					      "%s entry %zu: upper case in \"%s\"",
					      name, i, p);
				ck_assert_msg(*c != '\t' && *c != '\n' &&
					      *c != '\r' && *c != '*',
					      "%s entry %zu: bad byte in \"%s\"",
					      name, i, p);
				ck_assert_msg(!(c[0] == ' ' && c[1] == ' '),
					      "%s entry %zu: double space in \"%s\"",
					      name, i, p);
			}
			ck_assert_msg(p[0] != ' ' && p[strlen(p) - 1] != ' ',
				      "%s entry %zu: space at an end of \"%s\"",
				      name, i, p);
			for (size_t j = 0; j < i; j++)
				ck_assert_msg(strcmp(e[j], p) != 0,
					      "%s entries %zu and %zu: both \"%s\"",
					      name, j, i, p);
		}
		rebound_matcher *m = rebound_matcher_build(e, n, 0);
		ck_assert_msg(m != NULL, "%s: does not compile", name);
		rebound_matcher_free(m);
	}
	ck_assert_ptr_null(rebound_detect_entries(REBOUND_DETECT_NTABLES,
						  NULL, NULL));
}
END_TEST

/* --- every line ----------------------------------------------------------- */

START_TEST(fixture_lines)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t bad = 0;
	size_t neg[REBOUND_DETECT_NTABLES] = { 0 };

	ck_assert_ptr_nonnull(arena);
	tsv_load(&f, FIXTURE);
	ck_assert_uint_gt(f.n, 0);
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 2 && *l->field[1] != '\0',
			      "%s:%u: want TABLE<TAB>text", f.path, l->lineno);
		bool negative;
		rebound_detect_table t = table_of(&f, l, &negative);
		const char *name;
		rebound_detect_entries(t, NULL, &name);
		size_t n;
		char *norm = norm_of(arena, l->field[1], &n);
		const char *hit = lookups[t](norm, n);

		if (negative) {
			neg[t]++;
			if (hit != NULL) {
				fprintf(stderr, "%s:%u: ordinary %s \"%s\" "
					"matches entry \"%s\"\n", f.path,
					l->lineno, name, l->field[1], hit);
				bad++;
			}
		} else if (hit == NULL) {
			fprintf(stderr, "%s:%u: %s \"%s\" matches no entry\n",
				f.path, l->lineno, name, l->field[1]);
			bad++;
		} else if (t == REBOUND_DETECT_AUTOREPLY_SUBJECT &&
			   strncmp(norm, hit, strlen(hit)) != 0) {
			/* The classifier takes an auto-reply subject only
			   when the entry found starts it. */
			fprintf(stderr, "%s:%u: %s \"%s\": entry \"%s\" does "
				"not start it\n", f.path, l->lineno, name,
				l->field[1], hit);
			bad++;
		}

		/* The one-scan body lookup answers as the three tables. */
		if (t == REBOUND_DETECT_BOUNCE_BODY ||
		    t == REBOUND_DETECT_DELAY_BODY ||
		    t == REBOUND_DETECT_GATEWAY) {
			rebound_body_evidence ev;
			rebound_detect_body(norm, n, &ev);
			const char *b = rebound_detect_bounce_body(norm, n);
			const char *d = rebound_detect_delay_body(norm, n);
			const char *g = rebound_detect_gateway(norm, n);
			if (ev.bounce != b || ev.delay != d || ev.gateway != g) {
				fprintf(stderr, "%s:%u: rebound_detect_body "
					"differs from the tables on \"%s\"\n",
					f.path, l->lineno, l->field[1]);
				bad++;
			}
		}
		rebound_arena_reset(arena);
	}
	for (int t = 0; t < REBOUND_DETECT_NTABLES; t++) {
		const char *name;
		rebound_detect_entries((rebound_detect_table)t, NULL, &name);
		if (neg[t] < MIN_NEGATIVE) {
			fprintf(stderr, "%s: %zu not:%s line(s), want %d or "
				"more\n", f.path, neg[t], name, MIN_NEGATIVE);
			bad++;
		}
	}
	tsv_free(&f);
	rebound_arena_free(arena);
	ck_assert_msg(bad == 0, "%zu problem(s) in " FIXTURE " (see above)",
		      bad);
}
END_TEST

/* --- every entry ---------------------------------------------------------- */

static bool mark(size_t id, void *ctx)
{
	bool *covered = ctx;
	covered[id] = true;
	return true;
}

START_TEST(entry_coverage)
{
	tsv_file f;
	rebound_arena *arena = rebound_arena_new(0);
	size_t missing = 0;

	ck_assert_ptr_nonnull(arena);
	tsv_load(&f, FIXTURE);
	for (int t = 0; t < REBOUND_DETECT_NTABLES; t++) {
		size_t count;
		const char *name;
		const char *const *e =
			rebound_detect_entries((rebound_detect_table)t, &count,
					       &name);
		rebound_matcher *m = rebound_matcher_build(e, count, 0);
		bool *covered = calloc(count, sizeof(*covered));

		ck_assert_ptr_nonnull(m);
		ck_assert_ptr_nonnull(covered);
		/* Every entry a positive line of this table holds, not only
		   the first: an entry shadowed by an earlier one still has
		   to be right about real text. */
		for (size_t i = 0; i < f.n; i++) {
			const tsv_line *l = &f.lines[i];
			if (l->nfield != 2 || strcmp(l->field[0], name) != 0)
				continue;
			size_t n;
			char *norm = norm_of(arena, l->field[1], &n);
			rebound_matcher_each(m, norm, n, mark, covered);
			rebound_arena_reset(arena);
		}
		for (size_t j = 0; j < count; j++)
			if (!covered[j]) {
				fprintf(stderr, "%s: no %s line matches "
					"common/classify/detect.c entry %zu \"%s\"\n",
					f.path, name, j, e[j]);
				missing++;
			}
		free(covered);
		rebound_matcher_free(m);
	}
	tsv_free(&f);
	rebound_arena_free(arena);
	ck_assert_msg(missing == 0, "%zu detect.c entr%s without a fixture "
		      "line (see above)", missing, missing == 1 ? "y" : "ies");
}
END_TEST

/* --- the hosts of filtering services (gateway.c) ------------------------- */

START_TEST(gateway_hosts)
{
	tsv_file f;
	size_t n, bad = 0;
	const rebound_gateway_host *table = rebound_gateway_hosts(&n);
	bool *covered = calloc(n, sizeof(*covered));

	ck_assert_ptr_nonnull(covered);
	tsv_load(&f, "gateway-hosts.tsv");
	for (size_t i = 0; i < f.n; i++) {
		const tsv_line *l = &f.lines[i];
		ck_assert_msg(l->nfield == 2, "%s:%u: want HOST<TAB>SERVICE",
			      f.path, l->lineno);
		const char *host = l->field[0], *want = l->field[1];
		const char *got = rebound_gateway_of_host(host, strlen(host));
		bool none = strcmp(want, "-") == 0;
		if (none ? got != NULL : got == NULL || strcmp(got, want) != 0) {
			fprintf(stderr, "%s:%u: %s is %s, want %s\n", f.path,
				l->lineno, host, got != NULL ? got : "-", want);
			bad++;
		}
		/* The same host named inside a notice's text. */
		char text[512];
		snprintf(text, sizeof text, "<x@example.org>: host %s[192.0.2.1] "
			 "said: 550 5.1.1 User unknown", host);
		const char *in_text = rebound_gateway_in_text(text, strlen(text),
							      NULL, NULL);
		if ((in_text == NULL) != (got == NULL)) {
			fprintf(stderr, "%s:%u: %s not found in a diagnostic\n",
				f.path, l->lineno, host);
			bad++;
		}
		for (size_t k = 0; got != NULL && k < n; k++) {
			size_t sl = strlen(table[k].suffix), hl = strlen(host);
			while (hl > 0 && host[hl - 1] == '.')
				hl--;
			if (hl >= sl && strncasecmp(host + hl - sl,
						    table[k].suffix, sl) == 0)
				covered[k] = true;
		}
	}
	for (size_t k = 0; k < n; k++) {
		ck_assert_msg(table[k].source != NULL && *table[k].source != '\0',
			      "gateway host %s: no source", table[k].suffix);
		if (!covered[k]) {
			fprintf(stderr, "%s: no host of %s (%s)\n", f.path,
				table[k].suffix, table[k].service);
			bad++;
		}
	}
	/* A recipient's domain is not a host that answered. */
	const char *addr = "550 5.1.1 <x@mx1.corp.iphmx.com>: User unknown";
	ck_assert_ptr_null(rebound_gateway_in_text(addr, strlen(addr), NULL,
						   NULL));
	tsv_free(&f);
	free(covered);
	ck_assert_msg(bad == 0, "%zu problem(s) in gateway-hosts.tsv", bad);
}
END_TEST

static Suite *detect_suite(void)
{
	Suite *s = suite_create("detect");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, tables_well_formed);
	tcase_add_test(tc, fixture_lines);
	tcase_add_test(tc, entry_coverage);
	tcase_add_test(tc, gateway_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(detect_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_detect_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
