/* fuzz_dsn.c - libFuzzer target for the delivery-status parser.
 *
 * Feeds the input to rebound_dsn_parse() as the body of a
 * message/delivery-status part, once with a roomy arena and once with a
 * tight one (so that the out-of-memory paths run too), and reads every
 * field it returns.  The input is not NUL-terminated: the parser promises
 * to read text[0..len) only.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/dsn.h"
#include "classify/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void check(const rebound_dsn *d)
{
	if (d->nrcpt > REBOUND_MAX_RCPT)
		__builtin_trap();
	if (d->nrcpt > 0 && d->rcpt == NULL)
		__builtin_trap();
	touch(d->reporting_mta);
	touch(d->envelope_id);
	touch(d->received_from_mta);
	touch(d->arrival_date);
	for (size_t i = 0; i < d->nrcpt; i++) {
		const rebound_dsn_rcpt *r = &d->rcpt[i];
		touch(r->final_rcpt);
		touch(r->original_rcpt);
		touch(r->actual_rcpt);
		touch(r->action);
		touch(r->status);
		touch(r->remote_mta);
		touch(r->diagnostic);
		touch(r->diagnostic_type);
		touch(r->last_attempt);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_arena *roomy;
	rebound_dsn d;

	if (roomy == NULL)
		roomy = rebound_arena_new(16 * 1024 * 1024);
	if (roomy == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	if (rebound_dsn_parse(roomy, (const char *)data, size, &d) == 0)
		check(&d);
	rebound_arena_reset(roomy);

	/* A budget a little above the input: some parses run out. */
	rebound_arena *tight = rebound_arena_new(size / 2 + 512);
	if (tight == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	if (rebound_dsn_parse(tight, (const char *)data, size, &d) == 0)
		check(&d);
	rebound_arena_free(tight);
	return 0;
}
