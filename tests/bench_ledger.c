/* bench_ledger.c - how fast the ledger commits, and how big it grows.
 *
 *   bench_ledger [-d DIR] [-w WRITERS] [-n NOTICES] [-k FILE] [-H CHAINS]
 *   bench_ledger -n NOTICES -m FILE
 *
 * WRITERS processes (default 1) each record NOTICES distinct bounce
 * notices (default 500), one recipient each, one transaction each, all
 * started at once into a new ledger in DIR (default /tmp).  Prints the
 * records committed per second over the wall time, and the file's size
 * per recipient and per 100,000 recipients (each recipient here has one
 * bounce: its record, the event and the seen mark of the notice; since
 * record format 2 all three are one r: record, the reply's text one t:
 * record for all).  Then, at that size, the CPU time (user and
 * system: the machine may be busy) of one lookup (rebound_ledger_may_send
 * of a recorded address, 20,000 of them) and of one more record (500 of
 * them, a commit each).  -k FILE keeps the ledger in FILE (for `stats`
 * and `list` to be measured on it); -H CHAINS creates it with that many
 * hash chains (db_hash_size).  -m FILE gives only the lookup and record
 * CPU on FILE, a ledger this bench built with -n NOTICES (use a copy: it
 * grows by 500 recipients), then where a record's cost goes in tdb itself
 * (tdb_costs).  Not a test: `make bench-ledger`
 * runs it.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger/config.h"
#include "ledger/ledger.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One bounce notice for recipient i of writer w, recorded at `when`. */
static int record_one(rebound_ledger *l, const rebound_policy *p, int w,
		      int i, int64_t when, char *err, size_t errlen)
{
	char addr[96], id[96], diag[256];
	snprintf(addr, sizeof(addr), "user%d.%d@domain%d.example", w, i,
		 i % 97);
	snprintf(id, sizeof(id), "<%d.%d.bench@mx.example>", w, i);
	snprintf(diag, sizeof(diag),
		 "550 5.1.1 <%s>: Recipient address rejected: "
		 "User unknown in virtual mailbox table", addr);
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = addr;
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	snprintf(r.status, sizeof(r.status), "5.1.1");
	snprintf(r.reply_code, sizeof(r.reply_code), "550");
	r.diagnostic = diag;
	r.remote_mta = "mx.domain.example";
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = &r;
	res.nrcpt = 1;
	res.message_id = id;
	res.sender_domain = "sender.example";
	res.reporting_mta = "mx.domain.example";
	rebound_record_context ctx = { .now = when, .source = "bench" };
	rebound_outcome o;
	return rebound_ledger_record(l, p, &res, &ctx, &o, 1, err, errlen) == 1 ?
		0 : -1;
}

/* CPU time per lookup and per record once the ledger holds `total`
 * recipients (writer 0's user0.I addresses among them). */
static int cost_at_size(const char *path, int notices, int rw)
{
	char err[512];
	rebound_ledger *l = rebound_ledger_open(path, 0, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "bench_ledger: %s\n", err);
		return 1;
	}
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	int lookups = 20000, records = 500;
	unsigned seed = 1;
	double t0 = cpu_s();
	for (int i = 0; i < lookups; i++) {
		char addr[96];
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 8) % (unsigned)notices);
		snprintf(addr, sizeof(addr), "user0.%d@domain%d.example", k,
			 k % 97);
		if (rebound_ledger_may_send(l, addr, 1767225600 + notices, err,
					    sizeof(err)) < 0) {
			fprintf(stderr, "bench_ledger: %s\n", err);
			return 1;
		}
	}
	double t1 = cpu_s();
	for (int i = 0; i < records; i++)
		if (record_one(l, &p, rw, i, 1767225600 + notices + i, err,
			       sizeof(err)) < 0) {
			fprintf(stderr, "bench_ledger: %s\n", err);
			return 1;
		}
	double t2 = cpu_s();
	rebound_ledger_close(l);
	printf("recipients=%d lookup-cpu=%.1f us record-cpu=%.1f us\n",
	       notices, (t1 - t0) / lookups * 1e6, (t2 - t1) / records * 1e6);
	return 0;
}

/* The key of the first or the last record in use in the file's order
 * (doc/platform.md §3.5 has the layout), and its offset: a rewrite of it
 * shows what a transaction costs by where it writes.  Counts the records
 * in use into *in_use.  The key's length, or -1. */
static int record_at_end(const char *path, bool last, char *key,
			 size_t size, long long *at, long *in_use)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size < 172) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	unsigned char *m = mmap(NULL, (size_t)sb.st_size, PROT_READ,
				MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	uint32_t chains, h[6];
	memcpy(&chains, m + 36, 4);
	unsigned long long off = 168 + 4 + 4ULL * chains, found = 0;
	while (off + 24 <= (unsigned long long)sb.st_size) {
		memcpy(h, m + off, sizeof(h));
		if (h[5] == 0x26011999u)
			(*in_use)++;
		if (h[5] == 0x26011999u && h[2] < size &&
		    off + 24 + h[2] <= (unsigned long long)sb.st_size &&
		    (last || found == 0))
			found = off;
		off += 24 + (unsigned long long)h[1];
	}
	int rc = -1;
	if (found != 0) {
		memcpy(h, m + found, sizeof(h));
		memcpy(key, m + found + 24, h[2]);
		key[h[2]] = '\0';
		*at = (long long)found;
		rc = (int)h[2];
	}
	munmap(m, (size_t)sb.st_size);
	return rc;
}

/* CPU time of n transactions that each change one bit of the record
 * `k` (tdb skips a store of the same bytes; n even: it ends as it was). */
static double rewrite_cost(struct tdb_context *t, const char *k, int klen,
			   int n)
{
	TDB_DATA key = { (unsigned char *)k, (size_t)klen };
	TDB_DATA v = tdb_fetch(t, key);
	if (v.dptr == NULL || v.dsize == 0)
		return -1;
	double t0 = cpu_s();
	for (int i = 0; i < n; i++) {
		v.dptr[v.dsize - 1] ^= 1;
		tdb_transaction_start(t);
		tdb_store(t, key, v, TDB_REPLACE);
		tdb_transaction_commit(t);
	}
	double t1 = cpu_s();
	free(v.dptr);
	return (t1 - t0) / n * 1e6;
}

/* Where the cost of a record goes, in tdb alone (no rebound code): the
 * CPU time of an empty transaction (start, cancel: tdb re-maps the whole
 * file and copies the hash table), of one in place rewrite (one bit) of
 * the first and of the last record in the file, of one insert of a new small key
 * (a free-list walk, a record at the best-fitting free space), each in
 * its own committed transaction, and of one fetch of a recorded
 * recipient outside a transaction; with tdb's map and without
 * (TDB_NOMMAP).  Also the free list's length, the records per hash chain
 * and the slots of tdb's per-transaction block table (one per 4 KB page
 * of the file, allocated and scanned by every transaction that writes
 * near the end).  Grows the file by a few hundred small keys. */
static int tdb_costs(const char *path, int notices)
{
	char ends[2][256];
	long long at[2] = { 0, 0 };
	int klen[2];
	long in_use = 0, ignored = 0;
	for (int i = 0; i < 2; i++)
		klen[i] = record_at_end(path, i == 1, ends[i],
					sizeof(ends[i]), &at[i],
					i == 0 ? &in_use : &ignored);
	for (int nommap = 0; nommap <= 1; nommap++) {
		struct tdb_context *t = tdb_open(path, 0,
						 nommap ? TDB_NOMMAP : 0,
						 O_RDWR, 0);
		if (t == NULL) {
			fprintf(stderr, "bench_ledger: tdb_open %s failed\n",
				path);
			return 1;
		}
		int n = 200;	/* even */
		char k[64];
		double t0 = cpu_s();
		for (int i = 0; i < n; i++) {
			tdb_transaction_start(t);
			tdb_transaction_cancel(t);
		}
		double t1 = cpu_s();
		double first = klen[0] > 0 ?
				       rewrite_cost(t, ends[0], klen[0], n) : -1;
		double last = klen[1] > 0 ?
				      rewrite_cost(t, ends[1], klen[1], n) : -1;
		double t2 = cpu_s();
		int failed = 0;
		for (int i = 0; i < n; i++) {
			snprintf(k, sizeof(k), "x:%ld:%d:%d", (long)getpid(),
				 nommap, i);
			TDB_DATA key = { (unsigned char *)k, strlen(k) };
			TDB_DATA v = { (unsigned char *)"bench value of "
				       "about sixty bytes, like a seen marker",
				       52 };
			tdb_transaction_start(t);
			if (tdb_store(t, key, v, TDB_INSERT) != 0)
				failed++;
			if (tdb_transaction_commit(t) != 0)
				failed++;
		}
		double t3 = cpu_s();
		unsigned seed = 7;
		int fetches = 20000;
		for (int i = 0; i < fetches; i++) {
			seed = seed * 1103515245u + 12345u;
			int r = (int)((seed >> 8) % (unsigned)notices);
			snprintf(k, sizeof(k), "r:user0.%d@domain%d.example", r,
				 r % 97);
			TDB_DATA key = { (unsigned char *)k, strlen(k) };
			TDB_DATA v = tdb_fetch(t, key);
			if (v.dptr == NULL)
				failed++;
			free(v.dptr);
		}
		double t4 = cpu_s();
		struct stat sb;
		long long size = fstat(tdb_fd(t), &sb) == 0 ?
					 (long long)sb.st_size : 0;
		printf("recipients=%d tdb %s: txn-empty=%.1f us "
		       "txn-rewrite-first=%.1f us (at %lld) "
		       "txn-rewrite-last=%.1f us (at %lld) txn-insert=%.1f us "
		       "fetch=%.2f us free-list=%d records-per-chain=%.1f "
		       "block-slots=%lld%s\n",
		       notices, nommap ? "nommap" : "mmap",
		       (t1 - t0) / n * 1e6, first, at[0], last, at[1],
		       (t3 - t2) / n * 1e6, (t4 - t3) / fetches * 1e6,
		       tdb_freelist_size(t),
		       (double)in_use / (double)tdb_hash_size(t), size / 4096,
		       failed ? " (SOME FAILED)" : "");
		tdb_close(t);
		if (failed)
			return 1;
	}
	return 0;
}

static int writer(const char *path, int w, int n, int start_fd)
{
	char err[512];
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "writer %d: %s\n", w, err);
		return 1;
	}
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	char c;
	if (read(start_fd, &c, 1) < 0)	/* wait for the start (EOF) */
		return 1;
	for (int i = 0; i < n; i++) {
		if (record_one(l, &p, w, i, 1767225600 + i, err,
			       sizeof(err)) < 0) {
			fprintf(stderr, "writer %d: %s\n", w, err);
			return 1;
		}
	}
	rebound_ledger_close(l);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp", *keep = NULL, *measure = NULL;
	int writers = 1, notices = 500, opt;
	while ((opt = getopt(argc, argv, "d:w:n:k:H:m:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'w': writers = atoi(optarg); break;
		case 'n': notices = atoi(optarg); break;
		case 'k': keep = optarg; break;
		case 'm': measure = optarg; break;
		case 'H':
			rebound_ledger_set_hash_size((unsigned)atoi(optarg));
			break;
		default:
			fprintf(stderr, "usage: bench_ledger [-d DIR] [-w WRITERS] "
					"[-n NOTICES] [-k FILE] [-H CHAINS] [-m FILE]\n");
			return 2;
		}
	}
	if (writers < 1 || writers > 256 || notices < 1) {
		fprintf(stderr, "bench_ledger: bad -w or -n\n");
		return 2;
	}
	/* An existing ledger of NOTICES recipients (a copy: it grows by
	   500 recipients of a writer number no build uses). */
	if (measure != NULL)
		return cost_at_size(measure, notices,
				    1000 + (int)(getpid() % 100000)) != 0 ||
		       tdb_costs(measure, notices) != 0;
	char path[1024];
	if (keep != NULL)
		snprintf(path, sizeof(path), "%s", keep);
	else
		snprintf(path, sizeof(path), "%s/bench-ledger.%ld.tdb", dir,
			 (long)getpid());
	unlink(path);
	/* Create the file first, so that creation is not timed. */
	char err[512];
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "bench_ledger: %s\n", err);
		return 1;
	}
	rebound_ledger_close(l);
	int start[2];
	if (pipe(start) != 0)
		return 1;
	pid_t *pids = calloc((size_t)writers, sizeof(*pids));
	for (int w = 0; w < writers; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			return 1;
		if (pids[w] == 0) {
			close(start[1]);
			_exit(writer(path, w, notices, start[0]));
		}
	}
	close(start[0]);
	usleep(200000);			/* let every writer open the file */
	double t0 = now_s();
	close(start[1]);		/* go */
	int failed = 0;
	for (int w = 0; w < writers; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failed++;
	}
	double secs = now_s() - t0;
	struct stat sb;
	long long size = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
	long total = (long)writers * notices;
	printf("writers=%d records=%ld seconds=%.2f records/s=%.0f "
	       "size=%lld bytes per-recipient=%.0f bytes "
	       "per-100k-recipients=%.1f MiB%s\n",
	       writers, total, secs, (double)total / secs, size,
	       (double)size / (double)total,
	       (double)size / (double)total * 100000.0 / 1048576.0,
	       failed ? " (WRITERS FAILED)" : "");
	if (!failed && writers == 1 && cost_at_size(path, notices, 999) != 0)
		failed = 1;
	if (keep == NULL)
		unlink(path);
	free(pids);
	return failed ? 1 : 0;
}
