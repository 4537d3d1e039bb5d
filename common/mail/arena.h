/* arena.h - a bump allocator that owns all memory of one message.
 *
 * Everything the parser and the classifier allocate for one message comes
 * from one arena and is released at once by rebound_arena_reset() (keeps the
 * first block for the next message, so a long run does not grow) or
 * rebound_arena_free().  An arena has a byte budget: once it is spent every
 * allocation returns NULL and rebound_arena_exhausted() says so; callers
 * treat that like any other limit (mark and go on).
 */
#ifndef REBOUND_ARENA_H
#define REBOUND_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rebound_arena rebound_arena;

/* A new arena that hands out at most `budget` bytes (0: 64 MiB).
 * Returns NULL only when malloc fails. */
rebound_arena *rebound_arena_new(size_t budget);
void rebound_arena_free(rebound_arena *arena);

/* Forget every allocation; keeps the first block for reuse. */
void rebound_arena_reset(rebound_arena *arena);

/* n bytes aligned for any type, or NULL when the budget is spent. */
void *rebound_arena_alloc(rebound_arena *arena, size_t n);
/* Zero-filled. */
void *rebound_arena_calloc(rebound_arena *arena, size_t count, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *rebound_arena_strndup(rebound_arena *arena, const char *s, size_t len);
char *rebound_arena_strdup(rebound_arena *arena, const char *s);
/* printf into the arena; NULL when the budget is spent. */
char *rebound_arena_printf(rebound_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

bool rebound_arena_exhausted(const rebound_arena *arena);
/* Bytes the budget still allows (0 once it is spent): for a caller that
 * stops keeping more of something while room is left for the rest. */
size_t rebound_arena_left(const rebound_arena *arena);
/* Bytes handed out since the last reset (for tests and benchmarks). */
size_t rebound_arena_used(const rebound_arena *arena);

#endif
