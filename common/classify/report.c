/* report.c - the RFC 3464 stage: the recipients of a delivery-status
 * part, or of the delivery-status fields a notice quotes in its text. */
#include "stages.h"

#include <string.h>

#include "dsn.h"
#include "mail/address.h"
#include "mail/strutil.h"
#include "textscan.h"

/* The recipients of delivery-status fields body[0..blen): a report part's
 * body, or the fields a notice quotes in its text.  Those past
 * REBOUND_MAX_RCPT in all are added to *dropped. */
static int from_report(rebound_message *msg, const char *body, size_t blen,
		       rebound_result *res, rebound_rcpt_list *l,
		       const rebound_text_scan *ts, size_t *dropped)
{
	rebound_arena *arena = msg->arena;
	rebound_dsn dsn;
	if (rebound_dsn_parse(arena, body, blen, &dsn) < 0)
		return -1;
	/* The first report's, when there are several. */
	if (res->reporting_mta == NULL)
		res->reporting_mta = dsn.reporting_mta;
	if (res->envelope_id == NULL)
		res->envelope_id = dsn.envelope_id;
	*dropped += dsn.ndropped;
	rebound_rcpt_reserve(arena, l, dsn.nrcpt);
	for (size_t i = 0; i < dsn.nrcpt; i++) {
		const rebound_dsn_rcpt *d = &dsn.rcpt[i];
		/* Asked first, so that what is dropped costs nothing. */
		if (!rebound_rcpt_room(arena, l)) {
			(*dropped)++;	/* counted, not kept */
			continue;
		}
		const char *addr = rebound_first_address(arena, d->final_rcpt);
		if (addr == NULL)
			addr = rebound_first_address(arena, d->original_rcpt);
		if (addr == NULL)
			addr = rebound_first_address(arena, d->actual_rcpt);
		if (addr == NULL || rebound_rcpt_find(arena, l, addr) != NULL)
			continue;
		rebound_recipient *r = rebound_rcpt_add(arena, l);
		if (r == NULL)
			return -1;
		r->address = addr;
		if (d->status != NULL)
			rebound_find_status(d->status, strlen(d->status),
					    r->status);
		/* The remote server's own code is more precise than the
		   reporting MTA's summary (5.0.0 for "550 5.7.1 ..."). */
		char own[16];
		if (d->diagnostic != NULL &&
		    rebound_find_status(d->diagnostic, strlen(d->diagnostic), own) &&
		    (r->status[0] == '\0' || own[0] == r->status[0]))
			memcpy(r->status, own, sizeof(own));
		r->action = rebound_parse_action(d->action, r->status);
		r->remote_mta = d->remote_mta;
		const char *diag = d->diagnostic;
		/* The notice's own words when the report has no diagnostic. */
		const char *reason_text = diag;
		const char *context = NULL;
		const char *orig = rebound_first_address(arena, d->original_rcpt);
		for (size_t k = 0; ts != NULL && k < ts->nrcpt; k++)
			if (rebound_address_same(ts->rcpt[k].address, addr) ||
			    rebound_address_same(ts->rcpt[k].address, orig)) {
				context = ts->rcpt[k].block;
				if (diag == NULL || *diag == '\0')
					reason_text = context;
				break;
			}
		if ((reason_text == NULL || *reason_text == '\0') && ts != NULL &&
		    dsn.nrcpt == 1)
			reason_text = ts->preamble_len > 0 ?
				rebound_arena_strndup(arena, ts->preamble,
						      ts->preamble_len) : NULL;
		if (diag != NULL)
			rebound_rcpt_codes_from_text(r, diag, strlen(diag));
		if (context != NULL)
			rebound_rcpt_codes_from_text(r, context, strlen(context));
		r->diagnostic = rebound_one_line(arena, diag != NULL ? diag : reason_text,
					 diag != NULL ? strlen(diag) :
					 reason_text != NULL ? strlen(reason_text) : 0);
		rebound_rcpt_finish(arena, r, reason_text, context);
		/* "x-unix" diagnostics come from a local delivery program
		   (procmail, a pipe): the mailer failed, unless what it
		   printed is a full mailbox (a quota). */
		if (d->diagnostic_type != NULL &&
		    strcmp(d->diagnostic_type, "x-unix") == 0 &&
		    r->reason != REBOUND_REASON_MAILBOXFULL) {
			r->reason = REBOUND_REASON_MAILERERROR;
			r->rule = "diagnostic type x-unix";
			r->hard = false;
		}
	}
	return 0;
}

/* Delivery-status fields quoted in a notice's text: from the first
 * Reporting-MTA / Final-Recipient / Original-Recipient line, when a
 * Final-Recipient line and an Action or Status line follow.  NULL if
 * there are none. */
static const char *quoted_report(const char *text, size_t len, size_t *blen)
{
	/* Most notices quote no fields: one fast search says so. */
	if (rebound_memcasemem(text, len, "final-recipient:", 16) == NULL)
		return NULL;
	const char *start = NULL;
	bool rcpt = false, state = false;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		bool is_rcpt = rebound_ascii_istarts(p, n, "final-recipient:");
		if (start == NULL &&
		    (is_rcpt || rebound_ascii_istarts(p, n, "reporting-mta:") ||
		     rebound_ascii_istarts(p, n, "original-recipient:")))
			start = p;
		if (start != NULL) {
			rcpt = rcpt || is_rcpt;
			state = state || rebound_ascii_istarts(p, n, "action:") ||
				rebound_ascii_istarts(p, n, "status:");
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (start == NULL || !rcpt || !state)
		return NULL;
	*blen = (size_t)(end - start);
	return start;
}

/* A report part, else the fields of one quoted in the text ("Technical
 * report: Reporting-MTA: ... Final-Recipient: ..."), with a failed or
 * delayed recipient (a bounce) or only delivered ones (delivered). */
int rebound_stage_report(rebound_classify_ctx *cx)
{
	rebound_message *msg = cx->msg;
	const rebound_anatomy *a = &cx->a;
	rebound_result *res = cx->res;
	rebound_rcpt_list *l = &cx->l;
	size_t blen = 0;
	const char *body = a->report != NULL ?
		rebound_part_body(msg, a->report, &blen) :
		cx->notice_source ? quoted_report(cx->text,
							  cx->ts.original_at,
							  &blen) : NULL;
	if (body == NULL)
		return 0;
	size_t dropped = 0;
	if (from_report(msg, body, blen, res, l, &cx->ts, &dropped) < 0)
		return -1;
	for (size_t k = 0; k < a->nmore; k++) {
		size_t mlen = 0;
		const char *more = rebound_part_body(msg, a->more_reports[k],
						     &mlen);
		if (more != NULL &&
		    from_report(msg, more, mlen, res, l, &cx->ts,
				&dropped) < 0)
			return -1;
	}
	if (dropped > 0) {
		/* Said, not silent: the flag and the count reach explain,
		   the JSON and the servers' log lines. */
		msg->flags |= REBOUND_MSG_MANY_RCPT;
		res->msg_flags |= REBOUND_MSG_MANY_RCPT;
		res->rcpt_total = l->n + dropped;
	}
	/* Recipients found but none failed, in quoted fields only: the
	   text notice stage may still find the failure (they stay in l). */
	if (l->n == 0 ||
	    (a->report == NULL && !rebound_rcpt_any_failed_or_delayed(l)))
		return 0;
	res->format = "rfc3464";
	res->rcpt = l->v;
	res->nrcpt = l->n;
	if (rebound_rcpt_any_failed_or_delayed(l)) {
		res->cls = REBOUND_CLASS_BOUNCE;
		res->evidence = a->report != NULL ?
			"message/delivery-status part" :
			"delivery-status fields in the text";
		rebound_mark_suspects(msg, res, cx->ev.gateway);
	} else {
		res->cls = REBOUND_CLASS_DELIVERED;
		res->evidence = "delivery-status: delivered";
	}
	return 1;
}
