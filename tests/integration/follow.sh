#!/bin/sh
# Integration: keibid follows its files through inotify, and by polling
# where inotify is not used.  Two sources share one folder (one inotify
# watch serves both).  With inotify the safety poll is set to 30 s, so a
# line that arrives within 5 s was read because of an event: appended
# lines, a file rotated by rename and a file cut by copytruncate are each
# read at once.  Then the same with "follow: poll".  Pass, in both modes:
# every line arrives within the bound, the archive of each source holds
# every number exactly once, every line is evaluated exactly once, and
# gzip -t, sha256sum -c and keibictl verify pass.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
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
config() {	# config MODE-KEYS
	cat >keibi.yml <<EOC
state_dir: state
rules: [rules.yml]
control_socket: $tmp/control.sock
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: a, path: logs/a.log, parser: iptables, rotate_wait: 1, $1}
  - {name: b, path: logs/b.log, parser: iptables, rotate_wait: 1, $1}
evidence:
  segment_age: 2
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
}
gen() {		# gen FILE FROM TO: numbered lines, appended
	awk -v a="$2" -v b="$3" 'BEGIN { for (i = a; i <= b; i++)
	    printf "Nov 21 09:15:02 gw kernel: [%d.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0\n", i }' >>"$1"
}
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }
archived() {	# archived SOURCE: its bytes in manifest order
	grep '"type":"segment"' state/evidence/MANIFEST.jsonl |
	    grep "\"source\":\"$1\"" |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r f; do zcat "state/evidence/$f"; done
}
tally() {	# tally FROM TO [FROM TO]: numbers missing and duplicated
	sort -n | awk -v r="$*" '
	    { c[$1]++ }
	    END { m = 0; d = 0; k = split(r, v, " ")
		for (j = 1; j < k; j += 2)
		    for (i = v[j]; i <= v[j + 1]; i++) {
			if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1
			w[i] = 1
		    }
		for (i in c) if (!(i in w)) d += c[i]
		print m, d }'
}
# arrives WHAT NUMBER: wait at most 5 s for the alert of line NUMBER.
arrives() {
	t=0
	while [ $t -lt 50 ]; do
		if [ -f alerts.jsonl ] && nums <alerts.jsonl | grep -qx "$2"; then
			check "$1 arrives within 5 s" yes yes
			echo "   (after about ${t}00 ms)"
			return
		fi
		sleep 0.1
		t=$((t + 1))
	done
	check "$1 arrives within 5 s" yes no
}
start() {
	"$keibid" -c keibi.yml 2>>keibid.err &
	pid=$!
}
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
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
# One run: lines appended, rename rotation, copytruncate, a new file.
# The archive must then hold the lines of every earlier run too (PREV).
exercise() {	# exercise MODE A-BASE B-BASE [PREV-A PREV-B]
	mkdir -p logs
	gen logs/a.log $(($2 + 1)) $(($2 + 100))
	start
	arrives "$1: the backlog of a" $(($2 + 100))
	sleep 1
	gen logs/b.log $(($3 + 1)) $(($3 + 1))
	arrives "$1: a line appended to b" $(($3 + 1))
	gen logs/a.log $(($2 + 101)) $(($2 + 101))
	arrives "$1: a line appended to a" $(($2 + 101))
	sleep 1
	# Rename rotation: the old file gets one more line after the rename.
	mv logs/a.log logs/a.log.1
	gen logs/a.log.1 $(($2 + 102)) $(($2 + 102))
	: >logs/a.log
	gen logs/a.log $(($2 + 103)) $(($2 + 110))
	arrives "$1: the late line of the renamed file" $(($2 + 102))
	arrives "$1: a line of the new file after rename" $(($2 + 110))
	sleep 1.5
	# copytruncate, writer paused: nothing is lost.
	mv -f logs/b.log.1 logs/b.log.2 2>/dev/null
	cp logs/b.log logs/b.log.1 && : >logs/b.log
	gen logs/b.log $(($3 + 2)) $(($3 + 20))
	arrives "$1: a line after copytruncate" $(($3 + 20))
	gen logs/b.log $(($3 + 21)) $(($3 + 21))
	arrives "$1: the next line after copytruncate" $(($3 + 21))
	stop
	set -- "$1" $(archived a | nums | tally ${4:-} $(($2 + 1)) $(($2 + 110))) \
	    $(archived b | nums | tally ${5:-} $(($3 + 1)) $(($3 + 21)))
	check "$1: archive of a, b (missing duplicated each)" "0 0 0 0" \
	    "$2 $3 $4 $5"
}

# --- inotify, safety poll 30 s --------------------------------------------
config "poll_interval: 30"
exercise inotify 0 100000
if grep -q 'inotify is not available\|cannot watch' keibid.err; then
	echo "SKIP: inotify cannot be used here"
	cat keibid.err
	exit 77
fi
check "inotify: both sources follow with inotify" 2 \
    "$(grep -c 'following .*/logs/[ab].log with inotify' keibid.err)"

# --- polling ---------------------------------------------------------------
config "follow: poll"
: >keibid.err
exercise poll 1000 200000 "1 110" "100001 100021"
check "poll: no source uses inotify" 0 \
    "$(grep -c 'with inotify' keibid.err)"

set -- $(nums <alerts.jsonl | sort -n | awk '
    { c[$1]++ }
    END { d = 0; for (k in c) if (c[k] > 1) d += c[k] - 1; print NR, d }')
check "every line evaluated exactly once (alerts duplicated)" "262 0" "$*"
archive_ok "after both runs"

if [ $fail -ne 0 ]; then
	echo "--- keibid stderr"
	cat keibid.err
fi
exit $fail
