package kernel

import (
	"time"
)

// CPU share: Limits.CPU (policy limits.cpu, e.g. "25%") caps how much of one core a guest's
// code may use, the way CFS bandwidth control caps a cgroup. The accounting runs in the epoch
// callback, so on the guest's own thread and only while guest code runs: every tick (10 ms)
// it compares the thread's CPU time since the window began with the wall time elapsed, and
// when the guest is ahead of its share it holds the thread until wall time catches up
// (used / share after the window's start). The wait ends at once on a kill, and it does not
// count toward the handler deadline (the deadline is about a guest that never returns, not one
// the kernel held back). Windows restart every cpuPeriod so a guest that idled does not bank
// credit for a later burst.
//
// What it does not cap: time a guest spends inside host calls (copying a region, a fetch),
// which the epoch callback never sees; that work is the host's and bounded per call.
// Kernel-level cgroups would cap those too, but an unprivileged desktop process cannot create
// them, and they would cap the whole Orbital process, not one module's thread.

// cpuPeriod is the accounting window of the CPU share.
const cpuPeriod = 100 * time.Millisecond

// cpuWindow is one process's accounting window. Only the process thread touches it.
type cpuWindow struct {
	start int64         // monoNow() at the window's start; 0: none yet
	cpu0  time.Duration // thread CPU time then
}

// throttle holds the guest back when it ran ahead of its CPU share, and reports whether it
// was killed meanwhile.
func (p *Process) throttle() (killed bool) {
	now, cpu := monoNow(), threadCPU()
	w := &p.cpuWin
	if w.start == 0 || time.Duration(now-w.start) >= cpuPeriod {
		w.start, w.cpu0 = now, cpu
		return false
	}
	used := cpu - w.cpu0
	due := w.start + int64(used)*100/int64(p.opts.Limits.CPU) // when its share allows that much
	if due <= now {
		return false
	}
	wait := time.Duration(due - now)
	t := time.NewTimer(wait)
	select {
	case <-t.C:
	case <-p.ctx.Done():
		t.Stop()
	}
	held := time.Duration(monoNow() - now)
	p.lastHost.Add(int64(held)) // being held back is not running
	p.mu.Lock()
	p.info.Throttled += held
	p.mu.Unlock()
	w.start, w.cpu0 = monoNow(), threadCPU()
	return p.killed.Load()
}
