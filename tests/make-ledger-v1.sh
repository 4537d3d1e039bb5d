#!/bin/sh
# make-ledger-v1.sh - build tests/fixtures/ledger/v1.tdb.gz, a small ledger
# written by a rebound of record format 1 (before the compact recipient
# records of format 2), and the outputs that rebound gave for it
# (v1.show, v1.list, v1.export, v1.stats), which
# tests/test-ledger-compat.sh expects of every later rebound.  Run once
# with the old binary (it was: main at 91a5de3, cli/rebound):
#   tests/make-ledger-v1.sh OLD/cli/rebound
old=${1:?usage: make-ledger-v1.sh PATH/TO/OLD/rebound}
top_builddir=$(dirname "$(dirname "$old")")
. "$(dirname "$0")/ledger-lib.sh"
rebound=$old
out=$(dirname "$0")/fixtures/ledger
t0=2026-03-01T10:00:00Z
TZ=UTC
export TZ
rbo() { "$rebound" --db "$DB" --now "$t0" "$@"; }
dsn Hard.User@Example.ORG failed 5.1.1 \
	"550 5.1.1 <Hard.User@Example.ORG>: Recipient address rejected: User unknown" \
	h1 news.example spring > "$T/1.eml"
dsn soft@example.net delayed 4.2.2 "452 4.2.2 mailbox full" s1 > "$T/2.eml"
dsn other.user@example.org failed 5.1.1 \
	"550 5.1.1 <other.user@example.org>: Recipient address rejected: User unknown" \
	h2 news.example spring > "$T/3.eml"
dsn spam@example.com failed 5.7.1 "554 5.7.1 message rejected as spam" b1 \
	> "$T/4.eml"
for f in 1 2 3 4; do rbo record -q "$T/$f.eml" >/dev/null || exit 1; done
gzip -9 -n -c "$DB" > "$out/v1.tdb.gz"
rbo show hard.user@example.org > "$out/v1.show"
rbo show --json hard.user@example.org >> "$out/v1.show"
rbo list --json | sort > "$out/v1.list"
rbo export --format csv | sort > "$out/v1.export"
rbo stats --json > "$out/v1.stats"
