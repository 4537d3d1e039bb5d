/* smtp-stage.c - which SMTP command a remote answer replied to
 * (smtp-stage.h). */
#include "smtp-stage.h"

#include <stdbool.h>
#include <string.h>

#include "mail/strutil.h"
#include "matcher.h"
#include "wordlists.h"

static const struct {
	const char *phrase;
	rebound_smtp_stage stage;
} stage_phrases[] = {
	{ "in reply to end of data", REBOUND_STAGE_DATA },
	{ "in reply to data", REBOUND_STAGE_DATA },
	{ "in reply to rcpt to", REBOUND_STAGE_RCPT },
	{ "in reply to mail from", REBOUND_STAGE_MAIL },
	{ "after end of data", REBOUND_STAGE_DATA },
	{ "after data", REBOUND_STAGE_DATA },
	{ "our final data", REBOUND_STAGE_DATA },
	{ "after rcpt to", REBOUND_STAGE_RCPT },
	{ "after rcpt command", REBOUND_STAGE_RCPT },
	{ "does not like recipient", REBOUND_STAGE_RCPT },
	{ "our rcpt to", REBOUND_STAGE_RCPT },
	{ "after mail from", REBOUND_STAGE_MAIL },
	{ "our mail from", REBOUND_STAGE_MAIL },
	{ "after initial connection", REBOUND_STAGE_CONNECT },
	{ "my name was rejected", REBOUND_STAGE_HELO },
	{ "in reply to helo", REBOUND_STAGE_HELO },
	{ "in reply to ehlo", REBOUND_STAGE_HELO },
	{ "after helo", REBOUND_STAGE_HELO },
	{ "after ehlo", REBOUND_STAGE_HELO },
	{ ">>> helo", REBOUND_STAGE_HELO },
	{ ">>> ehlo", REBOUND_STAGE_HELO },
	{ "smtp command data", REBOUND_STAGE_DATA },
	{ ">>> data", REBOUND_STAGE_DATA },
	{ ">>> rcpt to", REBOUND_STAGE_RCPT },
	{ ">>> mail from", REBOUND_STAGE_MAIL },
};

/* With PIPELINING the RCPT answers arrive after ">>> DATA", and the
 * server then says no RCPT was accepted: the error was the RCPT's. */
static const char *const no_rcpt_left[] = {
	"must precede data", "all rcpt commands were rejected",
	"need rcpt", "no valid recipients",
};

#define N_NO_RCPT (sizeof(no_rcpt_left) / sizeof(*no_rcpt_left))
#define N_STAGE (sizeof(stage_phrases) / sizeof(*stage_phrases))
/* One matcher for the stage's words: no_rcpt_left, then the two error
 * replies of a transcript, then stage_phrases (ids in that order). */
#define STAGE_ERR_5 N_NO_RCPT
#define STAGE_ERR_4 (N_NO_RCPT + 1)
#define STAGE_FIRST (N_NO_RCPT + 2)
static const char *stage_list[STAGE_FIRST + N_STAGE];
static const rebound_matcher *stage_matcher;	/* got on first use */

rebound_phrase_list rebound_smtp_stage_phrase_list(void)
{
	if (stage_list[0] == NULL) {
		for (size_t i = 0; i < N_NO_RCPT; i++)
			stage_list[i] = no_rcpt_left[i];
		stage_list[STAGE_ERR_5] = "<<< 5";
		stage_list[STAGE_ERR_4] = "<<< 4";
		for (size_t i = 0; i < N_STAGE; i++)
			stage_list[STAGE_FIRST + i] = stage_phrases[i].phrase;
	}
	return (rebound_phrase_list){ "smtp-stage.words", stage_list,
				      STAGE_FIRST + N_STAGE, 0 };
}

/* In a session transcript (">>> RCPT TO:", "<<< 550 ..."), the command
 * that failed is the last one sent before the first error reply. */
static rebound_smtp_stage transcript_stage(const char *norm, size_t n)
{
	const char *err = rebound_memcasemem(norm, n, "<<< 5", 5);
	if (err == NULL)
		err = rebound_memcasemem(norm, n, "<<< 4", 5);
	if (err == NULL)
		return REBOUND_STAGE_UNKNOWN;
	rebound_smtp_stage stage = REBOUND_STAGE_UNKNOWN;
	size_t upto = (size_t)(err - norm);
	for (const char *p = norm; p < err;) {
		const char *cmd = rebound_memcasemem(p, upto - (size_t)(p - norm),
						     ">>> ", 4);
		if (cmd == NULL)
			break;
		size_t left = n - (size_t)(cmd - norm) - 4;
		if (rebound_ascii_istarts(cmd + 4, left, "data"))
			stage = REBOUND_STAGE_DATA;
		else if (rebound_ascii_istarts(cmd + 4, left, "rcpt"))
			stage = REBOUND_STAGE_RCPT;
		else if (rebound_ascii_istarts(cmd + 4, left, "mail"))
			stage = REBOUND_STAGE_MAIL;
		p = cmd + 4;
	}
	return stage;
}

typedef struct stage_hits {
	bool no_rcpt, transcript;
	long phrase;		/* first of stage_phrases, or -1 */
} stage_hits;

static bool take_stage(size_t id, void *ctx)
{
	stage_hits *h = ctx;
	if (id < N_NO_RCPT) {
		h->no_rcpt = true;
		return false;
	}
	if (id == STAGE_ERR_5 || id == STAGE_ERR_4) {
		h->transcript = true;
		return true;
	}
	h->phrase = (long)(id - STAGE_FIRST);
	return false;		/* ids come in order: the first wins */
}

/* What the text says about the stage, from one scan (nothing when the
 * matcher could not be built, as for the phrase rules). */
static void stage_words(const char *norm, size_t n, stage_hits *h)
{
	h->no_rcpt = h->transcript = false;
	h->phrase = -1;
	if (stage_matcher == NULL) {
		rebound_phrase_list list = rebound_smtp_stage_phrase_list();
		stage_matcher = rebound_matcher_builtin(&list);
	}
	if (stage_matcher != NULL)
		rebound_matcher_each(stage_matcher, norm, n, take_stage, h);
}

rebound_smtp_stage rebound_smtp_stage_find(const char *norm, size_t n)
{
	stage_hits h;
	stage_words(norm, n, &h);
	if (h.no_rcpt)
		return REBOUND_STAGE_RCPT;
	if (h.transcript) {
		rebound_smtp_stage t = transcript_stage(norm, n);
		if (t != REBOUND_STAGE_UNKNOWN)
			return t;
	}
	return h.phrase >= 0 ? stage_phrases[h.phrase].stage : REBOUND_STAGE_UNKNOWN;
}

void rebound_smtp_stage_release(void)
{
	rebound_matcher_release(stage_matcher);
	stage_matcher = NULL;
}

/* --- the word lists as data (wordlists.h) ---------------------------------- */

static void stage_words_of(rebound_arena *arena, const char *s, size_t n,
			   stage_hits *h)
{
	size_t nl;
	char *norm = rebound_matcher_normalise(arena, s, n, &nl);
	stage_words(norm != NULL ? norm : "", norm != NULL ? nl : 0, h);
}

static bool wl_stage_phrase(rebound_arena *arena, const char *s, size_t n)
{
	stage_hits h;
	stage_words_of(arena, s, n, &h);
	return h.phrase >= 0;
}

static bool wl_no_rcpt_left(rebound_arena *arena, const char *s, size_t n)
{
	stage_hits h;
	stage_words_of(arena, s, n, &h);
	return h.no_rcpt;
}

const rebound_wordlist rebound_wordlist_stage_phrases = REBOUND_WORDLIST(
	"stage_phrases", stage_phrases, wl_stage_phrase);
const rebound_wordlist rebound_wordlist_no_rcpt_left = REBOUND_WORDLIST(
	"no_rcpt_left", no_rcpt_left, wl_no_rcpt_left);
