/* message.c - the message model: headers, MIME tree, decoded text.
 *
 * Parsing works on one normalised copy (LF line ends).  The tree is built
 * without recursion: parts are processed in document order by walking the
 * tree with rebound_part_next() while it grows; processing a part parses
 * its header block and attaches its children (not yet processed), which the
 * walk then reaches.  A child's extent is kept in raw_body/raw_len until it
 * is processed.  Bodies and texts are decoded on first use and cached.
 */
#define _GNU_SOURCE 1	/* memmem (glibc, musl and the BSDs have it) */
#include "message.h"

#include <stdint.h>
#include <string.h>

#include "charset.h"
#include "decode.h"
#include "header-decode.h"
#include "html.h"
#include "strutil.h"
#include "vec16.h"

#define DEF_MESSAGE_BYTES	((size_t)16 * 1024 * 1024)
#define DEF_HEADER_BYTES	((size_t)64 * 1024)
#define DEF_HEADERS		1000u
#define DEF_DEPTH		20u
#define DEF_PARTS		1000u
#define DEF_TEXT_BYTES		((size_t)4 * 1024 * 1024)
#define MAX_BOUNDARY		998u	/* a line's worth; RFC says 70 */

#define DECODED_BODY 1u
#define DECODED_TEXT 2u

static char empty_string[1];

static void fill_limits(rebound_limits *l, const rebound_limits *in)
{
	if (in != NULL)
		*l = *in;
	else
		memset(l, 0, sizeof(*l));
	if (l->max_message_bytes == 0)
		l->max_message_bytes = DEF_MESSAGE_BYTES;
	if (l->max_header_bytes == 0)
		l->max_header_bytes = DEF_HEADER_BYTES;
	if (l->max_headers == 0)
		l->max_headers = DEF_HEADERS;
	if (l->max_depth == 0)
		l->max_depth = DEF_DEPTH;
	if (l->max_parts == 0)
		l->max_parts = DEF_PARTS;
	if (l->max_text_bytes == 0)
		l->max_text_bytes = DEF_TEXT_BYTES;
}

/* Does src[0..16) hold no CR?  Then it is copied to dst as it is: loaded
 * before it is stored, so dst may overlap it from below. */
static inline bool copy_block_without_cr(char *dst, const char *src)
{
	rebound_v16 v = rebound_v16_load(src);
	if (rebound_v16_any((rebound_v16)(v == rebound_v16_splat('\r'))))
		return false;
	memcpy(dst, &v, sizeof(v));
	return true;
}

/* Copy src[0..n) to dst with CRLF and bare CR turned into LF; dst may be
 * src (the result is never longer).  Returns the new length. */
static size_t normalise(char *dst, const char *src, size_t n)
{
	const char *p = src, *end = src + n;
	const char *cr = memchr(p, '\r', n);
	size_t o = 0;

	if (cr == NULL) {
		if (dst != src && n > 0)
			memcpy(dst, src, n);
		return n;
	}
	/* From the first CR on: 16 bytes at a time up to the next CR, that
	   block byte by byte (a memchr and a memmove per line cost more
	   than this for lines of mail length). */
	o = (size_t)(cr - src);
	if (dst != src && o > 0)
		memcpy(dst, src, o);
	p = cr;
	while (p < end) {
		const char *stop = end;
		if (end - p >= 16) {
			if (copy_block_without_cr(dst + o, p)) {
				p += 16;
				o += 16;
				continue;
			}
			stop = p + 16;
		}
		for (; p < stop; p++) {
			char c = *p;
			if (c == '\r') {
				c = '\n';
				if (p + 1 < end && p[1] == '\n')
					p++;
			}
			dst[o++] = c;
		}
	}
	return o;
}

/* ---- headers -------------------------------------------------------- */

/* Can c be in a field name?  Printable ASCII but ':' and space. */
static inline bool name_char(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

/* The end of the run of name bytes at q (before end).  Eight bytes at a
 * time where the byte order lets the first odd byte be found from the
 * word (a field name is a dozen bytes or so), else one at a time. */
static const char *skip_name(const char *q, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	const uint64_t lows = 0x7f7f7f7f7f7f7f7full;
	while (end - q >= 8) {
		uint64_t w;
		memcpy(&w, q, 8);
		uint64_t l = w & lows;		/* no carry leaves a byte */
		uint64_t y = l ^ (ones * ':');
		uint64_t odd = (w & highs) |		/* >= 127: ... */
			       ((l + ones) & highs) |	/* ... 127 */
			       (~(l + ones * (0x80 - 0x21)) & highs) | /* <= 32 */
			       (~(y + lows) & highs);	/* ':' */
		if (odd != 0)
			return q + (__builtin_ctzll(odd) >> 3);
		q += 8;
	}
#endif
	while (q < end && name_char((unsigned char)*q))
		q++;
	return q;
}

/* Copy the field value [vstart, fend) without its line breaks, at most
 * cap bytes, NULs as spaces, trimmed; returns the length.  `folded`: the
 * value spans more than one line (else there is no LF in it to drop);
 * `nul`: the text may hold NUL bytes (else none is looked for). */
static size_t copy_value(char *dst, const char *vstart, const char *fend,
			 size_t cap, bool folded, bool nul)
{
	size_t o = 0;
	const char *v = vstart;
	if (!folded) {
		o = (size_t)(fend - vstart);
		if (o > cap)
			o = cap;
		memcpy(dst, vstart, o);
		v = fend;
	}
	while (v < fend && o < cap) {
		const char *nl = memchr(v, '\n', (size_t)(fend - v));
		const char *seg_end = nl != NULL ? nl : fend;
		size_t seg = (size_t)(seg_end - v);
		if (seg > cap - o)
			seg = cap - o;
		memcpy(dst + o, v, seg);
		o += seg;
		v = nl != NULL ? nl + 1 : fend;
	}
	char *z = nul ? memchr(dst, '\0', o) : NULL;
	while (z != NULL) {
		*z = ' ';
		z = memchr(z + 1, '\0', (size_t)(dst + o - (z + 1)));
	}
	while (o > 0 && rebound_is_space(dst[o - 1]))
		o--;
	return o;
}

/* A broken fold seen in real mail: a value ending in ';' continued on a
 * line that is not indented but reads "param=..." (no field name, as it
 * has no ':' before the '=').  Taken as a continuation. */
static bool unindented_param(const char *vstart, const char *fend,
			     const char *line, const char *end)
{
	const char *v = fend;
	while (v > vstart && rebound_is_space(v[-1]))
		v--;
	if (v == vstart || v[-1] != ';')
		return false;
	const char *q = line;
	while (q < end && q - line < 80 && name_char((unsigned char)*q) &&
	       *q != '=')
		q++;
	return q > line && q < end && *q == '=';
}

/* The lookup word of a name of len > 0 bytes (see rebound_header). */
static inline uint32_t name_key(const char *name, size_t len)
{
	return (uint32_t)(len & 0xffff) |
	       (uint32_t)((unsigned char)name[0] | 0x20) << 16 |
	       (uint32_t)((unsigned char)name[len - 1] | 0x20) << 24;
}

static inline uint64_t key_bit(uint32_t key)
{
	return (uint64_t)1 << ((key * 0x9E3779B1u) >> 26);
}

/* rebound_headers_parse(); `nul`: text may hold NUL bytes. */
static unsigned parse_headers(rebound_arena *arena, const char *text,
			      size_t len, const rebound_limits *limits,
			      rebound_header **out, size_t *consumed,
			      unsigned *flags, bool nul)
{
	rebound_limits lim;
	const char *p = text, *end = text + len;
	rebound_header *head = NULL, **tail = &head;
	unsigned count = 0;
	unsigned fl = 0;
	uint64_t keys = 0;

	fill_limits(&lim, limits);
	if (text == NULL)
		end = p = NULL;
	while (p < end) {
		const char *line = p;
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *line_end = eol != NULL ? eol : end;
		const char *next = eol != NULL ? eol + 1 : end;

		if (line_end == line) {	/* the blank line ending the block */
			p = next;
			break;
		}
		const char *q = skip_name(line, line_end);
		const char *name_end = q;
		while (q < line_end && rebound_is_wsp(*q))
			q++;
		if (name_end == line || q >= line_end || *q != ':')
			break;		/* not a field: the block ends here */

		/* The field runs on over continuation lines. */
		const char *vstart = q + 1;
		const char *fend = line_end, *fnext = next;
		while (fnext < end && (rebound_is_wsp(*fnext) ||
				       unindented_param(vstart, fend, fnext,
							end))) {
			const char *e2 = memchr(fnext, '\n',
						(size_t)(end - fnext));
			fend = e2 != NULL ? e2 : end;
			fnext = e2 != NULL ? e2 + 1 : end;
		}
		p = fnext;
		if (count >= lim.max_headers) {
			fl |= REBOUND_MSG_MANY_HEADERS;
			continue;
		}
		while (vstart < fend && rebound_is_space(*vstart))
			vstart++;
		size_t span = (size_t)(fend - vstart);
		size_t cap = span;
		if (cap > lim.max_header_bytes) {
			cap = lim.max_header_bytes;
			fl |= REBOUND_MSG_LONG_HEADER;
		}
		size_t nlen = (size_t)(name_end - line);
		rebound_header *h = rebound_arena_alloc(
			arena, sizeof(*h) + nlen + 1 + cap + 1);
		if (h == NULL) {
			fl |= REBOUND_MSG_OUT_OF_MEMORY;
			break;
		}
		char *name = (char *)(h + 1);
		char *value = name + nlen + 1;
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		h->name_len = nlen;
		h->key = name_key(line, nlen);
		keys |= key_bit(h->key);
		h->value_len = copy_value(value, vstart, fend, cap,
					  fend != line_end, nul);
		value[h->value_len] = '\0';
		h->name = name;
		h->value = value;
		h->next = NULL;
		*tail = h;
		tail = &h->next;
		count++;
	}
	for (rebound_header *h = head; h != NULL; h = h->next)
		h->block_keys = keys;
	if (out != NULL)
		*out = head;
	if (consumed != NULL)
		*consumed = (size_t)(p - text);
	if (flags != NULL)
		*flags |= fl;
	return count;
}

unsigned rebound_headers_parse(rebound_arena *arena, const char *text,
			       size_t len, const rebound_limits *limits,
			       rebound_header **out, size_t *consumed,
			       unsigned *flags)
{
	return parse_headers(arena, text, len, limits, out, consumed, flags,
			     true);
}

const rebound_header *rebound_header_find(const rebound_header *list,
					  const char *name)
{
	if (name == NULL || list == NULL || name[0] == '\0')
		return NULL;
	size_t len = strlen(name);
	uint32_t key = name_key(name, len);
	if (!(list->block_keys & key_bit(key)))
		return NULL;
	for (; list != NULL; list = list->next)
		if (list->key == key && list->name_len == len &&
		    rebound_ascii_nieq(list->name, name, len))
			return list;
	return NULL;
}

const char *rebound_header_get(const rebound_header *list, const char *name)
{
	const rebound_header *h = rebound_header_find(list, name);
	return h != NULL ? h->value : NULL;
}

/* ---- the MIME tree -------------------------------------------------- */

struct ctx {
	rebound_message *msg;
	rebound_arena *arena;
};

static bool type_is(const char *type, const char *what)
{
	return strcmp(type, what) == 0;
}

static bool is_message_type(const char *type)
{
	return type_is(type, "message/rfc822") ||
	       type_is(type, "message/global");
}

static bool is_headers_type(const char *type)
{
	return type_is(type, "text/rfc822-headers") ||
	       type_is(type, "message/global-headers");
}

static inline bool token_char(unsigned char c)
{
	if (c <= 32 || c >= 127)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* "type/subtype" from a Content-Type value, lower-cased, or NULL. */
static const char *parse_type(rebound_arena *arena, const char *v)
{
	const char *p = v;
	while (rebound_is_space(*p))
		p++;
	const char *t = p;
	while (token_char((unsigned char)*p))
		p++;
	if (p == t)
		return NULL;
	const char *slash = p;
	while (rebound_is_space(*p))
		p++;
	if (*p != '/')
		return NULL;
	p++;
	while (rebound_is_space(*p))
		p++;
	const char *s = p;
	while (token_char((unsigned char)*p))
		p++;
	if (p == s)
		return NULL;
	size_t tl = (size_t)(slash - t), sl = (size_t)(p - s);
	char *r = rebound_arena_alloc(arena, tl + 1 + sl + 1);
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < tl; i++)
		r[i] = rebound_ascii_tolower(t[i]);
	r[tl] = '/';
	for (size_t i = 0; i < sl; i++)
		r[tl + 1 + i] = rebound_ascii_tolower(s[i]);
	r[tl + 1 + sl] = '\0';
	return r;
}

/* The first word of a Content-Transfer-Encoding value, lower-cased. */
static const char *parse_encoding(rebound_arena *arena, const char *v)
{
	const char *p = v;
	while (rebound_is_space(*p) || *p == '"')
		p++;
	const char *s = p;
	while (*p != '\0' && !rebound_is_space(*p) && *p != ';' && *p != '"' &&
	       *p != '(')
		p++;
	if (p == s)
		return NULL;
	char *r = rebound_arena_strndup(arena, s, (size_t)(p - s));
	return r != NULL ? rebound_ascii_lower(r) : NULL;
}

static rebound_part *new_part(struct ctx *c, rebound_part *parent,
			      const char *start, size_t len)
{
	rebound_part *p = rebound_arena_alloc(c->arena, sizeof(*p));
	if (p == NULL) {
		c->msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->type = "text/plain";
	p->raw_body = start;
	p->raw_len = len;
	p->parent = parent;
	p->depth = parent != NULL ? parent->depth + 1 : 0;
	c->msg->part_count++;
	return p;
}

/* May `parent` get a child?  Flags the limit that says no. */
static bool child_allowed(struct ctx *c, const rebound_part *parent)
{
	if (parent->depth + 1 > c->msg->limits.max_depth) {
		c->msg->flags |= REBOUND_MSG_TOO_DEEP;
		return false;
	}
	if (c->msg->part_count >= c->msg->limits.max_parts) {
		c->msg->flags |= REBOUND_MSG_MANY_PARTS;
		return false;
	}
	return true;
}

/* Split p's body at "--boundary" lines.  Returns false when no delimiter
 * line was found at all (nothing added). */
static bool split_at(struct ctx *c, rebound_part *p, const char *boundary,
		     size_t blen)
{
	const char *line = p->raw_body, *end = p->raw_body + p->raw_len;
	const char *part_start = NULL;
	rebound_part **tail = &p->first_child;
	bool closed = false, stopped = false;

	/* Delimiter lines are found as "\n--boundary" (the first line of
	   the body is looked at by itself): one memmem per candidate instead
	   of a look at every line. */
	char delim[MAX_BOUNDARY + 3];
	if (blen > MAX_BOUNDARY)
		return false;
	delim[0] = '\n';
	delim[1] = delim[2] = '-';
	memcpy(delim + 3, boundary, blen);
	while (line < end) {
		if (line != p->raw_body || (size_t)(end - line) < blen + 2 ||
		    memcmp(line, delim + 1, blen + 2) != 0) {
			/* line - 1 is the LF that ends the line before. */
			const char *from = line == p->raw_body ? line : line - 1;
			const char *d = memmem(from, (size_t)(end - from), delim,
					       blen + 3);
			if (d == NULL)
				break;
			line = d + 1;
		}
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *line_end = eol != NULL ? eol : end;
		const char *next = eol != NULL ? eol + 1 : end;
		if ((size_t)(line_end - line) < blen + 2) {
			line = next;	/* a boundary with a line break in it */
			continue;
		}
		const char *t = line + 2 + blen;
		bool close = line_end - t >= 2 && t[0] == '-' && t[1] == '-';
		if (!close) {
			const char *q = t;
			while (q < line_end && rebound_is_space(*q))
				q++;
			if (q != line_end) {	/* "--boundaryX": not ours */
				line = next;
				continue;
			}
		}
		if (part_start != NULL) {
			/* The LF before a delimiter belongs to it. */
			const char *pe = line;
			if (pe > part_start && pe[-1] == '\n')
				pe--;
			if (!child_allowed(c, p)) {
				stopped = true;
				break;
			}
			rebound_part *ch = new_part(c, p, part_start,
						    (size_t)(pe - part_start));
			if (ch == NULL) {
				stopped = true;
				break;
			}
			*tail = ch;
			tail = &ch->next_sibling;
		}
		if (close) {
			closed = true;
			break;
		}
		part_start = next;
		line = next;
	}
	if (closed || stopped)
		return true;
	if (part_start == NULL)
		return false;
	c->msg->flags |= REBOUND_MSG_NO_END_BOUNDARY;
	if (part_start < end && child_allowed(c, p)) {
		rebound_part *ch = new_part(c, p, part_start,
					    (size_t)(end - part_start));
		if (ch != NULL)
			*tail = ch;
	}
	return true;
}

/* The boundary a body really uses when its header names another one (a
 * mailer that rewrote one and not the other): the first "--token" line
 * whose token occurs again as a "--token" line.  Bounded: one pass to pick
 * the candidate, one to confirm it. */
static bool guess_boundary(const rebound_part *p, const char **out,
			   size_t *out_len)
{
	const char *line = p->raw_body, *end = p->raw_body + p->raw_len;
	const char *cand = NULL;
	size_t clen = 0;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *line_end = eol != NULL ? eol : end;
		const char *next = eol != NULL ? eol + 1 : end;
		size_t n = (size_t)(line_end - line);
		if (n >= 3 && line[0] == '-' && line[1] == '-' && line[2] != '-') {
			size_t k = 2;
			while (k < n && (unsigned char)line[k] > ' ' &&
			       k - 2 < 70)
				k++;
			size_t tl = k - 2;
			bool plain = k == n || (k < n && rebound_is_space(line[k]));
			if (cand == NULL) {
				if (plain && tl >= 8) {
					cand = line + 2;
					clen = tl;
				}
			} else if (tl >= clen && memcmp(line + 2, cand, clen) == 0) {
				*out = cand;
				*out_len = clen;
				return true;
			}
		}
		line = next;
	}
	return false;
}

static void split_multipart(struct ctx *c, rebound_part *p,
			    const char *boundary)
{
	size_t blen = boundary != NULL ? strlen(boundary) : 0;
	if (blen == 0 || blen > MAX_BOUNDARY)
		c->msg->flags |= REBOUND_MSG_NO_BOUNDARY;
	if (!child_allowed(c, p))
		return;
	if (blen > 0 && blen <= MAX_BOUNDARY && split_at(c, p, boundary, blen))
		return;
	const char *guess;
	size_t glen;
	if (guess_boundary(p, &guess, &glen) && split_at(c, p, guess, glen))
		return;
	/* No delimiter at all: the body is one text part, so that a report
	   whose parts were never delimited is still read as text. */
	c->msg->flags |= REBOUND_MSG_NO_END_BOUNDARY;
	rebound_part *ch = new_part(c, p, p->raw_body, p->raw_len);
	if (ch != NULL)
		p->first_child = ch;
}

/* Is the message's transfer encoding one we decode? */
static bool encoded(const char *enc)
{
	return enc != NULL && (type_is(enc, "base64") ||
			       type_is(enc, "quoted-printable"));
}

static void decode_body(rebound_message *msg, rebound_part *part);

/* The one child of message/rfc822 and friends: the embedded message. */
static void embed_message(struct ctx *c, rebound_part *p)
{
	if (!child_allowed(c, p))
		return;
	const char *s = p->raw_body;
	size_t n = p->raw_len;
	if (encoded(p->encoding)) {
		/* Not allowed by RFC 2046, sent anyway: decode first. */
		decode_body(c->msg, p);
		if (p->body_ != empty_string && p->body_ != p->raw_body) {
			char *b = (char *)p->body_;
			size_t bl = normalise(b, b, p->body_len_);
			b[bl] = '\0';
			p->body_len_ = bl;
			if (memchr(b, '\0', bl) != NULL)
				c->msg->flags |= REBOUND_MSG_NUL;
		}
		s = p->body_;
		n = p->body_len_;
	}
	/* Tolerate blank lines before the embedded header block. */
	while (n > 0 && *s == '\n') {
		s++;
		n--;
	}
	if (n == 0)
		return;
	p->first_child = new_part(c, p, s, n);
}

static const char *part_charset(struct ctx *c, const char *ct)
{
	const char *cs = rebound_header_param(c->arena, ct, "charset");
	if (cs == NULL)
		return NULL;
	size_t len = strlen(cs);
	rebound_trim(&cs, &len);
	if (len == 0)
		return NULL;
	char *l = (char *)cs;	/* the arena's copy */
	l[len] = '\0';
	return rebound_ascii_lower(l);
}

static void process_part(struct ctx *c, rebound_part *p)
{
	rebound_message *msg = c->msg;
	const char *s = p->raw_body;
	size_t n = p->raw_len, consumed = 0;
	/* A part's bytes lie in msg->data or in an embedded message's
	   decoded body; both were looked at for NULs before (the flag). */
	unsigned count = parse_headers(c->arena, s, n, &msg->limits,
				       &p->headers, &consumed, &msg->flags,
				       (msg->flags & REBOUND_MSG_NUL) != 0);
	if (count == 0 && p->parent == NULL)
		msg->flags |= REBOUND_MSG_NO_HEADERS;
	p->raw_body = s + consumed;
	p->raw_len = n - consumed;

	bool in_digest = p->parent != NULL &&
			 type_is(p->parent->type, "multipart/digest");
	bool headers_only = p->parent != NULL &&
			    is_headers_type(p->parent->type);
	const char *ct = rebound_header_get(p->headers, "Content-Type");
	const char *type = ct != NULL ? parse_type(c->arena, ct) : NULL;
	p->type = type != NULL ? type :
		  in_digest ? "message/rfc822" : "text/plain";
	if (ct != NULL)
		p->charset = part_charset(c, ct);
	const char *cte = rebound_header_get(p->headers,
					     "Content-Transfer-Encoding");
	if (cte != NULL)
		p->encoding = parse_encoding(c->arena, cte);

	if (headers_only)
		return;		/* the header block is all there is */
	if (strncmp(p->type, "multipart/", 10) == 0)
		split_multipart(c, p, rebound_header_param(c->arena, ct,
							   "boundary"));
	else if (is_message_type(p->type) || is_headers_type(p->type))
		embed_message(c, p);
}

static int parse_normalised(rebound_arena *arena, const char *data,
			    size_t len, const rebound_limits *lim,
			    unsigned flags, rebound_message **out)
{
	rebound_message *msg = rebound_arena_alloc(arena, sizeof(*msg));
	if (msg == NULL) {
		*out = NULL;
		return -1;
	}
	memset(msg, 0, sizeof(*msg));
	msg->data = data;
	msg->len = len;
	msg->flags = flags;
	msg->limits = *lim;
	msg->arena = arena;
	if (memchr(data, '\0', len) != NULL)
		msg->flags |= REBOUND_MSG_NUL;

	struct ctx c = { msg, arena };
	const char *s = data;
	size_t n = len;
	/* An mbox "From " line is not part of the message. */
	if (n >= 5 && memcmp(s, "From ", 5) == 0) {
		const char *nl = memchr(s, '\n', n);
		size_t skip = nl != NULL ? (size_t)(nl + 1 - s) : n;
		s += skip;
		n -= skip;
	}
	msg->root = new_part(&c, NULL, s, n);
	if (msg->root == NULL) {
		*out = NULL;
		return -1;
	}
	for (rebound_part *p = msg->root; p != NULL; p = rebound_part_next(p))
		process_part(&c, p);
	if (rebound_arena_exhausted(arena))
		msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
	*out = msg;
	return 0;
}

int rebound_message_parse(rebound_arena *arena, const char *buf, size_t len,
			  const rebound_limits *limits,
			  rebound_message **out)
{
	rebound_limits lim;
	unsigned flags = 0;

	*out = NULL;
	if (arena == NULL)
		return -1;
	if (buf == NULL)
		len = 0;
	fill_limits(&lim, limits);
	if (len > lim.max_message_bytes) {
		len = lim.max_message_bytes;
		flags |= REBOUND_MSG_TRUNCATED;
	}
	char *data = rebound_arena_alloc(arena, len + 1);
	if (data == NULL)
		return -1;
	size_t n = len > 0 ? normalise(data, buf, len) : 0;
	data[n] = '\0';
	return parse_normalised(arena, data, n, &lim, flags, out);
}

rebound_part *rebound_part_next(rebound_part *part)
{
	if (part == NULL)
		return NULL;
	if (part->first_child != NULL)
		return part->first_child;
	while (part != NULL) {
		if (part->next_sibling != NULL)
			return part->next_sibling;
		part = part->parent;
	}
	return NULL;
}

/* ---- lazy bodies and texts ------------------------------------------ */

static void decode_body(rebound_message *msg, rebound_part *part)
{
	const char *raw = part->raw_body;
	size_t n = part->raw_len;
	const char *enc = part->encoding;
	bool multipart = strncmp(part->type, "multipart/", 10) == 0;

	part->decoded_ |= DECODED_BODY;
	part->body_ = empty_string;
	part->body_len_ = 0;
	if (raw == NULL || n == 0)
		return;
	if (!multipart && enc != NULL && type_is(enc, "base64")) {
		char *b = rebound_arena_alloc(msg->arena,
					      REBOUND_BASE64_MAX(n) + 1);
		if (b == NULL) {
			msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
			return;
		}
		bool bad = false;
		size_t bl = rebound_base64_decode(raw, n, b, &bad);
		b[bl] = '\0';
		if (bad)
			msg->flags |= REBOUND_MSG_BAD_ENCODING;
		part->body_ = b;
		part->body_len_ = bl;
		return;
	}
	if (!multipart && enc != NULL && type_is(enc, "quoted-printable")) {
		char *b = rebound_arena_alloc(msg->arena, n + 1);
		if (b == NULL) {
			msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
			return;
		}
		bool bad = false;
		size_t bl = rebound_qp_decode(raw, n, b, false, &bad);
		b[bl] = '\0';
		if (bad)
			msg->flags |= REBOUND_MSG_BAD_ENCODING;
		part->body_ = b;
		part->body_len_ = bl;
		return;
	}
	/* 7bit, 8bit, binary, unknown: as is.  The byte after the part is
	   always readable (the copy ends with a NUL). */
	if (raw[n] == '\0') {
		part->body_ = raw;
		part->body_len_ = n;
		return;
	}
	char *b = rebound_arena_strndup(msg->arena, raw, n);
	if (b == NULL) {
		msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
		return;
	}
	part->body_ = b;
	part->body_len_ = n;
}

/* The empty answer of the two accessors for a missing message or part. */
static const char *nothing(size_t *len)
{
	if (len != NULL)
		*len = 0;
	empty_string[0] = '\0';
	return empty_string;
}

const char *rebound_part_body(rebound_message *msg, rebound_part *part,
			      size_t *len)
{
	if (msg == NULL || part == NULL)
		return nothing(len);
	if (!(part->decoded_ & DECODED_BODY)) {
		decode_body(msg, part);
		if (rebound_arena_exhausted(msg->arena))
			msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
	}
	if (len != NULL)
		*len = part->body_len_;
	return part->body_;
}

/* Only bytes 0x01..0x7F but CR: text as is. */
static bool plain_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	const uint64_t crs = 0x0D0D0D0D0D0D0D0Dull;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t x = w ^ crs;
		if ((w & highs) || ((w - ones) & ~w & highs) ||
		    ((x - ones) & ~x & highs))
			return false;
	}
	for (; i < n; i++)
		if (p[i] == 0 || p[i] == '\r' || p[i] >= 0x80)
			return false;
	return true;
}

/* NULs to spaces, CRLF and CR to LF, in place; returns the new length. */
static size_t clean_text(char *s, size_t n)
{
	char *z = memchr(s, '\0', n);
	while (z != NULL) {
		*z = ' ';
		z = memchr(z + 1, '\0', (size_t)(s + n - (z + 1)));
	}
	return normalise(s, s, n);
}

/* The charset that applies: the part's, else the nearest enclosing
 * part's within the same message. */
static const char *effective_charset(const rebound_part *part)
{
	for (const rebound_part *q = part; q != NULL; q = q->parent) {
		if (q->charset != NULL)
			return q->charset;
		if (q->parent != NULL && (is_message_type(q->parent->type) ||
					  is_headers_type(q->parent->type)))
			break;
	}
	return NULL;
}

static void make_text(rebound_message *msg, rebound_part *part)
{
	size_t blen;
	const char *body = rebound_part_body(msg, part, &blen);
	bool html = type_is(part->type, "text/html");
	size_t max = msg->limits.max_text_bytes;
	size_t in_max = html ? (max > SIZE_MAX / 4 ? SIZE_MAX : max * 4) : max;

	part->decoded_ |= DECODED_TEXT;
	part->text_ = empty_string;
	part->text_len_ = 0;
	if (blen > in_max)
		blen = in_max;
	if (blen == 0)
		return;
	const char *cs = effective_charset(part);
	if (!html && plain_text(body, blen) &&
	    memchr(body, 0x1B, blen) == NULL && memchr(body, 0x0E, blen) == NULL &&
	    (cs == NULL || strncmp(cs, "utf-16", 6) != 0) &&
	    (cs == NULL || strncmp(cs, "utf-32", 6) != 0) &&
	    (cs == NULL || strcmp(cs, "utf-7") != 0)) {
		if (body[blen] == '\0') {
			part->text_ = body;
		} else {
			char *t = rebound_arena_strndup(msg->arena, body, blen);
			if (t == NULL) {
				msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
				return;
			}
			part->text_ = t;
		}
		part->text_len_ = blen;
		return;
	}
	char *u;
	size_t ulen;
	msg->flags |= rebound_charset_to_utf8(msg->arena, cs, body, blen, &u,
					      &ulen);
	if (ulen == 0)
		return;
	ulen = clean_text(u, ulen);
	u[ulen] = '\0';
	if (html) {
		char *h = rebound_arena_alloc(msg->arena, ulen + 1);
		if (h == NULL) {
			msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
			return;
		}
		ulen = rebound_html_to_text(u, ulen, h);
		u = h;
	}
	if (ulen > max) {
		size_t cut = max;
		while (cut > 0 && ((unsigned char)u[cut] & 0xC0) == 0x80)
			cut--;
		ulen = cut;
		u[ulen] = '\0';
	}
	part->text_ = u;
	part->text_len_ = ulen;
}

const char *rebound_part_text(rebound_message *msg, rebound_part *part,
			      size_t *len)
{
	if (msg == NULL || part == NULL)
		return nothing(len);
	if (!(part->decoded_ & DECODED_TEXT)) {
		make_text(msg, part);
		if (rebound_arena_exhausted(msg->arena))
			msg->flags |= REBOUND_MSG_OUT_OF_MEMORY;
	}
	if (len != NULL)
		*len = part->text_len_;
	return part->text_;
}

/* ---- the builder ---------------------------------------------------- */

struct rebound_builder {
	rebound_arena *arena;
	rebound_limits limits;
	char *buf;
	size_t len, cap;	/* cap excludes the byte for the NUL */
	size_t taken;		/* input bytes accepted */
	unsigned flags;
	bool pending_cr;	/* the last byte added was a CR */
};

rebound_builder *rebound_builder_new(rebound_arena *arena,
				     const rebound_limits *limits)
{
	rebound_builder *b = rebound_arena_alloc(arena, sizeof(*b));
	if (b == NULL)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->arena = arena;
	fill_limits(&b->limits, limits);
	b->cap = 8 * 1024 - 1;
	b->buf = rebound_arena_alloc(arena, b->cap + 1);
	if (b->buf == NULL)
		return NULL;
	return b;
}

void rebound_builder_add(rebound_builder *b, const char *data, size_t len)
{
	if (b == NULL || data == NULL || len == 0)
		return;
	size_t room = b->limits.max_message_bytes - b->taken;
	if (len > room) {
		len = room;
		b->flags |= REBOUND_MSG_TRUNCATED;
	}
	if (len == 0)
		return;
	b->taken += len;
	if (b->pending_cr && data[0] == '\n') {
		data++;
		len--;
	}
	b->pending_cr = false;
	if (len == 0)
		return;
	if (b->cap - b->len < len) {
		size_t ncap = b->cap * 2 + 1;
		if (ncap - b->len < len)
			ncap = b->len + len;
		char *nb = rebound_arena_alloc(b->arena, ncap + 1);
		if (nb == NULL) {
			b->flags |= REBOUND_MSG_OUT_OF_MEMORY |
				    REBOUND_MSG_TRUNCATED;
			b->taken = b->limits.max_message_bytes;
			return;
		}
		memcpy(nb, b->buf, b->len);
		b->buf = nb;
		b->cap = ncap;
	}
	b->len += normalise(b->buf + b->len, data, len);
	b->pending_cr = data[len - 1] == '\r';
}

int rebound_builder_finish(rebound_builder *b, rebound_message **out)
{
	if (b == NULL) {
		*out = NULL;
		return -1;
	}
	b->buf[b->len] = '\0';
	return parse_normalised(b->arena, b->buf, b->len, &b->limits,
				b->flags, out);
}
