/* campaign.c - campaign brakes on outgoing mail.
 *
 * A message that carries the campaign header (campaign_header, default
 * X-Campaign-ID) is counted as one send of that campaign (in the counts
 * file beside the ledger, without a durable transaction: a send only
 * reads the campaign's record).  When the
 * campaign's bounce rate has paused it, the message is temporarily
 * refused (451, the sender retries after the pause); when it was
 * cancelled, refused (550).  The ledger decides; this file only asks and
 * answers Exim.  Any problem lets the message through.
 */
#include "module.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/mail/mail.h"

/* Longest campaign id taken from a header; longer ones are cut. */
#define MAX_CAMPAIGN 200

header_line *rbx_find_header(const char *name)
{
	int len = (int)strlen(name);

	for (header_line *h = header_list; h != NULL; h = h->next)
		if (header_testname(h, US name, len, TRUE))
			return h;
	return NULL;
}

/* The header's value, unfolded and trimmed, into out.  False when empty. */
static bool header_value(const header_line *h, char *out, size_t n)
{
	const char *p = memchr(h->text, ':', (size_t)h->slen);
	size_t o = 0;

	if (p == NULL || n == 0)
		return false;
	p++;
	const char *end = (const char *)h->text + h->slen;
	while (p < end && rebound_is_space(*p))
		p++;
	for (; p < end && o + 1 < n; p++) {
		char ch = *p;
		if (ch == '\r' || ch == '\n' || ch == '\t')
			ch = ' ';
		if (ch == ' ' && o > 0 && out[o - 1] == ' ')
			continue;
		out[o++] = ch;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o > 0;
}

int rbx_campaign_check(const rebound_config *c, uschar **return_text)
{
	const char *name = c->campaign_header[0] ? c->campaign_header : "X-Campaign-ID";
	header_line *h = rbx_find_header(name);
	char campaign[MAX_CAMPAIGN + 1];
	char err[RBX_ERRLEN] = "";
	rebound_campaign_state state = REBOUND_CAMPAIGN_RUNNING;
	int64_t until = 0;

	if (h == NULL || !header_value(h, campaign, sizeof campaign))
		return LOCAL_SCAN_ACCEPT;

	rebound_ledger_set_lock_wait(rebound_config_time_budget_ms(c));
	rebound_ledger_set_hash_size(c->db_hash_size);
	rebound_ledger *l = rbx_ledger(c->db_path, true, err, sizeof err);
	if (l == NULL ||
	    rebound_ledger_campaign_send(l, &c->policy, campaign,
					 recipients_count > 0 ? (unsigned)recipients_count : 0,
					 rbx_now(), &state, &until,
					 err, sizeof err) != 0) {
		if (l != NULL)
			rbx_ledger_drop();
		rbx_log("campaign=%s send not counted (%s); message accepted",
			campaign, err);
		return LOCAL_SCAN_ACCEPT;
	}

	char id[MAX_CAMPAIGN + 1], reply[MAX_CAMPAIGN + 128];
	rbx_clean(id, sizeof id, campaign);
	/* Answered, but the count is not whole: say so once. */
	if (err[0] != '\0')
		rbx_log("campaign=%s %s; message accepted", id, err);
	switch (state) {
	case REBOUND_CAMPAIGN_PAUSED: {
		char when[40] = "later";
		time_t t = (time_t)until;
		struct tm tm;
		if (until > 0 && gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		rbx_log("campaign=%s paused until %s: message temporarily "
			"rejected", id, when);
		snprintf(reply, sizeof reply, "campaign %s is paused until %s "
			 "(bounce rate over the limit); try again later",
			 id, when);
		*return_text = string_copy(US reply);
		return LOCAL_SCAN_TEMPREJECT;
	}
	case REBOUND_CAMPAIGN_CANCELLED:
		rbx_log("campaign=%s cancelled: message rejected", id);
		snprintf(reply, sizeof reply, "campaign %s is cancelled "
			 "(bounce rate over the limit)", id);
		*return_text = string_copy(US reply);
		return LOCAL_SCAN_REJECT;
	default:
		return LOCAL_SCAN_ACCEPT;
	}
}
