/* ledger-scan.c - a second opinion on a tdb file's layout for
 * `rebound db check` (see ledger-scan.h for why; admin library).
 *
 * The layout, as tdb 1.x writes it (doc/platform.md §3.5): a
 * 168-byte header (magic text, version at byte 32, hash size at 36,
 * recovery area offset at 44, feature flags at 60), the free-list head,
 * one 4-byte chain head per hash bucket, then records one after another
 * to the end of the file.  Every record starts with six 32-bit words:
 * next, rec_len (bytes after this header), key_len, data_len, full_hash,
 * magic.  Offsets are 4-byte aligned.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-scan.h"

#define HEADER_SIZE 168u
#define REC_HEADER 24u
#define TDB_VERSION_NATIVE 0x2601196Du	/* 0x26011967 + 6 */
#define TDB_VERSION_SWAPPED 0x6D190126u

#define MAGIC_USED 0x26011999u
#define MAGIC_FREE 0xd9fee666u
#define MAGIC_DEAD 0xFEE1DEADu
#define MAGIC_RECOVERY 0xf53bc0e7u
#define MAGIC_RECOVERY_INVALID 0u
#define MAGIC_FILL 0x42424242u

typedef struct rec_header {
	uint32_t next, rec_len, key_len, data_len, full_hash, magic;
} rec_header;

typedef struct scan {
	const unsigned char *p;
	size_t size;
	uint32_t recovery;
	/* one bit per 4-byte slot */
	unsigned char *used, *reached, *free, *listed;
	/* where an area of fill ends: the space a commit grew the file by
	   and never wrote starts before it (see leftovers()) */
	unsigned char *after_fill;
	rebound_tdb_key_fn key_live;
	void *ctx;
	rebound_tdb_scan *out;
} scan;

static uint32_t word(const scan *s, size_t off)
{
	uint32_t v;
	memcpy(&v, s->p + off, sizeof(v));
	return v;
}

static void header_at(const scan *s, size_t off, rec_header *h)
{
	memcpy(h, s->p + off, sizeof(*h));
}

static bool bit(const unsigned char *map, size_t off)
{
	return (map[off / 32] >> ((off / 4) % 8)) & 1;
}

static void set_bit(unsigned char *map, size_t off)
{
	map[off / 32] |= (unsigned char)(1u << ((off / 4) % 8));
}

__attribute__((format(printf, 2, 3)))
static int damaged(scan *s, const char *fmt, ...)
{
	if (s->out->problem[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->out->problem, sizeof(s->out->problem), fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* A record of rec_len bytes at off ends inside the file. */
static bool fits(const scan *s, size_t off, uint32_t rec_len)
{
	return off + REC_HEADER <= s->size &&
	       rec_len <= s->size - off - REC_HEADER;
}

/* An old recovery area tdb moved away from: its header says how long it
 * is (data_len bytes of saved data in rec_len), its magic is 0. */
static bool old_recovery_area(const scan *s, size_t off)
{
	if (off % 4 != 0 || !fits(s, off, 0))
		return false;
	rec_header h;
	header_at(s, off, &h);
	return h.magic == MAGIC_RECOVERY_INVALID && h.next == 0 &&
	       h.full_hash == 0 && h.data_len > 0 &&
	       h.data_len <= h.rec_len && fits(s, off, h.rec_len);
}

static bool record_magic(const scan *s, size_t off)
{
	if (off % 4 != 0 || !fits(s, off, 0))
		return false;
	uint32_t m = word(s, off + 20);
	return m == MAGIC_USED || m == MAGIC_FREE || m == MAGIC_DEAD ||
	       m == MAGIC_RECOVERY;
}

/* Bytes of fill (0 or 0x42, what a grown file holds before anything is
 * written there) from off, stopping at the recovery area and before the
 * header of the next record (whose first word may be 0). */
static size_t fill_length(const scan *s, size_t off)
{
	size_t n = 0;
	while (off + n < s->size && (s->p[off + n] == 0 || s->p[off + n] == 0x42)) {
		if (n > 0 && off + n == s->recovery)
			break;
		n++;
	}
	n -= n % 4;
	if (off + n >= s->size || off + n == s->recovery)
		return n;
	/* The run may have taken in the leading zero words of the next
	   header: the earliest place a record's magic is found, else an
	   old recovery area's header (whose magic is 0). */
	for (size_t i = 0; i <= REC_HEADER / 4; i++) {
		size_t back = REC_HEADER - 4 * i;
		if (back <= n && record_magic(s, off + n - back))
			return n - back;
	}
	for (size_t i = 0; i <= REC_HEADER / 4; i++) {
		size_t back = REC_HEADER - 4 * i;
		if (back <= n && old_recovery_area(s, off + n - back))
			return n - back;
	}
	/* A free entry's last word repeats its length; a grown file can
	   hold that word with the entry's header never written. */
	if (record_magic(s, off + n + 4) || old_recovery_area(s, off + n + 4))
		return n + 4;
	return n;
}

/* Walk the records from the end of the hash table to the end of the
 * file, marking where records and free entries are. */
static int walk_records(scan *s, size_t start)
{
	size_t off = start;
	while (off < s->size) {
		if (s->size - off < REC_HEADER) {
			/* fill too short for a header (a grown file's end) */
			size_t n = fill_length(s, off);
			if (off + n == s->size) {
				s->out->unused_areas++;
				s->out->unused_bytes += n;
				return 0;
			}
			return damaged(s, "a partial record at offset %zu", off);
		}
		rec_header h;
		header_at(s, off, &h);
		switch (h.magic) {
		case MAGIC_USED:
		case MAGIC_DEAD:
			if (!fits(s, off, h.rec_len) ||
			    (uint64_t)h.key_len + h.data_len > h.rec_len)
				return damaged(s, "record at offset %zu runs past "
					       "its length or the file", off);
			set_bit(s->used, off);
			off += REC_HEADER + h.rec_len;
			break;
		case MAGIC_FREE:
			if (!fits(s, off, h.rec_len))
				return damaged(s, "free entry at offset %zu runs "
					       "past the file", off);
			set_bit(s->free, off);
			off += REC_HEADER + h.rec_len;
			break;
		case MAGIC_RECOVERY:
			if (off != s->recovery)
				return damaged(s, "a recovery record at offset "
					       "%zu, not where the header says",
					       off);
			if (!fits(s, off, h.rec_len))
				return damaged(s, "the recovery area runs past "
					       "the file");
			off += REC_HEADER + h.rec_len;
			break;
		case MAGIC_RECOVERY_INVALID:
		case MAGIC_FILL:
			if (off == s->recovery || old_recovery_area(s, off)) {
				if (!fits(s, off, h.rec_len))
					return damaged(s, "the recovery area "
						       "runs past the file");
				if (off != s->recovery) {
					s->out->unused_areas++;
					s->out->unused_bytes +=
						REC_HEADER + h.rec_len;
				}
				off += REC_HEADER + h.rec_len;
				break;
			}
			size_t n = fill_length(s, off);
			if (n < REC_HEADER && off + n != s->size)
				return damaged(s, "bad record at offset %zu", off);
			s->out->unused_areas++;
			s->out->unused_bytes += n;
			off += n;
			if (off < s->size)
				set_bit(s->after_fill, off);
			break;
		default:
			return damaged(s, "bad record magic 0x%08lx at offset %zu",
				       (unsigned long)h.magic, off);
		}
	}
	return 0;
}

/* Every chain must lead from record to record, each reached once. */
static int walk_chains(scan *s, uint32_t hash_size)
{
	for (uint32_t b = 0; b < hash_size; b++) {
		uint32_t off = word(s, HEADER_SIZE + 4 * (size_t)(b + 1));
		while (off != 0) {
			if (off % 4 != 0 || off >= s->size || !bit(s->used, off))
				return damaged(s, "hash chain %lu leads to offset "
					       "%lu, not a record",
					       (unsigned long)b,
					       (unsigned long)off);
			if (bit(s->reached, off))
				return damaged(s, "hash chain %lu loops",
					       (unsigned long)b);
			set_bit(s->reached, off);
			s->out->records++;
			off = word(s, off);
		}
	}
	uint32_t off = word(s, HEADER_SIZE);
	while (off != 0) {
		if (off % 4 != 0 || off >= s->size || !bit(s->free, off))
			return damaged(s, "the free list leads to offset %lu, "
				       "not a free entry", (unsigned long)off);
		if (bit(s->listed, off))
			return damaged(s, "the free list loops");
		set_bit(s->listed, off);
		s->out->free_records++;
		off = word(s, off);
	}
	return 0;
}

/* Records no chain reaches hold keys tdb can no longer find, unless they
 * are what a commit killed after it grew the file wrote at the end of the
 * new space: tdb's recovery puts back what the commit changed in the old
 * file (the chains, the free list), but not what it wrote past the old
 * end.  Those records follow the grown space (fill, or the free entry tdb
 * made of it, which is on no list), one after another, before any record
 * a chain reaches.  Free entries missing
 * from the list are only space not reused. */
static int leftovers(scan *s)
{
	size_t first = 0;
	bool grown = false;	/* in the records that follow fill */
	for (size_t off = 0; off < s->size; off += 4) {
		/* Grown space is fill, or one free entry tdb made of it that
		   the killed commit never put on the free list. */
		if (bit(s->after_fill, off) ||
		    (bit(s->free, off) && !bit(s->listed, off)))
			grown = true;
		if (bit(s->used, off) && bit(s->reached, off))
			grown = false;
		if (bit(s->used, off) && !bit(s->reached, off)) {
			rec_header h;
			header_at(s, off, &h);
			const unsigned char *key = s->p + off + REC_HEADER;
			if (s->key_live != NULL &&
			    s->key_live(key, h.key_len, s->ctx)) {
				/* an older copy of a record that is there */
				s->out->stale_copies++;
				s->out->unused_areas++;
				s->out->unused_bytes += REC_HEADER + h.rec_len;
				continue;
			}
			if (grown) {
				/* written by a killed commit, never stored */
				s->out->killed_commit++;
				s->out->unused_areas++;
				s->out->unused_bytes += REC_HEADER + h.rec_len;
				continue;
			}
			if (s->out->unreachable++ == 0)
				first = off;
		} else if (bit(s->free, off) && !bit(s->listed, off)) {
			s->out->unused_areas++;
			s->out->unused_bytes += REC_HEADER + word(s, off + 4);
		}
	}
	if (s->out->unreachable > 0)
		return damaged(s, "%lu stored records that no hash chain "
			       "reaches (the first at offset %zu)",
			       s->out->unreachable, first);
	return 0;
}

int rebound_tdb_scan_layout(const unsigned char *file, size_t size,
			    rebound_tdb_key_fn key_live, void *ctx,
			    rebound_tdb_scan *out)
{
	memset(out, 0, sizeof(*out));
	if (size < HEADER_SIZE || memcmp(file, "TDB file\n", 9) != 0) {
		snprintf(out->problem, sizeof(out->problem), "not a tdb file");
		return -1;
	}
	scan s = { .p = file, .size = size, .key_live = key_live, .ctx = ctx,
		   .out = out };
	uint32_t version = word(&s, 32);
	if (version != TDB_VERSION_NATIVE) {
		snprintf(out->problem, sizeof(out->problem), "%s",
			 version == TDB_VERSION_SWAPPED ?
				 "a tdb file of the other byte order" :
				 "an unknown tdb version");
		return -1;
	}
	uint32_t hash_size = word(&s, 36);
	s.recovery = word(&s, 44);
	if (word(&s, 60) != 0) {
		snprintf(out->problem, sizeof(out->problem),
			 "a tdb file with feature flags this scan does not know");
		return -1;
	}
	if (size > UINT32_MAX || hash_size == 0 ||
	    hash_size > (size - HEADER_SIZE) / 4 - 1) {
		s.out->problem[0] = '\0';
		return damaged(&s, "hash size %lu does not fit the file",
			       (unsigned long)hash_size);
	}
	size_t start = HEADER_SIZE + 4 * ((size_t)hash_size + 1);
	size_t bytes = size / 32 + 1;
	unsigned char *maps = calloc(5, bytes);
	if (maps == NULL) {
		snprintf(out->problem, sizeof(out->problem), "out of memory");
		return -1;
	}
	s.used = maps;
	s.reached = maps + bytes;
	s.free = maps + 2 * bytes;
	s.listed = maps + 3 * bytes;
	s.after_fill = maps + 4 * bytes;
	int rc = walk_records(&s, start);
	if (rc == 0)
		rc = walk_chains(&s, hash_size);
	if (rc == 0)
		rc = leftovers(&s);
	free(maps);
	return rc;
}
