/* cluster.c - a fleet's transport through CTDB (cluster.h): the ctdb tool
 * for writes and for the node's health, this node's replica (a tdb file)
 * for reads, the journal and fold of ledger/journal.h for the ledger.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "cluster.h"
#include "ledger/ledger-record.h"
#include "mail/error.h"

/* Every value in the replica starts with CTDB's own header (rsn,
 * dmaster, flags). */
#define CTDB_HEADER 24
/* Events folded in one transaction. */
#define FOLD_BATCH 500
/* Keys written by one `ctdb ptrans`: its time grows with the square of
 * the keys (4.17, 2 CPUs: 1,000 in about 0.05-0.17 s, 5,000 in 0.7 s,
 * 20,000 in 10 s), so a backlog goes in transactions of this many. */
#define SHIP_BATCH 1000
/* The longest wait for one ctdb command, in seconds: a write waits about
 * 28 s for a hung peer's keepalives, but the tool waits for ever on a
 * hung local ctdbd.  REBOUND_CTDB_TIMEOUT (1-3600) changes it. */
#define CTDB_WAIT_DEFAULT 60

/* --- the ctdb tool ------------------------------------------------------- */

/* The whole of an unlinked temporary file, NUL-terminated (cut). */
static void read_back(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return;
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static unsigned ctdb_wait_seconds(void)
{
	const char *v = getenv("REBOUND_CTDB_TIMEOUT");
	if (v == NULL || *v == '\0')
		return CTDB_WAIT_DEFAULT;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	return *end == '\0' && n >= 1 && n <= 3600 ? (unsigned)n :
						      CTDB_WAIT_DEFAULT;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the child until it ends or `limit` seconds have passed.  It
 * holds the write end of a pipe (`gone`, its read end here): end of file
 * there means it has exited, no polling.  Then kill and reap it.  1 ended
 * (*ws set), 0 killed after the limit, -1 on an error (errno). */
static int wait_bounded(pid_t pid, int gone, unsigned limit, int *ws)
{
	int64_t deadline = monotonic_ms() + (int64_t)limit * 1000;
	for (;;) {
		int64_t left = deadline - monotonic_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = { gone, POLLIN, 0 };
		int rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc > 0) {	/* end of file: the child is gone */
			while (waitpid(pid, ws, 0) < 0)
				if (errno != EINTR)
					return -1;
			return 1;
		}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Run `ctdb ARGS` against cfg's socket with `input` on its standard
 * input; its output and complaints land in out and complaint.  Returns
 * its exit status, or -1 with err set when it could not run or did not
 * end in time (a hung ctdbd). */
static int run_ctdb(const rebound_config *cfg, const char *const *args,
		    const char *input, size_t inlen, char *out, size_t outsize,
		    char *complaint, size_t csize, char *err, size_t errlen)
{
	FILE *in = tmpfile(), *o = tmpfile(), *e = tmpfile();
	int gone[2] = { -1, -1 };
	int status = -1;
	if (in == NULL || o == NULL || e == NULL) {
		rebound_error(err, errlen, "ctdb: temporary file: %s",
			      strerror(errno));
		goto done;
	}
	if (inlen > 0 && (fwrite(input, 1, inlen, in) != inlen ||
			  fflush(in) != 0)) {
		rebound_error(err, errlen, "ctdb: temporary file: %s",
			      strerror(errno));
		goto done;
	}
	rewind(in);
	if (pipe(gone) != 0 || fcntl(gone[0], F_SETFD, FD_CLOEXEC) != 0) {
		rebound_error(err, errlen, "ctdb: pipe: %s", strerror(errno));
		goto done;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		rebound_error(err, errlen, "ctdb: fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		/* gone[1] stays open through exec, until ctdb exits */
		dup2(fileno(in), 0);
		dup2(fileno(o), 1);
		dup2(fileno(e), 2);
		if (cfg->cluster_socket[0] != '\0')
			setenv("CTDB_SOCKET", cfg->cluster_socket, 1);
		char *argv[12];
		size_t n = 0;
		argv[n++] = (char *)"ctdb";
		for (size_t i = 0; args[i] != NULL && n < 11; i++)
			argv[n++] = (char *)(uintptr_t)args[i];
		argv[n] = NULL;
		execvp("ctdb", argv);
		fprintf(stderr, "cannot run ctdb: %s\n", strerror(errno));
		_exit(127);
	}
	close(gone[1]);
	gone[1] = -1;
	int ws = 0;
	unsigned limit = ctdb_wait_seconds();
	int ended = wait_bounded(pid, gone[0], limit, &ws);
	if (ended < 0) {
		rebound_error(err, errlen, "ctdb: wait: %s", strerror(errno));
		goto done;
	}
	if (ended == 0) {
		rebound_error(err, errlen,
			      "ctdb %s: no answer in %u s, stopped (is ctdbd "
			      "hung?)",
			      args[0], limit);
		goto done;
	}
	status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
	read_back(o, out, outsize);
	read_back(e, complaint, csize);
	if (status == 127 && strstr(complaint, "cannot run ctdb") != NULL) {
		rebound_error(err, errlen, "%s (is CTDB installed?)",
			      complaint);
		status = -1;
	}
done:
	if (gone[0] >= 0)
		close(gone[0]);
	if (gone[1] >= 0)
		close(gone[1]);
	if (in != NULL)
		fclose(in);
	if (o != NULL)
		fclose(o);
	if (e != NULL)
		fclose(e);
	return status;
}

/* Run ctdb and call any exit status but 0, or any complaint, a failure
 * (ptrans skips a line it cannot parse and still exits 0). */
static int ctdb_ok(const rebound_config *cfg, const char *const *args,
		   const char *input, size_t inlen, char *out, size_t outsize,
		   char *err, size_t errlen)
{
	char complaint[400];
	int rc = run_ctdb(cfg, args, input, inlen, out, outsize, complaint,
			  sizeof(complaint), err, errlen);
	if (rc < 0)
		return -1;
	if (rc != 0 || complaint[0] != '\0')
		return rebound_error(err, errlen, "ctdb %s %s: %s", args[0],
				     args[1] != NULL ? args[1] : "",
				     complaint[0] ? complaint :
						    "failed without a word");
	return 0;
}

/* A line of `ctdb nodestatus` about a node that is OK ("... OK" at its
 * end, perhaps "(THIS NODE)" after it). */
static bool line_says_ok(const char *line, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(line + i, " OK", 3) == 0 &&
		    (i + 3 == len || line[i + 3] == ' '))
			return true;
	return false;
}

/* Every node of the cluster OK?  why says what ctdb said otherwise. */
static bool cluster_healthy(const rebound_config *cfg, char *why,
			    size_t size)
{
	const char *args[] = { "nodestatus", "all", NULL };
	char out[2000], complaint[400], err[400];
	int rc = run_ctdb(cfg, args, NULL, 0, out, sizeof(out), complaint,
			  sizeof(complaint), err, sizeof(err));
	if (rc == 0) {
		snprintf(why, size, "every node OK");
		return true;
	}
	const char *say = rc < 0 ? err : complaint[0] ? complaint : out;
	/* The lines that are not OK say which node and why. */
	why[0] = '\0';
	for (const char *line = say; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && !line_says_ok(line, len)) {
			size_t used = strlen(why);
			snprintf(why + used, size - used, "%s%.*s",
				 used ? "; " : "", (int)len, line);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	if (why[0] == '\0')
		snprintf(why, size, "ctdb nodestatus failed (exit %d)", rc);
	return false;
}

/* Attach the database (every node creates its replica) and find this
 * node's replica file. */
static int replica_path(const rebound_config *cfg, char *path, size_t size,
			char *err, size_t errlen)
{
	char out[2000];
	const char *attach[] = { "attach", cfg->cluster_db, "persistent",
				 NULL };
	if (ctdb_ok(cfg, attach, NULL, 0, out, sizeof(out), err, errlen) < 0)
		return -1;
	const char *status[] = { "getdbstatus", cfg->cluster_db, NULL };
	if (ctdb_ok(cfg, status, NULL, 0, out, sizeof(out), err, errlen) < 0)
		return -1;
	const char *p = strstr(out, "path: ");
	if (p == NULL)
		return rebound_error(err, errlen,
				     "ctdb getdbstatus %s: no path in '%s'",
				     cfg->cluster_db, out);
	p += 6;
	size_t n = strcspn(p, "\n");
	if (n == 0 || n >= size)
		return rebound_error(err, errlen, "ctdb: replica path too long");
	memcpy(path, p, n);
	path[n] = '\0';
	return 0;
}

static struct tdb_context *open_replica(const char *path, char *err,
					size_t errlen)
{
	/* O_RDWR although only read: with O_RDONLY libtdb reads without
	   locks and sees ctdbd's writes half done. */
	struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
	if (t == NULL)
		rebound_error(err, errlen, "%s: cannot open the replica: %s",
			      path, strerror(errno));
	return t;
}

/* A value of the replica without CTDB's header: 1 found, 0 not. */
static int replica_get(struct tdb_context *t, const char *k, TDB_DATA *v)
{
	TDB_DATA key = { (unsigned char *)(uintptr_t)k, strlen(k) };
	*v = tdb_fetch(t, key);
	if (v->dptr == NULL)
		return 0;
	if (v->dsize <= CTDB_HEADER) {	/* deleted: the header only */
		free(v->dptr);
		v->dptr = NULL;
		return 0;
	}
	return 1;
}

static bool value_is(const TDB_DATA *v, const char *text)
{
	size_t n = strlen(text);
	return v->dsize - CTDB_HEADER == n &&
	       memcmp(v->dptr + CTDB_HEADER, text, n) == 0;
}

/* --- hex ---------------------------------------------------------------------- */

static char *to_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode an event stored as hex: 0, or -1 when it is not one. */
static int event_from_hex(const unsigned char *p, size_t n, rebound_event *ev)
{
	if (n % 2 != 0 || n == 0)
		return -1;
	unsigned char *bytes = malloc(n / 2);
	if (bytes == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(p[2 * i]), lo = hex_digit(p[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(bytes);
			return -1;
		}
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	int rc = rebound_event_decode(ev, bytes, n / 2, NULL, 0);
	free(bytes);
	return rc;
}

/* --- a growing text --------------------------------------------------------- */

typedef struct text {
	char *p;
	size_t len, cap;
	bool oom;
} text;

static void text_add(text *t, const char *a, const char *b)
{
	size_t need = strlen(a) + strlen(b) + 8;
	if (t->len + need > t->cap) {
		size_t cap = (t->cap + need) * 2;
		char *p = realloc(t->p, cap);
		if (p == NULL) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	t->len += (size_t)sprintf(t->p + t->len, "\"%s\" \"%s\"\n", a, b);
}

/* --- shipping ------------------------------------------------------------------ */

typedef struct ship_walk {
	struct tdb_context *replica;
	text out;			/* ptrans input */
	uint64_t *seen;			/* already in the database */
	size_t nseen, cap;
	char **refold;			/* addresses applied out of order */
	size_t nrefold, rcap;
	unsigned long shipped, waiting;
	bool oom;
} ship_walk;

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(p, c * size);
	if (q != NULL)
		*cap = c;
	return q;
}

static int ship_one(const rebound_journal_item *it, void *p)
{
	ship_walk *w = p;
	w->waiting++;
	if (it->refold && it->ev.address[0] != '\0') {
		char **r = grow(w->refold, &w->rcap, w->nrefold, sizeof(*r));
		char *copy = strdup(it->ev.address);
		if (r == NULL || copy == NULL) {
			free(copy);
			w->oom = true;
			return 1;
		}
		w->refold = r;
		w->refold[w->nrefold++] = copy;
	}
	char *hex = to_hex(it->data, it->len);
	if (hex == NULL) {
		w->oom = true;
		return 1;
	}
	TDB_DATA v;
	if (replica_get(w->replica, it->ev.origin, &v) == 1) {
		bool same = value_is(&v, hex);
		free(v.dptr);
		if (same) {
			free(hex);
			uint64_t *s = grow(w->seen, &w->cap, w->nseen,
					   sizeof(*s));
			if (s == NULL) {
				w->oom = true;
				return 1;
			}
			w->seen = s;
			w->seen[w->nseen++] = it->seq;
			return 0;
		}
	}
	text_add(&w->out, it->ev.origin, hex);
	free(hex);
	w->shipped++;
	return 0;
}

/* Write the ptrans lines in transactions of SHIP_BATCH lines, in order:
 * the last one holds head: and sync:, so a host's head moves only when
 * its events below it are in the database.  A batch that fails leaves
 * the earlier ones written; the next sync finds those there (confirms
 * them) and sends the rest. */
static int ship_batches(const rebound_config *cfg, const text *t, char *err,
			size_t errlen)
{
	const char *ptrans[] = { "ptrans", cfg->cluster_db, NULL };
	char out[400];
	size_t at = 0;
	while (at < t->len) {
		size_t end = at;
		for (unsigned lines = 0; end < t->len && lines < SHIP_BATCH;
		     lines++) {
			const char *nl = memchr(t->p + end, '\n', t->len - end);
			end = nl != NULL ? (size_t)(nl - t->p) + 1 : t->len;
		}
		if (ctdb_ok(cfg, ptrans, t->p + at, end - at, out, sizeof(out),
			    err, errlen) < 0)
			return -1;
		at = end;
	}
	return 0;
}

/* --- folding ------------------------------------------------------------------- */

typedef struct host_walk {
	rebound_cluster_host *hosts;
	size_t n, max;
} host_walk;

static rebound_cluster_host *host_named(host_walk *w, const char *node,
					size_t len)
{
	if (len == 0 || len >= REBOUND_NODE_MAX)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->hosts[i].node) == len &&
		    memcmp(w->hosts[i].node, node, len) == 0)
			return &w->hosts[i];
	if (w->n == w->max)
		return NULL;
	rebound_cluster_host *h = &w->hosts[w->n++];
	memset(h, 0, sizeof(*h));
	memcpy(h->node, node, len);
	h->node[len] = '\0';
	return h;
}

static uint64_t value_number(TDB_DATA val)
{
	char buf[32];
	size_t n = val.dsize - CTDB_HEADER;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, val.dptr + CTDB_HEADER, n);
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

static int find_host(struct tdb_context *t, TDB_DATA key, TDB_DATA val,
		     void *p)
{
	(void)t;
	host_walk *w = p;
	if (val.dsize <= CTDB_HEADER)
		return 0;
	const char *k = (const char *)key.dptr;
	bool head = key.dsize > 5 && memcmp(k, "head:", 5) == 0;
	bool sync = key.dsize > 5 && memcmp(k, "sync:", 5) == 0;
	if (!head && !sync)
		return 0;
	rebound_cluster_host *h = host_named(w, k + 5, key.dsize - 5);
	if (h == NULL)
		return 0;
	if (head)
		h->head = value_number(val);
	else
		h->last_sync = (int64_t)value_number(val);
	return 0;
}

static int hosts_of(struct tdb_context *t, rebound_cluster_host *hosts,
		    size_t max, size_t *n)
{
	host_walk w = { hosts, 0, max };
	int rc = tdb_traverse_read(t, find_host, &w);
	*n = w.n;
	return rc < 0 ? -1 : 0;
}

/* Fold one host's events from its cursor to its head; the cursor then
 * stops at the first event still missing (lost in a recovery: its host
 * sends it again). */
static int fold_host(rebound_ledger *l, const rebound_policy *policy,
		     struct tdb_context *t, const rebound_cluster_host *h,
		     rebound_sync_stats *st, char *err, size_t errlen)
{
	uint64_t cursor;
	if (rebound_journal_cursor(l, h->node, &cursor, err, errlen) < 0)
		return -1;
	if (cursor == 0)
		cursor = 1;
	rebound_event *batch = malloc(FOLD_BATCH * sizeof(*batch));
	if (batch == NULL)
		return rebound_error(err, errlen, "fold: out of memory");
	uint64_t first_missing = 0;
	uint64_t seq = cursor;
	int rc = 0;
	while (seq < h->head && rc == 0) {
		size_t n = 0;
		for (; seq < h->head && n < FOLD_BATCH; seq++) {
			char k[REBOUND_ORIGIN_MAX + 32];
			snprintf(k, sizeof(k), "%.63s:%012" PRIu64, h->node,
				 seq);
			TDB_DATA v;
			if (replica_get(t, k, &v) == 0) {
				if (first_missing == 0)
					first_missing = seq;
				continue;
			}
			rebound_event *ev = &batch[n];
			if (event_from_hex(v.dptr + CTDB_HEADER,
					   v.dsize - CTDB_HEADER, ev) == 0) {
				snprintf(ev->origin, sizeof(ev->origin), "%s", k);
				n++;
			}
			free(v.dptr);
		}
		rebound_fold_stats fs = { 0 };
		rc = rebound_journal_fold(l, policy, batch, n, NULL, 0, &fs, err,
					  errlen);
		st->folded += fs.folded;
		st->duplicates += fs.duplicates;
		st->refolded += fs.refolded;
	}
	free(batch);
	if (rc < 0)
		return -1;
	uint64_t next = first_missing != 0 ? first_missing : h->head;
	if (next != cursor)
		return rebound_journal_set_cursor(l, h->node, next, err, errlen);
	return 0;
}

/* --- sync and status ------------------------------------------------------ */

static int check_config(const rebound_config *cfg, char *err, size_t errlen)
{
	if (cfg->cluster_db[0] == '\0' || cfg->cluster_node[0] == '\0')
		return rebound_error(err, errlen,
				     "not in a fleet: rebound.conf sets no "
				     "cluster_db and cluster_node");
	return 0;
}

int rebound_cluster_sync(rebound_ledger *l, const rebound_config *cfg,
			 int64_t now, rebound_sync_stats *st, char *err,
			 size_t errlen)
{
	rebound_sync_stats local;
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (check_config(cfg, err, errlen) < 0 ||
	    rebound_journal_join(l, cfg->cluster_node, 0, err, errlen) < 0)
		return -1;
	char path[1024];
	if (replica_path(cfg, path, sizeof(path), err, errlen) < 0)
		return -1;
	struct tdb_context *t = open_replica(path, err, errlen);
	if (t == NULL)
		return -1;
	/* Health first: an event is dropped from the journal only when it
	   was in the database before this sync while every node was OK
	   (an isolated node's writes can be lost when it rejoins). */
	char why[200];
	st->healthy = cluster_healthy(cfg, why, sizeof(why));
	ship_walk w = { .replica = t };
	int rc = -1;
	if (rebound_journal_each(l, ship_one, &w, err, errlen) < 0)
		goto done;
	if (w.oom || w.out.oom) {
		rebound_error(err, errlen, "sync: out of memory");
		goto done;
	}
	rebound_cluster_state cs;
	if (rebound_journal_state(l, &cs, err, errlen) <= 0)
		goto done;
	char hk[REBOUND_NODE_MAX + 8], num[32];
	snprintf(hk, sizeof(hk), "head:%s", cs.node);
	snprintf(num, sizeof(num), "%" PRIu64, cs.next_seq);
	text_add(&w.out, hk, num);
	snprintf(hk, sizeof(hk), "sync:%s", cs.node);
	snprintf(num, sizeof(num), "%" PRId64, now);
	text_add(&w.out, hk, num);
	if (w.out.oom) {
		rebound_error(err, errlen, "sync: out of memory");
		goto done;
	}
	if (ship_batches(cfg, &w.out, err, errlen) < 0)
		goto done;
	st->shipped = w.shipped;
	if (st->healthy && w.nseen > 0) {
		if (rebound_journal_confirm(l, w.seen, w.nseen, err, errlen) < 0)
			goto done;
		st->confirmed = w.nseen;
	}
	st->waiting = w.waiting - st->confirmed;
	rebound_cluster_host hosts[REBOUND_CLUSTER_HOSTS_MAX];
	size_t nhosts;
	if (hosts_of(t, hosts, REBOUND_CLUSTER_HOSTS_MAX, &nhosts) < 0) {
		rebound_error(err, errlen, "%s: cannot read: %s", path,
			      tdb_errorstr(t));
		goto done;
	}
	for (size_t i = 0; i < nhosts; i++) {
		if (strcmp(hosts[i].node, cs.node) == 0)
			continue;
		st->hosts++;
		if (fold_host(l, &cfg->policy, t, &hosts[i], st, err,
			      errlen) < 0)
			goto done;
	}
	if (w.nrefold > 0) {
		rebound_fold_stats fs = { 0 };
		if (rebound_journal_fold(l, &cfg->policy, NULL, 0,
					 (const char *const *)w.refold,
					 w.nrefold, &fs, err, errlen) < 0)
			goto done;
		st->refolded += fs.refolded;
	}
	rc = rebound_journal_join(l, cs.node, now, err, errlen);
done:
	for (size_t i = 0; i < w.nrefold; i++)
		free(w.refold[i]);
	free(w.refold);
	free(w.seen);
	free(w.out.p);
	tdb_close(t);
	return rc;
}

static int count_one(const rebound_journal_item *it, void *p)
{
	(void)it;
	++*(unsigned long *)p;
	return 0;
}

int rebound_cluster_status(rebound_ledger *l, const rebound_config *cfg,
			   rebound_cluster_view *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	if (check_config(cfg, err, errlen) < 0)
		return -1;
	int rc = rebound_journal_state(l, &v->self, err, errlen);
	if (rc < 0)
		return -1;
	v->joined = rc == 1;
	if (v->joined && rebound_journal_each(l, count_one, &v->waiting, err,
					      errlen) < 0)
		return -1;
	v->healthy = cluster_healthy(cfg, v->health, sizeof(v->health));
	char path[1024];
	if (replica_path(cfg, path, sizeof(path), err, errlen) < 0)
		return -1;
	struct tdb_context *t = open_replica(path, err, errlen);
	if (t == NULL)
		return -1;
	rc = hosts_of(t, v->hosts, REBOUND_CLUSTER_HOSTS_MAX, &v->nhosts);
	tdb_close(t);
	if (rc < 0)
		return rebound_error(err, errlen, "%s: cannot read", path);
	for (size_t i = 0; i < v->nhosts; i++)
		if (rebound_journal_cursor(l, v->hosts[i].node,
					   &v->hosts[i].folded, err,
					   errlen) < 0)
			return -1;
	return 0;
}
