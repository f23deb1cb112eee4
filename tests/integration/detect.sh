#!/bin/sh
# Integration: detection on generated scenario logs (tests/integration/
# scenario.c), through the real keibid --once.  Asserts which alerts fire
# -- a 60 s +-20 % beacon through the proxy and one through the firewall,
# a worm sweep and its victim's sweep linked to it, an outbound SSH scan,
# a SQL injection run, a spam burst, direct SMTP from a PC -- and, just as
# much, which do not: ordinary browsing, file-server clients, a Windows
# Update poller on a timer, the mail server speaking SMTP and the resolver
# speaking DNS to the Internet.  Then keibictl test replays a log on event
# time and shows the same correlation alerts.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp
# alerts RULE [SOURCE-IP]: how many alerts of RULE (naming SOURCE-IP)
alerts() {
	if [ $# -eq 2 ]; then
		grep "\"id\":\"$1\"" "$tmp/alerts.jsonl" |
		    grep -c "\"source.ip\":\"$2\""
	else
		grep -c "\"id\":\"$1\"" "$tmp/alerts.jsonl"
	fi
}

"$top_builddir/tests/integration/scenario" "$tmp" || exit 1
# config TYPE: the configuration, alerts written by an output of TYPE.
config() {
	cat >"$tmp/keibi.yml" <<EOC
state_dir: state
rules: [$top_srcdir/rules]
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
  - {type: $1, path: alerts.jsonl}
EOC
}
# Alerts one per line: the "alerts" output where there is one, else jsonl.
config alerts
"$keibid" -c "$tmp/keibi.yml" --check >/dev/null 2>&1 || config jsonl
"$keibid" -q -c "$tmp/keibi.yml" --once >"$tmp/summary" 2>"$tmp/err"
check "keibid --once exits 0" 0 $?
cat "$tmp/summary" "$tmp/err"
touch "$tmp/alerts.jsonl"

# Beacons.
check "proxy beacon of 10.1.4.21 found once" 1 "$(alerts KB-BCN-0001 10.1.4.21)"
check "proxy beacon names its destination" 1 \
    "$(grep '"id":"KB-BCN-0001"' "$tmp/alerts.jsonl" | grep -c 'c2.badcdn.example')"
check "no other proxy beacon (browsing, safelisted poller)" 1 "$(alerts KB-BCN-0001)"
check "firewall beacon of 10.1.4.20 found" 1 "$(alerts KB-BCN-0002 10.1.4.20)"
check "firewall beacon scored without sizes" 1 \
    "$(grep '"id":"KB-BCN-0002"' "$tmp/alerts.jsonl" | grep -c 'size n/a')"
check "no other firewall beacon" 1 "$(alerts KB-BCN-0002)"

# Worm spread and propagation.
check "worm detector flags 10.1.5.66" 1 "$(alerts KB-WORM-0001 10.1.5.66)"
check "worm detector flags its victim 10.1.6.20" 1 "$(alerts KB-WORM-0001 10.1.6.20)"
check "victim linked to 10.1.5.66" 1 \
    "$(grep '"id":"KB-WORM-0001"' "$tmp/alerts.jsonl" | grep '"source.ip":"10.1.6.20"' | grep -c 'propagation: 10.1.5.66')"
check "SMB fan-out for both" 2 "$(alerts KB-WORM-0002)"
check "no worm alert for anyone else" 2 "$(alerts KB-WORM-0001)"

# Outbound attacks.
check "outbound scan by 10.1.2.77" 1 "$(alerts KB-OUT-0012 10.1.2.77)"
check "SSH sweep by 10.1.2.77" 1 "$(alerts KB-OUT-0015 10.1.2.77)"
check "no outbound scan by anyone else" 1 "$(alerts KB-OUT-0012)"
check "SQL injection lines" 15 "$(alerts KB-OUT-0002 10.1.2.50)"
check "one repeated-attack correlation" 1 "$(alerts KB-OUT-0011 10.1.2.50)"

# Spam.
check "spam detector flags yamada" 1 \
    "$(grep '"id":"KB-SPAM-0002"' "$tmp/alerts.jsonl" | grep -c '"user.name":"yamada"')"
check "no other spam detector alert" 1 "$(alerts KB-SPAM-0002)"
check "direct SMTP from 10.1.2.99 (throttled to 5 per hour)" 5 "$(alerts KB-SPAM-0003 10.1.2.99)"
check "mail server's SMTP is not flagged" 0 \
    "$(grep -c '"source.ip":"10.0.0.25"' "$tmp/alerts.jsonl")"
check "resolver's DNS is not flagged" 0 \
    "$(grep -c '"source.ip":"10.0.0.53"' "$tmp/alerts.jsonl")"
check "ordinary hosts raise nothing" 0 \
    "$(grep -c '"source.ip":"10.1.1\.' "$tmp/alerts.jsonl")"

# Replay on event time with keibictl test: the same correlations.
"$ctl" -c "$tmp/keibi.yml" test --alerts --parser iptables \
    "$top_srcdir/rules" "$tmp/firewall.log" >"$tmp/replay" 2>&1
check "keibictl test replay exits 0" 0 $?
check "replay shows the worm alerts" 2 "$(grep -c 'ALERT KB-WORM-0001' "$tmp/replay")"
check "replay links the victim" 1 "$(grep -c 'propagation: 10.1.5.66' "$tmp/replay")"
check "replay: roles from the config spare the mail server" 0 \
    "$(grep -c ' 10.0.0.25:' "$tmp/replay")"
check "replay finds the firewall beacon" 1 \
    "$(grep -c 'ALERT KB-BCN-0002' "$tmp/replay")"
head -n 3 "$tmp/proxy.log" >"$tmp/three.log"
"$ctl" -c "$tmp/keibi.yml" test --parser squid "$top_srcdir/rules" "$tmp/three.log" >"$tmp/lines" 2>&1
check "per-line report shows fields and matches" 3 \
    "$(grep -c '^  matched:' "$tmp/lines")"
check "per-line report shows the event" 3 "$(grep -c '^  event: {' "$tmp/lines")"
finish
