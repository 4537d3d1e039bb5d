/* journal.h - a ledger in a fleet (issue 20, doc/fleet.md): the journal
 * of the events this host records, and the fold of other hosts' events
 * into the local ledger.  The transport (CTDB) is admin/cluster.c's.
 *
 * Nothing here acts until `rebound cluster sync` has given the ledger its
 * node name (the "cluster" record): before that, the record path's one
 * extra lookup finds nothing and the ledger works as it always did.
 *
 * An address's state in a fleet is its events applied in time order
 * (ties by origin), whatever order they arrive in: an event older than
 * the newest already applied to its address makes the fold re-apply all
 * of that address's events kept in the ledger (a re-fold).
 *
 * Keys, beside those of ledger-record.h:
 *   cluster            node name, next sequence, oldest unconfirmed one
 *   j:<seq>            an event recorded here, until the cluster database
 *                      is seen to hold it (then the sync removes it)
 *   f:<address key>    time and origin of the newest event applied
 *   o:<origin>         another host's event, folded (counted once)
 *   x:<time>:<origin>  a hand edit (unbounce, campaign resume, cancel)
 *   n:<node>           another host's events folded up to this sequence
 * Remote events are kept as e:<time>:<origin>, so reports see them.
 */
#ifndef REBOUND_JOURNAL_H
#define REBOUND_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "ledger-record.h"

/* --- hooks of the record path and the edits (inside their transaction) */

/* When the ledger is clustered: give ev its origin ("node:sequence"),
 * keep it in the journal and note it as its address's newest.  0 (also
 * when not clustered), or -1 with err set. */
int ledger_journal_event(rebound_ledger *l, rebound_event *ev, char *err,
			 size_t errlen);

/* A hand edit of `what` (an address, or a campaign for resume and
 * cancel) at `now`: journalled and kept as x: when clustered.  0 or
 * -1. */
int ledger_journal_edit(rebound_ledger *l, rebound_edit edit,
			const char *what, int64_t now, char *err,
			size_t errlen);

/* --- the sync's side -------------------------------------------------- */

typedef struct rebound_cluster_state {
	char node[REBOUND_NODE_MAX];
	uint64_t next_seq;		/* the sequence of the next event */
	uint64_t tail;			/* below it every event is confirmed */
	int64_t last_sync;		/* 0: never */
} rebound_cluster_state;

/* A plain node name: letters, digits, '.', '-', '_'. */
bool rebound_cluster_node_valid(const char *node);

/* 1 and *st filled when the ledger is clustered, 0 when not, -1. */
int rebound_journal_state(rebound_ledger *l, rebound_cluster_state *st,
			  char *err, size_t errlen);

/* Make the ledger node `node` of a fleet (from now on its events are
 * journalled); a ledger that is already another node's is refused.
 * Also notes the sync time `now` (0: leave it).  0 or -1. */
int rebound_journal_join(rebound_ledger *l, const char *node, int64_t now,
			 char *err, size_t errlen);

/* One journalled event. */
typedef struct rebound_journal_item {
	uint64_t seq;
	bool refold;			/* applied out of order here */
	rebound_event ev;
	const unsigned char *data;	/* ev encoded (ledger-record.h) */
	size_t len;
} rebound_journal_item;

typedef int (*rebound_journal_fn)(const rebound_journal_item *it,
				  void *ctx);

/* Every journalled event, oldest first; fn returns non-zero to stop.
 * Returns how many were seen, or -1. */
long rebound_journal_each(rebound_ledger *l, rebound_journal_fn fn,
			  void *ctx, char *err, size_t errlen);

/* The cluster database holds these: drop them from the journal.  0 or
 * -1. */
int rebound_journal_confirm(rebound_ledger *l, const uint64_t *seqs,
			    size_t n, char *err, size_t errlen);

/* How far another host's events are folded: every sequence below
 * *seq (0 when none yet).  0 or -1. */
int rebound_journal_cursor(rebound_ledger *l, const char *node,
			   uint64_t *seq, char *err, size_t errlen);
int rebound_journal_set_cursor(rebound_ledger *l, const char *node,
			       uint64_t seq, char *err, size_t errlen);

typedef struct rebound_fold_stats {
	unsigned long folded;		/* new events applied or kept */
	unsigned long duplicates;	/* folded before: counted once */
	unsigned long own;		/* this node's: skipped */
	unsigned long refolded;		/* addresses re-folded */
} rebound_fold_stats;

/* Fold other hosts' events (each with its origin) into the ledger in one
 * transaction; addresses[0..naddr) are re-folded too (this host's events
 * applied out of order).  evs is sorted in place.  0 or -1 (nothing
 * changed then). */
int rebound_journal_fold(rebound_ledger *l, const rebound_policy *policy,
			 rebound_event *evs, size_t n,
			 const char *const *addresses, size_t naddr,
			 rebound_fold_stats *st, char *err, size_t errlen);

#endif
