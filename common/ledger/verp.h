/* verp.h - signed VERP return paths: the defence against forged bounces.
 *
 * Anyone can send a DSN that names a good address.  When the sending side
 * signs its VERP return paths, a bounce can prove that it answers mail we
 * sent: the return path carries a tag with the time of sending and an
 * HMAC-SHA256 (Nettle) over that time and the recipient, like BATV.
 *
 *   unsigned:  bounces+alice=example.org@sender.example
 *   signed:    rb=69229f80k7d2q4m8x1c3v5b6=bounces+alice=example.org@sender.example
 *
 * The tag "rb=" TTTTTTTT SSSSSSSSSSSSSSSS "=" goes in front of the local
 * part: TTTTTTTT the signing time (seconds since the epoch, 8 hex digits),
 * SSSS... the first 80 bits of the HMAC in base32 (16 letters and digits).
 * In front, it leaves the VERP layout of the rest untouched, so a reader
 * that does not know about tags still finds the recipient (it takes the
 * text after the first separator).  Tags are case-insensitive: some MTAs
 * change the case of the address that bounces come back to.
 *
 * The HMAC input is "rebound-verp-1", NUL, the 8 hex digits, NUL, and the
 * recipient address in lower case.  doc/verp.md describes it for senders
 * that sign with their own tools.
 */
#ifndef REBOUND_VERP_H
#define REBOUND_VERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/message.h"

/* Secrets shorter than this are refused (16 bytes = 128 bits). */
#define REBOUND_VERP_KEY_MIN 16
#define REBOUND_VERP_KEY_MAX 256
/* "rb=" + 8 + 16 + "=" */
#define REBOUND_VERP_TAG_LEN 28
/* Default for max_age_seconds: bounces older than 30 days do not verify. */
#define REBOUND_VERP_MAX_AGE (30 * 86400)
/* A tag may come from a clock this far ahead of ours. */
#define REBOUND_VERP_SKEW 3600

typedef struct rebound_verp_key {
	unsigned char secret[REBOUND_VERP_KEY_MAX];
	size_t len;
} rebound_verp_key;

/* The key from secret[0..len).  Returns 0, or -1 with a message in err
 * (too short or too long). */
int rebound_verp_key_set(rebound_verp_key *key, const void *secret,
			 size_t len, char *err, size_t errlen);

/* The key from a file: its whole content, without one trailing newline
 * (CRLF or LF).  Refuses a file that others may read or write (the key
 * must stay secret, and whoever can write it can sign).  Returns 0, or -1
 * with "PATH: problem" in err. */
int rebound_verp_key_load(rebound_verp_key *key, const char *path,
			  char *err, size_t errlen);

/* Wipe a key (explicit_bzero: the compiler may not drop it). */
void rebound_verp_key_clear(rebound_verp_key *key);

/* The tag for `recipient` signed at `now`, NUL-terminated, into
 * out[outlen] (outlen > REBOUND_VERP_TAG_LEN).  Returns 0, or -1 when the
 * recipient is not an address, the time does not fit in 8 hex digits or
 * out is too small. */
int rebound_verp_tag(const rebound_verp_key *key, const char *recipient,
		     int64_t now, char *out, size_t outlen);

/* The signed VERP return path for mail to `recipient`: `return_path`
 * ("bounces@sender.example", or an already VERP-encoded one whose tag is
 * then replaced) laid out as `format` says (NULL: the default
 * "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN", as in rebound_classify_options),
 * with the tag in front.  This is what the Exim module's return_path
 * dlfunc calls.  Returns 0, or -1 with a message in err. */
int rebound_verp_sign(const rebound_verp_key *key, const char *format,
		      const char *return_path, const char *recipient,
		      int64_t now, char *out, size_t outlen,
		      char *err, size_t errlen);

typedef enum rebound_verp_status {
	REBOUND_VERP_VALID = 0,
	REBOUND_VERP_UNSIGNED,		/* no tag at all */
	REBOUND_VERP_MALFORMED,		/* a tag, but not a well-formed one,
					   or no recipient in the address */
	REBOUND_VERP_BAD_SIGNATURE,	/* wrong key, or changed in transit */
	REBOUND_VERP_EXPIRED,		/* older than max_age */
	REBOUND_VERP_FUTURE,		/* signed later than now + skew */
} rebound_verp_status;

const char *rebound_verp_status_name(rebound_verp_status s);

typedef struct rebound_verp_check {
	rebound_verp_status status;
	char recipient[320];		/* VERP recipient ("" if none found) */
	int64_t signed_at;		/* 0 when there is no readable tag */
} rebound_verp_check;

/* Check the return path `address` that a bounce came back to (Exim: the
 * bounce's envelope recipient; Dovecot: Delivered-To / X-Original-To).
 * Fills *out: status, the VERP recipient decoded as `format` says (also
 * for unsigned and failing addresses, for logging), and the signing time.
 * max_age_seconds 0 means REBOUND_VERP_MAX_AGE.  Only VALID may change a
 * recipient's state when signing is required.  Returns out->status. */
rebound_verp_status rebound_verp_verify(const rebound_verp_key *key,
					const char *format,
					const char *address, int64_t now,
					int64_t max_age_seconds,
					rebound_verp_check *out);

/* --- what a notice's signatures vouch for ---------------------------------
 *
 * A valid signature vouches for the one recipient it names, no more: a
 * subscriber who bounces a notice to their own signed return path cannot
 * make it count against someone else the notice names.  Every adapter
 * checks each address the notice came back to with rebound_verp_vouch_add()
 * (Exim: the envelope recipients; the Dovecot plugin and `rebound record`:
 * rebound_verp_vouch_headers(), or the CLI's --to), and hands the result
 * to the ledger (rebound_record_context.vouch, ledger.h), which changes
 * the state only of the recipients vouched for and records every other
 * recipient of the notice as unverified.
 */

/* Recipients kept per notice; a signature past these vouches for nobody. */
#define REBOUND_VERP_VOUCH_MAX 16

typedef struct rebound_verp_vouch {
	bool required;			/* require_signed_verp; without it
					   every recipient counts */
	size_t n;			/* recipients vouched for */
	char recipient[REBOUND_VERP_VOUCH_MAX][320];
	/* For the log line: addresses checked, and the first that did not
	   verify (status VALID and "" when none failed). */
	unsigned checked;
	rebound_verp_status first_failed;
	char first_failed_address[320];
} rebound_verp_vouch;

/* Start with nobody vouched for; `required` as require_signed_verp says. */
void rebound_verp_vouch_init(rebound_verp_vouch *v, bool required);

/* Check `address`, one the notice came back to (key NULL: the secret is
 * not usable, nothing verifies).  A valid signature adds the recipient it
 * names.  Returns the status. */
rebound_verp_status rebound_verp_vouch_add(rebound_verp_vouch *v,
					   const rebound_verp_key *key,
					   const char *format,
					   const char *address, int64_t now,
					   int64_t max_age_seconds);

/* rebound_verp_vouch_add() for the address of every Delivered-To and
 * X-Original-To field in `headers` (a message's top header block, where
 * the delivering MTA and Dovecot's LMTP write the envelope recipient). */
void rebound_verp_vouch_headers(rebound_verp_vouch *v,
				const rebound_verp_key *key,
				const char *format,
				const rebound_header *headers, int64_t now,
				int64_t max_age_seconds);

/* May the notice change the state of its recipient `address`?  Yes when
 * v is NULL or signing is not required, else only when a valid signature
 * names it (ASCII case-insensitively, as the ledger keys addresses). */
bool rebound_verp_vouches(const rebound_verp_vouch *v, const char *address);

#endif
