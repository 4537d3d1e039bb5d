/* bench_message.c - message model throughput: parse + text of all text parts.
 *
 * Not run by "make check".  Build by hand, e.g.
 *   gcc -std=gnu11 -O2 -I. -Icommon common/mail/arena.c common/mail/message.c \
 *       common/mail/decode.c common/mail/header-decode.c common/mail/charset.c \
 *       common/mail/html.c common/mail/strutil.c \
 *       tests/bench_message.c -o /tmp/bench_message
 *   /tmp/bench_message [-s SECONDS] FILE...
 * Loads every file into memory, then parses them in a loop with one arena
 * (reset between messages) and prints messages per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/arena.h"
#include "mail/header-decode.h"
#include "mail/message.h"

struct file {
	char *data;
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = 3.0;
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		seconds = atof(argv[2]);
		first = 3;
	}
	size_t n = 0, total = 0;
	struct file *files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		return 1;
	for (int i = first; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL)
			continue;
		size_t cap = 1 << 16, len = 0;
		char *buf = malloc(cap);
		size_t r;
		while (buf != NULL && (r = fread(buf + len, 1, cap - len, f)) > 0) {
			len += r;
			if (len == cap) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
		}
		fclose(f);
		if (buf == NULL)
			continue;
		files[n].data = buf;
		files[n].len = len;
		total += len;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "no files\n");
		return 1;
	}
	rebound_arena *a = rebound_arena_new(0);
	size_t msgs = 0, text_bytes = 0, parts = 0;
	double t0 = now(), t;
	do {
		for (size_t i = 0; i < n; i++) {
			rebound_message *m;
			if (rebound_message_parse(a, files[i].data,
						  files[i].len, NULL, &m) != 0)
				continue;
			for (rebound_part *p = m->root; p != NULL;
			     p = rebound_part_next(p)) {
				parts++;
				if (strncmp(p->type, "text/", 5) != 0 &&
				    strcmp(p->type, "message/delivery-status") != 0)
					continue;
				size_t tl;
				rebound_part_text(m, p, &tl);
				text_bytes += tl;
			}
			const char *s = rebound_header_get(m->root->headers,
							   "Subject");
			if (s != NULL)
				rebound_header_decode(a, s, strlen(s));
			rebound_arena_reset(a);
			msgs++;
		}
		t = now() - t0;
	} while (t < seconds);
	printf("%zu files, %.1f KB average; %zu messages in %.2f s: "
	       "%.0f msgs/s, %.1f MB/s (%zu parts, %zu text bytes)\n",
	       n, (double)total / (double)n / 1024.0, msgs, t,
	       (double)msgs / t, (double)msgs * ((double)total / (double)n) /
	       t / 1e6, parts, text_bytes);
	rebound_arena_free(a);
	for (size_t i = 0; i < n; i++)
		free(files[i].data);
	free(files);
	return 0;
}
