/* detect.c - phrase tables that tell bounces and auto-replies apart from
 * ordinary mail.  Each table is data: one line per phrase, lower case,
 * matched anywhere in normalised text (subjects: see the note below). */
#include "detect.h"

#include <assert.h>
#include <string.h>

#include "mail/address.h"
#include "mail/strutil.h"
#include "matcher.h"
#include "wordlists.h"

/* Subjects of non-delivery notices. */
static const char *const bounce_subjects[] = {
	"undeliverable", "undelivered mail", "undeliverable mail",
	"undelivered message", "delivery status notification (failure)",
	"delivery status notification (delay)",
	"delivery status notification", "delivery notification",
	"returned mail", "mail delivery failed", "delivery failure",
	"delivery failed", "failure notice", "failure delivery",
	"mail delivery failure", "email delivery failure", "delivery problem",
	"non-delivery", "nondeliverable", "non deliverable",
	"not delivered", "could not be delivered", "couldn't be delivered",
	"delivery has failed", "mail system error", "message not delivered",
	"returned to sender", "delivery report", "undelivered",
	"mail could not be delivered", "warning: message",
	"delayed mail", "delivery delayed", "delivery delay",
	"mail delivery system", "delivery final failure",
	"mail delivery status",
	"nicht zustellbar", "unzustellbar", "non remis", "non distribuable",
	"échec de la remise", "non recapitabile", "no se puede entregar",
	"não entregue", "kunde inte levereras", "onbestelbaar",
	"配信エラー", "送信エラー", "配送エラー", "不達",
	"발송 실패", "반송", "mancata consegna", "non recapitato",
	"nie została dostarczona", "niedostarczona",
	"недоставленное сообщение", "не доставлено", "退信",
	"nedoručitelná", "không gửi được", "teslim edilemedi",
	"無法傳遞", "배달 못함", "niedostarczalne",
};

/* Sentences of a notice body that say delivery failed. */
static const char *const bounce_bodies[] = {
	"could not be delivered", "couldn't be delivered",
	"was not delivered", "wasn't delivered", "not be delivered",
	"could not deliver", "couldn't deliver", "unable to deliver",
	"wasn't able to deliver", "was unable to deliver",
	"delivery to the following recipient",
	"delivery to the following recipients failed",
	"following address(es) failed", "following addresses failed",
	"following addresses had permanent fatal errors",
	"following recipients", "following recipient",
	"following address", "permanent error", "permanent fatal error",
	"fatal error", "delivery has failed", "delivery failed",
	"delivery failure", "undeliverable", "undelivered",
	"error delivering your mail", "did not reach the following",
	"message could not be sent", "failed to deliver",
	"returned to sender", "rejected your message",
	"remote host said", "smtp error from remote", "error from remote",
	"transcript of session follows", "unsent message follows",
	"error has occurred while attempting to deliver",
	"attempting to deliver", "failure reasons", "unknown user",
	"user unknown", "permanent delivery errors",
	"the error that the other server returned",
	"message you sent", "non-delivery", "has been rejected",
	"could not be forwarded", "your message", "your email",
	"nicht zugestellt", "konnte nicht", "n'a pas pu être remis",
	"n'a pas été remis", "non è stato possibile", "no se pudo entregar",
	"não foi possível entregar", "kunde inte levereras",
	"送信できません", "届きませんでした", "配信できません",
	"送信できませんでした", "配送できませんでした",
	"전달되지 못했습니다", "전송되지 못했습니다",
	"não pôde ser entregue", "non è stato consegnato",
	"non è stato recapitato", "nie mogła zostać dostarczona",
	"nie udało się dostarczyć", "не может быть доставлено",
	"не было доставлено", "邮件被退回", "无法投递",
	"nebylo možné doručit", "nepodařilo doručit",
	"ist fehlgeschlagen", "không thể gửi", "iletilemedi",
	"teslim edilemedi", "無法傳遞", "배달하지 못했습니다",
	"nie powiodło się", "message not delivered",
};

/* Warnings that delivery is only delayed. */
static const char *const delay_bodies[] = {
	"has not yet been delivered", "not yet been delivered",
	"delivery is delayed", "delivery has been delayed",
	"message delayed", "will continue trying", "still trying",
	"will retry", "will be retried", "this is a warning",
	"warning: message", "temporary error", "delivery attempts will continue",
	"no action is required on your part",
	"message is delayed", "temporary failure report",
	"n'a pas encore pu être remis", "continuera d'essayer",
};

/* Subjects of auto-replies.  The text has to start with one of these
 * (the caller checks the offset). */
static const char *const autoreply_subjects[] = {
	"auto:", "autoreply", "auto-reply", "auto reply", "auto response",
	"autoresponse", "automatic reply", "automatic response",
	"out of office", "out of the office", "away from the office",
	"away from my desk", "on vacation", "vacation reply",
	"vacation notice", "vacation message", "i am away", "i'm away", "abwesenheitsnotiz",
	"abwesend", "automatische antwort", "réponse automatique",
	"absence notice", "notification d'absence", "risposta automatica", "fuori ufficio",
	"respuesta automática", "fuera de la oficina",
	"resposta automática", "frånvaro", "autosvar", "自動応答",
	"不在", "自動返信",
	"automatisch antwoord", "afwezig", "automatyczna odpowiedź",
	"automatická odpověď", "automaattinen vastaus", "otomatik yanıt",
	"автоответ", "автоматический ответ", "自动回复", "自動回覆",
	"자동 응답", "trả lời tự động",
};

/* Display names and local parts of mail systems. */
static const char *const system_senders[] = {
	"mailer-daemon", "mailer daemon", "mail delivery", "postmaster",
	"mail administrator", "mail system", "mailerdaemon", "mail-daemon",
	"delivery subsystem", "mdaemon", "mail delivery subsystem",
	"microsoftexchange", "mail router", "notes mail",
	"postmaster@", "post_master", "bounce@", "bounces@", "nobody@", "system administrator",
	"internet mail delivery", "messaging system", "no-reply@",
	"courier mail server",
	/* an empty From ("<>", the null address of RFC 5321): no person
	   writes from it, only a gateway that signs its notice so */
	"<>",
};

/* Security gateways whose "user unknown" may be a policy block. */
static const char *const gateways[] = {
	"mimecast", "proofpoint", "pphosted", "barracuda", "ironport",
	"cisco secure email", "cisco email security", "messagelabs", "symantec", "trend micro", "trendmicro",
	"sophos", "forcepoint", "websense", "mcafee", "mxlogic",
	"fortimail", "spamtitan", "mailmarshal", "surfcontrol",
	"securence", "mailcontrol", "hornetsecurity", "retarus",
	"trustwave", "mailfoundry",
	/* a gateway that signs its notice by what it is, not its brand */
	"email security service",
};

/* Subjects of complaint reports that predate RFC 5965 (Microsoft's
 * junk mail reporting program); counted only with the returned message
 * attached. */
static const char *const complaint_subjects[] = {
	"complaint about message from",
};

/* Words of a policy block: a "user unknown" that says one of these may
 * be a refusal by policy, not a missing mailbox. */
static const char *const policy_words[] = {
	"by policy", "policy", "access denied", "not authorized",
	"not authorised", "not allowed", "blocked", "security gateway",
	"prohibited", "refused by the recipient's",
};

typedef struct table {
	const char *name;	/* of its phrase list (matcher.h) */
	const char *const *phrases;
	size_t count;
	const rebound_matcher *m;
	bool failed;
} table;

#define TABLE(a) { "detect." #a, a, sizeof(a) / sizeof(*a), NULL, false }

static table t_subject = TABLE(bounce_subjects);
static table t_body = TABLE(bounce_bodies);
static table t_delay = TABLE(delay_bodies);
static table t_auto = TABLE(autoreply_subjects);
static table t_system = TABLE(system_senders);
static table t_gateway = TABLE(gateways);
static table t_policy = TABLE(policy_words);
static table t_complaint = TABLE(complaint_subjects);

static rebound_phrase_list list_of(const table *t)
{
	return (rebound_phrase_list){ t->name, t->phrases, t->count, 0 };
}

/* The table's matcher, compiled in or built now (failed: could not). */
static void get_matcher(table *t)
{
	rebound_phrase_list list = list_of(t);
	t->m = rebound_matcher_builtin(&list);
	t->failed = t->m == NULL;
}

static const char *lookup(table *t, const char *norm, size_t len)
{
	if (t->m == NULL && !t->failed)
		get_matcher(t);
	if (t->m == NULL)
		return NULL;
	long id = rebound_matcher_first(t->m, norm, len);
	return id < 0 ? NULL : t->phrases[id];
}

const char *rebound_detect_bounce_subject(const char *norm, size_t len)
{
	return lookup(&t_subject, norm, len);
}

const char *rebound_detect_bounce_body(const char *norm, size_t len)
{
	return lookup(&t_body, norm, len);
}

const char *rebound_detect_delay_body(const char *norm, size_t len)
{
	return lookup(&t_delay, norm, len);
}

const char *rebound_detect_autoreply_subject(const char *norm, size_t len)
{
	return lookup(&t_auto, norm, len);
}

const char *rebound_detect_system_sender(const char *norm, size_t len)
{
	return lookup(&t_system, norm, len);
}

const char *rebound_detect_gateway(const char *norm, size_t len)
{
	return lookup(&t_gateway, norm, len);
}

/* The three tables read from a notice body, one after the other in one
 * matcher: an id below NB is a bounce phrase, then NB + delay, then
 * NB + ND + gateway.  Every phrase can be found in one scan (no more than
 * a scan keeps), so the lowest id of each range is what the table's own
 * matcher would give. */
#define NB (sizeof(bounce_bodies) / sizeof(*bounce_bodies))
#define ND (sizeof(delay_bodies) / sizeof(*delay_bodies))
#define NG (sizeof(gateways) / sizeof(*gateways))
static_assert(NB + ND + NG <= REBOUND_MATCHER_MAX_HITS,
	      "one body scan must be able to keep every phrase");
static const char *body_phrases[NB + ND + NG];
static table t_body_all = { "detect.body_all", body_phrases, NB + ND + NG,
			    NULL, false };

static void fill_body_phrases(void)
{
	for (size_t i = 0; i < NB; i++)
		body_phrases[i] = bounce_bodies[i];
	for (size_t i = 0; i < ND; i++)
		body_phrases[NB + i] = delay_bodies[i];
	for (size_t i = 0; i < NG; i++)
		body_phrases[NB + ND + i] = gateways[i];
}

static bool body_found(size_t id, void *ctx)
{
	rebound_body_evidence *ev = ctx;
	if (id < NB) {
		if (ev->bounce == NULL)
			ev->bounce = body_phrases[id];
	} else if (id < NB + ND) {
		if (ev->delay == NULL)
			ev->delay = body_phrases[id];
	} else if (ev->gateway == NULL) {
		ev->gateway = body_phrases[id];
	}
	return true;
}

void rebound_detect_body(const char *norm, size_t len,
			 rebound_body_evidence *out)
{
	out->bounce = out->delay = out->gateway = NULL;
	table *t = &t_body_all;
	if (t->m == NULL && !t->failed) {
		fill_body_phrases();
		get_matcher(t);
	}
	if (t->m == NULL) {
		/* Out of memory once: the tables one by one. */
		out->bounce = rebound_detect_bounce_body(norm, len);
		out->delay = rebound_detect_delay_body(norm, len);
		out->gateway = rebound_detect_gateway(norm, len);
		return;
	}
	rebound_matcher_each(t->m, norm, len, body_found, out);
}

static table *const all_tables[REBOUND_DETECT_NLISTS] = {
	&t_subject, &t_body, &t_delay, &t_auto, &t_system,
	&t_gateway, &t_policy, &t_complaint, &t_body_all
};

void rebound_detect_release(void)
{
	for (size_t i = 0; i < REBOUND_DETECT_NLISTS; i++) {
		rebound_matcher_release(all_tables[i]->m);
		all_tables[i]->m = NULL;
		all_tables[i]->failed = false;
	}
}

void rebound_detect_phrase_lists(rebound_phrase_list out[REBOUND_DETECT_NLISTS])
{
	fill_body_phrases();
	for (size_t i = 0; i < REBOUND_DETECT_NLISTS; i++)
		out[i] = list_of(all_tables[i]);
}

const char *rebound_detect_policy_words(const char *norm, size_t len)
{
	return lookup(&t_policy, norm, len);
}

const char *rebound_detect_complaint_subject(const char *norm, size_t len)
{
	return lookup(&t_complaint, norm, len);
}

const char *const *rebound_detect_entries(rebound_detect_table t, size_t *n,
					  const char **name)
{
#define ENTRY(a, s) { a, sizeof(a) / sizeof(*a), s }
	static const struct {
		const char *const *phrases;
		size_t count;
		const char *name;
	} all[REBOUND_DETECT_NTABLES] = {
		[REBOUND_DETECT_BOUNCE_SUBJECT] =
			ENTRY(bounce_subjects, "bounce_subject"),
		[REBOUND_DETECT_BOUNCE_BODY] = ENTRY(bounce_bodies, "bounce_body"),
		[REBOUND_DETECT_DELAY_BODY] = ENTRY(delay_bodies, "delay_body"),
		[REBOUND_DETECT_AUTOREPLY_SUBJECT] =
			ENTRY(autoreply_subjects, "autoreply_subject"),
		[REBOUND_DETECT_SYSTEM_SENDER] =
			ENTRY(system_senders, "system_sender"),
		[REBOUND_DETECT_GATEWAY] = ENTRY(gateways, "gateway"),
		[REBOUND_DETECT_COMPLAINT_SUBJECT] =
			ENTRY(complaint_subjects, "complaint_subject"),
		[REBOUND_DETECT_POLICY_WORDS] = ENTRY(policy_words, "policy_words"),
	};
#undef ENTRY
	if ((unsigned)t >= REBOUND_DETECT_NTABLES)
		return NULL;
	if (n != NULL)
		*n = all[t].count;
	if (name != NULL)
		*name = all[t].name;
	return all[t].phrases;
}

/* --- signs in the headers ------------------------------------------- */

/* Mailing-list mail: List-Id or List-Unsubscribe (RFC 2369, 2919).
 * Precedence: bulk is no sign: mail systems put it on their notices. */
bool rebound_detect_list_mail(const rebound_header *h)
{
	return rebound_header_get(h, "List-Id") != NULL ||
	       rebound_header_get(h, "List-Unsubscribe") != NULL;
}

/* subj: the normalised Subject (or NULL), sl its length. */
bool rebound_detect_autoreply(const rebound_header *h, const char *subj,
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

/* Subject prefixes of a reply or a forward, in the languages mail
 * clients write them: a person answering or passing on a notice, never a
 * mail system reporting one. */
static const char *const reply_prefixes[] = {
	"re:", "re :", "fwd:", "fw:", "aw:", "wg:", "tr:", "rv:", "sv:",
	"vs:", "antw:", "rif:", "r:", "i:", "enc:", "odp:", "res:", "doorst:",
	"回复:", "转发:", "答复:", "返信:", "転送:",
};

bool rebound_detect_reply_subject(const char *subj, size_t sl)
{
	for (size_t i = 0; i < sizeof(reply_prefixes) / sizeof(*reply_prefixes); i++)
		if (rebound_ascii_istarts(subj, sl, reply_prefixes[i]))
			return true;
	return false;
}

/* Signs that a message was written by a program, not a person: a null
 * return path (header, or as the MTA says), a From without an address,
 * Auto-Submitted other than "no". */
bool rebound_detect_machine_sent(rebound_arena *arena, const rebound_header *h,
				 bool null_sender)
{
	if (null_sender)
		return true;
	const char *rp = rebound_header_get(h, "Return-Path");
	if (rp != NULL) {
		size_t n = strlen(rp);
		rebound_trim(&rp, &n);
		if (n >= 2 && rp[0] == '<' && rp[1] == '>')
			return true;
	}
	const char *from = rebound_header_get(h, "From");
	if (from == NULL ||
	    rebound_address_find(arena, from, strlen(from), NULL, NULL) == NULL)
		return true;
	const char *as = rebound_header_get(h, "Auto-Submitted");
	return as != NULL && !rebound_ascii_istarts(as, strlen(as), "no");
}

/* --- the word list as data (wordlists.h) ----------------------------------- */

/* A Subject header (raw) that starts like a reply or a forward. */
static bool wl_reply_subject(rebound_arena *arena, const char *s, size_t n)
{
	size_t nl;
	char *norm = rebound_matcher_normalise(arena, s, n, &nl);
	return norm != NULL && rebound_detect_reply_subject(norm, nl);
}

const rebound_wordlist rebound_wordlist_reply_prefixes = REBOUND_WORDLIST(
	"reply_prefixes", reply_prefixes, wl_reply_subject);
