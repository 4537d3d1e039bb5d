/* cmd_check.c - `rebound check`: may mail be sent to one address now?
 * The answer is the exit status (0 yes, 1 no, 2 error), for scripts, and
 * a line saying why unless --quiet. */
#include <stdbool.h>
#include <stdio.h>

#include "cmd_util.h"
#include "admin/admin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound check [--quiet] ADDRESS\n"
		"May mail be sent to ADDRESS now?  Exit 0 yes, 1 no (suppressed,\n"
		"global, or suspended), 2 on error.  An address not in the ledger\n"
		"may be sent to.\n"
		"  --quiet  print nothing, only the exit status\n");
}

int cmd_check(const global_opts *g, int argc, char **argv)
{
	bool quiet = false;
	const cli_opt opts[] = { { "--quiet", &quiet, NULL },
				 { "-q", &quiet, NULL } };
	int n = cli_parse("rebound check", argc, argv, opts, 2);
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
	if ((rc = cli_open(g, "rebound check", false, &env)) != 0)
		return 2;
	rebound_entry e;
	char err[1200];
	rc = rebound_ledger_get_state(env.ledger, argv[1], env.now, &e, err,
				      sizeof(err));
	cli_close(&env);
	if (rc < 0) {
		fprintf(stderr, "rebound check: %s\n", err);
		return 2;
	}
	bool may = rc == 0 || rebound_entry_may_send(&e, env.now);
	if (!quiet) {
		char t[40];
		if (rc == 0)
			printf("%s: may send (not in the ledger)\n", argv[1]);
		else if (e.state == REBOUND_STATE_SUSPENDED && !may)
			printf("%s: must not send: suspended until %s\n",
			       argv[1], cli_local_time(e.until, t, sizeof(t)));
		else
			printf("%s: %s (%s)\n", argv[1],
			       may ? "may send" : "must not send",
			       rebound_state_name(e.state));
		if (cli_flush("rebound check") != 0)
			return 2;
	}
	return may ? 0 : 1;
}
