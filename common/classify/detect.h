/* detect.h - the evidence that a message is a bounce, an auto-reply, or
 * was reported by a security gateway: phrase tables for subjects, senders
 * and bodies, in many languages, compiled once into matchers.
 */
#ifndef REBOUND_DETECT_H
#define REBOUND_DETECT_H

#include <stdbool.h>
#include <stddef.h>

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

void rebound_detect_release(void);

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
