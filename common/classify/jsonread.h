/* jsonread.h - a small, bounded JSON reader for notices that arrive as
 * JSON (Amazon SES event notifications, alone or wrapped in an SNS
 * envelope).
 *
 * The input is untrusted: nesting is limited and followed with an explicit
 * stack (no recursion), the number of values is capped, strings are
 * unescaped to UTF-8 (\uXXXX with surrogate pairs; invalid escapes become
 * U+FFFD).  Everything lives in the arena.
 */
#ifndef REBOUND_JSONREAD_H
#define REBOUND_JSONREAD_H

#include <stddef.h>

#include "mail/arena.h"

typedef enum rebound_jtype {
	REBOUND_J_NULL = 0,
	REBOUND_J_BOOL,
	REBOUND_J_NUMBER,
	REBOUND_J_STRING,
	REBOUND_J_ARRAY,
	REBOUND_J_OBJECT,
} rebound_jtype;

typedef struct rebound_jvalue {
	rebound_jtype type;
	const char *key;		/* member name inside an object */
	const char *str;		/* STRING (unescaped), NUMBER (as
					   written), BOOL ("true"/"false") */
	size_t len;
	struct rebound_jvalue *child;	/* ARRAY / OBJECT: first element */
	struct rebound_jvalue *next;	/* next element of the parent */
} rebound_jvalue;

/* Parse one JSON value at the start of s[0..len) (leading white space
 * allowed; what follows the value is ignored).  Returns the value, or
 * NULL when it is not valid JSON, nests deeper than 32 or has more than
 * 20000 values. */
rebound_jvalue *rebound_json_read(rebound_arena *arena, const char *s,
				  size_t len);

/* Member `key` of an object, or NULL. */
const rebound_jvalue *rebound_json_get(const rebound_jvalue *obj,
				       const char *key);
/* The string of member `key` when it is a string, else NULL. */
const char *rebound_json_get_str(const rebound_jvalue *obj, const char *key);

#endif
