/* log.c - the Exim module's log lines and clocks.
 *
 * Every line the module writes goes through rbx_log(): one main-log line
 * (Exim prefixes the message id), "rebound: " first so that operators can
 * grep for it, control characters replaced because Exim's log must not
 * receive newlines.  Also here: how a recipient and what became of it
 * read in those lines and in the X-Rebound-Recipient header.
 */
#include "module.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/mail/mail.h"

void rbx_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	log_write(0, LOG_MAIN, "rebound: %s", line);
}

void rbx_clean(char *out, size_t n, const char *s)
{
	size_t i = 0;

	if (n == 0)
		return;
	if (s == NULL)
		s = "-";
	for (; *s && i + 1 < n; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[i] = '\0';
}

const rebound_outcome rbx_queued;

const rebound_recipient *rbx_rcpt_for(const rebound_result *res,
				      const rebound_outcome *o, size_t i)
{
	for (size_t k = 0; k < res->nrcpt; k++)
		if (rebound_ascii_ieq(res->rcpt[k].address, o->address))
			return &res->rcpt[k];
	return i < res->nrcpt ? &res->rcpt[i] : NULL;
}

void rbx_describe_recipient(const rebound_result *res,
			    const rebound_recipient *r,
			    const rebound_outcome *o, rbx_rcpt_text *t)
{
	bool known = o != NULL && o != RBX_QUEUED;

	rbx_clean(t->addr, sizeof t->addr,
		  known ? o->address : r != NULL ? r->address : NULL);
	rbx_clean(t->status, sizeof t->status,
		  r != NULL && r->status[0] ? r->status : NULL);
	rbx_clean(t->campaign, sizeof t->campaign, res->campaign);
	char why[160] = "";
	if (known && o->suspect) {
		/* The classifier's evidence in full; else the ledger's own
		   (domain-burst, delivered-lately). */
		const char *w = rebound_suspect_why(res, o->address);
		if (strcmp(w, "delivered-lately") == 0 && o->suspect_why[0])
			w = o->suspect_why;
		rbx_clean(why, sizeof why, w);
	}
	if (o == RBX_QUEUED)
		snprintf(t->state, sizeof t->state, "queued");
	else if (o != NULL)
		snprintf(t->state, sizeof t->state, "%s%s%s%s%s%s",
			 rebound_state_name(o->state),
			 o->suspect ? " suspect=yes why=\"" : "", why,
			 o->suspect ? "\"" : "",
			 o->duplicate ? " duplicate=yes" : "",
			 o->unverified ? " unverified=yes" : "");
	else
		snprintf(t->state, sizeof t->state, "unrecorded");
	t->reason = r != NULL ? rebound_reason_name(r->reason) : "undefined";
	t->action = r != NULL ? rebound_action_name(r->action) : "none";
	t->hard = r != NULL && r->hard;
}

void rbx_log_recipient(const char *prefix, const rebound_result *res,
		       const rbx_rcpt_text *t, const char *tail)
{
	rbx_log("%s%s recipient=%s action=%s reason=%s status=%s hard=%s "
		"state=%s campaign=%s%s", prefix, rebound_class_name(res->cls),
		t->addr, t->action, t->reason, t->status,
		t->hard ? "yes" : "no", t->state, t->campaign, tail);
}

int64_t rbx_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rbx_now(void)
{
	return (int64_t)time(NULL);
}
