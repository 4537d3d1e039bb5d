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
 *
 * The spool sits below the ledger: ledger.c writes notices here and
 * replays them (rebound_ledger_replay hands rebound_spool_replay its own
 * recording as a function to call), and nothing here calls the ledger.
 * So the dependency goes one way, ledger.c -> ledger-spool ->
 * ledger-record, with ledger.h used for its types only.
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

/* One decoded notice; its strings live in mem, and ctx.vouch points at
 * vouch (use it in place). */
typedef struct rebound_spooled {
	rebound_result res;
	rebound_record_context ctx;
	rebound_verp_vouch vouch;
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

/* How replay records one notice (ledger.c gives its own recording,
 * without spooling or replaying again).  Fills up to nout outcomes and
 * returns how many, or -1 with err set. */
typedef int (*rebound_spool_record_fn)(void *target,
				       const rebound_result *res,
				       const rebound_record_context *ctx,
				       rebound_outcome *out, size_t nout,
				       char *err, size_t errlen);

/* Replay the spool of the ledger at ledger_path (NULL: none), oldest
 * first, each notice through record(target, ...): what
 * rebound_ledger_replay (ledger.h) does, with the same limits, stats and
 * answer. */
int rebound_spool_replay(const char *ledger_path,
			 rebound_spool_record_fn record, void *target,
			 unsigned max_files, unsigned max_ms,
			 rebound_replay_stats *st, char *err, size_t errlen);

#endif
