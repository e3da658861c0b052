// crisp-seccomp loads a seccomp filter (a classic BPF program, as io.crisp.plugin.kit.seccomp
// compiles it: struct sock_filter entries, 8 bytes each, little endian) into the calling thread
// and every other thread of the process, then executes a command, which keeps the filter.
//
//	crisp-seccomp [--no-new-privs] [--flags N] FILTER_FILE -- CMD ARGS...
//
// --no-new-privs sets PR_SET_NO_NEW_PRIVS first; without it the kernel only lets a process with
// CAP_SYS_ADMIN load a filter. --flags are SECCOMP_FILTER_FLAG_* bits (TSYNC is always added).
// FILTER_FILE /dev/fd/N or /proc/self/fd/N is read from descriptor N, which is then closed, so a
// launch can open the filter before it enters a root where the file is not visible (and where /proc
// need not be mounted). CMD without a slash is looked up in PATH. Exit 127 when the filter cannot be read or loaded or
// CMD is not found, 126 when CMD cannot be executed.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const (
	prSetNoNewPrivs      = 38
	prSetSeccomp         = 22
	seccompModeFilter    = 2
	seccompSetModeFilter = 1
	filterFlagTsync      = 1
	sysSeccomp           = 317 // x86_64
)

type sockFprog struct {
	len    uint16
	_      [6]byte
	filter unsafe.Pointer
}

func init() {
	// no_new_privs and a filter without TSYNC are per thread: stay on the one that execs.
	runtime.LockOSThread()
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "crisp-seccomp: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	args := os.Args[1:]
	noNewPrivs := false
	var flags uint64
	for len(args) > 0 && strings.HasPrefix(args[0], "--") && args[0] != "--" {
		switch args[0] {
		case "--no-new-privs":
			noNewPrivs = true
		case "--flags":
			if len(args) < 2 {
				fail(127, "--flags needs a value")
			}
			v, err := strconv.ParseUint(args[1], 0, 32)
			if err != nil {
				fail(127, "--flags %q: %v", args[1], err)
			}
			flags = v
			args = args[1:]
		default:
			fail(127, "unknown option %s", args[0])
		}
		args = args[1:]
	}
	if len(args) < 3 || args[1] != "--" {
		fail(127, "usage: crisp-seccomp [--no-new-privs] [--flags N] FILTER_FILE -- CMD ARGS...")
	}
	program, err := readFilter(args[0])
	if err != nil {
		fail(127, "cannot read the filter: %v", err)
	}
	if len(program) == 0 || len(program)%8 != 0 || len(program)/8 > 4096 {
		fail(127, "%s is not a BPF program (%d bytes)", args[0], len(program))
	}
	cmd := args[2:]
	path := cmd[0]
	if !strings.Contains(path, "/") {
		path = lookPath(path)
		if path == "" {
			fail(127, "executable file `%s` not found in $PATH", cmd[0])
		}
	}
	if noNewPrivs {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0); e != 0 {
			fail(127, "prctl(PR_SET_NO_NEW_PRIVS): %v", e)
		}
	}
	prog := sockFprog{len: uint16(len(program) / 8), filter: unsafe.Pointer(&program[0])}
	_, _, e := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, uintptr(flags|filterFlagTsync),
		uintptr(unsafe.Pointer(&prog)))
	if e == syscall.ENOSYS {
		_, _, e = syscall.RawSyscall(syscall.SYS_PRCTL, prSetSeccomp, seccompModeFilter, uintptr(unsafe.Pointer(&prog)))
	}
	runtime.KeepAlive(program)
	if e != 0 {
		fail(127, "cannot load the seccomp filter: %v", e)
	}
	err = syscall.Exec(path, cmd, os.Environ())
	if err == syscall.ENOENT {
		fail(127, "cannot execute %s: %v", path, err)
	}
	fail(126, "cannot execute %s: %v", path, err)
}

func readFilter(name string) ([]byte, error) {
	for _, prefix := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if strings.HasPrefix(name, prefix) {
			fd, err := strconv.Atoi(name[len(prefix):])
			if err != nil || fd < 0 {
				return nil, fmt.Errorf("%s: not a descriptor", name)
			}
			f := os.NewFile(uintptr(fd), name)
			defer f.Close()
			return io.ReadAll(f)
		}
	}
	return os.ReadFile(name)
}

func lookPath(name string) string {
	dirs := os.Getenv("PATH")
	if dirs == "" {
		dirs = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, d := range strings.Split(dirs, ":") {
		if d == "" {
			continue
		}
		p := d + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0111 != 0 {
			return p
		}
	}
	return ""
}
