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

#endif
