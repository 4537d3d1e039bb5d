/* ledger-time.h - RFC 3339 times for the ledger's reports and the --now,
 * --since options. */
#ifndef REBOUND_LEDGER_TIME_H
#define REBOUND_LEDGER_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Parse "2026-01-02T03:04:05Z", with fractional seconds (dropped), a
 * "+02:00" style offset, 't' or ' ' for 'T', 'z' for 'Z', or a plain date
 * "2026-01-02" (midnight UTC).  Returns 0 and sets *out (seconds since
 * the epoch), or -1. */
int rebound_time_parse(const char *s, int64_t *out);

/* Format t as "2026-01-02T03:04:05Z" into buf (at least 32 bytes).
 * Returns buf. */
char *rebound_time_format(int64_t t, char *buf, size_t size);

#endif
