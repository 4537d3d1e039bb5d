/* fuzz_json.c - libFuzzer target for the bounded JSON reader and the
 * Amazon SES notices read with it.
 *
 * rebound_json_read() on the input, every value of the tree visited (with
 * a stack of our own: the reader promises at most 32 levels and 20000
 * values), then rebound_ses_read() on the same bytes as a message body,
 * with a roomy and with a small arena, and every field of the notice read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/jsonread.h"
#include "classify/sesjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void walk(const rebound_jvalue *v)
{
	const rebound_jvalue *stack[40];
	size_t depth = 0, count = 0;

	while (v != NULL) {
		if (++count > 20000)
			__builtin_trap();
		touch(v->key);
		/* Strings are unescaped copies, NUL-terminated; numbers and
		   booleans point into the input as written. */
		if (v->type == REBOUND_J_STRING &&
		    (v->str == NULL || v->str[v->len] != '\0'))
			__builtin_trap();
		if ((v->type == REBOUND_J_ARRAY || v->type == REBOUND_J_OBJECT) &&
		    v->child != NULL) {
			if (depth == sizeof(stack) / sizeof(*stack))
				__builtin_trap();
			stack[depth++] = v->next;
			v = v->child;
			continue;
		}
		v = v->next;
		while (v == NULL && depth > 0)
			v = stack[--depth];
	}
}

static void read_ses(rebound_arena *arena, const uint8_t *data, size_t size)
{
	rebound_ses_notice n;
	memset(&n, 0, sizeof(n));
	if (rebound_ses_read(arena, (const char *)data, size, "X-Campaign-ID",
			     &n) != 1)
		return;
	if (n.nrcpt > 0 && n.rcpt == NULL)
		__builtin_trap();
	touch(n.bounce_type);
	touch(n.bounce_subtype);
	touch(n.reporting_mta);
	touch(n.smtp_response);
	touch(n.message_id);
	touch(n.source);
	touch(n.campaign);
	for (size_t i = 0; i < n.nrcpt; i++) {
		if (n.rcpt[i].address == NULL)
			__builtin_trap();
		touch(n.rcpt[i].address);
		touch(n.rcpt[i].action);
		touch(n.rcpt[i].status);
		touch(n.rcpt[i].diagnostic);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_arena *roomy;

	if (roomy == NULL)
		roomy = rebound_arena_new(32 * 1024 * 1024);
	if (roomy == NULL)
		return 0;
	walk(rebound_json_read(roomy, (const char *)data, size));
	rebound_arena_reset(roomy);
	read_ses(roomy, data, size);
	rebound_arena_reset(roomy);

	rebound_arena *tight = rebound_arena_new(2048 + size);
	if (tight == NULL)
		return 0;
	read_ses(tight, data, size);
	rebound_arena_free(tight);
	return 0;
}
