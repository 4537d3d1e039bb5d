/* rebound-keep.c - read one saved or copied mail, classify it, and keep
 * what the commit will record.
 *
 * The mail can only be read before the commit (after it, Dovecot has
 * freed the transaction), so the whole work happens in the save/copy
 * callback and only a compact copy of the result waits for the commit.
 * Reading is bounded (RBD_READ_MAX); memory for the parse is a
 * scratch arena reset for every message.
 */
#include "lib.h"
#include "buffer.h"
#include "istream.h"
#include "mail-storage.h"

#include <time.h>

#include "rebound-plugin.h"

/* Append at most RBD_READ_MAX bytes of the mail to buf.  FALSE (and a
 * logged line) when the mail cannot be read. */
static bool read_mail(struct mail *mail, buffer_t *buf)
{
	struct istream *input;
	const unsigned char *data;
	size_t size;

	if (mail_get_stream_because(mail, NULL, NULL, "rebound classify",
				    &input) < 0) {
		i_warning(RBD_LOG "cannot read the saved mail: %s",
			  mailbox_get_last_internal_error(mail->box, NULL));
		return FALSE;
	}
	i_stream_seek(input, 0);
	/* Mail streams block, so 0 ("wait") does not happen; it would end
	   the loop with what was read. */
	while (buf->used < RBD_READ_MAX &&
	       i_stream_read_more(input, &data, &size) > 0) {
		size_t room = RBD_READ_MAX - buf->used;

		if (size > room)
			size = room;
		buffer_append(buf, data, size);
		i_stream_skip(input, size);
	}
	if (input->stream_errno != 0) {
		i_warning(RBD_LOG "cannot read the saved mail: %s",
			  i_stream_get_error(input));
		return FALSE;
	}
	return TRUE;
}

/* The VERP secret of the transaction's configuration, or NULL (logged
 * once per transaction). */
static const rebound_verp_key *verp_key(struct rbd_txn *txn)
{
	char err[512];

	if (!txn->key_loaded) {
		txn->key_loaded = TRUE;
		txn->key_usable = txn->cfg.verp_secret_file[0] != '\0' &&
			rebound_verp_key_load(&txn->key,
					      txn->cfg.verp_secret_file,
					      err, sizeof(err)) == 0;
		if (!txn->key_usable)
			i_warning(RBD_LOG "require_signed_verp is set but the "
				  "secret is not usable (%s); bounces in %s "
				  "are recorded as unverified",
				  txn->cfg.verp_secret_file[0] != '\0' ? err :
				  "no verp_secret_file configured",
				  txn->set.mailbox);
	}
	return txn->key_usable ? &txn->key : NULL;
}

/* With require_signed_verp: what the addresses the notice came back to
 * vouch for.  Dovecot gives a notify plugin no envelope recipient; its
 * LMTP writes it into Delivered-To (one recipient per transaction), and
 * the MTA in front into Delivered-To or X-Original-To. */
static rebound_verp_vouch *
vouch_for(struct rbd_txn *txn, const rebound_message *msg)
{
	rebound_verp_vouch *v;

	if (!txn->cfg.require_signed_verp)
		return NULL;
	v = rebound_arena_calloc(txn->keep, 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	rebound_verp_vouch_init(v, TRUE);
	rebound_verp_vouch_headers(v, verp_key(txn),
				   txn->cfg.verp_format[0] != '\0' ?
				   txn->cfg.verp_format : NULL,
				   msg->root->headers, (int64_t)time(NULL), 0);
	if (txn->set.debug && v->n == 0)
		i_debug(RBD_LOG "%s: no valid signed return path in "
			"Delivered-To or X-Original-To (%s)", txn->set.mailbox,
			rebound_verp_status_name(v->checked > 0 ?
				v->first_failed : REBOUND_VERP_UNSIGNED));
	return v;
}

/* Keep a copy of res for the commit.  FALSE when the keep arena is
 * spent (a huge COPY): logged once per transaction. */
static bool keep_result(struct rbd_txn *txn, const rebound_message *msg,
			const rebound_result *res)
{
	struct rbd_kept *k;

	if (txn->keep == NULL &&
	    (txn->keep = rebound_arena_new(RBD_KEEP_BUDGET)) == NULL)
		return FALSE;
	k = rebound_arena_calloc(txn->keep, 1, sizeof(*k));
	if (k != NULL) {
		k->res = rebound_result_copy(txn->keep, res);
		k->vouch = vouch_for(txn, msg);
	}
	if (k == NULL || k->res == NULL ||
	    (txn->cfg.require_signed_verp && k->vouch == NULL)) {
		if (!txn->keep_full_logged)
			i_warning(RBD_LOG "too many bounces in one "
				  "transaction on %s, the rest is not recorded",
				  txn->set.mailbox);
		txn->keep_full_logged = TRUE;
		return FALSE;
	}
	*txn->kept_tail = k;
	txn->kept_tail = &k->next;
	txn->bounces++;
	return TRUE;
}

static bool classify_and_keep(struct rbd_txn *txn, const buffer_t *buf)
{
	const rebound_limits limits = { .max_message_bytes = RBD_READ_MAX };
	rebound_classify_options opts = { .limits = &limits };
	rebound_message *msg;
	rebound_result *res;

	if (txn->cfg.campaign_header[0] != '\0')
		opts.campaign_header = txn->cfg.campaign_header;
	if (txn->cfg.verp_format[0] != '\0')
		opts.verp_format = txn->cfg.verp_format;
	if (txn->scratch == NULL &&
	    (txn->scratch = rebound_arena_new(RBD_SCRATCH_BUDGET)) == NULL) {
		i_error(RBD_LOG "out of memory, message not classified");
		return FALSE;
	}
	rebound_arena_reset(txn->scratch);
	/* Parsed here, not in rebound_classify(): the vouching reads the
	   same headers. */
	if (rebound_message_parse(txn->scratch, buf->data, buf->used, &limits,
				  &msg) < 0 ||
	    rebound_classify_message(msg, &opts, &res) < 0 || res == NULL) {
		i_warning(RBD_LOG "message in %s too large to classify",
			  txn->set.mailbox);
		return FALSE;
	}
	if (txn->set.debug) {
		i_debug(RBD_LOG "%s: %s, %zu recipient(s) (%s)",
			txn->set.mailbox, rebound_class_name(res->cls),
			res->nrcpt, res->evidence != NULL ? res->evidence : "");
	}
	/* Ordinary mail is only counted. */
	if (res->cls == REBOUND_CLASS_NOT_BOUNCE)
		return FALSE;
	return keep_result(txn, msg, res);
}

bool rbd_keep_mail(struct rbd_txn *txn, struct mail *mail)
{
	bool kept = FALSE;

	txn->messages++;
	rbd_txn_load_config(txn);
	T_BEGIN {
		buffer_t *buf = t_buffer_create(64 * 1024);

		if (read_mail(mail, buf))
			kept = classify_and_keep(txn, buf);
	} T_END;
	return kept;
}
