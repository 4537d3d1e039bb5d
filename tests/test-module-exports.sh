#!/bin/sh
# test-module-exports.sh - the Exim module and the Dovecot plugin export
# exactly the symbols their hosts look up, nothing of the core, and hold
# no code of the admin library (the command's side, common/admin/).
#
# Both hosts load modules into one symbol namespace with everything else
# (Dovecot opens plugins RTLD_GLOBAL), so a leaked core symbol could clash.
# The admin library's code is of no use in a server; its symbols are
# listed from the library itself, so the check follows it as it grows.

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

# check_no_admin FILE: none of the admin library's global symbols among
# FILE's symbols (hidden ones included; a stripped file cannot tell).
admin_lib=${abs_top_builddir:-.}/common/.libs/librebound-admin.a
admin_syms=$(nm -g --defined-only "$admin_lib" 2>/dev/null |
	awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u)
if [ -z "$admin_syms" ]; then
	echo "FAIL: no symbols read from $admin_lib"
	status=1
fi
check_no_admin() {
	file=$1
	all=$(nm "$file" 2>/dev/null | awk 'NF == 3 { print $3 }')
	if ! printf '%s\n' "$all" | grep -qx rebound_ledger_open; then
		echo "SKIP: $file has no symbol table (stripped?): admin code not checked"
		return
	fi
	found=
	for sym in $admin_syms; do
		if printf '%s\n' "$all" | grep -qx "$sym"; then
			found="$found $sym"
		fi
	done
	if [ -z "$found" ]; then
		echo "ok: $file holds none of the admin library's" \
			"$(echo $admin_syms | wc -w) symbols"
	else
		echo "FAIL: $file holds admin code:$found"
		status=1
	fi
}

if [ -n "$REBOUND_EXIM_MODULE" ]; then
	check_no_admin "$REBOUND_EXIM_MODULE"
fi
if [ -n "$REBOUND_DOVECOT_PLUGIN" ]; then
	check_no_admin "$REBOUND_DOVECOT_PLUGIN"
fi

if [ -n "$REBOUND_EXIM_MODULE" ]; then
	check_exports "$REBOUND_EXIM_MODULE" \
		local_scan local_scan_version_major local_scan_version_minor \
		rebound_suppressed rebound_event rebound_preload \
		rebound_return_path
fi
if [ -n "$REBOUND_DOVECOT_PLUGIN" ]; then
	check_exports "$REBOUND_DOVECOT_PLUGIN" \
		rebound_plugin_init rebound_plugin_deinit \
		rebound_plugin_version rebound_plugin_dependencies
fi
exit $status
