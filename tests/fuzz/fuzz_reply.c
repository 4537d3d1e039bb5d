/* fuzz_reply.c - libFuzzer target for one SMTP reply (Exim's
 * event_action hands rebound_classify_reply() what a remote server said).
 *
 * The first line of the input is the recipient address, the rest the
 * reply, taken as a failure and as a delay.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "classify/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void check(const rebound_recipient *r)
{
	if ((unsigned)r->reason >= REBOUND_REASON_COUNT)
		__builtin_trap();
	if (memchr(r->status, '\0', sizeof(r->status)) == NULL ||
	    memchr(r->reply_code, '\0', sizeof(r->reply_code)) == NULL)
		__builtin_trap();
	if (r->address != NULL)
		sink += strlen(r->address);
	if (r->diagnostic != NULL)
		sink += strlen(r->diagnostic);
	if (r->rule != NULL)
		sink += strlen(r->rule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_arena *arena;
	const char *nl = memchr(data, '\n', size);
	size_t alen = nl != NULL ? (size_t)(nl - (const char *)data) : size;

	if (arena == NULL)
		arena = rebound_arena_new(8 * 1024 * 1024);
	if (arena == NULL)
		return 0;
	/* The address is a C string (Exim's $local_part@$domain). */
	char *address = malloc(alen + 1);
	if (address == NULL)
		return 0;
	memcpy(address, data, alen);
	address[alen] = '\0';
	const char *reply = (const char *)data + alen;
	size_t rlen = size - alen;
	if (rlen > 0) {
		reply++;
		rlen--;
	}

	static const rebound_action actions[] = {
		REBOUND_ACTION_FAILED, REBOUND_ACTION_DELAYED,
	};
	for (size_t i = 0; i < 2; i++) {
		rebound_recipient r;
		memset(&r, 0, sizeof(r));
		if (rebound_classify_reply(arena, address, reply, rlen,
					   actions[i], &r) == 0)
			check(&r);
		rebound_arena_reset(arena);
	}
	free(address);
	return 0;
}
