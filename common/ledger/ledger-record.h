/* ledger-record.h - the records kept in the ledger and their encoding.
 *
 * Each tdb value is a small header (magic "rb", format version, record
 * kind) followed by fields, each field a varint tag, a varint length and
 * that many bytes.  Numbers are LEB128 varints (signed ones zigzag), so
 * the bytes mean the same on every machine.  A reader skips fields it does
 * not know and keeps them, so that an older rebound rewriting a record of
 * a newer one does not lose what it cannot read.  Every length is checked:
 * a truncated or damaged record is an error, never a read past the end.
 */
#ifndef REBOUND_LEDGER_RECORD_H
#define REBOUND_LEDGER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "classify/result.h"

/* Format version written (high nibble: major, readers refuse another
 * major; low nibble: minor, only adds fields).  Major 1 is
 * self-contained: every kind but the recipient, and every event that
 * travels (journal.h).  Major 2 is the compact recipient record
 * (doc/design.md, "The ledger's size"): its texts may be references to
 * t: records, its address may be left to its key, and it keeps the
 * seen-before marks and events of its own address; a reader of major 1
 * only refuses it.  This reader reads both. */
#define REBOUND_RECORD_VERSION 0x10
#define REBOUND_RECORD_VERSION_COMPACT 0x20

/* Whether a stored value is written in major 2 (the compact recipient
 * record): its version byte only; the rest is the decoder's to check. */
bool rebound_record_is_compact(const unsigned char *data, size_t len);

enum rebound_record_kind {
	REBOUND_KIND_RECIPIENT = 'r',
	REBOUND_KIND_EVENT = 'e',
	REBOUND_KIND_CAMPAIGN = 'c',
	REBOUND_KIND_SEEN = 'd',
	REBOUND_KIND_META = 'm',
	REBOUND_KIND_SPOOLED = 'q',	/* a notice waiting in the spool */
	REBOUND_KIND_DOMAIN = 'b',	/* a recipient domain's bursts */
	REBOUND_KIND_TEXT = 't',	/* a text kept once, referenced */
};

/* Texts kept once for all records that use them (t:<8 hex of the
 * hash>): a long text of a recipient record or of one of its events
 * (diagnostic, MTA, sender domain, campaign) is stored as a reference
 * when `intern` gives one.  The recipient's own address in the text is
 * replaced by a placeholder byte first (REBOUND_TEXT_ADDRESS), so that
 * one MX's reply is one text for all its recipients. */
#define REBOUND_TEXT_ADDRESS '\x01'

typedef struct rebound_texts {
	/* The reference of the text (never 0), or 0: keep it inline. */
	uint32_t (*intern)(void *ctx, const char *text);
	/* The text of ref into out: 0, or -1 when there is none. */
	int (*lookup)(void *ctx, uint32_t ref, char *out, size_t size);
	void *ctx;
} rebound_texts;

/* A notice seen before, kept in its (only) recipient's record: the
 * first REBOUND_MARK_LEN bytes of the fingerprint (REBOUND_FP_LEN) that
 * d:<hex> keys otherwise (enough: a mark is compared with the few of one
 * recipient only), and when. */
#define REBOUND_FP_LEN 16
#define REBOUND_MARK_LEN 8
typedef struct rebound_seen_mark {
	int64_t time;
	unsigned char fp[REBOUND_MARK_LEN];
} rebound_seen_mark;

/* Marks and bytes of events a recipient record keeps; more go to d: and
 * e: records. */
#define REBOUND_SEEN_KEPT 8
#define REBOUND_EVENTS_MAX 1536

/* Unknown fields kept verbatim (as many as fit). */
#define REBOUND_EXTRA_MAX 512

typedef struct rebound_extra {
	size_t len;
	unsigned char bytes[REBOUND_EXTRA_MAX];
} rebound_extra;

/* Sender domains that saw this address hard-bounce (the global rule). */
#define REBOUND_HARD_DOMAINS 8

typedef struct rebound_hard_domain {
	int64_t time;
	char domain[128];
} rebound_hard_domain;

/* r:<address> - the state of one recipient. */
typedef struct rebound_entry {
	char address[320];		/* as first given, for display */
	rebound_state state;
	int64_t until;			/* SUSPENDED: until when */
	bool suspect;			/* the last hard bounce was suspect */
	/* Why, the evidence's short name ("gateway:cisco", "stage:data",
	   "delivered-lately", "domain-burst"); "" in a record written
	   before it was kept. */
	char suspect_why[48];
	int64_t first_seen, last_seen;
	int64_t pending_since, pending_expires;	/* delayed, no final yet */
	int64_t last_delivered;
	uint32_t hard_count, soft_count, delayed_count, delivered_count;
	uint32_t block_count, autoreply_count, feedback_count;
	uint32_t consecutive_soft;
	uint32_t hard_run;		/* confirmed hard bounces since the
					   last unbounce (hard_limit) */
	uint32_t soft_limit;		/* policy of the last write: lets a
					   reader without a policy expire a
					   pending state */
	/* The last bounce (failed or delayed). */
	int64_t last_time;
	rebound_reason last_reason;
	rebound_action last_action;
	bool last_hard;
	char last_source[16];
	char last_status[16];
	char last_reply[4];
	char last_diag[256];
	char last_mta[128];
	char last_sender_domain[128];
	char last_campaign[128];
	size_t nhard_domains;
	rebound_hard_domain hard_domains[REBOUND_HARD_DOMAINS];
	/* Notices seen for this address alone (instead of d: records). */
	size_t nseen;
	rebound_seen_mark seen[REBOUND_SEEN_KEPT];
	/* This address's events (instead of e: records), encoded: see
	   rebound_entry_add_event and rebound_entry_each_event. */
	size_t events_len;
	unsigned char events[REBOUND_EVENTS_MAX];
	bool last_shared;		/* decoding: the last bounce's fields
					   are the last kept event's */
	rebound_extra extra;
} rebound_entry;

/* What a hand edit an event stands for (a fleet ships edits as events,
 * journal.h); REBOUND_EDIT_NONE for an observation. */
typedef enum rebound_edit {
	REBOUND_EDIT_NONE = 0,
	REBOUND_EDIT_UNBOUNCE,		/* address */
	REBOUND_EDIT_RESUME,		/* campaign */
	REBOUND_EDIT_CANCEL,		/* campaign */
} rebound_edit;

/* Longest cluster node name and event origin ("node:sequence"). */
#define REBOUND_NODE_MAX 64
#define REBOUND_ORIGIN_MAX 80

/* e:<time>:<id> - one event, for reports. */
typedef struct rebound_event {
	int64_t time;
	char address[320];
	rebound_class cls;
	rebound_action action;
	rebound_reason reason;
	bool hard, suspect, unverified;
	char suspect_why[48];		/* as rebound_entry's */
	rebound_state state_after;
	char source[16];
	char status[16];
	char reply[4];
	char diag[256];
	char mta[128];
	char sender_domain[128];
	char campaign[128];
	/* In a fleet only (journal.h): the cluster-unique key, and the
	   hand edit the event stands for. */
	char origin[REBOUND_ORIGIN_MAX];
	rebound_edit edit;
	rebound_extra extra;
} rebound_event;

/* c:<campaign> - counts and state of one campaign. */
typedef struct rebound_campaign {
	char name[128];
	rebound_campaign_state state;
	int64_t until;			/* PAUSED: until when */
	int64_t first_sent, last_sent, last_bounce, changed;
	uint64_t sent, bounced_hard, bounced_soft;
	uint64_t sent_base, bounced_base;	/* counts when last resumed */
	uint32_t pauses;
	rebound_extra extra;
} rebound_campaign;

/* meta - the ledger's own description. */
typedef struct rebound_meta {
	uint32_t schema;		/* REBOUND_RECORD_VERSION at creation */
	int64_t created;
	rebound_extra extra;
} rebound_meta;

/* d:<fingerprint> - seen-before marker. */
typedef struct rebound_seen {
	int64_t time;
	rebound_extra extra;
} rebound_seen;

/* One recipient of a domain's current window of hard bounces. */
typedef struct rebound_burst_hit {
	int64_t time;
	uint32_t shape;			/* hash of the reply's shape */
	char address[320];
} rebound_burst_hit;

/* Recipients of one window kept (suspect_burst_count's largest value). */
#define REBOUND_BURST_HITS 32

/* b:<domain> - hard bounces of one recipient domain that came together
 * with the same reply, and the mark of a domain that blocks the sender
 * (doc/design.md §6 row 14). */
typedef struct rebound_domain {
	char name[128];
	/* The distinct recipients that hard-bounced within the window,
	   oldest first, each with its reply's shape. */
	size_t nhits;
	rebound_burst_hit hits[REBOUND_BURST_HITS];
	/* The mark: set by a burst, cleared by a delivery. */
	bool blocking;
	char shape[160];			/* rebound_reply_shape */
	int64_t block_start, block_last;	/* the marked window */
	uint32_t block_recipients;		/* suspect in it */
	char block_reply[256];			/* the reply that marked it */
	uint32_t blocks;			/* windows marked so far */
	int64_t cleared;			/* the last mark's end */
	char cleared_by[320];			/* the address delivered to */
	rebound_extra extra;
} rebound_domain;

/* A growing byte buffer for encoding. */
typedef struct rebound_buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;			/* out of memory: the buffer is junk */
} rebound_buf;

void rebound_buf_free(rebound_buf *b);

/* Encoders: append one record to b (b->failed on out of memory). */
void rebound_entry_encode(rebound_buf *b, const rebound_entry *e);
/* The compact form (major 2) of the record at key (r:<address>, or NULL):
 * the address left out when the key says it, long texts interned
 * through t (NULL: inline). */
void rebound_entry_encode_compact(rebound_buf *b, const rebound_entry *e,
				  const char *key, const rebound_texts *t);
void rebound_event_encode(rebound_buf *b, const rebound_event *ev);
void rebound_campaign_encode(rebound_buf *b, const rebound_campaign *c);
void rebound_meta_encode(rebound_buf *b, const rebound_meta *m);
void rebound_seen_encode(rebound_buf *b, const rebound_seen *s);
void rebound_domain_encode(rebound_buf *b, const rebound_domain *d);

/* Decoders: fill *out from data[0..len).  Return 0, or -1 with a reason
 * in err (wrong kind, other major version, truncated field). */
int rebound_entry_decode(rebound_entry *out, const unsigned char *data,
			 size_t len, char *err, size_t errlen);
/* Either form, the record at key (its address when the record leaves it
 * out; key may be NULL), its references resolved through t (a reference
 * that t cannot resolve is an error).  t NULL reads the state, counts,
 * marks and kept events only: the texts it refers to are left empty, and
 * so is the last bounce when the record leaves it to its last event. */
int rebound_entry_decode_at(rebound_entry *out, const unsigned char *data,
			    size_t len, const char *key, size_t keylen,
			    const rebound_texts *t, char *err, size_t errlen);

/* Keep ev (an event of e's address) in e; false when there is no room
 * left (then it goes to an e: record). */
bool rebound_entry_add_event(rebound_entry *e, const rebound_event *ev,
			     const rebound_texts *t);
/* Each event kept in e, decoded (the address e's, texts through t) and
 * handed to fn, which returns non-zero to stop.  Returns the count
 * handed, or -1 when one does not decode (err set). */
typedef int (*rebound_kept_event_fn)(const rebound_event *ev, void *ctx);
long rebound_entry_each_event(const rebound_entry *e, const rebound_texts *t,
			      rebound_kept_event_fn fn, void *ctx, char *err,
			      size_t errlen);
/* Drop the events and seen marks kept in e older than `before`; adds
 * their counts. */
void rebound_entry_prune(rebound_entry *e, int64_t before,
			 unsigned long *events, unsigned long *marks);
/* Every text reference in an encoded recipient record (its own and its
 * events'), handed to fn. */
void rebound_entry_refs(const unsigned char *data, size_t len,
			void (*fn)(uint32_t ref, void *ctx), void *ctx);

/* t: records: the text (with placeholders) and the sweep generation
 * that last saw it used (rebound prune). */
void rebound_text_encode(rebound_buf *b, const char *text, uint64_t gen);
int rebound_text_decode(const unsigned char *data, size_t len, char *text,
			size_t size, uint64_t *gen);
int rebound_event_decode(rebound_event *out, const unsigned char *data,
			 size_t len, char *err, size_t errlen);
int rebound_campaign_decode(rebound_campaign *out, const unsigned char *data,
			    size_t len, char *err, size_t errlen);
int rebound_meta_decode(rebound_meta *out, const unsigned char *data,
			size_t len, char *err, size_t errlen);
int rebound_seen_decode(rebound_seen *out, const unsigned char *data,
			size_t len, char *err, size_t errlen);
int rebound_domain_decode(rebound_domain *out, const unsigned char *data,
			  size_t len, char *err, size_t errlen);

/* Low level, for tests of the format itself: append one field. */
void rebound_buf_header(rebound_buf *b, int kind);
void rebound_buf_field(rebound_buf *b, uint64_t tag, const void *data,
		       size_t len);
void rebound_buf_uint(rebound_buf *b, uint64_t tag, uint64_t v);
/* Read one LEB128 number from p[0..len): bytes used, 0 when bad. */
size_t rebound_read_varint(const unsigned char *p, size_t len, uint64_t *out);

#endif
