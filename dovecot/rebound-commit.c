/* rebound-commit.c - write the results a transaction kept to the ledger,
 * after Dovecot committed the mail.
 *
 * The mail is stored by now: whatever fails here is logged as one line
 * and forgotten (a crash would make the MTA deliver the mail again).
 *
 * The ledger is opened for the commit and closed again, not cached:
 * an LMTP process lives long and serves many users (each with its own
 * rebound_db, under its own uid), tdb refuses a second handle on one file
 * in one process, and only transactions that kept a bounce get here.
 *
 * The plugin never creates the ledger (no REBOUND_LEDGER_CREATE): the
 * file's group and mode decide whether Exim can share it, so it is made
 * at installation (doc/dovecot.md); a mistyped rebound_db then shows as an
 * error in the log instead of a second, silent ledger.
 *
 * Batches (rebound.conf batch_ms, the default): a notice is written to
 * the spool beside the ledger instead, not synced (the notice itself is
 * in the mailbox, which Dovecot made durable; a device flush per message
 * is what the batch saves), and the spool is recorded in one transaction
 * when it is due: at the commit that finds it due, from a timeout in
 * this process's main ioloop batch_ms after the oldest notice, and at
 * deinit.  So a notice is in the ledger within about batch_ms with no
 * further mail (doc/dovecot.md, "Batches").
 */
#include "lib.h"
#include "ioloop.h"

#include <grp.h>
#include <sys/stat.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "rebound-plugin.h"

/* The time budget is one deadline for a whole delivery: every bounce a
 * commit records, and every recipient of one LMTP DATA (each its own
 * transaction, committed one after another in this process), share it;
 * once it is spent the rest are spooled at once instead of each waiting
 * a full budget while the MTA waits for the answer. */
static char shared_delivery[128];
static int64_t shared_until;		/* CLOCK_MONOTONIC ms */

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left of this delivery's budget (0: spent). */
static int delivery_budget_left(const struct rbd_txn *txn, unsigned budget)
{
	int64_t now = monotonic_ms();
	const char *d = txn->set.delivery;

	if (d != NULL && shared_until != 0 &&
	    strcmp(d, shared_delivery) == 0)
		return shared_until > now ? (int)(shared_until - now) : 0;
	if (d != NULL && strlen(d) < sizeof(shared_delivery))
		memcpy(shared_delivery, d, strlen(d) + 1);
	else
		shared_delivery[0] = '\0';
	shared_until = now + budget;
	return (int)budget;
}

/* Record up to this many outcomes per message for the debug line; the
 * ledger records every recipient anyway. */
#define RBD_OUTCOMES 4

/* What to record as the sender domain.  An out-of-band notice (a
 * gateway's plain-text message, not a DSN on the return path) went to the
 * person who sent the original: the mailbox owner.  A DSN names the
 * original's sender itself; the owner only fills a gap. */
static const char *
sender_domain(const struct rbd_txn *txn, const rebound_result *res)
{
	bool dsn = res->format != NULL && strcmp(res->format, "rfc3464") == 0;

	if (txn->set.owner_domain == NULL)
		return NULL;
	if (dsn && res->sender_domain != NULL && res->sender_domain[0] != '\0')
		return NULL;
	return txn->set.owner_domain;
}

/* How a kept notice is recorded, at once or in its batch. */
static rebound_record_context recording_context(struct rbd_txn *txn,
						const struct rbd_kept *k,
						int64_t now)
{
	rebound_record_context ctx = {
		.now = now,
		.source = "dovecot",
		.sender_domain = sender_domain(txn, k->res),
		.vouch = k->vouch,
		.policy = &txn->cfg.policy,
	};
	return ctx;
}

static void log_outcomes(const char *where, const rebound_result *res,
			 const rebound_outcome *out, size_t n, bool debug);

static void record_one(struct rbd_txn *txn, rebound_ledger *ledger,
		       const struct rbd_kept *k, int64_t now)
{
	const rebound_result *res = k->res;
	rebound_record_context ctx = recording_context(txn, k, now);
	rebound_outcome out[RBD_OUTCOMES];
	char err[512];
	int n;

	n = rebound_ledger_record(ledger, &txn->cfg.policy, res, &ctx,
				  out, N_ELEMENTS(out), err, sizeof(err));
	if (n == REBOUND_LEDGER_SPOOLED) {
		/* the ledger was locked; a later writer records it */
		i_warning(RBD_LOG "%s: spooled: %s", txn->set.mailbox, err);
		return;
	}
	if (n < 0) {
		i_error(RBD_LOG "%s: not recorded: %s", txn->set.mailbox,
			err);
		return;
	}
	if ((res->msg_flags & REBOUND_MSG_MANY_RCPT) && res->rcpt_total > 0)
		i_warning(RBD_LOG "%s: recipients cut at %zu of %zu named in "
			  "the notice; the rest not recorded",
			  txn->set.mailbox, res->nrcpt, res->rcpt_total);
	else if (res->msg_flags & REBOUND_MSG_MANY_RCPT)
		i_warning(RBD_LOG "%s: recipients cut at %zu; more addresses "
			  "named in the notice were not read",
			  txn->set.mailbox, res->nrcpt);
	log_outcomes(txn->set.mailbox, res, out, (size_t)n, txn->set.debug);
}

/* What recording told about the recipients of a notice from `where` (a
 * mailbox, or "batch" for a notice recorded with its batch): the
 * suspects and the unverified, which an operator must see; every state
 * with debug. */
static void log_outcomes(const char *where, const rebound_result *res,
			 const rebound_outcome *out, size_t n, bool debug)
{
	for (size_t i = 0; i < n; i++) {
		if (out[i].suspect && !out[i].duplicate) {
			/* The classifier's evidence, else the ledger's own
			   (domain-burst, delivered-lately). */
			const char *why = rebound_suspect_why(res,
							      out[i].address);
			if (strcmp(why, "delivered-lately") == 0 &&
			    out[i].suspect_why[0] != '\0')
				why = out[i].suspect_why;
			i_info(RBD_LOG "%s: %s recorded as suspect=yes (%s): "
			       "suspended, not suppressed", where,
			       out[i].address, why);
		}
		if (out[i].unverified && !out[i].duplicate)
			i_info(RBD_LOG "%s: %s recorded as unverified: no valid "
			       "signed return path names it", where,
			       out[i].address);
	}
	if (!debug)
		return;
	for (size_t i = 0; i < n; i++) {
		i_debug(RBD_LOG "%s: recorded %s: %s%s%s%s",
			where, out[i].address,
			rebound_state_name(out[i].state),
			out[i].suspect ? ", suspect" : "",
			out[i].duplicate ? ", seen before" : "",
			out[i].unverified ? ", unverified" : "");
	}
}

/* --- batches ------------------------------------------------------------ */

/* The batch this process spooled notices for: one ledger at a time (a
 * notice for another ledger first records this one's batch). */
static struct rbd_batch {
	bool pending;
	struct timeout *to;
	rebound_config cfg;		/* the spooler's: path, policy */
	uid_t uid;			/* whom the notices were spooled as */
	gid_t gid;
	/* and the groups (mail_access_groups may be what opens the
	   ledger) */
	gid_t groups[64];
	int ngroups;
	unsigned int retry_ms;		/* after a failure: 0, then longer */
	bool debug;			/* the spooler's mail_debug */
} batch;

/* A notice of the batch, recorded: its suspects and unverified, as
 * record_one says them for a notice recorded at once. */
static void batch_report(void *arg, const rebound_result *res,
			 const rebound_record_context *ctx,
			 const rebound_outcome *out, size_t nout)
{
	(void)arg;
	(void)ctx;
	log_outcomes("batch", res, out, nout, batch.debug);
}

/* How long a flush outside a delivery waits for the lock: nobody waits
 * for it, but this process serves no mail meanwhile. */
#define BATCH_LOCK_WAIT_MS 100
/* How long a flush may go on starting transactions (each at most 200
 * notices). */
#define BATCH_REPLAY_MS 500
/* A flush that failed tries again this much later, twice as long after
 * each failure up to BATCH_RETRY_MAX_MS (one log line until it works). */
#define BATCH_RETRY_MS 1000
#define BATCH_RETRY_MAX_MS 60000

static void batch_timeout(void *context);

static void batch_arm(unsigned int ms)
{
	struct ioloop *root = io_loop_get_root();

	if (batch.to != NULL)
		timeout_remove(&batch.to);
	/* The main ioloop: a delivery may run in a short-lived one.  The
	   function itself: its macro's compile-time checks of msecs are a
	   variable-length array (-Wvla) for a msecs known only at run
	   time. */
	if (root != NULL)
		batch.to = (timeout_add_to)(root, ms, __FILE__, __LINE__,
					    batch_timeout, NULL);
}

/* Outside a delivery an LMTP process runs as root: the batch is recorded
 * as the user who spooled it, so that nothing of the ledger's becomes
 * root's.  TRUE when switched (then batch_unbecome). */
struct rbd_ids {
	gid_t egid;
	gid_t groups[64];
	int ngroups;
};

static bool batch_become(struct rbd_ids *was, bool *switched)
{
	*switched = FALSE;
	if (geteuid() != 0 || batch.uid == 0)
		return TRUE;
	was->egid = getegid();
	was->ngroups = getgroups(N_ELEMENTS(was->groups), was->groups);
	if (was->ngroups < 0 || batch.ngroups < 0 ||
	    setgroups((size_t)batch.ngroups, batch.groups) < 0)
		return FALSE;
	if (setegid(batch.gid) < 0) {
		(void)setgroups((size_t)was->ngroups, was->groups);
		return FALSE;
	}
	if (seteuid(batch.uid) < 0) {
		(void)setegid(was->egid);
		(void)setgroups((size_t)was->ngroups, was->groups);
		return FALSE;
	}
	*switched = TRUE;
	return TRUE;
}

static void batch_unbecome(const struct rbd_ids *was)
{
	/* (Dovecot's next delivery fails loudly if this did not work.) */
	if (seteuid(0) < 0 || setegid(was->egid) < 0 ||
	    setgroups((size_t)was->ngroups, was->groups) < 0)
		i_error(RBD_LOG "cannot return to root after recording a "
			"batch: %m");
}

/* Record the waiting batch: when due (else the timeout is set for when
 * it will be), or all of it (deinit, another ledger).  lock_wait: how
 * long to wait for another process's lock. */
static void batch_flush(bool all, unsigned int lock_wait)
{
	unsigned int wait;
	const char *path = batch.cfg.db_path;

	if (!batch.pending)
		return;
	if (batch.to != NULL)
		timeout_remove(&batch.to);
	int due = rebound_ledger_batch_due(path, batch.cfg.batch_ms, &wait);
	if (due == 0 && wait == UINT_MAX) {
		batch.pending = FALSE;	/* another process recorded it */
		return;
	}
	if (due == 0 && !all) {
		batch_arm(wait);
		return;
	}

	struct rbd_ids was;
	bool switched;
	char err[512] = "";
	rebound_replay_stats st;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	if (!batch_become(&was, &switched)) {
		i_error(RBD_LOG "batch for %s not recorded: cannot become "
			"uid %ld: %m", path, (long)batch.uid);
		batch.pending = FALSE;
		return;
	}
	unsigned int keep = rebound_ledger_lock_wait();
	rebound_ledger_set_lock_wait(lock_wait);
	rebound_ledger *ledger = rebound_ledger_open(path, 0, err,
						     sizeof(err));
	if (ledger != NULL) {
		rc = rebound_ledger_replay_report(ledger, &batch.cfg.policy,
						  0, BATCH_REPLAY_MS,
						  batch_report, NULL, &st,
						  err, sizeof(err));
		rebound_ledger_close(ledger);
	}
	rebound_ledger_set_lock_wait(keep);
	if (switched)
		batch_unbecome(&was);
	if (st.bad > 0)
		i_error(RBD_LOG "%s: %lu spooled notice(s) set aside as bad, "
			"first %s", path, st.bad, st.first_bad);
	if (rc < 0 || ledger == NULL) {
		if (batch.retry_ms == 0 || all)
			i_warning(RBD_LOG "batch for %s not recorded now (%s); "
				  "its notices wait in the spool", path, err);
		batch.retry_ms = batch.retry_ms == 0 ? BATCH_RETRY_MS :
				 I_MIN(batch.retry_ms * 2, BATCH_RETRY_MAX_MS);
		if (!all)
			batch_arm(batch.retry_ms);
		return;
	}
	batch.retry_ms = 0;
	if (st.replayed > 0)
		i_info(RBD_LOG "batch recorded: %lu notice%s (%lu seen before) "
		       "in %lu transaction%s, %lu left waiting", st.replayed,
		       st.replayed == 1 ? "" : "s", st.duplicates, st.commits,
		       st.commits == 1 ? "" : "s", st.left);
	if (batch.cfg.batch_ms > 0 && !all && (st.left > 0 || st.busy)) {
		/* More than one replay's worth, or another process is at
		   it: look again soon. */
		batch_arm(st.busy ? BATCH_RETRY_MS : 1);
		return;
	}
	batch.pending = FALSE;
}

static void batch_timeout(void *context ATTR_UNUSED)
{
	batch_flush(FALSE, BATCH_LOCK_WAIT_MS);
}

void rbd_batch_deinit(void)
{
	batch_flush(TRUE, BATCH_LOCK_WAIT_MS);
	if (batch.to != NULL)
		timeout_remove(&batch.to);
	batch.pending = FALSE;
}

/* Spool the kept notice for its batch.  FALSE: not spooled (logged);
 * record it now. */
static bool batch_queue(struct rbd_txn *txn, const struct rbd_kept *k,
			int64_t now)
{
	const rebound_result *res = k->res;
	rebound_record_context ctx = recording_context(txn, k, now);
	char err[512];
	struct stat st;

	/* No ledger there (a mistyped rebound_db, one not made yet): no
	   spool beside it; recording says why, as without batches. */
	if (stat(txn->cfg.db_path, &st) < 0)
		return FALSE;
	if (batch.pending &&
	    strcmp(batch.cfg.db_path, txn->cfg.db_path) != 0)
		batch_flush(TRUE, BATCH_LOCK_WAIT_MS);
	if (rebound_ledger_queue(txn->cfg.db_path, res, &ctx, FALSE, err,
				 sizeof(err)) < 0) {
		i_warning(RBD_LOG "%s: not queued for its batch (%s); "
			  "recording it now", txn->set.mailbox, err);
		return FALSE;
	}
	if (txn->set.debug)
		i_debug(RBD_LOG "%s: queued for the batch of %s",
			txn->set.mailbox, txn->cfg.db_path);
	if (!batch.pending) {
		batch.pending = TRUE;
		batch.uid = geteuid();
		batch.gid = getegid();
		batch.ngroups = getgroups(N_ELEMENTS(batch.groups),
					  batch.groups);
		batch_arm(txn->cfg.batch_ms);
	}
	batch.cfg = txn->cfg;
	batch.debug = txn->set.debug;
	return TRUE;
}

void rbd_commit_kept(struct rbd_txn *txn)
{
	rebound_ledger *ledger;
	char err[512];
	unsigned budget;
	int64_t now;

	if (txn->set.debug && txn->messages > 0) {
		i_debug(RBD_LOG "%s: %u message(s), %u to record",
			txn->set.mailbox, txn->messages, txn->bounces);
	}
	if (txn->kept == NULL || txn->cfg.db_path[0] == '\0')
		return;
	if (txn->cfg.batch_ms > 0) {
		/* Spooled, and the batch recorded here when it is due
		   (within this delivery's budget); only what could not be
		   spooled is recorded one by one below. */
		bool all_queued = TRUE;
		now = (int64_t)time(NULL);
		for (struct rbd_kept *k = txn->kept; k != NULL; k = k->next) {
			k->queued = batch_queue(txn, k, now);
			all_queued = all_queued && k->queued;
		}
		if (batch.pending) {
			/* The notices are safe: a locked ledger does not
			   hold the answer, the timeout tries again. */
			budget = rebound_config_time_budget_ms(&txn->cfg);
			rebound_ledger_set_deadline(
				delivery_budget_left(txn, budget));
			batch_flush(FALSE, BATCH_LOCK_WAIT_MS);
			rebound_ledger_set_deadline(-1);
		}
		if (all_queued)
			return;
	}
	/* The mail is stored, but the client has no answer yet: a writer
	   that holds its transaction must not hold the delivery until the
	   MTA gives up and sends the message again. */
	budget = rebound_config_time_budget_ms(&txn->cfg);
	rebound_ledger_set_lock_wait(budget);
	rebound_ledger_set_deadline(delivery_budget_left(txn, budget));
	ledger = rebound_ledger_open(txn->cfg.db_path, 0, err, sizeof(err));
	if (ledger == NULL) {
		i_error(RBD_LOG "%u bounce(s) in %s not recorded: %s",
			txn->bounces, txn->set.mailbox, err);
	} else {
		now = (int64_t)time(NULL);
		for (const struct rbd_kept *k = txn->kept; k != NULL;
		     k = k->next)
			if (!k->queued)
				record_one(txn, ledger, k, now);
		rebound_ledger_close(ledger);
	}
	rebound_ledger_set_deadline(-1);
}
