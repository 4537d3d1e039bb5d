/* message.h - the message model: headers, MIME tree, decoded text.
 *
 * One model serves every front end: the CLI and Dovecot hand over a whole
 * buffer, Exim hands over its header list and a body file, both through
 * rebound_message_parse() or the builder below.  The parser works on a copy
 * whose line ends are normalised to LF (CRLF, LF and bare CR all accepted),
 * splits headers and MIME parts eagerly (cheap: pointers into the copy) and
 * decodes bodies lazily, so that parts nobody reads cost nothing.
 *
 * Every input is untrusted.  Limits bound size, header length, header count,
 * nesting depth and part count; reaching one sets a REBOUND_MSG_* flag and
 * parsing goes on with what fits.  Nothing recurses without a depth bound.
 * All memory comes from the arena given to rebound_message_parse().
 */
#ifndef REBOUND_MESSAGE_H
#define REBOUND_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct rebound_limits {
	size_t max_message_bytes;	/* 0: 16 MiB; the rest is not read */
	size_t max_header_bytes;	/* one unfolded field; 0: 64 KiB */
	unsigned max_headers;		/* fields per header block; 0: 1000 */
	unsigned max_depth;		/* MIME / message nesting; 0: 20 */
	unsigned max_parts;		/* parts in the whole tree; 0: 1000 */
	size_t max_text_bytes;		/* decoded text kept per part; 0: 4 MiB */
} rebound_limits;

/* What was odd or cut.  A flag never stops parsing. */
enum {
	REBOUND_MSG_TRUNCATED      = 1u << 0,	/* max_message_bytes reached */
	REBOUND_MSG_LONG_HEADER    = 1u << 1,	/* a field was cut */
	REBOUND_MSG_MANY_HEADERS   = 1u << 2,	/* fields dropped */
	REBOUND_MSG_TOO_DEEP       = 1u << 3,	/* nesting not followed */
	REBOUND_MSG_MANY_PARTS     = 1u << 4,	/* parts not split */
	REBOUND_MSG_NO_END_BOUNDARY = 1u << 5,	/* multipart without close */
	REBOUND_MSG_NO_BOUNDARY    = 1u << 6,	/* multipart without boundary= */
	REBOUND_MSG_BAD_ENCODING   = 1u << 7,	/* invalid base64 / QP seen */
	REBOUND_MSG_NUL            = 1u << 8,	/* NUL bytes in the input */
	REBOUND_MSG_BAD_CHARSET    = 1u << 9,	/* unknown or invalid charset */
	REBOUND_MSG_NO_HEADERS     = 1u << 10,	/* no header block at all */
	REBOUND_MSG_OUT_OF_MEMORY  = 1u << 11,	/* arena budget spent */
	/* Recipients past REBOUND_MAX_RCPT (classify/result.h), or past a
	   text notice's REBOUND_TEXT_MAX_RCPT addresses, were not kept. */
	REBOUND_MSG_MANY_RCPT      = 1u << 12,
};

typedef struct rebound_header {
	const char *name;	/* as written, NUL-terminated */
	const char *value;	/* unfolded, trimmed, raw bytes, NUL-terminated */
	size_t value_len;
	struct rebound_header *next;
	size_t name_len;	/* strlen(name) */
	/* For lookups: the name's length and its first and last bytes
	   (with bit 0x20 set, which folds letters) in one word, and one bit
	   per such word of every field in the block: a lookup of a name the
	   block lacks (most lookups) ends without walking it. */
	uint32_t key;
	uint64_t block_keys;
} rebound_header;

typedef struct rebound_part {
	rebound_header *headers;	/* NULL when the part has none */
	const char *type;	/* lower-case "type/subtype", never NULL;
				   text/plain by default (message/rfc822
				   inside multipart/digest) */
	const char *charset;	/* lower-case charset parameter or NULL */
	const char *encoding;	/* lower-case Content-Transfer-Encoding or NULL */
	const char *raw_body;	/* between the header block and the end of
				   the part, LF line ends, not decoded */
	size_t raw_len;
	unsigned depth;		/* 0 for the top-level message */
	struct rebound_part *parent;
	/* Children: the parts of a multipart; for message/rfc822,
	   message/global, text/rfc822-headers and message/global-headers
	   the one embedded message (headers only for *-headers types). */
	struct rebound_part *first_child;
	struct rebound_part *next_sibling;

	/* Lazily decoded; use the functions below, not these fields. */
	const char *body_;
	size_t body_len_;
	const char *text_;
	size_t text_len_;
	unsigned char decoded_;
} rebound_part;

typedef struct rebound_message {
	rebound_part *root;
	const char *data;	/* the normalised copy the parts point into */
	size_t len;
	unsigned flags;		/* REBOUND_MSG_* */
	unsigned part_count;
	rebound_limits limits;	/* with defaults filled in */
	rebound_arena *arena;
} rebound_message;

/* Parse buf[0..len) (need not be NUL-terminated; may hold NULs).
 * Returns 0 and sets *out, or -1 when the arena could not even hold the
 * message (then *out is NULL).  limits may be NULL for the defaults. */
int rebound_message_parse(rebound_arena *arena, const char *buf, size_t len,
			  const rebound_limits *limits,
			  rebound_message **out);

/* The next part in document order (pre-order), or NULL. */
rebound_part *rebound_part_next(rebound_part *part);

/* Transfer-decoded body (base64, quoted-printable, 7bit/8bit/binary),
 * NUL-terminated; for multipart parts the raw body.  Never NULL: an empty
 * string when nothing could be decoded. */
const char *rebound_part_body(rebound_message *msg, rebound_part *part,
			      size_t *len);

/* The body as UTF-8 text: transfer-decoded, converted from the part's
 * charset (or the message's, or guessed ISO-2022-JP/Shift_JIS/Latin-1
 * for undeclared 8-bit), NULs replaced by spaces, text/html reduced to
 * its text (tags dropped, entities decoded, block tags as newlines).
 * NUL-terminated, never NULL. */
const char *rebound_part_text(rebound_message *msg, rebound_part *part,
			      size_t *len);

/* First header named `name` (case-insensitive) from `list` on, or NULL;
 * pass found->next to continue. */
const rebound_header *rebound_header_find(const rebound_header *list,
					  const char *name);
/* Its raw value, or NULL. */
const char *rebound_header_get(const rebound_header *list, const char *name);
/* Decoding a header's value (RFC 2047 words, parameters): header-decode.h. */

/* Parse one header block from text[0..len) (LF line ends): stops after the
 * blank line that ends it, at the end of text, or before the first line
 * that is neither a field nor a continuation.  Sets *out (NULL if none) and
 * *consumed; ORs REBOUND_MSG_* into *flags.  Returns the field count. */
unsigned rebound_headers_parse(rebound_arena *arena, const char *text,
			       size_t len, const rebound_limits *limits,
			       rebound_header **out, size_t *consumed,
			       unsigned *flags);

/* Builder for callers that hold the message in pieces (Exim: header_list
 * then the body file).  Bytes past max_message_bytes are dropped and the
 * message marked truncated. */
typedef struct rebound_builder rebound_builder;
rebound_builder *rebound_builder_new(rebound_arena *arena,
				     const rebound_limits *limits);
void rebound_builder_add(rebound_builder *b, const char *data, size_t len);
int rebound_builder_finish(rebound_builder *b, rebound_message **out);

#endif
