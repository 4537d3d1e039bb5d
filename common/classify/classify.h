/* classify.h - the core's one question: what is this message?
 *
 * rebound_classify() parses a message, decides whether it is a bounce
 * (RFC 3464 report, a vendor's plain-text notice, a delayed warning), a
 * delivered DSN, an auto-reply, a feedback report or ordinary mail, and for
 * a bounce lists every failed recipient with action, status, reply code,
 * reason, hard/soft, the rule that decided, and what links it to the mail
 * that was sent.  Everything lives in the arena; nothing is global except
 * the compiled rule tables.
 */
#ifndef REBOUND_CLASSIFY_H
#define REBOUND_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"
#include "mail/message.h"
#include "matcher.h"
#include "result.h"

typedef struct rebound_classify_options {
	/* Header of the returned original that names the campaign;
	   NULL: "X-Campaign-ID". */
	const char *campaign_header;
	/* VERP return path layout: "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN"
	   (the default when NULL); the separators after LOCAL and between
	   RCPTLOCAL and RCPTDOMAIN are taken from it. */
	const char *verp_format;
	const rebound_limits *limits;	/* NULL: defaults */
	/* The envelope sender was null (<>), as the MTA knows when the
	   message carries no Return-Path header yet (Exim's local_scan). */
	bool null_sender;
} rebound_classify_options;

/* Classify buf[0..len).  Returns 0 and sets *out (never NULL then), or -1
 * when the arena is too small even for an empty result. */
int rebound_classify(rebound_arena *arena, const char *buf, size_t len,
		     const rebound_classify_options *opts,
		     rebound_result **out);

/* The same for an already parsed message. */
int rebound_classify_message(rebound_message *msg,
			     const rebound_classify_options *opts,
			     rebound_result **out);

/* Classify one SMTP reply that a remote server gave for `address` (Exim's
 * event_action: "550 5.1.1 <x@y>: user unknown"), as if a DSN had reported
 * it with the given action (FAILED or DELAYED).  Fills *out (strings in the
 * arena).  Returns 0, or -1 when the arena is spent. */
int rebound_classify_reply(rebound_arena *arena, const char *address,
			   const char *reply, size_t len,
			   rebound_action action, rebound_recipient *out);

/* Release the compiled tables and the cached iconv descriptors (for leak
 * checkers at exit). */
void rebound_classify_release(void);

/* Every built-in phrase list the classifier makes a matcher of (matcher.h),
 * in a fixed order: the phrase rules, the detection tables, the SMTP stage
 * words.  What gen-automata compiles in and tests/check_automata.c checks. */
#define REBOUND_CLASSIFY_NLISTS 11
void rebound_classify_phrase_lists(
	rebound_phrase_list out[REBOUND_CLASSIFY_NLISTS]);

#endif
