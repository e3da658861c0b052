#!/usr/bin/perl
# Part of crisp-lxc-oci, the lxc plugin's adapter (installed beside it).
# ARGS: SOCKET SENDMSG_SYSCALL. Opens a pty, sends its master to conmon's console socket
# (SCM_RIGHTS, as runc does) and prints the slave's path. Raw syscalls: Socket has no sendmsg.
use strict;
use warnings;
use Socket;
my ($path, $sendmsg) = @ARGV;
sysopen(my $master, "/dev/ptmx", 2 | 0400) or die "/dev/ptmx: $!\n";            # O_RDWR|O_NOCTTY
my $unlock = pack("i", 0);
ioctl($master, 0x40045431, $unlock) or die "unlockpt: $!\n";                   # TIOCSPTLCK
my $n = pack("i", 0);
ioctl($master, 0x80045430, $n) or die "ptsname: $!\n";                         # TIOCGPTN
my $slave = "/dev/pts/" . unpack("i", $n);
socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
connect($s, pack_sockaddr_un($path)) or die "$path: $!\n";
my $name = $slave;
my $iov = pack("pQ", $name, length($name));
my $cmsg = pack("Qiiix4", 20, SOL_SOCKET, 1, fileno($master));                 # SCM_RIGHTS, one fd
my $msg = pack("QLx4pQpQix4", 0, 0, $iov, 1, $cmsg, 24, 0);
syscall($sendmsg + 0, fileno($s), $msg, 0) >= 0 or die "sendmsg: $!\n";
print $slave;
