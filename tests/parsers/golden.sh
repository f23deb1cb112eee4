#!/bin/sh
# Golden files: tests/parsers/<parser>/<case>.log is parsed with
# `keibictl parse --all --parser <parser>` (state carried across the file's lines,
# year-less dates resolved against KEIBI_REF_TIME) and the JSON events must
# equal <case>.json line for line.  Set KEIBI_GOLDEN_UPDATE=1 to rewrite the
# expected files (then read the diff before committing it).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
ctl="$top_builddir/keibictl/keibictl"
status=0
cases=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for log in "$top_srcdir"/tests/parsers/*/*.log; do
	[ -f "$log" ] || continue
	parser=$(basename "$(dirname "$log")")
	want="${log%.log}.json"
	got="$tmp/got.json"
	KEIBI_REF_TIME=2026-11-21T12:00:00Z "$ctl" parse --parser "$parser" \
	    --timezone UTC --all \
	    --internal 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fd00::/8 "$log" >"$got" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: $log: keibictl parse exited $rc"
		cat "$tmp/err"
		status=1
		continue
	fi
	if [ "${KEIBI_GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$got" "$want"
	fi
	if ! diff -u "$want" "$got"; then
		echo "FAIL: $log differs from $want"
		status=1
	else
		echo "ok: $log"
	fi
	cases=$((cases + 1))
done
if [ "$cases" -eq 0 ]; then
	echo "FAIL: no golden files found"
	exit 1
fi
exit $status
