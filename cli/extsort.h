/* extsort.h - sort more items than a report should hold in memory.
 *
 * `rebound list` prints its table sorted by address; a ledger of millions
 * of recipients would otherwise need all its rows in memory at once.
 * Items (a key string and a payload of fixed size) are gathered up to a
 * memory bound, sorted, and written to a temporary file as a sorted run;
 * reading them back merges the runs.  Items that fit in the bound never
 * touch a file.  The order: case-insensitive by key, then byte order (so
 * that it does not depend on how the items arrived).
 */
#ifndef REBOUND_EXTSORT_H
#define REBOUND_EXTSORT_H

#include <stddef.h>

typedef struct extsort extsort;

/* A sorter of items with payload_size bytes of payload, holding at most
 * about mem_bound bytes of items in memory.  NULL: out of memory. */
extsort *extsort_new(size_t payload_size, size_t mem_bound);

/* Add one item (key copied, at most EXTSORT_KEY_MAX bytes).  0, or -1
 * with err set (out of memory, a temporary file that cannot be
 * written). */
#define EXTSORT_KEY_MAX 4096
int extsort_add(extsort *s, const char *key, const void *payload,
		char *err, size_t errlen);

/* No more items: what is in memory is sorted and the runs are rewound.
 * 0, or -1 with err set. */
int extsort_finish(extsort *s, char *err, size_t errlen);

/* The next item in order: 1 with *key and *payload valid until the next
 * call, 0 at the end, -1 with err set (a run that cannot be read). */
int extsort_next(extsort *s, const char **key, const void **payload,
		 char *err, size_t errlen);

/* How many runs went to temporary files (0: all in memory). */
size_t extsort_runs(const extsort *s);

void extsort_free(extsort *s);

#endif
