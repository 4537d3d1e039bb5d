/* fuzz_record.c - libFuzzer target for the ledger's record decoders.
 *
 * A ledger file can be damaged (a disk, a crash, another program), and
 * every process that reads it decodes its values.  The input goes through
 * each decoder of ledger-record.h.  What decodes must also survive what
 * the ledger then does with it: encoded again, the record decodes again
 * to the same encoding (nothing lost, nothing invented), and the policy
 * (refresh, may-send, one bounce of each kind, unbounce; the campaign
 * rules) runs on it without undefined behaviour, whatever its numbers,
 * at any plausible time now.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/config.h"
#include "ledger/ledger-record.h"
#include "ledger/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1772366400		/* 2026-03-01T12:00:00Z */

/* Encode, decode the encoding, encode again: the two encodings must be
 * the same bytes. */
#define ROUND_TRIP(type, enc, dec, rec)                                      \
	do {                                                                 \
		rebound_buf b1 = { 0 }, b2 = { 0 };                          \
		type *again = calloc(1, sizeof(type));                       \
		char e2[256];                                                \
		if (again == NULL)                                           \
			break;                                               \
		enc(&b1, rec);                                               \
		if (!b1.failed) {                                            \
			if (dec(again, b1.p, b1.len, e2, sizeof(e2)) != 0)   \
				__builtin_trap();                            \
			enc(&b2, again);                                     \
			if (!b2.failed && (b1.len != b2.len ||               \
					   memcmp(b1.p, b2.p, b1.len) != 0)) \
				__builtin_trap();                            \
		}                                                            \
		rebound_buf_free(&b1);                                       \
		rebound_buf_free(&b2);                                       \
		free(again);                                                 \
	} while (0)

static void terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		__builtin_trap();
}

/* A time the clock can show: 1970 to 2100. */
static int plausible(int64_t t)
{
	return t > 0 && t < 4102444800LL;
}

static void policy_on_entry(rebound_entry *e, const rebound_policy *p)
{
	static const rebound_observation obs[] = {
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_USERUNKNOWN, .hard = true,
		  .source = "fuzz", .status = "5.1.1", .reply = "550",
		  .sender_domain = "sender.example", .campaign = "c1" },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_USERUNKNOWN, .hard = true,
		  .suspect = true, .source = "fuzz" },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_BLOCKED, .source = "fuzz" },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_MAILBOXFULL, .source = "fuzz" },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_DELAYED,
		  .reason = REBOUND_REASON_EXPIRED, .source = "fuzz" },
		{ .cls = REBOUND_CLASS_DELIVERED,
		  .action = REBOUND_ACTION_DELIVERED },
		{ .cls = REBOUND_CLASS_AUTOREPLY,
		  .action = REBOUND_ACTION_AUTOREPLY },
		{ .cls = REBOUND_CLASS_FEEDBACK,
		  .action = REBOUND_ACTION_FEEDBACK },
	};
	/* The clock is sane (it is time()); the record's own times are
	 * whatever the damaged file says.  Now may be one of those times
	 * too, when it is a plausible clock reading. */
	int64_t times[6] = { NOW, NOW + 400 * 86400LL, 946684800 };
	size_t ntimes = 3;
	const int64_t own[] = { e->until, e->pending_expires, e->last_seen };
	for (size_t i = 0; i < 3; i++)
		if (plausible(own[i]))
			times[ntimes++] = own[i];
	for (size_t t = 0; t < ntimes; t++) {
		rebound_entry work = *e;
		rebound_entry_refresh(&work, times[t]);
		rebound_entry_may_send(&work, times[t]);
		for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++)
			rebound_entry_apply(&work, p, &obs[i], times[t]);
		rebound_entry_unbounce(&work, times[t]);
		terminated(work.address, sizeof(work.address));
	}
}

/* Texts for compact records: every reference resolves (to a text of its
 * own, with the address placeholder in it), nothing is interned (the
 * encoding under test keeps texts inline). */
static uint32_t no_intern(void *ctx, const char *text)
{
	(void)ctx;
	(void)text;
	return 0;
}

static int any_text(void *ctx, uint32_t ref, char *out, size_t size)
{
	(void)ctx;
	snprintf(out, size, "550 <%c> text %lu", REBOUND_TEXT_ADDRESS,
		 (unsigned long)ref);
	return 0;
}

static const rebound_texts fuzz_texts = { no_intern, any_text, NULL };

/* A recipient record read as the ledger reads it: its texts resolved.
 * (Read without texts, a compact record leaves its last bounce to its
 * last kept event empty, by design: that reading is not a round trip.) */
static int entry_decode_texts(rebound_entry *out, const unsigned char *data,
			      size_t len, char *err, size_t errlen)
{
	return rebound_entry_decode_at(out, data, len, "r:fuzz@example.org",
				       18, &fuzz_texts, err, errlen);
}

/* Written as the ledger writes it (ledger_store_entry): compact, the
 * key spelling the address, texts through the same table. */
static void entry_encode_texts(rebound_buf *b, const rebound_entry *e)
{
	rebound_entry_encode_compact(b, e, "r:fuzz@example.org", &fuzz_texts);
}

static int count_event(const rebound_event *ev, void *ctx)
{
	terminated(ev->address, sizeof(ev->address));
	terminated(ev->diag, sizeof(ev->diag));
	++*(long *)ctx;
	return 0;
}

static void count_ref(uint32_t ref, void *ctx)
{
	if (ref == 0)
		__builtin_trap();
	++*(long *)ctx;
}

/* What the ledger does with a compact record's kept events and marks:
 * walk them (reports), prune them (rebound prune). */
static void kept_on_entry(rebound_entry *e)
{
	long n = 0;
	char err[256];
	rebound_entry_each_event(e, &fuzz_texts, count_event, &n, err,
				 sizeof(err));
	rebound_entry_each_event(e, NULL, count_event, &n, err, sizeof(err));
	rebound_entry *work = malloc(sizeof(*work));
	if (work == NULL)
		return;
	const int64_t cuts[] = { NOW, e->last_seen, INT64_MAX, INT64_MIN };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(*cuts); i++) {
		*work = *e;
		unsigned long evs = 0, marks = 0;
		rebound_entry_prune(work, cuts[i], &evs, &marks);
		if (work->events_len > e->events_len || work->nseen > e->nseen)
			__builtin_trap();
	}
	free(work);
}

static void policy_on_campaign(rebound_campaign *c, const rebound_policy *p)
{
	int64_t times[4] = { NOW, NOW + 400 * 86400LL, 946684800 };
	size_t ntimes = 3;
	if (plausible(c->until))
		times[ntimes++] = c->until;
	for (size_t t = 0; t < ntimes; t++) {
		rebound_campaign work = *c;
		rebound_campaign_refresh(&work, times[t]);
		rebound_campaign_bounce(&work, p, true, times[t]);
		rebound_campaign_bounce(&work, p, false, times[t]);
		rebound_campaign_check(&work, p, times[t]);
		rebound_campaign_resume(&work, times[t]);
		rebound_campaign_cancel(&work, times[t]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rebound_policy policies[2];
	static int ready;
	char err[256];

	if (!ready) {
		rebound_policy_preset(&policies[0], "default");
		if (rebound_policy_preset(&policies[1], "strict") != 0)
			policies[1] = policies[0];
		ready = 1;
	}
	const rebound_policy *p = &policies[size & 1];

	rebound_entry *e = calloc(1, sizeof(*e));
	if (e != NULL && rebound_entry_decode(e, data, size, err,
					      sizeof(err)) == 0) {
		terminated(e->address, sizeof(e->address));
		terminated(e->last_diag, sizeof(e->last_diag));
		if (e->nhard_domains > REBOUND_HARD_DOMAINS ||
		    e->extra.len > REBOUND_EXTRA_MAX)
			__builtin_trap();
		/* Without texts a kept event's references read as empty,
		   so only a record that keeps none is a round trip here. */
		if (e->events_len == 0)
			ROUND_TRIP(rebound_entry, rebound_entry_encode,
				   rebound_entry_decode, e);
		policy_on_entry(e, p);
	}
	/* A compact record (format 2) read and written as the ledger does.
	   (A format-1 record's unknown fields are kept verbatim, and in
	   format 2 their tags may mean something: not a round trip.) */
	bool compact = rebound_record_is_compact(data, size);
	if (e != NULL && compact &&
	    entry_decode_texts(e, data, size, err, sizeof(err)) == 0) {
		terminated(e->address, sizeof(e->address));
		terminated(e->last_diag, sizeof(e->last_diag));
		ROUND_TRIP(rebound_entry, entry_encode_texts,
			   entry_decode_texts, e);
		kept_on_entry(e);
	}
	free(e);
	long refs = 0;
	rebound_entry_refs(data, size, count_ref, &refs);
	char text[256];
	uint64_t gen;
	if (rebound_text_decode(data, size, text, sizeof(text), &gen) == 0)
		terminated(text, sizeof(text));

	rebound_event *ev = calloc(1, sizeof(*ev));
	if (ev != NULL && rebound_event_decode(ev, data, size, err,
					       sizeof(err)) == 0) {
		terminated(ev->address, sizeof(ev->address));
		terminated(ev->diag, sizeof(ev->diag));
		ROUND_TRIP(rebound_event, rebound_event_encode,
			   rebound_event_decode, ev);
	}
	free(ev);

	rebound_campaign *c = calloc(1, sizeof(*c));
	if (c != NULL && rebound_campaign_decode(c, data, size, err,
						 sizeof(err)) == 0) {
		terminated(c->name, sizeof(c->name));
		ROUND_TRIP(rebound_campaign, rebound_campaign_encode,
			   rebound_campaign_decode, c);
		policy_on_campaign(c, p);
	}
	free(c);

	rebound_meta m;
	memset(&m, 0, sizeof(m));
	if (rebound_meta_decode(&m, data, size, err, sizeof(err)) == 0)
		ROUND_TRIP(rebound_meta, rebound_meta_encode,
			   rebound_meta_decode, &m);

	rebound_seen s;
	memset(&s, 0, sizeof(s));
	if (rebound_seen_decode(&s, data, size, err, sizeof(err)) == 0)
		ROUND_TRIP(rebound_seen, rebound_seen_encode,
			   rebound_seen_decode, &s);
	return 0;
}
