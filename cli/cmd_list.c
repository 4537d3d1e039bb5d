/* cmd_list.c - `rebound list`: the recipients in the ledger, filtered by
 * state, domain and time, as a table sorted by address or as JSON Lines. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_util.h"
#include "admin/admin.h"
#include "term.h"

typedef struct row {
	char *address;
	rebound_state state;
	bool suspect;
	char why[48];
	uint32_t hard, soft;
	int64_t last_seen, last_time;
	rebound_reason reason;
} row;

typedef struct list_run {
	cli_filter f;
	bool json;
	bool suspect_only;		/* --suspect */
	int64_t now;
	row *rows;
	size_t n, cap;
	bool oom;
} list_run;

static int list_one(const rebound_entry *e, void *ctx)
{
	list_run *lr = ctx;
	if (!cli_filter_keep(&lr->f, e) || (lr->suspect_only && !e->suspect))
		return 0;
	if (lr->json) {
		cli_entry_json(stdout, e, lr->now);
		return 0;
	}
	if (lr->n == lr->cap) {
		size_t cap = lr->cap ? lr->cap * 2 : 256;
		row *p = realloc(lr->rows, cap * sizeof(*p));
		if (p == NULL) {
			lr->oom = true;
			return 1;
		}
		lr->rows = p;
		lr->cap = cap;
	}
	row *r = &lr->rows[lr->n];
	if ((r->address = strdup(e->address)) == NULL) {
		lr->oom = true;
		return 1;
	}
	r->state = e->state;
	r->suspect = e->suspect;
	snprintf(r->why, sizeof(r->why), "%s", e->suspect_why);
	r->hard = e->hard_count;
	r->soft = e->soft_count;
	r->last_seen = e->last_seen;
	r->last_time = e->last_time;
	r->reason = e->last_reason;
	lr->n++;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return strcasecmp(((const row *)a)->address, ((const row *)b)->address);
}

static void list_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound list [--state S] [--domain D] [--since TIME] [--suspect]\n"
		"                    [--json]\n"
		"List the recipients in the ledger, sorted by address.\n"
		"  --state S      only this state: active, pending, soft, suspended,\n"
		"                 suppressed, global\n"
		"  --domain D     only addresses at D or its subdomains\n"
		"  --since TIME   only addresses seen at or after TIME (RFC 3339,\n"
		"                 a local date 2026-03-01, or an age: 36h, 7d, 2w)\n"
		"  --suspect      only suspect recipients (a hard bounce that may be a\n"
		"                 block: suspended, not suppressed), with why\n"
		"  --json         one JSON object per line, not sorted\n");
}

int cmd_list(const global_opts *g, int argc, char **argv)
{
	list_run lr;
	memset(&lr, 0, sizeof(lr));
	const char *state = NULL, *domain = NULL, *since = NULL;
	const cli_opt opts[] = {
		{ "--json", &lr.json, NULL },
		{ "--suspect", &lr.suspect_only, NULL },
		{ "--state", NULL, &state },
		{ "--domain", NULL, &domain },
		{ "--since", NULL, &since },
	};
	int n = cli_parse("rebound list", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		list_usage(stdout);
		return 0;
	}
	if (n != 0) {
		if (n > 0)
			fprintf(stderr, "rebound list: unexpected '%s'\n", argv[1]);
		list_usage(stderr);
		return 2;
	}
	if (cli_filter_parse(g, "rebound list", state, domain, since,
			     &lr.f) < 0)
		return 2;
	cli_env env;
	int rc = cli_open_walk(g, "rebound list", &env);
	if (rc != 0)
		return rc;
	lr.now = env.now;
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now, list_one,
						 &lr, err, sizeof(err));
	cli_close(&env);
	int status = 0;
	if (bad < 0 || lr.oom) {
		fprintf(stderr, "rebound list: %s\n",
			bad < 0 ? err : "out of memory");
		status = 2;
	} else if (bad > 0) {
		fprintf(stderr, "rebound list: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		status = 1;
	}
	if (!lr.json && status != 2) {
		qsort(lr.rows, lr.n, sizeof(*lr.rows), row_cmp);
		printf("%-27s %-11s %4s %4s %-13s %s\n", "ADDRESS", "STATE",
		       "HARD", "SOFT", "LAST REASON",
		       lr.suspect_only ? "LAST SEEN        WHY" : "LAST SEEN");
		for (size_t i = 0; i < lr.n; i++) {
			const row *r = &lr.rows[i];
			char state_buf[16], t[40];
			snprintf(state_buf, sizeof(state_buf), "%s%s",
				 rebound_state_name(r->state),
				 r->suspect ? "*" : "");
			term_cell(stdout, r->address, 27, false, TERM_PLAIN);
			putchar(' ');
			term_cell(stdout, state_buf, 11, false,
				  term_state_colour(state_buf));
			printf(" %4lu %4lu %-13s %-*s", (unsigned long)r->hard,
			       (unsigned long)r->soft,
			       r->last_time ? rebound_reason_name(r->reason) : "-",
			       lr.suspect_only ? 16 : 0,
			       cli_local_time(r->last_seen, t, sizeof(t)));
			if (lr.suspect_only) {
				putchar(' ');
				term_cell(stdout, r->why[0] ? r->why : "-", 0,
					  false, TERM_PLAIN);
			}
			putchar('\n');
		}
		printf("%zu recipient%s%s\n", lr.n, lr.n == 1 ? "" : "s",
		       lr.n > 0 ? " (* suspect)" : "");
	}
	for (size_t i = 0; i < lr.n; i++)
		free(lr.rows[i].address);
	free(lr.rows);
	if (cli_flush("rebound list") != 0)
		return 2;
	return status;
}
