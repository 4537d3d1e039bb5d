/* stages.h - what the stages of classification share (internal to
 * common/classify; the public entry is classify.h).
 *
 * classify.c runs a message through named stages in a fixed order
 * (feedback report, SES notification, complaint, unsubscribe request,
 * ordinary mail, the notice's text, delivery report, text notice,
 * forwarded notice, auto-reply; doc/classify.md).  Each stage takes the
 * per-message context below and answers 1 (decided: the result is
 * complete), 0 (not this one: go on) or -1 (the arena is spent).
 *
 * anatomy.c     which parts of the message matter, and small text helpers
 * recipients.c  the list of recipients a notice reports, and the reason
 *               and hard/soft of each (reason.c decides)
 * report.c      the RFC 3464 stage
 * textnotice.c  the notice's text and the plain-text notice stage
 * ses.c         the Amazon SES stage
 * link.c        what ties a notice to the mail that was sent
 * suspect.c     hard bounces a security gateway may have given
 */
#ifndef REBOUND_CLASSIFY_STAGES_H
#define REBOUND_CLASSIFY_STAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "detect.h"
#include "reason.h"
#include "textbounce.h"

/* --- the parts of a message that matter (anatomy.c) --------------------- */

/* Delivery-status parts read from one message (a report may hold one per
 * reporting MTA). */
#define MAX_REPORTS 4

typedef struct rebound_anatomy {
	rebound_part *report;		/* message/delivery-status (the first) */
	rebound_part *more_reports[MAX_REPORTS - 1];	/* the others */
	size_t nmore;
	rebound_part *feedback;		/* message/feedback-report */
	rebound_part *original;		/* embedded original (its root) */
	rebound_part *text;		/* first human-readable part */
	rebound_part *html;
} rebound_anatomy;

/* The parts of msg outside any returned copy. */
void rebound_anatomy_read(rebound_message *msg, rebound_anatomy *a);
/* The human-readable text of the notice, NUL-terminated. */
const char *rebound_notice_text(rebound_message *msg, const rebound_anatomy *a,
				size_t *len);
/* A header's value, decoded and normalised for the matchers, or NULL. */
const char *rebound_header_norm(rebound_arena *arena, const rebound_header *h,
				const char *name, size_t *len);
/* One line, trimmed, at most 1024 bytes; NULL when empty. */
const char *rebound_one_line(rebound_arena *arena, const char *s, size_t n);
/* The first address in a header value (NULL-safe), or NULL. */
const char *rebound_first_address(rebound_arena *arena, const char *v);

/* --- the recipients a notice reports (recipients.c) -------------------- */

typedef struct rebound_rcpt_list {
	rebound_recipient *v;
	size_t n, cap;
	/* A hash index of v[0..indexed) by address, for reports that name
	   many recipients (a linear search each would be quadratic):
	   slot[h] holds an index + 1, 0 when free; nslot a power of 2. */
	size_t *slot;
	size_t nslot, indexed;
} rebound_rcpt_list;

/* A new zeroed recipient at the end of l, or NULL (arena spent). */
rebound_recipient *rebound_rcpt_add(rebound_arena *arena, rebound_rcpt_list *l);
/* Make room for `more` recipients at once, when the arena allows (a
 * report's count is known before they are added; growing by doubling
 * would waste as much again). */
void rebound_rcpt_reserve(rebound_arena *arena, rebound_rcpt_list *l,
			  size_t more);
/* May l keep one more recipient?  Not past REBOUND_MAX_RCPT, nor when
 * the arena would keep less than REBOUND_RCPT_RESERVE for the rest. */
bool rebound_rcpt_room(rebound_arena *arena, const rebound_rcpt_list *l);
/* The first recipient of l whose address is addr's (rebound_address_same),
 * or NULL.  A recipient's address must not change once a find has seen
 * it (the index keeps it). */
rebound_recipient *rebound_rcpt_find(rebound_arena *arena,
				     rebound_rcpt_list *l, const char *addr);
bool rebound_rcpt_any_failed_or_delayed(const rebound_rcpt_list *l);
/* Fill code fields from diagnostic text where the report had none. */
void rebound_rcpt_codes_from_text(rebound_recipient *r, const char *text,
				  size_t n);
/* The reason, rule and hard/soft of r from reason_text (context: the
 * recipient's whole block, for the SMTP stage); returns what decided. */
rebound_decided_by rebound_rcpt_finish(rebound_arena *arena, rebound_recipient *r,
			 const char *reason_text, const char *context);
/* When r failed or was delayed and no status was stated: the class
 * default of RFC 3463 ("5.0.0", "4.0.0") from the reply code's class,
 * else from the outcome, marked status_derived. */
void rebound_rcpt_derive_status(rebound_recipient *r);
/* An RFC 3464 Action field (or, without one, the status class). */
rebound_action rebound_parse_action(const char *a, const char *status);

/* --- one message on its way through the stages ---------------------------- */

typedef struct rebound_classify_ctx {
	rebound_message *msg;
	const rebound_classify_options *opts;
	rebound_result *res;		/* the result being filled */
	rebound_result **out;		/* where it goes (a stage may replace it) */
	unsigned level;			/* 0, or 1 inside a forwarded notice */
	rebound_anatomy a;
	const char *subj;		/* normalised Subject, or NULL */
	size_t sl;
	/* Set by the ordinary-mail stage: what the sender, the subject and
	   X-Failed-Recipients say. */
	const char *from_hit, *subj_hit, *xfr;
	bool list_mail;			/* List-Id or List-Unsubscribe */
	/* Set by the notice-text stage, for the stages after it. */
	const char *text;		/* the notice's human-readable text */
	size_t tlen;
	rebound_text_scan ts;		/* its recipients and blocks */
	rebound_body_evidence ev;	/* failure, delay and gateway words */
	bool notice_source;		/* a mail system sent it */
	rebound_rcpt_list l;		/* recipients found so far */
} rebound_classify_ctx;

/* The stages in other files (classify.c holds the rest and the order). */
int rebound_stage_ses(rebound_classify_ctx *cx);
int rebound_stage_notice_text(rebound_classify_ctx *cx);
int rebound_stage_report(rebound_classify_ctx *cx);
int rebound_stage_text_notice(rebound_classify_ctx *cx);

/* Classify a message (a forwarded notice's, at level 1). */
int rebound_classify_at(rebound_message *msg,
			const rebound_classify_options *opts,
			rebound_result **out, unsigned level);

/* --- links and suspects (link.c, suspect.c) ------------------------------- */

/* Message-ID, campaign, sender domain and VERP recipient of res. */
void rebound_link_original(rebound_message *msg, const rebound_anatomy *a,
			   const rebound_classify_options *opts,
			   rebound_result *res);
/* Mark the user-unknown answers that a security gateway gave (notice_gw:
 * the gateway the notice's text names, or NULL). */
void rebound_mark_suspects(rebound_message *msg, rebound_result *res,
			   const char *notice_gw);

#endif
