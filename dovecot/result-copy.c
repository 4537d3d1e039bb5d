/* result-copy.c - a compact copy of a classification result (see
 * result-copy.h). */
#include <stdbool.h>
#include <string.h>

#include "dovecot/result-copy.h"

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
		ok = dup_str(arena, &d->address,
			     s->address != NULL ? s->address : "") &&
			dup_str(arena, &d->diagnostic, s->diagnostic) &&
			dup_str(arena, &d->remote_mta, s->remote_mta) &&
			dup_str(arena, &d->rule, s->rule);
		if (!ok)
			return NULL;
	}
	return r;
}

