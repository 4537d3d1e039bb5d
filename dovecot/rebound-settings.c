/* rebound-settings.c - which mailboxes the plugin watches, and the
 * settings of their user.
 *
 * Everything comes through mail_user_plugin_getenv(), i.e. from plugin {}
 * or per user from userdb:
 *   rebound_mailboxes  mailbox names or wildcard patterns, space-separated
 *                      ("Bounces INBOX", "Bounces.*"); unset: plugin idle
 *   rebound_db         the ledger (overrides db in the config file)
 *   rebound_config     the rebound.conf to read (default: the installed one)
 *   rebound_keyword    keyword set on processed bounces (optional)
 * The values are copied into the transaction, whose commit runs after
 * Dovecot has freed the transaction itself.  A monitored mailbox that
 * does not exist is said once per process: deliveries to it land in INBOX
 * (Debian's defaults create no mailbox), and nothing else would tell.
 */
#include "lib.h"
#include "str.h"
#include "wildcard-match.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "mail-namespace.h"

#include "rebound-config.h"
#include "rebound-plugin.h"

static bool pattern_matches(const char *pattern, const char *vname)
{
	/* INBOX is case-insensitive in IMAP; Dovecot's vname is "INBOX". */
	if (strcasecmp(pattern, "INBOX") == 0)
		return strcmp(vname, "INBOX") == 0;
	return wildcard_match(vname, pattern);
}

bool rbd_mailbox_monitored(const char *patterns, const char *vname)
{
	bool found = FALSE;

	if (patterns == NULL || vname == NULL)
		return FALSE;
	T_BEGIN {
		const char *const *p = t_strsplit_spaces(patterns, " \t,");

		for (; *p != NULL && !found; p++)
			found = pattern_matches(*p, vname);
	} T_END;
	return found;
}

/* NULL for unset or empty settings. */
static const char *
setting_dup(pool_t pool, struct mail_user *user, const char *name)
{
	const char *value = mail_user_plugin_getenv(user, name);

	return value == NULL || *value == '\0' ? NULL : p_strdup(pool, value);
}

/* The domain of "user@domain" (LMTP gives that form; IMAP and the LDA
 * usually give the bare name, and then there is none). */
static const char *owner_domain(pool_t pool, const char *username)
{
	const char *at = username == NULL ? NULL : strrchr(username, '@');

	if (at == NULL || at[1] == '\0')
		return NULL;
	return p_strdup(pool, at + 1);
}

/* Does the mailbox vname exist for user (or is it created on demand,
 * auto = create)?  TRUE when it cannot be told. */
static bool mailbox_there(struct mail_user *user, const char *vname)
{
	struct mail_namespace *ns = mail_namespace_find(user->namespaces,
							vname);
	enum mailbox_existence existence = MAILBOX_EXISTENCE_SELECT;
	struct mailbox *box;

	if (ns == NULL)
		return TRUE;
	box = mailbox_alloc(ns->list, vname, 0);
	if (mailbox_exists(box, TRUE, &existence) < 0)
		existence = MAILBOX_EXISTENCE_SELECT;
	mailbox_free(&box);
	return existence != MAILBOX_EXISTENCE_NONE;
}

void rbd_check_monitored_exist(struct mailbox *box)
{
	/* One line per process; each user is looked at once in a row (an
	   LMTP process serves many). */
	static bool warned;
	static char last_user[256];
	struct mail_user *user = mailbox_get_namespace(box)->user;
	const char *patterns;

	/* Not the raw user that LDA and LMTP read the incoming mail with. */
	if (warned || user->autocreated ||
	    strcmp(last_user, user->username) == 0)
		return;
	i_strocpy(last_user, user->username, sizeof(last_user));
	patterns = mail_user_plugin_getenv(user, "rebound_mailboxes");
	/* An empty userdb field arrives as "yes": the plugin is off then. */
	if (patterns == NULL || *patterns == '\0' ||
	    strcmp(patterns, "yes") == 0)
		return;
	T_BEGIN {
		const char *const *p = t_strsplit_spaces(patterns, " \t,");

		for (; *p != NULL && !warned; p++) {
			if (strpbrk(*p, "*?") != NULL ||
			    strcasecmp(*p, "INBOX") == 0 ||
			    mailbox_there(user, *p))
				continue;
			i_warning(RBD_LOG "monitored mailbox %s does not exist "
				  "for %s: mail for it is saved elsewhere "
				  "(INBOX) and not recorded; create it "
				  "(auto = create, doc/dovecot.md)",
				  *p, user->username);
			warned = TRUE;
		}
	} T_END;
}

struct rbd_txn *rbd_txn_new(struct mailbox *box)
{
	struct mail_namespace *ns = mailbox_get_namespace(box);
	struct mail_user *user = ns->user;
	/* In a shared namespace the owner sent the mail, not the reader. */
	struct mail_user *owner = ns->owner != NULL ? ns->owner : user;
	const char *vname = mailbox_get_vname(box);
	struct rbd_txn *txn;
	pool_t pool;

	if (!rbd_mailbox_monitored(
		    mail_user_plugin_getenv(user, "rebound_mailboxes"), vname))
		return NULL;

	pool = pool_alloconly_create("rebound transaction", 1024);
	txn = p_new(pool, struct rbd_txn, 1);
	txn->pool = pool;
	txn->set.db = setting_dup(pool, user, "rebound_db");
	txn->set.config = setting_dup(pool, user, "rebound_config");
	txn->set.keyword = setting_dup(pool, user, "rebound_keyword");
	txn->set.username = p_strdup(pool, user->username);
	txn->set.owner_domain = owner_domain(pool, owner->username);
	txn->set.mailbox = p_strdup(pool, vname);
	txn->set.debug = user->mail_debug;
	if (user->service != NULL && strcmp(user->service, "lmtp") == 0 &&
	    user->session_id != NULL) {
		const char *colon = strchr(user->session_id, ':');
		txn->set.delivery = colon == NULL ?
			p_strdup(pool, user->session_id) :
			p_strdup_until(pool, user->session_id, colon);
	}
	txn->kept_tail = &txn->kept;
	return txn;
}

void rbd_txn_free(struct rbd_txn **_txn)
{
	struct rbd_txn *txn = *_txn;

	if (txn == NULL)
		return;
	*_txn = NULL;
	rebound_verp_key_clear(&txn->key);
	rebound_arena_free(txn->scratch);
	rebound_arena_free(txn->keep);
	pool_unref(&txn->pool);
}

void rbd_txn_load_config(struct rbd_txn *txn)
{
	char err[512];
	const char *path = txn->set.config != NULL ? txn->set.config :
		REBOUND_CONFIG_FILE;

	if (txn->config_loaded)
		return;
	txn->config_loaded = TRUE;
	rebound_config_defaults(&txn->cfg);
	/* The installed file is optional; a file named in the settings is
	   not. */
	int rc = rebound_config_load(&txn->cfg, path,
				     txn->set.config == NULL, err,
				     sizeof(err));
	/* Once per process (an LMTP process serves many transactions),
	   and again only when the problem changes. */
	static char logged[sizeof(err)];
	if (rc < 0 && strcmp(err, logged) != 0) {
		i_strocpy(logged, err, sizeof(logged));
		if (rc == REBOUND_CONFIG_BAD_LINES)
			i_warning(RBD_LOG "configuration %s; bad lines "
				  "skipped, the others apply", err);
		else
			i_warning(RBD_LOG "configuration %s; going on with "
				  "the defaults", err);
	}
	if (txn->set.db != NULL &&
	    i_strocpy(txn->cfg.db_path, txn->set.db,
		      sizeof(txn->cfg.db_path)) < 0) {
		i_error(RBD_LOG "rebound_db is too long, nothing recorded");
		txn->cfg.db_path[0] = '\0';
	}
}
