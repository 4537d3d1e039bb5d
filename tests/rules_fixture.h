/* rules_fixture.h - helpers shared by the tests of the rule tables
 * (check_rules.c, check_regressions.c, check_classify.c, ...):
 * reading the TSV fixtures under tests/fixtures/rules/ and finding phrase
 * rules that no text can ever make decide. */
#ifndef REBOUND_TESTS_RULES_FIXTURE_H
#define REBOUND_TESTS_RULES_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/rules.h"

/* One line of a fixture, split at tabs (at most 3 fields). */
typedef struct tsv_line {
	unsigned lineno;
	char *field[3];
	size_t nfield;
} tsv_line;

typedef struct tsv_file {
	char *text;
	tsv_line *lines;
	size_t n;
	char path[4096];
} tsv_file;

/* Read tests/fixtures/rules/NAME (srcdir from the test environment, "."
 * when run by hand from the top of the tree); comments and blank lines
 * are skipped. */
static void tsv_load(tsv_file *f, const char *name)
{
	const char *srcdir = getenv("srcdir");
	snprintf(f->path, sizeof f->path, "%s/tests/fixtures/rules/%s",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".", name);
	FILE *fp = fopen(f->path, "rb");
	if (fp == NULL)
		ck_abort_msg("cannot open %s", f->path);
	size_t cap = 0, len = 0;
	f->text = NULL;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 65536;
			f->text = realloc(f->text, cap);
			ck_assert_ptr_nonnull(f->text);
		}
		size_t got = fread(f->text + len, 1, cap - len - 1, fp);
		if (got == 0)
			break;
		len += got;
	}
	fclose(fp);
	f->text[len] = '\0';

	size_t maxlines = 1;
	for (size_t i = 0; i < len; i++)
		maxlines += f->text[i] == '\n';
	f->lines = calloc(maxlines, sizeof(*f->lines));
	ck_assert_ptr_nonnull(f->lines);
	f->n = 0;
	unsigned lineno = 0;
	for (char *p = f->text; *p != '\0';) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		if (*p != '\0' && *p != '#') {
			tsv_line *l = &f->lines[f->n++];
			l->lineno = lineno;
			l->nfield = 0;
			char *s = p;
			while (l->nfield < 3) {
				l->field[l->nfield++] = s;
				char *tab = strchr(s, '\t');
				if (tab == NULL)
					break;
				*tab = '\0';
				s = tab + 1;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void tsv_free(tsv_file *f)
{
	free(f->text);
	free(f->lines);
}

/* Rule j can never decide when the phrase of a rule that takes precedence
 * is part of its own (both without a gap): any text that holds j's phrase
 * holds the other one too.  Strong rules take precedence over weak ones,
 * and within a tier the lower index.  Returns that rule's index, or -1. */
static inline long rule_shadowed_by(size_t j)
{
	const rebound_phrase_rule *rj = &rebound_phrase_rules[j];
	if (strchr(rj->phrase, '*') != NULL)
		return -1;
	for (size_t i = 0; i < rebound_phrase_rule_count; i++) {
		const rebound_phrase_rule *ri = &rebound_phrase_rules[i];
		if (i == j || strchr(ri->phrase, '*') != NULL)
			continue;
		bool wi = ri->flags & REBOUND_RULE_WEAK;
		bool wj = rj->flags & REBOUND_RULE_WEAK;
		bool first = wi == wj ? i < j : !wi;
		if (first && strstr(rj->phrase, ri->phrase) != NULL)
			return (long)i;
	}
	return -1;
}

#endif
