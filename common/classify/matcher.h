/* matcher.h - many phrases, one pass: an Aho-Corasick automaton.
 *
 * Rule tables are compiled once into an automaton over bytes, ASCII letters
 * folded to lower case, so a text of n bytes is scanned in O(n) whatever the
 * number of phrases: no backtracking, no regular expressions.  Phrases are
 * UTF-8 and matched byte for byte (Japanese, German, ... work as they are).
 *
 * A phrase may carry one gap, written "first*second": it matches when
 * `second` starts at or after the end of `first`, at most `max_gap` bytes
 * later (checked after the scan with the first end and the last start of
 * each half, so the cost stays linear).
 *
 * Texts are expected to be normalised with rebound_matcher_normalise():
 * runs of white space become one space and ASCII, Latin-1 and Cyrillic
 * capitals are lower-cased, so a phrase written with single spaces in lower
 * case matches text folded over several lines.
 */
#ifndef REBOUND_MATCHER_H
#define REBOUND_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

typedef struct rebound_matcher rebound_matcher;

/* Build a matcher for phrases[0..count); phrase i gets id i.  Returns NULL
 * on allocation failure or a phrase with more than one '*'. */
rebound_matcher *rebound_matcher_build(const char *const *phrases,
				       size_t count, size_t max_gap);
void rebound_matcher_free(rebound_matcher *m);

/* A phrase list of the program's own (the rule tables, the detection
 * tables, the SMTP stage words): its matcher is built once, at build
 * time, by gen-automata and compiled in (doc/classify.md). */
typedef struct rebound_phrase_list {
	const char *name;	/* unique: "rules.phrases", "detect.gateways" */
	const char *const *phrases;
	size_t count;
	size_t max_gap;
} rebound_phrase_list;

/* The matcher of a built-in list: its compiled-in automaton when there is
 * one made from exactly these phrases, else one built now (NULL when that
 * fails, as rebound_matcher_build).  Nothing is allocated for a
 * compiled-in one; rebound_matcher_release() gives back either kind. */
const rebound_matcher *rebound_matcher_builtin(const rebound_phrase_list *list);
void rebound_matcher_release(const rebound_matcher *m);
/* Whether m is a compiled-in automaton (tests, gen-automata). */
bool rebound_matcher_compiled_in(const rebound_matcher *m);

/* Scan text[0..len) and return the lowest id among the phrases found, or
 * -1.  Lower ids win, so a table's order is its priority. */
long rebound_matcher_first(const rebound_matcher *m, const char *text,
			   size_t len);

/* Scan once and call found(id, ctx) for every phrase that matches (in id
 * order); stops early when found returns false.  A scan keeps track of
 * at most REBOUND_MATCHER_MAX_HITS different phrases; past that, those of
 * the highest ids are dropped first. */
#define REBOUND_MATCHER_MAX_HITS 160
void rebound_matcher_each(const rebound_matcher *m, const char *text,
			  size_t len, bool (*found)(size_t id, void *ctx),
			  void *ctx);

/* Lower-case ASCII and the UTF-8 capitals of Latin-1 and Cyrillic, fold
 * white space runs to one space, trim; returns a NUL-terminated arena
 * copy of at most len bytes (NULL when the arena is spent). */
char *rebound_matcher_normalise(rebound_arena *arena, const char *text,
				size_t len, size_t *out_len);

#endif
