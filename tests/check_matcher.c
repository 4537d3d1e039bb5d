/* check_matcher.c - unit tests for common/classify/matcher.c (Aho-Corasick). */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/matcher.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static rebound_matcher *build(const char *const *phrases, size_t n,
			      size_t max_gap)
{
	rebound_matcher *m = rebound_matcher_build(phrases, n, max_gap);
	ck_assert_ptr_nonnull(m);
	return m;
}

static long first(const rebound_matcher *m, const char *text)
{
	return rebound_matcher_first(m, text, strlen(text));
}

/* Collects every id rebound_matcher_each reports. */
#define MAX_IDS REBOUND_MATCHER_MAX_HITS

typedef struct ids {
	size_t v[MAX_IDS];
	size_t n;
	size_t stop_after;	/* 0: never stop */
} ids;

static bool collect(size_t id, void *ctx)
{
	ids *c = ctx;
	if (c->n < N(c->v))
		c->v[c->n++] = id;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* --- rebound_matcher_first ------------------------------------------------ */

START_TEST(first_lowest_id_wins)
{
	static const char *const a[] = { "user unknown", "unknown" };
	static const char *const b[] = { "unknown", "user unknown" };
	/* The lower id wins even when it ends later in the text. */
	static const char *const c[] = { "mailbox full", "user unknown" };
	rebound_matcher *m;

	m = build(a, N(a), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	ck_assert_int_eq(first(m, "550 unknown"), 1);
	ck_assert_int_eq(first(m, "550 rejected"), -1);
	rebound_matcher_free(m);

	m = build(b, N(b), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	rebound_matcher_free(m);

	m = build(c, N(c), 0);
	ck_assert_int_eq(first(m, "user unknown, and then mailbox full"), 0);
	ck_assert_int_eq(first(m, "user unknown only"), 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(first_overlapping_phrases)
{
	static const char *const p[] = { "the user", "user unknown",
					  "unknown here", "nowhere" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	/* All three overlap in the text; every one is found. */
	rebound_matcher_each(m, "the user unknown here", 21, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 2);
	ck_assert_int_eq(first(m, "xx user unknown here"), 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(failure_links)
{
	/* The textbook example: "ushers" holds "she", "he" and "hers", and
	 * "his" only shares a prefix. */
	static const char *const p[] = { "he", "she", "his", "hers" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	rebound_matcher_each(m, "ushers", 6, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 3);
	ck_assert_int_eq(first(m, "ushers"), 0);
	/* After a failed branch the scan goes on from the failure link:
	 * "hie" holds no phrase, "hhers" holds "he" and "hers". */
	ck_assert_int_eq(first(m, "hie"), -1);
	got.n = 0;
	rebound_matcher_each(m, "hhers", 5, collect, &got);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 3);
	/* "shis": "his" after a failed "sh" branch. */
	got.n = 0;
	rebound_matcher_each(m, "shis", 4, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 2);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(shared_suffixes)
{
	/* Phrases that end the same way: each is reported on its own. */
	static const char *const p[] = { "mailbox full", "box full", "full",
					 "is full" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	rebound_matcher_each(m, "552 mailbox full", 16, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	ck_assert_uint_eq(got.v[2], 2);
	ck_assert_int_eq(first(m, "the inbox full"), 1);
	ck_assert_int_eq(first(m, "the inbox is full"), 2);
	ck_assert_int_eq(first(m, "the folder is full"), 2);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(each_stops_early)
{
	static const char *const p[] = { "a", "b", "c" };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0, .stop_after = 1 };

	rebound_matcher_each(m, "c b a", 5, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 0);	/* id order, not text order */
	rebound_matcher_free(m);
}
END_TEST

START_TEST(case_folding_ascii_only)
{
	static const char *const p[] = { "User Unknown", "\xc3\xa4nderung",
					 "\xe4" };
	rebound_matcher *m = build(p, N(p), 0);

	/* Phrases and texts are both folded. */
	ck_assert_int_eq(first(m, "550 USER UNKNOWN"), 0);
	ck_assert_int_eq(first(m, "550 user unknown"), 0);
	ck_assert_int_eq(first(m, "550 uSeR uNkNoWn"), 0);
	/* U+00C4 (C3 84) is not folded to U+00E4 (C3 A4). */
	ck_assert_int_eq(first(m, "\xc3\x84nderung"), -1);
	ck_assert_int_eq(first(m, "x \xc3\xa4nderung"), 1);
	/* Latin-1 bytes: 0xC4 is not 0xE4. */
	ck_assert_int_eq(first(m, "\xc4"), -1);
	ck_assert_int_eq(first(m, "\xe4"), 2);
	/* Only letters fold: '[' is not '{', '@' is not '`'. */
	rebound_matcher_free(m);

	static const char *const q[] = { "a[b", "@" };
	m = build(q, N(q), 0);
	ck_assert_int_eq(first(m, "A{B"), -1);
	ck_assert_int_eq(first(m, "A[B"), 0);
	ck_assert_int_eq(first(m, "`"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(utf8_phrases)
{
	/* "does not exist", "address unknown", "capacity" */
	static const char *const p[] = {
		"\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
		"\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e",
		"\xe5\xae\xb9\xe9\x87\x8f",
	};
	rebound_matcher *m = build(p, N(p), 0);

	/* "The address (x@example.jp) does not exist." */
	ck_assert_int_eq(first(m, "\xe3\x82\xa2\xe3\x83\x89\xe3\x83\xac\xe3\x82\xb9"
			      " (x@example.jp) \xe3\x81\xaf"
			      "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"
			      "\xe3\x80\x82"), 0);
	ck_assert_int_eq(first(m, "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e"
			      " user@example.jp"), 1);
	/* "capacity exceeded" */
	ck_assert_int_eq(first(m, "\xe5\xae\xb9\xe9\x87\x8f\xe8\xb6\x85\xe9\x81\x8e"), 2);
	/* A prefix of a character is not the character: only the first two
	 * bytes of U+5BB9 followed by another character. */
	ck_assert_int_eq(first(m, "\xe5\xae\xe9\x87\x8f"), -1);
	/* "existence" alone is not "does not exist". */
	ck_assert_int_eq(first(m, "\xe5\xad\x98\xe5\x9c\xa8"), -1);
	rebound_matcher_free(m);
}
END_TEST

/* --- gaps --------------------------------------------------------------- */

START_TEST(gap_order)
{
	static const char *const p[] = { "a*b" };
	rebound_matcher *m = build(p, N(p), 10);

	ck_assert_int_eq(first(m, "a x b"), 0);
	ck_assert_int_eq(first(m, "ab"), 0);
	ck_assert_int_eq(first(m, "b x a"), -1);
	ck_assert_int_eq(first(m, "a"), -1);
	ck_assert_int_eq(first(m, "b"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_halves_do_not_overlap)
{
	/* The second half starts at or after the end of the first. */
	static const char *const p[] = { "ab*bc" };
	rebound_matcher *m = build(p, N(p), 10);

	ck_assert_int_eq(first(m, "abc"), -1);
	ck_assert_int_eq(first(m, "abbc"), 0);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_max)
{
	static const char *const p[] = { "delivery failed * attempts" };
	rebound_matcher *m = build(p, N(p), 5);

	/* The halves keep their spaces ("delivery failed ", " attempts"):
	 * the gap is the text between them. */
	ck_assert_int_eq(first(m, "delivery failed after 9 attempts"), -1);
	ck_assert_int_eq(first(m, "delivery failed 12345 attempts"), 0);
	ck_assert_int_eq(first(m, "delivery failed 123456 attempts"), -1);
	rebound_matcher_free(m);

	static const char *const q[] = { "a*b" };
	m = build(q, N(q), 0);
	ck_assert_int_eq(first(m, "ab"), 0);
	ck_assert_int_eq(first(m, "a b"), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(gap_with_plain_phrases)
{
	static const char *const p[] = { "relaying to * denied", "denied" };
	rebound_matcher *m = build(p, N(p), 40);
	ids got = { .n = 0 };

	ck_assert_int_eq(first(m, "550 relaying to <x@example.org> denied"), 0);
	ck_assert_int_eq(first(m, "550 denied, relaying to nobody"), 1);
	rebound_matcher_each(m, "relaying to <x@example.org> denied", 34,
			     collect, &got);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_uint_eq(got.v[0], 0);
	ck_assert_uint_eq(got.v[1], 1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(two_gaps_rejected)
{
	static const char *const bad[] = { "ok", "a*b*c" };
	static const char *const good[] = { "ok", "a*c" };
	rebound_matcher *m;

	ck_assert_ptr_null(rebound_matcher_build(bad, N(bad), 10));
	m = rebound_matcher_build(good, N(good), 10);
	ck_assert_ptr_nonnull(m);
	rebound_matcher_free(m);
}
END_TEST

/* --- texts ---------------------------------------------------------------- */

START_TEST(empty_text)
{
	static const char *const p[] = { "x", "a*b" };
	rebound_matcher *m = build(p, N(p), 10);
	ids got = { .n = 0 };

	ck_assert_int_eq(rebound_matcher_first(m, "", 0), -1);
	/* Length 0 of a non-empty buffer: nothing is read. */
	ck_assert_int_eq(rebound_matcher_first(m, "x", 0), -1);
	rebound_matcher_each(m, "", 0, collect, &got);
	ck_assert_uint_eq(got.n, 0);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(text_with_nul_bytes)
{
	static const char *const p[] = { "unknown", "user unknown" };
	static const char text[] = { 'u', 's', 'e', 'r', '\0', 'u', 'n', 'k',
				     'n', 'o', 'w', 'n' };
	rebound_matcher *m = build(p, N(p), 0);
	ids got = { .n = 0 };

	/* The scan is length-counted: a NUL does not end the text, and it
	 * is not a space. */
	rebound_matcher_each(m, text, sizeof text, collect, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0], 0);
	/* The phrase lies past the length. */
	ck_assert_int_eq(rebound_matcher_first(m, text, 11), -1);
	rebound_matcher_free(m);
}
END_TEST

START_TEST(large_text)
{
	static const char *const p[] = { "mailbox full", "user unknown",
					 "quota*exceeded", "he", "she",
					 "hers" };
	const size_t len = 1024 * 1024;
	char *text = malloc(len);
	rebound_matcher *m = build(p, N(p), 50);

	ck_assert_ptr_nonnull(text);
	/* Near misses everywhere ("mailbox ful", "user unknow", "quota"),
	 * the real phrase only at the very end. */
	static const char chunk[] = "mailbox ful user unknow quota xx ";
	size_t cl = sizeof chunk - 1, o = 0;
	while (o + cl <= len) {
		memcpy(text + o, chunk, cl);
		o += cl;
	}
	memset(text + o, '.', len - o);
	ck_assert_int_eq(rebound_matcher_first(m, text, len), -1);
	memcpy(text + len - 12, "user unknown", 12);
	ck_assert_int_eq(rebound_matcher_first(m, text, len), 1);
	free(text);
	rebound_matcher_free(m);
}
END_TEST

/* Does phrase p (lower case) occur in text[0..len), ASCII letters of
 * the text folded?  The definition, position by position. */
static bool naive_occurs(const char *p, const char *text, size_t len)
{
	size_t pl = strlen(p);
	for (size_t at = 0; at + pl <= len; at++) {
		size_t k = 0;
		while (k < pl) {
			char c = text[at + k];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != p[k])
				break;
			k++;
		}
		if (k == pl)
			return true;
	}
	return false;
}

/* So many states that the automaton keeps full rows only for those near
 * the root and the rest as small nodes with failure links: the same
 * answers as the definition, on texts made of pieces of the phrases (deep
 * partial matches, failures from deep states, phrases that end in a
 * leaf and go on), capitals, and bytes that are in no phrase. */
START_TEST(large_automaton_as_defined)
{
	enum { NP = 3000, NT = 300 };
	static const char *const pieces[] = {
		"a", "b", "c", "d", "e", "o", "r", "s", "t", "u", " ", "-",
		"\xc3\xa9", "f", "g", "h", "i", "k", "l", "m", "n", "p", "0",
		"5", "x", "y", "z", "w", "v", "j", "q",
	};
	char **ph = malloc(NP * sizeof(*ph));
	ck_assert_ptr_nonnull(ph);
	unsigned x = 4242;
	for (int i = 0; i < NP; i++) {
		char buf[64];
		size_t o = 0;
		x = x * 1103515245u + 12345u;
		/* Short ones over few letters share prefixes and occur
		   often; long ones make deep states. */
		unsigned len = 2 + (x >> 16) % 14;
		unsigned span = len < 5 ? 6 : sizeof(pieces) / sizeof(*pieces);
		for (unsigned k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			const char *pc = pieces[(x >> 16) % span];
			memcpy(buf + o, pc, strlen(pc));
			o += strlen(pc);
		}
		buf[o] = '\0';
		ph[i] = strdup(buf);
		ck_assert_ptr_nonnull(ph[i]);
	}
	rebound_matcher *m = rebound_matcher_build((const char *const *)ph,
						   NP, 0);
	ck_assert_ptr_nonnull(m);
	size_t nonzero = 0;
	for (int t = 0; t < NT; t++) {
		char text[400];
		size_t len = 0;
		x = x * 1103515245u + 12345u;
		size_t want_len = 1 + (x >> 16) % 300;
		while (len < want_len) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			if (r % 7 == 0) {	/* a byte in no phrase */
				static const char odd[] = { '!', '@', '\0', (char)0xff };
				text[len++] = odd[(r / 7) % 4];
				continue;
			}
			const char *p = ph[r % NP];
			size_t pl = strlen(p);
			size_t from = (r / NP) % 3 == 0 ? 0 : (r / 3) % pl;
			size_t take = pl - from;
			if (len + take > sizeof(text))
				break;
			for (size_t k = 0; k < take; k++) {
				char c = p[from + k];
				text[len++] = (r & 64) && c >= 'a' && c <= 'z' ?
					(char)(c - 'a' + 'A') : c;
			}
		}
		size_t want[MAX_IDS], nwant = 0;
		for (int i = 0; i < NP && nwant < MAX_IDS; i++)
			if (naive_occurs(ph[i], text, len))
				want[nwant++] = (size_t)i;
		ids got = { .n = 0, .stop_after = 0 };
		rebound_matcher_each(m, text, len, collect, &got);
		ck_assert_uint_eq(got.n, nwant);
		for (size_t k = 0; k < nwant; k++)
			ck_assert_uint_eq(got.v[k], want[k]);
		ck_assert_int_eq(rebound_matcher_first(m, text, len),
				 nwant > 0 ? (long)want[0] : -1);
		nonzero += nwant > 0;
	}
	/* The texts did match, most of them. */
	ck_assert_uint_gt(nonzero, NT / 2);
	rebound_matcher_free(m);
	for (int i = 0; i < NP; i++)
		free(ph[i]);
	free(ph);
}
END_TEST

/* --- rebound_matcher_normalise ------------------------------------------ */

/* More states than the 16-bit table holds: the matcher walks its edges
 * instead, with the same answers. */
START_TEST(many_states_without_table)
{
	enum { N = 1400, L = 60 };
	char **ph = malloc(N * sizeof(*ph));
	ck_assert_ptr_nonnull(ph);
	unsigned x = 12345;
	for (int i = 0; i < N; i++) {
		ph[i] = malloc(L + 1);
		ck_assert_ptr_nonnull(ph[i]);
		for (int j = 0; j < L; j++) {
			x = x * 1103515245u + 12345u;
			ph[i][j] = (char)('a' + (x >> 16) % 26);
		}
		ph[i][L] = '\0';
	}
	rebound_matcher *m = rebound_matcher_build((const char *const *)ph,
						   N, 0);
	ck_assert_ptr_nonnull(m);
	char text[3 * L + 8];
	snprintf(text, sizeof text, "xx %s yy", ph[777]);
	for (size_t i = 3; i < 3 + L; i += 2)	/* case folding still works */
		text[i] = (char)(text[i] - 'a' + 'A');
	ck_assert_int_eq(rebound_matcher_first(m, text, strlen(text)), 777);
	text[10] = '#';
	ck_assert_int_eq(rebound_matcher_first(m, text, strlen(text)), -1);
	rebound_matcher_free(m);
	for (int i = 0; i < N; i++)
		free(ph[i]);
	free(ph);
}
END_TEST

START_TEST(normalise_folds_space_and_case)
{
	rebound_arena *arena = rebound_arena_new(0);
	size_t n = 99;
	char *s;

	ck_assert_ptr_nonnull(arena);
	static const char folded[] = " \t550 5.1.1\r\n\tUser\r\n"
				     "   UNKNOWN\t\t \r\n";
	s = rebound_matcher_normalise(arena, folded, sizeof folded - 1, &n);
	ck_assert_str_eq(s, "550 5.1.1 user unknown");
	ck_assert_uint_eq(n, 22);

	/* Only white space, and nothing at all. */
	s = rebound_matcher_normalise(arena, " \r\n\t ", 5, &n);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);
	s = rebound_matcher_normalise(arena, "", 0, &n);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);

	/* out_len may be NULL; Latin-1 and Cyrillic capitals fold like
	   ASCII ones ("Ä" to "ä", "П" to "п", "Я" to "я"), the sign "×"
	   and other scripts stay, and so does a lead byte cut off at the
	   end. */
	s = rebound_matcher_normalise(arena, "Postfach \xc3\x84NDERUNG", 18, NULL);
	ck_assert_str_eq(s, "postfach \xc3\xa4nderung");
	s = rebound_matcher_normalise(arena, "\xd0\x9f\xd0\xaf 2\xc3\x97" "3 \xe3\x82\xa8\xc3",
				      14, NULL);
	ck_assert_str_eq(s, "\xd0\xbf\xd1\x8f 2\xc3\x97" "3 \xe3\x82\xa8\xc3");

	/* The copy is length-counted and NUL-terminated; NUL in the text
	 * separates words like white space. */
	s = rebound_matcher_normalise(arena, "USER\0UNKNOWN!!", 12, &n);
	ck_assert_str_eq(s, "user unknown");
	ck_assert_uint_eq(n, 12);
	rebound_arena_free(arena);
}
END_TEST

/* The definition of the normalised form, one byte at a time: white space
 * and NUL runs to one space (none at the ends), ASCII capitals and the
 * two-byte Latin-1 (but U+00D7) and Cyrillic A-YA capitals lower-cased,
 * every other byte as it is. */
static size_t naive_normalise(const char *t, size_t len, char *out)
{
	size_t o = 0;
	bool pending = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char a = (unsigned char)t[i];
		if (a == ' ' || a == '\t' || a == '\n' || a == '\r' ||
		    a == '\f' || a == '\v' || a == '\0') {
			pending = o > 0;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = false;
		unsigned char b = i + 1 < len ? (unsigned char)t[i + 1] : 0;
		if (a >= 'A' && a <= 'Z') {
			out[o++] = (char)(a - 'A' + 'a');
		} else if (i + 1 < len && a == 0xc3 && b >= 0x80 && b <= 0x9e &&
			   b != 0x97) {
			out[o++] = (char)a;
			out[o++] = (char)(b + 0x20);
			i++;
		} else if (i + 1 < len && a == 0xd0 && b >= 0x90 && b <= 0x9f) {
			out[o++] = (char)0xd0;
			out[o++] = (char)(b + 0x20);
			i++;
		} else if (i + 1 < len && a == 0xd0 && b >= 0xa0 && b <= 0xaf) {
			out[o++] = (char)0xd1;
			out[o++] = (char)(b - 0x20);
			i++;
		} else {
			out[o++] = (char)a;
		}
	}
	out[o] = '\0';
	return o;
}

static void check_normalise(rebound_arena *arena, const char *t, size_t len)
{
	/* The input in a buffer of exactly its size: a read past it shows
	   under the sanitizers. */
	char *in = malloc(len > 0 ? len : 1);
	char *want = malloc(len + 1);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(want);
	memcpy(in, t, len);
	size_t wl = naive_normalise(in, len, want);
	size_t n = 12345;
	char *got = rebound_matcher_normalise(arena, in, len, &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(n, wl);
	ck_assert_mem_eq(got, want, wl + 1);
	free(in);
	free(want);
}

START_TEST(normalise_as_defined)
{
	/* Texts longer and shorter than the 16-byte blocks the fast path
	 * takes, from bytes that each make a block go the slow way (white
	 * space, NUL, controls, DEL, UTF-8 lead and continuation bytes) or
	 * sit at the edges of the ranges it tests ('@' '[' '`' '{' '~'),
	 * mixed with plain words so that many blocks do go the fast way;
	 * then every text of plain bytes with white space at one or two
	 * places. */
	static const unsigned char odd[] = {
		' ', ' ', ' ', '\t', '\n', '\r', '\f', '\v', '\0', 0x1f, 0x7f,
		0x80, 0xc3, 0x84, 0x97, 0x9e, 0x9f, 0xd0, 0x90, 0xa0, 0xaf,
		0xd1, 'A', 'Z', '@', '[', '`', '{', '~', '!', '0',
	};
	static const char plain[] = "Mailbox UNAVAILABLE user unknown";
	rebound_arena *arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
	char t[96];
	unsigned x = 2024;
	for (int round = 0; round < 40000; round++) {
		x = x * 1103515245u + 12345u;
		size_t len = (x >> 16) % sizeof(t);
		unsigned rare = 1 + (x >> 8) % 16;	/* odd bytes 1 in rare */
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			t[i] = r % rare == 0 ? (char)odd[(r / rare) % sizeof(odd)] :
					       plain[(r / 7) % (sizeof(plain) - 1)];
		}
		check_normalise(arena, t, len);
		rebound_arena_reset(arena);
	}
	for (size_t len = 0; len <= 40; len++)
		for (size_t a = 0; a <= len; a++)
			for (size_t b = a; b <= len; b++) {
				for (size_t i = 0; i < len; i++)
					t[i] = (char)('A' + (i * 5) % 40);
				if (a < len)
					t[a] = '\n';
				if (b < len)
					t[b] = ' ';
				check_normalise(arena, t, len);
				rebound_arena_reset(arena);
			}
	rebound_arena_free(arena);
}
END_TEST

START_TEST(normalise_then_match)
{
	/* A phrase written with single spaces matches text folded over
	 * several lines once the text is normalised. */
	static const char *const p[] = { "mailbox is full" };
	static const char raw[] = "552 5.2.2 The recipient's\r\n  MAILBOX\tIS\r\n FULL";
	rebound_arena *arena = rebound_arena_new(0);
	rebound_matcher *m = build(p, N(p), 0);
	size_t n;
	char *s;

	ck_assert_int_eq(rebound_matcher_first(m, raw, sizeof raw - 1), -1);
	s = rebound_matcher_normalise(arena, raw, sizeof raw - 1, &n);
	ck_assert_int_eq(rebound_matcher_first(m, s, n), 0);
	rebound_matcher_free(m);
	rebound_arena_free(arena);
}
END_TEST

/* The lowest id wins even after many other distinct phrases were seen
 * (more than a fixed table of hits would hold). */
START_TEST(matcher_lowest_id_after_many_hits)
{
	enum { NP = 200 };
	static char names[NP][8];
	const char *phrases[NP];
	char text[NP * 6 + 1];
	size_t o = 0;

	for (int i = 0; i < NP; i++) {
		snprintf(names[i], sizeof names[i], "w%03d", i);
		phrases[i] = names[i];
	}
	/* w199 w198 ... w001 w000 */
	for (int i = NP - 1; i >= 0; i--)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s ", names[i]);
	rebound_matcher *m = rebound_matcher_build(phrases, NP, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(rebound_matcher_first(m, text, o), 0);
	rebound_matcher_free(m);
}
END_TEST

/* A close pair of halves matches even when another second half comes
 * far later, or another first half far earlier. */
START_TEST(matcher_gap_with_repeated_halves)
{
	static const char *const p[] = { "delivery failed * attempts" };
	rebound_matcher *m = rebound_matcher_build(p, 1, 20);
	const char *t1 = "delivery failed after 5 attempts; we counted the "
			 "attempts of the last three days and stopped";
	const char *t2 = "delivery failed yesterday, and today the "
			 "delivery failed after 5 attempts";

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(rebound_matcher_first(m, t1, strlen(t1)), 0);
	ck_assert_int_eq(rebound_matcher_first(m, t2, strlen(t2)), 0);
	rebound_matcher_free(m);
}
END_TEST

static Suite *matcher_suite(void)
{
	Suite *s = suite_create("matcher");
	TCase *tc;

	tc = tcase_create("phrases");
	tcase_add_test(tc, first_lowest_id_wins);
	tcase_add_test(tc, first_overlapping_phrases);
	tcase_add_test(tc, failure_links);
	tcase_add_test(tc, shared_suffixes);
	tcase_add_test(tc, matcher_lowest_id_after_many_hits);
	tcase_add_test(tc, each_stops_early);
	tcase_add_test(tc, case_folding_ascii_only);
	tcase_add_test(tc, utf8_phrases);
	tcase_add_test(tc, many_states_without_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_add_test(tc, gap_order);
	tcase_add_test(tc, gap_halves_do_not_overlap);
	tcase_add_test(tc, gap_max);
	tcase_add_test(tc, gap_with_plain_phrases);
	tcase_add_test(tc, two_gaps_rejected);
	tcase_add_test(tc, matcher_gap_with_repeated_halves);
	suite_add_tcase(s, tc);

	tc = tcase_create("texts");
	tcase_add_test(tc, empty_text);
	tcase_add_test(tc, text_with_nul_bytes);
	tcase_add_test(tc, large_text);
	tcase_add_test(tc, large_automaton_as_defined);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalise");
	tcase_add_test(tc, normalise_folds_space_and_case);
	tcase_add_test(tc, normalise_then_match);
	tcase_add_test(tc, normalise_as_defined);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(matcher_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
