/* error.h - how a function of rebound hands an error back: a message in
 * the caller's buffer and -1 as the result.
 *
 * Every function that can fail takes (char *err, size_t errlen) and, on
 * failure, writes one line saying what went wrong; callers decide whether
 * to log it, print it or pass it on.
 */
#ifndef REBOUND_ERROR_H
#define REBOUND_ERROR_H

#include <stddef.h>

/* Format the message into err[0..errlen) (cut to fit; nothing is written
 * when err is NULL or errlen is 0) and return -1, so that a failure is
 * one line: `return rebound_error(err, errlen, "%s: ...", path);`. */
int rebound_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
