#!/bin/sh
# Integration: incident changes through a running keibid.  keibid runs in
# the background; keibictl acknowledges, notes and closes an incident over
# the control socket.  The timeline must name the Unix user running this
# test (the socket's peer, as the kernel reports it), the store must hold
# the new status and the jsonl output must carry it.  With keibid stopped,
# a note is written offline, and keibictl says that the author is the user
# running it.  The metrics endpoint counts incidents by category and status
# and shows the outbox depth per output.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp
sock="$tmp/control.sock"
me=$(id -un)
: >fw.log
write_rule_smb
write_config() { write_config_smb "{type: jsonl, path: incidents.jsonl}"; }
k() { "$ctl" -c "$tmp/keibi.yml" "$@"; }

if ! start_on_free_port 11 173 k status; then
	cat keibid.err
	exit 1
fi
echo 'Nov 21 09:15:02 gw kernel: [88231.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=3312 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0' >>fw.log
wait_for "the incident in the jsonl output" grep -q '"10.1.2.3"' incidents.jsonl
id=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' incidents.jsonl | head -n 1)
[ -n "$id" ] || id=$(grep -o '"id":"KB-[^"]*"' incidents.jsonl | head -n 1 |
    sed 's/"id":"\(.*\)"/\1/')
check "an incident was opened" 1 "$([ -n "$id" ] && echo 1)"

# last_line: the newest jsonl record of the incident.
last_line() { grep "\"id\":\"$id\"" incidents.jsonl | tail -n 1; }
# store_status: the status the store holds.
store_status() {
	k show "$id" --json | sed -n 's/^ *"status": "\([a-z_]*\)",*$/\1/p' |
	    head -n 1
}

out=$(k ack "$id" --note "calling the owner" 2>ack.err)
check "ack exits 0" 0 $?
check "ack names the peer user" "$id: status acknowledged by $me" "$out"
check "ack went through the socket" 0 "$(grep -c 'no keibid answered' ack.err)"
check "the store holds acknowledged" acknowledged "$(store_status)"
wait_for "acknowledged in the jsonl output" sh -c \
    "grep '\"id\":\"$id\"' incidents.jsonl | tail -n 1 | grep -q '\"status\":\"acknowledged\"'"

out=$(k note "$id" "PC taken off the network" 2>note.err)
check "note exits 0" 0 $?
check "note names the peer user" "$id: note by $me" "$out"

k set-status "$id" contained >/dev/null 2>&1
check "set-status contained" 0 $?
check "the store holds contained" contained "$(store_status)"

k close "$id" --resolution benign --note "lab machine" >close.out 2>&1
check "close exits 0" 0 $?
check "the store holds closed" closed "$(store_status)"
wait_for "closed in the jsonl output" sh -c \
    "grep '\"id\":\"$id\"' incidents.jsonl | tail -n 1 | grep -q '\"status\":\"closed\",\"resolution\":\"benign\"'"

k ack KB-1999-01-9999 >/dev/null 2>unknown.err
check "an unknown incident is refused" 1 $?
check "the refusal says why" 1 "$(grep -c 'no incident KB-1999-01-9999' unknown.err)"
k set-status "$id" merged --resolution bogus >/dev/null 2>&1
check "a bad resolution is refused" 1 "$([ $? -ne 0 ] && echo 1)"

# The timeline, in the store and in the output, names the user.
k show "$id" --json | tr -d "\n" >show.json
for want in "status new -> acknowledged" "calling the owner" \
    "PC taken off the network" "status acknowledged -> contained" \
    "status contained -> closed (benign)" "lab machine"; do
	n=$(tr '{' '\n' <show.json | grep "\"$me\"" | grep -c "$want")
	check "store timeline: '$want' by $me" 1 "$([ "$n" -ge 1 ] && echo 1)"
	n=$(last_line | tr '{' '\n' | grep "\"by\":\"$me\"" | grep -c "$want")
	check "jsonl timeline: '$want' by $me" 1 "$([ "$n" -ge 1 ] && echo 1)"
done
check "keibid logged the peer" 1 \
    "$(grep -c "control: close $id by $me" keibid.err | sed 's/^[1-9][0-9]*$/1/')"

# Metrics: incidents by category and status, outbox depth per output.
"$probe" http "$port" /metrics >scrape.raw
check "metrics count the closed incident" 1 "$(grep -c \
    '^keibi_incidents{category="outbound_attack",status="closed"} 1$' scrape.raw)"
check "metrics show the jsonl outbox depth" 1 \
    "$(grep -c '^keibi_outbox_depth{output="[^"]*"} [0-9][0-9]*$' scrape.raw)"

keibid_stop TERM

# No keibid: the change is written offline, as the user running keibictl.
out=$(k note "$id" "written offline" 2>offline.err)
check "offline note exits 0" 0 $?
check "offline note names the user" "$id: note by $me" "$out"
check "offline note says no keibid answered" 1 \
    "$(grep -c "no keibid answered.*as $me, the Unix user running keibictl" offline.err)"
n=$(k show "$id" --json | tr -d "\n" | tr "{" "\n" | grep "\"$me\"" | grep -c "written offline")
check "the offline note is in the store's timeline" 1 "$([ "$n" -ge 1 ] && echo 1)"
finish
