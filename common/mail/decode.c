/* decode.c - the transfer encodings: base64 and quoted-printable. */
#include "decode.h"

#include <stdint.h>
#include <string.h>

#include "strutil.h"
#include "vec16.h"

/* ---- base64 --------------------------------------------------------- */

#define B64_BAD 0xFF
#define B64_SPACE 0xFE
#define B64_PAD 0xFD

#define XX B64_BAD
#define SP B64_SPACE
#define PD B64_PAD
static const unsigned char b64_table[256] = {
	XX, XX, XX, XX, XX, XX, XX, XX, XX, SP, SP, SP, SP, SP, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	SP, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX, XX, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, PD, XX, XX,
	XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, XX,
	XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX
#undef SP
#undef PD

size_t rebound_base64_decode(const char *in, size_t len, char *out,
			     bool *bad)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = (unsigned char *)out;
	uint32_t acc = 0;
	unsigned n = 0;		/* sextets in acc */
	size_t i = 0;

	while (i < len) {
		if (n == 0) {
			/* Whole quanta of valid characters at once. */
			while (i + 4 <= len) {
				unsigned a = b64_table[p[i]],
					 b = b64_table[p[i + 1]],
					 c = b64_table[p[i + 2]],
					 d = b64_table[p[i + 3]];
				if ((a | b | c | d) & 0xC0)
					break;
				uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
				o[0] = (unsigned char)(v >> 16);
				o[1] = (unsigned char)(v >> 8);
				o[2] = (unsigned char)v;
				o += 3;
				i += 4;
			}
			if (i >= len)
				break;
		}
		unsigned v = b64_table[p[i++]];
		if (v < 64) {
			acc = (acc << 6) | v;
			if (++n == 4) {
				o[0] = (unsigned char)(acc >> 16);
				o[1] = (unsigned char)(acc >> 8);
				o[2] = (unsigned char)acc;
				o += 3;
				n = 0;
				acc = 0;
			}
		} else if (v == B64_SPACE) {
			continue;
		} else if (v == B64_PAD) {
			/* End of a quantum: keep its whole bytes. */
			if (n == 2) {
				*o++ = (unsigned char)(acc >> 4);
			} else if (n == 3) {
				*o++ = (unsigned char)(acc >> 10);
				*o++ = (unsigned char)(acc >> 2);
			} else if (n == 1) {
				*bad = true;
			}
			n = 0;
			acc = 0;
		} else {
			*bad = true;
		}
	}
	if (n == 2) {
		*o++ = (unsigned char)(acc >> 4);
		*bad = true;
	} else if (n == 3) {
		*o++ = (unsigned char)(acc >> 10);
		*o++ = (unsigned char)(acc >> 2);
		*bad = true;
	} else if (n == 1) {
		*bad = true;
	}
	return (size_t)(o - (unsigned char *)out);
}

/* ---- quoted-printable ----------------------------------------------- */

/* Do p[0..16) decode to themselves: no '=', and no blank that a blank
 * or a line end follows (p[16] is read too)?  Most of a body does. */
static inline bool qp_plain_block(const unsigned char *p)
{
	rebound_v16 v = rebound_v16_load(p), next = rebound_v16_load(p + 1);
	rebound_v16 blank = (rebound_v16)((v == rebound_v16_splat(' ')) |
					  (v == rebound_v16_splat('\t')));
	rebound_v16 stop = (rebound_v16)((next == rebound_v16_splat(' ')) |
					 (next == rebound_v16_splat('\t')) |
					 (next == rebound_v16_splat('\n')) |
					 (next == rebound_v16_splat('\r')));
	rebound_v16 odd = (rebound_v16)(v == rebound_v16_splat('=')) |
			  (blank & stop);
	return !rebound_v16_any(odd);
}

size_t rebound_qp_decode(const char *in, size_t len, char *out, bool q_word,
			 bool *bad)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < len) {
		/* A block that decodes to itself is copied; any other is
		   decoded byte by byte. */
		size_t stop = len;
		if (!q_word && len - i >= 17) {
			if (qp_plain_block(p + i)) {
				memcpy(out + o, in + i, 16);
				i += 16;
				o += 16;
				continue;
			}
			stop = i + 16;
		}
		while (i < stop) {
			unsigned char c = p[i];
			if (c == '=') {
				if (i + 2 < len && rebound_hex_value(p[i + 1]) >= 0 &&
				    rebound_hex_value(p[i + 2]) >= 0) {
					out[o++] = (char)(rebound_hex_value(p[i + 1]) * 16 +
							  rebound_hex_value(p[i + 2]));
					i += 3;
					continue;
				}
				if (!q_word) {
					/* Soft line break, maybe with blanks. */
					size_t j = i + 1;
					while (j < len && (p[j] == ' ' || p[j] == '\t' ||
							   p[j] == '\r'))
						j++;
					if (j == len) {
						i = len;
						continue;
					}
					if (p[j] == '\n') {
						i = j + 1;
						continue;
					}
				}
				*bad = true;
				out[o++] = '=';
				i++;
				continue;
			}
			if (q_word) {
				out[o++] = c == '_' ? ' ' : (char)c;
				i++;
				continue;
			}
			if (c == ' ' || c == '\t') {
				/* Blanks at the end of a line were added in
				   transit. */
				size_t j = i;
				while (j < len && (p[j] == ' ' || p[j] == '\t'))
					j++;
				if (j == len || p[j] == '\n' ||
				    (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n')) {
					i = j;
					continue;
				}
				memcpy(out + o, in + i, j - i);
				o += j - i;
				i = j;
				continue;
			}
			out[o++] = (char)c;
			i++;
		}
	}
	return o;
}
