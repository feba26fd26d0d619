package bus

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// spinner decides how long a waiter spins before it parks. Waking a parked OS thread costs tens
// of µs on a VM (a futex wake and a reschedule), while a busy peer usually answers within a few,
// so spinning first turns a request/reply round trip from two thread wake-ups into two cache
// misses. Spinning costs CPU when nothing comes, so the budget adapts:
//
//   - a spin that sees the value change keeps the full budget (Config.Spin);
//   - one that runs out halves it, down to zero (then the waiter parks at once, except every
//     probeEvery-th wait, which spins the full budget again);
//   - after a parked wait, the signaller's timestamp says when the value changed. If that was
//     within the full budget of the start of the wait, spinning would have paid, and the budget
//     is restored.
//
// The last rule is what keeps two modules in a ping-pong from collapsing into parking: once
// one side parks, the other's answer is late by a wake-up, so its spin fails too, and halving
// alone would ratchet both down to zero and keep them there. The default budget (200 µs) is a
// few times the wake-up cost, so a peer that parked still answers within it.
//
// Spinning does not yield at first: the callers are often goroutines locked to their module's
// OS thread, and runtime.Gosched on a locked thread hands the processor to another thread and
// back (two futex calls), which costs as much as parking. After the first microsecond it calls
// sched_yield between checks, so on a loaded machine the thread we are waiting for can run on
// this core.
type spinner struct {
	budget atomic.Int64 // ns; starts at the configured maximum (see spin)
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

// parked reports a wait that parked: it began at start and was signalled at signalled (both in
// Now's clock; signalled is 0 when the wait ended another way). If the signal came within max
// of the start, a full spin would have caught it, so the full budget is restored.
func (s *spinner) parked(start, signalled int64, max time.Duration) {
	if max > 0 && signalled != 0 && time.Duration(signalled-start) <= max {
		s.budget.Store(int64(max))
	}
}

// spinFor watches v for up to d: busy for the first microsecond, then giving the CPU to other
// runnable OS threads (sched_yield) between checks.
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
