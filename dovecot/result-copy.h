/* result-copy.h - a compact copy of a classification result.
 *
 * The Dovecot plugin classifies a mail in the save callback but records
 * it only at the commit; between the two, the next message reuses the
 * classification arena.  This copies what the ledger reads into another
 * arena.  No Dovecot headers: tested on its own (tests/check_result_copy.c).
 */
#ifndef REBOUND_RESULT_COPY_H
#define REBOUND_RESULT_COPY_H

#include "common/mail/arena.h"
#include "common/classify/result.h"

/* A deep copy of res in `arena`, or NULL when the arena is spent. */
rebound_result *rebound_result_copy(rebound_arena *arena,
				    const rebound_result *res);

#endif
