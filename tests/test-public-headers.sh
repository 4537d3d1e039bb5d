#!/bin/sh
# test-public-headers.sh - the adapters and the command include each part
# of the core through its one public header (common/README.md):
# exim/ and dovecot/ only mail/mail.h, classify/classify.h and
# ledger/ledger.h; cli/ only mail/mail.h, classify/classify.h and
# admin/admin.h.  Prints every other core header they include.
top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bad=0
check() {	# check DIR ALLOWED...
	dir=$1
	shift
	for f in "$top/$dir"/*.c "$top/$dir"/*.h; do
		[ -f "$f" ] || continue
		grep -o '#include "\(common/\)\{0,1\}\(mail\|classify\|ledger\|admin\)/[^"]*"' "$f" |
		sed 's/#include "//; s/"$//; s|^common/||' |
		while read -r h; do
			ok=no
			for a in "$@"; do [ "$h" = "$a" ] && ok=yes; done
			[ $ok = yes ] || echo "$dir/$(basename "$f"): includes $h"
		done
	done
}
out=$(check exim mail/mail.h classify/classify.h ledger/ledger.h
	check dovecot mail/mail.h classify/classify.h ledger/ledger.h
	check cli mail/mail.h classify/classify.h admin/admin.h)
if [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: core headers other than the public ones"
	exit 1
fi
echo "ok: exim/, dovecot/ and cli/ use the public headers only"
