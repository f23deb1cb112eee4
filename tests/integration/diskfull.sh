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
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: disk full needs a small tmpfs, and mounting one needs root"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
pid=
wpid=
mounted=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	wait 2>/dev/null
	[ -n "$mounted" ] && umount "$tmp/ev" 2>/dev/null
	[ -n "${KEIBI_KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1 ($3)"
	else
		echo "FAIL: $1: expected $2, got $3"
		fail=1
	fi
}
cd "$tmp" || exit 1
mkdir ev
if ! mount -t tmpfs -o size=256k,mode=0750 tmpfs ev 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here"
	exit 77
fi
mounted=1

cat >rules.yml <<'EOR'
rules:
  - id: KB-TEST-0001
    rev: 1
    title: Every numbered test line
    category: outbound_attack
    severity: low
    logsource: firewall
    match:
      network.transport: tcp
      destination.port: [445]
EOR
cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: fw, path: fw.log, parser: iptables}
evidence:
  dir: ev
  segment_size: 65536
  segment_age: 1
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
# gen FROM TO: numbered lines with 48 random hex digits each.
gen() {
	awk -v a="$1" -v b="$2" -v seed="$1" 'BEGIN { srand(seed)
	    for (i = a; i <= b; i++) {
		r = ""
		for (k = 0; k < 6; k++)
			r = r sprintf("%08x", int(rand() * 4294967296))
		printf "Nov 21 09:15:02 gw kernel: [%d.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0 X=%s\n", i, r
	    } }' >>fw.log
}
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }
tally() {
	sort -n | awk -v n="$1" '
	    { c[$1]++ }
	    END { m = 0; d = 0
		for (i = 1; i <= n; i++) { if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1 }
		for (k in c) if (k + 0 < 1 || k + 0 > n) d++
		print m, d }'
}
archived() {
	grep '"type":"segment"' ev/MANIFEST.jsonl |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r f; do zcat "ev/$f"; done
}
position() {
	sed -n 's/^ *"offset": \([0-9]*\),*$/\1/p' state/positions.json
}

: >fw.log
: >keibid.err
"$keibid" -q -c keibi.yml 2>>keibid.err &
pid=$!
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

# Wait until the archive fails for want of space.
i=0
until grep -q 'positions are held' keibid.err || [ $i -ge 150 ]; do
	sleep 0.2
	i=$((i + 1))
done
grep -q 'positions are held' keibid.err
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
i=0
until [ "$(position)" = "$size" ] || [ $i -ge 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
check "after space returns the position reaches the end" "$size" \
    "$(position)"
kill -TERM "$pid"
wait "$pid"
check "keibid stops cleanly" 0 $?
pid=
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
check "--once exits 0" 0 $?
set -- $(archived | nums | tally "$n")
check "archive holds all $n lines (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally "$n")
check "every line evaluated exactly once (missing duplicated)" "0 0" "$*"
(cd ev && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
check "sha256sum -c SHA256SUMS" 0 $?
find ev -name '*.gz' ! -path '*/orphaned/*' -exec gzip -t {} + 2>/dev/null
check "gzip -t on every segment" 0 $?
"$ctl" verify ev >verify.out 2>&1
check "keibictl verify" 0 $?
grep PROBLEM verify.out | head -3

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr (last lines)"
	tail -20 keibid.err
fi
exit $fail
