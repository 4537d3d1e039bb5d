/* term.h - how the CLI writes for people: colour and a progress line only
 * when the stream is a terminal (and NO_COLOR is not set), and table cells
 * cut to their width so that tables fit 80 columns.  Pipes, files and
 * JSON get plain bytes. */
#ifndef REBOUND_CLI_TERM_H
#define REBOUND_CLI_TERM_H

#include <stdbool.h>
#include <stdio.h>

typedef enum { TERM_PLAIN, TERM_RED, TERM_YELLOW, TERM_GREEN } term_colour;

/* Colour on this stream?  A terminal, NO_COLOR unset or empty, TERM not
 * "dumb".  Decided once per stream. */
bool term_use_colour(FILE *f);

/* The colour of a ledger state name (active, soft, suppressed, ...). */
term_colour term_state_colour(const char *state);

/* The mark of a cut text: "…" where the locale says UTF-8, else "~". */
const char *term_ellipsis(void);

/* One table cell of exactly `width` columns (then no separator): s cut
 * with an ellipsis when longer (keep_end: keep its end, for file names),
 * control characters shown as '?', coloured when colour != TERM_PLAIN
 * and the stream takes colour.  Width 0: the whole of s, unpadded. */
void term_cell(FILE *out, const char *s, int width, bool keep_end,
	       term_colour colour);

/* The progress line on standard error for long runs, only when standard
 * error is a terminal.  progress_clear() before writing to standard
 * output, so the two do not mix on one screen. */
void progress_start(const char *cmd);
void progress_tick(unsigned long messages, const char *label);
void progress_clear(void);
void progress_end(void);

#endif
