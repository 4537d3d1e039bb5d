/* phrase-view.c - a diagnostic as the phrase rules read it
 * (phrase-view.h). */
#include "phrase-view.h"

#include <stdbool.h>
#include <string.h>

#include "mail/strutil.h"
#include "matcher.h"
#include "rules.h"
#include "textscan.h"
#include "wordlists.h"

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
		if (i > 0 && s[i - 1] == ' ' && rebound_is_digit(s[i])) {
			size_t k = reply_prefix(s + i, n - i);
			char st[16];
			if (k > 4 && rebound_find_status(s + i + 4, k - 4, st)) {
				i += k;
				continue;
			}
		}
		if (o == i) {
			/* Nothing dropped yet, so the bytes are where they
			   were: on to the one after the next space. */
			const char *sp = memchr(s + i, ' ', n - i);
			o = i = sp != NULL ? (size_t)(sp - s) + 1 : n;
			continue;
		}
		s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

/* A byte of a domain other than the dot (normalised text is lower
 * case); '_' too, which host names in the wild carry. */
static bool is_domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '[' || c == ']' || c == ':' ||
	       (unsigned char)c >= 0x80;
}

/* Replace every address in norm (in place) by "@" so that a mailbox
 * called "filtered@..." does not read as a reason. */
static void blank_addresses(char *s, size_t n)
{
	const char *at;
	for (size_t i = 0; i < n && (at = memchr(s + i, '@', n - i)) != NULL;
	     i++) {
		i = (size_t)(at - s);
		size_t l = i, r = i + 1;
		while (l > 0 && s[l - 1] != ' ' && s[l - 1] != '<' &&
		       s[l - 1] != '(' && s[l - 1] != ':' && s[l - 1] != '"')
			l--;
		/* The domain ends where its syntax does (RFC 5321: letters,
		   digits, '-', single dots; '[...]' for a literal), so that
		   Sendmail's "a@b...User unknown" keeps its words. */
		while (r < n && (is_domain_char(s[r]) ||
				 (s[r] == '.' && !(r + 1 < n && s[r + 1] == '.'))))
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

/* Generic top-level domains a host name in a diagnostic may end in
 * (besides two-letter country codes); the list keeps "too long.Please"
 * from reading as a host. */
static const char *const generic_tlds[] = {
	"com", "net", "org", "edu", "gov", "mil", "int", "info",
	"biz", "name", "mobi", "asia", "aero", "coop", "museum",
	"local", "localdomain", "arpa", "email", "online",
};

/* Is s[0..n) a host name: dot-separated labels of letters, digits and
 * '-', ending in a country code or one of generic_tlds? */
static bool is_hostname(const char *s, size_t n)
{
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
	for (size_t i = 0; i < sizeof(generic_tlds) / sizeof(*generic_tlds); i++)
		if (strlen(generic_tlds[i]) == tl &&
		    memcmp(generic_tlds[i], s + last, tl) == 0)
			return true;
	return false;
}

/* Does a byte end what comes before a host name (a space, a bracket,
 * a quote)? */
static bool host_lead(char c)
{
	return c == ' ' || c == '(' || c == '[' || c == '<' || c == '\'' ||
	       c == '"';
}

/* Write every host name in norm as the word "host" (in place; returns the
 * new length), so that "553 mx.example.org does not exist" meets the
 * rule for a host that does not exist. */
static size_t mask_hostnames(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (i > 0 && !host_lead(s[i - 1])) {
			/* No host name starts here: copy the bytes up to the
			   next place one may (until a host name was masked,
			   they are where they were). */
			size_t j = i + 1;
			while (j < n && !host_lead(s[j - 1]))
				j++;
			if (o == i)
				o = i = j;
			else
				while (i < j)
					s[o++] = s[i++];
			continue;
		}
		size_t e = i;
		while (e < n &&
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
		/* Copy the token (or one byte) as it is; until a host name
		   was masked, it is where it was. */
		size_t stop = e > i ? e : i + 1;
		if (o == i)
			o = i = stop;
		else
			while (i < stop)
				s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

/* The text as the phrase rules see it (multi-line reply prefixes joined
 * and dropped, addresses blanked, normalised) and the first strong and
 * weak rule that match it.  Returns that view (NULL when out of memory,
 * with no match). */
char *rebound_phrase_view(rebound_arena *arena, const char *text,
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

/* --- the word list as data (wordlists.h) ----------------------------------- */

/* A lower-case line that is one host name. */
static bool wl_hostname(rebound_arena *arena, const char *s, size_t n)
{
	(void)arena;
	return is_hostname(s, n);
}

const rebound_wordlist rebound_wordlist_generic_tlds = REBOUND_WORDLIST(
	"generic_tlds", generic_tlds, wl_hostname);
