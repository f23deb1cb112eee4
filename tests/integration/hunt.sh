#!/bin/sh
# Integration: keibictl hunt, extract and replay on an archive that the
# real keibid --once built from generated logs of two days (firewall,
# proxy and mail; small segments, each with its index), with known facts
# planted in them:
#   - on 2026-11-21 around 10:15 (+09:00) the PC 10.1.2.3, user tanaka,
#     attacks shop.victim.example (203.0.113.77) through the proxy and on
#     SMB through the firewall, then at 10:40 attacks 198.51.100.9 and
#     www.victim2.example; a day before, 10.1.1.5 (sato) only browsed the
#     shop;
#   - the C2 domain c2.evil-cdn.example is reached by 10.1.4.21 (every ten
#     minutes on the second day), 10.1.4.22 (a subdomain) and 10.1.7.7
#     (upper case), while xc2.evil-cdn.example and
#     c2.evil-cdn.example.net, reached by others, are not it.
# Checks: the two questions of the CSIRT are answered exactly; every
# filter and several combinations give, with and without the index, the
# same events as a brute-force scan (keibictl parse on every decompressed
# segment, filtered by an independent Perl implementation); the index
# rules segments out; extract's proof holds and repeats with sha256sum,
# zcat, tail and head; a tampered segment, manifest entry or index is
# reported and never silently used; replay opens the incidents the live
# run opened.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
cleanup() {
	chmod -R u+w "$tmp" 2>/dev/null
	[ -n "${KEIBI_KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
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
cd "$tmp" || exit 1

# --- two days of logs, times in +09:00 ----------------------------------
awk 'function ts(t,  s, d) {
	s = t % 86400; d = 20 + int(t / 86400)
	return sprintf("2026-11-%02dT%02d:%02d:%02d+09:00", d, int(s / 3600),
	    int(s % 3600 / 60), s % 60)
}
function fw(t, src, dst, dpt, act) {
	printf "%s gw01 kernel: [%d.1] FWD-%s: IN=eth1 OUT=eth0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=%d DPT=%d WINDOW=64240 RES=0x00 SYN URGP=0\n", ts(t), t, act, src, dst, t % 65536, 40000 + t % 20000, dpt >"firewall.log"
}
function px(t, src, code, bytes, meth, url, user, peer, type) {
	printf "%d.%03d %6d %s %s %d %s %s %s HIER_DIRECT/%s %s\n", T0 + t, t % 1000, 100 + t % 900, src, code, bytes, meth, url, user, peer, type >"proxy.log"
}
function mail(t, q, user, ip, to, rip) {
	printf "%s mx01 postfix/submission/smtpd[4100]: %s: client=pc[%s], sasl_method=PLAIN, sasl_username=%s\n", ts(t), q, ip, user >"mail.log"
	printf "%s mx01 postfix/qmgr[4102]: %s: from=<%s@example.co.jp>, size=%d, nrcpt=1 (queue active)\n", ts(t), q, user, 2000 + t % 5000 >"mail.log"
	printf "%s mx01 postfix/smtp[4103]: %s: to=<%s>, relay=mx.%s[%s]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n", ts(t + 1), q, to, substr(to, index(to, "@") + 1), rip >"mail.log"
	printf "%s mx01 postfix/qmgr[4102]: %s: removed\n", ts(t + 1), q >"mail.log"
}
BEGIN {
	T0 = 1795100400		# 2026-11-20T00:00:00+09:00
	split("sato suzuki ito watanabe", users, " ")
	split("www.example.com news.example.jp cdn.example.net docs.example.org", sites, " ")
	D = 86400
	r = 4242		# Park-Miller: exact in any awk
	for (t = 0; t < 2 * D; t++) {
		if (t % 15 == 0) {
			k = (r = r * 16807 % 2147483647) % 100003
			fw(t, "10.1.1." 1 + k % 40, "93.184.216." 1 + int(k / 40) % 200, k % 7 ? 443 : 80, "ACCEPT")
		}
		if (t % 20 == 5) {
			k = (r = r * 16807 % 2147483647) % 100003
			px(t, "10.1.1." 1 + k % 40, "TCP_MISS/200", 1000 + k % 9000, "GET", "http://" sites[1 + k % 4] "/p/" k % 97 ".html", users[1 + int(k / 40) % 4], "93.184.216." 1 + int(k / 40) % 200, "text/html")
		}
		if (t % 300 == 7) {
			k = (t - 7) / 300
			mail(t, sprintf("4Y%08X", k), users[1 + k % 4], "10.1.1." 1 + k % 40, "info" k % 13 "@partner.example", "192.0.2.25")
		}
		# The attack of 2026-11-21 10:12 to 10:17 and 10:40.
		if (t >= D + 36720 && t < D + 37020 && (t - D - 36720) % 30 == 0)
			fw(t, "10.1.2.3", "203.0.113.77", 445, "ACCEPT")
		if (t >= D + 36780 && t < D + 37080 && (t - D - 36780) % 15 == 0)
			px(t, "10.1.2.3", "TCP_MISS/200", 1500, "GET", "http://shop.victim.example/item.php?id=" t % 100 "%20UNION%20SELECT%20NULL,user()--", "tanaka", "203.0.113.77", "text/html")
		if (t >= D + 38400 && t < D + 38500 && (t - D - 38400) % 20 == 0)
			fw(t, "10.1.2.3", "198.51.100.9", 445, "ACCEPT")
		if (t >= D + 38460 && t < D + 38550 && (t - D - 38460) % 30 == 0)
			px(t, "10.1.2.3", "TCP_MISS/200", 900, "GET", "http://www.victim2.example/search?q=1%27%20UNION%20SELECT%20pw--", "tanaka", "198.51.100.10", "text/html")
		if (t == D + 37200)
			mail(t, "4YFFFF0001", "tanaka", "10.1.2.3", "ceo@victim.example", "203.0.113.25")
		# A day before, 10.1.1.5 only browsed the shop.
		if (t == 32400)
			px(t, "10.1.1.5", "TCP_MISS/200", 5120, "GET", "http://shop.victim.example/", "sato", "203.0.113.77", "text/html")
		# The C2 domain, a subdomain, upper case, and two look-alikes.
		if (t >= D && t % 600 == 180)
			px(t, "10.1.4.21", "TCP_TUNNEL/200", 4128, "CONNECT", "c2.evil-cdn.example:443", "-", "198.51.100.66", "-")
		if (t == 50400 || t == 52200)
			px(t, "10.1.4.22", "TCP_MISS/200", 80000, "GET", "http://upd.c2.evil-cdn.example/a.bin", "-", "198.51.100.66", "application/octet-stream")
		if (t == 79200)
			px(t, "10.1.7.7", "TCP_MISS/200", 512, "GET", "http://C2.Evil-CDN.example/x", "ito", "198.51.100.66", "text/plain")
		if (t == 43200)
			px(t, "10.1.8.8", "TCP_TUNNEL/200", 100, "CONNECT", "xc2.evil-cdn.example:443", "-", "198.51.100.67", "-")
		if (t == D + 43200)
			px(t, "10.1.8.9", "TCP_MISS/200", 100, "GET", "http://c2.evil-cdn.example.net/", "-", "198.51.100.68", "text/html")
	}
}' </dev/null || exit 1

cat >keibi.yml <<EOC
state_dir: state
rules: [$top_srcdir/rules]
timezone: Asia/Tokyo
networks:
  internal: [10.0.0.0/8]
  mail_servers: [10.0.0.25]
  proxies: [10.0.0.3]
  dns_servers: [10.0.0.53]
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
evidence:
  segment_size: 65536
  level: 1
outputs:
  - {type: alerts, path: alerts.jsonl}
  - {type: jsonl, path: incidents.jsonl}
incidents: {throttle: 0}
EOC
"$keibid" -q -c keibi.yml --once >once.out 2>once.err
check "keibid --once exits 0" 0 $?
ev=state/evidence
"$ctl" -c keibi.yml verify >verify.out
check "the archive verifies" 0 $?
nseg=$(grep -c '"type":"segment"' $ev/MANIFEST.jsonl)
nidx=$(grep -c '"sha256_idx":"' $ev/MANIFEST.jsonl)
echo "segments: $nseg, with an index: $nidx"
check "every segment has an index in its entry" "$nseg" "$nidx"

# --- the brute force: every segment decompressed and parsed ------------
# A mail segment is parsed after the one before it (the parser state
# carries over, as keibid's did), and only its own lines are kept.
mkdir oracle
perl -MJSON::PP -ne '$o = decode_json($_); print "$o->{file} $o->{source}\n"
    if $o->{type} eq "segment"' $ev/MANIFEST.jsonl >segs.txt
n=0
prevmail=""
while read -r file source; do
	case $source in
	fw) parser=iptables ;;
	proxy) parser=squid ;;
	mail) parser=postfix ;;
	esac
	n=$((n + 1))
	if [ "$source" = mail ] && [ -n "$prevmail" ]; then
		skip=$(gzip -dc "$ev/$prevmail" | wc -l)
		gzip -dc "$ev/$prevmail" "$ev/$file" | "$ctl" parse --all \
		    --parser $parser --timezone Asia/Tokyo \
		    --internal 10.0.0.0/8 | tail -n +$((skip + 1)) |
		    grep -v '^{"line":[0-9]*,"result":' >"oracle/$n.jsonl"
	else
		gzip -dc "$ev/$file" | "$ctl" parse --parser $parser \
		    --timezone Asia/Tokyo --internal 10.0.0.0/8 >"oracle/$n.jsonl"
	fi
	[ "$source" = mail ] && prevmail=$file
	echo "$n $source $file" >>oracle/list
done <segs.txt

# Messages whose lines straddle a seal: client= (with the SASL user) at
# the end of one mail segment, to= at the start of the next.
perl -e 'my ($i, %c) = (0);
    for my $f (@ARGV) { $i++; open my $z, "-|", "gzip", "-dc", $f or die;
	while (<$z>) { chomp;
	    $c{$1} = [$i, $2] if /postfix\/submission\/smtpd\[\d+\]: (\w+): client=.*sasl_username=(\S+)/;
	    # (Postfix long queue ids have no vowels: the generator writes
	    # some with A or E, which are not ids, and not joined.)
	    if (/postfix\/smtp\[\d+\]: (\w+): to=/ && $1 !~ /[AEIOUaeiou]/) { my $q = $1;
		print "$c{$q}[1]\t$_\n" if $c{$q} && $c{$q}[0] == $i - 1 } } }' \
    $(awk '$2 == "mail" { print "'$ev'/" $1 }' segs.txt) >straddle.txt
nstr=$(wc -l <straddle.txt | tr -d ' ')
echo "messages straddling a seal: $nstr"
[ "$nstr" -gt 0 ] || { echo "FAIL: no message straddles a seal"; fail=1; }

# The questions put to hunt and to the brute force: name, the fewest
# events expected, then the options, separated by tabs.
T='	'
cat >specs <<EOS
--remote address${T}30${T}--remote${T}203.0.113.77
--remote CIDR${T}30${T}--remote${T}203.0.113.0/24
--remote two values${T}35${T}--remote${T}203.0.113.77${T}--remote${T}198.51.100.9
--host address${T}40${T}--host${T}10.1.2.3
--host CIDR${T}100${T}--host${T}10.1.4.0/24
--domain${T}100${T}--domain${T}c2.evil-cdn.example
--domain parent${T}100${T}--domain${T}evil-cdn.example
--domain, trailing dot and case${T}100${T}--domain${T}C2.EVIL-CDN.EXAMPLE.
--url substring${T}20${T}--url${T}/item.php?id=
--url-re${T}20${T}--url-re${T}UNION%20SELECT%20(NULL|pw)
--user${T}20${T}--user${T}TANAKA
--email${T}1${T}--email${T}ceo@victim.example
--email @domain${T}1${T}--email${T}@victim.example
--port${T}15${T}--port${T}445
--source${T}1000${T}--source${T}mail
--dataset${T}2${T}--dataset${T}proxy${T}--url${T}.bin
--from --to${T}10${T}--from${T}2026-11-21T10:12:00+09:00${T}--to${T}2026-11-21T10:14:00+09:00
--where${T}100${T}--where${T}http.request.method: CONNECT
--host --port${T}15${T}--host${T}10.1.2.3${T}--port${T}445
--remote --from --to${T}20${T}--remote${T}203.0.113.77${T}--from${T}2026-11-21T10:00:00+09:00${T}--to${T}2026-11-21T11:00:00+09:00
--user --url-re${T}3${T}--user${T}tanaka${T}--url-re${T}victim2
--domain --host${T}2${T}--domain${T}evil-cdn.example${T}--host${T}10.1.4.22
--source --remote (nothing)${T}0${T}--source${T}mail${T}--remote${T}203.0.113.77
--user (nobody)${T}0${T}--user${T}nobody
EOS

cat >oracle.pl <<'EOP'
# The filters of keibictl hunt, written again from its manual, applied to
# the events keibictl parse printed for each segment: for spec line n of
# the file named first, the matching events go sorted to oracle/n.ev.
use strict; use warnings; use JSON::PP; use Getopt::Long qw(GetOptionsFromArray);
use Storable qw(nstore retrieve); use Time::Local;
sub ip { my @o = split /\./, $_[0] // ''; return undef unless @o == 4;
    ($o[0] << 24) | ($o[1] << 16) | ($o[2] << 8) | $o[3] }
sub incidr { my ($a, $c) = @_; my ($n, $l) = split m{/}, $c; $l //= 32;
    my ($x, $y) = (ip($a), ip($n)); return 0 unless defined $x && defined $y;
    my $m = $l == 0 ? 0 : (0xffffffff << (32 - $l)) & 0xffffffff;
    ($x & $m) == ($y & $m) }
sub epoch { my $s = shift // return undef;
    $s =~ /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d):(\d\d))$/
        or return undef;
    my $t = timegm($6, $5, $4, $3, $2 - 1, $1);
    $t -= ($8 eq '+' ? 1 : -1) * ($9 * 3600 + $10 * 60) if $7 ne 'Z'; $t }
sub dom { my ($v, $d) = @_; return 0 unless defined $v; $v = lc $v;
    $v =~ s/\.+$//; $d = lc $d; $d =~ s/\.+$//; $v eq $d || substr($v, -length($d) - 1) eq ".$d" }
sub any { my ($f, @v) = @_; return 1 unless @v; for (@v) { return 1 if $f->($_) } 0 }
my $ev = -e 'oracle/events' ? retrieve('oracle/events') : [];	# JSON::PP is slow
if (!@$ev) {	# [segment file, source, event, line]
	open my $l, '<', 'oracle/list' or die;
	while (<$l>) {
		my ($n, $src, $file) = split;
		open my $f, '<', "oracle/$n.jsonl" or die;
		push @$ev, [$file, $src, decode_json($_), $_] while <$f>;
	}
	nstore($ev, 'oracle/events');
}
open my $sp, '<', $ARGV[0] or die;
my $k = 0;
while (my $spec = <$sp>) {
	chomp $spec;
	my (undef, undef, @args) = split /\t/, $spec;
	my (@remote, @host, @domain, @url, @url_re, @user, @email, @port,
	    @source, @dataset, @where, $from, $to, $skip);
	GetOptionsFromArray(\@args, 'remote=s' => \@remote, 'host=s' => \@host,
	    'domain=s' => \@domain, 'url=s' => \@url, 'url-re=s' => \@url_re,
	    'user=s' => \@user, 'email=s' => \@email, 'port=s' => \@port,
	    'source=s' => \@source, 'dataset=s' => \@dataset,
	    'where=s' => \@where, 'from=s' => \$from, 'to=s' => \$to,
	    'skip=s' => \$skip) or die "oracle: bad option in $spec\n";
	my ($tf, $tt) = (epoch($from), epoch($to));
	my @out;
	for (@$ev) {
		my ($file, $src, $e, $line) = @$_;
		next if defined $skip && $file eq $skip;
		next unless any(sub { $_[0] eq $src }, @source);
		my @ips = grep { defined } @$e{qw(source.ip destination.ip source.nat.ip)};
		my $t = epoch($e->{'@timestamp'});
		next if defined $tf && (!defined $t || $t < $tf);
		next if defined $tt && (!defined $t || $t >= $tt);
		next unless any(sub { my $d = $e->{'event.dataset'} // '';
		    $d eq $_[0] || index($d, "$_[0].") == 0 }, @dataset);
		next unless any(sub { my $p = $_[0]; grep { defined $_ && $_ == $p }
		    @$e{qw(source.port destination.port)} }, @port);
		next unless any(sub { my $c = $_[0]; grep { incidr($_, $c) } @ips }, @remote);
		next unless any(sub { my $h = $_[0]; $h =~ /^[\d.\/]+$/ ?
		    (grep { incidr($_, $h) } @ips) :
		    lc($e->{'source.domain'} // "\0") eq lc $h }, @host);
		next unless any(sub { lc($e->{'user.name'} // "\0") eq lc $_[0] }, @user);
		next unless any(sub { my $w = $_[0]; grep { defined $_ &&
		    (substr($w, 0, 1) eq '@' ? do { my ($a) = /@([^@]*)$/;
		    defined $a && dom($a, substr($w, 1)) } : lc $_ eq lc $w) }
		    @$e{qw(email.from.address email.to.address)} }, @email);
		next unless any(sub { my $d = $_[0]; grep { dom($e->{$_}, $d) }
		    qw(url.domain destination.domain tls.server_name dns.question.name) }, @domain);
		next unless any(sub { index($e->{'url.original'} // '', $_[0]) >= 0 }, @url);
		next unless any(sub { ($e->{'url.original'} // "\0") =~ /$_[0]/ }, @url_re);
		my $ok = 1;
		for (@where) { my ($k, $v) = /^\s*([\w.@]+):\s*(.*?)\s*$/;
		    $ok = 0 unless defined $e->{$k} && $e->{$k} eq $v }
		push @out, $line if $ok;
	}
	$k++;
	open my $o, '>', "oracle/$k.ev" or die;
	print $o sort @out;
}
EOP
perl oracle.pl specs || exit 1

# oracle ARGS...: the brute force's events for one more question
oracle() {
	printf 'q\t0' >spec1
	for a; do printf '\t%s' "$a" >>spec1; done
	printf '\n' >>spec1
	perl oracle.pl spec1 && cat oracle/1.ev
}
# events FILE: the events of hunt --json, as keibictl parse prints them
events() {
	perl -ne 'print "$1\n" if /^\{"type":"hit".*?,"event":(\{.*\})\}$/' "$1" |
	    LC_ALL=C sort
}
# Every question: with and without the index, hunt finds what the brute
# force finds.
k=0
while IFS="$T" read -r name min args; do
	k=$((k + 1))
	set -f
	IFS="$T"
	set -- $args
	IFS=' 	
'
	set +f
	"$ctl" -c keibi.yml hunt --json "$@" >h.json 2>h.err
	"$ctl" -c keibi.yml hunt --json --no-index "$@" >n.json 2>>h.err
	events h.json >h.ev
	events n.json >n.ev
	want=$(wc -l <oracle/$k.ev | tr -d ' ')
	check "$name: with the index = brute force ($want events)" \
	    "$(cksum <oracle/$k.ev)" "$(cksum <h.ev)"
	check "$name: without the index = brute force" \
	    "$(cksum <oracle/$k.ev)" "$(cksum <n.ev)"
	[ "$want" -ge "$min" ] || { echo "FAIL: $name: only $want events"; fail=1; }
	head -1 h.json | perl -MJSON::PP -ne '$s = decode_json($_)->{segments};
	    print "   segments: $s->{read} read, $s->{skipped_by_index} ruled out by the index\n"'
done <specs

# The index must rule segments out of a selective question.
"$ctl" -c keibi.yml hunt --json --remote 198.51.100.9 >h.json
skipped=$(head -1 h.json | perl -MJSON::PP -ne 'print decode_json($_)->{segments}{skipped_by_index}')
[ "$skipped" -ge $((nseg / 2)) ] && r=yes || r="no ($skipped of $nseg)"
check "the index rules out most segments for one address" yes "$r"

# A message straddling a seal: its to= line carries the user of its
# client= line in the segment before, with and without the index.
found=0
found_n=0
while IFS="$T" read -r user line; do
	"$ctl" -c keibi.yml hunt --raw --source mail --user "$user" >s.raw
	grep -qxF "$line" s.raw && found=$((found + 1))
	"$ctl" -c keibi.yml hunt --raw --no-index --source mail --user "$user" >s.raw
	grep -qxF "$line" s.raw && found_n=$((found_n + 1))
done <straddle.txt
check "hunt --user finds the to= lines joined across a seal" "$nstr" "$found"
check "... and without the index" "$nstr" "$found_n"

# --- the two questions ---------------------------------------------------
# "Your address attacked us (203.0.113.77) at 10:15": which PC and user?
"$ctl" -c keibi.yml hunt --remote 203.0.113.77 --at '2026-11-21 10:15' \
    --window 10m >q1.txt
check "question 1 exits 0 (found)" 0 $?
cat q1.txt | sed -n '1,20p'
"$ctl" -c keibi.yml hunt --json --remote 203.0.113.77 \
    --at '2026-11-21 10:15' --window 10m >q1.json
sum() {	# sum FILE TABLE: the values of a summary table, sorted
	head -1 "$1" | perl -MJSON::PP -ne 'print join(",", sort map
	    { $_->{value} } @{decode_json($_)->{'"$2"'}}), "\n"'
}
check "question 1: the internal host" 10.1.2.3 "$(sum q1.json host)"
check "question 1: the user" tanaka "$(sum q1.json user)"
# The day before, 10.1.1.5 browsed the shop: outside the time asked for.
"$ctl" -c keibi.yml hunt --json --remote 203.0.113.77 >q1all.json
check "over all time the shop also saw 10.1.1.5" 10.1.1.5,10.1.2.3 \
    "$(sum q1all.json host)"
# "Did it attack anyone else?"
"$ctl" -c keibi.yml hunt --json --host 10.1.2.3 --port 445 --by remote \
    >q1b.json
check "question 1b: the SMB targets of 10.1.2.3" \
    198.51.100.9,203.0.113.77 "$(sum q1b.json remote)"
"$ctl" -c keibi.yml hunt --json --user tanaka --url-re UNION --by domain \
    >q1c.json
check "question 1b: the web targets of tanaka" \
    shop.victim.example,www.victim2.example "$(sum q1c.json domain)"
"$ctl" -c keibi.yml hunt --host 10.1.2.3 --port 445 --by remote >by.txt
check "--by remote prints the two targets" 2 \
    "$(grep -c '^  [0-9]' by.txt)"
# "Which hosts ever talked to c2.evil-cdn.example?"
"$ctl" -c keibi.yml hunt --json --domain c2.evil-cdn.example --by host \
    >q2.json
check "question 2: the hosts that reached the C2 domain" \
    10.1.4.21,10.1.4.22,10.1.7.7 "$(sum q2.json host)"

# --- output forms ----------------------------------------------------------
"$ctl" -c keibi.yml hunt --user tanaka --limit 5 --json >lim.json
check "--limit 5: five events" 5 "$(events lim.json | wc -l | tr -d ' ')"
check "--limit: the summary says so" true \
    "$(head -1 lim.json | perl -MJSON::PP -ne 'print decode_json($_)->{limited} ? "true" : "false"')"
"$ctl" -c keibi.yml hunt --user tanaka --csv >h.csv
check "--csv: a header and a row per event" \
    "$(($(oracle --user tanaka | wc -l) + 1))" \
    "$(wc -l <h.csv | tr -d ' ')"
"$ctl" -c keibi.yml hunt --user tanaka --raw >h.raw
check "--raw: a line per event" "$(oracle --user tanaka | wc -l | tr -d ' ')" \
    "$(wc -l <h.raw | tr -d ' ')"
check "--raw: the log lines themselves" 0 \
    "$(cat proxy.log mail.log | grep -cvxFf - h.raw)"
"$ctl" -c keibi.yml hunt --user nobody >/dev/null
check "no event: exit 1" 1 $?

# --- extract and its proof ---------------------------------------------
ref=$(grep -m1 '"type":"hit"' q1.json | perl -MJSON::PP -ne '$p =
    decode_json($_)->{proof}; print "$p->{segment}:$p->{offset}:$p->{length}"')
seg=${ref%%:*}
"$ctl" -c keibi.yml extract "$ref" >x.txt
check "extract of a hit: exit 0" 0 $?
check "extract: PROVEN" 1 "$(grep -c '^verdict: PROVEN' x.txt)"
cat x.txt
# Run the standard commands it prints and compare with what it claims.
(cd $ev && grep -E '^  (sha256sum|zcat|grep) ' ../../x.txt | while read -r line; do
	cmd=${line%%#*}
	want=$(printf '%s\n' "$line" | sed 's/.*# *//')
	got=$(sh -c "$cmd" | cut -d' ' -f1)
	[ "$got" = "$want" ] && echo same || echo "differs: $cmd"
done) >tools.out
check "extract: the sha256sum, zcat and grep commands repeat its hashes" \
    "same same same same" "$(tr '\n' ' ' <tools.out | sed 's/ $//')"
off=$(echo "$ref" | cut -d: -f2)
len=$(echo "$ref" | cut -d: -f3)
"$ctl" -c keibi.yml extract --raw "$ref" >x.raw
gzip -dc "$ev/$seg" | tail -c +$((off + 1)) | head -c "$len" >want.bin
check "extract --raw: the bytes of the segment" "$(cksum <want.bin)" \
    "$(cksum <x.raw)"
check "extract --raw: the line of the hit" 1 "$(grep -c 'DST=203.0.113.77 ' x.raw)"
"$ctl" -c keibi.yml extract "${seg}:${off}" >x2.txt
check "extract without a length: the line" "$len bytes" \
    "$(sed -n 's/^bytes [0-9]*-[0-9]* of the segment (\([0-9]* bytes\)).*/\1/p' x2.txt)"

# --- tampering -------------------------------------------------------------
cp -R $ev ev2
chmod -R u+w ev2
# A segment with tanaka's lines is changed (and recompressed, so it is
# still good gzip): hunt and extract must say so and not use it.
"$ctl" -c keibi.yml hunt --json --user tanaka --url-re UNION >t0.json
ref=$(grep -m1 '"type":"hit"' t0.json | perl -MJSON::PP -ne '$p =
    decode_json($_)->{proof}; print "$p->{segment}:$p->{offset}:$p->{length}"')
seg=${ref%%:*}
gzip -dc "ev2/$seg" | sed 's/tanaka/suzuki/' | gzip -1 >seg.new
cat seg.new >"ev2/$seg"
"$ctl" -c keibi.yml hunt --dir ev2 --json --user tanaka >t.json 2>t.err
check "hunt over a tampered segment: exit 3" 3 $?
check "hunt names the tampered segment" 1 \
    "$(grep -c "$seg" t.err)"
oracle --user tanaka --skip "$seg" >o.ev
events t.json >t.ev
check "hunt uses none of its events, and all the others" \
    "$(cksum <o.ev)" "$(cksum <t.ev)"
"$ctl" -c keibi.yml hunt --dir ev2 --json --user nobody >t2.json 2>t2.err
check "hunt reports it even when its index rules it out" 3 $?
"$ctl" -c keibi.yml extract --dir ev2 "$ref" >t.txt
check "extract of the tampered segment: exit 1" 1 $?
check "extract: FAILED" 1 "$(grep -c '^verdict: FAILED' t.txt)"
"$ctl" -c keibi.yml extract --dir ev2 --raw "$ref" >t.raw 2>/dev/null
check "extract --raw gives no unproven bytes" 0 "$(wc -c <t.raw | tr -d ' ')"
rm -rf ev2

# A manifest entry after the segment is changed: the chain breaks.
cp -R $ev ev3
chmod -R u+w ev3
last=$(wc -l <ev3/MANIFEST.jsonl)
sed "${last}s/\"lines\":\([0-9]*\)/\"lines\":1\1/" ev3/MANIFEST.jsonl >m.new
cat m.new >ev3/MANIFEST.jsonl
"$ctl" -c keibi.yml extract --dir ev3 "$ref" >t3.txt
check "extract after a changed later entry: exit 1" 1 $?
check "extract: the chain check fails" 1 \
    "$(grep -c '^  \[FAIL\] every entry from' t3.txt)"
"$ctl" -c keibi.yml hunt --dir ev3 --user tanaka >/dev/null 2>t3.err
check "hunt with a changed entry: exit 3" 3 $?

# An index is changed: hunt reads the segment instead, misses nothing.
cp -R $ev ev4
chmod -R u+w ev4
idx=$(grep -m1 '"source":"proxy"' ev4/MANIFEST.jsonl |
    perl -MJSON::PP -ne 'print decode_json($_)->{idx}')
printf 'x' | dd of="ev4/$idx" bs=1 seek=200 conv=notrunc 2>/dev/null
"$ctl" -c keibi.yml hunt --dir ev4 --json --domain evil-cdn.example >t4.json
oracle --domain evil-cdn.example >o.ev
events t4.json >t4.ev
check "an altered index only makes hunt read the segment" \
    "$(cksum <o.ev)" "$(cksum <t4.ev)"
"$ctl" verify ev4 >/dev/null
check "verify reports the altered index" 1 $?
rm -rf ev3 ev4

# --- retro-detection --------------------------------------------------------
store_sum=$(cat state/incidents.db* | cksum)
"$ctl" -c keibi.yml replay --json >replay.json
check "replay exits 0" 0 $?
check "replay: the alerts the live run raised" "$(wc -l <alerts.jsonl | tr -d ' ')" \
    "$(grep -c '"type":"alert","retrospective":true' replay.json)"
perl -MJSON::PP -ne '$d = decode_json($_); $l{$d->{id}} = "$d->{dedup_key} $d->{alert_count}";
    END { print "$_\n" for sort values %l }' incidents.jsonl >live.inc
perl -MJSON::PP -ne '$d = decode_json($_); print "$d->{dedup_key} $d->{alert_count}\n"
    if $d->{type} eq "incident" && $d->{retrospective}' replay.json | sort >replay.inc
echo "live incidents: $(wc -l <live.inc | tr -d ' ')"
check "replay opens the incidents the live run opened" \
    "$(cksum <live.inc)" "$(cksum <replay.inc)"
[ -s live.inc ] || { echo "FAIL: the live run opened no incident"; fail=1; }
"$ctl" -c keibi.yml replay --from 2026-11-21T10:00 --to 2026-11-21T11:00 \
    --no-incidents >r2.txt
check "replay of a time range: tanaka's web attacks" 1 \
    "$(grep -c '^RETRO ALERT KB-OUT-0002 .* 10.1.2.3 -> 203.0.113.77' r2.txt | \
    awk '{print ($1 > 0)}')"
check "the live incident store is untouched by replay" "$store_sum" \
    "$(cat state/incidents.db* | cksum)"

exit $fail
