/* cmd_campaign.c - `rebound campaign list|show|resume|cancel`: the bounce
 * rate of each campaign and the pauses and cancellations it caused. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "admin/admin.h"
#include "term.h"

static double rate(const rebound_campaign *c)
{
	uint64_t b = c->bounced_hard + c->bounced_soft;
	return c->sent > 0 ? 100.0 * (double)b / (double)c->sent : 0.0;
}

static void campaign_json(const rebound_campaign *c)
{
	char t[40];
	fputs("{\"campaign\":", stdout);
	rebound_json_string(stdout, c->name);
	printf(",\"state\":\"%s\",\"until\":",
	       rebound_campaign_state_name(c->state));
	if (c->state == REBOUND_CAMPAIGN_PAUSED)
		printf("\"%s\"", cli_time(c->until, t, sizeof(t)));
	else
		fputs("null", stdout);
	printf(",\"sent\":%llu,\"bounced_hard\":%llu,\"bounced_soft\":%llu"
	       ",\"bounce_rate\":%.4f,\"pauses\":%lu",
	       (unsigned long long)c->sent,
	       (unsigned long long)c->bounced_hard,
	       (unsigned long long)c->bounced_soft, rate(c) / 100.0,
	       (unsigned long)c->pauses);
	printf(",\"sent_since_resume\":%llu,\"bounced_since_resume\":%llu",
	       (unsigned long long)(c->sent - c->sent_base),
	       (unsigned long long)(c->bounced_hard + c->bounced_soft -
				    c->bounced_base));
#define T(name, v) \
	printf(",\"" name "\":"); \
	if ((v) != 0) \
		printf("\"%s\"", cli_time((v), t, sizeof(t))); \
	else \
		fputs("null", stdout)
	T("first_sent", c->first_sent);
	T("last_sent", c->last_sent);
	T("last_bounce", c->last_bounce);
	T("changed", c->changed);
#undef T
	fputs("}\n", stdout);
}

static void campaign_text(const rebound_campaign *c)
{
	char t[40];
	printf("campaign:      %s\n", c->name);
	printf("state:         %s", rebound_campaign_state_name(c->state));
	if (c->state == REBOUND_CAMPAIGN_PAUSED)
		printf(" until %s", cli_local_time(c->until, t, sizeof(t)));
	printf("\nsent:          %llu\n", (unsigned long long)c->sent);
	printf("bounced:       %llu hard, %llu soft (%.2f %%)\n",
	       (unsigned long long)c->bounced_hard,
	       (unsigned long long)c->bounced_soft, rate(c));
	printf("since resume:  %llu sent, %llu bounced\n",
	       (unsigned long long)(c->sent - c->sent_base),
	       (unsigned long long)(c->bounced_hard + c->bounced_soft -
				    c->bounced_base));
	printf("pauses:        %lu\n", (unsigned long)c->pauses);
	printf("first sent:    %s\n", cli_local_time(c->first_sent, t, sizeof(t)));
	printf("last sent:     %s\n", cli_local_time(c->last_sent, t, sizeof(t)));
	printf("last bounce:   %s\n", cli_local_time(c->last_bounce, t, sizeof(t)));
	printf("last change:   %s\n", cli_local_time(c->changed, t, sizeof(t)));
}

typedef struct list_ctx {
	bool json;
	rebound_campaign *v;
	size_t n, cap;
	bool oom;
} list_ctx;

static int collect(const rebound_campaign *c, void *p)
{
	list_ctx *lc = p;
	if (lc->json) {
		campaign_json(c);
		return 0;
	}
	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 32;
		rebound_campaign *v = realloc(lc->v, cap * sizeof(*v));
		if (v == NULL) {
			lc->oom = true;
			return 1;
		}
		lc->v = v;
		lc->cap = cap;
	}
	lc->v[lc->n++] = *c;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const rebound_campaign *)a)->name,
		      ((const rebound_campaign *)b)->name);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound campaign list [--json]\n"
		"       rebound campaign show [--json] CAMPAIGN\n"
		"       rebound campaign resume CAMPAIGN\n"
		"       rebound campaign cancel CAMPAIGN\n"
		"Campaigns are counted by the Exim module (messages carrying the\n"
		"campaign header) and by the bounces that name them.  Above the bounce\n"
		"rate limit a campaign is paused; if it crosses the limit again after\n"
		"it resumes, it is cancelled.  'resume' lets a paused or cancelled\n"
		"campaign send again, counting afresh; 'cancel' stops it for good.\n");
}

int cmd_campaign(const global_opts *g, int argc, char **argv)
{
	bool json = false;
	const cli_opt opts[] = { { "--json", &json, NULL } };
	int n = cli_parse("rebound campaign", argc, argv, opts, 1);
	if (n == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (n < 1) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	bool list = strcmp(sub, "list") == 0;
	bool show = strcmp(sub, "show") == 0;
	bool resume = strcmp(sub, "resume") == 0;
	bool cancel = strcmp(sub, "cancel") == 0;
	if (!(list || show || resume || cancel) || (list && n != 1) ||
	    (!list && n != 2)) {
		usage(stderr);
		return 2;
	}
	cli_env env;
	int rc = cli_open(g, "rebound campaign", false, &env);
	if (rc != 0)
		return rc;
	char err[1200];
	int status = 0;
	if (list) {
		list_ctx lc = { .json = json };
		long bad = rebound_ledger_each_campaign(env.ledger, env.now,
							collect, &lc, err,
							sizeof(err));
		if (bad < 0 || lc.oom) {
			fprintf(stderr, "rebound campaign: %s\n",
				bad < 0 ? err : "out of memory");
			status = 2;
		} else if (!json) {
			if (lc.n > 0)
				qsort(lc.v, lc.n, sizeof(*lc.v), by_name);
			printf("%-24s %-9s %9s %9s %6s %s\n", "CAMPAIGN", "STATE",
			       "SENT", "BOUNCED", "RATE", "PAUSED UNTIL");
			for (size_t i = 0; i < lc.n; i++) {
				const rebound_campaign *c = &lc.v[i];
				char t[40] = "-";
				if (c->state == REBOUND_CAMPAIGN_PAUSED) {
					cli_local_time(c->until, t, sizeof(t));
				}
				const char *st =
					rebound_campaign_state_name(c->state);
				term_cell(stdout, c->name, 24, false, TERM_PLAIN);
				putchar(' ');
				term_cell(stdout, st, 9, false,
					  term_state_colour(st));
				printf(" %9llu %9llu %5.1f%% %s\n",
				       (unsigned long long)c->sent,
				       (unsigned long long)(c->bounced_hard +
							    c->bounced_soft),
				       rate(c), t);
			}
		}
		if (bad > 0 && status == 0)
			status = 1;
		free(lc.v);
	} else {
		rebound_campaign c;
		if (show)
			rc = rebound_ledger_campaign_get(env.ledger, argv[2],
							 env.now, &c, err,
							 sizeof(err));
		else
			rc = rebound_ledger_campaign_set(
				env.ledger, argv[2],
				resume ? REBOUND_CAMPAIGN_OP_RESUME :
					 REBOUND_CAMPAIGN_OP_CANCEL,
				env.now, &c, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound campaign: %s\n", err);
			status = 2;
		} else if (rc == 0) {
			fprintf(stderr, "rebound campaign: %s: not in the ledger\n",
				argv[2]);
			status = 1;
		} else if (json) {
			campaign_json(&c);
		} else if (show) {
			campaign_text(&c);
		} else {
			printf("%s: %s\n", c.name,
			       rebound_campaign_state_name(c.state));
		}
	}
	cli_close(&env);
	if (cli_flush("rebound campaign") != 0)
		return 2;
	return status;
}
