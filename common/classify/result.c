/* result.c - what result.h declares: the names and categories of the
 * result vocabulary, and the copy of a result that outlives the arena it
 * was classified in. */
#include "result.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *const reason_names[] = {
#define REBOUND_REASON_NAME(sym, name) name,
	REBOUND_REASONS(REBOUND_REASON_NAME)
#undef REBOUND_REASON_NAME
};

const char *rebound_reason_name(rebound_reason r)
{
	if ((unsigned)r >= REBOUND_REASON_COUNT)
		return "undefined";
	return reason_names[r];
}

int rebound_reason_from_name(const char *name)
{
	for (int i = 0; i < REBOUND_REASON_COUNT; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}

const char *rebound_action_name(rebound_action a)
{
	static const char *const names[] = {
		"none", "failed", "delayed", "delivered", "relayed",
		"expanded", "autoreply", "feedback",
	};
	if ((unsigned)a >= sizeof(names) / sizeof(*names))
		return "none";
	return names[a];
}

const char *rebound_class_name(rebound_class c)
{
	static const char *const names[] = {
		"not-bounce", "bounce", "delivered", "autoreply", "feedback",
	};
	if ((unsigned)c >= sizeof(names) / sizeof(*names))
		return "not-bounce";
	return names[c];
}

/* Marketo-style: 1 hard/suspended (blocks), 2 hard/invalid, 3 soft
 * (full, throttled, expired), 4 soft technical, 9 anything else. */
int rebound_reason_category(rebound_reason r)
{
	switch (r) {
	case REBOUND_REASON_BLOCKED:
	case REBOUND_REASON_SPAMDETECTED:
	case REBOUND_REASON_BADREPUTATION:
	case REBOUND_REASON_POLICYVIOLATION:
	case REBOUND_REASON_AUTHFAILURE:
	case REBOUND_REASON_REQUIREPTR:
	case REBOUND_REASON_SECURITYERROR:
	case REBOUND_REASON_VIRUSDETECTED:
	case REBOUND_REASON_FILTERED:
	case REBOUND_REASON_REJECTED:
	case REBOUND_REASON_NORELAYING:
	case REBOUND_REASON_CONTENTERROR:
	case REBOUND_REASON_NOTCOMPLIANTRFC:
		return 1;
	case REBOUND_REASON_USERUNKNOWN:
	case REBOUND_REASON_HOSTUNKNOWN:
	case REBOUND_REASON_HASMOVED:
	case REBOUND_REASON_NOTACCEPT:
	case REBOUND_REASON_SYNTAXERROR:
	case REBOUND_REASON_SUSPEND:
		return 2;
	case REBOUND_REASON_MAILBOXFULL:
	case REBOUND_REASON_TOOMANYCONN:
	case REBOUND_REASON_SPEEDING:
	case REBOUND_REASON_EXPIRED:
	case REBOUND_REASON_EXCEEDLIMIT:
	case REBOUND_REASON_MESGTOOBIG:
		return 3;
	case REBOUND_REASON_NETWORKERROR:
	case REBOUND_REASON_SYSTEMERROR:
	case REBOUND_REASON_SYSTEMFULL:
	case REBOUND_REASON_MAILERERROR:
	case REBOUND_REASON_FAILEDSTARTTLS:
		return 4;
	default:
		return 9;
	}
}

const char *rebound_reason_hubspot(rebound_reason r)
{
	switch (r) {
	case REBOUND_REASON_USERUNKNOWN:
	case REBOUND_REASON_HOSTUNKNOWN:
	case REBOUND_REASON_HASMOVED:
	case REBOUND_REASON_NOTACCEPT:
	case REBOUND_REASON_SUSPEND:
		return "unknown user";
	case REBOUND_REASON_MAILBOXFULL:
		return "mailbox full";
	case REBOUND_REASON_CONTENTERROR:
	case REBOUND_REASON_MESGTOOBIG:
	case REBOUND_REASON_VIRUSDETECTED:
	case REBOUND_REASON_NOTCOMPLIANTRFC:
		return "content";
	case REBOUND_REASON_SPAMDETECTED:
	case REBOUND_REASON_BLOCKED:
	case REBOUND_REASON_BADREPUTATION:
		return "spam";
	case REBOUND_REASON_AUTHFAILURE:
	case REBOUND_REASON_POLICYVIOLATION:
	case REBOUND_REASON_REQUIREPTR:
	case REBOUND_REASON_SECURITYERROR:
		return "policy";
	default:
		return "other";
	}
}

/* --- the copy ---------------------------------------------------------- */

static bool dup_str(rebound_arena *arena, const char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = rebound_arena_strdup(arena, src);
	return *dst != NULL;
}

/* Field by field on purpose: a field added to result.h later is left
 * zero here instead of pointing into the scratch arena, which the next
 * message reuses. */
rebound_result *rebound_result_copy(rebound_arena *arena,
				    const rebound_result *res)
{
	rebound_result *r = rebound_arena_calloc(arena, 1, sizeof(*r));
	bool ok;

	if (r == NULL)
		return NULL;
	r->cls = res->cls;
	r->msg_flags = res->msg_flags;
	r->rcpt_total = res->rcpt_total;
	ok = dup_str(arena, &r->format, res->format) &&
		dup_str(arena, &r->evidence, res->evidence) &&
		dup_str(arena, &r->reporting_mta, res->reporting_mta) &&
		dup_str(arena, &r->gateway, res->gateway) &&
		dup_str(arena, &r->message_id, res->message_id) &&
		dup_str(arena, &r->orig_message_id, res->orig_message_id) &&
		dup_str(arena, &r->envelope_id, res->envelope_id) &&
		dup_str(arena, &r->campaign, res->campaign) &&
		dup_str(arena, &r->sender_domain, res->sender_domain) &&
		dup_str(arena, &r->verp_recipient, res->verp_recipient);
	if (!ok)
		return NULL;
	if (res->nrcpt == 0 || res->rcpt == NULL)
		return r;
	r->rcpt = rebound_arena_calloc(arena, res->nrcpt, sizeof(*r->rcpt));
	if (r->rcpt == NULL)
		return NULL;
	r->nrcpt = res->nrcpt;
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *s = &res->rcpt[i];
		rebound_recipient *d = &r->rcpt[i];

		d->action = s->action;
		memcpy(d->status, s->status, sizeof(d->status));
		d->status[sizeof(d->status) - 1] = '\0';
		memcpy(d->reply_code, s->reply_code, sizeof(d->reply_code));
		d->reply_code[sizeof(d->reply_code) - 1] = '\0';
		d->reason = s->reason;
		d->hard = s->hard;
		d->suspect = s->suspect;
		d->status_derived = s->status_derived;
		ok = dup_str(arena, &d->address,
			     s->address != NULL ? s->address : "") &&
			dup_str(arena, &d->diagnostic, s->diagnostic) &&
			dup_str(arena, &d->remote_mta, s->remote_mta) &&
			dup_str(arena, &d->rule, s->rule) &&
			dup_str(arena, &d->suspect_why, s->suspect_why);
		if (!ok)
			return NULL;
	}
	return r;
}

const char *rebound_suspect_why(const rebound_result *res, const char *address)
{
	for (size_t i = 0; res != NULL && address != NULL && i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		if (r->address != NULL && r->suspect && r->suspect_why != NULL &&
		    strcasecmp(r->address, address) == 0)
			return r->suspect_why;
	}
	return "delivered-lately";
}
