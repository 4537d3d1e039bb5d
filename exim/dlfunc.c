/* dlfunc.c - the ${dlfunc} entry points of rebound.so.
 *
 *   ${dlfunc{rebound.so}{rebound_suppressed}{ADDRESS}{DBPATH}}
 *       "yes" when mail to ADDRESS must not be sent now (suppressed,
 *       global, suspended), else "no".  For a router condition or an ACL.
 *   ${dlfunc{rebound.so}{rebound_event}{$event_name}{ADDRESS}{$event_data}{DBPATH}}
 *       for a transport's event_action: records a remote server's
 *       rejection (msg:fail:delivery, msg:rcpt:defer, msg:rcpt:host:defer)
 *       or a delivery (msg:delivery); always expands to "".
 *   ${dlfunc{rebound.so}{rebound_preload}{N}}
 *       expands to N ("0" without it) and does nothing else: for
 *       smtp_accept_max_per_host, which Exim's daemon expands before it
 *       forks a reception process, so that the daemon loads rebound.so
 *       once and every reception process inherits it instead of loading
 *       it at its first local_scan (doc/exim.md, "What a bounce costs").
 *
 * DBPATH may be empty or left out: then $acl_m_rebound_db, the
 * configuration file and the default decide, as for local_scan.
 *
 * Fail open: any problem gives OK with "no" (or ""), never an expansion
 * failure, because a failure defers the RCPT or the routing and a forced
 * failure makes an ACL condition true (doc/platform.md §1.5).  Neither entry
 * point creates the ledger: at router time they run as root.
 */
#include "module.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mail/mail.h"
#include "common/classify/classify.h"

REBOUND_EXPORT int rebound_suppressed(uschar **yield, int argc, uschar *argv[]);
REBOUND_EXPORT int rebound_event(uschar **yield, int argc, uschar *argv[]);
REBOUND_EXPORT int rebound_preload(uschar **yield, int argc, uschar *argv[]);

/* Arena for one event: the reply, its one-line copy, the address. */
#define EVENT_ARENA ((size_t)256 << 10)
/* An SMTP reply longer than this is cut before classification. */
#define MAX_REPLY 4096

static int answer(uschar **yield, const char *s)
{
	*yield = string_copy(US s);
	return OK;
}

/* The ledger path: the argument when given, else the settings. */
static const char *db_path(int argc, uschar *argv[], int i,
			   rebound_config *c)
{
	if (argc > i && argv[i] != NULL && argv[i][0] != '\0') {
		/* Given a path, the RCPT-time check needs no expansions. */
		rebound_config_defaults(c);
		return (const char *)argv[i];
	}
	rbx_settings(c);
	return c->db_path;
}

/* A DSN that no later notice follows waits in the spool (batch_ms): the
 * first lookup of a process, and again batch_ms after its last look,
 * records a due batch first, so that a lookup sees a notice at most
 * batch_ms after it was accepted (doc/exim.md, "Batches").  Given a
 * path, the lookup has the defaults only: the settings proper (the
 * policy to record with) are read only when a batch is due. */
static void replay_before_lookup(const char *path, const rebound_config *c,
				 bool path_given)
{
	static pid_t pid;
	static int64_t last;
	int64_t now = rbx_now_ms();
	unsigned wait;

	if (c->batch_ms == 0 ||
	    (pid == getpid() && now - last < (int64_t)c->batch_ms))
		return;
	pid = getpid();
	last = now;
	if (rebound_ledger_batch_due(path, c->batch_ms, &wait) != 1)
		return;
	rebound_config full;
	if (path_given)
		rbx_settings(&full);
	else
		full = *c;
	/* The file's batch_ms = 0 (no batching): notices spooled while
	   the ledger was locked wait for the next writer, as before. */
	if (full.batch_ms > 0)
		rbx_replay_due(&full, path, false,
			       rebound_config_time_budget_ms(&full));
}

int rebound_suppressed(uschar **yield, int argc, uschar *argv[])
{
	rebound_config conf;
	char err[RBX_ERRLEN] = "", addr[330];

	if (argc < 1 || argc > 2 || argv[0] == NULL) {
		rbx_log("rebound_suppressed wants {ADDRESS} and an optional "
			"{DBPATH}; answering no");
		return answer(yield, "no");
	}
	const char *address = (const char *)argv[0];
	if (strlen(address) >= 320 || strchr(address, '@') == NULL)
		return answer(yield, "no");

	const char *path = db_path(argc, argv, 1, &conf);
	rebound_ledger_set_lock_wait(rebound_config_time_budget_ms(&conf));
	replay_before_lookup(path, &conf, argc > 1 && argv[1] != NULL &&
					  argv[1][0] != '\0');
	rebound_ledger *l = rbx_ledger(path, false, err, sizeof err);
	int rc = -1;
	if (l != NULL) {
		rc = rebound_ledger_may_send(l, address, rbx_now(), err, sizeof err);
		if (rc < 0)
			rbx_ledger_drop();
	}
	/* No ledger yet (nothing recorded since installation): nobody is
	 * suppressed, and saying so at every RCPT would flood the log. */
	struct stat st;
	if (l == NULL && stat(path, &st) != 0 && errno == ENOENT)
		return answer(yield, "no");
	if (rc < 0) {
		rbx_clean(addr, sizeof addr, address);
		rbx_log("rebound_suppressed %s: %s; answering no", addr, err);
		return answer(yield, "no");
	}
	return answer(yield, rc == 0 ? "yes" : "no");
}

/* The SMTP reply inside Exim's error text ("SMTP error from remote mail
 * server after RCPT TO:<a@b>: 550 5.1.1 ..."): from the first reply code
 * that starts the text or follows ": ".  NULL when the text holds none,
 * i.e. the failure was not a remote server's answer. */
static const char *find_reply(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (p != s && !(p >= s + 2 && p[-1] == ' ' && p[-2] == ':'))
			continue;
		if ((p[0] == '4' || p[0] == '5') && rebound_is_digit(p[1]) &&
		    rebound_is_digit(p[2]) &&
		    (p[3] == ' ' || p[3] == '-' || p[3] == '\0'))
			return p;
	}
	return NULL;
}

/* An Exim variable, or NULL when empty or not set here. */
static const char *expand_var(const char *name)
{
	const uschar *v = expand_string(US name);
	return v != NULL && *v != '\0' ? (const char *)v : NULL;
}

static int record_event(const char *event, const char *address,
			const char *data, const char *path)
{
	rebound_action action;
	char err[RBX_ERRLEN] = "";

	if (strcmp(event, "msg:delivery") == 0)
		action = REBOUND_ACTION_DELIVERED;
	else if (strcmp(event, "msg:fail:delivery") == 0)
		action = REBOUND_ACTION_FAILED;
	else if (strcmp(event, "msg:rcpt:defer") == 0 ||
		 strcmp(event, "msg:rcpt:host:defer") == 0)
		action = REBOUND_ACTION_DELAYED;
	else
		return 0;

	const char *reply = NULL;
	if (action != REBOUND_ACTION_DELIVERED) {
		/* Router failures (our own :fail:) and local errors carry no
		 * reply: nothing a remote server said about the address. */
		reply = find_reply(data);
		if (reply == NULL)
			return 0;
	}

	rebound_arena *arena = rebound_arena_new(EVENT_ARENA);
	if (arena == NULL) {
		rbx_log("event %s: out of memory; not recorded", event);
		return -1;
	}
	rebound_recipient rcpt;
	int rc = 0;
	if (action == REBOUND_ACTION_DELIVERED) {
		memset(&rcpt, 0, sizeof rcpt);
		rcpt.address = rebound_address_find(arena, address,
						    strlen(address), NULL, NULL);
		rcpt.action = action;
		rcpt.reason = REBOUND_REASON_DELIVERED;
		if (rcpt.address == NULL)
			goto out;
	} else {
		size_t len = strlen(reply);
		if (rebound_classify_reply(arena, address, reply,
					   len < MAX_REPLY ? len : MAX_REPLY,
					   action, &rcpt) != 0) {
			rbx_log("event %s: out of memory; not recorded", event);
			rc = -1;
			goto out;
		}
		if (rcpt.address == NULL || rcpt.address[0] == '\0')
			goto out;
	}

	/* Exim knows who sent the message and which host answered. */
	const char *sender_domain = expand_var("$sender_address_domain");
	if (rcpt.remote_mta == NULL)
		rcpt.remote_mta = expand_var("$host");

	rebound_config conf;
	rebound_outcome o;
	rebound_record_context ctx = {
		.now = rbx_now(),
		.source = "event",
		.sender_domain = sender_domain,
	};
	/* The policy comes from the settings even when the path is given. */
	rbx_settings(&conf);
	if (path == NULL || *path == '\0')
		path = conf.db_path;

	rebound_ledger_set_lock_wait(rebound_config_time_budget_ms(&conf));
	rebound_ledger *l = rbx_ledger(path, false, err, sizeof err);
	rc = l != NULL ? rebound_ledger_record_recipient(l, &conf.policy, &rcpt,
							 &ctx, &o, err, sizeof err)
		       : -1;
	char addr[330];
	rbx_clean(addr, sizeof addr, rcpt.address);
	if (rc != 0) {
		if (l != NULL)
			rbx_ledger_drop();
		rbx_log("event %s recipient=%s not recorded (%s)", event, addr,
			err);
	} else if (action != REBOUND_ACTION_DELIVERED) {
		rbx_log("event %s recipient=%s action=%s reason=%s status=%s "
			"reply=%s hard=%s state=%s", event, addr,
			rebound_action_name(rcpt.action),
			rebound_reason_name(rcpt.reason),
			rcpt.status[0] ? rcpt.status : "-",
			rcpt.reply_code[0] ? rcpt.reply_code : "-",
			rcpt.hard ? "yes" : "no", rebound_state_name(o.state));
	}
out:
	rebound_arena_free(arena);
	return rc;
}

int rebound_event(uschar **yield, int argc, uschar *argv[])
{
	if (argc < 3 || argc > 4 || argv[0] == NULL || argv[1] == NULL ||
	    argv[2] == NULL) {
		rbx_log("rebound_event wants {$event_name}{ADDRESS}"
			"{$event_data} and an optional {DBPATH}; nothing "
			"recorded");
		return answer(yield, "");
	}
	const char *path = argc > 3 && argv[3] != NULL ? (const char *)argv[3] : NULL;
	(void)record_event((const char *)argv[0], (const char *)argv[1],
			   (const char *)argv[2], path);
	return answer(yield, "");
}

/* Runs in the daemon's main loop: nothing here but the answer (no
 * settings, no ledger, no log line per connection). */
int rebound_preload(uschar **yield, int argc, uschar *argv[])
{
	return answer(yield, argc >= 1 && argv[0] != NULL ?
			     (const char *)argv[0] : "0");
}
