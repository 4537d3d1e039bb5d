/* printable.h - the one escape for text that names an address or reaches
 * a person's terminal.
 *
 * What a terminal must not get raw, and an address must not hold raw:
 * bytes that are not valid UTF-8, C0 controls and DEL, C1 controls and
 * the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069).  A byte is written \xHH (a C0 control, DEL, or a byte
 * of invalid UTF-8), a character \uHHHH (C1 or bidi), hex in lower case.
 * Everything else is kept.  The escape is idempotent: its output is
 * valid, printable UTF-8 and escapes to itself, so an escaped address
 * given back to a command names the same ledger record (doc/design.md,
 * the ledger).  A backslash is kept as it is, so an address that already
 * spells "\xff" and one that holds the byte 0xff are the same recipient.
 */
#ifndef REBOUND_PRINTABLE_H
#define REBOUND_PRINTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Escape s[0..len) into out[0..size), NUL-terminated when size > 0.
 * Returns the length the whole escape needs (without the NUL), as
 * snprintf does. */
size_t rebound_printable(const char *s, size_t len, char *out, size_t size);

/* Is s[0..len) its own escape (nothing to escape)? */
bool rebound_printable_already(const char *s, size_t len);

/* s escaped into the arena (s itself when nothing needs it), or NULL
 * when the arena is spent. */
char *rebound_printable_dup(rebound_arena *arena, char *s);

#endif
