#!/bin/sh
# Integration: a source removed by a reload keeps its saved position, and
# adding it back resumes there.  keibid runs with the sources fw and
# extra; extra's numbered lines 1-10 are read; a reload removes extra
# (positions.json then keeps it under "removed" with the time it left);
# lines 11-30 are appended while it is gone; a reload adds it back and
# lines 31-40 follow.  Every line of extra is read exactly once: the
# alerts, the archive and the counters show 1-40 with none missing and
# none twice.  A restart with extra removed keeps it too, and a config
# without it loses nothing of fw.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp
sock="$tmp/control.sock"
write_rule_numbered
: >fw.log
: >extra.log

# write_config [extra]: keibi.yml with fw, and extra when asked.
write_config() {
	cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
control_socket: $sock
sources:
  - {name: fw, path: fw.log, parser: iptables}
EOC
	[ -n "${1:-}" ] &&
	    echo "  - {name: extra, path: extra.log, parser: iptables}" >>keibi.yml
	cat >>keibi.yml <<EOC
evidence:
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
}
k() { "$ctl" -s "$sock" "$@"; }
# lines_of SOURCE: the lines keibid counts for SOURCE now.
lines_of() {
	k status --json | tr -d ' \n' | tr '{' '\n' |
	    sed -n "s/.*\"lines\":\([0-9]*\),.*\"name\":\"$1\".*/\1/p"
}
read_of() { [ "$(lines_of "$1")" = "$2" ]; }
# A line of fw that raises no alert and carries no number.
fwline() {
	echo "Nov 21 09:20:0$1 gw kernel: [7.2] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.9 DST=203.0.113.5 LEN=52 PROTO=UDP SPT=5353 DPT=53" >>fw.log
}

write_config extra
keibid_start -c "$tmp/keibi.yml"
if ! wait_for "the control socket" k status; then
	cat keibid.err
	exit 1
fi
gen_lines extra.log 1 10
wait_for "extra's first lines" read_of extra 10

# --- removed ------------------------------------------------------------------
write_config
out=$(k reload 2>&1)
check "a reload removes extra" "reloaded: 1 rules, 1 sources, 1 outputs" "$out"
# A line of fw makes the next checkpoint, which moves extra to "removed".
fwline 1
wait_for "extra kept under removed" grep -q '"removed_at"' state/positions.json
check "positions.json keeps extra under removed" 1 "$(tr -d ' \n' \
    <state/positions.json | grep -c '"removed":{"extra":{"dev"')"
gen_lines extra.log 11 30

# --- added back ------------------------------------------------------------------
write_config extra
out=$(k reload 2>&1)
check "a reload adds extra back" "reloaded: 1 rules, 2 sources, 1 outputs" "$out"
check "the log says extra resumes" 1 \
    "$(grep -c 'source extra: resuming at offset' keibid.err)"
gen_lines extra.log 31 40
wait_for "lines 11-40 of extra" read_of extra 30
sleep 1.5	# let a checkpoint save extra as configured again
keibid_stop TERM
check "keibid exits 0" 0 $?
check "extra is configured again in positions.json" 0 \
    "$(grep -c '"removed_at"' state/positions.json)"

set -- $(nums <alerts.jsonl | tally 1 40)
check "alerts: no line of extra missed" 0 "$1"
check "alerts: no line of extra twice" 0 "$2"
set -- $(archived extra | nums | tally 1 40)
check "archive: no line of extra missed" 0 "$1"
check "archive: no line of extra twice" 0 "$2"
check "archive: extra's bytes are its file" "$(cksum <extra.log)" \
    "$(archived extra | cksum)"
archive_ok "after the removal and return"

# --- removed across a restart --------------------------------------------------------
write_config
keibid_once
check "keibid --once without extra exits 0" 0 $?
check "extra is kept over a restart without it" 1 "$(tr -d ' \n' \
    <state/positions.json | grep -c '"removed":{"extra":{"dev"')"
gen_lines extra.log 41 45
write_config extra
keibid_once
check "keibid --once with extra back exits 0" 0 $?
set -- $(nums <alerts.jsonl | tally 1 45)
check "after the restarts: no line of extra missed" 0 "$1"
check "after the restarts: no line of extra twice" 0 "$2"
set -- $(archived extra | nums | tally 1 45)
check "archive after the restarts: none missed, none twice" "0 0" "$1 $2"
finish
