#!/usr/bin/env perl
# A stand-in for the kernel's scripts/checkpatch.pl in test trees: same output format
# ("LEVEL:TYPE: message", "#N: FILE: path:line:", the quoted line), a few simple rules,
# and spelling.txt read from beside the script as the real one does.
use strict;
use warnings;
use File::Basename;
use Cwd 'abs_path';

my $D = dirname(abs_path($0));
my %typos;
if (open(my $sp, '<', "$D/spelling.txt")) {
	while (<$sp>) {
		chomp;
		my ($bad, $good) = split /\|\|/;
		$typos{$bad} = $good if defined $good;
	}
	close $sp;
}

my $file = $ARGV[-1];
open(my $fh, '<', $file) or die "cannot open $file";
my ($linenr, $realfile, $realline, $in_diff, $signed) = (0, '', 0, 0, 0);
while (my $line = <$fh>) {
	chomp $line;
	$linenr++;
	if ($line =~ /^diff --git/) { $in_diff = 1; next; }
	if (!$in_diff) {
		$signed = 1 if $line =~ /^Signed-off-by:/;
		print "WARNING:COMMIT_HACK: HACK left in the commit message\n#$linenr: \n$line\n\n"
			if $line =~ /HACK/;
		next;
	}
	if ($line =~ m{^\+\+\+ b/(\S+)}) { $realfile = $1; next; }
	if ($line =~ /^@@ -\d+(?:,\d+)? \+(\d+)/) { $realline = $1 - 1; next; }
	next if $line =~ /^---/;
	$realline++ if $line =~ /^[ +]/;
	if ($line =~ /^\+(.*)$/) {
		my $text = $1;
		if (length($text) > 40) {
			print "WARNING:LONG_LINE: line length of " . length($text) . " exceeds 40 columns\n";
			print "#$linenr: FILE: $realfile:$realline:\n$line\n\n";
		}
		for my $bad (sort keys %typos) {
			if ($text =~ /\b$bad\b/) {
				print "CHECK:TYPO_SPELLING: '$bad' may be misspelled - perhaps '$typos{$bad}'?\n";
				print "#$linenr: FILE: $realfile:$realline:\n$line\n\n";
			}
		}
	}
}
print "ERROR:MISSING_SIGN_OFF: Missing Signed-off-by: line(s)\n\n" if !$signed;
exit 0;
