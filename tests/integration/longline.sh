#!/bin/sh
# Integration: lines of 1 MiB and 64 MiB.  keibid follows two sources;
# one gets a 1 MiB line and then a 64 MiB run without a newline, written
# in pieces (keibid is killed and started again inside it), while the
# other gets numbered lines.  Pass: the other source's
# lines are all evaluated while the long line is still open, keibid's peak
# memory stays far below the line's size, the long lines are cut (and
# said so) rather than held, and after the line ends the archive of each
# source decompresses to exactly the bytes of its file, and gzip -t,
# sha256sum -c and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
peak1=0
setup_tmp
if [ ! -r /proc/self/status ]; then
	echo "SKIP: no /proc to read keibid's memory from"
	exit 77
fi

write_rule_numbered
cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: big, path: big.log, parser: iptables}
  - {name: fw, path: fw.log, parser: iptables}
evidence:
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
xs() {		# xs MIB: that many MiB of "x", no newline, appended to big.log
	head -c $(($1 * 1048576)) /dev/zero | tr '\0' x >>big.log
}
alerts() {	# numbered lines of fw evaluated so far
	sed -n 's/.*"source":"fw".*kernel: \[\([0-9]*\)\.1\].*/\1/p' \
	    alerts.jsonl 2>/dev/null | sort -un | wc -l
}
all_alerted() { [ "$(alerts)" -ge "$n" ]; }
peak_kib() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid/status"; }

: >big.log
: >fw.log
keibid_start -q -c keibi.yml
sleep 0.5

# A 1 MiB line, then 64 MiB without a newline, between numbered lines.
xs 1
echo >>big.log
n=0
for piece in 1 2 3 4 5 6 7 8; do
	xs 8
	gen $((n + 1)) $((n + 50))
	n=$((n + 50))
	sleep 0.2
	if [ $piece -eq 4 ]; then
		# Killed inside the cut line: it resumes there.
		sleep 1.5
		peak1=$(peak_kib)
		keibid_stop KILL
		keibid_start -q -c keibi.yml
	fi
done
wait_until 100 all_alerted	# up to 10 s
check "the other source flows while a 64 MiB line is open" $n "$(alerts)"
size=$(wc -c <big.log)
check "the long line is still without its newline" 1 \
    "$(tail -c 1 big.log | tr -c x y | grep -c x)"
peak=$(peak_kib)
[ "$peak1" -gt "$peak" ] && peak=$peak1
echo "keibid peak memory: ${peak} KiB for a $((size / 1048576)) MiB file"
# AddressSanitizer's shadow memory and quarantine add tens of MiB of its
# own, so a sanitizer build gets a looser bound (still far below 64 MiB of
# line plus what a copy of it would cost).
limit=49152
if grep -q __asan_init "$keibid" 2>/dev/null; then
	limit=131072
fi
[ "$peak" -lt "$limit" ]
check "keibid's peak memory stays under $((limit / 1024)) MiB" 0 $?

# The line ends; more lines after it.
echo " end" >>big.log
gen $((n + 1)) $((n + 50))
n=$((n + 50))
sleep 1.5
keibid_stop TERM
check "keibid stops cleanly" 0 $?
keibid_once
check "--once exits 0" 0 $?
archived big | cmp -s - big.log
check "the archive of the long-line source is exactly its file" 0 $?
archived fw | cmp -s - fw.log
check "the archive of the other source is exactly its file" 0 $?
check "every numbered line evaluated" $n "$(alerts)"
grep -q 'was cut' keibid.err
check "the cut lines are warned about" 0 $?
archive_ok

finish 20
