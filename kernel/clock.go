package kernel

import (
	"time"
	"unsafe"

	"github.com/orbital/orbital/bus"
	"golang.org/x/sys/unix"
)

// monoNow is the monotonic clock guests see (time_monotonic): the bus's clock, so the "time
// sent" of a message compares with it. The kernel measures deadlines with it too.
func monoNow() int64 { return bus.Now() }

// threadCPU is the CPU time consumed by the calling OS thread. A process's goroutine is
// locked to its thread, so on that goroutine this is the process's CPU time.
// It is read at a process's first sample and end (cpu.go), at every epoch tick and before a
// host call blocks, so it is a raw system call: it never blocks, and the scheduler's
// bookkeeping around an ordinary one cost as much as the call.
func threadCPU() time.Duration {
	var ts unix.Timespec
	_, _, errno := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_THREAD_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
