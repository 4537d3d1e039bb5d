#!/usr/bin/env python3
"""bench-corpus.py - `rebound classify` over many real files against `cat`
over the same files (issue 21): what classifying costs beyond reading.

The file list is the development corpus's dev.txt (../shared/corpus, or
--corpus DIR) repeated --copies times (20: 14,940 files), given to one
process as its arguments, output to /dev/null.  Each round runs `cat`,
then every binary named (--rebound, and --other to compare two builds),
one after the other, so that a busy machine weighs on all of them alike;
for each run it takes the wall time and the CPU time the child used
(user + system, from getrusage; the system part is shown too).  Prints
the median of each over the rounds and the median of the per-round
ratios to `cat`.  A measurement,
not a test; `make bench-corpus` runs it.

  tests/bench-corpus.py [--rebound cli/rebound] [--other OLD_REBOUND]
                        [--corpus DIR] [--copies 20] [--rounds 11]
                        [--json]

Exits 0, or 2 when it cannot run (no corpus: skipped).
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(argv, cwd):
    """Wall, CPU and system seconds of one run of argv (output to
    /dev/null)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        rc = subprocess.run(argv, cwd=cwd, stdout=null,
                            stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys_s = after.ru_stime - before.ru_stime
    cpu = (after.ru_utime - before.ru_utime) + sys_s
    return rc, wall, cpu, sys_s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--rebound", default=os.path.join(here, "..", "cli",
                                                      "rebound"))
    ap.add_argument("--other", help="a second rebound binary to compare")
    ap.add_argument("--corpus", default=os.environ.get(
        "REBOUND_CORPUS", os.path.join(here, "..", "..", "shared", "corpus")))
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--json", action="store_true",
                    help="classify --json instead of the table")
    a = ap.parse_args()

    listing = os.path.join(a.corpus, "dev.txt")
    if not os.path.isfile(listing):
        print("bench-corpus: skipped (no %s)" % listing)
        return 2
    with open(listing) as f:
        files = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    files = files * a.copies
    size = sum(os.path.getsize(os.path.join(a.corpus, p)) for p in files)

    mode = ["classify", "--json"] if a.json else ["classify"]
    cmds = [("cat", ["cat"] + files)]
    for name, binary in (("rebound", a.rebound), ("other", a.other)):
        if binary is None:
            continue
        binary = os.path.abspath(binary)
        if not os.access(binary, os.X_OK):
            print("bench-corpus: %s: not an executable" % binary)
            return 2
        cmds.append((name, [binary] + mode + files))

    # One run of each first: the files in the page cache, and a binary
    # that fails says so before anything is timed.
    for name, argv in cmds:
        rc, _, _, _ = run_once(argv, a.corpus)
        if rc != 0:
            print("bench-corpus: %s exits %d" % (name, rc))
            return 1

    wall = {name: [] for name, _ in cmds}
    cpu = {name: [] for name, _ in cmds}
    ksys = {name: [] for name, _ in cmds}
    for _ in range(a.rounds):
        for name, argv in cmds:
            _, w, c, k = run_once(argv, a.corpus)
            wall[name].append(w)
            cpu[name].append(c)
            ksys[name].append(k)

    print("bench-corpus: %d files (dev.txt x %d, %.1f MB), %d rounds, "
          "rebound %s" % (len(files), a.copies, size / 1e6, a.rounds,
                          " ".join(mode)))
    for name, argv in cmds:
        label = argv[0] if name == "cat" else "%s (%s)" % (name, argv[0])
        line = "  %-40s wall %7.1f ms  CPU %7.1f ms (system %5.1f)" % (
            label, statistics.median(wall[name]) * 1e3,
            statistics.median(cpu[name]) * 1e3,
            statistics.median(ksys[name]) * 1e3)
        if name != "cat":
            rw = statistics.median(
                [x / y for x, y in zip(wall[name], wall["cat"])])
            rc = statistics.median(
                [x / y for x, y in zip(cpu[name], cpu["cat"])])
            line += "  x cat: wall %.2f, CPU %.2f" % (rw, rc)
        print(line)
    if a.other is not None:
        rw = statistics.median(
            [x / y for x, y in zip(wall["rebound"], wall["other"])])
        rc = statistics.median(
            [x / y for x, y in zip(cpu["rebound"], cpu["other"])])
        print("  rebound / other (medians of per-round ratios): wall %.3f, "
              "CPU %.3f" % (rw, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
