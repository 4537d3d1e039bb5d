/* journal.c - a ledger in a fleet: the journal of this host's events and
 * the order-independent fold of other hosts' events (journal.h).
 *
 * Records written here are small text or the event encoding of
 * ledger-record.h; every one lives inside the caller's (or the fold's)
 * transaction, so a journalled event and the change it describes are
 * committed together or not at all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdb.h>

#include "journal.h"
#include "ledger-internal.h"
#include "policy.h"
#include "mail/error.h"

#define CLUSTER_KEY "cluster"

static TDB_DATA key_of(const char *k)
{
	TDB_DATA d = { (unsigned char *)(uintptr_t)k, strlen(k) };
	return d;
}

static int put(rebound_ledger *l, const char *k, const void *v, size_t len,
	       char *err, size_t errlen)
{
	TDB_DATA val = { (unsigned char *)(uintptr_t)v, len };
	if (tdb_store(l->tdb, key_of(k), val, TDB_REPLACE) != 0)
		return ledger_db_fail(l, "store", err, errlen);
	return 0;
}

/* A text record into buf (NUL-terminated, cut to size): 1, 0 missing. */
static int get_text(rebound_ledger *l, const char *k, char *buf, size_t size)
{
	TDB_DATA v = tdb_fetch(l->tdb, key_of(k));
	if (v.dptr == NULL)
		return 0;
	size_t n = v.dsize < size - 1 ? v.dsize : size - 1;
	memcpy(buf, v.dptr, n);
	buf[n] = '\0';
	free(v.dptr);
	return 1;
}

bool rebound_cluster_node_valid(const char *node)
{
	size_t n = node != NULL ? strlen(node) : 0;
	if (n == 0 || n >= REBOUND_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = node[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* The cluster record: "NODE NEXT_SEQ TAIL LAST_SYNC". */
static int read_state(rebound_ledger *l, rebound_cluster_state *st)
{
	char text[200];
	memset(st, 0, sizeof(*st));
	if (get_text(l, CLUSTER_KEY, text, sizeof(text)) == 0)
		return 0;
	_Static_assert(REBOUND_NODE_MAX == 64, "the width below");
	if (sscanf(text, "%63s %" SCNu64 " %" SCNu64 " %" SCNd64, st->node, &st->next_seq, &st->tail,
		   &st->last_sync) != 4 ||
	    !rebound_cluster_node_valid(st->node))
		return -1;
	return 1;
}

static int write_state(rebound_ledger *l, const rebound_cluster_state *st,
		       char *err, size_t errlen)
{
	char text[200];
	int n = snprintf(text, sizeof(text), "%s %" PRIu64 " %" PRIu64
			 " %" PRId64, st->node, st->next_seq, st->tail,
			 st->last_sync);
	return put(l, CLUSTER_KEY, text, (size_t)n, err, errlen);
}

static int state_or_fail(rebound_ledger *l, rebound_cluster_state *st,
			 char *err, size_t errlen)
{
	int rc = read_state(l, st);
	if (rc < 0)
		return rebound_error(err, errlen,
				     "%s: the cluster record is damaged",
				     l->path);
	return rc;
}

int rebound_journal_state(rebound_ledger *l, rebound_cluster_state *st,
			  char *err, size_t errlen)
{
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	return state_or_fail(l, st, err, errlen);
}

int rebound_journal_join(rebound_ledger *l, const char *node, int64_t now,
			 char *err, size_t errlen)
{
	if (!rebound_cluster_node_valid(node))
		return rebound_error(err, errlen,
				     "cluster_node: not a plain host name: '%s'",
				     node != NULL ? node : "");
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	rebound_cluster_state st;
	int rc = state_or_fail(l, &st, err, errlen);
	if (rc < 0)
		goto failed;
	if (rc == 1 && strcmp(st.node, node) != 0) {
		rebound_error(err, errlen,
			      "%s: the ledger is node '%s' of a fleet, not '%s'",
			      l->path, st.node, node);
		goto failed;
	}
	if (rc == 0) {
		snprintf(st.node, sizeof(st.node), "%s", node);
		st.next_seq = st.tail = 1;
	}
	if (now != 0)
		st.last_sync = now;
	if (write_state(l, &st, err, errlen) < 0)
		goto failed;
	return ledger_commit(l, err, errlen);
failed:
	ledger_cancel(l);
	return -1;
}

/* --- order of events ------------------------------------------------------ */

/* Events in time order, ties by origin (this host's events recorded
 * before the fleet have none and come first). */
static int order(int64_t ta, const char *oa, int64_t tb, const char *ob)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(oa, ob);
}

static int event_cmp(const void *a, const void *b)
{
	const rebound_event *x = a, *y = b;
	return order(x->time, x->origin, y->time, y->origin);
}

/* f:<address>: "TIME ORIGIN" of the newest event applied.  1 found. */
static int read_stamp(rebound_ledger *l, const char *fkey, int64_t *t,
		      char *origin)
{
	char text[200];
	*t = 0;
	origin[0] = '\0';
	if (get_text(l, fkey, text, sizeof(text)) == 0)
		return 0;
	_Static_assert(REBOUND_ORIGIN_MAX == 80, "the width below");
	if (sscanf(text, "%" SCNd64 " %79s", t, origin) < 1)
		return 0;
	return 1;
}

static int write_stamp(rebound_ledger *l, const char *fkey, int64_t t,
		       const char *origin, char *err, size_t errlen)
{
	char text[200];
	int n = snprintf(text, sizeof(text), "%" PRId64 " %s", t, origin);
	return put(l, fkey, text, (size_t)n, err, errlen);
}

/* "f:" and the address key's address, or -1 when it cannot be a key. */
static int stamp_key(const char *address, char *fkey, size_t size)
{
	if (rebound_ledger_address_key(address, fkey, size) < 0)
		return -1;
	fkey[0] = 'f';		/* "r:addr" -> "f:addr" */
	return 0;
}

/* Is ev newer than what its address has applied?  Notes it when so. */
static int note_newest(rebound_ledger *l, const rebound_event *ev,
		       bool *newer, char *err, size_t errlen)
{
	char fkey[340], origin[REBOUND_ORIGIN_MAX];
	int64_t t;
	*newer = true;
	if (stamp_key(ev->address, fkey, sizeof(fkey)) < 0)
		return 0;
	if (read_stamp(l, fkey, &t, origin) == 1 &&
	    order(ev->time, ev->origin, t, origin) <= 0) {
		*newer = false;
		return 0;
	}
	return write_stamp(l, fkey, ev->time, ev->origin, err, errlen);
}

/* --- the journal ------------------------------------------------------------ */

static void journal_key(uint64_t seq, char *k, size_t size)
{
	snprintf(k, size, "j:%012" PRIu64, seq);
}

/* Does ev change an address's state (and so take part in its order)? */
static bool orders_address(const rebound_event *ev)
{
	return ev->address[0] != '\0' && !ev->unverified &&
	       (ev->edit == REBOUND_EDIT_NONE ||
		ev->edit == REBOUND_EDIT_UNBOUNCE);
}

int ledger_journal_event(rebound_ledger *l, rebound_event *ev, char *err,
			 size_t errlen)
{
	rebound_cluster_state st;
	int rc = state_or_fail(l, &st, err, errlen);
	if (rc <= 0)
		return rc;
	uint64_t seq = st.next_seq++;
	snprintf(ev->origin, sizeof(ev->origin), "%s:%012" PRIu64, st.node,
		 seq);
	if (write_state(l, &st, err, errlen) < 0)
		return -1;
	bool newer = true;
	if (orders_address(ev) && note_newest(l, ev, &newer, err, errlen) < 0)
		return -1;
	/* The first byte says whether the sync must re-fold the address:
	   this event was applied after a newer one. */
	rebound_buf b = { 0 };
	rebound_event_encode(&b, ev);
	unsigned char *v = b.failed ? NULL : malloc(b.len + 1);
	if (v == NULL) {
		rebound_buf_free(&b);
		return rebound_error(err, errlen, "journal: out of memory");
	}
	v[0] = newer ? '-' : 'R';
	memcpy(v + 1, b.p, b.len);
	char k[40];
	journal_key(seq, k, sizeof(k));
	rc = put(l, k, v, b.len + 1, err, errlen);
	free(v);
	rebound_buf_free(&b);
	return rc;
}

static int put_event_record(rebound_ledger *l, const char *k,
			    const rebound_event *ev, char *err, size_t errlen)
{
	rebound_buf b = { 0 };
	rebound_event_encode(&b, ev);
	int rc = b.failed ? rebound_error(err, errlen, "out of memory") :
			    put(l, k, b.p, b.len, err, errlen);
	rebound_buf_free(&b);
	return rc;
}

static void edit_key(const rebound_event *ev, char *k, size_t size)
{
	snprintf(k, size, "x:%011" PRId64 ":%s", ev->time < 0 ? 0 : ev->time,
		 ev->origin);
}

int ledger_journal_edit(rebound_ledger *l, rebound_edit edit,
			const char *what, int64_t now, char *err,
			size_t errlen)
{
	rebound_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.time = now;
	ev.edit = edit;
	snprintf(ev.source, sizeof(ev.source), "cli");
	if (edit == REBOUND_EDIT_UNBOUNCE)
		snprintf(ev.address, sizeof(ev.address), "%s", what);
	else
		snprintf(ev.campaign, sizeof(ev.campaign), "%s", what);
	if (ledger_journal_event(l, &ev, err, errlen) < 0)
		return -1;
	if (ev.origin[0] == '\0')
		return 0;		/* not in a fleet */
	char k[REBOUND_ORIGIN_MAX + 32];
	edit_key(&ev, k, sizeof(k));
	return put_event_record(l, k, &ev, err, errlen);
}

long rebound_journal_each(rebound_ledger *l, rebound_journal_fn fn,
			  void *ctx, char *err, size_t errlen)
{
	rebound_cluster_state st;
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	int rc = state_or_fail(l, &st, err, errlen);
	if (rc <= 0)
		return rc;
	rebound_journal_item *it = malloc(sizeof(*it));
	if (it == NULL)
		return rebound_error(err, errlen, "journal: out of memory");
	long seen = 0;
	for (uint64_t seq = st.tail; seq < st.next_seq; seq++) {
		char k[40];
		journal_key(seq, k, sizeof(k));
		TDB_DATA v = tdb_fetch(l->tdb, key_of(k));
		if (v.dptr == NULL)
			continue;	/* confirmed already */
		memset(it, 0, sizeof(*it));
		it->seq = seq;
		it->refold = v.dsize > 0 && v.dptr[0] == 'R';
		it->data = v.dptr + 1;
		it->len = v.dsize > 0 ? v.dsize - 1 : 0;
		char why[100];
		if (v.dsize < 1 || rebound_event_decode(&it->ev, it->data,
							it->len, why,
							sizeof(why)) < 0) {
			free(v.dptr);
			free(it);
			return rebound_error(err, errlen,
					     "%s: journal record %s damaged",
					     l->path, k);
		}
		seen++;
		int stop = fn(it, ctx);
		free(v.dptr);
		if (stop)
			break;
	}
	free(it);
	return seen;
}

int rebound_journal_confirm(rebound_ledger *l, const uint64_t *seqs,
			    size_t n, char *err, size_t errlen)
{
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	rebound_cluster_state st;
	if (state_or_fail(l, &st, err, errlen) <= 0)
		goto failed;
	for (size_t i = 0; i < n; i++) {
		char k[40];
		journal_key(seqs[i], k, sizeof(k));
		if (tdb_delete(l->tdb, key_of(k)) != 0 &&
		    tdb_error(l->tdb) != TDB_ERR_NOEXIST) {
			ledger_db_fail(l, "delete", err, errlen);
			goto failed;
		}
	}
	while (st.tail < st.next_seq) {
		char k[40];
		journal_key(st.tail, k, sizeof(k));
		if (tdb_exists(l->tdb, key_of(k)))
			break;
		st.tail++;
	}
	if (write_state(l, &st, err, errlen) < 0)
		goto failed;
	return ledger_commit(l, err, errlen);
failed:
	ledger_cancel(l);
	return -1;
}

/* --- cursors ------------------------------------------------------------------ */

int rebound_journal_cursor(rebound_ledger *l, const char *node,
			   uint64_t *seq, char *err, size_t errlen)
{
	*seq = 0;
	if (ledger_usable(l, err, errlen) < 0)
		return -1;
	char k[REBOUND_NODE_MAX + 8], text[40];
	snprintf(k, sizeof(k), "n:%s", node);
	if (get_text(l, k, text, sizeof(text)) == 1)
		*seq = strtoull(text, NULL, 10);
	return 0;
}

int rebound_journal_set_cursor(rebound_ledger *l, const char *node,
			       uint64_t seq, char *err, size_t errlen)
{
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	char k[REBOUND_NODE_MAX + 8], text[40];
	snprintf(k, sizeof(k), "n:%s", node);
	int n = snprintf(text, sizeof(text), "%" PRIu64, seq);
	if (put(l, k, text, (size_t)n, err, errlen) < 0) {
		ledger_cancel(l);
		return -1;
	}
	return ledger_commit(l, err, errlen);
}

/* --- the fold --------------------------------------------------------------- */

static void observation_of_event(rebound_observation *o,
				 const rebound_event *ev)
{
	memset(o, 0, sizeof(*o));
	o->cls = ev->cls;
	o->action = ev->action;
	o->reason = ev->reason;
	o->hard = ev->hard;
	o->suspect = ev->suspect;
	/* The evidence's short name, kept in the event: a fold on another
	   host says why as the host that saw the bounce does. */
	o->suspect_why = ev->suspect && ev->suspect_why[0] != '\0' ?
				 ev->suspect_why : NULL;
	o->source = ev->source;
	o->status = ev->status;
	o->reply = ev->reply;
	o->diag = ev->diag;
	o->mta = ev->mta;
	o->sender_domain = ev->sender_domain;
	o->campaign = ev->campaign[0] ? ev->campaign : NULL;
}

/* Apply one address event to e (found: e holds a record). */
static void apply_event(rebound_entry *e, bool *found,
			const rebound_policy *policy, const rebound_event *ev)
{
	if (ev->edit == REBOUND_EDIT_UNBOUNCE) {
		if (*found) {
			rebound_entry_refresh(e, ev->time);
			rebound_entry_unbounce(e, ev->time);
		}
		return;
	}
	rebound_observation o;
	observation_of_event(&o, ev);
	if (rebound_observation_kind(&o) == REBOUND_OBS_NONE)
		return;
	if (!*found) {
		memset(e, 0, sizeof(*e));
		snprintf(e->address, sizeof(e->address), "%s", ev->address);
		*found = true;
	}
	rebound_entry_apply(e, policy, &o, ev->time);
}

/* Addresses (their r: keys) to re-fold. */
typedef struct key_set {
	char **keys;
	size_t n, cap;
	bool oom;
} key_set;

static bool key_set_has(const key_set *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], k) == 0)
			return true;
	return false;
}

static void key_set_add(key_set *s, const char *k)
{
	if (key_set_has(s, k))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **p = realloc(s->keys, cap * sizeof(*p));
		if (p == NULL) {
			s->oom = true;
			return;
		}
		s->keys = p;
		s->cap = cap;
	}
	char *copy = strdup(k);
	if (copy == NULL) {
		s->oom = true;
		return;
	}
	s->keys[s->n++] = copy;
}

static void key_set_free(key_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
}

/* The kept events of the addresses to re-fold. */
typedef struct refold_walk {
	const key_set *want;
	rebound_event *evs;
	size_t n, cap;
	bool oom;
} refold_walk;

static int collect_event(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val,
			 void *p)
{
	(void)tdb;
	refold_walk *w = p;
	if (key.dsize < 2 || key.dptr[1] != ':' ||
	    (key.dptr[0] != 'e' && key.dptr[0] != 'x'))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		rebound_event *e = realloc(w->evs, cap * sizeof(*e));
		if (e == NULL) {
			w->oom = true;
			return -1;
		}
		w->evs = e;
		w->cap = cap;
	}
	rebound_event *ev = &w->evs[w->n];
	char k[340];
	if (rebound_event_decode(ev, val.dptr, val.dsize, NULL, 0) < 0 ||
	    !orders_address(ev) ||
	    rebound_ledger_address_key(ev->address, k, sizeof(k)) < 0 ||
	    !key_set_has(w->want, k))
		return 0;
	w->n++;
	return 0;
}

/* The events a recipient record keeps (this host's, from before the
 * fleet: ledger-record.h) join those of e: records. */
static int collect_kept(const rebound_event *ev, void *p)
{
	refold_walk *w = p;
	if (!orders_address(ev))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		rebound_event *e = realloc(w->evs, cap * sizeof(*e));
		if (e == NULL) {
			w->oom = true;
			return 1;
		}
		w->evs = e;
		w->cap = cap;
	}
	w->evs[w->n++] = *ev;
	return 0;
}

/* Rebuild each address of `want` from its kept events, in order. */
static int refold(rebound_ledger *l, const rebound_policy *policy,
		  const key_set *want, char *err, size_t errlen)
{
	refold_walk w = { .want = want };
	if (tdb_traverse(l->tdb, collect_event, &w) < 0 || w.oom) {
		free(w.evs);
		return w.oom ? rebound_error(err, errlen, "out of memory") :
			       ledger_db_fail(l, "read events", err, errlen);
	}
	/* What the records keep themselves: their events, and their marks
	   and events to keep after the rebuild. */
	rebound_entry *kept = malloc(want->n * sizeof(*kept) + 1);
	bool *had = calloc(want->n + 1, sizeof(*had));
	rebound_texts t;
	if (kept == NULL || had == NULL || ledger_texts(l, &t) == NULL) {
		free(kept);
		free(had);
		free(w.evs);
		return rebound_error(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < want->n; i++) {
		int f = ledger_fetch_entry(l, want->keys[i], &kept[i], err,
					   errlen);
		if (f < 0 || (f > 0 && rebound_entry_each_event(
					       &kept[i], &t, collect_kept, &w,
					       err, errlen) < 0) ||
		    w.oom) {
			ledger_texts_free(&t);
			free(kept);
			free(had);
			free(w.evs);
			return w.oom ? rebound_error(err, errlen,
						     "out of memory") : -1;
		}
		had[i] = f > 0;
	}
	ledger_texts_free(&t);
	qsort(w.evs, w.n, sizeof(*w.evs), event_cmp);
	int rc = 0;
	for (size_t i = 0; i < want->n && rc == 0; i++) {
		rebound_entry e;
		bool found = false;
		const rebound_event *last = NULL;
		for (size_t j = 0; j < w.n; j++) {
			char k[340];
			if (rebound_ledger_address_key(w.evs[j].address, k,
						       sizeof(k)) < 0 ||
			    strcmp(k, want->keys[i]) != 0)
				continue;
			apply_event(&e, &found, policy, &w.evs[j]);
			last = &w.evs[j];
		}
		if (!found || last == NULL)
			continue;
		if (had[i]) {
			e.nseen = kept[i].nseen;
			memcpy(e.seen, kept[i].seen, sizeof(e.seen));
			e.events_len = kept[i].events_len;
			memcpy(e.events, kept[i].events, e.events_len);
		}
		char fkey[340];
		snprintf(fkey, sizeof(fkey), "f%s", want->keys[i] + 1);
		if (ledger_store_entry(l, want->keys[i], &e, err, errlen) < 0 ||
		    write_stamp(l, fkey, last->time, last->origin, err,
				errlen) < 0)
			rc = -1;
	}
	free(kept);
	free(had);
	free(w.evs);
	return rc;
}

static int fold_campaign_edit(rebound_ledger *l, const rebound_event *ev,
			      char *err, size_t errlen)
{
	char k[160];
	if (ledger_campaign_key(ev->campaign, k, sizeof(k)) < 0)
		return 0;
	rebound_campaign c;
	int rc = ledger_fetch_campaign(l, k, &c, err, errlen);
	if (rc <= 0)
		return rc;	/* a campaign this host never sent */
	rebound_campaign_refresh(&c, ev->time);
	if (ev->edit == REBOUND_EDIT_RESUME)
		rebound_campaign_resume(&c, ev->time);
	else
		rebound_campaign_cancel(&c, ev->time);
	return ledger_store_campaign(l, k, &c, err, errlen);
}

/* Fold one event that is new here. */
static int fold_one(rebound_ledger *l, const rebound_policy *policy,
		    const rebound_event *ev, key_set *again, char *err,
		    size_t errlen)
{
	char k[REBOUND_ORIGIN_MAX + 32];
	if (ev->edit != REBOUND_EDIT_NONE)
		edit_key(ev, k, sizeof(k));
	else
		snprintf(k, sizeof(k), "e:%011" PRId64 ":%s",
			 ev->time < 0 ? 0 : ev->time, ev->origin);
	if (put_event_record(l, k, ev, err, errlen) < 0)
		return -1;
	if (ev->edit == REBOUND_EDIT_RESUME || ev->edit == REBOUND_EDIT_CANCEL)
		return fold_campaign_edit(l, ev, err, errlen);
	char rkey[340];
	if (!orders_address(ev) ||
	    rebound_ledger_address_key(ev->address, rkey, sizeof(rkey)) < 0)
		return 0;
	bool newer;
	if (note_newest(l, ev, &newer, err, errlen) < 0)
		return -1;
	if (!newer) {
		key_set_add(again, rkey);
		return 0;
	}
	rebound_entry e;
	int found = ledger_fetch_entry(l, rkey, &e, err, errlen);
	if (found < 0)
		return -1;
	bool have = found == 1;
	apply_event(&e, &have, policy, ev);
	if (!have)
		return 0;
	return ledger_store_entry(l, rkey, &e, err, errlen);
}

int rebound_journal_fold(rebound_ledger *l, const rebound_policy *policy,
			 rebound_event *evs, size_t n,
			 const char *const *addresses, size_t naddr,
			 rebound_fold_stats *st, char *err, size_t errlen)
{
	rebound_fold_stats local = { 0 };
	if (st == NULL)
		st = &local;
	if (l == NULL || policy == NULL || (n > 0 && evs == NULL))
		return rebound_error(err, errlen, "fold: missing argument");
	if (n > 1)	/* qsort wants a non-null array even for none */
		qsort(evs, n, sizeof(*evs), event_cmp);
	if (ledger_begin(l, err, errlen) < 0)
		return -1;
	rebound_cluster_state cs;
	key_set again = { 0 };
	int rc = state_or_fail(l, &cs, err, errlen);
	if (rc == 0)
		rc = rebound_error(err, errlen, "%s: not a node of a fleet",
				   l->path);
	if (rc < 0)
		goto failed;
	size_t own_len = strlen(cs.node);
	for (size_t i = 0; i < naddr; i++) {
		char rkey[340];
		if (rebound_ledger_address_key(addresses[i], rkey,
					       sizeof(rkey)) == 0)
			key_set_add(&again, rkey);
	}
	for (size_t i = 0; i < n; i++) {
		const rebound_event *ev = &evs[i];
		if (ev->origin[0] == '\0')
			continue;
		if (strncmp(ev->origin, cs.node, own_len) == 0 &&
		    ev->origin[own_len] == ':') {
			st->own++;
			continue;
		}
		char okey[REBOUND_ORIGIN_MAX + 4];
		snprintf(okey, sizeof(okey), "o:%s", ev->origin);
		if (tdb_exists(l->tdb, key_of(okey))) {
			st->duplicates++;
			continue;
		}
		char text[32];
		int tn = snprintf(text, sizeof(text), "%" PRId64, ev->time);
		if (put(l, okey, text, (size_t)tn, err, errlen) < 0 ||
		    fold_one(l, policy, ev, &again, err, errlen) < 0)
			goto failed;
		st->folded++;
	}
	if (again.oom) {
		rebound_error(err, errlen, "fold: out of memory");
		goto failed;
	}
	if (again.n > 0 && refold(l, policy, &again, err, errlen) < 0)
		goto failed;
	st->refolded += again.n;
	key_set_free(&again);
	return ledger_commit(l, err, errlen);
failed:
	key_set_free(&again);
	ledger_cancel(l);
	return -1;
}
