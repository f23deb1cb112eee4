#!/bin/sh
# GeoIP/ASN: build small MaxMind DBs with Debian's libmaxmind-db-writer-perl
# (tests/incidents/mkmmdb.pl) and run the enricher's unit test on them
# (IPv4 and IPv6 lookups, ECS fields of an event), then check that keibid
# puts country and AS into an incident's remote side.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	echo "SKIP: MaxMind::DB::Writer is missing: apt-get install libmaxmind-db-writer-perl (contrib/bootstrap does)"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
perl "$top_srcdir/tests/incidents/mkmmdb.pl" "$tmp" || exit 1
KEIBI_TEST_MMDB=$tmp "$top_builddir/tests/unit/test_enrich" || fail=1

cp "$top_srcdir/contrib/samples/firewall.log" "$tmp/"
chmod u+w "$tmp/firewall.log"
printf 'Nov 21 10:20:00 gw01 kernel: [1.0] FWD-ACCEPT: IN=eth1 OUT=eth0 SRC=10.8.8.8 DST=203.0.113.9 LEN=60 PROTO=TCP SPT=40000 DPT=445 SYN\n' >>"$tmp/firewall.log"
printf 'address,hostname,owner,department,role\n10.8.8.8,pc-0888,Sato,Finance,PC\n' >"$tmp/inventory.csv"
cat >"$tmp/keibi.yml" <<EOC
state_dir: state
rules: [$top_srcdir/rules]
networks: {internal: [10.0.0.0/8]}
sources: [{name: fw, path: firewall.log, parser: iptables}]
geoip: {country: country.mmdb, asn: asn.mmdb}
inventory: inventory.csv
outputs: [{type: jsonl, path: incidents.jsonl}]
EOC
"$top_builddir/keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1 || fail=1
if grep '"10.8.8.8"' "$tmp/incidents.jsonl" | tail -n 1 |
    grep -q '"value":"203.0.113.9","type":"ip".*"country":"JP","asn":64500,"as_org":"Example Net JP"'; then
	echo "ok: the incident's remote side has country and AS"
else
	echo "FAIL: no country/AS on 203.0.113.9"; fail=1
fi
if grep '"10.8.8.8"' "$tmp/incidents.jsonl" | tail -n 1 |
    grep -q '"hostname":"pc-0888","owner":"Sato","department":"Finance"'; then
	echo "ok: the inventory names the PC and its owner"
else
	echo "FAIL: no inventory entry in the incident"; fail=1
fi
if grep '"10.8.8.8"' "$tmp/incidents.jsonl" | tail -n 1 | grep -q '(pc-0888, owner Sato)'; then
	echo "ok: the title names the PC"
else
	echo "FAIL: the title does not name the PC"; fail=1
fi
exit $fail
