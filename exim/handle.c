/* handle.c - the process's one ledger handle.
 *
 * tdb refuses to open a file a second time in the same process (EBUSY),
 * and in Exim local_scan, the RCPT ACL's dlfunc and the event dlfunc can
 * all run in one process.  So the module keeps one handle, opened on
 * first use.  A child forked after the open (Exim forks deliveries from
 * receivers) must not use its parent's handle: tdb's locks belong to the
 * process that took them.  The child closes it (tdb keeps a per-process
 * list of open files, which would otherwise refuse the reopen) and opens
 * its own.  local_scan may create a missing ledger (the dlfuncs never
 * do); when it does, one log line says so.
 */
#include "module.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mail/mail.h"

static struct {
	rebound_ledger *ledger;
	pid_t pid;
	char path[sizeof ((rebound_config *)0)->db_path];
} handle;

void rbx_ledger_drop(void)
{
	if (handle.ledger != NULL)
		rebound_ledger_close(handle.ledger);
	handle.ledger = NULL;
	handle.path[0] = '\0';
}

/* "created the ledger PATH (... owner Debian-exim:rebound, mode 0660)" */
static void log_created(const char *path, const struct stat *st)
{
	char owner[64], group[64];
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);

	if (pw != NULL)
		snprintf(owner, sizeof owner, "%s", pw->pw_name);
	else
		snprintf(owner, sizeof owner, "%ld", (long)st->st_uid);
	if (gr != NULL)
		snprintf(group, sizeof group, "%s", gr->gr_name);
	else
		snprintf(group, sizeof group, "%ld", (long)st->st_gid);
	rbx_log("created the ledger %s (none was there; owner %s:%s, "
		"mode %04o)", path, owner, group,
		(unsigned)(st->st_mode & 07777));
}

rebound_ledger *rbx_ledger(const char *path, bool create,
			   char *err, size_t errlen)
{
	pid_t pid = getpid();

	if (path == NULL || *path == '\0') {
		rebound_error(err, errlen, "no ledger path set");
		return NULL;
	}
	if (strlen(path) >= sizeof handle.path) {
		rebound_error(err, errlen, "ledger path too long");
		return NULL;
	}
	if (handle.ledger != NULL &&
	    (handle.pid != pid || strcmp(handle.path, path) != 0))
		rbx_ledger_drop();
	if (handle.ledger != NULL)
		return handle.ledger;

	/* Creating is local_scan's fallback for a ledger nobody created
	   (doc/install.md): say so, since it decides the file's owner. */
	struct stat st;
	bool missing = create && stat(path, &st) != 0 && errno == ENOENT;
	handle.ledger = rebound_ledger_open(path,
					    create ? REBOUND_LEDGER_CREATE : 0,
					    err, errlen);
	if (handle.ledger == NULL)
		return NULL;
	if (missing && stat(path, &st) == 0)
		log_created(path, &st);
	handle.pid = pid;
	snprintf(handle.path, sizeof handle.path, "%s", path);
	return handle.ledger;
}
