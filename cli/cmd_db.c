/* cmd_db.c - looking after the ledger file: `rebound db check`, `rebound
 * db backup` and `rebound prune`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "json.h"
#include "ledger-admin.h"

static void db_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound db check [--json]\n"
		"       rebound db backup DEST\n"
		"'check' verifies the tdb file and decodes every record: exit 0 when\n"
		"all is well, 1 when problems were found, 2 when the ledger cannot\n"
		"be read at all.  'backup' copies the ledger to DEST (a new file)\n"
		"while writers wait, so that the copy is consistent.\n");
}

int cmd_db(const global_opts *g, int argc, char **argv)
{
	bool json = false;
	const cli_opt opts[] = { { "--json", &json, NULL } };
	int n = cli_parse("rebound db", argc, argv, opts, 1);
	if (n == CLI_HELP) {
		db_usage(stdout);
		return 0;
	}
	bool check = n == 1 && strcmp(argv[1], "check") == 0;
	bool backup = n == 2 && strcmp(argv[1], "backup") == 0;
	if (!check && !backup) {
		db_usage(stderr);
		return 2;
	}
	cli_env env;
	int rc = cli_open(g, "rebound db", false, &env);
	if (rc != 0)
		return rc;
	char err[1200];
	int status;
	if (backup) {
		rc = rebound_ledger_backup(env.ledger, argv[2], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound db backup: %s\n", err);
			status = 2;
		} else {
			printf("%s: copied to %s\n", env.db_path, argv[2]);
			status = 0;
		}
	} else {
		rebound_check_report r;
		rc = rebound_ledger_check(env.ledger, &r, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound db check: %s\n", err);
			status = 2;
		} else if (json) {
			printf("{\"ok\":%s,\"tdb_ok\":%s,\"meta_ok\":%s,"
			       "\"recipients\":%lu,\"events\":%lu,\"markers\":%lu,"
			       "\"campaigns\":%lu,\"other\":%lu,\"bad\":%lu,"
			       "\"problem\":",
			       rc == 0 ? "true" : "false",
			       r.tdb_ok ? "true" : "false",
			       r.meta_ok ? "true" : "false", r.recipients,
			       r.events, r.markers, r.campaigns, r.other, r.bad);
			rebound_json_string(stdout, r.first_problem[0] ?
							    r.first_problem : NULL);
			puts("}");
			status = rc;
		} else {
			printf("%s: %s: %lu recipients, %lu events, %lu markers, "
			       "%lu campaigns", env.db_path,
			       rc == 0 ? "ok" : "PROBLEMS", r.recipients,
			       r.events, r.markers, r.campaigns);
			if (r.other)
				printf(", %lu other keys", r.other);
			if (r.bad)
				printf(", %lu damaged records", r.bad);
			putchar('\n');
			if (r.first_problem[0])
				printf("  first problem: %s\n", r.first_problem);
			status = rc;
		}
	}
	cli_close(&env);
	if (cli_flush("rebound db") != 0)
		return 2;
	return status;
}

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
