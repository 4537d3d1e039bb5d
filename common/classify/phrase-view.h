/* phrase-view.h - a diagnostic as the phrase rules read it.
 *
 * Multi-line SMTP replies repeat their code on every line, addresses may
 * contain words ("filtered@..."), host names vary: the view joins the
 * lines and drops the repeated codes, blanks the addresses, writes every
 * host name as "host", and normalises the rest (rebound_matcher_normalise),
 * so that one phrase in rules.c matches every variant.
 */
#ifndef REBOUND_PHRASE_VIEW_H
#define REBOUND_PHRASE_VIEW_H

#include <stddef.h>

#include "mail/arena.h"

/* The view of text (in the arena, its length in *len), and the first
 * strong and weak phrase rule that match it (-1: none).  NULL when the
 * arena is spent, with no match. */
char *rebound_phrase_view(rebound_arena *arena, const char *text, size_t *len,
			  long *strong, long *weak);

#endif
