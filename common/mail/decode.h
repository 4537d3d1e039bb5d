/* decode.h - transfer encodings (base64, quoted-printable).
 *
 * Both decoders are tolerant: they never fail, skip what they cannot use,
 * and report damage through *bad.  They write into a caller's buffer whose
 * size the comments give, and take input that need not be NUL-terminated.
 * Header values (RFC 2047 encoded words, RFC 2231 parameters) are
 * decoded by header-decode.h.
 */
#ifndef REBOUND_DECODE_H
#define REBOUND_DECODE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes rebound_base64_decode() may write for len input bytes. */
#define REBOUND_BASE64_MAX(len) (((len) / 4) * 3 + 3)

/* Base64: white space skipped silently; other characters outside the
 * alphabet skipped and *bad set; '=' ends a quantum (decoding goes on
 * after it, for concatenated pieces); a cut final quantum gives the whole
 * bytes it holds (*bad set when a lone sextet is left).  out holds
 * REBOUND_BASE64_MAX(len) bytes.  Returns the bytes written. */
size_t rebound_base64_decode(const char *in, size_t len, char *out,
			     bool *bad);

/* Quoted-printable: "=XX" (either case), soft line breaks ("=" before
 * LF or CRLF, with or without trailing blanks), trailing blanks on a line
 * dropped; a bad escape is kept literally and *bad set.  With q_word
 * (RFC 2047 "Q") '_' is a space and no line structure applies.  out holds
 * len bytes.  Returns the bytes written. */
size_t rebound_qp_decode(const char *in, size_t len, char *out, bool q_word,
			 bool *bad);

#endif
