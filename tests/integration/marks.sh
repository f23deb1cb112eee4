#!/bin/sh
# Integration: bytes sealed after the last checkpoint are skipped when they
# are read again, and only then.  A crash between a seal and the checkpoint
# is made exactly, with keibid --once and the positions.json of the run
# before; then the file keeps its device and inode but its bytes change
# (cut in place, or cut by copytruncate).  What was archived of the old
# bytes must never hide the new bytes at the same offsets, and a mark
# must not outlive the file it was read from.  Pass: the archive of the
# source, decompressed in manifest order, holds every number exactly once;
# every line still in a file is evaluated exactly once; sha256sum -c and
# keibictl verify pass.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
cleanup() {
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
  - {name: fw, path: fw.log, parser: iptables}
evidence:
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC

gen() {		# gen FROM TO: numbered lines, appended
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++)
	    printf "Nov 21 09:15:02 gw kernel: [%d.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0\n", i }' >>fw.log
}
once() {
	"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
	check "keibid --once ($1) exits 0" 0 $?
}
archived() {
	grep '"type":"segment"' state/evidence/MANIFEST.jsonl |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r f; do zcat "state/evidence/$f"; done
}
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }
tally() {	# tally FROM TO: numbers missing and duplicated in stdin
	sort -n | awk -v a="$1" -v b="$2" '
	    { c[$1]++ }
	    END { m = 0; d = 0
		for (i = a; i <= b; i++) { if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1 }
		for (k in c) if (k + 0 < a || k + 0 > b) d++
		print m, d }'
}
marks() {	# marks left in the checkpoint
	grep -c '"start"' state/positions.json
}
archive_ok() {
	(cd state/evidence && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
	check "sha256sum -c SHA256SUMS ($1)" 0 $?
	"$ctl" verify state/evidence >verify.out 2>&1
	check "keibictl verify ($1)" 0 $?
	grep PROBLEM verify.out | head -3
}
# crash: the run just made sealed its bytes, but its checkpoint is lost.
crash() {
	cp saved.json state/positions.json
}
reset() {
	rm -rf state fw.log fw.log.1 alerts.jsonl keibid.err
}

# --- 1: a mark that ends with its file is spent, and not left behind -----
reset
gen 1 100
once "first read"
cp state/positions.json saved.json
gen 101 200
once "sealed after the checkpoint"
crash
once "after the crash"
check "1: the lines sealed before the crash are skipped, none left" 0 \
    "$(marks)"
set -- $(archived | nums | tally 1 200)
check "1: archive after the crash (missing duplicated)" "0 0" "$*"
: >fw.log			# cut in place: same device and inode
gen 201 400
once "after the cut"
set -- $(archived | nums | tally 1 400)
check "1: archive after a cut in place (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 400)
check "1: every line evaluated exactly once (missing duplicated)" "0 0" "$*"
archive_ok 1

# --- 2: copytruncate while stopped after a crash ---------------------------
reset
gen 1 100
once "first read"
cp state/positions.json saved.json
gen 101 200
once "sealed after the checkpoint"
crash
cp fw.log fw.log.1 && : >fw.log	# the copy keeps the old bytes
gen 201 400
once "after the crash and the copytruncate"
set -- $(archived | nums | tally 1 400)
check "2: archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 400)
check "2: every line evaluated exactly once (missing duplicated)" "0 0" "$*"
check "2: no mark left" 0 "$(marks)"
archive_ok 2

# --- 3: cut in place while stopped after a crash (no copy) -----------------
# Lines 101-200 are archived, their alerts rolled back with the crash, and
# their bytes gone from the file: only the archive still holds them.
reset
gen 1 100
once "first read"
cp state/positions.json saved.json
gen 101 200
once "sealed after the checkpoint"
crash
: >fw.log
gen 201 400
once "after the crash and the cut"
set -- $(archived | nums | tally 1 400)
check "3: archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 201 400 | sed 's/ .*//')
check "3: the new lines are all evaluated" 0 "$*"
check "3: no mark left" 0 "$(marks)"
grep -q 'are not in the files any more' keibid.err
check "3: the marks of the old bytes are dropped, and said so" 0 $?
archive_ok 3

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr (last lines)"
	tail -20 keibid.err
fi
exit $fail
