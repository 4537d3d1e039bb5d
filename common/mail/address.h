/* address.h - finding and normalising e-mail addresses in untrusted text.
 *
 * Bounces name recipients in many shapes: "rfc822; a@b", "<a@b>",
 * "\"Name\" <a@b>", "a@b:", "'a@b'", "mailto:a@b".  These functions find the
 * address in such a string and give it back normalised: domain lower-cased,
 * local part as written (compared case-insensitively elsewhere), and what
 * is not printable escaped (printable.h), the form the ledger keeps.
 */
#ifndef REBOUND_ADDRESS_H
#define REBOUND_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* The first plausible address in s[0..len), normalised, or NULL.
 * On success *at / *span (if not NULL) give where it stood in s. */
char *rebound_address_find(rebound_arena *arena, const char *s, size_t len,
			   size_t *at, size_t *span);

/* Is s a plausible address (local@domain.tld, no spaces, sane length)? */
bool rebound_address_valid(const char *s);

/* Are two addresses the same (domain and local part case-insensitive)? */
bool rebound_address_same(const char *a, const char *b);

/* The domain of a normalised address (after '@'), or "". */
const char *rebound_address_domain(const char *addr);

/* Is it a mailer-daemon / postmaster style address that never is a
 * bounced recipient? */
bool rebound_address_is_system(const char *addr);

#endif
