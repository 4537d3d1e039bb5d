/* textbounce.h - recipients and their errors in a human-readable bounce.
 *
 * Most MTAs that do not send RFC 3464 reports (qmail, Exim, DMA, Gmail,
 * Yahoo, Lotus Notes, gateways) share one shape: an explanation, then each
 * failed address followed (or preceded on the same line) by the remote
 * server's answer, then a copy of the original message.  This module finds
 * where the copy starts, collects every address mentioned in a recipient
 * role (not the sender, not a postmaster, not a Message-ID), and gives each
 * the text around it as its diagnostic block.
 */
#ifndef REBOUND_TEXTBOUNCE_H
#define REBOUND_TEXTBOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/arena.h"

#define REBOUND_TEXT_MAX_RCPT 200

typedef struct rebound_text_rcpt {
	const char *address;	/* normalised */
	const char *block;	/* the lines that speak of it, NUL-terminated */
	size_t block_len;
	unsigned strength;	/* how sure: 2 = in a recipient role */
	/* In an SMTP transcript ("<<< 550 ..." lines), the remote server's
	   own first error reply for this recipient, NUL-terminated, or
	   NULL.  Later lines of the block are often the local mailer's
	   afterthoughts (a timeout on the next host). */
	const char *remote_reply;
} rebound_text_rcpt;

typedef struct rebound_text_scan {
	rebound_text_rcpt *rcpt;
	size_t nrcpt;
	size_t original_at;	/* where the returned copy starts, or len */
	const char *preamble;	/* text before the first recipient */
	size_t preamble_len;
	bool cut;		/* addresses past REBOUND_TEXT_MAX_RCPT
				   were named and not read */
} rebound_text_scan;

/* Scan text[0..len) (UTF-8, LF line ends).  Addresses equal to one of
 * exclude[0..nexclude) are treated as the sender.  Returns 0, or -1 when
 * the arena is spent. */
int rebound_textbounce_scan(rebound_arena *arena, const char *text,
			    size_t len, const char *const *exclude,
			    size_t nexclude, rebound_text_scan *out);

/* Notices that name a recipient by its user name alone (GroupWise:
 * "carol.miller (user not found)"): a line of text[0..len) that starts
 * with the local part of one of addrs[0..naddr) (the returned original's
 * recipients), followed by the end of the line or by "(" after blanks,
 * counts as that address, its line as its block.  Fills out->rcpt and
 * out->nrcpt (at most one entry per address).  Returns 0, or -1 when the
 * arena is spent. */
int rebound_textbounce_local_parts(rebound_arena *arena, const char *text,
				   size_t len, const char *const *addrs,
				   size_t naddr, rebound_text_scan *out);

/* The recipients of a copy of the original returned inline: the
 * addresses of the To and Cc lines (also as mail clients name them in
 * their language: An, À, Para, Кому, 收件人, ...) of the header block at
 * text[at..len), after its marker line.  At most max, into v; *cc_seen
 * says whether a Cc line held any.  Returns how many. */
size_t rebound_textbounce_copy_recipients(rebound_arena *arena,
					  const char *text, size_t len,
					  size_t at, const char **v,
					  size_t max, bool *cc_seen);

/* Where a copy of the original message starts in text[0..len): a marker
 * line ("This is a copy of the message", "Below this line is a copy",
 * "Original message follows", ...) or a block of header lines.  Returns
 * len when there is none. */
size_t rebound_textbounce_original_start(const char *text, size_t len);

/* The tables behind it, for the tests that cover each entry: the marker
 * that line[0..n) starts with (an index), or -1; marker i's text (NULL
 * past the end; *n = how many); the copied header name that a line
 * starts with (an index), or -1; header name i; the same for the names
 * of a copy's recipient lines (To, An, Кому, ...). */
long rebound_textbounce_marker(const char *line, size_t n);
long rebound_textbounce_copy_recipient_header(const char *line, size_t n);
const char *rebound_textbounce_copy_recipient_header_name(size_t i,
							  size_t *n);
const char *rebound_textbounce_marker_text(size_t i, size_t *n);
long rebound_textbounce_copy_header(const char *line, size_t n);
const char *rebound_textbounce_copy_header_name(size_t i, size_t *n);

#endif
