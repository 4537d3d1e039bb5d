/* campaign-counts.h - the sends of each campaign, counted beside the
 * ledger, off its durable-transaction path.
 *
 * A campaign message used to be a whole ledger transaction (4 fdatasync,
 * serialised with every writer) only to add to a count.  The count now
 * lives in a small tdb file beside the ledger, <db_path>.counts, opened
 * TDB_NOSYNC: one fixed-size value per campaign, rewritten in place under
 * its hash chain's lock (doc/platform.md §3.7: such a store cannot damage
 * tdb's structure in a crash).  The ledger's campaign record keeps a
 * checkpoint of the count, written by every transaction that changes the
 * record anyway (its creation, a bounce that names it, a pause, a resume,
 * a cancel) and every CAMPAIGN_CHECKPOINT sends; the file keeps the total
 * since.  So a crash or a lost file loses at most the sends since the
 * last checkpoint, and never anything else (doc/design.md §7).
 *
 * A value is tagged with the record's first_sent: a file left from a
 * ledger made afresh, or from a record deleted and made again, adds
 * nothing to the new one.
 */
#ifndef REBOUND_CAMPAIGN_COUNTS_H
#define REBOUND_CAMPAIGN_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger-record.h"

/* The counts file of the ledger at `ledger_path`: that path + this. */
#define CAMPAIGN_COUNTS_SUFFIX ".counts"

/* A send that brings a campaign's count across a multiple of this
 * writes the count into the ledger (one transaction per so many
 * recipients), so that a lost counts file loses at most this many. */
#define CAMPAIGN_CHECKPOINT 1000u

/* Count n sends of the campaign whose ledger record is *c (its name, its
 * first_sent as the tag, its sent and last_sent as the floor), at `now`.
 * Makes the file when it is missing, and makes it anew when it is
 * damaged.  Returns 0 with the campaign's total in *total (note holds one
 * line to log when the file had to be made anew, else ""), or -1 when
 * the send could not be counted (note says why).  Never waits more than
 * a moment for another process. */
int campaign_counts_add(const char *ledger_path, const rebound_campaign *c,
			unsigned n, int64_t now, uint64_t *total, char *note,
			size_t notelen);

/* The one way to read a campaign's sends: c->sent and c->last_sent as
 * counted, the record's checkpoint raised by the counts file's value
 * (when its tag is c->first_sent).  A missing, unreadable or locked file
 * adds nothing; nothing is made or logged. */
void campaign_counts_merge(const char *ledger_path, rebound_campaign *c);

/* Let go of this process's handle on the counts file (tests; a process
 * that keeps it is fine: it is checked against the path at every use). */
void campaign_counts_close(void);

#endif
