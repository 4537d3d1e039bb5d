/* recipients.c - the list of recipients a notice reports, and the
 * reason and hard/soft of each (stages.h). */
#include "stages.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mail/address.h"
#include "mail/strutil.h"
#include "reason.h"
#include "textscan.h"

rebound_action rebound_parse_action(const char *a, const char *status)
{
	if (a != NULL) {
		size_t n = strlen(a);
		if (rebound_ascii_istarts(a, n, "fail"))
			return REBOUND_ACTION_FAILED;
		if (rebound_ascii_istarts(a, n, "delay"))
			return REBOUND_ACTION_DELAYED;
		if (rebound_ascii_istarts(a, n, "deliver"))
			return REBOUND_ACTION_DELIVERED;
		if (rebound_ascii_istarts(a, n, "relay"))
			return REBOUND_ACTION_RELAYED;
		if (rebound_ascii_istarts(a, n, "expand"))
			return REBOUND_ACTION_EXPANDED;
	}
	if (status != NULL && status[0] == '2')
		return REBOUND_ACTION_DELIVERED;
	if (status != NULL && status[0] == '4')
		return REBOUND_ACTION_DELAYED;
	return REBOUND_ACTION_FAILED;
}

/* Room for ncap recipients in l; false when the arena is spent. */
static bool grow(rebound_arena *arena, rebound_rcpt_list *l, size_t ncap)
{
	rebound_recipient *g = rebound_arena_calloc(arena, ncap, sizeof(*g));
	if (g == NULL)
		return false;
	if (l->n)
		memcpy(g, l->v, l->n * sizeof(*g));
	l->v = g;
	l->cap = ncap;
	return true;
}

rebound_recipient *rebound_rcpt_add(rebound_arena *arena, rebound_rcpt_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		if (l->cap < REBOUND_MAX_RCPT && ncap > REBOUND_MAX_RCPT)
			ncap = REBOUND_MAX_RCPT;
		if (!grow(arena, l, ncap))
			return NULL;
	}
	rebound_recipient *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Below this many recipients a linear search costs less than an index. */
#define INDEX_FROM 32

/* A hash that agrees with rebound_address_same (ASCII case ignored). */
static size_t address_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) *
		    1099511628211u;
	}
	return (size_t)(h ^ (h >> 29));
}

/* Add v[i] to the index unless an earlier recipient has its address
 * (the first one is what a search finds). */
static void index_add(rebound_rcpt_list *l, size_t i)
{
	const char *a = l->v[i].address;
	if (a == NULL)
		return;
	size_t mask = l->nslot - 1;
	for (size_t h = address_hash(a) & mask;; h = (h + 1) & mask) {
		if (l->slot[h] == 0) {
			l->slot[h] = i + 1;
			return;
		}
		if (rebound_address_same(l->v[l->slot[h] - 1].address, a))
			return;
	}
}

/* Bring the index up to l->n, growing it to keep it at most half full.
 * False when the arena is spent (the caller searches linearly). */
static bool index_update(rebound_arena *arena, rebound_rcpt_list *l)
{
	if (l->n * 2 > l->nslot) {
		size_t nslot = l->nslot ? l->nslot : 64;
		while (l->n * 2 > nslot)
			nslot *= 2;
		size_t *slot = rebound_arena_calloc(arena, nslot, sizeof(*slot));
		if (slot == NULL)
			return false;
		l->slot = slot;
		l->nslot = nslot;
		l->indexed = 0;
	}
	for (; l->indexed < l->n; l->indexed++)
		index_add(l, l->indexed);
	return true;
}

void rebound_rcpt_reserve(rebound_arena *arena, rebound_rcpt_list *l,
			  size_t more)
{
	size_t want = l->n + (more < REBOUND_MAX_RCPT ? more : REBOUND_MAX_RCPT);
	if (want > REBOUND_MAX_RCPT)
		want = REBOUND_MAX_RCPT;
	/* Only what leaves the reserve and about as much again for the
	   recipients' strings. */
	if (want <= l->cap || want < INDEX_FROM ||
	    rebound_arena_left(arena) / 2 <
	    REBOUND_RCPT_RESERVE + want * sizeof(*l->v))
		return;
	grow(arena, l, want);
}

bool rebound_rcpt_room(rebound_arena *arena, const rebound_rcpt_list *l)
{
	if (l->n >= REBOUND_MAX_RCPT)
		return false;
	size_t need = REBOUND_RCPT_RESERVE;
	if (l->n == l->cap)
		need += (l->cap ? l->cap * 2 : 4) * sizeof(*l->v);
	if ((l->n + 1) * 2 > l->nslot && l->n + 1 >= INDEX_FROM)
		need += (l->nslot ? l->nslot * 2 : 64) * sizeof(*l->slot);
	return rebound_arena_left(arena) >= need;
}

rebound_recipient *rebound_rcpt_find(rebound_arena *arena,
				     rebound_rcpt_list *l, const char *addr)
{
	if (addr == NULL)
		return NULL;
	if (l->n < INDEX_FROM || !index_update(arena, l)) {
		for (size_t i = 0; i < l->n; i++)
			if (rebound_address_same(l->v[i].address, addr))
				return &l->v[i];
		return NULL;
	}
	size_t mask = l->nslot - 1;
	for (size_t h = address_hash(addr) & mask; l->slot[h] != 0;
	     h = (h + 1) & mask)
		if (rebound_address_same(l->v[l->slot[h] - 1].address, addr))
			return &l->v[l->slot[h] - 1];
	return NULL;
}

/* Fill code fields from diagnostic text where the report had none. */
void rebound_rcpt_codes_from_text(rebound_recipient *r, const char *text, size_t n)
{
	if (text == NULL)
		return;
	if (r->status[0] == '\0')
		rebound_find_status(text, n, r->status);
	if (r->reply_code[0] == '\0')
		rebound_find_reply(text, n,
				   r->action == REBOUND_ACTION_DELIVERED ||
				   r->action == REBOUND_ACTION_RELAYED,
				   r->reply_code);
}

rebound_decided_by rebound_rcpt_finish(rebound_arena *arena, rebound_recipient *r,
			const char *reason_text, const char *context)
{
	rebound_reason_choice c = rebound_reason_decide(arena, reason_text, context, r->status,
					r->reply_code, r->action);
	/* Google Groups refuses posts in the poster's language; the group
	   address is the only stable part of its notice.  A clear answer
	   ("the account does not exist") still wins. */
	bool weak_or_none = c.reason == REBOUND_REASON_UNDEFINED ||
			    c.by == REBOUND_BY_WEAK_PHRASE;
	if (weak_or_none &&
	    rebound_ascii_ieq(rebound_address_domain(r->address),
			      "googlegroups.com")) {
		c.reason = REBOUND_REASON_REJECTED;
		c.rule = "vendor googlegroups: posting refused";
		c.by = REBOUND_BY_VENDOR;
		c.suspect = false;
		c.suspect_why = NULL;
	}
	r->reason = c.reason;
	r->rule = c.rule;
	r->suspect = c.suspect;
	r->suspect_why = c.suspect ? c.suspect_why : NULL;
	r->hard = rebound_reason_is_hard(r->reason, r->status, r->reply_code);
	/* A message that expired in the queue was delayed until it gave up:
	   reported as "delayed", the convention of the reason vocabulary. */
	if (r->reason == REBOUND_REASON_EXPIRED &&
	    r->action == REBOUND_ACTION_FAILED)
		r->action = REBOUND_ACTION_DELAYED;
	return c.by;
}

bool rebound_rcpt_any_failed_or_delayed(const rebound_rcpt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].action == REBOUND_ACTION_FAILED ||
		    l->v[i].action == REBOUND_ACTION_DELAYED)
			return true;
	return false;
}

void rebound_rcpt_derive_status(rebound_recipient *r)
{
	if (r->status[0] != '\0' || (r->action != REBOUND_ACTION_FAILED &&
				      r->action != REBOUND_ACTION_DELAYED))
		return;
	char cls;
	if (r->reply_code[0] == '4' || r->reply_code[0] == '5')
		cls = r->reply_code[0];
	else	/* expired is "delayed" by the vocabulary's convention,
		   but the message came back: it failed for good */
		cls = r->action == REBOUND_ACTION_DELAYED &&
		      r->reason != REBOUND_REASON_EXPIRED ? '4' : '5';
	snprintf(r->status, sizeof(r->status), "%c.0.0", cls);
	r->status_derived = true;
}
