#!/bin/bash
# Checks that the library's objects keep DESIGN.md's layering ("Layout and
# layers"): lib/ <- fence/, storage/ <- group/ <- programs. From `nm` on the
# objects given (paths under a build folder, as BUILD/lib/x.o):
#   - no object references a symbol defined in a higher layer;
#   - fence/ and storage/ never reference each other;
#   - no two objects reference each other, directly or around a circle.
# Prints each violation and exits 1 if there is any.
set -u
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }

declare -A def layer obj_path
objs=()
for path in "$@"; do
	o=$(echo "$path" | sed -E 's,^(.*/)?((lib|fence|storage|group|admin)/[^/]+\.o)$,\2,')
	[ -e "$path" ] || { echo "no such object: $path" >&2; exit 2; }
	objs+=("$o")
	obj_path[$o]=$path
	case $o in
	lib/*) layer[$o]=0 ;;
	fence/*|storage/*) layer[$o]=1 ;;
	group/*) layer[$o]=2 ;;
	*) layer[$o]=3 ;;
	esac
	# Programs: fence/tandem-*, fence/fence_*, storage/tandem-* are layer 3.
	case ${o##*/} in tandem-*.o|tandem.o|fence_*.o) layer[$o]=3 ;; esac
	while read -r sym; do def[$sym]=$o; done < <(nm --defined-only -g "${obj_path[$o]}" | awk '$2 ~ /[TDBRC]/ {print $3}')
done

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for o in "${objs[@]}"; do
	while read -r sym; do
		t=${def[$sym]:-}
		[ -n "$t" ] && [ "$t" != "$o" ] || continue
		echo "$o $t" >>"$edges"
		if [ "${layer[$t]}" -gt "${layer[$o]}" ]; then
			echo "layering: $o (layer ${layer[$o]}) uses $sym of $t (layer ${layer[$t]})"
			bad=1
		fi
		case "$o:$t" in
		fence/*:storage/*|storage/*:fence/*)
			[ "${layer[$o]}" -lt 3 ] && { echo "layering: $o uses $sym of $t (fence/ and storage/ never call each other)"; bad=1; } ;;
		esac
	done < <(nm -u "${obj_path[$o]}" | awk '{print $2}')
done

# Circles: tsort prints "input contains a loop" for each one.
loops=$(sort -u "$edges" | awk '{print $2, $1}' | tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:$' | sed 's/^tsort: //')
if [ -n "$loops" ]; then
	echo "layering: objects that call each other in a circle:"
	echo "$loops" | sed 's/^/  /'
	bad=1
fi
[ $bad -eq 0 ] && echo "layering: ${#objs[@]} objects, $(sort -u "$edges" | wc -l) references, no upward call, no circle"
exit $bad
