/* cmd_verp.c - `rebound verp sign|verify`: signed VERP return paths for
 * senders other than Exim, and a check of the addresses bounces came
 * back to (see common/verp.h and doc/verp.md). */
#define _GNU_SOURCE		/* timegm */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "verp.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound verp sign --secret-file FILE [--format FMT] "
		"RETURN_PATH RECIPIENT...\n"
		"       rebound verp verify --secret-file FILE [--format FMT] "
		"[--max-age DAYS] ADDRESS...\n\n"
		"sign:   print the signed VERP return path for mail from "
		"RETURN_PATH\n"
		"        (bounces@sender.example) to each RECIPIENT\n"
		"verify: check the addresses bounces came back to; exit 0 when "
		"every one\n"
		"        carries a valid signature, 1 otherwise\n\n"
		"  --secret-file FILE  the shared secret (16 to 256 bytes, mode "
		"0600 or 0640)\n"
		"  --format FMT        VERP layout (default "
		"LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN)\n"
		"  --max-age DAYS      older signatures are expired (default "
		"%d)\n"
		"The time is now, or the global --now (seconds since the epoch, "
		"or\nYYYY-MM-DD[THH:MM:SS] in UTC).\n",
		REBOUND_VERP_MAX_AGE / 86400);
}

/* --now: seconds since the epoch, or an ISO 8601 date (UTC). */
static bool parse_now(const char *s, int64_t *t)
{
	char *end;
	if (s == NULL) {
		*t = (int64_t)time(NULL);
		return true;
	}
	long long v = strtoll(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0) {
		*t = v;
		return true;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && (*end == 'T' || *end == ' '))
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0')
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}

static void print_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		fputs(buf, stdout);
	else
		printf("%lld", (long long)t);
}

int cmd_verp(const global_opts *g, int argc, char **argv)
{
	const char *secret_file = NULL, *format = NULL;
	long max_age_days = REBOUND_VERP_MAX_AGE / 86400;
	int64_t now;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	bool sign = strcmp(sub, "sign") == 0;
	if (!sign && strcmp(sub, "verify") != 0) {
		fprintf(stderr, "rebound verp: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return 2;
	}
	int i = 2;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "rebound verp: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(a, "--secret-file") == 0)
			secret_file = argv[++i];
		else if (strcmp(a, "--format") == 0)
			format = argv[++i];
		else if (strcmp(a, "--max-age") == 0 && !sign) {
			char *end;
			max_age_days = strtol(argv[++i], &end, 10);
			if (*end != '\0' || max_age_days <= 0 ||
			    max_age_days > 36500) {
				fprintf(stderr, "rebound verp: --max-age wants "
						"days (1 to 36500)\n");
				return 2;
			}
		} else {
			fprintf(stderr, "rebound verp: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!parse_now(g->now, &now)) {
		fprintf(stderr, "rebound: --now '%s' is neither seconds nor "
				"YYYY-MM-DD[THH:MM:SS]\n", g->now);
		return 2;
	}
	if (argc - i < (sign ? 2 : 1)) {
		usage(stderr);
		return 2;
	}
	if (secret_file == NULL) {
		fprintf(stderr, "rebound verp: no secret (--secret-file FILE)\n");
		return 2;
	}
	rebound_verp_key key;
	char err[1200];
	if (rebound_verp_key_load(&key, secret_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "rebound verp: %s\n", err);
		return 2;
	}

	int status = 0;
	if (sign) {
		const char *rp = argv[i++];
		for (; i < argc; i++) {
			char out[1024];
			if (rebound_verp_sign(&key, format, rp, argv[i], now, out,
					      sizeof(out), err,
					      sizeof(err)) != 0) {
				fprintf(stderr, "rebound verp: %s\n", err);
				status = 2;
				continue;
			}
			puts(out);
		}
	} else {
		for (; i < argc; i++) {
			rebound_verp_check c;
			rebound_verp_verify(&key, format, argv[i], now,
					    (int64_t)max_age_days * 86400, &c);
			printf("%s\t%s\t%s\t", argv[i],
			       rebound_verp_status_name(c.status),
			       c.recipient[0] ? c.recipient : "-");
			if (c.signed_at > 0)
				print_time(c.signed_at);
			else
				fputs("-", stdout);
			putchar('\n');
			if (c.status != REBOUND_VERP_VALID && status == 0)
				status = 1;
		}
	}
	rebound_verp_key_clear(&key);
	if (fflush(stdout) != 0) {
		perror("rebound verp: stdout");
		return 2;
	}
	return status;
}
