/* rebound-plugin.c - Dovecot plugin (lib90_rebound_plugin.so, "rebound"
 * in mail_plugins; needs "notify" loaded too).
 *
 * Catches bounces that land in a mailbox instead of on the return path
 * (a gateway's "Email Delivery Failure" notice sent to the original's
 * sender, DSNs of mail sent from a person's mailbox).  For every message
 * saved or copied into a monitored mailbox (LDA, LMTP, IMAP APPEND,
 * COPY/MOVE, doveadm save) the notify callbacks
 *   mail_save / mail_copy        read and classify it, keep the result;
 *   mail_transaction_commit      record the kept results in the ledger;
 *   mail_transaction_rollback    forget them.
 * Transactions on other mailboxes get no state and cost nothing.
 *
 * Never fails a delivery: the callbacks return nothing, every problem is
 * one log line starting "rebound:", and the save goes on.
 */
#include "lib.h"	/* first: pulls in Dovecot's own config.h */
#include "mail-storage.h"
#include "notify-plugin.h"

#include "rebound-plugin.h"

/* Built with -fvisibility=hidden; these are what Dovecot's module loader
 * looks up. */
#define REBOUND_EXPORT __attribute__((visibility("default")))

REBOUND_EXPORT extern const char *rebound_plugin_version;
REBOUND_EXPORT extern const char *rebound_plugin_dependencies[];
REBOUND_EXPORT void rebound_plugin_init(struct module *module);
REBOUND_EXPORT void rebound_plugin_deinit(void);

const char *rebound_plugin_version = DOVECOT_ABI_VERSION;
const char *rebound_plugin_dependencies[] = { "notify", NULL };

static struct notify_context *rbd_notify_ctx;

static void *rbd_txn_begin(struct mailbox_transaction_context *t)
{
	rbd_check_monitored_exist(mailbox_transaction_get_mailbox(t));
	return rbd_txn_new(mailbox_transaction_get_mailbox(t));
}

/* Tag a kept message with rebound_keyword, when one is set. */
static void set_keyword(struct rbd_txn *txn, struct mail *mail)
{
	const char *names[] = { txn->set.keyword, NULL };
	struct mail_keywords *kw;
	const char *error;

	if (txn->set.keyword == NULL)
		return;
	if (!mailbox_keyword_is_valid(mail->box, txn->set.keyword, &error)) {
		i_warning(RBD_LOG "rebound_keyword %s: %s",
			  txn->set.keyword, error);
		return;
	}
	kw = mailbox_keywords_create_valid(mail->box, names);
	mail_update_keywords(mail, MODIFY_ADD, kw);
	mailbox_keywords_unref(&kw);
}

static void rbd_mail_save(void *_txn, struct mail *mail)
{
	struct rbd_txn *txn = _txn;

	if (txn == NULL)
		return;
	if (rbd_keep_mail(txn, mail))
		set_keyword(txn, mail);
}

/* The source is read: it is a committed mail in any storage, while the
 * copy may still be a link or a reference inside this transaction. */
static void rbd_mail_copy(void *_txn, struct mail *src, struct mail *dst)
{
	struct rbd_txn *txn = _txn;

	if (txn == NULL)
		return;
	if (rbd_keep_mail(txn, src))
		set_keyword(txn, dst);
}

static void
rbd_txn_commit(void *_txn,
	       struct mail_transaction_commit_changes *changes ATTR_UNUSED)
{
	struct rbd_txn *txn = _txn;

	if (txn == NULL)
		return;
	rbd_commit_kept(txn);
	rbd_txn_free(&txn);
}

static void rbd_txn_rollback(void *_txn)
{
	struct rbd_txn *txn = _txn;

	if (txn == NULL)
		return;
	if (txn->set.debug && txn->bounces > 0) {
		i_debug(RBD_LOG "%s: rolled back, %u bounce(s) not recorded",
			txn->set.mailbox, txn->bounces);
	}
	rbd_txn_free(&txn);
}

static const struct notify_vfuncs rbd_notify_vfuncs = {
	.mail_transaction_begin = rbd_txn_begin,
	.mail_save = rbd_mail_save,
	.mail_copy = rbd_mail_copy,
	.mail_transaction_commit = rbd_txn_commit,
	.mail_transaction_rollback = rbd_txn_rollback,
};

void rebound_plugin_init(struct module *module ATTR_UNUSED)
{
	rbd_notify_ctx = notify_register(&rbd_notify_vfuncs);
}

void rebound_plugin_deinit(void)
{
	/* Notices spooled for a batch not yet due: in the ledger before
	   the process ends. */
	rbd_batch_deinit();
	if (rbd_notify_ctx != NULL)
		notify_unregister(rbd_notify_ctx);
	rbd_notify_ctx = NULL;
	/* The compiled rule tables are per process; leak checkers want them
	   gone. */
	rebound_classify_release();
}
