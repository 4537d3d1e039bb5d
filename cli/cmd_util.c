/* cmd_util.c - configuration, ledger and time for the ledger commands,
 * the recipient filters of list and export, and the one way a recipient
 * is printed. */
#include "cmd_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "rebound-config.h"
#include "term.h"

bool cli_is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts,
	      size_t nopts)
{
	int nops = 0;
	bool options = true;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!options || a[0] != '-' || a[1] == '\0') {
			argv[1 + nops++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (cli_is_help(a))
			return CLI_HELP;
		const cli_opt *o = NULL;
		for (size_t k = 0; k < nopts; k++)
			if (strcmp(a, opts[k].name) == 0)
				o = &opts[k];
		if (o == NULL) {
			fprintf(stderr, "%s: unknown option '%s'\n", cmd, a);
			return -1;
		}
		if (o->flag != NULL) {
			*o->flag = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: %s needs a value\n", cmd, a);
			return -1;
		}
		*o->value = argv[++i];
	}
	return nops;
}

const char *cli_time(int64_t t, char *buf, size_t size)
{
	if (t == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	return rebound_time_format(t, buf, size);
}

static const char *local_fmt(int64_t t, bool day, char *buf, size_t size)
{
	static bool tz_read;
	if (!tz_read) {
		tzset();
		tz_read = true;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, day ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", &tm) == 0)
		return rebound_time_format(t, buf, size);
	return buf;
}

const char *cli_local_time(int64_t t, char *buf, size_t size)
{
	if (t == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	return local_fmt(t, false, buf, size);
}

const char *cli_local_day(int64_t t, char *buf, size_t size)
{
	return local_fmt(t, true, buf, size);
}

/* The current time: --now, else the clock.  Prints one line naming cmd
 * and returns -1 when --now is not an RFC 3339 time. */
static int cli_now(const global_opts *g, const char *cmd, int64_t *now)
{
	if (g->now == NULL) {
		*now = (int64_t)time(NULL);
		return 0;
	}
	if (rebound_time_parse(g->now, now) < 0) {
		fprintf(stderr, "%s: --now: not an RFC 3339 time: '%s'\n", cmd,
			g->now);
		return -1;
	}
	return 0;
}

int cli_since(const global_opts *g, const char *cmd, const char *s,
	      int64_t *out)
{
	size_t n = strlen(s);
	/* An age: digits and one unit. */
	if (n >= 2 && n <= 12 && strchr("mhdw", s[n - 1]) != NULL &&
	    strspn(s, "0123456789") == n - 1) {
		static const struct { char unit; int64_t seconds; } units[] = {
			{ 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
			{ 'w', 7 * 86400 },
		};
		int64_t now;
		if (cli_now(g, cmd, &now) < 0)
			return -1;
		int64_t count = strtoll(s, NULL, 10);
		for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
			if (units[i].unit == s[n - 1])
				*out = now - count * units[i].seconds;
		return 0;
	}
	/* A date alone: its local midnight. */
	if (n == 10 && rebound_time_parse(s, out) == 0) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = atoi(s) - 1900;
		tm.tm_mon = atoi(s + 5) - 1;
		tm.tm_mday = atoi(s + 8);
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if (t != (time_t)-1)
			*out = (int64_t)t;
		return 0;
	}
	if (rebound_time_parse(s, out) == 0)
		return 0;
	fprintf(stderr,
		"%s: --since: not a time (2026-03-01T12:00:00Z), a date "
		"(2026-03-01) or an age (90m, 36h, 7d, 2w): '%s'\n", cmd, s);
	return -1;
}

static bool domain_matches(const char *address, const char *want)
{
	const char *at = strrchr(address, '@');
	if (at == NULL)
		return false;
	const char *d = at + 1;
	size_t dl = strlen(d), wl = strlen(want);
	if (dl == wl)
		return strcasecmp(d, want) == 0;
	return dl > wl && d[dl - wl - 1] == '.' &&
	       strcasecmp(d + dl - wl, want) == 0;
}

bool cli_filter_keep(const cli_filter *f, const rebound_entry *e)
{
	if (f->state >= 0 && (int)e->state != f->state)
		return false;
	if (f->domain != NULL && !domain_matches(e->address, f->domain))
		return false;
	if (f->since != 0 && e->last_seen < f->since)
		return false;
	return true;
}

int cli_filter_parse(const global_opts *g, const char *cmd,
		     const char *state, const char *domain,
		     const char *since, cli_filter *f)
{
	f->state = -1;
	f->domain = domain;
	f->since = 0;
	if (state != NULL && (f->state = rebound_state_from_name(state)) < 0) {
		fprintf(stderr,
			"%s: --state: one of active, pending, soft, suspended, "
			"suppressed, global (not '%s')\n", cmd, state);
		return -1;
	}
	if (since != NULL && cli_since(g, cmd, since, &f->since) < 0)
		return -1;
	return 0;
}

int cli_setup(const global_opts *g, const char *cmd, cli_env *env)
{
	memset(env, 0, sizeof(*env));
	env->cmd = cmd;
	rebound_config_defaults(&env->cfg);
	char err[1200];
	const char *conf = g->config_path != NULL ? g->config_path :
						    REBOUND_CONFIG_FILE;
	bool have_conf = g->config_path != NULL || access(conf, F_OK) == 0;
	if (have_conf &&
	    rebound_config_load(&env->cfg, conf, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return 2;
	}
	if (cli_now(g, cmd, &env->now) < 0)
		return 2;
	rebound_ledger_set_hash_size(env->cfg.db_hash_size);
	/* Which ledger: --db, the configuration file, the system ledger
	   if it is there, else one in the user's state directory. */
	if (g->db_path != NULL)
		snprintf(env->db_path, sizeof(env->db_path), "%s", g->db_path);
	else if (have_conf || access(env->cfg.db_path, F_OK) == 0)
		snprintf(env->db_path, sizeof(env->db_path), "%s",
			 env->cfg.db_path);
	else {
		const char *state = getenv("XDG_STATE_HOME");
		const char *home = getenv("HOME");
		if (state != NULL && state[0] == '/')
			snprintf(env->db_path, sizeof(env->db_path),
				 "%s/rebound/rebound.tdb", state);
		else if (home != NULL && home[0] == '/')
			snprintf(env->db_path, sizeof(env->db_path),
				 "%s/.local/state/rebound/rebound.tdb", home);
		else {
			fprintf(stderr,
				"%s: no ledger: give --db PATH (no HOME)\n", cmd);
			return 2;
		}
	}
	return 0;
}

/* mkdir -p for the directory part of path (mode 0700: per-user state). */
static void make_parent_dirs(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(dir, 0700);
			*p = '/';
		}
	(void)mkdir(dir, 0700);
}

static int open_ledger(const global_opts *g, const char *cmd, bool create,
		       unsigned flags, cli_env *env)
{
	int rc = cli_setup(g, cmd, env);
	if (rc != 0)
		return rc;
	if (create && access(env->db_path, F_OK) != 0 && errno == ENOENT)
		make_parent_dirs(env->db_path);
	char err[1200];
	env->ledger = rebound_ledger_open(env->db_path,
					  (create ? REBOUND_LEDGER_CREATE : 0) |
						  flags,
					  err, sizeof(err));
	if (env->ledger == NULL) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int cli_open(const global_opts *g, const char *cmd, bool create,
	     cli_env *env)
{
	return open_ledger(g, cmd, create, 0, env);
}

int cli_open_walk(const global_opts *g, const char *cmd, cli_env *env)
{
	return open_ledger(g, cmd, false, REBOUND_LEDGER_WALK, env);
}

void cli_close(cli_env *env)
{
	rebound_ledger_close(env->ledger);
	env->ledger = NULL;
}

int cli_flush(const char *cmd)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: %s\n", cmd, strerror(errno));
		return 2;
	}
	return 0;
}

static void jstr(FILE *out, const char *name, const char *v)
{
	fprintf(out, ",\"%s\":", name);
	rebound_json_string(out, v != NULL && v[0] != '\0' ? v : NULL);
}

static void jtime(FILE *out, const char *name, int64_t t)
{
	char buf[40];
	fprintf(out, ",\"%s\":", name);
	if (t == 0)
		fputs("null", out);
	else
		fprintf(out, "\"%s\"", rebound_time_format(t, buf, sizeof(buf)));
}

void cli_entry_json(FILE *out, const rebound_entry *e, int64_t now)
{
	bool bounced = e->last_time != 0;
	fputs("{\"address\":", out);
	rebound_json_string(out, e->address);
	fprintf(out, ",\"state\":\"%s\"", rebound_state_name(e->state));
	jtime(out, "until", e->state == REBOUND_STATE_SUSPENDED ? e->until : 0);
	fprintf(out, ",\"suspect\":%s", e->suspect ? "true" : "false");
	jstr(out, "suspect_why", e->suspect ? e->suspect_why : NULL);
	fprintf(out, ",\"may_send\":%s",
		rebound_entry_may_send(e, now) ? "true" : "false");
	fprintf(out,
		",\"hard_count\":%lu,\"soft_count\":%lu,\"consecutive_soft\":%lu"
		",\"delayed_count\":%lu,\"delivered_count\":%lu"
		",\"block_count\":%lu,\"autoreply_count\":%lu"
		",\"feedback_count\":%lu",
		(unsigned long)e->hard_count, (unsigned long)e->soft_count,
		(unsigned long)e->consecutive_soft,
		(unsigned long)e->delayed_count,
		(unsigned long)e->delivered_count,
		(unsigned long)e->block_count,
		(unsigned long)e->autoreply_count,
		(unsigned long)e->feedback_count);
	jtime(out, "first_seen", e->first_seen);
	jtime(out, "last_seen", e->last_seen);
	jtime(out, "pending_since", e->pending_since);
	jtime(out, "last_delivered", e->last_delivered);
	jtime(out, "last_bounce", e->last_time);
	jstr(out, "last_reason",
	     bounced ? rebound_reason_name(e->last_reason) : NULL);
	if (bounced)
		fprintf(out, ",\"last_category\":%d,\"last_hard\":%s",
			rebound_reason_category(e->last_reason),
			e->last_hard ? "true" : "false");
	else
		fputs(",\"last_category\":null,\"last_hard\":null", out);
	jstr(out, "last_action",
	     bounced ? rebound_action_name(e->last_action) : NULL);
	jstr(out, "last_status", e->last_status);
	jstr(out, "last_reply", e->last_reply);
	jstr(out, "last_diagnostic", e->last_diag);
	jstr(out, "last_source", e->last_source);
	jstr(out, "last_remote_mta", e->last_mta);
	jstr(out, "last_sender_domain", e->last_sender_domain);
	jstr(out, "last_campaign", e->last_campaign);
	fputs(",\"hard_domains\":[", out);
	for (size_t i = 0; i < e->nhard_domains; i++) {
		fputs(i ? ",{\"domain\":" : "{\"domain\":", out);
		rebound_json_string(out, e->hard_domains[i].domain);
		jtime(out, "time", e->hard_domains[i].time);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

/* "  LABEL  text" for a text the ledger stored in a field of
 * field_size bytes.  One that fills the field was cut there, maybe inside
 * a word ("Remote server: mx.example.n"): show it up to its last whole
 * word, marked as cut. */
static void print_cut_text(FILE *out, const char *label, const char *v,
			   size_t field_size)
{
	size_t n = strlen(v);
	bool cut = n + 1 >= field_size;

	if (cut) {
		size_t end = n;
		while (end > 0 && v[end - 1] != ' ')
			end--;
		while (end > 0 && v[end - 1] == ' ')
			end--;
		if (end > 0)	/* else one long word: keep what there is */
			n = end;
	}
	fprintf(out, "  %-16s%.*s%s\n", label, (int)n, v,
		cut ? term_ellipsis() : "");
}

void cli_entry_text(FILE *out, const rebound_entry *e, int64_t now)
{
	char t1[40], t2[40];
	fputs("address:        ", out);
	term_text(out, e->address);
	putc('\n', out);
	fprintf(out, "state:          %s", rebound_state_name(e->state));
	if (e->suspect) {
		fputs(e->suspect_why[0] ? " (suspect: " : " (suspect", out);
		term_text(out, e->suspect_why);
		putc(')', out);
	}
	if (e->state == REBOUND_STATE_SUSPENDED)
		fprintf(out, " until %s", cli_local_time(e->until, t1, sizeof(t1)));
	fprintf(out, "\nmay send:       %s\n",
		rebound_entry_may_send(e, now) ? "yes" : "no");
	fprintf(out, "bounces:        %lu hard, %lu soft (%lu in a row), "
		     "%lu blocked, %lu delayed\n",
		(unsigned long)e->hard_count, (unsigned long)e->soft_count,
		(unsigned long)e->consecutive_soft,
		(unsigned long)e->block_count,
		(unsigned long)e->delayed_count);
	fprintf(out, "other:          %lu delivered, %lu auto-replies, "
		     "%lu feedback reports\n",
		(unsigned long)e->delivered_count,
		(unsigned long)e->autoreply_count,
		(unsigned long)e->feedback_count);
	fprintf(out, "seen:           %s .. %s\n",
		cli_local_time(e->first_seen, t1, sizeof(t1)),
		cli_local_time(e->last_seen, t2, sizeof(t2)));
	if (e->pending_since != 0)
		fprintf(out, "pending since:  %s (expires %s)\n",
			cli_local_time(e->pending_since, t1, sizeof(t1)),
			cli_local_time(e->pending_expires, t2, sizeof(t2)));
	if (e->last_delivered != 0)
		fprintf(out, "last delivered: %s\n",
			cli_local_time(e->last_delivered, t1, sizeof(t1)));
	if (e->last_time != 0) {
		fprintf(out, "last bounce:    %s %s %s (category %d, %s)\n",
			cli_local_time(e->last_time, t1, sizeof(t1)),
			rebound_action_name(e->last_action),
			rebound_reason_name(e->last_reason),
			rebound_reason_category(e->last_reason),
			e->last_hard ? "hard" : "soft");
#define LINE(label, v) \
	if ((v)[0] != '\0') { \
		fprintf(out, "  %-16s", label); \
		term_text(out, v); \
		putc('\n', out); \
	}
		LINE("status:", e->last_status);
		LINE("reply code:", e->last_reply);
		if (e->last_diag[0] != '\0')
			print_cut_text(out, "diagnostic:", e->last_diag,
				       sizeof(e->last_diag));
		LINE("remote MTA:", e->last_mta);
		LINE("sender domain:", e->last_sender_domain);
		LINE("campaign:", e->last_campaign);
		LINE("recorded by:", e->last_source);
#undef LINE
	}
	for (size_t i = 0; i < e->nhard_domains; i++)
	{
		fputs(i == 0 ? "hard bounced for: " : "                  ", out);
		term_text(out, e->hard_domains[i].domain);
		fprintf(out, " (%s)\n",
			cli_local_time(e->hard_domains[i].time, t1, sizeof(t1)));
	}
}
