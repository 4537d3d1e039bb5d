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

static long walk(rebound_ledger *l, const char *prefix, walk_fn fn,
		 void *ctx, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	size_t plen = strlen(prefix);
	long bad = 0;
	TDB_DATA k = tdb_firstkey(l->tdb);
	while (k.dptr != NULL) {
		int stop = 0;
		if (k.dsize >= plen && memcmp(k.dptr, prefix, plen) == 0) {
			TDB_DATA v = tdb_fetch(l->tdb, k);
			if (v.dptr != NULL) {
				int rc = fn(l, k, v, ctx);
				free(v.dptr);
				if (rc < 0)
					bad++;
				else if (rc > 0)
					stop = 1;
			}
		}
		if (stop) {
			free(k.dptr);
			return bad;
		}
		TDB_DATA next = tdb_nextkey(l->tdb, k);
		free(k.dptr);
		k = next;
	}
	if (tdb_error(l->tdb) != TDB_SUCCESS &&
	    tdb_error(l->tdb) != TDB_ERR_NOEXIST)
		return ledger_db_fail(l, "walk the records", err, errlen);
	return bad;
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
	if (ledger_store_entry(l, k, &e, err, errlen) < 0) {
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
	if (ledger_store_campaign(l, k, &c, err, errlen) < 0) {
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

/* The second opinion of ledger-scan.c on the file, read while writers
 * wait (tdb_lockall_read), so that it sees one consistent state. */
static int scan_file(rebound_ledger *l, rebound_tdb_scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (tdb_lockall_read(l->tdb) != 0) {
		snprintf(sc->problem, sizeof(sc->problem), "cannot lock: %s",
			 tdb_errorstr(l->tdb));
		return -1;
	}
	int rc = -1;
	struct stat st;
	if (fstat(tdb_fd(l->tdb), &st) != 0 || st.st_size <= 0) {
		snprintf(sc->problem, sizeof(sc->problem), "cannot stat: %s",
			 strerror(errno));
	} else {
		size_t size = (size_t)st.st_size;
		void *p = mmap(NULL, size, PROT_READ, MAP_SHARED,
			       tdb_fd(l->tdb), 0);
		if (p == MAP_FAILED) {
			snprintf(sc->problem, sizeof(sc->problem),
				 "cannot map: %s", strerror(errno));
		} else {
			rc = rebound_tdb_scan_layout(p, size, key_stored,
						     l->tdb, sc);
			munmap(p, size);
		}
	}
	tdb_unlockall_read(l->tdb);
	return rc;
}

int rebound_ledger_check(rebound_ledger *l, rebound_check_report *r,
			 char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	ledger_tdb_last_log[0] = '\0';
	r->tdb_ok = tdb_check(l->tdb, NULL, NULL) == 0;
	/* tdb_check (tdb 1.4) also fails files that tdb itself reads
	   without fault (ledger-scan.h): a second opinion tells space a
	   killed commit left unused from damage. */
	if (!r->tdb_ok) {
		char what[200];
		snprintf(what, sizeof(what), "%s", ledger_tdb_last_log);
		rebound_tdb_scan sc;
		int rc = scan_file(l, &sc);
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
	if (walk(l, "", check_record, r, err, errlen) < 0)
		return -1;
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

static int copy_record(struct tdb_context *src, TDB_DATA key, TDB_DATA val,
		       void *p)
{
	(void)src;
	struct tdb_context *dst = p;
	return tdb_store(dst, key, val, TDB_INSERT) == 0 ? 0 : -1;
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
	const struct tdb_logging_context log_ctx = { ledger_tdb_log, NULL };
	struct tdb_context *dst = tdb_open_ex(dest, tdb_hash_size(l->tdb),
					      TDB_DEFAULT, O_RDWR | O_CREAT,
					      0660, &log_ctx, NULL);
	if (dst == NULL) {
		rebound_error(err, errlen, "%s: cannot create: %s", dest,
			      strerror(errno));
		unlink(dest);
		return -1;
	}
	int rc = -1;
	/* A transaction on the source keeps writers out: a consistent copy. */
	if (tdb_transaction_start(l->tdb) != 0) {
		ledger_db_fail(l, "lock for the backup", err, errlen);
		goto out;
	}
	if (tdb_transaction_start(dst) != 0) {
		rebound_error(err, errlen, "%s: cannot start a transaction",
			      dest);
		tdb_transaction_cancel(l->tdb);
		goto out;
	}
	if (tdb_traverse(l->tdb, copy_record, dst) < 0) {
		rebound_error(err, errlen, "%s: copy failed: %s", dest,
			      tdb_errorstr(dst));
		tdb_transaction_cancel(dst);
		tdb_transaction_cancel(l->tdb);
		goto out;
	}
	if (tdb_transaction_commit(dst) != 0) {
		rebound_error(err, errlen, "%s: cannot commit: %s", dest,
			      tdb_errorstr(dst));
		tdb_transaction_cancel(l->tdb);
		goto out;
	}
	tdb_transaction_cancel(l->tdb);
	rc = 0;
out:
	tdb_close(dst);
	if (rc < 0)
		unlink(dest);
	return rc;
}
