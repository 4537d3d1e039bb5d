/* commands.h - the subcommands of the rebound command. */
#ifndef REBOUND_CLI_COMMANDS_H
#define REBOUND_CLI_COMMANDS_H

#include <stdio.h>

/* Global options, parsed before the command name. */
typedef struct global_opts {
	const char *db_path;
	const char *config_path;
	const char *now;
} global_opts;

/* Each returns the process exit status; cmd_NAME is in cmd_NAME.c. */
int cmd_classify(const global_opts *g, int argc, char **argv);
int cmd_explain(const global_opts *g, int argc, char **argv);
/* the ledger */
int cmd_record(const global_opts *g, int argc, char **argv);
int cmd_show(const global_opts *g, int argc, char **argv);
int cmd_check(const global_opts *g, int argc, char **argv);
int cmd_unbounce(const global_opts *g, int argc, char **argv);
int cmd_list(const global_opts *g, int argc, char **argv);
int cmd_stats(const global_opts *g, int argc, char **argv);
int cmd_domains(const global_opts *g, int argc, char **argv);
int cmd_export(const global_opts *g, int argc, char **argv);
int cmd_campaign(const global_opts *g, int argc, char **argv);
int cmd_prune(const global_opts *g, int argc, char **argv);
int cmd_db(const global_opts *g, int argc, char **argv);
int cmd_verp(const global_opts *g, int argc, char **argv);
/* a fleet sharing events through CTDB (issue 20) */
int cmd_cluster(const global_opts *g, int argc, char **argv);

#endif
