/* ledger.c - the ledger in one tdb file: opening it safely from many
 * processes, recording classified messages through the policy, campaign
 * counts, and the read side and edits of ledger-admin.h.
 *
 * tdb facts this relies on (doc/platform.md §3): read-only
 * opens fail while others commit, so every open is O_RDWR; one process
 * cannot open the same file twice, so handles are shared by device and
 * inode; Exim runs with umask 000 and Dovecot with 077, so a new file gets
 * mode 0660 explicitly and its group from a setgid directory.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger.h"
#include "ledger-admin.h"
#include "ledger-record.h"
#include "ledger-scan.h"
#include "ledger-spool.h"
#include "policy.h"
#include "mail/error.h"

/* Buckets of the hash table, fixed at creation: about one per ten
 * records of a ledger with 100,000 recipients and their events. */
#define LEDGER_HASH_SIZE 32749
#define OPEN_ATTEMPTS 5

struct rebound_ledger {
	struct tdb_context *tdb;
	char path[1024];
	dev_t dev;
	ino_t ino;
	pid_t pid;
	unsigned refs;
	rebound_ledger *next;
};

/* Handles open in this process (one per file). */
static rebound_ledger *open_ledgers;

/* Event ids of this process.  Not per handle: a process that opens the
 * ledger for each use (the Dovecot plugin in a long-lived LMTP process)
 * must not start again at 1 within the same second. */
static uint32_t event_seq;

/* tdb's last complaint, for error messages (processes are single
 * threaded: Exim, Dovecot, the CLI). */
static char tdb_last_log[200];

__attribute__((format(printf, 3, 4)))
static void ledger_log(struct tdb_context *tdb, enum tdb_debug_level level,
		       const char *fmt, ...)
{
	(void)tdb;
	/* The first complaint since it was cleared names the cause; what
	   follows is tdb unwinding (e.g. a full disk: "expand_file ... No
	   space left on device", then "failed to setup recovery data"). */
	if (level > TDB_DEBUG_ERROR || tdb_last_log[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tdb_last_log, sizeof(tdb_last_log), fmt, ap);
	va_end(ap);
	size_t n = strlen(tdb_last_log);
	while (n > 0 && (tdb_last_log[n - 1] == '\n' || tdb_last_log[n - 1] == ' '))
		tdb_last_log[--n] = '\0';
}

/* tdb's error codes are coarse (a full disk is "IO Error"); its log line
 * of this operation, when it wrote one, names the cause. */
static int db_fail(rebound_ledger *l, const char *what, char *err,
		   size_t errlen)
{
	bool logged = l->tdb != NULL && tdb_last_log[0] != '\0';
	return rebound_error(
		err, errlen, "%s: cannot %s: %s%s%s%s", l->path, what,
		l->tdb != NULL ? tdb_errorstr(l->tdb) : "ledger closed",
		logged ? " (" : "", logged ? tdb_last_log : "",
		logged ? ")" : "");
}

/* --- opening ---------------------------------------------------------- */

static bool permanent_open_error(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM || e == EISDIR ||
	       e == ENOTDIR || e == EROFS || e == ELOOP || e == ENAMETOOLONG;
}

static struct tdb_context *open_tdb(const char *path, int oflags,
				    int *saved_errno)
{
	const struct tdb_logging_context log_ctx = { ledger_log, NULL };
	struct tdb_context *tdb = NULL;
	for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
		tdb_last_log[0] = '\0';
		errno = 0;
		tdb = tdb_open_ex(path, LEDGER_HASH_SIZE, TDB_DEFAULT, oflags,
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
	struct tdb_context *t = open_tdb(tmp, O_RDWR | O_CREAT | O_EXCL, &e);
	if (t == NULL) {
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
		tdb = open_tdb(path, exists ? oflags : O_RDWR, &e);
	if (creating)
		umask(old_umask);
	if (tdb == NULL) {
		if (e == ENOENT || e == EACCES || e == EPERM || e == EISDIR ||
		    e == ENOTDIR || e == EROFS)
			rebound_error(err, errlen, "%s: cannot open ledger: %s",
				      path, strerror(e));
		else if (e == EBUSY)
			rebound_error(err, errlen,
				      "%s: already open in this process under "
				      "another name",
				      path);
		else
			rebound_error(
				err, errlen,
				"%s: not a rebound ledger, or damaged%s%s",
				path, tdb_last_log[0] ? ": " : "",
				tdb_last_log);
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
static int usable(rebound_ledger *l, char *err, size_t errlen)
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
	tdb_last_log[0] = '\0';	/* what db_fail reports is this use's */
	return 0;
}

/* --- keys and low-level access ------------------------------------------ */

int rebound_ledger_address_key(const char *address, char *key, size_t size)
{
	if (address == NULL)
		return -1;
	size_t n = strlen(address);
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

static int campaign_key(const char *name, char *key, size_t size)
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

static TDB_DATA key_of(const char *k)
{
	TDB_DATA d = { (unsigned char *)(uintptr_t)k, strlen(k) };
	return d;
}

/* Fetch key into *val (caller frees val->dptr).  1 found, 0 missing, -1. */
static int fetch(rebound_ledger *l, const char *k, TDB_DATA *val, char *err,
		 size_t errlen)
{
	*val = tdb_fetch(l->tdb, key_of(k));
	if (val->dptr != NULL)
		return 1;
	if (tdb_error(l->tdb) == TDB_ERR_NOEXIST)
		return 0;
	return db_fail(l, "read", err, errlen);
}

static int store(rebound_ledger *l, const char *k, const rebound_buf *b,
		 int flag, char *err, size_t errlen)
{
	if (b->failed)
		return rebound_error(err, errlen, "%s: out of memory", l->path);
	TDB_DATA v = { b->p, b->len };
	if (tdb_store(l->tdb, key_of(k), v, flag) != 0)
		return db_fail(l, "write", err, errlen);
	return 0;
}

static int get_entry(rebound_ledger *l, const char *k, rebound_entry *e,
		     char *err, size_t errlen)
{
	TDB_DATA v;
	int rc = fetch(l, k, &v, err, errlen);
	if (rc <= 0)
		return rc;
	char why[100];
	rc = rebound_entry_decode(e, v.dptr, v.dsize, why, sizeof(why));
	free(v.dptr);
	if (rc < 0)
		return rebound_error(err, errlen, "%s: record %s: %s", l->path,
				     k, why);
	return 1;
}

static int put_entry(rebound_ledger *l, const char *k, const rebound_entry *e,
		     char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_entry_encode(&b, e);
	int rc = store(l, k, &b, TDB_REPLACE, err, errlen);
	rebound_buf_free(&b);
	return rc;
}

static int get_campaign(rebound_ledger *l, const char *k, rebound_campaign *c,
			char *err, size_t errlen)
{
	TDB_DATA v;
	int rc = fetch(l, k, &v, err, errlen);
	if (rc <= 0)
		return rc;
	char why[100];
	rc = rebound_campaign_decode(c, v.dptr, v.dsize, why, sizeof(why));
	free(v.dptr);
	if (rc < 0)
		return rebound_error(err, errlen, "%s: record %s: %s", l->path,
				     k, why);
	return 1;
}

static int put_campaign(rebound_ledger *l, const char *k,
			const rebound_campaign *c, char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_campaign_encode(&b, c);
	int rc = store(l, k, &b, TDB_REPLACE, err, errlen);
	rebound_buf_free(&b);
	return rc;
}

/* Process-wide limit on waiting for another writer (0: no limit). */
static unsigned lock_wait_ms;
/* The last change failed because that limit was spent. */
static bool lock_wait_spent;

void rebound_ledger_set_lock_wait(unsigned ms)
{
	lock_wait_ms = ms;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Another process's open transaction makes tdb_transaction_start() wait
 * without end; with a limit, try without blocking until it is spent. */
static int start_transaction(rebound_ledger *l, char *err, size_t errlen)
{
	if (lock_wait_ms == 0) {
		if (tdb_transaction_start(l->tdb) != 0)
			return db_fail(l, "start a transaction", err, errlen);
		return 0;
	}
	int64_t deadline = monotonic_ms() + lock_wait_ms;
	long pause_us = 500;
	while (tdb_transaction_start_nonblock(l->tdb) != 0) {
		enum TDB_ERROR e = tdb_error(l->tdb);
		if (e != TDB_ERR_LOCK && e != TDB_ERR_NOLOCK)
			return db_fail(l, "start a transaction", err, errlen);
		if (monotonic_ms() >= deadline) {
			lock_wait_spent = true;
			return rebound_error(err, errlen,
					     "%s: locked by another process "
					     "for more than %u ms",
					     l->path, lock_wait_ms);
		}
		struct timespec ts = { 0, pause_us * 1000 };
		nanosleep(&ts, NULL);
		if (pause_us < 20000)
			pause_us *= 2;
	}
	return 0;
}

static int begin(rebound_ledger *l, char *err, size_t errlen)
{
	if (usable(l, err, errlen) < 0)
		return -1;
	return start_transaction(l, err, errlen);
}

static void cancel(rebound_ledger *l)
{
	tdb_transaction_cancel(l->tdb);
}

static int commit(rebound_ledger *l, char *err, size_t errlen)
{
	errno = 0;
	if (tdb_transaction_commit(l->tdb) != 0) {
		/* The system's reason (ENOSPC, EIO, EDQUOT...), which tdb's
		   "IO Error" hides from the operator. */
		int e = errno;
		char what[80];
		snprintf(what, sizeof what, "commit%s%s", e ? ", " : "",
			 e ? strerror(e) : "");
		return db_fail(l, what, err, errlen);
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
	if (tdb_exists(l->tdb, key_of("meta")))
		return 0;
	if (begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, now, err, errlen) < 0) {
		cancel(l);
		return -1;
	}
	return commit(l, err, errlen);
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
static void fingerprint(const rebound_result *res, char out[33])
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
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)mix64(s.a),
		 (unsigned long long)mix64(s.b ^ s.a));
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
	ev->unverified = unverified;
	copy_str(ev->source, sizeof(ev->source), o->source);
	copy_str(ev->status, sizeof(ev->status), o->status);
	copy_str(ev->reply, sizeof(ev->reply), o->reply);
	copy_str(ev->diag, sizeof(ev->diag), o->diag);
	copy_str(ev->mta, sizeof(ev->mta), o->mta);
	copy_str(ev->sender_domain, sizeof(ev->sender_domain), o->sender_domain);
	copy_str(ev->campaign, sizeof(ev->campaign), o->campaign);
}

/* Store one event under a new e:<time>:<id> key. */
static int put_event(rebound_ledger *l, const rebound_event *ev, char *err,
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

static int count_campaign_bounce(rebound_ledger *l,
				 const rebound_policy *policy,
				 const char *campaign, bool hard, int64_t now,
				 char *err, size_t errlen)
{
	char k[160];
	if (campaign_key(campaign, k, sizeof(k)) < 0)
		return 0;		/* not a name we can keep */
	rebound_campaign c;
	int rc = get_campaign(l, k, &c, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		memset(&c, 0, sizeof(c));
		copy_str(c.name, sizeof(c.name), campaign);
	}
	rebound_campaign_bounce(&c, policy, hard, now);
	return put_campaign(l, k, &c, err, errlen);
}

/* Record one observation about one address inside a transaction.
 * in_band_delivery: a delivery seen by Exim, which only matters for an
 * address already in the ledger (no record and no event otherwise). */
static int record_one(rebound_ledger *l, const rebound_policy *policy,
		      const char *address, const rebound_observation *o,
		      const rebound_record_context *ctx, bool in_band_delivery,
		      rebound_outcome *out, char *err, size_t errlen)
{
	rebound_obs_kind kind = rebound_observation_kind(o);
	if (kind == REBOUND_OBS_NONE)
		return 0;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0) {
		/* An auto-reply or a complaint that names no address still
		   counts in the reports. */
		if (kind != REBOUND_OBS_AUTOREPLY && kind != REBOUND_OBS_FEEDBACK)
			return 0;
		rebound_event ev;
		make_event(&ev, o, "", ctx->now, ctx->unverified);
		return put_event(l, &ev, err, errlen) < 0 ? -1 : 0;
	}
	rebound_entry e;
	int found = get_entry(l, k, &e, err, errlen);
	if (found < 0)
		return -1;
	if (found)
		rebound_entry_refresh(&e, ctx->now);
	if (ctx->unverified) {
		/* A forged bounce must not change anything: keep the
		   event for the reports, marked as such. */
		rebound_event ev;
		make_event(&ev, o, address, ctx->now, true);
		ev.state_after = found ? e.state : REBOUND_STATE_ACTIVE;
		if (put_event(l, &ev, err, errlen) < 0)
			return -1;
		if (out != NULL)
			fill_outcome(out, address, &e, found, false);
		return 1;
	}
	if (in_band_delivery && !found) {
		if (out != NULL)
			fill_outcome(out, address, &e, false, false);
		return 1;
	}
	if (!found) {
		memset(&e, 0, sizeof(e));
		copy_str(e.address, sizeof(e.address), address);
	}
	rebound_entry_apply(&e, policy, o, ctx->now);
	if (put_entry(l, k, &e, err, errlen) < 0)
		return -1;
	if (!in_band_delivery) {
		rebound_event ev;
		make_event(&ev, o, address, ctx->now, false);
		ev.state_after = e.state;
		if (put_event(l, &ev, err, errlen) < 0)
			return -1;
	}
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

/* Recording proper.  *passing: it failed for a reason that may pass
 * (the lock wait spent, the commit failed), so spooling makes sense. */
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
	if (res->cls == REBOUND_CLASS_NOT_BOUNCE)
		return 0;
	const rebound_recipient *rcpts = res->rcpt;
	size_t nrcpt = rcpts != NULL ? res->nrcpt : 0;
	rebound_recipient synth;
	if (nrcpt == 0) {
		/* Auto-replies and feedback reports name no recipient; a
		   VERP return path may still say who it was. */
		if (res->cls != REBOUND_CLASS_AUTOREPLY &&
		    res->cls != REBOUND_CLASS_FEEDBACK)
			return 0;
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
	char fp[33];
	fingerprint(res, fp);
	char dkey[40];
	snprintf(dkey, sizeof(dkey), "d:%s", fp);
	if (begin(l, err, errlen) < 0) {
		*passing = lock_wait_spent;
		return -1;
	}
	if (check_meta(l, ctx->now, err, errlen) < 0)
		goto failed;
	size_t n = 0;
	if (tdb_exists(l->tdb, key_of(dkey))) {
		/* Seen before: report the states, change nothing. */
		for (size_t i = 0; i < nrcpt && n < nout; i++) {
			char k[340];
			rebound_entry e;
			int found = 0;
			if (rebound_ledger_address_key(rcpts[i].address, k,
						       sizeof(k)) < 0)
				continue;
			found = get_entry(l, k, &e, err, errlen);
			if (found < 0)
				goto failed;
			if (found)
				rebound_entry_refresh(&e, ctx->now);
			fill_outcome(&out[n++], rcpts[i].address, &e, found,
				     true);
		}
		cancel(l);
		return (int)n;
	}
	rebound_seen seen = { .time = ctx->now };
	rebound_buf b = { 0 };
	rebound_seen_encode(&b, &seen);
	int rc = store(l, dkey, &b, TDB_INSERT, err, errlen);
	rebound_buf_free(&b);
	if (rc < 0)
		goto failed;
	for (size_t i = 0; i < nrcpt; i++) {
		rebound_observation o;
		observation_of(&o, res->cls, &rcpts[i], res, ctx);
		rc = record_one(l, policy, rcpts[i].address, &o, ctx, false,
				n < nout ? &out[n] : NULL, err, errlen);
		if (rc < 0)
			goto failed;
		if (rc > 0 && n < nout)
			n++;
	}
	if (commit(l, err, errlen) < 0) {
		*passing = true;
		return -1;
	}
	return (int)n;
failed:
	cancel(l);
	return -1;
}

int rebound_ledger_record_once(rebound_ledger *l, const rebound_policy *policy,
			       const rebound_result *res,
			       const rebound_record_context *ctx,
			       rebound_outcome *out, size_t nout,
			       char *err, size_t errlen)
{
	bool passing;
	return record_notice(l, policy, res, ctx, out, nout, err, errlen,
			     &passing);
}

const char *rebound_ledger_path(const rebound_ledger *l)
{
	return l != NULL ? l->path : NULL;
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
		if (rebound_spool_write(l->path, res, ctx, name, sizeof(name), e2,
					sizeof(e2)) == 0) {
			const char *base = strrchr(name, '/');
			if (err != NULL && used < errlen)
				snprintf(err + used, errlen - used,
					 "; spooled as %s",
					 base != NULL ? base + 1 : name);
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
	if (begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, ctx->now, err, errlen) < 0)
		goto failed;
	rebound_outcome tmp;
	int rc = record_one(l, policy, rcpt->address, &o, ctx,
			    cls == REBOUND_CLASS_DELIVERED,
			    out != NULL ? out : &tmp, err, errlen);
	if (rc < 0)
		goto failed;
	if (rc == 0 && out != NULL)
		fill_outcome(out, rcpt->address, NULL, false, false);
	if (commit(l, err, errlen) < 0)
		return -1;
	return 0;
failed:
	cancel(l);
	return -1;
}

int rebound_ledger_may_send(rebound_ledger *l, const char *address,
			    int64_t now, char *err, size_t errlen)
{
	if (usable(l, err, errlen) < 0)
		return -1;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return 1;		/* never recorded */
	rebound_entry e;
	int found = get_entry(l, k, &e, err, errlen);
	if (found < 0)
		return -1;
	if (found == 0)
		return 1;
	rebound_entry_refresh(&e, now);
	return rebound_entry_may_send(&e, now) ? 1 : 0;
}

int rebound_ledger_campaign_send(rebound_ledger *l,
				 const rebound_policy *policy,
				 const char *campaign, unsigned nrcpt,
				 int64_t now, rebound_campaign_state *state,
				 int64_t *until, char *err, size_t errlen)
{
	char k[160];
	if (policy == NULL || campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen,
				     "ledger: not a campaign name");
	if (begin(l, err, errlen) < 0)
		return -1;
	if (check_meta(l, now, err, errlen) < 0)
		goto failed;
	rebound_campaign c;
	int rc = get_campaign(l, k, &c, err, errlen);
	if (rc < 0)
		goto failed;
	if (rc == 0) {
		memset(&c, 0, sizeof(c));
		copy_str(c.name, sizeof(c.name), campaign);
		c.first_sent = now;
	}
	rebound_campaign_check(&c, policy, now);
	if (c.state == REBOUND_CAMPAIGN_RUNNING) {
		c.sent += nrcpt;
		c.last_sent = now;
	}
	if (put_campaign(l, k, &c, err, errlen) < 0)
		goto failed;
	if (commit(l, err, errlen) < 0)
		return -1;
	if (state != NULL)
		*state = c.state;
	if (until != NULL)
		*until = c.state == REBOUND_CAMPAIGN_PAUSED ? c.until : 0;
	return 0;
failed:
	cancel(l);
	return -1;
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

/* --- read side and edits (ledger-admin.h) ----------------------------- */

int rebound_ledger_get(rebound_ledger *l, const char *address, int64_t now,
		       rebound_entry *out, char *err, size_t errlen)
{
	if (usable(l, err, errlen) < 0)
		return -1;
	char k[340];
	if (rebound_ledger_address_key(address, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not an address: '%s'",
				     address);
	int rc = get_entry(l, k, out, err, errlen);
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
	if (usable(l, err, errlen) < 0)
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
		return db_fail(l, "walk the records", err, errlen);
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
	if (begin(l, err, errlen) < 0)
		return -1;
	rebound_entry e;
	int rc = get_entry(l, k, &e, err, errlen);
	if (rc <= 0) {
		cancel(l);
		return rc;
	}
	rebound_entry_refresh(&e, now);
	rebound_entry_unbounce(&e, now);
	if (put_entry(l, k, &e, err, errlen) < 0) {
		cancel(l);
		return -1;
	}
	return commit(l, err, errlen) < 0 ? -1 : 1;
}

int rebound_ledger_campaign_get(rebound_ledger *l, const char *campaign,
				int64_t now, rebound_campaign *out,
				char *err, size_t errlen)
{
	if (usable(l, err, errlen) < 0)
		return -1;
	char k[160];
	if (campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not a campaign name: '%s'",
				     campaign);
	int rc = get_campaign(l, k, out, err, errlen);
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
	if (campaign_key(campaign, k, sizeof(k)) < 0)
		return rebound_error(err, errlen, "not a campaign name: '%s'",
				     campaign);
	if (begin(l, err, errlen) < 0)
		return -1;
	rebound_campaign c;
	int rc = get_campaign(l, k, &c, err, errlen);
	if (rc <= 0) {
		cancel(l);
		return rc;
	}
	rebound_campaign_refresh(&c, now);
	if (op == REBOUND_CAMPAIGN_OP_RESUME)
		rebound_campaign_resume(&c, now);
	else
		rebound_campaign_cancel(&c, now);
	if (put_campaign(l, k, &c, err, errlen) < 0) {
		cancel(l);
		return -1;
	}
	if (commit(l, err, errlen) < 0)
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
		if (begin(l, err, errlen) < 0) {
			rc = -1;
			break;
		}
		for (size_t j = i; j < kl.n && j < i + 1000; j++)
			if (tdb_delete(l->tdb, kl.keys[j]) != 0 &&
			    tdb_error(l->tdb) != TDB_ERR_NOEXIST) {
				db_fail(l, "delete", err, errlen);
				rc = -1;
				break;
			}
		if (rc < 0)
			cancel(l);
		else if (commit(l, err, errlen) < 0)
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
	if (usable(l, err, errlen) < 0)
		return -1;
	tdb_last_log[0] = '\0';
	r->tdb_ok = tdb_check(l->tdb, NULL, NULL) == 0;
	/* tdb_check (tdb 1.4) also fails files that tdb itself reads
	   without fault (ledger-scan.h): a second opinion tells space a
	   killed commit left unused from damage. */
	if (!r->tdb_ok) {
		char what[200];
		snprintf(what, sizeof(what), "%s", tdb_last_log);
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
	if (usable(l, err, errlen) < 0)
		return -1;
	if (tdb_repack(l->tdb) != 0)
		return db_fail(l, "repack", err, errlen);
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
	if (usable(l, err, errlen) < 0)
		return -1;
	mode_t old = umask(0007);
	int fd = open(dest, O_RDWR | O_CREAT | O_EXCL, 0660);
	umask(old);
	if (fd < 0)
		return rebound_error(err, errlen, "%s: %s", dest,
				     strerror(errno));
	close(fd);
	const struct tdb_logging_context log_ctx = { ledger_log, NULL };
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
		db_fail(l, "lock for the backup", err, errlen);
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
