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
 */
#include "lib.h"

#include <time.h>

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

static void record_one(struct rbd_txn *txn, rebound_ledger *ledger,
		       const struct rbd_kept *k, int64_t now)
{
	const rebound_result *res = k->res;
	rebound_record_context ctx = {
		.now = now,
		.source = "dovecot",
		.sender_domain = sender_domain(txn, res),
		.vouch = k->vouch,
	};
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
	for (int i = 0; i < n; i++) {
		if (out[i].suspect && !out[i].duplicate) {
			/* The classifier's evidence, else the ledger's own
			   (domain-burst, delivered-lately). */
			const char *why = rebound_suspect_why(res,
							      out[i].address);
			if (strcmp(why, "delivered-lately") == 0 &&
			    out[i].suspect_why[0] != '\0')
				why = out[i].suspect_why;
			i_info(RBD_LOG "%s: %s recorded as suspect=yes (%s): "
			       "suspended, not suppressed", txn->set.mailbox,
			       out[i].address, why);
		}
		if (out[i].unverified && !out[i].duplicate)
			i_info(RBD_LOG "%s: %s recorded as unverified: no valid "
			       "signed return path names it", txn->set.mailbox,
			       out[i].address);
	}
	if (!txn->set.debug)
		return;
	for (int i = 0; i < n; i++) {
		i_debug(RBD_LOG "%s: recorded %s: %s%s%s%s",
			txn->set.mailbox, out[i].address,
			rebound_state_name(out[i].state),
			out[i].suspect ? ", suspect" : "",
			out[i].duplicate ? ", seen before" : "",
			out[i].unverified ? ", unverified" : "");
	}
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
			record_one(txn, ledger, k, now);
		rebound_ledger_close(ledger);
	}
	rebound_ledger_set_deadline(-1);
}
