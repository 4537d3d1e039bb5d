/* ledger-record.c - encoding and decoding of ledger records.
 *
 * Each record kind is described by a table of fields (tag, type, place in
 * the struct); one encoder and one decoder walk the tables.  Tags are never
 * reused: a field that goes away keeps its number retired.
 *
 * The compact recipient record (format 2, ledger-record.h) adds: a text
 * field's reference (its tag + REF_TAG, a varint), the seen marks and
 * kept events (repeated fields), and TAG_LAST_SHARED; its decoder
 * resolves references once the address is known (the placeholder).
 */
#include "ledger-record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/error.h"

enum { MAGIC0 = 'r', MAGIC1 = 'b', HEADER_LEN = 4 };

/* Bounds for decoding untrusted bytes: a varint has at most 10 bytes. */
#define VARINT_MAX 10

void rebound_buf_free(rebound_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void buf_put(rebound_buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_varint(rebound_buf *b, uint64_t v)
{
	unsigned char tmp[VARINT_MAX];
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		tmp[n++] = c | (v ? 0x80 : 0);
	} while (v);
	buf_put(b, tmp, n);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >>= 7)
		n++;
	return n;
}

void rebound_buf_header(rebound_buf *b, int kind)
{
	unsigned char h[HEADER_LEN] = { MAGIC0, MAGIC1, REBOUND_RECORD_VERSION,
					(unsigned char)kind };
	buf_put(b, h, sizeof(h));
}

void rebound_buf_field(rebound_buf *b, uint64_t tag, const void *data,
		       size_t len)
{
	buf_varint(b, tag);
	buf_varint(b, len);
	buf_put(b, data, len);
}

void rebound_buf_uint(rebound_buf *b, uint64_t tag, uint64_t v)
{
	buf_varint(b, tag);
	buf_varint(b, varint_len(v));
	buf_varint(b, v);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Read a varint from p[0..len); returns bytes used, 0 when bad. */
static size_t read_varint(const unsigned char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len && i < VARINT_MAX; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

/* The field at data[*pos..len): its tag and its value, *pos moved past
 * it.  0, or -1 with what was cut short in *why (a damaged or truncated
 * record: never a read past len). */
static int next_field(const unsigned char *data, size_t len, size_t *pos,
		      uint64_t *tag, const unsigned char **val, size_t *vlen,
		      const char **why)
{
	uint64_t flen;
	size_t p = *pos;
	size_t n = read_varint(data + p, len - p, tag);
	if (n == 0) {
		*why = "truncated field tag";
		return -1;
	}
	p += n;
	n = read_varint(data + p, len - p, &flen);
	if (n == 0) {
		*why = "truncated field length";
		return -1;
	}
	p += n;
	if (flen > len - p) {
		*why = "truncated field";
		return -1;
	}
	*val = data + p;
	*vlen = (size_t)flen;
	*pos = p + (size_t)flen;
	return 0;
}

size_t rebound_read_varint(const unsigned char *p, size_t len, uint64_t *out)
{
	return read_varint(p, len, out);
}

/* --- field tables ------------------------------------------------------- */

typedef enum { F_U32, F_U64, F_I64, F_BOOL, F_STR, F_ENUM } ftype;

typedef struct field {
	uint32_t tag;
	ftype type;
	size_t offset;
	size_t size;			/* F_STR: buffer size */
	unsigned max;			/* F_ENUM: largest valid value */
	bool intern;			/* F_STR: may be a reference */
} field;

#define FLD(st, tag, type, member) \
	{ tag, type, offsetof(st, member), sizeof(((st *)0)->member), 0, \
	  false }
#define FENUM(st, tag, member, maxv) \
	{ tag, F_ENUM, offsetof(st, member), sizeof(((st *)0)->member), \
	  maxv, false }
/* A text that a compact record may keep as a reference (tag + REF_TAG:
 * the reference as a varint). */
#define FTEXT(st, tag, member) \
	{ tag, F_STR, offsetof(st, member), sizeof(((st *)0)->member), 0, \
	  true }
enum { REF_TAG = 64 };

/* Tag of the repeated field of a recipient (its hard domains) and of a
 * domain (the recipients of its window): a time and a string. */
enum { TAG_HARD_DOMAIN = 40, TAG_BURST_HIT = 40 };
/* A compact recipient's seen mark (varint time, then the fingerprint)
 * and one of its events (the event's fields, without its address). */
enum { TAG_SEEN_MARK = 50, TAG_KEPT_EVENT = 52 };
/* A compact recipient whose last bounce is its last kept event leaves
 * the last bounce's fields to it (the tags below), and says so. */
enum { TAG_LAST_SHARED = 60 };
static const struct {
	uint32_t entry_tag, event_tag;
} shared_tags[] = {
	{ 20, 1 }, { 21, 5 }, { 22, 4 }, { 23, 6 }, { 24, 10 }, { 25, 11 },
	{ 26, 12 }, { 27, 13 }, { 28, 14 }, { 29, 15 }, { 30, 16 },
};

static const field entry_fields[] = {
	FLD(rebound_entry, 1, F_STR, address),
	FENUM(rebound_entry, 2, state, REBOUND_STATE_GLOBAL),
	FLD(rebound_entry, 3, F_I64, until),
	FLD(rebound_entry, 4, F_BOOL, suspect),
	FLD(rebound_entry, 5, F_I64, first_seen),
	FLD(rebound_entry, 6, F_I64, last_seen),
	FLD(rebound_entry, 7, F_I64, pending_since),
	FLD(rebound_entry, 8, F_I64, pending_expires),
	FLD(rebound_entry, 9, F_I64, last_delivered),
	FLD(rebound_entry, 10, F_U32, hard_count),
	FLD(rebound_entry, 11, F_U32, soft_count),
	FLD(rebound_entry, 12, F_U32, delayed_count),
	FLD(rebound_entry, 13, F_U32, delivered_count),
	FLD(rebound_entry, 14, F_U32, block_count),
	FLD(rebound_entry, 15, F_U32, autoreply_count),
	FLD(rebound_entry, 16, F_U32, feedback_count),
	FLD(rebound_entry, 17, F_U32, consecutive_soft),
	FLD(rebound_entry, 18, F_U32, hard_run),
	FLD(rebound_entry, 19, F_U32, soft_limit),
	FLD(rebound_entry, 20, F_I64, last_time),
	FENUM(rebound_entry, 21, last_reason, REBOUND_REASON_COUNT - 1),
	FENUM(rebound_entry, 22, last_action, REBOUND_ACTION_FEEDBACK),
	FLD(rebound_entry, 23, F_BOOL, last_hard),
	FLD(rebound_entry, 24, F_STR, last_source),
	FLD(rebound_entry, 25, F_STR, last_status),
	FLD(rebound_entry, 26, F_STR, last_reply),
	FTEXT(rebound_entry, 27, last_diag),
	FTEXT(rebound_entry, 28, last_mta),
	FTEXT(rebound_entry, 29, last_sender_domain),
	FTEXT(rebound_entry, 30, last_campaign),
	FTEXT(rebound_entry, 31, suspect_why),
	/* 40: hard domain (repeated: varint time, then the domain) */
};

static const field event_fields[] = {
	FLD(rebound_event, 1, F_I64, time),
	FLD(rebound_event, 2, F_STR, address),
	FENUM(rebound_event, 3, cls, REBOUND_CLASS_FEEDBACK),
	FENUM(rebound_event, 4, action, REBOUND_ACTION_FEEDBACK),
	FENUM(rebound_event, 5, reason, REBOUND_REASON_COUNT - 1),
	FLD(rebound_event, 6, F_BOOL, hard),
	FLD(rebound_event, 7, F_BOOL, suspect),
	FLD(rebound_event, 8, F_BOOL, unverified),
	FENUM(rebound_event, 9, state_after, REBOUND_STATE_GLOBAL),
	FLD(rebound_event, 10, F_STR, source),
	FLD(rebound_event, 11, F_STR, status),
	FLD(rebound_event, 12, F_STR, reply),
	FTEXT(rebound_event, 13, diag),
	FTEXT(rebound_event, 14, mta),
	FTEXT(rebound_event, 15, sender_domain),
	FTEXT(rebound_event, 16, campaign),
	FTEXT(rebound_event, 17, suspect_why),
	/* A fleet's fields (journal.h), tagged apart from the rest. */
	FLD(rebound_event, 40, F_STR, origin),
	FENUM(rebound_event, 41, edit, REBOUND_EDIT_CANCEL),
};

static const field campaign_fields[] = {
	FLD(rebound_campaign, 1, F_STR, name),
	FENUM(rebound_campaign, 2, state, REBOUND_CAMPAIGN_CANCELLED),
	FLD(rebound_campaign, 3, F_I64, until),
	FLD(rebound_campaign, 4, F_I64, first_sent),
	FLD(rebound_campaign, 5, F_I64, last_sent),
	FLD(rebound_campaign, 6, F_I64, last_bounce),
	FLD(rebound_campaign, 7, F_I64, changed),
	FLD(rebound_campaign, 8, F_U64, sent),
	FLD(rebound_campaign, 9, F_U64, bounced_hard),
	FLD(rebound_campaign, 10, F_U64, bounced_soft),
	FLD(rebound_campaign, 11, F_U64, sent_base),
	FLD(rebound_campaign, 12, F_U64, bounced_base),
	FLD(rebound_campaign, 13, F_U32, pauses),
};

static const field meta_fields[] = {
	FLD(rebound_meta, 1, F_U32, schema),
	FLD(rebound_meta, 2, F_I64, created),
};

static const field seen_fields[] = {
	FLD(rebound_seen, 1, F_I64, time),
};

static const field domain_fields[] = {
	FLD(rebound_domain, 1, F_STR, name),
	FLD(rebound_domain, 2, F_STR, shape),
	FLD(rebound_domain, 3, F_BOOL, blocking),
	FLD(rebound_domain, 4, F_I64, block_start),
	FLD(rebound_domain, 5, F_I64, block_last),
	FLD(rebound_domain, 6, F_U32, block_recipients),
	FLD(rebound_domain, 7, F_STR, block_reply),
	FLD(rebound_domain, 8, F_U32, blocks),
	FLD(rebound_domain, 9, F_I64, cleared),
	FLD(rebound_domain, 10, F_STR, cleared_by),
	/* 40: one recipient of the window (repeated: varint time, varint
	   hash of the reply's shape, then the address) */
};

#define NFIELDS(t) (sizeof(t) / sizeof(*(t)))

static uint64_t get_num(const void *rec, const field *f)
{
	const char *p = (const char *)rec + f->offset;
	switch (f->type) {
	case F_U32: return *(const uint32_t *)(const void *)p;
	case F_U64: return *(const uint64_t *)(const void *)p;
	case F_I64: return zigzag(*(const int64_t *)(const void *)p);
	case F_BOOL: return *(const bool *)(const void *)p;
	case F_ENUM: return (uint64_t)*(const int *)(const void *)p;
	case F_STR: break;
	}
	return 0;
}

/* Texts shorter than this stay inline: a reference costs a few bytes
 * and a record of its own. */
#define INTERN_MIN 10

/* text with each occurrence of address replaced by the placeholder, in
 * out; false when it cannot be (a placeholder byte in it already). */
static bool text_template(const char *text, const char *address, char *out,
			  size_t size)
{
	if (strchr(text, REBOUND_TEXT_ADDRESS) != NULL)
		return false;
	size_t alen = address != NULL ? strlen(address) : 0;
	size_t n = 0;
	for (const char *p = text; *p != '\0' && n + 1 < size;) {
		if (alen >= 3 && strncmp(p, address, alen) == 0) {
			out[n++] = REBOUND_TEXT_ADDRESS;
			p += alen;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return true;
}

/* The reverse: the placeholders of a text replaced by address. */
static void text_fill(const char *tmpl, const char *address, char *out,
		      size_t size)
{
	size_t n = 0;
	for (const char *p = tmpl; *p != '\0' && n + 1 < size; p++) {
		if (*p != REBOUND_TEXT_ADDRESS) {
			out[n++] = *p;
			continue;
		}
		for (const char *a = address; *a != '\0' && n + 1 < size; a++)
			out[n++] = *a;
	}
	out[n] = '\0';
}

/* How a record is encoded: its address (placeholders, and the field the
 * key makes unneeded), the tag of that field, the interning. */
typedef struct enc_ctx {
	const char *address;
	uint32_t skip_tag;		/* 0: none left out */
	const rebound_texts *texts;
	bool shared;			/* the shared_tags left out */
} enc_ctx;

static bool is_shared(const enc_ctx *cx, uint32_t tag)
{
	if (cx == NULL || !cx->shared)
		return false;
	for (size_t i = 0; i < sizeof(shared_tags) / sizeof(*shared_tags); i++)
		if (shared_tags[i].entry_tag == tag)
			return true;
	return false;
}

static void encode_fields_ex(rebound_buf *b, const void *rec, const field *fs,
			     size_t n, const enc_ctx *cx)
{
	for (size_t i = 0; i < n; i++) {
		const field *f = &fs[i];
		if (f->type == F_STR) {
			const char *s = (const char *)rec + f->offset;
			size_t len = strnlen(s, f->size);
			if (len == 0 || (cx != NULL && f->tag == cx->skip_tag) ||
			    is_shared(cx, f->tag))
				continue;
			if (cx != NULL && f->intern && cx->texts != NULL &&
			    len >= INTERN_MIN && len < f->size) {
				char tmpl[512];
				uint32_t ref = 0;
				if (text_template(s, cx->address, tmpl,
						  sizeof(tmpl)))
					ref = cx->texts->intern(cx->texts->ctx,
								tmpl);
				if (ref != 0) {
					rebound_buf_uint(b, f->tag + REF_TAG,
							 ref);
					continue;
				}
			}
			rebound_buf_field(b, f->tag, s, len);
			continue;
		}
		uint64_t v = get_num(rec, f);
		if (v != 0 && !is_shared(cx, f->tag))	/* absent: zero */
			rebound_buf_uint(b, f->tag, v);
	}
}

static void encode_fields(rebound_buf *b, const void *rec, const field *fs,
			  size_t n)
{
	encode_fields_ex(b, rec, fs, n, NULL);
}

static void encode_extra(rebound_buf *b, const rebound_extra *x)
{
	buf_put(b, x->bytes, x->len);
}

/* Store one known field.  Returns 0, or -1 when its value is invalid. */
static int set_field(void *rec, const field *f, const unsigned char *val,
		     size_t len)
{
	char *p = (char *)rec + f->offset;
	if (f->type == F_STR) {
		/* Longer than we keep: truncated, still a valid string. */
		size_t n = len < f->size - 1 ? len : f->size - 1;
		memcpy(p, val, n);
		p[n] = '\0';
		return 0;
	}
	uint64_t v = 0;
	if (len == 0 || read_varint(val, len, &v) != len)
		return -1;
	switch (f->type) {
	case F_U32:
		*(uint32_t *)(void *)p = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		break;
	case F_U64:
		*(uint64_t *)(void *)p = v;
		break;
	case F_I64:
		*(int64_t *)(void *)p = unzigzag(v);
		break;
	case F_BOOL:
		*(bool *)(void *)p = v != 0;
		break;
	case F_ENUM:
		if (v > f->max)
			return -1;
		*(int *)(void *)p = (int)v;
		break;
	case F_STR:
		break;
	}
	return 0;
}

/* A field handler for fields outside the table (the hard domains). */
typedef int (*special_fn)(void *rec, uint64_t tag, const unsigned char *val,
			  size_t len);

/* References met while decoding, resolved once the address is known. */
#define REFS_MAX 8
typedef struct dec_ctx {
	const rebound_texts *texts;	/* NULL: references left empty */
	size_t addr_offset;		/* of the address in the record */
	size_t nrefs;
	struct {
		const field *f;
		uint32_t ref;
	} refs[REFS_MAX];
} dec_ctx;

bool rebound_record_is_compact(const unsigned char *data, size_t len)
{
	return len > 2 && (data[2] & 0xf0) ==
				  (REBOUND_RECORD_VERSION_COMPACT & 0xf0);
}

static bool major_known(unsigned char version)
{
	return (version & 0xf0) == (REBOUND_RECORD_VERSION & 0xf0) ||
	       (version & 0xf0) == (REBOUND_RECORD_VERSION_COMPACT & 0xf0);
}

/* Decode the fields of data[pos..len) into rec (already zeroed). */
static int decode_fields(void *rec, rebound_extra *extra, const field *fs,
			 size_t nf, special_fn special, dec_ctx *dx,
			 const unsigned char *data, size_t pos, size_t len,
			 char *err, size_t errlen);

/* Resolve the references dx met, now that the record's address is
 * known. */
static int resolve_refs(void *rec, dec_ctx *dx, char *err, size_t errlen)
{
	if (dx == NULL)
		return 0;
	for (size_t i = 0; i < dx->nrefs; i++) {
		const field *f = dx->refs[i].f;
		char *p = (char *)rec + f->offset;
		p[0] = '\0';
		if (dx->texts == NULL)
			continue;
		char tmpl[512];
		if (dx->texts->lookup(dx->texts->ctx, dx->refs[i].ref, tmpl,
				      sizeof(tmpl)) < 0)
			return rebound_error(err, errlen,
					     "text t:%08lx is missing",
					     (unsigned long)dx->refs[i].ref);
		text_fill(tmpl, (const char *)rec + dx->addr_offset, p,
			  f->size);
	}
	dx->nrefs = 0;
	return 0;
}

/* The record's header: ours, a major version we read, of this kind.
 * 0, or -1 with why in err. */
static int check_header(const unsigned char *data, size_t len, int kind,
			char *err, size_t errlen)
{
	if (len < HEADER_LEN || data[0] != MAGIC0 || data[1] != MAGIC1)
		return rebound_error(err, errlen, "not a rebound record");
	if (!major_known(data[2]))
		return rebound_error(err, errlen,
				     "record of another format version");
	if (data[3] != kind)
		return rebound_error(err, errlen, "record of another kind");
	return 0;
}

static int decode(void *rec, size_t recsize, rebound_extra *extra, int kind,
		  const field *fs, size_t nf, special_fn special,
		  const unsigned char *data, size_t len, char *err,
		  size_t errlen)
{
	memset(rec, 0, recsize);
	if (check_header(data, len, kind, err, errlen) < 0)
		return -1;
	/* Only a compact recipient refers to texts; anywhere else a
	   reference tag is a field nobody knows, kept as such. */
	return decode_fields(rec, extra, fs, nf, special, NULL, data,
			     HEADER_LEN, len, err, errlen);
}

static int decode_fields(void *rec, rebound_extra *extra, const field *fs,
			 size_t nf, special_fn special, dec_ctx *dx,
			 const unsigned char *data, size_t pos, size_t len,
			 char *err, size_t errlen)
{
	while (pos < len) {
		size_t start = pos;
		uint64_t tag;
		const unsigned char *val;
		size_t flen;
		const char *why;
		if (next_field(data, len, &pos, &tag, &val, &flen, &why) < 0)
			return rebound_error(err, errlen, "%s", why);
		const field *f = NULL;
		bool ref = false;
		for (size_t i = 0; i < nf; i++) {
			if (fs[i].tag == tag) {
				f = &fs[i];
				break;
			}
			if (dx != NULL && fs[i].intern &&
			    fs[i].tag + REF_TAG == tag) {
				f = &fs[i];
				ref = true;
				break;
			}
		}
		int rc = 1;		/* 1: nobody knows this field */
		if (ref) {
			uint64_t r = 0;
			rc = flen == 0 || read_varint(val, (size_t)flen, &r) !=
						  flen || r == 0 ||
					     r > UINT32_MAX ?
				     -1 : 0;
			if (rc == 0 && dx->nrefs < REFS_MAX) {
				dx->refs[dx->nrefs].f = f;
				dx->refs[dx->nrefs++].ref = (uint32_t)r;
			}
		} else if (f != NULL) {
			rc = set_field(rec, f, val, (size_t)flen);
		} else if (special != NULL) {
			rc = special(rec, tag, val, (size_t)flen);
		}
		if (rc == 1) {
			/* Unknown: keep it for the next write if it fits. */
			size_t whole = pos - start;
			if (extra->len + whole <= sizeof(extra->bytes)) {
				memcpy(extra->bytes + extra->len, data + start,
				       whole);
				extra->len += whole;
			}
			rc = 0;
		}
		if (rc < 0)
			return rebound_error(err, errlen,
					     "invalid field value");
	}
	return 0;
}

/* --- recipients --------------------------------------------------------- */

/* One repeated field of a time and a string. */
static void encode_timed(rebound_buf *b, uint64_t tag, int64_t time,
			 const char *str, size_t size)
{
	size_t len = strnlen(str, size);
	uint64_t t = zigzag(time);
	buf_varint(b, tag);
	buf_varint(b, varint_len(t) + len);
	buf_varint(b, t);
	buf_put(b, str, len);
}

/* Read one: 0, or -1 when the time is bad. */
static int decode_timed(const unsigned char *val, size_t len, int64_t *time,
			char *str, size_t size)
{
	uint64_t t;
	size_t n = read_varint(val, len, &t);
	if (n == 0)
		return -1;
	*time = unzigzag(t);
	size_t slen = len - n;
	if (slen >= size)
		slen = size - 1;
	memcpy(str, val + n, slen);
	str[slen] = '\0';
	return 0;
}

static int decode_kept(rebound_event *ev, const rebound_entry *e,
		       const rebound_texts *t, const unsigned char *val,
		       size_t len, char *err, size_t errlen);
static bool last_kept(const rebound_entry *e, const unsigned char **val,
		      size_t *len);

/* Is e's last bounce its last kept event (the same fields)? */
static bool last_is_kept(const rebound_entry *e, const rebound_texts *t)
{
	const unsigned char *val;
	size_t len;
	if (e->last_time == 0 || !last_kept(e, &val, &len))
		return false;
	rebound_event *ev = malloc(sizeof(*ev));
	bool same = ev != NULL &&
		    decode_kept(ev, e, t, val, len, NULL, 0) == 0 &&
		    ev->time == e->last_time && ev->reason == e->last_reason &&
		    ev->action == e->last_action && ev->hard == e->last_hard &&
		    strcmp(ev->source, e->last_source) == 0 &&
		    strcmp(ev->status, e->last_status) == 0 &&
		    strcmp(ev->reply, e->last_reply) == 0 &&
		    strcmp(ev->diag, e->last_diag) == 0 &&
		    strcmp(ev->mta, e->last_mta) == 0 &&
		    strcmp(ev->sender_domain, e->last_sender_domain) == 0 &&
		    strcmp(ev->campaign, e->last_campaign) == 0;
	free(ev);
	return same;
}

_Static_assert(sizeof(((rebound_entry *)0)->last_diag) ==
		       sizeof(((rebound_event *)0)->diag) &&
	       sizeof(((rebound_entry *)0)->last_source) ==
		       sizeof(((rebound_event *)0)->source) &&
	       sizeof(((rebound_entry *)0)->last_status) ==
		       sizeof(((rebound_event *)0)->status) &&
	       sizeof(((rebound_entry *)0)->last_reply) ==
		       sizeof(((rebound_event *)0)->reply) &&
	       sizeof(((rebound_entry *)0)->last_mta) ==
		       sizeof(((rebound_event *)0)->mta) &&
	       sizeof(((rebound_entry *)0)->last_sender_domain) ==
		       sizeof(((rebound_event *)0)->sender_domain) &&
	       sizeof(((rebound_entry *)0)->last_campaign) ==
		       sizeof(((rebound_event *)0)->campaign),
	       "a recipient's last bounce and an event hold the same texts");

/* Fill e's last bounce from its last kept event (TAG_LAST_SHARED). */
static int take_last(rebound_entry *e, const rebound_texts *t, char *err,
		     size_t errlen)
{
	const unsigned char *val;
	size_t len;
	if (!last_kept(e, &val, &len))
		return rebound_error(err, errlen,
				     "last bounce shared with no event");
	rebound_event *ev = malloc(sizeof(*ev));
	if (ev == NULL)
		return rebound_error(err, errlen, "out of memory");
	int rc = decode_kept(ev, e, t, val, len, err, errlen);
	if (rc == 0) {
		e->last_time = ev->time;
		e->last_reason = ev->reason;
		e->last_action = ev->action;
		e->last_hard = ev->hard;
		memcpy(e->last_source, ev->source, sizeof(e->last_source));
		memcpy(e->last_status, ev->status, sizeof(e->last_status));
		memcpy(e->last_reply, ev->reply, sizeof(e->last_reply));
		memcpy(e->last_diag, ev->diag, sizeof(e->last_diag));
		memcpy(e->last_mta, ev->mta, sizeof(e->last_mta));
		memcpy(e->last_sender_domain, ev->sender_domain,
		       sizeof(e->last_sender_domain));
		memcpy(e->last_campaign, ev->campaign,
		       sizeof(e->last_campaign));
	}
	free(ev);
	return rc;
}

static void entry_encode(rebound_buf *b, const rebound_entry *e,
			 const enc_ctx *cx, bool compact)
{
	unsigned char h[HEADER_LEN] = {
		MAGIC0, MAGIC1,
		compact ? REBOUND_RECORD_VERSION_COMPACT :
			  REBOUND_RECORD_VERSION,
		REBOUND_KIND_RECIPIENT
	};
	buf_put(b, h, sizeof(h));
	enc_ctx here = cx != NULL ? *cx : (enc_ctx){ 0 };
	here.shared = compact && e->events_len > 0 &&
		      last_is_kept(e, here.texts);
	if (here.shared)
		rebound_buf_uint(b, TAG_LAST_SHARED, 1);
	encode_fields_ex(b, e, entry_fields, NFIELDS(entry_fields),
			 cx != NULL || here.shared ? &here : NULL);
	for (size_t i = 0; i < e->nhard_domains && i < REBOUND_HARD_DOMAINS;
	     i++)
		encode_timed(b, TAG_HARD_DOMAIN, e->hard_domains[i].time,
			     e->hard_domains[i].domain,
			     sizeof(e->hard_domains[i].domain));
	if (compact) {
		for (size_t i = 0; i < e->nseen && i < REBOUND_SEEN_KEPT; i++) {
			/* Its time from the record's last sighting: mostly
			   0, one byte. */
			uint64_t t = zigzag(e->last_seen - e->seen[i].time);
			buf_varint(b, TAG_SEEN_MARK);
			buf_varint(b, varint_len(t) + REBOUND_MARK_LEN);
			buf_varint(b, t);
			buf_put(b, e->seen[i].fp, REBOUND_MARK_LEN);
		}
		buf_put(b, e->events, e->events_len);
	}
	encode_extra(b, &e->extra);
}

void rebound_entry_encode(rebound_buf *b, const rebound_entry *e)
{
	/* The self-contained form has no place for marks and events: a
	   record that keeps some is written compact. */
	if (e->nseen > 0 || e->events_len > 0)
		rebound_entry_encode_compact(b, e, NULL, NULL);
	else
		entry_encode(b, e, NULL, false);
}

void rebound_entry_encode_compact(rebound_buf *b, const rebound_entry *e,
				  const char *key, const rebound_texts *t)
{
	enc_ctx cx = { e->address, 0, t, false };
	/* The key is the address lower-cased: the same, it says it. */
	if (key != NULL && key[0] == 'r' && key[1] == ':' &&
	    strcmp(key + 2, e->address) == 0)
		cx.skip_tag = 1;
	entry_encode(b, e, &cx, true);
}

/* A field of tag and len at the end of buf[0..*used) (of cap bytes);
 * false when it does not fit. */
static bool put_field(unsigned char *buf, size_t cap, size_t *used,
		      uint64_t tag, const unsigned char *val, size_t len)
{
	size_t need = varint_len(tag) + varint_len(len) + len;
	if (*used + need > cap)
		return false;
	unsigned char *p = buf + *used;
	uint64_t nums[2] = { tag, len };
	for (int i = 0; i < 2; i++) {
		uint64_t v = nums[i];
		do {
			unsigned char c = v & 0x7f;
			v >>= 7;
			*p++ = c | (v ? 0x80 : 0);
		} while (v);
	}
	memcpy(p, val, len);
	*used += need;
	return true;
}

static bool events_put(rebound_entry *e, uint64_t tag,
		       const unsigned char *val, size_t len)
{
	return put_field(e->events, sizeof(e->events), &e->events_len, tag,
			 val, len);
}

/* Returns 0 handled, -1 invalid, 1 not ours. */
static int entry_special(void *rec, uint64_t tag, const unsigned char *val,
			 size_t len)
{
	rebound_entry *e = rec;
	if (tag == TAG_SEEN_MARK) {
		uint64_t t;
		size_t n = read_varint(val, len, &t);
		if (n == 0 || len - n != REBOUND_MARK_LEN)
			return -1;
		if (e->nseen >= REBOUND_SEEN_KEPT)
			return 0;	/* more than we keep: ignore */
		/* From last_seen, once it is read (rebound_entry_decode_at). */
		e->seen[e->nseen].time = unzigzag(t);
		memcpy(e->seen[e->nseen++].fp, val + n, REBOUND_MARK_LEN);
		return 0;
	}
	if (tag == TAG_KEPT_EVENT)
		/* A writer keeps no more than fit: more is damage. */
		return events_put(e, tag, val, len) ? 0 : -1;
	if (tag == TAG_LAST_SHARED) {
		e->last_shared = true;
		return 0;
	}
	if (tag != TAG_HARD_DOMAIN)
		return 1;
	rebound_hard_domain h;
	if (decode_timed(val, len, &h.time, h.domain, sizeof(h.domain)) < 0)
		return -1;
	if (e->nhard_domains >= REBOUND_HARD_DOMAINS)
		return 0;		/* more than we keep: ignore */
	e->hard_domains[e->nhard_domains++] = h;
	return 0;
}

int rebound_entry_decode(rebound_entry *out, const unsigned char *data,
			 size_t len, char *err, size_t errlen)
{
	return rebound_entry_decode_at(out, data, len, NULL, 0, NULL, err,
				       errlen);
}

int rebound_entry_decode_at(rebound_entry *out, const unsigned char *data,
			    size_t len, const char *key, size_t keylen,
			    const rebound_texts *t, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (check_header(data, len, REBOUND_KIND_RECIPIENT, err, errlen) < 0)
		return -1;
	bool compact = rebound_record_is_compact(data, len);
	dec_ctx dx = { .texts = t,
		       .addr_offset = offsetof(rebound_entry, address) };
	if (decode_fields(out, &out->extra, entry_fields,
			  NFIELDS(entry_fields), entry_special,
			  compact ? &dx : NULL, data, HEADER_LEN, len, err,
			  errlen) < 0)
		return -1;
	for (size_t i = 0; i < out->nseen; i++)
		out->seen[i].time = out->last_seen - out->seen[i].time;
	if (compact && out->address[0] == '\0' && key != NULL && keylen > 2 &&
	    key[0] == 'r' && key[1] == ':') {
		size_t n = keylen - 2;
		if (n >= sizeof(out->address))
			n = sizeof(out->address) - 1;
		memcpy(out->address, key + 2, n);
		out->address[n] = '\0';
	}
	if (!compact && (out->nseen > 0 || out->events_len > 0 ||
			 out->last_shared))
		return rebound_error(err, errlen,
				     "marks or events in a record of format 1");
	if (resolve_refs(out, &dx, err, errlen) < 0)
		return -1;
	if (out->last_shared) {
		out->last_shared = false;
		if (t != NULL)
			return take_last(out, t, err, errlen);
	}
	return 0;
}

/* --- the events a recipient record keeps ------------------------------- */

bool rebound_entry_add_event(rebound_entry *e, const rebound_event *ev,
			     const rebound_texts *t)
{
	rebound_buf b = { 0 };
	/* The event's fields but its address (the record's). */
	enc_ctx cx = { e->address, 2, t, false };
	encode_fields_ex(&b, ev, event_fields, NFIELDS(event_fields), &cx);
	encode_extra(&b, &ev->extra);
	bool ok = !b.failed && events_put(e, TAG_KEPT_EVENT, b.p, b.len);
	rebound_buf_free(&b);
	return ok;
}

/* Walk the fields of e's kept events: fn gets each one's bytes. */
typedef int (*kept_fn)(const unsigned char *val, size_t len, void *ctx);

static int each_kept(const unsigned char *data, size_t len, kept_fn fn,
		     void *ctx)
{
	size_t pos = 0;
	while (pos < len) {
		uint64_t tag;
		const unsigned char *val;
		size_t flen;
		const char *why;
		if (next_field(data, len, &pos, &tag, &val, &flen, &why) < 0)
			return -1;
		int rc = tag == TAG_KEPT_EVENT ? fn(val, flen, ctx) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

typedef struct last_ctx {
	const unsigned char *val;
	size_t len;
} last_ctx;

static int note_last(const unsigned char *val, size_t len, void *p)
{
	last_ctx *c = p;
	c->val = val;
	c->len = len;
	return 0;
}

/* The bytes of e's last kept event; false when it keeps none. */
static bool last_kept(const rebound_entry *e, const unsigned char **val,
		      size_t *len)
{
	last_ctx c = { NULL, 0 };
	if (each_kept(e->events, e->events_len, note_last, &c) != 0 ||
	    c.val == NULL)
		return false;
	*val = c.val;
	*len = c.len;
	return true;
}

/* One kept event decoded, its address e's. */
static int decode_kept(rebound_event *ev, const rebound_entry *e,
		       const rebound_texts *t, const unsigned char *val,
		       size_t len, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->address, sizeof(ev->address), "%s", e->address);
	dec_ctx dx = { .texts = t,
		       .addr_offset = offsetof(rebound_event, address) };
	if (decode_fields(ev, &ev->extra, event_fields,
			  NFIELDS(event_fields), NULL, &dx, val, 0, len, err,
			  errlen) < 0)
		return -1;
	return resolve_refs(ev, &dx, err, errlen);
}

typedef struct each_ctx {
	const rebound_entry *e;
	const rebound_texts *t;
	rebound_kept_event_fn fn;
	void *ctx;
	long n;
	char *err;
	size_t errlen;
	bool failed;
	rebound_event ev;
} each_ctx;

static int each_one(const unsigned char *val, size_t len, void *p)
{
	each_ctx *c = p;
	if (decode_kept(&c->ev, c->e, c->t, val, len, c->err, c->errlen) < 0) {
		c->failed = true;
		return -1;
	}
	c->n++;
	return c->fn(&c->ev, c->ctx) != 0 ? 1 : 0;
}

long rebound_entry_each_event(const rebound_entry *e, const rebound_texts *t,
			      rebound_kept_event_fn fn, void *ctx, char *err,
			      size_t errlen)
{
	each_ctx *c = malloc(sizeof(*c));
	if (c == NULL)
		return rebound_error(err, errlen, "out of memory");
	*c = (each_ctx){ e, t, fn, ctx, 0, err, errlen, false, { 0 } };
	int rc = each_kept(e->events, e->events_len, each_one, c);
	long n = c->n;
	bool failed = c->failed;
	free(c);
	if (rc < 0 && !failed)
		return rebound_error(err, errlen, "kept events damaged");
	return rc < 0 ? -1 : n;
}

typedef struct prune_ctx {
	int64_t before;
	unsigned char keep[REBOUND_EVENTS_MAX];
	size_t keep_len;
	unsigned long dropped;
} prune_ctx;

/* The time of a kept event without decoding the rest (tag 1). */
static int kept_time(const unsigned char *val, size_t len, int64_t *time)
{
	*time = 0;
	size_t pos = 0;
	while (pos < len) {
		uint64_t tag, v = 0;
		const unsigned char *f;
		size_t flen;
		const char *why;
		if (next_field(val, len, &pos, &tag, &f, &flen, &why) < 0)
			return -1;
		if (tag == 1) {
			if (read_varint(f, flen, &v) != flen)
				return -1;
			*time = unzigzag(v);
			return 0;
		}
	}
	return 0;			/* absent: zero */
}

static int prune_one(const unsigned char *val, size_t len, void *p)
{
	prune_ctx *c = p;
	int64_t t;
	if (kept_time(val, len, &t) == 0 && t < c->before) {
		c->dropped++;
		return 0;
	}
	/* Kept: it fitted before, it fits now. */
	put_field(c->keep, sizeof(c->keep), &c->keep_len, TAG_KEPT_EVENT, val,
		  len);
	return 0;
}

void rebound_entry_prune(rebound_entry *e, int64_t before,
			 unsigned long *events, unsigned long *marks)
{
	prune_ctx *c = malloc(sizeof(*c));
	if (c != NULL) {
		c->before = before;
		c->keep_len = 0;
		c->dropped = 0;
		if (each_kept(e->events, e->events_len, prune_one, c) == 0) {
			memcpy(e->events, c->keep, c->keep_len);
			e->events_len = c->keep_len;
			if (events != NULL)
				*events += c->dropped;
		}
		free(c);
	}
	size_t n = 0;
	for (size_t i = 0; i < e->nseen; i++) {
		if (e->seen[i].time < before) {
			if (marks != NULL)
				(*marks)++;
			continue;
		}
		e->seen[n++] = e->seen[i];
	}
	e->nseen = n;
}

/* The references among the fields data[pos..len): a recipient's own
 * (top) and, inside its kept events, theirs. */
static void refs_in(const unsigned char *data, size_t pos, size_t len,
		    bool top, void (*fn)(uint32_t ref, void *ctx), void *ctx)
{
	while (pos < len) {
		uint64_t tag, v = 0;
		const unsigned char *val;
		size_t flen;
		const char *why;
		if (next_field(data, len, &pos, &tag, &val, &flen, &why) < 0)
			return;
		const field *fs = top ? entry_fields : event_fields;
		size_t nf = top ? NFIELDS(entry_fields) : NFIELDS(event_fields);
		if (top && tag == TAG_KEPT_EVENT)
			refs_in(data, pos - flen, pos, false, fn, ctx);
		else
			for (size_t i = 0; i < nf; i++)
				if (fs[i].intern && fs[i].tag + REF_TAG == tag &&
				    read_varint(val, flen, &v) == flen &&
				    v != 0 && v <= UINT32_MAX)
					fn((uint32_t)v, ctx);
	}
}

void rebound_entry_refs(const unsigned char *data, size_t len,
			void (*fn)(uint32_t ref, void *ctx), void *ctx)
{
	if (len < HEADER_LEN || data[0] != MAGIC0 || data[1] != MAGIC1 ||
	    !rebound_record_is_compact(data, len) ||
	    data[3] != REBOUND_KIND_RECIPIENT)
		return;
	refs_in(data, HEADER_LEN, len, true, fn, ctx);
}

/* --- texts ---------------------------------------------------------------- */

void rebound_text_encode(rebound_buf *b, const char *text, uint64_t gen)
{
	unsigned char h[HEADER_LEN] = { MAGIC0, MAGIC1,
					REBOUND_RECORD_VERSION_COMPACT,
					REBOUND_KIND_TEXT };
	buf_put(b, h, sizeof(h));
	rebound_buf_field(b, 1, text, strlen(text));
	if (gen != 0)
		rebound_buf_uint(b, 2, gen);
}

int rebound_text_decode(const unsigned char *data, size_t len, char *text,
			size_t size, uint64_t *gen)
{
	text[0] = '\0';
	*gen = 0;
	if (len < HEADER_LEN || data[0] != MAGIC0 || data[1] != MAGIC1 ||
	    !major_known(data[2]) || data[3] != REBOUND_KIND_TEXT)
		return -1;
	size_t pos = HEADER_LEN;
	while (pos < len) {
		uint64_t tag;
		const unsigned char *val;
		size_t flen;
		const char *why;
		if (next_field(data, len, &pos, &tag, &val, &flen, &why) < 0)
			return -1;
		if (tag == 1) {
			size_t c = flen < size ? flen : size - 1;
			memcpy(text, val, c);
			text[c] = '\0';
		} else if (tag == 2 && read_varint(val, flen, gen) != flen) {
			return -1;
		}
	}
	return 0;
}

/* --- the other kinds ---------------------------------------------------- */

void rebound_event_encode(rebound_buf *b, const rebound_event *ev)
{
	rebound_buf_header(b, REBOUND_KIND_EVENT);
	encode_fields(b, ev, event_fields, NFIELDS(event_fields));
	encode_extra(b, &ev->extra);
}

int rebound_event_decode(rebound_event *out, const unsigned char *data,
			 size_t len, char *err, size_t errlen)
{
	return decode(out, sizeof(*out), &out->extra, REBOUND_KIND_EVENT,
		      event_fields, NFIELDS(event_fields), NULL, data, len,
		      err, errlen);
}

void rebound_campaign_encode(rebound_buf *b, const rebound_campaign *c)
{
	rebound_buf_header(b, REBOUND_KIND_CAMPAIGN);
	encode_fields(b, c, campaign_fields, NFIELDS(campaign_fields));
	encode_extra(b, &c->extra);
}

int rebound_campaign_decode(rebound_campaign *out, const unsigned char *data,
			    size_t len, char *err, size_t errlen)
{
	return decode(out, sizeof(*out), &out->extra, REBOUND_KIND_CAMPAIGN,
		      campaign_fields, NFIELDS(campaign_fields), NULL, data,
		      len, err, errlen);
}

void rebound_meta_encode(rebound_buf *b, const rebound_meta *m)
{
	rebound_buf_header(b, REBOUND_KIND_META);
	encode_fields(b, m, meta_fields, NFIELDS(meta_fields));
	encode_extra(b, &m->extra);
}

int rebound_meta_decode(rebound_meta *out, const unsigned char *data,
			size_t len, char *err, size_t errlen)
{
	return decode(out, sizeof(*out), &out->extra, REBOUND_KIND_META,
		      meta_fields, NFIELDS(meta_fields), NULL, data, len, err,
		      errlen);
}

void rebound_seen_encode(rebound_buf *b, const rebound_seen *s)
{
	rebound_buf_header(b, REBOUND_KIND_SEEN);
	encode_fields(b, s, seen_fields, NFIELDS(seen_fields));
	encode_extra(b, &s->extra);
}

int rebound_seen_decode(rebound_seen *out, const unsigned char *data,
			size_t len, char *err, size_t errlen)
{
	return decode(out, sizeof(*out), &out->extra, REBOUND_KIND_SEEN,
		      seen_fields, NFIELDS(seen_fields), NULL, data, len, err,
		      errlen);
}

/* --- recipient domains ---------------------------------------------------- */

void rebound_domain_encode(rebound_buf *b, const rebound_domain *d)
{
	rebound_buf_header(b, REBOUND_KIND_DOMAIN);
	encode_fields(b, d, domain_fields, NFIELDS(domain_fields));
	for (size_t i = 0; i < d->nhits && i < REBOUND_BURST_HITS; i++) {
		const rebound_burst_hit *h = &d->hits[i];
		size_t alen = strnlen(h->address, sizeof(h->address));
		uint64_t t = zigzag(h->time);
		buf_varint(b, TAG_BURST_HIT);
		buf_varint(b, varint_len(t) + varint_len(h->shape) + alen);
		buf_varint(b, t);
		buf_varint(b, h->shape);
		buf_put(b, h->address, alen);
	}
	encode_extra(b, &d->extra);
}

/* A burst hit: varint time, varint shape hash, then the address. */
static int domain_special(void *rec, uint64_t tag, const unsigned char *val,
			  size_t len)
{
	if (tag != TAG_BURST_HIT)
		return 1;
	rebound_domain *d = rec;
	uint64_t t, shape;
	size_t n = read_varint(val, len, &t);
	size_t m = n == 0 ? 0 : read_varint(val + n, len - n, &shape);
	if (m == 0 || shape > UINT32_MAX)
		return -1;
	if (d->nhits >= REBOUND_BURST_HITS)
		return 0;
	rebound_burst_hit *h = &d->hits[d->nhits++];
	h->time = unzigzag(t);
	h->shape = (uint32_t)shape;
	size_t alen = len - n - m;
	if (alen >= sizeof(h->address))
		alen = sizeof(h->address) - 1;
	memcpy(h->address, val + n + m, alen);
	h->address[alen] = '\0';
	return 0;
}

int rebound_domain_decode(rebound_domain *out, const unsigned char *data,
			  size_t len, char *err, size_t errlen)
{
	return decode(out, sizeof(*out), &out->extra, REBOUND_KIND_DOMAIN,
		      domain_fields, NFIELDS(domain_fields), domain_special,
		      data, len, err, errlen);
}
