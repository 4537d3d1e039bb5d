/* strutil.c - small ASCII string helpers shared by the core. */
#include "strutil.h"
#include "vec16.h"

#include <stdint.h>
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
	/* Most pairs are written alike (a header name as the code spells
	   it): 8 bytes are compared as they are, folded only if they
	   differ. */
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x == y)
			continue;
		for (size_t k = i; k < i + 8; k++)
			if (rebound_ascii_tolower(a[k]) != rebound_ascii_tolower(b[k]))
				return false;
	}
	for (; i < n; i++)
		if (rebound_ascii_tolower(a[i]) != rebound_ascii_tolower(b[i]))
			return false;
	return true;
}

bool rebound_ascii_istarts_rest(const char *s, size_t len, const char *prefix)
{
	/* One pass, no strlen. */
	size_t i = 0;
	for (; prefix[i] != '\0'; i++)
		if (i == len || rebound_ascii_tolower(s[i]) !=
					rebound_ascii_tolower(prefix[i]))
			return false;
	return true;
}

/* The bytes that fold: a letter matches either case, so the text's byte
 * is OR-ed with 0x20 before the compare (which also folds a few
 * punctuation bytes together: only a filter, every candidate is checked). */
static inline unsigned char fold_mask(char c)
{
	c = rebound_ascii_tolower(c);
	return (c >= 'a' && c <= 'z') ? 0x20 : 0;
}

const char *rebound_memcasemem(const char *hay, size_t hlen,
			       const char *needle, size_t nlen)
{
	if (nlen == 0)
		return hay;
	if (nlen > hlen)
		return NULL;
	char first = rebound_ascii_tolower(needle[0]);
	char last = rebound_ascii_tolower(needle[nlen - 1]);
	size_t i = 0;
	/* Candidates are the starts where the first and the last byte of
	   the needle both match; a block covers 16 starts and reads up to
	   hay[i + 15 + nlen - 1], so it runs while that is inside. */
	if (hlen - nlen >= 15) {
		rebound_v16 m0, m1, c0, c1;
		unsigned char f0 = fold_mask(first), f1 = fold_mask(last);
		for (int k = 0; k < 16; k++) {
			m0[k] = f0;
			m1[k] = f1;
			c0[k] = (unsigned char)first;
			c1[k] = (unsigned char)last;
		}
		for (; i <= hlen - nlen - 15; i += 16) {
			rebound_v16 eq = ((rebound_v16_load(hay + i) | m0) == c0) &
					 ((rebound_v16_load(hay + i + nlen - 1) | m1) == c1);
			if (!rebound_v16_any(eq))
				continue;
			for (size_t k = 0; k < 16; k++)
				if (eq[k] != 0 &&
				    rebound_ascii_nieq(hay + i + k, needle, nlen))
					return hay + i + k;
		}
	}
	for (; i <= hlen - nlen; i++)
		if (rebound_ascii_tolower(hay[i]) == first &&
		    rebound_ascii_nieq(hay + i, needle, nlen))
			return hay + i;
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
