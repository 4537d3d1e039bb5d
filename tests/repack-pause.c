/* repack-pause.c - test only: an LD_PRELOAD library that pauses `rebound
 * db repack` once while it copies the records to its new file (at the
 * first tdb_store into a file named *.repack.*), so that
 * tests/test-ledger-repack.sh can write to the ledger during the copy.
 *
 * REBOUND_REPACK_PAUSE names a file created when the pause begins;
 * REBOUND_REPACK_PAUSE_MS is its length (default 3000).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

typedef int (*store_fn)(struct tdb_context *, TDB_DATA, TDB_DATA, int);
typedef const char *(*name_fn)(struct tdb_context *);

int tdb_store(struct tdb_context *tdb, TDB_DATA key, TDB_DATA dbuf, int flag)
{
	static bool paused;
	store_fn next = (store_fn)dlsym(RTLD_NEXT, "tdb_store");
	name_fn name = (name_fn)dlsym(RTLD_NEXT, "tdb_name");
	const char *flag_file = getenv("REBOUND_REPACK_PAUSE");
	if (!paused && flag_file != NULL && name != NULL &&
	    strstr(name(tdb), ".repack.") != NULL) {
		paused = true;
		const char *ms_s = getenv("REBOUND_REPACK_PAUSE_MS");
		long ms = ms_s != NULL ? atol(ms_s) : 3000;
		int fd = open(flag_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	return next != NULL ? next(tdb, key, dbuf, flag) : -1;
}
