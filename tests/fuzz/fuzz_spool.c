/* fuzz_spool.c - libFuzzer target for spooled notices.
 *
 * A spool file (ledger-spool.h) is written by a module into a directory
 * its group may write, and read by whoever replays the batch: another
 * Exim or Dovecot process, `rebound db replay` from cron.  The input is
 * decoded as such a file.  Whatever decodes must keep its strings
 * terminated and within the file's bounds, and be a fixed point of one
 * more round: encoded, decoded and encoded again, the same bytes (what
 * a replayer would spool again is what it read).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger-spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every string a decoded notice gives out, read to its end. */
static size_t touch(const rebound_spooled *sp)
{
	const rebound_result *r = &sp->res;
	const char *s[] = { r->format, r->reporting_mta, r->message_id,
			    r->orig_message_id, r->envelope_id, r->campaign,
			    r->sender_domain, r->verp_recipient,
			    sp->ctx.source, sp->ctx.sender_domain };
	size_t n = 0;
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++)
		if (s[i] != NULL)
			n += strlen(s[i]);
	for (size_t i = 0; i < r->nrcpt; i++) {
		const rebound_recipient *c = &r->rcpt[i];
		if (c->address == NULL)
			__builtin_trap();	/* decode requires one */
		n += strlen(c->address) + strlen(c->status) +
		     strlen(c->reply_code);
		if (c->diagnostic != NULL)
			n += strlen(c->diagnostic);
		if (c->remote_mta != NULL)
			n += strlen(c->remote_mta);
		if (c->suspect_why != NULL)
			n += strlen(c->suspect_why);
	}
	if (sp->ctx.policy != NULL &&
	    memchr(sp->policy.preset, '\0', sizeof(sp->policy.preset)) == NULL)
		__builtin_trap();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rebound_spooled sp, again;
	char why[100] = "";
	if (rebound_spool_decode(&sp, data, size, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			__builtin_trap();	/* a refusal says why */
		return 0;
	}
	(void)touch(&sp);
	rebound_buf one = { 0 }, two = { 0 };
	rebound_spool_encode(&one, &sp.res, &sp.ctx);
	if (!one.failed) {
		if (rebound_spool_decode(&again, one.p, one.len, why,
					 sizeof(why)) != 0)
			__builtin_trap();	/* its own encoding refused */
		(void)touch(&again);
		rebound_spool_encode(&two, &again.res, &again.ctx);
		if (!two.failed &&
		    (two.len != one.len || memcmp(two.p, one.p, one.len) != 0))
			__builtin_trap();
		rebound_spooled_free(&again);
	}
	rebound_buf_free(&one);
	rebound_buf_free(&two);
	rebound_spooled_free(&sp);
	return 0;
}
