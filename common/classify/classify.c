/* classify.c - from a parsed message to a result: the stages in order.
 *
 * A message goes through the stages below, the first that decides wins
 * (doc/classify.md, section 1).  Each stage lives where its knowledge
 * does (stages.h lists the files); this file holds the order, the small
 * stages, and the public entry points of classify.h.
 */
#include "classify.h"

#include <assert.h>
#include <string.h>

#include "mail/address.h"
#include "mail/charset.h"
#include "detect.h"
#include "rules.h"
#include "smtp-stage.h"
#include "stages.h"

/* --- the small stages ---------------------------------------------------- */

static int decided(rebound_classify_ctx *cx, rebound_class cls,
		   const char *format, const char *evidence)
{
	cx->res->cls = cls;
	cx->res->format = format;
	cx->res->evidence = evidence;
	return 1;
}

/* An RFC 5965 feedback report. */
static int stage_feedback_report(rebound_classify_ctx *cx)
{
	if (cx->a.feedback == NULL)
		return 0;
	rebound_link_original(cx->msg, &cx->a, cx->opts, cx->res);
	return decided(cx, REBOUND_CLASS_FEEDBACK, "arf",
		       "message/feedback-report part");
}

/* A complaint report older than RFC 5965: its subject, and the message
 * complained about attached. */
static int stage_complaint(rebound_classify_ctx *cx)
{
	if (cx->subj == NULL || cx->a.original == NULL ||
	    rebound_detect_complaint_subject(cx->subj, cx->sl) == NULL)
		return 0;
	rebound_link_original(cx->msg, &cx->a, cx->opts, cx->res);
	return decided(cx, REBOUND_CLASS_FEEDBACK, "complaint",
		       "complaint subject and the message attached");
}

/* A request to leave a list, sent by a mail client's unsubscribe button
 * (Apple Mail marks it X-Apple-Unsubscribe) or by a person whose subject
 * says only that: the recipient's feedback. */
static int stage_unsubscribe(rebound_classify_ctx *cx)
{
	const rebound_header *top = cx->msg->root->headers;
	if (rebound_header_get(top, "X-Apple-Unsubscribe") == NULL &&
	    !(cx->subj != NULL && cx->sl == 11 &&
	      memcmp(cx->subj, "unsubscribe", 11) == 0))
		return 0;
	rebound_arena *arena = cx->msg->arena;
	decided(cx, REBOUND_CLASS_FEEDBACK, "unsubscribe", "unsubscribe request");
	rebound_link_original(cx->msg, &cx->a, cx->opts, cx->res);
	/* The subscriber is who asks: the ledger records it for that
	   address (feedback never suppresses by itself). */
	const char *who = rebound_first_address(arena,
						rebound_header_get(top, "From"));
	if (who != NULL) {
		rebound_rcpt_list one = { .v = NULL };
		rebound_recipient *r = rebound_rcpt_add(arena, &one);
		if (r == NULL)
			return -1;
		r->address = who;
		r->action = REBOUND_ACTION_FEEDBACK;
		r->reason = REBOUND_REASON_FEEDBACK;
		r->rule = "unsubscribe request from the sender";
		cx->res->rcpt = one.v;
		cx->res->nrcpt = one.n;
	}
	return 1;
}

/* An auto-reply (RFC 3834 and the usual headers and subjects). */
static int stage_autoreply(rebound_classify_ctx *cx)
{
	const char *why = NULL;
	if (rebound_detect_autoreply(cx->msg->root->headers, cx->subj, cx->sl,
				     &why)) {
		cx->res->cls = REBOUND_CLASS_AUTOREPLY;
		cx->res->evidence = why;
	}
	return 1;
}

/* Ordinary mail (most of a monitored mailbox) stops here: no report, no
 * mail system, no bounce subject; and list mail never is a plain-text
 * notice, whatever its subject says.  It may still be an auto-reply. */
static int stage_ordinary(rebound_classify_ctx *cx)
{
	const rebound_header *top = cx->msg->root->headers;
	size_t fl = 0;
	const char *from = rebound_header_norm(cx->msg->arena, top, "From", &fl);
	cx->subj_hit = cx->subj != NULL ?
		rebound_detect_bounce_subject(cx->subj, cx->sl) : NULL;
	cx->from_hit = from != NULL ?
		rebound_detect_system_sender(from, fl) : NULL;
	/* A no-reply sender (a carrier's mail system, but also every
	   newsletter) counts only when it returns the original message. */
	if (cx->from_hit != NULL && strcmp(cx->from_hit, "no-reply@") == 0 &&
	    cx->a.original == NULL)
		cx->from_hit = NULL;
	cx->xfr = rebound_header_get(top, "X-Failed-Recipients");
	cx->list_mail = rebound_detect_list_mail(top);
	if (cx->a.report == NULL && cx->from_hit == NULL &&
	    cx->subj_hit == NULL && cx->xfr == NULL)
		return stage_autoreply(cx);
	return 0;
}

/* What ties the notice to the mail that was sent (link.c). */
static int stage_link(rebound_classify_ctx *cx)
{
	rebound_link_original(cx->msg, &cx->a, cx->opts, cx->res);
	return 0;
}

/* A gateway that forwards the bounce it received as an attachment, with
 * nothing of its own to say: classify the attached notice (one level
 * only).  Only a mail system's wrapper: a person forwarding a bounce to
 * a colleague is not reporting a new one. */
static int stage_forwarded(rebound_classify_ctx *cx)
{
	const rebound_part *inner = cx->a.original;
	if (cx->from_hit == NULL || cx->level > 0 || inner == NULL ||
	    inner->parent == NULL)
		return 0;
	const rebound_part *wrap = inner->parent;
	rebound_message *msg = cx->msg;
	size_t fl = 0;
	const char *from = rebound_header_norm(msg->arena, inner->headers,
					       "From", &fl);
	if (strncmp(inner->type, "multipart/report", 16) != 0 &&
	    (from == NULL || rebound_detect_system_sender(from, fl) == NULL))
		return 0;
	rebound_message *sub;
	if (rebound_message_parse(msg->arena, wrap->raw_body, wrap->raw_len,
				  &msg->limits, &sub) < 0)
		return -1;
	rebound_result *r;
	if (rebound_classify_at(sub, cx->opts, &r, cx->level + 1) < 0)
		return -1;
	if (r->cls != REBOUND_CLASS_BOUNCE || r->nrcpt == 0)
		return 0;
	r->evidence = rebound_arena_printf(msg->arena, "forwarded notice: %s",
					   r->evidence);
	r->msg_flags |= msg->flags;
	*cx->out = r;
	return 1;
}

/* --- the order ------------------------------------------------------------- */

typedef int (*stage_fn)(rebound_classify_ctx *cx);

static const struct {
	const char *name;
	stage_fn run;
} pipeline[] = {
	{ "feedback report", stage_feedback_report },
	{ "Amazon SES notification", rebound_stage_ses },
	{ "complaint", stage_complaint },
	{ "unsubscribe request", stage_unsubscribe },
	{ "ordinary mail", stage_ordinary },
	{ "the notice's text", rebound_stage_notice_text },
	{ "links to the sent mail", stage_link },
	{ "delivery report", rebound_stage_report },
	{ "text notice", rebound_stage_text_notice },
	{ "forwarded notice", stage_forwarded },
	{ "auto-reply", stage_autoreply },
};

int rebound_classify_at(rebound_message *msg,
			const rebound_classify_options *opts,
			rebound_result **out, unsigned level)
{
	rebound_result *res = rebound_arena_calloc(msg->arena, 1, sizeof(*res));
	*out = res;
	if (res == NULL)
		return -1;
	res->msg_flags = msg->flags;
	res->evidence = "no bounce evidence";
	rebound_classify_ctx cx = {
		.msg = msg, .opts = opts, .res = res, .out = out, .level = level,
	};
	rebound_anatomy_read(msg, &cx.a);
	cx.subj = rebound_header_norm(msg->arena, msg->root->headers,
				      "Subject", &cx.sl);
	int rc = 0;
	for (size_t i = 0; i < sizeof(pipeline) / sizeof(*pipeline) && rc == 0;
	     i++)
		rc = pipeline[i].run(&cx);
	if (rc < 0)
		return -1;
	/* A forwarded notice's result was finished at its own level. */
	if (*out == res)
		for (size_t i = 0; i < res->nrcpt; i++)
			rebound_rcpt_derive_status(&res->rcpt[i]);
	return 0;
}

/* --- classify.h -------------------------------------------------------------- */

int rebound_classify_message(rebound_message *msg,
			     const rebound_classify_options *opts,
			     rebound_result **out)
{
	return rebound_classify_at(msg, opts, out, 0);
}
int rebound_classify(rebound_arena *arena, const char *buf, size_t len,
		     const rebound_classify_options *opts,
		     rebound_result **out)
{
	rebound_message *msg;
	*out = NULL;
	if (rebound_message_parse(arena, buf, len,
				  opts != NULL ? opts->limits : NULL, &msg) < 0)
		return -1;
	return rebound_classify_message(msg, opts, out);
}

int rebound_classify_reply(rebound_arena *arena, const char *address,
			   const char *reply, size_t len,
			   rebound_action action, rebound_recipient *out)
{
	memset(out, 0, sizeof(*out));
	const char *addr = address != NULL ? address : "";
	out->address = rebound_address_find(arena, addr, strlen(addr), NULL,
					    NULL);
	if (out->address == NULL)
		out->address = "";
	out->action = action;
	const char *text = rebound_one_line(arena, reply != NULL ? reply : "",
				    reply != NULL ? len : 0);
	if (text == NULL)
		return -1;
	out->diagnostic = text;
	rebound_rcpt_codes_from_text(out, text, strlen(text));
	rebound_rcpt_finish(arena, out, text, NULL);
	/* An in-band 4xx is a deferral, whatever its words say. */
	if (action == REBOUND_ACTION_DELAYED)
		out->hard = false;
	rebound_rcpt_derive_status(out);
	return 0;
}

void rebound_classify_release(void)
{
	rebound_rules_release();
	rebound_detect_release();
	rebound_smtp_stage_release();
	/* The iconv descriptors cached while decoding are ours too. */
	rebound_charset_cleanup();
}

static_assert(REBOUND_CLASSIFY_NLISTS == 1 + REBOUND_DETECT_NLISTS + 1,
	      "the rules, the detection tables and the stage words");

void rebound_classify_phrase_lists(
	rebound_phrase_list out[REBOUND_CLASSIFY_NLISTS])
{
	out[0] = rebound_rules_phrase_list();
	rebound_detect_phrase_lists(out + 1);
	out[1 + REBOUND_DETECT_NLISTS] = rebound_smtp_stage_phrase_list();
}

