/* config.h - settings shared by the CLI, the Exim module and the Dovecot
 * plugin: the `key = value` file (/etc/rebound/rebound.conf), its
 * compiled-in defaults and the policy presets.
 *
 * A configuration is a plain value (no pointers to free): modules keep one
 * per process or per message on the stack.  Later sources override earlier
 * ones: defaults, then the file, then per-call settings (Exim's acl_m_
 * variables, Dovecot's plugin {} settings, CLI options).
 */
#ifndef REBOUND_COMMON_CONFIG_H
#define REBOUND_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* What each kind of bounce does to a recipient (doc/design.md §6, §7).
 * Every number is a setting; a preset fills them all. */
typedef struct rebound_policy {
	char preset[16];		/* "default", "zoho", "marketo", ... */
	unsigned soft_limit;		/* soft bounces without a delivery
					   in between before suppression;
					   0: never */
	unsigned block_suspend_hours;	/* category-1 block/spam/policy */
	unsigned suspect_suspend_hours;	/* suspect hard bounce */
	unsigned pending_expire_hours;	/* delayed with no final report */
	unsigned global_domains;	/* distinct sender domains with a hard
					   bounce that make it global; 0: off */
	unsigned global_window_days;
	unsigned campaign_min_sends;
	double campaign_max_rate;	/* 0.05 = 5 % */
	unsigned campaign_pause_hours;
	unsigned event_retention_days;	/* e: records older are pruned */
	/* Added by the ledger (issue 4); presets fill them too. */
	unsigned hard_limit;		/* hard bounces before suppression
					   (1 = the first; mailman counts) */
	unsigned suspect_delivered_days; /* a hard bounce for an address
					   delivered to within this many
					   days is suspect; 0: off */
	/* This many different recipients of one domain with the same
	   hard "user unknown" within this many minutes: the domain blocks
	   the sender, they are suspect (doc/design.md §6 row 14); 0: off */
	unsigned suspect_burst_count;
	unsigned suspect_burst_minutes;
} rebound_policy;

typedef struct rebound_config {
	char db_path[1024];
	char campaign_header[128];	/* default X-Campaign-ID */
	char verp_format[128];		/* LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN */
	char verp_secret_file[1024];	/* "" when unset */
	bool require_signed_verp;
	bool discard_bounces;		/* Exim: drop recorded bounces */
	unsigned time_budget_ms;	/* time one call may take; 0 means
					   the default (see below) */
	unsigned db_hash_size;		/* hash chains of a new ledger; 0:
					   REBOUND_LEDGER_HASH_SIZE */
	/* How long a notice a module classified may wait in the spool
	   before it is in the ledger, recorded with others in one
	   transaction (ledger.h, rebound_ledger_queue); 0: each notice is
	   its own transaction before the module returns. */
	unsigned batch_ms;
	/* A fleet sharing events through CTDB (doc/fleet.md): all ""
	   when this host is in none. */
	char cluster_db[128];		/* CTDB persistent database */
	char cluster_node[64];		/* this host's name in the fleet */
	char cluster_socket[1024];	/* ctdbd's socket; "": the default */
	rebound_policy policy;
} rebound_config;

/* Fill *c with the compiled-in defaults (policy preset "default", db_path
 * REBOUND_DB_FILE). */
void rebound_config_defaults(rebound_config *c);

/* The time one call of a server module may spend (Exim's local_scan and
 * dlfuncs, the Dovecot plugin's commit, waiting for the ledger's lock
 * included): time_budget_ms, or 2000 ms when it is 0. */
unsigned rebound_config_time_budget_ms(const rebound_config *c);

/* batch_ms's default and its largest value: a second of delay before a
 * suppression counts costs nothing next to the minutes a bounce takes
 * to come back, and saves a durable commit (8 device flushes) for
 * nearly every notice (doc/design.md, "Batches"). */
#define REBOUND_BATCH_MS_DEFAULT 1000u
#define REBOUND_BATCH_MS_MAX 60000u

/* Fill *p with a named preset.  Returns 0, or -1 for an unknown name. */
int rebound_policy_preset(rebound_policy *p, const char *name);

/* Apply one setting.  "policy = NAME" loads a preset (numbers set before
 * it are replaced, numbers after it override it).  Returns 0, or -1 with a
 * message in err (unknown key, bad value). */
int rebound_config_set(rebound_config *c, const char *key, const char *value,
		       char *err, size_t errlen);

/* A policy as settings text, one "key=value" a line, the preset first
 * (what a batched notice keeps of the policy it was queued under), and
 * back: every line through rebound_config_set, so the same names and
 * bounds as the configuration file.  _write returns the length, or -1
 * when size is too small (REBOUND_POLICY_TEXT_MAX is enough); _read
 * returns 0, or -1 with err set, *p then unchanged. */
#define REBOUND_POLICY_TEXT_MAX 512
int rebound_policy_write(const rebound_policy *p, char *out, size_t size);
int rebound_policy_read(rebound_policy *p, const char *text, size_t len,
			char *err, size_t errlen);

/* What rebound_config_load() returns when the file was read but some
 * lines were bad: each bad line is skipped, every other line applies. */
#define REBOUND_CONFIG_BAD_LINES (-2)

/* Read a `key = value` file (# comments, blank lines) on top of *c.
 * A missing file is not an error when missing_ok.  Returns 0; -1 when the
 * file cannot be read ("PATH: problem" in err; nothing of it applies); or
 * REBOUND_CONFIG_BAD_LINES when some lines are bad: those are skipped,
 * every other line applies, and err names the first ("PATH:LINE:
 * problem", with " (and N more bad lines)" when there are others). */
int rebound_config_load(rebound_config *c, const char *path, bool missing_ok,
			char *err, size_t errlen);

#endif
