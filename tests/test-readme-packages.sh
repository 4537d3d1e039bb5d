#!/bin/bash
# test-readme-packages.sh - the README's first command installs the same
# Debian packages as the CI script (.ci/run), so that a newcomer's machine
# is the one the tests run on.  Skipped where .ci/run is not shipped (a
# release tarball).

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
[ -f "$top/.ci/run" ] || { echo "SKIP: no .ci/run (not a git checkout)"; exit 77; }

# The words after "apt-get install -y" up to the first "&&" or the end of
# the (backslash-continued) command.
readme=$(grep -m1 'apt-get install -y' "$top/README.md" |
	sed 's/.*apt-get install -y//; s/&&.*//' | tr ' ' '\n' | grep . | sort)
ci=$(sed -n '/apt-get install -y/,/^[^\\]*$/p' "$top/.ci/run" |
	sed 's/.*apt-get install -y//; s/\\$//' | tr ' \t' '\n\n' | grep . | sort)
if [ -z "$readme" ] || [ -z "$ci" ]; then
	echo "FAIL: no package list found (README: ${readme:+yes}, .ci/run: ${ci:+yes})"
	exit 1
fi
if [ "$readme" = "$ci" ]; then
	echo "ok: README and .ci/run install the same $(printf '%s\n' "$readme" | wc -l) packages"
	exit 0
fi
echo "FAIL: the README's packages differ from .ci/run's (< README, > .ci/run):"
diff <(printf '%s\n' "$readme") <(printf '%s\n' "$ci")
exit 1
