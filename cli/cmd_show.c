/* cmd_show.c - the commands about one address: `rebound show`, `rebound
 * check` (exit status for scripts) and `rebound unbounce`. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd_util.h"
#include "ledger/ledger-admin.h"
#include "ledger/policy.h"

static void usage(FILE *out, const char *cmd)
{
	if (strcmp(cmd, "show") == 0)
		fprintf(out,
			"usage: rebound show [--json] ADDRESS\n"
			"Print what the ledger knows about ADDRESS: state, counts, the last\n"
			"bounce, the sender domains that saw it hard-bounce.  Exit 1 when the\n"
			"address is not in the ledger.\n"
			"  --json   one JSON object\n");
	else if (strcmp(cmd, "check") == 0)
		fprintf(out,
			"usage: rebound check [--quiet] ADDRESS\n"
			"May mail be sent to ADDRESS now?  Exit 0 yes, 1 no (suppressed,\n"
			"global, or suspended), 2 on error.  An address not in the ledger\n"
			"may be sent to.\n"
			"  --quiet  print nothing, only the exit status\n");
	else
		fprintf(out,
			"usage: rebound unbounce ADDRESS...\n"
			"Clear each ADDRESS by hand: it becomes active again; its history\n"
			"stays.  Exit 1 when an address is not in the ledger.\n");
}

/* Returns -1 to go on (operands from argv[1], *nops of them), else the
 * exit status. */
static int parse(const char *cmd, int argc, char **argv, bool *json,
		 bool *quiet, int *nops)
{
	const cli_opt show_opts[] = { { "--json", json, NULL } };
	const cli_opt check_opts[] = { { "--quiet", quiet, NULL },
				       { "-q", quiet, NULL } };
	char full[32];
	snprintf(full, sizeof(full), "rebound %s", cmd);
	int n;
	if (strcmp(cmd, "show") == 0)
		n = cli_parse(full, argc, argv, show_opts, 1);
	else if (strcmp(cmd, "check") == 0)
		n = cli_parse(full, argc, argv, check_opts, 2);
	else
		n = cli_parse(full, argc, argv, NULL, 0);
	if (n == CLI_HELP) {
		usage(stdout, cmd);
		return 0;
	}
	bool one = strcmp(cmd, "unbounce") != 0;
	if (n < 0 || n == 0 || (one && n != 1)) {
		usage(stderr, cmd);
		return 2;
	}
	*nops = n;
	return -1;
}

int cmd_show(const global_opts *g, int argc, char **argv)
{
	bool json = false, quiet = false;
	int nops;
	int rc = parse("show", argc, argv, &json, &quiet, &nops);
	if (rc >= 0)
		return rc;
	cli_env env;
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

int cmd_check(const global_opts *g, int argc, char **argv)
{
	bool json = false, quiet = false;
	int nops;
	int rc = parse("check", argc, argv, &json, &quiet, &nops);
	if (rc >= 0)
		return rc;
	cli_env env;
	if ((rc = cli_open(g, "rebound check", false, &env)) != 0)
		return 2;
	rebound_entry e;
	char err[1200];
	rc = rebound_ledger_get(env.ledger, argv[1], env.now, &e, err,
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

int cmd_unbounce(const global_opts *g, int argc, char **argv)
{
	bool json = false, quiet = false;
	int nops;
	int rc = parse("unbounce", argc, argv, &json, &quiet, &nops);
	if (rc >= 0)
		return rc;
	cli_env env;
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
