/* cmd_cluster.c - `rebound cluster sync|status`: a fleet of mail servers
 * sharing their ledgers' events through CTDB (admin/cluster.h,
 * doc/fleet.md).  sync ships this host's events and folds the others';
 * run it from cron or a systemd timer, or once with --loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_util.h"
#include "admin/admin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound cluster sync [--loop [--interval SECONDS]] [--quiet]\n"
		"       rebound cluster status\n"
		"sync ships the events this host recorded to the fleet's CTDB\n"
		"database (cluster_db in rebound.conf) and folds the other hosts'\n"
		"events into the local ledger; --loop repeats it every SECONDS\n"
		"(default 1).  status shows the hosts, how many of their events are\n"
		"not folded here yet, and when each last synced.  Exit 2 on error.\n");
}

static void print_sync(const rebound_sync_stats *st)
{
	printf("shipped %lu, confirmed %lu, waiting %lu; folded %lu from %u "
	       "host%s, %lu duplicate%s, %lu re-folded%s\n",
	       st->shipped, st->confirmed, st->waiting, st->folded, st->hosts,
	       st->hosts == 1 ? "" : "s", st->duplicates,
	       st->duplicates == 1 ? "" : "s", st->refolded,
	       st->healthy ? "" : "; cluster not healthy: journal kept");
}

static int sync_cmd(cli_env *env, bool loop, unsigned interval, bool quiet)
{
	int status = 0;
	for (;;) {
		char err[1200];
		rebound_sync_stats st;
		int64_t now = loop ? (int64_t)time(NULL) : env->now;
		if (rebound_cluster_sync(env->ledger, &env->cfg, now, &st, err,
					 sizeof(err)) < 0) {
			fprintf(stderr, "rebound cluster sync: %s\n", err);
			status = 2;
		} else {
			status = 0;
			if (!quiet)
				print_sync(&st);
		}
		fflush(stdout);
		if (!loop)
			return status;
		struct timespec ts = { (time_t)interval, 0 };
		nanosleep(&ts, NULL);
	}
}

static int status_cmd(cli_env *env)
{
	char err[1200];
	rebound_cluster_view *v = malloc(sizeof(*v));
	if (v == NULL) {
		fprintf(stderr, "rebound cluster status: out of memory\n");
		return 2;
	}
	if (rebound_cluster_status(env->ledger, &env->cfg, v, err,
				   sizeof(err)) < 0) {
		fprintf(stderr, "rebound cluster status: %s\n", err);
		free(v);
		return 2;
	}
	char tb[64];
	printf("this host: %s, %s\n", env->cfg.cluster_node,
	       v->joined ? "in the fleet" : "not synced yet");
	if (v->joined)
		printf("  events waiting to be confirmed: %lu; last sync: %s\n",
		       v->waiting,
		       v->self.last_sync ? cli_time(v->self.last_sync, tb,
						    sizeof(tb)) :
					   "never");
	printf("cluster: %s (%s)\n", v->healthy ? "healthy" : "NOT healthy",
	       v->health);
	for (size_t i = 0; i < v->nhosts; i++) {
		const rebound_cluster_host *h = &v->hosts[i];
		bool self = strcmp(h->node, env->cfg.cluster_node) == 0;
		uint64_t events = h->head > 0 ? h->head - 1 : 0;
		uint64_t done = h->folded > 0 ? h->folded - 1 : 0;
		printf("host %s%s: %llu events", h->node, self ? " (this host)" : "",
		       (unsigned long long)events);
		if (!self)
			printf(", %llu behind here",
			       (unsigned long long)(events > done ? events - done :
								    0));
		printf(", last sync %s\n",
		       h->last_sync ? cli_time(h->last_sync, tb, sizeof(tb)) :
				      "unknown");
	}
	free(v);
	return 0;
}

int cmd_cluster(const global_opts *g, int argc, char **argv)
{
	bool loop = false, quiet = false;
	const char *interval_s = NULL;
	const cli_opt opts[] = {
		{ "--loop", &loop, NULL },
		{ "--quiet", &quiet, NULL },
		{ "--interval", NULL, &interval_s },
	};
	int nops = cli_parse("rebound cluster", argc, argv, opts,
			     sizeof(opts) / sizeof(*opts));
	if (nops == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (nops != 1 || (strcmp(argv[1], "sync") != 0 &&
			  strcmp(argv[1], "status") != 0)) {
		usage(stderr);
		return 2;
	}
	unsigned interval = 1;
	if (interval_s != NULL) {
		char *end;
		unsigned long n = strtoul(interval_s, &end, 10);
		if (*end != '\0' || n == 0 || n > 86400) {
			fprintf(stderr,
				"rebound cluster: --interval: seconds, 1 to "
				"86400: '%s'\n",
				interval_s);
			return 2;
		}
		interval = (unsigned)n;
	}
	bool sync = strcmp(argv[1], "sync") == 0;
	cli_env env;
	int rc = cli_open(g, "rebound cluster", sync, &env);
	if (rc != 0)
		return rc;
	rc = sync ? sync_cmd(&env, loop, interval, quiet) : status_cmd(&env);
	cli_close(&env);
	if (cli_flush("rebound cluster") != 0)
		return 2;
	return rc;
}
