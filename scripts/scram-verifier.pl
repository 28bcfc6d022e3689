#!/usr/bin/perl
# Prints the SCRAM-SHA-256 verifier PostgreSQL stores for the password in
# the file named by the argument, so the plain password never reaches the
# server, its logs or a command line.
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256 sha256);
use MIME::Base64 qw(encode_base64);

my $file = shift @ARGV or die "usage: scram-verifier.pl PASSWORD-FILE\n";
open(my $fh, '<', $file) or die "cannot read $file: $!\n";
my $pw = <$fh>;
close($fh);
die "$file is empty\n" unless defined $pw;
chomp $pw;
die "$file is empty\n" if $pw eq '';
die "$file must hold printable ASCII\n" if $pw =~ /[^\x21-\x7e]/;

open(my $rnd, '<:raw', '/dev/urandom') or die "cannot open /dev/urandom: $!\n";
my $salt = '';
read($rnd, $salt, 16) == 16 or die "short read from /dev/urandom\n";
close($rnd);

# PBKDF2-HMAC-SHA-256 with one output block (RFC 7677).
my $iter = 4096;
my $u = hmac_sha256($salt . pack('N', 1), $pw);
my $salted = $u;
for (2 .. $iter) {
	$u = hmac_sha256($u, $pw);
	$salted ^= $u;
}
my $stored = sha256(hmac_sha256('Client Key', $salted));
my $server = hmac_sha256('Server Key', $salted);
printf "SCRAM-SHA-256\$%d:%s\$%s:%s\n", $iter, encode_base64($salt, ''),
	encode_base64($stored, ''), encode_base64($server, '');
