/* sesjson.c - Amazon SES notifications in JSON (see sesjson.h). */
#include "sesjson.h"

#include <string.h>

#include "jsonread.h"
#include "mail/strutil.h"

/* Only bodies this small are parsed: SES notifications are a few KiB. */
#define MAX_SES_BYTES	((size_t)256 * 1024)
#define MAX_SES_RCPT	200

static const char *first_string(const rebound_jvalue *arr)
{
	if (arr == NULL || arr->type != REBOUND_J_ARRAY)
		return NULL;
	for (const rebound_jvalue *e = arr->child; e != NULL; e = e->next)
		if (e->type == REBOUND_J_STRING)
			return e->str;
	return NULL;
}

/* The notification object: the body itself, or an SNS envelope's
 * "Message" string parsed in turn. */
static const rebound_jvalue *notification(rebound_arena *arena,
					  const rebound_jvalue *root)
{
	if (root == NULL || root->type != REBOUND_J_OBJECT)
		return NULL;
	if (rebound_json_get(root, "notificationType") != NULL ||
	    rebound_json_get(root, "eventType") != NULL)
		return root;
	const rebound_jvalue *m = rebound_json_get(root, "Message");
	if (m == NULL || m->type != REBOUND_J_STRING)
		return NULL;
	const rebound_jvalue *inner = rebound_json_read(arena, m->str, m->len);
	if (inner == NULL || inner->type != REBOUND_J_OBJECT ||
	    (rebound_json_get(inner, "notificationType") == NULL &&
	     rebound_json_get(inner, "eventType") == NULL))
		return NULL;
	return inner;
}

/* Returns 1 when the address was added, 0 when it was not (none, or the
 * list is full), -1 when the arena is spent. */
static int add(rebound_arena *arena, rebound_ses_notice *out,
	       const char *address)
{
	if (address == NULL || out->nrcpt >= MAX_SES_RCPT)
		return 0;
	if (out->rcpt == NULL) {
		out->rcpt = rebound_arena_calloc(arena, MAX_SES_RCPT,
						 sizeof(*out->rcpt));
		if (out->rcpt == NULL)
			return -1;
	}
	out->rcpt[out->nrcpt++].address = address;
	return 1;
}

static void link_mail(const rebound_jvalue *mail, const char *campaign_header,
		      rebound_ses_notice *out)
{
	if (mail == NULL)
		return;
	const rebound_jvalue *common = rebound_json_get(mail, "commonHeaders");
	out->message_id = rebound_json_get_str(common, "messageId");
	out->source = rebound_json_get_str(mail, "source");
	if (out->source == NULL)
		out->source = first_string(rebound_json_get(common, "from"));
	const rebound_jvalue *hs = rebound_json_get(mail, "headers");
	if (hs == NULL || hs->type != REBOUND_J_ARRAY)
		return;
	for (const rebound_jvalue *h = hs->child; h != NULL; h = h->next) {
		const char *name = rebound_json_get_str(h, "name");
		const char *value = rebound_json_get_str(h, "value");
		if (name == NULL || value == NULL)
			continue;
		if (out->message_id == NULL &&
		    rebound_ascii_ieq(name, "Message-ID"))
			out->message_id = value;
		if (campaign_header != NULL &&
		    rebound_ascii_ieq(name, campaign_header))
			out->campaign = value;
	}
}

int rebound_ses_read(rebound_arena *arena, const char *body, size_t len,
		     const char *campaign_header, rebound_ses_notice *out)
{
	memset(out, 0, sizeof(*out));
	size_t i = 0;
	while (i < len && rebound_is_space(body[i]))
		i++;
	if (i == len || body[i] != '{' || len > MAX_SES_BYTES)
		return 0;
	if (rebound_memcasemem(body, len, "notificationType", 16) == NULL &&
	    rebound_memcasemem(body, len, "eventType", 9) == NULL)
		return 0;
	const rebound_jvalue *n =
		notification(arena, rebound_json_read(arena, body + i, len - i));
	if (n == NULL)
		return rebound_arena_exhausted(arena) ? -1 : 0;
	const char *type = rebound_json_get_str(n, "notificationType");
	if (type == NULL)
		type = rebound_json_get_str(n, "eventType");
	if (type == NULL)
		return 0;
	link_mail(rebound_json_get(n, "mail"), campaign_header, out);

	if (strcmp(type, "Bounce") == 0) {
		const rebound_jvalue *b = rebound_json_get(n, "bounce");
		const rebound_jvalue *list = rebound_json_get(b, "bouncedRecipients");
		out->kind = REBOUND_SES_BOUNCE;
		out->bounce_type = rebound_json_get_str(b, "bounceType");
		out->bounce_subtype = rebound_json_get_str(b, "bounceSubType");
		out->reporting_mta = rebound_json_get_str(b, "reportingMTA");
		for (const rebound_jvalue *r = list != NULL ? list->child : NULL;
		     r != NULL; r = r->next) {
			int added = add(arena, out,
					rebound_json_get_str(r, "emailAddress"));
			if (added < 0)
				return -1;
			/* Not added: its fields must not land on the one
			   before (or before the array). */
			if (added == 0)
				continue;
			rebound_ses_rcpt *x = &out->rcpt[out->nrcpt - 1];
			x->action = rebound_json_get_str(r, "action");
			x->status = rebound_json_get_str(r, "status");
			x->diagnostic = rebound_json_get_str(r, "diagnosticCode");
		}
	} else if (strcmp(type, "Complaint") == 0) {
		const rebound_jvalue *c = rebound_json_get(n, "complaint");
		const rebound_jvalue *list =
			rebound_json_get(c, "complainedRecipients");
		out->kind = REBOUND_SES_COMPLAINT;
		for (const rebound_jvalue *r = list != NULL ? list->child : NULL;
		     r != NULL; r = r->next)
			if (add(arena, out, rebound_json_get_str(r, "emailAddress")) < 0)
				return -1;
	} else if (strcmp(type, "Delivery") == 0) {
		const rebound_jvalue *d = rebound_json_get(n, "delivery");
		const rebound_jvalue *list = rebound_json_get(d, "recipients");
		out->kind = REBOUND_SES_DELIVERY;
		out->smtp_response = rebound_json_get_str(d, "smtpResponse");
		out->reporting_mta = rebound_json_get_str(d, "reportingMTA");
		for (const rebound_jvalue *r = list != NULL ? list->child : NULL;
		     r != NULL; r = r->next)
			if (r->type == REBOUND_J_STRING &&
			    add(arena, out, r->str) < 0)
				return -1;
	} else {
		return 0;
	}
	return 1;
}
