/* textnotice.c - the notice's text (read once ordinary mail is ruled
 * out) and the plain-text notice stage: a mail system's words of a
 * failure and the recipients it names, or the returned original's. */
#include "stages.h"

#include <string.h>

#include "mail/address.h"
#include "mail/strutil.h"
#include "matcher.h"
#include "phrase-view.h"
#include "textscan.h"

/* Text of the part, with the arena-normalised copy for matching. */
typedef struct ntext {
	const char *raw;
	size_t raw_len;
	char *norm;
	size_t norm_len;
} ntext;

static void normalise(rebound_arena *arena, const char *s, size_t n,
		      ntext *out)
{
	out->raw = s;
	out->raw_len = n;
	out->norm = rebound_matcher_normalise(arena, s, n, &out->norm_len);
	if (out->norm == NULL) {
		out->norm = (char *)"";
		out->norm_len = 0;
	}
}

/* Addresses that belong to the sender side of the bounce. */
typedef struct senders {
	const char *list[8];
	size_t n;
} senders;

static void add_sender(senders *s, const char *addr)
{
	if (addr != NULL && s->n < sizeof(s->list) / sizeof(*s->list))
		s->list[s->n++] = addr;
}

static void collect_senders(rebound_arena *arena, rebound_message *msg,
			    const rebound_anatomy *a, senders *s)
{
	const rebound_header *h = msg->root->headers;
	add_sender(s, rebound_first_address(arena, rebound_header_get(h, "To")));
	add_sender(s, rebound_first_address(arena, rebound_header_get(h, "From")));
	if (a->original != NULL) {
		const rebound_header *oh = a->original->headers;
		add_sender(s, rebound_first_address(arena, rebound_header_get(oh, "From")));
		add_sender(s, rebound_first_address(arena,
					    rebound_header_get(oh, "Return-Path")));
	}
}

/* sendmail's "NNN <addr>... MMM text" on the block's first line: MMM. */
static void inner_reply(const char *s, size_t n, char reply[4])
{
	const char *eol = memchr(s, '\n', n);
	size_t ln = eol != NULL ? (size_t)(eol - s) : n;
	if (ln < 12 || !rebound_is_digit(s[0]) || s[3] != ' ' || s[4] != '<')
		return;
	const char *dots = rebound_memcasemem(s, ln, ">... ", 5);
	if (dots == NULL)
		return;
	const char *c = dots + 5;
	size_t left = ln - (size_t)(c - s);
	if (left >= 4 && (c[0] == '4' || c[0] == '5') &&
	    rebound_is_digit(c[1]) && rebound_is_digit(c[2]) && c[3] == ' ') {
		memcpy(reply, c, 3);
		reply[3] = '\0';
	}
}

/* The end of a reply that starts at s[i]: the end of its line and of
 * the lines after it that continue it (indented, "550-..." repeating its
 * code, "<addr>... User unknown" as a wrapped reply goes on). */
static size_t reply_end(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);
	while (nl != NULL) {
		size_t next = (size_t)(nl - s) + 1;
		/* A line that starts with a capital letter is the notice's
		   next sentence ("I'm not going to try again"); a blank line
		   ends the paragraph. */
		bool goes_on = next < n && s[next] != '\n' && s[next] != '\r' &&
			       !(s[next] >= 'A' && s[next] <= 'Z');
		if (!goes_on)
			return (size_t)(nl - s);
		nl = memchr(s + next, '\n', n - next);
	}
	return n;
}

/* Where a remote server's reply starts in a recipient's block of a
 * notice without a session transcript: the first 4xx or 5xx reply code
 * at the start of a line, after a colon ("host mx.example.org said: 550
 * ...", "The error that the other server returned was: 554 ..."), or
 * followed by an enhanced status code ("... 550 5.1.1 ...").  The reply
 * runs to the end of its line and on over the lines that continue it
 * (reply_end); the notice's next sentence ends it.  NULL when there is none.  A notice's own frame
 * around it ("it was rejected by the recipient domain") is the MTA's
 * summary; the server's words are the evidence (issue 15). */
static const char *block_reply(rebound_arena *arena, const char *s, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		if ((s[i] != '4' && s[i] != '5') || !rebound_is_digit(s[i + 1]) ||
		    !rebound_is_digit(s[i + 2]) ||
		    (s[i + 3] != ' ' && s[i + 3] != '-'))
			continue;
		size_t b = i;
		while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		bool line_start = b == 0 || s[b - 1] == '\n';
		bool after_colon = b > 0 && s[b - 1] == ':';
		if (i > 0 && !line_start && !after_colon && s[i - 1] != ' ')
			continue;	/* inside a word or a number */
		char st[16];
		size_t left = n - i - 4;
		bool status = rebound_find_status(s + i + 4, left < 12 ? left : 12,
						  st) &&
			      strncmp(s + i + 4, st, strlen(st)) == 0;
		if (line_start || after_colon || status)
			return rebound_arena_strndup(arena, s + i,
						     reply_end(s, n, i) - i);
	}
	return NULL;
}

/* The reason of r: the remote server's own words and codes decide when
 * the notice gives them (reply), with the whole block as the context.
 * The notice's frame around them ("it was rejected by the recipient
 * domain") is the MTA's summary: it decides only with no reply, or when
 * the reply says nothing beyond its bare code and the frame names a
 * reason outright (a strong phrase: qmail's "my name was rejected"
 * before "501 Invalid domain name"). */
static void decide_from_reply(rebound_arena *arena, rebound_recipient *r,
			      const char *reply, const char *block)
{
	if (reply == NULL) {
		rebound_rcpt_finish(arena, r, block, NULL);
		return;
	}
	rebound_decided_by by = rebound_rcpt_finish(arena, r, reply, block);
	bool bare = r->reason == REBOUND_REASON_UNDEFINED ||
		    by == REBOUND_BY_REPLY;
	if (!bare)
		return;
	rebound_recipient by_reply = *r;
	if (rebound_rcpt_finish(arena, r, block, NULL) != REBOUND_BY_PHRASE)
		*r = by_reply;
}

static int from_text(rebound_message *msg, const rebound_text_scan *ts,
		     bool delayed, rebound_rcpt_list *l)
{
	rebound_arena *arena = msg->arena;
	const char *pre = NULL, *pre_line = NULL;	/* made on first use */
	for (size_t i = 0; i < ts->nrcpt; i++) {
		const rebound_text_rcpt *t = &ts->rcpt[i];
		rebound_recipient *r = rebound_rcpt_add(arena, l);
		if (r == NULL)
			return -1;
		r->address = t->address;
		r->action = delayed ? REBOUND_ACTION_DELAYED :
				      REBOUND_ACTION_FAILED;
		/* The remote server's code first: its transcript reply, or
		   sendmail's "554 <a@b>... 550 Host unknown", where 554 is
		   the local mailer's and 550 the remote's. */
		const char *reply = t->remote_reply;
		if (reply == NULL) {
			inner_reply(t->block, t->block_len, r->reply_code);
			reply = block_reply(arena, t->block, t->block_len);
		}
		if (reply != NULL)
			rebound_rcpt_codes_from_text(r, reply, strlen(reply));
		rebound_rcpt_codes_from_text(r, t->block, t->block_len);
		r->diagnostic = rebound_one_line(arena, t->block, t->block_len);
		/* A recipient the remote server refused for good (a 5xx
		   reply or status of its own) failed, whatever words of a
		   delay the notice has elsewhere. */
		if (r->action == REBOUND_ACTION_DELAYED &&
		    (r->reply_code[0] == '5' || r->status[0] == '5'))
			r->action = REBOUND_ACTION_FAILED;
		decide_from_reply(arena, r, reply, t->block);
		/* "Could not be delivered because of: 550 5.1.1 User
		   unknown.  The following recipients were affected: ..."
		   says the error once, before the list. */
		if (r->reason == REBOUND_REASON_UNDEFINED && r->status[0] == '\0' &&
		    r->reply_code[0] == '\0' && ts->preamble_len > 0) {
			if (pre == NULL) {
				pre = rebound_arena_strndup(arena, ts->preamble,
							    ts->preamble_len);
				if (pre == NULL)
					return -1;
				pre_line = rebound_one_line(arena, pre, ts->preamble_len);
			}
			rebound_rcpt_codes_from_text(r, pre, ts->preamble_len);
			rebound_rcpt_finish(arena, r, pre, NULL);
			if (r->reason != REBOUND_REASON_UNDEFINED ||
			    r->status[0] != '\0')
				r->diagnostic = pre_line;
		}
	}
	return 0;
}

/* Up to max addresses of a message's To and Cc, into v; *cc_seen says
 * whether Cc held any.  Returns how many. */
#define MAX_ORIGINAL_RCPT 64
static size_t original_recipients(rebound_arena *arena,
				  const rebound_header *h, const char **v,
				  size_t max, bool *cc_seen)
{
	static const char *const fields[] = { "To", "Cc" };
	size_t n = 0;
	*cc_seen = false;
	for (size_t f = 0; f < 2; f++) {
		const char *val = rebound_header_get(h, fields[f]);
		size_t len = val != NULL ? strlen(val) : 0, off = 0;
		while (off < len && n < max) {
			size_t at, span;
			const char *a = rebound_address_find(arena, val + off,
							     len - off, &at,
							     &span);
			if (a == NULL)
				break;
			v[n++] = a;
			*cc_seen = *cc_seen || f == 1;
			off += at + span;
		}
	}
	return n;
}

/* Is the attached message itself a notice (from a mail system, or a
 * report)?  Then a notice around it passes it on (below), and its To is
 * the sender of the bounced mail, not a recipient. */
static bool attached_notice(rebound_arena *arena, const rebound_header *h)
{
	size_t fl;
	const char *from = rebound_header_norm(arena, h, "From", &fl);
	const char *ct = rebound_header_get(h, "Content-Type");
	return (from != NULL && rebound_detect_system_sender(from, fl) != NULL) ||
	       (ct != NULL && rebound_memcasemem(ct, strlen(ct), "report", 6) != NULL);
}

/* Does s[0..n) carry an enhanced status code or an error reply code? */
static bool has_code(const char *s, size_t n)
{
	char st[16], rc[4];
	return rebound_find_status(s, n, st) ||
	       rebound_find_reply(s, n, false, rc);
}

/* Past ordinary mail: read the notice's text once for the stages after
 * (its recipients and blocks, its words of failure, delay or a gateway,
 * before the returned copy only), and decide whether a mail system sent
 * it. */
int rebound_stage_notice_text(rebound_classify_ctx *cx)
{
	rebound_message *msg = cx->msg;
	rebound_arena *arena = msg->arena;
	const rebound_header *top = msg->root->headers;
	cx->text = rebound_notice_text(msg, &cx->a, &cx->tlen);
	senders snd = { .n = 0 };
	collect_senders(arena, msg, &cx->a, &snd);
	if (rebound_textbounce_scan(arena, cx->text, cx->tlen, snd.list, snd.n,
				    &cx->ts) < 0)
		return -1;
	/* Phrases are looked for before the returned copy only. */
	ntext before;
	normalise(arena, cx->text, cx->ts.original_at, &before);
	rebound_detect_body(before.norm, before.norm_len, &cx->ev);
	/* Without a mail system's address, a bounce subject is all there
	   is: a person writing "Delivery failure on your list" or
	   "Re: Undeliverable" is not a notice.  A program's signs or the
	   original attached must back it, and it must not be a reply. */
	/* (A mail system may title its notice "Re: <subject>", as Apache
	   James does; an auto-responder answering a notice is no notice.) */
	cx->notice_source = cx->from_hit != NULL ||
		(cx->subj_hit != NULL &&
		 !(cx->subj != NULL && rebound_detect_reply_subject(cx->subj, cx->sl)) &&
		 (cx->xfr != NULL || cx->a.original != NULL ||
		  rebound_detect_machine_sent(arena, top,
					      cx->opts != NULL &&
					      cx->opts->null_sender)));
	/* Mailing-list headers (List-Id, List-Unsubscribe) are a weak sign
	   against a notice: a list manager or an owner alias that passes a
	   notice on adds them.  On such mail only strong signs make the
	   source: X-Failed-Recipients, a mail system's sender, or a
	   non-delivery subject with words of a failure and the original
	   returned.  (A report part needs no source.) */
	if (cx->list_mail && cx->xfr == NULL)
		cx->notice_source = cx->from_hit != NULL ||
			(cx->notice_source && cx->ev.bounce != NULL &&
			 cx->a.original != NULL);
	return 0;
}

/* A notice that names no recipient in its text: X-Failed-Recipients
 * (Exim, Google) names them outright; else a delivery report without
 * recipient fields ("Delivery report unavailable"), or a mail system's
 * notice that says delivery failed but names no one, returning an
 * original sent to one address alone: it failed for that one; or a
 * notice that names its recipients by user name alone ("carol.miller
 * (user not found)"): the original's addresses with those local parts.
 * Adds to cx->ts; *by_user_name says the last.  Returns 0 or -1. */
static int unnamed_recipients(rebound_classify_ctx *cx, bool *by_user_name)
{
	rebound_arena *arena = cx->msg->arena;
	const rebound_anatomy *a = &cx->a;
	rebound_text_scan *ts = &cx->ts;
	const char *text = cx->text;
	const char *body_hit = cx->ev.bounce;
	const char *named = cx->xfr;
	/* The returned original's recipients: its To and Cc, attached or
	   copied inline below the notice. */
	const char *orig[MAX_ORIGINAL_RCPT];
	size_t no = 0;
	bool cc = false;
	bool want_orig = named == NULL && ts->nrcpt == 0 && cx->notice_source;
	if (want_orig && a->original != NULL)
		no = original_recipients(arena, a->original->headers, orig,
					 MAX_ORIGINAL_RCPT, &cc);
	else if (want_orig && ts->original_at < cx->tlen)
		no = rebound_textbounce_copy_recipients(arena, text, cx->tlen,
							ts->original_at, orig,
							MAX_ORIGINAL_RCPT, &cc);
	/* Sent to one address alone (in To, none in Cc). */
	bool says_failed = cx->from_hit != NULL && body_hit != NULL;
	if (no == 1 && !cc &&
	    (a->original != NULL ?
		     a->report != NULL ||
			     (says_failed &&
			      !attached_notice(arena, a->original->headers)) :
		     says_failed))
		named = orig[0];
	*by_user_name = false;
	if (named == NULL && want_orig && body_hit != NULL && no > 0) {
		if (rebound_textbounce_local_parts(arena, text, ts->original_at,
						   orig, no, ts) < 0)
			return -1;
		*by_user_name = ts->nrcpt > 0;
	}
	if (named != NULL && ts->nrcpt == 0) {
		const char *addr = rebound_first_address(arena, named);
		if (addr != NULL) {
			rebound_text_rcpt *one = rebound_arena_calloc(arena, 1,
								      sizeof(*one));
			if (one == NULL)
				return -1;
			one->address = addr;
			one->block = rebound_arena_strndup(arena, text,
							   ts->original_at);
			one->block_len = one->block != NULL ? ts->original_at : 0;
			if (one->block == NULL)
				one->block = "";
			ts->rcpt = one;
			ts->nrcpt = 1;
		}
	}
	return 0;
}

/* A plain-text notice: a mail system or a bounce subject, the words of a
 * failure, and at least one recipient. */
int rebound_stage_text_notice(rebound_classify_ctx *cx)
{
	rebound_message *msg = cx->msg;
	rebound_arena *arena = msg->arena;
	rebound_result *res = cx->res;
	const rebound_text_scan *ts = &cx->ts;
	const char *body_hit = cx->ev.bounce;
	bool delayed = cx->ev.delay != NULL;
	bool by_user_name;
	if (unnamed_recipients(cx, &by_user_name) < 0)
		return -1;
	bool coded = false;
	for (size_t i = 0; i < ts->nrcpt && !coded; i++)
		coded = has_code(ts->rcpt[i].block, ts->rcpt[i].block_len);
	/* ... or the error stated once above the recipients. */
	if (!coded && ts->nrcpt > 0)
		coded = has_code(ts->preamble, ts->preamble_len);
	/* A recipient's own lines that name a reason outright ("mailbox
	   exceeds allowed size") say it failed as clearly as a code. */
	bool reasoned = false;
	for (size_t i = 0; i < ts->nrcpt && !coded && body_hit == NULL &&
			   !delayed && !reasoned; i++) {
		size_t nl;
		long strong, weak;
		rebound_phrase_view(arena, ts->rcpt[i].block, &nl, &strong, &weak);
		reasoned = strong >= 0;
	}
	bool failure_words = body_hit != NULL || coded || cx->xfr != NULL ||
			     delayed || reasoned;
	if (ts->nrcpt == 0 || !failure_words || !cx->notice_source)
		return 0;
	if (from_text(msg, ts, delayed, &cx->l) < 0)
		return -1;
	res->cls = REBOUND_CLASS_BOUNCE;
	res->format = "text";
	res->evidence = rebound_arena_printf(
		arena, "text notice: sender \"%s\", subject \"%s\", body \"%s\"%s%s",
		cx->from_hit != NULL ? cx->from_hit : "-",
		cx->subj_hit != NULL ? cx->subj_hit : "-",
		body_hit != NULL ? body_hit : coded ? "(reply code)" :
						      "(X-Failed-Recipients)",
		by_user_name ? "; recipients named by user name, "
			       "addresses from the original" : "",
		cx->list_mail ? "; mailing-list headers, outweighed" : "");
	res->rcpt = cx->l.v;
	res->nrcpt = cx->l.n;
	if (ts->cut) {
		/* How many more is not known: only that some were. */
		msg->flags |= REBOUND_MSG_MANY_RCPT;
		res->msg_flags |= REBOUND_MSG_MANY_RCPT;
	}
	rebound_mark_suspects(msg, res, cx->ev.gateway);
	return 1;
}
