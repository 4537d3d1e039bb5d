/* rebound-local-scan.c - Exim local_scan() module and ${dlfunc} entry
 * points (rebound.so, loaded through Debian's local_scan_path).
 *
 * Skeleton: it accepts every message untouched and answers "no" to every
 * rebound_suppressed question, so that loading it can never cost mail.
 * The adapter to the core comes later.
 *
 * Rules for everything in this file: only the documented local_scan.h
 * API; never abort(), exit() or assert() (Exim logs nothing and leaves an
 * orphan spool file); any internal failure becomes LOCAL_SCAN_ACCEPT, and
 * a dlfunc failure becomes an OK "no" (fail open).
 */
#define LOCAL_SCAN
#include <local_scan.h>

#include "rebound-config.h"

/* The module is built with -fvisibility=hidden; these are the only
 * symbols Exim looks up. */
#define REBOUND_EXPORT __attribute__((visibility("default")))

REBOUND_EXPORT int local_scan_version_major(void);
REBOUND_EXPORT int local_scan_version_minor(void);
REBOUND_EXPORT int local_scan(int fd, uschar **return_text);
REBOUND_EXPORT int rebound_suppressed(uschar **yield, int argc, uschar *argv[]);

/* Debian's dlopen patch refuses a module whose major version differs
 * from Exim's or whose minor version is higher. */
int local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

int local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

int local_scan(int fd, uschar **return_text)
{
	(void)fd;
	(void)return_text;
	return LOCAL_SCAN_ACCEPT;
}

/* ${dlfunc{rebound.so}{rebound_suppressed}{ADDRESS}{DB}}: "yes" when mail
 * to ADDRESS must not be sent.  For now always "no". */
int rebound_suppressed(uschar **yield, int argc, uschar *argv[])
{
	(void)argc;
	(void)argv;
	*yield = string_copy(US"no");
	return OK;
}
