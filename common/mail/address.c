/* address.c - finding and normalising e-mail addresses in untrusted text. */
#include "address.h"

#include <string.h>

#include "printable.h"
#include "strutil.h"

#define MAX_LOCAL 64
#define MAX_ADDRESS 254

/* The bytes of a local part: letters, digits, RFC 5322's atext signs, the
 * dot, and any byte of a UTF-8 sequence (RFC 6531).  A table: every byte
 * left of each '@' of a notice is tried. */
static const bool local_chars[256] = {
	['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true,
	['\''] = true, ['*'] = true, ['+'] = true, ['-'] = true, ['/'] = true,
	['='] = true, ['?'] = true, ['^'] = true, ['_'] = true, ['`'] = true,
	['{'] = true, ['|'] = true, ['}'] = true, ['~'] = true, ['.'] = true,
	[0x80 ... 0xff] = true,
};

static inline bool is_local_char(char c)
{
	return local_chars[(unsigned char)c];
}

/* Is b[0..3) the UTF-8 form of CJK punctuation that ends a word: the
 * ideographic space and punctuation (U+3000-U+303F: "、", "。", "「",
 * "【") or a fullwidth sign (U+FF01-U+FF0F, U+FF1A-U+FF20, U+FF3B-U+FF40,
 * U+FF5B-U+FF65: "：", "，", "（", "＜")?  Chinese and Japanese notices
 * write "收件人：a@b". */
static inline bool is_cjk_separator(const char *b)
{
	unsigned char c0 = (unsigned char)b[0], c1 = (unsigned char)b[1],
		      c2 = (unsigned char)b[2];
	if (c0 < 0xe3)
		return false;	/* ASCII, what nearly every byte is */
	if (c0 == 0xe3 && c1 == 0x80)
		return c2 >= 0x80 && c2 <= 0xbf;
	if (c0 != 0xef)
		return false;
	if (c1 == 0xbc)		/* U+FF00-U+FF3F */
		return (c2 >= 0x81 && c2 <= 0x8f) ||
		       (c2 >= 0x9a && c2 <= 0xa0) || c2 >= 0xbb;
	if (c1 == 0xbd)		/* U+FF40-U+FF7F */
		return c2 == 0x80 || (c2 >= 0x9b && c2 <= 0xa5);
	return false;
}

static bool is_domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       rebound_is_digit(c) || c == '-' || c == '.' ||
	       (unsigned char)c >= 0x80;
}

/* Check the domain d[0..n): labels, at least one dot or a literal. */
static bool domain_ok(const char *d, size_t n)
{
	if (n == 0)
		return false;
	if (d[0] == '[')
		return n > 2 && d[n - 1] == ']';
	bool dot = false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			dot = true;
			label = 0;
		} else if (!is_domain_char(d[i]))
			return false;
		else
			label++;
	}
	return dot && label > 0;
}

bool rebound_address_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	if (at == NULL || at == s)
		return false;
	size_t llen = (size_t)(at - s), dlen = strlen(at + 1);
	if (llen > MAX_LOCAL || llen + 1 + dlen > MAX_ADDRESS)
		return false;
	for (size_t i = 0; i < llen; i++)
		if (!is_local_char(s[i]))
			return false;
	return domain_ok(at + 1, dlen);
}

char *rebound_address_find(rebound_arena *arena, const char *s, size_t len,
			   size_t *at_out, size_t *span_out)
{
	const char *next;
	for (size_t i = 0;
	     i < len && (next = memchr(s + i, '@', len - i)) != NULL; i++) {
		i = (size_t)(next - s);
		/* Walk left over the local part, right over the domain. */
		size_t l = i;
		while (l > 0 && i - l < MAX_LOCAL && is_local_char(s[l - 1]) &&
		       !(l >= 3 && is_cjk_separator(s + l - 3)))
			l--;
		/* Longer than RFC 5321 allows: not an address, and not its
		   tail either. */
		if (l > 0 && i - l == MAX_LOCAL && is_local_char(s[l - 1]))
			continue;
		/* A local part may be quoted: "a b"@c. */
		if (l == i && i > 0 && s[i - 1] == '"') {
			size_t q = i - 1;
			while (q > 0 && i - q < MAX_LOCAL && s[q - 1] != '"')
				q--;
			if (q > 0)
				l = q - 1;
		}
		size_t r = i + 1;
		if (r < len && s[r] == '[') {
			while (r < len && s[r] != ']' && r - i < 64)
				r++;
			if (r < len)
				r++;
		} else {
			while (r < len && r - i < 255 && is_domain_char(s[r]) &&
			       !(r + 3 <= len && is_cjk_separator(s + r)))
				r++;
		}
		/* Trailing dots and dashes are sentence punctuation, and so
		   are the ideographic and Arabic commas and full stops. */
		for (;;) {
			if (r > i + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) {
				r--;
				continue;
			}
			if (r > i + 2 && (unsigned char)s[r - 2] == 0xd8 &&
			    (unsigned char)s[r - 1] == 0x8c) {
				r -= 2;	/* U+060C */
				continue;
			}
			if (r > i + 3 && is_cjk_separator(s + r - 3)) {
				r -= 3;	/* "、", "。", "：", "）", ... */
				continue;
			}
			break;
		}
		while (l < i && (s[l] == '.' || s[l] == '\''))
			l++;
		if (l == i || r == i + 1)
			continue;
		/* "/home/u/.forward/a@b" is a file's path; an X.400 address
		   ("/C=US/S=Smith/@gw") also starts with '/' but has '='. */
		if (s[l] == '/' && memchr(s + l, '=', i - l) == NULL)
			continue;
		size_t n = r - l;
		char *addr = rebound_arena_strndup(arena, s + l, n);
		if (addr == NULL)
			return NULL;
		/* "mailto:" and "rfc822;" glued to the address. */
		char *start = addr;
		if (rebound_ascii_istarts(start, n, "mailto:"))
			start += 7;
		char *dom = strrchr(start, '@');
		rebound_ascii_lower(dom + 1);
		if (!rebound_address_valid(start))
			continue;
		if (at_out != NULL)
			*at_out = l + (size_t)(start - addr);
		if (span_out != NULL)
			*span_out = n - (size_t)(start - addr);
		/* Its one printable form, the ledger's key (printable.h). */
		return rebound_printable_dup(arena, start);
	}
	return NULL;
}

bool rebound_address_same(const char *a, const char *b)
{
	return a != NULL && b != NULL && rebound_ascii_ieq(a, b);
}

const char *rebound_address_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at != NULL ? at + 1 : "";
}

bool rebound_address_is_system(const char *addr)
{
	static const char *const locals[] = {
		"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon",
		"mdaemon", "root", "nobody", "noreply", "no-reply", "abuse",
	};
	const char *at = strrchr(addr, '@');
	size_t n = at != NULL ? (size_t)(at - addr) : strlen(addr);
	for (size_t i = 0; i < sizeof(locals) / sizeof(*locals); i++)
		if (strlen(locals[i]) == n && rebound_ascii_nieq(addr, locals[i], n))
			return true;
	return false;
}
