/* ledger-scan.h - a second opinion on a tdb file's layout, for
 * `rebound db check` (rebound_ledger_check in ledger-admin.c); part of
 * the admin library, which the modules do not link.
 *
 * tdb_check() in tdb 1.4 fails files that tdb itself reads without fault:
 * a writer killed in a commit that had grown the file leaves space that
 * no record and no free-list entry points to (tdb's recovery puts the old
 * records back but keeps the file's size), and tdb_check's scan of such
 * "dead space" reads its first byte over and over, so it runs on to the
 * end of the file and then misses every record after it ("Hashes do not
 * match records", "Expected a recovery area").  This scan walks the file
 * the way tdb lays it out, measures each unused area correctly, and tells
 * unused space (harmless; tdb_repack gives it back) from damage: a hash
 * chain or the free list pointing to something that is not a record, or
 * a stored record that no chain reaches (except the records a killed
 * commit wrote at the end of the space it grew the file by, which follow
 * that unused space: see leftovers() in ledger-scan.c).
 */
#ifndef REBOUND_LEDGER_SCAN_H
#define REBOUND_LEDGER_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rebound_tdb_scan {
	unsigned long records;		/* in hash chains (dead ones too) */
	unsigned long free_records;
	unsigned long unused_areas;	/* not referenced, not records */
	unsigned long long unused_bytes;
	unsigned long stale_copies;	/* unreached, the key is there */
	unsigned long killed_commit;	/* unreached, written past the old
					   end of the file by a killed commit */
	unsigned long unreachable;	/* unreached otherwise: damage */
	char problem[160];		/* the first damage found */
} rebound_tdb_scan;

/* Is this key stored (reachable through tdb)? */
typedef bool (*rebound_tdb_key_fn)(const unsigned char *key, size_t len,
				   void *ctx);

/* Scan the bytes of a whole tdb file (native byte order, as this host
 * writes it).  A record that no chain reaches is an older copy (unused
 * space) when key_live says its key is stored, the leftover of a killed
 * commit (unused space) when it follows the unused space that commit
 * grew the file by, else damage.  Returns 0
 * when the layout is sound (unused areas allowed), 1 when damaged (see
 * problem), -1 when the file is not a tdb this scan understands (problem
 * says why; no verdict then). */
int rebound_tdb_scan_layout(const unsigned char *file, size_t size,
			    rebound_tdb_key_fn key_live, void *ctx,
			    rebound_tdb_scan *out);

#endif
