/* inputs.h - the messages named on a command line.
 *
 * A PATH is a message file, "-" for standard input, an mbox file (several
 * messages, each labelled PATH#N), a Maildir (cur/ and new/) or a plain
 * directory of message files.  Each message is handed to a callback with
 * its label; a path that cannot be read is reported with its name and the
 * walk goes on with the rest.
 */
#ifndef REBOUND_CLI_INPUTS_H
#define REBOUND_CLI_INPUTS_H

#include <stddef.h>

/* Called once per message; buf is not NUL-terminated. */
typedef void (*input_fn)(const char *label, const char *buf, size_t len,
			 void *ctx);

/* Walk one PATH.  Returns the number of errors reported on stderr. */
int input_walk(const char *path, input_fn fn, void *ctx);

#endif
