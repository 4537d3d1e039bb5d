/* cmd_prune.c - `rebound prune`: delete events and seen-before markers
 * older than a number of days; the recipient states stay. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_util.h"
#include "admin/admin.h"

static void prune_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound prune [--older-than DAYS] [--json]\n"
		"Delete events and seen-before markers older than DAYS days (default:\n"
		"event_retention_days of the configuration).  Recipient states stay.\n");
}

int cmd_prune(const global_opts *g, int argc, char **argv)
{
	bool json = false;
	const char *days_s = NULL;
	const cli_opt opts[] = { { "--json", &json, NULL },
				 { "--older-than", NULL, &days_s } };
	int n = cli_parse("rebound prune", argc, argv, opts, 2);
	if (n == CLI_HELP) {
		prune_usage(stdout);
		return 0;
	}
	if (n != 0) {
		prune_usage(stderr);
		return 2;
	}
	cli_env env;
	int rc = cli_setup(g, "rebound prune", &env);
	if (rc != 0)
		return rc;
	unsigned long days = env.cfg.policy.event_retention_days;
	if (days_s != NULL) {
		char *end;
		errno = 0;
		days = strtoul(days_s, &end, 10);
		if (errno != 0 || end == days_s || *end != '\0' ||
		    days_s[0] == '-' || days > 36500) {
			fprintf(stderr, "rebound prune: --older-than: a number of "
					"days, not '%s'\n", days_s);
			return 2;
		}
	}
	if ((rc = cli_open(g, "rebound prune", false, &env)) != 0)
		return rc;
	int64_t before = env.now - (int64_t)days * 86400;
	unsigned long events = 0, markers = 0;
	char err[1200];
	rc = rebound_ledger_prune(env.ledger, before, &events, &markers, err,
				  sizeof(err));
	cli_close(&env);
	if (rc < 0) {
		fprintf(stderr, "rebound prune: %s\n", err);
		return 2;
	}
	char t[40];
	if (json)
		printf("{\"before\":\"%s\",\"events\":%lu,\"markers\":%lu}\n",
		       cli_time(before, t, sizeof(t)), events, markers);
	else
		printf("pruned %lu events and %lu seen-before markers older than "
		       "%s\n", events, markers, cli_local_time(before, t, sizeof(t)));
	return cli_flush("rebound prune");
}
