#!/bin/sh
# Every sample line of every shipped rule behaves as the rule declares;
# then overrides from a rules.d folder: keibid --check and keibictl test
# accept a good one (a shipped rule's threshold, severity, a disabled rule,
# a per-rule exception) and name file:line and reason for bad ones.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
"$ctl" test "$top_srcdir/rules" >"${TMPDIR:-/tmp}/keibi-rules.$$" || {
	cat "${TMPDIR:-/tmp}/keibi-rules.$$"
	rm -f "${TMPDIR:-/tmp}/keibi-rules.$$"
	exit 1
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mv "${TMPDIR:-/tmp}/keibi-rules.$$" "$tmp/shipped"
cat "$tmp/shipped"
nrules=$(sed -n 's/^\([0-9]*\) rules,.*/\1/p' "$tmp/shipped")
fail=0
check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: expected $2, got $3"
		fail=1
	fi
}
mkdir "$tmp/rules.d"
: >"$tmp/fw.log"
cat >"$tmp/keibi.yml" <<EOC
state_dir: $tmp/state
rules: [$top_srcdir/rules, $tmp/rules.d]
networks:
  internal: [10.0.0.0/8]
sources:
  - {name: fw, path: $tmp/fw.log, parser: iptables}
evidence:
  dir: $tmp/evidence
outputs:
  - {type: jsonl, path: $tmp/incidents.jsonl}
EOC
cat >"$tmp/rules.d/10-local.yml" <<'EOR'
# Tuning of the shipped packs for this site.
overrides:
  - id: KB-WORM-0002
    threshold: 40
    window: 15m
    severity: high
  - id: KB-POL-0001
    enabled: false
  - id: KB-BCN-0001
    threshold: 0.9
    exceptions:
      - reason: the backup agent polls its server every minute
        match: {source.ip: 10.9.9.9}
EOR
"$keibid" -c "$tmp/keibi.yml" --check >"$tmp/out" 2>&1
check "keibid --check accepts a good override" 0 $?
"$ctl" test "$top_srcdir/rules" "$tmp/rules.d" >"$tmp/out" 2>&1
check "keibictl test applies it and passes" 0 $?
check "the disabled rule is out of the set" \
    "$((nrules - 1)) rules, 1 disabled by overrides," \
    "$(grep -o '^[0-9]* rules, [0-9]* disabled by overrides,' "$tmp/out")"

cat >"$tmp/rules.d/20-bad.yml" <<'EOR'
overrides:
  - id: KB-NOPE-0001
    severity: low
  - id: KB-WORM-0002
    treshold: 40
  - id: KB-OUT-0001
    window: 10m
EOR
"$keibid" -c "$tmp/keibi.yml" --check >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
check "keibid --check refuses a bad override" 1 "$([ $rc -ne 0 ] && echo 1)"
check "unknown id named with file:line" 1 \
    "$(grep -c "20-bad.yml:2:.*override names no rule: 'KB-NOPE-0001'" "$tmp/out")"
check "unknown key named with file:line" 1 \
    "$(grep -c "20-bad.yml:5:.*unknown override key 'treshold'" "$tmp/out")"
check "bad key for the rule named with file:line" 1 \
    "$(grep -c "20-bad.yml:7:.*no 'window' to override" "$tmp/out")"
"$ctl" test "$top_srcdir/rules" "$tmp/rules.d" >"$tmp/out" 2>&1
check "keibictl test refuses it too" 1 "$([ $? -ne 0 ] && echo 1)"
check "keibictl test names the unknown id" 1 \
    "$(grep -c "20-bad.yml:2:.*'KB-NOPE-0001'" "$tmp/out")"
# keibictl test replay: an alert prints the source.ip and event.reason of
# its own record, never those of an earlier line (the line record is
# reused and unset fields keep their old spans).  Line 1 has a client
# address and a parser-set reason; line 2 (a local pickup) has neither.
cat >"$tmp/stale.yml" <<'EOR'
rules:
  - id: T-STALE-1
    title: any line of the mail host
    category: policy_violation
    severity: low
    logsource: mail
    match: {host.hostname: mx}
    samples:
      - {parser: postfix, match: true, line: "Nov 21 10:06:00 mx postfix/pickup[1007]: 4Y1ZpX2c5Nz9vKl: uid=0 from=<root>"}
  - id: T-STALE-2
    title: every line of the mail host counted
    category: policy_violation
    severity: low
    logsource: mail
    match: {host.hostname: mx}
    correlation: {type: count, group_by: host.hostname, window: 1h, threshold: 1}
    samples:
      - {parser: postfix, match: true, line: "Nov 21 10:06:00 mx postfix/pickup[1007]: 4Y1ZpX2c5Nz9vKl: uid=0 from=<root>"}
EOR
cat >"$tmp/stale.log" <<'EOL'
Nov 21 10:05:00 mx postfix/smtpd[1001]: NOQUEUE: reject: RCPT from client.example.org[198.51.100.7]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.org> to=<x@example.net> proto=ESMTP helo=<client>
Nov 21 10:06:00 mx postfix/pickup[1007]: 4Y1ZpX2c5Nz9vKl: uid=0 from=<root>
EOL
"$ctl" test --parser postfix "$tmp/stale.yml" "$tmp/stale.log" >"$tmp/out" 2>&1
check "keibictl test replays the stale-field log" 0 $?
check "line 1 has the fields the check relies on" 1 \
    "$(grep '^  event: ' "$tmp/out" | grep '"event.reason":"<x@example.net>: Relay' |
    grep -c '"source.ip":"198.51.100.7"')"
check "alerts of line 1 name its client" 2 \
    "$(grep -c '^  ALERT T-STALE-[12] .*10:05:00Z 198.51.100.7: ' "$tmp/out")"
check "a plain alert of line 2 shows no address" 1 \
    "$(grep -c '^  ALERT T-STALE-1 .*10:06:00Z -: any line of the mail host$' "$tmp/out")"
check "a correlation alert of line 2 shows no address, its own reason" 1 \
    "$(grep -c '^  ALERT T-STALE-2 .*10:06:00Z -: 1 events within 1h for host.hostname=mx$' "$tmp/out")"
check "no alert repeats line 1's client or reason" 2 \
    "$(grep '^  ALERT' "$tmp/out" | grep -c '198.51.100.7\|Relay access')"

# The spam detector on every mail format that logs deliveries: one sender
# mails 120 recipients in 60 domains within an hour; KB-SPAM-0002 must
# alert.  Exchange names its own address as the client of what it sends
# on: two senders of 60 recipients each through it are two senders.
cat >"$tmp/mail.yml" <<EOC
state_dir: $tmp/state
rules: [$top_srcdir/rules]
networks:
  internal: [10.0.0.0/8]
  mail_servers: [10.0.0.25, 10.0.0.30]
sources:
  - {name: mail, path: $tmp/fw.log, parser: exim}
evidence:
  dir: $tmp/evidence
outputs:
  - {type: jsonl, path: $tmp/incidents.jsonl}
EOC
i=0
{
	echo "2026-11-21 10:00:00 1vX2aB-000Abc-7Q <= alice@example.com H=pc.example.net [10.1.2.20]:50123 I=[10.0.0.25]:587 P=esmtpsa A=dovecot_login:alice S=2345 id=m1@example.com"
	while [ $i -lt 120 ]; do
		echo "2026-11-21 10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))) 1vX2aB-000Abc-7Q => u$i@d$((i % 60)).example.org R=dnslookup T=remote_smtp H=mx.d$((i % 60)).example.org [198.51.100.25]:25 C=\"250 OK\""
		i=$((i + 1))
	done
} >"$tmp/exim.log"
i=0
{
	echo "Nov 21 10:00:00 mx sm-mta[4321]: 5ALA00aB004321: from=<alice@example.com>, size=2345, class=0, nrcpts=120, msgid=<m1@example.com>, proto=ESMTPSA, daemon=MTA, relay=pc.example.net [10.1.2.20]"
	while [ $i -lt 120 ]; do
		echo "Nov 21 10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))) mx sm-mta[4322]: 5ALA00aB004321: to=<u$i@d$((i % 60)).example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=32345, relay=mx.d$((i % 60)).example.org. [198.51.100.25], dsn=2.0.0, stat=Sent (Ok)"
		i=$((i + 1))
	done
} >"$tmp/sendmail.log"
i=0
{
	echo "<22>Nov 21 10:00:00 esa1 mail_logs: Info: New SMTP ICID 5 interface Data 1 (10.0.0.40) address 10.1.2.20 reverse dns host pc.example.net verified yes"
	echo "<22>Nov 21 10:00:01 esa1 mail_logs: Info: SMTP Auth: (ICID 5) succeeded for user: alice using AUTH mechanism: LOGIN with profile: corp"
	echo "<22>Nov 21 10:00:01 esa1 mail_logs: Info: Start MID 6 ICID 5"
	echo "<22>Nov 21 10:00:01 esa1 mail_logs: Info: MID 6 ICID 5 From: <alice@example.com>"
	while [ $i -lt 120 ]; do
		echo "<22>Nov 21 10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))) esa1 mail_logs: Info: MID 6 ICID 5 RID $i To: <u$i@d$((i % 60)).example.org>"
		i=$((i + 1))
	done
} >"$tmp/esa.log"
# exchange FROMS: one SENDEXTERNAL per recipient, senders taking turns.
exchange() {
	sed -n '1,5p' "$top_srcdir/tests/parsers/exchange/tracking.log"
	i=0
	while [ $i -lt 120 ]; do
		if [ "$1" = 1 ]; then f=mallory; else f=sender$((i % 2)); fi
		echo "2026-11-21T10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))).000Z,10.0.0.30,EXCH01,198.51.100.25,mx.d$((i % 60)).example.org,,Outbound to Internet,SMTP,SENDEXTERNAL,12345$i,<m$i@example.com>,7a1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b,u$i@d$((i % 60)).example.org,250 2.1.5 Recipient OK,512,1,,,Offer,$f@example.com,$f@example.com,,Originating,,,,,Email,1a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9,15.02.1544.004"
		i=$((i + 1))
	done
}
exchange 1 >"$tmp/exchange.log"
exchange 2 >"$tmp/exchange2.log"
for f in exim sendmail exchange; do
	"$ctl" -c "$tmp/mail.yml" test --parser $f "$top_srcdir/rules/spam.yml" \
	    "$tmp/$f.log" >"$tmp/out" 2>&1
	check "spam from $f: one alert of KB-SPAM-0002" 1 \
	    "$(grep -c '^  ALERT KB-SPAM-0002 .*distinct recipient' "$tmp/out")"
done
"$ctl" -c "$tmp/mail.yml" test --parser cisco_esa "$top_srcdir/rules/spam.yml" \
    "$tmp/esa.log" >"$tmp/out" 2>&1
check "spam from cisco_esa: one alert of KB-SPAM-0002" 1 \
    "$(grep -c '^  ALERT KB-SPAM-0002 .*distinct recipient' "$tmp/out")"
"$ctl" -c "$tmp/mail.yml" test --parser exchange "$top_srcdir/rules/spam.yml" \
    "$tmp/exchange2.log" >"$tmp/out" 2>&1
check "exchange: two senders through the server are not one" 0 \
    "$(grep -c '^  ALERT KB-SPAM-0002' "$tmp/out")"
sed 's/address 10.1.2.20/address 192.0.2.20/; /SMTP Auth/d' "$tmp/esa.log" \
    >"$tmp/esa-in.log"
"$ctl" -c "$tmp/mail.yml" test --parser cisco_esa "$top_srcdir/rules/spam.yml" \
    "$tmp/esa-in.log" >"$tmp/out" 2>&1
check "cisco_esa: inbound mail from an outside client is not spam of ours" 0 \
    "$(grep -c '^  ALERT KB-SPAM-0002' "$tmp/out")"

printf 'overrides:\n  - {id: KB-OUT-0003, enabled: false}\n' \
    >"$tmp/rules.d/20-bad.yml"
"$keibid" -c "$tmp/keibi.yml" --check >"$tmp/out" 2>&1
check "disabling an input of a correlation is refused" 1 \
    "$(grep -c "20-bad.yml:2:.*still feeds the correlation 'KB-OUT-0020'" "$tmp/out")"
# Mail formats that name several recipients or deliver locally: an
# Exchange line with three recipients counts three (40 lines, 120
# recipients in 60 domains alert), a Courier burst through the queue-id
# join alerts, and Exim deliveries by a local transport count nothing.
i=0
{
	sed -n '1,5p' "$top_srcdir/tests/parsers/exchange/tracking.log"
	while [ $i -lt 120 ]; do
		echo "2026-11-21T10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))).000Z,10.0.0.30,EXCH01,198.51.100.25,mx.example.org,,Outbound to Internet,SMTP,SENDEXTERNAL,12345$i,<m$i@example.com>,7a1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b,u$i@d$((i % 60)).example.org;u$((i + 1))@d$(((i + 1) % 60)).example.org;u$((i + 2))@d$(((i + 2) % 60)).example.org,250 2.1.5 Recipient OK;250 2.1.5 Recipient OK;250 2.1.5 Recipient OK,512,3,,,Offer,mallory@example.com,mallory@example.com,,Originating,,,,,Email,1a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9,15.02.1544.004"
		i=$((i + 3))
	done
} >"$tmp/exchange-multi.log"
"$ctl" -c "$tmp/mail.yml" test --parser exchange "$top_srcdir/rules/spam.yml" \
    "$tmp/exchange-multi.log" >"$tmp/out" 2>&1
check "exchange: 40 lines of 3 recipients each are 120 recipients" 1 \
    "$(grep -c '^  ALERT KB-SPAM-0002 .*distinct recipient' "$tmp/out")"
i=0
{
	echo "Nov 21 10:00:00 mail courierd: newmsg,id=0038C081.4D026173.000051A4: dns; pc.example.net (pc.example.net [::ffff:10.1.2.20])"
	while [ $i -lt 120 ]; do
		echo "Nov 21 10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))) mail courieresmtp: id=0038C081.4D026173.000051A4,from=<alice@example.com>,addr=<u$i@d$((i % 60)).example.org>,size=329,success: delivered: mx.d$((i % 60)).example.org [198.51.100.25]"
		echo "Nov 21 10:$(printf %02d $((i / 4))):$(printf %02d $((i % 4 * 10))) mail courieresmtp: id=0038C081.4D026173.000051A4,from=<alice@example.com>,addr=<u$i@d$((i % 60)).example.org>,size=329,status: success"
		i=$((i + 1))
	done
} >"$tmp/courier.log"
"$ctl" -c "$tmp/mail.yml" test --parser courier "$top_srcdir/rules/spam.yml" \
    "$tmp/courier.log" >"$tmp/out" 2>&1
check "spam from courier: one alert of KB-SPAM-0002" 1 \
    "$(grep -c '^  ALERT KB-SPAM-0002 .*distinct recipient' "$tmp/out")"
check "courier: the alert names the client of newmsg" 1 \
    "$(grep '^  ALERT KB-SPAM-0002' "$tmp/out" | grep -c '10.1.2.20')"
sed 's/courieresmtp:/courierlocal:/' "$tmp/courier.log" >"$tmp/courier-local.log"
"$ctl" -c "$tmp/mail.yml" test --parser courier "$top_srcdir/rules/spam.yml" \
    "$tmp/courier-local.log" >"$tmp/out" 2>&1
check "courier: local deliveries are not spam" 0 \
    "$(grep -c '^  ALERT KB-SPAM-0002' "$tmp/out")"
sed 's/ R=dnslookup T=remote_smtp H=[^ ]* \[[^]]*\]:25 / R=localuser T=local_delivery /' \
    "$tmp/exim.log" >"$tmp/exim-local.log"
check "exim: the local burst has 120 local deliveries" 120 \
    "$(grep -c ' => u[0-9]*@.* T=local_delivery C=' "$tmp/exim-local.log")"
"$ctl" -c "$tmp/mail.yml" test --parser exim "$top_srcdir/rules/spam.yml" \
    "$tmp/exim-local.log" >"$tmp/out" 2>&1
check "exim: local deliveries are not spam" 0 \
    "$(grep -c '^  ALERT KB-SPAM-0002' "$tmp/out")"

exit $fail
