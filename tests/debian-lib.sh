# debian-lib.sh - pristine copies of Debian's own Exim and Dovecot
# configuration, for tests that must not depend on what an administrator
# changed in the live /etc/exim4 and /etc/dovecot (sourced by
# tests/test-config-examples.sh and tests/test-debian-install.sh).
#
#   deb_pristine_exim DIR     DIR/conf.d and DIR/exim4.conf.template as the
#                             installed exim4-config package ships them:
#                             from its .deb in apt's cache (or fetched with
#                             apt-get download), else from /etc/exim4 when
#                             every file there still has the package's
#                             checksum.  Returns 1 (with a line saying why)
#                             when there is no pristine copy.
#   deb_update_conf DIR SPLIT RELAY_NETS
#                             DIR/update-exim4.conf.conf: Debian's
#                             defaults for an internet site, split or not,
#                             relaying for RELAY_NETS.
#   deb_pristine_dovecot DIR  DIR/dovecot.conf and DIR/conf.d as
#                             dovecot-core installs them (its copies in
#                             /usr/share/dovecot; the *.ext files from
#                             /etc/dovecot/conf.d).

# deb_from_package PKG DIR: unpack the installed version of PKG's .deb
# into DIR/pkg.
deb_from_package() {
	local pkg=$1 dir=$2 ver deb
	ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || return 1
	# apt's cache names the epoch "1%3a".
	deb=/var/cache/apt/archives/${pkg}_$(printf '%s' "$ver" | sed 's/:/%3a/')_all.deb
	[ -f "$deb" ] || deb=$(ls /var/cache/apt/archives/${pkg}_*"$(printf '%s' "${ver#*:}")"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ] || [ ! -f "$deb" ]; then
		(cd "$dir" && timeout 60 apt-get download -q "$pkg=$ver" >/dev/null 2>&1) || return 1
		deb=$(ls "$dir"/${pkg}_*.deb 2>/dev/null | head -n 1)
		[ -n "$deb" ] || return 1
	fi
	dpkg-deb -x "$deb" "$dir/pkg"
}

# Does every conffile of the package under /etc/exim4 have its checksum?
deb_exim_live_pristine() {
	local path sum bad=0
	while read -r path sum _; do
		case $path in /etc/exim4/*) ;; *) continue ;; esac
		[ -f "$path" ] || { bad=1; continue; }
		[ "$(md5sum < "$path" | cut -d' ' -f1)" = "$sum" ] || bad=1
	done <<EOC
$(dpkg-query -W -f='${Conffiles}\n' exim4-config 2>/dev/null)
EOC
	# No file of anyone else's (a rebound router, say) in conf.d.
	[ "$(find /etc/exim4/conf.d -type f | wc -l)" = \
	  "$(dpkg-query -W -f='${Conffiles}\n' exim4-config | grep -c ' /etc/exim4/conf.d/')" ] || bad=1
	[ $bad = 0 ]
}

deb_pristine_exim() {
	local dir=$1 tmp
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/.deb.XXXXXX") || return 1
	if deb_from_package exim4-config "$tmp" &&
	   [ -f "$tmp/pkg/etc/exim4/exim4.conf.template" ]; then
		cp -r "$tmp/pkg/etc/exim4/conf.d" "$tmp/pkg/etc/exim4/exim4.conf.template" "$dir/"
	elif deb_exim_live_pristine; then
		cp -r /etc/exim4/conf.d /etc/exim4/exim4.conf.template "$dir/"
	else
		rm -rf "$tmp"
		echo "no pristine copy of Debian's Exim configuration (no exim4-config .deb, and /etc/exim4 was changed)"
		return 1
	fi
	rm -rf "$tmp"
	chmod -R a+rX "$dir"
}

deb_update_conf() {
	cat > "$1/update-exim4.conf.conf" <<EOC
dc_eximconfig_configtype='internet'
dc_other_hostnames='rebound.test'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets='$3'
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='$2'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOC
	chmod 644 "$1/update-exim4.conf.conf"
}

deb_pristine_dovecot() {
	local dir=$1 f
	[ -f /usr/share/dovecot/dovecot.conf ] && [ -d /usr/share/dovecot/conf.d ] || {
		echo "no pristine copy of Debian's Dovecot configuration in /usr/share/dovecot"
		return 1
	}
	mkdir -p "$dir/conf.d"
	cp /usr/share/dovecot/dovecot.conf "$dir/"
	for f in /etc/dovecot/conf.d/*.conf; do
		[ -f "/usr/share/dovecot/conf.d/${f##*/}" ] &&
			cp "/usr/share/dovecot/conf.d/${f##*/}" "$dir/conf.d/"
	done
	cp /etc/dovecot/conf.d/*.ext "$dir/conf.d/" 2>/dev/null
	chmod -R a+rX "$dir"
}
