#!/usr/bin/perl
# Part of crisp-lxc-oci, the lxc plugin's adapter (installed beside it).
# ARGS: SETNS_SYSCALL PID SOURCE DEST. Moves a clone of host mount SOURCE (open_tree keeps its
# peer group) over DEST in PID's mount namespace and root.
use strict;
use warnings;
my ($setns, $pid, $src, $dest) = @ARGV;
my $fd = syscall(428, -100, $src, 1 | 0x8000 | 02000000);       # open_tree(CLONE|RECURSIVE|CLOEXEC)
die "open_tree $src: $!\n" if $fd < 0;
open(my $ns, "<", "/proc/$pid/ns/mnt") or die "$pid mount namespace: $!\n";
opendir(my $root, "/proc/$pid/root") or die "$pid root: $!\n";
syscall($setns + 0, fileno($ns), 0x20000) == 0 or die "setns: $!\n";   # setns(CLONE_NEWNS)
chdir($root) or die "chdir root: $!\n";
chroot(".") or die "chroot: $!\n";
my $empty = "";
syscall(429, $fd, $empty, -100, $dest, 4) == 0 or die "move_mount $dest: $!\n";  # F_EMPTY_PATH
