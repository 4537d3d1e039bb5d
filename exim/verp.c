/* verp.c - signed VERP return paths in Exim (doc/verp.md).
 *
 *   ${dlfunc{rebound.so}{rebound_return_path}{$return_path}{$local_part@$domain}}
 *       for an smtp transport's return_path: the return path signed for
 *       that recipient with verp_secret_file, laid out as verp_format
 *       says.  Any problem (no secret configured, an unreadable or unsafe
 *       secret file) answers the unsigned return path, so mail still goes.
 *
 * local_scan asks rbx_verp_vouch() which recipients the signed return
 * paths an incoming bounce came back to (its envelope recipients) vouch
 * for when require_signed_verp is set: each valid signature for the one
 * recipient it names.  The ledger records every other recipient of the
 * notice as unverified, and it changes no state.
 *
 * The secret is read once per process and again only when the file
 * changes.
 */
#include "module.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ledger/ledger.h"
#include "common/mail/mail.h"

REBOUND_EXPORT int rebound_return_path(uschar **yield, int argc, uschar *argv[]);

static struct {
	bool loaded;
	char path[sizeof ((rebound_config *)0)->verp_secret_file];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	rebound_verp_key key;
} key_cache;

/* The key in `path`, or NULL with err set. */
static const rebound_verp_key *get_key(const char *path, char *err,
				       size_t errlen)
{
	struct stat st;

	if (path[0] == '\0') {
		rebound_error(err, errlen, "no verp_secret_file configured");
		return NULL;
	}
	if (stat(path, &st) != 0) {
		rebound_error(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (key_cache.loaded && strcmp(key_cache.path, path) == 0 &&
	    key_cache.dev == st.st_dev && key_cache.ino == st.st_ino &&
	    key_cache.mtime.tv_sec == st.st_mtim.tv_sec &&
	    key_cache.mtime.tv_nsec == st.st_mtim.tv_nsec)
		return &key_cache.key;

	rebound_verp_key_clear(&key_cache.key);
	key_cache.loaded = false;
	if (rebound_verp_key_load(&key_cache.key, path, err, errlen) != 0)
		return NULL;
	snprintf(key_cache.path, sizeof key_cache.path, "%s", path);
	key_cache.dev = st.st_dev;
	key_cache.ino = st.st_ino;
	key_cache.mtime = st.st_mtim;
	key_cache.loaded = true;
	return &key_cache.key;
}

void rbx_verp_vouch(const rebound_config *c, rebound_verp_vouch *v)
{
	char err[RBX_ERRLEN] = "";
	const char *fmt = c->verp_format[0] ? c->verp_format : NULL;

	rebound_verp_vouch_init(v, c->require_signed_verp);
	if (!c->require_signed_verp)
		return;
	const rebound_verp_key *key = get_key(c->verp_secret_file, err, sizeof err);
	if (key == NULL) {
		rbx_log("require_signed_verp is set but the secret is not "
			"usable (%s); bounce recorded as unverified", err);
		return;
	}
	for (int i = 0; i < recipients_count; i++) {
		const char *to = (const char *)recipients_list[i].address;
		if (to != NULL)
			rebound_verp_vouch_add(v, key, fmt, to, rbx_now(), 0);
	}
	if (v->n > 0)
		return;
	/* Nobody vouched for: say why for the first return path. */
	char to[330];
	rbx_clean(to, sizeof to, v->checked > 0 ? v->first_failed_address : NULL);
	rbx_log("return path %s not verified (%s); bounce recorded as "
		"unverified", to, rebound_verp_status_name(
			v->checked > 0 ? v->first_failed : REBOUND_VERP_UNSIGNED));
}

int rebound_return_path(uschar **yield, int argc, uschar *argv[])
{
	static bool told_unconfigured;
	rebound_config conf;
	char err[RBX_ERRLEN] = "", out[1024];

	if (argc != 2 || argv[0] == NULL || argv[1] == NULL) {
		rbx_log("rebound_return_path wants {$return_path}{RECIPIENT}");
		*yield = string_copy(argc >= 1 && argv[0] != NULL ? argv[0] : US"");
		return OK;
	}
	/* A bounce being sent has an empty return path: it stays empty. */
	if (argv[0][0] == '\0') {
		*yield = string_copy(argv[0]);
		return OK;
	}
	rbx_settings(&conf);
	if (conf.verp_secret_file[0] == '\0') {
		if (!told_unconfigured)
			rbx_log("rebound_return_path: no verp_secret_file "
				"configured; return paths are not signed");
		told_unconfigured = true;
		*yield = string_copy(argv[0]);
		return OK;
	}
	const rebound_verp_key *key = get_key(conf.verp_secret_file, err, sizeof err);
	if (key == NULL ||
	    rebound_verp_sign(key, conf.verp_format[0] ? conf.verp_format : NULL,
			      (const char *)argv[0], (const char *)argv[1],
			      rbx_now(), out, sizeof out, err, sizeof err) != 0) {
		char rcpt[330];
		rbx_clean(rcpt, sizeof rcpt, (const char *)argv[1]);
		rbx_log("rebound_return_path for %s: %s; sent unsigned", rcpt, err);
		*yield = string_copy(argv[0]);
		return OK;
	}
	*yield = string_copy(US out);
	return OK;
}
