/* wordlists.h - the classifier's small word lists as data, for the
 * fixture tests.
 *
 * Besides the reason rules (rules.c) and the detection tables (detect.c),
 * the readers of notices use a dozen short lists: header names that only
 * a copied header block has, words that make an address a sender, the
 * headings of a recipient list, the SMTP stage's words, the subject
 * prefixes of a reply, ...  Each stays at file level beside the code that
 * reads it, and is named here with the question the classifier asks of
 * it, so that tests/check_wordlists.c can hold every entry to a line of
 * tests/fixtures/rules/wordlists.tsv: adding a word is one table line and
 * one fixture line.
 */
#ifndef REBOUND_WORDLISTS_H
#define REBOUND_WORDLISTS_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

typedef struct rebound_wordlist {
	const char *name;		/* as the fixture names it */
	/* The entries: n items of `stride` bytes from `base`, each starting
	   with its word (a string array, or an array of structs whose first
	   member is the word). */
	const void *base;
	size_t n, stride;
	/* The classifier's own question of the list, for one line of text
	   (as that reader sees it; the arena is for normalising). */
	bool (*matches)(rebound_arena *arena, const char *s, size_t n);
} rebound_wordlist;

#define REBOUND_WORDLIST(name, array, fn) \
	{ (name), (array), sizeof(array) / sizeof(*(array)), \
	  sizeof(*(array)), (fn) }

/* Entry i of w. */
const char *rebound_wordlist_entry(const rebound_wordlist *w, size_t i);

/* Every list, in no particular order; their count in *n. */
const rebound_wordlist *const *rebound_wordlists(size_t *n);

/* The lists, each defined beside the code that reads it. */
extern const rebound_wordlist rebound_wordlist_transport_headers;
extern const rebound_wordlist rebound_wordlist_summary_words;
extern const rebound_wordlist rebound_wordlist_not_recipient_before;
extern const rebound_wordlist rebound_wordlist_skip_line_heads;
extern const rebound_wordlist rebound_wordlist_recipient_headings;
extern const rebound_wordlist rebound_wordlist_sender_heading_tails;
extern const rebound_wordlist rebound_wordlist_generic_tlds;
extern const rebound_wordlist rebound_wordlist_stage_phrases;
extern const rebound_wordlist rebound_wordlist_no_rcpt_left;
extern const rebound_wordlist rebound_wordlist_reply_prefixes;

#endif
