/* check_classify.c - rebound_classify() on fixtures written for it
 * (tests/fixtures/classify/), and the JSON line of a result. */
#include "rebound-config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "admin/json.h"
#include "classify/result.h"
#include "rules_fixture.h"

static rebound_arena *arena;

static void setup(void)
{
	arena = rebound_arena_new(0);
	ck_assert_ptr_nonnull(arena);
}

static void teardown(void)
{
	rebound_arena_free(arena);
	arena = NULL;
}

/* The whole file tests/fixtures/classify/NAME; srcdir comes from the
 * test environment (tests.am), "." when run by hand from the top. */
static char *slurp(const char *name, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/fixtures/classify/%s",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		ck_abort_msg("cannot open %s", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static rebound_result *classify_opts(const char *name,
				     const rebound_classify_options *opts)
{
	size_t len;
	char *buf = slurp(name, &len);
	rebound_result *res = NULL;

	ck_assert_int_eq(rebound_classify(arena, buf, len, opts, &res), 0);
	ck_assert_ptr_nonnull(res);
	free(buf);	/* the result must not point into the input */
	return res;
}

static rebound_result *classify(const char *name)
{
	return classify_opts(name, NULL);
}

static const rebound_recipient *rcpt(const rebound_result *res,
				     const char *addr)
{
	for (size_t i = 0; i < res->nrcpt; i++)
		if (strcmp(res->rcpt[i].address, addr) == 0)
			return &res->rcpt[i];
	ck_abort_msg("no recipient %s among %zu", addr, res->nrcpt);
	return NULL;
}

/* Classify m, which must be a bounce for one recipient, addr; returns
 * that recipient. */
static const rebound_recipient *sole_bounce(const char *m, const char *addr)
{
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, addr);
	ck_assert_ptr_nonnull(r);
	return r;
}

#define ck_assert_reason(r, want) \
	ck_assert_str_eq(rebound_reason_name((r)->reason), (want))

/* --- RFC 3464 reports ------------------------------------------------------- */

START_TEST(postfix_user_unknown)
{
	rebound_result *res = classify("postfix-userunknown.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_str_eq(res->format, "rfc3464");
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	ck_assert_str_eq(r->address, "alice@example.net");
	ck_assert_int_eq(r->action, REBOUND_ACTION_FAILED);
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
	ck_assert(!r->suspect);
	ck_assert_ptr_nonnull(r->rule);
	ck_assert_ptr_nonnull(r->diagnostic);
	ck_assert_ptr_nonnull(strstr(r->diagnostic, "User unknown"));
	/* One line. */
	ck_assert_ptr_null(strchr(r->diagnostic, '\n'));
	ck_assert_str_eq(r->remote_mta, "mx.example.net");
	ck_assert_str_eq(res->reporting_mta, "mx.sender.example");
	ck_assert_ptr_null(res->gateway);
}
END_TEST

START_TEST(links_to_the_original)
{
	rebound_result *res = classify("postfix-userunknown.eml");

	ck_assert_str_eq(res->orig_message_id, "<spring-2025-0042@sender.example>");
	ck_assert_str_eq(res->campaign, "spring-2025");
	ck_assert_str_eq(res->sender_domain, "sender.example");
	/* To: bounces+alice=example.net@sender.example */
	ck_assert_str_eq(res->verp_recipient, "alice@example.net");
}
END_TEST

START_TEST(campaign_header_option)
{
	rebound_classify_options opts = { .campaign_header = "Message-ID" };
	rebound_result *res = classify_opts("postfix-userunknown.eml", &opts);

	ck_assert_str_eq(res->campaign, "<spring-2025-0042@sender.example>");
	opts.campaign_header = "X-No-Such-Header";
	res = classify_opts("postfix-userunknown.eml", &opts);
	ck_assert_ptr_null(res->campaign);
}
END_TEST

START_TEST(verp_format_option)
{
	/* Other separators: LOCAL-RCPTLOCAL#RCPTDOMAIN does not match
	 * "bounces+alice=example.net", so no VERP recipient. */
	rebound_classify_options opts = {
		.verp_format = "LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN"
	};
	rebound_result *res = classify_opts("postfix-userunknown.eml", &opts);

	ck_assert_ptr_null(res->verp_recipient);
	/* Recipients still come from the report. */
	ck_assert_uint_eq(res->nrcpt, 1);
	ck_assert_str_eq(res->rcpt[0].address, "alice@example.net");
}
END_TEST

START_TEST(multi_recipient)
{
	rebound_result *res = classify("multi-recipient.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_str_eq(res->format, "rfc3464");
	ck_assert_uint_eq(res->nrcpt, 2);
	ck_assert_str_eq(res->envelope_id, "nl-0311-7781");
	ck_assert_str_eq(res->reporting_mta, "relay.sender.example");
	ck_assert_str_eq(res->orig_message_id, "<march-news-1@sender.example>");

	const rebound_recipient *b = rcpt(res, "bob@example.com");
	ck_assert_int_eq(b->action, REBOUND_ACTION_FAILED);
	ck_assert_str_eq(b->status, "5.2.2");
	ck_assert_str_eq(b->reply_code, "552");
	ck_assert_reason(b, "mailboxfull");
	ck_assert(!b->hard);

	/* 4.4.7: delivery time expired (RFC 3463), still being tried. */
	const rebound_recipient *c = rcpt(res, "carol@example.org");
	ck_assert_int_eq(c->action, REBOUND_ACTION_DELAYED);
	ck_assert_str_eq(c->status, "4.4.7");
	ck_assert_str_eq(c->reply_code, "");
	ck_assert_reason(c, "expired");
	ck_assert(!c->hard);
}
END_TEST

START_TEST(delivered)
{
	rebound_result *res = classify("delivered.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_DELIVERED);
	ck_assert_uint_eq(res->nrcpt, 1);
	ck_assert_str_eq(res->rcpt[0].address, "dave@example.org");
	ck_assert_int_eq(res->rcpt[0].action, REBOUND_ACTION_DELIVERED);
	ck_assert_str_eq(res->rcpt[0].status, "2.0.0");
	ck_assert(!res->rcpt[0].hard);
}
END_TEST

START_TEST(dmarc_multiline_reply)
{
	rebound_result *res = classify("dmarc-multiline.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	ck_assert_str_eq(r->address, "larry@example.com");
	ck_assert_reason(r, "authfailure");
	/* The remote server's code, not the report's generic 5.0.0. */
	ck_assert_str_eq(r->status, "5.7.26");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert(!r->hard);
}
END_TEST

START_TEST(user_unknown_after_data)
{
	/* Refused only after the message was seen: the words and X.1.1
	   say the user is unknown, but a content filter may have said it:
	   a hard bounce marked suspect (suspended, not suppressed). */
	rebound_result *res = classify("after-data.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	ck_assert_str_eq(r->address, "mallory@example.net");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
	ck_assert(r->suspect);
}
END_TEST

/* --- plain-text notices ---------------------------------------------------- */

START_TEST(exim_user_unknown)
{
	rebound_result *res = classify("exim-userunknown.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	/* The failed recipient, not the sender the notice went to. */
	ck_assert_str_eq(r->address, "erin@example.com");
	ck_assert_int_eq(r->action, REBOUND_ACTION_FAILED);
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
}
END_TEST

START_TEST(qmail_notice)
{
	rebound_result *res = classify("qmail-userunknown.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	ck_assert_str_eq(r->address, "frank@example.net");
	ck_assert_int_eq(r->action, REBOUND_ACTION_FAILED);
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
}
END_TEST

START_TEST(gateway_notice)
{
	rebound_result *res = classify("gateway-notice.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = &res->rcpt[0];
	ck_assert_str_eq(r->address, "heidi@example.com");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
	/* A gateway's "user unknown" may be a block (doc/design.md §4). */
	ck_assert_ptr_nonnull(res->gateway);
	ck_assert_str_eq(res->gateway, "mimecast");
	ck_assert(r->suspect);
}
END_TEST

/* --- not bounces ----------------------------------------------------------- */

START_TEST(autoreply)
{
	rebound_result *res = classify("autoreply.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_AUTOREPLY);
	ck_assert_uint_eq(res->nrcpt, 0);
}
END_TEST

START_TEST(feedback_report)
{
	rebound_result *res = classify("arf-feedback.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_FEEDBACK);
	ck_assert_uint_eq(res->nrcpt, 0);
	ck_assert_str_eq(res->campaign, "deals-week-11");
}
END_TEST

START_TEST(newsletter_is_not_a_bounce)
{
	rebound_result *res = classify("newsletter.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 0);
}
END_TEST

START_TEST(empty_message)
{
	rebound_result *res = NULL;

	ck_assert_int_eq(rebound_classify(arena, "", 0, NULL, &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 0);
}
END_TEST

/* --- JSON ------------------------------------------------------------------ */

/* A small JSON syntax check (RFC 8259 values), enough to tell that a line
 * parses: returns the end of the value at s, or NULL. */
static const char *json_value(const char *s, int depth);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		unsigned char c = (unsigned char)*s;
		if (c == '\0' || c < 0x20)
			return NULL;
		if (c == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
					    s[i] == '\0')
						return NULL;
				s += 5;
				continue;
			}
			if (*s == '\0' || strchr("\"\\/bfnrt", *s) == NULL)
				return NULL;
		}
		s++;
	}
	return s + 1;
}

static const char *json_value(const char *s, int depth)
{
	if (depth > 32)
		return NULL;
	s = json_ws(s);
	if (*s == '"')
		return json_string(s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';
		bool object = *s == '{';
		s = json_ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (object) {
				s = json_string(json_ws(s));
				if (s == NULL)
					return NULL;
				s = json_ws(s);
				if (*s++ != ':')
					return NULL;
			}
			s = json_value(s, depth + 1);
			if (s == NULL)
				return NULL;
			s = json_ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	static const char *const words[] = { "true", "false", "null" };
	for (size_t i = 0; i < 3; i++)
		if (strncmp(s, words[i], strlen(words[i])) == 0)
			return s + strlen(words[i]);
	const char *p = s;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
	       *p == 'E' || *p == '+' || *p == '-')
		p++;
	return p;
}

/* The JSON Lines output for res, in a malloc'd string. */
static char *json_of(const char *file, const rebound_result *res)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	rebound_json_result(f, file, res);
	long n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	char *out = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fread(out, 1, (size_t)n, f), (size_t)n);
	out[n] = '\0';
	fclose(f);
	return out;
}

/* Every line is one JSON object; returns the number of lines. */
static size_t check_lines(const char *out)
{
	size_t lines = 0;
	for (const char *p = out; *p != '\0'; lines++) {
		const char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "last line not terminated: %s", p);
		ck_assert_int_eq(*p, '{');
		const char *end = json_value(p, 0);
		ck_assert_msg(end == nl, "line does not parse: %.*s",
			      (int)(nl - p), p);
		p = nl + 1;
	}
	return lines;
}

/* --- formats: one notice per vendor format, expectations in a table ---------
 *
 * tests/fixtures/rules/formats.tsv names each fixture of
 * tests/fixtures/classify/formats/ with what it must give: a line per
 * recipient of a bounce ("failed userunknown hard"), or "-" and the class
 * of a message that is not one ("autoreply", "not-bounce").  The recipients
 * listed must be exactly the ones found.  Every mismatch is printed, so one
 * run shows all that a change broke. */

static unsigned formats_check_file(const tsv_file *t, size_t first, size_t end)
{
	const char *name = t->lines[first].field[0];
	char rel[512];
	snprintf(rel, sizeof rel, "formats/%s", name);
	rebound_result *res = classify(rel);
	unsigned bad = 0;

	if (strcmp(t->lines[first].field[1], "-") == 0) {
		const char *want = t->lines[first].field[2];
		const char *got = rebound_class_name(res->cls);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s: want %s, got %s\n", name, want, got);
			bad++;
		}
		return bad;
	}
	if (res->cls != REBOUND_CLASS_BOUNCE) {
		fprintf(stderr, "%s: not read as a bounce (%s)\n", name,
			rebound_class_name(res->cls));
		return 1;
	}
	for (size_t i = first; i < end; i++) {
		const tsv_line *l = &t->lines[i];
		const rebound_recipient *r = NULL;
		for (size_t k = 0; k < res->nrcpt && r == NULL; k++)
			if (strcasecmp(res->rcpt[k].address, l->field[1]) == 0)
				r = &res->rcpt[k];
		if (r == NULL) {
			fprintf(stderr, "%s: recipient %s not found\n", name,
				l->field[1]);
			bad++;
			continue;
		}
		char got[128];
		snprintf(got, sizeof got, "%s %s %s",
			 rebound_action_name(r->action),
			 rebound_reason_name(r->reason),
			 r->hard ? "hard" : "soft");
		if (strcmp(got, l->field[2]) != 0) {
			fprintf(stderr, "%s: %s: want \"%s\", got \"%s\" (%s)\n",
				name, l->field[1], l->field[2], got,
				r->rule != NULL ? r->rule : "no rule");
			bad++;
		}
	}
	if (res->nrcpt != end - first) {
		for (size_t k = 0; k < res->nrcpt; k++)
			fprintf(stderr, "%s: found %s\n", name,
				res->rcpt[k].address);
		fprintf(stderr, "%s: %zu recipients found, %zu expected\n",
			name, res->nrcpt, end - first);
		bad++;
	}
	return bad;
}

/* Whether the table names NAME. */
static bool formats_listed(const tsv_file *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->lines[i].field[0], name) == 0)
			return true;
	return false;
}

START_TEST(vendor_formats)
{
	tsv_file t;
	tsv_load(&t, "formats.tsv");
	unsigned bad = 0, files = 0;

	for (size_t i = 0; i < t.n;) {
		ck_assert_msg(t.lines[i].nfield == 3,
			      "%s:%u: want 3 tab-separated fields", t.path,
			      t.lines[i].lineno);
		size_t end = i + 1;
		while (end < t.n &&
		       strcmp(t.lines[end].field[0], t.lines[i].field[0]) == 0)
			end++;
		bad += formats_check_file(&t, i, end);
		files++;
		i = end;
	}

	/* no fixture without an expectation */
	const char *srcdir = getenv("srcdir");
	char dirpath[4096];
	snprintf(dirpath, sizeof dirpath, "%s/tests/fixtures/classify/formats",
		 srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	DIR *d = opendir(dirpath);
	ck_assert_msg(d != NULL, "cannot open %s", dirpath);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".eml") == 0 &&
		    !formats_listed(&t, e->d_name)) {
			fprintf(stderr, "%s: not in formats.tsv\n", e->d_name);
			bad++;
		}
	}
	closedir(d);
	tsv_free(&t);
	ck_assert_msg(bad == 0, "%u mismatches in %u format fixtures (above)",
		      bad, files);
}
END_TEST

START_TEST(unsubscribe_names_the_subscriber)
{
	rebound_result *res = classify("formats/unsubscribe-person.eml");
	ck_assert_int_eq(res->cls, REBOUND_CLASS_FEEDBACK);
	ck_assert_uint_eq(res->nrcpt, 1);
	ck_assert_str_eq(res->rcpt[0].address, "rosa@example.org");
	ck_assert_int_eq(res->rcpt[0].action, REBOUND_ACTION_FEEDBACK);
	ck_assert(!res->rcpt[0].hard);
}
END_TEST

START_TEST(json_self_check)
{
	/* The checker itself rejects broken lines. */
	ck_assert_ptr_nonnull(json_value("{\"a\":[1,true,null,\"x\\u00e9\"]}", 0));
	ck_assert_ptr_null(json_value("{\"a\":}", 0));
	ck_assert_ptr_null(json_value("{\"a\" 1}", 0));
	ck_assert_ptr_null(json_value("{\"a\":\"b\x01\"}", 0));
	ck_assert_ptr_null(json_value("{\"a\":\"b\\q\"}", 0));
}
END_TEST

START_TEST(json_bounce_line)
{
	rebound_result *res = classify("postfix-userunknown.eml");
	char *out = json_of("in/\"quoted\"\\name.eml", res);

	ck_assert_uint_eq(check_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"bounce\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"recipient\":\"alice@example.net\""));
	ck_assert_ptr_nonnull(strstr(out, "\"reason\":\"userunknown\""));
	ck_assert_ptr_nonnull(strstr(out, "\"hard\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"5.1.1\""));
	ck_assert_ptr_nonnull(strstr(out, "\"reply_code\":\"550\""));
	ck_assert_ptr_nonnull(strstr(out, "\"campaign\":\"spring-2025\""));
	ck_assert_ptr_nonnull(strstr(out, "\"verp_recipient\":\"alice@example.net\""));
	ck_assert_ptr_nonnull(strstr(out, "\"file\":\"in/\\\"quoted\\\"\\\\name.eml\""));
	free(out);
}
END_TEST

START_TEST(json_multi_and_not_bounce)
{
	rebound_result *res = classify("multi-recipient.eml");
	char *out = json_of("multi.eml", res);

	/* One line per recipient. */
	ck_assert_uint_eq(check_lines(out), 2);
	ck_assert_ptr_nonnull(strstr(out, "\"reason\":\"mailboxfull\""));
	ck_assert_ptr_nonnull(strstr(out, "\"action\":\"delayed\""));
	free(out);

	res = classify("newsletter.eml");
	out = json_of("news.eml", res);
	ck_assert_uint_eq(check_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"recipient\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"bounce\":false"));
	free(out);
}
END_TEST

START_TEST(json_string_escapes)
{
	FILE *f = tmpfile();
	char buf[256];

	ck_assert_ptr_nonnull(f);
	/* Control bytes escaped, valid UTF-8 kept, invalid bytes replaced. */
	rebound_json_string(f, "a\"b\\c\n\x01 \xc3\xa9 \xff \xc3");
	rebound_json_string(f, NULL);
	long n = ftell(f);
	rewind(f);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\u000a\\u0001 \xc3\xa9 \\ufffd \\ufffd\"null");
}
END_TEST

/* A notice that repeats the subject and date of the original before the
 * failure is not a returned copy, and a mail system's notice is a bounce
 * even when it calls itself auto-replied. */
START_TEST(summary_lines_and_auto_replied)
{
	rebound_result *res = classify("summary-autoreplied.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "ivan@example.org");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
}
END_TEST

/* A report whose boundary line never appears in the body. */
START_TEST(undelimited_report)
{
	const char *m =
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
		"To: <sender@example.com>\n"
		"Subject: Returned mail: see transcript for details\n"
		"Content-Type: multipart/report; report-type=delivery-status;\n"
		"    boundary=\"BND.77/mx.example.net\"\n\n"
		"   ----- The following addresses had permanent fatal errors -----\n"
		"<judy@example.net>\n\n"
		"   ----- Transcript of session follows -----\n"
		"554 <judy@example.net>... Mailbox disabled for this recipient\n\n"
		"Final-Recipient: RFC822; judy@example.net\n"
		"Action: failed\nStatus: 5.2.1\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "judy@example.net");
	ck_assert_str_eq(r->reply_code, "554");
	ck_assert_reason(r, "suspend");
}
END_TEST

/* A gateway that wraps the DSN it got in a notice of its own with no
 * details: the attached DSN is read.  The same DSN forwarded by a person
 * is not a new bounce. */
static const char *wrap_dsn(const char *from, const char *subject)
{
	return rebound_arena_printf(arena,
		"From: %s\nTo: ops@example.com\nSubject: %s\n"
		"Content-Type: multipart/mixed; boundary=\"outer-1\"\n\n"
		"--outer-1\nContent-Type: text/plain\n\n"
		"The following addresses had permanent delivery errors\n\n"
		"--outer-1\nContent-Type: message/rfc822\n\n"
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
		"To: ops@example.com\nSubject: Returned mail: User unknown\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		" boundary=\"inner-2\"\n\n"
		"--inner-2\nContent-Type: text/plain\n\nUser unknown\n"
		"--inner-2\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.org\n\n"
		"Final-Recipient: rfc822; kate@example.org\nAction: failed\n"
		"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n"
		"\n--inner-2--\n\n--outer-1--\n", from, subject);
}

START_TEST(forwarded_dsn)
{
	const char *m = wrap_dsn("Mail Delivery System <MAILER-DAEMON@gw.example.com>",
				 "Returned mail: User unknown");
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "kate@example.org");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_reason(r, "userunknown");

	m = wrap_dsn("Lena <lena@example.com>", "FW: Returned mail: User unknown");
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_ne(res->cls, REBOUND_CLASS_BOUNCE);
}
END_TEST

/* In a sendmail transcript the remote server's own reply ("<<< ...")
 * decides, not the local mailer's later lines; a per-host line belongs to
 * the recipient after it. */
START_TEST(sendmail_transcript)
{
	rebound_result *res = classify("sendmail-transcript.eml");

	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 3);
	const rebound_recipient *r = rcpt(res, "oscar@example.org");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
	r = rcpt(res, "paula@example.net");
	ck_assert_reason(r, "norelaying");
	ck_assert(!r->hard);
	r = rcpt(res, "quinn@example.info");
	ck_assert_reason(r, "hostunknown");
	ck_assert(r->hard);
	/* "554 <quinn@...>... 550 Host unknown": 550 is the remote's. */
	ck_assert_str_eq(r->reply_code, "550");
	/* oscar's code is the one in the remote's "<<<" reply. */
	ck_assert_str_eq(rcpt(res, "oscar@example.org")->reply_code, "550");
}
END_TEST

/* One-recipient DSN with the given Status and Diagnostic-Code. */
static rebound_result *dsn_with(const char *status, const char *diag)
{
	const char *m = rebound_arena_printf(arena,
		"From: MAILER-DAEMON@mx.example.com\nTo: rita@example.com\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		" boundary=\"r1\"\n\n--r1\nContent-Type: text/plain\n\n"
		"It could not be delivered.\n--r1\n"
		"Content-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.com\n\n"
		"Final-Recipient: rfc822; sam@example.org\nAction: failed\n"
		"%sDiagnostic-Code: smtp; %s\n\n--r1--\n",
		status[0] != '\0' ?
			rebound_arena_printf(arena, "Status: %s\n", status) : "",
		diag);
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_uint_eq(res->nrcpt, 1);
	return res;
}

/* "User unknown" in a reply carrying a policy status (X.7.x) may be a
 * policy block: still userunknown (the words say so), marked suspect.
 * Without the X.7 code it is a plain hard bounce. */
START_TEST(policy_status_user_unknown)
{
	rebound_result *res = dsn_with("5.7.1",
		"550 5.7.1 <sam@example.org>: Recipient address rejected: "
		"User unknown");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(res->rcpt[0].suspect);
	res = dsn_with("5.1.1", "550 5.1.1 <sam@example.org>: Recipient "
				"address rejected: User unknown");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(!res->rcpt[0].suspect);
}
END_TEST

/* "User unknown" with X.2.1 (mailbox disabled: RFC 3463 says the mailbox
 * exists) is a plain hard bounce when the notice shows the refusal came
 * at RCPT; else it is marked suspect. */
START_TEST(disabled_status_user_unknown)
{
	rebound_result *res = dsn_with("5.2.1",
		"550 5.2.1 <sam@example.org>... User unknown");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(res->rcpt[0].suspect);
	res = dsn_with("5.2.1", "550 5.2.1 <sam@example.org>... User unknown "
				"(in reply to RCPT TO command)");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(!res->rcpt[0].suspect);
	res = dsn_with("5.2.1", "host mx.example.org said: 550 5.2.1 User "
				"unknown (after RCPT command)");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	res = dsn_with("5.2.1", "192.0.2.9 does not like recipient. Remote "
				"host said: 550 5.2.1 User unknown");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	/* Without a user-unknown wording, X.2.1 keeps its own reason. */
	res = dsn_with("5.2.1", "550 5.2.1 Mailbox disabled");
	ck_assert_reason(&res->rcpt[0], "suspend");
}
END_TEST

/* After DATA a generic "user unknown" may be a filter's: suspect; a
 * provider's own words for a missing account (Yahoo checks accounts
 * after DATA) are a plain hard unknown user. */
START_TEST(missing_account_after_data)
{
	rebound_result *res = dsn_with("5.0.0", "550 5.1.1 User unknown "
				"(in reply to end of DATA command)");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(res->rcpt[0].suspect);
	res = dsn_with("5.0.0", "554 delivery error: dd This user doesn't "
				"have a example.org account (sam@example.org) "
				"[0] (in reply to end of DATA command)");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(!res->rcpt[0].suspect);
}
END_TEST

/* A notice that states no status gets the class default of RFC 3463,
 * marked derived: X.0.0 with the reply code's class, else the outcome's;
 * a stated status is never marked. */
START_TEST(status_derived_when_none_stated)
{
	rebound_result *res = dsn_with("", "550 sorry, no such user here");
	ck_assert_str_eq(res->rcpt[0].status, "5.0.0");
	ck_assert(res->rcpt[0].status_derived);
	res = dsn_with("", "no mailbox here by that name");
	ck_assert_str_eq(res->rcpt[0].status, "5.0.0");
	ck_assert(res->rcpt[0].status_derived);
	res = dsn_with("5.1.1", "550 5.1.1 <sam@example.org>: user unknown");
	ck_assert_str_eq(res->rcpt[0].status, "5.1.1");
	ck_assert(!res->rcpt[0].status_derived);

	rebound_recipient r;
	const char *reply = "451 please try again later";
	ck_assert_int_eq(rebound_classify_reply(arena, "sam@example.org", reply,
						strlen(reply),
						REBOUND_ACTION_DELAYED, &r), 0);
	ck_assert_str_eq(r.status, "4.0.0");
	ck_assert(r.status_derived);
}
END_TEST

/* A domain that accepts no mail is a hard bounce unless the report says
 * the failure is temporary. */
START_TEST(notaccept_hardness)
{
	rebound_result *res = dsn_with("", "No MX record found for domain "
					   "example.org");
	ck_assert_reason(&res->rcpt[0], "notaccept");
	ck_assert(res->rcpt[0].hard);
	res = dsn_with("4.4.4", "No MX record found for domain example.org");
	ck_assert_reason(&res->rcpt[0], "notaccept");
	ck_assert(!res->rcpt[0].hard);
}
END_TEST

/* Amazon SES notifications: wrapped in an SNS envelope, bare, and the
 * complaint kind, which is feedback and never a bounce. */
START_TEST(ses_notifications)
{
	rebound_result *res = classify("ses-sns-bounce.eml");
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_str_eq(res->format, "amazonses");
	ck_assert_uint_eq(res->nrcpt, 2);
	const rebound_recipient *r = rcpt(res, "tom@example.org");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_str_eq(r->reply_code, "550");
	ck_assert_reason(r, "userunknown");
	ck_assert(r->hard);
	r = rcpt(res, "uma@example.net");
	ck_assert_reason(r, "spamdetected");
	ck_assert(!r->hard);
	ck_assert_str_eq(res->campaign, "spring-sale");
	ck_assert_str_eq(res->orig_message_id, "<spring-sale-17@shop.example.com>");
	ck_assert_str_eq(res->sender_domain, "shop.example.com");
	ck_assert_str_eq(res->reporting_mta,
			 "b1-2.smtp-out.eu-west-1.amazonses.com");

	/* No diagnostic at all: the bounce subtype names the reason, and a
	   Transient bounce is soft. */
	res = classify("ses-transient.eml");
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	r = rcpt(res, "vic@example.org");
	ck_assert_reason(r, "mailboxfull");
	ck_assert(!r->hard);

	res = classify("ses-complaint.eml");
	ck_assert_int_eq(res->cls, REBOUND_CLASS_FEEDBACK);
}
END_TEST

/* A JSON-looking body that is broken or hostile is ordinary mail. */
START_TEST(ses_hostile_json)
{
	static const char *const bodies[] = {
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":\"x@example.org",
		"{\"notificationType\":\"Bounce\" \"bounce\":{}}",
		"{\"notificationType\":\"Nonsense\"}",
		"{\"Type\":\"Notification\",\"Message\":\"{\\\"notificationType\\\":[[[[\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		const char *m = rebound_arena_printf(arena,
			"From: someone@example.com\nSubject: data\n\n%s\n",
			bodies[i]);
		rebound_result *res = NULL;
		ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
		ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
	}
	/* 10000 nested arrays: refused by the depth bound, no recursion. */
	char *deep = malloc(30000);
	ck_assert_ptr_nonnull(deep);
	size_t o = (size_t)sprintf(deep, "Subject: x\n\n{\"eventType\":\"Bounce\",\"bounce\":");
	for (int i = 0; i < 10000; i++)
		deep[o++] = '[';
	deep[o] = '\0';
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, deep, o, NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
	free(deep);
}
END_TEST

/* The error said once, before the list of recipients it applies to. */
START_TEST(error_before_list)
{
	rebound_result *res = classify("error-before-list.eml");
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(res->rcpt[i].status, "5.1.1");
		ck_assert_str_eq(res->rcpt[i].reply_code, "550");
		ck_assert_reason(&res->rcpt[i], "userunknown");
	}
}
END_TEST

/* The alias a failed address was reached through is not a recipient,
 * and the error lines after it still belong to the failed address. */
START_TEST(alias_is_not_a_recipient)
{
	const char *m =
		"From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
		"To: yuri@example.com\nSubject: Mail delivery failed\n\n"
		"This message was created automatically by mail delivery software.\n\n"
		"A message that you sent could not be delivered to one or more of its\n"
		"recipients. This is a permanent error. The following address(es) failed:\n\n"
		"  zoe@example.net\n"
		"    (ultimately generated from team@example.org)\n"
		"    SMTP error from remote mail server after RCPT TO:<zoe@example.net>:\n"
		"    host mx.example.net [192.0.2.5]: 550 5.1.1 No such user\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "zoe@example.net");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_reason(r, "userunknown");
}
END_TEST

/* A carrier's no-reply notice that returns the original is a bounce; a
 * no-reply notification that merely mentions an address is not. */
START_TEST(no_reply_sender)
{
	const char *m =
		"From: no-reply@mail.example.ne.jp\nTo: <ann@example.jp>\n"
		"Subject: Mail\nContent-Type: multipart/mixed; boundary=\"k1\"\n\n"
		"--k1\nContent-Type: text/plain; charset=us-ascii\n\n"
		"Your mail sent on: Mon, 2 Mar 2026 10:00:00 +0900\n"
		"     Could not be delivered to: <ben@mail.example.ne.jp>\n"
		"     As their mailbox is full.\n\n"
		"--k1\nContent-Type: message/rfc822\n\n"
		"From: Ann <ann@example.jp>\nTo: <ben@mail.example.ne.jp>\n"
		"Subject: hello\n\nhi\n--k1--\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	const rebound_recipient *r = rcpt(res, "ben@mail.example.ne.jp");
	ck_assert_reason(r, "mailboxfull");

	m = "From: Example Shop <no-reply@shop.example.com>\n"
	    "To: ann@example.jp\nSubject: Your account\n\n"
	    "Your email address ann@example.jp has been verified.\n"
	    "If your message to support could not be delivered, write again.\n";
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
}
END_TEST

/* Notices with no code and no stock failure sentence: a delay warning,
 * and a notice whose only words are the reason itself. */
START_TEST(notices_without_codes)
{
	const char *m =
		"From: Mailer Daemon <MAILER-DAEMON@mx.example.jp>\n"
		"To: eve@example.com\nSubject: Delivery status notification: warning\n\n"
		"    A message is delayed for more than 10 minutes for the following\n"
		"    list of recipients:\n\n"
		"fred@example.jp: Network error on destination MXs\n\n"
		"    Please note that this is only a temporary failure report.\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	const rebound_recipient *r = rcpt(res, "fred@example.jp");
	ck_assert_int_eq(r->action, REBOUND_ACTION_DELAYED);
	ck_assert(!r->hard);

	m = "From: \"Postmaster\" <postmaster@example.co.jp>\n"
	    "To: eve@example.com\nSubject: Undeliverable Mail\n\n"
	    "User mailbox exceeds allowed size: gina@example.co.jp\n";
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	r = rcpt(res, "gina@example.co.jp");
	ck_assert_reason(r, "mailboxfull");
}
END_TEST

/* postmaster@ of another domain is a recipient when the heading lists it;
 * elsewhere it is the mail system's own address. */
START_TEST(postmaster_under_heading)
{
	const char *m =
		"From: postmaster@isp.example.ne.jp\nTo: hana@example.com\n"
		"Subject: Returned mail: Service unavailable\n\n"
		"   ----- The following addresses had delivery problems -----\n"
		"postmaster@mx.example.org\n\n"
		"   ----- Non-delivered information -----\n"
		"The number of messages in recipient's mailbox exceeded the local limit.\n\n"
		"Please ask postmaster@isp.example.ne.jp for help.\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "postmaster@mx.example.org");
	ck_assert_reason(r, "mailboxfull");
}
END_TEST

/* "A message sent by" on one line and the sender's address on the next:
 * the sender is not a recipient. */
START_TEST(sender_on_next_line)
{
	const char *m =
		"From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
		"To: ivy@example.com\nSubject: Mail delivery failed\n\n"
		"A message sent by\n\n  <ivy@lists.example.com>\n\n"
		"could not be delivered to one or more of its recipients. The following\n"
		"address(es) failed:\n\n  jack@example.org\n"
		"    retry timeout exceeded\n";
	ck_assert_reason(sole_bounce(m, "jack@example.org"), "expired");
}
END_TEST

/* A user-unknown code worded as a policy block is suspect even from a
 * server no table names; a plain one is not. */
START_TEST(policy_worded_user_unknown)
{
	rebound_result *res = dsn_with("5.1.1", "550 5.1.1 Recipient address "
				       "rejected: access denied by policy");
	ck_assert_reason(&res->rcpt[0], "userunknown");
	ck_assert(res->rcpt[0].hard);
	ck_assert(res->rcpt[0].suspect);
	res = dsn_with("5.1.1", "550 5.1.1 <sam@example.org>: Recipient "
				"address rejected: User unknown");
	ck_assert(!res->rcpt[0].suspect);
}
END_TEST

/* A complaint report from before RFC 5965: the subject and the message
 * complained about, attached.  Without the attachment it is just mail. */
START_TEST(pre_arf_complaint)
{
	const char *m =
		"From: staff@mail.example.net\nTo: abuse@example.com\n"
		"Subject: complaint about message from 192.0.2.7\n"
		"Content-Type: multipart/mixed; boundary=\"c1\"\n\n"
		"--c1\nContent-Type: text/plain\n\nThis is a complaint.\n"
		"--c1\nContent-Type: message/rfc822\n\n"
		"From: News <news@example.com>\nTo: <lara@example.net>\n"
		"Message-ID: <nl-77@example.com>\nSubject: Offers\n\nBuy.\n"
		"--c1--\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_FEEDBACK);
	ck_assert_str_eq(res->orig_message_id, "<nl-77@example.com>");

	m = "From: Kim <kim@example.net>\nTo: abuse@example.com\n"
	    "Subject: complaint about message from 192.0.2.7\n\n"
	    "I keep getting these.\n";
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_NOT_BOUNCE);
}
END_TEST

/* Delivery-status fields quoted in a plain-text notice are read as a
 * report: the recipient is the Final-Recipient, not the address the
 * remote server's diagnostic happens to name. */
START_TEST(report_quoted_in_text)
{
	const char *m =
		"From: MAILER-DAEMON@mail.example.net\nTo: olga@example.com\n"
		"Subject: Delivery Status Notification (Failure)\n\n"
		"Delivery to the following recipient failed:\npia@example.org\n\n"
		"Technical details:\n\nReporting-MTA: dsn; out-3.mail.example.net\n\n"
		"Action: failed\nFinal-Recipient: rfc822; pia@example.org\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <p.alias@mx.example.org>... User Unknown\n"
		"Status: 5.1.1\n";
	rebound_result *res = NULL;
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
	ck_assert_uint_eq(res->nrcpt, 1);
	const rebound_recipient *r = rcpt(res, "pia@example.org");
	ck_assert_str_eq(r->status, "5.1.1");
	ck_assert_reason(r, "userunknown");
	ck_assert_str_eq(res->reporting_mta, "out-3.mail.example.net");

	/* Without a recipient field it stays a text notice. */
	m = "From: MAILER-DAEMON@mail.example.net\nTo: olga@example.com\n"
	    "Subject: Delivery Status Notification (Failure)\n\n"
	    "Delivery to the following recipient failed:\npia@example.org\n"
	    "550 5.2.2 mailbox full\nReporting-MTA: dsn; out-3.mail.example.net\n"
	    "Status: 5.2.2\n";
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_str_eq(res->format, "text");
	ck_assert_reason(rcpt(res, "pia@example.org"), "mailboxfull");
}
END_TEST

/* An address written as the display name of another ("a@b <c@d>") and
 * one named inside the error text after the recipient's colon are not
 * recipients; a file path that ends in an address is not an address. */
START_TEST(addresses_that_are_not_recipients)
{
	const char *m =
		"From: Mail Delivery System <mailer-daemon@mx.example.com>\n"
		"To: quinn@mx.example.com\n"
		"Subject: Mail failure - malformed recipient address\n\n"
		"A message that you sent contained one or more recipient addresses that were\n"
		"incorrectly constructed:\n\n"
		"  rosa@example.org <sam@example.net>: malformed address: <sam@example.net> may not follow rosa@example.org\n\n"
		"This address has been ignored.\n";
	ck_assert_reason(sole_bounce(m, "sam@example.net"), "syntaxerror");

	m = "From: Mail Delivery System <mailer-daemon@mx.example.com>\n"
	    "To: quinn@mx.example.com\nX-Failed-Recipients: tess@example.com\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "A message that you sent could not be delivered to one or more of its\n"
	    "recipients. This is a permanent error. The following address(es) failed:\n\n"
	    "  pipe to |/usr/bin/filter tess@example.com\n"
	    "    generated by tess@example.com\n\n"
	    "The following text was generated during the delivery attempt:\n\n"
	    "cannot open /var/spool/filter/tess@example.com: No such file or directory\n";
	sole_bounce(m, "tess@example.com");
}
END_TEST

/* A notice that repeats the original's To: line above its recipient
 * heading lists only the addresses under the heading; a heading wrapped
 * over two lines still is one, and lists even the sender. */
START_TEST(recipients_under_heading_only)
{
	const char *m =
		"From: postmaster@corp.example.net\nTo: uma@example.com\n"
		"Subject: Undeliverable: Minutes\n\n"
		"Your message\n\n  To:      vera@corp.example.net\n"
		"  Subject: Minutes\n\n"
		"did not reach the following recipient(s):\n\n"
		"walt@corp.example.net on Mon, 2 Mar 2026 10:00:00 +0100\n"
		"    The recipient name is not recognized\n";
	ck_assert_reason(sole_bounce(m, "walt@corp.example.net"), "userunknown");

	m = "From: Mail Delivery System <mailer-daemon@mx.example.de>\n"
	    "To: xena@example.fr\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "A message that you sent could not be delivered to one or more of\n"
	    "its recipients. This is a permanent error. The following address(es)\n"
	    "failed:\n\nxena@example.fr:\n"
	    "SMTP error from remote server for RCPT TO command, host: mx.example.fr reason: 550 5.1.1 user unknown\n";
	ck_assert_reason(sole_bounce(m, "xena@example.fr"), "userunknown");
}
END_TEST

/* One SMTP reply (what Exim's events pass): a host name standing alone
 * before "does not exist" is a host that does not exist, an address
 * there is a user; a sentence that runs into the next without a space
 * is not a host name. */
START_TEST(reply_host_names)
{
	rebound_recipient r;
	const char *t = "553 relay.example.org does not exist";
	ck_assert_int_eq(rebound_classify_reply(arena, "yann@example.org", t,
						strlen(t), REBOUND_ACTION_FAILED,
						&r), 0);
	ck_assert_reason(&r, "hostunknown");
	ck_assert(r.hard);

	t = "550 <yann@example.org> does not exist";
	ck_assert_int_eq(rebound_classify_reply(arena, "yann@example.org", t,
						strlen(t), REBOUND_ACTION_FAILED,
						&r), 0);
	ck_assert_reason(&r, "userunknown");

	t = "550 Mailbox full.Please try later";
	ck_assert_int_eq(rebound_classify_reply(arena, "yann@example.org", t,
						strlen(t), REBOUND_ACTION_FAILED,
						&r), 0);
	ck_assert_reason(&r, "mailboxfull");
}
END_TEST

/* A person who writes about a delivery problem is not a mail system
 * reporting one: a bounce subject from an ordinary sender needs a
 * program's signs (null return path, no From address, Auto-Submitted,
 * the original attached), and a reply or forward never is a notice. */
START_TEST(people_writing_about_bounces)
{
	const char *body =
		"Content-Type: text/plain\n\n"
		"We saw a delivery failure for zoe@client.example.com yesterday;\n"
		"the server said 550 5.1.1 user unknown.\n";
	const char *heads[] = {
		"From: Helpdesk <helpdesk@example.org>\nTo: amy@example.com\n"
		"Subject: Delivery failure on your newsletter\n",
		"From: Bob <bob@example.org>\nTo: amy@example.com\n"
		"Subject: Re: Undeliverable: Minutes\n",
		"Return-Path: <>\nFrom: Bob <bob@example.org>\nTo: amy@example.com\n"
		"Subject: AW: Unzustellbar: Angebot\n",
	};
	rebound_result *res = NULL;
	for (size_t i = 0; i < sizeof(heads) / sizeof(*heads); i++) {
		char *m = rebound_arena_printf(arena, "%s%s", heads[i], body);
		ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
		ck_assert_msg(res->cls == REBOUND_CLASS_NOT_BOUNCE,
			      "message %zu read as %s", i,
			      rebound_class_name(res->cls));
	}
	/* The same words from a program are a notice. */
	const char *machine[] = {
		"Return-Path: <>\nFrom: Helpdesk <helpdesk@example.org>\n"
		"Subject: Delivery failure\n",
		"From: <>\nSubject: Delivery failure\n",
		"From: Gateway <gw@example.org>\nAuto-Submitted: auto-generated\n"
		"Subject: Delivery failure\n",
	};
	for (size_t i = 0; i < sizeof(machine) / sizeof(*machine); i++) {
		char *m = rebound_arena_printf(arena, "%s%s", machine[i], body);
		ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
		ck_assert_msg(res->cls == REBOUND_CLASS_BOUNCE,
			      "machine message %zu read as %s", i,
			      rebound_class_name(res->cls));
		ck_assert_reason(rcpt(res, "zoe@client.example.com"), "userunknown");
	}
	/* What the MTA knows about the envelope counts too. */
	rebound_classify_options opts = { .null_sender = true };
	char *m = rebound_arena_printf(arena, "%s%s", heads[0], body);
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), &opts, &res), 0);
	ck_assert_int_eq(res->cls, REBOUND_CLASS_BOUNCE);
}
END_TEST

/* A delivery report without recipient fields ("Delivery report
 * unavailable") that returns an original sent to one address failed for
 * that address; with two addresses it cannot say which. */
START_TEST(report_without_recipients)
{
	const char *head =
		"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
		"To: gil@example.com\nSubject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n"
		"--r\nContent-Type: text/plain\n\n"
		"I'm sorry to have to inform you that your message could not\n"
		"be delivered to one or more recipients.\n\n"
		"\t--- Delivery report unavailable ---\n\n"
		"--r\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 2 Mar 2026 10:00:00 +0100\n\n"
		"--r\nContent-Type: message/rfc822\n\n"
		"From: <gil@example.com>\nTo: ";
	const char *tail = "\nSubject: Hello\n\nHi.\n--r--\n";
	char *m = rebound_arena_printf(arena, "%s%s%s", head,
				       "hal@client.example.org", tail);
	rebound_result *res = NULL;
	sole_bounce(m, "hal@client.example.org");

	m = rebound_arena_printf(arena, "%s%s%s", head,
				 "hal@client.example.org, ida@client.example.org",
				 tail);
	ck_assert_int_eq(rebound_classify(arena, m, strlen(m), NULL, &res), 0);
	ck_assert_uint_eq(res->nrcpt, 0);
}
END_TEST

/* A mail system that titles its notice "Re: <subject>" and states the
 * error once, above the details that name the recipient. */
START_TEST(error_above_message_details)
{
	const char *m =
		"From: post_master@sms.example.com\nTo: jon@example.com\n"
		"Subject: Re:Test message\nContent-Type: text/plain\n\n"
		"Error: Invalid user address\n\nError message below:\n"
		"550 - Requested action not taken: no such user here\n\n"
		"Message details:\n  Subject: Test message\n"
		"  MAIL FROM: jon@example.com\n  RCPT TO: 5550100@sms.example.com\n"
		"  From: jon@example.com\n";
	ck_assert_reason(sole_bounce(m, "5550100@sms.example.com"), "userunknown");
}
END_TEST

/* --- suspects: which hard bounces are marked, and by what (issue 18) ---
 *
 * tests/fixtures/rules/suspects.tsv names a notice, a recipient and what
 * it must be: a plain hard bounce, or suspect with the evidence named
 * first.  Every mismatch is printed. */
START_TEST(suspect_evidence)
{
	tsv_file t;
	unsigned bad = 0;
	tsv_load(&t, "suspects.tsv");
	ck_assert_uint_gt(t.n, 0);
	for (size_t i = 0; i < t.n; i++) {
		const tsv_line *l = &t.lines[i];
		ck_assert_msg(l->nfield == 3, "%s:%u: want FILE<TAB>RCPT<TAB>"
			      "EXPECT", t.path, l->lineno);
		rebound_result *res = classify(l->field[0]);
		const rebound_recipient *r = rcpt(res, l->field[1]);
		const char *want = l->field[2];
		bool plain = strcmp(want, "plain") == 0;
		if (!r->hard || r->reason != REBOUND_REASON_USERUNKNOWN) {
			fprintf(stderr, "%s: %s is %s, %s; want a hard user "
				"unknown\n", l->field[0], l->field[1],
				rebound_reason_name(r->reason),
				r->hard ? "hard" : "soft");
			bad++;
		} else if (plain ? r->suspect :
			   !r->suspect || r->suspect_why == NULL ||
			   strncmp(r->suspect_why, want, strlen(want)) != 0) {
			fprintf(stderr, "%s: %s suspect=%s (%s), want %s\n",
				l->field[0], l->field[1],
				r->suspect ? "yes" : "no",
				r->suspect_why != NULL ? r->suspect_why : "-",
				want);
			bad++;
		}
	}
	tsv_free(&t);
	ck_assert_msg(bad == 0, "%u suspect mismatch(es) (above)", bad);
}
END_TEST

static Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc;

	tc = tcase_create("rfc3464");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, postfix_user_unknown);
	tcase_add_test(tc, links_to_the_original);
	tcase_add_test(tc, campaign_header_option);
	tcase_add_test(tc, verp_format_option);
	tcase_add_test(tc, multi_recipient);
	tcase_add_test(tc, delivered);
	tcase_add_test(tc, dmarc_multiline_reply);
	tcase_add_test(tc, user_unknown_after_data);
	tcase_add_test(tc, policy_status_user_unknown);
	tcase_add_test(tc, disabled_status_user_unknown);
	tcase_add_test(tc, missing_account_after_data);
	tcase_add_test(tc, status_derived_when_none_stated);
	tcase_add_test(tc, notaccept_hardness);
	tcase_add_test(tc, policy_worded_user_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exim_user_unknown);
	tcase_add_test(tc, qmail_notice);
	tcase_add_test(tc, gateway_notice);
	tcase_add_test(tc, summary_lines_and_auto_replied);
	tcase_add_test(tc, undelimited_report);
	tcase_add_test(tc, forwarded_dsn);
	tcase_add_test(tc, sendmail_transcript);
	tcase_add_test(tc, ses_notifications);
	tcase_add_test(tc, error_before_list);
	tcase_add_test(tc, alias_is_not_a_recipient);
	tcase_add_test(tc, no_reply_sender);
	tcase_add_test(tc, notices_without_codes);
	tcase_add_test(tc, postmaster_under_heading);
	tcase_add_test(tc, sender_on_next_line);
	tcase_add_test(tc, pre_arf_complaint);
	tcase_add_test(tc, ses_hostile_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("other");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, autoreply);
	tcase_add_test(tc, feedback_report);
	tcase_add_test(tc, newsletter_is_not_a_bounce);
	tcase_add_test(tc, empty_message);
	tcase_add_test(tc, report_quoted_in_text);
	tcase_add_test(tc, addresses_that_are_not_recipients);
	tcase_add_test(tc, recipients_under_heading_only);
	tcase_add_test(tc, reply_host_names);
	tcase_add_test(tc, people_writing_about_bounces);
	tcase_add_test(tc, report_without_recipients);
	tcase_add_test(tc, error_above_message_details);
	suite_add_tcase(s, tc);

	tc = tcase_create("formats");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vendor_formats);
	tcase_add_test(tc, unsubscribe_names_the_subscriber);
	tcase_add_test(tc, suspect_evidence);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, json_self_check);
	tcase_add_test(tc, json_bounce_line);
	tcase_add_test(tc, json_multi_and_not_bounce);
	tcase_add_test(tc, json_string_escapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(classify_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rebound_classify_release();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
