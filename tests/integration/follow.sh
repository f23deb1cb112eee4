#!/bin/sh
# Integration: keibid follows its files through inotify, and by polling
# where inotify is not used.  Two sources share one folder (one inotify
# watch serves both).  With inotify the safety poll is set to 30 s, so a
# line that arrives within 5 s was read because of an event: appended
# lines, a file rotated by rename and a file cut by copytruncate are each
# read at once.  Then the same with "follow: poll".  Pass, in both modes:
# every line arrives within the bound, the archive of each source holds
# every number exactly once, every line is evaluated exactly once, and
# gzip -t, sha256sum -c and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
config() {	# config MODE-KEYS
	cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
control_socket: $tmp/control.sock
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: a, path: logs/a.log, parser: iptables, rotate_wait: 1, $1}
  - {name: b, path: logs/b.log, parser: iptables, rotate_wait: 1, $1}
evidence:
  segment_age: 2
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
}
# alerted NUMBER: the alert of line NUMBER is written.
alerted() { [ -f alerts.jsonl ] && nums <alerts.jsonl | grep -qx "$1"; }
# arrives WHAT NUMBER: wait at most 5 s for the alert of line NUMBER.
arrives() {
	if wait_until 50 alerted "$2"; then
		check "$1 arrives within 5 s" yes yes
		echo "   (after about ${waited}00 ms)"
	else
		check "$1 arrives within 5 s" yes no
	fi
}
# One run: lines appended, rename rotation, copytruncate, a new file.
# The archive must then hold the lines of every earlier run too (PREV).
exercise() {	# exercise MODE A-BASE B-BASE [PREV-A PREV-B]
	mkdir -p logs
	gen_lines logs/a.log $(($2 + 1)) $(($2 + 100))
	keibid_start -c keibi.yml
	arrives "$1: the backlog of a" $(($2 + 100))
	sleep 1
	gen_lines logs/b.log $(($3 + 1)) $(($3 + 1))
	arrives "$1: a line appended to b" $(($3 + 1))
	gen_lines logs/a.log $(($2 + 101)) $(($2 + 101))
	arrives "$1: a line appended to a" $(($2 + 101))
	sleep 1
	# Rename rotation: the old file gets one more line after the rename.
	mv logs/a.log logs/a.log.1
	gen_lines logs/a.log.1 $(($2 + 102)) $(($2 + 102))
	: >logs/a.log
	gen_lines logs/a.log $(($2 + 103)) $(($2 + 110))
	arrives "$1: the late line of the renamed file" $(($2 + 102))
	arrives "$1: a line of the new file after rename" $(($2 + 110))
	sleep 1.5
	# copytruncate, writer paused: nothing is lost.
	mv -f logs/b.log.1 logs/b.log.2 2>/dev/null
	cp logs/b.log logs/b.log.1 && : >logs/b.log
	gen_lines logs/b.log $(($3 + 2)) $(($3 + 20))
	arrives "$1: a line after copytruncate" $(($3 + 20))
	gen_lines logs/b.log $(($3 + 21)) $(($3 + 21))
	arrives "$1: the next line after copytruncate" $(($3 + 21))
	keibid_stop TERM
	set -- "$1" $(archived a | nums | tally ${4:-} $(($2 + 1)) $(($2 + 110))) \
	    $(archived b | nums | tally ${5:-} $(($3 + 1)) $(($3 + 21)))
	check "$1: archive of a, b (missing duplicated each)" "0 0 0 0" \
	    "$2 $3 $4 $5"
}

# --- inotify, safety poll 30 s --------------------------------------------
config "poll_interval: 30"
exercise inotify 0 100000
if grep -q 'inotify is not available\|cannot watch' keibid.err; then
	echo "SKIP: inotify cannot be used here"
	cat keibid.err
	exit 77
fi
check "inotify: both sources follow with inotify" 2 \
    "$(grep -c 'following .*/logs/[ab].log with inotify' keibid.err)"

# --- polling ---------------------------------------------------------------
config "follow: poll"
: >keibid.err
exercise poll 1000 200000 "1 110" "100001 100021"
check "poll: no source uses inotify" 0 \
    "$(grep -c 'with inotify' keibid.err)"

set -- $(nums <alerts.jsonl | sort -n | awk '
    { c[$1]++ }
    END { d = 0; for (k in c) if (c[k] > 1) d += c[k] - 1; print NR, d }')
check "every line evaluated exactly once (alerts duplicated)" "262 0" "$*"
archive_ok "after both runs"

finish
