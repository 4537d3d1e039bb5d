/* reason.c - the reason for one recipient's failure, and whether it is
 * hard (reason.h). */
#include "reason.h"

#include <string.h>

#include "matcher.h"
#include "phrase-view.h"
#include "rules.h"
#include "smtp-stage.h"

static rebound_reason_choice phrase_choice(rebound_arena *arena, long id)
{
	const rebound_phrase_rule *r = &rebound_phrase_rules[id];
	rebound_reason_choice c;
	c.suspect = false;
	c.suspect_why = NULL;
	c.reason = r->reason;
	c.by = (r->flags & REBOUND_RULE_WEAK) ? REBOUND_BY_WEAK_PHRASE :
						 REBOUND_BY_PHRASE;
	c.rule = rebound_arena_printf(arena, "phrase %s/%s%s \"%s\"",
				      rebound_reason_name(r->reason), r->lang,
				      (r->flags & REBOUND_RULE_WEAK) ? "/weak" : "",
				      r->phrase);
	return c;
}

/* Is status an X.7.x code (security or policy)? */
static bool policy_status(const char *status)
{
	return status != NULL && status[0] != '\0' &&
	       strncmp(status + 1, ".7.", 3) == 0;
}

/* Is status X.2.1 (mailbox disabled, not accepting messages)? */
static bool mailbox_disabled_status(const char *status)
{
	return status != NULL && status[0] != '\0' &&
	       strcmp(status + 1, ".2.1") == 0;
}

/* The order: a strong phrase, a specific status code, a weak phrase, the
 * reply code; then the SMTP stage refines what the words could not tell
 * (an unknown user refused only after DATA is a content filter). */
rebound_reason_choice rebound_reason_decide(rebound_arena *arena, const char *diag,
				   const char *context, const char *status,
				   const char *reply, rebound_action action)
{
	rebound_reason_choice c = { REBOUND_REASON_UNDEFINED, "default undefined",
				    REBOUND_BY_NOTHING, false, NULL };
	/* A recipient that was delivered, relayed or expanded did not
	   bounce, whatever its reply says. */
	if (action == REBOUND_ACTION_DELIVERED ||
	    action == REBOUND_ACTION_RELAYED ||
	    action == REBOUND_ACTION_EXPANDED) {
		c.reason = REBOUND_REASON_DELIVERED;
		c.by = REBOUND_BY_ACTION;
		c.rule = rebound_arena_printf(arena, "action %s",
					      rebound_action_name(action));
		return c;
	}
	char *norm = NULL;
	size_t nl = 0;
	long strong = -1, weak = -1;
	if (diag != NULL && *diag != '\0')
		norm = rebound_phrase_view(arena, diag, &nl, &strong, &weak);
	long sid = rebound_rules_match_status(status);
	long rid = rebound_rules_match_reply(reply);
	if (strong >= 0) {
		c = phrase_choice(arena, strong);
		/* Some words mean another reason when they are the reporting
		   MTA's own, with no reply or status code (rules.c: PB). */
		rebound_reason bare = rebound_phrase_rules[strong].bare;
		if (bare != REBOUND_REASON_UNDEFINED &&
		    (reply == NULL || reply[0] == '\0') &&
		    (status == NULL || status[0] == '\0')) {
			c.reason = bare;
			c.rule = rebound_arena_printf(
				arena, "%s, no remote reply", c.rule);
		}
	} else if (sid >= 0) {
		c.reason = rebound_status_rules[sid].reason;
		c.by = REBOUND_BY_STATUS;
		c.rule = rebound_arena_printf(arena, "status %s",
					      rebound_status_rules[sid].code);
	} else if (weak >= 0)
		c = phrase_choice(arena, weak);
	else if (rid >= 0) {
		c.reason = rebound_reply_rules[rid].reason;
		c.by = REBOUND_BY_REPLY;
		c.rule = rebound_arena_printf(arena, "reply %s",
					      rebound_reply_rules[rid].code);
	} else if (action == REBOUND_ACTION_DELAYED) {
		c.reason = REBOUND_REASON_EXPIRED;
		c.by = REBOUND_BY_ACTION;
		c.rule = "action delayed";
	}
	/* The stage refines only these reasons (below): no scan for the
	   others. */
	bool refinable = c.reason == REBOUND_REASON_USERUNKNOWN ||
			 c.reason == REBOUND_REASON_HOSTUNKNOWN ||
			 c.reason == REBOUND_REASON_SYNTAXERROR ||
			 c.reason == REBOUND_REASON_REJECTED ||
			 c.reason == REBOUND_REASON_UNDEFINED;
	rebound_smtp_stage stage = norm != NULL && refinable ? rebound_smtp_stage_find(norm, nl) :
						       REBOUND_STAGE_UNKNOWN;
	if (refinable && stage == REBOUND_STAGE_UNKNOWN && context != NULL &&
	    context != diag) {
		size_t cl;
		char *cn = rebound_matcher_normalise(arena, context,
						     strlen(context), &cl);
		if (cn != NULL)
			stage = rebound_smtp_stage_find(cn, cl);
	}
	/* "User unknown" that something beside it puts in doubt stays
	   userunknown (the words and an X.1.x code mean it, and the
	   recipient may well be gone) but is marked suspect, so that the
	   ledger suspends instead of suppressing (doc/design.md): a
	   security/policy status (X.7.x) in the reply itself; X.2.1
	   ("mailbox disabled": RFC 3463 says the mailbox exists) unless the
	   refusal came at RCPT, where the address itself was checked; or a
	   refusal only after DATA, when the content had been seen (unless
	   the words are a provider's own for a missing account, which it
	   gives after DATA: REBOUND_RULE_AT_DATA). */
	if (c.reason == REBOUND_REASON_USERUNKNOWN) {
		bool account_words = strong >= 0 &&
			(rebound_phrase_rules[strong].flags & REBOUND_RULE_AT_DATA);
		const char *doubt = NULL;
		if (strong >= 0 && policy_status(status) && diag != NULL &&
		    strstr(diag, status) != NULL)
			doubt = rebound_arena_printf(arena, "status:%s", status);
		else if (stage != REBOUND_STAGE_RCPT &&
			 mailbox_disabled_status(status))
			doubt = rebound_arena_printf(arena,
						     "status:%s without RCPT",
						     status);
		else if (stage == REBOUND_STAGE_DATA && !account_words)
			doubt = "stage:data";
		if (doubt != NULL) {
			c.suspect = true;
			c.suspect_why = doubt;
			c.rule = rebound_arena_printf(arena, "%s, suspect: %s",
						      c.rule, doubt);
		}
	}
	rebound_reason before = c.reason;
	if (stage == REBOUND_STAGE_MAIL &&
	    (c.reason == REBOUND_REASON_USERUNKNOWN ||
	     c.reason == REBOUND_REASON_HOSTUNKNOWN ||
	     c.reason == REBOUND_REASON_UNDEFINED))
		c.reason = REBOUND_REASON_REJECTED;
	else if (stage == REBOUND_STAGE_CONNECT && c.reason == REBOUND_REASON_UNDEFINED)
		c.reason = REBOUND_REASON_BLOCKED;
	/* Refused at HELO/EHLO, before any sender or recipient was named:
	   the server refused our host, whatever the reply's words say of
	   "syntax" or "user" (qmail's "my name was rejected"). */
	else if (stage == REBOUND_STAGE_HELO && refinable)
		c.reason = REBOUND_REASON_BLOCKED;
	if (c.reason != before) {
		c.suspect = false;	/* no longer a user unknown */
		c.suspect_why = NULL;
		c.rule = rebound_arena_printf(
			arena, "%s, then stage %s", c.rule,
			stage == REBOUND_STAGE_MAIL ? "MAIL FROM" :
			stage == REBOUND_STAGE_HELO ? "HELO" : "connect");
	}
	return c;
}

bool rebound_reason_is_hard(rebound_reason r, const char *status, const char *reply)
{
	switch (r) {
	case REBOUND_REASON_USERUNKNOWN:
	case REBOUND_REASON_HOSTUNKNOWN:
	case REBOUND_REASON_HASMOVED:
		return true;
	case REBOUND_REASON_NOTACCEPT:
		/* A domain that takes no mail is permanent unless the
		   report itself says it is temporary. */
		return !((status != NULL && status[0] == '4') ||
			 (reply != NULL && reply[0] == '4'));
	default:
		return false;
	}
}
