/* cmd_unbounce.c - `rebound unbounce`: clear addresses by hand.  Each
 * becomes active again; its history stays. */
#include <stdio.h>

#include "cmd_util.h"
#include "admin/admin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound unbounce ADDRESS...\n"
		"Clear each ADDRESS by hand: it becomes active again; its history\n"
		"stays.  Exit 1 when an address is not in the ledger.\n");
}

int cmd_unbounce(const global_opts *g, int argc, char **argv)
{
	int nops = cli_parse("rebound unbounce", argc, argv, NULL, 0);
	if (nops == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (nops <= 0) {
		usage(stderr);
		return 2;
	}
	cli_env env;
	int rc;
	if ((rc = cli_open(g, "rebound unbounce", false, &env)) != 0)
		return rc;
	int status = 0;
	for (int i = 1; i <= nops; i++) {
		char err[1200];
		rc = rebound_ledger_unbounce(env.ledger, argv[i], env.now, err,
					     sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound unbounce: %s\n", err);
			status = 2;
		} else if (rc == 0) {
			fprintf(stderr, "rebound unbounce: %s: not in the ledger\n",
				argv[i]);
			if (status == 0)
				status = 1;
		} else {
			printf("%s: active\n", argv[i]);
		}
	}
	cli_close(&env);
	if (cli_flush("rebound unbounce") != 0)
		return 2;
	return status;
}
