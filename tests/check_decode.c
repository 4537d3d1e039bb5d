/* check_decode.c - unit tests for the arena, transfer decoders, RFC 2047
 * words, RFC 2231 parameters, charset conversion and the HTML reduction. */
#include "rebound-config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/arena.h"
#include "mail/charset.h"
#include "mail/decode.h"
#include "mail/header-decode.h"
#include "mail/html.h"
#include "mail/message.h"

static rebound_arena *A;

static void setup(void)
{
	A = rebound_arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	rebound_arena_free(A);
	A = NULL;
}

/* --- arena --------------------------------------------------------------- */

START_TEST(arena_alignment_and_reuse)
{
	for (int i = 0; i < 1000; i++) {
		void *p = rebound_arena_alloc(A, (size_t)(i % 37) + 1);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % _Alignof(max_align_t), 0);
	}
	ck_assert_uint_gt(rebound_arena_used(A), 0);
	rebound_arena_reset(A);
	ck_assert_uint_eq(rebound_arena_used(A), 0);
	/* Big blocks come and go with reset. */
	char *big = rebound_arena_alloc(A, 3 * 1024 * 1024);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 3 * 1024 * 1024);
	char *s = rebound_arena_strdup(A, "after big");
	ck_assert_str_eq(s, "after big");
	rebound_arena_reset(A);
	ck_assert(!rebound_arena_exhausted(A));
}
END_TEST

START_TEST(arena_budget)
{
	rebound_arena *a = rebound_arena_new(4096);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(rebound_arena_alloc(a, 4000));
	ck_assert_ptr_null(rebound_arena_alloc(a, 200));
	ck_assert(rebound_arena_exhausted(a));
	ck_assert_ptr_null(rebound_arena_alloc(a, SIZE_MAX));
	ck_assert_ptr_null(rebound_arena_calloc(a, SIZE_MAX / 2, 4));
	rebound_arena_reset(a);
	ck_assert(!rebound_arena_exhausted(a));
	ck_assert_ptr_nonnull(rebound_arena_alloc(a, 200));
	rebound_arena_free(a);
}
END_TEST

START_TEST(arena_strings)
{
	char *s = rebound_arena_strndup(A, "abc\0def", 7);
	ck_assert_mem_eq(s, "abc\0def", 8);
	char *p = rebound_arena_printf(A, "%s-%d", "x", 42);
	ck_assert_str_eq(p, "x-42");
	char longfmt[600];
	memset(longfmt, 'y', sizeof(longfmt) - 1);
	longfmt[sizeof(longfmt) - 1] = '\0';
	p = rebound_arena_printf(A, "<%s>", longfmt);
	ck_assert_uint_eq(strlen(p), 601);
	ck_assert_int_eq(p[0], '<');
	ck_assert_int_eq(p[600], '>');
	int *z = rebound_arena_calloc(A, 100, sizeof(int));
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(z[i], 0);
}
END_TEST

/* --- base64 ---------------------------------------------------------- */

static const char *b64(const char *in, bool *bad)
{
	size_t len = strlen(in);
	char *out = rebound_arena_alloc(A, REBOUND_BASE64_MAX(len) + 1);
	*bad = false;
	size_t n = rebound_base64_decode(in, len, out, bad);
	out[n] = '\0';
	return out;
}

START_TEST(base64_basic)
{
	bool bad;
	ck_assert_str_eq(b64("SGVsbG8gd29ybGQ=", &bad), "Hello world");
	ck_assert(!bad);
	ck_assert_str_eq(b64("SGVs\nbG8g\r\n d29y bGQ=\n", &bad),
			 "Hello world");
	ck_assert(!bad);
	ck_assert_str_eq(b64("", &bad), "");
	ck_assert(!bad);
	ck_assert_str_eq(b64("YQ==", &bad), "a");
	ck_assert_str_eq(b64("YWI=", &bad), "ab");
	ck_assert(!bad);
}
END_TEST

START_TEST(base64_tolerant)
{
	bool bad;
	/* Invalid characters are skipped and flagged. */
	ck_assert_str_eq(b64("SGVs!!bG8g*d29y\nbGQ=", &bad), "Hello world");
	ck_assert(bad);
	/* Cut in the middle of a quantum: the whole bytes survive. */
	ck_assert_str_eq(b64("SGVsbG8gd29ybGQ", &bad), "Hello world");
	ck_assert(bad);
	ck_assert_str_eq(b64("SGVsbG8gd29ybG", &bad), "Hello worl");
	ck_assert(bad);
	/* A lone sextet holds no byte. */
	ck_assert_str_eq(b64("YWJj", &bad), "abc");
	ck_assert(!bad);
	ck_assert_str_eq(b64("YWJjZ", &bad), "abc");
	ck_assert(bad);
	/* Concatenated pieces, each padded. */
	ck_assert_str_eq(b64("YQ==YWI=", &bad), "aab");
	ck_assert(!bad);
	/* Only junk. */
	ck_assert_str_eq(b64("!!!!", &bad), "");
	ck_assert(bad);
}
END_TEST

START_TEST(base64_all_bytes)
{
	unsigned char raw[256];
	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)i;
	const char *enc =
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
		"LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ"
		"WltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWG"
		"h4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz"
		"tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g"
		"4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
	char out[300];
	bool bad = false;
	size_t n = rebound_base64_decode(enc, strlen(enc), out, &bad);
	ck_assert_uint_eq(n, 256);
	ck_assert_mem_eq(out, raw, 256);
	ck_assert(!bad);
}
END_TEST

/* --- quoted-printable ------------------------------------------------ */

static const char *qp(const char *in, bool q_word, bool *bad)
{
	size_t len = strlen(in);
	char *out = rebound_arena_alloc(A, len + 1);
	*bad = false;
	size_t n = rebound_qp_decode(in, len, out, q_word, bad);
	out[n] = '\0';
	return out;
}

START_TEST(qp_basic)
{
	bool bad;
	ck_assert_str_eq(qp("Caf=E9 =c3=a9", false, &bad), "Caf\xE9 \xC3\xA9");
	ck_assert(!bad);
	/* Soft line breaks, with blanks after the '=' and CRLF. */
	ck_assert_str_eq(qp("long =\nline= \t\nend=\r\nx", false, &bad),
			 "long lineendx");
	ck_assert(!bad);
	/* Blanks at line ends were added in transit; =20 was not. */
	ck_assert_str_eq(qp("a  \nb=20\nc \t", false, &bad), "a\nb \nc");
	ck_assert_str_eq(qp("in the middle  stays", false, &bad),
			 "in the middle  stays");
	/* Soft break at the very end. */
	ck_assert_str_eq(qp("end=", false, &bad), "end");
	ck_assert(!bad);
}
END_TEST

START_TEST(qp_bad_escapes)
{
	bool bad;
	ck_assert_str_eq(qp("1+1=2 and =ZZ", false, &bad), "1+1=2 and =ZZ");
	ck_assert(bad);
	ck_assert_str_eq(qp("cut =E", false, &bad), "cut =E");
	ck_assert(bad);
	ck_assert_str_eq(qp("==41", false, &bad), "=A");
	ck_assert(bad);
}
END_TEST

START_TEST(qp_q_word)
{
	bool bad;
	ck_assert_str_eq(qp("a_b=5Fc=20d", true, &bad), "a b_c d");
	ck_assert(!bad);
}
END_TEST

/* The definition, one byte at a time: "=XX" is a byte; '=' before
 * optional blanks or CRs and then LF or the end is a soft break; any
 * other '=' stays and is bad.  Outside Q words, a run of blanks before
 * LF, CRLF or the end is dropped; in Q words '_' is a space. */
static int hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t naive_qp(const unsigned char *in, size_t len, char *out,
		       bool q_word, bool *bad)
{
	size_t o = 0, i = 0;
	while (i < len) {
		unsigned char c = in[i];
		if (c == '=') {
			if (i + 2 < len && hexdigit(in[i + 1]) >= 0 &&
			    hexdigit(in[i + 2]) >= 0) {
				out[o++] = (char)(hexdigit(in[i + 1]) * 16 +
						  hexdigit(in[i + 2]));
				i += 3;
				continue;
			}
			size_t j = i + 1;
			while (!q_word && j < len &&
			       (in[j] == ' ' || in[j] == '\t' || in[j] == '\r'))
				j++;
			if (!q_word && (j == len || in[j] == '\n')) {
				i = j == len ? len : j + 1;
				continue;
			}
			*bad = true;
			out[o++] = '=';
			i++;
		} else if (q_word) {
			out[o++] = c == '_' ? ' ' : (char)c;
			i++;
		} else if (c == ' ' || c == '\t') {
			size_t j = i;
			while (j < len && (in[j] == ' ' || in[j] == '\t'))
				j++;
			bool at_end = j == len || in[j] == '\n' ||
				      (in[j] == '\r' && j + 1 < len &&
				       in[j + 1] == '\n');
			while (!at_end && i < j)
				out[o++] = (char)in[i++];
			i = j;
		} else {
			out[o++] = (char)c;
			i++;
		}
	}
	return o;
}

START_TEST(qp_as_defined)
{
	/* Bodies of mostly plain text (which the decoder copies 16 bytes at
	 * a time) with escapes, good and bad, soft breaks, blanks before
	 * line ends and CRs, at every offset; each input in a buffer of
	 * exactly its size, so a read past it shows under the sanitizers. */
	static const char *const bits[] = {
		"=", "=4", "=41", "=c3=A9", "=G1", "=\n", "= \t\r\n", "=\r",
		" ", "  ", "\t", " \n", " \r\n", " \r", "\n", "\r\n", "_",
		"==", "\0",
	};
	static const char plain[] = "Delivery to the following recipient";
	unsigned x = 77;
	for (int round = 0; round < 30000; round++) {
		unsigned char buf[128];
		x = x * 1103515245u + 12345u;
		size_t target = (x >> 16) % 100;
		unsigned rare = 2 + (x >> 8) % 24;
		size_t len = 0;
		while (len < target) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			if (r % rare == 0) {
				const char *b = bits[(r / rare) % (sizeof(bits) / sizeof(*bits))];
				size_t bl = b[0] == '\0' ? 1 : strlen(b);
				if (len + bl > sizeof(buf))
					break;
				memcpy(buf + len, b, bl);
				len += bl;
			} else {
				buf[len++] = (unsigned char)plain[(r / 3) % (sizeof(plain) - 1)];
			}
		}
		for (int q = 0; q < 2; q++) {
			char *in = malloc(len > 0 ? len : 1);
			char *got = malloc(len > 0 ? len : 1);
			char want[sizeof(buf)];
			ck_assert_ptr_nonnull(in);
			ck_assert_ptr_nonnull(got);
			memcpy(in, buf, len);
			bool bad_got = false, bad_want = false;
			size_t n = rebound_qp_decode(in, len, got, q == 1, &bad_got);
			size_t wn = naive_qp(buf, len, want, q == 1, &bad_want);
			ck_assert_uint_eq(n, wn);
			ck_assert_mem_eq(got, want, n);
			ck_assert_int_eq(bad_got, bad_want);
			free(in);
			free(got);
		}
	}
}
END_TEST

/* --- RFC 2047 -------------------------------------------------------- */

static const char *hd(const char *v)
{
	return rebound_header_decode(A, v, strlen(v));
}

START_TEST(ew_basic)
{
	ck_assert_str_eq(hd("plain ascii"), "plain ascii");
	ck_assert_str_eq(hd(""), "");
	ck_assert_str_eq(hd("=?utf-8?B?w6lsw6h2ZQ==?="), "\xC3\xA9l\xC3\xA8ve");
	ck_assert_str_eq(hd("=?ISO-8859-1?Q?r=E9ponse_=E0_vous?="),
			 "r\xC3\xA9ponse \xC3\xA0 vous");
	ck_assert_str_eq(hd("Re: =?utf-8?q?caf=C3=A9?= ok"),
			 "Re: caf\xC3\xA9 ok");
	/* The language of RFC 2231. */
	ck_assert_str_eq(hd("=?utf-8*en?Q?hi?="), "hi");
}
END_TEST

START_TEST(ew_adjacent_joined)
{
	/* Blanks (and folding) between words go; text between stays. */
	ck_assert_str_eq(hd("=?utf-8?Q?a?= =?utf-8?Q?b?=\t =?utf-8?Q?c?="),
			 "abc");
	ck_assert_str_eq(hd("=?utf-8?Q?a?= and =?utf-8?Q?b?="), "a and b");
	/* A UTF-8 character cut across two words. */
	ck_assert_str_eq(hd("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?="),
			 "\xC3\xA9\xC3\xA9");
	ck_assert_str_eq(hd("=?UTF-8?B?w6nD?= =?UTF-8?B?qQ==?="),
			 "\xC3\xA9\xC3\xA9");
	/* ISO-2022-JP split in the middle of the kanji run. */
	ck_assert_str_eq(hd("=?ISO-2022-JP?B?GyRCR1s/LhsoQg==?= "
			    "=?ISO-2022-JP?B?GyRCJSglaSE8GyhC?="),
			 "配信エラー");
	/* Different charsets one after the other. */
	ck_assert_str_eq(hd("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?="),
			 "\xC3\xA9\xC3\xA9");
}
END_TEST

START_TEST(ew_japanese)
{
	ck_assert_str_eq(hd("=?iso-2022-jp?B?GyRCR1s/LiUoJWkhPBsoQjog?="),
			 "配信エラー: ");
	ck_assert_str_eq(hd("=?shift_jis?B?lHqQTYNHg4mBWw==?="),
			 "配信エラー");
	ck_assert_str_eq(hd("=?EUC-JP?B?x9u/rqWopemhvA==?="), "配信エラー");
}
END_TEST

START_TEST(ew_damaged)
{
	/* Cut in the middle: kept literally. */
	ck_assert_str_eq(hd("Start =?utf-8?B?w6lj"), "Start =?utf-8?B?w6lj");
	ck_assert_str_eq(hd("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
	ck_assert_str_eq(hd("=??B?abc?="), "=??B?abc?=");
	ck_assert_str_eq(hd("a =? b"), "a =? b");
	ck_assert_str_eq(hd("=?utf-8?Q?a b?="), "=?utf-8?Q?a b?=");
	/* NUL and line breaks decoded from Q become blanks. */
	ck_assert_str_eq(hd("=?utf-8?Q?a=00b=0Ac?="), "a b c");
	/* An unknown charset: the bytes are guessed. */
	ck_assert_str_eq(hd("=?x-nonesuch?Q?caf=E9?="), "caf\xC3\xA9");
	/* Invalid UTF-8 in a word becomes U+FFFD. */
	ck_assert_str_eq(hd("=?utf-8?Q?a=FFb?="), "a\xEF\xBF\xBD" "b");
}
END_TEST

START_TEST(ew_raw_8bit)
{
	/* Valid UTF-8 stays. */
	ck_assert_str_eq(hd("Gr\xC3\xBC\xC3\x9F" "e"), "Gr\xC3\xBC\xC3\x9F" "e");
	/* Latin-1 (windows-1252) is guessed. */
	ck_assert_str_eq(hd("M\xFCller \x80"), "M\xC3\xBCller \xE2\x82\xAC");
	/* Raw Shift_JIS and EUC-JP. */
	ck_assert_str_eq(hd("\x94\x7A\x90\x4D\x83\x47\x83\x89\x81\x5B"),
			 "配信エラー");
	ck_assert_str_eq(hd("\xC7\xDB\xBF\xAE\xA5\xA8\xA5\xE9\xA1\xBC"),
			 "配信エラー");
	/* Raw ISO-2022-JP with a word after it. */
	ck_assert_str_eq(hd("\x1B$BG[?.\x1B(B =?utf-8?Q?ok?="), "配信 ok");
}
END_TEST

START_TEST(ew_hostile_linear)
{
	/* Many starts of words that never end: must stay linear. */
	size_t n = 1 << 20;
	char *v = malloc(n + 1);
	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < n; i += 8)
		memcpy(v + i, "=?a?q?x ", n - i < 8 ? n - i : 8);
	v[n] = '\0';
	clock_t t0 = clock();
	const char *r = rebound_header_decode(A, v, n);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert_uint_eq(strlen(r), n);
	ck_assert(secs < 2.0);
	for (size_t i = 0; i < n; i += 2)
		memcpy(v + i, "=?", 2);
	r = rebound_header_decode(A, v, n);
	ck_assert_uint_eq(strlen(r), n);
	free(v);
}
END_TEST

/* --- parameters ------------------------------------------------------ */

static const char *param(const char *v, const char *name)
{
	return rebound_header_param(A, v, name);
}

START_TEST(param_basic)
{
	const char *ct = "multipart/report; report-type=delivery-status;\t"
			 "BOUNDARY=\"a b\\\"c\"; charset=us-ascii";
	ck_assert_str_eq(param(ct, "boundary"), "a b\"c");
	ck_assert_str_eq(param(ct, "report-type"), "delivery-status");
	ck_assert_str_eq(param(ct, "charset"), "us-ascii");
	ck_assert_ptr_null(param(ct, "name"));
	ck_assert_ptr_null(param(ct, "char"));
	ck_assert_ptr_null(param("text/plain", "charset"));
	ck_assert_ptr_null(param("text/plain;", "charset"));
	/* Unquoted values with tspecials, as sent in practice. */
	ck_assert_str_eq(param("multipart/mixed; boundary=----=_Part_1_2.3",
			       "boundary"), "----=_Part_1_2.3");
	/* A ';' inside quotes is not a separator. */
	ck_assert_str_eq(param("a/b; x=\"1;2\"; y=3", "y"), "3");
	ck_assert_str_eq(param("a/b; x=\"1;2\"; y=3", "x"), "1;2");
	/* Unterminated quote runs to the end. */
	ck_assert_str_eq(param("a/b; x=\"open", "x"), "open");
	/* The first of two wins. */
	ck_assert_str_eq(param("a/b; x=1; x=2", "x"), "1");
	ck_assert_str_eq(param("a/b; junk; x = 5 ", "x"), "5");
}
END_TEST

START_TEST(param_many_sections)
{
	/* Sections 0 to 63 are joined in order whatever order they come in;
	 * 64 and up are past the limit and ignored; a repeated section
	 * keeps its first value. */
	char v[2048], expect[256];
	size_t o = (size_t)snprintf(v, sizeof(v), "a/b; n*64=X; n*5=dup");
	for (int i = 63; i >= 0; i--)
		o += (size_t)snprintf(v + o, sizeof(v) - o, "; n*%d=%c", i,
				      'A' + i % 26);
	size_t e = 0;
	for (int i = 0; i < 64; i++) {
		if (i == 5) {
			memcpy(expect + e, "dup", 3);
			e += 3;
		} else {
			expect[e++] = (char)('A' + i % 26);
		}
	}
	expect[e] = '\0';
	ck_assert_str_eq(param(v, "n"), expect);
	/* With section 0 missing there is no value from sections. */
	ck_assert_ptr_null(param("a/b; n*1=a; n*2=b", "n"));
}
END_TEST

START_TEST(param_rfc2231)
{
	ck_assert_str_eq(param("attachment; filename*=utf-8''caf%C3%A9.txt",
			       "filename"), "caf\xC3\xA9.txt");
	ck_assert_str_eq(param("attachment; filename*=iso-8859-1'fr'caf%E9",
			       "filename"), "caf\xC3\xA9");
	ck_assert_str_eq(param("a/b; name*0=\"long \"; name*1=part; "
			       "name*2=\"s\"", "name"), "long parts");
	ck_assert_str_eq(param("a/b; name*1*=%C3%A9; name*0*=utf-8''caf",
			       "name"), "caf\xC3\xA9");
	/* A gap ends the value. */
	ck_assert_str_eq(param("a/b; n*0=a; n*2=c", "n"), "a");
	/* Extended beats plain. */
	ck_assert_str_eq(param("a/b; n=plain; n*=us-ascii''ext", "n"), "ext");
	/* Section numbers out of range are ignored. */
	ck_assert_str_eq(param("a/b; n*0=a; n*99999=z", "n"), "a");
}
END_TEST

/* --- charsets -------------------------------------------------------- */

static const char *conv(const char *cs, const char *in, size_t len,
			unsigned *flags)
{
	char *out;
	size_t olen;
	*flags = rebound_charset_to_utf8(A, cs, in, len, &out, &olen);
	ck_assert_uint_eq(strlen(out), olen);
	return out;
}

START_TEST(charset_names)
{
	ck_assert_str_eq(rebound_charset_canonical("Shift_JIS"), "CP932");
	ck_assert_str_eq(rebound_charset_canonical("x-sjis"), "CP932");
	ck_assert_str_eq(rebound_charset_canonical("\"windows-31j\""), "CP932");
	ck_assert_str_eq(rebound_charset_canonical("ISO-8859-1"), "CP1252");
	ck_assert_str_eq(rebound_charset_canonical("ks_c_5601-1987"), "CP949");
	ck_assert_str_eq(rebound_charset_canonical("gb2312"), "GB18030");
	ck_assert_str_eq(rebound_charset_canonical("UTF8"), "UTF-8");
	ck_assert_str_eq(rebound_charset_canonical("koi8-r"), "KOI8-R");
	ck_assert_ptr_null(rebound_charset_canonical("unknown-8bit"));
	ck_assert_ptr_null(rebound_charset_canonical(""));
	ck_assert_ptr_null(rebound_charset_canonical("bad name"));
}
END_TEST

START_TEST(charset_convert)
{
	unsigned f;
	ck_assert_str_eq(conv("iso-8859-1", "caf\xE9", 4, &f), "caf\xC3\xA9");
	ck_assert_uint_eq(f, 0);
	ck_assert_str_eq(conv("windows-1252", "\x93q\x94 \x80", 5, &f),
			 "\xE2\x80\x9Cq\xE2\x80\x9D \xE2\x82\xAC");
	ck_assert_str_eq(conv("iso-8859-15", "\xA4", 1, &f), "\xE2\x82\xAC");
	ck_assert_str_eq(conv("koi8-r", "\xF0\xD2\xC9", 3, &f), "При");
	ck_assert_str_eq(conv("utf-16", "\xFF\xFE" "a\0\xE9\0", 6, &f),
			 "a\xC3\xA9");
	ck_assert_str_eq(conv("gb2312", "\xC4\xE3\xBA\xC3", 4, &f), "你好");
	ck_assert_str_eq(conv("big5", "\xA7\x41", 2, &f), "你");
	ck_assert_str_eq(conv("ks_c_5601-1987", "\xC7\xD1", 2, &f), "한");
	ck_assert_str_eq(conv("shift_jis", "\x94\x7A\x90\x4D", 4, &f), "配信");
	ck_assert_str_eq(conv("euc-jp", "\xC7\xDB\xBF\xAE", 4, &f), "配信");
	ck_assert_str_eq(conv("iso-2022-jp", "\x1B$BG[?.\x1B(B!", 11, &f),
			 "配信!");
	/* NEC row 13 (circled digits) as real ISO-2022-JP mail has it. */
	ck_assert_str_eq(conv("iso-2022-jp", "\x1B$B-!\x1B(B", 8, &f), "①");
	ck_assert_uint_eq(f, 0);
	/* ESC ( I half-width katakana. */
	ck_assert_str_eq(conv("iso-2022-jp", "\x1B(I1\x1B(B", 7, &f), "ｱ");
	/* Pure ASCII in any ASCII-compatible charset needs no iconv. */
	ck_assert_str_eq(conv("koi8-r", "plain", 5, &f), "plain");
	ck_assert_str_eq(conv(NULL, "", 0, &f), "");
	/* NULs are kept (the caller decides). */
	char *out;
	size_t olen;
	rebound_charset_to_utf8(A, "utf-8", "a\0b", 3, &out, &olen);
	ck_assert_uint_eq(olen, 3);
	ck_assert_mem_eq(out, "a\0b", 3);
}
END_TEST

START_TEST(charset_invalid)
{
	unsigned f;
	/* Invalid UTF-8: replaced, flagged, nothing lost after it. */
	ck_assert_str_eq(conv("utf-8", "a\xC3(b\xE2\x82", 6, &f),
			 "a\xEF\xBF\xBD(b\xEF\xBF\xBD\xEF\xBF\xBD");
	ck_assert_uint_eq(f, REBOUND_MSG_BAD_CHARSET);
	/* Overlong and surrogate forms are invalid. */
	ck_assert(!rebound_utf8_valid("\xC0\xAF", 2));
	ck_assert(!rebound_utf8_valid("\xED\xA0\x80", 3));
	ck_assert(!rebound_utf8_valid("\xF4\x90\x80\x80", 4));
	ck_assert(rebound_utf8_valid("\xF0\x9F\x98\x80", 4));
	/* Invalid Shift_JIS pair, then a cut character at the end. */
	const char *r = conv("shift_jis", "\x94\x7A\xFF\x94", 4, &f);
	ck_assert_str_eq(r, "配\xEF\xBF\xBD\xEF\xBF\xBD");
	ck_assert_uint_eq(f, REBOUND_MSG_BAD_CHARSET);
	/* Unknown names: guessed and flagged. */
	ck_assert_str_eq(conv("x-nonesuch", "caf\xE9", 4, &f), "caf\xC3\xA9");
	ck_assert_uint_eq(f, REBOUND_MSG_BAD_CHARSET);
	ck_assert_str_eq(conv("unknown-8bit", "\x94\x7A\x90\x4D", 4, &f),
			 "配信");
	ck_assert_uint_eq(f, REBOUND_MSG_BAD_CHARSET);
	/* ASCII declared, 8-bit sent. */
	ck_assert_str_eq(conv("us-ascii", "caf\xC3\xA9", 5, &f), "caf\xC3\xA9");
	/* Cut ISO-2022-JP: no loop, the rest replaced. */
	r = conv("iso-2022-jp", "\x1B$BG[?", 6, &f);
	ck_assert_str_eq(r, "配\xEF\xBF\xBD");
	/* Stateful UTF-16 with an odd byte at the end. */
	r = conv("utf-16le", "a\0b", 3, &f);
	ck_assert_str_eq(r, "a\xEF\xBF\xBD");
}
END_TEST

START_TEST(charset_guess)
{
	ck_assert_str_eq(rebound_charset_guess("abc", 3), "US-ASCII");
	ck_assert_str_eq(rebound_charset_guess("\xC3\xA9", 2), "UTF-8");
	ck_assert_str_eq(rebound_charset_guess("\x1B$BG[\x1B(B", 8),
			 "ISO-2022-JP");
	/* "このメール" in Shift_JIS and EUC-JP. */
	ck_assert_str_eq(rebound_charset_guess(
		"\x82\xB1\x82\xCC\x83\x81\x81\x5B\x83\x8B", 10), "CP932");
	ck_assert_str_eq(rebound_charset_guess(
		"\xA4\xB3\xA4\xCE\xA5\xE1\xA1\xBC\xA5\xEB", 10), "EUC-JP-MS");
	/* Western text must not pass for Japanese. */
	ck_assert_str_eq(rebound_charset_guess("M\xFCller", 6), "CP1252");
	ck_assert_str_eq(rebound_charset_guess("caf\xE9 ol\xE9", 8), "CP1252");
	ck_assert_str_eq(rebound_charset_guess("\xE0 la", 4), "CP1252");
}
END_TEST

START_TEST(charset_cache_many)
{
	/* More charsets than cache slots, twice: results stay right. */
	static const char *const names[] = {
		"koi8-r", "iso-8859-2", "iso-8859-5", "windows-1250",
		"windows-1251", "iso-8859-7", "cp850", "iso-8859-9",
		"macintosh", "shift_jis", "euc-jp", "big5",
	};
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			unsigned f;
			const char *r = conv(names[i], "ok \xC0", 4, &f);
			ck_assert(strncmp(r, "ok ", 3) == 0);
			ck_assert(rebound_utf8_valid(r, strlen(r)));
		}
	rebound_charset_cleanup();
	unsigned f;
	ck_assert_str_eq(conv("koi8-r", "\xF0", 1, &f), "П");
}
END_TEST

/* --- HTML ------------------------------------------------------------ */

static const char *html(const char *in)
{
	size_t len = strlen(in);
	char *out = rebound_arena_alloc(A, len + 1);
	size_t n = rebound_html_to_text(in, len, out);
	ck_assert_uint_le(n, len);
	ck_assert_uint_eq(strlen(out), n);
	return out;
}

START_TEST(html_basic)
{
	ck_assert_str_eq(html("<p>Hello <b>world</b></p><p>Two</p>"),
			 "Hello world\nTwo");
	ck_assert_str_eq(html("a<br>b<BR/>c<div>d</div>e"), "a\nb\nc\nd\ne");
	ck_assert_str_eq(html("<ul><li>one<li>two</ul>"), "one\ntwo");
	ck_assert_str_eq(html("<table><tr><td>550</td><td>5.1.1</td></tr>"
			      "<tr><td>x</td></tr></table>"),
			 "550 5.1.1\nx");
	ck_assert_str_eq(html("  lots \n\n of   space  "), "lots of space");
	ck_assert_str_eq(html(""), "");
}
END_TEST

START_TEST(html_skip)
{
	ck_assert_str_eq(html("<html><head><title>t</title><style>p{}</style>"
			      "</head><body>Text<script>var a = '<p>';"
			      "</SCRIPT> more</body></html>"),
			 "Text more");
	ck_assert_str_eq(html("a<!-- <p>hidden</p> -->b"), "ab");
	ck_assert_str_eq(html("a<!-- never closed"), "a");
	/* An unclosed <script> skips only itself. */
	ck_assert_str_eq(html("<script>x"), "x");
	ck_assert_str_eq(html("<pre>a  b\n  c</pre>d"), "a  b\n  c\nd");
}
END_TEST

START_TEST(html_entities)
{
	ck_assert_str_eq(html("&amp;&lt;&gt;&quot;&apos;"), "&<>\"'");
	ck_assert_str_eq(html("a&nbsp;b"), "a b");
	ck_assert_str_eq(html("&#65;&#x42;&#X43;&#233;&#x263a;"),
			 "ABC\xC3\xA9\xE2\x98\xBA");
	ck_assert_str_eq(html("&#128512;"), "\xF0\x9F\x98\x80");
	ck_assert_str_eq(html("&copy; &eacute;&mdash;"),
			 "\xC2\xA9 \xC3\xA9\xE2\x80\x94");
	/* Not entities: kept. */
	ck_assert_str_eq(html("AT&T &unknown; &#; & x"),
			 "AT&T &unknown; &#; & x");
	ck_assert_str_eq(html("&#0;&#xD800;&#99999999;"),
			 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	/* Stray '<' and '>'. */
	ck_assert_str_eq(html("a < b > c"), "a < b > c");
	ck_assert_str_eq(html("1<2 and <x"), "1<2 and <x");
}
END_TEST

START_TEST(html_hostile_linear)
{
	size_t n = 1 << 20;
	char *in = malloc(n + 1);
	ck_assert_ptr_nonnull(in);
	char *out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	static const char *const pats[] = { "<a", "&#", "<script>", "<!--",
					    "&amp", "<head>" };
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		size_t pl = strlen(pats[k]);
		for (size_t i = 0; i < n; i++)
			in[i] = pats[k][i % pl];
		clock_t t0 = clock();
		size_t r = rebound_html_to_text(in, n, out);
		double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		ck_assert_uint_le(r, n);
		ck_assert(secs < 2.0);
	}
	free(in);
	free(out);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc;

	tc = tcase_create("arena");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, arena_alignment_and_reuse);
	tcase_add_test(tc, arena_budget);
	tcase_add_test(tc, arena_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("transfer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, base64_basic);
	tcase_add_test(tc, base64_tolerant);
	tcase_add_test(tc, base64_all_bytes);
	tcase_add_test(tc, qp_basic);
	tcase_add_test(tc, qp_bad_escapes);
	tcase_add_test(tc, qp_q_word);
	tcase_add_test(tc, qp_as_defined);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc2047");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ew_basic);
	tcase_add_test(tc, ew_adjacent_joined);
	tcase_add_test(tc, ew_japanese);
	tcase_add_test(tc, ew_damaged);
	tcase_add_test(tc, ew_raw_8bit);
	tcase_add_test(tc, ew_hostile_linear);
	suite_add_tcase(s, tc);

	tc = tcase_create("params");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, param_basic);
	tcase_add_test(tc, param_rfc2231);
	tcase_add_test(tc, param_many_sections);
	suite_add_tcase(s, tc);

	tc = tcase_create("charset");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, charset_names);
	tcase_add_test(tc, charset_convert);
	tcase_add_test(tc, charset_invalid);
	tcase_add_test(tc, charset_guess);
	tcase_add_test(tc, charset_cache_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("html");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, html_basic);
	tcase_add_test(tc, html_skip);
	tcase_add_test(tc, html_entities);
	tcase_add_test(tc, html_hostile_linear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
