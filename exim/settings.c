/* settings.c - the module's configuration, the Exim way.
 *
 * Debian's Exim has no local_scan options, so settings come from acl_m_
 * variables that the DATA and non-SMTP ACLs set (they travel with the
 * message into delivery, where the dlfuncs run):
 *
 *   acl_m_rebound_db      the ledger file
 *   acl_m_rebound_config  the key = value file (else REBOUND_CONFIG_FILE)
 *   acl_m_rebound_<key>   any key of that file (common/ledger/config.h)
 *
 * Order: compiled-in defaults, then the file, then the variables.  The
 * parsed file is kept per process and read again only when it changes,
 * so a connection carrying many messages reads it once.
 */
#include "module.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rebound-config.h"
#include "common/mail/mail.h"

/* The keys an acl_m_rebound_<key> variable may set, in the order they
 * are applied: a policy preset first, so that numbers set next to it
 * override it (as in the file). */
static const char *const setting_keys[] = {
	"policy",
	"campaign_header", "verp_format", "verp_secret_file",
	"require_signed_verp", "discard_bounces", "time_budget_ms",
	"batch_ms",
	"soft_limit", "block_suspend_hours", "suspect_suspend_hours",
	"pending_expire_hours", "global_domains", "global_window_days",
	"campaign_min_sends", "campaign_max_rate", "campaign_pause_hours",
	"event_retention_days", "hard_limit", "suspect_delivered_days",
	"suspect_burst_count", "suspect_burst_minutes",
};

const char *rbx_acl_var(const char *name)
{
	char var[96];

	if (snprintf(var, sizeof var, "$acl_m_rebound_%s", name) >= (int)sizeof var)
		return NULL;
	const uschar *v = expand_string(US var);
	if (v == NULL || *v == '\0')
		return NULL;
	return (const char *)v;
}

/* The file as last parsed in this process (on top of the defaults). */
static struct {
	bool valid;
	char path[sizeof ((rebound_config *)0)->db_path];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	int rc;
	char err[RBX_ERRLEN];
	rebound_config conf;
} file_cache;

static int load_file(rebound_config *c, const char *path, bool missing_ok,
		     char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return rebound_error(err, errlen, "%s: %s", path,
				     strerror(errno));
	}
	if (file_cache.valid && strcmp(file_cache.path, path) == 0 &&
	    file_cache.dev == st.st_dev && file_cache.ino == st.st_ino &&
	    file_cache.size == st.st_size &&
	    file_cache.mtime.tv_sec == st.st_mtim.tv_sec &&
	    file_cache.mtime.tv_nsec == st.st_mtim.tv_nsec &&
	    file_cache.ctime.tv_sec == st.st_ctim.tv_sec &&
	    file_cache.ctime.tv_nsec == st.st_ctim.tv_nsec) {
		*c = file_cache.conf;
		if (file_cache.rc != 0)
			rebound_error(err, errlen, "%s", file_cache.err);
		return file_cache.rc;
	}

	file_cache.valid = false;
	file_cache.err[0] = '\0';
	file_cache.rc = rebound_config_load(c, path, missing_ok,
					    file_cache.err,
					    sizeof file_cache.err);
	if (file_cache.rc != 0)
		rebound_error(err, errlen, "%s", file_cache.err);
	if (strlen(path) < sizeof file_cache.path) {
		snprintf(file_cache.path, sizeof file_cache.path, "%s", path);
		file_cache.dev = st.st_dev;
		file_cache.ino = st.st_ino;
		file_cache.size = st.st_size;
		file_cache.mtime = st.st_mtim;
		file_cache.ctime = st.st_ctim;
		file_cache.conf = *c;
		file_cache.valid = true;
	}
	return file_cache.rc;
}

void rbx_settings(rebound_config *c)
{
	char err[RBX_ERRLEN];

	rebound_config_defaults(c);

	const char *path = rbx_acl_var("config");
	bool missing_ok = path == NULL;
	if (path == NULL)
		path = REBOUND_CONFIG_FILE;
	err[0] = '\0';
	int rc = load_file(c, path, missing_ok, err, sizeof err);
	/* Once per process: every message of a connection would repeat it. */
	static char logged[RBX_ERRLEN];
	if (rc != 0 && strcmp(err, logged) != 0) {
		snprintf(logged, sizeof logged, "%s", err);
		if (rc == REBOUND_CONFIG_BAD_LINES)
			rbx_log("configuration %s; bad lines skipped, the "
				"others apply", err);
		else
			rbx_log("configuration %s; going on with the defaults",
				err);
	}

	const char *db = rbx_acl_var("db");
	if (db != NULL) {
		if (strlen(db) < sizeof c->db_path)
			snprintf(c->db_path, sizeof c->db_path, "%s", db);
		else
			rbx_log("acl_m_rebound_db: path too long; ignored");
	}

	for (size_t i = 0; i < sizeof setting_keys / sizeof setting_keys[0]; i++) {
		const char *v = rbx_acl_var(setting_keys[i]);
		if (v == NULL)
			continue;
		err[0] = '\0';
		if (rebound_config_set(c, setting_keys[i], v, err, sizeof err) != 0)
			rbx_log("acl_m_rebound_%s: %s; ignored", setting_keys[i], err);
	}
}
