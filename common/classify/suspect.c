/* suspect.c - hard bounces that a security gateway may have given.
 *
 * "550 5.1.1 User unknown" from a filtering service is often a policy
 * block, not a missing mailbox (doc/design.md, suspect): such a hard
 * bounce is marked suspect, so the ledger suspends instead of
 * suppressing, and the evidence is named (rebound_recipient's
 * suspect_why).  The evidence, strongest first:
 *
 *   gateway:SERVICE remote-mta HOST   the Remote-MTA of the report
 *   gateway:SERVICE said HOST         the host the diagnostic names
 *   gateway:SERVICE reporting-mta H   the Reporting-MTA (an out-of-band
 *                                     notice the service wrote)
 *   gateway:WORD notice               the notice names the service
 *   gateway:WORD from                 its From names the service
 *   policy-words:WORDS                the reply is worded as a block
 *
 * The SMTP stage and a policy status are weighed where the reason is
 * decided (reason.c: stage:data, status:5.7.1, ...).  A plain "user
 * unknown" at RCPT from an ordinary MTA, with none of these, stays a
 * plain hard bounce.
 */
#include "stages.h"

#include <string.h>

#include "gateway.h"
#include "mail/address.h"
#include "matcher.h"

/* The service whose words stand in s (a header or a host's name, as the
 * detection tables know them), or NULL. */
static const char *gateway_words_in(rebound_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n;
	char *norm = rebound_matcher_normalise(arena, s, strlen(s), &n);
	return norm != NULL ? rebound_detect_gateway(norm, n) : NULL;
}

/* "gateway:SERVICE WHERE HOST" for the service's host named in s. */
static const char *gateway_host_why(rebound_arena *arena, const char *s,
				    const char *where)
{
	if (s == NULL)
		return NULL;
	const char *host;
	size_t hlen;
	const char *service = rebound_gateway_in_text(s, strlen(s), &host,
						      &hlen);
	if (service == NULL)
		return NULL;
	return rebound_arena_printf(arena, "gateway:%s %s %.*s", service, where,
				    (int)hlen, host);
}

/* The gateway evidence of the whole notice (not of one recipient). */
static const char *notice_gateway_why(rebound_message *msg,
				      const rebound_result *res,
				      const char *notice_gw)
{
	rebound_arena *arena = msg->arena;
	const char *why = gateway_host_why(arena, res->reporting_mta,
					   "reporting-mta");
	const char *w = gateway_words_in(arena, res->reporting_mta);
	if (why == NULL && w != NULL)
		why = rebound_arena_printf(arena, "gateway:%s reporting-mta", w);
	if (why == NULL && notice_gw != NULL)
		why = rebound_arena_printf(arena, "gateway:%s notice", notice_gw);
	const char *from = rebound_header_get(msg->root->headers, "From");
	if (why == NULL && (w = gateway_words_in(arena, from)) != NULL)
		why = rebound_arena_printf(arena, "gateway:%s from", w);
	const char *addr = rebound_first_address(arena, from);
	if (why == NULL && addr != NULL)
		why = gateway_host_why(arena, rebound_address_domain(addr), "from");
	return why;
}

/* The service's name in a why ("gateway:cisco said ..."): "cisco". */
static const char *service_of(rebound_arena *arena, const char *why)
{
	const char *s = why + strlen("gateway:");
	size_t n = strcspn(s, " ");
	return rebound_arena_strndup(arena, s, n);
}

void rebound_mark_suspects(rebound_message *msg, rebound_result *res,
			   const char *notice_gw)
{
	rebound_arena *arena = msg->arena;
	const char *notice_why = notice_gateway_why(msg, res, notice_gw);
	res->gateway = notice_why != NULL ? service_of(arena, notice_why) :
					    NULL;
	for (size_t i = 0; i < res->nrcpt; i++) {
		rebound_recipient *r = &res->rcpt[i];
		if (!r->hard || r->reason != REBOUND_REASON_USERUNKNOWN)
			continue;
		const char *why = gateway_host_why(arena, r->remote_mta,
						   "remote-mta");
		if (why == NULL)
			why = gateway_host_why(arena, r->diagnostic, "said");
		if (why == NULL)
			why = notice_why;
		/* "550 5.1.1 Recipient address rejected: access denied by
		   policy" is worded as a block, whatever its code says. */
		if (why == NULL && r->diagnostic != NULL) {
			size_t nl;
			char *n = rebound_matcher_normalise(
				arena, r->diagnostic, strlen(r->diagnostic), &nl);
			const char *words = n != NULL ?
				rebound_detect_policy_words(n, nl) : NULL;
			if (words != NULL)
				why = rebound_arena_printf(arena, "policy-words:%s",
							   words);
		}
		if (why == NULL)
			continue;
		if (res->gateway == NULL && strncmp(why, "gateway:", 8) == 0)
			res->gateway = service_of(arena, why);
		/* The first evidence found where the reason was decided
		   (stage, status) stays; a gateway is stronger. */
		if (!r->suspect || strncmp(why, "gateway:", 8) == 0)
			r->suspect_why = why;
		r->suspect = true;
	}
}
