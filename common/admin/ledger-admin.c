/* ledger-admin.c - the ledger's read side and the operator's edits, for
 * the rebound command only (see ledger-admin.h): one recipient or
 * campaign, walks over recipients, events and campaigns, unbounce,
 * resuming and cancelling campaigns, prune, check, repack (a new file
 * copied while writers go on) and backup.
 *
 * Moved out of ledger/ledger.c so that the Exim module and the Dovecot
 * plugin do not carry it; it works on the ledger's handle through the
 * helpers of ledger/ledger-internal.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create */
#endif
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger-admin.h"
#include "ledger-read.h"
#include "ledger-scan.h"
#include "ledger/ledger-internal.h"
#include "ledger/campaign-counts.h"
#include "ledger/journal.h"
#include "ledger/ledger-record.h"
#include "ledger/policy.h"
#include "mail/error.h"

/* --- read side and edits --------------------------------------------- */

static int get_entry(rebound_ledger *l, const char *address, int64_t now,
		     rebound_entry *out, bool texts, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not an address: '%s'",
				     address);
	int rc = texts ? ledger_fetch_entry(l, k, out, err, errlen)
		       : ledger_fetch_entry_lean(l, k, out, err, errlen);
	if (rc == 1)
		rebound_entry_refresh(out, now);
	return rc;
}

int rebound_ledger_get(rebound_ledger *l, const char *address, int64_t now,
		       rebound_entry *out, char *err, size_t errlen)
{
	return get_entry(l, address, now, out, true, err, errlen);
}

int rebound_ledger_get_state(rebound_ledger *l, const char *address,
			     int64_t now, rebound_entry *out, char *err,
			     size_t errlen)
{
	return get_entry(l, address, now, out, false, err, errlen);
}

/* Walk every key starting with `prefix`; fn gets the value. */
typedef int (*walk_fn)(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
		       void *ctx);

/* One hash chain's records (those with the prefix), copied so that the
 * chain's lock is let go before anyone looks at them. */
typedef struct chain_copy {
	TDB_DATA *keys, *vals;
	size_t n, cap;
	bool oom;
	const char *prefix;
	size_t plen;
} chain_copy;

static bool dup_data(TDB_DATA *to, TDB_DATA from)
{
	to->dsize = from.dsize;
	to->dptr = malloc(from.dsize ? from.dsize : 1);
	if (to->dptr != NULL && from.dsize > 0)
		memcpy(to->dptr, from.dptr, from.dsize);
	return to->dptr != NULL;
}

static int copy_from_chain(struct tdb_context *tdb, TDB_DATA key,
			   TDB_DATA val, void *p)
{
	(void)tdb;
	chain_copy *c = p;
	if (key.dsize < c->plen || memcmp(key.dptr, c->prefix, c->plen) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		TDB_DATA *k = realloc(c->keys, cap * sizeof(*k));
		if (k != NULL)
			c->keys = k;
		TDB_DATA *v = k != NULL ? realloc(c->vals, cap * sizeof(*v)) :
					  NULL;
		if (v == NULL) {
			c->oom = true;
			return -1;
		}
		c->vals = v;
		c->cap = cap;
	}
	if (!dup_data(&c->keys[c->n], key)) {
		c->oom = true;
		return -1;
	}
	if (!dup_data(&c->vals[c->n], val)) {
		free(c->keys[c->n].dptr);
		c->oom = true;
		return -1;
	}
	c->n++;
	return 0;
}

static void chain_copy_clear(chain_copy *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->keys[i].dptr);
		free(c->vals[i].dptr);
	}
	c->n = 0;
}

/* Hash chains that could not be read (a damaged record: the records
 * after it in its chain are out of reach), and the first of them. */
typedef struct walk_damage {
	unsigned long chains;
	char first[200];
} walk_damage;

/* Chain heads read at once when looking for empty chains. */
#define HEADS_PER_READ 4096

/* Which chains hold records: tdb keeps one 4-byte head per chain after
 * its 168-byte header and the free list's head (see ledger-scan.c); 0
 * is an empty chain in either byte order.  Read without a lock, as a
 * hint: a chain that was empty here and gets a record meanwhile is one
 * the walk misses, as it misses a record stored in a chain it has
 * passed.  A ledger has a chain per expected recipient, so most are
 * empty in a small one, and a chain's lock costs two system calls.
 * Fills heads[0..n) for chains first.., n <= HEADS_PER_READ; returns
 * false when the heads cannot be read (then every chain is walked). */
static bool read_chain_heads(struct tdb_context *tdb, int first, int n,
			     uint32_t *heads)
{
	off_t at = 168 + 4 + 4 * (off_t)first;
	size_t want = (size_t)n * sizeof(*heads);
	ssize_t got = pread(tdb_fd(tdb), heads, want, at);
	return got == (ssize_t)want;
}

/* The walk goes one hash chain at a time (tdb_traverse_chain: a read
 * lock on that chain only, never on the whole file, so that no writer
 * waits for more than one chain), and skips a chain it cannot read,
 * counting it in *damage and in the result as one record.  Returns the
 * count of records that could not be read, or -1. */
static long walk_tdb(rebound_ledger *l, struct tdb_context *tdb,
		     const char *prefix, walk_fn fn, void *ctx,
		     walk_damage *damage, char *err, size_t errlen)
{
	chain_copy c = { .prefix = prefix, .plen = strlen(prefix) };
	long bad = 0;
	int stop = 0;
	int chains = tdb_hash_size(tdb);
	uint32_t heads[HEADS_PER_READ];
	bool have_heads = false;
	for (int chain = 0; chain < chains && !stop; chain++) {
		int slot = chain % HEADS_PER_READ;
		if (slot == 0) {
			int n = chains - chain < HEADS_PER_READ ?
					chains - chain : HEADS_PER_READ;
			have_heads = read_chain_heads(tdb, chain, n, heads);
		}
		if (have_heads && heads[slot] == 0)
			continue;
		ledger_tdb_last_log[0] = '\0';
		if (tdb_traverse_chain(tdb, (unsigned)chain, copy_from_chain,
				       &c) < 0) {
			if (c.oom) {
				chain_copy_clear(&c);
				free(c.keys);
				free(c.vals);
				return rebound_error(err, errlen,
						     "%s: out of memory",
						     l->path);
			}
			enum TDB_ERROR e = tdb_error(tdb);
			if (e == TDB_ERR_LOCK || e == TDB_ERR_NOLOCK ||
			    e == TDB_ERR_LOCK_TIMEOUT) {
				chain_copy_clear(&c);
				free(c.keys);
				free(c.vals);
				return ledger_db_fail(l, "walk the records",
						      err, errlen);
			}
			bad++;
			if (damage != NULL && damage->chains++ == 0)
				snprintf(damage->first, sizeof(damage->first),
					 "hash chain %d cannot be read: %s%s%s%s",
					 chain, tdb_errorstr(tdb),
					 ledger_tdb_last_log[0] ? " (" : "",
					 ledger_tdb_last_log,
					 ledger_tdb_last_log[0] ? ")" : "");
		}
		for (size_t i = 0; i < c.n && !stop; i++) {
			int rc = fn(l, c.keys[i], c.vals[i], ctx);
			if (rc < 0)
				bad++;
			else if (rc > 0)
				stop = 1;
		}
		chain_copy_clear(&c);
	}
	free(c.keys);
	free(c.vals);
	return bad;
}

/* ledger-read.c's records to a walk_fn, and its chain-by-chain rest. */
typedef struct read_adapter {
	rebound_ledger *l;
	walk_fn fn;
	void *ctx;
	ledger_read_fn rfn;
	void *rctx;
} read_adapter;

static int from_reader(TDB_DATA key, TDB_DATA val, void *p)
{
	read_adapter *a = p;
	return a->fn(a->l, key, val, a->ctx);
}

static int to_reader(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	read_adapter *a = p;
	return a->rfn(key, val, a->rctx);
}

static long walk_chains(void *walker, const char *prefix, ledger_read_fn fn,
			void *ctx, char *err, size_t errlen)
{
	read_adapter *a = walker;
	read_adapter b = { .l = a->l, .rfn = fn, .rctx = ctx };
	return walk_tdb(a->l, a->l->tdb, prefix, to_reader, &b, NULL, err,
			errlen);
}

/* The reports' walks read the file in blocks (ledger-read.h).  For the
 * benchmark and the tests: REBOUND_WALK=chains walks one chain at a time
 * as before, REBOUND_WALK=report says on stderr what a block walk met. */
static long walk(rebound_ledger *l, const char *prefix, walk_fn fn,
		 void *ctx, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	const char *how = getenv("REBOUND_WALK");
	if (how != NULL && strcmp(how, "chains") == 0)
		return walk_tdb(l, l->tdb, prefix, fn, ctx, NULL, err, errlen);
	read_adapter a = { .l = l, .fn = fn, .ctx = ctx };
	ledger_read_report rep;
	long rc = rebound_ledger_read(l->tdb, prefix, from_reader, &a,
				      walk_chains, &a, &rep, err, errlen);
	if (how != NULL && strcmp(how, "report") == 0)
		fprintf(stderr, "walk %s: blocks=%lu changed=%lu chains=%lu "
			"fallback=%d%s%s\n", prefix, rep.blocks, rep.changed,
			rep.chains, rep.fallback, rep.fallback ? " " : "",
			rep.why);
	return rc;
}

typedef struct walk_ctx {
	int64_t now;
	void *fn;
	void *ctx;
	bool stopped;			/* fn asked to stop */
	rebound_texts *texts;		/* recipients: theirs */
} walk_ctx;

static int walk_entry(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	walk_ctx *w = p;
	rebound_entry e;
	if (rebound_entry_decode_at(&e, val.dptr, val.dsize,
				    (const char *)key.dptr, key.dsize, w->texts,
				    NULL, 0) < 0)
		return -1;
	rebound_entry_refresh(&e, w->now);
	return ((rebound_entry_fn)w->fn)(&e, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_recipient(rebound_ledger *l, int64_t now,
				   rebound_entry_fn fn, void *ctx,
				   char *err, size_t errlen)
{
	rebound_texts t;
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	if (ledger_texts(l, &t) == NULL)
		return rebound_error(err, errlen, "out of memory");
	walk_ctx w = { now, (void *)fn, ctx, false, &t };
	long rc = walk(l, "r:", walk_entry, &w, err, errlen);
	ledger_texts_free(&t);
	return rc;
}

static int walk_event(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	(void)key;
	walk_ctx *w = p;
	rebound_event ev;
	if (rebound_event_decode(&ev, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	w->stopped = ((rebound_event_fn)w->fn)(&ev, w->ctx) != 0;
	return w->stopped ? 1 : 0;
}

/* The events a recipient record keeps (ledger-record.h). */
typedef struct kept_walk {
	rebound_event_fn fn;
	void *ctx;
	bool stop;
	rebound_texts t;
	rebound_entry e;
} kept_walk;

static int kept_event(const rebound_event *ev, void *p)
{
	kept_walk *k = p;
	if (k->fn(ev, k->ctx) != 0) {
		k->stop = true;
		return 1;
	}
	return 0;
}

static int walk_kept(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	kept_walk *k = p;
	/* Only a compact record keeps events: the texts of the record
	   itself are not needed here. */
	if (!rebound_record_is_compact(val.dptr, val.dsize))
		return 0;
	if (ledger_decode_entry(l, (const char *)key.dptr, key.dsize, val.dptr,
				val.dsize, &k->e, false, NULL, 0) < 0)
		return -1;
	if (k->e.events_len == 0)
		return 0;
	if (rebound_entry_each_event(&k->e, &k->t, kept_event, k, NULL, 0) < 0)
		return -1;
	return k->stop ? 1 : 0;
}

long rebound_ledger_each_event(rebound_ledger *l, rebound_event_fn fn,
			       void *ctx, char *err, size_t errlen)
{
	walk_ctx w = { 0, (void *)fn, ctx, false, NULL };
	long bad = walk(l, "e:", walk_event, &w, err, errlen);
	if (bad < 0 || w.stopped)
		return bad;
	kept_walk *k = malloc(sizeof(*k));
	if (k == NULL || ledger_texts(l, &k->t) == NULL) {
		free(k);
		return rebound_error(err, errlen, "out of memory");
	}
	k->fn = fn;
	k->ctx = ctx;
	k->stop = false;
	long more = walk(l, "r:", walk_kept, k, err, errlen);
	ledger_texts_free(&k->t);
	free(k);
	return more < 0 ? -1 : bad + more;
}

static int walk_campaign(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			 void *p)
{
	(void)key;
	walk_ctx *w = p;
	rebound_campaign c;
	if (rebound_campaign_decode(&c, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	/* its sends since the record last changed (campaign-counts.h) */
	campaign_counts_merge(l->path, &c);
	rebound_campaign_refresh(&c, w->now);
	return ((rebound_campaign_fn)w->fn)(&c, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_campaign(rebound_ledger *l, int64_t now,
				  rebound_campaign_fn fn, void *ctx,
				  char *err, size_t errlen)
{
	walk_ctx w = { now, (void *)fn, ctx, false, NULL };
	return walk(l, "c:", walk_campaign, &w, err, errlen);
}

static int walk_domain(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
		       void *p)
{
	(void)l;
	(void)key;
	walk_ctx *w = p;
	static rebound_domain d;	/* large: not on the stack */
	if (rebound_domain_decode(&d, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	return ((rebound_domain_fn)w->fn)(&d, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_domain(rebound_ledger *l, rebound_domain_fn fn,
				void *ctx, char *err, size_t errlen)
{
	walk_ctx w = { 0, (void *)fn, ctx, false, NULL };
	return walk(l, "b:", walk_domain, &w, err, errlen);
}

int rebound_ledger_domain_get(rebound_ledger *l, const char *domain,
			      rebound_domain *out, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[sizeof(out->name) + 2];
	if (ledger_domain_key(domain, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not a domain: '%s'", domain);
	return ledger_fetch_domain(l, k, out, err, errlen);
}

int rebound_ledger_unbounce(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen)
{
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not an address: '%s'",
				     address);
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	rebound_entry e;
	int rc = ledger_fetch_entry(l, k, &e, err, errlen);
	if (rc <= 0) {
		ledger_cancel(l);
		return rc;
	}
	rebound_entry_refresh(&e, now);
	rebound_entry_unbounce(&e, now);
	if (ledger_store_entry(l, k, &e, err, errlen) < 0 ||
	    ledger_journal_edit(l, REBOUND_EDIT_UNBOUNCE, address, now, err,
				errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	return ledger_commit(l, err, errlen) < 0 ? -1 : 1;
}

int rebound_ledger_campaign_get(rebound_ledger *l, const char *campaign,
				int64_t now, rebound_campaign *out,
				char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[160];
	if (ledger_campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not a campaign name: '%s'",
				     campaign);
	int rc = ledger_fetch_campaign(l, k, out, err, errlen);
	if (rc == 1)
		rebound_campaign_refresh(out, now);
	return rc;
}

int rebound_ledger_campaign_set(rebound_ledger *l, const char *campaign,
				rebound_campaign_op op, int64_t now,
				rebound_campaign *out, char *err,
				size_t errlen)
{
	char k[160];
	if (ledger_campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not a campaign name: '%s'",
				     campaign);
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	rebound_campaign c;
	int rc = ledger_fetch_campaign(l, k, &c, err, errlen);
	if (rc <= 0) {
		ledger_cancel(l);
		return rc;
	}
	rebound_campaign_refresh(&c, now);
	if (op == REBOUND_CAMPAIGN_OP_RESUME)
		rebound_campaign_resume(&c, now);
	else
		rebound_campaign_cancel(&c, now);
	rebound_edit edit = op == REBOUND_CAMPAIGN_OP_RESUME ?
				    REBOUND_EDIT_RESUME : REBOUND_EDIT_CANCEL;
	if (ledger_store_campaign(l, k, &c, err, errlen) < 0 ||
	    ledger_journal_edit(l, edit, campaign, now, err, errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	if (ledger_commit(l, err, errlen) < 0)
		return -1;
	if (out != NULL)
		*out = c;
	return 1;
}

/* --- prune -------------------------------------------------------------- */

typedef struct key_list {
	TDB_DATA *keys;
	size_t n, cap;
	bool oom;
	int64_t before;
	unsigned long events, markers;
	rebound_entry *e;		/* prune_kept's */
} key_list;

static void key_list_add(key_list *kl, TDB_DATA key)
{
	if (kl->oom)
		return;
	if (kl->n == kl->cap) {
		size_t cap = kl->cap ? kl->cap * 2 : 1024;
		TDB_DATA *p = realloc(kl->keys, cap * sizeof(*p));
		if (p == NULL) {
			kl->oom = true;
			return;
		}
		kl->keys = p;
		kl->cap = cap;
	}
	unsigned char *copy = malloc(key.dsize ? key.dsize : 1);
	if (copy == NULL) {
		kl->oom = true;
		return;
	}
	memcpy(copy, key.dptr, key.dsize);
	kl->keys[kl->n].dptr = copy;
	kl->keys[kl->n].dsize = key.dsize;
	kl->n++;
}

static void key_list_free(key_list *kl)
{
	for (size_t i = 0; i < kl->n; i++)
		free(kl->keys[i].dptr);
	free(kl->keys);
}

/* e:<11 digits>:...: the time is in the key. */
static int prune_event(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	(void)val;
	key_list *kl = p;
	int64_t t = 0;
	for (size_t i = 2; i < key.dsize && key.dptr[i] != ':'; i++) {
		if (key.dptr[i] < '0' || key.dptr[i] > '9' || t > INT64_MAX / 20)
			return 0;
		t = t * 10 + (key.dptr[i] - '0');
	}
	if (t < kl->before) {
		key_list_add(kl, key);
		kl->events++;
	}
	return 0;
}

static int prune_marker(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			void *p)
{
	(void)l;
	key_list *kl = p;
	rebound_seen s;
	if (rebound_seen_decode(&s, val.dptr, val.dsize, NULL, 0) < 0)
		return 0;		/* left for db check to report */
	if (s.time < kl->before) {
		key_list_add(kl, key);
		kl->markers++;
	}
	return 0;
}

/* A compact recipient record keeping events or marks older than the
 * cut: its key, to be rewritten without them. */
static int prune_kept(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	key_list *kl = p;
	if (!rebound_record_is_compact(val.dptr, val.dsize))
		return 0;
	if (ledger_decode_entry(l, (const char *)key.dptr, key.dsize, val.dptr,
				val.dsize, kl->e, false, NULL, 0) < 0)
		return 0;		/* left for db check to report */
	unsigned long ev = 0, mk = 0;
	rebound_entry_prune(kl->e, kl->before, &ev, &mk);
	if (ev + mk > 0) {
		key_list_add(kl, key);
		kl->events += ev;
		kl->markers += mk;
	}
	return 0;
}

/* Delete (or, for an r: key, rewrite without its old events and marks)
 * the keys of kl in small transactions, so that writers never wait
 * long.  0 or -1. */
static int prune_keys(rebound_ledger *l, key_list *kl, char *err,
		      size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < kl->n && rc == 0; i += 1000) {
		if (ledger_begin(l, err, errlen) < 0)
			return -1;
		for (size_t j = i; j < kl->n && j < i + 1000 && rc == 0; j++) {
			TDB_DATA key = kl->keys[j];
			if (key.dsize > 2 && key.dptr[0] == 'r' &&
			    key.dsize < 340) {
				char k[340];
				memcpy(k, key.dptr, key.dsize);
				k[key.dsize] = '\0';
				int found = ledger_fetch_entry(l, k, kl->e, err,
							       errlen);
				if (found > 0) {
					rebound_entry_prune(kl->e, kl->before,
							    NULL, NULL);
					found = ledger_store_entry(l, k, kl->e,
								   err, errlen);
				}
				if (found < 0)
					rc = -1;
				continue;
			}
			if (tdb_delete(l->tdb, key) != 0 &&
			    tdb_error(l->tdb) != TDB_ERR_NOEXIST)
				rc = ledger_db_fail(l, "delete", err, errlen);
		}
		if (rc < 0)
			ledger_cancel(l);
		else if (ledger_commit(l, err, errlen) < 0)
			rc = -1;
	}
	return rc;
}

/* --- the texts' sweep ------------------------------------------------------ */

/* Texts that no record refers to any more are deleted: a mark and
 * sweep.  The generation goes up first; a writer that uses a text
 * afterwards marks it with the new one (ledger.c, text_intern), and the
 * sweep deletes only texts of an older generation that the walk over the
 * recipients did not see referred to.  Memory: one entry per text. */
typedef struct text_set {
	uint32_t *refs;
	unsigned char *used;
	size_t n, cap;
	uint64_t gen;
	bool oom;
} text_set;

static int collect_text(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			void *p)
{
	(void)l;
	text_set *ts = p;
	char text[512];
	uint64_t gen;
	unsigned long ref = 0;
	if (key.dsize != 10 || rebound_text_decode(val.dptr, val.dsize, text,
						   sizeof(text), &gen) < 0 ||
	    gen >= ts->gen)
		return 0;
	for (size_t i = 2; i < 10; i++) {
		int c = key.dptr[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		ref = ref * 16 + (unsigned long)d;
	}
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 1024;
		uint32_t *r = realloc(ts->refs, cap * sizeof(*r));
		if (r == NULL) {
			ts->oom = true;
			return 1;
		}
		ts->refs = r;
		ts->cap = cap;
	}
	ts->refs[ts->n++] = (uint32_t)ref;
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void mark_ref(uint32_t ref, void *p)
{
	text_set *ts = p;
	uint32_t *hit = bsearch(&ref, ts->refs, ts->n, sizeof(ref), cmp_ref);
	if (hit != NULL)
		ts->used[hit - ts->refs] = 1;
}

static int mark_texts(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	(void)key;
	rebound_entry_refs(val.dptr, val.dsize, mark_ref, p);
	return 0;
}

static int sweep_texts(rebound_ledger *l, unsigned long *swept, char *err,
		       size_t errlen)
{
	text_set ts = { 0 };
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	ts.gen = ledger_text_generation(l) + 1;
	if (ledger_set_text_generation(l, ts.gen, err, errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	if (ledger_commit(l, err, errlen) < 0)
		return -1;
	int rc = -1;
	if (walk(l, "t:", collect_text, &ts, err, errlen) < 0)
		goto out;
	if (ts.oom || (ts.n > 0 && (ts.used = calloc(ts.n, 1)) == NULL)) {
		rc = rebound_error(err, errlen, "prune: out of memory");
		goto out;
	}
	if (ts.n == 0) {
		rc = 0;
		goto out;
	}
	qsort(ts.refs, ts.n, sizeof(*ts.refs), cmp_ref);
	if (walk(l, "r:", mark_texts, &ts, err, errlen) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < ts.n && rc == 0; i += 1000) {
		if (ledger_begin(l, err, errlen) < 0) {
			rc = -1;
			break;
		}
		for (size_t j = i; j < ts.n && j < i + 1000 && rc == 0; j++) {
			if (ts.used[j])
				continue;
			char k[16], text[512];
			uint64_t gen;
			ledger_text_key(ts.refs[j], k, sizeof(k));
			TDB_DATA key = { (unsigned char *)k, strlen(k) };
			TDB_DATA v = tdb_fetch(l->tdb, key);
			if (v.dptr == NULL)
				continue;
			/* Used since the walk began: spared. */
			bool old = rebound_text_decode(v.dptr, v.dsize, text,
						       sizeof(text), &gen) == 0 &&
				   gen < ts.gen;
			free(v.dptr);
			if (!old)
				continue;
			if (tdb_delete(l->tdb, key) != 0)
				rc = ledger_db_fail(l, "delete", err, errlen);
			else if (swept != NULL)
				(*swept)++;
		}
		if (rc < 0)
			ledger_cancel(l);
		else if (ledger_commit(l, err, errlen) < 0)
			rc = -1;
	}
out:
	free(ts.refs);
	free(ts.used);
	return rc;
}

int rebound_ledger_prune(rebound_ledger *l, int64_t before,
			 unsigned long *events, unsigned long *markers,
			 char *err, size_t errlen)
{
	key_list kl = { .before = before };
	kl.e = malloc(sizeof(*kl.e));
	if (kl.e == NULL)
		return rebound_error(err, errlen, "prune: out of memory");
	if (walk(l, "e:", prune_event, &kl, err, errlen) < 0 ||
	    walk(l, "d:", prune_marker, &kl, err, errlen) < 0 ||
	    walk(l, "r:", prune_kept, &kl, err, errlen) < 0) {
		key_list_free(&kl);
		free(kl.e);
		return -1;
	}
	if (kl.oom) {
		key_list_free(&kl);
		free(kl.e);
		return rebound_error(err, errlen, "prune: out of memory");
	}
	int rc = prune_keys(l, &kl, err, errlen);
	if (events != NULL)
		*events = kl.events;
	if (markers != NULL)
		*markers = kl.markers;
	key_list_free(&kl);
	free(kl.e);
	if (rc == 0)
		rc = sweep_texts(l, NULL, err, errlen);
	return rc;
}

/* --- check and backup ------------------------------------------------- */

static void problem(rebound_check_report *r, TDB_DATA key, const char *why)
{
	r->bad++;
	if (r->first_problem[0] == '\0')
		snprintf(r->first_problem, sizeof(r->first_problem),
			 "record %.*s: %s", (int)(key.dsize > 80 ? 80 : key.dsize),
			 (const char *)key.dptr, why);
}

static int count_kept(const rebound_event *ev, void *p)
{
	(void)ev;
	(*(unsigned long *)p)++;
	return 0;
}

/* The events a recipient record keeps decode, their texts there. */
static int check_kept(rebound_ledger *l, const rebound_entry *e,
		      rebound_check_report *r, char *why, size_t size)
{
	r->markers += e->nseen;
	if (e->events_len == 0)
		return 0;
	rebound_texts t;
	if (ledger_texts(l, &t) == NULL)
		return rebound_error(why, size, "out of memory");
	unsigned long n = 0;
	long rc = rebound_entry_each_event(e, &t, count_kept, &n, why, size);
	ledger_texts_free(&t);
	r->events += n;
	return rc < 0 ? -1 : 0;
}

static int check_record(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			void *p)
{
	rebound_check_report *r = p;
	char why[100] = "";
	int rc = 0;
	union {
		rebound_entry e;
		rebound_event ev;
		rebound_campaign c;
		rebound_seen s;
		rebound_meta m;
		rebound_domain b;
	} u;
	if (key.dsize >= 2 && key.dptr[1] == ':') {
		switch (key.dptr[0]) {
		case 'r':
			r->recipients++;
			/* Its texts must be there; its kept events and marks
			   count as events and markers. */
			rc = ledger_decode_entry(l, (const char *)key.dptr,
						 key.dsize, val.dptr, val.dsize,
						 &u.e, l != NULL, why,
						 sizeof(why));
			if (rc == 0 && l != NULL)
				rc = check_kept(l, &u.e, r, why, sizeof(why));
			break;
		case 't': {
			char text[512];
			uint64_t gen;
			rc = rebound_text_decode(val.dptr, val.dsize, text,
						 sizeof(text), &gen);
			if (rc < 0)
				snprintf(why, sizeof(why), "not a text");
			break;
		}
		case 'e':
			r->events++;
			rc = rebound_event_decode(&u.ev, val.dptr, val.dsize, why,
						  sizeof(why));
			break;
		case 'c':
			r->campaigns++;
			rc = rebound_campaign_decode(&u.c, val.dptr, val.dsize,
						     why, sizeof(why));
			break;
		case 'd':
			r->markers++;
			rc = rebound_seen_decode(&u.s, val.dptr, val.dsize, why,
						 sizeof(why));
			break;
		case 'b':
			r->domains++;
			rc = rebound_domain_decode(&u.b, val.dptr, val.dsize,
						   why, sizeof(why));
			break;
		default:
			r->other++;
		}
	} else if (key.dsize == 7 && memcmp(key.dptr, "textgen", 7) == 0) {
		/* the texts' sweep generation (ledger.c): a number */
	} else if (key.dsize == 4 && memcmp(key.dptr, "meta", 4) == 0) {
		rc = rebound_meta_decode(&u.m, val.dptr, val.dsize, why,
					 sizeof(why));
		r->meta_ok = rc == 0;
	} else {
		r->other++;
	}
	if (rc < 0)
		problem(r, key, why);
	return 0;
}

static bool key_stored(const unsigned char *key, size_t len, void *ctx)
{
	TDB_DATA k = { (unsigned char *)(uintptr_t)key, len };
	return tdb_exists(ctx, k) == 1;
}

/* A private copy of the ledger file for the checks that read all of it
 * at once (tdb_check, ledger-scan.c, tdb_rescue) and for repack: the
 * bytes are copied while writers wait (tdb_lockall_read, so that the
 * copy is one consistent state; have_lock: the caller's transaction
 * already keeps commits out), which takes a fraction of what the checks
 * take; the copy is opened without locks and unlinked at once.  NULL
 * with err. */
static struct tdb_context *open_snapshot(rebound_ledger *l, bool have_lock,
					 char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char tmp[1100];
	/* In memory where the system has it: writers wait for the copy,
	   and a disk-backed TMPDIR took 4 times as long (doc/faults.md). */
	bool in_memory = false;
	int fd = memfd_create("rebound-snapshot", MFD_CLOEXEC);
	if (fd >= 0) {
		in_memory = true;
		snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
	} else {
		snprintf(tmp, sizeof(tmp), "%s/rebound-snapshot-XXXXXX",
			 dir != NULL && dir[0] != '\0' ? dir : "/tmp");
		fd = mkstemp(tmp);
	}
	if (fd < 0) {
		rebound_error(err, errlen, "%s: cannot make a copy: %s", tmp,
			      strerror(errno));
		return NULL;
	}
	if (!have_lock && tdb_lockall_read(l->tdb) != 0) {
		ledger_db_fail(l, "lock for a copy", err, errlen);
		close(fd);
		if (!in_memory)
			unlink(tmp);
		return NULL;
	}
	static char buf[1 << 20];
	int src = tdb_fd(l->tdb);
	int copy_errno = 0;
	for (off_t off = 0;;) {
		ssize_t n = pread(src, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				copy_errno = errno;
			break;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				copy_errno = w < 0 ? errno : ENOSPC;
				break;
			}
			done += w;
		}
		if (copy_errno != 0)
			break;
		off += n;
	}
	if (!have_lock)
		tdb_unlockall_read(l->tdb);
	/* a file in memory lives while a descriptor is open: the one tdb
	   opens below */
	if (!in_memory && close(fd) != 0 && copy_errno == 0)
		copy_errno = errno;
	struct tdb_context *t = NULL;
	if (copy_errno == 0) {
		const struct tdb_logging_context log_ctx = { ledger_tdb_log,
							     NULL };
		t = tdb_open_ex(tmp, 0, TDB_NOLOCK, O_RDWR, 0600, &log_ctx,
				NULL);
		if (t == NULL)
			copy_errno = errno != 0 ? errno : EIO;
	}
	if (in_memory)
		close(fd);
	else
		unlink(tmp);
	if (t == NULL)
		rebound_error(err, errlen, "%s: cannot copy the ledger to %s: %s%s%s",
			      l->path, tmp, strerror(copy_errno),
			      ledger_tdb_last_log[0] ? ": " : "",
			      ledger_tdb_last_log);
	return t;
}

/* The second opinion of ledger-scan.c on the snapshot's bytes. */
static int scan_file(struct tdb_context *snap, rebound_tdb_scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	int rc = -1;
	struct stat st;
	if (fstat(tdb_fd(snap), &st) != 0 || st.st_size <= 0) {
		snprintf(sc->problem, sizeof(sc->problem), "cannot stat: %s",
			 strerror(errno));
	} else {
		size_t size = (size_t)st.st_size;
		void *p = mmap(NULL, size, PROT_READ, MAP_SHARED,
			       tdb_fd(snap), 0);
		if (p == MAP_FAILED) {
			snprintf(sc->problem, sizeof(sc->problem),
				 "cannot map: %s", strerror(errno));
		} else {
			rc = rebound_tdb_scan_layout(p, size, key_stored,
						     snap, sc);
			munmap(p, size);
		}
	}
	return rc;
}

int rebound_ledger_check(rebound_ledger *l, rebound_check_report *r,
			 char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	/* tdb_check holds a read lock on the whole file for as long as it
	   runs (seconds on a large ledger): it reads a copy instead. */
	struct tdb_context *snap = open_snapshot(l, false, err, errlen);
	if (snap == NULL)
		return -1;
	ledger_tdb_last_log[0] = '\0';
	r->tdb_ok = tdb_check(snap, NULL, NULL) == 0;
	/* tdb_check (tdb 1.4) also fails files that tdb itself reads
	   without fault (ledger-scan.h): a second opinion tells space a
	   killed commit left unused from damage. */
	if (!r->tdb_ok) {
		char what[200];
		snprintf(what, sizeof(what), "%s", ledger_tdb_last_log);
		rebound_tdb_scan sc;
		int rc = scan_file(snap, &sc);
		if (rc == 0 && sc.unused_areas > 0) {
			r->unused_space = true;
			r->unused_bytes = sc.unused_bytes;
		} else if (rc == 1) {
			snprintf(r->first_problem, sizeof(r->first_problem),
				 "tdb check failed: %s", sc.problem);
		} else {
			snprintf(r->first_problem, sizeof(r->first_problem),
				 "tdb check failed%s%s", what[0] ? ": " : "",
				 what);
		}
	}
	walk_damage damage = { 0 };
	/* The texts the records refer to are looked for in the copy. */
	rebound_ledger in_copy = *l;
	in_copy.tdb = snap;
	long rc = walk_tdb(&in_copy, snap, "", check_record, r, &damage, err,
			   errlen);
	tdb_close(snap);
	if (rc < 0)
		return -1;
	r->bad += damage.chains;
	if (damage.chains > 0 && r->first_problem[0] == '\0')
		snprintf(r->first_problem, sizeof(r->first_problem), "%s",
			 damage.first);
	if (!r->meta_ok && r->first_problem[0] == '\0')
		snprintf(r->first_problem, sizeof(r->first_problem),
			 "no valid meta record");
	return (r->tdb_ok || r->unused_space) && r->meta_ok && r->bad == 0 ?
		       0 : 1;
}

/* Whether a record found by tdb_rescue is one of the ledger's (its key
 * names a kind and its value decodes as that kind). */
static bool ledger_record(TDB_DATA key, TDB_DATA val)
{
	rebound_check_report r;
	memset(&r, 0, sizeof(r));
	(void)check_record(NULL, key, val, &r);
	return r.bad == 0 && r.other == 0;
}

typedef struct backup_copy {
	struct tdb_context *dst;
	unsigned long saved, rescued;
	bool failed;
	char why[200];
} backup_copy;

static void store_copy(backup_copy *b, TDB_DATA key, TDB_DATA val,
		       bool rescued)
{
	if (b->failed)
		return;
	if (tdb_store(b->dst, key, val, TDB_INSERT) == 0) {
		b->saved++;
		if (rescued)
			b->rescued++;
		return;
	}
	if (tdb_error(b->dst) == TDB_ERR_EXISTS)
		return;		/* already saved from its hash chain */
	b->failed = true;
	snprintf(b->why, sizeof(b->why), "%s", tdb_errorstr(b->dst));
}

static int copy_record(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
		       void *p)
{
	(void)l;
	store_copy(p, key, val, false);
	return 0;
}

/* tdb_rescue: every record the file holds, also behind damage; the
 * copies of records that their chains gave are already saved. */
static void rescue_record(TDB_DATA key, TDB_DATA val, void *p)
{
	if (ledger_record(key, val))
		store_copy(p, key, val, true);
}

int rebound_ledger_backup(rebound_ledger *l, const char *dest, char *err,
			  size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	mode_t old = umask(0007);
	int fd = open(dest, O_RDWR | O_CREAT | O_EXCL, 0660);
	umask(old);
	if (fd < 0)
		return rebound_error(err, errlen, "%s: %s", dest,
				     strerror(errno));
	close(fd);
	/* Writers wait only while the file's bytes are copied. */
	struct tdb_context *snap = open_snapshot(l, false, err, errlen);
	if (snap == NULL) {
		unlink(dest);
		return -1;
	}
	const struct tdb_logging_context log_ctx = { ledger_tdb_log, NULL };
	struct tdb_context *dst = tdb_open_ex(dest, tdb_hash_size(l->tdb),
					      TDB_DEFAULT, O_RDWR | O_CREAT,
					      0660, &log_ctx, NULL);
	if (dst == NULL) {
		rebound_error(err, errlen, "%s: cannot create: %s", dest,
			      strerror(errno));
		tdb_close(snap);
		unlink(dest);
		return -1;
	}
	int rc = -1;
	backup_copy b = { .dst = dst };
	walk_damage damage = { 0 };
	if (tdb_transaction_start(dst) != 0) {
		rebound_error(err, errlen, "%s: cannot start a transaction",
			      dest);
		goto out;
	}
	long bad = walk_tdb(l, snap, "", copy_record, &b, &damage, err,
			    errlen);
	if (bad >= 0 && damage.chains > 0 && !b.failed &&
	    tdb_rescue(snap, rescue_record, &b) != 0 && !b.failed) {
		rebound_error(err, errlen, "%s: cannot scan for records: %s",
			      l->path, tdb_errorstr(snap));
		bad = -1;
	}
	if (bad < 0 || b.failed) {
		if (b.failed)
			rebound_error(err, errlen, "%s: cannot write: %s", dest,
				      b.why);
		tdb_transaction_cancel(dst);
		goto out;
	}
	if (tdb_transaction_commit(dst) != 0) {
		rebound_error(err, errlen, "%s: cannot commit: %s", dest,
			      tdb_errorstr(dst));
		goto out;
	}
	rc = 0;
	if (damage.chains > 0) {
		rebound_error(err, errlen,
			      "%s: %lu damaged hash chain(s) (first: %s); "
			      "%lu records saved, %lu of them found past the "
			      "damage",
			      l->path, damage.chains, damage.first, b.saved,
			      b.rescued);
		rc = 1;
	}
out:
	tdb_close(dst);
	tdb_close(snap);
	if (rc < 0)
		unlink(dest);
	return rc;
}

/* --- repack --------------------------------------------------------------
 *
 * The records are copied to a new file while writers go on: from a
 * snapshot of the file's bytes (open_snapshot: writers' commits wait
 * only while the bytes are copied), hash chain by hash chain, then what
 * tdb_rescue finds behind damage, keeping only records that decode.
 * Then, under the ledger's transaction, the live file's hash chains are
 * compared with the snapshot's, record by record (offsets and bytes):
 * every commit since the snapshot changed the records of the chains it
 * touched, so those chains, and only those, are copied again.  The new
 * file then takes the ledger's name and the old one is marked as moved
 * (LEDGER_MOVED_KEY: writers that hold it open follow), in the same
 * transaction.  Nothing here needs the writers' help (no sequence
 * number), so a module of an older release that still has the file open
 * cannot make it miss a change. */

/* tdb's layout, as ledger-scan.c reads it: a 168-byte header, the free
 * list's head, one 4-byte head per hash chain, then records of six
 * 32-bit words (next, rec_len, key_len, data_len, full_hash, magic)
 * followed by the key and the value. */
#define TDB_HEADER_BYTES 168u
#define TDB_REC_BYTES 24u
#define TDB_REC_LIVE 0x26011999u
#define TDB_REC_DEAD 0xFEE1DEADu
#define TDB_VERSION_HERE 0x2601196Du	/* native byte order */
#define TDB_FEATURES_AT 60u

/* Chains that may change between the snapshot and the lock and still be
 * caught up under it; more, and the copy is made again. */
#define REPACK_CATCH_UP_MAX 20000u
/* Copies made while writers go on before one is made under the lock. */
#define REPACK_ATTEMPTS 3

typedef struct file_bytes {
	const unsigned char *p;
	size_t size;
} file_bytes;

typedef struct rec_words {
	uint32_t next, rec_len, key_len, data_len, full_hash, magic;
} rec_words;

static int map_file(int fd, file_bytes *f)
{
	struct stat st;
	f->p = NULL;
	f->size = 0;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    (uintmax_t)st.st_size > SIZE_MAX)
		return -1;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	f->p = p;
	f->size = (size_t)st.st_size;
	return 0;
}

static void unmap_file(file_bytes *f)
{
	if (f->p != NULL)
		munmap((void *)(uintptr_t)f->p, f->size);
	f->p = NULL;
}

static uint32_t word_at(const file_bytes *f, size_t off)
{
	uint32_t v;
	memcpy(&v, f->p + off, sizeof(v));
	return v;
}

/* The hash size of a file laid out as this code reads it (this host's
 * byte order, no feature flags), or 0. */
static uint32_t layout_chains(const file_bytes *f)
{
	if (f->size < TDB_HEADER_BYTES || memcmp(f->p, "TDB file\n", 9) != 0 ||
	    word_at(f, 32) != TDB_VERSION_HERE ||
	    word_at(f, TDB_FEATURES_AT) != 0)
		return 0;
	uint32_t n = word_at(f, 36);
	if (n == 0 || TDB_HEADER_BYTES + 4 * ((uint64_t)n + 1) > f->size)
		return 0;
	return n;
}

static uint32_t chain_head(const file_bytes *f, uint32_t chain)
{
	return word_at(f, TDB_HEADER_BYTES + 4 * ((size_t)chain + 1));
}

/* The record a chain leads to at off, if it is one (in the file, a live
 * or dead record's magic, its key and value inside its length). */
static bool chain_record(const file_bytes *f, uint32_t off, rec_words *h)
{
	if (off % 4 != 0 || off < TDB_HEADER_BYTES ||
	    (size_t)off + TDB_REC_BYTES > f->size)
		return false;
	memcpy(h, f->p + off, sizeof(*h));
	return (h->magic == TDB_REC_LIVE || h->magic == TDB_REC_DEAD) &&
	       (uint64_t)h->key_len + h->data_len <= h->rec_len &&
	       h->rec_len <= f->size - off - TDB_REC_BYTES;
}

/* Does the chain read the same in both files: the same records at the
 * same offsets, byte for byte?  A chain that both leave at the same
 * unreadable place is the same damage. */
static bool chain_same(const file_bytes *a, const file_bytes *b,
		       uint32_t chain)
{
	uint32_t oa = chain_head(a, chain), ob = chain_head(b, chain);
	size_t max = a->size / TDB_REC_BYTES;
	for (size_t steps = 0; steps <= max; steps++) {
		if (oa != ob)
			return false;
		if (oa == 0)
			return true;
		rec_words ha, hb;
		bool ra = chain_record(a, oa, &ha), rb = chain_record(b, ob, &hb);
		if (!ra || !rb)
			return ra == rb;
		size_t n = TDB_REC_BYTES + (size_t)ha.key_len + ha.data_len;
		if (memcmp(&ha, &hb, sizeof(ha)) != 0 ||
		    memcmp(a->p + oa, b->p + ob, n) != 0)
			return false;
		oa = ha.next;
		ob = hb.next;
	}
	return true;		/* the same loop in both */
}

/* The new file and what went into it. */
typedef struct repack_copy {
	struct tdb_context *dst;
	unsigned long records, rescued, skipped;
	unsigned named;
	char names[512];
	bool failed;
	char why[sizeof(((rebound_check_report *)0)->first_problem)];
} repack_copy;

/* Name a damaged record that was left out (the first few). */
static void name_skipped(repack_copy *c, const char *what)
{
	size_t n = strlen(c->names);
	if (strstr(c->names, what) != NULL)
		return;
	if (c->named++ < 5 && n + strlen(what) + 8 < sizeof(c->names))
		snprintf(c->names + n, sizeof(c->names) - n, "%s%s",
			 n > 0 ? "; " : "", what);
	else if (n + 6 < sizeof(c->names) && strstr(c->names, "; ...") == NULL)
		snprintf(c->names + n, sizeof(c->names) - n, "; ...");
}

static bool moved_key(TDB_DATA key)
{
	return key.dsize == strlen(LEDGER_MOVED_KEY) &&
	       memcmp(key.dptr, LEDGER_MOVED_KEY, key.dsize) == 0;
}

/* 1 keep the record, 0 leave it out (the mark of a replaced file), -1
 * damaged: a kind the ledger knows that does not decode (why says so). */
static int repack_verdict(TDB_DATA key, TDB_DATA val, char *why,
			  size_t whylen)
{
	if (moved_key(key))
		return 0;
	rebound_check_report r;
	memset(&r, 0, sizeof(r));
	(void)check_record(NULL, key, val, &r);
	if (r.bad == 0)
		return 1;
	snprintf(why, whylen, "%s", r.first_problem);
	return -1;
}

static void repack_failed(repack_copy *c)
{
	if (!c->failed)
		snprintf(c->why, sizeof(c->why), "%s", tdb_errorstr(c->dst));
	c->failed = true;
}

static int repack_chain_record(rebound_ledger *l, TDB_DATA key,
			       TDB_DATA val, void *p)
{
	(void)l;
	repack_copy *c = p;
	char why[sizeof(((rebound_check_report *)0)->first_problem)];
	int v = repack_verdict(key, val, why, sizeof(why));
	if (c->failed || v == 0)
		return 0;
	if (v < 0) {
		c->skipped++;
		name_skipped(c, why);
	} else if (tdb_store(c->dst, key, val, TDB_INSERT) == 0) {
		c->records++;
	} else {
		repack_failed(c);
	}
	return 0;
}

/* tdb_rescue: records behind damage; a key the chains gave is kept as
 * they gave it. */
static void repack_rescued(TDB_DATA key, TDB_DATA val, void *p)
{
	repack_copy *c = p;
	char why[sizeof(((rebound_check_report *)0)->first_problem)];
	if (c->failed || repack_verdict(key, val, why, sizeof(why)) <= 0)
		return;
	if (tdb_store(c->dst, key, val, TDB_INSERT) == 0) {
		c->records++;
		c->rescued++;
	} else if (tdb_error(c->dst) != TDB_ERR_EXISTS) {
		repack_failed(c);
	}
}

/* Copy every record of the snapshot into c->dst. */
static int repack_build(rebound_ledger *l, struct tdb_context *snap,
			repack_copy *c, char *err, size_t errlen)
{
	walk_damage damage = { 0 };
	if (walk_tdb(l, snap, "", repack_chain_record, c, &damage, err,
		     errlen) < 0)
		return -1;
	if (damage.chains > 0) {
		c->skipped += damage.chains;
		if (damage.chains == 1) {
			name_skipped(c, damage.first);
		} else {
			char what[sizeof(damage.first) + 60];
			snprintf(what, sizeof(what), "%lu hash chains cannot be "
				 "read, the first: %s", damage.chains,
				 damage.first);
			name_skipped(c, what);
		}
		if (!c->failed && tdb_rescue(snap, repack_rescued, c) != 0 &&
		    !c->failed)
			return rebound_error(err, errlen,
					     "%s: cannot scan for records: %s",
					     l->path, tdb_errorstr(snap));
	}
	if (c->failed)
		return rebound_error(err, errlen,
				     "%s: cannot copy the records: %s",
				     l->path, c->why);
	return 0;
}

/* One chain copied again: what the snapshot's chain gave goes, what the
 * live chain holds now comes in. */
static void catch_up_chain(repack_copy *c, const file_bytes *a,
			   const file_bytes *b, uint32_t chain)
{
	char why[sizeof(((rebound_check_report *)0)->first_problem)];
	rec_words h;
	bool a_broken = false;
	uint32_t off = chain_head(a, chain);
	for (size_t steps = 0; off != 0 && steps <= a->size / TDB_REC_BYTES;
	     steps++) {
		if (!chain_record(a, off, &h)) {
			a_broken = true;	/* counted when copied */
			break;
		}
		if (h.magic == TDB_REC_LIVE) {
			TDB_DATA key = { (unsigned char *)(uintptr_t)(a->p + off +
								      TDB_REC_BYTES),
					 h.key_len };
			TDB_DATA val = { key.dptr + h.key_len, h.data_len };
			int v = repack_verdict(key, val, why, sizeof(why));
			if (v > 0 && tdb_delete(c->dst, key) == 0)
				c->records--;
			else if (v < 0 && c->skipped > 0)
				c->skipped--;	/* counted again below */
		}
		off = h.next;
	}
	off = chain_head(b, chain);
	for (size_t steps = 0; off != 0 && steps <= b->size / TDB_REC_BYTES &&
			       !c->failed;
	     steps++) {
		if (!chain_record(b, off, &h)) {
			if (!a_broken) {
				snprintf(why, sizeof(why),
					 "hash chain %lu cannot be read (a bad "
					 "record at offset %lu)",
					 (unsigned long)chain,
					 (unsigned long)off);
				c->skipped++;
				name_skipped(c, why);
			}
			break;
		}
		if (h.magic == TDB_REC_LIVE) {
			TDB_DATA key = { (unsigned char *)(uintptr_t)(b->p + off +
								      TDB_REC_BYTES),
					 h.key_len };
			TDB_DATA val = { key.dptr + h.key_len, h.data_len };
			int v = repack_verdict(key, val, why, sizeof(why));
			if (v < 0) {
				c->skipped++;
				name_skipped(c, why);
			} else if (v > 0) {
				bool had = tdb_exists(c->dst, key) == 1;
				if (tdb_store(c->dst, key, val, TDB_REPLACE) != 0)
					repack_failed(c);
				else if (!had)
					c->records++;
			}
		}
		off = h.next;
	}
}

/* Under the ledger's transaction: copy again the chains that changed
 * since the snapshot.  Returns how many, or -1 when the live file cannot
 * be compared (not a layout this reads) or too many changed. */
static long catch_up(rebound_ledger *l, struct tdb_context *snap,
		     repack_copy *c)
{
	file_bytes a, b;
	if (map_file(tdb_fd(snap), &a) < 0)
		return -1;
	if (map_file(tdb_fd(l->tdb), &b) < 0) {
		unmap_file(&a);
		return -1;
	}
	long changed = -1;
	uint32_t chains = layout_chains(&a);
	uint32_t *list = NULL;
	if (chains != 0 && chains == layout_chains(&b) &&
	    (list = malloc(REPACK_CATCH_UP_MAX * sizeof(*list))) != NULL) {
		changed = 0;
		for (uint32_t ch = 0; ch < chains && changed >= 0; ch++) {
			if (chain_same(&a, &b, ch))
				continue;
			if ((unsigned long)changed == REPACK_CATCH_UP_MAX)
				changed = -1;
			else
				list[changed++] = ch;
		}
	}
	for (long i = 0; i < changed && !c->failed; i++)
		catch_up_chain(c, &a, &b, list[i]);
	free(list);
	unmap_file(&a);
	unmap_file(&b);
	return changed;
}

static int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The new file beside the ledger, with `chains` hash chains (written by
 * this process only until it takes the ledger's name: no locks, synced
 * once before). */
static struct tdb_context *create_copy(rebound_ledger *l, const char *tmp,
				       unsigned chains, mode_t mode,
				       char *err, size_t errlen)
{
	const struct tdb_logging_context log_ctx = { ledger_tdb_log, NULL };
	unlink(tmp);		/* a leftover of an earlier crash of ours */
	ledger_tdb_last_log[0] = '\0';
	struct tdb_context *dst = tdb_open_ex(tmp, (int)chains,
					      TDB_NOLOCK | TDB_NOSYNC,
					      O_RDWR | O_CREAT | O_EXCL,
					      mode & 0777, &log_ctx, NULL);
	if (dst == NULL) {
		int e = errno;
		unlink(tmp);
		rebound_error(err, errlen, "%s: %s", tmp,
			      e ? strerror(e) : "cannot create");
		(void)l;
	}
	return dst;
}

/* The last steps on the new file, in one transaction of its own (its
 * first commit, which also places tdb's recovery area before anyone
 * else writes to it): the chains caught up (unless the copy was made
 * under the lock), then synced, with the ledger's owner and mode.
 * *changed: chains caught up, or -1 when they could not be (copy
 * again).  0 or -1 with err. */
static int seal_copy(rebound_ledger *l, struct tdb_context *snap,
		     repack_copy *c, bool caught, const struct stat *st,
		     long *changed, char *err, size_t errlen)
{
	*changed = 0;
	if (tdb_transaction_start(c->dst) != 0)
		return rebound_error(err, errlen, "new file: cannot start a "
				     "transaction: %s", tdb_errorstr(c->dst));
	if (!caught)
		*changed = catch_up(l, snap, c);
	if (*changed < 0) {
		tdb_transaction_cancel(c->dst);
		return 0;
	}
	/* the meta record written again: the first commit is not empty */
	TDB_DATA mk = { (unsigned char *)"meta", 4 };
	TDB_DATA mv = tdb_fetch(c->dst, mk);
	if (mv.dptr != NULL) {
		if (tdb_store(c->dst, mk, mv, TDB_REPLACE) != 0)
			repack_failed(c);
		free(mv.dptr);
	}
	if (c->failed || tdb_transaction_commit(c->dst) != 0) {
		if (c->failed)
			tdb_transaction_cancel(c->dst);
		return rebound_error(err, errlen, "new file: cannot write: %s",
				     c->failed ? c->why : tdb_errorstr(c->dst));
	}
	int fd = tdb_fd(c->dst);
	if (fsync(fd) != 0 ||
	    (fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM) ||
	    fchmod(fd, st->st_mode & 07777) != 0)
		return rebound_error(err, errlen, "new file: %s",
				     strerror(errno));
	return 0;
}

/* The new file takes the ledger's name, and the old one is marked as
 * moved, inside the ledger's transaction; when that commit fails the
 * old file gets its name back (kept meanwhile under `old`). */
static int swap_in(rebound_ledger *l, const char *tmp, const char *old,
		   char *err, size_t errlen)
{
	TDB_DATA key = { (unsigned char *)LEDGER_MOVED_KEY,
			 strlen(LEDGER_MOVED_KEY) };
	TDB_DATA val = { (unsigned char *)"", 0 };
	if (tdb_store(l->tdb, key, val, TDB_REPLACE) != 0) {
		ledger_cancel(l);
		return ledger_db_fail(l, "mark the old file as replaced", err,
				      errlen);
	}
	unlink(old);
	if (link(l->path, old) != 0) {
		int e = errno;
		ledger_cancel(l);
		return rebound_error(err, errlen, "%s: %s", old, strerror(e));
	}
	if (rename(tmp, l->path) != 0) {
		int e = errno;
		unlink(old);
		ledger_cancel(l);
		return rebound_error(err, errlen, "%s: %s", l->path,
				     strerror(e));
	}
	if (ledger_commit(l, err, errlen) < 0) {
		/* writers that hold the old file would go on writing there */
		if (rename(old, l->path) != 0)
			unlink(old);
		return -1;
	}
	unlink(old);
	return 0;
}

enum { REPACK_AGAIN = 2 };

/* The longest time the ledger's transaction was held, in the report. */
static void held_ms(rebound_repack_report *r, int64_t since)
{
	int64_t ms = clock_ms() - since;
	if (ms > (int64_t)r->locked_ms)
		r->locked_ms = (unsigned long)ms;
}

/* One copy and, when it is sound, the swap.  Returns 0, -1 with err, or
 * REPACK_AGAIN (the ledger changed too much, or was replaced, meanwhile:
 * the copy is thrown away). */
static int repack_once(rebound_ledger *l, unsigned chains, bool under_lock,
		       rebound_repack_report *r, char *err, size_t errlen)
{
	char tmp[sizeof(l->path) + 40], old[sizeof(l->path) + 40];
	snprintf(tmp, sizeof(tmp), "%s.repack.%ld", l->path, (long)getpid());
	snprintf(old, sizeof(old), "%s.repack-old.%ld", l->path,
		 (long)getpid());
	int64_t locked_at = 0;
	if (under_lock) {
		if (ledger_begin(l, err, errlen) < 0)
			return -1;
		locked_at = clock_ms();
	}
	struct stat st;
	if (fstat(tdb_fd(l->tdb), &st) != 0) {
		if (under_lock)
			ledger_cancel(l);
		return rebound_error(err, errlen, "%s: %s", l->path,
				     strerror(errno));
	}
	int64_t t0 = clock_ms();
	struct tdb_context *snap = open_snapshot(l, under_lock, err, errlen);
	if (!under_lock && clock_ms() - t0 > (int64_t)r->snapshot_ms)
		r->snapshot_ms = (unsigned long)(clock_ms() - t0);
	if (snap == NULL) {
		if (under_lock)
			ledger_cancel(l);
		return -1;
	}
	dev_t dev = l->dev;
	ino_t ino = l->ino;
	int rc = -1;
	repack_copy c = { 0 };
	c.dst = create_copy(l, tmp, chains ? chains : (unsigned)tdb_hash_size(
							     l->tdb),
			    st.st_mode, err, errlen);
	if (c.dst == NULL || repack_build(l, snap, &c, err, errlen) < 0)
		goto out;
	/* the bulk reaches the disk before the lock, what is caught up
	   under it */
	if (!under_lock && fsync(tdb_fd(c.dst)) != 0) {
		rebound_error(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (!under_lock) {
		if (ledger_begin(l, err, errlen) < 0)
			goto out;
		locked_at = clock_ms();
		under_lock = true;
		if (l->dev != dev || l->ino != ino) {
			/* replaced meanwhile (another repack) */
			rc = REPACK_AGAIN;
			goto out;
		}
		long changed;
		if (seal_copy(l, snap, &c, false, &st, &changed, err,
			      errlen) < 0)
			goto out;
		if (changed < 0) {
			rc = REPACK_AGAIN;
			goto out;
		}
		r->caught_up = (unsigned long)changed;
	} else {
		long changed;
		r->under_lock = true;
		if (seal_copy(l, snap, &c, true, &st, &changed, err,
			      errlen) < 0)
			goto out;
	}
	tdb_close(c.dst);
	c.dst = NULL;
	under_lock = false;	/* swap_in commits or cancels */
	rc = swap_in(l, tmp, old, err, errlen);
	held_ms(r, locked_at);
	if (rc == 0) {
		r->records = c.records;
		r->rescued = c.rescued;
		r->skipped = c.skipped;
		snprintf(r->skipped_names, sizeof(r->skipped_names), "%s",
			 c.names);
		r->chains = chains ? chains : (unsigned)tdb_hash_size(l->tdb);
	}
out:
	if (under_lock) {
		ledger_cancel(l);
		held_ms(r, locked_at);
	}
	if (c.dst != NULL)
		tdb_close(c.dst);
	if (rc != 0)
		unlink(tmp);
	tdb_close(snap);
	return rc;
}

int rebound_ledger_rewrite(rebound_ledger *l, unsigned chains,
			   rebound_repack_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (chains > REBOUND_LEDGER_HASH_SIZE_MAX)
		return rebound_error(err, errlen, "hash size: from 1 to %u",
				     REBOUND_LEDGER_HASH_SIZE_MAX);
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	for (unsigned attempt = 0; attempt <= REPACK_ATTEMPTS; attempt++) {
		r->copies++;
		int rc = repack_once(l, chains, attempt == REPACK_ATTEMPTS, r,
				     err, errlen);
		if (rc == REPACK_AGAIN)
			continue;
		if (rc < 0)
			return -1;
		/* handles of this process follow at once */
		if (ledger_follow_replacement(l, err, errlen) < 0)
			return -1;
		return r->skipped > 0 ? 1 : 0;
	}
	return rebound_error(err, errlen, "%s: repack: no copy could be made",
			     l->path);
}

int rebound_ledger_repack(rebound_ledger *l, char *err, size_t errlen)
{
	rebound_repack_report r;
	return rebound_ledger_rewrite(l, 0, &r, err, errlen) < 0 ? -1 : 0;
}

int rebound_ledger_rehash(rebound_ledger *l, unsigned chains, char *err,
			  size_t errlen)
{
	if (chains == 0)
		return rebound_error(err, errlen, "hash size: from 1 to %u",
				     REBOUND_LEDGER_HASH_SIZE_MAX);
	rebound_repack_report r;
	return rebound_ledger_rewrite(l, chains, &r, err, errlen) < 0 ? -1 : 0;
}
