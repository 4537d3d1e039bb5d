/* rebound-plugin.h - what the files of the Dovecot plugin share.
 *
 * rebound-plugin.c   registration and the notify callbacks
 * rebound-settings.c per-user settings, which mailboxes are monitored
 * rebound-keep.c     reading and classifying one saved mail; a copy of the
 *                    result (rebound_result_copy(), common/classify/result.h)
 *                    waits for the commit
 * rebound-commit.c   writing the kept results to the ledger
 *
 * Include after Dovecot's lib.h.  Core headers are named "common/PART/x.h"
 * (PART: mail, classify, ledger), so none can be mistaken for a Dovecot one.
 * The plugin's own names start with rbd_ (RBD_ for macros), as the Exim
 * module's start with rbx_, so that none is taken for the core's rebound_
 * API; only the entry points Dovecot looks up keep rebound_ (the loader
 * derives rebound_plugin_init etc. from lib90_rebound_plugin.so).
 */
#ifndef REBOUND_PLUGIN_H
#define REBOUND_PLUGIN_H

#include "common/mail/mail.h"
#include "common/classify/classify.h"
#include "common/ledger/ledger.h"
#include "common/ledger/ledger.h"

struct mail;
struct mailbox;

/* Prefix of every line the plugin logs. */
#define RBD_LOG "rebound: "

/* Bytes of one message read for classification: the notice and the
 * returned headers are at the top; a large returned original is cut. */
#define RBD_READ_MAX ((size_t)1024 * 1024)
/* Scratch memory for classifying one message. */
#define RBD_SCRATCH_BUDGET ((size_t)16 * 1024 * 1024)
/* Memory for the results one transaction keeps until its commit (a COPY
 * of thousands of bounces keeps about 1 KiB each). */
#define RBD_KEEP_BUDGET ((size_t)16 * 1024 * 1024)

/* What a monitored mailbox's user asked for, copied out of the user's
 * settings when the transaction starts (the commit runs after the
 * transaction is gone). */
struct rbd_settings {
	const char *db;			/* rebound_db, or NULL */
	const char *config;		/* rebound_config, or NULL */
	const char *keyword;		/* rebound_keyword, or NULL */
	const char *username;
	const char *owner_domain;	/* mailbox owner's domain, or NULL */
	const char *mailbox;		/* vname, for log lines */
	/* LMTP: the SMTP transaction this delivery is one recipient of
	   (the session id without its ":N"), so that the recipients of
	   one DATA share one time budget; NULL elsewhere. */
	const char *delivery;
	bool debug;			/* mail_debug */
};

/* One bounce waiting for the commit. */
struct rbd_kept {
	struct rbd_kept *next;
	rebound_result *res;		/* in the transaction's keep arena */
	/* With require_signed_verp: the recipients its Delivered-To and
	   X-Original-To vouch for (keep arena); NULL without. */
	rebound_verp_vouch *vouch;
	bool queued;			/* spooled for its batch */
};

/* The plugin's state for one transaction on a monitored mailbox. */
struct rbd_txn {
	pool_t pool;
	struct rbd_settings set;
	bool config_loaded;
	bool keep_full_logged;
	rebound_config cfg;
	/* The VERP secret, read at the first bounce when
	   require_signed_verp is set; key_usable FALSE when it could not
	   be (then nothing verifies). */
	bool key_loaded, key_usable;
	rebound_verp_key key;
	rebound_arena *scratch;		/* reset for every message */
	rebound_arena *keep;		/* the kept results */
	struct rbd_kept *kept, **kept_tail;
	unsigned int messages;		/* saved or copied in this txn */
	unsigned int bounces;		/* kept for the commit */
};

/* rebound-settings.c */

/* Is the mailbox named vname one of the space-separated names or
 * wildcard patterns ('*', '?') in `patterns`?  INBOX matches in any
 * case, as IMAP has it. */
bool rbd_mailbox_monitored(const char *patterns, const char *vname);

/* Log once per process when a mailbox named (not a pattern) in the
 * user's rebound_mailboxes does not exist: LDA and LMTP then save its mail
 * to INBOX.  Looks at each user once in a row. */
void rbd_check_monitored_exist(struct mailbox *box);

/* The transaction state for a transaction on `box`, or NULL when the box
 * is not monitored for its user. */
struct rbd_txn *rbd_txn_new(struct mailbox *box);
void rbd_txn_free(struct rbd_txn **txn);

/* Load rebound_config (or the default file) and apply rebound_db, once
 * per transaction.  Problems are logged; defaults are used then. */
void rbd_txn_load_config(struct rbd_txn *txn);

/* rebound-keep.c */

/* Read and classify `mail`; keep a bounce (or any other non-ordinary
 * result) for the commit.  Returns TRUE when something was kept.  Never
 * fails the save: problems are logged. */
bool rbd_keep_mail(struct rbd_txn *txn, struct mail *mail);

/* rebound-commit.c */

/* Record every kept result in the ledger, or spool it for its batch
 * (batch_ms).  Logs problems; never fails. */
void rbd_commit_kept(struct rbd_txn *txn);

/* At the plugin's deinit: record the batch this process spooled. */
void rbd_batch_deinit(void);

#endif
