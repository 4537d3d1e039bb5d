#!/usr/bin/env python3
"""corpus-variants.py - how well rebound reads a bounce when part of it is
missing, measured on the development corpus.

A bounce from an MTA we know may reach us in a shape the corpus lacks: a
notice without its delivery-status part (many gateways send only text),
or without the returned message.  For every bounce of ../shared/corpus
that has such a part, this writes a copy without it, classifies the copies
and compares each labelled recipient with the truth.  Text that the
removed part alone carried cannot be recovered, so the figure is a
measure to compare between revisions, not a target.

  tests/corpus-variants.py [--drop status|original|text] [--verbose]
                           [--rebound cli/rebound] [--corpus DIR]

  status    message/delivery-status parts (the notice's text alone)
  original  message/rfc822 and text/rfc822-headers (no returned copy)
  text      text/plain and text/html parts (the report alone)

Prints "VARIANTS drop=... files=N right=R wrong=W missed=M"; every miss
with --verbose.  Exits 0, or 2 when it cannot run (no corpus: skipped).
"""
import argparse
import collections
import csv
import email
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from corpus_probe import DROPS, default_corpus, unreport, without_parts  # noqa: E402

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--drop", choices=sorted(DROPS), default="status")
    ap.add_argument("--rebound", default=os.path.join(here, "..", "cli",
                                                      "rebound"))
    ap.add_argument("--corpus", default=default_corpus(here))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    truth_path = os.path.join(args.corpus, "truth.tsv")
    if not os.path.isfile(truth_path):
        print("corpus variants: skipped (no %s)" % args.corpus)
        return 0
    if not os.access(args.rebound, os.X_OK):
        print("corpus variants: %s not found" % args.rebound,
              file=sys.stderr)
        return 2

    truth = collections.defaultdict(list)
    with open(truth_path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["class"] == "bounce" and row["scored"] == "yes":
                truth[row["file"]].append(row)

    with tempfile.TemporaryDirectory(prefix="rebound-variants.") as tmp:
        copies = {}
        for name in sorted(truth):
            with open(os.path.join(args.corpus, name), "rb") as f:
                msg = email.message_from_bytes(f.read())
            if not without_parts(msg, DROPS[args.drop]):
                continue
            if args.drop == "status":
                unreport(msg)
            path = os.path.join(tmp, name.replace("/", "_"))
            with open(path, "wb") as f:
                f.write(msg.as_bytes())
            copies[path] = name
        out = subprocess.run([args.rebound, "classify", "--json"] +
                             list(copies), capture_output=True, text=True)
        got = collections.defaultdict(dict)
        for line in out.stdout.splitlines():
            obj = json.loads(line)
            rcpt = (obj.get("recipient") or "").lower()
            got[copies.get(obj["file"], obj["file"])][rcpt] = obj

    right = wrong = missed = 0
    for name in sorted(set(copies.values())):
        for row in truth[name]:
            obj = got[name].get(row["recipient"].lower())
            if obj is None:
                missed += 1
                if args.verbose:
                    print("MISSED %s %s (%s)" % (name, row["recipient"],
                                                 row["reason"]))
            elif obj.get("reason") != row["reason"]:
                wrong += 1
                if args.verbose:
                    print("WRONG  %s %s want %s got %s | %s" % (
                        name, row["recipient"], row["reason"],
                        obj.get("reason"),
                        (obj.get("diagnostic") or "")[:100]))
            else:
                right += 1
    print("VARIANTS drop=%s files=%d right=%d wrong=%d missed=%d" % (
        args.drop, len(copies), right, wrong, missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
