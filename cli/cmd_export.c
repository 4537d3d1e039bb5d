/* cmd_export.c - `rebound export`: every recipient in the ledger (or
 * those the filters of `rebound list` keep) as CSV with a header line or
 * as JSON Lines, for other tools. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd_util.h"
#include "admin/admin.h"

typedef struct export_run {
	cli_filter f;
	bool csv;
	int64_t now;
	unsigned long n;
} export_run;

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break. */
static void csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void csv_num(unsigned long v)
{
	printf("%lu,", v);
}

static void csv_time(int64_t t)
{
	char buf[40];
	if (t != 0)
		fputs(rebound_time_format(t, buf, sizeof(buf)), stdout);
	putchar(',');
}

static int export_one(const rebound_entry *e, void *ctx)
{
	export_run *x = ctx;
	if (!cli_filter_keep(&x->f, e))
		return 0;
	x->n++;
	if (!x->csv) {
		cli_entry_json(stdout, e, x->now);
		return 0;
	}
	bool bounced = e->last_time != 0;
	csv_field(e->address, false);
	csv_field(rebound_state_name(e->state), false);
	csv_time(e->state == REBOUND_STATE_SUSPENDED ? e->until : 0);
	csv_field(e->suspect ? "yes" : "no", false);
	csv_field(rebound_entry_may_send(e, x->now) ? "yes" : "no", false);
	csv_num(e->hard_count);
	csv_num(e->soft_count);
	csv_num(e->consecutive_soft);
	csv_num(e->delayed_count);
	csv_num(e->delivered_count);
	csv_num(e->block_count);
	csv_time(e->first_seen);
	csv_time(e->last_seen);
	csv_time(e->last_time);
	csv_field(bounced ? rebound_reason_name(e->last_reason) : "", false);
	if (bounced)
		printf("%d,", rebound_reason_category(e->last_reason));
	else
		putchar(',');
	csv_field(e->last_status, false);
	csv_field(e->last_reply, false);
	csv_field(e->last_sender_domain, false);
	csv_field(e->last_campaign, false);
	csv_field(e->last_diag, true);
	return 0;
}

static void export_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound export --format csv|json [--state S] [--domain D]\n"
		"                      [--since TIME]\n"
		"Write every recipient (or those matching the filters, as in\n"
		"'rebound list') to standard output: CSV with a header line, or\n"
		"JSON Lines with the fields of 'rebound show --json'.\n");
}

int cmd_export(const global_opts *g, int argc, char **argv)
{
	export_run x;
	memset(&x, 0, sizeof(x));
	const char *format = NULL, *state = NULL, *domain = NULL, *since = NULL;
	bool json = false;
	const cli_opt opts[] = {
		{ "--format", NULL, &format },
		{ "--json", &json, NULL },
		{ "--state", NULL, &state },
		{ "--domain", NULL, &domain },
		{ "--since", NULL, &since },
	};
	int n = cli_parse("rebound export", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		export_usage(stdout);
		return 0;
	}
	if (json && format == NULL)
		format = "json";
	if (n != 0 || format == NULL ||
	    (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
		export_usage(stderr);
		return 2;
	}
	x.csv = strcmp(format, "csv") == 0;
	if (cli_filter_parse(g, "rebound export", state, domain, since,
			     &x.f) < 0)
		return 2;
	cli_env env;
	int rc = cli_open_walk(g, "rebound export", &env);
	if (rc != 0)
		return rc;
	x.now = env.now;
	if (x.csv)
		puts("address,state,until,suspect,may_send,hard_count,soft_count,"
		     "consecutive_soft,delayed_count,delivered_count,block_count,"
		     "first_seen,last_seen,last_bounce,last_reason,last_category,"
		     "last_status,last_reply,last_sender_domain,last_campaign,"
		     "last_diagnostic");
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now, export_one,
						 &x, err, sizeof(err));
	cli_close(&env);
	if (cli_flush("rebound export") != 0)
		return 2;
	if (bad < 0) {
		fprintf(stderr, "rebound export: %s\n", err);
		return 2;
	}
	if (bad > 0) {
		fprintf(stderr, "rebound export: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		return 1;
	}
	return 0;
}
