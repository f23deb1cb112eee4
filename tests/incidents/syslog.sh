#!/bin/sh
# Integration: syslog over TCP and over TLS (RFC 5425 octet counting) from
# the real keibid to real receivers on 127.0.0.1 (tests/incidents/recv).
# Both receivers are down when keibid starts as a service: it goes on
# detecting, keeps the revisions in its outbox and retries; when the
# receivers come up on the same ports, every incident's last revision
# arrives, each one frame, framed right, with nothing lost.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
recv="$top_builddir/tests/incidents/recv"
tmp=$(mktemp -d) || exit 1
pids=""
kpid=""
cleanup() {
	[ -n "$kpid" ] && kill "$kpid" 2>/dev/null
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
cd "$tmp" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=keibi test ca" \
    2>>openssl.err &&
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout srv.key -out srv.csr -subj /CN=localhost 2>>openssl.err &&
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >srv.ext &&
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 2 -extfile srv.ext 2>>openssl.err
check "openssl made the certificates" 0 $?
RECV_CERT="$tmp/srv.pem" RECV_KEY="$tmp/srv.key"
export RECV_CERT RECV_KEY

# start NAME MODE: a receiver; its port in $tmp/NAME.port (kept if there)
start() {
	mkdir -p "$tmp/$1"
	"$recv" "$2" "$tmp/$1.port" "$tmp/$1" &
	eval "pid_$1=$!"
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
# Take two free ports, then leave them closed: the receivers are down.
start tcp tcp
start tls tls
kill "$pid_tcp" "$pid_tls"
wait "$pid_tcp" "$pid_tls" 2>/dev/null

cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log
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
  - {type: syslog, name: tcp, address: "tcp://127.0.0.1:$(cat tcp.port)", backoff_max: 1s, timeout: 5s}
  - {type: syslog, name: tls, address: "tls://localhost:$(cat tls.port)", ca_file: ca.pem, backoff_max: 1s, timeout: 5s}
EOC

# The reference: the same logs without the syslog outputs.
mkdir ref
cp ./*.log ref/
sed -e '/type: syslog/d' keibi.yml >ref/keibi.yml
"$keibid" -q -c ref/keibi.yml --once >/dev/null 2>&1
ref_n=$("$ctl" -c ref/keibi.yml incidents --all --json |
    perl -MJSON::PP -0ne 'print scalar @{decode_json($_)}')
ref_revs=$(wc -l <ref/incidents.jsonl | tr -d ' ')

"$keibid" -q -c keibi.yml >service.log 2>&1 &
kpid=$!
i=0
while [ $i -lt 150 ]; do
	n=$(cat incidents.jsonl 2>/dev/null | wc -l)
	[ "$n" -ge "$ref_revs" ] && break
	sleep 0.2; i=$((i + 1))
done
check "the service detects while the receivers are down" "$ref_revs" "$n"
i=0
while ! grep -q 'tls: incident' service.log && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
check "the refused connections are retried" 1 \
    "$(grep -q 'tcp: incident .*next attempt' service.log && grep -q 'tls: incident .*next attempt' service.log && echo 1)"
check "nothing has arrived yet" 0 "$(cat tcp/syslog tls/syslog 2>/dev/null | wc -l | tr -d ' ')"

# The receivers come up on their ports.
start tcp tcp
start tls tls
"$ctl" -c keibi.yml incidents --all --json >list.json
perl -MJSON::PP -0ne 'print "$_->{id} $_->{revision}\n" for @{decode_json($_)}' \
    list.json >final
check "as many incidents as the reference run" "$ref_n" "$(wc -l <final | tr -d ' ')"
missing() {	# missing DIR: how many last revisions are not there yet
	m=0
	while read -r id rev; do
		grep -q "externalId=$id cn1=$rev " "$1/syslog" 2>/dev/null ||
		    m=$((m + 1))
	done <final
	echo $m
}
i=0
while [ $i -lt 300 ]; do
	[ "$(missing tcp)" = 0 ] && [ "$(missing tls)" = 0 ] && break
	sleep 0.2; i=$((i + 1))
done
kill "$kpid"
wait "$kpid"
check "keibid stopped cleanly" 0 $?
kpid=""
for r in tcp tls; do
	check "$r: every incident's last revision arrived" 0 "$(missing $r)"
	check "$r: every frame was well formed" 0 \
	    "$(cat $r/errors 2>/dev/null | wc -l | tr -d ' ')"
	check "$r: every message is RFC 5424 with CEF" 0 \
	    "$(grep -vc '^<[0-9]*>1 [^ ]* [^ ]* keibi - INCIDENT - CEF:0|keibi|keibi|' $r/syslog)"
done
check "tls: the connection was TLS" 1 "$(grep -q '^conn tls=TLSv1\.[23]$' tls/log && echo 1)"
check "tls: no refused handshake" 0 "$(grep -c '^handshake failed' tls/log)"
exit $fail
