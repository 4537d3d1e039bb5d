/* check_verp.c - signed VERP return paths (common/ledger/verp.h): a signature
 * verifies for the recipient and time it was made for, and for nothing
 * else: not with another key, not after a change, not after max_age. */
#include "rebound-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/arena.h"
#include "classify/classify.h"
#include "ledger/verp.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define T0 1700000000		/* 2023-11-14T22:13:20Z */
#define DAY 86400

static rebound_verp_key key;

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(rebound_verp_key_set(&key, SECRET, strlen(SECRET),
					      err, sizeof(err)), 0);
}

static void sign(const char *rp, const char *rcpt, long long now, char *out,
		 size_t outlen)
{
	char err[256];
	int rc = rebound_verp_sign(&key, NULL, rp, rcpt, now, out, outlen, err,
				   sizeof(err));
	ck_assert_msg(rc == 0, "sign %s for %s: %s", rp, rcpt, err);
}

/* Known answer, computed outside rebound with Python's hmac module:
 *   hmac.new(b"0123456789abcdef0123456789abcdef",
 *            b"rebound-verp-1\0" b"6553f100" b"\0" b"alice@example.org",
 *            hashlib.sha256).digest()[:10], base32, lower case
 * -> e6wd42rr6xbk2n2t.  The recipient is lower-cased before the MAC. */
START_TEST(tag_known_answer)
{
	char tag[64];
	ck_assert_int_eq(rebound_verp_tag(&key, "Alice@Example.org", T0, tag,
					  sizeof(tag)), 0);
	ck_assert_str_eq(tag, "rb=6553f100e6wd42rr6xbk2n2t=");
	ck_assert_uint_eq(strlen(tag), REBOUND_VERP_TAG_LEN);
}
END_TEST

START_TEST(round_trip)
{
	char rp[512];
	rebound_verp_check c;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	ck_assert_str_eq(rp, "rb=6553f100e6wd42rr6xbk2n2t="
			     "bounces+alice=example.org@sender.example");
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0 + 2 * DAY, 0,
					     &c), REBOUND_VERP_VALID);
	ck_assert_str_eq(c.recipient, "alice@example.org");
	ck_assert_int_eq(c.signed_at, T0);

	/* A local part with the separators in it, and mixed case. */
	sign("bounces@sender.example", "Bob.Smith+news=x@Example.NET", T0, rp,
	     sizeof(rp));
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0, 0, &c),
			 REBOUND_VERP_VALID);
	ck_assert_str_eq(c.recipient, "Bob.Smith+news=x@Example.NET");
}
END_TEST

/* Some MTAs change the case of the address a bounce comes back to. */
START_TEST(case_changed_in_transit)
{
	char rp[512];
	rebound_verp_check c;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	for (char *p = rp; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0, 0, &c),
			 REBOUND_VERP_VALID);
}
END_TEST

/* Every change of one character in the tag, the recipient or its
 * domain breaks the signature (or the tag's form). */
START_TEST(tampered)
{
	char rp[512], bad[512];
	rebound_verp_check c;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	size_t at = strrchr(rp, '@') - rp;
	size_t local_end = strlen("rb=6553f100e6wd42rr6xbk2n2t=bounces+");
	for (size_t i = 3; i < at; i++) {
		if (i == REBOUND_VERP_TAG_LEN - 1 ||
		    (i >= REBOUND_VERP_TAG_LEN && i < local_end))
			continue;	/* the '=' and LOCAL are not signed */
		strcpy(bad, rp);
		bad[i] = bad[i] == 'a' ? 'b' : bad[i] == '=' ? 'q' : 'a';
		rebound_verp_status s = rebound_verp_verify(&key, NULL, bad,
							    T0, 0, &c);
		ck_assert_msg(s == REBOUND_VERP_BAD_SIGNATURE ||
			      s == REBOUND_VERP_MALFORMED,
			      "%s verified as %s", bad,
			      rebound_verp_status_name(s));
		ck_assert_int_ne(s, REBOUND_VERP_VALID);
	}
	/* Another recipient with a copied tag: the forgery this stops. */
	snprintf(bad, sizeof(bad), "%.*sbounces+carol=example.org@sender.example",
		 REBOUND_VERP_TAG_LEN, rp);
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, bad, T0, 0, &c),
			 REBOUND_VERP_BAD_SIGNATURE);
	ck_assert_str_eq(c.recipient, "carol@example.org");
	/* A later time with the old MAC (to escape expiry). */
	strcpy(bad, rp);
	memcpy(bad + 3, "6553f200", 8);
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, bad, T0, 0, &c),
			 REBOUND_VERP_BAD_SIGNATURE);
}
END_TEST

START_TEST(expired_and_future)
{
	char rp[512];
	rebound_verp_check c;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	/* Default max age: 30 days. */
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0 + 30 * DAY, 0,
					     &c), REBOUND_VERP_VALID);
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp,
					     T0 + 30 * DAY + 1, 0, &c),
			 REBOUND_VERP_EXPIRED);
	ck_assert_str_eq(c.recipient, "alice@example.org");
	/* A given max age. */
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0 + 5 * DAY,
					     4 * DAY, &c),
			 REBOUND_VERP_EXPIRED);
	/* Signed by a clock ahead of ours: an hour is tolerated. */
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0 - 3600, 0, &c),
			 REBOUND_VERP_VALID);
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, rp, T0 - 3601, 0, &c),
			 REBOUND_VERP_FUTURE);
}
END_TEST

START_TEST(wrong_key)
{
	char rp[512], err[256];
	rebound_verp_key other;
	rebound_verp_check c;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	ck_assert_int_eq(rebound_verp_key_set(&other, SECRET "x",
					      strlen(SECRET) + 1, err,
					      sizeof(err)), 0);
	ck_assert_int_eq(rebound_verp_verify(&other, NULL, rp, T0, 0, &c),
			 REBOUND_VERP_BAD_SIGNATURE);
	/* Too short a secret is refused, not used. */
	ck_assert_int_eq(rebound_verp_key_set(&other, "short", 5, err,
					      sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "16"));
}
END_TEST

START_TEST(unsigned_and_malformed)
{
	rebound_verp_check c;

	ck_assert_int_eq(rebound_verp_verify(&key, NULL,
					     "bounces+alice=example.org@sender.example",
					     T0, 0, &c), REBOUND_VERP_UNSIGNED);
	ck_assert_str_eq(c.recipient, "alice@example.org");
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, "", T0, 0, &c),
			 REBOUND_VERP_UNSIGNED);
	ck_assert_int_eq(rebound_verp_verify(&key, NULL, NULL, T0, 0, &c),
			 REBOUND_VERP_UNSIGNED);
	static const char *const bad[] = {
		"rb=",
		"rb=6553f100e6wd42rr6xbk2n2t=",
		"rb=6553f100e6wd42rr6xbk2n2t",
		"rb=6553f10xe6wd42rr6xbk2n2t=bounces+alice=example.org@s.example",
		"rb=6553f100e6wd42rr6xbk2n21=bounces+alice=example.org@s.example",
		"rb=6553f100e6wd42rr6xbk2n2tx=bounces+alice=example.org@s.exampl",
		"rb=6553f100e6wd42rr6xbk2n2t=bounces@s.example",
		"rb=6553f100e6wd42rr6xbk2n2t=bounces+alice@s.example",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(rebound_verp_verify(&key, NULL, bad[i], T0, 0,
						  &c) == REBOUND_VERP_MALFORMED,
			      "%s: %s", bad[i],
			      rebound_verp_status_name(c.status));
}
END_TEST

START_TEST(other_format)
{
	char rp[512], err[256];
	rebound_verp_check c;
	const char *fmt = "LOCAL-RCPTLOCAL#RCPTDOMAIN@DOMAIN";

	ck_assert_int_eq(rebound_verp_sign(&key, fmt, "ret@list.example",
					   "dave@example.com", T0, rp,
					   sizeof(rp), err, sizeof(err)), 0);
	ck_assert_str_eq(rp + REBOUND_VERP_TAG_LEN,
			 "ret-dave#example.com@list.example");
	ck_assert_int_eq(rebound_verp_verify(&key, fmt, rp, T0, 0, &c),
			 REBOUND_VERP_VALID);
	ck_assert_str_eq(c.recipient, "dave@example.com");
	/* '=' after LOCAL would run into the tag's own '='. */
	ck_assert_int_eq(rebound_verp_sign(&key, "LOCAL=RCPTLOCAL+RCPTDOMAIN@DOMAIN",
					   "ret@list.example",
					   "dave@example.com", T0, rp,
					   sizeof(rp), err, sizeof(err)), -1);
}
END_TEST

/* Signing an address that is already VERP-encoded or signed starts
 * afresh from its LOCAL part; bad input is refused with a message. */
START_TEST(sign_inputs)
{
	char rp[512], again[512], err[256];

	sign("bounces+old=example.com@sender.example", "alice@example.org", T0,
	     rp, sizeof(rp));
	ck_assert_str_eq(rp + REBOUND_VERP_TAG_LEN,
			 "bounces+alice=example.org@sender.example");
	sign(rp, "alice@example.org", T0, again, sizeof(again));
	ck_assert_str_eq(again, rp);
	ck_assert_int_eq(rebound_verp_sign(&key, NULL, "no-at-sign",
					   "alice@example.org", T0, rp,
					   sizeof(rp), err, sizeof(err)), -1);
	ck_assert_int_eq(rebound_verp_sign(&key, NULL, "b@s.example",
					   "not an address", T0, rp,
					   sizeof(rp), err, sizeof(err)), -1);
	ck_assert_int_eq(rebound_verp_sign(&key, NULL, "b@s.example",
					   "alice@example.org", -1, rp,
					   sizeof(rp), err, sizeof(err)), -1);
	/* Found by fuzz_verp (tests/fixtures/fuzz/fuzz_verp/): a domain
	 * literal holding the separator was signed, and the reader then
	 * split the address elsewhere, so the signature never verified.
	 * What is signed must verify, for the same recipient. */
	static const char *const odd[] = {
		"r@[\257rb=e9B6d80a]", "r@[10.0.0.1]", "a=b@example.org",
		"\"a@b\"@example.org",
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
		rebound_verp_check c;
		if (rebound_verp_sign(&key, NULL, "b@s.example", odd[i], T0, rp,
				      sizeof(rp), err, sizeof(err)) != 0)
			continue;
		ck_assert_msg(rebound_verp_verify(&key, NULL, rp, T0, 0, &c) ==
				      REBOUND_VERP_VALID,
			      "%s signed as %s does not verify", odd[i], rp);
		ck_assert_str_eq(c.recipient, odd[i]);
	}
	/* Output too small: an error, never a cut address. */
	ck_assert_int_eq(rebound_verp_sign(&key, NULL, "b@s.example",
					   "alice@example.org", T0, rp, 40,
					   err, sizeof(err)), -1);
	ck_assert_str_eq(rp, "");
}
END_TEST

static char *write_secret(const char *content, mode_t mode)
{
	char *path = strdup("/tmp/rebound-verp-XXXXXX");
	ck_assert_ptr_nonnull(path);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

START_TEST(key_file)
{
	rebound_verp_key k;
	char err[512], tag1[64], tag2[64];

	/* One trailing newline is not part of the secret. */
	char *path = write_secret(SECRET "\n", 0640);
	ck_assert_int_eq(rebound_verp_key_load(&k, path, err, sizeof(err)), 0);
	ck_assert_int_eq(rebound_verp_tag(&k, "alice@example.org", T0, tag1,
					  sizeof(tag1)), 0);
	ck_assert_int_eq(rebound_verp_tag(&key, "alice@example.org", T0, tag2,
					  sizeof(tag2)), 0);
	ck_assert_str_eq(tag1, tag2);
	rebound_verp_key_clear(&k);
	ck_assert_uint_eq(k.len, 0);

	/* Readable by others: refused, with the path in the message. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(rebound_verp_key_load(&k, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	unlink(path);
	free(path);

	path = write_secret("short\n", 0600);
	ck_assert_int_eq(rebound_verp_key_load(&k, path, err, sizeof(err)), -1);
	unlink(path);
	free(path);

	ck_assert_int_eq(rebound_verp_key_load(&k, "/nonexistent/verp.key", err,
					       sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/verp.key"));
}
END_TEST

/* verp.h: a reader that knows nothing of tags still finds the recipient.
 * The classifier reads the VERP recipient from the bounce's To. */
START_TEST(classifier_reads_signed_return_path)
{
	char rp[512], msg[2048];
	rebound_result *res = NULL;

	sign("bounces@sender.example", "alice@example.org", T0, rp, sizeof(rp));
	snprintf(msg, sizeof(msg),
		 "From: MAILER-DAEMON@mx.example.org\n"
		 "To: %s\n"
		 "Subject: Undelivered Mail Returned to Sender\n"
		 "MIME-Version: 1.0\n"
		 "Content-Type: multipart/report; report-type=delivery-status;"
		 " boundary=\"b\"\n\n"
		 "--b\nContent-Type: text/plain\n\nfailed\n\n"
		 "--b\nContent-Type: message/delivery-status\n\n"
		 "Reporting-MTA: dns; mx.example.org\n\n"
		 "Final-Recipient: rfc822; alice@example.org\n"
		 "Action: failed\nStatus: 5.1.1\n\n--b--\n", rp);
	rebound_arena *a = rebound_arena_new(0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(rebound_classify(a, msg, strlen(msg), NULL, &res), 0);
	ck_assert_ptr_nonnull(res->verp_recipient);
	ck_assert_str_eq(res->verp_recipient, "alice@example.org");
	rebound_arena_free(a);
	rebound_classify_release();
}
END_TEST

/* A notice's signed return paths vouch for the recipients they name and
 * no one else: every Delivered-To and X-Original-To is checked, a bad or
 * unsigned one vouches for nobody (verp-vouch.c). */
START_TEST(vouch_names_only_signed_recipients)
{
	char good[512], other[512], hdrs[2048];
	rebound_verp_vouch v;

	sign("bounces@sender.example", "alice@example.org", T0, good,
	     sizeof(good));
	sign("bounces@sender.example", "carol@example.org", T0, other,
	     sizeof(other));
	other[5] = other[5] == 'a' ? 'b' : 'a';	/* a changed signature */
	snprintf(hdrs, sizeof(hdrs),
		 "Delivered-To: bounces@example.com\n"
		 "Delivered-To: <%s>\n"
		 "X-Original-To: bounces+bob=example.org@sender.example\n"
		 "X-Original-To: %s\n"
		 "Subject: x\n\n", good, other);
	rebound_arena *a = rebound_arena_new(0);
	rebound_header *h = NULL;
	size_t used;
	unsigned flags = 0;
	ck_assert_uint_eq(rebound_headers_parse(a, hdrs, strlen(hdrs), NULL, &h,
						&used, &flags), 5);
	rebound_verp_vouch_init(&v, true);
	rebound_verp_vouch_headers(&v, &key, NULL, h, T0 + DAY, 0);
	ck_assert_uint_eq(v.checked, 4);
	ck_assert_uint_eq(v.n, 1);
	ck_assert(rebound_verp_vouches(&v, "Alice@Example.ORG"));
	ck_assert(!rebound_verp_vouches(&v, "bob@example.org"));
	ck_assert(!rebound_verp_vouches(&v, "carol@example.org"));
	ck_assert(!rebound_verp_vouches(&v, ""));
	ck_assert_int_eq(v.first_failed, REBOUND_VERP_UNSIGNED);
	ck_assert_str_eq(v.first_failed_address, "bounces@example.com");

	/* Without the secret nothing verifies; without the requirement
	   everyone counts. */
	rebound_verp_vouch_init(&v, true);
	rebound_verp_vouch_headers(&v, NULL, NULL, h, T0 + DAY, 0);
	ck_assert_uint_eq(v.n, 0);
	ck_assert(!rebound_verp_vouches(&v, "alice@example.org"));
	rebound_verp_vouch_init(&v, false);
	ck_assert(rebound_verp_vouches(&v, "bob@example.org"));
	ck_assert(rebound_verp_vouches(NULL, "bob@example.org"));
	rebound_arena_free(a);
}
END_TEST

static Suite *verp_suite(void)
{
	Suite *s = suite_create("verp");
	TCase *tc = tcase_create("verp");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, tag_known_answer);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, case_changed_in_transit);
	tcase_add_test(tc, tampered);
	tcase_add_test(tc, expired_and_future);
	tcase_add_test(tc, wrong_key);
	tcase_add_test(tc, unsigned_and_malformed);
	tcase_add_test(tc, other_format);
	tcase_add_test(tc, sign_inputs);
	tcase_add_test(tc, key_file);
	tcase_add_test(tc, classifier_reads_signed_return_path);
	tcase_add_test(tc, vouch_names_only_signed_recipients);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verp_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
