/* cmd_verp.c - `rebound verp sign|verify`: signed VERP return paths for
 * senders other than Exim, and a check of the addresses bounces came
 * back to (see common/ledger/verp.h and doc/verp.md). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "commands.h"
#include "admin/admin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound verp sign [--secret-file FILE] [--format FMT] "
		"RETURN_PATH RECIPIENT...\n"
		"       rebound verp verify [--secret-file FILE] [--format FMT] "
		"[--max-age DAYS] ADDRESS...\n\n"
		"sign:   print the signed VERP return path for mail from "
		"RETURN_PATH\n"
		"        (bounces@sender.example) to each RECIPIENT\n"
		"verify: check the addresses bounces came back to; exit 0 when "
		"every one\n"
		"        carries a valid signature, 1 otherwise\n\n"
		"  --secret-file FILE  the shared secret (16 to 256 bytes, mode "
		"0600 or 0640);\n"
		"                      default: verp_secret_file of the "
		"configuration\n"
		"  --format FMT        VERP layout (default: verp_format of the "
		"configuration,\n"
		"                      LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN)\n"
		"  --max-age DAYS      older signatures are expired (default "
		"%d)\n"
		"The time is now, or the global --now (RFC 3339).\n",
		REBOUND_VERP_MAX_AGE / 86400);
}

int cmd_verp(const global_opts *g, int argc, char **argv)
{
	const char *secret_file = NULL, *format = NULL, *max_age = NULL;
	long max_age_days = REBOUND_VERP_MAX_AGE / 86400;
	cli_env env;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (cli_is_help(sub)) {
		usage(stdout);
		return 0;
	}
	bool sign = strcmp(sub, "sign") == 0;
	if (!sign && strcmp(sub, "verify") != 0) {
		fprintf(stderr, "rebound verp: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return 2;
	}
	const char *cmd = sign ? "rebound verp sign" : "rebound verp verify";
	const cli_opt opts[] = {
		{ "--secret-file", NULL, &secret_file },
		{ "--format", NULL, &format },
		{ "--max-age", NULL, &max_age },
	};
	int n = cli_parse(cmd, argc - 1, argv + 1, opts,
			  sizeof(opts) / sizeof(*opts) - (sign ? 1 : 0));
	if (n == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (n < 0)
		return 2;
	char **ops = argv + 2;
	if (n < (sign ? 2 : 1)) {
		usage(stderr);
		return 2;
	}
	if (max_age != NULL) {
		char *end;
		max_age_days = strtol(max_age, &end, 10);
		if (*end != '\0' || max_age_days <= 0 || max_age_days > 36500) {
			fprintf(stderr, "%s: --max-age wants days (1 to 36500)\n",
				cmd);
			return 2;
		}
	}
	if (cli_setup(g, cmd, &env) != 0)
		return 2;
	if (secret_file == NULL && env.cfg.verp_secret_file[0] != '\0')
		secret_file = env.cfg.verp_secret_file;
	if (format == NULL && env.cfg.verp_format[0] != '\0')
		format = env.cfg.verp_format;
	if (secret_file == NULL) {
		fprintf(stderr, "%s: no secret (--secret-file FILE, or "
				"verp_secret_file in the configuration)\n", cmd);
		return 2;
	}
	rebound_verp_key key;
	char err[1200];
	if (rebound_verp_key_load(&key, secret_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return 2;
	}

	int status = 0;
	if (sign) {
		for (int k = 1; k < n; k++) {
			char out[1024];
			if (rebound_verp_sign(&key, format, ops[0], ops[k], env.now,
					      out, sizeof(out), err,
					      sizeof(err)) != 0) {
				fprintf(stderr, "%s: %s\n", cmd, err);
				status = 2;
				continue;
			}
			puts(out);
		}
	} else {
		for (int k = 0; k < n; k++) {
			rebound_verp_check c;
			char when[40];
			rebound_verp_verify(&key, format, ops[k], env.now,
					    (int64_t)max_age_days * 86400, &c);
			printf("%s\t%s\t%s\t%s\n", ops[k],
			       rebound_verp_status_name(c.status),
			       c.recipient[0] ? c.recipient : "-",
			       cli_time(c.signed_at, when, sizeof(when)));
			if (c.status != REBOUND_VERP_VALID && status == 0)
				status = 1;
		}
	}
	rebound_verp_key_clear(&key);
	int fl = cli_flush(cmd);
	return fl != 0 ? fl : status;
}
