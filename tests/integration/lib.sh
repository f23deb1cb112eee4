# Helpers shared by the integration tests (tests/integration/*.sh).
# A test sources this file first:
#
#	set -u
#	: "${top_srcdir:=.}"
#	. "$top_srcdir/tests/integration/lib.sh"
#
# It gives the paths of the programs under test, a temporary folder that
# is removed on exit (kept when KEIBI_KEEP_TMP is set), check() and the
# fail flag, waiting with a bound, keibid started in the background and
# stopped, numbered lines and their oracle (every generated line carries
# its number; tally counts the numbers missing and duplicated), and the
# checks an evidence archive must pass with standard tools and keibictl.
# It must stay POSIX sh: the tests run under /bin/sh, which may be dash.
# The variables it sets for the tests are listed below; the temporaries
# of its functions start with lib_, so that they never clobber a test's.

: "${top_srcdir:=.}" "${top_builddir:=.}"
# Absolute, so that a test may cd into its folder when run by hand too.
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
probe="$top_builddir/tests/integration/probe"
fail=0		# set to 1 by every failed check; the test exits with it
pid=		# keibid started by keibid_start, killed on exit
wpid=		# a background writer the test started, killed on exit
evdir=state/evidence	# the evidence archive that archived and archive_ok read
waited=0	# tenths of a second the last wait_until took

# cleanup_extra: a test's own clean-up, run on exit after keibid and the
# writer are killed and before the folder is removed.  Redefine it after
# sourcing this file.
cleanup_extra() { :; }

# lib_cleanup: the EXIT trap; kills keibid and the writer, removes $tmp.
lib_cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	cleanup_extra
	[ -n "${KEIBI_KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}

# setup_tmp: make the test's folder $tmp, remove it on exit, and cd there.
setup_tmp() {
	tmp=$(mktemp -d) || exit 1
	trap lib_cleanup EXIT
	cd "$tmp" || exit 1
}

# check WHAT EXPECTED ACTUAL: say ok or FAIL; a failure sets fail=1.
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1 ($3)"
	else
		echo "FAIL: $1: expected '$2', got '$3'"
		fail=1
	fi
}

# finish [LINES]: exit with $fail; on failure first show keibid.err (its
# last LINES lines when given).  Never returns.
finish() {
	if [ "$fail" -ne 0 ] && [ -f keibid.err ]; then
		if [ -n "${1:-}" ]; then
			echo "--- keibid stderr (last lines)"
			tail -n "$1" keibid.err
		else
			echo "--- keibid stderr"
			cat keibid.err
		fi
	fi
	exit "$fail"
}

# wait_until TENTHS COMMAND...: run COMMAND (output discarded) every
# 0.1 s until it succeeds, at most TENTHS times.  Returns 0 when it did,
# 1 when it never did; sets $waited to the tries that failed first.
wait_until() {
	lib_n=$1
	shift
	waited=0
	while [ "$waited" -lt "$lib_n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		waited=$((waited + 1))
	done
	return 1
}

# wait_for WHAT COMMAND...: wait_until for up to 10 s; a timeout is a
# failure ("timed out waiting for WHAT") and returns 1.
wait_for() {
	lib_what=$1
	shift
	wait_until 100 "$@" && return 0
	echo "FAIL: timed out waiting for $lib_what"
	fail=1
	return 1
}

# keibid_start ARGS...: start keibid ARGS in the background, its stderr
# appended to keibid.err; its process id is $pid.
keibid_start() {
	"$keibid" "$@" 2>>keibid.err &
	pid=$!
}

# keibid_stop [SIGNAL]: send SIGNAL (TERM) to keibid and wait for it.
# Returns keibid's exit status (128 + the signal's number if it died of
# one).
keibid_stop() {
	kill -"${1:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	lib_rc=$?
	pid=
	return $lib_rc
}

# keibid_once [CONFIG]: keibid -q --once on CONFIG (keibi.yml), stdout
# discarded, stderr appended to keibid.err.  Returns keibid's status.
keibid_once() {
	"$keibid" -q -c "${1:-keibi.yml}" --once >/dev/null 2>>keibid.err
}

# start_on_free_port SEED STEP READY...: start keibid -c $tmp/keibi.yml
# on a port that is free (another test may hold one).  Up to 5 tries,
# each setting $port, calling the test's write_config (which must use
# $port) and waiting up to 10 s for the command READY to succeed.
# Returns 0 when keibid runs, 1 when no try worked; a try that failed
# does not count as a failure of the test.
start_on_free_port() {
	lib_seed=$1
	lib_step=$2
	shift 2
	lib_fail=$fail
	for lib_try in 1 2 3 4 5; do
		port=$((20000 + ($$ * lib_seed + lib_try * lib_step) % 40000))
		write_config
		keibid_start -c "$tmp/keibi.yml"
		wait_for "the control socket" "$@" && return 0
		keibid_stop TERM
		fail=$lib_fail
	done
	return 1
}

# write_rule_smb: the folder rules.d with smb.yml, one rule (KB-TEST-0001,
# high) that alerts on every line to port 445.
write_rule_smb() {
	mkdir rules.d || exit 1
	cat >rules.d/smb.yml <<'EOR'
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
EOR
}

# write_config_smb OUTPUT [SOURCE...]: keibi.yml for write_rule_smb, with
# the control socket $sock and metrics on 127.0.0.1:$port; the source fw
# (fw.log, iptables), then each SOURCE ("{name: ..., ...}"), and the one
# output OUTPUT ("{type: ..., ...}").
write_config_smb() {
	lib_out=$1
	shift
	{
		cat <<EOC
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
EOC
		for lib_k in "$@"; do
			echo "  - $lib_k"
		done
		echo "outputs:"
		echo "  - $lib_out"
	} >keibi.yml
}

# --- numbered lines and their oracle --------------------------------------

# write_rule_numbered: rules.yml, one rule that alerts once on every
# numbered line (TCP to port 445).
write_rule_numbered() {
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
}

# write_config_numbered [SOURCE-KEYS [EVIDENCE-KEY...]]: keibi.yml for
# write_rule_numbered, one source fw (fw.log, iptables) with SOURCE-KEYS
# ("key: value, ...") added, evidence at level 1 with each EVIDENCE-KEY
# ("key: value") added, and one alert per line in alerts.jsonl.
write_config_numbered() {
	lib_src=${1:+, $1}
	[ $# -gt 0 ] && shift
	{
		cat <<EOC
state_dir: state
rules: [rules.yml]
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: fw, path: fw.log, parser: iptables$lib_src}
evidence:
EOC
		for lib_k in "$@"; do
			echo "  $lib_k"
		done
		cat <<EOC
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
EOC
	} >keibi.yml
}

# gen_lines FILE FROM TO [hex]: append the numbered lines FROM..TO to
# FILE, each raising one alert of write_rule_numbered.  With "hex", each
# line ends in 48 random hex digits (seeded by FROM), so that the lines
# do not compress well.
gen_lines() {
	awk -v a="$2" -v b="$3" -v hex="${4:-}" 'BEGIN { srand(a)
	    for (i = a; i <= b; i++) {
		x = ""
		if (hex != "") {
			x = " X="
			for (k = 0; k < 6; k++)
				x = x sprintf("%08x", int(rand() * 4294967296))
		}
		printf "Nov 21 09:15:02 gw kernel: [%d.1] FWD-ACCEPT: " \
		    "IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=52 " \
		    "TOS=0x00 PREC=0x00 TTL=127 ID=1 DF PROTO=TCP SPT=50122 " \
		    "DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0%s\n", i, x
	    } }' >>"$1"
}

# gen FROM TO: the numbered lines FROM..TO, appended to fw.log.
gen() { gen_lines fw.log "$1" "$2"; }

# nums: the number of every numbered line in stdin, one a line.
nums() { sed -n 's/.*kernel: \[\([0-9]*\)\.1\].*/\1/p'; }

# tally FROM TO [FROM TO ...]: of the numbers in stdin (one a line),
# print "MISSING DUPLICATED": how many numbers of the ranges are absent,
# and how many are there more than once (each extra copy counts), every
# copy of a number outside the ranges counting as a duplicate too.
tally() {
	sort -n | awk -v r="$*" '
	    { c[$1]++ }
	    END { m = 0; d = 0; k = split(r, v, " ")
		for (j = 1; j < k; j += 2)
		    for (i = v[j] + 0; i <= v[j + 1] + 0; i++) {
			if (!(i in c)) m++; else if (c[i] > 1) d += c[i] - 1
			w[i] = 1
		    }
		for (i in c) if (!(i in w)) d += c[i]
		print m, d }'
}

# descents: how many numbers in stdin are smaller than the one before.
descents() {
	awk 'NR > 1 && $1 < p { n++ } { p = $1 } END { print n + 0 }'
}

# --- the evidence archive ($evdir) -----------------------------------------

# archived [SOURCE]: the archived bytes (of SOURCE only, when given), each
# segment decompressed, in manifest order.
archived() {
	grep '"type":"segment"' "$evdir/MANIFEST.jsonl" |
	    if [ -n "${1:-}" ]; then grep "\"source\":\"$1\""; else cat; fi |
	    sed 's/.*"file":"\([^"]*\)".*/\1/' |
	    while read -r lib_f; do zcat "$evdir/$lib_f"; done
}

# archive_ok [WHAT]: check the archive with sha256sum -c SHA256SUMS, gzip
# -t on every segment and keibictl verify (output in verify.out), naming
# WHAT in each check; show the first problems verify reports.
archive_ok() {
	lib_what=${1:+ ($1)}
	(cd "$evdir" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
	check "sha256sum -c SHA256SUMS$lib_what" 0 $?
	find "$evdir" -name '*.gz' ! -path '*/orphaned/*' \
	    -exec gzip -t {} + 2>/dev/null
	check "gzip -t on every segment$lib_what" 0 $?
	"$ctl" verify "$evdir" >verify.out 2>&1
	check "keibictl verify$lib_what" 0 $?
	grep PROBLEM verify.out | head -3
}
