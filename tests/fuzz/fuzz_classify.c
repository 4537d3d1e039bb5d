/* fuzz_classify.c - libFuzzer target for the whole classification.
 *
 * rebound_classify() on the input as a whole message, as the CLI and the
 * Dovecot plugin call it, then every answer read back and written as the
 * JSON line `rebound classify --json` prints.  A second run with a small
 * arena budget drives the out-of-memory paths: the classifier must then
 * fail cleanly or answer with what fits, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "admin/json.h"
#include "classify/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static volatile size_t sink;

static void touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void check(const rebound_result *res)
{
	if (res->nrcpt > 0 && res->rcpt == NULL)
		__builtin_trap();
	rebound_class_name(res->cls);
	touch(res->format);
	touch(res->evidence);
	touch(res->reporting_mta);
	touch(res->gateway);
	touch(res->message_id);
	touch(res->orig_message_id);
	touch(res->envelope_id);
	touch(res->campaign);
	touch(res->sender_domain);
	touch(res->verp_recipient);
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		if (r->address == NULL)
			__builtin_trap();
		if ((unsigned)r->reason >= REBOUND_REASON_COUNT)
			__builtin_trap();
		if (memchr(r->status, '\0', sizeof(r->status)) == NULL ||
		    memchr(r->reply_code, '\0', sizeof(r->reply_code)) == NULL)
			__builtin_trap();
		touch(r->address);
		touch(r->diagnostic);
		touch(r->remote_mta);
		touch(r->rule);
		rebound_action_name(r->action);
		rebound_reason_name(r->reason);
		rebound_reason_category(r->reason);
		rebound_reason_hubspot(r->reason);
	}
	if (devnull != NULL)
		rebound_json_result(devnull, "fuzz", res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_arena *roomy;
	rebound_result *res = NULL;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (roomy == NULL)
		roomy = rebound_arena_new(64 * 1024 * 1024);
	if (roomy == NULL)
		return 0;
	if (rebound_classify(roomy, (const char *)data, size, NULL, &res) == 0)
		check(res);
	rebound_arena_reset(roomy);

	/* The first byte picks a small budget, so that every allocation
	   site runs out in some input. */
	size_t budget = 4096 + (size ? data[0] : 0) * 256 + size;
	rebound_arena *tight = rebound_arena_new(budget);
	if (tight == NULL)
		return 0;
	res = NULL;
	const rebound_classify_options opts = {
		.campaign_header = "X-Mailing",
		.verp_format = "LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN",
		.limits = NULL,
	};
	if (rebound_classify(tight, (const char *)data, size, &opts, &res) == 0)
		check(res);
	rebound_arena_free(tight);
	return 0;
}
