#!/bin/sh
# Integration: a reload checks the GeoIP databases before it swaps them.
# keibid runs with a country and an ASN database; the country file is
# replaced by a damaged one, then by the ASN database (a valid file of the
# wrong kind): each reload is refused naming the file and the reason, and
# the old databases keep enriching.  A good file then reloads.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	echo "SKIP: MaxMind::DB::Writer is missing: apt-get install libmaxmind-db-writer-perl (contrib/bootstrap does)"
	exit 77
fi
setup_tmp
perl "$top_srcdir/tests/incidents/mkmmdb.pl" "$tmp" || exit 1
cp country.mmdb country.good
sock="$tmp/control.sock"
: >fw.log
cat >keibi.yml <<EOF
state_dir: state
rules: [$top_srcdir/rules]
timezone: UTC
networks: {internal: [10.0.0.0/8]}
control_socket: $sock
sources: [{name: fw, path: fw.log, parser: iptables}]
geoip: {country: country.mmdb, asn: asn.mmdb}
outputs: [{type: jsonl, path: incidents.jsonl}]
EOF
k() { "$ctl" -c "$tmp/keibi.yml" -s "$sock" "$@"; }
keibid_start -c "$tmp/keibi.yml"
if ! wait_for "the control socket" k status; then
	cat keibid.err
	exit 1
fi

# A damaged file: the first half of the good one.
# Files are replaced by rename, as geoipupdate does: the running
# databases are memory-mapped and must not change under keibid.
head -c $(($(wc -c <country.good) / 2)) country.good >new.mmdb
mv new.mmdb country.mmdb
k reload >reload1.out 2>&1
check "a damaged database fails the reload" 1 "$([ $? -ne 0 ] && echo 1)"
check "the refusal names the file" 1 "$(grep -c 'country.mmdb' reload1.out | sed 's/^[1-9][0-9]*$/1/')"
# A database whose tail is overwritten: its search tree points nowhere.
cp country.good new.mmdb
printf "\377\377\377\377\377\377\377\377\377\377\377\377" | dd of=new.mmdb bs=1 conv=notrunc 2>/dev/null
mv new.mmdb country.mmdb
k reload >reload2.out 2>&1
check "a database with a broken tree fails the reload" 1 "$([ $? -ne 0 ] && echo 1)"
check "the reason says damaged" 1 "$(grep -c 'country.mmdb: damaged database' reload2.out | sed 's/^[1-9][0-9]*$/1/')"
# A valid database of the wrong kind.
cp asn.mmdb new.mmdb
mv new.mmdb country.mmdb
k reload >reload3.out 2>&1
check "an ASN database named as country fails the reload" 1 "$([ $? -ne 0 ] && echo 1)"
check "the reason says what is missing" 1 "$(grep -c 'no country data' reload3.out | sed 's/^[1-9][0-9]*$/1/')"
check "keibid logged the file and reason" 1 \
    "$(grep -c 'reload: GeoIP or inventory: .*country.mmdb' keibid.err | sed 's/^[1-9][0-9]*$/1/')"

# The old databases still enrich.
echo 'Nov 21 10:20:00 gw01 kernel: [1.0] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.8.8.8 DST=203.0.113.9 LEN=60 PROTO=TCP SPT=40000 DPT=445 SYN' >>fw.log
wait_for "the incident" grep -q '"10.8.8.8"' incidents.jsonl
check "the old databases still give country and AS" 1 "$(grep '"10.8.8.8"' incidents.jsonl | tail -n 1 |
    grep -c '"value":"203.0.113.9","type":"ip".*"country":"JP","asn":64500')"

cp country.good new.mmdb
mv new.mmdb country.mmdb
k reload >reload4.out 2>&1
check "a good database reloads" 0 $?
keibid_stop TERM
[ $fail -ne 0 ] && grep '"10.8.8.8"' incidents.jsonl | tail -n 1
finish
