#!/usr/bin/env perl
# A stand-in for the kernel's scripts/checkpatch.pl in test trees (installed there as
# scripts/checkpatch.pl): same output format ("LEVEL:TYPE: message", "#N: FILE: path:line:",
# the quoted line), a few simple rules, spelling.txt read from beside the script and commit ids
# looked up with git as the real one does. It says how it was run: CHECK:STRICT with --strict,
# CHECK:WITH_TREE when run from a kernel tree's root without --no-tree, CHECK:FILE_IN_ROOT for
# each file of the patch it finds there (get_maintainer.pl looks them up).
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

my $strict = grep { $_ eq '--strict' } @ARGV;
my $no_tree = grep { $_ eq '--no-tree' } @ARGV;
print "CHECK:STRICT: run with --strict\n\n" if $strict;
print "CHECK:WITH_TREE: run from the tree's root\n\n" if !$no_tree && -e "MAINTAINERS" && -d "scripts";
my $file = $ARGV[-1];
open(my $fh, '<', $file) or die "cannot open $file";
my ($linenr, $realfile, $realline, $in_diff, $signed) = (0, '', 0, 0, 0);
while (my $line = <$fh>) {
	chomp $line;
	$linenr++;
	if ($line =~ /^diff --git/) { $in_diff = 1; next; }
	if (!$in_diff) {
		$signed = 1 if $line =~ /^Signed-off-by:/;
		if ($line =~ /^Fixes:\s+([0-9a-f]{6,40})\b/i) {
			my $id = $1;
			my $out = `git log --no-color --format='%H' -1 $id 2>&1`;
			print "WARNING:UNKNOWN_COMMIT_ID: Unknown commit id '$id', maybe rebased or not pulled?\n#$linenr: \n$line\n\n"
				if $? != 0;
		}
		print "WARNING:COMMIT_HACK: HACK left in the commit message\n#$linenr: \n$line\n\n"
			if $line =~ /HACK/;
		next;
	}
	if ($line =~ m{^\+\+\+ b/(\S+)}) {
		$realfile = $1;
		print "CHECK:FILE_IN_ROOT: $realfile\n\n" if !$no_tree && -f $realfile;
		next;
	}
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
