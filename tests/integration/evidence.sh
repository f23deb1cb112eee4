#!/bin/sh
# Integration: no loss, no duplicate, across rotation, restarts and kill -9,
# with a sequence-number oracle.  A writer appends numbered firewall lines
# (each raises exactly one alert of the test rule) and rotates the file by
# rename about every second, while the test stops keibid with SIGTERM and
# SIGKILL again and again and rotates the file twice while it is stopped;
# then the file is copytruncated (writer paused: nothing may be lost;
# writer running: every loss must be a gap record).  Pass: the archive of
# the source, decompressed in manifest order, holds every number exactly
# once, the alerts name every number exactly once, gzip -t, sha256sum -c
# and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
write_config_numbered "rotate_wait: 1" "segment_size: 65536" "segment_age: 2"

# gen FROM TO (lib.sh) appends with O_APPEND, as loggers write.
# rotate: fw.log -> fw.log.1, older ones shift.  Nine generations are
# kept so that no rotation deletes a file keibid may not have read yet: a
# deleted unread file is lost to any reader, and that is not what this
# test is about.  The writer and the test both rotate; a lock (mkdir is
# atomic) keeps their rotations from interleaving, and the writer holds
# it for each batch too: rotate() moves fw.log away and then creates the
# new one, and a batch opened in between would create fw.log itself, be
# written, and then be emptied by the `: >fw.log` that follows, before any
# reader could see it: lines lost by the test, not by keibid.
rotate() {
	for k in 8 7 6 5 4 3 2 1; do
		[ -f "fw.log.$k" ] && mv "fw.log.$k" "fw.log.$((k + 1))"
	done
	[ -f fw.log ] && mv fw.log fw.log.1
	: >fw.log
}
lock() { until mkdir rotate.lock 2>/dev/null; do sleep 0.01; done; }
unlock() { rmdir rotate.lock; }
start() { keibid_start -q -c keibi.yml; }
stop() { keibid_stop "$1"; }	# stop SIGNAL
copytruncate() {	# as logrotate does it: shift the old copy, copy, truncate
	[ -f fw.log.1 ] && mv -f fw.log.1 fw.log.2
	cp fw.log fw.log.1 && : >fw.log
}

# --- phase 1: rename rotation every ~second, SIGTERM and SIGKILL --------
: >fw.log
(
	n=0
	while [ ! -f stop-writer ]; do
		lock
		gen $((n + 1)) $((n + 150))
		n=$((n + 150))
		echo "$n" >written.tmp && mv written.tmp written
		if [ $((n % 2400)) -eq 0 ]; then
			rotate
		fi
		unlock
		sleep 0.05
	done
) &
wpid=$!
start
i=0
while [ $i -lt 10 ]; do
	sleep 1.$((2 + i % 7))
	if [ $((i % 2)) -eq 0 ]; then stop KILL; else stop TERM; fi
	if [ $i -eq 5 ]; then
		# Rotated twice while keibid is stopped.
		lock
		rotate; gen 100000001 100000000; rotate
		unlock
	fi
	start
	i=$((i + 1))
done
sleep 1
stop KILL
touch stop-writer
wait "$wpid"
wpid=
n=$(cat written)
keibid_once
check "--once after the storm exits 0" 0 $?
set -- $(archived fw | nums | tally 1 "$n")
check "phase 1: archive holds all $n lines (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 "$n")
check "phase 1: every line evaluated exactly once (missing duplicated)" "0 0" "$*"
archive_ok "phase 1"
check "no gap records without copytruncate" 0 \
    "$(grep -c '"type":"gap"' state/evidence/MANIFEST.jsonl)"

# --- phase 2: copytruncate with the writer paused: nothing lost -----------
start
gen $((n + 1)) $((n + 3000)); n=$((n + 3000))
sleep 1.5
stop KILL
copytruncate		# copytruncate while stopped
gen $((n + 1)) $((n + 500)); n=$((n + 500))
start
sleep 1.5
gen $((n + 1)) $((n + 2000)); n=$((n + 2000))
sleep 1.5
copytruncate		# copytruncate while running
gen $((n + 1)) $((n + 700)); n=$((n + 700))
sleep 1.5
stop TERM
keibid_once
set -- $(archived fw | nums | tally 1 "$n")
check "phase 2: copytruncate, writer paused (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 "$n")
check "phase 2: evaluated exactly once (missing duplicated)" "0 0" "$*"
check "phase 2: each truncation is recorded" 2 \
    "$(grep '"type":"gap"' state/evidence/MANIFEST.jsonl | grep -c truncated)"
archive_ok "phase 2"

# --- phase 3: copytruncate with the writer running ------------------------
rm -f stop-writer
(
	m=$n
	while [ ! -f stop-writer ]; do
		gen $((m + 1)) $((m + 100))
		m=$((m + 100))
		echo "$m" >written.tmp && mv written.tmp written
	done
) &
wpid=$!
start
for c in 1 2 3; do
	sleep 0.7
	copytruncate
done
sleep 0.5
touch stop-writer
wait "$wpid"
wpid=
n=$(cat written)
sleep 1.5
stop TERM
keibid_once
set -- $(archived fw | nums | tally 1 "$n")
check "phase 3: nothing archived twice" 0 "$2"
gaps=$(grep '"type":"gap"' state/evidence/MANIFEST.jsonl | grep -c truncated)
check "phase 3: every truncation recorded as a gap" 5 "$gaps"
echo "phase 3: $1 of $n lines lost in the copy window, each truncation recorded"
set -- $(nums <alerts.jsonl | tally 1 "$n")
check "phase 3: nothing evaluated twice" 0 "$2"
archive_ok "phase 3"
grep -q 'recorded as a gap' keibid.err
check "truncations are warned about" 0 $?

finish 20
