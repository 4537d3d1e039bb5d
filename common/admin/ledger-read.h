/* ledger-read.h - the reports' walk over a whole ledger, read in large
 * blocks in file order (admin library; ledger-admin.c's walks use it).
 *
 * Walking a million-recipient ledger one hash chain at a time costs
 * several system calls per record (a lock and a read per record, the
 * file read without a map so that memory stays flat): 3.7 s for `stats`
 * at 805,000 recipients.  This reader takes tdb's read lock on all
 * records only for the time of one block's pread (about a millisecond),
 * so a writer waits no longer than that, and parses tdb's record layout
 * itself (doc/platform.md §3.5).  What makes it exact:
 *
 * - A block read under the lock is one state of the file: every commit
 *   and every store waits for that lock.
 * - Between two blocks writers may commit, and a record they rewrite
 *   larger moves (behind the blocks read, or ahead of them).  tdb puts
 *   every record it writes, new or moved, at the head of its hash chain,
 *   so each block first reads the chain heads again (4 bytes a chain)
 *   and compares them with the last block's: each chain whose head moved
 *   is walked whole then with tdb_traverse_chain, under the same lock;
 *   it gives the records of its chain that were not given already (a log
 *   of the keys given so far says which), and the blocks skip that
 *   chain's records from then on.  So a record that exists for the whole
 *   walk is given once, though writers move it meanwhile; the one case
 *   this misses is a head that ends, between two blocks, exactly where
 *   it was after another record of its chain moved (the head's record
 *   freed and a record of the same chain put in its very place).  (tdb's
 *   sequence number would say only that something changed, and only if
 *   every writer, an older module too, had set TDB_SEQNUM.)
 * - Anything the block reader does not expect (a damaged record, a key
 *   whose hash is not the one stored, space that no free list holds:
 *   what a writer killed in a commit that grew the file leaves, with
 *   records that no chain reaches; a transaction to recover) ends the
 *   block reading, and the rest is walked chain by chain as before
 *   (`fallback`), skipping what was given: damaged chains are counted as
 *   they always were.
 *
 * Memory: one block (4 MB; 8 times the heads when they are larger, up
 * to 32 MB), a copy of the chain heads (4 bytes a chain),
 * the free list's offsets, and the log of keys given (8 bytes a record),
 * which goes to an unlinked temporary file once it passes 64 KB.  The
 * chain-by-chain fallback loads that log into a table.
 */
#ifndef REBOUND_LEDGER_READ_H
#define REBOUND_LEDGER_READ_H

#include <sys/types.h>
#include <fcntl.h>
#include <stddef.h>

#include <tdb.h>

/* Gets each record whose key starts with the prefix: 0 to go on, > 0 to
 * stop the walk, < 0 when the record cannot be decoded (counted). */
typedef int (*ledger_read_fn)(TDB_DATA key, TDB_DATA val, void *ctx);

/* The walk one hash chain at a time (ledger-admin.c): every record with
 * the prefix to fn, a chain that cannot be read counted as one; returns
 * that count plus fn's refusals, or -1 with err. */
typedef long (*ledger_chain_walk)(void *walker, const char *prefix,
				  ledger_read_fn fn, void *ctx, char *err,
				  size_t errlen);

/* What a walk met, for the benchmark and the tests. */
typedef struct ledger_read_report {
	unsigned long blocks;		/* block reads */
	unsigned long changed;		/* blocks after a chain head moved */
	unsigned long chains;		/* chains walked whole after one */
	int fallback;			/* the rest went chain by chain */
	char why[120];			/* why, when it did */
} ledger_read_report;

/* Walk every record of tdb whose key starts with prefix (see above).
 * Returns the count of records that could not be decoded or read, or -1
 * with err.  report may be NULL. */
long rebound_ledger_read(struct tdb_context *tdb, const char *prefix,
			 ledger_read_fn fn, void *ctx,
			 ledger_chain_walk fallback, void *walker,
			 ledger_read_report *report, char *err,
			 size_t errlen);

#endif
