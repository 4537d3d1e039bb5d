/* cmd_explain.c - `rebound explain`: for each message the evidence, the
 * parsed fields and, for each recipient, the rule that decided the
 * reason; for people finding out why a message was classified so. */
#include <stdbool.h>
#include <stdio.h>

#include "classify_run.h"
#include "mail/mail.h"
#include "commands.h"
#include "term.h"

static void flag_names(unsigned flags)
{
	static const char *const names[] = {
		"truncated", "long-header", "many-headers", "too-deep",
		"many-parts", "no-end-boundary", "no-boundary", "bad-encoding",
		"nul", "bad-charset", "no-headers", "out-of-memory",
		"many-recipients",
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

/* "  label:  value", the value escaped where it is not printable. */
static void line(const char *label, const char *v)
{
	printf("  %-15s ", label);
	term_text(stdout, v);
	putchar('\n');
}

static void print_explain(const char *file, const rebound_result *res)
{
	term_text(stdout, file);
	putchar('\n');
	printf("  class:          %s\n", rebound_class_name(res->cls));
	line("evidence:", res->evidence ? res->evidence : "-");
	line("format:", res->format ? res->format : "-");
	printf("  parser flags:   ");
	flag_names(res->msg_flags);
	printf("\n");
#define SHOW(label, v) \
	if ((v) != NULL) \
		line(label ":", v)
	SHOW("reporting MTA", res->reporting_mta);
	SHOW("gateway", res->gateway);
	SHOW("message-id", res->orig_message_id);
	SHOW("envelope id", res->envelope_id);
	SHOW("campaign", res->campaign);
	SHOW("sender domain", res->sender_domain);
	SHOW("VERP recipient", res->verp_recipient);
	if (res->msg_flags & REBOUND_MSG_MANY_RCPT) {
		if (res->rcpt_total > 0)
			printf("  recipients:     cut at %zu of %zu named (the "
			       "rest not kept)\n", res->nrcpt, res->rcpt_total);
		else
			printf("  recipients:     cut at %zu (more addresses "
			       "named, not read)\n", res->nrcpt);
	}
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		printf("  recipient ");
		term_text(stdout, r->address);
		putchar('\n');
		printf("    action:       %s\n", rebound_action_name(r->action));
		printf("    status:       %s%s\n", r->status[0] ? r->status : "-",
		       r->status_derived ? " (derived: the notice states "
					   "none; the RFC 3463 class default)" :
					   "");
		printf("    reply code:   %s\n",
		       r->reply_code[0] ? r->reply_code : "-");
		SHOW("  remote MTA", r->remote_mta);
		SHOW("  diagnostic", r->diagnostic);
		printf("    reason:       %s (rule: ",
		       rebound_reason_name(r->reason));
		term_text(stdout, r->rule ? r->rule : "-");
		printf(")\n");
		printf("    hard:         %s\n", r->hard ? "yes" : "no");
		if (r->suspect) {
			printf("    suspect:      yes: ");
			term_text(stdout, r->suspect_why != NULL ?
					  r->suspect_why : "-");
			printf(" (maybe a policy block; suspended, not "
			       "suppressed)\n");
		}
		printf("    category:     %d (%s)\n",
		       rebound_reason_category(r->reason),
		       rebound_reason_hubspot(r->reason));
	}
#undef SHOW
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rebound explain [--campaign-header NAME] PATH...\n"
		"Show for each message the evidence, the parsed fields and, for\n"
		"each recipient, the rule that decided the reason.\n");
}

int cmd_explain(const global_opts *g, int argc, char **argv)
{
	(void)g;
	static const classify_printer explain = { NULL, print_explain, NULL };
	static const classify_command command = {
		"rebound explain", usage, &explain, NULL
	};
	return classify_run(&command, argc, argv);
}
