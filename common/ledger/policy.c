/* policy.c - the policy tables of doc/design.md (§6 recipients, §7
 * campaigns) as functions on records, and the bursts of hard bounces
 * that mark a recipient domain as blocking the sender (§6 row 14). */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MINUTE INT64_C(60)
#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)

/* The ledger's own suspect evidence (rebound_entry.suspect_why). */
#define WHY_DELIVERED_LATELY "delivered-lately"
#define WHY_DOMAIN_BURST "domain-burst"

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

/* Where a gateway was seen, after its name in "gateway:SERVICE WHERE
 * [HOST]" (suspect.c): a service's name may have spaces ("email security
 * service"). */
static const char *const gateway_where[] = {
	" remote-mta", " said", " reporting-mta", " notice", " from",
};

void rebound_suspect_short_name(const char *why, char *out, size_t size)
{
	if (size == 0)
		return;
	if (why == NULL)
		why = "";
	size_t n = strcspn(why, " ");
	if (strncmp(why, "policy-words:", 13) == 0)
		n = 12;			/* the words are no name */
	if (strncmp(why, "gateway:", 8) == 0) {
		for (size_t i = 0; i < sizeof(gateway_where) /
					   sizeof(*gateway_where); i++) {
			const char *w = strstr(why, gateway_where[i]);
			size_t len = strlen(gateway_where[i]);
			if (w != NULL && (w[len] == ' ' || w[len] == '\0') &&
			    (size_t)(w - why) > n)
				n = (size_t)(w - why);
		}
	}
	snprintf(out, size, "%.*s", (int)n, why);
}

static void apply_hard(rebound_entry *e, const rebound_policy *p,
		       const rebound_observation *o, int64_t now)
{
	e->hard_count++;
	bool suspect = o->suspect;
	const char *why = o->suspect_why;
	/* An address that accepted mail lately and now "does not exist"
	   is more likely a block in disguise. */
	if (p->suspect_delivered_days > 0 && e->last_delivered != 0 &&
	    /* Compared this way round: a damaged record's time may be
	       anything, and now - time could overflow. */
	    e->last_delivered > now - (int64_t)p->suspect_delivered_days * DAY) {
		if (!suspect)
			why = WHY_DELIVERED_LATELY;
		suspect = true;
	}
	if (suspect) {
		e->suspect = true;
		rebound_suspect_short_name(why, e->suspect_why,
					   sizeof(e->suspect_why));
		suspend(e, p->suspect_suspend_hours, now);
		return;
	}
	e->suspect = false;
	e->suspect_why[0] = '\0';
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
		/* The address takes mail: whatever made it suspect was a
		   block, and its suspension for it ends. */
		if (e->suspect && e->state == REBOUND_STATE_SUSPENDED) {
			e->state = resting_state(e);
			e->until = 0;
		}
		e->suspect = false;
		e->suspect_why[0] = '\0';
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
	e->suspect_why[0] = '\0';
	e->consecutive_soft = 0;
	e->hard_run = 0;
	e->pending_since = e->pending_expires = 0;
	e->nhard_domains = 0;
	memset(e->hard_domains, 0, sizeof(e->hard_domains));
	e->last_seen = now;
}

/* --- a domain that blocks the sender ------------------------------------- */

void rebound_reply_shape(const char *reply, char *out, size_t size)
{
	if (size == 0)
		return;
	size_t n = 0;
	const char *p = reply != NULL ? reply : "";
	while (*p != '\0' && n + 1 < size) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				p++;
			if (n > 0 && *p != '\0')
				out[n++] = ' ';
			continue;
		}
		/* One word: up to a space or a bracket around an address. */
		size_t len = strcspn(p, " \t\r\n<>()[]\"',;");
		if (len == 0) {
			out[n++] = *p++;
			continue;
		}
		bool mask = memchr(p, '@', len) != NULL;
		for (size_t i = 0; i < len && !mask; i++)
			mask = p[i] >= '0' && p[i] <= '9';
		if (mask) {
			out[n++] = '#';
		} else {
			for (size_t i = 0; i < len && n + 1 < size; i++) {
				char c = p[i];
				out[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			}
		}
		p += len;
	}
	out[n] = '\0';
}

uint32_t rebound_shape_hash(const char *shape)
{
	uint32_t h = UINT32_C(2166136261);
	for (const char *p = shape; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * UINT32_C(16777619);
	return h;
}

/* Keep `address` among d's hits with its newest time and shape; when
 * they are full the oldest goes.  Returns true when it is new. */
static bool note_hit(rebound_domain *d, const char *address, uint32_t shape,
		     int64_t now)
{
	for (size_t i = 0; i < d->nhits; i++)
		if (strcasecmp(d->hits[i].address, address) == 0) {
			rebound_burst_hit h = d->hits[i];
			memmove(&d->hits[i], &d->hits[i + 1],
				(d->nhits - i - 1) * sizeof(*d->hits));
			h.time = now;
			h.shape = shape;
			d->hits[d->nhits - 1] = h;
			return false;
		}
	if (d->nhits == REBOUND_BURST_HITS) {
		memmove(&d->hits[0], &d->hits[1],
			(d->nhits - 1) * sizeof(*d->hits));
		d->nhits--;
	}
	rebound_burst_hit *h = &d->hits[d->nhits++];
	h->time = now;
	h->shape = shape;
	copy(h->address, sizeof(h->address), address);
	return true;
}

rebound_burst rebound_domain_hard(rebound_domain *d, const rebound_policy *p,
				  const char *address, const char *shape,
				  const char *reply, int64_t now)
{
	if (p->suspect_burst_count == 0 || p->suspect_burst_minutes == 0 ||
	    address == NULL || shape == NULL)
		return REBOUND_BURST_NONE;
	int64_t since = now - (int64_t)p->suspect_burst_minutes * MINUTE;
	uint32_t h = rebound_shape_hash(shape);
	/* Hits of an earlier window are no company for this one. */
	size_t keep = 0;
	for (size_t i = 0; i < d->nhits; i++)
		if (d->hits[i].time >= since)
			d->hits[keep++] = d->hits[i];
	d->nhits = keep;
	bool is_new = note_hit(d, address, h, now);
	if (d->blocking && d->block_last >= since &&
	    strcmp(d->shape, shape) == 0) {
		/* The block goes on: its window runs on from here. */
		if (now > d->block_last)
			d->block_last = now;
		if (is_new)
			d->block_recipients++;
		return REBOUND_BURST_MARKED;
	}
	unsigned same = 0;
	int64_t first = now;
	for (size_t i = 0; i < d->nhits; i++)
		if (d->hits[i].shape == h) {
			same++;
			if (d->hits[i].time < first)
				first = d->hits[i].time;
		}
	if (same < p->suspect_burst_count)
		return REBOUND_BURST_NONE;
	d->blocking = true;
	d->blocks++;
	copy(d->shape, sizeof(d->shape), shape);
	copy(d->block_reply, sizeof(d->block_reply), reply);
	d->block_start = first;
	d->block_last = now;
	d->block_recipients = same;
	d->cleared = 0;
	d->cleared_by[0] = '\0';
	return REBOUND_BURST_NEW;
}

bool rebound_domain_delivered(rebound_domain *d, const char *address,
			      int64_t now)
{
	if (!d->blocking)
		return false;
	d->blocking = false;
	d->cleared = now;
	copy(d->cleared_by, sizeof(d->cleared_by), address);
	d->nhits = 0;		/* the window's bounces were the block's */
	return true;
}

/* Forget the sender domain that the hard bounce at `when` noted. */
static void unnote_hard_domain(rebound_entry *e, const char *domain,
			       int64_t when)
{
	for (size_t i = 0; i < e->nhard_domains; i++)
		if (e->hard_domains[i].time == when &&
		    strcasecmp(e->hard_domains[i].domain, domain) == 0) {
			memmove(&e->hard_domains[i], &e->hard_domains[i + 1],
				(e->nhard_domains - i - 1) *
					sizeof(*e->hard_domains));
			e->nhard_domains--;
			memset(&e->hard_domains[e->nhard_domains], 0,
			       sizeof(*e->hard_domains));
			return;
		}
}

bool rebound_entry_burst_suspect(rebound_entry *e, const rebound_policy *p,
				 int64_t since, int64_t now)
{
	if (e->suspect || e->state == REBOUND_STATE_GLOBAL || !e->last_hard ||
	    e->last_time < since ||
	    e->last_reason != REBOUND_REASON_USERUNKNOWN)
		return false;
	/* Undo what the bounce counted as a hard one (apply_hard). */
	if (e->hard_run > 0)
		e->hard_run--;
	unnote_hard_domain(e, e->last_sender_domain, e->last_time);
	e->suspect = true;
	copy(e->suspect_why, sizeof(e->suspect_why), WHY_DOMAIN_BURST);
	unsigned limit = p->hard_limit > 0 ? p->hard_limit : 1;
	bool soft_over = e->soft_limit > 0 &&
			 e->consecutive_soft >= e->soft_limit;
	if (e->state == REBOUND_STATE_SUPPRESSED && e->hard_run < limit &&
	    !soft_over) {
		e->state = resting_state(e);
		e->until = 0;
	}
	suspend(e, p->suspect_suspend_hours, now);
	return true;
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
