/* textscan.c - codes and markers in free text. */
#include "textscan.h"

#include <string.h>

#include "mail/strutil.h"

/* Length of the enhanced status code at s (class.subject.detail with
 * 1-3 digit parts), or 0. */
static size_t status_at(const char *s, size_t len)
{
	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	size_t i = 2, digits = 0;
	while (i < len && rebound_is_digit(s[i]) && digits < 3) {
		i++;
		digits++;
	}
	if (digits == 0 || i >= len || s[i] != '.')
		return 0;
	i++;
	digits = 0;
	while (i < len && rebound_is_digit(s[i]) && digits < 3) {
		i++;
		digits++;
	}
	if (digits == 0)
		return 0;
	/* Not an IP address or a longer dotted number. */
	if (i < len && (rebound_is_digit(s[i]) ||
			(s[i] == '.' && i + 1 < len && rebound_is_digit(s[i + 1]))))
		return 0;
	return i;
}

bool rebound_status_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 16 && status_at(s, n) == n;
}

bool rebound_find_status(const char *s, size_t len, char out[16])
{
	/* A status's second byte is a dot: only the byte before a dot can
	   start one, and memchr finds the dots. */
	const char *dot;
	for (size_t d = 1;
	     d < len && (dot = memchr(s + d, '.', len - d)) != NULL; d++) {
		d = (size_t)(dot - s);
		size_t i = d - 1;
		if (i > 0 && (rebound_is_digit(s[i - 1]) || s[i - 1] == '.'))
			continue;
		size_t n = status_at(s + i, len - i);
		if (n > 0 && n < 16) {
			memcpy(out, s + i, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

bool rebound_find_reply(const char *s, size_t len, bool with_success,
			char out[4])
{
	for (size_t i = 0; i + 3 <= len; i++) {
		if (s[i] < '2' || s[i] > '5' || !rebound_is_digit(s[i + 1]) ||
		    !rebound_is_digit(s[i + 2]))
			continue;
		if (s[i] == '3')
			continue;
		if (i > 0 && !(rebound_is_space(s[i - 1]) || s[i - 1] == ':' ||
			       s[i - 1] == '(' || s[i - 1] == '<' ||
			       s[i - 1] == '[' || s[i - 1] == '"' ||
			       s[i - 1] == '\'' || s[i - 1] == ';' ||
			       s[i - 1] == '#'))
			continue;
		if (i + 3 < len && !(rebound_is_space(s[i + 3]) ||
				     s[i + 3] == '-' || s[i + 3] == ')' ||
				     s[i + 3] == ']' || s[i + 3] == ':' ||
				     s[i + 3] == ','))
			continue;
		/* A failure report quotes greetings too ("220-host 421 ..."). */
		if (s[i] == '2' && !with_success)
			continue;
		/* RFC 5321 reply codes have a second digit of 0-5. */
		if (s[i + 1] > '5')
			continue;
		memcpy(out, s + i, 3);
		out[3] = '\0';
		return true;
	}
	return false;
}
