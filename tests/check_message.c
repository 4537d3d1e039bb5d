/* check_message.c - unit tests for common/mail/message.c: header blocks, the
 * MIME tree, lazy bodies and texts, limits and flags, the builder. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/arena.h"
#include "mail/header-decode.h"
#include "mail/message.h"

static rebound_arena *A;

static void setup(void)
{
	A = rebound_arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	rebound_arena_free(A);
	A = NULL;
}

/* A fixture's bytes (malloc'ed), from $srcdir/tests/fixtures/mime/. */
static char *load(const char *name, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/mime/%s",
		 srcdir != NULL ? srcdir : ".", name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static rebound_message *parse_buf(const char *buf, size_t len,
				  const rebound_limits *lim)
{
	rebound_message *m = NULL;
	ck_assert_int_eq(rebound_message_parse(A, buf, len, lim, &m), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->root);
	return m;
}

static rebound_message *parse_fixture(const char *name)
{
	size_t len;
	char *buf = load(name, &len);
	rebound_message *m = parse_buf(buf, len, NULL);
	free(buf);	/* the model holds its own copy */
	return m;
}

static rebound_message *parse_str(const char *s)
{
	return parse_buf(s, strlen(s), NULL);
}

/* The i-th part in document order. */
static rebound_part *nth(rebound_message *m, unsigned i)
{
	rebound_part *p = m->root;
	while (p != NULL && i-- > 0)
		p = rebound_part_next(p);
	ck_assert_ptr_nonnull(p);
	return p;
}

static unsigned count_parts(rebound_message *m)
{
	unsigned n = 0;
	for (rebound_part *p = m->root; p != NULL; p = rebound_part_next(p))
		n++;
	return n;
}

static const char *text(rebound_message *m, unsigned i)
{
	size_t len;
	const char *t = rebound_part_text(m, nth(m, i), &len);
	ck_assert_uint_eq(strlen(t), len);
	return t;
}

/* "type@depth,type@depth,..." of the whole tree. */
static const char *shape(rebound_message *m)
{
	static char buf[4096];
	size_t o = 0;
	buf[0] = '\0';
	for (rebound_part *p = m->root; p != NULL; p = rebound_part_next(p))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s@%u",
				      o > 0 ? "," : "", p->type, p->depth);
	return buf;
}

/* --- header blocks ------------------------------------------------------- */

START_TEST(headers_unfold)
{
	const char *t = "Subject: one\n two\n\tthree  \nX-Empty:\n"
			"Name With Space: no\n";
	rebound_header *h;
	size_t used;
	unsigned flags = 0;
	unsigned n = rebound_headers_parse(A, t, strlen(t), NULL, &h, &used,
					   &flags);
	/* "Name With Space" is not a field name: the block ends there. */
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(used, strlen("Subject: one\n two\n\tthree  \n"
				       "X-Empty:\n"));
	ck_assert_str_eq(h->name, "Subject");
	ck_assert_str_eq(h->value, "one two\tthree");
	ck_assert_uint_eq(h->value_len, 13);
	ck_assert_str_eq(h->next->name, "X-Empty");
	ck_assert_str_eq(h->next->value, "");
	ck_assert_ptr_null(h->next->next);
	ck_assert_uint_eq(flags, 0);

	/* A parameter continued without indentation after a ';'. */
	t = "Content-Type: multipart/alternative; x=y;\n"
	    "boundary=\"b1\"\nnot=a continuation\n\nbody";
	n = rebound_headers_parse(A, t, strlen(t), NULL, &h, &used, &flags);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(h->value, "multipart/alternative; x=y;boundary=\"b1\"");
	ck_assert_str_eq(rebound_header_param(A, h->value, "boundary"), "b1");
	ck_assert_uint_eq(used, strlen("Content-Type: multipart/alternative; "
				       "x=y;\nboundary=\"b1\"\n"));
}
END_TEST

/* The field name as defined: the run of bytes 0x21-0x7E but ':' at the
 * line's start, then optional blanks and a ':' (else no field). */
static bool naive_field(const char *l, size_t n, size_t *name_len)
{
	size_t k = 0;
	while (k < n && (unsigned char)l[k] > 32 && (unsigned char)l[k] < 127 &&
	       l[k] != ':')
		k++;
	size_t c = k;
	while (c < n && (l[c] == ' ' || l[c] == '\t'))
		c++;
	*name_len = k;
	return k > 0 && c < n && l[c] == ':';
}

START_TEST(headers_name_bytes)
{
	/* Names of every length up to 40, then each byte that ends a name
	 * (or does not) right after it, so that it falls at every place of
	 * the 8-byte words the name is scanned in; the line in a buffer of
	 * exactly its size. */
	static const unsigned char after[] = {
		':', ' ', '\t', 0x7f, 0x80, 0xff, 0x01, 0x1f, '!', '~', 'a',
		'\0', '\n',
	};
	for (size_t k = 0; k <= 40; k++)
		for (size_t a = 0; a < sizeof(after); a++) {
			char line[96];
			size_t n = 0;
			for (size_t i = 0; i < k; i++)
				line[n++] = "Ab-_9xZ~!"[i % 9];
			line[n++] = (char)after[a];
			memcpy(line + n, "rest: v\n", 8);
			n += 8;
			char *t = malloc(n);
			ck_assert_ptr_nonnull(t);
			memcpy(t, line, n);
			rebound_header *h = NULL;
			size_t used = 0, nl;
			unsigned flags = 0;
			unsigned got = rebound_headers_parse(A, t, n, NULL, &h,
							     &used, &flags);
			const char *eol = memchr(line, '\n', n);
			bool field = naive_field(line, (size_t)(eol - line), &nl);
			ck_assert_uint_eq(got, field ? 1 : 0);
			if (field) {
				ck_assert_uint_eq(h->name_len, nl);
				ck_assert_mem_eq(h->name, line, nl);
				ck_assert_int_eq(h->name[nl], '\0');
			}
			free(t);
			rebound_arena_reset(A);
		}
}
END_TEST

START_TEST(headers_find)
{
	rebound_message *m = parse_str("Received: a\nreceived: b\n"
				       "Subject :  spaced colon\n"
				       "RECEIVED: c\n\nbody\n");
	const rebound_header *h = rebound_header_find(m->root->headers,
						      "Received");
	ck_assert_str_eq(h->value, "a");
	h = rebound_header_find(h->next, "received");
	ck_assert_str_eq(h->value, "b");
	h = rebound_header_find(h->next, "received");
	ck_assert_str_eq(h->value, "c");
	ck_assert_ptr_null(rebound_header_find(h->next, "received"));
	ck_assert_str_eq(rebound_header_get(m->root->headers, "subject"),
			 "spaced colon");
	ck_assert_ptr_null(rebound_header_get(m->root->headers, "To"));
	ck_assert_ptr_null(rebound_header_get(NULL, "To"));
	ck_assert_str_eq(text(m, 0), "body\n");
}
END_TEST

/* The first field named `name` (ASCII case folded) from h on: the
 * definition, field by field. */
static const rebound_header *naive_find(const rebound_header *h,
					const char *name)
{
	for (; h != NULL; h = h->next)
		if (strlen(h->name) == strlen(name) &&
		    strcasecmp(h->name, name) == 0)
			return h;
	return NULL;
}

START_TEST(headers_find_as_defined)
{
	/* Names that share length, first and last byte and differ inside;
	 * that differ only in a bit that folds letters but not '@' '`' '['
	 * '{'; repeated names; one-byte names.  Every name (and its other
	 * case, and names of no field) looked up from every field on, as
	 * the definition says. */
	static const char *const names[] = {
		"X-Ab", "x-aB", "X-Cb", "Xyzb", "@a", "`a", "[x", "{x", "T",
		"t", "Received", "Reveived", "Received", "a-b-c-d-e-f-g",
		"A-B-C-D-E-F-G", "Z", "Content-Type", "Content-Typo",
	};
	static const char *const asked[] = {
		"x-ab", "X-CB", "xyzB", "x-zb", "@A", "`a", "[X", "{x", "t",
		"received", "REVEIVED", "Recieved", "a-b-c-d-e-f-G", "z", "y",
		"content-type", "Content-Typ", "Content-Typeo", "Subject",
	};
	char block[1024];
	size_t o = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		o += (size_t)snprintf(block + o, sizeof(block) - o, "%s: v%zu\n",
				      names[i], i);
	rebound_message *m = parse_str(block);
	size_t checked = 0, found = 0;
	for (const rebound_header *from = m->root->headers; from != NULL;
	     from = from->next)
		for (size_t a = 0; a < sizeof(asked) / sizeof(*asked); a++) {
			const rebound_header *want = naive_find(from, asked[a]);
			ck_assert_ptr_eq(rebound_header_find(from, asked[a]), want);
			checked++;
			found += want != NULL;
		}
	ck_assert_uint_gt(found, 50);
	ck_assert_uint_gt(checked - found, 50);
	ck_assert_ptr_null(rebound_header_find(m->root->headers, ""));
	ck_assert_ptr_null(rebound_header_find(m->root->headers, NULL));

	/* Blocks of random names (so that every bit of the block's word
	 * is some name's), each looked up in another case, and names of
	 * the same lengths that no field has. */
	unsigned x = 31337;
	static const char alpha[] = "abcXYZ-_09@`[{~!";
	for (int round = 0; round < 300; round++) {
		char nm[24][24];
		o = 0;
		for (int f = 0; f < 24; f++) {
			x = x * 1103515245u + 12345u;
			size_t nl = 1 + (x >> 16) % 20;
			for (size_t k = 0; k < nl; k++) {
				x = x * 1103515245u + 12345u;
				nm[f][k] = alpha[(x >> 16) % (sizeof(alpha) - 1)];
			}
			nm[f][nl] = '\0';
			o += (size_t)snprintf(block + o, sizeof(block) - o,
					      "%s: %d\n", nm[f], f);
		}
		m = parse_str(block);
		for (int f = 0; f < 24; f++) {
			char q[24];
			for (size_t k = 0; nm[f][k] != '\0'; k++) {
				char c = nm[f][k];
				q[k] = (char)(c >= 'a' && c <= 'z' ? c - 32 :
					      c >= 'A' && c <= 'Z' ? c + 32 : c);
				q[k + 1] = '\0';
			}
			ck_assert_ptr_eq(rebound_header_find(m->root->headers, q),
					 naive_find(m->root->headers, q));
			ck_assert_ptr_nonnull(rebound_header_find(m->root->headers,
								  q));
			q[0] = q[0] == '~' ? '!' : '~';
			ck_assert_ptr_eq(rebound_header_find(m->root->headers, q),
					 naive_find(m->root->headers, q));
		}
		rebound_arena_reset(A);
	}
}
END_TEST

START_TEST(headers_limits)
{
	/* A 1 MB header line: cut to max_header_bytes, flagged, and the
	   rest of the message is still parsed. */
	size_t big = 1 << 20;
	char *buf = malloc(big + 200);
	ck_assert_ptr_nonnull(buf);
	size_t o = 0;
	o += (size_t)sprintf(buf, "Subject: ");
	memset(buf + o, 'x', big);
	o += big;
	o += (size_t)sprintf(buf + o, "\nTo: b@example.org\n\nbody\n");
	rebound_message *m = parse_buf(buf, o, NULL);
	ck_assert(m->flags & REBOUND_MSG_LONG_HEADER);
	const rebound_header *h = rebound_header_find(m->root->headers,
						      "Subject");
	ck_assert_uint_eq(h->value_len, 64 * 1024);
	ck_assert_uint_eq(strlen(h->value), 64 * 1024);
	ck_assert_str_eq(rebound_header_get(m->root->headers, "To"),
			 "b@example.org");
	ck_assert_str_eq(text(m, 0), "body\n");
	free(buf);

	/* Too many fields: the extra ones are dropped, the body found. */
	rebound_limits lim = { .max_headers = 10 };
	buf = malloc(100 * 20 + 100);
	ck_assert_ptr_nonnull(buf);
	o = 0;
	for (int i = 0; i < 100; i++)
		o += (size_t)sprintf(buf + o, "X-H%d: %d\n", i, i);
	o += (size_t)sprintf(buf + o, "\nbody\n");
	m = parse_buf(buf, o, &lim);
	ck_assert(m->flags & REBOUND_MSG_MANY_HEADERS);
	unsigned n = 0;
	for (rebound_header *hh = m->root->headers; hh; hh = hh->next)
		n++;
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(text(m, 0), "body\n");
	free(buf);
}
END_TEST

/* --- fixtures: tree shape, types, texts ---------------------------------- */

START_TEST(fixture_nested)
{
	rebound_message *m = parse_fixture("nested.eml");
	ck_assert_str_eq(shape(m),
			 "multipart/mixed@0,multipart/alternative@1,"
			 "text/plain@2,text/html@2,"
			 "application/octet-stream@1,message/rfc822@1,"
			 "multipart/mixed@2,text/plain@3");
	ck_assert_uint_eq(m->part_count, 8);
	ck_assert_uint_eq(m->flags, 0);
	ck_assert_str_eq(text(m, 2), "Plain alternative.");
	ck_assert_str_eq(nth(m, 2)->charset, "us-ascii");
	ck_assert_str_eq(text(m, 3),
			 "HTML & more\nSecond para \xE2\x98\xBA \xC3\xA9");
	/* The attachment: base64, every byte value. */
	size_t len;
	const unsigned char *b = (const unsigned char *)rebound_part_body(
		m, nth(m, 4), &len);
	ck_assert_uint_eq(len, 256);
	for (unsigned i = 0; i < 256; i++)
		ck_assert_uint_eq(b[i], i);
	ck_assert_str_eq(nth(m, 4)->encoding, "base64");
	/* The embedded message and its own parts. */
	rebound_part *inner = nth(m, 6);
	ck_assert_ptr_eq(inner->parent, nth(m, 5));
	ck_assert_ptr_eq(nth(m, 5)->first_child, inner);
	ck_assert_str_eq(rebound_header_get(inner->headers, "Subject"),
			 "Inner message");
	ck_assert_str_eq(text(m, 7), "Deep text.");
	/* Siblings and parents. */
	ck_assert_ptr_eq(nth(m, 1)->next_sibling, nth(m, 4));
	ck_assert_ptr_eq(nth(m, 4)->next_sibling, nth(m, 5));
	ck_assert_ptr_null(nth(m, 5)->next_sibling);
	ck_assert_ptr_eq(nth(m, 3)->parent, nth(m, 1));
	/* Preamble and epilogue are not parts, but stay in the raw body. */
	ck_assert(strstr(m->root->raw_body, "preamble") != NULL);
	ck_assert_ptr_null(strstr(text(m, 1), "epilogue"));
}
END_TEST

START_TEST(fixture_dsn)
{
	rebound_message *m = parse_fixture("dsn-report.eml");
	ck_assert_str_eq(shape(m),
			 "multipart/report@0,text/plain@1,"
			 "message/delivery-status@1,message/rfc822@1,"
			 "text/plain@2");
	ck_assert_str_eq(rebound_header_param(A, rebound_header_get(
		m->root->headers, "Content-Type"), "report-type"),
		"delivery-status");
	/* The delivery-status text is its field blocks, as written. */
	const char *ds = text(m, 2);
	ck_assert(strncmp(ds, "Reporting-MTA: dns; mx.example.net\n", 35) == 0);
	ck_assert(strstr(ds, "\n\nFinal-Recipient: rfc822; nobody@example.net\n"
			     "Action: failed\nStatus: 5.1.1\n") != NULL);
	/* ... which rebound_headers_parse() reads block by block. */
	size_t len, used;
	const char *body = rebound_part_body(m, nth(m, 2), &len);
	rebound_header *h;
	unsigned fl = 0;
	ck_assert_uint_eq(rebound_headers_parse(A, body, len, NULL, &h, &used,
						&fl), 2);
	ck_assert_uint_eq(rebound_headers_parse(A, body + used, len - used,
						NULL, &h, &used, &fl), 4);
	ck_assert_str_eq(rebound_header_get(h, "status"), "5.1.1");
	/* The returned message: headers of the original. */
	rebound_part *orig = nth(m, 4);
	ck_assert_str_eq(rebound_header_get(orig->headers, "Message-ID"),
			 "<orig-42@example.org>");
	ck_assert_str_eq(rebound_header_get(orig->headers, "X-Campaign-ID"),
			 "spring-2024");
	ck_assert_str_eq(text(m, 4), "Original body.\n");
	ck_assert_uint_eq(m->flags, 0);
}
END_TEST

START_TEST(fixture_rfc822_headers)
{
	rebound_message *m = parse_fixture("rfc822-headers.eml");
	/* The child holds the header block only, and is not split even
	   though its Content-Type says multipart. */
	ck_assert_str_eq(shape(m),
			 "multipart/report@0,text/plain@1,"
			 "message/delivery-status@1,text/rfc822-headers@1,"
			 "multipart/alternative@2");
	rebound_part *hp = nth(m, 4);
	ck_assert_str_eq(rebound_header_get(hp->headers, "Message-ID"),
			 "<orig-7@example.org>");
	ck_assert_ptr_null(hp->first_child);
	ck_assert_uint_eq(hp->raw_len, 0);
	ck_assert_uint_eq(m->flags, 0);
	/* The text of the headers part is the header block itself. */
	ck_assert(strncmp(text(m, 3), "Message-ID: <orig-7@example.org>\n",
			  33) == 0);
}
END_TEST

START_TEST(fixture_encodings)
{
	rebound_message *m = parse_fixture("base64-qp.eml");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1,"
				   "text/plain@1");
	/* base64 with CRLF inside: the text has LF only. */
	ck_assert_str_eq(text(m, 1), "Grüße aus Köln — ünïcödé.\n"
				     "Second line.\n");
	size_t len;
	const char *body = rebound_part_body(m, nth(m, 1), &len);
	ck_assert(memchr(body, '\r', len) != NULL);
	ck_assert_str_eq(text(m, 2),
			 "Café crème, naïve façade. Café crème, naïve façade. "
			 "Café crème, naïve façade. \nEnd=of line.");
	ck_assert_uint_eq(m->flags, 0);
}
END_TEST

START_TEST(fixture_japanese)
{
	static const char *const names[] = {
		"jp-iso2022.eml", "jp-sjis.eml", "jp-eucjp.eml",
		"jp-undeclared-sjis.eml", "jp-undeclared-euc.eml",
		"jp-undeclared-jis.eml",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rebound_message *m = parse_fixture(names[i]);
		ck_assert_msg(strcmp(text(m, 0),
			"このメールは配信できませんでした。\n"
			"宛先のアドレスが見つかりません。\n") == 0,
			"%s: %s", names[i], text(m, 0));
		const char *s = rebound_header_get(m->root->headers,
						   "Subject");
		ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)),
				 "配信エラー: 宛先不明");
		ck_assert_msg((m->flags & REBOUND_MSG_BAD_CHARSET) == 0,
			      "%s", names[i]);
	}
}
END_TEST

START_TEST(fixture_western)
{
	rebound_message *m = parse_fixture("latin1.eml");
	ck_assert_str_eq(text(m, 0),
			 "Le destinataire est inconnu. Adresse refusée.\n");
	const char *s = rebound_header_get(m->root->headers, "Subject");
	ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)),
			 "Non remis : réponse à votre message");

	m = parse_fixture("cp1252.eml");
	ck_assert_str_eq(text(m, 0), "„Empfänger unbekannt“ – Gebühr 5 €.\n");
	s = rebound_header_get(m->root->headers, "Subject");
	ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)),
			 "„Zustellung“ fehlgeschlagen – €5");

	m = parse_fixture("undeclared-latin1.eml");
	ck_assert_str_eq(text(m, 0), "Schöne Grüße, Müller.\n");
	s = rebound_header_get(m->root->headers, "Subject");
	ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)), "Müller");
	ck_assert_uint_eq(m->flags, 0);

	m = parse_fixture("unknown-charset.eml");
	ck_assert_str_eq(text(m, 0), "café\n");
	ck_assert(m->flags & REBOUND_MSG_BAD_CHARSET);
}
END_TEST

START_TEST(fixture_rfc822_base64)
{
	rebound_message *m = parse_fixture("rfc822-base64.eml");
	ck_assert_str_eq(shape(m), "multipart/report@0,text/plain@1,"
				   "message/rfc822@1,text/plain@2");
	rebound_part *orig = nth(m, 3);
	ck_assert_str_eq(rebound_header_get(orig->headers, "Message-ID"),
			 "<enc-orig@example.org>");
	ck_assert_str_eq(rebound_header_get(orig->headers, "Subject"),
			 "Encoded original");
	ck_assert_str_eq(text(m, 3), "Original text.\n");
	/* The message part's body is the decoded message, LF ends. */
	size_t len;
	const char *b = rebound_part_body(m, nth(m, 2), &len);
	ck_assert(strncmp(b, "From: orig@example.org\nSubject:", 31) == 0);
	ck_assert_ptr_null(memchr(b, '\r', len));
}
END_TEST

START_TEST(fixture_digest)
{
	rebound_message *m = parse_fixture("digest.eml");
	ck_assert_str_eq(shape(m), "multipart/digest@0,message/rfc822@1,"
				   "text/plain@2,text/plain@1");
	ck_assert_str_eq(rebound_header_get(nth(m, 2)->headers, "Subject"),
			 "First");
	ck_assert_str_eq(text(m, 2), "First body.");
	ck_assert_str_eq(text(m, 3), "Not a message.");
}
END_TEST

START_TEST(fixture_line_ends)
{
	rebound_message *lf = parse_fixture("lines-lf.eml");
	rebound_message *crlf = parse_fixture("lines-crlf.eml");
	rebound_message *cr = parse_fixture("lines-cr.eml");
	char want[4096];
	snprintf(want, sizeof(want), "%s", shape(lf));
	ck_assert_str_eq(shape(crlf), want);
	ck_assert_str_eq(shape(cr), want);
	ck_assert_uint_eq(lf->len, crlf->len);
	ck_assert_uint_eq(lf->len, cr->len);
	ck_assert_mem_eq(lf->data, crlf->data, lf->len);
	ck_assert_mem_eq(lf->data, cr->data, lf->len);
	unsigned n = count_parts(lf);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_str_eq(text(crlf, i), text(lf, i));
		ck_assert_str_eq(text(cr, i), text(lf, i));
	}
	ck_assert_uint_eq(lf->flags, crlf->flags);
	ck_assert_uint_eq(lf->flags, cr->flags);
}
END_TEST

/* CRLF and bare CR to LF, one byte at a time: the definition. */
static size_t naive_lf(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		out[o++] = s[i] == '\r' ? '\n' : s[i];
	}
	return o;
}

static void b64(const unsigned char *in, size_t n, char *out)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = al[v >> 18];
		out[o++] = al[(v >> 12) & 63];
		out[o++] = i + 1 < n ? al[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? al[v & 63] : '=';
	}
	out[o] = '\0';
}

START_TEST(line_ends_as_defined)
{
	/* Line ends at every offset of texts longer and shorter than the
	 * 16-byte blocks the copy takes: in a whole message (a copy) and in
	 * a decoded text part (converted in place). */
	static const char alpha[] = { 'a', 'b', ' ', ':', '\r', '\n', '\r' };
	unsigned x = 99;
	for (int round = 0; round < 4000; round++) {
		char in[96], want[96];
		x = x * 1103515245u + 12345u;
		size_t len = (x >> 16) % sizeof(in);
		unsigned rare = 1 + (x >> 8) % 20;
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			in[i] = r % rare == 0 ? alpha[(r / rare) % sizeof(alpha)] :
						(char)('c' + r % 20);
		}
		size_t wl = naive_lf(in, len, want);
		char *exact = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(exact);
		memcpy(exact, in, len);
		rebound_message *m = parse_buf(exact, len, NULL);
		free(exact);
		ck_assert_uint_eq(m->len, wl);
		ck_assert_mem_eq(m->data, want, wl);
		ck_assert_int_eq(m->data[wl], '\0');

		char msg[256];
		int hl = snprintf(msg, sizeof(msg), "Content-Transfer-Encoding: "
				  "base64\n\n");
		b64((const unsigned char *)in, len, msg + hl);
		m = parse_buf(msg, strlen(msg), NULL);
		size_t tl;
		const char *t = rebound_part_text(m, m->root, &tl);
		ck_assert_uint_eq(tl, wl);
		ck_assert_mem_eq(t, want, wl);
		rebound_arena_reset(A);
	}
}
END_TEST

START_TEST(nul_in_embedded_headers)
{
	/* NUL bytes turn into spaces in header values wherever the header
	 * block is: in a part of the message itself, and in an embedded
	 * message that had to be decoded first (the message's own bytes
	 * hold no NUL there: only the decoded copy does). */
	static const unsigned char inner[] = "Subject: a\0b\nX-Y: y\0\n\nbody\n";
	char enc[128];
	b64(inner, sizeof(inner) - 1, enc);
	char msg[512];
	snprintf(msg, sizeof(msg),
		 "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
		 "--b\nContent-Type: message/rfc822\n"
		 "Content-Transfer-Encoding: base64\n\n%s\n--b--\n", enc);
	rebound_message *m = parse_buf(msg, strlen(msg), NULL);
	ck_assert(m->flags & REBOUND_MSG_NUL);
	rebound_part *emb = m->root->first_child->first_child;
	ck_assert_ptr_nonnull(emb);
	ck_assert_str_eq(rebound_header_get(emb->headers, "Subject"), "a b");
	ck_assert_str_eq(rebound_header_get(emb->headers, "X-Y"), "y");

	static const char direct[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				     "--b\nX-Z: c\0d\n\ntext\n--b--\n";
	m = parse_buf(direct, sizeof(direct) - 1, NULL);
	ck_assert(m->flags & REBOUND_MSG_NUL);
	ck_assert_str_eq(rebound_header_get(m->root->first_child->headers,
					    "X-Z"), "c d");
}
END_TEST

/* --- damaged input -------------------------------------------------------- */

START_TEST(damaged_boundaries)
{
	rebound_message *m = parse_fixture("no-end-boundary.eml");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1,"
				   "text/plain@1");
	ck_assert(m->flags & REBOUND_MSG_NO_END_BOUNDARY);
	ck_assert_str_eq(text(m, 1), "part one");
	ck_assert_str_eq(text(m, 2), "part two, never closed\n");

	/* No boundary= at all: the delimiter the body uses is found. */
	m = parse_fixture("no-boundary-param.eml");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1");
	ck_assert(m->flags & REBOUND_MSG_NO_BOUNDARY);
	ck_assert_str_eq(text(m, 1), "text");

	/* The header names one boundary, the body uses another. */
	m = parse_str("Content-Type: multipart/report; boundary=\"=_AA.1/host\"\n\n"
		      "preamble\n--=_AA.2/host\nContent-Type: text/plain\n\n"
		      "first\n--=_AA.2/host\n"
		      "Content-Type: message/delivery-status\n\n"
		      "Action: failed\n\n--=_AA.2/host--\n");
	ck_assert_str_eq(shape(m), "multipart/report@0,text/plain@1,"
				   "message/delivery-status@1");
	ck_assert_str_eq(text(m, 1), "first");

	/* A signature delimiter or a dashed rule is no boundary. */
	m = parse_str("Content-Type: multipart/mixed; boundary=zz\n\n"
		      "text\n-- \nsig\n----- rule -----\n-- \n");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1");
	ck_assert(strstr(text(m, 1), "----- rule -----") != NULL);

	m = parse_fixture("truncated-boundary.eml");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1");
	ck_assert(m->flags & REBOUND_MSG_NO_END_BOUNDARY);
	ck_assert_str_eq(text(m, 1), "complete part\n--cut-he");

	/* A longer boundary that starts with ours is not ours. */
	m = parse_str("Content-Type: multipart/mixed; boundary=b\n\n"
		      "--b\n\nA\n--bb\nstill A\n--b \t\n\nB\n--b--junk\n"
		      "epilogue\n");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1,"
				   "text/plain@1");
	ck_assert_str_eq(text(m, 1), "A\n--bb\nstill A");
	ck_assert_str_eq(text(m, 2), "B");
	ck_assert_uint_eq(m->flags, 0);

	/* Empty parts and a boundary on the very first line. */
	m = parse_str("Content-Type: multipart/mixed; boundary=\"q\"\n\n"
		      "--q\n--q\n\n--q--");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1,"
				   "text/plain@1");
	ck_assert_str_eq(text(m, 1), "");
	ck_assert_str_eq(text(m, 2), "");

	/* A delimiter only counts at the start of a line: not inside the
	   first line, not after other text on a later one. */
	m = parse_str("Content-Type: multipart/mixed; boundary=q\n\n"
		      "x--q\n--q\nA --q\n--q--\n\n--q\nB\n--q--");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1");
	ck_assert_str_eq(text(m, 1), "A --q");
	ck_assert_uint_eq(m->flags, 0);

	/* No delimiter at all: the body is read as one text part, so a
	   report that was never split is not lost. */
	m = parse_str("Content-Type: multipart/mixed; boundary=zz\n\n"
		      "just text\n");
	ck_assert_str_eq(shape(m), "multipart/mixed@0,text/plain@1");
	ck_assert(m->flags & REBOUND_MSG_NO_END_BOUNDARY);
	ck_assert_str_eq(text(m, 1), "just text\n");
}
END_TEST

START_TEST(damaged_headers)
{
	rebound_message *m = parse_fixture("header-no-colon.eml");
	ck_assert_str_eq(rebound_header_get(m->root->headers, "Subject"),
			 "fine");
	ck_assert_ptr_null(rebound_header_get(m->root->headers, "To"));
	ck_assert_str_eq(text(m, 0), "this line is not a header\n"
				     "To: b@example.org\n\nbody\n");
	ck_assert_uint_eq(m->flags, 0);

	m = parse_fixture("no-headers.eml");
	ck_assert_ptr_null(m->root->headers);
	ck_assert(m->flags & REBOUND_MSG_NO_HEADERS);
	ck_assert_str_eq(m->root->type, "text/plain");
	ck_assert_str_eq(text(m, 0), "Hello, this is not a header line.\n"
				     "Second line.\n");

	m = parse_fixture("only-headers.eml");
	ck_assert_str_eq(rebound_header_get(m->root->headers, "Subject"),
			 "only headers");
	ck_assert_uint_eq(m->root->raw_len, 0);
	ck_assert_str_eq(text(m, 0), "");
	ck_assert_uint_eq(m->flags, 0);

	m = parse_fixture("mbox-from.eml");
	ck_assert_str_eq(rebound_header_get(m->root->headers, "From"),
			 "sender@example.org");
	ck_assert_str_eq(text(m, 0), "body\n");
	ck_assert_uint_eq(m->flags, 0);

	/* Leading blank line: no header block, the rest is the body. */
	m = parse_str("\nSubject: not a header\n");
	ck_assert(m->flags & REBOUND_MSG_NO_HEADERS);
	ck_assert_str_eq(text(m, 0), "Subject: not a header\n");

	/* A continuation before any field is not a header block. */
	m = parse_str(" indented\nSubject: x\n\nbody");
	ck_assert(m->flags & REBOUND_MSG_NO_HEADERS);
	ck_assert_str_eq(text(m, 0), " indented\nSubject: x\n\nbody");

	/* 8-bit in a field name ends the block. */
	m = parse_str("Subj\xE9t: x\n\nbody");
	ck_assert(m->flags & REBOUND_MSG_NO_HEADERS);
}
END_TEST

START_TEST(damaged_empty)
{
	rebound_message *m = parse_buf("", 0, NULL);
	ck_assert_ptr_null(m->root->headers);
	ck_assert(m->flags & REBOUND_MSG_NO_HEADERS);
	ck_assert_str_eq(m->root->type, "text/plain");
	ck_assert_str_eq(text(m, 0), "");
	size_t len = 1;
	ck_assert_str_eq(rebound_part_body(m, m->root, &len), "");
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(rebound_part_next(m->root));
	m = parse_buf(NULL, 0, NULL);
	ck_assert_uint_eq(m->part_count, 1);
	m = parse_str("\n");
	ck_assert_str_eq(text(m, 0), "");
}
END_TEST

START_TEST(damaged_nul_and_junk)
{
	rebound_message *m = parse_fixture("nul-bytes.eml");
	ck_assert(m->flags & REBOUND_MSG_NUL);
	const rebound_header *h = rebound_header_find(m->root->headers,
						      "Subject");
	ck_assert_str_eq(h->value, "nul inside");
	size_t len;
	const char *b = rebound_part_body(m, m->root, &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_mem_eq(b, "before\0after\n", 13);
	ck_assert_str_eq(text(m, 0), "before after\n");

	m = parse_fixture("junk-8bit.eml");
	ck_assert_str_eq(text(m, 0),
			 "ok \xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD end\n");
	ck_assert(m->flags & REBOUND_MSG_BAD_CHARSET);
	const char *s = rebound_header_get(m->root->headers, "Subject");
	/* Not UTF-8, not Japanese: windows-1252. */
	ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)),
			 "\xC3\xBF\xC3\xBE\xE2\x82\xACjunk");

	m = parse_fixture("bad-base64.eml");
	ck_assert_str_eq(text(m, 0), "Hello world");
	ck_assert(m->flags & REBOUND_MSG_BAD_ENCODING);

	m = parse_fixture("truncated-base64.eml");
	ck_assert_str_eq(text(m, 0), "Hello world");
	ck_assert(m->flags & REBOUND_MSG_BAD_ENCODING);

	m = parse_fixture("truncated-encoded-word.eml");
	s = rebound_header_get(m->root->headers, "Subject");
	ck_assert_str_eq(rebound_header_decode(A, s, strlen(s)),
			 "Start =?utf-8?B?w6lj");
}
END_TEST

START_TEST(text_html_and_charset_inheritance)
{
	rebound_message *m = parse_str(
		"Content-Type: multipart/alternative; boundary=a;"
		" charset=iso-8859-1\n\n"
		"--a\nContent-Type: text/html\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"<p>Adresse refus=E9e</p><p>550&nbsp;5.1.1</p>\n"
		"--a\nContent-Type: message/rfc822\n\n"
		"Subject: inner\n\ncaf\xE9\n--a--\n");
	ck_assert_str_eq(text(m, 1), "Adresse refusée\n550 5.1.1");
	/* The embedded message does not inherit the outer charset; its
	   bytes are guessed. */
	ck_assert_str_eq(text(m, 3), "café");
}
END_TEST

START_TEST(text_limit)
{
	rebound_limits lim = { .max_text_bytes = 10 };
	const char *src = "Content-Type: text/plain; "
			  "charset=utf-8\n\nabcdefghi\xC3\xA9xyz";
	rebound_message *m = parse_buf(src, strlen(src), &lim);
	/* Cut at a character boundary, never inside "é". */
	ck_assert_str_eq(text(m, 0), "abcdefghi");
	m = parse_buf("\n0123456789abcdef", 17, &lim);
	ck_assert_str_eq(text(m, 0), "0123456789");
}
END_TEST

/* --- limits ---------------------------------------------------------------- */

/* n multiparts nested in each other, each with its own boundary. */
static char *deep_multipart(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 120 + 100;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	size_t o = 0;
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o,
				      "Content-Type: multipart/mixed; "
				      "boundary=\"b%u\"\n\n--b%u\n", i, i);
	o += (size_t)snprintf(buf + o, cap - o,
			      "Content-Type: text/plain\n\nbottom\n");
	for (unsigned i = n; i-- > 0;)
		o += (size_t)snprintf(buf + o, cap - o, "--b%u--\n", i);
	*len = o;
	return buf;
}

START_TEST(limit_depth)
{
	size_t len;
	char *buf = deep_multipart(5000, &len);
	clock_t t0 = clock();
	rebound_message *m = parse_buf(buf, len, NULL);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert(m->flags & REBOUND_MSG_TOO_DEEP);
	unsigned maxd = 0;
	for (rebound_part *p = m->root; p; p = rebound_part_next(p)) {
		if (p->depth > maxd)
			maxd = p->depth;
		size_t tl;
		rebound_part_text(m, p, &tl);
	}
	ck_assert_uint_eq(maxd, 20);
	ck_assert_uint_eq(m->part_count, 21);
	ck_assert(secs < 2.0);

	/* Within the limit everything is found. */
	rebound_limits lim = { .max_depth = 100 };
	free(buf);
	buf = deep_multipart(50, &len);
	m = parse_buf(buf, len, &lim);
	ck_assert_uint_eq(m->flags, 0);
	ck_assert_uint_eq(m->part_count, 51);
	rebound_part *p = m->root;
	while (p->first_child != NULL)
		p = p->first_child;
	ck_assert_str_eq(p->type, "text/plain");
	ck_assert_str_eq(rebound_part_text(m, p, &len), "bottom");
	free(buf);
}
END_TEST

START_TEST(limit_depth_messages)
{
	/* message/rfc822 in message/rfc822 ..., 3000 deep, and the same
	   with every level base64-encoded (only a few levels: each one
	   grows the text by a third). */
	size_t cap = 3000 * 40 + 100, o = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (int i = 0; i < 3000; i++)
		o += (size_t)snprintf(buf + o, cap - o,
				      "Content-Type: message/rfc822\n\n");
	o += (size_t)snprintf(buf + o, cap - o, "Subject: bottom\n\nx\n");
	rebound_limits lim = { .max_depth = 8 };
	rebound_message *m = parse_buf(buf, o, &lim);
	ck_assert(m->flags & REBOUND_MSG_TOO_DEEP);
	ck_assert_uint_eq(m->part_count, 9);
	ck_assert_str_eq(nth(m, 8)->type, "message/rfc822");
	ck_assert_ptr_null(nth(m, 8)->first_child);
	free(buf);
}
END_TEST

START_TEST(limit_parts)
{
	size_t cap = 200000 * 12 + 200, o = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	o += (size_t)snprintf(buf, cap,
			      "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 200000; i++)
		o += (size_t)snprintf(buf + o, cap - o, "--p\n\nx%d\n", i % 10);
	o += (size_t)snprintf(buf + o, cap - o, "--p--\n");
	clock_t t0 = clock();
	rebound_message *m = parse_buf(buf, o, NULL);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert(m->flags & REBOUND_MSG_MANY_PARTS);
	ck_assert(!(m->flags & REBOUND_MSG_NO_END_BOUNDARY));
	ck_assert_uint_eq(m->part_count, 1000);
	ck_assert_uint_eq(count_parts(m), 1000);
	ck_assert_str_eq(text(m, 999), "x8");
	ck_assert(secs < 2.0);

	rebound_limits lim = { .max_parts = 3 };
	m = parse_fixture("dsn-report.eml");
	m = parse_buf(buf, 200, &lim);
	ck_assert_uint_eq(m->part_count, 3);
	ck_assert(m->flags & REBOUND_MSG_MANY_PARTS);
	free(buf);
}
END_TEST

START_TEST(limit_size)
{
	rebound_limits lim = { .max_message_bytes = 30 };
	const char *msg = "Subject: hello\n\n0123456789abcdefghijklmnop\n";
	rebound_message *m = parse_buf(msg, strlen(msg), &lim);
	ck_assert(m->flags & REBOUND_MSG_TRUNCATED);
	ck_assert_uint_eq(m->len, 30);
	ck_assert_str_eq(text(m, 0), "0123456789abcd");
}
END_TEST

START_TEST(limit_arena_budget)
{
	size_t len;
	char *buf = load("nested.eml", &len);
	/* Budgets from nothing to enough: never a crash, -1 only when not
	   even the copy fits, flags when something was not kept. */
	for (size_t budget = 64; budget < 16384; budget += 64) {
		rebound_arena *a = rebound_arena_new(budget);
		rebound_message *m = NULL;
		int r = rebound_message_parse(a, buf, len, NULL, &m);
		if (r == 0) {
			for (rebound_part *p = m->root; p;
			     p = rebound_part_next(p)) {
				size_t tl;
				const char *t = rebound_part_text(m, p, &tl);
				ck_assert_ptr_nonnull(t);
				ck_assert_uint_eq(strlen(t), tl);
			}
			if (rebound_arena_exhausted(a))
				ck_assert(m->flags & REBOUND_MSG_OUT_OF_MEMORY);
		} else {
			ck_assert_ptr_null(m);
		}
		rebound_arena_free(a);
	}
	free(buf);
}
END_TEST

/* --- the builder ----------------------------------------------------------- */

/* Are two parsed messages the same (tree, headers, flags, texts)? */
static void assert_same(rebound_message *a, rebound_message *b,
			const char *what)
{
	ck_assert_msg(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
		      "%s: data differs", what);
	ck_assert_msg(a->part_count == b->part_count, "%s: part count", what);
	rebound_part *p = a->root, *q = b->root;
	for (; p != NULL && q != NULL;
	     p = rebound_part_next(p), q = rebound_part_next(q)) {
		ck_assert_msg(strcmp(p->type, q->type) == 0, "%s: type", what);
		ck_assert_msg(p->depth == q->depth, "%s: depth", what);
		ck_assert_msg(p->raw_len == q->raw_len, "%s: raw_len", what);
		const rebound_header *h = p->headers, *k = q->headers;
		for (; h != NULL && k != NULL; h = h->next, k = k->next) {
			ck_assert_msg(strcmp(h->name, k->name) == 0, "%s", what);
			ck_assert_msg(h->value_len == k->value_len &&
				      memcmp(h->value, k->value,
					     h->value_len) == 0, "%s", what);
		}
		ck_assert_msg(h == NULL && k == NULL, "%s: headers", what);
		size_t l1, l2;
		const char *t1 = rebound_part_text(a, p, &l1);
		const char *t2 = rebound_part_text(b, q, &l2);
		ck_assert_msg(l1 == l2 && memcmp(t1, t2, l1) == 0,
			      "%s: text", what);
	}
	ck_assert_msg(p == NULL && q == NULL, "%s: tree", what);
	ck_assert_msg(a->flags == b->flags, "%s: flags %#x %#x", what,
		      a->flags, b->flags);
}

static const char *const all_fixtures[] = {
	"nested.eml", "dsn-report.eml", "rfc822-headers.eml",
	"base64-qp.eml", "jp-iso2022.eml", "jp-sjis.eml", "jp-eucjp.eml",
	"jp-undeclared-sjis.eml", "jp-undeclared-euc.eml",
	"jp-undeclared-jis.eml", "latin1.eml", "cp1252.eml",
	"undeclared-latin1.eml", "lines-lf.eml", "lines-crlf.eml",
	"lines-cr.eml", "rfc822-base64.eml", "digest.eml",
	"no-end-boundary.eml", "no-boundary-param.eml",
	"header-no-colon.eml", "only-headers.eml", "no-headers.eml",
	"mbox-from.eml", "nul-bytes.eml", "bad-base64.eml", "junk-8bit.eml",
	"truncated-encoded-word.eml", "truncated-base64.eml",
	"truncated-boundary.eml", "unknown-charset.eml",
};

START_TEST(builder_one_byte_pieces)
{
	for (size_t f = 0; f < sizeof(all_fixtures) / sizeof(all_fixtures[0]);
	     f++) {
		size_t len;
		char *buf = load(all_fixtures[f], &len);
		rebound_message *whole = parse_buf(buf, len, NULL);
		rebound_builder *b = rebound_builder_new(A, NULL);
		ck_assert_ptr_nonnull(b);
		for (size_t i = 0; i < len; i++)
			rebound_builder_add(b, buf + i, 1);
		rebound_message *built = NULL;
		ck_assert_int_eq(rebound_builder_finish(b, &built), 0);
		assert_same(whole, built, all_fixtures[f]);
		free(buf);
		rebound_arena_reset(A);
	}
}
END_TEST

START_TEST(builder_every_split)
{
	static const char *const some[] = { "lines-crlf.eml", "lines-cr.eml",
					    "dsn-report.eml",
					    "rfc822-base64.eml" };
	for (size_t f = 0; f < sizeof(some) / sizeof(some[0]); f++) {
		size_t len;
		char *buf = load(some[f], &len);
		for (size_t cut = 0; cut <= len; cut++) {
			rebound_message *whole = parse_buf(buf, len, NULL);
			rebound_builder *b = rebound_builder_new(A, NULL);
			rebound_builder_add(b, buf, cut);
			rebound_builder_add(b, buf + cut, len - cut);
			rebound_message *built = NULL;
			ck_assert_int_eq(rebound_builder_finish(b, &built), 0);
			char what[128];
			snprintf(what, sizeof(what), "%s cut at %zu", some[f],
				 cut);
			assert_same(whole, built, what);
			rebound_arena_reset(A);
		}
		free(buf);
	}
}
END_TEST

START_TEST(builder_limit)
{
	rebound_limits lim = { .max_message_bytes = 20 };
	rebound_builder *b = rebound_builder_new(A, &lim);
	for (int i = 0; i < 10; i++)
		rebound_builder_add(b, "Subject: x\r\n", 12);
	rebound_message *m = NULL;
	ck_assert_int_eq(rebound_builder_finish(b, &m), 0);
	ck_assert(m->flags & REBOUND_MSG_TRUNCATED);
	/* 20 input bytes: "Subject: x\r\nSubject:" with the CR dropped. */
	ck_assert_uint_eq(m->len, 19);
	rebound_message *w = parse_buf("Subject: x\r\nSubject: x\r\n", 24, &lim);
	assert_same(w, m, "limit");
	ck_assert_int_eq(rebound_builder_finish(NULL, &m), -1);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(part_next_order)
{
	rebound_message *m = parse_fixture("nested.eml");
	ck_assert_ptr_null(rebound_part_next(NULL));
	/* Pre-order equals a manual depth-first walk. */
	rebound_part *stack[64];
	int sp = 0;
	stack[sp++] = m->root;
	rebound_part *it = m->root;
	while (sp > 0) {
		rebound_part *p = stack[--sp];
		ck_assert_ptr_eq(it, p);
		it = rebound_part_next(it);
		rebound_part *kids[64];
		int nk = 0;
		for (rebound_part *c = p->first_child; c; c = c->next_sibling)
			kids[nk++] = c;
		while (nk > 0)
			stack[sp++] = kids[--nk];
	}
	ck_assert_ptr_null(it);
}
END_TEST

static Suite *message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc;

	tc = tcase_create("headers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, headers_unfold);
	tcase_add_test(tc, headers_find);
	tcase_add_test(tc, headers_name_bytes);
	tcase_add_test(tc, headers_find_as_defined);
	tcase_add_test(tc, headers_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fixture_nested);
	tcase_add_test(tc, fixture_dsn);
	tcase_add_test(tc, fixture_rfc822_headers);
	tcase_add_test(tc, fixture_encodings);
	tcase_add_test(tc, fixture_japanese);
	tcase_add_test(tc, fixture_western);
	tcase_add_test(tc, fixture_rfc822_base64);
	tcase_add_test(tc, fixture_digest);
	tcase_add_test(tc, fixture_line_ends);
	tcase_add_test(tc, line_ends_as_defined);
	tcase_add_test(tc, part_next_order);
	tcase_add_test(tc, text_html_and_charset_inheritance);
	tcase_add_test(tc, text_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("damaged");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, damaged_boundaries);
	tcase_add_test(tc, damaged_headers);
	tcase_add_test(tc, damaged_empty);
	tcase_add_test(tc, damaged_nul_and_junk);
	tcase_add_test(tc, nul_in_embedded_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, limit_depth);
	tcase_add_test(tc, limit_depth_messages);
	tcase_add_test(tc, limit_parts);
	tcase_add_test(tc, limit_size);
	tcase_add_test(tc, limit_arena_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("builder");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, builder_one_byte_pieces);
	tcase_add_test(tc, builder_every_split);
	tcase_add_test(tc, builder_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(message_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
