/* dsn.h - RFC 3464 delivery-status fields, tolerant of real MTAs.
 *
 * Parses the body of a message/delivery-status (or global-) part into the
 * per-message fields and one entry per recipient.  Real reports deviate:
 * missing blank lines between recipients, fields in odd case, address types
 * missing, folded values, junk lines.  A new recipient starts at a blank
 * line or when a recipient field repeats.
 */
#ifndef REBOUND_DSN_H
#define REBOUND_DSN_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

typedef struct rebound_dsn_rcpt {
	const char *final_rcpt;		/* address part only, raw */
	const char *original_rcpt;
	const char *actual_rcpt;	/* X-Actual-Recipient */
	const char *action;		/* lower-case */
	const char *status;
	const char *remote_mta;
	const char *diagnostic;		/* type stripped */
	const char *diagnostic_type;	/* "smtp", "x-unix", ... */
	const char *last_attempt;
} rebound_dsn_rcpt;

typedef struct rebound_dsn {
	const char *reporting_mta;
	const char *envelope_id;
	const char *received_from_mta;
	const char *arrival_date;
	rebound_dsn_rcpt *rcpt;
	size_t nrcpt;
	/* Past REBOUND_MAX_RCPT recipients, or when the arena keeps no
	   more (REBOUND_RCPT_RESERVE), the rest are counted, not kept. */
	bool counting;
	size_t ndropped;
} rebound_dsn;

/* Parse text[0..len) (LF line ends).  Returns 0, or -1 when the arena is
 * spent.  Fields that do not fit are ignored; the recipients past the
 * first REBOUND_MAX_RCPT (classify/result.h), or past what the arena
 * holds, are counted in ndropped and not kept. */
int rebound_dsn_parse(rebound_arena *arena, const char *text, size_t len,
		      rebound_dsn *out);

#endif
