#!/bin/sh
# Integration: incidents delivered by the real keibid to real receivers on
# 127.0.0.1 (tests/incidents/recv): a signed webhook that hangs up, answers
# 503 and 429 and is slow before it recovers; a TheHive that refuses the
# first create as a duplicate; a receiver that refuses for good (dead-letter
# file); an SMTP server that is busy and then defers; syslog over a unix
# socket.  keibid runs as a service while the webhook is down, is killed
# with -9, and the outbox is delivered by later runs: no incident is lost,
# none is counted twice, and a revision sent twice carries the same
# idempotency key.  The logs hold hostile text (escapes, CR, invalid UTF-8,
# JSON/CEF/header injection), which must stay data in every output.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
recv="$top_builddir/tests/incidents/recv"
tmp=$(mktemp -d) || exit 1
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
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
if ! perl -MJSON::PP -e 1 2>/dev/null; then
	echo "SKIP: perl JSON::PP is missing (contrib/bootstrap installs it)"
	exit 77
fi

# start NAME MODE SCRIPT [SECRET]: a receiver; its port in $tmp/NAME.port
start() {
	mkdir -p "$tmp/$1"
	"$recv" "$2" "$tmp/$1.port" "$tmp/$1" "$3" ${4:-} &
	pids="$pids $!"
	eval "pid_$1=$!"
	i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log
# Hostile text: escapes, CR, invalid UTF-8, a bidi override, JSON, CEF,
# HTML and mail header injection, in a URL and in a user name.
printf '1795224900.000    706 10.1.2.77 TCP_MISS/403 1577 GET http://shop.example.com/item.php?id=1%%20UNION%%20ALL%%20SELECT%%20NULL--|cs1=x\\=y"},"id":"EVIL"\033[2J\377\376\342\200\256<script>alert(1)</script>\rBcc:evil@x evil=1|cs2=pwned\033[31m\rBcc:x@y HIER_DIRECT/203.0.113.80 text/html\n' >>"$tmp/proxy-access.log"
printf 'Nov 21 10:20:00 gw01 kernel: [1.0] FWD\033[31m|x\\y"},"id":"E"\377\376\342\200\256<b>\r: IN=eth1 OUT=eth0 SRC=10.7.7.7 DST=203.0.113.9 LEN=60 PROTO=TCP SPT=40000 DPT=445 SYN\n' >>"$tmp/firewall.log"
printf 'whsec_%s\n' "$(printf 'keibi-test-secret-0123456789' | base64)" >"$tmp/secret"
printf 'keibi-test-secret-0123456789' >"$tmp/secret.raw"
printf 'thehive-api-key\n' >"$tmp/apikey"
chmod 600 "$tmp/secret" "$tmp/apikey"

closes=$(printf 'close,%.0s' $(seq 1 60))
start hook http "$closes" "$tmp/secret.raw"
start hive http "exists"
start dead http "$(printf '400,%.0s' $(seq 1 60))"
start smtp smtp "421,451"
mkdir -p "$tmp/sys"
"$recv" unix "$tmp/sys.sock" "$tmp/sys" &
pids="$pids $!"

config() {	# config WEBHOOK_PORT
	cat >"$tmp/keibi.yml" <<EOC
state_dir: state
rules: [$top_srcdir/rules]
timezone: Asia/Tokyo
networks:
  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
  mail_servers: [10.0.0.25]
  proxies: [10.0.0.3]
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy-access.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
incidents: {throttle: 0, language: en, csirt_name: csirt.example.jp}
outputs:
  - {type: alerts, path: alerts.jsonl}
  - {type: jsonl, path: incidents.jsonl}
  - {type: webhook, name: hook, url: "http://127.0.0.1:$1/hook", secret_file: secret, backoff_max: 1s, timeout: 5s}
  - {type: webhook, name: hive, flavour: thehive, url: "http://127.0.0.1:$(cat "$tmp/hive.port")", api_key_file: apikey, backoff_max: 1s}
  - {type: webhook, name: dead, url: "http://127.0.0.1:$(cat "$tmp/dead.port")/x", secret_file: secret, backoff_max: 1s}
  - {type: email, name: mail, url: "smtp://127.0.0.1:$(cat "$tmp/smtp.port")", tls: none, from: keibi@example.jp, to: [csirt@example.jp], language: ja, backoff_max: 1s}
  - {type: syslog, name: siem, address: "unix:$tmp/sys.sock"}
EOC
}
config "$(cat "$tmp/hook.port")"
out=$("$keibid" -c "$tmp/keibi.yml" --check 2>&1)
check "--check accepts the outputs" 0 $?

# A reference run of the same logs, in a folder of its own.
mkdir -p "$tmp/ref"
cp "$tmp"/*.log "$tmp/ref/"
sed -e '/type: webhook/d' -e '/type: email/d' -e '/type: syslog/d' \
    "$tmp/keibi.yml" >"$tmp/ref/keibi.yml"
"$keibid" -q -c "$tmp/ref/keibi.yml" --once >/dev/null 2>&1
ref_n=$("$ctl" -c "$tmp/ref/keibi.yml" incidents --all --json |
    perl -MJSON::PP -0ne 'print scalar @{decode_json($_)}')
ref_alerts=$(perl -MJSON::PP -ne '$d = decode_json($_); $a{$d->{dedup_key}} = $d->{alert_count}; END { $s += $_ for values %a; print $s }' "$tmp/ref/incidents.jsonl")

# The service, with the webhook hanging up on every request, then kill -9.
cd "$tmp" || exit 1
"$keibid" -q -c "$tmp/keibi.yml" >"$tmp/service.log" 2>&1 &
kpid=$!
i=0
while [ $i -lt 100 ]; do
	n=$(cat "$tmp/incidents.jsonl" 2>/dev/null | wc -l)
	[ "$n" -ge "$ref_n" ] && break
	sleep 0.2; i=$((i + 1))
done
sleep 2
kill -9 $kpid
wait $kpid 2>/dev/null
check "the webhook got nothing before the kill" 0 \
    "$(cat "$tmp/hook/log" 2>/dev/null | grep -c ' 200 ')"

# The webhook comes back: flaky first (503, 429, a hang-up, slow), then fine.
kill "$pid_hook" 2>/dev/null
start hook2 http "503,429,close,slow" "$tmp/secret.raw"
config "$(cat "$tmp/hook2.port")"
runs=0
while [ $runs -lt 10 ]; do
	runs=$((runs + 1))
	"$keibid" -q -c "$tmp/keibi.yml" --once >"$tmp/once.out" 2>>"$tmp/once.err"
	grep -q 'waiting 0,' "$tmp/once.out" && break
	sleep 1
done
grep '^incidents' "$tmp/once.out"
check "the outbox drained within a few runs" 0 \
    "$(grep -q 'waiting 0,' "$tmp/once.out"; echo $?)"

# Nothing lost, nothing counted twice.
"$ctl" -c "$tmp/keibi.yml" incidents --all --json >"$tmp/list.json"
n=$(perl -MJSON::PP -0ne 'print scalar @{decode_json($_)}' "$tmp/list.json")
check "as many incidents as the reference run" "$ref_n" "$n"
alerts=$(perl -MJSON::PP -ne '$d = decode_json($_); $a{$d->{id}} = $d->{alert_count}; END { $s += $_ for values %a; print $s }' "$tmp/incidents.jsonl")
check "as many alerts as the reference run (none twice)" "$ref_alerts" "$alerts"
perl -MJSON::PP -0ne 'print "$_->{id}.r$_->{revision}\n" for @{decode_json($_)}' \
    "$tmp/list.json" >"$tmp/final"
lost=0
while read -r key; do
	grep -q " 200 $key ok\$" "$tmp/hook2/log" || { echo "lost: $key"; lost=$((lost + 1)); }
done <"$tmp/final"
check "every incident's last revision reached the webhook" 0 "$lost"
check "every webhook request was signed right" 0 \
    "$(grep -vc ' ok$' "$tmp/hook2/log")"
dupes=0
for f in "$tmp"/hook2/req-*; do
	id=$(sed -n 's/^webhook-id: //p' "$f" | tr -d '\r')
	ik=$(sed -n 's/^Idempotency-Key: //p' "$f" | tr -d '\r')
	[ "$id" = "$ik" ] || dupes=$((dupes + 1))
done
check "webhook-id and Idempotency-Key agree on every request" 0 "$dupes"
retried=$(awk '{print $5}' "$tmp/hook2/log" | sort | uniq -d | wc -l)
echo "info: $retried revisions were sent more than once, under the same key"
check "the flaky answers were retried" 1 "$([ "$retried" -ge 1 ] && echo 1 || echo 0)"

# TheHive: a create refused as a duplicate is found and updated.
check "thehive create refused as a duplicate" 1 \
    "$(grep -c 'POST /api/v1/alert 400' "$tmp/hive/log")"
check "thehive looked the alert up" 1 \
    "$(grep -c 'POST /api/v1/query 200' "$tmp/hive/log" | tr -d ' ' | sed 's/^[1-9][0-9]*$/1/')"
check "thehive updates go to the alert it named" 1 \
    "$(grep -q 'PATCH /api/v1/alert/~4242 200' "$tmp/hive/log" && echo 1)"
check "thehive requests carry the API key" 0 \
    "$(grep -L 'Authorization: Bearer thehive-api-key' "$tmp"/hive/req-* | wc -l | tr -d ' ')"

# A receiver that refuses for good: the dead-letter file, never a loop.
check "refused revisions went to the dead-letter file" 1 \
    "$(grep -q '"output":"dead"' "$tmp/state/deadletter.jsonl" && echo 1)"
check "nothing of the refusing output waits" 0 \
    "$(grep -c '"output":"hook"' "$tmp/state/deadletter.jsonl")"

# Mail: threaded, one header per line, no injected header.  Queued
# revisions of one incident are coalesced (each mail carries the whole
# record), so the drained outbox may have sent one mail per incident; an
# update that comes after that mail was sent is a reply to it.
nm0=$(ls "$tmp"/smtp/mail-* 2>/dev/null | wc -l)
printf '1795225000.000    706 10.1.2.77 TCP_MISS/403 1577 GET http://shop.example.com/item.php?id=2%%20UNION%%20ALL%%20SELECT%%20NULL-- - HIER_DIRECT/203.0.113.80 text/html\n' >>"$tmp/proxy-access.log"
"$keibid" -q -c "$tmp/keibi.yml" --once >"$tmp/once.out" 2>>"$tmp/once.err"
nm=$(ls "$tmp"/smtp/mail-* 2>/dev/null | wc -l)
check "the update was mailed" 1 "$([ "$nm" -gt "$nm0" ] && echo 1 || echo 0)"
check "mail was delivered after 421 and 451" 1 "$([ "$nm" -ge "$ref_n" ] && echo 1 || echo 0)"
check "no injected Bcc header" 0 "$(cat "$tmp"/smtp/mail-* | grep -ci '^bcc:')"
check "every mail has a Message-ID of its revision" "$nm" \
    "$(grep -l '^Message-ID: <KB-[0-9-]*\.r[0-9]*@keibi\.' "$tmp"/smtp/mail-* | wc -l | tr -d ' ')"
check "updates thread on the first mail" 1 \
    "$(grep -q '^In-Reply-To: <KB-' "$tmp"/smtp/mail-* && echo 1)"
body=$(for f in "$tmp"/smtp/mail-*; do sed '1,/^\r$/d' "$f" | tr -d '\r' | base64 -d; done)
check "the Japanese body names the report items" 1 \
    "$(printf '%s' "$body" | grep -q '発生日時' && echo 1)"

# Syslog: RFC 5424 with CEF; escaped extension values.
check "syslog carried CEF" 1 \
    "$(grep -q '^<[0-9]*>1 .* keibi - INCIDENT - CEF:0|keibi|keibi|' "$tmp/sys/syslog" && echo 1)"
check "a hostile user name stays one escaped CEF value" 1 \
    "$(grep -q 'suser=evil\\=1|cs2\\=pwned' "$tmp/sys/syslog" && echo 1)"
check "no forged CEF key from the user name" 0 \
    "$(grep -c ' cs2=pwned' "$tmp/sys/syslog")"

# Hostile bytes stay data everywhere.
for f in "$tmp/incidents.jsonl" "$tmp"/hook2/req-* "$tmp"/hive/req-* \
    "$tmp/sys/syslog" "$tmp/state/deadletter.jsonl"; do
	[ -f "$f" ] || continue
	sed '1,/^\r$/d' "$f" >"$tmp/body" 2>/dev/null
	case "$f" in *req-*) ;; *) cp "$f" "$tmp/body";; esac
	bad=$(tr -cd '\033\000\377\r' <"$tmp/body" | wc -c | tr -d ' ')
	[ "$bad" = 0 ] || { echo "FAIL: raw control or invalid bytes in $f"; fail=1; }
	grep -q "$(printf '\342\200\256')" "$tmp/body" &&
	    { echo "FAIL: a bidi override in $f"; fail=1; }
done
printf '%s' "$body" | tr -cd '\033\377' | wc -c | grep -q '^0$' ||
    { echo "FAIL: raw escapes in a mail body"; fail=1; }
check "every incidents.jsonl line is one JSON object" 0 \
    "$(perl -MJSON::PP -ne 'eval { decode_json($_) } or $bad++; END { print $bad + 0 }' "$tmp/incidents.jsonl")"
check "no forged id from a log line" 0 "$(grep -c '"id":"EVIL"' "$tmp/incidents.jsonl")"
exit $fail
