/* recipients.c - the list of recipients a notice reports, and the
 * reason and hard/soft of each (stages.h). */
#include "stages.h"

#include <stdio.h>
#include <string.h>

#include "mail/address.h"
#include "mail/strutil.h"
#include "reason.h"
#include "textscan.h"

rebound_action rebound_parse_action(const char *a, const char *status)
{
	if (a != NULL) {
		size_t n = strlen(a);
		if (rebound_ascii_istarts(a, n, "fail"))
			return REBOUND_ACTION_FAILED;
		if (rebound_ascii_istarts(a, n, "delay"))
			return REBOUND_ACTION_DELAYED;
		if (rebound_ascii_istarts(a, n, "deliver"))
			return REBOUND_ACTION_DELIVERED;
		if (rebound_ascii_istarts(a, n, "relay"))
			return REBOUND_ACTION_RELAYED;
		if (rebound_ascii_istarts(a, n, "expand"))
			return REBOUND_ACTION_EXPANDED;
	}
	if (status != NULL && status[0] == '2')
		return REBOUND_ACTION_DELIVERED;
	if (status != NULL && status[0] == '4')
		return REBOUND_ACTION_DELAYED;
	return REBOUND_ACTION_FAILED;
}

rebound_recipient *rebound_rcpt_add(rebound_arena *arena, rebound_rcpt_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		rebound_recipient *g = rebound_arena_calloc(arena, ncap,
							    sizeof(*g));
		if (g == NULL)
			return NULL;
		if (l->n)
			memcpy(g, l->v, l->n * sizeof(*g));
		l->v = g;
		l->cap = ncap;
	}
	rebound_recipient *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

rebound_recipient *rebound_rcpt_find(rebound_rcpt_list *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (rebound_address_same(l->v[i].address, addr))
			return &l->v[i];
	return NULL;
}

/* Fill code fields from diagnostic text where the report had none. */
void rebound_rcpt_codes_from_text(rebound_recipient *r, const char *text, size_t n)
{
	if (text == NULL)
		return;
	if (r->status[0] == '\0')
		rebound_find_status(text, n, r->status);
	if (r->reply_code[0] == '\0')
		rebound_find_reply(text, n,
				   r->action == REBOUND_ACTION_DELIVERED ||
				   r->action == REBOUND_ACTION_RELAYED,
				   r->reply_code);
}

void rebound_rcpt_finish(rebound_arena *arena, rebound_recipient *r,
			const char *reason_text, const char *context)
{
	rebound_reason_choice c = rebound_reason_decide(arena, reason_text, context, r->status,
					r->reply_code, r->action);
	/* Google Groups refuses posts in the poster's language; the group
	   address is the only stable part of its notice.  A clear answer
	   ("the account does not exist") still wins. */
	bool weak_or_none = c.reason == REBOUND_REASON_UNDEFINED ||
			    (c.rule != NULL && strstr(c.rule, "/weak") != NULL);
	if (weak_or_none &&
	    rebound_ascii_ieq(rebound_address_domain(r->address),
			      "googlegroups.com")) {
		c.reason = REBOUND_REASON_REJECTED;
		c.rule = "vendor googlegroups: posting refused";
		c.suspect = false;
		c.suspect_why = NULL;
	}
	r->reason = c.reason;
	r->rule = c.rule;
	r->suspect = c.suspect;
	r->suspect_why = c.suspect ? c.suspect_why : NULL;
	r->hard = rebound_reason_is_hard(r->reason, r->status, r->reply_code);
	/* A message that expired in the queue was delayed until it gave up:
	   reported as "delayed", the convention of the reason vocabulary. */
	if (r->reason == REBOUND_REASON_EXPIRED &&
	    r->action == REBOUND_ACTION_FAILED)
		r->action = REBOUND_ACTION_DELAYED;
}

bool rebound_rcpt_any_failed_or_delayed(const rebound_rcpt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].action == REBOUND_ACTION_FAILED ||
		    l->v[i].action == REBOUND_ACTION_DELAYED)
			return true;
	return false;
}

void rebound_rcpt_derive_status(rebound_recipient *r)
{
	if (r->status[0] != '\0' || (r->action != REBOUND_ACTION_FAILED &&
				      r->action != REBOUND_ACTION_DELAYED))
		return;
	char cls;
	if (r->reply_code[0] == '4' || r->reply_code[0] == '5')
		cls = r->reply_code[0];
	else	/* expired is "delayed" by the vocabulary's convention,
		   but the message came back: it failed for good */
		cls = r->action == REBOUND_ACTION_DELAYED &&
		      r->reason != REBOUND_REASON_EXPIRED ? '4' : '5';
	snprintf(r->status, sizeof(r->status), "%c.0.0", cls);
	r->status_derived = true;
}
