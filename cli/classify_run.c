/* classify_run.c - the run that `rebound classify` and `rebound explain`
 * share: options, the walk over the inputs, one classification per
 * message, the progress line; the printing is the command's own. */
#include "classify_run.h"

#include <stdio.h>
#include <string.h>

#include "mail/mail.h"
#include "classify/classify.h"
#include "inputs.h"
#include "term.h"

typedef struct run {
	const classify_printer *print;
	rebound_arena *arena;
	rebound_classify_options opts;
	int errors;
	unsigned long messages, bounces;
} run;

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
	rn->print->each(label, res);
	progress_tick(rn->messages, label);
}

int classify_run(const classify_command *c, int argc, char **argv)
{
	run rn = { .print = c->print };
	int first = 1;
	for (; first < argc; first++) {
		const char *a = argv[first];
		if (strcmp(a, "--json") == 0 && c->json != NULL)
			rn.print = c->json;
		else if (strcmp(a, "--campaign-header") == 0 && first + 1 < argc)
			rn.opts.campaign_header = argv[++first];
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			c->usage(stdout);
			return 0;
		} else if (strcmp(a, "--") == 0) {
			first++;
			break;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s: unknown option '%s'\n", c->name, a);
			c->usage(stderr);
			return 2;
		} else
			break;
	}
	if (first >= argc) {
		c->usage(stderr);
		return 2;
	}
	rn.arena = rebound_arena_new(0);
	if (rn.arena == NULL) {
		fprintf(stderr, "rebound: out of memory\n");
		return 2;
	}
	if (rn.print->begin != NULL)
		rn.print->begin();
	progress_start(c->name);
	for (int i = first; i < argc; i++)
		rn.errors += input_walk(argv[i], on_message, &rn);
	progress_end();
	if (rn.print->end != NULL)
		rn.print->end(rn.messages, rn.bounces);
	rebound_arena_free(rn.arena);
	rebound_classify_release();
	if (fflush(stdout) != 0) {
		perror("rebound: stdout");
		return 2;
	}
	return rn.errors > 0 ? 1 : 0;
}
