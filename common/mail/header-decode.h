/* header-decode.h - decoding a header field's value: RFC 2047 encoded
 * words to UTF-8, and the parameters of structured fields such as
 * Content-Type (RFC 2045, RFC 2231).
 *
 * Both take untrusted text, never fail and allocate from the arena given;
 * the transfer encodings they build on are in decode.h.
 */
#ifndef REBOUND_HEADER_DECODE_H
#define REBOUND_HEADER_DECODE_H

#include <stddef.h>

#include "arena.h"

/* A value with RFC 2047 encoded words decoded to UTF-8 (invalid bytes
 * replaced), NUL-terminated, never NULL. */
const char *rebound_header_decode(rebound_arena *arena, const char *value,
				  size_t len);
/* A parameter of a structured value such as Content-Type (quoted strings,
 * RFC 2231 continuations and charsets), or NULL. */
const char *rebound_header_param(rebound_arena *arena, const char *value,
				 const char *param);

#endif
