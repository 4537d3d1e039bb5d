/* cmd_list.c - the reports over many records: `rebound list` (recipients,
 * filtered), `rebound export` (all recipients as CSV or JSON Lines) and
 * `rebound stats` (events counted by reason, domain, day, campaign or
 * category; recipients by state). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_util.h"
#include "classify/json.h"
#include "ledger/ledger-admin.h"
#include "ledger/ledger-time.h"
#include "ledger/policy.h"
#include "term.h"

/* --- filters shared by list and export ---------------------------------- */

typedef struct filter {
	int state;			/* -1: any */
	const char *domain;		/* NULL: any; matches subdomains too */
	int64_t since;			/* 0: any; last_seen >= since */
} filter;

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

static bool keep(const filter *f, const rebound_entry *e)
{
	if (f->state >= 0 && (int)e->state != f->state)
		return false;
	if (f->domain != NULL && !domain_matches(e->address, f->domain))
		return false;
	if (f->since != 0 && e->last_seen < f->since)
		return false;
	return true;
}

static int parse_filter(const global_opts *g, const char *cmd,
			const char *state, const char *domain,
			const char *since, filter *f)
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

/* --- list --------------------------------------------------------------- */

typedef struct row {
	char *address;
	rebound_state state;
	bool suspect;
	uint32_t hard, soft;
	int64_t last_seen, last_time;
	rebound_reason reason;
} row;

typedef struct list_run {
	filter f;
	bool json;
	int64_t now;
	row *rows;
	size_t n, cap;
	bool oom;
} list_run;

static int list_one(const rebound_entry *e, void *ctx)
{
	list_run *lr = ctx;
	if (!keep(&lr->f, e))
		return 0;
	if (lr->json) {
		cli_entry_json(stdout, e, lr->now);
		return 0;
	}
	if (lr->n == lr->cap) {
		size_t cap = lr->cap ? lr->cap * 2 : 256;
		row *p = realloc(lr->rows, cap * sizeof(*p));
		if (p == NULL) {
			lr->oom = true;
			return 1;
		}
		lr->rows = p;
		lr->cap = cap;
	}
	row *r = &lr->rows[lr->n];
	if ((r->address = strdup(e->address)) == NULL) {
		lr->oom = true;
		return 1;
	}
	r->state = e->state;
	r->suspect = e->suspect;
	r->hard = e->hard_count;
	r->soft = e->soft_count;
	r->last_seen = e->last_seen;
	r->last_time = e->last_time;
	r->reason = e->last_reason;
	lr->n++;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return strcasecmp(((const row *)a)->address, ((const row *)b)->address);
}

static void list_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound list [--state S] [--domain D] [--since TIME] [--json]\n"
		"List the recipients in the ledger, sorted by address.\n"
		"  --state S      only this state: active, pending, soft, suspended,\n"
		"                 suppressed, global\n"
		"  --domain D     only addresses at D or its subdomains\n"
		"  --since TIME   only addresses seen at or after TIME (RFC 3339,\n"
		"                 a local date 2026-03-01, or an age: 36h, 7d, 2w)\n"
		"  --json         one JSON object per line, not sorted\n");
}

int cmd_list(const global_opts *g, int argc, char **argv)
{
	list_run lr;
	memset(&lr, 0, sizeof(lr));
	const char *state = NULL, *domain = NULL, *since = NULL;
	const cli_opt opts[] = {
		{ "--json", &lr.json, NULL },
		{ "--state", NULL, &state },
		{ "--domain", NULL, &domain },
		{ "--since", NULL, &since },
	};
	int n = cli_parse("rebound list", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		list_usage(stdout);
		return 0;
	}
	if (n != 0) {
		if (n > 0)
			fprintf(stderr, "rebound list: unexpected '%s'\n", argv[1]);
		list_usage(stderr);
		return 2;
	}
	if (parse_filter(g, "rebound list", state, domain, since, &lr.f) < 0)
		return 2;
	cli_env env;
	int rc = cli_open(g, "rebound list", false, &env);
	if (rc != 0)
		return rc;
	lr.now = env.now;
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now, list_one,
						 &lr, err, sizeof(err));
	cli_close(&env);
	int status = 0;
	if (bad < 0 || lr.oom) {
		fprintf(stderr, "rebound list: %s\n",
			bad < 0 ? err : "out of memory");
		status = 2;
	} else if (bad > 0) {
		fprintf(stderr, "rebound list: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		status = 1;
	}
	if (!lr.json && status != 2) {
		qsort(lr.rows, lr.n, sizeof(*lr.rows), row_cmp);
		printf("%-27s %-11s %4s %4s %-13s %s\n", "ADDRESS", "STATE",
		       "HARD", "SOFT", "LAST REASON", "LAST SEEN");
		for (size_t i = 0; i < lr.n; i++) {
			const row *r = &lr.rows[i];
			char state_buf[16], t[40];
			snprintf(state_buf, sizeof(state_buf), "%s%s",
				 rebound_state_name(r->state),
				 r->suspect ? "*" : "");
			term_cell(stdout, r->address, 27, false, TERM_PLAIN);
			putchar(' ');
			term_cell(stdout, state_buf, 11, false,
				  term_state_colour(state_buf));
			printf(" %4lu %4lu %-13s %s\n", (unsigned long)r->hard,
			       (unsigned long)r->soft,
			       r->last_time ? rebound_reason_name(r->reason) : "-",
			       cli_local_time(r->last_seen, t, sizeof(t)));
		}
		printf("%zu recipient%s%s\n", lr.n, lr.n == 1 ? "" : "s",
		       lr.n > 0 ? " (* suspect)" : "");
	}
	for (size_t i = 0; i < lr.n; i++)
		free(lr.rows[i].address);
	free(lr.rows);
	if (cli_flush("rebound list") != 0)
		return 2;
	return status;
}

/* --- export ------------------------------------------------------------- */

typedef struct export_run {
	filter f;
	bool csv;
	int64_t now;
	unsigned long n;
} export_run;

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break. */
static void csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void csv_num(unsigned long v)
{
	printf("%lu,", v);
}

static void csv_time(int64_t t)
{
	char buf[40];
	if (t != 0)
		fputs(rebound_time_format(t, buf, sizeof(buf)), stdout);
	putchar(',');
}

static int export_one(const rebound_entry *e, void *ctx)
{
	export_run *x = ctx;
	if (!keep(&x->f, e))
		return 0;
	x->n++;
	if (!x->csv) {
		cli_entry_json(stdout, e, x->now);
		return 0;
	}
	bool bounced = e->last_time != 0;
	csv_field(e->address, false);
	csv_field(rebound_state_name(e->state), false);
	csv_time(e->state == REBOUND_STATE_SUSPENDED ? e->until : 0);
	csv_field(e->suspect ? "yes" : "no", false);
	csv_field(rebound_entry_may_send(e, x->now) ? "yes" : "no", false);
	csv_num(e->hard_count);
	csv_num(e->soft_count);
	csv_num(e->consecutive_soft);
	csv_num(e->delayed_count);
	csv_num(e->delivered_count);
	csv_num(e->block_count);
	csv_time(e->first_seen);
	csv_time(e->last_seen);
	csv_time(e->last_time);
	csv_field(bounced ? rebound_reason_name(e->last_reason) : "", false);
	if (bounced)
		printf("%d,", rebound_reason_category(e->last_reason));
	else
		putchar(',');
	csv_field(e->last_status, false);
	csv_field(e->last_reply, false);
	csv_field(e->last_sender_domain, false);
	csv_field(e->last_campaign, false);
	csv_field(e->last_diag, true);
	return 0;
}

static void export_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound export --format csv|json [--state S] [--domain D]\n"
		"                      [--since TIME]\n"
		"Write every recipient (or those matching the filters, as in\n"
		"'rebound list') to standard output: CSV with a header line, or\n"
		"JSON Lines with the fields of 'rebound show --json'.\n");
}

int cmd_export(const global_opts *g, int argc, char **argv)
{
	export_run x;
	memset(&x, 0, sizeof(x));
	const char *format = NULL, *state = NULL, *domain = NULL, *since = NULL;
	bool json = false;
	const cli_opt opts[] = {
		{ "--format", NULL, &format },
		{ "--json", &json, NULL },
		{ "--state", NULL, &state },
		{ "--domain", NULL, &domain },
		{ "--since", NULL, &since },
	};
	int n = cli_parse("rebound export", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		export_usage(stdout);
		return 0;
	}
	if (json && format == NULL)
		format = "json";
	if (n != 0 || format == NULL ||
	    (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
		export_usage(stderr);
		return 2;
	}
	x.csv = strcmp(format, "csv") == 0;
	if (parse_filter(g, "rebound export", state, domain, since, &x.f) < 0)
		return 2;
	cli_env env;
	int rc = cli_open(g, "rebound export", false, &env);
	if (rc != 0)
		return rc;
	x.now = env.now;
	if (x.csv)
		puts("address,state,until,suspect,may_send,hard_count,soft_count,"
		     "consecutive_soft,delayed_count,delivered_count,block_count,"
		     "first_seen,last_seen,last_bounce,last_reason,last_category,"
		     "last_status,last_reply,last_sender_domain,last_campaign,"
		     "last_diagnostic");
	char err[1200];
	long bad = rebound_ledger_each_recipient(env.ledger, env.now, export_one,
						 &x, err, sizeof(err));
	cli_close(&env);
	if (cli_flush("rebound export") != 0)
		return 2;
	if (bad < 0) {
		fprintf(stderr, "rebound export: %s\n", err);
		return 2;
	}
	if (bad > 0) {
		fprintf(stderr, "rebound export: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		return 1;
	}
	return 0;
}

/* --- stats -------------------------------------------------------------- */

typedef struct bucket {
	char *key;
	unsigned long bounces, hard, soft, delayed, other;
} bucket;

typedef struct table {
	bucket *b;
	size_t n, cap;			/* open addressing, cap a power of 2 */
	bool oom;
} table;

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

static bucket *table_get(table *t, const char *key)
{
	if (t->oom)
		return NULL;
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		bucket *nb = calloc(cap, sizeof(*nb));
		if (nb == NULL) {
			t->oom = true;
			return NULL;
		}
		for (size_t i = 0; i < t->cap; i++) {
			if (t->b[i].key == NULL)
				continue;
			size_t j = hash_str(t->b[i].key) & (cap - 1);
			while (nb[j].key != NULL)
				j = (j + 1) & (cap - 1);
			nb[j] = t->b[i];
		}
		free(t->b);
		t->b = nb;
		t->cap = cap;
	}
	size_t j = hash_str(key) & (t->cap - 1);
	while (t->b[j].key != NULL) {
		if (strcmp(t->b[j].key, key) == 0)
			return &t->b[j];
		j = (j + 1) & (t->cap - 1);
	}
	if ((t->b[j].key = strdup(key)) == NULL) {
		t->oom = true;
		return NULL;
	}
	t->n++;
	return &t->b[j];
}

typedef enum { BY_REASON, BY_DOMAIN, BY_DAY, BY_CAMPAIGN, BY_CATEGORY,
	       BY_STATE } stats_by;

static const char *const by_names[] = { "reason", "domain", "day",
					"campaign", "category", "state" };

typedef struct stats_run {
	stats_by by;
	bool json;
	int64_t since;
	table t;
	unsigned long events, unverified;
} stats_run;

static int stats_event(const rebound_event *ev, void *ctx)
{
	stats_run *s = ctx;
	if (s->since != 0 && ev->time < s->since)
		return 0;
	if (ev->unverified) {
		s->unverified++;
		return 0;
	}
	s->events++;
	char key[340];
	const char *at;
	switch (s->by) {
	case BY_REASON:
		snprintf(key, sizeof(key), "%s", rebound_reason_name(ev->reason));
		break;
	case BY_DOMAIN:
		at = strrchr(ev->address, '@');
		snprintf(key, sizeof(key), "%s", at != NULL ? at + 1 : "-");
		break;
	case BY_DAY:
		/* People see their own days; JSON the UTC ones. */
		if (s->json) {
			rebound_time_format(ev->time, key, sizeof(key));
			key[10] = '\0';
		} else {
			cli_local_day(ev->time, key, sizeof(key));
		}
		break;
	case BY_CAMPAIGN:
		snprintf(key, sizeof(key), "%s",
			 ev->campaign[0] ? ev->campaign : "-");
		break;
	case BY_CATEGORY:
	default: {
		int c = rebound_reason_category(ev->reason);
		snprintf(key, sizeof(key), "%d %s", c,
			 c == 1 ? "blocked" : c == 2 ? "invalid" :
			 c == 3 ? "temporary" : c == 4 ? "technical" : "other");
		break;
	}
	}
	bucket *b = table_get(&s->t, key);
	if (b == NULL)
		return 1;
	rebound_obs_kind kind = rebound_observation_kind(
		&(rebound_observation){ .cls = ev->cls, .action = ev->action });
	if (kind == REBOUND_OBS_FAILED) {
		b->bounces++;
		if (ev->hard)
			b->hard++;
		else
			b->soft++;
	} else if (kind == REBOUND_OBS_DELAYED) {
		b->delayed++;
	} else {
		b->other++;
	}
	return 0;
}

static int stats_entry(const rebound_entry *e, void *ctx)
{
	stats_run *s = ctx;
	if (s->since != 0 && e->last_seen < s->since)
		return 0;
	s->events++;
	bucket *b = table_get(&s->t, rebound_state_name(e->state));
	if (b == NULL)
		return 1;
	b->bounces++;			/* here: recipients */
	b->hard += e->hard_count;
	b->soft += e->soft_count;
	b->delayed += e->delayed_count;
	b->other += e->delivered_count + e->autoreply_count + e->feedback_count;
	return 0;
}

static stats_by sort_by;

static int bucket_cmp(const void *pa, const void *pb)
{
	const bucket *a = pa, *b = pb;
	if (sort_by == BY_DAY || sort_by == BY_CATEGORY)
		return strcmp(a->key, b->key);
	unsigned long ta = a->bounces + a->delayed + a->other;
	unsigned long tb = b->bounces + b->delayed + b->other;
	if (ta != tb)
		return ta < tb ? 1 : -1;
	return strcmp(a->key, b->key);
}

static void stats_usage(FILE *out)
{
	fprintf(out,
		"usage: rebound stats [--by reason|domain|day|campaign|category|state]\n"
		"                     [--since TIME] [--json]\n"
		"Count the recorded events (default: by reason): failed recipients\n"
		"(hard and soft), delays, and other reports (delivered, auto-reply,\n"
		"feedback).  Unverified events are counted apart.  --by state counts\n"
		"recipients by their state instead, with their bounce totals.\n"
		"  --since TIME   only events at or after TIME (RFC 3339, a local\n"
		"                 date 2026-03-01, or an age: 36h, 7d, 2w)\n"
		"  --json         one JSON object per line\n");
}

int cmd_stats(const global_opts *g, int argc, char **argv)
{
	stats_run s;
	memset(&s, 0, sizeof(s));
	const char *by = "reason", *since = NULL;
	bool json = false;
	const cli_opt opts[] = {
		{ "--by", NULL, &by },
		{ "--since", NULL, &since },
		{ "--json", &json, NULL },
	};
	int n = cli_parse("rebound stats", argc, argv, opts,
			  sizeof(opts) / sizeof(*opts));
	if (n == CLI_HELP) {
		stats_usage(stdout);
		return 0;
	}
	if (n != 0) {
		stats_usage(stderr);
		return 2;
	}
	size_t k = 0;
	while (k < sizeof(by_names) / sizeof(*by_names) &&
	       strcmp(by, by_names[k]) != 0)
		k++;
	if (k == sizeof(by_names) / sizeof(*by_names)) {
		fprintf(stderr, "rebound stats: --by: one of reason, domain, day, "
				"campaign, category, state (not '%s')\n", by);
		return 2;
	}
	s.by = (stats_by)k;
	s.json = json;
	if (since != NULL && cli_since(g, "rebound stats", since, &s.since) < 0)
		return 2;
	cli_env env;
	int rc = cli_open(g, "rebound stats", false, &env);
	if (rc != 0)
		return rc;
	char err[1200];
	long bad = s.by == BY_STATE ?
		rebound_ledger_each_recipient(env.ledger, env.now, stats_entry,
					      &s, err, sizeof(err)) :
		rebound_ledger_each_event(env.ledger, stats_event, &s, err,
					  sizeof(err));
	cli_close(&env);
	if (bad < 0 || s.t.oom) {
		fprintf(stderr, "rebound stats: %s\n",
			bad < 0 ? err : "out of memory");
		return 2;
	}
	/* Compact the table, then sort. */
	size_t m = 0;
	for (size_t i = 0; i < s.t.cap; i++)
		if (s.t.b[i].key != NULL)
			s.t.b[m++] = s.t.b[i];
	sort_by = s.by;
	if (m > 0)
		qsort(s.t.b, m, sizeof(*s.t.b), bucket_cmp);
	bool states = s.by == BY_STATE;
	char head[16];
	snprintf(head, sizeof(head), "%s", by_names[s.by]);
	for (char *p = head; *p != '\0'; p++)
		*p = (char)(*p - 'a' + 'A');
	if (!json)
		printf("%-30s %9s %8s %8s %8s %8s\n", head,
		       states ? "ADDRESSES" : "FAILED", "HARD", "SOFT",
		       "DELAYED", "OTHER");
	for (size_t i = 0; i < m; i++) {
		const bucket *b = &s.t.b[i];
		if (json) {
			printf("{\"by\":\"%s\",\"key\":", by_names[s.by]);
			rebound_json_string(stdout, b->key);
			printf(",\"%s\":%lu,\"hard\":%lu,\"soft\":%lu,"
			       "\"delayed\":%lu,\"other\":%lu}\n",
			       states ? "addresses" : "failed", b->bounces,
			       b->hard, b->soft, b->delayed, b->other);
		} else {
			term_cell(stdout, b->key, 30, false, states ?
				  term_state_colour(b->key) : TERM_PLAIN);
			printf(" %9lu %8lu %8lu %8lu %8lu\n", b->bounces, b->hard, b->soft, b->delayed,
			       b->other);
		}
		free(b->key);
	}
	free(s.t.b);
	if (!json)
		printf("%lu %s%s", s.events, states ? "recipients" : "events",
		       s.unverified ? "" : "\n");
	if (!json && s.unverified)
		printf(" (and %lu unverified, not counted)\n", s.unverified);
	if (cli_flush("rebound stats") != 0)
		return 2;
	if (bad > 0) {
		fprintf(stderr, "rebound stats: %ld damaged records skipped "
				"(see rebound db check)\n", bad);
		return 1;
	}
	return 0;
}
