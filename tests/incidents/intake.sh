#!/bin/sh
# Integration: incidents delivered by the real keibid to a DFIR-IRIS and an
# RT (REST2) intake, played by tests/incidents/recv on 127.0.0.1 with their
# answer shapes (IRIS's {"status","data"} envelope, RT's ticket ids).
# Each incident becomes exactly one IRIS alert and one RT ticket: the first
# create of each is made but never answered and keibid is killed with -9
# while it waits; the next runs look the object up (IRIS source_reference,
# RT TicketSQL on the subject) and update it instead of making a twin.  A
# later revision updates the same alert (POST /alerts/update/ID) and the
# same ticket (PUT, then a comment).  Every request carries the API key in
# the form each server wants, and hostile text from the logs stays data in
# the JSON bodies.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
recv="$top_builddir/tests/incidents/recv"
tmp=$(mktemp -d) || exit 1
pids=""
kpid=""
cleanup() {
	[ -n "$kpid" ] && kill -9 "$kpid" 2>/dev/null
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

# start NAME SCRIPT: a receiver; its port in $tmp/NAME.port
start() {
	mkdir -p "$tmp/$1"
	"$recv" http "$tmp/$1.port" "$tmp/$1" "$2" &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
start iris hang
start rt hang

cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log
# Hostile text: escapes, CR, invalid UTF-8, a bidi override, JSON and
# header injection.
printf '1795224900.000    706 10.1.2.77 TCP_MISS/403 1577 GET http://shop.example.com/item.php?id=1%%20UNION%%20ALL%%20SELECT%%20NULL--"},"id":"EVIL","alert_source_ref":"EVIL"\033[2J\377\376\342\200\256<script>alert(1)</script>\rAuthorization: token stolen - HIER_DIRECT/203.0.113.80 text/html\n' >>"$tmp/proxy-access.log"
printf 'iris-api-key\n' >"$tmp/iriskey"
printf 'rt-token-0123\n' >"$tmp/rtkey"
chmod 600 "$tmp/iriskey" "$tmp/rtkey"

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
incidents: {throttle: 0, language: en}
outputs:
  - {type: jsonl, path: incidents.jsonl}
  - {type: webhook, name: iris, flavour: iris, url: "http://127.0.0.1:$(cat "$tmp/iris.port")", api_key_file: iriskey, customer_id: 2, severity_ids: "13,14,15,16", backoff_max: 1s, timeout: 30s}
  - {type: webhook, name: rt, flavour: rtir, url: "http://127.0.0.1:$(cat "$tmp/rt.port")", api_key_file: rtkey, queue: Incidents, backoff_max: 1s, timeout: 30s}
EOC
cd "$tmp" || exit 1
"$keibid" -c keibi.yml --check >check.out 2>&1
check "--check accepts the iris and rtir flavours" 0 $?
for bad in 'flavour: iris, url: "http://127.0.0.1:1"' \
    'flavour: rtir, url: "http://127.0.0.1:1", api_key_file: rtkey, queue: "In'"'"'cidents"' \
    'flavour: iris, url: "http://127.0.0.1:1", api_key_file: iriskey, severity_ids: "1,2,3"'; do
	sed "/^outputs:/,\$d" keibi.yml >bad.yml
	printf 'outputs:\n  - {type: webhook, %s}\n' "$bad" >>bad.yml
	"$keibid" -c bad.yml --check >bad.out 2>&1
	check "--check refuses {$bad}" 1 $?
done

# The service: the first create of each intake is made but not answered;
# keibid is killed with -9 while it waits for the answer.
"$keibid" -q -c keibi.yml >service.log 2>&1 &
kpid=$!
i=0
while [ $i -lt 150 ]; do
	grep -q hang iris/log 2>/dev/null && grep -q hang rt/log 2>/dev/null &&
	    break
	sleep 0.2; i=$((i + 1))
done
check "an IRIS create was left unanswered" 1 "$(grep -c ' hang$' iris/log)"
check "an RT create was left unanswered" 1 "$(grep -c ' hang$' rt/log)"
kill -9 $kpid
wait $kpid 2>/dev/null
kpid=""

runs=0
while [ $runs -lt 15 ]; do
	runs=$((runs + 1))
	"$keibid" -q -c keibi.yml --once >once.out 2>>once.err
	grep -q 'waiting 0,' once.out && break
	sleep 1
done
check "the outbox drained" 0 "$(grep -q 'waiting 0,' once.out; echo $?)"
n=$(perl -MJSON::PP -ne '$i{decode_json($_)->{id}} = 1; END { print scalar keys %i }' incidents.jsonl 2>/dev/null)
n=${n:-0}
check "there are incidents" 1 "$([ "$n" -ge 2 ] && echo 1 || echo 0)"
[ "$n" -ge 2 ] || exit 1

# One object per incident: the unanswered create was found, not repeated.
check "one IRIS alert per incident" "$n" \
    "$(grep -c 'POST /alerts/add ' iris/log)"
check "one RT ticket per incident" "$n" \
    "$(grep -c 'POST /REST/2.0/ticket ' rt/log)"
check "IRIS was asked before each create" 1 \
    "$(grep -q 'GET /alerts/filter?source_reference=KB-' iris/log && echo 1)"
check "RT was searched before each create" 1 \
    "$(grep -q 'GET /REST/2.0/tickets?query=' rt/log && echo 1)"
check "the unanswered IRIS alert (id 1) was updated after the restart" 1 \
    "$(grep -q 'POST /alerts/update/1 200' iris/log && echo 1)"
hung_rt_id=$(awk '/POST \/REST\/2.0\/ticket /{n++; if ($4 == "hang") print 1000 + n}' rt/log)
check "the unanswered RT ticket was updated after the restart" 1 \
    "$(grep -q "PUT /REST/2.0/ticket/$hung_rt_id 200" rt/log && echo 1)"

# A later revision updates the same objects.
nadd=$(grep -c 'POST /alerts/add ' iris/log)
nupd=$(grep -c 'POST /alerts/update/' iris/log)
nput=$(grep -c 'PUT /REST/2.0/ticket/' rt/log)
ncom=$(grep -c 'POST /REST/2.0/ticket/[0-9]*/comment 201' rt/log)
printf '1795225000.000    706 10.1.2.77 TCP_MISS/403 1577 GET http://shop.example.com/item.php?id=2%%20UNION%%20ALL%%20SELECT%%20NULL-- - HIER_DIRECT/203.0.113.80 text/html\n' >>proxy-access.log
"$keibid" -q -c keibi.yml --once >once.out 2>>once.err
check "the update drained" 0 "$(grep -q 'waiting 0,' once.out; echo $?)"
check "no new IRIS alert for an update" "$nadd" \
    "$(grep -c 'POST /alerts/add ' iris/log)"
check "the IRIS alert was updated" 1 \
    "$([ "$(grep -c 'POST /alerts/update/[0-9]* 200' iris/log)" -gt "$nupd" ] && echo 1 || echo 0)"
check "no new RT ticket for an update" "$n" \
    "$(grep -c 'POST /REST/2.0/ticket ' rt/log)"
check "the RT ticket's fields were set" 1 \
    "$([ "$(grep -c 'PUT /REST/2.0/ticket/[0-9]* 200' rt/log)" -gt "$nput" ] && echo 1 || echo 0)"
check "the RT ticket got a comment" 1 \
    "$([ "$(grep -c 'POST /REST/2.0/ticket/[0-9]*/comment 201' rt/log)" -gt "$ncom" ] && echo 1 || echo 0)"
check "updates only go to objects that exist" 0 \
    "$(grep -c ' 40[04] ' iris/log rt/log | awk -F: '{s += $2} END {print s}')"
check "nothing was dead-lettered" 0 \
    "$(cat state/deadletter.jsonl 2>/dev/null | wc -l | tr -d ' ')"

# The keys, in each server's form.
check "every IRIS request carries the bearer key" 0 \
    "$(grep -L 'Authorization: Bearer iris-api-key' iris/req-* | wc -l | tr -d ' ')"
check "every RT request carries the token" 0 \
    "$(grep -L 'Authorization: token rt-token-0123' rt/req-* | wc -l | tr -d ' ')"
check "the key never reaches a log" 0 \
    "$(cat service.log once.err | grep -c 'iris-api-key\|rt-token-0123')"

# The bodies: JSON, with the fields the servers need, hostile text as data.
for f in iris/req-* rt/req-*; do
	sed '1,/^\r$/d' "$f" >"$f.body"
done
perl -MJSON::PP -e '
	my ($bad, $iris, $rt, $forged, $hostile) = (0, 0, 0, 0, 0);
	for my $f (@ARGV) {
		local $/; open my $h, "<", $f or die; my $b = <$h>;
		next if $b eq "";
		my $j = eval { JSON::PP->new->decode($b) };
		unless (ref $j) { $bad++; print "not JSON: $f\n"; next }
		$hostile++ if $b =~ /script/ && $b =~ /UNION/;
		if (exists $j->{alert_source}) {
			$iris++;
			$forged++ unless $j->{alert_source_ref} =~ /^KB-[0-9-]+$/ &&
			    $j->{alert_customer_id} == 2 &&
			    $j->{alert_severity_id} >= 13 &&
			    $j->{alert_severity_id} <= 16 &&
			    $j->{alert_status_id} == 2 &&
			    ref $j->{alert_assets} eq "ARRAY" &&
			    @{$j->{alert_assets}} >= 1 &&
			    $j->{alert_assets}[0]{asset_ip} =~ /^10\./ &&
			    ref $j->{alert_iocs} eq "ARRAY" &&
			    $j->{alert_tags} =~ /^keibi,keibi:[a-z_]+/ &&
			    $j->{alert_source_content}{id} eq
			    $j->{alert_source_ref};
		}
		if (exists $j->{Queue}) {
			$rt++;
			$forged++ unless $j->{Queue} eq "Incidents" &&
			    $j->{Subject} =~ /^\[KB-[0-9-]+\] / &&
			    $j->{ContentType} eq "text/plain" &&
			    $j->{Priority} >= 20 &&
			    ref $j->{CustomFields}{IP} eq "ARRAY";
		}
		$forged++ if $b =~ /"id":"EVIL"|"alert_source_ref":"EVIL"/;
	}
	print "$bad $iris $rt $forged ", ($hostile ? 1 : 0), "\n";
' iris/req-*.body rt/req-*.body >bodies.out
cat bodies.out | sed -n '/not JSON/p'
set -- $(tail -1 bodies.out)
check "every body is JSON" 0 "$1"
check "IRIS creates carry their fields" "$n" "$2"
check "RT creates carry their fields" "$n" "$3"
check "no forged or missing field" 0 "$4"
check "the hostile line reached the bodies as data" 1 "$5"
bad=$(cat iris/req-*.body rt/req-*.body | tr -cd '\033\000\377\r' | wc -c | tr -d ' ')
check "no raw control or invalid bytes in a body" 0 "$bad"
check "no raw bidi override in a body" 0 \
    "$(cat iris/req-*.body rt/req-*.body | grep -c "$(printf '\342\200\256')")"
exit $fail
