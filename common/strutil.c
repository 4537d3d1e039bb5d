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
	size_t plen = strlen(prefix);
	return plen <= len && rebound_ascii_nieq(s, prefix, plen);
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
	for (const char *p = hay; p < end; p++) {
		/* Skip quickly to the next possible first byte. */
		const char *a = memchr(p, first_lo, (size_t)(end - p));
		const char *b = first_up != first_lo ?
			memchr(p, first_up, (size_t)(end - p)) : NULL;
		if (a == NULL || (b != NULL && b < a))
			a = b;
		if (a == NULL)
			return NULL;
		if (rebound_ascii_nieq(a + 1, needle + 1, nlen - 1))
			return a;
		p = a;
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
