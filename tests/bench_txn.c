/* bench_txn.c - what one recorded notice costs a process that starts
 * cold, as every Exim SMTP connection does (doc/exim.md, doc/platform.md).
 *
 *   bench_txn [-d DIR] [-n PROCESSES] [-H CHAINS ...]
 *
 * For each CHAINS (db_hash_size; default 131071 and 32749) a new ledger
 * in DIR (default /tmp) gets 200 recipients, then PROCESSES child
 * processes (default 200), one after another, each open it as a module
 * does (a lock wait set), record K notices of 3 recipients (a DSN's
 * size) in K transactions, close it and exit; K is 0, 1 and 5.  The
 * CPU time (user, system) and minor page faults of the children are
 * measured (getrusage), so other load on the machine distorts them
 * little.  Printed per process: the open alone (K=0), the first notice
 * of a process (K=1 minus K=0) and each further one ((K=5 - K=1) / 4),
 * and the wall time per notice (fsync latency: the machine's load shows
 * there).  Then batches (rebound.conf batch_ms): B notices of the same
 * size written to the spool as Exim's local_scan does (synced), in one
 * process, and recorded by one replay in another, for B = 1, 20 and
 * 200 (a full batch): the CPU and wall time per spooled notice, and the
 * replay's wall time, which bounds how long its one transaction holds
 * the ledger's lock.  Not a test: `make bench-txn` runs it.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger/config.h"
#include "ledger/ledger.h"

#define MS(tv) ((double)(tv).tv_sec * 1e3 + (double)(tv).tv_usec / 1e3)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One DSN naming 3 recipients, distinct per (process, n): recorded, or
 * spooled for its batch (l NULL, path set). */
static int record_dsn_to(rebound_ledger *l, const char *path,
			 const rebound_policy *p, int proc, int n, char *err,
			 size_t errlen)
{
	char addr[3][96], id[96], diag[3][400];
	rebound_recipient r[3];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++) {
		snprintf(addr[i], sizeof(addr[i]), "u%d.%d.%d@d%d.example",
			 proc, n, i, (proc + i) % 97);
		snprintf(diag[i], sizeof(diag[i]),
			 "550 5.1.1 <%s>: Recipient address rejected: "
			 "User unknown", addr[i]);
		r[i].address = addr[i];
		r[i].action = REBOUND_ACTION_FAILED;
		r[i].reason = REBOUND_REASON_USERUNKNOWN;
		r[i].hard = true;
		snprintf(r[i].status, sizeof(r[i].status), "5.1.1");
		snprintf(r[i].reply_code, sizeof(r[i].reply_code), "550");
		r[i].diagnostic = diag[i];
		r[i].remote_mta = "mx.example";
	}
	snprintf(id, sizeof(id), "<%d.%d.%ld.txn@mx.example>", proc, n,
		 (long)getpid());
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = r;
	res.nrcpt = 3;
	res.message_id = id;
	res.sender_domain = "sender.example";
	res.reporting_mta = "mx.example";
	rebound_record_context ctx = { .now = 1767225600 + n,
				       .source = "bench" };
	rebound_outcome o[3];
	if (l == NULL)
		return rebound_ledger_queue(path, &res, &ctx, true, err,
					    errlen);
	return rebound_ledger_record(l, p, &res, &ctx, o, 3, err, errlen) == 3 ?
		0 : -1;
}

static int record_dsn(rebound_ledger *l, const rebound_policy *p, int proc,
		      int n, char *err, size_t errlen)
{
	return record_dsn_to(l, NULL, p, proc, n, err, errlen);
}

static int child(const char *path, int proc, int k)
{
	char err[512];
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_ledger_set_lock_wait(5000);	/* as Exim and Dovecot do */
	rebound_ledger *l = rebound_ledger_open(path, 0, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "bench_txn: %s\n", err);
		return 1;
	}
	for (int i = 0; i < k; i++)
		if (record_dsn(l, &p, proc, i, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_txn: %s\n", err);
			return 1;
		}
	rebound_ledger_close(l);
	return 0;
}

typedef struct {
	double user, sys, wall;
	long minflt;
} cost;

/* Batches: spool k notices (what = 's') or replay them ('r'). */
static int batch_child(const char *path, int proc, int k, char what)
{
	char err[512];
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	if (what == 's') {
		for (int i = 0; i < k; i++)
			if (record_dsn_to(NULL, path, &p, proc, i, err,
					  sizeof(err)) < 0) {
				fprintf(stderr, "bench_txn: %s\n", err);
				return 1;
			}
		return 0;
	}
	rebound_ledger_set_lock_wait(5000);
	rebound_ledger *l = rebound_ledger_open(path, 0, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "bench_txn: %s\n", err);
		return 1;
	}
	rebound_replay_stats st;
	int rc = rebound_ledger_replay(l, &p, 0, 0, &st, err, sizeof(err));
	rebound_ledger_close(l);
	if (rc < 0 || st.replayed != (unsigned long)k || st.commits != 1) {
		fprintf(stderr, "bench_txn: replay: %s (%lu of %d, %lu "
			"transactions)\n", rc < 0 ? err : "", st.replayed, k,
			st.commits);
		return 1;
	}
	return 0;
}

static int batch_run(const char *path, int proc, int k, char what,
		     cost *c)
{
	struct rusage r0, r1;
	getrusage(RUSAGE_CHILDREN, &r0);
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(batch_child(path, proc, k, what));
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	c->wall = now_ms() - t0;
	getrusage(RUSAGE_CHILDREN, &r1);
	c->user = MS(r1.ru_utime) - MS(r0.ru_utime);
	c->sys = MS(r1.ru_stime) - MS(r0.ru_stime);
	c->minflt = r1.ru_minflt - r0.ru_minflt;
	return 0;
}

/* Spool, then replay, batches of 1, 20 and 200 notices. */
static int batches(const char *path, unsigned chains, int rounds)
{
	static const int sizes[] = { 1, 20, 200 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		int k = sizes[i];
		cost sp = { 0 }, rp = { 0 }, c;
		for (int r = 0; r < rounds; r++) {
			int proc = 3000000 + (int)i * 100000 + r * 1000;
			if (batch_run(path, proc, k, 's', &c) < 0)
				return -1;
			sp.user += c.user + c.sys;
			sp.wall += c.wall;
			if (batch_run(path, proc, k, 'r', &c) < 0)
				return -1;
			rp.user += c.user + c.sys;
			rp.wall += c.wall;
		}
		printf("chains %6u  batch of %3d:  spooled (synced) %.3f ms "
		       "CPU, %.2f ms wall each; replayed in 1 transaction "
		       "%.3f ms CPU each, %.1f ms wall in all (the lock held "
		       "at most that)\n", chains, k,
		       sp.user / rounds / k, sp.wall / rounds / k,
		       rp.user / rounds / k, rp.wall / rounds);
	}
	return 0;
}

/* Children's cost per process for K notices each. */
static int run(const char *path, int procs, int k, int base, cost *c)
{
	struct rusage r0, r1;
	getrusage(RUSAGE_CHILDREN, &r0);
	double t0 = now_ms();
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(child(path, base + i, k));
		int st;
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			return -1;
	}
	c->wall = (now_ms() - t0) / procs;
	getrusage(RUSAGE_CHILDREN, &r1);
	c->user = (MS(r1.ru_utime) - MS(r0.ru_utime)) / procs;
	c->sys = (MS(r1.ru_stime) - MS(r0.ru_stime)) / procs;
	c->minflt = (r1.ru_minflt - r0.ru_minflt) / procs;
	return 0;
}

static int bench(const char *dir, unsigned chains, int procs)
{
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/bench-txn.%ld.tdb", dir,
		 (long)getpid());
	unlink(path);
	rebound_ledger_set_hash_size(chains);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "bench_txn: %s\n", err);
		return 1;
	}
	rebound_ledger_close(l);
	if (run(path, 67, 1, 1000000, &(cost){ 0 }) < 0) {	/* ~200 recipients */
		unlink(path);
		return 1;
	}
	cost c0, c1, c5;
	int rc = run(path, procs, 0, 0, &c0) < 0 ||
		 run(path, procs, 1, procs, &c1) < 0 ||
		 run(path, procs, 5, 2 * procs, &c5) < 0;
	if (rc) {
		unlink(path);
		fprintf(stderr, "bench_txn: a child failed\n");
		return 1;
	}
	printf("chains %6u  open+close:    %.3f ms CPU (user %.3f, sys %.3f), "
	       "%ld page faults\n", chains, c0.user + c0.sys, c0.user,
	       c0.sys, c0.minflt);
	printf("chains %6u  first notice:  %.3f ms CPU (user %.3f, sys %.3f), "
	       "%ld page faults, %.2f ms wall\n", chains,
	       c1.user + c1.sys - c0.user - c0.sys, c1.user - c0.user,
	       c1.sys - c0.sys, c1.minflt - c0.minflt, c1.wall - c0.wall);
	printf("chains %6u  later notices: %.3f ms CPU (user %.3f, sys %.3f), "
	       "%ld page faults, %.2f ms wall, each\n", chains,
	       (c5.user + c5.sys - c1.user - c1.sys) / 4,
	       (c5.user - c1.user) / 4, (c5.sys - c1.sys) / 4,
	       (c5.minflt - c1.minflt) / 4, (c5.wall - c1.wall) / 4);
	fflush(stdout);		/* before the children's output */
	rc = batches(path, chains, procs / 20 > 0 ? procs / 20 : 1);
	char spool[600];
	snprintf(spool, sizeof(spool), "%s.spool", path);
	rmdir(spool);
	unlink(path);
	if (rc < 0)
		fprintf(stderr, "bench_txn: a batch failed\n");
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp";
	int procs = 200;
	unsigned chains[8];
	int nchains = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:n:H:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'n': procs = atoi(optarg); break;
		case 'H':
			if (nchains < 8)
				chains[nchains++] = (unsigned)atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_txn [-d DIR] "
				"[-n PROCESSES] [-H CHAINS ...]\n");
			return 2;
		}
	}
	if (procs < 1)
		procs = 1;
	if (nchains == 0) {
		chains[nchains++] = REBOUND_LEDGER_HASH_SIZE;
		chains[nchains++] = 32749;
	}
	for (int i = 0; i < nchains; i++)
		if (bench(dir, chains[i], procs) != 0)
			return 1;
	return 0;
}
