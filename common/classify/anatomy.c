/* anatomy.c - which parts of a message classification reads (the
 * report, the feedback report, the returned original, the text), and the
 * small text helpers the stages share (stages.h). */
#include "stages.h"

#include <string.h>

#include "mail/address.h"
#include "mail/header-decode.h"
#include "mail/strutil.h"
#include "matcher.h"

#define MAX_DIAGNOSTIC 1024

static bool type_is(const rebound_part *p, const char *t)
{
	return strcmp(p->type, t) == 0;
}

static bool is_embedded_type(const rebound_part *p)
{
	return type_is(p, "message/rfc822") || type_is(p, "message/global") ||
	       type_is(p, "text/rfc822-headers") ||
	       type_is(p, "message/global-headers") ||
	       type_is(p, "message/partial");
}

/* Inside a returned copy?  Parts there belong to the original. */
static bool inside_embedded(const rebound_part *p)
{
	for (const rebound_part *q = p->parent; q != NULL; q = q->parent)
		if (is_embedded_type(q))
			return true;
	return false;
}

static bool is_attachment(const rebound_part *p)
{
	const char *cd = rebound_header_get(p->headers, "Content-Disposition");
	return cd != NULL && rebound_ascii_istarts(cd, strlen(cd), "attachment") &&
	       p->depth > 0 && !type_is(p, "text/plain");
}

void rebound_anatomy_read(rebound_message *msg, rebound_anatomy *a)
{
	memset(a, 0, sizeof(*a));
	for (rebound_part *p = msg->root; p != NULL; p = rebound_part_next(p)) {
		if (inside_embedded(p))
			continue;
		bool dsn = type_is(p, "message/delivery-status") ||
			   type_is(p, "message/global-delivery-status");
		if (dsn && a->report == NULL)
			a->report = p;
		else if (dsn) {
			if (a->nmore < MAX_REPORTS - 1)
				a->more_reports[a->nmore++] = p;
		} else if (a->feedback == NULL &&
			 type_is(p, "message/feedback-report"))
			a->feedback = p;
		else if (a->original == NULL && is_embedded_type(p))
			a->original = p->first_child;
		else if (a->text == NULL && type_is(p, "text/plain") &&
			 !is_attachment(p))
			a->text = p;
		else if (a->html == NULL && type_is(p, "text/html"))
			a->html = p;
	}
}

/* One line, trimmed, at most MAX_DIAGNOSTIC bytes. */
const char *rebound_one_line(rebound_arena *arena, const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	if (n > MAX_DIAGNOSTIC)
		n = MAX_DIAGNOSTIC;
	char *out = rebound_arena_alloc(arena, n + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool space = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (rebound_is_space(c) || (unsigned char)c < 0x20) {
			if (!space)
				out[o++] = ' ';
			space = true;
		} else {
			out[o++] = c;
			space = false;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o > 0 ? out : NULL;
}

const char *rebound_first_address(rebound_arena *arena, const char *v)
{
	if (v == NULL)
		return NULL;
	return rebound_address_find(arena, v, strlen(v), NULL, NULL);
}

/* The human-readable text of the notice, NUL-terminated. */
const char *rebound_notice_text(rebound_message *msg, const rebound_anatomy *a,
			       size_t *len)
{
	if (a->text != NULL)
		return rebound_part_text(msg, a->text, len);
	if (a->html != NULL)
		return rebound_part_text(msg, a->html, len);
	*len = 0;
	return "";
}

const char *rebound_header_norm(rebound_arena *arena, const rebound_header *h,
			       const char *name, size_t *len)
{
	const char *v = rebound_header_get(h, name);
	*len = 0;
	if (v == NULL)
		return NULL;
	const char *d = rebound_header_decode(arena, v, strlen(v));
	return rebound_matcher_normalise(arena, d, strlen(d), len);
}
