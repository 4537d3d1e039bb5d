/* smtp-stage.h - which SMTP command a remote server's answer replied to,
 * from the wording of a notice ("in reply to RCPT TO command", "after end
 * of data", a ">>> DATA" transcript).  The words are a table compiled
 * once into a matcher.
 */
#ifndef REBOUND_SMTP_STAGE_H
#define REBOUND_SMTP_STAGE_H

#include <stddef.h>

#include "matcher.h"

typedef enum rebound_smtp_stage {
	REBOUND_STAGE_UNKNOWN, REBOUND_STAGE_CONNECT,
	REBOUND_STAGE_HELO,		/* HELO/EHLO: our host name refused */
	REBOUND_STAGE_MAIL,
	REBOUND_STAGE_RCPT, REBOUND_STAGE_DATA,
} rebound_smtp_stage;

/* The stage norm[0..n) (normalised text) names, or UNKNOWN. */
rebound_smtp_stage rebound_smtp_stage_find(const char *norm, size_t n);

/* The phrase list of the stage words' matcher, as gen-automata compiles
 * it in (matcher.h). */
rebound_phrase_list rebound_smtp_stage_phrase_list(void);

/* Free the compiled matcher (for leak checkers at exit). */
void rebound_smtp_stage_release(void);

#endif
