/* matcher-tables.h - what a built matcher is made of, for the three places
 * that look inside one: matcher.c (builds and scans it), gen-automata.c
 * (run at build time: writes the matchers of the built-in phrase lists out
 * as C) and the C it writes, automata.c in the build directory, which
 * compiles them into the core as constant data (doc/classify.md, "The
 * compiled-in automata").  Everything else sees only matcher.h.
 */
#ifndef REBOUND_MATCHER_TABLES_H
#define REBOUND_MATCHER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"

typedef struct matcher_edge {
	unsigned char byte;
	uint32_t target;
} matcher_edge;

typedef struct matcher_state {
	uint32_t edges;		/* first edge in m->edge */
	uint32_t nedges;
	uint32_t fail;
	uint32_t out_link;	/* nearest failure-chain state with keys, 0 */
	int32_t key;		/* a key ending here (more via next_same), -1 */
} matcher_state;

typedef struct matcher_key {
	uint32_t phrase;
	uint8_t part;		/* 0: whole or first half; 1: second half */
	uint8_t gapped;		/* the phrase has two halves */
	uint32_t len;
	int32_t next_same;	/* another key with the same bytes, or -1 */
} matcher_key;

#define ROW_OUT 0x8000u	/* on a sparse row: keys end there */
#define ROW_MAX 0x7fffu

/* A state with few children: its first child inline, the others in
 * sparse_edge[more..more + nmore).  A leaf has first_class 0 and first
 * row 0: class 0 (bytes in no phrase) leads back to the root from
 * everywhere, so that stays right. */
struct sparse_node {
	uint16_t fail;		/* row, without ROW_OUT */
	uint16_t first;		/* next row */
	uint8_t first_class;
	uint8_t nmore;
	uint16_t more;
};

struct sparse_edge {
	uint16_t next;
	uint8_t cls;
	uint8_t pad;
};

struct rebound_matcher {
	matcher_state *st;
	size_t nstates;
	matcher_edge *edge;
	size_t nedges;
	matcher_key *keys;
	size_t nkeys;
	size_t nphrases;
	size_t max_gap;
	uint32_t root_next[256];
	/* The automaton over renumbered states ("rows") and byte classes
	   (bytes that occur in no phrase share class 0, upper-case ASCII
	   the class of its lower case).  Rows [0, ndense) are the shallow
	   states (and the few with many children), breadth first, those
	   where keys end from first_out on: each has a full row, next =
	   dense[(row << shift) + class].  Rows from ndense on, most of the
	   states of a large automaton but rarely visited, are `sparse`
	   nodes of 8 bytes (children and failure row), depth first so that
	   a phrase's states sit together, and carry ROW_OUT where keys end.
	   A scan in the shallow states costs one load and one compare a
	   byte ("row >= first_out": keys, or a sparse row), as with a full
	   table, and touches far fewer cache lines and pages.  A small
	   automaton is all dense rows.  row_state maps rows back to
	   states.  No tables (NULL) when the rows do not fit 15 bits: then
	   the edges are walked. */
	uint16_t *dense;
	uint32_t ndense;
	uint32_t first_out;
	uint32_t shift;		/* 1 << shift >= classes */
	struct sparse_node *sparse;	/* [row - ndense] */
	struct sparse_edge *sparse_edge;
	uint32_t *row_state;	/* [row] -> state */
	uint8_t byte_class[256];
	/* Constant data compiled into the program (automata.c): scanned
	   like any other, never freed.  Its arrays are const objects that
	   the pointers above reach through a cast; nothing writes them. */
	bool compiled_in;
};

/* How many entries each array of a built matcher holds (the allocations
 * may be larger): what gen-automata writes and the tests compare. */
typedef struct matcher_sizes {
	size_t st, edge, keys, dense, sparse, sparse_edge, row_state;
} matcher_sizes;
matcher_sizes rebound_matcher_sizes(const rebound_matcher *m);

/* One compiled-in automaton: the built-in phrase list it was made from
 * (its name, and a fingerprint of its phrases and of this layout, see
 * rebound_matcher_fingerprint) and the matcher. */
typedef struct rebound_compiled_matcher {
	const char *name;
	uint64_t fingerprint;
	const rebound_matcher *matcher;
} rebound_compiled_matcher;

/* The table automata.c defines (gen-automata itself defines it empty). */
extern const rebound_compiled_matcher rebound_compiled_matchers[];
extern const size_t rebound_compiled_matcher_count;

/* A hash of a list's phrases, count and gap, and of the sizes of the
 * structures above: a compiled-in automaton serves a list only when the
 * two agree, so a stale automata.c is never used. */
uint64_t rebound_matcher_fingerprint(const rebound_phrase_list *list);

#endif
