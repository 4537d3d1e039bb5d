/* faultshim.c - test only: an LD_PRELOAD library that makes the disk
 * fail under the ledger, for tests/test-faults-*.sh.
 *
 * REBOUND_FAULTSHIM names a control file (captured when the library is
 * loaded: Exim and Dovecot clear their environment later).  While that
 * file exists and holds one line
 *
 *     ERRNO SUBSTRING OP[,OP...]
 *
 * e.g. "EIO rebound.tdb fsync,fdatasync,pwrite", every listed call on a
 * descriptor whose path (/proc/self/fd) contains SUBSTRING fails with
 * ERRNO (EIO, ENOSPC, EACCES, ENOLCK, EDQUOT).  OPs: write pwrite fsync
 * fdatasync ftruncate fallocate (posix_fallocate and fallocate) fcntl
 * (record locks only).  Remove the file and the calls pass again, so a
 * test can turn the fault on and off under running daemons.  When
 * CONTROL.hits exists (and is writable) each injected failure appends
 * "pid op" to it, so a test can tell that the fault really happened.
 *
 * Writes that tdb makes through its mmap cannot be caught here; tdb
 * reaches the disk through pwrite/ftruncate/fallocate when it grows the
 * file and through fdatasync at every commit, which is where a real disk
 * reports ENOSPC and EIO.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static char ctl_path[512];

__attribute__((constructor))
static void shim_init(void)
{
	const char *p = getenv("REBOUND_FAULTSHIM");
	if (p != NULL && strlen(p) < sizeof ctl_path - 8)
		snprintf(ctl_path, sizeof ctl_path, "%s", p);
}

static void *next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* The errno to inject for `op` on `fd`, or 0 to pass the call through. */
static int fault_for(int fd, const char *op)
{
	if (ctl_path[0] == '\0' || fd < 0)
		return 0;
	int saved = errno;
	int c = open(ctl_path, O_RDONLY | O_CLOEXEC);
	if (c < 0) {
		errno = saved;
		return 0;
	}
	char line[512];
	ssize_t n = read(c, line, sizeof line - 1);
	close(c);
	errno = saved;
	if (n <= 0)
		return 0;
	line[n] = '\0';
	char ename[32], match[256], ops[200];
	if (sscanf(line, "%31s %255s %199s", ename, match, ops) != 3)
		return 0;

	/* Is `op` in the comma-separated list? */
	int listed = 0;
	for (char *tok = strtok(ops, ","); tok != NULL; tok = strtok(NULL, ","))
		if (strcmp(tok, op) == 0)
			listed = 1;
	if (!listed)
		return 0;

	char link[64], target[1024];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t t = readlink(link, target, sizeof target - 1);
	errno = saved;
	if (t <= 0)
		return 0;
	target[t] = '\0';
	if (strstr(target, match) == NULL)
		return 0;

	int e = strcmp(ename, "ENOSPC") == 0 ? ENOSPC :
		strcmp(ename, "EDQUOT") == 0 ? EDQUOT :
		strcmp(ename, "EACCES") == 0 ? EACCES :
		strcmp(ename, "ENOLCK") == 0 ? ENOLCK : EIO;

	char hits[sizeof ctl_path + 8];
	snprintf(hits, sizeof hits, "%s.hits", ctl_path);
	int h = open(hits, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (h >= 0) {
		char rec[64];
		int len = snprintf(rec, sizeof rec, "%ld %s\n", (long)getpid(), op);
		/* The real write: this one would look at the file again. */
		ssize_t (*wr)(int, const void *, size_t) =
			(ssize_t (*)(int, const void *, size_t))next_fn("write");
		if (len > 0 && wr != NULL && wr(h, rec, (size_t)len) < 0)
			(void)0;
		close(h);
	}
	errno = saved;
	return e;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static ssize_t (*real)(int, const void *, size_t);
	int e = fault_for(fd, "write");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))next_fn("write");
	return real(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	int e = fault_for(fd, "pwrite");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))next_fn("pwrite");
	return real(fd, buf, count, off);
}

int fsync(int fd)
{
	static int (*real)(int);
	int e = fault_for(fd, "fsync");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))next_fn("fsync");
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	int e = fault_for(fd, "fdatasync");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))next_fn("fdatasync");
	return real(fd);
}

int ftruncate(int fd, off_t len)
{
	static int (*real)(int, off_t);
	int e = fault_for(fd, "ftruncate");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, off_t))next_fn("ftruncate");
	return real(fd, len);
}

/* posix_fallocate returns the error instead of setting errno. */
int posix_fallocate(int fd, off_t off, off_t len)
{
	static int (*real)(int, off_t, off_t);
	int e = fault_for(fd, "fallocate");
	if (e)
		return e;
	if (real == NULL)
		real = (int (*)(int, off_t, off_t))next_fn("posix_fallocate");
	return real(fd, off, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	static int (*real)(int, int, off_t, off_t);
	int e = fault_for(fd, "fallocate");
	if (e) {
		errno = e;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, int, off_t, off_t))next_fn("fallocate");
	return real(fd, mode, off, len);
}

/* Only record locks are failed; other commands pass. */
int fcntl(int fd, int cmd, ...)
{
	static int (*real)(int, int, ...);
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK ||
	    cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) {
		int e = fault_for(fd, "fcntl");
		if (e) {
			errno = e;
			return -1;
		}
	}
	if (real == NULL)
		real = (int (*)(int, int, ...))next_fn("fcntl");
	return real(fd, cmd, arg);
}
