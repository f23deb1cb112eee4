#!/bin/sh
# Integration: the real keibid --once on copies of the bundled sample logs.
# Checks the alerts each shipped rule raises, that positions are saved and
# honoured (a second run adds nothing), that appended lines are read once,
# that a partial last line waits for its newline, and that --check reports
# errors by file and line.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log
cat >"$tmp/keibi.yml" <<EOC
state_dir: state
rules: [$top_srcdir/rules]
timezone: Asia/Tokyo
networks:
  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
  mail_servers: [10.0.0.25]
  proxies: [10.0.0.3]
  dns_servers: [10.0.0.53]
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy-access.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
outputs:
  - {type: alerts, path: alerts.jsonl}
  - {type: jsonl, path: incidents.jsonl}
incidents: {throttle: 0}
EOC

out=$("$keibid" -c "$tmp/keibi.yml" --check 2>&1)
check "--check accepts the config" 0 $?
echo "$out"

"$keibid" -q -c "$tmp/keibi.yml" --once >"$tmp/summary" 2>"$tmp/err"
check "first --once exits 0" 0 $?
cat "$tmp/summary" "$tmp/err"
alerts="$tmp/alerts.jsonl"
# 94 single-event alerts (40 + 24 + 30) and 8 from correlations and
# detectors: the proxy beacon of 10.1.4.21 and the firewall beacon of
# 10.1.4.20, 10.1.2.3's internal sweep (worm detector and SMB fan-out)
# and its outbound SMB scan, alice's repeated web attacks, tanaka's spam
# (spam detector and repeated refusals).
check "alerts written" 102 "$(wc -l <"$alerts" | tr -d ' ')"
check "proxy beacon of 10.1.4.21" 1 \
    "$(grep '"id":"KB-BCN-0001"' "$alerts" | grep -c '"source.ip":"10.1.4.21"')"
check "firewall beacon of 10.1.4.20" 1 \
    "$(grep '"id":"KB-BCN-0002"' "$alerts" | grep -c '"source.ip":"10.1.4.20"')"
check "worm detector on 10.1.2.3" 1 \
    "$(grep '"id":"KB-WORM-0001"' "$alerts" | grep -c '"source.ip":"10.1.2.3"')"
check "outbound scan by 10.1.2.3" 1 \
    "$(grep '"id":"KB-OUT-0012"' "$alerts" | grep -c '"source.ip":"10.1.2.3"')"
check "spam detector on tanaka" 1 \
    "$(grep '"id":"KB-SPAM-0002"' "$alerts" | grep -c '"user.name":"tanaka"')"
check "KB-OUT-0001 (SMB sweep by 10.1.2.3)" 40 \
    "$(grep -c '"id":"KB-OUT-0001"' "$alerts")"
check "KB-OUT-0001 alerts all name 10.1.2.3" 40 \
    "$(grep '"id":"KB-OUT-0001"' "$alerts" | grep -c '"source.ip":"10.1.2.3"')"
check "KB-OUT-0002 (sqlmap by alice)" 24 \
    "$(grep -c '"id":"KB-OUT-0002"' "$alerts")"
check "KB-OUT-0002 alerts name user alice" 24 \
    "$(grep '"id":"KB-OUT-0002"' "$alerts" | grep -c '"user.name":"alice"')"
check "KB-SPAM-0001 (tanaka's spam refused)" 30 \
    "$(grep -c '"id":"KB-SPAM-0001"' "$alerts")"
check "KB-SPAM-0001 alerts carry the SASL user and client" 30 \
    "$(grep '"id":"KB-SPAM-0001"' "$alerts" | grep '"user.name":"tanaka"' | grep -c '"source.ip":"10.1.3.7"')"
check "event time in the zone of the config" 40 \
    "$(grep '"id":"KB-OUT-0001"' "$alerts" | grep -c '"@timestamp":"2026-11-21T10:1[56]:[0-9][0-9]+09:00"')"
check "the malformed proxy line is counted" 1 \
    "$(grep '^source proxy' "$tmp/summary" | awk '{print $10}')"
check "positions saved" 0 "$(test -s "$tmp/state/positions.json"; echo $?)"
check "human summary groups by origin" 11 \
    "$("$ctl" alerts "$alerts" | grep -c 'origin:')"

"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "second --once adds nothing" 102 "$(wc -l <"$alerts" | tr -d ' ')"

# An appended line is read once; a partial line waits for its newline.
line='Nov 21 11:30:00 gw01 kernel: [1.0] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.9.9.9 DST=198.51.100.200 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=3389 WINDOW=64240 RES=0x00 SYN URGP=0'
printf '%s\n%s' "$line" "$line" >>"$tmp/firewall.log"
"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "appended line read once, partial line held" 103 \
    "$(wc -l <"$alerts" | tr -d ' ')"
printf '\n' >>"$tmp/firewall.log"
"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "completed partial line read once" 104 "$(wc -l <"$alerts" | tr -d ' ')"
check "new alerts name 10.9.9.9" 2 "$(grep -c '"source.ip":"10.9.9.9"' "$alerts")"

# Hostile bytes stay data in the JSON output: no raw escape byte.
check "no raw ESC byte in alerts" 0 "$(tr -d '\n' <"$alerts" | tr -cd '\033' | wc -c | tr -d ' ')"
# So is a NUL byte: its alert still carries the whole event.
printf '%s X=a\000b\n' "$line" >>"$tmp/firewall.log"
"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "a line with a NUL byte raises its alert" 105 \
    "$(wc -l <"$alerts" | tr -d ' ')"
check "its alert has the event, the NUL escaped" 1 \
    "$(tail -n 1 "$alerts" | grep -c '"event":{.*"source.ip":"10.9.9.9".*X=a\\u0000b')"

# --check names file and line of an error.
printf 'state_dir: s\nsources:\n  - name: fw\n    path: x.log\n    parser: nosuch\n' >"$tmp/bad.yml"
out=$("$keibid" -c "$tmp/bad.yml" --check 2>&1)
rc=$?
check "--check fails on a bad parser name" 1 "$rc"
case "$out" in
*bad.yml:5:*) echo "ok: --check names bad.yml:5 ($out)";;
*) echo "FAIL: --check message lacks bad.yml:5: $out"; fail=1;;
esac
printf 'rules:\n  - id: KB-X\n    title: t\n    category: nonsense\n    severity: high\n    match: {source.ip: 1.2.3.4}\n' >"$tmp/rules-bad.yml"
sed "s|rules: \[$top_srcdir/rules\]|rules: [$tmp/rules-bad.yml]|" "$tmp/keibi.yml" >"$tmp/keibi-badrules.yml"
out=$("$keibid" -c "$tmp/keibi-badrules.yml" --check 2>&1)
check "--check fails on a bad rule" 1 $?
case "$out" in
*rules-bad.yml:4:*category*) echo "ok: rule error names rules-bad.yml:4";;
*) echo "FAIL: rule error lacks rules-bad.yml:4: $out"; fail=1;;
esac
finish
