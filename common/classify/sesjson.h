/* sesjson.h - Amazon SES event notifications (Bounce, Complaint,
 * Delivery) that reach a mailbox as JSON: the notification alone, or
 * wrapped in an Amazon SNS envelope whose "Message" holds it as a string.
 * Learnt from the SES developer guide's notification contents.
 */
#ifndef REBOUND_SESJSON_H
#define REBOUND_SESJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

typedef enum rebound_ses_kind {
	REBOUND_SES_NONE = 0,
	REBOUND_SES_BOUNCE,
	REBOUND_SES_COMPLAINT,
	REBOUND_SES_DELIVERY,
} rebound_ses_kind;

typedef struct rebound_ses_rcpt {
	const char *address;
	const char *action;		/* "failed", ... or NULL */
	const char *status;		/* "5.1.1" or NULL */
	const char *diagnostic;		/* "smtp; 550 ..." or NULL */
} rebound_ses_rcpt;

typedef struct rebound_ses_notice {
	rebound_ses_kind kind;
	const char *bounce_type;	/* Permanent, Transient, Undetermined */
	const char *bounce_subtype;	/* General, NoEmail, MailboxFull... */
	rebound_ses_rcpt *rcpt;
	size_t nrcpt;
	const char *reporting_mta;
	const char *smtp_response;	/* Delivery: "250 2.6.0 ..." */
	const char *message_id;		/* of the original */
	const char *source;		/* the original's sender */
	const char *campaign;		/* header named campaign_header */
} rebound_ses_notice;

/* Is body[0..len) an SES notification?  Cheap test first (a JSON object
 * that names a notification type), then a bounded parse.  Returns 1 and
 * fills *out, 0 when it is not one, -1 when the arena is spent. */
int rebound_ses_read(rebound_arena *arena, const char *body, size_t len,
		     const char *campaign_header, rebound_ses_notice *out);

#endif
