/* rebound.c - the rebound command: global options, then dispatch to the
 * subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "rebound-config.h"

typedef struct command {
	const char *name;
	int (*run)(const global_opts *g, int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
	{ "classify", cmd_classify, "classify messages (no ledger)" },
	{ "explain", cmd_explain, "show why each message was classified so" },
	{ "record", cmd_record, "classify messages and record them in the ledger" },
	{ "show", cmd_show, "what the ledger knows about one address" },
	{ "check", cmd_check, "may mail be sent to an address? (exit status)" },
	{ "unbounce", cmd_unbounce, "clear addresses by hand" },
	{ "list", cmd_list, "list recipients by state, domain, time" },
	{ "stats", cmd_stats, "count bounces by reason, domain, day, ..." },
	{ "domains", cmd_domains, "recipients by domain: suspect, blocking marks" },
	{ "export", cmd_export, "all recipients as CSV or JSON Lines" },
	{ "campaign", cmd_campaign, "campaign bounce rates, pause and cancel" },
	{ "prune", cmd_prune, "delete old events from the ledger" },
	{ "db", cmd_db, "create, check or back up the ledger file" },
	{ "verp", cmd_verp, "sign or verify VERP return paths (sign|verify)" },
	{ "cluster", cmd_cluster, "share the ledger with a fleet through CTDB (sync|status)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: rebound [--db PATH] [--config FILE] [--now TIME] "
		     "COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'rebound COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	global_opts g = { NULL, NULL, NULL };
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (strcmp(a, "--db") == 0)
			slot = &g.db_path;
		else if (strcmp(a, "--config") == 0)
			slot = &g.config_path;
		else if (strcmp(a, "--now") == 0)
			slot = &g.now;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("rebound %s\n", REBOUND_VERSION);
			return 0;
		} else
			break;
		if (i + 1 >= argc) {
			fprintf(stderr, "rebound: %s needs a value\n", a);
			return 2;
		}
		*slot = argv[++i];
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(*commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(&g, argc - i, argv + i);
	fprintf(stderr, "rebound: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
