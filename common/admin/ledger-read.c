/* ledger-read.c - the reports' walk in file order (ledger-read.h says
 * how it stays exact; doc/platform.md §3.5 lists the tdb layout facts it
 * relies on, the same ledger-scan.c reads).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger-read.h"
#include "mail/error.h"

#define HEADER_SIZE 168u	/* then the free list head, then the heads */
#define REC_HEADER 24u
#define OFF_VERSION 32u
#define OFF_HASH_SIZE 36u
#define OFF_RECOVERY 44u
#define OFF_MAGIC1_HASH 52u
#define OFF_MAGIC2_HASH 56u
#define OFF_FEATURES 60u
#define TDB_VERSION_NATIVE 0x2601196Du

#define MAGIC_USED 0x26011999u
#define MAGIC_FREE 0xd9fee666u
#define MAGIC_DEAD 0xFEE1DEADu
#define MAGIC_RECOVERY 0xf53bc0e7u

/* One block read under the lock: ~1 ms from the page cache.  At least
 * eight times the chain heads, which every block reads again. */
#define BLOCK (4u << 20)
#define BLOCK_MAX (32u << 20)
/* A record longer than this (ours are a few hundred bytes) ends the
 * block reading. */
#define MAX_RECORD (64u << 20)
/* Key-log entries kept in memory before they go to the spill file. */
#define LOG_CHUNK 8192u

typedef struct rec_header {
	uint32_t next, rec_len, key_len, data_len, full_hash, magic;
} rec_header;

/* The keys given by the block reader, as 64-bit hashes (key_hash64):
 * in memory up to LOG_CHUNK, then in an unlinked temporary file (in
 * memory still when none can be made). */
typedef struct key_log {
	uint64_t *mem;
	size_t n, cap;
	int spill;		/* -1: none (yet) */
	bool no_spill;		/* cannot make or write one: all in mem */
	size_t spilled;		/* entries in the spill file */
	bool oom;
} key_log;

/* A record to give after the lock is let go. */
typedef struct given {
	TDB_DATA key, val;
} given;

/* Copies of the records of chains walked whole (their own memory). */
typedef struct chain_copy {
	given *r;
	size_t n, cap;
	bool oom;
	const char *prefix;
	size_t plen;
} chain_copy;

typedef struct reader {
	struct tdb_context *tdb;
	int fd;
	const char *prefix;
	size_t plen;
	ledger_read_fn fn;
	void *ctx;
	uint32_t hash_size;
	uint32_t data_start;
	unsigned long window;		/* blocks read so far */
	size_t block_size;
	uint32_t *heads;
	unsigned char *dirty;		/* one bit a chain: walked whole */
	uint32_t *free_offs;		/* the free list, sorted */
	size_t nfree, free_cap;
	bool free_known;
	unsigned long free_window;	/* the block it was read in */
	unsigned char *block;
	size_t block_cap;
	given *staged;
	size_t nstaged, staged_cap;
	chain_copy copies;
	key_log log;
	long bad;
	bool stop;
	bool oom;
	char irregular[120];		/* why the block reading ends */
	ledger_read_report *rep;
} reader;

static uint32_t word_at(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((format(printf, 2, 3)))
static void irregular(reader *r, const char *fmt, ...)
{
	if (r->irregular[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->irregular, sizeof(r->irregular), fmt, ap);
	va_end(ap);
}

/* tdb's default hash of a key (the one tdb 1.x uses for a file created
 * without another): a start of 0x238F13AF times the length, each byte
 * shifted left by (i * 5) % 24 and added, then 1103515243 * v + 12345,
 * all modulo 2^32.  Alongside, FNV-1a: the two make the 64-bit hash that
 * tells keys apart in the key log. */
static uint32_t key_hashes(const unsigned char *k, size_t len, uint32_t *fnv)
{
	uint32_t v = 0x238F13AFu * (uint32_t)len;
	uint32_t f = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		v += (uint32_t)k[i] << ((i * 5) % 24);
		f = (f ^ k[i]) * 16777619u;
	}
	*fnv = f;
	return 1103515243u * v + 12345u;
}

static uint64_t key_hash64(const unsigned char *k, size_t len,
			   uint32_t *tdb_hash)
{
	uint32_t fnv;
	uint32_t h = key_hashes(k, len, &fnv);
	if (tdb_hash != NULL)
		*tdb_hash = h;
	return ((uint64_t)h << 32) | fnv;
}

static bool read_all(int fd, void *buf, size_t len, off_t at)
{
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t got = pread(fd, p, len, at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		len -= (size_t)got;
		at += got;
	}
	return true;
}

/* Bytes read at `at`, up to len: fewer at the end of the file; -1. */
static ssize_t read_some(int fd, void *buf, size_t len, off_t at)
{
	size_t done = 0;
	while (done < len) {
		ssize_t got = pread(fd, (unsigned char *)buf + done,
				    len - done, at + (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/* --- the key log ------------------------------------------------------ */

static int spill_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/rebound-read.XXXXXX",
		 dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Move the entries in memory to the spill file; false when it cannot
 * (the file is cut back to what it held, and the log stays in memory). */
static bool spill(key_log *g)
{
	if (g->no_spill)
		return false;
	if (g->spill < 0 && (g->spill = spill_file()) < 0) {
		g->no_spill = true;
		return false;
	}
	size_t len = g->n * sizeof(*g->mem);
	off_t at = (off_t)(g->spilled * sizeof(*g->mem));
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(g->spill, (unsigned char *)g->mem + done,
				   len - done, at + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (ftruncate(g->spill, at) != 0) {
				/* what was written stays readable below at */
			}
			g->no_spill = true;
			return false;
		}
		done += (size_t)w;
	}
	g->spilled += g->n;
	g->n = 0;
	return true;
}

static void log_add(key_log *g, uint64_t h)
{
	if (g->n == g->cap && !(g->cap >= LOG_CHUNK && spill(g))) {
		size_t cap = g->cap ? g->cap * 2 : LOG_CHUNK;
		uint64_t *m = realloc(g->mem, cap * sizeof(*m));
		if (m == NULL) {
			g->oom = true;
			return;
		}
		g->mem = m;
		g->cap = cap;
	}
	g->mem[g->n++] = h;
}

/* Call fn(entry, ctx) for every logged hash; false when the spill file
 * cannot be read back. */
static bool log_each(key_log *g, void (*fn)(uint64_t, void *), void *ctx)
{
	uint64_t chunk[1024];
	size_t left = g->spilled;
	off_t at = 0;
	while (left > 0) {
		size_t n = left < 1024 ? left : 1024;
		if (!read_all(g->spill, chunk, n * sizeof(*chunk), at))
			return false;
		for (size_t i = 0; i < n; i++)
			fn(chunk[i], ctx);
		left -= n;
		at += (off_t)(n * sizeof(*chunk));
	}
	for (size_t i = 0; i < g->n; i++)
		fn(g->mem[i], ctx);
	return !g->oom;
}

static void log_free(key_log *g)
{
	if (g->spill >= 0)
		close(g->spill);
	free(g->mem);
}

/* An open-addressing set of 64-bit hashes (0 stands for itself in a
 * slot of its own). */
typedef struct hash_set {
	uint64_t *slot;
	size_t mask;
	bool has_zero;
} hash_set;

static bool set_init(hash_set *s, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 16)
		cap *= 2;
	s->slot = calloc(cap, sizeof(*s->slot));
	s->mask = cap - 1;
	s->has_zero = false;
	return s->slot != NULL;
}

static void set_add(uint64_t h, void *p)
{
	hash_set *s = p;
	if (h == 0) {
		s->has_zero = true;
		return;
	}
	size_t i = (size_t)(h ^ (h >> 29)) & s->mask;
	while (s->slot[i] != 0 && s->slot[i] != h)
		i = (i + 1) & s->mask;
	s->slot[i] = h;
}

static bool set_has(const hash_set *s, uint64_t h)
{
	if (h == 0)
		return s->has_zero;
	size_t i = (size_t)(h ^ (h >> 29)) & s->mask;
	while (s->slot[i] != 0) {
		if (s->slot[i] == h)
			return true;
		i = (i + 1) & s->mask;
	}
	return false;
}

/* --- chains walked whole after a change -------------------------------- */

static bool dup_data(TDB_DATA *to, TDB_DATA from)
{
	to->dsize = from.dsize;
	to->dptr = malloc(from.dsize ? from.dsize : 1);
	if (to->dptr != NULL && from.dsize > 0)
		memcpy(to->dptr, from.dptr, from.dsize);
	return to->dptr != NULL;
}

static int copy_record(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val,
		       void *p)
{
	(void)tdb;
	chain_copy *c = p;
	if (key.dsize < c->plen || memcmp(key.dptr, c->prefix, c->plen) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		given *r = realloc(c->r, cap * sizeof(*r));
		if (r == NULL) {
			c->oom = true;
			return -1;
		}
		c->r = r;
		c->cap = cap;
	}
	if (!dup_data(&c->r[c->n].key, key)) {
		c->oom = true;
		return -1;
	}
	if (!dup_data(&c->r[c->n].val, val)) {
		free(c->r[c->n].key.dptr);
		c->oom = true;
		return -1;
	}
	c->n++;
	return 0;
}

static void copies_clear(chain_copy *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->r[i].key.dptr);
		free(c->r[i].val.dptr);
	}
	c->n = 0;
}

static bool is_dirty(const reader *r, uint32_t chain)
{
	return (r->dirty[chain / 8] >> (chain % 8)) & 1;
}

/* The heads as they are now against the copy: every chain whose head
 * moved, and that was not walked whole yet, is walked whole now (the
 * caller holds the lock on all records) and skipped by the blocks from
 * now on.  The heads are read in pieces into the block buffer. */
static int walk_moved_chains(reader *r)
{
	uint32_t piece[4096];
	bool moved = false;
	for (uint32_t first = 0; first < r->hash_size; first += 4096) {
		uint32_t n = r->hash_size - first < 4096 ?
				     r->hash_size - first : 4096;
		if (!read_all(r->fd, piece, n * 4u,
			      HEADER_SIZE + 4 + 4 * (off_t)first)) {
			irregular(r, "the hash chain heads cannot be read");
			return -1;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t c = first + i;
			if (piece[i] == r->heads[c])
				continue;
			r->heads[c] = piece[i];
			if (!moved && r->rep != NULL)
				r->rep->changed++;
			moved = true;
			if (is_dirty(r, c))
				continue;
			r->dirty[c / 8] |= (unsigned char)(1u << (c % 8));
			if (r->rep != NULL)
				r->rep->chains++;
			if (tdb_traverse_chain(r->tdb, c, copy_record,
					       &r->copies) < 0) {
				if (r->copies.oom) {
					r->oom = true;
					return -1;
				}
				r->bad++;	/* a damaged chain, as before */
			}
		}
	}
	return 0;
}

typedef struct match {
	hash_set set;
	hash_set found;
} match;

static void match_one(uint64_t h, void *p)
{
	match *m = p;
	if (set_has(&m->set, h))
		set_add(h, &m->found);
}

/* Give the copied records whose keys the blocks have not given. */
static int give_copies(reader *r)
{
	chain_copy *c = &r->copies;
	if (c->n == 0)
		return 0;
	match m;
	if (!set_init(&m.set, c->n) || !set_init(&m.found, c->n)) {
		free(m.set.slot);
		r->oom = true;
		return -1;
	}
	for (size_t i = 0; i < c->n; i++)
		set_add(key_hash64(c->r[i].key.dptr, c->r[i].key.dsize, NULL),
			&m.set);
	bool ok = log_each(&r->log, match_one, &m);
	for (size_t i = 0; ok && i < c->n && !r->stop; i++) {
		if (set_has(&m.found, key_hash64(c->r[i].key.dptr,
						 c->r[i].key.dsize, NULL)))
			continue;
		int rc = r->fn(c->r[i].key, c->r[i].val, r->ctx);
		if (rc < 0)
			r->bad++;
		else if (rc > 0)
			r->stop = true;
	}
	free(m.set.slot);
	free(m.found.slot);
	copies_clear(c);
	if (!ok) {
		irregular(r, "the log of the keys given cannot be read back");
		return -1;
	}
	return 0;
}

/* --- the free list ----------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Read the free list (under the lock); false when it is not sound. */
static bool read_free_list(reader *r, uint64_t file_size)
{
	r->free_known = false;
	r->nfree = 0;
	uint32_t off;
	if (!read_all(r->fd, &off, 4, HEADER_SIZE))
		return false;
	while (off != 0) {
		if (r->nfree >= file_size / REC_HEADER || off % 4 != 0 ||
		    off < r->data_start)
			return false;
		rec_header h;
		if (!read_all(r->fd, &h, sizeof(h), off) ||
		    h.magic != MAGIC_FREE)
			return false;
		if (r->nfree == r->free_cap) {
			size_t cap = r->free_cap ? r->free_cap * 2 : 256;
			uint32_t *f = realloc(r->free_offs, cap * sizeof(*f));
			if (f == NULL) {
				r->oom = true;
				return false;
			}
			r->free_offs = f;
			r->free_cap = cap;
		}
		r->free_offs[r->nfree++] = off;
		off = h.next;
	}
	qsort(r->free_offs, r->nfree, sizeof(*r->free_offs), cmp_u32);
	r->free_known = true;
	r->free_window = r->window;
	return true;
}

static bool listed_free(const reader *r, uint32_t off)
{
	return r->nfree > 0 &&
	       bsearch(&off, r->free_offs, r->nfree, sizeof(off), cmp_u32) !=
		       NULL;
}

/* A free entry not on the list is what a writer killed in a commit that
 * grew the file leaves, followed by records no chain reaches.  The list
 * is read again (under the lock) when it was read for an earlier block. */
static bool free_entry_ok(reader *r, uint32_t off, uint64_t file_size)
{
	if (r->free_known && listed_free(r, off))
		return true;
	if (r->free_known && r->free_window == r->window)
		return false;
	return read_free_list(r, file_size) && listed_free(r, off);
}

/* --- the blocks -------------------------------------------------------- */

static bool stage(reader *r, const unsigned char *rec, const rec_header *h)
{
	if (r->nstaged == r->staged_cap) {
		size_t cap = r->staged_cap ? r->staged_cap * 2 : 4096;
		given *s = realloc(r->staged, cap * sizeof(*s));
		if (s == NULL) {
			r->oom = true;
			return false;
		}
		r->staged = s;
		r->staged_cap = cap;
	}
	given *g = &r->staged[r->nstaged++];
	g->key.dptr = (unsigned char *)rec + REC_HEADER;
	g->key.dsize = h->key_len;
	g->val.dptr = g->key.dptr + h->key_len;
	g->val.dsize = h->data_len;
	return true;
}

/* Parse the records wholly inside block[0, len) read at file offset
 * base, staging those with the prefix.  Returns the offset of the first
 * record not wholly inside (where the next block starts), and stops
 * early (irregular set) at anything unexpected. */
static uint64_t parse_block(reader *r, uint64_t base, size_t len,
			    uint32_t recovery, uint64_t file_size)
{
	size_t at = 0;
	while (at < len && len - at >= REC_HEADER) {
		uint64_t off = base + at;
		rec_header h;
		memcpy(&h, r->block + at, sizeof(h));
		if (off + REC_HEADER + h.rec_len > file_size) {
			irregular(r, "a record at offset %llu runs past the "
				  "end of the file", (unsigned long long)off);
			return off;
		}
		/* Only a record to give needs its bytes in the block; the
		   rest are passed by their headers. */
		bool whole = (uint64_t)REC_HEADER + h.rec_len <= len - at;
		if (h.magic == MAGIC_USED && !whole &&
		    ((uint64_t)REC_HEADER + h.key_len > len - at ||
		     (h.key_len >= r->plen &&
		      memcmp(r->block + at + REC_HEADER, r->prefix,
			     r->plen) == 0))) {
			if ((uint64_t)REC_HEADER + h.rec_len > MAX_RECORD)
				irregular(r, "a record at offset %llu longer "
					  "than %u MB", (unsigned long long)off,
					  MAX_RECORD >> 20);
			return off;
		}
		switch (h.magic) {
		case MAGIC_USED:
			if ((uint64_t)h.key_len + h.data_len > h.rec_len) {
				irregular(r, "record at offset %llu longer "
					  "than its space",
					  (unsigned long long)off);
				return off;
			}
			if (h.key_len >= r->plen &&
			    memcmp(r->block + at + REC_HEADER, r->prefix,
				   r->plen) == 0) {
				uint32_t th;
				uint64_t h64 = key_hash64(
					r->block + at + REC_HEADER, h.key_len,
					&th);
				if (th != h.full_hash) {
					irregular(r, "record at offset %llu: "
						  "its key's hash is not the "
						  "stored one",
						  (unsigned long long)off);
					return off;
				}
				if (!is_dirty(r, th % r->hash_size)) {
					if (!stage(r, r->block + at, &h))
						return off;
					log_add(&r->log, h64);
				}
			}
			break;
		case MAGIC_DEAD:
			break;
		case MAGIC_FREE:
			if (!free_entry_ok(r, (uint32_t)off, file_size)) {
				irregular(r, "space at offset %llu that no "
					  "free list holds (a commit killed "
					  "after it grew the file?)",
					  (unsigned long long)off);
				return off;
			}
			break;
		case 0:
			/* the recovery area, its magic cleared after a
			   commit; an old one tdb moved away from is not
			   expected in a sound file */
			if (off != recovery) {
				irregular(r, "a zero magic at offset %llu",
					  (unsigned long long)off);
				return off;
			}
			break;
		default:
			irregular(r, "bad record magic 0x%08lx at offset %llu",
				  (unsigned long)h.magic,
				  (unsigned long long)off);
			return off;
		}
		at += REC_HEADER + h.rec_len;
	}
	if (at < len && base + len >= file_size)
		irregular(r, "%zu bytes at the end of the file that are no "
			  "record", len - at);
	return base + at;
}

/* Give the staged records (the lock is let go). */
static void give_staged(reader *r)
{
	for (size_t i = 0; i < r->nstaged && !r->stop; i++) {
		int rc = r->fn(r->staged[i].key, r->staged[i].val, r->ctx);
		if (rc < 0)
			r->bad++;
		else if (rc > 0)
			r->stop = true;
	}
	r->nstaged = 0;
}

/* The file's header: is it a tdb this reader understands (native byte
 * order, no feature flags, tdb's default hash)? */
static bool header_ok(reader *r, const unsigned char *hdr)
{
	if (memcmp(hdr, "TDB file\n", 9) != 0 ||
	    word_at(hdr + OFF_VERSION) != TDB_VERSION_NATIVE ||
	    word_at(hdr + OFF_FEATURES) != 0) {
		irregular(r, "not a tdb file this reader knows");
		return false;
	}
	uint32_t hs = word_at(hdr + OFF_HASH_SIZE);
	if (hs == 0 || hs != (uint32_t)tdb_hash_size(r->tdb)) {
		irregular(r, "hash size %lu unlike tdb's", (unsigned long)hs);
		return false;
	}
	/* tdb stores the hash of its magic text (with the NUL) and of its
	   record magic; both zero in files from before it did */
	uint32_t m1 = word_at(hdr + OFF_MAGIC1_HASH);
	uint32_t m2 = word_at(hdr + OFF_MAGIC2_HASH);
	uint32_t fnv, magic = MAGIC_USED;
	bool default_hash =
		(m1 == 0 && m2 == 0) ||
		(m1 == key_hashes((const unsigned char *)"TDB file\n", 10, &fnv) &&
		 m2 == key_hashes((const unsigned char *)&magic, 4, &fnv));
	if (!default_hash) {
		irregular(r, "a hash function other than tdb's default");
		return false;
	}
	r->hash_size = hs;
	return true;
}

/* One block: lock, look at what changed, read and parse, let go, give.
 * Returns 1 to go on, 0 at the end of the file, -1 on an error (err
 * set), 2 when the block reading ends (irregular: the rest goes chain by
 * chain). */
static int one_block(reader *r, uint64_t *pos, bool first, char *err,
		     size_t errlen)
{
	if (tdb_lockall_read(r->tdb) != 0)
		return rebound_error(err, errlen, "%s: cannot walk the "
				     "records: %s", tdb_name(r->tdb),
				     tdb_errorstr(r->tdb));
	int rc = 1;
	unsigned char hdr[HEADER_SIZE];
	struct stat st;
	if (!read_all(r->fd, hdr, sizeof(hdr), 0) || fstat(r->fd, &st) != 0) {
		irregular(r, "the header cannot be read");
		rc = 2;
		goto out;
	}
	uint64_t file_size = (uint64_t)st.st_size;
	uint32_t recovery = word_at(hdr + OFF_RECOVERY);
	r->window++;
	if (first) {
		if (!header_ok(r, hdr)) {
			rc = 2;
			goto out;
		}
		r->data_start = HEADER_SIZE + 4 * (r->hash_size + 1);
		r->heads = malloc((size_t)r->hash_size * 4);
		r->dirty = calloc((size_t)r->hash_size / 8 + 1, 1);
		if (r->heads == NULL || r->dirty == NULL) {
			r->oom = true;
			rc = 2;
			goto out;
		}
		if (!read_all(r->fd, r->heads, (size_t)r->hash_size * 4,
			      HEADER_SIZE + 4)) {
			irregular(r, "the hash chain heads cannot be read");
			rc = 2;
			goto out;
		}
		size_t heads = (size_t)r->hash_size * 4;
		r->block_size = heads * 8 > BLOCK ? heads * 8 : BLOCK;
		if (r->block_size > BLOCK_MAX)
			r->block_size = BLOCK_MAX;
		/* tests: small blocks, so that a small ledger takes many */
		const char *b = getenv("REBOUND_WALK_BLOCK");
		if (b != NULL && atol(b) >= 4096 && atol(b) <= BLOCK_MAX)
			r->block_size = (size_t)atol(b);
		*pos = r->data_start;
	} else if (word_at(hdr + OFF_HASH_SIZE) != r->hash_size) {
		irregular(r, "the file was rewritten");
		rc = 2;
		goto out;
	}
	/* A writer killed in a commit leaves the recovery area's magic set
	   until someone recovers the file: tdb's chain walk does. */
	if (recovery != 0) {
		rec_header rh;
		if (!read_all(r->fd, &rh, sizeof(rh), recovery) ||
		    rh.magic == MAGIC_RECOVERY) {
			irregular(r, "a transaction to recover");
			rc = 2;
			goto out;
		}
	}
	/* Writers may have come between the blocks: the chains they wrote
	   to are walked whole now. */
	if (!first && walk_moved_chains(r) < 0) {
		rc = 2;
		goto out;
	}
	if (*pos >= file_size) {
		rc = 0;
		goto out;
	}
	size_t want = r->block_size;
	for (;;) {
		if (want > r->block_cap) {
			unsigned char *b = realloc(r->block, want);
			if (b == NULL) {
				r->oom = true;
				rc = 2;
				goto out;
			}
			r->block = b;
			r->block_cap = want;
		}
		ssize_t got = read_some(r->fd, r->block, want, (off_t)*pos);
		if (got < 0) {
			irregular(r, "read at %llu: %s",
				  (unsigned long long)*pos, strerror(errno));
			rc = 2;
			goto out;
		}
		if (r->rep != NULL)
			r->rep->blocks++;
		uint64_t next = parse_block(r, *pos, (size_t)got, recovery,
					    file_size);
		if (r->irregular[0] != '\0' || r->oom) {
			*pos = next;
			rc = 2;
			goto out;
		}
		if (next > *pos || (size_t)got < want) {
			*pos = next;
			break;
		}
		/* one record longer than the block */
		rec_header h;
		memcpy(&h, r->block, sizeof(h));
		want = REC_HEADER + (size_t)h.rec_len;
	}
out:
	tdb_unlockall_read(r->tdb);
	if (give_copies(r) < 0 && rc == 1)
		rc = 2;
	give_staged(r);
	return rc;
}

/* The fallback's filter: skip what was given already. */
typedef struct rest {
	reader *r;
	hash_set given;
} rest;

static int give_rest(TDB_DATA key, TDB_DATA val, void *p)
{
	rest *s = p;
	uint32_t th;
	uint64_t h64 = key_hash64(key.dptr, key.dsize, &th);
	if (is_dirty(s->r, th % s->r->hash_size) || set_has(&s->given, h64))
		return 0;
	return s->r->fn(key, val, s->r->ctx);
}

long rebound_ledger_read(struct tdb_context *tdb, const char *prefix,
			 ledger_read_fn fn, void *ctx,
			 ledger_chain_walk fallback, void *walker,
			 ledger_read_report *report, char *err,
			 size_t errlen)
{
	reader r = { .tdb = tdb, .fd = tdb_fd(tdb), .prefix = prefix,
		     .plen = strlen(prefix), .fn = fn, .ctx = ctx,
		     .rep = report };
	r.log.spill = -1;
	r.copies.prefix = prefix;
	r.copies.plen = r.plen;
	if (report != NULL)
		memset(report, 0, sizeof(*report));
	uint64_t pos = 0;
	int rc = 1;
	for (bool first = true; rc == 1 && !r.stop; first = false)
		rc = one_block(&r, &pos, first, err, errlen);
	long result = r.bad;
	if (rc < 0) {
		result = -1;
	} else if (rc == 2 && !r.stop) {
		if (r.oom)
			snprintf(r.irregular, sizeof(r.irregular),
				 "out of memory");
		if (report != NULL) {
			report->fallback = 1;
			snprintf(report->why, sizeof(report->why), "%s",
				 r.irregular);
		}
		/* The rest chain by chain, without what was given. */
		rest s = { .r = &r };
		if (r.dirty == NULL)
			r.dirty = calloc((size_t)tdb_hash_size(tdb) / 8 + 1, 1);
		if (r.hash_size == 0)
			r.hash_size = (uint32_t)tdb_hash_size(tdb);
		if (r.dirty == NULL ||
		    !set_init(&s.given, r.log.spilled + r.log.n) ||
		    !log_each(&r.log, set_add, &s.given)) {
			result = rebound_error(err, errlen, "%s: out of memory",
					       tdb_name(tdb));
		} else {
			long more = fallback(walker, prefix, give_rest, &s,
					     err, errlen);
			result = more < 0 ? -1 : r.bad + more;
		}
		free(s.given.slot);
	}
	copies_clear(&r.copies);
	free(r.copies.r);
	free(r.staged);
	free(r.block);
	free(r.heads);
	free(r.dirty);
	free(r.free_offs);
	log_free(&r.log);
	return result;
}
