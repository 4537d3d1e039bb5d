/* reason.h - the reason for one recipient's failure, and whether it is
 * hard.
 *
 * The order: a strong phrase of the rule tables (rules.c), a specific
 * enhanced status code, a weak phrase, the reply code; then what the
 * SMTP stage (smtp-stage.c) and the status beside the words refine.
 * The rule that decided is returned with the reason, for explain.
 */
#ifndef REBOUND_REASON_H
#define REBOUND_REASON_H

#include <stdbool.h>

#include "mail/arena.h"
#include "result.h"

/* The kind of evidence that decided a reason (the rule's text says the
 * same for people; code asks this). */
typedef enum rebound_decided_by {
	REBOUND_BY_NOTHING = 0,		/* the default: undefined */
	REBOUND_BY_ACTION,		/* delivered/relayed/expanded, delayed */
	REBOUND_BY_PHRASE,		/* a strong phrase of the tables */
	REBOUND_BY_WEAK_PHRASE,		/* a weak phrase of the tables */
	REBOUND_BY_STATUS,		/* the enhanced status code */
	REBOUND_BY_REPLY,		/* the bare SMTP reply code */
	REBOUND_BY_VENDOR,		/* a provider's own field or address */
} rebound_decided_by;

typedef struct rebound_reason_choice {
	rebound_reason reason;
	const char *rule;		/* "phrase ...", "status X.1.1", ... */
	/* What decided the reason; the SMTP stage and the suspect marks
	   refine a reason without changing this. */
	rebound_decided_by by;
	/* The words say the user is unknown but something beside them puts
	   it in doubt (a policy status, a refusal after DATA): maybe a
	   filter's block, so suspend rather than suppress. */
	bool suspect;
	const char *suspect_why;	/* as rebound_recipient's */
} rebound_reason_choice;

/* The reason of diag (the remote server's words, or the notice's), with
 * context (the recipient's whole block, or NULL) for the SMTP stage. */
rebound_reason_choice rebound_reason_decide(rebound_arena *arena,
					    const char *diag,
					    const char *context,
					    const char *status,
					    const char *reply,
					    rebound_action action);

/* Hard: the address or domain does not exist or has moved, or the domain
 * takes no mail and the report does not say it is temporary. */
bool rebound_reason_is_hard(rebound_reason r, const char *status,
			    const char *reply);

#endif
