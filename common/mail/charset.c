/* charset.c - conversion of declared or guessed charsets to UTF-8. */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "message.h"
#include "strutil.h"

/* ---- ASCII and UTF-8 ------------------------------------------------ */

bool rebound_is_ascii(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint64_t acc = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, p + i, 8);
		memcpy(&w1, p + i + 8, 8);
		memcpy(&w2, p + i + 16, 8);
		memcpy(&w3, p + i + 24, 8);
		if ((w0 | w1 | w2 | w3) & 0x8080808080808080ull)
			return false;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	if (acc & 0x8080808080808080ull)
		return false;
	for (; i < len; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

/* Length of the valid UTF-8 sequence at p[0..n) (n > 0, p[0] >= 0x80),
 * or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c >= 0xC2 && c <= 0xDF) {
		if (n >= 2 && (p[1] & 0xC0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;	/* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

bool rebound_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x80) {
			/* Skip ASCII runs a word at a time. */
			while (i + 8 <= len) {
				uint64_t w;
				memcpy(&w, p + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			while (i < len && p[i] < 0x80)
				i++;
			continue;
		}
		size_t k = utf8_seq(p + i, len - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Copy UTF-8 with invalid bytes replaced by U+FFFD; out holds 3*len+1.
 * Returns the output length; *bad set when something was replaced. */
static size_t utf8_sanitize(const char *s, size_t len, char *out, bool *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && p[i] < 0x80)
			i++;
		while (i < len && p[i] >= 0x80) {
			size_t k = utf8_seq(p + i, len - i);
			if (k == 0)
				break;
			i += k;
		}
		if (i > start) {
			memcpy(out + o, s + start, i - start);
			o += i - start;
		}
		if (i < len && p[i] >= 0x80) {
			out[o++] = (char)0xEF;
			out[o++] = (char)0xBF;
			out[o++] = (char)0xBD;
			i++;
			*bad = true;
		}
	}
	return o;
}

/* ---- charset names -------------------------------------------------- */

struct alias {
	const char *name;	/* lower case */
	const char *iconv;
};

/* Names that need mapping; anything else is tried with iconv as given. */
static const struct alias aliases[] = {
	{ "us-ascii", "US-ASCII" },
	{ "ascii", "US-ASCII" },
	{ "ansi_x3.4-1968", "US-ASCII" },
	{ "iso646-us", "US-ASCII" },
	{ "7bit", "US-ASCII" },
	{ "utf-8", "UTF-8" },
	{ "utf8", "UTF-8" },
	{ "x-unicode-2-0-utf-8", "UTF-8" },
	{ "unicode-1-1-utf-8", "UTF-8" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "sjis", "CP932" },
	{ "ms_kanji", "CP932" },
	{ "csshiftjis", "CP932" },
	{ "windows-31j", "CP932" },
	{ "cp932", "CP932" },
	{ "ms932", "CP932" },
	{ "x-ms-cp932", "CP932" },
	{ "iso-2022-jp", "ISO-2022-JP" },
	{ "csiso2022jp", "ISO-2022-JP" },
	{ "iso-2022-jp-1", "ISO-2022-JP" },
	{ "iso-2022-jp-2", "ISO-2022-JP-2" },
	{ "iso-2022-jp-3", "ISO-2022-JP-3" },
	{ "euc-jp", "EUC-JP-MS" },
	{ "eucjp", "EUC-JP-MS" },
	{ "x-euc-jp", "EUC-JP-MS" },
	{ "cseucpkdfmtjapanese", "EUC-JP-MS" },
	/* Latin-1 as labelled in mail is windows-1252 in practice. */
	{ "iso-8859-1", "CP1252" },
	{ "iso8859-1", "CP1252" },
	{ "iso_8859-1", "CP1252" },
	{ "latin1", "CP1252" },
	{ "l1", "CP1252" },
	{ "x-user-defined", "CP1252" },
	{ "windows-1252", "CP1252" },
	{ "cp1252", "CP1252" },
	{ "x-cp1252", "CP1252" },
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "cp936", "GB18030" },
	{ "euc-cn", "GB18030" },
	{ "csgb2312", "GB18030" },
	{ "gb18030", "GB18030" },
	{ "big5", "BIG5-HKSCS" },
	{ "big5-hkscs", "BIG5-HKSCS" },
	{ "x-x-big5", "BIG5-HKSCS" },
	{ "cn-big5", "BIG5-HKSCS" },
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" },
	{ "euc-kr", "CP949" },
	{ "euckr", "CP949" },
	{ "cp949", "CP949" },
	{ "x-windows-949", "CP949" },
	{ "unicode", "UTF-16" },
	{ "ucs-2", "UTF-16" },
	{ "tis-620", "CP874" },
	{ "windows-874", "CP874" },
	{ "iso-8859-11", "CP874" },
	{ "x-mac-roman", "MACINTOSH" },
	{ "macintosh", "MACINTOSH" },
	{ "default", NULL },
	{ "unknown", NULL },
	{ "unknown-8bit", NULL },
	{ "x-unknown", NULL },
};

/* Lower-case, unquoted, trimmed copy of a charset name into buf (size
 * bufsize); false when empty, too long or not a plausible name. */
static bool clean_name(const char *name, char *buf, size_t bufsize)
{
	const char *s = name;
	size_t len = strlen(s);
	rebound_trim(&s, &len);
	while (len > 0 && (s[0] == '"' || s[0] == '\'')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == '"' || s[len - 1] == '\''))
		len--;
	if (len == 0 || len >= bufsize)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = rebound_ascii_tolower(s[i]);
		if (!((c >= 'a' && c <= 'z') || rebound_is_digit(c) ||
		      c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
			return false;
		buf[i] = c;
	}
	buf[len] = '\0';
	return true;
}

/* Static storage for names passed through to iconv. */
static char passthrough_name[64];

const char *rebound_charset_canonical(const char *charset)
{
	char buf[64];
	if (charset == NULL || !clean_name(charset, buf, sizeof(buf)))
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(buf, aliases[i].name) == 0)
			return aliases[i].iconv;
	/* "windows-1250" etc.: glibc knows them; iconv_open decides. */
	size_t n = strlen(buf);
	for (size_t i = 0; i < n; i++)
		passthrough_name[i] = (buf[i] >= 'a' && buf[i] <= 'z') ?
			(char)(buf[i] - 32) : buf[i];
	passthrough_name[n] = '\0';
	return passthrough_name;
}

/* ---- iconv descriptor cache ----------------------------------------- */

#define CD_CACHE 8

struct cd_entry {
	char name[64];
	iconv_t cd;		/* (iconv_t)-1 for a name iconv refused */
	unsigned long stamp;
	bool used;
};

static struct cd_entry cd_cache[CD_CACHE];
static unsigned long cd_clock;

/* A reset descriptor converting `name` to UTF-8, or (iconv_t)-1. */
static iconv_t get_cd(const char *name)
{
	struct cd_entry *victim = &cd_cache[0];
	for (size_t i = 0; i < CD_CACHE; i++) {
		struct cd_entry *e = &cd_cache[i];
		if (e->used && strcmp(e->name, name) == 0) {
			e->stamp = ++cd_clock;
			if (e->cd != (iconv_t)-1)
				iconv(e->cd, NULL, NULL, NULL, NULL);
			return e->cd;
		}
		if (!e->used)
			victim = e;
		else if (victim->used && e->stamp < victim->stamp)
			victim = e;
	}
	/* Check the name before evicting: a victim left marked used with a
	   closed descriptor would be handed out again. */
	size_t n = strlen(name);
	if (n >= sizeof(victim->name))
		return (iconv_t)-1;
	if (victim->used && victim->cd != (iconv_t)-1)
		iconv_close(victim->cd);
	memcpy(victim->name, name, n + 1);
	victim->cd = iconv_open("UTF-8", name);
	victim->used = true;
	victim->stamp = ++cd_clock;
	return victim->cd;
}

void rebound_charset_cleanup(void)
{
	for (size_t i = 0; i < CD_CACHE; i++) {
		if (cd_cache[i].used && cd_cache[i].cd != (iconv_t)-1)
			iconv_close(cd_cache[i].cd);
		cd_cache[i].used = false;
	}
}

/* ---- conversion ----------------------------------------------------- */

static char empty_string[1];

struct outbuf {
	rebound_arena *arena;
	char *buf;
	size_t cap;		/* bytes usable (one more kept for NUL) */
	size_t len;
	bool oom;
};

static bool out_reserve(struct outbuf *o, size_t more)
{
	if (o->oom)
		return false;
	if (o->cap - o->len >= more)
		return true;
	size_t ncap = o->cap * 2;
	if (ncap < o->len + more)
		ncap = o->len + more;
	char *nb = rebound_arena_alloc(o->arena, ncap + 1);
	if (nb == NULL) {
		o->oom = true;
		return false;
	}
	if (o->len > 0)
		memcpy(nb, o->buf, o->len);
	o->buf = nb;
	o->cap = ncap;
	return true;
}

static void out_fffd(struct outbuf *o)
{
	if (!out_reserve(o, 3))
		return;
	o->buf[o->len++] = (char)0xEF;
	o->buf[o->len++] = (char)0xBF;
	o->buf[o->len++] = (char)0xBD;
}

/* Convert with iconv into o; invalid input becomes U+FFFD. */
static void iconv_convert(iconv_t cd, const char *in, size_t len,
			  struct outbuf *o, bool *bad)
{
	char *ip = (char *)in;
	size_t inleft = len;
	bool flushing = len == 0;

	for (;;) {
		if (!out_reserve(o, 16))
			return;
		char *op = o->buf + o->len;
		size_t outleft = o->cap - o->len;
		size_t r = flushing ?
			iconv(cd, NULL, NULL, &op, &outleft) :
			iconv(cd, &ip, &inleft, &op, &outleft);
		int err = errno;
		o->len = (size_t)(op - o->buf);
		if (r != (size_t)-1) {
			if (flushing)
				return;
			if (inleft == 0)
				flushing = true;
			continue;
		}
		if (err == E2BIG) {
			if (!out_reserve(o, o->cap > 64 ? o->cap : 64))
				return;
			continue;
		}
		if (flushing)
			return;
		*bad = true;
		if (err == EILSEQ && inleft > 0) {
			out_fffd(o);
			ip++;
			inleft--;
			if (inleft == 0)
				flushing = true;
			continue;
		}
		/* EINVAL (truncated sequence at the end) or anything else. */
		out_fffd(o);
		return;
	}
}

/* ISO-2022-JP to Shift_JIS bytes (then converted as CP932, which knows
 * the NEC and IBM extensions that real ISO-2022-JP mail carries).  out
 * holds len bytes.  Returns false when an escape for a set CP932 cannot
 * hold (JIS X 0212, Chinese, Korean) appears. */
static bool iso2022jp_to_sjis(const unsigned char *in, size_t len,
			      unsigned char *out, size_t *outlen)
{
	enum { ASCII, KANJI, KANA } state = ASCII;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = in[i];
		if (c == 0x1B) {
			if (i + 2 < len && in[i + 1] == '(' &&
			    (in[i + 2] == 'B' || in[i + 2] == 'J' ||
			     in[i + 2] == 'H')) {
				state = ASCII;
				i += 3;
			} else if (i + 2 < len && in[i + 1] == '(' &&
				   in[i + 2] == 'I') {
				state = KANA;
				i += 3;
			} else if (i + 2 < len && in[i + 1] == '$' &&
				   (in[i + 2] == 'B' || in[i + 2] == '@')) {
				state = KANJI;
				i += 3;
			} else if (i + 2 < len && in[i + 1] == '&' &&
				   in[i + 2] == '@') {
				i += 3;	/* JIS X 0208-1990 announcer */
			} else if (i + 1 < len &&
				   (in[i + 1] == '$' || in[i + 1] == '.' ||
				    in[i + 1] == 'N')) {
				return false;
			} else {
				out[o++] = 0xFF;	/* invalid in CP932 */
				i++;
			}
			continue;
		}
		if (c == 0x0E) {	/* SO: JIS7 katakana */
			state = KANA;
			i++;
			continue;
		}
		if (c == 0x0F) {
			state = ASCII;
			i++;
			continue;
		}
		if (c == '\n' || c == '\r') {
			state = ASCII;	/* tolerate a missing ESC ( B */
			out[o++] = c;
			i++;
			continue;
		}
		if (state == KANJI && c >= 0x21 && c <= 0x7E) {
			if (i + 1 >= len || in[i + 1] < 0x21 ||
			    in[i + 1] > 0x7E) {
				out[o++] = 0xFF;
				i++;
				continue;
			}
			unsigned j1 = c, j2 = in[i + 1];
			unsigned s1 = ((j1 + 1) >> 1) +
				      (j1 <= 0x5E ? 0x70 : 0xB0);
			unsigned s2;
			if (j1 & 1)
				s2 = j2 + (j2 >= 0x60 ? 0x20 : 0x1F);
			else
				s2 = j2 + 0x7E;
			out[o++] = (unsigned char)s1;
			out[o++] = (unsigned char)s2;
			i += 2;
			continue;
		}
		if (state == KANA && c >= 0x21 && c <= 0x5F) {
			out[o++] = (unsigned char)(c + 0x80);
			i++;
			continue;
		}
		/* ASCII, or 8-bit junk passed on for iconv to judge (and
		   sjis lead bytes in 8-bit "JIS" mail, which do happen). */
		out[o++] = c;
		i++;
	}
	*outlen = o;
	return true;
}

/* ---- guessing ------------------------------------------------------- */

static bool has_iso2022jp_escape(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	while ((p = memchr(p, 0x1B, (size_t)(end - p))) != NULL) {
		if (end - p >= 3 &&
		    ((p[1] == '$' && (p[2] == 'B' || p[2] == '@')) ||
		     (p[1] == '(' && (p[2] == 'B' || p[2] == 'J' ||
				      p[2] == 'I'))))
			return true;
		p++;
	}
	return false;
}

/* Does it read as Shift_JIS (CP932)?  Needs no invalid sequence, at least
 * one double-byte character, and few pairs that look like a Latin-1
 * letter followed by an ASCII letter. */
static bool looks_sjis(const unsigned char *p, size_t len)
{
	size_t pairs = 0, suspicious = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c < 0x80 || (c >= 0xA1 && c <= 0xDF))
			continue;
		if ((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) {
			if (i + 1 >= len)
				return false;
			unsigned char t = p[i + 1];
			if (!((t >= 0x40 && t <= 0x7E) ||
			      (t >= 0x80 && t <= 0xFC)))
				return false;
			pairs++;
			if (c >= 0xE0 && t < 0x80 &&
			    ((t | 0x20) >= 'a' && (t | 0x20) <= 'z'))
				suspicious++;
			i++;
			continue;
		}
		return false;
	}
	return pairs > 0 && suspicious * 2 < pairs;
}

static bool looks_eucjp(const unsigned char *p, size_t len)
{
	size_t pairs = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c < 0x80)
			continue;
		if (c == 0x8E) {
			if (i + 1 >= len || p[i + 1] < 0xA1 || p[i + 1] > 0xDF)
				return false;
			i++;
			pairs++;
			continue;
		}
		if (c == 0x8F) {
			if (i + 2 >= len || p[i + 1] < 0xA1 ||
			    p[i + 2] < 0xA1 || p[i + 1] == 0xFF ||
			    p[i + 2] == 0xFF)
				return false;
			i += 2;
			pairs++;
			continue;
		}
		if (c >= 0xA1 && c <= 0xFE) {
			if (i + 1 >= len || p[i + 1] < 0xA1 || p[i + 1] == 0xFF)
				return false;
			i++;
			pairs++;
			continue;
		}
		return false;
	}
	return pairs > 0;
}

/* Bytes in 0x80..0xA0 other than the EUC single shifts: Shift_JIS lead
 * bytes that EUC-JP never uses. */
static bool has_sjis_only_bytes(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 0x80 && p[i] <= 0xA0 && p[i] != 0x8E &&
		    p[i] != 0x8F)
			return true;
	return false;
}

const char *rebound_charset_guess(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	bool ascii = rebound_is_ascii(in, len);
	if (ascii)
		return has_iso2022jp_escape(in, len) ? "ISO-2022-JP" :
						       "US-ASCII";
	if (rebound_utf8_valid(in, len))
		return "UTF-8";
	bool sjis = looks_sjis(p, len);
	bool euc = looks_eucjp(p, len);
	if (sjis && euc)
		return has_sjis_only_bytes(p, len) ? "CP932" : "EUC-JP-MS";
	if (sjis)
		return "CP932";
	if (euc)
		return "EUC-JP-MS";
	return "CP1252";
}

static unsigned finish(struct outbuf *o, char **out, size_t *outlen,
		       bool bad)
{
	unsigned flags = bad ? REBOUND_MSG_BAD_CHARSET : 0;
	if (o->oom || o->buf == NULL) {
		empty_string[0] = '\0';
		*out = empty_string;
		*outlen = 0;
		return flags | REBOUND_MSG_OUT_OF_MEMORY;
	}
	o->buf[o->len] = '\0';
	*out = o->buf;
	*outlen = o->len;
	return flags;
}

static unsigned convert_named(rebound_arena *arena, const char *name,
			      const char *in, size_t len, char **out,
			      size_t *outlen, bool bad)
{
	struct outbuf o = { arena, NULL, 0, 0, false };

	if (len > (SIZE_MAX - 64) / 3) {
		o.oom = true;
		return finish(&o, out, outlen, bad);
	}
	if (strcmp(name, "US-ASCII") == 0 && rebound_is_ascii(in, len)) {
		o.buf = rebound_arena_alloc(arena, len + 1);
		o.oom = o.buf == NULL;
		if (o.buf != NULL && len > 0)
			memcpy(o.buf, in, len);
		o.len = len;
		return finish(&o, out, outlen, bad);
	}
	if (strcmp(name, "UTF-8") == 0 || strcmp(name, "US-ASCII") == 0) {
		if (rebound_utf8_valid(in, len)) {
			o.buf = rebound_arena_alloc(arena, len + 1);
			o.oom = o.buf == NULL;
			if (o.buf != NULL && len > 0)
				memcpy(o.buf, in, len);
			o.len = len;
			return finish(&o, out, outlen, bad);
		}
		if (strcmp(name, "US-ASCII") == 0) {
			/* Declared ASCII but 8-bit: guess instead. */
			const char *g = rebound_charset_guess(in, len);
			return convert_named(arena, g, in, len, out, outlen,
					     true);
		}
		o.buf = rebound_arena_alloc(arena, 3 * len + 1);
		o.oom = o.buf == NULL;
		o.cap = 3 * len;
		if (o.buf != NULL)
			o.len = utf8_sanitize(in, len, o.buf, &bad);
		return finish(&o, out, outlen, bad);
	}
	/* ASCII-compatible charsets need no iconv for pure ASCII input;
	   ISO-2022 is 7-bit too, but then there must be no ESC/SO. */
	bool ascii_compatible = strncmp(name, "UTF-16", 6) != 0 &&
				strncmp(name, "UTF-32", 6) != 0 &&
				strncmp(name, "UCS", 3) != 0 &&
				strcmp(name, "UTF-7") != 0 &&
				strncmp(name, "HZ", 2) != 0;
	if (ascii_compatible && rebound_is_ascii(in, len) &&
	    memchr(in, 0x1B, len) == NULL && memchr(in, 0x0E, len) == NULL) {
		o.buf = rebound_arena_alloc(arena, len + 1);
		o.oom = o.buf == NULL;
		if (o.buf != NULL && len > 0)
			memcpy(o.buf, in, len);
		o.len = len;
		return finish(&o, out, outlen, bad);
	}

	o.cap = 3 * len + 16;
	o.buf = rebound_arena_alloc(arena, o.cap + 1);
	if (o.buf == NULL) {
		o.oom = true;
		return finish(&o, out, outlen, bad);
	}
	if (strcmp(name, "ISO-2022-JP") == 0) {
		unsigned char *sj = rebound_arena_alloc(arena, len + 1);
		size_t sjlen = 0;
		if (sj != NULL &&
		    iso2022jp_to_sjis((const unsigned char *)in, len, sj,
				      &sjlen)) {
			iconv_t cd = get_cd("CP932");
			if (cd != (iconv_t)-1) {
				iconv_convert(cd, (const char *)sj, sjlen, &o,
					      &bad);
				return finish(&o, out, outlen, bad);
			}
		}
		name = "ISO-2022-JP-2";
	}
	iconv_t cd = get_cd(name);
	if (cd == (iconv_t)-1) {
		/* Unknown to iconv: guess from the bytes. */
		const char *g = rebound_charset_guess(in, len);
		if (strcmp(g, name) == 0 || get_cd(g) == (iconv_t)-1) {
			o.len = utf8_sanitize(in, len, o.buf, &bad);
			return finish(&o, out, outlen, true);
		}
		return convert_named(arena, g, in, len, out, outlen, true);
	}
	iconv_convert(cd, in, len, &o, &bad);
	return finish(&o, out, outlen, bad);
}

unsigned rebound_charset_to_utf8(rebound_arena *arena, const char *charset,
				 const char *in, size_t len, char **out,
				 size_t *outlen)
{
	bool bad = false;
	const char *name = NULL;

	if (charset != NULL && charset[0] != '\0') {
		name = rebound_charset_canonical(charset);
		if (name == NULL)
			bad = true;	/* unknown or "unknown-8bit" */
	}
	if (name == NULL) {
		if (rebound_is_ascii(in, len) && !has_iso2022jp_escape(in, len))
			name = "US-ASCII";
		else
			name = rebound_charset_guess(in, len);
	}
	/* `name` may point at the static pass-through buffer, which a
	   recursive guess does not overwrite (guesses are constants). */
	char local[64];
	size_t n = strlen(name);
	if (n >= sizeof(local))
		n = sizeof(local) - 1;
	memcpy(local, name, n);
	local[n] = '\0';
	return convert_named(arena, local, in, len, out, outlen, bad);
}
