#!/bin/bash
# tests/rig/cluster/build-rootfs.sh: build (once) the root filesystem that the
# cluster rig boots as each node, and print its path.
#
#   build-rootfs.sh            print the cached image's path, building it first
#                              when the cache has no image for the current key
#   build-rootfs.sh --key      print the cache key only
#
# The image is Debian 12 (bookworm), debootstrap --variant=minbase, plus the
# packages listed in tests/rig/cluster/packages (installed with apt-get,
# without Recommends). It lives in
#   ${TANDEM_CLUSTER_CACHE:-/var/cache/tandem-tests/cluster-rootfs}/<key>/rootfs
# where <key> is a hash of this script and the package list: editing either
# builds a new image on the next run. Builds run under a lock (flock on
# <cache>/.lock), into <cache>/<key>.tmp.<pid>, renamed into place only when
# complete, so a half-built image is never used. Old keys are left alone
# (remove them by hand).
#
# The image is never booted nor written by the rig: each node boots an
# overlay of it (see cluster.sh). What the image holds besides the packages:
# - no machine-id, no SSH host keys, hostname "localhost": the rig writes
#   per-node ones;
# - postgresql.service disabled, and the default cluster 15/main set to
#   start.conf "manual": PostgreSQL does not start at boot, but
#   `systemctl start postgresql@15-main` and pg_ctlcluster still work;
# - apt's, dpkg's and e2scrub's timers and fstrim.timer masked, so that
#   nodes stay quiet and their boots deterministic;
# - sshd: root login by key only, no DNS lookups, the ed25519 host key only.
#
# Mirror: TANDEM_DEBIAN_MIRROR, else the first URI for bookworm in the host's
# apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.{list,sources}).
# Needs root, debootstrap, flock, unshare, and network access to that mirror.
set -eu
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TANDEM_CLUSTER_CACHE:-/var/cache/tandem-tests/cluster-rootfs}
suite=bookworm

log() {
	printf 'cluster rootfs: %s\n' "$*" >&2
}

packages() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages" | grep -v '^$'
}

key() {
	cat "$here/build-rootfs.sh" "$here/packages" | sha256sum | cut -c1-16
}

# The host's Debian mirror for $suite.
mirror() {
	local f m
	if [ -n "${TANDEM_DEBIAN_MIRROR:-}" ]; then
		echo "$TANDEM_DEBIAN_MIRROR"
		return 0
	fi
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		m=$(awk -v s="$suite" '$1 == "deb" && $0 !~ /^[[:space:]]*#/ {
			i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit } }' "$f")
		[ -n "$m" ] && { echo "$m"; return 0; }
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822 stanzas: the URIs of the first stanza whose Suites has $suite.
		m=$(awk -v s="$suite" '
			/^[[:space:]]*$/ { if (uri != "" && hit) { print uri; exit } uri = ""; hit = 0; next }
			/^#/ { next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
			END { if (uri != "" && hit) print uri }' "$f" | head -n 1)
		[ -n "$m" ] && { echo "$m"; return 0; }
	done
	return 1
}

# Runs inside the new rootfs (chroot, private mount namespace): install the
# packages and shape the image.
configure_script() {
	cat <<'EOS'
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get update -q
apt-get install -y -q --no-install-recommends "$@"
apt-get clean
rm -rf /var/lib/apt/lists/*
rm -f /usr/sbin/policy-rc.d

# PostgreSQL: installed, never started at boot (the tandem units start it).
systemctl disable postgresql.service
for f in /etc/postgresql/*/*/start.conf; do
	[ -e "$f" ] && sed -i 's/^auto$/manual/' "$f"
done
# Quiet, deterministic nodes: no periodic jobs.
for t in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	 e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
	systemctl mask "$t" >/dev/null 2>&1 || true
done

# sshd: the rig writes an ed25519 host key per node.
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/ssh/sshd_config.d
cat >/etc/ssh/sshd_config.d/tandem-rig.conf <<'EOF'
# tandem cluster rig: root by key only, one host key, no DNS.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
systemctl enable ssh.service

# Identity: written per node by the rig.
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
echo localhost >/etc/hostname
# Names come from /etc/hosts, which the rig writes per node.
: >/etc/resolv.conf
EOS
}

build() {
	local key=$1 dest=$2 tmp mirror t0 pkgs
	mirror=$(mirror) || {
		log "no Debian mirror for $suite in /etc/apt/sources.list*; set TANDEM_DEBIAN_MIRROR"
		return 1
	}
	tmp=$dest.tmp.$$
	rm -rf -- "$tmp"
	mkdir -p "$tmp"
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf -- '$tmp'" EXIT
	mapfile -t pkgs < <(packages)
	t0=$SECONDS
	log "building $key from $mirror (debootstrap --variant=minbase $suite)"
	if ! debootstrap --variant=minbase "$suite" "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
		log "debootstrap failed; the end of its log:"
		tail -n 30 "$tmp/debootstrap.log" | sed 's/^/  | /' >&2
		return 1
	fi
	log "debootstrap done in $((SECONDS - t0))s; installing ${#pkgs[@]} packages"
	configure_script >"$tmp/rootfs/tmp/configure.sh"
	# A private mount namespace: /proc, /sys, /dev vanish with it, whatever
	# happens.
	# shellcheck disable=SC2016 # expanded by the inner bash
	if ! unshare -m --propagation private -- bash -c '
		set -e
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount --rbind /dev "$r/dev"
		exec chroot "$r" /bin/bash /tmp/configure.sh "$@"' _ "$tmp/rootfs" "${pkgs[@]}" \
		>"$tmp/configure.log" 2>&1; then
		log "configuring the image failed; the end of its log:"
		tail -n 30 "$tmp/configure.log" | sed 's/^/  | /' >&2
		return 1
	fi
	rm -f "$tmp/rootfs/tmp/configure.sh"
	printf '%s\n' "${pkgs[@]}" >"$tmp/packages"
	echo "$mirror" >"$tmp/mirror"
	touch "$tmp/rootfs/.tandem-rig-complete"
	mv -T -- "$tmp" "$dest"
	trap - EXIT
	log "built $dest in $((SECONDS - t0))s ($(du -sh "$dest/rootfs" | cut -f1))"
}

main() {
	local key dest
	key=$(key)
	if [ "${1:-}" = --key ]; then
		echo "$key"
		return 0
	fi
	dest=$cache/$key
	if [ ! -e "$dest/rootfs/.tandem-rig-complete" ]; then
		mkdir -p "$cache"
		exec 9>"$cache/.lock"
		if ! flock -w "${TANDEM_CLUSTER_LOCK_TIMEOUT:-1200}" 9; then
			log "timed out waiting for the lock on $cache/.lock"
			return 1
		fi
		# Another run may have built it while we waited.
		[ -e "$dest/rootfs/.tandem-rig-complete" ] || build "$key" "$dest"
		exec 9>&-
	fi
	echo "$dest/rootfs"
}

main "$@"
