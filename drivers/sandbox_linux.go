package drivers

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The kernel never execs a driver directly: it re-executes its own binary (/proc/self/exe) with
// envTrampoline set, and this package's init, running in that fresh process before main, applies
// what os/exec cannot (PR_SET_NO_NEW_PRIVS, rlimits, closing stray descriptors) to itself and
// then execs the verified driver image from its memfd. Any binary that imports this package
// (orbital, and the test binaries of drivers and the camera driver) can therefore start drivers.
const (
	envTrampoline = "ORBITAL_DRIVER_TRAMPOLINE"
	envRlimits    = "ORBITAL_DRIVER_RLIMITS"
	imageFD       = 4 // the sealed memfd holding the driver's executable
	socketFD      = 3
)

func init() {
	if os.Getenv(envTrampoline) == "1" {
		trampoline()
	}
}

// trampoline runs in the child between fork and the driver's exec; it never returns.
func trampoline() {
	runtime.LockOSThread() // no_new_privs is per thread: set it on the thread that execs
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "orbital driver sandbox: "+format+"\n", args...)
		os.Exit(127)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("PR_SET_NO_NEW_PRIVS: %v", err)
	}
	for _, kv := range strings.Split(os.Getenv(envRlimits), ",") {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		res, known := rlimitNames[name]
		n, err := strconv.ParseUint(val, 10, 64)
		if !known || err != nil {
			fail("bad rlimit %q", kv)
		}
		// syscall.Setrlimit (not unix's) so the runtime does not restore its own NOFILE on exec.
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fail("setrlimit %s=%d: %v", name, n, err)
		}
	}
	// Only 0-2, the socket and the image survive; the runtime's own descriptors are CLOEXEC.
	if err := unix.CloseRange(imageFD+1, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		fail("close_range: %v", err)
	}
	if _, err := unix.FcntlInt(imageFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		fail("driver image descriptor: %v", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envTrampoline+"=") && !strings.HasPrefix(kv, envRlimits+"=") {
			env = append(env, kv)
		}
	}
	// The image is CLOEXEC: the kernel opens it for exec first, then closes it, so the driver
	// does not inherit its own image.
	err := syscall.Exec("/proc/self/fd/"+strconv.Itoa(imageFD), os.Args, env)
	fail("exec driver image: %v", err)
}

var rlimitNames = map[string]int{
	"as": unix.RLIMIT_AS, "nofile": unix.RLIMIT_NOFILE, "fsize": unix.RLIMIT_FSIZE,
	"cpu": unix.RLIMIT_CPU, "core": unix.RLIMIT_CORE,
}

func rlimitEnv(l Limits) string {
	s := fmt.Sprintf("as=%d,nofile=%d,fsize=%d,core=0", l.AddressSpace, l.OpenFiles, l.FileSize)
	if l.CPUSeconds > 0 {
		s += fmt.Sprintf(",cpu=%d", l.CPUSeconds)
	}
	return s
}

// sysProcAttr is the isolation os/exec applies at fork: a process group of its own (so a stop
// signals the driver and anything it spawned), SIGKILL when the spawning thread (the manager's
// spawner, alive as long as the manager) dies, and, unless the driver needs the network, new
// user and network namespaces (no interfaces but a down loopback).
func sysProcAttr(netns bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if netns {
		a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getuid(), HostID: os.Getuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getgid(), HostID: os.Getgid(), Size: 1}}
	}
	return a
}

// killGroup signals the driver's process group (its pid, as Setpgid made it a leader).
func killGroup(pid int, sig syscall.Signal) error {
	return syscall.Kill(-pid, sig)
}
