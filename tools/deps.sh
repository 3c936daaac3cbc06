#!/bin/sh
# Install the Debian 12 packages that tandem's build, tests and demo need.
# Safe to run again: it installs only what is missing, and runs
# `apt-get update` at most once per call, quietly and without prompts.
set -eu

PACKAGES="
build-essential pkg-config clang libclang-rt-14-dev
libblkid-dev libmount-dev libdevmapper-dev libsystemd-dev libiscsi-dev
libinih-dev libjson-c-dev libcmocka-dev libmnl-dev
tgt libiscsi-bin
e2fsprogs xfsprogs util-linux kmod cpio
qemu-system-x86 busybox-static open-iscsi mdadm dmsetup
sg3-utils libxml2-utils resource-agents fence-agents python3 gdb
debootstrap systemd-container iproute2 openssh-client
postgresql-client-15 gawk
"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root to install packages" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tgt and open-iscsi ship services; tests start their own daemons, so keep
# the packaged ones from starting at install time.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
rc=0
apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing >/dev/null || rc=$?
[ "$made_policy" -eq 1 ] && rm -f "$policy"
exit $rc
