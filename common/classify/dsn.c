/* dsn.c - RFC 3464 delivery-status fields, tolerant of real MTAs. */
#include "dsn.h"

#include <string.h>

#include "mail/strutil.h"
#include "result.h"

#define MAX_FIELD 8192

typedef enum field_id {
	F_OTHER, F_REPORTING_MTA, F_ENVELOPE_ID, F_RECEIVED_FROM, F_ARRIVAL,
	F_FINAL, F_ORIGINAL, F_ACTUAL, F_ACTION, F_STATUS, F_REMOTE_MTA,
	F_DIAGNOSTIC, F_LAST_ATTEMPT,
} field_id;

static const struct {
	const char *name;
	field_id id;
} fields[] = {
	{ "reporting-mta", F_REPORTING_MTA },
	{ "original-envelope-id", F_ENVELOPE_ID },
	{ "received-from-mta", F_RECEIVED_FROM },
	{ "arrival-date", F_ARRIVAL },
	{ "final-recipient", F_FINAL },
	{ "original-recipient", F_ORIGINAL },
	{ "x-actual-recipient", F_ACTUAL },
	{ "action", F_ACTION },
	{ "status", F_STATUS },
	{ "remote-mta", F_REMOTE_MTA },
	{ "diagnostic-code", F_DIAGNOSTIC },
	{ "last-attempt-date", F_LAST_ATTEMPT },
};

static field_id lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (strlen(fields[i].name) == n &&
		    rebound_ascii_nieq(name, fields[i].name, n))
			return fields[i].id;
	return F_OTHER;
}

/* Drop "type;" from "rfc822; a@b" and keep the type. */
static const char *strip_type(rebound_arena *arena, const char *v,
			      const char **type)
{
	const char *semi = strchr(v, ';');
	if (type != NULL)
		*type = NULL;
	if (semi == NULL)
		return v;
	/* A type is one atom: letters, digits, '-'. */
	for (const char *p = v; p < semi; p++)
		if (!(rebound_is_digit(*p) || *p == '-' || *p == '_' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      rebound_is_wsp(*p)))
			return v;
	if (type != NULL) {
		const char *t = v;
		size_t n = (size_t)(semi - v);
		rebound_trim(&t, &n);
		char *lt = rebound_arena_strndup(arena, t, n);
		*type = lt != NULL ? rebound_ascii_lower(lt) : NULL;
	}
	semi++;
	while (rebound_is_space(*semi))
		semi++;
	return semi;
}

static bool has_recipient(const rebound_dsn_rcpt *r)
{
	return r->final_rcpt != NULL || r->original_rcpt != NULL;
}

/* Does a parsed block carry anything usable (what the end keeps)? */
static bool usable(const rebound_dsn_rcpt *r)
{
	return has_recipient(r) || r->actual_rcpt != NULL;
}

/* The next recipient's entry, or NULL when the arena is spent.  Past
 * REBOUND_MAX_RCPT every block is parsed into *spare instead, and each
 * usable one is counted when the next replaces it (the last at the
 * end). */
static rebound_dsn_rcpt *new_rcpt(rebound_arena *arena, rebound_dsn *out,
				  size_t *cap, rebound_dsn_rcpt *spare)
{
	size_t grow = out->nrcpt == *cap ? (*cap ? *cap * 2 : 4) : 0;
	/* Room for this entry and, later, the result's recipient that each
	   kept entry becomes. */
	if (out->counting || out->nrcpt == REBOUND_MAX_RCPT ||
	    rebound_arena_left(arena) <
	    REBOUND_RCPT_RESERVE + grow * sizeof(*spare) +
	    (out->nrcpt + 1) * REBOUND_RCPT_COST) {
		/* Counting from here on (the arena only shrinks). */
		if (out->counting && usable(spare))
			out->ndropped++;
		out->counting = true;
		memset(spare, 0, sizeof(*spare));
		return spare;
	}
	if (out->nrcpt == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		rebound_dsn_rcpt *grown =
			rebound_arena_calloc(arena, ncap, sizeof(*grown));
		if (grown == NULL)
			return NULL;
		if (out->nrcpt > 0)
			memcpy(grown, out->rcpt, out->nrcpt * sizeof(*grown));
		out->rcpt = grown;
		*cap = ncap;
	}
	return &out->rcpt[out->nrcpt++];
}

/* Store one unfolded field into the report. */
static int store(rebound_arena *arena, rebound_dsn *out, size_t *cap,
		 rebound_dsn_rcpt *spare, rebound_dsn_rcpt **cur,
		 bool *block_open, field_id id, const char *value)
{
	switch (id) {
	case F_REPORTING_MTA:
		if (out->reporting_mta == NULL)
			out->reporting_mta = strip_type(arena, value, NULL);
		return 0;
	case F_ENVELOPE_ID:
		if (out->envelope_id == NULL)
			out->envelope_id = value;
		return 0;
	case F_RECEIVED_FROM:
		out->received_from_mta = strip_type(arena, value, NULL);
		return 0;
	case F_ARRIVAL:
		out->arrival_date = value;
		return 0;
	case F_OTHER:
		return 0;
	default:
		break;
	}
	/* A per-recipient field: it opens a new recipient after a blank line
	   (once the open one names an address) or when it repeats a field
	   the open recipient already has. */
	rebound_dsn_rcpt *r = *cur;
	bool repeat = r != NULL && has_recipient(r) &&
		      ((id == F_FINAL && r->final_rcpt != NULL) ||
		       (id == F_ORIGINAL && r->original_rcpt != NULL) ||
		       (id == F_ACTION && r->action != NULL) ||
		       (id == F_STATUS && r->status != NULL));
	if (r != NULL && !*block_open && !has_recipient(r))
		memset(r, 0, sizeof(*r));	/* a block that named nobody */
	if (r == NULL || repeat || (!*block_open && has_recipient(r))) {
		r = new_rcpt(arena, out, cap, spare);
		if (r == NULL)
			return -1;
		*cur = r;
	}
	*block_open = true;
	if (r == spare) {
		/* Only counted: whether it names someone is all that
		   matters, and it costs no memory. */
		switch (id) {
		case F_FINAL: r->final_rcpt = value; break;
		case F_ORIGINAL: r->original_rcpt = value; break;
		case F_ACTUAL: r->actual_rcpt = value; break;
		case F_ACTION: r->action = value; break;
		case F_STATUS: r->status = value; break;
		default: break;
		}
		return 0;
	}
	switch (id) {
	case F_FINAL:
		r->final_rcpt = strip_type(arena, value, NULL);
		break;
	case F_ORIGINAL:
		r->original_rcpt = strip_type(arena, value, NULL);
		break;
	case F_ACTUAL:
		r->actual_rcpt = strip_type(arena, value, NULL);
		break;
	case F_ACTION: {
		char *a = rebound_arena_strdup(arena, value);
		if (a == NULL)
			return -1;
		r->action = rebound_ascii_lower(a);
		break;
	}
	case F_STATUS:
		r->status = value;
		break;
	case F_REMOTE_MTA:
		r->remote_mta = strip_type(arena, value, NULL);
		break;
	case F_DIAGNOSTIC:
		r->diagnostic = strip_type(arena, value, &r->diagnostic_type);
		break;
	case F_LAST_ATTEMPT:
		r->last_attempt = value;
		break;
	default:
		break;
	}
	return 0;
}

/* A field's value in the arena; a recipient's field past the limit is
 * only counted, so it takes no copy (a non-NULL empty string). */
static char *field_value(rebound_arena *arena, const rebound_dsn *out,
			 field_id id, const char *buf, size_t blen)
{
	static char counted[1];
	if (out->counting && id >= F_FINAL)
		return counted;
	return rebound_arena_strndup(arena, buf, blen);
}

int rebound_dsn_parse(rebound_arena *arena, const char *text, size_t len,
		      rebound_dsn *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0;
	rebound_dsn_rcpt *cur = NULL, spare;
	memset(&spare, 0, sizeof(spare));
	bool block_open = false;
	/* The field being unfolded. */
	char buf[MAX_FIELD];
	size_t blen = 0;
	field_id pending = F_OTHER;
	bool have_pending = false;

	const char *p = text, *end = text + len;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		size_t n = (size_t)(eol - p);
		bool cont = n > 0 && rebound_is_wsp(p[0]);
		const char *s = p;
		size_t sn = n;
		rebound_trim(&s, &sn);

		if (cont && have_pending && sn > 0) {
			if (blen + 1 + sn < sizeof(buf)) {
				buf[blen++] = ' ';
				memcpy(buf + blen, s, sn);
				blen += sn;
			}
		} else {
			if (have_pending) {
				char *v = field_value(arena, out, pending,
						      buf, blen);
				if (v == NULL ||
				    store(arena, out, &cap, &spare, &cur, &block_open,
					  pending, v) < 0)
					return -1;
				have_pending = false;
			}
			if (sn == 0) {
				block_open = false;	/* blank: next block */
			} else if (!cont) {
				const char *colon = memchr(p, ':', n);
				size_t nn = colon != NULL ? (size_t)(colon - p) : 0;
				bool name_ok = nn > 0;
				for (size_t i = 0; i < nn && name_ok; i++)
					name_ok = p[i] > ' ' && p[i] < 127;
				if (name_ok) {
					pending = lookup(p, nn);
					const char *v = colon + 1;
					size_t vn = (size_t)(eol - v);
					rebound_trim(&v, &vn);
					if (vn >= sizeof(buf))
						vn = sizeof(buf) - 1;
					memcpy(buf, v, vn);
					blen = vn;
					have_pending = true;
				}
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (have_pending) {
		char *v = field_value(arena, out, pending, buf, blen);
		if (v == NULL || store(arena, out, &cap, &spare, &cur, &block_open,
				       pending, v) < 0)
			return -1;
	}
	if (out->counting && usable(&spare))
		out->ndropped++;
	/* Entries with no recipient at all carry nothing we can use. */
	size_t k = 0;
	for (size_t i = 0; i < out->nrcpt; i++)
		if (usable(&out->rcpt[i]))
			out->rcpt[k++] = out->rcpt[i];
	out->nrcpt = k;
	return 0;
}
