/* cmd_domains.c - `rebound domains`: the recipients counted by their
 * domain (how many, hard-bounced, suspect, suppressed) beside the
 * domain's mark when a burst of the same "user unknown" showed it blocks
 * the sender (doc/design.md §6 row 14): the list a B2B sender reviews
 * before deleting anyone (doc/guide.md). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_util.h"
#include "admin/admin.h"
#include "term.h"

typedef struct domain_row {
	char *name;
	unsigned long recipients, hard, suspect, suppressed, suspended;
	/* the b: record, when there is one */
	bool marked;			/* a burst was ever seen */
	bool blocking;
	int64_t block_start, block_last, cleared;
	unsigned long block_recipients, blocks;
	char *reply, *cleared_by;
} domain_row;

/* One row per domain, found by name through an open-addressing index
 * (what it holds grows with the domains, not with the recipients). */
typedef struct domains_run {
	domain_row *rows;
	size_t n, cap;
	size_t *index;			/* row + 1, 0 empty; size a power of 2 */
	size_t index_size;
	bool oom;
} domains_run;

static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

static void index_put(size_t *index, size_t size, const char *name,
		      size_t row)
{
	size_t j = name_hash(name) & (size - 1);
	while (index[j] != 0)
		j = (j + 1) & (size - 1);
	index[j] = row + 1;
}

static domain_row *find_or_add(domains_run *dr, const char *name);

/* The row of a domain (lower case), added when new. */
static domain_row *add_row(domains_run *dr, const char *domain)
{
	char buf[256];
	size_t len = strlen(domain);
	char *name = len < sizeof(buf) ? buf : malloc(len + 1);
	if (name == NULL) {
		dr->oom = true;
		return NULL;
	}
	for (size_t i = 0; i <= len; i++)
		name[i] = domain[i] >= 'A' && domain[i] <= 'Z' ?
				  (char)(domain[i] + 32) : domain[i];
	domain_row *r = find_or_add(dr, name);
	if (name != buf)
		free(name);
	return r;
}

static domain_row *find_or_add(domains_run *dr, const char *name)
{
	if (dr->index_size > 0) {
		size_t j = name_hash(name) & (dr->index_size - 1);
		while (dr->index[j] != 0) {
			domain_row *r = &dr->rows[dr->index[j] - 1];
			if (strcmp(r->name, name) == 0)
				return r;
			j = (j + 1) & (dr->index_size - 1);
		}
	}
	if ((dr->n + 1) * 2 > dr->index_size) {
		size_t size = dr->index_size ? dr->index_size * 2 : 512;
		size_t *index = calloc(size, sizeof(*index));
		if (index == NULL) {
			dr->oom = true;
			return NULL;
		}
		for (size_t i = 0; i < dr->n; i++)
			index_put(index, size, dr->rows[i].name, i);
		free(dr->index);
		dr->index = index;
		dr->index_size = size;
	}
	if (dr->n == dr->cap) {
		size_t cap = dr->cap ? dr->cap * 2 : 256;
		domain_row *p = realloc(dr->rows, cap * sizeof(*p));
		if (p == NULL) {
			dr->oom = true;
			return NULL;
		}
		dr->rows = p;
		dr->cap = cap;
	}
	domain_row *r = &dr->rows[dr->n];
	memset(r, 0, sizeof(*r));
	if ((r->name = strdup(name)) == NULL) {
		dr->oom = true;
		return NULL;
	}
	index_put(dr->index, dr->index_size, name, dr->n);
	dr->n++;
	return r;
}

static int domains_entry(const rebound_entry *e, void *ctx)
{
	const char *at = strrchr(e->address, '@');
	domain_row *r = add_row(ctx, at != NULL ? at + 1 : "-");
	if (r == NULL)
		return 1;
	r->recipients++;
	r->hard += e->hard_count > 0;
	r->suspect += e->suspect;
	r->suppressed += e->state == REBOUND_STATE_SUPPRESSED ||
			 e->state == REBOUND_STATE_GLOBAL;
	r->suspended += e->state == REBOUND_STATE_SUSPENDED;
	return 0;
}

static int domains_mark(const rebound_domain *d, void *ctx)
{
	if (d->blocks == 0)
		return 0;		/* only counting so far: no burst */
	domain_row *r = add_row(ctx, d->name);
	if (r == NULL)
		return 1;
	free(r->reply);
	free(r->cleared_by);
	r->marked = true;
	r->blocking = d->blocking;
	r->block_start = d->block_start;
	r->block_last = d->block_last;
	r->cleared = d->cleared;
	r->block_recipients = d->block_recipients;
	r->blocks = d->blocks;
	r->reply = strdup(d->block_reply);
	r->cleared_by = strdup(d->cleared_by);
	if (r->reply == NULL || r->cleared_by == NULL) {
		((domains_run *)ctx)->oom = true;
		return 1;
	}
	return 0;
}

/* Most to review first: a mark, then suspect, then hard, then name. */
static int by_concern(const void *pa, const void *pb)
{
	const domain_row *a = pa, *b = pb;
	if (a->blocking != b->blocking)
		return a->blocking ? -1 : 1;
	if (a->suspect != b->suspect)
		return a->suspect > b->suspect ? -1 : 1;
	if (a->hard != b->hard)
		return a->hard > b->hard ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void row_json(const domain_row *r)
{
	char t[40];
	fputs("{\"domain\":", stdout);
	rebound_json_string(stdout, r->name);
	printf(",\"recipients\":%lu,\"hard\":%lu,\"suspect\":%lu,"
	       "\"suspended\":%lu,\"suppressed\":%lu,\"blocking\":%s",
	       r->recipients, r->hard, r->suspect, r->suspended, r->suppressed,
	       r->blocking ? "true" : "false");
	if (!r->marked) {
		fputs(",\"blocks\":0,\"window\":null}\n", stdout);
		return;
	}
	printf(",\"blocks\":%lu,\"window\":{\"start\":\"%s\"", r->blocks,
	       cli_time(r->block_start, t, sizeof(t)));
	printf(",\"last\":\"%s\",\"recipients\":%lu,\"reply\":",
	       cli_time(r->block_last, t, sizeof(t)), r->block_recipients);
	rebound_json_string(stdout, r->reply[0] ? r->reply : NULL);
	fputs(",\"cleared\":", stdout);
	if (r->cleared != 0)
		printf("\"%s\"", cli_time(r->cleared, t, sizeof(t)));
	else
		fputs("null", stdout);
	fputs(",\"cleared_by\":", stdout);
	rebound_json_string(stdout, r->cleared_by[0] ? r->cleared_by : NULL);
	fputs("}}\n", stdout);
}

static void row_text(const domain_row *r)
{
	char t1[40], t2[40];
	term_cell(stdout, r->name, 30, false, TERM_PLAIN);
	printf(" %6lu %6lu %7lu %9lu %10lu  ", r->recipients, r->hard,
	       r->suspect, r->suspended, r->suppressed);
	if (!r->marked) {
		puts("-");
		return;
	}
	term_cell(stdout, r->blocking ? "blocking" : "cleared", 0, false,
		  r->blocking ? TERM_YELLOW : TERM_GREEN);
	printf(" %s .. %s, %lu recipients", cli_local_time(r->block_start, t1,
							     sizeof(t1)),
	       cli_local_time(r->block_last, t2, sizeof(t2)),
	       r->block_recipients);
	if (r->blocks > 1)
		printf(", %lu windows", r->blocks);
	if (!r->blocking && r->cleared != 0) {
		printf("; delivered to ");
		term_cell(stdout, r->cleared_by, 0, false, TERM_PLAIN);
		printf(" %s", cli_local_time(r->cleared, t1, sizeof(t1)));
	}
	fputs("\n    reply: ", stdout);
	term_cell(stdout, r->reply[0] ? r->reply : "-", 0, false, TERM_PLAIN);
	putchar('\n');
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound domains [--suspect] [--all] [--json]\n"
		"The recipients by domain: how many, how many hard-bounced, are\n"
		"suspect (maybe a block), suspended and suppressed, and the domain's\n"
		"mark when a burst of the same \"user unknown\" showed that it blocks\n"
		"the sender: when, how many recipients, the reply.  Marked domains\n"
		"first, then by suspect and hard recipients.\n"
		"  --suspect   only domains with suspect recipients or a mark\n"
		"  --all       also domains without a hard bounce\n"
		"  --json      one JSON object per line\n");
}

int cmd_domains(const global_opts *g, int argc, char **argv)
{
	bool json = false, suspect_only = false, all = false;
	const cli_opt opts[] = {
		{ "--json", &json, NULL },
		{ "--suspect", &suspect_only, NULL },
		{ "--all", &all, NULL },
	};
	int n = cli_parse("rebound domains", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (n != 0) {
		usage(stderr);
		return 2;
	}
	cli_env env;
	int rc = cli_open_walk(g, "rebound domains", &env);
	if (rc != 0)
		return rc;
	domains_run dr;
	memset(&dr, 0, sizeof(dr));
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now,
						 domains_entry, &dr, err,
						 sizeof(err));
	long bad2 = bad < 0 || dr.oom ? 0 :
		rebound_ledger_each_domain(env.ledger, domains_mark, &dr, err,
					   sizeof(err));
	cli_close(&env);
	int status = 0;
	if (bad < 0 || bad2 < 0 || dr.oom) {
		fprintf(stderr, "rebound domains: %s\n",
			dr.oom ? "out of memory" : err);
		status = 2;
	} else if (bad + bad2 > 0) {
		fprintf(stderr, "rebound domains: %ld damaged records skipped "
				"(see rebound db check)\n", bad + bad2);
		status = 1;
	}
	size_t m = 0;
	if (status != 2 && dr.n > 0)
		qsort(dr.rows, dr.n, sizeof(*dr.rows), by_concern);
	m = dr.n;
	size_t shown = 0;
	if (status != 2 && !json)
		printf("%-30s %6s %6s %7s %9s %10s  %s\n", "DOMAIN", "RCPTS",
		       "HARD", "SUSPECT", "SUSPENDED", "SUPPRESSED", "MARK");
	for (size_t i = 0; i < m; i++) {
		const domain_row *r = &dr.rows[i];
		bool keep = status != 2 &&
			    (suspect_only ? r->suspect > 0 || r->marked :
			     all || r->hard > 0 || r->suspect > 0 || r->marked);
		if (keep) {
			shown++;
			if (json)
				row_json(r);
			else
				row_text(r);
		}
		free(r->name);
		free(r->reply);
		free(r->cleared_by);
	}
	free(dr.rows);
	free(dr.index);
	if (status != 2 && !json)
		printf("%zu domain%s\n", shown, shown == 1 ? "" : "s");
	if (cli_flush("rebound domains") != 0)
		return 2;
	return status;
}
