/* link.c - what ties a notice to the mail that was sent: the original
 * Message-ID, the campaign header, the sender domain, and the recipient
 * encoded in a VERP return path. */
#include "stages.h"

#include <string.h>

#include "mail/address.h"

void rebound_link_original(rebound_message *msg, const rebound_anatomy *a,
			  const rebound_classify_options *opts,
			  rebound_result *res)
{
	rebound_arena *arena = msg->arena;
	const rebound_header *top = msg->root->headers;
	const char *own = rebound_header_get(top, "Message-ID");
	if (own != NULL)
		res->message_id = rebound_one_line(arena, own, strlen(own));
	const char *campaign = opts != NULL && opts->campaign_header != NULL ?
				       opts->campaign_header : "X-Campaign-ID";
	if (a->original != NULL) {
		const rebound_header *oh = a->original->headers;
		const char *mid = rebound_header_get(oh, "Message-ID");
		if (mid != NULL)
			res->orig_message_id = rebound_one_line(arena, mid, strlen(mid));
		const char *c = rebound_header_get(oh, campaign);
		if (c != NULL)
			res->campaign = rebound_one_line(arena, c, strlen(c));
		const char *from = rebound_first_address(arena,
						 rebound_header_get(oh, "From"));
		if (from != NULL)
			res->sender_domain = rebound_address_domain(from);
	}
	if (res->sender_domain == NULL) {
		const char *to = rebound_first_address(arena, rebound_header_get(top, "To"));
		if (to != NULL)
			res->sender_domain = rebound_address_domain(to);
	}
	/* VERP: LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN in the return path. */
	const char *fmt = opts != NULL && opts->verp_format != NULL ?
				  opts->verp_format :
				  "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN";
	const char *p1 = strstr(fmt, "LOCAL");
	const char *p2 = strstr(fmt, "RCPTLOCAL");
	const char *p3 = strstr(fmt, "RCPTDOMAIN");
	if (p1 == NULL || p2 == NULL || p3 == NULL || p2 != p1 + 6 ||
	    p3 <= p2 + 9)
		return;
	char sep1 = p1[5], sep2 = p2[9];
	static const char *const where[] = { "X-Original-To", "Delivered-To",
					     "Envelope-To", "To" };
	for (size_t i = 0; i < sizeof(where) / sizeof(*where); i++) {
		const char *addr = rebound_first_address(arena,
						 rebound_header_get(top, where[i]));
		if (addr == NULL)
			continue;
		const char *at = strrchr(addr, '@');
		const char *s1 = memchr(addr, sep1, (size_t)(at - addr));
		if (s1 == NULL)
			continue;
		const char *s2 = NULL;
		for (const char *q = at - 1; q > s1; q--)
			if (*q == sep2) {
				s2 = q;
				break;
			}
		if (s2 == NULL || s2 == s1 + 1 || s2 + 1 == at)
			continue;
		res->verp_recipient = rebound_arena_printf(
			arena, "%.*s@%.*s", (int)(s2 - s1 - 1), s1 + 1,
			(int)(at - s2 - 1), s2 + 1);
		if (res->verp_recipient != NULL &&
		    !rebound_address_valid(res->verp_recipient))
			res->verp_recipient = NULL;
		else
			break;
	}
}
