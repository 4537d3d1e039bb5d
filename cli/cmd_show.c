/* cmd_show.c - `rebound show`: what the ledger knows about one address
 * (state, counts, the last bounce, the sender domains that saw it
 * hard-bounce, why it is suspect and whether its domain blocks the
 * sender), as text or JSON. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd_util.h"
#include "admin/admin.h"
#include "term.h"

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
	/* Its domain's mark, when a burst set one (text only: the JSON
	   of a recipient stays one record; `rebound domains --json`). */
	static rebound_domain d;
	const char *at = strrchr(argv[1], '@');
	bool marked = rc == 1 && !json && at != NULL &&
		      rebound_ledger_domain_get(env.ledger, at + 1, &d, err,
						sizeof(err)) == 1 &&
		      d.blocking;
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
	if (marked) {
		char t[40];
		fputs("domain:         ", stdout);
		term_text(stdout, d.name);
		printf(" blocks the sender since %s (%lu recipients; "
		       "rebound domains)\n",
		       cli_local_time(d.block_start, t, sizeof(t)),
		       (unsigned long)d.block_recipients);
	}
	return cli_flush("rebound show");
}
