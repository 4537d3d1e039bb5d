/* cmd_stats.c - `rebound stats`: the recorded events counted by reason,
 * domain, day, campaign or category, or the recipients counted by state. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "admin/admin.h"
#include "term.h"

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
	int rc = cli_open_walk(g, "rebound stats", &env);
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
