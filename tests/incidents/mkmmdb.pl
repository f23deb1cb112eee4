#!/usr/bin/perl
# mkmmdb.pl DIR: write DIR/country.mmdb and DIR/asn.mmdb, small MaxMind DBs
# in the GeoLite2-Country and GeoLite2-ASN layouts for the documentation
# ranges, with Debian's libmaxmind-db-writer-perl.  Reserved networks
# must be kept (remove_reserved_networks => 0), or the documentation
# ranges the tests use would be dropped.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: mkmmdb.pl DIR\n";

my %nets = (
	'203.0.113.0/24'  => [ 'JP', 'Japan', 64500, 'Example Net JP' ],
	'198.51.100.0/24' => [ 'US', 'United States', 64501, 'Example Net US' ],
	'2001:db8::/32'   => [ 'DE', 'Germany', 64502, 'Example Net DE' ],
);

sub tree {
	my ($type, $types) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version            => 6,
		record_size           => 24,
		database_type         => $type,
		languages             => ['en'],
		description           => { en => "keibi test $type" },
		map_key_type_callback => sub { $types->{ $_[0] } },
		remove_reserved_networks => 0,
		alias_ipv6_to_ipv4    => 1,
	);
}

my $country = tree('GeoLite2-Country', {
	country  => 'map',
	iso_code => 'utf8_string',
	names    => 'map',
	en       => 'utf8_string',
});
my $asn = tree('GeoLite2-ASN', {
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
});
for my $net (sort keys %nets) {
	my ($iso, $name, $num, $org) = @{ $nets{$net} };
	$country->insert_network($net,
	    { country => { iso_code => $iso, names => { en => $name } } });
	$asn->insert_network($net, {
		autonomous_system_number       => $num,
		autonomous_system_organization => $org,
	});
}
for my $pair ([ $country, 'country.mmdb' ], [ $asn, 'asn.mmdb' ]) {
	open my $fh, '>:raw', "$dir/$pair->[1]" or die "$dir/$pair->[1]: $!\n";
	$pair->[0]->write_tree($fh);
	close $fh or die "$dir/$pair->[1]: $!\n";
}
