/* local-scan.c - Exim's local_scan(): classify incoming bounces, record
 * them in the ledger, and brake campaigns.
 *
 * What local_scan sees (doc/platform.md §1.2): headers only in header_list,
 * the body in the spool -D file (fd, data from SPOOL_DATA_START_OFFSET),
 * the envelope in sender_address / recipients_list.  It runs for every
 * message Exim receives, so mail that is not a bounce leaves after a look
 * at the envelope and the headers.
 *
 * Never stop the mail: Exim has no fail-open of its own (a crash, a
 * timeout or an abort temp-rejects or loses every message), so every
 * problem here is one log line and LOCAL_SCAN_ACCEPT.  Bounces are never
 * rejected; only a paused or cancelled campaign is (campaign.c).
 */
#include "module.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mail/mail.h"
#include "common/classify/classify.h"

REBOUND_EXPORT int local_scan_version_major(void);
REBOUND_EXPORT int local_scan_version_minor(void);
REBOUND_EXPORT int local_scan(int fd, uschar **return_text);

/* How much of a bounce is read: the delivery report and the returned
 * headers come first; the rest of a returned original is not needed. */
#define MAX_READ ((size_t)4 << 20)
/* Memory for one message: the copy, the parts, the decoded text. */
#define ARENA_BUDGET ((size_t)48 << 20)
/* Per-recipient headers and log lines; more are recorded, not listed. */
#define MAX_LISTED 50
/* Exim's header_list marks deleted headers with this type. */
#define HTYPE_DELETED '*'

/* Debian's dlopen patch refuses a module whose major version differs
 * from Exim's or whose minor version is higher. */
int local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

int local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

/* Append the body from the spool file to the builder; the fd's offset is
 * put back where Exim left it.  Returns 0 or -1 (errno set). */
static int read_body(int fd, rebound_builder *b)
{
	char buf[65536];
	size_t total = 0;
	int rc = 0;

	off_t saved = lseek(fd, 0, SEEK_CUR);
	if (saved < 0 || lseek(fd, SPOOL_DATA_START_OFFSET, SEEK_SET) < 0)
		return -1;
	while (total < MAX_READ) {
		size_t want = MAX_READ - total;
		ssize_t n = read(fd, buf, want < sizeof buf ? want : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		rebound_builder_add(b, buf, (size_t)n);
		total += (size_t)n;
	}
	int saved_errno = errno;
	if (lseek(fd, saved, SEEK_SET) < 0)
		rc = -1;
	else
		errno = saved_errno;
	return rc;
}

/* The message as the core sees it: Exim's live headers, a blank line,
 * the body. */
static int build_message(int fd, rebound_arena *arena, rebound_message **msg)
{
	rebound_limits limits = { .max_message_bytes = MAX_READ };
	rebound_builder *b = rebound_builder_new(arena, &limits);

	if (b == NULL)
		return -1;
	for (header_line *h = header_list; h != NULL; h = h->next) {
		if (h->type == HTYPE_DELETED || h->text == NULL || h->slen <= 0)
			continue;
		rebound_builder_add(b, (const char *)h->text, (size_t)h->slen);
	}
	rebound_builder_add(b, "\n", 1);
	if (read_body(fd, b) != 0)
		rbx_log("cannot read the spool data file (%s); classifying "
			"the headers only", strerror(errno));
	return rebound_builder_finish(b, msg);
}

/* A sender could forge our headers: only the ones this module adds may
 * reach a mailbox, so every X-Rebound-* field of every message goes (Exim
 * skips a header line whose type is HTYPE_DELETED). */
static void remove_our_headers(void)
{
	static const char prefix[] = "X-Rebound-";
	for (header_line *h = header_list; h != NULL; h = h->next) {
		if (h->type == HTYPE_DELETED || h->text == NULL ||
		    h->slen < (int)sizeof prefix - 1)
			continue;
		if (strncasecmp((const char *)h->text, prefix,
				sizeof prefix - 1) == 0)
			h->type = HTYPE_DELETED;
	}
}

/* One log line and one header per recipient. */
static void report_recipient(const rebound_result *res,
			     const rebound_recipient *r,
			     const rebound_outcome *o)
{
	rbx_rcpt_text t;

	rbx_describe_recipient(res, r, o, &t);
	rbx_log_recipient("", res, &t, "");
	header_add(' ', "X-Rebound-Recipient: %s; action=%s; reason=%s; "
		   "status=%s; hard=%s; state=%s\n", t.addr, t.action,
		   t.reason, t.status, t.hard ? "yes" : "no", t.state);
}

/* Record the classified message and tell the log and the headers. */
static bool record_and_report(const rebound_config *c, const rebound_result *res,
			      int64_t started, unsigned budget)
{
	rebound_outcome out[MAX_LISTED];
	char err[RBX_ERRLEN] = "";
	char fmt[40];
	int n = -1;

	rbx_clean(fmt, sizeof fmt, res->format);
	header_add(' ', "X-Rebound-Class: %s; format=%s\n",
		   rebound_class_name(res->cls), fmt);
	if (res->campaign != NULL) {
		char campaign[130];
		rbx_clean(campaign, sizeof campaign, res->campaign);
		header_add(' ', "X-Rebound-Campaign: %s\n", campaign);
	}

	int64_t left = (int64_t)budget - (rbx_now_ms() - started);
	/* Once per message: it logs when no signature verifies. */
	rebound_verp_vouch vouch;
	if (left > 0)
		rbx_verp_vouch(c, &vouch);
	rebound_record_context ctx = {
		.now = rbx_now(),
		.source = "exim",
		.vouch = &vouch,
		.policy = &c->policy,
	};
	struct stat st;
	if (left > 0 && c->batch_ms > 0 && stat(c->db_path, &st) == 0) {
		/* Batching: the notice goes to the spool, synced (a state
		   change must survive a crash), and a due batch is
		   recorded in one transaction; no commit of its own.  (With
		   no ledger yet, the notice is recorded at once below:
		   that creates the file, which the RCPT check's replay
		   never does.) */
		if (rebound_ledger_queue(c->db_path, res, &ctx, true, err,
					 sizeof err) == 0) {
			for (size_t i = 0; i < res->nrcpt && i < MAX_LISTED; i++)
				report_recipient(res, &res->rcpt[i], RBX_QUEUED);
			if (res->nrcpt > MAX_LISTED)
				rbx_log("%zu more recipients queued, not listed",
					res->nrcpt - MAX_LISTED);
			left = (int64_t)budget - (rbx_now_ms() - started);
			rbx_replay_due(c, c->db_path, true, left);
			return true;
		}
		char e[RBX_ERRLEN];
		rbx_clean(e, sizeof e, err);
		rbx_log("%s not queued for its batch (%s); recording it now",
			rebound_class_name(res->cls), e);
		err[0] = '\0';
	}
	if (left <= 0) {
		snprintf(err, sizeof err, "time budget of %u ms spent before "
			 "recording", budget);
	} else {
		/* A writer holding its transaction must not hold the mail;
		   the deadline also ends the replay of spooled notices that
		   follows a recorded one, which would otherwise wait anew. */
		rebound_ledger_set_lock_wait((unsigned)left);
		rebound_ledger_set_deadline((int)left);
		rebound_ledger_set_hash_size(c->db_hash_size);
		rebound_ledger *l = rbx_ledger(c->db_path, true, err, sizeof err);
		if (l != NULL) {
			n = rebound_ledger_record(l, &c->policy, res, &ctx, out,
						  MAX_LISTED, err, sizeof err);
			if (n < 0)
				rbx_ledger_drop();
		}
		rebound_ledger_set_deadline(-1);
	}

	if (n < 0) {
		/* spooled: the ledger was locked; a later writer records it */
		const char *what = n == REBOUND_LEDGER_SPOOLED ? "spooled" :
								 "not recorded";
		rbx_log("%s %s (%s); message accepted",
			rebound_class_name(res->cls), what, err);
		char e[RBX_ERRLEN];
		rbx_clean(e, sizeof e, err);
		header_add(' ', "X-Rebound-Error: %s: %s\n", what, e);
		for (size_t i = 0; i < res->nrcpt && i < MAX_LISTED; i++)
			report_recipient(res, &res->rcpt[i], NULL);
	} else {
		size_t listed = (size_t)n < MAX_LISTED ? (size_t)n : MAX_LISTED;
		for (size_t i = 0; i < listed; i++)
			report_recipient(res, rbx_rcpt_for(res, &out[i], i), &out[i]);
	}
	if (res->nrcpt > MAX_LISTED)
		rbx_log("%zu more recipients %s, not listed", res->nrcpt - MAX_LISTED,
			n < 0 ? "not recorded" : "recorded");
	if ((res->msg_flags & REBOUND_MSG_MANY_RCPT) && res->rcpt_total > 0)
		rbx_log("recipients cut at %zu of %zu named in the notice; the "
			"rest not recorded", res->nrcpt, res->rcpt_total);
	else if (res->msg_flags & REBOUND_MSG_MANY_RCPT)
		rbx_log("recipients cut at %zu; more addresses named in the "
			"notice were not read", res->nrcpt);
	if (res->nrcpt == 0)
		rbx_log("%s without a recipient (format=%s)",
			rebound_class_name(res->cls), fmt);
	return n >= 0;
}

/* A message with a null sender from a remote host: maybe a bounce. */
static int scan_bounce(int fd, const rebound_config *c, uschar **return_text)
{
	int64_t started = rbx_now_ms();
	unsigned budget = rebound_config_time_budget_ms(c);
	rebound_arena *arena = rebound_arena_new(ARENA_BUDGET);
	rebound_message *msg = NULL;
	rebound_result *res = NULL;

	if (arena == NULL) {
		rbx_log("out of memory; message accepted unclassified");
		return LOCAL_SCAN_ACCEPT;
	}
	if (build_message(fd, arena, &msg) != 0 || msg == NULL) {
		rbx_log("message too large for memory; accepted unclassified");
		goto out;
	}
	rebound_classify_options opts = {
		.campaign_header = c->campaign_header[0] ? c->campaign_header : NULL,
		.verp_format = c->verp_format[0] ? c->verp_format : NULL,
		/* Only messages from <> come here (see local_scan). */
		.null_sender = true,
	};
	if (rebound_classify_message(msg, &opts, &res) != 0 || res == NULL) {
		rbx_log("classification ran out of memory; message accepted");
		goto out;
	}
	if (res->cls == REBOUND_CLASS_NOT_BOUNCE)
		goto out;

	bool recorded = record_and_report(c, res, started, budget);
	char data[96];
	snprintf(data, sizeof data, "rebound=%s recipients=%zu%s",
		 rebound_class_name(res->cls), res->nrcpt,
		 recorded ? "" : " unrecorded");
	*return_text = string_copy(US data);
	/* Dropped only once the ledger holds it: without a record the
	 * mailbox copy is all the operator has. */
	if (recorded && c->discard_bounces && res->cls == REBOUND_CLASS_BOUNCE) {
		rbx_log("bounce discarded (discard_bounces)");
		recipients_count = 0;
	}
out:
	rebound_arena_free(arena);
	return LOCAL_SCAN_ACCEPT;
}

int local_scan(int fd, uschar **return_text)
{
	rebound_config conf;

	/* -bh runs local_scan for real; a test must not change the ledger
	 * nor see campaign answers it cannot trust. */
	if (host_checking)
		return LOCAL_SCAN_ACCEPT;
	/* Before anything that may return: ordinary mail, outgoing mail and
	   a bounce that is not recorded lose forged headers too. */
	remove_our_headers();
	rbx_settings(&conf);

	if (sender_address != NULL && sender_address[0] != '\0')
		return rbx_campaign_check(&conf, return_text);
	/* Exim's own bounces (P=local, no host) are not incoming DSNs. */
	if (sender_host_address == NULL)
		return LOCAL_SCAN_ACCEPT;
	return scan_bounce(fd, &conf, return_text);
}
