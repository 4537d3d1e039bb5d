/* verp-vouch.c - which recipients of a notice its signed return paths
 * vouch for (verp.h, doc/verp.md): the one rule the Exim module, the
 * Dovecot plugin and `rebound record` share when require_signed_verp is
 * set.  Each valid signature vouches for the recipient it names; the
 * ledger asks rebound_verp_vouches() for every recipient it records. */
#include "verp.h"

#include <stdio.h>
#include <string.h>

#include "mail/strutil.h"

/* Fields that name the envelope recipient a message was delivered to. */
static const char *const delivery_fields[] = { "Delivered-To",
					       "X-Original-To" };
/* Fields of each name looked at: a forwarding chain adds one per hop. */
#define FIELDS_MAX 16

/* Is `address` among the recipients vouched for? */
static bool named(const rebound_verp_vouch *v, const char *address)
{
	for (size_t i = 0; i < v->n; i++)
		if (rebound_ascii_ieq(v->recipient[i], address))
			return true;
	return false;
}

void rebound_verp_vouch_init(rebound_verp_vouch *v, bool required)
{
	memset(v, 0, sizeof(*v));
	v->required = required;
	v->first_failed = REBOUND_VERP_VALID;
}

rebound_verp_status rebound_verp_vouch_add(rebound_verp_vouch *v,
					   const rebound_verp_key *key,
					   const char *format,
					   const char *address, int64_t now,
					   int64_t max_age_seconds)
{
	rebound_verp_check chk;
	rebound_verp_status st = rebound_verp_verify(key, format, address, now,
						     max_age_seconds, &chk);
	v->checked++;
	if (st != REBOUND_VERP_VALID) {
		if (v->first_failed == REBOUND_VERP_VALID) {
			v->first_failed = st;
			snprintf(v->first_failed_address,
				 sizeof(v->first_failed_address), "%s",
				 address != NULL ? address : "");
		}
		return st;
	}
	/* Named twice (two RCPTs, two fields): kept once. */
	if (!named(v, chk.recipient) && v->n < REBOUND_VERP_VOUCH_MAX) {
		snprintf(v->recipient[v->n], sizeof(v->recipient[v->n]), "%s",
			 chk.recipient);
		v->n++;
	}
	return st;
}

/* The address in a field's value: "<a@b>" or "a@b", into out. */
static bool field_address(const char *value, char *out, size_t outlen)
{
	const char *p = value;
	while (*p == ' ' || *p == '\t' || *p == '<')
		p++;
	size_t n = strcspn(p, "> \t\r\n,;");
	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

void rebound_verp_vouch_headers(rebound_verp_vouch *v,
				const rebound_verp_key *key,
				const char *format,
				const rebound_header *headers, int64_t now,
				int64_t max_age_seconds)
{
	for (size_t i = 0; i < sizeof(delivery_fields) / sizeof(*delivery_fields);
	     i++) {
		const rebound_header *h = headers;
		for (int seen = 0; seen < FIELDS_MAX; seen++) {
			h = rebound_header_find(h, delivery_fields[i]);
			if (h == NULL)
				break;
			char addr[320];
			if (h->value != NULL &&
			    field_address(h->value, addr, sizeof(addr)))
				rebound_verp_vouch_add(v, key, format, addr,
						       now, max_age_seconds);
			h = h->next;
		}
	}
}

bool rebound_verp_vouches(const rebound_verp_vouch *v, const char *address)
{
	if (v == NULL || !v->required)
		return true;
	return address != NULL && address[0] != '\0' && named(v, address);
}
