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
#include "extsort.h"
#include "term.h"

/* What the table shows of a recipient besides its address (the sort
 * key): written to the sort's temporary files as it is. */
typedef struct row {
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
	extsort *rows;			/* the table's rows, by address */
	size_t n;
	bool failed;
	char err[256];
} list_run;

/* Rows kept in memory before the sort goes to temporary files: about
 * 100,000 recipients (a table that long is read by a program, which may
 * as well ask for --json). */
#define LIST_SORT_MEMORY (16u << 20)

static int list_one(const rebound_entry *e, void *ctx)
{
	list_run *lr = ctx;
	if (!cli_filter_keep(&lr->f, e) || (lr->suspect_only && !e->suspect))
		return 0;
	if (lr->json) {
		cli_entry_json(stdout, e, lr->now);
		return 0;
	}
	row r;
	memset(&r, 0, sizeof(r));	/* padding too: it goes to a file */
	r.state = e->state;
	r.suspect = e->suspect;
	snprintf(r.why, sizeof(r.why), "%s", e->suspect_why);
	r.hard = e->hard_count;
	r.soft = e->soft_count;
	r.last_seen = e->last_seen;
	r.last_time = e->last_time;
	r.reason = e->last_reason;
	if (extsort_add(lr->rows, e->address, &r, lr->err,
			sizeof(lr->err)) < 0) {
		lr->failed = true;
		return 1;
	}
	lr->n++;
	return 0;
}

static void print_row(const list_run *lr, const char *address, const row *r)
{
	char state_buf[16], t[40];
	snprintf(state_buf, sizeof(state_buf), "%s%s",
		 rebound_state_name(r->state), r->suspect ? "*" : "");
	term_cell(stdout, address, 27, false, TERM_PLAIN);
	putchar(' ');
	term_cell(stdout, state_buf, 11, false, term_state_colour(state_buf));
	printf(" %4lu %4lu %-13s %-*s", (unsigned long)r->hard,
	       (unsigned long)r->soft,
	       r->last_time ? rebound_reason_name(r->reason) : "-",
	       lr->suspect_only ? 16 : 0,
	       cli_local_time(r->last_seen, t, sizeof(t)));
	if (lr->suspect_only) {
		putchar(' ');
		term_cell(stdout, r->why[0] ? r->why : "-", 0, false,
			  TERM_PLAIN);
	}
	putchar('\n');
}

/* The sorted table.  0, or -1 with lr->err set. */
static int print_table(list_run *lr)
{
	if (extsort_finish(lr->rows, lr->err, sizeof(lr->err)) < 0)
		return -1;
	printf("%-27s %-11s %4s %4s %-13s %s\n", "ADDRESS", "STATE", "HARD",
	       "SOFT", "LAST REASON",
	       lr->suspect_only ? "LAST SEEN        WHY" : "LAST SEEN");
	const char *address;
	const void *payload;
	int got;
	while ((got = extsort_next(lr->rows, &address, &payload, lr->err,
				   sizeof(lr->err))) > 0) {
		row r;
		memcpy(&r, payload, sizeof(r));
		print_row(lr, address, &r);
	}
	if (got < 0)
		return -1;
	printf("%zu recipient%s%s\n", lr->n, lr->n == 1 ? "" : "s",
	       lr->n > 0 ? " (* suspect)" : "");
	return 0;
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
	if (!lr.json) {
		/* A test makes the memory small to see the runs merged. */
		const char *mem = getenv("REBOUND_SORT_MEMORY");
		lr.rows = extsort_new(sizeof(row), mem != NULL
							   ? strtoul(mem, NULL, 10)
							   : LIST_SORT_MEMORY);
		if (lr.rows == NULL) {
			fprintf(stderr, "rebound list: out of memory\n");
			return 2;
		}
	}
	cli_env env;
	int rc = cli_open_walk(g, "rebound list", &env);
	if (rc != 0) {
		extsort_free(lr.rows);
		return rc;
	}
	lr.now = env.now;
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now, list_one,
						 &lr, err, sizeof(err));
	cli_close(&env);
	int status = 0;
	if (bad < 0 || lr.failed) {
		fprintf(stderr, "rebound list: %s\n", bad < 0 ? err : lr.err);
		status = 2;
	} else if (bad > 0) {
		fprintf(stderr, "rebound list: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		status = 1;
	}
	if (!lr.json && status != 2 && print_table(&lr) < 0) {
		fprintf(stderr, "rebound list: %s\n", lr.err);
		status = 2;
	}
	extsort_free(lr.rows);
	if (cli_flush("rebound list") != 0)
		return 2;
	return status;
}
