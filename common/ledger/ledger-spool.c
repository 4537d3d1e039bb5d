/* ledger-spool.c - notices that could not wait for the ledger's lock:
 * their encoding, the spool directory beside the ledger, and replaying
 * it through the recording function the ledger hands it (see
 * ledger-spool.h; no ledger function is called from here).
 */
#include <sys/file.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger-spool.h"
#include "mail/error.h"

enum {
	/* context */
	T_NOW = 1, T_SOURCE, T_CTX_DOMAIN,
	/* require_signed_verp (it was "every recipient unverified", which
	   a file from before, with no T_VOUCHED, still means) */
	T_REQUIRE_SIGNED,
	T_VOUCHED,		/* one per recipient a signature vouched for */
	/* result */
	T_CLASS = 10, T_FORMAT, T_MTA, T_MSGID, T_ORIG_MSGID, T_ENVID,
	T_CAMPAIGN, T_DOMAIN, T_VERP,
	T_RCPT = 20,
	/* the queuing module's policy, as settings text (config.h) */
	T_POLICY = 30,
	/* inside a recipient */
	R_ADDRESS = 1, R_ACTION, R_STATUS, R_REPLY, R_REASON, R_HARD,
	R_SUSPECT, R_DIAG, R_MTA,
	R_SUSPECT_WHY,		/* the classifier's evidence (issue 18) */
};

#define STR_MAX 4096u

/* --- encoding ------------------------------------------------------------ */

/* Absent (NULL) and empty differ: the seen-before key tells them apart. */
static void put_str(rebound_buf *b, uint64_t tag, const char *s)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	rebound_buf_field(b, tag, s, n > STR_MAX ? STR_MAX : n);
}

static void encode_rcpt(rebound_buf *b, const rebound_recipient *r)
{
	rebound_buf sub = { 0 };
	put_str(&sub, R_ADDRESS, r->address);
	rebound_buf_uint(&sub, R_ACTION, (uint64_t)r->action);
	put_str(&sub, R_STATUS, r->status);
	put_str(&sub, R_REPLY, r->reply_code);
	rebound_buf_uint(&sub, R_REASON, (uint64_t)r->reason);
	rebound_buf_uint(&sub, R_HARD, r->hard);
	rebound_buf_uint(&sub, R_SUSPECT, r->suspect);
	put_str(&sub, R_DIAG, r->diagnostic);
	put_str(&sub, R_MTA, r->remote_mta);
	put_str(&sub, R_SUSPECT_WHY, r->suspect_why);
	if (sub.failed)
		b->failed = true;
	else
		rebound_buf_field(b, T_RCPT, sub.p, sub.len);
	rebound_buf_free(&sub);
}

void rebound_spool_encode(rebound_buf *b, const rebound_result *res,
			  const rebound_record_context *ctx)
{
	rebound_buf_header(b, REBOUND_KIND_SPOOLED);
	rebound_buf_uint(b, T_NOW, (uint64_t)ctx->now);
	put_str(b, T_SOURCE, ctx->source);
	put_str(b, T_CTX_DOMAIN, ctx->sender_domain);
	const rebound_verp_vouch *v = ctx->vouch;
	rebound_buf_uint(b, T_REQUIRE_SIGNED, v != NULL && v->required);
	for (size_t i = 0; v != NULL && v->required && i < v->n; i++)
		put_str(b, T_VOUCHED, v->recipient[i]);
	rebound_buf_uint(b, T_CLASS, (uint64_t)res->cls);
	put_str(b, T_FORMAT, res->format);
	put_str(b, T_MTA, res->reporting_mta);
	put_str(b, T_MSGID, res->message_id);
	put_str(b, T_ORIG_MSGID, res->orig_message_id);
	put_str(b, T_ENVID, res->envelope_id);
	put_str(b, T_CAMPAIGN, res->campaign);
	put_str(b, T_DOMAIN, res->sender_domain);
	put_str(b, T_VERP, res->verp_recipient);
	char policy[REBOUND_POLICY_TEXT_MAX];
	if (ctx->policy != NULL &&
	    rebound_policy_write(ctx->policy, policy, sizeof(policy)) > 0)
		put_str(b, T_POLICY, policy);
	for (size_t i = 0; i < res->nrcpt && i < REBOUND_SPOOL_MAX_RCPT; i++)
		encode_rcpt(b, &res->rcpt[i]);
}

/* --- decoding ------------------------------------------------------------ */

typedef struct reader {
	const unsigned char *p;
	size_t len, pos;
} reader;

/* The next tag and value; 1 read, 0 at the end, -1 malformed. */
static int next_field(reader *r, uint64_t *tag, const unsigned char **val,
		      size_t *vlen)
{
	if (r->pos >= r->len)
		return 0;
	uint64_t n;
	size_t used = rebound_read_varint(r->p + r->pos, r->len - r->pos, tag);
	if (used == 0)
		return -1;
	r->pos += used;
	used = rebound_read_varint(r->p + r->pos, r->len - r->pos, &n);
	if (used == 0)
		return -1;
	r->pos += used;
	if (n > r->len - r->pos)
		return -1;
	*val = r->p + r->pos;
	*vlen = (size_t)n;
	r->pos += (size_t)n;
	return 1;
}

static int get_uint(const unsigned char *val, size_t vlen, uint64_t *out)
{
	return rebound_read_varint(val, vlen, out) == vlen && vlen > 0 ? 0 : -1;
}

/* Strings are copied, NUL-terminated, into one block sized up front. */
typedef struct pool {
	char *next, *end;
} pool;

static const char *pool_str(pool *pl, const unsigned char *val, size_t vlen)
{
	if (vlen > STR_MAX || memchr(val, '\0', vlen) != NULL ||
	    (size_t)(pl->end - pl->next) < vlen + 1)
		return NULL;
	char *s = pl->next;
	memcpy(s, val, vlen);
	s[vlen] = '\0';
	pl->next += vlen + 1;
	return s;
}

static int bad(char *why, size_t whylen, const char *what)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", what);
	return -1;
}

static int decode_rcpt(rebound_recipient *r, pool *pl,
		       const unsigned char *data, size_t len)
{
	reader rd = { data, len, 0 };
	uint64_t tag, v;
	const unsigned char *val;
	size_t vlen;
	int rc;
	memset(r, 0, sizeof(*r));
	while ((rc = next_field(&rd, &tag, &val, &vlen)) > 0) {
		const char *s = NULL;
		switch (tag) {
		case R_ADDRESS:
			if ((r->address = pool_str(pl, val, vlen)) == NULL)
				return -1;
			break;
		case R_STATUS:
		case R_REPLY:
			if ((s = pool_str(pl, val, vlen)) == NULL)
				return -1;
			if (tag == R_STATUS)
				snprintf(r->status, sizeof(r->status), "%s", s);
			else
				snprintf(r->reply_code, sizeof(r->reply_code),
					 "%s", s);
			break;
		case R_DIAG:
			if ((r->diagnostic = pool_str(pl, val, vlen)) == NULL)
				return -1;
			break;
		case R_MTA:
			if ((r->remote_mta = pool_str(pl, val, vlen)) == NULL)
				return -1;
			break;
		case R_SUSPECT_WHY:
			if ((r->suspect_why = pool_str(pl, val, vlen)) == NULL)
				return -1;
			break;
		case R_ACTION:
			if (get_uint(val, vlen, &v) < 0 ||
			    v > REBOUND_ACTION_FEEDBACK)
				return -1;
			r->action = (rebound_action)v;
			break;
		case R_REASON:
			if (get_uint(val, vlen, &v) < 0 ||
			    v >= REBOUND_REASON_COUNT)
				return -1;
			r->reason = (rebound_reason)v;
			break;
		case R_HARD:
		case R_SUSPECT:
			if (get_uint(val, vlen, &v) < 0 || v > 1)
				return -1;
			if (tag == R_HARD)
				r->hard = v;
			else
				r->suspect = v;
			break;
		default:
			break;		/* a later version's field */
		}
	}
	return rc < 0 || r->address == NULL ? -1 : 0;
}

int rebound_spool_decode(rebound_spooled *out, const unsigned char *data,
			 size_t len, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (len < 4 || data[0] != 'r' || data[1] != 'b')
		return bad(why, whylen, "not a spooled notice");
	if ((data[2] >> 4) != (REBOUND_RECORD_VERSION >> 4))
		return bad(why, whylen, "another major version");
	if (data[3] != REBOUND_KIND_SPOOLED)
		return bad(why, whylen, "a record of another kind");
	if (len > REBOUND_SPOOL_MAX_BYTES)
		return bad(why, whylen, "too long");

	/* First pass: count the recipients. */
	reader rd = { data + 4, len - 4, 0 };
	uint64_t tag, v;
	const unsigned char *val;
	size_t vlen, nrcpt = 0;
	int rc;
	while ((rc = next_field(&rd, &tag, &val, &vlen)) > 0)
		if (tag == T_RCPT)
			nrcpt++;
	if (rc < 0)
		return bad(why, whylen, "truncated field");
	if (nrcpt > REBOUND_SPOOL_MAX_RCPT)
		return bad(why, whylen, "too many recipients");

	/* One block: the recipients, then the strings (never more bytes
	   than the file, plus a NUL for each field). */
	size_t rsize = nrcpt * sizeof(rebound_recipient);
	unsigned char *mem = malloc(rsize + 2 * len + 16);
	if (mem == NULL)
		return bad(why, whylen, "out of memory");
	out->mem = mem;
	out->res.rcpt = nrcpt ? (rebound_recipient *)(void *)mem : NULL;
	pool pl = { (char *)mem + rsize, (char *)mem + rsize + 2 * len + 16 };
	bool have_now = false, have_class = false, have_policy = false;

	rd.pos = 0;
	while ((rc = next_field(&rd, &tag, &val, &vlen)) > 0) {
		const char **str = NULL;
		switch (tag) {
		case T_NOW:
			if (get_uint(val, vlen, &v) < 0)
				goto malformed;
			out->ctx.now = (int64_t)v;
			have_now = true;
			break;
		case T_REQUIRE_SIGNED:
			if (get_uint(val, vlen, &v) < 0 || v > 1)
				goto malformed;
			out->vouch.required = v;
			break;
		case T_VOUCHED:
			if (vlen == 0 ||
			    vlen >= sizeof(out->vouch.recipient[0]) ||
			    memchr(val, '\0', vlen) != NULL)
				goto malformed;
			if (out->vouch.n < REBOUND_VERP_VOUCH_MAX) {
				memcpy(out->vouch.recipient[out->vouch.n], val,
				       vlen);
				out->vouch.recipient[out->vouch.n][vlen] = '\0';
				out->vouch.n++;
			}
			break;
		case T_CLASS:
			if (get_uint(val, vlen, &v) < 0 ||
			    v > REBOUND_CLASS_FEEDBACK)
				goto malformed;
			out->res.cls = (rebound_class)v;
			have_class = true;
			break;
		case T_SOURCE: str = &out->ctx.source; break;
		case T_CTX_DOMAIN: str = &out->ctx.sender_domain; break;
		case T_FORMAT: str = &out->res.format; break;
		case T_MTA: str = &out->res.reporting_mta; break;
		case T_MSGID: str = &out->res.message_id; break;
		case T_ORIG_MSGID: str = &out->res.orig_message_id; break;
		case T_ENVID: str = &out->res.envelope_id; break;
		case T_CAMPAIGN: str = &out->res.campaign; break;
		case T_DOMAIN: str = &out->res.sender_domain; break;
		case T_VERP: str = &out->res.verp_recipient; break;
		case T_POLICY:
			/* Settings text read as the configuration is; one
			   that does not read leaves the replayer's policy
			   (the notice is worth more than its policy). */
			rebound_policy_preset(&out->policy, "default");
			have_policy = vlen <= REBOUND_POLICY_TEXT_MAX &&
				      rebound_policy_read(&out->policy,
							  (const char *)val,
							  vlen, NULL, 0) == 0;
			break;
		case T_RCPT:
			if (decode_rcpt(&out->res.rcpt[out->res.nrcpt], &pl, val,
					vlen) < 0)
				goto malformed;
			out->res.nrcpt++;
			break;
		default:
			break;		/* a later version's field */
		}
		if (str != NULL && (*str = pool_str(&pl, val, vlen)) == NULL)
			goto malformed;
	}
	if (rc < 0 || !have_now || !have_class)
		goto malformed;
	out->ctx.vouch = &out->vouch;
	out->ctx.policy = have_policy ? &out->policy : NULL;
	return 0;
malformed:
	rebound_spooled_free(out);
	return bad(why, whylen, "malformed field");
}

void rebound_spooled_free(rebound_spooled *s)
{
	free(s->mem);
	memset(s, 0, sizeof(*s));
}

/* --- the directory -------------------------------------------------------- */

int rebound_spool_dir(const char *ledger_path, char *dir, size_t size)
{
	int n = snprintf(dir, size, "%s.spool", ledger_path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Waiting notices end in .rbq; their names sort by time. */
static bool is_notice(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".rbq") == 0;
}

static bool is_bad(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".bad") == 0;
}

/* A recorded notice's file kept for a writer to fill again: ".free-"
 * and the notice's own name without ".rbq".  On ext4 without a journal (this project's
 * VM, doc/platform.md 1.5.1) every new inode skips the inodes deleted in
 * the last minutes, one by one, so a spool that creates and deletes a
 * file per notice made each create cost 0.1-1 ms; a renamed inode
 * allocates nothing.  Hidden (a dot), never replayed or counted. */
#define FREE_PREFIX ".free-"

static bool is_free(const char *name)
{
	return strncmp(name, FREE_PREFIX, sizeof(FREE_PREFIX) - 1) == 0;
}

/* What one read of the spool directory found, kept by this process for
 * SCAN_FRESH_MS: a writer needs the count (the spool's bound) and a free
 * file, the due check the oldest notice's time, and on ext4 a read of
 * this directory (hundreds of hidden free files among the notices) cost
 * ~13 % of what a notice adds to a Dovecot delivery (perf of the LMTP
 * process), twice per notice in Exim (write, then due check).  So one
 * read serves both, and a long-lived process (Dovecot's LMTP) reads it
 * a few times a second instead of once per notice.  Stale by at most
 * SCAN_FRESH_MS: the bound may be passed by what other processes wrote
 * in that time, a free file another process took is skipped (the rename
 * fails), and a batch another process just recorded may look due (the
 * replay then finds nothing).  This process's own writes and replays
 * keep it right. */
#define SCAN_FRESH_MS 100
#define SCAN_FREE_NAMES 32

static struct spool_scan {
	pid_t pid;			/* 0: nothing kept */
	char dir[1100];
	int64_t at_ms;			/* monotonic time of the read */
	unsigned long waiting;		/* notices (*.rbq) */
	unsigned long bad;		/* set aside (*.bad) */
	int64_t oldest_ms;		/* by name; INT64_MAX: none */
	unsigned nfree;
	bool more_free;			/* free files beyond those kept */
	char free_names[SCAN_FREE_NAMES][96];
} scan;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t name_time_ms(const char *name);

/* Forget what was read (after this process replayed, or a failed read). */
static void scan_forget(void)
{
	scan.pid = 0;
}

/* Read dir into scan unless a fresh read of it is kept (for a writer,
 * need_free: one that still names a free file, when there were more).
 * 0, or -1 with errno (ENOENT: no spool yet, nothing waits). */
static int scan_dir(const char *dir, bool need_free)
{
	int64_t now = now_ms();
	if (scan.pid == getpid() && strcmp(scan.dir, dir) == 0 &&
	    now - scan.at_ms >= 0 && now - scan.at_ms < SCAN_FRESH_MS &&
	    !(need_free && scan.nfree == 0 && scan.more_free))
		return 0;
	scan_forget();
	if (strlen(dir) >= sizeof(scan.dir))
		return -1;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	scan.waiting = 0;
	scan.bad = 0;
	scan.oldest_ms = INT64_MAX;
	scan.nfree = 0;
	scan.more_free = false;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (is_notice(de->d_name)) {
			scan.waiting++;
			/* (an unreadable name counts as old: -1) */
			int64_t t = name_time_ms(de->d_name);
			if (t < scan.oldest_ms)
				scan.oldest_ms = t;
		} else if (is_bad(de->d_name)) {
			scan.bad++;
		} else if (is_free(de->d_name) &&
			   strlen(de->d_name) < sizeof(scan.free_names[0])) {
			if (scan.nfree < SCAN_FREE_NAMES)
				memcpy(scan.free_names[scan.nfree++],
				       de->d_name, strlen(de->d_name) + 1);
			else
				scan.more_free = true;
		}
	}
	closedir(d);
	memcpy(scan.dir, dir, strlen(dir) + 1);
	scan.at_ms = now;
	scan.pid = getpid();
	return 0;
}

/* The notice this process just wrote, at time t (ms since the epoch). */
static void scan_add_notice(const char *dir, int64_t t)
{
	if (scan.pid != getpid() || strcmp(scan.dir, dir) != 0)
		return;
	scan.waiting++;
	if (t < scan.oldest_ms)
		scan.oldest_ms = t;
}

/* Give one kept free file's name (and forget it: taken or not, another
 * process may have it); false when none is kept. */
static bool scan_take_free(char *name, size_t size)
{
	if (scan.pid != getpid() || scan.nfree == 0)
		return false;
	const char *n = scan.free_names[--scan.nfree];
	if (strlen(n) >= size)
		return false;
	memcpy(name, n, strlen(n) + 1);
	return true;
}

/* Take the free file dir/name as tmp (a rename: another writer that
 * took it first makes this fail) and open it for writing over its old
 * content (the writer cuts it to the new length after writing: emptying
 * it first freed its block only to allocate one again, and the open
 * with O_TRUNC cost a DSN more than its rename and write together, perf
 * of Exim's local_scan).  The fd, or -1 (then a new file is made as
 * before). */
static int take_free(const char *dir, const char *name, const char *tmp)
{
	char path[1400];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || rename(path, tmp) < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		unlink(tmp);
	return fd;
}

int rebound_spool_count(const char *ledger_path, unsigned long *waiting,
			unsigned long *bad_files)
{
	char dir[1100];
	*waiting = 0;
	if (bad_files != NULL)
		*bad_files = 0;
	if (rebound_spool_dir(ledger_path, dir, sizeof(dir)) < 0)
		return -1;
	/* Asked for the count (rebound db check): read it now. */
	scan_forget();
	if (scan_dir(dir, false) < 0)
		return errno == ENOENT ? 0 : -1;
	*waiting = scan.waiting;
	if (bad_files != NULL)
		*bad_files = scan.bad;
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make a rename in dir durable. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int rebound_spool_write(const char *ledger_path, const rebound_result *res,
			const rebound_record_context *ctx, bool durable,
			char *name, size_t namelen, char *err, size_t errlen)
{
	static unsigned seq;
	char dir[1100], tmp[1200], final[1200];
	if (rebound_spool_dir(ledger_path, dir, sizeof(dir)) < 0) {
		return rebound_error(err, errlen, "spool path too long");
	}
	/* Group-writable whatever the umask (Exim 000, Dovecot 077); the
	   group comes from the ledger's setgid directory. */
	mode_t old = umask(0007);
	if (mkdir(dir, 02770) < 0 && errno != EEXIST) {
		int e = errno;
		umask(old);
		return rebound_error(err, errlen, "%s: %s", dir, strerror(e));
	}
	umask(old);
	unsigned long waiting = 0;
	char free_name[300] = "";
	if (scan_dir(dir, true) == 0) {
		waiting = scan.waiting;
		if (!scan_take_free(free_name, sizeof(free_name)))
			free_name[0] = '\0';
	}
	if (waiting >= REBOUND_SPOOL_MAX_FILES) {
		return rebound_error(err, errlen,
				     "%s: spool full (%lu notices wait)", dir,
				     waiting);
	}
	rebound_buf b = { 0 };
	rebound_spool_encode(&b, res, ctx);
	if (b.failed) {
		rebound_buf_free(&b);
		return rebound_error(err, errlen, "spool: out of memory");
	}
	/* Replay refuses a larger file: say so now rather than leave one
	   that can never be recorded. */
	if (b.len > REBOUND_SPOOL_MAX_BYTES) {
		size_t len = b.len;
		rebound_buf_free(&b);
		return rebound_error(err, errlen, "spool: notice too large "
				     "(%zu bytes, at most %u)", len,
				     REBOUND_SPOOL_MAX_BYTES);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned n = ++seq;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u", dir, (long)getpid(), n);
	snprintf(final, sizeof(final), "%s/%011lld.%06ld-%ld-%u.rbq", dir,
		 (long long)ts.tv_sec, ts.tv_nsec / 1000, (long)getpid(), n);
	int fd = free_name[0] != '\0' ? take_free(dir, free_name, tmp) : -1;
	bool reused = fd >= 0;
	if (fd < 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	int rc = -1;
	if (fd >= 0) {
		if (!reused)
			(void)fchmod(fd, 0660);
		/* A reused file loses what is left of its old notice. */
		if (write_all(fd, b.p, b.len) == 0 &&
		    (!reused || ftruncate(fd, (off_t)b.len) == 0) &&
		    (!durable || fdatasync(fd) == 0))
			rc = 0;
		int e = errno;
		close(fd);
		errno = e;
	}
	if (rc == 0 && rename(tmp, final) < 0)
		rc = -1;
	/* The name too: a state change must survive a crash (a failure
	   here leaves the file, which replay takes whenever it is seen). */
	if (rc == 0 && durable && sync_dir(dir) < 0) {
		int e = errno;
		rebound_error(err, errlen, "%s: cannot sync the spool: %s", dir,
			      strerror(e));
		rebound_buf_free(&b);
		return -1;
	}
	if (rc < 0) {
		int e = errno;
		unlink(tmp);
		rebound_error(err, errlen, "%s: cannot spool: %s", dir,
			      strerror(e));
	} else {
		scan_add_notice(dir, (int64_t)ts.tv_sec * 1000 +
					     ts.tv_nsec / 1000000);
		if (name != NULL && namelen > 0)
			snprintf(name, namelen, "%s", final);
	}
	rebound_buf_free(&b);
	return rc;
}

/* The time (ms since the epoch) a notice's name says it was written;
 * -1 when the name does not say (then it counts as old). */
static int64_t name_time_ms(const char *name)
{
	char *end;
	errno = 0;
	long long sec = strtoll(name, &end, 10);
	if (errno != 0 || end == name || *end != '.' || sec < 0)
		return -1;
	const char *us = end + 1;
	long usec = strtol(us, &end, 10);
	if (end == us || usec < 0 || usec > 999999)
		return -1;
	return (int64_t)sec * 1000 + usec / 1000;
}

int rebound_spool_due(const char *ledger_path, unsigned batch_ms,
		      unsigned *wait_ms)
{
	char dir[1100];
	*wait_ms = UINT_MAX;
	if (rebound_spool_dir(ledger_path, dir, sizeof(dir)) < 0)
		return -1;
	if (scan_dir(dir, false) < 0)
		return errno == ENOENT ? 0 : -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (scan.waiting == 0)
		return 0;
	if (scan.waiting >= REBOUND_SPOOL_BATCH_MAX ||
	    now - scan.oldest_ms >= (int64_t)batch_ms)
		return 1;
	*wait_ms = (unsigned)((int64_t)batch_ms - (now - scan.oldest_ms));
	return 0;
}

/* --- replay --------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole spool file (bounded).  1 read, 0 gone, -1 error. */
static int read_notice(const char *path, unsigned char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	int rc = -1;
	*data = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size <= REBOUND_SPOOL_MAX_BYTES) {
		size_t n = (size_t)st.st_size;
		*data = malloc(n ? n : 1);
		if (*data != NULL) {
			size_t got = 0;
			while (got < n) {
				ssize_t r = read(fd, *data + got, n - got);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				got += (size_t)r;
			}
			if (got == n) {
				*len = n;
				rc = 1;
			}
		}
	}
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	close(fd);
	return rc;
}

/* One notice of a batch, decoded, with its file. */
typedef struct batch_item {
	char path[1400];
	rebound_spooled sp;
	size_t len;			/* the file's size */
	bool refused;			/* left out: the ledger refused it */
	char why[120];			/* what the ledger answered */
	rebound_outcome *out;		/* for ops->report: its recipients' */
	size_t nout;			/* room in out */
	int nrecorded;			/* outcomes the recording filled */
} batch_item;

/* Set a file that is no notice aside, out of the way, for the operator. */
static void set_aside(const char *path, const char *name, const char *why,
		      rebound_replay_stats *st)
{
	char aside[1420];
	snprintf(aside, sizeof(aside), "%s.bad", path);
	if (rename(path, aside) == 0) {
		st->bad++;
		if (st->first_bad[0] == '\0')
			snprintf(st->first_bad, sizeof(st->first_bad),
				 "%.180s.bad: %.100s", name, why);
	}
}

/* How many times the ledger refused the notice named name ("-t<n>"
 * before ".rbq"; 0 when the name says nothing). */
static unsigned name_tries(const char *name)
{
	size_t n = strlen(name);
	if (n < 4)
		return 0;
	size_t end = n - 4, i = end;	/* before ".rbq" */
	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (i == end || i < 2 || name[i - 1] != 't' || name[i - 2] != '-' ||
	    end - i > 3)
		return 0;
	return (unsigned)strtoul(name + i, NULL, 10);
}

/* The ledger took the others of its batch but refused this notice (its
 * answer in why): try it again behind the notices that came after it,
 * or set it aside after REBOUND_SPOOL_TRIES. */
static void retry_later(const char *dir, const batch_item *it,
			rebound_replay_stats *st)
{
	const char *name = strrchr(it->path, '/');
	name = name != NULL ? name + 1 : it->path;
	unsigned tries = name_tries(name) + 1;
	if (tries >= REBOUND_SPOOL_TRIES) {
		char reason[140];
		snprintf(reason, sizeof(reason), "refused %u times: %.100s",
			 tries, it->why);
		set_aside(it->path, name, reason, st);
		return;
	}
	/* Its own part of the name (process, number), without the time,
	   ".rbq" and an earlier "-t<n>". */
	const char *own = strchr(name, '-');
	if (own == NULL || strlen(own) < 5)
		return;
	size_t len = strlen(own) - 4;
	if (tries > 1) {
		while (len > 0 && own[len - 1] >= '0' && own[len - 1] <= '9')
			len--;
		len = len >= 2 ? len - 2 : 0;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char moved[1400];
	if ((size_t)snprintf(moved, sizeof(moved), "%s/%011lld.%06ld%.*s-t%u.rbq",
			     dir, (long long)ts.tv_sec, ts.tv_nsec / 1000,
			     (int)len, own, tries) < sizeof(moved))
		(void)rename(it->path, moved);
}

/* The file of a recorded notice: kept as a free file for the next
 * writer (*nfree of them are there) when it is small and fewer than
 * SPOOL_FREE_MAX are, else removed.  Either way it is no notice now. */
#define SPOOL_FREE_MAX REBOUND_SPOOL_BATCH_MAX
#define SPOOL_FREE_BYTES 4096u

static void remove_recorded(const batch_item *it, size_t *nfree)
{
	const char *name = strrchr(it->path, '/');
	char freed[1500];
	/* Without ".rbq": a `find -name '*.rbq'` counts waiting notices. */
	if (name != NULL && strlen(name) > 5 && *nfree < SPOOL_FREE_MAX &&
	    it->len <= SPOOL_FREE_BYTES &&
	    (size_t)snprintf(freed, sizeof(freed), "%.*s/" FREE_PREFIX "%.*s",
			     (int)(name - it->path), it->path,
			     (int)(strlen(name) - 5), name + 1) <
	    sizeof(freed) && rename(it->path, freed) == 0) {
		(*nfree)++;
		return;
	}
	unlink(it->path);
}

/* Record items[0..n) but the refused ones in one transaction and remove
 * their files after the commit (remove_recorded).  Returns 0; or -1 with err set and
 * *failed_at the notice whose recording failed (n: the transaction as a
 * whole failed: begin or commit), everything left in the spool. */
static int record_batch(const rebound_spool_ops *ops, void *target,
			batch_item *items, size_t n, rebound_replay_stats *st,
			size_t *nfree, size_t *failed_at, char *err,
			size_t errlen)
{
	*failed_at = n;
	if (ops->begin(target, err, errlen) < 0)
		return -1;
	unsigned long dups = 0;
	for (size_t j = 0; j < n; j++) {
		if (items[j].refused)
			continue;
		rebound_outcome o[1];
		rebound_outcome *out = items[j].out != NULL ? items[j].out : o;
		size_t nout = items[j].out != NULL ? items[j].nout : 1;
		int r = ops->record(target, &items[j].sp.res, &items[j].sp.ctx,
				    out, nout, err, errlen);
		if (r < 0) {
			ops->cancel(target);
			*failed_at = j;
			return -1;
		}
		items[j].nrecorded = r;
		if (r > 0 && out[0].duplicate)
			dups++;
	}
	if (ops->commit(target, err, errlen) < 0)
		return -1;
	/* Recorded: a file that stays now (unlink failed, a crash before
	   this loop) is replayed again and found seen before. */
	st->commits++;
	st->duplicates += dups;
	for (size_t j = 0; j < n; j++) {
		if (items[j].refused)
			continue;
		remove_recorded(&items[j], nfree);
		st->replayed++;
		if (ops->report != NULL && items[j].out != NULL)
			ops->report(target, &items[j].sp.res, &items[j].sp.ctx,
				    items[j].out, (size_t)items[j].nrecorded);
	}
	return 0;
}

int rebound_spool_replay(const char *ledger_path,
			 const rebound_spool_ops *ops, void *target,
			 unsigned max_files, unsigned max_ms, bool nowait,
			 rebound_replay_stats *st, char *err, size_t errlen)
{
	rebound_replay_stats dummy;
	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	char dir[1100];
	if (ledger_path == NULL || ops == NULL ||
	    rebound_spool_dir(ledger_path, dir, sizeof(dir)) < 0) {
		return rebound_error(err, errlen, "replay: no ledger");
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return rebound_error(err, errlen, "%s: %s", dir,
				     strerror(errno));
	}
	/* One replayer at a time: two would only wait for each other's
	   transaction and find the other's notices seen before.  Held
	   until closedir. */
	if (flock(dirfd(d), LOCK_EX | (nowait ? LOCK_NB : 0)) < 0) {
		int e = errno;
		closedir(d);
		if (e == EWOULDBLOCK) {
			st->busy = true;
			return 0;
		}
		return rebound_error(err, errlen, "%s: lock: %s", dir,
				     strerror(e));
	}
	char **names = NULL;
	batch_item *items = NULL;
	size_t n = 0, cap = 0, gone = 0, nfree = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (is_free(de->d_name))
			nfree++;
		if (!is_notice(de->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(names, nc * sizeof(*p));
			if (p == NULL) {
				rc = -1;
				break;
			}
			names = p;
			cap = nc;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	if (rc == 0 &&
	    (items = calloc(REBOUND_SPOOL_BATCH_MAX, sizeof(*items))) == NULL)
		rc = -1;
	if (rc < 0) {
		rebound_error(err, errlen, "replay: out of memory");
		goto out;
	}
	if (n > 1)	/* (qsort of no names would be given NULL) */
		qsort(names, n, sizeof(*names), by_name);
	int64_t start = now_ms();
	size_t i = 0, taken = 0;
	while (i < n) {
		if ((max_files && taken >= max_files) ||
		    (max_ms && now_ms() - start >= (int64_t)max_ms))
			break;
		/* Gather a batch: read and decode before the transaction,
		   so that the ledger is held only for the recording. */
		size_t nb = 0, bytes = 0;
		for (; i < n && nb < REBOUND_SPOOL_BATCH_MAX &&
		       bytes < REBOUND_SPOOL_BATCH_BYTES &&
		       (!max_files || taken < max_files); i++) {
			batch_item *it = &items[nb];
			it->refused = false;
			it->why[0] = '\0';
			snprintf(it->path, sizeof(it->path), "%s/%s", dir,
				 names[i]);
			unsigned char *data = NULL;
			size_t len = 0;
			int got = read_notice(it->path, &data, &len);
			if (got == 0) {
				gone++;	/* another writer replayed it */
				continue;
			}
			char why[100] = "unreadable";
			if (got < 0 || rebound_spool_decode(&it->sp, data, len,
							    why,
							    sizeof(why)) < 0) {
				free(data);
				set_aside(it->path, names[i], why, st);
				continue;
			}
			free(data);
			it->len = len;
			it->out = NULL;
			it->nout = 0;
			it->nrecorded = 0;
			if (ops->report != NULL) {
				size_t k = it->sp.res.nrcpt;
				k = k == 0 ? 1 : k < REBOUND_SPOOL_REPORT_RCPT ?
					k : REBOUND_SPOOL_REPORT_RCPT;
				/* (none: recorded all the same, not told) */
				it->out = calloc(k, sizeof(*it->out));
				it->nout = it->out != NULL ? k : 0;
			}
			bytes += len;
			taken++;
			nb++;
		}
		if (nb == 0)
			continue;
		size_t failed_at;
		rc = record_batch(ops, target, items, nb, st, &nfree,
				  &failed_at, err, errlen);
		if (rc < 0 && failed_at < nb) {
			/* A notice could not be recorded (its error is the
			   answer): the others of the batch are recorded
			   without it, and without any other the ledger
			   refuses.  When the ledger takes them, the notices
			   are the trouble, not the ledger: each waits behind
			   the later ones, or is set aside in the end. */
			size_t at = failed_at, refused = 0;
			int others = -1;
			char e2[sizeof(items[0].why)];
			snprintf(items[at].why, sizeof(items[at].why), "%s",
				 err != NULL ? err : "");
			for (;;) {
				items[at].refused = true;
				if (++refused == nb)
					break;
				others = record_batch(ops, target, items, nb,
						      st, &nfree, &at, e2,
						      sizeof(e2));
				if (others == 0 || at >= nb)
					break;	/* or the ledger failed */
				snprintf(items[at].why, sizeof(items[at].why),
					 "%s", e2);
			}
			for (size_t j = 0; j < nb && others == 0; j++)
				if (items[j].refused)
					retry_later(dir, &items[j], st);
		}
		for (size_t j = 0; j < nb; j++) {
			rebound_spooled_free(&items[j].sp);
			free(items[j].out);
			items[j].out = NULL;
		}
		if (rc < 0)
			break;		/* locked again, or the disk: later */
	}
	st->left = n - st->replayed - st->bad - gone;
out:
	/* What this process kept of the directory is wrong now. */
	scan_forget();
	free(items);
	for (size_t j = 0; j < n; j++)
		free(names[j]);
	free(names);
	closedir(d);
	return rc;
}
