/* log.c - the Exim module's log lines and clocks.
 *
 * Every line the module writes goes through rbx_log(): one main-log line
 * (Exim prefixes the message id), "rebound: " first so that operators can
 * grep for it, control characters replaced because Exim's log must not
 * receive newlines.
 */
#include "module.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void rbx_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	log_write(0, LOG_MAIN, "rebound: %s", line);
}

void rbx_clean(char *out, size_t n, const char *s)
{
	size_t i = 0;

	if (n == 0)
		return;
	if (s == NULL)
		s = "-";
	for (; *s && i + 1 < n; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[i] = '\0';
}

int64_t rbx_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rbx_now(void)
{
	return (int64_t)time(NULL);
}
