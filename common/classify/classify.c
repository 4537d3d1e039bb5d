/* classify.c - from a parsed message to a result.
 *
 * The order of questions: a feedback report?  an RFC 3464 report?  a
 * vendor's plain-text notice?  an auto-reply?  else ordinary mail.  For
 * each bounced recipient the reason comes from rules.c: phrases in the
 * diagnostic first, then the enhanced status code, then the reply code.
 */
#include "classify.h"

#include <stdio.h>
#include <string.h>

#include "mail/address.h"
#include "mail/charset.h"
#include "mail/header-decode.h"
#include "detect.h"
#include "dsn.h"
#include "matcher.h"
#include "rules.h"
#include "sesjson.h"
#include "mail/strutil.h"
#include "textbounce.h"
#include "textscan.h"

#define MAX_DIAGNOSTIC 1024

/* The parts of a message that matter for classification. */
/* Delivery-status parts read from one message (a report may hold one per
 * reporting MTA). */
#define MAX_REPORTS 4

typedef struct anatomy {
	rebound_part *report;		/* message/delivery-status (the first) */
	rebound_part *more_reports[MAX_REPORTS - 1];	/* the others */
	size_t nmore;
	rebound_part *feedback;		/* message/feedback-report */
	rebound_part *original;		/* embedded original (its root) */
	rebound_part *text;		/* first human-readable part */
	rebound_part *html;
} anatomy;

static bool type_is(const rebound_part *p, const char *t)
{
	return strcmp(p->type, t) == 0;
}

static bool is_embedded_type(const rebound_part *p)
{
	return type_is(p, "message/rfc822") || type_is(p, "message/global") ||
	       type_is(p, "text/rfc822-headers") ||
	       type_is(p, "message/global-headers") ||
	       type_is(p, "message/partial");
}

/* Inside a returned copy?  Parts there belong to the original. */
static bool inside_embedded(const rebound_part *p)
{
	for (const rebound_part *q = p->parent; q != NULL; q = q->parent)
		if (is_embedded_type(q))
			return true;
	return false;
}

static bool is_attachment(const rebound_part *p)
{
	const char *cd = rebound_header_get(p->headers, "Content-Disposition");
	return cd != NULL && rebound_ascii_istarts(cd, strlen(cd), "attachment") &&
	       p->depth > 0 && !type_is(p, "text/plain");
}

static void dissect(rebound_message *msg, anatomy *a)
{
	memset(a, 0, sizeof(*a));
	for (rebound_part *p = msg->root; p != NULL; p = rebound_part_next(p)) {
		if (inside_embedded(p))
			continue;
		bool dsn = type_is(p, "message/delivery-status") ||
			   type_is(p, "message/global-delivery-status");
		if (dsn && a->report == NULL)
			a->report = p;
		else if (dsn) {
			if (a->nmore < MAX_REPORTS - 1)
				a->more_reports[a->nmore++] = p;
		} else if (a->feedback == NULL &&
			 type_is(p, "message/feedback-report"))
			a->feedback = p;
		else if (a->original == NULL && is_embedded_type(p))
			a->original = p->first_child;
		else if (a->text == NULL && type_is(p, "text/plain") &&
			 !is_attachment(p))
			a->text = p;
		else if (a->html == NULL && type_is(p, "text/html"))
			a->html = p;
	}
}

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

/* Length of a reply prefix "550-5.7.1 " / "550 5.7.1 " / "550-" at s. */
static size_t reply_prefix(const char *s, size_t n)
{
	if (n < 4 || !rebound_is_digit(s[0]) || !rebound_is_digit(s[1]) ||
	    !rebound_is_digit(s[2]) || (s[3] != '-' && s[3] != ' '))
		return 0;
	size_t i = 4;
	char st[16];
	if (rebound_find_status(s + i, n - i < 12 ? n - i : 12, st) &&
	    strncmp(s + i, st, strlen(st)) == 0)
		i += strlen(st);
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* A multi-line SMTP reply repeats its code on every line ("550-5.7.26
 * Unauthenticated email ... domain's\n550-5.7.26 DMARC policy"); drop the
 * repeats so that phrases read across the line breaks. */
static const char *join_reply_lines(rebound_arena *arena, const char *text)
{
	size_t n = strlen(text);
	if (memchr(text, '\n', n) == NULL)
		return text;
	char *out = rebound_arena_alloc(arena, n + 1);
	if (out == NULL)
		return text;
	size_t o = 0;
	bool continued = false;	/* the previous line was "NNN-..." */
	const char *p = text, *end = text + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *l = p;
		while (l < eol && rebound_is_wsp(*l))
			l++;
		size_t len = (size_t)(eol - l);
		bool dash = len >= 4 && rebound_is_digit(l[0]) && l[3] == '-';
		size_t skip = continued ? reply_prefix(l, len) : 0;
		memcpy(out + o, l + skip, len - skip);
		o += len - skip;
		out[o++] = nl != NULL ? '\n' : '\0';
		continued = dash;
		p = nl != NULL ? nl + 1 : end;
	}
	if (o > 0 && out[o - 1] == '\0')
		o--;
	out[o] = '\0';
	return out;
}

/* The same repeats inside one unfolded line ("... multiple 550 5.7.1
 * addresses in From: header"): drop "NNN-X.Y.Z " / "NNN X.Y.Z " tokens
 * that follow the start of the text.  Returns the new length. */
static size_t drop_inner_prefixes(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (i > 0 && s[i - 1] == ' ') {
			size_t k = reply_prefix(s + i, n - i);
			char st[16];
			if (k > 4 && rebound_find_status(s + i + 4, k - 4, st)) {
				i += k;
				continue;
			}
		}
		s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

/* Replace every address in norm (in place) by "@" so that a mailbox
 * called "filtered@..." does not read as a reason. */
static void blank_addresses(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '@')
			continue;
		size_t l = i, r = i + 1;
		while (l > 0 && s[l - 1] != ' ' && s[l - 1] != '<' &&
		       s[l - 1] != '(' && s[l - 1] != ':' && s[l - 1] != '"')
			l--;
		while (r < n && s[r] != ' ' && s[r] != '>' && s[r] != ')' &&
		       s[r] != '"')
			r++;
		for (size_t k = l; k < r; k++)
			s[k] = k == i ? '@' : '_';
	}
}

/* Lower-case letters and digits (normalised text is lower case). */
static bool is_lower_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_lower_alnum(char c)
{
	return is_lower_alpha(c) || rebound_is_digit(c);
}

/* Is s[0..n) a host name: dot-separated labels of letters, digits and
 * '-', ending in a country code or a common generic top-level domain
 * (the list keeps "too long.Please" from reading as one)? */
static bool is_hostname(const char *s, size_t n)
{
	static const char *const generic[] = {
		"com", "net", "org", "edu", "gov", "mil", "int", "info",
		"biz", "name", "mobi", "asia", "aero", "coop", "museum",
		"local", "localdomain", "arpa", "email", "online",
	};
	size_t last = n, labels = 0, label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			labels++;
			label = 0;
			last = i + 1;
		} else if (is_lower_alnum(c) || c == '-')
			label++;
		else
			return false;
	}
	if (labels == 0 || label == 0)
		return false;
	size_t tl = n - last;
	for (size_t i = last; i < n; i++)
		if (!is_lower_alpha(s[i]))
			return false;
	if (tl == 2)
		return true;
	for (size_t i = 0; i < sizeof(generic) / sizeof(*generic); i++)
		if (strlen(generic[i]) == tl && memcmp(generic[i], s + last, tl) == 0)
			return true;
	return false;
}

/* Write every host name in norm as the word "host" (in place; returns the
 * new length), so that "553 mx.example.org does not exist" meets the
 * rule for a host that does not exist. */
static size_t mask_hostnames(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		bool starts = i == 0 || s[i - 1] == ' ' || s[i - 1] == '(' ||
			      s[i - 1] == '[' || s[i - 1] == '<' ||
			      s[i - 1] == '\'' || s[i - 1] == '"';
		size_t e = i;
		while (starts && e < n &&
		       (is_lower_alnum(s[e]) || s[e] == '.' || s[e] == '-'))
			e++;
		size_t end = e;
		while (end > i && s[end - 1] == '.')
			end--;		/* a sentence's full stop */
		if (end > i && end - i >= 4 && is_hostname(s + i, end - i)) {
			memcpy(s + o, "host", 4);
			o += 4;
			i = end;
			continue;
		}
		/* Copy the token (or one byte) as it is. */
		size_t stop = e > i ? e : i + 1;
		while (i < stop)
			s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

typedef struct reason_choice {
	rebound_reason reason;
	const char *rule;
} reason_choice;

/* The SMTP command a remote answer replied to, from the wording of the
 * notice ("in reply to RCPT TO command", "after end of data", ">>> DATA"). */
typedef enum smtp_stage {
	STAGE_UNKNOWN, STAGE_CONNECT, STAGE_MAIL, STAGE_RCPT, STAGE_DATA,
} smtp_stage;

static const struct {
	const char *phrase;
	smtp_stage stage;
} stage_phrases[] = {
	{ "in reply to end of data", STAGE_DATA },
	{ "in reply to data", STAGE_DATA },
	{ "in reply to rcpt to", STAGE_RCPT },
	{ "in reply to mail from", STAGE_MAIL },
	{ "after end of data", STAGE_DATA },
	{ "after data", STAGE_DATA },
	{ "our final data", STAGE_DATA },
	{ "after rcpt to", STAGE_RCPT },
	{ "after rcpt command", STAGE_RCPT },
	{ "does not like recipient", STAGE_RCPT },
	{ "our rcpt to", STAGE_RCPT },
	{ "after mail from", STAGE_MAIL },
	{ "our mail from", STAGE_MAIL },
	{ "after initial connection", STAGE_CONNECT },
	{ "smtp command data", STAGE_DATA },
	{ ">>> data", STAGE_DATA },
	{ ">>> rcpt to", STAGE_RCPT },
	{ ">>> mail from", STAGE_MAIL },
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
static rebound_matcher *stage_matcher;

/* In a session transcript (">>> RCPT TO:", "<<< 550 ..."), the command
 * that failed is the last one sent before the first error reply. */
static smtp_stage transcript_stage(const char *norm, size_t n)
{
	const char *err = rebound_memcasemem(norm, n, "<<< 5", 5);
	if (err == NULL)
		err = rebound_memcasemem(norm, n, "<<< 4", 5);
	if (err == NULL)
		return STAGE_UNKNOWN;
	smtp_stage stage = STAGE_UNKNOWN;
	size_t upto = (size_t)(err - norm);
	for (const char *p = norm; p < err;) {
		const char *cmd = rebound_memcasemem(p, upto - (size_t)(p - norm),
						     ">>> ", 4);
		if (cmd == NULL)
			break;
		size_t left = n - (size_t)(cmd - norm) - 4;
		if (rebound_ascii_istarts(cmd + 4, left, "data"))
			stage = STAGE_DATA;
		else if (rebound_ascii_istarts(cmd + 4, left, "rcpt"))
			stage = STAGE_RCPT;
		else if (rebound_ascii_istarts(cmd + 4, left, "mail"))
			stage = STAGE_MAIL;
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
		const char *list[STAGE_FIRST + N_STAGE];
		for (size_t i = 0; i < N_NO_RCPT; i++)
			list[i] = no_rcpt_left[i];
		list[STAGE_ERR_5] = "<<< 5";
		list[STAGE_ERR_4] = "<<< 4";
		for (size_t i = 0; i < N_STAGE; i++)
			list[STAGE_FIRST + i] = stage_phrases[i].phrase;
		stage_matcher = rebound_matcher_build(list, STAGE_FIRST + N_STAGE, 0);
	}
	if (stage_matcher != NULL)
		rebound_matcher_each(stage_matcher, norm, n, take_stage, h);
}

static smtp_stage find_stage(const char *norm, size_t n)
{
	stage_hits h;
	stage_words(norm, n, &h);
	if (h.no_rcpt)
		return STAGE_RCPT;
	if (h.transcript) {
		smtp_stage t = transcript_stage(norm, n);
		if (t != STAGE_UNKNOWN)
			return t;
	}
	return h.phrase >= 0 ? stage_phrases[h.phrase].stage : STAGE_UNKNOWN;
}

static reason_choice phrase_choice(rebound_arena *arena, long id)
{
	const rebound_phrase_rule *r = &rebound_phrase_rules[id];
	reason_choice c;
	c.reason = r->reason;
	c.rule = rebound_arena_printf(arena, "phrase %s/%s%s \"%s\"",
				      rebound_reason_name(r->reason), r->lang,
				      (r->flags & REBOUND_RULE_WEAK) ? "/weak" : "",
				      r->phrase);
	return c;
}

/* The order: a strong phrase, a specific status code, a weak phrase, the
 * reply code; then the SMTP stage refines what the words could not tell
 * (an unknown user refused only after DATA is a content filter). */
/* The text as the phrase rules see it (multi-line reply prefixes joined
 * and dropped, addresses blanked, normalised) and the first strong and
 * weak rule that match it.  Returns that view (NULL when out of memory,
 * with no match). */
static char *match_phrases(rebound_arena *arena, const char *text,
			   size_t *len, long *strong, long *weak)
{
	*strong = *weak = -1;
	*len = 0;
	text = join_reply_lines(arena, text);
	char *norm = rebound_matcher_normalise(arena, text, strlen(text), len);
	if (norm == NULL)
		return NULL;
	blank_addresses(norm, *len);
	*len = drop_inner_prefixes(norm, *len);
	*len = mask_hostnames(norm, *len);
	rebound_rules_match_phrase(norm, *len, strong, weak);
	return norm;
}

/* Is status an X.7.x code (security or policy)? */
static bool policy_status(const char *status)
{
	return status != NULL && status[0] != '\0' &&
	       strncmp(status + 1, ".7.", 3) == 0;
}

/* Is status X.2.1 (mailbox disabled, not accepting messages)? */
static bool mailbox_disabled_status(const char *status)
{
	return status != NULL && status[0] != '\0' &&
	       strcmp(status + 1, ".2.1") == 0;
}

static reason_choice decide_reason(rebound_arena *arena, const char *diag,
				   const char *context, const char *status,
				   const char *reply, rebound_action action)
{
	reason_choice c = { REBOUND_REASON_UNDEFINED, "default undefined" };
	/* A recipient that was delivered, relayed or expanded did not
	   bounce, whatever its reply says. */
	if (action == REBOUND_ACTION_DELIVERED ||
	    action == REBOUND_ACTION_RELAYED ||
	    action == REBOUND_ACTION_EXPANDED) {
		c.reason = REBOUND_REASON_DELIVERED;
		c.rule = rebound_arena_printf(arena, "action %s",
					      rebound_action_name(action));
		return c;
	}
	char *norm = NULL;
	size_t nl = 0;
	long strong = -1, weak = -1;
	if (diag != NULL && *diag != '\0')
		norm = match_phrases(arena, diag, &nl, &strong, &weak);
	long sid = rebound_rules_match_status(status);
	long rid = rebound_rules_match_reply(reply);
	if (strong >= 0) {
		c = phrase_choice(arena, strong);
		/* Some words mean another reason when they are the reporting
		   MTA's own, with no reply or status code (rules.c: PB). */
		rebound_reason bare = rebound_phrase_rules[strong].bare;
		if (bare != REBOUND_REASON_UNDEFINED &&
		    (reply == NULL || reply[0] == '\0') &&
		    (status == NULL || status[0] == '\0')) {
			c.reason = bare;
			c.rule = rebound_arena_printf(
				arena, "%s, no remote reply", c.rule);
		}
	} else if (sid >= 0) {
		c.reason = rebound_status_rules[sid].reason;
		c.rule = rebound_arena_printf(arena, "status %s",
					      rebound_status_rules[sid].code);
	} else if (weak >= 0)
		c = phrase_choice(arena, weak);
	else if (rid >= 0) {
		c.reason = rebound_reply_rules[rid].reason;
		c.rule = rebound_arena_printf(arena, "reply %s",
					      rebound_reply_rules[rid].code);
	} else if (action == REBOUND_ACTION_DELAYED) {
		c.reason = REBOUND_REASON_EXPIRED;
		c.rule = "action delayed";
	}
	/* The stage refines only these reasons (below): no scan for the
	   others. */
	bool refinable = c.reason == REBOUND_REASON_USERUNKNOWN ||
			 c.reason == REBOUND_REASON_HOSTUNKNOWN ||
			 c.reason == REBOUND_REASON_UNDEFINED;
	smtp_stage stage = norm != NULL && refinable ? find_stage(norm, nl) :
						       STAGE_UNKNOWN;
	if (refinable && stage == STAGE_UNKNOWN && context != NULL &&
	    context != diag) {
		size_t cl;
		char *cn = rebound_matcher_normalise(arena, context,
						     strlen(context), &cl);
		if (cn != NULL)
			stage = find_stage(cn, cl);
	}
	/* "User unknown" beside a status that says otherwise is a filter's
	   refusal worded as a missing user: a security/policy status
	   (X.7.x) in the reply itself, or X.2.1 ("mailbox disabled": the
	   mailbox exists) unless the refusal came at RCPT, where the address
	   itself was checked. */
	const char *against = NULL;
	if (c.reason == REBOUND_REASON_USERUNKNOWN) {
		if (strong >= 0 && policy_status(status) && diag != NULL &&
		    strstr(diag, status) != NULL)
			against = "";
		else if (stage != STAGE_RCPT && mailbox_disabled_status(status))
			against = " without RCPT";
	}
	if (against != NULL) {
		c.reason = REBOUND_REASON_FILTERED;
		c.rule = rebound_arena_printf(arena, "%s, then status %s%s",
					      c.rule, status, against);
	}
	rebound_reason before = c.reason;
	bool account_words = strong >= 0 && (rebound_phrase_rules[strong].flags &
					     REBOUND_RULE_AT_DATA);
	if (stage == STAGE_DATA && c.reason == REBOUND_REASON_USERUNKNOWN &&
	    !account_words)
		c.reason = REBOUND_REASON_FILTERED;
	else if (stage == STAGE_MAIL &&
		 (c.reason == REBOUND_REASON_USERUNKNOWN ||
		  c.reason == REBOUND_REASON_HOSTUNKNOWN ||
		  c.reason == REBOUND_REASON_UNDEFINED))
		c.reason = REBOUND_REASON_REJECTED;
	else if (stage == STAGE_CONNECT && c.reason == REBOUND_REASON_UNDEFINED)
		c.reason = REBOUND_REASON_BLOCKED;
	if (c.reason != before)
		c.rule = rebound_arena_printf(
			arena, "%s, then stage %s", c.rule,
			stage == STAGE_DATA ? "DATA" :
			stage == STAGE_MAIL ? "MAIL FROM" : "connect");
	return c;
}

static bool is_hard(rebound_reason r, const char *status, const char *reply)
{
	switch (r) {
	case REBOUND_REASON_USERUNKNOWN:
	case REBOUND_REASON_HOSTUNKNOWN:
	case REBOUND_REASON_HASMOVED:
		return true;
	case REBOUND_REASON_NOTACCEPT:
		/* A domain that takes no mail is permanent unless the
		   report itself says it is temporary. */
		return !((status != NULL && status[0] == '4') ||
			 (reply != NULL && reply[0] == '4'));
	default:
		return false;
	}
}

static rebound_action parse_action(const char *a, const char *status)
{
	if (a != NULL) {
		size_t n = strlen(a);
		if (rebound_ascii_istarts(a, n, "fail"))
			return REBOUND_ACTION_FAILED;
		if (rebound_ascii_istarts(a, n, "delay"))
			return REBOUND_ACTION_DELAYED;
		if (rebound_ascii_istarts(a, n, "deliver"))
			return REBOUND_ACTION_DELIVERED;
		if (rebound_ascii_istarts(a, n, "relay"))
			return REBOUND_ACTION_RELAYED;
		if (rebound_ascii_istarts(a, n, "expand"))
			return REBOUND_ACTION_EXPANDED;
	}
	if (status != NULL && status[0] == '2')
		return REBOUND_ACTION_DELIVERED;
	if (status != NULL && status[0] == '4')
		return REBOUND_ACTION_DELAYED;
	return REBOUND_ACTION_FAILED;
}

/* One line, trimmed, at most MAX_DIAGNOSTIC bytes. */
static const char *one_line(rebound_arena *arena, const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	if (n > MAX_DIAGNOSTIC)
		n = MAX_DIAGNOSTIC;
	char *out = rebound_arena_alloc(arena, n + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool space = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (rebound_is_space(c) || (unsigned char)c < 0x20) {
			if (!space)
				out[o++] = ' ';
			space = true;
		} else {
			out[o++] = c;
			space = false;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o > 0 ? out : NULL;
}

static const char *first_address(rebound_arena *arena, const char *v)
{
	if (v == NULL)
		return NULL;
	return rebound_address_find(arena, v, strlen(v), NULL, NULL);
}

typedef struct rcpt_list {
	rebound_recipient *v;
	size_t n, cap;
} rcpt_list;

static rebound_recipient *add_rcpt(rebound_arena *arena, rcpt_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		rebound_recipient *g = rebound_arena_calloc(arena, ncap,
							    sizeof(*g));
		if (g == NULL)
			return NULL;
		if (l->n)
			memcpy(g, l->v, l->n * sizeof(*g));
		l->v = g;
		l->cap = ncap;
	}
	rebound_recipient *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static rebound_recipient *find_rcpt(rcpt_list *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (rebound_address_same(l->v[i].address, addr))
			return &l->v[i];
	return NULL;
}

/* Fill code fields from diagnostic text where the report had none. */
static void codes_from_text(rebound_recipient *r, const char *text, size_t n)
{
	if (text == NULL)
		return;
	if (r->status[0] == '\0')
		rebound_find_status(text, n, r->status);
	if (r->reply_code[0] == '\0')
		rebound_find_reply(text, n,
				   r->action == REBOUND_ACTION_DELIVERED ||
				   r->action == REBOUND_ACTION_RELAYED,
				   r->reply_code);
}

static void finish_rcpt(rebound_arena *arena, rebound_recipient *r,
			const char *reason_text, const char *context)
{
	reason_choice c = decide_reason(arena, reason_text, context, r->status,
					r->reply_code, r->action);
	/* Google Groups refuses posts in the poster's language; the group
	   address is the only stable part of its notice.  A clear answer
	   ("the account does not exist") still wins. */
	bool weak_or_none = c.reason == REBOUND_REASON_UNDEFINED ||
			    (c.rule != NULL && strstr(c.rule, "/weak") != NULL);
	if (weak_or_none &&
	    rebound_ascii_ieq(rebound_address_domain(r->address),
			      "googlegroups.com")) {
		c.reason = REBOUND_REASON_REJECTED;
		c.rule = "vendor googlegroups: posting refused";
	}
	r->reason = c.reason;
	r->rule = c.rule;
	r->hard = is_hard(r->reason, r->status, r->reply_code);
	/* A message that expired in the queue was delayed until it gave up:
	   reported as "delayed", the convention of the reason vocabulary. */
	if (r->reason == REBOUND_REASON_EXPIRED &&
	    r->action == REBOUND_ACTION_FAILED)
		r->action = REBOUND_ACTION_DELAYED;
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
			    const anatomy *a, senders *s)
{
	const rebound_header *h = msg->root->headers;
	add_sender(s, first_address(arena, rebound_header_get(h, "To")));
	add_sender(s, first_address(arena, rebound_header_get(h, "From")));
	if (a->original != NULL) {
		const rebound_header *oh = a->original->headers;
		add_sender(s, first_address(arena, rebound_header_get(oh, "From")));
		add_sender(s, first_address(arena,
					    rebound_header_get(oh, "Return-Path")));
	}
}

/* The human-readable text of the notice, NUL-terminated. */
static const char *notice_text(rebound_message *msg, const anatomy *a,
			       size_t *len)
{
	if (a->text != NULL)
		return rebound_part_text(msg, a->text, len);
	if (a->html != NULL)
		return rebound_part_text(msg, a->html, len);
	*len = 0;
	return "";
}

/* The recipients of delivery-status fields body[0..blen): a report part's
 * body, or the fields a notice quotes in its text. */
static int from_report(rebound_message *msg, const char *body, size_t blen,
		       rebound_result *res, rcpt_list *l,
		       const rebound_text_scan *ts)
{
	rebound_arena *arena = msg->arena;
	rebound_dsn dsn;
	if (rebound_dsn_parse(arena, body, blen, &dsn) < 0)
		return -1;
	/* The first report's, when there are several. */
	if (res->reporting_mta == NULL)
		res->reporting_mta = dsn.reporting_mta;
	if (res->envelope_id == NULL)
		res->envelope_id = dsn.envelope_id;
	for (size_t i = 0; i < dsn.nrcpt; i++) {
		const rebound_dsn_rcpt *d = &dsn.rcpt[i];
		const char *addr = first_address(arena, d->final_rcpt);
		if (addr == NULL)
			addr = first_address(arena, d->original_rcpt);
		if (addr == NULL)
			addr = first_address(arena, d->actual_rcpt);
		if (addr == NULL || find_rcpt(l, addr) != NULL)
			continue;
		rebound_recipient *r = add_rcpt(arena, l);
		if (r == NULL)
			return -1;
		r->address = addr;
		if (d->status != NULL)
			rebound_find_status(d->status, strlen(d->status),
					    r->status);
		/* The remote server's own code is more precise than the
		   reporting MTA's summary (5.0.0 for "550 5.7.1 ..."). */
		char own[16];
		if (d->diagnostic != NULL &&
		    rebound_find_status(d->diagnostic, strlen(d->diagnostic), own) &&
		    (r->status[0] == '\0' || own[0] == r->status[0]))
			memcpy(r->status, own, sizeof(own));
		r->action = parse_action(d->action, r->status);
		r->remote_mta = d->remote_mta;
		const char *diag = d->diagnostic;
		/* The notice's own words when the report has no diagnostic. */
		const char *reason_text = diag;
		const char *context = NULL;
		const char *orig = first_address(arena, d->original_rcpt);
		for (size_t k = 0; ts != NULL && k < ts->nrcpt; k++)
			if (rebound_address_same(ts->rcpt[k].address, addr) ||
			    rebound_address_same(ts->rcpt[k].address, orig)) {
				context = ts->rcpt[k].block;
				if (diag == NULL || *diag == '\0')
					reason_text = context;
				break;
			}
		if ((reason_text == NULL || *reason_text == '\0') && ts != NULL &&
		    dsn.nrcpt == 1)
			reason_text = ts->preamble_len > 0 ?
				rebound_arena_strndup(arena, ts->preamble,
						      ts->preamble_len) : NULL;
		if (diag != NULL)
			codes_from_text(r, diag, strlen(diag));
		if (context != NULL)
			codes_from_text(r, context, strlen(context));
		r->diagnostic = one_line(arena, diag != NULL ? diag : reason_text,
					 diag != NULL ? strlen(diag) :
					 reason_text != NULL ? strlen(reason_text) : 0);
		finish_rcpt(arena, r, reason_text, context);
		/* "x-unix" diagnostics come from a local delivery program
		   (procmail, a pipe): the mailer failed, unless what it
		   printed is a full mailbox (a quota). */
		if (d->diagnostic_type != NULL &&
		    strcmp(d->diagnostic_type, "x-unix") == 0 &&
		    r->reason != REBOUND_REASON_MAILBOXFULL) {
			r->reason = REBOUND_REASON_MAILERERROR;
			r->rule = "diagnostic type x-unix";
			r->hard = false;
		}
	}
	return 0;
}

/* Delivery-status fields quoted in a notice's text: from the first
 * Reporting-MTA / Final-Recipient / Original-Recipient line, when a
 * Final-Recipient line and an Action or Status line follow.  NULL if
 * there are none. */
static const char *quoted_report(const char *text, size_t len, size_t *blen)
{
	/* Most notices quote no fields: one fast search says so. */
	if (rebound_memcasemem(text, len, "final-recipient:", 16) == NULL)
		return NULL;
	const char *start = NULL;
	bool rcpt = false, state = false;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		bool is_rcpt = rebound_ascii_istarts(p, n, "final-recipient:");
		if (start == NULL &&
		    (is_rcpt || rebound_ascii_istarts(p, n, "reporting-mta:") ||
		     rebound_ascii_istarts(p, n, "original-recipient:")))
			start = p;
		if (start != NULL) {
			rcpt = rcpt || is_rcpt;
			state = state || rebound_ascii_istarts(p, n, "action:") ||
				rebound_ascii_istarts(p, n, "status:");
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (start == NULL || !rcpt || !state)
		return NULL;
	*blen = (size_t)(end - start);
	return start;
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

static int from_text(rebound_message *msg, const rebound_text_scan *ts,
		     bool delayed, rcpt_list *l)
{
	rebound_arena *arena = msg->arena;
	const char *pre = NULL, *pre_line = NULL;	/* made on first use */
	for (size_t i = 0; i < ts->nrcpt; i++) {
		const rebound_text_rcpt *t = &ts->rcpt[i];
		rebound_recipient *r = add_rcpt(arena, l);
		if (r == NULL)
			return -1;
		r->address = t->address;
		r->action = delayed ? REBOUND_ACTION_DELAYED :
				      REBOUND_ACTION_FAILED;
		/* The remote server's code first: its transcript reply, or
		   sendmail's "554 <a@b>... 550 Host unknown", where 554 is
		   the local mailer's and 550 the remote's. */
		if (t->remote_reply != NULL)
			codes_from_text(r, t->remote_reply,
					strlen(t->remote_reply));
		else
			inner_reply(t->block, t->block_len, r->reply_code);
		codes_from_text(r, t->block, t->block_len);
		r->diagnostic = one_line(arena, t->block, t->block_len);
		/* The remote server's own words decide, when a transcript
		   gives them; the whole block is the context. */
		if (t->remote_reply != NULL)
			finish_rcpt(arena, r, t->remote_reply, t->block);
		if (t->remote_reply == NULL ||
		    r->reason == REBOUND_REASON_UNDEFINED)
			finish_rcpt(arena, r, t->block, NULL);
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
				pre_line = one_line(arena, pre, ts->preamble_len);
			}
			codes_from_text(r, pre, ts->preamble_len);
			finish_rcpt(arena, r, pre, NULL);
			if (r->reason != REBOUND_REASON_UNDEFINED ||
			    r->status[0] != '\0')
				r->diagnostic = pre_line;
		}
	}
	return 0;
}

static const char *header_norm(rebound_arena *arena, const rebound_header *h,
			       const char *name, size_t *len)
{
	const char *v = rebound_header_get(h, name);
	*len = 0;
	if (v == NULL)
		return NULL;
	const char *d = rebound_header_decode(arena, v, strlen(v));
	return rebound_matcher_normalise(arena, d, strlen(d), len);
}

/* Mailing-list mail: List-Id or List-Unsubscribe (RFC 2369, 2919).
 * Precedence: bulk is no sign: mail systems put it on their notices. */
static bool is_list_mail(const rebound_header *h)
{
	return rebound_header_get(h, "List-Id") != NULL ||
	       rebound_header_get(h, "List-Unsubscribe") != NULL;
}

/* subj: the normalised Subject (or NULL), sl its length. */
static bool is_autoreply(const rebound_header *h, const char *subj,
			 size_t sl, const char **why)
{
	const char *as = rebound_header_get(h, "Auto-Submitted");
	if (as != NULL && rebound_ascii_istarts(as, strlen(as), "auto-replied")) {
		*why = "Auto-Submitted: auto-replied";
		return true;
	}
	if (rebound_header_get(h, "X-Autoreply") != NULL ||
	    rebound_header_get(h, "X-Autorespond") != NULL ||
	    rebound_header_get(h, "X-Autoresponder") != NULL) {
		*why = "X-Autoreply header";
		return true;
	}
	const char *prec = rebound_header_get(h, "Precedence");
	if (prec != NULL && rebound_ascii_istarts(prec, strlen(prec), "auto_reply")) {
		*why = "Precedence: auto_reply";
		return true;
	}
	if (subj != NULL) {
		const char *hit = rebound_detect_autoreply_subject(subj, sl);
		/* Only at the start of the subject: "Re: vacation plans" is
		   ordinary mail. */
		if (hit != NULL && strncmp(subj, hit, strlen(hit)) == 0) {
			*why = "auto-reply subject";
			return true;
		}
	}
	return false;
}

static void link_original(rebound_message *msg, const anatomy *a,
			  const rebound_classify_options *opts,
			  rebound_result *res)
{
	rebound_arena *arena = msg->arena;
	const rebound_header *top = msg->root->headers;
	const char *own = rebound_header_get(top, "Message-ID");
	if (own != NULL)
		res->message_id = one_line(arena, own, strlen(own));
	const char *campaign = opts != NULL && opts->campaign_header != NULL ?
				       opts->campaign_header : "X-Campaign-ID";
	if (a->original != NULL) {
		const rebound_header *oh = a->original->headers;
		const char *mid = rebound_header_get(oh, "Message-ID");
		if (mid != NULL)
			res->orig_message_id = one_line(arena, mid, strlen(mid));
		const char *c = rebound_header_get(oh, campaign);
		if (c != NULL)
			res->campaign = one_line(arena, c, strlen(c));
		const char *from = first_address(arena,
						 rebound_header_get(oh, "From"));
		if (from != NULL)
			res->sender_domain = rebound_address_domain(from);
	}
	if (res->sender_domain == NULL) {
		const char *to = first_address(arena, rebound_header_get(top, "To"));
		if (to != NULL)
			res->sender_domain = rebound_address_domain(to);
	}
	/* VERP: LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN in the return path. */
	const char *fmt = opts != NULL && opts->verp_format != NULL ?
				  opts->verp_format :
				  "LOCAL+RCPTLOCAL=RCPTDOMAIN@DOMAIN";
	const char *p1 = strstr(fmt, "LOCAL");
	const char *p2 = strstr(fmt, "RCPTLOCAL");
	const char *p3 = strstr(fmt, "RCPTDOMAIN");
	if (p1 == NULL || p2 == NULL || p3 == NULL || p2 != p1 + 6 ||
	    p3 <= p2 + 9)
		return;
	char sep1 = p1[5], sep2 = p2[9];
	static const char *const where[] = { "X-Original-To", "Delivered-To",
					     "Envelope-To", "To" };
	for (size_t i = 0; i < sizeof(where) / sizeof(*where); i++) {
		const char *addr = first_address(arena,
						 rebound_header_get(top, where[i]));
		if (addr == NULL)
			continue;
		const char *at = strrchr(addr, '@');
		const char *s1 = memchr(addr, sep1, (size_t)(at - addr));
		if (s1 == NULL)
			continue;
		const char *s2 = NULL;
		for (const char *q = at - 1; q > s1; q--)
			if (*q == sep2) {
				s2 = q;
				break;
			}
		if (s2 == NULL || s2 == s1 + 1 || s2 + 1 == at)
			continue;
		res->verp_recipient = rebound_arena_printf(
			arena, "%.*s@%.*s", (int)(s2 - s1 - 1), s1 + 1,
			(int)(at - s2 - 1), s2 + 1);
		if (res->verp_recipient != NULL &&
		    !rebound_address_valid(res->verp_recipient))
			res->verp_recipient = NULL;
		else
			break;
	}
}

/* The security gateway named in s, or NULL. */
static const char *gateway_in(rebound_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n;
	char *norm = rebound_matcher_normalise(arena, s, strlen(s), &n);
	return norm != NULL ? rebound_detect_gateway(norm, n) : NULL;
}

/* Mark user-unknown answers that a security gateway gave. */
static void mark_suspects(rebound_message *msg, rebound_result *res,
			  const char *notice_gw)
{
	const char *gw = gateway_in(msg->arena, res->reporting_mta);
	if (gw == NULL)
		gw = notice_gw;
	if (gw == NULL)
		gw = gateway_in(msg->arena,
				rebound_header_get(msg->root->headers, "From"));
	res->gateway = gw;
	for (size_t i = 0; i < res->nrcpt; i++) {
		rebound_recipient *r = &res->rcpt[i];
		if (!r->hard || r->reason != REBOUND_REASON_USERUNKNOWN)
			continue;
		if (gw != NULL) {
			r->suspect = true;
			continue;
		}
		/* "550 5.1.1 Recipient address rejected: access denied by
		   policy" is worded as a block, whatever its code says. */
		if (r->diagnostic != NULL) {
			size_t nl;
			char *n = rebound_matcher_normalise(
				msg->arena, r->diagnostic,
				strlen(r->diagnostic), &nl);
			if (n != NULL && rebound_detect_policy_words(n, nl) != NULL)
				r->suspect = true;
		}
	}
}

static bool any_failed_or_delayed(const rcpt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].action == REBOUND_ACTION_FAILED ||
		    l->v[i].action == REBOUND_ACTION_DELAYED)
			return true;
	return false;
}

static int classify_at(rebound_message *msg,
		       const rebound_classify_options *opts,
		       rebound_result **out, unsigned level);

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
	const char *from = header_norm(arena, h, "From", &fl);
	const char *ct = rebound_header_get(h, "Content-Type");
	return (from != NULL && rebound_detect_system_sender(from, fl) != NULL) ||
	       (ct != NULL && rebound_memcasemem(ct, strlen(ct), "report", 6) != NULL);
}

/* Subject prefixes of a reply or a forward, in the languages mail
 * clients write them: a person answering or passing on a notice, never a
 * mail system reporting one. */
static const char *const reply_prefixes[] = {
	"re:", "re :", "fwd:", "fw:", "aw:", "wg:", "tr:", "rv:", "sv:",
	"vs:", "antw:", "rif:", "r:", "i:", "enc:", "odp:", "res:", "doorst:",
	"回复:", "转发:", "答复:", "返信:", "転送:",
};

static bool reply_subject(const char *subj, size_t sl)
{
	for (size_t i = 0; i < sizeof(reply_prefixes) / sizeof(*reply_prefixes); i++)
		if (rebound_ascii_istarts(subj, sl, reply_prefixes[i]))
			return true;
	return false;
}

/* Signs that a message was written by a program, not a person: a null
 * return path (header, or as the MTA says), a From without an address,
 * Auto-Submitted other than "no". */
static bool machine_sent(rebound_arena *arena, const rebound_header *h,
			 const rebound_classify_options *opts)
{
	if (opts != NULL && opts->null_sender)
		return true;
	const char *rp = rebound_header_get(h, "Return-Path");
	if (rp != NULL) {
		size_t n = strlen(rp);
		rebound_trim(&rp, &n);
		if (n >= 2 && rp[0] == '<' && rp[1] == '>')
			return true;
	}
	const char *from = rebound_header_get(h, "From");
	if (from == NULL || first_address(arena, from) == NULL)
		return true;
	const char *as = rebound_header_get(h, "Auto-Submitted");
	return as != NULL && !rebound_ascii_istarts(as, strlen(as), "no");
}

/* Does s[0..n) carry an enhanced status code or an error reply code? */
static bool has_code(const char *s, size_t n)
{
	char st[16], rc[4];
	return rebound_find_status(s, n, st) ||
	       rebound_find_reply(s, n, false, rc);
}

/* Does a single-part body start like a JSON object?  Headers-only cost. */
static bool body_is_json(const rebound_part *root)
{
	if (root->first_child != NULL || root->raw_body == NULL)
		return false;
	size_t i = 0;
	while (i < root->raw_len && i < 64 && rebound_is_space(root->raw_body[i]))
		i++;
	return i < root->raw_len && root->raw_body[i] == '{';
}

/* Subtypes that say more than a General bounce does. */
static const struct {
	const char *subtype;
	rebound_reason reason;
} ses_subtypes[] = {
	{ "NoEmail", REBOUND_REASON_USERUNKNOWN },
	{ "Suppressed", REBOUND_REASON_SUPPRESSED },
	{ "OnAccountSuppressionList", REBOUND_REASON_SUPPRESSED },
	{ "MailboxFull", REBOUND_REASON_MAILBOXFULL },
	{ "MessageTooLarge", REBOUND_REASON_MESGTOOBIG },
	{ "ContentRejected", REBOUND_REASON_CONTENTERROR },
	{ "AttachmentRejected", REBOUND_REASON_CONTENTERROR },
};

/* 1 when the body was an SES notification (res filled), 0, or -1. */
static int from_ses(rebound_message *msg, const rebound_classify_options *opts,
		    rebound_result *res)
{
	rebound_arena *arena = msg->arena;
	size_t len;
	const char *body = rebound_part_text(msg, msg->root, &len);
	rebound_ses_notice n;
	int rc = rebound_ses_read(arena, body, len,
				  opts != NULL && opts->campaign_header != NULL ?
					  opts->campaign_header : "X-Campaign-ID",
				  &n);
	if (rc <= 0)
		return rc;
	rcpt_list l = { NULL, 0, 0 };
	res->format = "amazonses";
	if (n.reporting_mta != NULL) {
		/* "dsn; a27-23.smtp-out.us-west-2.amazonses.com" */
		const char *semi = strchr(n.reporting_mta, ';');
		const char *name = semi != NULL ? semi + 1 : n.reporting_mta;
		res->reporting_mta = one_line(arena, name, strlen(name));
	}
	res->orig_message_id = n.message_id;
	res->campaign = n.campaign;
	res->message_id = rebound_header_get(msg->root->headers, "Message-ID");
	if (n.source != NULL) {
		const char *src = first_address(arena, n.source);
		if (src != NULL)
			res->sender_domain = rebound_address_domain(src);
	}
	for (size_t i = 0; i < n.nrcpt; i++) {
		const rebound_ses_rcpt *x = &n.rcpt[i];
		const char *addr = first_address(arena, x->address);
		if (addr == NULL)
			continue;
		rebound_recipient *r = add_rcpt(arena, &l);
		if (r == NULL)
			return -1;
		r->address = addr;
		const char *text = n.kind == REBOUND_SES_DELIVERY ?
					   n.smtp_response : x->diagnostic;
		if (text != NULL)
			r->diagnostic = one_line(arena, text, strlen(text));
		if (n.kind == REBOUND_SES_COMPLAINT) {
			r->action = REBOUND_ACTION_FEEDBACK;
			r->reason = REBOUND_REASON_FEEDBACK;
			r->rule = "vendor amazonses: complaint";
			continue;
		}
		if (n.kind == REBOUND_SES_DELIVERY) {
			r->action = REBOUND_ACTION_DELIVERED;
			codes_from_text(r, text, text != NULL ? strlen(text) : 0);
			r->reason = REBOUND_REASON_DELIVERED;
			r->rule = "vendor amazonses: delivery";
			continue;
		}
		bool transient = n.bounce_type != NULL &&
				 strcmp(n.bounce_type, "Transient") == 0;
		r->action = x->action != NULL ? parse_action(x->action, x->status) :
			    REBOUND_ACTION_FAILED;
		if (x->status != NULL && rebound_status_valid(x->status))
			snprintf(r->status, sizeof(r->status), "%s", x->status);
		codes_from_text(r, r->diagnostic,
				r->diagnostic != NULL ? strlen(r->diagnostic) : 0);
		finish_rcpt(arena, r, r->diagnostic, NULL);
		if (r->reason == REBOUND_REASON_UNDEFINED && n.bounce_subtype != NULL)
			for (size_t k = 0; k < sizeof(ses_subtypes) /
						   sizeof(*ses_subtypes); k++)
				if (strcmp(n.bounce_subtype,
					   ses_subtypes[k].subtype) == 0) {
					r->reason = ses_subtypes[k].reason;
					r->rule = "vendor amazonses: bounceSubType";
					r->hard = is_hard(r->reason, r->status,
							  r->reply_code);
				}
		if (transient)
			r->hard = false;
	}
	res->rcpt = l.v;
	res->nrcpt = l.n;
	res->cls = n.kind == REBOUND_SES_COMPLAINT ? REBOUND_CLASS_FEEDBACK :
		   n.kind == REBOUND_SES_DELIVERY ? REBOUND_CLASS_DELIVERED :
						     REBOUND_CLASS_BOUNCE;
	res->evidence = n.kind == REBOUND_SES_COMPLAINT ?
				"Amazon SES complaint notification" :
			n.kind == REBOUND_SES_DELIVERY ?
				"Amazon SES delivery notification" :
				"Amazon SES bounce notification";
	return 1;
}

/* A gateway that forwards the bounce it received as an attachment, with
 * nothing of its own to say: classify the attached notice (one level
 * only).  Returns 1 when it was a bounce (*res replaced), 0 if not, -1. */
static int from_forwarded(rebound_message *msg, const anatomy *a,
			  const rebound_classify_options *opts,
			  rebound_result **res, unsigned level)
{
	if (level > 0 || a->original == NULL || a->original->parent == NULL)
		return 0;
	const rebound_part *wrap = a->original->parent;
	const rebound_part *inner = a->original;
	size_t fl = 0;
	const char *from = header_norm(msg->arena, inner->headers, "From", &fl);
	if (strncmp(inner->type, "multipart/report", 16) != 0 &&
	    (from == NULL || rebound_detect_system_sender(from, fl) == NULL))
		return 0;
	rebound_message *sub;
	if (rebound_message_parse(msg->arena, wrap->raw_body, wrap->raw_len,
				  &msg->limits, &sub) < 0)
		return -1;
	rebound_result *r;
	if (classify_at(sub, opts, &r, level + 1) < 0)
		return -1;
	if (r->cls != REBOUND_CLASS_BOUNCE || r->nrcpt == 0)
		return 0;
	r->evidence = rebound_arena_printf(msg->arena, "forwarded notice: %s",
					   r->evidence);
	r->msg_flags |= msg->flags;
	*res = r;
	return 1;
}

int rebound_classify_message(rebound_message *msg,
			     const rebound_classify_options *opts,
			     rebound_result **out)
{
	return classify_at(msg, opts, out, 0);
}

static int classify_at(rebound_message *msg,
		       const rebound_classify_options *opts,
		       rebound_result **out, unsigned level)
{
	rebound_arena *arena = msg->arena;
	rebound_result *res = rebound_arena_calloc(arena, 1, sizeof(*res));
	*out = res;
	if (res == NULL)
		return -1;
	res->msg_flags = msg->flags;
	res->evidence = "no bounce evidence";
	const rebound_header *top = msg->root->headers;

	anatomy a;
	dissect(msg, &a);

	if (a.feedback != NULL) {
		res->cls = REBOUND_CLASS_FEEDBACK;
		res->format = "arf";
		res->evidence = "message/feedback-report part";
		link_original(msg, &a, opts, res);
		return 0;
	}
	/* A JSON event notification (Amazon SES) in a plain body. */
	if (body_is_json(msg->root)) {
		int ses = from_ses(msg, opts, res);
		if (ses != 0)
			return ses < 0 ? -1 : 0;
	}
	/* What the subject and sender say. */
	size_t sl = 0, fl = 0;
	const char *subj = header_norm(arena, top, "Subject", &sl);
	/* A complaint report older than RFC 5965: its subject, and the
	   message complained about attached. */
	if (subj != NULL && a.original != NULL &&
	    rebound_detect_complaint_subject(subj, sl) != NULL) {
		res->cls = REBOUND_CLASS_FEEDBACK;
		res->format = "complaint";
		res->evidence = "complaint subject and the message attached";
		link_original(msg, &a, opts, res);
		return 0;
	}
	/* A request to leave a list, sent by a mail client's unsubscribe
	   button (Apple Mail marks it X-Apple-Unsubscribe) or by a person
	   whose subject says only that: the recipient's feedback. */
	if (rebound_header_get(top, "X-Apple-Unsubscribe") != NULL ||
	    (subj != NULL && sl == 11 && memcmp(subj, "unsubscribe", 11) == 0)) {
		res->cls = REBOUND_CLASS_FEEDBACK;
		res->format = "unsubscribe";
		res->evidence = "unsubscribe request";
		link_original(msg, &a, opts, res);
		/* The subscriber is who asks: the ledger records it for that
		   address (feedback never suppresses by itself). */
		const char *who = first_address(arena,
						rebound_header_get(top, "From"));
		if (who != NULL) {
			rcpt_list one = { NULL, 0, 0 };
			rebound_recipient *r = add_rcpt(arena, &one);
			if (r == NULL)
				return -1;
			r->address = who;
			r->action = REBOUND_ACTION_FEEDBACK;
			r->reason = REBOUND_REASON_FEEDBACK;
			r->rule = "unsubscribe request from the sender";
			res->rcpt = one.v;
			res->nrcpt = one.n;
		}
		return 0;
	}
	const char *from = header_norm(arena, top, "From", &fl);
	const char *subj_hit = subj != NULL ?
		rebound_detect_bounce_subject(subj, sl) : NULL;
	const char *from_hit = from != NULL ?
		rebound_detect_system_sender(from, fl) : NULL;
	/* A no-reply sender (a carrier's mail system, but also every
	   newsletter) counts only when it returns the original message. */
	if (from_hit != NULL && strcmp(from_hit, "no-reply@") == 0 &&
	    a.original == NULL)
		from_hit = NULL;
	const char *xfr = rebound_header_get(top, "X-Failed-Recipients");
	const char *why = NULL;
	/* Ordinary mail (most of a monitored mailbox) stops here: no report,
	   no mail system, no bounce subject; and list mail never is a
	   plain-text notice, whatever its subject says. */
	if (a.report == NULL &&
	    ((from_hit == NULL && subj_hit == NULL && xfr == NULL) ||
	     is_list_mail(top))) {
		if (is_autoreply(top, subj, sl, &why)) {
			res->cls = REBOUND_CLASS_AUTOREPLY;
			res->evidence = why;
		}
		return 0;
	}

	size_t tlen;
	const char *text = notice_text(msg, &a, &tlen);
	senders snd = { .n = 0 };
	collect_senders(arena, msg, &a, &snd);
	rebound_text_scan ts;
	if (rebound_textbounce_scan(arena, text, tlen, snd.list, snd.n, &ts) < 0)
		return -1;
	/* Phrases are looked for before the returned copy only. */
	ntext before;
	normalise(arena, text, ts.original_at, &before);
	rebound_body_evidence ev;
	rebound_detect_body(before.norm, before.norm_len, &ev);
	const char *body_hit = ev.bounce;
	bool delayed = ev.delay != NULL;

	rcpt_list l = { NULL, 0, 0 };
	link_original(msg, &a, opts, res);

	/* Without a mail system's address, a bounce subject is all there
	   is: a person writing "Delivery failure on your list" or
	   "Re: Undeliverable" is not a notice.  A program's signs or the
	   original attached must back it, and it must not be a reply. */
	/* (A mail system may title its notice "Re: <subject>", as Apache
	   James does; an auto-responder answering a notice is no notice.) */
	bool notice_source = from_hit != NULL ||
		(subj_hit != NULL &&
		 !(subj != NULL && reply_subject(subj, sl)) &&
		 (xfr != NULL || a.original != NULL ||
		  machine_sent(arena, top, opts)));

	/* A report part, else the fields of one quoted in the text
	   ("Technical report: Reporting-MTA: ... Final-Recipient: ..."). */
	size_t blen = 0;
	const char *body = a.report != NULL ?
		rebound_part_body(msg, a.report, &blen) :
		notice_source ? quoted_report(text, ts.original_at, &blen) : NULL;
	if (body != NULL) {
		if (from_report(msg, body, blen, res, &l, &ts) < 0)
			return -1;
		for (size_t k = 0; k < a.nmore; k++) {
			size_t mlen = 0;
			const char *more = rebound_part_body(msg,
							     a.more_reports[k],
							     &mlen);
			if (more != NULL &&
			    from_report(msg, more, mlen, res, &l, &ts) < 0)
				return -1;
		}
		if (l.n > 0 && (a.report != NULL || any_failed_or_delayed(&l))) {
			res->format = "rfc3464";
			res->rcpt = l.v;
			res->nrcpt = l.n;
			if (any_failed_or_delayed(&l)) {
				res->cls = REBOUND_CLASS_BOUNCE;
				res->evidence = a.report != NULL ?
					"message/delivery-status part" :
					"delivery-status fields in the text";
				mark_suspects(msg, res, ev.gateway);
			} else {
				res->cls = REBOUND_CLASS_DELIVERED;
				res->evidence = "delivery-status: delivered";
			}
			return 0;
		}
	}
	/* A plain-text notice: a mail system or a bounce subject, the words
	   of a failure, and at least one recipient. */
	/* X-Failed-Recipients (Exim, Google) names them outright; else a
	   delivery report without recipient fields ("Delivery report
	   unavailable"), or a mail system's notice that says delivery
	   failed but names no one, returning an original sent to one
	   address alone: it failed for that one. */
	const char *named = xfr;
	/* The returned original's recipients: its To and Cc, attached or
	   copied inline below the notice. */
	const char *orig[MAX_ORIGINAL_RCPT];
	size_t no = 0;
	bool cc = false;
	bool want_orig = named == NULL && ts.nrcpt == 0 && notice_source;
	if (want_orig && a.original != NULL)
		no = original_recipients(arena, a.original->headers, orig,
					 MAX_ORIGINAL_RCPT, &cc);
	else if (want_orig && ts.original_at < tlen)
		no = rebound_textbounce_copy_recipients(arena, text, tlen,
							ts.original_at, orig,
							MAX_ORIGINAL_RCPT, &cc);
	/* Sent to one address alone (in To, none in Cc). */
	bool says_failed = from_hit != NULL && body_hit != NULL;
	if (no == 1 && !cc &&
	    (a.original != NULL ?
		     a.report != NULL ||
			     (says_failed &&
			      !attached_notice(arena, a.original->headers)) :
		     says_failed))
		named = orig[0];
	/* A notice that names its recipients by user name alone
	   ("carol.miller (user not found)"): the original's addresses with
	   those local parts. */
	bool by_user_name = false;
	if (named == NULL && want_orig && body_hit != NULL && no > 0) {
		if (rebound_textbounce_local_parts(arena, text, ts.original_at,
						   orig, no, &ts) < 0)
			return -1;
		by_user_name = ts.nrcpt > 0;
	}
	if (named != NULL && ts.nrcpt == 0) {
		const char *addr = first_address(arena, named);
		if (addr != NULL) {
			rebound_text_rcpt *one = rebound_arena_calloc(arena, 1,
								      sizeof(*one));
			if (one == NULL)
				return -1;
			one->address = addr;
			one->block = rebound_arena_strndup(arena, text,
							   ts.original_at);
			one->block_len = one->block != NULL ? ts.original_at : 0;
			if (one->block == NULL)
				one->block = "";
			ts.rcpt = one;
			ts.nrcpt = 1;
		}
	}
	bool coded = false;
	for (size_t i = 0; i < ts.nrcpt && !coded; i++)
		coded = has_code(ts.rcpt[i].block, ts.rcpt[i].block_len);
	/* ... or the error stated once above the recipients. */
	if (!coded && ts.nrcpt > 0)
		coded = has_code(ts.preamble, ts.preamble_len);
	/* A recipient's own lines that name a reason outright ("mailbox
	   exceeds allowed size") say it failed as clearly as a code. */
	bool reasoned = false;
	for (size_t i = 0; i < ts.nrcpt && !coded && body_hit == NULL &&
			   !delayed && !reasoned; i++) {
		size_t nl;
		long strong, weak;
		match_phrases(arena, ts.rcpt[i].block, &nl, &strong, &weak);
		reasoned = strong >= 0;
	}
	bool failure_words = body_hit != NULL || coded || xfr != NULL ||
			     delayed || reasoned;
	if (ts.nrcpt > 0 && failure_words && notice_source) {
		if (from_text(msg, &ts, delayed, &l) < 0)
			return -1;
		res->cls = REBOUND_CLASS_BOUNCE;
		res->format = "text";
		res->evidence = rebound_arena_printf(
			arena, "text notice: sender \"%s\", subject \"%s\", body \"%s\"%s",
			from_hit != NULL ? from_hit : "-",
			subj_hit != NULL ? subj_hit : "-",
			body_hit != NULL ? body_hit : coded ? "(reply code)" :
							      "(X-Failed-Recipients)",
			by_user_name ? "; recipients named by user name, "
				       "addresses from the original" : "");
		res->rcpt = l.v;
		res->nrcpt = l.n;
		mark_suspects(msg, res, ev.gateway);
		return 0;
	}
	/* Only a mail system's wrapper: a person forwarding a bounce to a
	   colleague is not reporting a new one. */
	int fw = from_hit != NULL ? from_forwarded(msg, &a, opts, out, level) : 0;
	if (fw != 0)
		return fw < 0 ? -1 : 0;
	if (is_autoreply(top, subj, sl, &why)) {
		res->cls = REBOUND_CLASS_AUTOREPLY;
		res->evidence = why;
		return 0;
	}
	return 0;
}

int rebound_classify(rebound_arena *arena, const char *buf, size_t len,
		     const rebound_classify_options *opts,
		     rebound_result **out)
{
	rebound_message *msg;
	*out = NULL;
	if (rebound_message_parse(arena, buf, len,
				  opts != NULL ? opts->limits : NULL, &msg) < 0)
		return -1;
	return rebound_classify_message(msg, opts, out);
}

int rebound_classify_reply(rebound_arena *arena, const char *address,
			   const char *reply, size_t len,
			   rebound_action action, rebound_recipient *out)
{
	memset(out, 0, sizeof(*out));
	const char *addr = address != NULL ? address : "";
	out->address = rebound_address_find(arena, addr, strlen(addr), NULL,
					    NULL);
	if (out->address == NULL)
		out->address = "";
	out->action = action;
	const char *text = one_line(arena, reply != NULL ? reply : "",
				    reply != NULL ? len : 0);
	if (text == NULL)
		return -1;
	out->diagnostic = text;
	codes_from_text(out, text, strlen(text));
	finish_rcpt(arena, out, text, NULL);
	/* An in-band 4xx is a deferral, whatever its words say. */
	if (action == REBOUND_ACTION_DELAYED)
		out->hard = false;
	return 0;
}

void rebound_classify_release(void)
{
	rebound_rules_release();
	rebound_detect_release();
	rebound_matcher_free(stage_matcher);
	stage_matcher = NULL;
	/* The iconv descriptors cached while decoding are ours too. */
	rebound_charset_cleanup();
}
