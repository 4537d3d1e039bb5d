/* policy.h - what one observation does to a recipient's state, and what a
 * bounce does to its campaign (doc/design.md §6, §7).
 *
 * Pure functions on the records of ledger-record.h: no tdb, no clock.
 * Time is always a parameter, so every rule can be tested with injected
 * time and histories can be replayed.  Time-driven changes (a suspension
 * that ends, a pending delay that expires, a campaign pause that ends) are
 * evaluated lazily, whenever a record is read or written.
 */
#ifndef REBOUND_POLICY_H
#define REBOUND_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ledger-record.h"
#include "classify/result.h"

/* One thing learnt about one recipient. */
typedef struct rebound_observation {
	rebound_class cls;
	rebound_action action;
	rebound_reason reason;
	bool hard;
	bool suspect;
	const char *source;		/* each string may be NULL */
	const char *status;
	const char *reply;
	const char *diag;
	const char *mta;
	const char *sender_domain;
	const char *campaign;
} rebound_observation;

typedef enum rebound_obs_kind {
	REBOUND_OBS_NONE = 0,		/* ordinary mail: nothing to do */
	REBOUND_OBS_DELIVERED,
	REBOUND_OBS_AUTOREPLY,
	REBOUND_OBS_FEEDBACK,
	REBOUND_OBS_DELAYED,
	REBOUND_OBS_FAILED,
} rebound_obs_kind;

rebound_obs_kind rebound_observation_kind(const rebound_observation *o);

/* Apply the passage of time up to `now`: an ended suspension, an expired
 * pending state (counted as one soft bounce at its expiry time, with the
 * soft limit stored in the entry). */
void rebound_entry_refresh(rebound_entry *e, int64_t now);

/* May mail be sent now (after rebound_entry_refresh)? */
bool rebound_entry_may_send(const rebound_entry *e, int64_t now);

/* Apply one observation at `now` (refreshes first).  Returns the kind. */
rebound_obs_kind rebound_entry_apply(rebound_entry *e,
				     const rebound_policy *p,
				     const rebound_observation *o,
				     int64_t now);

/* Clear a recipient by hand: active again, counts of the current run
 * cleared (history totals stay). */
void rebound_entry_unbounce(rebound_entry *e, int64_t now);

/* Campaigns: end a pause whose time is up (a resume). */
void rebound_campaign_refresh(rebound_campaign *c, int64_t now);
/* Count one failed recipient and apply the bounce-rate rule. */
void rebound_campaign_bounce(rebound_campaign *c, const rebound_policy *p,
			     bool hard, int64_t now);
/* Apply the bounce-rate rule to the current counts. */
void rebound_campaign_check(rebound_campaign *c, const rebound_policy *p,
			    int64_t now);
/* By hand: resume (counts start again from here) or cancel. */
void rebound_campaign_resume(rebound_campaign *c, int64_t now);
void rebound_campaign_cancel(rebound_campaign *c, int64_t now);

#endif
