/* wordlists.c - the registry of the classifier's small word lists
 * (wordlists.h). */
#include "wordlists.h"

const char *rebound_wordlist_entry(const rebound_wordlist *w, size_t i)
{
	if (i >= w->n)
		return NULL;
	const char *item = (const char *)w->base + i * w->stride;
	return *(const char *const *)(const void *)item;
}

static const rebound_wordlist *const all[] = {
	&rebound_wordlist_transport_headers,
	&rebound_wordlist_summary_words,
	&rebound_wordlist_not_recipient_before,
	&rebound_wordlist_skip_line_heads,
	&rebound_wordlist_recipient_headings,
	&rebound_wordlist_sender_heading_tails,
	&rebound_wordlist_generic_tlds,
	&rebound_wordlist_stage_phrases,
	&rebound_wordlist_no_rcpt_left,
	&rebound_wordlist_reply_prefixes,
};

const rebound_wordlist *const *rebound_wordlists(size_t *n)
{
	*n = sizeof(all) / sizeof(*all);
	return all;
}
