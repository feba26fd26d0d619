package kernel

import (
	"encoding/binary"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// wasiPollOneoff replaces WASI's poll_oneoff so that a guest asleep in it (a Go guest's
// time.Sleep, a C guest's nanosleep) can be killed at once. wasmtime's own poll_oneoff sleeps
// in native code that nothing can interrupt: a module that slept for an hour could not be
// stopped for an hour. This one waits on the process's context instead.
//
// Clock subscriptions wait for their timeout (relative, or absolute against the realtime
// clock; an absolute monotonic deadline is read against wasmtime's monotonic clock, which
// counts from the same boot as CLOCK_MONOTONIC). Read and write subscriptions on descriptors
// are reported ready at once, as wasmtime reports them for files: a guest then reads or writes
// and gets its answer there.
//
// Layouts (WASI preview 1): a subscription is 48 bytes (userdata u64, tag u8 at 8, then for a
// clock: id u32 at 16, timeout u64 at 24, precision u64 at 32, flags u16 at 40; for an fd:
// fd u32 at 16); an event is 32 bytes (userdata u64, errno u16 at 8, type u8 at 10, nbytes u64
// at 16, flags u16 at 24).
func wasiPollOneoff(c *call, args []wasmtime.Val) []wasmtime.Val {
	in, out, n, neventsPtr := args[0].I32(), args[1].I32(), args[2].I32(), args[3].I32()
	const (
		subSize      = 48
		eventSize    = 32
		errnoFault   = 21 // EFAULT
		errnoInval   = 28 // EINVAL
		tagClock     = 0
		clockRealtim = 0
		flagAbstime  = 1
	)
	if n <= 0 || n > 1<<16 {
		return one(errnoInval)
	}
	subs, ok := c.bytes(in, n*subSize)
	if !ok {
		return one(errnoFault)
	}
	subs = append([]byte(nil), subs...) // guest memory may move while we wait
	if _, ok := c.bytes(out, n*eventSize); !ok {
		return one(errnoFault)
	}
	if _, ok := c.bytes(neventsPtr, 4); !ok {
		return one(errnoFault)
	}

	// Descriptors are ready now; otherwise the earliest clock fires.
	var ready []int
	soonest, clock := time.Duration(-1), -1
	for i := 0; i < int(n); i++ {
		s := subs[i*subSize : (i+1)*subSize]
		if s[8] != tagClock {
			ready = append(ready, i)
			continue
		}
		timeout := time.Duration(binary.LittleEndian.Uint64(s[24:]))
		if binary.LittleEndian.Uint16(s[40:])&flagAbstime != 0 {
			now := uint64(time.Now().UnixNano())
			if binary.LittleEndian.Uint32(s[16:]) != clockRealtim {
				now = uint64(monotonicNow())
			}
			timeout = time.Duration(int64(uint64(timeout) - now))
			if timeout < 0 {
				timeout = 0
			}
		}
		if soonest < 0 || timeout < soonest {
			soonest, clock = timeout, i
		}
	}
	if len(ready) == 0 && clock >= 0 && soonest > 0 {
		c.block(func() {
			t := time.NewTimer(soonest)
			defer t.Stop()
			select {
			case <-t.C:
			case <-c.Context().Done():
			}
		})
		if c.Context().Err() != nil {
			return one(errnoIntr)
		}
	}
	if len(ready) == 0 && clock >= 0 {
		ready = []int{clock}
	}
	evs, _ := c.bytes(out, n*eventSize)
	for k, i := range ready {
		s := subs[i*subSize : (i+1)*subSize]
		e := evs[k*eventSize : (k+1)*eventSize]
		clear(e)
		copy(e[0:8], s[0:8]) // userdata
		e[10] = s[8]         // event type = subscription tag
	}
	nev, _ := c.bytes(neventsPtr, 4)
	binary.LittleEndian.PutUint32(nev, uint32(len(ready)))
	return one(0)
}

// errnoIntr is WASI's EINTR, returned when the process is killed while it sleeps (the
// host-call wrapper then ends the process before the guest runs again).
const errnoIntr = 27

// monotonicNow reads CLOCK_MONOTONIC, the clock WASI's monotonic clock is based on.
func monotonicNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

func init() {
	registerWasiOverrides(hostFunc{name: "poll_oneoff", params: kinds(i32, i32, i32, i32), results: kinds(i32), fn: wasiPollOneoff})
}
