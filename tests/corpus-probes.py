#!/usr/bin/env python3
"""corpus-probes.py - does rebound give the same answer when a bounce
reaches it through other hands?  Measured on both development sets.

Every message of a set (dev: dev.txt, extra: extra.txt of ../shared/corpus)
is read again after a change that must not change its meaning, and the
copy's results are compared with those of the unmodified message (not
with the truth: the question is whether the answer moves).

  listed     List-Id, List-Unsubscribe and Precedence: list added, as a
             list manager or an owner alias passes the notice on
  reencoded  re-encoded, four ways, each counted on its own:
               reencoded/qp      text parts as quoted-printable
               reencoded/base64  text parts as base64
               reencoded/crlf    every line ending CRLF
               reencoded/fold76  header lines longer than 76 re-folded
  neutral    the notice's own sentences replaced by "Notice.", the server's
             reply lines kept (which lines: tests/corpus_probe.py)

For listed and reencoded every result must stay: per recipient bounce,
recipient, action, status, reply_code, reason and hard, and the class of
a message that is not a bounce.  For neutral, a recipient counts when the
unmodified run saw a server's reply for it (a reply or status code in its
diagnostic); it is the same when it keeps its reason ("unstated" counts
the others, not measured).

  tests/corpus-probes.py [--probe all|listed,reencoded,neutral]
                         [--set dev|extra|all] [--verbose]
                         [--rebound cli/rebound] [--corpus DIR]

Prints one line per probe and set:
  PROBE name=NAME set=SET messages=N same=S differ=D
where N counts the messages the change touched (the others cannot
differ), S and D their results (recipients; one per message that is not
a bounce).  reencoded is also printed as the sum of its four ways.  With
--verbose, every difference first.  Exits 0, or 2 when it cannot run (no
corpus: skipped, 0).
"""
import argparse
import collections
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import corpus_probe as cp  # noqa: E402

FIELDS = ("bounce", "recipient", "action", "status", "reply_code", "reason",
          "hard", "class")

REENCODINGS = [
    ("reencoded/qp", lambda data, rcpts: cp.per_message(
        data, lambda m: cp.reencode_text(m, "quoted-printable"))),
    ("reencoded/base64", lambda data, rcpts: cp.per_message(
        data, lambda m: cp.reencode_text(m, "base64"))),
    ("reencoded/crlf", lambda data, rcpts: cp.to_crlf(data)),
    ("reencoded/fold76", lambda data, rcpts: cp.per_message(
        data, cp.refold_headers)),
]

PROBES = collections.OrderedDict([
    ("listed", [("listed", lambda data, rcpts: cp.per_message(
        data, cp.add_list_headers))]),
    ("reencoded", REENCODINGS),
    ("neutral", [("neutral", lambda data, rcpts: cp.per_message(
        data, lambda m: cp.neutralise(m, rcpts)))]),
])


def by_recipient(results):
    """{(mbox part, recipient): sorted result tuples} of one file."""
    groups = collections.defaultdict(list)
    for obj in results:
        key = (obj["part"], (obj.get("recipient") or "").lower())
        groups[key].append(tuple(obj.get(f) for f in FIELDS))
    return {k: sorted(v, key=repr) for k, v in groups.items()}


def describe(rows, results):
    if not rows:
        return "(not found; the message: %s)" % ", ".join(sorted(
            {"class=%s" % o.get("class") for o in results})) if results \
            else "(no result)"
    return " | ".join(" ".join("%s=%s" % (f, v) for f, v in
                               zip(FIELDS, row) if f != "recipient")
                      for row in rows)


def compare_all(name, set_name, base, copy, verbose):
    """Same and differing results of listed and reencoded copies."""
    same = differ = 0
    for file in sorted(copy):
        was, now = by_recipient(base[file]), by_recipient(copy[file])
        for key in sorted(set(was) | set(now)):
            before, after = was.get(key, []), now.get(key, [])
            if before == after:
                same += len(before)
                continue
            if not key[1] and not (before and after):
                # The one result of a message judged not a bounce, come or
                # gone with its recipients: counted with them.
                continue
            differ += max(len(before), len(after))
            if verbose:
                part = "#" + key[0] if key[0] else ""
                print("DIFFER %s %s %s%s %s\n  was: %s\n  now: %s" % (
                    name, set_name, file, part, key[1] or "-",
                    describe(before, base[file]),
                    describe(after, copy[file])))
    return same, differ, {}


def compare_reasons(name, set_name, base, copy, verbose):
    """Recipients whose server's reply was seen: is the reason kept?"""
    same = differ = unstated = 0
    for file in sorted(copy):
        now = {(o["part"], (o.get("recipient") or "").lower()): o
               for o in copy[file] if o.get("bounce")}
        for obj in base[file]:
            if not obj.get("bounce") or not obj.get("recipient"):
                continue
            diagnostic = (obj.get("diagnostic") or "").encode(
                "utf-8", "surrogateescape")
            if not cp.states_reply(diagnostic):
                unstated += 1
                continue
            got = now.get((obj["part"], obj["recipient"].lower()))
            if got is not None and got.get("reason") == obj.get("reason"):
                same += 1
                continue
            differ += 1
            if verbose:
                part = "#" + obj["part"] if obj["part"] else ""
                print("DIFFER %s %s %s%s %s: reason %s -> %s | %s" % (
                    name, set_name, file, part, obj["recipient"],
                    obj.get("reason"),
                    got.get("reason") if got else "(not found)",
                    (obj.get("diagnostic") or "")[:100]))
    return same, differ, {"unstated": unstated}


def run_set(args, set_name, tmp):
    """Print the PROBE lines of one set; False when it cannot be read."""
    list_name, _ = cp.SETS[set_name]
    if not os.path.isfile(os.path.join(args.corpus, list_name)):
        print("corpus probes: set %s skipped (no %s)" % (set_name, list_name))
        return True
    files = cp.read_list(args.corpus, list_name)
    base = cp.classify(args.rebound, files, cwd=args.corpus)
    data = {}
    for file in files:
        with open(os.path.join(args.corpus, file), "rb") as f:
            data[file] = f.read()
    recipients = {file: sorted({(o.get("recipient") or "").lower()
                                for o in base[file]} - {""})
                  for file in files}

    for probe in args.probe:
        compare = compare_reasons if probe == "neutral" else compare_all
        total = collections.Counter()
        for name, change in PROBES[probe]:
            folder = os.path.join(tmp, set_name, name.replace("/", "-"))
            os.makedirs(folder)
            copies = {}
            for i, file in enumerate(files):
                new = change(data[file], recipients[file])
                if new is None:
                    continue
                path = os.path.join(folder, "%04d-%s" % (
                    i, os.path.basename(file)))
                with open(path, "wb") as f:
                    f.write(new)
                copies[path] = file
            got = cp.classify(args.rebound, list(copies))
            copy = {file: got.get(path, []) for path, file in copies.items()}
            same, differ, more = compare(name, set_name, base, copy,
                                         args.verbose)
            counts = collections.Counter(messages=len(copies), same=same,
                                         differ=differ, **more)
            total.update(counts)
            print_probe(name, set_name, counts, more)
        if len(PROBES[probe]) > 1:
            print_probe(probe, set_name, total, {})
    return True


def print_probe(name, set_name, counts, more):
    extra = "".join(" %s=%d" % (k, counts[k]) for k in sorted(more))
    print("PROBE name=%s set=%s messages=%d same=%d differ=%d%s" % (
        name, set_name, counts["messages"], counts["same"],
        counts["differ"], extra))
    sys.stdout.flush()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", default="all",
                    help="all, or probes by name, comma-separated")
    ap.add_argument("--set", choices=list(cp.SETS) + ["all"], default="all")
    ap.add_argument("--rebound", default=os.path.join(here, "..", "cli",
                                                      "rebound"))
    ap.add_argument("--corpus", default=cp.default_corpus(here))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    args.probe = (list(PROBES) if args.probe == "all"
                  else args.probe.split(","))
    unknown = [p for p in args.probe if p not in PROBES]
    if unknown:
        ap.error("unknown probe %s (known: %s)" % (
            ", ".join(unknown), ", ".join(PROBES)))

    if not os.path.isfile(os.path.join(args.corpus, "dev.txt")):
        print("corpus probes: skipped (no %s)" % args.corpus)
        return 0
    if not os.access(args.rebound, os.X_OK):
        print("corpus probes: %s not found" % args.rebound, file=sys.stderr)
        return 2
    args.corpus = os.path.abspath(args.corpus)
    args.rebound = os.path.abspath(args.rebound)

    sets = list(cp.SETS) if args.set == "all" else [args.set]
    with tempfile.TemporaryDirectory(prefix="rebound-probes.") as tmp:
        for set_name in sets:
            run_set(args, set_name, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
