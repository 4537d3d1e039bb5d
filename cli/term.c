/* term.c - colour, progress and table cells for the CLI's human output. */
#include "term.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail.h"

static int colour_fd = -1;		/* the stream decided last */
static bool colour_on;

bool term_use_colour(FILE *f)
{
	int fd = fileno(f);
	if (fd == colour_fd)
		return colour_on;
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	colour_fd = fd;
	colour_on = fd >= 0 && isatty(fd) && (nc == NULL || nc[0] == '\0') &&
		    !(term != NULL && strcmp(term, "dumb") == 0);
	return colour_on;
}

term_colour term_state_colour(const char *state)
{
	if (strncmp(state, "suppressed", 10) == 0 ||
	    strncmp(state, "global", 6) == 0 ||
	    strncmp(state, "cancelled", 9) == 0)
		return TERM_RED;
	if (strncmp(state, "suspended", 9) == 0 ||
	    strncmp(state, "soft", 4) == 0 ||
	    strncmp(state, "pending", 7) == 0 ||
	    strncmp(state, "paused", 6) == 0)
		return TERM_YELLOW;
	if (strncmp(state, "active", 6) == 0 ||
	    strncmp(state, "running", 7) == 0)
		return TERM_GREEN;
	return TERM_PLAIN;
}

/* The ellipsis: one column either way; "…" only where the locale says
   UTF-8, since a Latin-1 terminal would show it as three characters. */
const char *term_ellipsis(void)
{
	static const char *e;
	if (e == NULL) {
		const char *v = getenv("LC_ALL");
		if (v == NULL || v[0] == '\0')
			v = getenv("LC_CTYPE");
		if (v == NULL || v[0] == '\0')
			v = getenv("LANG");
		char low[64] = "";
		for (size_t i = 0; v != NULL && v[i] != '\0' && i + 1 < sizeof(low);
		     i++) {
			char c = v[i];
			low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			low[i + 1] = '\0';
		}
		bool utf8 = strstr(low, "utf-8") != NULL ||
			    strstr(low, "utf8") != NULL;
		e = utf8 ? "\xe2\x80\xa6" : "~";
	}
	return e;
}

/* Columns of s: one per UTF-8 sequence start (wide characters are rare
   in addresses; counting them as one keeps this simple). */
static size_t columns(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Byte offset after the first `cols` columns of s. */
static size_t prefix_bytes(const char *s, size_t len, size_t cols)
{
	size_t i = 0, n = 0;
	while (i < len) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == cols)
				break;
			n++;
		}
		i++;
	}
	return i;
}

void term_text(FILE *out, const char *s)
{
	if (s == NULL)
		return;
	size_t len = strlen(s);
	if (rebound_printable_already(s, len)) {
		fwrite(s, 1, len, out);
		return;
	}
	size_t need = rebound_printable(s, len, NULL, 0);
	char *e = malloc(need + 1);
	if (e == NULL)
		return;
	rebound_printable(s, len, e, need + 1);
	fwrite(e, 1, need, out);
	free(e);
}

void term_cell(FILE *out, const char *raw, int width, bool keep_end,
	       term_colour colour)
{
	static const char *const codes[] = { "", "\033[31m", "\033[33m",
					     "\033[32m" };
	if (raw == NULL)
		raw = "";
	/* Cut and padded as it is shown: escaped (mail/printable.h). */
	size_t rawlen = strlen(raw);
	char *esc = NULL;
	const char *s = raw;
	if (!rebound_printable_already(raw, rawlen)) {
		size_t need = rebound_printable(raw, rawlen, NULL, 0);
		esc = malloc(need + 1);
		if (esc == NULL)
			return;
		rebound_printable(raw, rawlen, esc, need + 1);
		s = esc;
	}
	size_t len = strlen(s), cols = columns(s, len);
	/* width 0: the last column, neither cut nor padded */
	size_t w = width > 0 ? (size_t)width : cols > 0 ? cols : 1;
	bool paint = colour != TERM_PLAIN && term_use_colour(out);
	if (paint)
		fputs(codes[colour], out);
	if (cols <= w) {
		fwrite(s, 1, len, out);
	} else if (keep_end) {
		size_t skip = prefix_bytes(s, len, cols - (w - 1));
		fputs(term_ellipsis(), out);
		fwrite(s + skip, 1, len - skip, out);
		cols = w;
	} else {
		fwrite(s, 1, prefix_bytes(s, len, w - 1), out);
		fputs(term_ellipsis(), out);
		cols = w;
	}
	if (paint)
		fputs("\033[0m", out);
	for (; cols < w; cols++)
		putc(' ', out);
	free(esc);
}

/* --- progress ----------------------------------------------------------- */

static bool progress_on, progress_shown;
static const char *progress_cmd;
static double progress_t0, progress_last;

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(const char *cmd)
{
	progress_on = isatty(STDERR_FILENO) != 0;
	progress_shown = false;
	progress_cmd = cmd;
	progress_t0 = progress_last = seconds();
}

void progress_tick(unsigned long messages, const char *label)
{
	if (!progress_on)
		return;
	double now = seconds();
	/* A tenth of a second between redraws, and nothing for the first
	   half second: short runs show no progress at all. */
	if (now - progress_last < 0.1 || now - progress_t0 < 0.5)
		return;
	progress_last = now;
	fflush(stdout);
	double rate = (double)messages / (now - progress_t0);
	char head[96];
	int hl = snprintf(head, sizeof(head), "%s: %lu messages (%.0f/s) ",
			  progress_cmd, messages, rate);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		hl = (int)strlen(head);
	fprintf(stderr, "\r\033[K%s", head);
	/* What is being read now, cut so that the line stays on one row of
	   80 columns whatever the counts grow to ("\r" cannot clear a
	   wrapped line). */
	term_cell(stderr, label, hl < 69 ? 79 - hl : 10, true,
		  TERM_PLAIN);
	fflush(stderr);
	progress_shown = true;
}

void progress_clear(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = false;
}

void progress_end(void)
{
	progress_clear();
	progress_on = false;
}
