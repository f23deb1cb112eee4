#!/bin/sh
# Integration: keibid as a service, started in the background and driven
# through keibictl and its control socket.  Checks status and reload (a
# good rule file takes effect; a broken one is refused with file:line and
# the old rules keep alerting; SIGHUP the same), sources added and removed
# by a reload, the control socket's refusal of a peer outside its group
# (as another user, when the test runs as root), malformed, oversized and
# too many requests, the metrics endpoint scraped and parsed, and SIGTERM
# saving positions so that a restart reads nothing twice.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp
sock="$tmp/control.sock"

fw1='Nov 21 09:15:02 gw kernel: [88231.1] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.3 DST=203.0.113.77 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=3312 DF PROTO=TCP SPT=50122 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0'
fw2='Nov 21 09:15:03 gw kernel: [88231.2] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.1.2.4 DST=203.0.113.78 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=3313 DF PROTO=TCP SPT=50123 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0'
: >fw.log
: >extra.log
write_rule_smb

# write_config [extra-source]: the config, with a metrics port.
write_config() {
	write_config_smb "{type: $outtype, path: alerts.jsonl}" \
	    ${1:+"{name: extra, path: extra.log, parser: iptables}"}
}
# One alert per line: type "alerts" where "jsonl" carries incidents.
outtype=alerts
port=9
write_config
"$keibid" -c "$tmp/keibi.yml" --check >/dev/null 2>&1 || outtype=jsonl

# status_num KEY: the first "KEY": number of the status, as JSON.
status_num() {
	"$ctl" -s "$sock" status --json |
	    sed -n "s/^ *\"$1\": \([0-9][0-9]*\),*$/\1/p" | head -n 1
}
alerts() { [ -f alerts.jsonl ] && wc -l <alerts.jsonl | tr -d ' ' || echo 0; }
has_alerts() { [ "$(alerts)" -ge "$1" ]; }
lines_read() { [ "$(status_num lines)" = "$1" ]; }

if ! start_on_free_port 7 131 "$ctl" -s "$sock" status; then
	cat keibid.err
	echo "FAIL: keibid did not start"
	exit 1
fi
echo "keibid runs as pid $pid, metrics on port $port"

# --- status --------------------------------------------------------------
out=$("$ctl" -s "$sock" status)
check "keibictl status exits 0" 0 $?
printf '%s\n' "$out"
check "status lists source fw" 1 "$(printf '%s\n' "$out" | grep -c '^fw ')"
check "status counts the rule" 1 \
    "$(printf '%s\n' "$out" | grep -c '^rules: 1 loaded')"
check "status says there are no warnings" 1 \
    "$(printf '%s\n' "$out" | grep -c '^no warnings')"
check "socket mode is 0660" "srw-rw----" "$(ls -l "$sock" | cut -c1-10)"

echo "$fw1" >>fw.log
wait_for "the SMB alert" has_alerts 1
check "the rule alerts on an appended line" 1 "$(alerts)"
wait_for "lines counted" lines_read 1
check "status --json counts the line" 1 "$(status_num lines)"

# --- reload: good, broken, SIGHUP -----------------------------------------
cat >rules.d/telnet.yml <<'EOF'
rules:
  - id: KB-TEST-0002
    rev: 1
    title: "Telnet leaves the network"
    description: "An internal host speaks Telnet to the Internet."
    category: outbound_attack
    severity: high
    logsource: firewall
    match:
      destination.port: 23
EOF
out=$("$ctl" -s "$sock" reload 2>&1)
check "reload with a good rule file exits 0" 0 $?
check "reload reports two rules" \
    "reloaded: 2 rules, 1 sources, 1 outputs" "$out"
echo "$fw2" >>fw.log
wait_for "the telnet alert" has_alerts 2
check "the new rule alerts" 1 "$(grep -c '"KB-TEST-0002"' alerts.jsonl)"

printf 'rules:\n  - id: KB-TEST-0003\n    match: [\n' >rules.d/broken.yml
out=$("$ctl" -s "$sock" reload 2>&1)
rc=$?
check "reload with a broken rule file exits 1" 1 $rc
printf '%s\n' "$out"
check "the refusal names file and line" 1 \
    "$(printf '%s\n' "$out" | grep -c 'broken.yml:4:')"
echo "$fw1" >>fw.log
wait_for "the old rules alerting" has_alerts 3
check "the old rules keep working" 2 "$(grep -c '"KB-TEST-0001"' alerts.jsonl)"
out=$("$ctl" -s "$sock" status)
check "status shows the failed reload" 1 \
    "$(printf '%s\n' "$out" | grep -c 'last reload .* FAILED')"
check "status warns about it" 1 \
    "$(printf '%s\n' "$out" | grep -c '! the last reload failed')"
check "status still counts two rules" 1 \
    "$(printf '%s\n' "$out" | grep -c '^rules: 2 loaded')"
kill -HUP "$pid"
sleep 0.5
check "keibid survives a broken SIGHUP" 0 "$(kill -0 "$pid" 2>/dev/null; echo $?)"
check "the failure is logged with its reason" 1 \
    "$(grep -c 'reload failed' keibid.err | awk '{print ($1 >= 2)}')"
rm rules.d/broken.yml
kill -HUP "$pid"
sleep 0.5
check "a good SIGHUP clears the failure" 0 \
    "$("$ctl" -s "$sock" status | grep -c 'FAILED')"

# --- sources added and removed by a reload --------------------------------
echo "$fw2" >>extra.log
write_config extra
out=$("$ctl" -s "$sock" reload 2>&1)
check "reload adding a source" "reloaded: 2 rules, 2 sources, 1 outputs" "$out"
wait_for "the new source's alert" has_alerts 4
check "the added source is read" 1 \
    "$("$ctl" -s "$sock" status | grep -c '^extra ')"
write_config
out=$("$ctl" -s "$sock" reload 2>&1)
check "reload removing it" "reloaded: 2 rules, 1 sources, 1 outputs" "$out"
check "status lists one source again" 0 \
    "$("$ctl" -s "$sock" status | grep -c '^extra ')"
check "alerts were not written twice by the restart" 4 "$(alerts)"

# --- incidents, when keibictl has them -------------------------------------
if "$ctl" -h 2>&1 | grep -q '^  incidents'; then
	"$ctl" -c keibi.yml incidents >incidents.out 2>&1
	check "keibictl incidents exits 0" 0 $?
	cat incidents.out
else
	echo "skip: this keibictl has no incidents command yet"
fi

# --- malformed, oversized and too many requests -----------------------------
printf '%s\n' 'garbage' '{"cmd":"nope"}' '{"cmd":"status","x":1}' '[1,2]' \
    '{"cmd":"ack"}' '{"cmd":"note","id":"a b","text":"x"}' \
    '{"cmd":"close","id":"KB-1","resolution":"maybe"}' \
    '{"cmd":"status","cmd":"status"}' "$(printf '{"cmd":"\377"}')" \
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' \
    '{"cmd":"ping"}' | "$probe" unix "$sock" >bad.out
cat bad.out
check "every malformed request is answered with an error" 10 \
    "$(grep -c '"ok":false' bad.out)"
check "and the connection still serves" 1 "$(grep -c '"ok":true' bad.out)"
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "a"; }' |
    "$probe" unix "$sock" >big.out
check "an oversized request is refused" 1 \
    "$(grep -c 'request longer than 8192 bytes' big.out)"
awk 'BEGIN { for (i = 0; i < 70; i++) print "{\"cmd\":\"ping\"}"; }' |
    "$probe" unix "$sock" >many.out
check "a connection serves at most 64 requests" 64 \
    "$(grep -c '"ok":true' many.out)"
check "keibid still answers" 0 \
    "$("$ctl" -s "$sock" status >/dev/null; echo $?)"

# --- a peer outside the control group ----------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: peer refusal needs root to run keibictl as another user"
elif ! command -v setpriv >/dev/null 2>&1; then
	echo "skip: peer refusal needs setpriv (util-linux)"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$ctl" -h >/dev/null 2>&1; then
	echo "skip: user 65534 cannot run $ctl here"
else
	chmod 755 "$tmp"
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	}
	as_nobody "$ctl" -s "$sock" status >nobody.out 2>&1
	check "the socket's mode keeps user 65534 out" 1 $?
	cat nobody.out
	# Loosen the file mode: keibid's own SO_PEERCRED check must hold.
	chmod 0666 "$sock"
	as_nobody "$ctl" -s "$sock" status >nobody.out 2>&1
	check "keibid refuses user 65534 itself" 1 $?
	cat nobody.out
	check "with 'not in the control group'" 1 \
	    "$(grep -c 'not in keibid.s control group' nobody.out)"
	check "the refusal is logged with the uid" 1 \
	    "$(grep -c 'refused .*uid 65534' keibid.err | awk '{print ($1 >= 1)}')"
	chmod 0660 "$sock"
fi

# --- metrics ------------------------------------------------------------------
"$probe" http "$port" /metrics >scrape.raw
check "GET /metrics answers 200" 1 "$(head -n 1 scrape.raw | grep -c ' 200 ')"
sed '1,/^\r*$/d' scrape.raw >scrape.txt
# A sample value is a Go float: 12, 0.5, 5e-06, 1.5E+10, +Inf, -Inf, NaN.
awk '
	/^# (HELP|TYPE) / { next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)$/ { next }
	{ print "bad line: " $0; n++ }
	END { print n + 0 }' scrape.txt >scrape.bad
grep '^bad line' scrape.bad
bad=$(tail -n 1 scrape.bad)
check "every metrics line parses as Prometheus text" 0 "$bad"
metric() { awk -v m="$1" '$1 == m { print $2 }' scrape.txt; }
check "lines of source fw, over two pipeline restarts" 3 \
    "$(metric 'keibi_source_lines_total{source="fw"}')"
check "hits of KB-TEST-0001" 2 \
    "$(metric 'keibi_rule_hits_total{rule="KB-TEST-0001"}')"
check "the alert total is there" 1 "$(grep -c '^keibi_alerts_total ' scrape.txt)"
check "reload failures counted" 1 \
    "$(metric keibi_reload_failures_total | awk '{print ($1 >= 2)}')"
check "events of dataset firewall.iptables" 1 \
    "$(metric 'keibi_dataset_events_total{dataset="firewall.iptables"}' |
    awk '{print ($1 >= 1)}')"
check "a sealed segment has an age" 1 "$(grep -c '^keibi_evidence_seal_age_seconds ' scrape.txt)"
check "unknown paths are 404" 1 \
    "$("$probe" http "$port" /nope | head -n 1 | grep -c ' 404 ')"

# --- SIGTERM saves positions ----------------------------------------------------
keibid_stop TERM
check "keibid exits 0 on SIGTERM" 0 $?
check "the control socket is removed" 0 "$([ -e "$sock" ] && echo 1 || echo 0)"
size=$(wc -c <fw.log | tr -d ' ')
check "the saved position of fw is its end" "$size" \
    "$(sed -n '/"fw"/,/}/s/^ *"offset": \([0-9]*\),*$/\1/p' state/positions.json)"
before=$(alerts)
keibid_once "$tmp/keibi.yml"
check "a restart after SIGTERM reads nothing twice" "$before" "$(alerts)"

finish
