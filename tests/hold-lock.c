/* hold-lock.c - test helper: holds one of a tdb file's locks for a
 * while, as another program sharing the ledger might (tdbtool, a backup
 * script, a stuck process), so that the tests and tests/bench-locks.sh
 * can show that Exim and Dovecot never wait for it past their budget.
 *
 *   hold-lock PATH SECONDS [lockall|read|transaction]
 *
 * lockall (the default) is tdb_lockall(): every reader and writer;
 * read is tdb_lockall_read(): every commit; transaction is an open
 * transaction: every other writer.  Prints "locked" once it holds the
 * lock, then holds it SECONDS (fractions allowed) and exits 0.
 */
#include <sys/types.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tdb.h>

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: hold-lock PATH SECONDS "
				"[lockall|read|transaction]\n");
		return 2;
	}
	const char *what = argc == 4 ? argv[3] : "lockall";
	double seconds = strtod(argv[2], NULL);
	struct tdb_context *t = tdb_open(argv[1], 0, TDB_DEFAULT, O_RDWR, 0);
	if (t == NULL) {
		perror(argv[1]);
		return 1;
	}
	int rc = strcmp(what, "read") == 0	  ? tdb_lockall_read(t) :
		 strcmp(what, "transaction") == 0 ? tdb_transaction_start(t) :
		 strcmp(what, "lockall") == 0	  ? tdb_lockall(t) :
						    -2;
	if (rc != 0) {
		fprintf(stderr, "hold-lock: cannot take %s: %s\n", what,
			rc == -2 ? "unknown lock" : tdb_errorstr(t));
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
	tdb_close(t);
	return 0;
}
