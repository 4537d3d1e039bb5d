/* html.c - a tiny HTML-to-text reduction for classifying bodies. */
#include "html.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

struct entity {
	const char *name;
	const char *utf8;	/* never longer than "&name;" */
};

static const struct entity entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xC2\xA9" },
	{ "reg", "\xC2\xAE" }, { "trade", "\xE2\x84\xA2" },
	{ "mdash", "\xE2\x80\x94" }, { "ndash", "\xE2\x80\x93" },
	{ "hellip", "\xE2\x80\xA6" }, { "laquo", "\xC2\xAB" },
	{ "raquo", "\xC2\xBB" }, { "lsquo", "\xE2\x80\x98" },
	{ "rsquo", "\xE2\x80\x99" }, { "ldquo", "\xE2\x80\x9C" },
	{ "rdquo", "\xE2\x80\x9D" }, { "bull", "\xE2\x80\xA2" },
	{ "middot", "\xC2\xB7" }, { "euro", "\xE2\x82\xAC" },
	{ "eacute", "\xC3\xA9" }, { "egrave", "\xC3\xA8" },
	{ "agrave", "\xC3\xA0" }, { "aacute", "\xC3\xA1" },
	{ "iacute", "\xC3\xAD" }, { "oacute", "\xC3\xB3" },
	{ "uacute", "\xC3\xBA" }, { "ntilde", "\xC3\xB1" },
	{ "ccedil", "\xC3\xA7" }, { "auml", "\xC3\xA4" },
	{ "ouml", "\xC3\xB6" }, { "uuml", "\xC3\xBC" },
	{ "Auml", "\xC3\x84" }, { "Ouml", "\xC3\x96" },
	{ "Uuml", "\xC3\x9C" }, { "szlig", "\xC3\x9F" },
	{ "Eacute", "\xC3\x89" }, { "aring", "\xC3\xA5" },
	{ "Aring", "\xC3\x85" }, { "oslash", "\xC3\xB8" },
	{ "shy", "" }, { "zwnj", "" }, { "ensp", " " }, { "emsp", " " },
	{ "thinsp", " " },
};

/* Tags that end a line. */
static const char *const block_tags[] = {
	"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
	"table", "ul", "ol", "dl", "dt", "dd", "blockquote", "hr", "pre",
	"title", "address", "center", "form", "section", "article",
	"header", "footer", "tbody", "thead", "body", "html",
};

struct out {
	char *buf;
	size_t len;
	bool space;		/* a blank is pending */
	unsigned newlines;	/* newlines just written */
};

/* End the line unless already at the start of one; with `force` (<br>)
 * also make an empty line, but never more than one. */
static void put_newline(struct out *o, bool force)
{
	o->space = false;
	if (o->len == 0 || o->newlines >= 2 || (!force && o->newlines > 0))
		return;
	o->buf[o->len++] = '\n';
	o->newlines++;
}

static inline void put_pending_space(struct out *o)
{
	if (o->space) {
		if (o->len > 0 && o->newlines == 0)
			o->buf[o->len++] = ' ';
		o->space = false;
	}
}

static void put_bytes(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	put_pending_space(o);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->newlines = 0;
}

static size_t put_utf8(char *b, uint32_t cp)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decode the entity at in[i] == '&'; returns the bytes consumed (0 when
 * it is not one) and appends its text. */
static size_t entity(struct out *o, const char *in, size_t i, size_t len)
{
	size_t j = i + 1;
	if (j < len && in[j] == '#') {
		j++;
		bool hex = j < len && (in[j] == 'x' || in[j] == 'X');
		if (hex)
			j++;
		uint32_t cp = 0;
		size_t digits = 0;
		while (j < len && digits < 8) {
			char c = in[j];
			int v;
			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				v = (c | 0x20) - 'a' + 10;
			else
				break;
			cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
			digits++;
			j++;
		}
		if (digits == 0)
			return 0;
		if (j < len && in[j] == ';')
			j++;
		char tmp[4];
		size_t n;
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xA0) {
			o->space = true;	/* controls and nbsp */
			return j - i;
		}
		n = put_utf8(tmp, cp);
		/* Never longer than what was consumed ("&#65536" is 7). */
		if (n > j - i)
			n = 0;
		put_bytes(o, tmp, n);
		return j - i;
	}
	size_t k = j;
	while (k < len && k - j < 8 &&
	       (((in[k] | 0x20) >= 'a' && (in[k] | 0x20) <= 'z') ||
		rebound_is_digit(in[k])))
		k++;
	if (k == j || k >= len || in[k] != ';')
		return 0;
	size_t nlen = k - j;
	for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
		if (strlen(entities[e].name) == nlen &&
		    memcmp(entities[e].name, in + j, nlen) == 0) {
			if (entities[e].utf8[0] == ' ' && entities[e].utf8[1] == 0)
				o->space = true;
			else
				put_bytes(o, entities[e].utf8,
					  strlen(entities[e].utf8));
			return k + 1 - i;
		}
	}
	return 0;
}

static bool is_block(const char *name)
{
	for (size_t b = 0; b < sizeof(block_tags) / sizeof(block_tags[0]); b++)
		if (strcmp(block_tags[b], name) == 0)
			return true;
	return false;
}

size_t rebound_html_to_text(const char *in, size_t len, char *out)
{
	struct out o = { out, 0, false, 0 };
	bool in_pre = false;
	bool no_more_gt = false;	/* no '>' left in the input */
	/* Where "</script", "</style", "</head" were last found, or none. */
	const char *close_at[3] = { NULL, NULL, NULL };
	bool close_none[3] = { false, false, false };
	size_t i = 0;

	while (i < len) {
		char c = in[i];
		if (c == '<' && !no_more_gt && i + 1 < len) {
			size_t j = i + 1;
			if (len - j >= 3 && memcmp(in + j, "!--", 3) == 0) {
				const char *e = NULL;
				if (len - j > 3)
					e = rebound_memcasemem(in + j + 3,
							       len - j - 3,
							       "-->", 3);
				i = e != NULL ? (size_t)(e - in) + 3 : len;
				continue;
			}
			bool closing = in[j] == '/';
			if (closing)
				j++;
			char n0 = j < len ? in[j] : '\0';
			bool letter = (n0 | 0x20) >= 'a' && (n0 | 0x20) <= 'z';
			if (!letter && n0 != '!' && n0 != '?') {
				put_bytes(&o, "<", 1);
				i++;
				continue;
			}
			const char *gt = memchr(in + j, '>', len - j);
			if (gt == NULL) {
				no_more_gt = true;
				put_bytes(&o, "<", 1);
				i++;
				continue;
			}
			char name[12];
			size_t nl = 0;
			while (j < len && nl < sizeof(name) - 1 &&
			       (((in[j] | 0x20) >= 'a' && (in[j] | 0x20) <= 'z') ||
				rebound_is_digit(in[j])))
				name[nl++] = rebound_ascii_tolower(in[j++]);
			name[nl] = '\0';
			i = (size_t)(gt - in) + 1;
			if (!closing && (strcmp(name, "script") == 0 ||
					 strcmp(name, "style") == 0 ||
					 strcmp(name, "head") == 0)) {
				char close[10];
				size_t cl = (size_t)snprintf(close, sizeof(close),
							     "</%s", name);
				int k = name[1] == 'c' ? 0 : name[1] == 't' ? 1 : 2;
				const char *e;
				/* Searches move forward only: linear. */
				if (close_none[k] ||
				    (close_at[k] != NULL && in + i <= close_at[k])) {
					e = close_none[k] ? NULL : close_at[k];
				} else {
					e = rebound_memcasemem(in + i, len - i,
							       close, cl);
					close_at[k] = e;
					close_none[k] = e == NULL;
				}
				if (e != NULL) {
					const char *g = memchr(e, '>',
							       len - (size_t)(e - in));
					i = g != NULL ? (size_t)(g - in) + 1 : len;
					if (strcmp(name, "head") == 0)
						put_newline(&o, false);
				}
				continue;
			}
			if (strcmp(name, "pre") == 0)
				in_pre = !closing;
			if (strcmp(name, "br") == 0)
				put_newline(&o, true);
			else if (is_block(name))
				put_newline(&o, false);
			else if (strcmp(name, "td") == 0 ||
				 strcmp(name, "th") == 0)
				o.space = true;
			continue;
		}
		if (c == '&') {
			size_t n = entity(&o, in, i, len);
			if (n > 0) {
				i += n;
				continue;
			}
			put_bytes(&o, "&", 1);
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\0') {
			if (in_pre) {
				if (c == '\n') {
					o.space = false;
					o.buf[o.len++] = '\n';
					o.newlines = 1;
				} else if (c != '\r') {
					put_bytes(&o, " ", 1);
				}
			} else {
				o.space = true;
			}
			i++;
			continue;
		}
		/* A run of ordinary bytes. */
		size_t j = i + 1;
		while (j < len) {
			char d = in[j];
			if (d == '<' || d == '&' || d == ' ' || d == '\t' ||
			    d == '\n' || d == '\r' || d == '\f' || d == '\0')
				break;
			j++;
		}
		put_bytes(&o, in + i, j - i);
		i = j;
	}
	while (o.len > 0 && (out[o.len - 1] == ' ' || out[o.len - 1] == '\n'))
		o.len--;
	out[o.len] = '\0';
	return o.len;
}
