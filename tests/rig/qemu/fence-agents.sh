# shellcheck shell=bash
# Host-side part of the QEMU rig for run.sh --fence-scsi: an extra archive
# with Python 3 and fence-agents' fence_scsi, copied from the host's Debian
# packages (python3-minimal, libpython3.11-stdlib, fence-agents and what
# fencing.py imports: python3-pycurl, python3-pexpect). Only the modules that
# fence_scsi really imports go in: they are found by running the host's
# fence_scsi once ("off" against stub sg_persist/sg_turs, so that the
# status/run_command path runs too) and listing sys.modules, then checked by
# running the staged copy in a chroot.
#
# Cached, independent of the kernel, one archive per set of versions:
#   $RIG_CACHE/fence-agents/fence-agents-<ver>_python<ver>_<hash>.cpio
# <hash> covers the package versions, the interpreter, fence_scsi, fencing.py
# and this file. Built only when a run asks for it; the default boot does not
# carry it.
#
# In the guest: /usr/bin/python3 (-> python3.11), /usr/sbin/fence_scsi,
# /usr/share/fence/fencing.py. fence_scsi runs sg_turs and sg_persist from
# /usr/bin, which the base archive has; "off" reads the fencing node's own
# key from /var/run/cluster.key (what "on" writes there).

# Sets RIG_FA_CPIO; uses RIG_WORK and RIG_SKIP_REASON as lib.sh does.
# shellcheck disable=SC2034

# Packages whose versions name the archive.
RIG_FA_PKGS="fence-agents python3-minimal python3.11-minimal libpython3.11-minimal
libpython3.11-stdlib python3-pycurl python3-pexpect python3-ptyprocess"

# rig_fa_python: the interpreter fence_scsi's "#!/usr/bin/python3" runs.
rig_fa_python() {
	readlink -f /usr/bin/python3 2>/dev/null
}

# rig_fa_key: hash of everything the archive is made from.
rig_fa_key() {
	local py
	py=$(rig_fa_python)
	{
		# shellcheck disable=SC2086 # word splitting wanted
		dpkg-query -W -f '${Package}=${Version}\n' $RIG_FA_PKGS 2>/dev/null
		"$py" -VV
		sha256sum "$py" /usr/sbin/fence_scsi /usr/share/fence/fencing.py \
			"$RIG_DIR/fence-agents.sh"
	} | sha256sum | cut -c1-12
}

# rig_fa_trace PY STAGE OUT: runs the host's fence_scsi under PY and writes
# the file of every module it imported to OUT. The environment is the
# guest's (no locale variables), so the same codecs load.
rig_fa_trace() {
	local py=$1 tmp=$2 out=$3 dev
	cat >"$tmp/stub" <<-'EOF'
		#!/bin/sh
		# stands in for sg_turs and sg_persist: "A is registered"
		echo "  PR generation=0x1, 1 registered reservation key follows:"
		echo "    0xaaaa"
	EOF
	chmod 0755 "$tmp/stub"
	cat >"$tmp/trace.py" <<-'EOF'
		import runpy, sys
		out = sys.argv[1]
		sys.argv = sys.argv[2:]
		try:
		    runpy.run_path(sys.argv[0], run_name="__main__")
		except SystemExit:
		    pass
		finally:
		    with open(out, "w") as f:
		        for m in list(sys.modules.values()):
		            p = getattr(m, "__file__", None)
		            if p:
		                f.write(p + "\n")
	EOF
	# Any block device will do: fence_scsi only stat()s it, the stub answers.
	dev=$(find /dev -maxdepth 1 -type b 2>/dev/null | head -n 1)
	# fence_scsi fails once it wants this node's key file; by then it has
	# parsed its options, asked for the status and started "off".
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
		"$py" "$tmp/trace.py" "$out" /usr/sbin/fence_scsi -o off -k aaaa \
		-d "${dev:-/dev/null}" --sg_persist-path "$tmp/stub" \
		--sg_turs-path "$tmp/stub" >"$tmp/trace.log" 2>&1 </dev/null || true
	[ -s "$out" ]
}

# rig_fence_agents: sets RIG_FA_CPIO, building the archive when it is not
# cached. Returns 77 with RIG_SKIP_REASON set when the host lacks a part.
rig_fence_agents() {
	local py pyver fav key dir stage f n
	py=$(rig_fa_python)
	for f in "$py" /usr/sbin/fence_scsi /usr/share/fence/fencing.py; do
		if [ -z "$f" ] || [ ! -f "$f" ]; then
			RIG_SKIP_REASON="${f:-/usr/bin/python3} is missing (fence-agents and python3 from tools/deps.sh)"
			return 77
		fi
	done
	pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	fav=$(dpkg-query -W -f '${Version}' fence-agents 2>/dev/null) || fav=unknown
	key=$(rig_fa_key)
	dir=$RIG_CACHE/fence-agents
	RIG_FA_CPIO=$dir/fence-agents-${fav}_python${pyver}_$key.cpio
	[ -f "$RIG_FA_CPIO" ] && return 0
	rig_say "building the fence_scsi archive (fence-agents $fav, python $pyver, key $key)"
	mkdir -p "$dir"
	stage=$(mktemp -d "$dir/.build.XXXXXX")
	RIG_WORK=$stage
	mkdir -p "$stage/.t"
	if ! rig_fa_trace "$py" "$stage/.t" "$stage/.t/modules"; then
		rig_say "tracing fence_scsi's imports failed: $(tail -n 3 "$stage/.t/trace.log")"
		rm -rf "$stage"
		RIG_WORK=""
		return 1
	fi
	mkdir -p "$stage/r"
	rig_layout "$stage/r"
	rig_copy_bin "$stage/r" "$py" "$py"
	ln -sf "${py##*/}" "$stage/r/usr/bin/python3"
	cp /usr/sbin/fence_scsi "$stage/r/usr/sbin/fence_scsi"
	chmod 0755 "$stage/r/usr/sbin/fence_scsi"
	n=0
	while read -r f; do
		case $f in
		/usr/sbin/fence_scsi | "$stage/.t/trace.py") continue ;;
		/usr/*) ;;
		*) rig_say "fence_scsi imported $f, outside /usr: left out"; continue ;;
		esac
		[ -f "$f" ] || continue # a frozen module's nominal path
		[ -e "$stage/r$f" ] && continue
		case $f in
		*.so)
			# an extension module, with the libraries it links
			rig_copy_bin "$stage/r" "$f" "$f"
			;;
		*)
			mkdir -p "$stage/r$(dirname "$f")"
			cp -L "$f" "$stage/r$f"
			;;
		esac
		n=$((n + 1))
	done <"$stage/.t/modules"
	# Python finds its prefix by this landmark; it is imported anyway.
	[ -f "$stage/r/usr/lib/python$pyver/os.py" ] ||
		cp "/usr/lib/python$pyver/os.py" "$stage/r/usr/lib/python$pyver/os.py"
	mkdir -p "$stage/r/usr/lib/python$pyver/lib-dynload"
	# Bytecode next to the sources, as Debian's packages have it; checked
	# against no timestamp, so copying times do not matter.
	"$py" -m compileall -q -j 1 --invalidation-mode unchecked-hash \
		-s "$stage/r" -p / "$stage/r/usr/lib" "$stage/r/usr/share/fence" \
		>"$stage/.t/compile.log" 2>&1 ||
		{ rig_say "compileall failed: $(tail -n 3 "$stage/.t/compile.log")"; rm -rf "$stage"; RIG_WORK=""; return 1; }
	# The staged copy must run by itself: fence_scsi's imports in a chroot.
	# The staged copy must run by itself: fence_scsi --help in a chroot
	# imports all it imports for "off".
	if command -v chroot >/dev/null &&
		! chroot "$stage/r" /usr/sbin/fence_scsi --help >"$stage/.t/check.log" 2>&1; then
		rig_say "the staged fence_scsi does not run: $(tail -n 3 "$stage/.t/check.log")"
		rm -rf "$stage"
		RIG_WORK=""
		return 1
	fi
	rig_cpio "$stage/r" "$RIG_FA_CPIO.tmp"
	rm -rf "$stage"
	RIG_WORK=""
	rig_say "fence_scsi archive: $n module files, $(($(stat -c %s "$RIG_FA_CPIO.tmp") / 1048576)) MiB"
	# Older archives were built from older packages or an older rig.
	find "$dir" -maxdepth 1 -name 'fence-agents-*.cpio' ! -name "${RIG_FA_CPIO##*/}" -delete
	mv "$RIG_FA_CPIO.tmp" "$RIG_FA_CPIO"
}
