package kernel

import (
	"time"

	"github.com/orbital/orbital/bus"
	"golang.org/x/sys/unix"
)

// monoNow is the monotonic clock guests see (time_monotonic): the bus's clock, so the "time
// sent" of a message compares with it. The kernel measures deadlines with it too.
func monoNow() int64 { return bus.Now() }

// threadCPU is the CPU time consumed by the calling OS thread. A process's goroutine is
// locked to its thread, so on that goroutine this is the process's CPU time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
