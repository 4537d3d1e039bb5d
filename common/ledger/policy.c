/* policy.c - the policy tables of doc/design.md (§6 recipients, §7
 * campaigns) as functions on records. */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)

static void copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s != NULL ? s : "");
}

rebound_obs_kind rebound_observation_kind(const rebound_observation *o)
{
	switch (o->action) {
	case REBOUND_ACTION_DELIVERED:
	case REBOUND_ACTION_RELAYED:
	case REBOUND_ACTION_EXPANDED:
		return REBOUND_OBS_DELIVERED;
	case REBOUND_ACTION_AUTOREPLY:
		return REBOUND_OBS_AUTOREPLY;
	case REBOUND_ACTION_FEEDBACK:
		return REBOUND_OBS_FEEDBACK;
	default:
		break;
	}
	switch (o->cls) {
	case REBOUND_CLASS_DELIVERED:
		return REBOUND_OBS_DELIVERED;
	case REBOUND_CLASS_AUTOREPLY:
		return REBOUND_OBS_AUTOREPLY;
	case REBOUND_CLASS_FEEDBACK:
		return REBOUND_OBS_FEEDBACK;
	case REBOUND_CLASS_BOUNCE:
		return o->action == REBOUND_ACTION_DELAYED ? REBOUND_OBS_DELAYED :
							     REBOUND_OBS_FAILED;
	case REBOUND_CLASS_NOT_BOUNCE:
		break;
	}
	return REBOUND_OBS_NONE;
}

static bool is_blocked_state(rebound_state s)
{
	return s == REBOUND_STATE_SUPPRESSED || s == REBOUND_STATE_GLOBAL;
}

/* The state an address falls back to when nothing stronger holds. */
static rebound_state resting_state(const rebound_entry *e)
{
	if (e->pending_since != 0)
		return REBOUND_STATE_PENDING;
	return e->consecutive_soft > 0 || e->hard_run > 0 ? REBOUND_STATE_SOFT :
							    REBOUND_STATE_ACTIVE;
}

static void count_soft(rebound_entry *e)
{
	e->soft_count++;
	e->consecutive_soft++;
	if (e->soft_limit > 0 && e->consecutive_soft >= e->soft_limit &&
	    !is_blocked_state(e->state)) {
		e->state = REBOUND_STATE_SUPPRESSED;
		e->until = 0;
	}
}

void rebound_entry_refresh(rebound_entry *e, int64_t now)
{
	if (e->pending_expires != 0 && now >= e->pending_expires) {
		/* Still pending with no final report: one soft bounce. */
		int64_t at = e->pending_expires;
		e->pending_since = e->pending_expires = 0;
		e->last_time = at;
		e->last_reason = REBOUND_REASON_EXPIRED;
		e->last_action = REBOUND_ACTION_FAILED;
		e->last_hard = false;
		count_soft(e);
		if (e->state == REBOUND_STATE_PENDING)
			e->state = resting_state(e);
	}
	if (e->state == REBOUND_STATE_SUSPENDED && e->until <= now) {
		e->until = 0;
		e->state = resting_state(e);
	}
}

bool rebound_entry_may_send(const rebound_entry *e, int64_t now)
{
	switch (e->state) {
	case REBOUND_STATE_SUPPRESSED:
	case REBOUND_STATE_GLOBAL:
		return false;
	case REBOUND_STATE_SUSPENDED:
		return e->until <= now;
	default:
		return true;
	}
}

static void suspend(rebound_entry *e, unsigned hours, int64_t now)
{
	if (hours == 0 || is_blocked_state(e->state))
		return;
	int64_t until = now + (int64_t)hours * HOUR;
	if (e->state != REBOUND_STATE_SUSPENDED || e->until < until)
		e->until = until;
	e->state = REBOUND_STATE_SUSPENDED;
}

/* Remember that `domain` saw a confirmed hard bounce; keep the newest
 * REBOUND_HARD_DOMAINS distinct domains. */
static void note_hard_domain(rebound_entry *e, const char *domain,
			     int64_t now)
{
	if (domain == NULL || domain[0] == '\0')
		return;
	for (size_t i = 0; i < e->nhard_domains; i++)
		if (strcasecmp(e->hard_domains[i].domain, domain) == 0) {
			e->hard_domains[i].time = now;
			return;
		}
	size_t slot = e->nhard_domains;
	if (slot >= REBOUND_HARD_DOMAINS) {
		slot = 0;
		for (size_t i = 1; i < e->nhard_domains; i++)
			if (e->hard_domains[i].time < e->hard_domains[slot].time)
				slot = i;
	} else {
		e->nhard_domains++;
	}
	e->hard_domains[slot].time = now;
	copy(e->hard_domains[slot].domain, sizeof(e->hard_domains[slot].domain),
	     domain);
}

static unsigned hard_domains_since(const rebound_entry *e, int64_t since)
{
	unsigned n = 0;
	for (size_t i = 0; i < e->nhard_domains; i++)
		if (e->hard_domains[i].time >= since)
			n++;
	return n;
}

static void set_last(rebound_entry *e, const rebound_observation *o,
		     int64_t now)
{
	e->last_time = now;
	e->last_reason = o->reason;
	e->last_action = o->action == REBOUND_ACTION_NONE ?
				 REBOUND_ACTION_FAILED : o->action;
	e->last_hard = o->hard;
	copy(e->last_source, sizeof(e->last_source), o->source);
	copy(e->last_status, sizeof(e->last_status), o->status);
	copy(e->last_reply, sizeof(e->last_reply), o->reply);
	copy(e->last_diag, sizeof(e->last_diag), o->diag);
	copy(e->last_mta, sizeof(e->last_mta), o->mta);
	copy(e->last_sender_domain, sizeof(e->last_sender_domain),
	     o->sender_domain);
	copy(e->last_campaign, sizeof(e->last_campaign), o->campaign);
}

static void apply_hard(rebound_entry *e, const rebound_policy *p,
		       const rebound_observation *o, int64_t now)
{
	e->hard_count++;
	bool suspect = o->suspect;
	/* An address that accepted mail lately and now "does not exist"
	   is more likely a block in disguise. */
	if (p->suspect_delivered_days > 0 && e->last_delivered != 0 &&
	    /* Compared this way round: a damaged record's time may be
	       anything, and now - time could overflow. */
	    e->last_delivered > now - (int64_t)p->suspect_delivered_days * DAY)
		suspect = true;
	if (suspect) {
		e->suspect = true;
		suspend(e, p->suspect_suspend_hours, now);
		return;
	}
	e->suspect = false;
	e->hard_run++;
	note_hard_domain(e, o->sender_domain, now);
	unsigned limit = p->hard_limit > 0 ? p->hard_limit : 1;
	if (e->state != REBOUND_STATE_GLOBAL) {
		if (e->hard_run >= limit) {
			e->state = REBOUND_STATE_SUPPRESSED;
			e->until = 0;
		} else if (e->state != REBOUND_STATE_SUSPENDED) {
			e->state = REBOUND_STATE_SOFT;
		}
	}
	if (p->global_domains > 0 &&
	    hard_domains_since(e, now - (int64_t)p->global_window_days * DAY) >=
		    p->global_domains) {
		e->state = REBOUND_STATE_GLOBAL;
		e->until = 0;
	}
}

rebound_obs_kind rebound_entry_apply(rebound_entry *e,
				     const rebound_policy *p,
				     const rebound_observation *o,
				     int64_t now)
{
	rebound_obs_kind kind = rebound_observation_kind(o);
	if (kind == REBOUND_OBS_NONE)
		return kind;
	rebound_entry_refresh(e, now);
	e->soft_limit = p->soft_limit;
	if (e->first_seen == 0)
		e->first_seen = now;
	e->last_seen = now;
	switch (kind) {
	case REBOUND_OBS_NONE:
		break;
	case REBOUND_OBS_DELIVERED:
		e->delivered_count++;
		e->last_delivered = now;
		e->consecutive_soft = 0;
		e->pending_since = e->pending_expires = 0;
		if (e->state == REBOUND_STATE_PENDING ||
		    e->state == REBOUND_STATE_SOFT)
			e->state = resting_state(e);
		break;
	case REBOUND_OBS_AUTOREPLY:
		e->autoreply_count++;
		break;
	case REBOUND_OBS_FEEDBACK:
		e->feedback_count++;
		break;
	case REBOUND_OBS_DELAYED:
		e->delayed_count++;
		set_last(e, o, now);
		if (e->state == REBOUND_STATE_ACTIVE ||
		    e->state == REBOUND_STATE_SOFT ||
		    e->state == REBOUND_STATE_PENDING) {
			if (e->pending_since == 0) {
				e->pending_since = now;
				e->pending_expires =
					p->pending_expire_hours == 0 ? 0 :
					now + (int64_t)p->pending_expire_hours * HOUR;
			}
			e->state = REBOUND_STATE_PENDING;
		}
		break;
	case REBOUND_OBS_FAILED:
		set_last(e, o, now);
		e->pending_since = e->pending_expires = 0;
		if (e->state == REBOUND_STATE_PENDING)
			e->state = resting_state(e);
		if (o->hard) {
			apply_hard(e, p, o, now);
		} else if (rebound_reason_category(o->reason) == 1) {
			e->block_count++;
			suspend(e, p->block_suspend_hours, now);
		} else {
			count_soft(e);
			if (e->state == REBOUND_STATE_ACTIVE)
				e->state = REBOUND_STATE_SOFT;
		}
		break;
	}
	return kind;
}

void rebound_entry_unbounce(rebound_entry *e, int64_t now)
{
	e->state = REBOUND_STATE_ACTIVE;
	e->until = 0;
	e->suspect = false;
	e->consecutive_soft = 0;
	e->hard_run = 0;
	e->pending_since = e->pending_expires = 0;
	e->nhard_domains = 0;
	memset(e->hard_domains, 0, sizeof(e->hard_domains));
	e->last_seen = now;
}

/* --- campaigns ------------------------------------------------------------ */

static void resume(rebound_campaign *c, int64_t now)
{
	c->state = REBOUND_CAMPAIGN_RUNNING;
	c->until = 0;
	c->sent_base = c->sent;
	c->bounced_base = c->bounced_hard + c->bounced_soft;
	c->changed = now;
}

void rebound_campaign_refresh(rebound_campaign *c, int64_t now)
{
	if (c->state == REBOUND_CAMPAIGN_PAUSED && c->until <= now)
		resume(c, now);
}

void rebound_campaign_check(rebound_campaign *c, const rebound_policy *p,
			    int64_t now)
{
	rebound_campaign_refresh(c, now);
	if (c->state != REBOUND_CAMPAIGN_RUNNING || p->campaign_min_sends == 0)
		return;
	/* Since the last resume only: a paused campaign is judged again on
	   what it does after it resumed. */
	uint64_t sent = c->sent - c->sent_base;
	uint64_t bounced = c->bounced_hard + c->bounced_soft - c->bounced_base;
	if (sent < p->campaign_min_sends ||
	    (double)bounced <= p->campaign_max_rate * (double)sent)
		return;
	if (c->pauses == 0 && p->campaign_pause_hours > 0) {
		c->state = REBOUND_CAMPAIGN_PAUSED;
		c->until = now + (int64_t)p->campaign_pause_hours * HOUR;
		c->pauses++;
	} else {
		c->state = REBOUND_CAMPAIGN_CANCELLED;
		c->until = 0;
	}
	c->changed = now;
}

void rebound_campaign_bounce(rebound_campaign *c, const rebound_policy *p,
			     bool hard, int64_t now)
{
	rebound_campaign_refresh(c, now);
	if (hard)
		c->bounced_hard++;
	else
		c->bounced_soft++;
	c->last_bounce = now;
	rebound_campaign_check(c, p, now);
}

void rebound_campaign_resume(rebound_campaign *c, int64_t now)
{
	resume(c, now);
}

void rebound_campaign_cancel(rebound_campaign *c, int64_t now)
{
	c->state = REBOUND_CAMPAIGN_CANCELLED;
	c->until = 0;
	c->changed = now;
}
