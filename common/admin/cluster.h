/* cluster.h - a fleet's transport: shipping this host's journalled events
 * to a CTDB persistent database and folding the other hosts' events from
 * it into the local ledger (ledger/journal.h; doc/fleet.md).
 *
 * CTDB has no packaged client library: events are written with the
 * `ctdb ptrans` tool (cluster-wide transactions of up to 1,000 keys,
 * head: and sync: in the last) and read
 * from this node's replica, an ordinary tdb file, opened read-write and
 * only read (doc/platform.md, CTDB).  In the database:
 *   NODE:SEQUENCE   an event, the hex of its ledger encoding
 *   head:NODE       NODE's next sequence (its events are below it)
 *   sync:NODE       when NODE last synced (seconds since the epoch)
 */
#ifndef REBOUND_CLUSTER_H
#define REBOUND_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/config.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

typedef struct rebound_sync_stats {
	unsigned long shipped;		/* sent this time (new or again) */
	unsigned long confirmed;	/* seen in the database: dropped */
	unsigned long waiting;		/* still in the journal */
	unsigned long folded, duplicates, refolded;
	unsigned hosts;			/* other hosts seen */
	bool healthy;			/* every CTDB node OK */
} rebound_sync_stats;

/* Ship and fold once.  Nothing is lost on an error: the journal keeps
 * what was not confirmed and the cursors what was not folded.  0, or -1
 * with err set. */
int rebound_cluster_sync(rebound_ledger *l, const rebound_config *cfg,
			 int64_t now, rebound_sync_stats *st, char *err,
			 size_t errlen);

/* One host of the fleet as this node sees it. */
typedef struct rebound_cluster_host {
	char node[REBOUND_NODE_MAX];
	uint64_t head;			/* its next sequence */
	uint64_t folded;		/* folded here up to (0: none) */
	int64_t last_sync;		/* 0: unknown */
} rebound_cluster_host;

#define REBOUND_CLUSTER_HOSTS_MAX 64

typedef struct rebound_cluster_view {
	rebound_cluster_state self;	/* this ledger's node */
	bool joined;			/* the ledger is a node at all */
	unsigned long waiting;		/* journalled, not yet confirmed */
	size_t nhosts;
	rebound_cluster_host hosts[REBOUND_CLUSTER_HOSTS_MAX];
	bool healthy;
	char health[200];		/* what `ctdb nodestatus` said */
} rebound_cluster_view;

/* What `rebound cluster status` shows.  0 or -1. */
int rebound_cluster_status(rebound_ledger *l, const rebound_config *cfg,
			   rebound_cluster_view *v, char *err, size_t errlen);

#endif
