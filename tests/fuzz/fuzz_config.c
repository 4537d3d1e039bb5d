/* fuzz_config.c - libFuzzer target for the configuration parser.
 *
 * rebound.conf is written by an administrator, but a module reads it in
 * every Exim and Dovecot process, and per-call settings come from Exim's
 * acl_m_ variables and Dovecot's userdb.  The input is read as a whole
 * file through rebound_config_load() (from a memory file, so nothing
 * touches the disk), and its first line is also split at '=' and given to
 * rebound_config_set() as one key and value.  The whole input is also
 * read as the policy text a batched notice keeps in the spool
 * (rebound_policy_read: a spool file is written by a module, read by
 * whoever replays it).  Every string field of the
 * result must stay NUL-terminated inside its array.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ledger/config.h"
#include "ledger/ledger-record.h"
#include "ledger/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const rebound_config *c)
{
	if (memchr(c->db_path, '\0', sizeof(c->db_path)) == NULL ||
	    memchr(c->campaign_header, '\0', sizeof(c->campaign_header)) == NULL ||
	    memchr(c->verp_format, '\0', sizeof(c->verp_format)) == NULL ||
	    memchr(c->verp_secret_file, '\0', sizeof(c->verp_secret_file)) == NULL ||
	    memchr(c->policy.preset, '\0', sizeof(c->policy.preset)) == NULL)
		__builtin_trap();
}

/* The policy numbers as the ledger uses them: a few bounces of each
 * kind for one recipient and one campaign. */
static void use_policy(const rebound_policy *p)
{
	static const rebound_observation obs[] = {
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_USERUNKNOWN, .hard = true,
		  .sender_domain = "a.example" },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_USERUNKNOWN, .hard = true,
		  .sender_domain = "b.example", .suspect = true },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_SPAMDETECTED },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_FAILED,
		  .reason = REBOUND_REASON_MAILBOXFULL },
		{ .cls = REBOUND_CLASS_BOUNCE, .action = REBOUND_ACTION_DELAYED,
		  .reason = REBOUND_REASON_EXPIRED },
		{ .cls = REBOUND_CLASS_DELIVERED,
		  .action = REBOUND_ACTION_DELIVERED },
	};
	static rebound_entry e;
	rebound_campaign camp;
	int64_t now = 1772366400;

	memset(&e, 0, sizeof(e));
	memset(&camp, 0, sizeof(camp));
	strcpy(e.address, "alice@example.org");
	strcpy(camp.name, "c1");
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++) {
			rebound_entry_apply(&e, p, &obs[i], now);
			rebound_entry_may_send(&e, now);
			camp.sent += 40;
			rebound_campaign_bounce(&camp, p, obs[i].hard, now);
			now += 3600 * 30;
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	rebound_config c;
	char err[1200];

	if (fd < 0) {
		fd = memfd_create("rebound-fuzz.conf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	rebound_config_defaults(&c);
	err[0] = '\0';
	if (rebound_config_load(&c, path, false, err, sizeof(err)) != 0 &&
	    err[0] == '\0')
		__builtin_trap();	/* an error always comes with a message */
	check(&c);
	use_policy(&c.policy);

	/* The first line as one setting. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line = nl != NULL ? (size_t)(nl - data) : size;
	char *s = malloc(line + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, line);
	s[line] = '\0';
	char *eq = strchr(s, '=');
	if (eq != NULL) {
		*eq = '\0';
		rebound_config_defaults(&c);
		err[0] = '\0';
		if (rebound_config_set(&c, s, eq + 1, err, sizeof(err)) != 0 &&
		    err[0] == '\0')
			__builtin_trap();
		check(&c);
	}
	free(s);

	/* The whole input as the policy text a batched notice keeps
	   (config.h): a policy that reads is used, and written and read
	   back gives the same numbers. */
	rebound_policy p, q;
	rebound_policy_preset(&p, "default");
	err[0] = '\0';
	if (rebound_policy_read(&p, (const char *)data, size, err,
				sizeof(err)) == 0) {
		c.policy = p;
		check(&c);
		use_policy(&p);
		char text[REBOUND_POLICY_TEXT_MAX];
		int n = rebound_policy_write(&p, text, sizeof(text));
		rebound_policy_preset(&q, "default");
		if (n <= 0 || rebound_policy_read(&q, text, (size_t)n, err,
						  sizeof(err)) != 0 ||
		    q.soft_limit != p.soft_limit ||
		    q.suspect_burst_count != p.suspect_burst_count ||
		    q.hard_limit != p.hard_limit ||
		    strcmp(q.preset, p.preset) != 0)
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
