#!/bin/sh
# Integration: keibictl hunt --unsealed against a running keibid.  Lines
# archived and sealed by keibid --once are found by every hunt; lines
# written while keibid runs (read into its open segment, not sealed yet)
# are found only with --unsealed, exactly once each, and marked unsealed
# in the text, JSON and CSV output, without a segment or hash.  After
# keibid stops (and seals them), hunt finds them sealed, with and without
# --unsealed, still exactly once.  A file cut and written again after its
# last seal is searched from its start.  Lines appended after the last
# seal to a file that is then rotated are found under each rotated name
# keibid follows (-YYYYMMDD, .YYYY-MM-DD, .N), by device and inode, once;
# a copy under such a name (another inode) and a compressed one are not.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	chmod -R u+w "$tmp" 2>/dev/null
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
# fw SECOND ID DST DPT: one firewall line of 2026-11-21 10:00:SECOND.
fw() {
	printf '2026-11-21T10:00:%02d+09:00 gw01 kernel: [%d.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=40000 DPT=%d WINDOW=64240 RES=0x00 SYN URGP=0\n' \
	    "$1" "$2" "$3" "$2" "$4"
}
cd "$tmp" || exit 1
sock="$tmp/control.sock"
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
cat >keibi.yml <<EOF
state_dir: state
rules: [rules.d]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
control_socket: $sock
sources:
  - {name: fw, path: fw.log, parser: iptables}
outputs:
  - {type: alerts, path: alerts.jsonl}
EOF
k() { "$ctl" -c "$tmp/keibi.yml" "$@"; }
# hits FILE: the hit lines of hunt --json; unsealed FILE: those unsealed.
hits() { grep -c '^{"type":"hit"' "$1"; }
unsealed() { grep -c '^{"type":"hit","sealed":false' "$1"; }

# Sealed: two lines to the victim, one elsewhere.
{ fw 1 1 203.0.113.77 445; fw 2 2 198.51.100.1 443; fw 3 3 203.0.113.77 445; } >fw.log
"$keibid" -q -c keibi.yml --once >once.out 2>once.err
check "keibid --once exits 0" 0 $?
check "the first lines are sealed" 1 \
    "$(grep -c '"type":"segment"' state/evidence/MANIFEST.jsonl)"

"$keibid" -c keibi.yml 2>keibid.err &
pid=$!
wait_for "the control socket" k status || { cat keibid.err; exit 1; }
# Written after the last seal: three more lines to the victim.
{ fw 4 4 203.0.113.77 445; fw 5 5 203.0.113.77 445; fw 6 6 198.51.100.2 443
  fw 7 7 203.0.113.77 445; } >>fw.log
wait_for "keibid to read the new lines" \
    sh -c "[ \$(grep -c KB-TEST-0001 alerts.jsonl 2>/dev/null) -ge 5 ]"
check "the new lines are not sealed yet" 1 \
    "$(grep -c '"type":"segment"' state/evidence/MANIFEST.jsonl)"

k hunt --json --remote 203.0.113.77 >sealed.json
check "hunt without --unsealed: the sealed lines only" 2 "$(hits sealed.json)"
check "hunt without --unsealed: nothing unsealed" 0 \
    "$(grep -c '"sealed":false' sealed.json)"
k hunt --json --unsealed --remote 203.0.113.77 >all.json
check "hunt --unsealed exits 0" 0 $?
check "hunt --unsealed: every line to the victim" 5 "$(hits all.json)"
check "hunt --unsealed: the new lines marked unsealed" 3 "$(unsealed all.json)"
check "hunt --unsealed: each line once" 5 \
    "$(perl -ne 'print "$1\n" if /"line":"([^"]*)"/' all.json | sort -u | wc -l | tr -d ' ')"
check "unsealed hits carry no segment proof" 0 \
    "$(grep '"sealed":false' all.json | grep -c '"proof"')"
check "unsealed hits name the file and say there is no proof" 3 \
    "$(grep '"sealed":false' all.json | grep '"path":"[^"]*/fw.log"' | grep -c 'no proof')"
# The file offsets of the unsealed hits are those of their lines.
perl -MJSON::PP -ne '$h = decode_json($_); next unless $h->{type} eq "hit" &&
    !$h->{sealed}; print "$h->{unsealed}{path_offset} $h->{unsealed}{length}\n"' \
    all.json >offs
ok=0
while read -r off len; do
	tail -c +$((off + 1)) fw.log | head -c "$len" | grep -q 'DST=203.0.113.77 ' &&
	    ok=$((ok + 1))
done <offs
check "unsealed offsets point at the lines in the file" 3 "$ok"
check "the summary counts the unsealed events" 3 \
    "$(head -1 all.json | perl -MJSON::PP -ne 'print decode_json($_)->{unsealed}{events}')"
k hunt --unsealed --remote 203.0.113.77 >all.txt
check "text: each unsealed hit says UNSEALED, no proof" 3 \
    "$(grep -c '^    UNSEALED [^ ]*/fw.log:[0-9]*:[0-9]* .*no proof' all.txt)"
check "text: the sealed hits keep their proof" 2 "$(grep -c '^    proof ' all.txt)"
check "text: the summary says so" 1 "$(grep -c '^UNSEALED: 3 of these events' all.txt)"
k hunt --unsealed --csv --remote 203.0.113.77 >all.csv
check "csv: the header names the sealed column" 1 \
    "$(head -1 all.csv | grep -c ',sha256,sealed,path')"
check "csv: the unsealed rows say no, without segment or hash" 3 \
    "$(grep -c ',,[0-9]*,[0-9]*,,no,"[^"]*/fw.log"' all.csv)"
check "csv: the sealed rows say yes" 2 "$(grep -c ',yes,"[^"]*/fw.log"' all.csv)"
k hunt --unsealed --source nothere --remote 203.0.113.77 >/dev/null
check "--source limits the unsealed files too" 1 $?

# keibid stops and seals them: found once, now with proof.
kill -TERM "$pid"
wait "$pid"
pid=""
check "keibid sealed the new lines on stop" 2 \
    "$(grep -c '"type":"segment"' state/evidence/MANIFEST.jsonl)"
k hunt --json --remote 203.0.113.77 >after.json
check "after the seal, hunt finds all of them sealed" 5 "$(hits after.json)"
k hunt --json --unsealed --remote 203.0.113.77 >after2.json
check "after the seal, --unsealed adds nothing" 5 "$(hits after2.json)"
check "after the seal, none is unsealed" 0 "$(unsealed after2.json)"

# The file is cut and written again (same inode): all of it is unsealed.
fw 8 8 203.0.113.77 445 >fw.log
k hunt --json --unsealed --remote 203.0.113.77 >cut.json
check "a file cut after its last seal is searched from its start" 1 \
    "$(unsealed cut.json)"
check "and the sealed lines are still found" 6 "$(hits cut.json)"

# Rotated: a second source, sealed once, then two lines appended and the
# file renamed as logrotate's dateext, dated and numbered forms name it.
cat >rot.yml <<EOF
state_dir: rstate
rules: [rules.d]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
control_socket: $tmp/rot.sock
sources:
  - {name: rot, path: rot.log, parser: iptables}
outputs:
  - {type: alerts, path: rot-alerts.jsonl}
EOF
r() { "$ctl" -c "$tmp/rot.yml" "$@"; }
fw 10 10 203.0.113.88 445 >rot.log
"$keibid" -q -c rot.yml --once >rot.out 2>rot.err
check "keibid --once seals the rotated source's first line" 1 \
    "$(grep -c '"type":"segment"' rstate/evidence/MANIFEST.jsonl)"
{ fw 11 11 203.0.113.88 445; fw 12 12 203.0.113.88 445; } >>rot.log
prev=rot.log
for name in rot.log-20261121 rot.log.2026-11-21 rot.log.3; do
	mv "$prev" "$name"
	prev=$name
	r hunt --json --unsealed --remote 203.0.113.88 >rot.json
	check "$name: the sealed line and the two unsealed ones" 3 "$(hits rot.json)"
	check "$name: the two appended lines are unsealed, in $name" 2 \
	    "$(grep '"sealed":false' rot.json | grep -c "\"path\":\"[^\"]*/$name\"")"
done
# A copy under a rotated name is another file the manifest never named.
cp rot.log.3 rot.log-20261122
r hunt --json --unsealed --remote 203.0.113.88 >rot.json
check "a copy under a rotated name is not searched" 3 "$(hits rot.json)"
rm rot.log-20261122
gzip rot.log.3
r hunt --json --unsealed --remote 203.0.113.88 >rot.json
check "a compressed rotated file is not searched for unsealed bytes" 0 \
    "$(unsealed rot.json)"

exit $fail
