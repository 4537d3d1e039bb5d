/* ledger-spool.h - notices that could not wait for the ledger's lock.
 *
 * When a module cannot get the ledger within its time budget (another
 * writer holds the lock) or its commit fails, or when it batches
 * (rebound.conf batch_ms), the classified notice is written to the spool
 * beside the ledger, <ledger>.spool/, one file per notice, written under
 * a temporary name and renamed into place.  The next writer that gets
 * the lock replays a few of them (oldest first), a module replays the
 * batch when it is due, and `rebound db replay` replays all.
 *
 * Replay records many notices in ONE ledger transaction (at most
 * REBOUND_SPOOL_BATCH_MAX notices or REBOUND_SPOOL_BATCH_BYTES of files
 * each): a durable commit costs 8 device flushes (doc/platform.md
 * §3.2.2), so a batch pays them once.  Each notice is recorded as it was
 * seen (its time, its source) with the same seen-before key, so a notice
 * recorded twice (two replays at once, a replayer killed after the
 * commit and before it removed the files) is still counted once.  A file
 * that cannot be read as a notice is renamed *.bad and kept for the
 * operator, never deleted, and never holds up the batch; so is a notice
 * the ledger refused REBOUND_SPOOL_TRIES times while it took the others
 * (until then it waits behind the later ones).  Files are
 * removed only after their batch committed: a failed commit leaves every
 * file of the batch in the spool.  ("Removed": up to
 * REBOUND_SPOOL_BATCH_MAX small ones are renamed ".free-<name>" without
 * ".rbq", hidden, never replayed or counted, and the next notices are
 * written into them; a new inode per notice cost 0.1-1 ms on ext4
 * without a journal, whose allocator steps over every inode deleted in
 * the last minute or more.)  One replayer at a time per spool (a
 * flock on the directory): a module that finds another replaying goes
 * on without waiting.  A process keeps what it read of the directory
 * (count, oldest notice, a few free files) for 0.1 s, so that a notice's
 * write and the due check after it, and the many notices of a Dovecot
 * LMTP process, do not each read it again (ledger-spool.c, scan).
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
/* One replay transaction: at most this many notices and file bytes, so
 * that it holds the ledger's lock for tens of milliseconds at most
 * (doc/platform.md §3.2.3).  A spool of this many notices is also due
 * at once, whatever batch_ms says. */
#define REBOUND_SPOOL_BATCH_MAX 200u
#define REBOUND_SPOOL_BATCH_BYTES (1024u * 1024u)
/* A notice the ledger would not take while it took the others of its
 * batch goes behind the notices that came after it (its name gets the
 * time of the try and "-t<tries>"), and after this many tries it is set
 * aside as *.bad with the ledger's answer: with batches every notice
 * goes through the spool, and one must not hold up all behind it. */
#define REBOUND_SPOOL_TRIES 5u

/* Encode one notice (b->failed on out of memory). */
void rebound_spool_encode(rebound_buf *b, const rebound_result *res,
			  const rebound_record_context *ctx);

/* One decoded notice; its strings live in mem, ctx.vouch points at vouch
 * and ctx.policy at policy when the file kept one (use it in place). */
typedef struct rebound_spooled {
	rebound_result res;
	rebound_record_context ctx;
	rebound_verp_vouch vouch;
	rebound_policy policy;		/* ctx.policy points here, if kept */
	void *mem;
} rebound_spooled;

/* Decode data[0..len).  Returns 0, or -1 with the reason in why. */
int rebound_spool_decode(rebound_spooled *out, const unsigned char *data,
			 size_t len, char *why, size_t whylen);
void rebound_spooled_free(rebound_spooled *s);

/* The spool directory of a ledger: path + ".spool".  -1 if too long. */
int rebound_spool_dir(const char *ledger_path, char *dir, size_t size);

/* Write one notice to the spool of the ledger at ledger_path (creating
 * the directory, mode 2770, when missing).  durable: the file's data and
 * its name are on the disk before this returns (fdatasync of the file,
 * fsync of the directory: 2 flushes); else they reach it with the
 * kernel's writeback (a process crash loses nothing, a power cut may).
 * Returns 0 with the file's name in name, or -1 with err set. */
int rebound_spool_write(const char *ledger_path, const rebound_result *res,
			const rebound_record_context *ctx, bool durable,
			char *name, size_t namelen, char *err, size_t errlen);

/* Is a batch due: does a notice wait that was written batch_ms or more
 * ago (by its name's time), or do REBOUND_SPOOL_BATCH_MAX wait?  1 due;
 * 0 not, with *wait_ms the time until the oldest is due (UINT_MAX when
 * nothing waits); -1 the directory cannot be read. */
int rebound_spool_due(const char *ledger_path, unsigned batch_ms,
		      unsigned *wait_ms);

/* How many notices wait, and how many files were set aside as bad. */
int rebound_spool_count(const char *ledger_path, unsigned long *waiting,
			unsigned long *bad);

/* How replay records a batch (ledger.c gives its own transaction and
 * recording, without spooling or replaying again): begin, then record
 * for each notice of the batch, then commit; cancel after a record that
 * failed.  record fills up to nout outcomes and returns how many, or -1
 * with err set; the others return 0 or -1 with err set. */
typedef struct rebound_spool_ops {
	int (*begin)(void *target, char *err, size_t errlen);
	int (*record)(void *target, const rebound_result *res,
		      const rebound_record_context *ctx, rebound_outcome *out,
		      size_t nout, char *err, size_t errlen);
	int (*commit)(void *target, char *err, size_t errlen);
	void (*cancel)(void *target);
	/* Optional (NULL: none): after a batch committed, each of its
	   notices with the outcomes of its first recipients (at most
	   REBOUND_SPOOL_REPORT_RCPT). */
	void (*report)(void *target, const rebound_result *res,
		       const rebound_record_context *ctx,
		       const rebound_outcome *out, size_t nout);
} rebound_spool_ops;

/* Outcomes kept per notice for ops->report: as many as a module lists. */
#define REBOUND_SPOOL_REPORT_RCPT 50u

/* Replay the spool of the ledger at ledger_path (NULL: none), oldest
 * first, in batches through ops: what rebound_ledger_replay (ledger.h)
 * does, with the same limits, stats and answer.  nowait: when another
 * process replays this spool now, return 0 at once (st->busy set)
 * instead of waiting for it. */
int rebound_spool_replay(const char *ledger_path,
			 const rebound_spool_ops *ops, void *target,
			 unsigned max_files, unsigned max_ms, bool nowait,
			 rebound_replay_stats *st, char *err, size_t errlen);

#endif
