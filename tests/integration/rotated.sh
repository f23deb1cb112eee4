#!/bin/sh
# Integration: files rotated by rename while keibid was stopped, under the
# other names logrotate gives them: dateext (fw.log-YYYYMMDD), dateext
# with a format (fw.log.YYYY-MM-DD), and compressed (fw.log-YYYYMMDD.gz,
# fw.log.1.gz), where the inode is gone and the file is known only by the
# fingerprint of its uncompressed first bytes.  keibid must read the
# unread tail of the file it was in, then each newer rotated file whole,
# oldest first, then the file at the path, and never an older rotated
# file again.  Pass: the archive holds every number exactly once and in
# order, every line is evaluated exactly once, no gap is recorded, and
# gzip -t, sha256sum -c and keibictl verify pass.
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

rotate() {	# rotate NAME [gz]: rename to NAME (compressed), new file
	mv fw.log "$1" && : >fw.log
	if [ "${2:-}" = gz ]; then gzip -n "$1" || exit 1; fi
}
once() {	# once WHAT N: read, then every number 1..N exactly once
	"$keibid" -q -c keibi.yml --once >/dev/null 2>>keibid.err
	check "$1: keibid --once" 0 $?
	check "$1: archive (missing duplicated)" "0 0" \
	    "$(archived | nums | tally "$2")"
	check "$1: evaluated exactly once (missing duplicated)" "0 0" \
	    "$(nums <alerts.jsonl | tally "$2")"
}

gen 1 100
once "first read" 100
# dateext: the tail of the file keibid was in is in fw.log-20251121.
gen 101 150
rotate fw.log-20251121
gen 151 200
once "dateext" 200
# Two rotations while stopped, both compressed at once (no delaycompress):
# the tail is in the first .gz, the second .gz is read whole.
gen 201 260
rotate fw.log-20251122 gz
gen 261 300
rotate fw.log-20251123 gz
gen 301 320
once "dateext, compressed" 320
# dateext with a format, then compressed with numbers: the unread tail
# is in fw.log.2025-11-24 (plain), the newer fw.log.1.gz is read whole.
gen 321 400
rotate fw.log.2025-11-24
gen 401 420
rotate fw.log.1 gz
gen 421 430
once "dated and numbered, compressed" 430
# A .gz whose head is the saved file's but that ends before the saved
# position is not taken for it; the right one is.
gen 431 500
cp fw.log decoy && head -c 200 decoy >fw.log-20251125 && gzip -n fw.log-20251125
rm -f decoy
rotate fw.log-20251126 gz
gen 501 510
once "a short look-alike is not the file" 510
check "no gap recorded" 0 "$(grep -c '"type":"gap"' state/evidence/MANIFEST.jsonl)"
check "the numbers come in order" 0 "$(archived | nums |
    awk 'NR > 1 && $1 < p { n++ } { p = $1 } END { print n + 0 }')"
(cd state/evidence && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
check "sha256sum -c SHA256SUMS" 0 $?
find state/evidence -name '*.gz' ! -path '*/orphaned/*' -exec gzip -t {} + 2>/dev/null
check "gzip -t on every segment" 0 $?
"$ctl" verify state/evidence >verify.out 2>&1
check "keibictl verify" 0 $?
grep PROBLEM verify.out | head -3

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr"
	cat keibid.err
fi
exit $fail
