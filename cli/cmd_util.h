/* cmd_util.h - what the ledger commands share: finding the configuration
 * and the ledger, the time (--now, --since), filtering recipients, and
 * printing one recipient. */
#ifndef REBOUND_CLI_CMD_UTIL_H
#define REBOUND_CLI_CMD_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "commands.h"
#include "admin/admin.h"

typedef struct cli_env {
	const char *cmd;		/* for messages: "rebound show" */
	rebound_config cfg;
	int64_t now;
	char db_path[1024];
	rebound_ledger *ledger;
} cli_env;

/* Load the configuration and the time.  Prints one line and returns 2 on
 * error, else 0. */
int cli_setup(const global_opts *g, const char *cmd, cli_env *env);

/* cli_setup, then open the ledger; `create` only for write paths
 * (record).  Prints one line and returns 2 on error, else 0. */
int cli_open(const global_opts *g, const char *cmd, bool create,
	     cli_env *env);
/* cli_open for a report that walks every record (stats, list, export):
 * a large ledger is read without a map, so that memory stays flat. */
int cli_open_walk(const global_opts *g, const char *cmd, cli_env *env);
void cli_close(cli_env *env);

/* Is a the option --help or -h? */
bool cli_is_help(const char *a);

/* One option of a command: a flag (*flag set) or one with a value
 * (*value set to the next argument). */
typedef struct cli_opt {
	const char *name;
	bool *flag;
	const char **value;
} cli_opt;

#define CLI_HELP (-2)

/* Parse argv[1..argc) for options, anywhere before "--"; the operands
 * are moved to argv[1..] in order.  Returns the number of operands, -1
 * after printing an error, or CLI_HELP for --help/-h. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts,
	      size_t nopts);

/* An RFC 3339 time (UTC) or "-" into buf: for JSON and CSV. */
const char *cli_time(int64_t t, char *buf, size_t size);

/* For people: "2026-03-01 14:05" in the local time zone (TZ), or "-";
 * buf of at least 32 bytes. */
const char *cli_local_time(int64_t t, char *buf, size_t size);
/* The local day of t, "2026-03-01". */
const char *cli_local_day(int64_t t, char *buf, size_t size);

/* One recipient as one JSON object on one line. */
void cli_entry_json(FILE *out, const rebound_entry *e, int64_t now);
/* One recipient as a human-readable block. */
void cli_entry_text(FILE *out, const rebound_entry *e, int64_t now);

/* The time a --since option names: an RFC 3339 time; a date, which
 * starts at local midnight (the days the tables show); or an age back
 * from now ("--now" or the clock): 90m, 36h, 7d, 2w.  Prints one line
 * naming cmd and returns -1 when s is none of these. */
int cli_since(const global_opts *g, const char *cmd, const char *s,
	      int64_t *out);

/* The recipients `rebound list` and `rebound export` keep: --state,
 * --domain and --since. */
typedef struct cli_filter {
	int state;			/* -1: any */
	const char *domain;		/* NULL: any; matches subdomains too */
	int64_t since;			/* 0: any; last_seen >= since */
} cli_filter;

/* Fill f from the option values (each NULL when not given).  Prints one
 * line naming cmd and returns -1 when a value is wrong, else 0. */
int cli_filter_parse(const global_opts *g, const char *cmd,
		     const char *state, const char *domain,
		     const char *since, cli_filter *f);
/* Does e pass the filter? */
bool cli_filter_keep(const cli_filter *f, const rebound_entry *e);

/* Flush stdout; 0, or 2 with a message. */
int cli_flush(const char *cmd);

#endif
