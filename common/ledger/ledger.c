/* ledger.c - the ledger in one tdb file: opening it safely from many
 * processes, recording classified messages through the policy, campaign
 * counts (ledger.h).  The command's read side and edits are in
 * admin/ledger-admin.c, on the helpers of ledger-internal.h.
 *
 * tdb facts this relies on (doc/platform.md §3): read-only
 * opens fail while others commit, so every open is O_RDWR; one process
 * cannot open the same file twice, so handles are shared by device and
 * inode; Exim runs with umask 000 and Dovecot with 077, so a new file gets
 * mode 0660 explicitly and its group from a setgid directory.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger.h"
#include "ledger-internal.h"
#include "campaign-counts.h"
#include "journal.h"
#include "mail/printable.h"
#include "ledger-record.h"
#include "ledger-spool.h"
#include "policy.h"
#include "mail/error.h"

/* Hash chains of a ledger created by this process (fixed at creation;
 * `rebound db repack --hash-size` changes them). */
static unsigned create_hash_size = REBOUND_LEDGER_HASH_SIZE;
#define OPEN_ATTEMPTS 5

/* Handles open in this process (one per file). */
static rebound_ledger *open_ledgers;

/* Event ids of this process.  Not per handle: a process that opens the
 * ledger for each use (the Dovecot plugin in a long-lived LMTP process)
 * must not start again at 1 within the same second. */
static uint32_t event_seq;

/* Process-wide limit on waiting for another process's lock (0: no
 * limit, the command). */
static unsigned lock_wait_ms;
/* The last change or read failed because that limit was spent. */
static bool lock_wait_spent;

/* tdb's last complaint, for error messages (processes are single
 * threaded: Exim, Dovecot, the CLI). */
char ledger_tdb_last_log[200];

__attribute__((format(printf, 3, 4)))
void ledger_tdb_log(struct tdb_context *tdb, enum tdb_debug_level level,
		    const char *fmt, ...)
{
	(void)tdb;
	/* The first complaint since it was cleared names the cause; what
	   follows is tdb unwinding (e.g. a full disk: "expand_file ... No
	   space left on device", then "failed to setup recovery data"). */
	if (level > TDB_DEBUG_ERROR || ledger_tdb_last_log[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ledger_tdb_last_log, sizeof(ledger_tdb_last_log), fmt, ap);
	va_end(ap);
	size_t n = strlen(ledger_tdb_last_log);
	while (n > 0 && (ledger_tdb_last_log[n - 1] == '\n' ||
			 ledger_tdb_last_log[n - 1] == ' '))
		ledger_tdb_last_log[--n] = '\0';
}

/* tdb's error codes are coarse (a full disk is "IO Error"); its log line
 * of this operation, when it wrote one, names the cause. */
int ledger_db_fail(rebound_ledger *l, const char *what, char *err,
		   size_t errlen)
{
	bool logged = l->tdb != NULL && ledger_tdb_last_log[0] != '\0';
	return rebound_error(
		err, errlen, "%s: cannot %s: %s%s%s%s", l->path, what,
		l->tdb != NULL ? tdb_errorstr(l->tdb) : "ledger closed",
		logged ? " (" : "", logged ? ledger_tdb_last_log : "",
		logged ? ")" : "");
}

/* --- opening ---------------------------------------------------------- */

static bool permanent_open_error(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM || e == EISDIR ||
	       e == ENOTDIR || e == EROFS || e == ELOOP || e == ENAMETOOLONG ||
	       e == ENOSPC || e == EDQUOT;
}

/* A file larger than this is read without a map by a process that walks
 * it (REBOUND_LEDGER_WALK): every page a walk reads through tdb's map
 * stays resident until the map goes, so a walk over a million recipients
 * held the whole file (900 MB); read by pread, it holds a few pages. */
#define WALK_MAP_LIMIT (64L * 1024 * 1024)

static struct tdb_context *open_tdb(const char *path, int oflags,
				    int tdb_flags, int *saved_errno)
{
	const struct tdb_logging_context log_ctx = { ledger_tdb_log, NULL };
	struct tdb_context *tdb = NULL;
	for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
		ledger_tdb_last_log[0] = '\0';
		errno = 0;
		tdb = tdb_open_ex(path, (int)create_hash_size, tdb_flags, oflags,
				  0660, &log_ctx, NULL);
		*saved_errno = errno;
		if (tdb != NULL || permanent_open_error(*saved_errno))
			break;
		/* Another process may be recovering a transaction. */
		struct timespec ts = { 0, 5000000L << attempt };
		nanosleep(&ts, NULL);
	}
	return tdb;
}

static int write_meta_if_missing(rebound_ledger *l, int64_t now, char *err,
				 size_t errlen);
static TDB_DATA key_of(const char *k);

/* The first transaction of a new tdb file grows it and places tdb's
 * recovery area: a writer killed in that commit leaves space that no
 * record uses (harmless to tdb, but tdb_check() then fails the file, see
 * rebound_ledger_check).  So the meta record is committed in the spare
 * file, before anyone else can see it. */
static int seed_new_file(struct tdb_context *t, int64_t now)
{
	rebound_meta m = { .schema = REBOUND_RECORD_VERSION, .created = now };
	rebound_buf b = { 0 };
	rebound_meta_encode(&b, &m);
	int rc = -1;
	if (!b.failed && tdb_transaction_start(t) == 0) {
		TDB_DATA v = { b.p, b.len };
		if (tdb_store(t, key_of("meta"), v, TDB_INSERT) == 0 &&
		    tdb_transaction_commit(t) == 0)
			rc = 0;
		else
			tdb_transaction_cancel(t);
	}
	rebound_buf_free(&b);
	if (rc < 0 && errno == 0)
		errno = EIO;
	return rc;
}

/* Create a missing ledger so that no one ever sees half of it: tdb writes
 * its initial file beside the real name, the meta record is committed
 * there, and a link() puts it in place (EEXIST: another process was
 * first, and its file is as good).  A writer killed in the middle leaves
 * only the spare file, never a damaged ledger.  Returns 0 or -1 with
 * errno set. */
static int create_atomically(const char *path)
{
	char tmp[sizeof(((rebound_ledger *)0)->path) + 32];
	int n = snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp);		/* a leftover of an earlier crash of ours */
	int e = 0;
	struct tdb_context *t = open_tdb(tmp, O_RDWR | O_CREAT | O_EXCL,
					 TDB_DEFAULT, &e);
	if (t == NULL) {
		unlink(tmp);	/* tdb may have made it before failing */
		errno = e != 0 ? e : EIO;
		return -1;
	}
	errno = 0;
	int rc = seed_new_file(t, (int64_t)time(NULL));
	if (rc == 0)
		rc = fsync(tdb_fd(t));
	tdb_close(t);
	if (rc == 0 && link(tmp, path) < 0 && errno != EEXIST)
		rc = -1;
	e = errno;
	unlink(tmp);
	errno = e;
	return rc < 0 ? -1 : 0;
}

rebound_ledger *rebound_ledger_open(const char *path, unsigned flags,
				    char *err, size_t errlen)
{
	if (path == NULL || path[0] == '\0') {
		rebound_error(err, errlen, "no ledger path configured");
		return NULL;
	}
	if (strlen(path) >= sizeof(((rebound_ledger *)0)->path)) {
		rebound_error(err, errlen, "ledger path too long");
		return NULL;
	}
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (!exists && errno != ENOENT) {
		rebound_error(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (exists && S_ISDIR(st.st_mode)) {
		rebound_error(err, errlen, "%s: is a directory, not a ledger",
			      path);
		return NULL;
	}
	if (exists)
		for (rebound_ledger *l = open_ledgers; l != NULL; l = l->next)
			if (l->dev == st.st_dev && l->ino == st.st_ino &&
			    l->pid == getpid()) {
				l->refs++;
				return l;
			}
	if (!exists && !(flags & REBOUND_LEDGER_CREATE)) {
		rebound_error(err, errlen, "%s: no ledger there (%s)", path,
			      strerror(ENOENT));
		return NULL;
	}
	/* O_CREAT only for a missing or empty file: tdb would overwrite a
	   damaged one given O_CREAT. */
	int oflags = O_RDWR;
	bool creating = (flags & REBOUND_LEDGER_CREATE) &&
			(!exists || st.st_size == 0);
	if (creating)
		oflags |= O_CREAT;
	mode_t old_umask = 0;
	if (creating)
		old_umask = umask(0007);
	int e = 0;
	struct tdb_context *tdb = NULL;
	if (creating && !exists && create_atomically(path) < 0)
		e = errno;
	else	/* a file created just now is complete: no O_CREAT */
		tdb = open_tdb(path, exists ? oflags : O_RDWR,
			       (flags & REBOUND_LEDGER_WALK) && exists &&
					       st.st_size > WALK_MAP_LIMIT ?
				       TDB_NOMMAP : TDB_DEFAULT,
			       &e);
	if (creating)
		umask(old_umask);
	if (tdb == NULL) {
		if (e == ENOENT || e == EACCES || e == EPERM || e == EISDIR ||
		    e == ENOTDIR || e == EROFS)
			rebound_error(err, errlen, "%s: cannot open ledger: %s",
				      path, strerror(e));
		else if (creating && (e == ENOSPC || e == EDQUOT))
			/* the hash table alone is 4 bytes a chain */
			rebound_error(err, errlen,
				      "%s: cannot create ledger: %s", path,
				      strerror(e));
		else if (e == EBUSY)
			rebound_error(err, errlen,
				      "%s: already open in this process under "
				      "another name",
				      path);
		else
			rebound_error(
				err, errlen,
				"%s: not a rebound ledger, or damaged%s%s",
				path, ledger_tdb_last_log[0] ? ": " : "",
				ledger_tdb_last_log);
		return NULL;
	}
	rebound_ledger *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		tdb_close(tdb);
		rebound_error(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	l->tdb = tdb;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->pid = getpid();
	l->refs = 1;
	if (fstat(tdb_fd(tdb), &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		/* Our own new file: the mode regardless of the umask. */
		if (creating && st.st_uid == geteuid() &&
		    (st.st_mode & 07777) != 0660)
			(void)fchmod(tdb_fd(tdb), 0660);
	}
	if ((flags & REBOUND_LEDGER_CREATE) &&
	    write_meta_if_missing(l, (int64_t)time(NULL), err, errlen) < 0) {
		tdb_close(tdb);
		free(l);
		return NULL;
	}
	l->next = open_ledgers;
	open_ledgers = l;
	return l;
}

void rebound_ledger_close(rebound_ledger *l)
{
	if (l == NULL || --l->refs > 0)
		return;
	for (rebound_ledger **p = &open_ledgers; *p != NULL; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	if (l->tdb != NULL)
		tdb_close(l->tdb);
	free(l);
}

/* A handle inherited through fork() must be reopened (tdb's locks belong
 * to the process that took them). */
int ledger_usable(rebound_ledger *l, char *err, size_t errlen)
{
	if (l == NULL)
		return rebound_error(err, errlen, "no ledger");
	if (l->pid != getpid() && l->tdb != NULL) {
		if (tdb_reopen(l->tdb) != 0)
			l->tdb = NULL;	/* tdb_reopen closed it */
		l->pid = getpid();
	}
	if (l->tdb == NULL)
		return rebound_error(err, errlen, "%s: ledger handle lost",
				     l->path);
	/* What ledger_db_fail reports is this use's. */
	ledger_tdb_last_log[0] = '\0';
	return 0;
}

/* --- keys and low-level access ------------------------------------------ */

int rebound_ledger_address_key(const char *address, char *key, size_t size)
{
	if (address == NULL)
		return -1;
	/* One form for every way an address comes in (a notice, a
	   command's argument, the output of list): the printable one. */
	char printable[320];
	size_t n = rebound_printable(address, strlen(address), printable,
				     sizeof(printable));
	if (n >= sizeof(printable))
		return -1;
	address = printable;
	if (n == 0 || n >= 320 || size < n + 3)
		return -1;
	key[0] = 'r';
	key[1] = ':';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)address[i];
		if (c <= ' ' || c == 0x7f)
			return -1;
		key[2 + i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	key[2 + n] = '\0';
	return 0;
}

int ledger_campaign_key(const char *name, char *key, size_t size)
{
	if (name == NULL)
		return -1;
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof(((rebound_campaign *)0)->name) ||
	    size < n + 3)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < ' ' || name[i] == 0x7f)
			return -1;
	snprintf(key, size, "c:%s", name);
	return 0;
}

int ledger_domain_key(const char *domain, char *key, size_t size)
{
	if (domain == NULL)
		return -1;
	size_t n = strlen(domain);
	if (n == 0 || n >= sizeof(((rebound_domain *)0)->name) ||
	    size < n + 3)
		return -1;
	key[0] = 'b';
	key[1] = ':';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)domain[i];
		if (c <= ' ' || c == 0x7f || c == '@')
			return -1;
		key[2 + i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	key[2 + n] = '\0';
	return 0;
}

static TDB_DATA key_of(const char *k)
{
	TDB_DATA d = { (unsigned char *)(uintptr_t)k, strlen(k) };
	return d;
}

static int read_lock(rebound_ledger *l, TDB_DATA key, char *err,
		     size_t errlen);

/* Fetch key into *val (caller frees val->dptr).  1 found, 0 missing, -1. */
static int fetch(rebound_ledger *l, const char *k, TDB_DATA *val, char *err,
		 size_t errlen)
{
	/* Inside a transaction its own lock covers every read. */
	bool bounded = lock_wait_ms > 0 && !tdb_transaction_active(l->tdb);
	if (bounded && read_lock(l, key_of(k), err, errlen) < 0) {
		val->dptr = NULL;
		return -1;
	}
	*val = tdb_fetch(l->tdb, key_of(k));
	int rc = 1;
	if (val->dptr == NULL)
		rc = tdb_error(l->tdb) == TDB_ERR_NOEXIST ?
			     0 : ledger_db_fail(l, "read", err, errlen);
	if (bounded)
		tdb_chainunlock_read(l->tdb, key_of(k));
	return rc;
}

static int store(rebound_ledger *l, const char *k, const rebound_buf *b,
		 int flag, char *err, size_t errlen)
{
	if (b->failed)
		return rebound_error(err, errlen, "%s: out of memory", l->path);
	TDB_DATA v = { b->p, b->len };
	if (tdb_store(l->tdb, key_of(k), v, flag) != 0)
		return ledger_db_fail(l, "write", err, errlen);
	return 0;
}

/* --- texts kept once (ledger-record.h, rebound_texts) ------------------- */

/* The generation of the last text sweep (rebound prune): a text a
 * writer uses is marked with it, so that a sweep spares what was used
 * after it began. */
#define TEXT_GEN_KEY "textgen"

/* Texts a walk looked up: a report meets the same texts again and
 * again (one MX's reply for all its recipients), and a miss is a locked
 * fetch.  Open addressing by reference; full (half its slots or its
 * pool used), it starts again empty, so its memory is bounded whatever
 * the ledger's size (a direct-mapped table of 64 lost two texts whose
 * references shared a slot on every recipient: 2 fetches each). */
#define TEXT_CACHE_SLOTS 8192		/* a power of two */
#define TEXT_CACHE_POOL (1u << 20)
typedef struct text_cache {
	uint32_t ref[TEXT_CACHE_SLOTS];	/* 0: empty */
	uint32_t at[TEXT_CACHE_SLOTS];	/* offset of the text in pool */
	size_t count, used;
	char pool[TEXT_CACHE_POOL];
} text_cache;

static size_t text_cache_slot(const text_cache *tc, uint32_t ref)
{
	size_t i = (ref * 2654435761u) & (TEXT_CACHE_SLOTS - 1);
	while (tc->ref[i] != 0 && tc->ref[i] != ref)
		i = (i + 1) & (TEXT_CACHE_SLOTS - 1);
	return i;
}

static const char *text_cache_get(const text_cache *tc, uint32_t ref)
{
	size_t i = text_cache_slot(tc, ref);
	return tc->ref[i] == ref ? tc->pool + tc->at[i] : NULL;
}

static void text_cache_put(text_cache *tc, uint32_t ref, const char *text)
{
	size_t len = strlen(text) + 1;
	if (ref == 0 || len > TEXT_CACHE_POOL / 4)
		return;
	if (tc->count >= TEXT_CACHE_SLOTS / 2 ||
	    tc->used + len > TEXT_CACHE_POOL) {
		memset(tc->ref, 0, sizeof(tc->ref));
		tc->count = tc->used = 0;
	}
	size_t i = text_cache_slot(tc, ref);
	if (tc->ref[i] == ref)
		return;
	memcpy(tc->pool + tc->used, text, len);
	tc->ref[i] = ref;
	tc->at[i] = (uint32_t)tc->used;
	tc->used += len;
	tc->count++;
}

typedef struct text_ctx {
	rebound_ledger *l;
	bool have_gen;
	uint64_t gen;
	text_cache *cache;		/* NULL: none */
} text_ctx;

/* 28 bits: a reference is a 4-byte varint (another text with the same
 * hash stays inline). */
static uint32_t text_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ (h >> 28)) & 0x0fffffffu;
	return h != 0 ? h : 1;
}

uint64_t ledger_text_generation(rebound_ledger *l)
{
	TDB_DATA v = tdb_fetch(l->tdb, key_of(TEXT_GEN_KEY));
	uint64_t gen = 0;
	if (v.dptr != NULL) {
		for (size_t i = 0; i < v.dsize && v.dptr[i] >= '0' &&
				   v.dptr[i] <= '9' && gen < UINT64_MAX / 20;
		     i++)
			gen = gen * 10 + (uint64_t)(v.dptr[i] - '0');
		free(v.dptr);
	}
	return gen;
}

int ledger_set_text_generation(rebound_ledger *l, uint64_t gen, char *err,
			       size_t errlen)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%llu", (unsigned long long)gen);
	TDB_DATA v = { (unsigned char *)text, (size_t)n };
	if (tdb_store(l->tdb, key_of(TEXT_GEN_KEY), v, TDB_REPLACE) != 0)
		return ledger_db_fail(l, "write", err, errlen);
	return 0;
}

void ledger_text_key(uint32_t ref, char *k, size_t size)
{
	snprintf(k, size, "t:%08lx", (unsigned long)ref);
}

static int store_text(rebound_ledger *l, const char *k, const char *text,
		      uint64_t gen)
{
	rebound_buf b = { 0 };
	rebound_text_encode(&b, text, gen);
	int rc = store(l, k, &b, TDB_REPLACE, NULL, 0);
	rebound_buf_free(&b);
	return rc;
}

/* Inside a transaction.  Any trouble keeps the text inline. */
static uint32_t text_intern(void *p, const char *text)
{
	text_ctx *c = p;
	rebound_ledger *l = c->l;
	if (!tdb_transaction_active(l->tdb))
		return 0;
	if (!c->have_gen) {
		c->gen = ledger_text_generation(l);
		c->have_gen = true;
	}
	uint32_t h = text_hash(text);
	char k[16];
	ledger_text_key(h, k, sizeof(k));
	TDB_DATA v = tdb_fetch(l->tdb, key_of(k));
	if (v.dptr == NULL) {
		if (tdb_error(l->tdb) != TDB_ERR_NOEXIST)
			return 0;
		return store_text(l, k, text, c->gen) == 0 ? h : 0;
	}
	char cur[512];
	uint64_t gen;
	bool same = rebound_text_decode(v.dptr, v.dsize, cur, sizeof(cur),
					&gen) == 0 &&
		    strcmp(cur, text) == 0;
	free(v.dptr);
	if (!same)
		return 0;		/* another text has this hash */
	if (gen < c->gen && store_text(l, k, text, c->gen) != 0)
		return 0;
	return h;
}

static int text_lookup(void *p, uint32_t ref, char *out, size_t size)
{
	text_ctx *c = p;
	const char *known = c->cache != NULL ? text_cache_get(c->cache, ref)
					     : NULL;
	if (known != NULL) {
		snprintf(out, size, "%s", known);
		return 0;
	}
	char k[16];
	ledger_text_key(ref, k, sizeof(k));
	TDB_DATA v = tdb_fetch(c->l->tdb, key_of(k));
	if (v.dptr == NULL)
		return -1;
	uint64_t gen;
	int rc = rebound_text_decode(v.dptr, v.dsize, out, size, &gen);
	free(v.dptr);
	/* Only what fits whole in out: a shorter buffer's cut is not the
	   text. */
	if (rc == 0 && c->cache != NULL && strlen(out) + 1 < size)
		text_cache_put(c->cache, ref, out);
	return rc;
}

rebound_texts *ledger_texts(rebound_ledger *l, rebound_texts *t)
{
	text_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cache = calloc(1, sizeof(*c->cache));	/* ref 0: empty */
	c->l = l;
	t->intern = text_intern;
	t->lookup = text_lookup;
	t->ctx = c;
	return t;
}

void ledger_texts_free(rebound_texts *t)
{
	if (t != NULL && t->ctx != NULL) {
		free(((text_ctx *)t->ctx)->cache);
		free(t->ctx);
		t->ctx = NULL;
	}
}

int ledger_decode_entry(rebound_ledger *l, const char *k, size_t klen,
			const unsigned char *data, size_t len,
			rebound_entry *e, bool texts, char *err,
			size_t errlen)
{
	text_ctx c = { .l = l };
	rebound_texts t = { text_intern, text_lookup, &c };
	return rebound_entry_decode_at(e, data, len, k, klen,
				       texts ? &t : NULL, err, errlen);
}

/* The record of one kind at k, decoded into out (a rebound_entry,
 * rebound_campaign or rebound_domain): 1, 0 when there is none, or -1
 * with err set.  One place for the fetch, the free and the message.
 * A recipient's texts are resolved unless lean (a lookup of its state
 * wants none of them). */
static int fetch_decoded_ex(rebound_ledger *l, const char *k,
			    enum rebound_record_kind kind, void *out,
			    bool lean, char *err, size_t errlen)
{
	TDB_DATA v;
	int rc = fetch(l, k, &v, err, errlen);
	if (rc <= 0)
		return rc;
	char why[100];
	switch (kind) {
	case REBOUND_KIND_RECIPIENT:
		rc = ledger_decode_entry(l, k, strlen(k), v.dptr, v.dsize, out,
					 !lean, why, sizeof(why));
		break;
	case REBOUND_KIND_CAMPAIGN:
		rc = rebound_campaign_decode(out, v.dptr, v.dsize, why,
					     sizeof(why));
		break;
	default:
		rc = rebound_domain_decode(out, v.dptr, v.dsize, why,
					   sizeof(why));
		break;
	}
	free(v.dptr);
	if (rc < 0)
		return rebound_error(err, errlen, "%s: record %s: %s", l->path,
				     k, why);
	return 1;
}

static int fetch_decoded(rebound_ledger *l, const char *k,
			 enum rebound_record_kind kind, void *out, char *err,
			 size_t errlen)
{
	return fetch_decoded_ex(l, k, kind, out, false, err, errlen);
}

/* Store an encoded record at k and free the buffer. */
static int store_encoded(rebound_ledger *l, const char *k, rebound_buf *b,
			 char *err, size_t errlen)
{
	int rc = store(l, k, b, TDB_REPLACE, err, errlen);
	rebound_buf_free(b);
	return rc;
}

int ledger_fetch_entry(rebound_ledger *l, const char *k, rebound_entry *e,
		       char *err, size_t errlen)
{
	return fetch_decoded(l, k, REBOUND_KIND_RECIPIENT, e, err, errlen);
}

int ledger_fetch_entry_lean(rebound_ledger *l, const char *k,
			    rebound_entry *e, char *err, size_t errlen)
{
	return fetch_decoded_ex(l, k, REBOUND_KIND_RECIPIENT, e, true, err,
				errlen);
}

int ledger_store_entry(rebound_ledger *l, const char *k,
		       const rebound_entry *e, char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	text_ctx c = { .l = l };
	rebound_texts t = { text_intern, text_lookup, &c };
	rebound_entry_encode_compact(&b, e, k, &t);
	return store_encoded(l, k, &b, err, errlen);
}

/* A campaign as counted: its sends since the record's last change are in
 * the counts file (campaign-counts.h), so every reader comes here, and a
 * transaction that stores the record writes that count back into it. */
int ledger_fetch_campaign(rebound_ledger *l, const char *k,
			  rebound_campaign *c, char *err, size_t errlen)
{
	int rc = fetch_decoded(l, k, REBOUND_KIND_CAMPAIGN, c, err, errlen);
	if (rc == 1)
		campaign_counts_merge(l->path, c);
	return rc;
}

int ledger_store_campaign(rebound_ledger *l, const char *k,
			  const rebound_campaign *c, char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_campaign_encode(&b, c);
	return store_encoded(l, k, &b, err, errlen);
}

int ledger_fetch_domain(rebound_ledger *l, const char *k, rebound_domain *d,
			char *err, size_t errlen)
{
	return fetch_decoded(l, k, REBOUND_KIND_DOMAIN, d, err, errlen);
}

int ledger_store_domain(rebound_ledger *l, const char *k,
			const rebound_domain *d, char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_domain_encode(&b, d);
	return store_encoded(l, k, &b, err, errlen);
}

void rebound_ledger_set_lock_wait(unsigned ms)
{
	lock_wait_ms = ms;
}

unsigned rebound_ledger_lock_wait(void)
{
	return lock_wait_ms;
}

void rebound_ledger_set_hash_size(unsigned chains)
{
	create_hash_size = chains != 0 ? chains : REBOUND_LEDGER_HASH_SIZE;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When the transaction begun last must be given up (lock_wait_ms > 0):
 * its start and its commit share one wait (txn_wait_ms long). */
static int64_t txn_deadline;
static unsigned txn_wait_ms;

/* A deadline every wait of this process ends by (monotonic ms; 0: none):
 * the bounces one delivery records share one budget (ledger.h). */
static int64_t shared_deadline;

void rebound_ledger_set_deadline(int ms)
{
	shared_deadline = ms < 0 ? 0 : monotonic_ms() + ms;
}

/* When a wait that starts now ends: after lock_wait_ms, or at the shared
 * deadline when that comes first (already passed: one try, no wait).
 * *wait_ms: how long that is, for the message. */
static int64_t wait_deadline(unsigned *wait_ms)
{
	int64_t now = monotonic_ms();
	int64_t d = now + lock_wait_ms;
	if (shared_deadline != 0 && shared_deadline < d)
		d = shared_deadline > now ? shared_deadline : now;
	*wait_ms = (unsigned)(d - now);
	return d;
}

/* One more short pause before the deadline; false when it is spent. */
static bool pause_until(int64_t deadline, long *pause_us)
{
	if (monotonic_ms() >= deadline)
		return false;
	struct timespec ts = { 0, *pause_us * 1000 };
	nanosleep(&ts, NULL);
	if (*pause_us < 20000)
		*pause_us *= 2;
	return true;
}

static int locked_error(rebound_ledger *l, unsigned waited, char *err,
			size_t errlen)
{
	lock_wait_spent = true;
	return rebound_error(err, errlen,
			     "%s: locked by another process for more than "
			     "%u ms%s",
			     l->path, waited,
			     waited < lock_wait_ms ?
				     " (what was left of the time budget)" :
				     "");
}

static bool lock_busy(rebound_ledger *l)
{
	enum TDB_ERROR e = tdb_error(l->tdb);
	return e == TDB_ERR_LOCK || e == TDB_ERR_NOLOCK;
}

/* Another process's open transaction makes tdb_transaction_start() wait
 * without end; with a limit, try without blocking until it is spent.
 * tdb_transaction_start_nonblock() only does not wait for the
 * transaction lock: it then waits without limit for a read lock on all
 * records, which another process's tdb_lockall() holds (doc/platform.md
 * §3), so that lock is tried first, without waiting, and let go. */
static int start_transaction(rebound_ledger *l, char *err, size_t errlen)
{
	if (lock_wait_ms == 0) {
		if (tdb_transaction_start(l->tdb) != 0)
			return ledger_db_fail(l, "start a transaction", err,
					      errlen);
		return 0;
	}
	txn_deadline = wait_deadline(&txn_wait_ms);
	long pause_us = 500;
	for (;;) {
		if (tdb_lockall_read_nonblock(l->tdb) == 0) {
			tdb_unlockall_read(l->tdb);
			if (tdb_transaction_start_nonblock(l->tdb) == 0)
				return 0;
		}
		if (!lock_busy(l))
			return ledger_db_fail(l, "start a transaction", err,
					      errlen);
		if (!pause_until(txn_deadline, &pause_us))
			return locked_error(l, txn_wait_ms, err, errlen);
	}
}

/* tdb's commit turns the transaction's read lock on all records into a
 * write lock and waits without limit for every other process's read
 * lock (a reader in a hash chain, a walk, tdb_lockall_read) and for the
 * open lock.  Ask the kernel first whether another process holds any
 * lock on the file now (F_GETLK never reports this process's own).
 * 1 free, 0 held, -1 cannot tell. */
static int commit_lock_free(rebound_ledger *l)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(tdb_fd(l->tdb), F_GETLK, &fl) != 0)
		return -1;
	return fl.l_type == F_UNLCK ? 1 : 0;
}

/* Outside a transaction a read takes a read lock on its hash chain and
 * waits without limit while another process holds tdb_lockall(): with a
 * limit, the chain is locked without waiting first (tdb_fetch nests in
 * it).  0 locked, -1 with err ("locked ..." when the wait is spent). */
static int read_lock(rebound_ledger *l, TDB_DATA key, char *err,
		     size_t errlen)
{
	unsigned wait_ms;
	int64_t deadline = wait_deadline(&wait_ms);
	long pause_us = 500;
	while (tdb_chainlock_read_nonblock(l->tdb, key) != 0) {
		if (!lock_busy(l))
			return ledger_db_fail(l, "read", err, errlen);
		if (!pause_until(deadline, &pause_us))
			return locked_error(l, wait_ms, err, errlen);
	}
	return 0;
}

int ledger_follow_replacement(rebound_ledger *l, char *err, size_t errlen)
{
	int e = 0;
	struct tdb_context *t = open_tdb(l->path, O_RDWR, TDB_DEFAULT, &e);
	if (t == NULL)
		return rebound_error(err, errlen, "%s: replaced by db repack, "
				     "and the new file cannot be opened: %s",
				     l->path, e ? strerror(e) : "not a ledger");
	struct stat st;
	if (fstat(tdb_fd(t), &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	tdb_close(l->tdb);
	l->tdb = t;
	return 0;
}

int ledger_begin(rebound_ledger *l, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	/* A file that `db repack --hash-size` replaced holds the key
	   LEDGER_MOVED_KEY: write to the file now at the path instead (a
	   second replacement meanwhile is followed too, not more). */
	for (int tries = 0;; tries++) {
		if (start_transaction(l, err, errlen) < 0)
			return -1;
		if (tries == 3 || !tdb_exists(l->tdb, key_of(LEDGER_MOVED_KEY)))
			return 0;
		tdb_transaction_cancel(l->tdb);
		if (ledger_follow_replacement(l, err, errlen) < 0)
			return -1;
	}
}

void ledger_cancel(rebound_ledger *l)
{
	tdb_transaction_cancel(l->tdb);
}

int ledger_commit(rebound_ledger *l, char *err, size_t errlen)
{
	if (lock_wait_ms > 0) {
		long pause_us = 500;
		while (commit_lock_free(l) == 0)
			if (!pause_until(txn_deadline, &pause_us)) {
				tdb_transaction_cancel(l->tdb);
				return locked_error(l, txn_wait_ms, err,
						    errlen);
			}
	}
	errno = 0;
	if (tdb_transaction_commit(l->tdb) != 0) {
		/* The system's reason (ENOSPC, EIO, EDQUOT...), which tdb's
		   "IO Error" hides from the operator. */
		int e = errno;
		char what[80];
		snprintf(what, sizeof what, "commit%s%s", e ? ", " : "",
			 e ? strerror(e) : "");
		return ledger_db_fail(l, what, err, errlen);
	}
	return 0;
}

/* Inside a transaction: make sure the meta record is there and ours. */
static int check_meta(rebound_ledger *l, int64_t now, char *err,
		      size_t errlen)
{
	TDB_DATA v;
	int rc = fetch(l, "meta", &v, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		rebound_meta m;
		char why[100];
		rc = rebound_meta_decode(&m, v.dptr, v.dsize, why, sizeof(why));
		free(v.dptr);
		if (rc < 0)
			return rebound_error(
				err, errlen,
				"%s: not a ledger this rebound can write "
				"(%s)",
				l->path, why);
		return 0;
	}
	rebound_meta m = { .schema = REBOUND_RECORD_VERSION, .created = now };
	rebound_buf b = { 0 };
	rebound_meta_encode(&b, &m);
	rc = store(l, "meta", &b, TDB_INSERT, err, errlen);
	rebound_buf_free(&b);
	return rc;
}

static int write_meta_if_missing(rebound_ledger *l, int64_t now, char *err,
				 size_t errlen)
{
	if (lock_wait_ms > 0) {
		/* A module never waits here: every transaction checks the
		   meta record anyway, within the budget; waiting here too
		   would spend the budget twice. */
		if (tdb_chainlock_read_nonblock(l->tdb, key_of("meta")) != 0)
			return 0;
		int there = tdb_exists(l->tdb, key_of("meta"));
		tdb_chainunlock_read(l->tdb, key_of("meta"));
		if (there)
			return 0;
	} else if (tdb_exists(l->tdb, key_of("meta"))) {
		return 0;
	}
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, now, err, errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	return ledger_commit(l, err, errlen);
}

/* --- fingerprints --------------------------------------------------------- */

typedef struct fp_state {
	uint64_t a, b;
} fp_state;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void fp_bytes(fp_state *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		s->a = (s->a ^ p[i]) * UINT64_C(0x100000001b3);
		s->b = ((s->b ^ p[i]) * UINT64_C(0x9e3779b97f4a7c15)) ^ (s->b >> 29);
	}
}

/* A string and a separator; NULL differs from "". */
static void fp_str(fp_state *s, const char *str, bool fold)
{
	unsigned char sep[1] = { str == NULL ? 1 : 0 };
	if (str != NULL) {
		for (const char *p = str; *p != '\0'; p++) {
			char c = *p;
			if (fold && c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			fp_bytes(s, &c, 1);
		}
	}
	fp_bytes(s, sep, 1);
}

/* The notice's own Message-ID, or what it says when it has none, and its
 * recipients.  Never the recording context: Exim and Dovecot seeing the
 * same notice must agree. */
static void fingerprint(const rebound_result *res,
			unsigned char out[REBOUND_FP_LEN])
{
	fp_state s = { UINT64_C(0xcbf29ce484222325), UINT64_C(0x84222325cbf29ce4) };
	unsigned char cls = (unsigned char)res->cls;
	fp_bytes(&s, &cls, 1);
	fp_str(&s, res->message_id, false);
	if (res->message_id == NULL) {
		fp_str(&s, res->format, false);
		fp_str(&s, res->reporting_mta, true);
		fp_str(&s, res->orig_message_id, false);
		fp_str(&s, res->envelope_id, false);
		fp_str(&s, res->campaign, false);
		fp_str(&s, res->verp_recipient, true);
	}
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		unsigned char act = (unsigned char)r->action;
		fp_str(&s, r->address, true);
		fp_bytes(&s, &act, 1);
		fp_str(&s, r->status, false);
		if (res->message_id == NULL) {
			fp_str(&s, r->reply_code, false);
			fp_str(&s, r->diagnostic, false);
		}
	}
	uint64_t halves[2] = { mix64(s.a), mix64(s.b ^ s.a) };
	for (int h = 0; h < 2; h++)
		for (int i = 0; i < 8; i++)	/* big-endian: the hex */
			out[h * 8 + i] = (unsigned char)(halves[h] >>
							 (56 - 8 * i));
}

/* A notice seen before: its marker d:<32 hex>, or a mark in its only
 * recipient's record (ledger-record.h, rebound_seen_mark). */
static void marker_key(const unsigned char fp[REBOUND_FP_LEN], char *k,
		       size_t size)
{
	static const char hex[] = "0123456789abcdef";
	if (size < 3 + 2 * REBOUND_FP_LEN)
		return;
	k[0] = 'd';
	k[1] = ':';
	for (int i = 0; i < REBOUND_FP_LEN; i++) {
		k[2 + 2 * i] = hex[fp[i] >> 4];
		k[3 + 2 * i] = hex[fp[i] & 15];
	}
	k[2 + 2 * REBOUND_FP_LEN] = '\0';
}

static bool entry_has_mark(const rebound_entry *e,
			   const unsigned char fp[REBOUND_FP_LEN])
{
	for (size_t i = 0; i < e->nseen; i++)
		if (memcmp(e->seen[i].fp, fp, REBOUND_MARK_LEN) == 0)
			return true;
	return false;
}

/* --- recording ------------------------------------------------------------ */

static void copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s != NULL ? s : "");
}

static void fill_outcome(rebound_outcome *o, const char *address,
			 const rebound_entry *e, bool found, bool duplicate)
{
	memset(o, 0, sizeof(*o));
	copy_str(o->address, sizeof(o->address),
		 found && e->address[0] ? e->address : address);
	o->state = found ? e->state : REBOUND_STATE_ACTIVE;
	o->until = found && e->state == REBOUND_STATE_SUSPENDED ? e->until : 0;
	o->suspect = found && e->suspect;
	if (o->suspect)
		copy_str(o->suspect_why, sizeof(o->suspect_why),
			 e->suspect_why);
	o->duplicate = duplicate;
}

static void make_event(rebound_event *ev, const rebound_observation *o,
		       const char *address, int64_t now, bool unverified)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = now;
	copy_str(ev->address, sizeof(ev->address), address);
	ev->cls = o->cls;
	ev->action = o->action;
	ev->reason = o->reason;
	ev->hard = o->hard;
	ev->suspect = o->suspect;
	if (o->suspect)
		rebound_suspect_short_name(o->suspect_why, ev->suspect_why,
					   sizeof(ev->suspect_why));
	ev->unverified = unverified;
	copy_str(ev->source, sizeof(ev->source), o->source);
	copy_str(ev->status, sizeof(ev->status), o->status);
	copy_str(ev->reply, sizeof(ev->reply), o->reply);
	copy_str(ev->diag, sizeof(ev->diag), o->diag);
	copy_str(ev->mta, sizeof(ev->mta), o->mta);
	copy_str(ev->sender_domain, sizeof(ev->sender_domain), o->sender_domain);
	copy_str(ev->campaign, sizeof(ev->campaign), o->campaign);
}

/* Store one event, journalled already, under a new e:<time>:<id> key. */
static int store_event(rebound_ledger *l, rebound_event *ev, char *err,
		       size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_event_encode(&b, ev);
	int rc = -1;
	for (int tries = 0; tries < 16; tries++) {
		char k[64];
		uint32_t seq = ++event_seq;
		snprintf(k, sizeof(k), "e:%011lld:%08lx%08lx",
			 (long long)(ev->time < 0 ? 0 : ev->time),
			 (unsigned long)(uint32_t)getpid(), (unsigned long)seq);
		if (tdb_exists(l->tdb, key_of(k)))
			continue;	/* a pid reused within one second */
		rc = store(l, k, &b, TDB_INSERT, err, errlen);
		break;
	}
	if (rc < 0 && (err == NULL || err[0] == '\0'))
		rebound_error(err, errlen, "%s: no free event key", l->path);
	rebound_buf_free(&b);
	return rc;
}

/* Store one event under a new e:<time>:<id> key (in a fleet, journalled
 * first: journal.h). */
static int put_event(rebound_ledger *l, rebound_event *ev, char *err,
		     size_t errlen)
{
	if (ledger_journal_event(l, ev, err, errlen) < 0)
		return -1;
	return store_event(l, ev, err, errlen);
}

static int count_campaign_bounce(rebound_ledger *l,
				 const rebound_policy *policy,
				 const char *campaign, bool hard, int64_t now,
				 char *err, size_t errlen)
{
	char k[160];
	if (ledger_campaign_key(campaign, k, sizeof(k)) < 0)
		return 0;		/* not a name we can keep */
	rebound_campaign c;
	int rc = ledger_fetch_campaign(l, k, &c, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		memset(&c, 0, sizeof(c));
		copy_str(c.name, sizeof(c.name), campaign);
	}
	rebound_campaign_bounce(&c, policy, hard, now);
	return ledger_store_campaign(l, k, &c, err, errlen);
}

/* The recipient domain of an address and its key; 0, or -1 when it has
 * none we can keep. */
static int domain_key_of(const char *address, char *k, size_t size)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	return at != NULL ? ledger_domain_key(at + 1, k, size) : -1;
}

/* A hard "user unknown" for `address`, seen by its domain's record
 * (policy.h, rebound_domain_hard).  When it makes a burst, the other
 * recipients of the window become suspect too.  Returns 1 when this
 * bounce is part of a burst (suspect), 0 when not, -1 on error. */
static int domain_hard_bounce(rebound_ledger *l, const rebound_policy *policy,
			      const char *address,
			      const rebound_observation *o, int64_t now,
			      char *err, size_t errlen)
{
	char dk[sizeof(((rebound_domain *)0)->name) + 2];
	if (policy->suspect_burst_count == 0 ||
	    domain_key_of(address, dk, sizeof(dk)) < 0)
		return 0;
	static rebound_domain d;	/* large: not on the stack */
	int found = ledger_fetch_domain(l, dk, &d, err, errlen);
	if (found < 0)
		return -1;
	if (!found) {
		memset(&d, 0, sizeof(d));
		copy_str(d.name, sizeof(d.name), dk + 2);
	}
	char shape[sizeof(d.shape)];
	rebound_reply_shape(o->diag != NULL && o->diag[0] != '\0' ?
				    o->diag : o->status,
			    shape, sizeof(shape));
	rebound_burst b = rebound_domain_hard(&d, policy, address, shape,
					      o->diag, now);
	if (ledger_store_domain(l, dk, &d, err, errlen) < 0)
		return -1;
	if (b != REBOUND_BURST_NEW)
		return b == REBOUND_BURST_MARKED ? 1 : 0;
	/* The window's earlier recipients: each was recorded as a plain
	   hard bounce, and is suspect now. */
	uint32_t h = rebound_shape_hash(shape);
	for (size_t i = 0; i < d.nhits; i++) {
		char k[340];
		rebound_entry e;
		if (d.hits[i].shape != h ||
		    strcasecmp(d.hits[i].address, address) == 0 ||
		    rebound_ledger_address_key(d.hits[i].address, k,
					       sizeof(k)) < 0)
			continue;
		int rc = ledger_fetch_entry(l, k, &e, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		rebound_entry_refresh(&e, now);
		if (rebound_entry_burst_suspect(&e, policy, d.block_start,
						now) &&
		    ledger_store_entry(l, k, &e, err, errlen) < 0)
			return -1;
	}
	return 1;
}

/* A delivery to `address`: its domain's mark, if it has one, ends.
 * Returns 0 or -1. */
static int domain_delivered(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen)
{
	char dk[sizeof(((rebound_domain *)0)->name) + 2];
	if (domain_key_of(address, dk, sizeof(dk)) < 0 ||
	    !tdb_exists(l->tdb, key_of(dk)))
		return 0;
	static rebound_domain d;	/* large: not on the stack */
	int found = ledger_fetch_domain(l, dk, &d, err, errlen);
	if (found <= 0)
		return found;
	if (!rebound_domain_delivered(&d, address, now))
		return 0;
	return ledger_store_domain(l, dk, &d, err, errlen);
}

/* Record one observation about one address inside a transaction.
 * in_band_delivery: a delivery seen by Exim, which only matters for an
 * address already in the ledger (no record and no event otherwise). */
/* mark: the notice's fingerprint, to keep in the record as its seen
 * mark (then *marked is set), or NULL. */
static int record_one(rebound_ledger *l, const rebound_policy *policy,
		      const char *address, const rebound_observation *o,
		      const rebound_record_context *ctx, bool in_band_delivery,
		      const unsigned char *mark, bool *marked,
		      rebound_outcome *out, char *err, size_t errlen)
{
	rebound_obs_kind kind = rebound_observation_kind(o);
	if (kind == REBOUND_OBS_NONE)
		return 0;
	/* A signature vouches only for the recipient it names. */
	bool unverified = !rebound_verp_vouches(ctx->vouch, address);
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0) {
		/* An auto-reply or a complaint that names no address still
		   counts in the reports. */
		if (kind != REBOUND_OBS_AUTOREPLY && kind != REBOUND_OBS_FEEDBACK)
			return 0;
		rebound_event ev;
		make_event(&ev, o, "", ctx->now, unverified);
		return put_event(l, &ev, err, errlen) < 0 ? -1 : 0;
	}
	rebound_entry e;
	int found = ledger_fetch_entry(l, k, &e, err, errlen);
	if (found < 0)
		return -1;
	if (found)
		rebound_entry_refresh(&e, ctx->now);
	if (unverified) {
		/* A forged bounce must not change anything: keep the
		   event for the reports, marked as such. */
		rebound_event ev;
		make_event(&ev, o, address, ctx->now, true);
		ev.state_after = found ? e.state : REBOUND_STATE_ACTIVE;
		if (put_event(l, &ev, err, errlen) < 0)
			return -1;
		if (out != NULL) {
			fill_outcome(out, address, &e, found, false);
			out->unverified = true;
		}
		return 1;
	}
	if (kind == REBOUND_OBS_DELIVERED &&
	    domain_delivered(l, address, ctx->now, err, errlen) < 0)
		return -1;
	if (in_band_delivery && !found) {
		if (out != NULL)
			fill_outcome(out, address, &e, false, false);
		return 1;
	}
	if (!found) {
		memset(&e, 0, sizeof(e));
		copy_str(e.address, sizeof(e.address), address);
	}
	rebound_observation burst_o;
	if (kind == REBOUND_OBS_FAILED && o->hard &&
	    o->reason == REBOUND_REASON_USERUNKNOWN) {
		int b = domain_hard_bounce(l, policy, address, o, ctx->now, err,
					   errlen);
		if (b < 0)
			return -1;
		if (b > 0 && !o->suspect) {
			burst_o = *o;
			burst_o.suspect = true;
			burst_o.suspect_why = "domain-burst";
			o = &burst_o;
		}
	}
	rebound_entry_apply(&e, policy, o, ctx->now);
	if (mark != NULL && e.nseen < REBOUND_SEEN_KEPT) {
		e.seen[e.nseen].time = ctx->now;
		memcpy(e.seen[e.nseen++].fp, mark, REBOUND_MARK_LEN);
		*marked = true;
	}
	/* The event is kept in the record (ledger-record.h) unless it has
	   no room there or travels in a fleet (an event with its origin is
	   an e: record, which the fold reads). */
	static rebound_event ev;	/* large: not on the stack */
	bool separate = false;
	if (!in_band_delivery) {
		make_event(&ev, o, address, ctx->now, false);
		ev.state_after = e.state;
		if (ledger_journal_event(l, &ev, err, errlen) < 0)
			return -1;
		separate = true;
		if (ev.origin[0] == '\0') {
			rebound_texts t;
			text_ctx c = { .l = l };
			t = (rebound_texts){ text_intern, text_lookup, &c };
			separate = !rebound_entry_add_event(&e, &ev, &t);
		}
	}
	if (ledger_store_entry(l, k, &e, err, errlen) < 0)
		return -1;
	if (separate && store_event(l, &ev, err, errlen) < 0)
		return -1;
	if (kind == REBOUND_OBS_FAILED && o->campaign != NULL &&
	    count_campaign_bounce(l, policy, o->campaign, o->hard, ctx->now,
				  err, errlen) < 0)
		return -1;
	if (out != NULL)
		fill_outcome(out, address, &e, true, false);
	return 1;
}

static void observation_of(rebound_observation *o, rebound_class cls,
			   const rebound_recipient *r,
			   const rebound_result *res,
			   const rebound_record_context *ctx)
{
	memset(o, 0, sizeof(*o));
	o->cls = cls;
	o->action = r->action;
	o->reason = r->reason;
	o->hard = r->hard;
	o->suspect = r->suspect;
	o->suspect_why = r->suspect ? r->suspect_why : NULL;
	o->source = ctx->source;
	o->status = r->status;
	o->reply = r->reply_code;
	o->diag = r->diagnostic;
	o->mta = r->remote_mta;
	o->sender_domain = ctx->sender_domain;
	if (res != NULL) {
		if (o->mta == NULL)
			o->mta = res->reporting_mta;
		if (o->sender_domain == NULL)
			o->sender_domain = res->sender_domain;
		o->campaign = res->campaign;
	}
}

static bool valid_args(const rebound_ledger *l, const rebound_policy *p,
		       const void *what, const rebound_record_context *ctx,
		       char *err, size_t errlen)
{
	if (l == NULL || p == NULL || what == NULL || ctx == NULL) {
		rebound_error(err, errlen, "ledger: missing argument");
		return false;
	}
	return true;
}

/* A notice that changes nothing: ordinary mail, and a notice without
 * recipients unless it is an auto-reply or a feedback report. */
static bool records_nothing(const rebound_result *res)
{
	if (res->cls == REBOUND_CLASS_NOT_BOUNCE)
		return true;
	if (res->rcpt != NULL && res->nrcpt > 0)
		return false;
	return res->cls != REBOUND_CLASS_AUTOREPLY &&
	       res->cls != REBOUND_CLASS_FEEDBACK;
}

/* Recording proper, inside a transaction the caller began (and checked
 * the meta record in): one notice alone, or one of a replayed batch.
 * Returns the outcomes filled, or -1 with err set (the caller cancels:
 * the transaction may hold part of the notice).  *seen: it was seen
 * before, nothing written. */
static int record_in_txn(rebound_ledger *l, const rebound_policy *policy,
			 const rebound_result *res,
			 const rebound_record_context *ctx,
			 rebound_outcome *out, size_t nout,
			 char *err, size_t errlen, bool *seen_before)
{
	*seen_before = false;
	if (records_nothing(res))
		return 0;
	const rebound_recipient *rcpts = res->rcpt;
	size_t nrcpt = rcpts != NULL ? res->nrcpt : 0;
	rebound_recipient synth;
	if (nrcpt == 0) {
		/* Auto-replies and feedback reports name no recipient; a
		   VERP return path may still say who it was. */
		memset(&synth, 0, sizeof(synth));
		synth.address = res->verp_recipient != NULL ?
					res->verp_recipient : "";
		bool autoreply = res->cls == REBOUND_CLASS_AUTOREPLY;
		synth.action = autoreply ? REBOUND_ACTION_AUTOREPLY :
					   REBOUND_ACTION_FEEDBACK;
		synth.reason = autoreply ? REBOUND_REASON_VACATION :
					   REBOUND_REASON_FEEDBACK;
		rcpts = &synth;
		nrcpt = 1;
	}
	unsigned char fp[REBOUND_FP_LEN];
	fingerprint(res, fp);
	char dkey[40];
	marker_key(fp, dkey, sizeof(dkey));
	size_t n = 0;
	/* A notice for one recipient is marked in its record, any other
	   with a d: record (so is one whose record had no room).  Inside
	   the transaction, so a notice twice in one batch is seen too. */
	bool seen = tdb_exists(l->tdb, key_of(dkey));
	char rk[340];
	if (!seen && nrcpt == 1 &&
	    rebound_ledger_address_key(rcpts[0].address, rk, sizeof(rk)) == 0) {
		rebound_entry *e = malloc(sizeof(*e));
		int found = e == NULL ? rebound_error(err, errlen,
						      "out of memory") :
			    fetch_decoded_ex(l, rk, REBOUND_KIND_RECIPIENT, e,
					     true, err, errlen);
		seen = found > 0 && entry_has_mark(e, fp);
		free(e);
		if (found < 0)
			return -1;
	}
	if (seen) {
		/* Seen before: report the states, change nothing. */
		*seen_before = true;
		for (size_t i = 0; i < nrcpt && n < nout; i++) {
			char k[340];
			rebound_entry e;
			int found = 0;
			if (rebound_ledger_address_key(rcpts[i].address, k,
						       sizeof(k)) < 0)
				continue;
			found = ledger_fetch_entry(l, k, &e, err, errlen);
			if (found < 0)
				return -1;
			if (found)
				rebound_entry_refresh(&e, ctx->now);
			fill_outcome(&out[n++], rcpts[i].address, &e, found,
				     true);
		}
		return (int)n;
	}
	bool marked = false;
	int rc;
	for (size_t i = 0; i < nrcpt; i++) {
		rebound_observation o;
		observation_of(&o, res->cls, &rcpts[i], res, ctx);
		rc = record_one(l, policy, rcpts[i].address, &o, ctx, false,
				nrcpt == 1 ? fp : NULL, &marked,
				n < nout ? &out[n] : NULL, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0 && n < nout)
			n++;
	}
	if (!marked) {
		rebound_seen mark = { .time = ctx->now };
		rebound_buf b = { 0 };
		rebound_seen_encode(&b, &mark);
		rc = store(l, dkey, &b, TDB_INSERT, err, errlen);
		rebound_buf_free(&b);
		if (rc < 0)
			return -1;
	}
	return (int)n;
}

/* One notice in its own transaction.  *passing: it failed for a reason
 * that may pass (the lock wait spent, the commit failed), so spooling
 * makes sense. */
static int record_notice(rebound_ledger *l, const rebound_policy *policy,
			 const rebound_result *res,
			 const rebound_record_context *ctx,
			 rebound_outcome *out, size_t nout,
			 char *err, size_t errlen, bool *passing)
{
	*passing = false;
	lock_wait_spent = false;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!valid_args(l, policy, res, ctx, err, errlen))
		return -1;
	if (records_nothing(res))
		return 0;
	if (ledger_begin(l, err, errlen) < 0) {
		*passing = lock_wait_spent;
		return -1;
	}
	int n;
	bool seen;
	if (check_meta(l, ctx->now, err, errlen) < 0 ||
	    (n = record_in_txn(l, policy, res, ctx, out, nout, err, errlen,
			       &seen)) < 0) {
		ledger_cancel(l);
		return -1;
	}
	if (seen) {
		ledger_cancel(l);	/* nothing to commit */
		return n;
	}
	if (ledger_commit(l, err, errlen) < 0) {
		*passing = true;
		return -1;
	}
	return n;
}

/* Replay records a batch of spooled notices in one transaction through
 * these (ledger-spool.h): the ledger's own recording, without spooling
 * or replaying again.  The spool is handed them and calls nothing of the
 * ledger, so the ledger depends on the spool and not the other way. */
typedef struct replay_target {
	rebound_ledger *l;
	const rebound_policy *policy;
	rebound_replay_report_fn *report;	/* NULL: not told */
	void *report_arg;
} replay_target;

static int replay_begin(void *target, char *err, size_t errlen)
{
	replay_target *t = target;
	lock_wait_spent = false;
	if (ledger_begin(t->l, err, errlen) < 0)
		return -1;
	if (check_meta(t->l, time(NULL), err, errlen) < 0) {
		ledger_cancel(t->l);
		return -1;
	}
	return 0;
}

static int replay_record(void *target, const rebound_result *res,
			 const rebound_record_context *ctx,
			 rebound_outcome *out, size_t nout, char *err,
			 size_t errlen)
{
	replay_target *t = target;
	bool seen;
	/* The policy the notice was queued under, when it kept one. */
	const rebound_policy *policy =
		ctx->policy != NULL ? ctx->policy : t->policy;
	return record_in_txn(t->l, policy, res, ctx, out, nout, err, errlen,
			     &seen);
}

static int replay_commit(void *target, char *err, size_t errlen)
{
	return ledger_commit(((replay_target *)target)->l, err, errlen);
}

static void replay_cancel(void *target)
{
	ledger_cancel(((replay_target *)target)->l);
}

static void replay_report(void *target, const rebound_result *res,
			  const rebound_record_context *ctx,
			  const rebound_outcome *out, size_t nout)
{
	replay_target *t = target;
	t->report(t->report_arg, res, ctx, out, nout);
}

static const rebound_spool_ops replay_ops = {
	replay_begin, replay_record, replay_commit, replay_cancel, NULL,
};
static const rebound_spool_ops replay_ops_reported = {
	replay_begin, replay_record, replay_commit, replay_cancel,
	replay_report,
};

int rebound_ledger_replay_report(rebound_ledger *l,
				 const rebound_policy *policy,
				 unsigned max_files, unsigned max_ms,
				 rebound_replay_report_fn *report, void *arg,
				 rebound_replay_stats *st, char *err,
				 size_t errlen)
{
	replay_target t = { l, policy, report, arg };
	const char *path = l != NULL && policy != NULL ? l->path : NULL;
	return rebound_spool_replay(path,
				    report != NULL ? &replay_ops_reported :
						     &replay_ops,
				    &t, max_files, max_ms, lock_wait_ms > 0,
				    st, err, errlen);
}

int rebound_ledger_replay(rebound_ledger *l, const rebound_policy *policy,
			  unsigned max_files, unsigned max_ms,
			  rebound_replay_stats *st, char *err, size_t errlen)
{
	return rebound_ledger_replay_report(l, policy, max_files, max_ms,
					    NULL, NULL, st, err, errlen);
}

int rebound_ledger_queue(const char *path, const rebound_result *res,
			 const rebound_record_context *ctx, bool durable,
			 char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || res == NULL || ctx == NULL)
		return rebound_error(err, errlen, "ledger: missing argument");
	if (records_nothing(res))
		return 0;
	return rebound_spool_write(path, res, ctx, durable, NULL, 0, err,
				   errlen);
}

int rebound_ledger_batch_due(const char *path, unsigned batch_ms,
			     unsigned *wait_ms)
{
	return rebound_spool_due(path, batch_ms, wait_ms);
}

/* What a module's recording call replays after its own notice: little
 * enough not to hold the mail. */
#define REPLAY_FILES 8
#define REPLAY_MS 200
#define REPLAY_LOCK_WAIT_MS 20

int rebound_ledger_record(rebound_ledger *l, const rebound_policy *policy,
			  const rebound_result *res,
			  const rebound_record_context *ctx,
			  rebound_outcome *out, size_t nout,
			  char *err, size_t errlen)
{
	bool passing;
	int n = record_notice(l, policy, res, ctx, out, nout, err, errlen,
			      &passing);
	if (lock_wait_ms == 0)
		return n;		/* the command: no spool */
	if (n < 0 && passing) {
		char name[1300], e2[400];
		size_t used = err != NULL ? strlen(err) : 0;
		/* The spooled notice keeps the policy it was to be
		   recorded under, whoever replays it. */
		rebound_record_context kept = *ctx;
		if (kept.policy == NULL)
			kept.policy = policy;
		if (rebound_spool_write(l->path, res, &kept, true, name,
					sizeof(name), e2, sizeof(e2)) == 0) {
			const char *base = strrchr(name, '/');
			char cut[96] = "";
			if (res->nrcpt > REBOUND_SPOOL_MAX_RCPT)
				snprintf(cut, sizeof(cut), " (its first %u of "
					 "%zu recipients: the spool keeps no "
					 "more)", REBOUND_SPOOL_MAX_RCPT,
					 res->nrcpt);
			if (err != NULL && used < errlen)
				snprintf(err + used, errlen - used,
					 "; spooled as %s%s",
					 base != NULL ? base + 1 : name, cut);
			return REBOUND_LEDGER_SPOOLED;
		}
		if (err != NULL && used < errlen)
			snprintf(err + used, errlen - used,
				 "; not spooled either: %s", e2);
		return -1;
	}
	if (n >= 0) {
		/* This process has just had the lock: take a few notices that
		   waited, without waiting long for it again. */
		unsigned keep = lock_wait_ms;
		lock_wait_ms = REPLAY_LOCK_WAIT_MS;
		char e2[200];
		(void)rebound_ledger_replay(l, policy, REPLAY_FILES, REPLAY_MS,
					    NULL, e2, sizeof(e2));
		lock_wait_ms = keep;
	}
	return n;
}

int rebound_ledger_record_recipient(rebound_ledger *l,
				    const rebound_policy *policy,
				    const rebound_recipient *rcpt,
				    const rebound_record_context *ctx,
				    rebound_outcome *out,
				    char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!valid_args(l, policy, rcpt, ctx, err, errlen))
		return -1;
	rebound_class cls;
	switch (rcpt->action) {
	case REBOUND_ACTION_FAILED:
	case REBOUND_ACTION_DELAYED:
		cls = REBOUND_CLASS_BOUNCE;
		break;
	case REBOUND_ACTION_DELIVERED:
	case REBOUND_ACTION_RELAYED:
	case REBOUND_ACTION_EXPANDED:
		cls = REBOUND_CLASS_DELIVERED;
		break;
	default:
		return rebound_error(
			err, errlen,
			"ledger: in-band action must be failed, delayed "
			"or delivered");
	}
	rebound_observation o;
	observation_of(&o, cls, rcpt, NULL, ctx);
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, ctx->now, err, errlen) < 0)
		goto failed;
	rebound_outcome tmp;
	int rc = record_one(l, policy, rcpt->address, &o, ctx,
			    cls == REBOUND_CLASS_DELIVERED, NULL, NULL,
			    out != NULL ? out : &tmp, err, errlen);
	if (rc < 0)
		goto failed;
	if (rc == 0 && out != NULL)
		fill_outcome(out, rcpt->address, NULL, false, false);
	if (ledger_commit(l, err, errlen) < 0)
		return -1;
	return 0;
failed:
	ledger_cancel(l);
	return -1;
}

int rebound_ledger_may_send(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return 1;		/* never recorded */
	rebound_entry e;
	int found = fetch_decoded_ex(l, k, REBOUND_KIND_RECIPIENT, &e, true,
				     err, errlen);
	if (found < 0)
		return -1;
	if (found == 0)
		return 1;
	rebound_entry_refresh(&e, now);
	return rebound_entry_may_send(&e, now) ? 1 : 0;
}

/* The campaign's record must change: made on its first send, given its
 * first send's time (a record a bounce made), a pause that ended, a rule
 * that now pauses or cancels it (judge), or only a checkpoint of the
 * count (!judge: the rule is applied at the next send, as before).  One
 * transaction; *c is the campaign after it. */
static int campaign_change(rebound_ledger *l, const rebound_policy *policy,
			   const char *k, const char *campaign, int64_t now,
			   bool judge, rebound_campaign *c, char *err,
			   size_t errlen)
{
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, now, err, errlen) < 0)
		goto failed;
	int rc = ledger_fetch_campaign(l, k, c, err, errlen);
	if (rc < 0)
		goto failed;
	if (rc == 0) {
		memset(c, 0, sizeof(*c));
		copy_str(c->name, sizeof(c->name), campaign);
	}
	if (c->first_sent == 0)
		c->first_sent = now;
	if (judge)
		rebound_campaign_check(c, policy, now);
	if (ledger_store_campaign(l, k, c, err, errlen) < 0)
		goto failed;
	return ledger_commit(l, err, errlen);
failed:
	ledger_cancel(l);
	return -1;
}

/* What the rule (and the pause's end) does to c now, without storing
 * it: true when the record must change. */
static bool campaign_would_change(const rebound_campaign *c,
				  const rebound_policy *policy, int64_t now)
{
	rebound_campaign after = *c;
	rebound_campaign_check(&after, policy, now);
	return after.state != c->state || after.until != c->until ||
	       after.pauses != c->pauses || after.changed != c->changed ||
	       after.sent_base != c->sent_base ||
	       after.bounced_base != c->bounced_base;
}

/* Sending is the common case and changes no state: the record is only
 * read (a chain's read lock), and the count goes to the counts file
 * (campaign-counts.h), which never syncs.  A transaction only when the
 * record must change.  On success err may still hold a line to log: the
 * send was not counted, or the counts file was made anew. */
int rebound_ledger_campaign_send(rebound_ledger *l,
				 const rebound_policy *policy,
				 const char *campaign, unsigned nrcpt,
				 int64_t now, rebound_campaign_state *state,
				 int64_t *until, char *err, size_t errlen)
{
	char k[160];
	if (policy == NULL || ledger_campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen,
				     "ledger: not a campaign name");
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rebound_campaign c;
	int rc = ledger_fetch_campaign(l, k, &c, err, errlen);
	if (rc < 0)
		return -1;
	TDB_DATA moved;
	int replaced = fetch(l, LEDGER_MOVED_KEY, &moved, err, errlen);
	if (replaced < 0)
		return -1;
	free(moved.dptr);
	/* A file that db repack replaced: the transaction follows it. */
	if (rc == 0 || replaced || c.first_sent == 0 ||
	    campaign_would_change(&c, policy, now)) {
		if (campaign_change(l, policy, k, campaign, now, true, &c,
				    err, errlen) < 0)
			return -1;
	}
	if (state != NULL)
		*state = c.state;
	if (until != NULL)
		*until = c.state == REBOUND_CAMPAIGN_PAUSED ? c.until : 0;
	if (c.state != REBOUND_CAMPAIGN_RUNNING)
		return 0;
	uint64_t total = 0;
	char note[512];
	if (campaign_counts_add(l->path, &c, nrcpt, now, &total, note,
				sizeof(note)) < 0) {
		rebound_error(err, errlen, "send not counted: %s", note);
		return 0;
	}
	if (note[0] != '\0')
		rebound_error(err, errlen, "%s", note);
	/* Now and then the count goes into the ledger too, so that a lost
	   counts file loses little.  The send is counted either way. */
	if (total / CAMPAIGN_CHECKPOINT != (total - nrcpt) / CAMPAIGN_CHECKPOINT) {
		char e2[300];
		(void)campaign_change(l, policy, k, campaign, now, false, &c,
				      e2, sizeof(e2));
	}
	return 0;
}

const char *rebound_state_name(rebound_state s)
{
	static const char *const names[] = {
		"active", "pending", "soft", "suspended", "suppressed", "global",
	};
	if ((unsigned)s >= sizeof(names) / sizeof(*names))
		return "active";
	return names[s];
}

int rebound_state_from_name(const char *name)
{
	for (int s = REBOUND_STATE_ACTIVE; s <= REBOUND_STATE_GLOBAL; s++)
		if (name != NULL && strcmp(name, rebound_state_name(s)) == 0)
			return s;
	return -1;
}

const char *rebound_campaign_state_name(rebound_campaign_state s)
{
	static const char *const names[] = { "running", "paused", "cancelled" };
	if ((unsigned)s >= sizeof(names) / sizeof(*names))
		return "running";
	return names[s];
}
