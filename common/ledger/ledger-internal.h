/* ledger-internal.h - what the ledger's two halves share: ledger.c (open,
 * record, look up: the modules' side) and admin/ledger-admin.c (the
 * command's read side and edits).  Not for anyone else: the modules use
 * ledger.h, the command also admin/ledger-admin.h.
 *
 * These names carry ledger_ rather than rebound_ because they are no
 * interface; all are defined in ledger.c.  Every function that can fail
 * returns -1 with one line in err (see ledger.h).
 */
#ifndef REBOUND_LEDGER_INTERNAL_H
#define REBOUND_LEDGER_INTERNAL_H

#include <sys/types.h>
#include <stddef.h>

#include <tdb.h>

#include "ledger.h"
#include "ledger-record.h"

/* One open ledger file, shared by every rebound_ledger_open() of it in
 * this process. */
struct rebound_ledger {
	struct tdb_context *tdb;
	char path[1024];
	dev_t dev;
	ino_t ino;
	pid_t pid;
	unsigned refs;
	rebound_ledger *next;
};

/* tdb's first complaint since it was last cleared (empty: none), which
 * names the cause that tdb's coarse error codes hide; ledger_tdb_log is
 * the logging function that keeps it, for every tdb_open_ex(). */
extern char ledger_tdb_last_log[200];
__attribute__((format(printf, 3, 4)))
void ledger_tdb_log(struct tdb_context *tdb, enum tdb_debug_level level,
		    const char *fmt, ...);

/* "PATH: cannot WHAT: tdb's error (its complaint)" in err (errors
 * without tdb's part go through rebound_error, mail/error.h); returns
 * -1. */
int ledger_db_fail(rebound_ledger *l, const char *what, char *err,
		   size_t errlen);

/* Ready for use in this process (reopened after a fork); clears
 * ledger_tdb_last_log.  Returns 0 or -1. */
int ledger_usable(rebound_ledger *l, char *err, size_t errlen);

/* A transaction: ledger_begin (ledger_usable, then the lock, waiting as
 * rebound_ledger_set_lock_wait says), then ledger_commit or
 * ledger_cancel. */
int ledger_begin(rebound_ledger *l, char *err, size_t errlen);

/* The key `rebound db repack --hash-size` stores in the file it replaced
 * by a new one, so that a process still holding the old file writes to
 * the new one (ledger_begin looks for it in every transaction). */
#define LEDGER_MOVED_KEY "moved"

/* Open the file now at l's path in place of l's (the old one was
 * replaced); 0, or -1 with err. */
int ledger_follow_replacement(rebound_ledger *l, char *err,
			      size_t errlen);
void ledger_cancel(rebound_ledger *l);
int ledger_commit(rebound_ledger *l, char *err, size_t errlen);

/* The ledger key of an address: "r:" + the address lower-cased.
 * Returns 0, or -1 when the address cannot be a key (empty, too long,
 * control characters or spaces). */
int rebound_ledger_address_key(const char *address, char *key, size_t size);
/* The key of a campaign: "c:" + its name.  0, or -1 when it cannot be. */
int ledger_campaign_key(const char *name, char *key, size_t size);
/* The key of a recipient domain: "b:" + the domain lower-cased (not
 * "d:", which the seen-before markers hold).  0, or -1 when it cannot
 * be. */
int ledger_domain_key(const char *domain, char *key, size_t size);

/* A record by its key: fetch 1 found, 0 missing, -1 error (a record that
 * does not decode is an error); store 0 or -1. */
int ledger_fetch_entry(rebound_ledger *l, const char *k, rebound_entry *e,
		       char *err, size_t errlen);
/* The same without resolving its texts (diagnostic, MTA, ...: t:
 * records, each another fetch): what a look at the state needs. */
int ledger_fetch_entry_lean(rebound_ledger *l, const char *k,
			    rebound_entry *e, char *err, size_t errlen);
int ledger_store_entry(rebound_ledger *l, const char *k,
		       const rebound_entry *e, char *err, size_t errlen);
int ledger_fetch_campaign(rebound_ledger *l, const char *k,
			  rebound_campaign *c, char *err, size_t errlen);
int ledger_store_campaign(rebound_ledger *l, const char *k,
			  const rebound_campaign *c, char *err, size_t errlen);
int ledger_fetch_domain(rebound_ledger *l, const char *k, rebound_domain *d,
			char *err, size_t errlen);
int ledger_store_domain(rebound_ledger *l, const char *k,
			const rebound_domain *d, char *err, size_t errlen);

/* Texts kept once (ledger-record.h): an interning for this ledger
 * (t filled and returned, NULL out of memory; ledger_texts_free after),
 * a recipient record decoded with its texts (or without: texts false),
 * the key of a text, and the sweep's generation (rebound prune). */
rebound_texts *ledger_texts(rebound_ledger *l, rebound_texts *t);
void ledger_texts_free(rebound_texts *t);
int ledger_decode_entry(rebound_ledger *l, const char *k, size_t klen,
			const unsigned char *data, size_t len,
			rebound_entry *e, bool texts, char *err,
			size_t errlen);
void ledger_text_key(uint32_t ref, char *k, size_t size);
uint64_t ledger_text_generation(rebound_ledger *l);
int ledger_set_text_generation(rebound_ledger *l, uint64_t gen, char *err,
			       size_t errlen);

#endif
