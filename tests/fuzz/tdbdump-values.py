#!/usr/bin/env python3
"""tdbdump-values.py DIR - write each value of a tdbdump listing (stdin)
as one file DIR/value-N.bin: the fuzz_record seeds.  tdbdump prints a
byte outside printable ASCII (and '\\' and '"') as a backslash and two hex
digits."""
import re
import sys

HEX = re.compile(rb"\\([0-9A-Fa-f]{2})")
n = 0
for line in sys.stdin.buffer:
    m = re.match(rb'data\(\d+\) = "(.*)"$', line.rstrip(b"\n"))
    if not m:
        continue
    n += 1
    value = HEX.sub(lambda h: bytes([int(h.group(1), 16)]), m.group(1))
    with open("%s/value-%d.bin" % (sys.argv[1], n), "wb") as f:
        f.write(value)
