/* suspect.c - hard bounces that a security gateway may have given:
 * "user unknown" from a gateway, or worded as a policy block, is marked
 * suspect (suspended, not suppressed). */
#include "stages.h"

#include <string.h>

#include "matcher.h"

/* The security gateway named in s, or NULL. */
static const char *gateway_in(rebound_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n;
	char *norm = rebound_matcher_normalise(arena, s, strlen(s), &n);
	return norm != NULL ? rebound_detect_gateway(norm, n) : NULL;
}

/* Mark user-unknown answers that a security gateway gave. */
void rebound_mark_suspects(rebound_message *msg, rebound_result *res,
			  const char *notice_gw)
{
	const char *gw = gateway_in(msg->arena, res->reporting_mta);
	if (gw == NULL)
		gw = notice_gw;
	if (gw == NULL)
		gw = gateway_in(msg->arena,
				rebound_header_get(msg->root->headers, "From"));
	res->gateway = gw;
	for (size_t i = 0; i < res->nrcpt; i++) {
		rebound_recipient *r = &res->rcpt[i];
		if (!r->hard || r->reason != REBOUND_REASON_USERUNKNOWN)
			continue;
		if (gw != NULL) {
			r->suspect = true;
			continue;
		}
		/* "550 5.1.1 Recipient address rejected: access denied by
		   policy" is worded as a block, whatever its code says. */
		if (r->diagnostic != NULL) {
			size_t nl;
			char *n = rebound_matcher_normalise(
				msg->arena, r->diagnostic,
				strlen(r->diagnostic), &nl);
			if (n != NULL && rebound_detect_policy_words(n, nl) != NULL)
				r->suspect = true;
		}
	}
}
