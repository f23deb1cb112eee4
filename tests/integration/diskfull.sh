#!/bin/sh
# Integration: the evidence folder runs out of space.  The archive lives on
# a small tmpfs (root only: mounting needs it; otherwise the test is
# skipped) while a writer keeps appending numbered lines that do not
# compress well.  Pass: once the disk is full the saved position stops
# advancing and a warning says so; after the tmpfs is given room again
# keibid catches up by itself, and the archive holds every number exactly
# once, every line is evaluated exactly once, and gzip -t, sha256sum -c
# and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: disk full needs a small tmpfs, and mounting one needs root"
	exit 77
fi
mounted=
cleanup_extra() {
	wait 2>/dev/null
	[ -n "$mounted" ] && umount "$tmp/ev" 2>/dev/null
}
setup_tmp
mkdir ev
if ! mount -t tmpfs -o size=256k,mode=0750 tmpfs ev 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here"
	exit 77
fi
mounted=1

write_rule_numbered
write_config_numbered "" "dir: ev" "segment_size: 65536" "segment_age: 1"
evdir=ev
# gen FROM TO: numbered lines with 48 random hex digits each.
gen() { gen_lines fw.log "$1" "$2" hex; }
position() {
	sed -n 's/^ *"offset": \([0-9]*\),*$/\1/p' state/positions.json
}
at_end() { [ "$(position)" = "$size" ]; }

: >fw.log
: >keibid.err
keibid_start -q -c keibi.yml
(
	n=0
	while [ ! -f stop-writer ]; do
		gen $((n + 1)) $((n + 200))
		n=$((n + 200))
		echo "$n" >written.tmp && mv written.tmp written
		sleep 0.1
	done
) &
wpid=$!

# Wait (up to 30 s) until the archive fails for want of space.
wait_until 300 grep -q 'positions are held' keibid.err
check "a full evidence disk is warned about" 0 $?
sleep 2.5
p1=$(position)
sleep 3
p2=$(position)
check "the saved position stops while the disk is full" "$p1" "$p2"
size=$(wc -c <fw.log)
[ "$p2" -lt "$size" ]
check "the position is behind what was written" 0 $?
kill -0 "$pid" 2>/dev/null
check "keibid keeps running" 0 $?

# Room again: keibid catches up by itself.
mount -o remount,size=64m ev
touch stop-writer
wait "$wpid"
wpid=
n=$(cat written)
size=$(wc -c <fw.log)
wait_until 200 at_end	# up to 20 s
check "after space returns the position reaches the end" "$size" \
    "$(position)"
keibid_stop TERM
check "keibid stops cleanly" 0 $?
keibid_once
check "--once exits 0" 0 $?
set -- $(archived | nums | tally 1 "$n")
check "archive holds all $n lines (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 "$n")
check "every line evaluated exactly once (missing duplicated)" "0 0" "$*"
archive_ok

finish 20
