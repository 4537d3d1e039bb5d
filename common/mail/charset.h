/* charset.h - conversion of declared or guessed charsets to UTF-8.
 *
 * ASCII and UTF-8 never touch iconv: UTF-8 is validated and invalid
 * sequences become U+FFFD.  Everything else goes through iconv with a
 * small cache of descriptors (the process is single-threaded).  Invalid
 * input bytes become U+FFFD and conversion goes on; it always progresses.
 *
 * With no charset (NULL or empty) the bytes are taken as ASCII/UTF-8 when
 * they are, else guessed: ISO-2022-JP when its escape sequences appear,
 * else Shift_JIS (CP932) or EUC-JP when the bytes look like it, else
 * windows-1252.  An unknown charset name is guessed the same way.
 */
#ifndef REBOUND_CHARSET_H
#define REBOUND_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Convert in[0..len) from `charset` to UTF-8 into the arena.  *out is
 * NUL-terminated and never NULL (an empty string when the arena is spent).
 * NUL bytes are kept.  Returns REBOUND_MSG_* flags: BAD_CHARSET when the
 * name was unknown or bytes had to be replaced, OUT_OF_MEMORY. */
unsigned rebound_charset_to_utf8(rebound_arena *arena, const char *charset,
				 const char *in, size_t len, char **out,
				 size_t *outlen);

/* Is s[0..len) valid UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
bool rebound_utf8_valid(const char *s, size_t len);

/* Is every byte of s[0..len) below 0x80? */
bool rebound_is_ascii(const char *s, size_t len);

/* The charset guessed for undeclared bytes: "US-ASCII", "UTF-8",
 * "ISO-2022-JP", "CP932", "EUC-JP" or "CP1252". */
const char *rebound_charset_guess(const char *in, size_t len);

/* The iconv name used for a declared charset name, or NULL when unknown
 * (for tests and diagnostics; "UTF-8" and "US-ASCII" for the fast paths). */
const char *rebound_charset_canonical(const char *charset);

/* Close the cached iconv descriptors (tests, shutdown). */
void rebound_charset_cleanup(void);

#endif
