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

typedef struct domains_run {
	domain_row *rows;
	size_t n, cap;
	bool oom;
	/* per recipient first, one row each; merged by name after */
} domains_run;

static domain_row *add_row(domains_run *dr, const char *name)
{
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
	for (char *p = r->name; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	dr->n++;
	return r;
}

static int domains_entry(const rebound_entry *e, void *ctx)
{
	const char *at = strrchr(e->address, '@');
	domain_row *r = add_row(ctx, at != NULL ? at + 1 : "-");
	if (r == NULL)
		return 1;
	r->recipients = 1;
	r->hard = e->hard_count > 0;
	r->suspect = e->suspect;
	r->suppressed = e->state == REBOUND_STATE_SUPPRESSED ||
			e->state == REBOUND_STATE_GLOBAL;
	r->suspended = e->state == REBOUND_STATE_SUSPENDED;
	return 0;
}

static int domains_mark(const rebound_domain *d, void *ctx)
{
	if (d->blocks == 0)
		return 0;		/* only counting so far: no burst */
	domain_row *r = add_row(ctx, d->name);
	if (r == NULL)
		return 1;
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

static int by_name(const void *a, const void *b)
{
	return strcmp(((const domain_row *)a)->name,
		      ((const domain_row *)b)->name);
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

/* Fold the rows of one name into its first. */
static size_t merge(domain_row *rows, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		domain_row *r = &rows[i];
		if (m > 0 && strcmp(rows[m - 1].name, r->name) == 0) {
			domain_row *t = &rows[m - 1];
			t->recipients += r->recipients;
			t->hard += r->hard;
			t->suspect += r->suspect;
			t->suppressed += r->suppressed;
			t->suspended += r->suspended;
			if (r->marked) {
				char *name = t->name;
				domain_row keep = *t;
				*t = *r;
				t->name = name;
				t->recipients = keep.recipients;
				t->hard = keep.hard;
				t->suspect = keep.suspect;
				t->suppressed = keep.suppressed;
				t->suspended = keep.suspended;
			}
			free(r->name);
			continue;
		}
		rows[m++] = *r;
	}
	return m;
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
	int rc = cli_open(g, "rebound domains", false, &env);
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
	if (status != 2 && dr.n > 0) {
		qsort(dr.rows, dr.n, sizeof(*dr.rows), by_name);
		m = merge(dr.rows, dr.n);
		qsort(dr.rows, m, sizeof(*dr.rows), by_concern);
	} else {
		m = dr.n;
	}
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
	if (status != 2 && !json)
		printf("%zu domain%s\n", shown, shown == 1 ? "" : "s");
	if (cli_flush("rebound domains") != 0)
		return 2;
	return status;
}
