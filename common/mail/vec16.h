/* vec16.h - 16 bytes at a time, for the scanners that look at most of a
 * message (GCC vector extensions: SSE2 on x86-64, whatever the target has
 * elsewhere, plain code at worst).  Loads are memcpy'd, so any alignment
 * is fine; a caller keeps every load inside its buffer. */
#ifndef REBOUND_VEC16_H
#define REBOUND_VEC16_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef unsigned char rebound_v16 __attribute__((vector_size(16)));

/* p[0..16) as a vector. */
static inline rebound_v16 rebound_v16_load(const void *p)
{
	rebound_v16 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A vector of 16 times c. */
static inline rebound_v16 rebound_v16_splat(unsigned char c)
{
	rebound_v16 v;
	for (int k = 0; k < 16; k++)
		v[k] = c;
	return v;
}

/* Is any byte of v non-zero (a lane of a comparison set)? */
static inline bool rebound_v16_any(rebound_v16 v)
{
	uint64_t w[2];
	memcpy(w, &v, sizeof(w));
	return (w[0] | w[1]) != 0;
}

#endif
