/* handle.c - the process's one ledger handle.
 *
 * tdb refuses to open a file a second time in the same process (EBUSY),
 * and in Exim local_scan, the RCPT ACL's dlfunc and the event dlfunc can
 * all run in one process.  So the module keeps one handle, opened on
 * first use.  A child forked after the open (Exim forks deliveries from
 * receivers) must not use its parent's handle: tdb's locks belong to the
 * process that took them.  The child closes it (tdb keeps a per-process
 * list of open files, which would otherwise refuse the reopen) and opens
 * its own.
 */
#include "module.h"

#include <stdio.h>
#include <string.h>
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

	handle.ledger = rebound_ledger_open(path,
					    create ? REBOUND_LEDGER_CREATE : 0,
					    err, errlen);
	if (handle.ledger == NULL)
		return NULL;
	handle.pid = pid;
	snprintf(handle.path, sizeof handle.path, "%s", path);
	return handle.ledger;
}
