/* check_ledger.c - the ledger's records (round trip, unknown fields,
 * truncation), the configuration file, RFC 3339 times, many writers at
 * once, and a writer killed in the middle of a transaction. */
#define _GNU_SOURCE 1	/* memmem */
#include <sys/types.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "ledger/config.h"
#include "ledger/ledger.h"
#include "admin/ledger-admin.h"
#include "ledger/ledger-record.h"
#include "admin/ledger-scan.h"
#include "ledger/ledger-spool.h"
#include "ledger/ledger-time.h"

static const int64_t T0 = INT64_C(1767225600);	/* 2026-01-01 */

static rebound_entry sample_entry(void)
{
	rebound_entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.address, sizeof(e.address), "Some.One@example.org");
	e.state = REBOUND_STATE_SUSPENDED;
	e.until = T0 + 86400;
	e.suspect = true;
	snprintf(e.suspect_why, sizeof(e.suspect_why), "gateway:cisco");
	e.first_seen = T0 - 1000;
	e.last_seen = T0;
	e.pending_since = -5;		/* negative numbers survive too */
	e.hard_count = 3;
	e.soft_count = 70000;
	e.consecutive_soft = 2;
	e.soft_limit = 7;
	e.last_time = T0;
	e.last_reason = REBOUND_REASON_USERUNKNOWN;
	e.last_action = REBOUND_ACTION_FAILED;
	e.last_hard = true;
	snprintf(e.last_status, sizeof(e.last_status), "5.1.1");
	snprintf(e.last_reply, sizeof(e.last_reply), "550");
	snprintf(e.last_diag, sizeof(e.last_diag), "550 5.1.1 no such user");
	snprintf(e.last_sender_domain, sizeof(e.last_sender_domain), "s.example");
	e.nhard_domains = 2;
	e.hard_domains[0].time = T0 - 50;
	snprintf(e.hard_domains[0].domain, 128, "a.example");
	e.hard_domains[1].time = T0;
	snprintf(e.hard_domains[1].domain, 128, "b.example");
	return e;
}

static void assert_same_entry(const rebound_entry *a, const rebound_entry *b)
{
	ck_assert_str_eq(a->address, b->address);
	ck_assert_int_eq(a->state, b->state);
	ck_assert(a->until == b->until);
	ck_assert(a->suspect == b->suspect);
	ck_assert_str_eq(a->suspect_why, b->suspect_why);
	ck_assert(a->first_seen == b->first_seen);
	ck_assert(a->last_seen == b->last_seen);
	ck_assert(a->pending_since == b->pending_since);
	ck_assert_uint_eq(a->hard_count, b->hard_count);
	ck_assert_uint_eq(a->soft_count, b->soft_count);
	ck_assert_uint_eq(a->consecutive_soft, b->consecutive_soft);
	ck_assert_uint_eq(a->soft_limit, b->soft_limit);
	ck_assert_int_eq(a->last_reason, b->last_reason);
	ck_assert(a->last_hard == b->last_hard);
	ck_assert_str_eq(a->last_status, b->last_status);
	ck_assert_str_eq(a->last_reply, b->last_reply);
	ck_assert_str_eq(a->last_diag, b->last_diag);
	ck_assert_str_eq(a->last_sender_domain, b->last_sender_domain);
	ck_assert_uint_eq(a->nhard_domains, b->nhard_domains);
	for (size_t i = 0; i < a->nhard_domains; i++) {
		ck_assert(a->hard_domains[i].time == b->hard_domains[i].time);
		ck_assert_str_eq(a->hard_domains[i].domain,
				 b->hard_domains[i].domain);
	}
}

START_TEST(entry_round_trip)
{
	rebound_entry e = sample_entry(), d;
	rebound_buf b = { 0 };
	rebound_entry_encode(&b, &e);
	ck_assert(!b.failed);
	char err[100];
	ck_assert_int_eq(rebound_entry_decode(&d, b.p, b.len, err, sizeof(err)), 0);
	assert_same_entry(&e, &d);
	rebound_buf_free(&b);
}
END_TEST

/* A recipient written before the why was kept (no field 31) still
 * reads: suspect, with an empty why; and an older reader keeps field 31
 * as an unknown field, so a rewrite does not lose it. */
START_TEST(entry_without_why_reads)
{
	static const unsigned char old[] = {
		'r', 'b', 0x10, 'r', 1, 13, 'a', '@', 'e', 'x', 'a', 'm', 'p',
		'l', 'e', '.', 'o', 'r', 'g', 4, 1, 1 };
	rebound_entry d;
	char err[100];
	ck_assert_int_eq(rebound_entry_decode(&d, old, sizeof(old), err,
					      sizeof(err)), 0);
	ck_assert_str_eq(d.address, "a@example.org");
	ck_assert(d.suspect);
	ck_assert_str_eq(d.suspect_why, "");
	ck_assert_uint_eq(d.extra.len, 0);
}
END_TEST

/* b:<domain>: the burst window and the mark survive a round trip. */
START_TEST(domain_round_trip)
{
	static rebound_domain d, r;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "corp.example");
	d.nhits = 2;
	d.hits[0].time = T0 - 60;
	d.hits[0].shape = 0xdeadbeef;
	snprintf(d.hits[0].address, sizeof(d.hits[0].address), "a@corp.example");
	d.hits[1].time = T0;
	d.hits[1].shape = 7;
	snprintf(d.hits[1].address, sizeof(d.hits[1].address), "b@corp.example");
	d.blocking = true;
	snprintf(d.shape, sizeof(d.shape), "# # # user unknown");
	d.block_start = T0 - 60;
	d.block_last = T0;
	d.block_recipients = 5;
	snprintf(d.block_reply, sizeof(d.block_reply), "550 5.1.1 <a@corp.example> user unknown");
	d.blocks = 2;
	rebound_buf b = { 0 };
	rebound_domain_encode(&b, &d);
	ck_assert(!b.failed);
	char err[100];
	ck_assert_int_eq(rebound_domain_decode(&r, b.p, b.len, err, sizeof(err)), 0);
	ck_assert_str_eq(r.name, "corp.example");
	ck_assert_uint_eq(r.nhits, 2);
	ck_assert(r.hits[0].time == T0 - 60);
	ck_assert_uint_eq(r.hits[0].shape, 0xdeadbeef);
	ck_assert_str_eq(r.hits[1].address, "b@corp.example");
	ck_assert(r.blocking);
	ck_assert_str_eq(r.shape, d.shape);
	ck_assert(r.block_start == T0 - 60 && r.block_last == T0);
	ck_assert_uint_eq(r.block_recipients, 5);
	ck_assert_str_eq(r.block_reply, d.block_reply);
	ck_assert_uint_eq(r.blocks, 2);
	/* a recipient record is not a domain record */
	rebound_entry e;
	ck_assert_int_eq(rebound_entry_decode(&e, b.p, b.len, err, sizeof(err)), -1);
	/* every shorter prefix is refused or read short, never read past */
	for (size_t n = 0; n < b.len; n++) {
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, b.p, n);
		(void)rebound_domain_decode(&r, cut, n, err, sizeof(err));
		free(cut);
	}
	rebound_buf_free(&b);
}
END_TEST

/* The bytes are fixed by the format, not by the machine: a record
 * written by hand decodes. */
START_TEST(known_bytes_decode)
{
	/* "rb", version 1.0, kind 'e'; field 1 (time) = zigzag(300) = 600
	   = varint 0xd8 0x04; field 2 (address) "a@b.c"; field 6 (hard)=1 */
	static const unsigned char rec[] = {
		'r', 'b', 0x10, 'e',
		1, 2, 0xd8, 0x04,
		2, 5, 'a', '@', 'b', '.', 'c',
		6, 1, 1,
	};
	rebound_event ev;
	char err[100];
	ck_assert_int_eq(rebound_event_decode(&ev, rec, sizeof(rec), err,
					      sizeof(err)), 0);
	ck_assert(ev.time == 300);
	ck_assert_str_eq(ev.address, "a@b.c");
	ck_assert(ev.hard);
	ck_assert(!ev.suspect);
}
END_TEST

/* Fields of a newer version are skipped, kept, and written back. */
START_TEST(unknown_fields_kept)
{
	rebound_entry e = sample_entry(), d, d2;
	rebound_buf b = { 0 };
	rebound_entry_encode(&b, &e);
	rebound_buf_field(&b, 1000, "future", 6);
	rebound_buf_uint(&b, 77, 123456789);
	/* a newer minor version */
	b.p[2] = 0x13;
	char err[100];
	ck_assert_int_eq(rebound_entry_decode(&d, b.p, b.len, err, sizeof(err)), 0);
	assert_same_entry(&e, &d);
	ck_assert_uint_gt(d.extra.len, 0);
	rebound_buf b2 = { 0 };
	d.hard_count++;			/* an old reader changes something */
	rebound_entry_encode(&b2, &d);
	ck_assert_int_eq(rebound_entry_decode(&d2, b2.p, b2.len, err,
					      sizeof(err)), 0);
	ck_assert_uint_eq(d2.hard_count, e.hard_count + 1);
	ck_assert_uint_eq(d2.extra.len, d.extra.len);
	ck_assert_int_eq(memcmp(d2.extra.bytes, d.extra.bytes, d.extra.len), 0);
	/* and the unknown bytes are in the new record as they were */
	ck_assert_ptr_nonnull(memmem(b2.p, b2.len, "future", 6));
	rebound_buf_free(&b);
	rebound_buf_free(&b2);
}
END_TEST

/* Every truncation of a valid record is refused or decodes to a prefix
 * of its fields; none reads past the end (run under valgrind/ASan). */
START_TEST(truncated_records)
{
	rebound_entry e = sample_entry(), d;
	rebound_buf b = { 0 };
	rebound_entry_encode(&b, &e);
	char err[100];
	size_t refused = 0;
	for (size_t n = 0; n < b.len; n++) {
		unsigned char *copy = malloc(n ? n : 1);
		memcpy(copy, b.p, n);
		if (rebound_entry_decode(&d, copy, n, err, sizeof(err)) < 0)
			refused++;
		free(copy);
	}
	/* cuts inside the header or a field are errors */
	ck_assert_uint_gt(refused, b.len / 2);
	ck_assert_int_eq(rebound_entry_decode(&d, b.p, 3, err, sizeof(err)), -1);
	ck_assert_int_eq(rebound_entry_decode(&d, b.p, b.len - 1, err,
					      sizeof(err)), -1);
	ck_assert(strstr(err, "truncated") != NULL);
	rebound_buf_free(&b);
}
END_TEST

START_TEST(bad_records)
{
	rebound_entry e = sample_entry(), d;
	rebound_buf b = { 0 };
	rebound_entry_encode(&b, &e);
	char err[100];
	/* another major version (1 and 2 are this reader's) */
	b.p[2] = 0x30;
	ck_assert_int_eq(rebound_entry_decode(&d, b.p, b.len, err, sizeof(err)), -1);
	b.p[2] = 0x10;
	/* another kind */
	rebound_event ev;
	ck_assert_int_eq(rebound_event_decode(&ev, b.p, b.len, err, sizeof(err)), -1);
	/* not ours */
	ck_assert_int_eq(rebound_entry_decode(&d, (const unsigned char *)"hello",
					      5, err, sizeof(err)), -1);
	/* a state out of range */
	rebound_buf s = { 0 };
	rebound_buf_header(&s, REBOUND_KIND_RECIPIENT);
	rebound_buf_uint(&s, 2, 99);
	ck_assert_int_eq(rebound_entry_decode(&d, s.p, s.len, err, sizeof(err)), -1);
	/* an over-long varint: 11 bytes where 10 are the most */
	static const unsigned char longv[] = {
		'r', 'b', 0x10, 'r', 10, 11, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	ck_assert_int_eq(rebound_entry_decode(&d, longv, sizeof(longv), err,
					      sizeof(err)), -1);
	/* a length beyond the end */
	static const unsigned char past[] = { 'r', 'b', 0x10, 'r', 1, 0x7f, 'a' };
	ck_assert_int_eq(rebound_entry_decode(&d, past, sizeof(past), err,
					      sizeof(err)), -1);
	rebound_buf_free(&b);
	rebound_buf_free(&s);
}
END_TEST

START_TEST(campaign_round_trip)
{
	rebound_campaign c, d;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "spring");
	c.state = REBOUND_CAMPAIGN_PAUSED;
	c.until = T0;
	c.sent = UINT64_C(5000000000);
	c.bounced_hard = 7;
	c.pauses = 1;
	rebound_buf b = { 0 };
	rebound_campaign_encode(&b, &c);
	ck_assert_int_eq(rebound_campaign_decode(&d, b.p, b.len, NULL, 0), 0);
	ck_assert_str_eq(d.name, "spring");
	ck_assert_int_eq(d.state, REBOUND_CAMPAIGN_PAUSED);
	ck_assert(d.sent == UINT64_C(5000000000));
	ck_assert(d.bounced_hard == 7 && d.pauses == 1 && d.until == T0);
	rebound_buf_free(&b);
}
END_TEST

/* --- configuration --------------------------------------------------------- */

static char tmpdir[256];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_ledger.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text)
{
	static char p[400];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

START_TEST(config_defaults_and_file)
{
	rebound_config c;
	rebound_config_defaults(&c);
	ck_assert_str_eq(c.policy.preset, "default");
	ck_assert_uint_eq(c.policy.soft_limit, 7);
	ck_assert_uint_eq(c.policy.block_suspend_hours, 24);
	ck_assert_uint_eq(c.policy.pending_expire_hours, 72);
	ck_assert_uint_eq(c.policy.global_domains, 3);
	ck_assert_uint_eq(c.policy.global_window_days, 60);
	ck_assert_uint_eq(c.policy.campaign_min_sends, 100);
	ck_assert(c.policy.campaign_max_rate == 0.05);
	ck_assert_str_eq(c.campaign_header, "X-Campaign-ID");
	const char *p = write_file("a.conf",
		"# comment\n"
		"\n"
		"soft_limit = 3   # before the preset: replaced\n"
		"policy = strict\n"
		"  block_suspend_hours=12\n"
		"campaign_max_rate = 10%\n"
		"db_path = \"/srv/rebound/x.tdb\"\n"
		"require_signed_verp = yes\n"
		"campaign_header = X-Mailing\n");
	char err[300];
	ck_assert_int_eq(rebound_config_load(&c, p, false, err, sizeof(err)), 0);
	ck_assert_str_eq(c.policy.preset, "strict");
	ck_assert_uint_eq(c.policy.soft_limit, 3);	/* strict's */
	ck_assert_uint_eq(c.policy.block_suspend_hours, 12);
	ck_assert(c.policy.campaign_max_rate > 0.0999 &&
		  c.policy.campaign_max_rate < 0.1001);
	ck_assert_str_eq(c.db_path, "/srv/rebound/x.tdb");
	ck_assert(c.require_signed_verp);
	ck_assert_str_eq(c.campaign_header, "X-Mailing");
}
END_TEST

START_TEST(config_errors)
{
	rebound_config c;
	rebound_config_defaults(&c);
	char err[300];
	const char *p = write_file("b.conf", "soft_limit = 4\nsoft_limit = -1\n"
					     "hard_limit = 9\n");
	ck_assert_int_eq(rebound_config_load(&c, p, false, err, sizeof(err)),
			 REBOUND_CONFIG_BAD_LINES);
	ck_assert_msg(strstr(err, "b.conf:2:") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "more bad") == NULL, "%s", err);
	ck_assert_uint_eq(c.policy.soft_limit, 4);	/* line 1 applied */
	ck_assert_uint_eq(c.policy.hard_limit, 9);	/* line 3 too */
	/* A typo in the middle: only that line is skipped (issue 17). */
	rebound_config_defaults(&c);
	p = write_file("typo.conf", "soft_limit = 4\nsoft_limt = 7\n"
				    "no equals sign\n"
				    "campaign_header = X-Mailing\n"
				    "hard_limit = 3\n");
	ck_assert_int_eq(rebound_config_load(&c, p, false, err, sizeof(err)),
			 REBOUND_CONFIG_BAD_LINES);
	ck_assert_msg(strstr(err, "typo.conf:2: unknown setting 'soft_limt'") !=
			      NULL, "%s", err);
	ck_assert_msg(strstr(err, "(and 1 more bad line)") != NULL, "%s", err);
	ck_assert_uint_eq(c.policy.soft_limit, 4);
	ck_assert_str_eq(c.campaign_header, "X-Mailing");
	ck_assert_uint_eq(c.policy.hard_limit, 3);
	ck_assert_int_eq(rebound_config_set(&c, "colour", "red", err,
					    sizeof(err)), -1);
	ck_assert(strstr(err, "colour") != NULL);
	ck_assert_int_eq(rebound_config_set(&c, "policy", "nope", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(rebound_config_set(&c, "campaign_max_rate", "2", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(rebound_config_set(&c, "discard_bounces", "maybe", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(rebound_config_set(&c, "soft_limit", "99999999999",
					    err, sizeof(err)), -1);
	p = write_file("c.conf", "no equals sign\n");
	ck_assert_int_eq(rebound_config_load(&c, p, false, err, sizeof(err)),
			 REBOUND_CONFIG_BAD_LINES);
	ck_assert(strstr(err, "c.conf:1:") != NULL);
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/none.conf", tmpdir);
	ck_assert_int_eq(rebound_config_load(&c, missing, true, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(rebound_config_load(&c, missing, false, err,
					     sizeof(err)), -1);
	/* a line longer than the limit */
	char *big = malloc(5000);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	char *text = malloc(6000);
	snprintf(text, 6000, "%s\nsoft_limit = 6\n", big);
	free(big);
	p = write_file("d.conf", text);
	free(text);
	ck_assert_int_eq(rebound_config_load(&c, p, false, err, sizeof(err)),
			 REBOUND_CONFIG_BAD_LINES);
	ck_assert_msg(strstr(err, "d.conf:1: line too long") != NULL, "%s",
		      err);
	ck_assert_uint_eq(c.policy.soft_limit, 6);	/* the next line */
}
END_TEST

/* --- time -------------------------------------------------------------- */

START_TEST(times)
{
	int64_t t;
	ck_assert_int_eq(rebound_time_parse("2026-01-01T00:00:00Z", &t), 0);
	ck_assert(t == T0);
	ck_assert_int_eq(rebound_time_parse("2026-01-01t01:00:00.123+01:00", &t), 0);
	ck_assert(t == T0);
	ck_assert_int_eq(rebound_time_parse("2025-12-31 19:00:00-05:00", &t), 0);
	ck_assert(t == T0);
	ck_assert_int_eq(rebound_time_parse("2026-01-01", &t), 0);
	ck_assert(t == T0);
	ck_assert_int_eq(rebound_time_parse("2024-02-29T12:00:00Z", &t), 0);
	ck_assert(t == INT64_C(1709208000));
	const char *bad[] = { "", "2026-01-01T00:00:00", "2026-13-01",
			      "2025-02-29", "2026-01-01T24:00:00Z",
			      "2026-01-01T00:00:00Zjunk", "yesterday",
			      "2026-1-1", "2026-01-01T00:00Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(rebound_time_parse(bad[i], &t) == -1, "%s", bad[i]);
	char buf[40];
	ck_assert_str_eq(rebound_time_format(T0 + 3661, buf, sizeof(buf)),
			 "2026-01-01T01:01:01Z");
}
END_TEST

/* --- many writers at once ------------------------------------------------ */

/* On tmpfs when there is one: fsync costs nothing there, so thousands of
 * transactions from several processes fit in a second, and what is
 * tested (no update lost between processes) is the locking. */
enum { WRITERS = 8, PER_WRITER = 1000 };

static void writer(const char *path, int w)
{
	char err[512];
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	if (l == NULL)
		_exit(10);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	/* thousands of user unknowns at one domain within minutes would
	   be a burst (a block of the sender): not what is tested here */
	p.suspect_burst_count = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		char addr[64], id[64];
		snprintf(addr, sizeof(addr), "w%d-%d@example.org", w, i);
		snprintf(id, sizeof(id), "<w%d-%d@mx.example>", w, i);
		rebound_recipient r;
		memset(&r, 0, sizeof(r));
		r.address = addr;
		r.action = REBOUND_ACTION_FAILED;
		r.reason = REBOUND_REASON_USERUNKNOWN;
		r.hard = true;
		rebound_result res;
		memset(&res, 0, sizeof(res));
		res.cls = REBOUND_CLASS_BOUNCE;
		res.rcpt = &r;
		res.nrcpt = 1;
		res.message_id = id;
		rebound_record_context ctx = { .now = T0 + i, .source = "test" };
		rebound_outcome o;
		if (rebound_ledger_record(l, &p, &res, &ctx, &o, 1, err,
					  sizeof(err)) != 1)
			_exit(11);
		/* every writer also records one shared notice and bumps one
		   shared counter: the same DSN in several mailboxes */
		if (i % 100 == 0) {
			r.address = "shared@example.org";
			r.hard = false;
			r.reason = REBOUND_REASON_MAILBOXFULL;
			snprintf(id, sizeof(id), "<shared-%d@mx.example>", i);
			if (rebound_ledger_record(l, &p, &res, &ctx, &o, 1, err,
						  sizeof(err)) != 1)
				_exit(12);
		}
	}
	rebound_ledger_close(l);
	_exit(0);
}

static long count_recipients;
static int count_one(const rebound_entry *e, void *ctx)
{
	(void)ctx;
	if (e->state == REBOUND_STATE_SUPPRESSED && e->hard_count == 1)
		count_recipients++;
	return 0;
}

START_TEST(concurrent_writers_lose_nothing)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/conc.tdb", tmpdir);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
			writer(path, w);
	}
	for (int w = 0; w < WRITERS; w++) {
		int st;
		ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "writer %d: status %d", w, st);
	}
	char err[512];
	rebound_ledger *l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	count_recipients = 0;
	ck_assert_int_eq(rebound_ledger_each_recipient(l, T0, count_one, NULL,
						       err, sizeof(err)), 0);
	ck_assert_int_eq(count_recipients, WRITERS * PER_WRITER);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "shared@example.org", T0, &e, err,
					    sizeof(err)), 1);
	/* PER_WRITER/100 distinct shared notices, each counted once */
	ck_assert_uint_eq(e.soft_count, PER_WRITER / 100);
	rebound_check_report r;
	ck_assert_int_eq(rebound_ledger_check(l, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.events, WRITERS * PER_WRITER + PER_WRITER / 100);
	rebound_ledger_close(l);
}
END_TEST

/* --- a writer killed in the middle of a transaction ---------------------- */

START_TEST(killed_writer_leaves_clean_ledger)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/crash.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = "before@example.org";
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	rebound_record_context ctx = { .now = T0, .source = "test" };
	ck_assert_int_eq(rebound_ledger_record_recipient(l, &p, &r, &ctx, NULL,
							 err, sizeof(err)), 0);
	rebound_ledger_close(l);

	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Half a transaction: many writes, some over existing
		   records, then wait to be killed before the commit. */
		struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
		if (t == NULL || tdb_transaction_start(t) != 0)
			_exit(1);
		for (int i = 0; i < 2000; i++) {
			char k[64];
			snprintf(k, sizeof(k), "r:ghost%d@example.org", i);
			TDB_DATA key = { (unsigned char *)k, strlen(k) };
			TDB_DATA val = { (unsigned char *)"junk", 4 };
			tdb_store(t, key, val, TDB_REPLACE);
		}
		TDB_DATA key = { (unsigned char *)"r:before@example.org", 20 };
		TDB_DATA val = { (unsigned char *)"junk", 4 };
		tdb_store(t, key, val, TDB_REPLACE);
		if (write(fds[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(fds[1]);
	char c;
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));

	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_check_report rep;
	ck_assert_msg(rebound_ledger_check(l, &rep, err, sizeof(err)) == 0,
		      "check: %s", rep.first_problem);
	ck_assert_uint_eq(rep.recipients, 1);	/* no ghost */
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "before@example.org", T0, &e, err,
					    sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
	/* and writing goes on */
	r.address = "after@example.org";
	ck_assert_int_eq(rebound_ledger_record_recipient(l, &p, &r, &ctx, NULL,
							 err, sizeof(err)), 0);
	ck_assert_int_eq(rebound_ledger_may_send(l, "after@example.org", T0, err,
						 sizeof(err)), 0);
	rebound_ledger_close(l);
}
END_TEST

/* A writer killed after tdb prepared its commit (recovery data written,
 * file grown) and before the records went in: the next open recovers.
 * tdb_check may then fail on the space the commit grew (ledger-scan.h);
 * db check must call that unused space, not damage, and a repack must
 * leave a file tdb_check passes. */
START_TEST(killed_in_commit_after_growing)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/grown.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = "kept@example.org";
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	rebound_record_context ctx = { .now = T0, .source = "test" };
	ck_assert_int_eq(rebound_ledger_record_recipient(l, &p, &r, &ctx, NULL,
							 err, sizeof(err)), 0);
	rebound_ledger_close(l);

	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
		if (t == NULL || tdb_transaction_start(t) != 0)
			_exit(1);
		static unsigned char big[3000];
		memset(big, 'x', sizeof(big));
		for (int i = 0; i < 1500; i++) {
			char k[64];
			snprintf(k, sizeof(k), "r:grown%d@example.org", i);
			TDB_DATA key = { (unsigned char *)k, strlen(k) };
			TDB_DATA val = { big, sizeof(big) };
			tdb_store(t, key, val, TDB_REPLACE);
		}
		if (tdb_transaction_prepare_commit(t) != 0)
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	close(fds[1]);
	char c;
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));

	/* The next writer recovers; a record too big for any free entry
	   grows the file again, after the space the killed commit grew. */
	struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
	ck_assert_ptr_nonnull(t);
	static unsigned char huge[1 << 20];
	TDB_DATA hk = { (unsigned char *)"x:huge", 6 };
	TDB_DATA hv = { huge, sizeof(huge) };
	ck_assert_int_eq(tdb_transaction_start(t), 0);
	ck_assert_int_eq(tdb_store(t, hk, hv, TDB_INSERT), 0);
	ck_assert_int_eq(tdb_transaction_commit(t), 0);
	tdb_close(t);

	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_check_report rep;
	ck_assert_msg(rebound_ledger_check(l, &rep, err, sizeof(err)) == 0,
		      "check: %s", rep.first_problem);
	ck_assert(rep.tdb_ok || rep.unused_space);
	ck_assert_uint_eq(rep.other, 1);
	ck_assert_uint_eq(rep.recipients, 1);
	ck_assert_uint_eq(rep.domains, 1);
	ck_assert_int_eq(rebound_ledger_may_send(l, "kept@example.org", T0, err,
						 sizeof(err)), 0);
	ck_assert_msg(rebound_ledger_repack(l, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(rebound_ledger_check(l, &rep, err, sizeof(err)), 0);
	ck_assert(rep.tdb_ok);
	ck_assert(!rep.unused_space);
	ck_assert_uint_eq(rep.recipients, 1);
	ck_assert_uint_eq(rep.other, 1);
	rebound_ledger_close(l);
}
END_TEST

/* The layout scan on bytes: a sound file, a chain head lost (its
 * records unreachable), a record header overwritten, not a tdb. */
static unsigned char *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	unsigned char *p = malloc((size_t)n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return p;
}

START_TEST(layout_scan_tells_damage)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/scan.tdb", tmpdir);
	struct tdb_context *t = tdb_open(path, 131, TDB_DEFAULT,
					 O_RDWR | O_CREAT, 0600);
	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < 50; i++) {
		char k[32];
		snprintf(k, sizeof(k), "key%d", i);
		TDB_DATA key = { (unsigned char *)k, strlen(k) };
		TDB_DATA val = { (unsigned char *)"value", 5 };
		ck_assert_int_eq(tdb_store(t, key, val, TDB_INSERT), 0);
	}
	tdb_close(t);
	size_t size;
	unsigned char *file = read_whole(path, &size);
	rebound_tdb_scan sc;
	ck_assert_int_eq(rebound_tdb_scan_layout(file, size, NULL, NULL, &sc), 0);
	ck_assert_uint_eq(sc.records, 50);
	ck_assert_uint_eq(sc.unreachable, 0);

	/* a chain head (after the 168-byte header and the free-list
	   head) set to 0: its records are there, but tdb cannot find
	   them any more */
	unsigned char *copy = malloc(size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, file, size);
	size_t head = 0;
	for (size_t b = 0; b < 131; b++) {
		uint32_t v;
		memcpy(&v, copy + 168 + 4 * (b + 1), 4);
		if (v != 0) {
			head = 168 + 4 * (b + 1);
			break;
		}
	}
	ck_assert_uint_ne(head, 0);
	memset(copy + head, 0, 4);
	ck_assert_int_eq(rebound_tdb_scan_layout(copy, size, NULL, NULL, &sc), 1);
	ck_assert_uint_gt(sc.unreachable, 0);
	ck_assert_ptr_nonnull(strstr(sc.problem, "no hash chain reaches"));

	/* the magic of the first record overwritten */
	memcpy(copy, file, size);
	size_t first = 168 + 4 * (131 + 1);
	memcpy(copy + first + 20, "junk", 4);
	ck_assert_int_eq(rebound_tdb_scan_layout(copy, size, NULL, NULL, &sc), 1);
	ck_assert_ptr_nonnull(strstr(sc.problem, "magic"));

	/* the file grown by 64 KiB that nothing was written to: unused
	   space, not damage */
	unsigned char *grown = calloc(1, size + 65536);
	ck_assert_ptr_nonnull(grown);
	memcpy(grown, file, size);
	memset(grown + size, 0x42, 4096);
	ck_assert_int_eq(rebound_tdb_scan_layout(grown, size + 65536, NULL, NULL,
						 &sc), 0);
	ck_assert_uint_eq(sc.unused_areas, 1);
	ck_assert_uint_eq(sc.unused_bytes, 65536);
	free(grown);

	/* what a commit killed after growing the file leaves: the grown
	   space as a free entry on no list, then a record it wrote there
	   that no chain reaches.  Unused space; the same record without
	   the grown space before it is damage. */
	{
		const uint32_t free_len = 4096, rec_len = 32;
		size_t gsize = size + 24 + free_len + 24 + rec_len;
		unsigned char *g = calloc(1, gsize);
		ck_assert_ptr_nonnull(g);
		memcpy(g, file, size);
		uint32_t fh[6] = { 0, free_len, 0, 0, 0, 0xd9fee666u };
		memcpy(g + size, fh, sizeof(fh));
		memcpy(g + size + 24 + free_len - 4, &free_len, 4);
		uint32_t rh[6] = { 0, rec_len, 6, 5, 0x1234, 0x26011999u };
		size_t at = size + 24 + free_len;
		memcpy(g + at, rh, sizeof(rh));
		memcpy(g + at + 24, "orphanvalue", 11);
		ck_assert_int_eq(rebound_tdb_scan_layout(g, gsize, NULL, NULL, &sc), 0);
		ck_assert_uint_eq(sc.killed_commit, 1);
		ck_assert_uint_eq(sc.unreachable, 0);

		/* no grown space before it: a record tdb cannot find */
		size_t dsize = size + 24 + rec_len;
		unsigned char *d = calloc(1, dsize);
		ck_assert_ptr_nonnull(d);
		memcpy(d, file, size);
		memcpy(d + size, rh, sizeof(rh));
		memcpy(d + size + 24, "orphanvalue", 11);
		ck_assert_int_eq(rebound_tdb_scan_layout(d, dsize, NULL, NULL, &sc), 1);
		ck_assert_uint_eq(sc.unreachable, 1);
		free(d);
		free(g);
	}

	/* not a tdb at all */
	ck_assert_int_eq(rebound_tdb_scan_layout((const unsigned char *)"garbage",
						 7, NULL, NULL, &sc), -1);
	free(copy);
	free(file);
}
END_TEST

/* --- the spool ------------------------------------------------------------ */

static rebound_recipient spool_rcpt = {
	.address = "spooled@example.org",
	.action = REBOUND_ACTION_FAILED,
	.status = "5.1.1",
	.reply_code = "550",
	.reason = REBOUND_REASON_USERUNKNOWN,
	.hard = true,
	.diagnostic = "550 5.1.1 no such user",
};

static rebound_result spool_result(const char *msgid)
{
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.format = "rfc3464";
	res.rcpt = &spool_rcpt;
	res.nrcpt = 1;
	res.message_id = msgid;
	res.campaign = "";
	return res;
}

START_TEST(spool_round_trip)
{
	rebound_result res = spool_result("<a@mx.example>");
	rebound_recipient suspect = spool_rcpt;
	suspect.suspect = true;
	suspect.suspect_why = "stage:data";
	res.rcpt = &suspect;
	rebound_verp_vouch v;
	rebound_verp_vouch_init(&v, true);
	v.n = 1;
	snprintf(v.recipient[0], sizeof(v.recipient[0]), "spooled@example.org");
	rebound_record_context ctx = { .now = T0 + 5, .source = "exim",
				       .sender_domain = "news.example",
				       .vouch = &v };
	rebound_buf b = { 0 };
	rebound_spool_encode(&b, &res, &ctx);
	ck_assert(!b.failed);
	rebound_spooled sp;
	char why[100];
	ck_assert_int_eq(rebound_spool_decode(&sp, b.p, b.len, why, sizeof(why)),
			 0);
	ck_assert_int_eq(sp.ctx.now, T0 + 5);
	ck_assert_str_eq(sp.ctx.source, "exim");
	ck_assert_str_eq(sp.ctx.sender_domain, "news.example");
	ck_assert_ptr_eq(sp.ctx.vouch, &sp.vouch);
	ck_assert(sp.vouch.required);
	ck_assert_uint_eq(sp.vouch.n, 1);
	ck_assert_str_eq(sp.vouch.recipient[0], "spooled@example.org");
	ck_assert_int_eq(sp.res.cls, REBOUND_CLASS_BOUNCE);
	ck_assert_str_eq(sp.res.message_id, "<a@mx.example>");
	ck_assert_str_eq(sp.res.campaign, "");	/* empty stays empty */
	ck_assert_ptr_null(sp.res.envelope_id);	/* absent stays absent */
	ck_assert_uint_eq(sp.res.nrcpt, 1);
	ck_assert_str_eq(sp.res.rcpt[0].address, "spooled@example.org");
	ck_assert_str_eq(sp.res.rcpt[0].status, "5.1.1");
	ck_assert_str_eq(sp.res.rcpt[0].reply_code, "550");
	ck_assert_int_eq(sp.res.rcpt[0].reason, REBOUND_REASON_USERUNKNOWN);
	ck_assert(sp.res.rcpt[0].hard);
	ck_assert_str_eq(sp.res.rcpt[0].diagnostic, "550 5.1.1 no such user");
	ck_assert(sp.res.rcpt[0].suspect);
	ck_assert_str_eq(sp.res.rcpt[0].suspect_why, "stage:data");
	rebound_spooled_free(&sp);
	/* every shorter prefix is refused, never read past */
	for (size_t n = 0; n < b.len; n++) {
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, b.p, n);
		if (rebound_spool_decode(&sp, cut, n, why, sizeof(why)) == 0)
			rebound_spooled_free(&sp);
		free(cut);
	}
	rebound_buf_free(&b);
}
END_TEST

/* The spool keeps at most REBOUND_SPOOL_MAX_RCPT recipients of a notice
 * (replay refuses more), and refuses to write a file that replay would
 * refuse as too long: it says so rather than leave a file that can never
 * be recorded (issue 16, item 5). */
START_TEST(spool_limits)
{
	enum { MANY = REBOUND_SPOOL_MAX_RCPT + 500 };
	rebound_result res = spool_result("<many@mx.example>");
	rebound_recipient *v = calloc(MANY, sizeof(*v));
	char (*addr)[40] = calloc(MANY, sizeof(*addr));
	ck_assert(v != NULL && addr != NULL);
	for (size_t i = 0; i < MANY; i++) {
		v[i] = spool_rcpt;
		snprintf(addr[i], sizeof(addr[i]), "r%zu@example.org", i);
		v[i].address = addr[i];
	}
	res.rcpt = v;
	res.nrcpt = MANY;
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	rebound_buf b = { 0 };
	rebound_spool_encode(&b, &res, &ctx);
	ck_assert(!b.failed);
	rebound_spooled sp;
	char why[100];
	ck_assert_int_eq(rebound_spool_decode(&sp, b.p, b.len, why, sizeof(why)),
			 0);
	ck_assert_uint_eq(sp.res.nrcpt, REBOUND_SPOOL_MAX_RCPT);
	rebound_spooled_free(&sp);
	rebound_buf_free(&b);

	/* Long diagnostics: more than REBOUND_SPOOL_MAX_BYTES in all. */
	char diag[400];
	memset(diag, 'x', sizeof(diag) - 1);
	diag[sizeof(diag) - 1] = '\0';
	for (size_t i = 0; i < MANY; i++)
		v[i].diagnostic = diag;
	char name[1300], err[400] = "", ledger[400];
	snprintf(ledger, sizeof(ledger), "%s/big.tdb", tmpdir);
	ck_assert_int_eq(rebound_spool_write(ledger, &res, &ctx, true, name,
					     sizeof(name), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too large") != NULL, "err: %s", err);
	unsigned long waiting = 1;
	ck_assert_int_eq(rebound_spool_count(ledger, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 0);
	free(v);
	free(addr);
}
END_TEST

typedef enum held_lock {
	HOLD_TRANSACTION,	/* tdb_transaction_start: other writers */
	HOLD_LOCKALL,		/* tdb_lockall: every reader and writer */
	HOLD_LOCKALL_READ,	/* tdb_lockall_read: every commit */
} held_lock;

/* A child holds one of the ledger's locks until it is killed. */
static pid_t hold_lock_of(const char *path, held_lock what)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
		int rc = t == NULL ? -1 :
			 what == HOLD_LOCKALL ? tdb_lockall(t) :
			 what == HOLD_LOCKALL_READ ? tdb_lockall_read(t) :
						     tdb_transaction_start(t);
		if (rc != 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(fds[1]);
	char c;
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static pid_t hold_lock(const char *path)
{
	return hold_lock_of(path, HOLD_TRANSACTION);
}

static void release_lock(pid_t pid)
{
	int st;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

static long events_of(rebound_ledger *l)
{
	rebound_check_report r;
	char err[512];
	ck_assert_int_eq(rebound_ledger_check(l, &r, err, sizeof(err)), 0);
	return (long)r.events;
}

/* Locked longer than the lock wait: the notice is spooled (twice, as if
 * Exim and Dovecot both saw it); replay records it once; a damaged spool
 * file is set aside, not lost. */
/* A notice spooled because the ledger was locked keeps the policy it
 * was to be recorded under (hard_limit 3), whoever replays it later
 * (a default policy would suppress at the first hard bounce). */
START_TEST(locked_notice_keeps_its_policy)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/lockpolicy.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_ledger_close(l);	/* tdb: one open per process, forks too */
	pid_t holder = hold_lock(path);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy lenient, p;
	rebound_policy_preset(&lenient, "default");
	lenient.hard_limit = 3;
	rebound_policy_preset(&p, "default");
	rebound_result res = spool_result("<lockpol@mx.example>");
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	rebound_outcome o[1];
	rebound_ledger_set_lock_wait(100);
	ck_assert_int_eq(rebound_ledger_record(l, &lenient, &res, &ctx, o, 1,
					       err, sizeof(err)),
			 REBOUND_LEDGER_SPOOLED);
	release_lock(holder);
	rebound_replay_stats st;
	ck_assert_msg(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(st.replayed, 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, spool_rcpt.address, T0, &e, err,
					    sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SOFT);
	rebound_ledger_set_lock_wait(0);
	rebound_ledger_close(l);
}
END_TEST

START_TEST(locked_notice_spooled_and_replayed_once)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/spool.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_ledger_close(l);	/* tdb: one open per process, forks too */
	pid_t holder = hold_lock(path);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_result res = spool_result("<twice@mx.example>");
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	rebound_outcome o[4];
	rebound_ledger_set_lock_wait(100);
	for (int i = 0; i < 2; i++) {
		int n = rebound_ledger_record(l, &p, &res, &ctx, o, 4, err,
					      sizeof(err));
		ck_assert_msg(n == REBOUND_LEDGER_SPOOLED, "%d: %s", n, err);
		ck_assert_ptr_nonnull(strstr(err, "locked by another process"));
		ck_assert_ptr_nonnull(strstr(err, "spooled as"));
	}
	unsigned long waiting, badf;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 2);
	/* a damaged file among them */
	char junk[500];
	snprintf(junk, sizeof(junk), "%s.spool/00000000000.000000-1-1.rbq",
		 path);
	FILE *f = fopen(junk, "w");
	ck_assert_ptr_nonnull(f);
	fputs("rb\x10qgarbage", f);
	fclose(f);
	/* still locked: replay records nothing and keeps everything */
	rebound_replay_stats st;
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), -1);
	ck_assert_uint_eq(st.replayed, 0);
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 2);
	ck_assert_uint_eq(badf, 1);
	release_lock(holder);

	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, 2);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(st.left, 0);
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_uint_eq(badf, 1);
	char aside[520];
	snprintf(aside, sizeof(aside), "%s.bad", junk);
	ck_assert_int_eq(access(aside, F_OK), 0);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "spooled@example.org", T0, &e,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
	ck_assert_int_eq(e.last_seen, T0);	/* the time it was seen */
	ck_assert_int_eq(events_of(l), 1);	/* counted once */
	/* the same notice arriving once more: still once */
	ck_assert_int_eq(rebound_ledger_record(l, &p, &res, &ctx, o, 4, err,
					       sizeof(err)), 1);
	ck_assert(o[0].duplicate);
	ck_assert_int_eq(events_of(l), 1);
	rebound_ledger_set_lock_wait(0);
	rebound_ledger_close(l);
}
END_TEST

/* The next module writer that gets the lock takes what waited. */
START_TEST(next_writer_replays_spool)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/next.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_ledger_close(l);	/* tdb: one open per process, forks too */
	pid_t holder = hold_lock(path);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_record_context ctx = { .now = T0, .source = "dovecot" };
	rebound_outcome o[4];
	rebound_ledger_set_lock_wait(50);
	char ids[3][40];
	for (int i = 0; i < 3; i++) {
		snprintf(ids[i], sizeof(ids[i]), "<wait%d@mx.example>", i);
		rebound_result res = spool_result(ids[i]);
		ck_assert_int_eq(rebound_ledger_record(l, &p, &res, &ctx, o, 4,
						       err, sizeof(err)),
				 REBOUND_LEDGER_SPOOLED);
	}
	release_lock(holder);
	rebound_result res = spool_result("<after@mx.example>");
	ck_assert_msg(rebound_ledger_record(l, &p, &res, &ctx, o, 4, err,
					    sizeof(err)) == 1, "%s", err);
	unsigned long waiting;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_int_eq(events_of(l), 4);
	rebound_ledger_set_lock_wait(0);
	rebound_ledger_close(l);
}
END_TEST

static int64_t elapsed_ms(const struct timespec *since)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)(ts.tv_sec - since->tv_sec) * 1000 +
	       (ts.tv_nsec - since->tv_nsec) / 1000000;
}

/* Another process's tdb_lockall() (every read and write) or
 * tdb_lockall_read() (every commit): with a lock wait, opening, reading,
 * recording and in-band events all return within it; the notice is
 * spooled and recorded once when the lock is gone.  Without the bounded
 * start, read and commit each of these waited as long as the lock was
 * held (the child holds it until killed: the test would hang). */
START_TEST(whole_file_lock_never_holds_a_module)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/lockall.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_ledger_close(l);	/* tdb: one open per process, forks too */
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	rebound_outcome o[4];
	const unsigned wait_ms = 200;
	/* generous: the suite runs in parallel on a loaded machine */
	const int64_t limit_ms = wait_ms + 3000;
	const held_lock kinds[] = { HOLD_LOCKALL, HOLD_LOCKALL_READ };
	for (size_t k = 0; k < 2; k++) {
		pid_t holder = hold_lock_of(path, kinds[k]);
		rebound_ledger_set_lock_wait(wait_ms);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE, err,
					sizeof(err));
		ck_assert_msg(l != NULL, "%s", err);
		ck_assert_int_le(elapsed_ms(&t0), limit_ms);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		char id[40];
		snprintf(id, sizeof(id), "<lockall%zu@mx.example>", k);
		rebound_result res = spool_result(id);
		int n = rebound_ledger_record(l, &p, &res, &ctx, o, 4, err,
					      sizeof(err));
		ck_assert_msg(n == REBOUND_LEDGER_SPOOLED, "%zu: %d: %s", k, n,
			      err);
		ck_assert_int_le(elapsed_ms(&t0), limit_ms);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		int may = rebound_ledger_may_send(l, "spooled@example.org", T0,
						  err, sizeof(err));
		if (kinds[k] == HOLD_LOCKALL) {
			ck_assert_int_eq(may, -1);
			ck_assert_ptr_nonnull(strstr(err, "locked by another"));
		} else {
			ck_assert_int_eq(may, 1);	/* readers share */
		}
		ck_assert_int_le(elapsed_ms(&t0), limit_ms);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rebound_recipient r = { .address = "inband@example.org",
					.action = REBOUND_ACTION_FAILED,
					.hard = true };
		ck_assert_int_eq(rebound_ledger_record_recipient(
					 l, &p, &r, &ctx, o, err, sizeof(err)),
				 -1);
		ck_assert_ptr_nonnull(strstr(err, "locked by another"));
		ck_assert_int_le(elapsed_ms(&t0), limit_ms);

		release_lock(holder);
		rebound_ledger_close(l);
	}
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_result res = spool_result("<after-lockall@mx.example>");
	ck_assert_msg(rebound_ledger_record(l, &p, &res, &ctx, o, 4, err,
					    sizeof(err)) == 1, "%s", err);
	unsigned long waiting;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_int_eq(events_of(l), 3);	/* each notice once */
	rebound_ledger_set_lock_wait(0);
	rebound_ledger_close(l);
}
END_TEST

/* The command waits for the lock and never spools. */
START_TEST(command_does_not_spool)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/cmd.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_result res = spool_result("<cmd@mx.example>");
	rebound_record_context ctx = { .now = T0, .source = "cli" };
	rebound_outcome o[2];
	ck_assert_int_eq(rebound_ledger_record(l, &p, &res, &ctx, o, 2, err,
					       sizeof(err)), 1);
	unsigned long waiting;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 0);
	char dir[500];
	snprintf(dir, sizeof(dir), "%s.spool", path);
	ck_assert_int_ne(access(dir, F_OK), 0);
	rebound_ledger_close(l);
}
END_TEST

/* A damaged file is an error, never a crash, and is never overwritten. */
START_TEST(damaged_file)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/bad.tdb", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000; i++)
		fputs("garbage ", f);
	fclose(f);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE, err,
						sizeof(err));
	ck_assert_ptr_null(l);
	ck_assert(strstr(err, "not a rebound ledger") != NULL);
	f = fopen(path, "r");
	char buf[8];
	ck_assert_uint_eq(fread(buf, 1, 8, f), 8);
	fclose(f);
	ck_assert_int_eq(memcmp(buf, "garbage ", 8), 0);
}
END_TEST

/* --- one process opening the ledger for each record ---------------------- */

/* The Dovecot plugin opens and closes the ledger around each commit in a
 * long-lived LMTP process: many records in one second from one pid, each
 * through a new handle, must all get their own event. */
START_TEST(reopen_per_record_same_second)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/reopen.tdb", tmpdir);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	enum { N = 40 };
	for (int i = 0; i < N; i++) {
		rebound_ledger *l = rebound_ledger_open(
			path, REBOUND_LEDGER_CREATE, err, sizeof(err));
		ck_assert_msg(l != NULL, "%s", err);
		char addr[64], id[64];
		snprintf(addr, sizeof(addr), "r%d@example.org", i);
		snprintf(id, sizeof(id), "<r%d@mx.example>", i);
		rebound_recipient r;
		memset(&r, 0, sizeof(r));
		r.address = addr;
		r.action = REBOUND_ACTION_FAILED;
		r.reason = REBOUND_REASON_USERUNKNOWN;
		r.hard = true;
		rebound_result res;
		memset(&res, 0, sizeof(res));
		res.cls = REBOUND_CLASS_BOUNCE;
		res.rcpt = &r;
		res.nrcpt = 1;
		res.message_id = id;
		rebound_record_context ctx = { .now = T0, .source = "dovecot" };
		rebound_outcome o;
		ck_assert_msg(rebound_ledger_record(l, &p, &res, &ctx, &o, 1, err,
						    sizeof(err)) == 1,
			      "record %d: %s", i, err);
		rebound_ledger_close(l);
	}
	rebound_ledger *l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_check_report r;
	ck_assert_int_eq(rebound_ledger_check(l, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.events, N);
	rebound_ledger_close(l);
}
END_TEST

/* --- db repack --hash-size ---------------------------------------------- */

static void record_address(rebound_ledger *l, const char *address)
{
	char err[512];
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = address;
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	rebound_record_context ctx = { .now = T0, .source = "test" };
	ck_assert_msg(rebound_ledger_record_recipient(l, &p, &r, &ctx, NULL,
						      err, sizeof(err)) == 0,
		      "%s", err);
}

static int count_any(const rebound_entry *e, void *ctx)
{
	(void)e;
	(*(long *)ctx)++;
	return 0;
}

static uint32_t hash_size_of(const char *path)
{
	uint32_t n = 0;
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 36, SEEK_SET), 0);
	ck_assert_int_eq(fread(&n, sizeof(n), 1, f), 1);
	fclose(f);
	return n;
}

/* The records move to a file with the new hash size, and a process that
 * held the old file open before writes its next bounce to the new one. */
START_TEST(rehash_keeps_records_and_writers)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/rehash.tdb", tmpdir);
	rebound_ledger_set_hash_size(101);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	rebound_ledger_set_hash_size(0);
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_uint_eq(hash_size_of(path), 101);
	for (int i = 0; i < 300; i++) {
		char a[64];
		snprintf(a, sizeof(a), "r%d@example.org", i);
		record_address(l, a);
	}
	rebound_ledger_close(l);

	int go[2], done[2];
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* opened before the repack, used after it */
		rebound_ledger *w = rebound_ledger_open(path, 0, err,
							sizeof(err));
		char c;
		if (w == NULL || write(done[1], "o", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		record_address(w, "late@example.org");
		rebound_ledger_close(w);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(done[0], &c, 1), 1);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_msg(rebound_ledger_rehash(l, 1009, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(hash_size_of(path), 1009);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rebound_ledger_close(l);

	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	long n = 0;
	ck_assert_int_eq(rebound_ledger_each_recipient(l, T0, count_any, &n,
						       err, sizeof(err)), 0);
	ck_assert_int_eq(n, 301);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "late@example.org", T0, &e, err,
					    sizeof(err)), 1);
	ck_assert_int_eq(rebound_ledger_get(l, "r299@example.org", T0, &e, err,
					    sizeof(err)), 1);
	rebound_check_report rep;
	ck_assert_int_eq(rebound_ledger_check(l, &rep, err, sizeof(err)), 0);
	rebound_ledger_close(l);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}
END_TEST


/* --- the compact recipient record (format 2) -------------------------- */

/* An interning in memory: texts by their number. */
static char mem_texts[8][512];
static unsigned mem_n;

static uint32_t mem_intern(void *ctx, const char *text)
{
	(void)ctx;
	for (unsigned i = 0; i < mem_n; i++)
		if (strcmp(mem_texts[i], text) == 0)
			return i + 1;
	if (mem_n == 8)
		return 0;
	snprintf(mem_texts[mem_n++], sizeof(mem_texts[0]), "%s", text);
	return mem_n;
}

static int mem_lookup(void *ctx, uint32_t ref, char *out, size_t size)
{
	(void)ctx;
	if (ref == 0 || ref > mem_n)
		return -1;
	snprintf(out, size, "%s", mem_texts[ref - 1]);
	return 0;
}

static int copy_event(const rebound_event *ev, void *ctx)
{
	rebound_event *to = ctx;
	to[to[0].time == 0 ? 0 : 1] = *ev;
	return 0;
}

/* Two recipients of one MX's reply share its text (their addresses
 * placeholders); a record keeps its address in its key, its marks and
 * events, and its last bounce in its last event, and reads back the
 * same. */
START_TEST(compact_entry_round_trip)
{
	static rebound_entry e, d;
	mem_n = 0;
	rebound_texts t = { mem_intern, mem_lookup, NULL };
	e = sample_entry();
	snprintf(e.address, sizeof(e.address), "some.one@example.org");
	snprintf(e.last_diag, sizeof(e.last_diag),
		 "550 5.1.1 <some.one@example.org>: Recipient address "
		 "rejected: User unknown");
	snprintf(e.last_mta, sizeof(e.last_mta), "mx1.long-name.example");
	rebound_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.time = T0 - 10;
	ev.cls = REBOUND_CLASS_BOUNCE;
	ev.action = REBOUND_ACTION_DELAYED;
	snprintf(ev.status, sizeof(ev.status), "4.2.2");
	snprintf(ev.diag, sizeof(ev.diag), "452 4.2.2 mailbox full of mail");
	ck_assert(rebound_entry_add_event(&e, &ev, &t));
	/* The last bounce, as the record holds it. */
	ev.time = e.last_time;
	ev.action = e.last_action;
	ev.reason = e.last_reason;
	ev.hard = e.last_hard;
	snprintf(ev.status, sizeof(ev.status), "%s", e.last_status);
	snprintf(ev.reply, sizeof(ev.reply), "%s", e.last_reply);
	snprintf(ev.diag, sizeof(ev.diag), "%s", e.last_diag);
	snprintf(ev.mta, sizeof(ev.mta), "%s", e.last_mta);
	snprintf(ev.sender_domain, sizeof(ev.sender_domain), "%s",
		 e.last_sender_domain);
	ck_assert(rebound_entry_add_event(&e, &ev, &t));
	e.nseen = 1;
	e.seen[0].time = T0;
	memset(e.seen[0].fp, 0xab, REBOUND_MARK_LEN);

	const char *key = "r:some.one@example.org";
	rebound_buf b = { 0 };
	rebound_entry_encode_compact(&b, &e, key, &t);
	ck_assert(!b.failed);
	ck_assert_int_eq(b.p[2], REBOUND_RECORD_VERSION_COMPACT);
	ck_assert_ptr_null(memmem(b.p, b.len, "some.one", 8));
	ck_assert_ptr_null(memmem(b.p, b.len, "Recipient", 9));
	/* The last bounce's fields are its last event's, kept once. */
	const unsigned char *st = memmem(b.p, b.len, "5.1.1", 5);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_null(memmem(st + 5, b.len - (size_t)(st + 5 - b.p),
				  "5.1.1", 5));
	char err[100];
	ck_assert_msg(rebound_entry_decode_at(&d, b.p, b.len, key, strlen(key),
					      &t, err, sizeof(err)) == 0,
		      "%s", err);
	assert_same_entry(&e, &d);
	ck_assert_str_eq(d.last_mta, e.last_mta);
	ck_assert_uint_eq(d.nseen, 1);
	ck_assert(d.seen[0].time == T0);
	ck_assert_int_eq(d.seen[0].fp[REBOUND_MARK_LEN - 1], 0xab);
	rebound_event got[2];
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(rebound_entry_each_event(&d, &t, copy_event, got,
						  err, sizeof(err)), 2);
	ck_assert(got[0].time == T0 - 10);
	ck_assert_str_eq(got[0].address, "some.one@example.org");
	ck_assert_str_eq(got[0].diag, "452 4.2.2 mailbox full of mail");
	ck_assert_str_eq(got[1].diag, e.last_diag);
	/* Without its texts, a lookup still has the state. */
	ck_assert_int_eq(rebound_entry_decode_at(&d, b.p, b.len, key,
						 strlen(key), NULL, err,
						 sizeof(err)), 0);
	ck_assert_int_eq(d.state, e.state);
	ck_assert_str_eq(d.last_diag, "");
	/* Another recipient of the same MX: the same text, no new one. */
	unsigned texts = mem_n;
	rebound_entry o = sample_entry();
	snprintf(o.address, sizeof(o.address), "x@example.org");
	snprintf(o.last_diag, sizeof(o.last_diag),
		 "550 5.1.1 <x@example.org>: Recipient address rejected: "
		 "User unknown");
	snprintf(o.last_mta, sizeof(o.last_mta), "mx1.long-name.example");
	rebound_buf b2 = { 0 };
	rebound_entry_encode_compact(&b2, &o, "r:x@example.org", &t);
	ck_assert_uint_eq(mem_n, texts);
	ck_assert_int_eq(rebound_entry_decode_at(&d, b2.p, b2.len,
						 "r:x@example.org", 15, &t, err,
						 sizeof(err)), 0);
	ck_assert_str_eq(d.last_diag, o.last_diag);
	/* A missing text is an error, not an empty diagnostic. */
	mem_n = 0;
	ck_assert_int_eq(rebound_entry_decode_at(&d, b2.p, b2.len,
						 "r:x@example.org", 15, &t, err,
						 sizeof(err)), -1);
	/* Prune drops what is older. */
	mem_n = texts;
	ck_assert_int_eq(rebound_entry_decode_at(&d, b.p, b.len, key,
						 strlen(key), &t, err,
						 sizeof(err)), 0);
	unsigned long evs = 0, marks = 0;
	rebound_entry_prune(&d, T0 - 5, &evs, &marks);
	ck_assert_uint_eq(evs, 1);
	ck_assert_uint_eq(marks, 0);
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(rebound_entry_each_event(&d, &t, copy_event, got,
						  err, sizeof(err)), 1);
	ck_assert(got[0].time == T0);
	rebound_buf_free(&b);
	rebound_buf_free(&b2);
}
END_TEST

static int count_event(const rebound_event *ev, void *ctx)
{
	(void)ev;
	(*(long *)ctx)++;
	return 0;
}

static long keys_with(const char *path, char prefix)
{
	struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDONLY, 0);
	ck_assert_ptr_nonnull(t);
	long n = 0;
	for (TDB_DATA k = tdb_firstkey(t); k.dptr != NULL;) {
		if (k.dsize > 1 && k.dptr[0] == prefix && k.dptr[1] == ':')
			n++;
		TDB_DATA next = tdb_nextkey(t, k);
		free(k.dptr);
		k = next;
	}
	tdb_close(t);
	return n;
}

static int record_notice_of(rebound_ledger *l, const char *address,
			    const char *msgid, int64_t when)
{
	char err[512], diag[256];
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	snprintf(diag, sizeof(diag), "550 5.1.1 <%s>: Recipient address "
		 "rejected: User unknown in virtual mailbox table", address);
	rebound_recipient r;
	memset(&r, 0, sizeof(r));
	r.address = address;
	r.action = REBOUND_ACTION_FAILED;
	r.reason = REBOUND_REASON_USERUNKNOWN;
	r.hard = true;
	snprintf(r.status, sizeof(r.status), "5.1.1");
	r.diagnostic = diag;
	r.remote_mta = "mx.domain.example";
	rebound_result res;
	memset(&res, 0, sizeof(res));
	res.cls = REBOUND_CLASS_BOUNCE;
	res.rcpt = &r;
	res.nrcpt = 1;
	res.message_id = msgid;
	res.sender_domain = "sender.example";
	rebound_record_context ctx = { .now = when, .source = "test" };
	rebound_outcome o;
	int n = rebound_ledger_record(l, &p, &res, &ctx, &o, 1, err,
				      sizeof(err));
	ck_assert_msg(n == 1, "%s", err);
	return o.duplicate ? 1 : 0;
}

/* A notice for one recipient is one record: no e: event and no d:
 * marker of its own; the diagnostic is one text for all the MX's
 * recipients; the same notice again is seen before; prune drops the
 * kept events and marks, and sweeps texts nobody uses any more. */
START_TEST(one_record_per_recipient)
{
	make_tmpdir();
	char path[300], err[512];
	snprintf(path, sizeof(path), "%s/compact.tdb", tmpdir);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_int_eq(record_notice_of(l, "a@one.example", "<m1@x>", T0), 0);
	ck_assert_int_eq(record_notice_of(l, "b@two.example", "<m2@x>", T0), 0);
	ck_assert_int_eq(record_notice_of(l, "a@one.example", "<m1@x>", T0), 1);
	rebound_ledger_close(l);	/* a process opens a file once */
	ck_assert_int_eq(keys_with(path, 'e'), 0);
	ck_assert_int_eq(keys_with(path, 'd'), 0);
	/* The reply's text, the MX's name, the sender domain. */
	ck_assert_int_eq(keys_with(path, 't'), 3);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	long evs = 0;
	ck_assert_int_eq(rebound_ledger_each_event(l, count_event, &evs, err,
						   sizeof(err)), 0);
	ck_assert_int_eq(evs, 2);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "b@two.example", T0, &e, err,
					    sizeof(err)), 1);
	ck_assert_str_eq(e.last_diag, "550 5.1.1 <b@two.example>: Recipient "
		 "address rejected: User unknown in virtual mailbox table");
	ck_assert_str_eq(e.last_mta, "mx.domain.example");
	ck_assert_str_eq(e.last_sender_domain, "sender.example");
	/* A text that no record uses any more goes at the next prune. */
	rebound_ledger_close(l);
	struct tdb_context *t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
	ck_assert_ptr_nonnull(t);
	const char *lost = "rb\x20t\x01\x0dunused text!!";
	TDB_DATA k = { (unsigned char *)"t:00000001", 10 };
	TDB_DATA v = { (unsigned char *)lost, strlen(lost) };
	ck_assert_int_eq(tdb_store(t, k, v, TDB_REPLACE), 0);
	tdb_close(t);
	ck_assert_int_eq(keys_with(path, 't'), 4);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	unsigned long pe = 0, pm = 0;
	ck_assert_int_eq(rebound_ledger_prune(l, T0 + 1, &pe, &pm, err,
					      sizeof(err)), 0);
	ck_assert_uint_eq(pe, 2);
	ck_assert_uint_eq(pm, 2);
	rebound_ledger_close(l);
	ck_assert_int_eq(keys_with(path, 't'), 3);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	evs = 0;
	ck_assert_int_eq(rebound_ledger_each_event(l, count_event, &evs, err,
						   sizeof(err)), 0);
	ck_assert_int_eq(evs, 0);
	/* The record keeps its state and its texts. */
	ck_assert_int_eq(rebound_ledger_get(l, "a@one.example", T0, &e, err,
					    sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
	ck_assert_str_eq(e.last_diag, "550 5.1.1 <a@one.example>: Recipient "
		 "address rejected: User unknown in virtual mailbox table");
	rebound_check_report r;
	ck_assert_int_eq(rebound_ledger_check(l, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.recipients, 2);
	rebound_ledger_close(l);
	remove_tmpdir();
}
END_TEST

/* --- batches (batch_ms) ---------------------------------------------------- */

/* Spool notice i (a hard bounce for r<i>@batch<i>.example, Message-ID
 * <b<i>@mx.example>) for the ledger at path, as a module that batches. */
static void queue_notice(const char *path, int i)
{
	char addr[64], id[64], err[512];
	snprintf(addr, sizeof(addr), "r%d@batch%d.example", i, i);
	snprintf(id, sizeof(id), "<b%d@mx.example>", i);
	rebound_recipient r = spool_rcpt;
	r.address = addr;
	rebound_result res = spool_result(id);
	res.rcpt = &r;
	rebound_record_context ctx = { .now = T0 + i, .source = "exim" };
	ck_assert_msg(rebound_ledger_queue(path, &res, &ctx, i % 2 == 0, err,
					   sizeof(err)) == 0, "%s", err);
}

static rebound_ledger *batch_ledger(const char *name, char *path,
				    size_t size)
{
	char err[512];
	snprintf(path, size, "%s/%s", tmpdir, name);
	rebound_ledger *l = rebound_ledger_open(path, REBOUND_LEDGER_CREATE,
						err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	return l;
}

/* Many spooled notices are recorded in one transaction, each once: a
 * notice spooled twice is counted once, a damaged file is set aside and
 * holds up nothing. */
START_TEST(batch_replay_one_transaction)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("batch.tdb", path, sizeof(path));
	for (int i = 0; i < 50; i++)
		queue_notice(path, i);
	queue_notice(path, 7);		/* the same notice again */
	char junk[500];
	snprintf(junk, sizeof(junk), "%s.spool/00000000001.000000-1-1.rbq",
		 path);
	FILE *f = fopen(junk, "w");
	ck_assert_ptr_nonnull(f);
	fputs("rb\x10qgarbage", f);
	fclose(f);
	unsigned long waiting, badf;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 52);
	ck_assert_int_eq(events_of(l), 0);	/* spooled: not recorded */

	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	ck_assert_msg(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(st.replayed, 51);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(st.bad, 1);
	ck_assert_uint_eq(st.left, 0);
	ck_assert_uint_eq(st.commits, 1);	/* one transaction */
	ck_assert_int_eq(events_of(l), 50);	/* each counted once */
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_uint_eq(badf, 1);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "r49@batch49.example", T0, &e,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
	ck_assert_int_eq(e.last_seen, T0 + 49);	/* the time it was seen */

	/* Replayed again (a replayer killed after its commit, before it
	   removed the files): still counted once. */
	for (int i = 0; i < 3; i++)
		queue_notice(path, i);
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, 3);
	ck_assert_uint_eq(st.duplicates, 3);
	ck_assert_int_eq(events_of(l), 50);
	rebound_ledger_close(l);
}
END_TEST

/* A batch is bounded (REBOUND_SPOOL_BATCH_MAX notices), so that one
 * transaction stays short; max_files still counts notices. */
START_TEST(batch_replay_bounded)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("bounded.tdb", path, sizeof(path));
	int n = 2 * (int)REBOUND_SPOOL_BATCH_MAX + 50;
	for (int i = 0; i < n; i++)
		queue_notice(path, i);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 30, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, 30);
	ck_assert_uint_eq(st.commits, 1);
	ck_assert_uint_eq(st.left, (unsigned long)n - 30);
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, (unsigned long)n - 30);
	ck_assert_uint_eq(st.commits, 3);	/* 200, 200, 20 */
	ck_assert_int_eq(events_of(l), n);
	rebound_ledger_close(l);
}
END_TEST

/* A module reads the spool directory once for its notice and the due
 * check after it (a read of a big spool directory was a notable part of
 * a notice's cost), and what it read is kept briefly: the due check
 * right after a write answers from the write's read, a read older than
 * a tenth of a second is done again, and this process's own replay makes
 * it read again at once. */
START_TEST(spool_read_once_and_kept_briefly)
{
	char path[400], err[512], dir[500], away[520];
	rebound_ledger *l = batch_ledger("scan.tdb", path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s.spool", path);
	snprintf(away, sizeof(away), "%s.away", path);
	unsigned wait;

	queue_notice(path, 1);
	/* The directory gone: the write's read still answers. */
	ck_assert_int_eq(rename(dir, away), 0);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 0, &wait), 1);
	usleep(150 * 1000);
	/* Read again: no spool, nothing waits. */
	ck_assert_int_eq(rebound_ledger_batch_due(path, 0, &wait), 0);
	ck_assert_uint_eq(wait, UINT_MAX);
	ck_assert_int_eq(rename(away, dir), 0);

	queue_notice(path, 2);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 0, &wait), 1);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, 2);
	/* Recorded by this process: nothing is due, at once. */
	ck_assert_int_eq(rebound_ledger_batch_due(path, 0, &wait), 0);
	ck_assert_uint_eq(wait, UINT_MAX);
	rebound_ledger_close(l);
}
END_TEST

/* What a replay tells its caller about each notice, once the batch is
 * committed: a module logs from it what became of notices it queued
 * with state=queued. */
typedef struct told {
	int calls;
	char address[8][320];
	rebound_state state[8];
	bool duplicate[8];
	int64_t seen[8];
} told;

static void tell(void *arg, const rebound_result *res,
		 const rebound_record_context *ctx, const rebound_outcome *out,
		 size_t nout)
{
	told *t = arg;
	ck_assert_uint_eq(nout, res->nrcpt);
	ck_assert_int_lt(t->calls, 8);
	snprintf(t->address[t->calls], sizeof(t->address[0]), "%s",
		 out[0].address);
	t->state[t->calls] = out[0].state;
	t->duplicate[t->calls] = out[0].duplicate;
	t->seen[t->calls] = ctx->now;
	t->calls++;
}

START_TEST(replay_tells_each_recorded_notice)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("told.tdb", path, sizeof(path));
	queue_notice(path, 1);
	queue_notice(path, 2);
	queue_notice(path, 2);		/* the same notice again */
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	told t = { 0 };
	ck_assert_msg(rebound_ledger_replay_report(l, &p, 0, 0, tell, &t, &st,
						   err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(st.replayed, 3);
	ck_assert_int_eq(t.calls, 3);
	int first = 0, again = 0;
	for (int i = 0; i < 3; i++) {
		/* a user-unknown hard bounce: suppressed at once */
		ck_assert_int_eq(t.state[i], REBOUND_STATE_SUPPRESSED);
		bool two = strcmp(t.address[i], "r2@batch2.example") == 0;
		ck_assert_msg(two || strcmp(t.address[i],
					    "r1@batch1.example") == 0,
			      "told about %s", t.address[i]);
		ck_assert_int_eq(t.seen[i], T0 + (two ? 2 : 1));
		if (two && t.duplicate[i])
			again++;
		else if (two)
			first++;
		else
			ck_assert(!t.duplicate[i]);
	}
	ck_assert_int_eq(first, 1);
	ck_assert_int_eq(again, 1);
	/* Nothing left, nothing told twice. */
	ck_assert_int_eq(rebound_ledger_replay_report(l, &p, 0, 0, tell, &t,
						      &st, err, sizeof(err)),
			 0);
	ck_assert_int_eq(t.calls, 3);
	rebound_ledger_close(l);
}
END_TEST

/* The files of recorded notices: how many wait as free files
 * (".free-*") in the spool of path, and their inode numbers. */
static size_t free_files(const char *path, ino_t *inos, size_t max)
{
	char dir[500];
	snprintf(dir, sizeof(dir), "%s.spool", path);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".free-", 6) == 0) {
			/* not a waiting notice to `find -name '*.rbq'` */
			ck_assert_ptr_null(strstr(de->d_name, ".rbq"));
			if (n < max)
				inos[n] = de->d_ino;
			n++;
		}
	closedir(d);
	return n;
}

/* A recorded notice's file is kept (hidden, at most
 * REBOUND_SPOOL_BATCH_MAX) and the next notice is written into it, not
 * into a new inode (a new inode is what costs on ext4 without a
 * journal); the reused file carries the new notice only. */
START_TEST(batch_reuses_spool_files)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("reuse.tdb", path, sizeof(path));
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	for (int i = 0; i < 30; i++)
		queue_notice(path, 1000 + i);	/* longer than those below */
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, 30);
	ino_t freed[64], now[64];
	ck_assert_uint_eq(free_files(path, freed, 64), 30);
	unsigned long waiting, badf;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_uint_eq(badf, 0);

	for (int i = 0; i < 30; i++)
		queue_notice(path, i);
	ck_assert_uint_eq(free_files(path, now, 64), 0);	/* all taken */
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 30);
	char dir[500];
	snprintf(dir, sizeof(dir), "%s.spool", path);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	int reused = 0;
	while ((de = readdir(d)) != NULL)
		for (int k = 0; k < 30; k++)
			if (strstr(de->d_name, ".rbq") != NULL &&
			    de->d_ino == freed[k])
				reused++;
	closedir(d);
	ck_assert_int_eq(reused, 30);
	ck_assert_msg(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(st.replayed, 30);
	ck_assert_uint_eq(st.bad, 0);
	ck_assert_uint_eq(st.duplicates, 0);
	ck_assert_int_eq(events_of(l), 60);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "r29@batch29.example", T0, &e,
					    err, sizeof(err)), 1);
	ck_assert_int_eq(e.last_seen, T0 + 29);

	/* At most a batch's worth is kept. */
	int n = (int)REBOUND_SPOOL_BATCH_MAX + 40;
	for (int i = 0; i < n; i++)
		queue_notice(path, 2000 + i);
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(st.replayed, (unsigned long)n);
	ck_assert_uint_eq(free_files(path, now, 64), REBOUND_SPOOL_BATCH_MAX);
	rebound_ledger_close(l);
}
END_TEST

/* A batch that cannot be committed (the ledger locked) leaves every file
 * of it in the spool; the next replay records them all. */
START_TEST(batch_failed_commit_keeps_files)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("locked.tdb", path, sizeof(path));
	rebound_ledger_close(l);	/* tdb: one open per process, forks too */
	for (int i = 0; i < 20; i++)
		queue_notice(path, i);
	pid_t holder = hold_lock(path);
	l = rebound_ledger_open(path, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	rebound_policy p;
	rebound_policy_preset(&p, "default");
	rebound_replay_stats st;
	rebound_ledger_set_lock_wait(50);
	ck_assert_int_eq(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					       sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "locked by another process"));
	ck_assert_uint_eq(st.replayed, 0);
	ck_assert_uint_eq(st.commits, 0);
	unsigned long waiting;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, 20);
	release_lock(holder);
	ck_assert_msg(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(st.replayed, 20);
	ck_assert_uint_eq(st.commits, 1);
	ck_assert_int_eq(events_of(l), 20);
	rebound_ledger_set_lock_wait(0);
	rebound_ledger_close(l);
}
END_TEST

/* A batched notice is recorded under the policy of the module that
 * queued it (Exim's acl_m_rebound_ variables, a Dovecot user's
 * settings), not the replayer's: queued with hard_limit 3, one hard
 * bounce leaves the address soft though the replayer would suppress. */
START_TEST(batch_keeps_the_queuing_policy)
{
	char path[400], err[512];
	rebound_ledger *l = batch_ledger("policy.tdb", path, sizeof(path));
	rebound_policy lenient;
	rebound_policy_preset(&lenient, "default");
	lenient.hard_limit = 3;
	lenient.campaign_max_rate = 0.125;
	rebound_recipient r = spool_rcpt;
	r.address = "lenient@policy.example";
	rebound_result res = spool_result("<p1@mx.example>");
	res.rcpt = &r;
	rebound_record_context ctx = { .now = T0, .source = "exim",
				       .policy = &lenient };
	ck_assert_msg(rebound_ledger_queue(path, &res, &ctx, false, err,
					   sizeof(err)) == 0, "%s", err);
	/* And one queued without a policy: the replayer's applies. */
	r.address = "strict@policy.example";
	res.message_id = "<p2@mx.example>";
	ctx.policy = NULL;
	ck_assert_msg(rebound_ledger_queue(path, &res, &ctx, false, err,
					   sizeof(err)) == 0, "%s", err);

	rebound_policy p;
	rebound_policy_preset(&p, "default");
	ck_assert_uint_eq(p.hard_limit, 1);
	rebound_replay_stats st;
	ck_assert_msg(rebound_ledger_replay(l, &p, 0, 0, &st, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(st.replayed, 2);
	rebound_entry e;
	ck_assert_int_eq(rebound_ledger_get(l, "lenient@policy.example", T0,
					    &e, err, sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SOFT);
	ck_assert_int_eq(rebound_ledger_get(l, "strict@policy.example", T0,
					    &e, err, sizeof(err)), 1);
	ck_assert_int_eq(e.state, REBOUND_STATE_SUPPRESSED);
	rebound_ledger_close(l);
}
END_TEST

/* The policy as settings text: written and read back the same; read
 * with the configuration's names and bounds (a hostile spool file gets
 * no more than rebound.conf could say). */
START_TEST(policy_text_round_trip)
{
	rebound_policy p, q;
	char text[REBOUND_POLICY_TEXT_MAX], err[200];
	rebound_policy_preset(&p, "marketo");
	p.soft_limit = 4;
	p.suspect_burst_count = 9;
	p.campaign_max_rate = 0.0375;
	int n = rebound_policy_write(&p, text, sizeof(text));
	ck_assert_int_gt(n, 0);
	rebound_policy_preset(&q, "default");
	ck_assert_msg(rebound_policy_read(&q, text, (size_t)n, err,
					  sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(q.preset, "marketo");
	ck_assert_uint_eq(q.soft_limit, 4);
	ck_assert_uint_eq(q.suspect_burst_count, 9);
	ck_assert_uint_eq(q.hard_limit, p.hard_limit);
	ck_assert_uint_eq(q.block_suspend_hours, p.block_suspend_hours);
	ck_assert(q.campaign_max_rate > 0.03749 && q.campaign_max_rate < 0.03751);
	ck_assert_int_eq(rebound_policy_write(&p, text, 40), -1);

	const char *bad[] = {
		"suspect_burst_count=100000\n",	/* above its bound */
		"db_path=/tmp/elsewhere\n",		/* not a policy */
		"soft_limit\n",
		"policy=nonesuch\n",
	};
	rebound_policy before;
	rebound_policy_preset(&before, "default");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		q = before;
		ck_assert_msg(rebound_policy_read(&q, bad[i], strlen(bad[i]),
						  err, sizeof(err)) == -1,
			      "%s read", bad[i]);
		ck_assert(memcmp(&q, &before, sizeof(q)) == 0); /* unchanged */
	}
	/* A NUL inside a line. */
	ck_assert_int_eq(rebound_policy_read(&q, "soft_limit=3\0x\n", 15, err,
					     sizeof(err)), -1);

	/* In a spool file: kept; one that does not read leaves the notice
	   whole, without a policy of its own. */
	rebound_result res = spool_result("<pol@mx.example>");
	rebound_record_context ctx = { .now = T0, .source = "exim",
				       .policy = &p };
	rebound_buf b = { 0 };
	rebound_spool_encode(&b, &res, &ctx);
	rebound_spooled sp;
	char why[100];
	ck_assert_int_eq(rebound_spool_decode(&sp, b.p, b.len, why,
					      sizeof(why)), 0);
	ck_assert_ptr_eq(sp.ctx.policy, &sp.policy);
	ck_assert_uint_eq(sp.policy.soft_limit, 4);
	rebound_spooled_free(&sp);
	char *at = memmem(b.p, b.len, "soft_limit=4", 12);
	ck_assert_ptr_nonnull(at);
	memcpy(at, "soft_limit=x", 12);
	ck_assert_int_eq(rebound_spool_decode(&sp, b.p, b.len, why,
					      sizeof(why)), 0);
	ck_assert_ptr_null(sp.ctx.policy);
	ck_assert_uint_eq(sp.res.nrcpt, 1);
	rebound_spooled_free(&sp);
	rebound_buf_free(&b);
}
END_TEST

/* A ledger that refuses the notices of some recipients (by number) and
 * records the others, counting what it took: the spool's replay as the
 * ledger drives it, without the ledger. */
typedef struct refusing_ledger {
	unsigned refuse_mask;		/* bit i: refuse r<i>@ */
	unsigned recorded[32];		/* per recipient, committed */
	unsigned pending[32];		/* in the open transaction */
	unsigned commits;
} refusing_ledger;

static int refusing_begin(void *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	refusing_ledger *r = p;
	memset(r->pending, 0, sizeof(r->pending));
	return 0;
}

static int refusing_record(void *p, const rebound_result *res,
			   const rebound_record_context *ctx,
			   rebound_outcome *out, size_t nout, char *err,
			   size_t errlen)
{
	(void)ctx;
	(void)out;
	(void)nout;
	refusing_ledger *r = p;
	int i = atoi(res->rcpt[0].address + 1);
	ck_assert(i >= 0 && i < 32);
	if (r->refuse_mask & (1u << i)) {
		snprintf(err, errlen, "refused r%d", i);
		return -1;
	}
	r->pending[i]++;
	return 0;
}

static int refusing_commit(void *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	refusing_ledger *r = p;
	for (int i = 0; i < 32; i++)
		r->recorded[i] += r->pending[i];
	r->commits++;
	return 0;
}

static void refusing_cancel(void *p)
{
	refusing_ledger *r = p;
	memset(r->pending, 0, sizeof(r->pending));
}

/* A notice the ledger refuses while it takes the others holds up none of
 * them (the first of a batch, and one in the middle): they are recorded
 * at the first replay; the refused ones wait behind later notices and
 * are set aside as *.bad after REBOUND_SPOOL_TRIES refusals. */
START_TEST(batch_refused_notice_holds_up_nothing)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/refused.tdb", tmpdir);
	for (int i = 0; i < 10; i++)
		queue_notice(path, i);
	refusing_ledger r = { .refuse_mask = (1u << 0) | (1u << 5) };
	const rebound_spool_ops ops = { refusing_begin, refusing_record,
					refusing_commit, refusing_cancel, NULL };
	rebound_replay_stats st;
	ck_assert_int_eq(rebound_spool_replay(path, &ops, &r, 0, 0, false, &st,
					      err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "refused r0"));
	for (int i = 1; i < 10; i++)
		ck_assert_msg(r.recorded[i] == (i == 5 ? 0u : 1u),
			      "r%d recorded %u times", i, r.recorded[i]);
	ck_assert_uint_eq(r.commits, 1);
	unsigned long waiting, badf;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 2);
	ck_assert_uint_eq(badf, 0);

	/* Behind a later notice now. */
	queue_notice(path, 9);
	ck_assert_int_eq(rebound_spool_replay(path, &ops, &r, 0, 0, false, &st,
					      err, sizeof(err)), -1);
	ck_assert_uint_eq(r.recorded[9], 2);

	/* Refused again and again (each time behind one more notice): set
	   aside at the last try, kept, the reason said. */
	for (unsigned t = 2; t < REBOUND_SPOOL_TRIES; t++) {
		queue_notice(path, 7);
		rebound_spool_replay(path, &ops, &r, 0, 0, false, &st, err,
				     sizeof(err));
	}
	ck_assert_uint_eq(st.bad, 2);
	ck_assert_ptr_nonnull(strstr(st.first_bad, "refused 5 times"));
	ck_assert_int_eq(rebound_spool_count(path, &waiting, &badf), 0);
	ck_assert_uint_eq(waiting, 0);
	ck_assert_uint_eq(badf, 2);
	ck_assert_uint_eq(r.recorded[0], 0);
	ck_assert_uint_eq(r.recorded[5], 0);
	ck_assert_uint_eq(r.recorded[7], 1 + REBOUND_SPOOL_TRIES - 2);
}
END_TEST

/* batch_ms: batches by default, 0 turns them off, bounded. */
START_TEST(config_batch_ms)
{
	rebound_config c;
	char err[200];
	rebound_config_defaults(&c);
	ck_assert_uint_eq(c.batch_ms, REBOUND_BATCH_MS_DEFAULT);
	ck_assert_uint_gt(c.batch_ms, 0);
	ck_assert_int_eq(rebound_config_set(&c, "batch_ms", "0", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(c.batch_ms, 0);
	ck_assert_int_eq(rebound_config_set(&c, "batch_ms", "250", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(c.batch_ms, 250);
	ck_assert_int_eq(rebound_config_set(&c, "batch_ms", "60001", err,
					    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "batch_ms"));
	ck_assert_int_eq(rebound_config_set(&c, "batch_ms", "-1", err,
					    sizeof(err)), -1);
	ck_assert_uint_eq(c.batch_ms, 250);
}
END_TEST

/* When a batch is due: the oldest notice batch_ms old, or a full batch
 * waiting; before that, how long until it is. */
START_TEST(batch_due)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/due.tdb", tmpdir);
	unsigned wait;
	ck_assert_int_eq(rebound_ledger_batch_due(path, 1000, &wait), 0);
	ck_assert_uint_eq(wait, UINT_MAX);	/* nothing waits */
	queue_notice(path, 0);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 60000, &wait), 0);
	ck_assert_uint_gt(wait, 50000);
	ck_assert_uint_le(wait, 60000);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 0, &wait), 1);
	struct timespec ts = { 0, 30 * 1000000 };
	nanosleep(&ts, NULL);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 20, &wait), 1);
	for (int i = 1; i < (int)REBOUND_SPOOL_BATCH_MAX; i++)
		queue_notice(path, i);
	ck_assert_int_eq(rebound_ledger_batch_due(path, 60000, &wait), 1);
	/* Ordinary mail is not spooled. */
	rebound_result plain;
	memset(&plain, 0, sizeof(plain));
	plain.cls = REBOUND_CLASS_NOT_BOUNCE;
	rebound_record_context ctx = { .now = T0, .source = "exim" };
	char err[200];
	ck_assert_int_eq(rebound_ledger_queue(path, &plain, &ctx, true, err,
					      sizeof(err)), 0);
	unsigned long waiting;
	ck_assert_int_eq(rebound_spool_count(path, &waiting, NULL), 0);
	ck_assert_uint_eq(waiting, REBOUND_SPOOL_BATCH_MAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("records");
	tcase_add_test(tc, entry_round_trip);
	tcase_add_test(tc, entry_without_why_reads);
	tcase_add_test(tc, domain_round_trip);
	tcase_add_test(tc, known_bytes_decode);
	tcase_add_test(tc, unknown_fields_kept);
	tcase_add_test(tc, truncated_records);
	tcase_add_test(tc, bad_records);
	tcase_add_test(tc, campaign_round_trip);
	tcase_add_test(tc, compact_entry_round_trip);
	tcase_add_test(tc, one_record_per_recipient);
	tcase_add_test(tc, times);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, config_defaults_and_file);
	tcase_add_test(tc, config_errors);
	tcase_add_test(tc, concurrent_writers_lose_nothing);
	tcase_add_test(tc, killed_writer_leaves_clean_ledger);
	tcase_add_test(tc, damaged_file);
	tcase_add_test(tc, killed_in_commit_after_growing);
	tcase_add_test(tc, layout_scan_tells_damage);
	tcase_add_test(tc, spool_round_trip);
	tcase_add_test(tc, spool_limits);
	tcase_add_test(tc, locked_notice_spooled_and_replayed_once);
	tcase_add_test(tc, next_writer_replays_spool);
	tcase_add_test(tc, batch_replay_one_transaction);
	tcase_add_test(tc, batch_replay_bounded);
	tcase_add_test(tc, batch_failed_commit_keeps_files);
	tcase_add_test(tc, batch_reuses_spool_files);
	tcase_add_test(tc, spool_read_once_and_kept_briefly);
	tcase_add_test(tc, replay_tells_each_recorded_notice);
	tcase_add_test(tc, batch_refused_notice_holds_up_nothing);
	tcase_add_test(tc, batch_keeps_the_queuing_policy);
	tcase_add_test(tc, locked_notice_keeps_its_policy);
	tcase_add_test(tc, policy_text_round_trip);
	tcase_add_test(tc, batch_due);
	tcase_add_test(tc, config_batch_ms);
	tcase_add_test(tc, whole_file_lock_never_holds_a_module);
	tcase_add_test(tc, command_does_not_spool);
	tcase_add_test(tc, reopen_per_record_same_second);
	tcase_add_test(tc, rehash_keeps_records_and_writers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
