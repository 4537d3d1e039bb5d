/* detect.h - the evidence that a message is a bounce, an auto-reply, or
 * was reported by a security gateway: phrase tables for subjects, senders
 * and bodies, in many languages, compiled once into matchers.
 */
#ifndef REBOUND_DETECT_H
#define REBOUND_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"
#include "mail/message.h"
#include "matcher.h"

/* Each takes normalised text (see rebound_matcher_normalise) and returns
 * the matching table entry, or NULL. */
const char *rebound_detect_bounce_subject(const char *norm, size_t len);
const char *rebound_detect_bounce_body(const char *norm, size_t len);
const char *rebound_detect_delay_body(const char *norm, size_t len);
const char *rebound_detect_autoreply_subject(const char *norm, size_t len);
const char *rebound_detect_system_sender(const char *norm, size_t len);
/* A security gateway named in the text (for suspect hard bounces). */
const char *rebound_detect_gateway(const char *norm, size_t len);
/* Subject of a pre-ARF complaint report ("complaint about message from"). */
const char *rebound_detect_complaint_subject(const char *norm, size_t len);
/* Words of a policy block in a diagnostic ("access denied by policy"). */
const char *rebound_detect_policy_words(const char *norm, size_t len);

/* What a notice's own text says, from one scan of it: the first entry of
 * the bounce-body, delay-body and gateway tables (each NULL if none);
 * the same answers as the three functions above, one pass instead of
 * three. */
typedef struct rebound_body_evidence {
	const char *bounce;
	const char *delay;
	const char *gateway;
} rebound_body_evidence;
void rebound_detect_body(const char *norm, size_t len,
			 rebound_body_evidence *out);

/* Signs in the headers (raw values; subj: the normalised Subject or NULL,
 * sl its length). */
/* Mailing-list mail: List-Id or List-Unsubscribe (RFC 2369, 2919). */
bool rebound_detect_list_mail(const rebound_header *h);
/* An auto-reply (RFC 3834 Auto-Submitted: auto-replied, X-Autoreply,
 * Precedence: auto_reply, a vacation subject); *why says which. */
bool rebound_detect_autoreply(const rebound_header *h, const char *subj,
			      size_t sl, const char **why);
/* A subject that starts like a reply or a forward ("Re:", "AW:", ...). */
bool rebound_detect_reply_subject(const char *subj, size_t sl);
/* Written by a program: a null return path (the header, or null_sender:
 * the MTA says so), a From without an address, Auto-Submitted not "no". */
bool rebound_detect_machine_sent(rebound_arena *arena, const rebound_header *h,
				 bool null_sender);

void rebound_detect_release(void);

/* The phrase lists of the detection matchers, as gen-automata compiles
 * them in (matcher.h): the eight tables and the three body tables in one. */
#define REBOUND_DETECT_NLISTS 9
void rebound_detect_phrase_lists(rebound_phrase_list out[REBOUND_DETECT_NLISTS]);

/* The tables as data, read-only, for the fixture tests
 * (tests/check_detect.c): entries in priority order, their count in *n,
 * and a short name ("bounce_subject", ...) in *name (both may be NULL).
 * NULL for an unknown table. */
typedef enum rebound_detect_table {
	REBOUND_DETECT_BOUNCE_SUBJECT,
	REBOUND_DETECT_BOUNCE_BODY,
	REBOUND_DETECT_DELAY_BODY,
	REBOUND_DETECT_AUTOREPLY_SUBJECT,
	REBOUND_DETECT_SYSTEM_SENDER,
	REBOUND_DETECT_GATEWAY,
	REBOUND_DETECT_COMPLAINT_SUBJECT,
	REBOUND_DETECT_POLICY_WORDS,
	REBOUND_DETECT_NTABLES
} rebound_detect_table;
const char *const *rebound_detect_entries(rebound_detect_table t, size_t *n,
					  const char **name);

#endif
