/* jsonread.c - a bounded, non-recursive JSON reader (see jsonread.h). */
#include "jsonread.h"

#include <string.h>

#include "mail/strutil.h"

#define MAX_DEPTH	32
#define MAX_VALUES	20000u

typedef struct frame {
	rebound_jvalue *node;
	rebound_jvalue **tail;
} frame;

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	if (end - p < 4)
		return -1;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* *pp points at the opening quote.  Unescaped copy in the arena (never
 * longer than the raw text), or NULL for an unterminated string. */
static char *read_string(rebound_arena *arena, const char **pp,
			 const char *end, size_t *len)
{
	const char *p = *pp + 1;
	const char *q = p;
	while (q < end && *q != '"') {
		if (*q == '\\' && q + 1 < end)
			q++;
		q++;
	}
	if (q >= end)
		return NULL;
	/* Each input byte gives at most 1.5 output bytes: an invalid "\u"
	   (2 bytes) becomes U+FFFD (3 bytes). */
	char *out = rebound_arena_alloc(arena, (size_t)(q - p) / 2 * 3 + 4);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	while (p < q) {
		char c = *p++;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		c = *p++;
		switch (c) {
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case 'r': out[o++] = '\r'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'u': {
			unsigned cp;
			if (hex4(p, q, &cp) < 0) {
				o += put_utf8(out + o, 0xfffd);
				break;
			}
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if (q - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
				    hex4(p + 2, q, &lo) == 0 && lo >= 0xdc00 &&
				    lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					p += 6;
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = 0xfffd;
			}
			o += put_utf8(out + o, cp);
			break;
		}
		default:	/* \" \\ \/ and anything else as itself */
			out[o++] = c;
			break;
		}
	}
	out[o] = '\0';
	*len = o;
	*pp = q + 1;
	return out;
}

/* A number or literal: the run of characters that may form one. */
static const char *read_scalar(const char *p, const char *end,
			       rebound_jvalue *v)
{
	const char *s = p;
	while (p < end && (rebound_is_digit(*p) || *p == '-' || *p == '+' ||
			   *p == '.' || *p == 'e' || *p == 'E' ||
			   (*p >= 'a' && *p <= 'z')))
		p++;
	size_t n = (size_t)(p - s);
	if (n == 4 && memcmp(s, "null", 4) == 0)
		v->type = REBOUND_J_NULL;
	else if ((n == 4 && memcmp(s, "true", 4) == 0) ||
		 (n == 5 && memcmp(s, "false", 5) == 0))
		v->type = REBOUND_J_BOOL;
	else if (n > 0 && (rebound_is_digit(*s) || *s == '-'))
		v->type = REBOUND_J_NUMBER;
	else
		return NULL;
	v->str = s;
	v->len = n;
	return p;
}

/* After '{' or ',' in an object: the member name and ':'. */
static const char *read_key(rebound_arena *arena, const char *p,
			    const char *end, const char **key)
{
	p = skip_ws(p, end);
	if (p >= end || *p != '"')
		return NULL;
	size_t kl;
	*key = read_string(arena, &p, end, &kl);
	if (*key == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return NULL;
	return p + 1;
}

rebound_jvalue *rebound_json_read(rebound_arena *arena, const char *s,
				  size_t len)
{
	const char *p = s, *end = s + len;
	frame st[MAX_DEPTH];
	int depth = 0;
	unsigned count = 0;
	rebound_jvalue *root = NULL;
	const char *key = NULL;

	for (;;) {
		/* One value. */
		p = skip_ws(p, end);
		if (p >= end || ++count > MAX_VALUES)
			return NULL;
		rebound_jvalue *v = rebound_arena_calloc(arena, 1, sizeof(*v));
		if (v == NULL)
			return NULL;
		v->key = key;
		key = NULL;
		if (depth == 0) {
			root = v;
		} else {
			*st[depth - 1].tail = v;
			st[depth - 1].tail = &v->next;
		}
		bool opened = false;
		if (*p == '{' || *p == '[') {
			char close = *p == '{' ? '}' : ']';
			v->type = *p == '{' ? REBOUND_J_OBJECT : REBOUND_J_ARRAY;
			p++;
			if (depth == MAX_DEPTH)
				return NULL;
			st[depth].node = v;
			st[depth].tail = &v->child;
			depth++;
			p = skip_ws(p, end);
			if (p < end && *p == close) {
				p++;
				depth--;
			} else {
				opened = true;
				if (v->type == REBOUND_J_OBJECT &&
				    (p = read_key(arena, p, end, &key)) == NULL)
					return NULL;
			}
		} else if (*p == '"') {
			v->type = REBOUND_J_STRING;
			v->str = read_string(arena, &p, end, &v->len);
			if (v->str == NULL)
				return NULL;
		} else if ((p = read_scalar(p, end, v)) == NULL) {
			return NULL;
		}
		if (opened)
			continue;
		/* After a value: a separator or the end of containers. */
		for (;;) {
			if (depth == 0)
				return root;
			p = skip_ws(p, end);
			if (p >= end)
				return NULL;
			rebound_jvalue *top = st[depth - 1].node;
			char close = top->type == REBOUND_J_OBJECT ? '}' : ']';
			if (*p == ',') {
				p++;
				if (top->type == REBOUND_J_OBJECT &&
				    (p = read_key(arena, p, end, &key)) == NULL)
					return NULL;
				break;
			}
			if (*p != close)
				return NULL;
			p++;
			depth--;
		}
	}
}

const rebound_jvalue *rebound_json_get(const rebound_jvalue *obj,
				       const char *key)
{
	if (obj == NULL || obj->type != REBOUND_J_OBJECT)
		return NULL;
	for (const rebound_jvalue *m = obj->child; m != NULL; m = m->next)
		if (m->key != NULL && strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *rebound_json_get_str(const rebound_jvalue *obj, const char *key)
{
	const rebound_jvalue *v = rebound_json_get(obj, key);
	return v != NULL && v->type == REBOUND_J_STRING ? v->str : NULL;
}
