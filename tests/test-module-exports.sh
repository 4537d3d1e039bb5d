#!/bin/sh
# test-module-exports.sh - the Exim module and the Dovecot plugin export
# exactly the symbols their hosts look up, nothing of the core.
#
# Both hosts load modules into one symbol namespace with everything else
# (Dovecot opens plugins RTLD_GLOBAL), so a leaked core symbol could clash.

command -v nm >/dev/null 2>&1 || { echo "SKIP: nm not found"; exit 77; }

if [ -z "$REBOUND_EXIM_MODULE" ] && [ -z "$REBOUND_DOVECOT_PLUGIN" ]; then
	echo "SKIP: neither the Exim module nor the Dovecot plugin is built"
	exit 77
fi

status=0

# check_exports FILE EXPECTED-NAMES...
check_exports() {
	file=$1
	shift
	want=$(printf '%s\n' "$@" | LC_ALL=C sort)
	got=$(nm -D --defined-only "$file" | awk 'NF == 3 { print $3 }' | LC_ALL=C sort)
	if [ "$got" = "$want" ]; then
		echo "ok: $file exports: $(echo $got)"
	else
		echo "FAIL: $file"
		echo "  expected: $(echo $want)"
		echo "  exported: $(echo $got)"
		status=1
	fi
}

if [ -n "$REBOUND_EXIM_MODULE" ]; then
	check_exports "$REBOUND_EXIM_MODULE" \
		local_scan local_scan_version_major local_scan_version_minor \
		rebound_suppressed rebound_event \
		rebound_return_path
fi
if [ -n "$REBOUND_DOVECOT_PLUGIN" ]; then
	check_exports "$REBOUND_DOVECOT_PLUGIN" \
		rebound_plugin_init rebound_plugin_deinit \
		rebound_plugin_version rebound_plugin_dependencies
fi
exit $status
