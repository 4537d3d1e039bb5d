/* fuzz_verp.c - libFuzzer target for signed VERP return paths.
 *
 * The address a bounce comes back to is chosen by whoever sends the
 * bounce.  rebound_verp_verify() gets the input as that address (in two
 * VERP layouts), and rebound_verp_sign() gets it as the return path and
 * as the recipient.  Whatever verifies as valid must be exactly what
 * signing its recipient at its time gives (no second valid form), and
 * whatever is signed must verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger/verp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1772366400		/* 2026-03-01T12:00:00Z */

static const char *const formats[] = {
	NULL, "LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_verp_key key;
	char err[256], out[1200], tag[REBOUND_VERP_TAG_LEN + 1];

	if (key.len == 0 &&
	    rebound_verp_key_set(&key, "fuzzing secret, 32 bytes long...",
				 32, err, sizeof(err)) != 0)
		abort();
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	for (size_t f = 0; f < 2; f++) {
		rebound_verp_check c;
		rebound_verp_status st = rebound_verp_verify(&key, formats[f], s,
							     NOW, 0, &c);
		if (st != c.status ||
		    memchr(c.recipient, '\0', sizeof(c.recipient)) == NULL)
			__builtin_trap();
		rebound_verp_status_name(st);
		if (st == REBOUND_VERP_VALID) {
			if (rebound_verp_tag(&key, c.recipient, c.signed_at, tag,
					     sizeof(tag)) != 0 ||
			    strncasecmp(tag, s, REBOUND_VERP_TAG_LEN) != 0)
				__builtin_trap();
		}
		/* The input as the return path, then as the recipient. */
		if (rebound_verp_sign(&key, formats[f], s, "alice@example.org",
				      NOW, out, sizeof(out), err,
				      sizeof(err)) == 0) {
			if (rebound_verp_verify(&key, formats[f], out, NOW, 0,
						&c) != REBOUND_VERP_VALID ||
			    strcmp(c.recipient, "alice@example.org") != 0)
				__builtin_trap();
		}
		if (rebound_verp_sign(&key, formats[f], "bounces@sender.example",
				      s, NOW, out, sizeof(out), err,
				      sizeof(err)) == 0) {
			if (rebound_verp_verify(&key, formats[f], out, NOW, 0,
						&c) != REBOUND_VERP_VALID)
				__builtin_trap();
		}
	}
	free(s);
	return 0;
}
