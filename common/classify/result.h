/* result.h - what the core answers for one message.
 *
 * The vocabulary (classes, actions, reasons) and the result structure that
 * rebound_classify() fills.  All strings in a result belong to the arena the
 * message was classified in; rebound_result_copy() moves one to another.
 * Defined in result.c.
 */
#ifndef REBOUND_RESULT_H
#define REBOUND_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

typedef enum rebound_class {
	REBOUND_CLASS_NOT_BOUNCE = 0,
	REBOUND_CLASS_BOUNCE,		/* failed or delayed delivery */
	REBOUND_CLASS_DELIVERED,	/* delivered/relayed/expanded DSN */
	REBOUND_CLASS_AUTOREPLY,	/* RFC 3834 or vacation */
	REBOUND_CLASS_FEEDBACK,		/* RFC 5965 ARF */
} rebound_class;

typedef enum rebound_action {
	REBOUND_ACTION_NONE = 0,
	REBOUND_ACTION_FAILED,
	REBOUND_ACTION_DELAYED,
	REBOUND_ACTION_DELIVERED,
	REBOUND_ACTION_RELAYED,
	REBOUND_ACTION_EXPANDED,
	REBOUND_ACTION_AUTOREPLY,
	REBOUND_ACTION_FEEDBACK,
} rebound_action;

/* The reason vocabulary (Sisimai's; doc/design.md §3), in alphabetical
 * order after UNDEFINED. */
#define REBOUND_REASONS(X) \
	X(UNDEFINED, "undefined") \
	X(AUTHFAILURE, "authfailure") \
	X(BADREPUTATION, "badreputation") \
	X(BLOCKED, "blocked") \
	X(CONTENTERROR, "contenterror") \
	X(DELIVERED, "delivered") \
	X(EXCEEDLIMIT, "exceedlimit") \
	X(EXPIRED, "expired") \
	X(FAILEDSTARTTLS, "failedstarttls") \
	X(FEEDBACK, "feedback") \
	X(FILTERED, "filtered") \
	X(HASMOVED, "hasmoved") \
	X(HOSTUNKNOWN, "hostunknown") \
	X(MAILBOXFULL, "mailboxfull") \
	X(MAILERERROR, "mailererror") \
	X(MESGTOOBIG, "mesgtoobig") \
	X(NETWORKERROR, "networkerror") \
	X(NORELAYING, "norelaying") \
	X(NOTACCEPT, "notaccept") \
	X(NOTCOMPLIANTRFC, "notcompliantrfc") \
	X(ONHOLD, "onhold") \
	X(POLICYVIOLATION, "policyviolation") \
	X(REJECTED, "rejected") \
	X(REQUIREPTR, "requireptr") \
	X(SECURITYERROR, "securityerror") \
	X(SPAMDETECTED, "spamdetected") \
	X(SPEEDING, "speeding") \
	X(SUPPRESSED, "suppressed") \
	X(SUSPEND, "suspend") \
	X(SYNTAXERROR, "syntaxerror") \
	X(SYSTEMERROR, "systemerror") \
	X(SYSTEMFULL, "systemfull") \
	X(TOOMANYCONN, "toomanyconn") \
	X(USERUNKNOWN, "userunknown") \
	X(VACATION, "vacation") \
	X(VIRUSDETECTED, "virusdetected")

typedef enum rebound_reason {
#define REBOUND_REASON_ENUM(sym, name) REBOUND_REASON_##sym,
	REBOUND_REASONS(REBOUND_REASON_ENUM)
#undef REBOUND_REASON_ENUM
	REBOUND_REASON_COUNT
} rebound_reason;

const char *rebound_reason_name(rebound_reason r);
/* The reason named `name`, or -1. */
int rebound_reason_from_name(const char *name);
const char *rebound_action_name(rebound_action a);
const char *rebound_class_name(rebound_class c);

/* Marketo-style category (1, 2, 3, 4 or 9) and HubSpot-style label. */
int rebound_reason_category(rebound_reason r);
const char *rebound_reason_hubspot(rebound_reason r);

/* The most recipients one result keeps.  A delivery report is bounded
 * by the bytes a front end reads of a message (Exim 4 MiB, Dovecot 1 MiB,
 * the command 16 MiB), and one recipient's block takes at least about 40
 * of them ("Final-Recipient: rfc822; a@b.c" and "Action: failed"), so
 * 4 MiB / 40 B, about 100,000, holds every report the servers read
 * whole.  Memory bounds it too: a kept recipient costs about 500 bytes of
 * the message's arena (its parsed field, its result and their strings),
 * and recipients stop being kept while REBOUND_RCPT_RESERVE bytes of the
 * budget are left for the rest of the work.  Past either the rest is
 * counted, not kept, and the result says so (REBOUND_MSG_MANY_RCPT,
 * rcpt_total). */
#define REBOUND_MAX_RCPT 100000
#define REBOUND_RCPT_RESERVE ((size_t)2 << 20)
/* What one recipient of a result costs in the arena, about (the entry,
 * its address, its index slots). */
#define REBOUND_RCPT_COST 256u

typedef struct rebound_recipient {
	const char *address;		/* normalised, never NULL */
	rebound_action action;
	char status[16];		/* "5.1.1" or "" */
	char reply_code[4];		/* "550" or "" */
	rebound_reason reason;
	bool hard;
	bool suspect;			/* user unknown that may be a block */
	/* The notice stated no status: status is the class default of RFC
	   3463 (X.0.0, the class of the reply code, else of the outcome). */
	bool status_derived;
	const char *diagnostic;		/* one line, or NULL */
	const char *remote_mta;		/* or NULL */
	const char *rule;		/* the rule that decided the reason */
	/* Why suspect, a short name with its detail ("gateway:cisco
	   remote-mta mx1.example.iphmx.com", "stage:data",
	   "status:5.7.1", "policy-words:access denied"); NULL if not. */
	const char *suspect_why;
} rebound_recipient;

typedef struct rebound_result {
	rebound_class cls;
	const char *format;		/* "rfc3464", "exim", "qmail", ... */
	const char *evidence;		/* why it is (not) a bounce */
	rebound_recipient *rcpt;
	size_t nrcpt;
	const char *reporting_mta;	/* or NULL */
	const char *gateway;		/* security gateway that reported */
	/* The notice's own Message-ID (NULL if none): with the recipients,
	   what tells a second copy of the same notice from a new one. */
	const char *message_id;
	/* What links the bounce to what was sent (each may be NULL). */
	const char *orig_message_id;
	const char *envelope_id;
	const char *campaign;
	const char *sender_domain;
	const char *verp_recipient;
	unsigned msg_flags;		/* REBOUND_MSG_* from the parser */
	/* With REBOUND_MSG_MANY_RCPT: how many recipients the notice
	   named (its report's recipient blocks), of which nrcpt were
	   kept; 0 when not known (a text notice's addresses past its
	   limit are not counted) and when nothing was cut. */
	size_t rcpt_total;
} rebound_result;

/* A deep copy of res in `arena`, or NULL when the arena is spent: what a
 * caller keeps after the classification arena is reset for the next
 * message (the Dovecot plugin keeps results from the save to the commit).
 * Every field is copied, strings included. */
rebound_result *rebound_result_copy(rebound_arena *arena,
				    const rebound_result *res);

/* Why a recorded recipient is suspect, for log lines: the classifier's
 * evidence (rebound_recipient's suspect_why) when res names the address
 * as suspect, else "delivered-lately" (the ledger saw mail delivered to
 * it lately).  res may be NULL. */
const char *rebound_suspect_why(const rebound_result *res, const char *address);

#endif
