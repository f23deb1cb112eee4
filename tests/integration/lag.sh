#!/bin/sh
# Integration: a reader that falls behind its writer by more than one
# rotation loses nothing.  keibid follows fw.log; it is frozen (SIGSTOP)
# while the file is rotated by rename three times, each generation holding
# its own numbered lines, then let go (SIGCONT): the new file at the path is
# the fourth generation, and the two in between are beside it as fw.log.1
# and fw.log.2 (the one keibid held is fw.log.3).  The same again with the
# middle generations compressed (fw.log.1.gz, fw.log.2.gz), as logrotate
# does without delaycompress.  Then a copytruncate while keibid is stopped,
# of a file that was empty (nothing of it read) at the last checkpoint.
# Pass: every number in the archive and in the alerts exactly once, and the
# archive checks.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
write_config_numbered "rotate_wait: 1"

rotate() {	# rename rotation
	for k in 2 1; do
		[ -f "fw.log.$k" ] && mv "fw.log.$k" "fw.log.$((k + 1))"
	done
	mv fw.log fw.log.1
	: >fw.log
}
caught_up() {	# caught_up N: the alerts name line N
	nums <alerts.jsonl 2>/dev/null | grep -qx "$1"
}

: >fw.log
keibid_start -c keibi.yml
gen 1 100
wait_until 20 caught_up 100
check "keibid follows the file" 0 $?

# Round 1: three rotations while keibid cannot run.
kill -STOP "$pid"
rotate; gen 101 200
rotate; gen 201 300
rotate; gen 301 400
kill -CONT "$pid"
wait_until 20 caught_up 400
check "round 1: the newest line is read" 0 $?

# Round 2: the same, the generations in between compressed.
rm -f fw.log.*
kill -STOP "$pid"
rotate; gen 401 500
rotate; gen 501 600
rotate; gen 601 700
gzip fw.log.2 fw.log.1
kill -CONT "$pid"
wait_until 20 caught_up 700
check "round 2: the newest line is read" 0 $?

# Round 3: cut by copytruncate while running, so that the file is empty
# (nothing of its head known) at the last checkpoint; then, keibid
# stopped, lines are written and the file is cut again by copytruncate:
# the copy holds lines nobody has read.
cp fw.log fw.log.1 && : >fw.log
sleep 2.5
keibid_stop TERM
check "keibid stops cleanly" 0 $?
gen 701 800
cp fw.log fw.log.1 && : >fw.log
gen 801 850
keibid_once

set -- $(archived fw | nums | tally 1 850)
check "archive holds lines 1-850 once each (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 850)
check "every line evaluated once (missing duplicated)" "0 0" "$*"
grep -q 'rotated more than once' keibid.err
check "the lag is reported" 0 $?
grep -q 'taken for a copy made by copytruncate while keibid was stopped' \
    keibid.err
check "the copy made while stopped is reported" 0 $?
archive_ok
finish 30
