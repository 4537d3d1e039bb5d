/* rules.h - the reason rules, as data.
 *
 * Three tables decide a recipient's reason:
 *   - phrases found in the diagnostic text (many languages), in priority
 *     order: the first entry that matches wins;
 *   - enhanced status codes (RFC 3463, 7372, ...): the most specific entry;
 *   - SMTP reply codes (RFC 5321, 7504).
 * Each entry has a stable id printed by `rebound explain` and carried in
 * the JSON ("rule").  Adding a vendor phrase is one line here plus one
 * fixture under tests/fixtures/rules/.
 */
#ifndef REBOUND_RULES_H
#define REBOUND_RULES_H

#include <stddef.h>

#include "matcher.h"
#include "result.h"

typedef struct rebound_phrase_rule {
	rebound_reason reason;
	const char *lang;	/* "en", "ja", "de", ... */
	const char *phrase;	/* lower case; one '*' gap allowed */
	unsigned flags;		/* REBOUND_RULE_WEAK: a specific status code
				   outranks it (see rules.c);
				   REBOUND_RULE_AT_DATA: a missing account
				   even when refused after DATA */
	rebound_reason bare;	/* the reason instead when the text has no
				   reply or status code (the reporting MTA's
				   own words, not a remote server's), or
				   UNDEFINED: the same */
} rebound_phrase_rule;

#define REBOUND_RULE_WEAK 1u
/* Some providers accept every RCPT and check the account after DATA:
 * their words for a missing account stay "userunknown" there, where a
 * generic "user unknown" after DATA is a filter's (classify.c). */
#define REBOUND_RULE_AT_DATA 2u

typedef struct rebound_status_rule {
	const char *code;	/* "X.1.1": class-free subject.detail, or a
				   full code "5.1.1" when the class matters */
	rebound_reason reason;
} rebound_status_rule;

typedef struct rebound_reply_rule {
	const char *code;	/* "552" */
	rebound_reason reason;
} rebound_reply_rule;

extern const rebound_phrase_rule rebound_phrase_rules[];
extern const size_t rebound_phrase_rule_count;
extern const rebound_status_rule rebound_status_rules[];
extern const size_t rebound_status_rule_count;
extern const rebound_reply_rule rebound_reply_rules[];
extern const size_t rebound_reply_rule_count;

/* Find the reason for normalised diagnostic text (see matcher.h): sets
 * *strong to the first strong rule that matches and *weak to the first
 * weak one (each -1 when none).  The matcher is the compiled-in one
 * (matcher.h, rebound_matcher_builtin), taken on first use. */
void rebound_rules_match_phrase(const char *norm_text, size_t len,
				long *strong, long *weak);
/* Rule index for an enhanced status code ("5.1.1"), or -1. */
long rebound_rules_match_status(const char *status);
/* Rule index for a reply code ("550"), or -1. */
long rebound_rules_match_reply(const char *reply);

/* The phrase list of the phrase rules' matcher, as gen-automata compiles
 * it in (matcher.h). */
rebound_phrase_list rebound_rules_phrase_list(void);

/* Free compiled matchers (tests, leak checkers). */
void rebound_rules_release(void);

#endif
