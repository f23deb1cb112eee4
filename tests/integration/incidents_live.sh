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
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
probe="$top_builddir/tests/integration/probe"
tmp=$(mktemp -d) || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1 ($3)"
	else
		echo "FAIL: $1: expected '$2', got '$3'"
		fail=1
	fi
}
# wait_for WHAT COMMAND...: retry for up to 10 s.
wait_for() {
	what=$1
	shift
	i=0
	while [ $i -lt 100 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "FAIL: timed out waiting for $what"
	fail=1
	return 1
}
cd "$tmp" || exit 1
sock="$tmp/control.sock"
me=$(id -un)
: >fw.log
mkdir rules.d
cat >rules.d/smb.yml <<'EOF'
rules:
  - id: KB-TEST-0001
    rev: 1
    title: "SMB leaves the network"
    description: "An internal host speaks SMB to the Internet."
    category: outbound_attack
    severity: high
    logsource: firewall
    match:
      destination.port: 445
EOF
write_config() {
	cat >keibi.yml <<EOF
state_dir: state
rules: [rules.d]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
control_socket: $sock
metrics:
  listen: 127.0.0.1:$port
sources:
  - {name: fw, path: fw.log, parser: iptables}
outputs:
  - {type: jsonl, path: incidents.jsonl}
EOF
}
k() { "$ctl" -c "$tmp/keibi.yml" "$@"; }

# Start keibid on a metrics port that is free (another test may hold one).
started=0
for try in 1 2 3 4 5; do
	port=$((20000 + ($$ * 11 + try * 173) % 40000))
	write_config
	"$keibid" -c "$tmp/keibi.yml" 2>>keibid.err &
	pid=$!
	if wait_for "the control socket" k status; then
		started=1
		break
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
	fail=0
done
if [ $started -ne 1 ]; then
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

kill "$pid"
wait "$pid" 2>/dev/null
pid=""

# No keibid: the change is written offline, as the user running keibictl.
out=$(k note "$id" "written offline" 2>offline.err)
check "offline note exits 0" 0 $?
check "offline note names the user" "$id: note by $me" "$out"
check "offline note says no keibid answered" 1 \
    "$(grep -c "no keibid answered.*as $me, the Unix user running keibictl" offline.err)"
n=$(k show "$id" --json | tr -d "\n" | tr "{" "\n" | grep "\"$me\"" | grep -c "written offline")
check "the offline note is in the store's timeline" 1 "$([ "$n" -ge 1 ] && echo 1)"
exit $fail
