/* gen-automata.c - run at build time: builds the matcher of every built-in
 * phrase list (the phrase rules, the detection tables, the SMTP stage
 * words) with the core's own rebound_matcher_build and writes each out as
 * constant C arrays, the file given (automata.c in the build directory),
 * which the core then compiles in.  A new process so scans its first
 * message with no automaton to build (doc/classify.md, "The compiled-in
 * automata").
 *
 * It links the core's objects but automata.c, so the table of compiled-in
 * automata it sees is its own empty one below.
 *
 * Usage: gen-automata OUTPUT.c
 */
#include "rebound-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/matcher-tables.h"

const rebound_compiled_matcher rebound_compiled_matchers[1];
const size_t rebound_compiled_matcher_count = 0;

/* --- writing arrays: a few numbers a line ----------------------------------- */

#define PER_LINE 8

/* Starts the line of item i of an initializer list. */
static void item_sep(FILE *out, size_t i)
{
	if (i % PER_LINE == 0)
		fputs("\n\t", out);
	else
		fputc(' ', out);
}

static void write_u32s(FILE *out, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		item_sep(out, i);
		fprintf(out, "%" PRIu32 ",", v[i]);
	}
}

static void write_u16s(FILE *out, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		item_sep(out, i);
		fprintf(out, "%u,", (unsigned)v[i]);
	}
}

static void write_u8s(FILE *out, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		item_sep(out, i);
		fprintf(out, "%u,", (unsigned)v[i]);
	}
}

/* "static const TYPE mI_FIELD[n] = {" ... "};", or nothing when n is 0. */
static void array_open(FILE *out, const char *type, size_t id,
		       const char *field, size_t n)
{
	fprintf(out, "static const %s m%zu_%s[%zu] = {", type, id, field, n);
}

static void array_close(FILE *out)
{
	fputs("\n};\n\n", out);
}

static void write_arrays(FILE *out, size_t id, const rebound_matcher *m,
			 const matcher_sizes *n)
{
	array_open(out, "matcher_state", id, "st", n->st);
	for (size_t i = 0; i < n->st; i++) {
		const matcher_state *s = &m->st[i];
		item_sep(out, i);
		fprintf(out, "{%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32
			",%" PRId32 "},", s->edges, s->nedges, s->fail,
			s->out_link, s->key);
	}
	array_close(out);
	if (n->edge > 0) {
		array_open(out, "matcher_edge", id, "edge", n->edge);
		for (size_t i = 0; i < n->edge; i++) {
			item_sep(out, i);
			fprintf(out, "{%u,%" PRIu32 "},",
				(unsigned)m->edge[i].byte, m->edge[i].target);
		}
		array_close(out);
	}
	array_open(out, "matcher_key", id, "keys", n->keys);
	for (size_t i = 0; i < n->keys; i++) {
		const matcher_key *k = &m->keys[i];
		item_sep(out, i);
		fprintf(out, "{%" PRIu32 ",%u,%u,%" PRIu32 ",%" PRId32 "},",
			k->phrase, (unsigned)k->part, (unsigned)k->gapped,
			k->len, k->next_same);
	}
	array_close(out);
	if (n->dense > 0) {
		array_open(out, "uint16_t", id, "dense", n->dense);
		write_u16s(out, m->dense, n->dense);
		array_close(out);
	}
	if (n->sparse > 0) {
		array_open(out, "struct sparse_node", id, "sparse", n->sparse);
		for (size_t i = 0; i < n->sparse; i++) {
			const struct sparse_node *s = &m->sparse[i];
			item_sep(out, i);
			fprintf(out, "{%u,%u,%u,%u,%u},", (unsigned)s->fail,
				(unsigned)s->first, (unsigned)s->first_class,
				(unsigned)s->nmore, (unsigned)s->more);
		}
		array_close(out);
	}
	if (n->sparse_edge > 0) {
		array_open(out, "struct sparse_edge", id, "sparse_edge",
			   n->sparse_edge);
		for (size_t i = 0; i < n->sparse_edge; i++) {
			const struct sparse_edge *e = &m->sparse_edge[i];
			item_sep(out, i);
			fprintf(out, "{%u,%u,%u},", (unsigned)e->next,
				(unsigned)e->cls, (unsigned)e->pad);
		}
		array_close(out);
	}
	if (n->row_state > 0) {
		array_open(out, "uint32_t", id, "row_state", n->row_state);
		write_u32s(out, m->row_state, n->row_state);
		array_close(out);
	}
}

/* ".FIELD = (TYPE *)mI_FIELD," or ".FIELD = NULL," for an empty array:
 * the cast only makes the pointer fit the field; nothing writes through
 * it (matcher-tables.h, compiled_in). */
static void write_pointer(FILE *out, const char *field, const char *type,
			  size_t id, size_t n)
{
	if (n == 0)
		fprintf(out, "\t.%s = NULL,\n", field);
	else
		fprintf(out, "\t.%s = (%s *)m%zu_%s,\n", field, type, id, field);
}

static void write_matcher(FILE *out, size_t id, const rebound_phrase_list *l,
			  const rebound_matcher *m)
{
	matcher_sizes n = rebound_matcher_sizes(m);
	fprintf(out, "/* --- %s: %zu phrases, %zu states --- */\n\n", l->name,
		l->count, m->nstates);
	write_arrays(out, id, m, &n);
	fprintf(out, "static const rebound_matcher m%zu = {\n", id);
	write_pointer(out, "st", "matcher_state", id, n.st);
	fprintf(out, "\t.nstates = %zu,\n", m->nstates);
	write_pointer(out, "edge", "matcher_edge", id, n.edge);
	fprintf(out, "\t.nedges = %zu,\n", m->nedges);
	write_pointer(out, "keys", "matcher_key", id, n.keys);
	fprintf(out, "\t.nkeys = %zu,\n\t.nphrases = %zu,\n\t.max_gap = %zu,\n",
		m->nkeys, m->nphrases, m->max_gap);
	fputs("\t.root_next = {", out);
	write_u32s(out, m->root_next, 256);
	fputs("\n\t},\n", out);
	write_pointer(out, "dense", "uint16_t", id, n.dense);
	fprintf(out, "\t.ndense = %" PRIu32 ",\n\t.first_out = %" PRIu32
		",\n\t.shift = %" PRIu32 ",\n", m->ndense, m->first_out,
		m->shift);
	write_pointer(out, "sparse", "struct sparse_node", id, n.sparse);
	write_pointer(out, "sparse_edge", "struct sparse_edge", id,
		      n.sparse_edge);
	write_pointer(out, "row_state", "uint32_t", id, n.row_state);
	fputs("\t.byte_class = {", out);
	write_u8s(out, m->byte_class, 256);
	fputs("\n\t},\n\t.compiled_in = true,\n};\n\n", out);
}

static int generate(FILE *out, const char *path)
{
	rebound_phrase_list lists[REBOUND_CLASSIFY_NLISTS];
	size_t nlists = REBOUND_CLASSIFY_NLISTS;
	rebound_classify_phrase_lists(lists);
	fputs("/* automata.c - the compiled-in automata of the built-in phrase "
	      "lists,\n * written by gen-automata at build time: do not edit, "
	      "do not commit\n * (doc/classify.md, \"The compiled-in "
	      "automata\"). */\n"
	      "#include \"classify/matcher-tables.h\"\n\n", out);
	for (size_t i = 0; i < nlists; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(lists[i].name, lists[j].name) == 0) {
				fprintf(stderr, "gen-automata: two lists named "
					"%s\n", lists[i].name);
				return -1;
			}
		rebound_matcher *m = rebound_matcher_build(
			lists[i].phrases, lists[i].count, lists[i].max_gap);
		if (m == NULL) {
			fprintf(stderr, "gen-automata: cannot build %s (out of "
				"memory, or a phrase with two '*')\n",
				lists[i].name);
			return -1;
		}
		write_matcher(out, i, &lists[i], m);
		rebound_matcher_free(m);
	}
	fprintf(out, "const rebound_compiled_matcher "
		"rebound_compiled_matchers[%zu] = {\n", nlists);
	for (size_t i = 0; i < nlists; i++)
		fprintf(out, "\t{ \"%s\", UINT64_C(0x%016" PRIx64 "), &m%zu },\n",
			lists[i].name, rebound_matcher_fingerprint(&lists[i]), i);
	fprintf(out, "};\nconst size_t rebound_compiled_matcher_count = %zu;\n",
		nlists);
	if (ferror(out)) {
		fprintf(stderr, "gen-automata: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: gen-automata OUTPUT.c\n", stderr);
		return 2;
	}
	FILE *out = fopen(argv[1], "w");
	if (out == NULL) {
		fprintf(stderr, "gen-automata: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	int rc = generate(out, argv[1]);
	if (fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "gen-automata: %s: %s\n", argv[1],
			strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		remove(argv[1]);
	return rc == 0 ? 0 : 1;
}
