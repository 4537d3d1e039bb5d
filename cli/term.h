/* term.h - how the CLI writes for people: colour and a progress line only
 * when the stream is a terminal (and NO_COLOR is not set), and table cells
 * cut to their width so that tables fit 80 columns.  Text from mail or
 * the ledger is escaped where it is not printable, on a terminal or not
 * (a pipe to less is a terminal too); JSON has its own escape. */
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

/* s as a person's terminal may show it: what is not printable (controls,
 * bidi controls, invalid UTF-8) escaped as \xHH or \uHHHH
 * (mail/printable.h, the form addresses have in the ledger).  NULL
 * writes nothing. */
void term_text(FILE *out, const char *s);

/* One table cell of exactly `width` columns (then no separator): s cut
 * with an ellipsis when longer (keep_end: keep its end, for file names),
 * escaped as term_text does, coloured when colour != TERM_PLAIN
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
