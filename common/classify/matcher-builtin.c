/* matcher-builtin.c - the matchers of the program's own phrase lists,
 * compiled in when they can be (matcher.h, rebound_matcher_builtin).
 *
 * Building the automata of the rule and detection tables costs a new
 * process some 33 M instructions before its first message; gen-automata
 * does it once, at build time, and automata.c holds the result as
 * constant data.  A compiled-in automaton is used only for the list it
 * was made from: same name and same fingerprint.  Any other list (one
 * changed since automata.c was written, a test's own) is built here.
 */
#include "matcher.h"
#include "matcher-tables.h"

#include <string.h>

/* One step of the fingerprint: not a secure hash, only one that a changed
 * phrase, order or count cannot be expected to leave equal. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

uint64_t rebound_matcher_fingerprint(const rebound_phrase_list *list)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	/* The layout: a generated file of other structures is no match. */
	h = mix(h, sizeof(rebound_matcher));
	h = mix(h, (sizeof(matcher_state) << 24) | (sizeof(matcher_edge) << 16) |
		   (sizeof(matcher_key) << 8) | sizeof(struct sparse_node));
	h = mix(h, (sizeof(struct sparse_edge) << 16) | ROW_OUT);
	h = mix(h, list->count);
	h = mix(h, list->max_gap);
	/* The phrases, each after its length, eight bytes at a time and
	   the last few (fewer than eight) in one more word.  This runs once
	   a list a process, over some 30 KB in all: kept cheap. */
	for (size_t i = 0; i < list->count; i++) {
		const char *p = list->phrases[i];
		size_t n = strlen(p), at = 0;
		h = mix(h, n);
		for (; n - at >= 8; at += 8) {
			uint64_t w;
			memcpy(&w, p + at, 8);
			h = mix(h, w);
		}
		uint64_t tail = 0;
		for (; at < n; at++)
			tail = (tail << 8) | (unsigned char)p[at];
		h = mix(h, tail);
	}
	return h;
}

const rebound_matcher *rebound_matcher_builtin(const rebound_phrase_list *list)
{
	for (size_t i = 0; i < rebound_compiled_matcher_count; i++) {
		const rebound_compiled_matcher *c = &rebound_compiled_matchers[i];
		if (strcmp(c->name, list->name) != 0)
			continue;
		if (c->fingerprint == rebound_matcher_fingerprint(list))
			return c->matcher;
		break;		/* stale: the list changed since */
	}
	return rebound_matcher_build(list->phrases, list->count, list->max_gap);
}

void rebound_matcher_release(const rebound_matcher *m)
{
	/* A built one was allocated here, so it may be freed; a compiled-in
	   one is left alone (rebound_matcher_free checks). */
	rebound_matcher_free((rebound_matcher *)m);
}

bool rebound_matcher_compiled_in(const rebound_matcher *m)
{
	return m != NULL && m->compiled_in;
}
