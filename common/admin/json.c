/* json.c - writing JSON Lines for results, for the command (see
 * json.h). */
#include "json.h"

#include <stdint.h>
#include <string.h>

#include "mail/message.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void rebound_json_string(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		/* A run of characters that stand for themselves goes out in
		   one write: a character at a time, the stream's lock was
		   most of what `list --json` cost. */
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
		       p[run] != '\\')
			run++;
		if (run > 0) {
			fwrite(p, 1, run, out);
			p += run;
			continue;
		}
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
			p++;
		} else if (c < 0x20) {
			fprintf(out, "\\u%04x", c);
			p++;
		} else {
			size_t n = utf8_len(p);
			if (n == 0) {
				fputs("\\ufffd", out);
				p++;
			} else {
				fwrite(p, 1, n, out);
				p += n;
			}
		}
	}
	putc('"', out);
}

static void field(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",\"%s\":", name);
	rebound_json_string(out, value);
}

static void common_fields(FILE *out, const rebound_result *res)
{
	fprintf(out, ",\"class\":\"%s\"", rebound_class_name(res->cls));
	field(out, "format", res->format);
	field(out, "evidence", res->evidence);
	field(out, "reporting_mta", res->reporting_mta);
	field(out, "gateway", res->gateway);
	field(out, "message_id", res->orig_message_id);
	field(out, "envelope_id", res->envelope_id);
	field(out, "campaign", res->campaign);
	field(out, "sender_domain", res->sender_domain);
	field(out, "verp_recipient", res->verp_recipient);
	/* Only when recipients were cut, so that other lines stay as
	   they were. */
	if (res->msg_flags & REBOUND_MSG_MANY_RCPT) {
		fputs(",\"recipients_cut\":true,\"recipients_total\":", out);
		if (res->rcpt_total > 0)
			fprintf(out, "%zu", res->rcpt_total);
		else
			fputs("null", out);
	}
}

void rebound_json_result(FILE *out, const char *file, const rebound_result *res)
{
	if (res->cls != REBOUND_CLASS_BOUNCE || res->nrcpt == 0) {
		const char *action = "none";
		if (res->cls == REBOUND_CLASS_DELIVERED)
			action = "delivered";
		else if (res->cls == REBOUND_CLASS_AUTOREPLY)
			action = "autoreply";
		else if (res->cls == REBOUND_CLASS_FEEDBACK)
			action = "feedback";
		fputs("{\"file\":", out);
		rebound_json_string(out, file);
		fprintf(out, ",\"recipient\":null,\"bounce\":false,\"action\":\"%s\"",
			action);
		common_fields(out, res);
		fputs("}\n", out);
		return;
	}
	for (size_t i = 0; i < res->nrcpt; i++) {
		const rebound_recipient *r = &res->rcpt[i];
		bool bounce = r->action == REBOUND_ACTION_FAILED ||
			      r->action == REBOUND_ACTION_DELAYED;
		fputs("{\"file\":", out);
		rebound_json_string(out, file);
		field(out, "recipient", r->address);
		fprintf(out, ",\"bounce\":%s,\"action\":\"%s\"",
			bounce ? "true" : "false", rebound_action_name(r->action));
		field(out, "status", r->status);
		fprintf(out, ",\"status_derived\":%s",
			r->status_derived ? "true" : "false");
		field(out, "reply_code", r->reply_code);
		fprintf(out, ",\"reason\":\"%s\",\"hard\":%s,\"suspect\":%s",
			rebound_reason_name(r->reason), r->hard ? "true" : "false",
			r->suspect ? "true" : "false");
		field(out, "suspect_why", r->suspect_why);
		fprintf(out, ",\"category\":%d,\"hubspot\":\"%s\"",
			rebound_reason_category(r->reason),
			rebound_reason_hubspot(r->reason));
		field(out, "rule", r->rule);
		field(out, "diagnostic", r->diagnostic);
		field(out, "remote_mta", r->remote_mta);
		common_fields(out, res);
		fputs("}\n", out);
	}
}
