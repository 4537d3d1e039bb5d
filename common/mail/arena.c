/* arena.c - a bump allocator that owns all memory of one message.
 *
 * Blocks are chained; the first one (64 KiB) is kept by reset so that a
 * long run over many small messages allocates nothing.  Requests larger
 * than a quarter of the normal block size get a block of their own.  The
 * budget counts bytes handed out (after alignment), not block sizes.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_FIRST_BLOCK	(64u * 1024u)
#define ARENA_MAX_BLOCK		(1024u * 1024u)
#define ARENA_DEFAULT_BUDGET	((size_t)64 * 1024 * 1024)
#define ARENA_ALIGN		(alignof(max_align_t))

struct arena_block {
	struct arena_block *next;
	size_t size;		/* usable bytes in data[] */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct rebound_arena {
	struct arena_block *first;
	struct arena_block *cur;	/* the block bumped from */
	size_t next_size;		/* size of the next normal block */
	size_t budget;
	size_t used;
	bool exhausted;
};

static struct arena_block *block_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(struct arena_block))
		return NULL;
	struct arena_block *b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

rebound_arena *rebound_arena_new(size_t budget)
{
	rebound_arena *a = malloc(sizeof(*a));
	if (a == NULL)
		return NULL;
	a->first = block_new(ARENA_FIRST_BLOCK);
	if (a->first == NULL) {
		free(a);
		return NULL;
	}
	a->cur = a->first;
	a->next_size = ARENA_FIRST_BLOCK * 2;
	a->budget = budget != 0 ? budget : ARENA_DEFAULT_BUDGET;
	a->used = 0;
	a->exhausted = false;
	return a;
}

static void free_chain(struct arena_block *b)
{
	while (b != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void rebound_arena_free(rebound_arena *arena)
{
	if (arena == NULL)
		return;
	free_chain(arena->first);
	free(arena);
}

void rebound_arena_reset(rebound_arena *arena)
{
	if (arena == NULL)
		return;
	free_chain(arena->first->next);
	arena->first->next = NULL;
	arena->first->used = 0;
	arena->cur = arena->first;
	arena->next_size = ARENA_FIRST_BLOCK * 2;
	arena->used = 0;
	arena->exhausted = false;
}

static inline size_t align_up(size_t n)
{
	return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

void *rebound_arena_alloc(rebound_arena *arena, size_t n)
{
	if (arena == NULL)
		return NULL;
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN) {
		arena->exhausted = true;
		return NULL;
	}
	size_t need = align_up(n);
	if (need > arena->budget - arena->used) {
		arena->exhausted = true;
		return NULL;
	}
	struct arena_block *b = arena->cur;
	if (b->size - b->used < need) {
		/* Big requests get their own block, linked after the
		   current one so the current block stays usable. */
		if (need > ARENA_FIRST_BLOCK / 4) {
			struct arena_block *big = block_new(need);
			if (big == NULL) {
				arena->exhausted = true;
				return NULL;
			}
			big->used = need;
			big->next = b->next;
			b->next = big;
			arena->used += need;
			return big->data;
		}
		size_t size = arena->next_size;
		struct arena_block *nb = block_new(size);
		if (nb == NULL) {
			arena->exhausted = true;
			return NULL;
		}
		if (arena->next_size < ARENA_MAX_BLOCK)
			arena->next_size *= 2;
		/* Keep the chain: insert after the current block. */
		nb->next = b->next;
		b->next = nb;
		arena->cur = nb;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	arena->used += need;
	return p;
}

void *rebound_arena_calloc(rebound_arena *arena, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		if (arena != NULL)
			arena->exhausted = true;
		return NULL;
	}
	void *p = rebound_arena_alloc(arena, count * size);
	if (p != NULL)
		memset(p, 0, count * size);
	return p;
}

char *rebound_arena_strndup(rebound_arena *arena, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = rebound_arena_alloc(arena, len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *rebound_arena_strdup(rebound_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	return rebound_arena_strndup(arena, s, strlen(s));
}

char *rebound_arena_printf(rebound_arena *arena, const char *fmt, ...)
{
	char small[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n < sizeof(small))
		return rebound_arena_strndup(arena, small, (size_t)n);
	char *p = rebound_arena_alloc(arena, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool rebound_arena_exhausted(const rebound_arena *arena)
{
	return arena == NULL || arena->exhausted;
}

size_t rebound_arena_left(const rebound_arena *arena)
{
	return arena != NULL && !arena->exhausted ?
		arena->budget - arena->used : 0;
}

size_t rebound_arena_used(const rebound_arena *arena)
{
	return arena != NULL ? arena->used : 0;
}
