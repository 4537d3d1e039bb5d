/* ledger-spool.h - notices that could not wait for the ledger's lock.
 *
 * When a module cannot get the ledger within its time budget (another
 * writer holds the lock) or its commit fails, the classified notice is
 * written to the spool beside the ledger, <ledger>.spool/, one file per
 * notice, written under a temporary name and renamed into place.  The
 * next writer that gets the lock replays a few of them (oldest first),
 * and `rebound db replay` replays all.  Replay records each notice as it
 * was seen (its time, its source) with the same seen-before key, so a
 * notice recorded twice (two replays at once, a replayer killed before it
 * removed the file) is still counted once.  A file that cannot be read as
 * a notice is renamed *.bad and kept for the operator, never deleted.
 *
 * File format: the ledger's record encoding (ledger-record.h), kind 'q':
 * the recording context, then the fields of the result that recording
 * uses, each recipient as a nested field.
 */
#ifndef REBOUND_LEDGER_SPOOL_H
#define REBOUND_LEDGER_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "ledger-record.h"

/* Bounds for writing and for reading untrusted files. */
#define REBOUND_SPOOL_MAX_FILES 5000
#define REBOUND_SPOOL_MAX_BYTES (256u * 1024u)
#define REBOUND_SPOOL_MAX_RCPT 1000u

/* Encode one notice (b->failed on out of memory). */
void rebound_spool_encode(rebound_buf *b, const rebound_result *res,
			  const rebound_record_context *ctx);

/* One decoded notice; its strings live in mem. */
typedef struct rebound_spooled {
	rebound_result res;
	rebound_record_context ctx;
	void *mem;
} rebound_spooled;

/* Decode data[0..len).  Returns 0, or -1 with the reason in why. */
int rebound_spool_decode(rebound_spooled *out, const unsigned char *data,
			 size_t len, char *why, size_t whylen);
void rebound_spooled_free(rebound_spooled *s);

/* The spool directory of a ledger: path + ".spool".  -1 if too long. */
int rebound_spool_dir(const char *ledger_path, char *dir, size_t size);

/* Write one notice to the spool of the ledger at ledger_path (creating
 * the directory, mode 2770, when missing).  Returns 0 with the file's
 * name in name, or -1 with err set. */
int rebound_spool_write(const char *ledger_path, const rebound_result *res,
			const rebound_record_context *ctx, char *name,
			size_t namelen, char *err, size_t errlen);

/* How many notices wait, and how many files were set aside as bad. */
int rebound_spool_count(const char *ledger_path, unsigned long *waiting,
			unsigned long *bad);

/* The ledger's own recording, without spooling or replaying: what
 * replay uses (ledger.c). */
int rebound_ledger_record_once(rebound_ledger *l, const rebound_policy *policy,
			       const rebound_result *res,
			       const rebound_record_context *ctx,
			       rebound_outcome *out, size_t nout,
			       char *err, size_t errlen);
/* The path the ledger was opened under. */
const char *rebound_ledger_path(const rebound_ledger *l);

#endif
