/* textbounce.c - recipients and their errors in a human-readable bounce. */
#include "textbounce.h"
#include "wordlists.h"

#include <stdint.h>
#include <string.h>

#include "mail/address.h"
#include "mail/strutil.h"

#define MAX_BLOCK 4096
#define MAX_SEGMENTS 8
#define MAX_BANNED 16

/* Lines that announce the returned copy of the original message.  Matched
 * against the start of a normalised line (lower case, single spaces,
 * leading dashes and spaces dropped). */
#define M(s) { s, sizeof(s) - 1 }
static const struct {
	const char *text;
	size_t len;
} original_markers[] = {
	M("this is a copy of the message"),
	M("below this line is a copy of the message"),
	M("message headers follow"),
	M("original message follows"),
	M("original message"),
	M("the original message headers"),
	M("unsent message follows"),
	M("unsent message below"),
	M("returned message follows"),
	M("returned mail follows"),
	M("returned message"),
	M("message header follows"),
	M("included is a copy of the message"),
	M("copy of the original message"),
	M("a copy of the original message"),
	M("headers of the original message"),
	M("original headers"),
	M("start of returned message"),
	M("begin original message"),
	M("forwarded message"),
	/* the same in the languages notices are written in */
	M("ursprüngliche nachricht"),
	M("original-nachricht"),
	M("originalnachricht"),
	M("kopie der nachricht"),
	M("message d'origine"),
	M("message original"),
	M("en-têtes du message d'origine"),
	M("copie du message"),
	M("mensaje original"),
	M("encabezados del mensaje original"),
	M("copia del mensaje"),
	M("messaggio originale"),
	M("intestazioni del messaggio originale"),
	M("mensagem original"),
	M("cabeçalhos da mensagem original"),
	M("oorspronkelijk bericht"),
	M("oorspronkelijke berichtkoppen"),
	M("origineel bericht"),
	M("ursprungligt meddelande"),
	M("oryginalna wiadomość"),
	M("исходное сообщение"),
	M("оригинальное сообщение"),
	M("исходное письмо"),
	M("原始邮件"),
	M("原邮件"),
	M("元のメッセージ"),
	M("元のメール"),
	M("送信したメール"),
	M("送信されたメール"),
};

/* Header names that start a copy of a header block. */
static const char *const copy_headers[] = {
	"received:", "return-path:", "message-id:", "date:", "from:",
	"to:", "subject:", "mime-version:", "content-type:", "x-mailer:",
	"dkim-signature:", "delivered-to:", "reply-to:", "cc:",
	/* a mail client's summary of the original, in its language */
	"von:", "an:", "betreff:", "gesendet:", "datum:", "kopie:",
	"de :", "à :", "objet :", "envoyé :", "date :", "cc :",
	"de:", "para:", "asunto:", "enviado:", "fecha:",
	"da:", "oggetto:", "inviato:", "assunto:",
	"van:", "aan:", "onderwerp:", "verzonden:",
	"från:", "till:", "ämne:", "skickat:",
	"od:", "do:", "temat:", "wysłano:",
	"от:", "кому:", "тема:", "дата:",
	"发件人:", "收件人:", "主题:", "差出人:", "宛先:", "件名:",
	/* ... and with the fullwidth colon they are usually written with */
	"发件人：", "收件人：", "主题：", "差出人：", "宛先：", "件名：",
};

/* Does s[0..n) start with the lower-case prefix, ignoring the case of
 * ASCII, Latin-1 and Cyrillic letters? */
static bool folded_starts(const char *s, size_t n, const char *prefix)
{
	size_t i = 0;
	for (size_t j = 0; prefix[j] != '\0';) {
		if (i >= n)
			return false;
		unsigned char fa, fv;
		if (i + 1 < n &&
		    rebound_utf8_fold_capital((unsigned char)s[i],
					      (unsigned char)s[i + 1], &fa, &fv)) {
			if ((unsigned char)prefix[j] != fa ||
			    (unsigned char)prefix[j + 1] != fv)
				return false;
			i += 2;
			j += 2;
			continue;
		}
		if (rebound_ascii_tolower(s[i]) != prefix[j])
			return false;
		i++;
		j++;
	}
	return true;
}

/* The first entry of names[0..count) (lower case) that s[0..n) starts
 * with, folded, as an index; or -1. */
static long folded_name_of(const char *const *names, size_t count,
			   const char *s, size_t n)
{
	if (n == 0)
		return -1;
	/* The first byte as folding leaves it: most names are ruled out
	   by it alone. */
	unsigned char first = (unsigned char)rebound_ascii_tolower(s[0]), fv;
	if (n >= 2)
		(void)rebound_utf8_fold_capital(first, (unsigned char)s[1],
						&first, &fv);
	for (size_t i = 0; i < count; i++)
		if ((unsigned char)names[i][0] == first &&
		    folded_starts(s, n, names[i]))
			return (long)i;
	return -1;
}

/* The copied header name that s[0..n) starts with (an index), or -1. */
static long copy_header_of(const char *s, size_t n)
{
	return folded_name_of(copy_headers,
			      sizeof(copy_headers) / sizeof(*copy_headers), s, n);
}

static bool starts_with_copy_header(const char *s, size_t n)
{
	return copy_header_of(s, n) >= 0;
}

/* Headers that only a copied header block carries. */
static const char *const transport_headers[] = {
	"received:", "return-path:", "message-id:", "mime-version:",
	"content-type:", "dkim-signature:", "delivered-to:", "x-mailer:",
};

static bool is_transport_header(const char *s, size_t n)
{
	for (size_t i = 0;
	     i < sizeof(transport_headers) / sizeof(*transport_headers); i++)
		if (rebound_ascii_istarts(s, n, transport_headers[i]))
			return true;
	return false;
}

/* Does a copied header block start at p: three or more header lines (or
 * continuations), or two when one is a transport header?  Looks at no
 * more than a few lines. */
static bool copy_block_at(const char *p, const char *end)
{
	unsigned lines = 0;
	bool transport = false;
	while (p < end && lines < 3) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		bool cont = lines > 0 && n > 0 && rebound_is_wsp(p[0]);
		if (!cont && !starts_with_copy_header(p, n))
			break;
		if (!cont && is_transport_header(p, n))
			transport = true;
		lines++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines >= 3 || (lines == 2 && transport);
}

/* What a marker line may start with before its words: rules, quoting,
 * brackets, white space. */
static bool marker_lead(char c)
{
	return c == '-' || c == '=' || c == '*' || c == '_' || c == '>' ||
	       c == '[' || c == '(' || rebound_is_space(c);
}

/* A line's key is as long as the longest marker (43 bytes), a few
 * separators and the longest summary word need: the rest of a line is
 * never looked at. */
#define MARKER_KEY_MAX 64

/* Normalise the start of a line for marker checks (lower case, Latin-1
 * and Cyrillic capitals too). */
static size_t marker_key(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	bool space = true;
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		char c = s[i];
		if (o == 0 && marker_lead(c))
			continue;
		if (rebound_is_space(c)) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		space = false;
		unsigned char fa, fv;
		if (i + 1 < n &&
		    rebound_utf8_fold_capital((unsigned char)c,
					      (unsigned char)s[i + 1], &fa, &fv)) {
			out[o++] = (char)fa;
			out[o++] = (char)fv;
			i++;
			continue;
		}
		out[o++] = rebound_ascii_tolower(c);
	}
	out[o] = '\0';
	return o;
}

/* The first byte of a line's key, as marker_key() would make it, or 0. */
static unsigned char key_first(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!marker_lead(s[i]))
			return (unsigned char)rebound_ascii_tolower(s[i]);
	return 0;
}

#define NMARKERS (sizeof(original_markers) / sizeof(*original_markers))

/* Words after a marker that make the line the heading of a summary of
 * the original ("Original message details:", "原邮件信息："), which a
 * notice writes among its own lines, not the start of a copy. */
static const char *const summary_words[] = {
	"details", "detail", "info", "summary", "détails", "informationen",
	"信息", "详情", "情報", "詳細", "概要",
};

static bool summary_follows(const char *rest, size_t n)
{
	while (n > 0 && (*rest == ' ' || *rest == ':' || *rest == '-' ||
			  *rest == '(')) {
		rest++;
		n--;
	}
	for (size_t i = 0; i < sizeof(summary_words) / sizeof(*summary_words); i++) {
		size_t wl = strlen(summary_words[i]);
		if (n >= wl && memcmp(rest, summary_words[i], wl) == 0)
			return true;
	}
	return false;
}

/* The marker a line's key starts with, or -1. */
static long marker_of_key(const char *key, size_t kn)
{
	for (size_t i = 0; kn > 0 && i < NMARKERS; i++) {
		size_t ml = original_markers[i].len;
		if (key[0] == original_markers[i].text[0] && kn >= ml &&
		    memcmp(key, original_markers[i].text, ml) == 0)
			return summary_follows(key + ml, kn - ml) ? -1 : (long)i;
	}
	return -1;
}

/* Bytes of a key compared before the whole key is made. */
#define MARKER_PREFIX 8

/* Could key[0..kn), at most MARKER_PREFIX bytes of a line's key, start
 * a marker? */
static bool marker_prefix(const char *key, size_t kn)
{
	for (size_t i = 0; i < NMARKERS; i++) {
		size_t ml = original_markers[i].len;
		size_t c = kn < ml ? kn : ml;
		if (key[0] == original_markers[i].text[0] &&
		    memcmp(key, original_markers[i].text, c) == 0)
			return true;
	}
	return false;
}

long rebound_textbounce_marker(const char *line, size_t n)
{
	char key[MARKER_KEY_MAX];
	return marker_of_key(key, marker_key(line, n, key, sizeof(key)));
}

const char *rebound_textbounce_marker_text(size_t i, size_t *n)
{
	*n = NMARKERS;
	return i < NMARKERS ? original_markers[i].text : NULL;
}

long rebound_textbounce_copy_header(const char *line, size_t n)
{
	return copy_header_of(line, n);
}

const char *rebound_textbounce_copy_header_name(size_t i, size_t *n)
{
	*n = sizeof(copy_headers) / sizeof(*copy_headers);
	return i < *n ? copy_headers[i] : NULL;
}

size_t rebound_textbounce_original_start(const char *text, size_t len)
{
	/* The bytes markers start with: most lines need no key. */
	bool starts[256] = { false };
	for (size_t i = 0; i < NMARKERS; i++)
		starts[(unsigned char)original_markers[i].text[0]] = true;
	const char *p = text, *end = text + len;
	bool prev_blank = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		size_t n = (size_t)(eol - p);
		char key[MARKER_KEY_MAX];
		/* A short key first: the whole one only for a line that
		   starts like a marker. */
		size_t kn = starts[key_first(p, n)] ?
			marker_key(p, n, key, MARKER_PREFIX + 2) : 0;
		if (kn > 0 && marker_prefix(key, kn))
			kn = marker_key(p, n, key, sizeof(key));
		else
			kn = 0;
		if (marker_of_key(key, kn) >= 0)
			return (size_t)(p - text);
		/* A header block after a blank line: a copy.  A notice's own
		   summary ("Subject: x" and "Date: y") is two lines of it
		   and nothing more, so two lines are enough only when one
		   of them is a header that no summary repeats. */
		if (prev_blank && starts_with_copy_header(p, n) &&
		    copy_block_at(p, end))
			return (size_t)(p - text);
		size_t tn = n;
		const char *t = p;
		rebound_trim(&t, &tn);
		prev_blank = tn == 0;
		p = nl != NULL ? nl + 1 : end;
	}
	return len;
}

typedef struct segment {
	size_t from, to;	/* byte range in text */
} segment;

typedef struct cand {
	const char *address;
	segment seg[MAX_SEGMENTS];
	size_t nseg;
	unsigned strength;
	bool listed;		/* named at or below a recipient heading */
} cand;

/* Words just before an address that make it the sender or a contact for
 * help, never a failed recipient. */
static const char *const not_recipient_before[] = {
	"mail from", "envelope-from", "sender", "from:", "from <",
	"contact", "send mail to", "write to", "assistance", "questions",
	"reply to",
	/* An alias the failed address was reached through. */
	"generated from", "expanded from",
};

/* Does s[0..n) end with one of words[0..count) (lower case) as a whole
 * word: at the start of s, after a space, or after '(' when paren? */
static bool ends_with_word(const char *s, size_t n, const char *const *words,
			   size_t count, bool paren)
{
	for (size_t i = 0; i < count; i++) {
		size_t wl = strlen(words[i]);
		if (n < wl || !rebound_ascii_istarts(s + n - wl, wl, words[i]))
			continue;
		if (n == wl || s[n - wl - 1] == ' ' ||
		    (paren && s[n - wl - 1] == '('))
			return true;
	}
	return false;
}

static bool sender_context(const char *line, size_t at)
{
	size_t from = at > 32 ? at - 32 : 0;
	size_t n = at - from;
	/* The window lower-cased once, then each word looked for in it. */
	char low[32];
	for (size_t k = 0; k < n; k++)
		low[k] = rebound_ascii_tolower(line[from + k]);
	/* A plain search: the window is short, the words shorter. */
	for (size_t i = 0; i < sizeof(not_recipient_before) /
				       sizeof(*not_recipient_before); i++) {
		const char *w = not_recipient_before[i];
		size_t wl = strlen(w);
		for (size_t k = 0; k + wl <= n; k++)
			if (low[k] == w[0] && memcmp(low + k, w, wl) == 0)
				return true;
	}
	return false;
}

/* The same for an address that opens a folded line ("<a@b> (expanded
 * from\n    <c@d>): error", as Postfix wraps it): the words end the line
 * before (not merely stand in it: "Mail from x failed for:" does not make
 * the next line's address a sender).  line[0..at) is what precedes the
 * address on its own line. */
static bool folded_sender_context(const char *prev, size_t prev_len,
				  const char *line, size_t at)
{
	if (prev == NULL || at == 0 || !rebound_is_space(line[0]))
		return false;
	for (size_t k = 0; k < at; k++)
		if (!rebound_is_space(line[k]) && line[k] != '<' &&
		    line[k] != '(')
			return false;
	size_t n = prev_len;
	while (n > 0 && (rebound_is_space(prev[n - 1]) || prev[n - 1] == '(' ||
			 prev[n - 1] == '<'))
		n--;
	return ends_with_word(prev, n, not_recipient_before,
			      sizeof(not_recipient_before) /
				      sizeof(*not_recipient_before), true);
}

/* Starts of lines that only ever carry the sender or a message
 * identifier. */
static const char *const skip_line_heads[] = {
	"from:", "reply-to:", "return-path:", "message-id:",
	"in-reply-to:", "references:", "sender:", "x-", "dkim",
	"list-", "received:", "by ", "id ", "(envelope-from",
	"envelope-from", "mail from", ">>> mail from",
};

static bool skip_line(const char *s, size_t n)
{
	while (n > 0 && rebound_is_space(*s)) {
		s++;
		n--;
	}
	for (size_t i = 0;
	     i < sizeof(skip_line_heads) / sizeof(*skip_line_heads); i++)
		if (rebound_ascii_istarts(s, n, skip_line_heads[i]))
			return true;
	return false;
}

static bool excluded(const char *addr, const char *const *exclude,
		     size_t nexclude)
{
	for (size_t i = 0; i < nexclude; i++)
		if (exclude[i] != NULL && rebound_address_same(addr, exclude[i]))
			return true;
	return false;
}

static cand *find_cand(cand *c, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (rebound_address_same(c[i].address, addr))
			return &c[i];
	return NULL;
}

static void close_segment(cand *c, size_t to)
{
	if (c != NULL && c->nseg > 0 && c->seg[c->nseg - 1].to == SIZE_MAX)
		c->seg[c->nseg - 1].to = to;
}

static void open_segment(cand *c, size_t from)
{
	if (c->nseg < MAX_SEGMENTS) {
		c->seg[c->nseg].from = from;
		c->seg[c->nseg].to = SIZE_MAX;
		c->nseg++;
	}
}

/* Session transcripts mark the remote server's lines "<<< " (Sendmail)
 * or "Received >>> " (gateways that write "Sent <<< " for their own
 * commands, "Received >>> " for the replies).  The length of the mark
 * that starts s[0..n) for a reply, or 0. */
static size_t reply_mark(const char *s, size_t n)
{
	if (n >= 4 && memcmp(s, "<<< ", 4) == 0)
		return 4;
	if (rebound_ascii_istarts(s, n, "received >>> "))
		return 13;
	return 0;
}

/* ... and for a command of ours (">>> ", "Sent <<< "). */
static size_t command_mark(const char *s, size_t n)
{
	if (n >= 4 && memcmp(s, ">>> ", 4) == 0)
		return 4;
	if (rebound_ascii_istarts(s, n, "sent <<< "))
		return 9;
	return 0;
}

/* The class digit of a transcript reply s[0..n) ('2', '4', '5', ...),
 * or 0 when the line is none; *mark gets the length of its mark. */
static char reply_class(const char *s, size_t n, size_t *mark)
{
	size_t m = reply_mark(s, n);
	*mark = m;
	return m > 0 && n >= m + 3 && rebound_is_digit(s[m]) &&
	       rebound_is_digit(s[m + 1]) && rebound_is_digit(s[m + 2]) ?
		       s[m] : 0;
}

/* Is s[0..n) a transcript reply with a 4xx or 5xx code? */
static bool remote_error_line(const char *s, size_t n, size_t *mark)
{
	char c = reply_class(s, n, mark);
	return c == '4' || c == '5';
}

/* Lines a transcript's message data stage can take after the last
 * recipient's. */
#define MAX_DATA_LINES 16

/* The error the server gave to the message data (its reply to DATA or
 * to the final "."), in the transcript lines from p on: the recipient
 * was accepted and the whole message refused after it.  A blank line or
 * the next conversation ends the search. */
static const char *data_stage_reply(rebound_arena *arena, const char *p,
				    const char *end)
{
	bool data = false;
	for (unsigned k = 0; k < MAX_DATA_LINES && p < end; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		size_t m;
		if (n == 0 || rebound_ascii_istarts(p, n, "while talking to"))
			break;
		if ((m = command_mark(p, n)) > 0)
			data = rebound_ascii_istarts(p + m, n - m, "data") ||
			       (n - m >= 1 && p[m] == '.');
		else if (remote_error_line(p, n, &m))
			return data ? rebound_arena_strndup(arena, p + m, n - m)
				    : NULL;
		p = nl != NULL ? nl + 1 : end;
	}
	return NULL;
}

/* Headings under which every address is a recipient that failed. */
static const char *const recipient_headings[] = {
	"the following addresses had", "the following address had",
	"the following recipients", "the following recipient",
	"following address(es) failed",
};

static bool recipient_heading(const char *s, size_t n)
{
	/* Every heading has this word: one scan for most lines. */
	if (rebound_memcasemem(s, n, "following", 9) == NULL)
		return false;
	for (size_t i = 0;
	     i < sizeof(recipient_headings) / sizeof(*recipient_headings); i++)
		if (rebound_memcasemem(s, n, recipient_headings[i],
				       strlen(recipient_headings[i])) != NULL)
			return true;
	return false;
}

/* A heading wrapped over two lines ("... The following address(es)" /
 * "failed:"): the end of the previous line joined to a short one. */
static bool heading_across(const char *prev, size_t prev_len,
			   const char *s, size_t n)
{
	char joined[96];
	if (prev == NULL || n > 40)
		return false;
	size_t take = prev_len < 48 ? prev_len : 48;
	memcpy(joined, prev + prev_len - take, take);
	joined[take] = ' ';
	memcpy(joined + take + 1, s, n);
	return recipient_heading(joined, take + 1 + n);
}

/* Ends of a line that announce the sender on the next one ("A message
 * sent by" / "<addr>"). */
static const char *const sender_heading_tails[] = {
	"sent by", "sent by:", "sent from", "sent from:", "sender:", "from:",
};

static bool sender_heading(const char *s, size_t n)
{
	return ends_with_word(s, n, sender_heading_tails,
			      sizeof(sender_heading_tails) /
				      sizeof(*sender_heading_tails),
			      false);
}

/* sendmail's per-host line: "550 example.org (smtp)... text". */
static bool host_status_line(const char *s, size_t n)
{
	if (n < 12 || !rebound_is_digit(s[0]) || !rebound_is_digit(s[1]) ||
	    !rebound_is_digit(s[2]) || s[3] != ' ')
		return false;
	size_t i = 4;
	while (i < n && s[i] != ' ' && s[i] != '<' && s[i] != '@')
		i++;
	if (i == 4 || i + 2 >= n || s[i] != ' ' || s[i + 1] != '(')
		return false;
	const char *close = memchr(s + i, ')', n - i);
	return close != NULL && (size_t)(s + n - close) >= 4 &&
	       memcmp(close + 1, "...", 3) == 0;
}

/* Start of the line before the one at `at` (at > 0), or 0. */
static size_t line_before(const char *text, size_t at)
{
	size_t i = at - 1;		/* the '\n' ending the previous line */
	while (i > 0 && text[i - 1] != '\n')
		i--;
	return i;
}

/* The remote server's first error reply for a recipient whose lines
 * start at seg_from: the first "<<< " error line of its own block, else
 * the nearest one above it in the same conversation ("While talking to
 * host:" opens one; another recipient's line or a blank line ends the
 * search).  Looks back no more than a few lines. */
static const char *transcript_reply(rebound_arena *arena, const char *text,
				    size_t seg_from, size_t seg_to,
				    size_t text_end)
{
	const char *p = text + seg_from, *end = text + seg_to;
	bool accepted = false;
	size_t m;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		if (remote_error_line(p, n, &m))
			return rebound_arena_strndup(arena, p + m, n - m);
		if (rebound_ascii_istarts(p, n, "while talking to"))
			break;		/* the next conversation */
		/* a 2xx: the command was accepted */
		accepted = accepted || reply_class(p, n, &m) == '2';
		p = nl != NULL ? nl + 1 : end;
	}
	/* Accepted at RCPT, then refused with the message (DATA). */
	if (accepted && p == end)
		return data_stage_reply(arena, end, text + text_end);
	size_t at = seg_from;
	for (unsigned k = 0; k < 4 && at > 0; k++) {
		at = line_before(text, at);
		const char *l = text + at;
		const char *nl = memchr(l, '\n', seg_from - at);
		size_t n = (size_t)((nl != NULL ? nl : text + seg_from) - l);
		if (n == 0 || rebound_ascii_istarts(l, n, "while talking to"))
			break;
		if (remote_error_line(l, n, &m))
			return rebound_arena_strndup(arena, l + m, n - m);
		if (memchr(l, '@', n) != NULL)
			break;		/* another recipient's line */
	}
	return NULL;
}

int rebound_textbounce_scan(rebound_arena *arena, const char *text,
			    size_t len, const char *const *exclude,
			    size_t nexclude, rebound_text_scan *out)
{
	memset(out, 0, sizeof(*out));
	size_t stop = rebound_textbounce_original_start(text, len);
	out->original_at = stop;
	/* Cleared one by one as they are taken: clearing all 200 (30 KB)
	   cost more than the scan of most notices, and emptied the cache. */
	cand *cands = rebound_arena_alloc(arena, REBOUND_TEXT_MAX_RCPT *
						 sizeof(*cands));
	if (cands == NULL)
		return -1;
	size_t ncand = 0;
	cand *current = NULL;
	const char *banned[MAX_BANNED];
	size_t nbanned = 0;
	size_t first_at = stop;
	bool after_heading = false;	/* the last line was a heading */
	bool after_sender = false;	/* ... said "sent by:" */
	/* Has an address been named under a recipient heading?  When a
	   notice lists its recipients under one, an address named only
	   above it ("Your message To: x Subject: y did not reach the
	   following recipients:") is the original's, not a failure. */
	bool listing = false;
	const char *prev = NULL;	/* the last line with text, trimmed */
	size_t prev_len = 0;

	const char *p = text, *end = text + stop;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		size_t n = (size_t)(eol - p);
		size_t line_at = (size_t)(p - text);
		cand *line_cand = NULL;

		/* Only a line with an '@' can name an address: the others
		   need not be tried against the skipped heads. */
		if (memchr(p, '@', n) != NULL && !skip_line(p, n)) {
			size_t off = 0;
			bool rest_is_text = false;
			while (off < n) {
				size_t at, span;
				char *addr = rebound_address_find(
					arena, p + off, n - off, &at, &span);
				if (addr == NULL)
					break;
				size_t abs_at = off + at;
				off = abs_at + span;
				/* "a@b <c@d>": the first is only the display
				   name of the second (RFC 5322 name-addr). */
				size_t k = off;
				while (k < n && p[k] == ' ')
					k++;
				if (k + 1 < n && k > off && p[k] == '<' && p[k + 1] != '<')
					continue;
				/* "<a@b>: error text naming c@d": what follows
				   the recipient's colon is its error. */
				if (rest_is_text)
					continue;
				if (sender_context(p, abs_at) ||
				    folded_sender_context(prev, prev_len, p,
							  abs_at) ||
				    (after_sender && line_cand == NULL)) {
					/* A contact address stays one
					   wherever else it is named. */
					if (nbanned < MAX_BANNED)
						banned[nbanned++] = addr;
					continue;
				}
				/* postmaster@ is a mail system's own address,
				   unless a heading lists it as a recipient. */
				/* So is the sender, who may well have sent to
				   himself too. */
				if ((rebound_address_is_system(addr) ||
				     excluded(addr, exclude, nexclude)) &&
				    !after_heading)
					continue;
				cand *c = find_cand(cands, ncand, addr);
				if (c == NULL) {
					if (ncand == REBOUND_TEXT_MAX_RCPT) {
						out->cut = true;
						continue;
					}
					c = &cands[ncand++];
					memset(c, 0, sizeof(*c));
					c->address = addr;
					c->strength = 1;
				}
				if (line_cand == NULL) {
					line_cand = c;
					size_t e = off;
					if (e < n && p[e] == '>')
						e++;
					rest_is_text = e < n && p[e] == ':';
				}
			}
		}
		if (line_cand == NULL && current != NULL &&
		    host_status_line(p, n)) {
			/* sendmail names the host before the recipient it
			   failed for: the line belongs to the next one. */
			close_segment(current, line_at);
			current = NULL;
		}
		if (line_cand != NULL && after_heading)
			listing = true;
		if (line_cand != NULL && listing)
			line_cand->listed = true;
		if (line_cand != NULL && line_cand != current) {
			if (current != NULL)
				close_segment(current, line_at);
			if (first_at == stop)
				first_at = line_at;
			/* The error may be on the line before: "user@x:" is
			   common, but so is an error line that names it. */
			open_segment(line_cand, line_at);
			current = line_cand;
		}
		size_t tn = n;
		const char *t = p;
		rebound_trim(&t, &tn);
		if (tn > 0) {
			after_heading = recipient_heading(t, tn) ||
				heading_across(prev, prev_len, t, tn);
			after_sender = sender_heading(t, tn);
			prev = t;
			prev_len = tn;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (current != NULL)
		close_segment(current, stop);

	out->preamble = text;
	out->preamble_len = first_at;
	if (ncand == 0)
		return 0;
	out->rcpt = rebound_arena_calloc(arena, ncand, sizeof(*out->rcpt));
	if (out->rcpt == NULL)
		return -1;
	size_t kept = 0;
	for (size_t i = 0; i < ncand; i++) {
		if (excluded(cands[i].address, banned, nbanned) ||
		    (listing && !cands[i].listed))
			continue;
		char *block = rebound_arena_alloc(arena, MAX_BLOCK + 1);
		if (block == NULL)
			return -1;
		size_t bl = 0;
		for (size_t s = 0; s < cands[i].nseg; s++) {
			size_t from = cands[i].seg[s].from;
			size_t to = cands[i].seg[s].to;
			if (to > stop)
				to = stop;
			size_t take = to > from ? to - from : 0;
			if (bl + take + 1 > MAX_BLOCK)
				take = MAX_BLOCK - bl - 1;
			memcpy(block + bl, text + from, take);
			bl += take;
			if (bl + 1 < MAX_BLOCK)
				block[bl++] = '\n';
		}
		block[bl] = '\0';
		out->rcpt[kept].address = cands[i].address;
		out->rcpt[kept].block = block;
		out->rcpt[kept].block_len = bl;
		out->rcpt[kept].strength = cands[i].strength;
		/* A listing names a recipient before the transcript does:
		   each place it is named may hold its reply. */
		for (size_t s = 0; s < cands[i].nseg &&
				   out->rcpt[kept].remote_reply == NULL; s++) {
			size_t to = cands[i].seg[s].to;
			out->rcpt[kept].remote_reply = transcript_reply(
				arena, text, cands[i].seg[s].from,
				to > stop ? stop : to, stop);
		}
		kept++;
	}
	out->nrcpt = kept;
	return 0;
}

/* Local parts shorter than this are too likely to be a word. */
#define MIN_LOCAL_PART 3

/* The local part of addr (before its last '@'), as a length. */
static size_t local_part_len(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at != NULL ? (size_t)(at - addr) : 0;
}

int rebound_textbounce_local_parts(rebound_arena *arena, const char *text,
				   size_t len, const char *const *addrs,
				   size_t naddr, rebound_text_scan *out)
{
	if (naddr == 0)
		return 0;
	rebound_text_rcpt *v = rebound_arena_calloc(arena, naddr, sizeof(*v));
	bool *taken = rebound_arena_calloc(arena, naddr, sizeof(*taken));
	if (v == NULL || taken == NULL)
		return -1;
	size_t nv = 0;
	const char *p = text, *end = text + len;
	while (p < end && nv < naddr) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *w = p;
		while (w < eol && (*w == ' ' || *w == '\t'))
			w++;
		const char *t = w;
		while (t < eol && *t != ' ' && *t != '\t' && *t != '(')
			t++;
		/* what follows the name: nothing, or an explanation in
		   parentheses */
		const char *f = t;
		while (f < eol && (*f == ' ' || *f == '\t'))
			f++;
		bool shape = f == eol || *f == '(';
		size_t tl = (size_t)(t - w);
		for (size_t i = 0; shape && i < naddr; i++) {
			size_t ll = local_part_len(addrs[i]);
			if (taken[i] || ll < MIN_LOCAL_PART || ll != tl ||
			    !rebound_ascii_nieq(w, addrs[i], ll))
				continue;
			size_t bl = (size_t)(eol - w);
			char *block = rebound_arena_strndup(arena, w, bl);
			if (block == NULL)
				return -1;
			v[nv].address = addrs[i];
			v[nv].block = block;
			v[nv].block_len = bl;
			v[nv].strength = 2;
			nv++;
			taken[i] = true;
			break;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	out->rcpt = v;
	out->nrcpt = nv;
	return 0;
}

/* Header names of a copy's recipient lines (matched like copy_headers);
 * the Cc ones from "cc:" on. */
static const char *const copy_recipient_headers[] = {
	"to:", "an:", "à :", "para:", "aan:", "till:", "do:", "кому:",
	"收件人:", "宛先:", "收件人：", "宛先：",
	"cc:", "cc :", "kopie:",
};
#define FIRST_CC 12

#define NRCPT_HEADERS \
	(sizeof(copy_recipient_headers) / sizeof(*copy_recipient_headers))

/* The recipient header that line[0..n) starts with (an index), or -1. */
static long copy_recipient_header_of(const char *line, size_t n)
{
	return folded_name_of(copy_recipient_headers, NRCPT_HEADERS, line, n);
}

long rebound_textbounce_copy_recipient_header(const char *line, size_t n)
{
	return copy_recipient_header_of(line, n);
}

const char *rebound_textbounce_copy_recipient_header_name(size_t i,
							  size_t *n)
{
	*n = NRCPT_HEADERS;
	return i < NRCPT_HEADERS ? copy_recipient_headers[i] : NULL;
}

/* Lines of a copy's header block looked at. */
#define MAX_COPY_HEADER_LINES 60

size_t rebound_textbounce_copy_recipients(rebound_arena *arena,
					  const char *text, size_t len,
					  size_t at, const char **v,
					  size_t max, bool *cc_seen)
{
	*cc_seen = false;
	size_t nv = 0;
	const char *p = text + (at < len ? at : len), *end = text + len;
	bool in_block = false;	/* past the blank lines after the marker */
	int field = -1;		/* the recipient header being continued */
	for (unsigned k = 0; k < MAX_COPY_HEADER_LINES && p < end; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		const char *t = p;
		size_t tn = n;
		rebound_trim(&t, &tn);
		if (tn == 0) {
			if (in_block)
				break;	/* the end of the header block */
		} else if (k > 0 || rebound_textbounce_marker(p, n) < 0) {
			bool cont = in_block && rebound_is_wsp(p[0]);
			in_block = true;
			if (!cont)
				field = (int)copy_recipient_header_of(p, n);
			for (size_t off = 0; field >= 0 && off < n && nv < max;) {
				size_t a, span;
				const char *addr = rebound_address_find(
					arena, p + off, n - off, &a, &span);
				if (addr == NULL)
					break;
				v[nv++] = addr;
				if (field >= FIRST_CC)
					*cc_seen = true;
				off += a + span;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return nv;
}

/* --- the word lists as data (wordlists.h) ---------------------------------- */

static bool wl_transport_header(rebound_arena *arena, const char *s, size_t n)
{
	(void)arena;
	return is_transport_header(s, n);
}

/* A marker followed by a summary word: the heading of a summary of the
 * original, not the start of a copy. */
static bool wl_summary_heading(rebound_arena *arena, const char *s, size_t n)
{
	(void)arena;
	char key[MARKER_KEY_MAX];
	size_t kn = marker_key(s, n, key, sizeof(key));
	for (size_t i = 0; i < NMARKERS; i++) {
		size_t ml = original_markers[i].len;
		if (kn >= ml && memcmp(key, original_markers[i].text, ml) == 0)
			return summary_follows(key + ml, kn - ml);
	}
	return false;
}

/* The words before the first address of the line make it a sender's. */
static bool wl_sender_words(rebound_arena *arena, const char *s, size_t n)
{
	size_t at, span;
	return rebound_address_find(arena, s, n, &at, &span) != NULL &&
	       sender_context(s, at);
}

static bool wl_skip_line(rebound_arena *arena, const char *s, size_t n)
{
	(void)arena;
	return skip_line(s, n);
}

static bool wl_recipient_heading(rebound_arena *arena, const char *s,
				 size_t n)
{
	(void)arena;
	return recipient_heading(s, n);
}

static bool wl_sender_heading(rebound_arena *arena, const char *s, size_t n)
{
	(void)arena;
	return sender_heading(s, n);
}

const rebound_wordlist rebound_wordlist_transport_headers = REBOUND_WORDLIST(
	"transport_headers", transport_headers, wl_transport_header);
const rebound_wordlist rebound_wordlist_summary_words = REBOUND_WORDLIST(
	"summary_words", summary_words, wl_summary_heading);
const rebound_wordlist rebound_wordlist_not_recipient_before = REBOUND_WORDLIST(
	"not_recipient_before", not_recipient_before, wl_sender_words);
const rebound_wordlist rebound_wordlist_skip_line_heads = REBOUND_WORDLIST(
	"skip_line_heads", skip_line_heads, wl_skip_line);
const rebound_wordlist rebound_wordlist_recipient_headings = REBOUND_WORDLIST(
	"recipient_headings", recipient_headings, wl_recipient_heading);
const rebound_wordlist rebound_wordlist_sender_heading_tails = REBOUND_WORDLIST(
	"sender_heading_tails", sender_heading_tails, wl_sender_heading);
