/* textscan.h - codes and markers in free text.
 *
 * Finds RFC 3463 enhanced status codes ("5.1.1") and SMTP reply codes
 * ("550") in diagnostic text by scanning tokens, never with regular
 * expressions: an IP address or a version number is not a status code.
 */
#ifndef REBOUND_TEXTSCAN_H
#define REBOUND_TEXTSCAN_H

#include <stdbool.h>
#include <stddef.h>

/* First enhanced status code in s[0..len) into out (at least 16 bytes);
 * false when there is none. */
bool rebound_find_status(const char *s, size_t len, char out[16]);
/* Is s (NUL-terminated, trimmed) an enhanced status code? */
bool rebound_status_valid(const char *s);
/* First SMTP reply code (2xx-5xx followed by space, '-', ':' or end) in
 * s[0..len) into out (4 bytes); 2xx codes only when with_success.  False
 * when there is none. */
bool rebound_find_reply(const char *s, size_t len, bool with_success,
			char out[4]);

#endif
