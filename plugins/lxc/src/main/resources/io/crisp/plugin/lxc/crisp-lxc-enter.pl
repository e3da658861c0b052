#!/usr/bin/perl
# Part of crisp-lxc-oci, the lxc plugin's adapter (installed beside it).
# ARGS: N CGROUP_PROCS_FILES... M ENV... COMMAND...; settings in CRISP_* variables (see
# exec_with_groups in crisp-lxc-exec.sh). Enters a running container without lxc-attach.
use strict;
use warnings;
use POSIX ();
my %c = map { $_ => $ENV{"CRISP_$_"} } qw(INIT CWD UID GID GROUPS CAPS NNP PIDFILE SETNS);
my $np = shift @ARGV;
my @procs = splice(@ARGV, 0, $np);
my $ne = shift @ARGV;
my @env = splice(@ARGV, 0, $ne);
my @cmd = @ARGV;
for my $f (@procs) {
    open(my $fh, ">", $f) or die "$f: $!\n";
    print $fh "$$\n";
    close($fh) or die "joining $f: $!\n";
}
my @ns;
for my $t (qw(ipc uts net pid cgroup mnt)) {
    open(my $fh, "<", "/proc/$c{INIT}/ns/$t") or next;
    push @ns, [$t, $fh];
}
opendir(my $root, "/proc/$c{INIT}/root") or die "root of $c{INIT}: $!\n";
# Opened here, on the host: written once the command runs, from inside the container.
my $pidfh;
if ($c{PIDFILE} ne "") {
    open($pidfh, ">", $c{PIDFILE}) or die "$c{PIDFILE}: $!\n";
}
for my $n (@ns) {
    syscall($c{SETNS} + 0, fileno($n->[1]), 0) == 0 or die "setns $n->[0]: $!\n";
}
chdir($root) or die "chdir: $!\n";
chroot(".") or die "chroot: $!\n";
chdir($c{CWD}) or chdir("/");
my $pid = fork();
die "fork: $!\n" unless defined $pid;
if ($pid) {
    if ($pidfh) {
        print $pidfh $pid;
        close($pidfh);
    }
    waitpid($pid, 0);
    exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
}
if ($c{CAPS} ne "all") {
    my %keep = map { $_ => 1 } split(" ", $c{CAPS});
    open(my $l, "<", "/proc/sys/kernel/cap_last_cap") or die "cap_last_cap: $!\n";
    my $last = <$l>;
    for my $cap (0 .. $last) {
        next if $keep{$cap};
        syscall(157, 24, $cap, 0, 0, 0) == 0 or die "dropping capability $cap: $!\n";   # PR_CAPBSET_DROP
    }
}
$) = join(" ", $c{GID}, split(" ", $c{GROUPS}));
my %have = map { $_ => 1 } split(" ", "$)");
$have{$_} or die "setgroups $c{GROUPS}: $!\n" for split(" ", $c{GROUPS});
POSIX::setgid($c{GID}) or die "setgid: $!\n";
POSIX::setuid($c{UID}) or die "setuid: $!\n";
if ($c{NNP}) {
    syscall(157, 38, 1, 0, 0, 0) == 0 or die "no_new_privs: $!\n";   # PR_SET_NO_NEW_PRIVS
}
%ENV = map { split(/=/, $_, 2) } @env;
{ no warnings "exec"; exec { $cmd[0] } @cmd; }
print STDERR "exec $cmd[0]: $!\n";
exit(127);
