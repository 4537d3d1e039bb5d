/* json.h - writing JSON Lines for results (json.c), for the rebound
 * command only: part of the admin library, which the modules do not link.
 *
 * The JSON that `rebound classify --json` prints, one object per (message,
 * recipient), in the format of the project's evaluation README plus the
 * fields that explain and link a bounce; "recipients_cut": true and
 * "recipients_total" (a count, or null when not known) when the notice
 * named more recipients than a result keeps.  Strings are escaped and any
 * invalid UTF-8 from the message is replaced, so every line parses.
 */
#ifndef REBOUND_JSON_H
#define REBOUND_JSON_H

#include <stdio.h>

#include "classify/result.h"

/* Write s as a JSON string (or null when s is NULL). */
void rebound_json_string(FILE *out, const char *s);

/* One line per recipient (one line with "recipient": null when the
 * message is not a bounce); `file` is the label of the input. */
void rebound_json_result(FILE *out, const char *file,
			 const rebound_result *res);

#endif
