/* rebound-plugin.c - Dovecot plugin (lib90_rebound_plugin.so, "rebound"
 * in mail_plugins; needs "notify" loaded too).
 *
 * Skeleton: registers with the notify plugin with callbacks that do
 * nothing, so that loading it cannot affect delivery.  The adapter to
 * the core comes later (classify in mail_save/mail_copy, record in
 * mail_transaction_commit, forget in mail_transaction_rollback).
 */
#include "lib.h"	/* first: pulls in Dovecot's own config.h */
#include "notify-plugin.h"

#include "rebound-config.h"

/* Built with -fvisibility=hidden; these are what Dovecot's module loader
 * looks up. */
#define REBOUND_EXPORT __attribute__((visibility("default")))

REBOUND_EXPORT extern const char *rebound_plugin_version;
REBOUND_EXPORT extern const char *rebound_plugin_dependencies[];
REBOUND_EXPORT void rebound_plugin_init(struct module *module);
REBOUND_EXPORT void rebound_plugin_deinit(void);

const char *rebound_plugin_version = DOVECOT_ABI_VERSION;
const char *rebound_plugin_dependencies[] = { "notify", NULL };

static struct notify_context *rebound_notify_ctx;

static void *rebound_txn_begin(struct mailbox_transaction_context *t ATTR_UNUSED)
{
	return NULL;
}

static void rebound_mail_save(void *txn ATTR_UNUSED, struct mail *mail ATTR_UNUSED)
{
}

static void rebound_mail_copy(void *txn ATTR_UNUSED, struct mail *src ATTR_UNUSED,
			      struct mail *dst ATTR_UNUSED)
{
}

static void
rebound_txn_commit(void *txn ATTR_UNUSED,
		   struct mail_transaction_commit_changes *changes ATTR_UNUSED)
{
}

static void rebound_txn_rollback(void *txn ATTR_UNUSED)
{
}

static const struct notify_vfuncs rebound_notify_vfuncs = {
	.mail_transaction_begin = rebound_txn_begin,
	.mail_save = rebound_mail_save,
	.mail_copy = rebound_mail_copy,
	.mail_transaction_commit = rebound_txn_commit,
	.mail_transaction_rollback = rebound_txn_rollback,
};

void rebound_plugin_init(struct module *module ATTR_UNUSED)
{
	rebound_notify_ctx = notify_register(&rebound_notify_vfuncs);
}

void rebound_plugin_deinit(void)
{
	if (rebound_notify_ctx != NULL)
		notify_unregister(rebound_notify_ctx);
	rebound_notify_ctx = NULL;
}
