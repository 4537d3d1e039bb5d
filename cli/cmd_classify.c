/* cmd_classify.c - `rebound classify`: classify messages without touching
 * the ledger, as a table for people or as JSON Lines (--json). */
#include <stdbool.h>
#include <stdio.h>

#include "admin/admin.h"
#include "classify_run.h"
#include "commands.h"
#include "term.h"

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

static void print_table_end(unsigned long messages, unsigned long bounces)
{
	if (messages > 0)
		printf("%lu messages, %lu bounces (hard* = suspect: maybe a "
		       "policy block)\n", messages, bounces);
}

static void print_json(const char *label, const rebound_result *res)
{
	rebound_json_result(stdout, label, res);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound classify [--json] [--campaign-header NAME] PATH...\n"
		"Classify messages without recording them.  PATH is a file, '-'\n"
		"for standard input, an mbox file or a Maildir/directory.\n"
		"  --json   one JSON object per (message, recipient)\n");
}

int cmd_classify(const global_opts *g, int argc, char **argv)
{
	(void)g;
	static const classify_printer table = {
		print_table_head, print_table_row, print_table_end
	};
	static const classify_printer json = { NULL, print_json, NULL };
	static const classify_command classify = {
		"rebound classify", usage, &table, &json
	};
	return classify_run(&classify, argc, argv);
}
