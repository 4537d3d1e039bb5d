/* campaign-counts.c - the sends of each campaign in <db_path>.counts, a
 * tdb file opened TDB_NOSYNC beside the ledger (campaign-counts.h says
 * why and how the ledger keeps its checkpoint).
 *
 * One value per campaign, always VALUE_SIZE bytes, so that every store
 * after the first rewrites the value in place (tdb_update_hash) and
 * touches neither a chain nor the free list: a crash can tear a value,
 * which its check word tells, but not the file (doc/platform.md §3.7).
 * The file is expendable: a damaged one is replaced by an empty one, and
 * the ledger's checkpoints stand.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "campaign-counts.h"
#include "mail/error.h"

/* "rbc1", first_sent, sent, last_sent (little-endian), check word. */
#define VALUE_SIZE 32
static const unsigned char MAGIC[4] = { 'r', 'b', 'c', '1' };

/* Campaigns are few: a small hash table keeps the file small. */
#define COUNTS_HASH_SIZE 1031

/* A chain lock is held for microseconds; longer means a process stopped
 * while holding it, and the send goes uncounted rather than wait. */
#define LOCK_WAIT_MS 200

typedef struct tally {
	int64_t first_sent;
	uint64_t sent;
	int64_t last_sent;
} tally;

/* This process's handle, on the file that was at `path` when opened. */
static struct {
	struct tdb_context *tdb;
	char path[1100];
	pid_t pid;
	dev_t dev;
	ino_t ino;
} h;

/* tdb's first complaint since it was cleared, for the log line. */
static char last_log[160];

__attribute__((format(printf, 3, 4)))
static void counts_log(struct tdb_context *tdb, enum tdb_debug_level level,
		       const char *fmt, ...)
{
	(void)tdb;
	if (level > TDB_DEBUG_ERROR || last_log[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	size_t n = strlen(last_log);
	while (n > 0 && (last_log[n - 1] == '\n' || last_log[n - 1] == ' '))
		last_log[--n] = '\0';
}

/* --- values --------------------------------------------------------------- */

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* FNV-1a over the value before the check word. */
static uint32_t check_word(const unsigned char *p)
{
	uint32_t x = 2166136261u;
	for (int i = 0; i < VALUE_SIZE - 4; i++)
		x = (x ^ p[i]) * 16777619u;
	return x;
}

static void encode(unsigned char *p, const tally *t)
{
	memcpy(p, MAGIC, 4);
	put64(p + 4, (uint64_t)t->first_sent);
	put64(p + 12, t->sent);
	put64(p + 20, (uint64_t)t->last_sent);
	uint32_t x = check_word(p);
	for (int i = 0; i < 4; i++)
		p[28 + i] = (unsigned char)(x >> (8 * i));
}

/* False for a value that is not whole (a torn write, another format). */
static bool decode(tally *t, const unsigned char *p, size_t n)
{
	if (n != VALUE_SIZE || memcmp(p, MAGIC, 4) != 0)
		return false;
	uint32_t x = 0;
	for (int i = 0; i < 4; i++)
		x |= (uint32_t)p[28 + i] << (8 * i);
	if (x != check_word(p))
		return false;
	t->first_sent = (int64_t)get64(p + 4);
	t->sent = get64(p + 12);
	t->last_sent = (int64_t)get64(p + 20);
	return true;
}

static TDB_DATA key_of(const char *name)
{
	TDB_DATA k = { (unsigned char *)(uintptr_t)name, strlen(name) };
	return k;
}

/* 1 read, 0 no value, -2 a value that is not whole, -1 the file failed
 * (damaged, or an I/O error). */
static int read_tally(struct tdb_context *tdb, const char *name, tally *t)
{
	TDB_DATA v = tdb_fetch(tdb, key_of(name));
	if (v.dptr == NULL)
		return tdb_error(tdb) == TDB_ERR_NOEXIST ? 0 : -1;
	bool ok = decode(t, v.dptr, v.dsize);
	free(v.dptr);
	return ok ? 1 : -2;
}

/* --- the file ------------------------------------------------------------- */

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The chain of `name`, locked for writing or reading without waiting
 * more than LOCK_WAIT_MS.  0, or -1. */
static int lock_chain(struct tdb_context *tdb, const char *name, bool write)
{
	int64_t deadline = monotonic_ms() + LOCK_WAIT_MS;
	long pause_us = 200;
	for (;;) {
		int rc = write ? tdb_chainlock_nonblock(tdb, key_of(name)) :
				 tdb_chainlock_read_nonblock(tdb, key_of(name));
		if (rc == 0)
			return 0;
		enum TDB_ERROR e = tdb_error(tdb);
		if ((e != TDB_ERR_LOCK && e != TDB_ERR_NOLOCK) ||
		    monotonic_ms() >= deadline)
			return -1;
		struct timespec ts = { 0, pause_us * 1000 };
		nanosleep(&ts, NULL);
		if (pause_us < 10000)
			pause_us *= 2;
	}
}

void campaign_counts_close(void)
{
	/* A handle inherited through fork() is only let go: closing it
	   releases no lock of the parent's (fcntl locks are not
	   inherited) and unmaps only this process's copy. */
	if (h.tdb != NULL)
		tdb_close(h.tdb);
	h.tdb = NULL;
	h.path[0] = '\0';
}

static struct tdb_context *open_file(const char *path, int oflags)
{
	const struct tdb_logging_context log = { counts_log, NULL };
	last_log[0] = '\0';
	errno = 0;
	return tdb_open_ex(path, COUNTS_HASH_SIZE, TDB_NOSYNC, oflags, 0660,
			   &log, NULL);
}

/* Put a new empty counts file at path: made beside it under another
 * name, then linked in (when there is none: another process's is as
 * good) or renamed over a damaged one (only if that is still the file at
 * path, by *damaged's device and inode).  So nobody ever opens a half
 * made file.  0, or -1 with errno. */
static int make_file(const char *path, const struct stat *damaged)
{
	char tmp[sizeof(h.path) + 32];
	int n = snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp);
	/* 0660 whatever the umask (Exim's is 000, Dovecot's 077), the
	   group of a setgid directory: as the ledger (platform.md §3.4). */
	mode_t old = umask(0007);
	struct tdb_context *t = open_file(tmp, O_RDWR | O_CREAT | O_EXCL);
	int e = errno;
	umask(old);
	if (t == NULL) {
		unlink(tmp);
		errno = e != 0 ? e : EIO;
		return -1;
	}
	struct stat st;
	if (fstat(tdb_fd(t), &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != 0660)
		(void)fchmod(tdb_fd(t), 0660);
	tdb_close(t);
	int rc = 0;
	if (damaged == NULL) {
		if (link(tmp, path) < 0 && errno != EEXIST)
			rc = -1;
	} else {
		struct stat now;
		if (stat(path, &now) == 0 && (now.st_dev != damaged->st_dev ||
					      now.st_ino != damaged->st_ino))
			rc = 0;		/* another process made it anew */
		else if (rename(tmp, path) < 0)
			rc = -1;
	}
	e = errno;
	unlink(tmp);
	errno = e;
	return rc;
}

/* This process's handle on the counts file of the ledger at
 * ledger_path, opened (create: made, or made anew when damaged) when it
 * has none or the file at the path is another one.  NULL when there is
 * no usable file; then note says why (nothing for a missing file that
 * was not to be made).  With create, note may also say that a damaged
 * file was made anew. */
static struct tdb_context *counts_file(const char *ledger_path, bool create,
				       char *note, size_t notelen)
{
	char path[sizeof(h.path)];
	int n = snprintf(path, sizeof(path), "%s%s", ledger_path,
			 CAMPAIGN_COUNTS_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rebound_error(note, notelen, "%s%s: path too long", ledger_path,
			      CAMPAIGN_COUNTS_SUFFIX);
		return NULL;
	}
	struct stat st;
	bool there = stat(path, &st) == 0;
	int stat_errno = errno;
	if (h.tdb != NULL &&
	    (h.pid != getpid() || strcmp(h.path, path) != 0 || !there ||
	     st.st_dev != h.dev || st.st_ino != h.ino))
		campaign_counts_close();
	if (h.tdb != NULL)
		return h.tdb;
	if (!there && stat_errno != ENOENT) {
		rebound_error(note, notelen, "%s: %s", path,
			      strerror(stat_errno));
		return NULL;
	}
	if (!there && !create)
		return NULL;
	char damage[200] = "";
	struct tdb_context *t = NULL;
	for (int attempt = 0; attempt < 3 && t == NULL; attempt++) {
		if (!there) {
			if (make_file(path, NULL) < 0) {
				rebound_error(note, notelen,
					      "%s: cannot make it: %s", path,
					      strerror(errno));
				return NULL;
			}
		} else if (damage[0] != '\0') {
			if (make_file(path, &st) < 0) {
				rebound_error(note, notelen,
					      "%s: damaged (%s), and cannot "
					      "make it anew: %s",
					      path, damage, strerror(errno));
				return NULL;
			}
		}
		t = open_file(path, O_RDWR);
		if (t != NULL)
			break;
		int e = errno;
		if (e == ENOENT) {	/* replaced meanwhile: again */
			there = false;
			continue;
		}
		if (e == EACCES || e == EPERM || e == EROFS || e == EISDIR ||
		    e == ENOTDIR || e == EBUSY || e == ENFILE || e == EMFILE ||
		    e == ENOMEM || !create || damage[0] != '\0') {
			rebound_error(note, notelen, "%s: cannot open: %s%s%s",
				      path, e ? strerror(e) : "not a tdb file",
				      last_log[0] ? ": " : "", last_log);
			return NULL;
		}
		/* Not a tdb file, or a broken one: it only held counts. */
		snprintf(damage, sizeof(damage), "%s",
			 last_log[0] ? last_log : strerror(e ? e : EIO));
		if (stat(path, &st) != 0)
			there = false;
	}
	if (t == NULL) {
		rebound_error(note, notelen, "%s: cannot open it", path);
		return NULL;
	}
	if (fstat(tdb_fd(t), &st) != 0) {
		rebound_error(note, notelen, "%s: %s", path, strerror(errno));
		tdb_close(t);
		return NULL;
	}
	h.tdb = t;
	snprintf(h.path, sizeof(h.path), "%s", path);
	h.pid = getpid();
	h.dev = st.st_dev;
	h.ino = st.st_ino;
	if (damage[0] != '\0')
		rebound_error(note, notelen,
			      "%s was damaged (%s): made anew; campaigns keep "
			      "the sends counted in the ledger at their last "
			      "change",
			      path, damage);
	return t;
}

/* The file failed under a store or a fetch (TDB_ERR_CORRUPT, an I/O
 * error): make it anew now, so that the next send counts again. */
static struct tdb_context *renew_file(const char *ledger_path, char *note,
				      size_t notelen)
{
	struct stat st;
	bool same = h.tdb != NULL && fstat(tdb_fd(h.tdb), &st) == 0;
	char why[160];
	snprintf(why, sizeof(why), "%s",
		 last_log[0] ? last_log :
		 h.tdb != NULL ? tdb_errorstr(h.tdb) : "unreadable");
	char path[sizeof(h.path)];
	snprintf(path, sizeof(path), "%s", h.path);
	campaign_counts_close();
	if (!same || make_file(path, &st) < 0) {
		rebound_error(note, notelen, "%s: damaged (%s), and cannot "
			      "make it anew: %s", path, why,
			      same ? strerror(errno) : "gone");
		return NULL;
	}
	char e2[300] = "";
	struct tdb_context *t = counts_file(ledger_path, true, e2, sizeof(e2));
	if (t == NULL) {
		rebound_error(note, notelen, "%s", e2);
		return NULL;
	}
	rebound_error(note, notelen,
		      "%s was damaged (%s): made anew; campaigns keep the "
		      "sends counted in the ledger at their last change",
		      path, why);
	return t;
}

/* --- counting and reading ---------------------------------------------------- */

int campaign_counts_add(const char *ledger_path, const rebound_campaign *c,
			unsigned n, int64_t now, uint64_t *total, char *note,
			size_t notelen)
{
	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if (ledger_path == NULL || c == NULL || c->name[0] == '\0')
		return rebound_error(note, notelen, "counts: missing argument");
	char renewed[400] = "";
	struct tdb_context *tdb = counts_file(ledger_path, true, renewed,
					      sizeof(renewed));
	if (tdb == NULL)
		return rebound_error(note, notelen, "%s", renewed);
	for (int attempt = 0;; attempt++) {
		if (lock_chain(tdb, c->name, true) < 0)
			return rebound_error(note, notelen,
					     "%s: locked by another process "
					     "for more than %d ms",
					     h.path, LOCK_WAIT_MS);
		tally t;
		int rc = read_tally(tdb, c->name, &t);
		if (rc == -1) {
			tdb_chainunlock(tdb, key_of(c->name));
			if (attempt > 0)
				return rebound_error(note, notelen,
						     "%s: cannot read: %s",
						     h.path, tdb_errorstr(tdb));
			tdb = renew_file(ledger_path, renewed,
					 sizeof(renewed));
			if (tdb == NULL)
				return rebound_error(note, notelen, "%s",
						     renewed);
			continue;
		}
		if (rc == -2 && renewed[0] == '\0')
			rebound_error(renewed, sizeof(renewed),
				      "%s: the count of campaign %s was "
				      "unreadable (torn in a crash?): counted "
				      "again from the ledger's",
				      h.path, c->name);
		/* The record's checkpoint is the floor; a value of another
		   record (another first_sent) or a torn one adds nothing. */
		tally next = { c->first_sent, c->sent, c->last_sent };
		if (rc == 1 && t.first_sent == c->first_sent) {
			if (t.sent > next.sent)
				next.sent = t.sent;
			if (t.last_sent > next.last_sent)
				next.last_sent = t.last_sent;
		}
		next.sent += n;
		if (now > next.last_sent)
			next.last_sent = now;
		unsigned char v[VALUE_SIZE];
		encode(v, &next);
		TDB_DATA d = { v, sizeof(v) };
		last_log[0] = '\0';
		int st = tdb_store(tdb, key_of(c->name), d, TDB_REPLACE);
		enum TDB_ERROR e = tdb_error(tdb);
		tdb_chainunlock(tdb, key_of(c->name));
		if (st != 0) {
			if (attempt == 0 && e == TDB_ERR_CORRUPT) {
				tdb = renew_file(ledger_path, renewed,
						 sizeof(renewed));
				if (tdb == NULL)
					return rebound_error(note, notelen,
							     "%s", renewed);
				continue;
			}
			return rebound_error(note, notelen,
					     "%s: cannot write: %s%s%s",
					     h.path, tdb_errorstr(tdb),
					     last_log[0] ? ": " : "", last_log);
		}
		if (total != NULL)
			*total = next.sent;
		if (renewed[0] != '\0')
			rebound_error(note, notelen, "%s", renewed);
		return 0;
	}
}

void campaign_counts_merge(const char *ledger_path, rebound_campaign *c)
{
	if (ledger_path == NULL || c == NULL || c->name[0] == '\0')
		return;
	char note[300];
	struct tdb_context *tdb = counts_file(ledger_path, false, note,
					      sizeof(note));
	if (tdb == NULL || lock_chain(tdb, c->name, false) < 0)
		return;
	tally t;
	int rc = read_tally(tdb, c->name, &t);
	tdb_chainunlock_read(tdb, key_of(c->name));
	if (rc != 1 || t.first_sent != c->first_sent)
		return;
	if (t.sent > c->sent)
		c->sent = t.sent;
	if (t.last_sent > c->last_sent)
		c->last_sent = t.last_sent;
}
