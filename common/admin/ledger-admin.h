/* ledger-admin.h - the ledger's read side and the operator's edits, for
 * the rebound command (reports, unbounce, campaigns, prune, check,
 * backup); defined in ledger-admin.c, part of the admin library that
 * only the command links.  The modules need only ledger/ledger.h.
 *
 * Iteration reads the file in blocks, each under tdb's read lock on all
 * records for about a millisecond (ledger-read.h: how a record moved by
 * a writer meanwhile is still given once), and goes one hash chain at a
 * time (tdb_traverse_chain, each chain copied before it is looked at)
 * where the blocks cannot go on: so a long report never holds a lock
 * for long, and Exim and Dovecot never wait for it (tdb_firstkey and
 * nextkey keep a record locked between calls, and every commit waits
 * for that lock; tdb_traverse_read locks the whole file).  Records
 * changed during a walk may be seen old or new.  A record that cannot be
 * decoded, and a hash chain that cannot be read (a damaged record: the
 * records after it in its chain are out of reach), are counted in the
 * result and skipped, never fatal.  The checks that read the whole file
 * at once (db check, backup) read a copy of it, taken while writers wait
 * only for the copy.
 */
#ifndef REBOUND_LEDGER_ADMIN_H
#define REBOUND_LEDGER_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"
#include "ledger/ledger-record.h"

/* One recipient, with time applied up to `now`.  1 found, 0 not in the
 * ledger, -1 error. */
int rebound_ledger_get(rebound_ledger *l, const char *address, int64_t now,
		       rebound_entry *out, char *err, size_t errlen);

/* The same without its texts (diagnostics, MTA and domain names, read
 * from t: records, a fetch each, left empty): for a look at the state
 * only, as `rebound check` takes. */
int rebound_ledger_get_state(rebound_ledger *l, const char *address,
			     int64_t now, rebound_entry *out, char *err,
			     size_t errlen);

/* Callbacks return 0 to go on, anything else to stop the walk. */
typedef int (*rebound_entry_fn)(const rebound_entry *e, void *ctx);
typedef int (*rebound_event_fn)(const rebound_event *ev, void *ctx);
typedef int (*rebound_campaign_fn)(const rebound_campaign *c, void *ctx);

/* Walk all recipients (time applied up to now), events, or campaigns.
 * Return the number of records that could not be decoded plus the hash
 * chains that could not be read, or -1. */
long rebound_ledger_each_recipient(rebound_ledger *l, int64_t now,
				   rebound_entry_fn fn, void *ctx,
				   char *err, size_t errlen);
long rebound_ledger_each_event(rebound_ledger *l, rebound_event_fn fn,
			       void *ctx, char *err, size_t errlen);
long rebound_ledger_each_campaign(rebound_ledger *l, int64_t now,
				  rebound_campaign_fn fn, void *ctx,
				  char *err, size_t errlen);

/* The recipient domains (b: records, policy.h: bursts and the mark of a
 * domain that blocks the sender): one by name (1 found, 0 not, -1
 * error), or a walk as above. */
typedef int (*rebound_domain_fn)(const rebound_domain *d, void *ctx);
int rebound_ledger_domain_get(rebound_ledger *l, const char *domain,
			      rebound_domain *out, char *err, size_t errlen);
long rebound_ledger_each_domain(rebound_ledger *l, rebound_domain_fn fn,
				void *ctx, char *err, size_t errlen);

/* Clear one recipient by hand.  1 done, 0 not in the ledger, -1 error. */
int rebound_ledger_unbounce(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen);

/* One campaign.  1 found, 0 not found, -1 error. */
int rebound_ledger_campaign_get(rebound_ledger *l, const char *campaign,
				int64_t now, rebound_campaign *out,
				char *err, size_t errlen);

typedef enum rebound_campaign_op {
	REBOUND_CAMPAIGN_OP_RESUME,
	REBOUND_CAMPAIGN_OP_CANCEL,
} rebound_campaign_op;

/* Resume or cancel a campaign by hand.  1 done, 0 not found, -1 error. */
int rebound_ledger_campaign_set(rebound_ledger *l, const char *campaign,
				rebound_campaign_op op, int64_t now,
				rebound_campaign *out, char *err,
				size_t errlen);

/* Delete events and seen-before markers older than `before`.  Counts of
 * what went into *events and *markers.  Returns 0 or -1. */
int rebound_ledger_prune(rebound_ledger *l, int64_t before,
			 unsigned long *events, unsigned long *markers,
			 char *err, size_t errlen);

typedef struct rebound_check_report {
	unsigned long recipients, events, markers, campaigns, other;
	unsigned long domains;		/* b: records (recipient domains) */
	unsigned long bad;		/* records that do not decode */
	bool tdb_ok;			/* tdb_check() passed */
	/* tdb_check() failed, but only on space that no record and no
	   free-list entry uses (left by a writer killed in a commit that
	   grew the file): ledger-scan.h found every hash chain and the free
	   list sound.  Harmless; rebound_ledger_rewrite() gives it back. */
	bool unused_space;
	unsigned long long unused_bytes;
	bool meta_ok;			/* the meta record is there and ours */
	char first_problem[256];
} rebound_check_report;

/* Verify the file (tdb's own check, then every record), on a copy of
 * it; a hash chain that cannot be read counts in `bad`.  Returns 0 when
 * all is well (unused_space may be set), 1 when problems were found (see
 * the report), -1 when the check itself failed. */
int rebound_ledger_check(rebound_ledger *l, rebound_check_report *r,
			 char *err, size_t errlen);

/* What `db repack` did. */
typedef struct rebound_repack_report {
	unsigned long records;		/* in the new file */
	unsigned long rescued;		/* of them found behind damage */
	unsigned long skipped;		/* damaged records left out */
	char skipped_names[512];	/* the first of them */
	unsigned chains;		/* the new file's hash chains */
	unsigned copies;		/* copies made (> 1: the ledger changed
					   too much while one was made) */
	bool under_lock;		/* the last copy was made under the
					   ledger's transaction */
	unsigned long caught_up;	/* hash chains copied again under it */
	unsigned long locked_ms;	/* the ledger's transaction held */
	unsigned long snapshot_ms;	/* commits waited for the copy of the
					   file's bytes */
} rebound_repack_report;

/* Rewrite the ledger into a new file with `chains` hash chains (0: as
 * many as it has), which takes the ledger's name; the old file is
 * marked, so that a process that still holds it writes to the new one.
 * The records are copied from a snapshot of the file's bytes while
 * writers go on (hash chain by chain, then tdb_rescue behind damage;
 * only records that decode are kept); under the ledger's transaction
 * only the hash chains that changed since are copied again, or, when
 * too many did, the copy is made again (REPACK_ATTEMPTS times, then
 * once under the transaction).  Unused space becomes free space.
 * Returns 0, 1 when damaged records were left out (counted and named in
 * *r), or -1 with err (the ledger unchanged). */
int rebound_ledger_rewrite(rebound_ledger *l, unsigned chains,
			   rebound_repack_report *r, char *err, size_t errlen);

/* rebound_ledger_rewrite keeping the hash size; 0 or -1. */
int rebound_ledger_repack(rebound_ledger *l, char *err, size_t errlen);

/* rebound_ledger_rewrite with `chains` hash chains (rebound.conf
 * db_hash_size); 0 or -1. */
int rebound_ledger_rehash(rebound_ledger *l, unsigned chains, char *err,
			  size_t errlen);

/* Copy the ledger to a new file `dest` (must not exist): a consistent
 * state (a copy of the file's bytes taken while writers wait), every
 * record it holds.  When hash chains are damaged, every record tdb_rescue
 * still finds in the file is saved as well (the first copy of a key wins)
 * and 1 is returned with a warning in err that says how many chains and
 * records.  Returns 0, 1, or -1 (dest is removed). */
int rebound_ledger_backup(rebound_ledger *l, const char *dest, char *err,
			  size_t errlen);

#endif
