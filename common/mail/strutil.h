/* strutil.h - small ASCII string helpers shared by the core.
 *
 * Locale-independent (mail headers are ASCII), length-counted where the
 * input is untrusted.  Nothing here allocates.
 */
#ifndef REBOUND_STRUTIL_H
#define REBOUND_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

static inline char rebound_ascii_tolower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool rebound_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool rebound_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static inline bool rebound_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of one hexadecimal digit (either case), or -1. */
static inline int rebound_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The lower-case form of the two-byte UTF-8 capital a,v of Latin-1
 * (U+00C0-U+00DE but the sign U+00D7) or Cyrillic (U+0410-U+042F), into
 * *oa,*ov; false (and nothing written) for any other pair. */
static inline bool rebound_utf8_fold_capital(unsigned char a, unsigned char v,
					     unsigned char *oa,
					     unsigned char *ov)
{
	if (a == 0xc3 && v >= 0x80 && v <= 0x9e && v != 0x97) {
		*oa = a;
		*ov = (unsigned char)(v + 0x20);
		return true;
	}
	if (a == 0xd0 && v >= 0x90 && v <= 0x9f) {	/* А-П -> а-п */
		*oa = 0xd0;
		*ov = (unsigned char)(v + 0x20);
		return true;
	}
	if (a == 0xd0 && v >= 0xa0 && v <= 0xaf) {	/* Р-Я -> р-я */
		*oa = 0xd1;
		*ov = (unsigned char)(v - 0x20);
		return true;
	}
	return false;
}

/* Case-insensitive (ASCII) equality of two NUL-terminated strings. */
bool rebound_ascii_ieq(const char *a, const char *b);
/* Case-insensitive equality of a[0..n) and b[0..n). */
bool rebound_ascii_nieq(const char *a, const char *b, size_t n);
/* Does s[0..len) start with the NUL-terminated prefix (ignoring case)?
 * Most calls (a line tried against a list of words) fail on the first
 * byte: that test is inline, the rest is rebound_ascii_istarts_rest(). */
bool rebound_ascii_istarts_rest(const char *s, size_t len, const char *prefix);
static inline bool rebound_ascii_istarts(const char *s, size_t len,
					 const char *prefix)
{
	if (prefix[0] == '\0')
		return true;
	if (len == 0 ||
	    rebound_ascii_tolower(s[0]) != rebound_ascii_tolower(prefix[0]))
		return false;
	return rebound_ascii_istarts_rest(s + 1, len - 1, prefix + 1);
}
/* First case-insensitive occurrence of needle in hay[0..hlen), or NULL. */
const char *rebound_memcasemem(const char *hay, size_t hlen,
			       const char *needle, size_t nlen);
/* Lower-case s in place (ASCII letters only); returns s. */
char *rebound_ascii_lower(char *s);
/* Move *s forward and shrink *len past leading and trailing white space. */
void rebound_trim(const char **s, size_t *len);

#endif
