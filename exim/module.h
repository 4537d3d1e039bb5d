/* module.h - what the files of the Exim module (rebound.so) share.
 *
 * The module is a thin adapter: Exim's local_scan() and ${dlfunc} API on
 * one side, the core (classify, config, ledger) on the other.  Every file
 * includes Exim's local_scan.h first (through this header), then core
 * headers by their common/ path, so that Exim's own config.h and ours
 * cannot be confused.
 *
 * Rules for every function here: never abort(), exit() or assert(); every
 * failure becomes one log line and a fail-open answer (accept the
 * message, answer "no", record nothing).
 */
#ifndef REBOUND_EXIM_MODULE_H
#define REBOUND_EXIM_MODULE_H

#define LOCAL_SCAN
#include <local_scan.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ledger/ledger.h"
#include "common/ledger/ledger.h"

/* The module is built with -fvisibility=hidden; entry points Exim looks
 * up by name are marked with this. */
#define REBOUND_EXPORT __attribute__((visibility("default")))

/* Room for one error line from the core. */
#define RBX_ERRLEN 512

/* --- settings.c ---------------------------------------------------------- */

/* Fill *c: compiled-in defaults, then the configuration file
 * ($acl_m_rebound_config, else REBOUND_CONFIG_FILE; a missing default
 * file is fine), then every $acl_m_rebound_<key> that is set.  Always
 * leaves a usable configuration; each problem is one log line. */
void rbx_settings(rebound_config *c);

/* The value of $acl_m_rebound_<name>, or NULL when unset, empty or not
 * expandable here.  The string belongs to Exim's store. */
const char *rbx_acl_var(const char *name);

/* --- handle.c ------------------------------------------------------------ */

/* The process's one ledger handle for `path` (tdb refuses a second open
 * of a file in one process, and local_scan and the dlfuncs share the
 * process).  Opened on first use, reopened after a fork or when the path
 * changes.  `create` only from local_scan (never at router time, which
 * runs as root).  NULL with err set on failure. */
rebound_ledger *rbx_ledger(const char *path, bool create,
			   char *err, size_t errlen);

/* Forget the handle after a failed operation, so that the next use opens
 * the file afresh (a replaced or repaired file, a released lock). */
void rbx_ledger_drop(void);

/* Record the batch of spooled notices of the ledger at path when it is
 * due (c->batch_ms; nothing when 0), waiting at most a moment for the
 * lock and never past left_ms.  Fail open: one log line. */
void rbx_replay_due(const rebound_config *c, const char *path, bool create,
		    int64_t left_ms);

/* --- log.c --------------------------------------------------------------- */

/* One main-log line starting "rebound: ".  No newlines reach the log. */
void rbx_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy s into out (size n) for a log line or an SMTP reply: printable
 * ASCII only (others become '?'), at most n-1 bytes; NULL gives "-". */
void rbx_clean(char *out, size_t n, const char *s);

/* A recipient of a classified notice as the log lines and headers
 * name it: printable text only. */
typedef struct rbx_rcpt_text {
	char addr[330], status[16], campaign[130], state[256];
	const char *action, *reason;
	bool hard;
} rbx_rcpt_text;

/* The outcome of a recipient whose notice waits in the spool for its
 * batch (batch_ms): no state yet. */
extern const rebound_outcome rbx_queued;
#define RBX_QUEUED (&rbx_queued)

/* Describe recipient r of res with its outcome o (RBX_QUEUED: waiting
 * for its batch; NULL: not recorded). */
void rbx_describe_recipient(const rebound_result *res,
			    const rebound_recipient *r,
			    const rebound_outcome *o, rbx_rcpt_text *t);

/* The log line of a described recipient of res: "PREFIXCLASS
 * recipient=... campaign=C" and then tail (each may be ""). */
void rbx_log_recipient(const char *prefix, const rebound_result *res,
		       const rbx_rcpt_text *t, const char *tail);

/* The recipient of res that outcome o (the i-th) is about. */
const rebound_recipient *rbx_rcpt_for(const rebound_result *res,
				      const rebound_outcome *o, size_t i);

/* Monotonic milliseconds, for the time budget. */
int64_t rbx_now_ms(void);
/* Wall-clock seconds, for the ledger. */
int64_t rbx_now(void);

/* --- verp.c -------------------------------------------------------------- */

/* Fill *v with the recipients that the message's envelope recipients,
 * as signed return paths, vouch for (nobody when the secret is not
 * usable; logs why when nobody is).  Without require_signed_verp,
 * v->required is false and every recipient counts. */
void rbx_verp_vouch(const rebound_config *c, rebound_verp_vouch *v);

/* --- campaign.c ---------------------------------------------------------- */

/* Outgoing mail: when the message carries the campaign header, count it
 * and apply a pause (LOCAL_SCAN_TEMPREJECT) or a cancellation
 * (LOCAL_SCAN_REJECT), with the reply in *return_text.  Any internal
 * problem gives LOCAL_SCAN_ACCEPT. */
int rbx_campaign_check(const rebound_config *c, uschar **return_text);

/* The first live header named `name` (as Exim's header_list holds it),
 * or NULL. */
header_line *rbx_find_header(const char *name);

#endif
