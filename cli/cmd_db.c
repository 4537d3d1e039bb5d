/* cmd_db.c - `rebound db create|check|backup|repack|replay`: looking
 * after the ledger file (creating it, checking every record, a consistent
 * copy, a new file with unused space given back, recording what the
 * modules spooled). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "admin/admin.h"

#include <sys/stat.h>
#include <unistd.h>

static void db_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound db create\n"
		"       rebound db check [--json]\n"
		"       rebound db backup DEST\n"
		"       rebound db repack [--hash-size N]\n"
		"       rebound db replay [--json]\n"
		"'create' creates a missing ledger (mode 0660; a setgid directory\n"
		"gives it its group) and never touches an existing file: exit 0 when\n"
		"the ledger is there and valid afterwards.\n"
		"'check' verifies the tdb file and decodes every record: exit 0 when\n"
		"all is well, 1 when problems were found, 2 when the ledger cannot\n"
		"be read at all.  'backup' copies the ledger to DEST (a new file):\n"
		"one consistent state, every record that can be read; exit 1 when\n"
		"the ledger is damaged and some records were out of reach.  'repack'\n"
		"copies the records to a new file that takes the ledger's place\n"
		"(writers go on meanwhile; the ledger is locked only to copy again\n"
		"what changed): space that a writer killed in a commit left unused\n"
		"becomes free again; --hash-size gives the new file N hash chains\n"
		"(see db_hash_size in rebound.conf(5)).  Damaged records are left\n"
		"out, counted and named: exit 1.\n"
		"'replay' records the notices the modules spooled while the ledger\n"
		"was locked (PATH.spool/), oldest first, each counted once; a file\n"
		"that cannot be read is renamed *.bad and kept: exit 0 when all were\n"
		"recorded, 1 when some were set aside, 2 when the ledger failed.\n"
		"'check' also says how many notices wait in the spool.\n");
}

/* An existing file: is it a valid ledger?  Never written to. */
static int db_exists(cli_env *env, const struct stat *st)
{
	const char *path = env->db_path;
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "rebound db create: %s: exists and is not a "
				"regular file\n", path);
		return 2;
	}
	if (st->st_size == 0) {
		fprintf(stderr, "rebound db create: %s: exists and is empty, "
				"not a ledger (remove it first)\n", path);
		return 2;
	}
	char err[1200];
	env->ledger = rebound_ledger_open(path, 0, err, sizeof(err));
	if (env->ledger == NULL) {
		fprintf(stderr, "rebound db create: %s\n", err);
		return 2;
	}
	rebound_check_report r;
	int rc = rebound_ledger_check(env->ledger, &r, err, sizeof(err));
	cli_close(env);
	if (rc < 0 || !r.meta_ok) {
		fprintf(stderr, "rebound db create: %s: exists and is not a "
				"rebound ledger%s%s\n", path, rc < 0 ? ": " : "",
			rc < 0 ? err : "");
		return 2;
	}
	if (rc > 0) {
		fprintf(stderr, "rebound db create: %s: exists, but has "
				"problems (see rebound db check)\n", path);
		return 1;
	}
	printf("%s: exists already, a valid ledger\n", path);
	return 0;
}

/* Create the ledger.  The library builds it complete (the tdb file and
 * its first commit) under a spare name and links it into place, so that
 * nothing that appears meanwhile is overwritten and a create that is
 * killed leaves no half-made ledger. */
static int db_create(const global_opts *g)
{
	cli_env env;
	int rc = cli_setup(g, "rebound db create", &env);
	if (rc != 0)
		return rc;
	const char *path = env.db_path;
	struct stat st;
	if (stat(path, &st) == 0)
		return db_exists(&env, &st);
	if (errno != ENOENT) {
		fprintf(stderr, "rebound db create: %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &st) != 0) {
			fprintf(stderr, "rebound db create: %s: %s (create the "
					"directory first)\n", path,
				strerror(errno));
			return 2;
		}
	}
	char err[1200];
	env.ledger = rebound_ledger_open(path, REBOUND_LEDGER_CREATE, err,
					 sizeof(err));
	if (env.ledger == NULL) {
		fprintf(stderr, "rebound db create: %s\n", err);
		return 2;
	}
	cli_close(&env);
	if (stat(path, &st) != 0) {
		fprintf(stderr, "rebound db create: %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	struct group *gr = getgrgid(st.st_gid);
	printf("%s: created (mode %04o, group %s)\n", path,
	       (unsigned)(st.st_mode & 07777), gr != NULL ? gr->gr_name : "?");
	return cli_flush("rebound db create");
}

int cmd_db(const global_opts *g, int argc, char **argv)
{
	bool json = false;
	const char *hash_size = NULL;
	const cli_opt opts[] = { { "--json", &json, NULL },
				 { "--hash-size", NULL, &hash_size } };
	int n = cli_parse("rebound db", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		db_usage(stdout);
		return 0;
	}
	if (n == 1 && strcmp(argv[1], "create") == 0 && !json)
		return db_create(g);
	bool check = n == 1 && strcmp(argv[1], "check") == 0;
	bool backup = n == 2 && strcmp(argv[1], "backup") == 0;
	bool repack = n == 1 && strcmp(argv[1], "repack") == 0 && !json;
	bool replay = n == 1 && strcmp(argv[1], "replay") == 0;
	if ((!check && !backup && !repack && !replay) ||
	    (hash_size != NULL && !repack)) {
		db_usage(stderr);
		return 2;
	}
	unsigned long chains = 0;
	if (hash_size != NULL) {
		char *end;
		chains = strtoul(hash_size, &end, 10);
		if (hash_size[0] < '0' || hash_size[0] > '9' || *end != '\0' ||
		    chains == 0 || chains > REBOUND_LEDGER_HASH_SIZE_MAX) {
			fprintf(stderr, "rebound db repack: --hash-size: a number "
					"from 1 to %u, not '%s'\n",
				REBOUND_LEDGER_HASH_SIZE_MAX, hash_size);
			return 2;
		}
	}
	cli_env env;
	int rc = cli_open(g, "rebound db", false, &env);
	if (rc != 0)
		return rc;
	char err[1200];
	int status;
	if (replay) {
		rebound_replay_stats st;
		rc = rebound_ledger_replay(env.ledger, &env.cfg.policy, 0, 0, &st,
					   err, sizeof(err));
		if (json)
			printf("{\"replayed\":%lu,\"duplicates\":%lu,"
			       "\"bad\":%lu,\"left\":%lu}\n", st.replayed,
			       st.duplicates, st.bad, st.left);
		else
			printf("%s: replayed %lu spooled notices (%lu seen "
			       "before), %lu set aside as bad, %lu left\n",
			       env.db_path, st.replayed, st.duplicates, st.bad,
			       st.left);
		if (st.bad > 0)
			fprintf(stderr, "rebound db replay: set aside: %s\n",
				st.first_bad);
		if (rc < 0)
			fprintf(stderr, "rebound db replay: %s\n", err);
		status = rc < 0 ? 2 : st.bad > 0 ? 1 : 0;
	} else if (repack) {
		rebound_repack_report r;
		rc = rebound_ledger_rewrite(env.ledger, (unsigned)chains, &r, err,
					    sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound db repack: %s\n", err);
			status = 2;
		} else {
			printf("%s: repacked: %lu records, %u hash chains\n",
			       env.db_path, r.records, r.chains);
			if (r.under_lock)
				printf("  the ledger changed while %u copies were "
				       "made: the last was made under its lock,\n"
				       "  writers waited %lu ms\n",
				       r.copies - 1, r.locked_ms);
			else
				printf("  copied while writers went on (%u "
				       "cop%s); then locked for %lu ms to copy "
				       "again\n  the %lu hash chains that "
				       "changed; commits waited %lu ms for the "
				       "copy of the file\n",
				       r.copies, r.copies == 1 ? "y" : "ies",
				       r.locked_ms, r.caught_up, r.snapshot_ms);
			status = 0;
			if (rc == 1) {
				fprintf(stderr, "rebound db repack: %s: %lu damaged "
						"records skipped (%s); %lu records "
						"kept, %lu of them found past the "
						"damage\n",
					env.db_path, r.skipped, r.skipped_names,
					r.records, r.rescued);
				status = 1;
			}
		}
	} else if (backup) {
		rc = rebound_ledger_backup(env.ledger, argv[2], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound db backup: %s\n", err);
			status = 2;
		} else {
			printf("%s: copied to %s\n", env.db_path, argv[2]);
			/* damaged: every readable record saved, but not all */
			if (rc == 1)
				fprintf(stderr, "rebound db backup: %s\n", err);
			status = rc;
		}
	} else {
		rebound_check_report r;
		rc = rebound_ledger_check(env.ledger, &r, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rebound db check: %s\n", err);
			status = 2;
		} else if (json) {
			printf("{\"ok\":%s,\"tdb_ok\":%s,\"unused_space\":%s,"
			       "\"unused_bytes\":%llu,\"meta_ok\":%s,\"recipients\":%lu,\"events\":%lu,\"markers\":%lu,"
			       "\"campaigns\":%lu,\"domains\":%lu,\"other\":%lu,"
			       "\"bad\":%lu,\"problem\":",
			       rc == 0 ? "true" : "false",
			       r.tdb_ok ? "true" : "false",
			       r.unused_space ? "true" : "false",
			       r.unused_bytes, r.meta_ok ? "true" : "false", r.recipients,
			       r.events, r.markers, r.campaigns, r.domains,
			       r.other, r.bad);
			rebound_json_string(stdout, r.first_problem[0] ?
							    r.first_problem : NULL);
			unsigned long waiting = 0, badf = 0;
			(void)rebound_spool_count(env.db_path, &waiting, &badf);
			printf(",\"spool_waiting\":%lu,\"spool_bad\":%lu}\n",
			       waiting, badf);
			status = rc;
		} else {
			printf("%s: %s: %lu recipients, %lu events, %lu markers, "
			       "%lu campaigns", env.db_path,
			       rc == 0 ? "ok" : "PROBLEMS", r.recipients,
			       r.events, r.markers, r.campaigns);
			if (r.domains)
				printf(", %lu domains", r.domains);
			if (r.other)
				printf(", %lu other keys", r.other);
			if (r.bad)
				printf(", %lu damaged records", r.bad);
			putchar('\n');
			if (r.first_problem[0])
				printf("  first problem: %s\n", r.first_problem);
			unsigned long waiting = 0, badf = 0;
			if (rebound_spool_count(env.db_path, &waiting,
						&badf) == 0 &&
			    (waiting > 0 || badf > 0))
				printf("  spool: %lu notices wait (rebound db "
				       "replay), %lu files set aside as bad\n",
				       waiting, badf);
			if (r.unused_space)
				printf("  note: %llu bytes left unused by a writer "
				       "killed in a commit; tdb's own check\n"
				       "  fails on them, but every hash chain and "
				       "the free list are sound.\n"
				       "  'rebound db repack' gives them back.\n",
				       r.unused_bytes);
			status = rc;
		}
	}
	cli_close(&env);
	if (cli_flush("rebound db") != 0)
		return 2;
	return status;
}
