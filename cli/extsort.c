/* extsort.c - sort more items than a report should hold in memory
 * (extsort.h).  Items in memory are blocks [key length | payload | key];
 * a run on file is the same bytes, one item after the other. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "extsort.h"

/* Runs merged at once: more would mean a bound far too small for the
 * items (each run is at least mem_bound bytes of them). */
#define EXTSORT_RUNS_MAX 1024

typedef struct run {
	FILE *f;
	char *key;			/* EXTSORT_KEY_MAX + 1 */
	unsigned char *payload;
	int have;			/* 1: key/payload hold its next item */
} run;

struct extsort {
	size_t payload_size, mem_bound;
	unsigned char **items;		/* in memory */
	size_t n, cap, bytes;
	run *runs;
	size_t nruns;
	size_t next;			/* in-memory reading: the next item */
	ptrdiff_t last;			/* merging: the run given last, -1 */
	int finished;
};

static size_t key_len_of(const unsigned char *item)
{
	uint32_t len;
	memcpy(&len, item, sizeof(len));
	return len;
}

static const char *key_of(const extsort *s, const unsigned char *item)
{
	return (const char *)item + sizeof(uint32_t) + s->payload_size;
}

static int key_cmp(const char *a, const char *b)
{
	int c = strcasecmp(a, b);
	return c != 0 ? c : strcmp(a, b);
}

static const extsort *sorting;	/* qsort has no context argument */

static int item_cmp(const void *a, const void *b)
{
	return key_cmp(key_of(sorting, *(unsigned char *const *)a),
		       key_of(sorting, *(unsigned char *const *)b));
}

static void sort_memory(extsort *s)
{
	if (s->n < 2)
		return;		/* (qsort of no items would be given NULL) */
	sorting = s;
	qsort(s->items, s->n, sizeof(*s->items), item_cmp);
	sorting = NULL;
}

static void free_memory(extsort *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	s->n = 0;
	s->bytes = 0;
}

static FILE *temp_file(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/rebound-sort.XXXXXX",
			     dir) >= sizeof(path)) {
		snprintf(err, errlen, "TMPDIR too long");
		return NULL;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s",
			 dir, strerror(errno));
		return NULL;
	}
	unlink(path);			/* gone when closed, whatever happens */
	FILE *f = fdopen(fd, "w+");
	if (f == NULL) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		close(fd);
	}
	return f;
}

/* The items in memory, sorted, as a new run on file. */
static int spill(extsort *s, char *err, size_t errlen)
{
	if (s->nruns == EXTSORT_RUNS_MAX) {
		snprintf(err, errlen, "more than %d sorted runs",
			 EXTSORT_RUNS_MAX);
		return -1;
	}
	if (s->runs == NULL &&
	    (s->runs = calloc(EXTSORT_RUNS_MAX, sizeof(*s->runs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	run *r = &s->runs[s->nruns];
	if ((r->f = temp_file(err, errlen)) == NULL)
		return -1;
	s->nruns++;
	sort_memory(s);
	for (size_t i = 0; i < s->n; i++) {
		size_t size = sizeof(uint32_t) + s->payload_size +
			      key_len_of(s->items[i]);
		if (fwrite(s->items[i], 1, size, r->f) != size) {
			snprintf(err, errlen, "temporary file: %s",
				 strerror(errno));
			return -1;
		}
	}
	if (fflush(r->f) != 0) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		return -1;
	}
	free_memory(s);
	return 0;
}

extsort *extsort_new(size_t payload_size, size_t mem_bound)
{
	extsort *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->payload_size = payload_size;
	s->mem_bound = mem_bound;
	s->last = -1;
	return s;
}

int extsort_add(extsort *s, const char *key, const void *payload,
		char *err, size_t errlen)
{
	size_t klen = strlen(key);
	if (klen > EXTSORT_KEY_MAX) {
		snprintf(err, errlen, "key longer than %d bytes",
			 EXTSORT_KEY_MAX);
		return -1;
	}
	size_t size = sizeof(uint32_t) + s->payload_size + klen + 1;
	if (s->n > 0 && s->bytes + size + sizeof(void *) > s->mem_bound &&
	    spill(s, err, errlen) < 0)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		unsigned char **p = realloc(s->items, cap * sizeof(*p));
		if (p == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->items = p;
		s->cap = cap;
	}
	unsigned char *item = malloc(size);
	if (item == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint32_t len = (uint32_t)klen;
	memcpy(item, &len, sizeof(len));
	if (s->payload_size > 0)	/* (a payload of none may be NULL) */
		memcpy(item + sizeof(len), payload, s->payload_size);
	memcpy(item + sizeof(len) + s->payload_size, key, klen + 1);
	s->items[s->n++] = item;
	s->bytes += size + sizeof(void *);
	return 0;
}

/* The next item of run r into its buffers: 0 (r->have says whether there
 * was one), -1 with err set. */
static int run_read(const extsort *s, run *r, char *err, size_t errlen)
{
	uint32_t len;
	r->have = 0;
	size_t got = fread(&len, 1, sizeof(len), r->f);
	if (got == 0 && feof(r->f))
		return 0;
	if (got != sizeof(len) || len > EXTSORT_KEY_MAX ||
	    fread(r->payload, 1, s->payload_size, r->f) != s->payload_size ||
	    fread(r->key, 1, len, r->f) != len) {
		snprintf(err, errlen, "temporary file: cannot read back a run");
		return -1;
	}
	r->key[len] = '\0';
	r->have = 1;
	return 0;
}

int extsort_finish(extsort *s, char *err, size_t errlen)
{
	s->finished = 1;
	if (s->nruns == 0) {
		sort_memory(s);
		return 0;
	}
	if (s->n > 0 && spill(s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < s->nruns; i++) {
		run *r = &s->runs[i];
		r->key = malloc(EXTSORT_KEY_MAX + 1);
		r->payload = malloc(s->payload_size > 0 ? s->payload_size : 1);
		if (r->key == NULL || r->payload == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (fseek(r->f, 0, SEEK_SET) != 0) {
			snprintf(err, errlen, "temporary file: %s",
				 strerror(errno));
			return -1;
		}
		if (run_read(s, r, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int extsort_next(extsort *s, const char **key, const void **payload,
		 char *err, size_t errlen)
{
	if (!s->finished) {
		snprintf(err, errlen, "extsort_next before extsort_finish");
		return -1;
	}
	if (s->nruns == 0) {
		if (s->next == s->n)
			return 0;
		const unsigned char *item = s->items[s->next++];
		*payload = item + sizeof(uint32_t);
		*key = key_of(s, item);
		return 1;
	}
	/* The run given last moves on only now: its buffers were the
	   caller's until this call. */
	if (s->last >= 0 && run_read(s, &s->runs[s->last], err, errlen) < 0)
		return -1;
	ptrdiff_t best = -1;
	for (size_t i = 0; i < s->nruns; i++)
		if (s->runs[i].have &&
		    (best < 0 || key_cmp(s->runs[i].key,
					 s->runs[best].key) < 0))
			best = (ptrdiff_t)i;
	s->last = best;
	if (best < 0)
		return 0;
	*key = s->runs[best].key;
	*payload = s->runs[best].payload;
	return 1;
}

size_t extsort_runs(const extsort *s)
{
	return s->nruns;
}

void extsort_free(extsort *s)
{
	if (s == NULL)
		return;
	free_memory(s);
	free(s->items);
	for (size_t i = 0; i < s->nruns; i++) {
		if (s->runs[i].f != NULL)
			fclose(s->runs[i].f);
		free(s->runs[i].key);
		free(s->runs[i].payload);
	}
	free(s->runs);
	free(s);
}
