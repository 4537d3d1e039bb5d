/* cmd_classify.c - `rebound classify` and `rebound explain`: classify
 * messages without touching the ledger, as JSON Lines, a table, or a
 * reasoned explanation. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "commands.h"
#include "inputs.h"
#include "classify/json.h"
#include "mail/message.h"
#include "term.h"

typedef enum { OUT_TABLE, OUT_JSON, OUT_EXPLAIN } out_mode;

typedef struct run {
	out_mode mode;
	rebound_arena *arena;
	rebound_classify_options opts;
	int errors;
	unsigned long messages, bounces;
} run;

/* The table's columns: 80 in all, with a space between. */
enum { W_FILE = 13, W_RCPT = 22, W_ACTION = 9, W_STATUS = 7, W_CODE = 3,
       W_REASON = 15 };

static void print_table_head(void)
{
	printf("%-*s %-*s %-*s %-*s %-*s %-*s %s\n", W_FILE, "FILE", W_RCPT,
	       "RECIPIENT", W_ACTION, "ACTION", W_STATUS, "STATUS", W_CODE,
	       "SMTP", W_REASON, "REASON", "TYPE");
}

static void print_table_row(const char *file, const rebound_result *res)
{
	if (res->cls != REBOUND_CLASS_BOUNCE || res->nrcpt == 0) {
		term_cell(stdout, file, W_FILE, true, TERM_PLAIN);
		printf(" %-*s %s\n", W_RCPT, "-", rebound_class_name(res->cls));
		return;
	}
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		term_cell(stdout, file, W_FILE, true, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, r->address, W_RCPT, false, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, rebound_action_name(r->action), W_ACTION,
			  false, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, r->status[0] ? r->status : "-", W_STATUS,
			  false, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, r->reply_code[0] ? r->reply_code : "-",
			  W_CODE, false, TERM_PLAIN);
		putchar(' ');
		term_cell(stdout, rebound_reason_name(r->reason), W_REASON,
			  false, TERM_PLAIN);
		putchar(' ');
		/* hard* = a suspect hard bounce (maybe a policy block) */
		term_cell(stdout, r->hard ? (r->suspect ? "hard*" : "hard") :
					    "soft",
			  0, false, r->hard ? TERM_RED : TERM_YELLOW);
		putchar('\n');
	}
}

static void flag_names(unsigned flags)
{
	static const char *const names[] = {
		"truncated", "long-header", "many-headers", "too-deep",
		"many-parts", "no-end-boundary", "no-boundary", "bad-encoding",
		"nul", "bad-charset", "no-headers", "out-of-memory",
	};
	bool any = false;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (flags & (1u << i)) {
			printf("%s%s", any ? ", " : "", names[i]);
			any = true;
		}
	if (!any)
		printf("none");
}

static void print_explain(const char *file, const rebound_result *res)
{
	printf("%s\n", file);
	printf("  class:          %s\n", rebound_class_name(res->cls));
	printf("  evidence:       %s\n", res->evidence ? res->evidence : "-");
	printf("  format:         %s\n", res->format ? res->format : "-");
	printf("  parser flags:   ");
	flag_names(res->msg_flags);
	printf("\n");
#define SHOW(label, v) \
	if ((v) != NULL) \
		printf("  %-15s %s\n", label ":", v)
	SHOW("reporting MTA", res->reporting_mta);
	SHOW("gateway", res->gateway);
	SHOW("message-id", res->orig_message_id);
	SHOW("envelope id", res->envelope_id);
	SHOW("campaign", res->campaign);
	SHOW("sender domain", res->sender_domain);
	SHOW("VERP recipient", res->verp_recipient);
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		printf("  recipient %s\n", r->address);
		printf("    action:       %s\n", rebound_action_name(r->action));
		printf("    status:       %s\n", r->status[0] ? r->status : "-");
		printf("    reply code:   %s\n",
		       r->reply_code[0] ? r->reply_code : "-");
		SHOW("  remote MTA", r->remote_mta);
		SHOW("  diagnostic", r->diagnostic);
		printf("    reason:       %s (rule: %s)\n",
		       rebound_reason_name(r->reason), r->rule ? r->rule : "-");
		printf("    hard:         %s%s\n", r->hard ? "yes" : "no",
		       r->suspect ? " (suspect: reported by a security gateway)" : "");
		printf("    category:     %d (%s)\n",
		       rebound_reason_category(r->reason),
		       rebound_reason_hubspot(r->reason));
	}
#undef SHOW
}

static void on_message(const char *label, const char *buf, size_t len,
		       void *ctx)
{
	run *rn = ctx;
	rebound_arena_reset(rn->arena);
	rebound_result *res;
	if (rebound_classify(rn->arena, buf, len, &rn->opts, &res) < 0 ||
	    res == NULL) {
		fprintf(stderr, "rebound: %s: message too large to classify\n",
			label);
		rn->errors++;
		return;
	}
	rn->messages++;
	if (res->cls == REBOUND_CLASS_BOUNCE)
		rn->bounces++;
	progress_clear();
	switch (rn->mode) {
	case OUT_JSON:
		rebound_json_result(stdout, label, res);
		break;
	case OUT_TABLE:
		print_table_row(label, res);
		break;
	case OUT_EXPLAIN:
		print_explain(label, res);
		break;
	}
	progress_tick(rn->messages, label);
}

static void usage(FILE *out, const char *cmd)
{
	if (strcmp(cmd, "explain") == 0)
		fprintf(out,
			"usage: rebound explain [--campaign-header NAME] PATH...\n"
			"Show for each message the evidence, the parsed fields and, for\n"
			"each recipient, the rule that decided the reason.\n");
	else
		fprintf(out,
			"usage: rebound classify [--json] [--campaign-header NAME] PATH...\n"
			"Classify messages without recording them.  PATH is a file, '-'\n"
			"for standard input, an mbox file or a Maildir/directory.\n"
			"  --json   one JSON object per (message, recipient)\n");
}

static int classify_main(out_mode mode, const char *cmd, int argc,
			 char **argv)
{
	run rn = { .mode = mode };
	int first = 1;
	for (; first < argc; first++) {
		const char *a = argv[first];
		if (strcmp(a, "--json") == 0 && mode != OUT_EXPLAIN)
			rn.mode = OUT_JSON;
		else if (strcmp(a, "--campaign-header") == 0 && first + 1 < argc)
			rn.opts.campaign_header = argv[++first];
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout, cmd);
			return 0;
		} else if (strcmp(a, "--") == 0) {
			first++;
			break;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "rebound %s: unknown option '%s'\n", cmd, a);
			usage(stderr, cmd);
			return 2;
		} else
			break;
	}
	if (first >= argc) {
		usage(stderr, cmd);
		return 2;
	}
	rn.arena = rebound_arena_new(0);
	if (rn.arena == NULL) {
		fprintf(stderr, "rebound: out of memory\n");
		return 2;
	}
	if (rn.mode == OUT_TABLE)
		print_table_head();
	progress_start(strcmp(cmd, "explain") == 0 ? "rebound explain" :
						       "rebound classify");
	for (int i = first; i < argc; i++)
		rn.errors += input_walk(argv[i], on_message, &rn);
	progress_end();
	if (rn.mode == OUT_TABLE && rn.messages > 0)
		printf("%lu messages, %lu bounces (hard* = suspect: maybe a "
		       "policy block)\n", rn.messages, rn.bounces);
	rebound_arena_free(rn.arena);
	rebound_classify_release();
	if (fflush(stdout) != 0) {
		perror("rebound: stdout");
		return 2;
	}
	return rn.errors > 0 ? 1 : 0;
}

int cmd_classify(const global_opts *g, int argc, char **argv)
{
	(void)g;
	return classify_main(OUT_TABLE, "classify", argc, argv);
}

int cmd_explain(const global_opts *g, int argc, char **argv)
{
	(void)g;
	return classify_main(OUT_EXPLAIN, "explain", argc, argv);
}
