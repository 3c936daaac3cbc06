# shellcheck shell=bash
# Host-side helpers of the QEMU rig, sourced by run.sh: fetch and cache a
# stock Debian kernel, build (and cache) the base initramfs, stage per-run
# files. Everything cached lives under $RIG_CACHE, outside the repo.
#
# Cache layout, one directory per kernel package version:
#   $RIG_CACHE/<kernel-release>_<package-version>/
#     vmlinuz  kver  .complete             the kernel, its release string
#     vmlinux                              vmlinuz decompressed (see rig_vmlinux)
#     root/lib/modules/<kernel-release>/   all modules, depmod'ed
#     initrd-base-<hash>.cpio              busybox + modules + tools + guest files
# <hash> covers the kernel, every file in tests/rig/qemu/ and the host tools
# copied in, so editing the rig or upgrading a tool rebuilds the base.

# run.sh sets RIG_DIR (this directory) and reads what these functions set:
# RIG_KDIR, RIG_KVER, RIG_KERNEL, RIG_BASE, RIG_SKIP_REASON, RIG_WORK (a
# half-built cache entry to remove if the run is interrupted).
# shellcheck disable=SC2034
: "${RIG_DIR:?RIG_DIR must name tests/rig/qemu}"
RIG_CACHE=${TANDEM_RIG_CACHE:-/var/cache/tandem-tests/qemu}
RIG_WORK="" RIG_BASE=""

# Modules the guest loads, in this order (dependencies are resolved on the
# host through modules.dep and loaded first). configfs is a module on Debian.
RIG_MODULES="configfs loop sd_mod sg scsi_transport_iscsi libiscsi iscsi_tcp
target_core_mod target_core_file iscsi_target_mod md_mod raid1 dm_mod
dm_mirror dm_raid dm_multipath dm_round_robin dm_service_time dm_queue_length
ext4"

# Host tools copied into the base image with their shared libraries.
RIG_TOOLS="iscsid iscsiadm mdadm dmsetup mkfs.ext4 mke2fs e2fsck tune2fs
dumpe2fs sg_persist sg_inq sg_turs sg_readcap sg_vpd losetup blkid"

rig_say() { printf 'rig: %s\n' "$*" >&2; }

# rig_kernel: sets RIG_KDIR (cache dir) and RIG_KVER (kernel release).
# Downloads the current linux-image package when it is not cached yet; falls
# back to the newest cached kernel when that fails. Returns 1 (with
# RIG_SKIP_REASON set) when no kernel can be had.
rig_kernel() {
	local pkg="" ver="" dep dir work deb kver
	# The metapackage pins the current image exactly, as `apt-cache depends
	# linux-image-amd64` shows; one apt-cache call (each takes ~1 s) gives
	# name and version: "Depends: linux-image-6.1.0-NN-amd64 (= VERSION)".
	dep=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' |
		head -n 1) || dep=""
	if [ -n "$dep" ]; then
		pkg=${dep% *}
		ver=${dep#* }
	fi
	if [ -n "$pkg" ] && [ -n "$ver" ]; then
		dir=$RIG_CACHE/${pkg#linux-image-}_$ver
		if [ ! -f "$dir/.complete" ]; then
			rig_say "fetching $pkg $ver (once; cached in $dir)"
			work=$(mktemp -d "$RIG_CACHE/.fetch.XXXXXX")
			RIG_WORK=$work # removed by run.sh's cleanup if we are interrupted
			# apt's sandbox user cannot write into a root-only dir.
			if (cd "$work" && apt-get download -q -o APT::Sandbox::User=root \
				"$pkg=$ver" >download.log 2>&1); then
				deb=$(ls "$work"/*.deb)
				kver=${pkg#linux-image-}
				dpkg-deb -x "$deb" "$work/x"
				rm -f "$deb"
				mkdir -p "$work/k/root/lib/modules"
				mv "$work/x/boot/vmlinuz-$kver" "$work/k/vmlinuz"
				mv "$work/x/boot/config-$kver" "$work/k/config"
				mv "$work/x/lib/modules/$kver" "$work/k/root/lib/modules/"
				depmod -b "$work/k/root" "$kver"
				echo "$kver" >"$work/k/kver"
				touch "$work/k/.complete"
				rm -rf "$dir"
				mv "$work/k" "$dir"
			else
				rig_say "download of $pkg failed: $(tail -n 1 "$work/download.log")"
			fi
			rm -rf "$work"
			RIG_WORK=""
		fi
		if [ -f "$dir/.complete" ]; then
			RIG_KDIR=$dir
			RIG_KVER=$(cat "$dir/kver")
			rig_vmlinux
			return 0
		fi
	fi
	# Offline, or apt knows no kernel: take the newest complete cached one.
	dir=$(find "$RIG_CACHE" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' 2>/dev/null |
		sort -V | tail -n 1)
	if [ -n "$dir" ]; then
		rig_say "using cached kernel $(basename "$dir") (current one unavailable)"
		RIG_KDIR=$dir
		RIG_KVER=$(cat "$dir/kver")
		rig_vmlinux
		return 0
	fi
	RIG_SKIP_REASON="no Debian kernel: linux-image-amd64 cannot be downloaded and none is cached in $RIG_CACHE"
	return 1
}

# rig_vmlinux: sets RIG_KERNEL, the image QEMU boots. Debian's bzImage is
# XZ-compressed, and its decompressor takes ~6 s under TCG; the ELF inside
# has a PVH entry note (CONFIG_PVH), so QEMU can load it directly, already
# decompressed. Extracted once per cached kernel; vmlinuz when that fails.
rig_vmlinux() {
	local off
	RIG_KERNEL=$RIG_KDIR/vmlinuz
	if [ ! -f "$RIG_KDIR/vmlinux" ] && [ ! -f "$RIG_KDIR/.no-vmlinux" ] &&
		command -v xz >/dev/null; then
		# the first XZ stream in the bzImage is the kernel
		off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$RIG_KDIR/vmlinuz" |
			head -n 1 | cut -d: -f1) || off=""
		if [ -n "$off" ] &&
			tail -c +"$((off + 1))" "$RIG_KDIR/vmlinuz" |
			xz -dc --single-stream >"$RIG_KDIR/vmlinux.tmp" 2>/dev/null &&
			[ "$(head -c 4 "$RIG_KDIR/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$RIG_KDIR/vmlinux.tmp" "$RIG_KDIR/vmlinux"
		else
			rm -f "$RIG_KDIR/vmlinux.tmp"
			touch "$RIG_KDIR/.no-vmlinux"
			rig_say "cannot extract vmlinux; booting the compressed kernel (slower)"
		fi
	fi
	[ -f "$RIG_KDIR/vmlinux" ] && RIG_KERNEL=$RIG_KDIR/vmlinux
	return 0
}

# rig_mod_closure ROOT KVER LIST OUT: appends "path params" lines (paths
# relative to ROOT, dependencies first, no duplicates) for each module in
# LIST to OUT. modprobe resolves modules.dep and softdeps; -C /dev/null keeps
# the host's modprobe.d options out.
rig_mod_closure() {
	local root=$1 kver=$2 list=$3 out=$4 m
	for m in $list; do
		modprobe -C /dev/null -d "$root" -S "$kver" --show-depends "$m" ||
			{ rig_say "module $m not found in kernel $kver"; return 1; }
	done | awk -v root="$root/" '
		$1 == "builtin" { next }
		$1 == "insmod" {
			p = $2; sub("^" root, "/", p); gsub("//+", "/", p)
			if (seen[p]++) next
			$1 = ""; $2 = ""; sub(/^ +/, "")
			print p, $0
		}' >>"$out"
}

# rig_stage_modules STAGE ROOT KVER LIST ORDERFILE: copies LIST's closure
# into STAGE and writes the guest's load order (guest paths) to ORDERFILE.
rig_stage_modules() {
	local stage=$1 root=$2 kver=$3 list=$4 order=$5 p rest
	: >"$order"
	rig_mod_closure "$root" "$kver" "$list" "$order.tmp" || return 1
	while read -r p rest; do
		mkdir -p "$stage$(dirname "$p")"
		cp "$root$p" "$stage$p"
		printf '%s %s\n' "$p" "$rest" >>"$order"
	done <"$order.tmp"
	rm -f "$order.tmp"
}

# rig_layout STAGE: the usrmerged skeleton every archive shares, so that a
# later archive's /lib/... lands in the same directories as the first one's.
rig_layout() {
	local s=$1 d
	for d in usr/bin usr/sbin usr/lib usr/lib64 usr/local/bin etc rig; do
		mkdir -p "$s/$d"
	done
	for d in bin sbin lib lib64; do
		[ -e "$s/$d" ] || ln -s "usr/$d" "$s/$d"
	done
}

# rig_copy_bin STAGE SRC DEST: copies a program to DEST in STAGE, with every
# shared library ldd names (at the same path as on the host).
rig_copy_bin() {
	local s=$1 src=$2 dest=$3 lib
	mkdir -p "$s$(dirname "$dest")"
	cp -L "$src" "$s$dest"
	chmod 0755 "$s$dest"
	# Static programs and scripts have no libraries; ldd fails on them.
	for lib in $(ldd "$src" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$s$lib" ] && continue
		mkdir -p "$s$(dirname "$lib")"
		cp -L "$lib" "$s$lib"
	done
}

# rig_cpio STAGE OUT: writes STAGE as a newc archive owned by root. It stays
# uncompressed: decompressing under TCG costs more than reading it.
rig_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$2"
}

# rig_base_key: hash of everything the base archive is made from.
rig_base_key() {
	local t tools=""
	for t in $RIG_TOOLS busybox; do
		tools="$tools $(command -v "$t")"
	done
	{
		echo "$RIG_KVER $RIG_MODULES $RIG_TOOLS"
		# shellcheck disable=SC2086 # word splitting wanted
		sha256sum $tools
		find "$RIG_DIR" -type f | LC_ALL=C sort | xargs sha256sum
	} | sha256sum | cut -c1-16
}

# rig_base: sets RIG_BASE, building the base archive when it is not cached.
rig_base() {
	local key stage t p
	key=$(rig_base_key)
	RIG_BASE=$RIG_KDIR/initrd-base-$key.cpio
	[ -f "$RIG_BASE" ] && return 0
	rig_say "building base initramfs ($RIG_KVER, key $key)"
	for t in $RIG_TOOLS busybox cpio; do
		command -v "$t" >/dev/null ||
			{ RIG_SKIP_REASON="host tool $t is missing (run tools/deps.sh)"; return 77; }
	done
	stage=$(mktemp -d "$RIG_KDIR/.base.XXXXXX")
	RIG_WORK=$stage
	rig_layout "$stage"
	mkdir -p "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" "$stage/run" \
		"$stage/root" "$stage/mnt" "$stage/var"
	# The kernel opens /dev/console before init runs; without the node init
	# starts with no stdio (init redirects again after mounting devtmpfs).
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
	cp "$(command -v busybox)" "$stage/usr/bin/busybox"
	for p in $(busybox --list-full); do
		case $p in linuxrc | sbin/init) continue ;; esac
		mkdir -p "$stage/$(dirname "$p")"
		[ -e "$stage/$p" ] || ln -s /usr/bin/busybox "$stage/$p"
	done
	# Real tools replace busybox applets of the same name (losetup, mke2fs).
	for t in $RIG_TOOLS; do
		p=$(command -v "$t")
		rm -f "$stage$p"
		rig_copy_bin "$stage" "$p" "$p"
	done
	rig_stage_modules "$stage" "$RIG_KDIR/root" "$RIG_KVER" "$RIG_MODULES" \
		"$stage/rig/modules.order" || { rm -rf "$stage"; return 1; }
	echo "$RIG_MODULES" >"$stage/rig/modules.want"
	# modules.dep for the subset, so the kernel's request_module (busybox
	# modprobe) finds what is there.
	cp "$RIG_KDIR/root/lib/modules/$RIG_KVER/modules.order" \
		"$RIG_KDIR/root/lib/modules/$RIG_KVER/modules.builtin"* \
		"$stage/lib/modules/$RIG_KVER/"
	depmod -b "$stage" "$RIG_KVER"
	cp -R "$RIG_DIR/guest/." "$stage/"
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$stage/etc/"
	chmod 0755 "$stage/init"
	rig_cpio "$stage" "$RIG_BASE.tmp"
	rm -rf "$stage"
	RIG_WORK=""
	# Older bases for this kernel were built from older rig files.
	find "$RIG_KDIR" -maxdepth 1 -name 'initrd-base-*.cpio' ! -name "${RIG_BASE##*/}" -delete
	mv "$RIG_BASE.tmp" "$RIG_BASE"
}
