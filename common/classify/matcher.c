/* matcher.c - Aho-Corasick over bytes with ASCII case folding.
 *
 * States live in one array; each keeps its children as a sorted slice of a
 * shared edge array (built in two passes), a failure link and a link to the
 * nearest state on its failure chain that ends a key.  The root has a full
 * 256-entry table because most bytes of a text leave it immediately.
 */
#include "matcher.h"
#include "matcher-tables.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/strutil.h"
#include "mail/vec16.h"

#define DENSE_ALL (256 * 1024)	/* full rows for all when they fit this */
#define DENSE_DEPTH 2	/* else states this near the root get full rows ... */
#define SPARSE_EDGES 4	/* ... and so do those with more children */

/* Build-time trie node with a growable child list. */
typedef struct bnode {
	unsigned char *bytes;
	uint32_t *targets;
	uint32_t n, cap;
	int32_t key;
} bnode;

static int bnode_child(bnode **nodes, size_t *count, size_t *cap,
		       uint32_t at, unsigned char c, uint32_t *out)
{
	bnode *nd = &(*nodes)[at];
	for (uint32_t i = 0; i < nd->n; i++)
		if (nd->bytes[i] == c) {
			*out = nd->targets[i];
			return 0;
		}
	if (*count == *cap) {
		size_t ncap = *cap * 2;
		bnode *grown = realloc(*nodes, ncap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		memset(grown + *cap, 0, (ncap - *cap) * sizeof(*grown));
		*nodes = grown;
		*cap = ncap;
		nd = &(*nodes)[at];
	}
	if (nd->n == nd->cap) {
		uint32_t ncap = nd->cap ? nd->cap * 2 : 2;
		unsigned char *b = realloc(nd->bytes, ncap);
		if (b == NULL)
			return -1;
		nd->bytes = b;
		uint32_t *t = realloc(nd->targets, ncap * sizeof(*t));
		if (t == NULL)
			return -1;
		nd->targets = t;
		nd->cap = ncap;
	}
	uint32_t id = (uint32_t)*count;
	(*nodes)[id].key = -1;
	(*count)++;
	nd->bytes[nd->n] = c;
	nd->targets[nd->n] = id;
	nd->n++;
	*out = id;
	return 0;
}

static void free_bnodes(bnode *nodes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(nodes[i].bytes);
		free(nodes[i].targets);
	}
	free(nodes);
}

static int cmp_edge(const void *a, const void *b)
{
	const matcher_edge *x = a, *y = b;
	return (int)x->byte - (int)y->byte;
}

static uint32_t goto_state(const rebound_matcher *m, uint32_t s,
			   unsigned char c)
{
	const matcher_state *st = &m->st[s];
	uint32_t lo = 0, hi = st->nedges;
	const matcher_edge *e = m->edge + st->edges;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (e[mid].byte == c)
			return e[mid].target;
		if (e[mid].byte < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

static uint32_t step(const rebound_matcher *m, uint32_t s, unsigned char c)
{
	for (;;) {
		if (s == 0)
			return m->root_next[c];
		uint32_t t = goto_state(m, s, c);
		if (t != UINT32_MAX)
			return t;
		s = m->st[s].fail;
	}
}

static bool has_output(const rebound_matcher *m, uint32_t s)
{
	return m->st[s].key >= 0 || m->st[s].out_link != 0;
}

/* The next state from s on byte c, failure links followed. */
static uint32_t next_state(const rebound_matcher *m, uint32_t s,
			   unsigned char c)
{
	for (;;) {
		uint32_t t = goto_state(m, s, c);
		if (t != UINT32_MAX)
			return t;
		if (s == 0)
			return 0;
		s = m->st[s].fail;
	}
}

/* Build the rows (see struct rebound_matcher).  `order` holds every state
 * but the root breadth first.  Without memory for them the matcher works
 * from the edges. */
static void build_rows(rebound_matcher *m, const uint32_t *order)
{
	size_t ns = m->nstates;
	if (ns > ROW_MAX + 1)
		return;
	uint8_t seen[256] = { 0 };
	for (size_t e = 0; e < m->nedges; e++)
		seen[m->edge[e].byte] = 1;
	unsigned char rep[256];
	uint32_t n = 1;			/* class 0: no phrase has it */
	rep[0] = 0;
	memset(m->byte_class, 0, sizeof(m->byte_class));
	for (unsigned b = 0; b < 256; b++)
		if (seen[b] && n < 256) {
			m->byte_class[b] = (uint8_t)n;
			rep[n++] = (unsigned char)b;
		}
	for (unsigned b = 'A'; b <= 'Z'; b++)
		m->byte_class[b] = m->byte_class[b - 'A' + 'a'];
	uint32_t shift = 0;
	while ((1u << shift) < n)
		shift++;

	uint32_t *row = malloc(ns * sizeof(*row));
	uint8_t *depth = malloc(ns);
	uint32_t *stack = malloc(ns * sizeof(*stack));
	uint32_t *row_state = malloc(ns * sizeof(*row_state));
	uint16_t *dense = NULL;
	struct sparse_node *sparse = NULL;
	struct sparse_edge *sedge = NULL;
	if (row == NULL || depth == NULL || stack == NULL || row_state == NULL)
		goto out;
	/* Depths (capped: only "near the root" matters), breadth first:
	   the root, then its children and theirs as `order` goes. */
	depth[0] = 0;
	for (size_t i = 0; i < ns; i++) {
		uint32_t s = i == 0 ? 0 : order[i - 1];
		const matcher_state *st = &m->st[s];
		for (uint32_t k = 0; k < st->nedges; k++) {
			uint32_t t = m->edge[st->edges + k].target;
			depth[t] = depth[s] < 255 ? (uint8_t)(depth[s] + 1) : 255;
		}
	}
	bool all_dense = ((size_t)ns << shift) * sizeof(uint16_t) <= DENSE_ALL;
#define IS_DENSE(s) (all_dense || depth[s] <= DENSE_DEPTH || \
		     m->st[s].nedges > SPARSE_EDGES)
	/* Rows: the root, the dense states without keys, those with keys
	   (breadth first), then the sparse ones depth first (children in
	   byte order: a phrase's states one after another). */
	uint32_t r = 0;
	row[0] = r;
	row_state[r++] = 0;
	for (size_t i = 0; i + 1 < ns; i++)
		if (IS_DENSE(order[i]) && !has_output(m, order[i])) {
			row[order[i]] = r;
			row_state[r++] = order[i];
		}
	uint32_t first_out = r;
	for (size_t i = 0; i + 1 < ns; i++)
		if (IS_DENSE(order[i]) && has_output(m, order[i])) {
			row[order[i]] = r;
			row_state[r++] = order[i];
		}
	uint32_t ndense = r;
	size_t top = 0, nmore = 0;
	stack[top++] = 0;
	while (top > 0) {
		uint32_t s = stack[--top];
		const matcher_state *st = &m->st[s];
		if (s != 0 && !IS_DENSE(s)) {
			row[s] = r;
			row_state[r++] = s;
			if (st->nedges > 1)
				nmore += st->nedges - 1;
		}
		/* Pushed last to first: the first child comes out first. */
		for (uint32_t k = st->nedges; k > 0; k--)
			stack[top++] = m->edge[st->edges + k - 1].target;
	}
#undef IS_DENSE
	dense = calloc((size_t)ndense << shift, sizeof(*dense));
	sparse = malloc((ns > ndense ? ns - ndense : 1) * sizeof(*sparse));
	sedge = malloc((nmore > 0 ? nmore : 1) * sizeof(*sedge));
	if (dense == NULL || sparse == NULL || sedge == NULL)
		goto out;
	/* What a transition stores: the row, with ROW_OUT on a sparse one
	   where keys end (dense ones say it by their place). */
#define NEXT_ROW(t) ((uint16_t)(row[t] | (row[t] >= ndense && \
					  has_output(m, t) ? ROW_OUT : 0)))
	for (uint32_t d = 0; d < ndense; d++) {
		uint32_t s = row_state[d];
		uint16_t *to = dense + ((size_t)d << shift);
		for (uint32_t k = 1; k < n; k++)
			to[k] = NEXT_ROW(next_state(m, s, rep[k]));
	}
	size_t more = 0;
	for (uint32_t x = ndense; x < ns; x++) {
		const matcher_state *st = &m->st[row_state[x]];
		struct sparse_node *sn = &sparse[x - ndense];
		sn->fail = (uint16_t)row[st->fail];
		sn->first = 0;
		sn->first_class = 0;
		sn->nmore = 0;
		sn->more = (uint16_t)more;
		for (uint32_t k = 0; k < st->nedges; k++) {
			const matcher_edge *e = &m->edge[st->edges + k];
			if (k == 0) {
				sn->first = NEXT_ROW(e->target);
				sn->first_class = m->byte_class[e->byte];
				continue;
			}
			sedge[more].next = NEXT_ROW(e->target);
			sedge[more].cls = m->byte_class[e->byte];
			sedge[more].pad = 0;
			more++;
			sn->nmore++;
		}
	}
#undef NEXT_ROW
	m->dense = dense;
	m->ndense = ndense;
	m->first_out = first_out;
	m->shift = shift;
	m->sparse = sparse;
	m->sparse_edge = sedge;
	m->row_state = row_state;
	dense = NULL;
	sparse = NULL;
	sedge = NULL;
	row_state = NULL;
out:
	free(row);
	free(depth);
	free(stack);
	free(row_state);
	free(dense);
	free(sparse);
	free(sedge);
}

static int add_key(rebound_matcher *m, bnode **nodes, size_t *count,
		   size_t *cap, const char *text, size_t len, uint32_t phrase,
		   uint8_t part, uint8_t gapped)
{
	uint32_t at = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rebound_ascii_tolower(text[i]);
		if (bnode_child(nodes, count, cap, at, c, &at) < 0)
			return -1;
	}
	matcher_key *k = &m->keys[m->nkeys];
	k->phrase = phrase;
	k->part = part;
	k->gapped = gapped;
	k->len = (uint32_t)len;
	k->next_same = (*nodes)[at].key;
	(*nodes)[at].key = (int32_t)m->nkeys;
	m->nkeys++;
	return 0;
}

rebound_matcher *rebound_matcher_build(const char *const *phrases,
				       size_t count, size_t max_gap)
{
	rebound_matcher *m = calloc(1, sizeof(*m));
	size_t ncount = 1, ncap = 256;
	bnode *nodes = calloc(ncap, sizeof(*nodes));
	uint32_t *queue = NULL;
	if (m == NULL || nodes == NULL)
		goto fail;
	nodes[0].key = -1;
	m->nphrases = count;
	m->max_gap = max_gap;
	m->keys = calloc(count * 2 + 1, sizeof(*m->keys));
	if (m->keys == NULL)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		const char *p = phrases[i];
		const char *star = strchr(p, '*');
		if (star == NULL) {
			if (*p == '\0' ||
			    add_key(m, &nodes, &ncount, &ncap, p, strlen(p),
				    (uint32_t)i, 0, 0) < 0)
				goto fail;
			continue;
		}
		if (strchr(star + 1, '*') != NULL || star == p ||
		    star[1] == '\0')
			goto fail;
		if (add_key(m, &nodes, &ncount, &ncap, p, (size_t)(star - p),
			    (uint32_t)i, 0, 1) < 0 ||
		    add_key(m, &nodes, &ncount, &ncap, star + 1,
			    strlen(star + 1), (uint32_t)i, 1, 1) < 0)
			goto fail;
	}

	/* Flatten the trie: states and sorted edges. */
	m->nstates = ncount;
	m->st = calloc(ncount, sizeof(*m->st));
	size_t nedges = ncount - 1;
	m->edge = calloc(nedges ? nedges : 1, sizeof(*m->edge));
	queue = malloc(ncount * sizeof(*queue));
	if (m->st == NULL || m->edge == NULL || queue == NULL)
		goto fail;
	size_t e = 0;
	for (size_t s = 0; s < ncount; s++) {
		m->st[s].edges = (uint32_t)e;
		m->st[s].nedges = nodes[s].n;
		m->st[s].key = nodes[s].key;
		for (uint32_t i = 0; i < nodes[s].n; i++) {
			m->edge[e].byte = nodes[s].bytes[i];
			m->edge[e].target = nodes[s].targets[i];
			e++;
		}
		qsort(m->edge + m->st[s].edges, nodes[s].n, sizeof(matcher_edge),
		      cmp_edge);
	}
	m->nedges = e;
	free_bnodes(nodes, ncount);
	nodes = NULL;

	/* Failure links, breadth first. */
	for (unsigned c = 0; c < 256; c++)
		m->root_next[c] = 0;
	size_t head = 0, tail = 0;
	for (uint32_t i = 0; i < m->st[0].nedges; i++) {
		const matcher_edge *ed = &m->edge[m->st[0].edges + i];
		m->root_next[ed->byte] = ed->target;
		m->st[ed->target].fail = 0;
		m->st[ed->target].out_link = 0;
		queue[tail++] = ed->target;
	}
	while (head < tail) {
		uint32_t s = queue[head++];
		for (uint32_t i = 0; i < m->st[s].nedges; i++) {
			const matcher_edge *ed = &m->edge[m->st[s].edges + i];
			uint32_t t = ed->target;
			uint32_t f = step(m, m->st[s].fail, ed->byte);
			if (f == t)
				f = 0;
			m->st[t].fail = f;
			m->st[t].out_link = m->st[f].key >= 0 ?
						    f : m->st[f].out_link;
			queue[tail++] = t;
		}
	}
	build_rows(m, queue);
	free(queue);
	return m;
fail:
	if (nodes != NULL)
		free_bnodes(nodes, ncount);
	free(queue);
	rebound_matcher_free(m);
	return NULL;
}

void rebound_matcher_free(rebound_matcher *m)
{
	if (m == NULL || m->compiled_in)
		return;
	free(m->st);
	free(m->edge);
	free(m->keys);
	free(m->dense);
	free(m->sparse);
	free(m->sparse_edge);
	free(m->row_state);
	free(m);
}

matcher_sizes rebound_matcher_sizes(const rebound_matcher *m)
{
	matcher_sizes n = { .st = m->nstates, .edge = m->nedges,
			    .keys = m->nkeys };
	if (m->dense == NULL)
		return n;
	n.dense = (size_t)m->ndense << m->shift;
	n.sparse = m->nstates - m->ndense;
	for (size_t i = 0; i < n.sparse; i++)
		n.sparse_edge += m->sparse[i].nmore;
	n.row_state = m->nstates;
	return n;
}

/* What one scan saw of each phrase that matched at all. */
#define RECENT_ENDS 4

typedef struct hit {
	uint32_t phrase;
	size_t ends[RECENT_ENDS];	/* first half: latest ends, a ring */
	uint8_t nends;
	uint8_t done;			/* whole phrase matched */
} hit;

#define MAX_HITS REBOUND_MATCHER_MAX_HITS

typedef struct scan {
	const rebound_matcher *m;
	hit hits[MAX_HITS];
	size_t nhits;
} scan;

/* The slot of a phrase, a free one, or (when all are taken) the one of the
 * highest id if this phrase outranks it: lower ids must never be lost. */
static hit *slot(scan *sc, uint32_t phrase)
{
	for (size_t i = 0; i < sc->nhits; i++)
		if (sc->hits[i].phrase == phrase)
			return &sc->hits[i];
	hit *h;
	if (sc->nhits < MAX_HITS) {
		h = &sc->hits[sc->nhits++];
	} else {
		h = &sc->hits[0];
		for (size_t i = 1; i < MAX_HITS; i++)
			if (sc->hits[i].phrase > h->phrase)
				h = &sc->hits[i];
		if (h->phrase < phrase)
			return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->phrase = phrase;
	return h;
}

static void record(scan *sc, const matcher_key *k, size_t end)
{
	hit *h = slot(sc, k->phrase);
	if (h == NULL || h->done)
		return;
	if (!k->gapped) {
		h->done = 1;
		return;
	}
	if (k->part == 0) {
		h->ends[h->nends % RECENT_ENDS] = end;
		if (h->nends < 255)
			h->nends++;
		return;
	}
	/* Second half starting at `start`: any first half that ended at or
	   before it, at most max_gap earlier, completes the phrase. */
	size_t start = end - k->len;
	size_t n = h->nends < RECENT_ENDS ? h->nends : RECENT_ENDS;
	for (size_t i = 0; i < n; i++)
		if (h->ends[i] <= start && start - h->ends[i] <= sc->m->max_gap)
			h->done = 1;
}

/* Record the keys that end at state s, text position end. */
static void outputs(const rebound_matcher *m, uint32_t s, size_t end,
		    scan *sc)
{
	for (uint32_t o = m->st[s].key >= 0 ? s : m->st[s].out_link; o != 0;
	     o = m->st[o].out_link)
		for (int32_t k = m->st[o].key; k >= 0; k = m->keys[k].next_same)
			record(sc, &m->keys[k], end);
}

/* The next row from sparse row r on class c: a child, else the same from
 * the failure row, down to a dense row's table. */
static uint32_t sparse_next(const rebound_matcher *m, uint32_t r, uint32_t c)
{
	while (r >= m->ndense) {
		const struct sparse_node *sn = &m->sparse[r - m->ndense];
		if (sn->first_class == c)
			return sn->first;
		const struct sparse_edge *e = m->sparse_edge + sn->more;
		for (uint32_t k = 0; k < sn->nmore; k++)
			if (e[k].cls == c)
				return e[k].next;
		r = sn->fail;
	}
	return m->dense[(r << m->shift) + c];
}

static void run(const rebound_matcher *m, const char *text, size_t len,
		scan *sc)
{
	sc->m = m;
	sc->nhits = 0;
	const unsigned char *t = (const unsigned char *)text;
	if (m->dense == NULL) {
		uint32_t s = 0;
		for (size_t i = 0; i < len; i++) {
			s = step(m, s, (unsigned char)rebound_ascii_tolower(
					       (char)t[i]));
			if (has_output(m, s))
				outputs(m, s, i + 1, sc);
		}
		return;
	}
	/* The hot loop: in the dense rows without keys, one table load and
	   one compare a byte. */
	const uint16_t *dense = m->dense;
	const uint8_t *cls = m->byte_class;
	const uint32_t shift = m->shift, first_out = m->first_out;
	const uint32_t ndense = m->ndense;
	uint32_t r = 0;
	size_t i = 0;
	while (i < len) {
		r = dense[(r << shift) + cls[t[i++]]];
		if (r < first_out)
			continue;
		/* Keys end at a dense row; or a sparse row, where the scan
		   stays until a byte leads back to a dense one. */
		for (;;) {
			if (r < ndense) {
				outputs(m, m->row_state[r], i, sc);
				break;
			}
			if (r & ROW_OUT) {
				r &= ROW_MAX;
				outputs(m, m->row_state[r], i, sc);
			}
			if (i == len)
				return;
			r = sparse_next(m, r, cls[t[i++]]);
			if (r < first_out)
				break;
		}
	}
}

long rebound_matcher_first(const rebound_matcher *m, const char *text,
			   size_t len)
{
	scan sc;
	run(m, text, len, &sc);
	long best = -1;
	for (size_t i = 0; i < sc.nhits; i++) {
		const hit *h = &sc.hits[i];
		if ((best < 0 || (long)h->phrase < best) && h->done)
			best = (long)h->phrase;
	}
	return best;
}

static int cmp_hit(const void *a, const void *b)
{
	const hit *x = a, *y = b;
	return x->phrase < y->phrase ? -1 : x->phrase > y->phrase;
}

void rebound_matcher_each(const rebound_matcher *m, const char *text,
			  size_t len, bool (*found)(size_t id, void *ctx),
			  void *ctx)
{
	scan sc;
	run(m, text, len, &sc);
	qsort(sc.hits, sc.nhits, sizeof(hit), cmp_hit);
	for (size_t i = 0; i < sc.nhits; i++)
		if (sc.hits[i].done && !found(sc.hits[i].phrase, ctx))
			return;
}

/* Normalise text[0..16) into out[0..16) when it is the common case: only
 * printable ASCII and white space (or NUL), and no two white-space bytes
 * in a row, nor one first when the output already ends in a space.  Then
 * every byte maps to one: a capital to its lower case, white space to
 * ' '.  Returns false (nothing written) for any other block. */
static inline bool normalise_block(const char *text, char *out, bool space)
{
	rebound_v16 v = rebound_v16_load(text);
	rebound_v16 ws = (rebound_v16)((v == rebound_v16_splat(' ')) | (v == rebound_v16_splat('\t')) |
				 (v == rebound_v16_splat('\n')) | (v == rebound_v16_splat('\r')) |
				 (v == rebound_v16_splat('\f')) | (v == rebound_v16_splat('\v')) |
				 (v == rebound_v16_splat('\0')));
	rebound_v16 print = (rebound_v16)((v > rebound_v16_splat(0x20)) & (v < rebound_v16_splat(0x7f)));
	uint64_t w[2], bad[2];
	rebound_v16 other = ~(ws | print);
	memcpy(bad, &other, sizeof(bad));
	memcpy(w, &ws, sizeof(w));
	/* Two white-space bytes side by side, in either half or across
	   the middle (w & w >> 8 pairs neighbours whatever the byte
	   order). */
	if ((bad[0] | bad[1]) != 0 || (w[0] & (w[0] >> 8)) != 0 ||
	    (w[1] & (w[1] >> 8)) != 0 || (ws[7] & ws[8]) != 0 ||
	    (space && ws[0] != 0))
		return false;
	rebound_v16 upper = (rebound_v16)((v >= rebound_v16_splat('A')) & (v <= rebound_v16_splat('Z')));
	rebound_v16 r = ((v + (upper & rebound_v16_splat(0x20))) & ~ws) | (ws & rebound_v16_splat(' '));
	memcpy(out, &r, sizeof(r));
	return true;
}

char *rebound_matcher_normalise(rebound_arena *arena, const char *text,
				size_t len, size_t *out_len)
{
	char *out = rebound_arena_alloc(arena, len + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool space = true;	/* drops leading white space */
	size_t i = 0;
	while (i < len) {
		/* Most of a text goes 16 bytes at a time; a block that
		   cannot (a blank line, indentation, UTF-8) byte by byte. */
		size_t stop = len;
		if (len - i >= 16) {
			if (normalise_block(text + i, out + o, space)) {
				space = out[o + 15] == ' ';
				i += 16;
				o += 16;
				continue;
			}
			stop = i + 16;
		}
		for (; i < stop; i++) {
			char c = text[i];
			unsigned char a = (unsigned char)c;
			/* Printable ASCII, most of every text: one test. */
			if (a > 0x20 && a < 0x7f) {
				out[o++] = (char)(a >= 'A' && a <= 'Z' ? a + 0x20 : a);
				space = false;
				continue;
			}
			if (rebound_is_space(c) || c == '\0') {
				if (!space)
					out[o++] = ' ';
				space = true;
				continue;
			}
			space = false;
			/* Capitals of the Latin-1 supplement (U+00C0-U+00DE but
			   the sign U+00D7) and Cyrillic (U+0410-U+042F) fold
			   too, in place: "Échec", "Пользователь" meet the
			   lower-case tables. */
			unsigned char fa, fv;
			if (i + 1 < len &&
			    rebound_utf8_fold_capital(a, (unsigned char)text[i + 1],
						      &fa, &fv)) {
				out[o++] = (char)fa;
				out[o++] = (char)fv;
				i++;
				continue;
			}
			out[o++] = c;	/* no ASCII letter is left here */
		}
	}
	if (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return out;
}
