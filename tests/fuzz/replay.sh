#!/bin/sh
# Replay every fuzz target's corpus (tests/fuzz/corpus/<target>/) through
# the target built in tests/fuzz/.  A crash or sanitizer report fails.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
status=0
n=0
for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	[ -d "$dir" ] || continue
	target=$(basename "$dir")
	bin="$top_builddir/tests/fuzz/fuzz_$target"
	if [ ! -x "$bin" ]; then
		echo "FAIL: no fuzz target $bin for corpus $dir"
		status=1
		continue
	fi
	if ! "$bin" "$dir"; then
		echo "FAIL: fuzz_$target on its corpus"
		status=1
	fi
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no fuzz corpora found"
	exit 1
fi
exit $status
