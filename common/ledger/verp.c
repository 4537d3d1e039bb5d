/* verp.c - signed VERP return paths (see verp.h): the tag, the signed
 * return path, and its check.  The MAC is Nettle's HMAC-SHA256, compared
 * in constant time. */
#include "verp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>

#include "mail/address.h"
#include "mail/error.h"
#include "mail/strutil.h"

#define TAG_PREFIX "rb="
#define TIME_DIGITS 8
#define MAC_BYTES 10		/* 80 bits: 16 base32 characters */
#define MAC_CHARS 16
#define MAC_DOMAIN "rebound-verp-1"
#define ADDR_MAX 320

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

int rebound_verp_key_set(rebound_verp_key *key, const void *secret,
			 size_t len, char *err, size_t errlen)
{
	memset(key, 0, sizeof(*key));
	if (len < REBOUND_VERP_KEY_MIN || len > REBOUND_VERP_KEY_MAX) {
		return rebound_error(err, errlen,
				     "the VERP secret has %zu "
				     "bytes; it needs %d to %d",
				     len, REBOUND_VERP_KEY_MIN,
				     REBOUND_VERP_KEY_MAX);
	}
	memcpy(key->secret, secret, len);
	key->len = len;
	return 0;
}

void rebound_verp_key_clear(rebound_verp_key *key)
{
	explicit_bzero(key, sizeof(*key));
}

int rebound_verp_key_load(rebound_verp_key *key, const char *path,
			  char *err, size_t errlen)
{
	unsigned char buf[REBOUND_VERP_KEY_MAX + 3];
	struct stat st;
	int rc = -1;

	memset(key, 0, sizeof(*key));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		return rebound_error(err, errlen, "%s: %s", path,
				     strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		rebound_error(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rebound_error(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Group read is how Exim and Dovecot share it; anything more lets
	   others read the secret or sign with their own. */
	if (st.st_mode & (S_IWGRP | S_IRWXO)) {
		rebound_error(err, errlen,
			      "%s: mode %04o lets others read or change the "
			      "secret (use 0640 or 0600)",
			      path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rebound_error(err, errlen, "%s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			rebound_error(err, errlen,
				      "%s: the VERP secret is "
				      "longer than %d bytes",
				      path, REBOUND_VERP_KEY_MAX);
			goto out;
		}
	}
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	char why[128];
	if (rebound_verp_key_set(key, buf, len, why, sizeof(why)) != 0) {
		rebound_error(err, errlen, "%s: %s", path, why);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* ---- the tag -------------------------------------------------------- */

static bool recipient_ok(const char *rcpt)
{
	return rcpt != NULL && strlen(rcpt) < ADDR_MAX &&
	       rebound_address_valid(rcpt);
}

/* The MAC over the time digits and the lower-cased recipient. */
static void mac(const rebound_verp_key *key, const char *digits,
		const char *rcpt, unsigned char out[MAC_BYTES])
{
	struct hmac_sha256_ctx ctx;
	unsigned char full[SHA256_DIGEST_SIZE];
	char lower[ADDR_MAX];
	size_t n = strlen(rcpt);

	for (size_t i = 0; i < n; i++)
		lower[i] = rebound_ascii_tolower(rcpt[i]);
	hmac_sha256_set_key(&ctx, key->len, key->secret);
	hmac_sha256_update(&ctx, sizeof(MAC_DOMAIN), (const uint8_t *)MAC_DOMAIN);
	hmac_sha256_update(&ctx, TIME_DIGITS, (const uint8_t *)digits);
	hmac_sha256_update(&ctx, 1, (const uint8_t *)"");
	hmac_sha256_update(&ctx, n, (const uint8_t *)lower);
	hmac_sha256_digest(&ctx, sizeof(full), full);
	memcpy(out, full, MAC_BYTES);
	explicit_bzero(&ctx, sizeof(ctx));
	explicit_bzero(full, sizeof(full));
}

/* 10 bytes as 16 base32 characters (RFC 4648 alphabet, lower case). */
static void base32_encode(const unsigned char in[MAC_BYTES], char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < MAC_BYTES; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = base32[(acc >> bits) & 31];
		}
	}
}

/* The reverse; false on a character outside the alphabet. */
static bool base32_decode(const char *in, unsigned char out[MAC_BYTES])
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < MAC_CHARS; i++) {
		char c = rebound_ascii_tolower(in[i]);
		const char *p = c != '\0' ? strchr(base32, c) : NULL;
		if (p == NULL)
			return false;
		acc = (acc << 5) | (unsigned)(p - base32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return true;
}

int rebound_verp_tag(const rebound_verp_key *key, const char *recipient,
		     int64_t now, char *out, size_t outlen)
{
	unsigned char m[MAC_BYTES];
	char digits[TIME_DIGITS + 1];

	if (outlen <= REBOUND_VERP_TAG_LEN || key->len == 0 ||
	    !recipient_ok(recipient) || now < 0 || now > 0xffffffffLL)
		return -1;
	snprintf(digits, sizeof(digits), "%08lx", (unsigned long)now);
	mac(key, digits, recipient, m);
	memcpy(out, TAG_PREFIX, 3);
	memcpy(out + 3, digits, TIME_DIGITS);
	base32_encode(m, out + 3 + TIME_DIGITS);
	out[3 + TIME_DIGITS + MAC_CHARS] = '=';
	out[REBOUND_VERP_TAG_LEN] = '\0';
	explicit_bzero(m, sizeof(m));
	return 0;
}

/* Does s start like a tag?  (The rest is checked where it is read.) */
static bool tag_prefix(const char *s)
{
	return rebound_ascii_nieq(s, TAG_PREFIX, 3);
}

/* ---- the VERP layout ------------------------------------------------ */

typedef struct layout {
	char sep1, sep2;	/* after LOCAL, between RCPTLOCAL and RCPTDOMAIN */
} layout;

/* The separators of "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN", read as the
 * classifier reads them (classify.c). */
static bool parse_format(const char *fmt, layout *l)
{
	if (fmt == NULL)
		fmt = "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN";
	const char *p1 = strstr(fmt, "LOCAL");
	const char *p2 = strstr(fmt, "RCPTLOCAL");
	const char *p3 = strstr(fmt, "RCPTDOMAIN");
	if (p1 == NULL || p2 == NULL || p3 == NULL || p2 != p1 + 6 ||
	    p3 <= p2 + 9)
		return false;
	l->sep1 = p1[5];
	l->sep2 = p2[9];
	/* '@' cannot separate, and the tag ends in '='. */
	return l->sep1 != '@' && l->sep2 != '@' && l->sep1 != '=' &&
	       l->sep1 != '\0' && l->sep2 != '\0';
}

/* The recipient of an unsigned VERP address: after the first sep1, up
 * to the last sep2 before the last '@'.  False when there is none. */
static bool decode_recipient(const char *addr, const layout *l, char *out,
			     size_t outlen)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return false;
	const char *s1 = memchr(addr, l->sep1, (size_t)(at - addr));
	if (s1 == NULL)
		return false;
	const char *s2 = NULL;
	for (const char *q = at - 1; q > s1; q--)
		if (*q == l->sep2) {
			s2 = q;
			break;
		}
	if (s2 == NULL || s2 == s1 + 1 || s2 + 1 == at)
		return false;
	int n = snprintf(out, outlen, "%.*s@%.*s", (int)(s2 - s1 - 1), s1 + 1,
			 (int)(at - s2 - 1), s2 + 1);
	if (n < 0 || (size_t)n >= outlen || !rebound_address_valid(out)) {
		out[0] = '\0';
		return false;
	}
	return true;
}

int rebound_verp_sign(const rebound_verp_key *key, const char *format,
		      const char *return_path, const char *recipient,
		      int64_t now, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	layout l;
	char tag[REBOUND_VERP_TAG_LEN + 1];

	if (!parse_format(format, &l)) {
		return rebound_error(err, errlen,
				     "VERP format '%s' is not "
				     "LOCAL%cRCPTLOCAL%cRCPTDOMAIN@DOMAIN with "
				     "two separators other than '@' (and '=' "
				     "after LOCAL)",
				     format != NULL ? format : "", '+', '=');
	}
	if (!recipient_ok(recipient)) {
		return rebound_error(err, errlen,
				     "'%s' is not a recipient address",
				     recipient != NULL ? recipient : "");
	}
	const char *rp = return_path != NULL ? return_path : "";
	/* Sign afresh: drop an old tag and an old VERP part. */
	if (tag_prefix(rp) && strlen(rp) > REBOUND_VERP_TAG_LEN &&
	    rp[REBOUND_VERP_TAG_LEN - 1] == '=')
		rp += REBOUND_VERP_TAG_LEN;
	const char *at = strrchr(rp, '@');
	if (at == NULL || at == rp || at[1] == '\0') {
		return rebound_error(err, errlen,
				     "'%s' is not a return path (LOCAL@DOMAIN)",
				     return_path != NULL ? return_path : "");
	}
	size_t local = (size_t)(at - rp);
	const char *s1 = memchr(rp, l.sep1, local);
	if (s1 != NULL)
		local = (size_t)(s1 - rp);
	if (local == 0) {
		return rebound_error(err, errlen,
				     "'%s' has no local part before '%c'",
				     return_path, l.sep1);
	}
	if (rebound_verp_tag(key, recipient, now, tag, sizeof(tag)) != 0) {
		return rebound_error(err, errlen, "cannot sign at time %lld",
				     (long long)now);
	}
	/* The reader takes the last sep2 before the '@': one in the domain
	   (a domain literal may hold anything) would move the split. */
	const char *ra = strrchr(recipient, '@');
	if (strchr(ra + 1, l.sep2) != NULL) {
		return rebound_error(err, errlen,
				     "cannot sign for '%s': '%c' in its domain",
				     recipient, l.sep2);
	}
	int n = snprintf(out, outlen, "%s%.*s%c%.*s%c%s@%s", tag, (int)local,
			 rp, l.sep1, (int)(ra - recipient), recipient, l.sep2,
			 ra + 1, at + 1);
	if (n < 0 || (size_t)n >= outlen) {
		rebound_error(err, errlen,
			      "the signed return path is too long");
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

const char *rebound_verp_status_name(rebound_verp_status s)
{
	switch (s) {
	case REBOUND_VERP_VALID: return "valid";
	case REBOUND_VERP_UNSIGNED: return "unsigned";
	case REBOUND_VERP_MALFORMED: return "malformed";
	case REBOUND_VERP_BAD_SIGNATURE: return "bad-signature";
	case REBOUND_VERP_EXPIRED: return "expired";
	case REBOUND_VERP_FUTURE: return "future";
	}
	return "unknown";
}

static bool hex_time(const char *s, int64_t *t)
{
	int64_t v = 0;
	for (size_t i = 0; i < TIME_DIGITS; i++) {
		char c = rebound_ascii_tolower(s[i]);
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		v = v * 16 + d;
	}
	*t = v;
	return true;
}

rebound_verp_status rebound_verp_verify(const rebound_verp_key *key,
					const char *format,
					const char *address, int64_t now,
					int64_t max_age_seconds,
					rebound_verp_check *out)
{
	layout l;
	const char *a = address != NULL ? address : "";

	memset(out, 0, sizeof(*out));
	if (!parse_format(format, &l)) {
		out->status = REBOUND_VERP_MALFORMED;
		return out->status;
	}
	if (!tag_prefix(a)) {
		decode_recipient(a, &l, out->recipient, sizeof(out->recipient));
		out->status = REBOUND_VERP_UNSIGNED;
		return out->status;
	}
	size_t len = strlen(a);
	unsigned char got[MAC_BYTES], want[MAC_BYTES];
	char digits[TIME_DIGITS];
	if (len <= REBOUND_VERP_TAG_LEN || a[REBOUND_VERP_TAG_LEN - 1] != '=' ||
	    !hex_time(a + 3, &out->signed_at) ||
	    !base32_decode(a + 3 + TIME_DIGITS, got)) {
		out->signed_at = 0;
		out->status = REBOUND_VERP_MALFORMED;
		return out->status;
	}
	if (!decode_recipient(a + REBOUND_VERP_TAG_LEN, &l, out->recipient,
			      sizeof(out->recipient)) ||
	    key == NULL || key->len == 0) {
		out->status = REBOUND_VERP_MALFORMED;
		return out->status;
	}
	for (size_t i = 0; i < TIME_DIGITS; i++)
		digits[i] = rebound_ascii_tolower(a[3 + i]);
	mac(key, digits, out->recipient, want);
	bool same = memeql_sec(got, want, MAC_BYTES);
	explicit_bzero(want, sizeof(want));
	if (!same)
		out->status = REBOUND_VERP_BAD_SIGNATURE;
	else if (out->signed_at > now + REBOUND_VERP_SKEW)
		out->status = REBOUND_VERP_FUTURE;
	else if (now - out->signed_at >
		 (max_age_seconds > 0 ? max_age_seconds : REBOUND_VERP_MAX_AGE))
		out->status = REBOUND_VERP_EXPIRED;
	else
		out->status = REBOUND_VERP_VALID;
	return out->status;
}
