/* cmd_record.c - `rebound record`: classify messages and record them in
 * the ledger (import an existing bounce mailbox, or feed one by hand). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "classify/classify.h"
#include "cmd_util.h"
#include "inputs.h"
#include "admin/admin.h"
#include "term.h"

typedef struct run {
	cli_env env;
	rebound_arena *arena;
	rebound_classify_options opts;
	/* require_signed_verp: the secret, and --to (NULL: the headers) */
	bool signed_only;
	rebound_verp_key key;
	const char *to;
	bool json, quiet, failed;
	int errors;
	unsigned long messages, recorded, duplicates, ignored;
} run;

static void print_outcome(run *rn, const char *label,
			  const rebound_outcome *o)
{
	char t[40];
	if (rn->json) {
		fputs("{\"file\":", stdout);
		rebound_json_string(stdout, label);
		fputs(",\"address\":", stdout);
		rebound_json_string(stdout, o->address);
		printf(",\"state\":\"%s\",\"until\":", rebound_state_name(o->state));
		if (o->until != 0)
			printf("\"%s\"", cli_time(o->until, t, sizeof(t)));
		else
			fputs("null", stdout);
		printf(",\"suspect\":%s,\"duplicate\":%s,\"unverified\":%s}\n",
		       o->suspect ? "true" : "false",
		       o->duplicate ? "true" : "false",
		       o->unverified ? "true" : "false");
	} else if (!rn->quiet) {
		/* 16 + 26 + 11 + 22 and 3 spaces: fits 80 columns */
		char state[16];
		snprintf(state, sizeof(state), "%s%s",
			 rebound_state_name(o->state), o->suspect ? "*" : "");
		term_cell(stdout, label, 16, true, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, o->address, 26, false, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, state, 11, false, term_state_colour(state));
		if (o->duplicate)
			fputs(" seen before", stdout);
		else if (o->unverified)
			fputs(" unverified", stdout);
		else if (o->until != 0)
			printf(" until %s", cli_local_time(o->until, t, sizeof(t)));
		putchar('\n');
	}
}

static void on_message(const char *label, const char *buf, size_t len,
		       void *ctx)
{
	run *rn = ctx;
	if (rn->failed)
		return;
	rebound_arena_reset(rn->arena);
	rebound_message *msg;
	rebound_result *res;
	/* Parsed here: the signed return paths are read from its headers. */
	if (rebound_message_parse(rn->arena, buf, len, rn->opts.limits,
				  &msg) < 0 ||
	    rebound_classify_message(msg, &rn->opts, &res) < 0 ||
	    res == NULL) {
		fprintf(stderr, "%s: %s: message too large to classify\n",
			rn->env.cmd, label);
		rn->errors++;
		return;
	}
	rn->messages++;
	progress_clear();
	size_t nout = res->nrcpt > 0 ? res->nrcpt : 1;
	rebound_outcome *out = calloc(nout, sizeof(*out));
	if (out == NULL) {
		fprintf(stderr, "%s: out of memory\n", rn->env.cmd);
		rn->failed = true;
		return;
	}
	rebound_verp_vouch vouch;
	rebound_verp_vouch_init(&vouch, rn->signed_only);
	if (rn->signed_only) {
		const char *fmt = rn->env.cfg.verp_format[0] ?
					  rn->env.cfg.verp_format : NULL;
		if (rn->to != NULL)
			rebound_verp_vouch_add(&vouch, &rn->key, fmt, rn->to,
					       rn->env.now, 0);
		else
			rebound_verp_vouch_headers(&vouch, &rn->key, fmt,
						   msg->root->headers,
						   rn->env.now, 0);
	}
	rebound_record_context rc = { .now = rn->env.now, .source = "cli",
				      .vouch = &vouch };
	char err[1200];
	int n = rebound_ledger_record(rn->env.ledger, &rn->env.cfg.policy, res,
				      &rc, out, nout, err, sizeof(err));
	if (n < 0) {
		/* The ledger itself failed: no point going on. */
		fprintf(stderr, "%s: %s: %s\n", rn->env.cmd, label, err);
		rn->failed = true;
	} else if (res->cls == REBOUND_CLASS_NOT_BOUNCE) {
		rn->ignored++;
	} else {
		if ((res->msg_flags & REBOUND_MSG_MANY_RCPT) &&
		    res->rcpt_total > 0)
			fprintf(stderr, "%s: %s: recipients cut at %zu of %zu "
				"named in the notice; the rest not recorded\n",
				rn->env.cmd, label, res->nrcpt,
				res->rcpt_total);
		else if (res->msg_flags & REBOUND_MSG_MANY_RCPT)
			fprintf(stderr, "%s: %s: recipients cut at %zu; more "
				"addresses named in the notice were not read\n",
				rn->env.cmd, label, res->nrcpt);
		for (int i = 0; i < n; i++) {
			print_outcome(rn, label, &out[i]);
			if (out[i].duplicate)
				rn->duplicates++;
			else
				rn->recorded++;
		}
	}
	free(out);
	progress_tick(rn->messages, label);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound record [--json] [--quiet] [--campaign-header NAME]\n"
		"                      [--to ADDRESS] PATH...\n"
		"Classify messages and record bounces, delivery reports, auto-replies\n"
		"and feedback reports in the ledger (created when missing).  PATH is a\n"
		"message file, '-' for standard input, an mbox file or a Maildir or\n"
		"directory.  A notice recorded before is counted once.\n"
		"  --json    one JSON object per recipient: file, address, state,\n"
		"            until, suspect, duplicate, unverified\n"
		"  --quiet   print only the summary line\n"
		"  --to ADDRESS  with require_signed_verp: the return path the\n"
		"            notices came back to (default: each message's\n"
		"            Delivered-To and X-Original-To)\n"
		"Otherwise one line per recipient: the message, the address, its\n"
		"state now (* suspect), and 'seen before', 'unverified' (no valid\n"
		"signature names it: no state changed) or when a suspension ends.\n"
		"On a terminal, standard error shows the progress.\n");
}

int cmd_record(const global_opts *g, int argc, char **argv)
{
	run rn;
	memset(&rn, 0, sizeof(rn));
	const char *campaign_header = NULL;
	const cli_opt opts[] = {
		{ "--json", &rn.json, NULL },
		{ "--quiet", &rn.quiet, NULL },
		{ "-q", &rn.quiet, NULL },
		{ "--campaign-header", NULL, &campaign_header },
		{ "--to", NULL, &rn.to },
	};
	int nops = cli_parse("rebound record", argc, argv, opts,
			     sizeof(opts) / sizeof(*opts));
	if (nops == CLI_HELP) {
		usage(stdout);
		return 0;
	}
	if (nops <= 0) {
		usage(stderr);
		return 2;
	}
	int rc = cli_open(g, "rebound record", true, &rn.env);
	if (rc != 0)
		return rc;
	rn.opts.campaign_header = campaign_header != NULL ?
					  campaign_header :
					  rn.env.cfg.campaign_header;
	rn.opts.verp_format = rn.env.cfg.verp_format;
	rn.signed_only = rn.env.cfg.require_signed_verp;
	if (rn.signed_only) {
		/* Without the secret nothing could verify: stop before
		   recording everything as unverified. */
		char err[600];
		if (rn.env.cfg.verp_secret_file[0] == '\0' ||
		    rebound_verp_key_load(&rn.key, rn.env.cfg.verp_secret_file,
					  err, sizeof(err)) != 0) {
			fprintf(stderr, "rebound record: require_signed_verp is "
				"set but the secret is not usable: %s\n",
				rn.env.cfg.verp_secret_file[0] != '\0' ? err :
				"no verp_secret_file configured");
			cli_close(&rn.env);
			return 2;
		}
	}
	rn.arena = rebound_arena_new(0);
	if (rn.arena == NULL) {
		fprintf(stderr, "rebound record: out of memory\n");
		rebound_verp_key_clear(&rn.key);
		cli_close(&rn.env);
		return 2;
	}
	progress_start("rebound record");
	for (int i = 1; i <= nops && !rn.failed; i++)
		rn.errors += input_walk(argv[i], on_message, &rn);
	progress_end();
	rebound_arena_free(rn.arena);
	rebound_verp_key_clear(&rn.key);
	rebound_classify_release();
	cli_close(&rn.env);
	if (!rn.json)
		printf("%lu messages: %lu recipients recorded, %lu seen before, "
		       "%lu not bounces\n", rn.messages, rn.recorded,
		       rn.duplicates, rn.ignored);
	rc = cli_flush("rebound record");
	if (rc != 0 || rn.failed)
		return 2;
	return rn.errors > 0 ? 1 : 0;
}
