/* strutil.c - small ASCII string helpers shared by the core. */
#include "strutil.h"

#include <string.h>

bool rebound_ascii_ieq(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (rebound_ascii_tolower(*a) != rebound_ascii_tolower(*b))
			return false;
		if (*a == '\0')
			return true;
	}
}

bool rebound_ascii_nieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rebound_ascii_tolower(a[i]) != rebound_ascii_tolower(b[i]))
			return false;
	return true;
}

bool rebound_ascii_istarts(const char *s, size_t len, const char *prefix)
{
	/* One pass, no strlen: most calls fail on the first byte. */
	size_t i = 0;
	for (; prefix[i] != '\0'; i++)
		if (i == len || rebound_ascii_tolower(s[i]) !=
					rebound_ascii_tolower(prefix[i]))
			return false;
	return true;
}

const char *rebound_memcasemem(const char *hay, size_t hlen,
			       const char *needle, size_t nlen)
{
	if (nlen == 0)
		return hay;
	if (nlen > hlen)
		return NULL;
	char first_lo = rebound_ascii_tolower(needle[0]);
	char first_up = (first_lo >= 'a' && first_lo <= 'z') ?
				(char)(first_lo - 32) : first_lo;
	const char *end = hay + (hlen - nlen) + 1;
	/* The next occurrence of each case of the first byte, searched again
	   only once passed, so the scan stays linear. */
	const char *next_lo = memchr(hay, first_lo, (size_t)(end - hay));
	const char *next_up = first_up != first_lo ?
		memchr(hay, first_up, (size_t)(end - hay)) : NULL;
	while (next_lo != NULL || next_up != NULL) {
		const char *a = next_lo;
		if (a == NULL || (next_up != NULL && next_up < a))
			a = next_up;
		if (rebound_ascii_nieq(a + 1, needle + 1, nlen - 1))
			return a;
		if (a == next_lo)
			next_lo = a + 1 < end ?
				memchr(a + 1, first_lo, (size_t)(end - a - 1)) : NULL;
		else
			next_up = a + 1 < end ?
				memchr(a + 1, first_up, (size_t)(end - a - 1)) : NULL;
	}
	return NULL;
}

char *rebound_ascii_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = rebound_ascii_tolower(*p);
	return s;
}

void rebound_trim(const char **s, size_t *len)
{
	while (*len > 0 && rebound_is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && rebound_is_space((*s)[*len - 1]))
		(*len)--;
}
