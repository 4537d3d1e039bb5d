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
 *
 * Also here: recording a due batch of spooled notices (batch_ms), which
 * local_scan does after it spooled its own notice and the RCPT check
 * does at its first lookup in a process (doc/exim.md, "Batches").
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

/* How long a replay here waits for another process's lock: the notices
 * are safe in the spool, so the mail does not wait for them; whoever
 * comes next records them. */
#define REPLAY_LOCK_WAIT_MS 20
/* How long one replay may go on starting batches (each at most 200
 * notices: tens of milliseconds). */
#define REPLAY_MS 200

/* A recorded notice of the batch: what became of each recipient that
 * its own message logged as state=queued, one line each, naming the
 * notice (the line carries the id of the message being handled now). */
static void log_recorded(void *arg, const rebound_result *res,
			 const rebound_record_context *ctx,
			 const rebound_outcome *out, size_t nout)
{
	char notice[200], tail[220];

	(void)arg;
	(void)ctx;
	rbx_clean(notice, sizeof notice, res->message_id);
	snprintf(tail, sizeof tail, " notice=%s", notice);
	for (size_t i = 0; i < nout; i++) {
		rbx_rcpt_text t;
		rbx_describe_recipient(res, rbx_rcpt_for(res, &out[i], i),
				       &out[i], &t);
		rbx_log_recipient("batch: ", res, &t, tail);
	}
	if (res->nrcpt > nout)
		rbx_log("batch: %zu more recipients of notice=%s recorded, "
			"not listed", res->nrcpt - nout, notice);
}

void rbx_replay_due(const rebound_config *c, const char *path, bool create,
		    int64_t left_ms)
{
	unsigned wait;
	char err[RBX_ERRLEN] = "";

	if (left_ms <= 0 || c->batch_ms == 0 ||
	    rebound_ledger_batch_due(path, c->batch_ms, &wait) != 1)
		return;
	unsigned keep = rebound_ledger_lock_wait();
	rebound_ledger_set_lock_wait(left_ms < REPLAY_LOCK_WAIT_MS ?
					     (unsigned)left_ms :
					     REPLAY_LOCK_WAIT_MS);
	rebound_ledger_set_deadline((int)left_ms);
	rebound_ledger *l = rbx_ledger(path, create, err, sizeof err);
	rebound_replay_stats st;
	memset(&st, 0, sizeof st);
	int rc = -1;
	if (l != NULL) {
		rc = rebound_ledger_replay_report(l, &c->policy, 0, REPLAY_MS,
						  log_recorded, NULL, &st,
						  err, sizeof err);
		if (rc < 0)
			rbx_ledger_drop();
	}
	rebound_ledger_set_deadline(-1);
	rebound_ledger_set_lock_wait(keep);
	char e[RBX_ERRLEN];
	rbx_clean(e, sizeof e, err);
	if (rc < 0 && st.replayed == 0)
		rbx_log("batch not recorded now (%s); its notices wait in the "
			"spool", e);
	else if (st.replayed > 0 || st.bad > 0)
		rbx_log("batch recorded: %lu notice%s (%lu seen before) in %lu "
			"transaction%s, %lu left waiting%s%s%s%s",
			st.replayed, st.replayed == 1 ? "" : "s",
			st.duplicates, st.commits, st.commits == 1 ? "" : "s",
			st.left, st.bad ? "; set aside as bad: " : "",
			st.bad ? st.first_bad : "",
			rc < 0 ? "; stopped: " : "", rc < 0 ? e : "");
}
