/* printable.c - the one escape for addresses and terminal text (see
 * printable.h). */
#include "printable.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0..len) and its code point,
 * or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* A character a terminal would act on instead of showing. */
static bool hidden(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t rebound_printable(const char *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;
	char esc[8];
	while (i < len) {
		uint32_t c = 0;
		size_t n = utf8_seq(p + i, len - i, &c);
		const char *put = (const char *)p + i;
		size_t k = n;
		if (n == 0 || (n == 1 && hidden(c))) {
			unsigned b = p[i];
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[b >> 4];
			esc[3] = hex[b & 15];
			put = esc;
			k = 4;
			n = 1;
		} else if (hidden(c)) {
			esc[0] = '\\';
			esc[1] = 'u';
			for (int d = 0; d < 4; d++)
				esc[2 + d] = hex[(c >> (12 - 4 * d)) & 15];
			put = esc;
			k = 6;
		}
		for (size_t j = 0; j < k; j++, o++)
			if (o + 1 < size)
				out[o] = put[j];
		i += n;
	}
	if (size > 0)
		out[o < size ? o : size - 1] = '\0';
	return o;
}

bool rebound_printable_already(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		/* Printable ASCII, what nearly every address is made of. */
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		uint32_t c = 0;
		size_t n = utf8_seq(p + i, len - i, &c);
		if (n == 0 || hidden(c))
			return false;
		i += n;
	}
	return true;
}

char *rebound_printable_dup(rebound_arena *arena, char *s)
{
	size_t len = strlen(s);
	if (rebound_printable_already(s, len))
		return s;
	size_t need = rebound_printable(s, len, NULL, 0);
	char *out = rebound_arena_alloc(arena, need + 1);
	if (out != NULL)
		rebound_printable(s, len, out, need + 1);
	return out;
}
