#!/bin/sh
# Integration: a file cut by copytruncate several times while keibid was
# stopped.  logrotate keeps the copies at path.1, path.2, ... newest
# first; keibid must read the rest of the generation it was in from its
# copy, then every later generation from its own copy, oldest first, and
# only then the file itself.  Pass: the archive holds every number exactly
# once, every line is evaluated exactly once, sha256sum -c and keibictl
# verify pass, and each cut is a gap record.
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
copytruncate() {	# as logrotate does: shift the copies, copy, cut
	for k in 3 2 1; do
		[ -f "fw.log.$k" ] && mv -f "fw.log.$k" "fw.log.$((k + 1))"
	done
	cp fw.log fw.log.1 && : >fw.log
}
archived() {
	grep '"type":"segment"' state/evidence/MANIFEST.jsonl |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r f; do zcat "state/evidence/$f"; done
}
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }
tally() {	# tally N: numbers 1..N missing and duplicated in stdin
	sort -n | awk -v n="$1" '
	    { c[$1]++ }
	    END { m = 0; d = 0
		for (i = 1; i <= n; i++) { if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1 }
		for (k in c) if (k + 0 < 1 || k + 0 > n) d++
		print m, d }'
}

gen 1 100
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
check "first read" 0 $?
# Stopped: the rest of this generation, then three cuts.
gen 101 150
copytruncate
gen 151 200
copytruncate
gen 201 260
copytruncate
gen 261 300
"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
check "read after three cuts" 0 $?
set -- $(archived | nums | tally 300)
check "archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 300)
check "every line evaluated exactly once (missing duplicated)" "0 0" "$*"
check "each cut is a gap record" 3 \
    "$(grep '"type":"gap"' state/evidence/MANIFEST.jsonl | grep -c truncated)"
# In archive order: the tail from the oldest copy, then each later copy.
check "the numbers come in order" 0 "$(archived | nums |
    awk 'NR > 1 && $1 < p { n++ } { p = $1 } END { print n + 0 }')"
(cd state/evidence && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
check "sha256sum -c SHA256SUMS" 0 $?
"$ctl" verify state/evidence >verify.out 2>&1
check "keibictl verify" 0 $?
grep PROBLEM verify.out | head -3

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr"
	cat keibid.err
fi
exit $fail
