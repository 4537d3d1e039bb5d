/* classify_run.h - what `rebound classify` and `rebound explain` share:
 * their options, the walk over the PATHs (see inputs.h), classifying each
 * message in one arena, the progress line and the exit status.  Each
 * command prints the results its own way. */
#ifndef REBOUND_CLI_CLASSIFY_RUN_H
#define REBOUND_CLI_CLASSIFY_RUN_H

#include <stdio.h>

#include "classify/classify.h"

/* How a command prints its results.  begin and end may be NULL. */
typedef struct classify_printer {
	void (*begin)(void);		/* before the first message */
	void (*each)(const char *label, const rebound_result *res);
	/* after the last, with the counts of messages and of bounces */
	void (*end)(unsigned long messages, unsigned long bounces);
} classify_printer;

typedef struct classify_command {
	const char *name;		/* "rebound classify": for messages */
	void (*usage)(FILE *out);
	const classify_printer *print;
	/* With --json instead of print; NULL: no --json option. */
	const classify_printer *json;
} classify_command;

/* Parse argv ([--json] [--campaign-header NAME] [--] PATH...), classify
 * every message of every PATH and print each.  Returns the exit status:
 * 0, 1 when some messages or paths failed, 2 on a usage error or when
 * standard output failed. */
int classify_run(const classify_command *c, int argc, char **argv);

#endif
