/* ledger-admin.c - the ledger's read side and the operator's edits, for
 * the rebound command only (see ledger-admin.h): one recipient or
 * campaign, walks over recipients, events and campaigns, unbounce,
 * resuming and cancelling campaigns, prune, check, repack and backup.
 *
 * Moved out of ledger/ledger.c so that the Exim module and the Dovecot
 * plugin do not carry it; it works on the ledger's handle through the
 * helpers of ledger/ledger-internal.h.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger-admin.h"
#include "ledger-scan.h"
#include "ledger/ledger-internal.h"
#include "ledger/journal.h"
#include "ledger/ledger-record.h"
#include "ledger/policy.h"
#include "mail/error.h"

/* --- read side and edits --------------------------------------------- */

int rebound_ledger_get(rebound_ledger *l, const char *address, int64_t now,
		       rebound_entry *out, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not an address: '%s'",
				     address);
	int rc = ledger_fetch_entry(l, k, out, err, errlen);
	if (rc == 1)
		rebound_entry_refresh(out, now);
	return rc;
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

static long walk(rebound_ledger *l, const char *prefix, walk_fn fn,
		 void *ctx, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	return walk_tdb(l, l->tdb, prefix, fn, ctx, NULL, err, errlen);
}

typedef struct walk_ctx {
	int64_t now;
	void *fn;
	void *ctx;
} walk_ctx;

static int walk_entry(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	(void)key;
	walk_ctx *w = p;
	rebound_entry e;
	if (rebound_entry_decode(&e, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	rebound_entry_refresh(&e, w->now);
	return ((rebound_entry_fn)w->fn)(&e, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_recipient(rebound_ledger *l, int64_t now,
				   rebound_entry_fn fn, void *ctx,
				   char *err, size_t errlen)
{
	walk_ctx w = { now, (void *)fn, ctx };
	return walk(l, "r:", walk_entry, &w, err, errlen);
}

static int walk_event(rebound_ledger *l, TDB_DATA key, TDB_DATA val, void *p)
{
	(void)l;
	(void)key;
	walk_ctx *w = p;
	rebound_event ev;
	if (rebound_event_decode(&ev, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	return ((rebound_event_fn)w->fn)(&ev, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_event(rebound_ledger *l, rebound_event_fn fn,
			       void *ctx, char *err, size_t errlen)
{
	walk_ctx w = { 0, (void *)fn, ctx };
	return walk(l, "e:", walk_event, &w, err, errlen);
}

static int walk_campaign(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			 void *p)
{
	(void)l;
	(void)key;
	walk_ctx *w = p;
	rebound_campaign c;
	if (rebound_campaign_decode(&c, val.dptr, val.dsize, NULL, 0) < 0)
		return -1;
	rebound_campaign_refresh(&c, w->now);
	return ((rebound_campaign_fn)w->fn)(&c, w->ctx) != 0 ? 1 : 0;
}

long rebound_ledger_each_campaign(rebound_ledger *l, int64_t now,
				  rebound_campaign_fn fn, void *ctx,
				  char *err, size_t errlen)
{
	walk_ctx w = { now, (void *)fn, ctx };
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
	walk_ctx w = { 0, (void *)fn, ctx };
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

int rebound_ledger_prune(rebound_ledger *l, int64_t before,
			 unsigned long *events, unsigned long *markers,
			 char *err, size_t errlen)
{
	key_list kl = { .before = before };
	if (walk(l, "e:", prune_event, &kl, err, errlen) < 0 ||
	    walk(l, "d:", prune_marker, &kl, err, errlen) < 0) {
		key_list_free(&kl);
		return -1;
	}
	if (kl.oom) {
		key_list_free(&kl);
		return rebound_error(err, errlen, "prune: out of memory");
	}
	/* Small transactions, so that writers never wait long. */
	int rc = 0;
	for (size_t i = 0; i < kl.n && rc == 0; i += 1000) {
		if (ledger_begin(l, err, errlen) < 0) {
			rc = -1;
			break;
		}
		for (size_t j = i; j < kl.n && j < i + 1000; j++)
			if (tdb_delete(l->tdb, kl.keys[j]) != 0 &&
			    tdb_error(l->tdb) != TDB_ERR_NOEXIST) {
				ledger_db_fail(l, "delete", err, errlen);
				rc = -1;
				break;
			}
		if (rc < 0)
			ledger_cancel(l);
		else if (ledger_commit(l, err, errlen) < 0)
			rc = -1;
	}
	if (events != NULL)
		*events = kl.events;
	if (markers != NULL)
		*markers = kl.markers;
	key_list_free(&kl);
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

static int check_record(rebound_ledger *l, TDB_DATA key, TDB_DATA val,
			void *p)
{
	(void)l;
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
			rc = rebound_entry_decode(&u.e, val.dptr, val.dsize, why,
						  sizeof(why));
			break;
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
 * at once (tdb_check, ledger-scan.c, tdb_rescue): the bytes are copied
 * while writers wait (tdb_lockall_read, so that the copy is one
 * consistent state), which takes a fraction of what the checks take; the
 * copy is opened without locks and unlinked at once.  NULL with err. */
static struct tdb_context *open_snapshot(rebound_ledger *l, char *err,
					 size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s/rebound-snapshot-XXXXXX",
		 dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rebound_error(err, errlen, "%s: cannot make a copy: %s", tmp,
			      strerror(errno));
		return NULL;
	}
	if (tdb_lockall_read(l->tdb) != 0) {
		ledger_db_fail(l, "lock for a copy", err, errlen);
		close(fd);
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
	tdb_unlockall_read(l->tdb);
	if (close(fd) != 0 && copy_errno == 0)
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
	struct tdb_context *snap = open_snapshot(l, err, errlen);
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
	long rc = walk_tdb(l, snap, "", check_record, r, &damage, err, errlen);
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

int rebound_ledger_repack(rebound_ledger *l, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	if (tdb_repack(l->tdb) != 0)
		return ledger_db_fail(l, "repack", err, errlen);
	return 0;
}

static int copy_to_new_file(struct tdb_context *from, TDB_DATA key,
			    TDB_DATA val, void *p)
{
	(void)from;
	if (key.dsize == strlen(LEDGER_MOVED_KEY) &&
	    memcmp(key.dptr, LEDGER_MOVED_KEY, key.dsize) == 0)
		return 0;
	return tdb_store((struct tdb_context *)p, key, val, TDB_INSERT) == 0 ?
		0 : -1;
}

/* The new file, complete and synced, beside the ledger: every record of
 * the ledger (in its transaction), with `chains` hash chains and the
 * ledger's owner and mode.  0, or -1 with err (the file removed). */
static int write_rehashed(rebound_ledger *l, const char *tmp, unsigned chains,
			  char *err, size_t errlen)
{
	struct stat st;
	if (fstat(tdb_fd(l->tdb), &st) != 0)
		return rebound_error(err, errlen, "%s: %s", l->path,
				     strerror(errno));
	const struct tdb_logging_context log_ctx = { ledger_tdb_log, NULL };
	unlink(tmp);		/* a leftover of an earlier crash of ours */
	ledger_tdb_last_log[0] = '\0';
	struct tdb_context *dst = tdb_open_ex(tmp, (int)chains, TDB_DEFAULT,
					      O_RDWR | O_CREAT | O_EXCL,
					      st.st_mode & 0777, &log_ctx, NULL);
	if (dst == NULL) {
		int e = errno;
		unlink(tmp);
		return rebound_error(err, errlen, "%s: %s", tmp,
				     e ? strerror(e) : "cannot create");
	}
	int rc = tdb_transaction_start(dst) == 0 &&
		 tdb_traverse(l->tdb, copy_to_new_file, dst) >= 0 &&
		 tdb_transaction_commit(dst) == 0 ? 0 : -1;
	if (rc < 0)
		rebound_error(err, errlen, "%s: cannot copy the records: %s%s%s",
			      tmp, tdb_errorstr(dst),
			      ledger_tdb_last_log[0] ? ": " : "",
			      ledger_tdb_last_log);
	if (rc == 0 && (fsync(tdb_fd(dst)) != 0 ||
			(fchown(tdb_fd(dst), st.st_uid, st.st_gid) != 0 &&
			 errno != EPERM) ||
			fchmod(tdb_fd(dst), st.st_mode & 07777) != 0))
		rc = rebound_error(err, errlen, "%s: %s", tmp, strerror(errno));
	tdb_close(dst);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int rebound_ledger_rehash(rebound_ledger *l, unsigned chains, char *err,
			  size_t errlen)
{
	if (chains == 0 || chains > REBOUND_LEDGER_HASH_SIZE_MAX)
		return rebound_error(err, errlen, "hash size: from 1 to %u",
				     REBOUND_LEDGER_HASH_SIZE_MAX);
	char tmp[sizeof(l->path) + 40];
	snprintf(tmp, sizeof(tmp), "%s.rehash.%ld", l->path, (long)getpid());
	/* The ledger's transaction keeps every writer out from the copy to
	   the moment the old file says where the records went. */
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	if (write_rehashed(l, tmp, chains, err, errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	/* The new file takes the name first: a crash after it leaves the
	   ledger complete (the old file is then only unnamed). */
	if (rename(tmp, l->path) != 0) {
		int e = errno;
		unlink(tmp);
		ledger_cancel(l);
		return rebound_error(err, errlen, "%s: %s", l->path,
				     strerror(e));
	}
	TDB_DATA key = { (unsigned char *)LEDGER_MOVED_KEY,
			 strlen(LEDGER_MOVED_KEY) };
	TDB_DATA val = { (unsigned char *)"", 0 };
	if (tdb_store(l->tdb, key, val, TDB_REPLACE) != 0) {
		ledger_cancel(l);
		/* the records are all in the new file; writers that held the
		   old one open keep writing there until they reopen */
		return ledger_db_fail(l, "mark the old file as replaced", err,
				      errlen);
	}
	if (ledger_commit(l, err, errlen) < 0)
		return -1;
	return ledger_follow_replacement(l, err, errlen);
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
	struct tdb_context *snap = open_snapshot(l, err, errlen);
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
