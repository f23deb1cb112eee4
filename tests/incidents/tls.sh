#!/bin/sh
# Integration: incidents delivered over TLS by the real keibid to real
# receivers on 127.0.0.1 (tests/incidents/recv, OpenSSL), with a CA and a
# server certificate made here by openssl req/x509.  Mail over STARTTLS and
# over smtps, a webhook over https and syslog over TLS (RFC 5425 framing)
# arrive whole when ca_file names the CA that signed the server; a server
# signed by another CA, or unknown to the system CAs, is refused: nothing
# reaches it, the revisions are retried and then dead-lettered, and
# nothing goes in clear to a server that does not offer STARTTLS.
# tls: none still sends in clear.
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
if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: the openssl command is missing (contrib/bootstrap installs it)"
	exit 77
fi
if ! perl -MJSON::PP -e 1 2>/dev/null; then
	echo "SKIP: perl JSON::PP is missing (contrib/bootstrap installs it)"
	exit 77
fi

# A test CA, a server certificate it signs (for 127.0.0.1), and a second
# CA that signed nothing of ours.
cd "$tmp" || exit 1
mkca() {	# mkca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$1.key" -out "$1.pem" -days 2 \
	    -subj "/CN=keibi test $1" 2>>"$tmp/openssl.err"
}
mkca ca && mkca rogue &&
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>>openssl.err &&
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext &&
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 2 -extfile srv.ext 2>>openssl.err
check "openssl made the certificates" 0 $?
openssl verify -CAfile ca.pem srv.pem >/dev/null 2>&1
check "the server certificate chains to the test CA" 0 $?
check "and not to the other CA" 1 \
    "$(openssl verify -CAfile rogue.pem srv.pem >/dev/null 2>&1 || echo 1)"
RECV_CERT="$tmp/srv.pem" RECV_KEY="$tmp/srv.key"
export RECV_CERT RECV_KEY

# start NAME MODE [SECRET]: a receiver; its port in $tmp/NAME.port
start() {
	mkdir -p "$tmp/$1"
	"$recv" "$2" "$tmp/$1.port" "$tmp/$1" ok ${3:-} &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
port() { cat "$tmp/$1.port"; }
start starttls smtp-starttls
start smtps smtps
start clear smtp
start rogue smtp-starttls
start noca smtps
start nostarttls smtp
printf 'keibi-test-secret-0123456789\n' >secret
chmod 600 secret
start https https "$tmp/secret"
start https_rogue https
start sys tls
start sys_rogue tls
cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log

m="from: keibi@example.jp, to: [csirt@example.jp], language: en, backoff_max: 1s, timeout: 10s"
cat >keibi.yml <<EOC
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
incidents: {throttle: 0, language: en}
outputs:
  - {type: jsonl, path: incidents.jsonl}
  - {type: email, name: starttls, url: "smtp://127.0.0.1:$(port starttls)", tls: starttls, ca_file: ca.pem, $m}
  - {type: email, name: smtps, url: "smtps://127.0.0.1:$(port smtps)", ca_file: ca.pem, $m}
  - {type: email, name: clear, url: "smtp://127.0.0.1:$(port clear)", tls: none, $m}
  - {type: email, name: rogue, url: "smtp://127.0.0.1:$(port rogue)", ca_file: rogue.pem, max_age: 1s, $m}
  - {type: email, name: noca, url: "smtps://127.0.0.1:$(port noca)", max_age: 1s, $m}
  - {type: email, name: nostarttls, url: "smtp://127.0.0.1:$(port nostarttls)", ca_file: ca.pem, max_age: 1s, $m}
  - {type: webhook, name: https, url: "https://127.0.0.1:$(port https)/hook", secret_file: secret, ca_file: ca.pem, backoff_max: 1s}
  - {type: webhook, name: https_rogue, url: "https://127.0.0.1:$(port https_rogue)/hook", secret_file: secret, ca_file: rogue.pem, backoff_max: 1s, max_age: 1s}
  - {type: syslog, name: sys, address: "tls://127.0.0.1:$(port sys)", ca_file: ca.pem, backoff_max: 1s}
  - {type: syslog, name: sys_rogue, address: "tls://127.0.0.1:$(port sys_rogue)", ca_file: rogue.pem, backoff_max: 1s, max_age: 1s}
EOC
"$keibid" -c keibi.yml --check >check.out 2>&1
check "--check accepts ca_file and tls:// addresses" 0 $?
for o in '{type: syslog, address: "tls://127.0.0.1:1"' \
    '{type: email, url: "smtps://127.0.0.1:1", from: a@b.example, to: c@d.example' \
    '{type: webhook, url: "https://127.0.0.1:1", secret_file: secret'; do
	printf 'state_dir: bad\nrules: []\nsources:\n  - {name: fw, path: firewall.log, parser: iptables}\noutputs:\n  - %s, ca_file: missing.pem}\n' "$o" >bad.yml
	"$keibid" -q -c bad.yml --once >bad.out 2>&1
	check "a missing ca_file stops the start (${o%%,*}})" 1 \
	    "$(grep -q 'missing.pem' bad.out && echo 1)"
done

"$keibid" -q -c keibi.yml --once >once.out 2>once.err
check "the first run ends" 0 $?
# The refused revisions wait for a retry; past max_age they are dead.
sleep 2
"$keibid" -q -c keibi.yml --once >>once.out 2>>once.err
"$ctl" -c keibi.yml incidents --all --json >list.json
perl -MJSON::PP -0ne 'print "$_->{id} $_->{revision}\n" for @{decode_json($_)}' \
    list.json >final
n=$(wc -l <final | tr -d ' ')
check "the logs opened incidents" 1 "$([ "$n" -ge 2 ] && echo 1 || echo 0)"

# Mail over TLS: every incident's last revision, with its content.
for r in starttls smtps; do
	lost=0
	while read -r id rev; do
		grep -lq "^X-Keibi-Revision: $rev" $(grep -l "^X-Keibi-Incident: $id" "$tmp/$r"/mail-* 2>/dev/null) /dev/null 2>/dev/null ||
		    { echo "lost on $r: $id r$rev"; lost=$((lost + 1)); }
	done <final
	check "$r: every incident's last revision was mailed" 0 "$lost"
	check "$r: every mail came over TLS" \
	    "$(grep -c '^mail ' "$tmp/$r/log")" "$(grep -c '^mail .* tls=TLSv1\.[23]$' "$tmp/$r/log")"
	check "$r: no mail in clear" 0 "$(grep -c 'tls=none' "$tmp/$r/log")"
	# Every mail's body (base64) names its incident and the report items.
	named=0 items=0 nm=0
	for f in "$tmp/$r"/mail-*; do
		nm=$((nm + 1))
		id=$(sed -n 's/^X-Keibi-Incident: //p' "$f" | tr -d '\r')
		body=$(sed '1,/^\r$/d' "$f" | tr -d '\r' | base64 -d -i 2>/dev/null)
		printf '%s' "$body" | grep -q "Incident: $id" && named=$((named + 1))
		printf '%s' "$body" | grep -q 'First seen:' && items=$((items + 1))
		[ "$named" = "$nm" ] || { echo "$r: $f does not name $id:"; head -c 600 "$f"; echo; }
	done
	check "$r: every mail names its incident" "$nm" "$named"
	check "$r: every mail carries the report items" "$nm" "$items"
done
check "starttls: nothing was refused for coming in clear" 0 \
    "$(grep -c 'MAIL in clear' "$tmp/starttls/log")"
check "tls: none still mails, in clear" 1 \
    "$([ "$(ls "$tmp"/clear/mail-* 2>/dev/null | wc -l)" -ge "$n" ] && grep -q 'tls=none' "$tmp/clear/log" && echo 1)"

# Refused servers: a TLS attempt, then nothing; dead-lettered in the end.
for r in rogue noca https_rogue sys_rogue; do
	check "$r: the client refused the server's certificate" 1 \
	    "$(grep -q '^handshake failed' "$tmp/$r/log" && echo 1)"
	check "$r: nothing was delivered" 0 \
	    "$(ls "$tmp/$r" | grep -c -e '^mail-' -e '^req-' -e '^syslog$')"
done
check "nostarttls: nothing was sent to a server without STARTTLS" 0 \
    "$(ls "$tmp"/nostarttls | grep -c '^mail-')"
for r in rogue noca https_rogue sys_rogue nostarttls; do
	check "$r: its revisions went to the dead-letter file" 1 \
	    "$(grep -q "\"output\":\"$r\"" state/deadletter.jsonl && echo 1)"
done
check "the dead-letter file says why (certificate)" 1 \
    "$(grep '"output":"rogue"' state/deadletter.jsonl | grep -qi 'certificate' && grep '"output":"sys_rogue"' state/deadletter.jsonl | grep -qi 'certificate' && echo 1)"
check "no accepted output was dead-lettered" 0 \
    "$(grep -c -e '"output":"starttls"' -e '"output":"smtps"' -e '"output":"https"' -e '"output":"sys"' -e '"output":"clear"' state/deadletter.jsonl)"

# The webhook over https: signed, every last revision.
lost=0
while read -r id rev; do
	grep -q " 200 $id.r$rev ok\$" https/log || { echo "lost on https: $id r$rev"; lost=$((lost + 1)); }
done <final
check "https: every incident's last revision, signed" 0 "$lost"

# Syslog over TLS: framed right, every last revision.
check "sys: the connection was TLS" 1 "$(grep -q '^conn tls=TLSv1\.[23]$' sys/log && echo 1)"
check "sys: every frame was well formed" 0 "$(cat sys/errors 2>/dev/null | wc -l | tr -d ' ')"
lost=0
while read -r id rev; do
	grep -q "externalId=$id cn1=$rev " sys/syslog || { echo "lost on sys: $id r$rev"; lost=$((lost + 1)); }
done <final
check "sys: every incident's last revision" 0 "$lost"
check "sys: every message is RFC 5424 with CEF" 0 \
    "$(grep -vc '^<[0-9]*>1 [^ ]* [^ ]* keibi - INCIDENT - CEF:0|keibi|keibi|' sys/syslog)"
exit $fail
