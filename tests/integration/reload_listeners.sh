#!/bin/sh
# Integration: a reload moves keibid's listeners without a restart, and
# the memory of every kind of correlator is shown.  keibid runs with a
# beacon rule; beacon-like lines make its bytes and entries non-zero in
# the metrics and in keibictl status, and a reload keeps them.  Then:
#   - metrics moved to a new port: the new port answers, the old does not;
#   - metrics moved to a port another keibid holds: the reload is refused
#     with the reason, and the old port still answers;
#   - the control socket moved to a new path: the reload's own answer
#     arrives, the new path answers, the old one is gone;
#   - a control socket in a folder that does not exist, or a group that
#     does not exist: refused, and the socket in use still answers;
#   - the control group changed at the same path: a new socket is renamed
#     over the old one, which keeps answering;
#   - SIGHUP moves the socket back.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp
pid2=
cleanup_extra() { [ -n "$pid2" ] && kill -9 "$pid2" 2>/dev/null; }

cat >rules.yml <<'EOR'
rules:
  - id: KB-TEST-BCN1
    rev: 1
    title: "A host calls one address on a timer"
    category: beacon
    severity: high
    logsource: firewall
    match:
      source.ip: {role: internal}
    detector: beacon
    params:
      key: ip
      max_pairs: 1000
      max_destinations: 1000
EOR
: >fw.log

sock="$tmp/control.sock"
group_line=
# write_config: keibi.yml with the control socket $sock ($group_line
# added) and metrics on $port.
write_config() {
	cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
control_socket: $sock
$group_line
metrics:
  listen: 127.0.0.1:$port
sources:
  - {name: fw, path: fw.log, parser: iptables}
outputs:
  - {type: jsonl, path: incidents.jsonl}
EOC
}
k() { "$ctl" -s "$sock" "$@"; }
scrape() { "$probe" http "$1" /metrics >scrape.raw 2>/dev/null &&
    sed '1,/^\r*$/d' scrape.raw >scrape.txt; }
metric() { awk -v m="$1" '$1 == m { print $2 }' scrape.txt; }
answers() { "$probe" http "$1" /metrics 2>/dev/null | head -n 1 | grep -q ' 200 '; }
status_lines() { k status --json | sed -n 's/^ *"lines": \([0-9]*\),*$/\1/p'; }
lines_read() { [ "$(status_lines)" = "$1" ]; }

if ! start_on_free_port 11 173 k status; then
	cat keibid.err
	echo "FAIL: keibid did not start"
	exit 1
fi
port1=$port
echo "keibid runs as pid $pid, metrics on port $port1"

# --- correlator memory --------------------------------------------------------
scrape "$port1"
check "metrics list the beacon rule" 1 \
    "$(metric 'keibi_correlator_rules{kind="beacon"}')"
check "no beacon state before any line" 0 \
    "$(metric 'keibi_correlator_bytes{kind="beacon"}')"
check "the scan kind is listed, empty" 0 \
    "$(metric 'keibi_correlator_bytes{kind="scan"}')"

# Two hosts call 203.0.113.77:443 every minute: two pairs, one destination.
awk 'BEGIN { for (i = 0; i < 12; i++) for (h = 3; h <= 4; h++)
	printf "Nov 21 09:%02d:0%d gw kernel: [%d.1] FWD-ACCEPT: IN=eth1 " \
	    "OUT=eth0 SRC=10.1.2.%d DST=203.0.113.77 LEN=52 TOS=0x00 " \
	    "PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 DPT=443 " \
	    "WINDOW=64240 RES=0x00 SYN URGP=0\n", 10 + i, h, i, h }' >>fw.log
wait_for "24 lines read" lines_read 24
scrape "$port1"
bytes=$(metric 'keibi_correlator_bytes{kind="beacon"}')
echo "beacon bytes: $bytes"
check "beacon bytes are counted" 1 "$([ "${bytes:-0}" -gt 0 ] && echo 1)"
check "beacon entries: two pairs and one destination" 3 \
    "$(metric 'keibi_correlator_entries{kind="beacon"}')"
check "no beacon evictions" 0 \
    "$(metric 'keibi_correlator_evictions_total{kind="beacon"}')"
k status >status.out
check "status shows the beacon memory" 1 \
    "$(grep -c '^  beacon  *1 rules  *3 entries' status.out)"
check "status --json has the same bytes" "$bytes" "$(k status --json |
    tr -d ' \n' | sed -n 's/.*"bytes":\([0-9]*\),"entries":3,"evictions":0,"kind":"beacon".*/\1/p')"

# --- metrics moved to a new port ---------------------------------------------------
moved=
for try in 1 2 3 4 5; do
	port=$((port1 + try * 97))
	[ "$port" -gt 65000 ] && port=$((port - 40000))
	write_config
	if k reload >reload.out 2>&1; then
		moved=$port
		break
	fi
	cat reload.out
done
check "a reload moves the metrics listener" 1 "$([ -n "$moved" ] && echo 1)"
port2=$moved
wait_for "the new port" answers "$port2"
check "the old port is closed" 1 "$("$probe" http "$port1" /metrics >/dev/null 2>&1; echo $?)"
scrape "$port2"
check "the beacon state survives the reload" 3 \
    "$(metric 'keibi_correlator_entries{kind="beacon"}')"
check "the scrape count carries over" 1 \
    "$(metric keibi_metrics_scrapes_total | awk '{print ($1 >= 4)}')"

# --- metrics on a port another keibid holds -------------------------------------------
mkdir k2 && : >k2/fw.log
for try in 1 2 3 4 5; do
	port3=$((port2 + try * 89))
	[ "$port3" -gt 65000 ] && port3=$((port3 - 40000))
	cat >k2/keibi.yml <<EOC
state_dir: $tmp/k2/state
rules: [$tmp/rules.yml]
control_socket: $tmp/k2/control.sock
metrics:
  listen: 127.0.0.1:$port3
sources:
  - {name: fw, path: $tmp/k2/fw.log, parser: iptables}
outputs:
  - {type: jsonl, path: $tmp/k2/incidents.jsonl}
EOC
	"$keibid" -c "$tmp/k2/keibi.yml" 2>>k2/keibid.err &
	pid2=$!
	wait_until 100 "$ctl" -s "$tmp/k2/control.sock" status &&
	    kill -0 "$pid2" 2>/dev/null && break
	kill -9 "$pid2" 2>/dev/null
	wait "$pid2" 2>/dev/null
	pid2=
done
check "a second keibid holds port $port3" 1 "$([ -n "$pid2" ] && echo 1)"
port=$port3
write_config
k reload >reload.out 2>&1
check "a reload onto a port in use is refused" 1 $?
cat reload.out
check "the refusal names the address" 1 \
    "$(grep -c "cannot listen on 127.0.0.1 port $port3" reload.out)"
check "the old port still answers" 0 "$(answers "$port2"; echo $?)"
check "status shows the failed reload" 1 \
    "$(k status | grep -c 'last reload .* FAILED')"
kill "$pid2" && wait "$pid2" 2>/dev/null
pid2=

# --- the control socket moved -----------------------------------------------------
port=$port2
old=$sock
sock="$tmp/ctl2.sock"
write_config
out=$("$ctl" -s "$old" reload 2>&1)
check "the reload through the old socket is answered" \
    "reloaded: 1 rules, 1 sources, 1 outputs" "$out"
check "the new socket answers" 0 "$(k status >/dev/null 2>&1; echo $?)"
check "the old socket file is gone" 0 "$([ -e "$old" ] && echo 1 || echo 0)"
check "the old path does not answer" 1 \
    "$("$ctl" -s "$old" status >/dev/null 2>&1 || echo 1)"
check "the new socket is mode 0660" "srw-rw----" "$(ls -l "$sock" | cut -c1-10)"

# A folder that does not exist: refused, the socket in use stays.
good=$sock
sock="$tmp/nowhere/control.sock"
write_config
"$ctl" -s "$good" reload >reload.out 2>&1
check "a socket in a missing folder is refused" 1 $?
check "the refusal names the path" 1 \
    "$(grep -c "control socket $tmp/nowhere/control.sock" reload.out)"
sock=$good
check "the socket in use still answers" 0 "$(k status >/dev/null 2>&1; echo $?)"

# The group changed at the same path: a new socket replaces the old one.
ino1=$(ls -i "$sock" | awk '{print $1}')
group_line="control_group: $(id -gn)"
write_config
out=$(k reload 2>&1)
check "a reload with a new control_group" \
    "reloaded: 1 rules, 1 sources, 1 outputs" "$out"
ino2=$(ls -i "$sock" | awk '{print $1}')
check "a new socket is at the same path" 1 "$([ "$ino1" != "$ino2" ] && echo 1)"
check "no temporary socket is left" 0 "$([ -e "$sock.new" ] && echo 1 || echo 0)"
check "it answers" 0 "$(k status >/dev/null 2>&1; echo $?)"
group_line="control_group: keibi-no-such-group-$$"
write_config
k reload >reload.out 2>&1
check "a group that does not exist is refused" 1 $?
check "the refusal names the group" 1 "$(grep -c 'no such group' reload.out)"
check "the socket is unchanged" "$ino2" "$(ls -i "$sock" | awk '{print $1}')"
check "and answers" 0 "$(k status >/dev/null 2>&1; echo $?)"

# SIGHUP moves it back (no connection waits for an answer).
group_line=
sock=$old
write_config
kill -HUP "$pid"
wait_for "the first socket again" k status
check "the second socket file is gone" 0 "$([ -e "$good" ] && echo 1 || echo 0)"

keibid_stop TERM
check "keibid exits 0" 0 $?
check "the socket is removed at exit" 0 "$([ -e "$sock" ] && echo 1 || echo 0)"
check "no reload said a restart is needed" 0 "$(grep -c 'next start' keibid.err)"
finish
