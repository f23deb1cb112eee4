#!/bin/sh
# Integration: keibictl replay --parser over external log files.  The
# generated scenario (tests/integration/scenario.c) is run live through
# keibid --once; then the same lines, rotated the way logrotate leaves
# them (proxy.log.1.gz holding the older half, proxy.log the newer, the
# mail log compressed whole), are replayed from the files: with --parser
# auto the three formats are told apart and merged by event time, and the
# alerts (rule and event, field by field) and the incidents (dedup key and
# alert count) are those keibid raised live, whatever order the files are
# named in.  A file's alerts name the file, the offset in its decompressed
# text and the length; those bytes are the line.  --source maps files to a
# configured source.  A gzip file cut short and a missing file are
# reported (exit 1).  --into-store opens the incidents in the live store,
# retrospective, and a second run counts every alert as there already.
# A progress bar is drawn on a terminal only.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
cleanup() {
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
if ! perl -MJSON::PP -e 1 2>/dev/null; then
	echo "SKIP: perl JSON::PP is missing (contrib/bootstrap installs it)"
	exit 77
fi
"$top_builddir/tests/integration/scenario" "$tmp" || exit 1
cd "$tmp" || exit 1
rules=$(cd "$top_srcdir/rules" && pwd)
cat >keibi.yml <<EOF
state_dir: state
rules: [$rules]
timezone: UTC
networks:
  internal: [10.0.0.0/8]
  mail_servers: [10.0.0.25]
  proxies: [10.0.0.3]
  dns_servers: [10.0.0.53]
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
outputs:
  - {type: alerts, path: alerts.jsonl}
  - {type: jsonl, path: incidents.jsonl}
incidents: {throttle: 0}
EOF
k() { "$ctl" -c "$tmp/keibi.yml" "$@"; }
"$keibid" -q -c keibi.yml --once >once.out 2>once.err
check "keibid --once exits 0" 0 $?
nlive=$(wc -l <alerts.jsonl | tr -d ' ')
echo "alerts raised live: $nlive"
[ "$nlive" -gt 10 ] || { echo "FAIL: too few live alerts"; fail=1; }

# The logs as rotation leaves them, away from the configured paths.
mkdir logs
n=$(wc -l <proxy.log)
head -n $((n / 2)) proxy.log | gzip -1 >logs/proxy.log.1.gz
tail -n +$((n / 2 + 1)) proxy.log >logs/proxy.log
cp firewall.log logs/firewall.log
gzip -1 -c mail.log >logs/mail.log.gz

# live_alerts_of SOURCE / retro_alerts FILE: rule and event, one a line.
live_alerts_of() {
	perl -MJSON::PP -e 'my $s = shift; my $j = JSON::PP->new->canonical;
	    while (<>) { my $d = decode_json($_); next if $d->{source} ne $s;
	    print "$d->{rule}{id} ", $j->encode($d->{event}), "\n" }' "$1" \
	    <alerts.jsonl | LC_ALL=C sort
}
retro_alerts() {
	perl -MJSON::PP -ne 'BEGIN { $j = JSON::PP->new->canonical }
	    $d = decode_json($_); next unless $d->{type} eq "alert" &&
	    $d->{retrospective}; print "$d->{rule} ", $j->encode($d->{event}), "\n"' \
	    "$1" | LC_ALL=C sort
}
retro_incidents() {
	perl -MJSON::PP -ne '$d = decode_json($_); print "$d->{dedup_key} $d->{alert_count}\n"
	    if $d->{type} eq "incident" && $d->{retrospective}' "$1" | LC_ALL=C sort
}
perl -MJSON::PP -ne '$d = decode_json($_); $l{$d->{id}} = "$d->{dedup_key} $d->{alert_count}";
    END { print "$_\n" for sort values %l }' incidents.jsonl | LC_ALL=C sort >live.inc
perl -MJSON::PP -ne 'BEGIN { $j = JSON::PP->new->canonical }
    $d = decode_json($_); print "$d->{rule}{id} ", $j->encode($d->{event}), "\n"' \
    alerts.jsonl | LC_ALL=C sort >live.al

# --parser auto, the files as a glob names them (newest proxy half first).
k replay --parser auto --json logs/* >auto.json 2>auto.err
check "replay --parser auto exits 0" 0 $?
check "nothing on standard error" "" "$(cat auto.err)"
retro_alerts auto.json >auto.al
check "the alerts keibid raised live ($nlive)" "$(cksum <live.al)" \
    "$(cksum <auto.al)"
retro_incidents auto.json >auto.inc
check "the incidents keibid opened live ($(wc -l <live.inc | tr -d ' '))" \
    "$(cksum <live.inc)" "$(cksum <auto.inc)"
[ -s live.inc ] || { echo "FAIL: the live run opened no incident"; fail=1; }

# Named the other way round: the same replay.
k replay --parser auto --json logs/proxy.log.1.gz logs/proxy.log \
    logs/mail.log.gz logs/firewall.log >order.json
retro_alerts order.json >order.al
check "the order the files are named in does not matter" \
    "$(cksum <live.al)" "$(cksum <order.al)"

# A file's alert points at its line in the decompressed text.
perl -MJSON::PP -ne '$d = decode_json($_); next unless $d->{type} eq "alert"
    && $d->{file}; print "$d->{file}{path} $d->{file}{offset} $d->{file}{length}\n"' \
    auto.json >places
check "every line alert names its file, none claims a proof" \
    "$(grep -c '"file":{' auto.json)" "$(grep '"type":"alert"' auto.json |
    grep -c '"note":"an external file, not in the evidence archive: no proof"')"
check "no alert of a file carries a segment proof" 0 "$(grep -c '"proof":' auto.json)"
good=0
total=0
while read -r path off len; do
	total=$((total + 1))
	line=$(gzip -dcf "$path" | tail -c +$((off + 1)) | head -c "$len")
	# The line is one of the file's lines, and a whole one.
	gzip -dcf "$path" | grep -qxF "$line" && good=$((good + 1))
done <places
[ "$total" -gt 0 ] || { echo "FAIL: no alert names a file"; fail=1; }
check "the file offsets are those of whole lines" "$total" "$good"
gz=$(grep -c '^logs/proxy.log.1.gz \|^logs/mail.log.gz ' places)
[ "$gz" -gt 0 ] || { echo "FAIL: no alert from a .gz file"; fail=1; }

# Text form.
k replay --parser auto logs/* >auto.txt
check "text: a RETRO line per alert" "$nlive" "$(grep -c '^RETRO ALERT ' auto.txt)"
check "text: each says file, no proof" "$nlive" \
    "$(grep -c '^    file logs/[^ ]*:[0-9]*:[0-9]* (not in the archive: no proof)$' auto.txt)"
check "text: the summary counts the files" 1 \
    "$(grep -c '^replay: 4 files, ' auto.txt)"

# One family, mapped to its configured source: keibid's proxy alerts.
k replay --parser squid --source proxy --json --no-incidents \
    logs/proxy.log logs/proxy.log.1.gz >proxy.json
check "--source proxy exits 0" 0 $?
retro_alerts proxy.json >proxy.al
live_alerts_of proxy >live_proxy.al
check "the proxy files alone: the live proxy alerts ($(wc -l <live_proxy.al | tr -d ' '))" \
    "$(cksum <live_proxy.al)" "$(cksum <proxy.al)"
check "--no-incidents prints no incident" 0 "$(grep -c '"type":"incident"' proxy.json)"

# A time range applies to the events of files as to the archive's.
k replay --parser auto --json --no-incidents --from 2026-11-21T10:00:00Z \
    --to 2026-11-21T11:00:00Z logs/* >range.json
perl -MJSON::PP -ne '$d = decode_json($_); next unless $d->{type} eq "alert";
    $t = $d->{event}{"\@timestamp"}; print "out $t\n" if $t lt "2026-11-21T10:00" ||
    $t ge "2026-11-21T11:00"' range.json >range.out
check "--from/--to: no alert of a line outside the range" "" "$(cat range.out)"

# Usage and unreadable files.
k replay --parser auto >/dev/null 2>&1
check "--parser without files: usage error" 2 $?
k replay --parser nosuch logs/firewall.log >/dev/null 2>&1
check "an unknown parser: usage error" 2 $?
head -c 20000 logs/proxy.log.1.gz >cut.gz
k replay --parser squid --no-incidents cut.gz nothere.log >bad.out 2>bad.err
check "a cut .gz or a missing file: exit 1" 1 $?
check "the cut .gz is named" 1 "$(grep -c '^keibictl replay: cut.gz: read stopped after [0-9]* bytes of its text: unexpected end of file' bad.err)"
check "the missing file is named" 1 "$(grep -c '^keibictl replay: nothere.log: ' bad.err)"
check "what was read of the cut file is still replayed" 1 \
    "$(grep -c '^replay: 1 files, [1-9][0-9]* lines' bad.out)"

# --into-store into a store of its own (keibid stopped): the incidents
# of the live run, retrospective, and only once.
sed 's/^state_dir: state$/state_dir: state2/' keibi.yml >keibi2.yml
mkdir state2
k2() { "$ctl" -c "$tmp/keibi2.yml" "$@"; }
k2 replay --parser auto --into-store logs/* >into.txt 2>into.err
check "replay --into-store exits 0" 0 $?
check "it says where they went" 1 "$(grep -c "^$(wc -l <live.inc | tr -d ' ') incidents opened or updated in the live incident store" into.txt)"
k2 incidents --all --json >list.json
: >stored.inc
for id in $(perl -MJSON::PP -e 'local $/; print "$_->{id}\n" for @{decode_json(<STDIN>)}' <list.json); do
	k2 show "$id" --json | perl -MJSON::PP -e 'local $/; $d = decode_json(<STDIN>);
	    print "$d->{dedup_key} $d->{alert_count}\n"' >>stored.inc
done
check "the store holds the incidents of the live run" "$(cksum <live.inc)" \
    "$(LC_ALL=C sort stored.inc | cksum)"
check "every stored incident is titled retrospective" 0 \
    "$(perl -MJSON::PP -e 'local $/; print scalar grep { $_->{title} !~ /^\[Retrospective\] / } @{decode_json(<STDIN>)}' <list.json)"
k2 replay --parser auto --into-store logs/* >again.txt
check "a second --into-store opens or updates nothing" 1 \
    "$(grep -c '^0 incidents opened or updated in the live incident store' again.txt)"
check "a second --into-store finds every alert there already" "$nlive $nlive" \
    "$(sed -n 's/.* \([0-9]*\) alerts (retrospective: written into the live incident store, \([0-9]*\) of them were there already)$/\1 \2/p' again.txt)"
# Named as the source keibid read them from, the files' alerts are the
# ones the live run stored: none is counted twice.
np=$(wc -l <live_proxy.al | tr -d ' ')
k replay --parser squid --source proxy --into-store logs/proxy.log* >src.txt
check "--source proxy into keibid's store: its alerts were there already" \
    "$np $np" \
    "$(sed -n 's/.* \([0-9]*\) alerts (retrospective: written into the live incident store, \([0-9]*\) of them were there already)$/\1 \2/p' src.txt)"

# The progress bar: on a terminal only.
if command -v script >/dev/null 2>&1 &&
    script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$ctl' -c '$tmp/keibi.yml' replay --parser auto --no-incidents logs/firewall.log >/dev/null" \
	    /dev/null >tty.out 2>&1
	check "a terminal gets the progress bar" 1 \
	    "$(tr '\r' '\n' <tty.out | grep -c '^replay  *\[[#.]*\]  *[0-9]*% [0-9.]* [KM]*i*B / 1.1 MiB')"
else
	echo "note: no script(1): the progress bar is not checked"
fi
check "no terminal, no bar" 0 "$(grep -c 'replay  *\[' auto.err)"

exit $fail
