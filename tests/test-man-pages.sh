#!/bin/bash
# test-man-pages.sh - the manual pages render with "man --warnings"
# without a single warning, at 80 columns (what man uses without a
# terminal; rebound.conf(5)'s preset table needs more than 60).
top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v man >/dev/null 2>&1 || { echo "SKIP: man is not installed"; exit 77; }
failed=0
for page in rebound.1 rebound.conf.5 rebound-mta.7; do
	for width in 80; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=$width man --warnings -E UTF-8 \
			-l "$top/doc/$page" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			echo "FAIL: $page at $width columns:"
			printf '%s\n' "$out"
			failed=1
		else
			echo "ok: $page at $width columns"
		fi
	done
done
exit $failed
