/* ledger.h - the per-recipient ledger in one tdb file.
 *
 * Many processes (Exim receivers and deliveries, Dovecot deliveries, the
 * CLI) write the same file at the same time.  Every handle is opened
 * O_RDWR (read-only tdb opens fail while others commit), one handle per
 * process, every change inside a transaction.  Records are versioned and
 * byte-order independent; keys are namespaced (r:, e:, d:, c:, meta) as
 * doc/design.md §5 describes.
 *
 * This header is the contract the Exim module and the Dovecot plugin use.
 * Every function returns an error (never aborts); err/errlen receive one
 * line that a caller can log as it is.
 */
#ifndef REBOUND_LEDGER_H
#define REBOUND_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "verp.h"
#include "classify/result.h"

typedef struct rebound_ledger rebound_ledger;

enum {
	/* Create the file (mode 0660, honouring a setgid directory) when it
	   is missing.  Never from a read path or a router-time dlfunc. */
	REBOUND_LEDGER_CREATE = 1u << 0,
	/* This process walks the whole file (a report): a large file is
	   read without a map, so that memory does not grow with it. */
	REBOUND_LEDGER_WALK = 1u << 1,
};

rebound_ledger *rebound_ledger_open(const char *path, unsigned flags,
				    char *err, size_t errlen);
void rebound_ledger_close(rebound_ledger *l);

/* How long a change in this process waits for another process's
 * transaction before it fails with "locked": 0 (the default) waits as
 * long as it takes.  Process-wide; Exim's local_scan sets what is left
 * of its time budget, so that a stuck writer cannot hold the mail. */
void rebound_ledger_set_lock_wait(unsigned ms);
/* The lock wait set now (to put it back after a change). */
unsigned rebound_ledger_lock_wait(void);
/* One deadline, ms from now, that every lock wait of this process ends
 * by (with a lock wait set), however many notices it records: a
 * delivery of several bounces spends one time budget, and once it is
 * spent the rest are spooled at once.  ms < 0 clears it. */
void rebound_ledger_set_deadline(int ms);

/* Hash chains of a ledger this process creates (rebound.conf
 * db_hash_size; 0: the default).  A lookup walks one chain (a recipient
 * keeps about three records), and every transaction copies all the
 * chains' heads (tdb_transaction_start: 4 bytes a chain, about 0.7 us
 * per 1,000 chains on the development machine), so the default is a
 * middle: 131,071 chains cost a record about 50 us more than 32,749 did
 * and keep chains at about 23 records for a million recipients (91
 * with 32,749).  Process-wide; an existing file keeps the size it was
 * made with. */
#define REBOUND_LEDGER_HASH_SIZE 131071u
#define REBOUND_LEDGER_HASH_SIZE_MAX 10000000u
void rebound_ledger_set_hash_size(unsigned chains);

typedef enum rebound_state {
	REBOUND_STATE_ACTIVE = 0,
	REBOUND_STATE_PENDING,		/* delayed, no final report yet */
	REBOUND_STATE_SOFT,		/* soft bounces counted */
	REBOUND_STATE_SUSPENDED,	/* until a time */
	REBOUND_STATE_SUPPRESSED,	/* until unbounced */
	REBOUND_STATE_GLOBAL,		/* suppressed for every sender */
} rebound_state;

const char *rebound_state_name(rebound_state s);
/* The state named `name`, or -1. */
int rebound_state_from_name(const char *name);

/* Where a record comes from and when. */
typedef struct rebound_record_context {
	int64_t now;			/* seconds since the epoch */
	const char *source;		/* "exim", "dovecot", "cli", "event" */
	/* Overrides result->sender_domain when not NULL (Dovecot: the
	   mailbox owner's domain for an out-of-band notice). */
	const char *sender_domain;
	/* What the notice's signed return paths vouch for (verp.h).  With
	   require_signed_verp (vouch->required), a recipient of the notice
	   that no valid signature names is recorded as unverified: kept as
	   an event, it changes no state.  NULL: every recipient counts. */
	const rebound_verp_vouch *vouch;
	/* The policy the notice is recorded under, when it is not the
	   recorder's: a batched notice keeps the policy of the module
	   that queued it (Exim's acl_m_rebound_ variables, a Dovecot
	   user's settings), whoever replays it.  NULL: the recorder's. */
	const rebound_policy *policy;
} rebound_record_context;

/* What recording did to one recipient. */
typedef struct rebound_outcome {
	char address[320];
	rebound_state state;		/* after recording */
	int64_t until;			/* SUSPENDED: until when; else 0 */
	bool suspect;
	char suspect_why[48];		/* why, its short name (policy.h) */
	bool duplicate;			/* seen before: counted once */
	bool unverified;		/* no valid signature named it:
					   recorded, no state changed */
} rebound_outcome;

/* Record one classified message.  Bounces change recipient states as the
 * policy says; delivered DSNs, auto-replies and feedback reports are
 * recorded as such and never suppress; ordinary mail records nothing.
 * A notice seen before (same fingerprint: its own Message-ID, or its
 * content when it has none, and the recipients) is counted once.
 * Fills up to nout outcomes (recipients beyond nout are still recorded)
 * and returns how many, or -1 with err set (nothing changed then), or
 * REBOUND_LEDGER_SPOOLED.  After a notice is recorded, a module's call
 * also replays a few spooled notices (at most 8, 200 ms). */
int rebound_ledger_record(rebound_ledger *l, const rebound_policy *policy,
			  const rebound_result *res,
			  const rebound_record_context *ctx,
			  rebound_outcome *out, size_t nout,
			  char *err, size_t errlen);

/* rebound_ledger_record's answer when the notice could not be recorded
 * now but was written to the spool (err says why and where); the next
 * writer or `rebound db replay` records it.  Only a process that set a
 * lock wait (the modules) spools: the command waits for the lock. */
#define REBOUND_LEDGER_SPOOLED (-2)

/* Replay spooled notices, oldest first, many in one transaction
 * (ledger-spool.h): at most max_files and for at most max_ms (0: no
 * limit; checked between batches).  Returns 0, or -1 with err set when a
 * notice could not be recorded (it stays; the stats say how far it
 * got).  A module (a lock wait set) that finds another process replaying
 * the spool returns 0 at once with busy set; the command waits. */
typedef struct rebound_replay_stats {
	unsigned long replayed;		/* recorded and removed */
	unsigned long duplicates;	/* of those, seen before */
	unsigned long bad;		/* unreadable: renamed *.bad */
	unsigned long left;		/* still waiting */
	unsigned long commits;		/* transactions it took */
	bool busy;			/* another process was replaying */
	char first_bad[300];
} rebound_replay_stats;

int rebound_ledger_replay(rebound_ledger *l, const rebound_policy *policy,
			  unsigned max_files, unsigned max_ms,
			  rebound_replay_stats *st, char *err, size_t errlen);

/* The same, and tell report about each notice once its batch committed:
 * the notice as it was spooled (its recipients, as classified) and the
 * outcomes of its first recipients (at most 50), so that a module can
 * log what became of the notices it queued with state=queued. */
typedef void rebound_replay_report_fn(void *arg, const rebound_result *res,
				      const rebound_record_context *ctx,
				      const rebound_outcome *out,
				      size_t nout);
int rebound_ledger_replay_report(rebound_ledger *l,
				 const rebound_policy *policy,
				 unsigned max_files, unsigned max_ms,
				 rebound_replay_report_fn *report, void *arg,
				 rebound_replay_stats *st, char *err,
				 size_t errlen);

/* Batching (rebound.conf batch_ms, doc/design.md): instead of its own
 * durable transaction, a module writes the classified notice to the
 * spool of the ledger at path and returns; the batch is recorded, in one
 * transaction, by whoever next finds it due (rebound_ledger_batch_due,
 * then rebound_ledger_replay).  durable: the file is on the disk before
 * this returns (2 device flushes instead of a commit's 8); without, a
 * power cut may lose it (the Dovecot plugin: the notice is in the
 * mailbox already).  Ordinary mail is not spooled (0, nothing written).
 * Needs no ledger handle.  Returns 0, or -1 with err set (then record
 * it the usual way). */
int rebound_ledger_queue(const char *path, const rebound_result *res,
			 const rebound_record_context *ctx, bool durable,
			 char *err, size_t errlen);

/* Is a batch of the ledger at path due after batch_ms (ledger-spool.h,
 * rebound_spool_due)?  1 due; 0 not, *wait_ms until it is (UINT_MAX:
 * nothing waits); -1 the spool cannot be read. */
int rebound_ledger_batch_due(const char *path, unsigned batch_ms,
			     unsigned *wait_ms);

/* Record one recipient classified in-band (Exim's event_action): a
 * rejection (rcpt->action FAILED or DELAYED, see rebound_classify_reply)
 * or a successful delivery (action DELIVERED, which clears the soft count
 * and the pending state).  Returns 0 or -1. */
int rebound_ledger_record_recipient(rebound_ledger *l,
				    const rebound_policy *policy,
				    const rebound_recipient *rcpt,
				    const rebound_record_context *ctx,
				    rebound_outcome *out,
				    char *err, size_t errlen);

/* May mail be sent to `address` now?  1 yes, 0 no (suppressed, global, or
 * suspended until later than now), -1 error. */
int rebound_ledger_may_send(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen);

typedef enum rebound_campaign_state {
	REBOUND_CAMPAIGN_RUNNING = 0,
	REBOUND_CAMPAIGN_PAUSED,
	REBOUND_CAMPAIGN_CANCELLED,
} rebound_campaign_state;

const char *rebound_campaign_state_name(rebound_campaign_state s);

/* Count one outgoing message of `campaign` to nrcpt recipients, unless the
 * campaign is paused (until *until) or cancelled: then nothing is counted
 * and *state says why the message must wait or be refused.  Returns 0 or
 * -1.  The count goes to <path>.counts without a durable transaction
 * (campaign-counts.h); when it could not be counted there, or that file
 * was made anew, the call still succeeds and err holds one line to log. */
int rebound_ledger_campaign_send(rebound_ledger *l,
				 const rebound_policy *policy,
				 const char *campaign, unsigned nrcpt,
				 int64_t now, rebound_campaign_state *state,
				 int64_t *until, char *err, size_t errlen);

#endif
