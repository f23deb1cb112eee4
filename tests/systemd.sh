#!/bin/sh
# The generated unit scores 1.5 or lower with systemd-analyze security
# (offline): the sandbox must stay tight as the unit changes.
: "${top_srcdir:=.}" "${top_builddir:=.}"
unit="$top_builddir/systemd/keibid.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
	exit 77
fi
if [ ! -f "$unit" ]; then
	echo "FAIL: $unit was not generated"
	exit 1
fi
out=$(systemd-analyze security --offline=yes "$unit" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	printf '%s\n' "$out"
	echo "FAIL: no exposure level in the output"
	exit 1
fi
echo "exposure level: $score (limit 1.5)"
if grep -q '^MemoryDenyWriteExecute=yes' "$unit"; then
	echo "FAIL: MemoryDenyWriteExecute=yes turns off PCRE2's JIT"
	exit 1
fi
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || {
	printf '%s\n' "$out" | grep -v '✓'
	echo "FAIL: exposure $score is above 1.5"
	exit 1
}
