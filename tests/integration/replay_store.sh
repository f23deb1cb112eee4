#!/bin/sh
# Integration: keibictl replay --into-store.  keibid --once archives the
# generated scenario (tests/integration/scenario.c) with a rule that never
# fires, so the live store holds no incident: the new rules have not run
# yet.  replay without the option writes nothing; with --into-store it
# opens, in the live incident store, the incidents a scratch replay says
# would have been opened (same dedup keys, same alert counts), each marked
# retrospective in its record, title and timeline.  A second replay opens
# nothing and counts no alert twice.  While keibid runs (and owns the
# store) --into-store refuses and writes nothing.
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
if ! perl -MJSON::PP -e 1 2>/dev/null; then
	echo "SKIP: perl JSON::PP is missing (contrib/bootstrap installs it)"
	exit 77
fi
"$top_builddir/tests/integration/scenario" "$tmp" || exit 1
cd "$tmp" || exit 1
mkdir rules.d
cat >rules.d/none.yml <<'EOF'
rules:
  - id: KB-TEST-0009
    rev: 1
    title: "Nothing in this scenario"
    description: "A port no line of the scenario uses."
    category: policy_violation
    severity: low
    logsource: firewall
    match:
      destination.port: 1
EOF
cat >keibi.yml <<EOF
state_dir: state
rules: [rules.d]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
  mail_servers: [10.0.0.25]
  proxies: [10.0.0.3]
  dns_servers: [10.0.0.53]
control_socket: $tmp/control.sock
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
outputs:
  - {type: jsonl, path: incidents.jsonl}
incidents: {throttle: 0}
EOF
k() { "$ctl" -c "$tmp/keibi.yml" "$@"; }
"$keibid" -q -c keibi.yml --once >once.out 2>once.err
check "keibid --once exits 0" 0 $?
check "the live run opened no incident" 0 \
    "$(k incidents --all --json | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}')"
store_sum() { cat state/incidents.db* | cksum; }

# Without the option: what would have been opened; nothing written.
before=$(store_sum)
k replay --json "$top_srcdir/rules" >scratch.json
check "replay exits 0" 0 $?
perl -MJSON::PP -ne '$d = decode_json($_); print "$d->{dedup_key} $d->{alert_count}\n"
    if $d->{type} eq "incident"' scratch.json | sort >scratch.inc
n=$(wc -l <scratch.inc | tr -d ' ')
echo "incidents a replay would open: $n"
[ "$n" -gt 0 ] || { echo "FAIL: the replay opened no incident"; fail=1; }
check "replay without --into-store writes nothing" "$before" "$(store_sum)"
k replay --into-store --no-incidents "$top_srcdir/rules" >/dev/null 2>&1
check "--into-store with --no-incidents: a usage error" 2 $?

# --into-store: the same incidents, in the live store, retrospective.
k replay --into-store "$top_srcdir/rules" >into.txt 2>into.err
check "replay --into-store exits 0" 0 $?
check "it says where they went" 1 \
    "$(grep -c "^$n incidents opened or updated in the live incident store" into.txt)"
k incidents --all --json >list.json
check "incidents --all lists them" "$n" \
    "$(perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <list.json)"
check "every title says retrospective" "$n" \
    "$(perl -MJSON::PP -e 'local $/; print scalar grep { $_->{title} =~ /^\[Retrospective\] / } @{decode_json(<STDIN>)}' <list.json)"
: >live.inc
: >retro.flags
for id in $(perl -MJSON::PP -e 'local $/; print "$_->{id}\n" for @{decode_json(<STDIN>)}' <list.json); do
	k show "$id" --json >show.json
	perl -MJSON::PP -e 'local $/; $d = decode_json(<STDIN>);
	    print "$d->{dedup_key} $d->{alert_count}\n"' <show.json >>live.inc
	perl -MJSON::PP -e 'local $/; $d = decode_json(<STDIN>);
	    $t = grep { $_->{kind} eq "retrospective" && $_->{by} =~ /^keibictl replay / } @{$d->{timeline}};
	    print(($d->{retrospective} ? "record" : "-"), " ",
	    ($d->{summary} =~ /found retrospectively/ ? "summary" : "-"), " ",
	    ($t == 1 ? "timeline" : "-"), "\n")' <show.json >>retro.flags
done
check "the same incidents as the scratch replay" "$(cksum <scratch.inc)" \
    "$(sort live.inc | cksum)"
check "each is retrospective in record, summary and timeline" \
    "$n record summary timeline" \
    "$(sort retro.flags | uniq -c | awk '{print $1, $2, $3, $4}')"

# Again: nothing new, no alert counted twice.
k incidents --all --json >list1.json
k replay --into-store "$top_srcdir/rules" >again.txt
check "a second replay --into-store exits 0" 0 $?
check "a second replay opens or updates nothing" 1 \
    "$(grep -c '^0 incidents opened or updated in the live incident store' again.txt)"
check "a second replay finds every alert there already" same \
    "$(sed -n 's/.* \([0-9]*\) alerts (retrospective: written into the live incident store, \([0-9]*\) of them were there already)$/\1 \2/p' again.txt |
    awk '$1 > 0 && $1 == $2 { print "same" }')"
k incidents --all --json >list2.json
check "no duplicate, no change" "$(cksum <list1.json)" "$(cksum <list2.json)"

# With keibid running (it owns the store): refused, nothing written.
"$keibid" -c keibi.yml 2>keibid.err &
pid=$!
wait_for "the control socket" k status || { cat keibid.err; exit 1; }
before=$(k incidents --all --json | cksum)
k replay --into-store "$top_srcdir/rules" >busy.out 2>busy.err
check "--into-store while keibid runs: refused" 4 $?
check "it says why" 1 "$(grep -c 'keibid is running and owns the incident store' busy.err)"
check "nothing was written" "$before" "$(k incidents --all --json | cksum)"
kill -TERM "$pid"
wait "$pid"
pid=""

exit $fail
