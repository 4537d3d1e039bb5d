/* ses.c - the Amazon SES stage: a JSON bounce, complaint or delivery
 * notification (read by sesjson.c) as a result. */
#include "stages.h"

#include <stdio.h>
#include <string.h>

#include "mail/address.h"
#include "mail/decode.h"
#include "mail/strutil.h"
#include "reason.h"
#include "sesjson.h"
#include "textscan.h"

/* Does a single-part body start like a JSON object?  Headers-only cost:
 * a base64 body (as some relays re-encode the notification) is decoded
 * only as far as its first bytes. */
static bool body_is_json(const rebound_part *root)
{
	if (root->first_child != NULL || root->raw_body == NULL)
		return false;
	const char *b = root->raw_body;
	size_t n = root->raw_len;
	char head[REBOUND_BASE64_MAX(64)];
	if (root->encoding != NULL && strcmp(root->encoding, "base64") == 0) {
		bool bad = false;
		n = rebound_base64_decode(b, n < 64 ? n : 64, head, &bad);
		b = head;
	}
	size_t i = 0;
	while (i < n && i < 64 && rebound_is_space(b[i]))
		i++;
	return i < n && b[i] == '{';
}

/* Subtypes that say more than a General bounce does. */
static const struct {
	const char *subtype;
	rebound_reason reason;
} ses_subtypes[] = {
	{ "NoEmail", REBOUND_REASON_USERUNKNOWN },
	{ "Suppressed", REBOUND_REASON_SUPPRESSED },
	{ "OnAccountSuppressionList", REBOUND_REASON_SUPPRESSED },
	{ "MailboxFull", REBOUND_REASON_MAILBOXFULL },
	{ "MessageTooLarge", REBOUND_REASON_MESGTOOBIG },
	{ "ContentRejected", REBOUND_REASON_CONTENTERROR },
	{ "AttachmentRejected", REBOUND_REASON_CONTENTERROR },
};

/* 1 when the body was an SES notification (res filled), 0, or -1. */
static int from_ses(rebound_message *msg, const rebound_classify_options *opts,
		    rebound_result *res)
{
	rebound_arena *arena = msg->arena;
	size_t len;
	const char *body = rebound_part_text(msg, msg->root, &len);
	rebound_ses_notice n;
	int rc = rebound_ses_read(arena, body, len,
				  opts != NULL && opts->campaign_header != NULL ?
					  opts->campaign_header : "X-Campaign-ID",
				  &n);
	if (rc <= 0)
		return rc;
	rebound_rcpt_list l = { .v = NULL };
	res->format = "amazonses";
	if (n.reporting_mta != NULL) {
		/* "dsn; a27-23.smtp-out.us-west-2.amazonses.com" */
		const char *semi = strchr(n.reporting_mta, ';');
		const char *name = semi != NULL ? semi + 1 : n.reporting_mta;
		res->reporting_mta = rebound_one_line(arena, name, strlen(name));
	}
	res->orig_message_id = n.message_id;
	res->campaign = n.campaign;
	res->message_id = rebound_header_get(msg->root->headers, "Message-ID");
	if (n.source != NULL) {
		const char *src = rebound_first_address(arena, n.source);
		if (src != NULL)
			res->sender_domain = rebound_address_domain(src);
	}
	for (size_t i = 0; i < n.nrcpt; i++) {
		const rebound_ses_rcpt *x = &n.rcpt[i];
		const char *addr = rebound_first_address(arena, x->address);
		if (addr == NULL)
			continue;
		rebound_recipient *r = rebound_rcpt_add(arena, &l);
		if (r == NULL)
			return -1;
		r->address = addr;
		const char *text = n.kind == REBOUND_SES_DELIVERY ?
					   n.smtp_response : x->diagnostic;
		if (text != NULL)
			r->diagnostic = rebound_one_line(arena, text, strlen(text));
		if (n.kind == REBOUND_SES_COMPLAINT) {
			r->action = REBOUND_ACTION_FEEDBACK;
			r->reason = REBOUND_REASON_FEEDBACK;
			r->rule = "vendor amazonses: complaint";
			continue;
		}
		if (n.kind == REBOUND_SES_DELIVERY) {
			r->action = REBOUND_ACTION_DELIVERED;
			rebound_rcpt_codes_from_text(r, text, text != NULL ? strlen(text) : 0);
			r->reason = REBOUND_REASON_DELIVERED;
			r->rule = "vendor amazonses: delivery";
			continue;
		}
		bool transient = n.bounce_type != NULL &&
				 strcmp(n.bounce_type, "Transient") == 0;
		r->action = x->action != NULL ? rebound_parse_action(x->action, x->status) :
			    REBOUND_ACTION_FAILED;
		if (x->status != NULL && rebound_status_valid(x->status))
			snprintf(r->status, sizeof(r->status), "%s", x->status);
		rebound_rcpt_codes_from_text(r, r->diagnostic,
				r->diagnostic != NULL ? strlen(r->diagnostic) : 0);
		rebound_rcpt_finish(arena, r, r->diagnostic, NULL);
		if (r->reason == REBOUND_REASON_UNDEFINED && n.bounce_subtype != NULL)
			for (size_t k = 0; k < sizeof(ses_subtypes) /
						   sizeof(*ses_subtypes); k++)
				if (strcmp(n.bounce_subtype,
					   ses_subtypes[k].subtype) == 0) {
					r->reason = ses_subtypes[k].reason;
					r->rule = "vendor amazonses: bounceSubType";
					r->hard = rebound_reason_is_hard(r->reason, r->status,
							  r->reply_code);
				}
		if (transient)
			r->hard = false;
	}
	res->rcpt = l.v;
	res->nrcpt = l.n;
	res->cls = n.kind == REBOUND_SES_COMPLAINT ? REBOUND_CLASS_FEEDBACK :
		   n.kind == REBOUND_SES_DELIVERY ? REBOUND_CLASS_DELIVERED :
						     REBOUND_CLASS_BOUNCE;
	res->evidence = n.kind == REBOUND_SES_COMPLAINT ?
				"Amazon SES complaint notification" :
			n.kind == REBOUND_SES_DELIVERY ?
				"Amazon SES delivery notification" :
				"Amazon SES bounce notification";
	return 1;
}

/* A JSON event notification (Amazon SES) in a plain body. */
int rebound_stage_ses(rebound_classify_ctx *cx)
{
	if (!body_is_json(cx->msg->root))
		return 0;
	return from_ses(cx->msg, cx->opts, cx->res);
}
