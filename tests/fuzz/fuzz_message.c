/* fuzz_message.c - libFuzzer target for the message model.
 *
 * Parses the input with small limits (so that the limit paths are hit
 * often), through rebound_message_parse() and through the builder in
 * pieces, walks every part, and asks for every body, text and decoded
 * header, plus the usual Content-Type parameters.  See README for how to
 * build it by hand.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/arena.h"
#include "mail/header-decode.h"
#include "mail/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(rebound_message *m)
{
	if (m == NULL)
		return;
	for (rebound_part *p = m->root; p != NULL; p = rebound_part_next(p)) {
		size_t len;
		const char *b = rebound_part_body(m, p, &len);
		if (b[len] != '\0')
			__builtin_trap();
		const char *t = rebound_part_text(m, p, &len);
		if (t[len] != '\0' || len > m->limits.max_text_bytes)
			__builtin_trap();
		if (p->depth > m->limits.max_depth)
			__builtin_trap();
		for (const rebound_header *h = p->headers; h != NULL;
		     h = h->next) {
			const char *d = rebound_header_decode(m->arena, h->value,
							      h->value_len);
			if (d == NULL)
				__builtin_trap();
		}
		const char *ct = rebound_header_get(p->headers, "Content-Type");
		if (ct != NULL) {
			rebound_header_param(m->arena, ct, "boundary");
			rebound_header_param(m->arena, ct, "charset");
			rebound_header_param(m->arena, ct, "name");
		}
		const char *cd = rebound_header_get(p->headers,
						    "Content-Disposition");
		if (cd != NULL)
			rebound_header_param(m->arena, cd, "filename");
	}
	if (m->part_count > m->limits.max_parts)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_arena *arena;
	const rebound_limits lim = {
		.max_message_bytes = 256 * 1024,
		.max_header_bytes = 512,
		.max_headers = 40,
		.max_depth = 6,
		.max_parts = 40,
		.max_text_bytes = 16 * 1024,
	};

	if (arena == NULL)
		arena = rebound_arena_new(8 * 1024 * 1024);
	if (arena == NULL)
		return 0;

	rebound_message *m = NULL;
	if (rebound_message_parse(arena, (const char *)data, size, &lim,
				  &m) == 0)
		walk(m);
	rebound_arena_reset(arena);

	/* The same bytes through the builder, in uneven pieces. */
	rebound_builder *b = rebound_builder_new(arena, &lim);
	size_t off = 0, piece = 1;
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;
		rebound_builder_add(b, (const char *)data + off, n);
		off += n;
		piece = piece * 3 + 1;
	}
	m = NULL;
	if (rebound_builder_finish(b, &m) == 0)
		walk(m);
	rebound_arena_reset(arena);
	return 0;
}
