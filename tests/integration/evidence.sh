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
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
pid=
wpid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
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
  - {name: fw, path: fw.log, parser: iptables, rotate_wait: 1}
evidence:
  segment_size: 65536
  segment_age: 2
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC

# gen FROM TO: numbered lines, appended (O_APPEND, as loggers write).
gen() {
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++)
	    printf "Nov 21 09:15:02 gw kernel: [%d.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0\n", i }' >>fw.log
}
# rotate: fw.log -> fw.log.1, older ones shift (at most .8 kept).
rotate() {
	for k in 7 6 5 4 3 2 1; do
		[ -f "fw.log.$k" ] && mv "fw.log.$k" "fw.log.$((k + 1))"
	done
	[ -f fw.log ] && mv fw.log fw.log.1
	: >fw.log
}
start() {
	"$keibid" -q -c keibi.yml 2>>keibid.err &
	pid=$!
}
stop() {	# stop SIGNAL
	kill -"$1" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
# The numbers in the archive of source fw, in manifest order.
archived() {
	grep '"type":"segment"' state/evidence/MANIFEST.jsonl |
	    grep '"source":"fw"' |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r f; do zcat "state/evidence/$f"; done
}
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }
# Count numbers 1..N missing and duplicated in stdin.
tally() {
	sort -n | awk -v n="$1" '
	    { c[$1]++ }
	    END { m = 0; d = 0
		for (i = 1; i <= n; i++) { if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1 }
		for (k in c) if (k + 0 < 1 || k + 0 > n) d++
		print m, d }'
}
copytruncate() {	# as logrotate does it: shift the old copy, copy, truncate
	[ -f fw.log.1 ] && mv -f fw.log.1 fw.log.2
	cp fw.log fw.log.1 && : >fw.log
}
archive_ok() {	# standard tools and keibictl verify on the archive
	(cd state/evidence && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
	check "sha256sum -c SHA256SUMS ($1)" 0 $?
	find state/evidence -name '*.gz' ! -path '*/orphaned/*' -exec gzip -t {} + 2>/dev/null
	check "gzip -t on every segment ($1)" 0 $?
	"$ctl" verify state/evidence >verify.out 2>&1
	check "keibictl verify ($1)" 0 $?
	grep -E 'PROBLEM' verify.out | head -3
}

# --- phase 1: rename rotation every ~second, SIGTERM and SIGKILL --------
: >fw.log
(
	n=0
	while [ ! -f stop-writer ]; do
		gen $((n + 1)) $((n + 150))
		n=$((n + 150))
		echo "$n" >written.tmp && mv written.tmp written
		if [ $((n % 2400)) -eq 0 ] && [ ! -f no-rotate ]; then
			rotate
		fi
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
		touch no-rotate; sleep 0.2
		rotate; gen 100000001 100000000; rotate
		rm -f no-rotate
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
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
check "--once after the storm exits 0" 0 $?
set -- $(archived | nums | tally "$n")
check "phase 1: archive holds all $n lines (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally "$n")
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
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
set -- $(archived | nums | tally "$n")
check "phase 2: copytruncate, writer paused (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally "$n")
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
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
set -- $(archived | nums | tally "$n")
check "phase 3: nothing archived twice" 0 "$2"
gaps=$(grep '"type":"gap"' state/evidence/MANIFEST.jsonl | grep -c truncated)
check "phase 3: every truncation recorded as a gap" 5 "$gaps"
echo "phase 3: $1 of $n lines lost in the copy window, each truncation recorded"
set -- $(nums <alerts.jsonl | tally "$n")
check "phase 3: nothing evaluated twice" 0 "$2"
archive_ok "phase 3"
grep -q 'recorded as a gap' keibid.err
check "truncations are warned about" 0 $?

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr (last lines)"
	tail -20 keibid.err
fi
exit $fail
