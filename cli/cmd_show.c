/* cmd_show.c - `rebound show`: what the ledger knows about one address
 * (state, counts, the last bounce, the sender domains that saw it
 * hard-bounce), as text or JSON. */
#include <stdbool.h>
#include <stdio.h>

#include "cmd_util.h"
#include "admin/admin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound show [--json] ADDRESS\n"
		"Print what the ledger knows about ADDRESS: state, counts, the last\n"
		"bounce, the sender domains that saw it hard-bounce.  Exit 1 when the\n"
		"address is not in the ledger.\n"
		"  --json   one JSON object\n");
}

int cmd_show(const global_opts *g, int argc, char **argv)
{
	bool json = false;
	const cli_opt opts[] = { { "--json", &json, NULL } };
	int n = cli_parse("rebound show", argc, argv, opts, 1);
	if (n == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (n != 1) {
		usage(stderr);
		return 2;
	}
	cli_env env;
	int rc;
	if ((rc = cli_open(g, "rebound show", false, &env)) != 0)
		return rc;
	rebound_entry e;
	char err[1200];
	rc = rebound_ledger_get(env.ledger, argv[1], env.now, &e, err,
				sizeof(err));
	cli_close(&env);
	if (rc < 0) {
		fprintf(stderr, "rebound show: %s\n", err);
		return 2;
	}
	if (rc == 0) {
		fprintf(stderr, "rebound show: %s: not in the ledger\n",
			argv[1]);
		return 1;
	}
	if (json)
		cli_entry_json(stdout, &e, env.now);
	else
		cli_entry_text(stdout, &e, env.now);
	return cli_flush("rebound show");
}
