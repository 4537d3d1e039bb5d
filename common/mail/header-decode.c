/* header-decode.c - header values: RFC 2047 encoded words to UTF-8 and
 * RFC 2045/2231 parameters of structured fields. */
#include "header-decode.h"

#include <stdint.h>
#include <string.h>

#include "charset.h"
#include "decode.h"
#include "strutil.h"

/* ---- growable output in the arena ----------------------------------- */

struct dbuf {
	rebound_arena *arena;
	char *buf;
	size_t len, cap;
	bool oom;
};

static bool dbuf_reserve(struct dbuf *d, size_t more)
{
	if (d->oom)
		return false;
	if (d->cap - d->len > more)
		return true;
	if (more > SIZE_MAX / 4 - d->len) {
		d->oom = true;
		return false;
	}
	size_t ncap = d->cap * 2;
	if (ncap < d->len + more + 1)
		ncap = d->len + more + 1;
	if (ncap < 64)
		ncap = 64;
	char *nb = rebound_arena_alloc(d->arena, ncap);
	if (nb == NULL) {
		d->oom = true;
		return false;
	}
	if (d->len > 0)
		memcpy(nb, d->buf, d->len);
	d->buf = nb;
	d->cap = ncap;
	return true;
}

static void dbuf_add(struct dbuf *d, const char *s, size_t n)
{
	if (n == 0 || !dbuf_reserve(d, n))
		return;
	memcpy(d->buf + d->len, s, n);
	d->len += n;
}

static char empty_string[1];

static const char *dbuf_finish(struct dbuf *d)
{
	if (d->oom || !dbuf_reserve(d, 0)) {
		empty_string[0] = '\0';
		return empty_string;
	}
	d->buf[d->len] = '\0';
	return d->buf;
}

/* Append bytes that came without a charset label (or with one). */
static void add_converted(struct dbuf *d, const char *charset,
			  const char *s, size_t n)
{
	if (n == 0)
		return;
	if ((charset == NULL || charset[0] == '\0') && rebound_is_ascii(s, n) &&
	    memchr(s, 0x1B, n) == NULL) {
		dbuf_add(d, s, n);
		return;
	}
	char *u;
	size_t ulen;
	rebound_charset_to_utf8(d->arena, charset, s, n, &u, &ulen);
	dbuf_add(d, u, ulen);
}

/* ---- RFC 2047 ------------------------------------------------------- */

#define EW_MAX_CHARSET 64

const char *rebound_header_decode(rebound_arena *arena, const char *value,
				  size_t len)
{
	struct dbuf d = { arena, NULL, 0, 0, false };

	if (value == NULL)
		len = 0;
	/* Fast path: plain ASCII without encoded words. */
	bool has_word = false;
	for (const char *q = value, *end = value + len;
	     q != NULL && q < end;) {
		q = memchr(q, '=', (size_t)(end - q));
		if (q == NULL)
			break;
		if (q + 1 < end && q[1] == '?') {
			has_word = true;
			break;
		}
		q++;
	}
	if (!has_word && rebound_is_ascii(value, len) &&
	    memchr(value, 0x1B, len) == NULL) {
		dbuf_add(&d, value, len);
	} else {
		const char *end = value + len;
		const char *raw = value;	/* start of text not yet out */
		const char *p = value;
		/* Pending decoded bytes of adjacent words in one charset. */
		char *pend = NULL;
		size_t pend_len = 0;
		char pend_cs[EW_MAX_CHARSET + 1] = "";
		/* Cache: the next "?=" or blank at or after stop_from. */
		const char *stop_from = NULL, *stop_at = NULL;
		bool seen_word = false;

		if (len > 0)
			pend = rebound_arena_alloc(arena, len + 4);
		if (pend == NULL)
			d.oom = true;
		while (pend != NULL && p + 1 < end) {
			const char *w = memchr(p, '=', (size_t)(end - p));
			if (w == NULL || w + 1 >= end)
				break;
			if (w[1] != '?') {
				p = w + 1;
				continue;
			}
			/* =?charset?X?text?= */
			const char *cs = w + 2, *q = cs;
			while (q < end && q - cs <= EW_MAX_CHARSET && *q != '?' &&
			       !rebound_is_space(*q))
				q++;
			if (q >= end || *q != '?' || q == cs ||
			    q - cs > EW_MAX_CHARSET || q + 2 >= end ||
			    q[2] != '?') {
				p = w + 1;
				continue;
			}
			char enc = rebound_ascii_tolower(q[1]);
			if (enc != 'b' && enc != 'q') {
				p = w + 1;
				continue;
			}
			const char *text = q + 3;
			const char *stop;
			if (stop_from != NULL && text >= stop_from &&
			    text <= stop_at) {
				stop = stop_at;
			} else {
				stop = text;
				while (stop < end &&
				       !(stop[0] == '?' && stop + 1 < end &&
					 stop[1] == '=') &&
				       !rebound_is_space(*stop))
					stop++;
				stop_from = text;
				stop_at = stop;
			}
			if (stop >= end || *stop != '?') {
				p = w + 1;
				continue;
			}
			/* A valid word [w, stop + 2). */
			size_t cslen = (size_t)(q - cs);
			char csname[EW_MAX_CHARSET + 1];
			memcpy(csname, cs, cslen);
			csname[cslen] = '\0';
			char *star = memchr(csname, '*', cslen);
			if (star != NULL)
				*star = '\0';	/* RFC 2231 language */
			rebound_ascii_lower(csname);

			/* Text before it: dropped when only blanks between
			   two words, else flushed. */
			bool blanks_only = true;
			for (const char *r = raw; r < w; r++)
				if (!rebound_is_space(*r)) {
					blanks_only = false;
					break;
				}
			if (!(seen_word && blanks_only)) {
				add_converted(&d, pend_cs, pend, pend_len);
				pend_len = 0;
				add_converted(&d, NULL, raw, (size_t)(w - raw));
			} else if (strcmp(csname, pend_cs) != 0) {
				add_converted(&d, pend_cs, pend, pend_len);
				pend_len = 0;
			}
			memcpy(pend_cs, csname, strlen(csname) + 1);
			seen_word = true;
			size_t tlen = (size_t)(stop - text);
			bool bad = false;
			/* Decoded size <= tlen; pend holds len + 4. */
			if (enc == 'b') {
				if (pend_len + REBOUND_BASE64_MAX(tlen) <= len + 4)
					pend_len += rebound_base64_decode(
						text, tlen, pend + pend_len,
						&bad);
			} else {
				pend_len += rebound_qp_decode(
					text, tlen, pend + pend_len, true, &bad);
			}
			p = raw = stop + 2;
		}
		add_converted(&d, pend_cs, pend, pend_len);
		add_converted(&d, NULL, raw, (size_t)(end - raw));
	}
	const char *res = dbuf_finish(&d);
	if (res != empty_string) {
		/* A header value is one line of text. */
		for (char *c = d.buf; c < d.buf + d.len; c++)
			if (*c == '\0' || *c == '\r' || *c == '\n')
				*c = ' ';
	}
	return res;
}

/* ---- parameters (RFC 2045 + RFC 2231) ------------------------------- */

#define PARAM_SECTIONS 64	/* at most 64: a bit each in a uint64_t */
_Static_assert(PARAM_SECTIONS <= 64, "one bit per section");

/* One section of a parameter; which are present is a bit mask, so that
 * the array needs no clearing. */
struct section {
	const char *s;
	size_t len;
	bool quoted;
	bool extended;
};

/* Read a parameter value at *pp (after '='): quoted string or token.
 * Sets *s and *len (quoted: still escaped) and advances *pp. */
static void read_value(const char **pp, const char *end, const char **s,
		       size_t *len, bool *quoted)
{
	const char *p = *pp;
	while (p < end && rebound_is_space(*p))
		p++;
	if (p < end && *p == '"') {
		const char *start = ++p;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end)
				p++;
			p++;
		}
		*s = start;
		*len = (size_t)(p - start);
		*quoted = true;
		if (p < end)
			p++;
	} else {
		const char *start = p;
		while (p < end && *p != ';' && !rebound_is_space(*p))
			p++;
		*s = start;
		*len = (size_t)(p - start);
		*quoted = false;
	}
	*pp = p;
}

static void add_unquoted(struct dbuf *d, const char *s, size_t len,
			 bool quoted)
{
	if (!quoted) {
		dbuf_add(d, s, len);
		return;
	}
	size_t i = 0;
	while (i < len) {
		const char *bs = memchr(s + i, '\\', len - i);
		size_t run = bs != NULL ? (size_t)(bs - (s + i)) : len - i;
		dbuf_add(d, s + i, run);
		i += run;
		if (i < len) {	/* a backslash: take the next byte */
			if (i + 1 < len)
				dbuf_add(d, s + i + 1, 1);
			i += 2;
		}
	}
}

static void add_percent_decoded(struct dbuf *d, const char *s, size_t len)
{
	if (!dbuf_reserve(d, len))
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    rebound_hex_value((unsigned char)s[i + 1]) >= 0 &&
		    rebound_hex_value((unsigned char)s[i + 2]) >= 0) {
			d->buf[d->len++] =
				(char)(rebound_hex_value((unsigned char)s[i + 1]) * 16 +
				       rebound_hex_value((unsigned char)s[i + 2]));
			i += 2;
		} else {
			d->buf[d->len++] = s[i];
		}
	}
}

const char *rebound_header_param(rebound_arena *arena, const char *value,
				 const char *param)
{
	if (value == NULL || param == NULL)
		return NULL;
	size_t plen = strlen(param);
	const char *p = value, *end = value + strlen(value);
	struct section sec[PARAM_SECTIONS];
	uint64_t present = 0;	/* bit i: sec[i] */
	bool have_sections = false;
	const char *plain = NULL;
	size_t plain_len = 0;
	bool plain_quoted = false;

	/* Skip the main value up to the first ';' outside quotes. */
	while (p < end && *p != ';') {
		if (*p == '"') {
			p++;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
		}
		if (p < end)
			p++;
	}
	while (p < end) {
		while (p < end && (*p == ';' || rebound_is_space(*p)))
			p++;
		const char *name = p;
		while (p < end && *p != '=' && *p != ';')
			p++;
		const char *name_end = p;
		while (name_end > name && rebound_is_space(name_end[-1]))
			name_end--;
		if (p >= end || *p != '=') {
			continue;	/* no value: skip to the next ';' */
		}
		p++;
		const char *vs;
		size_t vlen;
		bool quoted;
		read_value(&p, end, &vs, &vlen, &quoted);
		/* Skip junk up to the next ';'. */
		while (p < end && *p != ';') {
			if (*p == '"') {
				const char *dummy;
				size_t dl;
				bool dq;
				read_value(&p, end, &dummy, &dl, &dq);
				continue;
			}
			p++;
		}
		size_t nlen = (size_t)(name_end - name);
		if (nlen < plen || !rebound_ascii_nieq(name, param, plen))
			continue;
		if (nlen == plen) {
			if (plain == NULL) {
				plain = vs;
				plain_len = vlen;
				plain_quoted = quoted;
			}
			continue;
		}
		if (name[plen] != '*')
			continue;
		/* name*, name*N, name*N* */
		const char *r = name + plen + 1;
		unsigned idx = 0;
		bool ext = false;
		if (r == name_end) {
			ext = true;
		} else {
			unsigned digits = 0;
			while (r < name_end && rebound_is_digit(*r) &&
			       digits < 4) {
				idx = idx * 10 + (unsigned)(*r - '0');
				r++;
				digits++;
			}
			if (digits == 0)
				continue;
			if (r < name_end && *r == '*') {
				ext = true;
				r++;
			}
			if (r != name_end)
				continue;
		}
		if (idx >= PARAM_SECTIONS || (present >> idx & 1))
			continue;
		sec[idx].s = vs;
		sec[idx].len = vlen;
		sec[idx].quoted = quoted;
		sec[idx].extended = ext;
		present |= (uint64_t)1 << idx;
		have_sections = true;
	}

	struct dbuf d = { arena, NULL, 0, 0, false };
	if (have_sections && (present & 1)) {
		char charset[EW_MAX_CHARSET + 1] = "";
		for (unsigned i = 0; i < PARAM_SECTIONS && (present >> i & 1);
		     i++) {
			const char *s = sec[i].s;
			size_t len = sec[i].len;
			if (i == 0 && sec[i].extended) {
				/* charset'language'text */
				const char *q1 = memchr(s, '\'', len);
				const char *q2 = q1 != NULL ?
					memchr(q1 + 1, '\'',
					       len - (size_t)(q1 + 1 - s)) : NULL;
				if (q2 != NULL) {
					size_t cl = (size_t)(q1 - s);
					if (cl <= EW_MAX_CHARSET) {
						memcpy(charset, s, cl);
						charset[cl] = '\0';
					}
					len -= (size_t)(q2 + 1 - s);
					s = q2 + 1;
				}
			}
			if (sec[i].extended)
				add_percent_decoded(&d, s, len);
			else
				add_unquoted(&d, s, len, sec[i].quoted);
		}
		if (d.oom)
			return NULL;
		if (d.len == 0 || (charset[0] == '\0' &&
				   rebound_is_ascii(d.buf, d.len)))
			return dbuf_finish(&d);
		char *u;
		size_t ulen;
		rebound_charset_to_utf8(arena, charset[0] ? charset : NULL,
					d.buf, d.len, &u, &ulen);
		for (size_t i = 0; i < ulen; i++)
			if (u[i] == '\0')
				u[i] = ' ';
		return u;
	}
	if (plain == NULL)
		return NULL;
	add_unquoted(&d, plain, plain_len, plain_quoted);
	if (d.oom)
		return NULL;
	const char *res = dbuf_finish(&d);
	return res;
}
