package bus

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// spinner decides how long a waiter spins before it parks, adaptively: a spin that sees the
// value change keeps the full budget (Config.Spin); one that runs out halves it, down to zero.
// With a zero budget the waiter parks at once, but every probeEvery-th wait spins the full
// budget again to find out whether spinning pays again. So on an idle machine, where the
// other side answers within microseconds, a round trip costs a few µs instead of two thread
// wake-ups (tens of µs each); on an overloaded one, where the other side's thread is not even
// running, waiters stop burning the CPU it needs.
//
// Spinning does not yield: the callers are often goroutines locked to their module's OS thread,
// and runtime.Gosched on a locked thread hands the processor to another thread and back (two
// futex calls), which costs as much as parking.
type spinner struct {
	budget atomic.Int64 // ns; starts at the configured maximum (see init)
	waits  atomic.Uint32
	primed atomic.Bool
}

const probeEvery = 16

// spin watches v for up to the current budget (at most max) and reports whether it became
// non-zero.
func (s *spinner) spin(v *atomic.Int64, max time.Duration) bool {
	if max <= 0 {
		return false
	}
	if !s.primed.Load() {
		s.budget.Store(int64(max))
		s.primed.Store(true)
	}
	b := time.Duration(s.budget.Load())
	if b <= 0 {
		if s.waits.Add(1)%probeEvery != 0 {
			return false
		}
		b = max
	}
	if spinFor(v, b) {
		s.budget.Store(int64(max))
		return true
	}
	if b /= 2; b < time.Microsecond {
		b = 0
	}
	s.budget.Store(int64(b))
	return false
}

// spinFor watches v for up to d: busy for the first microsecond, then giving the CPU to other
// runnable OS threads (sched_yield) between checks, so on a loaded machine the thread we are
// waiting for can run on this core instead of waiting behind our spin.
func spinFor(v *atomic.Int64, d time.Duration) bool {
	start := time.Now()
	for i := 1; ; i++ {
		if v.Load() != 0 {
			return true
		}
		if i%64 == 0 {
			el := time.Since(start)
			if el > d {
				return false
			}
			if el > time.Microsecond {
				unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			}
		}
	}
}
