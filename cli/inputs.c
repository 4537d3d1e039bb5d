/* inputs.c - the messages named on a command line. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INPUT_BYTES ((size_t)1 << 30)	/* 1 GiB per file */
#define MAX_DEPTH 8

static void report(const char *path, const char *what)
{
	fprintf(stderr, "rebound: %s: %s\n", path, what);
}

/* Read a whole descriptor into a malloc()ed buffer. */
static int slurp(int fd, char **out, size_t *len, const char **err)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		*err = strerror(ENOMEM);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_INPUT_BYTES) {
				free(buf);
				*err = "larger than 1 GiB";
				return -1;
			}
			char *g = realloc(buf, cap * 2);
			if (g == NULL) {
				free(buf);
				*err = strerror(ENOMEM);
				return -1;
			}
			buf = g;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = strerror(errno);
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Is this line an mbox separator ("From " + something)? */
static int is_from_line(const char *p, const char *end)
{
	return end - p > 5 && memcmp(p, "From ", 5) == 0;
}

/* Where the next mbox message starts after p: a "From " line that follows
 * a blank line; end when there is none. */
static const char *next_message(const char *p, const char *end)
{
	for (const char *q = p; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		if (nl == NULL)
			break;
		const char *line = nl + 1;
		int blank = (nl == q) || (nl == q + 1 && *q == '\r');
		if (blank && line < end && is_from_line(line, end))
			return line;
		q = line;
	}
	return end;
}

/* Hand over the messages of a buffer: one, or several for an mbox. */
static void split_messages(const char *path, const char *buf, size_t len,
			   input_fn fn, void *ctx)
{
	const char *end = buf + len;
	if (!is_from_line(buf, end) || next_message(buf, end) == end) {
		fn(path, buf, len, ctx);	/* a message, or an mbox of one */
		return;
	}
	size_t plen = strlen(path) + 24;
	char *label = malloc(plen);
	if (label == NULL) {
		report(path, strerror(ENOMEM));
		return;
	}
	size_t count = 0;
	for (const char *p = buf; p < end;) {
		const char *stop = next_message(p, end);
		count++;
		snprintf(label, plen, "%s#%zu", path, count);
		fn(label, p, (size_t)(stop - p), ctx);
		p = stop;
	}
	free(label);
}

static int walk_file(const char *path, int fd, input_fn fn, void *ctx)
{
	char *buf;
	size_t len;
	const char *err;
	if (slurp(fd, &buf, &len, &err) < 0) {
		report(path, err);
		return 1;
	}
	if (len == 0) {
		report(path, "empty file");
		free(buf);
		return 1;
	}
	split_messages(path, buf, len, fn, ctx);
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *path, input_fn fn, void *ctx, int depth);

static int walk_dir(const char *path, input_fn fn, void *ctx, int depth)
{
	if (depth > MAX_DEPTH) {
		report(path, "directories nested too deep");
		return 1;
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		report(path, strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int errors = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;	/* ., .., and Maildir's hidden files */
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **g = realloc(names, cap * sizeof(*g));
			if (g == NULL) {
				errors++;
				break;
			}
			names = g;
		}
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (names[n] == NULL) {
			errors++;
			break;
		}
		snprintf(names[n], len, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		/* In a Maildir only cur/ and new/ hold messages. */
		const char *base = strrchr(names[i], '/') + 1;
		if (strcmp(base, "tmp") == 0) {
			free(names[i]);
			continue;
		}
		errors += walk(names[i], fn, ctx, depth + 1);
		free(names[i]);
	}
	free(names);
	return errors;
}

static int walk(const char *path, input_fn fn, void *ctx, int depth)
{
	if (strcmp(path, "-") == 0)
		return walk_file("-", STDIN_FILENO, fn, ctx);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report(path, strerror(errno));
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		report(path, strerror(errno));
		close(fd);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return walk_dir(path, fn, ctx, depth);
	}
	if (!S_ISREG(st.st_mode)) {
		report(path, "not a regular file");
		close(fd);
		return 1;
	}
	int errors = walk_file(path, fd, fn, ctx);
	close(fd);
	return errors;
}

int input_walk(const char *path, input_fn fn, void *ctx)
{
	return walk(path, fn, ctx, 0);
}
