/* bench_classify.c - classification throughput on one core.
 *
 * Loads every file named on the command line (or listed, one per line, in
 * the file given with -l) into memory, then classifies the whole set
 * repeatedly for about the given number of seconds, reusing one arena, and
 * prints messages per second, MB per second and the arena's peak use, so
 * that memory can be seen not to grow with the number of messages.
 *
 *   bench_classify [-s SECONDS] [-r ROUNDS] [-l LIST] [FILE...]
 *
 * -r runs exactly ROUNDS rounds instead, whatever the time: a fixed amount
 * of work, for counting instructions (valgrind --tool=callgrind), which a
 * busy machine does not disturb as it does the clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mail/arena.h"
#include "classify/classify.h"

typedef struct blob {
	char *data;
	size_t len;
} blob;

static int load(const char *path, blob *b)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf != NULL && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *g = realloc(buf, cap * 2);
			if (g == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = g;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL)
		return -1;
	b->data = buf;
	b->len = n;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = 5;
	const char *list = NULL;
	unsigned long fixed_rounds = 0;
	int first = 1;
	while (first < argc && argv[first][0] == '-') {
		if (strcmp(argv[first], "-s") == 0 && first + 1 < argc)
			seconds = atof(argv[first + 1]);
		else if (strcmp(argv[first], "-r") == 0 && first + 1 < argc)
			fixed_rounds = strtoul(argv[first + 1], NULL, 10);
		else if (strcmp(argv[first], "-l") == 0 && first + 1 < argc)
			list = argv[first + 1];
		else {
			fprintf(stderr, "usage: bench_classify [-s SECONDS] [-r ROUNDS] [-l LIST] [FILE...]\n");
			return 2;
		}
		first += 2;
	}
	size_t n = 0, cap = 1024;
	blob *set = malloc(cap * sizeof(*set));
	size_t bytes = 0;
	char line[4096];
	FILE *lf = list != NULL ? fopen(list, "r") : NULL;
	if (list != NULL && lf == NULL) {
		fprintf(stderr, "bench: %s: %s\n", list, strerror(errno));
		return 2;
	}
	for (int i = first;; i++) {
		const char *path;
		if (lf != NULL) {
			if (fgets(line, sizeof(line), lf) == NULL)
				break;
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0' || line[0] == '#')
				continue;
			path = line;
		} else {
			if (i >= argc)
				break;
			path = argv[i];
		}
		if (n == cap) {
			cap *= 2;
			set = realloc(set, cap * sizeof(*set));
		}
		if (set == NULL || load(path, &set[n]) < 0)
			return 2;
		bytes += set[n].len;
		n++;
	}
	if (lf != NULL)
		fclose(lf);
	if (n == 0) {
		fprintf(stderr, "bench: no input\n");
		return 2;
	}
	rebound_arena *arena = rebound_arena_new(0);
	size_t peak = 0;
	unsigned long rounds = 0, bounces = 0;
	double start = now(), elapsed;
	double cpu_start = cpu_now();
	do {
		for (size_t i = 0; i < n; i++) {
			rebound_arena_reset(arena);
			rebound_result *res;
			if (rebound_classify(arena, set[i].data, set[i].len, NULL,
					     &res) == 0 &&
			    res->cls == REBOUND_CLASS_BOUNCE)
				bounces++;
			size_t used = rebound_arena_used(arena);
			if (used > peak)
				peak = used;
		}
		rounds++;
		elapsed = now() - start;
	} while (fixed_rounds > 0 ? rounds < fixed_rounds : elapsed < seconds);
	double msgs = (double)rounds * (double)n;
	double cpu = cpu_now() - cpu_start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("messages %zu (%.2f MB), rounds %lu, %.2f s\n", n,
	       (double)bytes / 1e6, rounds, elapsed);
	printf("throughput %.0f messages/s, %.1f MB/s\n", msgs / elapsed,
	       (double)bytes * (double)rounds / 1e6 / elapsed);
	/* On a shared machine the wall clock counts other processes' turns
	   too; the process's own CPU time does not. */
	printf("per CPU second: %.0f messages/s, %.1f MB/s (%.2f s CPU)\n",
	       msgs / cpu, (double)bytes * (double)rounds / 1e6 / cpu, cpu);
	printf("bounces per round %lu, arena peak %zu bytes, max RSS %ld KiB\n",
	       bounces / rounds, peak, ru.ru_maxrss);
	rebound_arena_free(arena);
	rebound_classify_release();
	for (size_t i = 0; i < n; i++)
		free(set[i].data);
	free(set);
	return 0;
}
