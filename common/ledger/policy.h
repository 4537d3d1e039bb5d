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
	const char *suspect_why;	/* the classifier's evidence */
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

/* The short name of a suspect hard bounce's evidence, as the ledger
 * keeps it: the classifier's suspect_why up to its first space
 * ("stage:data", "status:5.7.1"), a gateway with its service's whole
 * name ("gateway:cisco", "gateway:email security service"), the words
 * of "policy-words:..." left out; "" for NULL. */
void rebound_suspect_short_name(const char *why, char *out, size_t size);

/* --- a domain that blocks the sender (doc/design.md §6 row 14) --------- */

/* The shape of a reply, for "the same reply": lower case, spaces
 * squeezed, every word with an '@' or a digit in it masked (addresses,
 * codes, hosts with numbers, queue ids), at most size - 1 bytes. */
void rebound_reply_shape(const char *reply, char *out, size_t size);

typedef enum rebound_burst {
	REBOUND_BURST_NONE = 0,		/* no burst (yet) */
	REBOUND_BURST_MARKED,		/* in a marked window: suspect */
	REBOUND_BURST_NEW,		/* this one made a burst: it and
					   the window's others are suspect */
} rebound_burst;

/* A hard "user unknown" for `address` at domain d, with a reply of the
 * given shape (and as it read, for the report).  With
 * suspect_burst_count recipients of the domain that got the same reply
 * within suspect_burst_minutes, the domain is marked as blocking the
 * sender; while it is, each such bounce within the window of the last
 * one is MARKED.  After NEW, d->block_start is where the window
 * started: the caller marks the recipients of d->hits with the same
 * shape (rebound_entry_burst_suspect). */
rebound_burst rebound_domain_hard(rebound_domain *d, const rebound_policy *p,
				  const char *address, const char *shape,
				  const char *reply, int64_t now);

/* The hash of a shape that rebound_burst_hit keeps. */
uint32_t rebound_shape_hash(const char *shape);

/* A delivery to `address` at domain d: the mark is cleared.  Returns
 * true when d changed. */
bool rebound_domain_delivered(rebound_domain *d, const char *address,
			      int64_t now);

/* A recipient whose hard bounce at or after `since` was part of a burst
 * found later: it becomes suspect ("domain-burst") and suspended, and a
 * suppression that bounce made is undone (hard run and sender domain).
 * An address already suspect, global, or whose last bounce was not a
 * hard one of the window stays as it is.  Returns true when e changed. */
bool rebound_entry_burst_suspect(rebound_entry *e, const rebound_policy *p,
				 int64_t since, int64_t now);

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
