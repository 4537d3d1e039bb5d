/* config.c - the rebound configuration: compiled-in defaults, policy
 * presets, one `key = value` setting at a time, and the file reader.
 *
 * The file is small and written by an administrator, but it is still read
 * defensively: bounded line length, every number range-checked, and an
 * error names the file and line.  A bad line (a typo) is skipped and the
 * rest of the file still applies, so one slip does not silently drop
 * every setting after it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebound-config.h"
#include "ledger-record.h"
#include "mail/error.h"
#include "mail/strutil.h"

/* One preset per row.  The numbers model what each tool is documented to
 * do, as far as rebound's states can express it (doc/rebound.conf.example
 * explains each). */
typedef struct preset {
	const char *name;
	rebound_policy p;
} preset;

#define POLICY(name, soft, block, suspect, pending, gdom, gdays, csends, \
	       crate, cpause, retention, hard, sdays, bcount, bmin) \
	{ name, { name, soft, block, suspect, pending, gdom, gdays, csends, \
		  crate, cpause, retention, hard, sdays, bcount, bmin } }

static const preset presets[] = {
	/*      name       soft blk susp pend gdom gdays sends rate  pause keep hard sdays burst min */
	POLICY("default",   7,  24,  24,  72,  3,  60,  100, 0.05, 24, 180, 1, 30, 5, 30),
	/* Zoho Campaigns: repeated soft bounces become a hard bounce. */
	POLICY("zoho",      5,  24,  24,  72,  3,  60,  100, 0.05, 24, 180, 1, 30, 5, 30),
	/* Marketo: category 1 suspends for 24 h, category 2 is "email
	   invalid", soft bounces change nothing, delivery is retried for
	   about a day before a message is given up. */
	POLICY("marketo",   0,  24,  24,  24,  3,  60,  100, 0.05, 24, 180, 1, 30, 5, 30),
	/* HubSpot: pending for 72 h, then soft; three hard bounces within
	   60 days make a global bounce; soft bounces keep the contact. */
	POLICY("hubspot",   0,  24,  24,  72,  3,  60,  100, 0.05, 24, 180, 1, 30, 5, 30),
	/* Mailman: a hard bounce scores 1.0, a soft one 0.5, and the
	   member is disabled at a score of 5.0. */
	POLICY("mailman",  10,  24,  24,  72,  0,  60,    0, 0.05, 24, 180, 5, 30, 5, 30),
	/* Strict: for senders whose reputation is already at risk. */
	POLICY("strict",    3,  72,  72,  48,  2,  90,   50, 0.02, 48, 365, 1, 60, 5, 30),
};

#undef POLICY

int rebound_policy_preset(rebound_policy *p, const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(*presets); i++)
		if (rebound_ascii_ieq(name, presets[i].name)) {
			*p = presets[i].p;
			return 0;
		}
	return -1;
}

/* A message a server holds longer than this risks the client's timeout
 * and a second copy. */
#define DEFAULT_TIME_BUDGET_MS 2000u

void rebound_config_defaults(rebound_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->db_path, sizeof(c->db_path), "%s", REBOUND_DB_FILE);
	snprintf(c->campaign_header, sizeof(c->campaign_header), "%s",
		 "X-Campaign-ID");
	snprintf(c->verp_format, sizeof(c->verp_format), "%s",
		 "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN");
	c->time_budget_ms = DEFAULT_TIME_BUDGET_MS;
	c->batch_ms = REBOUND_BATCH_MS_DEFAULT;
	rebound_policy_preset(&c->policy, "default");
}

unsigned rebound_config_time_budget_ms(const rebound_config *c)
{
	return c->time_budget_ms ? c->time_budget_ms : DEFAULT_TIME_BUDGET_MS;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
	if (!rebound_is_digit(v[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (rebound_ascii_ieq(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (rebound_ascii_ieq(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* "0.05", "5%" or "5 %": a rate between 0 and 1. */
static int parse_rate(const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno != 0 || end == v)
		return -1;
	while (rebound_is_wsp(*end))
		end++;
	if (*end == '%') {
		d /= 100.0;
		end++;
	}
	if (*end != '\0' || !(d >= 0.0 && d <= 1.0))
		return -1;
	*out = d;
	return 0;
}

static int copy_str(char *dst, size_t size, const char *v)
{
	size_t n = strlen(v);
	if (n >= size)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* The numeric policy settings, by name. */
typedef struct uint_key {
	const char *name;
	size_t offset;
	unsigned max;
} uint_key;

#define UK(field, max) { #field, offsetof(rebound_policy, field), max }
static const uint_key uint_keys[] = {
	UK(soft_limit, 100000),
	UK(hard_limit, 100000),
	UK(block_suspend_hours, 24 * 3650),
	UK(suspect_suspend_hours, 24 * 3650),
	UK(pending_expire_hours, 24 * 3650),
	UK(global_domains, 1000),
	UK(global_window_days, 3650),
	UK(campaign_min_sends, 100000000),
	UK(campaign_pause_hours, 24 * 3650),
	UK(event_retention_days, 36500),
	UK(suspect_delivered_days, 3650),
	UK(suspect_burst_count, REBOUND_BURST_HITS),
	UK(suspect_burst_minutes, 24 * 60),
};
#undef UK

int rebound_config_set(rebound_config *c, const char *key, const char *value,
		       char *err, size_t errlen)
{
	if (strcmp(key, "policy") == 0) {
		if (rebound_policy_preset(&c->policy, value) < 0)
			return rebound_error(
				err, errlen,
				"unknown policy '%s' (default, zoho, "
				"marketo, hubspot, mailman, strict)",
				value);
		return 0;
	}
	if (strcmp(key, "db_path") == 0 || strcmp(key, "db") == 0) {
		if (value[0] == '\0' || copy_str(c->db_path, sizeof(c->db_path),
						 value) < 0)
			return rebound_error(err, errlen,
					     "%s: empty or too long", key);
		return 0;
	}
	if (strcmp(key, "campaign_header") == 0) {
		if (value[0] == '\0' ||
		    copy_str(c->campaign_header, sizeof(c->campaign_header),
			     value) < 0 ||
		    strchr(value, ':') != NULL || strchr(value, ' ') != NULL)
			return rebound_error(err, errlen,
					     "%s: not a header name: '%s'", key,
					     value);
		return 0;
	}
	if (strcmp(key, "verp_format") == 0) {
		if (copy_str(c->verp_format, sizeof(c->verp_format), value) < 0 ||
		    strstr(value, "RCPTLOCAL") == NULL ||
		    strstr(value, "RCPTDOMAIN") == NULL)
			return rebound_error(
				err, errlen,
				"%s: needs RCPTLOCAL and RCPTDOMAIN: '%s'", key,
				value);
		return 0;
	}
	if (strcmp(key, "verp_secret_file") == 0) {
		if (copy_str(c->verp_secret_file, sizeof(c->verp_secret_file),
			     value) < 0)
			return rebound_error(err, errlen, "%s: too long", key);
		return 0;
	}
	if (strcmp(key, "require_signed_verp") == 0 ||
	    strcmp(key, "discard_bounces") == 0) {
		bool *b = key[0] == 'r' ? &c->require_signed_verp :
					  &c->discard_bounces;
		if (parse_bool(value, b) < 0)
			return rebound_error(err, errlen,
					     "%s: expected yes or no, not '%s'",
					     key, value);
		return 0;
	}
	if (strcmp(key, "db_hash_size") == 0) {
		if (parse_uint(value, REBOUND_LEDGER_HASH_SIZE_MAX,
			       &c->db_hash_size) < 0 || c->db_hash_size == 0)
			return rebound_error(
				err, errlen,
				"%s: expected a number of hash chains from 1 "
				"to %u, not '%s'", key,
				REBOUND_LEDGER_HASH_SIZE_MAX, value);
		return 0;
	}
	if (strcmp(key, "cluster_db") == 0 ||
	    strcmp(key, "cluster_node") == 0) {
		bool db = key[8] == 'd';
		char *dst = db ? c->cluster_db : c->cluster_node;
		size_t size = db ? sizeof(c->cluster_db) :
				   sizeof(c->cluster_node);
		/* Both go to the ctdb tool and into keys: a plain alphabet. */
		bool plain = value[0] != '\0';
		for (const char *p = value; *p != '\0'; p++)
			if (!rebound_is_digit(*p) &&
			    !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') &&
			    *p != '.' && *p != '-' && *p != '_')
				plain = false;
		if (!plain || copy_str(dst, size, value) < 0)
			return rebound_error(
				err, errlen,
				"%s: letters, digits, '.', '-' and '_' only, "
				"at most %zu: '%s'",
				key, size - 1, value);
		return 0;
	}
	if (strcmp(key, "cluster_socket") == 0) {
		if (copy_str(c->cluster_socket, sizeof(c->cluster_socket),
			     value) < 0)
			return rebound_error(err, errlen, "%s: too long", key);
		return 0;
	}
	if (strcmp(key, "time_budget_ms") == 0) {
		if (parse_uint(value, 600000, &c->time_budget_ms) < 0)
			return rebound_error(
				err, errlen,
				"%s: expected milliseconds, not '%s'", key,
				value);
		return 0;
	}
	if (strcmp(key, "batch_ms") == 0) {
		if (parse_uint(value, REBOUND_BATCH_MS_MAX, &c->batch_ms) < 0)
			return rebound_error(
				err, errlen,
				"%s: expected milliseconds from 0 to %u, not "
				"'%s'", key, REBOUND_BATCH_MS_MAX, value);
		return 0;
	}
	if (strcmp(key, "campaign_max_rate") == 0) {
		if (parse_rate(value, &c->policy.campaign_max_rate) < 0)
			return rebound_error(
				err, errlen,
				"%s: expected a rate like 0.05 or 5%%, "
				"not '%s'",
				key, value);
		return 0;
	}
	for (size_t i = 0; i < sizeof(uint_keys) / sizeof(*uint_keys); i++) {
		if (strcmp(key, uint_keys[i].name) != 0)
			continue;
		unsigned *slot = (unsigned *)(void *)((char *)&c->policy +
						      uint_keys[i].offset);
		if (parse_uint(value, uint_keys[i].max, slot) < 0)
			return rebound_error(
				err, errlen,
				"%s: expected a whole number in range, "
				"not '%s'",
				key, value);
		return 0;
	}
	return rebound_error(err, errlen, "unknown setting '%s'", key);
}

int rebound_policy_write(const rebound_policy *p, char *out, size_t size)
{
	size_t used = 0;
	int n = snprintf(out, size, "policy=%s\ncampaign_max_rate=%.6f\n",
			 p->preset, p->campaign_max_rate);
	if (n < 0 || (size_t)n >= size)
		return -1;
	used = (size_t)n;
	for (size_t i = 0; i < sizeof(uint_keys) / sizeof(*uint_keys); i++) {
		unsigned v;
		memcpy(&v, (const char *)p + uint_keys[i].offset, sizeof(v));
		n = snprintf(out + used, size - used, "%s=%u\n",
			     uint_keys[i].name, v);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

static bool is_policy_key(const char *key)
{
	if (strcmp(key, "policy") == 0 || strcmp(key, "campaign_max_rate") == 0)
		return true;
	for (size_t i = 0; i < sizeof(uint_keys) / sizeof(*uint_keys); i++)
		if (strcmp(key, uint_keys[i].name) == 0)
			return true;
	return false;
}

int rebound_policy_read(rebound_policy *p, const char *text, size_t len,
			char *err, size_t errlen)
{
	rebound_config c;
	rebound_config_defaults(&c);
	c.policy = *p;
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - at;
		char line[128];
		if (n >= sizeof(line))
			return rebound_error(err, errlen, "policy: line too long");
		memcpy(line, text + at, n);
		line[n] = '\0';
		at = end + 1;
		if (n == 0)
			continue;
		char *eq = strchr(line, '=');
		if (strlen(line) != n || eq == NULL)
			return rebound_error(err, errlen,
					     "policy: not key=value");
		*eq = '\0';
		if (!is_policy_key(line))
			return rebound_error(err, errlen,
					     "policy: not a policy setting");
		if (rebound_config_set(&c, line, eq + 1, err, errlen) < 0)
			return -1;
	}
	*p = c.policy;
	return 0;
}

/* Cut s at a comment: '#' at the start or after white space. */
static void strip_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if (*p == '#' && (p == s || rebound_is_wsp(p[-1]))) {
			*p = '\0';
			return;
		}
}

static char *trim(char *s)
{
	while (rebound_is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && rebound_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

#define CONFIG_LINE_MAX 2048

/* Remember the first bad line's problem; count the others. */
static void note_bad_line(char *err, size_t errlen, unsigned *bad,
			  const char *path, unsigned lineno, const char *why)
{
	if ((*bad)++ == 0)
		rebound_error(err, errlen, "%s:%u: %s", path, lineno, why);
}

int rebound_config_load(rebound_config *c, const char *path, bool missing_ok,
			char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		return rebound_error(err, errlen, "%s: %s", path,
				     strerror(errno));
	}
	char line[CONFIG_LINE_MAX + 2];
	unsigned lineno = 0, bad = 0;
	bool in_long_line = false;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		bool complete = n > 0 && line[n - 1] == '\n';
		/* The rest of a line already found too long. */
		if (in_long_line) {
			in_long_line = !complete && !feof(f);
			continue;
		}
		lineno++;
		if (!complete && !feof(f)) {
			note_bad_line(err, errlen, &bad, path, lineno,
				      "line too long");
			in_long_line = true;
			continue;
		}
		strip_comment(line);
		char *s = trim(line);
		if (*s == '\0')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			note_bad_line(err, errlen, &bad, path, lineno,
				      "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		size_t vn = strlen(value);
		if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
			value[vn - 1] = '\0';
			value++;
		}
		char why[256];
		if (rebound_config_set(c, key, value, why, sizeof(why)) < 0)
			note_bad_line(err, errlen, &bad, path, lineno, why);
	}
	int rc = 0;
	if (ferror(f)) {
		rc = rebound_error(err, errlen, "%s: read error", path);
	} else if (bad > 0) {
		/* "PATH:LINE: problem", and how many more there are. */
		size_t len = strlen(err);
		if (bad > 1 && len < errlen)
			snprintf(err + len, errlen - len,
				 " (and %u more bad line%s)", bad - 1,
				 bad > 2 ? "s" : "");
		rc = REBOUND_CONFIG_BAD_LINES;
	}
	fclose(f);
	return rc;
}
